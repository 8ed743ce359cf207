# connect_lake_fdw and connect_lake.load() over real files: every framing and
# compression, the published samples, re-runs and the manifest, all-or-nothing
# files, rejects, bad input of every kind, symlinks and permissions, and two
# sessions loading the same directory at once.
use strict;
use warnings;
use File::Path qw(make_path);
use IO::Compress::Gzip qw(gzip $GzipError);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('loader');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

my $tmp = PostgreSQL::Test::Utils::tempdir;

sub wr
{
	my ($path, $bytes) = @_;
	my ($dir) = $path =~ m{^(.*)/};
	make_path($dir);
	open my $fh, '>:raw', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
	return $path;
}

sub gz
{
	my $out = '';
	for my $member (@_)
	{
		my ($in, $z) = ("$member", '');
		gzip(\$in => \$z) or die $GzipError;
		$out .= $z;
	}
	return $out;
}

sub sql { return $node->safe_psql('postgres', $_[0]); }

# psql that may fail: (rc, stdout, stderr)
sub try
{
	my ($stdout, $stderr);
	my $rc = $node->psql('postgres', $_[0], stdout => \$stdout, stderr => \$stderr);
	return ($rc, $stdout, $stderr);
}

my $n = 0;

sub flow
{
	my (%o) = @_;
	$n++;
	my $cid = $o{cid} // sprintf('00000000-0000-4000-8000-%012d', $n);
	my $ts  = $o{ts}  // sprintf('2024-05-01T10:%02d:%02d.%03dZ', ($n / 60) % 60, $n % 60, $n % 1000);
	my $extra = $o{extra} // '';
	return qq({"ContactId":"$cid","ContactFlowId":"arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f",)
	  . qq("ContactFlowName":"Main","ContactFlowModuleType":"SetQueue","Identifier":"block $n",)
	  . qq("Timestamp":"$ts","Parameters":{"Queue":"q$n"}$extra});
}

# Scan a path through a fresh foreign table: (rc, stdout, stderr).
my $ft = 0;
sub scan
{
	my ($path, $opts, $select) = @_;
	$opts //= '';
	$select //= 'count(*)';
	$ft++;
	sql("SELECT connect_lake.create_foreign_table('ft$ft', 'contact_flow_log', '$path' $opts)");
	return try("SELECT $select FROM ft$ft");
}

sub load
{
	my ($kind, $path, $on_error) = @_;
	$on_error //= 'stop';
	return sql("SELECT files_seen, files_loaded, files_skipped, files_failed, records_read, inserted, updated, duplicates, rejected
	            FROM connect_lake.load('$kind', '$path', '$on_error')");
}

# ---------- every framing, gzip or not, through the FDW and load() ----------
{
	my @ev = map { flow() } 1 .. 3;
	my $d = "$tmp/framings";
	my %files = (
		'a.ndjson'      => join("\n", @ev) . "\n",
		'b.concat'      => join('', @ev),
		'c.array.json'  => '[' . join(",\n", @ev) . ']',
		'd.export'      => join('', map { "2024-05-01T10:00:00.000Z $_\n" } @ev),
		'e.subscription' => gz(map {
				qq({"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/connect/acme","logStream":"s1",)
				  . qq("subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":)
				  . do { (my $m = $_) =~ s/(["\\])/\\$1/g; qq("$m") } . '}]}'
			} @ev),
		'f.filter.json' => '{"events":[' . join(',', map {
				(my $m = $_) =~ s/(["\\])/\\$1/g;
				qq({"logStreamName":"s2","timestamp":1,"message":"$m","ingestionTime":2,"eventId":"e"})
			} @ev) . '],"searchedLogStreams":[]}',
	);
	for my $f (sort keys %files)
	{
		wr("$d/$f", $files{$f});
		wr("$d/gz/$f.gz", gz($files{$f})) unless $f eq 'e.subscription';
		wr("$d/multi/$f", gz(substr($files{$f}, 0, 10), substr($files{$f}, 10)))
		  unless $f eq 'e.subscription';
	}
	my ($rc, $out, $err) = scan($d, '', q{string_agg(DISTINCT identifier, ',' ORDER BY identifier) || ' ' || count(*)});
	is($out, 'block 1,block 2,block 3 48', 'FDW reads every framing, gzip and multi-member gzip, auto-detected');
	is(sql(q{SELECT count(*) FROM ft1 WHERE log_group = '/aws/connect/acme' AND log_stream = 's1'}), '3',
		'subscription envelopes give log_group and log_stream');
	is(sql(q{SELECT count(*) FROM ft1 WHERE log_stream = 's2'}), '9', 'filter-log-events gives log_stream');
	is(load('contact_flow_log', $d), '16|16|0|0|48|3|0|45|0', 'load() lands each event once');
	is(sql(q{SELECT count(*) FROM connect_lake.contact_flow_log}), '3', 'three rows in the lake');
	is(load('contact_flow_log', $d), '16|0|16|0|0|0|0|0|0', 'a second load() skips every file');
	($rc, $out, $err) = scan("$d/a.ndjson", ", format => 'cloudwatch_export'");
	like($err, qr/ERROR: .*\n(.*\n)*CONTEXT:  connect_lake file ".*a\.ndjson", line 1, byte offset 0/,
		'explicit format is obeyed (NDJSON read as a CloudWatch export fails)');
}

# ---------- the published samples, in every framing ----------
SKIP:
{
	my $s = $ENV{CONNECT_LAKE_SAMPLES};
	skip 'samples absent ($CONNECT_LAKE_SAMPLES)', 13 unless $s && -d $s;
	my $slurp = sub { local $/; open my $fh, '<:raw', "$s/$_[0]" or die $!; my $x = <$fh>; $x };
	my @ctr = map { $slurp->($_) } qw(ctr_kyopark_pretty_1.json ctr_kyopark_case1_first_delivery.json
	  ctr_kyopark_case2_update.json ctr_workshop_b64_abandoned_agent_null_2018.json);
	my @flow = map { $slurp->($_) } qw(flowlog_awsdocs_2021_1_setqueue.json flowlog_krdoc_5_setloggingbehavior.json
	  flowlog_skillbuilder_3_invokeexternalresource_success.json flowlog_skillbuilder_4_invokeexternalresource_error.json);
	my $one = sub { (my $x = $_[0]) =~ s/\s*\n\s*/ /g; $x =~ s/\s+$//; $x };
	my $d = "$tmp/samples";
	for my $kind (['ctr', \@ctr], ['flow', \@flow])
	{
		my ($k, $recs) = @$kind;
		wr("$d/$k/concatenated_pretty.json", join('', @$recs));
		wr("$d/$k/firehose_noext", gz(join('', map { $one->($_) } @$recs)));
		wr("$d/$k/firehose_members", gz(map { $one->($_) } @$recs));
		wr("$d/$k/lines.ndjson", join("\n", map { $one->($_) } @$recs) . "\n");
		wr("$d/$k/array.json", '[' . join(',', @$recs) . ']');
	}
	# flow logs also arrive in CloudWatch envelopes
	my $esc = sub { (my $m = $one->($_[0])) =~ s/(["\\])/\\$1/g; $m };
	wr("$d/flow/export.gz", gz(join('', map { "2024-05-04T22:28:30.474Z " . $one->($_) . "\n" } @flow)));
	wr("$d/flow/subscription", gz(map {
			'{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/aws/connect/uplus-aicc","logStream":"x",'
			  . '"subscriptionFilters":[],"logEvents":[{"id":"1","timestamp":1,"message":"' . $esc->($_) . '"}]}'
		} @flow));
	wr("$d/flow/filter.json", '{"events":[' . join(',', map {
			'{"logStreamName":"x","timestamp":1,"message":"' . $esc->($_) . '","ingestionTime":1,"eventId":"1"}' } @flow) . ']}');

	is(load('ctr', "$d/ctr"), '5|5|0|0|20|2|1|17|0', 'the CTR samples load through every framing');
	is(sql(q{SELECT string_agg(contactid || ' ' || lastupdatetimestamp || ' ' || versions_seen, ', ' ORDER BY contactid)
	       FROM connect_lake.ctr_events}),
		'6fe40d2a-1a89-4d73-bfcf-5d9c33894f47 2022-01-11 03:41:32+00 15, c54d7b3a-581d-45ce-9a3c-e4cbb62eca3f 2018-11-02 07:02:11+00 5',
		'the latest CTR version wins; every delivery is counted');
	is(load('contact_flow_log', "$d/flow", 'skip'), '8|8|0|0|32|2|0|14|16', 'the flow log samples load through every framing');
	is(sql(q{SELECT count(*) || ' ' || min(reason) FROM connect_lake.load_rejects WHERE path LIKE '%/samples/flow/%'}),
		'16 invalid UUID (Field: ContactId.)',
		'the two redacted samples (ContactId ends in xxxxxxxxxxxx) are rejected, not loaded');
	is(sql(q{SELECT string_agg(DISTINCT contactflowname, ',') FROM connect_lake.contact_flow_log WHERE contactid = '87367aaf-99c3-441c-89c1-c8c25bf379a7'}),
		'AX채널Lab', 'Korean flow names survive');
	my ($rc, $out, $err) = scan("$d/flow/subscription", ", on_error => 'skip'", q{string_agg(DISTINCT log_group, ',')});
	is($out, '/aws/connect/uplus-aicc', 'the log group of subscription envelopes is kept');
	# with the redaction replaced by hex digits, all four land
	wr("$d/flow_fixed/lines.ndjson", join("\n", map { (my $x = $one->($_)) =~ s/x{12}/abcdefabcdef/g; $x } @flow));
	is(load('contact_flow_log', "$d/flow_fixed"), '1|1|0|0|4|2|0|2|0', 'unredacted, every flow log sample lands');

	# the event kinds load through the same path
	wr("$d/contact/events.json", join('', map { $slurp->($_) } qw(contact_event_1_connected_to_agent_awsdocs_2021.json
	  contact_event_2_contact_data_updated_contactlens_awsdocs.json)));
	wr("$d/agent/events.gz", gz($slurp->('agent_event_2_state_change_awsdocs.json')));
	# (the Contact Lens doc sample has "`the contact ID`" where the contactId goes: rejected)
	is(load('contact_event', "$d/contact", 'skip'), '1|1|0|0|2|1|0|0|1', 'contact event samples load');
	is(load('agent_event', "$d/agent"), '1|1|0|0|1|1|0|0|0', 'the agent event sample loads (gzip)');
	# the Cases samples are documentation with // comments: not JSON, rejected with their position
	wr("$d/case/case.jsonc", $slurp->('case_event_1_case_updated_awsdocs_2022.jsonc'));
	($rc, $out, $err) = try("SELECT records_read, inserted, rejected FROM connect_lake.load('case_event', '$d/case', 'skip')");
	like($out, qr/^\d+\|0\|[1-9]\d*$/, 'commented Cases samples are rejected, not loaded');
	like(sql(q{SELECT reason || ' @' || line FROM connect_lake.load_rejects WHERE path LIKE '%/case/case.jsonc' ORDER BY reject_id LIMIT 1}),
		qr/comment|JSON|unexpected|invalid/i, '... with a reason');

	# without the comments: case events and related items alternate in one file; each lands in
	# its own table (the kind routes records), thousands of times over without memory growth
	my $strip = sub { (my $x = $_[0]) =~ s{(^|\s)//[^\n]*}{$1}g; $x =~ s/,(\s*[}\]])/$1/g; $one->($x) };
	my @two = map { $strip->($slurp->($_)) } qw(case_event_1_case_updated_awsdocs_2022.jsonc
	  case_event_2_related_item_created_awsdocs_2022.jsonc);
	wr("$d/cases/routed.ndjson", join('', map { (my $x = $two[$_ % 2]) =~ s/"id": "event ID"/"id": "event $_"/; "$x\n" } 1 .. 4000));
	is(load('case_event', "$d/cases"), '1|1|0|0|4000|4000|0|0|0', 'case events and related items load from one file');
	is(sql(q{SELECT (SELECT count(*) FROM connect_lake.case_events WHERE event_id LIKE 'event %') || ' ' ||
	               (SELECT count(*) FROM connect_lake.case_related_items WHERE event_id LIKE 'event %')}),
		'2000 2000', '... each into its own table');
}

# ---------- a value its column cannot hold costs nothing but the column ----------
{
	# a case account that is not an integer: the event lands, account NULL,
	# the value kept in detail_case_fields_other, and load() counts it
	my $d = "$tmp/odd_accounts";
	sql(q{INSERT INTO connect_lake.case_field_map (field_id, column_name) VALUES ('f-acct', 'account')});
	wr("$d/cases.ndjson", join('', map {
		my ($n, $acct) = @$_;
		qq({"id": "odd-$n", "detail": {"eventType": "CASE.CREATED", "approximateChangeTime": "2024-05-0${n}T09:00:00Z", )
		  . qq("case": {"caseId": "odd-case-$n", "createdDateTime": "2024-05-0${n}T09:00:00Z", )
		  . qq("fields": {"f-acct": {"value": {"stringValue": "$acct"}}}}}}\n)
	} [1, 'ACC-1'], [2, '40000002'], [3, 'n/a']));
	is(sql(qq{SELECT records_read || ' ' || inserted || ' ' || rejected || ' ' || values_nulled
	            FROM connect_lake.load('case_event', '$d')}), '3 3 0 2',
		'load(): 3 case events land, 2 accounts that are not integers counted in values_nulled');
	is(sql(q{SELECT string_agg(coalesce(account::text, '-') || ' ' || coalesce(detail_case_fields_other::text, '-'), '; ' ORDER BY id)
	           FROM connect_lake.case_events WHERE id LIKE 'odd-case-%'}),
		'- {"f-acct": "ACC-1"}; 40000002 -; - {"f-acct": "n/a"}', '... with account NULL and the value kept');
	sql(q{DELETE FROM connect_lake.case_field_map WHERE field_id = 'f-acct'});
}

# ---------- case_state: once per load() call, for the cases of every file ----------
{
	# a case's events spread over three files (its deletion without fields in
	# the last, a file that fails between them); the state is read inside the
	# load's own transaction, and equals a full refresh from the events
	my $d = "$tmp/case_state";
	my $ev = sub {
		my ($id, $case, $type, $t, $fields) = @_;
		my $case_json = $fields
		  ? qq("case": {"caseId": "$case", "createdDateTime": "2024-06-01T08:00:00Z", "fields": {$fields}})
		  : qq("case": {"caseId": "$case"});
		return qq({"id": "$id", "detail": {"eventType": "$type", "approximateChangeTime": "$t", $case_json}}\n);
	};
	my $st = sub { qq("status": {"value": {"stringValue": "$_[0]"}}) };
	wr("$d/1.ndjson", $ev->('cs-1', 'cs-a', 'CASE.CREATED', '2024-06-01T08:00:00Z', $st->('open'))
		  . $ev->('cs-2', 'cs-b', 'CASE.CREATED', '2024-06-01T08:05:00Z', $st->('open')));
	wr("$d/2.ndjson", $ev->('cs-3', 'cs-a', 'CASE.UPDATED', '2024-06-01T09:00:00Z', $st->('closed'))
		  . qq({"id": "cs-bad", "detail": {"eventType": "CASE.UPDATED"\n));
	wr("$d/3.ndjson", $ev->('cs-4', 'cs-a', 'CASE.UPDATED', '2024-06-01T10:00:00Z', $st->('pending'))
		  . $ev->('cs-5', 'cs-b', 'CASE.DELETED', '2024-06-01T11:00:00Z', undef)
		  . $ev->('cs-6', 'cs-c', 'CASE.CREATED', '2024-06-01T07:00:00Z', $st->('open')));
	my ($rc, $out, $err) = try(qq{BEGIN;
		SELECT files_loaded || ' ' || files_failed || ' ' || inserted FROM connect_lake.load('case_event', '$d');
		SELECT string_agg(detail_case_caseid || ' ' || event_id || ' ' || detail_event_type || ' ' ||
		                  coalesce(detail_case_fields_status, '-') || ' ' || (detail_case_createddatetime IS NOT NULL),
		                  '; ' ORDER BY detail_case_caseid)
		  FROM connect_lake.case_state WHERE detail_case_caseid LIKE 'cs-%';
		COMMIT;});
	is($out, "2 1 5\ncs-a cs-4 CASE.UPDATED pending true; cs-b cs-5 CASE.DELETED open true; cs-c cs-6 CASE.CREATED open true",
		'load(): case_state of the cases of every file loaded, in its own transaction; the failed file none; a deletion keeps the fields');
	is(sql(q{CREATE TEMP TABLE before AS SELECT * FROM connect_lake.case_state;
		TRUNCATE connect_lake.case_state; CREATE TEMP TABLE refreshed AS SELECT connect_lake.case_state_refresh();
		SELECT count(*) FROM (SELECT * FROM before EXCEPT SELECT * FROM connect_lake.case_state) x}), '0',
		'... the same state as a refresh from all the events');
	# the failed file fixed: its case's later event does not go back
	wr("$d/2.ndjson", $ev->('cs-3', 'cs-a', 'CASE.UPDATED', '2024-06-01T09:00:00Z', $st->('closed')));
	is(sql(qq{SELECT files_loaded FROM connect_lake.load('case_event', '$d');
		SELECT event_id || ' ' || detail_case_fields_status FROM connect_lake.case_state WHERE detail_case_caseid = 'cs-a'}),
		"1\ncs-4 pending", '... an older event loaded later leaves the latest state');
}

# ---------- re-runs: unchanged, touched, changed ----------
{
	my $d = "$tmp/rerun";
	my @ev = map { flow() } 1 .. 4;
	wr("$d/x.ndjson", join("\n", @ev[0, 1]) . "\n");
	is(load('contact_flow_log', $d), '1|1|0|0|2|2|0|0|0', 'first load');
	utime(time, time + 100, "$d/x.ndjson");
	is(load('contact_flow_log', $d), '1|0|1|0|0|0|0|0|0', 'a touched file with the same bytes is skipped');
	is(sql(q{SELECT mtime = to_timestamp(} . (stat("$d/x.ndjson"))[9] . q{) FROM connect_lake.load_manifest WHERE path LIKE '%/rerun/x.ndjson'}),
		't', '... and its new mtime recorded');
	wr("$d/x.ndjson", join("\n", @ev) . "\n");
	is(load('contact_flow_log', $d), '1|1|0|0|2|2|0|0|0', 'a file appended to is loaded again: only the new records are read into the lake');
	is(sql(q{SELECT status || ' ' || records || ' ' || inserted || ' ' || duplicates || ' ' || length(checksum) FROM connect_lake.load_manifest WHERE path LIKE '%/rerun/x.ndjson'}),
		'loaded 4 4 0 16', 'the manifest holds the file as read, the counts of both loads');
	wr("$d/x.ndjson", join("\n", @ev[1, 2, 3, 0]) . "\n");
	is(load('contact_flow_log', $d), '1|1|0|0|4|0|0|4|0', 'a changed file is reloaded whole: every record a duplicate');
}

# ---------- on_error: stop and skip; each file all or nothing ----------
{
	my $d = "$tmp/stop";
	wr("$d/1_good.ndjson", flow() . "\n" . flow() . "\n");
	my $two = flow() . "\n" . flow() . "\n";
	wr("$d/2_bad.ndjson", $two . '{"ContactId": "oops' . "\n" . flow() . "\n");
	my ($start, $noticed) = (length($two), length($two) + length('{"ContactId": "oops'));
	wr("$d/3_good.ndjson", flow() . "\n");
	my ($rc, $out, $err) = try("SELECT files_seen, files_loaded, files_failed, inserted, error IS NOT NULL FROM connect_lake.load('contact_flow_log', '$d')");
	is($out, '3|2|1|3|t', "on_error 'stop' fails the bad file alone: the files after it still load");
	like($err, qr/WARNING:  connect_lake.load: file ".*2_bad.ndjson" not loaded: line 3, byte offset $start: a string runs into a line break.*\nDETAIL:  The problem was noticed at line 3, byte offset $noticed\.\nHINT:  Near: \{"ContactId": "oops/,
		'... with a WARNING naming the file, line and byte offset (the bytes in the HINT only)');
	like($err, qr/1 of 3 files not loaded \(on_error 'stop'\)/, '... and a summary of the files not loaded');
	is(sql(q{SELECT count(*) FROM connect_lake.contact_flow_log WHERE source_file LIKE '%/stop/2_bad.ndjson'}), '0',
		'nothing of the bad file landed (its first two good records neither)');
	is(sql(q{SELECT count(*) FROM connect_lake.contact_flow_log WHERE source_file LIKE '%/stop/1_good.ndjson'}), '2',
		'the file before it stays loaded');
	is(sql(q{SELECT count(*) FROM connect_lake.contact_flow_log WHERE source_file LIKE '%/stop/3_good.ndjson'}), '1',
		'the file after it loaded');
	is(sql(q{SELECT string_agg(status || ':' || coalesce((error LIKE '%line 3, byte offset%')::text, '') || ':' || coalesce((error LIKE '%oops%')::text, ''), ',' ORDER BY path) FROM connect_lake.load_manifest WHERE path LIKE '%/stop/%'}),
		'loaded::,failed:true:false,loaded::', 'the manifest records the failure with its position, without quoting the file');

	($rc, $out, $err) = try("SELECT files_loaded, files_skipped, records_read, inserted, rejected FROM connect_lake.load('contact_flow_log', '$d', 'skip')");
	is($out, '1|2|4|3|1', "on_error 'skip' then lands the good records of the bad file (the others are loaded already)");
	like(sql(q{SELECT line || ' ' || byte_offset || ' ' || raw || ' | ' || reason FROM connect_lake.load_rejects WHERE path LIKE '%/stop/2_bad.ndjson'}),
		qr/^3 $start \{"ContactId": "oops\n \| a string runs into a line break/, 'the bad record is in load_rejects with line, offset, raw text and reason');
	is(sql(q{SELECT status FROM connect_lake.load_manifest WHERE path LIKE '%/stop/2_bad.ndjson'}), 'loaded', 'the file is now loaded');
}

# ---------- a bad record is reported where it starts, in every framing ----------
# A pretty-printed record whose comma is missing at the end of its 5th line is
# only noticed at its 6th: the WARNING, the CONTEXT and load_rejects name its
# first line and byte offset (where load_rejects.raw starts); the DETAIL says
# where the problem was noticed.
{
	my $d = "$tmp/errstart";
	# one top-level key per line (flow()'s nested objects have no commas)
	my $pretty = sub { (my $j = $_[0]) =~ s/^\{/{\n  /; $j =~ s/,"/,\n  "/g; $j =~ s/\}$/\n}/; $j };
	my $broken = sub { (my $j = $pretty->(flow())) =~ s/,\n  "Identifier"/\n  "Identifier"/ or die; $j };
	# (line, byte offset) of a byte offset in $text
	my $at = sub { my ($text, $off) = @_; (1 + (substr($text, 0, $off) =~ tr/\n//), $off) };
	my $esc = sub { (my $m = $_[0]) =~ s/(["\\])/\\$1/g; $m =~ s/\n/\\n/g; $m };

	# framing => [file name, bytes, the bad record's text, offset where it starts, offset where it is noticed]
	my %case;
	{
		my $bad = $broken->();
		my $text = $pretty->(flow()) . $bad . "\n" . $pretty->(flow()) . "\n";
		$case{concatenated} = [ 'pretty.json', $text, $bad ];
	}
	{
		my $bad = $broken->();
		my $text = "[\n" . $pretty->(flow()) . ",\n" . $bad . ",\n" . $pretty->(flow()) . "\n]\n";
		$case{array} = [ 'array.json', $text, $bad ];
	}
	{
		my $bad = $broken->();
		my $text = join('', map { "2024-05-01T10:00:0$_->[0].000Z $_->[1]\n" }
			[ 1, $pretty->(flow()) ], [ 2, $bad ], [ 3, $pretty->(flow()) ]);
		$case{cloudwatch_export} = [ 'export.txt', $text, $bad ];
	}
	{
		my $ev = sub { my ($m, $sep) = @_; qq({\n    "logStreamName": "s",\n    "timestamp": 1$sep\n    "message": "$m",\n    "eventId": "e"\n  }) };
		my $bad = $ev->($esc->(flow()), '');    # no comma after "timestamp": 1
		my $text = qq({"events": [\n  ) . $ev->($esc->(flow()), ',') . ",\n  $bad,\n  " . $ev->($esc->(flow()), ',')
		  . qq(\n], "searchedLogStreams": []}\n);
		$case{filter_log_events} = [ 'filter.json', $text, $bad, qr/"message"/ ];
	}
	{
		my $env = sub { my ($m, $sep) = @_; qq({\n  "messageType": "DATA_MESSAGE",\n  "owner": "1",\n  "logGroup": "g",\n  "logStream": "s"$sep\n  "logEvents": [{"id": "1", "timestamp": 1, "message": "$m"}]\n}) };
		my $bad = $env->($esc->(flow()), '');   # no comma after "logStream"
		my $text = $env->($esc->(flow()), ',') . "\n" . $bad . "\n" . $env->($esc->(flow()), ',') . "\n";
		$case{cloudwatch_subscription} = [ 'subscription.gz', $text, $bad, qr/"logEvents"/ ];
	}
	for my $framing (sort keys %case)
	{
		my ($name, $text, $bad, $noticed_re) = @{ $case{$framing} };
		my $start = index($text, $bad);
		die "$framing: bad record not found" if $start < 0;
		$noticed_re //= qr/"Identifier"/;
		$bad =~ $noticed_re or die "$framing: no $noticed_re";
		my ($line, $off) = $at->($text, $start);
		my ($nline, $noff) = $at->($text, $start + $-[0]);
		cmp_ok($nline, '>', $line, "$framing: the test record breaks after its first line");
		wr("$d/$framing/$name", $name =~ /\.gz$/ ? gz($text) : $text);

		# on_error 'stop': the WARNING and the manifest
		my ($rc, $out, $err) = try("\\set SHOW_CONTEXT always\nSELECT files_failed, error FROM connect_lake.load('contact_flow_log', '$d/$framing')");
		like($err, qr/WARNING:  connect_lake.load: file ".*\Q$name\E" not loaded: line $line, byte offset $off: .*\nDETAIL:  The problem was noticed at line $nline, byte offset $noff\.\nHINT:  Near: .*\nCONTEXT:  connect_lake file ".*\Q$name\E", line $line, byte offset $off(?:\n|$)/,
			"$framing: load() stop: the WARNING names the start (line $line), the DETAIL where it was noticed (line $nline)");
		like($out, qr/^1\|.* DETAIL: The problem was noticed at line $nline, byte offset $noff\..* CONTEXT: connect_lake file ".*", line $line, byte offset $off$/,
			"$framing: ... and so does the manifest's error");

		# on_error 'skip': load_rejects
		($rc, $out, $err) = try("SELECT files_loaded, inserted, rejected FROM connect_lake.load('contact_flow_log', '$d/$framing', 'skip')");
		is($out, '1|2|1', "$framing: load() skip lands the two good records, rejects the bad one");
		is(sql(qq{SELECT line || ' ' || byte_offset || ' ' || (strpos(reason, 'The problem was noticed at line $nline, byte offset $noff.') > 0)
		              || ' ' || (left(raw, length(\$x\$$bad\$x\$)) = \$x\$$bad\$x\$)
		            FROM connect_lake.load_rejects WHERE path LIKE '%/errstart/$framing/%'}),
			"$line $off true true",
			"$framing: load_rejects.line and byte_offset are the start, raw starts there, the reason says where it was noticed");

		# the foreign table: ERROR and skip NOTICE
		($rc, $out, $err) = scan("$d/$framing");
		like($err, qr/ERROR:  .*\nDETAIL:  The problem was noticed at line $nline, byte offset $noff\.\nHINT:  Near: .*\nCONTEXT:  connect_lake file ".*\Q$name\E", line $line, byte offset $off(?:\n|$)/,
			"$framing: a foreign table's ERROR: CONTEXT at the start, DETAIL where noticed");
		($rc, $out, $err) = scan("$d/$framing", ", on_error => 'skip'");
		like($err, qr/NOTICE:  skipping bad record at line $line, byte offset $off of ".*\Q$name\E": .*\nDETAIL:  The problem was noticed at line $nline, byte offset $noff\./,
			"$framing: a foreign table skipping it names the start, the DETAIL where noticed");
	}

	# valid JSON whose field does not convert: the record's first line, no second position
	{
		(my $bad = $pretty->(flow(ts => '2017-11-09T12:17.898Z'))) =~ /"Timestamp"/ or die;
		my $text = $pretty->(flow()) . "\n" . $bad . "\n";
		my ($line, $off) = $at->($text, index($text, $bad));
		wr("$d/mapping/m.json", $text);
		my ($rc, $out, $err) = try("\\set SHOW_CONTEXT always\nSELECT files_failed FROM connect_lake.load('contact_flow_log', '$d/mapping')");
		like($err, qr/WARNING:  connect_lake.load: file ".*m.json" not loaded: line $line, byte offset $off: invalid timestamp\nDETAIL:  Field: Timestamp\.\nHINT:  Value: "2017-11-09T12:17.898Z"\. Record: (?s:.*?)CONTEXT:  connect_lake file ".*m.json", line $line, byte offset $off, contact /,
			'a field that does not convert: reported at the record\'s first line, the DETAIL names the field');
		try("SELECT FROM connect_lake.load('contact_flow_log', '$d/mapping', 'skip')");
		is(sql(q{SELECT line || ' ' || byte_offset || ' ' || reason FROM connect_lake.load_rejects WHERE path LIKE '%/errstart/mapping/%'}),
			qq{$line $off invalid timestamp (Field: Timestamp.)}, '... and in load_rejects, without the value');
	}

	# a bad message inside a CloudWatch envelope is placed at its envelope (line 2) and noticed there
	{
		my $ok = qq({"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":") . $esc->(flow()) . qq("}]}\n);
		my $text = $ok . qq({"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"2","timestamp":1,"message":"{\\"ContactId\\": x}"}]}\n);
		wr("$d/message/s.gz", gz($text));
		my $off = length($ok);
		my ($rc, $out, $err) = try("\\set SHOW_CONTEXT always\nSELECT files_failed FROM connect_lake.load('contact_flow_log', '$d/message')");
		like($err, qr/WARNING:  connect_lake.load: file ".*s.gz" not loaded: line 2, byte offset $off: event 0: unexpected character\nHINT:  Near: \{"ContactId": x\}\nCONTEXT:  connect_lake file ".*s.gz", line 2, byte offset $off(?:\n|$)/,
			'a bad message in an envelope: at the envelope, the HINT shows the message');
	}
}

# ---------- bad input, one file each ----------
{
	my $d = "$tmp/bad";
	my $good = flow();
	my %cases = (
		'truncated.gz'   => [ substr(gz($good . "\n" . flow() . "\n"), 0, 60), qr/could not read file ".*truncated.gz": .*(truncat|unexpected end)/i ],
		'garbage.gz'     => [ "\x1f\x8b\x08\x00" . ("garbage" x 20), qr/could not read file ".*garbage.gz"/ ],
		'midfile.ndjson' => [ "$good\n{\"ContactId\": 12,,}\n" . flow() . "\n", qr/ERROR:  .*\n(.*\n)*CONTEXT:  connect_lake file ".*midfile.ndjson", line 2, byte offset \d+/ ],
		'wrongkind.json' => [ q({"ContactId":"6fe40d2a-1a89-4d73-bfcf-5d9c33894f47","InitiationTimestamp":"2022-01-05T17:12:59Z","Channel":"VOICE"}),
			qr/ERROR:  contact_flow_log record has no Timestamp\nCONTEXT:  connect_lake file ".*wrongkind.json", line 1, byte offset 0, contact flow log event 6fe40d2a-1a89-4d73-bfcf-5d9c33894f47/ ],
		'utf8.ndjson'    => [ flow(extra => qq(,"Bad":"\xc3\x28")) . "\n", qr/ERROR:  .*UTF-8/ ],
		'nul.ndjson'     => [ flow(extra => q(,"Nul":"a\u0000b")) . "\n", qr/ERROR:  .*(\\u0000|NUL)/ ],
		'deep.ndjson'    => [ flow(extra => ',"Deep":' . ('[' x 200) . (']' x 200)) . "\n", qr/ERROR:  .*(nest|deep)/i ],
		'noseconds.ndjson' => [ flow(ts => '2017-11-09T12:17.898Z') . "\n",
			qr/ERROR:  invalid timestamp\nDETAIL:  Field: Timestamp.\nHINT:  Value: "2017-11-09T12:17.898Z"\. Record: .*\nCONTEXT:  connect_lake file ".*noseconds.ndjson", line 1, byte offset 0, contact flow log event 0/ ],
	);
	for my $f (sort keys %cases)
	{
		wr("$d/$f", $cases{$f}[0]);
		my ($rc, $out, $err) = scan("$d/$f");
		isnt($rc, 0, "$f: the scan fails");
		like($err, $cases{$f}[1], "$f: the error says why and where");
	}
	# the same files under on_error 'skip': good records come through, bad ones are counted
	my ($rc, $out, $err) = scan($d, ", on_error => 'skip'", 'count(*)');
	isnt($rc, 0, "skip: a corrupt gzip still fails the scan (it is the file, not a record)");
	unlink "$d/truncated.gz", "$d/garbage.gz";
	($rc, $out, $err) = scan($d, ", on_error => 'skip'", 'count(*)');
	is($out, '2', "skip: the good records of every file");
	like($err, qr/WARNING:  connect_lake_fdw skipped 6 bad records/, 'skip: a WARNING counts the bad ones');
	like($err, qr/NOTICE:  skipping bad record at line 2, byte offset \d+ of ".*midfile.ndjson": /,
		'skip: each bad record is reported with its position');
	($rc, $out, $err) = try("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM ft$ft");
	like($out, qr/Connect Lake Bad Records Skipped: 6/, 'EXPLAIN ANALYZE counts the skipped records');
	# load(): per-file failure for the corrupt gzip, rejects for the rest
	wr("$d/truncated.gz", $cases{'truncated.gz'}[0]);
	($rc, $out, $err) = try("SELECT files_seen, files_loaded, files_failed, inserted, rejected FROM connect_lake.load('contact_flow_log', '$d', 'skip')");
	is($out, '7|6|1|2|6', "load skip: the corrupt gzip fails alone; bad records rejected");
	is(sql(q{SELECT count(*) FROM connect_lake.load_rejects WHERE path LIKE '%/bad/%' AND reason ~ 'UTF-8' AND strpos(raw, '\xc3(') > 0}),
		'1', 'invalid bytes are escaped in the reject\'s raw text');
}

# ---------- sizes: empty, a single 50 MB record ----------
{
	my $d = "$tmp/sizes";
	wr("$d/empty.ndjson", '');
	my ($rc, $out, $err) = scan("$d/empty.ndjson");
	is($out, '0', 'an empty file has no records');
	wr("$d/big.ndjson", flow(extra => ',"Big":"' . ('x' x (50 * 1024 * 1024)) . '"') . "\n");
	($rc, $out, $err) = scan("$d/big.ndjson", '', q{length(extra->>'Big')});
	is($out, 50 * 1024 * 1024, 'a single 50 MB record is read whole');
	is(load('contact_flow_log', $d), '2|2|0|0|1|1|0|0|0', 'and loaded');
	# a 2 MB bad record: its raw text in load_rejects is capped at 1 MB
	wr("$tmp/bigbad/x.ndjson", flow(ts => 'yesterday', extra => ',"Big":"' . ('y' x (2 * 1024 * 1024)) . '"') . "\n");
	is(load('contact_flow_log', "$tmp/bigbad", 'skip'), '1|1|0|0|1|0|0|0|1', 'a huge bad record is rejected');
	is(sql(q{SELECT length(raw) || ' ' || right(raw, 3) FROM connect_lake.load_rejects WHERE path LIKE '%/bigbad/x.ndjson'}),
		(1024 * 1024 + 3) . ' ...', '... its raw text capped at 1 MB');
}

# ---------- paths: missing, unreadable, symlinks out of the tree ----------
{
	my $d = "$tmp/paths";
	wr("$d/in/ok.ndjson", flow() . "\n");
	wr("$tmp/outside/secret.ndjson", flow() . "\n");
	symlink("$tmp/outside/secret.ndjson", "$d/in/link.ndjson") or die $!;
	symlink("$d/in/ok.ndjson", "$d/in/link_inside.ndjson") or die $!;
	my ($rc, $out, $err) = scan("$d/in");
	is($out, '2', 'a link inside the directory is read; the one pointing outside is not');
	like($err, qr/WARNING:  skipping symbolic link ".*link.ndjson": it points to ".*outside\/secret.ndjson", outside ".*in"/,
		'... with a WARNING');
	($rc, $out, $err) = scan("$d/nonexistent");
	like($err, qr/ERROR:  could not stat file ".*nonexistent": No such file or directory/, 'a missing path is an error');
	($rc, $out, $err) = try("SELECT * FROM connect_lake.load('contact_flow_log', '$d/nonexistent')");
	like($err, qr/ERROR:  could not stat file/, 'load(): a missing path is an error');
	wr("$d/locked/x.ndjson", flow() . "\n");
	chmod 0000, "$d/locked/x.ndjson";
	($rc, $out, $err) = scan("$d/locked");
	like($err, qr/ERROR:  could not open file ".*x.ndjson" for reading: Permission denied/, 'an unreadable file is an error');
	($rc, $out, $err) = try("SELECT files_failed, error FROM connect_lake.load('contact_flow_log', '$d/locked', 'skip')");
	like($out, qr/^1\|could not open file ".*x.ndjson" for reading: Permission denied/, 'load(): an unreadable file fails alone');
	chmod 0644, "$d/locked/x.ndjson";
}

# ---------- EXPLAIN and ANALYZE ----------
{
	my $d = "$tmp/framings";
	sql("SELECT connect_lake.create_foreign_table('fx', 'contact_flow_log', '$d/a.ndjson')");
	my $plan = sql(q{EXPLAIN SELECT * FROM fx});
	like($plan, qr/Connect Lake Path: .*a.ndjson\n.*Connect Lake Files: 1\n.*Connect Lake Size: \d+ b/, 'EXPLAIN shows path, files and size');
	unlike(sql(q{EXPLAIN (COSTS OFF) SELECT * FROM fx}), qr/Size/, 'sizes only with costs on');
	sql(q{ANALYZE fx});
	is(sql(q{SELECT reltuples FROM pg_class WHERE relname = 'fx'}), '3', 'ANALYZE counts the records');
}

# ---------- two sessions loading the same directory ----------
{
	my $d = "$tmp/concurrent";
	for my $i (1 .. 20)
	{
		wr(sprintf("$d/%02d.ndjson", $i), join("\n", map { flow() } 1 .. 200) . "\n");
	}
	my @h;
	my @out = ('', '');
	my @err = ('', '');
	for my $s (0, 1)
	{
		push @h, IPC::Run::start(
			[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres'), '-c',
			  "SELECT files_loaded, inserted, duplicates FROM connect_lake.load('contact_flow_log', '$d')" ],
			'>', \$out[$s], '2>', \$err[$s]);
	}
	$_->finish for @h;
	my ($l0, $i0, $d0) = split /\|/, $out[0];
	my ($l1, $i1, $d1) = split /\|/, $out[1];
	is($l0 + $l1, 20, 'two concurrent loads: each file loaded by exactly one session');
	is($i0 + $i1, 4000, '... every record inserted once');
	is($d0 + $d1, 0, '... none seen twice');
	is(sql(q{SELECT count(*) FROM connect_lake.contact_flow_log WHERE source_file LIKE '%/concurrent/%'}), '4000', 'all rows there');

	# a session holding its transaction open: the second waits, then skips
	wr("$d/21.ndjson", flow() . "\n");
	my ($o1, $e1, $o2, $e2) = ('', '', '', '');
	my $a = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		  "BEGIN; SELECT files_loaded FROM connect_lake.load('contact_flow_log', '$d'); SELECT pg_sleep(2); COMMIT;" ],
		'>', \$o1, '2>', \$e1);
	sleep 1;
	my $b = IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		  "SELECT files_loaded, files_skipped FROM connect_lake.load('contact_flow_log', '$d')" ],
		'>', \$o2, '2>', \$e2);
	$a->finish;
	$b->finish;
	chomp $o2;
	is($o2, '0|21', 'a load waiting on another session\'s open transaction skips what it loaded');
	like($o1, qr/^1\n/, '... which loaded the new file');
}

done_testing();
