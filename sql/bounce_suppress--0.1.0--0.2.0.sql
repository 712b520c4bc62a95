-- bounce_suppress 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION bounce_suppress UPDATE TO '0.2.0'" to load this file. \quit

-- The rules trigger on events is C: one pass over the statement's new events
-- decides which rules it needs and takes the soft-bounce locks; the rules are
-- the same SQL statements as before, run with plans kept for the session.
CREATE OR REPLACE FUNCTION @extschema@.events_apply_rules()
RETURNS trigger
AS 'MODULE_PATHNAME', 'events_apply_rules'
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
