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
-- the calendar caches of all sessions (config_changed(), 00_schema.sql).
CREATE FUNCTION connect_lake.calendar_guard() RETURNS trigger
  AS 'MODULE_PATHNAME', 'calendar_guard' LANGUAGE C;
COMMENT ON FUNCTION connect_lake.calendar_guard() IS
  'Trigger of connect_lake.calendar and connect_lake.holiday: keeps bundled rows read-only and checks time zones.';

CREATE TRIGGER calendar_guard BEFORE INSERT OR UPDATE OR DELETE ON connect_lake.calendar
  FOR EACH ROW EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER calendar_guard_truncate BEFORE TRUNCATE ON connect_lake.calendar
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER calendar_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.calendar
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();
CREATE TRIGGER holiday_guard BEFORE INSERT OR UPDATE OR DELETE ON connect_lake.holiday
  FOR EACH ROW EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER holiday_guard_truncate BEFORE TRUNCATE ON connect_lake.holiday
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.calendar_guard();
CREATE TRIGGER holiday_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.holiday
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();

-- The default calendar: a function rather than current_setting() so that
-- calling it loads the module, which defines the setting.
CREATE FUNCTION connect_lake.default_calendar() RETURNS text
  AS 'MODULE_PATHNAME', 'default_calendar'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.default_calendar() IS
  'The default working-day calendar: the connect_lake.calendar setting (england_wales unless set).';

-- All working-day functions are STRICT: a NULL argument, including an
-- explicit NULL calendar, gives NULL.  Leave the calendar out for the default.
CREATE FUNCTION connect_lake.working_days_add(ts timestamptz, n integer,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'working_days_add'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_add(timestamptz, integer, text) IS
  'The same local clock time n working days after ts (before it if n < 0), in the calendar''s time zone; a ts on a non-working day counts as 00:00 of the next working day.';

CREATE FUNCTION connect_lake.working_days_overdue(ts timestamptz, as_of timestamptz DEFAULT now(),
                                                  n integer DEFAULT 2,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'working_days_overdue'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_overdue(timestamptz, timestamptz, integer, text) IS
  'Whether as_of (default now()) is after working_days_add(ts, n) (default 2 working days): working_days_overdue(created) answers "open more than 2 working days".';

CREATE FUNCTION connect_lake.working_days_between(a timestamptz, b timestamptz,
                                                  calendar text DEFAULT connect_lake.default_calendar())
RETURNS integer
  AS 'MODULE_PATHNAME', 'working_days_between'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.working_days_between(timestamptz, timestamptz, text) IS
  'Whole working days elapsed from a to b (negative if b is before a): working_days_between(t, working_days_add(t, n)) = n.';

CREATE FUNCTION connect_lake.is_working_day(day date,
                                            calendar text DEFAULT connect_lake.default_calendar())
RETURNS boolean
  AS 'MODULE_PATHNAME', 'is_working_day'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.is_working_day(date, text) IS
  'Whether day is a working day of the calendar: neither a weekend day nor a holiday.';

CREATE FUNCTION connect_lake.next_working_day(day date,
                                              calendar text DEFAULT connect_lake.default_calendar())
RETURNS date
  AS 'MODULE_PATHNAME', 'next_working_day'
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
