-- Tenants: optional row-level security per project.
--
-- Where every tenant connects as its own database role, RLS keeps each to
-- its own project.  Here the project name is the role name; with one shared
-- role and the tenant in a setting, use
--   USING (project = current_setting('app.tenant'))
-- instead (the application must then own that setting: a tenant that can
-- run SQL could SET it).  The recipe:
--
--   ALTER TABLE bounce_suppress.suppressions ENABLE ROW LEVEL SECURITY;
--   CREATE POLICY tenant ON bounce_suppress.suppressions
--     USING (project = current_user) WITH CHECK (project = current_user);
--   ALTER TABLE bounce_suppress.events ENABLE ROW LEVEL SECURITY;
--   CREATE POLICY tenant ON bounce_suppress.events
--     USING (project = current_user) WITH CHECK (project = current_user);
--   ALTER TABLE bounce_suppress.suppression_log ENABLE ROW LEVEL SECURITY;
--   CREATE POLICY tenant ON bounce_suppress.suppression_log
--     FOR SELECT USING (project = current_user);
--
-- The rules and the log are written by SECURITY DEFINER triggers owned by
-- the extension's owner, which RLS does not restrict; they only ever touch
-- rows of the event's own project, which the events policy already
-- checked.  active_suppressions is a security_invoker view, so the policy
-- applies through it.  is_suppressed notices RLS on suppressions and asks
-- through SPI so that the policy applies (bounce_suppress.probe = auto);
-- probe = index refuses rather than read past it.
\set VERBOSITY terse


CREATE ROLE regress_bs_tenants NOLOGIN;
CREATE ROLE regress_bs_tenant_a NOLOGIN IN ROLE regress_bs_tenants;
CREATE ROLE regress_bs_tenant_b NOLOGIN IN ROLE regress_bs_tenants;
GRANT EXECUTE ON FUNCTION
  bounce_suppress.ingest_event(bounce_suppress.event_kind, text, bounce_suppress.bounce_type, text, timestamptz, text, text, text, text, text, text, integer, text, text),
  bounce_suppress.ingest_bounce(text, bounce_suppress.bounce_type, text, timestamptz, text, text, text, text),
  bounce_suppress.ingest_complaint(text, timestamptz, text, text, text, text, text),
  bounce_suppress.suppress(text, text, timestamptz, text),
  bounce_suppress.unsuppress(text, text, boolean, text)
  TO regress_bs_tenants;
GRANT SELECT, INSERT ON bounce_suppress.events TO regress_bs_tenants;
GRANT USAGE ON SEQUENCE bounce_suppress.events_id_seq TO regress_bs_tenants;
GRANT SELECT, INSERT, UPDATE, DELETE ON bounce_suppress.suppressions TO regress_bs_tenants;
GRANT SELECT ON bounce_suppress.suppression_log TO regress_bs_tenants;

-- both tenants have suppressions, one address in both
SELECT bounce_suppress.ingest_bounce('shared@example.com', 'permanent', project => 'regress_bs_tenant_a') > 0,
       bounce_suppress.ingest_bounce('only-a@example.com', 'permanent', project => 'regress_bs_tenant_a') > 0,
       bounce_suppress.ingest_complaint('shared@example.com', project => 'regress_bs_tenant_b') > 0,
       bounce_suppress.ingest_bounce('only-b@example.com', 'permanent', project => 'regress_bs_tenant_b') > 0;

ALTER TABLE bounce_suppress.suppressions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON bounce_suppress.suppressions
  USING (project = current_user) WITH CHECK (project = current_user);
ALTER TABLE bounce_suppress.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON bounce_suppress.events
  USING (project = current_user) WITH CHECK (project = current_user);
ALTER TABLE bounce_suppress.suppression_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON bounce_suppress.suppression_log
  FOR SELECT USING (project = current_user);

-- tenant A sees only its own rows, also through the view and is_suppressed
SET ROLE regress_bs_tenant_a;
SELECT project, address, reason FROM bounce_suppress.suppressions ORDER BY 1, 2;
SELECT project, address FROM bounce_suppress.active_suppressions ORDER BY 1, 2;
SELECT project, address, action FROM bounce_suppress.suppression_log ORDER BY 1, 2, 3;
SELECT project, address, kind FROM bounce_suppress.events ORDER BY 1, 2, 3;
SELECT a.address, p.project,
       bounce_suppress.is_suppressed(a.address, p.project) AS auto
  FROM (VALUES ('shared@example.com'), ('only-a@example.com'), ('only-b@example.com'), ('none@example.com')) a(address),
       (VALUES ('regress_bs_tenant_a'), ('regress_bs_tenant_b')) p(project)
 ORDER BY 1, 2;
SET bounce_suppress.probe = spi;
SELECT a.address, p.project,
       bounce_suppress.is_suppressed(a.address, p.project) AS spi
  FROM (VALUES ('shared@example.com'), ('only-a@example.com'), ('only-b@example.com'), ('none@example.com')) a(address),
       (VALUES ('regress_bs_tenant_a'), ('regress_bs_tenant_b')) p(project)
 ORDER BY 1, 2;
-- the direct index probe would read past the policy: refused
SET bounce_suppress.probe = index;
SELECT public.try_value($$SELECT bounce_suppress.is_suppressed('only-b@example.com', 'regress_bs_tenant_b')$$) AS index_probe;
RESET bounce_suppress.probe;

-- ... and cannot change tenant B's
SELECT what, public.try_value(stmt) AS result
  FROM (VALUES
    (1, 'UPDATE B''s row',   $$WITH u AS (UPDATE bounce_suppress.suppressions SET note = 'x' WHERE project = 'regress_bs_tenant_b' RETURNING 1) SELECT count(*) FROM u$$),
    (2, 'DELETE B''s rows',  $$WITH d AS (DELETE FROM bounce_suppress.suppressions WHERE project = 'regress_bs_tenant_b' RETURNING 1) SELECT count(*) FROM d$$),
    (3, 'unsuppress in B',   $$SELECT bounce_suppress.unsuppress('only-b@example.com', 'x', project => 'regress_bs_tenant_b')$$),
    (4, 'suppress in B',     $$SELECT bounce_suppress.suppress('new@example.com', project => 'regress_bs_tenant_b')$$),
    (5, 'ingest into B',     $$SELECT bounce_suppress.ingest_bounce('new@example.com', 'permanent', project => 'regress_bs_tenant_b')$$),
    (6, 'INSERT into B',     $$INSERT INTO bounce_suppress.suppressions (project, address) VALUES ('regress_bs_tenant_b', 'new@example.com')$$),
    (7, 'move a row to B',   $$UPDATE bounce_suppress.suppressions SET project = 'regress_bs_tenant_b' WHERE address = 'only-a@example.com'$$)
  ) AS t(n, what, stmt)
 ORDER BY n;
-- its own project works as usual, and the rules still apply
SELECT bounce_suppress.ingest_bounce('new-a@example.com', 'permanent', project => 'regress_bs_tenant_a') > 0 AS ingested;
SELECT bounce_suppress.is_suppressed('new-a@example.com', 'regress_bs_tenant_a') AS suppressed;
RESET ROLE;

-- tenant B's rows are untouched (seen by the owner, whom RLS does not restrict)
SELECT project, address, reason, note FROM bounce_suppress.suppressions
 WHERE project LIKE 'regress_bs_tenant_%' ORDER BY 1, 2;
SELECT project, address, action,
       CASE WHEN actor = current_user THEN '(the test''s superuser)' ELSE actor END AS actor
  FROM bounce_suppress.suppression_log
 WHERE project LIKE 'regress_bs_tenant_%' ORDER BY 1, 2, id;

-- clean up: RLS off again, so that nothing else is affected
DROP POLICY tenant ON bounce_suppress.suppressions;
DROP POLICY tenant ON bounce_suppress.events;
DROP POLICY tenant ON bounce_suppress.suppression_log;
ALTER TABLE bounce_suppress.suppressions DISABLE ROW LEVEL SECURITY;
ALTER TABLE bounce_suppress.events DISABLE ROW LEVEL SECURITY;
ALTER TABLE bounce_suppress.suppression_log DISABLE ROW LEVEL SECURITY;
-- without RLS the index probe is allowed again
SET bounce_suppress.probe = index;
SELECT bounce_suppress.is_suppressed('only-b@example.com', 'regress_bs_tenant_b') AS index_again;
RESET bounce_suppress.probe;
DELETE FROM bounce_suppress.suppressions WHERE project LIKE 'regress_bs_tenant_%';
DELETE FROM bounce_suppress.suppression_log WHERE project LIKE 'regress_bs_tenant_%';
DELETE FROM bounce_suppress.events WHERE project LIKE 'regress_bs_tenant_%';
DROP OWNED BY regress_bs_tenant_a, regress_bs_tenant_b, regress_bs_tenants;
DROP ROLE regress_bs_tenant_a, regress_bs_tenant_b, regress_bs_tenants;
SELECT relname, relrowsecurity FROM pg_class
 WHERE relnamespace = 'bounce_suppress'::regnamespace AND relkind = 'r' AND relrowsecurity;
