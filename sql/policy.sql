-- policies: defaults, per-project rows, CHECKs, and INSERT of an existing row.
\set VERBOSITY terse

-- column defaults are the documented ones
INSERT INTO bounce_suppress.policies (project) VALUES ('pol');
SELECT * FROM bounce_suppress.policies WHERE project = 'pol';

-- inserting an existing project's row updates it, so that pg_restore over a fresh
-- install keeps the dumped settings; even ON CONFLICT DO NOTHING updates it
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('pol', 3);
INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('pol', 4)
    ON CONFLICT (project) DO NOTHING;
SELECT project, soft_bounce_limit FROM bounce_suppress.policies WHERE project = 'pol';
SELECT count(*) AS rows FROM bounce_suppress.policies WHERE project = 'pol';

-- bad values are refused by CHECKs (23514), NULLs by NOT NULL (23502)
SELECT s AS statement, public.try(s) AS result
  FROM (VALUES
    ($$UPDATE bounce_suppress.policies SET soft_bounce_limit = -1 WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_bounce_span = '-1 day' WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_bounce_window = '0' WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_bounce_span = '40 days' WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_suppression_ttl = '0' WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_suppression_ttl = '-1 hour' WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET soft_bounce_limit = NULL WHERE project = 'pol'$$),
    ($$UPDATE bounce_suppress.policies SET suppress_sender_blocks = NULL WHERE project = 'pol'$$),
    ($$INSERT INTO bounce_suppress.policies (project) VALUES ('')$$),
    ($$INSERT INTO bounce_suppress.policies (project) VALUES (NULL)$$),
    ($$INSERT INTO bounce_suppress.policies (project, soft_bounce_limit) VALUES ('pol2', -5)$$),
    ($$UPDATE bounce_suppress.policies SET soft_bounce_limit = 'many' WHERE project = 'pol'$$)
  ) AS t(s);
SELECT * FROM bounce_suppress.policies WHERE project LIKE 'pol%' ORDER BY project;

DELETE FROM bounce_suppress.policies WHERE project = 'pol';
