-- The rules: which events suppress, and when soft bounces add up.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.sup(p text) RETURNS TABLE(address text, reason bounce_suppress.suppression_reason, expires boolean)
LANGUAGE sql AS $$
  SELECT s.address, s.reason, s.expires_at IS NOT NULL
    FROM bounce_suppress.suppressions s WHERE s.project = p ORDER BY s.address
$$;

-- Hard bounce and complaint: suppressed on the first event.
SELECT bounce_suppress.ingest_bounce('hard@example.com', 'permanent', project => 'rules') > 0;
SELECT bounce_suppress.ingest_complaint('fbl@example.com', project => 'rules') > 0;
-- Undetermined and transient: recorded only.
SELECT bounce_suppress.ingest_bounce('maybe@example.com', 'undetermined', project => 'rules') > 0;
SELECT bounce_suppress.ingest_bounce('soft@example.com', 'transient', '452 4.2.2 Mailbox full', project => 'rules') > 0;
-- A permanent bounce caused by the sender (a provider said Permanent, the
-- diagnostic blames the sender's IP) does not suppress by default ...
SELECT bounce_suppress.ingest_bounce('blocked@example.com', 'permanent',
         diagnostic => '550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
         project => 'rules') > 0;
SELECT address, bounce_type, reason, bounce_suppress.is_sender_reason(reason) AS sender
  FROM bounce_suppress.events WHERE project = 'rules' AND address = 'blocked@example.com';
SELECT * FROM pg_temp.sup('rules');
-- ... unless the project's policy says so.
INSERT INTO bounce_suppress.policies (project, suppress_sender_blocks) VALUES ('rules', true);
SELECT bounce_suppress.ingest_bounce('blocked2@example.com', 'permanent',
         diagnostic => '550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
         project => 'rules') > 0;
SELECT * FROM pg_temp.sup('rules');
DELETE FROM bounce_suppress.policies WHERE project = 'rules';

-- Which reason wins: complaint > hard_bounce > soft_bounce_limit > manual.
SELECT bounce_suppress.suppress('upgrade@example.com', 'asked by support', project => 'rules');
SELECT bounce_suppress.ingest_bounce('upgrade@example.com', 'permanent', project => 'rules') > 0;
SELECT bounce_suppress.ingest_complaint('upgrade@example.com', project => 'rules') > 0;
SELECT bounce_suppress.ingest_bounce('upgrade@example.com', 'permanent', project => 'rules') > 0;
SELECT bounce_suppress.suppress('upgrade@example.com', 'again', project => 'rules') AS newly_suppressed;
SELECT action, reason, note FROM bounce_suppress.suppression_log
 WHERE project = 'rules' AND address = 'upgrade@example.com' ORDER BY id;
-- A stronger reason clears an expiry.
SELECT bounce_suppress.suppress('expiring@example.com', expires_at => now() + interval '1 day', project => 'rules');
SELECT bounce_suppress.ingest_bounce('expiring@example.com', 'permanent', project => 'rules') > 0;
SELECT * FROM pg_temp.sup('rules') WHERE address = 'expiring@example.com';
-- Several events for one address in one statement: the strongest wins, logged once.
INSERT INTO bounce_suppress.events (project, kind, address, bounce_type)
VALUES ('rules', 'bounce', 'multi@example.com', 'permanent'),
       ('rules', 'complaint', 'multi@example.com', NULL),
       ('rules', 'bounce', 'multi@example.com', 'permanent');
SELECT action, reason FROM bounce_suppress.suppression_log
 WHERE project = 'rules' AND address = 'multi@example.com' ORDER BY id;

-- Soft bounces: default policy, 5 separate sends over at least 7 days.
CREATE FUNCTION pg_temp.soft(addr text, days_ago int, msg text, proj text DEFAULT 'soft')
RETURNS bigint LANGUAGE sql AS $$
  SELECT bounce_suppress.ingest_bounce(addr, diagnostic => '452 4.2.2 Mailbox full',
           occurred_at => now() - days_ago * interval '1 day', message_id => msg, project => proj)
$$;
-- four sends over 9 days: not yet
SELECT pg_temp.soft('s1@example.com', d, 'm' || d) > 0 FROM unnest(ARRAY[9, 7, 5, 3]) d;
SELECT count(*) AS suppressed FROM bounce_suppress.suppressions WHERE project = 'soft';
-- retries of one send count once
SELECT pg_temp.soft('s1@example.com', 2, 'm3') > 0, pg_temp.soft('s1@example.com', 1, 'm3') > 0;
SELECT count(*) AS suppressed FROM bounce_suppress.suppressions WHERE project = 'soft';
-- the fifth separate send: suppressed
SELECT pg_temp.soft('s1@example.com', 0, 'm0') > 0;
SELECT * FROM pg_temp.sup('soft');
-- five sends within 3 days: the span is too short
SELECT pg_temp.soft('s2@example.com', d, 'n' || d) > 0 FROM unnest(ARRAY[3, 2, 1, 0, 0]) d;
SELECT pg_temp.soft('s2@example.com', 0, NULL) > 0;  -- no message id: its own send
SELECT count(*) FILTER (WHERE address = 's2@example.com') AS s2_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';
-- a delivery ends the streak
SELECT pg_temp.soft('s3@example.com', d, 'k' || d) > 0 FROM unnest(ARRAY[20, 18, 16]) d;
SELECT bounce_suppress.ingest_delivery('s3@example.com', now() - interval '15 days', project => 'soft') > 0;
SELECT pg_temp.soft('s3@example.com', d, 'k' || d) > 0 FROM unnest(ARRAY[10, 5]) d;
SELECT count(*) FILTER (WHERE address = 's3@example.com') AS s3_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';
SELECT pg_temp.soft('s3@example.com', d, 'k' || d) > 0 FROM unnest(ARRAY[4, 2, 0]) d;
SELECT count(*) FILTER (WHERE address = 's3@example.com') AS s3_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';
-- soft bounces outside the window do not count
SELECT pg_temp.soft('s4@example.com', d, 'w' || d) > 0 FROM unnest(ARRAY[60, 50, 40, 35, 1]) d;
SELECT count(*) FILTER (WHERE address = 's4@example.com') AS s4_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';
-- sender-caused and undetermined bounces never count
SELECT bounce_suppress.ingest_bounce('s5@example.com', 'transient', '421 4.7.0 Too many connections from your IP',
         now() - d * interval '1 day', 'r' || d, project => 'soft') > 0
  FROM unnest(ARRAY[9, 7, 5, 3, 1]) d;
SELECT bounce_suppress.ingest_bounce('s5@example.com', 'undetermined', NULL,
         now() - d * interval '1 day', 'u' || d, project => 'soft') > 0
  FROM unnest(ARRAY[9, 7, 5, 3, 1]) d;
SELECT count(*) FILTER (WHERE address = 's5@example.com') AS s5_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';
-- a removal starts the count again
SELECT bounce_suppress.unsuppress('s1@example.com', 'mailbox cleaned up', project => 'soft');
SELECT pg_temp.soft('s1@example.com', 0, 'after-removal') > 0;
SELECT count(*) FILTER (WHERE address = 's1@example.com') AS s1_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft';

-- Policy knobs: limit 2, no span, and a TTL on soft suppressions.
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit, soft_bounce_span, soft_suppression_ttl)
VALUES ('soft2', 2, '0', '14 days');
SELECT pg_temp.soft('t1@example.com', 1, 'a', 'soft2') > 0, pg_temp.soft('t1@example.com', 0, 'b', 'soft2') > 0;
SELECT address, reason, expires_at - created_at AS lasts
  FROM bounce_suppress.suppressions WHERE project = 'soft2';
-- more soft bounces while it is in force change nothing, not even the log;
-- once it has lapsed, new ones count again from the lapse
SELECT pg_temp.soft('t1@example.com', 2, 'c', 'soft2') > 0;
UPDATE bounce_suppress.suppressions SET expires_at = now()
 WHERE project = 'soft2' AND address = 't1@example.com';
SELECT pg_temp.soft('t1@example.com', 0, 'd', 'soft2') > 0;
SELECT count(*) AS t1_in_force FROM bounce_suppress.active_suppressions WHERE project = 'soft2';
SELECT pg_temp.soft('t1@example.com', 0, 'e', 'soft2') > 0;
SELECT count(*) AS t1_in_force FROM bounce_suppress.active_suppressions WHERE project = 'soft2';
SELECT action, reason FROM bounce_suppress.suppression_log
 WHERE project = 'soft2' AND address = 't1@example.com' ORDER BY id;
-- limit 0: soft bounces never suppress
UPDATE bounce_suppress.policies SET soft_bounce_limit = 0 WHERE project = 'soft2';
SELECT pg_temp.soft('t2@example.com', d, 'x' || d, 'soft2') > 0 FROM generate_series(0, 9) d;
SELECT count(*) FILTER (WHERE address = 't2@example.com') AS t2_suppressed
  FROM bounce_suppress.suppressions WHERE project = 'soft2';
-- a project without a row follows 'default'
UPDATE bounce_suppress.policies SET soft_bounce_limit = 1, soft_bounce_span = '0' WHERE project = 'default';
SELECT pg_temp.soft('t3@example.com', 0, 'y', 'soft3') > 0;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'soft3';
UPDATE bounce_suppress.policies SET soft_bounce_limit = 5, soft_bounce_span = '7 days' WHERE project = 'default';

-- An expired suppression is replaced, and logged as expired then added.
INSERT INTO bounce_suppress.suppressions (project, address, reason, expires_at, created_at)
VALUES ('rules', 'lapsed@example.com', 'soft_bounce_limit', now() - interval '1 hour', now());
SELECT bounce_suppress.ingest_bounce('lapsed@example.com', 'permanent', project => 'rules') > 0;
SELECT action, reason FROM bounce_suppress.suppression_log
 WHERE project = 'rules' AND address = 'lapsed@example.com' ORDER BY id;

-- History is not replayed: events received before this transaction (a
-- restore, a copy between databases) are stored without applying rules.
INSERT INTO bounce_suppress.events (project, kind, address, bounce_type, received_at)
VALUES ('rules', 'bounce', 'restored@example.com', 'permanent', now() - interval '1 day');
SELECT count(*) AS restored_suppressed
  FROM bounce_suppress.suppressions WHERE address = 'restored@example.com';

DELETE FROM bounce_suppress.policies WHERE project = 'soft2';
DELETE FROM bounce_suppress.suppressions WHERE project IN ('rules', 'soft', 'soft2', 'soft3');
DELETE FROM bounce_suppress.suppression_log WHERE project IN ('rules', 'soft', 'soft2', 'soft3');
DELETE FROM bounce_suppress.events WHERE project IN ('rules', 'soft', 'soft2', 'soft3');

-- The trigger functions refuse to run as any other kind of trigger.
CREATE TEMP TABLE misuse (x int);
CREATE TRIGGER misuse_rules BEFORE INSERT ON misuse
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.events_apply_rules();
INSERT INTO misuse VALUES (1);
DROP TRIGGER misuse_rules ON misuse;
CREATE TRIGGER misuse_rules AFTER INSERT ON misuse
  FOR EACH STATEMENT EXECUTE FUNCTION bounce_suppress.events_apply_rules();
INSERT INTO misuse VALUES (2);
DROP TRIGGER misuse_rules ON misuse;
CREATE TRIGGER misuse_rules AFTER INSERT ON misuse REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION bounce_suppress.events_apply_rules();
INSERT INTO misuse VALUES (2);
DROP TRIGGER misuse_rules ON misuse;
CREATE TRIGGER misuse_before AFTER INSERT ON misuse
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.events_before_insert();
INSERT INTO misuse VALUES (3);
DROP TRIGGER misuse_before ON misuse;
CREATE TRIGGER misuse_before BEFORE INSERT ON misuse
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.events_before_insert();
INSERT INTO misuse VALUES (4);
DROP TABLE misuse;
SELECT bounce_suppress.events_apply_rules();
-- A table shaped like events (as a Citus shard is) runs them, with its own
-- plans: a hard bounce stored there suppresses.
CREATE TEMP TABLE shard (LIKE bounce_suppress.events INCLUDING DEFAULTS);
CREATE TRIGGER shard_before BEFORE INSERT ON shard
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.events_before_insert();
CREATE TRIGGER shard_rules AFTER INSERT ON shard REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION bounce_suppress.events_apply_rules();
INSERT INTO shard (project, kind, address, diagnostic)
VALUES ('shard', 'bounce', 'gone@example.com', '550 5.1.1 user unknown');
SELECT bounce_type, reason FROM shard;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'shard';
-- the shape is kept for the session, and forgotten when the table changes
ALTER TABLE shard ALTER COLUMN reason TYPE varchar;
INSERT INTO shard (project, kind, address, diagnostic)
VALUES ('shard', 'bounce', 'gone2@example.com', '550 5.1.1 user unknown');
DROP TABLE shard;
DELETE FROM bounce_suppress.suppressions WHERE project = 'shard';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'shard';
