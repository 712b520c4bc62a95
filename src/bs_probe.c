/*-------------------------------------------------------------------------
 *
 * bs_probe.c
 *	  "May I send?": is_suppressed() and the lookup block_suppressed() uses.
 *
 * On plain PostgreSQL the answer is one probe of the suppressions' primary
 * key with the caller's active snapshot: no SPI, no plan, no SQL function.
 * The relation OIDs, the index's equality procedures and collations are
 * cached per backend and dropped by a relcache invalidation callback, so
 * DROP/CREATE EXTENSION, REINDEX or ALTER TABLE are seen at once.
 *
 * A direct read would be wrong in two places, and there the same question is
 * asked through SPI instead:
 *	- row-level security is enabled on suppressions: the policies must apply
 *	  to the caller, which only the executor does;
 *	- Citus is installed: a distributed table's coordinator copy is an empty
 *	  shell, and only a query gets routed to the shard that holds the row.
 * bounce_suppress.probe = auto | index | spi chooses; see bs_guc.c.
 *
 * Privileges: the caller needs SELECT on bounce_suppress.suppressions (the
 * extension grants it to PUBLIC); is_suppressed checks it on every call, as a
 * query would.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "bs_address.h"

/* What a probe needs to know about the suppressions table; per backend. */
typedef struct ProbeCache
{
	bool		valid;
	Oid			schema;			/* the extension's schema */
	Oid			relid;			/* suppressions */
	Oid			indexid;		/* its primary key (project, address) */
	AttrNumber	expires_attnum;
	bool		citus;			/* Citus installed: tables may be shells */
	FmgrInfo	eq[2];			/* the index's equality procedures */
	Oid			collation[2];
	Oid			opcintype[2];
	SPIPlanPtr	plan;			/* the SPI path's saved plan, or NULL */
} ProbeCache;

static ProbeCache cache;

/* Forget everything when suppressions or its index change. */
static void
probe_inval(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == cache.relid || relid == cache.indexid)
		cache.valid = false;
}

/* Register the invalidation callback (from _PG_init). */
void
bs_probe_init(void)
{
	CacheRegisterRelcacheCallback(probe_inval, (Datum) 0);
}

/* (Re)load the cache for the extension living in schema. */
static void
probe_fill(Oid schema)
{
	Relation	rel,
				idx;
	Oid			relid,
				indexid;
	int			i;

	relid = get_relname_relid("suppressions", schema);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"%s.suppressions\" does not exist",
						get_namespace_name(schema))));

	rel = table_open(relid, AccessShareLock);
	indexid = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(indexid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"%s\" has no primary key", RelationGetRelationName(rel))));
	idx = index_open(indexid, AccessShareLock);
	if (idx->rd_index->indnkeyatts != 2 || idx->rd_rel->relam != BTREE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("primary key of \"%s\" is not a btree on (project, address)",
						RelationGetRelationName(rel))));

	if (cache.plan)
	{
		SPI_freeplan(cache.plan);
		cache.plan = NULL;
	}
	for (i = 0; i < 2; i++)
	{
		Oid			opcintype = idx->rd_opcintype[i];
		Oid			eqop = get_opfamily_member(idx->rd_opfamily[i], opcintype,
											   opcintype, BTEqualStrategyNumber);

		if (!OidIsValid(eqop))
			elog(ERROR, "no equality operator in opfamily %u", idx->rd_opfamily[i]);
		fmgr_info_cxt(get_opcode(eqop), &cache.eq[i], TopMemoryContext);
		cache.collation[i] = idx->rd_indcollation[i];
		cache.opcintype[i] = opcintype;
	}
	cache.expires_attnum = get_attnum(relid, "expires_at");
	cache.citus = OidIsValid(get_extension_oid("citus", true));
	cache.schema = schema;
	cache.relid = relid;
	cache.indexid = indexid;

	index_close(idx, NoLock);
	table_close(rel, NoLock);
	cache.valid = true;
}

/* The SPI path: a query, so that RLS policies apply and Citus can route it. */
static bool
probe_spi(Datum project, Datum address)
{
	Datum		values[2] = {project, address};
	bool		found;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (cache.plan == NULL)
	{
		StringInfoData q;
		Oid			types[2] = {TEXTOID, TEXTOID};
		SPIPlanPtr	plan;

		initStringInfo(&q);
		appendStringInfo(&q,
						 "SELECT 1 FROM %s.suppressions"
						 " WHERE project OPERATOR(pg_catalog.=) $1"
						 " AND address OPERATOR(pg_catalog.=) $2"
						 " AND (expires_at IS NULL OR expires_at OPERATOR(pg_catalog.>) pg_catalog.now())",
						 quote_identifier(get_namespace_name(cache.schema)));
		plan = SPI_prepare(q.data, 2, types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		cache.plan = plan;
	}
	rc = SPI_execute_plan(cache.plan, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	found = SPI_processed > 0;
	SPI_finish();
	return found;
}

/*
 * Is (project, address) suppressed now?  address must be normalized already
 * (len bytes, no NUL needed).  The caller's active snapshot decides what is
 * visible; a row whose expires_at has passed (as of now()) is not in force.
 */
bool
bs_probe_suppressed(Oid schema, text *project, const char *address, int len)
{
	Relation	rel,
				idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData keys[2];
	/* the address as a text datum, on the stack: no palloc per probe */
	union
	{
		int32		align;
		char		data[VARHDRSZ + BS_ADDRESS_MAX + 1];
	}			abuf;
	text	   *addr = (text *) abuf.data;
	bool		found;
	bool		need_spi = false;

	if (!cache.valid || cache.schema != schema)
		probe_fill(schema);

	if (pg_class_aclcheck(cache.relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(cache.relid));

	if (len < 0 || len > BS_ADDRESS_MAX)
		elog(ERROR, "normalized address too long");
	SET_VARSIZE(addr, VARHDRSZ + len);
	memcpy(VARDATA(addr), address, len);

	rel = table_open(cache.relid, AccessShareLock);

	if (bs_probe_mode == BS_PROBE_SPI)
		need_spi = true;
	/* check_enable_rls() answers RLS_NONE at once for a table without RLS */
	else if (cache.citus ||
			 (rel->rd_rel->relrowsecurity &&
			  check_enable_rls(cache.relid, InvalidOid, true) == RLS_ENABLED))
	{
		if (bs_probe_mode == BS_PROBE_INDEX)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("bounce_suppress.probe = index cannot read \"%s\" directly",
							get_rel_name(cache.relid)),
					 errdetail(cache.citus ? "Citus is installed, and a distributed table's rows are not on the coordinator."
							   : "Row-level security applies to the current user."),
					 errhint("Set bounce_suppress.probe to auto.")));
		need_spi = true;
	}
	if (need_spi)
	{
		table_close(rel, NoLock);
		return probe_spi(PointerGetDatum(project), PointerGetDatum(addr));
	}

	idx = index_open(cache.indexid, AccessShareLock);

	ScanKeyEntryInitializeWithInfo(&keys[0], 0, 1, BTEqualStrategyNumber,
								   cache.opcintype[0], cache.collation[0],
								   &cache.eq[0], PointerGetDatum(project));
	ScanKeyEntryInitializeWithInfo(&keys[1], 0, 2, BTEqualStrategyNumber,
								   cache.opcintype[1], cache.collation[1],
								   &cache.eq[1], PointerGetDatum(addr));

	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, GetActiveSnapshot(), 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found && cache.expires_attnum > 0)
	{
		bool		isnull;
		Datum		d = slot_getattr(slot, cache.expires_attnum, &isnull);

		if (!isnull && DatumGetTimestampTz(d) <= GetCurrentTransactionStartTimestamp())
			found = false;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return found;
}

PG_FUNCTION_INFO_V1(is_suppressed);
/* is_suppressed(address text, project text) -> boolean; NULL for non-addresses */
Datum
is_suppressed(PG_FUNCTION_ARGS)
{
	text	   *address = PG_GETARG_TEXT_PP(0);
	text	   *project = PG_GETARG_TEXT_PP(1);
	int			len = VARSIZE_ANY_EXHDR(address);
	char		buf[BS_ADDRESS_MAX + 1];
	int			n;
	Oid		   *schema = (Oid *) fcinfo->flinfo->fn_extra;

	if (schema == NULL)
	{
		schema = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*schema = get_func_namespace(fcinfo->flinfo->fn_oid);
		fcinfo->flinfo->fn_extra = schema;
	}

	n = bs_address_normalize(VARDATA_ANY(address), len, buf, sizeof(buf));
	if (n < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(bs_probe_suppressed(*schema, project, buf, n));
}
