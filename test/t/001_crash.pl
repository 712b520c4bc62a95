# Crash in the middle of a bulk load: kill -9 the backend of a 100k-row
# INSERT ... SELECT into events, of a COPY into events, and of a loop of
# ingest_bounce calls in one transaction.  After the crash recovery every
# committed event is there, nothing of the killed batches is, the indexes
# are sound, and the suppressions (and their log) agree with the events.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = on\n");
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION bounce_suppress; CREATE EXTENSION amcheck;');

# The batch of n rows tagged $tag: 5000 addresses; i % 10 decides the kind:
# 0 complaint, 1-3 hard bounce, 4 sender-caused hard bounce, 5-6 soft
# bounce, 7-9 delivery.
sub batch_select
{
	my ($tag, $n, $extra_where) = @_;
	$extra_where //= 'true';
	return qq{
	  SELECT 'crash', k.kind::bounce_suppress.event_kind, 'c' || (i % 5000) || '\@example.com',
	         k.bt::bounce_suppress.bounce_type, k.reason, '$tag-' || i
	    FROM generate_series(1, $n) i,
	         LATERAL (SELECT CASE WHEN i % 10 = 0 THEN 'complaint' WHEN i % 10 < 7 THEN 'bounce' ELSE 'delivery' END AS kind,
	                         CASE WHEN i % 10 BETWEEN 1 AND 4 THEN 'permanent' WHEN i % 10 IN (5, 6) THEN 'transient' END AS bt,
	                         CASE WHEN i % 10 BETWEEN 1 AND 3 THEN 'user_unknown' WHEN i % 10 = 4 THEN 'blocked'
	                              WHEN i % 10 IN (5, 6) THEN 'mailbox_full' END AS reason) k
	   WHERE $extra_where};
}
my $cols = '(project, kind, address, bounce_type, reason, message_id)';

# The check: recompute the suppressions from the events (no removals in
# this test) and compare both ways; every suppression has exactly one
# 'added' log row and nothing else is logged as added.
my $oracle = q{
  WITH want AS (
    SELECT e.address,
           max(CASE WHEN e.kind = 'complaint' THEN 'complaint' ELSE 'hard_bounce' END::bounce_suppress.suppression_reason) AS reason
      FROM bounce_suppress.events e
     WHERE e.project = 'crash'
       AND (e.kind = 'complaint'
            OR (e.kind = 'bounce' AND e.bounce_type = 'permanent'
                AND NOT coalesce(bounce_suppress.is_sender_reason(e.reason), false)))
     GROUP BY e.address),
  have AS (SELECT s.address, s.reason FROM bounce_suppress.suppressions s WHERE s.project = 'crash')
  SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM have) x)
       + (SELECT count(*) FROM (SELECT * FROM have EXCEPT SELECT * FROM want) y) AS mismatches,
         (SELECT count(*) FROM have) AS suppressed,
         (SELECT count(*) FROM have h
           WHERE (SELECT count(*) FROM bounce_suppress.suppression_log l
                   WHERE l.project = 'crash' AND l.address = h.address AND l.action = 'added') <> 1)
       + (SELECT count(*) FROM bounce_suppress.suppression_log l
           WHERE l.project = 'crash'
             AND NOT EXISTS (SELECT 1 FROM have h WHERE h.address = l.address)) AS bad_log
};

# committed before any crash: 20000 events in one statement, and a few API calls
$node->safe_psql('postgres', "INSERT INTO bounce_suppress.events $cols " . batch_select('base', 20000));
$node->safe_psql('postgres', q{
  SELECT bounce_suppress.ingest_bounce('api' || i || '@example.com', 'permanent', '550 5.1.1 unknown',
                                       message_id => 'api-' || i, project => 'crash')
    FROM generate_series(1, 50) i});
is($node->safe_psql('postgres', $oracle), '0|2050|0', 'before the crashes: suppressions agree with events');

# Wait until the backend $pid is where we want it, then kill -9 it and wait
# for the crash recovery.
sub kill_and_recover
{
	my ($pid, $bg) = @_;
	ok(kill('KILL', $pid), "kill -9 backend $pid");
	eval { $bg->quit; };    # psql lost its server: ignore how it says so
	$node->poll_query_until('postgres', 'SELECT 1', '1')
	  or die 'server did not come back';
	$node->wait_for_log(qr/database system is ready to accept connections/, 0);
}

sub backend_of
{
	my ($bg) = @_;
	my $pid = $bg->query_safe('SELECT pg_backend_pid()');
	chomp $pid;
	return $pid;
}

# 1. INSERT ... SELECT of 100000 rows, held at row 50000 by an advisory lock
#    that this test holds: half the batch is in the heap when it dies.
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe('SELECT pg_advisory_lock(4242)');
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = backend_of($bg);
	$bg->query_until(qr/started/, "\\echo started\nBEGIN;\nINSERT INTO bounce_suppress.events $cols "
		  . batch_select('killed-insert', 100000,
			"CASE WHEN i = 50000 THEN pg_advisory_xact_lock_shared(4242)::text = '' ELSE true END")
		  . ";\nCOMMIT;\n");
	$node->poll_query_until('postgres',
		"SELECT wait_event = 'advisory' FROM pg_stat_activity WHERE pid = $pid")
	  or die 'the batch did not reach its middle';
	kill_and_recover($pid, $bg);
	eval { $holder->quit; };
}

# 2. COPY of 100000 rows: 60000 sent, the backend has stored at least 50000
#    of them (pg_stat_progress_copy), the end marker never comes.
{
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = backend_of($bg);
	my $rows = join('', map {
		my $k = $_ % 10 == 0 ? "complaint\t\\N\t\\N" : $_ % 10 < 4 ? "bounce\tpermanent\tuser_unknown" : "delivery\t\\N\t\\N";
		my ($kind, $bt, $reason) = split /\t/, $k;
		"crash\t$kind\tc" . ($_ % 5000) . "\@example.com\t$bt\t$reason\tkilled-copy-$_\n"
	} 1 .. 60000);
	$bg->{stdin} .= "BEGIN;\nCOPY bounce_suppress.events $cols FROM STDIN;\n" . $rows;
	$bg->{run}->pump_nb;
	$node->poll_query_until('postgres',
		"SELECT tuples_processed >= 50000 FROM pg_stat_progress_copy WHERE pid = $pid")
	  or die 'the COPY did not reach its middle';
	kill_and_recover($pid, $bg);
}

# 3. ingest_bounce in a loop, 20000 calls in one transaction, held at 10000.
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe('SELECT pg_advisory_lock(4243)');
	my $bg = $node->background_psql('postgres', on_error_stop => 0);
	my $pid = backend_of($bg);
	$bg->query_until(qr/started/, q{\echo started
BEGIN;
DO $$
BEGIN
  FOR i IN 1..20000 LOOP
    IF i = 10000 THEN PERFORM pg_advisory_xact_lock_shared(4243); END IF;
    PERFORM bounce_suppress.ingest_bounce('loop' || i || '@example.com', 'permanent', '550 5.1.1 unknown',
                                          message_id => 'killed-loop-' || i, project => 'crash');
  END LOOP;
END $$;
COMMIT;
});
	$node->poll_query_until('postgres',
		"SELECT wait_event = 'advisory' FROM pg_stat_activity WHERE pid = $pid")
	  or die 'the loop did not reach its middle';
	kill_and_recover($pid, $bg);
	eval { $holder->quit; };
}

# After three crashes: the committed events, none of the killed ones.
is( $node->safe_psql('postgres', q{
	  SELECT regexp_replace(message_id, '-[0-9]+$', '') AS batch, count(*)
	    FROM bounce_suppress.events WHERE project = 'crash'
	   GROUP BY 1 ORDER BY 1}),
	"api|50\nbase|20000",
	'every committed event is there, no row of a killed batch is');
is($node->safe_psql('postgres', $oracle), '0|2050|0',
	'after the crashes: suppressions and log agree with events');

# The indexes match the heap (amcheck, with every heap tuple looked up).
is( $node->safe_psql('postgres', q{
	  SELECT count(*) >= 5 FROM (
	    SELECT bt_index_parent_check(i.indexrelid, heapallindexed => true)
	      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
	     WHERE c.relnamespace = 'bounce_suppress'::regnamespace) x}),
	't', 'amcheck: every index of the extension is sound');

# Life goes on: a new hard bounce gets an id nobody has, and suppresses.
my $id = $node->safe_psql('postgres',
	q{SELECT bounce_suppress.ingest_bounce('after@example.com', 'permanent', project => 'crash')});
is( $node->safe_psql('postgres', qq{
	  SELECT (SELECT count(*) FROM bounce_suppress.events WHERE id = $id),
	         (SELECT max(id) FROM bounce_suppress.events WHERE id <> $id) < $id,
	         bounce_suppress.is_suppressed('after\@example.com', 'crash')}),
	'1|t|t', 'after recovery: fresh ids, the rules still apply');
is($node->safe_psql('postgres', $oracle), '0|2051|0', 'and still agree');

$node->stop;
done_testing();
