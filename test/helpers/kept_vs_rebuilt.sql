-- A helper of the regression tests that check the tables the writers keep
-- against a rebuild of them (metrics_upkeep, metrics_upkeep_edges,
-- flows_upkeep), included from pg_regress's input directory:
--   \getenv abs_srcdir PG_ABS_SRCDIR
--   \set helper :abs_srcdir '/helpers/kept_vs_rebuilt.sql'
--   \set ECHO none
--   \i :helper
--   \set ECHO all
-- pg_temp.kept_vs_rebuilt(tables, rebuild, empty, as_text): each table of
-- connect_lake named in tables is copied and emptied (empty: TRUNCATE, or
-- DELETE FROM where a trigger must see the rows go), the statement rebuild
-- is run, then for each table: its rows as kept, the rows the rebuild made
-- that the table lacked (missing) and those it had that the rebuild did
-- not make (extra), all 0 when the table was exact.  as_text compares whole
-- rows as text (for columns without an equality, or to tell 1.0 from 1.00).
-- Leaves the tables as the rebuild made them (the same, when exact).
CREATE FUNCTION pg_temp.kept_vs_rebuilt(tables text[], rebuild text, empty text DEFAULT 'TRUNCATE',
                                        as_text boolean DEFAULT false)
RETURNS TABLE (tbl text, "rows" bigint, missing bigint, extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
  t text;
  cols text := CASE WHEN as_text THEN '::text' ELSE '.*' END;
BEGIN
  IF empty NOT IN ('TRUNCATE', 'DELETE FROM') THEN
    RAISE EXCEPTION 'kept_vs_rebuilt: empty is TRUNCATE or DELETE FROM, not %', empty;
  END IF;
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('CREATE TEMP TABLE kept_%s AS TABLE connect_lake.%I', t, t);
    EXECUTE format('%s connect_lake.%I', empty, t);
  END LOOP;
  EXECUTE rebuild;
  FOREACH t IN ARRAY tables LOOP
    tbl := t;
    EXECUTE format('SELECT (SELECT count(*) FROM kept_%1$s),
                           (SELECT count(*) FROM (SELECT t%2$s FROM connect_lake.%1$I t
                                                  EXCEPT ALL SELECT k%2$s FROM kept_%1$s k) x),
                           (SELECT count(*) FROM (SELECT k%2$s FROM kept_%1$s k
                                                  EXCEPT ALL SELECT t%2$s FROM connect_lake.%1$I t) x)', t, cols)
      INTO "rows", missing, extra;
    EXECUTE format('DROP TABLE kept_%s', t);
    RETURN NEXT;
  END LOOP;
END
$$;
