-- test/bench/seed_month.sh's forget_customer() measure (see there): 5
-- customers (the accounts with the most contacts, those with cases first) forgotten
-- by account, 3 runs each, every call in a transaction rolled back; the
-- median and the longest call, and the sequential scans it made of the
-- lake's tables (and partitions) that hold over 10,000 rows: an indexed
-- erasure makes none.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET stats_fetch_consistency = none;
CREATE TEMP TABLE bench_customer AS
  SELECT a.account, count(DISTINCT a.contactid) AS contacts
    FROM connect_lake.contact_account a
   WHERE a.account > 0
   GROUP BY a.account
   ORDER BY EXISTS (SELECT 1 FROM connect_lake.case_state c WHERE c.account = a.account) DESC, 2 DESC, 1
   LIMIT 5;
CREATE TEMP TABLE bench_run (run integer, account bigint, ms float8, rows_changed bigint);
CREATE FUNCTION pg_temp.once(acct bigint) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN
  SELECT sum(f.rows_changed) INTO n FROM connect_lake.forget_customer(account => acct) f;
  RAISE EXCEPTION USING ERRCODE = 'P0099',
    MESSAGE = (extract(epoch FROM clock_timestamp() - t0) * 1000) || ' ' || n;
END $fn$;
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE bench_scans AS
  SELECT relid, relname, seq_scan, n_live_tup FROM pg_stat_user_tables WHERE schemaname = 'connect_lake';
DO $$
DECLARE c record; m text;
BEGIN
  FOR run IN 1..3 LOOP
    FOR c IN SELECT * FROM bench_customer ORDER BY account LOOP
      BEGIN
        PERFORM pg_temp.once(c.account);
      EXCEPTION WHEN SQLSTATE 'P0099' THEN m := SQLERRM;   -- rolled back
      END;
      INSERT INTO bench_run VALUES (run, c.account, split_part(m, ' ', 1)::float8, split_part(m, ' ', 2)::bigint);
    END LOOP;
  END LOOP;
END $$;
SELECT pg_stat_force_next_flush();
\echo '==> forget_customer(account) of 5 customers, 3 runs each (rolled back)'
SELECT b.account, c.contacts, max(b.rows_changed) AS rows_changed,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms)::numeric, 1) AS median_ms,
       round(max(b.ms)::numeric, 1) AS max_ms
  FROM bench_run b JOIN bench_customer c USING (account) GROUP BY 1, 2 ORDER BY 1;
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms,
       round(max(ms)::numeric, 1) AS max_ms, count(*) AS calls
  FROM bench_run;
\echo '==> sequential scans during those calls of tables over 10,000 rows (none: every lookup indexed)'
SELECT s.relname, s.n_live_tup, s.seq_scan - b.seq_scan AS seq_scans
  FROM pg_stat_user_tables s JOIN bench_scans b USING (relid)
 WHERE s.seq_scan > b.seq_scan AND s.n_live_tup > 10000 ORDER BY 1;
SELECT count(*) FILTER (WHERE s.seq_scan > b.seq_scan AND s.n_live_tup > 10000) AS big_tables_scanned,
       count(*) FILTER (WHERE s.seq_scan > b.seq_scan) AS tables_scanned_any_size
  FROM pg_stat_user_tables s JOIN bench_scans b USING (relid);
