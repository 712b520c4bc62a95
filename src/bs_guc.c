/*-------------------------------------------------------------------------
 *
 * bs_guc.c
 *	  Settings: bounce_suppress.probe and bounce_suppress.change_note.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "utils/guc.h"

int			bs_probe_mode = BS_PROBE_AUTO;
char	   *bs_change_note = NULL;

static const struct config_enum_entry probe_options[] = {
	{"auto", BS_PROBE_AUTO, false},
	{"index", BS_PROBE_INDEX, false},
	{"spi", BS_PROBE_SPI, false},
	{NULL, 0, false}
};

/* Define the settings and reserve the prefix, so typos are reported. */
void
bs_guc_init(void)
{
	DefineCustomEnumVariable("bounce_suppress.probe",
							 gettext_noop("How is_suppressed and block_suppressed look an address up."),
							 gettext_noop("auto probes the suppressions' primary key directly unless "
										  "row-level security is enabled on the table or Citus is "
										  "installed, where it runs a query through SPI; index always "
										  "probes and raises an error where that would bypass "
										  "row-level security or read a Citus shell table; spi always "
										  "queries."),
							 &bs_probe_mode,
							 BS_PROBE_AUTO,
							 probe_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("bounce_suppress.change_note",
							   gettext_noop("Note written to suppression_log for changes made in this transaction."),
							   gettext_noop("unsuppress() sets it for the removal it logs; set it with "
											"SET LOCAL before a direct DELETE or UPDATE of suppressions "
											"to record why."),
							   &bs_change_note,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("bounce_suppress");
}
