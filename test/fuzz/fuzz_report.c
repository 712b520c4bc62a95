/*-------------------------------------------------------------------------
 *
 * fuzz_report.c
 *	  libFuzzer target for the report parser and the MIME reader: any bytes
 *	  must parse without a crash, a sanitizer report or unbounded memory, and
 *	  every output string must be valid UTF-8 within its cap.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_report.h"
#include "../unit/arena.h"

/* Abort unless s is valid UTF-8 (the SQL side relies on it). */
static void
check_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	if (s == NULL)
		return;
	while (*p)
	{
		int			n = *p < 0x80 ? 0 : *p >= 0xF0 ? 3 : *p >= 0xE0 ? 2 : *p >= 0xC2 ? 1 : -1;

		if (n < 0)
			abort();
		for (int k = 1; k <= n; k++)
			if ((p[k] & 0xC0) != 0x80)
				abort();
		p += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena		ar = {0};
	bs_alloc	al = {arena_alloc, &ar};
	bs_report	rep;

	if (!bs_report_parse((const char *) data, size, &al, &rep))
		abort();
	if (rep.nrows < 0 || rep.nrows > BS_REPORT_MAX_ROWS)
		abort();
	for (int i = 0; i < rep.nrows; i++)
	{
		bs_report_row *r = &rep.rows[i];

		if (r->recipient == NULL || r->report_id == NULL)
			abort();
		check_utf8(r->recipient);
		check_utf8(r->diagnostic);
		check_utf8(r->remote_mta);
		check_utf8(r->message_id);
		check_utf8(r->report_id);
		check_utf8(r->feedback_type);
		if (r->diagnostic && strlen(r->diagnostic) > BS_REPORT_MAX_DIAG)
			abort();
		if (bs_reason_name(r->reason) == NULL)
			abort();
	}
	arena_free(&ar);
	return 0;
}
