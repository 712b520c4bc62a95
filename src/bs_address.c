/*-------------------------------------------------------------------------
 *
 * bs_address.c
 *	  Email address normalization (plain C; see bs_address.h).
 *
 * The normalized form is the key of suppressions, so it must be the same for
 * every spelling a mail system hands us ("Jane <Jane@Example.COM>",
 * "rfc822; jane@example.com", " jane@example.com ") and must not depend on
 * the database's locale.  We therefore lowercase with fixed tables rather
 * than the collation, and validate the syntax of RFC 5321/6531 closely
 * enough that text which is not an address is reported as such (the SQL
 * function returns NULL, the ingest functions raise 22023).
 *
 *-------------------------------------------------------------------------
 */
#include "bs_address.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* RFC 5322 atext, plus any octet of a UTF-8 sequence (RFC 6531). */
static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	if (c >= 0x80)
		return true;
	return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != '\0';
}

/* Length of the well-formed UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t		need,
				i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	/* reject overlong 3/4-byte forms, surrogates and > U+10FFFF */
	if (s[0] == 0xE0 && s[1] < 0xA0)
		return 0;
	if (s[0] == 0xED && s[1] >= 0xA0)
		return 0;
	if (s[0] == 0xF0 && s[1] < 0x90)
		return 0;
	if (s[0] == 0xF4 && s[1] >= 0x90)
		return 0;
	return need;
}

/*
 * Lowercase in place: ASCII, and the two-byte capitals of Latin-1
 * (U+00C0..U+00DE but U+00D7), Greek (U+0391..U+03A9) and Cyrillic
 * (U+0400..U+042F).  Every mapping keeps the byte length, so the result fits
 * where the input was.  Returns false on malformed UTF-8.
 */
static bool
lowercase(unsigned char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		size_t		k = utf8_seq_len(s + i, n - i);

		if (k == 0)
			return false;
		if (k == 1)
		{
			if (s[i] >= 'A' && s[i] <= 'Z')
				s[i] += 'a' - 'A';
		}
		else if (k == 2)
		{
			unsigned	cp = ((s[i] & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
			unsigned	lc = cp;

			if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
				lc = cp + 0x20;
			else if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
				lc = cp + 0x20;
			else if (cp >= 0x410 && cp <= 0x42F)
				lc = cp + 0x20;
			else if (cp >= 0x400 && cp <= 0x40F)
				lc = cp + 0x50;
			s[i] = (unsigned char) (0xC0 | (lc >> 6));
			s[i + 1] = (unsigned char) (0x80 | (lc & 0x3F));
		}
		i += k;
	}
	return true;
}

/* dot-atom: atext runs separated by single dots, no dot at either end. */
static bool
valid_dot_atom(const unsigned char *s, size_t n)
{
	size_t		i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++)
	{
		if (s[i] == '.')
		{
			if (s[i + 1] == '.')
				return false;
		}
		else if (!is_atext(s[i]))
			return false;
	}
	return true;
}

/* quoted-string local part: "..." with printable text and \-pairs. */
static bool
valid_quoted(const unsigned char *s, size_t n)
{
	size_t		i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (i = 1; i < n - 1; i++)
	{
		if (s[i] == '\\')
		{
			if (i + 1 >= n - 1 || s[i + 1] < 0x20 || s[i + 1] == 0x7F)
				return false;
			i++;
		}
		else if (s[i] == '"' || s[i] < 0x20 || s[i] == 0x7F)
			return false;
	}
	return true;
}

/* A host name of two or more labels, or an address literal in brackets. */
static bool
valid_domain(const unsigned char *s, size_t n)
{
	size_t		i,
				label_start = 0,
				labels = 0;

	if (n == 0)
		return false;
	if (s[0] == '[')
	{
		size_t		from = 1;

		if (n < 3 || s[n - 1] != ']')
			return false;
		if (n > 7 && strncasecmp((const char *) s + 1, "ipv6:", 5) == 0)
			from = 6;
		for (i = from; i < n - 1; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
				  (s[i] >= 'A' && s[i] <= 'F') || s[i] == '.' || s[i] == ':'))
				return false;
		return true;
	}
	for (i = 0; i <= n; i++)
	{
		if (i == n || s[i] == '.')
		{
			size_t		len = i - label_start;

			if (len == 0 || len > 63)
				return false;
			if (s[label_start] == '-' || s[i - 1] == '-')
				return false;
			labels++;
			label_start = i + 1;
		}
		else if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				   (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
				   s[i] >= 0x80))
			return false;
	}
	return labels >= 2;
}

int
bs_address_normalize(const char *in, size_t len, char *out, size_t outcap)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		b = 0,
				e = len,
				i,
				at,
				lt = (size_t) -1;
	bool		quoted = false;

	if (in == NULL || out == NULL)
		return -1;

	/* trim */
	while (b < e && is_space(s[b]))
		b++;
	while (e > b && is_space(s[e - 1]))
		e--;

	/* an address type prefix, as in a DSN's Final-Recipient: "rfc822;" */
	if (e - b >= 7 && strncasecmp((const char *) s + b, "rfc822;", 7) == 0)
	{
		b += 7;
		while (b < e && is_space(s[b]))
			b++;
	}

	/* "Display Name" <addr>: keep what the last unquoted <...> holds */
	for (i = b; i < e; i++)
	{
		if (s[i] == '\\' && quoted)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '<' && !quoted)
			lt = i;
	}
	if (lt != (size_t) -1)
	{
		if (s[e - 1] != '>' || e - 1 <= lt)
			return -1;
		b = lt + 1;
		e = e - 1;
		while (b < e && is_space(s[b]))
			b++;
		while (e > b && is_space(s[e - 1]))
			e--;
	}

	if (e - b > BS_ADDRESS_MAX || e - b < 3 || outcap < e - b + 1)
		return -1;

	/* the domain follows the last @ (a quoted local part may hold one) */
	at = (size_t) -1;
	for (i = e; i > b; i--)
		if (s[i - 1] == '@')
		{
			at = i - 1;
			break;
		}
	if (at == (size_t) -1 || at == b || at - b > BS_LOCAL_MAX)
		return -1;
	if (s[b] == '"' ? !valid_quoted(s + b, at - b) : !valid_dot_atom(s + b, at - b))
		return -1;
	if (!valid_domain(s + at + 1, e - at - 1))
		return -1;

	memcpy(out, s + b, e - b);
	out[e - b] = '\0';
	if (!lowercase((unsigned char *) out, e - b))
		return -1;
	return (int) (e - b);
}
