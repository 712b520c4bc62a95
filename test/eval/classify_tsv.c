/*-------------------------------------------------------------------------
 *
 * classify_tsv.c
 *	  Evaluation driver for the SMTP classifier: reads one reply text per
 *	  line on stdin and prints "reply_code<TAB>status<TAB>type<TAB>reason"
 *	  per line.  With -b N it instead classifies all lines N times and
 *	  prints the mean cost per call (and per strlen over the same lines).
 *
 *	  Built and run by test/eval/classify_corpus.py.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bs_smtp.h"


/* Monotonic clock in nanoseconds. */
static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	char	  **lines = NULL;
	size_t	   *lens = NULL;
	size_t		n = 0,
				cap = 0;
	long		bench = 0;

	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		bench = atol(argv[2]);

	while (fgets(buf, sizeof(buf), stdin) != NULL)
	{
		size_t		len = strlen(buf);

		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (!bench)
		{
			bs_smtp_result r;

			bs_smtp_classify(buf, len, NULL, &r);
			printf("%d\t%s\t%s\t%s\n", r.reply_code, r.enhanced_status,
				   r.type == BS_TYPE_NONE ? "none" : bs_type_name(r.type), bs_reason_name(r.reason));
			continue;
		}
		if (n == cap)
		{
			cap = cap ? cap * 2 : 1024;
			lines = realloc(lines, cap * sizeof(*lines));
			lens = realloc(lens, cap * sizeof(*lens));
			if (!lines || !lens)
				return 1;
		}
		lines[n] = strdup(buf);
		lens[n++] = len;
	}
	if (bench && n > 0)
	{
		double		t0,
					t1,
					t2;
		volatile size_t sink = 0;
		size_t		bytes = 0;

		for (size_t i = 0; i < n; i++)
			bytes += lens[i];
		t0 = now_ns();
		for (long k = 0; k < bench; k++)
			for (size_t i = 0; i < n; i++)
			{
				bs_smtp_result r;

				bs_smtp_classify(lines[i], lens[i], NULL, &r);
				sink += r.reason;
			}
		t1 = now_ns();
		for (long k = 0; k < bench; k++)
			for (size_t i = 0; i < n; i++)
				sink += strlen(lines[i]);
		t2 = now_ns();
		printf("%zu rows x %ld, mean %.0f bytes: classify %.1f ns/call (%.2f ns/byte), strlen %.1f ns/call\n",
			   n, bench, (double) bytes / n, (t1 - t0) / ((double) n * bench),
			   (t1 - t0) / ((double) bytes * bench), (t2 - t1) / ((double) n * bench));
	}
	return 0;
}
