# No poison file (issue #16): a record whose values cannot land (a number
# beyond its column's numeric(p,s), an integer beyond int4 or beyond 64 bits,
# a number beyond numeric's range, a time beyond timestamptz's) is one bad
# record, in every kind: with on_error 'skip' it goes to load_rejects with
# its reason and the rest of its file lands; with 'stop' its file fails alone,
# recorded 'failed' with the reason, and the files after it still load; a
# later run is not failed by it (nor by a character the database encoding
# cannot hold).  Reasons (load_rejects.reason,
# load_manifest.error) never quote the file: only load_rejects.raw does.
# ingest() and ingest_batch() reject the same records with the same reason.
use strict;
use warnings;
use File::Path qw(make_path);
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

system('make', '-s', 'gen') == 0 && -x 'test/gen/connect_gen'
  or plan skip_all => 'cannot build test/gen/connect_gen';

my $tmp = PostgreSQL::Test::Utils::tempdir;
system('test/gen/connect_gen', '--out', "$tmp/gen", '--start', '2026-09-01', '--days', '1',
	'--contacts-per-day', '30', '--seed', '16', '--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";

my $node = PostgreSQL::Test::Cluster->new('poison');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

sub try
{
	my ($stdout, $stderr);
	my $rc = $node->psql('postgres', $_[0], stdout => \$stdout, stderr => \$stderr);
	return ($rc, $stdout, $stderr);
}

sub wr
{
	my ($path, $bytes) = @_;
	my ($dir) = $path =~ m{^(.*)/};
	make_path($dir);
	open my $fh, '>:raw', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
}

sql('CREATE EXTENSION connect_lake');
sql(qq{SELECT count(*) FROM connect_lake.case_field_map_load(pg_read_file('$tmp/gen/fields.json')::jsonb)});
my $goodwill = sql(q{SELECT field_id FROM connect_lake.case_field_map
                      WHERE column_name = 'detail_case_fields_complaint_goodwill_amount'});
ok($goodwill ne '', 'the generated field map maps the goodwill amount');

# The first records the generator wrote for a kind, as Perl structures.
sub generated
{
	my ($dir, $n) = @_;
	my @files = sort split /\n/, `find $tmp/gen/$dir -type f`;
	my @recs;
	my $json = JSON::PP->new;
	for my $f (@files)
	{
		my $text;
		gunzip($f => \$text) or die $GunzipError;
		$json->incr_parse($text);
		while (my $o = $json->incr_parse)
		{
			push @recs, $o;
			return @recs if @recs == $n;
		}
	}
	die "only " . scalar(@recs) . " records of $dir";
}

my $n = 0;
sub flow
{
	$n++;
	return {
		ContactId => sprintf('00000000-0000-4000-8000-%012d', $n),
		ContactFlowId => 'arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f',
		ContactFlowName => 'Main', ContactFlowModuleType => 'SetQueue', Identifier => "block $n",
		Timestamp => sprintf('2024-05-01T10:00:%02d.000Z', $n % 60), Parameters => { Queue => "q$n" } };
}

# A record with the value at path replaced by raw JSON text (numbers keep
# their exact text, which a Perl number would not).
my $canon = JSON::PP->new->canonical;
sub with_value
{
	my ($rec, $path, $raw) = @_;
	my $copy = decode_json(encode_json($rec));
	my $o = $copy;
	my @p = @$path;
	my $last = pop @p;
	$o = ($o->{$_} //= {}) for @p;
	$o->{$last} = '@@VALUE@@';
	(my $text = $canon->encode($copy)) =~ s/"\@\@VALUE\@\@"/$raw/ or die;
	return $text;
}

# kind, records (3 good ones, the second made bad), path, raw value, reason
my @ctr = generated('ctr', 3);
my @ce = generated('contact_events', 3);
my @ae = generated('agent_events', 3);
my @cases = grep { $_->{detail}{case}{fields} } generated('cases', 12);
my @flow = (flow(), flow(), flow());
my @cases_bad = (
	[ 'goodwill 10^10', [qw(detail case fields), $goodwill], '{"value":{"doubleValue":1e10}}',
		qr/^number out of range for column detail_case_fields_complaint_goodwill_amount \(numeric\(12,2\)\) \(Field: detail\.case\.fields\.\Q$goodwill\E\.\)$/ ],
	[ 'goodwill 10^10 as a string', [qw(detail case fields), $goodwill], '{"value":{"stringValue":"10000000000.00"}}',
		qr/^case field value out of range for column detail_case_fields_complaint_goodwill_amount \(numeric\(12,2\)\)/ ],
	[ 'a time 28,500 years before the epoch', [qw(detail case fields created_datetime)], '{"value":{"doubleValue":-900000000000000}}',
		qr/^case field value is not a time in epoch milliseconds within the timestamp range/ ],
	[ 'an absurd number in an unknown field', [qw(detail ZzUnknown)], '1e200000',
		qr/^number beyond the range of numeric/ ],
);
my @cases_of = (
	[ 'ctr', \@ctr, [
		[ 'QualityScore 100', [qw(QualityMetrics Agent Audio QualityScore)], '100',
			qr/^number out of range for column qualitymetrics_agent_audio_qualityscore \(numeric\(4,2\)\) \(Field: QualityMetrics\.Agent\.Audio\.QualityScore\.\)$/ ],
		[ 'QualityScore 99.995 (rounds to 100.00)', [qw(QualityMetrics Customer Audio QualityScore)], '99.995',
			qr/^number out of range for column qualitymetrics_customer_audio_qualityscore/ ],
		[ 'a duration beyond int4', [qw(Agent AgentInteractionDuration)], '2147483648',
			qr/^number is not an integer in the range of integer \(Field: Agent\.AgentInteractionDuration\.\)$/ ],
		[ 'an integer beyond 64 bits', [qw(ZzUnknown)], '99999999999999999999999',
			qr/^integer beyond the 64-bit range/ ],
		[ 'a number with 20000 decimals', [qw(Attributes zz)], '1e-20000',
			qr/^number beyond the range of numeric/ ] ] ],
	[ 'contact_event', \@ce, [
		[ 'an absurd number', [qw(detail ZzUnknown)], '-1e200000', qr/^number beyond the range of numeric/ ],
		[ 'an integer beyond 64 bits', [qw(detail ZzUnknown)], '-99999999999999999999999', qr/^integer beyond the 64-bit range/ ] ] ],
	[ 'agent_event', \@ae, [
		[ 'an absurd number', [qw(CurrentAgentSnapshot ZzUnknown)], '1e200000', qr/^number beyond the range of numeric/ ] ] ],
	[ 'case_event', \@cases, \@cases_bad ],
	[ 'contact_flow_log', \@flow, [
		[ 'an absurd number', [qw(Parameters Zz)], '1e200000', qr/^number beyond the range of numeric/ ] ] ],
);

# ---------- on_error 'skip': the bad record to load_rejects, the rest lands ----------
my $case = 0;
for my $k (@cases_of)
{
	my ($kind, $recs, $bad) = @$k;
	for my $b (@$bad)
	{
		my ($what, $path, $raw, $reason) = @$b;
		$case++;
		my $d = "$tmp/skip/$case";
		wr("$d/a.json", join("\n", $canon->encode($recs->[0]), with_value($recs->[1], $path, $raw), $canon->encode($recs->[2])) . "\n");
		my ($rc, $out, $err) = try("SELECT files_loaded, files_failed, records_read, rejected FROM connect_lake.load('$kind', '$d', 'skip')");
		is($out, '1|0|3|1', "$kind, $what: skip: the file loads, one record rejected") or diag $err;
		like(sql("SELECT reason FROM connect_lake.load_rejects WHERE path = '$d/a.json'"), $reason, "$kind, $what: ... with its reason");
		is(sql("SELECT line || ' ' || (raw LIKE '%' || \$q\$$raw\$q\$ || '%') FROM connect_lake.load_rejects WHERE path = '$d/a.json'"),
			'2 true', "$kind, $what: ... at line 2, raw holding the value");
		is(sql("SELECT files_skipped, files_failed FROM connect_lake.load('$kind', '$d', 'skip')"), '1|0',
			"$kind, $what: a later run skips the file");
	}
}
is(sql(q{SELECT count(*) FROM connect_lake.load_rejects r WHERE reason ~ '1e200000|99999999999999999999999|2147483648|1e-20000|10000000000|900000000000000|99\.995'}),
	'0', 'no reason quotes the value');

# ---------- on_error 'stop': the bad file fails alone ----------
{
	my $d = "$tmp/stop";
	wr("$d/1.json", $canon->encode($ctr[0]) . "\n");
	wr("$d/2.json", join("\n", $canon->encode($ctr[1]), with_value($ctr[2], [qw(QualityMetrics Agent Audio QualityScore)], '100')) . "\n");
	wr("$d/3.json", $canon->encode($ctr[2]) . "\n");
	my ($rc, $out, $err) = try("SELECT files_seen, files_loaded, files_failed, records_read FROM connect_lake.load('ctr', '$d')");
	is($rc, 0, 'stop: load() returns');
	is($out, '3|2|1|2', 'stop: the bad file fails alone; the files before and after it load');
	like($err, qr/WARNING:  connect_lake.load: file ".*2.json" not loaded: line 2, byte offset \d+: number out of range for column qualitymetrics_agent_audio_qualityscore \(numeric\(4,2\)\)\nDETAIL:  Field: QualityMetrics.Agent.Audio.QualityScore.\nHINT:  Value: "100"\. Record: /,
		'stop: a WARNING says which record and why; the value only in the HINT');
	is(sql(qq{SELECT string_agg(right(path, 6) || ' ' || status || ' ' || coalesce(split_part(error, ' (', 1), '-'), ', ' ORDER BY path)
	            FROM connect_lake.load_manifest WHERE path LIKE '$d/%'}),
		'1.json loaded -, 2.json failed number out of range for column qualitymetrics_agent_audio_qualityscore, 3.json loaded -',
		'stop: the manifest records the failed file with its reason');
	is(sql(qq{SELECT count(*) FROM connect_lake.ctr_events WHERE source_file = '$d/2.json'}), '0', 'stop: nothing of the bad file landed');
	($rc, $out, $err) = try("SELECT files_loaded, files_skipped, files_failed FROM connect_lake.load('ctr', '$d')");
	is($out, '0|2|1', 'stop: a later run skips the loaded files and fails the bad one alone again');
	($rc, $out, $err) = try("SELECT files_loaded, files_skipped, rejected FROM connect_lake.load('ctr', '$d', 'skip')");
	is($out, '1|2|1', 'skip: then the good record of the bad file lands, the bad one is rejected');
}

# ---------- no reason quotes the file ----------
# Each reject path, with a marker in the bytes it rejects: reason and the
# manifest's error never hold the marker; raw does (the loader's to read).
{
	my $d = "$tmp/content";
	my $bool = sql(q{SELECT field_id FROM connect_lake.case_field_map WHERE column_name = 'detail_case_fields_is_complaint'});
	my @lines = (
		with_value($ctr[0], ['InitiationTimestamp'], '"SECRET-ts"'),
		with_value($ctr[0], ['ContactId'], '"SECRET-uuid"'),
		'{"ContactId": "SECRET-broken", }',
		'{"SECRET-unterminated": "x',
	);
	wr("$d/ctr/a.json", join("\n", $canon->encode($ctr[1]), @lines) . "\n");
	wr("$d/case/a.json", join("\n",
		with_value($cases[0], [qw(detail case fields), $bool], '{"value":{"stringValue":"SECRET-bool"}}'),
		with_value($cases[1], [qw(detail case fields), $goodwill], '{"value":{"stringValue":"SECRET-number"}}'),
		with_value($cases[2], [qw(detail case fields), $goodwill], '{"value":{"stringValue":"1e400"}}')) . "\n");
	my ($rc, $out, $err) = try("SELECT rejected FROM connect_lake.load('ctr', '$d/ctr', 'skip')");
	is($out, '4', 'content: four bad CTR records rejected');
	($rc, $out, $err) = try("SELECT rejected FROM connect_lake.load('case_event', '$d/case', 'skip')");
	is($out, '3', 'content: three bad case events rejected');
	is(sql(qq{SELECT count(*) FILTER (WHERE raw LIKE '%SECRET%' OR raw LIKE '%1e400%') || ' ' || count(*) FILTER (WHERE reason LIKE '%SECRET%' OR reason LIKE '%1e400%')
	            FROM connect_lake.load_rejects WHERE path LIKE '$d/%'}),
		'7 0', 'content: raw holds each record, no reason quotes one');
	# on_error 'stop' over each file one by one: the manifest's error quotes nothing either
	my $i = 0;
	for my $l (@lines)
	{
		$i++;
		wr("$d/stop$i/a.json", "$l\n");
		($rc, $out, $err) = try("SELECT files_failed FROM connect_lake.load('ctr', '$d/stop$i')");
		is($out, '1', "content: stop $i: the file fails");
		like($err, qr/HINT:  .*SECRET/, "content: stop $i: the loading session sees the bytes in the HINT");
	}
	is(sql(qq{SELECT count(*) FILTER (WHERE error LIKE '%SECRET%') || ' ' || count(*) FROM connect_lake.load_manifest WHERE path LIKE '$d/stop%'}),
		'0 4', 'content: no manifest error quotes the file');
	# what no check foresees (here a DBA's CHECK constraint) fails its file alone, in its
	# subtransaction; PostgreSQL's DETAIL quoting the row stays out of the manifest
	my $fl = sub { my ($id, $ident) = @_;
		qq({"ContactId":"00000000-0000-4000-8000-0000000000$id","ContactFlowId":"f","ContactFlowName":"M","ContactFlowModuleType":"SetQueue","Identifier":"$ident","Timestamp":"2024-05-01T10:00:00.000Z"}\n) };
	sql(q{ALTER TABLE connect_lake.contact_flow_log ADD CONSTRAINT poison_test CHECK (identifier <> 'SECRET-check')});
	wr("$d/check/1.json", $fl->('01', 'a'));
	wr("$d/check/2.json", $fl->('02', 'b') . $fl->('03', 'SECRET-check'));
	wr("$d/check/3.json", $fl->('04', 'c'));
	($rc, $out, $err) = try("SELECT files_loaded, files_failed, inserted FROM connect_lake.load('contact_flow_log', '$d/check', 'skip')");
	is($out, '2|1|2', 'an unforeseen failure fails its file alone, the others load');
	like($err, qr/violates check constraint "poison_test.*\nDETAIL:  Failing row contains .*SECRET-check/,
		'... the loading session sees the row in the DETAIL');
	my $error = sql(qq{SELECT error FROM connect_lake.load_manifest WHERE path = '$d/check/2.json'});
	like($error, qr/^new row for relation "contact_flow_log_\w+" violates check constraint "poison_test" CONTEXT: /,
		'... the manifest has the reason');
	unlike($error, qr/SECRET|Failing row/, '... without the row');
	sql(q{ALTER TABLE connect_lake.contact_flow_log DROP CONSTRAINT poison_test});
}

# ---------- a character the database encoding cannot hold ----------
# In a LATIN1 database a euro sign has no equivalent: its record is rejected,
# the others land (an accented letter converts).
{
	my $d = "$tmp/latin1";
	my $fl = sub { my ($id, $ident) = @_;
		qq({"ContactId":"00000000-0000-4000-8000-0000000001$id","ContactFlowId":"f","ContactFlowName":"M","ContactFlowModuleType":"SetQueue","Identifier":"$ident","Timestamp":"2024-05-01T10:00:00.000Z"}\n) };
	wr("$d/a.json", $fl->('01', 'plain') . $fl->('02', "\xe2\x82\xac 10") . $fl->('03', "caf\xc3\xa9"));
	sql(q{CREATE DATABASE lat ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0});
	$node->safe_psql('lat', 'CREATE EXTENSION connect_lake');
	is($node->safe_psql('lat', qq{SELECT files_failed || ' ' || inserted || ' ' || rejected FROM connect_lake.load('contact_flow_log', '$d', 'skip')}),
		'0 2 1', 'LATIN1: the record with a euro sign is rejected, the others land');
	is($node->safe_psql('lat', q{SELECT line || ' ' || reason FROM connect_lake.load_rejects}),
		'2 string has a character the database encoding LATIN1 cannot hold (Field: Identifier.)', '... with its reason');
	is($node->safe_psql('lat', q{SELECT identifier = 'caf' || chr(233) FROM connect_lake.contact_flow_log WHERE identifier LIKE 'caf%'}),
		't', '... and an accented letter lands converted');
}

# ---------- ingest() and ingest_batch(): the same records rejected the same way ----------
{
	my $bad = with_value($ctr[1], [qw(QualityMetrics Agent Audio QualityScore)], '100');
	my ($rc, $out, $err) = try(qq{SELECT connect_lake.ingest('ctr', \$j\$$bad\$j\$)});
	like($err, qr/ERROR:  number out of range for column qualitymetrics_agent_audio_qualityscore \(numeric\(4,2\)\)\nDETAIL:  Field: QualityMetrics.Agent.Audio.QualityScore. Value: "100"./,
		'ingest(): the record is rejected with the reason load() gives');
	my $b = sql(q{SELECT field_id FROM connect_lake.case_field_map WHERE column_name = 'detail_case_fields_complaint_goodwill_amount'});
	my $badcase = with_value($cases[3], [qw(detail case fields), $b], '{"value":{"doubleValue":1e10}}');
	($rc, $out, $err) = try(qq{SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[\$j\$} . $canon->encode($cases[4]) . qq{\$j\$, \$j\$$badcase\$j\$]::jsonb[])});
	like($err, qr/ERROR:  number out of range for column detail_case_fields_complaint_goodwill_amount \(numeric\(12,2\)\)\n(?s:.*)CONTEXT:  .*\n.*element 2 of the records given to ingest_batch\(\)/,
		'ingest_batch(): the record is rejected with its reason and its element');
	# on_error 'skip': the bad records to load_rejects, the others land, as load() does
	my $deep = with_value($cases[5], ['ZzDeep'], ('[' x 70) . (']' x 70));
	($rc, $out, $err) = try(qq{SELECT inserted, rejected FROM connect_lake.ingest_batch('case_event', ARRAY[\$j\$} . $canon->encode($cases[4])
		  . qq{\$j\$, \$j\$$badcase\$j\$, NULL, \$j\$$deep\$j\$, \$j\$} . $canon->encode($cases[6]) . qq{\$j\$]::jsonb[], on_error => 'skip')});
	is($out, '2|3', 'ingest_batch(skip): the two good records land, three are rejected') or diag $err;
	is(sql(q{SELECT string_agg(line || ' ' || reason || ' ' || (raw IS NOT NULL), ' / ' ORDER BY line) FROM connect_lake.load_rejects WHERE path = 'ingest_batch()'}),
		'2 number out of range for column detail_case_fields_complaint_goodwill_amount (numeric(12,2)) (Field: detail.case.fields.' . $b . '.) true'
		  . ' / 3 case_event record is NULL false'
		  . ' / 4 case event record nested deeper than connect_lake.max_record_depth (64 levels) true',
		'ingest_batch(skip): each in load_rejects with its element number, reason and raw text');
	($rc, $out, $err) = try(qq{SELECT * FROM connect_lake.ingest_batch('case_event', ARRAY[\$j\$$badcase\$j\$]::jsonb[], on_error => 'ignore')});
	like($err, qr/invalid value for option "on_error": "ignore"/, 'ingest_batch(): on_error is stop or skip');
}

$node->stop;
done_testing();
