/*-------------------------------------------------------------------------
 *
 * test_smtp.c
 *	  Unit tests of the SMTP reply classifier (src/bs_smtp.c): every reason,
 *	  every type, codes that contradict the text, context cues, empty and
 *	  huge inputs, non-ASCII bytes and texts that are not NUL-terminated.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "bs_smtp.h"
#include "unit.h"

typedef struct smtp_case
{
	const char *text;
	bs_type		type;
	const char *reason;
	int			code;			/* -1: don't check */
	const char *status;			/* NULL: don't check */
} smtp_case;

#define P BS_TYPE_PERMANENT
#define T BS_TYPE_TRANSIENT
#define U BS_TYPE_UNDETERMINED
#define N BS_TYPE_NONE

static const smtp_case cases[] = {
	/* user_unknown */
	{"550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table", P, "user_unknown", 550, "5.1.1"},
	{"smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n 550-5.1.1 double-checking the recipient's email address", P, "user_unknown", 550, "5.1.1"},
	{"Diagnostic-Code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", P, "user_unknown", 550, "5.1.10"},
	{"The email account that you tried to reach does not exist.", P, "user_unknown", 0, ""},
	{"5.1.1", P, "user_unknown", 0, "5.1.1"},
	{"450 4.1.1 <x@y.example>: Recipient address rejected: User unknown in local recipient table", P, "user_unknown", 450, "4.1.1"},
	{"550 No such user (someone@example.com)", P, "user_unknown", 550, ""},
	{"553 5.1.1 unknown or illegal alias: kim@example.net", P, "user_unknown", 553, "5.1.1"},
	{"Sorry, no mailbox here by that name. (#5.1.1)", P, "user_unknown", 0, "5.1.1"},
	{"550 5.1.1 <k@comcast.example> Not our Customer", P, "user_unknown", 550, "5.1.1"},
	/* host_unknown */
	{"550 5.1.2 <a@nowhere.example>... Host unknown (Name server: nowhere.example: host not found)", P, "host_unknown", 550, "5.1.2"},
	{"Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found", P, "host_unknown", 0, ""},
	/* a DNS lookup that ended in "not found" vs one that failed for now */
	{"DNS lookup failure: host mx.nowhere.example not found", P, "host_unknown", 0, ""},
	{"DNS lookup failed: host mx.example.net not found, try again", T, "network_error", 0, ""},
	{"Name service error for name=example.net type=MX: Malformed or unexpected name server reply", T, "network_error", 0, ""},
	/* has_moved */
	{"550 5.1.6 recipient no longer on server: k@example.jp", P, "has_moved", 550, "5.1.6"},
	{"551 User not local; please try <k@elsewhere.example>", P, "has_moved", 551, ""},
	/* not_accept */
	{"556 5.1.10 Recipient address has null MX", P, "not_accept", 556, "5.1.10"},
	{"No MX found for domain", P, "not_accept", 0, ""},
	{"5.1.10", P, "not_accept", 0, "5.1.10"},
	{"421 4.4.0 domain does not accept mail (null MX)", T, "not_accept", 421, "4.4.0"},
	/* mailbox_full: 552/550 and text about quota */
	{"552 5.2.2 Mailbox full", T, "mailbox_full", 552, "5.2.2"},
	{"550 5.2.2 <k@example.jp>... Mailbox Full", T, "mailbox_full", 550, "5.2.2"},
	{"Mailbox full", T, "mailbox_full", 0, ""},
	{"452 4.2.2 The email account that you tried to reach is over quota.", T, "mailbox_full", 452, "4.2.2"},
	{"5.2.2", T, "mailbox_full", 0, "5.2.2"},
	/* mailbox_disabled */
	{"550-5.2.1 The email account that you tried to reach is disabled.", T, "mailbox_disabled", 550, "5.2.1"},
	{"554 delivery error: dd Sorry your message to k@example.com cannot be delivered. This account has been disabled or discontinued [#102].", T, "mailbox_disabled", 554, ""},
	/* message_too_big / exceed_limit */
	{"552 5.3.4 Message size exceeds fixed maximum message size: 10485760 bytes", T, "message_too_big", 552, "5.3.4"},
	{"552 5.2.3 Message length exceeds limit set by recipient", T, "exceed_limit", 552, "5.2.3"},
	{"552 5.2.3 Message size exceeds fixed maximum message size (10485760)", T, "exceed_limit", 552, "5.2.3"},
	/* filtered */
	{"550 5.2.0 Message Filtered", T, "filtered", 550, "5.2.0"},
	{"host mx.example.jp[192.0.2.1] said: 550 : User unknown (in reply to end of DATA command)", T, "filtered", 550, ""},
	{"550 5.7.1 User Unknown: someone@example.org", T, "filtered", 550, "5.7.1"},
	{"553 sorry, your envelope recipient is in my badrcptto list (#5.7.1)", T, "filtered", 553, "5.7.1"},
	/*
	 * Reply forms that refuse the message after DATA: "Unknown user" with
	 * the address after it (docomo), no recipient named at all (KDDI au),
	 * Yahoo's "delivery error: dd".
	 */
	{"550 Unknown user k@carrier.example.jp", T, "filtered", 550, ""},
	{"550 unknown user<k@carrier.example.jp>", T, "filtered", 550, ""},
	{"550 : User unknown", T, "filtered", 550, ""},
	{"550: : User unknown", T, "filtered", 550, ""},
	{"554 delivery error: dd This user doesn't have a example.com account (k@example.com) [0]", T, "filtered", 554, ""},
	/* ... not so: the address first, no reply code before the colon ... */
	{"550 <k@carrier.example.jp>: User unknown", P, "user_unknown", 550, ""},
	{"mail.local: User unknown", P, "user_unknown", 0, ""},
	{"550 Unknown user: kijitora", P, "user_unknown", 550, ""},
	/* ... or followed by DATA refused for want of recipients: said at RCPT */
	{"550 Unknown user k@carrier.example.jp 503 Bad sequence of commands", P, "user_unknown", 550, ""},
	{"550 5.2.1 <k@example.jp>... User Unknown 503 5.0.0 Need RCPT (recipient)", P, "user_unknown", 550, "5.2.1"},
	{"192.0.2.1 does not like recipient. Remote host said: 550 Unknown user k@example.jp", P, "user_unknown", 550, ""},
	/* a policy status still says filter, whatever followed */
	{"550 5.7.1 <k@example.fr>: Recipient address rejected: User unknown 554 5.5.1 Error: no valid recipients", T, "filtered", 550, "5.7.1"},
	/* a 503 alone is a syntax error, not a cue */
	{"503 5.5.1 Bad sequence of commands", T, "syntax_error", 503, "5.5.1"},
	/* rejected */
	{"501 5.1.8 Sender address rejected: Domain not found", T, "rejected", 501, "5.1.8"},
	{"host mx.example.jp[192.0.2.1] said: 550 5.7.1 Access denied (in reply to MAIL FROM command)", T, "rejected", 550, "5.7.1"},
	/* blocked */
	{"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", T, "blocked", 554, "5.7.1"},
	{"550 5.7.606 Access denied, banned sending IP [192.0.2.1].", T, "blocked", 550, "5.7.606"},
	{"host mx.example.com[192.0.2.1] refused to talk to me: 554 Access denied", T, "blocked", 554, ""},
	/* bad_reputation */
	{"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints", T, "bad_reputation", 421, "4.7.0"},
	{"550 5.7.1 Poor sender reputation", T, "bad_reputation", 550, "5.7.1"},
	/* spam_detected / virus_detected */
	{"550-5.7.1 Our system has detected that this message is likely unsolicited mail.", T, "spam_detected", 550, "5.7.1"},
	{"554 5.7.0 Reject, id=12345 - SPAM", T, "spam_detected", 554, "5.7.0"},
	{"550 5.7.1 Message content rejected, UBE, id=1", T, "spam_detected", 550, "5.7.1"},
	{"554 5.7.1 Virus found in message: Eicar-Test-Signature", T, "virus_detected", 554, "5.7.1"},
	/* policy_violation / content_error */
	{"554 5.7.9 Message not accepted for policy reasons.", T, "policy_violation", 554, "5.7.9"},
	{"552-5.7.0 Our system detected an illegal attachment on your message.", T, "policy_violation", 552, "5.7.0"},
	{"500 5.6.1 Message content rejected", T, "content_error", 500, "5.6.1"},
	{"550 5.6.9 improper use of 8-bit data in message header", T, "content_error", 550, "5.6.9"},
	/* auth_failure / require_ptr / not_compliant_rfc / security_error / failed_starttls */
	{"550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.", T, "auth_failure", 550, "5.7.26"},
	{"550 5.7.1 SPF check failed", T, "auth_failure", 550, "5.7.1"},
	{"550 5.7.1 Message rejected: SPF fail - not authorized", T, "auth_failure", 550, "5.7.1"},
	{"550 5.7.1 192.0.2.1 is not allowed to send mail from example.com per its SPF record", T, "auth_failure", 550, "5.7.1"},
	{"550 5.7.23 domain of sender does not designate 192.0.2.1 as permitted sender", T, "auth_failure", 550, "5.7.23"},
	/* SPF named as advice, not as the failure: the stated reason wins */
	{"Your message was rejected due to spam classification. Please set up SPF records for your domain.", T, "spam_detected", 0, ""},
	{"550 5.7.25 Reverse DNS validation failed", T, "require_ptr", 550, "5.7.25"},
	{"450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]", T, "require_ptr", 450, "4.7.1"},
	{"550-5.7.1 This message is not RFC 5322 compliant.", T, "not_compliant_rfc", 550, "5.7.1"},
	{"530 5.7.0 Authentication required", T, "security_error", 530, "5.7.0"},
	{"550 5.7.1 Rejected", T, "security_error", 550, "5.7.1"},
	{"530 5.7.0 Must issue a STARTTLS command first", T, "failed_starttls", 530, "5.7.0"},
	/* relay_denied / rate_limited / too_many_connections */
	{"554 5.7.1 <k@example.net>: Relay access denied", T, "relay_denied", 554, "5.7.1"},
	{"550 5.7.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages", T, "rate_limited", 550, "5.7.1"},
	{"421 4.7.0 Too many connections from your IP", T, "too_many_connections", 421, "4.7.0"},
	{"552 Too many recipients", T, "too_many_connections", 552, ""},
	/* expired / network_error */
	{"retry timeout exceeded", T, "expired", 0, ""},
	{"554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>", T, "expired", 554, "4.4.7"},
	{"4.4.7", T, "expired", 0, "4.4.7"},
	{"4.0.0", T, "expired", 0, "4.0.0"},
	{"connect to mx.example.com[192.0.2.1]:25: No route to host", T, "network_error", 0, ""},
	{"554 5.4.6 Too many hops", T, "network_error", 554, "5.4.6"},
	/* system_error / system_full / mailer_error / syntax_error */
	{"550 5.3.5 Internal System Error", T, "system_error", 550, "5.3.5"},
	{"451 Could not load configuration for domain", T, "system_error", 451, ""},
	{"452 4.3.1 Insufficient system storage", T, "system_full", 452, "4.3.1"},
	{"pipe to |/usr/local/bin/filter k@example.com", T, "mailer_error", 0, ""},
	{"503 Improper sequence of commands", T, "syntax_error", 503, ""},
	{"501 5.5.4 Syntax error in parameters", T, "syntax_error", 501, "5.5.4"},
	/* greylisting: 550 or 450, still a deferral */
	{"550 Greylisted, please try again in 300 seconds", T, "on_hold", 550, ""},
	/* on_hold / undefined */
	{"450 4.0.0 Temporary failure", T, "on_hold", 450, "4.0.0"},
	{"550 5.0.0 Something nobody foresaw", U, "on_hold", 550, "5.0.0"},
	{"Did not reach the following recipient: k@example.net", U, "on_hold", 0, ""},
	{"", U, "undefined", 0, ""},
	{"   \t\r\n  ", U, "undefined", 0, ""},
	{"5.0.900", U, "undefined", 0, "5.0.900"},
	/* suppressed */
	{"Address is on the account-level suppression list", P, "suppressed", 0, ""},
	/* not bounces */
	{"250 2.6.0 Message received", N, "delivered", 250, "2.6.0"},
	{"I am currently away from the office until Monday.", N, "vacation", 0, ""},
	{"This is an email abuse report for an email message received from IP 192.0.2.1", N, "feedback", 0, ""},
	/* codes contradicting text: the phrase wins */
	{"550 5.1.1 Mailbox is full", T, "mailbox_full", 550, "5.1.1"},
	{"550 5.7.1 Recipient address rejected: Greylisted", T, "on_hold", 550, "5.7.1"},
	{"451 4.1.1 No such user here", P, "user_unknown", 451, "4.1.1"},
	{"552 5.2.2 User unknown", P, "user_unknown", 552, "5.2.2"},
	/* mixed case, prefixes */
	{"X-Postfix; HOST UNKNOWN", P, "host_unknown", 0, ""},
	{"X-Notes; User not listed in public Name & Address Book", P, "user_unknown", 0, ""},
	{"x-unix; mailbox is FULL", T, "mailbox_full", 0, ""},
	/* words inside an address say nothing */
	{"550 <mailbox-full@example.com>: Access denied", T, "security_error", 550, ""},
	/* IP addresses and dates are not codes */
	{"host 192.0.2.25 said: 550 5.1.1 user unknown", P, "user_unknown", 550, "5.1.1"},
	{"Out: 220 mx ESMTP Out: 250 2.0.0 Ok In: DATA Out: 451 4.3.0 Error: queue file write error", T, "system_error", 451, "4.3.0"},
	/* non-ASCII */
	{"550 5.1.1 Benutzer unbekannt \xc3\xa4\xc3\xb6\xc3\xbc user unknown", P, "user_unknown", 550, "5.1.1"},
	{"\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc", U, "on_hold", 0, ""},
	{"\xff\xfe\x80 550 \xff", U, "on_hold", 550, ""},
	/* a provider's documented code beats the words around it */
	{"554 5.7.1 <mta@sender.example> sender rejected, see our error code page. AUP#CXBL", T, "blocked", 554, "5.7.1"},
	{"421 4.7.0 rDNS check failed for 198.51.100.9 AUP#CXDNS", T, "require_ptr", 421, "4.7.0"},
	{"554 5.7.1 Refused. AUP#IPBL1011", T, "blocked", 554, "5.7.1"},
	{"421 4.7.0 sender rejected, try again later - AUP#O-1350", T, "rate_limited", 421, "4.7.0"},
	{"554 5.7.1 sender rejected. AUP#In-1120", T, "require_ptr", 554, "5.7.1"},
	{"550 5.7.1 sender rejected. AUP#I-1000", T, "blocked", 550, "5.7.1"},
	{"552 5.2.2 Refused. OFR004_417 [417]", T, "mailbox_full", 552, "5.2.2"},
	{"421 mx02 Trop de connexions. LPN105_104", T, "too_many_connections", 421, ""},
	{"550 5.7.1 Message refused. OFR_506 [506]", T, "spam_detected", 550, "5.7.1"},
	{"550 5.0.0 Your message was refused, ticket XYZ_506", T, "blocked", 550, "5.0.0"},
	{"550 5.5.0 Service refused, please try later. LPN002_108", T, "blocked", 550, "5.5.0"},
	/* forward-confirmed reverse DNS failures */
	{"550 helo [mx.sender.example] mismatches client ip 198.51.100.7", T, "require_ptr", 550, ""},
	{"451 this service permits 3 unverifiable sending IPs; mx.sender.example is not 198.51.100.7", T, "require_ptr", 451, ""},
	{"550 5.7.1 The forward DNS entry of your host does not point to 198.51.100.7", T, "require_ptr", 550, "5.7.1"},
	/* an address (not an IP) on a list: the sender is refused */
	{"553 Sorry, your email address has been blacklisted here", T, "rejected", 553, ""},
	{"554 Your IP address has been blacklisted here", T, "blocked", 554, ""},
	/* no route until the queue gave up */
	{"Could not find a gateway for someone@far.example", T, "expired", 0, ""},
	{"Delivery to the following recipients was aborted after 12.0 hour(s): * a@far.example", T, "expired", 0, ""},
	{"Your message could not be delivered for more than 6 hour(s).", T, "expired", 0, ""},
	/* a list server's duplicate guard */
	{"Duplicate Message-ID <20240101.abc@mta.example> refused by the list", T, "system_error", 0, ""},
	/* a bare exit status of a local delivery program */
	{"75", T, "mailer_error", 0, ""},
	{" 255 ", T, "mailer_error", 0, ""},
	{"250", N, "delivered", 250, ""},
	{"1234", U, "undefined", 0, ""},
	/* 521 with a mail-system status: the host accepts no mail at all */
	{"521 5.3.2 System not accepting network messages", P, "not_accept", 521, "5.3.2"},
	{"421 4.3.2 System not accepting network messages", T, "system_error", 421, "4.3.2"},
	/* a media status names the message, whatever the restriction prefix */
	{"550 5.6.0 <k@example.net>: Recipient address rejected: unsupported encoding", T, "content_error", 550, "5.6.0"},
	/* the server wants the sender to log in */
	{"530-Please turn on SMTP Authentication in your mail client.", T, "security_error", 530, ""},
};

/* Classify a NUL-terminated case text. */
static void
classify(const char *text, const bs_smtp_context *ctx, bs_smtp_result *r)
{
	bs_smtp_classify(text, strlen(text), ctx, r);
}

static void
test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const smtp_case *c = &cases[i];
		bs_smtp_result r;

		classify(c->text, NULL, &r);
		if (r.type != c->type || strcmp(bs_reason_name(r.reason), c->reason) != 0)
			fprintf(stderr, "case %zu: \"%s\" -> type %d %s\n", i, c->text,
					(int) r.type, bs_reason_name(r.reason));
		CHECK(r.type == c->type);
		CHECK_STR(bs_reason_name(r.reason), c->reason);
		if (c->code >= 0)
			CHECK(r.reply_code == c->code);
		if (c->status)
			CHECK_STR(r.enhanced_status, c->status);
	}
}

/* Every reason of the vocabulary round-trips through its name. */
static void
test_names(void)
{
	CHECK(bs_reason_name(BS_R_NONE) == NULL);
	CHECK(bs_reason_name(BS_R__COUNT) == NULL);
	CHECK(bs_reason_name((bs_reason) -1) == NULL);
	for (int i = 1; i < BS_R__COUNT; i++)
	{
		const char *n = bs_reason_name((bs_reason) i);

		CHECK(n != NULL);
		CHECK(bs_reason_from_name(n, strlen(n)) == (bs_reason) i);
	}
	CHECK(bs_reason_from_name("nonsense", 8) == BS_R_NONE);
	CHECK(bs_reason_from_name("user_unknownX", 12) == BS_R_USER_UNKNOWN);
	CHECK(bs_reason_from_name(NULL, 0) == BS_R_NONE);
	CHECK(bs_reason_is_sender(BS_R_BLOCKED));
	CHECK(bs_reason_is_sender(BS_R_AUTH_FAILURE));
	CHECK(!bs_reason_is_sender(BS_R_USER_UNKNOWN));
	CHECK(!bs_reason_is_sender(BS_R_MAILBOX_FULL));
}

/* Context: command, responding host, out-of-band status. */
static void
test_context(void)
{
	bs_smtp_context ctx;
	bs_smtp_result r;

	memset(&ctx, 0, sizeof(ctx));
	ctx.command = "DATA";
	ctx.command_len = 4;
	classify("550 User unknown", &ctx, &r);
	CHECK(r.reason == BS_R_FILTERED && r.type == BS_TYPE_TRANSIENT);

	ctx.command = "RCPT";
	ctx.command_len = 4;
	classify("550 User unknown", &ctx, &r);
	CHECK(r.reason == BS_R_USER_UNKNOWN && r.type == BS_TYPE_PERMANENT);

	ctx.command = "MAIL";
	classify("550 5.1.1 No such user", &ctx, &r);
	CHECK(r.reason == BS_R_REJECTED);

	ctx.command = "CONN";
	classify("554 go away", &ctx, &r);
	CHECK(r.reason == BS_R_BLOCKED);

	/* a docomo-form refusal said at RCPT is a missing mailbox */
	memset(&ctx, 0, sizeof(ctx));
	ctx.command = "RCPT";
	ctx.command_len = 4;
	classify("550 Unknown user k@carrier.example.jp", &ctx, &r);
	CHECK(r.reason == BS_R_USER_UNKNOWN && r.type == BS_TYPE_PERMANENT);

	/* "user unknown" with a policy status: a filter, unless said at RCPT */
	memset(&ctx, 0, sizeof(ctx));
	ctx.status = "5.7.1";
	ctx.status_len = 5;
	classify("553 Invalid recipient k@example.net", &ctx, &r);
	CHECK(r.reason == BS_R_FILTERED);
	ctx.command = "RCPT";
	ctx.command_len = 4;
	classify("553 Invalid recipient k@example.net", &ctx, &r);
	CHECK(r.reason == BS_R_USER_UNKNOWN && r.type == BS_TYPE_PERMANENT);

	/* x.2.1 says the mailbox exists: "user unknown" with it is a filter's */
	memset(&ctx, 0, sizeof(ctx));
	classify("550 5.2.1 <k@example.jp>... User Unknown", &ctx, &r);
	CHECK(r.reason == BS_R_FILTERED && r.type == BS_TYPE_TRANSIENT);
	ctx.command = "RCPT";
	ctx.command_len = 4;
	classify("550 5.2.1 <k@example.jp>... User Unknown", &ctx, &r);
	CHECK(r.reason == BS_R_USER_UNKNOWN && r.type == BS_TYPE_PERMANENT);

	/* an "other" x.0.0 status leaves the reply code its say */
	memset(&ctx, 0, sizeof(ctx));
	ctx.status = "4.0.0";
	ctx.status_len = 5;
	classify("451 Could not complete the lookup for this domain", &ctx, &r);
	CHECK(r.reason == BS_R_SYSTEM_ERROR && r.type == BS_TYPE_TRANSIENT);

	/* a DSN's 4.4.7 (queue expired) does not hide why the attempts failed */
	ctx.status = "4.4.7";
	classify("Deferred: Connection refused by mx.example.net.", &ctx, &r);
	CHECK(r.reason == BS_R_BLOCKED);
	classify("", &ctx, &r);
	CHECK(r.reason == BS_R_EXPIRED);
	classify("451 4.4.7 Delivery time expired", NULL, &r);
	CHECK(r.reason == BS_R_EXPIRED);

	/* the DSN Status: field fills in for a text without one */
	memset(&ctx, 0, sizeof(ctx));
	ctx.status = " 5.2.2";
	ctx.status_len = 6;
	classify("delivery failed", &ctx, &r);
	CHECK_STR(r.enhanced_status, "5.2.2");
	CHECK(r.reason == BS_R_MAILBOX_FULL);
	classify("550 5.1.1 user unknown", &ctx, &r);
	CHECK_STR(r.enhanced_status, "5.1.1");
	ctx.status = "garbage";
	ctx.status_len = 7;
	classify("", &ctx, &r);
	CHECK_STR(r.enhanced_status, "");
	CHECK(r.reason == BS_R_UNDEFINED);
}

/* Never read past len; no NUL needed; huge inputs stay linear. */
static void
test_bounds(void)
{
	bs_smtp_result r;
	char		buf[64];
	size_t		big = 4 * 1024 * 1024;
	char	   *huge;

	/* len shorter than the buffer: the tail must not be seen */
	strcpy(buf, "550 5.1.1 user unknown");
	bs_smtp_classify(buf, 3, NULL, &r);
	CHECK(r.reply_code == 550);
	CHECK(r.reason != BS_R_USER_UNKNOWN);
	bs_smtp_classify(buf, 8, NULL, &r);
	CHECK_STR(r.enhanced_status, "");
	bs_smtp_classify(buf, 0, NULL, &r);
	CHECK(r.reason == BS_R_UNDEFINED && r.reply_code == 0);
	bs_smtp_classify(NULL, 0, NULL, &r);
	CHECK(r.reason == BS_R_UNDEFINED);

	/* exact-size heap buffers, so ASan catches any overread */
	{
		const char *t = "550 5.1.1 mailbox full";
		size_t		n = strlen(t);
		char	   *h = malloc(n);

		memcpy(h, t, n);
		for (size_t k = 0; k <= n; k++)
		{
			bs_smtp_classify(h + n - k, k, NULL, &r);
			CHECK(r.reason > BS_R_NONE && r.reason < BS_R__COUNT);
		}
		free(h);
	}

	/* a long status, a truncated one, an IP, a version number */
	classify("5.123.456 oops", NULL, &r);
	CHECK_STR(r.enhanced_status, "5.123.456");
	classify("5.1234.5 oops", NULL, &r);
	CHECK_STR(r.enhanced_status, "");
	classify("version 4.16.55.1 said 192.0.2.222", NULL, &r);
	CHECK_STR(r.enhanced_status, "");
	CHECK(r.reply_code == 0);

	/* megabytes of noise, then the reply */
	huge = malloc(big + 64);
	memset(huge, 'x', big);
	strcpy(huge + big, " 550 5.1.1 user unknown");
	bs_smtp_classify(huge, strlen(huge), NULL, &r);
	CHECK(r.reason == BS_R_USER_UNKNOWN && r.reply_code == 550);
	/* adversarial: all digits, all '<', all spaces, all '-' */
	memset(huge, '5', big);
	bs_smtp_classify(huge, big, NULL, &r);
	CHECK(r.reply_code == 0);
	memset(huge, '<', big);
	bs_smtp_classify(huge, big, NULL, &r);
	CHECK(r.reason == BS_R_UNDEFINED);
	for (size_t k = 0; k + 4 <= big; k += 4)
		memcpy(huge + k, "550-", 4);
	bs_smtp_classify(huge, big, NULL, &r);
	CHECK(r.reply_code == 550);
	free(huge);
}

int
main(void)
{
	test_cases();
	test_names();
	test_context();
	test_bounds();
	return UNIT_DONE();
}
