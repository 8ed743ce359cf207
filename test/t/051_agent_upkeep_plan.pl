# The writers' agent activity upkeep deletes the intervals it rebuilds with a
# hashed semi-join, whatever the planner estimates (issue 12).  The DELETEs
# of agent_activity_apply() join the interval rows in the bounds of all the
# agents' ranges to the agents (unnest()); as a nested loop that reads the
# agents again for every interval row, rows times agents (2.4 s for 735
# agents and 26,434 rows in session 8's trace).  The planner chose it when
# the interval index scan was estimated at 1 row: a generic plan cached
# while the tables were nearly empty (a truncated lake's first load) and
# reused when full.  Here the same: the session plans generically
# (plan_cache_mode, what the plan cache does after five calls) on empty
# tables emptied after they were analyzed, then keeps the agents of later
# hours up to date; auto_explain logs the DELETEs' plans, which must hash
# and never loop over the function scan.  The kept tables must still equal a full refresh.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('agent_upkeep_plan');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nautovacuum = off");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

# 40 agents' heartbeats every 2 minutes, Available, from $from for $minutes;
# ingest_batch() per hour, each its own transaction (upkeep at commit)
my $setup = q{
SET connect_lake.metrics_upkeep = on;
SET plan_cache_mode = force_generic_plan;
CREATE FUNCTION pg_temp.ev(a integer, at timestamptz) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('AWSAccountId', '111122223333',
    'AgentARN', 'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666/agent/'
                || '5e6f7a8b-0000-4000-8000-' || lpad(a::text, 12, '0'),
    'EventId', 'ev-' || a || '-' || extract(epoch FROM at)::bigint,
    'EventTimestamp', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'EventType', 'HEART_BEAT', 'InstanceARN', 'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666',
    'Version', '2017-10-01',
    'CurrentAgentSnapshot', jsonb_build_object(
       'AgentStatus', jsonb_build_object('ARN', 'arn:aws:connect:eu-west-2:111122223333:agent-state/available',
                                         'Name', 'Available', 'Type', 'ROUTABLE'),
       'Configuration', jsonb_build_object('Username', 'agent' || a,
          'RoutingProfile', jsonb_build_object('ARN',
             'arn:aws:connect:eu-west-2:111122223333:instance/9a8b7c6d-1111-2222-3333-444455556666/routing-profile/7f000000-0000-4000-8000-000000000001',
             'Name', 'Profile')),
       'Contacts', '[]'::jsonb),
    'PreviousAgentSnapshot', NULL)
$$;
CREATE FUNCTION pg_temp.hour(h timestamptz) RETURNS bigint LANGUAGE sql AS $$
  SELECT inserted FROM connect_lake.ingest_batch('agent_event',
    ARRAY(SELECT pg_temp.ev(a, t) FROM generate_series(1, 40) a,
                 generate_series(h, h + interval '59 minutes', interval '2 minutes') t ORDER BY t, a))
$$;
};

# A lake emptied after its statistics were taken, as a benchmark's rounds
# or a reload leave it: two hours landed and analyzed, then truncated.
$node->safe_psql('postgres', $setup . q{
SELECT pg_temp.hour('2030-03-04 08:00Z');
SELECT pg_temp.hour('2030-03-04 09:00Z');
ANALYZE connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
TRUNCATE connect_lake.agent_events, connect_lake.agent_activity_interval, connect_lake.agent_status_interval;
});

# The first hour into the empty tables: the session's generic plans of
# agent_activity_apply() are made on them.  Then three more hours, logged.
my $offset = -s $node->logfile;
my $out = $node->safe_psql('postgres', $setup . q{
SELECT pg_temp.hour('2030-03-04 08:00Z');
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SELECT pg_temp.hour('2030-03-04 09:00Z');
SELECT pg_temp.hour('2030-03-04 10:00Z');
SELECT pg_temp.hour('2030-03-04 11:00Z');
});
is($out, "1200\n1200\n1200\n1200", 'four hours of 40 agents landed');

my $log = slurp_file($node->logfile, $offset);
# each logged plan: from "duration: ... plan:" to the next log line's prefix
my @plans = $log =~ /duration: [0-9.]+ ms  plan:\n(.*?)(?=\n\S|\z)/sg;
for my $table ('agent_activity_interval', 'agent_status_interval')
{
	my @deletes = grep { /Query Text: DELETE FROM connect_lake\.$table r\s+WHERE r\.interval_start >= lo_min/ } @plans;
	is(scalar @deletes, 3, "$table: the DELETE of each later hour's upkeep logged");
	is(scalar(grep { /Hash (Semi )?Join/ && /Function Scan on u/ } @deletes), 3,
		"$table: the agents hashed every time");
	is(scalar(grep { /Nested Loop/ } @deletes), 0, "$table: no nested loop over the agents")
	  or diag(join("\n----\n", @deletes));
	# the plans are the session's generic ones ($n: parameters, not values)
	is(scalar(grep { /interval_start >= \$\d+/ } @deletes), 3, "$table: generic plans");
}

# what was kept equals a full refresh, row for row
is( $node->safe_psql(
		'postgres', q{
CREATE TEMP TABLE kept_aa AS SELECT * FROM connect_lake.agent_activity_interval;
CREATE TEMP TABLE kept_as AS SELECT * FROM connect_lake.agent_status_interval;
SELECT connect_lake.agent_activity_refresh() > 0;
SELECT (SELECT count(*) FROM kept_aa), (SELECT count(*) FROM (TABLE connect_lake.agent_activity_interval EXCEPT ALL TABLE kept_aa) x),
       (SELECT count(*) FROM (TABLE kept_aa EXCEPT ALL TABLE connect_lake.agent_activity_interval) x),
       (SELECT count(*) FROM (TABLE connect_lake.agent_status_interval EXCEPT ALL TABLE kept_as) x),
       (SELECT count(*) FROM (TABLE kept_as EXCEPT ALL TABLE connect_lake.agent_status_interval) x);
}),
	"t\n640|0|0|0|0",
	'the kept tables equal a full refresh');

$node->stop;
done_testing();
