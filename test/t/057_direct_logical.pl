# The direct writer (src/writer_direct.c) takes a duplicate out again once
# the key index flags it: an insert and a delete in the WAL.  With
# wal_level logical a decoder would send both on (a subscriber holding the
# key stops on the insert; a CDC consumer sees a row come and go), whereas
# the batch statement's lost speculative insert is never sent.  There every
# row is probed first: a file delivered again, or overlapping one loaded,
# decodes to the new rows' inserts only, and load() counts the rest as
# duplicates.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('logical');
$node->init(allows_streaming => 'logical');
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');
sql(q{SELECT connect_lake.create_partition('connect_lake.contact_flow_log', '2031-07-01Z')});
sql(q{SELECT 1 FROM pg_create_logical_replication_slot('cl_slot', 'test_decoding')});

my $tmp = PostgreSQL::Test::Utils::tempdir;
sub flow
{
	my ($i) = @_;
	return sprintf('{"ContactId":"d5000000-0000-4000-8000-%012d","ContactFlowModuleType":"SetQueue",'
		  . '"Identifier":"b%d","Timestamp":"2031-07-01T10:00:00Z"}', $i, $i) . "\n";
}
sub wr
{
	my ($name, @keys) = @_;
	open my $fh, '>', "$tmp/$name" or die "$tmp/$name: $!";
	print $fh join('', map { flow($_) } @keys);
	close $fh;
}
sub load
{
	my ($glob) = @_;
	return sql(qq{SELECT inserted || ',' || duplicates FROM connect_lake.load('contact_flow_log', '$tmp/$glob')});
}
# the flow log's changes decoded since the last call: inserts, deletes
sub decoded
{
	my $r = sql(q{SELECT count(*) FILTER (WHERE data LIKE '%: INSERT:%') || ',' || count(*) FILTER (WHERE data LIKE '%: DELETE:%')
	                FROM pg_logical_slot_get_changes('cl_slot', NULL, NULL)
	               WHERE data LIKE 'table connect_lake.contact_flow_log%'});
	return $r;
}

wr('a.ndjson', 1 .. 30);
is(load('a.ndjson'), '30,0', 'a file of new rows lands');
is(decoded(), '30,0', '... decoded as 30 inserts');

# a file overlapping it: 20 duplicates, 10 new (one batch, mostly duplicates)
wr('b.ndjson', 11 .. 40);
is(load('b.ndjson'), '10,20', 'an overlapping file: its new rows land, the rest are duplicates');
is(decoded(), '10,0', '... decoded as the new rows\' inserts only, no row taken out');

# a few duplicates among new rows (the partial check's case), then the first file delivered again
wr('c.ndjson', 1 .. 3, 41 .. 100);
is(load('c.ndjson'), '60,3', 'a file of new rows with a few duplicates');
is(decoded(), '60,0', '... decoded as the new rows\' inserts only');
sql(q{DELETE FROM connect_lake.load_manifest WHERE path LIKE '%/a.ndjson'});
is(load('a.ndjson'), '0,30', 'a file delivered again: all duplicates');
is(decoded(), '0,0', '... nothing decoded');

is(sql(q{SELECT count(*) || ',' || count(DISTINCT contactid) FROM connect_lake.contact_flow_log}), '100,100',
	'every key landed once');
# The rollups' new interval rows, written directly at a CTR's commit
# (metric_rollup_delta_write(), table_multi_insert()): decoded as the inserts
# of those rows, with their values, as the statement's INSERTs were; a
# second contact of the interval then decodes as updates (the upserts).
sql(q{SELECT connect_lake.create_partition('connect_lake.ctr_events', '2031-07-01Z')});
sub ctr
{
	my ($n, $disc) = @_;
	return sprintf(q({"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"abcdef00-0000-4000-8000-%012d",)
		  . q("InitiationMethod":"INBOUND","Channel":"VOICE","InitiationTimestamp":"2031-07-01T04:00:00Z",)
		  . q("DisconnectTimestamp":"%s","LastUpdateTimestamp":"2031-07-02T00:00:00Z","DisconnectReason":"CUSTOMER_DISCONNECT",)
		  . q("Agent":{"ARN":"arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/agent/ffffffff-0000-4000-8000-000000000001",)
		  . q("ConnectedToAgentTimestamp":"2031-07-01T04:02:00Z","AgentInteractionDuration":60},)
		  . q("Queue":{"ARN":"arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/eeeeeeee-0000-4000-8000-000000000001",)
		  . q("EnqueueTimestamp":"2031-07-01T04:01:00Z","Duration":40}}), $n, $disc);
}
# the rollups' interval changes decoded since the last call, per table and kind
sub decoded_rollups
{
	return sql(q{SELECT string_agg(t || ' ' || k || ' ' || n, ', ' ORDER BY t, k) FROM (
	               SELECT substring(data from '^table connect_lake\.(metric_\w+_(?:interval|threshold)):') t,
	                      substring(data from ': (INSERT|UPDATE|DELETE):') k, count(*) n
	                 FROM pg_logical_slot_get_changes('cl_slot', NULL, NULL)
	                WHERE data ~ '^table connect_lake\.metric_\w+_(interval|threshold):' GROUP BY 1, 2) x});
}
sql(q{SELECT pg_logical_slot_get_changes('cl_slot', NULL, NULL)});
is(sql(q{SELECT connect_lake.ingest('ctr', '} . ctr(1, '2031-07-01T04:50:00Z') . q{'::jsonb)}), 'inserted', 'a CTR lands');
my $th = sql(q{SELECT count(*) FROM connect_lake.metric_queue_threshold});
is(decoded_rollups(), "metric_agent_interval INSERT 1, metric_queue_interval INSERT 1, metric_queue_threshold INSERT $th",
	'its new interval rows, written directly, decode as inserts');
sql(q{SELECT pg_logical_slot_get_changes('cl_slot', NULL, NULL)});
is(sql(q{SELECT connect_lake.ingest('ctr', '} . ctr(2, '2031-07-01T04:51:00Z') . q{'::jsonb)}), 'inserted', 'a second CTR of the interval');
like(decoded_rollups(), qr/^metric_agent_interval UPDATE 1, metric_queue_interval UPDATE 1, metric_queue_threshold UPDATE \d+$/,
	'... decodes as the upserts\' updates');
is(sql(q{SELECT contacts || ',' || contacts_handled FROM connect_lake.metric_queue_interval WHERE interval_start = '2031-07-01 04:45Z'}),
	'2,2', 'the interval row holds both contacts');

sql(q{SELECT pg_drop_replication_slot('cl_slot')});
$node->stop;
done_testing();
