-- block_suppressed(): the guard trigger for users' send-queue tables.
\set VERBOSITY terse

SELECT bounce_suppress.ingest_bounce('gone@example.com', 'permanent') > 0;
SELECT bounce_suppress.ingest_bounce('gone@example.com', 'permanent', project => 'shop') > 0;
SELECT bounce_suppress.ingest_bounce('only-news@example.com', 'permanent', project => 'news') > 0;

-- skip mode drops rows for suppressed, NULL and invalid addresses
CREATE TABLE outbox (id serial PRIMARY KEY, email text, subject text);
CREATE TRIGGER outbox_guard BEFORE INSERT OR UPDATE ON outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'skip');
INSERT INTO outbox (email, subject) VALUES
  ('ok@example.com', 'hello'), ('GONE@example.com', 'hello'), (NULL, 'hello'),
  ('junk', 'hello'), ('only-news@example.com', 'hello');
SELECT email FROM outbox ORDER BY id;
-- an UPDATE to a suppressed address is skipped too (the row keeps its old value)
UPDATE outbox SET email = 'gone@example.com' WHERE email = 'ok@example.com';
SELECT email FROM outbox ORDER BY id;

-- error mode refuses them, naming the value; a project as third argument
CREATE TABLE news_outbox (id serial PRIMARY KEY, email text);
CREATE TRIGGER news_guard BEFORE INSERT OR UPDATE ON news_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'error', 'news');
SELECT s AS statement, public.try(s) AS result
  FROM (VALUES
    ($$INSERT INTO news_outbox (email) VALUES ('gone@example.com')$$),
    ($$INSERT INTO news_outbox (email) VALUES ('only-news@example.com')$$),
    ($$INSERT INTO news_outbox (email) VALUES (NULL)$$),
    ($$INSERT INTO news_outbox (email) VALUES ('junk')$$)
  ) AS t(s);
SELECT email FROM news_outbox ORDER BY id;

-- other column types work (the value's text form is checked)
CREATE TABLE varchar_outbox (email varchar(320));
CREATE TRIGGER guard BEFORE INSERT ON varchar_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'skip');
INSERT INTO varchar_outbox VALUES ('gone@example.com'), ('fine@example.com');
SELECT * FROM varchar_outbox;

-- misconfigured triggers say what is wrong
CREATE TABLE bad_outbox (email text);
CREATE TRIGGER g1 BEFORE INSERT ON bad_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('mail', 'skip');
SELECT public.try($$INSERT INTO bad_outbox VALUES ('a@example.com')$$);
DROP TRIGGER g1 ON bad_outbox;
CREATE TRIGGER g2 BEFORE INSERT ON bad_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'drop');
SELECT public.try($$INSERT INTO bad_outbox VALUES ('a@example.com')$$);
DROP TRIGGER g2 ON bad_outbox;
CREATE TRIGGER g3 BEFORE INSERT ON bad_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email');
SELECT public.try($$INSERT INTO bad_outbox VALUES ('a@example.com')$$);
DROP TRIGGER g3 ON bad_outbox;
CREATE TRIGGER g4 AFTER INSERT ON bad_outbox
  FOR EACH ROW EXECUTE FUNCTION bounce_suppress.block_suppressed('email', 'skip');
SELECT public.try($$INSERT INTO bad_outbox VALUES ('a@example.com')$$);
DROP TRIGGER g4 ON bad_outbox;
SELECT count(*) AS bad_outbox_rows FROM bad_outbox;

DROP TABLE outbox, news_outbox, varchar_outbox, bad_outbox;
DELETE FROM bounce_suppress.suppressions WHERE address IN ('gone@example.com', 'only-news@example.com');
DELETE FROM bounce_suppress.suppression_log WHERE address IN ('gone@example.com', 'only-news@example.com');
DELETE FROM bounce_suppress.events WHERE address IN ('gone@example.com', 'only-news@example.com');
