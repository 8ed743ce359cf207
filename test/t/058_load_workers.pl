# load(..., workers => n) under faults (issue 15): two sessions share a
# directory, a worker of one is terminated mid-file; then a session is
# terminated mid-file while its workers run.  Every time, the files the
# dead worker or session had not committed are taken by the other session or
# the next load(), and every record lands exactly once: rows, versions,
# manifest, metrics, and no upkeep left queued.
use strict;
use warnings;
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('load_workers');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nmax_worker_processes = 8");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

my $tmp = PostgreSQL::Test::Utils::tempdir;

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

# CTRs of contacts $from .. $to, last updated $min minutes past 11:00
sub ctrs
{
	my ($from, $to, $min) = @_;
	return join('', map {
		sprintf('{"ContactId":"00000000-0000-4000-9000-%012d","InitiationTimestamp":"2024-05-%02dT10:00:00Z",'
			  . '"DisconnectTimestamp":"2024-05-%02dT10:10:00Z","LastUpdateTimestamp":"2024-05-%02dT11:%02d:00Z",'
			  . '"Channel":"VOICE","InitiationMethod":"INBOUND","Agent":{"Username":"agent%d"}}',
			$_, 1 + $_ % 20, 1 + $_ % 20, 1 + $_ % 20, $min, $_ % 7) . "\n"
	} $from .. $to);
}

# a directory of 30 small files (each re-delivering, newer, 10 contacts of
# the one before) with a large one (150,000 contacts) in the middle
sub fill
{
	my ($d, $base) = @_;
	for my $i (1 .. 30)
	{
		wr(sprintf('%s/f%02d.ndjson', $d, $i),
			ctrs($base + 100 * ($i - 1) + 1, $base + 100 * $i + 10, $i));
	}
	return wr("$d/f15_big.ndjson", ctrs($base + 1_000_001, $base + 1_150_000, 0));
}
my $records = 30 * 110 + 150_000;
my $contacts = 3010 + 150_000;

# the pid of a load worker with $file open and read past 2 MB
sub worker_reading
{
	my ($file) = @_;
	for (1 .. 6000)
	{
		for my $pid (split /\n/, sql(q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'connect_lake load worker'}))
		{
			opendir(my $dh, "/proc/$pid/fd") or next;
			for my $e (readdir $dh)
			{
				next unless (readlink("/proc/$pid/fd/$e") // '') eq $file;
				open(my $fi, '<', "/proc/$pid/fdinfo/$e") or next;
				local $/;
				my ($pos) = (<$fi> // '') =~ /^pos:\s*(\d+)/m;
				return $pid if ($pos // 0) > 2 * 1024 * 1024;
			}
		}
		usleep(5_000);
	}
	return undef;
}

# every record once: contacts, versions, the manifest, metrics, upkeep
sub exactly_once
{
	my ($d, $what) = @_;
	is(sql(qq{SELECT count(*) || ' ' || sum(versions_seen) FROM connect_lake.ctr_events
	           WHERE source_file LIKE '$d/%'}),
		"$contacts $records", "$what: every contact once, every version counted once");
	is(sql(qq{SELECT count(*) || ' ' || count(*) FILTER (WHERE status = 'loaded') || ' ' || sum(records)
	           FROM connect_lake.load_manifest WHERE path LIKE '$d/%'}),
		"31 31 $records", "$what: the manifest has every file loaded, every record once");
	is(sql(q{SELECT (SELECT count(*) FROM connect_lake.ctr_events) - (SELECT count(*) FROM connect_lake.contact_metric)
	          || ' ' || (SELECT count(*) FROM connect_lake.upkeep_queue)}),
		'0 0', "$what: the metrics kept for every contact, no upkeep left queued");
}

# ---------- two sessions on one directory, a worker terminated mid-file ----------
my $d1 = "$tmp/one";
my $big1 = fill($d1, 0);
my $q = "SELECT files_loaded || ' ' || files_skipped || ' ' || (error IS NOT NULL) FROM connect_lake.load('ctr', '$d1', workers => 2)";
my (@out, @err, @h);
for my $s (0, 1)
{
	($out[$s], $err[$s]) = ('', '');
	$h[$s] = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', $q ],
		'>', \$out[$s], '2>', \$err[$s]);
}
my $pid = worker_reading($big1);
ok($pid, 'a worker is reading the large file');
is(sql("SELECT pg_terminate_backend($pid)"), 't', 'that worker terminated mid-file');
$_->finish for @h;
my @loaded = map { /^(\d+) / ? $1 : 0 } @out;
my $warned = grep { /worker \d of 2 stopped before the end of the listing/ } @err;
is($warned, 1, 'the session whose worker died says so');
cmp_ok($loaded[0] + $loaded[1], '<=', 31, "the sessions shared the files ($loaded[0] and $loaded[1] loaded)");
is(sql(qq{SELECT count(*) FROM connect_lake.load_manifest WHERE path LIKE '$d1/%'}), $loaded[0] + $loaded[1],
	'the manifest has what they loaded, nothing of the terminated file');
is(sql(qq{SELECT files_loaded FROM connect_lake.load('ctr', '$d1', workers => 2)}), 31 - $loaded[0] - $loaded[1],
	'the next load() loads the rest');
exactly_once($d1, 'a worker terminated');

# ---------- a session terminated mid-file: its workers stop ----------
my $d2 = "$tmp/two";
my $big2 = fill($d2, 2_000_000);
my ($out, $err) = ('', '');
my $h = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c',
		"SELECT files_loaded FROM connect_lake.load('ctr', '$d2', workers => 2)" ],
	'>', \$out, '2>', \$err);
ok(worker_reading($big2), 'a worker of the session is reading the large file');
my $caller = sql(qq{SELECT pid FROM pg_stat_activity WHERE query LIKE '%load(''ctr'', ''$d2''%' AND backend_type = 'client backend' AND pid <> pg_backend_pid()});
ok($caller, 'the calling session found');
sql("SELECT pg_terminate_backend($caller)");
$h->finish;
like($err, qr/terminating connection|server closed the connection/, 'the session was terminated');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'connect_lake load worker'}),
	'its workers stopped');
my $part = sql(qq{SELECT count(*) FROM connect_lake.load_manifest WHERE path LIKE '$d2/%'});
cmp_ok($part, '<', 31, "the terminated session's workers committed $part files, not the large one");
is(sql(qq{SELECT files_loaded || ' ' || files_skipped FROM connect_lake.load('ctr', '$d2', workers => 2)}),
	(31 - $part) . " $part", 'the next load() loads the others, skips those');
exactly_once($d2, 'a session terminated');

# a load() in the session after all that: nothing left to do
is(sql(qq{SELECT files_loaded || ' ' || files_skipped FROM connect_lake.load('ctr', '$d2')}), '0 31',
	'a load() in the session skips every file');

done_testing();
