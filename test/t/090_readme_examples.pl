# The README's Reference section, run: every SQL example of its tables' rows
# runs without error against a lake holding a generated day, and every
# user-facing table, view and function of the extension has a Reference row
# with an example.  Analysts and DBAs copy these lines; nothing else runs them.
#
# What counts as an example.  Only the tables' rows of README.md's
# "## Reference" section (up to the next "## " heading) are read; each row's
# first cell names what the row is about (signatures, not examples) and is
# skipped.  In the other cells, every backticked span whose text starts with
# an upper-case SQL command word (SELECT WITH VALUES TABLE SHOW SET RESET
# INSERT UPDATE DELETE TRUNCATE COPY CALL ALTER CREATE DROP GRANT REVOKE
# IMPORT EXPLAIN ANALYZE BEGIN) followed by a space or ; is an example, unless an
# ellipsis stands outside quotes in it (`ALTER DATABASE ... SET`: a template,
# not a statement) or it is one of %not_sql's spans (prose that happens to
# start with a command word).  A | inside a cell is written \| (else the
# row has more cells than its table, which is checked too) and read as |.
#
# The section's ```sql blocks are examples too, each run whole.
#
# How an example runs.  Each in its own psql call against the database
# "lake" (the README's examples name it), as superuser, with ON_ERROR_STOP:
# wrapped in BEGIN; ... ROLLBACK; so that nothing it does stays, unless it
# starts with BEGIN itself (then it must end with ROLLBACK;, and runs as it
# is).  It passes when psql exits 0, and, where the row shows its result
# (`example` → `result`), when psql -At prints exactly that.  The roles the
# examples grant to or restrict (dpo, north_team) are created first.  An example that cannot run
# here is in %cannot_run with the reason; a listed example that the README
# no longer has fails the test, so the list cannot rot either.
#
# Which objects need a row.  Every function, view and table that belongs to
# the extension (pg_depend) in the schemas connect_lake and
# amazon_connect_enriched whose COMMENT does not start with "Internal" must be
# named in the first cell of a row of the sections Tables, Views, Warehouse
# views or Functions: by its name (amazon_connect_enriched's schema-qualified)
# as the identifier a backticked span starts with (`name`, `name(...)`); a
# `<table>` in a name stands for any text (`erasure_scrub_<table>()`).  Every
# such row that names one of them has an example, or is in %no_example with
# the reason (the list checked to stay accurate: the row exists and still has
# no example).  That every object has a COMMENT at all is test/sql/schema.sql's.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$ENV{TESTDIR}";    # the source tree (make runs us from it)
$root = '.' unless -f "$root/README.md";

# Examples that cannot run here, with why.
my %cannot_run = (
	q{SELECT * FROM connect_lake.distribute()} => 'needs Citus (test/t/060_citus.pl runs it)',
	q{SELECT connect_lake.schedule_load('ctr', '/data/connect/ctr')} => 'needs pg_cron (test/t/085_pg_cron.pl)',
	q{SELECT connect_lake.schedule_retention('30 3 * * *')} => 'needs pg_cron (test/t/085_pg_cron.pl)',
	q{SELECT connect_lake.unschedule('connect_lake retention')} => 'needs pg_cron (test/t/085_pg_cron.pl)',
	q{SELECT * FROM connect_lake.load('ctr', '/data/connect/ctr/2026/10', on_error => 'skip')} =>
	  'reads /data/connect, which this machine has not (the other tests load generated files)',
	q{SET connect_lake.repeats_upkeep = off; SELECT * FROM connect_lake.load('ctr', '/data/ctr/2026/10'); SELECT connect_lake.contact_repeat_refresh();} =>
	  'reads /data/ctr, which this machine has not',
	q{SELECT * FROM connect_lake.metric_reconcile(pg_read_file('/data/saved.json')::jsonb) WHERE NOT within_tolerance} =>
	  'reads a response saved from Amazon under /data, which this machine has not (test/sql/metrics_api.sql reconciles one)',
	q{ALTER SYSTEM SET connect_lake.max_record_size = '128MB'} => 'ALTER SYSTEM cannot run inside a transaction block, and would outlive the test',
);

# Spans the rule above would take for examples that are not statements.
my %not_sql = (
	'GRANT SET' => 'the privilege a superuser may grant on a setting, named in prose',
	'GRANT EXECUTE' => 'what the owner does with forget_customer(), named in prose',
	'ANALYZE (SKIP_LOCKED)' => 'how upkeep_stats_analyze() analyzes, named in prose',
);

# Rows of user-facing objects without an example, with why (the row's first name).
my %no_example = (
	'erasure_secret_guard' => 'a trigger function: it runs when pii_secret changes',
	'retention_check' => 'a trigger function: it runs when retention changes',
	'calendar_guard' => 'a trigger function: it runs when calendar or holiday changes',
	'config_changed' => 'trigger functions: they run when their tables change',
	'connect_lake_fdw_handler' => 'the foreign data wrapper\'s handler and validator: PostgreSQL calls them (create_foreign_table() has the example)',
	'erasure_scrub_<table>' => 'steps of forget_customer() over the working set it makes (temporary tables): forget_customer() has the example',
);

# ---- the README's Reference rows

my @rows;    # { line, section, names => [..], examples => [..] }
my @bad_cells;
my %results;    # example => the result its row shows
my @blocks;     # the section's ```sql blocks: { line, section, sql }
{
	open my $fh, '<', "$root/README.md" or die "README.md: $!";
	my ($in, $section, $ncols, $block) = (0, '', undef, undef);
	my $kw = qr/(?:SELECT|WITH|VALUES|TABLE|SHOW|SET|RESET|INSERT|UPDATE|DELETE|TRUNCATE|COPY|CALL|ALTER|CREATE|DROP|GRANT|REVOKE|IMPORT|EXPLAIN|ANALYZE|BEGIN)/;
	while (my $line = <$fh>)
	{
		if ($line =~ /^## /) { $in = $line =~ /^## Reference\s*$/; next; }
		next unless $in;
		if ($line =~ /^### (.*?)\s*$/) { $section = $1; next; }
		if ($line =~ /^```sql\s*$/) { $block = { line => $. + 1, section => $section, sql => '' }; next; }
		if ($block)
		{
			if ($line =~ /^```\s*$/) { push @blocks, $block; undef $block; }
			else { $block->{sql} .= $line; }
			next;
		}
		if ($line !~ /^\|/) { $ncols = undef; next; }
		my @cells = split /(?<!\\)\|/, $line, -1;
		shift @cells;    # before the first |
		pop @cells;      # after the last
		if ($line =~ /^\|(\s*:?-+:?\s*\|)+\s*$/) { $ncols = @cells; next; }
		next unless defined $ncols;    # the header row
		push @bad_cells, "line $. has " . scalar(@cells) . " cells, its table $ncols (a | not written \\|?)"
		  if @cells != $ncols;
		my $first = shift @cells;
		for my $c (@cells)    # `example` → `result`
		{
			while ($c =~ /`([^`]+)`\s*→\s*`([^`]+)`/g)
			{
				my ($ex, $res) = ($1, $2);
				$results{ $ex =~ s/\\\|/|/gr } = $res =~ s/\\\|/|/gr;
			}
		}
		my @spans = map { s/\\\|/|/gr } map { /`([^`]+)`/g } @cells;    # \| is a | in a table
		my @examples = grep {
			my $t = $_;
			(my $bare = $t) =~ s/'(?:[^']|'')*'//g;
			$t =~ /^$kw[\s;]/ && $bare !~ /\.\.\./ && !exists $not_sql{$t}
		} @spans;
		my @names = map { /^\s*([A-Za-z0-9_<>.]+)/ ? ($1) : () } ($first =~ /`([^`]+)`/g);
		push @rows, { line => $., section => $section, first => $first, names => \@names,
			examples => \@examples, spans => \@spans };
	}
}
ok(@rows > 100, scalar(@rows) . ' Reference rows read');
is(join('; ', @bad_cells), '', 'every Reference row has its table\'s number of cells');
my %examples;    # text => line
for my $r (@rows) { $examples{$_} //= $r->{line} for @{ $r->{examples} }; }
ok(keys %examples > 50, scalar(keys %examples) . ' examples found');

# The lists stay accurate.
for my $ex (sort keys %cannot_run)
{
	ok(exists $examples{$ex}, "listed as not runnable, still in the README: $ex");
}
for my $s (sort keys %not_sql)
{
	ok((grep { $_ eq $s } map { @{ $_->{spans} } } @rows), "not an example, still in the README: $s");
}

# ---- a lake with a generated day

system('make', '-s', '-C', $root, 'gen') == 0 or BAIL_OUT('cannot build the generator');
my $exports = PostgreSQL::Test::Utils::tempdir . '/exports';
is( system("$root/test/gen/connect_gen", '--out', $exports, '--start', '2026-10-01', '--days', '1',
		'--contacts-per-day', '60', '--seed', '3', '--heartbeat-secs', '0', '--quiet'),
	0, 'generator writes a day');

my $node = PostgreSQL::Test::Cluster->new('readme');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nstatement_timeout = '60s'");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE lake');
$node->safe_psql('lake', 'CREATE EXTENSION connect_lake');
my ($rc, $out, $err) = $node->psql('lake', undef,
	extra_params => [ '-v', "exports=$exports", '-f', "$root/test/sample/load.sql" ]);
is($rc, 0, 'load.sql loads every kind') or diag($err);
is( $node->safe_psql('lake',
		"SELECT files_failed || ' ' || rejected FROM connect_lake.load('customer_profile_event', '$exports/customer_profiles')"),
	'0 0', 'customer profile events load');
$node->safe_psql('lake', 'CREATE ROLE dpo; CREATE ROLE north_team');

# ---- every example runs

for my $r (@rows)
{
	for my $ex (@{ $r->{examples} })
	{
		next if exists $cannot_run{$ex};
		my $own = $ex =~ /^BEGIN\b/;
		ok($ex =~ /\bROLLBACK;?\s*$/, "README line $r->{line}: an example with its own BEGIN ends with ROLLBACK") if $own;
		my $sql = $own ? $ex : "BEGIN;\n$ex;\nROLLBACK;\n";
		my ($rc, $stdout, $stderr) = $node->psql('lake', $sql, on_error_stop => 1);
		is($rc, 0, "README line $r->{line} ($r->{section}) runs: $ex")
		  or diag($stderr);
		is($stdout, $results{$ex}, "README line $r->{line}: the result shown, $results{$ex}")
		  if exists $results{$ex} && !$own;
	}
}

for my $blk (@blocks)
{
	my ($rc, $stdout, $stderr) = $node->psql('lake', "BEGIN;\n$blk->{sql};\nROLLBACK;\n", on_error_stop => 1);
	is($rc, 0, "README line $blk->{line} ($blk->{section}): the sql block runs") or diag($stderr);
}

# ---- every user-facing object has a row, every such row an example

my @objects = split /\n/, $node->safe_psql('lake', q{
	SELECT DISTINCT CASE n.nspname WHEN 'connect_lake' THEN '' ELSE n.nspname || '.' END || o.name
	  FROM pg_depend d
	  JOIN LATERAL (SELECT p.proname, p.pronamespace, obj_description(p.oid, 'pg_proc')
	                  FROM pg_proc p WHERE d.classid = 'pg_proc'::regclass AND p.oid = d.objid
	                UNION ALL
	                SELECT c.relname, c.relnamespace, obj_description(c.oid, 'pg_class')
	                  FROM pg_class c WHERE d.classid = 'pg_class'::regclass AND c.oid = d.objid
	                   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')) o(name, nsp, comment) ON true
	  JOIN pg_namespace n ON n.oid = o.nsp
	 WHERE d.refclassid = 'pg_extension'::regclass
	   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'connect_lake')
	   AND d.deptype = 'e'
	   AND n.nspname IN ('connect_lake', 'amazon_connect_enriched')
	   AND coalesce(o.comment, '') NOT LIKE 'Internal%'
	 ORDER BY 1});
ok(@objects > 100, scalar(@objects) . ' user-facing tables, views and functions');

my @object_rows = grep { $_->{section} =~ /^(Tables|Views|Warehouse views|Functions)\b/ } @rows;
my %has_row;
for my $r (@object_rows)
{
	my $facing = 0;
	for my $n (@{ $r->{names} })
	{
		(my $name = $n) =~ s/^connect_lake\.//;
		my $re = join '.*', map { quotemeta } split /<table>/, $name, -1;
		for my $o (grep { /^$re$/ } @objects) { $has_row{$o} = 1; $facing = 1; }
	}
	$r->{facing} = $facing;
}
my @missing = grep { !$has_row{$_} } @objects;
is(join(', ', @missing), '', 'every user-facing table, view and function has a Reference row');

my %first_name = map { $_->{names}[0] => $_ } grep { @{ $_->{names} } } @object_rows;
my @bare = map { "$_->{names}[0] (line $_->{line})" }
  grep { $_->{facing} && !@{ $_->{examples} } && !exists $no_example{ $_->{names}[0] } } @object_rows;
is(join(', ', @bare), '', 'every Reference row of a user-facing object has an example');
for my $n (sort keys %no_example)
{
	ok($first_name{$n} && !@{ $first_name{$n}{examples} }, "listed without an example, still a row without one: $n");
}

$node->stop;
done_testing();
