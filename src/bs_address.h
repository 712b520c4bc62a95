/*-------------------------------------------------------------------------
 *
 * bs_address.h
 *	  Email address normalization (plain C, no postgres.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_ADDRESS_H
#define BS_ADDRESS_H

#include <stddef.h>

#define BS_ADDRESS_MAX 254		/* octets in a whole address (RFC 5321 path) */
#define BS_LOCAL_MAX 64			/* octets before the @ */

/*
 * Normalize one address: trim, drop an "rfc822;" type prefix and a display
 * name with its <>, lowercase (ASCII plus the common two-byte Latin, Greek
 * and Cyrillic capitals), keep dots and +tags.  Writes the result and a NUL
 * into out (outcap must be at least len + 1, or BS_ADDRESS_MAX + 1) and
 * returns its length, or -1 when the text is not an email address.
 */
extern int	bs_address_normalize(const char *in, size_t len, char *out, size_t outcap);

#endif							/* BS_ADDRESS_H */
