/*-------------------------------------------------------------------------
 *
 * bs_smtp.h
 *	  The one bounce classifier: SMTP reply text -> reply code, enhanced
 *	  status, bounce type and reason.
 *
 * Plain C: this header and bs_smtp.c never include postgres.h, allocate
 * nothing and keep no state, so the classifier can be unit-tested and fuzzed
 * outside the server and is safe to call from any backend code path.
 *
 * Every door (classify_smtp/parse_smtp_reply, the events trigger, the report
 * parser, the webhook normalizers) classifies through bs_smtp_classify().
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_SMTP_H
#define BS_SMTP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum bs_type
{
	BS_TYPE_NONE = 0,			/* not a bounce (delivery, auto-reply, complaint) */
	BS_TYPE_PERMANENT,
	BS_TYPE_TRANSIENT,
	BS_TYPE_UNDETERMINED
} bs_type;

/*
 * The closed reason vocabulary of API.md.  Keep BS_REASON_NAMES in bs_smtp.c
 * in the same order.
 */
typedef enum bs_reason
{
	BS_R_NONE = 0,				/* no reason could be given (never returned by
								 * the classifier: it says BS_R_UNDEFINED) */
	BS_R_USER_UNKNOWN,
	BS_R_HOST_UNKNOWN,
	BS_R_HAS_MOVED,
	BS_R_NOT_ACCEPT,
	BS_R_MAILBOX_FULL,
	BS_R_MAILBOX_DISABLED,
	BS_R_MESSAGE_TOO_BIG,
	BS_R_EXCEED_LIMIT,
	BS_R_FILTERED,
	BS_R_REJECTED,
	BS_R_BLOCKED,
	BS_R_BAD_REPUTATION,
	BS_R_SPAM_DETECTED,
	BS_R_VIRUS_DETECTED,
	BS_R_POLICY_VIOLATION,
	BS_R_CONTENT_ERROR,
	BS_R_AUTH_FAILURE,
	BS_R_REQUIRE_PTR,
	BS_R_NOT_COMPLIANT_RFC,
	BS_R_SECURITY_ERROR,
	BS_R_FAILED_STARTTLS,
	BS_R_RELAY_DENIED,
	BS_R_RATE_LIMITED,
	BS_R_TOO_MANY_CONNECTIONS,
	BS_R_EXPIRED,
	BS_R_NETWORK_ERROR,
	BS_R_SYSTEM_ERROR,
	BS_R_SYSTEM_FULL,
	BS_R_MAILER_ERROR,
	BS_R_SYNTAX_ERROR,
	BS_R_ON_HOLD,
	BS_R_UNDEFINED,
	BS_R_SUPPRESSED,
	BS_R_FEEDBACK,
	BS_R_VACATION,
	BS_R_DELIVERED,
	BS_R__COUNT
} bs_reason;

/* Optional context a caller may have about the reply (all fields may be NULL/0). */
typedef struct bs_smtp_context
{
	const char *command;		/* SMTP command the reply answered: "RCPT", "DATA",
								 * "MAIL", "CONN", "HELO", ... */
	size_t		command_len;
	const char *status;			/* enhanced status given out of band (a DSN's
								 * Status: field), used when the text has none */
	size_t		status_len;
} bs_smtp_context;

#define BS_STATUS_MAX 16		/* "5.999.999" plus NUL, rounded up */

/*
 * The classifier looks at no more than this many bytes of a text (16 MiB):
 * the scan is linear, this only bounds the time a pathological value costs.
 */
#define BS_SMTP_SCAN_MAX ((size_t) 16 * 1024 * 1024)

typedef struct bs_smtp_result
{
	int			reply_code;		/* 3-digit reply code, 0 when the text has none */
	char		enhanced_status[BS_STATUS_MAX];	/* "5.1.1", "" when none */
	bs_type		type;			/* never BS_TYPE_NONE for a bounce text */
	bs_reason	reason;			/* never BS_R_NONE */
} bs_smtp_result;

/*
 * Classify one reply text.  text need not be NUL-terminated; len bytes are
 * read and never more.  ctx may be NULL.  Empty or code-less text without a
 * recognisable phrase gives BS_TYPE_UNDETERMINED / BS_R_UNDEFINED.
 */
extern void bs_smtp_classify(const char *text, size_t len,
							 const bs_smtp_context *ctx,
							 bs_smtp_result *out);

/* "permanent", "transient", "undetermined" (the bounce_type labels); NULL
 * for BS_TYPE_NONE (not a bounce) or out of range. */
extern const char *bs_type_name(bs_type type);

/* "user_unknown", ...; NULL for BS_R_NONE or out of range. */
extern const char *bs_reason_name(bs_reason reason);

/* Inverse of bs_reason_name; BS_R_NONE when name is not in the vocabulary. */
extern bs_reason bs_reason_from_name(const char *name, size_t len);

/* True for the reasons that blame the sender, not the recipient address. */
extern bool bs_reason_is_sender(bs_reason reason);

#endif							/* BS_SMTP_H */
