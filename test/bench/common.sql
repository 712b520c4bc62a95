-- test/bench/common.sql: what every benchmark database holds (run.sh loads
-- it, then ingest.sql or queue.sql).  Data is deterministic.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS bounce_suppress;
CREATE SCHEMA IF NOT EXISTS bench;
CREATE EXTENSION IF NOT EXISTS pg_prewarm SCHEMA bench;

-- Realistic replies: what providers and MTAs put in a Diagnostic-Code.
CREATE TABLE bench.diags (id int PRIMARY KEY, type bounce_suppress.bounce_type NOT NULL, diag text NOT NULL);
INSERT INTO bench.diags (id, type, diag)
SELECT row_number() OVER (), t.type::bounce_suppress.bounce_type, t.diag
  FROM (VALUES
  ('permanent', '550 5.1.1 <someone@example.com>: Recipient address rejected: User unknown in virtual mailbox table'),
  ('permanent', 'smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient''s email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.12 - gsmtp'),
  ('permanent', '550 5.5.0 Requested action not taken: mailbox unavailable'),
  ('permanent', 'smtp; 550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]'),
  ('permanent', '554 delivery error: dd This user doesn''t have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.bf1.yahoo.com'),
  ('permanent', '550 5.1.2 Host unknown (Name server: example.invalid: host not found)'),
  ('permanent', '553 5.3.0 <someone@example.org>... No such user here'),
  ('permanent', '550 Requested action not taken: mailbox unavailable (user has moved)'),
  ('permanent', '5.1.1'),
  ('permanent', 'smtp; 550 #5.1.0 Address rejected someone@example.net'),
  ('transient', '452 4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp'),
  ('transient', 'smtp; 552 5.2.2 Mailbox full'),
  ('transient', '421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes'),
  ('transient', '451 4.7.1 Greylisting in action, please come back later'),
  ('transient', '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.'),
  ('transient', 'smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'),
  ('transient', '550 5.7.26 This message does not have authentication information or fails to pass authentication checks (SPF or DKIM)'),
  ('transient', '552 5.3.4 Message size exceeds fixed maximum message size'),
  ('transient', '4.4.7 Delivery time expired'),
  ('transient', '421 4.4.2 Connection timed out'),
  ('undetermined', 'Message could not be delivered'),
  ('undetermined', 'smtp; 500 unknown error')) AS t(type, diag);

-- The single-event mix: 45 % permanent, 50 % transient, 5 % undetermined,
-- drawn by a number 1..100 (see the pgbench scripts).
CREATE TABLE bench.mix (k int PRIMARY KEY, diag_id int NOT NULL);
INSERT INTO bench.mix
SELECT k, CASE WHEN k <= 45 THEN 1 + (k % 10)
               WHEN k <= 95 THEN 11 + (k % 10)
               ELSE 21 + (k % 2) END
  FROM generate_series(1, 100) k;

-- The untriggered copy of events: same columns, defaults, keys, indexes and
-- CHECKs (the address CHECK calls normalize_address on both sides, so the
-- ratio is the cost of the triggers alone).
CREATE TABLE bench.plain_events (LIKE bounce_suppress.events INCLUDING ALL);


-- The backend's own memory, from /proc (superuser): VmRSS counts the shared
-- buffers it has touched too, RssAnon only its private memory.
CREATE FUNCTION bench.rss(OUT rss_kb bigint, OUT anon_kb bigint)
LANGUAGE sql AS $$
  SELECT (regexp_match(s, 'VmRSS:\s+(\d+)'))[1]::bigint,
         (regexp_match(s, 'RssAnon:\s+(\d+)'))[1]::bigint
    FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s
$$;
