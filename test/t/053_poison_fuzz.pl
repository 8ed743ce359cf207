# No poison file, exhaustively (issue #16): in a generated record of every
# kind, each leaf value in turn is replaced by each of 23 values out of any
# column's range (numbers beyond numeric(4,2), int4, 64 bits and numeric;
# timestamps of year 0, 1 and 9999; strings where numbers belong), one file
# of three records each (good, mutated, good), plus an unknown key holding
# each absurd number.  Loaded with on_error 'skip', no file may fail: every
# mutated record either lands or is rejected alone, and every record is
# counted (read = landed + rejected).  On 0.1.0 (2bd5b7c), 204 of these 4,220
# files failed whole ("value overflows numeric format", "numeric field
# overflow") and 89 reasons quoted a value.
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
	'--contacts-per-day', '30', '--seed', '53', '--heartbeat-secs', '0', '--quiet') == 0
  or die "connect_gen failed";

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nfsync = off");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');
sql(qq{SELECT count(*) FROM connect_lake.case_field_map_load(pg_read_file('$tmp/gen/fields.json')::jsonb)});

sub generated
{
	my ($dir, $n) = @_;
	my $json = JSON::PP->new;
	my @recs;
	for my $f (sort split /\n/, `find $tmp/gen/$dir -type f`)
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

my @flow = map {
	{ ContactId => sprintf('00000000-0000-4000-8000-%012d', $_),
	  ContactFlowId => 'arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f', ContactFlowName => 'Main',
	  ContactFlowModuleType => 'SetQueue', Identifier => "block $_", Timestamp => "2024-05-01T10:00:0$_.000Z",
	  Parameters => { Queue => "q$_" } } } 1 .. 3;
my %records = (
	ctr              => [ generated('ctr', 3) ],
	contact_event    => [ generated('contact_events', 3) ],
	agent_event      => [ generated('agent_events', 3) ],
	case_event       => [ grep { $_->{detail}{case}{fields} } generated('cases', 12) ],
	contact_flow_log => \@flow,
);

my @numbers = ('100', '99.995', '1e200000', '1e-20000', '-99999999999999999999999', '1e10', '10000000000',
	'2147483648', '-2147483649', '99999999999999999999999', '1e400', '1e1001', '-1e1001', '1e-400',
	'1.5e300', '123456789012345678901234567890.5');
my @strings = ('"0001-01-01T00:00:00Z"', '"9999-12-31T23:59:59Z"', '"0000-01-01T00:00:00Z"', '"1e1001"',
	'"99999999999999999999999"', '"0001-01-01"', '"-1e1001"');

# every leaf's path in a record
sub leaves
{
	my ($o, @path) = @_;
	return map { leaves($o->{$_}, @path, $_) } sort keys %$o if ref $o eq 'HASH';
	return map { leaves($o->[$_], @path, $_) } 0 .. $#$o if ref $o eq 'ARRAY';
	return ([@path]);
}

my $canon = JSON::PP->new->canonical;
sub with_value
{
	my ($rec, $path, $raw) = @_;
	my $copy = decode_json(encode_json($rec));
	my $o = $copy;
	my @p = @$path;
	my $last = pop @p;
	$o = ref $o eq 'ARRAY' ? $o->[$_] : $o->{$_} for @p;
	if (ref $o eq 'ARRAY') { $o->[$last] = '@@VALUE@@' } else { $o->{$last} = '@@VALUE@@' }
	(my $text = $canon->encode($copy)) =~ s/"\@\@VALUE\@\@"/$raw/ or die;
	return $text;
}

my $total = 0;
for my $kind (sort keys %records)
{
	my ($good1, $rec, $good2) = @{ $records{$kind} }[0 .. 2];
	my @paths = (leaves($rec), ['ZzUnknownKey']);
	my $files = 0;
	my $dir = "$tmp/fuzz/$kind";
	make_path($dir);
	for my $path (@paths)
	{
		for my $raw (@numbers, (@$path == 1 && $path->[0] eq 'ZzUnknownKey' ? () : @strings))
		{
			$files++;
			open my $fh, '>', sprintf('%s/%05d.json', $dir, $files) or die $!;
			print $fh join("\n", $canon->encode($good1), with_value($rec, $path, $raw), $canon->encode($good2)), "\n";
			close $fh;
		}
	}
	$total += $files;
	my $r = sql(qq{SELECT files_seen || ' ' || files_failed || ' ' || (records_read = inserted + updated + duplicates + rejected)
	                 || ' ' || (rejected > 0) || ' ' || coalesce(error, '-')
	                 FROM connect_lake.load('$kind', '$dir', 'skip')});
	is($r, "$files 0 true true -", "$kind: " . scalar(@paths) . " leaves x values, $files files: none fails, every record counted");
}
is(sql(q{SELECT count(*) FROM connect_lake.load_rejects WHERE reason ~ '99999999999999999999999|1e200000|1e-20000|2147483648|[0-9]{4}-[0-9]{2}-[0-9]{2}'}),
	'0', 'no reason quotes a value');
note "$total files";

$node->stop;
done_testing();
