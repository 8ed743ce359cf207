-- Retention: apply_retention() drops whole monthly partitions past the
-- horizon, the rows of the tables that follow them, rollups given a retention
-- of their own, and prunes the manifest and the rejects.  In a database of its
-- own, so that no other test's months are dropped.
SET client_min_messages = warning;
SELECT current_database() AS regdb \gset
CREATE DATABASE connect_lake_retention;
\c connect_lake_retention
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- Every table named by retention_tables exists, with its time column.
SELECT t.table_name, t.time_column FROM connect_lake.retention_tables t
 WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = to_regclass('connect_lake.' || quote_ident(t.table_name))
                      AND a.attname = t.time_column AND NOT a.attisdropped);
-- Every fact table has a method, and every follower follows a fact table.
SELECT f.relname FROM connect_lake.fact_table f
 WHERE NOT EXISTS (SELECT 1 FROM connect_lake.retention_tables t WHERE t.table_name = f.relname AND t.method = 'partitions');
SELECT table_name, follows FROM connect_lake.retention_tables t WHERE method = 'follows'
   AND NOT EXISTS (SELECT 1 FROM connect_lake.retention_tables u WHERE u.table_name = t.follows AND u.method = 'partitions');

-- Contact n in queue A, initiated at ts, two minutes long.
CREATE FUNCTION pg_temp.ctr(n integer, ts timestamptz) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10',
    'ContactId', '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'),
    'InitiationMethod', 'INBOUND', 'Channel', 'VOICE',
    'InitiationTimestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'DisconnectTimestamp', to_char((ts + interval '2 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'LastUpdateTimestamp', to_char((ts + interval '3 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    'CustomerEndpoint', jsonb_build_object('Address', '+4479000000' || lpad((n % 3)::text, 2, '0'), 'Type', 'TELEPHONE_NUMBER'),
    'Attributes', jsonb_build_object('AccountNumbers', (1000 + n % 3)::text),
    'Queue', jsonb_build_object(
      'ARN', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/aaaaaaaa-0000-4000-8000-00000000000a',
      'Name', 'Queue A',
      'EnqueueTimestamp', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'DequeueTimestamp', to_char((ts + interval '30 seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
      'Duration', 30))
$$;
-- Three contacts in each of January to April 2030: the 1st, the 14th and the 28th, at noon.
SELECT inserted FROM connect_lake.ingest_batch('ctr',
  (SELECT array_agg(pg_temp.ctr(m * 10 + d, make_timestamptz(2030, m, dd, 12, 0, 0, 'UTC')) ORDER BY m, d)
     FROM generate_series(1, 4) m, (VALUES (1, 1), (2, 14), (3, 28)) AS x(d, dd)));
-- Where they came from: a file per month.
UPDATE connect_lake.ctr_events SET source_file = '/nonexistent/ctr/2030-' || to_char(initiationtimestamp, 'MM') || '.json';
-- The side tables the writers keep.
CREATE FUNCTION pg_temp.months(rel text, col text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(m || '':'' || n, '' '' ORDER BY m), ''-'') FROM
                   (SELECT to_char(%I, ''YYYY-MM'') m, count(*) n FROM connect_lake.%I GROUP BY 1) s', col, rel) INTO r;
  RETURN r;
END $$;
CREATE VIEW pg_temp.lake AS
  SELECT 'ctr_events' AS t, pg_temp.months('ctr_events', 'initiationtimestamp') AS months
  UNION ALL SELECT 'contact_metric', pg_temp.months('contact_metric', 'initiationtimestamp')
  UNION ALL SELECT 'contact_repeat', pg_temp.months('contact_repeat', 'initiationtimestamp')
  UNION ALL SELECT 'contact_account', pg_temp.months('contact_account', 'initiationtimestamp')
  UNION ALL SELECT 'metric_queue_interval', pg_temp.months('metric_queue_interval', 'interval_start')
  UNION ALL SELECT 'metric_queue_day', pg_temp.months('metric_queue_day', 'day')
  UNION ALL SELECT 'partitions', (SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i
                                   JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'connect_lake.ctr_events'::regclass);
SELECT * FROM pg_temp.lake;

-- The manifest: a file per month (gone from disk), one loaded after the
-- horizon, and one still on disk ('/'); rejects of January and of August.
INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status, loaded_at)
SELECT 'ctr', p, 0, l, '', 'loaded', l
  FROM (VALUES ('/nonexistent/ctr/2030-01.json', '2030-01-31Z'::timestamptz),
               ('/nonexistent/ctr/2030-02.json', '2030-02-28Z'),
               ('/nonexistent/ctr/2030-03.json', '2030-03-31Z'),
               ('/nonexistent/ctr/2030-04.json', '2030-04-30Z'),
               ('/nonexistent/ctr/empty.json',   '2030-01-02Z'),   -- nothing landed from it
               ('/nonexistent/ctr/late.json',    '2030-08-01Z'),   -- loaded after the horizon
               ('/',                             '2030-01-05Z'))   -- still on disk
       AS v(p, l);
INSERT INTO connect_lake.load_manifest (kind, path, size, mtime, checksum, status, loaded_at)
VALUES ('contact_flow_log', '/nonexistent/flows/2030-01.json', 0, '2030-01-31Z', '', 'loaded', '2030-01-31Z');
INSERT INTO connect_lake.load_rejects (kind, path, reason, raw, rejected_at)
VALUES ('ctr', '/nonexistent/ctr/2030-01.json', 'bad', '{"ContactId": "x"}', '2030-01-31Z'),
       ('ctr', 'ingest_batch()', 'bad', '{"ContactId": "y"}', '2030-08-01Z'),
       ('contact_flow_log', '/nonexistent/flows/2030-01.json', 'bad', '{}', '2030-01-31Z');

-- Default: keep everything.
SELECT * FROM connect_lake.apply_retention(as_of => '2030-09-15 12:00Z');

-- Bad settings are refused when written, never when applied.
INSERT INTO connect_lake.retention (table_name, keep) VALUES ('contact_metric', '6 months');
INSERT INTO connect_lake.retention (table_name, keep) VALUES ('ctr_event', '6 months');
INSERT INTO connect_lake.retention (table_name, keep) VALUES ('ctr_events', '0');
INSERT INTO connect_lake.retention (table_name, keep) VALUES ('ctr_events', '-6 months');

-- CTRs six months, the queue's 15-minute rollup seven: as of 2030-09-15 12:00
-- the horizons are 2030-03-15 12:00 and 2030-02-15 12:00.
INSERT INTO connect_lake.retention (table_name, keep, note) VALUES
  ('ctr_events', '6 months', 'test'), ('metric_queue_interval', '7 months', NULL);
-- A dry run says what would go and changes nothing.
SELECT * FROM connect_lake.apply_retention(true, '2030-09-15 12:00Z');
SELECT * FROM pg_temp.lake;
-- January and February go, whole; March is kept, its 1st and 14th (before
-- the horizon) with it: never a partial month.  The followers lose January
-- and February; the rollup with its own retention loses January only; the
-- day rollup, without one, keeps everything.
SELECT * FROM connect_lake.apply_retention(false, '2030-09-15 12:00Z');
SELECT * FROM pg_temp.lake;
-- The manifest keeps the files rows still come from, the file on disk and
-- the one loaded after the horizon; the flow log kind has no retention.
SELECT kind, path FROM connect_lake.load_manifest ORDER BY kind, path;
SELECT kind, path, rejected_at FROM connect_lake.load_rejects ORDER BY reject_id;
-- Nothing newer than the horizon went; the daily metrics still answer for
-- every month, from the day rollup that has no retention.
SELECT min(initiationtimestamp) FROM connect_lake.ctr_events;
SELECT sum(contacts_created) AS created, sum(contacts_queued) AS queued FROM connect_lake.queue_metrics_daily('2030-01-01', '2030-04-30');
-- Again: nothing left to do.
SELECT * FROM connect_lake.apply_retention(false, '2030-09-15 12:00Z');
-- A month later the horizon passes the end of March.
SELECT table_name, action, object, rows FROM connect_lake.apply_retention(false, '2030-10-01 12:00Z');
SELECT * FROM pg_temp.lake;
-- A DEFAULT partition is never dropped.
CREATE TABLE connect_lake.ctr_events_rest PARTITION OF connect_lake.ctr_events DEFAULT;
SELECT table_name, action, object FROM connect_lake.apply_retention(false, '2040-01-01Z');
SELECT relname FROM pg_class WHERE relname LIKE 'ctr_events_%' AND relkind = 'r' ORDER BY 1;
SELECT count(*) AS strict FROM connect_lake.apply_retention(NULL);
SELECT * FROM connect_lake.apply_retention(false, 'infinity');
-- Only the DBA runs it.
SELECT has_function_privilege('connect_lake_loader', 'connect_lake.apply_retention(boolean, timestamptz)', 'EXECUTE') AS loader,
       has_function_privilege('connect_lake_reader', 'connect_lake.apply_retention(boolean, timestamptz)', 'EXECUTE') AS reader;

\c :regdb
DROP DATABASE connect_lake_retention;
