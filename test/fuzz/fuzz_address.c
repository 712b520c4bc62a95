/*
 * fuzz_address.c
 *	  libFuzzer target for bs_address_normalize (src/bs_address.h).
 *
 *	  make -f test/standalone.mk fuzz-short
 *	  make -f test/standalone.mk fuzz-long TARGET=address FUZZ_RUNS=10000000
 *
 * Invariants checked on every input (any violation aborts, so libFuzzer
 * records a crash):
 *	- the output buffer is exactly as large as the header's contract asks
 *	  (min(len + 1, BS_ADDRESS_MAX + 1) bytes, heap-allocated, so ASan sees
 *	  any write past it), and a shorter buffer is refused, never overrun;
 *	- a result is NUL-terminated at the returned length, holds no other NUL,
 *	  is at most BS_ADDRESS_MAX octets and never longer than the input;
 *	- the local part (before the last @) is at most BS_LOCAL_MAX octets;
 *	- it is idempotent: normalizing the result again gives the same result;
 *	- it is lowercase ASCII: no A-Z remains;
 *	- it is deterministic: a second call on the same input agrees.
 */
#include "bs_address.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_address: invariant failed: %s (line %d)\n", #cond, __LINE__); \
			abort(); \
		} \
	} while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		cap = size + 1 < BS_ADDRESS_MAX + 1 ? size + 1 : BS_ADDRESS_MAX + 1;
	char	   *in = malloc(size ? size : 1);	/* exactly size bytes: no NUL after */
	char	   *out = malloc(cap);
	char	   *again = malloc(cap);
	char	   *third;
	int			n,
				m,
				k;
	const char *at;
	size_t		i;

	CHECK(in && out && again);
	memcpy(in, data, size);

	n = bs_address_normalize(in, size, out, cap);
	CHECK(n >= -1);
	if (n >= 0)
	{
		CHECK((size_t) n <= size);
		CHECK(n <= BS_ADDRESS_MAX);
		CHECK((size_t) n < cap);
		CHECK(out[n] == '\0');
		CHECK(memchr(out, '\0', n) == NULL);
		for (i = 0; i < (size_t) n; i++)
			CHECK(!(out[i] >= 'A' && out[i] <= 'Z'));
		at = strrchr(out, '@');
		CHECK(at != NULL);
		CHECK(at - out <= BS_LOCAL_MAX);

		/* idempotent: the normal form is its own normal form */
		m = bs_address_normalize(out, (size_t) n, again, (size_t) n + 1);
		CHECK(m == n);
		CHECK(memcmp(out, again, n + 1) == 0);

		/* deterministic */
		third = malloc(cap);
		CHECK(third);
		k = bs_address_normalize(in, size, third, cap);
		CHECK(k == n && memcmp(out, third, n + 1) == 0);

		/* a buffer too small for the result is refused, not overrun */
		if (n > 0)
		{
			char	   *small = malloc((size_t) n);

			CHECK(small);
			CHECK(bs_address_normalize(in, size, small, (size_t) n) == -1);
			free(small);
		}
		free(third);
	}

	free(in);
	free(out);
	free(again);
	return 0;
}
