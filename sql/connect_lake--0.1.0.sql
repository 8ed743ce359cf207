-- connect_lake 0.1.0: the released install script, kept as it shipped so that
-- CREATE EXTENSION connect_lake VERSION '0.1.0' (and the upgrade test) still work.  Do not edit.
\echo Use "CREATE EXTENSION connect_lake" to load this file. \quit

-- ==== sql/install/00_schema.sql
-- Schema-wide objects: roles and on-demand monthly partitions.
--
-- Every fact table of the lake is range-partitioned by month on its event
-- time.  The install script creates no partitions: the code that writes rows
-- (ingest(), load()) creates the month it needs through create_partition(),
-- so any date loads.  A DBA who inserts rows by hand calls
-- ensure_partitions() for the range first.
--
-- Keys and indexes live on the partitions, not on the partitioned parents
-- (pg_partman's template approach): the parents belong to the extension, and
-- a parent index would make pg_restore's ATTACH PARTITION build partition
-- indexes that the dump then creates a second time.  Every unique key
-- includes the partition key, so a key unique in each partition is unique in
-- the table; upserts name the partition (create_partition() returns it).

COMMENT ON SCHEMA connect_lake IS
  'Amazon Connect contact-centre data lake: contact trace records, contact flow logs, contact, case and agent events, dimensions and the working-day calendar.';

-- Roles are cluster-wide: create them once, whichever database installs first.
DO $roles$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_reader') THEN
    CREATE ROLE connect_lake_reader NOLOGIN;
    COMMENT ON ROLE connect_lake_reader IS 'connect_lake: may read every table and view analysts need.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'connect_lake_loader') THEN
    CREATE ROLE connect_lake_loader NOLOGIN;
    COMMENT ON ROLE connect_lake_loader IS 'connect_lake: may write records into the lake (ingest(); load() also needs pg_read_server_files).';
  END IF;
END
$roles$;

CREATE TABLE connect_lake.fact_table (
  relname      name PRIMARY KEY,
  key_columns  name[] NOT NULL,
  key_kind     text NOT NULL DEFAULT 'PRIMARY KEY'
               CHECK (key_kind IN ('PRIMARY KEY', 'UNIQUE NULLS NOT DISTINCT')),
  indexes      text[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE connect_lake.fact_table IS
  'The lake''s partitioned fact tables: the unique key and indexes create_partition() gives each monthly partition.';
COMMENT ON COLUMN connect_lake.fact_table.relname IS 'A partitioned table in schema connect_lake.';
COMMENT ON COLUMN connect_lake.fact_table.key_columns IS 'Columns of the unique key: the entity id first, the partition key included.';
COMMENT ON COLUMN connect_lake.fact_table.key_kind IS 'PRIMARY KEY, or UNIQUE NULLS NOT DISTINCT when a key column may be NULL.';
COMMENT ON COLUMN connect_lake.fact_table.indexes IS 'Further indexes of each partition, as the text after CREATE INDEX ON <partition>, e.g. (agent_id, initiationtimestamp).';

-- The month partition of a lake table holding ts; created when missing.
-- SECURITY DEFINER so that a loader who does not own the lake's tables can
-- still add a month; restricted to the lake's own partitioned tables.
CREATE FUNCTION connect_lake.create_partition(parent regclass, ts timestamptz)
RETURNS regclass
LANGUAGE plpgsql
VOLATILE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  relname  name;
  month    timestamp;
  part     text;
  existing regclass;
  fact     connect_lake.fact_table;
  idx      text;
BEGIN
  SELECT f.* INTO fact
    FROM pg_class c
    JOIN connect_lake.fact_table f ON f.relname = c.relname
   WHERE c.oid = parent AND c.relkind = 'p'
     AND c.relnamespace = 'connect_lake'::regnamespace;
  relname := fact.relname;
  IF relname IS NULL THEN
    RAISE EXCEPTION 'relation "%" is not a partitioned table of the lake', parent
      USING ERRCODE = 'wrong_object_type',
            HINT = 'Partitions are created only for connect_lake''s own fact tables.';
  END IF;
  IF NOT isfinite(ts) THEN
    RAISE EXCEPTION 'cannot create a partition of "%" for timestamp %', relname, ts
      USING ERRCODE = 'datetime_field_overflow';
  END IF;

  month := date_trunc('month', ts AT TIME ZONE 'UTC');
  part  := format('%s_p%s', relname, to_char(month, 'YYYYMM'));
  existing := to_regclass(format('connect_lake.%I', part));
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  -- Serialise concurrent writers that need the same month, then look again:
  -- in the catalog itself (to_regclass may answer from this session's cache,
  -- which has not seen a partition committed while we waited).
  PERFORM pg_advisory_xact_lock(parent::oid::bigint);
  SELECT c.oid::regclass INTO existing FROM pg_class c
   WHERE c.relname = part AND c.relnamespace = 'connect_lake'::regnamespace;
  IF existing IS NOT NULL THEN
    RETURN existing;
  END IF;

  EXECUTE format(
    'CREATE TABLE connect_lake.%I PARTITION OF connect_lake.%I FOR VALUES FROM (%L) TO (%L)',
    part, relname,
    (month AT TIME ZONE 'UTC')::text,
    ((month + interval '1 month') AT TIME ZONE 'UTC')::text);
  EXECUTE format('ALTER TABLE connect_lake.%I ADD CONSTRAINT %I %s (%s)',
                 part, part || '_key', fact.key_kind,
                 (SELECT string_agg(quote_ident(k), ', ') FROM unnest(fact.key_columns) k));
  FOREACH idx IN ARRAY fact.indexes LOOP
    EXECUTE format('CREATE INDEX ON connect_lake.%I %s', part, idx);
  END LOOP;
  -- Writers (ingest(), load()) insert into the partition itself, which
  -- checks the partition's privileges: give it the parent's grants.
  FOR idx IN
    SELECT format('GRANT %s ON connect_lake.%I TO %s', a.privilege_type, part,
                  CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END)
      FROM pg_class c, aclexplode(c.relacl) a
     WHERE c.oid = parent AND a.grantee <> c.relowner
  LOOP
    EXECUTE idx;
  END LOOP;
  RETURN format('connect_lake.%I', part)::regclass;
END
$fn$;

COMMENT ON FUNCTION connect_lake.create_partition(regclass, timestamptz) IS
  'Returns the monthly partition (UTC months) of a lake fact table that holds ts, creating it when missing.';

CREATE FUNCTION connect_lake.ensure_partitions(parent regclass, from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT connect_lake.create_partition(parent, m)
    FROM generate_series(date_trunc('month', from_ts AT TIME ZONE 'UTC'),
                         date_trunc('month', to_ts AT TIME ZONE 'UTC'),
                         interval '1 month') AS g(mu),
         LATERAL (SELECT mu AT TIME ZONE 'UTC') AS l(m)
$fn$;

COMMENT ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) IS
  'Creates the monthly partitions of a lake fact table covering from_ts to to_ts; for hand-written INSERTs (ingest() and load() create partitions themselves).';

-- ==== sql/install/10_calendar.sql
-- Working-day calendars and the working-day functions.
--
-- A calendar has a time zone, weekend days and holidays.  Bundled calendars
-- and their holidays are shipped by the extension (11_bank_holidays.sql) and
-- are read-only (bundled = true); the DBA's own calendars and holidays are
-- bundled = false and are what pg_dump keeps.  To adapt a bundled calendar,
-- copy it into one of your own (copy_calendar) and edit that.
--
-- The functions are C (src/workdays.c): each call converts to the calendar's
-- local time with PostgreSQL's time zone code and does O(log holidays)
-- arithmetic on a per-backend cache of the two tables.  Triggers keep the
-- cache right: any change is seen by the next statement, in every session.

CREATE TABLE connect_lake.calendar (
  name        text PRIMARY KEY CHECK (name <> ''),
  time_zone   text NOT NULL DEFAULT 'Europe/London',
  weekend     smallint[] NOT NULL DEFAULT '{6,7}'
              CHECK (weekend <@ '{1,2,3,4,5,6,7}'::smallint[]
                     AND NOT '{1,2,3,4,5,6,7}'::smallint[] <@ weekend),
  description text,
  bundled     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE connect_lake.calendar IS 'Working-day calendars: a time zone, weekend days and holidays (connect_lake.holiday).  Bundled calendars are read-only; copy one with copy_calendar() to adapt it.';
COMMENT ON COLUMN connect_lake.calendar.name IS 'Calendar name, as given to the working_days_* functions and the connect_lake.calendar setting.';
COMMENT ON COLUMN connect_lake.calendar.time_zone IS 'IANA time zone in which working days start and end, e.g. Europe/London (a name from pg_timezone_names).';
COMMENT ON COLUMN connect_lake.calendar.weekend IS 'Non-working days of the week, ISO numbering (1 = Monday ... 7 = Sunday); at least one day must remain.';
COMMENT ON COLUMN connect_lake.calendar.description IS 'Free text.';
COMMENT ON COLUMN connect_lake.calendar.bundled IS 'True for calendars shipped with the extension (read-only; not dumped).';

CREATE TABLE connect_lake.holiday (
  calendar text NOT NULL REFERENCES connect_lake.calendar (name) ON UPDATE CASCADE ON DELETE CASCADE,
  day      date NOT NULL CHECK (isfinite(day)),
  name     text,
  bundled  boolean NOT NULL DEFAULT false,
  PRIMARY KEY (calendar, day)
);
COMMENT ON TABLE connect_lake.holiday IS 'Non-working days of each calendar besides its weekend.';
COMMENT ON COLUMN connect_lake.holiday.calendar IS 'The calendar the holiday belongs to.';
COMMENT ON COLUMN connect_lake.holiday.day IS 'The holiday''s date, in the calendar''s time zone.';
COMMENT ON COLUMN connect_lake.holiday.name IS 'The holiday''s name, e.g. Good Friday.';
COMMENT ON COLUMN connect_lake.holiday.bundled IS 'True for holidays shipped with the extension (read-only; not dumped).';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.calendar', 'WHERE NOT bundled');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.holiday', 'WHERE NOT bundled');

-- Bundled rows are read-only; time zones must be known; every change drops
-- the calendar caches of all sessions.
CREATE FUNCTION connect_lake.calendar_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'cl_calendar_guard' LANGUAGE C;
COMMENT ON FUNCTION connect_lake.calendar_guard() IS
  'Trigger of connect_lake.calendar and connect_lake.holiday: keeps bundled rows read-only and checks time zones.';
CREATE FUNCTION connect_lake.calendar_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'cl_calendar_changed' LANGUAGE C;
COMMENT ON FUNCTION connect_lake.calendar_changed() IS
  'Trigger of connect_lake.calendar and connect_lake.holiday: makes every session re-read calendars after a change.';

CREATE TRIGGER calendar_guard BEFORE INSERT OR UPDATE OR DELETE ON connect_lake.calendar
  FOR EACH ROW EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER calendar_guard_truncate BEFORE TRUNCATE ON connect_lake.calendar
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER calendar_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.calendar
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_changed();
CREATE TRIGGER holiday_guard BEFORE INSERT OR UPDATE OR DELETE ON connect_lake.holiday
  FOR EACH ROW EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER holiday_guard_truncate BEFORE TRUNCATE ON connect_lake.holiday
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.holiday
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_changed();

-- The default calendar: a function rather than current_setting() so that
-- calling it loads the module, which defines the setting.
CREATE FUNCTION connect_lake.default_calendar() RETURNS text
  AS 'MODULE_PATHNAME', 'cl_wd_default_calendar'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.default_calendar() IS
  'The default working-day calendar: the connect_lake.calendar setting (england_wales unless set).';

-- All working-day functions are STRICT: a NULL argument, including an
-- explicit NULL calendar, gives NULL.  Leave the calendar out for the default.
CREATE FUNCTION connect_lake.working_days_add(ts timestamptz, n integer,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'cl_wd_add'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_add(timestamptz, integer, text) IS
  'The same local clock time n working days after ts (before it if n < 0), in the calendar''s time zone; a ts on a non-working day counts as 00:00 of the next working day.';

CREATE FUNCTION connect_lake.working_days_overdue(ts timestamptz, as_of timestamptz DEFAULT now(),
                                                  n integer DEFAULT 2,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'cl_wd_overdue'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_overdue(timestamptz, timestamptz, integer, text) IS
  'Whether as_of (default now()) is after working_days_add(ts, n) (default 2 working days): working_days_overdue(created) answers "open more than 2 working days".';

CREATE FUNCTION connect_lake.working_days_between(a timestamptz, b timestamptz,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS integer
  AS 'MODULE_PATHNAME', 'cl_wd_between'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_between(timestamptz, timestamptz, text) IS
  'Whole working days elapsed from a to b (negative if b is before a): working_days_between(t, working_days_add(t, n)) = n.';

CREATE FUNCTION connect_lake.is_working_day(day date,
                                            calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'cl_wd_is_working_day'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.is_working_day(date, text) IS
  'Whether day is a working day of the calendar: neither a weekend day nor a holiday.';

CREATE FUNCTION connect_lake.next_working_day(day date,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS date
  AS 'MODULE_PATHNAME', 'cl_wd_next_working_day'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.next_working_day(date, text) IS
  'The first working day of the calendar after day.';

-- Adapting a bundled calendar: copy it, then edit the copy.
CREATE FUNCTION connect_lake.copy_calendar(from_calendar text, to_calendar text,
                                           time_zone text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  src connect_lake.calendar;
BEGIN
  IF from_calendar IS NULL OR to_calendar IS NULL THEN
    RAISE EXCEPTION 'copy_calendar() needs the names of both calendars'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT * INTO src FROM connect_lake.calendar c WHERE c.name = from_calendar;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'calendar "%" does not exist', from_calendar
      USING ERRCODE = 'undefined_object',
            HINT = 'Calendars are the rows of connect_lake.calendar.';
  END IF;
  IF EXISTS (SELECT 1 FROM connect_lake.calendar c WHERE c.name = to_calendar) THEN
    RAISE EXCEPTION 'calendar "%" already exists', to_calendar
      USING ERRCODE = 'duplicate_object',
            HINT = 'Choose another name, or delete that calendar first.';
  END IF;
  INSERT INTO connect_lake.calendar (name, time_zone, weekend, description, bundled)
  VALUES (to_calendar, coalesce(copy_calendar.time_zone, src.time_zone), src.weekend,
          format('Copy of %s: %s', from_calendar, src.description), false);
  INSERT INTO connect_lake.holiday (calendar, day, name, bundled)
  SELECT to_calendar, h.day, h.name, false
    FROM connect_lake.holiday h WHERE h.calendar = from_calendar;
  RETURN to_calendar;
END
$fn$;
COMMENT ON FUNCTION connect_lake.copy_calendar(text, text, text) IS
  'Creates calendar to_calendar as an editable copy (bundled = false) of from_calendar and its holidays, optionally in another time zone; returns its name.';
REVOKE ALL ON FUNCTION connect_lake.copy_calendar(text, text, text) FROM PUBLIC;

-- ==== sql/install/11_bank_holidays.sql
-- Bundled calendars: UK bank holidays 2015-2035.
-- Generated by test/gen/bank_holidays.py (statutory rules plus royal
-- proclamations; checked against https://www.gov.uk/bank-holidays).  Do not
-- edit: change the generator and run it again.

INSERT INTO connect_lake.calendar (name, time_zone, weekend, description, bundled) VALUES
  ('england_wales', 'Europe/London', '{6,7}', 'England and Wales bank holidays 2015-2035 (gov.uk); only weekends outside those years.', true),
  ('northern_ireland', 'Europe/London', '{6,7}', 'Northern Ireland bank holidays 2015-2035 (gov.uk); only weekends outside those years.', true),
  ('scotland', 'Europe/London', '{6,7}', 'Scotland bank holidays 2015-2035 (gov.uk); only weekends outside those years.', true);

INSERT INTO connect_lake.holiday (calendar, day, name, bundled) VALUES
  ('england_wales', '2015-01-01', 'New Year''s Day', true),
  ('england_wales', '2015-04-03', 'Good Friday', true),
  ('england_wales', '2015-04-06', 'Easter Monday', true),
  ('england_wales', '2015-05-04', 'Early May bank holiday', true),
  ('england_wales', '2015-05-25', 'Spring bank holiday', true),
  ('england_wales', '2015-08-31', 'Summer bank holiday', true),
  ('england_wales', '2015-12-25', 'Christmas Day', true),
  ('england_wales', '2015-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2016-01-01', 'New Year''s Day', true),
  ('england_wales', '2016-03-25', 'Good Friday', true),
  ('england_wales', '2016-03-28', 'Easter Monday', true),
  ('england_wales', '2016-05-02', 'Early May bank holiday', true),
  ('england_wales', '2016-05-30', 'Spring bank holiday', true),
  ('england_wales', '2016-08-29', 'Summer bank holiday', true),
  ('england_wales', '2016-12-26', 'Boxing Day', true),
  ('england_wales', '2016-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2017-01-02', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2017-04-14', 'Good Friday', true),
  ('england_wales', '2017-04-17', 'Easter Monday', true),
  ('england_wales', '2017-05-01', 'Early May bank holiday', true),
  ('england_wales', '2017-05-29', 'Spring bank holiday', true),
  ('england_wales', '2017-08-28', 'Summer bank holiday', true),
  ('england_wales', '2017-12-25', 'Christmas Day', true),
  ('england_wales', '2017-12-26', 'Boxing Day', true),
  ('england_wales', '2018-01-01', 'New Year''s Day', true),
  ('england_wales', '2018-03-30', 'Good Friday', true),
  ('england_wales', '2018-04-02', 'Easter Monday', true),
  ('england_wales', '2018-05-07', 'Early May bank holiday', true),
  ('england_wales', '2018-05-28', 'Spring bank holiday', true),
  ('england_wales', '2018-08-27', 'Summer bank holiday', true),
  ('england_wales', '2018-12-25', 'Christmas Day', true),
  ('england_wales', '2018-12-26', 'Boxing Day', true),
  ('england_wales', '2019-01-01', 'New Year''s Day', true),
  ('england_wales', '2019-04-19', 'Good Friday', true),
  ('england_wales', '2019-04-22', 'Easter Monday', true),
  ('england_wales', '2019-05-06', 'Early May bank holiday', true),
  ('england_wales', '2019-05-27', 'Spring bank holiday', true),
  ('england_wales', '2019-08-26', 'Summer bank holiday', true),
  ('england_wales', '2019-12-25', 'Christmas Day', true),
  ('england_wales', '2019-12-26', 'Boxing Day', true),
  ('england_wales', '2020-01-01', 'New Year''s Day', true),
  ('england_wales', '2020-04-10', 'Good Friday', true),
  ('england_wales', '2020-04-13', 'Easter Monday', true),
  ('england_wales', '2020-05-08', 'Early May bank holiday (VE day)', true),
  ('england_wales', '2020-05-25', 'Spring bank holiday', true),
  ('england_wales', '2020-08-31', 'Summer bank holiday', true),
  ('england_wales', '2020-12-25', 'Christmas Day', true),
  ('england_wales', '2020-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2021-01-01', 'New Year''s Day', true),
  ('england_wales', '2021-04-02', 'Good Friday', true),
  ('england_wales', '2021-04-05', 'Easter Monday', true),
  ('england_wales', '2021-05-03', 'Early May bank holiday', true),
  ('england_wales', '2021-05-31', 'Spring bank holiday', true),
  ('england_wales', '2021-08-30', 'Summer bank holiday', true),
  ('england_wales', '2021-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2021-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2022-01-03', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2022-04-15', 'Good Friday', true),
  ('england_wales', '2022-04-18', 'Easter Monday', true),
  ('england_wales', '2022-05-02', 'Early May bank holiday', true),
  ('england_wales', '2022-06-02', 'Spring bank holiday', true),
  ('england_wales', '2022-06-03', 'Platinum Jubilee bank holiday', true),
  ('england_wales', '2022-08-29', 'Summer bank holiday', true),
  ('england_wales', '2022-09-19', 'Bank Holiday for the State Funeral of Queen Elizabeth II', true),
  ('england_wales', '2022-12-26', 'Boxing Day', true),
  ('england_wales', '2022-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2023-01-02', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2023-04-07', 'Good Friday', true),
  ('england_wales', '2023-04-10', 'Easter Monday', true),
  ('england_wales', '2023-05-01', 'Early May bank holiday', true),
  ('england_wales', '2023-05-08', 'Bank holiday for the coronation of King Charles III', true),
  ('england_wales', '2023-05-29', 'Spring bank holiday', true),
  ('england_wales', '2023-08-28', 'Summer bank holiday', true),
  ('england_wales', '2023-12-25', 'Christmas Day', true),
  ('england_wales', '2023-12-26', 'Boxing Day', true),
  ('england_wales', '2024-01-01', 'New Year''s Day', true),
  ('england_wales', '2024-03-29', 'Good Friday', true),
  ('england_wales', '2024-04-01', 'Easter Monday', true),
  ('england_wales', '2024-05-06', 'Early May bank holiday', true),
  ('england_wales', '2024-05-27', 'Spring bank holiday', true),
  ('england_wales', '2024-08-26', 'Summer bank holiday', true),
  ('england_wales', '2024-12-25', 'Christmas Day', true),
  ('england_wales', '2024-12-26', 'Boxing Day', true),
  ('england_wales', '2025-01-01', 'New Year''s Day', true),
  ('england_wales', '2025-04-18', 'Good Friday', true),
  ('england_wales', '2025-04-21', 'Easter Monday', true),
  ('england_wales', '2025-05-05', 'Early May bank holiday', true),
  ('england_wales', '2025-05-26', 'Spring bank holiday', true),
  ('england_wales', '2025-08-25', 'Summer bank holiday', true),
  ('england_wales', '2025-12-25', 'Christmas Day', true),
  ('england_wales', '2025-12-26', 'Boxing Day', true),
  ('england_wales', '2026-01-01', 'New Year''s Day', true),
  ('england_wales', '2026-04-03', 'Good Friday', true),
  ('england_wales', '2026-04-06', 'Easter Monday', true),
  ('england_wales', '2026-05-04', 'Early May bank holiday', true),
  ('england_wales', '2026-05-25', 'Spring bank holiday', true),
  ('england_wales', '2026-08-31', 'Summer bank holiday', true),
  ('england_wales', '2026-12-25', 'Christmas Day', true),
  ('england_wales', '2026-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2027-01-01', 'New Year''s Day', true),
  ('england_wales', '2027-03-26', 'Good Friday', true),
  ('england_wales', '2027-03-29', 'Easter Monday', true),
  ('england_wales', '2027-05-03', 'Early May bank holiday', true),
  ('england_wales', '2027-05-31', 'Spring bank holiday', true),
  ('england_wales', '2027-08-30', 'Summer bank holiday', true),
  ('england_wales', '2027-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2027-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2028-01-03', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2028-04-14', 'Good Friday', true),
  ('england_wales', '2028-04-17', 'Easter Monday', true),
  ('england_wales', '2028-05-01', 'Early May bank holiday', true),
  ('england_wales', '2028-05-29', 'Spring bank holiday', true),
  ('england_wales', '2028-08-28', 'Summer bank holiday', true),
  ('england_wales', '2028-12-25', 'Christmas Day', true),
  ('england_wales', '2028-12-26', 'Boxing Day', true),
  ('england_wales', '2029-01-01', 'New Year''s Day', true),
  ('england_wales', '2029-03-30', 'Good Friday', true),
  ('england_wales', '2029-04-02', 'Easter Monday', true),
  ('england_wales', '2029-05-07', 'Early May bank holiday', true),
  ('england_wales', '2029-05-28', 'Spring bank holiday', true),
  ('england_wales', '2029-08-27', 'Summer bank holiday', true),
  ('england_wales', '2029-12-25', 'Christmas Day', true),
  ('england_wales', '2029-12-26', 'Boxing Day', true),
  ('england_wales', '2030-01-01', 'New Year''s Day', true),
  ('england_wales', '2030-04-19', 'Good Friday', true),
  ('england_wales', '2030-04-22', 'Easter Monday', true),
  ('england_wales', '2030-05-06', 'Early May bank holiday', true),
  ('england_wales', '2030-05-27', 'Spring bank holiday', true),
  ('england_wales', '2030-08-26', 'Summer bank holiday', true),
  ('england_wales', '2030-12-25', 'Christmas Day', true),
  ('england_wales', '2030-12-26', 'Boxing Day', true),
  ('england_wales', '2031-01-01', 'New Year''s Day', true),
  ('england_wales', '2031-04-11', 'Good Friday', true),
  ('england_wales', '2031-04-14', 'Easter Monday', true),
  ('england_wales', '2031-05-05', 'Early May bank holiday', true),
  ('england_wales', '2031-05-26', 'Spring bank holiday', true),
  ('england_wales', '2031-08-25', 'Summer bank holiday', true),
  ('england_wales', '2031-12-25', 'Christmas Day', true),
  ('england_wales', '2031-12-26', 'Boxing Day', true),
  ('england_wales', '2032-01-01', 'New Year''s Day', true),
  ('england_wales', '2032-03-26', 'Good Friday', true),
  ('england_wales', '2032-03-29', 'Easter Monday', true),
  ('england_wales', '2032-05-03', 'Early May bank holiday', true),
  ('england_wales', '2032-05-31', 'Spring bank holiday', true),
  ('england_wales', '2032-08-30', 'Summer bank holiday', true),
  ('england_wales', '2032-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2032-12-28', 'Boxing Day (substitute day)', true),
  ('england_wales', '2033-01-03', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2033-04-15', 'Good Friday', true),
  ('england_wales', '2033-04-18', 'Easter Monday', true),
  ('england_wales', '2033-05-02', 'Early May bank holiday', true),
  ('england_wales', '2033-05-30', 'Spring bank holiday', true),
  ('england_wales', '2033-08-29', 'Summer bank holiday', true),
  ('england_wales', '2033-12-26', 'Boxing Day', true),
  ('england_wales', '2033-12-27', 'Christmas Day (substitute day)', true),
  ('england_wales', '2034-01-02', 'New Year''s Day (substitute day)', true),
  ('england_wales', '2034-04-07', 'Good Friday', true),
  ('england_wales', '2034-04-10', 'Easter Monday', true),
  ('england_wales', '2034-05-01', 'Early May bank holiday', true),
  ('england_wales', '2034-05-29', 'Spring bank holiday', true),
  ('england_wales', '2034-08-28', 'Summer bank holiday', true),
  ('england_wales', '2034-12-25', 'Christmas Day', true),
  ('england_wales', '2034-12-26', 'Boxing Day', true),
  ('england_wales', '2035-01-01', 'New Year''s Day', true),
  ('england_wales', '2035-03-23', 'Good Friday', true),
  ('england_wales', '2035-03-26', 'Easter Monday', true),
  ('england_wales', '2035-05-07', 'Early May bank holiday', true),
  ('england_wales', '2035-05-28', 'Spring bank holiday', true),
  ('england_wales', '2035-08-27', 'Summer bank holiday', true),
  ('england_wales', '2035-12-25', 'Christmas Day', true),
  ('england_wales', '2035-12-26', 'Boxing Day', true);

INSERT INTO connect_lake.holiday (calendar, day, name, bundled) VALUES
  ('northern_ireland', '2015-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2015-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2015-04-03', 'Good Friday', true),
  ('northern_ireland', '2015-04-06', 'Easter Monday', true),
  ('northern_ireland', '2015-05-04', 'Early May bank holiday', true),
  ('northern_ireland', '2015-05-25', 'Spring bank holiday', true),
  ('northern_ireland', '2015-07-13', 'Battle of the Boyne (Orangemen''s Day) (substitute day)', true),
  ('northern_ireland', '2015-08-31', 'Summer bank holiday', true),
  ('northern_ireland', '2015-12-25', 'Christmas Day', true),
  ('northern_ireland', '2015-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2016-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2016-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2016-03-25', 'Good Friday', true),
  ('northern_ireland', '2016-03-28', 'Easter Monday', true),
  ('northern_ireland', '2016-05-02', 'Early May bank holiday', true),
  ('northern_ireland', '2016-05-30', 'Spring bank holiday', true),
  ('northern_ireland', '2016-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2016-08-29', 'Summer bank holiday', true),
  ('northern_ireland', '2016-12-26', 'Boxing Day', true),
  ('northern_ireland', '2016-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2017-01-02', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2017-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2017-04-14', 'Good Friday', true),
  ('northern_ireland', '2017-04-17', 'Easter Monday', true),
  ('northern_ireland', '2017-05-01', 'Early May bank holiday', true),
  ('northern_ireland', '2017-05-29', 'Spring bank holiday', true),
  ('northern_ireland', '2017-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2017-08-28', 'Summer bank holiday', true),
  ('northern_ireland', '2017-12-25', 'Christmas Day', true),
  ('northern_ireland', '2017-12-26', 'Boxing Day', true),
  ('northern_ireland', '2018-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2018-03-19', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2018-03-30', 'Good Friday', true),
  ('northern_ireland', '2018-04-02', 'Easter Monday', true),
  ('northern_ireland', '2018-05-07', 'Early May bank holiday', true),
  ('northern_ireland', '2018-05-28', 'Spring bank holiday', true),
  ('northern_ireland', '2018-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2018-08-27', 'Summer bank holiday', true),
  ('northern_ireland', '2018-12-25', 'Christmas Day', true),
  ('northern_ireland', '2018-12-26', 'Boxing Day', true),
  ('northern_ireland', '2019-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2019-03-18', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2019-04-19', 'Good Friday', true),
  ('northern_ireland', '2019-04-22', 'Easter Monday', true),
  ('northern_ireland', '2019-05-06', 'Early May bank holiday', true),
  ('northern_ireland', '2019-05-27', 'Spring bank holiday', true),
  ('northern_ireland', '2019-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2019-08-26', 'Summer bank holiday', true),
  ('northern_ireland', '2019-12-25', 'Christmas Day', true),
  ('northern_ireland', '2019-12-26', 'Boxing Day', true),
  ('northern_ireland', '2020-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2020-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2020-04-10', 'Good Friday', true),
  ('northern_ireland', '2020-04-13', 'Easter Monday', true),
  ('northern_ireland', '2020-05-08', 'Early May bank holiday (VE day)', true),
  ('northern_ireland', '2020-05-25', 'Spring bank holiday', true),
  ('northern_ireland', '2020-07-13', 'Battle of the Boyne (Orangemen''s Day) (substitute day)', true),
  ('northern_ireland', '2020-08-31', 'Summer bank holiday', true),
  ('northern_ireland', '2020-12-25', 'Christmas Day', true),
  ('northern_ireland', '2020-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2021-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2021-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2021-04-02', 'Good Friday', true),
  ('northern_ireland', '2021-04-05', 'Easter Monday', true),
  ('northern_ireland', '2021-05-03', 'Early May bank holiday', true),
  ('northern_ireland', '2021-05-31', 'Spring bank holiday', true),
  ('northern_ireland', '2021-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2021-08-30', 'Summer bank holiday', true),
  ('northern_ireland', '2021-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2021-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2022-01-03', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2022-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2022-04-15', 'Good Friday', true),
  ('northern_ireland', '2022-04-18', 'Easter Monday', true),
  ('northern_ireland', '2022-05-02', 'Early May bank holiday', true),
  ('northern_ireland', '2022-06-02', 'Spring bank holiday', true),
  ('northern_ireland', '2022-06-03', 'Platinum Jubilee bank holiday', true),
  ('northern_ireland', '2022-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2022-08-29', 'Summer bank holiday', true),
  ('northern_ireland', '2022-09-19', 'Bank Holiday for the State Funeral of Queen Elizabeth II', true),
  ('northern_ireland', '2022-12-26', 'Boxing Day', true),
  ('northern_ireland', '2022-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2023-01-02', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2023-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2023-04-07', 'Good Friday', true),
  ('northern_ireland', '2023-04-10', 'Easter Monday', true),
  ('northern_ireland', '2023-05-01', 'Early May bank holiday', true),
  ('northern_ireland', '2023-05-08', 'Bank holiday for the coronation of King Charles III', true),
  ('northern_ireland', '2023-05-29', 'Spring bank holiday', true),
  ('northern_ireland', '2023-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2023-08-28', 'Summer bank holiday', true),
  ('northern_ireland', '2023-12-25', 'Christmas Day', true),
  ('northern_ireland', '2023-12-26', 'Boxing Day', true),
  ('northern_ireland', '2024-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2024-03-18', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2024-03-29', 'Good Friday', true),
  ('northern_ireland', '2024-04-01', 'Easter Monday', true),
  ('northern_ireland', '2024-05-06', 'Early May bank holiday', true),
  ('northern_ireland', '2024-05-27', 'Spring bank holiday', true),
  ('northern_ireland', '2024-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2024-08-26', 'Summer bank holiday', true),
  ('northern_ireland', '2024-12-25', 'Christmas Day', true),
  ('northern_ireland', '2024-12-26', 'Boxing Day', true),
  ('northern_ireland', '2025-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2025-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2025-04-18', 'Good Friday', true),
  ('northern_ireland', '2025-04-21', 'Easter Monday', true),
  ('northern_ireland', '2025-05-05', 'Early May bank holiday', true),
  ('northern_ireland', '2025-05-26', 'Spring bank holiday', true),
  ('northern_ireland', '2025-07-14', 'Battle of the Boyne (Orangemen''s Day) (substitute day)', true),
  ('northern_ireland', '2025-08-25', 'Summer bank holiday', true),
  ('northern_ireland', '2025-12-25', 'Christmas Day', true),
  ('northern_ireland', '2025-12-26', 'Boxing Day', true),
  ('northern_ireland', '2026-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2026-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2026-04-03', 'Good Friday', true),
  ('northern_ireland', '2026-04-06', 'Easter Monday', true),
  ('northern_ireland', '2026-05-04', 'Early May bank holiday', true),
  ('northern_ireland', '2026-05-25', 'Spring bank holiday', true),
  ('northern_ireland', '2026-07-13', 'Battle of the Boyne (Orangemen''s Day) (substitute day)', true),
  ('northern_ireland', '2026-08-31', 'Summer bank holiday', true),
  ('northern_ireland', '2026-12-25', 'Christmas Day', true),
  ('northern_ireland', '2026-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2027-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2027-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2027-03-26', 'Good Friday', true),
  ('northern_ireland', '2027-03-29', 'Easter Monday', true),
  ('northern_ireland', '2027-05-03', 'Early May bank holiday', true),
  ('northern_ireland', '2027-05-31', 'Spring bank holiday', true),
  ('northern_ireland', '2027-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2027-08-30', 'Summer bank holiday', true),
  ('northern_ireland', '2027-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2027-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2028-01-03', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2028-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2028-04-14', 'Good Friday', true),
  ('northern_ireland', '2028-04-17', 'Easter Monday', true),
  ('northern_ireland', '2028-05-01', 'Early May bank holiday', true),
  ('northern_ireland', '2028-05-29', 'Spring bank holiday', true),
  ('northern_ireland', '2028-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2028-08-28', 'Summer bank holiday', true),
  ('northern_ireland', '2028-12-25', 'Christmas Day', true),
  ('northern_ireland', '2028-12-26', 'Boxing Day', true),
  ('northern_ireland', '2029-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2029-03-19', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2029-03-30', 'Good Friday', true),
  ('northern_ireland', '2029-04-02', 'Easter Monday', true),
  ('northern_ireland', '2029-05-07', 'Early May bank holiday', true),
  ('northern_ireland', '2029-05-28', 'Spring bank holiday', true),
  ('northern_ireland', '2029-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2029-08-27', 'Summer bank holiday', true),
  ('northern_ireland', '2029-12-25', 'Christmas Day', true),
  ('northern_ireland', '2029-12-26', 'Boxing Day', true),
  ('northern_ireland', '2030-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2030-03-18', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2030-04-19', 'Good Friday', true),
  ('northern_ireland', '2030-04-22', 'Easter Monday', true),
  ('northern_ireland', '2030-05-06', 'Early May bank holiday', true),
  ('northern_ireland', '2030-05-27', 'Spring bank holiday', true),
  ('northern_ireland', '2030-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2030-08-26', 'Summer bank holiday', true),
  ('northern_ireland', '2030-12-25', 'Christmas Day', true),
  ('northern_ireland', '2030-12-26', 'Boxing Day', true),
  ('northern_ireland', '2031-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2031-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2031-04-11', 'Good Friday', true),
  ('northern_ireland', '2031-04-14', 'Easter Monday', true),
  ('northern_ireland', '2031-05-05', 'Early May bank holiday', true),
  ('northern_ireland', '2031-05-26', 'Spring bank holiday', true),
  ('northern_ireland', '2031-07-14', 'Battle of the Boyne (Orangemen''s Day) (substitute day)', true),
  ('northern_ireland', '2031-08-25', 'Summer bank holiday', true),
  ('northern_ireland', '2031-12-25', 'Christmas Day', true),
  ('northern_ireland', '2031-12-26', 'Boxing Day', true),
  ('northern_ireland', '2032-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2032-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2032-03-26', 'Good Friday', true),
  ('northern_ireland', '2032-03-29', 'Easter Monday', true),
  ('northern_ireland', '2032-05-03', 'Early May bank holiday', true),
  ('northern_ireland', '2032-05-31', 'Spring bank holiday', true),
  ('northern_ireland', '2032-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2032-08-30', 'Summer bank holiday', true),
  ('northern_ireland', '2032-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2032-12-28', 'Boxing Day (substitute day)', true),
  ('northern_ireland', '2033-01-03', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2033-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2033-04-15', 'Good Friday', true),
  ('northern_ireland', '2033-04-18', 'Easter Monday', true),
  ('northern_ireland', '2033-05-02', 'Early May bank holiday', true),
  ('northern_ireland', '2033-05-30', 'Spring bank holiday', true),
  ('northern_ireland', '2033-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2033-08-29', 'Summer bank holiday', true),
  ('northern_ireland', '2033-12-26', 'Boxing Day', true),
  ('northern_ireland', '2033-12-27', 'Christmas Day (substitute day)', true),
  ('northern_ireland', '2034-01-02', 'New Year''s Day (substitute day)', true),
  ('northern_ireland', '2034-03-17', 'St Patrick''s Day', true),
  ('northern_ireland', '2034-04-07', 'Good Friday', true),
  ('northern_ireland', '2034-04-10', 'Easter Monday', true),
  ('northern_ireland', '2034-05-01', 'Early May bank holiday', true),
  ('northern_ireland', '2034-05-29', 'Spring bank holiday', true),
  ('northern_ireland', '2034-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2034-08-28', 'Summer bank holiday', true),
  ('northern_ireland', '2034-12-25', 'Christmas Day', true),
  ('northern_ireland', '2034-12-26', 'Boxing Day', true),
  ('northern_ireland', '2035-01-01', 'New Year''s Day', true),
  ('northern_ireland', '2035-03-19', 'St Patrick''s Day (substitute day)', true),
  ('northern_ireland', '2035-03-23', 'Good Friday', true),
  ('northern_ireland', '2035-03-26', 'Easter Monday', true),
  ('northern_ireland', '2035-05-07', 'Early May bank holiday', true),
  ('northern_ireland', '2035-05-28', 'Spring bank holiday', true),
  ('northern_ireland', '2035-07-12', 'Battle of the Boyne (Orangemen''s Day)', true),
  ('northern_ireland', '2035-08-27', 'Summer bank holiday', true),
  ('northern_ireland', '2035-12-25', 'Christmas Day', true),
  ('northern_ireland', '2035-12-26', 'Boxing Day', true);

INSERT INTO connect_lake.holiday (calendar, day, name, bundled) VALUES
  ('scotland', '2015-01-01', 'New Year''s Day', true),
  ('scotland', '2015-01-02', '2nd January', true),
  ('scotland', '2015-04-03', 'Good Friday', true),
  ('scotland', '2015-05-04', 'Early May bank holiday', true),
  ('scotland', '2015-05-25', 'Spring bank holiday', true),
  ('scotland', '2015-08-03', 'Summer bank holiday', true),
  ('scotland', '2015-11-30', 'St Andrew''s Day', true),
  ('scotland', '2015-12-25', 'Christmas Day', true),
  ('scotland', '2015-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2016-01-01', 'New Year''s Day', true),
  ('scotland', '2016-01-04', '2nd January (substitute day)', true),
  ('scotland', '2016-03-25', 'Good Friday', true),
  ('scotland', '2016-05-02', 'Early May bank holiday', true),
  ('scotland', '2016-05-30', 'Spring bank holiday', true),
  ('scotland', '2016-08-01', 'Summer bank holiday', true),
  ('scotland', '2016-11-30', 'St Andrew''s Day', true),
  ('scotland', '2016-12-26', 'Boxing Day', true),
  ('scotland', '2016-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2017-01-02', 'New Year''s Day (substitute day)', true),
  ('scotland', '2017-01-03', '2nd January (substitute day)', true),
  ('scotland', '2017-04-14', 'Good Friday', true),
  ('scotland', '2017-05-01', 'Early May bank holiday', true),
  ('scotland', '2017-05-29', 'Spring bank holiday', true),
  ('scotland', '2017-08-07', 'Summer bank holiday', true),
  ('scotland', '2017-11-30', 'St Andrew''s Day', true),
  ('scotland', '2017-12-25', 'Christmas Day', true),
  ('scotland', '2017-12-26', 'Boxing Day', true),
  ('scotland', '2018-01-01', 'New Year''s Day', true),
  ('scotland', '2018-01-02', '2nd January', true),
  ('scotland', '2018-03-30', 'Good Friday', true),
  ('scotland', '2018-05-07', 'Early May bank holiday', true),
  ('scotland', '2018-05-28', 'Spring bank holiday', true),
  ('scotland', '2018-08-06', 'Summer bank holiday', true),
  ('scotland', '2018-11-30', 'St Andrew''s Day', true),
  ('scotland', '2018-12-25', 'Christmas Day', true),
  ('scotland', '2018-12-26', 'Boxing Day', true),
  ('scotland', '2019-01-01', 'New Year''s Day', true),
  ('scotland', '2019-01-02', '2nd January', true),
  ('scotland', '2019-04-19', 'Good Friday', true),
  ('scotland', '2019-05-06', 'Early May bank holiday', true),
  ('scotland', '2019-05-27', 'Spring bank holiday', true),
  ('scotland', '2019-08-05', 'Summer bank holiday', true),
  ('scotland', '2019-12-02', 'St Andrew''s Day (substitute day)', true),
  ('scotland', '2019-12-25', 'Christmas Day', true),
  ('scotland', '2019-12-26', 'Boxing Day', true),
  ('scotland', '2020-01-01', 'New Year''s Day', true),
  ('scotland', '2020-01-02', '2nd January', true),
  ('scotland', '2020-04-10', 'Good Friday', true),
  ('scotland', '2020-05-08', 'Early May bank holiday (VE day)', true),
  ('scotland', '2020-05-25', 'Spring bank holiday', true),
  ('scotland', '2020-08-03', 'Summer bank holiday', true),
  ('scotland', '2020-11-30', 'St Andrew''s Day', true),
  ('scotland', '2020-12-25', 'Christmas Day', true),
  ('scotland', '2020-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2021-01-01', 'New Year''s Day', true),
  ('scotland', '2021-01-04', '2nd January (substitute day)', true),
  ('scotland', '2021-04-02', 'Good Friday', true),
  ('scotland', '2021-05-03', 'Early May bank holiday', true),
  ('scotland', '2021-05-31', 'Spring bank holiday', true),
  ('scotland', '2021-08-02', 'Summer bank holiday', true),
  ('scotland', '2021-11-30', 'St Andrew''s Day', true),
  ('scotland', '2021-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2021-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2022-01-03', 'New Year''s Day (substitute day)', true),
  ('scotland', '2022-01-04', '2nd January (substitute day)', true),
  ('scotland', '2022-04-15', 'Good Friday', true),
  ('scotland', '2022-05-02', 'Early May bank holiday', true),
  ('scotland', '2022-06-02', 'Spring bank holiday', true),
  ('scotland', '2022-06-03', 'Platinum Jubilee bank holiday', true),
  ('scotland', '2022-08-01', 'Summer bank holiday', true),
  ('scotland', '2022-09-19', 'Bank Holiday for the State Funeral of Queen Elizabeth II', true),
  ('scotland', '2022-11-30', 'St Andrew''s Day', true),
  ('scotland', '2022-12-26', 'Boxing Day', true),
  ('scotland', '2022-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2023-01-02', 'New Year''s Day (substitute day)', true),
  ('scotland', '2023-01-03', '2nd January (substitute day)', true),
  ('scotland', '2023-04-07', 'Good Friday', true),
  ('scotland', '2023-05-01', 'Early May bank holiday', true),
  ('scotland', '2023-05-08', 'Bank holiday for the coronation of King Charles III', true),
  ('scotland', '2023-05-29', 'Spring bank holiday', true),
  ('scotland', '2023-08-07', 'Summer bank holiday', true),
  ('scotland', '2023-11-30', 'St Andrew''s Day', true),
  ('scotland', '2023-12-25', 'Christmas Day', true),
  ('scotland', '2023-12-26', 'Boxing Day', true),
  ('scotland', '2024-01-01', 'New Year''s Day', true),
  ('scotland', '2024-01-02', '2nd January', true),
  ('scotland', '2024-03-29', 'Good Friday', true),
  ('scotland', '2024-05-06', 'Early May bank holiday', true),
  ('scotland', '2024-05-27', 'Spring bank holiday', true),
  ('scotland', '2024-08-05', 'Summer bank holiday', true),
  ('scotland', '2024-12-02', 'St Andrew''s Day (substitute day)', true),
  ('scotland', '2024-12-25', 'Christmas Day', true),
  ('scotland', '2024-12-26', 'Boxing Day', true),
  ('scotland', '2025-01-01', 'New Year''s Day', true),
  ('scotland', '2025-01-02', '2nd January', true),
  ('scotland', '2025-04-18', 'Good Friday', true),
  ('scotland', '2025-05-05', 'Early May bank holiday', true),
  ('scotland', '2025-05-26', 'Spring bank holiday', true),
  ('scotland', '2025-08-04', 'Summer bank holiday', true),
  ('scotland', '2025-12-01', 'St Andrew''s Day (substitute day)', true),
  ('scotland', '2025-12-25', 'Christmas Day', true),
  ('scotland', '2025-12-26', 'Boxing Day', true),
  ('scotland', '2026-01-01', 'New Year''s Day', true),
  ('scotland', '2026-01-02', '2nd January', true),
  ('scotland', '2026-04-03', 'Good Friday', true),
  ('scotland', '2026-05-04', 'Early May bank holiday', true),
  ('scotland', '2026-05-25', 'Spring bank holiday', true),
  ('scotland', '2026-08-03', 'Summer bank holiday', true),
  ('scotland', '2026-11-30', 'St Andrew''s Day', true),
  ('scotland', '2026-12-25', 'Christmas Day', true),
  ('scotland', '2026-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2027-01-01', 'New Year''s Day', true),
  ('scotland', '2027-01-04', '2nd January (substitute day)', true),
  ('scotland', '2027-03-26', 'Good Friday', true),
  ('scotland', '2027-05-03', 'Early May bank holiday', true),
  ('scotland', '2027-05-31', 'Spring bank holiday', true),
  ('scotland', '2027-08-02', 'Summer bank holiday', true),
  ('scotland', '2027-11-30', 'St Andrew''s Day', true),
  ('scotland', '2027-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2027-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2028-01-03', 'New Year''s Day (substitute day)', true),
  ('scotland', '2028-01-04', '2nd January (substitute day)', true),
  ('scotland', '2028-04-14', 'Good Friday', true),
  ('scotland', '2028-05-01', 'Early May bank holiday', true),
  ('scotland', '2028-05-29', 'Spring bank holiday', true),
  ('scotland', '2028-08-07', 'Summer bank holiday', true),
  ('scotland', '2028-11-30', 'St Andrew''s Day', true),
  ('scotland', '2028-12-25', 'Christmas Day', true),
  ('scotland', '2028-12-26', 'Boxing Day', true),
  ('scotland', '2029-01-01', 'New Year''s Day', true),
  ('scotland', '2029-01-02', '2nd January', true),
  ('scotland', '2029-03-30', 'Good Friday', true),
  ('scotland', '2029-05-07', 'Early May bank holiday', true),
  ('scotland', '2029-05-28', 'Spring bank holiday', true),
  ('scotland', '2029-08-06', 'Summer bank holiday', true),
  ('scotland', '2029-11-30', 'St Andrew''s Day', true),
  ('scotland', '2029-12-25', 'Christmas Day', true),
  ('scotland', '2029-12-26', 'Boxing Day', true),
  ('scotland', '2030-01-01', 'New Year''s Day', true),
  ('scotland', '2030-01-02', '2nd January', true),
  ('scotland', '2030-04-19', 'Good Friday', true),
  ('scotland', '2030-05-06', 'Early May bank holiday', true),
  ('scotland', '2030-05-27', 'Spring bank holiday', true),
  ('scotland', '2030-08-05', 'Summer bank holiday', true),
  ('scotland', '2030-12-02', 'St Andrew''s Day (substitute day)', true),
  ('scotland', '2030-12-25', 'Christmas Day', true),
  ('scotland', '2030-12-26', 'Boxing Day', true),
  ('scotland', '2031-01-01', 'New Year''s Day', true),
  ('scotland', '2031-01-02', '2nd January', true),
  ('scotland', '2031-04-11', 'Good Friday', true),
  ('scotland', '2031-05-05', 'Early May bank holiday', true),
  ('scotland', '2031-05-26', 'Spring bank holiday', true),
  ('scotland', '2031-08-04', 'Summer bank holiday', true),
  ('scotland', '2031-12-01', 'St Andrew''s Day (substitute day)', true),
  ('scotland', '2031-12-25', 'Christmas Day', true),
  ('scotland', '2031-12-26', 'Boxing Day', true),
  ('scotland', '2032-01-01', 'New Year''s Day', true),
  ('scotland', '2032-01-02', '2nd January', true),
  ('scotland', '2032-03-26', 'Good Friday', true),
  ('scotland', '2032-05-03', 'Early May bank holiday', true),
  ('scotland', '2032-05-31', 'Spring bank holiday', true),
  ('scotland', '2032-08-02', 'Summer bank holiday', true),
  ('scotland', '2032-11-30', 'St Andrew''s Day', true),
  ('scotland', '2032-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2032-12-28', 'Boxing Day (substitute day)', true),
  ('scotland', '2033-01-03', 'New Year''s Day (substitute day)', true),
  ('scotland', '2033-01-04', '2nd January (substitute day)', true),
  ('scotland', '2033-04-15', 'Good Friday', true),
  ('scotland', '2033-05-02', 'Early May bank holiday', true),
  ('scotland', '2033-05-30', 'Spring bank holiday', true),
  ('scotland', '2033-08-01', 'Summer bank holiday', true),
  ('scotland', '2033-11-30', 'St Andrew''s Day', true),
  ('scotland', '2033-12-26', 'Boxing Day', true),
  ('scotland', '2033-12-27', 'Christmas Day (substitute day)', true),
  ('scotland', '2034-01-02', 'New Year''s Day (substitute day)', true),
  ('scotland', '2034-01-03', '2nd January (substitute day)', true),
  ('scotland', '2034-04-07', 'Good Friday', true),
  ('scotland', '2034-05-01', 'Early May bank holiday', true),
  ('scotland', '2034-05-29', 'Spring bank holiday', true),
  ('scotland', '2034-08-07', 'Summer bank holiday', true),
  ('scotland', '2034-11-30', 'St Andrew''s Day', true),
  ('scotland', '2034-12-25', 'Christmas Day', true),
  ('scotland', '2034-12-26', 'Boxing Day', true),
  ('scotland', '2035-01-01', 'New Year''s Day', true),
  ('scotland', '2035-01-02', '2nd January', true),
  ('scotland', '2035-03-23', 'Good Friday', true),
  ('scotland', '2035-05-07', 'Early May bank holiday', true),
  ('scotland', '2035-05-28', 'Spring bank holiday', true),
  ('scotland', '2035-08-06', 'Summer bank holiday', true),
  ('scotland', '2035-11-30', 'St Andrew''s Day', true),
  ('scotland', '2035-12-25', 'Christmas Day', true),
  ('scotland', '2035-12-26', 'Boxing Day', true);

-- ==== sql/install/20_ctr.sql
-- Contact trace records.
--
-- connect_lake.ctr is the row type of ctr_events (a typed table), so a parsed
-- row lines up with the table column for column.  Rows land through the row
-- writer (ingest(), ingest_batch(), load()), which keeps the latest version of
-- each contact and fills versions_seen, source_file, source_offset and
-- landed_at (ctr_parse() returns versions_seen 1 and leaves the others NULL:
-- they describe the landing, not the record).  A hand-written
--   INSERT INTO connect_lake.ctr_events SELECT (c).* FROM docs, LATERAL connect_lake.ctr_parse(doc) c
-- works too once ensure_partitions() has made the months (landed_at stays
-- NULL: not landed by the lake's writers).  Column names follow the warehouse model: the CTR key path
-- lower-cased and joined by '_' (Agent.RoutingProfile.Name -> agent_routingprofile_name).

CREATE TYPE connect_lake.ctr AS (
  contactid                                   uuid,
  initiationtimestamp                         timestamptz,
  awsaccountid                                text,
  awscontacttracerecordformatversion          text,
  instancearn                                 text,
  instanceid                                  uuid,
  initialcontactid                            uuid,
  previouscontactid                           uuid,
  nextcontactid                               uuid,
  relatedcontactid                            uuid,
  contactassociationid                        text,
  customerid                                  text,
  channel                                     text,
  initiationmethod                            text,
  disconnectreason                            text,
  answeringmachinedetectionstatus             text,
  name                                        text,
  description                                 text,
  connectedtosystemtimestamp                  timestamptz,
  disconnecttimestamp                         timestamptz,
  lastupdatetimestamp                         timestamptz,
  scheduledtimestamp                          timestamptz,
  transfercompletedtimestamp                  timestamptz,
  lastpausedtimestamp                         timestamptz,
  lastresumedtimestamp                        timestamptz,
  agentconnectionattempts                     integer,
  totalpausecount                             integer,
  totalpausedurationinseconds                 integer,
  agent_arn                                   text,
  agent_id                                    uuid,
  agent_username                              text,
  agent_connectedtoagentts                    timestamptz,
  agent_acceptedbyagenttimestamp              timestamptz,
  agent_previewendtimestamp                   timestamptz,
  agent_agentinteractionduration              integer,
  agent_customerholdduration                  integer,
  agent_longestholdduration                   integer,
  agent_aftercontactworkduration              integer,
  agent_agentpauseduration                    integer,
  agent_agentinitiatedholdduration            integer,
  agent_numberofholds                         integer,
  agent_aftercontactworkstarttimestamp        timestamptz,
  agent_aftercontactworkendtimestamp          timestamptz,
  agent_routingprofile_arn                    text,
  agent_routingprofile_name                   text,
  agent_hierarchygroups_level1_arn            text,
  agent_hierarchygroups_level1_groupname      text,
  agent_hierarchygroups_level2_arn            text,
  agent_hierarchygroups_level2_groupname      text,
  agent_hierarchygroups_level3_arn            text,
  agent_hierarchygroups_level3_groupname      text,
  agent_hierarchygroups_level4_arn            text,
  agent_hierarchygroups_level4_groupname      text,
  agent_hierarchygroups_level5_arn            text,
  agent_hierarchygroups_level5_groupname      text,
  agent_deviceinfo_platformname               text,
  agent_deviceinfo_platformversion            text,
  agent_deviceinfo_operatingsystem            text,
  agent_capabilities                          jsonb,
  agent_statetransitions                      jsonb,
  queue_arn                                   text,
  queue_id                                    uuid,
  queue_name                                  text,
  queue_enqueuetimestamp                      timestamptz,
  queue_dequeuetimestamp                      timestamptz,
  queue_duration                              integer,
  customerendpoint_address                    text,
  customerendpoint_type                       text,
  systemendpoint_address                      text,
  systemendpoint_type                         text,
  transferredtoendpoint_address               text,
  transferredtoendpoint_type                  text,
  mediastreams                                jsonb,
  recording                                   jsonb,
  recordings                                  jsonb,
  contact_references                          jsonb,
  campaign_campaignid                         text,
  contactlens                                 jsonb,
  qualitymetrics_agent_audio_qualityscore     numeric(4,2),
  qualitymetrics_customer_audio_qualityscore  numeric(4,2),
  qualitymetrics                              jsonb,
  chatmetrics                                 jsonb,
  customervoiceactivity_greetingstarttimestamp timestamptz,
  customervoiceactivity_greetingendtimestamp  timestamptz,
  disconnectdetails_potentialdisconnectissue  text,
  segmentattributes                           jsonb,
  routingcriteria                             jsonb,
  wisdominfo_sessionarn                       text,
  voiceidresult                               jsonb,
  contactevaluations                          jsonb,
  outboundstrategy                            jsonb,
  additionalemailrecipients                   jsonb,
  externalthirdparty                          jsonb,
  contactdetails                              jsonb,
  tags                                        jsonb,
  attributes                                  jsonb,
  attributes_intent                           text,
  attributes_caseid                           text,
  attributes_accountnumbers                   text,
  attributes_juniferid                        text,
  attributes_csatresults_agentrating          integer,
  attributes_csatresults_resolutionrating     integer,
  extra                                       jsonb,
  versions_seen                               integer,
  source_file                                 text,
  source_offset                               bigint,
  landed_at                                   timestamptz
);

COMMENT ON TYPE connect_lake.ctr IS
  'One contact trace record as typed columns: the row type of ctr_events and the result of ctr_parse().';

CREATE TABLE connect_lake.ctr_events OF connect_lake.ctr (
  contactid           WITH OPTIONS NOT NULL,
  initiationtimestamp WITH OPTIONS NOT NULL,
  versions_seen       WITH OPTIONS NOT NULL DEFAULT 1,
  landed_at           WITH OPTIONS DEFAULT now()
) PARTITION BY RANGE (initiationtimestamp);


INSERT INTO connect_lake.fact_table VALUES
  ('ctr_events', '{contactid,initiationtimestamp}', 'PRIMARY KEY', ARRAY['(disconnecttimestamp)', '(attributes_caseid) WHERE attributes_caseid IS NOT NULL', '(agent_id, initiationtimestamp)', '(queue_id, initiationtimestamp)']::text[]);

COMMENT ON TABLE connect_lake.ctr_events IS
  'Contact trace records, one row per contact: the latest version by LastUpdateTimestamp wins. Monthly partitions on initiationtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.ctr_events.contactid IS 'ContactId: the contact''s UUID.';
COMMENT ON COLUMN connect_lake.ctr_events.initiationtimestamp IS 'InitiationTimestamp: when the contact was initiated (partition key).';
COMMENT ON COLUMN connect_lake.ctr_events.awsaccountid IS 'AWSAccountId: the AWS account owning the instance.';
COMMENT ON COLUMN connect_lake.ctr_events.awscontacttracerecordformatversion IS 'AWSContactTraceRecordFormatVersion, e.g. 2017-03-10.';
COMMENT ON COLUMN connect_lake.ctr_events.instancearn IS 'InstanceARN: the Amazon Connect instance.';
COMMENT ON COLUMN connect_lake.ctr_events.instanceid IS 'Instance id taken from InstanceARN (NULL when the ARN does not end in a UUID).';
COMMENT ON COLUMN connect_lake.ctr_events.initialcontactid IS 'InitialContactId: the first contact of a transfer chain.';
COMMENT ON COLUMN connect_lake.ctr_events.previouscontactid IS 'PreviousContactId: the contact this one was transferred from.';
COMMENT ON COLUMN connect_lake.ctr_events.nextcontactid IS 'NextContactId: the contact this one was transferred to.';
COMMENT ON COLUMN connect_lake.ctr_events.relatedcontactid IS 'RelatedContactId: a related contact (e.g. the task''s source contact).';
COMMENT ON COLUMN connect_lake.ctr_events.contactassociationid IS 'ContactAssociationId: groups contacts of one conversation.';
COMMENT ON COLUMN connect_lake.ctr_events.customerid IS 'CustomerId: the customer''s identifier (e.g. a Customer Profiles id).';
COMMENT ON COLUMN connect_lake.ctr_events.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL (open-ended).';
COMMENT ON COLUMN connect_lake.ctr_events.initiationmethod IS 'InitiationMethod: INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, ... (open-ended).';
COMMENT ON COLUMN connect_lake.ctr_events.disconnectreason IS 'DisconnectReason, e.g. CUSTOMER_DISCONNECT; NULL when none was recorded.';
COMMENT ON COLUMN connect_lake.ctr_events.answeringmachinedetectionstatus IS 'AnsweringMachineDetectionStatus of outbound campaign calls.';
COMMENT ON COLUMN connect_lake.ctr_events.name IS 'Name: the task''s name (tasks only).';
COMMENT ON COLUMN connect_lake.ctr_events.description IS 'Description: the task''s description (tasks only).';
COMMENT ON COLUMN connect_lake.ctr_events.connectedtosystemtimestamp IS 'ConnectedToSystemTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.disconnecttimestamp IS 'DisconnectTimestamp: when the contact ended.';
COMMENT ON COLUMN connect_lake.ctr_events.lastupdatetimestamp IS 'LastUpdateTimestamp: version of this record; the greatest wins.';
COMMENT ON COLUMN connect_lake.ctr_events.scheduledtimestamp IS 'ScheduledTimestamp: when a scheduled task was due.';
COMMENT ON COLUMN connect_lake.ctr_events.transfercompletedtimestamp IS 'TransferCompletedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.lastpausedtimestamp IS 'LastPausedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.lastresumedtimestamp IS 'LastResumedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agentconnectionattempts IS 'AgentConnectionAttempts: times Connect tried to connect the contact to an agent.';
COMMENT ON COLUMN connect_lake.ctr_events.totalpausecount IS 'TotalPauseCount.';
COMMENT ON COLUMN connect_lake.ctr_events.totalpausedurationinseconds IS 'TotalPauseDurationInSeconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_arn IS 'Agent.ARN; NULL when no agent took the contact.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_id IS 'Agent id taken from Agent.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_username IS 'Agent.Username.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_connectedtoagentts IS 'Agent.ConnectedToAgentTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_acceptedbyagenttimestamp IS 'Agent.AcceptedByAgentTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_previewendtimestamp IS 'Agent.PreviewEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentinteractionduration IS 'Agent.AgentInteractionDuration, seconds of talk.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_customerholdduration IS 'Agent.CustomerHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_longestholdduration IS 'Agent.LongestHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkduration IS 'Agent.AfterContactWorkDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentpauseduration IS 'Agent.AgentPauseDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentinitiatedholdduration IS 'Agent.AgentInitiatedHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_numberofholds IS 'Agent.NumberOfHolds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkstarttimestamp IS 'Agent.AfterContactWorkStartTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkendtimestamp IS 'Agent.AfterContactWorkEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_routingprofile_arn IS 'Agent.RoutingProfile.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_routingprofile_name IS 'Agent.RoutingProfile.Name.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level1_arn IS 'Agent.HierarchyGroups.Level1.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level1_groupname IS 'Agent.HierarchyGroups.Level1.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level2_arn IS 'Agent.HierarchyGroups.Level2.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level2_groupname IS 'Agent.HierarchyGroups.Level2.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level3_arn IS 'Agent.HierarchyGroups.Level3.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level3_groupname IS 'Agent.HierarchyGroups.Level3.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level4_arn IS 'Agent.HierarchyGroups.Level4.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level4_groupname IS 'Agent.HierarchyGroups.Level4.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level5_arn IS 'Agent.HierarchyGroups.Level5.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level5_groupname IS 'Agent.HierarchyGroups.Level5.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_platformname IS 'Agent.DeviceInfo.PlatformName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_platformversion IS 'Agent.DeviceInfo.PlatformVersion.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_operatingsystem IS 'Agent.DeviceInfo.OperatingSystem.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_capabilities IS 'Agent.Capabilities as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_statetransitions IS 'Agent.StateTransitions as a JSON array.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_arn IS 'Queue.ARN; NULL when the contact was never queued.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_id IS 'Queue id taken from Queue.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_name IS 'Queue.Name.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_enqueuetimestamp IS 'Queue.EnqueueTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_dequeuetimestamp IS 'Queue.DequeueTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_duration IS 'Queue.Duration: seconds in queue.';
COMMENT ON COLUMN connect_lake.ctr_events.customerendpoint_address IS 'CustomerEndpoint.Address (personal data: a phone number or address).';
COMMENT ON COLUMN connect_lake.ctr_events.customerendpoint_type IS 'CustomerEndpoint.Type, e.g. TELEPHONE_NUMBER.';
COMMENT ON COLUMN connect_lake.ctr_events.systemendpoint_address IS 'SystemEndpoint.Address: the number the customer called.';
COMMENT ON COLUMN connect_lake.ctr_events.systemendpoint_type IS 'SystemEndpoint.Type.';
COMMENT ON COLUMN connect_lake.ctr_events.transferredtoendpoint_address IS 'TransferredToEndpoint.Address.';
COMMENT ON COLUMN connect_lake.ctr_events.transferredtoendpoint_type IS 'TransferredToEndpoint.Type.';
COMMENT ON COLUMN connect_lake.ctr_events.mediastreams IS 'MediaStreams as a JSON array.';
COMMENT ON COLUMN connect_lake.ctr_events.recording IS 'Recording object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.recordings IS 'Recordings as a JSON array (fragment numbers kept as strings).';
COMMENT ON COLUMN connect_lake.ctr_events.contact_references IS 'References as a JSON array (renamed: REFERENCES is an SQL keyword).';
COMMENT ON COLUMN connect_lake.ctr_events.campaign_campaignid IS 'Campaign.CampaignId.';
COMMENT ON COLUMN connect_lake.ctr_events.contactlens IS 'ContactLens object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics_agent_audio_qualityscore IS 'QualityMetrics.Agent.Audio.QualityScore (1.00-5.00).';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics_customer_audio_qualityscore IS 'QualityMetrics.Customer.Audio.QualityScore (1.00-5.00).';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics IS 'QualityMetrics object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.chatmetrics IS 'ChatMetrics object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.customervoiceactivity_greetingstarttimestamp IS 'CustomerVoiceActivity.GreetingStartTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.customervoiceactivity_greetingendtimestamp IS 'CustomerVoiceActivity.GreetingEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.disconnectdetails_potentialdisconnectissue IS 'DisconnectDetails.PotentialDisconnectIssue.';
COMMENT ON COLUMN connect_lake.ctr_events.segmentattributes IS 'SegmentAttributes map of typed values as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.routingcriteria IS 'RoutingCriteria as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.wisdominfo_sessionarn IS 'WisdomInfo.SessionArn.';
COMMENT ON COLUMN connect_lake.ctr_events.voiceidresult IS 'VoiceIdResult as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.contactevaluations IS 'ContactEvaluations as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.outboundstrategy IS 'OutboundStrategy as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.additionalemailrecipients IS 'AdditionalEmailRecipients as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.externalthirdparty IS 'ExternalThirdParty as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.contactdetails IS 'ContactDetails map (tasks) as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.tags IS 'Tags map as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes IS 'Attributes: every user-defined contact attribute, keys with their case kept.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_intent IS 'Contact attribute mapped by ctr_attribute_map (default key intent).';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_caseid IS 'Contact attribute mapped by ctr_attribute_map (default key caseId): links the contact to a case.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_accountnumbers IS 'Contact attribute mapped by ctr_attribute_map (default key accountNumbers): comma or space separated account numbers.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_juniferid IS 'Contact attribute mapped by ctr_attribute_map (default key juniferId).';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_agentrating IS 'Contact attribute mapped by ctr_attribute_map: post-contact survey rating of the agent.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_resolutionrating IS 'Contact attribute mapped by ctr_attribute_map: post-contact survey rating of the resolution.';
COMMENT ON COLUMN connect_lake.ctr_events.extra IS 'Every key of the record the mapping does not know, as JSON (nothing is lost when AWS adds fields).';
COMMENT ON COLUMN connect_lake.ctr_events.versions_seen IS 'How many versions of this contact have landed (re-deliveries and updates).';
COMMENT ON COLUMN connect_lake.ctr_events.source_file IS 'File the winning version came from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.ctr_events.source_offset IS 'Byte offset of the winning version in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.ctr_events.landed_at IS 'When the winning version landed in the lake; NULL for a row inserted by hand from ctr_parse().';

-- Which contact attribute feeds which attributes_* column: configuration a
-- DBA edits without recompiling.  The defaults live in a view; the table holds
-- only the DBA's overrides, so it starts empty and pg_dump restores it without
-- colliding with rows the install script would otherwise have created.
CREATE TABLE connect_lake.ctr_attribute_map (
  column_name   name PRIMARY KEY,
  attribute_key text
);
COMMENT ON TABLE connect_lake.ctr_attribute_map IS
  'Overrides of which contact attribute key fills each attributes_* column of ctr_events (defaults: ctr_attribute_map_default).';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.attribute_key IS 'The contact attribute key (exact case) whose value fills the column; NULL leaves the column empty.';

CREATE VIEW connect_lake.ctr_attribute_map_default (column_name, attribute_key) AS
  VALUES ('attributes_intent'::name, 'intent'::text),
         ('attributes_caseid', 'caseId'),
         ('attributes_accountnumbers', 'accountNumbers'),
         ('attributes_juniferid', 'juniferId'),
         ('attributes_csatresults_agentrating', 'csatResults.agentRating'),
         ('attributes_csatresults_resolutionrating', 'csatResults.resolutionRating');
COMMENT ON VIEW connect_lake.ctr_attribute_map_default IS 'Built-in attribute keys of the attributes_* columns.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_default.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_default.attribute_key IS 'Default contact attribute key of the column.';

CREATE VIEW connect_lake.ctr_attribute_map_effective AS
  SELECT d.column_name, CASE WHEN m.column_name IS NULL THEN d.attribute_key ELSE m.attribute_key END AS attribute_key
    FROM connect_lake.ctr_attribute_map_default d
    LEFT JOIN connect_lake.ctr_attribute_map m USING (column_name);
COMMENT ON VIEW connect_lake.ctr_attribute_map_effective IS 'The attribute key each attributes_* column is filled from: the override when there is one, else the default.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_effective.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_effective.attribute_key IS 'The contact attribute key in force (NULL: not filled).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.ctr_attribute_map', '');

-- Dimensions maintained from CTRs as they land.
CREATE TABLE connect_lake.agent_dim (
  agent_id                    uuid PRIMARY KEY,
  agent_arn                   text NOT NULL,
  username                    text,
  routingprofile_arn          text,
  routingprofile_name         text,
  hierarchygroups             jsonb,
  first_seen                  timestamptz NOT NULL,
  last_seen                   timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.agent_dim IS 'Agents seen in CTRs: latest username, routing profile and hierarchy.';
COMMENT ON COLUMN connect_lake.agent_dim.agent_id IS 'Agent id (from the agent ARN).';
COMMENT ON COLUMN connect_lake.agent_dim.agent_arn IS 'Agent ARN.';
COMMENT ON COLUMN connect_lake.agent_dim.username IS 'Latest Agent.Username seen.';
COMMENT ON COLUMN connect_lake.agent_dim.routingprofile_arn IS 'Latest Agent.RoutingProfile.ARN seen.';
COMMENT ON COLUMN connect_lake.agent_dim.routingprofile_name IS 'Latest Agent.RoutingProfile.Name seen.';
COMMENT ON COLUMN connect_lake.agent_dim.hierarchygroups IS 'Latest Agent.HierarchyGroups seen (levels 1-5, ARN and name).';
COMMENT ON COLUMN connect_lake.agent_dim.first_seen IS 'Earliest contact initiation time of the agent seen in CTRs.';
COMMENT ON COLUMN connect_lake.agent_dim.last_seen IS 'Latest contact initiation time of the agent seen in CTRs.';

CREATE TABLE connect_lake.queue_dim (
  queue_id    uuid PRIMARY KEY,
  queue_arn   text NOT NULL,
  queue_name  text,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.queue_dim IS 'Queues seen in CTRs with their latest name (history in queue_name_history).';
COMMENT ON COLUMN connect_lake.queue_dim.queue_id IS 'Queue id (from the queue ARN).';
COMMENT ON COLUMN connect_lake.queue_dim.queue_arn IS 'Queue ARN.';
COMMENT ON COLUMN connect_lake.queue_dim.queue_name IS 'Latest Queue.Name seen.';
COMMENT ON COLUMN connect_lake.queue_dim.first_seen IS 'Earliest contact initiation time seen in this queue.';
COMMENT ON COLUMN connect_lake.queue_dim.last_seen IS 'Latest contact initiation time seen in this queue.';

CREATE TABLE connect_lake.queue_name_history (
  queue_id    uuid NOT NULL,
  queue_name  text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (queue_id, queue_name)
);
COMMENT ON TABLE connect_lake.queue_name_history IS 'Every name a queue has carried, with when it was first and last seen.';
COMMENT ON COLUMN connect_lake.queue_name_history.queue_id IS 'Queue id (from the queue ARN).';
COMMENT ON COLUMN connect_lake.queue_name_history.queue_name IS 'A name the queue carried.';
COMMENT ON COLUMN connect_lake.queue_name_history.first_seen IS 'Earliest contact seen under this name.';
COMMENT ON COLUMN connect_lake.queue_name_history.last_seen IS 'Latest contact seen under this name.';

-- Contacts linked to customer account numbers.
CREATE TABLE connect_lake.contact_account (
  contactid        uuid NOT NULL,
  account          text NOT NULL,
  source           text NOT NULL,
  initiationtimestamp timestamptz NOT NULL,
  PRIMARY KEY (contactid, account)
);
CREATE INDEX contact_account_account_idx ON connect_lake.contact_account (account);
COMMENT ON TABLE connect_lake.contact_account IS 'One row per (contact, account number) from the account attributes of CTRs; joins contacts to case_events.account.';
COMMENT ON COLUMN connect_lake.contact_account.contactid IS 'ContactId of the CTR.';
COMMENT ON COLUMN connect_lake.contact_account.account IS 'A customer account number (or Junifer id) named by the contact.';
COMMENT ON COLUMN connect_lake.contact_account.source IS 'The ctr_events column the number came from (attributes_accountnumbers or attributes_juniferid).';
COMMENT ON COLUMN connect_lake.contact_account.initiationtimestamp IS 'InitiationTimestamp of the contact.';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.agent_dim', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.queue_dim', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.queue_name_history', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_account', '');

-- Parsing.
--
-- ctr_parse(doc, attribute_map) depends on its arguments alone: IMMUTABLE,
-- for generated columns, indexes and Citus.  ctr_parse(doc) fills the
-- attributes_* columns from the configured map (ctr_attribute_map_effective),
-- so it reads a table: STABLE.  Both give the same row for the same map:
--   ctr_parse(doc) = ctr_parse(doc, connect_lake.ctr_attribute_map_json())
CREATE FUNCTION connect_lake.ctr_parse(doc jsonb, attribute_map jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_jsonb_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(jsonb, jsonb) IS
  'One contact trace record (jsonb) as a typed connect_lake.ctr row, the attributes_* columns filled by the given map {"attributes_intent": "intent", ...} (columns it does not name stay NULL). Depends only on its arguments.';

CREATE FUNCTION connect_lake.ctr_parse(doc text, attribute_map jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_text_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(text, jsonb) IS
  'One contact trace record as raw JSON text (as it lies in a file) as a typed connect_lake.ctr row, the attributes_* columns filled by the given map.';

CREATE FUNCTION connect_lake.ctr_parse(doc jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_jsonb'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(jsonb) IS
  'One contact trace record (jsonb) as a typed connect_lake.ctr row; unknown keys kept in extra; attributes_* columns by the configured ctr_attribute_map. Errors name the field and the contact id.';

CREATE FUNCTION connect_lake.ctr_parse(doc text) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_text'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(text) IS
  'One contact trace record as raw JSON text (as it lies in a file) as a typed connect_lake.ctr row; attributes_* columns by the configured ctr_attribute_map.';

CREATE FUNCTION connect_lake.ctr_attribute_map_json() RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT jsonb_object_agg(column_name, attribute_key ORDER BY column_name)
      FROM connect_lake.ctr_attribute_map_effective
  $fn$;
COMMENT ON FUNCTION connect_lake.ctr_attribute_map_json() IS
  'The attribute map in force (ctr_attribute_map_effective) as the jsonb object ctr_parse(doc, attribute_map) takes.';

-- Parsers cache the configured map per session; editing it tells every session.
CREATE FUNCTION connect_lake.ctr_attribute_map_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'ctr_attribute_map_changed'
  LANGUAGE C;
COMMENT ON FUNCTION connect_lake.ctr_attribute_map_changed() IS
  'Trigger of ctr_attribute_map: makes every session reload the attribute map at commit.';
CREATE TRIGGER ctr_attribute_map_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.ctr_attribute_map
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.ctr_attribute_map_changed();

-- Streaming entry point: one record of any kind, landed like a file record.
CREATE FUNCTION connect_lake.ingest(kind text, doc jsonb) RETURNS text
  AS 'MODULE_PATHNAME', 'cl_ingest'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest(text, jsonb) IS
  'Lands one record of a kind (ctr, ...) from a streaming pipeline: parsed as its kind''s parser does and written like load() (CTRs: the latest version wins). Returns inserted, updated or duplicate (loader role).';

CREATE FUNCTION connect_lake.ingest_batch(kind text, docs jsonb[],
                                    OUT inserted bigint, OUT updated bigint, OUT duplicates bigint)
  AS 'MODULE_PATHNAME', 'cl_ingest_array'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) IS
  'Lands a micro-batch of records of one kind (e.g. one Kinesis batch) in batched statements; returns how many were inserted, updated (newer CTR versions) and duplicates. A bad record fails the call (loader role).';

-- ==== sql/install/30_contact_flow_log.sql
-- Contact flow logs: one row per flow block executed (CloudWatch Logs).
--
-- connect_lake.flow_log_event is the row type of contact_flow_log (a typed
-- table), the result of contact_flow_log_parse() and the shape the file
-- loader maps each log event onto (src/flowlog.c describes the fields once).

CREATE TYPE connect_lake.flow_log_event AS (
  contactid              uuid,
  "timestamp"            timestamptz,
  contactflowid          text,
  contactflowname        text,
  contactflowmoduletype  text,
  identifier             text,
  parameters             jsonb,
  results                text,
  externalresults        jsonb,
  moduleexecutionstack   jsonb,
  log_group              text,
  log_stream             text,
  extra                  jsonb,
  source_file            text,
  source_offset          bigint,
  landed_at              timestamptz
);

COMMENT ON TYPE connect_lake.flow_log_event IS
  'One contact flow log event as typed columns: the row type of contact_flow_log and the result of contact_flow_log_parse().';

CREATE TABLE connect_lake.contact_flow_log OF connect_lake.flow_log_event (
  contactid   WITH OPTIONS NOT NULL,
  "timestamp" WITH OPTIONS NOT NULL,
  landed_at   WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE ("timestamp");

INSERT INTO connect_lake.fact_table VALUES
  ('contact_flow_log', '{contactid,timestamp,identifier,contactflowmoduletype}', 'UNIQUE NULLS NOT DISTINCT', '{}');

COMMENT ON TABLE connect_lake.contact_flow_log IS
  'Contact flow log events, one row per flow block executed; de-duplicated on (contactid, timestamp, identifier, contactflowmoduletype). Monthly partitions on timestamp (UTC).';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactid IS 'ContactId of the contact running the flow.';
COMMENT ON COLUMN connect_lake.contact_flow_log."timestamp" IS 'Timestamp: when the block ran (partition key).';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowid IS 'ContactFlowId: ARN of the contact flow or flow module.';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowname IS 'ContactFlowName.';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowmoduletype IS 'ContactFlowModuleType: the block type, e.g. SetQueue, InvokeExternalResource (open-ended).';
COMMENT ON COLUMN connect_lake.contact_flow_log.identifier IS 'Identifier: the block''s label or UUID.';
COMMENT ON COLUMN connect_lake.contact_flow_log.parameters IS 'Parameters of the block as JSON (very old logs call it Events).';
COMMENT ON COLUMN connect_lake.contact_flow_log.results IS 'Results text, e.g. "The Lambda Function Returned An Error."';
COMMENT ON COLUMN connect_lake.contact_flow_log.externalresults IS 'ExternalResults: the Lambda response map, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.moduleexecutionstack IS 'ModuleExecutionStack: array of flow module ARNs, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.log_group IS 'CloudWatch log group the event came from, when the envelope says.';
COMMENT ON COLUMN connect_lake.contact_flow_log.log_stream IS 'CloudWatch log stream the event came from, when the envelope says.';
COMMENT ON COLUMN connect_lake.contact_flow_log.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.contact_flow_log.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.contact_flow_log.landed_at IS 'When the row landed in the lake.';

-- Parsing.
CREATE FUNCTION connect_lake.contact_flow_log_parse(doc jsonb) RETURNS connect_lake.flow_log_event
  AS 'MODULE_PATHNAME', 'contact_flow_log_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_flow_log_parse(jsonb) IS
  'One contact flow log event (the JSON message of a CloudWatch log event) as a typed connect_lake.flow_log_event row; unknown keys kept in extra. Errors name the field and the contact id.';

CREATE FUNCTION connect_lake.contact_flow_log_parse(doc text) RETURNS connect_lake.flow_log_event
  AS 'MODULE_PATHNAME', 'contact_flow_log_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_flow_log_parse(text) IS
  'One contact flow log event as raw JSON text (as it lies in a log message) as a typed connect_lake.flow_log_event row.';

-- ==== sql/install/40_contact_events.sql
-- Contact events (EventBridge, detail-type "Amazon Connect Contact Event").

CREATE TYPE connect_lake.contact_event AS (
  id                                          text,
  "time"                                      timestamptz,
  detail_contactid                            uuid,
  version                                     text,
  detail_type                                 text,
  source                                      text,
  aws_account                                 text,
  region                                      text,
  resources                                   jsonb,
  detail_eventtype                            text,
  detail_channel                              text,
  detail_initiationmethod                     text,
  detail_initialcontactid                     uuid,
  detail_previouscontactid                    uuid,
  detail_relatedcontactid                     uuid,
  detail_instancearn                          text,
  detail_initiationtimestamp                  timestamptz,
  detail_connectedtosystemtimestamp           timestamptz,
  detail_disconnecttimestamp                  timestamptz,
  detail_queueinfo_queuearn                   text,
  detail_queueinfo_queuetype                  text,
  detail_queueinfo_enqueuetimestamp           timestamptz,
  detail_agentinfo_agentarn                   text,
  detail_agentinfo_connectedtoagenttimestamp  timestamptz,
  detail_agentinfo_hierarchygroups            jsonb,
  detail_updatedproperties                    jsonb,
  detail_tags                                 jsonb,
  detail_routingcriteria                      jsonb,
  detail_contactlens                          jsonb,
  detail_segmentattributes                    jsonb,
  extra                                       jsonb,
  source_file                                 text,
  source_offset                               bigint,
  landed_at                                   timestamptz
);
COMMENT ON TYPE connect_lake.contact_event IS
  'One contact event as typed columns: the row type of contact_events and the result of contact_event_parse().';

CREATE TABLE connect_lake.contact_events OF connect_lake.contact_event (
  id                WITH OPTIONS NOT NULL,
  "time"            WITH OPTIONS NOT NULL,
  detail_contactid  WITH OPTIONS NOT NULL,
  landed_at         WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE ("time");


INSERT INTO connect_lake.fact_table VALUES
  ('contact_events', '{detail_contactid,time,id}', 'PRIMARY KEY', ARRAY['(id)']::text[]);

COMMENT ON TABLE connect_lake.contact_events IS
  'Amazon Connect contact events from EventBridge, one row per event, de-duplicated by event id. Monthly partitions on time (UTC).';
COMMENT ON COLUMN connect_lake.contact_events.id IS 'EventBridge event id.';
COMMENT ON COLUMN connect_lake.contact_events."time" IS 'EventBridge event time (partition key).';
COMMENT ON COLUMN connect_lake.contact_events.detail_contactid IS 'detail.contactId.';
COMMENT ON COLUMN connect_lake.contact_events.version IS 'EventBridge envelope version.';
COMMENT ON COLUMN connect_lake.contact_events.detail_type IS 'EventBridge detail-type.';
COMMENT ON COLUMN connect_lake.contact_events.source IS 'EventBridge source (aws.connect).';
COMMENT ON COLUMN connect_lake.contact_events.aws_account IS 'EventBridge account: the AWS account id.';
COMMENT ON COLUMN connect_lake.contact_events.region IS 'EventBridge region.';
COMMENT ON COLUMN connect_lake.contact_events.resources IS 'EventBridge resources array as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_eventtype IS 'detail.eventType: INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, ... (upper case).';
COMMENT ON COLUMN connect_lake.contact_events.detail_channel IS 'detail.channel, upper case (Voice -> VOICE).';
COMMENT ON COLUMN connect_lake.contact_events.detail_initiationmethod IS 'detail.initiationMethod, upper case.';
COMMENT ON COLUMN connect_lake.contact_events.detail_initialcontactid IS 'detail.initialContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_previouscontactid IS 'detail.previousContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_relatedcontactid IS 'detail.relatedContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_instancearn IS 'detail.instanceArn (also instanceARN).';
COMMENT ON COLUMN connect_lake.contact_events.detail_initiationtimestamp IS 'detail.initiationTimestamp (the 1970-01-01T00:00:00.001Z placeholder reads as NULL).';
COMMENT ON COLUMN connect_lake.contact_events.detail_connectedtosystemtimestamp IS 'detail.connectedToSystemTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_disconnecttimestamp IS 'detail.disconnectTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_queuearn IS 'detail.queueInfo.queueArn.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_queuetype IS 'detail.queueInfo.queueType: STANDARD, AGENT, OUTBOUND.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_enqueuetimestamp IS 'detail.queueInfo.enqueueTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_agentarn IS 'detail.agentInfo.agentArn (also AgentInfo.AgentArn).';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_connectedtoagenttimestamp IS 'detail.agentInfo.connectedToAgentTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_hierarchygroups IS 'detail.agentInfo.hierarchyGroups as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_updatedproperties IS 'detail.updatedProperties array as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_tags IS 'detail.tags map as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_routingcriteria IS 'detail.routingCriteria as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_contactlens IS 'detail.contactLens as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_segmentattributes IS 'detail.segmentAttributes as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.contact_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.contact_events.landed_at IS 'When the row landed in the lake.';

CREATE FUNCTION connect_lake.contact_event_parse(doc jsonb) RETURNS connect_lake.contact_event
  AS 'MODULE_PATHNAME', 'contact_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_event_parse(jsonb) IS
  'One contact event (EventBridge, jsonb) as a typed connect_lake.contact_event row: keys matched case-insensitively (instanceARN, AgentInfo), enumerations upper-cased (Voice -> VOICE), the 1970-01-01T00:00:00.001Z placeholder read as NULL; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.contact_event_parse(doc text) RETURNS connect_lake.contact_event
  AS 'MODULE_PATHNAME', 'contact_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_event_parse(text) IS
  'One contact event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.contact_event row.';

-- ==== sql/install/50_case_events.sql
-- Amazon Connect Cases events (EventBridge, source aws.cases).

CREATE TYPE connect_lake.case_event AS (
  id                                            text,
  detail_case_caseid                            text,
  detail_approximatechangetime                  timestamptz,
  account                                       text,
  detail_event_type                             text,
  detail_case_createddatetime                   timestamptz,
  detail_case_templateid                        text,
  detail_case_fields_status                     text,
  detail_case_fields_title                      text,
  detail_case_fields_description                text,
  detail_case_fields_summary                    text,
  detail_case_fields_reference_number           text,
  detail_case_fields_customer_id                text,
  detail_case_fields_level_1                    text,
  detail_case_fields_level_2                    text,
  detail_case_fields_level_3                    text,
  detail_case_fields_case_reason                text,
  detail_case_fields_assigned_user              text,
  detail_case_fields_assigned_agent_name        text,
  detail_case_fields_assigned_queue             text,
  detail_case_fields_queue_name                 text,
  detail_case_fields_is_complaint               boolean,
  detail_case_fields_complaint_status           text,
  detail_case_fields_complaint_type             text,
  detail_case_fields_complaint_subject          text,
  detail_case_fields_complaint_subject_2        text,
  detail_case_fields_complaint_reason           text,
  detail_case_fields_complaint_goodwill_amount  numeric(12,2),
  detail_case_fields_complaint_resolved         boolean,
  detail_case_fields_ombudsman_case             boolean,
  detail_case_fields_original_creation_date     timestamptz,
  detail_case_fields_last_updated_datetime      timestamptz,
  detail_case_fields_last_closed_datetime       timestamptz,
  detail_case_fields_last_reopened_datetime     timestamptz,
  detail_case_fields_due_date                   timestamptz,
  detail_case_fields_is_overdue                 boolean,
  detail_case_fields_other                      jsonb,
  detail_changedfieldids                        jsonb,
  detail_performedby_userarn                    text,
  detail_performedby_iamprincipalarn            text,
  detail_version                                text,
  detail_type                                   text,
  source                                        text,
  aws_account                                   text,
  "time"                                        timestamptz,
  region                                        text,
  resources                                     jsonb,
  extra                                         jsonb,
  source_file                                   text,
  source_offset                                 bigint,
  meta_enriched_landed_date                     timestamptz
);
COMMENT ON TYPE connect_lake.case_event IS
  'One Cases CASE.* event as typed columns: the row type of case_events and the result of case_event_parse().';

CREATE TABLE connect_lake.case_events OF connect_lake.case_event (
  id                            WITH OPTIONS NOT NULL,
  detail_case_caseid            WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  meta_enriched_landed_date     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);


INSERT INTO connect_lake.fact_table VALUES
  ('case_events', '{detail_case_caseid,detail_approximatechangetime,id}', 'PRIMARY KEY', ARRAY['(id)', '(detail_case_createddatetime)', '(account) WHERE account IS NOT NULL', '(meta_enriched_landed_date)']::text[]);

COMMENT ON TABLE connect_lake.case_events IS
  'Amazon Connect Cases events (CASE.CREATED, CASE.UPDATED, CASE.DELETED): every event kept, the case as it stood after the change. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_events.id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_caseid IS 'detail.case.caseId.';
COMMENT ON COLUMN connect_lake.case_events.detail_approximatechangetime IS 'detail.approximateChangeTime: orders the events of a case (partition key).';
COMMENT ON COLUMN connect_lake.case_events.account IS 'The customer''s account number, from the customer or account field of the case.';
COMMENT ON COLUMN connect_lake.case_events.detail_event_type IS 'detail.eventType: CASE.CREATED, CASE.UPDATED, CASE.DELETED.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_createddatetime IS 'detail.case.createdDateTime: when the case was created.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_templateid IS 'detail.case.templateId.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_status IS 'Case field status: open, closed or a custom status.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_title IS 'Case field title.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_description IS 'Case field description (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_summary IS 'Case field summary.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_reference_number IS 'Case field reference_number.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_customer_id IS 'Case field customer_id: a Customer Profiles ARN.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_1 IS 'Level 1 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_2 IS 'Level 2 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_level_3 IS 'Level 3 category (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_case_reason IS 'Case field case_reason.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_user IS 'Assigned user ARN (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_agent_name IS 'Assigned agent''s name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_assigned_queue IS 'Assigned queue (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_queue_name IS 'Queue name (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_complaint IS 'Whether the case is a complaint (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_status IS 'Complaint status (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_type IS 'Complaint type (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject IS 'Complaint subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_subject_2 IS 'Complaint secondary subject (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_reason IS 'Complaint reason (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_goodwill_amount IS 'Goodwill paid on the complaint, in the account''s currency (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_complaint_resolved IS 'Whether the complaint is resolved (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_ombudsman_case IS 'Whether the complaint went to the ombudsman (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_original_creation_date IS 'Original creation date of a migrated case (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_updated_datetime IS 'Case field last_updated_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_closed_datetime IS 'Case field last_closed_datetime.';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_last_reopened_datetime IS 'When the case was last reopened (custom field mapped by case_field_map).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_due_date IS 'Due date: created + 2 working days (working_days_add on the default calendar).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_is_overdue IS 'Whether the case was open and past its due date when the row landed (live answer: case_current).';
COMMENT ON COLUMN connect_lake.case_events.detail_case_fields_other IS 'Case fields no column is mapped to, keyed by field id, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_changedfieldids IS 'detail.changedFieldIds array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_events.detail_version IS 'detail.version.';
COMMENT ON COLUMN connect_lake.case_events.detail_type IS 'EventBridge detail-type: Amazon Connect Cases Change (older: Amazon Connect Cases Event).';
COMMENT ON COLUMN connect_lake.case_events.source IS 'EventBridge source (aws.cases).';
COMMENT ON COLUMN connect_lake.case_events.aws_account IS 'EventBridge account: the AWS account id.';
COMMENT ON COLUMN connect_lake.case_events."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_events.region IS 'EventBridge region.';
COMMENT ON COLUMN connect_lake.case_events.resources IS 'EventBridge resources array as JSON.';
COMMENT ON COLUMN connect_lake.case_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_events.meta_enriched_landed_date IS 'When the row landed in the lake.';

CREATE TYPE connect_lake.case_related_item AS (
  id                                  text,
  detail_relateditem_caseid           text,
  detail_approximatechangetime        timestamptz,
  detail_event_type                   text,
  detail_relateditem_relateditemid    text,
  detail_relateditem_relateditemtype  text,
  detail_relateditem_createddatetime  timestamptz,
  comment_body                        text,
  contact_arn                         text,
  contactid                           uuid,
  detail_changedattributes            jsonb,
  detail_performedby_userarn          text,
  detail_performedby_iamprincipalarn  text,
  "time"                              timestamptz,
  extra                               jsonb,
  source_file                         text,
  source_offset                       bigint,
  landed_at                           timestamptz
);
COMMENT ON TYPE connect_lake.case_related_item IS
  'One Cases RELATED_ITEM.* event as typed columns: the row type of case_related_items and the result of case_related_item_parse().';

CREATE TABLE connect_lake.case_related_items OF connect_lake.case_related_item (
  id                            WITH OPTIONS NOT NULL,
  detail_relateditem_caseid     WITH OPTIONS NOT NULL,
  detail_approximatechangetime  WITH OPTIONS NOT NULL,
  landed_at                     WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (detail_approximatechangetime);

INSERT INTO connect_lake.fact_table VALUES
  ('case_related_items', '{detail_relateditem_caseid,detail_approximatechangetime,id}', 'PRIMARY KEY', ARRAY['(id)', '(detail_relateditem_relateditemid)', '(contactid) WHERE contactid IS NOT NULL']::text[]);

COMMENT ON TABLE connect_lake.case_related_items IS
  'Cases RELATED_ITEM.* events: comments and contacts linked to a case. Monthly partitions on detail_approximatechangetime (UTC).';
COMMENT ON COLUMN connect_lake.case_related_items.id IS 'EventBridge event id (de-duplication key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_caseid IS 'detail.relatedItem.caseId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_approximatechangetime IS 'detail.approximateChangeTime (partition key).';
COMMENT ON COLUMN connect_lake.case_related_items.detail_event_type IS 'detail.eventType: RELATED_ITEM.CREATED, RELATED_ITEM.UPDATED, RELATED_ITEM.DELETED.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemid IS 'detail.relatedItem.relatedItemId.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_relateditemtype IS 'detail.relatedItem.relatedItemType: Comment or Contact.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_relateditem_createddatetime IS 'detail.relatedItem.createdDateTime.';
COMMENT ON COLUMN connect_lake.case_related_items.comment_body IS 'detail.relatedItem.comment.body.';
COMMENT ON COLUMN connect_lake.case_related_items.contact_arn IS 'detail.relatedItem.contact.contactArn.';
COMMENT ON COLUMN connect_lake.case_related_items.contactid IS 'Contact id taken from contact_arn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_changedattributes IS 'detail.changedAttributes array as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_userarn IS 'detail.performedBy.user.userArn.';
COMMENT ON COLUMN connect_lake.case_related_items.detail_performedby_iamprincipalarn IS 'detail.performedBy.iamPrincipalArn.';
COMMENT ON COLUMN connect_lake.case_related_items."time" IS 'EventBridge event time.';
COMMENT ON COLUMN connect_lake.case_related_items.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.case_related_items.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.case_related_items.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.case_related_items.landed_at IS 'When the row landed in the lake.';

-- Custom case fields are keyed by UUID in Connect: this map names them.
CREATE TABLE connect_lake.case_field_map (
  field_id     text PRIMARY KEY,
  column_name  name NOT NULL
               CHECK (column_name = 'account'
                      OR (column_name LIKE 'detail\_case\_fields\_%'
                          AND column_name NOT IN ('detail_case_fields_due_date', 'detail_case_fields_is_overdue',
                                                  'detail_case_fields_other'))),
  field_name   text,
  field_type   text
);
COMMENT ON TABLE connect_lake.case_field_map IS
  'Maps Cases field ids (custom fields are UUIDs) onto detail_case_fields_* columns of case_events; unmapped fields land in detail_case_fields_other.';
COMMENT ON COLUMN connect_lake.case_field_map.field_id IS 'The Cases field id (system name such as status, or a UUID).';
COMMENT ON COLUMN connect_lake.case_field_map.column_name IS 'The case_events column the field fills: account or a detail_case_fields_* column (not due_date, is_overdue, other).';
COMMENT ON COLUMN connect_lake.case_field_map.field_name IS 'The field''s display name (from ListFields).';
COMMENT ON COLUMN connect_lake.case_field_map.field_type IS 'The field''s type (from ListFields): Text, Number, Boolean, DateTime, SingleSelect, Url, User.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_field_map', '');

-- ==== Parsing
--
-- A field of detail.case.fields lands in the column case_field_map names for
-- its id, else in detail_case_fields_<id> when there is one (the system
-- fields), else in detail_case_fields_other.  Tagged values are converted to
-- the column's type: text takes any value; boolean a booleanValue or a string
-- true/false/yes/no; numeric a doubleValue or a decimal string; timestamptz an
-- ISO-8601 stringValue (YYYY-MM-DD alone is midnight UTC) or a doubleValue of
-- epoch milliseconds; emptyValue is NULL.  account is the field mapped to
-- account, else the profile id at the end of the customer_id ARN.
CREATE FUNCTION connect_lake.case_event_parse(doc jsonb) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_jsonb'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(jsonb) IS
  'One Cases CASE.* event (detail-type Amazon Connect Cases Change or Cases Event) as a typed connect_lake.case_event row: fields mapped through case_field_map, due date = created + 2 working days (default calendar), overdue and landed date as of now. STABLE: reads case_field_map and the calendar.';

CREATE FUNCTION connect_lake.case_event_parse(doc text) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_text'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(text) IS
  'One Cases CASE.* event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.case_event row; as case_event_parse(jsonb) otherwise.';

CREATE FUNCTION connect_lake.case_event_parse(doc jsonb, field_map jsonb) RETURNS connect_lake.case_event
  AS 'MODULE_PATHNAME', 'case_event_parse_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_event_parse(jsonb, jsonb) IS
  'case_event_parse() with the field map given as {"field id": "column", ...} (e.g. case_field_map_json()): IMMUTABLE, for distributed INSERT ... SELECT; leaves due date, overdue and landed date NULL.';

CREATE FUNCTION connect_lake.case_related_item_parse(doc jsonb) RETURNS connect_lake.case_related_item
  AS 'MODULE_PATHNAME', 'case_related_item_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.case_related_item_parse(jsonb) IS
  'One Cases RELATED_ITEM.* event (a comment or a linked contact) as a typed connect_lake.case_related_item row.';

CREATE FUNCTION connect_lake.case_field_map_json() RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$ SELECT coalesce(jsonb_object_agg(field_id, column_name::text), '{}') FROM connect_lake.case_field_map $fn$;
COMMENT ON FUNCTION connect_lake.case_field_map_json() IS
  'case_field_map as a JSON object {"field id": "column"}: the second argument of the IMMUTABLE case_event_parse(doc, field_map).';

-- Fill case_field_map from a saved ListFields response
-- ({"fields": [{"fieldId", "name", "type", "namespace"}, ...]}, every page's
-- fields in one array).  A field is matched to a column by `names`
-- ({"field name": "column"}: an explicit list, exact names) or else by its
-- normalised name: lower case, runs of anything but letters and digits as
-- '_', so "Level 1" -> detail_case_fields_level_1 and "Is complaint?" ->
-- detail_case_fields_is_complaint; names "account", "account number",
-- "account no" fill account.  System fields (status, title ...) need no map.
CREATE FUNCTION connect_lake.case_field_map_load(list_fields jsonb, names jsonb DEFAULT '{}')
RETURNS TABLE (field_id text, field_name text, field_type text, column_name name, action text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  f     jsonb;
  norm  text;
  col   text;
BEGIN
  IF jsonb_typeof(list_fields -> 'fields') IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'ListFields response has no "fields" array'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass the JSON of aws connectcases list-fields --domain-id ..., e.g. {"fields": [{"fieldId": "...", "name": "...", "type": "Text"}]}.';
  END IF;
  FOR f IN SELECT * FROM jsonb_array_elements(list_fields -> 'fields') LOOP
    field_id   := f ->> 'fieldId';
    field_name := f ->> 'name';
    field_type := f ->> 'type';
    column_name := NULL;
    IF field_id IS NULL THEN
      CONTINUE;
    END IF;
    col := coalesce(names ->> field_name, names ->> field_id);
    IF col IS NULL THEN
      norm := trim(BOTH '_' FROM regexp_replace(lower(coalesce(field_name, '')), '[^a-z0-9]+', '_', 'g'));
      col := CASE WHEN norm IN ('account', 'account_number', 'account_no', 'account_num') THEN 'account'
                  ELSE 'detail_case_fields_' || norm END;
    END IF;
    IF f ->> 'namespace' = 'System'
       OR EXISTS (SELECT 1 FROM pg_attribute a
                   WHERE a.attrelid = 'connect_lake.case_events'::regclass
                     AND a.attname = 'detail_case_fields_' || field_id AND NOT a.attisdropped) THEN
      action := 'system';          -- fills its column without a map
    ELSIF col NOT IN ('detail_case_fields_due_date', 'detail_case_fields_is_overdue', 'detail_case_fields_other')
       AND EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = 'connect_lake.case_events'::regclass
                      AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped)
       AND (col = 'account' OR col LIKE 'detail\_case\_fields\_%') THEN
      column_name := col;
      INSERT INTO connect_lake.case_field_map AS m (field_id, column_name, field_name, field_type)
      VALUES (case_field_map_load.field_id, col, case_field_map_load.field_name, case_field_map_load.field_type)
      ON CONFLICT ON CONSTRAINT case_field_map_pkey DO UPDATE
        SET column_name = excluded.column_name, field_name = excluded.field_name, field_type = excluded.field_type;
      action := 'mapped';
    ELSE
      action := 'unmatched';       -- lands in detail_case_fields_other
    END IF;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_field_map_load(jsonb, jsonb) IS
  'Fills case_field_map from a saved ListFields response, matching each field to a column by the names argument ({"field name": "column"}) or by its normalised name; returns every field with its column and action (mapped, system, unmatched).';

-- ==== Case state: the latest event of every case
--
-- One row per case: its latest CASE.* event by (approximateChangeTime, id),
-- deleted cases included (detail_event_type CASE.DELETED; case_current leaves
-- them out).  Maintained set-wise by case_state_refresh(), which ingest() and
-- load() run after writing case events; run it after hand-written INSERTs.
-- Order-independent and idempotent: an older or repeated event never
-- replaces a newer one.  A CASE.DELETED event that carries no fields keeps
-- the case's last known fields (only the event columns change), so that
-- counts of cases created still see the deleted ones.
CREATE TABLE connect_lake.case_state OF connect_lake.case_event (
  detail_case_caseid           WITH OPTIONS PRIMARY KEY,
  detail_approximatechangetime WITH OPTIONS NOT NULL,
  id                           WITH OPTIONS NOT NULL
);
-- Partial, covering indexes: the case views answer from them alone (index-only scans).
CREATE INDEX case_state_created_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_event_type, detail_case_fields_status, detail_case_fields_is_complaint, detail_case_fields_level_1);
CREATE INDEX case_state_open_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_case_fields_is_complaint)
  WHERE detail_event_type IS DISTINCT FROM 'CASE.DELETED'
    AND coalesce(lower(detail_case_fields_status), 'open') <> 'closed';
CREATE INDEX case_state_complaint_idx ON connect_lake.case_state (detail_case_createddatetime)
  INCLUDE (detail_event_type, detail_case_fields_status, detail_case_fields_complaint_subject,
           detail_case_fields_complaint_goodwill_amount, detail_case_fields_complaint_resolved,
           detail_case_fields_ombudsman_case)
  WHERE detail_case_fields_is_complaint;
CREATE INDEX case_state_account_idx ON connect_lake.case_state (account) WHERE account IS NOT NULL;
CREATE INDEX case_state_changed_idx ON connect_lake.case_state (detail_approximatechangetime)
  INCLUDE (detail_case_createddatetime);
-- How many cases are open: without this the planner guesses the views' open
-- filter keeps almost every case and scans instead of using case_state_open_idx.
CREATE STATISTICS connect_lake.case_state_open_stx ON (coalesce(lower(detail_case_fields_status), 'open'))
  FROM connect_lake.case_state;
COMMENT ON TABLE connect_lake.case_state IS
  'The latest event of every case (by approximateChangeTime, then event id), deleted cases included: what case_current and the case views read. Maintained by case_state_refresh().';
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS d
             FROM pg_attribute a
            WHERE a.attrelid = 'connect_lake.case_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped LOOP
    EXECUTE format('COMMENT ON COLUMN connect_lake.case_state.%I IS %L', r.attname, 'Of the case''s latest event: ' || r.d);
  END LOOP;
END
$comments$;
SELECT pg_catalog.pg_extension_config_dump('connect_lake.case_state', '');

CREATE FUNCTION connect_lake.case_state_refresh(since timestamptz DEFAULT '-infinity', case_ids text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  changed bigint;
BEGIN
  -- Planned per call (EXECUTE): the index on meta_enriched_landed_date for a
  -- since, the partitions' keys for a list of cases.
  EXECUTE format($q$
  WITH latest AS (
    SELECT DISTINCT ON (e.detail_case_caseid) e
      FROM connect_lake.case_events e
     WHERE %s
     ORDER BY e.detail_case_caseid, e.detail_approximatechangetime DESC, e.id DESC
  ), merged AS (
    -- A CASE.DELETED event that carries no fields keeps the fields of the
    -- case's latest event that has them: only its event columns change.
    SELECT CASE WHEN p.f IS NULL THEN l.e
                ELSE jsonb_populate_record(p.f, jsonb_build_object(
                       'id', (l.e).id, 'detail_approximatechangetime', (l.e).detail_approximatechangetime,
                       'detail_event_type', (l.e).detail_event_type,
                       'detail_changedfieldids', (l.e).detail_changedfieldids,
                       'detail_performedby_userarn', (l.e).detail_performedby_userarn,
                       'detail_performedby_iamprincipalarn', (l.e).detail_performedby_iamprincipalarn,
                       'detail_type', (l.e).detail_type, 'time', (l.e)."time",
                       'source_file', (l.e).source_file, 'source_offset', (l.e).source_offset,
                       'meta_enriched_landed_date', (l.e).meta_enriched_landed_date)) END AS r
      FROM latest l
      LEFT JOIN LATERAL (
        SELECT f FROM connect_lake.case_events f
         WHERE (l.e).detail_event_type = 'CASE.DELETED' AND (l.e).detail_case_createddatetime IS NULL
           AND f.detail_case_caseid = (l.e).detail_case_caseid AND f.detail_case_createddatetime IS NOT NULL
         ORDER BY f.detail_approximatechangetime DESC, f.id DESC LIMIT 1) p ON true
  ), up AS (
    INSERT INTO connect_lake.case_state AS s
    SELECT (m.r).* FROM merged m
    ON CONFLICT (detail_case_caseid) DO UPDATE
       SET (id, detail_approximatechangetime, account, detail_event_type, detail_case_createddatetime,
            detail_case_templateid, detail_case_fields_status, detail_case_fields_title,
            detail_case_fields_description, detail_case_fields_summary, detail_case_fields_reference_number,
            detail_case_fields_customer_id, detail_case_fields_level_1, detail_case_fields_level_2,
            detail_case_fields_level_3, detail_case_fields_case_reason, detail_case_fields_assigned_user,
            detail_case_fields_assigned_agent_name, detail_case_fields_assigned_queue,
            detail_case_fields_queue_name, detail_case_fields_is_complaint, detail_case_fields_complaint_status,
            detail_case_fields_complaint_type, detail_case_fields_complaint_subject,
            detail_case_fields_complaint_subject_2, detail_case_fields_complaint_reason,
            detail_case_fields_complaint_goodwill_amount, detail_case_fields_complaint_resolved,
            detail_case_fields_ombudsman_case, detail_case_fields_original_creation_date,
            detail_case_fields_last_updated_datetime, detail_case_fields_last_closed_datetime,
            detail_case_fields_last_reopened_datetime, detail_case_fields_due_date,
            detail_case_fields_is_overdue, detail_case_fields_other, detail_changedfieldids,
            detail_performedby_userarn, detail_performedby_iamprincipalarn, detail_version, detail_type,
            source, aws_account, "time", region, resources, extra, source_file, source_offset,
            meta_enriched_landed_date)
         = (excluded.id, excluded.detail_approximatechangetime, excluded.account, excluded.detail_event_type,
            excluded.detail_case_createddatetime, excluded.detail_case_templateid, excluded.detail_case_fields_status,
            excluded.detail_case_fields_title, excluded.detail_case_fields_description,
            excluded.detail_case_fields_summary, excluded.detail_case_fields_reference_number,
            excluded.detail_case_fields_customer_id, excluded.detail_case_fields_level_1,
            excluded.detail_case_fields_level_2, excluded.detail_case_fields_level_3,
            excluded.detail_case_fields_case_reason, excluded.detail_case_fields_assigned_user,
            excluded.detail_case_fields_assigned_agent_name, excluded.detail_case_fields_assigned_queue,
            excluded.detail_case_fields_queue_name, excluded.detail_case_fields_is_complaint,
            excluded.detail_case_fields_complaint_status, excluded.detail_case_fields_complaint_type,
            excluded.detail_case_fields_complaint_subject, excluded.detail_case_fields_complaint_subject_2,
            excluded.detail_case_fields_complaint_reason, excluded.detail_case_fields_complaint_goodwill_amount,
            excluded.detail_case_fields_complaint_resolved, excluded.detail_case_fields_ombudsman_case,
            excluded.detail_case_fields_original_creation_date, excluded.detail_case_fields_last_updated_datetime,
            excluded.detail_case_fields_last_closed_datetime, excluded.detail_case_fields_last_reopened_datetime,
            excluded.detail_case_fields_due_date, excluded.detail_case_fields_is_overdue,
            excluded.detail_case_fields_other, excluded.detail_changedfieldids, excluded.detail_performedby_userarn,
            excluded.detail_performedby_iamprincipalarn, excluded.detail_version, excluded.detail_type,
            excluded.source, excluded.aws_account, excluded."time", excluded.region, excluded.resources,
            excluded.extra, excluded.source_file, excluded.source_offset, excluded.meta_enriched_landed_date)
     WHERE (s.detail_approximatechangetime, s.id) < (excluded.detail_approximatechangetime, excluded.id)
    RETURNING 1
  )
  SELECT count(*) FROM up
  $q$, CASE WHEN case_ids IS NULL THEN 'e.meta_enriched_landed_date >= $1'
            ELSE 'e.detail_case_caseid = ANY ($2) AND e.meta_enriched_landed_date >= $1' END)
  INTO changed USING since, case_ids;
  RETURN changed;
END
$fn$;
COMMENT ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) IS
  'Brings case_state up to date with the case events that landed at or after since (default: all), or with the events of the cases listed; returns the cases whose state changed. ingest() and load() run it (for the cases they wrote) after landing case events; run it after hand-written INSERTs into case_events.';

GRANT INSERT, UPDATE ON connect_lake.case_state TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.case_field_map_load(jsonb, jsonb) FROM PUBLIC;

-- ==== sql/install/60_agent_events.sql
-- Agent events (Kinesis agent event stream).

CREATE TYPE connect_lake.agent_event AS (
  eventid                     text,
  eventtimestamp              timestamptz,
  agentarn                    text,
  agent_id                    uuid,
  eventtype                   text,
  awsaccountid                text,
  instancearn                 text,
  version                     text,
  agentstatus_name            text,
  agentstatus_arn             text,
  agentstatus_starttimestamp  timestamptz,
  nextagentstatus_name        text,
  username                    text,
  firstname                   text,
  lastname                    text,
  routingprofile_arn          text,
  routingprofile_name         text,
  hierarchygroups             jsonb,
  contacts                    jsonb,
  current_snapshot            jsonb,
  previous_agentstatus_name   text,
  previous_snapshot           jsonb,
  extra                       jsonb,
  source_file                 text,
  source_offset               bigint,
  landed_at                   timestamptz
);
COMMENT ON TYPE connect_lake.agent_event IS
  'One agent event as typed columns: the row type of agent_events and the result of agent_event_parse().';

CREATE TABLE connect_lake.agent_events OF connect_lake.agent_event (
  eventid         WITH OPTIONS NOT NULL,
  eventtimestamp  WITH OPTIONS NOT NULL,
  agentarn        WITH OPTIONS NOT NULL,
  landed_at       WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (eventtimestamp);


INSERT INTO connect_lake.fact_table VALUES
  ('agent_events', '{agentarn,eventtimestamp,eventid}', 'PRIMARY KEY', ARRAY['(eventid)']::text[]);

COMMENT ON TABLE connect_lake.agent_events IS
  'Agent event stream: LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT; de-duplicated by event id. Monthly partitions on eventtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.agent_events.eventid IS 'EventId.';
COMMENT ON COLUMN connect_lake.agent_events.eventtimestamp IS 'EventTimestamp (partition key).';
COMMENT ON COLUMN connect_lake.agent_events.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_events.agent_id IS 'Agent id taken from AgentARN (NULL when the ARN does not end in a UUID).';
COMMENT ON COLUMN connect_lake.agent_events.eventtype IS 'EventType: LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT.';
COMMENT ON COLUMN connect_lake.agent_events.awsaccountid IS 'AWSAccountId.';
COMMENT ON COLUMN connect_lake.agent_events.instancearn IS 'InstanceARN.';
COMMENT ON COLUMN connect_lake.agent_events.version IS 'Version of the event format, e.g. 2017-10-01.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_name IS 'CurrentAgentSnapshot.AgentStatus.Name, e.g. Available.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_arn IS 'CurrentAgentSnapshot.AgentStatus.ARN.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_starttimestamp IS 'CurrentAgentSnapshot.AgentStatus.StartTimestamp.';
COMMENT ON COLUMN connect_lake.agent_events.nextagentstatus_name IS 'CurrentAgentSnapshot.NextAgentStatus.Name.';
COMMENT ON COLUMN connect_lake.agent_events.username IS 'CurrentAgentSnapshot.Configuration.Username.';
COMMENT ON COLUMN connect_lake.agent_events.firstname IS 'CurrentAgentSnapshot.Configuration.FirstName.';
COMMENT ON COLUMN connect_lake.agent_events.lastname IS 'CurrentAgentSnapshot.Configuration.LastName.';
COMMENT ON COLUMN connect_lake.agent_events.routingprofile_arn IS 'CurrentAgentSnapshot.Configuration.RoutingProfile.ARN.';
COMMENT ON COLUMN connect_lake.agent_events.routingprofile_name IS 'CurrentAgentSnapshot.Configuration.RoutingProfile.Name.';
COMMENT ON COLUMN connect_lake.agent_events.hierarchygroups IS 'CurrentAgentSnapshot.Configuration.AgentHierarchyGroups as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.contacts IS 'CurrentAgentSnapshot.Contacts: the agent''s current contacts as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.current_snapshot IS 'CurrentAgentSnapshot as JSON, whole.';
COMMENT ON COLUMN connect_lake.agent_events.previous_agentstatus_name IS 'PreviousAgentSnapshot.AgentStatus.Name.';
COMMENT ON COLUMN connect_lake.agent_events.previous_snapshot IS 'PreviousAgentSnapshot as JSON, whole.';
COMMENT ON COLUMN connect_lake.agent_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.agent_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.agent_events.landed_at IS 'When the row landed in the lake.';

CREATE FUNCTION connect_lake.agent_event_parse(doc jsonb) RETURNS connect_lake.agent_event
  AS 'MODULE_PATHNAME', 'agent_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.agent_event_parse(jsonb) IS
  'One agent event (Kinesis agent event stream, jsonb) as a typed connect_lake.agent_event row: status, routing profile and current contacts as columns, both snapshots whole as JSON; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.agent_event_parse(doc text) RETURNS connect_lake.agent_event
  AS 'MODULE_PATHNAME', 'agent_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.agent_event_parse(text) IS
  'One agent event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.agent_event row.';

-- ==== sql/install/70_loader.sql
-- File loading bookkeeping: which files landed, and the records that did not.

CREATE TABLE connect_lake.load_manifest (
  kind        text NOT NULL,
  path        text NOT NULL,
  size        bigint NOT NULL,
  mtime       timestamptz NOT NULL,
  checksum    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('loaded', 'failed')),
  records     bigint NOT NULL DEFAULT 0,
  inserted    bigint NOT NULL DEFAULT 0,
  updated     bigint NOT NULL DEFAULT 0,
  duplicates  bigint NOT NULL DEFAULT 0,
  rejected    bigint NOT NULL DEFAULT 0,
  error       text,
  loaded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, path)
);
COMMENT ON TABLE connect_lake.load_manifest IS 'One row per file load() has read: a file whose size, mtime and checksum are unchanged is not loaded again.';
COMMENT ON COLUMN connect_lake.load_manifest.kind IS 'Record kind: contact_flow_log, ctr, contact_event, case_event, agent_event.';
COMMENT ON COLUMN connect_lake.load_manifest.path IS 'Absolute path of the file.';
COMMENT ON COLUMN connect_lake.load_manifest.size IS 'File size in bytes when loaded.';
COMMENT ON COLUMN connect_lake.load_manifest.mtime IS 'File modification time when loaded.';
COMMENT ON COLUMN connect_lake.load_manifest.checksum IS 'Checksum of the file''s bytes.';
COMMENT ON COLUMN connect_lake.load_manifest.status IS 'loaded: every good record landed; failed: nothing of the file landed (see error).';
COMMENT ON COLUMN connect_lake.load_manifest.records IS 'Records read from the file.';
COMMENT ON COLUMN connect_lake.load_manifest.inserted IS 'Rows inserted into the lake.';
COMMENT ON COLUMN connect_lake.load_manifest.updated IS 'Rows updated (a newer CTR version replaced an older one).';
COMMENT ON COLUMN connect_lake.load_manifest.duplicates IS 'Records already in the lake (same key, not newer).';
COMMENT ON COLUMN connect_lake.load_manifest.rejected IS 'Bad records sent to load_rejects (on_error skip).';
COMMENT ON COLUMN connect_lake.load_manifest.error IS 'Why the file failed to load.';
COMMENT ON COLUMN connect_lake.load_manifest.loaded_at IS 'When the file was last loaded or attempted.';

CREATE TABLE connect_lake.load_rejects (
  reject_id    bigserial PRIMARY KEY,
  kind         text NOT NULL,
  path         text NOT NULL,
  byte_offset  bigint,
  line         bigint,
  reason       text NOT NULL,
  raw          text,
  rejected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX load_rejects_path_idx ON connect_lake.load_rejects (kind, path);
COMMENT ON TABLE connect_lake.load_rejects IS 'Records load() could not land (on_error skip), with where they were and why, to fix and replay.';
COMMENT ON COLUMN connect_lake.load_rejects.reject_id IS 'Identifier of the reject.';
COMMENT ON COLUMN connect_lake.load_rejects.kind IS 'Record kind the file was loaded as.';
COMMENT ON COLUMN connect_lake.load_rejects.path IS 'File the record came from.';
COMMENT ON COLUMN connect_lake.load_rejects.byte_offset IS 'Byte offset of the record in the decompressed stream.';
COMMENT ON COLUMN connect_lake.load_rejects.line IS 'Line number of the record, where the framing has lines.';
COMMENT ON COLUMN connect_lake.load_rejects.reason IS 'Why the record was rejected.';
COMMENT ON COLUMN connect_lake.load_rejects.raw IS 'The record''s raw text (invalid bytes escaped).';
COMMENT ON COLUMN connect_lake.load_rejects.rejected_at IS 'When the record was rejected.';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_manifest', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.load_rejects_reject_id_seq', '');

-- Files in place: the foreign data wrapper.
CREATE FUNCTION connect_lake.connect_lake_fdw_handler() RETURNS fdw_handler
  AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION connect_lake.connect_lake_fdw_handler() IS
  'Handler of the connect_lake_fdw foreign data wrapper (reads Amazon Connect export files).';

CREATE FUNCTION connect_lake.connect_lake_fdw_validator(text[], oid) RETURNS void
  AS 'MODULE_PATHNAME' LANGUAGE C STRICT;
COMMENT ON FUNCTION connect_lake.connect_lake_fdw_validator(text[], oid) IS
  'Validator of connect_lake_fdw options: kind, path, format, compression, on_error.';

CREATE FOREIGN DATA WRAPPER connect_lake_fdw
  HANDLER connect_lake.connect_lake_fdw_handler
  VALIDATOR connect_lake.connect_lake_fdw_validator;
COMMENT ON FOREIGN DATA WRAPPER connect_lake_fdw IS
  'Amazon Connect export files (CTRs, flow logs, contact, case and agent events) as foreign tables, however framed or compressed.';

CREATE SERVER connect_lake_files FOREIGN DATA WRAPPER connect_lake_fdw;
COMMENT ON SERVER connect_lake_files IS
  'Files on the database server; foreign tables name a kind and a path (file, directory or glob).';

CREATE FUNCTION connect_lake.kind_rowtype(kind text) RETURNS regtype
  AS 'MODULE_PATHNAME', 'connect_lake_kind_rowtype'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.kind_rowtype(text) IS
  'The row type records of a kind are mapped onto (e.g. ctr -> connect_lake.ctr); errors name the known kinds.';

-- A foreign table shaped like the kind's lake table: its columns (without
-- landed_at and versions_seen, which only the lake keeps), where source_file
-- and source_offset say where each record lies, plus source_line.
CREATE FUNCTION connect_lake.create_foreign_table(
    table_name  text,
    kind        text,
    path        text,
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    on_error    text DEFAULT 'stop',
    server      name DEFAULT 'connect_lake_files')
RETURNS regclass
LANGUAGE plpgsql
VOLATILE STRICT
AS $fn$
DECLARE
  rowtype regtype := connect_lake.kind_rowtype(kind);
  qname   text;
  cols    text;
BEGIN
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(x), '.')
    INTO qname
    FROM pg_catalog.unnest(pg_catalog.parse_ident(table_name)) AS x;
  SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', a.attname,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod)),
                               E',\n  ' ORDER BY a.attnum)
    INTO cols
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_type t ON t.typrelid = a.attrelid
   WHERE t.oid = rowtype AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname NOT IN ('landed_at', 'versions_seen');
  -- check the options first: their errors without the whole statement as context
  PERFORM connect_lake.connect_lake_fdw_validator(
    ARRAY['kind=' || kind, 'path=' || path, 'format=' || format,
          'compression=' || compression, 'on_error=' || on_error],
    'pg_catalog.pg_foreign_table'::pg_catalog.regclass);
  EXECUTE pg_catalog.format(
    E'CREATE FOREIGN TABLE %s (\n  %s,\n  source_line bigint\n) SERVER %I\n'
    'OPTIONS (kind %L, path %L, format %L, compression %L, on_error %L)',
    qname, cols, server, kind, path, format, compression, on_error);
  EXECUTE pg_catalog.format('COMMENT ON FOREIGN TABLE %s IS %L', qname,
    pg_catalog.format('%s records read in place from %s (connect_lake_fdw).', kind, path));
  RETURN qname::regclass;
END
$fn$;
COMMENT ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) IS
  'Creates a connect_lake_fdw foreign table reading kind records in place from path (file, directory or glob), with the kind''s lake columns plus source_line; needs pg_read_server_files.';

-- Loading files into the lake.
CREATE FUNCTION connect_lake.load(
    kind        text,
    path        text,
    on_error    text DEFAULT 'stop',
    format      text DEFAULT 'auto',
    compression text DEFAULT 'auto',
    OUT files_seen    bigint,
    OUT files_loaded  bigint,
    OUT files_skipped bigint,
    OUT files_failed  bigint,
    OUT records_read  bigint,
    OUT inserted      bigint,
    OUT updated       bigint,
    OUT duplicates    bigint,
    OUT rejected      bigint,
    OUT bytes         bigint,
    OUT seconds       double precision,
    OUT error         text)
RETURNS record
AS 'MODULE_PATHNAME', 'connect_lake_load'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.load(text, text, text, text, text) IS
  'Lands every record of kind in the files under path (file, directory or glob; any framing, gzip or not) in the lake; files already loaded unchanged are skipped (load_manifest), each file lands all or nothing; on_error stop|skip (bad records to load_rejects). Needs pg_read_server_files.';

-- ==== sql/install/80_views.sql
-- Case state and the analysts' queries.
--
-- Days are local days of the default working-day calendar's time zone
-- (lake_time_zone(), Europe/London unless the calendar says otherwise): a UK
-- contact centre's "Monday" runs from 00:00 to 24:00 London time, GMT or BST.
-- Every view has a function of the same name taking a range of such days
-- (from_day and to_day both included); the view is the function over a
-- fixed range (all days, or the last 30 / 90 days including today).
--
-- The current state reads case_state (one row per case, kept up to date by
-- case_state_refresh()); the state at a past moment reads the event history.
-- A case is open unless its status is closed (custom statuses such as
-- pending count as open; a case whose events carry no status counts as open)
-- and it is not deleted.  Counts of cases created (volume, categories,
-- complaints) include cases deleted since: the work arrived that day.  Its due date is created + 2 working days, and it is
-- overdue when open and past due, both on the default calendar, as of now.
--
-- The range functions are plain SQL (inlined into the caller's query, so
-- the planner uses case_state's indexes and prunes case_events' partitions).

CREATE FUNCTION connect_lake.lake_time_zone() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce((SELECT c.time_zone FROM connect_lake.calendar c
                      WHERE c.name = connect_lake.default_calendar()), 'Europe/London')
  $fn$;
COMMENT ON FUNCTION connect_lake.lake_time_zone() IS
  'The time zone whose midnights bound the days of the case views: the default calendar''s (Europe/London unless configured otherwise).';

CREATE VIEW connect_lake.case_current AS
SELECT s.detail_case_caseid                         AS case_id,
       s.account,
       s.detail_case_fields_status                  AS status,
       coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed' AS is_open,
       s.detail_case_fields_title                   AS title,
       s.detail_case_fields_summary                 AS summary,
       s.detail_case_fields_case_reason             AS case_reason,
       s.detail_case_fields_reference_number        AS reference_number,
       s.detail_case_fields_customer_id             AS customer_id,
       s.detail_case_fields_level_1                 AS level_1,
       s.detail_case_fields_level_2                 AS level_2,
       s.detail_case_fields_level_3                 AS level_3,
       s.detail_case_fields_assigned_user           AS assigned_user,
       s.detail_case_fields_assigned_agent_name     AS assigned_agent_name,
       s.detail_case_fields_assigned_queue          AS assigned_queue,
       s.detail_case_fields_queue_name              AS queue_name,
       s.detail_case_fields_is_complaint            AS is_complaint,
       s.detail_case_fields_complaint_status        AS complaint_status,
       s.detail_case_fields_complaint_type          AS complaint_type,
       s.detail_case_fields_complaint_subject       AS complaint_subject,
       s.detail_case_fields_complaint_subject_2     AS complaint_subject_2,
       s.detail_case_fields_complaint_reason        AS complaint_reason,
       s.detail_case_fields_complaint_goodwill_amount AS complaint_goodwill_amount,
       s.detail_case_fields_complaint_resolved      AS complaint_resolved,
       s.detail_case_fields_ombudsman_case          AS ombudsman_case,
       s.detail_case_createddatetime                AS created_at,
       s.detail_case_fields_last_updated_datetime   AS last_updated_at,
       s.detail_case_fields_last_closed_datetime    AS last_closed_at,
       s.detail_case_fields_last_reopened_datetime  AS last_reopened_at,
       connect_lake.working_days_add(s.detail_case_createddatetime, 2) AS due_date,
       coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed'
         AND connect_lake.working_days_overdue(s.detail_case_createddatetime, now(), 2) AS is_overdue,
       s.detail_case_fields_other                   AS other_fields,
       s.detail_approximatechangetime               AS last_change_at,
       s.id                                         AS last_event_id,
       s.detail_event_type                          AS last_event_type
  FROM connect_lake.case_state s
 WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED';

COMMENT ON VIEW connect_lake.case_current IS
  'One row per case that is not deleted: its latest state by approximateChangeTime, with its due date and whether it is overdue now (open and more than 2 working days old, default calendar).';
COMMENT ON COLUMN connect_lake.case_current.case_id IS 'Case id (detail.case.caseId).';
COMMENT ON COLUMN connect_lake.case_current.account IS 'The customer''s account number (mapped account field, else the Customer Profiles profile id).';
COMMENT ON COLUMN connect_lake.case_current.status IS 'Case status as Cases writes it: open, closed or a custom status.';
COMMENT ON COLUMN connect_lake.case_current.is_open IS 'True unless the status is closed.';
COMMENT ON COLUMN connect_lake.case_current.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.case_current.summary IS 'Case summary.';
COMMENT ON COLUMN connect_lake.case_current.case_reason IS 'Case reason.';
COMMENT ON COLUMN connect_lake.case_current.reference_number IS 'Case reference number.';
COMMENT ON COLUMN connect_lake.case_current.customer_id IS 'Customer Profiles ARN of the customer.';
COMMENT ON COLUMN connect_lake.case_current.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.case_current.level_2 IS 'Level 2 category.';
COMMENT ON COLUMN connect_lake.case_current.level_3 IS 'Level 3 category.';
COMMENT ON COLUMN connect_lake.case_current.assigned_user IS 'Assigned user ARN.';
COMMENT ON COLUMN connect_lake.case_current.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.case_current.assigned_queue IS 'Assigned queue.';
COMMENT ON COLUMN connect_lake.case_current.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.case_current.is_complaint IS 'Whether the case is a complaint (NULL: field not set).';
COMMENT ON COLUMN connect_lake.case_current.complaint_status IS 'Complaint status.';
COMMENT ON COLUMN connect_lake.case_current.complaint_type IS 'Complaint type.';
COMMENT ON COLUMN connect_lake.case_current.complaint_subject IS 'Complaint subject.';
COMMENT ON COLUMN connect_lake.case_current.complaint_subject_2 IS 'Complaint secondary subject.';
COMMENT ON COLUMN connect_lake.case_current.complaint_reason IS 'Complaint reason.';
COMMENT ON COLUMN connect_lake.case_current.complaint_goodwill_amount IS 'Goodwill paid on the complaint.';
COMMENT ON COLUMN connect_lake.case_current.complaint_resolved IS 'Whether the complaint is resolved.';
COMMENT ON COLUMN connect_lake.case_current.ombudsman_case IS 'Whether the complaint went to the ombudsman.';
COMMENT ON COLUMN connect_lake.case_current.created_at IS 'When the case was created.';
COMMENT ON COLUMN connect_lake.case_current.last_updated_at IS 'Case field last_updated_datetime.';
COMMENT ON COLUMN connect_lake.case_current.last_closed_at IS 'Case field last_closed_datetime.';
COMMENT ON COLUMN connect_lake.case_current.last_reopened_at IS 'When the case was last reopened.';
COMMENT ON COLUMN connect_lake.case_current.due_date IS 'created_at + 2 working days on the default calendar (computed live).';
COMMENT ON COLUMN connect_lake.case_current.is_overdue IS 'Open and past its due date now (working_days_overdue, live).';
COMMENT ON COLUMN connect_lake.case_current.other_fields IS 'Case fields without a column, keyed by field id.';
COMMENT ON COLUMN connect_lake.case_current.last_change_at IS 'approximateChangeTime of the case''s latest event.';
COMMENT ON COLUMN connect_lake.case_current.last_event_id IS 'EventBridge id of the case''s latest event.';
COMMENT ON COLUMN connect_lake.case_current.last_event_type IS 'Type of the case''s latest event: CASE.CREATED or CASE.UPDATED.';

-- The open cases as they stood at a moment, from the event history.
CREATE FUNCTION connect_lake.case_backlog(as_of timestamptz)
RETURNS TABLE (case_id text, account text, status text, title text, level_1 text,
               is_complaint boolean, created_at timestamptz, last_change_at timestamptz,
               due_date timestamptz, was_overdue boolean)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- A case whose latest event is at or before as_of stood then as it stands
  -- now (case_state, through its index of open cases); only the cases that
  -- changed since need the history: for each, its latest event at or before
  -- as_of, looked up by the partitions' key from the case's creation month on.
  SELECT l.detail_case_caseid, l.account, l.detail_case_fields_status, l.detail_case_fields_title,
         l.detail_case_fields_level_1, l.detail_case_fields_is_complaint, l.detail_case_createddatetime,
         l.detail_approximatechangetime,
         connect_lake.working_days_add(l.detail_case_createddatetime, 2),
         connect_lake.working_days_overdue(l.detail_case_createddatetime, as_of, 2)
    FROM (SELECT s.detail_case_caseid, s.detail_approximatechangetime, s.detail_event_type, s.account,
                 s.detail_case_fields_status, s.detail_case_fields_title, s.detail_case_fields_level_1,
                 s.detail_case_fields_is_complaint, s.detail_case_createddatetime
            FROM connect_lake.case_state s
           WHERE s.detail_approximatechangetime <= as_of
             AND s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
             AND coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed'
          UNION ALL
          SELECT h.*
            FROM connect_lake.case_state s
           CROSS JOIN LATERAL (
                 SELECT e.detail_case_caseid, e.detail_approximatechangetime, e.detail_event_type, e.account,
                        e.detail_case_fields_status, e.detail_case_fields_title, e.detail_case_fields_level_1,
                        e.detail_case_fields_is_complaint, e.detail_case_createddatetime
                   FROM connect_lake.case_events e
                  WHERE e.detail_case_caseid = s.detail_case_caseid
                    AND e.detail_approximatechangetime <= as_of
                    AND e.detail_approximatechangetime
                        >= coalesce(s.detail_case_createddatetime - interval '1 day', '-infinity')
                  ORDER BY e.detail_approximatechangetime DESC, e.id DESC
                  LIMIT 1) h
           WHERE s.detail_approximatechangetime > as_of
             AND coalesce(s.detail_case_createddatetime, '-infinity') <= as_of + interval '1 day') l
   WHERE l.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
     AND coalesce(lower(l.detail_case_fields_status), 'open') <> 'closed'
   ORDER BY l.detail_case_createddatetime, l.detail_case_caseid
$fn$;
COMMENT ON FUNCTION connect_lake.case_backlog(timestamptz) IS
  'The cases open at as_of, as they stood then (each case''s latest event at or before as_of, not closed, not deleted), with whether each was overdue then. Reads case_state for the cases unchanged since as_of and the history for the others.';

-- ---- Cases created per day
CREATE FUNCTION connect_lake.case_volume_daily(from_day date, to_day date)
RETURNS TABLE (day date, cases_created bigint, deleted bigint, complaints bigint, still_open bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Counted per 15 minutes first (every zone's offset is a multiple of 15
  -- minutes, so each quarter hour lies within one local day), then per day:
  -- a time zone conversion per quarter hour rather than per case.
  SELECT (q.quarter AT TIME ZONE z.tz)::date, sum(q.n)::bigint, sum(q.deleted)::bigint,
         sum(q.complaints)::bigint, sum(q.open)::bigint
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z,
         LATERAL (
           SELECT date_bin('15 minutes', s.detail_case_createddatetime, timestamptz '2000-01-01 00:00+00') AS quarter,
                  count(*) AS n,
                  count(*) FILTER (WHERE s.detail_event_type = 'CASE.DELETED') AS deleted,
                  count(*) FILTER (WHERE s.detail_case_fields_is_complaint) AS complaints,
                  count(*) FILTER (WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
                                     AND coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed') AS open
             FROM connect_lake.case_state s
            WHERE s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
              AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
            GROUP BY 1) q
   GROUP BY 1 ORDER BY 1
$fn$;
COMMENT ON FUNCTION connect_lake.case_volume_daily(date, date) IS
  'Cases created per local day from from_day to to_day (both included; days without cases are absent), deleted ones included (and counted apart), with how many are complaints and how many are still open.';
CREATE VIEW connect_lake.case_volume_daily AS
  SELECT * FROM connect_lake.case_volume_daily('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.case_volume_daily IS 'Cases created per local day, every day (case_volume_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.case_volume_daily.day IS 'Local day (lake_time_zone()) the cases were created.';
COMMENT ON COLUMN connect_lake.case_volume_daily.cases_created IS 'Cases created that day (CASE.CREATED), deleted ones included.';
COMMENT ON COLUMN connect_lake.case_volume_daily.deleted IS 'Of them, deleted since.';
COMMENT ON COLUMN connect_lake.case_volume_daily.complaints IS 'Of them, complaints.';
COMMENT ON COLUMN connect_lake.case_volume_daily.still_open IS 'Of them, still open now.';

-- ---- Open backlog
CREATE VIEW connect_lake.open_case_backlog AS
  SELECT count(*) AS open_cases,
         count(*) FILTER (WHERE c.is_overdue) AS overdue_cases,
         count(*) FILTER (WHERE c.is_complaint) AS open_complaints,
         now() AS as_of
    FROM connect_lake.case_current c
   WHERE c.is_open;
COMMENT ON VIEW connect_lake.open_case_backlog IS 'The open cases now: how many, how many overdue, how many complaints (open_case_backlog(from_day, to_day) for the backlog at the end of each day).';
COMMENT ON COLUMN connect_lake.open_case_backlog.open_cases IS 'Cases open now.';
COMMENT ON COLUMN connect_lake.open_case_backlog.overdue_cases IS 'Of them, overdue (more than 2 working days old).';
COMMENT ON COLUMN connect_lake.open_case_backlog.open_complaints IS 'Of them, complaints.';
COMMENT ON COLUMN connect_lake.open_case_backlog.as_of IS 'The moment counted (now()).';

CREATE FUNCTION connect_lake.open_case_backlog(from_day date, to_day date)
RETURNS TABLE (day date, open_cases bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- Each event starts a stretch of the case's life that lasts until its next
  -- event.  The backlog at the end of day d (its local midnight) counts the
  -- open stretches that start before that midnight and end at or after it:
  -- the days from the stretch's first local day to the day before its end's.
  WITH z AS MATERIALIZED (SELECT connect_lake.lake_time_zone() AS tz),
  stretch AS (
    SELECT e.detail_approximatechangetime AS t,
           lead(e.detail_approximatechangetime) OVER (PARTITION BY e.detail_case_caseid
                                                      ORDER BY e.detail_approximatechangetime, e.id) AS t_next,
           e.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
             AND coalesce(lower(e.detail_case_fields_status), 'open') <> 'closed' AS open
      FROM connect_lake.case_events e
     WHERE e.detail_approximatechangetime < ((to_day + 1)::timestamp AT TIME ZONE (SELECT tz FROM z))
  ),
  open_day AS (
    SELECT g::date AS day
      FROM stretch s, z,
           generate_series(greatest(from_day, (s.t AT TIME ZONE z.tz)::date)::timestamp,
                           least(to_day, coalesce((s.t_next AT TIME ZONE z.tz)::date - 1, to_day))::timestamp,
                           interval '1 day') g
     WHERE s.open
  )
  SELECT d.day, count(o.day)
    FROM (SELECT g::date FROM generate_series(from_day::timestamp, to_day::timestamp, interval '1 day') g) AS d(day)
    LEFT JOIN open_day o ON o.day = d.day
   GROUP BY d.day ORDER BY d.day
$fn$;
COMMENT ON FUNCTION connect_lake.open_case_backlog(date, date) IS
  'The open backlog at the end of each local day from from_day to to_day (the cases open after their last event before midnight), from the event history.';

-- ---- Complaints per day
CREATE FUNCTION connect_lake.complaints_daily(from_day date, to_day date)
RETURNS TABLE (day date, complaints bigint, open_complaints bigint, resolved bigint, ombudsman bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (s.detail_case_createddatetime AT TIME ZONE z.tz)::date, count(*),
         count(*) FILTER (WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
                            AND coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed'),
         count(*) FILTER (WHERE s.detail_case_fields_complaint_resolved),
         count(*) FILTER (WHERE s.detail_case_fields_ombudsman_case)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE s.detail_case_fields_is_complaint
   GROUP BY 1 ORDER BY 1
$fn$;
COMMENT ON FUNCTION connect_lake.complaints_daily(date, date) IS
  'Complaints (cases whose is_complaint field is true, deleted ones included) per local day they were created, from from_day to to_day, with how many are open, resolved and with the ombudsman.';
CREATE VIEW connect_lake.complaints_daily AS
  SELECT * FROM connect_lake.complaints_daily('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.complaints_daily IS 'Complaints per local day created, every day (complaints_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.complaints_daily.day IS 'Local day the complaint cases were created.';
COMMENT ON COLUMN connect_lake.complaints_daily.complaints IS 'Complaint cases created that day (deleted ones included).';
COMMENT ON COLUMN connect_lake.complaints_daily.open_complaints IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.complaints_daily.resolved IS 'Of them, marked complaint_resolved.';
COMMENT ON COLUMN connect_lake.complaints_daily.ombudsman IS 'Of them, referred to the ombudsman.';

-- ---- Complaints by subject
CREATE FUNCTION connect_lake.complaints_by_subject(from_day date, to_day date)
RETURNS TABLE (complaint_subject text, complaints bigint, open_complaints bigint, goodwill_total numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT s.detail_case_fields_complaint_subject, count(*),
         count(*) FILTER (WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
                            AND coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed'),
         coalesce(sum(s.detail_case_fields_complaint_goodwill_amount), 0)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE s.detail_case_fields_is_complaint
   GROUP BY 1 ORDER BY 2 DESC, 1
$fn$;
COMMENT ON FUNCTION connect_lake.complaints_by_subject(date, date) IS
  'Complaints created from from_day to to_day (local days; deleted ones included) by subject, most first, with how many are open and the goodwill paid; NULL subject = not set.';
CREATE VIEW connect_lake.complaints_by_subject AS
  SELECT * FROM connect_lake.complaints_by_subject(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 89,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date);
COMMENT ON VIEW connect_lake.complaints_by_subject IS 'Complaints created in the last 90 local days (today included) by subject.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.complaint_subject IS 'Complaint subject (NULL: not set).';
COMMENT ON COLUMN connect_lake.complaints_by_subject.complaints IS 'Complaints with that subject.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.open_complaints IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.complaints_by_subject.goodwill_total IS 'Goodwill paid on them.';

-- ---- Cases by level-1 category
CREATE FUNCTION connect_lake.cases_by_category(from_day date, to_day date)
RETURNS TABLE (level_1 text, cases bigint, open_cases bigint, complaints bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT s.detail_case_fields_level_1, count(*),
         count(*) FILTER (WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED'
                            AND coalesce(lower(s.detail_case_fields_status), 'open') <> 'closed'),
         count(*) FILTER (WHERE s.detail_case_fields_is_complaint)
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_state s
      ON s.detail_case_createddatetime >= (from_day::timestamp AT TIME ZONE z.tz)
     AND s.detail_case_createddatetime < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   GROUP BY 1 ORDER BY 2 DESC, 1
$fn$;
COMMENT ON FUNCTION connect_lake.cases_by_category(date, date) IS
  'Cases created from from_day to to_day (local days; deleted ones included) by level 1 category, most first; NULL category = not set.';
CREATE VIEW connect_lake.cases_by_category AS
  SELECT * FROM connect_lake.cases_by_category(
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date - 29,
    (now() AT TIME ZONE connect_lake.lake_time_zone())::date);
COMMENT ON VIEW connect_lake.cases_by_category IS 'Cases created in the last 30 local days (today included) by level 1 category.';
COMMENT ON COLUMN connect_lake.cases_by_category.level_1 IS 'Level 1 category (NULL: not set).';
COMMENT ON COLUMN connect_lake.cases_by_category.cases IS 'Cases created in the category (deleted ones included).';
COMMENT ON COLUMN connect_lake.cases_by_category.open_cases IS 'Of them, still open.';
COMMENT ON COLUMN connect_lake.cases_by_category.complaints IS 'Of them, complaints.';

-- ---- Overdue cases
CREATE FUNCTION connect_lake.overdue_cases(from_day date, to_day date)
RETURNS TABLE (case_id text, account text, status text, title text, level_1 text, is_complaint boolean,
               assigned_agent_name text, queue_name text, created_at timestamptz, due_date timestamptz,
               working_days_open integer)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT c.case_id, c.account, c.status, c.title, c.level_1, c.is_complaint, c.assigned_agent_name,
         c.queue_name, c.created_at, c.due_date, connect_lake.working_days_between(c.created_at, now())
    FROM (SELECT connect_lake.lake_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.case_current c
      ON c.created_at >= (from_day::timestamp AT TIME ZONE z.tz)
     AND c.created_at < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE c.is_open AND c.is_overdue
   ORDER BY c.created_at, c.case_id
$fn$;
COMMENT ON FUNCTION connect_lake.overdue_cases(date, date) IS
  'Cases created from from_day to to_day (local days) that are open and overdue now, oldest first.';
CREATE VIEW connect_lake.overdue_cases AS
  SELECT * FROM connect_lake.overdue_cases('-infinity', 'infinity');
COMMENT ON VIEW connect_lake.overdue_cases IS 'Open cases past their due date (created + 2 working days) now, oldest first.';
COMMENT ON COLUMN connect_lake.overdue_cases.case_id IS 'Case id.';
COMMENT ON COLUMN connect_lake.overdue_cases.account IS 'The customer''s account number.';
COMMENT ON COLUMN connect_lake.overdue_cases.status IS 'Case status.';
COMMENT ON COLUMN connect_lake.overdue_cases.title IS 'Case title.';
COMMENT ON COLUMN connect_lake.overdue_cases.level_1 IS 'Level 1 category.';
COMMENT ON COLUMN connect_lake.overdue_cases.is_complaint IS 'Whether the case is a complaint.';
COMMENT ON COLUMN connect_lake.overdue_cases.assigned_agent_name IS 'Assigned agent''s name.';
COMMENT ON COLUMN connect_lake.overdue_cases.queue_name IS 'Queue name.';
COMMENT ON COLUMN connect_lake.overdue_cases.created_at IS 'When the case was created.';
COMMENT ON COLUMN connect_lake.overdue_cases.due_date IS 'When it fell due: created + 2 working days.';
COMMENT ON COLUMN connect_lake.overdue_cases.working_days_open IS 'Whole working days since it was created.';

-- ---- Contacts and cases
CREATE VIEW connect_lake.contact_case AS
  SELECT c.contactid, c.attributes_caseid AS case_id, 'attribute'::text AS link,
         NULL::text AS account, c.initiationtimestamp
    FROM connect_lake.ctr_events c
   WHERE c.attributes_caseid IS NOT NULL
  UNION ALL
  SELECT r.contactid, r.detail_relateditem_caseid, 'related_item', NULL, NULL
    FROM connect_lake.case_related_items r
   WHERE r.contactid IS NOT NULL
     AND r.detail_event_type IS DISTINCT FROM 'RELATED_ITEM.DELETED'
     AND NOT EXISTS (SELECT 1 FROM connect_lake.case_related_items d
                      WHERE d.detail_relateditem_relateditemid = r.detail_relateditem_relateditemid
                        AND d.detail_event_type = 'RELATED_ITEM.DELETED')
  UNION ALL
  SELECT a.contactid, s.detail_case_caseid, 'account', a.account, a.initiationtimestamp
    FROM connect_lake.contact_account a
    JOIN connect_lake.case_state s ON s.account = a.account
   WHERE s.detail_event_type IS DISTINCT FROM 'CASE.DELETED';
COMMENT ON VIEW connect_lake.contact_case IS
  'Contacts linked to cases: by the contact''s caseId attribute (ctr_events.attributes_caseid), by a Contact related item of the case, or by a shared account number (contact_account = case account).';
COMMENT ON COLUMN connect_lake.contact_case.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_case.case_id IS 'Case id.';
COMMENT ON COLUMN connect_lake.contact_case.link IS 'How they are linked: attribute, related_item or account.';
COMMENT ON COLUMN connect_lake.contact_case.account IS 'The shared account number (link account only).';
COMMENT ON COLUMN connect_lake.contact_case.initiationtimestamp IS 'When the contact was initiated (from the CTR; NULL for related_item links).';

-- ==== sql/install/99_grants.sql
-- Privileges.  Analysts read through connect_lake_reader; pipelines write
-- through connect_lake_loader.  PUBLIC gets nothing that reads server files
-- or writes the lake: every such function is revoked from PUBLIC here.

-- Pure functions (parsers, working-day arithmetic) are for everyone; tables are not.
GRANT USAGE ON SCHEMA connect_lake TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA connect_lake TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, UPDATE ON
  connect_lake.ctr_events, connect_lake.contact_flow_log, connect_lake.contact_events,
  connect_lake.case_events, connect_lake.case_related_items, connect_lake.agent_events,
  connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
  connect_lake.contact_account, connect_lake.load_manifest, connect_lake.load_rejects
  TO connect_lake_loader;
-- A newer CTR version that drops an account number removes its link.
GRANT DELETE ON connect_lake.contact_account TO connect_lake_loader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA connect_lake TO connect_lake_loader;

REVOKE ALL ON FUNCTION connect_lake.create_partition(regclass, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.create_partition(regclass, timestamptz) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) TO connect_lake_loader;

REVOKE ALL ON FUNCTION connect_lake.ingest(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest(text, jsonb) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest_batch(text, jsonb[]) TO connect_lake_loader;

-- Reading server files: the loader role runs these, and also needs
-- pg_read_server_files (the functions check it and say so).
REVOKE ALL ON FUNCTION connect_lake.load(text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.load(text, text, text, text, text) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) TO connect_lake_loader;
GRANT USAGE ON FOREIGN SERVER connect_lake_files TO connect_lake_loader;
