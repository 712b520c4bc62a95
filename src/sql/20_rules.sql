
-- 20_rules: the one place where events become suppressions ------------------
--
-- events_before_insert (C, per row) completes an event from its diagnostic.
-- events_apply_rules (C, per statement, over the transition table) applies
-- the rules of API.md to the statement's new events:
--   complaint, hard bounce            -> suppress on the first event
--   soft bounce                       -> suppress once the same address has
--                                        soft-bounced on soft_bounce_limit
--                                        separate sends spanning at least
--                                        soft_bounce_span
--   undetermined, sender-caused, delivery -> record only
-- The rules are SQL statements run from src/bs_rules.c (which explains them);
-- the C decides which of them a statement needs and takes the locks.
--
-- History is not replayed: an event whose received_at is before the current
-- transaction was received by this database (or the one it was dumped from)
-- before; pg_restore and copies between databases bring its effects along in
-- suppressions and suppression_log, so it is stored and nothing else.  The
-- same holds for suppressions rows whose created_at is older than the
-- transaction: they are not logged again.

CREATE FUNCTION @extschema@.events_before_insert()
RETURNS trigger
AS 'MODULE_PATHNAME', 'events_before_insert'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.events_before_insert() IS
  'Trigger: fills bounce_type, reason, reply_code and enhanced_status from the diagnostic, refuses occurred_at more than a day ahead';

CREATE FUNCTION @extschema@.events_unseen(project text, address text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'events_unseen'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.events_unseen(text, text) IS
  'For the rules trigger: has another transaction committed events of the address that the current snapshot does not see';

CREATE FUNCTION @extschema@.events_apply_rules()
RETURNS trigger
AS 'MODULE_PATHNAME', 'events_apply_rules'
LANGUAGE C
SECURITY DEFINER  -- ingest roles insert events; the rules may write suppressions for them
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.events_apply_rules() IS
  'Trigger: turns the statement''s new events into suppressions (complaints and hard bounces at once, soft bounces past the policy''s limit)';

CREATE TRIGGER events_before_insert
  BEFORE INSERT ON @extschema@.events
  FOR EACH ROW EXECUTE FUNCTION @extschema@.events_before_insert();

CREATE TRIGGER events_apply_rules
  AFTER INSERT ON @extschema@.events
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.events_apply_rules();

-- The log: every change to suppressions, whoever makes it ------------------

CREATE FUNCTION @extschema@.suppressions_log_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER  -- whoever may change suppressions is logged, without write access to the log
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO @extschema@.suppression_log (project, address, action, reason, event_id, actor, note)
  SELECT n.project, n.address, 'added', n.reason, n.event_id, @extschema@.current_actor(),
         coalesce(n.note, nullif(current_setting('bounce_suppress.change_note', true), ''))
    FROM new_rows n
   WHERE n.created_at >= now()
   ORDER BY n.project, n.address;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION @extschema@.suppressions_log_insert() IS
  'Trigger: logs rows added to suppressions (rows created before the current transaction are restored history and not logged again)';

CREATE FUNCTION @extschema@.suppressions_log_update()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- INSERT ... ON CONFLICT DO UPDATE fires this for every statement, most of
  -- which update nothing: leave at once then.
  IF NOT EXISTS (SELECT 1 FROM old_rows UNION ALL SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  -- A row that had expired and is replaced is logged as expired, then added.
  INSERT INTO @extschema@.suppression_log (project, address, action, reason, event_id, actor, note, at)
  SELECT ch.project, ch.address, ch.action, ch.reason, ch.event_id, @extschema@.current_actor(),
         ch.note, ch.at
    FROM (SELECT o.project, o.address, 1 AS step, 'expired' AS action, o.reason, o.event_id,
                 NULL::text AS note, least(o.expires_at, now()) AS at
            FROM old_rows o JOIN new_rows n USING (project, address)
           WHERE o.expires_at <= now()
          UNION ALL
          SELECT n.project, n.address, 2,
                 CASE WHEN o.expires_at <= now() OR o.project IS NULL THEN 'added' ELSE 'updated' END,
                 n.reason, n.event_id,
                 coalesce(nullif(current_setting('bounce_suppress.change_note', true), ''),
                          CASE WHEN n.note IS DISTINCT FROM o.note THEN n.note END),
                 now()
            FROM new_rows n LEFT JOIN old_rows o USING (project, address)
           WHERE o.project IS NULL
              OR (o.reason, o.event_id, o.expires_at, o.note, o.created_at)
                 IS DISTINCT FROM (n.reason, n.event_id, n.expires_at, n.note, n.created_at)
          UNION ALL
          SELECT o.project, o.address, 3, 'removed', o.reason, o.event_id,
                 nullif(current_setting('bounce_suppress.change_note', true), ''), now()
            FROM old_rows o LEFT JOIN new_rows n USING (project, address)
           WHERE n.project IS NULL) ch
   ORDER BY ch.project, ch.address, ch.step;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION @extschema@.suppressions_log_update() IS
  'Trigger: logs changed suppressions (updated; expired then added where an expired row is replaced)';

CREATE FUNCTION @extschema@.suppressions_log_delete()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO @extschema@.suppression_log (project, address, action, reason, event_id, actor, note, at)
  SELECT o.project, o.address,
         CASE WHEN o.expires_at <= now() THEN 'expired' ELSE 'removed' END,
         o.reason, o.event_id, @extschema@.current_actor(),
         nullif(current_setting('bounce_suppress.change_note', true), ''),
         CASE WHEN o.expires_at <= now() THEN o.expires_at ELSE now() END
    FROM old_rows o
   ORDER BY o.project, o.address;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION @extschema@.suppressions_log_delete() IS
  'Trigger: logs removed suppressions (as expired where expires_at had passed)';

CREATE TRIGGER suppressions_log_insert
  AFTER INSERT ON @extschema@.suppressions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.suppressions_log_insert();

CREATE TRIGGER suppressions_log_update
  AFTER UPDATE ON @extschema@.suppressions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.suppressions_log_update();

CREATE TRIGGER suppressions_log_delete
  AFTER DELETE ON @extschema@.suppressions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.suppressions_log_delete();

-- Policies: inserting a project's row again updates it, so a pg_restore over
-- a fresh CREATE EXTENSION (which made the 'default' row) keeps the dumped
-- settings instead of failing on the primary key.

CREATE FUNCTION @extschema@.policies_upsert()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  UPDATE @extschema@.policies p
     SET soft_bounce_limit = NEW.soft_bounce_limit,
         soft_bounce_span = NEW.soft_bounce_span,
         soft_bounce_window = NEW.soft_bounce_window,
         suppress_sender_blocks = NEW.suppress_sender_blocks,
         soft_suppression_ttl = NEW.soft_suppression_ttl
   WHERE p.project = NEW.project;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION @extschema@.policies_upsert() IS
  'Trigger: an INSERT of an existing project''s policy updates that row';

CREATE TRIGGER policies_upsert
  BEFORE INSERT ON @extschema@.policies
  FOR EACH ROW EXECUTE FUNCTION @extschema@.policies_upsert();
