-- health(): counts, rates and status.
\set VERBOSITY terse

-- no sends recorded: rates NULL, status no_data
SELECT * FROM bounce_suppress.health('health');

SELECT bounce_suppress.record_sent(1000, 'health');
SELECT bounce_suppress.record_sent(200, 'health', current_date - 1);
SELECT bounce_suppress.record_sent(5000, 'health', current_date - 100);  -- before `since`
SELECT project, day - current_date AS days_ago, sent FROM bounce_suppress.sent_counts
 WHERE project = 'health' ORDER BY day;

-- 10 hard bounces, 2 provider suppressions (not sent, not counted as hard),
-- 3 soft, 1 undetermined, 2 sender blocks (one of each type), 1 complaint
SELECT count(bounce_suppress.ingest_bounce('h' || g || '@example.com', 'permanent', project => 'health'))
  FROM generate_series(1, 10) g;
SELECT count(bounce_suppress.ingest_event('bounce', 'p' || g || '@example.com', 'permanent',
                                          reason => 'suppressed', project => 'health'))
  FROM generate_series(1, 2) g;
SELECT count(bounce_suppress.ingest_bounce('s' || g || '@example.com', 'transient', '452 4.2.2 mailbox full', project => 'health'))
  FROM generate_series(1, 3) g;
SELECT bounce_suppress.ingest_bounce('u@example.com', 'undetermined', project => 'health') > 0;
SELECT bounce_suppress.ingest_bounce('b1@example.com', 'permanent',
         '550 5.7.1 Message rejected: IP listed on Spamhaus blocklist', project => 'health') > 0;
SELECT bounce_suppress.ingest_bounce('b2@example.com', 'transient',
         '421 4.7.28 Our system has detected an unusual rate of unsolicited mail', project => 'health') > 0;
SELECT bounce_suppress.ingest_complaint('c@example.com', project => 'health') > 0;
-- an old event before `since` is not counted
SELECT bounce_suppress.ingest_bounce('old@example.com', 'permanent', occurred_at => now() - interval '90 days',
                                     project => 'health') > 0;

SELECT * FROM bounce_suppress.health('health');
-- 10 / 1200 = 0.83 % bounces and 1 / 1200 = 0.083 % complaints: ok;
-- a second complaint makes 0.17 %, above 0.1 %: warning
SELECT bounce_suppress.ingest_complaint('c2@example.com', project => 'health') > 0;
SELECT complaints, complaint_rate, status FROM bounce_suppress.health('health');
-- a longer look back takes in the older sends and the old bounce
SELECT sent, hard_bounces, bounce_rate, status
  FROM bounce_suppress.health('health', now() - interval '365 days');
-- thresholds: over 2 % bounces warns, over 5 % is critical
SELECT bounce_suppress.record_sent(100, 'health2');
SELECT count(bounce_suppress.ingest_bounce('w' || g || '@example.com', 'permanent', project => 'health2'))
  FROM generate_series(1, 3) g;
SELECT bounce_rate, complaint_rate, status FROM bounce_suppress.health('health2');
SELECT count(bounce_suppress.ingest_bounce('x' || g || '@example.com', 'permanent', project => 'health2'))
  FROM generate_series(1, 3) g;
SELECT bounce_rate, status FROM bounce_suppress.health('health2');

-- errors
SELECT s AS statement, public.try(s) AS result
  FROM (VALUES
    ($$SELECT bounce_suppress.record_sent(-1, 'health')$$),
    ($$SELECT bounce_suppress.record_sent(NULL, 'health')$$),
    ($$SELECT bounce_suppress.record_sent(1, NULL)$$),
    ($$SELECT bounce_suppress.record_sent(1, '')$$),
    ($$SELECT bounce_suppress.record_sent(1, 'health', NULL)$$),
    ($$SELECT bounce_suppress.record_sent(9223372036854775807, 'health')$$),
    ($$SELECT * FROM bounce_suppress.health(NULL)$$),
    ($$SELECT * FROM bounce_suppress.health('health', NULL)$$)
  ) AS t(s);
SELECT sum(sent) AS unchanged FROM bounce_suppress.sent_counts WHERE project = 'health';

DELETE FROM bounce_suppress.sent_counts WHERE project IN ('health', 'health2');
DELETE FROM bounce_suppress.suppressions WHERE project IN ('health', 'health2');
DELETE FROM bounce_suppress.suppression_log WHERE project IN ('health', 'health2');
DELETE FROM bounce_suppress.events WHERE project IN ('health', 'health2');
