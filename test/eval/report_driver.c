/*-------------------------------------------------------------------------
 *
 * report_driver.c
 *	  Runs bs_report_parse over files and prints one TSV line per row:
 *	  file, index, recipient, kind, type, reason, reply_code, status,
 *	  feedback_type, message_id, report_id, occurred_at, remote_mta,
 *	  diagnostic.  With -q only counts rows (for timing).  With -r N each
 *	  file is parsed N times.  Used by test/eval/report_corpus.py.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs_report.h"
#include "../unit/arena.h"

static const char *
nz(const char *s)
{
	return s ? s : "";
}

int
main(int argc, char **argv)
{
	arena		ar = {0};
	bs_alloc	al = {arena_alloc, &ar};
	int			quiet = 0;
	int			reps = 1;
	long		total = 0;
	int			i = 1;

	for (; i < argc && argv[i][0] == '-'; i++)
	{
		if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			reps = atoi(argv[++i]);
	}
	for (; i < argc; i++)
	{
		FILE	   *f = fopen(argv[i], "rb");
		char	   *buf;
		long		len;

		if (f == NULL)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc(len + 1);
		if (fread(buf, 1, len, f) != (size_t) len)
			len = 0;
		fclose(f);
		for (int r = 0; r < reps; r++)
		{
			bs_report	rep;

			bs_report_parse(buf, len, &al, &rep);
			total += rep.nrows;
			if (!quiet && r == 0)
				for (int k = 0; k < rep.nrows; k++)
				{
					bs_report_row *w = &rep.rows[k];

					printf("%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%lld\t%s\t%s\n",
						   argv[i], k + 1, w->recipient, bs_kind_name(w->kind),
						   nz(bs_type_name(w->type)), nz(bs_reason_name(w->reason)),
						   w->reply_code, w->status, nz(w->feedback_type),
						   nz(w->message_id), nz(w->report_id),
						   w->has_time ? (long long) w->occurred_at : -1LL,
						   nz(w->remote_mta), nz(w->diagnostic));
				}
			arena_reset(&ar);
		}
		free(buf);
	}
	free(ar.blocks);
	if (quiet)
		printf("%ld rows\n", total);
	return 0;
}
