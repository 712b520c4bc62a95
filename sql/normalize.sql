-- normalize_address and the reason helpers: plain functions, no tables.
\set VERBOSITY terse

SELECT input, bounce_suppress.normalize_address(input) AS normalized
  FROM (VALUES
    ('jane@example.com'),
    ('  Jane.Doe+News@Example.COM  '),
    ('<jane@example.com>'),
    ('Jane Doe <Jane@Example.com>'),
    ('"Doe, Jane" <JANE@example.com>'),
    ('rfc822; Jane@Example.com'),
    ('RFC822;<jane@example.com>'),
    ('"john smith"@example.com'),
    ('user@[192.0.2.1]'),
    ('JÖRG@BÜCHER.example'),
    ('ИВАН@ПОЧТА.РФ'),
    ('user@xn--bcher-kva.example'),
    ('o''brien@example.ie'),
    (''),
    ('   '),
    ('jane'),
    ('jane@'),
    ('@example.com'),
    ('jane@localhost'),
    ('jane@@example.com'),
    ('jane..doe@example.com'),
    ('jane doe@example.com'),
    ('jane@example.com.'),
    ('Jane <jane@example.com'),
    ('<>')
  ) AS t(input)
 ORDER BY 1;

-- NULL in, NULL out; limits of 64 octets before @ and 254 in all
SELECT bounce_suppress.normalize_address(NULL) IS NULL AS null_is_null,
       bounce_suppress.normalize_address(repeat('a', 64) || '@example.com') IS NOT NULL AS local_64_ok,
       bounce_suppress.normalize_address(repeat('a', 65) || '@example.com') IS NULL AS local_65_refused,
       bounce_suppress.normalize_address('a@' || repeat('b', 60) || '.' || repeat('c', 60) || '.' ||
                                         repeat('d', 60) || '.' || repeat('e', 65)) IS NULL AS label_over_63_refused,
       bounce_suppress.normalize_address(repeat('x', 1000000)) IS NULL AS one_mb_refused,
       bounce_suppress.normalize_address(repeat(' ', 100000) || 'a@example.com') AS long_padding;

-- normalization is idempotent and usable as an index expression
SELECT bounce_suppress.normalize_address(bounce_suppress.normalize_address('"X" <Mixed.Case@Example.Org>'));
CREATE TEMP TABLE queue (email text);
CREATE INDEX ON queue (bounce_suppress.normalize_address(email));
DROP TABLE queue;

-- which reasons blame the sender, and which words are in the vocabulary
SELECT r AS reason, bounce_suppress.is_sender_reason(r) AS sender,
       bounce_suppress.is_known_reason(r) AS known
  FROM unnest(ARRAY['user_unknown', 'host_unknown', 'mailbox_full', 'blocked', 'bad_reputation',
                    'spam_detected', 'auth_failure', 'policy_violation', 'content_error',
                    'rate_limited', 'too_many_connections', 'relay_denied', 'expired',
                    'suppressed', 'undefined', 'no_such_reason']) AS r
 ORDER BY 1;
SELECT bounce_suppress.is_known_reason(NULL) IS NULL AS null_is_null,
       bounce_suppress.is_known_reason('') AS empty, bounce_suppress.is_known_reason('User_Unknown') AS mixed_case;
