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
