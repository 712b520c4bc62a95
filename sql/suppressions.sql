-- suppress / unsuppress, the log, expiry, direct edits of suppressions.
\set VERBOSITY terse
CREATE FUNCTION pg_temp.log(p text) RETURNS TABLE(address text, action text, reason bounce_suppress.suppression_reason, actor text, note text)
LANGUAGE sql AS $$
  SELECT l.address, l.action, l.reason, l.actor, l.note
    FROM bounce_suppress.suppression_log l WHERE l.project = p ORDER BY l.id
$$;

SELECT bounce_suppress.suppress('Manual@Example.com', 'customer asked', project => 'sup') AS added;
SELECT bounce_suppress.suppress('manual@example.com', 'twice', project => 'sup') AS added_again;
SELECT address, reason, note, expires_at FROM bounce_suppress.suppressions WHERE project = 'sup';
SELECT bounce_suppress.is_suppressed('MANUAL@example.com', 'sup') AS suppressed,
       bounce_suppress.is_suppressed('manual@example.com') AS other_project;
SELECT bounce_suppress.unsuppress('manual@example.com', 'resubscribed', project => 'sup') AS removed;
SELECT bounce_suppress.unsuppress('manual@example.com', 'again', project => 'sup') AS removed_again;
SELECT bounce_suppress.is_suppressed('manual@example.com', 'sup') AS suppressed;

-- complaints need force
SELECT bounce_suppress.ingest_complaint('fbl@example.com', project => 'sup') > 0;
SELECT public.try($$SELECT bounce_suppress.unsuppress('fbl@example.com', 'please', project => 'sup')$$);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT bounce_suppress.unsuppress('fbl@example.com', 'please', project => 'sup');
\set VERBOSITY terse
SELECT bounce_suppress.unsuppress('fbl@example.com', 'confirmed by the user', force => true, project => 'sup');
-- a later hard bounce suppresses again
SELECT bounce_suppress.ingest_bounce('fbl@example.com', 'permanent', project => 'sup') > 0;
SELECT bounce_suppress.is_suppressed('fbl@example.com', 'sup');

-- expiry: not in force once expires_at has passed, purged by expire_suppressions()
SELECT bounce_suppress.suppress('later@example.com', 'holiday', now() + interval '1 day', 'sup');
INSERT INTO bounce_suppress.suppressions (project, address, reason, expires_at, created_at)
VALUES ('sup', 'past@example.com', 'manual', now() - interval '1 minute', now());
SELECT address, bounce_suppress.is_suppressed(address, 'sup') AS suppressed,
       address IN (SELECT a.address FROM bounce_suppress.active_suppressions a WHERE a.project = 'sup') AS active
  FROM (VALUES ('later@example.com'), ('past@example.com')) v(address) ORDER BY 1;
SELECT bounce_suppress.unsuppress('past@example.com', 'already lapsed', project => 'sup') AS removed_expired;
SELECT bounce_suppress.suppress('past@example.com', 'back again', project => 'sup') AS replaced_expired;
UPDATE bounce_suppress.suppressions SET expires_at = now() - interval '1 second'
 WHERE project = 'sup' AND address = 'past@example.com';
SELECT bounce_suppress.expire_suppressions() >= 1 AS expired_some;
SELECT count(*) AS left_over FROM bounce_suppress.suppressions WHERE project = 'sup' AND address = 'past@example.com';

-- direct edits are logged too, with the acting role and an optional note
INSERT INTO bounce_suppress.suppressions (project, address, note) VALUES ('sup', 'import1@example.com', 'from the old ESP');
COPY bounce_suppress.suppressions (project, address, reason) FROM STDIN;
sup	import2@example.com	manual
\.
BEGIN;
SET LOCAL bounce_suppress.change_note = 'cleanup ticket 42';
DELETE FROM bounce_suppress.suppressions WHERE project = 'sup' AND address LIKE 'import%';
COMMIT;
SELECT * FROM pg_temp.log('sup');

-- errors
SELECT s AS statement, public.try(s) AS result
  FROM (VALUES
    ($$SELECT bounce_suppress.suppress(NULL, project => 'sup')$$),
    ($$SELECT bounce_suppress.suppress('nope', project => 'sup')$$),
    ($$SELECT bounce_suppress.suppress('x@example.com', project => NULL)$$),
    ($$SELECT bounce_suppress.suppress('x@example.com', expires_at => '2000-01-01 00:00:00+00', project => 'sup')$$),
    ($$SELECT bounce_suppress.unsuppress(NULL, 'n', project => 'sup')$$),
    ($$SELECT bounce_suppress.unsuppress('nope', 'n', project => 'sup')$$),
    ($$SELECT bounce_suppress.unsuppress('x@example.com', 'n', force => NULL, project => 'sup')$$),
    ($$SELECT bounce_suppress.unsuppress('x@example.com', 'n', project => NULL)$$),
    ($$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('sup', 'Not@Normalized.com')$$),
    ($$INSERT INTO bounce_suppress.suppressions (project, address, reason) VALUES ('sup', 'x@example.com', 'whatever')$$),
    ($$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('', 'x@example.com')$$)
  ) AS t(s);
SELECT count(*) AS rows_for_x FROM bounce_suppress.suppressions WHERE address = 'x@example.com';

DELETE FROM bounce_suppress.suppressions WHERE project = 'sup';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'sup';
DELETE FROM bounce_suppress.events WHERE project = 'sup';
