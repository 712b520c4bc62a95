/*-------------------------------------------------------------------------
 *
 * bounce_suppress.c
 *	  Module entry point: the magic block and _PG_init, which only hands off
 *	  to the concerns that need start-up work.
 *
 * Nothing here needs shared_preload_libraries: the library is loaded by the
 * first call of one of its functions.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Register settings and caches. */
void
_PG_init(void)
{
	bs_guc_init();
	bs_probe_init();
}
