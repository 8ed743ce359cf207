# load(..., workers => n) and the commit upkeep of every kind that has one
# (upkeep.h): the workers queue what each file collected (upkeep_queue) and
# run the kinds' actions from the queue.  On generated CTRs, flow logs and
# agent events, a lake loaded by 2 workers keeps the same contact metrics,
# repeat contacts, flow tables, agent activity and dimensions as a lake
# loaded in a session, row for row; with connect_lake.flows_upkeep,
# connect_lake.metrics_upkeep or connect_lake.repeats_upkeep off in the
# caller's session, the workers keep nothing of that family and the rest as
# before.  Each lake is a database
# of its own (fingerprints compared across them).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

system('make', '-s', 'gen') == 0 && -x 'test/gen/connect_gen'
  or plan skip_all => 'cannot build test/gen/connect_gen';

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $out = "$tmp/gen";
system('test/gen/connect_gen', '--out', $out, '--start', '2026-10-01', '--days', '3',
	'--contacts-per-day', '150', '--seed', '7', '--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";

my $node = PostgreSQL::Test::Cluster->new('load_workers_upkeep');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nmax_worker_processes = 8");
$node->start;

my %family = (
	metrics => [qw(contact_metric metric_queue_interval metric_agent_interval metric_queue_threshold
		  metric_queue_day metric_queue_threshold_day agent_activity_interval agent_status_interval)],
	repeats => [qw(contact_repeat)],
	flows => [qw(contact_flow_path flow_block_day flow_entry_day flow_names flow_version)],
	always => [qw(agent_dim queue_dim)],
);

# a fresh lake in database $db, the three kinds loaded (after the statements $set, in the
# same session) in the session or by $workers workers
sub lake
{
	my ($db, $workers, $set) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION connect_lake');
	my $w = $workers ? ", workers => $workers" : '';
	for my $k (['ctr', 'ctr'], ['contact_flow_log', 'flowlogs'], ['agent_event', 'agent_events'])
	{
		my ($kind, $dir) = @$k;
		is( $node->safe_psql($db, qq{SET client_min_messages = warning;$set
			SELECT files_failed || ' ' || coalesce(error, '-') FROM connect_lake.load('$kind', '$out/$dir', 'skip'$w)}),
			'0 -', "$db: $kind files load");
	}
	is($node->safe_psql($db, 'SELECT count(*) FROM connect_lake.upkeep_queue'), '0', "$db: nothing left queued");
	return;
}

# a table's rows: count and a hash of them sorted
sub fingerprint
{
	my ($db, $t) = @_;
	return $node->safe_psql($db, qq{SELECT count(*) || ' ' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '-')
		FROM (SELECT t::text AS r FROM connect_lake.$t t) s});
}

lake('in_session', undef, '');
my %ref;
for my $t (map { @$_ } values %family)
{
	$ref{$t} = fingerprint('in_session', $t);
	unlike($ref{$t}, qr/^0 /, "in a session: $t has rows");
}

lake('by_workers', 2, '');
is(fingerprint('by_workers', $_), $ref{$_}, "2 workers: $_ as in a session") for map { @$_ } values %family;

# a setting off in the caller's session: the workers keep nothing of its family
for my $off (qw(flows metrics repeats))
{
	my $db = "${off}_off";
	lake($db, 2, " SET connect_lake.${off}_upkeep = off;");
	for my $f (sort keys %family)
	{
		for my $t (@{ $family{$f} })
		{
			if ($f eq $off) { like(fingerprint($db, $t), qr/^0 /, "$off upkeep off: $t empty") }
			else { is(fingerprint($db, $t), $ref{$t}, "$off upkeep off: $t as in a session") }
		}
	}
}

$node->stop;
done_testing();
