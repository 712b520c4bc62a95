/*-------------------------------------------------------------------------
 *
 * bs_report.c
 *	  Bounce mails and complaint reports -> rows (plain C; see bs_report.h).
 *
 * Order of attempts for each message:
 *	 1. an ARF part (message/feedback-report)	   -> complaint rows
 *	 2. an RFC 3464 part (message/delivery-status), or DSN fields written
 *		into a text part						   -> one row per recipient block
 *	 3. an Amazon SES notification mailed by SNS  -> its recipients
 *	 4. an RFC 3834 auto-reply					   -> nothing (not a bounce)
 *	 5. a plain-text bounce of some MTA			   -> generic shape rules: the
 *		human-readable text up to the copy of the original message is cut
 *		into one segment per failed address; the segment is the diagnostic.
 *
 * The generic rules never key on one MTA's wording beyond a few separator
 * phrases ("original message", "copy of the message", "unsent message",
 * ...): a recipient is an address that is not the sender's, and its
 * diagnostic is the text that follows it until the next recipient.
 *
 *-------------------------------------------------------------------------
 */
#include "bs_report.h"
#include "bs_text.h"

#include <stdio.h>
#include <string.h>

/* One RFC 3464 per-recipient block, as strings pointing into arena memory. */
typedef struct dsn_rec
{
	const char *final_rcpt;
	const char *orig_rcpt;
	const char *action;
	const char *status;
	const char *diag;
	const char *remote_mta;
	const char *last_attempt;
} dsn_rec;

#define MAX_DSN_RECS BS_REPORT_MAX_ROWS
#define MAX_EXCLUDE 16
#define MAX_NATIVE_RCPTS 64
/*
 * Work bounds on huge texts: the human-readable text is searched in its
 * first MAX_HUMAN_SCAN bytes, one recipient's segment is at most MAX_SEGMENT
 * bytes and the SMTP command is looked for in at most MAX_CONTEXT bytes, so
 * a 10 MB mail costs a few passes over its bytes, not one per recipient.
 */
#define MAX_HUMAN_SCAN (64 * 1024)
#define MAX_SEGMENT (16 * 1024)
#define MAX_CONTEXT (64 * 1024)
#define MAX_TRANSCRIPT_WORK (1024 * 1024)	/* per notice */

/* State for parsing one report message. */
typedef struct rp_state
{
	const bs_alloc *a;
	bs_report  *out;
	bool		oom;
	/* per message */
	const char *report_id;
	bool		has_date;
	int64_t		date;
	const char *orig_msgid;
	const char *orig_to;
	const char *exclude[MAX_EXCLUDE];
	int			nexclude;
	const char *from_domain;	/* domain of the report's From, or NULL */
	const char *diag_type;		/* Diagnostic-Code type other than smtp, for
								 * the row being added; else NULL */
	bool		delayed;		/* the row being added is a delay notice
								 * (DSN Action: delayed) */
	const char *human;			/* the whole human-readable text of the
								 * notice being parsed, or NULL */
	size_t		hlen;
	size_t		transcript_budget;	/* bytes of human still to be searched
									 * for transcripts in this notice */
} rp_state;

static bool
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive search of NUL-terminated needle in hay[0..len). */
static const char *
find_ci(const char *hay, size_t len, const char *needle)
{
	size_t		n = strlen(needle);
	int			first;

	if (n == 0 || len < n)
		return NULL;
	first = bs_lower((unsigned char) needle[0]);
	for (size_t i = 0; i + n <= len; i++)
	{
		size_t		k = 1;

		if (bs_lower((unsigned char) hay[i]) != first)
			continue;

		while (k < n && bs_lower((unsigned char) hay[i + k]) == bs_lower((unsigned char) needle[k]))
			k++;
		if (k == n)
			return hay + i;
	}
	return NULL;
}

/*
 * Which of the (at most 64) NUL-terminated lower-case patterns occur in
 * hay[0..len), case-insensitively, as a bit mask.  One pass over hay: a
 * position is compared only with the patterns that start with its letter,
 * so a dozen phrases cost little more than one.
 */
static uint64_t
match_mask_ci(const char *hay, size_t len, const char *const *pats, int npat)
{
	uint64_t	firsts[256 / 64] = {0};
	uint64_t	byfirst[256];	/* read only where firsts has the bit */
	uint64_t	found = 0;
	uint64_t	all = (npat >= 64) ? ~(uint64_t) 0 : (((uint64_t) 1 << npat) - 1);

	for (int k = 0; k < npat; k++)
		byfirst[(unsigned char) pats[k][0]] = 0;
	for (int k = 0; k < npat; k++)
	{
		unsigned char f = (unsigned char) pats[k][0];

		firsts[f / 64] |= (uint64_t) 1 << (f % 64);
		byfirst[f] |= (uint64_t) 1 << k;
	}
	for (size_t i = 0; i < len && found != all; i++)
	{
		unsigned char c = (unsigned char) bs_lower((unsigned char) hay[i]);
		uint64_t	todo;

		if (!(firsts[c / 64] & ((uint64_t) 1 << (c % 64))))
			continue;
		/* only the patterns starting with this letter, not yet found */
		for (todo = byfirst[c] & ~found; todo != 0; todo &= todo - 1)
		{
			int			k = __builtin_ctzll(todo);
			const char *p = pats[k];
			size_t		j = 1;
			size_t		h = i + 1;

			/* a space in a pattern matches any run of blanks and line ends */
			while (p[j] && h < len)
			{
				if (p[j] == ' ' && bs_is_space((unsigned char) hay[h]))
				{
					while (h < len && bs_is_space((unsigned char) hay[h]))
						h++;
					j++;
				}
				else if (bs_lower((unsigned char) hay[h]) == (unsigned char) p[j])
				{
					h++;
					j++;
				}
				else
					break;
			}
			if (p[j] == '\0')
				found |= (uint64_t) 1 << k;
		}
	}
	return found;
}

static size_t
line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t) (end - p));

	return nl ? (size_t) (nl - p) : (size_t) (end - p);
}

/* Copy s[0..n) into the arena, NUL-terminated. */
static char *
dup_n(rp_state *st, const char *s, size_t n)
{
	char	   *d = bs_alloc_bytes(st->a, n + 1);

	if (d == NULL)
	{
		st->oom = true;
		return NULL;
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/*
 * Copy s[0..n) with every run of whitespace collapsed into one space, trimmed,
 * cut at max bytes, and made valid UTF-8.
 */
static char *
clean_text(rp_state *st, const char *s, size_t n, size_t max)
{
	char	   *tmp = bs_alloc_bytes(st->a, (n < max ? n : max) + 1);
	size_t		o = 0;
	bool		sp = false;
	char	   *res;

	if (tmp == NULL)
	{
		st->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n && o < max; i++)
	{
		if (bs_is_space((unsigned char) s[i]))
		{
			sp = (o > 0);
			continue;
		}
		if (sp && o + 1 < max)
			tmp[o++] = ' ';
		sp = false;
		tmp[o++] = s[i];
	}
	/* do not cut a UTF-8 sequence in the middle: sanitize replaces it */
	res = bs_utf8_sanitize(tmp, o, st->a);
	if (res == NULL)
		st->oom = true;
	return res;
}

/* ----------------------------------------------------------------------
 * Dates
 * ----------------------------------------------------------------------
 */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const char *const MONTHS[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

/* Offset in minutes of a named zone, or false. */
static bool
zone_name(const char *s, size_t n, int *mins)
{
	static const struct
	{
		const char *name;
		int			mins;
	}			zones[] = {
		{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0},
		{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
		{"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
		{"jst", 540}, {"cet", 60}, {"cest", 120}, {"bst", 60}
	};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strlen(zones[i].name) == n && bs_prefix_ci(s, n, zones[i].name))
		{
			*mins = zones[i].mins;
			return true;
		}
	return false;
}

/* Parse an RFC 5322 (or ISO 8601) date; see bs_report.h. */
bool
bs_parse_date(const char *s, size_t len, int64_t *out)
{
	int			day = -1,
				mon = -1,
				hh = -1,
				mi = -1,
				ss = 0,
				zone = 0;
	int64_t		year = -1;
	size_t		i = 0;

	if (len > 200)
		len = 200;

	/* ISO 8601: 2016-11-23T12:00:59.530Z */
	if (len >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' '))
	{
		int			v[6];
		static const int pos[6] = {0, 5, 8, 11, 14, 17};
		static const int wid[6] = {4, 2, 2, 2, 2, 2};

		for (int k = 0; k < 6; k++)
		{
			v[k] = 0;
			for (int j = 0; j < wid[k]; j++)
			{
				char		c = s[pos[k] + j];

				if (c < '0' || c > '9')
					return false;
				v[k] = v[k] * 10 + (c - '0');
			}
		}
		if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
			return false;
		i = 19;
		while (i < len && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			i++;
		if (i + 6 <= len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':')
		{
			int			z = 0;

			for (int k = 1; k <= 5; k++)
			{
				if (k == 3)
					continue;
				if (s[i + k] < '0' || s[i + k] > '9')
					return false;
			}
			z = ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * 60 +
				(s[i + 4] - '0') * 10 + (s[i + 5] - '0');
			zone = (s[i] == '-') ? -z : z;
		}
		*out = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5]
			- (int64_t) zone * 60;
		return true;
	}

	while (i < len)
	{
		size_t		j;

		while (i < len && (bs_is_space((unsigned char) s[i]) || s[i] == ','))
			i++;
		if (i >= len)
			break;
		if (s[i] == '(')
		{
			/* comment: skip */
			while (i < len && s[i] != ')')
				i++;
			i++;
			continue;
		}
		j = i;
		if ((s[i] == '+' || s[i] == '-') && i + 4 < len &&
			s[i + 1] >= '0' && s[i + 1] <= '9' && hh >= 0)
		{
			int			z = 0;

			for (int k = 1; k <= 4; k++)
			{
				if (s[i + k] < '0' || s[i + k] > '9')
					return false;
			}
			z = ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * 60 +
				(s[i + 3] - '0') * 10 + (s[i + 4] - '0');
			zone = (s[i] == '-') ? -z : z;
			i += 5;
			continue;
		}
		while (j < len && !bs_is_space((unsigned char) s[j]) && s[j] != ',' && s[j] != '(')
			j++;
		if (s[i] >= '0' && s[i] <= '9')
		{
			if (memchr(s + i, ':', j - i))
			{
				/* hh:mm[:ss] */
				int			parts[3] = {-1, -1, 0};
				int			k = 0;
				size_t		p = i;

				parts[0] = 0;
				while (p < j && k < 3)
				{
					if (s[p] == ':')
					{
						if (++k >= 3)
							break;
						parts[k] = 0;
					}
					else if (s[p] >= '0' && s[p] <= '9')
						parts[k] = parts[k] * 10 + (s[p] - '0');
					else
						break;
					if (parts[k] > 99)
						return false;
					p++;
				}
				hh = parts[0];
				mi = parts[1];
				ss = parts[2] < 0 ? 0 : parts[2];
			}
			else
			{
				int64_t		v = 0;

				for (size_t p = i; p < j && p < i + 9; p++)
				{
					if (s[p] < '0' || s[p] > '9')
						break;
					v = v * 10 + (s[p] - '0');
				}
				if (day < 0 && mon < 0 && v >= 1 && v <= 31 && j - i <= 2)
					day = (int) v;
				else if (year < 0)
				{
					if (day < 0 && v >= 1 && v <= 31 && mon >= 0)
						day = (int) v;	/* "Apr 29 2010" */
					else
						year = (j - i <= 2) ? (v < 50 ? 2000 + v : 1900 + v) : v;
				}
			}
		}
		else
		{
			size_t		n = j - i;

			if (n >= 3)
				for (int k = 0; k < 12; k++)
					if (bs_prefix_ci(s + i, n, MONTHS[k]))
						mon = k + 1;
			if (hh >= 0)
			{
				int			z;

				if (zone_name(s + i, n, &z))
					zone = z;
			}
		}
		i = j;
	}
	if (day < 1 || mon < 1 || year < 1900 || year > 9999 || hh < 0 || hh > 23 ||
		mi < 0 || mi > 59 || ss > 60)
		return false;
	*out = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mi * 60 + ss
		- (int64_t) zone * 60;
	return true;
}

/* ----------------------------------------------------------------------
 * Addresses
 * ----------------------------------------------------------------------
 */

static bool
is_local_char(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL);
}

static bool
is_domain_char(int c)
{
	return is_alnum(c) || c == '.' || c == '-';
}

/*
 * Find the first e-mail address in s[0..len) at or after *pos.  On success
 * *start and *alen give it and *pos moves past it.
 */
static bool
next_address(const char *s, size_t len, size_t *pos, size_t *start, size_t *alen)
{
	size_t		i = *pos;

	while (i < len)
	{
		const char *at = memchr(s + i, '@', len - i);
		size_t		a,
					b,
					e;
		size_t		lastdot = 0;
		bool		has_alpha_tld = true;

		if (at == NULL)
			break;
		a = (size_t) (at - s);
		b = a;
		while (b > 0 && is_local_char((unsigned char) s[b - 1]) && a - b < 64)
			b--;
		while (b < a && (s[b] == '.' || s[b] == '=' || s[b] == '/' || s[b] == '\''))
			b++;
		e = a + 1;
		while (e < len && is_domain_char((unsigned char) s[e]) && e - a < 255)
		{
			if (s[e] == '.')
				lastdot = e;
			e++;
		}
		while (e > a + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
		{
			e--;
			if (lastdot == e)
			{
				lastdot = 0;
				for (size_t k = a + 1; k < e; k++)
					if (s[k] == '.')
						lastdot = k;
			}
		}
		if (lastdot > a + 1 && e - lastdot >= 3)
		{
			for (size_t k = lastdot + 1; k < e; k++)
				if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
					  s[k] == '-' ||
					  (s[k] >= '0' && s[k] <= '9' && k > lastdot + 1)))
					has_alpha_tld = false;
		}
		else
			has_alpha_tld = false;
		if (b < a && has_alpha_tld)
		{
			*start = b;
			*alen = e - b;
			*pos = e;
			return true;
		}
		i = a + 1;
	}
	*pos = len;
	return false;
}

/* Case-insensitive equality of two addresses. */
static bool
addr_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (bs_lower((unsigned char) a[i]) != bs_lower((unsigned char) b[i]))
			return false;
	return true;
}

/* Strip "rfc822;" and <> from a recipient field value. */
static char *
clean_recipient(rp_state *st, const char *v)
{
	const char *semi;
	size_t		n;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi && semi - v < 20)
		v = semi + 1;
	while (bs_is_space((unsigned char) *v))
		v++;
	n = strlen(v);
	while (n > 0 && bs_is_space((unsigned char) v[n - 1]))
		n--;
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>')
	{
		v++;
		n -= 2;
	}
	if (n == 0)
		return NULL;
	return clean_text(st, v, n, 512);
}

/* Is v exactly one address (nothing else around it)? */
static bool
is_clean_address(const char *v)
{
	size_t		pos = 0,
				s,
				n;
	size_t		len = v ? strlen(v) : 0;

	return len > 0 && next_address(v, len, &pos, &s, &n) && s == 0 && n == len;
}

/*
 * The recipient of a DSN block: Final-Recipient, unless it is not an address
 * (a pipe, "@host:user@server", "unknown") and Original-Recipient is; else
 * the first address inside Final-Recipient; else the text as given.
 */
static char *
pick_recipient(rp_state *st, const char *final, const char *orig)
{
	char	   *f = clean_recipient(st, final);
	char	   *o = clean_recipient(st, orig);
	size_t		pos = 0,
				s,
				n;

	if (f && is_clean_address(f))
		return f;
	if (o && is_clean_address(o))
		return o;
	if (f && next_address(f, strlen(f), &pos, &s, &n))
		return dup_n(st, f + s, n);
	return f ? f : o;
}

/* Remember the address(es) in v as not-a-recipient (the sender's own). */
static void
add_exclude(rp_state *st, const char *v)
{
	size_t		pos = 0,
				s,
				n;

	if (v == NULL)
		return;
	while (st->nexclude < MAX_EXCLUDE && next_address(v, strlen(v), &pos, &s, &n))
	{
		char	   *d = dup_n(st, v + s, n);

		if (d)
			st->exclude[st->nexclude++] = d;
	}
}

static bool
is_excluded(rp_state *st, const char *a, size_t n)
{
	for (int i = 0; i < st->nexclude; i++)
		if (addr_eq(st->exclude[i], strlen(st->exclude[i]), a, n))
			return true;
	/* the mailer's own mailboxes are never the failed recipient */
	if (bs_prefix_ci(a, n, "mailer-daemon@"))
		return true;
	if (bs_prefix_ci(a, n, "postmaster@") && st->from_domain &&
		addr_eq(a + 11, n - 11, st->from_domain, strlen(st->from_domain)))
		return true;
	return false;
}

/* ----------------------------------------------------------------------
 * Rows and classification
 * ----------------------------------------------------------------------
 */

/* The SMTP command a text says the reply answered, or NULL. */
static const char *
find_command(const char *t, size_t n)
{
	/* in order of preference: the first one found wins */
	static const char *const phrases[] = {
		"in reply to rcpt to", "in reply to mail from", "in reply to end of data",
		"in reply to data", "in reply to ehlo", "in reply to helo",
		"after rcpt to", "after mail from", "after end of data", "after data",
		"after pipelined rcpt to", "after pipelined mail from",
		"after pipelined end of data", "after pipelined data",
		"after ehlo", "after helo", "after initial connection",
		"final data", "rcpt to response", "[rcpt_to]", "rcpt to:", "mail from:",
		"connect to",
	};
	static const char *const cmds[] = {
		"RCPT", "MAIL", "DATA", "DATA", "HELO", "HELO", "RCPT", "MAIL", "DATA",
		"DATA", "RCPT", "MAIL", "DATA", "DATA", "HELO", "HELO", "CONN",
		"DATA", "RCPT", "RCPT", "RCPT", "MAIL", "CONN",
	};

	uint64_t	m;

	_Static_assert(sizeof(phrases) / sizeof(phrases[0]) ==
				   sizeof(cmds) / sizeof(cmds[0]), "one command per phrase");

	if (t == NULL)
		return NULL;
	m = match_mask_ci(t, n, phrases, (int) (sizeof(phrases) / sizeof(phrases[0])));
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (m & ((uint64_t) 1 << i))
			return cmds[i];
	return NULL;
}

/*
 * Is the line (after leading blanks) a reply in a session transcript,
 * "<<< 550 ..." ?  Sets *fail for 4xx/5xx and *cont for "<<< 550-..."
 * (a line of a multi-line reply that is not its last).
 */
static bool
transcript_reply(const char *p, size_t l, bool *fail, bool *cont)
{
	if (l < 7 || memcmp(p, "<<< ", 4) != 0 || p[4] < '2' || p[4] > '5' ||
		p[5] < '0' || p[5] > '9' || p[6] < '0' || p[6] > '9')
		return false;
	*fail = (p[4] == '4' || p[4] == '5');
	*cont = (l > 7 && p[7] == '-');
	return true;
}

/*
 * The SMTP command of a session transcript (Sendmail, Courier and others:
 * ">>> RCPT To:<a@b>" for what was sent, "<<< 550 ..." for the answer) that
 * a failure reply answered: the last command sent before the first "<<< 4xx"
 * or "<<< 5xx" line.  With addr, only a failure line naming addr counts.
 *
 * With pipelining (RFC 2920) the client sends MAIL, RCPT and DATA at once
 * and the transcript shows only the last command: several replies then
 * follow it, and only the last answers it.  A failure reply followed by
 * another reply before the next command answered one of the earlier
 * commands, which the transcript does not show: unknown.
 *
 * NULL when the text has no such transcript.  Looks at most MAX_CONTEXT
 * bytes.
 */
static const char *
transcript_command(const char *t, size_t n, const char *addr)
{
	const char *p = t;
	const char *end;
	const char *last = NULL;
	const char *found = NULL;
	bool		matched = false,
				in_reply = false;

	if (t == NULL)
		return NULL;
	end = t + (n < MAX_CONTEXT ? n : MAX_CONTEXT);
	while (p < end)
	{
		size_t		l = line_len(p, end);
		size_t		k = 0;
		bool		fail,
					cont;

		while (k < l && bs_is_wsp((unsigned char) p[k]))
			k++;
		if (l - k >= 4 && memcmp(p + k, ">>> ", 4) == 0)
		{
			const char *c = p + k + 4;
			size_t		cl = l - k - 4;

			if (matched)
				return found;
			while (cl > 0 && bs_is_space((unsigned char) c[cl - 1]))
				cl--;
			if (bs_prefix_ci(c, cl, "rcpt"))
				last = "RCPT";
			else if (bs_prefix_ci(c, cl, "mail"))
				last = "MAIL";
			else if (bs_prefix_ci(c, cl, "data") || bs_prefix_ci(c, cl, "bdat") ||
					 (cl == 1 && c[0] == '.'))
				last = "DATA";
			else if (bs_prefix_ci(c, cl, "ehlo") || bs_prefix_ci(c, cl, "helo") ||
					 bs_prefix_ci(c, cl, "lhlo"))
				last = "HELO";
			else
				last = NULL;	/* STARTTLS, RSET, ...: says nothing */
		}
		else if (transcript_reply(p + k, l - k, &fail, &cont))
		{
			if (matched && !in_reply)
				return NULL;	/* pipelined: an earlier command's */
			if (matched)
				in_reply = cont;
			else if (fail && (addr == NULL || find_ci(p + k, l - k, addr) != NULL))
			{
				matched = true;
				found = last;
				in_reply = cont;
			}
		}
		p += l;
		if (p < end)
			p++;
	}
	return matched ? found : NULL;
}

static bool
weak_reason(bs_reason r)
{
	return r == BS_R_UNDEFINED || r == BS_R_ON_HOLD || r == BS_R_NONE;
}

/* Is s[0..n) nothing but a number of 1 to 3 digits (blanks around)? */
static bool
bare_number(const char *s, size_t n)
{
	size_t		a = 0,
				d = 0;

	while (a < n && bs_is_space((unsigned char) s[a]))
		a++;
	while (a < n && s[a] >= '0' && s[a] <= '9')
		a++, d++;
	while (a < n && bs_is_space((unsigned char) s[a]))
		a++;
	return a == n && d >= 1 && d <= 3;
}

/* Is s an enhanced status code "d.ddd.ddd"? */
static bool
is_status(const char *s)
{
	int			dots = 0;

	if (s == NULL || !(s[0] == '2' || s[0] == '4' || s[0] == '5') || s[1] != '.')
		return false;
	for (const char *p = s + 1; *p; p++)
	{
		if (*p == '.')
			dots++;
		else if (*p < '0' || *p > '9')
			return false;
	}
	return dots == 2;
}

/*
 * Append a row and classify it.  diag may be NULL; status is a DSN Status
 * field (or NULL); context is extra text to look for the SMTP command in.
 */
static bs_report_row *
add_row(rp_state *st, const char *rcpt, size_t rlen, bs_kind kind,
		const char *diag, size_t dlen, const char *status,
		const char *remote_mta, const char *context, size_t clen)
{
	bs_report *out = st->out;
	bs_report_row *r;
	char		stbuf[BS_STATUS_MAX];

	if (out->nrows >= BS_REPORT_MAX_ROWS)
	{
		out->truncated = true;
		return NULL;
	}
	r = &out->rows[out->nrows];
	memset(r, 0, sizeof(*r));
	r->recipient = clean_text(st, rcpt, rlen, 512);
	if (r->recipient == NULL || r->recipient[0] == '\0')
		return NULL;
	r->kind = kind;
	r->report_id = (char *) st->report_id;
	r->message_id = (char *) st->orig_msgid;
	r->has_time = st->has_date;
	r->occurred_at = st->date;
	if (diag && dlen > 0)
		r->diagnostic = clean_text(st, diag, dlen, BS_REPORT_MAX_DIAG);
	if (remote_mta && remote_mta[0])
		r->remote_mta = clean_text(st, remote_mta, strlen(remote_mta), 255);

	/* status from the DSN field, trimmed of comments */
	stbuf[0] = '\0';
	if (status)
	{
		size_t		k = 0;

		while (*status && bs_is_space((unsigned char) *status))
			status++;
		while (status[k] && !bs_is_space((unsigned char) status[k]) &&
			   status[k] != '(' && k + 1 < sizeof(stbuf))
		{
			stbuf[k] = status[k];
			k++;
		}
		stbuf[k] = '\0';
		if (!is_status(stbuf))
			stbuf[0] = '\0';
	}

	if (kind == BS_KIND_BOUNCE)
	{
		bs_smtp_context ctx;
		bs_smtp_result res;
		const char *d = r->diagnostic ? r->diagnostic : "";
		const char *cmd = find_command(d, strlen(d));

		/*
		 * A session transcript says which command a failure answered:
		 * in the diagnostic itself, in the text about this recipient, or
		 * at a failure line of the whole notice that names it.
		 */
		if (cmd == NULL)
			cmd = transcript_command(d, strlen(d), NULL);
		if (cmd == NULL && context && context != st->human)
			cmd = transcript_command(context, clen, r->recipient);
		if (cmd == NULL && st->human && st->transcript_budget > 0)
		{
			size_t		n = st->hlen < MAX_CONTEXT ? st->hlen : MAX_CONTEXT;

			/* bounded per notice: many recipients, one search each */
			st->transcript_budget = n < st->transcript_budget ?
				st->transcript_budget - n : 0;
			cmd = transcript_command(st->human, n, r->recipient);
		}
		if (cmd == NULL && context)
			cmd = find_command(context, clen < MAX_CONTEXT ? clen : MAX_CONTEXT);
		memset(&ctx, 0, sizeof(ctx));
		if (cmd)
		{
			ctx.command = cmd;
			ctx.command_len = strlen(cmd);
		}
		if (stbuf[0])
		{
			ctx.status = stbuf;
			ctx.status_len = strlen(stbuf);
		}
		/*
		 * A Diagnostic-Code of a type other than smtp ("X-Unix; 77",
		 * "X-Postfix; ...") is classified with its type: the type says a
		 * local mailer or the MTA itself wrote it.
		 */
		if (st->diag_type && d[0])
		{
			char	   *full = bs_alloc_bytes(st->a, strlen(st->diag_type) + strlen(d) + 3);

			if (full == NULL)
			{
				st->oom = true;
				return NULL;
			}
			sprintf(full, "%s; %s", st->diag_type, d);
			bs_smtp_classify(full, strlen(full), &ctx, &res);
		}
		else
			bs_smtp_classify(d, strlen(d), &ctx, &res);
		r->type = res.type;
		r->reason = res.reason;
		r->reply_code = res.reply_code;
		if (res.enhanced_status[0])
			memcpy(r->status, res.enhanced_status, BS_STATUS_MAX);
		else if (stbuf[0])
			memcpy(r->status, stbuf, BS_STATUS_MAX);

		/*
		 * The DSN's Status may be more telling than a reply text the
		 * classifier could not place: ask the classifier about the status.
		 */
		if (weak_reason(r->reason) && stbuf[0])
		{
			bs_smtp_result res2;

			bs_smtp_classify(stbuf, strlen(stbuf), &ctx, &res2);

			/*
			 * A bare 4.x.x status reads as "still queued, will expire";
			 * that guess is no better than a reply text that said
			 * something vague, unless the notice is a delay notice.
			 */
			if (!weak_reason(res2.reason) &&
				!(res2.reason == BS_R_EXPIRED && d[0] && !st->delayed))
			{
				r->reason = res2.reason;
				r->type = res2.type;
			}
		}

		/*
		 * A delay notice (RFC 3464 Action: delayed) reports a message
		 * still queued: transient whatever the last reply said; with no
		 * better reason than a vague reply, the queue lifetime is what
		 * will end it.
		 */
		if (st->delayed && r->reason != BS_R_DELIVERED)
		{
			if (weak_reason(r->reason))
				r->reason = BS_R_EXPIRED;
			r->type = BS_TYPE_TRANSIENT;
		}
		if (r->reason == BS_R_DELIVERED)
		{
			r->kind = BS_KIND_DELIVERY;
			r->type = BS_TYPE_NONE;
		}
	}
	else
	{
		r->type = BS_TYPE_NONE;
		r->reason = (kind == BS_KIND_COMPLAINT) ? BS_R_FEEDBACK : BS_R_DELIVERED;
		if (stbuf[0])
			memcpy(r->status, stbuf, BS_STATUS_MAX);
	}
	out->nrows++;
	return r;
}

/* True if this message already has a row for the address. */
static bool
have_row(rp_state *st, int first, const char *a, size_t n)
{
	for (int i = first; i < st->out->nrows; i++)
	{
		const char *r = st->out->rows[i].recipient;

		if (addr_eq(r, strlen(r), a, n))
			return true;
	}
	return false;
}

/* Does the address in field value b also appear in field value a? */
static bool
same_address(const char *a, const char *b)
{
	size_t		pos = 0,
				s,
				n;
	char		tmp[256];

	if (!next_address(b, strlen(b), &pos, &s, &n) || n >= sizeof(tmp))
		return false;
	memcpy(tmp, b + s, n);
	tmp[n] = '\0';
	return find_ci(a, strlen(a), tmp) != NULL;
}

/* ----------------------------------------------------------------------
 * RFC 3464 delivery status
 * ----------------------------------------------------------------------
 */

/* The value after "type;" in a typed DSN field ("smtp; 550 ..."). */
static const char *
after_type(const char *v)
{
	const char *semi;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi && semi - v < 20)
	{
		bool		word = true;

		for (const char *p = v; p < semi; p++)
			if (!(is_alnum((unsigned char) *p) || *p == '-' || *p == ' '))
				word = false;
		if (word)
		{
			v = semi + 1;
			while (bs_is_space((unsigned char) *v))
				v++;
		}
	}
	return v;
}

/*
 * The lines of human[0..hlen) about address a: from the line naming it up
 * to the next blank line (at most 8 lines).  NULL when a is not there.
 */
static bool is_label_line(const char *p, size_t n);

static const char *
human_paragraph(const char *human, size_t hlen, const char *a, size_t *plen)
{
	size_t		scan = hlen < MAX_HUMAN_SCAN ? hlen : MAX_HUMAN_SCAN;
	const char *e = human + hlen;
	const char *from = human;
	const char *hit = NULL;
	const char *p;
	int			lines = 0;

	/* the first mention that is not in a "To: ..." header listing */
	while (from < human + scan)
	{
		const char *h = find_ci(from, (size_t) (human + scan - from), a);
		const char *ls;

		if (h == NULL)
			break;
		ls = h;
		while (ls > human && ls[-1] != '\n')
			ls--;
		if (!is_label_line(ls, line_len(ls, e)))
		{
			hit = ls;
			break;
		}
		from = h + 1;
	}
	if (hit == NULL)
		return NULL;
	p = hit;
	while (p < e && lines < 8)
	{
		size_t		n = line_len(p, e);

		p += n;
		if (p < e)
			p++;
		lines++;
		/* a blank line ends it, unless it follows the address's own line */
		if (p < e && *p == '\n' && lines > 1)
			break;
		if (p < e && *p == '\n')
			p++;
		/* a line that starts with another address is another recipient's */
		if (p < e)
		{
			size_t		m = line_len(p, e);
			size_t		k = 0,
						pos = 0,
						s,
						al;

			while (k < m && (bs_is_wsp((unsigned char) p[k]) || p[k] == '<'))
				k++;
			if (next_address(p, m, &pos, &s, &al) && s == k &&
				!(al == strlen(a) && addr_eq(p + s, al, a, al)))
				break;
		}
	}
	*plen = (size_t) (p - hit);
	return hit;
}

/*
 * Parse DSN fields in text[0..len) and add one row per recipient block.
 * human is the human-readable part (for diagnostics a block lacks).
 * Returns the number of rows added.
 */
static int
parse_dsn(rp_state *st, const char *text, size_t len, const char *human,
		  size_t hlen)
{
	dsn_rec    *recs;
	int			nrec = 0;
	int			cur = -1;
	const char *arrival = NULL;
	const char *reporting = NULL;
	size_t		pos = 0;
	int			added = 0;
	int			first_row = st->out->nrows;

	recs = bs_alloc_bytes(st->a, sizeof(dsn_rec) * MAX_DSN_RECS);
	if (recs == NULL)
	{
		st->oom = true;
		return 0;
	}
	st->human = human;
	st->hlen = human ? hlen : 0;
	st->transcript_budget = (st->human && find_ci(human, hlen < MAX_CONTEXT ? hlen : MAX_CONTEXT,
												  "\n<<< ")) ? MAX_TRANSCRIPT_WORK : 0;
	while (pos < len && nrec <= MAX_DSN_RECS)
	{
		bs_header  *h;
		int			nh;
		size_t		used;
		bool		block_ended;

		/* skip lines that are not fields (blank lines, prose) */
		{
			size_t		n = line_len(text + pos, text + len);
			const char *colon = memchr(text + pos, ':', n);
			bool		field = colon != NULL && colon > text + pos;

			for (const char *p = text + pos; field && p < colon; p++)
				if ((unsigned char) *p <= 32 || (unsigned char) *p >= 127)
					field = false;
			if (!field)
			{
				if (n == 0 && cur >= 0)
					cur = -1;	/* a blank line ends a recipient block */
				pos += n + 1;
				continue;
			}
		}
		used = bs_mime_parse_headers(text + pos, len - pos, st->a, &h, &nh);
		if (used == 0)
			used = line_len(text + pos, text + len) + 1;
		pos += used;
		/* the block ended with a blank line: the next field starts a new one */
		block_ended = (pos >= 2 && pos <= len && text[pos - 1] == '\n' && text[pos - 2] == '\n');
		for (int i = 0; i < nh; i++)
		{
			const char *name = h[i].name;
			size_t		nl = h[i].name_len;
			const char *v = h[i].value;

#define IS(f) (nl == strlen(f) && bs_prefix_ci(name, nl, f))
			if (IS("Final-Recipient") || IS("Original-Recipient"))
			{
				bool		fin = IS("Final-Recipient");

				/*
				 * Original-Recipient usually precedes Final-Recipient but may
				 * follow it; sloppy DSNs also omit the blank line between
				 * blocks, so a repeated field starts the next block.
				 */
				if (cur < 0 || (fin && recs[cur].final_rcpt) ||
					(!fin && (recs[cur].orig_rcpt ||
							  (recs[cur].final_rcpt &&
							   !same_address(recs[cur].final_rcpt, v)))))
				{
					if (nrec >= MAX_DSN_RECS)
					{
						st->out->truncated = true;
						break;
					}
					cur = nrec++;
					memset(&recs[cur], 0, sizeof(dsn_rec));
				}
				if (fin)
					recs[cur].final_rcpt = v;
				else
					recs[cur].orig_rcpt = v;
			}
			else if (IS("Reporting-MTA"))
				reporting = v;
			else if (IS("Arrival-Date"))
				arrival = v;
			else if (IS("Action") || IS("Status") || IS("Diagnostic-Code") ||
					 IS("Remote-MTA") || IS("Last-Attempt-Date"))
			{
				/* fields before the recipient's: keep them for it */
				if (cur < 0)
				{
					if (nrec >= MAX_DSN_RECS)
					{
						st->out->truncated = true;
						break;
					}
					cur = nrec++;
					memset(&recs[cur], 0, sizeof(dsn_rec));
				}
				if (IS("Action"))
					recs[cur].action = v;
				else if (IS("Status"))
					recs[cur].status = v;
				else if (IS("Diagnostic-Code"))
					recs[cur].diag = v;
				else if (IS("Remote-MTA"))
					recs[cur].remote_mta = v;
				else if (IS("Last-Attempt-Date"))
					recs[cur].last_attempt = v;
			}
#undef IS
		}
		if (block_ended)
			cur = -1;
	}
	(void) reporting;

	for (int i = 0; i < nrec && !st->oom; i++)
	{
		dsn_rec    *r = &recs[i];
		char	   *rcpt = pick_recipient(st, r->final_rcpt, r->orig_rcpt);
		bs_kind		kind = BS_KIND_BOUNCE;
		const char *diag = after_type(r->diag);
		size_t		dlen = diag ? strlen(diag) : 0;
		bs_report_row *row;
		int64_t		t;
		const char *para;
		size_t		plen = 0;

		if (rcpt == NULL)
			continue;
		if (r->action)
		{
			if (bs_prefix_ci(r->action, strlen(r->action), "delivered") ||
				bs_prefix_ci(r->action, strlen(r->action), "relayed") ||
				bs_prefix_ci(r->action, strlen(r->action), "expanded"))
				kind = BS_KIND_DELIVERY;
		}
		else if (r->status && r->status[0] == '2')
			kind = BS_KIND_DELIVERY;

		/*
		 * The human-readable part's paragraph about this address: the
		 * diagnostic when the block has no Diagnostic-Code, and where the
		 * SMTP command is looked for ("in reply to RCPT TO command").
		 */
		para = human ? human_paragraph(human, hlen, rcpt, &plen) : NULL;
		if ((diag == NULL || dlen == 0) && para && kind == BS_KIND_BOUNCE)
		{
			diag = para;
			dlen = plen;
		}
		if (have_row(st, first_row, rcpt, strlen(rcpt)))
			continue;
		st->diag_type = NULL;
		st->delayed = r->action && bs_prefix_ci(r->action, strlen(r->action), "delayed");

		/*
		 * A Diagnostic-Code that is only a local mailer's exit status
		 * ("X-Unix; 77") when the text about the address explains it in
		 * words ("(reason: Insufficient permission)"): the words.
		 */
		if (para && diag && diag != para && bare_number(diag, dlen) &&
			kind == BS_KIND_BOUNCE)
		{
			bs_smtp_result pr;

			bs_smtp_classify(para, plen, NULL, &pr);
			if (!weak_reason(pr.reason) && pr.reason != BS_R_DELIVERED)
			{
				diag = para;
				dlen = plen;
			}
		}
		if (r->diag && diag && diag != r->diag && !bs_prefix_ci(r->diag, strlen(r->diag), "smtp"))
		{
			const char *semi = strchr(r->diag, ';');

			if (semi)
				st->diag_type = dup_n(st, r->diag, (size_t) (semi - r->diag));
		}
		row = add_row(st, rcpt, strlen(rcpt), kind, diag, dlen, r->status,
					  after_type(r->remote_mta), para ? para : human,
					  para ? plen : hlen);
		st->diag_type = NULL;
		st->delayed = false;
		if (row == NULL)
			continue;
		added++;
		if (r->last_attempt && bs_parse_date(r->last_attempt, strlen(r->last_attempt), &t))
		{
			row->has_time = true;
			row->occurred_at = t;
		}
		else if (arrival && bs_parse_date(arrival, strlen(arrival), &t))
		{
			row->has_time = true;
			row->occurred_at = t;
		}
	}
	st->human = NULL;
	st->hlen = 0;
	return added;
}

/* ----------------------------------------------------------------------
 * ARF (RFC 5965)
 * ----------------------------------------------------------------------
 */

/* Add one complaint row for the recipient text who (an address or not). */
static bs_report_row *
add_complaint(rp_state *st, const char *who, const char *ftype,
			  const char *arrival)
{
	size_t		pos = 0,
				s,
				n;
	char	   *c = clean_recipient(st, who);
	bs_report_row *row;
	int64_t		t;

	if (c == NULL)
		return NULL;
	if (!next_address(c, strlen(c), &pos, &s, &n))
	{
		/* "Undisclosed recipients": a row all the same (recipient NULL in SQL) */
		s = 0;
		n = strlen(c);
	}
	row = add_row(st, c + s, n, BS_KIND_COMPLAINT, NULL, 0, NULL, NULL, NULL, 0);
	if (row == NULL)
		return NULL;
	row->feedback_type = clean_text(st, ftype ? ftype : "abuse", strlen(ftype ? ftype : "abuse"), 64);
	if (arrival && bs_parse_date(arrival, strlen(arrival), &t))
	{
		row->has_time = true;
		row->occurred_at = t;
	}
	return row;
}

/*
 * An RFC 5965 feedback report: one complaint row per Original-Rcpt-To, else
 * for the To: of the returned message.
 */
static int
parse_arf(rp_state *st, const char *text, size_t len)
{
	bs_header  *h;
	int			nh;
	const bs_header *ft,
			   *arr;
	const char *ftype = NULL;
	int			added = 0;

	bs_mime_parse_headers(text, len, st->a, &h, &nh);
	ft = bs_mime_header(h, nh, "Feedback-Type");
	arr = bs_mime_header(h, nh, "Arrival-Date");
	if (arr == NULL)
		arr = bs_mime_header(h, nh, "Received-Date");
	if (ft)
		ftype = ft->value;
	for (int i = 0; i < nh && !st->oom; i++)
		if (h[i].name_len == 16 && bs_prefix_ci(h[i].name, 16, "Original-Rcpt-To"))
		{
			if (!have_row(st, 0, h[i].value, h[i].value_len) &&
				add_complaint(st, h[i].value, ftype, arr ? arr->value : NULL))
				added++;
		}
	if (added == 0 && st->orig_to &&
		add_complaint(st, st->orig_to, ftype, arr ? arr->value : NULL))
		added++;
	return added;
}

/* ----------------------------------------------------------------------
 * Amazon SES notifications mailed by SNS (JSON in the body)
 * ----------------------------------------------------------------------
 */

/* Copy the JSON string value after "key": at or after p; NULL if none. */
static char *
json_string(rp_state *st, const char *p, const char *end, const char *key,
			const char **after)
{
	size_t		klen = strlen(key);

	while (p < end)
	{
		const char *k = memchr(p, '"', (size_t) (end - p));
		const char *v;
		size_t		o = 0;
		char	   *buf;

		if (k == NULL || (size_t) (end - k) < klen + 3)
			return NULL;
		if (memcmp(k + 1, key, klen) != 0 || k[klen + 1] != '"')
		{
			p = k + 1;
			continue;
		}
		v = k + klen + 2;
		while (v < end && (bs_is_space((unsigned char) *v) || *v == ':'))
			v++;
		if (v >= end || *v != '"')
		{
			p = v;
			continue;
		}
		v++;
		buf = bs_alloc_bytes(st->a, (size_t) (end - v) < 4096 ? (size_t) (end - v) + 1 : 4097);
		if (buf == NULL)
		{
			st->oom = true;
			return NULL;
		}
		while (v < end && *v != '"' && o < 4096)
		{
			if (*v == '\\' && v + 1 < end)
			{
				v++;
				buf[o++] = (*v == 'n' || *v == 't') ? ' ' : *v;
			}
			else
				buf[o++] = *v;
			v++;
		}
		buf[o] = '\0';
		if (after)
			*after = v;
		return buf;
	}
	return NULL;
}

static int
parse_ses(rp_state *st, const char *body, size_t len)
{
	const char *end = body + len;
	const char *p;
	char	   *type = json_string(st, body, end, "notificationType", NULL);
	bs_kind		kind;
	const char *list;
	int			added = 0;

	if (type == NULL)
		return 0;
	if (strcmp(type, "Bounce") == 0)
	{
		kind = BS_KIND_BOUNCE;
		list = "bouncedRecipients";
	}
	else if (strcmp(type, "Complaint") == 0)
	{
		kind = BS_KIND_COMPLAINT;
		list = "complainedRecipients";
	}
	else if (strcmp(type, "Delivery") == 0)
	{
		kind = BS_KIND_DELIVERY;
		list = "recipients";
	}
	else
		return 0;
	{
		char		pat[32];

		snprintf(pat, sizeof(pat), "\"%s\"", list);
		p = find_ci(body, len, pat);
		if (p == NULL)
			return 0;
	}
	if (kind == BS_KIND_DELIVERY)
	{
		/* "recipients":["a@b", ...] */
		const char *q = memchr(p, '[', (size_t) (end - p));
		const char *close = q ? memchr(q, ']', (size_t) (end - q)) : NULL;
		size_t		pos = 0,
					s,
					n;

		if (q == NULL || close == NULL)
			return 0;
		while (next_address(q, (size_t) (close - q), &pos, &s, &n))
			if (add_row(st, q + s, n, kind, NULL, 0, "2.0.0", NULL, NULL, 0))
				added++;
		return added;
	}
	for (int guard = 0; guard < BS_REPORT_MAX_ROWS; guard++)
	{
		const char *after = NULL;
		char	   *addr = json_string(st, p, end, "emailAddress", &after);
		const char *next;
		char	   *diag = NULL,
				   *status = NULL;
		bs_report_row *row;

		if (addr == NULL)
			break;
		next = find_ci(after, (size_t) (end - after), "\"emailAddress\"");
		if (kind == BS_KIND_BOUNCE)
		{
			const char *lim = next ? next : end;

			/* this recipient's object lies between it and the next one */
			const char *objstart = after;

			for (const char *b = after; b > p && b > after - 400; b--)
				if (*b == '{')
				{
					objstart = b;
					break;
				}
			diag = json_string(st, objstart, lim, "diagnosticCode", NULL);
			status = json_string(st, objstart, lim, "status", NULL);
		}
		row = add_row(st, addr, strlen(addr), kind, diag, diag ? strlen(diag) : 0,
					  status, NULL, NULL, 0);
		if (row)
		{
			added++;
			if (kind == BS_KIND_COMPLAINT)
			{
				char	   *ft = json_string(st, body, end, "complaintFeedbackType", NULL);

				row->feedback_type = ft ? ft : clean_text(st, "abuse", 5, 64);
			}
		}
		if (next == NULL)
			break;
		p = next;
	}
	return added;
}

/* ----------------------------------------------------------------------
 * Plain-text bounces
 * ----------------------------------------------------------------------
 */

/* Does the line look like the separator before the returned message? */
static bool
is_separator(const char *p, size_t n)
{
	static const char *const phrases[] = {
		"original message", "copy of the message", "copy of your message",
		"unsent message", "returned message", "message headers follow",
		"header of the original", "headers of the original",
		"below this line", "message text follows", "original mail",
		"content of the original", "returned mail follows",
		"original text follows", "header of original", "message follows",
	};
	size_t		s = 0;

	while (s < n && bs_is_wsp((unsigned char) p[s]))
		s++;
	if (s >= n || n - s < 11)
		return false;
	if (!match_mask_ci(p, n, phrases, (int) (sizeof(phrases) / sizeof(phrases[0]))))
		return false;
	if (!is_alnum((unsigned char) p[s]))
		return true;
	while (n > s && (bs_is_wsp((unsigned char) p[n - 1]) || p[n - 1] == '.' || p[n - 1] == ':'))
		n--;
	return n - s >= 7 && bs_prefix_ci(p + n - 7, 7, "follows");
}

/* Does a header block (the returned message) start at this line? */
static bool
starts_header_block(const char *p, size_t n)
{
	static const char *const names[] = {
		"Received:", "Return-Path:", "Message-ID:", "DKIM-Signature:",
		"Delivered-To:", "X-Received:", "ARC-Seal:", "Authentication-Results:",
		"Received-SPF:", "DomainKey-Signature:"
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bs_prefix_ci(p, n, names[i]))
			return true;
	return false;
}

/* Does the line carry a header-like label whose address is not a recipient? */
static bool
is_label_line(const char *p, size_t n)
{
	static const char *const labels[] = {
		"to", "from", "cc", "reply-to", "sender", "subject", "date", "sent",
		"return-path", "envelope-from", "x-original-to"
	};
	size_t		s = 0;

	while (s < n && bs_is_wsp((unsigned char) p[s]))
		s++;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
	{
		size_t		l = strlen(labels[i]);

		if (bs_prefix_ci(p + s, n - s, labels[i]))
		{
			size_t		k = s + l;

			while (k < n && bs_is_wsp((unsigned char) p[k]))
				k++;
			if (k < n && p[k] == ':')
				return true;
		}
	}
	return false;
}

/* Words that tell a bounce from an ordinary mail in a Subject or From. */
static bool
bouncy(const char *v)
{
	static const char *const words[] = {
		"mailer-daemon", "postmaster", "mail delivery", "undeliver", "delivery",
		"failure", "failed", "returned", "bounce", "rejected", "error",
		"not delivered", "nicht zustellbar", "could not", "non remis",
		"notification", "warning", "unable", "problem", "mail system",
	};

	if (v == NULL)
		return false;
	return match_mask_ci(v, strlen(v), words, (int) (sizeof(words) / sizeof(words[0]))) != 0;
}

/* Phrases of a failure notice in the first lines of a text. */
static bool
bouncy_text(const char *t, size_t n)
{
	static const char *const words[] = {
		"could not be delivered", "undeliverable", "delivery failed",
		"delivery has failed", "permanent error", "fatal error",
		"not be delivered", "was not delivered", "failed to deliver",
		"unable to deliver", "invalid user", "user unknown", "did not reach",
		"returned mail", "delivery to the following", "no such user",
		"could not deliver", "couldn't be delivered", "not delivered to",
		"error message", "delivery failure", "mailbox is full",
		"wasn't able to deliver",
	};

	if (n > 4096)
		n = 4096;
	return match_mask_ci(t, n, words, (int) (sizeof(words) / sizeof(words[0]))) != 0;
}

/* Take Message-ID / To / From of a returned message's header block. */
static void
take_original(rp_state *st, bs_header *h, int nh)
{
	const bs_header *mid = bs_mime_header(h, nh, "Message-ID");
	const bs_header *to = bs_mime_header(h, nh, "To");
	const bs_header *from = bs_mime_header(h, nh, "From");

	if (mid && st->orig_msgid == NULL && mid->value_len > 0)
		st->orig_msgid = clean_text(st, mid->value, mid->value_len, 255);
	if (to && st->orig_to == NULL)
		st->orig_to = to->value;
	if (from)
		add_exclude(st, from->value);
	from = bs_mime_header(h, nh, "Return-Path");
	if (from)
		add_exclude(st, from->value);
}

/* Does the text hold an SMTP reply code ("550 ", "550-") or a status "5.1.1"? */
static bool
has_reply_code(const char *t, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++)
	{
		bool		start = (i == 0 || !is_alnum((unsigned char) t[i - 1]));

		if (!start || (t[i] != '4' && t[i] != '5'))
			continue;
		if (i + 3 <= n && t[i + 1] >= '0' && t[i + 1] <= '9' &&
			t[i + 2] >= '0' && t[i + 2] <= '9' &&
			(i + 3 == n || t[i + 3] == ' ' || t[i + 3] == '-'))
			return true;
		if (i + 4 < n + 0 && t[i + 1] == '.' && t[i + 2] >= '0' && t[i + 2] <= '9' &&
			t[i + 3] == '.' && t[i + 4] >= '0' && t[i + 4] <= '9')
			return true;
	}
	return false;
}

/*
 * Is the line a complete reply of a per-address report, "550 <a@b>... User
 * unknown" or "550 host (smtp)... 550 Host unknown": a 4xx/5xx code, a
 * space (not the '-' of a continued reply), and Sendmail's "... " after the
 * address or host?
 */
static bool
reply_line(const char *p, size_t n)
{
	size_t		k = 0;

	while (k < n && bs_is_wsp((unsigned char) p[k]))
		k++;
	if (n - k < 9 || (p[k] != '4' && p[k] != '5') || p[k + 1] < '0' ||
		p[k + 1] > '9' || p[k + 2] < '0' || p[k + 2] > '9' || p[k + 3] != ' ')
		return false;
	for (size_t j = k + 4, spaces = 0; j + 3 < n; j++)
	{
		/* the address, or the host and its mailer: "host (smtp)" */
		if (bs_is_wsp((unsigned char) p[j]) && ++spaces > 1)
			return false;
		if (p[j] == '.' && p[j + 1] == '.' && p[j + 2] == '.' && p[j + 3] == ' ')
			return true;
	}
	return false;
}

/* A recipient found in a plain-text bounce. */
typedef struct native_rcpt
{
	const char *addr;
	size_t		alen;
	const char *seg;			/* start of its line (NULL: not in the text) */
} native_rcpt;

/* Is the line nothing but one address ("<a@b>:", "  a@b")? */
static bool
is_bare_address_line(const char *p, size_t n, size_t s, size_t al)
{
	for (size_t i = 0; i < s; i++)
		if (!bs_is_wsp((unsigned char) p[i]) && p[i] != '<')
			return false;
	for (size_t i = s + al; i < n; i++)
		if (!bs_is_wsp((unsigned char) p[i]) && p[i] != '>' && p[i] != ':' && p[i] != ',')
			return false;
	return true;
}

/*
 * Collect the new addresses of text[..region_end), one entry per address in
 * order of appearance.  With bare_only, only lines holding nothing but an
 * address count, and the report's own To: is not excluded (a bounce sent to
 * the failed address itself, as some MTAs do for local aliases).
 */
static int
collect_addresses(rp_state *st, const char *text, const char *region_end,
				  native_rcpt *rc, bool bare_only)
{
	const char *p = text;
	int			nrc = 0;
	int			saved = st->nexclude;

	if (bare_only)
		st->nexclude = 0;
	while (p < region_end && nrc < MAX_NATIVE_RCPTS)
	{
		size_t		n = line_len(p, region_end);
		size_t		pos = 0,
					s,
					al;

		if (!is_label_line(p, n))
		{
			while (nrc < MAX_NATIVE_RCPTS && next_address(p, n, &pos, &s, &al))
			{
				bool		dup = false;

				if (bare_only ? !is_bare_address_line(p, n, s, al) || is_excluded(st, p + s, al)
					: is_excluded(st, p + s, al))
					continue;
				for (int i = 0; i < nrc; i++)
					if (addr_eq(rc[i].addr, rc[i].alen, p + s, al))
						dup = true;
				if (dup)
					continue;
				rc[nrc].addr = p + s;
				rc[nrc].alen = al;
				rc[nrc].seg = p;
				nrc++;
			}
		}
		p += n;
		if (p < region_end)
			p++;
	}
	st->nexclude = saved;
	return nrc;
}

/* Is the line p[0..n) blank (nothing but white space)? */
static bool
is_blank_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bs_is_space((unsigned char) p[i]))
			return false;
	return true;
}

/*
 * The paragraph around the line at p (bounded by blank lines or the text's
 * ends, at most MAX_PARA_LINES lines each way).
 */
#define MAX_PARA_LINES 16

static void
paragraph_of(const char *text, const char *end, const char *p,
			 const char **ps, const char **pe)
{
	const char *s = p,
			   *e = p;

	for (int k = 0; k < MAX_PARA_LINES && s > text; k++)
	{
		const char *q = s - 1;	/* the '\n' ending the line before */

		while (q > text && q[-1] != '\n')
			q--;
		if (is_blank_line(q, (size_t) (s - 1 - q)))
			break;
		s = q;
	}
	for (int k = 0; k < MAX_PARA_LINES && e < end; k++)
	{
		size_t		n = line_len(e, end);

		if (e > p && is_blank_line(e, n))
			break;
		e += n;
		if (e < end)
			e++;
	}
	*ps = s;
	*pe = e;
}

/*
 * One recipient whose own lines carry no reply code: the reason is told
 * elsewhere, but not by every line of the notice (a product banner, "this
 * message was created automatically", the sender's own text ...).  The
 * diagnostic is narrowed to what explains the failure:
 *
 *	1. a paragraph led by "Reason:" (the notice's own explanation);
 *	2. the address's line when the address leads it and words follow
 *	   ("a@b [User unknown]", "a@b Invalid Address, ..."), with the rest of
 *	   its paragraph;
 *	3. a notice that names the address before any reply code and has text
 *	   after it: from the paragraph naming it (or the heading above a bare
 *	   address list, "Delivery to the following recipients failed
 *	   permanently:") to the end, since the reason follows the list;
 *	4. else the whole text (the reason came before the address).
 */
static void
narrow_single(const char *text, const char *end, const char **seg,
			  const char **seg_end)
{
	const char *ls = *seg;
	const char *ps,
			   *pe;
	const char *p;
	bool		only_addr = true;

	if ((size_t) (end - text) > MAX_SEGMENT)
		end = text + MAX_SEGMENT;
	*seg = text;
	*seg_end = end;
	if (ls < text || ls >= end)
		return;

	/* 1. "Reason: ..." */
	for (p = text; p < end;)
	{
		size_t		n = line_len(p, end);
		size_t		k = 0;

		while (k < n && (bs_is_wsp((unsigned char) p[k]) || p[k] == '*' || p[k] == '-'))
			k++;
		if (n - k >= 7 && bs_prefix_ci(p + k, n - k, "reason") &&
			(p[k + 6] == ':' || (bs_is_wsp((unsigned char) p[k + 6]) &&
								 memchr(p + k + 6, ':', n - k - 6) == NULL)) &&
			n - k > 8)
		{
			paragraph_of(text, end, p, &ps, &pe);
			*seg = ps;
			*seg_end = pe;
			return;
		}
		p += n;
		if (p < end)
			p++;
	}

	/* 2. "a@b [User unknown]" */
	{
		size_t		n = line_len(ls, end);
		size_t		pos = 0,
					s,
					al;
		size_t		k = 0;

		while (k < n && (bs_is_wsp((unsigned char) ls[k]) || ls[k] == '*' ||
						 ls[k] == '-' || ls[k] == '<'))
			k++;
		if (next_address(ls, n, &pos, &s, &al) && s == k)
		{
			bool		words = false;

			for (size_t j = s + al; j < n && !words; j++)
				if (is_alnum((unsigned char) ls[j]))
					words = true;
			if (words)
			{
				paragraph_of(text, end, ls, &ps, &pe);
				*seg = ls;
				*seg_end = pe;
				return;
			}
		}
	}

	/* 4. a reply code before the address: the whole text */
	if (has_reply_code(text, (size_t) (ls - text)))
		return;

	/* 3. from the paragraph naming the address (or its heading) on */
	paragraph_of(text, end, ls, &ps, &pe);
	{
		bool		more = false;

		for (const char *q = pe; q < end && !more; q++)
			if (is_alnum((unsigned char) *q))
				more = true;
		if (!more)
			return;				/* nothing follows: the reason came before */
	}
	for (const char *q = ps; q < pe && only_addr;)
	{
		size_t		n = line_len(q, pe);
		size_t		pos = 0,
					s,
					al;
		size_t		last = 0;

		while (next_address(q, n, &pos, &s, &al))
		{
			for (size_t k = last; k < s; k++)
				if (is_alnum((unsigned char) q[k]))
					only_addr = false;
			last = s + al;
		}
		for (size_t k = last; k < n; k++)
			if (is_alnum((unsigned char) q[k]))
				only_addr = false;
		q += n;
		if (q < pe)
			q++;
	}
	if (only_addr && ps > text)
	{
		const char *q = ps;
		const char *he;

		while (q > text && bs_is_space((unsigned char) q[-1]))
			q--;
		if (q > text)
		{
			while (q > text && q[-1] != '\n')
				q--;
			paragraph_of(text, end, q, &ps, &he);
		}
	}
	*seg = ps;
}

/*
 * The plain-text bounce: text[0..len) is the human-readable part.  Cuts it
 * at the returned message, then into one segment per new address.
 */
static int
parse_native(rp_state *st, const char *text, size_t len, const char *failed_hdr)
{
	const char *end = text + len;
	const char *p = text;
	const char *region_end = end;
	native_rcpt rc[MAX_NATIVE_RCPTS];
	int			nrc = 0;
	int			added = 0;

	/* 1. find the end of the human-readable text */
	while (p < end)
	{
		size_t		n = line_len(p, end);

		if (is_separator(p, n) || (p > text && starts_header_block(p, n)))
		{
			const char *q = p;

			region_end = p;
			if (is_separator(p, n))
			{
				q = p + n;
				while (q < end && (*q == '\n' || bs_is_wsp((unsigned char) *q)))
					q++;
			}
			{
				bs_header  *h;
				int			nh;

				bs_mime_parse_headers(q, (size_t) (end - q), st->a, &h, &nh);
				take_original(st, h, nh);
			}
			break;
		}
		p += n;
		if (p < end)
			p++;
	}

	/* 2. segment by address */
	nrc = collect_addresses(st, text, region_end, rc, false);
	if (nrc == 0)
		nrc = collect_addresses(st, text, region_end, rc, true);

	/* X-Failed-Recipients names the failed ones: prefer those */
	if (failed_hdr && strchr(failed_hdr, '@'))
	{
		int			k = 0;

		for (int i = 0; i < nrc; i++)
		{
			char	   *tmp = dup_n(st, rc[i].addr, rc[i].alen);

			if (tmp && find_ci(failed_hdr, strlen(failed_hdr), tmp))
				rc[k++] = rc[i];
		}
		if (k > 0)
			nrc = k;
	}

	/* X-Failed-Recipients names an address the text does not show */
	if (nrc == 0 && failed_hdr)
	{
		size_t		pos = 0,
					s,
					al;
		size_t		fl = strlen(failed_hdr);

		while (nrc < MAX_NATIVE_RCPTS && next_address(failed_hdr, fl, &pos, &s, &al))
		{
			rc[nrc].addr = failed_hdr + s;
			rc[nrc].alen = al;
			rc[nrc].seg = NULL;
			nrc++;
		}
	}

	/*
	 * The notice names nobody (a "delivery report unavailable" kind of
	 * bounce): the recipient of the returned message, if it had just one.
	 */
	if (nrc == 0 && st->orig_to)
	{
		size_t		pos = 0,
					s,
					al,
					s2,
					al2;
		size_t		tl = strlen(st->orig_to);

		if (next_address(st->orig_to, tl, &pos, &s, &al) &&
			!next_address(st->orig_to, tl, &pos, &s2, &al2) &&
			!is_excluded(st, st->orig_to + s, al))
		{
			rc[0].addr = st->orig_to + s;
			rc[0].alen = al;
			rc[0].seg = NULL;
			nrc = 1;
		}
	}

	st->human = text;
	st->hlen = (size_t) (region_end - text);
	st->transcript_budget = find_ci(text, st->hlen < MAX_CONTEXT ? st->hlen : MAX_CONTEXT,
									"\n<<< ") ? MAX_TRANSCRIPT_WORK : 0;
	for (int i = 0; i < nrc && !st->oom; i++)
	{
		const char *seg = rc[i].seg;
		const char *seg_end = region_end;

		if (seg == NULL)
			seg = text;
		else
		{
			/*
			 * The segment ends at the next line naming another recipient.
			 * A line that is a whole reply of its own ("554 <a@b>... Remote
			 * protocol error", Sendmail's one line per address or host)
			 * ends at the next such line, whatever that one names.
			 */
			const char *q = seg + line_len(seg, region_end);
			bool		one_line = reply_line(seg, line_len(seg, region_end));

			if ((size_t) (region_end - seg) > MAX_SEGMENT)
				seg_end = seg + MAX_SEGMENT;
			while (q < seg_end)
			{
				size_t		n;
				size_t		pos = 0,
							s,
							al;
				bool		other = false;

				q++;
				n = line_len(q, seg_end);
				if (one_line && reply_line(q, n))
				{
					seg_end = q;
					break;
				}
				while (!other && next_address(q, n, &pos, &s, &al))
					for (int j = 0; j < nrc; j++)
						if (j != i && addr_eq(rc[j].addr, rc[j].alen, q + s, al))
							other = true;
				if (other)
				{
					seg_end = q;
					break;
				}
				q += n;
			}
			/*
			 * One recipient whose lines carry no reply code: the reason is
			 * told elsewhere in the text (often above the address).
			 */
			if (nrc == 1 && !has_reply_code(seg, (size_t) (seg_end - seg)))
				narrow_single(text, region_end, &seg, &seg_end);
		}
		if ((size_t) (seg_end - seg) > MAX_SEGMENT)
			seg_end = seg + MAX_SEGMENT;
		if (add_row(st, rc[i].addr, rc[i].alen, BS_KIND_BOUNCE, seg,
					(size_t) (seg_end - seg), NULL, NULL, text,
					(size_t) (region_end - text)))
			added++;
	}
	st->human = NULL;
	st->hlen = 0;
	return added;
}

/* ----------------------------------------------------------------------
 * One message
 * ----------------------------------------------------------------------
 */

/*
 * DSN blocks whose recipient is no address ("@relay.example" with the
 * mailbox lost): when the human-readable text names exactly as many other
 * addresses, they are those recipients, in order.
 */
static void
repair_recipients(rp_state *st, int first, const char *human, size_t hlen)
{
	native_rcpt rc[MAX_NATIVE_RCPTS];
	int			bad = 0;
	int			nrc;
	int			k = 0;
	int			fresh = 0;

	for (int i = first; i < st->out->nrows; i++)
		if (!is_clean_address(st->out->rows[i].recipient))
			bad++;
	if (bad == 0 || human == NULL)
		return;
	nrc = collect_addresses(st, human, human + (hlen < MAX_HUMAN_SCAN ? hlen : MAX_HUMAN_SCAN),
							rc, false);
	/* only addresses that no row has yet */
	for (int j = 0; j < nrc; j++)
		if (!have_row(st, first, rc[j].addr, rc[j].alen))
			rc[fresh++] = rc[j];
	if (fresh != bad)
		return;
	for (int i = first; i < st->out->nrows && k < fresh; i++)
	{
		bs_report_row *r = &st->out->rows[i];

		if (!is_clean_address(r->recipient))
		{
			char	   *a = clean_text(st, rc[k].addr, rc[k].alen, 512);

			if (a)
				r->recipient = a;
			k++;
		}
	}
}

/* Hex FNV-1a 64 of data: the report id of a message without Message-ID. */
static char *
hash_id(rp_state *st, const char *data, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	char		buf[32];

	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) data[i];
		h *= 1099511628211ULL;
	}
	snprintf(buf, sizeof(buf), "fnv1a:%016llx", (unsigned long long) h);
	return dup_n(st, buf, strlen(buf));
}

static bool
is_auto_reply(const bs_part *top)
{
	const bs_header *as = bs_mime_header(top->headers, top->nheaders, "Auto-Submitted");
	const bs_header *subj = bs_mime_header(top->headers, top->nheaders, "Subject");
	const bs_header *from = bs_mime_header(top->headers, top->nheaders, "From");
	static const char *const vac[] = {
		"out of office", "out of the office", "auto reply", "autoreply",
		"auto-reply", "automatic reply", "vacation", "away from",
		"abwesenheit", "auto:", "autoresponse", "auto response",
	};

	if (subj)
		for (size_t i = 0; i < sizeof(vac) / sizeof(vac[0]); i++)
			if (find_ci(subj->value, subj->value_len, vac[i]))
				return true;
	if (bs_mime_header(top->headers, top->nheaders, "X-Autoreply") ||
		bs_mime_header(top->headers, top->nheaders, "X-Autorespond"))
		return true;
	if (as && find_ci(as->value, as->value_len, "auto-replied") &&
		!bouncy(subj ? subj->value : NULL) && !bouncy(from ? from->value : NULL))
		return true;
	return false;
}

/* Parse one message (LF-normalized) and add its rows. */
static void
parse_notice(rp_state *st, const char *data, size_t len, bs_message *mout)
{
	bs_message	m;
	bs_part    *top;
	const bs_header *h;
	const char *human = NULL;
	size_t		hlen = 0;
	int			added = 0;
	const char *orig_rcpt_hint = NULL;

	st->orig_msgid = NULL;
	st->orig_to = NULL;
	st->nexclude = 0;
	st->has_date = false;
	st->from_domain = NULL;

	if (!bs_mime_parse(data, len, st->a, &m))
	{
		st->oom = true;
		return;
	}
	*mout = m;
	if (m.truncated)
		st->out->truncated = true;
	top = &m.parts[0];
	if (top->nheaders == 0)
		return;					/* not a mail */

	h = bs_mime_header(top->headers, top->nheaders, "Message-ID");
	if (h && h->value_len > 0)
		st->report_id = clean_text(st, h->value, h->value_len, 255);
	else
		st->report_id = hash_id(st, data, len);
	if (st->report_id == NULL)
		return;
	h = bs_mime_header(top->headers, top->nheaders, "Date");
	if (h && bs_parse_date(h->value, h->value_len, &st->date))
		st->has_date = true;
	h = bs_mime_header(top->headers, top->nheaders, "To");
	if (h)
		add_exclude(st, h->value);
	h = bs_mime_header(top->headers, top->nheaders, "From");
	if (h)
	{
		size_t		pos = 0,
					s,
					n;

		if (next_address(h->value, h->value_len, &pos, &s, &n))
		{
			const char *at = memchr(h->value + s, '@', n);

			st->from_domain = dup_n(st, at + 1, (size_t) (h->value + s + n - at - 1));
		}
	}

	/* the returned message: first enclosed message, or rfc822-headers */
	for (int i = 1; i < m.nparts; i++)
	{
		bs_part    *p = &m.parts[i];

		if (p->is_message && p->in_enclosed)
		{
			const bs_header *hint = bs_mime_header(p->headers, p->nheaders,
												   "X-HmXmrOriginalRecipient");

			if (hint)
				orig_rcpt_hint = hint->value;
			take_original(st, p->headers, p->nheaders);
			break;
		}
		if ((strcmp(p->ctype, "text/rfc822-headers") == 0 ||
			 strcmp(p->ctype, "text/rfc822-header") == 0) && !p->in_enclosed)
		{
			bs_header  *hh;
			int			nh;

			bs_mime_parse_headers(p->body, p->body_len, st->a, &hh, &nh);
			take_original(st, hh, nh);
			break;
		}
	}

	/* the human-readable text: first text part outside the returned message */
	for (int i = 0; i < m.nparts; i++)
	{
		bs_part    *p = &m.parts[i];

		if (p->in_enclosed || p->is_multipart)
			continue;
		if (strcmp(p->ctype, "text/plain") == 0 || (human == NULL && strncmp(p->ctype, "text/", 5) == 0 &&
													strncmp(p->ctype, "text/rfc822-header", 18) != 0))
		{
			if (human == NULL || strcmp(p->ctype, "text/plain") == 0)
			{
				human = p->body;
				hlen = p->body_len;
				if (strcmp(p->ctype, "text/plain") == 0 && hlen > 0)
					break;
			}
		}
	}

	/* 1. ARF */
	for (int i = 0; i < m.nparts && !st->oom; i++)
		if (strcmp(m.parts[i].ctype, "message/feedback-report") == 0 && !m.parts[i].in_enclosed)
		{
			added += parse_arf(st, m.parts[i].body, m.parts[i].body_len);
			if (added)
				return;
		}

	/* 2. RFC 3464 */
	for (int i = 0; i < m.nparts && !st->oom; i++)
	{
		bs_part    *p = &m.parts[i];

		if (!p->in_enclosed &&
			(strcmp(p->ctype, "message/delivery-status") == 0 ||
			 strcmp(p->ctype, "message/global-delivery-status") == 0))
			added += parse_dsn(st, p->body, p->body_len, human, hlen);
	}
	if (added)
	{
		repair_recipients(st, st->out->nrows - added, human, hlen);
		return;
	}
	/* DSN fields written into a text part */
	for (int i = 0; i < m.nparts && !st->oom; i++)
	{
		bs_part    *p = &m.parts[i];
		const char *f;

		if (p->in_enclosed || strncmp(p->ctype, "text/", 5) != 0)
			continue;
		f = find_ci(p->body, p->body_len, "\nFinal-Recipient:");
		if (f == NULL)
			f = find_ci(p->body, p->body_len, "\nOriginal-Recipient:");
		if (f)
		{
			const char *r = find_ci(p->body, (size_t) (f - p->body) + 1, "\nReporting-MTA:");

			if (r)
				f = r;
			added += parse_dsn(st, f + 1, p->body_len - (size_t) (f + 1 - p->body),
							   p->body, (size_t) (f - p->body));
		}
	}
	if (added)
		return;

	/*
	 * A complaint forwarded without the ARF part ("complaint about message
	 * from ..." with the message attached): the message's recipient.
	 */
	{
		const bs_header *subj = bs_mime_header(top->headers, top->nheaders, "Subject");

		if (subj && (find_ci(subj->value, subj->value_len, "complaint") ||
					 find_ci(subj->value, subj->value_len, "abuse report")) &&
			(orig_rcpt_hint || st->orig_to))
		{
			if (add_complaint(st, orig_rcpt_hint ? orig_rcpt_hint : st->orig_to, NULL, NULL))
				return;
		}
	}

	/* 3. Amazon SES via SNS */
	if (human && find_ci(human, hlen < 200 ? hlen : 200, "\"notificationType\""))
	{
		parse_ses(st, human, hlen);
		return;
	}

	/* 4. auto-replies are not bounces */
	if (is_auto_reply(top))
		return;

	/* 5. a plain-text bounce, if the mail looks like one */
	{
		const bs_header *subj = bs_mime_header(top->headers, top->nheaders, "Subject");
		const bs_header *from = bs_mime_header(top->headers, top->nheaders, "From");
		const bs_header *xf = bs_mime_header(top->headers, top->nheaders, "X-Failed-Recipients");
		const bs_header *rp = bs_mime_header(top->headers, top->nheaders, "Return-Path");
		bool		empty_rp = rp && (strcmp(rp->value, "<>") == 0 || rp->value_len == 0);

		if (human == NULL)
			return;
		if (!(xf || empty_rp || bouncy(subj ? subj->value : NULL) ||
			  bouncy(from ? from->value : NULL) || bouncy_text(human, hlen)))
			return;
		parse_native(st, human, hlen, xf ? xf->value : NULL);
	}
}

/*
 * Parse one notice.  A gateway that re-wraps a downstream server's notice
 * (Trend Micro's InterScan and its kind) encloses that notice as the
 * returned message and says itself no more than "could not be delivered":
 * when every row the outer notice gave is that vague (no reason, no reply
 * code), the enclosed notice is read instead, once, and its rows replace
 * them if they say more.  They keep the outer notice's id, the one this
 * mailbox received.
 */
static void
parse_message(rp_state *st, const char *data, size_t len)
{
	bs_message	m;
	int			first = st->out->nrows;
	const char *report_id;
	const bs_part *enc = NULL;
	int			inner;

	m.nparts = 0;
	parse_notice(st, data, len, &m);
	if (st->oom || st->out->nrows == first)
		return;
	for (int i = first; i < st->out->nrows; i++)
		if (!weak_reason(st->out->rows[i].reason) || st->out->rows[i].reply_code)
			return;
	for (int i = 1; i < m.nparts && enc == NULL; i++)
		if (!m.parts[i].in_enclosed &&
			(strcmp(m.parts[i].ctype, "message/rfc822") == 0 ||
			 strcmp(m.parts[i].ctype, "message/global") == 0))
			enc = &m.parts[i];
	if (enc == NULL || enc->body_len == 0)
		return;

	report_id = st->report_id;
	inner = st->out->nrows;
	parse_notice(st, enc->body, enc->body_len, &m);
	for (int i = inner; i < st->out->nrows; i++)
		if (!weak_reason(st->out->rows[i].reason))
		{
			/* the enclosed notice said more: its rows replace the outer's */
			int			n = st->out->nrows - inner;

			memmove(&st->out->rows[first], &st->out->rows[inner],
					sizeof(bs_report_row) * (size_t) n);
			st->out->nrows = first + n;
			for (int k = first; k < st->out->nrows; k++)
				st->out->rows[k].report_id = (char *) report_id;
			st->report_id = report_id;
			return;
		}
	st->out->nrows = inner;		/* it did not: keep the outer rows */
	st->report_id = report_id;
}

/* Parse a report or an mbox; see bs_report.h. */
bool
bs_report_parse(const char *data, size_t len, const bs_alloc *a, bs_report *out)
{
	rp_state	st;
	size_t		nlen;
	char	   *buf;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.a = a;
	st.out = out;
	out->rows = bs_alloc_bytes(a, sizeof(bs_report_row) * BS_REPORT_MAX_ROWS);
	if (out->rows == NULL)
		return false;
	if (len > BS_MIME_MAX_INPUT)
		out->truncated = true;
	buf = bs_mime_normalize_eol(data, len, a, &nlen);
	if (buf == NULL)
		return false;

	/* leading blank lines are no part of a mail */
	while (nlen > 0 && (buf[0] == '\n' || buf[0] == ' ' || buf[0] == '\t'))
	{
		buf++;
		nlen--;
	}

	if (nlen >= 5 && memcmp(buf, "From ", 5) == 0)
	{
		/* mbox: messages start after each "From " line at a message start */
		const char *end = buf + nlen;
		const char *p = buf;
		int			count = 0;

		while (p < end && count < BS_REPORT_MAX_MESSAGES && !st.oom)
		{
			const char *body = p + line_len(p, end);
			const char *q;

			if (body < end)
				body++;
			q = body;
			/* the next separator: "\n\nFrom " (or "\nFrom " at the very end) */
			for (;;)
			{
				const char *f = q < end ? memchr(q, '\n', (size_t) (end - q)) : NULL;

				if (f == NULL)
				{
					q = end;
					break;
				}
				if ((size_t) (end - f) > 5 && memcmp(f + 1, "From ", 5) == 0 &&
					f > body && f[-1] == '\n')
				{
					q = f + 1;
					break;
				}
				q = f + 1;
			}
			parse_message(&st, body, (size_t) (q - body));
			count++;
			p = q;
		}
		if (count >= BS_REPORT_MAX_MESSAGES && p < end)
			out->truncated = true;
	}
	else
		parse_message(&st, buf, nlen);
	return !st.oom;
}

/* "bounce", "complaint", "delivery". */
const char *
bs_kind_name(bs_kind kind)
{
	switch (kind)
	{
		case BS_KIND_COMPLAINT:
			return "complaint";
		case BS_KIND_DELIVERY:
			return "delivery";
		default:
			return "bounce";
	}
}
