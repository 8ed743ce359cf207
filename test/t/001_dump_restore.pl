# User data survives pg_dump / pg_restore into a fresh database: rows of every
# lake table, partitions created after install, and the DBA's configuration.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE lake');
$node->safe_psql('lake', q{
	CREATE EXTENSION connect_lake;
	SELECT connect_lake.ensure_partitions(t, '2023-12-01Z', '2024-02-01Z')
	  FROM unnest(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_flow_log',
	                    'connect_lake.contact_events', 'connect_lake.case_events',
	                    'connect_lake.case_related_items', 'connect_lake.agent_events']::regclass[]) t;
	INSERT INTO connect_lake.ctr_events (contactid, initiationtimestamp, channel, attributes)
	  SELECT gen_random_uuid(), '2023-12-01Z'::timestamptz + i * interval '1 hour', 'VOICE', '{"a": "b"}'
	    FROM generate_series(1, 1000) i;
	INSERT INTO connect_lake.contact_flow_log (contactid, "timestamp", identifier, contactflowmoduletype)
	  SELECT gen_random_uuid(), '2024-01-01Z'::timestamptz + i * interval '1 minute', 'b' || i, 'SetQueue'
	    FROM generate_series(1, 500) i;
	INSERT INTO connect_lake.contact_events (id, "time", detail_contactid, detail_eventtype)
	  SELECT 'e' || i, '2024-02-01Z'::timestamptz + i * interval '1 second', gen_random_uuid(), 'QUEUED'
	    FROM generate_series(1, 300) i;
	INSERT INTO connect_lake.case_events (event_id, id, detail_case_caseid, detail_approximatechangetime, detail_case_fields_complaint_goodwill_amount)
	  SELECT 'c' || i, 'case' || i, 'case' || i, '2023-12-24Z'::timestamptz + i * interval '1 day', 12.34
	    FROM generate_series(1, 40) i;
	INSERT INTO connect_lake.case_related_items (event_id, detail_relateditem_caseid, detail_approximatechangetime)
	  VALUES ('r1', 'case1', '2024-01-02Z');
	INSERT INTO connect_lake.agent_events (eventid, eventtimestamp, agentarn)
	  SELECT 'a' || i, '2024-01-15Z'::timestamptz + i * interval '2 minutes', 'arn:agent/x' FROM generate_series(1, 200) i;
	INSERT INTO connect_lake.agent_dim VALUES (gen_random_uuid(), 'arn:agent', 'jo', NULL, NULL, NULL, now(), now());
	INSERT INTO connect_lake.queue_dim VALUES (gen_random_uuid(), 'arn:queue', 'Sales', now(), now());
	INSERT INTO connect_lake.contact_account VALUES (gen_random_uuid(), 1001, 'attributes_accountnumbers', now());
	INSERT INTO connect_lake.ctr_attribute_map VALUES ('attributes_intent', 'Intent');
	INSERT INTO connect_lake.case_field_map VALUES ('0d5f8c0e-1111-2222-3333-444444444444', 'detail_case_fields_level_1', 'Category', 'SingleSelect');
	INSERT INTO connect_lake.calendar (name, time_zone) VALUES ('acme', 'Europe/Dublin');
	INSERT INTO connect_lake.holiday (calendar, day, name) VALUES ('acme', '2024-03-18', 'St Patrick''s Day (observed)');
	INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status) VALUES ('ctr', '/x', 1, now(), 'abc', 'loaded');
	INSERT INTO connect_lake.load_rejects (kind, path, reason) VALUES ('ctr', '/x', 'bad');
	-- a partition added after the dump's extension objects, by a later month
	SELECT connect_lake.create_partition('connect_lake.ctr_events', '2031-07-04Z');
	INSERT INTO connect_lake.ctr_events (contactid, initiationtimestamp) VALUES (gen_random_uuid(), '2031-07-04Z');
});

my $counts_sql = q{
	SELECT string_agg(format('%s=%s', c.relname,
	         (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM connect_lake.%I', c.relname), false, true, '')))[1]::text),
	       ' ' ORDER BY c.relname)
	  FROM pg_class c
	 WHERE c.relnamespace = 'connect_lake'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
};
my $partitions_sql = q{
	SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
	 WHERE c.relnamespace = 'connect_lake'::regnamespace AND c.relispartition
};

my $before = $node->safe_psql('lake', $counts_sql);
my $parts_before = $node->safe_psql('lake', $partitions_sql);
like($before, qr/ctr_events=1001/, 'rows landed before the dump');

my $dump = $node->basedir . '/lake.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('lake'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE lake2');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('lake2'), $dump ], 'pg_restore into a fresh database');

is($node->safe_psql('lake2', $counts_sql), $before, 'row counts of every lake table match after restore');
is($node->safe_psql('lake2', $partitions_sql), $parts_before, 'partitions created after install are restored');
is($node->safe_psql('lake2', q{SELECT attribute_key FROM connect_lake.ctr_attribute_map_effective WHERE column_name = 'attributes_intent'}),
	'Intent', 'the DBA\'s attribute map override is kept');
is($node->safe_psql('lake2', q{SELECT time_zone FROM connect_lake.calendar WHERE name = 'acme'}),
	'Europe/Dublin', 'the DBA\'s calendar is kept');
is($node->safe_psql('lake2', q{SELECT sum(detail_case_fields_complaint_goodwill_amount) FROM connect_lake.case_events}),
	'493.60', 'numeric money survives');

# New rows still land after the restore (sequences and partitions work).
$node->safe_psql('lake2', q{
	SELECT connect_lake.create_partition('connect_lake.ctr_events', '2024-06-01Z');
	INSERT INTO connect_lake.ctr_events (contactid, initiationtimestamp) VALUES (gen_random_uuid(), '2024-06-01Z');
	INSERT INTO connect_lake.load_rejects (kind, path, reason) VALUES ('ctr', '/y', 'bad');
});
is($node->safe_psql('lake2', 'SELECT max(reject_id) FROM connect_lake.load_rejects'), '2',
	'the rejects sequence continues after restore');

$node->stop;
done_testing();
