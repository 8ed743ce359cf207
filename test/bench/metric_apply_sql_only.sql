-- A variant for test/bench/metrics_upkeep_replay.sh, metrics_upkeep_single.sh
-- (and METRICS_UPKEEP_VARIANT= of metrics_upkeep.sh): the installed
-- metric_apply() with its C path off (metric_apply_new() never called), so
-- that every contact goes through metric_apply_rows()'s statement, as
-- before session 9's s9-cmw.  Made from the installed definition, not a
-- copy of it: it fails when the guarded call is no longer there.
DO $variant$
DECLARE
  def text := pg_catalog.pg_get_functiondef(
    'connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[])'::pg_catalog.regprocedure);
  guard constant text := 'IF from_ts IS NULL AND initiation_ts IS NOT NULL THEN';
BEGIN
  IF pg_catalog.strpos(def, guard) = 0 THEN
    RAISE EXCEPTION 'metric_apply_sql_only.sql: metric_apply() no longer calls metric_apply_new() behind "%"', guard;
  END IF;
  EXECUTE pg_catalog.replace(def, guard, 'IF false THEN');
END
$variant$;
