
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
