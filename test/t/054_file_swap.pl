# Files are opened safely (issue #16): a file found by walking a directory
# is read only if it is still what the listing saw.  The race: load() lists
# a directory, then, while it works on an earlier file, a local user swaps a
# listed file for a symbolic link to a file the loader must not read (here a
# stand-in for pg_hba.conf outside the directory), replaces another by a
# different file, appends to a third and swaps a fourth for a FIFO (which
# must not block the open).  The window is made deterministic:
# another session holds the manifest row of the first file locked, so load()
# has listed the directory and waits on that row while the files are changed.
# Each changed file is refused with a WARNING, recorded 'failed', and read
# by the next load() as it then is; the secret is never read.
use strict;
use warnings;
use File::Path qw(make_path);
use POSIX qw(mkfifo);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('swap');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $n = 0;
sub flow
{
	$n++;
	return sprintf('{"ContactId":"00000000-0000-4000-8000-%012d","ContactFlowId":"arn:aws:connect:eu-west-1:1:instance/i/contact-flow/f",'
		  . '"ContactFlowName":"Main","ContactFlowModuleType":"SetQueue","Identifier":"block %d","Timestamp":"2024-05-01T10:00:%02d.000Z"}',
		$n, $n, $n % 60) . "\n";
}
sub wr
{
	my ($path, $bytes, $mode) = @_;
	open my $fh, $mode // '>', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
}

my $d = "$tmp/flows";
make_path($d, "$tmp/private");
my $secret = "$tmp/private/hba.conf";
wr($secret, "host all all 0.0.0.0/0 SECRET-password-line\n");
wr("$d/a.json", flow());
wr("$d/b.json", flow());
wr("$d/c.json", flow());
wr("$d/d.json", flow());
wr("$d/e.json", flow());
wr("$d/f.json", flow());

# Hold a.json's manifest row, so load() waits there after listing.
sql(qq{INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status, error)
       VALUES ('contact_flow_log', '$d/a.json', 0, now(), '', 'failed', 'held by the test')});
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe(qq{SELECT 1 FROM connect_lake.load_manifest WHERE path = '$d/a.json' FOR UPDATE});

my $loader = $node->background_psql('postgres', on_error_stop => 0);
$loader->query_until(qr/started/, "\\echo started\nSELECT files_seen, files_loaded, files_failed, rejected FROM connect_lake.load('contact_flow_log', '$d', 'skip');\n");
$node->poll_query_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%connect_lake.load(%' AND wait_event_type = 'Lock'})
  or die 'load() did not reach the held row';

# The swaps, while load() has the listing and waits.
rename("$d/b.json", "$tmp/b.json.moved") or die $!;
symlink($secret, "$d/b.json") or die $!;
wr("$tmp/c.json.new", flow());
rename("$tmp/c.json.new", "$d/c.json") or die $!;
wr("$d/d.json", flow(), '>>');
rename("$d/f.json", "$tmp/f.json.moved") or die $!;
mkfifo("$d/f.json", 0644) or die $!;
$holder->query_safe('ROLLBACK');

my $result = $loader->query('SELECT 1');
my $err = $loader->{stderr};
like($result, qr/^6\|2\|4\|0\n/, 'load() reads the unchanged files and refuses the four changed ones');
like($err, qr/WARNING:  connect_lake.load: file "\Q$d\E\/b.json" not loaded: file "\Q$d\E\/b.json" was replaced by a symbolic link after it was listed: not read/,
	'a file swapped for a symbolic link: refused with a WARNING');
like($err, qr/WARNING:  connect_lake.load: file "\Q$d\E\/c.json" not loaded: file "\Q$d\E\/c.json" was replaced by another file after it was listed: not read/,
	'a file replaced by another: refused with a WARNING');
like($err, qr/WARNING:  connect_lake.load: file "\Q$d\E\/d.json" not loaded: file "\Q$d\E\/d.json" changed \(size or modification time\) after it was listed: not read/,
	'a file that grew: refused with a WARNING');
like($err, qr/WARNING:  connect_lake.load: file "\Q$d\E\/f.json" not loaded: file "\Q$d\E\/f.json" was replaced by another file after it was listed: not read/,
	'a file swapped for a FIFO: refused with a WARNING, without blocking');
unlike($err, qr/SECRET/, 'the secret is in no message');
is(sql(q{SELECT (SELECT count(*) FROM connect_lake.load_rejects WHERE raw LIKE '%SECRET%' OR reason LIKE '%SECRET%')
              + (SELECT count(*) FROM connect_lake.contact_flow_log WHERE extra::text LIKE '%SECRET%')
              + (SELECT count(*) FROM connect_lake.load_manifest WHERE error LIKE '%SECRET%')}), '0',
	'the secret was not read: nothing in the lake holds it');
is(sql(qq{SELECT string_agg(right(path, 6) || ' ' || status, ', ' ORDER BY path) FROM connect_lake.load_manifest WHERE path LIKE '$d/%'}),
	'a.json loaded, b.json failed, c.json failed, d.json failed, e.json loaded, f.json failed',
	'the refused files are recorded failed');
$loader->quit;

# The next load() reads them as they are then; the link is refused at listing.
my ($stdout, $stderr);
$node->psql('postgres', "SELECT files_loaded, files_skipped, files_failed FROM connect_lake.load('contact_flow_log', '$d', 'skip')",
	stdout => \$stdout, stderr => \$stderr);
is($stdout, '2|2|0', 'the next load() reads the replaced and the grown file (the FIFO is not listed)');
like($stderr, qr/skipping symbolic link "\Q$d\E\/b.json": it points to "\Q$secret\E", outside "\Q$d\E"/, '... and refuses the link when listing');
unlink("$d/b.json", "$d/f.json");
rename("$tmp/b.json.moved", "$d/b.json") or die $!;
rename("$tmp/f.json.moved", "$d/f.json") or die $!;
is(sql("SELECT files_loaded, files_skipped FROM connect_lake.load('contact_flow_log', '$d', 'skip')"), '2|4',
	'regular files back in their place are loaded');
is(sql(qq{SELECT count(*) FROM connect_lake.contact_flow_log WHERE source_file LIKE '$d/%'}), '7', 'every record landed once');

$node->stop;
done_testing();
