# Flows and journeys on a generated month, checked against the generator's
# SUMMARY.json: the voice flow's second version (a new welcome prompt at
# mid-month) is detected with the block added and the block removed, the
# callers who hang up at the menu are the IVR hang-ups and sit on the menu
# blocks, the other IVR-only callers are the contained ones, the lookup
# Lambda's runs and errors per block, the Lambda failing more after the new
# version; contact_journey() follows every leg of transfer chains and shows
# each leg's flow blocks; the repeat contacts refreshed for a few contacts
# equal a full refresh.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

system('make', '-s', 'gen') == 0 && -x 'test/gen/connect_gen'
  or plan skip_all => 'cannot build test/gen/connect_gen';

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $out = "$tmp/gen";
system('test/gen/connect_gen', '--out', $out, '--start', '2026-10-01', '--days', '31',
	'--contacts-per-day', '150', '--seed', '5', '--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";
my $sum = do { local $/; open my $fh, '<', "$out/SUMMARY.json" or die $!; decode_json(<$fh>) };
my $f = $sum->{flows};

my $node = PostgreSQL::Test::Cluster->new('flows_gen');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');

for my $k (['ctr', 'ctr'], ['contact_flow_log', 'flowlogs'], ['contact_event', 'contact_events'])
{
	my ($kind, $dir) = @$k;
	is(sql(qq{SELECT files_failed || ' ' || coalesce(error, '-') FROM connect_lake.load('$kind', '$out/$dir', 'skip')}),
		'0 -', "$kind files load");
}
ok(sql('SELECT connect_lake.flows_refresh()') > 0, 'flows_refresh() summarises the contacts');

# The voice flow's versions: the second starts at the new welcome block's first run.
is( sql(qq{SELECT count(*) || ' ' || string_agg(detected_by, ',' ORDER BY version)
             FROM connect_lake.flow_version WHERE flow_id = '$f->{voice_flow}'}),
	'2 first,blocks', 'voice flow: two versions, the second detected from its blocks');
is( sql(qq{SELECT to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' '
                  || array_to_string(added, ',') || ' ' || array_to_string(removed, ',')
             FROM connect_lake.flow_version WHERE flow_id = '$f->{voice_flow}' AND version = 2}),
	"$f->{version_2_first_run} $f->{welcome_v2} $f->{welcome_v1}",
	'version 2: first run, the block added and the block removed as generated');

# IVR hang-ups and containment.
my ($from, $to) = ('2026-09-30', '2026-11-01');
is(sql(qq{SELECT sum(exits_hang_up) FROM connect_lake.flow_funnel('$from', '$to')}),
	$f->{ivr_hang_ups}, 'callers who hung up at the menu are the IVR hang-ups');
is(sql(qq{SELECT string_agg(DISTINCT module_type, ',') FROM connect_lake.flow_funnel('$from', '$to') WHERE exits_hang_up > 0}),
	'GetUserInput', 'the hang-ups sit on the menu blocks');
is( sql(qq{SELECT sum(contained) || ' ' || sum(ivr_abandoned)
             FROM connect_lake.flow_containment('$from', '$to') WHERE day IS NULL}),
	"$f->{ivr_contained} $f->{ivr_hang_ups}", 'contained: the other IVR-only callers; IVR abandonment: the hang-ups');
is( sql(qq{SELECT rank || ' ' || module_type FROM connect_lake.flow_hang_ups('$from', '$to') ORDER BY rank LIMIT 1}),
	'1 GetUserInput', 'where callers hang up: a menu block first');

# The lookup Lambda of the voice flow: runs and errors.
my ($runs, $errors) = (0, 0);
$runs += $_ for @{ $f->{voice_lookups} };
$errors += $_ for @{ $f->{voice_lambda_errors} };
is( sql(qq{SELECT executions || ' ' || errors FROM connect_lake.flow_funnel('$from', '$to', '$f->{voice_flow}')
            WHERE identifier = '$f->{voice_lambda_block}'}),
	"$runs $errors", 'the voice lookup block: runs and errors');
my ($b, $a) = split / /, sql(qq{SELECT before || ' ' || after FROM connect_lake.flow_compare('$f->{voice_flow}', 1, 2)
                                  WHERE metric = 'errors_per_contact'});
ok($a > $b, "flow_compare: errors per contact rise with version 2 ($b -> $a)");

# Journeys: every leg of 20 transfer chains, each leg's flow blocks.
my $chains = sql(q{SELECT string_agg(contactid::text, ' ') FROM (SELECT contactid FROM connect_lake.ctr_events
                     WHERE initiationmethod = 'INBOUND' AND nextcontactid IS NOT NULL ORDER BY contactid LIMIT 20) c});
my ($legs_ok, $blocks_ok, $n) = (0, 0, 0);
for my $c (split / /, $chains)
{
	$n++;
	# the legs by the CTRs' own links: the contact and every CTR naming it as initial
	my $want = sql(qq{SELECT string_agg(contactid::text, ',' ORDER BY contactid) FROM connect_lake.ctr_events
	                   WHERE contactid = '$c' OR initialcontactid = '$c' OR previouscontactid = '$c'});
	my $got = sql(qq{SELECT string_agg(contactid::text, ',' ORDER BY contactid) FROM connect_lake.contact_legs('$c')});
	$legs_ok++ if $got eq $want;
	$blocks_ok++ if sql(qq{SELECT (SELECT count(*) FROM connect_lake.contact_journey('$c') WHERE source = 'flow')
	                            = (SELECT count(*) FROM connect_lake.contact_flow_log f
	                                 JOIN connect_lake.contact_legs('$c') l USING (contactid))}) eq 't';
}
is("$legs_ok $blocks_ok", "$n $n", "contact_journey: every leg and every flow block of $n transfer chains");
is(sql(q{SELECT count(*) FROM connect_lake.contact_journey('99999999-9999-4999-8999-999999999999')}), 0,
	'a contact never seen: an empty journey');

# Repeat contacts: what the writers kept as the CTRs landed (the CTRs' upkeep at
# each load's commit) is what a full refresh makes; so is a refresh for a
# few contacts.
sql('CREATE TABLE kept AS SELECT * FROM connect_lake.contact_repeat');
ok(sql('SELECT count(*) FROM kept') > 0, 'the writers kept the repeat contacts as the CTRs landed');
sql('SELECT connect_lake.contact_repeat_refresh()');
sql('CREATE TABLE full_refresh AS SELECT * FROM connect_lake.contact_repeat');
is( sql(q{SELECT count(*) FROM ((SELECT * FROM full_refresh EXCEPT SELECT * FROM kept)
                                UNION ALL (SELECT * FROM kept EXCEPT SELECT * FROM full_refresh)) d}),
	0, 'the repeat contacts kept at each commit equal a full refresh');
sql(q{SELECT connect_lake.contact_repeat_refresh(array_agg(contactid)) FROM
        (SELECT contactid FROM connect_lake.ctr_events ORDER BY md5(contactid::text) LIMIT 200) c});
is( sql(q{SELECT count(*) FROM ((SELECT * FROM full_refresh EXCEPT SELECT * FROM connect_lake.contact_repeat)
                                UNION ALL (SELECT * FROM connect_lake.contact_repeat EXCEPT SELECT * FROM full_refresh)) d}),
	0, 'contact_repeat_refresh(200 contacts) leaves what a full refresh makes');
ok(sql(q{SELECT count(*) FROM connect_lake.contact_repeat WHERE is_repeat}) > 0, 'the month has repeat contacts');

$node->stop;
done_testing();
