/*
 * test_address.c
 *	  Unit tests of bs_address_normalize (plain C, run under ASan+UBSan).
 */
#include "bs_address.h"
#include "unit.h"

#include <stdlib.h>

static const char *
norm(const char *in)
{
	static char buf[1024];
	int			n = bs_address_normalize(in, strlen(in), buf, sizeof(buf));

	return n < 0 ? NULL : buf;
}

int
main(void)
{
	char		big[600],
				out[8];

	CHECK_STR(norm("jane@example.com"), "jane@example.com");
	CHECK_STR(norm("  Jane.Doe+News@Example.COM \r\n"), "jane.doe+news@example.com");
	CHECK_STR(norm("<jane@example.com>"), "jane@example.com");
	CHECK_STR(norm("Jane Doe <Jane@Example.com>"), "jane@example.com");
	CHECK_STR(norm("\"Doe, Jane <boss>\" <jane@example.com>"), "jane@example.com");
	CHECK_STR(norm("rfc822; Jane@Example.com"), "jane@example.com");
	CHECK_STR(norm("RFC822;<jane@example.com>"), "jane@example.com");
	CHECK_STR(norm("\"john smith\"@example.com"), "\"john smith\"@example.com");
	CHECK_STR(norm("\"a@b\"@example.com"), "\"a@b\"@example.com");
	CHECK_STR(norm("user@[192.0.2.1]"), "user@[192.0.2.1]");
	CHECK_STR(norm("user@[IPv6:2001:db8::1]"), "user@[ipv6:2001:db8::1]");
	CHECK_STR(norm("JÖRG@BÜCHER.example"), "jörg@bücher.example");
	CHECK_STR(norm("ИВАН@ПОЧТА.РФ"), "иван@почта.рф");
	CHECK_STR(norm("user@xn--bcher-kva.example"), "user@xn--bcher-kva.example");
	CHECK_STR(norm("o'brien@example.ie"), "o'brien@example.ie");

	/* not addresses */
	CHECK(norm("") == NULL);
	CHECK(norm("   ") == NULL);
	CHECK(norm("jane") == NULL);
	CHECK(norm("jane@") == NULL);
	CHECK(norm("@example.com") == NULL);
	CHECK(norm("jane@localhost") == NULL);
	CHECK(norm("jane@@example.com") == NULL);
	CHECK(norm("jane..doe@example.com") == NULL);
	CHECK(norm(".jane@example.com") == NULL);
	CHECK(norm("jane.@example.com") == NULL);
	CHECK(norm("jane doe@example.com") == NULL);
	CHECK(norm("jane@-example.com") == NULL);
	CHECK(norm("jane@example..com") == NULL);
	CHECK(norm("jane@example.com.") == NULL);
	CHECK(norm("Jane <jane@example.com") == NULL);
	CHECK(norm("<>") == NULL);
	CHECK(norm("\"unterminated@example.com") == NULL);
	CHECK(norm("jane@exa mple.com") == NULL);
	CHECK(norm("bad\xff@example.com") == NULL);
	CHECK(norm("bad\xc3@example.com") == NULL);
	CHECK(norm("user@[192.0.2.1") == NULL);

	/* limits: 64 octets before @, 254 in all */
	memset(big, 'a', sizeof(big));
	memcpy(big + 64, "@example.com", 13);
	CHECK(norm(big) != NULL);
	memset(big, 'a', sizeof(big));
	memcpy(big + 65, "@example.com", 13);
	CHECK(norm(big) == NULL);
	memset(big, 'a', sizeof(big));
	big[10] = '@';
	for (int i = 21; i < 252; i += 10)
		big[i] = '.';
	big[254] = '\0';
	big[253] = 'b';
	CHECK(norm(big) != NULL);
	big[254] = 'c';
	big[255] = '\0';
	CHECK(norm(big) == NULL);

	/* reads only len bytes; refuses a too small output buffer */
	CHECK(bs_address_normalize("a@example.comXXXX", 13, big, sizeof(big)) == 13);
	CHECK_STR(big, "a@example.com");
	CHECK(bs_address_normalize("a@example.com", 13, out, sizeof(out)) == -1);
	CHECK(bs_address_normalize(NULL, 0, out, sizeof(out)) == -1);

	return UNIT_DONE();
}
