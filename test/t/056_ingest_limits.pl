# ingest() applies load()'s record limits (issue #16): the same nesting depth
# and record size (connect_lake.max_record_depth, connect_lake.max_record_size,
# superuser settings), so a record load() rejects is rejected by ingest() and
# ingest_batch() too, and a 100 MB record is refused before it is expanded:
# the backend's peak memory (VmHWM) stays within 3x the record's size (it
# was 650 MB for a 100 MB record before).
use strict;
use warnings;
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('limits');
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
sql('CREATE EXTENSION connect_lake');
my $tmp = PostgreSQL::Test::Utils::tempdir;
make_path("$tmp/deep", "$tmp/big");

# (the settings exist once the module is loaded, as for any extension's)
is(sql("LOAD 'connect_lake'; SHOW connect_lake.max_record_depth"), '64', 'max_record_depth: 64 levels by default');
is(sql("LOAD 'connect_lake'; SHOW connect_lake.max_record_size"), '64MB', 'max_record_size: 64 MB by default');

my $n = 0;
sub flow
{
	my ($extra) = @_;
	$n++;
	return sprintf('{"ContactId":"00000000-0000-4000-8000-%012d","ContactFlowId":"arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f",'
		  . '"ContactFlowName":"Main","ContactFlowModuleType":"SetQueue","Identifier":"block %d","Timestamp":"2024-05-01T10:00:%02d.000Z"%s}',
		$n, $n, $n % 60, $extra);
}
sub wr
{
	my ($path, $bytes) = @_;
	open my $fh, '>', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
}

# ---------- depth: a record nested 66 levels (the record is level 1) ----------
my $deep = flow(',"Zz":' . ('[' x 65) . (']' x 65));
my $ok = flow(',"Zz":' . ('[' x 63) . (']' x 63));
wr("$tmp/deep/a.json", "$deep\n$ok\n");
is(sql("SELECT rejected || ' ' || inserted FROM connect_lake.load('contact_flow_log', '$tmp/deep', 'skip')"), '1 1',
	'load(): 66 levels rejected, 64 land');
like(sql("SELECT reason FROM connect_lake.load_rejects WHERE path = '$tmp/deep/a.json'"), qr/nest/i, '... rejected for its nesting');
my ($rc, $out, $err) = try("SELECT connect_lake.ingest('contact_flow_log', \$j\$$deep\$j\$)");
like($err, qr/ERROR:  contact flow log event nested deeper than connect_lake.max_record_depth \(64 levels\)/,
	'ingest(): 66 levels rejected as load() rejects them');
is(sql("SELECT connect_lake.ingest('contact_flow_log', \$j\$$ok\$j\$)"), 'duplicate', 'ingest(): 64 levels accepted');
($rc, $out, $err) = try("SELECT * FROM connect_lake.ingest_batch('contact_flow_log', ARRAY[\$j\$" . flow('') . "\$j\$, \$j\$$deep\$j\$]::jsonb[])");
like($err, qr/nested deeper than connect_lake.max_record_depth(?s:.*)element 2 of the records given to ingest_batch/,
	'ingest_batch(): the same, naming the element');
is(sql("SET connect_lake.max_record_depth = 80; SELECT connect_lake.ingest('contact_flow_log', \$j\$$deep\$j\$)"), 'inserted',
	'a superuser may raise the depth');

# ---------- size ----------
my $big = flow(',"Zz":"' . ('x' x 5000) . '"');
wr("$tmp/big/a.json", "$big\n");
is(sql("SET connect_lake.max_record_size = '4kB'; SELECT rejected FROM connect_lake.load('contact_flow_log', '$tmp/big', 'skip')"), '1',
	'load(): a record over max_record_size rejected');
($rc, $out, $err) = try("SET connect_lake.max_record_size = '4kB'; SELECT connect_lake.ingest('contact_flow_log', \$j\$$big\$j\$)");
like($err, qr/ERROR:  contact flow log event larger than connect_lake.max_record_size \(\d+ bytes, the limit is 4096\)/,
	'ingest(): the same record rejected as load() rejects it');
sql('CREATE ROLE loader LOGIN IN ROLE connect_lake_loader');
my ($stdout, $stderr);
$node->psql('postgres', "SELECT connect_lake.kind_rowtype('ctr'); SET connect_lake.max_record_size = '200MB'", extra_params => ['-U', 'loader'], stderr => \$stderr);
like($stderr, qr/permission denied to set parameter "connect_lake.max_record_size"/, 'only a superuser changes the limits');

# ---------- memory: a 100 MB record is refused before it is expanded ----------
sql(q{CREATE TABLE big_doc AS SELECT jsonb_build_object('ContactId', '00000000-0000-4000-8000-999999999999',
        'Timestamp', '2024-05-01T10:00:00Z', 'Zz', repeat('x', 100 * 1024 * 1024)) AS doc});
my $hwm = q{substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+)')::bigint};
$node->psql('postgres', qq{SELECT $hwm; SELECT connect_lake.ingest('contact_flow_log', doc) FROM big_doc; SELECT $hwm},
	stdout => \$out, stderr => \$err, on_error_stop => 0);
like($err, qr/larger than connect_lake.max_record_size \(104857\d\d\d bytes, the limit is 67108864\)/, 'a 100 MB record is rejected');
my ($before, $after) = split /\n/, $out;
ok(defined $after && $after >= $before && $before > 0, 'VmHWM read before and after');
cmp_ok($after - $before, '<', 3 * 100 * 1024, "... and the backend's peak memory grows by less than 3x its size ("
	  . int(($after - $before) / 1024) . ' MB)');
note 'VmHWM before ' . int($before / 1024) . ' MB, after ' . int($after / 1024) . ' MB';

$node->stop;
done_testing();
