
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
