# Calendar edits reach every session at once: each backend caches calendars,
# and a change committed elsewhere (or made earlier in its own transaction) is
# seen by its next statement.  Own calendars survive pg_dump / pg_restore
# without colliding with the bundled ones.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('calendar');
$node->init;
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION connect_lake;
	INSERT INTO connect_lake.calendar (name, time_zone) VALUES ('acme', 'Europe/London');
});

# Friday 12 March 2021 16:00 UTC (GMT) + 2 working days, in UTC.
my $due = q{SELECT connect_lake.working_days_add('2021-03-12 16:00+00', 2, 'acme') AT TIME ZONE 'UTC'};

my $a = $node->background_psql('postgres', on_error_stop => 0);
is($a->query_safe($due), '2021-03-16 16:00:00', 'session A: Fri + 2 = Tue (cache warm)');

$node->safe_psql('postgres', q{INSERT INTO connect_lake.holiday (calendar, day) VALUES ('acme', '2021-03-15')});
is($a->query_safe($due), '2021-03-17 16:00:00', 'session A sees a holiday committed by another session');

# Inside one transaction of A, the next statement sees another session's commit.
$a->query_safe('BEGIN');
is($a->query_safe($due), '2021-03-17 16:00:00', 'session A, in a transaction');
$node->safe_psql('postgres', q{INSERT INTO connect_lake.holiday (calendar, day) VALUES ('acme', '2021-03-16')});
is($a->query_safe($due), '2021-03-18 16:00:00', 'session A sees it at its next statement, same transaction');
$a->query_safe('COMMIT');

# Another session's uncommitted change is not seen; its own session sees it.
my $b = $node->background_psql('postgres');
$b->query_safe('BEGIN');
$b->query_safe(q{DELETE FROM connect_lake.holiday WHERE calendar = 'acme'});
is($b->query_safe($due), '2021-03-16 16:00:00', 'session B sees its own uncommitted delete');
is($a->query_safe($due), '2021-03-18 16:00:00', 'session A does not see B\'s uncommitted delete');
$b->query_safe('ROLLBACK');
is($b->query_safe($due), '2021-03-18 16:00:00', 'session B after rollback');
is($a->query_safe($due), '2021-03-18 16:00:00', 'session A after B\'s rollback');

# A change committed by B's transaction reaches A at commit, not before.
$b->query_safe('BEGIN');
$b->query_safe(q{UPDATE connect_lake.calendar SET weekend = '{5,6,7}' WHERE name = 'acme'});
is($a->query_safe($due), '2021-03-18 16:00:00', 'session A before B commits');
$b->query_safe('COMMIT');
# Fri counts as Mon 00:00, Mon 15 and Tue 16 are holidays: Wed 17 00:00 + 2 = Mon 22 00:00.
is($a->query_safe($due), '2021-03-22 00:00:00', 'session A after B commits (four-day week)');

# Time zone and deletion, and a REPEATABLE READ transaction (calendars are
# read like catalogs: the latest committed state, at the next statement).
$a->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
is($a->query_safe($due), '2021-03-22 00:00:00', 'session A, repeatable read');
$node->safe_psql('postgres', q{UPDATE connect_lake.calendar SET time_zone = 'America/New_York', weekend = '{6,7}' WHERE name = 'acme'});
# 11:00 EST on Friday 12 March; New York moves to EDT on 14 March: Thu 18 11:00 EDT = 15:00 UTC.
is($a->query_safe($due), '2021-03-18 15:00:00', 'session A sees the new time zone');
$a->query_safe('COMMIT');
$node->safe_psql('postgres', q{DELETE FROM connect_lake.calendar WHERE name = 'acme'});
my ($out, $failed) = $a->query($due);
ok($failed && $a->{stderr} =~ /calendar "acme" does not exist/,
	'session A: a calendar deleted elsewhere is unknown at once');

# The default calendar follows the setting, per session.
$node->safe_psql('postgres', q{ALTER DATABASE postgres SET connect_lake.calendar = 'scotland'});
is($node->safe_psql('postgres', q{SELECT connect_lake.working_days_add('2021-04-01 15:00+01', 2) AT TIME ZONE 'UTC'}),
	'2021-04-06 14:00:00', 'ALTER DATABASE SET connect_lake.calendar: Scotland has no Easter Monday');
$node->safe_psql('postgres', q{ALTER DATABASE postgres RESET connect_lake.calendar});

$a->quit;
$b->quit;

# Dump and restore: the DBA's calendars come back, the bundled ones are not
# duplicated, and the functions work on the restored database.
$node->safe_psql('postgres', 'CREATE DATABASE lake');
$node->safe_psql('lake', q{
	CREATE EXTENSION connect_lake;
	SELECT connect_lake.copy_calendar('england_wales', 'acme', 'Europe/Dublin');
	INSERT INTO connect_lake.holiday (calendar, day, name) VALUES ('acme', '2021-03-17', 'St Patrick''s Day');
	INSERT INTO connect_lake.calendar (name, time_zone, weekend) VALUES ('dubai', 'Asia/Dubai', '{5,6}');
});
my $dump = $node->basedir . '/lake.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('lake'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE lake2');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('lake2'), $dump ], 'pg_restore');
my $summary = q{SELECT string_agg(format('%s:%s:%s', calendar, bundled, n), ' ' ORDER BY calendar, bundled)
	FROM (SELECT calendar, bundled, count(*) n FROM connect_lake.holiday GROUP BY 1, 2) s};
is($node->safe_psql('lake2', $summary), $node->safe_psql('lake', $summary), 'holidays match after restore');
is($node->safe_psql('lake2', q{SELECT connect_lake.working_days_add('2021-03-16 16:00+00', 1, 'acme') AT TIME ZONE 'UTC'}),
	'2021-03-18 16:00:00', 'the restored calendar works (St Patrick\'s Day off)');
is($node->safe_psql('lake2', q{SELECT string_agg(name || '/' || bundled, ' ' ORDER BY name) FROM connect_lake.calendar}),
	'acme/false dubai/false england_wales/true northern_ireland/true scotland/true', 'calendars after restore');

$node->stop;
done_testing();
