/*-------------------------------------------------------------------------
 *
 * bs_smtp.c
 *	  SMTP reply classifier (plain C; see bs_smtp.h).
 *
 * PLACEHOLDER: reply code + enhanced status class only.  Replaced by the
 * full classifier (issue 3).
 *
 *-------------------------------------------------------------------------
 */
#include "bs_smtp.h"

#include <string.h>

static const char *const BS_REASON_NAMES[BS_R__COUNT] = {
	NULL,
	"user_unknown", "host_unknown", "has_moved", "not_accept",
	"mailbox_full", "mailbox_disabled", "message_too_big", "exceed_limit",
	"filtered", "rejected", "blocked", "bad_reputation", "spam_detected",
	"virus_detected", "policy_violation", "content_error", "auth_failure",
	"require_ptr", "not_compliant_rfc", "security_error", "failed_starttls",
	"relay_denied", "rate_limited", "too_many_connections", "expired",
	"network_error", "system_error", "system_full", "mailer_error",
	"syntax_error", "on_hold", "undefined", "suppressed", "feedback",
	"vacation", "delivered"
};

const char *
bs_reason_name(bs_reason reason)
{
	if ((int) reason <= 0 || reason >= BS_R__COUNT)
		return NULL;
	return BS_REASON_NAMES[reason];
}

bs_reason
bs_reason_from_name(const char *name, size_t len)
{
	for (int i = 1; i < BS_R__COUNT; i++)
		if (strlen(BS_REASON_NAMES[i]) == len &&
			memcmp(BS_REASON_NAMES[i], name, len) == 0)
			return (bs_reason) i;
	return BS_R_NONE;
}

bool
bs_reason_is_sender(bs_reason reason)
{
	switch (reason)
	{
		case BS_R_REJECTED:
		case BS_R_BLOCKED:
		case BS_R_BAD_REPUTATION:
		case BS_R_SPAM_DETECTED:
		case BS_R_VIRUS_DETECTED:
		case BS_R_POLICY_VIOLATION:
		case BS_R_CONTENT_ERROR:
		case BS_R_AUTH_FAILURE:
		case BS_R_REQUIRE_PTR:
		case BS_R_NOT_COMPLIANT_RFC:
		case BS_R_SECURITY_ERROR:
		case BS_R_FAILED_STARTTLS:
		case BS_R_RELAY_DENIED:
		case BS_R_RATE_LIMITED:
		case BS_R_TOO_MANY_CONNECTIONS:
			return true;
		default:
			return false;
	}
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
bs_smtp_classify(const char *text, size_t len, const bs_smtp_context *ctx,
				 bs_smtp_result *out)
{
	size_t		i;

	(void) ctx;
	memset(out, 0, sizeof(*out));
	out->type = BS_TYPE_UNDETERMINED;
	out->reason = BS_R_UNDEFINED;

	for (i = 0; i < len; i++)
	{
		if (out->reply_code == 0 && i + 3 <= len &&
			(text[i] == '2' || text[i] == '4' || text[i] == '5') &&
			is_digit(text[i + 1]) && is_digit(text[i + 2]) &&
			(i == 0 || !is_digit(text[i - 1])) &&
			(i + 3 == len || text[i + 3] == ' ' || text[i + 3] == '-'))
			out->reply_code = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
		if (out->enhanced_status[0] == '\0' && i + 5 <= len &&
			(text[i] == '2' || text[i] == '4' || text[i] == '5') &&
			text[i + 1] == '.' && is_digit(text[i + 2]) &&
			(i == 0 || !is_digit(text[i - 1])))
		{
			size_t		j = i + 2,
						k;

			while (j < len && is_digit(text[j]) && j - i < 5)
				j++;
			if (j < len && text[j] == '.' && j + 1 < len && is_digit(text[j + 1]))
			{
				k = j + 1;
				while (k < len && is_digit(text[k]) && k - j < 4)
					k++;
				if (k - i < BS_STATUS_MAX)
				{
					memcpy(out->enhanced_status, text + i, k - i);
					out->enhanced_status[k - i] = '\0';
				}
			}
		}
	}
	if (out->enhanced_status[0] == '5' || (out->enhanced_status[0] == '\0' && out->reply_code >= 500))
		out->type = BS_TYPE_PERMANENT;
	else if (out->enhanced_status[0] == '4' || (out->enhanced_status[0] == '\0' && out->reply_code >= 400))
		out->type = BS_TYPE_TRANSIENT;
}
