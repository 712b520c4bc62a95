
-- 20_rules: the one place where events become suppressions ------------------
--
-- events_before_insert (C, per row) completes an event from its diagnostic.
-- events_apply_rules (per statement, over the transition table) applies the
-- rules of API.md to the statement's new events:
--   complaint, hard bounce            -> suppress on the first event
--   soft bounce                       -> suppress once the same address has
--                                        soft-bounced on soft_bounce_limit
--                                        separate sends spanning at least
--                                        soft_bounce_span
--   undetermined, sender-caused, delivery -> record only
-- It reads and writes only rows of the events' own (project, address), plus
-- policies, so it runs unchanged on colocated Citus shards.
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
LANGUAGE plpgsql
SECURITY DEFINER  -- ingest roles insert events; the rules may write suppressions for them
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_hard boolean;
  v_soft boolean;
BEGIN
  -- One pass over the new events tells which rules have work: a statement
  -- of one event (the ingest functions) runs one rule, not both, and pays
  -- for no plan it does not need.
  SELECT coalesce(bool_or(n.kind = 'complaint' OR (n.kind = 'bounce' AND n.bounce_type = 'permanent')), false),
         coalesce(bool_or(n.kind = 'bounce' AND n.bounce_type = 'transient'
                          AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)), false)
    INTO v_hard, v_soft
    FROM new_events n
   WHERE n.received_at >= now();

  -- Complaints and hard bounces: suppress on the first event.  A sender-caused
  -- permanent bounce suppresses only where the policy says so (the policy is
  -- looked up for those alone).
  IF v_hard THEN
  INSERT INTO @extschema@.suppressions AS s (project, address, reason, event_id, expires_at)
  SELECT DISTINCT ON (n.project, n.address)
         n.project, n.address,
         CASE WHEN n.kind = 'complaint' THEN 'complaint' ELSE 'hard_bounce' END::@extschema@.suppression_reason,
         n.id, NULL::timestamptz
    FROM new_events n
   WHERE n.received_at >= now()
     AND (n.kind = 'complaint'
          OR (n.kind = 'bounce' AND n.bounce_type = 'permanent'
              AND (NOT coalesce(@extschema@.is_sender_reason(n.reason), false)
                   OR coalesce((SELECT pol.suppress_sender_blocks
                                  FROM @extschema@.policies pol
                                 WHERE pol.project IN (n.project, 'default')
                                 ORDER BY pol.project = n.project DESC
                                 LIMIT 1), false))))
   ORDER BY n.project, n.address, n.kind = 'complaint' DESC, n.id
  ON CONFLICT ON CONSTRAINT suppressions_pkey DO UPDATE
     SET reason = excluded.reason,
         event_id = excluded.event_id,
         expires_at = excluded.expires_at,
         created_at = CASE WHEN s.expires_at <= now() THEN now() ELSE s.created_at END,
         note = CASE WHEN s.expires_at <= now() THEN NULL ELSE s.note END
   WHERE excluded.reason > s.reason OR s.expires_at <= now();
  END IF;

  -- Soft bounces: only when the address keeps bouncing across separate sends.
  -- Each step below reads the transition table again with the same filter
  -- (recipient-caused transient bounces).  Collecting the addresses once into
  -- arrays and unnesting them was tried: one-event statements ran at about
  -- 4,000 instead of 7,000 ingests/s, so the filter is repeated instead.
  IF v_soft THEN
    -- Two transactions adding the last soft bounces of one address must see
    -- each other's: serialize per address, in a fixed order (no deadlocks).
    -- The addresses are hashed into 1024 lock keys, so that a bulk load of a
    -- million events takes at most 1024 locks, not one per address (which
    -- overflows the shared lock table: "out of shared memory").
    PERFORM pg_catalog.pg_advisory_xact_lock(1651733872, l.k)
       FROM (SELECT DISTINCT pg_catalog.hashtext(n.project || '/' || n.address) OPERATOR(pg_catalog.&) 1023 AS k
               FROM new_events n
              WHERE n.received_at >= now() AND n.kind = 'bounce' AND n.bounce_type = 'transient'
                AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)
              ORDER BY 1) l;
    -- Under REPEATABLE READ or SERIALIZABLE the snapshot predates the lock,
    -- so another transaction's committed soft bounces would go uncounted:
    -- refuse as PostgreSQL does for a concurrent update, and let the client
    -- retry.
    IF current_setting('transaction_isolation') <> 'read committed'
       AND EXISTS (SELECT 1
                     FROM (SELECT DISTINCT n.project, n.address FROM new_events n
                            WHERE n.received_at >= now() AND n.kind = 'bounce'
                              AND n.bounce_type = 'transient'
                              AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)) c
                    WHERE @extschema@.events_unseen(c.project, c.address)) THEN
      RAISE EXCEPTION 'could not serialize access due to concurrent soft bounces'
        USING ERRCODE = '40001',
              DETAIL = 'Another transaction added events for the same address after this transaction''s snapshot was taken.',
              HINT = 'Retry the transaction.';
    END IF;

    -- Most soft bounces leave the address below its limit: the number of its
    -- transient bounces (a bound on the separate sends counted below) settles
    -- that with a few index reads, without the whole rule.
    IF EXISTS (SELECT 1
                 FROM (SELECT DISTINCT n.project, n.address FROM new_events n
                        WHERE n.received_at >= now() AND n.kind = 'bounce' AND n.bounce_type = 'transient'
                          AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)) c
                 CROSS JOIN LATERAL (SELECT coalesce((SELECT x.soft_bounce_limit FROM @extschema@.policies x
                                                       WHERE x.project IN (c.project, 'default')
                                                       ORDER BY x.project = c.project DESC
                                                       LIMIT 1), 5) AS lim) p
                WHERE p.lim > 0
                  AND (SELECT count(*) FROM (SELECT 1 FROM @extschema@.events e
                                              WHERE e.project = c.project AND e.address = c.address
                                                AND e.kind = 'bounce' AND e.bounce_type = 'transient'
                                              LIMIT p.lim) t) >= p.lim) THEN
    INSERT INTO @extschema@.suppressions AS s (project, address, reason, event_id, expires_at)
    SELECT c.project, c.address, 'soft_bounce_limit', k.last_id,
           now() + p.soft_suppression_ttl
      FROM (SELECT DISTINCT n.project, n.address
              FROM new_events n
             WHERE n.received_at >= now() AND n.kind = 'bounce' AND n.bounce_type = 'transient'
               AND NOT coalesce(@extschema@.is_sender_reason(n.reason), false)) c
      CROSS JOIN LATERAL (SELECT coalesce(pol.soft_bounce_limit, 5) AS soft_bounce_limit,
                                 coalesce(pol.soft_bounce_span, '7 days') AS soft_bounce_span,
                                 coalesce(pol.soft_bounce_window, '30 days') AS soft_bounce_window,
                                 pol.soft_suppression_ttl
                            FROM (SELECT 1) one
                            LEFT JOIN LATERAL (SELECT * FROM @extschema@.policies x
                                                WHERE x.project IN (c.project, 'default')
                                                ORDER BY x.project = c.project DESC
                                                LIMIT 1) pol ON true) p
      CROSS JOIN LATERAL (
        -- the streak starts after the latest delivery, removal or expiry
        SELECT greatest(
                 (SELECT max(d.occurred_at) FROM @extschema@.events d
                   WHERE d.project = c.project AND d.address = c.address AND d.kind = 'delivery'),
                 (SELECT max(l.at) FROM @extschema@.suppression_log l
                   WHERE l.project = c.project AND l.address = c.address
                     AND l.action IN ('removed', 'expired')),
                 (SELECT x.expires_at FROM @extschema@.suppressions x
                   WHERE x.project = c.project AND x.address = c.address AND x.expires_at <= now()),
                 now() - p.soft_bounce_window) AS since) st
      CROSS JOIN LATERAL (
        -- retries of one send (same message_id) count once
        SELECT count(DISTINCT (e.message_id, CASE WHEN e.message_id IS NULL THEN e.id END)) AS sends,
               max(e.occurred_at) - min(e.occurred_at) AS span,
               max(e.id) AS last_id
          FROM @extschema@.events e
         WHERE e.project = c.project AND e.address = c.address
           AND e.kind = 'bounce' AND e.bounce_type = 'transient'
           AND NOT coalesce(@extschema@.is_sender_reason(e.reason), false)
           AND e.occurred_at > st.since) k
     WHERE p.soft_bounce_limit > 0
       AND k.sends >= p.soft_bounce_limit
       AND k.span >= p.soft_bounce_span
    ON CONFLICT ON CONSTRAINT suppressions_pkey DO UPDATE
       SET reason = excluded.reason,
           event_id = excluded.event_id,
           expires_at = excluded.expires_at,
           created_at = CASE WHEN s.expires_at <= now() THEN now() ELSE s.created_at END,
           note = CASE WHEN s.expires_at <= now() THEN NULL ELSE s.note END
     WHERE excluded.reason > s.reason OR s.expires_at <= now();
    END IF;
  END IF;

  RETURN NULL;
END
$fn$;
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
