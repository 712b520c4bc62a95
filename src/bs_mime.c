/*-------------------------------------------------------------------------
 *
 * bs_mime.c
 *	  A small, bounded MIME reader for bounce mails (plain C; see bs_mime.h).
 *
 * Everything here works on LF-normalized text (bs_mime_normalize_eol), reads
 * only inside the [data, data+len) ranges it is given and allocates through
 * the caller's bs_alloc.  Each stage writes at most as many bytes as it
 * reads, so memory stays proportional to the input.
 *
 *-------------------------------------------------------------------------
 */
#include "bs_mime.h"
#include "bs_text.h"

#include <string.h>

/* Allocate n bytes from the caller's allocator (NULL on failure). */
void *
bs_alloc_bytes(const bs_alloc *a, size_t n)
{
	if (a == NULL || a->alloc == NULL)
		return NULL;
	return a->alloc(a->ctx, n == 0 ? 1 : n);
}

/* Normalize CRLF and lone CR to LF into a fresh NUL-terminated buffer. */
char *
bs_mime_normalize_eol(const char *data, size_t len, const bs_alloc *a,
					  size_t *out_len)
{
	char	   *out;
	size_t		o = 0;

	if (len > BS_MIME_MAX_INPUT)
		len = BS_MIME_MAX_INPUT;
	out = bs_alloc_bytes(a, len + 1);
	if (out == NULL)
		return NULL;
	if (memchr(data, '\r', len) == NULL)
	{
		/* already LF-only: the common case */
		memcpy(out, data, len);
		out[len] = '\0';
		*out_len = len;
		return out;
	}
	for (size_t i = 0; i < len; i++)
	{
		char		c = data[i];

		if (c == '\r')
		{
			out[o++] = '\n';
			if (i + 1 < len && data[i + 1] == '\n')
				i++;
		}
		else
			out[o++] = c;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

/* Length of the line starting at p (without its LF), bounded by end. */
static size_t
line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', end - p);

	return nl ? (size_t) (nl - p) : (size_t) (end - p);
}

/* True if the line [p, p+n) starts like a header field "Name:". */
static bool
is_field_line(const char *p, size_t n)
{
	size_t		i;

	for (i = 0; i < n && i < 200; i++)
	{
		unsigned char c = (unsigned char) p[i];

		if (c == ':')
			return i > 0;
		if (c <= 32 || c >= 127)
			return false;
	}
	return false;
}

/* Base64 value of c, or -1. */
static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = bs_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode base64 in[0..len) into out (at least len bytes); skips junk. */
static size_t
decode_base64(const char *in, size_t len, char *out)
{
	size_t		o = 0;
	unsigned int acc = 0;
	int			bits = 0;

	for (size_t i = 0; i < len; i++)
	{
		int			v;

		if (in[i] == '=')
			break;
		v = b64val((unsigned char) in[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned int) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out[o++] = (char) ((acc >> bits) & 0xFF);
		}
	}
	return o;
}

/*
 * Decode quoted-printable in[0..len) into out (at least len bytes).  With
 * header set, '_' means a space (RFC 2047 "Q").
 */
static size_t
decode_qp(const char *in, size_t len, char *out, bool header)
{
	size_t		o = 0;

	for (size_t i = 0; i < len; i++)
	{
		char		c = in[i];

		if (c == '=' && !header)
		{
			/* soft line break: "=" then optional blanks then LF */
			size_t		j = i + 1;

			while (j < len && bs_is_wsp((unsigned char) in[j]))
				j++;
			if (j >= len || in[j] == '\n')
			{
				i = j;
				continue;
			}
		}
		if (c == '=' && i + 2 < len &&
			hexval((unsigned char) in[i + 1]) >= 0 &&
			hexval((unsigned char) in[i + 2]) >= 0)
		{
			out[o++] = (char) (hexval((unsigned char) in[i + 1]) * 16 +
							   hexval((unsigned char) in[i + 2]));
			i += 2;
		}
		else if (c == '_' && header)
			out[o++] = ' ';
		else
			out[o++] = c;
	}
	return o;
}

/*
 * Append the bytes src[0..n) converted from charset to out.  Latin-1 family
 * charsets are converted to UTF-8 (2 bytes at most per byte: callers reserve
 * twice the input); any other charset is copied as is and sanitized later.
 */
static size_t
append_charset(char *out, const char *src, size_t n, const char *cs, size_t cslen)
{
	size_t		o = 0;
	bool		latin1 = bs_prefix_ci(cs, cslen, "iso-8859-1") ||
		bs_prefix_ci(cs, cslen, "latin1") || bs_prefix_ci(cs, cslen, "windows-1252") ||
		bs_prefix_ci(cs, cslen, "iso-8859-15");

	/* "iso-8859-1" must not match "iso-8859-10" etc. */
	if (latin1 && bs_prefix_ci(cs, cslen, "iso-8859-1") && cslen > 10 &&
		cs[10] >= '0' && cs[10] <= '9' && !bs_prefix_ci(cs, cslen, "iso-8859-15"))
		latin1 = false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) src[i];

		if (latin1 && c >= 0x80)
		{
			out[o++] = (char) (0xC0 | (c >> 6));
			out[o++] = (char) (0x80 | (c & 0x3F));
		}
		else
			out[o++] = (char) c;
	}
	return o;
}

/*
 * Decode RFC 2047 encoded words in in[0..len) into a new buffer.  Whitespace
 * between two adjacent encoded words is dropped, as the RFC says.
 */
static char *
decode_words(const char *in, size_t len, const bs_alloc *a, size_t *olen)
{
	char	   *out = bs_alloc_bytes(a, 2 * len + 1);
	char	   *tmp;
	size_t		o = 0;
	size_t		i = 0;
	size_t		pending_ws = 0;	/* start of whitespace after an encoded word */
	bool		last_was_word = false;

	if (out == NULL)
		return NULL;
	tmp = bs_alloc_bytes(a, len + 1);
	if (tmp == NULL)
		return NULL;
	while (i < len)
	{
		if (in[i] == '=' && i + 1 < len && in[i + 1] == '?')
		{
			/* =?charset?E?text?= */
			size_t		cs = i + 2,
						q1,
						q2,
						endw;

			q1 = cs;
			while (q1 < len && in[q1] != '?' && !bs_is_wsp((unsigned char) in[q1]) && q1 - cs < 64)
				q1++;
			if (q1 + 2 < len && in[q1] == '?' && in[q1 + 2] == '?' &&
				(bs_lower((unsigned char) in[q1 + 1]) == 'b' || bs_lower((unsigned char) in[q1 + 1]) == 'q'))
			{
				q2 = q1 + 3;
				endw = q2;
				while (endw + 1 < len && !(in[endw] == '?' && in[endw + 1] == '=') &&
					   in[endw] != '\n')
					endw++;
				if (endw + 1 < len && in[endw] == '?' && in[endw + 1] == '=')
				{
					size_t		n;
					size_t		cslen = q1 - cs;
					const char *star = memchr(in + cs, '*', cslen);

					/* RFC 2231 language suffix: "utf-8*en" */
					if (star)
						cslen = (size_t) (star - (in + cs));
					if (bs_lower((unsigned char) in[q1 + 1]) == 'b')
						n = decode_base64(in + q2, endw - q2, tmp);
					else
						n = decode_qp(in + q2, endw - q2, tmp, true);
					if (!last_was_word && pending_ws < i)
					{
						memcpy(out + o, in + pending_ws, i - pending_ws);
						o += i - pending_ws;
					}
					o += append_charset(out + o, tmp, n, in + cs, cslen);
					i = endw + 2;
					pending_ws = i;
					last_was_word = true;
					continue;
				}
			}
		}
		if (bs_is_wsp((unsigned char) in[i]))
		{
			/* hold whitespace until we know what follows */
			if (!last_was_word)
			{
				if (pending_ws < i)
				{
					memcpy(out + o, in + pending_ws, i - pending_ws);
					o += i - pending_ws;
				}
				pending_ws = i;
			}
			i++;
			while (i < len && bs_is_wsp((unsigned char) in[i]))
				i++;
			continue;
		}
		/* ordinary byte: flush held whitespace */
		if (pending_ws < i)
		{
			memcpy(out + o, in + pending_ws, i - pending_ws);
			o += i - pending_ws;
		}
		out[o++] = in[i];
		i++;
		pending_ws = i;
		last_was_word = false;
	}
	if (!last_was_word && pending_ws < len)
	{
		memcpy(out + o, in + pending_ws, len - pending_ws);
		o += len - pending_ws;
	}
	out[o] = '\0';
	*olen = o;
	return out;
}

/* Does s[0..n) contain "=?" (a possible RFC 2047 encoded word)? */
static bool
has_encoded_word(const char *s, size_t n)
{
	const char *p = s;
	const char *end = s + n;

	while (p < end && (p = memchr(p, '=', (size_t) (end - p))) != NULL)
	{
		if (p + 1 < end && p[1] == '?')
			return true;
		p++;
	}
	return false;
}

/* Unfold, decode and trim one header value in[0..len). */
static char *
header_value(const char *in, size_t len, const bs_alloc *a, size_t *olen)
{
	char	   *buf = bs_alloc_bytes(a, len + 1);
	size_t		o = 0;
	size_t		s;
	char	   *dec;

	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		if (in[i] == '\n')
			continue;			/* unfold: the continuation keeps its WSP */
		buf[o++] = (in[i] == '\t') ? ' ' : in[i];
	}
	/* trim */
	s = 0;
	while (s < o && bs_is_wsp((unsigned char) buf[s]))
		s++;
	while (o > s && bs_is_wsp((unsigned char) buf[o - 1]))
		o--;
	if (!has_encoded_word(buf + s, o - s))
	{
		/* no encoded word: the trimmed copy is the value */
		memmove(buf, buf + s, o - s);
		buf[o - s] = '\0';
		*olen = o - s;
		return buf;
	}
	dec = decode_words(buf + s, o - s, a, olen);
	return dec;
}

/* Parse a header block; see bs_mime.h. */
size_t
bs_mime_parse_headers(const char *data, size_t len, const bs_alloc *a,
					  bs_header **hdrs, int *nhdrs)
{
	const char *p = data;
	const char *end = data + len;
	int			count = 0;
	bs_header  *h;
	int			k;

	*hdrs = NULL;
	*nhdrs = 0;

	/* pass 1: count fields and find the end of the block */
	while (p < end)
	{
		size_t		n = line_len(p, end);

		if (n == 0)
		{
			p += (p + n < end) ? n + 1 : n;	/* eat the blank line */
			break;
		}
		if (is_field_line(p, n))
			count++;
		else if (!(bs_is_wsp((unsigned char) p[0]) && count > 0))
			break;
		p += (p + n < end) ? n + 1 : n;
	}
	if (count == 0)
		return (size_t) (p - data);	/* 0, or 1 for a leading blank line */
	if (count > BS_MIME_MAX_HEADERS)
		count = BS_MIME_MAX_HEADERS;
	h = bs_alloc_bytes(a, sizeof(bs_header) * (size_t) count);
	if (h == NULL)
		return (size_t) (p - data);

	/* pass 2: collect (name, unfolded value) */
	{
		const char *q = data;
		const char *stop = p;

		k = 0;
		while (q < stop && k < count)
		{
			size_t		n = line_len(q, stop);
			const char *colon;
			const char *vstart;
			const char *vend;

			if (n == 0 || !is_field_line(q, n))
			{
				q += (q + n < stop) ? n + 1 : n;
				continue;
			}
			colon = memchr(q, ':', n);
			vstart = colon + 1;
			vend = q + n;
			/* swallow continuation lines */
			while (vend < stop && vend + 1 < stop && bs_is_wsp((unsigned char) vend[1]))
			{
				size_t		m = line_len(vend + 1, stop);

				vend = vend + 1 + m;
			}
			h[k].name = q;
			h[k].name_len = (size_t) (colon - q);
			while (h[k].name_len > 0 && bs_is_wsp((unsigned char) q[h[k].name_len - 1]))
				h[k].name_len--;
			h[k].value = header_value(vstart, (size_t) (vend - vstart), a, &h[k].value_len);
			if (h[k].value == NULL)
				break;
			k++;
			q = (vend < stop) ? vend + 1 : vend;
		}
	}
	*hdrs = h;
	*nhdrs = k;
	return (size_t) (p - data);
}

/* The first header named name (case-insensitive), or NULL. */
const bs_header *
bs_mime_header(const bs_header *hdrs, int nhdrs, const char *name)
{
	size_t		n = strlen(name);

	for (int i = 0; i < nhdrs; i++)
		if (hdrs[i].name_len == n && bs_prefix_ci(hdrs[i].name, n, name))
			return &hdrs[i];
	return NULL;
}

/* Value of a parameter of a structured header value; see bs_mime.h. */
bool
bs_mime_param(const char *value, const char *param, char *out, size_t outcap)
{
	size_t		plen = strlen(param);
	const char *p = value;

	if (value == NULL || outcap == 0)
		return false;
	while ((p = strchr(p, ';')) != NULL)
	{
		p++;
		while (bs_is_wsp((unsigned char) *p))
			p++;
		if (bs_prefix_ci(p, strlen(p), param))
		{
			const char *v = p + plen;
			size_t		o = 0;

			while (bs_is_wsp((unsigned char) *v))
				v++;
			if (*v != '=')
				continue;
			v++;
			while (bs_is_wsp((unsigned char) *v))
				v++;
			if (*v == '"')
			{
				v++;
				while (*v && *v != '"' && o + 1 < outcap)
				{
					if (*v == '\\' && v[1])
						v++;
					out[o++] = *v++;
				}
			}
			else
			{
				while (*v && *v != ';' && !bs_is_wsp((unsigned char) *v) && o + 1 < outcap)
					out[o++] = *v++;
			}
			out[o] = '\0';
			return o > 0;
		}
	}
	return false;
}

/* Copy as valid UTF-8; see bs_mime.h. */
char *
bs_utf8_sanitize(const char *in, size_t len, const bs_alloc *a)
{
	char	   *out = bs_alloc_bytes(a, len + 1);
	size_t		o = 0;
	size_t		i = 0;

	if (out == NULL)
		return NULL;
	while (i < len)
	{
		unsigned char c = (unsigned char) in[i];
		size_t		n = 0;
		unsigned int cp = 0;

		if (c < 0x80)
		{
			out[o++] = (c < 0x20 && c != '\t' && c != '\n') || c == 0x7F ? '?' : (char) c;
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		if (n > 0)
		{
			bool		ok = true;

			for (size_t k = 1; k <= n; k++)
			{
				if (i + k >= len || ((unsigned char) in[i + k] & 0xC0) != 0x80)
				{
					ok = false;
					break;
				}
				cp = (cp << 6) | ((unsigned char) in[i + k] & 0x3F);
			}
			/* reject overlongs, surrogates and values past U+10FFFF */
			if (ok && ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
					   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
				ok = false;
			if (ok)
			{
				memcpy(out + o, in + i, n + 1);
				o += n + 1;
				i += n + 1;
				continue;
			}
		}
		out[o++] = '?';
		i++;
	}
	out[o] = '\0';
	return out;
}

/* The state of one bs_mime_parse call. */
typedef struct mime_state
{
	const bs_alloc *a;
	bs_message *msg;
	bool		oom;
} mime_state;

/* Decode a body by its Content-Transfer-Encoding into a new buffer. */
static char *
decode_body(const char *body, size_t len, const char *cte, const bs_alloc *a,
			size_t *olen)
{
	char	   *out = bs_alloc_bytes(a, len + 1);

	if (out == NULL)
		return NULL;
	if (cte && bs_prefix_ci(cte, strlen(cte), "base64"))
		*olen = decode_base64(body, len, out);
	else if (cte && bs_prefix_ci(cte, strlen(cte), "quoted-printable"))
		*olen = decode_qp(body, len, out, false);
	else
	{
		memcpy(out, body, len);
		*olen = len;
	}
	out[*olen] = '\0';
	return out;
}

/* Is the line [p, p+n) a delimiter "--boundary" (or the close "--boundary--")? */
static int
is_delimiter(const char *p, size_t n, const char *b, size_t blen)
{
	size_t		i;

	if (n < blen + 2 || p[0] != '-' || p[1] != '-' || memcmp(p + 2, b, blen) != 0)
		return 0;
	i = blen + 2;
	if (i + 2 <= n && p[i] == '-' && p[i + 1] == '-')
		return 2;
	for (; i < n; i++)
		if (!bs_is_wsp((unsigned char) p[i]))
			return 0;
	return 1;
}

static void parse_entity(mime_state *st, const char *data, size_t len,
						 int depth, bool in_enclosed, bool is_message);

/* Split a multipart body at its boundary and parse each part. */
static void
parse_multipart(mime_state *st, const char *body, size_t len, const char *b,
				int depth, bool in_enclosed, bs_part *self)
{
	size_t		blen = strlen(b);
	const char *p = body;
	const char *end = body + len;
	const char *part_start = NULL;
	bool		seen_first = false;

	while (p < end)
	{
		size_t		n = line_len(p, end);
		int			d = (n >= 2 && p[0] == '-') ? is_delimiter(p, n, b, blen) : 0;

		if (d)
		{
			if (!seen_first)
			{
				/* the preamble */
				self->body_len = (size_t) (p - body);
				seen_first = true;
			}
			else if (part_start)
			{
				size_t		plen = (size_t) (p - part_start);

				if (plen > 0)
					plen--;		/* the LF before the delimiter belongs to it */
				parse_entity(st, part_start, plen, depth + 1, in_enclosed, false);
				if (st->oom)
					return;
			}
			part_start = (p + n < end) ? p + n + 1 : p + n;
			if (d == 2)
				return;
		}
		p += (p + n < end) ? n + 1 : n;
		if (p == end && n == 0)
			break;
	}
	/* an unterminated last part still counts */
	if (part_start && part_start < end)
		parse_entity(st, part_start, (size_t) (end - part_start), depth + 1,
					 in_enclosed, false);
}

/* Parse one entity (headers + body) and its children into st->msg. */
static void
parse_entity(mime_state *st, const char *data, size_t len, int depth,
			 bool in_enclosed, bool is_message)
{
	bs_message *m = st->msg;
	bs_part    *self;
	size_t		hlen;
	const bs_header *ct;
	const bs_header *cte;
	const char *body;
	size_t		blen;
	char		boundary[256];

	if (m->nparts >= BS_MIME_MAX_PARTS || depth > BS_MIME_MAX_DEPTH)
	{
		m->truncated = true;
		return;
	}
	self = &m->parts[m->nparts++];
	memset(self, 0, sizeof(*self));
	self->depth = depth;
	self->in_enclosed = in_enclosed;
	self->is_message = is_message;

	hlen = bs_mime_parse_headers(data, len, st->a, &self->headers, &self->nheaders);
	body = data + hlen;
	blen = len - hlen;

	strcpy(self->ctype, "text/plain");
	ct = bs_mime_header(self->headers, self->nheaders, "Content-Type");
	if (ct)
	{
		size_t		i = 0;

		while (i < ct->value_len && i + 1 < sizeof(self->ctype) &&
			   ct->value[i] != ';' && !bs_is_wsp((unsigned char) ct->value[i]))
		{
			self->ctype[i] = (char) bs_lower((unsigned char) ct->value[i]);
			i++;
		}
		self->ctype[i] = '\0';
		if (i == 0 || strchr(self->ctype, '/') == NULL)
			strcpy(self->ctype, "text/plain");
	}
	cte = bs_mime_header(self->headers, self->nheaders, "Content-Transfer-Encoding");

	if (strncmp(self->ctype, "multipart/", 10) == 0 && ct &&
		bs_mime_param(ct->value, "boundary", boundary, sizeof(boundary)) &&
		depth < BS_MIME_MAX_DEPTH)
	{
		int			before = m->nparts;

		self->is_multipart = true;
		self->body = (char *) body;
		self->body_len = blen;
		parse_multipart(st, body, blen, boundary, depth, in_enclosed, self);
		if (st->oom)
			return;
		if (m->nparts == before)
		{
			/*
			 * No delimiter matched the boundary: read the body as plain text
			 * rather than lose it.
			 */
			self->is_multipart = false;
			strcpy(self->ctype, "text/plain");
			self->body = decode_body(body, blen, NULL, st->a, &self->body_len);
			if (self->body == NULL)
				st->oom = true;
			return;
		}
		/* keep the preamble NUL-terminated in a copy */
		{
			char	   *pre = bs_alloc_bytes(st->a, self->body_len + 1);

			if (pre == NULL)
			{
				st->oom = true;
				return;
			}
			memcpy(pre, body, self->body_len);
			pre[self->body_len] = '\0';
			self->body = pre;
		}
		return;
	}

	/* a multipart whose boundary is lost is best read as text */
	if (strncmp(self->ctype, "multipart/", 10) == 0)
		strcpy(self->ctype, "text/plain");
	self->body = decode_body(body, blen, cte ? cte->value : NULL, st->a, &self->body_len);
	if (self->body == NULL)
	{
		st->oom = true;
		return;
	}
	if ((strcmp(self->ctype, "message/rfc822") == 0 ||
		 strcmp(self->ctype, "message/global") == 0) &&
		depth < BS_MIME_MAX_DEPTH)
		parse_entity(st, self->body, self->body_len, depth + 1, true, true);
}

/* Parse one message; see bs_mime.h. */
bool
bs_mime_parse(const char *data, size_t len, const bs_alloc *a, bs_message *out)
{
	mime_state	st;

	memset(out, 0, sizeof(*out));
	out->parts = bs_alloc_bytes(a, sizeof(bs_part) * BS_MIME_MAX_PARTS);
	if (out->parts == NULL)
		return false;
	st.a = a;
	st.msg = out;
	st.oom = false;
	parse_entity(&st, data, len, 0, false, true);
	return !st.oom;
}
