-- load(..., workers => n): background workers share the files, each file
-- committed on its own, the commit upkeep queued and run by them (issue
-- 15).  Two sessions sharing a path: test/specs/load_share.spec; a worker
-- or a session killed mid-file: test/t/058_load_workers.pl.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
RESET client_min_messages;
SET TimeZone = 'UTC';
SELECT current_setting('data_directory') || '/cl_workers_*.ndjson' AS files \gset
-- an empty lake (earlier tests leave rows)
CREATE PROCEDURE empty_lake() LANGUAGE sql AS $$
TRUNCATE connect_lake.ctr_events, connect_lake.contact_account, connect_lake.agent_dim,
  connect_lake.queue_dim, connect_lake.queue_name_history, connect_lake.contact_metric,
  connect_lake.metric_queue_interval, connect_lake.metric_agent_interval,
  connect_lake.metric_queue_threshold, connect_lake.metric_queue_day,
  connect_lake.metric_queue_threshold_day, connect_lake.contact_repeat,
  connect_lake.load_manifest, connect_lake.load_rejects;
$$;
CALL empty_lake();

-- 40 CTR files of 25 records: the contacts (f-1)*20+1 .. f*20+5 of file f,
-- so that the last 5 of each come again, newer, in the next file
DO $$
BEGIN
  FOR f IN 1..40 LOOP
    EXECUTE format($q$COPY (SELECT jsonb_build_object(
        'ContactId', format('a1b2c3d4-1500-4000-8000-%%s', lpad(c::text, 12, '0')),
        'Channel', 'VOICE', 'InitiationMethod', 'INBOUND',
        'InitiationTimestamp', '2025-03-01T10:00:00Z',
        'DisconnectTimestamp', '2025-03-01T10:05:00Z',
        'LastUpdateTimestamp', format('2025-03-01T11:%%s:00Z', lpad(%s::text, 2, '0')))::text
      FROM generate_series(%s, %s) c) TO %L$q$,
      f, (f - 1) * 20 + 1, f * 20 + 5,
      current_setting('data_directory') || format('/cl_workers_%s.ndjson', lpad(f::text, 2, '0')));
  END LOOP;
END $$;

-- ---------- bad values: nothing is started ----------
SELECT * FROM connect_lake.load('ctr', :'files', workers => 0);
SELECT * FROM connect_lake.load('ctr', :'files', workers => -3);
DO $$ BEGIN
  PERFORM connect_lake.load('ctr', current_setting('data_directory') || '/cl_workers_*.ndjson',
                            workers => current_setting('max_worker_processes')::int + 1);
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE NOTICE 'refused: %', regexp_replace(SQLERRM, '\d+', 'N', 'g');
END $$;
SELECT * FROM connect_lake.load('ctr_record', :'files', workers => 2);
SELECT * FROM connect_lake.load('ctr', :'files', on_error => 'ignore', workers => 2);
SELECT * FROM connect_lake.load('ctr', 'relative/path', workers => 2);
SELECT * FROM connect_lake.load('ctr', '/nonexistent/cl_workers', workers => 2);
-- each file commits on its own: not inside a transaction block
BEGIN;
SELECT * FROM connect_lake.load('ctr', :'files', workers => 2);
ROLLBACK;
-- a NULL argument other than workers: NULL, as before (the function was STRICT)
SELECT connect_lake.load(NULL, :'files') IS NULL AS kind_null,
       connect_lake.load('ctr', NULL, workers => 2) IS NULL AS path_null;
SELECT count(*) AS manifest_rows FROM connect_lake.load_manifest;

-- ---------- the same files in this session, then by 2 workers ----------
SET client_min_messages = warning;	-- a NOTICE per file names the data directory
SELECT files_seen, files_loaded, files_skipped, files_failed, records_read, inserted,
       updated + duplicates AS versions_not_inserted, rejected, error
  FROM connect_lake.load('ctr', :'files');
CREATE TEMP TABLE in_session AS
  SELECT contactid, lastupdatetimestamp, versions_seen FROM connect_lake.ctr_events;
CREATE TEMP TABLE in_session_metric AS SELECT * FROM connect_lake.contact_metric;
CREATE TEMP TABLE in_session_interval AS SELECT * FROM connect_lake.metric_queue_interval;
SELECT count(*) AS interval_rows FROM in_session_interval;
CALL empty_lake();

-- which file a worker loads depends on timing: the counts summed are not
SELECT files_seen, files_loaded, files_skipped, files_failed, records_read, inserted,
       updated + duplicates AS versions_not_inserted, rejected, error
  FROM connect_lake.load('ctr', :'files', workers => 2);
-- every record landed once: the same rows, versions and metrics as in a session
SELECT count(*) AS contacts, sum(versions_seen) AS versions FROM connect_lake.ctr_events;
SELECT count(*) AS differ FROM (
  (SELECT contactid, lastupdatetimestamp, versions_seen FROM connect_lake.ctr_events
   EXCEPT SELECT * FROM in_session)
  UNION ALL
  (SELECT * FROM in_session
   EXCEPT SELECT contactid, lastupdatetimestamp, versions_seen FROM connect_lake.ctr_events)) d;
SELECT count(*) AS metric_rows,
       (SELECT count(*) FROM ((SELECT * FROM connect_lake.contact_metric EXCEPT SELECT * FROM in_session_metric)
                              UNION ALL
                              (SELECT * FROM in_session_metric EXCEPT SELECT * FROM connect_lake.contact_metric)) d) AS metric_differ,
       (SELECT count(*) FROM ((SELECT * FROM in_session_interval EXCEPT SELECT * FROM connect_lake.metric_queue_interval)
                              UNION ALL
                              (SELECT * FROM connect_lake.metric_queue_interval EXCEPT SELECT * FROM in_session_interval)) d) AS interval_differ
  FROM connect_lake.contact_metric;
-- the workers ran the upkeep they queued
SELECT count(*) AS upkeep_queued FROM connect_lake.upkeep_queue;
SELECT status, count(*) AS files, sum(records) AS records, sum(inserted) AS inserted
  FROM connect_lake.load_manifest GROUP BY status;

-- again: every file skipped
SELECT files_seen, files_loaded, files_skipped, records_read FROM connect_lake.load('ctr', :'files', workers => 3);

-- a file a worker cannot load fails alone, as in a session, and says why
DO $$ BEGIN
  EXECUTE format('COPY (SELECT %L) TO %L', '{"ContactId": "a1b2c3d4-1500-4000-8000-999999999999", "InitiationTimestamp": ',
                 current_setting('data_directory') || '/cl_workers_41.ndjson');
END $$;
SELECT files_seen, files_loaded, files_skipped, files_failed, records_read, error IS NOT NULL AS has_error
  FROM connect_lake.load('ctr', :'files', workers => 2);
SELECT status, count(*) FROM connect_lake.load_manifest GROUP BY status ORDER BY status;

-- clean up
CALL empty_lake();
DROP PROCEDURE empty_lake();
