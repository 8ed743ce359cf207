# Scheduled loads with pg_cron: a cluster preloading pg_cron, a load of a
# directory scheduled every minute, then a new file dropped in it lands with
# nobody calling load(); the schedule view shows the job and its runs;
# retention is scheduled and everything unscheduled; a database without
# pg_cron gets a clear error.  Debian's pg_cron (1.4) has minute schedules
# only, so the test waits for up to two runs.
use strict;
use warnings;
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pkglibdir = `pg_config --pkglibdir`;
chomp $pkglibdir;
plan skip_all => "pg_cron is not installed ($pkglibdir/pg_cron.so missing; Debian: postgresql-15-cron)"
  unless -e "$pkglibdir/pg_cron.so";

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
# background workers: the jobs need no connection (nor password) of their own
$node->append_conf('postgresql.conf', qq{
timezone = 'UTC'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub fails
{
	my ($db, $query, $like, $name) = @_;
	my ($stdout, $stderr);
	my $rc = $node->psql($db, $query, stdout => \$stdout, stderr => \$stderr);
	ok($rc != 0, "$name: fails");
	like($stderr, $like, "$name: says why");
	return $stderr;
}

sql('CREATE EXTENSION connect_lake');

# Without pg_cron in the database: a clear error with the set-up as hint, an empty schedule.
my $err = fails('postgres', "SELECT connect_lake.schedule_load('ctr', '/tmp')",
	qr/pg_cron is not installed in database "postgres"/, 'schedule_load without pg_cron');
like($err, qr/HINT:.*shared_preload_libraries = 'pg_cron'.*cron\.database_name = 'postgres'.*CREATE EXTENSION pg_cron/s,
	'the hint gives the set-up');
fails('postgres', 'SELECT connect_lake.schedule_retention()', qr/pg_cron is not installed/, 'schedule_retention without pg_cron');
is(sql('SELECT count(*) FROM connect_lake.scheduled_jobs'), '0', 'the schedule is empty without pg_cron');

sql('CREATE EXTENSION pg_cron');

my $dir = PostgreSQL::Test::Utils::tempdir . '/ctr';
make_path($dir);
chmod 0755, $dir;

sub ctr_file
{
	my ($name, @ids) = @_;
	open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
	for my $n (@ids)
	{
		printf $fh
		  '{"AWSContactTraceRecordFormatVersion":"2017-03-10","ContactId":"00000000-0000-4000-8000-%012d",'
		  . '"Channel":"VOICE","InitiationMethod":"INBOUND","InitiationTimestamp":"2030-05-06T09:%02d:00Z",'
		  . '"DisconnectTimestamp":"2030-05-06T09:%02d:30Z","LastUpdateTimestamp":"2030-05-06T10:00:00Z"}' . "\n",
		  $n, $n, $n;
	}
	close $fh;
}

ctr_file('a.json', 1, 2, 3);

# Bad input is refused before anything is scheduled.
fails('postgres', "SELECT connect_lake.schedule_load('ctx', '$dir')", qr/unknown record kind "ctx"/, 'an unknown kind');
fails('postgres', "SELECT connect_lake.schedule_load('ctr', 'ctr')", qr/path must be absolute/, 'a relative path');
fails('postgres', "SELECT connect_lake.schedule_load('ctr', '$dir', 'every minute')", qr/invalid schedule/, 'a bad schedule');
fails('postgres', "SELECT connect_lake.schedule_load('ctr', '$dir', on_error => 'ignore')", qr/on_error must be stop or skip/,
	'a bad on_error');
# A role that could not load would schedule a job failing at every run.
sql('CREATE ROLE analyst LOGIN IN ROLE connect_lake_reader; CREATE ROLE pipeline LOGIN IN ROLE connect_lake_loader');
fails('postgres', "SET ROLE analyst; SELECT connect_lake.schedule_load('ctr', '$dir')", qr/permission denied for function schedule_load/,
	'an analyst may not schedule loads');
fails('postgres', "SET ROLE pipeline; SELECT connect_lake.schedule_load('ctr', '$dir')",
	qr/role "pipeline" may not use pg_cron.*HINT:  A superuser grants it: GRANT USAGE ON SCHEMA cron TO pipeline/s,
	'a role without pg_cron');
sql('GRANT USAGE ON SCHEMA cron TO pipeline');
fails('postgres', "SET ROLE pipeline; SELECT connect_lake.schedule_load('ctr', '$dir')",
	qr/role "pipeline" may not load files/, 'a loader without pg_read_server_files');
is(sql('SELECT count(*) FROM connect_lake.scheduled_jobs'), '0', 'nothing was scheduled');

# The loader role schedules the load every minute; the job runs as it.
sql('GRANT pg_read_server_files TO pipeline');
my $job = $node->safe_psql('postgres', "SET ROLE pipeline; SELECT connect_lake.schedule_load('ctr', '$dir', '* * * * *')");
like($job, qr/^\d+$/, 'schedule_load returns the job id');
is( sql("SELECT job_name, schedule, command, username, active FROM connect_lake.scheduled_jobs"),
	"connect_lake load ctr|* * * * *|SELECT * FROM connect_lake.load('ctr', '$dir', on_error => 'skip')|pipeline|t",
	'the schedule view shows the job');

# Nobody calls load(): the first file lands at the next minute.
ok($node->poll_query_until('postgres', 'SELECT count(*) = 3 FROM connect_lake.ctr_events'),
	'the scheduled load landed the first file');
# A new file dropped in the directory lands at a later run.
ctr_file('b.json', 4, 5);
ok($node->poll_query_until('postgres', 'SELECT count(*) = 5 FROM connect_lake.ctr_events'),
	'a new file dropped in the directory landed with nobody calling load()');
is( sql("SELECT string_agg(path || ':' || status || ':' || inserted, ',' ORDER BY path) FROM connect_lake.load_manifest"),
	"$dir/a.json:loaded:3,$dir/b.json:loaded:2", 'the manifest has both files, loaded once each');
ok($node->poll_query_until('postgres',
		"SELECT last_status = 'succeeded' AND runs >= 2 AND failures = 0 FROM connect_lake.scheduled_jobs WHERE jobid = $job"),
	'the schedule view shows the runs, all succeeded');
# The writers kept the metrics as the job landed the CTRs.
is(sql('SELECT count(*) FROM connect_lake.contact_metric'), '5', 'the metrics upkeep ran in the job');

# The same name replaces the job; retention is the DBA's.
my $again = $node->safe_psql('postgres', "SET ROLE pipeline; SELECT connect_lake.schedule_load('ctr', '$dir', '*/5 * * * *')");
is($again, $job, 'scheduling the same name again replaces the job');
fails('postgres', "SET ROLE pipeline; SELECT connect_lake.schedule_retention()", qr/permission denied for function schedule_retention/,
	'a loader may not schedule retention');
my $ret = sql("SELECT connect_lake.schedule_retention('0 4 * * *')");
is( sql("SELECT job_name || ' ' || schedule || ' ' || command FROM connect_lake.scheduled_jobs WHERE jobid = $ret"),
	'connect_lake retention 0 4 * * * SELECT * FROM connect_lake.apply_retention()', 'retention is scheduled');
# pg_cron shows each role its own jobs.
is($node->safe_psql('postgres', 'SET ROLE pipeline; SELECT string_agg(job_name, \',\') FROM connect_lake.scheduled_jobs'),
	'connect_lake load ctr', "the loader sees its job only");

# Unscheduling: only the caller's lake jobs, by name.
is($node->safe_psql('postgres', "SET ROLE pipeline; SELECT connect_lake.unschedule('connect_lake retention')"),
	'f', "a role cannot unschedule another's job");
sql("SELECT cron.schedule('not the lake''s', '0 5 * * *', 'SELECT 1')");
is(sql("SELECT connect_lake.unschedule('not the lake''s')"), 'f', 'a job that is not the lake\'s is left alone');
is($node->safe_psql('postgres', "SET ROLE pipeline; SELECT connect_lake.unschedule('connect_lake load ctr')"),
	't', 'the loader unschedules its load');
is(sql("SELECT connect_lake.unschedule('connect_lake retention')"), 't', 'the DBA unschedules retention');
is(sql('SELECT count(*) FROM connect_lake.scheduled_jobs'), '0', 'the schedule is empty again');
is(sql('SELECT count(*) FROM cron.job'), '1', 'the other job is still there');

$node->stop;
done_testing();
