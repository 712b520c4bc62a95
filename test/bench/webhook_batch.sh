#!/bin/bash
# test/bench/webhook_batch.sh: events/s of ingest_webhook for one SendGrid
# batch of N events (default 1000) in a single call, first delivery and
# redelivery.  Needs a database with the extension (PG* environment
# variables as for psql); uses and then deletes project 'wh_bench'.
#   bash test/bench/webhook_batch.sh [N] [ROUNDS]
set -euo pipefail
N=${1:-1000}
ROUNDS=${2:-5}
psql -X -q -v ON_ERROR_STOP=1 -v n="$N" -v rounds="$ROUNDS" <<'SQL'
\set QUIET on
SET client_min_messages = warning;
CREATE TEMP TABLE bench(round int, phase text, ms numeric);
SELECT set_config('bench.n', :'n', false), set_config('bench.rounds', :'rounds', false) \gset
DO $$
DECLARE
  n int := current_setting('bench.n')::int;
  rounds int := current_setting('bench.rounds')::int;
  payload jsonb;
  t0 timestamptz;
  k int;
  got bigint;
BEGIN
  FOR rnd IN 1 .. rounds LOOP
    -- a realistic mix: 40 % hard bounces, 20 % blocks, 10 % complaints,
    -- 20 % deliveries, 10 % skipped (deferred, open)
    SELECT jsonb_agg(jsonb_build_object(
             'email', format('user%s.%s@bench%s.example.com', rnd, i, i % 97),
             'timestamp', 1741083322 + i,
             'smtp-id', format('<%s.%s@mailer.example.net>', rnd, i),
             'event', CASE WHEN i % 10 < 4 THEN 'bounce' WHEN i % 10 < 6 THEN 'bounce'
                           WHEN i % 10 = 6 THEN 'spamreport' WHEN i % 10 < 9 THEN 'delivered'
                           ELSE CASE WHEN i % 20 = 9 THEN 'deferred' ELSE 'open' END END,
             'type', CASE WHEN i % 10 BETWEEN 4 AND 5 THEN 'blocked' ELSE 'bounce' END,
             'sg_event_id', format('bench-%s-%s', rnd, i),
             'sg_message_id', format('msg-%s-%s.filterdrecv', rnd, i),
             'reason', CASE WHEN i % 10 < 4 THEN '550 5.1.1 The email account that you tried to reach does not exist'
                            ELSE '554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org' END,
             'status', CASE WHEN i % 10 < 4 THEN '5.1.1' ELSE '5.7.1' END,
             'response', '250 2.0.0 OK'))
      INTO payload FROM generate_series(1, n) i;
    t0 := clock_timestamp();
    SELECT count(*) INTO got FROM bounce_suppress.ingest_webhook('sendgrid', payload, 'wh_bench');
    INSERT INTO bench VALUES (rnd, 'first', extract(epoch FROM clock_timestamp() - t0) * 1000);
    t0 := clock_timestamp();
    SELECT count(*) INTO got FROM bounce_suppress.ingest_webhook('sendgrid', payload, 'wh_bench');
    INSERT INTO bench VALUES (rnd, 'redelivery', extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END
$$;
SELECT phase, :n AS events, round(min(ms), 1) AS best_ms, round(avg(ms), 1) AS avg_ms,
       round(:n / (min(ms) / 1000)) AS best_events_per_s,
       round(:n / (avg(ms) / 1000)) AS avg_events_per_s
  FROM bench GROUP BY phase ORDER BY phase;
DELETE FROM bounce_suppress.suppressions WHERE project = 'wh_bench';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'wh_bench';
DELETE FROM bounce_suppress.events WHERE project = 'wh_bench';
SQL
