-- A hostile search_path: a schema placed before pg_catalog that redefines
-- lower(), now(), nextval(), length(), left(), current_setting(),
-- set_config(), hashtext(), pg_advisory_xact_lock(), an = operator on text
-- that is always true, a || that drops its right side, and decoy tables
-- named like the extension's.  Every function of the extension pins its
-- search_path, qualifies its names or is C, so the API must behave exactly
-- as usual.  Checks are made after RESET search_path.
\set VERBOSITY terse

CREATE SCHEMA hostile;
CREATE FUNCTION hostile.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'hacked' $$;
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT timestamptz '2000-01-01 00:00:00+00' $$;
CREATE FUNCTION hostile.nextval(regclass) RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;
CREATE FUNCTION hostile.length(text) RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;
CREATE FUNCTION hostile.left(text, integer) RETURNS text LANGUAGE sql AS $$ SELECT 'hacked' $$;
CREATE FUNCTION hostile.current_setting(text, boolean) RETURNS text LANGUAGE sql AS $$ SELECT 'hacked' $$;
CREATE FUNCTION hostile.set_config(text, text, boolean) RETURNS text LANGUAGE sql AS $$ SELECT 'hacked' $$;
CREATE FUNCTION hostile.hashtext(text) RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$;
CREATE FUNCTION hostile.pg_advisory_xact_lock(bigint, bigint) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile.pg_advisory_xact_lock(integer, integer) RETURNS void LANGUAGE sql AS $$ SELECT $$;
CREATE FUNCTION hostile.always_true(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.always_true);
CREATE FUNCTION hostile.keep_left(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
CREATE OPERATOR hostile.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.keep_left);
CREATE TABLE hostile.suppressions (project text, address text, reason text, expires_at timestamptz);
INSERT INTO hostile.suppressions VALUES ('search_path', 'decoy@example.com', 'manual', NULL);
CREATE TABLE hostile.events (LIKE bounce_suppress.events);
CREATE TABLE hostile.suppression_log (LIKE bounce_suppress.suppression_log);
CREATE TABLE hostile.policies (LIKE bounce_suppress.policies);
INSERT INTO hostile.policies (project, soft_bounce_limit, soft_bounce_span, soft_bounce_window)
VALUES ('search_path', 1, '0', '1 day');

SET search_path = hostile, pg_catalog, public;
-- the hostile definitions are really in effect for plain SQL
SELECT lower('ABC') AS lower, now() AS now, 'a' = 'b' AS a_equals_b, 'a' || 'b' AS a_concat_b;

CREATE TEMP TABLE answers (n int, what text, answer text);
INSERT INTO answers VALUES
  (1, 'ingest_bounce hard',   bounce_suppress.ingest_bounce('Hard@Example.com', NULL, '550 5.1.1 user unknown', project => 'search_path') > 0),
  (2, 'ingest_bounce soft',   bounce_suppress.ingest_bounce('soft@example.com', 'transient', '452 4.2.2 mailbox full', message_id => 'm1', project => 'search_path') > 0),
  (3, 'ingest_complaint',     bounce_suppress.ingest_complaint('angry@example.com', project => 'search_path') > 0),
  (4, 'ingest_delivery',      bounce_suppress.ingest_delivery('fine@example.com', project => 'search_path') > 0),
  (5, 'redelivery, same id',  bounce_suppress.ingest_bounce('dup@example.com', 'permanent', provider => 'ses', provider_event_id => 'e1', project => 'search_path')
                               = bounce_suppress.ingest_bounce('dup@example.com', 'permanent', provider => 'ses', provider_event_id => 'e1', project => 'search_path'));
INSERT INTO answers VALUES
  (6, 'suppress',             bounce_suppress.suppress('manual@example.com', 'by hand', project => 'search_path')),
  (7, 'suppress again',       bounce_suppress.suppress('manual@example.com', project => 'search_path'));
INSERT INTO answers VALUES
  (8, 'unsuppress',           bounce_suppress.unsuppress('hard@example.com', 'note kept', project => 'search_path')),
  (9, 'unsuppress nothing',   bounce_suppress.unsuppress('fine@example.com', 'none', project => 'search_path'));
INSERT INTO answers VALUES
  (10, 'unsuppress complaint', (SELECT 'refused' FROM pg_catalog.pg_class LIMIT 0));
DO $$
BEGIN
  PERFORM bounce_suppress.unsuppress('angry@example.com', 'no force', project => 'search_path');
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  UPDATE answers SET answer = SQLSTATE WHERE n = 10;  -- 55000
END
$$;
INSERT INTO answers VALUES
  (11, 'is_suppressed angry',  bounce_suppress.is_suppressed('angry@example.com', 'search_path')),
  (12, 'is_suppressed hard',   bounce_suppress.is_suppressed('hard@example.com', 'search_path')),
  (13, 'is_suppressed fine',   bounce_suppress.is_suppressed('fine@example.com', 'search_path')),
  (14, 'is_suppressed decoy',  bounce_suppress.is_suppressed('decoy@example.com', 'search_path')),
  (15, 'normalize_address',    bounce_suppress.normalize_address('Jane <JANE@Example.COM>')),
  (16, 'classify_smtp',        bounce_suppress.classify_smtp('550 5.1.1 user unknown'));
SET bounce_suppress.probe = spi;
INSERT INTO answers VALUES
  (17, 'is_suppressed angry (spi)', bounce_suppress.is_suppressed('angry@example.com', 'search_path')),
  (18, 'is_suppressed fine (spi)',  bounce_suppress.is_suppressed('fine@example.com', 'search_path')),
  (19, 'is_suppressed decoy (spi)', bounce_suppress.is_suppressed('decoy@example.com', 'search_path'));
RESET bounce_suppress.probe;
SELECT bounce_suppress.record_sent(100, 'search_path', '2026-01-01');
INSERT INTO answers
SELECT 20, 'health', h::text FROM bounce_suppress.health('search_path', '2026-01-01') h;
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('search_path', 2);
INSERT INTO answers VALUES
  (21, 'second soft bounce',   bounce_suppress.ingest_bounce('soft@example.com', 'transient', '452 4.2.2 mailbox full', message_id => 'm2', project => 'search_path') > 0),
  (22, 'expire_suppressions',  bounce_suppress.expire_suppressions());
RESET search_path;

SELECT n, what, answer FROM answers ORDER BY n;

-- the state: as it would be with a normal search_path
SELECT address, reason, note, created_at > now() - interval '1 hour' AS created_recently, expires_at
  FROM bounce_suppress.suppressions WHERE project = 'search_path' ORDER BY address;
SELECT address, action, reason, actor = current_user AS actor_ok, note, at > now() - interval '1 hour' AS at_recently
  FROM bounce_suppress.suppression_log WHERE project = 'search_path' ORDER BY address, id;
SELECT count(*) AS events, count(DISTINCT id) AS distinct_ids,
       bool_and(received_at > now() - interval '1 hour') AS received_recently,
       bool_and(occurred_at > now() - interval '1 hour') AS occurred_recently
  FROM bounce_suppress.events WHERE project = 'search_path';
SELECT soft_bounce_limit, soft_bounce_span FROM bounce_suppress.policies WHERE project = 'search_path';
SELECT coalesce(current_setting('bounce_suppress.change_note', true), '') AS change_note;

-- clean up
DROP SCHEMA hostile CASCADE;
DELETE FROM bounce_suppress.suppressions WHERE project = 'search_path';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'search_path';
DELETE FROM bounce_suppress.events WHERE project = 'search_path';
DELETE FROM bounce_suppress.policies WHERE project = 'search_path';
DELETE FROM bounce_suppress.sent_counts WHERE project = 'search_path';
