/*-------------------------------------------------------------------------
 *
 * bs_text.h
 *	  Byte-level text helpers shared by the plain-C parsers (bs_mime.c,
 *	  bs_report.c, bs_smtp.c): ASCII case folding and blanks.  Mail headers
 *	  and SMTP replies are ASCII where these are used; bytes >= 0x80 are
 *	  never folded.  No postgres.h, no allocation.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_TEXT_H
#define BS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* ASCII lower case of a byte (0..255). */
static inline int
bs_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Space or tab. */
static inline bool
bs_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Space, tab or a line end. */
static inline bool
bs_is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Do the n bytes at p spell lit (n bytes), ignoring ASCII case? */
static inline bool
bs_eq_ci(const void *p, const char *lit, size_t n)
{
	const unsigned char *s = (const unsigned char *) p;

	for (size_t i = 0; i < n; i++)
		if (bs_lower(s[i]) != bs_lower((unsigned char) lit[i]))
			return false;
	return true;
}

/* Does s[0..len) start with the NUL-terminated p, ignoring ASCII case? */
static inline bool
bs_prefix_ci(const void *s, size_t len, const char *p)
{
	size_t		n = strlen(p);

	return len >= n && bs_eq_ci(s, p, n);
}

#endif							/* BS_TEXT_H */
