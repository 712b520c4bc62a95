/*-------------------------------------------------------------------------
 *
 * bs_report_sql.c
 *	  SQL entry point of the report parser: parse_report(text | bytea) and
 *	  the internal _report_rows(text | bytea) behind ingest_report.
 *
 * One C function serves both: it fills the columns its declared result row
 * has.  The first ten are parse_report's (recipient, kind, bounce_type,
 * reason, reply_code, enhanced_status, diagnostic, remote_mta, message_id,
 * occurred_at); _report_rows adds raw_recipient, report_id and
 * feedback_type, which ingest_report needs for the event and its
 * idempotency key.
 *
 * The plain-C parser (bs_report.c) allocates from a private memory context
 * that is dropped after the rows are in the tuplestore.  Values are passed
 * through the columns' input functions (so the enum types are found by the
 * declared result type, whatever schema they live in), after conversion
 * from UTF-8 to the server encoding.
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "bs_address.h"
#include "bs_report.h"

/* bs_alloc callback: palloc in the given memory context. */
static void *
report_palloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_HUGE);
}

/* A parser string as a server-encoded C string (NULL stays NULL). */
static char *
to_server(const char *s)
{
	if (s == NULL)
		return NULL;
	return pg_any_to_server(s, strlen(s), PG_UTF8);
}

/* Unix seconds as a timestamptz literal in UTC. */
static char *
epoch_text(int64_t t)
{
	/* days -> civil date (Howard Hinnant's algorithm) */
	int64_t		z = (t >= 0 ? t : t - 86399) / 86400;
	int64_t		secs = t - z * 86400;
	int64_t		era,
				doe,
				yoe,
				y,
				doy,
				mp,
				d,
				m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += (m <= 2);
	return psprintf("%04lld-%02lld-%02lld %02lld:%02lld:%02lld+00",
					(long long) y, (long long) m, (long long) d,
					(long long) (secs / 3600), (long long) (secs / 60 % 60),
					(long long) (secs % 60));
}

PG_FUNCTION_INFO_V1(bs_parse_report);
/*
 * parse_report(text | bytea) and _report_rows(text | bytea): one row per
 * recipient of the bounce or complaint report.
 */
Datum
bs_parse_report(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	struct varlena *msg = PG_GETARG_VARLENA_PP(0);
	TupleDesc	tupdesc;
	AttInMetadata *attinmeta;
	Tuplestorestate *ts;
	MemoryContext per_query;
	MemoryContext oldcxt;
	MemoryContext parsecxt;
	bs_alloc	al;
	bs_report	rep;
	int			natts;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("function returning record called in context that cannot accept type record")));
	natts = tupdesc->natts;
	if (natts != 10 && natts != 13)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("report parser declared with %d result columns, expected 10 or 13", natts)));

	per_query = rsinfo->econtext->ecxt_per_query_memory;
	oldcxt = MemoryContextSwitchTo(per_query);
	tupdesc = CreateTupleDescCopy(tupdesc);
	attinmeta = TupleDescGetAttInMetadata(tupdesc);
	ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	parsecxt = AllocSetContextCreate(CurrentMemoryContext, "bounce_suppress report",
									 ALLOCSET_DEFAULT_SIZES);
	al.alloc = report_palloc;
	al.ctx = parsecxt;
	if (!bs_report_parse(VARDATA_ANY(msg), VARSIZE_ANY_EXHDR(msg), &al, &rep))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while parsing a report")));

	oldcxt = MemoryContextSwitchTo(parsecxt);
	for (int i = 0; i < rep.nrows; i++)
	{
		bs_report_row *r = &rep.rows[i];
		char	   *values[13];
		char		norm[BS_ADDRESS_MAX + 1];
		size_t		rlen = strlen(r->recipient);
		HeapTuple	tuple;

		CHECK_FOR_INTERRUPTS();
		memset(values, 0, sizeof(values));
		/* a recipient that is not an address shows as NULL (raw kept in col 11) */
		if (rlen <= BS_ADDRESS_MAX * 2 &&
			bs_address_normalize(r->recipient, rlen, norm, sizeof(norm)) >= 0)
			values[0] = to_server(norm);
		values[1] = (char *) bs_kind_name(r->kind);
		values[2] = (char *) bs_type_name(r->type);
		values[3] = (char *) bs_reason_name(r->reason);
		if (r->reply_code >= 200 && r->reply_code <= 599)
			values[4] = psprintf("%d", r->reply_code);
		values[5] = r->status[0] ? r->status : NULL;
		values[6] = to_server(r->diagnostic);
		values[7] = to_server(r->remote_mta);
		values[8] = to_server(r->message_id);
		values[9] = r->has_time ? epoch_text(r->occurred_at) : NULL;
		if (natts == 13)
		{
			values[10] = to_server(r->recipient);
			values[11] = to_server(r->report_id);
			values[12] = to_server(r->feedback_type);
		}
		tuple = BuildTupleFromCStrings(attinmeta, values);
		tuplestore_puttuple(ts, tuple);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(parsecxt);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = ts;
	rsinfo->setDesc = tupdesc;
	return (Datum) 0;
}
