-- test/bench/queue.sql: the send queue and the suppressions it is filtered
-- against (psql variables n_queue, n_supp, n_supp_extra, with_plain).
-- Addresses are u<j>@...; the suppressions are j = 1..n_supp, plus
-- n_supp_extra addresses that no queue row has (j > 5 * n_queue); the queue
-- is j spread over 1..5 * n_queue in an order unrelated to the index, so
-- about n_supp / (5 * n_queue) of it is suppressed however large the extra.
CREATE TABLE bench.queue (id bigint PRIMARY KEY, email text NOT NULL, body text);
INSERT INTO bench.queue
SELECT i, 'u' || j || '@d' || (j % 997) || '.example.com', 'message ' || i
  FROM (SELECT i, 1 + (i * 2654435761) % (5 * :n_queue) AS j
          FROM generate_series(1, :n_queue) i) g;

SET session_replication_role = replica;  -- a bulk load: no log rows
INSERT INTO bounce_suppress.suppressions (project, address, reason, created_at)
SELECT 'default', 'u' || j || '@d' || (j % 997) || '.example.com', 'hard_bounce', now() - interval '1 day'
  FROM (SELECT generate_series(1, :n_supp) AS j
        UNION ALL
        SELECT 5 * :n_queue + generate_series(1, :n_supp_extra)) g
 ORDER BY random();  -- heap order unrelated to the key
RESET session_replication_role;

\if :with_plain
-- The same rows in a plain table with the same key.
CREATE TABLE bench.plain_supp AS SELECT * FROM bounce_suppress.suppressions;
ALTER TABLE bench.plain_supp ADD PRIMARY KEY (project, address);

-- Send-queue tables for the guard trigger, with and without it.
CREATE TABLE bench.outbox_guarded (id bigint PRIMARY KEY, email text NOT NULL, body text);
CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON bench.outbox_guarded
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'skip');
CREATE TABLE bench.outbox_plain (id bigint PRIMARY KEY, email text NOT NULL, body text);

\endif
