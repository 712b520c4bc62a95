
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
