-- Bad input across the API: every call below must fail with a clear
-- SQLSTATE and a message naming the bad value (API.md principle 6), or,
-- where the API says so, answer NULL instead of failing; and nothing of a
-- failed call may be kept.  pg_temp.try() runs one statement and reports
-- "ok: <result>" or "<SQLSTATE>: <message>"; the counts of every table are
-- compared before and after.
\set VERBOSITY terse

CREATE FUNCTION pg_temp.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  r text;
  msg text;
BEGIN
  EXECUTE stmt INTO r;
  RETURN 'ok: ' || coalesce(left(r, 60), 'NULL');
EXCEPTION WHEN OTHERS THEN
  msg := left(SQLERRM, 240);
  -- a time computed from now() differs on every run
  IF stmt LIKE '%now()%' THEN
    msg := regexp_replace(msg, '\d{4}-\d\d-\d\d [\d:.+-]+|\w{3} \w{3} \d\d [\d:.]+ \d{4} \w+', '<time>');
  END IF;
  RETURN SQLSTATE || ': ' || msg;
END
$$;

CREATE FUNCTION pg_temp.counts() RETURNS text
LANGUAGE sql AS $$
  SELECT format('events %s, suppressions %s, log %s, policies %s, sent_counts %s',
                (SELECT count(*) FROM bounce_suppress.events),
                (SELECT count(*) FROM bounce_suppress.suppressions),
                (SELECT count(*) FROM bounce_suppress.suppression_log),
                (SELECT count(*) FROM bounce_suppress.policies),
                (SELECT count(*) FROM bounce_suppress.sent_counts))
$$;

-- one complaint suppression, to try removing it without force
SELECT bounce_suppress.ingest_complaint('angry@example.com', project => 'bad_input') > 0 AS complaint;
CREATE TEMP TABLE before AS SELECT pg_temp.counts() AS counts;

CREATE TEMP TABLE cases (n serial, what text, stmt text);
INSERT INTO cases (what, stmt) VALUES
  -- ingest_bounce: addresses
  ('bounce: NULL address',            $$SELECT bounce_suppress.ingest_bounce(NULL, 'permanent', project => 'bad_input')$$),
  ('bounce: empty address',           $$SELECT bounce_suppress.ingest_bounce('', 'permanent', project => 'bad_input')$$),
  ('bounce: blank address',           $$SELECT bounce_suppress.ingest_bounce(E' \t\n', 'permanent', project => 'bad_input')$$),
  ('bounce: no @',                    $$SELECT bounce_suppress.ingest_bounce('not an address', 'permanent', project => 'bad_input')$$),
  ('bounce: one-label domain',        $$SELECT bounce_suppress.ingest_bounce('user@localhost', 'permanent', project => 'bad_input')$$),
  ('bounce: no local part',           $$SELECT bounce_suppress.ingest_bounce('@example.com', 'permanent', project => 'bad_input')$$),
  ('bounce: double dot',              $$SELECT bounce_suppress.ingest_bounce('a..b@example.com', 'permanent', project => 'bad_input')$$),
  ('bounce: control character',       $$SELECT bounce_suppress.ingest_bounce(E'a\x01b@example.com', 'permanent', project => 'bad_input')$$),
  ('bounce: empty <>',                $$SELECT bounce_suppress.ingest_bounce('Jane <>', 'permanent', project => 'bad_input')$$),
  ('bounce: unclosed <',              $$SELECT bounce_suppress.ingest_bounce('Jane <jane@example.com', 'permanent', project => 'bad_input')$$),
  ('bounce: 65-octet local part',     $$SELECT bounce_suppress.ingest_bounce(repeat('a', 65) || '@example.com', 'permanent', project => 'bad_input')$$),
  ('bounce: 255-octet address',       $$SELECT bounce_suppress.ingest_bounce('a@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 63) || '.' || repeat('e', 57) || '.com', 'permanent', project => 'bad_input')$$),
  ('bounce: 1 MB address',            $$SELECT bounce_suppress.ingest_bounce(repeat('x', 1048576) || '@example.com', 'permanent', project => 'bad_input')$$),
  -- ingest_bounce: other arguments
  ('bounce: unknown bounce_type',     $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'hard', project => 'bad_input')$$),
  ('bounce: NULL project',            $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', project => NULL)$$),
  ('bounce: empty project',           $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', project => '')$$),
  ('bounce: NULL occurred_at',        $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', occurred_at => NULL, project => 'bad_input')$$),
  ('bounce: occurred_at in 2999',     $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', occurred_at => '2999-01-01 00:00:00+00', project => 'bad_input')$$),
  ('bounce: occurred_at infinity',    $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', occurred_at => 'infinity', project => 'bad_input')$$),
  ('bounce: occurred_at +2 days',     $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', occurred_at => now() + interval '2 days', project => 'bad_input')$$),
  ('bounce: event id, no provider',   $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', provider_event_id => 'e1', project => 'bad_input')$$),
  ('bounce: not a timestamp',         $$SELECT bounce_suppress.ingest_bounce('a@example.com', 'permanent', occurred_at => 'yesterday-ish', project => 'bad_input')$$),
  -- ingest_complaint, ingest_delivery, ingest_event
  ('complaint: NULL address',         $$SELECT bounce_suppress.ingest_complaint(NULL, project => 'bad_input')$$),
  ('complaint: invalid address',      $$SELECT bounce_suppress.ingest_complaint('angry at example.com', project => 'bad_input')$$),
  ('complaint: occurred_at in 2999',  $$SELECT bounce_suppress.ingest_complaint('a@example.com', '2999-01-01', project => 'bad_input')$$),
  ('complaint: NULL project',         $$SELECT bounce_suppress.ingest_complaint('a@example.com', project => NULL)$$),
  ('delivery: only a type prefix',    $$SELECT bounce_suppress.ingest_delivery('rfc822;', project => 'bad_input')$$),
  ('delivery: event id, no provider', $$SELECT bounce_suppress.ingest_delivery('a@example.com', provider_event_id => 'e2', project => 'bad_input')$$),
  ('event: NULL kind',                $$SELECT bounce_suppress.ingest_event(NULL, 'a@example.com', project => 'bad_input')$$),
  ('event: unknown kind',             $$SELECT bounce_suppress.ingest_event('bonce', 'a@example.com', project => 'bad_input')$$),
  ('event: delivery with bounce_type',$$SELECT bounce_suppress.ingest_event('delivery', 'a@example.com', 'permanent', project => 'bad_input')$$),
  ('event: unknown reason',           $$SELECT bounce_suppress.ingest_event('bounce', 'a@example.com', 'permanent', reason => 'nonsense', project => 'bad_input')$$),
  ('event: reply_code 999',           $$SELECT bounce_suppress.ingest_event('bounce', 'a@example.com', 'permanent', reply_code => 999, project => 'bad_input')$$),
  ('event: reply_code -550',          $$SELECT bounce_suppress.ingest_event('bounce', 'a@example.com', 'permanent', reply_code => -550, project => 'bad_input')$$),
  -- suppress, unsuppress, expire
  ('suppress: NULL address',          $$SELECT bounce_suppress.suppress(NULL, project => 'bad_input')$$),
  ('suppress: invalid address',       $$SELECT bounce_suppress.suppress('nobody', project => 'bad_input')$$),
  ('suppress: 1 MB address',          $$SELECT bounce_suppress.suppress(repeat('y', 1048576), project => 'bad_input')$$),
  ('suppress: expires in the past',   $$SELECT bounce_suppress.suppress('a@example.com', expires_at => now() - interval '1 day', project => 'bad_input')$$),
  ('suppress: NULL project',          $$SELECT bounce_suppress.suppress('a@example.com', project => NULL)$$),
  ('unsuppress: NULL address',        $$SELECT bounce_suppress.unsuppress(NULL, 'note', project => 'bad_input')$$),
  ('unsuppress: invalid address',     $$SELECT bounce_suppress.unsuppress('a@@example.com', 'note', project => 'bad_input')$$),
  ('unsuppress: NULL force',          $$SELECT bounce_suppress.unsuppress('angry@example.com', 'note', NULL, 'bad_input')$$),
  ('unsuppress: NULL project',        $$SELECT bounce_suppress.unsuppress('angry@example.com', 'note', project => NULL)$$),
  ('unsuppress: complaint, no force', $$SELECT bounce_suppress.unsuppress('angry@example.com', 'note', project => 'bad_input')$$),
  -- record_sent, health
  ('record_sent: negative count',     $$SELECT bounce_suppress.record_sent(-5, 'bad_input')$$),
  ('record_sent: NULL count',         $$SELECT bounce_suppress.record_sent(NULL, 'bad_input')$$),
  ('record_sent: NULL day',           $$SELECT bounce_suppress.record_sent(5, 'bad_input', NULL)$$),
  ('record_sent: empty project',      $$SELECT bounce_suppress.record_sent(5, '')$$),
  ('record_sent: count overflow',     $$SELECT bounce_suppress.record_sent('99999999999999999999', 'bad_input')$$),
  ('health: NULL project',            $$SELECT bounce_suppress.health(NULL)$$),
  ('health: NULL since',              $$SELECT bounce_suppress.health('bad_input', NULL)$$),
  -- policies (plain DML: CHECKs)
  ('policy: negative limit',          $$INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('bad_input', -1)$$),
  ('policy: NULL limit',              $$INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('bad_input', NULL)$$),
  ('policy: negative span',           $$INSERT INTO bounce_suppress.policies (project, soft_bounce_span) VALUES ('bad_input', '-1 day')$$),
  ('policy: zero window',             $$INSERT INTO bounce_suppress.policies (project, soft_bounce_window) VALUES ('bad_input', '0')$$),
  ('policy: span beyond window',      $$INSERT INTO bounce_suppress.policies (project, soft_bounce_span, soft_bounce_window) VALUES ('bad_input', '40 days', '30 days')$$),
  ('policy: zero ttl',                $$INSERT INTO bounce_suppress.policies (project, soft_suppression_ttl) VALUES ('bad_input', '0')$$),
  ('policy: empty project',           $$INSERT INTO bounce_suppress.policies (project) VALUES ('')$$),
  ('policy: default row, bad update', $$UPDATE bounce_suppress.policies SET soft_bounce_limit = -3 WHERE project = 'default'$$),
  -- plain INSERTs into the tables
  ('events: address not normalized',  $$INSERT INTO bounce_suppress.events (project, kind, address, bounce_type) VALUES ('bad_input', 'bounce', 'Jane@Example.com', 'permanent')$$),
  ('events: complaint with a type',   $$INSERT INTO bounce_suppress.events (project, kind, address, bounce_type) VALUES ('bad_input', 'complaint', 'a@example.com', 'permanent')$$),
  ('events: NULL kind',               $$INSERT INTO bounce_suppress.events (project, kind, address) VALUES ('bad_input', NULL, 'a@example.com')$$),
  ('events: future occurred_at',      $$INSERT INTO bounce_suppress.events (project, kind, address, occurred_at) VALUES ('bad_input', 'delivery', 'a@example.com', now() + interval '3 days')$$),
  ('events: one bad row of three',    $$INSERT INTO bounce_suppress.events (project, kind, address, bounce_type) VALUES ('bad_input', 'bounce', 'ok1@example.com', 'permanent'), ('bad_input', 'bounce', 'ok2@example.com', 'permanent'), ('bad_input', 'bounce', 'BAD@example.com', 'permanent')$$),
  ('suppressions: not normalized',    $$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('bad_input', '<a@example.com>')$$),
  ('suppressions: unknown reason',    $$INSERT INTO bounce_suppress.suppressions (project, address, reason) VALUES ('bad_input', 'a@example.com', 'spam')$$),
  ('suppressions: empty project',     $$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('', 'a@example.com')$$),
  -- ingest_webhook: a call wrong as a whole fails; a bad event in a batch
  -- is set aside in webhook_rejects (with a WARNING) and the rest is kept
  ('webhook: unknown provider',       $$SELECT count(*) FROM bounce_suppress.ingest_webhook('nope', '{}', 'bad_input')$$),
  ('webhook: NULL provider',          $$SELECT count(*) FROM bounce_suppress.ingest_webhook(NULL, '{}', 'bad_input')$$),
  ('webhook: empty provider',         $$SELECT count(*) FROM bounce_suppress.ingest_webhook('', '{}', 'bad_input')$$),
  ('webhook: NULL payload',           $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', NULL, 'bad_input')$$),
  ('webhook: payload a number',       $$SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', '42', 'bad_input')$$),
  ('webhook: payload a string',       $$SELECT count(*) FROM bounce_suppress.ingest_webhook('mailgun', '"bounce"', 'bad_input')$$),
  ('webhook: payload JSON null',      $$SELECT count(*) FROM bounce_suppress.ingest_webhook('postmark', 'null', 'bad_input')$$),
  ('webhook: not JSON at all',        $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[{"event": "bounce"', 'bad_input')$$),
  ('webhook: NULL project',           $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[]', NULL)$$),
  ('webhook: empty array',            $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[]', 'bad_input')$$),
  ('webhook: email is a number',      $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[{"event": "bounce", "email": 42, "sg_event_id": "bad-1"}]', 'bad_input')$$),
  ('webhook: no recipient',           $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[{"event": "bounce", "sg_event_id": "bad-2"}]', 'bad_input')$$),
  ('webhook: array of numbers',       $$SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid', '[1, 2]', 'bad_input')$$),
  -- where the API answers NULL instead of failing
  ('normalize_address: 1 MB',         $$SELECT bounce_suppress.normalize_address(repeat('z', 1048576))$$),
  ('is_suppressed: 1 MB',             $$SELECT bounce_suppress.is_suppressed(repeat('z', 1048576) || '@example.com', 'bad_input')$$),
  ('is_suppressed: not an address',   $$SELECT bounce_suppress.is_suppressed('nobody', 'bad_input')$$),
  ('classify_smtp: 1 MB of junk',     $$SELECT bounce_suppress.classify_smtp(repeat('5', 1048576))$$),
  ('classify_smtp: empty',            $$SELECT bounce_suppress.classify_smtp('')$$);

CREATE TEMP TABLE results AS SELECT n, what, pg_temp.try(stmt) AS result FROM cases;
SELECT n, what, result FROM results ORDER BY n;

-- the bad webhook events were set aside, once each
SELECT provider, sqlstate, left(error, 60) AS error FROM bounce_suppress.webhook_rejects
 WHERE project = 'bad_input' ORDER BY provider, error;

-- nothing of the failed calls was kept, and no setting leaked
SELECT (SELECT counts FROM before) = pg_temp.counts() AS nothing_kept;
SELECT (SELECT count(*) FROM bounce_suppress.events WHERE project = 'bad_input') AS events,
       (SELECT string_agg(address || ':' || reason, ' ') FROM bounce_suppress.suppressions
         WHERE project = 'bad_input') AS suppressions,
       (SELECT string_agg(address || ':' || action, ' ') FROM bounce_suppress.suppression_log
         WHERE project = 'bad_input') AS log,
       (SELECT count(*) FROM bounce_suppress.policies WHERE project = 'bad_input') AS policies,
       (SELECT count(*) FROM bounce_suppress.sent_counts WHERE project = 'bad_input') AS sent_counts;
SELECT coalesce(current_setting('bounce_suppress.change_note', true), '') AS change_note;
SELECT soft_bounce_limit FROM bounce_suppress.policies WHERE project = 'default';
SELECT count(*) AS cases, count(*) FILTER (WHERE result NOT LIKE 'ok:%') AS errors,
       count(DISTINCT left(result, 5)) FILTER (WHERE result NOT LIKE 'ok:%') AS sqlstates
  FROM results;

-- clean up
DELETE FROM bounce_suppress.suppressions WHERE project = 'bad_input';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'bad_input';
DELETE FROM bounce_suppress.events WHERE project = 'bad_input';
DELETE FROM bounce_suppress.webhook_rejects WHERE project = 'bad_input';
