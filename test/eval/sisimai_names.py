"""Sisimai's reason names mapped to API.md's vocabulary (API.md lists the
equivalents), for the corpus evaluations in this folder."""

SISIMAI_TO_API = {
    'userunknown': 'user_unknown', 'hostunknown': 'host_unknown', 'hasmoved': 'has_moved',
    'notaccept': 'not_accept', 'mailboxfull': 'mailbox_full', 'suspend': 'mailbox_disabled',
    'mesgtoobig': 'message_too_big', 'exceedlimit': 'exceed_limit', 'filtered': 'filtered',
    'rejected': 'rejected', 'blocked': 'blocked', 'badreputation': 'bad_reputation',
    'spamdetected': 'spam_detected', 'virusdetected': 'virus_detected',
    'policyviolation': 'policy_violation', 'contenterror': 'content_error',
    'authfailure': 'auth_failure', 'requireptr': 'require_ptr',
    'notcompliantrfc': 'not_compliant_rfc', 'securityerror': 'security_error',
    'failedstarttls': 'failed_starttls', 'norelaying': 'relay_denied',
    'speeding': 'rate_limited', 'toomanyconn': 'too_many_connections', 'expired': 'expired',
    'networkerror': 'network_error', 'systemerror': 'system_error',
    'systemfull': 'system_full', 'mailererror': 'mailer_error', 'syntaxerror': 'syntax_error',
    'onhold': 'on_hold', 'undefined': 'undefined', 'suppressed': 'suppressed',
    'feedback': 'feedback', 'vacation': 'vacation', 'delivered': 'delivered',
}
