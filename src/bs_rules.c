/*-------------------------------------------------------------------------
 *
 * bs_rules.c
 *	  Support for the rules trigger on events (events_apply_rules).
 *
 * The soft-bounce rule counts an address's earlier soft bounces, so two
 * transactions that each add one of the last bounces must see each other's.
 * The trigger serializes them per address with an advisory lock; in READ
 * COMMITTED the statement after the lock takes a fresh snapshot and sees the
 * other's committed rows.  In REPEATABLE READ and SERIALIZABLE the snapshot
 * is the transaction's, fixed before the lock was granted, so the other's
 * rows stay invisible (SSI does not see it either when the other side runs
 * in READ COMMITTED).  events_unseen() tells the trigger when that happened,
 * and it raises 40001 then, as PostgreSQL does for a concurrent update.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

/* Count of the address's events as seen by snapshot (NULL: the active one). */
static int64
count_events(SPIPlanPtr plan, Datum *values, Snapshot snapshot)
{
	bool		isnull;
	int			rc;
	Datum		d;

	if (snapshot)
		rc = SPI_execute_snapshot(plan, values, NULL, snapshot, InvalidSnapshot,
								  true, false, 1);
	else
		rc = SPI_execute_plan(plan, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting events failed: %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

PG_FUNCTION_INFO_V1(events_unseen);
/*
 * events_unseen(project, address) -> boolean: has another transaction
 * committed events of this address that the current snapshot does not see?
 */
Datum
events_unseen(PG_FUNCTION_ARGS)
{
	Datum		values[2] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1)};
	Oid			types[2] = {TEXTOID, TEXTOID};
	StringInfoData q;
	SPIPlanPtr	plan;
	int64		latest,
				seen;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT pg_catalog.count(*) FROM %s.events"
					 " WHERE project OPERATOR(pg_catalog.=) $1"
					 " AND address OPERATOR(pg_catalog.=) $2",
					 quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid))));
	plan = SPI_prepare(q.data, 2, types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	latest = count_events(plan, values, GetLatestSnapshot());
	seen = count_events(plan, values, NULL);
	SPI_finish();
	PG_RETURN_BOOL(latest != seen);
}
