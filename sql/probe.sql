-- is_suppressed, active_suppressions and the send-queue patterns.
\set VERBOSITY terse

SELECT bounce_suppress.ingest_bounce('gone@example.com', 'permanent', project => 'probe') > 0;
SELECT bounce_suppress.ingest_complaint('angry@example.com', project => 'probe') > 0;
SELECT bounce_suppress.suppress('paused@example.com', 'paused', now() + interval '1 hour', 'probe');
INSERT INTO bounce_suppress.suppressions (project, address, reason, expires_at, created_at)
VALUES ('probe', 'lapsed@example.com', 'manual', now() - interval '1 hour', now());

CREATE TEMP TABLE send_queue (id int PRIMARY KEY, email text);
INSERT INTO send_queue VALUES
  (1, 'ok@example.com'), (2, 'Gone@Example.com'), (3, '"Angry" <angry@example.com>'),
  (4, 'paused@example.com'), (5, 'lapsed@example.com'), (6, 'not-an-address'), (7, NULL);

-- per message, through each probe path: the same answers
SET bounce_suppress.probe = auto;
SELECT id, email, bounce_suppress.is_suppressed(email, 'probe') AS auto FROM send_queue ORDER BY id;
SET bounce_suppress.probe = index;
SELECT id, bounce_suppress.is_suppressed(email, 'probe') AS index FROM send_queue ORDER BY id;
SET bounce_suppress.probe = spi;
SELECT id, bounce_suppress.is_suppressed(email, 'probe') AS spi FROM send_queue ORDER BY id;
RESET bounce_suppress.probe;
SET bounce_suppress.probe = sometimes;
SHOW bounce_suppress.probe;
SET bounce_suppress.no_such_setting = 1;

-- the queue filtered per message: non-addresses are held back too
SELECT id FROM send_queue WHERE NOT bounce_suppress.is_suppressed(email, 'probe') ORDER BY id;
-- the queue filtered by a join on normalized addresses
SELECT q.id
  FROM send_queue q
 WHERE NOT EXISTS (SELECT 1 FROM bounce_suppress.active_suppressions s
                    WHERE s.project = 'probe'
                      AND s.address = bounce_suppress.normalize_address(q.email))
 ORDER BY q.id;

-- the default project, and a project with nothing suppressed
SELECT bounce_suppress.is_suppressed('gone@example.com') AS default_project,
       bounce_suppress.is_suppressed('gone@example.com', 'elsewhere') AS other_project,
       bounce_suppress.is_suppressed(NULL) IS NULL AS null_in,
       bounce_suppress.is_suppressed('gone@example.com', NULL) IS NULL AS null_project;

-- the probe sees the transaction's own changes and its snapshot
BEGIN;
SELECT bounce_suppress.suppress('fresh@example.com', project => 'probe');
SELECT bounce_suppress.is_suppressed('fresh@example.com', 'probe') AS inside;
ROLLBACK;
SELECT bounce_suppress.is_suppressed('fresh@example.com', 'probe') AS after_rollback;

-- a plan change underneath (index rebuilt) is picked up
REINDEX TABLE bounce_suppress.suppressions;
SELECT bounce_suppress.is_suppressed('gone@example.com', 'probe') AS after_reindex;

-- the view's filter folds into a plain hash anti-join
EXPLAIN (COSTS OFF)
SELECT q.id FROM send_queue q
 WHERE NOT EXISTS (SELECT 1 FROM bounce_suppress.active_suppressions s
                    WHERE s.project = 'probe' AND s.address = q.email);

DROP TABLE send_queue;
DELETE FROM bounce_suppress.suppressions WHERE project = 'probe';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'probe';
DELETE FROM bounce_suppress.events WHERE project = 'probe';

-- the per-backend caches (the probe's, and the rules trigger's plans) follow
-- DROP and CREATE EXTENSION in the same session
SELECT bounce_suppress.suppress('cached@example.com', project => 'probe');
SELECT bounce_suppress.ingest_bounce('hard@example.com', 'permanent', project => 'probe') > 0 AS hard,
       bounce_suppress.ingest_bounce('soft@example.com', 'transient', project => 'probe') > 0 AS soft;
SELECT bounce_suppress.is_suppressed('cached@example.com', 'probe') AS before_drop;
DROP EXTENSION bounce_suppress;
CREATE EXTENSION bounce_suppress;
SELECT bounce_suppress.is_suppressed('cached@example.com', 'probe') AS after_recreate;
SELECT bounce_suppress.suppress('cached@example.com', project => 'probe');
SELECT bounce_suppress.is_suppressed('cached@example.com', 'probe') AS suppressed_again;
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit, soft_bounce_span)
VALUES ('probe', 1, '0');
SELECT bounce_suppress.ingest_bounce('hard2@example.com', 'permanent', project => 'probe') > 0 AS hard,
       bounce_suppress.ingest_bounce('soft2@example.com', 'transient', project => 'probe') > 0 AS soft;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'probe' ORDER BY address;
DELETE FROM bounce_suppress.policies WHERE project = 'probe';
DELETE FROM bounce_suppress.suppressions WHERE project = 'probe';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'probe';
