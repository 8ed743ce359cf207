# load() over many files and files that grow (issue #16):
#  - the listing streams in the same path order as before (byte order of the
#    whole path, a directory "b" after a file "b-x");
#  - 20,000 files load, and re-run skipping them all, each in under 100 MB of
#    backend memory (VmHWM; 0.1.0 took about 14 KB per file listed);
#  - the manifest records the size and checksum of the bytes actually read: a
#    file appended to after it was loaded lands only its new records, one
#    that grows while it is loaded is recorded as read; a CTR's versions_seen
#    never counts a version twice; a rewritten file is a new delivery; a
#    failed load of the new part keeps what the earlier load landed.
use strict;
use warnings;
use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('files_manifest');
$node->init;
# small shared buffers: VmHWM counts the shared pages a backend touched
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning\nshared_buffers = 16MB");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION connect_lake');

my $tmp = PostgreSQL::Test::Utils::tempdir;

sub sql { return $node->safe_psql('postgres', $_[0]); }

sub wr
{
	my ($path, $bytes, $mode) = @_;
	my ($dir) = $path =~ m{^(.*)/};
	make_path($dir);
	open my $fh, ($mode // '>') . ':raw', $path or die "$path: $!";
	print $fh $bytes;
	close $fh;
	return $path;
}

sub load
{
	my ($kind, $path, $on_error) = @_;
	$on_error //= 'stop';
	return sql("SELECT files_seen, files_loaded, files_skipped, files_failed, records_read, inserted, updated, duplicates, rejected
	            FROM connect_lake.load('$kind', '$path', '$on_error')");
}

my $n = 0;

sub flow
{
	$n++;
	return sprintf('{"ContactId":"00000000-0000-4000-8000-%012d","ContactFlowId":"f","ContactFlowName":"Main",'
		  . '"ContactFlowModuleType":"SetQueue","Identifier":"block %d","Timestamp":"2024-05-01T10:%02d:%02d.000Z"}',
		$n, $n, ($n / 60) % 60, $n % 60) . "\n";
}

# a CTR: contact c, version v (LastUpdateTimestamp + v minutes)
sub ctr
{
	my ($c, $v) = @_;
	return sprintf('{"ContactId":"00000000-0000-4000-9000-%012d","InitiationTimestamp":"2024-05-01T10:00:00Z",'
		  . '"LastUpdateTimestamp":"2024-05-01T11:%02d:00Z","Channel":"VOICE"}', $c, $v) . "\n";
}

# ---------- the listing's order: byte order of the whole path ----------
{
	my $d = "$tmp/order";
	# directories b, a, a/b, a/b/c and a0 beside files sharing their prefix
	my %file = map { $_ => 1 } ('b-x', 'b/c', 'b/a/z', 'b.y', 'B', 'a.json', 'a0/q', 'a/0', 'a/b/c/d', 'c d', "\x7fz", 'b/-');
	wr("$d/$_", flow()) for sort keys %file;
	my ($stdout, $stderr);
	$node->psql('postgres', "SELECT files_loaded FROM connect_lake.load('contact_flow_log', '$d')",
		stdout => \$stdout, stderr => \$stderr);
	my @order = $stderr =~ m{NOTICE:  connect_lake\.load: "\Q$d\E/([^"]*)": }g;
	is($stdout, scalar(keys %file), 'every file of the tree loaded');
	is(join(' | ', @order), join(' | ', sort keys %file),
		'files load in byte order of their whole path (a directory after a sibling file sharing its prefix)');
}

# ---------- memory bounded by the work: 20,000 files ----------
{
	my $d = "$tmp/many";
	my $files = 20000;
	for my $i (0 .. $files - 1)
	{
		my $dir = sprintf('%s/d%02d', $d, $i % 20);
		make_path($dir) if $i < 20;
		wr(sprintf('%s/f%05d.json', $dir, $i), flow());
	}
	my $peak = q{substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+) kB')::bigint};
	my ($loaded, $kb1) = split /\|/, sql("SET client_min_messages = warning;
		SELECT files_loaded, $peak FROM connect_lake.load('contact_flow_log', '$d')");
	is($loaded, $files, '20,000 files loaded');
	cmp_ok($kb1, '<', 100 * 1024, "... within 100 MB of backend memory (peak $kb1 kB)");
	my ($skipped, $kb2) = split /\|/, sql("SET client_min_messages = warning;
		SELECT files_skipped, $peak FROM connect_lake.load('contact_flow_log', '$d')");
	is($skipped, $files, 'a re-run skips them all');
	cmp_ok($kb2, '<', 100 * 1024, "... within 100 MB of backend memory (peak $kb2 kB)");
}

# ---------- a file appended to after it was loaded ----------
{
	my $d = "$tmp/grown";
	my $f = wr("$d/ctr.ndjson", ctr(1, 1) . ctr(2, 1));
	is(load('ctr', $d), '1|1|0|0|2|2|0|0|0', 'two CTRs loaded');
	wr($f, ctr(1, 2) . ctr(3, 1), '>>');
	is(load('ctr', $d), '1|1|0|0|2|1|1|0|0', 'appended to: only the two new records are read into the lake');
	is(sql(q{SELECT string_agg(versions_seen::text, ',' ORDER BY contactid) FROM connect_lake.ctr_events}),
		'2,1,1', 'versions_seen counts each version once');
	is(sql(qq{SELECT size || ' ' || records || ' ' || inserted || ' ' || updated || ' ' || status
	            FROM connect_lake.load_manifest WHERE path = '$f'}),
		(-s $f) . ' 4 3 1 loaded', 'the manifest: the bytes read, every record of the file, the counts of both loads');
	is(load('ctr', $d), '1|0|1|0|0|0|0|0|0', 'then skipped');

	# the new part fails (on_error 'stop'): what the first loads landed stays theirs
	wr($f, '{"ContactId": "oops' . "\n", '>>');
	is(load('ctr', $d), '1|0|0|1|0|0|0|0|0', 'a bad record in the appended part fails the file');
	is(sql(qq{SELECT records || ' ' || status FROM connect_lake.load_manifest WHERE path = '$f'}), '4 failed',
		'... the manifest keeps what the last load that succeeded read');
	my $good = ctr(1, 1) . ctr(2, 1) . ctr(1, 2) . ctr(3, 1);
	wr($f, $good . ctr(2, 2) . ctr(4, 1));
	is(load('ctr', $d), '1|1|0|0|2|1|1|0|0', 'fixed: the records after those loaded before land');
	is(sql(q{SELECT string_agg(versions_seen::text, ',' ORDER BY contactid) FROM connect_lake.ctr_events}),
		'2,2,1,1', '... versions_seen still exact');

	# rewritten (its first bytes differ): a new delivery, read whole
	wr($f, ctr(5, 1) . $good);
	is(load('ctr', $d), '1|1|0|0|5|1|0|4|0', 'a rewritten file is read whole: a new delivery');
}

# ---------- a file that grows while it is loaded ----------
# A trigger on the lake table appends to the file when the writer's first
# batch lands (2,000 rows), while the reader is still reading the file (3 MB,
# more than the framer reads ahead).
{
	my $d = "$tmp/growing";
	my $body = join('', map { ctr(100000 + $_, 1) } 1 .. 20000);
	my $f = wr("$d/ctr.ndjson", $body);
	my $extra = join('', map { ctr(100000 + $_, 2) } 1 .. 5) . join('', map { ctr(9000 + $_, 1) } 1 .. 5);
	wr("$tmp/extra.ndjson", $extra);
	sql(qq{
		CREATE TABLE grow_once (done boolean);
		INSERT INTO grow_once VALUES (false);
		CREATE FUNCTION grow() RETURNS trigger LANGUAGE plpgsql AS \$\$
		BEGIN
		  IF NOT (SELECT done FROM grow_once) THEN
		    UPDATE grow_once SET done = true;
		    COPY (SELECT 1) TO PROGRAM 'cat >/dev/null && cat $tmp/extra.ndjson >> $f';
		  END IF;
		  RETURN NULL;
		END \$\$;
		CREATE TRIGGER grow AFTER INSERT ON connect_lake.ctr_events FOR EACH ROW EXECUTE FUNCTION grow();
	});
	my $before = sql(q{SELECT count(*) || ' ' || sum(versions_seen) FROM connect_lake.ctr_events});
	is(load('ctr', $d), '1|1|0|0|20010|20005|5|0|0', 'the file grew while it was read: the new records were read too');
	is(sql(q{SELECT done FROM grow_once}), 't', '... (it did grow)');
	is(sql(qq{SELECT size FROM connect_lake.load_manifest WHERE path = '$f'}), -s $f,
		'the manifest records the bytes read, not the size listed');
	sql(q{DROP TRIGGER grow ON connect_lake.ctr_events});
	is(load('ctr', $d), '1|0|1|0|0|0|0|0|0', 'so the next run skips it');
	my ($rows, $versions) = split / /, $before;
	is(sql(q{SELECT count(*) || ' ' || sum(versions_seen) FROM connect_lake.ctr_events}),
		($rows + 20005) . ' ' . ($versions + 20010), 'every record landed once, versions_seen not doubled');
}

done_testing();
