-- setup: install the extension the other tests use, and check what it is.
\set VERBOSITY terse
CREATE EXTENSION bounce_suppress;

-- try(statement): runs it and shows 'ok' or its SQLSTATE and message, so the
-- error tests of the other files show both, one line per case
CREATE FUNCTION public.try(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- try_value(statement): the same, showing the statement's first value as
-- 'ok: value'; executable by every role (the privilege tests switch roles)
CREATE FUNCTION public.try_value(stmt text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  r text;
BEGIN
  EXECUTE stmt INTO r;
  RETURN 'ok: ' || coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

SELECT extname, extversion, extrelocatable, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'bounce_suppress';

-- every object the extension owns has a comment
SELECT pg_describe_object(classid, objid, objsubid) AS uncommented
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bounce_suppress')
   AND d.deptype = 'e'
   AND classid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
   AND obj_description(objid, classid::regclass::text) IS NULL
   AND NOT (classid = 'pg_class'::regclass AND (SELECT relkind FROM pg_class WHERE oid = objid) IN ('S', 'i'))
   AND NOT (classid = 'pg_type'::regclass AND (SELECT typtype FROM pg_type WHERE oid = objid) IN ('b', 'c') AND
            EXISTS (SELECT 1 FROM pg_class WHERE reltype = objid))
 ORDER BY 1;

-- user-data tables and their sequences are dumped by pg_dump
SELECT c.relname, c.relkind
  FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'bounce_suppress'
 ORDER BY 1;

-- every table has a primary key
SELECT c.relname AS table_without_primary_key
  FROM pg_class c
 WHERE c.relnamespace = 'bounce_suppress'::regnamespace AND c.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p');

-- every SQL-level function pins its search_path; C functions need none
SELECT p.proname, p.prolang::regproc AS language
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'bounce_suppress'::regnamespace
   AND l.lanname NOT IN ('c', 'internal')
   AND NOT coalesce(p.proconfig::text[] @> ARRAY['search_path=pg_catalog, pg_temp'], false)
 ORDER BY 1;

-- no LANGUAGE sql functions at all (Citus cannot route them)
SELECT count(*) AS sql_functions
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'bounce_suppress'::regnamespace AND l.lanname = 'sql';

-- volatility, strictness and parallel safety as documented
SELECT p.proname, p.provolatile, p.proisstrict, p.proparallel, p.prosecdef
  FROM pg_proc p
 WHERE p.pronamespace = 'bounce_suppress'::regnamespace
 ORDER BY 1, 2;

-- PUBLIC may read and check, never write or remove
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'bounce_suppress'::regnamespace
 ORDER BY 1;
SELECT c.relname,
       has_table_privilege('public', c.oid, 'SELECT') AS public_select,
       has_table_privilege('public', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS public_write
  FROM pg_class c
 WHERE c.relnamespace = 'bounce_suppress'::regnamespace AND c.relkind IN ('r', 'v')
 ORDER BY 1;

-- the default policy row exists
SELECT * FROM bounce_suppress.policies;
