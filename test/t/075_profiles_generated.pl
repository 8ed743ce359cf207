# Customer Profiles on a generated month, checked against the generator's
# SUMMARY.json: load() lands every event once (re-deliveries counted as
# duplicates, non-integer account numbers counted as values nulled), the
# profiles, merges (those whose duplicate arrived after the merge too),
# customers, CTR-object links and customers who called again are the
# generator's; a foreign table reads the files; a custom object type lands;
# the cases find their customer through customer_id;
# customer_profile_refresh() from nothing makes the same tables; loading the
# files again changes nothing.
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
	'--contacts-per-day', '150', '--seed', '9', '--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";
system('chmod', '-R', 'a+rX', $tmp) == 0 or die 'chmod failed';
my $sum = do { local $/; open my $fh, '<', "$out/SUMMARY.json" or die $!; decode_json(<$fh>) };
my $p = $sum->{customer_profiles};
ok($p->{merged} > 0 && $p->{merges_before_duplicate_seen} > 0 && $p->{redeliveries} > 0
	  && $p->{custom_objects} > 0 && $p->{account_numbers_not_integer} > 0
	  && $p->{customers_with_2_or_more_linked_contacts} > 0,
	'the generated month has merges, late duplicates, re-deliveries, custom objects, odd accounts and repeat callers');

my $node = PostgreSQL::Test::Cluster->new('profiles_gen');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');

for my $k (['ctr', 'ctr'], ['case_event', 'cases'])
{
	my ($kind, $dir) = @$k;
	is(sql(qq{SELECT files_failed || ' ' || coalesce(error, '-') FROM connect_lake.load('$kind', '$out/$dir', 'skip')}),
		'0 -', "$kind files load");
}
is( sql(qq{SELECT files_failed || ' ' || inserted || ' ' || duplicates || ' ' || values_nulled || ' ' || rejected
             FROM connect_lake.load('customer_profile_event', '$out/customer_profiles')}),
	"0 $p->{events} $p->{redeliveries} $p->{account_numbers_not_integer} 0",
	'load(): every event once, re-deliveries as duplicates, non-integer account numbers counted');

# The same files read in place through a foreign table of the kind.
sql(qq{SELECT connect_lake.create_foreign_table('profile_files', 'customer_profile_event', '$out/customer_profiles')});
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT event_id) FROM profile_files}),
	($p->{events} + $p->{redeliveries}) . " $p->{events}", 'a foreign table reads every record of the files');

is(sql(q{SELECT count(*) FROM connect_lake.customer_profile_events WHERE object_type = '_profile'}),
	$p->{profile_events}, '_profile events');
is(sql(q{SELECT count(*) FROM connect_lake.customer_profile_events WHERE object_type = 'SmartMeter'}),
	$p->{custom_objects}, 'the custom object type lands, its Object kept');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE merged_into IS NOT NULL) FROM connect_lake.customer_profile}),
	"$p->{profiles} $p->{merged}", 'profiles, and those merged into another');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE applied) FROM connect_lake.customer_profile_merge}),
	"$p->{merged} $p->{merged}", 'every merge recorded and applied (duplicates delivered after their merge included)');
is(sql(q{SELECT count(*) FROM connect_lake.customer}), $p->{customers}, 'one customer per surviving profile');
is(sql(q{SELECT count(*) FROM connect_lake.contact_profile WHERE source = 'ctr_object'}),
	$p->{ctr_object_links}, 'contacts linked by CTR objects');
is( sql(q{SELECT count(*) FROM (
            SELECT coalesce(p.merged_into, l.profile_id) FROM connect_lake.contact_profile l
              JOIN connect_lake.customer_profile p ON p.profile_id = l.profile_id
             GROUP BY 1 HAVING count(DISTINCT l.contactid) >= 2) c}),
	$p->{customers_with_2_or_more_linked_contacts}, 'customers who called again (two or more linked contacts)');
is(sql(q{SELECT count(*) FROM connect_lake.contact_profile l
          WHERE NOT EXISTS (SELECT FROM connect_lake.ctr_events c WHERE c.contactid = l.contactid)}),
	0, 'every linked contact has its CTR');
is(sql(q{SELECT count(*) FROM connect_lake.customer_profile WHERE account IS NULL AND account_number LIKE 'B-%'}),
	sql(q{SELECT count(DISTINCT profile_id) FROM connect_lake.customer_profile_events
           WHERE object_type = '_profile' AND account IS NULL AND object ? 'AccountNumber'}),
	'an account number that is not an integer: account NULL, the number kept');

# The customer view agrees with the tables it reads.
is( sql(q{SELECT sum(contacts) >= (SELECT count(DISTINCT contactid) FROM connect_lake.contact_profile)
                 AND sum(cases) > 0
                 AND bool_and(phone_numbers IS NOT NULL)
            FROM connect_lake.customer}),
	't', 'customers count their contacts and cases, and have their phone numbers');
is( sql(q{SELECT count(*) FROM connect_lake.case_state s
           WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
             AND connect_lake.profile_arn_id(s.detail_case_fields_customer_id)
                 IN (SELECT profile_id FROM connect_lake.customer_profile)
             AND NOT EXISTS (SELECT FROM connect_lake.customer c
                              WHERE c.profile_id = (SELECT coalesce(p.merged_into, p.profile_id) FROM connect_lake.customer_profile p
                                                     WHERE p.profile_id = connect_lake.profile_arn_id(s.detail_case_fields_customer_id))
                                AND c.cases > 0)}),
	0, 'every case whose customer_id is a known profile counts for its customer');
my $merged_customer = sql(q{SELECT survivor_profile_id FROM connect_lake.customer_profile_merge ORDER BY 1 LIMIT 1});
is( sql(qq{SELECT cardinality(merged_profiles) >= 1 FROM connect_lake.customer WHERE profile_id = '$merged_customer'}),
	't', 'a survivor lists the profile merged into it');

# A full refresh makes the same tables; loading the files again changes nothing.
my $snapshot = q{SELECT md5(string_agg(t, E'\n' ORDER BY t)) FROM (
    SELECT 'p' || row(p.*)::text AS t FROM connect_lake.customer_profile p
    UNION ALL SELECT 'h' || row(h.*)::text FROM connect_lake.customer_profile_history h
    UNION ALL SELECT 'm' || row(m.*)::text FROM connect_lake.customer_profile_merge m
    UNION ALL SELECT 'c' || row(c.*)::text FROM connect_lake.contact_profile c) s};
my $before = sql($snapshot);
is(sql('SELECT connect_lake.customer_profile_refresh()'), $p->{profiles}, 'customer_profile_refresh() keeps every profile');
is(sql($snapshot), $before, '... and makes the same tables as the writers kept');
is(sql(qq{SELECT files_loaded FROM connect_lake.load('customer_profile_event', '$out/customer_profiles')}),
	0, 'loading the directory again reads nothing new');

$node->stop;
done_testing();
