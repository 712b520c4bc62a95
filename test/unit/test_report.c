/*-------------------------------------------------------------------------
 *
 * test_report.c
 *	  Unit tests of the MIME reader (bs_mime.c) and the report parser
 *	  (bs_report.c) on small hand-written mails.
 *
 * Classification itself belongs to bs_smtp.c; here only what the parser
 * extracts is checked (recipients, kinds, statuses, ids, dates), plus the
 * reply code / status that come straight from the text.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "bs_mime.h"
#include "bs_report.h"
#include "arena.h"
#include "unit.h"

static arena ar;
static bs_alloc al = {arena_alloc, &ar};

static bs_report
parse(const char *s)
{
	bs_report	r;

	CHECK(bs_report_parse(s, strlen(s), &al, &r));
	return r;
}

/* Replace every LF by eol (CRLF or CR) into a malloc'd copy. */
static char *
with_eol(const char *s, const char *eol)
{
	size_t		n = strlen(s);
	char	   *out = malloc(n * 2 + 1);
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '\n')
		{
			for (const char *e = eol; *e; e++)
				out[o++] = *e;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* Rows of two parses must be the same, field by field. */
static void
check_same(const bs_report *a, const bs_report *b)
{
	CHECK(a->nrows == b->nrows);
	for (int i = 0; i < a->nrows && i < b->nrows; i++)
	{
		CHECK_STR(a->rows[i].recipient, b->rows[i].recipient);
		CHECK_STR(a->rows[i].diagnostic, b->rows[i].diagnostic);
		CHECK_STR(a->rows[i].status, b->rows[i].status);
		CHECK_STR(a->rows[i].message_id, b->rows[i].message_id);
		CHECK_STR(a->rows[i].report_id, b->rows[i].report_id);
		CHECK(a->rows[i].reason == b->rows[i].reason);
		CHECK(a->rows[i].occurred_at == b->rows[i].occurred_at);
	}
}

/* A DSN: folded headers, nested multipart, base64 status part, 2 recipients. */
static const char *DSN =
"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
"To: sender@example.org\n"
"Subject: Undelivered Mail\n"
"  Returned to Sender\n"
"Date: Tue, 3 Mar 2020 10:00:00 +0100\n"
"Message-ID: <dsn-1@mx.example.net>\n"
"MIME-Version: 1.0\n"
"Content-Type: multipart/mixed; boundary=\"outer\"\n"
"\n"
"preamble\n"
"--outer\n"
"Content-Type: multipart/report; report-type=delivery-status;\n"
"\tboundary=\"inner\"\n"
"\n"
"--inner\n"
"Content-Type: text/plain; charset=us-ascii\n"
"\n"
"The mail could not be delivered.\n"
"--inner\n"
"Content-Type: message/delivery-status\n"
"Content-Transfer-Encoding: base64\n"
"\n"
"%s\n"
"--inner--\n"
"--outer\n"
"Content-Type: text/rfc822-headers\n"
"\n"
"From: sender@example.org\n"
"To: one@example.com, two@example.com\n"
"Message-ID: <orig-42@example.org>\n"
"Subject: hello\n"
"\n"
"--outer--\n";

static const char *DSN_FIELDS =
"Reporting-MTA: dns; mx.example.net\n"
"Arrival-Date: Tue, 3 Mar 2020 09:59:00 +0100\n"
"\n"
"Final-Recipient: rfc822; <One@Example.com>\n"
"Action: failed\n"
"Status: 5.1.1\n"
"Remote-MTA: dns; mx.example.com\n"
"Diagnostic-Code: smtp; 550 5.1.1 <one@example.com>: Recipient address\n"
"    rejected: User unknown in local recipient table\n"
"\n"
"Original-Recipient: rfc822;two@example.com\n"
"Action: delayed\n"
"Status: 4.2.2\n"
"Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
"\n"
"Final-Recipient: rfc822; three@example.com\n"
"Action: delivered\n"
"Status: 2.0.0\n";

static char *
b64(const char *s)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		n = strlen(s);
	char	   *out = malloc(n * 2 + 8);
	size_t		o = 0;

	for (size_t i = 0; i < n; i += 3)
	{
		unsigned int v = (unsigned char) s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char) s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char) s[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
		if (o % 77 == 76)
			out[o++] = '\n';
	}
	out[o] = '\0';
	return out;
}

static void
test_dsn(void)
{
	char	   *enc = b64(DSN_FIELDS);
	char	   *mail = malloc(strlen(DSN) + strlen(enc) + 1);
	bs_report	r;
	char	   *crlf,
			   *cr;
	bs_report	r2,
				r3;

	sprintf(mail, DSN, enc);
	r = parse(mail);
	CHECK(r.nrows == 3);
	if (r.nrows == 3)
	{
		CHECK_STR(r.rows[0].recipient, "One@Example.com");
		CHECK(r.rows[0].kind == BS_KIND_BOUNCE);
		CHECK_STR(r.rows[0].status, "5.1.1");
		CHECK(r.rows[0].reply_code == 550);
		CHECK_STR(r.rows[0].remote_mta, "mx.example.com");
		CHECK_STR(r.rows[0].diagnostic,
				  "550 5.1.1 <one@example.com>: Recipient address rejected: User unknown in local recipient table");
		CHECK_STR(r.rows[0].message_id, "<orig-42@example.org>");
		CHECK_STR(r.rows[0].report_id, "<dsn-1@mx.example.net>");
		CHECK(r.rows[0].has_time && r.rows[0].occurred_at == 1583225940);	/* Arrival-Date */
		/* no Final-Recipient: the Original-Recipient */
		CHECK_STR(r.rows[1].recipient, "two@example.com");
		CHECK_STR(r.rows[1].status, "4.2.2");
		CHECK(r.rows[1].type != BS_TYPE_PERMANENT);
		CHECK(r.rows[2].kind == BS_KIND_DELIVERY);
		CHECK(r.rows[2].type == BS_TYPE_NONE);
		CHECK(r.rows[2].reason == BS_R_DELIVERED);
	}
	/* CRLF and CR-only twins parse exactly as the LF original */
	crlf = with_eol(mail, "\r\n");
	cr = with_eol(mail, "\r");
	r2 = parse(crlf);
	r3 = parse(cr);
	check_same(&r, &r2);
	check_same(&r, &r3);
	free(crlf);
	free(cr);
	free(mail);
	free(enc);
}

static void
test_qp_native(void)
{
	/* Exim-like, quoted-printable, 8-bit junk, two recipients */
	const char *mail =
		"From: Mail Delivery System <Mailer-Daemon@relay.example.net>\n"
		"To: me@example.org\n"
		"Subject: Mail delivery failed: returning message to sender\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"This message was created automatically by mail delivery software.\n"
		"A message that you sent could not be delivered to one or more of its\n"
		"recipients. This is a permanent error. The following address(es) fail=\n"
		"ed:\n"
		"\n"
		"  alice@example.com\n"
		"    SMTP error from remote mail server after RCPT TO:<alice@example.com>:\n"
		"    host mx.example.com [192.0.2.1]: 550 5.1.1 Unknown user =E9t=E9\n"
		"  bob@example.com\n"
		"    SMTP error from remote mail server after end of data:\n"
		"    host mx.example.com [192.0.2.1]: 552 5.3.4 Message too big\n"
		"\n"
		"------ This is a copy of the message, including all the headers. ------\n"
		"\n"
		"Return-path: <me@example.org>\n"
		"Message-Id: <m1@example.org>\n"
		"From: me@example.org\n"
		"To: alice@example.com, bob@example.com\n"
		"\n"
		"hi\n";
	bs_report	r = parse(mail);

	CHECK(r.nrows == 2);
	if (r.nrows == 2)
	{
		CHECK_STR(r.rows[0].recipient, "alice@example.com");
		CHECK(r.rows[0].reply_code == 550);
		CHECK_STR(r.rows[0].status, "5.1.1");
		/* 8-bit bytes come out as valid UTF-8 ('?' for the invalid ones) */
		CHECK(strstr(r.rows[0].diagnostic, "Unknown user ?t?") != NULL);
		CHECK_STR(r.rows[0].message_id, "<m1@example.org>");
		CHECK_STR(r.rows[1].recipient, "bob@example.com");
		CHECK(r.rows[1].reply_code == 552);
		CHECK(strstr(r.rows[1].diagnostic, "Message too big") != NULL);
	}
}

static void
test_qmail(void)
{
	const char *mail =
		"From MAILER-DAEMON Thu Apr 29 23:34:45 2010\n"
		"Return-Path: <>\n"
		"From: MAILER-DAEMON@mx.example.jp\n"
		"To: me@example.org\n"
		"Subject: failure notice\n"
		"\n"
		"Hi. This is the qmail-send program at mx.example.jp.\n"
		"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
		"This is a permanent error; I've given up. Sorry it didn't work out.\n"
		"\n"
		"<nobody@example.jp>:\n"
		"192.0.2.2 does not like recipient.\n"
		"Remote host said: 550 5.1.1 <nobody@example.jp>... User Unknown\n"
		"Giving up on 192.0.2.2.\n"
		"\n"
		"--- Below this line is a copy of the message.\n"
		"\n"
		"Return-Path: <me@example.org>\n"
		"Message-ID: <q1@example.org>\n"
		"From: me@example.org\n"
		"To: nobody@example.jp\n"
		"\n"
		"body\n";
	bs_report	r = parse(mail);

	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "nobody@example.jp");
		CHECK(r.rows[0].reply_code == 550);
		CHECK_STR(r.rows[0].message_id, "<q1@example.org>");
		/* no Message-ID of its own: a hash of the bytes, stable */
		CHECK(strncmp(r.rows[0].report_id, "fnv1a:", 6) == 0);
	}
}

static void
test_arf(void)
{
	const char *mail =
		"From: feedback@isp.example\n"
		"To: abuse@example.org\n"
		"Subject: =?UTF-8?B?Q29tcGxhaW50?= report\n"
		"Message-ID: <arf-1@isp.example>\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=b\n"
		"\n"
		"--b\n"
		"Content-Type: text/plain\n"
		"\n"
		"This is an abuse report.\n"
		"--b\n"
		"Content-Type: message/feedback-report\n"
		"\n"
		"Feedback-Type: abuse\n"
		"User-Agent: Test/1.0\n"
		"Version: 1\n"
		"Original-Rcpt-To: <user@example.com>\n"
		"Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT\n"
		"--b\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: news@example.org\n"
		"To: user@example.com\n"
		"Message-ID: <news-7@example.org>\n"
		"\n"
		"Buy now\n"
		"--b--\n";
	bs_report	r = parse(mail);

	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "user@example.com");
		CHECK(r.rows[0].kind == BS_KIND_COMPLAINT);
		CHECK(r.rows[0].type == BS_TYPE_NONE);
		CHECK(r.rows[0].reason == BS_R_FEEDBACK);
		CHECK_STR(r.rows[0].feedback_type, "abuse");
		CHECK_STR(r.rows[0].message_id, "<news-7@example.org>");
		CHECK(r.rows[0].has_time && r.rows[0].occurred_at == 1110304800);
	}
}

static void
test_not_bounces(void)
{
	const char *vacation =
		"From: boss@example.com\n"
		"To: me@example.org\n"
		"Subject: Out of Office: meeting\n"
		"Auto-Submitted: auto-replied\n"
		"\n"
		"I am away until Monday. Write to deputy@example.com.\n";
	const char *plain =
		"From: friend@example.com\n"
		"To: me@example.org\n"
		"Subject: lunch?\n"
		"\n"
		"See you at noon, other@example.net is coming too.\n";
	char		junk[4096];
	bs_report	r;

	r = parse(vacation);
	CHECK(r.nrows == 0);
	r = parse(plain);
	CHECK(r.nrows == 0);
	r = parse("");
	CHECK(r.nrows == 0);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char) ((i * 7919 + 13) % 256);
	CHECK(bs_report_parse(junk, sizeof(junk), &al, &r));
	CHECK(r.nrows == 0);
	/* NUL bytes inside the length are data, not ends */
	CHECK(bs_report_parse("From: a\0\nb", 10, &al, &r));
}

static void
test_mbox(void)
{
	const char *mbox =
		"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\n"
		"From: MAILER-DAEMON@a.example\n"
		"Subject: Undelivered Mail\n"
		"Message-ID: <m1@a.example>\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; a.example\n"
		"\n"
		"Final-Recipient: rfc822; x@example.com\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n"
		"From MAILER-DAEMON Mon Jan  1 00:00:01 2024\n"
		"From: MAILER-DAEMON@b.example\n"
		"Subject: Undelivered Mail\n"
		"Message-ID: <m2@b.example>\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: rfc822; y@example.com\n"
		"Action: failed\n"
		"Status: 5.2.2\n";
	bs_report	r = parse(mbox);

	CHECK(r.nrows == 2);
	if (r.nrows == 2)
	{
		CHECK_STR(r.rows[0].recipient, "x@example.com");
		CHECK_STR(r.rows[0].report_id, "<m1@a.example>");
		CHECK_STR(r.rows[1].recipient, "y@example.com");
		CHECK_STR(r.rows[1].report_id, "<m2@b.example>");
	}
}

static void
test_repairs(void)
{
	/* a DSN block whose Final-Recipient lost its mailbox: the text names it */
	const char *lost =
		"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example>\n"
		"Subject: Returned mail: see transcript for details\n"
		"Content-Type: multipart/report; boundary=q\n"
		"\n"
		"--q\n"
		"\n"
		"   ----- The following addresses had permanent fatal errors -----\n"
		"<lost@example.org>\n"
		"    (reason: 550 Host unknown)\n"
		"--q\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: RFC822; @mx.example.org\n"
		"Action: failed\n"
		"Status: 5.1.2\n"
		"--q--\n";
	/* a notice that names nobody: the returned message's recipient */
	const char *nobody =
		"From: MAILER-DAEMON@relay.example\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/mixed; boundary=z\n"
		"\n"
		"--z\n"
		"Content-Type: text/plain\n"
		"\n"
		"Your message could not be delivered. Delivery report unavailable.\n"
		"--z\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: me@example.org\n"
		"To: them@example.net\n"
		"Message-ID: <x@example.org>\n"
		"\n"
		"hi\n"
		"--z--\n";
	/* Original-Recipient after Final-Recipient, Action before both */
	const char *order =
		"From: MAILER-DAEMON@relay.example\n"
		"Subject: Delivery Status Notification (Failure)\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; relay.example\n"
		"\n"
		"Action: failed\n"
		"Final-Recipient: rfc822; a@example.com\n"
		"Original-Recipient: rfc822; a@example.com\n"
		"Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
		"Status: 4.2.2\n";
	bs_report	r;

	r = parse(lost);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "lost@example.org");
		CHECK_STR(r.rows[0].status, "5.1.2");
	}
	r = parse(nobody);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "them@example.net");
		CHECK_STR(r.rows[0].message_id, "<x@example.org>");
	}
	r = parse(order);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "a@example.com");
		CHECK_STR(r.rows[0].diagnostic, "452 4.2.2 Mailbox full");
		CHECK(r.rows[0].reply_code == 452);
	}
}

static void
test_huge(void)
{
	/* 10 MB: a DSN followed by a huge returned message */
	const char *head =
		"From: MAILER-DAEMON@big.example\n"
		"Subject: Undelivered Mail\n"
		"Content-Type: multipart/report; boundary=zz\n"
		"\n"
		"--zz\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: rfc822; big@example.com\n"
		"Action: failed\n"
		"Status: 5.3.4\n"
		"\n"
		"--zz\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"Subject: big\n"
		"\n";
	size_t		hl = strlen(head);
	size_t		n = 10 * 1024 * 1024;
	char	   *buf = malloc(n);
	bs_report	r;

	memcpy(buf, head, hl);
	for (size_t i = hl; i < n; i++)
		buf[i] = (i % 80 == 79) ? '\n' : 'a' + (char) (i % 26);
	CHECK(bs_report_parse(buf, n, &al, &r));
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
		CHECK_STR(r.rows[0].status, "5.3.4");
	free(buf);
	arena_free(&ar);
}

static void
test_mime_bits(void)
{
	const char *hdr =
		"Subject: =?ISO-8859-1?Q?caf=E9?= =?UTF-8?B?w6k=?=\n"
		" folded\n"
		"X-Empty:\n"
		"\n";
	bs_header  *h;
	int			n;
	const bs_header *s;
	char		b[64];
	int64_t		t;
	char	   *u;

	bs_mime_parse_headers(hdr, strlen(hdr), &al, &h, &n);
	CHECK(n == 2);
	s = bs_mime_header(h, n, "subject");
	CHECK(s != NULL);
	if (s)
		CHECK_STR(s->value, "caf\xc3\xa9\xc3\xa9 folded");
	CHECK(bs_mime_param("multipart/mixed; charset=x; BOUNDARY=\"a b\"", "boundary", b, sizeof(b)));
	CHECK_STR(b, "a b");
	CHECK(!bs_mime_param("text/plain", "boundary", b, sizeof(b)));

	CHECK(bs_parse_date("Thu, 29 Apr 2010 23:34:45 +0900 (JST)", 37, &t));
	CHECK(t == 1272551685);
	CHECK(bs_parse_date("29 Apr 10 14:34:45 GMT", 22, &t));
	CHECK(t == 1272551685);
	CHECK(bs_parse_date("2010-04-29T14:34:45.123Z", 24, &t));
	CHECK(t == 1272551685);
	CHECK(!bs_parse_date("yesterday", 9, &t));

	u = bs_utf8_sanitize("a\xff\xc3\xa9\xed\xa0\x80z", 8, &al);
	CHECK_STR(u, "a?\xc3\xa9???z");
}


/* A DSN around a Sendmail/Courier-style transcript, one recipient block. */
#define TRANSCRIPT_DSN \
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\n" \
	"To: me@example.org\n" \
	"Subject: Returned mail: see transcript for details\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n" \
	"\n" \
	"--B\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"   ----- The following addresses had permanent fatal errors -----\n" \
	"<rcpt@example.com>\n" \
	"\n" \
	"   ----- Transcript of session follows -----\n" \
	"... while talking to mx.example.com.:\n" \
	"%s" \
	"\n" \
	"--B\n" \
	"Content-Type: message/delivery-status\n" \
	"\n" \
	"Reporting-MTA: dns; relay.example.net\n" \
	"\n" \
	"Final-Recipient: rfc822; rcpt@example.com\n" \
	"Action: %s\n" \
	"Status: %s\n" \
	"Diagnostic-Code: smtp; %s\n" \
	"\n" \
	"--B--\n"

static bs_report
parse_transcript(const char *transcript, const char *action, const char *status,
				 const char *diag)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), TRANSCRIPT_DSN, transcript, action, status, diag);
	return parse(buf);
}

static void
test_commands(void)
{
	bs_report	r;

	/* ">>> DATA" answered by "<<< 550 user unknown": a filter's answer */
	r = parse_transcript(">>> DATA\n<<< 550 5.0.0 <rcpt@example.com>... User unknown\n",
						 "failed", "5.0.0", "550 5.0.0 <rcpt@example.com>... User unknown");
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK(r.rows[0].reason == BS_R_FILTERED);
		CHECK(r.rows[0].type == BS_TYPE_TRANSIENT);
	}

	/* answered at RCPT: a missing mailbox */
	r = parse_transcript(">>> RCPT To:<rcpt@example.com>\n<<< 550 5.0.0 <rcpt@example.com>... User unknown\n",
						 "failed", "5.0.0", "550 5.0.0 <rcpt@example.com>... User unknown");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_USER_UNKNOWN &&
		  r.rows[0].type == BS_TYPE_PERMANENT);

	/*
	 * Pipelined: the 550 is followed by DATA's own answer, so it answered
	 * RCPT (sent with DATA, not shown): not a DATA-stage refusal.
	 */
	r = parse_transcript(">>> DATA\n<<< 550 <rcpt@example.com>: User unknown\n"
						 "550 5.1.1 <rcpt@example.com>... User unknown\n"
						 "<<< 554 Error: no valid recipients\n",
						 "failed", "5.0.0", "550 <rcpt@example.com>: User unknown");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_USER_UNKNOWN);

	/* a multi-line reply is one reply, not pipelining */
	r = parse_transcript(">>> DATA\n<<< 550-5.7.1 <rcpt@example.com>... User unknown\n"
						 "<<< 550 5.7.1 see the policy page\n",
						 "failed", "5.0.0", "550 5.7.1 <rcpt@example.com>... User unknown");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_FILTERED);
}

static void
test_delay_and_status(void)
{
	bs_report	r;

	/* Action: failed with a vague 4xx: the bare status is no "expired" */
	r = parse_transcript("", "failed", "4.0.0", "450 4.0.0 Temporary failure");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_ON_HOLD &&
		  r.rows[0].type == BS_TYPE_TRANSIENT);

	/* a delay notice: transient whatever the reply said */
	r = parse_transcript("", "delayed", "4.0.0", "450 4.0.0 Temporary failure");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_EXPIRED &&
		  r.rows[0].type == BS_TYPE_TRANSIENT);
	r = parse_transcript("", "delayed", "4.2.2", "452 4.2.2 Mailbox full");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_MAILBOX_FULL &&
		  r.rows[0].type == BS_TYPE_TRANSIENT);

	/* a queue that gave up (4.4.7): the attempts' reason is kept */
	r = parse_transcript("", "failed", "4.4.7",
						 "<rcpt@example.com>... Deferred: Connection refused by mx.example.com.");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_BLOCKED);
	r = parse_transcript("", "failed", "4.4.7", "");
	CHECK(r.nrows == 1 && r.rows[0].reason == BS_R_EXPIRED);
}

static void
test_narrowing(void)
{
	/* one recipient, no reply code: the notice's banner is not the reason */
	const char *banner =
		"From: postmaster@gw.example.net\n"
		"To: me@example.org\n"
		"Subject: Undeliverable mail\n"
		"\n"
		"****** Message from Example Security Gateway ******\n"
		"\n"
		"The following mail could not be delivered.\n"
		"Reason:  Unable to deliver message to <rcpt@example.com>.\n"
		"\n"
		"****** End of message ******\n";
	const char *listed =
		"From: postmaster@gw.example.net\n"
		"To: me@example.org\n"
		"Subject: Undeliverable mail\n"
		"\n"
		"This is an automatically generated notice from the security gateway.\n"
		"\n"
		"---The following addresses had delivery errors---\n"
		"\n"
		"rcpt@example.com [Mailbox full]\n";
	const char *exit_status =
		"From: MAILER-DAEMON@relay.example.net\n"
		"To: me@example.org\n"
		"Subject: Returned mail\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
		"\n"
		"--B\n"
		"Content-Type: text/plain\n"
		"\n"
		"   ----- The following addresses had permanent fatal errors -----\n"
		"<rcpt@example.com>\n"
		"    (reason: Insufficient permission)\n"
		"\n"
		"--B\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; relay.example.net\n"
		"\n"
		"Final-Recipient: rfc822; rcpt@example.com\n"
		"Action: failed\n"
		"Status: 5.3.0\n"
		"Diagnostic-Code: X-Unix; 77\n"
		"\n"
		"--B--\n";
	const char *sendmail_lines =
		"From: MAILER-DAEMON@relay.example.net\n"
		"To: me@example.org\n"
		"Subject: Returned mail: see transcript\n"
		"\n"
		"   ----- Transcript of session follows -----\n"
		"554 <one@example.edu>... Remote protocol error: Connection reset by peer\n"
		"550 example.org (smtp)... 550 Host unknown\n"
		"554 <two@example.org>... 550 Host unknown (Authoritative answer from name server)\n";
	bs_report	r;

	r = parse(banner);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK(strstr(r.rows[0].diagnostic, "Security") == NULL);
		CHECK(strncmp(r.rows[0].diagnostic, "The following mail", 18) == 0);
		CHECK(r.rows[0].reason != BS_R_SECURITY_ERROR);
	}
	r = parse(listed);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].diagnostic, "rcpt@example.com [Mailbox full]");
		CHECK(r.rows[0].reason == BS_R_MAILBOX_FULL);
	}
	r = parse(exit_status);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK(strstr(r.rows[0].diagnostic, "Insufficient permission") != NULL);
		CHECK(r.rows[0].reason == BS_R_SYSTEM_ERROR);
	}
	r = parse(sendmail_lines);
	CHECK(r.nrows == 2);
	if (r.nrows == 2)
	{
		CHECK_STR(r.rows[0].recipient, "one@example.edu");
		CHECK(strstr(r.rows[0].diagnostic, "Host unknown") == NULL);
		CHECK(r.rows[0].type != BS_TYPE_PERMANENT);
		CHECK(r.rows[1].reason == BS_R_HOST_UNKNOWN);
	}
}

/*
 * A gateway notice that says only "could not be delivered" and encloses the
 * downstream server's own notice: the enclosed notice's rows, under the
 * gateway notice's id.  An enclosed ordinary mail changes nothing.
 */
static void
test_rewrapped(void)
{
#define GATEWAY_NOTICE(id) \
	"From: postmaster@gw.example.com\n" \
	"To: sender@example.org\n" \
	"Subject: Mail could not be delivered\n" \
	"Message-ID: <" id ">\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/mixed; boundary=\"b\"\n" \
	"\n" \
	"--b\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"The following mail could not be delivered.\n" \
	"Reason: Unable to deliver message to <rcpt@example.jp>.\n" \
	"--b\n" \
	"Content-Type: message/rfc822\n" \
	"\n"
	static const char *mail =
		GATEWAY_NOTICE("gw-1@gw.example.com")
		"From: MAILER-DAEMON@mx.example.jp\n"
		"To: sender@example.org\n"
		"Subject: Returned mail: User unknown\n"
		"Message-ID: <inner-1@mx.example.jp>\n"
		"\n"
		"----- The following addresses had permanent fatal errors -----\n"
		"<rcpt@example.jp>\n"
		"----- Transcript of session follows -----\n"
		">>> RCPT To:<rcpt@example.jp>\n"
		"<<< 550 5.1.1 <rcpt@example.jp>... User unknown\n"
		"--b--\n";
	static const char *plain =
		GATEWAY_NOTICE("gw-2@gw.example.com")
		"From: sender@example.org\n"
		"To: rcpt@example.jp\n"
		"Subject: hello\n"
		"Message-ID: <orig-1@example.org>\n"
		"\n"
		"Just a note.\n"
		"--b--\n";
#undef GATEWAY_NOTICE
	bs_report	r = parse(mail);

	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "rcpt@example.jp");
		CHECK(r.rows[0].reply_code == 550);
		CHECK_STR(r.rows[0].status, "5.1.1");
		CHECK(r.rows[0].reason == BS_R_USER_UNKNOWN);
		CHECK_STR(r.rows[0].report_id, "<gw-1@gw.example.com>");
	}
	r = parse(plain);
	CHECK(r.nrows == 1);
	if (r.nrows == 1)
	{
		CHECK_STR(r.rows[0].recipient, "rcpt@example.jp");
		CHECK(r.rows[0].reply_code == 0);
		CHECK(r.rows[0].reason == BS_R_ON_HOLD);
		CHECK_STR(r.rows[0].report_id, "<gw-2@gw.example.com>");
		CHECK_STR(r.rows[0].message_id, "<orig-1@example.org>");
	}
}

int
main(void)
{
	test_dsn();
	test_qp_native();
	test_qmail();
	test_arf();
	test_not_bounces();
	test_mbox();
	test_mime_bits();
	test_repairs();
	test_huge();
	test_commands();
	test_delay_and_status();
	test_narrowing();
	test_rewrapped();
	arena_free(&ar);
	return UNIT_DONE();
}
