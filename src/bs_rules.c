/*-------------------------------------------------------------------------
 *
 * bs_rules.c
 *	  The rules trigger on events (events_apply_rules): the one place where
 *	  events become suppressions.
 *
 * It runs once per statement, AFTER INSERT, over the statement's new events
 * (the transition table new_events), and applies the rules of API.md:
 *
 *	complaint, hard bounce	-> suppress on the first event
 *	soft bounce				-> suppress once the address has soft-bounced on
 *							   soft_bounce_limit separate sends spanning at
 *							   least soft_bounce_span
 *	undetermined, sender-caused, delivery -> record only
 *
 * The rules themselves are the SQL statements below, run through SPI with
 * plans kept for the session; the C around them only decides which of them a
 * statement needs, from one pass over the new events, and takes the locks.
 * A one-event statement (the ingest functions) so runs one rule or none, and
 * pays for no query it does not need.  The statements read and write only
 * rows of the events' own (project, address), plus policies, so they run
 * unchanged on colocated Citus shards.
 *
 * History is not replayed: an event whose received_at is before the current
 * transaction was received by this database (or the one it was dumped from)
 * before; pg_restore and copies between databases bring its effects along in
 * suppressions and suppression_log, so it is stored and nothing else.
 *
 * Soft bounces count an address's earlier soft bounces, so two transactions
 * that each add one of the last bounces must see each other's.  The trigger
 * serializes them per address with advisory locks; in READ COMMITTED the
 * statements after the lock take a fresh snapshot and see the other's
 * committed rows.  In REPEATABLE READ and SERIALIZABLE the snapshot is the
 * transaction's, fixed before the lock was granted, so the other's rows stay
 * invisible (SSI does not see it either when the other side runs in READ
 * COMMITTED).  events_unseen() tells when that happened, and the trigger
 * raises 40001 then, as PostgreSQL does for a concurrent update.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "bs_smtp.h"

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

/* ----------------------------------------------------------------
 *		events_apply_rules
 * ----------------------------------------------------------------
 */

/*
 * The new events a rule looks at: received in this transaction (not restored
 * history).  The soft-bounce rule counts the recipient-caused transient
 * bounces among them; scan_new_events() applies the same filters in C.
 */
#define NEW_EVENT "n.received_at >= now()"
#define SOFT_EVENT NEW_EVENT " AND n.kind = 'bounce' AND n.bounce_type = 'transient'" \
	" AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)"
#define SOFT_ADDRESSES "(SELECT DISTINCT n.project, n.address FROM new_events n" \
	" WHERE " SOFT_EVENT ") c"

/* A suppression that had expired is replaced as if it were new. */
#define ON_CONFLICT_REPLACE \
	" ON CONFLICT ON CONSTRAINT suppressions_pkey DO UPDATE" \
	"    SET reason = excluded.reason," \
	"        event_id = excluded.event_id," \
	"        expires_at = excluded.expires_at," \
	"        created_at = CASE WHEN s.expires_at <= now() THEN now() ELSE s.created_at END," \
	"        note = CASE WHEN s.expires_at <= now() THEN NULL ELSE s.note END" \
	"  WHERE excluded.reason > s.reason OR s.expires_at <= now()"

/*
 * Complaints and hard bounces: suppress on the first event.  A sender-caused
 * permanent bounce suppresses only where the policy says so (the policy is
 * looked up for those alone).
 */
static const char *const RULE_HARD =
"INSERT INTO @extschema@.suppressions AS s (project, address, reason, event_id, expires_at)"
" SELECT DISTINCT ON (n.project, n.address)"
"        n.project, n.address,"
"        CASE WHEN n.kind = 'complaint' THEN 'complaint' ELSE 'hard_bounce' END::@extschema@.suppression_reason,"
"        n.id, NULL::timestamptz"
"   FROM new_events n"
"  WHERE " NEW_EVENT
"    AND (n.kind = 'complaint'"
"         OR (n.kind = 'bounce' AND n.bounce_type = 'permanent'"
"             AND (NOT coalesce(@extschema@.is_sender_reason(n.reason), false)"
"                  OR coalesce((SELECT pol.suppress_sender_blocks"
"                                 FROM @extschema@.policies pol"
"                                WHERE pol.project IN (n.project, 'default')"
"                                ORDER BY pol.project = n.project DESC"
"                                LIMIT 1), false))))"
"  ORDER BY n.project, n.address, n.kind = 'complaint' DESC, n.id"
ON_CONFLICT_REPLACE;

/*
 * Under REPEATABLE READ or SERIALIZABLE: has another transaction committed
 * events of one of the addresses since this transaction's snapshot?
 */
static const char *const RULE_SOFT_UNSEEN =
"SELECT EXISTS (SELECT 1 FROM " SOFT_ADDRESSES
"                WHERE @extschema@.events_unseen(c.project, c.address))";

/*
 * Most soft bounces leave the address below its limit: the number of its
 * transient bounces (a bound on the separate sends the rule counts) settles
 * that with a few index reads, without the whole rule.  An address already
 * suppressed, in force, for as strong a reason needs no rule either: the
 * rule's upsert would leave its row as it is.
 */
static const char *const RULE_SOFT_NEAR =
"SELECT EXISTS ("
"  SELECT 1 FROM " SOFT_ADDRESSES
"   CROSS JOIN LATERAL (SELECT coalesce((SELECT x.soft_bounce_limit FROM @extschema@.policies x"
"                                         WHERE x.project IN (c.project, 'default')"
"                                         ORDER BY x.project = c.project DESC"
"                                         LIMIT 1), 5) AS lim) p"
"  WHERE p.lim > 0"
"    AND NOT EXISTS (SELECT 1 FROM @extschema@.suppressions x"
"                     WHERE x.project = c.project AND x.address = c.address"
"                       AND x.reason >= 'soft_bounce_limit'"
"                       AND (x.expires_at IS NULL OR x.expires_at > now()))"
"    AND (SELECT count(*) FROM (SELECT 1 FROM @extschema@.events e"
"                                WHERE e.project = c.project AND e.address = c.address"
"                                  AND e.kind = 'bounce' AND e.bounce_type = 'transient'"
"                                LIMIT p.lim) t) >= p.lim)";

/*
 * Soft bounces: suppress when the address keeps bouncing across separate
 * sends (retries of one send, the same message_id, count once), over at
 * least the policy's span, since its latest delivery, removal or expiry and
 * within the policy's window.
 */
static const char *const RULE_SOFT =
"INSERT INTO @extschema@.suppressions AS s (project, address, reason, event_id, expires_at)"
" SELECT c.project, c.address, 'soft_bounce_limit', k.last_id,"
"        now() + p.soft_suppression_ttl"
"   FROM " SOFT_ADDRESSES
"   CROSS JOIN LATERAL (SELECT coalesce(pol.soft_bounce_limit, 5) AS soft_bounce_limit,"
"                              coalesce(pol.soft_bounce_span, '7 days') AS soft_bounce_span,"
"                              coalesce(pol.soft_bounce_window, '30 days') AS soft_bounce_window,"
"                              pol.soft_suppression_ttl"
"                         FROM (SELECT 1) one"
"                         LEFT JOIN LATERAL (SELECT * FROM @extschema@.policies x"
"                                             WHERE x.project IN (c.project, 'default')"
"                                             ORDER BY x.project = c.project DESC"
"                                             LIMIT 1) pol ON true) p"
"   CROSS JOIN LATERAL ("
"     SELECT greatest("
"              (SELECT max(d.occurred_at) FROM @extschema@.events d"
"                WHERE d.project = c.project AND d.address = c.address AND d.kind = 'delivery'),"
"              (SELECT max(l.at) FROM @extschema@.suppression_log l"
"                WHERE l.project = c.project AND l.address = c.address"
"                  AND l.action IN ('removed', 'expired')),"
"              (SELECT x.expires_at FROM @extschema@.suppressions x"
"                WHERE x.project = c.project AND x.address = c.address AND x.expires_at <= now()),"
"              now() - p.soft_bounce_window) AS since) st"
"   CROSS JOIN LATERAL ("
"     SELECT count(DISTINCT (e.message_id, CASE WHEN e.message_id IS NULL THEN e.id END)) AS sends,"
"            max(e.occurred_at) - min(e.occurred_at) AS span,"
"            max(e.id) AS last_id"
"       FROM @extschema@.events e"
"      WHERE e.project = c.project AND e.address = c.address"
"        AND e.kind = 'bounce' AND e.bounce_type = 'transient'"
"        AND NOT coalesce(@extschema@.is_sender_reason(e.reason), false)"
"        AND e.occurred_at > st.since) k"
"  WHERE p.soft_bounce_limit > 0"
"    AND k.sends >= p.soft_bounce_limit"
"    AND k.span >= p.soft_bounce_span"
ON_CONFLICT_REPLACE;

/* Advisory lock space of the soft-bounce rule: key1, and 1024 key2 values. */
#define SOFT_LOCK_KEY1 1651733872
#define SOFT_LOCK_KEYS 1024

/*
 * Plans kept for the session, per table the trigger runs on (the
 * events table; under Citus each of its shards) and per incarnation of the
 * extension (the trigger function's OID): dropping and creating it again in
 * the same session starts afresh.  A plan is parsed against the table's own
 * transition table, so it is not shared between tables.
 */
typedef struct RulesCache
{
	Oid			relid;			/* hash key */
	Oid			fn_oid;
	SPIPlanPtr	hard,
				soft_unseen,
				soft_near,
				soft;
} RulesCache;

static HTAB *rules_caches = NULL;

/* What the statement's new events call for. */
typedef struct RulesWork
{
	bool		hard;			/* a complaint or permanent bounce */
	bool		soft;			/* a recipient-caused transient bounce */
	uint64		locks[SOFT_LOCK_KEYS / 64];	/* lock keys of its addresses */
} RulesWork;

/* The plans of this table and incarnation of the extension (maybe none yet). */
static RulesCache *
rules_cache_for(Oid fn_oid, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	RulesCache *c;
	bool		found;

	if (rules_caches == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(RulesCache);
		rules_caches = hash_create("bounce_suppress rules plans", 8, &ctl,
								   HASH_ELEM | HASH_BLOBS);
	}
	c = hash_search(rules_caches, &relid, HASH_ENTER, &found);
	if (found && c->fn_oid == fn_oid)
		return c;
	if (found)
	{
		/* plans of an earlier incarnation go */
		if (c->hard)
			SPI_freeplan(c->hard);
		if (c->soft_unseen)
			SPI_freeplan(c->soft_unseen);
		if (c->soft_near)
			SPI_freeplan(c->soft_near);
		if (c->soft)
			SPI_freeplan(c->soft);
	}
	memset(c, 0, sizeof(*c));
	c->relid = relid;
	c->fn_oid = fn_oid;
	return c;
}

/*
 * The plan of a rule, prepared on first use (with the transition table
 * registered) and kept.  @extschema@ in the text stands for the schema of
 * the trigger function.
 */
static SPIPlanPtr
rule_plan(SPIPlanPtr *slot, const char *sql, Oid fn_oid)
{
	StringInfoData q;
	const char *schema;
	const char *p;
	SPIPlanPtr	plan;

	if (*slot)
		return *slot;
	schema = quote_identifier(get_namespace_name(get_func_namespace(fn_oid)));
	initStringInfo(&q);
	for (p = sql; *p;)
	{
		if (strncmp(p, "@extschema@", 11) == 0)
		{
			appendStringInfoString(&q, schema);
			p += 11;
		}
		else
			appendStringInfoChar(&q, *p++);
	}
	plan = SPI_prepare(q.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for a rule of events_apply_rules: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	pfree(q.data);
	*slot = plan;
	return plan;
}

/*
 * Run a rule's SELECT EXISTS (...) and return its answer.  Not read-only:
 * as in a VOLATILE function, each rule sees what the statements before it
 * wrote and, in READ COMMITTED, what was committed before the locks were
 * granted.
 */
static bool
rule_exists(SPIPlanPtr plan)
{
	int			rc = SPI_execute_plan(plan, NULL, NULL, false, 1);
	bool		isnull;
	Datum		d;

	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "a rule of events_apply_rules failed: %s", SPI_result_code_string(rc));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return !isnull && DatumGetBool(d);
}

/* Run a rule's INSERT. */
static void
rule_insert(SPIPlanPtr plan)
{
	int			rc = SPI_execute_plan(plan, NULL, NULL, false, 0);

	if (rc != SPI_OK_INSERT)
		elog(ERROR, "a rule of events_apply_rules failed: %s", SPI_result_code_string(rc));
}

/* Hash of a text column's bytes (detoasted if need be); 0 for NULL. */
static uint32
text_hash(TupleTableSlot *slot, AttrNumber attno)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, attno, &isnull);
	text	   *t;
	uint32		h;

	if (isnull)
		return 0;
	t = DatumGetTextPP(d);
	h = hash_any((const unsigned char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	if ((Pointer) t != DatumGetPointer(d))
		pfree(t);
	return h;
}

/*
 * One pass over the statement's new events: which rules have work, and the
 * lock keys of the addresses the soft-bounce rule will count.  The filters
 * are those of NEW_EVENT and SOFT_EVENT.
 */
static void
scan_new_events(TriggerData *trig, const BsEventsShape *ev, RulesWork *w)
{
	Tuplestorestate *ts = trig->tg_newtable;
	TupleTableSlot *slot;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int			ptr;

	memset(w, 0, sizeof(*w));
	if (ts == NULL)
		return;
	slot = MakeSingleTupleTableSlot(RelationGetDescr(trig->tg_relation), &TTSOpsMinimalTuple);
	ptr = tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(ts, ptr);
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		bool		isnull;
		Datum		d;
		Oid			kind,
					type;

		d = slot_getattr(slot, ev->received_at, &isnull);
		if (isnull || DatumGetTimestampTz(d) < now)
			continue;
		d = slot_getattr(slot, ev->kind, &isnull);
		if (isnull)
			continue;
		kind = DatumGetObjectId(d);
		if (kind == ev->kind_complaint)
		{
			w->hard = true;
			continue;
		}
		if (kind != ev->kind_bounce)
			continue;
		d = slot_getattr(slot, ev->bounce_type, &isnull);
		if (isnull)
			continue;
		type = DatumGetObjectId(d);
		if (type == ev->type_permanent)
			w->hard = true;
		else if (type == ev->type_transient)
		{
			uint32		h;

			d = slot_getattr(slot, ev->reason, &isnull);
			if (!isnull)
			{
				text	   *r = DatumGetTextPP(d);

				if (bs_reason_is_sender(bs_reason_from_name(VARDATA_ANY(r),
															VARSIZE_ANY_EXHDR(r))))
					continue;
			}
			w->soft = true;
			h = hash_combine(text_hash(slot, ev->project),
							 text_hash(slot, ev->address));
			h %= SOFT_LOCK_KEYS;
			w->locks[h / 64] |= UINT64CONST(1) << (h % 64);
		}
	}
	tuplestore_select_read_pointer(ts, 0);
	ExecDropSingleTupleTableSlot(slot);
}

PG_FUNCTION_INFO_V1(events_apply_rules);
/*
 * AFTER INSERT ... REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT on
 * events.  Declared SECURITY DEFINER with a pinned search_path: ingest roles
 * insert events, and the rules write suppressions for them.
 */
Datum
events_apply_rules(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	Oid			fn_oid = fcinfo->flinfo->fn_oid;
	BsEventsShape ev;
	RulesCache *c;
	RulesWork	w;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trig->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trig->tg_event) || trig->tg_newtable == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("events_apply_rules must be an AFTER INSERT FOR EACH STATEMENT trigger"
						" with REFERENCING NEW TABLE AS new_events")));

	bs_events_shape(trig->tg_relation, fn_oid, "events_apply_rules", &ev);
	scan_new_events(trig, &ev, &w);
	if (!w.hard && !w.soft)
		return PointerGetDatum(NULL);

	c = rules_cache_for(fn_oid, trig->tg_relation);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trig) != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed");

	if (w.hard)
		rule_insert(rule_plan(&c->hard, RULE_HARD, fn_oid));

	if (w.soft)
	{
		/*
		 * Two transactions adding the last soft bounces of one address must
		 * see each other's: serialize per address, in a fixed order (no
		 * deadlocks).  Addresses are hashed into 1024 lock keys, so a bulk
		 * load of a million events takes at most 1024 locks, not one per
		 * address (which would overflow the shared lock table).
		 */
		for (int k = 0; k < SOFT_LOCK_KEYS; k++)
			if (w.locks[k / 64] & (UINT64CONST(1) << (k % 64)))
				DirectFunctionCall2(pg_advisory_xact_lock_int4,
									Int32GetDatum(SOFT_LOCK_KEY1), Int32GetDatum(k));

		/*
		 * Under REPEATABLE READ or SERIALIZABLE the snapshot predates the
		 * lock, so another transaction's committed soft bounces would go
		 * uncounted: refuse as PostgreSQL does for a concurrent update, and
		 * let the client retry.
		 */
		if (IsolationUsesXactSnapshot() &&
			rule_exists(rule_plan(&c->soft_unseen, RULE_SOFT_UNSEEN, fn_oid)))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent soft bounces"),
					 errdetail("Another transaction added events for the same address after this transaction's snapshot was taken."),
					 errhint("Retry the transaction.")));

		if (rule_exists(rule_plan(&c->soft_near, RULE_SOFT_NEAR, fn_oid)))
			rule_insert(rule_plan(&c->soft, RULE_SOFT, fn_oid));
	}

	SPI_finish();
	return PointerGetDatum(NULL);
}
