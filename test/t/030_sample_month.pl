# The README's main command in a reduced form: a small generated month of
# Amazon Connect exports, loaded with connect_lake.load() through the same
# script test/demo runs, and the analysts' reports checked against the
# generator's known totals (SUMMARY.json).
use strict;
use warnings;
use JSON::PP;
use File::Temp qw(tempdir);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$ENV{TESTDIR}";    # the source tree (make runs us from it)
$root = '.' unless -f "$root/test/sample/load.sql";
my $gen = "$root/test/gen/connect_gen";
system('make', '-s', '-C', $root, 'gen') == 0 or BAIL_OUT('cannot build the generator');

my $exports = tempdir(CLEANUP => 1) . '/exports';
my @args = ('--out', $exports, '--start', '2026-09-01', '--days', '30', '--contacts-per-day', '40',
	'--agents', '25', '--heartbeat-secs', '0', '--seed', '7', '--malformed', '5', '--quiet');
is(system($gen, @args), 0, 'generator writes a month of exports');
my $sum = decode_json(do { local $/; open my $f, '<', "$exports/SUMMARY.json" or die $!; <$f> });

my $node = PostgreSQL::Test::Cluster->new('sample');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

my ($rc, $out, $err) = $node->psql('postgres', undef,
	extra_params => [ '-v', "exports=$exports", '-f', "$root/test/sample/load.sql" ]);
is($rc, 0, 'load.sql loads every kind') or diag($err);
like($out, qr/^ctr\|/m, 'load reports a row per kind');

my %rows = map { split /=/ } split /\n/, $node->safe_psql('postgres', q{
	SELECT 'ctr_events=' || count(*) FROM connect_lake.ctr_events UNION ALL
	SELECT 'contact_flow_log=' || count(*) FROM connect_lake.contact_flow_log UNION ALL
	SELECT 'contact_events=' || count(*) FROM connect_lake.contact_events UNION ALL
	SELECT 'case_events=' || count(*) FROM connect_lake.case_events UNION ALL
	SELECT 'case_related_items=' || count(*) FROM connect_lake.case_related_items UNION ALL
	SELECT 'agent_events=' || count(*) FROM connect_lake.agent_events UNION ALL
	SELECT 'load_rejects=' || count(*) FROM connect_lake.load_rejects});
for my $t (sort keys %{ $sum->{expected_rows} })
{
	is($rows{$t}, $sum->{expected_rows}{$t}, "$t holds the generator's $sum->{expected_rows}{$t} rows");
}
is($rows{ctr_events}, $sum->{contacts}{distinct}, 'one CTR row per distinct contact (latest version wins)');

# The same load again lands nothing: every file is in the manifest.
is($node->safe_psql('postgres', q{
	SELECT sum(files_loaded) || '/' || sum(inserted) FROM (VALUES ('ctr', 'ctr'), ('case_event', 'cases')) k(kind, dir),
	       LATERAL connect_lake.load(k.kind, } . "'$exports/'" . q{ || k.dir, 'skip')}), '0/0', 'a second load loads nothing again');

# Cases: current state, open backlog, per-day volume, complaints, categories.
my $cases = $sum->{cases};
is($node->safe_psql('postgres', 'SELECT count(*) FROM connect_lake.case_current'),
	$cases->{distinct} - $cases->{deleted}, 'case_current: every case but the deleted ones');
is($node->safe_psql('postgres', 'SELECT open_cases FROM connect_lake.open_case_backlog'),
	$cases->{open_at_end}, 'open_case_backlog: the cases open at the end of the month');

my %open_by_day = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
	q{SELECT day, still_open FROM connect_lake.case_volume_daily('2026-09-01', '2026-10-01') WHERE still_open > 0});
is_deeply(\%open_by_day, $cases->{open_at_end_by_created_day}, 'case_volume_daily: still open, per day created');
my %created = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
	q{SELECT day, cases_created FROM connect_lake.case_volume_daily('2026-09-01', '2026-10-01')});
is_deeply(\%created, $cases->{created_per_day}, 'case_volume_daily: cases created per day (deleted since included)');

my %subjects = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
	q{SELECT complaint_subject, complaints FROM connect_lake.complaints_by_subject('2026-09-01', '2026-10-01')});
is_deeply(\%subjects, $cases->{complaints}{by_subject}, 'complaints_by_subject matches the generator');

my %levels = map { split /\|/ } split /\n/, $node->safe_psql('postgres',
	q{SELECT level_1, cases FROM connect_lake.cases_by_category('2026-09-01', '2026-10-01')});
is_deeply(\%levels, $cases->{by_level_1_last_30_days}{counts}, 'cases_by_category matches the generator');

# The warehouse's five queries, ported to amazon_connect_enriched as the
# README shows them (CURRENT_DATE read as 2026-10-01, the day after the
# month), agree with the lake's views over the same days: London days, the
# month partly in BST.
my $since = q{(detail_case_createddatetime AT TIME ZONE 'Europe/London')::date >= DATE '2026-10-01' - %d};
my @ports = (
	[ 'case volume by day',
	  qq{SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id)
	       FROM amazon_connect_enriched.case_events WHERE } . sprintf($since, 30) . q{ GROUP BY day},
	  q{SELECT day, cases_created FROM connect_lake.case_volume_daily(DATE '2026-10-01' - 30, '2026-10-01')} ],
	[ 'open cases',
	  q{SELECT COUNT(DISTINCT id)
	      FROM (SELECT DISTINCT ON (id) * FROM amazon_connect_enriched.case_events
	             ORDER BY id, detail_approximatechangetime DESC, event_id DESC) latest
	     WHERE detail_case_fields_status NOT IN ('Closed', 'Resolved') AND detail_event_type <> 'CASE.DELETED'},
	  q{SELECT open_cases FROM connect_lake.open_case_backlog} ],
	[ 'complaints per day',
	  qq{SELECT (detail_case_createddatetime AT TIME ZONE 'Europe/London')::date AS day, COUNT(DISTINCT id)
	       FROM amazon_connect_enriched.case_events
	      WHERE detail_case_fields_is_complaint = TRUE AND } . sprintf($since, 30) . q{ GROUP BY day},
	  q{SELECT day, complaints FROM connect_lake.complaints_daily(DATE '2026-10-01' - 30, '2026-10-01')} ],
	[ 'complaints by subject',
	  qq{SELECT detail_case_fields_complaint_subject, COUNT(DISTINCT id)
	       FROM amazon_connect_enriched.case_events
	      WHERE detail_case_fields_is_complaint = TRUE AND } . sprintf($since, 90) . q{ GROUP BY 1},
	  q{SELECT complaint_subject, complaints FROM connect_lake.complaints_by_subject(DATE '2026-10-01' - 90, '2026-10-01')} ],
	[ 'cases by category',
	  qq{SELECT detail_case_fields_level_1, COUNT(DISTINCT id)
	       FROM amazon_connect_enriched.case_events WHERE } . sprintf($since, 30) . q{ GROUP BY 1},
	  q{SELECT level_1, cases FROM connect_lake.cases_by_category(DATE '2026-10-01' - 30, '2026-10-01')} ]);
for my $p (@ports)
{
	my ($name, $port, $lake) = @$p;
	is($node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) > 0 FROM ($port) p) || ' ' || (SELECT count(*) FROM (($port) EXCEPT ALL ($lake)) d)
		       || ' ' || (SELECT count(*) FROM (($lake) EXCEPT ALL ($port)) d)}),
		'true 0 0', "warehouse query ported ($name): the lake's answer");
}

# Contacts per channel with average handle time.
for my $ch (sort keys %{ $sum->{contacts}{by_channel} })
{
	my $c = $sum->{contacts}{by_channel}{$ch};
	is($node->safe_psql('postgres', qq{
		SELECT count(*) || '|' || count(*) FILTER (WHERE agent_arn IS NOT NULL) || '|' ||
		       sum(agent_agentinteractionduration + agent_customerholdduration + agent_aftercontactworkduration)
		             FILTER (WHERE agent_arn IS NOT NULL)
		  FROM connect_lake.ctr_events WHERE channel = '$ch'}),
		sprintf('%d|%d|%d', $c->{contacts}, $c->{handled}, $c->{handle_time_seconds}),
		"$ch: contacts, handled, total handle time (the average's parts)");
}

# The reports test/demo prints run.
($rc, $out, $err) = $node->psql('postgres', undef,
	extra_params => [ '-v', 'from=2026-09-01', '-v', 'to=2026-09-30', '-f', "$root/test/sample/reports.sql" ]);
is($rc, 0, 'reports.sql runs') or diag($err);
like($out, qr/Complaints by subject/, 'reports print their headings');
like($out, qr/Queue dashboard per day/, 'and the queue dashboard');

$node->stop;
done_testing();
