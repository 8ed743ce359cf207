# Forgetting a customer of a generated lake: a week of every kind loaded,
# one customer with several contacts, cases, flow logs and events forgotten
# by account number; then a pg_dump of the whole database holds none of
# their values (account numbers, Junifer id, phone numbers and e-mail
# addresses, case reference numbers, their profiles' names, phones, e-mail
# addresses, address lines and attributes), every metric and case view
# answers exactly as before (also after the flows and repeats are rebuilt),
# and loading the same export files again (copied: a re-delivery) brings
# nothing back.  Records of theirs landing later through ingest() and
# ingest_batch() are scrubbed when the transaction commits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

system('make', '-s', 'gen') == 0 && -x 'test/gen/connect_gen'
  or plan skip_all => 'cannot build test/gen/connect_gen';

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $out = "$tmp/gen";
# recent days, so that the views of the last 30 / 90 days have rows
my @t = gmtime(time - 10 * 86400);
my $start = sprintf('%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3]);
system('test/gen/connect_gen', '--out', $out, '--start', $start, '--days', '7',
	'--contacts-per-day', '150', '--customers', '120', '--seed', '14', '--malformed', '3',
	'--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";

my $node = PostgreSQL::Test::Cluster->new('forget');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');
sql(qq{SELECT count(*) FROM connect_lake.case_field_map_load(pg_read_file('$out/fields.json')::jsonb)});

my @kinds = (['ctr', 'ctr'], ['contact_flow_log', 'flowlogs'], ['contact_event', 'contact_events'],
	['case_event', 'cases'], ['agent_event', 'agent_events'], ['customer_profile_event', 'customer_profiles']);
sub load_all
{
	my ($dir) = @_;
	my $landed = 0;
	for my $k (@kinds)
	{
		my ($kind, $sub) = @$k;
		my ($failed, $inserted, $updated) = split /\|/,
		  sql(qq{SELECT files_failed, inserted, updated FROM connect_lake.load('$kind', '$dir/$sub', 'skip')});
		is($failed, 0, "$kind files of $dir load");
		$landed += $inserted + $updated;
	}
	return $landed;
}
load_all($out);
sql('SELECT connect_lake.flows_refresh(), connect_lake.contact_repeat_refresh()');

# The customer: the account with the most contacts that also has cases with
# comments, flow logs and contact events, and a profile with another merged
# into it.
my $account = sql(q{
  SELECT a.account FROM connect_lake.contact_account a
   WHERE a.account >= 40000000
     AND EXISTS (SELECT 1 FROM connect_lake.case_events c JOIN connect_lake.case_related_items r
                   ON r.detail_relateditem_caseid = c.detail_case_caseid
                  WHERE c.account = a.account AND r.comment_body IS NOT NULL)
     AND EXISTS (SELECT 1 FROM connect_lake.customer_profile p JOIN connect_lake.customer_profile x
                   ON x.merged_into = p.profile_id WHERE p.account = a.account)
   GROUP BY a.account ORDER BY count(DISTINCT a.contactid) DESC, a.account LIMIT 1});
ok($account, "a customer: account $account");
my $counts = sql(qq{
  SELECT count(DISTINCT a.contactid) || ' ' ||
         (SELECT count(DISTINCT detail_case_caseid) FROM connect_lake.case_events WHERE account = $account) || ' ' ||
         (SELECT count(*) FROM connect_lake.contact_flow_log f
           WHERE f.contactid IN (SELECT contactid FROM connect_lake.contact_account WHERE account = $account)) || ' ' ||
         (SELECT count(*) FROM connect_lake.contact_events v
           WHERE v.detail_contactid IN (SELECT contactid FROM connect_lake.contact_account WHERE account = $account))
    FROM connect_lake.contact_account a WHERE a.account = $account});
my ($n_contacts, $n_cases, $n_blocks, $n_events) = split / /, $counts;
ok($n_contacts >= 3 && $n_cases >= 1 && $n_blocks >= 3 && $n_events >= 3,
	"the customer has $n_contacts contacts, $n_cases cases, $n_blocks flow blocks, $n_events contact events");

# Their personal values, as the lake holds them now.
my @values = split /\n/, sql(qq{
  WITH c AS (SELECT DISTINCT contactid FROM connect_lake.contact_account WHERE account = $account),
       k AS (SELECT DISTINCT detail_case_caseid AS caseid FROM connect_lake.case_events WHERE account = $account)
  SELECT DISTINCT v FROM (
    SELECT a.account::text AS v FROM connect_lake.contact_account a JOIN c USING (contactid)
    UNION ALL SELECT e.customerendpoint_address FROM connect_lake.ctr_events e JOIN c USING (contactid)
    UNION ALL SELECT e.attributes_juniferid FROM connect_lake.ctr_events e JOIN c USING (contactid)
    UNION ALL SELECT s.detail_case_fields_reference_number
                FROM connect_lake.case_events s JOIN k ON s.detail_case_caseid = k.caseid) x
   WHERE v IS NOT NULL AND length(v) >= 6 ORDER BY 1});
ok(@values >= 4, 'their values: ' . join(' ', @values));

# Their profiles (those with the account and those merged into them) and
# the values these hold: names, phones, e-mail addresses, address lines,
# attributes; the names, address parts and attributes that no other profile
# holds too (a surname or a city is not theirs alone).  (Profile ids are
# random ids, kept as the links: customer_profile_merge, contact_profile,
# the cases' customer_id.)
my $profiles = sql(qq{SELECT string_agg(profile_id, ' ' ORDER BY profile_id) FROM connect_lake.customer_profile p
  WHERE p.account = $account OR p.merged_into IN (SELECT profile_id FROM connect_lake.customer_profile WHERE account = $account)});
my @profiles = split / /, $profiles;
ok(@profiles >= 2, "their profiles: $profiles");
my @pvalues = split /\n/, sql(qq{
  WITH mine AS (SELECT * FROM connect_lake.customer_profile WHERE profile_id = ANY (string_to_array('$profiles', ' '))),
       v AS (SELECT DISTINCT v, shared FROM (
         SELECT u.v, false AS shared FROM mine p CROSS JOIN LATERAL unnest(ARRAY[p.phone_number,
                  p.mobile_phone_number, p.home_phone_number, p.business_phone_number, p.email_address,
                  p.personal_email_address, p.business_email_address]) u(v)
         UNION ALL
         SELECT u.v, true FROM mine p CROSS JOIN LATERAL unnest(ARRAY[p.first_name, p.last_name, p.business_name,
                  p.birth_date]) u(v)
         UNION ALL
         SELECT j.value, true FROM mine p
          CROSS JOIN LATERAL jsonb_each_text(coalesce(p.address, '{}') || coalesce(p.shipping_address, '{}')
                                             || coalesce(p.mailing_address, '{}') || coalesce(p.billing_address, '{}')
                                             || coalesce(p.attributes, '{}')) j) x)
  SELECT v FROM v
   WHERE v IS NOT NULL AND length(v) >= 5
     AND (NOT shared OR NOT EXISTS (SELECT 1 FROM connect_lake.customer_profile o
                                     WHERE o.profile_id <> ALL (string_to_array('$profiles', ' '))
                                       AND strpos(row_to_json(o)::text, v) > 0))
   ORDER BY 1});
ok((grep { /\@/ } @pvalues) && (grep { /^\+44/ } @pvalues), 'their profile values: ' . join(' | ', @pvalues));
push @values, @pvalues;

# What every metric and case view answers, as one digest per view.
my @views = qw(queue_metrics_15min queue_metrics_daily agent_metrics_15min agent_metrics_daily
  metric_excluded_contacts flow_block_daily flow_containment_daily first_contact_resolution_daily
  agent_activity_15min agent_activity_daily case_volume_daily complaints_daily
  complaints_by_subject cases_by_category case_statuses);
sub answers
{
	my %a;
	for my $v (@views)
	{
		$a{$v} = sql(qq{SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-')
		                  FROM connect_lake.$v t});
	}
	# the case views listing cases: their non-personal columns
	$a{overdue_cases} = sql(q{SELECT count(*) || ' ' || coalesce(md5(string_agg(
	    concat_ws(',', case_id, status, level_1, is_complaint), '|' ORDER BY case_id)), '-')
	  FROM connect_lake.overdue_cases});
	$a{repeats} = sql(q{SELECT count(*) || ' ' || md5(string_agg(concat_ws(',', contactid, is_repeat, chain_id,
	    chain_seq, repeated, previous_contactid), '|' ORDER BY contactid)) FROM connect_lake.contact_repeat});
	# (open_case_backlog also says when: now(); contact_case also the shared
	# account number, a pseudonym afterwards: the links themselves must stay)
	$a{open_case_backlog} = sql(q{SELECT concat_ws(' ', open_cases, overdue_cases, open_complaints)
	  FROM connect_lake.open_case_backlog});
	$a{contact_case} = sql(q{SELECT count(*) || ' ' || md5(string_agg(concat_ws(',', contactid, case_id, link,
	    initiationtimestamp), '|' ORDER BY contactid, case_id, link)) FROM connect_lake.contact_case});
	return \%a;
}
my $before = answers();

my $t0 = Time::HiRes::time();
my $changed = sql(qq{SELECT string_agg(table_name || '=' || rows_changed, ' ' ORDER BY table_name)
                       FROM connect_lake.forget_customer(account => $account)});
note "forget_customer: $changed";
# (a figure, not a check: test/bench/forget_customer.sh measures the speed)
note sprintf('forget_customer(account) took %.0f ms, psql included', 1000 * (Time::HiRes::time() - $t0));
like($changed, qr/ctr_events=[1-9]/, 'CTRs overwritten');
like($changed, qr/contact_flow_log=[1-9]/, 'flow log blocks overwritten');
like($changed, qr/contact_events=[1-9]/, 'contact events overwritten');
like($changed, qr/case_events=[1-9].*case_related_items=[1-9]/, 'case events and comments overwritten');
like($changed, qr/customer_profile=[1-9].*customer_profile_events=[1-9]/, 'profiles and their events overwritten');
is(sql(qq{SELECT count(*) FROM connect_lake.customer_profile
           WHERE profile_id = ANY (string_to_array('$profiles', ' ')) AND account >= 0}), 0,
	'their profiles carry the pseudonym of the account');
is(sql(q{SELECT key_kind || ' ' || customers || ' ' || (key_digest IS NOT NULL) FROM connect_lake.erasure_audit}),
	'account 1 true', 'one audit row: the kind of key and its digest');

sub dump_holds
{
	my ($what) = @_;
	my $file = "$tmp/dump-$what.sql";
	$node->command_ok([ 'pg_dump', '-d', $node->connstr('postgres'), '-f', $file ], "pg_dump ($what)");
	my $dump = do { local $/; open my $fh, '<', $file or die $!; <$fh> };
	ok(length($dump) > 1_000_000, "the dump holds the lake ($what)");
	my @found = grep { my $v = quotemeta($_); $dump =~ /(?<![0-9A-Za-z])$v(?![0-9A-Za-z])/ } @values;
	is(join(' ', @found), '', "none of their values is in the dump ($what)");
	# where a value was found: the table it is in
	for my $v (@found)
	{
		my $table = '?';
		for my $line (split /\n/, $dump)
		{
			$table = $1 if $line =~ /^COPY (\S+)/;
			if (index($line, $v) >= 0) { note "$v found in $table: " . substr($line, 0, 300); last; }
		}
	}
	# the list holds digests only
	unlike($dump, qr/\b$account\b/, "the account is nowhere in the dump ($what)");
}
dump_holds('forgotten');

my $after = answers();
is($after->{$_}, $before->{$_}, "$_ answers as before") for sort keys %$before;

# Rebuilt from the scrubbed rows, the flows and the repeat chains are the same.
sql('SELECT connect_lake.flows_refresh(), connect_lake.contact_repeat_refresh()');
$after = answers();
is($after->{$_}, $before->{$_}, "$_ answers as before, rebuilt") for qw(flow_block_daily flow_containment_daily
  first_contact_resolution_daily repeats);

# The same export files delivered again (copied elsewhere: new files to the manifest).
system('cp', '-a', $out, "$tmp/again") == 0 or die "copy failed";
load_all("$tmp/again");
dump_holds('reloaded');
$after = answers();
is($after->{$_}, $before->{$_}, "$_ answers as before, reloaded") for sort keys %$before;

# Later records of theirs, committed: a newer version of one of their CTRs,
# a new contact naming the account, a flow log block, a rejected record.
my ($cid, $ts, $lu) = split /\|/, sql(qq{
  SELECT c.contactid, c.initiationtimestamp, c.lastupdatetimestamp FROM connect_lake.ctr_events c
   WHERE c.contactid IN (SELECT contactid FROM connect_lake.contact_account WHERE account < 0)
   ORDER BY c.contactid LIMIT 1});
my ($phone) = grep { /^\+44/ } @values;
$phone //= '+447700900999';
sql(qq{SELECT connect_lake.ingest('ctr', jsonb_build_object('ContactId', '$cid', 'InitiationTimestamp', '$ts'::timestamptz,
  'LastUpdateTimestamp', '$lu'::timestamptz + interval '1 day', 'Channel', 'VOICE', 'InitiationMethod', 'INBOUND',
  'CustomerEndpoint', jsonb_build_object('Address', '$phone', 'Type', 'TELEPHONE_NUMBER'),
  'Attributes', jsonb_build_object('accountNumbers', '$account', 'intent', 'billing')))});
sql(qq{SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[jsonb_build_object('ContactId', 'aaaaaaaa-0000-4000-8000-000000000080',
  'InitiationTimestamp', '$ts'::timestamptz, 'LastUpdateTimestamp', '$ts'::timestamptz, 'Channel', 'CHAT',
  'InitiationMethod', 'API', 'CustomerEndpoint', jsonb_build_object('Address', 'new-address-080\@example.com'),
  'Attributes', jsonb_build_object('accountNumbers', '$account'))]);
  SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[jsonb_build_object('ContactId', '$cid',
  'Timestamp', '$ts'::timestamptz + interval '3 seconds', 'ContactFlowId', 'f', 'ContactFlowModuleType', 'SetAttributes',
  'Identifier', 'late', 'Parameters', jsonb_build_object('Value', '$account'))]);
  SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY['{"ContactId": 80, "Attributes": {"accountNumbers": "$account"}}'::jsonb], 'skip')});
is(sql(qq{SELECT count(*) FROM connect_lake.ctr_events WHERE row_to_json(ctr_events)::text ~ '$account|new-address-080'}),
	0, 'CTRs of theirs landing later: scrubbed at commit');
is(sql(q{SELECT customerendpoint_address LIKE 'forgotten:%' FROM connect_lake.ctr_events
          WHERE contactid = 'aaaaaaaa-0000-4000-8000-000000000080'}), 't', 'a new contact naming the account: endpoint pseudonymised');
is(sql(qq{SELECT count(*) FROM connect_lake.contact_flow_log WHERE contactid = '$cid' AND parameters IS NOT NULL}),
	0, 'a late flow log block: scrubbed');
is(sql(qq{SELECT count(*) FROM connect_lake.load_rejects WHERE raw ~ '$account'}), 0, 'a rejected record of theirs: raw removed');
# a profile event of theirs (an update of their surviving profile), committed
my ($survivor) = sql(qq{SELECT profile_id FROM connect_lake.customer_profile
  WHERE profile_id = ANY (string_to_array('$profiles', ' ')) AND merged_into IS NULL});
sql(qq{SELECT connect_lake.ingest('customer_profile_event', jsonb_build_object('SchemaVersion', 0,
  'EventId', 'late-profile-080', 'EventTimestamp', '$ts'::timestamptz + interval '1 hour', 'EventType', 'UPDATED',
  'DomainName', 'energyco-customers', 'ObjectTypeName', '_profile', 'AssociatedProfileId', '$survivor',
  'ProfileObjectUniqueKey', '$survivor', 'IsMessageRealTime', true,
  'Object', jsonb_build_object('ProfileId', '$survivor', 'FirstName', 'Zebedee', 'LastName', 'Late080',
                               'PhoneNumber', '$phone', 'AccountNumber', '$account')))});
is(sql(qq{SELECT count(*) FROM connect_lake.customer_profile_events WHERE event_id = 'late-profile-080'
           AND object = '{}' AND account < 0}), 1, 'a profile event of theirs landing later: scrubbed at commit');
is(sql(q{SELECT count(*) FROM connect_lake.customer_profile WHERE row_to_json(customer_profile)::text ~ 'Late080'}), 0,
	'their profile stays forgotten');
push @values, 'Zebedee', 'Late080';
# A later event of one of their cases, then a comment on it, each in a file
# load() lands on its own (the check of either kind scrubs the whole case):
# checked at commit by their case id and change time (the months have no
# index on the event id since session 9), both scrubbed.
my ($case, $created) = split /\|/, sql(q{SELECT detail_case_caseid, detail_case_createddatetime
  FROM connect_lake.case_state WHERE account < 0 AND detail_case_createddatetime IS NOT NULL ORDER BY 1 LIMIT 1});
ok($case, 'one of their cases');
mkdir "$tmp/late_case";
mkdir "$tmp/late_comment";
write_lines("$tmp/late_case/late.ndjson",
	sql(qq{SELECT jsonb_build_object('id', 'late-case-080', 'detail-type', 'Amazon Connect Cases Change',
  'source', 'aws.cases', 'time', now(), 'detail', jsonb_build_object('eventType', 'CASE.UPDATED',
    'approximateChangeTime', now(), 'case', jsonb_build_object('caseId', '$case', 'createdDateTime', '$created'::timestamptz,
      'fields', jsonb_build_object('summary', jsonb_build_object('value', jsonb_build_object('stringValue', 'Late080 called back')),
                                   'status', jsonb_build_object('value', jsonb_build_object('stringValue', 'open'))))))::text}));
write_lines("$tmp/late_comment/late.ndjson",
	sql(qq{SELECT jsonb_build_object('id', 'late-item-080', 'detail-type', 'Amazon Connect Cases Change',
  'source', 'aws.cases', 'detail', jsonb_build_object('eventType', 'RELATED_ITEM.CREATED', 'approximateChangeTime', now(),
    'relatedItem', jsonb_build_object('relatedItemType', 'Comment', 'relatedItemId', 'ri-080', 'caseId', '$case',
      'comment', jsonb_build_object('body', 'Late080 thanked us'))))::text}));
is(sql(qq{SELECT files_loaded || ' ' || inserted FROM connect_lake.load('case_event', '$tmp/late_case')}), '1 1',
	'load() lands a later event of their case');
is(sql(q{SELECT count(*) FROM connect_lake.case_events WHERE event_id = 'late-case-080' AND detail_case_fields_summary IS NULL
          AND NOT row_to_json(case_events)::text ~ 'Late080'}), 1,
	'a later event of their case, landed by load(): scrubbed at commit');
is(sql(qq{SELECT files_loaded || ' ' || inserted FROM connect_lake.load('case_event', '$tmp/late_comment')}), '1 1',
	'load() lands a comment on their case');
is(sql(q{SELECT count(*) FROM connect_lake.case_related_items WHERE event_id = 'late-item-080' AND comment_body IS NULL}),
	1, 'a comment on their case, landed by load(): scrubbed at commit');
is(sql(q{SELECT count(*) FROM connect_lake.case_state WHERE row_to_json(case_state)::text ~ 'Late080'}), 0,
	'their case stays forgotten');
push @values, 'Late080';
is(sql(q{SELECT count(*) > 0 FROM connect_lake.erasure_audit WHERE key_kind = 'reapplied'}), 't',
	"the loader's scrubbing is audited");
is(sql(qq{SELECT count(DISTINCT account) FROM connect_lake.contact_account WHERE account < 0
           AND contactid IN ('$cid', 'aaaaaaaa-0000-4000-8000-000000000080')}), 1,
	"the new contact carries the account's pseudonym: it joins their other contacts");

# Later records of theirs in files loaded by load()'s workers: each file
# commits on its own with its erasure check (immediate, not queued with the
# rest of the upkeep), the rejects' raw text too.
mkdir "$tmp/late";
mkdir "$tmp/late/$_" for qw(ctr flowlogs);
sub write_lines
{
	my ($file, @lines) = @_;
	open my $fh, '>', $file or die $!;
	print $fh "$_\n" for @lines;
	close $fh;
}
write_lines("$tmp/late/ctr/late.ndjson",
	sql(qq{SELECT jsonb_build_object('ContactId', '$cid', 'InitiationTimestamp', '$ts'::timestamptz,
  'LastUpdateTimestamp', '$lu'::timestamptz + interval '2 days', 'Channel', 'VOICE', 'InitiationMethod', 'INBOUND',
  'CustomerEndpoint', jsonb_build_object('Address', '$phone', 'Type', 'TELEPHONE_NUMBER'),
  'Attributes', jsonb_build_object('accountNumbers', '$account', 'intent', 'billing'))::text}),
	sql(qq{SELECT jsonb_build_object('ContactId', 'bbbbbbbb-0000-4000-8000-000000000081', 'InitiationTimestamp', '$ts'::timestamptz,
  'LastUpdateTimestamp', '$ts'::timestamptz, 'Channel', 'CHAT', 'InitiationMethod', 'API',
  'CustomerEndpoint', jsonb_build_object('Address', 'worker-address-081\@example.com'),
  'Attributes', jsonb_build_object('accountNumbers', '$account'))::text}),
	qq({"ContactId": 81, "Attributes": {"accountNumbers": "$account"}}));
write_lines("$tmp/late/flowlogs/late.ndjson",
	sql(qq{SELECT jsonb_build_object('ContactId', '$cid', 'Timestamp', '$ts'::timestamptz + interval '4 seconds',
  'ContactFlowId', 'f', 'ContactFlowModuleType', 'SetAttributes', 'Identifier', 'late-081',
  'Parameters', jsonb_build_object('Value', '$account'))::text}));
is(sql(qq{SELECT files_loaded || ' ' || inserted || ' ' || updated || ' ' || rejected
            FROM connect_lake.load('ctr', '$tmp/late/ctr', 'skip', workers => 2)}), '1 1 1 1',
	"load()'s workers land a newer version of their CTR, a new contact of theirs and a reject");
is(sql(qq{SELECT files_loaded FROM connect_lake.load('contact_flow_log', '$tmp/late/flowlogs', 'skip', workers => 2)}), 1,
	"load()'s workers land a late flow log block of theirs");
is(sql(qq{SELECT count(*) FROM connect_lake.ctr_events WHERE row_to_json(ctr_events)::text ~ '$account|worker-address-081'}),
	0, "CTRs of theirs landed by load()'s workers: scrubbed at the file's commit");
is(sql(q{SELECT customerendpoint_address LIKE 'forgotten:%' FROM connect_lake.ctr_events
          WHERE contactid = 'bbbbbbbb-0000-4000-8000-000000000081'}), 't', "... the new contact's endpoint pseudonymised");
is(sql(qq{SELECT count(*) FROM connect_lake.contact_flow_log WHERE contactid = '$cid' AND identifier = 'late-081'
           AND parameters IS NULL}), 1, "a late flow log block landed by load()'s workers: scrubbed");
is(sql(qq{SELECT count(*) FROM connect_lake.load_rejects WHERE path LIKE '%/late/ctr/%' AND raw IS NULL}), 1,
	"a rejected record of theirs in a worker's file: raw removed");
dump_holds('redelivered');

$node->stop;
done_testing();
