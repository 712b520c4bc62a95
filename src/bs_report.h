/*-------------------------------------------------------------------------
 *
 * bs_report.h
 *	  Whole bounce mails and complaint reports -> one row per recipient
 *	  (plain C, no postgres.h; unit-tested and fuzzed outside the server).
 *
 * Understood: RFC 3464 delivery status notifications (also when the DSN
 * fields sit in a text part), RFC 5965 ARF complaint reports, Amazon SES
 * notifications mailed through SNS, and the plain-text bounces of common
 * MTAs (qmail, Exim, Sendmail, Postfix, Exchange, Domino, Gmail, Yahoo, ...)
 * through generic shape rules.  RFC 3834 auto-replies (vacation notices) are
 * not bounces and give no rows.  Every row is classified by the one
 * classifier, bs_smtp_classify().
 *
 * Input: one message, or an mbox (a file starting with a "From " line); each
 * message of an mbox is parsed in turn, up to BS_REPORT_MAX_MESSAGES.
 *
 * Caps: BS_REPORT_MAX_ROWS rows per call, BS_REPORT_MAX_DIAG bytes of
 * diagnostic per row, plus the bs_mime.h caps.  Output strings are valid
 * UTF-8 (invalid bytes become '?'), NUL-terminated, allocated from the
 * caller's bs_alloc.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BS_REPORT_H
#define BS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bs_mime.h"
#include "bs_smtp.h"

#define BS_REPORT_MAX_ROWS		1000
#define BS_REPORT_MAX_MESSAGES	1000
#define BS_REPORT_MAX_DIAG		2000

typedef enum bs_kind
{
	BS_KIND_BOUNCE = 0,
	BS_KIND_COMPLAINT,
	BS_KIND_DELIVERY
} bs_kind;

typedef struct bs_report_row
{
	char	   *recipient;		/* as given (Final-Recipient, ...), never NULL */
	bs_kind		kind;
	bs_type		type;			/* BS_TYPE_NONE for complaints/deliveries */
	bs_reason	reason;
	int			reply_code;		/* 0 = none */
	char		status[BS_STATUS_MAX];	/* enhanced status, "" = none */
	char	   *diagnostic;		/* NULL = none */
	char	   *remote_mta;		/* NULL = none */
	char	   *message_id;		/* the ORIGINAL message's Message-ID, or NULL */
	char	   *report_id;		/* the report's own Message-ID, else a hash of
								 * the report's bytes: never NULL */
	char	   *feedback_type;	/* ARF Feedback-Type, NULL for bounces */
	bool		has_time;
	int64_t		occurred_at;	/* Unix seconds (UTC) when has_time */
} bs_report_row;

typedef struct bs_report
{
	bs_report_row *rows;
	int			nrows;
	bool		truncated;		/* a cap was hit */
} bs_report;

/*
 * Parse data[0..len) (any bytes; never read past len).  Returns false only
 * when the allocator failed; a mail that is not a report gives true with
 * nrows = 0.
 */
extern bool bs_report_parse(const char *data, size_t len, const bs_alloc *a,
							bs_report *out);

/* "bounce", "complaint", "delivery". */
extern const char *bs_kind_name(bs_kind kind);

/*
 * Parse an RFC 5322 date ("Thu, 29 Apr 2010 23:34:45 +0900 (JST)", with the
 * usual sloppiness: no weekday, 2-digit years, named zones) into Unix
 * seconds.  False when it is not a date.
 */
extern bool bs_parse_date(const char *s, size_t len, int64_t *out);

#endif							/* BS_REPORT_H */
