-- connect_lake loader benchmark: run by test/bench/loader_bench (psql variables
-- ctr_dir, ctr_file, flow_file, csv, plain_sql, n_ctr, n_flow).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
CREATE EXTENSION file_fdw;
\pset footer off

CREATE FUNCTION public.peak_rss() RETURNS text LANGUAGE sql AS
$$ SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') from 'VmHWM:\s*(\d+ kB)') $$;
CREATE FUNCTION pg_temp.reset_lake() RETURNS void LANGUAGE sql AS $$
  TRUNCATE connect_lake.ctr_events, connect_lake.load_manifest, connect_lake.load_rejects,
           connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
           connect_lake.contact_account, connect_lake.contact_metric, connect_lake.metric_queue_interval,
           connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold,
           connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
  CHECKPOINT;
$$;
-- a plain table shaped like ctr_events, with the key and indexes its partitions get
CREATE FUNCTION pg_temp.flat_table(name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE idx text;
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE connect_lake.ctr_events INCLUDING DEFAULTS)', name);
  EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (contactid, initiationtimestamp)', name);
  FOREACH idx IN ARRAY (SELECT indexes FROM connect_lake.fact_table WHERE relname = 'ctr_events') LOOP
    EXECUTE format('CREATE INDEX ON %I %s', name, idx);
  END LOOP;
END $$;

\echo '== CTRs:' :n_ctr 'records'
-- warm the page cache for every variant
SELECT sum(size) AS ndjson_bytes FROM pg_stat_file(:'ctr_file') AS f(size);

SELECT clock_timestamp() AS t0 \gset
SELECT files_loaded, records_read, inserted, rejected, bytes FROM connect_lake.load('ctr', :'ctr_dir' || '/ndjson');
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_ndjson, public.peak_rss() AS rss_ndjson \gset
COPY (SELECT * FROM connect_lake.ctr_events) TO :'csv' WITH (FORMAT csv);
SELECT pg_temp.reset_lake();

SELECT clock_timestamp() AS t0 \gset
SELECT files_loaded, records_read, inserted, rejected, bytes FROM connect_lake.load('ctr', :'ctr_dir' || '/gzip');
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_gzip \gset
SELECT pg_temp.reset_lake();

SELECT clock_timestamp() AS t0 \gset
SELECT files_loaded, records_read, inserted, rejected, bytes FROM connect_lake.load('ctr', :'ctr_dir' || '/firehose');
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_firehose \gset

-- COPY of the same rows, pre-flattened to CSV
SELECT pg_temp.flat_table('bench_flat');
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
COPY bench_flat FROM :'csv' WITH (FORMAT csv);
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_csv \gset

-- the plain-SQL way: COPY the lines into jsonb, INSERT ... SELECT with casts
SELECT pg_temp.flat_table('bench_plain');
CREATE TABLE bench_doc (doc jsonb);
CHECKPOINT;
SELECT clock_timestamp() AS t0 \gset
COPY bench_doc FROM :'ctr_file' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
\i :plain_sql
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_plain \gset
SELECT (SELECT count(*) FROM bench_plain) AS plain_rows, (SELECT count(*) FROM bench_flat) AS csv_rows,
       (SELECT count(*) FROM connect_lake.ctr_events) AS lake_rows;

\echo '== flow log events:' :n_flow
\connect
SET client_min_messages = warning;
CREATE SERVER bench_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE flow_lines (line text) SERVER bench_files
  OPTIONS (filename :'flow_file', format 'csv', quote e'\x01', delimiter e'\x02');
SELECT connect_lake.create_foreign_table('flow_fdw', 'contact_flow_log', :'flow_file');
SELECT count(*) FROM flow_lines;   -- warm the page cache

SELECT clock_timestamp() AS t0 \gset
SELECT count(f.*) AS fdw_rows FROM flow_fdw f;
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_fdw, public.peak_rss() AS rss_fdw \gset

SELECT clock_timestamp() AS t0 \gset
SELECT count(t.*) AS file_fdw_rows FROM (
  SELECT (j->>'ContactId')::uuid AS contactid, (j->>'Timestamp')::timestamptz AS "timestamp",
         j->>'ContactFlowId' AS contactflowid, j->>'ContactFlowName' AS contactflowname,
         j->>'ContactFlowModuleType' AS contactflowmoduletype, j->>'Identifier' AS identifier,
         coalesce(j->'Parameters', j->'Events') AS parameters, j->>'Results' AS results,
         j->'ExternalResults' AS externalresults, j->'ModuleExecutionStack' AS moduleexecutionstack
    FROM (SELECT line::jsonb AS j FROM flow_lines) s) t
;
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_filefdw \gset

\echo '== bounded memory: a scan of' :big_bytes 'bytes (flow log events) in a fresh backend'
\connect
SET client_min_messages = warning;
SELECT connect_lake.create_foreign_table('flow_big', 'contact_flow_log', :'big_file');
SELECT clock_timestamp() AS t0 \gset
SELECT count(f.*) AS big_rows FROM flow_big f;
SELECT extract(epoch FROM clock_timestamp() - :'t0') AS t_big, public.peak_rss() AS rss_big \gset

\echo
\echo '== results (seconds; ratio = other way / connect_lake)'
SELECT :n_ctr AS ctrs,
       round(:t_ndjson::numeric, 2) AS load_ndjson, round(:t_gzip::numeric, 2) AS load_gzip,
       round(:t_firehose::numeric, 2) AS load_firehose,
       round(:t_plain::numeric, 2) AS plain_sql, round(:t_csv::numeric, 2) AS copy_csv,
       round((:t_plain / :t_ndjson)::numeric, 2) AS plain_over_load,
       round((:t_ndjson / :t_csv)::numeric, 2) AS load_over_copy_csv,
       :'rss_ndjson' AS load_peak_rss;
SELECT :n_flow AS flow_events, round(:t_fdw::numeric, 2) AS connect_lake_fdw,
       round(:t_filefdw::numeric, 2) AS file_fdw_jsonb,
       round((:t_filefdw / :t_fdw)::numeric, 2) AS file_fdw_over_fdw,
       :'rss_fdw' AS scan_peak_rss;
SELECT pg_size_pretty(:big_bytes::bigint) AS big_file, round(:t_big::numeric, 2) AS seconds,
       round((:big_bytes / :t_big / 1048576)::numeric, 1) AS mb_per_s, :'rss_big' AS scan_peak_rss,
       current_setting('shared_buffers') AS shared_buffers;
