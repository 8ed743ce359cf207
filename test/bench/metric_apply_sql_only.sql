-- A variant for test/bench/metrics_upkeep_replay.sh, metrics_upkeep_single.sh
-- (and METRICS_UPKEEP_VARIANT= of metrics_upkeep.sh): metric_apply() as it
-- was before session 9's s9-cmw, every contact through metric_apply_rows()'s
-- statement, none written directly by metric_apply_new() (the C path off).
-- Cut from git show e5ab327:sql/install/90_metrics.sql as the replay's header shows.
CREATE OR REPLACE FUNCTION connect_lake.metric_apply(ids uuid[], source_where text, from_ts timestamptz DEFAULT NULL,
                                          to_ts timestamptz DEFAULT NULL, initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $fn$
DECLARE
  planner text[];
  r1      record;
  r2      record;
BEGIN
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_metric']::regclass[]);
  -- The rollups' lock, exclusively, before any contact_metric row is read
  -- or written (as the installed metric_apply() takes it).
  IF current_setting('connect_lake_metrics.all_locked', true) IS DISTINCT FROM 'on' THEN
    PERFORM pg_advisory_xact_lock(1668048237, 0);
  END IF;
  SELECT * INTO r1 FROM connect_lake.metric_apply_rows(ids, source_where, from_ts, to_ts, initiation_ts);
  -- The contacts contact_metric holds under another InitiationTimestamp,
  -- and those another writer changed meanwhile: every version of them read
  -- by a second call (rare).  Both calls' rows
  -- are written before any interval is locked, and the rollups corrected
  -- once for both, locking the intervals in lock order: no row lock is
  -- ever asked for while an interval's lock is held, as in every writer's
  -- upkeep, so that two upkeeps never wait for each other crosswise.
  -- (Again while another writer changed some of them meanwhile: each round
  -- waited for that writer's commit.)
  WHILE cardinality(r1.others) > 0 LOOP
    SELECT * INTO r2 FROM connect_lake.metric_apply_rows(r1.others, 'b.contactid = ANY ($1)', from_ts, to_ts, NULL);
    r1.total := r1.total + r2.total;
    r1.ivs := r1.ivs || r2.ivs;
    r1.before := r1.before || r2.before;
    r1.after := r1.after || r2.after;
    r1.others := r2.others;
  END LOOP;
  IF from_ts IS NULL THEN
    PERFORM connect_lake.metric_rollup_delta(r1.before, r1.after);
  ELSE
    PERFORM connect_lake.metric_rollup(r1.ivs);
  END IF;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN r1.total;
END
$fn$;
