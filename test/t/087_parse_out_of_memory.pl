# The SQL parse functions' JSON reader (cl_parse_json_text, a record given as
# text) when memory runs out is 53200 (out of memory), never a verdict on the
# record: not 22P02 "invalid JSON", whichever parser ran out (the tape's
# arrays, or json-c's tree for a record the tape leaves to json-c), and
# nothing is poisoned: the next call in the same session parses, and with
# the memory the same records parse.
#
# The backend's memory is limited from inside (RLIMIT_DATA lowered on its
# own pid by prlimit(1) through COPY TO PROGRAM) to a few MB above what it
# holds, just before the parse, and lifted again after.  json-c 0.16 does not
# report running out of memory: it returned what it had built with
# json_tokener_success, which was reported as "invalid JSON ... success" or
# "text after the end of the record" (22P02) before cl_json_parse() told by
# errno.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

system('sh', '-c', 'command -v prlimit >/dev/null') == 0
  or plan skip_all => 'prlimit (util-linux) is not installed';
-r '/proc/self/status' && -r '/proc/self/limits'
  or plan skip_all => 'no /proc/self/status';

my $node = PostgreSQL::Test::Cluster->new('parse_oom');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');

# A CTR with a 4-million-element array (8 MB of text; 96 MB as a tape, more
# as json-c's tree); its twin starts with an integer at int64's end, which
# the tape parser leaves to json-c at once.
my $id = '6fe40d2a-1a89-4d73-bfcf-5d9c33894f47';
my $head = qq({"ContactId":"$id","InitiationTimestamp":"2026-11-01T10:00:00Z","Channel":"VOICE");
sql(qq~CREATE TABLE docs AS
  SELECT 'tape' AS parser, '{"Extra":[' || repeat('1,', 4000000) || '1],' || substr('$head}', 2) AS doc
  UNION ALL
  SELECT 'json-c', '{"Big":9223372036854775807,"Extra":[' || repeat('1,', 4000000) || '1],' || substr('$head}', 2)~);
is(sql(q{SELECT string_agg(parser || ' ' || length(doc), ', ' ORDER BY parser) FROM docs}),
	'json-c 8000153, tape 8000127', 'the two records');

# Sets the backend's soft data limit to what it holds plus headroom MB
# (NULL: unlimited again); returns the limit in force.
my $limit_fn = q{
CREATE FUNCTION pg_temp.limit_data(headroom_mb int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE held bigint := substring(pg_read_file('/proc/self/status') from 'VmData:\s*(\d+)')::bigint;
BEGIN
  EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L', format('prlimit --pid %s --data=%s:', pg_backend_pid(),
    CASE WHEN headroom_mb IS NULL THEN 'unlimited' ELSE ((held + headroom_mb * 1024) * 1024)::text END));
  RETURN (regexp_match(pg_read_file('/proc/self/limits'), 'Max data size +(\S+)'))[1];
END $$;
};

# One session: the limit, the parse, the limit lifted, a small record, the
# same record with the memory.  Returns psql's stdout and stderr.
sub session
{
	my ($parser, $headroom) = @_;
	my ($out, $err);
	$node->psql('postgres', qq~\\set VERBOSITY verbose
$limit_fn
SELECT 'limit ' || pg_temp.limit_data($headroom);
SELECT 'parsed ' || (connect_lake.ctr_parse(doc)).contactid FROM docs WHERE parser = '$parser';
SELECT 'lifted ' || pg_temp.limit_data(NULL);
SELECT 'small ' || (connect_lake.ctr_parse('$head}'::text)).contactid;
SELECT 'whole ' || (connect_lake.ctr_parse(doc)).contactid FROM docs WHERE parser = '$parser';
~, stdout => \$out, stderr => \$err, on_error_stop => 0);
	return ($out, $err);
}

for my $parser ('tape', 'json-c')
{
	my $failed = 0;
	for my $headroom (32, 64, 128, 256)
	{
		my ($out, $err) = session($parser, $headroom);
		my $what = "$parser, $headroom MB above what the backend holds";
		like($out, qr/^limit \d+$/m, "$what: the limit set");
		my @errors = $err =~ /ERROR:  (\w{5}): (.*)$/mg;
		my %codes;
		for (my $i = 0; $i < @errors; $i += 2) { $codes{ $errors[$i] } = $errors[ $i + 1 ]; }
		ok(!grep({ $_ ne '53200' } keys %codes), "$what: every error is 53200")
		  or diag($err);
		if ($out =~ /^parsed $id$/m)
		{
			is(scalar(@errors), 0, "$what: parsed within the limit, no error");
		}
		else
		{
			$failed++;
			like($err, qr/ERROR:  53200: out of memory/, "$what: out of memory (53200)");
			unlike($err, qr/invalid JSON|22P02/, "$what: not reported as invalid JSON");
		}
		like($out, qr/^lifted unlimited$/m, "$what: the limit lifted");
		like($out, qr/^small $id$/m, "$what: the next call parses");
		like($out, qr/^whole $id$/m, "$what: with the memory, the same record parses");
	}
	ok($failed >= 1, "$parser: memory ran out in $failed of 4 limits");
}

# The smallest limit meets the parser itself, not something after it: the
# tape's arrays, json-c's tree (named with the byte offset it reached).
my (undef, $err) = session('tape', 32);
like($err, qr/ERROR:  53200: out of memory parsing ctr record$/m, 'tape: its arrays ran out')
  or diag($err);
(undef, $err) = session('json-c', 32);
like($err, qr/ERROR:  53200: out of memory parsing ctr record at byte \d+$/m, 'json-c: its tree ran out')
  or diag($err);

$node->stop;
done_testing();
