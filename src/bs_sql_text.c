/*-------------------------------------------------------------------------
 *
 * bs_sql_text.c
 *	  SQL bindings of the plain-C text parsers: normalize_address,
 *	  classify_smtp, parse_smtp_reply, is_sender_reason, is_known_reason;
 *	  and the small helpers the other backend files share (enum labels, the
 *	  actor).
 *
 *-------------------------------------------------------------------------
 */
#include "bounce_suppress.h"

#include "access/htup_details.h"
#include "catalog/pg_enum.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "bs_address.h"
#include "bs_smtp.h"

/* The OID of an enum label; elog if the type has no such label (a bug). */
Oid
bs_enum_label_oid(Oid enumtypid, const char *label)
{
	HeapTuple	tup;
	Oid			result;

	tup = SearchSysCache2(ENUMTYPOIDNAME,
						  ObjectIdGetDatum(enumtypid),
						  CStringGetDatum(label));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "enum type %u has no label \"%s\"", enumtypid, label);
	result = ((Form_pg_enum) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	return result;
}

Datum
bs_enum_datum_for_type(Oid enumtypid, int type)
{
	const char *label = bs_type_name((bs_type) type);

	/* a classifier result that is no bounce (a delivery) reads as undetermined */
	return ObjectIdGetDatum(bs_enum_label_oid(enumtypid, label ? label : "undetermined"));
}

/*
 * Normalize; NULL when the text is not an address.  The result is at most
 * BS_ADDRESS_MAX bytes whatever the input's length (a display name may make
 * the input longer), so a stack buffer holds it.
 */
text *
bs_normalize_or_null(text *address)
{
	char		buf[BS_ADDRESS_MAX + 1];
	int			n;

	n = bs_address_normalize(VARDATA_ANY(address), VARSIZE_ANY_EXHDR(address),
							 buf, sizeof(buf));
	return n < 0 ? NULL : cstring_to_text_with_len(buf, n);
}

PG_FUNCTION_INFO_V1(normalize_address);
/* normalize_address(text) -> text, NULL for text that is not an address */
Datum
normalize_address(PG_FUNCTION_ARGS)
{
	text	   *res = bs_normalize_or_null(PG_GETARG_TEXT_PP(0));

	if (res == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(res);
}

PG_FUNCTION_INFO_V1(classify_smtp);
/* classify_smtp(text) -> bounce_type */
Datum
classify_smtp(PG_FUNCTION_ARGS)
{
	text	   *reply = PG_GETARG_TEXT_PP(0);
	bs_smtp_result res;

	bs_smtp_classify(VARDATA_ANY(reply), VARSIZE_ANY_EXHDR(reply), NULL, &res);
	PG_RETURN_DATUM(bs_enum_datum_for_type(get_fn_expr_rettype(fcinfo->flinfo), res.type));
}

PG_FUNCTION_INFO_V1(parse_smtp_reply);
/* parse_smtp_reply(text) -> smtp_reply (reply_code, enhanced_status, bounce_type, reason) */
Datum
parse_smtp_reply(PG_FUNCTION_ARGS)
{
	text	   *reply = PG_GETARG_TEXT_PP(0);
	TupleDesc	tupdesc;
	bs_smtp_result res;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "parse_smtp_reply must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);

	bs_smtp_classify(VARDATA_ANY(reply), VARSIZE_ANY_EXHDR(reply), NULL, &res);

	values[0] = Int32GetDatum(res.reply_code);
	nulls[0] = res.reply_code == 0;
	values[1] = CStringGetTextDatum(res.enhanced_status);
	nulls[1] = res.enhanced_status[0] == '\0';
	values[2] = bs_enum_datum_for_type(TupleDescAttr(tupdesc, 2)->atttypid, res.type);
	values[3] = CStringGetTextDatum(bs_reason_name(res.reason) ? bs_reason_name(res.reason) : "undefined");

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(is_sender_reason);
/* is_sender_reason(text) -> boolean: does the reason blame the sender? */
Datum
is_sender_reason(PG_FUNCTION_ARGS)
{
	text	   *reason = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(bs_reason_is_sender(bs_reason_from_name(VARDATA_ANY(reason),
														   VARSIZE_ANY_EXHDR(reason))));
}

PG_FUNCTION_INFO_V1(is_known_reason);
/*
 * is_known_reason(text) -> boolean: is it a word of the reason vocabulary?
 * The CHECK on events.reason calls it: a function call is a much smaller
 * expression tree than a 36-way IN list, and the executor rebuilds CHECK
 * trees for every statement.
 */
Datum
is_known_reason(PG_FUNCTION_ARGS)
{
	text	   *reason = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(bs_reason_from_name(VARDATA_ANY(reason),
									   VARSIZE_ANY_EXHDR(reason)) != BS_R_NONE);
}

PG_FUNCTION_INFO_V1(current_actor);
/*
 * current_actor() -> text: the role on whose behalf the current statement
 * runs, seen through SECURITY DEFINER functions (which change current_user
 * to their owner).  The log triggers are SECURITY DEFINER, so they record
 * this rather than current_user.
 */
Datum
current_actor(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(GetOuterUserId(), false)));
}
