-- ingest_bounce / ingest_complaint / ingest_delivery, raw INSERT and COPY
-- into events, redelivery, and every error path with its SQLSTATE.
\set VERBOSITY terse
CREATE VIEW pg_temp.state AS
  SELECT (SELECT count(*) FROM bounce_suppress.events WHERE project = 'ingest') AS events,
         (SELECT count(*) FROM bounce_suppress.suppressions WHERE project = 'ingest') AS suppressions,
         (SELECT count(*) FROM bounce_suppress.suppression_log WHERE project = 'ingest') AS log_rows;

-- a bounce classified from its diagnostic; the address normalized
SELECT bounce_suppress.ingest_bounce('Jane Doe <Jane@Example.com>',
         diagnostic => 'smtp; 550 5.1.1 <jane@example.com>: Recipient address rejected: User unknown',
         occurred_at => '2026-01-02 03:04:05+00', message_id => '<m1@sender.example>',
         project => 'ingest') > 0 AS got_id;
SELECT kind, address, bounce_type, reply_code, enhanced_status, diagnostic, message_id, occurred_at
  FROM bounce_suppress.events WHERE project = 'ingest' ORDER BY id;
SELECT address, reason FROM bounce_suppress.suppressions WHERE project = 'ingest' ORDER BY address;

-- a given type is kept as given, whatever the diagnostic says
SELECT bounce_suppress.ingest_bounce('given@example.com', 'transient', '550 5.1.1 no such user',
                                     project => 'ingest') > 0;
SELECT address, bounce_type, reply_code FROM bounce_suppress.events
 WHERE project = 'ingest' AND address = 'given@example.com';

-- no type and no diagnostic: undetermined, recorded, not suppressed
SELECT bounce_suppress.ingest_bounce('nothing@example.com', project => 'ingest') > 0;
SELECT address, bounce_type, reason FROM bounce_suppress.events
 WHERE project = 'ingest' AND address = 'nothing@example.com';

-- complaints and deliveries
SELECT bounce_suppress.ingest_complaint('angry@example.com', feedback_type => 'abuse',
                                        project => 'ingest') > 0;
SELECT bounce_suppress.ingest_delivery('happy@example.com', message_id => '<m2@sender.example>',
                                       project => 'ingest') > 0;
SELECT kind, address, bounce_type, reason, feedback_type
  FROM bounce_suppress.events WHERE project = 'ingest' AND kind <> 'bounce' ORDER BY id;

-- redelivery: same provider and event id give the first id and change nothing
SELECT bounce_suppress.ingest_bounce('dup@example.com', 'permanent', provider => 'ses',
                                     provider_event_id => 'evt-1', project => 'ingest') AS first_id \gset
SELECT bounce_suppress.ingest_bounce('DUP@example.com', 'transient', provider => 'ses',
                                     provider_event_id => 'evt-1', project => 'ingest') = :first_id AS same_id;
SELECT bounce_suppress.ingest_complaint('dup@example.com', provider => 'ses',
                                        provider_event_id => 'evt-1', project => 'ingest') = :first_id AS same_id_any_kind;
SELECT count(*) AS stored, min(bounce_type::text) AS first_type_kept
  FROM bounce_suppress.events WHERE project = 'ingest' AND provider_event_id = 'evt-1';
-- the same event id from another provider is another event
SELECT bounce_suppress.ingest_bounce('dup@example.com', 'permanent', provider => 'sendgrid',
                                     provider_event_id => 'evt-1', project => 'ingest') <> :first_id AS new_id;
-- without an event id every call is a new event
SELECT count(DISTINCT bounce_suppress.ingest_delivery('again@example.com', project => 'ingest')) AS distinct_ids
  FROM generate_series(1, 3);

-- errors: nothing of a failed call is kept
SELECT * FROM pg_temp.state;
SELECT s AS statement, regexp_replace(public.try(s), '(x{20})x+', '\1...') AS result
  FROM (VALUES
    ($$SELECT bounce_suppress.ingest_bounce(NULL, project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('not an address', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('a@b', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce(repeat('x', 1000000) || '@example.com', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', 'bogus', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', project => NULL)$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', project => '')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', occurred_at => NULL, project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', occurred_at => '2999-01-01 00:00:00+00', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', occurred_at => 'infinity', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_bounce('x@example.com', provider_event_id => 'e', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_complaint(NULL, project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_complaint('nobody', project => 'ingest')$$),

    ($$SELECT bounce_suppress.ingest_event('complaint', 'x@example.com', 'permanent', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_event(NULL, 'x@example.com', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_event('bounce', 'x@example.com', reason => 'not_a_reason', project => 'ingest')$$),
    ($$SELECT bounce_suppress.ingest_event('bounce', 'x@example.com', reply_code => 999, project => 'ingest')$$)
  ) AS t(s);
SELECT * FROM pg_temp.state;
-- up to a day ahead is accepted (clocks differ), further is refused above
SELECT bounce_suppress.ingest_delivery('x@example.com', occurred_at => now() + interval '23 hours',
                                       project => 'ingest') > 0 AS clock_skew_ok;

-- raw INSERT and COPY behave like the functions (the rules run in triggers)
INSERT INTO bounce_suppress.events (project, kind, address, diagnostic)
VALUES ('ingest', 'bounce', 'raw@example.com', '550 5.1.1 mailbox does not exist');
COPY bounce_suppress.events (project, kind, address, bounce_type, provider, provider_event_id) FROM STDIN;
ingest	bounce	copied@example.com	permanent	copy	c-1
ingest	complaint	copied2@example.com	\N	copy	c-2
ingest	bounce	copied3@example.com	undetermined	copy	c-3
\.
SELECT address, reason FROM bounce_suppress.suppressions
 WHERE project = 'ingest' AND (address LIKE 'raw%' OR address LIKE 'copied%') ORDER BY address;
-- raw inserts must carry normalized addresses; a raw duplicate event is a 23505
SELECT public.try($$INSERT INTO bounce_suppress.events (project, kind, address) VALUES ('ingest', 'bounce', 'Raw@Example.com')$$);
SELECT public.try($$INSERT INTO bounce_suppress.events (project, kind, address) VALUES ('ingest', 'bounce', 'junk')$$);
SELECT public.try($$INSERT INTO bounce_suppress.events (project, kind, address, provider, provider_event_id) VALUES ('ingest', 'delivery', 'copied@example.com', 'copy', 'c-1')$$);
SELECT public.try($$INSERT INTO bounce_suppress.events (project, kind, address, bounce_type) VALUES ('ingest', 'delivery', 'x@example.com', 'permanent')$$);
-- a multi-row statement is all or nothing
SELECT public.try($$INSERT INTO bounce_suppress.events (project, kind, address, bounce_type)
                     VALUES ('ingest', 'bounce', 'batch1@example.com', 'permanent'),
                            ('ingest', 'bounce', 'BAD', 'permanent')$$);
SELECT count(*) AS batch_rows_kept FROM bounce_suppress.events WHERE address = 'batch1@example.com';
SELECT * FROM pg_temp.state;

DELETE FROM bounce_suppress.suppressions WHERE project = 'ingest';
DELETE FROM bounce_suppress.suppression_log WHERE project = 'ingest';
DELETE FROM bounce_suppress.events WHERE project = 'ingest';
