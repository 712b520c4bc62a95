-- test/bench/ingest.sql: the bulk-ingest source rows (psql variable n_events).
\set ON_ERROR_STOP 1
-- Bulk ingest source: 33 % hard bounces, 33 % soft bounces, 10 %
-- complaints, 24 % deliveries, over an address pool of n_events/5 (so soft
-- bounces repeat and some addresses reach the soft limit), occurred_at
-- spread over 30 days.  reason, reply_code and enhanced_status are left for
-- the events trigger to fill from the diagnostic.
CREATE UNLOGGED TABLE bench.src_events AS
SELECT 'default'::text AS project,
       CASE WHEN r < 66 THEN 'bounce' WHEN r < 76 THEN 'complaint' ELSE 'delivery' END::bounce_suppress.event_kind AS kind,
       'user' || a || '@d' || (a % 997) || '.example.com' AS address,
       CASE WHEN r < 33 THEN 'permanent' WHEN r < 66 THEN 'transient' END::bounce_suppress.bounce_type AS bounce_type,
       CASE WHEN r < 33 THEN (SELECT d.diag FROM bench.diags d WHERE d.id = 1 + i % 10)
            WHEN r < 66 THEN (SELECT d.diag FROM bench.diags d WHERE d.id = 11 + i % 10) END AS diagnostic,
       '<m' || i || '@mailer.example>' AS message_id,
       'ses'::text AS provider,
       'ev-' || i AS provider_event_id,
       CASE WHEN r >= 66 AND r < 76 THEN 'abuse' END AS feedback_type,
       timestamptz '2024-01-01' + (i % 2592000) * interval '1 second' + (now() - timestamptz '2024-01-31') AS occurred_at
  FROM (SELECT i, (i * 37) % 100 AS r, (i::bigint * 7919) % greatest(:n_events / 5, 1) AS a
          FROM generate_series(1, :n_events) i) g;


-- classify_smtp input: run.sh loads bench.reply_corpus (the replies of
-- ../shared/corpus/smtp_replies.tsv when present, else bench.diags) and
-- repeats it into bench.replies.
CREATE TABLE bench.reply_corpus (diag text);
