# A loading backend killed mid-file (kill -9; the postmaster restarts the
# cluster): nothing of the killed load() is left half-done, and the next
# load() lands every record exactly once with a manifest that says so.
use strict;
use warnings;
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('kill_loader');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nrestart_after_crash = on");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $d = "$tmp/ctr";

sub sql { return $node->safe_psql('postgres', $_[0]); }

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

# CTRs of contacts $from .. $to, one version each
sub ctrs
{
	my ($from, $to) = @_;
	return join('', map {
		sprintf('{"ContactId":"00000000-0000-4000-9000-%012d","InitiationTimestamp":"2024-0%d-01T10:00:00Z",'
			  . '"LastUpdateTimestamp":"2024-06-01T11:00:00Z","Channel":"VOICE","Agent":{"Username":"agent%d"}}',
			$_, 1 + $_ % 3, $_ % 7) . "\n"
	} $from .. $to);
}

# three small files loaded and committed first
wr("$d/a_small.ndjson", ctrs(1, 100));
wr("$d/b_small.ndjson", ctrs(101, 200));
wr("$d/c_small.ndjson", ctrs(201, 300));
is(sql(qq{SELECT files_loaded || ' ' || inserted FROM connect_lake.load('ctr', '$d')}), '3 300',
	'three small files loaded');

# then a large file (about 60 MB) and one after it
my $big = wr("$d/d_big.ndjson", ctrs(1001, 350000));
wr("$d/e_small.ndjson", ctrs(400001, 400100));
my $big_size = -s $big;

my ($out, $err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-XAtq', '-d', $node->connstr('postgres'),
	  '-c', "SELECT files_loaded FROM connect_lake.load('ctr', '$d')" ],
	'>', \$out, '2>', \$err);

# the loader's pid, then wait until it has read part of the large file
my $pid;
for (1 .. 600)
{
	$pid = sql(q{SELECT pid FROM pg_stat_activity WHERE query LIKE '%connect_lake.load(%' AND pid <> pg_backend_pid()});
	last if $pid;
	usleep(50_000);
}
ok($pid, 'the loading backend started');
my ($pos, $fd) = (0, undef);
for (1 .. 6000)
{
	if (!defined $fd && opendir(my $dh, "/proc/$pid/fd"))
	{
		for my $e (readdir $dh)
		{
			my $l = readlink("/proc/$pid/fd/$e") // '';
			$fd = $e if $l eq $big;
		}
		closedir $dh;
	}
	if (defined $fd && open(my $fi, '<', "/proc/$pid/fdinfo/$fd"))
	{
		local $/;
		($pos) = <$fi> =~ /^pos:\s*(\d+)/m;
		close $fi;
		last if ($pos // 0) > 8 * 1024 * 1024;
	}
	usleep(5_000);
}
cmp_ok($pos, '>', 0, "the backend is reading the large file (at byte $pos of $big_size)");
cmp_ok($pos, '<', $big_size, '... mid-file');
my $log_offset = -s $node->logfile;
kill 'KILL', $pid;
$h->finish;
like($err, qr/server closed the connection unexpectedly|terminating connection/, 'the loading backend died');

# the postmaster restarts the cluster after the crash: wait for the restart
# to be over (a query right after the kill may still reach the old cluster,
# before the postmaster has seen its backend die)
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
ok($node->poll_query_until('postgres', 'SELECT 1', '1'), 'the server is back after crash recovery');
is(sql(q{SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'loaded') FROM connect_lake.load_manifest}),
	'3 3', 'the manifest has the three files loaded before, nothing of the killed load');
is(sql(q{SELECT count(*) FROM connect_lake.ctr_events}), '300', 'nothing of the killed load landed');

# the next load lands everything once
is(sql(qq{SELECT files_seen || ' ' || files_loaded || ' ' || files_skipped || ' ' || inserted || ' ' || duplicates
          FROM connect_lake.load('ctr', '$d')}),
	'5 2 3 349100 0', 'the next load() loads the two files the killed one did not finish, skips the three loaded');
is(sql(q{SELECT count(*) || ' ' || count(DISTINCT contactid) || ' ' || max(versions_seen) FROM connect_lake.ctr_events}),
	'349400 349400 1', 'every record landed exactly once (versions_seen 1)');
is(sql(q{SELECT string_agg(regexp_replace(path, '.*/', '') || ':' || status || ':' || records || ':' || inserted || ':' || size, ' ' ORDER BY path)
           FROM connect_lake.load_manifest}),
	join(' ', 'a_small.ndjson:loaded:100:100:' . (-s "$d/a_small.ndjson"),
		'b_small.ndjson:loaded:100:100:' . (-s "$d/b_small.ndjson"),
		'c_small.ndjson:loaded:100:100:' . (-s "$d/c_small.ndjson"),
		"d_big.ndjson:loaded:349000:349000:$big_size",
		'e_small.ndjson:loaded:100:100:' . (-s "$d/e_small.ndjson")),
	'the manifest: every file loaded, its records and bytes');
is(sql(qq{SELECT files_skipped FROM connect_lake.load('ctr', '$d')}), '5', 'a third load skips every file');

done_testing();
