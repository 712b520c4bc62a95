/*-------------------------------------------------------------------------
 *
 * bs_trigger.c
 *	  Row triggers written in C:
 *	  - events_before_insert: completes an event before it is stored (type,
 *		reason, reply code and enhanced status from the diagnostic, through
 *		the one classifier) and refuses timestamps far in the future;
 *	  - block_suppressed: the guard for users' own send-queue tables.
 *
 * The rules that turn events into suppressions are not here: they run once
 * per statement over the transition table (events_apply_rules, bs_rules.c).
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "bs_address.h"
#include "bs_smtp.h"

/*
 * The triggers on events read its columns by name and trust their types:
 * refuse a table that is not shaped like events (the extension's own table,
 * or under Citus one of its shards), naming the first column that differs;
 * else fill in its column numbers and the enum OIDs the triggers compare.
 */
static void
events_shape_of(Relation rel, Oid fn_oid, const char *trigger, BsEventsShape *out)
{
	Oid			nsp = get_func_namespace(fn_oid);
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			kind_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											 CStringGetDatum("event_kind"),
											 ObjectIdGetDatum(nsp));
	Oid			type_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											 CStringGetDatum("bounce_type"),
											 ObjectIdGetDatum(nsp));
	const struct
	{
		const char *name;
		Oid			typid;
		AttrNumber *attno;
	}			cols[] = {
		{"id", INT8OID, &out->id},
		{"project", TEXTOID, &out->project},
		{"kind", kind_typid, &out->kind},
		{"address", TEXTOID, &out->address},
		{"bounce_type", type_typid, &out->bounce_type},
		{"reason", TEXTOID, &out->reason},
		{"reply_code", INT4OID, &out->reply_code},
		{"enhanced_status", TEXTOID, &out->enhanced_status},
		{"diagnostic", TEXTOID, &out->diagnostic},
		{"occurred_at", TIMESTAMPTZOID, &out->occurred_at},
		{"received_at", TIMESTAMPTZOID, &out->received_at},
	};

	for (size_t i = 0; i < lengthof(cols); i++)
	{
		int			n = SPI_fnumber(desc, cols[i].name);

		if (n <= 0 || TupleDescAttr(desc, n - 1)->atttypid != cols[i].typid)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("%s cannot run on table \"%s\"", trigger,
							RelationGetRelationName(rel)),
					 errdetail("Column \"%s\" is missing or not of the type it has in the events table.",
							   cols[i].name)));
		*cols[i].attno = (AttrNumber) n;
	}
	out->kind_bounce = bs_enum_label_oid(kind_typid, "bounce");
	out->kind_complaint = bs_enum_label_oid(kind_typid, "complaint");
	out->kind_delivery = bs_enum_label_oid(kind_typid, "delivery");
	out->type_typid = type_typid;
	out->type_permanent = bs_enum_label_oid(type_typid, "permanent");
	out->type_transient = bs_enum_label_oid(type_typid, "transient");
}

/*
 * The shapes found, per table, for the session: each ingest is a statement
 * of its own, so looking the columns up per statement would cost every
 * event.  A relcache invalidation of the table (ALTER TABLE, DROP) forgets
 * its shape.
 */
typedef struct ShapeEntry
{
	Oid			relid;			/* hash key */
	BsEventsShape shape;
} ShapeEntry;

static HTAB *shapes = NULL;

static void
shapes_inval(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	ShapeEntry *e;

	if (shapes == NULL)
		return;
	if (OidIsValid(relid))
	{
		(void) hash_search(shapes, &relid, HASH_REMOVE, NULL);
		return;
	}
	hash_seq_init(&seq, shapes);
	while ((e = hash_seq_search(&seq)) != NULL)
		(void) hash_search(shapes, &e->relid, HASH_REMOVE, NULL);
}

/* The shape of the trigger's table (see bounce_suppress.h). */
void
bs_events_shape(Relation rel, Oid fn_oid, const char *trigger, BsEventsShape *out)
{
	Oid			relid = RelationGetRelid(rel);
	ShapeEntry *e;

	if (shapes == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ShapeEntry);
		shapes = hash_create("bounce_suppress events shapes", 8, &ctl,
							 HASH_ELEM | HASH_BLOBS);
		CacheRegisterRelcacheCallback(shapes_inval, (Datum) 0);
	}
	e = hash_search(shapes, &relid, HASH_FIND, NULL);
	if (e == NULL)
	{
		BsEventsShape shape;

		events_shape_of(rel, fn_oid, trigger, &shape);	/* may refuse */
		e = hash_search(shapes, &relid, HASH_ENTER, NULL);
		e->shape = shape;
	}
	*out = e->shape;
}

PG_FUNCTION_INFO_V1(events_before_insert);
/*
 * BEFORE INSERT ... FOR EACH ROW on events.  Never touches the address (it
 * is the distribution key under Citus and must be normalized by the writer;
 * a CHECK enforces that).
 */
Datum
events_before_insert(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	tuple;
	TupleDesc	desc;
	BsEventsShape shape;
	const BsEventsShape *info = &shape;
	Datum		kind;
	bool		isnull;
	int			cols[4];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int			ncols = 0;
	Datum		occurred;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event) || !TRIGGER_FIRED_BY_INSERT(trig->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("events_before_insert must be a BEFORE INSERT FOR EACH ROW trigger")));

	rel = trig->tg_relation;
	tuple = trig->tg_trigtuple;
	desc = RelationGetDescr(rel);
	bs_events_shape(rel, fcinfo->flinfo->fn_oid, "events_before_insert", &shape);

	occurred = heap_getattr(tuple, info->occurred_at, desc, &isnull);
	if (!isnull &&
		DatumGetTimestampTz(occurred) > GetCurrentTransactionStartTimestamp() + USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("occurred_at %s is more than a day in the future",
						timestamptz_to_str(DatumGetTimestampTz(occurred))),
				 errdetail("An event cannot have happened after it was received.")));

	kind = heap_getattr(tuple, info->kind, desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL reports it */

	if (DatumGetObjectId(kind) == info->kind_bounce)
	{
		bool		type_null,
					reason_null,
					code_null,
					status_null,
					diag_null;
		Datum		diag;

		(void) heap_getattr(tuple, info->bounce_type, desc, &type_null);
		(void) heap_getattr(tuple, info->reason, desc, &reason_null);
		(void) heap_getattr(tuple, info->reply_code, desc, &code_null);
		(void) heap_getattr(tuple, info->enhanced_status, desc, &status_null);
		diag = heap_getattr(tuple, info->diagnostic, desc, &diag_null);

		if (!diag_null && (type_null || reason_null || code_null || status_null))
		{
			text	   *t = DatumGetTextPP(diag);
			bs_smtp_result res;

			bs_smtp_classify(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, &res);
			if (type_null)
			{
				cols[ncols] = info->bounce_type;
				values[ncols++] = bs_enum_datum_for_type(info->type_typid, res.type);
			}
			if (reason_null && bs_reason_name(res.reason))
			{
				cols[ncols] = info->reason;
				values[ncols++] = CStringGetTextDatum(bs_reason_name(res.reason));
			}
			if (code_null && res.reply_code != 0)
			{
				cols[ncols] = info->reply_code;
				values[ncols++] = Int32GetDatum(res.reply_code);
			}
			if (status_null && res.enhanced_status[0] != '\0')
			{
				cols[ncols] = info->enhanced_status;
				values[ncols++] = CStringGetTextDatum(res.enhanced_status);
			}
		}
		else if (type_null)
		{
			/* nothing to go by: record and monitor */
			cols[ncols] = info->bounce_type;
			values[ncols++] = bs_enum_datum_for_type(info->type_typid, BS_TYPE_UNDETERMINED);
		}
	}
	else
	{
		(void) heap_getattr(tuple, info->reason, desc, &isnull);
		if (isnull)
		{
			cols[ncols] = info->reason;
			values[ncols++] = CStringGetTextDatum(DatumGetObjectId(kind) == info->kind_complaint
												  ? "feedback" : "delivered");
		}
	}

	if (ncols == 0)
		return PointerGetDatum(tuple);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, ncols, cols, values, nulls));
}

PG_FUNCTION_INFO_V1(block_suppressed);
/*
 * block_suppressed(column, mode [, project]): BEFORE INSERT OR UPDATE FOR
 * EACH ROW on a send-queue table.  mode 'skip' drops a row whose address is
 * suppressed (or NULL, or not an address); 'error' raises instead.
 */
Datum
block_suppressed(PG_FUNCTION_ARGS)
{
	TriggerData *trig = (TriggerData *) fcinfo->context;
	Trigger    *tg;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			attnum;
	bool		skip;
	char	   *value;
	char		buf[BS_ADDRESS_MAX + 1];
	int			n;
	text	   *project;
	Oid		   *schema;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trig->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trig->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trig->tg_event) || TRIGGER_FIRED_BY_UPDATE(trig->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("block_suppressed must be a BEFORE INSERT OR UPDATE FOR EACH ROW trigger")));

	tg = trig->tg_trigger;
	desc = RelationGetDescr(trig->tg_relation);
	tuple = TRIGGER_FIRED_BY_UPDATE(trig->tg_event) ? trig->tg_newtuple : trig->tg_trigtuple;

	if (tg->tgnargs < 2 || tg->tgnargs > 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" must pass block_suppressed a column name, a mode and optionally a project",
						tg->tgname)));
	attnum = SPI_fnumber(desc, tg->tgargs[0]);
	if (attnum <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						tg->tgargs[0], RelationGetRelationName(trig->tg_relation))));
	if (strcmp(tg->tgargs[1], "skip") == 0)
		skip = true;
	else if (strcmp(tg->tgargs[1], "error") == 0)
		skip = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid block_suppressed mode: \"%s\"", tg->tgargs[1]),
				 errhint("Use 'skip' or 'error'.")));
	project = cstring_to_text(tg->tgnargs == 3 ? tg->tgargs[2] : "default");

	value = SPI_getvalue(tuple, desc, attnum);
	if (value == NULL)
	{
		if (skip)
			return PointerGetDatum(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("column \"%s\" is NULL: no address to send to", tg->tgargs[0])));
	}
	n = bs_address_normalize(value, strlen(value), buf, sizeof(buf));
	if (n < 0)
	{
		if (skip)
			return PointerGetDatum(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid email address: \"%s\"", value)));
	}

	schema = (Oid *) fcinfo->flinfo->fn_extra;
	if (schema == NULL)
	{
		schema = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*schema = get_func_namespace(fcinfo->flinfo->fn_oid);
		fcinfo->flinfo->fn_extra = schema;
	}
	if (bs_probe_suppressed(*schema, project, buf, n))
	{
		if (skip)
			return PointerGetDatum(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
				 errmsg("address \"%s\" is suppressed", buf),
				 errdetail("Trigger \"%s\" on \"%s\" refuses rows for suppressed addresses.",
						   tg->tgname, RelationGetRelationName(trig->tg_relation))));
	}
	return PointerGetDatum(tuple);
}
