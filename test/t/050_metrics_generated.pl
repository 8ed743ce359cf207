# The contact metrics on a generated month, checked exactly against the
# generator's own totals (SUMMARY.json "metrics"): test/gen/connect_gen
# decides each contact's fate (answered, abandoned, asked for a callback,
# moved to another queue by the flow, transferred by the agent inside or out
# of Connect, left the queue at exactly the threshold second, ...) and counts
# it where connect-metrics.md says, without the lake; the lake computes the
# same figures from the CTRs it loaded.  Checked per queue, channel and local
# day (queue_metrics_daily, the day rollups, queue_metrics() from the
# 15-minute rows, LT and LTE), per queue and day, per queue over the month,
# and per agent (agent_metrics_daily, agent_metrics()).
#
# The rollups are made by metrics_refresh(); when the writers keep them as
# records land, what load() left must equal what metrics_refresh() makes.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = "$ENV{TESTDIR}";    # the source tree (make runs us from it)
$root = '.' unless -f "$root/test/gen/connect_gen.c";
system('make', '-s', '-C', $root, 'gen') == 0 or BAIL_OUT('cannot build the generator');

my $out = PostgreSQL::Test::Utils::tempdir . '/gen';
is( system("$root/test/gen/connect_gen", '--out', $out, '--start', '2026-10-01', '--days', '31',
		'--contacts-per-day', '150', '--agents', '30', '--heartbeat-secs', '0', '--seed', '12',
		'--malformed', '4', '--quiet'),
	0, 'generator writes October 2026 (the clocks go back on the 25th)');
my $sum = do { local $/; open my $fh, '<', "$out/SUMMARY.json" or die $!; decode_json(<$fh>) };
my $m = $sum->{metrics};
is($m->{time_zone}, 'Europe/London', 'the generator counts London days');
is($m->{service_level}{threshold_s} . $m->{service_level}{comparison}, '20LT', 'at the lake\'s default threshold');

# Every trap this test is about is in the data.
for my $t (qw(transfer_legs callback_legs queue_transfer_legs external_transfers removed_at_threshold
	crossing_local_day crossing_interval redelivered_versions exact_duplicates))
{
	cmp_ok($m->{traps}{$t}, '>', 0, "the month has $t ($m->{traps}{$t})");
}

my $node = PostgreSQL::Test::Cluster->new('metrics_gen');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nlog_min_messages = warning");
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }
sql('CREATE EXTENSION connect_lake');
is(sql('SELECT connect_lake.metric_time_zone()'), 'Europe/London', 'the lake\'s local days are London\'s too');

is( sql(qq{SELECT files_failed || ' ' || inserted || ' ' || rejected FROM connect_lake.load('ctr', '$out/ctr', 'skip')}),
	"0 $sum->{contacts}{distinct} $sum->{malformed}{by_kind}{ctr}",
	'load(): every contact once, the malformed records rejected');

# ---- What the writers left, then metrics_refresh().
my @rollups = qw(contact_metric metric_queue_interval metric_agent_interval metric_queue_threshold
	metric_queue_day metric_queue_threshold_day);
my $kept = sql('SELECT ' . join(' + ', map { "(SELECT count(*) FROM connect_lake.$_)" } @rollups) . ' AS n');
sql("CREATE TABLE before_$_ AS SELECT * FROM connect_lake.$_") for @rollups;
cmp_ok(sql('SELECT connect_lake.metrics_refresh()'), '>=', $sum->{contacts}{distinct},
	'metrics_refresh() computes every contact');
is(sql('SELECT count(*) FROM connect_lake.contact_metric'), $sum->{contacts}{distinct}, 'contact_metric: one row per contact');
is(sql('SELECT count(*) FROM connect_lake.metric_excluded_contacts'), 0, 'no contact excluded');
if ($kept == 0)
{
	note('the writers left the rollups empty: the metrics come from metrics_refresh() alone');
}
else
{
	for my $t (@rollups)
	{
		is( sql(qq{SELECT (SELECT count(*) FROM (TABLE before_$t EXCEPT ALL TABLE connect_lake.$t) a) || ' '
		               || (SELECT count(*) FROM (TABLE connect_lake.$t EXCEPT ALL TABLE before_$t) b)}),
			'0 0', "$t as load() kept it equals metrics_refresh()'s");
	}
}

# ---- The generator's rows as tables.
my $cols = q{day date, queue_id uuid, queue_name text, channel text, agent_id uuid,
	contacts_created bigint, contacts_queued bigint, contacts_handled bigint, contacts_answered bigint,
	contacts_abandoned bigint, callbacks_requested bigint, contacts_transferred_out bigint,
	contacts_transferred_out_from_queue bigint, contacts_transferred_out_internal bigint,
	contacts_transferred_out_external bigint, contacts_transferred_out_by_agent bigint, contacts_put_on_hold bigint,
	contacts_answered_in_x bigint, contacts_abandoned_in_x bigint, contacts_removed_in_x bigint,
	contacts_removed_at_x bigint, contacts_removed_in_x_lte bigint, queue_answer_time_sum bigint,
	abandon_time_sum bigint, max_queued_time integer, handle_time_sum bigint, interaction_time_sum bigint,
	hold_time_sum bigint, acw_time_sum bigint, service_level numeric, service_level_lte numeric,
	abandonment_rate numeric, avg_handle_time numeric, avg_queue_answer_time numeric, avg_abandon_time numeric};
for my $k (qw(queue_channel_days queue_days queue_totals agent_days agent_totals))
{
	sql(qq{CREATE TABLE s_$k AS SELECT * FROM jsonb_to_recordset(pg_read_file('$out/SUMMARY.json')::jsonb -> 'metrics' -> '$k')
	       AS x($cols)});
	is(sql("SELECT count(*) FROM s_$k"), scalar @{ $m->{$k} }, "SUMMARY metrics.$k read");
}

# Both queries give the same rows (as multisets); else the differing rows.
sub same_rows
{
	my ($name, $lake, $gen) = @_;
	my $r = sql(qq{SELECT (SELECT count(*) FROM ($lake) l) || ' ' || (SELECT count(*) FROM (($lake) EXCEPT ALL ($gen)) a)
	                      || ' ' || (SELECT count(*) FROM (($gen) EXCEPT ALL ($lake)) b)});
	my ($n) = split / /, $r;
	if (!is($r, "$n 0 0", "$name: $n rows, as the generator counted")
		|| $n == 0)
	{
		fail("$name: no rows") if $n == 0;
		diag("lake only:\n" . sql(qq{($lake) EXCEPT ALL ($gen) LIMIT 5}));
		diag("generator only:\n" . sql(qq{($gen) EXCEPT ALL ($lake) LIMIT 5}));
	}
}

my $row_cols = q{contacts_created, contacts_queued, contacts_handled, contacts_abandoned, callbacks_requested,
	contacts_transferred_out, contacts_transferred_out_from_queue, contacts_transferred_out_internal,
	contacts_transferred_out_external, contacts_transferred_out_by_agent, contacts_put_on_hold,
	contacts_answered_in_x, contacts_abandoned_in_x, contacts_removed_in_x, contacts_removed_at_x, max_queued_time};
my $rate_cols = q{service_level, abandonment_rate, avg_handle_time, avg_queue_answer_time, avg_abandon_time};
my $gen_qcd = qq{SELECT day, queue_id, channel, $row_cols, handle_time_sum, $rate_cols FROM s_queue_channel_days};

# ---- Per queue, channel and local day.
same_rows('queue_metrics_daily (view), per queue, channel and day',
	qq{SELECT day, queue_id, channel, $row_cols, sum_handle_time, $rate_cols FROM connect_lake.queue_metrics_daily},
	$gen_qcd);
same_rows('queue_metrics_daily(from, to) over the month and the days after it',
	qq{SELECT day, queue_id, channel, $row_cols, sum_handle_time, $rate_cols
	     FROM (SELECT (interval_start AT TIME ZONE 'Europe/London')::date AS day, *
	             FROM connect_lake.queue_metrics_daily('2026-10-01', '2026-12-31')) d},
	$gen_qcd);
# A range that does not start at a local midnight: the days summed from the 15-minute rows.
same_rows('queue_metrics(DAY) from the 15-minute rows',
	qq{SELECT (period_start AT TIME ZONE 'Europe/London')::date, queue_id, channel, $row_cols, sum_handle_time, $rate_cols
	     FROM connect_lake.queue_metrics('DAY', '2026-09-20 12:00+00', 'infinity', 'Europe/London')},
	$gen_qcd);
same_rows('service level LTE 20 s (removed within, at the boundary second included)',
	q{SELECT (period_start AT TIME ZONE 'Europe/London')::date, queue_id, channel, contacts_removed_in_x, service_level
	    FROM connect_lake.queue_metrics('DAY', '-infinity', 'infinity', 'Europe/London', 20, 'LTE')},
	q{SELECT day, queue_id, channel, contacts_removed_in_x_lte, service_level_lte FROM s_queue_channel_days});
same_rows('metric_queue_day and metric_queue_threshold_day (the day rollups\' sums)',
	q{SELECT r.day, r.queue_id, r.channel, r.contacts, r.contacts_queued, r.contacts_handled, r.contacts_answered,
	         r.contacts_abandoned, r.callbacks_requested, r.transferred_out_from_queue, r.transferred_out_internal,
	         r.transferred_out_external, r.transferred_out_by_agent, r.contacts_put_on_hold, r.queue_answer_time_sum,
	         r.abandon_time_sum, r.queued_time_max, r.handle_time_sum, r.interaction_time_sum, r.hold_time_sum,
	         r.acw_time_sum, coalesce(t.answered_lt, 0), coalesce(t.abandoned_lt, 0), coalesce(t.removed_lt, 0),
	         coalesce(t.removed_eq, 0)
	    FROM connect_lake.metric_queue_day r
	    LEFT JOIN connect_lake.metric_queue_threshold_day t
	      ON t.threshold_s = 20 AND t.day = r.day AND t.queue_kind = r.queue_kind
	     AND t.queue_id IS NOT DISTINCT FROM r.queue_id AND t.channel IS NOT DISTINCT FROM r.channel},
	q{SELECT day, queue_id, channel, contacts_created, contacts_queued, contacts_handled, contacts_answered,
	         contacts_abandoned, callbacks_requested, contacts_transferred_out_from_queue,
	         contacts_transferred_out_internal, contacts_transferred_out_external, contacts_transferred_out_by_agent,
	         contacts_put_on_hold, queue_answer_time_sum, abandon_time_sum, max_queued_time, handle_time_sum,
	         interaction_time_sum, hold_time_sum, acw_time_sum, contacts_answered_in_x, contacts_abandoned_in_x,
	         contacts_removed_in_x, contacts_removed_at_x
	    FROM s_queue_channel_days});

# ---- Per queue and day, all channels; per queue over the month: the
# rates from the summed parts, by the lake's formulas.
my $by_queue = q{sum(contacts_created), sum(contacts_queued), sum(contacts_handled), sum(contacts_abandoned),
	sum(callbacks_requested), sum(contacts_transferred_out_from_queue), sum(contacts_removed_in_x),
	sum(contacts_removed_at_x), sum(sum_handle_time),
	connect_lake.metric_service_level(sum(contacts_removed_in_x), sum(contacts_queued)),
	connect_lake.metric_abandonment_rate(sum(contacts_abandoned), sum(contacts_queued)),
	connect_lake.metric_aht(sum(sum_handle_time), sum(contacts_handled))};
my $gen_q = q{contacts_created, contacts_queued, contacts_handled, contacts_abandoned, callbacks_requested,
	contacts_transferred_out_from_queue, contacts_removed_in_x, contacts_removed_at_x, handle_time_sum,
	service_level, abandonment_rate, avg_handle_time};
same_rows('per queue and day (all channels)',
	qq{SELECT day, queue_id, $by_queue FROM connect_lake.queue_metrics_daily GROUP BY day, queue_id},
	qq{SELECT day, queue_id, $gen_q FROM s_queue_days});
same_rows('per queue over every day (queue_metrics TOTAL)',
	qq{SELECT queue_id, $by_queue FROM connect_lake.queue_metrics('TOTAL', '-infinity', 'infinity') GROUP BY queue_id},
	qq{SELECT queue_id, $gen_q FROM s_queue_totals});
is( sql(qq{SELECT $by_queue FROM connect_lake.queue_metrics('TOTAL', '-infinity', 'infinity') WHERE queue_kind = 'STANDARD'}),
	join('|', (map { $m->{totals}{$_} } qw(contacts_created contacts_queued contacts_handled contacts_abandoned
		callbacks_requested contacts_transferred_out_from_queue contacts_removed_in_x contacts_removed_at_x
		handle_time_sum)),
		# the rates as the lake prints them: 6 decimals (JSON drops trailing zeros)
		(map { sprintf('%.6f', $m->{totals}{$_}) } qw(service_level abandonment_rate avg_handle_time))),
	'the month over every queue (the queues of Amazon\'s reports)');

# ---- Per agent.
same_rows('agent_metrics_daily per agent and day',
	q{SELECT day, agent_id, sum(contacts_handled), sum(sum_handle_time) FROM connect_lake.agent_metrics_daily GROUP BY 1, 2},
	q{SELECT day, agent_id, contacts_handled, handle_time_sum FROM s_agent_days});
same_rows('agent_metrics(TOTAL) per agent',
	q{SELECT agent_id, sum(contacts_handled), sum(sum_handle_time) FROM connect_lake.agent_metrics('TOTAL', '-infinity', 'infinity') GROUP BY 1},
	q{SELECT agent_id, contacts_handled, handle_time_sum FROM s_agent_totals});

# ---- The traps, as the lake sees them.
my $t = $m->{traps};
is( sql(q{SELECT count(*) FILTER (WHERE callback_requested) || ' ' || count(*) FILTER (WHERE xfer_out_queue) || ' '
                 || count(*) FILTER (WHERE xfer_out_internal) || ' ' || count(*) FILTER (WHERE xfer_out_external)
            FROM connect_lake.contact_metric}),
	"$t->{callback_legs} $t->{queue_transfer_legs} $t->{transfer_legs} $t->{external_transfers}",
	'callbacks requested, transferred out from queue, internal, external: one per generated leg or transfer');
is( sql(q{SELECT count(*) FROM connect_lake.contact_metric m JOIN connect_lake.ctr_events e USING (contactid)
           WHERE m.initiationmethod = 'CALLBACK' AND m.previouscontactid IS NOT NULL
             AND e.queue_duration > floor(extract(epoch FROM e.queue_dequeuetimestamp - e.queue_enqueuetimestamp))
             AND m.queue_time = e.queue_duration}),
	$t->{callback_legs}, 'every callback leg\'s queue time is its Duration, initial delay included');
is( sql(q{SELECT count(*) FROM connect_lake.contact_metric
           WHERE queue_time = 20 AND (handled OR abandoned OR callback_requested)}),
	$t->{removed_at_threshold}, 'contacts removed from queue at exactly 20 s');
is( sql(q{SELECT count(*) FILTER (WHERE (initiationtimestamp AT TIME ZONE 'Europe/London')::date
                                        <> (disconnecttimestamp AT TIME ZONE 'Europe/London')::date) || ' '
                 || count(*) FILTER (WHERE connect_lake.metric_interval(initiationtimestamp) <> interval_start) || ' '
                 || count(*) FILTER (WHERE disconnecttimestamp >= '2026-11-01Z')
            FROM connect_lake.contact_metric}),
	"$t->{crossing_local_day} $t->{crossing_interval} $t->{disconnected_after_period}",
	'contacts crossing a local day, a 15-minute interval, the end of the month: counted where they disconnect');
is(sql(q{SELECT count(*) FROM connect_lake.ctr_events WHERE attributes ? 'postCallUpdate'}),
	$t->{redelivered_versions}, 're-delivered versions: the latest one kept');

$node->stop;
done_testing();
