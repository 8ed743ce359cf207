-- The case views at analysts' speed (issue #15): kept per-day counts of
-- case_state, so that the views that count cases per day, category or
-- complaint subject read a few hundred kept rows instead of every case.
--
-- case_day holds, per local day of creation in each time zone a view may
-- count in (every calendar's time zone, and Europe/London, lake_time_zone()'s
-- fallback), level 1 category, complaint flag and complaint subject, how many
-- cases of case_state fall there and how many of them are deleted, open,
-- resolved complaints, with the ombudsman, and their goodwill: sums only, so
-- any range of days adds up.  Triggers on case_state keep it (from the rows
-- each statement inserted, updated or deleted, whoever wrote them: load(),
-- ingest(), case_state_refresh(), erasure, retention, a restore); a change of
-- the case rules (case_status) or of the calendars' time zones makes it
-- anew.  It is not dumped: a restore fills it as case_state's rows come back.
-- On a lake distributed on Citus the triggers are dropped (Citus keeps
-- case_state on the workers), case_day and case_open are emptied and the
-- views count live.
--
-- case_open holds the open cases, narrow (id, creation, complaint flag):
-- open_case_backlog and overdue_cases read it, the due date (which depends
-- on now()) computed on read.
--
-- The views answer the same rows as the range functions they were (which
-- stay the live way, for any range and on Citus).

CREATE TABLE connect_lake.case_day (
  time_zone          text NOT NULL,
  day                date NOT NULL,
  level_1            text,
  is_complaint       boolean,
  complaint_subject  text,
  cases              bigint NOT NULL,
  deleted            bigint NOT NULL,
  open               bigint NOT NULL,
  resolved           bigint NOT NULL,
  ombudsman          bigint NOT NULL,
  goodwill_cases     bigint NOT NULL,
  goodwill           numeric NOT NULL,
  CONSTRAINT case_day_key UNIQUE NULLS NOT DISTINCT (time_zone, day, level_1, is_complaint, complaint_subject)
);
-- The groups whose cases all moved away, for the triggers to delete (none
-- between statements).
CREATE INDEX case_day_gone_idx ON connect_lake.case_day (time_zone) WHERE cases = 0;
COMMENT ON TABLE connect_lake.case_day IS
  'case_state counted per local day of creation (in every calendar''s time zone and Europe/London), level 1 category, complaint flag and subject: sums only, what the case views read. Kept by triggers on case_state; made anew when case_status or a calendar''s time zone changes (case_day_rebuild()). A group whose cases all moved away goes.';
COMMENT ON COLUMN connect_lake.case_day.time_zone IS 'The time zone of the local days (a calendar''s, or Europe/London).';
COMMENT ON COLUMN connect_lake.case_day.day IS 'Local day the cases were created (detail_case_createddatetime in time_zone).';
COMMENT ON COLUMN connect_lake.case_day.level_1 IS 'Level 1 category (NULL: not set).';
COMMENT ON COLUMN connect_lake.case_day.is_complaint IS 'Whether the cases are complaints (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_day.complaint_subject IS 'Complaint subject (NULL: not set).';
COMMENT ON COLUMN connect_lake.case_day.cases IS 'Cases of case_state (deleted ones included).';
COMMENT ON COLUMN connect_lake.case_day.deleted IS 'Of them, deleted (latest event CASE.DELETED).';
COMMENT ON COLUMN connect_lake.case_day.open IS 'Of them, open now (case_is_open()).';
COMMENT ON COLUMN connect_lake.case_day.resolved IS 'Of them, marked complaint_resolved.';
COMMENT ON COLUMN connect_lake.case_day.ombudsman IS 'Of them, referred to the ombudsman.';
COMMENT ON COLUMN connect_lake.case_day.goodwill_cases IS 'Of them, with a goodwill amount.';
COMMENT ON COLUMN connect_lake.case_day.goodwill IS 'Their goodwill amounts added up (0 without any).';

-- The open cases (case_is_open() of their latest event) with the columns
-- overdue_cases shows: what open_case_backlog and overdue_cases read (the
-- due date, which depends on now(), computed on read).  Kept by the same
-- triggers.
CREATE TABLE connect_lake.case_open (
  case_id              text PRIMARY KEY,
  account              bigint,
  status               text,
  title                text,
  level_1              text,
  is_complaint         boolean,
  assigned_agent_name  text,
  queue_name           text,
  created_at           timestamptz
);
COMMENT ON TABLE connect_lake.case_open IS
  'The open cases of case_state (case_is_open()), one row each with the columns overdue_cases shows: what open_case_backlog and overdue_cases read. Kept by triggers on case_state; made anew when case_status changes (case_day_rebuild()).';
COMMENT ON COLUMN connect_lake.case_open.case_id IS 'Case id (case_state.detail_case_caseid).';
COMMENT ON COLUMN connect_lake.case_open.account IS 'The customer''s account number.';
COMMENT ON COLUMN connect_lake.case_open.status IS 'Case status.';
COMMENT ON COLUMN connect_lake.case_open.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.case_open.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.case_open.is_complaint IS 'Whether the case is a complaint (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_open.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.case_open.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.case_open.created_at IS 'When the case was created.';

-- The time zones case_day counts in: those a view may use (lake_time_zone()).
CREATE FUNCTION connect_lake.case_day_zones() RETURNS SETOF text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT c.time_zone FROM connect_lake.calendar c UNION SELECT 'Europe/London'
  $fn$;
COMMENT ON FUNCTION connect_lake.case_day_zones() IS
  'The time zones connect_lake.case_day counts local days in: every calendar''s, and Europe/London (lake_time_zone() without a default calendar).';

-- The two statements that count cases into case_day and case_open, each
-- written once, over a source of case_state rows: the rebuild's (case_state
-- itself) and the triggers' (the rows a statement changed, which only the
-- trigger function's own statements can read).  case_day_sql()'s source has
-- a column sign (1: count in, -1: count out) before case_state's columns;
-- its statement takes the zones to count in as $1 (NULL: every zone) and
-- adds to the groups there (the triggers lock them in one order).
CREATE FUNCTION connect_lake.case_day_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT format($q$
  INSERT INTO connect_lake.case_day AS d
  SELECT z.tz, (r.detail_case_createddatetime AT TIME ZONE z.tz)::date, r.detail_case_fields_level_1,
         r.detail_case_fields_is_complaint, r.detail_case_fields_complaint_subject,
         sum(r.sign),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_event_type = 'CASE.DELETED'), 0),
         coalesce(sum(r.sign) FILTER (WHERE connect_lake.case_is_open(r.detail_event_type, r.detail_case_fields_status)), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_complaint_resolved), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_ombudsman_case), 0),
         coalesce(sum(r.sign) FILTER (WHERE r.detail_case_fields_complaint_goodwill_amount IS NOT NULL), 0),
         coalesce(sum(r.sign * r.detail_case_fields_complaint_goodwill_amount), 0)
    FROM (%s) r
   CROSS JOIN (SELECT z AS tz FROM connect_lake.case_day_zones() z WHERE $1 IS NULL OR z = ANY ($1)) z
   WHERE r.detail_case_createddatetime IS NOT NULL
   GROUP BY 1, 2, 3, 4, 5
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT ON CONSTRAINT case_day_key DO UPDATE
     SET cases = d.cases + excluded.cases, deleted = d.deleted + excluded.deleted, open = d.open + excluded.open,
         resolved = d.resolved + excluded.resolved, ombudsman = d.ombudsman + excluded.ombudsman,
         goodwill_cases = d.goodwill_cases + excluded.goodwill_cases,
         -- (without any amount left: 0, as a group counted anew has it, not 0.00)
         goodwill = CASE WHEN d.goodwill_cases + excluded.goodwill_cases = 0 THEN 0
                         ELSE d.goodwill + excluded.goodwill END$q$, source)
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_sql(text) IS
  'Internal: the statement that counts the case_state rows of source (a query with a column sign, 1 or -1, before case_state''s columns) into connect_lake.case_day, for the zones given as $1 (NULL: case_day_zones()); run by case_day_rebuild() and the triggers of case_state.';

CREATE FUNCTION connect_lake.case_open_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $fn$
  SELECT format($q$
  INSERT INTO connect_lake.case_open AS o
  SELECT n.detail_case_caseid, n.account, n.detail_case_fields_status, n.detail_case_fields_title,
         n.detail_case_fields_level_1, n.detail_case_fields_is_complaint, n.detail_case_fields_assigned_agent_name,
         n.detail_case_fields_queue_name, n.detail_case_createddatetime
    FROM (%s) n
   WHERE connect_lake.case_is_open(n.detail_event_type, n.detail_case_fields_status)
  ON CONFLICT (case_id) DO UPDATE
     SET (account, status, title, level_1, is_complaint, assigned_agent_name, queue_name, created_at)
       = (excluded.account, excluded.status, excluded.title, excluded.level_1, excluded.is_complaint,
          excluded.assigned_agent_name, excluded.queue_name, excluded.created_at)$q$, source)
$fn$;
COMMENT ON FUNCTION connect_lake.case_open_sql(text) IS
  'Internal: the statement that puts the open ones of the case_state rows of source into connect_lake.case_open; run by case_day_rebuild() and the triggers of case_state.';

-- Makes case_day anew from case_state (every zone, or the zones listed).
CREATE FUNCTION connect_lake.case_day_rebuild(zones text[] DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF zones IS NULL THEN
    DELETE FROM connect_lake.case_open;
    EXECUTE connect_lake.case_open_sql('SELECT * FROM connect_lake.case_state');
    DELETE FROM connect_lake.case_day;
  ELSE
    DELETE FROM connect_lake.case_day WHERE time_zone = ANY (zones);
  END IF;
  EXECUTE connect_lake.case_day_sql('SELECT 1 AS sign, s.* FROM connect_lake.case_state s') USING zones;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_rebuild(text[]) IS
  'Makes connect_lake.case_day anew from case_state, for every time zone (zones NULL: and case_open too) or the zones listed; returns the case_day rows written. Run by the triggers when the case rules or the calendars'' time zones change.';

-- The trigger of case_state (statement level, with the statement's rows as
-- transition tables): counts the rows a statement inserted into their
-- groups, moves those it updated from their old groups to their new ones,
-- takes those it deleted out, in every zone; a truncation empties both
-- tables.  Writers of case_day take one advisory lock first (to the end of
-- the transaction): an INSERT ... ON CONFLICT fires an insert and an update
-- trigger, each locking its groups, so that two loads of case events would
-- otherwise lock the same groups in different orders and deadlock.
-- Without JIT: its statements read one statement's rows, but the planner
-- sizes the zones from calendar, which is small and seldom analyzed (520
-- rows guessed for 3), so that a load() of 5,000 cases was costed at
-- 800,000 and spent 0.2 s of CPU compiling them (issue #15).
CREATE FUNCTION connect_lake.case_day_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM connect_lake.case_open;
    DELETE FROM connect_lake.case_day;
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM connect_lake.case_open o
     WHERE o.case_id = ANY (ARRAY(SELECT r.detail_case_caseid FROM old_rows r));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    EXECUTE connect_lake.case_open_sql('SELECT * FROM new_rows');
  END IF;
  EXECUTE connect_lake.case_day_sql(CASE TG_OP
            WHEN 'INSERT' THEN 'SELECT 1 AS sign, n.* FROM new_rows n'
            WHEN 'DELETE' THEN 'SELECT -1 AS sign, o.* FROM old_rows o'
            ELSE 'SELECT 1 AS sign, n.* FROM new_rows n UNION ALL SELECT -1 AS sign, o.* FROM old_rows o' END)
    USING NULL::text[];
  -- a group whose cases all moved away goes (as case_day_rebuild() has it;
  -- found through case_day_gone_idx, whatever the table's size)
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM connect_lake.case_day d WHERE d.cases = 0;
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_changed() IS
  'Trigger of case_state (case_day_inserted, _updated, _deleted, _truncated): counts the rows a statement inserted, updated or deleted in and out of connect_lake.case_day and case_open; a truncation empties them.';

-- The case rules changed (after case_status_changed recompiled them):
-- which cases are open, anew.
-- A calendar's time zone changed: the zones no longer used go, new ones
-- are counted.
CREATE FUNCTION connect_lake.case_day_config_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  IF TG_TABLE_NAME = 'case_status' THEN
    PERFORM connect_lake.case_day_rebuild();
  ELSE
    DELETE FROM connect_lake.case_day
     WHERE time_zone NOT IN (SELECT z FROM connect_lake.case_day_zones() z);
    PERFORM connect_lake.case_day_rebuild(ARRAY(
      SELECT z FROM connect_lake.case_day_zones() z
       WHERE NOT EXISTS (SELECT FROM connect_lake.case_day d WHERE d.time_zone = z)));
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_config_changed() IS
  'Trigger of case_status and calendar: makes connect_lake.case_day anew when the case rules change, counts a calendar''s new time zone and drops the zones no longer used.';

-- The triggers that keep case_day, on (made) or off (dropped: on a lake
-- distributed on Citus, where case_state lives on the workers; distribute()
-- and undistribute() turn them off and on).  Turning them on makes case_day
-- anew.
CREATE FUNCTION connect_lake.case_day_keep(keep boolean) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  t record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('connect_lake.case_day'));
  FOR t IN SELECT g.tgname, g.tgrelid::regclass AS rel FROM pg_trigger g
             WHERE (g.tgrelid = 'connect_lake.case_state'::regclass
                    AND g.tgname IN ('case_day_inserted', 'case_day_updated', 'case_day_deleted', 'case_day_truncated'))
                OR (g.tgrelid = 'connect_lake.case_status'::regclass AND g.tgname = 'case_status_rollup')
                OR (g.tgrelid = 'connect_lake.calendar'::regclass AND g.tgname = 'calendar_rollup')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.rel);
  END LOOP;
  IF keep THEN
    CREATE TRIGGER case_day_inserted AFTER INSERT ON connect_lake.case_state
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_updated AFTER UPDATE ON connect_lake.case_state
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_deleted AFTER DELETE ON connect_lake.case_state
      REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    CREATE TRIGGER case_day_truncated AFTER TRUNCATE ON connect_lake.case_state
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_changed();
    -- (after case_status_changed, which recompiles the rule: a table's
    -- triggers fire in name order)
    CREATE TRIGGER case_status_rollup AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.case_status
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_config_changed();
    CREATE TRIGGER calendar_rollup AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.calendar
      FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.case_day_config_changed();
    PERFORM connect_lake.case_day_rebuild();
  ELSE
    DELETE FROM connect_lake.case_open;
    DELETE FROM connect_lake.case_day;
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_day_keep(boolean) IS
  'Turns the upkeep of connect_lake.case_day on (makes its triggers on case_state, case_status and calendar, and the table anew) or off (drops them, empties it): off on a lake distributed on Citus (distribute() and undistribute() call it).';
SELECT connect_lake.case_day_keep(true);

-- ---- The views, from case_day (on Citus: the range functions, live).
-- Same columns, rows and order as the range functions over the views'
-- ranges; a day filter on the view reaches case_day's key.
CREATE OR REPLACE VIEW connect_lake.case_volume_daily AS
  SELECT * FROM (
    SELECT d.day, sum(d.cases)::bigint AS cases_created, sum(d.deleted)::bigint AS deleted,
           coalesce(sum(d.cases) FILTER (WHERE d.is_complaint), 0)::bigint AS complaints,
           sum(d.open)::bigint AS still_open
      FROM connect_lake.case_day d
     WHERE d.time_zone = connect_lake.lake_time_zone() AND NOT connect_lake.is_distributed()
     GROUP BY d.day HAVING sum(d.cases) > 0
     ORDER BY d.day) k
  UNION ALL
  SELECT * FROM connect_lake.case_volume_daily('-infinity', 'infinity') WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.complaints_daily AS
  SELECT * FROM (
    SELECT d.day, sum(d.cases)::bigint AS complaints, sum(d.open)::bigint AS open_complaints,
           sum(d.resolved)::bigint AS resolved, sum(d.ombudsman)::bigint AS ombudsman
      FROM connect_lake.case_day d
     WHERE d.time_zone = connect_lake.lake_time_zone() AND d.is_complaint AND NOT connect_lake.is_distributed()
     GROUP BY d.day HAVING sum(d.cases) > 0
     ORDER BY d.day) k
  UNION ALL
  SELECT * FROM connect_lake.complaints_daily('-infinity', 'infinity') WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.complaints_by_subject AS
  SELECT * FROM (
    SELECT d.complaint_subject, sum(d.cases)::bigint AS complaints, sum(d.open)::bigint AS open_complaints,
           CASE WHEN sum(d.goodwill_cases) > 0 THEN sum(d.goodwill) ELSE 0 END AS goodwill_total
      FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
      JOIN connect_lake.case_day d
        ON d.time_zone = z.tz
       AND d.day BETWEEN (now() AT TIME ZONE z.tz)::date - 89 AND (now() AT TIME ZONE z.tz)::date
     WHERE d.is_complaint AND NOT connect_lake.is_distributed()
     GROUP BY d.complaint_subject HAVING sum(d.cases) > 0
     ORDER BY 2 DESC, 1) k
  UNION ALL
  SELECT * FROM connect_lake.complaints_by_subject(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 89,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date)
   WHERE connect_lake.is_distributed();

CREATE OR REPLACE VIEW connect_lake.cases_by_category AS
  SELECT * FROM (
    SELECT d.level_1, sum(d.cases)::bigint AS cases, sum(d.open)::bigint AS open_cases,
           coalesce(sum(d.cases) FILTER (WHERE d.is_complaint), 0)::bigint AS complaints
      FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
      JOIN connect_lake.case_day d
        ON d.time_zone = z.tz
       AND d.day BETWEEN (now() AT TIME ZONE z.tz)::date - 29 AND (now() AT TIME ZONE z.tz)::date
     WHERE NOT connect_lake.is_distributed()
     GROUP BY d.level_1 HAVING sum(d.cases) > 0
     ORDER BY 2 DESC, 1) k
  UNION ALL
  SELECT * FROM connect_lake.cases_by_category(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 29,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date)
   WHERE connect_lake.is_distributed();

-- The open cases from case_open (on Citus: case_state's open-case index);
-- within the open cases, overdue is past the due date (case_is_overdue()
-- less its open test).  Each branch is gated inside (its scan skipped) and
-- outside (its one aggregate row dropped).
CREATE OR REPLACE VIEW connect_lake.open_case_backlog AS
  SELECT * FROM (
    SELECT count(*) AS open_cases,
           count(*) FILTER (WHERE now() > connect_lake.case_due_date(o.created_at)) AS overdue_cases,
           count(*) FILTER (WHERE o.is_complaint) AS open_complaints,
           now() AS as_of
      FROM connect_lake.case_open o
     WHERE NOT connect_lake.is_distributed()) k
   WHERE NOT connect_lake.is_distributed()
  UNION ALL
  SELECT * FROM (
    SELECT count(*), count(*) FILTER (WHERE now() > connect_lake.case_due_date(s.detail_case_createddatetime)),
           count(*) FILTER (WHERE s.detail_case_fields_is_complaint), now()
      FROM connect_lake.case_state s
     WHERE connect_lake.case_is_open(s.detail_event_type, s.detail_case_fields_status)
       AND connect_lake.is_distributed()) l
   WHERE connect_lake.is_distributed();

-- The overdue cases from case_open.
CREATE OR REPLACE VIEW connect_lake.overdue_cases AS
  SELECT * FROM (
    SELECT o.case_id, o.account, o.status, o.title, o.level_1, o.is_complaint, o.assigned_agent_name,
           o.queue_name, o.created_at, connect_lake.case_due_date(o.created_at) AS due_date,
           connect_lake.working_days_between(o.created_at, now()) AS working_days_open
      FROM connect_lake.case_open o
     WHERE now() > connect_lake.case_due_date(o.created_at) AND NOT connect_lake.is_distributed()
     ORDER BY o.created_at, o.case_id) k
  UNION ALL
  SELECT * FROM connect_lake.overdue_cases('-infinity', 'infinity') WHERE connect_lake.is_distributed();

GRANT SELECT ON connect_lake.case_day, connect_lake.case_open TO connect_lake_reader, connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_day_rebuild(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_day_sql(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_open_sql(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_day_keep(boolean) FROM PUBLIC;
