# The row writer under concurrency: four sessions land every version of the
# same 500 contacts at once, each in its own order and grouping, through
# ingest_batch().  No deadlock, every version counted once, the latest
# version of each contact wins, account links and dimensions follow it.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('ctr_writer');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\ndeadlock_timeout = 100ms");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION connect_lake});

# 500 contacts x 4 versions; version v has LastUpdateTimestamp + v minutes,
# its own accounts, agent username and queue name.  Contacts spread over
# two months, so batches span two partitions.
sql(q{
CREATE TABLE docs AS
SELECT c, v, jsonb_build_object(
         'ContactId', md5('contact' || c)::uuid,
         'InitiationTimestamp', to_char((timestamptz '2024-01-31 12:00+00' + c * interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'LastUpdateTimestamp', to_char((timestamptz '2024-03-01 00:00+00' + v * interval '1 minute') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
         'Agent', jsonb_build_object('ARN', 'arn:x/agent/' || md5('agent' || c % 20)::uuid, 'Username', 'agent' || c % 20 || '.v' || v),
         'Queue', jsonb_build_object('ARN', 'arn:x/queue/' || md5('queue' || c % 5)::uuid, 'Name', 'queue' || c % 5 || '.v' || v),
         'Attributes', jsonb_build_object('accountNumbers', (c * 10 + v) || ', ' || (100000 + c), 'juniferId', (200000 + c)::text)) AS doc
  FROM generate_series(0, 499) AS c, generate_series(1, 4) AS v
});

my @h;
my @out = ('', '', '', '');
my @err = ('', '', '', '');
for my $s (0 .. 3)
{
	my @cmds;
	for my $b (0 .. 3)
	{
		push @cmds, '-c',
		  "SELECT inserted || ',' || updated || ',' || duplicates FROM connect_lake.ingest_batch('ctr', ARRAY("
		  . "SELECT doc FROM docs WHERE (hashtext('$s:' || c || ':' || v) & 3) = $b ORDER BY md5('$s' || c || v)))";
	}
	push @h, IPC::Run::start(
		[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), @cmds ],
		'>', \$out[$s], '2>', \$err[$s]);
}
$_->finish for @h;

is(join('', @err), '', 'four concurrent writers: no errors (no deadlock)');
my ($ins, $upd, $dup) = (0, 0, 0);
for my $o (@out)
{
	for my $line (split /\n/, $o)
	{
		my ($i, $u, $d) = split /,/, $line;
		$ins += $i;
		$upd += $u;
		$dup += $d;
	}
}
is($ins, 500, 'each contact inserted by exactly one writer');
is($ins + $upd + $dup, 8000, 'every version delivered is counted once');
is(sql(q{SELECT count(*) FROM connect_lake.ctr_events}), '500', 'one row per contact');
is(sql(q{SELECT count(*) FROM connect_lake.ctr_events WHERE versions_seen <> 16}), '0', 'versions_seen counts all 16 deliveries');
is(sql(q{SELECT count(*) FROM connect_lake.ctr_events e JOIN docs d ON d.doc->>'ContactId' = e.contactid::text AND d.v = 4
          WHERE e.lastupdatetimestamp <> (d.doc->>'LastUpdateTimestamp')::timestamptz
             OR e.attributes_accountnumbers <> d.doc#>>'{Attributes,accountNumbers}'}),
   '0', 'the latest version of every contact won');
is(sql(q{SELECT count(DISTINCT tableoid) FROM connect_lake.ctr_events}), '2', 'rows in two month partitions');
is(sql(q{SELECT count(*) FROM connect_lake.contact_account}), '1500', 'three account links per contact');
is(sql(q{SELECT count(*) FROM connect_lake.contact_account WHERE account < 100000 AND account % 10 <> 4}),
   '0', 'links of older versions are gone');
is(sql(q{SELECT count(*) FROM connect_lake.agent_dim WHERE username NOT LIKE '%.v4'}), '0',
   'agent_dim: names from the latest version of the latest contact');
is(sql(q{SELECT count(*), count(*) FILTER (WHERE queue_name LIKE '%.v4') FROM connect_lake.queue_dim}), '5|5',
   'queue_dim: five queues, latest names');
is(sql(q{SELECT count(*) FROM connect_lake.queue_name_history}), '20', 'queue_name_history: every name each queue carried');

# Landing it all again in one batch: all duplicates, nothing changes but versions_seen.
is(sql(q{SELECT inserted || ',' || updated || ',' || duplicates FROM connect_lake.ingest_batch('ctr', ARRAY(SELECT doc FROM docs ORDER BY v DESC, c))}),
   '0,0,2000', 'a re-delivery of everything: all duplicates');
is(sql(q{SELECT min(versions_seen) || ',' || max(versions_seen) FROM connect_lake.ctr_events}), '20,20', '... counted');

# Dimensions are written when the transaction commits: what a rolled-back
# savepoint or transaction landed adds nothing to them.
sub ctr
{
	my ($id, $agent, $queue) = @_;
	return "'{\"ContactId\": \"$id\", \"InitiationTimestamp\": \"2024-05-01T10:00:00Z\", "
	  . "\"Agent\": {\"ARN\": \"arn:x/agent/$agent\", \"Username\": \"$agent\"}, "
	  . "\"Queue\": {\"ARN\": \"arn:x/queue/$queue\", \"Name\": \"$queue\"}}'";
}
my $rolled = 'aaaaaaaa-0000-4000-8000-000000000001';
my $kept = 'aaaaaaaa-0000-4000-8000-000000000002';
my $lost = 'aaaaaaaa-0000-4000-8000-000000000003';
is(sql("BEGIN;
        SAVEPOINT s;
        SELECT connect_lake.ingest('ctr', " . ctr('bbbbbbbb-0000-4000-8000-000000000001', $rolled, $rolled) . ");
        ROLLBACK TO s;
        SELECT connect_lake.ingest('ctr', " . ctr('bbbbbbbb-0000-4000-8000-000000000002', $kept, $kept) . ");
        SELECT count(*) FROM connect_lake.agent_dim WHERE agent_id = '$kept';
        COMMIT;"),
   "inserted\ninserted\n0", 'inside the transaction the dimensions are not written yet');
is(sql("SELECT agent_id || ' ' || queue_id FROM connect_lake.ctr_events e JOIN connect_lake.agent_dim USING (agent_id)
         WHERE e.contactid::text LIKE 'bbbbbbbb-%'"), "$kept $kept", 'at commit: the kept contact\'s agent');
is(sql("SELECT string_agg(queue_name, ',') FROM connect_lake.queue_dim WHERE queue_id IN ('$rolled', '$kept')"),
   $kept, '... and queue; nothing from the rolled-back savepoint');
sql("BEGIN; SELECT connect_lake.ingest('ctr', " . ctr('bbbbbbbb-0000-4000-8000-000000000003', $lost, $lost) . "); ROLLBACK;");
is(sql("SELECT count(*) FROM connect_lake.agent_dim WHERE agent_id = '$lost'"), '0', 'nothing from a rolled-back transaction');
is(sql("SELECT count(*) FROM connect_lake.agent_dim WHERE agent_id = '$kept'"), '1', 'the next commit writes only its own');

# A session that has written keeps working when the extension is dropped
# (with rows landed in the same transaction) and created again.
is(sql("BEGIN;
        SELECT connect_lake.ingest('ctr', " . ctr('bbbbbbbb-0000-4000-8000-000000000004', $kept, $kept) . ");
        DROP EXTENSION connect_lake;
        COMMIT;
        CREATE EXTENSION connect_lake;
        SELECT connect_lake.ingest('ctr', " . ctr('bbbbbbbb-0000-4000-8000-000000000004', $kept, $kept) . ");
        SELECT count(*) FROM connect_lake.agent_dim;"),
   "inserted\ninserted\n1", 'drop and create the extension in a session that has written');

done_testing();
