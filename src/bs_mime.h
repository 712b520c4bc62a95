/*-------------------------------------------------------------------------
 *
 * bs_mime.h
 *	  A small, bounded MIME reader for bounce mails (plain C).
 *
 * The reader never includes postgres.h and keeps no global state: every byte
 * it produces comes from the caller's allocator (bs_alloc), which is meant to
 * be an arena (palloc in a memory context in the backend, a block list in the
 * tests): nothing is freed individually.
 *
 * What it does: line ends are normalized first (CRLF and lone CR become LF,
 * so the CRLF and CR-only copies of a mail parse byte for byte as the LF
 * original), then headers are unfolded and RFC 2047 encoded words decoded,
 * multiparts are split (nested), message/rfc822 (and message/global) parts are
 * parsed as enclosed messages, and quoted-printable / base64 bodies are
 * decoded.
 *
 * Caps (all inputs, however hostile, cost bounded time and memory):
 *	 BS_MIME_MAX_INPUT	 bytes of input looked at; the rest is ignored
 *	 BS_MIME_MAX_DEPTH	 nesting of multiparts / enclosed messages
 *	 BS_MIME_MAX_PARTS	 entities in one message (the rest are ignored)
 *	 BS_MIME_MAX_HEADERS header fields kept per entity
 * Memory is O(input size): each stage's output is no larger than its input.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_MIME_H
#define BS_MIME_H

#include <stdbool.h>
#include <stddef.h>

#define BS_MIME_MAX_INPUT	(64 * 1024 * 1024)
#define BS_MIME_MAX_DEPTH	8
#define BS_MIME_MAX_PARTS	128
#define BS_MIME_MAX_HEADERS 256

/* The caller's allocator: returns size bytes or NULL; never freed one by one. */
typedef struct bs_alloc
{
	void	   *(*alloc) (void *ctx, size_t size);
	void	   *ctx;
} bs_alloc;

typedef struct bs_header
{
	const char *name;			/* as written, not NUL-terminated */
	size_t		name_len;
	char	   *value;			/* unfolded, encoded words decoded, trimmed,
								 * NUL-terminated (raw bytes, maybe not UTF-8) */
	size_t		value_len;
} bs_header;

typedef struct bs_part
{
	bs_header  *headers;
	int			nheaders;
	char		ctype[64];		/* "type/subtype", lower case; "text/plain"
								 * when absent */
	int			depth;			/* 0 for the top-level message */
	bool		in_enclosed;	/* inside a message/rfc822 (or below) */
	bool		is_message;		/* the header block of a (enclosed) message */
	bool		is_multipart;
	char	   *body;			/* transfer-decoded, NUL-terminated; for a
								 * multipart the preamble only */
	size_t		body_len;
} bs_part;

typedef struct bs_message
{
	bs_part    *parts;			/* in document order; parts[0] is the message */
	int			nparts;
	bool		truncated;		/* a cap was hit */
} bs_message;

/* Allocate n bytes from the caller's allocator (NULL on failure). */
extern void *bs_alloc_bytes(const bs_alloc *a, size_t n);

/*
 * Normalize line ends of data[0..len) into a fresh NUL-terminated buffer
 * (CRLF and lone CR -> LF).  *out_len receives the length.
 */
extern char *bs_mime_normalize_eol(const char *data, size_t len,
								   const bs_alloc *a, size_t *out_len);

/*
 * Parse one message from an LF-normalized buffer.  Returns false only when
 * the allocator failed.  Garbage input gives a message with one part whose
 * body is the input.
 */
extern bool bs_mime_parse(const char *data, size_t len, const bs_alloc *a,
						  bs_message *out);

/*
 * Parse a header block (for text/rfc822-headers parts and header blocks
 * found inside plain-text bounces).  Reads fields until the first empty line
 * or the first line that is neither a field nor a continuation.
 * Returns the number of bytes consumed; the fields go to *hdrs, *nhdrs.
 */
extern size_t bs_mime_parse_headers(const char *data, size_t len,
									const bs_alloc *a,
									bs_header **hdrs, int *nhdrs);

/* The first header named name (case-insensitive), or NULL. */
extern const bs_header *bs_mime_header(const bs_header *hdrs, int nhdrs,
									   const char *name);

/*
 * Value of parameter param (e.g. "boundary") in a structured header value;
 * copied into out (NUL-terminated, at most outcap-1 bytes).  False if absent.
 */
extern bool bs_mime_param(const char *value, const char *param,
						  char *out, size_t outcap);

/*
 * Copy in[0..len) as valid UTF-8: ISO-8859-1 bytes are NOT guessed, invalid
 * sequences and control characters other than TAB become '?'; runs of
 * whitespace are kept.  Returns a NUL-terminated copy.
 */
extern char *bs_utf8_sanitize(const char *in, size_t len, const bs_alloc *a);

#endif							/* BS_MIME_H */
