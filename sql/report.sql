-- parse_report / ingest_report: whole bounce mails and complaint reports.
-- Every mail here is written for this test (no corpus file is copied).
\set VERBOSITY terse
CREATE TEMP TABLE mails (name text PRIMARY KEY, body text NOT NULL);

INSERT INTO mails VALUES
('dsn', $m$From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.org
Subject: Undelivered Mail
  Returned to Sender
Date: Tue, 3 Mar 2020 10:00:00 +0100
Message-ID: <dsn-1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B1"

--B1
Content-Type: text/plain

This is the mail system at host mx.example.net.

<one@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1
    <one@example.com>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Tue, 3 Mar 2020 09:59:00 +0100

Final-Recipient: rfc822; One@Example.com
Original-Recipient: rfc822;one@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <one@example.com>: Recipient address
    rejected: User unknown

Final-Recipient: rfc822; two@example.com
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.1]:25:
    Connection timed out

--B1
Content-Type: text/rfc822-headers

From: sender@example.org
To: one@example.com, two@example.com
Subject: news
Message-ID: <orig-1@example.org>

--B1--
$m$),
('qmail', $m$Return-Path: <>
From: MAILER-DAEMON@mail.example.jp
To: sender@example.org
Subject: failure notice
Date: 4 Mar 2020 01:02:03 -0000

Hi. This is the qmail-send program at mail.example.jp.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nobody@example.jp>:
192.0.2.9 does not like recipient.
Remote host said: 550 5.1.1 <nobody@example.jp>... User Unknown
Giving up on 192.0.2.9.

--- Below this line is a copy of the message.

Return-Path: <sender@example.org>
Message-ID: <orig-2@example.org>
From: sender@example.org
To: nobody@example.jp
Subject: hi

hi
$m$),
('exim', $m$From: Mail Delivery System <Mailer-Daemon@relay.example.net>
To: sender@example.org
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1abc-0001@relay.example.net>
Date: Thu, 05 Mar 2020 12:00:00 +0000
X-Failed-Recipients: full@example.com

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  full@example.com
    SMTP error from remote mail server after RCPT TO:<full@example.com>:
    host mx.example.com [192.0.2.3]: 552 5.2.2 Mailbox full

------ This is a copy of the message, including all the headers. ------

Return-path: <sender@example.org>
Message-Id: <orig-3@example.org>
From: sender@example.org
To: full@example.com

hello
$m$),
('sendmail', $m$From: Mail Delivery Subsystem <MAILER-DAEMON@smtp.example.net>
To: <sender@example.org>
Subject: Returned mail: see transcript for details
Date: Fri, 6 Mar 2020 08:00:00 +0900

The original message was received at Fri, 6 Mar 2020 07:59:00 +0900

   ----- The following addresses had permanent fatal errors -----
<gone@example.co.jp>
    (reason: 550 5.1.1 <gone@example.co.jp>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.co.jp.:
>>> RCPT To:<gone@example.co.jp>
<<< 550 5.1.1 <gone@example.co.jp>... User unknown

   ----- Unsent message follows -----
Message-Id: <orig-4@example.org>
From: sender@example.org
To: gone@example.co.jp

hi
$m$),
('arf', $m$From: feedback@isp.example
To: abuse@example.org
Subject: =?UTF-8?B?Q29tcGxhaW50?= about a message
Message-ID: <arf-1@isp.example>
Date: Sat, 7 Mar 2020 10:00:00 +0000
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an email abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Example-FBL/1.0
Version: 1
Original-Rcpt-To: <Reader@Example.com>
Arrival-Date: Sat, 7 Mar 2020 09:00:00 +0000
--F
Content-Type: message/rfc822

From: news@example.org
To: reader@example.com
Message-ID: <news-9@example.org>
Subject: Buy

Buy now
--F--
$m$),
('vacation', $m$From: boss@example.com
To: sender@example.org
Subject: Automatic reply: news
Auto-Submitted: auto-replied

I am out of the office until Monday; write to deputy@example.com.
$m$),
('plain', $m$From: friend@example.com
To: sender@example.org
Subject: lunch

See you at noon; other@example.net comes too.
$m$),
('bad_rcpt', $m$From: MAILER-DAEMON@mx.example.net
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-2@mx.example.net>
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; |/usr/bin/procmail
Action: failed
Status: 5.0.0

Final-Recipient: rfc822; three@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
$m$),
('rewrapped', $m$From: postmaster@gw.example.com
To: sender@example.org
Subject: Mail could not be delivered
Message-ID: <gw-1@gw.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="G"

--G
Content-Type: text/plain

The following mail could not be delivered.
Reason: Unable to deliver message to <gone@example.jp>.
--G
Content-Type: message/rfc822

From: MAILER-DAEMON@mx.example.jp
To: sender@example.org
Subject: Returned mail: User unknown

----- The following addresses had permanent fatal errors -----
<gone@example.jp>
----- Transcript of session follows -----
>>> RCPT To:<gone@example.jp>
<<< 550 5.1.1 <gone@example.jp>... User unknown
--G--
$m$),
('empty', '');

-- one row per recipient, for every format
SELECT m.name, r.recipient, r.kind, r.reply_code, r.enhanced_status, r.remote_mta,
       r.message_id, r.occurred_at AT TIME ZONE 'UTC' AS occurred_utc
  FROM mails m, LATERAL bounce_suppress.parse_report(m.body) r
 ORDER BY m.name, r.recipient;
SELECT m.name, r.recipient, r.diagnostic
  FROM mails m, LATERAL bounce_suppress.parse_report(m.body) r
 ORDER BY m.name, r.recipient;

-- classification comes from classify_smtp's classifier: clear-cut cases only
SELECT m.name, r.recipient, r.bounce_type, r.reason
  FROM mails m, LATERAL bounce_suppress.parse_report(m.body) r
 WHERE m.name IN ('dsn', 'qmail', 'sendmail', 'arf') AND r.kind <> 'bounce' OR r.enhanced_status = '5.1.1'
 ORDER BY m.name, r.recipient;

-- a gateway's vague notice enclosing the downstream notice: the enclosed
-- notice's reason, under the id of the notice that was received
SELECT r.recipient, r.bounce_type, r.reason
  FROM mails m, LATERAL bounce_suppress.parse_report(m.body) r
 WHERE m.name = 'rewrapped';
CREATE TEMP TABLE rewrapped_ids AS
  SELECT bounce_suppress.ingest_report(body, 'rewrapped') AS id
    FROM mails WHERE name = 'rewrapped';
SELECT e.address, e.reason, e.provider_event_id
  FROM bounce_suppress.events e JOIN rewrapped_ids USING (id);

-- no rows: auto-reply, ordinary mail, empty string, NULL
SELECT m.name, count(r.*) AS rows
  FROM mails m LEFT JOIN LATERAL bounce_suppress.parse_report(m.body) r ON true
 WHERE m.name IN ('vacation', 'plain', 'empty')
 GROUP BY m.name ORDER BY m.name;
SELECT count(*) AS null_rows FROM bounce_suppress.parse_report(NULL::text);
SELECT count(*) AS null_rows FROM bounce_suppress.parse_report(NULL::bytea);

-- CRLF and CR-only line ends parse exactly as LF
SELECT m.name,
       (SELECT array_agg(r ORDER BY r.recipient) FROM bounce_suppress.parse_report(m.body) r) IS NOT DISTINCT FROM
       (SELECT array_agg(r ORDER BY r.recipient) FROM bounce_suppress.parse_report(replace(m.body, E'\n', E'\r\n')) r) AS crlf_same,
       (SELECT array_agg(r ORDER BY r.recipient) FROM bounce_suppress.parse_report(replace(m.body, E'\n', E'\r')) r) IS NOT DISTINCT FROM
       (SELECT array_agg(r ORDER BY r.recipient) FROM bounce_suppress.parse_report(m.body) r) AS cr_same
  FROM mails m ORDER BY m.name;

-- bytea: the same mail as bytes, and 8-bit bytes that are not UTF-8
SELECT r.recipient, r.enhanced_status
  FROM mails m, LATERAL bounce_suppress.parse_report(convert_to(m.body, 'UTF8')) r
 WHERE m.name = 'qmail' ORDER BY 1;
SELECT r.recipient, r.diagnostic
  FROM bounce_suppress.parse_report(
         convert_to(E'From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\nContent-Type: message/delivery-status\n\n'
                    'Final-Recipient: rfc822; caf@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown user ', 'UTF8')
         || decode('e9ff', 'hex') || convert_to(E' here\n', 'UTF8')) r
 ORDER BY 1;

-- binary junk gives no rows and no error
SELECT count(*) AS junk_rows
  FROM bounce_suppress.parse_report((SELECT string_agg(decode(md5(i::text), 'hex'), ''::bytea)
                                       FROM generate_series(1, 4000) i));

-- a 10 MB mail (a DSN returning a huge message) parses, in bounded time
SELECT r.recipient, r.enhanced_status
  FROM bounce_suppress.parse_report(
         (SELECT body FROM mails WHERE name = 'bad_rcpt') ||
         E'\n' || repeat(E'0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n', 140000)) r
 ORDER BY 1;
SELECT octet_length(repeat(E'0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n', 140000)) > 10000000 AS ten_mb;

-- ingest_report: events, suppression of a hard bounce, idempotent redelivery
CREATE TEMP TABLE first_ids AS
  SELECT bounce_suppress.ingest_report(body, 'report') AS id FROM mails WHERE name = 'dsn';
SELECT count(*) AS ids FROM first_ids;
SELECT kind, address, bounce_type, reply_code, enhanced_status, message_id, provider,
       provider_event_id, remote_mta, occurred_at AT TIME ZONE 'UTC' AS occurred_utc
  FROM bounce_suppress.events WHERE project = 'report' ORDER BY address;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'report' ORDER BY address;
-- the same mail again (a mailbox read twice): the same ids, nothing added
SELECT (SELECT array_agg(id ORDER BY id) FROM first_ids) =
       (SELECT array_agg(i ORDER BY i) FROM bounce_suppress.ingest_report(
          (SELECT body FROM mails WHERE name = 'dsn'), 'report') AS i) AS same_ids;
SELECT count(*) AS events FROM bounce_suppress.events WHERE project = 'report';

-- a complaint report suppresses the complainer
SELECT count(*) AS ids FROM bounce_suppress.ingest_report(
         (SELECT convert_to(body, 'UTF8') FROM mails WHERE name = 'arf'), 'report');
SELECT kind, address, bounce_type, reason, feedback_type, message_id, provider_event_id
  FROM bounce_suppress.events WHERE project = 'report' AND kind = 'complaint' ORDER BY address;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'report' ORDER BY address;

-- a recipient that is not an address is skipped with a WARNING, the others kept
SELECT count(*) AS ids FROM bounce_suppress.ingest_report(
         (SELECT body FROM mails WHERE name = 'bad_rcpt'), 'report');
SELECT address, enhanced_status FROM bounce_suppress.events
 WHERE project = 'report' AND provider_event_id LIKE '<dsn-2@%' ORDER BY address;

-- not a bounce: nothing recorded
SELECT count(*) AS ids FROM bounce_suppress.ingest_report(
         (SELECT body FROM mails WHERE name = 'vacation'), 'report');
SELECT count(*) AS ids FROM bounce_suppress.ingest_report(NULL::text, 'report');

-- PUBLIC may parse, not ingest
SELECT has_function_privilege('public', 'bounce_suppress.parse_report(text)', 'EXECUTE') AS parse_public,
       has_function_privilege('public', 'bounce_suppress.ingest_report(text, text)', 'EXECUTE') AS ingest_public,
       has_function_privilege('public', 'bounce_suppress.ingest_report(bytea, text)', 'EXECUTE') AS ingest_bytea_public;

DELETE FROM bounce_suppress.suppressions WHERE project = 'report';
DELETE FROM bounce_suppress.events WHERE project = 'report';
