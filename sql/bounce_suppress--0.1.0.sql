/*
 * bounce_suppress install script.  Assembled by the Makefile from the pieces
 * in src/sql/ in name order; every object lives in @extschema@ (the control
 * file pins it to bounce_suppress) and every name is qualified, so the
 * caller's search_path cannot change what the script creates.
 */
\echo Use "CREATE EXTENSION bounce_suppress" to load this file. \quit

-- 00_types: enumerations and the reply type --------------------------------

CREATE TYPE @extschema@.bounce_type AS ENUM ('permanent', 'transient', 'undetermined');
COMMENT ON TYPE @extschema@.bounce_type IS
  'How final a bounce is: permanent (hard), transient (soft) or undetermined';

CREATE TYPE @extschema@.event_kind AS ENUM ('bounce', 'complaint', 'delivery');
COMMENT ON TYPE @extschema@.event_kind IS
  'What an event in bounce_suppress.events reports';

-- Declared weakest first, so that > compares strength: a stronger reason
-- replaces a weaker one on an existing suppression.
CREATE TYPE @extschema@.suppression_reason AS ENUM ('manual', 'soft_bounce_limit', 'hard_bounce', 'complaint');
COMMENT ON TYPE @extschema@.suppression_reason IS
  'Why an address is suppressed; ordered by strength (complaint > hard_bounce > soft_bounce_limit > manual)';

CREATE TYPE @extschema@.smtp_reply AS (
  reply_code      integer,
  enhanced_status text,
  bounce_type     @extschema@.bounce_type,
  reason          text
);
COMMENT ON TYPE @extschema@.smtp_reply IS
  'An SMTP reply taken apart: reply code, RFC 3463 enhanced status, bounce type and reason';

-- Plain C parsers: no table access, the same answer for the same text.

CREATE FUNCTION @extschema@.normalize_address(address text)
RETURNS text
AS 'MODULE_PATHNAME', 'normalize_address'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normalize_address(text) IS
  'The canonical form of an email address (trimmed, display name, <> and rfc822; removed, lowercased), or NULL for text that is not an address';

CREATE FUNCTION @extschema@.classify_smtp(reply text)
RETURNS @extschema@.bounce_type
AS 'MODULE_PATHNAME', 'classify_smtp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.classify_smtp(text) IS
  'Bounce type of an SMTP reply, a DSN Diagnostic-Code, a bare enhanced status or a provider''s prose';

CREATE FUNCTION @extschema@.parse_smtp_reply(reply text)
RETURNS @extschema@.smtp_reply
AS 'MODULE_PATHNAME', 'parse_smtp_reply'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.parse_smtp_reply(text) IS
  'Reply code, enhanced status, bounce type and reason of an SMTP reply text';

CREATE FUNCTION @extschema@.is_sender_reason(reason text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'is_sender_reason'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_sender_reason(text) IS
  'True for reasons that blame the sender (reputation, blocklists, authentication, content, rate limits), not the recipient address';

CREATE FUNCTION @extschema@.is_known_reason(reason text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'is_known_reason'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_known_reason(text) IS
  'True if the text is a word of the reason vocabulary (user_unknown, mailbox_full, blocked, ...)';

CREATE FUNCTION @extschema@.current_actor()
RETURNS text
AS 'MODULE_PATHNAME', 'current_actor'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.current_actor() IS
  'The role on whose behalf the current statement runs, also inside SECURITY DEFINER functions; recorded as suppression_log.actor';

-- 10_tables: the event stream, the suppressions and their log, policies ----
--
-- Keys are shaped for Citus (API.md principle 7): events, suppressions and
-- suppression_log carry (project, address) in every key and can be
-- hash-distributed on address and colocated; policies and sent_counts have
-- no address and would become reference tables.  Addresses are normalized
-- by whoever writes the row; CHECKs refuse anything else, and no BEFORE
-- trigger rewrites them.

CREATE SEQUENCE @extschema@.events_id_seq;

CREATE TABLE @extschema@.events (
  id                bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.events_id_seq'),
  project           text NOT NULL DEFAULT 'default',
  kind              @extschema@.event_kind NOT NULL,
  address           text NOT NULL,
  bounce_type       @extschema@.bounce_type,
  reason            text,
  reply_code        integer,
  enhanced_status   text,
  diagnostic        text,
  message_id        text,
  provider          text,
  provider_event_id text,
  feedback_type     text,
  remote_mta        text,
  occurred_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  received_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT events_pkey PRIMARY KEY (project, address, id),
  CONSTRAINT events_provider_event_key UNIQUE (project, address, provider, provider_event_id),
  CONSTRAINT events_address_normalized
    CHECK (@extschema@.normalize_address(address) IS NOT DISTINCT FROM address),
  CONSTRAINT events_project_not_empty CHECK (project <> ''),
  CONSTRAINT events_bounce_type_only_for_bounces
    CHECK ((kind = 'bounce') = (bounce_type IS NOT NULL)),
  CONSTRAINT events_reply_code_range CHECK (reply_code BETWEEN 200 AND 599),
  CONSTRAINT events_event_id_needs_provider
    CHECK (provider_event_id IS NULL OR provider IS NOT NULL),
  CONSTRAINT events_reason_known CHECK (@extschema@.is_known_reason(reason))
);
ALTER SEQUENCE @extschema@.events_id_seq OWNED BY @extschema@.events.id;
CREATE INDEX events_project_occurred_at ON @extschema@.events (project, occurred_at);
COMMENT ON TABLE @extschema@.events IS
  'Every bounce, complaint and delivery reported, one row per recipient; inserting here applies the suppression rules';

CREATE TABLE @extschema@.suppressions (
  project    text NOT NULL DEFAULT 'default',
  address    text NOT NULL,
  reason     @extschema@.suppression_reason NOT NULL DEFAULT 'manual',
  event_id   bigint,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  expires_at timestamptz,
  note       text,
  CONSTRAINT suppressions_pkey PRIMARY KEY (project, address),
  CONSTRAINT suppressions_address_normalized
    CHECK (@extschema@.normalize_address(address) IS NOT DISTINCT FROM address),
  CONSTRAINT suppressions_project_not_empty CHECK (project <> '')
);
COMMENT ON TABLE @extschema@.suppressions IS
  'Addresses not to send to, one row per project and address; rows past expires_at are not in force';

CREATE SEQUENCE @extschema@.suppression_log_id_seq;

CREATE TABLE @extschema@.suppression_log (
  id       bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.suppression_log_id_seq'),
  project  text NOT NULL,
  address  text NOT NULL,
  action   text NOT NULL,
  reason   @extschema@.suppression_reason,
  event_id bigint,
  actor    text NOT NULL,
  note     text,
  at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT suppression_log_pkey PRIMARY KEY (project, address, id),
  CONSTRAINT suppression_log_action_known
    CHECK (action IN ('added', 'updated', 'removed', 'expired'))
);
ALTER SEQUENCE @extschema@.suppression_log_id_seq OWNED BY @extschema@.suppression_log.id;
COMMENT ON TABLE @extschema@.suppression_log IS
  'Every change to suppressions: added, updated, removed, expired; with the role and note';

CREATE TABLE @extschema@.policies (
  project                text NOT NULL,
  soft_bounce_limit      integer NOT NULL DEFAULT 5,
  soft_bounce_span       interval NOT NULL DEFAULT '7 days',
  soft_bounce_window     interval NOT NULL DEFAULT '30 days',
  suppress_sender_blocks boolean NOT NULL DEFAULT false,
  soft_suppression_ttl   interval,
  CONSTRAINT policies_pkey PRIMARY KEY (project),
  CONSTRAINT policies_project_not_empty CHECK (project <> ''),
  CONSTRAINT policies_soft_bounce_limit_not_negative CHECK (soft_bounce_limit >= 0),
  CONSTRAINT policies_soft_bounce_span_not_negative CHECK (soft_bounce_span >= '0'),
  CONSTRAINT policies_soft_bounce_window_positive CHECK (soft_bounce_window > '0'),
  CONSTRAINT policies_span_within_window CHECK (soft_bounce_span <= soft_bounce_window),
  CONSTRAINT policies_soft_suppression_ttl_positive CHECK (soft_suppression_ttl > '0')
);
COMMENT ON TABLE @extschema@.policies IS
  'Suppression policy per project; the row for project ''default'' applies to projects without one';
INSERT INTO @extschema@.policies (project) VALUES ('default');

CREATE TABLE @extschema@.sent_counts (
  project text NOT NULL,
  day     date NOT NULL,
  sent    bigint NOT NULL DEFAULT 0,
  CONSTRAINT sent_counts_pkey PRIMARY KEY (project, day),
  CONSTRAINT sent_counts_sent_not_negative CHECK (sent >= 0)
);
COMMENT ON TABLE @extschema@.sent_counts IS
  'Messages sent per project and day (record_sent); the denominator of the rates in health()';

CREATE VIEW @extschema@.active_suppressions AS
  SELECT project, address, reason, event_id, created_at, expires_at, note
    FROM @extschema@.suppressions
   WHERE expires_at IS NULL OR expires_at OPERATOR(pg_catalog.>) pg_catalog.now();
COMMENT ON VIEW @extschema@.active_suppressions IS
  'The suppressions in force now: what send-queue queries join against';

-- Row-level security on suppressions must reach through the view to the
-- caller (PostgreSQL 15 and later).
DO $$
BEGIN
  IF pg_catalog.current_setting('server_version_num')::integer >= 150000 THEN
    EXECUTE pg_catalog.format('ALTER VIEW %I.active_suppressions SET (security_invoker = true)',
                              '@extschema@');
  END IF;
END
$$;

-- The tables hold the users' data: pg_dump must dump their rows.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.suppressions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.suppression_log', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.suppression_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policies', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sent_counts', '');

-- Ids made on different nodes must not collide.  On a Citus worker every
-- node runs this script itself (CREATE EXTENSION is propagated), and for
-- extension-owned tables Citus does not split the sequences' ranges as it
-- does for ordinary ones; give each worker group the range Citus would:
-- (group << 48) + 1 .. ((group + 1) << 48) - 1.  Elsewhere this does nothing.
DO $$
DECLARE
  g bigint;
  s text;
BEGIN
  IF pg_catalog.to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
    RETURN;
  END IF;
  EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
  IF g IS NULL OR g <= 0 THEN
    RETURN;
  END IF;
  FOREACH s IN ARRAY ARRAY['events_id_seq', 'suppression_log_id_seq'] LOOP
    EXECUTE pg_catalog.format('ALTER SEQUENCE %I.%I MINVALUE %s MAXVALUE %s RESTART WITH %s',
                              '@extschema@', s, (g << 48) + 1, ((g + 1) << 48) - 1, (g << 48) + 1);
  END LOOP;
END
$$;

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

-- 30_api: ingestion, suppression management, health ------------------------
--
-- PL/pgSQL, not LANGUAGE sql: Citus cannot route a parameterized SQL
-- function that reads distributed tables, and inlining would hide the reads
-- from it.  Functions run as the caller (SECURITY INVOKER): privileges and
-- row-level security are the caller's; the triggers they fire apply the rules.

CREATE FUNCTION @extschema@.ingest_event(
  kind              @extschema@.event_kind,
  address           text,
  bounce_type       @extschema@.bounce_type DEFAULT NULL,
  diagnostic        text DEFAULT NULL,
  occurred_at       timestamptz DEFAULT now(),
  message_id        text DEFAULT NULL,
  provider          text DEFAULT NULL,
  provider_event_id text DEFAULT NULL,
  feedback_type     text DEFAULT NULL,
  project           text DEFAULT 'default',
  reason            text DEFAULT NULL,
  reply_code        integer DEFAULT NULL,
  enhanced_status   text DEFAULT NULL,
  remote_mta        text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_address text;
  v_id bigint;
BEGIN
  IF ingest_event.kind IS NULL THEN
    RAISE EXCEPTION 'kind must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF ingest_event.address IS NULL THEN
    RAISE EXCEPTION 'address must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF ingest_event.project IS NULL THEN
    RAISE EXCEPTION 'project must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF ingest_event.project = '' THEN
    RAISE EXCEPTION 'project must not be empty' USING ERRCODE = '22023';
  END IF;
  IF ingest_event.occurred_at IS NULL THEN
    RAISE EXCEPTION 'occurred_at must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF ingest_event.provider_event_id IS NOT NULL AND ingest_event.provider IS NULL THEN
    RAISE EXCEPTION 'provider_event_id "%" needs a provider', ingest_event.provider_event_id
      USING ERRCODE = '22023',
            HINT = 'Event ids are unique per provider; pass the provider''s name too.';
  END IF;
  IF ingest_event.bounce_type IS NOT NULL AND ingest_event.kind <> 'bounce' THEN
    RAISE EXCEPTION 'a % event has no bounce_type', ingest_event.kind USING ERRCODE = '22023';
  END IF;
  v_address := @extschema@.normalize_address(ingest_event.address);
  IF v_address IS NULL THEN
    RAISE EXCEPTION 'invalid email address: "%"',
      CASE WHEN length(ingest_event.address) > 200
           THEN left(ingest_event.address, 197) || '...' ELSE ingest_event.address END
      USING ERRCODE = '22023';
  END IF;

  INSERT INTO @extschema@.events AS e
         (project, kind, address, bounce_type, reason, reply_code, enhanced_status,
          diagnostic, message_id, provider, provider_event_id, feedback_type,
          remote_mta, occurred_at)
  VALUES (ingest_event.project, ingest_event.kind, v_address, ingest_event.bounce_type,
          ingest_event.reason, ingest_event.reply_code, ingest_event.enhanced_status,
          ingest_event.diagnostic, ingest_event.message_id, ingest_event.provider,
          ingest_event.provider_event_id, ingest_event.feedback_type,
          ingest_event.remote_mta, ingest_event.occurred_at)
  ON CONFLICT ON CONSTRAINT events_provider_event_key DO NOTHING
  RETURNING e.id INTO v_id;

  IF v_id IS NULL THEN
    -- a redelivery: answer with the first id, change nothing
    SELECT e.id INTO v_id
      FROM @extschema@.events e
     WHERE e.project = ingest_event.project AND e.address = v_address
       AND e.provider = ingest_event.provider
       AND e.provider_event_id = ingest_event.provider_event_id;
    IF v_id IS NULL THEN
      RAISE EXCEPTION 'could not serialize access due to a concurrent ingest of event "%"',
        ingest_event.provider_event_id
        USING ERRCODE = '40001',
              DETAIL = 'Another transaction stored the same provider event after this one''s snapshot was taken.';
    END IF;
  END IF;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ingest_event(@extschema@.event_kind, text, @extschema@.bounce_type, text, timestamptz, text, text, text, text, text, text, integer, text, text) IS
  'Records one event of any kind (the common path of the ingest functions); returns its id, or the first id of a redelivered provider event';

CREATE FUNCTION @extschema@.ingest_bounce(
  address           text,
  bounce_type       @extschema@.bounce_type DEFAULT NULL,
  diagnostic        text DEFAULT NULL,
  occurred_at       timestamptz DEFAULT now(),
  message_id        text DEFAULT NULL,
  provider          text DEFAULT NULL,
  provider_event_id text DEFAULT NULL,
  project           text DEFAULT 'default')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN @extschema@.ingest_event('bounce', ingest_bounce.address, ingest_bounce.bounce_type,
                                  ingest_bounce.diagnostic, ingest_bounce.occurred_at,
                                  ingest_bounce.message_id, ingest_bounce.provider,
                                  ingest_bounce.provider_event_id, NULL, ingest_bounce.project);
END
$fn$;
COMMENT ON FUNCTION @extschema@.ingest_bounce(text, @extschema@.bounce_type, text, timestamptz, text, text, text, text) IS
  'Records a bounce (type classified from the diagnostic when not given); a hard bounce suppresses the address at once';

CREATE FUNCTION @extschema@.ingest_complaint(
  address           text,
  occurred_at       timestamptz DEFAULT now(),
  feedback_type     text DEFAULT NULL,
  message_id        text DEFAULT NULL,
  provider          text DEFAULT NULL,
  provider_event_id text DEFAULT NULL,
  project           text DEFAULT 'default')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN @extschema@.ingest_event('complaint', ingest_complaint.address, NULL, NULL,
                                  ingest_complaint.occurred_at, ingest_complaint.message_id,
                                  ingest_complaint.provider, ingest_complaint.provider_event_id,
                                  ingest_complaint.feedback_type, ingest_complaint.project);
END
$fn$;
COMMENT ON FUNCTION @extschema@.ingest_complaint(text, timestamptz, text, text, text, text, text) IS
  'Records a spam complaint; suppresses the address at once';

CREATE FUNCTION @extschema@.ingest_delivery(
  address           text,
  occurred_at       timestamptz DEFAULT now(),
  message_id        text DEFAULT NULL,
  provider          text DEFAULT NULL,
  provider_event_id text DEFAULT NULL,
  project           text DEFAULT 'default')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN @extschema@.ingest_event('delivery', ingest_delivery.address, NULL, NULL,
                                  ingest_delivery.occurred_at, ingest_delivery.message_id,
                                  ingest_delivery.provider, ingest_delivery.provider_event_id,
                                  NULL, ingest_delivery.project);
END
$fn$;
COMMENT ON FUNCTION @extschema@.ingest_delivery(text, timestamptz, text, text, text, text) IS
  'Records a successful delivery; it ends the address''s soft-bounce streak';

-- "May I send?" ------------------------------------------------------------

CREATE FUNCTION @extschema@.is_suppressed(address text, project text DEFAULT 'default')
RETURNS boolean
AS 'MODULE_PATHNAME', 'is_suppressed'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_suppressed(text, text) IS
  'True if the address is suppressed in the project now, NULL for text that is not an address; one primary-key probe';

CREATE FUNCTION @extschema@.block_suppressed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'block_suppressed'
LANGUAGE C;
COMMENT ON FUNCTION @extschema@.block_suppressed() IS
  'Trigger for send-queue tables: block_suppressed(column, ''skip''|''error'' [, project]) drops or refuses rows for suppressed, NULL or invalid addresses';

-- Managing suppressions ----------------------------------------------------

CREATE FUNCTION @extschema@.suppress(
  address    text,
  note       text DEFAULT NULL,
  expires_at timestamptz DEFAULT NULL,
  project    text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_address text;
  v_count bigint;
BEGIN
  IF suppress.address IS NULL THEN
    RAISE EXCEPTION 'address must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF suppress.project IS NULL THEN
    RAISE EXCEPTION 'project must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF suppress.expires_at <= now() THEN
    RAISE EXCEPTION 'expires_at % is not in the future', suppress.expires_at USING ERRCODE = '22023';
  END IF;
  v_address := @extschema@.normalize_address(suppress.address);
  IF v_address IS NULL THEN
    RAISE EXCEPTION 'invalid email address: "%"',
      CASE WHEN length(suppress.address) > 200
           THEN left(suppress.address, 197) || '...' ELSE suppress.address END
      USING ERRCODE = '22023';
  END IF;

  -- an active suppression stays as it is; an expired one is replaced
  INSERT INTO @extschema@.suppressions AS s (project, address, reason, note, expires_at)
  VALUES (suppress.project, v_address, 'manual', suppress.note, suppress.expires_at)
  ON CONFLICT ON CONSTRAINT suppressions_pkey DO UPDATE
     SET reason = excluded.reason, note = excluded.note, expires_at = excluded.expires_at,
         event_id = NULL, created_at = now()
   WHERE s.expires_at <= now();
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count > 0;
END
$fn$;
COMMENT ON FUNCTION @extschema@.suppress(text, text, timestamptz, text) IS
  'Suppresses an address by hand (reason manual); true if it was not suppressed before';

CREATE FUNCTION @extschema@.unsuppress(
  address text,
  note    text,
  force   boolean DEFAULT false,
  project text DEFAULT 'default')
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_address text;
  v_reason @extschema@.suppression_reason;
  v_old_note text;
BEGIN
  IF unsuppress.address IS NULL THEN
    RAISE EXCEPTION 'address must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF unsuppress.project IS NULL THEN
    RAISE EXCEPTION 'project must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF unsuppress.force IS NULL THEN
    RAISE EXCEPTION 'force must not be NULL' USING ERRCODE = '22004';
  END IF;
  v_address := @extschema@.normalize_address(unsuppress.address);
  IF v_address IS NULL THEN
    RAISE EXCEPTION 'invalid email address: "%"',
      CASE WHEN length(unsuppress.address) > 200
           THEN left(unsuppress.address, 197) || '...' ELSE unsuppress.address END
      USING ERRCODE = '22023';
  END IF;

  SELECT s.reason INTO v_reason
    FROM @extschema@.suppressions s
   WHERE s.project = unsuppress.project AND s.address = v_address
     AND (s.expires_at IS NULL OR s.expires_at > now())
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  IF v_reason = 'complaint' AND NOT unsuppress.force THEN
    RAISE EXCEPTION 'address "%" is suppressed because of a complaint', v_address
      USING ERRCODE = '55000',
            DETAIL = 'The recipient reported mail as spam; sending again risks the sender''s reputation.',
            HINT = 'Pass force => true to remove it anyway.';
  END IF;

  -- the log trigger records the note with the removal
  v_old_note := current_setting('bounce_suppress.change_note', true);
  PERFORM set_config('bounce_suppress.change_note', coalesce(unsuppress.note, ''), true);
  DELETE FROM @extschema@.suppressions s
   WHERE s.project = unsuppress.project AND s.address = v_address;
  PERFORM set_config('bounce_suppress.change_note', coalesce(v_old_note, ''), true);
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION @extschema@.unsuppress(text, text, boolean, text) IS
  'Removes a suppression (logged with the note); a complaint needs force; false if the address was not suppressed';

CREATE FUNCTION @extschema@.expire_suppressions()
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_count bigint;
BEGIN
  DELETE FROM @extschema@.suppressions s WHERE s.expires_at <= now();
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION @extschema@.expire_suppressions() IS
  'Deletes suppressions whose expires_at has passed, logging each as expired; returns how many';

-- Health -------------------------------------------------------------------

CREATE FUNCTION @extschema@.record_sent(
  count   bigint DEFAULT 1,
  project text DEFAULT 'default',
  day     date DEFAULT current_date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF record_sent.count IS NULL OR record_sent.project IS NULL OR record_sent.day IS NULL THEN
    RAISE EXCEPTION 'count, project and day must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF record_sent.count < 0 THEN
    RAISE EXCEPTION 'count % is negative', record_sent.count USING ERRCODE = '22023';
  END IF;
  IF record_sent.project = '' THEN
    RAISE EXCEPTION 'project must not be empty' USING ERRCODE = '22023';
  END IF;
  INSERT INTO @extschema@.sent_counts AS c (project, day, sent)
  VALUES (record_sent.project, record_sent.day, record_sent.count)
  ON CONFLICT ON CONSTRAINT sent_counts_pkey DO UPDATE SET sent = c.sent + excluded.sent;
END
$fn$;
COMMENT ON FUNCTION @extschema@.record_sent(bigint, text, date) IS
  'Adds to the count of messages sent (call it per batch); health() divides by it';

CREATE FUNCTION @extschema@.health(
  project text DEFAULT 'default',
  since   timestamptz DEFAULT now() - interval '30 days')
RETURNS TABLE(sent bigint, hard_bounces bigint, soft_bounces bigint, undetermined bigint,
              blocks bigint, complaints bigint, bounce_rate numeric, complaint_rate numeric,
              status text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_project text := $1;
  v_since timestamptz := $2;
BEGIN
  IF v_project IS NULL OR v_since IS NULL THEN
    RAISE EXCEPTION 'project and since must not be NULL' USING ERRCODE = '22004';
  END IF;
  RETURN QUERY
  SELECT x.sent, x.hard, x.soft, x.undetermined, x.blocks, x.complaints,
         round(x.hard::numeric / nullif(x.sent, 0), 6),
         round(x.complaints::numeric / nullif(x.sent, 0), 6),
         CASE WHEN x.sent = 0 THEN 'no_data'
              WHEN x.hard::numeric / x.sent > 0.05 OR x.complaints::numeric / x.sent > 0.003 THEN 'critical'
              WHEN x.hard::numeric / x.sent > 0.02 OR x.complaints::numeric / x.sent > 0.001 THEN 'warning'
              ELSE 'ok' END
    FROM (SELECT coalesce((SELECT sum(c.sent) FROM @extschema@.sent_counts c
                            WHERE c.project = v_project AND c.day >= v_since::date), 0)::bigint AS sent,
                 count(*) FILTER (WHERE e.kind = 'bounce' AND e.bounce_type = 'permanent'
                                  AND NOT e.sender AND e.reason IS DISTINCT FROM 'suppressed') AS hard,
                 count(*) FILTER (WHERE e.kind = 'bounce' AND e.bounce_type = 'transient'
                                  AND NOT e.sender) AS soft,
                 count(*) FILTER (WHERE e.kind = 'bounce' AND e.bounce_type = 'undetermined') AS undetermined,
                 count(*) FILTER (WHERE e.kind = 'bounce' AND e.bounce_type <> 'undetermined'
                                  AND e.sender) AS blocks,
                 count(*) FILTER (WHERE e.kind = 'complaint') AS complaints
            FROM (SELECT ev.kind, ev.bounce_type, ev.reason,
                         coalesce(@extschema@.is_sender_reason(ev.reason), false) AS sender
                    FROM @extschema@.events ev
                   WHERE ev.project = v_project AND ev.occurred_at >= v_since) e) x;
END
$fn$;
COMMENT ON FUNCTION @extschema@.health(text, timestamptz) IS
  'Bounce and complaint counts and rates since a time; status ok, warning (bounces > 2 % or complaints > 0.1 %), critical (> 5 % or > 0.3 %) or no_data';

-- 40_report: whole bounce mails and complaint reports ----------------------
--
-- parse_report reads a mail (RFC 3464 DSN, RFC 5965 ARF, the plain-text
-- bounces of common MTAs) and returns one row per recipient; ingest_report
-- records those rows as events.  Both are one C function (bs_parse_report)
-- that fills the columns it is declared with: _report_rows adds the raw
-- recipient, the report's own id (its Message-ID, else a hash of its bytes)
-- and the ARF feedback type.

CREATE FUNCTION @extschema@.parse_report(message text)
RETURNS TABLE(recipient text, kind @extschema@.event_kind,
              bounce_type @extschema@.bounce_type, reason text,
              reply_code integer, enhanced_status text, diagnostic text,
              remote_mta text, message_id text, occurred_at timestamptz)
AS 'MODULE_PATHNAME', 'bs_parse_report'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION @extschema@.parse_report(text) IS
  'Parses a bounce mail or complaint report: one row per recipient (recipient NULL when the report names something that is not an address); no side effects';

CREATE FUNCTION @extschema@.parse_report(message bytea)
RETURNS TABLE(recipient text, kind @extschema@.event_kind,
              bounce_type @extschema@.bounce_type, reason text,
              reply_code integer, enhanced_status text, diagnostic text,
              remote_mta text, message_id text, occurred_at timestamptz)
AS 'MODULE_PATHNAME', 'bs_parse_report'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION @extschema@.parse_report(bytea) IS
  'Parses a bounce mail or complaint report given as raw bytes (8-bit, any charset): one row per recipient; no side effects';

CREATE FUNCTION @extschema@._report_rows(message bytea)
RETURNS TABLE(recipient text, kind @extschema@.event_kind,
              bounce_type @extschema@.bounce_type, reason text,
              reply_code integer, enhanced_status text, diagnostic text,
              remote_mta text, message_id text, occurred_at timestamptz,
              raw_recipient text, report_id text, feedback_type text)
AS 'MODULE_PATHNAME', 'bs_parse_report'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 2;
COMMENT ON FUNCTION @extschema@._report_rows(bytea) IS
  'Internal: parse_report plus the raw recipient, the report id and the feedback type, for ingest_report';

CREATE FUNCTION @extschema@.ingest_report(message bytea, project text DEFAULT 'default')
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r      record;
  pid    text;
  at     timestamptz;
BEGIN
  IF project IS NULL THEN
    RAISE EXCEPTION 'project must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF message IS NULL THEN
    RETURN;
  END IF;
  FOR r IN SELECT * FROM @extschema@._report_rows(message) LOOP
    -- One bad recipient must not lose the others of a multi-recipient report.
    IF r.recipient IS NULL THEN
      RAISE WARNING 'bounce_suppress: report recipient "%" is not an email address, skipped',
        pg_catalog.left(r.raw_recipient, 200);
      CONTINUE;
    END IF;
    -- The report's own Message-ID plus the recipient: a mailbox read twice
    -- doubles nothing.
    pid := r.report_id OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) r.recipient;
    -- A Date in the future (a wrong clock) must not refuse the report.
    at := r.occurred_at;
    IF at IS NULL OR at OPERATOR(pg_catalog.>) pg_catalog.now() THEN
      at := pg_catalog.now();
    END IF;
    -- the common ingest path: validation, redelivery, the first id back
    RETURN NEXT @extschema@.ingest_event(
      r.kind, r.recipient,
      CASE WHEN r.kind OPERATOR(pg_catalog.=) 'bounce'::@extschema@.event_kind
           THEN COALESCE(r.bounce_type, 'undetermined'::@extschema@.bounce_type) END,
      r.diagnostic, at, r.message_id, 'report', pid, r.feedback_type,
      ingest_report.project, r.reason, r.reply_code, r.enhanced_status, r.remote_mta);
  END LOOP;
  RETURN;
END
$$;
COMMENT ON FUNCTION @extschema@.ingest_report(bytea, text) IS
  'Records a bounce mail or complaint report given as raw bytes: one event per recipient (provider ''report''); idempotent by the report''s Message-ID and the recipient; returns the event ids';

CREATE FUNCTION @extschema@.ingest_report(message text, project text DEFAULT 'default')
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY SELECT * FROM @extschema@.ingest_report(pg_catalog.convert_to(message, 'UTF8'), project);
END
$$;
COMMENT ON FUNCTION @extschema@.ingest_report(text, text) IS
  'Records a bounce mail or complaint report: one event per recipient (provider ''report''); idempotent by the report''s Message-ID and the recipient; returns the event ids';

REVOKE ALL ON FUNCTION @extschema@.ingest_report(bytea, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ingest_report(text, text) FROM PUBLIC;

-- 50_webhook: ESP webhooks (SES, SendGrid, Mailgun, Postmark, SparkPost, ----
-- Mandrill, Resend, Brevo, Mailjet) as events
--
-- ingest_webhook(provider, payload, project) takes a provider's webhook body
-- (one event or an array of them) and records its bounces, complaints and
-- deliveries.  The work is split in three:
--   _webhook_<provider>(event)  one normalizer per provider: reads one
--                               top-level event and returns the events rows
--                               it stands for (none for what is skipped,
--                               several for an SES notification naming
--                               several recipients), or raises an error
--                               naming what is wrong with it;
--   _webhook_row(...)           the one place that builds an events row:
--                               normalizes the recipient, derives the
--                               provider_event_id where the provider has none,
--                               refuses what the table or its trigger would;
--   ingest_webhook              runs the normalizers one event at a time (a
--                               bad event goes to webhook_rejects and the rest
--                               of the batch is kept), then stores all rows in
--                               one INSERT (the rules trigger runs once per
--                               batch) and returns the ids in payload order,
--                               first ids for redelivered events.
-- Reason, reply code and enhanced status are left to the one classifier (the
-- BEFORE INSERT trigger reads the diagnostic) except where the provider's own
-- class says more (its suppression list, block classes, a named subtype).
-- test/fixtures/webhooks/MAPPING.md documents the field mapping per provider.

CREATE SEQUENCE @extschema@.webhook_rejects_id_seq;

CREATE TABLE @extschema@.webhook_rejects (
  id          bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.webhook_rejects_id_seq'),
  provider    text NOT NULL,
  project     text NOT NULL,
  event       jsonb NOT NULL,
  error       text NOT NULL,
  sqlstate    text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  event_md5   text NOT NULL GENERATED ALWAYS AS (pg_catalog.md5(event::text)) STORED,
  CONSTRAINT webhook_rejects_pkey PRIMARY KEY (id),
  CONSTRAINT webhook_rejects_event_key UNIQUE (provider, project, event_md5)
);
ALTER SEQUENCE @extschema@.webhook_rejects_id_seq OWNED BY @extschema@.webhook_rejects.id;
COMMENT ON TABLE @extschema@.webhook_rejects IS
  'Webhook events ingest_webhook could not record (no recipient, wrong types, invalid address, far-future time ...), one row per distinct event, with the error and its SQLSTATE';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhook_rejects', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.webhook_rejects_id_seq', '');

-- Reading fields -------------------------------------------------------------
--
-- Field values are passed around as jsonb and checked where they are used:
-- strings and numbers are taken as text exactly as given (jsonb keeps numbers
-- as numeric, so big ids stay exact), objects, arrays and booleans are an
-- error naming the field.  (Helpers are few on purpose: each PL/pgSQL call
-- costs several microseconds per event.)

CREATE FUNCTION @extschema@._webhook_epoch(v jsonb, what text, per_second integer DEFAULT 1)
RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s text;
  n numeric;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    RETURN NULL;
  END IF;
  s := v #>> '{}';
  -- integer or fractional seconds (or milliseconds), as a number or a string
  IF jsonb_typeof(v) NOT IN ('number', 'string')
     OR s !~ '^\s*[0-9]{1,20}(\.[0-9]{1,12})?\s*$' THEN
    RAISE EXCEPTION 'field "%" is not a Unix time: %', what, left(v::text, 100)
      USING ERRCODE = '22007';
  END IF;
  n := s::numeric / per_second;
  IF n >= 253402300800 THEN  -- 10000-01-01
    RAISE EXCEPTION 'field "%" is out of range: %', what, s USING ERRCODE = '22008';
  END IF;
  -- exact to the microsecond: no float seconds
  RETURN timestamptz '1970-01-01 00:00:00+00'
         + interval '1 second' * trunc(n)::bigint
         + interval '1 microsecond' * round((n - trunc(n)) * 1000000)::bigint;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_epoch(jsonb, text, integer) IS
  'Internal: a Unix time field (number or numeric string; seconds, fractional seconds, or milliseconds with per_second 1000) as timestamptz, exact to the microsecond';

CREATE FUNCTION @extschema@._webhook_time(v jsonb, what text)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s text;
BEGIN
  IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
    RETURN NULL;
  ELSIF jsonb_typeof(v) = 'number' THEN
    RETURN @extschema@._webhook_epoch(v, what);
  ELSIF jsonb_typeof(v) <> 'string' THEN
    RAISE EXCEPTION 'field "%" is not a time: %', what, left(v::text, 100) USING ERRCODE = '22007';
  END IF;
  s := v #>> '{}';
  IF btrim(s) = '' THEN
    RETURN NULL;
  END IF;
  -- ISO 8601; a time without a zone is UTC
  IF s ~* '(z|[+-][0-9]{2}(:?[0-9]{2})?|utc|gmt)\s*$' THEN
    RETURN s::timestamptz;
  END IF;
  RETURN s::timestamp AT TIME ZONE 'UTC';
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_time(jsonb, text) IS
  'Internal: an ISO 8601 time field as timestamptz (UTC when it names no zone; a JSON number is a Unix time)';

CREATE FUNCTION @extschema@._webhook_list(v jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF jsonb_typeof(v) = 'array' AND jsonb_array_length(v) > 0 THEN
    RETURN v;
  ELSIF jsonb_typeof(v) IN ('string', 'object') THEN
    RETURN jsonb_build_array(v);
  ELSIF v IS NULL OR jsonb_typeof(v) = 'null' OR jsonb_typeof(v) = 'array' THEN
    RAISE EXCEPTION 'the event names no recipient (field "%" is missing or empty)', what
      USING ERRCODE = '22004';
  END IF;
  RAISE EXCEPTION 'field "%" must be a list of recipients, not %', what, jsonb_typeof(v)
    USING ERRCODE = '22023';
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_list(jsonb, text) IS
  'Internal: a recipient list field as a non-empty JSON array (a single string or object counts as a list of one); an error for a missing or empty list';

-- Provider classes shared by several providers ---------------------------------

CREATE FUNCTION @extschema@._webhook_bounce_type(t text)
RETURNS @extschema@.bounce_type
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- The provider's own word, kept as given; anything else is left to the classifier.
  RETURN CASE lower(btrim(t))
           WHEN 'permanent' THEN 'permanent'
           WHEN 'hard' THEN 'permanent'
           WHEN 'transient' THEN 'transient'
           WHEN 'soft' THEN 'transient'
           WHEN 'undetermined' THEN 'undetermined'
         END::@extschema@.bounce_type;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_bounce_type(text) IS
  'Internal: a provider''s Permanent/Transient/Undetermined (also hard/soft) as bounce_type; NULL for anything else';

CREATE FUNCTION @extschema@._webhook_ses_reason(subtype text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- SES bounceSubType (Resend uses the same words); General and Undetermined
  -- say nothing more than the diagnostic, which the classifier reads.
  RETURN CASE subtype
           WHEN 'Suppressed' THEN 'suppressed'
           WHEN 'OnAccountSuppressionList' THEN 'suppressed'
           WHEN 'NoEmail' THEN 'user_unknown'
           WHEN 'MailboxFull' THEN 'mailbox_full'
           WHEN 'MessageTooLarge' THEN 'message_too_big'
           WHEN 'ContentRejected' THEN 'content_error'
           WHEN 'AttachmentRejected' THEN 'content_error'
         END;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_ses_reason(text) IS
  'Internal: the reason an SES (or Resend) bounceSubType names, NULL where the diagnostic must tell';

CREATE FUNCTION @extschema@._webhook_momentum_class(
  cls integer, diagnostic text,
  OUT bounce_type @extschema@.bounce_type, OUT reason text, OUT skip boolean)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- Momentum bounce classes: SparkPost's bounce_class, Mandrill's bgtools_code.
  skip := false;
  CASE
    WHEN cls = 1 THEN bounce_type := 'undetermined';
    WHEN cls = 10 THEN bounce_type := 'permanent'; reason := 'user_unknown';
    WHEN cls = 30 THEN bounce_type := 'permanent';
    WHEN cls IN (20, 24, 40, 70) THEN bounce_type := 'transient';
    WHEN cls = 21 THEN bounce_type := 'transient'; reason := 'host_unknown';
    WHEN cls = 22 THEN bounce_type := 'transient'; reason := 'mailbox_full';
    WHEN cls = 23 THEN bounce_type := 'transient'; reason := 'message_too_big';
    WHEN cls = 25 THEN
      -- Admin failure: the provider's own policy.  Its suppression list
      -- suppresses here too; its other policies (sending limits) are the sender's.
      IF diagnostic ~* '(suppress|black ?list|block ?list|deny ?list)' THEN
        bounce_type := 'permanent'; reason := 'suppressed';
      ELSE
        bounce_type := 'transient'; reason := 'policy_violation';
      END IF;
    -- block classes: the sender's reputation or content, not the address
    WHEN cls = 50 THEN bounce_type := 'transient'; reason := 'blocked';
    WHEN cls = 51 THEN bounce_type := 'transient'; reason := 'bad_reputation';
    WHEN cls = 52 THEN bounce_type := 'transient'; reason := 'spam_detected';
    WHEN cls = 53 THEN bounce_type := 'transient'; reason := 'content_error';
    WHEN cls = 54 THEN bounce_type := 'transient'; reason := 'relay_denied';
    -- auto-reply, subscribe, unsubscribe, challenge-response: not bounces
    WHEN cls IN (60, 80, 90, 100) THEN skip := true;
    ELSE NULL;  -- unknown class: the classifier reads the diagnostic
  END CASE;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_momentum_class(integer, text) IS
  'Internal: bounce type and reason of a Momentum bounce class (SparkPost bounce_class, Mandrill bgtools_code); skip for classes that are not bounces';

-- The one place an events row is built -------------------------------------------

CREATE FUNCTION @extschema@._webhook_row(
  kind            @extschema@.event_kind,
  recipient       jsonb,
  bounce_type     @extschema@.bounce_type,
  reason          text,
  reply_code      jsonb,
  enhanced_status jsonb,
  diagnostic      jsonb,
  message_id      jsonb,
  occurred_at     timestamptz,
  provider        text,
  event_id        jsonb,
  key_fields      text,
  feedback_type   jsonb DEFAULT NULL,
  remote_mta      jsonb DEFAULT NULL)
RETURNS @extschema@.events
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r @extschema@.events;
  v_rcpt text;
  v_code text;
  v_bad text;
BEGIN
  -- every field a string or a number (or missing)
  v_bad := CASE
    WHEN jsonb_typeof(_webhook_row.recipient) IN ('object', 'array', 'boolean') THEN 'recipient'
    WHEN jsonb_typeof(_webhook_row.event_id) IN ('object', 'array', 'boolean') THEN 'event id'
    WHEN jsonb_typeof(_webhook_row.message_id) IN ('object', 'array', 'boolean') THEN 'message id'
    WHEN jsonb_typeof(_webhook_row.diagnostic) IN ('object', 'array', 'boolean') THEN 'diagnostic'
    WHEN jsonb_typeof(_webhook_row.reply_code) IN ('object', 'array', 'boolean') THEN 'reply code'
    WHEN jsonb_typeof(_webhook_row.enhanced_status) IN ('object', 'array', 'boolean') THEN 'enhanced status'
    WHEN jsonb_typeof(_webhook_row.feedback_type) IN ('object', 'array', 'boolean') THEN 'feedback type'
    WHEN jsonb_typeof(_webhook_row.remote_mta) IN ('object', 'array', 'boolean') THEN 'remote MTA'
  END;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'the % of the % event must be a string or a number', v_bad, _webhook_row.kind
      USING ERRCODE = '22023';
  END IF;

  v_rcpt := btrim(_webhook_row.recipient #>> '{}');
  IF v_rcpt IS NULL OR v_rcpt = '' THEN
    RAISE EXCEPTION 'the % event names no recipient', _webhook_row.kind USING ERRCODE = '22004';
  END IF;
  r.address := @extschema@.normalize_address(v_rcpt);
  IF r.address IS NULL THEN
    RAISE EXCEPTION 'invalid email address: "%"',
      CASE WHEN length(v_rcpt) > 200 THEN left(v_rcpt, 197) || '...' ELSE v_rcpt END
      USING ERRCODE = '22023';
  END IF;
  -- the events trigger would refuse it (and the whole batch with it)
  r.occurred_at := coalesce(_webhook_row.occurred_at, now());
  IF r.occurred_at > now() + interval '1 day' THEN
    RAISE EXCEPTION 'occurred_at % is more than a day in the future', r.occurred_at
      USING ERRCODE = '22023';
  END IF;
  r.kind := _webhook_row.kind;
  r.bounce_type := CASE WHEN _webhook_row.kind = 'bounce' THEN _webhook_row.bounce_type END;
  r.reason := _webhook_row.reason;
  -- codes the table would refuse are left to the classifier (the diagnostic)
  v_code := btrim(_webhook_row.reply_code #>> '{}');
  IF v_code ~ '^[2-5][0-9][0-9]$' THEN
    r.reply_code := v_code::integer;
  END IF;
  v_code := btrim(_webhook_row.enhanced_status #>> '{}');
  IF v_code ~ '^[245]\.[0-9]{1,3}\.[0-9]{1,3}$' THEN
    r.enhanced_status := v_code;
  END IF;
  r.diagnostic := nullif(btrim(_webhook_row.diagnostic #>> '{}'), '');
  r.message_id := nullif(btrim(_webhook_row.message_id #>> '{}'), '');
  r.feedback_type := nullif(btrim(_webhook_row.feedback_type #>> '{}'), '');
  r.remote_mta := nullif(btrim(_webhook_row.remote_mta #>> '{}'), '');
  r.provider := _webhook_row.provider;
  -- The provider's event id where it has one (events keys it per address);
  -- else a key from the event's own fields and the recipient.
  r.provider_event_id := coalesce(
    nullif(btrim(_webhook_row.event_id #>> '{}'), ''),
    'derived:' || md5(coalesce(_webhook_row.key_fields, '') || chr(31) || r.address));
  RETURN r;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_row(@extschema@.event_kind, jsonb, @extschema@.bounce_type, text, jsonb, jsonb, jsonb, jsonb, timestamptz, text, jsonb, text, jsonb, jsonb) IS
  'Internal: one events row from a webhook event''s fields (strings or numbers, taken exactly); normalizes the recipient, derives provider_event_id (''derived:'' + md5 of the event''s own fields and the recipient) where the provider gives none; errors name what is wrong';

-- SES --------------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_ses(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  m jsonb := ev;
  o jsonb;
  lst jsonb;
  rc jsonb;
  rows @extschema@.events[] := '{}';
  t text;
  k integer;
  v_type @extschema@.bounce_type;
  v_reason text;
  v_kind @extschema@.event_kind;
  v_fb text;
  v_at timestamptz;
BEGIN
  IF ev ? 'Type' THEN
    -- an SNS envelope; only a Notification carries an SES event
    t := ev->>'Type';
    IF t IS DISTINCT FROM 'Notification' THEN
      RAISE NOTICE 'bounce_suppress: SNS % message skipped (no event in it)', coalesce(t, 'untyped')
        USING DETAIL = coalesce('TopicArn: ' || (ev->>'TopicArn'), 'no TopicArn'),
              HINT = coalesce('To confirm the subscription, visit its SubscribeURL: ' || (ev->>'SubscribeURL'),
                              'Nothing to do.');
      RETURN rows;
    END IF;
    m := ev->'Message';
    IF jsonb_typeof(m) = 'string' THEN
      m := (m #>> '{}')::jsonb;
    END IF;
    IF jsonb_typeof(m) IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION 'the SNS Message is not an SES event (a JSON object)' USING ERRCODE = '22023';
    END IF;
  END IF;

  t := coalesce(m->>'eventType', m->>'notificationType');
  IF t = 'Bounce' THEN
    o := m->'bounce';
    v_kind := 'bounce';
    v_type := @extschema@._webhook_bounce_type(o->>'bounceType');
    v_reason := @extschema@._webhook_ses_reason(o->>'bounceSubType');
    lst := @extschema@._webhook_list(o->'bouncedRecipients', 'bounce.bouncedRecipients');
  ELSIF t = 'Complaint' THEN
    o := m->'complaint';
    v_fb := o->>'complaintFeedbackType';
    IF lower(v_fb) = 'not-spam' THEN
      RETURN rows;  -- the recipient says it is not spam: no complaint
    END IF;
    IF o->>'complaintSubType' = 'OnAccountSuppressionList' THEN
      -- SES did not send: the address is on the account's suppression list
      v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
    ELSE
      v_kind := 'complaint';
    END IF;
    lst := @extschema@._webhook_list(o->'complainedRecipients', 'complaint.complainedRecipients');
  ELSIF t = 'Delivery' THEN
    o := m->'delivery';
    v_kind := 'delivery';
    lst := @extschema@._webhook_list(o->'recipients', 'delivery.recipients');
  ELSIF t IN ('DeliveryDelay', 'Send', 'Reject', 'Open', 'Click', 'Rendering Failure',
              'Subscription') THEN
    -- delays (SES still retries), engagement, sends SES refused for their
    -- content: nothing about the address
    RETURN rows;
  ELSIF t = 'AmazonSnsSubscriptionSucceeded' THEN
    RAISE NOTICE 'bounce_suppress: SES set-up message skipped (%)', t;
    RETURN rows;
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not an SES event: neither eventType nor notificationType is set'
      USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown SES event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  IF jsonb_typeof(o) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'the SES % event has no % object', t, lower(t) USING ERRCODE = '22023';
  END IF;
  v_at := coalesce(@extschema@._webhook_time(o->'timestamp', lower(t) || '.timestamp'),
                   @extschema@._webhook_time(m->'mail'->'timestamp', 'mail.timestamp'));
  -- one notification, several recipients: one row each (the key includes the recipient)
  FOR k IN 0 .. jsonb_array_length(lst) - 1 LOOP
    rc := lst->k;
    rows := array_append(rows, @extschema@._webhook_row(
      v_kind, CASE WHEN jsonb_typeof(rc) = 'object' THEN rc->'emailAddress' ELSE rc END,
      v_type, v_reason, NULL, rc->'status',
      CASE WHEN v_kind = 'delivery' THEN o->'smtpResponse' ELSE rc->'diagnosticCode' END,
      m->'mail'->'messageId', v_at, 'ses',
      o->'feedbackId',  -- bounces and complaints; deliveries have none
      format(E'%s\x1f%s\x1f%s', t, m->'mail'->>'messageId', o->>'timestamp'),
      CASE WHEN v_kind = 'complaint' THEN o->'complaintFeedbackType' END,
      o->'remoteMtaIp'));
  END LOOP;
  RETURN rows;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_ses(jsonb) IS
  'Internal: events rows of one Amazon SES webhook event (SNS envelope or bare; identity notification or event publishing); one per recipient';

-- SendGrid ---------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_sendgrid(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text := ev->>'event';
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
  v_class text;
  v_status text := btrim(ev->>'status');
  v_at timestamptz;
  v_parsed @extschema@.smtp_reply;
BEGIN
  IF t = 'bounce' THEN
    v_kind := 'bounce';
    v_class := ev->>'bounce_classification';
    -- SendGrid's classes that blame the sender
    v_reason := CASE v_class
                  WHEN 'Reputation' THEN 'bad_reputation'
                  WHEN 'Content' THEN 'content_error'
                  WHEN 'Frequency or Volume Too High' THEN 'rate_limited'
                END;
    IF lower(ev->>'type') = 'blocked' THEN
      -- a block: refused, SendGrid does not retry, not the address's fault
      v_type := 'transient';
      IF v_reason IS NULL AND (v_class IS NULL OR v_class = 'Unclassified') THEN
        -- the sender's, unless the text names a more precise sender reason
        v_parsed := @extschema@.parse_smtp_reply(coalesce(ev->>'reason', ''));
        v_reason := CASE WHEN coalesce(@extschema@.is_sender_reason(v_parsed.reason), false)
                         THEN v_parsed.reason ELSE 'blocked' END;
      END IF;
    ELSE
      v_type := 'permanent';
    END IF;
  ELSIF t IS NULL AND ev ? 'created' AND ev ? 'email' THEN
    -- the Bounces API / export shape (no event field): a bounce to classify
    v_kind := 'bounce';
    v_at := @extschema@._webhook_time(ev->'created', 'created');
  ELSIF t = 'dropped' THEN
    -- SendGrid did not send.  Its own suppression lists suppress here too;
    -- unsubscribes and the sender's faults say nothing about the address.
    IF coalesce(lower(btrim(ev->>'reason')), '') NOT IN ('bounced address', 'spam reporting address', 'invalid') THEN
      RETURN '{}';
    END IF;
    v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
  ELSIF t = 'spamreport' THEN
    v_kind := 'complaint';
  ELSIF t = 'delivered' THEN
    v_kind := 'delivery';
  ELSIF t IN ('processed', 'deferred', 'open', 'click', 'unsubscribe', 'group_unsubscribe',
              'group_resubscribe', 'machine_opened') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a SendGrid event: no "event" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown SendGrid event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, ev->'email', v_type, v_reason,
    -- status is the enhanced status; old exports put the reply code there
    CASE WHEN v_kind = 'bounce' THEN ev->'status' END,
    CASE WHEN v_kind = 'bounce' THEN ev->'status' END,
    CASE WHEN v_kind = 'bounce' THEN ev->'reason' WHEN v_kind = 'delivery' THEN ev->'response' END,
    coalesce(ev->'sg_message_id', ev->'smtp-id'),
    coalesce(v_at, @extschema@._webhook_epoch(ev->'timestamp', 'timestamp')), 'sendgrid',
    ev->'sg_event_id',
    format(E'%s\x1f%s\x1f%s\x1f%s', coalesce(t, 'bounce'), coalesce(ev->>'sg_message_id', ev->>'smtp-id'),
           coalesce(ev->>'timestamp', ev->>'created'), ev->>'reason'),
    NULL, CASE WHEN v_kind = 'delivery' THEN ev->'ip' END)];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_sendgrid(jsonb) IS
  'Internal: events rows of one SendGrid Event Webhook event (bounce, blocked, dropped for a suppressed address, spamreport, delivered)';

-- Mailgun ----------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_mailgun(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  d jsonb := CASE WHEN ev ? 'event-data' THEN ev->'event-data' ELSE ev END;
  ds jsonb;
  t text;
  v_sev text;
  v_why text;
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
BEGIN
  IF jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'field "event-data" must be an object' USING ERRCODE = '22023';
  END IF;
  t := d->>'event';
  ds := d->'delivery-status';
  IF jsonb_typeof(ds) = 'null' THEN
    ds := NULL;
  ELSIF jsonb_typeof(ds) <> 'object' THEN
    RAISE EXCEPTION 'field "delivery-status" must be an object' USING ERRCODE = '22023';
  END IF;

  IF t = 'failed' THEN
    v_kind := 'bounce';
    v_sev := lower(d->>'severity');
    v_why := lower(d->>'reason');
    IF v_why = 'old' THEN
      -- Mailgun gave up retrying (sent as permanent; older payloads say temporary)
      v_type := 'transient'; v_reason := 'expired';
    ELSIF v_sev = 'temporary' THEN
      RETURN '{}';  -- a delay: Mailgun is still retrying
    ELSIF v_why IN ('suppress-bounce', 'suppress-complaint') THEN
      v_type := 'permanent'; v_reason := 'suppressed';
    ELSIF v_why = 'suppress-unsubscribe' THEN
      RETURN '{}';  -- unsubscribes are list management, not bounces
    ELSIF v_sev = 'permanent' THEN
      v_type := 'permanent';
    END IF;  -- no severity: the classifier reads the message
  ELSIF t = 'complained' THEN
    v_kind := 'complaint';
  ELSIF t = 'delivered' THEN
    v_kind := 'delivery';
  ELSIF t IN ('accepted', 'rejected', 'opened', 'clicked', 'unsubscribed', 'stored',
              'list_member_uploaded', 'list_member_upload_error', 'list_uploaded') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a Mailgun event: no "event" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Mailgun event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, d->'recipient', v_type, v_reason,
    CASE WHEN v_kind = 'bounce' THEN ds->'code' END,
    CASE WHEN v_kind = 'bounce' THEN ds->'enhanced-code' END,
    CASE WHEN nullif(btrim(ds->>'message'), '') IS NOT NULL THEN ds->'message'
         ELSE ds->'description' END,
    d->'message'->'headers'->'message-id',
    @extschema@._webhook_epoch(d->'timestamp', 'event-data.timestamp'), 'mailgun',
    d->'id',
    format(E'%s\x1f%s\x1f%s', t, d->'message'->'headers'->>'message-id', d->>'timestamp'),
    NULL, ds->'mx-host')];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_mailgun(jsonb) IS
  'Internal: events rows of one Mailgun webhook (signature + event-data): failed (permanent; reason old = expired), complained, delivered';

-- Postmark ---------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_postmark(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  rt text := ev->>'RecordType';
  v_kind @extschema@.event_kind := 'bounce';
  v_type @extschema@.bounce_type;
  v_reason text;
  v_parsed @extschema@.smtp_reply;
BEGIN
  IF rt = 'Bounce' THEN
    CASE ev->>'Type'  -- the Type name; TypeCode is unreliable (Postmark's own examples disagree)
      WHEN 'HardBounce', 'BadEmailAddress' THEN v_type := 'permanent';
      WHEN 'SoftBounce', 'DnsError' THEN v_type := 'transient';
      WHEN 'Unknown' THEN v_type := 'undetermined';
      -- Postmark deactivated the address by hand: its suppression
      WHEN 'ManuallyDeactivated' THEN v_type := 'permanent'; v_reason := 'suppressed';
      -- block classes: the sender's reputation or content, not the address
      WHEN 'Blocked' THEN v_type := 'transient'; v_reason := 'blocked';
      WHEN 'SpamNotification' THEN v_type := 'transient'; v_reason := 'spam_detected';
      WHEN 'VirusNotification' THEN v_type := 'transient'; v_reason := 'virus_detected';
      WHEN 'DMARCPolicy' THEN v_type := 'transient'; v_reason := 'auth_failure';
      WHEN 'SpamComplaint' THEN v_kind := 'complaint';
      -- a delay (Postmark retries), auto-replies, list traffic, API errors
      WHEN 'Transient', 'AutoResponder', 'Subscribe', 'Unsubscribe', 'AddressChange',
           'OpenRelayTest', 'ChallengeVerification', 'Unconfirmed', 'InboundError',
           'SMTPApiError', 'TemplateRenderingFailed' THEN
        RETURN '{}';
      ELSE NULL;  -- an unknown Type: the classifier reads Details
    END CASE;
    IF v_reason = 'blocked' THEN
      -- the sender's, unless the text names a more precise sender reason
      v_parsed := @extschema@.parse_smtp_reply(coalesce(ev->>'Details', ''));
      IF coalesce(@extschema@.is_sender_reason(v_parsed.reason), false) THEN
        v_reason := v_parsed.reason;
      END IF;
    END IF;
  ELSIF rt = 'SpamComplaint' THEN
    v_kind := 'complaint';
  ELSIF rt = 'Delivery' THEN
    RETURN ARRAY[@extschema@._webhook_row(
      'delivery', ev->'Recipient', NULL, NULL, NULL, NULL, ev->'Details', ev->'MessageID',
      @extschema@._webhook_time(ev->'DeliveredAt', 'DeliveredAt'), 'postmark', NULL,
      format(E'Delivery\x1f%s\x1f%s', ev->>'MessageID', ev->>'DeliveredAt'))];
  ELSIF rt IN ('Open', 'Click', 'SubscriptionChange', 'Inbound') THEN
    RETURN '{}';
  ELSIF rt IS NULL THEN
    RAISE EXCEPTION 'not a Postmark event: no "RecordType" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Postmark RecordType "%"', left(rt, 100) USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, ev->'Email', v_type, v_reason, NULL, NULL,
    CASE WHEN v_kind = 'bounce' THEN ev->'Details' END,
    ev->'MessageID', @extschema@._webhook_time(ev->'BouncedAt', 'BouncedAt'), 'postmark',
    ev->'ID',
    format(E'%s\x1f%s\x1f%s', rt, ev->>'MessageID', ev->>'BouncedAt'))];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_postmark(jsonb) IS
  'Internal: events rows of one Postmark webhook (RecordType Bounce by Type, SpamComplaint, Delivery)';

-- SparkPost --------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_sparkpost(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  msys jsonb := ev->'msys';
  e jsonb;
  t text;
  v_cls text;
  v_diag jsonb;
  v_mc record;
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
BEGIN
  IF jsonb_typeof(msys) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'not a SparkPost event: no "msys" object' USING ERRCODE = '22023';
  END IF;
  -- {"msys": {"<event class>": {...}}}; {"msys": {}} is the endpoint test
  IF msys = '{}' THEN
    RETURN '{}';
  END IF;
  e := coalesce(msys->'message_event', msys->'track_event', msys->'gen_event',
                msys->'unsubscribe_event', msys->'relay_event', msys->'ab_test_event',
                msys->'ingest_event');
  IF jsonb_typeof(e) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'not a SparkPost event: no event class object in "msys"' USING ERRCODE = '22023';
  END IF;
  t := e->>'type';
  v_diag := CASE WHEN e ? 'raw_reason' THEN e->'raw_reason' ELSE e->'reason' END;

  IF t IN ('bounce', 'out_of_band', 'policy_rejection', 'generation_rejection') THEN
    -- bounce_class comes as a string ("10") or a number
    v_cls := btrim(e->>'bounce_class');
    IF jsonb_typeof(e->'bounce_class') NOT IN ('string', 'number', 'null')
       OR v_cls !~ '^[0-9]{1,4}$' THEN
      RAISE EXCEPTION 'field "bounce_class" is not a number: %', left((e->'bounce_class')::text, 100)
        USING ERRCODE = '22023';
    END IF;
    v_mc := @extschema@._webhook_momentum_class(v_cls::integer, v_diag #>> '{}');
    IF v_mc.skip THEN
      RETURN '{}';
    END IF;
    IF t IN ('policy_rejection', 'generation_rejection')
       AND v_mc.reason IS DISTINCT FROM 'suppressed' THEN
      RETURN '{}';  -- SparkPost refused to send for the sender's policy: not the address
    END IF;
    v_kind := 'bounce'; v_type := v_mc.bounce_type; v_reason := v_mc.reason;
  ELSIF t = 'spam_complaint' THEN
    IF lower(e->>'fbtype') = 'not-spam' THEN
      RETURN '{}';
    END IF;
    v_kind := 'complaint'; v_diag := NULL;
  ELSIF t = 'delivery' THEN
    v_kind := 'delivery';
  ELSIF t IN ('delay', 'injection', 'open', 'initial_open', 'click', 'amp_open',
              'amp_initial_open', 'amp_click', 'generation_failure', 'list_unsubscribe',
              'link_unsubscribe', 'relay_injection', 'relay_rejection', 'relay_delivery',
              'relay_tempfail', 'relay_permfail', 'sms_status', 'ab_test_completed',
              'ab_test_cancelled', 'success', 'error') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a SparkPost event: no "type" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown SparkPost event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, coalesce(e->'raw_rcpt_to', e->'rcpt_to'), v_type, v_reason,
    CASE WHEN v_kind = 'bounce' THEN e->'error_code' END, NULL, v_diag,
    e->'message_id', @extschema@._webhook_epoch(e->'timestamp', 'timestamp'), 'sparkpost',
    e->'event_id',
    format(E'%s\x1f%s\x1f%s', t, e->>'message_id', e->>'timestamp'),
    CASE WHEN v_kind = 'complaint' THEN e->'fbtype' END)];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_sparkpost(jsonb) IS
  'Internal: events rows of one SparkPost webhook element ({msys: {message_event: ...}}): bounce and out_of_band by bounce_class, suppression rejections, spam_complaint, delivery';

-- Mandrill ---------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_mandrill(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text := ev->>'event';
  msg jsonb := ev->'msg';
  v_code text;
  v_mc record;
  v_why text;
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
BEGIN
  IF t IS NULL AND ev ? 'type' THEN
    RETURN '{}';  -- a sync event (allow/deny list changes): no message behind it
  END IF;
  IF t IN ('hard_bounce', 'soft_bounce') THEN
    v_kind := 'bounce';
    v_type := CASE t WHEN 'hard_bounce' THEN 'permanent' ELSE 'transient' END;
    v_reason := CASE msg->>'bounce_description'
                  WHEN 'bad_mailbox' THEN 'user_unknown'
                  WHEN 'invalid_domain' THEN 'host_unknown'
                  WHEN 'mailbox_full' THEN 'mailbox_full'
                  WHEN 'spam_related' THEN 'spam_detected'
                  WHEN 'policy_related' THEN 'policy_violation'
                END;
    v_code := btrim(msg->>'bgtools_code');
    IF v_reason IS NULL AND v_code ~ '^5[0-4]$' THEN
      -- a Momentum block class: the sender's, not the address
      v_mc := @extschema@._webhook_momentum_class(v_code::integer, NULL);
      v_reason := v_mc.reason;
    END IF;
  ELSIF t = 'spam' THEN
    v_kind := 'complaint';
  ELSIF t = 'reject' THEN
    -- Mandrill refused to send to an address on its rejection list
    v_why := lower(coalesce(msg->'reject'->>'reason', ev->'reject'->>'reason'));
    IF v_why IS NOT NULL AND v_why NOT IN ('hard-bounce', 'spam') THEN
      RETURN '{}';  -- unsubscribes and the sender's own rules
    END IF;
    v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
  ELSIF t = 'delivered' THEN
    v_kind := 'delivery';
  ELSIF t IN ('send', 'deferral', 'open', 'click', 'unsub', 'inbound') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a Mandrill event: no "event" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Mandrill event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;
  IF jsonb_typeof(msg) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'the Mandrill % event has no "msg" object', t USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, msg->'email', v_type, v_reason, NULL, NULL,
    CASE WHEN v_kind = 'bounce' THEN msg->'diag' END,
    coalesce(ev->'_id', msg->'_id'), @extschema@._webhook_epoch(ev->'ts', 'ts'), 'mandrill', NULL,
    -- no event id: the message id, the event and its time
    format(E'%s\x1f%s\x1f%s', t, coalesce(ev->>'_id', msg->>'_id'), ev->>'ts'))];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_mandrill(jsonb) IS
  'Internal: events rows of one Mandrill (Mailchimp Transactional) event: hard_bounce, soft_bounce, spam, reject, delivered; key derived from _id, event and ts';

-- Resend -----------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_resend(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text := ev->>'type';
  d jsonb := ev->'data';
  lst jsonb;
  rows @extschema@.events[] := '{}';
  k integer;
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
  v_diag jsonb;
  v_at timestamptz;
BEGIN
  IF t = 'email.bounced' THEN
    v_kind := 'bounce';
    v_type := @extschema@._webhook_bounce_type(d->'bounce'->>'type');
    v_reason := @extschema@._webhook_ses_reason(d->'bounce'->>'subType');
    v_diag := d->'bounce'->'message';
  ELSIF t = 'email.suppressed' THEN
    -- Resend did not send: the address is on its suppression list
    v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
    v_diag := d->'suppressed'->'message';
  ELSIF t = 'email.complained' THEN
    v_kind := 'complaint';
  ELSIF t = 'email.delivered' THEN
    v_kind := 'delivery';
  ELSIF t IN ('email.sent', 'email.scheduled', 'email.delivery_delayed', 'email.opened',
              'email.clicked', 'email.received', 'email.failed')
        OR t ~ '^(contact|domain|suppression)\.' THEN
    RETURN rows;
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a Resend event: no "type" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Resend event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;
  IF jsonb_typeof(d) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION 'the Resend % event has no "data" object', t USING ERRCODE = '22023';
  END IF;

  lst := @extschema@._webhook_list(d->'to', 'data.to');
  v_at := coalesce(@extschema@._webhook_time(ev->'created_at', 'created_at'),
                   @extschema@._webhook_time(d->'created_at', 'data.created_at'));
  FOR k IN 0 .. jsonb_array_length(lst) - 1 LOOP
    rows := array_append(rows, @extschema@._webhook_row(
      v_kind, lst->k, v_type, v_reason, NULL, NULL, v_diag, d->'email_id', v_at, 'resend', NULL,
      -- the event id travels only in the svix-id header: derive one
      format(E'%s\x1f%s\x1f%s', t, d->>'email_id', ev->>'created_at')));
  END LOOP;
  RETURN rows;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_resend(jsonb) IS
  'Internal: events rows of one Resend webhook (email.bounced, email.suppressed, email.complained, email.delivered), one per data.to; key derived from type, email_id and created_at';

-- Brevo ------------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_brevo(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text := ev->>'event';
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
BEGIN
  IF t IN ('hard_bounce', 'invalid_email') THEN
    v_kind := 'bounce'; v_type := 'permanent';
  ELSIF t = 'soft_bounce' THEN
    v_kind := 'bounce'; v_type := 'transient';
  ELSIF t = 'blocked' THEN
    -- Brevo did not send: the contact is on its blocklist
    v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
  ELSIF t IN ('spam', 'complaint') THEN
    v_kind := 'complaint';
  ELSIF t = 'delivered' THEN
    v_kind := 'delivery';
  ELSIF t IN ('request', 'sent', 'deferred', 'error', 'click', 'opened', 'unique_opened',
              'proxy_open', 'unique_proxy_open', 'unsubscribed', 'list_addition') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a Brevo event: no "event" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Brevo event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, ev->'email', v_type, v_reason, NULL, NULL,
    CASE WHEN v_kind = 'bounce' THEN ev->'reason' END, ev->'message-id',
    -- ts_epoch: UTC milliseconds; ts_event: UTC seconds (ts and date follow the account's zone)
    CASE WHEN ev ? 'ts_epoch' THEN @extschema@._webhook_epoch(ev->'ts_epoch', 'ts_epoch', 1000)
         ELSE @extschema@._webhook_epoch(ev->'ts_event', 'ts_event') END,
    'brevo', NULL,
    -- "id" is the webhook's, not the event's: derive one
    format(E'%s\x1f%s\x1f%s', t, ev->>'message-id', coalesce(ev->>'ts_epoch', ev->>'ts_event')))];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_brevo(jsonb) IS
  'Internal: events rows of one Brevo transactional webhook event (hard_bounce, invalid_email, soft_bounce, blocked, spam/complaint, delivered); key derived from message-id, event and ts_epoch';

-- Mailjet ----------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_mailjet(ev jsonb)
RETURNS @extschema@.events[]
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t text := ev->>'event';
  v_err text := lower(ev->>'error');
  v_hard text := lower(ev->>'hard_bounce');
  v_kind @extschema@.event_kind;
  v_type @extschema@.bounce_type;
  v_reason text;
  v_diag jsonb;
BEGIN
  IF t = 'bounce' THEN
    IF v_err = 'greylisted' THEN
      RETURN '{}';  -- a delay: retried
    END IF;
    v_kind := 'bounce';
    v_type := CASE WHEN v_hard IN ('true', '1') THEN 'permanent'
                   WHEN v_hard IN ('false', '0') THEN 'transient' END;
    -- Mailjet's error names the class (error_related_to says whose)
    v_reason := CASE v_err
                  WHEN 'user unknown' THEN 'user_unknown'
                  WHEN 'mailbox inactive' THEN 'mailbox_disabled'
                  WHEN 'quota exceeded' THEN 'mailbox_full'
                  WHEN 'invalid domain' THEN 'host_unknown'
                  WHEN 'no mail host' THEN 'host_unknown'
                  WHEN 'relay/access denied' THEN 'relay_denied'
                  WHEN 'sender blocked' THEN 'blocked'
                  WHEN 'content blocked' THEN 'spam_detected'
                  WHEN 'policy issue' THEN 'policy_violation'
                  WHEN 'system issue' THEN 'system_error'
                  WHEN 'protocol issue' THEN 'syntax_error'
                  WHEN 'connection issue' THEN 'network_error'
                END;
    v_diag := CASE WHEN nullif(btrim(ev->>'comment'), '') IS NOT NULL THEN ev->'comment'
                   ELSE ev->'error' END;
  ELSIF t = 'blocked' THEN
    -- Mailjet did not send.  Its own lists (recently bounced, spam reporter)
    -- suppress here too; the sender's problems do not.
    IF coalesce(lower(ev->>'error_related_to'), '') NOT IN ('recipient', 'mailjet')
       OR v_err = 'duplicate in campaign' THEN
      RETURN '{}';
    END IF;
    v_kind := 'bounce'; v_type := 'permanent'; v_reason := 'suppressed';
    v_diag := ev->'error';
  ELSIF t = 'spam' THEN
    v_kind := 'complaint';
  ELSIF t = 'sent' THEN
    v_kind := 'delivery';  -- accepted by the receiving server
    v_diag := ev->'smtp_reply';
  ELSIF t IN ('open', 'click', 'unsub') THEN
    RETURN '{}';
  ELSIF t IS NULL THEN
    RAISE EXCEPTION 'not a Mailjet event: no "event" field' USING ERRCODE = '22023';
  ELSE
    RAISE EXCEPTION 'unknown Mailjet event type "%"', left(t, 100) USING ERRCODE = '22023';
  END IF;

  -- MessageID exceeds 2^53: jsonb keeps it as numeric, read as text, never a float
  RETURN ARRAY[@extschema@._webhook_row(
    v_kind, ev->'email', v_type, v_reason, NULL, NULL, v_diag,
    coalesce(ev->'MessageID', ev->'Message_GUID'),
    @extschema@._webhook_epoch(ev->'time', 'time'), 'mailjet', NULL,
    -- no event id: the message, the event and its time
    format(E'%s\x1f%s\x1f%s', t, coalesce(ev->>'MessageID', ev->>'Message_GUID'), ev->>'time'))];
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_mailjet(jsonb) IS
  'Internal: events rows of one Mailjet event (bounce, blocked by Mailjet''s own lists, spam, sent); key derived from MessageID, event and time';

-- Rejects ----------------------------------------------------------------------

CREATE FUNCTION @extschema@._webhook_reject(
  provider text, project text, event jsonb, error text, sqlstate text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO @extschema@.webhook_rejects AS w (provider, project, event, error, sqlstate)
  VALUES (_webhook_reject.provider, _webhook_reject.project,
          coalesce(_webhook_reject.event, 'null'::jsonb),
          _webhook_reject.error, _webhook_reject.sqlstate)
  ON CONFLICT ON CONSTRAINT webhook_rejects_event_key DO NOTHING;
  RAISE WARNING 'bounce_suppress: % webhook event set aside in webhook_rejects: %',
    _webhook_reject.provider, _webhook_reject.error
    USING DETAIL = 'SQLSTATE ' || _webhook_reject.sqlstate;
END
$fn$;
COMMENT ON FUNCTION @extschema@._webhook_reject(text, text, jsonb, text, text) IS
  'Internal: sets a webhook event that cannot be recorded aside in webhook_rejects (once per distinct event) with a WARNING';

-- The entry point ------------------------------------------------------------------

CREATE FUNCTION @extschema@.ingest_webhook(provider text, payload jsonb, project text DEFAULT 'default')
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_provider text := lower(btrim(ingest_webhook.provider));
  v_project text := ingest_webhook.project;
  v_payload jsonb := ingest_webhook.payload;
  v_items jsonb[];
  v_item jsonb;
  v_one @extschema@.events[];
  v_row @extschema@.events;
  v_rows @extschema@.events[] := '{}';
  v_src integer[] := '{}';
  v_ids bigint[];
  v_msg text;
  v_state text;
  i integer;
  j integer;
BEGIN
  -- A call wrong as a whole: SQLSTATE 22023 naming the provider (API.md, ingest_webhook).
  IF v_provider IS NULL THEN
    RAISE EXCEPTION 'provider must not be NULL' USING ERRCODE = '22023',
      HINT = 'One of: ses, sendgrid, mailgun, postmark, sparkpost, mandrill, resend, brevo, mailjet.';
  END IF;
  IF v_provider NOT IN ('ses', 'sendgrid', 'mailgun', 'postmark', 'sparkpost', 'mandrill',
                        'resend', 'brevo', 'mailjet') THEN
    RAISE EXCEPTION 'unknown webhook provider "%"', left(ingest_webhook.provider, 100)
      USING ERRCODE = '22023',
            HINT = 'One of: ses, sendgrid, mailgun, postmark, sparkpost, mandrill, resend, brevo, mailjet.';
  END IF;
  IF v_project IS NULL OR v_project = '' THEN
    RAISE EXCEPTION '% webhook: project must not be %', v_provider,
      CASE WHEN v_project IS NULL THEN 'NULL' ELSE 'empty' END
      USING ERRCODE = '22023';
  END IF;
  -- Mandrill posts a form field mandrill_events holding the JSON array
  IF v_provider = 'mandrill' AND jsonb_typeof(v_payload) = 'object'
     AND v_payload ? 'mandrill_events' THEN
    v_payload := v_payload->'mandrill_events';
    IF jsonb_typeof(v_payload) = 'string' THEN
      BEGIN
        v_payload := (v_payload #>> '{}')::jsonb;
      EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'mandrill webhook: mandrill_events is not JSON' USING ERRCODE = '22023';
      END;
    END IF;
  END IF;
  IF v_payload IS NULL OR jsonb_typeof(v_payload) NOT IN ('object', 'array') THEN
    RAISE EXCEPTION '% webhook payload must be a JSON object or array, not %', v_provider,
      coalesce(jsonb_typeof(v_payload), 'NULL')
      USING ERRCODE = '22023';
  END IF;

  IF jsonb_typeof(v_payload) = 'array' THEN
    SELECT coalesce(array_agg(e ORDER BY n), '{}') INTO v_items
      FROM jsonb_array_elements(v_payload) WITH ORDINALITY AS a(e, n);
  ELSE
    v_items := ARRAY[v_payload];
  END IF;

  -- 1. Normalize each event on its own: a bad one is set aside, the rest kept.
  FOR i IN 1 .. coalesce(array_length(v_items, 1), 0) LOOP
    v_item := v_items[i];
    BEGIN
      IF jsonb_typeof(v_item) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'a % webhook event must be a JSON object, not %', v_provider,
          jsonb_typeof(v_item) USING ERRCODE = '22023';
      END IF;
      v_one := CASE v_provider
                 WHEN 'ses' THEN @extschema@._webhook_ses(v_item)
                 WHEN 'sendgrid' THEN @extschema@._webhook_sendgrid(v_item)
                 WHEN 'mailgun' THEN @extschema@._webhook_mailgun(v_item)
                 WHEN 'postmark' THEN @extschema@._webhook_postmark(v_item)
                 WHEN 'sparkpost' THEN @extschema@._webhook_sparkpost(v_item)
                 WHEN 'mandrill' THEN @extschema@._webhook_mandrill(v_item)
                 WHEN 'resend' THEN @extschema@._webhook_resend(v_item)
                 WHEN 'brevo' THEN @extschema@._webhook_brevo(v_item)
                 WHEN 'mailjet' THEN @extschema@._webhook_mailjet(v_item)
               END;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
      PERFORM @extschema@._webhook_reject(v_provider, v_project, v_item, v_msg, v_state);
      CONTINUE;
    END;
    IF v_one IS NOT NULL THEN
      FOREACH v_row IN ARRAY v_one LOOP
        v_row.project := v_project;
        v_rows := array_append(v_rows, v_row);
        v_src := array_append(v_src, i);
      END LOOP;
    END IF;
  END LOOP;

  IF cardinality(v_rows) = 0 THEN
    RETURN;
  END IF;

  -- 2. Store them in one statement (the rules trigger runs once per batch); a
  --    redelivered event (same provider_event_id for the address) adds nothing.
  BEGIN
    INSERT INTO @extschema@.events AS e
           (project, kind, address, bounce_type, reason, reply_code, enhanced_status,
            diagnostic, message_id, provider, provider_event_id, feedback_type,
            remote_mta, occurred_at)
    SELECT r.project, r.kind, r.address, r.bounce_type, r.reason, r.reply_code,
           r.enhanced_status, r.diagnostic, r.message_id, r.provider, r.provider_event_id,
           r.feedback_type, r.remote_mta, r.occurred_at
      FROM unnest(v_rows) AS r
    ON CONFLICT ON CONSTRAINT events_provider_event_key DO NOTHING;
  EXCEPTION WHEN OTHERS THEN
    -- Something the normalizers did not foresee: one row at a time, setting
    -- aside the events whose rows fail.
    FOR j IN 1 .. cardinality(v_rows) LOOP
      v_row := v_rows[j];
      BEGIN
        INSERT INTO @extschema@.events AS e
               (project, kind, address, bounce_type, reason, reply_code, enhanced_status,
                diagnostic, message_id, provider, provider_event_id, feedback_type,
                remote_mta, occurred_at)
        VALUES (v_row.project, v_row.kind, v_row.address, v_row.bounce_type, v_row.reason,
                v_row.reply_code, v_row.enhanced_status, v_row.diagnostic, v_row.message_id,
                v_row.provider, v_row.provider_event_id, v_row.feedback_type,
                v_row.remote_mta, v_row.occurred_at)
        ON CONFLICT ON CONSTRAINT events_provider_event_key DO NOTHING;
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        PERFORM @extschema@._webhook_reject(v_provider, v_project, v_items[v_src[j]], v_msg, v_state);
        v_rows[j].provider_event_id := NULL;  -- nothing to return for it
      END;
    END LOOP;
  END;

  -- 3. The ids in payload order: new ones, or the first id of a redelivery.
  SELECT array_agg(e.id ORDER BY r.ordinality) INTO v_ids
    FROM unnest(v_rows) WITH ORDINALITY AS r
    LEFT JOIN @extschema@.events e
           ON e.project = r.project AND e.address = r.address
          AND e.provider = r.provider AND e.provider_event_id = r.provider_event_id
   WHERE r.provider_event_id IS NOT NULL;
  IF array_position(v_ids, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'could not serialize access due to a concurrent ingest of the same % webhook events',
      v_provider
      USING ERRCODE = '40001',
            DETAIL = 'Another transaction stored some of these events after this one''s snapshot was taken.';
  END IF;
  RETURN QUERY SELECT x FROM unnest(v_ids) AS u(x);
END
$fn$;
COMMENT ON FUNCTION @extschema@.ingest_webhook(text, jsonb, text) IS
  'Records an ESP webhook (ses, sendgrid, mailgun, postmark, sparkpost, mandrill, resend, brevo, mailjet; one event or an array): bounces with the provider''s type, complaints, deliveries; skips delays and engagement; idempotent by provider event id (derived where there is none); events that cannot be recorded go to webhook_rejects; returns the event ids';

-- The normalizers only turn a JSON event into rows (no table access), so
-- PUBLIC may run them like parse_report; what writes is the caller's to grant.
REVOKE ALL ON FUNCTION
  @extschema@.ingest_webhook(text, jsonb, text),
  @extschema@._webhook_reject(text, text, jsonb, text, text)
FROM PUBLIC;

-- 90_privileges: who may do what ------------------------------------------
--
-- PUBLIC may look: use the schema, call the parsers and is_suppressed, read
-- suppressions, active_suppressions and policies, and attach
-- block_suppressed to its own tables.  Nothing that writes or removes is
-- PUBLIC's: ingest and admin roles are granted what they need (README,
-- "Privileges").  The trigger functions that write suppressions and the log
-- are SECURITY DEFINER with a pinned search_path, so those roles never need
-- write access to the log or to suppressions for the rules to apply.

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
GRANT SELECT ON @extschema@.suppressions, @extschema@.active_suppressions,
                @extschema@.policies TO PUBLIC;

REVOKE ALL ON FUNCTION
  @extschema@.ingest_event(@extschema@.event_kind, text, @extschema@.bounce_type, text, timestamptz, text, text, text, text, text, text, integer, text, text),
  @extschema@.ingest_bounce(text, @extschema@.bounce_type, text, timestamptz, text, text, text, text),
  @extschema@.ingest_complaint(text, timestamptz, text, text, text, text, text),
  @extschema@.ingest_delivery(text, timestamptz, text, text, text, text),
  @extschema@.suppress(text, text, timestamptz, text),
  @extschema@.unsuppress(text, text, boolean, text),
  @extschema@.expire_suppressions(),
  @extschema@.record_sent(bigint, text, date),
  @extschema@.health(text, timestamptz),
  @extschema@.events_before_insert(),
  @extschema@.events_apply_rules(),
  @extschema@.events_unseen(text, text),
  @extschema@.suppressions_log_insert(),
  @extschema@.suppressions_log_update(),
  @extschema@.suppressions_log_delete(),
  @extschema@.policies_upsert()
FROM PUBLIC;
