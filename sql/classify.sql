-- classify_smtp / parse_smtp_reply: the SMTP reply classifier from SQL.
-- Every reason, every type, codes that contradict the text, prose without
-- codes, multi-line replies, empty/whitespace/NULL and a huge input.
-- (The extension is created by the setup test.)

CREATE TEMP TABLE replies (id int PRIMARY KEY, reply text);
INSERT INTO replies VALUES
  -- user_unknown / host_unknown / has_moved / not_accept: permanent
  (1, '550 5.1.1 <a@b.example>: Recipient address rejected: User unknown in virtual mailbox table'),
  (2, 'smtp; 550-5.1.1 The email account that you tried to reach does not' || E'\r\n' || '550-5.1.1 exist. Please try double-checking the recipient''s email address'),
  (3, 'Diagnostic-Code: smtp; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'),
  (4, 'The email account that you tried to reach does not exist.'),
  (5, '450 4.1.1 <k@example.org>: Recipient address rejected: User unknown in virtual alias table'),
  (6, 'X-Postfix; Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found'),
  (7, '550 5.1.6 recipient no longer on server: k@example.jp'),
  (8, '556 5.1.10 Recipient address has null MX'),
  (9, '421 4.4.0 domain does not accept mail (null MX)'),
  -- recipient-side transient reasons
  (10, '552 5.2.2 <k@example.com>: Recipient address rejected: Mailbox full'),
  (11, 'Mailbox full'),
  (12, '5.2.2'),
  (13, '550-5.2.1 The email account that you tried to reach is disabled.'),
  (14, '552 5.3.4 Message size exceeds fixed maximum message size: 10485760 bytes'),
  (15, '552 5.2.3 Message length exceeds limit set by recipient'),
  (16, '550 5.2.0 Message Filtered'),
  (17, 'host mx.example.jp[192.0.2.1] said: 550 : User unknown (in reply to end of DATA command)'),
  -- refusals after DATA by their form (docomo, KDDI au, Yahoo), and the same
  -- words followed by DATA's refusal for want of recipients (said at RCPT)
  (18, '550 Unknown user k@example.ne.jp'),
  (19, '554 delivery error: dd This user doesn''t have a example.com account (k@example.com) [0]'),
  (35, '550 : User unknown'),
  (36, '550 Unknown user k@example.ne.jp 503 Bad sequence of commands'),
  (37, '550 5.1.1 <k@example.com>... User unknown 503 5.0.0 Need RCPT (recipient)'),
  -- sender-caused reasons
  (20, '501 5.1.8 Sender address rejected: Domain not found'),
  (21, '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'),
  (22, '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints'),
  (23, '550-5.7.1 Our system has detected that this message is likely unsolicited mail.'),
  (24, '554 5.7.1 Virus found in message'),
  (25, '554 5.7.9 Message not accepted for policy reasons.'),
  (26, '550 5.6.9 improper use of 8-bit data in message header'),
  (27, '550-5.7.26 Unauthenticated email from example.com is not accepted due to domain''s DMARC policy.'),
  (28, '550 5.7.25 Reverse DNS validation failed'),
  (29, '550-5.7.1 This message is not RFC 5322 compliant.'),
  (30, '530 5.7.0 Authentication required'),
  (31, '530 5.7.0 Must issue a STARTTLS command first'),
  (32, '554 5.7.1 <k@example.net>: Relay access denied'),
  (33, '550 5.7.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages'),
  (34, '421 4.7.0 Too many connections from your IP'),
  -- delivery and system problems
  (40, 'retry timeout exceeded'),
  (41, '554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>'),
  (42, 'connect to mx.example.com[192.0.2.1]:25: No route to host'),
  (43, '550 5.3.5 Internal System Error'),
  (44, '452 4.3.1 Insufficient system storage'),
  (45, 'pipe to |/usr/local/bin/filter k@example.com'),
  (46, '503 Improper sequence of commands'),
  -- undecided, suppressed, not a bounce
  (50, '450 4.0.0 Temporary failure'),
  (51, '550 5.0.0 Something nobody foresaw'),
  (52, 'Did not reach the following recipient: k@example.net'),
  (53, 'Address is on the account-level suppression list'),
  (54, '250 2.6.0 Message received'),
  -- codes that contradict the text: the words win
  (60, '550 5.1.1 Mailbox is full'),
  (61, '550 Greylisted, please try again in 300 seconds'),
  (62, '451 4.1.1 No such user here'),
  (63, '550 5.7.1 User Unknown: someone@example.org'),
  (64, '550 <mailbox-full@example.com>: Access denied'),
  -- letter case, non-ASCII, IP addresses that are not codes
  (70, 'X-NOTES; USER NOT LISTED IN PUBLIC NAME & ADDRESS BOOK'),
  (71, '550 5.1.1 Benutzer unbekannt ÄÖÜ user unknown'),
  (72, 'エラー(テストメッセージとしての)'),
  (73, 'host 192.0.2.25 said: 550 5.1.1 user unknown'),
  -- empty and whitespace
  (80, ''),
  (81, E'  \t\r\n  ');

SELECT id, bounce_suppress.classify_smtp(reply) AS type,
       (bounce_suppress.parse_smtp_reply(reply)).*
  FROM replies ORDER BY id;

-- STRICT: NULL in, NULL out
SELECT bounce_suppress.classify_smtp(NULL) IS NULL AS classify_null,
       bounce_suppress.parse_smtp_reply(NULL) IS NULL AS parse_null;

-- a megabyte of noise before the reply: still found, still linear
SELECT (bounce_suppress.parse_smtp_reply(repeat('x', 1000000) || ' 550 5.1.1 user unknown')).*;
SELECT bounce_suppress.classify_smtp(repeat('550-5.1.1 ', 100000) || 'mailbox full') AS type;

-- the classifier is usable in set-based queries
SELECT bounce_suppress.classify_smtp(reply) AS type, count(*)
  FROM replies GROUP BY 1 ORDER BY 1;
