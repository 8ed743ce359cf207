-- Retention: how long the lake keeps each table's rows, and apply_retention()
-- which drops what is past that.
--
-- The DBA says per table how long to keep (connect_lake.retention; no row:
-- keep everything, the default).  apply_retention() drops the fact tables'
-- monthly partitions that lie wholly before the horizon (now() - keep): never
-- a partial month, never a row newer than the horizon.  Tables that describe
-- one contact or case (contact_metric, contact_repeat, contact_account,
-- contact_flow_path, case_state) follow their fact table: their rows before
-- the first month kept go with it.  Rollups (sums and counts per interval or
-- day) are kept unless given a retention of their own, so that a lake keeping
-- Connect's 24 months of contacts still answers its metrics for older months.
-- The load manifest and the rejects of a kind are pruned once every table of
-- the kind has a retention: see apply_retention().

-- The tables retention applies to, and how.  Profiles (customer_profile_events
-- and customer_profile) add their rows to the two lists below.
CREATE VIEW connect_lake.retention_tables AS
  SELECT t.table_name, t.method, t.time_column, t.follows, t.kind
    FROM (VALUES
      ('ctr_events'::name,              'partitions'::text, 'initiationtimestamp'::name,          NULL::name,                 'ctr'::text),
      ('contact_flow_log',              'partitions',       'timestamp',                          NULL,                       'contact_flow_log'),
      ('contact_events',                'partitions',       'time',                               NULL,                       'contact_event'),
      ('case_events',                   'partitions',       'detail_approximatechangetime',       NULL,                       'case_event'),
      ('case_related_items',            'partitions',       'detail_approximatechangetime',       NULL,                       'case_event'),
      ('agent_events',                  'partitions',       'eventtimestamp',                     NULL,                       'agent_event'),
      ('customer_profile_events',       'partitions',       'eventtimestamp',                     NULL,                       'customer_profile_event'),
      -- one row per contact or case: goes with its fact table
      ('contact_metric',                'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_repeat',                'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_account',               'follows',          'initiationtimestamp',                'ctr_events',               NULL),
      ('contact_flow_path',             'follows',          'last_block_at',                      'contact_flow_log',         NULL),
      ('case_state',                    'follows',          'detail_approximatechangetime',       'case_events',              NULL),
      ('customer_profile',              'follows',          'last_event',                         'customer_profile_events',  NULL),
      ('customer_profile_history',      'follows',          'eventtimestamp',                     'customer_profile_events',  NULL),
      -- rollups: sums and counts, kept unless given a retention of their own
      ('metric_queue_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_agent_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_queue_threshold',        'rows',             'interval_start',                     NULL,                       NULL),
      ('metric_queue_day',              'rows',             'day',                                NULL,                       NULL),
      ('metric_queue_threshold_day',    'rows',             'day',                                NULL,                       NULL),
      ('agent_activity_interval',       'rows',             'interval_start',                     NULL,                       NULL),
      ('agent_status_interval',         'rows',             'interval_start',                     NULL,                       NULL),
      ('flow_block_day',                'rows',             'day',                                NULL,                       NULL),
      ('flow_entry_day',                'rows',             'day',                                NULL,                       NULL)
    ) AS t(table_name, method, time_column, follows, kind);
COMMENT ON VIEW connect_lake.retention_tables IS
  'The tables apply_retention() applies to and how: partitions (a fact table: its monthly partitions past the horizon are dropped), follows (one row per contact or case: rows before the first month its fact table keeps are deleted with it), rows (a rollup: rows of whole months past its own horizon are deleted; kept for ever without a retention row).';
COMMENT ON COLUMN connect_lake.retention_tables.table_name IS 'A table of schema connect_lake.';
COMMENT ON COLUMN connect_lake.retention_tables.method IS 'partitions, follows or rows (see the view''s comment).';
COMMENT ON COLUMN connect_lake.retention_tables.time_column IS 'The time the horizon is compared with (the partition key of a fact table).';
COMMENT ON COLUMN connect_lake.retention_tables.follows IS 'For method follows: the fact table whose retention applies.';
COMMENT ON COLUMN connect_lake.retention_tables.kind IS 'For a fact table: the record kind that lands in it (load_manifest.kind, load_rejects.kind).';

CREATE TABLE connect_lake.retention (
  table_name  name PRIMARY KEY,
  keep        interval NOT NULL CHECK (keep >= interval '1 day'),
  note        text
);
COMMENT ON TABLE connect_lake.retention IS
  'How long the lake keeps each table''s rows (the DBA''s; no row: keep everything, the default). Connect keeps contact records 24 months: INSERT INTO connect_lake.retention (table_name, keep) SELECT table_name, ''24 months'' FROM connect_lake.retention_tables WHERE method = ''partitions''. Applied by apply_retention().';
COMMENT ON COLUMN connect_lake.retention.table_name IS 'A fact table or rollup of retention_tables (method partitions or rows; the tables that follow a fact table take its retention).';
COMMENT ON COLUMN connect_lake.retention.keep IS 'How long to keep: rows older than now() - keep (the horizon) go, by whole UTC months, never a month holding a row newer than the horizon; at least 1 day.';
COMMENT ON COLUMN connect_lake.retention.note IS 'Why (free text).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.retention', '');

CREATE FUNCTION connect_lake.retention_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM connect_lake.retention_tables t
                  WHERE t.table_name = NEW.table_name AND t.method IN ('partitions', 'rows')) THEN
    RAISE EXCEPTION 'table "%" has no retention of its own', NEW.table_name
      USING ERRCODE = 'invalid_parameter_value',
            HINT = (SELECT 'Give a retention to one of: ' || string_agg(table_name, ', ' ORDER BY table_name)
                           || coalesce('; ' || NEW.table_name || ' follows '
                                       || (SELECT follows FROM connect_lake.retention_tables
                                            WHERE table_name = NEW.table_name), '') || '.'
                      FROM connect_lake.retention_tables WHERE method IN ('partitions', 'rows'));
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION connect_lake.retention_check() IS
  'Trigger of connect_lake.retention: refuses a table that has no retention of its own (not a fact table or rollup of retention_tables), so that a typo never makes apply_retention() fail later.';
CREATE TRIGGER retention_check BEFORE INSERT OR UPDATE ON connect_lake.retention
  FOR EACH ROW EXECUTE FUNCTION connect_lake.retention_check();

-- The bounds of a partition, from its FOR VALUES clause (NULL for a DEFAULT
-- partition or anything that is not FROM (ts) TO (ts)).
CREATE FUNCTION connect_lake.retention_partitions(parent regclass)
RETURNS TABLE (partition regclass, range_from timestamptz, range_to timestamptz)
LANGUAGE sql
STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.oid::regclass, b.m[1]::timestamptz, b.m[2]::timestamptz
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                            '^FOR VALUES FROM \(''([^'']*)''\) TO \(''([^'']*)''\)$') AS m) b
   WHERE i.inhparent = parent AND b.m IS NOT NULL
$fn$;
COMMENT ON FUNCTION connect_lake.retention_partitions(regclass) IS
  'The partitions of a lake fact table with their time range (partitions bounded FROM a timestamp TO a timestamp; a DEFAULT partition is never listed, so never dropped).';

CREATE FUNCTION connect_lake.apply_retention(
    dry_run boolean DEFAULT false,
    as_of   timestamptz DEFAULT now())
RETURNS TABLE (table_name name, action text, object text,
               range_from timestamptz, range_to timestamptz, rows bigint)
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t        record;
  p        record;
  horizon  timestamptz;
  cutoff   timestamptz;       -- first instant kept: the horizon's UTC month
  n        bigint;
  khorizon timestamptz;
  paths    text[];
  tables   name[];
  cond     text;
  dropped  oid[] := '{}';     -- the partitions dropped (or, in a dry run, that would be)
BEGIN
  IF NOT isfinite(as_of) THEN
    RAISE EXCEPTION 'apply_retention: as_of must be a finite time, not %', as_of
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- one at a time (a second call waits, then finds nothing left to do)
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.apply_retention'));

  -- 1. Fact tables: drop the partitions wholly before the horizon.
  FOR t IN
    SELECT r.table_name AS rel, r.keep, rt.time_column
      FROM connect_lake.retention r
      JOIN connect_lake.retention_tables rt ON rt.table_name = r.table_name AND rt.method = 'partitions'
     WHERE to_regclass(format('connect_lake.%I', r.table_name)) IS NOT NULL
     ORDER BY r.table_name
  LOOP
    horizon := as_of - t.keep;
    FOR p IN
      SELECT rp.partition, rp.range_from, rp.range_to
        FROM connect_lake.retention_partitions(format('connect_lake.%I', t.rel)::regclass) rp
       WHERE rp.range_to <= horizon
       ORDER BY rp.range_from
    LOOP
      EXECUTE format('SELECT count(*) FROM %s', p.partition) INTO n;
      object := p.partition::text;
      dropped := dropped || p.partition::oid;
      IF NOT dry_run THEN
        EXECUTE format('DROP TABLE %s', p.partition);
      END IF;
      table_name := t.rel; action := 'drop partition';
      range_from := p.range_from; range_to := p.range_to; rows := n;
      RETURN NEXT;
    END LOOP;
  END LOOP;

  -- 2. Tables that follow a fact table, and rollups with a retention of their
  --    own: delete the rows before the horizon's month.
  FOR t IN
    SELECT rt.table_name AS rel, rt.time_column, rt.method, r.keep
      FROM connect_lake.retention_tables rt
      JOIN connect_lake.retention r ON r.table_name = coalesce(rt.follows, rt.table_name)
     WHERE rt.method IN ('follows', 'rows')
       AND to_regclass(format('connect_lake.%I', rt.table_name)) IS NOT NULL
     ORDER BY rt.method, rt.table_name
  LOOP
    horizon := as_of - t.keep;
    cutoff := date_trunc('month', horizon AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    IF (SELECT atttypid FROM pg_attribute
         WHERE attrelid = format('connect_lake.%I', t.rel)::regclass AND attname = t.time_column) = 'date'::regtype THEN
      cond := format('%I < %L::date', t.time_column, (cutoff AT TIME ZONE 'UTC')::date);
    ELSE
      cond := format('%I < %L::timestamptz', t.time_column, cutoff);
    END IF;
    IF dry_run THEN
      EXECUTE format('SELECT count(*) FROM connect_lake.%I WHERE %s', t.rel, cond) INTO n;
    ELSE
      EXECUTE format('DELETE FROM connect_lake.%I WHERE %s', t.rel, cond);
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF n > 0 THEN
      table_name := t.rel; action := 'delete rows'; object := format('connect_lake.%I', t.rel);
      range_from := NULL; range_to := cutoff; rows := n;
      RETURN NEXT;
    END IF;
  END LOOP;

  -- 3. The manifest and the rejects of a kind whose every table has a
  --    retention; khorizon is the earliest of their horizons.  A file's
  --    manifest row goes once it was last loaded before that horizon, no row
  --    of the kind's tables comes from it any more, and the file is gone from
  --    disk: while it is still there its row stays, so that load() does not
  --    land it again.  A reject goes once it is older than that horizon.
  FOR t IN
    SELECT rt.kind, array_agg(rt.table_name ORDER BY rt.table_name) AS tabs,
           max(r.keep) AS keep, bool_and(r.keep IS NOT NULL) AS every
      FROM connect_lake.retention_tables rt
      LEFT JOIN connect_lake.retention r ON r.table_name = rt.table_name
     WHERE rt.method = 'partitions'
     GROUP BY rt.kind
     ORDER BY rt.kind
  LOOP
    CONTINUE WHEN NOT t.every;
    khorizon := as_of - t.keep;
    tables := t.tabs;
    SELECT array_agg(m.path ORDER BY m.path) INTO paths
      FROM connect_lake.load_manifest m
     WHERE m.kind = t.kind AND m.loaded_at < khorizon
       AND pg_stat_file(m.path, true) IS NULL;
    IF paths IS NOT NULL THEN
      -- drop from the candidates every file a row still comes from (one scan
      -- of each of the kind's tables, over the months kept)
      FOR n IN 1 .. array_length(tables, 1) LOOP
        CONTINUE WHEN to_regclass(format('connect_lake.%I', tables[n])) IS NULL;
        EXECUTE format('SELECT array_agg(p) FROM unnest($1) p
                         WHERE NOT EXISTS (SELECT 1 FROM connect_lake.%I x
                                            WHERE x.source_file = p AND x.tableoid <> ALL ($2))',
                       tables[n])
          INTO paths USING paths, dropped;
        EXIT WHEN paths IS NULL;
      END LOOP;
    END IF;
    n := coalesce(array_length(paths, 1), 0);
    IF n > 0 AND NOT dry_run THEN
      DELETE FROM connect_lake.load_manifest m WHERE m.kind = t.kind AND m.path = ANY (paths);
    END IF;
    IF n > 0 THEN
      table_name := 'load_manifest'; action := 'prune manifest'; object := t.kind;
      range_from := NULL; range_to := khorizon; rows := n;
      RETURN NEXT;
    END IF;
    IF dry_run THEN
      SELECT count(*) INTO n FROM connect_lake.load_rejects j
       WHERE j.kind = t.kind AND j.rejected_at < khorizon;
    ELSE
      DELETE FROM connect_lake.load_rejects j WHERE j.kind = t.kind AND j.rejected_at < khorizon;
      GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    IF n > 0 THEN
      table_name := 'load_rejects'; action := 'prune rejects'; object := t.kind;
      range_from := NULL; range_to := khorizon; rows := n;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.apply_retention(boolean, timestamptz) IS
  'Applies connect_lake.retention as of as_of (default now()): drops the monthly partitions of each fact table that lie wholly before its horizon (as_of - keep; never a partial month, never a row newer than the horizon), deletes the rows of the tables that follow it (contact_metric, contact_repeat, contact_account from ctr_events; contact_flow_path from contact_flow_log; case_state from case_events) before the horizon''s UTC month, and of each rollup with a retention of its own; prunes the load manifest (files last loaded before the horizon, gone from disk, no row left from them) and the rejects older than the horizon of a kind whose every table has a retention. Returns one row per partition dropped and per table pruned, with the rows; dry_run reports without changing anything. DBA only (SECURITY DEFINER, not granted).';

-- Scheduled loads and retention with pg_cron.  The lake does not need
-- pg_cron: these functions reach it through dynamic SQL, and say how to set
-- it up when it is missing (shared_preload_libraries = 'pg_cron',
-- cron.database_name naming the lake's database, CREATE EXTENSION pg_cron).
-- A job runs as the role that scheduled it, in the lake's database.

CREATE FUNCTION connect_lake.cron_check(caller text) RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    RAISE EXCEPTION '%: pg_cron is not installed in database "%"', caller, current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('Install pg_cron (Debian: postgresql-15-cron), set shared_preload_libraries = ''pg_cron'' and cron.database_name = %L in postgresql.conf, restart, then CREATE EXTENSION pg_cron in this database.',
                          current_database());
  END IF;
  IF NOT has_schema_privilege('cron', 'USAGE') THEN
    RAISE EXCEPTION '%: role "%" may not use pg_cron', caller, current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = format('A superuser grants it: GRANT USAGE ON SCHEMA cron TO %I.', current_user);
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.cron_check(text) IS
  'Raises an error with the set-up as hint when pg_cron is not installed in this database or the caller may not use it (used by the scheduling functions).';

CREATE FUNCTION connect_lake.schedule_load(
    kind     text,
    path     text,
    schedule text DEFAULT '*/5 * * * *',
    job_name text DEFAULT NULL,
    on_error text DEFAULT 'skip')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  job bigint;
BEGIN
  PERFORM connect_lake.cron_check('schedule_load');
  IF kind IS NULL OR path IS NULL OR schedule IS NULL OR on_error IS NULL THEN
    RAISE EXCEPTION 'schedule_load: kind, path, schedule and on_error must not be NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM connect_lake.kind_rowtype(kind);          -- an unknown kind: its error names the kinds
  IF left(path, 1) <> '/' THEN
    RAISE EXCEPTION 'schedule_load: path must be absolute: "%"', path
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF on_error NOT IN ('stop', 'skip') THEN
    RAISE EXCEPTION 'schedule_load: on_error must be stop or skip, not "%"', on_error
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT has_function_privilege('connect_lake.load(text, text, text, text, text, integer)', 'EXECUTE')
     OR NOT (pg_has_role('pg_read_server_files', 'USAGE')
             OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) THEN
    RAISE EXCEPTION 'schedule_load: role "%" may not load files, so its job would fail at every run', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The job runs as the role that schedules it: schedule as a member of connect_lake_loader and pg_read_server_files.';
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)'
     INTO job
    USING coalesce(job_name, 'connect_lake load ' || kind), schedule,
          format('SELECT * FROM connect_lake.load(%L, %L, on_error => %L)', kind, path, on_error);
  RETURN job;
END
$fn$;
COMMENT ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) IS
  'Schedules load(kind, path, on_error) as a pg_cron job (cron schedule text, default every 5 minutes; job name default "connect_lake load <kind>"; the same name again replaces the job) running as the caller in this database; each run lands only the files not loaded yet. Returns the job id. Needs pg_cron in this database and a caller who may load (connect_lake_loader and pg_read_server_files).';

CREATE FUNCTION connect_lake.schedule_retention(
    schedule text DEFAULT '30 3 * * *',
    job_name text DEFAULT 'connect_lake retention')
RETURNS bigint
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  job bigint;
BEGIN
  PERFORM connect_lake.cron_check('schedule_retention');
  IF NOT has_function_privilege('connect_lake.apply_retention(boolean, timestamptz)', 'EXECUTE') THEN
    RAISE EXCEPTION 'schedule_retention: role "%" may not run apply_retention(), so its job would fail at every run', current_user
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'The job runs as the role that schedules it: schedule as the DBA.';
  END IF;
  EXECUTE 'SELECT cron.schedule($1, $2, $3)'
     INTO job
    USING job_name, schedule, 'SELECT * FROM connect_lake.apply_retention()';
  RETURN job;
END
$fn$;
COMMENT ON FUNCTION connect_lake.schedule_retention(text, text) IS
  'Schedules apply_retention() as a pg_cron job (default daily at 03:30 in pg_cron''s time zone, GMT) running as the caller; returns the job id. Needs pg_cron in this database.';

CREATE FUNCTION connect_lake.unschedule(job_name text)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  found boolean;
BEGIN
  PERFORM connect_lake.cron_check('unschedule');
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname = $1 AND j.username = current_user
                            AND j.command LIKE ''SELECT * FROM connect_lake.%'')'
     INTO found USING job_name;
  IF found THEN
    EXECUTE 'SELECT cron.unschedule($1)' USING job_name;
  END IF;
  RETURN found;
END
$fn$;
COMMENT ON FUNCTION connect_lake.unschedule(text) IS
  'Removes one of the caller''s lake jobs (made by schedule_load() or schedule_retention()) by name; false when there is none of that name.';

CREATE FUNCTION connect_lake.scheduled_jobs()
RETURNS TABLE (jobid bigint, job_name text, schedule text, command text, database text, username text,
               active boolean, last_start timestamptz, last_end timestamptz, last_status text,
               last_message text, runs bigint, failures bigint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE
    'SELECT j.jobid, j.jobname::text, j.schedule::text, j.command::text, j.database::text, j.username::text,
            j.active, l.start_time, l.end_time, l.status::text, l.return_message::text, s.runs, s.failures
       FROM cron.job j
       LEFT JOIN LATERAL (SELECT d.start_time, d.end_time, d.status, d.return_message
                            FROM cron.job_run_details d WHERE d.jobid = j.jobid
                           ORDER BY d.runid DESC LIMIT 1) l ON true
       LEFT JOIN LATERAL (SELECT count(*) AS runs, count(*) FILTER (WHERE d.status = ''failed'') AS failures
                            FROM cron.job_run_details d WHERE d.jobid = j.jobid) s ON true
      WHERE j.command LIKE ''SELECT * FROM connect_lake.%''
      ORDER BY j.jobname, j.jobid';
END
$fn$;
COMMENT ON FUNCTION connect_lake.scheduled_jobs() IS
  'The lake''s pg_cron jobs the caller may see (pg_cron shows each role its own) with their last run; no rows when pg_cron is not installed in this database.';

CREATE VIEW connect_lake.scheduled_jobs AS
  SELECT * FROM connect_lake.scheduled_jobs();
COMMENT ON VIEW connect_lake.scheduled_jobs IS
  'The lake''s schedule: its pg_cron jobs (scheduled loads, retention) the caller may see, with the last run''s start, end, status and message, and the runs and failures pg_cron keeps (cron.job_run_details); empty without pg_cron.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.jobid IS 'pg_cron''s job id.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.job_name IS 'The job''s name (unschedule() takes it).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.schedule IS 'Cron schedule text, e.g. */5 * * * * (pg_cron''s time zone is GMT).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.command IS 'The statement the job runs.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.database IS 'The database it runs in.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.username IS 'The role it runs as (who scheduled it).';
COMMENT ON COLUMN connect_lake.scheduled_jobs.active IS 'Whether pg_cron runs it.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_start IS 'When the last run started.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_end IS 'When the last run ended.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_status IS 'The last run''s status: starting, running, succeeded, failed.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.last_message IS 'The last run''s message: the command tag, or the error.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.runs IS 'Runs pg_cron keeps a record of.';
COMMENT ON COLUMN connect_lake.scheduled_jobs.failures IS 'Of those, the failed ones.';
