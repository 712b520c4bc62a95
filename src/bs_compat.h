/*-------------------------------------------------------------------------
 *
 * bs_compat.h
 *	  The one place for PostgreSQL-version differences (13 .. 17).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_COMPAT_H
#define BS_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 130000
#error "bounce_suppress needs PostgreSQL 13 or later"
#endif

/* PostgreSQL 15 renamed EmitWarningsOnPlaceholders. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* PostgreSQL 16 moved the ACL check functions' results to ACLCHECK_* in acl.h
 * (unchanged) and renamed pg_class_aclcheck's home; nothing else differs for
 * the calls made here.  PostgreSQL 14 added index_insert's indexUnchanged
 * argument, which we never call. */

/* PostgreSQL 16 added varatt.h (VARDATA_ANY and friends moved there). */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

#endif							/* BS_COMPAT_H */
