# Upgrades: install the oldest release and walk ALTER EXTENSION ... UPDATE
# through every version on the way (pg_extension_update_paths) to the
# default one; the result must be indistinguishable from a fresh install of
# the default version: the same objects, definitions, comments, privileges
# and config tables, and the same behaviour.  With one release there is
# nothing to walk and the comparison still runs; every release added later
# is walked automatically.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

my $default = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'bounce_suppress'});
my $oldest = $node->safe_psql('postgres', q{
  SELECT version FROM pg_available_extension_versions WHERE name = 'bounce_suppress'
   ORDER BY string_to_array(version, '.')::int[] LIMIT 1});
is($oldest, '0.1.0', 'the oldest release is 0.1.0');
note "walking from $oldest to $default";

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE walked');
$node->safe_psql('fresh', 'CREATE EXTENSION bounce_suppress');
$node->safe_psql('walked', "CREATE EXTENSION bounce_suppress VERSION '$oldest'");

# Some data before the upgrades: it must survive them.
$node->safe_psql('walked', q{
  SELECT bounce_suppress.ingest_bounce('old@example.com', 'permanent', '550 5.1.1 user unknown');
  SELECT bounce_suppress.ingest_complaint('angry@example.com');
  SELECT bounce_suppress.suppress('manual@example.com', 'before the upgrade');});

my $steps = 0;
if ($oldest ne $default)
{
	my $path = $node->safe_psql('walked', qq{
	  SELECT path FROM pg_extension_update_paths('bounce_suppress')
	   WHERE source = '$oldest' AND target = '$default'});
	ok($path ne '', "there is an update path from $oldest to $default");
	my @versions = split /--/, $path;
	shift @versions;    # the version installed
	for my $v (@versions)
	{
		$node->safe_psql('walked', "ALTER EXTENSION bounce_suppress UPDATE TO '$v'");
		is($node->safe_psql('walked', q{SELECT extversion FROM pg_extension WHERE extname = 'bounce_suppress'}),
			$v, "updated to $v");
		$steps++;
	}
}
note "$steps update steps";
is($node->safe_psql('walked', q{SELECT extversion FROM pg_extension WHERE extname = 'bounce_suppress'}),
	$default, "the walked database is at the default version $default");

# The catalog description of the extension: every member object with its
# definition, comment and privileges; columns, constraints, indexes,
# triggers, enum labels, view definitions, function properties and bodies,
# the config tables pg_dump dumps.  Nothing that differs between two
# databases (OIDs) is in it.
my $describe = q{
  WITH ext AS (SELECT oid, extconfig, extcondition FROM pg_extension WHERE extname = 'bounce_suppress'),
  members AS (
    SELECT d.classid, d.objid, d.objsubid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e')
  SELECT * FROM (
    SELECT 'member' AS what, pg_describe_object(classid, objid, objsubid) AS name,
           coalesce(obj_description(objid, classid::regclass::name), '') AS detail
      FROM members
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text,
           concat_ws(' ', pg_get_function_result(p.oid), l.lanname, p.provolatile, p.proisstrict,
                     p.proparallel, p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proconfig::text,
                     p.proacl::text, pg_get_function_arguments(p.oid),
                     CASE WHEN l.lanname = 'c' THEN p.prosrc ELSE md5(p.prosrc) END)
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'bounce_suppress'::regnamespace
    UNION ALL
    SELECT 'relation', c.relname,
           concat_ws(' ', c.relkind, c.relacl::text, c.reloptions::text, c.relrowsecurity, c.relpersistence)
      FROM pg_class c WHERE c.relnamespace = 'bounce_suppress'::regnamespace
    UNION ALL
    SELECT 'column', c.relname || '.' || a.attname,
           concat_ws(' ', a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                     pg_get_expr(ad.adbin, ad.adrelid), a.attcollation::regcollation::text,
                     a.attacl::text, col_description(c.oid, a.attnum))
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
     WHERE c.relnamespace = 'bounce_suppress'::regnamespace AND c.relkind IN ('r', 'v', 'p')
    UNION ALL
    SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'bounce_suppress'::regnamespace
    UNION ALL
    SELECT 'index', i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'bounce_suppress'::regnamespace
    UNION ALL
    SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = 'bounce_suppress'::regnamespace AND NOT t.tgisinternal
    UNION ALL
    SELECT 'enum', e.enumtypid::regtype::text,
           string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
      FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
     WHERE t.typnamespace = 'bounce_suppress'::regnamespace
     GROUP BY e.enumtypid
    UNION ALL
    SELECT 'view', c.relname, pg_get_viewdef(c.oid)
      FROM pg_class c WHERE c.relnamespace = 'bounce_suppress'::regnamespace AND c.relkind = 'v'
    UNION ALL
    SELECT 'policy', p.polrelid::regclass::text || '.' || p.polname, pg_get_expr(p.polqual, p.polrelid)
      FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
     WHERE c.relnamespace = 'bounce_suppress'::regnamespace
    UNION ALL
    SELECT 'config', t.oid::regclass::text, coalesce(ext.extcondition[t.n], '')
      FROM ext, unnest(ext.extconfig) WITH ORDINALITY t(oid, n)
    UNION ALL
    SELECT 'schema', n.nspname, concat_ws(' ', n.nspacl::text, obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n WHERE n.nspname = 'bounce_suppress'
  ) x
  ORDER BY 1, 2, 3};

my $fresh = $node->safe_psql('fresh', $describe);
my $walked = $node->safe_psql('walked', $describe);
ok(scalar(split /\n/, $fresh) > 100, 'the description is not empty');
is($walked, $fresh, 'the updated extension is the same as a fresh install');

# The data from before the upgrades is still there and still in force.
is( $node->safe_psql('walked', q{
	  SELECT string_agg(address || ':' || reason, ' ' ORDER BY address) FROM bounce_suppress.suppressions}),
	'angry@example.com:complaint manual@example.com:manual old@example.com:hard_bounce',
	'the suppressions made before the upgrades are kept');

# The same behaviour: the same script gives the same answers in both.
my $behaviour = q{
  SELECT bounce_suppress.ingest_bounce('b@example.com', diagnostic => '550 5.1.1 <b@example.com>: user unknown') > 0;
  SELECT bounce_suppress.ingest_bounce('s@example.com', diagnostic => '452 4.2.2 mailbox full') > 0;
  SELECT bounce_suppress.ingest_complaint('c@example.com') > 0;
  SELECT bounce_suppress.ingest_delivery('d@example.com') > 0;
  SELECT address, reason FROM bounce_suppress.suppressions
   WHERE address IN ('b@example.com', 's@example.com', 'c@example.com', 'd@example.com') ORDER BY 1;
  SELECT bounce_suppress.is_suppressed('B@Example.com'), bounce_suppress.is_suppressed('s@example.com'),
         bounce_suppress.is_suppressed('not an address');
  SELECT bounce_suppress.unsuppress('b@example.com', 'test'), bounce_suppress.suppress('b@example.com');
  SELECT address, action, reason, note FROM bounce_suppress.suppression_log
   WHERE address IN ('b@example.com', 's@example.com', 'c@example.com', 'd@example.com') ORDER BY id;
  SELECT bounce_suppress.classify_smtp('550 5.1.1 user unknown'), bounce_suppress.normalize_address(' X <A@B.CD> ');
  SELECT (bounce_suppress.parse_smtp_reply('452 4.2.2 mailbox full')).*;
};
my ($r1, $out1, $err1) = $node->psql('fresh', $behaviour, extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
my ($r2, $out2, $err2) = $node->psql('walked', $behaviour, extra_params => [ '-v', 'ON_ERROR_STOP=1' ]);
is($r1, 0, 'the behaviour script runs on a fresh install') or diag $err1;
is($r2, 0, 'the behaviour script runs on the updated install') or diag $err2;
is($out2, $out1, 'and gives the same answers');

$node->stop;
done_testing();
