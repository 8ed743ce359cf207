-- The months a writer may create (issue 16): a window of event times
-- (connect_lake.partition_min_year, connect_lake.partition_years_ahead) and
-- a cap on the partitions one call creates (connect_lake.max_new_partitions).
-- A record outside them is rejected on its own, never the whole load().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS connect_lake;
SET TimeZone = 'UTC';
-- (NOTICEs and WARNINGs name the files, under a data directory that differs from run to run.)

-- Partitions other tests made stay; this one drops its own at the end.
CREATE TEMP TABLE pw_before AS SELECT inhrelid FROM pg_inherits;
CREATE FUNCTION pg_temp.pw_new_parts(parent regclass) RETURNS SETOF name LANGUAGE sql
  AS $$ SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = parent AND i.inhrelid NOT IN (SELECT inhrelid FROM pw_before) ORDER BY 1 $$;

-- Files are written where the server may read them (its data directory).
CREATE FUNCTION pw_path(name text) RETURNS text LANGUAGE sql
  AS $$ SELECT current_setting('data_directory') || '/cl_pw_' || name $$;
CREATE FUNCTION pw_file(name text, lines text[]) RETURNS int LANGUAGE plpgsql
  AS $$ BEGIN EXECUTE format('COPY (SELECT unnest(%L::text[])) TO %L', lines, pw_path(name)); RETURN cardinality(lines); END $$;
CREATE FUNCTION pw_ctr(n int, initiated text) RETURNS text LANGUAGE sql
  AS $$ SELECT jsonb_build_object('ContactId', format('a1b2c3d4-1616-4000-8000-%s', lpad(n::text, 12, '0')),
                                  'InitiationTimestamp', initiated)::text $$;

-- ---------- the window ----------
-- By default: from 2000-01-01 to 10 years after the transaction's start.
SELECT pw_file('window.ndjson', ARRAY[
  pw_ctr(1, '2031-03-01T10:00:00Z'),
  pw_ctr(2, '1999-12-31T23:59:59Z'),                              -- before 2000
  pw_ctr(3, to_char(now() + interval '10 years 1 day', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),  -- too far ahead
  pw_ctr(4, '9999-12-01T00:00:00Z'),
  pw_ctr(5, '2000-01-01T00:00:00Z'),                              -- the first instant accepted
  pw_ctr(7, '2031-03-02T10:00:00Z')]) AS lines;
-- on_error 'stop': the first record outside fails the file, with where and why
SET client_min_messages = error;
SELECT files_loaded, files_failed, inserted, rejected, replace(error, current_setting('data_directory'), '$PGDATA') AS error
  FROM connect_lake.load('ctr', pw_path('window.ndjson'));
SET client_min_messages = warning;
SELECT status, records, replace(error, current_setting('data_directory'), '$PGDATA') AS error
  FROM connect_lake.load_manifest WHERE path = pw_path('window.ndjson');
-- on_error 'skip': each one goes to load_rejects with its reason, the rest lands
SELECT files_loaded, files_failed, records_read, inserted, rejected FROM connect_lake.load('ctr', pw_path('window.ndjson'), 'skip');
SELECT line, byte_offset > 0 AS has_offset, reason FROM connect_lake.load_rejects
 WHERE path = pw_path('window.ndjson') ORDER BY line;
SELECT right(contactid::text, 2) AS contact, initiationtimestamp FROM connect_lake.ctr_events
 WHERE contactid::text LIKE 'a1b2c3d4-1616-%' ORDER BY 1;
-- no partition was made for the refused months
SELECT pg_temp.pw_new_parts('connect_lake.ctr_events');
-- the settings, defined once the module is loaded: a superuser's (or a role granted SET on them)
SELECT name, setting, context FROM pg_settings
 WHERE name IN ('connect_lake.partition_min_year', 'connect_lake.partition_years_ahead', 'connect_lake.max_new_partitions')
 ORDER BY name;
-- ingest() refuses the record as an error of its call
SELECT connect_lake.ingest('ctr', pw_ctr(8, '1970-01-02T00:00:00Z')::jsonb);
SELECT connect_lake.ingest('contact_event', jsonb_build_object('id', 'pw-1', 'time', '2099-01-01T00:00:00Z',
  'detail', jsonb_build_object('eventType', 'QUEUED', 'contactId', 'a1b2c3d4-1616-4000-8000-000000000008')));
-- a DBA widens the window: the same record lands
SET connect_lake.partition_min_year = 1970;
SELECT connect_lake.ingest('ctr', pw_ctr(8, '1970-01-02T00:00:00Z')::jsonb);
RESET connect_lake.partition_min_year;
-- the settings are the DBA's: a loader may not change them
CREATE ROLE cl_pw_loader IN ROLE connect_lake_loader;
SET ROLE cl_pw_loader;
SET connect_lake.partition_min_year = 1;
SET connect_lake.max_new_partitions = 10000;
RESET ROLE;
DROP ROLE cl_pw_loader;

-- ---------- the cap ----------
-- 3,000 records in 3,000 distinct months (years 1751 to 2000) in one file,
-- with the window opened to them: the first 36 new months get a partition
-- (and the two months that had one take their rows), the
-- other records are rejected, the load completes (it used to exhaust the
-- shared lock table and roll back whole).
SET connect_lake.partition_min_year = 1;
SELECT pw_file('months.ndjson', ARRAY(
  SELECT pw_ctr(100 + g, to_char(timestamptz '2000-12-15 00:00Z' - make_interval(months => g), 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
    FROM generate_series(0, 2999) g)) AS lines;
SELECT files_loaded, records_read, inserted, rejected, error FROM connect_lake.load('ctr', pw_path('months.ndjson'), 'skip');
SELECT count(*) AS new_partitions FROM pg_temp.pw_new_parts('connect_lake.ctr_events');
SELECT reason, count(*) FROM connect_lake.load_rejects WHERE path = pw_path('months.ndjson') GROUP BY reason;
-- months that exist still take rows when the budget is spent
SET connect_lake.max_new_partitions = 0;
SELECT pw_file('existing.ndjson', ARRAY[pw_ctr(9, '2031-03-20T00:00:00Z'), pw_ctr(10, '2031-08-20T00:00:00Z')]) AS lines;
SELECT files_loaded, inserted, rejected FROM connect_lake.load('ctr', pw_path('existing.ndjson'), 'skip');
SELECT line, reason FROM connect_lake.load_rejects WHERE path = pw_path('existing.ndjson');
SELECT connect_lake.ingest('ctr', pw_ctr(11, '2031-09-20T00:00:00Z')::jsonb);
SELECT connect_lake.ingest('ctr', pw_ctr(12, '2031-03-21T00:00:00Z')::jsonb);
RESET connect_lake.max_new_partitions;
RESET connect_lake.partition_min_year;

-- ---------- names ----------
-- 4713 BC and AD 4713 are two months, two partitions (create_partition is
-- the DBA's and knows no window).
SELECT connect_lake.create_partition('connect_lake.agent_events', '4713-01-05 00:00Z BC') AS bc,
       connect_lake.create_partition('connect_lake.agent_events', '4713-01-05 00:00Z') AS ad;
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c
 WHERE c.relname IN (SELECT pg_temp.pw_new_parts('connect_lake.agent_events')) ORDER BY 1;

-- Clean up.
DELETE FROM connect_lake.ctr_events WHERE contactid::text LIKE 'a1b2c3d4-1616-%';
DO $$ DECLARE p regclass; BEGIN
  FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhrelid NOT IN (SELECT inhrelid FROM pw_before) LOOP
    EXECUTE format('DROP TABLE %s', p);
  END LOOP;
END $$;
DELETE FROM connect_lake.load_rejects WHERE path LIKE pw_path('%');
DELETE FROM connect_lake.load_manifest WHERE path LIKE pw_path('%');
DROP FUNCTION pw_ctr(int, text);
DROP FUNCTION pw_file(text, text[]);
DROP FUNCTION pw_path(text);
