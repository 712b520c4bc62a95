-- The demo script run by test/demo.sh (any database will do).
\pset footer off
\set ECHO queries
CREATE EXTENSION bounce_suppress;

\echo
\echo '== 1. Bounces arrive as raw SMTP replies (from your MTA log or an SMTP client error)'
SELECT bounce_suppress.ingest_bounce('alice@example.com',
         diagnostic => '550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient''s email address for typos - gsmtp',
         message_id => '<news-1@shop.example>');
SELECT bounce_suppress.ingest_bounce('bob@example.org',
         diagnostic => '452 4.2.2 The email account that you tried to reach is over quota - gsmtp',
         message_id => '<news-1@shop.example>');
SELECT bounce_suppress.ingest_bounce('carol@example.net',
         diagnostic => '550 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org',
         message_id => '<news-1@shop.example>');
SELECT bounce_suppress.ingest_bounce('dave@example.com',
         diagnostic => '421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to unexpected volume or user complaints',
         message_id => '<news-1@shop.example>');

\echo
\echo '== 2. A provider webhook (Amazon SES through SNS) and a complaint'
SELECT bounce_suppress.ingest_webhook('ses', $json$
{"Type": "Notification", "MessageId": "0f1e2d3c-sns-demo",
 "Message": "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"Erin@Example.com\",\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"timestamp\":\"2026-11-28T10:00:00.000Z\",\"feedbackId\":\"0100018c-demo-bounce-1\"},\"mail\":{\"messageId\":\"0100018c-demo-mail-1\",\"timestamp\":\"2026-11-28T09:59:58.000Z\",\"destination\":[\"Erin@Example.com\"]}}"}
$json$::jsonb);
SELECT bounce_suppress.ingest_complaint('frank@example.org', feedback_type => 'abuse', provider => 'postmark',
                                        provider_event_id => 'pm-817');
-- the provider retries the complaint webhook: same id back, nothing doubled
SELECT bounce_suppress.ingest_complaint('frank@example.org', feedback_type => 'abuse', provider => 'postmark',
                                        provider_event_id => 'pm-817');

\echo
\echo '== 3. A bounce mail, as a mailbox poller hands it over (RFC 3464)'
SELECT * FROM bounce_suppress.ingest_report($mail$From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>
To: news@shop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <20261128101500.ABC123@mx.shop.example>
Date: Sat, 28 Nov 2026 10:15:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.shop.example

Final-Recipient: rfc822; grace@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <grace@example.net>: Recipient address rejected: User unknown in virtual mailbox table

--b1
Content-Type: text/rfc822-headers

Message-ID: <news-1@shop.example>
From: news@shop.example
To: grace@example.net

--b1--
$mail$);

\echo
\echo '== 4. Every event, classified by the one classifier'
SELECT id, kind, address, bounce_type, reason, reply_code, enhanced_status, provider
  FROM bounce_suppress.events ORDER BY id;

\echo
\echo '== 5. What is suppressed (hard bounces and complaints at once; the soft bounce'
\echo '      and the sender-side blocks are recorded only)'
SELECT address, reason, event_id FROM bounce_suppress.active_suppressions ORDER BY address;

\echo
\echo '== 6. The send queue, filtered in the database before anything leaves'
CREATE TABLE send_queue (id serial PRIMARY KEY, email text NOT NULL, subject text);
INSERT INTO send_queue (email, subject)
SELECT e, 'November news' FROM unnest(ARRAY['alice@example.com', 'bob@example.org', 'carol@example.net',
  'dave@example.com', 'ERIN@example.com', 'frank@example.org', 'grace@example.net', 'heidi@example.com']) e;
-- as a join (the fast path for batches) ...
SELECT q.id, q.email
  FROM send_queue q
 WHERE NOT EXISTS (SELECT 1 FROM bounce_suppress.active_suppressions s
                    WHERE s.project = 'default'
                      AND s.address = bounce_suppress.normalize_address(q.email))
 ORDER BY q.id;
-- ... or per message, one index probe each
SELECT q.email, bounce_suppress.is_suppressed(q.email) AS suppressed FROM send_queue q ORDER BY q.id;

\echo
\echo '== 7. A guard trigger keeps suppressed addresses out of the queue altogether'
CREATE TRIGGER send_queue_guard BEFORE INSERT OR UPDATE ON send_queue
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'skip');
INSERT INTO send_queue (email, subject) VALUES ('alice@example.com', 'Another try'), ('ivan@example.com', 'Welcome');
SELECT id, email, subject FROM send_queue WHERE id > 8 ORDER BY id;

\echo
\echo '== 8. Review and remove: logged, and a complaint needs force'
SELECT bounce_suppress.unsuppress('alice@example.com', 'typo fixed by the customer');
SELECT bounce_suppress.unsuppress('frank@example.org', 'customer called', force => true);
SELECT address, action, reason, actor, note FROM bounce_suppress.suppression_log ORDER BY id;

\echo
\echo '== 9. Health: bounce and complaint rates against what was sent'
SELECT bounce_suppress.record_sent(150);
SELECT * FROM bounce_suppress.health();
