
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
