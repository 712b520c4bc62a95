-- webhook_providers: ingest_webhook, part 2: Postmark, SparkPost, Mandrill,
-- Resend, Brevo, Mailjet.  Uses projects wh_postmark, wh_sparkpost,
-- wh_mandrill, wh_resend, wh_brevo, wh_mailjet and removes its rows.
\set VERBOSITY terse
SET TIME ZONE 'UTC';

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
         e.enhanced_status, e.message_id,
         CASE WHEN e.provider_event_id LIKE 'derived:%' THEN 'derived' ELSE e.provider_event_id END,
         e.occurred_at, e.feedback_type
    FROM unnest(ids) WITH ORDINALITY AS o(id, n)
    JOIN bounce_suppress.events e ON e.id = o.id
   ORDER BY o.n;
END
$$;

-- A redelivery: true if it returns the same ids as the first call and adds nothing.
CREATE FUNCTION pg_temp.redelivered(p text, j jsonb, proj text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  before bigint := (SELECT count(*) FROM bounce_suppress.events WHERE project = proj);
  first bigint[] := ARRAY(SELECT bounce_suppress.ingest_webhook(p, j, proj));
  mid bigint := (SELECT count(*) FROM bounce_suppress.events WHERE project = proj);
  again bigint[] := ARRAY(SELECT bounce_suppress.ingest_webhook(p, j, proj));
BEGIN
  RETURN first = again AND cardinality(first) > 0 AND mid > before
     AND (SELECT count(*) FROM bounce_suppress.events WHERE project = proj) = mid;
END
$$;

CREATE FUNCTION pg_temp.rejects(proj text)
RETURNS TABLE(provider text, error text, sqlstate text)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY SELECT w.provider, w.error, w.sqlstate FROM bounce_suppress.webhook_rejects w
                WHERE w.project = proj ORDER BY w.id;
END
$$;

-- ---------------------------------------------------------------------------
-- Postmark (one object per call, keyed on RecordType and Type)
SELECT * FROM pg_temp.wh('postmark', $j${"RecordType": "Bounce", "ID": 4187230915, "Type": "HardBounce",
  "TypeCode": 1, "MessageID": "pm-msg-0001", "Email": "old.customer@example.com",
  "Details": "smtp;550 5.1.1 <old.customer@example.com>: Recipient address rejected",
  "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
  "BouncedAt": "2025-03-07T09:12:44.1830012Z", "Inactive": true}$j$, 'wh_postmark');
SELECT * FROM pg_temp.wh('postmark', $j$[
 {"RecordType": "Bounce", "ID": 4187231777, "Type": "SoftBounce", "TypeCode": 4096,
  "MessageID": "pm-msg-0002", "Email": "hoarder@example.com", "Details": "smtp;452 4.2.2 mailbox full",
  "BouncedAt": "2025-03-07T09:30:02.5512009+01:00"},
 {"RecordType": "Bounce", "ID": 4187231778, "Type": "Blocked", "TypeCode": 100006,
  "MessageID": "pm-msg-0003", "Email": "isp.blocked@example.com",
  "Details": "smtp;550 5.7.1 Message rejected because of IP reputation", "BouncedAt": "2025-03-07T10:00:00Z"},
 {"RecordType": "Bounce", "ID": 4187231779, "Type": "SpamNotification", "TypeCode": 512,
  "MessageID": "pm-msg-0004", "Email": "filtered@example.com", "Details": "",
  "BouncedAt": "2025-03-07T10:01:00Z"},
 {"RecordType": "Bounce", "ID": 4187231780, "Type": "Unknown", "TypeCode": 2048,
  "MessageID": "pm-msg-0005", "Email": "who.knows@example.com", "Details": "",
  "BouncedAt": "2025-03-07T10:02:00Z"},
 {"RecordType": "Bounce", "ID": 4187231781, "Type": "ManuallyDeactivated", "TypeCode": 100002,
  "MessageID": "pm-msg-0006", "Email": "deactivated@example.com", "BouncedAt": "2025-03-07T10:03:00Z"},
 {"RecordType": "Bounce", "ID": 4187231782, "Type": "Transient", "TypeCode": 2,
  "MessageID": "pm-msg-0007", "Email": "delayed@example.com", "BouncedAt": "2025-03-07T10:04:00Z"},
 {"RecordType": "Bounce", "ID": 4187231783, "Type": "AutoResponder", "TypeCode": 64,
  "MessageID": "pm-msg-0008", "Email": "on.holiday@example.com", "BouncedAt": "2025-03-07T10:05:00Z"},
 {"RecordType": "SpamComplaint", "ID": 4187240101, "Type": "SpamComplaint", "TypeCode": 512,
  "MessageID": "pm-msg-0009", "Email": "not.interested@example.com", "BouncedAt": "2025-03-08T18:01:17Z"},
 {"RecordType": "Delivery", "MessageID": "pm-msg-0010", "Recipient": "happy@example.com",
  "DeliveredAt": "2025-03-08T18:02:00Z", "Details": "Test delivery webhook details"},
 {"RecordType": "Open", "MessageID": "pm-msg-0010", "Recipient": "happy@example.com"},
 {"RecordType": "SubscriptionChange", "MessageID": "pm-msg-0011", "Recipient": "x@example.com",
  "SuppressSending": true}]$j$, 'wh_postmark');
SELECT pg_temp.redelivered('postmark', $j${"RecordType": "Bounce", "ID": 4187239999, "Type": "HardBounce",
  "MessageID": "pm-msg-0020", "Email": "again@example.com", "Details": "smtp;550 5.1.1 no such user",
  "BouncedAt": "2025-03-09T09:00:00Z"}$j$, 'wh_postmark');
SELECT pg_temp.redelivered('postmark', $j${"RecordType": "Delivery", "MessageID": "pm-msg-0021",
  "Recipient": "delivered.again@example.com", "DeliveredAt": "2025-03-09T09:00:00Z"}$j$, 'wh_postmark');
SELECT count(*) FROM bounce_suppress.ingest_webhook('postmark', $j$[
 {"ID": 1, "Type": "HardBounce", "Email": "a@example.com"},
 {"RecordType": "Bounce", "ID": 2, "Type": "HardBounce", "Email": "a@example.com", "BouncedAt": "not a time"},
 {"RecordType": "Bounce", "ID": 3, "Type": "HardBounce", "Email": null, "BouncedAt": "2025-03-09T09:00:00Z"},
 {"RecordType": "Bounce", "ID": 4, "Type": "HardBounce", "Email": "a@example.com", "BouncedAt": "2030-01-01T00:00:00Z"},
 {"RecordType": "Inbound2", "ID": 5}]$j$, 'wh_postmark');
SELECT * FROM pg_temp.rejects('wh_postmark');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_postmark' ORDER BY address;

-- ---------------------------------------------------------------------------
-- SparkPost (an array of {msys: {<class>: event}}; numbers as strings)
SELECT * FROM pg_temp.wh('sparkpost', $j$[
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "10", "error_code": "550",
   "raw_reason": "550 5.1.1 <left.company@example.com>... User unknown",
   "reason": "550 5.1.1 ...@... User unknown", "rcpt_to": "left.company@example.com",
   "raw_rcpt_to": "Left.Company@example.com", "event_id": "130046891327110422",
   "message_id": "00012c3d4e5f60718293", "timestamp": "1741340102"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "22", "error_code": "452",
   "raw_reason": "452 4.2.2 Mailbox over quota", "rcpt_to": "packrat@example.com",
   "event_id": "130046891327110500", "message_id": "00012c3d4e5f60719000", "timestamp": "1741340200"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": 51, "error_code": "554",
   "raw_reason": "554 5.7.1 Client host rejected: listed at bl.example.org", "rcpt_to": "spamblock@example.com",
   "event_id": "130046891327110501", "message_id": "00012c3d4e5f60719001", "timestamp": "1741340201"}}},
 {"msys": {"message_event": {"type": "out_of_band", "bounce_class": "52", "error_code": "550",
   "raw_reason": "550 5.7.1 Message content rejected as spam", "rcpt_to": "contentblock@example.com",
   "event_id": "130046891327110502", "message_id": "00012c3d4e5f60719002", "timestamp": "1741340202"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "54", "error_code": "550",
   "raw_reason": "550 5.7.1 Relaying denied", "rcpt_to": "norelay@example.com",
   "event_id": "130046891327110503", "message_id": "00012c3d4e5f60719003", "timestamp": "1741340203"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "1", "rcpt_to": "undetermined@example.com",
   "raw_reason": "something odd happened",
   "event_id": "130046891327110504", "message_id": "00012c3d4e5f60719004", "timestamp": "1741340204"}}},
 {"msys": {"message_event": {"type": "policy_rejection", "bounce_class": "25", "error_code": "554",
   "raw_reason": "554 5.7.1 recipient address suppressed due to customer policy",
   "rcpt_to": "on.list@example.com",
   "event_id": "130046891327110505", "message_id": "00012c3d4e5f60719005", "timestamp": "1741340205"}}},
 {"msys": {"message_event": {"type": "policy_rejection", "bounce_class": "25", "error_code": "554",
   "raw_reason": "554 5.7.1 [internal] Exceed Sending Limit (daily)", "rcpt_to": "quota.hit@example.com",
   "event_id": "130046891327110506", "message_id": "00012c3d4e5f60719006", "timestamp": "1741340206"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "60", "rcpt_to": "autoreply@example.com",
   "event_id": "130046891327110507", "timestamp": "1741340207"}}},
 {"msys": {"message_event": {"type": "delay", "bounce_class": "22", "error_code": "452",
   "raw_reason": "452 4.2.2 Mailbox over quota", "rcpt_to": "packrat@example.com",
   "event_id": "130046891327110977", "timestamp": "1741340230", "num_retries": "2"}}},
 {"msys": {"message_event": {"type": "spam_complaint", "fbtype": "abuse", "rcpt_to": "complainer@example.com",
   "event_id": "130046891327111350", "message_id": "00012c3d4e5f6071aaaa", "timestamp": "1741351000"}}},
 {"msys": {"message_event": {"type": "spam_complaint", "fbtype": "not-spam", "rcpt_to": "fan@example.com",
   "event_id": "130046891327111351", "timestamp": "1741351001"}}},
 {"msys": {"message_event": {"type": "delivery", "rcpt_to": "got.it@example.com",
   "event_id": "130046891327111352", "message_id": "00012c3d4e5f6071bbbb", "timestamp": "1741351002"}}},
 {"msys": {"track_event": {"type": "open", "rcpt_to": "got.it@example.com",
   "event_id": "130046891327111353", "timestamp": "1741351003"}}},
 {"msys": {}}]$j$, 'wh_sparkpost');
SELECT pg_temp.redelivered('sparkpost', $j$[{"msys": {"message_event": {"type": "bounce", "bounce_class": "10",
  "error_code": "550", "raw_reason": "550 5.1.1 User unknown", "rcpt_to": "redelivered@example.com",
  "event_id": "130046891327119999", "timestamp": "1741340102"}}}]$j$, 'wh_sparkpost');
-- the endpoint test ping is no event
SELECT count(*) FROM bounce_suppress.ingest_webhook('sparkpost', '[{"msys": {}}]', 'wh_sparkpost');
SELECT count(*) FROM bounce_suppress.ingest_webhook('sparkpost', $j$[
 {"message_event": {"type": "bounce"}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "ten", "rcpt_to": "a@example.com",
   "event_id": "1", "timestamp": "1741340102"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "10", "rcpt_to": "a@example.com",
   "event_id": "2", "timestamp": "17413401O2"}}},
 {"msys": {"message_event": {"type": "bounce", "bounce_class": "10", "rcpt_to": "a@",
   "event_id": "3", "timestamp": "1741340102"}}},
 {"msys": {"message_event": "bounce"}}]$j$, 'wh_sparkpost');
SELECT * FROM pg_temp.rejects('wh_sparkpost');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_sparkpost' ORDER BY address;

-- ---------------------------------------------------------------------------
-- Mandrill (the decoded mandrill_events array, or the form field holding it)
SELECT * FROM pg_temp.wh('mandrill', $j$[
 {"event": "hard_bounce", "_id": "md-0001", "ts": 1741426000,
  "msg": {"ts": 1741425940, "_id": "md-0001", "email": "expired@example.com", "state": "bounced",
          "bounce_description": "bad_mailbox", "bgtools_code": 10,
          "diag": "smtp;550 5.1.1 <expired@example.com>: no such user"}},
 {"event": "soft_bounce", "_id": "md-0002", "ts": 1741426100,
  "msg": {"_id": "md-0002", "email": "overflow@example.com", "state": "soft-bounced",
          "bounce_description": "mailbox_full", "bgtools_code": 22, "diag": "smtp;552 5.2.2 Quota exceeded"}},
 {"event": "hard_bounce", "_id": "md-0003", "ts": 1741426200,
  "msg": {"_id": "md-0003", "email": "spamfilter@example.com", "state": "bounced",
          "bounce_description": "general", "bgtools_code": 51,
          "diag": "smtp;550 5.7.1 rejected"}},
 {"event": "spam", "_id": "md-0004", "ts": 1741430000,
  "msg": {"_id": "md-0004", "email": "marked.it@example.com", "state": "sent"}},
 {"event": "reject", "_id": "md-0005", "ts": 1741430100,
  "msg": {"_id": "md-0005", "email": "denylisted@example.com", "state": "rejected"}},
 {"event": "reject", "_id": "md-0006", "ts": 1741430200,
  "msg": {"_id": "md-0006", "email": "unsubscribed@example.com", "state": "rejected",
          "reject": {"reason": "unsub"}}},
 {"event": "delivered", "_id": "md-0007", "ts": 1741430300,
  "msg": {"_id": "md-0007", "email": "ok@example.com", "state": "sent"}},
 {"event": "deferral", "_id": "md-0008", "ts": 1741430400,
  "msg": {"_id": "md-0008", "email": "later@example.com", "state": "deferred"}},
 {"event": "open", "_id": "md-0007", "ts": 1741430500, "msg": {"_id": "md-0007", "email": "ok@example.com"}},
 {"type": "blacklist", "action": "add", "reject": {"reason": "hard-bounce", "email": "x@example.com"}}
]$j$, 'wh_mandrill');
-- no event id: a key derived from _id, event and ts; the form field works too
SELECT pg_temp.redelivered('mandrill', jsonb_build_object('mandrill_events',
  $j$[{"event": "hard_bounce", "_id": "md-0100", "ts": 1741426000,
       "msg": {"_id": "md-0100", "email": "form.field@example.com", "diag": "smtp;550 5.1.1 unknown"}}]$j$::text),
  'wh_mandrill');
SELECT count(*) FROM bounce_suppress.ingest_webhook('mandrill', $j$[
 {"event": "hard_bounce", "_id": "md-0200", "ts": 1741426000},
 {"event": "hard_bounce", "_id": "md-0201", "ts": "Tuesday", "msg": {"email": "a@example.com"}},
 {"event": "hard_bounce", "_id": "md-0202", "ts": 1741426000, "msg": {"email": true}},
 {"_id": "md-0203", "ts": 1741426000, "msg": {"email": "a@example.com"}}]$j$, 'wh_mandrill');
SELECT * FROM pg_temp.rejects('wh_mandrill');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_mandrill' ORDER BY address;

-- ---------------------------------------------------------------------------
-- Resend (one object per call; the event id is only in the svix-id header)
SELECT * FROM pg_temp.wh('resend', $j${"type": "email.bounced", "created_at": "2025-03-09T14:22:07.512Z",
  "data": {"email_id": "rs-0001", "created_at": "2025-03-09T14:22:01.004Z",
           "from": "Acme <no-reply@example.net>", "to": ["unknown.user@example.com"],
           "bounce": {"type": "Permanent", "subType": "General",
                      "message": "The recipient's mail server permanently rejected the message: 550 5.1.1 user unknown"}}}$j$,
  'wh_resend');
SELECT * FROM pg_temp.wh('resend', $j$[
 {"type": "email.bounced", "created_at": "2025-03-09T15:01:44.090Z",
  "data": {"email_id": "rs-0002", "to": ["stuffed.inbox@example.com"],
           "bounce": {"type": "Transient", "subType": "MailboxFull", "message": "The recipient's mailbox is full."}}},
 {"type": "email.bounced", "created_at": "2025-03-09T15:02:00Z",
  "data": {"email_id": "rs-0003", "to": ["one@example.com", "Two@Example.com"],
           "bounce": {"type": "Undetermined", "subType": "Undetermined", "message": "unknown"}}},
 {"type": "email.suppressed", "created_at": "2025-03-09T15:03:00Z",
  "data": {"email_id": "rs-0004", "to": ["on.list@example.com"],
           "suppressed": {"type": "OnAccountSuppressionList", "message": "on the suppression list"}}},
 {"type": "email.complained", "created_at": "2025-03-10T08:00:31.000Z",
  "data": {"email_id": "rs-0005", "to": ["unhappy@example.com"]}},
 {"type": "email.delivered", "created_at": "2025-03-10T08:01:00Z",
  "data": {"email_id": "rs-0006", "to": "glad@example.com"}},
 {"type": "email.delivery_delayed", "created_at": "2025-03-10T08:02:00Z",
  "data": {"email_id": "rs-0007", "to": ["slow@example.com"]}},
 {"type": "email.opened", "created_at": "2025-03-10T08:03:00Z", "data": {"email_id": "rs-0006", "to": ["glad@example.com"]}},
 {"type": "contact.created", "created_at": "2025-03-10T08:04:00Z", "data": {"id": "c1"}}]$j$, 'wh_resend');
SELECT pg_temp.redelivered('resend', $j${"type": "email.complained", "created_at": "2025-03-11T08:00:31.000Z",
  "data": {"email_id": "rs-0100", "to": ["again@example.com"]}}$j$, 'wh_resend');
SELECT count(*) FROM bounce_suppress.ingest_webhook('resend', $j$[
 {"type": "email.bounced", "created_at": "2025-03-09T15:02:00Z", "data": {"email_id": "rs-0200", "to": []}},
 {"type": "email.bounced", "created_at": "2025-03-09T15:02:00Z", "data": "rs-0201"},
 {"type": "email.bounced", "created_at": "2025-03-09T15:02:00Z", "data": {"email_id": "rs-0202", "to": 42}},
 {"type": "email.unknown_thing", "data": {}},
 {"data": {"to": ["a@example.com"]}}]$j$, 'wh_resend');
SELECT * FROM pg_temp.rejects('wh_resend');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_resend' ORDER BY address;

-- ---------------------------------------------------------------------------
-- Brevo (one object, or an array when batched; ts_epoch in milliseconds)
SELECT * FROM pg_temp.wh('brevo', $j${"event": "hard_bounce", "email": "defunct@example.com", "id": 712345,
  "date": "2025-03-11 10:04:05", "ts": 1741683845, "ts_event": 1741683845, "ts_epoch": 1741683845123,
  "message-id": "<202503110904.1@smtp-relay.example.net>",
  "reason": " RecipientError: 550 5.1.1 mailbox does not exist"}$j$, 'wh_brevo');
SELECT * FROM pg_temp.wh('brevo', $j$[
 {"event": "soft_bounce", "email": "quota@example.com", "id": 712345, "ts_event": 1741684000,
  "ts_epoch": 1741684000456, "message-id": "<202503110906.2@smtp-relay.example.net>",
  "reason": "452 4.2.2 mailbox full"},
 {"event": "invalid_email", "email": "typo@example.com", "id": 712345, "ts_epoch": 1741684001000,
  "message-id": "<202503110906.3@smtp-relay.example.net>"},
 {"event": "blocked", "email": "blocklisted@example.com", "id": 712345, "ts_epoch": 1741684002000,
  "message-id": "<202503110906.4@smtp-relay.example.net>"},
 {"event": "spam", "email": "flagger@example.com", "id": 712345, "ts_epoch": 1741810500000,
  "message-id": "<202503121000.5@smtp-relay.example.net>"},
 {"event": "complaint", "email": "flagger2@example.com", "id": 712345, "ts_event": 1741810501,
  "message-id": "<202503121000.6@smtp-relay.example.net>"},
 {"event": "delivered", "email": "fine@example.com", "id": 712345, "ts_epoch": 1741810502000,
  "message-id": "<202503121000.7@smtp-relay.example.net>"},
 {"event": "deferred", "email": "later@example.com", "id": 712345, "ts_epoch": 1741810503000},
 {"event": "unique_opened", "email": "fine@example.com", "id": 712345, "ts_epoch": 1741810504000},
 {"event": "request", "email": "fine@example.com", "id": 712345, "ts_epoch": 1741810505000}]$j$, 'wh_brevo');
SELECT pg_temp.redelivered('brevo', $j$[{"event": "hard_bounce", "email": "again@example.com", "id": 712345,
  "ts_epoch": 1741683845999, "message-id": "<x@smtp-relay.example.net>", "reason": "550 5.1.1 unknown"}]$j$,
  'wh_brevo');
SELECT count(*) FROM bounce_suppress.ingest_webhook('brevo', $j$[
 {"event": "hard_bounce", "id": 712345, "ts_epoch": 1741683845123},
 {"event": "hard_bounce", "email": "a@example.com", "ts_epoch": -5},
 {"event": "hard_bounce", "email": "a@example.com", "ts_epoch": 99999999999999999},
 {"event": "hard_bounce", "email": "a@example.com", "ts_epoch": 1741683845123, "message-id": ["x"]},
 {"event": "marketing_thing", "email": "a@example.com"}]$j$, 'wh_brevo');
SELECT * FROM pg_temp.rejects('wh_brevo');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_brevo' ORDER BY address;

-- ---------------------------------------------------------------------------
-- Mailjet (one object, or a grouped array; MessageID beyond 2^53 kept exact)
SELECT * FROM pg_temp.wh('mailjet', $j$[
 {"event": "bounce", "time": 1741852800, "MessageID": 288230378123456789,
  "Message_GUID": "5e0c2a8b-7d41-4f39-b2e6-91a0c3d4e5f6", "email": "closed.account@example.com",
  "blocked": true, "hard_bounce": true, "error_related_to": "recipient", "error": "user unknown",
  "comment": "550 5.1.1 <closed.account@example.com>: Recipient address rejected: User unknown in virtual mailbox table"},
 {"event": "bounce", "time": 1741852805, "MessageID": 288230378123456790, "email": "overquota@example.com",
  "blocked": false, "hard_bounce": false, "error_related_to": "recipient", "error": "quota exceeded",
  "comment": "452 4.2.2 Mailbox full"},
 {"event": "bounce", "time": 1741852806, "MessageID": 288230378123456792, "email": "spamblocked@example.com",
  "hard_bounce": true, "error_related_to": "spam", "error": "sender blocked", "comment": ""},
 {"event": "bounce", "time": 1741852807, "MessageID": 288230378123456793, "email": "grey@example.com",
  "hard_bounce": false, "error_related_to": "domain", "error": "greylisted"},
 {"event": "blocked", "time": 1741852808, "MessageID": 288230378123456794, "email": "preblocked@example.com",
  "error_related_to": "mailjet", "error": "preblocked"},
 {"event": "blocked", "time": 1741852809, "MessageID": 288230378123456795, "email": "dupe@example.com",
  "error_related_to": "mailjet", "error": "duplicate in campaign"},
 {"event": "blocked", "time": 1741852810, "MessageID": 288230378123456796, "email": "content@example.com",
  "error_related_to": "spam", "error": "content blocked"},
 {"event": "spam", "time": 1741860000, "MessageID": 288230378123456791, "email": "reported@example.com",
  "source": "JMRPP"},
 {"event": "sent", "time": 1741860001, "MessageID": "288230378123456797", "email": "ok@example.com",
  "smtp_reply": "250 2.0.0 OK"},
 {"event": "open", "time": 1741860002, "MessageID": 288230378123456797, "email": "ok@example.com"},
 {"event": "unsub", "time": 1741860003, "MessageID": 288230378123456797, "email": "ok@example.com"}]$j$,
 'wh_mailjet');
SELECT pg_temp.redelivered('mailjet', $j${"event": "bounce", "time": 1741852900, "MessageID": 288230378123456999,
  "email": "again@example.com", "hard_bounce": true, "error": "user unknown"}$j$, 'wh_mailjet');
SELECT count(*) FROM bounce_suppress.ingest_webhook('mailjet', $j$[
 {"event": "bounce", "time": 1741852900, "MessageID": 1, "hard_bounce": true},
 {"event": "bounce", "time": 1741852900.5e3, "MessageID": 2, "email": "a@example.com", "hard_bounce": true},
 {"event": "spam", "time": [1741852900], "MessageID": 3, "email": "a@example.com"},
 {"event": "bounce", "time": 1741852900, "MessageID": 4, "email": "Someone <a@example.com>>"},
 {"time": 1741852900, "email": "a@example.com"}]$j$, 'wh_mailjet');
SELECT * FROM pg_temp.rejects('wh_mailjet');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'wh_mailjet' ORDER BY address;

-- ---------------------------------------------------------------------------
-- health counts the providers' suppressions neither as hard bounces nor as
-- blocks, and the block classes as blocks
SELECT bounce_suppress.record_sent(1000, 'wh_sparkpost', '2025-03-01');
SELECT sent, hard_bounces, soft_bounces, undetermined, blocks, complaints
  FROM bounce_suppress.health('wh_sparkpost', '2025-03-01');

-- clean up
DELETE FROM bounce_suppress.sent_counts WHERE project = 'wh_sparkpost';
DELETE FROM bounce_suppress.suppressions WHERE project IN ('wh_postmark', 'wh_sparkpost', 'wh_mandrill', 'wh_resend', 'wh_brevo', 'wh_mailjet');
DELETE FROM bounce_suppress.suppression_log WHERE project IN ('wh_postmark', 'wh_sparkpost', 'wh_mandrill', 'wh_resend', 'wh_brevo', 'wh_mailjet');
DELETE FROM bounce_suppress.events WHERE project IN ('wh_postmark', 'wh_sparkpost', 'wh_mandrill', 'wh_resend', 'wh_brevo', 'wh_mailjet');
DELETE FROM bounce_suppress.webhook_rejects WHERE project IN ('wh_postmark', 'wh_sparkpost', 'wh_mandrill', 'wh_resend', 'wh_brevo', 'wh_mailjet');
