-- Working-day calendars.
--
-- Bundled calendars and their holidays are shipped by the extension and are
-- read-only (bundled = true); the DBA's own calendars and holidays are
-- bundled = false and are what pg_dump keeps.  To adapt a bundled calendar,
-- copy it into one of your own and edit that.

CREATE TABLE connect_lake.calendar (
  name        text PRIMARY KEY,
  time_zone   text NOT NULL DEFAULT 'Europe/London',
  weekend     smallint[] NOT NULL DEFAULT '{6,7}',
  description text,
  bundled     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE connect_lake.calendar IS 'Working-day calendars: a time zone, weekend days and holidays (connect_lake.holiday).';
COMMENT ON COLUMN connect_lake.calendar.name IS 'Calendar name, as given to the working_days_* functions and the connect_lake.calendar setting.';
COMMENT ON COLUMN connect_lake.calendar.time_zone IS 'IANA time zone in which working days start and end, e.g. Europe/London.';
COMMENT ON COLUMN connect_lake.calendar.weekend IS 'Non-working days of the week, ISO numbering (1 = Monday ... 7 = Sunday).';
COMMENT ON COLUMN connect_lake.calendar.description IS 'Free text.';
COMMENT ON COLUMN connect_lake.calendar.bundled IS 'True for calendars shipped with the extension (read-only; not dumped).';

CREATE TABLE connect_lake.holiday (
  calendar text NOT NULL REFERENCES connect_lake.calendar (name) ON UPDATE CASCADE ON DELETE CASCADE,
  day      date NOT NULL,
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
