-- The privilege model, tested with non-superuser roles.
--
-- Three levels (90_privileges.sql gives PUBLIC the first; the others are
-- granted by the database owner with the recipe below, which the README
-- documents):
--
--   PUBLIC   look only: USAGE on the schema, SELECT on suppressions,
--            active_suppressions and policies, EXECUTE on is_suppressed,
--            normalize_address, classify_smtp, parse_smtp_reply,
--            parse_report; block_suppressed on its own tables.
--   ingest   records events; the rules (SECURITY DEFINER triggers) then
--            write suppressions and the log for it:
--              CREATE ROLE bounce_ingest NOLOGIN;
--              GRANT EXECUTE ON FUNCTION bounce_suppress.ingest_event,
--                bounce_suppress.ingest_bounce, bounce_suppress.ingest_complaint,
--                bounce_suppress.ingest_delivery, bounce_suppress.ingest_webhook,
--                bounce_suppress._webhook_reject,
--                bounce_suppress.ingest_report(text, text),
--                bounce_suppress.ingest_report(bytea, text) TO bounce_ingest;
--              GRANT SELECT, INSERT ON bounce_suppress.events,
--                bounce_suppress.webhook_rejects TO bounce_ingest;
--              GRANT USAGE ON SEQUENCE bounce_suppress.events_id_seq,
--                bounce_suppress.webhook_rejects_id_seq TO bounce_ingest;
--            (the parsers the ingest functions use, parse_report and the
--            _webhook_* normalizers, touch no table and are PUBLIC's)
--   admin    everything ingest may, plus managing suppressions, policies
--            and the send counter, and reading the log:
--              CREATE ROLE bounce_admin NOLOGIN IN ROLE bounce_ingest;
--              GRANT EXECUTE ON FUNCTION
--                bounce_suppress.suppress(text, text, timestamptz, text),
--                bounce_suppress.unsuppress(text, text, boolean, text),
--                bounce_suppress.expire_suppressions(),
--                bounce_suppress.record_sent(bigint, text, date),
--                bounce_suppress.health(text, timestamptz)
--                TO bounce_admin;
--              GRANT SELECT, INSERT, UPDATE, DELETE ON bounce_suppress.suppressions,
--                    bounce_suppress.policies TO bounce_admin;
--              GRANT SELECT, INSERT, UPDATE ON bounce_suppress.sent_counts TO bounce_admin;
--              GRANT SELECT ON bounce_suppress.suppression_log TO bounce_admin;
--
-- Nobody but the owner writes suppression_log or changes events: the log is
-- written by the triggers and records the acting role (current_actor(), the
-- role behind SET ROLE, not the trigger's owner) in actor.
\set VERBOSITY terse


CREATE ROLE regress_bs_ingest NOLOGIN;
CREATE ROLE regress_bs_admin NOLOGIN IN ROLE regress_bs_ingest;
CREATE ROLE regress_bs_reader NOLOGIN;

-- the recipe above, with the test's role names
GRANT EXECUTE ON FUNCTION bounce_suppress.ingest_event,
  bounce_suppress.ingest_bounce, bounce_suppress.ingest_complaint,
  bounce_suppress.ingest_delivery, bounce_suppress.ingest_webhook,
  bounce_suppress._webhook_reject,
  bounce_suppress.ingest_report(text, text),
  bounce_suppress.ingest_report(bytea, text) TO regress_bs_ingest;
GRANT SELECT, INSERT ON bounce_suppress.events,
  bounce_suppress.webhook_rejects TO regress_bs_ingest;
GRANT USAGE ON SEQUENCE bounce_suppress.events_id_seq,
  bounce_suppress.webhook_rejects_id_seq TO regress_bs_ingest;

GRANT EXECUTE ON FUNCTION
  bounce_suppress.suppress(text, text, timestamptz, text),
  bounce_suppress.unsuppress(text, text, boolean, text),
  bounce_suppress.expire_suppressions(),
  bounce_suppress.record_sent(bigint, text, date),
  bounce_suppress.health(text, timestamptz)
  TO regress_bs_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON bounce_suppress.suppressions, bounce_suppress.policies TO regress_bs_admin;
GRANT SELECT, INSERT, UPDATE ON bounce_suppress.sent_counts TO regress_bs_admin;
GRANT SELECT ON bounce_suppress.suppression_log TO regress_bs_admin;

-- 1. the ingest role records events, and the rules apply for it
SET ROLE regress_bs_ingest;
SELECT current_user;
SELECT bounce_suppress.ingest_bounce('hard@example.com', 'permanent', '550 5.1.1 user unknown', project => 'privileges') > 0 AS hard,
       bounce_suppress.ingest_complaint('angry@example.com', project => 'privileges') > 0 AS complaint,
       bounce_suppress.ingest_delivery('fine@example.com', project => 'privileges') > 0 AS delivery;
INSERT INTO bounce_suppress.events (project, kind, address, bounce_type)
VALUES ('privileges', 'bounce', 'copied@example.com', 'permanent');
SELECT count(*) AS report_events FROM bounce_suppress.ingest_report(
'From: MAILER-DAEMON@mx.example.net
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Message-ID: <priv-report-1@mx.example.net>
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; reported@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
--b--
', 'privileges');
-- a webhook batch: one good bounce, one event set aside
SELECT count(*) AS webhook_events FROM bounce_suppress.ingest_webhook('sendgrid',
  '[{"event": "bounce", "email": "hooked@example.com", "type": "bounce", "sg_event_id": "p1",
     "reason": "550 5.1.1 user unknown"},
    {"event": "bounce", "email": "nobody", "sg_event_id": "p2"}]', 'privileges');
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'privileges' ORDER BY address;
SELECT bounce_suppress.is_suppressed('hard@example.com', 'privileges') AS hard_suppressed;

-- ... but cannot remove, change or forge anything
SELECT what, public.try_value(stmt) AS result
  FROM (VALUES
    (1, 'unsuppress',            $$SELECT bounce_suppress.unsuppress('hard@example.com', 'sneaky', project => 'privileges')$$),
    (2, 'suppress',              $$SELECT bounce_suppress.suppress('x@example.com', project => 'privileges')$$),
    (3, 'expire_suppressions',   $$SELECT bounce_suppress.expire_suppressions()$$),
    (4, 'record_sent',           $$SELECT bounce_suppress.record_sent(10, 'privileges')$$),
    (5, 'DELETE suppressions',   $$DELETE FROM bounce_suppress.suppressions WHERE project = 'privileges'$$),
    (6, 'UPDATE suppressions',   $$UPDATE bounce_suppress.suppressions SET expires_at = now() WHERE project = 'privileges'$$),
    (7, 'INSERT suppressions',   $$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('privileges', 'x@example.com')$$),
    (8, 'UPDATE policies',       $$UPDATE bounce_suppress.policies SET soft_bounce_limit = 0$$),
    (9, 'INSERT policies',       $$INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('privileges', 0)$$),
    (10, 'INSERT log',           $$INSERT INTO bounce_suppress.suppression_log (project, address, action, actor) VALUES ('privileges', 'x@example.com', 'removed', 'someone')$$),
    (11, 'DELETE log',           $$DELETE FROM bounce_suppress.suppression_log$$),
    (12, 'UPDATE events',        $$UPDATE bounce_suppress.events SET bounce_type = 'transient' WHERE project = 'privileges'$$),
    (13, 'DELETE events',        $$DELETE FROM bounce_suppress.events WHERE project = 'privileges'$$),
    (14, 'TRUNCATE suppressions', $$TRUNCATE bounce_suppress.suppressions$$),
    (15, 'call a trigger function', $$SELECT bounce_suppress.events_apply_rules()$$)
  ) AS t(n, what, stmt)
 ORDER BY n;
RESET ROLE;

-- the log names the ingest role, not the owner of the SECURITY DEFINER trigger
SELECT address, action, reason, actor FROM bounce_suppress.suppression_log
 WHERE project = 'privileges' ORDER BY address, id;

-- 2. the admin role manages suppressions and policies
SET ROLE regress_bs_admin;
SELECT bounce_suppress.unsuppress('hard@example.com', 'mailbox fixed', project => 'privileges') AS unsuppressed,
       bounce_suppress.suppress('manual@example.com', 'asked to stop', project => 'privileges') AS suppressed,
       bounce_suppress.unsuppress('angry@example.com', 'forced', true, 'privileges') AS forced;
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('privileges', 3);
SELECT bounce_suppress.record_sent(100, 'privileges', '2026-01-01');
SELECT bounce_suppress.expire_suppressions() >= 0 AS expired;
SELECT sent, hard_bounces, complaints FROM bounce_suppress.health('privileges', '2026-01-01');
-- it may ingest too (member of the ingest role); a new hard bounce suppresses again
SELECT bounce_suppress.ingest_bounce('hard@example.com', 'permanent', project => 'privileges') > 0 AS again;
SELECT address, action, reason, actor, note FROM bounce_suppress.suppression_log
 WHERE project = 'privileges' ORDER BY address, id;
RESET ROLE;

-- 3. PUBLIC (a role with no grants): checks and reads, nothing else
SET ROLE regress_bs_reader;
SELECT bounce_suppress.is_suppressed('hard@example.com', 'privileges') AS hard,
       bounce_suppress.is_suppressed('fine@example.com', 'privileges') AS fine,
       bounce_suppress.normalize_address('Jane <Jane@Example.com>') AS normalized,
       bounce_suppress.classify_smtp('550 5.1.1 user unknown') AS classified;
SELECT count(*) AS active FROM bounce_suppress.active_suppressions WHERE project = 'privileges';
SELECT what, public.try_value(stmt) AS result
  FROM (VALUES
    (1, 'ingest_bounce',     $$SELECT bounce_suppress.ingest_bounce('x@example.com', 'permanent', project => 'privileges')$$),
    (2, 'ingest_complaint',  $$SELECT bounce_suppress.ingest_complaint('x@example.com', project => 'privileges')$$),
    (3, 'ingest_report',     $$SELECT count(*) FROM bounce_suppress.ingest_report('x', 'privileges')$$),
    (3, 'ingest_webhook',    $$SELECT count(*) FROM bounce_suppress.ingest_webhook('ses', '{}', 'privileges')$$),
    (4, 'INSERT events',     $$INSERT INTO bounce_suppress.events (project, kind, address) VALUES ('privileges', 'delivery', 'x@example.com')$$),
    (5, 'SELECT events',     $$SELECT count(*) FROM bounce_suppress.events$$),
    (6, 'SELECT log',        $$SELECT count(*) FROM bounce_suppress.suppression_log$$),
    (7, 'suppress',          $$SELECT bounce_suppress.suppress('x@example.com', project => 'privileges')$$),
    (8, 'unsuppress',        $$SELECT bounce_suppress.unsuppress('hard@example.com', 'x', project => 'privileges')$$),
    (9, 'health',            $$SELECT count(*) FROM bounce_suppress.health('privileges')$$),
    (10, 'DELETE suppressions', $$DELETE FROM bounce_suppress.suppressions$$)
  ) AS t(n, what, stmt)
 ORDER BY n;
RESET ROLE;

-- clean up
DELETE FROM bounce_suppress.suppressions WHERE project = 'privileges';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'privileges';
DELETE FROM bounce_suppress.events WHERE project = 'privileges';
DELETE FROM bounce_suppress.policies WHERE project = 'privileges';
DELETE FROM bounce_suppress.sent_counts WHERE project = 'privileges';
DELETE FROM bounce_suppress.webhook_rejects WHERE project = 'privileges';
DROP OWNED BY regress_bs_ingest, regress_bs_admin, regress_bs_reader;
DROP ROLE regress_bs_admin, regress_bs_ingest, regress_bs_reader;
