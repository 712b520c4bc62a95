# pg_dump / pg_restore keep the users' data exactly, and a restore replays
# nothing: events are not turned into suppressions again (an address that
# was unsuppressed by hand stays unsuppressed although its hard bounce is
# still in events), restored suppressions are not logged again, the
# 'default' policy row keeps its dumped settings, and the sequences go on
# where they were.  Both the custom format (pg_restore) and a plain SQL dump
# (psql) are checked, with the commands a user types.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;
my $tmp = PostgreSQL::Test::Utils::tempdir;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
  CREATE EXTENSION bounce_suppress;
  -- policies: a changed default row and a project's own row
  UPDATE bounce_suppress.policies SET soft_bounce_limit = 4, soft_bounce_span = '1 day' WHERE project = 'default';
  INSERT INTO bounce_suppress.policies (project, soft_bounce_limit, soft_bounce_span, soft_suppression_ttl)
  VALUES ('dr', 2, '0', '30 days');
  -- events of every kind; hard, complaint and soft-limit suppressions
  SELECT bounce_suppress.ingest_bounce('Hard@Example.com', diagnostic => '550 5.1.1 <hard@example.com>: user unknown',
                                       provider => 'ses', provider_event_id => 'e1', project => 'dr');
  SELECT bounce_suppress.ingest_complaint('spam@example.com', feedback_type => 'abuse', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('soft@example.com', 'transient', '452 4.2.2 mailbox full', message_id => 'm1', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('soft@example.com', 'transient', '452 4.2.2 mailbox full', message_id => 'm2', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('blocked@example.com', diagnostic => '550 5.7.1 blocked by spamhaus', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('maybe@example.com', project => 'dr');
  SELECT bounce_suppress.ingest_delivery('ok@example.com', message_id => 'm3', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('other@example.com', 'permanent');
  -- a manual suppression with a note, and a removed hard bounce
  SELECT bounce_suppress.suppress('manual@example.com', 'asked by phone', project => 'dr');
  SELECT bounce_suppress.ingest_bounce('removed@example.com', 'permanent', '550 5.1.1 no such user', project => 'dr');
  SELECT bounce_suppress.unsuppress('removed@example.com', 'mailbox exists again', project => 'dr');
  SELECT bounce_suppress.record_sent(1000, 'dr', '2026-01-01');
  SELECT bounce_suppress.record_sent(250, 'dr', '2026-01-02');
  SELECT bounce_suppress.record_sent(7);
});

# A webhook event that cannot be used is set aside (when ingest_webhook exists).
if ($node->safe_psql('src', q{SELECT to_regproc('bounce_suppress.ingest_webhook') IS NOT NULL}) eq 't')
{
	$node->safe_psql('src', q{
	  SELECT count(*) FROM bounce_suppress.ingest_webhook('sendgrid',
	    '[{"event": "bounce", "email": "not an address", "sg_event_id": "x1"},
	      {"event": "bounce", "email": "hook@example.com", "type": "bounce", "sg_event_id": "x2",
	       "reason": "550 5.1.1 unknown user"}]', 'dr')});
}

# What we compare: count and md5 of every row of every user-data table, in
# a fixed order.
my @tables = qw(events suppressions suppression_log policies sent_counts);
push @tables, 'webhook_rejects'
  if $node->safe_psql('src', q{SELECT to_regclass('bounce_suppress.webhook_rejects') IS NOT NULL}) eq 't';
my $fingerprint = join(" UNION ALL\n", map {
	"SELECT '$_', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM bounce_suppress.$_ t"
} @tables) . ";\nSELECT c.relname, pg_sequence_last_value(c.oid) FROM pg_class c"
  . " WHERE c.relkind = 'S' AND c.relnamespace = 'bounce_suppress'::regnamespace ORDER BY 1";
my $src = $node->safe_psql('src', $fingerprint);
note "source:\n$src";

is( $node->safe_psql('src', q{
	  SELECT string_agg(address || ':' || reason, ' ' ORDER BY address) FROM bounce_suppress.suppressions
	   WHERE address <> 'hook@example.com'}),
	'hard@example.com:hard_bounce manual@example.com:manual other@example.com:hard_bounce soft@example.com:soft_bounce_limit spam@example.com:complaint',
	'source: the suppressions expected');

sub check_copy
{
	my ($db, $how) = @_;
	is($node->safe_psql($db, $fingerprint), $src, "$how: every table has the same rows, sequences the same values");
	is( $node->safe_psql($db, q{
		  SELECT bounce_suppress.is_suppressed('removed@example.com', 'dr'),
		         bounce_suppress.is_suppressed('hard@example.com', 'dr'),
		         (SELECT note FROM bounce_suppress.suppressions WHERE address = 'manual@example.com'),
		         (SELECT soft_bounce_limit FROM bounce_suppress.policies WHERE project = 'default')}),
		'f|t|asked by phone|4',
		"$how: the removed address stays removed, notes and the default policy kept");

	# a new event after the restore: fresh ids, the rules apply, logged once
	my $id = $node->safe_psql($db, q{
	  SELECT bounce_suppress.ingest_bounce('new@example.com', 'permanent', project => 'dr')});
	is( $node->safe_psql($db, qq{
		  SELECT (SELECT count(*) FROM bounce_suppress.events WHERE id = $id),
		         $id > (SELECT max(id) FROM bounce_suppress.events WHERE id <> $id),
		         (SELECT count(*) FROM bounce_suppress.suppression_log l
		           WHERE l.id = (SELECT max(id) FROM bounce_suppress.suppression_log)),
		         (SELECT string_agg(action, ' ') FROM bounce_suppress.suppression_log
		           WHERE address = 'new\@example.com'),
		         bounce_suppress.is_suppressed('new\@example.com', 'dr')}),
		'1|t|1|added|t', "$how: a new hard bounce gets fresh ids and suppresses");
	# and the removed address is suppressed again by its next hard bounce
	$node->safe_psql($db, q{
	  SELECT bounce_suppress.ingest_bounce('removed@example.com', 'permanent', project => 'dr')});
	is( $node->safe_psql($db, q{
		  SELECT string_agg(action || ':' || reason, ' ' ORDER BY id) FROM bounce_suppress.suppression_log
		   WHERE address = 'removed@example.com'}),
		'added:hard_bounce removed:hard_bounce added:hard_bounce',
		"$how: the history goes on from where it was");
}

# custom format, pg_restore into a new database
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$tmp/src.dump", 'src' ], 'pg_dump -Fc');
$node->command_ok([ 'createdb', 'dst_custom' ], 'createdb');
my ($stdout, $stderr);
my $rc = $node->run_log([ 'pg_restore', '--exit-on-error', '-d', 'dst_custom', "$tmp/src.dump" ]);
ok($rc, 'pg_restore -d dst_custom: no error');
check_copy('dst_custom', 'pg_restore');

# plain SQL, through psql
$node->command_ok([ 'pg_dump', '-f', "$tmp/src.sql", 'src' ], 'pg_dump (plain)');
$node->command_ok([ 'createdb', 'dst_plain' ], 'createdb');
my ($ret, $out, $err) = $node->psql('dst_plain', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', "$tmp/src.sql" ]);
is($ret, 0, 'psql -f src.sql: no error');
is(join("\n", grep { !/^$/ } split /\n/, $err), '', 'psql -f src.sql: no warning either');
check_copy('dst_plain', 'psql');

$node->stop;
done_testing();
