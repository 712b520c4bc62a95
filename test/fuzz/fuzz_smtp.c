/*-------------------------------------------------------------------------
 *
 * fuzz_smtp.c
 *	  libFuzzer target for the SMTP reply classifier: classifies the input
 *	  with and without a context (command, host and status carved from the
 *	  input itself) and checks the result's invariants.
 *
 *	  make -f test/standalone.mk fuzz-short
 *	  make -f test/standalone.mk fuzz-long TARGET=smtp FUZZ_RUNS=10000000
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bs_smtp.h"

/* Abort unless the result is well formed. */
static void
check(const bs_smtp_result *r)
{
	size_t		n = strnlen(r->enhanced_status, BS_STATUS_MAX);

	if ((int) r->type < BS_TYPE_NONE || r->type > BS_TYPE_UNDETERMINED)
		abort();
	if ((int) r->reason <= BS_R_NONE || r->reason >= BS_R__COUNT)
		abort();
	if (bs_reason_name(r->reason) == NULL)
		abort();
	if (n >= BS_STATUS_MAX || n > 9)
		abort();
	if (n > 0 && r->enhanced_status[0] != '2' && r->enhanced_status[0] != '4' &&
		r->enhanced_status[0] != '5')
		abort();
	if (r->reply_code != 0 && (r->reply_code < 200 || r->reply_code > 599))
		abort();
	/* the hard reasons are permanent, whatever the code */
	if ((r->reason == BS_R_USER_UNKNOWN || r->reason == BS_R_HOST_UNKNOWN) &&
		r->type != BS_TYPE_PERMANENT)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bs_smtp_result r1,
				r2;
	bs_smtp_context ctx;
	char	   *copy;

	/* exact-size copy: ASan then catches any read past the end */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	if (size)
		memcpy(copy, data, size);

	bs_smtp_classify(copy, size, NULL, &r1);
	check(&r1);

	/* deterministic: the same text gives the same answer */
	bs_smtp_classify(copy, size, NULL, &r2);
	if (memcmp(&r1, &r2, sizeof(r1)) != 0)
		abort();

	/* with a context cut from the input: command, status */
	memset(&ctx, 0, sizeof(ctx));
	if (size >= 3)
	{
		size_t		a = size / 3;

		ctx.command = copy;
		ctx.command_len = a < 8 ? a : 8;
		ctx.status = copy + a;
		ctx.status_len = size - a;
	}
	bs_smtp_classify(copy, size, &ctx, &r2);
	check(&r2);

	/* a fixed context too */
	ctx.command = "DATA";
	ctx.command_len = 4;
	ctx.status = "5.1.1";
	ctx.status_len = 5;
	bs_smtp_classify(copy, size, &ctx, &r2);
	check(&r2);

	free(copy);
	return 0;
}
