
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
