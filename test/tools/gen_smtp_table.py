#!/usr/bin/env python3
#-------------------------------------------------------------------------
#
# gen_smtp_table.py
#	  Generates src/bs_smtp_table.h: the phrase vocabulary of the SMTP reply
#	  classifier compiled into a static Aho-Corasick automaton (a full DFA
#	  over a small byte-class alphabet), so that bs_smtp.c can find every
#	  phrase in one pass over the text with no allocation and no mutable
#	  state.
#
#	  Run from the repository root after editing TAGS or PHRASES:
#		  python3 test/tools/gen_smtp_table.py > src/bs_smtp_table.h
#
#	  Phrase syntax: lower case; a space matches any run of whitespace, '-',
#	  '_', quotes and apostrophes (the scanner folds those to one space); a
#	  leading or trailing '|' requires a word boundary there.  Keep phrases
#	  about meaning ("mailbox full", "blocked using"), never whole replies.
#
#-------------------------------------------------------------------------
import sys
from collections import deque

# Tags in PRIORITY ORDER (first present strong tag wins).  Each tag is
# (name, reason or None, tier): tier 2 = strong phrase (beats the enhanced
# status code), 1 = weak phrase (used only when the status code says nothing
# specific), 0 = cue (context, not a reason by itself), 3 = non-bounce
# (auto-reply, complaint) used only when nothing else is found.
TAGS = [
	# --- a provider's own documented error code: it names the cause, so it
	# beats the generic words around it ("sender rejected ... AUP#CDRBL") ---
	("PCODE_BLOCKED", "BLOCKED", 2),
	("PCODE_REQUIRE_PTR", "REQUIRE_PTR", 2),
	("PCODE_AUTH_FAILURE", "AUTH_FAILURE", 2),
	("PCODE_REJECTED", "REJECTED", 2),
	("PCODE_TOO_MANY_CONN", "TOO_MANY_CONNECTIONS", 2),
	("PCODE_SECURITY", "SECURITY_ERROR", 2),
	("PCODE_SPAM", "SPAM_DETECTED", 2),
	# --- strong evidence ---
	("SUPPRESSED", "SUPPRESSED", 2),
	("NOT_ACCEPT", "NOT_ACCEPT", 2),
	("RELAY_DENIED", "RELAY_DENIED", 2),
	("SECURITY_ERROR", "SECURITY_ERROR", 2),
	("AUTH_FAILURE", "AUTH_FAILURE", 2),
	("REQUIRE_PTR", "REQUIRE_PTR", 2),
	("NOT_COMPLIANT_RFC", "NOT_COMPLIANT_RFC", 2),
	("VIRUS", "VIRUS_DETECTED", 2),
	("TOO_MANY_CONN", "TOO_MANY_CONNECTIONS", 2),
	("RATE_LIMITED", "RATE_LIMITED", 2),
	("GREYLIST", "ON_HOLD", 2),
	("REJECTED", "REJECTED", 2),
	("NETWORK_ERROR", "NETWORK_ERROR", 2),
	("HOST_UNKNOWN", "HOST_UNKNOWN", 2),
	("SPAM", "SPAM_DETECTED", 2),
	("CONTENT_REJECTED", "SPAM_DETECTED", 2),
	("BLOCKED", "BLOCKED", 2),
	("BAD_REPUTATION", "BAD_REPUTATION", 2),
	("POLICY", "POLICY_VIOLATION", 2),
	("CONTENT_ERROR", "CONTENT_ERROR", 2),
	("MAILER_ERROR", "MAILER_ERROR", 2),
	("EXCEED_LIMIT", "EXCEED_LIMIT", 2),
	("MAILBOX_FULL", "MAILBOX_FULL", 2),
	("MESSAGE_TOO_BIG", "MESSAGE_TOO_BIG", 2),
	("MAILBOX_DISABLED", "MAILBOX_DISABLED", 2),
	("HAS_MOVED", "HAS_MOVED", 2),
	("FILTERED", "FILTERED", 2),
	("USER_UNKNOWN", "USER_UNKNOWN", 2),
	("FAILED_STARTTLS", "FAILED_STARTTLS", 2),
	("EXPIRED", "EXPIRED", 2),
	("SYSTEM_FULL", "SYSTEM_FULL", 2),
	("SYSTEM_ERROR", "SYSTEM_ERROR", 2),
	("SYNTAX_ERROR", "SYNTAX_ERROR", 2),
	("ON_HOLD", "ON_HOLD", 2),
	# --- weak evidence ---
	("RECIPIENT_REJECTED_W", "USER_UNKNOWN", 1),
	("USER_UNKNOWN_W", "USER_UNKNOWN", 1),
	("SPAM_W", "SPAM_DETECTED", 1),
	("BLOCKED_W", "BLOCKED", 1),
	("POLICY_W", "POLICY_VIOLATION", 1),
	("SECURITY_W", "SECURITY_ERROR", 1),
	("SYSTEM_ERROR_W", "SYSTEM_ERROR", 1),
	("MAILER_ERROR_W", "MAILER_ERROR", 1),
	("SYNTAX_W", "SYNTAX_ERROR", 1),
	("EXPIRED_W", "EXPIRED", 1),
	# --- cues ---
	("CUE_DATA", None, 0),
	("CUE_RCPT", None, 0),
	("CUE_NORCPT", None, 0),
	("CUE_MAIL", None, 0),
	("CUE_CONN", None, 0),
	("CUE_DNS", None, 0),
	("CUE_TEMP", None, 0),
	("CUE_NOT_FOUND", None, 0),
	# --- not a bounce ---
	("FEEDBACK", "FEEDBACK", 3),
	("VACATION", "VACATION", 3),
]

PHRASES = {
	# Cox's AUP# codes (cox.com "email error codes"): each names its cause;
	# Spectrum's numeric AUP# codes and Orange/La Poste's OFR/LPN codes are
	# read in bs_smtp.c (provider_code()), they need a number range.
	"PCODE_BLOCKED": [
		"aup#cxbl",		# sending IP blocked for spam-like behaviour
		"aup#cdrbl",	# sending IP temporarily on Cox's DNSBL
		"aup#ipbl",		# sending IP on Spamhaus/Return Path/ivmSIP/CSI lists
	],
	"PCODE_REQUIRE_PTR": ["aup#cxdns"],		# rDNS of the connecting IP fails
	"PCODE_AUTH_FAILURE": ["aup#cxsndr"],	# SPF/DKIM of the sender domain failed
	"PCODE_REJECTED": ["aup#cxsmtp"],		# could not verify a legitimate sender
	"PCODE_TOO_MANY_CONN": ["aup#cxcnct", "aup#cxmxrt"],	# connection / send limits
	"PCODE_SECURITY": ["aup#cxthrt", "aup#cxmj"],	# sending account looks compromised
	"PCODE_SPAM": ["aup#urlbl"],			# a URL in the body is on a URI blocklist
	"SUPPRESSED": [
		"suppression list", "on the suppression", "address is suppressed",
		"recipient is suppressed", "previously bounced", "previously hard bounced",
		"unsubscribed recipient", "marked as spam by the recipient previously",
	],
	"NOT_ACCEPT": [
		"null mx", "does not accept mail", "doesn t accept mail",
		"does not accept email", "accepts no mail", "doesn t receive email",
		"does not receive email", "does not receive mail", "no mx record",
		"no mx found", "no mx for", "mx record not found", "no mail exchanger",
		"couldn t find a mail exchanger", "could not find a mail exchanger",
	],
	"RELAY_DENIED": [
		"relay access denied", "relaying denied", "relay denied",
		"relay not permitted", "relaying not permitted", "relay not allowed",
		"relaying not allowed", "unable to relay", "cannot relay", "can not relay",
		"not configured to relay", "not permitted to relay", "we do not relay",
		"no relaying", "relay prohibited", "relaying prohibited", "rcpthosts",
		"relaying to", "not allowed to relay", "address is not verified",
		"identities failed the check",
	],
	"AUTH_FAILURE": [
		"dmarc", "dkim", "domainkeys", "sender policy framework",
		# SPF named as a failed check, not as advice ("set up SPF records"):
		"spf fail", "spf check", "spf validation", "spf verification",
		"spf softfail", "spf hardfail", "spf permerror", "spf temperror",
		"spf violation", "spf policy", "spf=fail", "spf=softfail",
		"spf authentication", "spf did not pass", "spf not pass",
		"fail spf", "failed spf", "fails spf", "failing spf", "did not pass spf",
		"per spf", "per its spf", "per it s spf", "by spf", "openspf",
		"as permitted sender", "not permitted by spf",
		"authentication checks", "unauthenticated email",
		"sender is unauthenticated", "senders to authenticate",
		"authentication results", "not pass authentication",
		"failed authentication check",
	],
	"REQUIRE_PTR": [
		"reverse dns", "reverse lookup", "reverse hostname", "|rdns|",
		"|ptr|", "ptr record", "name lookup failed", "cannot find your hostname",
		"hostname lookup failed", "no reverse", "reverse name",
		# the HELO/sender domain does not resolve to the connecting IP:
		# forward-confirmed reverse DNS failed (Outlook.com, Kerio-style)
		"mismatches client ip", "unverifyable sending ip",
		"unverifiable sending ip",
		# Gmail: "the corresponding forward DNS entry does not point to the
		# sending IP" -- the other half of the PTR check
		"forward dns",
	],
	"NOT_COMPLIANT_RFC": [
		"rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 822 compliant",
		"not rfc compliant", "rfc compliant", "not compliant with rfc",
		"non compliant", "multiple addresses in from", "multiple subject headers",
		"multiple from headers", "multiple message id", "bare lf", "bare linefeed",
		"missing message id", "message id header is missing",
	],
	"VIRUS": [
		"virus", "malware", "infected", "trojan", "ransomware", "worm detected",
	],
	"TOO_MANY_CONN": [
		"too many connections", "too many concurrent", "connection limit",
		"connections limit", "frequency limited", "too many recipients",
		"too many sessions", "too many simultaneous", "maximum connections",
		"max connections", "too many smtp sessions", "connection count",
		"too many open connections",
	],
	"RATE_LIMITED": [
		"rate limit", "ratelimit", "rate limited", "receiving mail at a rate",
		"sending rate", "too many messages", "exceeded the rate", "message rate",
		"throttl", "slow down", "rate exceeded", "sending quota",
		"rate of incoming mail", "too fast",
	],
	# the server itself says the recipient is neither refused nor accepted
	"ON_HOLD": ["|on hold|"],
	"GREYLIST": [
		"greylist", "graylist", "grey list", "gray list", "greylisted",
	],
	"SPAM": [
		"spam classification", "scored as spam", "considered spam",
		"classified as spam", "detected as spam", "identified as spam",
		"looks like spam", "likely spam", "spam content", "spam message",
		"message is spam", "as spam", "unsolicited", "|ube|", "blacklisted url",
		"uribl", "surbl", "bulk mail", "junk mail", "spam score",
		"spam detected", "spamdetected", "phishing",
	],
	"CONTENT_REJECTED": [
		"message content rejected", "content rejected",
	],
	"BLOCKED": [
		"blocked using", "blocklist", "block list", "blacklist", "black list",
		"denylist", "deny list", "dnsbl", "|rbl|", "spamhaus", "spamcop",
		"|sorbs|", "abuseat", "barracudacentral", "banned sending ip",
		"client host blocked", "ip blocked", "ip address blocked",
		"ip is blocked", "blocked ip", "ip address has been blocked",
		"blocked for abuse", "dynamic ip", "dial up", "dialup",
		"residential ip", "smtp server of your isp", "invalid ip for sending",
		
		"listed at", "listed on", "is listed in", "are listed in", "blocked for spam",
		"bloquee", "sender ip", "sending ip", "poor reputation ip",
	],
	"BAD_REPUTATION": [
		"reputation", "user complaints", "unusual rate of unsolicited",
		"sender score", "senderscore",
	],
	"POLICY": [
		"policy violation", "violates", "violation of", "by policy",
		"policy reasons", "policy reason", "local policy", "policy rejection",
		"content policy", "due to policy", "against policy", "policy restrictions",
		"illegal attachment", "prohibited attachment", "banned attachment",
		"blocked attachment", "attachment type", "potential security issue",
		"content presents", "|dlp|", "not accepted for policy",
	],
	"CONTENT_ERROR": [
		"8 bit data", "8bit data", "headers too large", "header too large",
		"invalid header", "malformed header", "invalid mime", "malformed mime",
		"improper use of", "message is malformed", "malformed message",
		"too many headers",
	],
	"MAILER_ERROR": [
		"pipe to |", "procmail", "command died", "mailer error", "local mailer",
		"operating system error", "unknown mailer", "delivery program",
		"exit code",
	],
	"EXCEED_LIMIT": [
		"limit set by recipient", "recipient s limit", "limit set by the recipient",
	],
	"MESSAGE_TOO_BIG": [
		"message size exceeds", "message too large", "message is too large",
		"message too big", "message is too big", "size exceeds", "exceeds size",
		"size limit", "exceeds the maximum size", "exceeds maximum",
		"line limit exceeded", "message length exceeds", "mail size",
		"message size", "too big for", "email is too large", "larger than",
		"data size",
	],
	"MAILBOX_FULL": [
		"mailbox full", "mailbox is full", "mailbox has exceeded",
		"mailbox exceeded", "mailbox exceeds", "over quota", "overquota",
		"quota exceeded", "exceeded quota", "exceeds quota", "quota exceed",
		"exceeded storage allocation", "storage space", "out of storage",
		"mailbox size", "mailfolder is full", "mail folder is full",
		"inbox is full", "account is full", "disk quota", "not enough disk space",
		"too much mail data", "full mailbox", "mailbox quota", "quota full",
		"quota is full", "storage quota", "insufficient quota",
		"mailbox for user is full", "box is full", "mailbox over",
	],
	"MAILBOX_DISABLED": [
		"account is disabled", "account has been disabled", "account disabled",
		"mailbox disabled", "mailbox is disabled", "mailbox has been disabled",
		"account is inactive", "is inactive", "inactive account",
		"inactive mailbox", "mailbox inactive", "account suspended",
		"account has been suspended", "account is suspended", "mailbox suspended",
		"mailbox is suspended", "user suspended", "is frozen", "account is locked",
		"account locked", "account is blocked", "account has been blocked",
		"disabled or discontinued", "discontinued", "deactivated",
		"account expired", "account has expired", "not active", "no longer active",
		"account closed", "account has been closed", "temporarily disabled",
		"user disabled", "mailbox unavailable due to",
	],
	"HAS_MOVED": [
		"has moved", "has been moved", "address has changed", 
		"no longer on server", "has been replaced by", "user not local",
	],
	"REJECTED": [
		"sender address rejected", "sender rejected", "sender was rejected",
		"sender denied", "sender not allowed", "sender domain",
		"domain of sender", "sender verify failed", "sender verification",
		"unroutable sender", "unrouteable sender", "invalid sender",
		"bad sender", "sender unknown", "unknown sender", "envelope sender",
		"mail from address", "send mail as", "permission to post",
		"not allowed to post", "purported responsible address", "badmailfrom",
		"groups.google.com", "sender address is", "return path",
		"from address", "sender is not", "senders are not",
		"blocked senders list",
		# an ADDRESS (not an IP) on the receiver's list: the envelope sender
		# is refused ("an ip address that ..." does not match these)
		"an address that has been blacklisted",
		"email address has been blacklisted",
		"sender address has been blacklisted",
		"your address has been blacklisted",
	],
	"FILTERED": [
		"message filtered", "|filtered|", "recipient preferences", "badrcptto",
		"recipient filter", "content filter", "blocked by recipient",
		"blocked by the recipient", "rejected by recipient",
		"on the recipient s blocked",
	],
	"NETWORK_ERROR": [
		"no route to host", "network error", "host name lookup failure",
		"maximum hop count", "routing loop", "too many hops", "mail loop",
		"loop detected", "looping", "host not found, try again",
		"name server reply", "wasn t able to establish", "dns query failed",
		"dns error", "network is unreachable", "host is unreachable",
		"dns failure", "lookup failure", "temporary dns", "dns lookup",
		"dns timeout", "servfail",
	],
	"HOST_UNKNOWN": [
		"host unknown", "unknown host", "host not found", "domain not found",
		"no such domain", "domain does not exist", "domain may not exist",
		"domain name not found", "unknown domain", "invalid domain",
		"illegal host/domain", "unrouteable address", "unroutable address",
		"unrouteable mail domain", "domain unknown", "domain name does not",
		"nxdomain", "no such host", "name or service not known",
		"domain is not valid", "non existent domain", "nonexistent domain",
		"unable to find mx", "no mx record", "no mx for", "mx lookup failed",
		"domain mentioned in email address is unknown", "domain has no mx",
		"no valid mx", "null mx",
	],
	"USER_UNKNOWN": [
		"user unknown", "unknown user", "no such user", "no such mailbox",
		"no such recipient", "no such account", "no such person",
		"no such local user", "user not found", "user not exist",
		"user does not exist", "user doesn t exist", "user doesn t have",
		"user does not have", "recipient not found", "recipientnotfound",
		"recipnotfound", "recipient unknown", "unknown recipient",
		"recipient does not exist", "recipient address does not exist",
		"address does not exist", "address doesn t exist",
		"account does not exist", "account doesn t exist", "mailbox not found",
		"mailbox does not exist", "mailbox unavailable", "mailbox is unavailable",
		"not a valid mailbox", "invalid mailbox", "invalid recipient",
		"recipient invalid", "invalid user", "bad recipient", "unknown local part",
		"unknown or illegal", "no mailbox here", "not listed in",
		"invalid final delivery", "not our customer", "address unknown",
		"unknown address:", "user not known", "no such address",
		"not a known user", "unknown account", "mailbox name not allowed",
		"recipient verify failed", "address is invalid", "addressee unknown",
		"no account by that name", "does not have an account",
		"user account is unavailable",
	],
	"SECURITY_ERROR": [
		"authentication required", "authentication is required",
		"authrequired", "auth required", "authentication level",
		"unauthenticated senders",
		"must authenticate", "encryption required", "requires encryption",
		"not authorized to send",
		# "please turn on SMTP Authentication in your mail client": the
		# server wants the sender to log in (submission), a security refusal
		"smtp authentication",
	],
	"FAILED_STARTTLS": [
		"starttls failed", "starttls command first", "starttls is required",
		"starttls required", "tls negotiation", "tls handshake", "tls required",
		"requires tls", "tls is required", "ssl handshake",
	],
	"EXPIRED": [
		"retry timeout exceeded", "message expired",
		"expired in queue", "timed out", "timeout", "did not accept our requests",
		"not delivered within", "after multiple retries", "unable to deliver this message after",
		"failing for a long time", "host not reachable", "unable to connect",
		"failed to connect", "could not connect", "delivery time expired",
		"retry time", "time limit", "too long in queue", 
		"maximum delivery time", "delivery expired", "expired after",
		"could not be delivered within", 
		# no gateway/route for the destination: the MTA keeps the message
		# until its queue lifetime runs out (X.400 gateways, Sisimai: expired)
		"could not find a gateway", "unable to find a gateway",
		# "your message could not be delivered for more than 6 hour(s)",
		# "was not reachable within the allowed queue period"
		"could not be delivered for more than", "allowed queue period",
	],
	"SYSTEM_FULL": [
		"insufficient system storage", "system storage", "disk full",
		"disk is full", "file system full", "out of disk", "no space left",
		"insufficient storage", "system is full",
	],
	"SYSTEM_ERROR": [
		"system error", "internal error", "server error", "local error",
		"temporary local problem", "local problem", "write error",
		"insufficient permission", "unable to contact ldap", "ldap",
		"configuration error", "system problem", "system failure",
		"processing error", "internal server",
		"error in processing", "misconfigured", "misconfiguration",
		# a list server's duplicate guard (fml, Mailman): it has already seen
		# this Message-ID and refuses, a server-side decision, not the address
		"duplicated message id", "duplicate message id",
	],
	"SYNTAX_ERROR": [
		"syntax error", "improper sequence", "command not recognized",
		"unrecognized command", "command unrecognized",
		"parameter not implemented", "command not implemented", "unknown command",
		"invalid command", "line too long", "bad syntax", "syntax of",
		"parameters not recognized",
	],
	"RECIPIENT_REJECTED_W": [
		"recipient address rejected", "address rejected",
		"recipient rejected", "rcpt rejected",
	],
	"USER_UNKNOWN_W": [
		"does not exist", "doesn t exist", "not exist", "address not found",
		"address couldn t be found", "no valid recipients",
		"no valid recipient", "may not exist", "not a valid recipient",
		"not found",
	],
	"SPAM_W": ["spam", "junk"],
	"BLOCKED_W": [
		"client host rejected", "connection refused", "blocked", "refused",
		"not allowed to send", "banned",
	],
	"POLICY_W": ["policy", "header error", "prohibited", "not permitted"],
	"SECURITY_W": ["access denied", "security", "not authorized",
		"unauthenticated", "authentication failed"],
	"SYSTEM_ERROR_W": ["transaction failed"],
	"MAILER_ERROR_W": ["mailer", "child status", "x unix"],
	"SYNTAX_W": ["bad sequence of commands", "syntax"],
	"EXPIRED_W": ["queue too long", "delayed", "still undelivered", "giving up", "retry", "expired",
		# "delivery ... was aborted after 5.0 hour(s)": the queue lifetime ran out
		"was aborted after"],
	"CUE_DATA": [
		"end of data", "after data", "in reply to data", "data command",
		">>> data",
		# Yahoo accepts every recipient and refuses unknown ones only at
		# the end of DATA, with "554 delivery error: dd This user doesn't
		# have a yahoo.com account": the wording itself dates the reply
		"delivery error: dd", "user doesn t have a",
	],
	"CUE_RCPT": [
		"in reply to rcpt", "after rcpt", "rcpt to command", "[rcpt to]",
		">>> rcpt",
		# qmail: "does not like recipient", "most progress was RCPT TO
		# response"; DragonFly dma: "did not like our RCPT TO"
		"rcpt to response", "does not like recipient",
		"did not like our rcpt",
	],
	# DATA was refused because no recipient had been accepted: the failure
	# quoted before it was the answer to RCPT (sendmail "503 5.0.0 Need RCPT
	# (recipient)", Postfix "554 5.5.1 Error: no valid recipients", Exim
	# "503-All RCPT commands were rejected", "503 No recipients specified")
	"CUE_NORCPT": [
		"need rcpt", "no valid recipients", "no recipients specified",
		"all rcpt commands were rejected", "must precede data",
	],
	"CUE_MAIL": [
		"in reply to mail from", "after mail from", "mail from command",
		">>> mail from", "[mail from]",
	],
	# a DNS lookup named as what failed; with a "not found" (the name may
	# stand between: "host x.example not found") and no word of a passing
	# fault it is a name that does not exist
	"CUE_DNS": [
		"dns lookup", "lookup failure", "lookup failed", "dns query",
		"dns error", "dns failure", "name service error",
	],
	"CUE_NOT_FOUND": [
		"|not found|", "does not exist", "nxdomain", "no such domain",
		"no such host", "non existent", "nonexistent",
	],
	"CUE_TEMP": [
		"try again", "temporar", "timed out", "timeout", "servfail",
		"malformed", "unexpected",
	],
	"CUE_CONN": [
		"after initial connection", "refused to talk to me", "after ehlo",
		"after helo", "in reply to ehlo", "in reply to helo", "after connect",
		"in reply to connect", "greeting",
	],
	"FEEDBACK": [
		"abuse report", "abuse complaint", "opt out report",
		"authentication failure report", "feedback report",
	],
	"VACATION": [
		"out of office", "out of the office", "auto reply", "autoreply",
		"automatic reply", "i am currently away", "i am away", "on vacation",
		"away from the office", "i will be traveling", "will respond to your message",
		"limited access to email", "auto response", "autoresponder",
	],
}

# Bytes folded to the one "space" class.
SPACE_BYTES = b" \t\r\n\v\f-_'\"`"
MAX_PAT = 62


def build():
	tag_index = {name: i for i, (name, _, _) in enumerate(TAGS)}
	for name in PHRASES:
		if name not in tag_index:
			sys.exit("phrases for unknown tag " + name)
	pats = []				# (bytes, tag, lbound, rbound)
	seen = set()
	for name, _, _ in TAGS:
		for p in PHRASES.get(name, []):
			lb = p.startswith("|")
			rb = p.endswith("|") and len(p) > 1 and p != "pipe to |"
			body = p[1:] if lb else p
			body = body[:-1] if rb else body
			if body != body.lower() or "  " in body or body.strip() != body:
				sys.exit("bad phrase %r" % p)
			b = body.encode()
			if len(b) > MAX_PAT:
				sys.exit("phrase too long %r" % p)
			key = (b, name)
			if key in seen:
				sys.exit("duplicate phrase %r" % p)
			seen.add(key)
			pats.append((b, tag_index[name], lb, rb))

	# Byte classes: 0 other, 1 space, then each other byte used by a phrase.
	cls = [0] * 256
	for c in SPACE_BYTES:
		cls[c] = 1
	used = sorted({c for b, _, _, _ in pats for c in b if cls[c] != 1})
	alnum_first = None
	nxt = 2
	# Non-alphanumerics first, so "alphanumeric" is one range of classes.
	nonalnum = [c for c in used if not chr(c).isalnum()]
	alnum = [c for c in used if chr(c).isalnum()]
	for c in nonalnum:
		cls[c] = nxt
		nxt += 1
	alnum_first = nxt
	for c in alnum:
		cls[c] = nxt
		nxt += 1
	# Every letter and digit is alphanumeric for word boundaries even when
	# no phrase uses it: give the unused ones one shared class.
	unused_alnum = nxt
	nxt += 1
	for c in range(256):
		ch = chr(c)
		if c < 128 and ch.isalnum() and cls[c] == 0:
			cls[c] = unused_alnum
	for c in range(ord('A'), ord('Z') + 1):
		cls[c] = cls[c + 32]
	# Bytes >= 0x80 (UTF-8 letters) count as alphanumeric too.
	for c in range(128, 256):
		cls[c] = unused_alnum
	nclasses = nxt

	# Trie.
	goto = [{}]
	outs = [[]]
	for pid, (b, _, _, _) in enumerate(pats):
		s = 0
		for c in b:
			k = cls[c]
			if k not in goto[s]:
				goto.append({})
				outs.append([])
				goto[s][k] = len(goto) - 1
			s = goto[s][k]
		outs[s].append(pid)
	n = len(goto)
	fail = [0] * n
	delta = [[0] * nclasses for _ in range(n)]
	q = deque()
	for k in range(nclasses):
		if k in goto[0]:
			s = goto[0][k]
			delta[0][k] = s
			q.append(s)
	while q:
		r = q.popleft()
		outs[r] = outs[r] + [p for p in outs[fail[r]] if p not in outs[r]]
		for k in range(nclasses):
			if k in goto[r]:
				s = goto[r][k]
				fail[s] = delta[fail[r]][k]
				delta[r][k] = s
				q.append(s)
			else:
				delta[r][k] = delta[fail[r]][k]
	if n >= 65535:
		sys.exit("too many states")
	return pats, cls, nclasses, alnum_first, unused_alnum, delta, outs


def main():
	pats, cls, nclasses, alnum_first, unused_alnum, delta, outs = build()
	n = len(delta)
	w = sys.stdout.write
	w("/*-------------------------------------------------------------------------\n"
	  " *\n"
	  " * bs_smtp_table.h\n"
	  " *\t  GENERATED by test/tools/gen_smtp_table.py -- do not edit by hand.\n"
	  " *\n"
	  " * The phrase vocabulary of bs_smtp.c as a static Aho-Corasick DFA over\n"
	  " * byte classes (%d phrases, %d states, %d classes).\n"
	  " *\n"
	  " *-------------------------------------------------------------------------\n"
	  " */\n" % (len(pats), n, nclasses))
	w("#ifndef BS_SMTP_TABLE_H\n#define BS_SMTP_TABLE_H\n\n#include <stdint.h>\n\n")
	w("/* phrase tags, in priority order */\nenum bs_tag\n{\n")
	for i, (name, _, _) in enumerate(TAGS):
		w("\tBS_T_%s%s,\n" % (name, " = 0" if i == 0 else ""))
	w("\tBS_T__COUNT\n};\n\n")
	w("/* tier: 0 cue, 1 weak, 2 strong, 3 not a bounce */\n")
	w("static const struct\n{\n\tbs_reason\treason;\n\tuint8_t\t\ttier;\n} bs_tag_info[BS_T__COUNT] = {\n")
	for name, reason, tier in TAGS:
		w("\t{%s, %d},\t\t\t\t/* %s */\n" % ("BS_R_" + reason if reason else "BS_R_NONE", tier, name))
	w("};\n\n")
	w("#define BS_AC_NSTATES %d\n#define BS_AC_NCLASSES %d\n" % (n, nclasses))
	w("#define BS_AC_CLASS_SPACE 1\n#define BS_AC_CLASS_ALNUM %d\t/* classes >= this are letters/digits */\n" % alnum_first)
	w("#define BS_AC_MAXPAT %d\n\n" % MAX_PAT)
	w("static const uint8_t bs_ac_class[256] = {\n")
	for i in range(0, 256, 16):
		w("\t" + ", ".join("%d" % c for c in cls[i:i + 16]) + ",\n")
	w("};\n\n")
	w("/* phrases: tag, length in bytes, word-boundary flags (1 left, 2 right) */\n")
	w("static const struct\n{\n\tuint8_t\t\ttag;\n\tuint8_t\t\tlen;\n\tuint8_t\t\tbound;\n} bs_ac_pat[%d] = {\n" % len(pats))
	for b, t, lb, rb in pats:
		w("\t{%d, %d, %d},\t\t\t\t/* %s */\n" % (t, len(b), (1 if lb else 0) | (2 if rb else 0), b.decode().replace("*/", "* /")))
	w("};\n\n")
	# Output lists: outidx[state] is an index into bs_ac_outs (0 = none);
	# each list ends with 0xFFFF.
	flat = [0xFFFF]
	outidx = [0] * n
	memo = {}
	for s in range(n):
		if outs[s]:
			key = tuple(outs[s])
			if key not in memo:
				memo[key] = len(flat)
				flat.extend(key)
				flat.append(0xFFFF)
			outidx[s] = memo[key]
	w("static const uint16_t bs_ac_outs[%d] = {\n" % len(flat))
	for i in range(0, len(flat), 16):
		w("\t" + ", ".join("%d" % c for c in flat[i:i + 16]) + ",\n")
	w("};\n\n")
	w("static const uint16_t bs_ac_outidx[BS_AC_NSTATES] = {\n")
	for i in range(0, n, 16):
		w("\t" + ", ".join("%d" % c for c in outidx[i:i + 16]) + ",\n")
	w("};\n\n")
	# Transitions carry the target's "has output" flag in the low bit, so the
	# scanner needs one load per byte: entry = target << 1 | has_output.
	if 2 * n >= 65536:
		sys.exit("too many states for 15-bit state numbers")
	w("/* entry = next state << 1 | (next state has phrases ending there) */\n")
	w("static const uint16_t bs_ac_delta[BS_AC_NSTATES][BS_AC_NCLASSES] = {\n")
	for s in range(n):
		w("\t{" + ",".join("%d" % (c << 1 | (1 if outs[c] else 0)) for c in delta[s]) + "},\n")
	w("};\n\n#endif\t\t\t\t\t\t\t/* BS_SMTP_TABLE_H */\n")


if __name__ == "__main__":
	main()
