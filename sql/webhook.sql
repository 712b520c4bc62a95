-- webhook: ingest_webhook, part 1: the call itself, webhook_rejects, SES,
-- SendGrid, Mailgun.  (webhook_providers.sql: the other providers.)
-- Uses projects wh_ses, wh_sendgrid, wh_mailgun, wh_misc and removes its rows.
\set VERBOSITY terse

-- Show what a call stored: one line per returned id, in payload order.
CREATE FUNCTION pg_temp.wh(p text, j jsonb, proj text)
RETURNS TABLE(n int, kind bounce_suppress.event_kind, address text,
              bounce_type bounce_suppress.bounce_type, reason text, reply_code int,
              enhanced_status text, message_id text, provider_event_id text,
              occurred_at timestamptz, feedback_type text)
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[] := ARRAY(SELECT bounce_suppress.ingest_webhook(p, j, proj));
BEGIN
  RETURN QUERY
  SELECT o.n::int, e.kind, e.address, e.bounce_type, e.reason, e.reply_code,
         e.enhanced_status, e.message_id, e.provider_event_id, e.occurred_at, e.feedback_type
    FROM unnest(ids) WITH ORDINALITY AS o(id, n)
    JOIN bounce_suppress.events e ON e.id = o.id
   ORDER BY o.n;
END
$$;

-- The ids a call returns, to compare a redelivery with the first delivery.
CREATE FUNCTION pg_temp.ids(p text, j jsonb, proj text) RETURNS bigint[]
LANGUAGE plpgsql AS $$
BEGIN
  RETURN ARRAY(SELECT bounce_suppress.ingest_webhook(p, j, proj));
END
$$;

-- SQLSTATE and message of a call that fails.
CREATE FUNCTION pg_temp.err(p text, j jsonb, proj text DEFAULT 'wh_misc') RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bounce_suppress.ingest_webhook(p, j, proj);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SET TIME ZONE 'UTC';

-- ---------------------------------------------------------------------------
-- The table for events that cannot be recorded
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
  FROM pg_attribute a
 WHERE a.attrelid = 'bounce_suppress.webhook_rejects'::regclass AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attnum;
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'bounce_suppress.webhook_rejects'::regclass ORDER BY conname;
SELECT obj_description('bounce_suppress.webhook_rejects'::regclass, 'pg_class') IS NOT NULL AS commented;
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'bounce_suppress' AND c.relname LIKE 'webhook%' ORDER BY 1;
-- PUBLIC may neither call it nor read the rejects; the normalizers (which
-- touch no table) are PUBLIC's, like parse_report
SELECT has_function_privilege('public', 'bounce_suppress.ingest_webhook(text, jsonb, text)', 'EXECUTE') AS public_execute,
       has_table_privilege('public', 'bounce_suppress.webhook_rejects', 'SELECT') AS public_select;
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'bounce_suppress'::regnamespace AND p.proname LIKE '%webhook%'
   AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY 1;

-- ---------------------------------------------------------------------------
-- Calls wrong as a whole: SQLSTATE 22023, nothing kept
SELECT pg_temp.err('nosuchesp', '[]');
SELECT pg_temp.err(NULL, '[]');
SELECT pg_temp.err('ses', NULL);
SELECT pg_temp.err('ses', 'null');
SELECT pg_temp.err('sendgrid', '"a string"');
SELECT pg_temp.err('sendgrid', '42');
SELECT pg_temp.err('sendgrid', '[]', NULL);
SELECT pg_temp.err('sendgrid', '[]', '');
SELECT pg_temp.err('mandrill', '{"mandrill_events": "not json"}');
-- the provider name is case-insensitive; an empty batch returns nothing
SELECT count(*) FROM bounce_suppress.ingest_webhook(' SendGrid ', '[]', 'wh_misc');
SELECT count(*) FROM bounce_suppress.webhook_rejects WHERE project = 'wh_misc';

-- ---------------------------------------------------------------------------
-- SES
-- hard bounce in an SNS envelope (Message is a string), identity notification
SELECT * FROM pg_temp.wh('ses', $j${
  "Type": "Notification",
  "MessageId": "aaaa0001-0000-4000-8000-000000000001",
  "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-feedback",
  "Message": "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"Gone.User@Example.COM\",\"action\":\"failed\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 <gone.user@example.com>: Recipient address rejected: User unknown\"},{\"emailAddress\":\"also.gone@example.com\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"timestamp\":\"2025-02-01T10:00:00.123Z\",\"feedbackId\":\"fb-ses-hard-0001\",\"remoteMtaIp\":\"192.0.2.9\"},\"mail\":{\"timestamp\":\"2025-02-01T09:59:58.000Z\",\"messageId\":\"ses-msg-0001\",\"destination\":[\"Gone.User@Example.COM\",\"also.gone@example.com\"]}}",
  "Timestamp": "2025-02-01T10:00:01.000Z"
}$j$, 'wh_ses');
-- redelivered by SNS: the same ids, nothing new
SELECT count(*) FROM bounce_suppress.events WHERE project = 'wh_ses';
SELECT pg_temp.ids('ses', $j${"Type": "Notification", "MessageId": "aaaa0001-0000-4000-8000-000000000001",
  "Message": "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"emailAddress\":\"Gone.User@Example.COM\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"},{\"emailAddress\":\"also.gone@example.com\",\"status\":\"5.1.1\",\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown\"}],\"timestamp\":\"2025-02-01T10:00:00.123Z\",\"feedbackId\":\"fb-ses-hard-0001\"},\"mail\":{\"messageId\":\"ses-msg-0001\"}}"}$j$, 'wh_ses')
     = ARRAY(SELECT id FROM bounce_suppress.events WHERE project = 'wh_ses' ORDER BY id) AS same_ids;
SELECT count(*) FROM bounce_suppress.events WHERE project = 'wh_ses';
-- soft bounce, event publishing, bare event: the provider's type is kept
SELECT * FROM pg_temp.wh('ses', $j${
  "eventType": "Bounce",
  "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull",
             "bouncedRecipients": [{"emailAddress": "full.box@example.com", "status": "4.2.2",
                                    "diagnosticCode": "smtp; 452 4.2.2 Mailbox over quota"}],
             "timestamp": "2025-02-02T08:00:00.000Z", "feedbackId": "fb-ses-soft-0001"},
  "mail": {"timestamp": "2025-02-02T07:58:00.000Z", "messageId": "ses-msg-0002"}}$j$, 'wh_ses');
-- Undetermined stays undetermined; a transient bounce whose text says
-- "user unknown" stays transient (the provider's class beats the raw code)
SELECT * FROM pg_temp.wh('ses', $j$[
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Undetermined", "bounceSubType": "Undetermined",
             "bouncedRecipients": [{"emailAddress": "unsure@example.com"}],
             "timestamp": "2025-02-02T09:00:00Z", "feedbackId": "fb-ses-und-0001"},
  "mail": {"messageId": "ses-msg-0003"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Transient", "bounceSubType": "General",
             "bouncedRecipients": [{"emailAddress": "odd@example.com", "status": "5.1.1",
                                    "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
             "timestamp": "2025-02-02T09:01:00Z", "feedbackId": "fb-ses-odd-0001"},
  "mail": {"messageId": "ses-msg-0004"}}]$j$, 'wh_ses');
-- block classes are the sender's, and SES's own suppression list suppresses
SELECT * FROM pg_temp.wh('ses', $j$[
 {"eventType": "Bounce",
  "bounce": {"bounceType": "Transient", "bounceSubType": "ContentRejected",
             "bouncedRecipients": [{"emailAddress": "filtered@example.com", "status": "5.7.1",
                                    "diagnosticCode": "smtp; 554 5.7.1 Message rejected due to content"}],
             "timestamp": "2025-02-03T09:00:00Z", "feedbackId": "fb-ses-content-0001"},
  "mail": {"messageId": "ses-msg-0005"}},
 {"eventType": "Bounce",
  "bounce": {"bounceType": "Transient", "bounceSubType": "AttachmentRejected",
             "bouncedRecipients": [{"emailAddress": "noattach@example.com"}],
             "timestamp": "2025-02-03T09:00:01Z", "feedbackId": "fb-ses-attach-0001"},
  "mail": {"messageId": "ses-msg-0006"}},
 {"eventType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList",
             "bouncedRecipients": [{"emailAddress": "listed@example.com",
                                    "diagnosticCode": "Amazon SES did not send the message to this address because it is on the suppression list for your account."}],
             "timestamp": "2025-02-03T09:00:02Z", "feedbackId": "fb-ses-supp-0001"},
  "mail": {"messageId": "ses-msg-0007"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bounceSubType": "Suppressed",
             "bouncedRecipients": [{"emailAddress": "global.listed@example.com"}],
             "timestamp": "2025-02-03T09:00:03Z", "feedbackId": "fb-ses-supp-0002"},
  "mail": {"messageId": "ses-msg-0008"}}]$j$, 'wh_ses');
-- complaint (ARF type kept); not-spam is no complaint; a complaint SES
-- answered from its account suppression list is its suppression
SELECT * FROM pg_temp.wh('ses', $j$[
 {"notificationType": "Complaint",
  "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.com"}],
                "timestamp": "2025-02-04T19:44:03Z", "feedbackId": "fb-ses-cmp-0001",
                "complaintFeedbackType": "abuse"},
  "mail": {"messageId": "ses-msg-0009"}},
 {"notificationType": "Complaint",
  "complaint": {"complainedRecipients": [{"emailAddress": "happy@example.com"}],
                "timestamp": "2025-02-04T19:45:00Z", "feedbackId": "fb-ses-cmp-0002",
                "complaintFeedbackType": "not-spam"},
  "mail": {"messageId": "ses-msg-0010"}},
 {"eventType": "Complaint",
  "complaint": {"complainedRecipients": [{"emailAddress": "complained.before@example.com"}],
                "timestamp": "2025-02-04T19:46:00Z", "feedbackId": "fb-ses-cmp-0003",
                "complaintSubType": "OnAccountSuppressionList"},
  "mail": {"messageId": "ses-msg-0011"}}]$j$, 'wh_ses');
-- delivery (no feedbackId: a key derived from the event); delay, open, send: skipped
SELECT n, kind, address, bounce_type, reason, provider_event_id LIKE 'derived:%' AS derived_key, occurred_at
  FROM pg_temp.wh('ses', $j$[
 {"notificationType": "Delivery",
  "mail": {"timestamp": "2025-02-05T01:48:55Z", "messageId": "ses-msg-0012"},
  "delivery": {"timestamp": "2025-02-05T01:49:01.207Z", "recipients": ["delivered@example.com"],
               "smtpResponse": "250 2.6.0 Message received"}},
 {"eventType": "DeliveryDelay",
  "deliveryDelay": {"delayType": "RecipientServerError",
                    "delayedRecipients": [{"emailAddress": "slow@example.com", "status": "4.4.1"}],
                    "timestamp": "2025-02-05T12:05:31Z"},
  "mail": {"messageId": "ses-msg-0013"}},
 {"eventType": "Open", "open": {"timestamp": "2025-02-05T12:00:00Z"}, "mail": {"messageId": "ses-msg-0014"}},
 {"eventType": "Send", "send": {}, "mail": {"messageId": "ses-msg-0015"}}]$j$, 'wh_ses');
-- SNS confirmations and set-up messages: a NOTICE, no event
SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', $j${
  "Type": "SubscriptionConfirmation", "MessageId": "aaaa0002-0000-4000-8000-000000000002",
  "Token": "2336412f37", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-feedback",
  "Message": "You have chosen to subscribe to the topic.",
  "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37"}$j$, 'wh_ses');
SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', $j${
  "Type": "UnsubscribeConfirmation", "MessageId": "aaaa0003-0000-4000-8000-000000000003",
  "TopicArn": "arn:aws:sns:eu-west-1:111122223333:ses-feedback", "Message": "unsubscribed"}$j$, 'wh_ses');
SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', $j${
  "Type": "Notification", "MessageId": "aaaa0004-0000-4000-8000-000000000004",
  "Message": "{\"notificationType\":\"AmazonSnsSubscriptionSucceeded\",\"message\":\"You have successfully subscribed your Amazon SNS topic\"}"}$j$, 'wh_ses');
-- malformed events go to webhook_rejects; the good one in the batch is kept
SELECT n, kind, address FROM pg_temp.wh('ses', $j$[
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [],
             "timestamp": "2025-02-06T10:00:00Z", "feedbackId": "fb-ses-bad-0001"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "not an address"}],
             "timestamp": "2025-02-06T10:00:01Z", "feedbackId": "fb-ses-bad-0002"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "future@example.com"}],
             "timestamp": "2099-01-01T00:00:00Z", "feedbackId": "fb-ses-bad-0003"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "badtime@example.com"}],
             "timestamp": "yesterday-ish", "feedbackId": "fb-ses-bad-0004"}},
 {"Type": "Notification", "MessageId": "aaaa0005", "Message": "{not json"},
 {"mail": {"messageId": "no-type"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": ["a@example.com"]}],
             "timestamp": "2025-02-06T10:00:02Z", "feedbackId": "fb-ses-bad-0005"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "kept@example.com"}],
             "timestamp": "2025-02-06T10:00:03Z", "feedbackId": "fb-ses-good-0001"}},
 "not an object"]$j$, 'wh_ses');
SELECT provider, error, sqlstate FROM bounce_suppress.webhook_rejects WHERE project = 'wh_ses' ORDER BY id;
-- a retried batch duplicates neither the events nor the rejects
SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', $j$[
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [],
             "timestamp": "2025-02-06T10:00:00Z", "feedbackId": "fb-ses-bad-0001"}},
 {"notificationType": "Bounce",
  "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "kept@example.com"}],
             "timestamp": "2025-02-06T10:00:03Z", "feedbackId": "fb-ses-good-0001"}}]$j$, 'wh_ses');
SELECT count(*) AS rejects FROM bounce_suppress.webhook_rejects WHERE project = 'wh_ses';
SELECT count(*) AS kept FROM bounce_suppress.events WHERE project = 'wh_ses' AND address = 'kept@example.com';
-- what suppresses: hard bounces, complaints, SES's suppression lists; not
-- soft, undetermined, blocks, deliveries
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_ses' ORDER BY address;

-- ---------------------------------------------------------------------------
-- SendGrid (an array of events)
SELECT * FROM pg_temp.wh('sendgrid', $j$[
 {"email": "ghost@example.com", "timestamp": 1738400000, "smtp-id": "<sg1@mailer.example.net>",
  "event": "bounce", "type": "bounce", "bounce_classification": "Invalid Address",
  "sg_event_id": "sg-ev-0001", "sg_message_id": "sg-msg-0001.filter",
  "reason": "550 5.1.1 The email account that you tried to reach does not exist", "status": "5.1.1",
  "category": ["receipts"], "customer_ref": "C-1"},
 {"email": "busy@example.com", "timestamp": 1738400060, "event": "bounce", "type": "blocked",
  "bounce_classification": "Mailbox Unavailable", "sg_event_id": "sg-ev-0002",
  "sg_message_id": "sg-msg-0002.filter",
  "reason": "452 4.2.2 The recipient's inbox is out of storage space", "status": "4.2.2"},
 {"email": "blocklisted@example.com", "timestamp": 1738400120, "event": "bounce", "type": "blocked",
  "sg_event_id": "sg-ev-0003", "sg_message_id": "sg-msg-0003.filter",
  "reason": "554 5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org"},
 {"email": "unclassified@example.com", "timestamp": 1738400180, "event": "bounce", "type": "blocked",
  "bounce_classification": "Unclassified", "sg_event_id": "sg-ev-0004",
  "sg_message_id": "sg-msg-0004.filter", "reason": "421 try later"},
 {"email": "rep@example.com", "timestamp": 1738400240, "event": "bounce", "type": "bounce",
  "bounce_classification": "Reputation", "sg_event_id": "sg-ev-0005",
  "reason": "550 5.7.1 Our system has detected an unusual rate of unsolicited mail", "status": "5.7.1"},
 {"email": "reporter@example.com", "timestamp": 1738400300, "event": "spamreport",
  "sg_event_id": "sg-ev-0006", "sg_message_id": "sg-msg-0006.filter"},
 {"email": "was.bounced@example.com", "timestamp": 1738400360, "event": "dropped",
  "reason": "Bounced Address", "sg_event_id": "sg-ev-0007", "sg_message_id": "sg-msg-0007.filter"},
 {"email": "was.reporter@example.com", "timestamp": 1738400420, "event": "dropped",
  "reason": "Spam Reporting Address", "sg_event_id": "sg-ev-0008"},
 {"email": "unsub@example.com", "timestamp": 1738400480, "event": "dropped",
  "reason": "Unsubscribed Address", "sg_event_id": "sg-ev-0009"},
 {"email": "later@example.com", "timestamp": 1738400540, "event": "deferred",
  "sg_event_id": "sg-ev-0010", "response": "421 4.7.0 Temporary rate limit", "attempt": "3"},
 {"email": "fine@example.com", "timestamp": 1738400600, "event": "delivered",
  "sg_event_id": "sg-ev-0011", "sg_message_id": "sg-msg-0011.filter", "response": "250 2.0.0 OK"},
 {"email": "fine@example.com", "timestamp": 1738400660, "event": "open", "sg_event_id": "sg-ev-0012"},
 {"email": "fine@example.com", "timestamp": 1738400720, "event": "click", "sg_event_id": "sg-ev-0013"},
 {"email": "fine@example.com", "timestamp": 1738400780, "event": "processed", "sg_event_id": "sg-ev-0014"}
]$j$, 'wh_sendgrid');
-- redelivery of a part of the batch (SendGrid sends events several times):
-- the ids of the first time, nothing new
SELECT count(*) FROM bounce_suppress.events WHERE project = 'wh_sendgrid';
SELECT pg_temp.ids('sendgrid', $j$[
 {"email": "ghost@example.com", "timestamp": 1738400000, "event": "bounce", "type": "bounce",
  "sg_event_id": "sg-ev-0001", "reason": "550 5.1.1 does not exist", "status": "5.1.1"},
 {"email": "reporter@example.com", "timestamp": 1738400300, "event": "spamreport", "sg_event_id": "sg-ev-0006"}]$j$,
  'wh_sendgrid')
  = ARRAY(SELECT id FROM bounce_suppress.events WHERE project = 'wh_sendgrid'
           AND provider_event_id IN ('sg-ev-0001', 'sg-ev-0006') ORDER BY provider_event_id) AS same_ids;
SELECT count(*) FROM bounce_suppress.events WHERE project = 'wh_sendgrid';
-- the same event twice in one batch: one row, its id twice
SELECT count(DISTINCT x), count(*) FROM bounce_suppress.ingest_webhook('sendgrid', $j$[
 {"email": "twice@example.com", "timestamp": 1738400900, "event": "spamreport", "sg_event_id": "sg-ev-0020"},
 {"email": "twice@example.com", "timestamp": 1738400900, "event": "spamreport", "sg_event_id": "sg-ev-0020"}]$j$,
  'wh_sendgrid') AS x;
-- a single object is a batch of one; the old Bounces API shape (no event
-- field) is a bounce classified from its text, with a derived key
SELECT n, kind, address, bounce_type, reason, reply_code, enhanced_status,
       provider_event_id LIKE 'derived:%' AS derived_key, occurred_at
  FROM pg_temp.wh('sendgrid', $j${"status": "5.2.2", "created": "2011-10-08 13:57:43",
   "reason": "550 5.2.2 <kijitora@example.co.jp>... Mailbox Full ", "email": "kijitora@example.co.jp"}$j$,
   'wh_sendgrid');
-- malformed: rejects, the good events kept
SELECT n, kind, address FROM pg_temp.wh('sendgrid', $j$[
 {"email": "no.event@example.com", "timestamp": 1738401000, "sg_event_id": "sg-ev-0030"},
 {"email": 12345, "timestamp": 1738401000, "event": "bounce", "sg_event_id": "sg-ev-0031"},
 {"timestamp": 1738401000, "event": "bounce", "sg_event_id": "sg-ev-0032"},
 {"email": "t@example.com", "timestamp": "soon", "event": "bounce", "sg_event_id": "sg-ev-0033"},
 {"email": "t@example.com", "timestamp": {"s": 1}, "event": "bounce", "sg_event_id": "sg-ev-0034"},
 {"email": "t@example.com", "timestamp": 1738401000, "event": "bounce", "sg_event_id": {"id": 1}},
 {"email": "t@example.com", "timestamp": 4102444800, "event": "bounce", "sg_event_id": "sg-ev-0035"},
 {"email": "t@example.com", "timestamp": 1738401000, "event": "account_status_change", "sg_event_id": "sg-ev-0036"},
 [1, 2],
 {"email": "good.one@example.com", "timestamp": 1738401000, "event": "bounce", "type": "bounce",
  "sg_event_id": "sg-ev-0037", "reason": "550 5.1.1 unknown user", "status": "5.1.1"}]$j$, 'wh_sendgrid');
SELECT provider, error, sqlstate FROM bounce_suppress.webhook_rejects WHERE project = 'wh_sendgrid' ORDER BY id;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_sendgrid' ORDER BY address;

-- ---------------------------------------------------------------------------
-- Mailgun (one event per call: signature + event-data)
SELECT * FROM pg_temp.wh('mailgun', $j${
  "signature": {"token": "t1", "timestamp": "1738400000", "signature": "s1"},
  "event-data": {"id": "mg-ev-0001", "timestamp": 1738400000.214551, "event": "failed",
    "severity": "permanent", "reason": "bounce", "recipient": "gone@example.com",
    "delivery-status": {"attempt-no": 1, "code": 550, "enhanced-code": "5.1.1",
      "message": "5.1.1 <gone@example.com>: Recipient address rejected: User unknown",
      "description": "", "mx-host": "mx1.example.com"},
    "message": {"headers": {"message-id": "mg-msg-0001@mg.example.net"}}}}$j$, 'wh_mailgun');
-- the same event again: same id
SELECT pg_temp.ids('mailgun', $j${"signature": {"token": "t1b"}, "event-data": {"id": "mg-ev-0001",
  "timestamp": 1738400000.214551, "event": "failed", "severity": "permanent", "reason": "bounce",
  "recipient": "gone@example.com"}}$j$, 'wh_mailgun')
  = ARRAY(SELECT id FROM bounce_suppress.events WHERE project = 'wh_mailgun') AS same_ids;
-- temporary: a delay, skipped; the final give-up (reason old) is a transient
-- bounce, reason expired, also when it still says temporary
SELECT count(*) FROM bounce_suppress.ingest_webhook('mailgun', $j${"event-data": {"id": "mg-ev-0002",
  "timestamp": 1738400100.03, "event": "failed", "severity": "temporary", "reason": "generic",
  "recipient": "quota@example.com",
  "delivery-status": {"code": 452, "enhanced-code": "4.2.2", "message": "4.2.2 Mailbox full"}}}$j$, 'wh_mailgun');
SELECT * FROM pg_temp.wh('mailgun', $j$[
 {"event-data": {"id": "mg-ev-0003", "timestamp": 1738429000.5, "event": "failed",
   "severity": "permanent", "reason": "old", "recipient": "quota@example.com",
   "delivery-status": {"code": 452, "enhanced-code": "4.2.2", "message": "4.2.2 Mailbox full"}}},
 {"event-data": {"id": "mg-ev-0004", "timestamp": 1738429001, "event": "failed",
   "severity": "temporary", "reason": "old", "recipient": "slowpoke@example.com",
   "delivery-status": {"code": 421, "message": "", "description": "Too old"}}},
 {"event-data": {"id": "mg-ev-0005", "timestamp": 1738429002, "event": "failed",
   "severity": "permanent", "reason": "suppress-bounce", "recipient": "bounced.before@example.com",
   "delivery-status": {"code": 605, "message": "", "description": "Not delivering to previously bounced address"}}},
 {"event-data": {"id": "mg-ev-0006", "timestamp": 1738429003, "event": "complained",
   "recipient": "spamclick@example.com",
   "message": {"headers": {"message-id": "mg-msg-0006@mg.example.net"}}}},
 {"event-data": {"id": "mg-ev-0007", "timestamp": 1738429004, "event": "delivered",
   "recipient": "ok@example.com",
   "delivery-status": {"code": 250, "message": "OK"}}},
 {"event-data": {"id": "mg-ev-0008", "timestamp": 1738429005, "event": "failed",
   "severity": "permanent", "reason": "bounce", "recipient": "spamhaus@example.com",
   "delivery-status": {"code": 554, "enhanced-code": "5.7.1",
     "message": "5.7.1 Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org"}}},
 {"event-data": {"id": "mg-ev-0009", "timestamp": 1738429006, "event": "opened", "recipient": "ok@example.com"}},
 {"event-data": {"id": "mg-ev-0010", "timestamp": 1738429007, "event": "failed",
   "severity": "permanent", "reason": "suppress-unsubscribe", "recipient": "unsub@example.com"}}
]$j$, 'wh_mailgun');
-- malformed
SELECT count(*) FROM bounce_suppress.ingest_webhook('mailgun', $j$[
 {"event-data": {"id": "mg-ev-0020", "timestamp": 1738429000, "event": "failed", "severity": "permanent"}},
 {"event-data": "text"},
 {"event-data": {"id": "mg-ev-0021", "timestamp": "abc", "event": "complained", "recipient": "x@example.com"}},
 {"event-data": {"id": "mg-ev-0022", "timestamp": 1738429000, "event": "failed", "severity": "permanent",
   "recipient": "y@example.com", "delivery-status": [550]}}]$j$, 'wh_mailgun');
SELECT provider, error, sqlstate FROM bounce_suppress.webhook_rejects WHERE project = 'wh_mailgun' ORDER BY id;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_mailgun' ORDER BY address;

-- ---------------------------------------------------------------------------
-- clean up
DELETE FROM bounce_suppress.suppressions WHERE project IN ('wh_ses', 'wh_sendgrid', 'wh_mailgun', 'wh_misc');
DELETE FROM bounce_suppress.suppression_log WHERE project IN ('wh_ses', 'wh_sendgrid', 'wh_mailgun', 'wh_misc');
DELETE FROM bounce_suppress.events WHERE project IN ('wh_ses', 'wh_sendgrid', 'wh_mailgun', 'wh_misc');
DELETE FROM bounce_suppress.webhook_rejects WHERE project IN ('wh_ses', 'wh_sendgrid', 'wh_mailgun', 'wh_misc');
