-- The writers' upkeep writes the contact_metric rows of new contacts that
-- need nothing but their own row directly from C (metric_apply_new(),
-- src/metric_contact.c): contact_metric holds no row of them, they name no
-- other contact (PreviousContactId, NextContactId) and no row of
-- contact_metric nor other contact of the batch names them.  Every other
-- contact goes through metric_apply_rows()'s statement, as before.  The
-- setting connect_lake_metrics.last_upkeep tells how many went which way in
-- the last upkeep; after every step the kept tables must equal, row for
-- row, what metrics_refresh() over everything makes (pg_temp.check()).
-- Contacts of 2034-05-02 only (no other test's intervals).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set VERBOSITY terse

CREATE FUNCTION pg_temp.c(n integer) RETURNS uuid LANGUAGE sql IMMUTABLE
  AS $$ SELECT ('abcdef00-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$;
-- A CTR of 2034-05-02: initiation and disconnect at hh:mm, queued in queue 1
-- (unless q is NULL), handled by agent 1 when conn; prev and next name
-- other contacts; updated is its LastUpdateTimestamp.
CREATE FUNCTION pg_temp.ctr(n integer, init text, disc text, q integer DEFAULT 1, conn boolean DEFAULT true,
                            method text DEFAULT 'INBOUND', prev integer DEFAULT NULL, nxt integer DEFAULT NULL,
                            updated text DEFAULT '2034-05-03 00:00') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object(
    'AWSContactTraceRecordFormatVersion', '2017-03-10', 'ContactId', pg_temp.c(n), 'InitiationMethod', method,
    'Channel', 'VOICE', 'InitiationTimestamp', '2034-05-02T' || init || ':00Z',
    'DisconnectTimestamp', '2034-05-02T' || disc || ':00Z',
    'LastUpdateTimestamp', replace(updated, ' ', 'T') || ':00Z',
    'DisconnectReason', 'CUSTOMER_DISCONNECT', 'PreviousContactId', pg_temp.c(prev), 'NextContactId', pg_temp.c(nxt),
    'Queue', CASE WHEN q IS NOT NULL THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/queue/eeeeeeee-0000-4000-8000-00000000000' || q,
      'Name', 'Queue ' || q, 'EnqueueTimestamp', '2034-05-02T' || init || ':30Z') END,
    'Agent', CASE WHEN conn THEN jsonb_build_object(
      'ARN', 'arn:aws:connect:us-east-1:111122223333:instance/11111111-1111-4111-8111-111111111111/agent/ffffffff-0000-4000-8000-000000000001',
      'Username', 'agent1', 'ConnectedToAgentTimestamp', '2034-05-02T' || init || ':45Z',
      'AgentInteractionDuration', 60, 'AfterContactWorkDuration', 10) END))
$$;
\getenv abs_srcdir PG_ABS_SRCDIR
\set helper :abs_srcdir '/helpers/kept_vs_rebuilt.sql'
\set ECHO none
\i :helper
\set ECHO all
CREATE FUNCTION pg_temp.check() RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(format('%s: %s missing, %s extra', tbl, missing, extra), '; ' ORDER BY tbl)
                  FILTER (WHERE missing + extra > 0), 'exact')
    FROM pg_temp.kept_vs_rebuilt(ARRAY['contact_metric', 'metric_queue_interval', 'metric_agent_interval',
                                       'metric_queue_threshold', 'metric_queue_day', 'metric_queue_threshold_day'],
                                 'SELECT connect_lake.metrics_refresh()')
$$;
-- which way the last upkeep's contacts went
CREATE FUNCTION pg_temp.way() RETURNS text LANGUAGE sql AS $$
  SELECT current_setting('connect_lake_metrics.last_upkeep', true) $$;
-- a contact's flags as kept
CREATE FUNCTION pg_temp.flags(n integer) RETURNS text LANGUAGE sql AS $$
  SELECT format('%s %s q=%s h=%s ab=%s cb=%s xq=%s xi=%s', right(m.contactid::text, 4), to_char(m.disconnecttimestamp, 'HH24:MI'),
                m.queued, m.handled, m.abandoned, m.callback_requested, m.xfer_out_queue, m.xfer_out_internal)
    FROM connect_lake.contact_metric m WHERE m.contactid = pg_temp.c(n) $$;

-- ---------- new contacts linked to nothing: all written directly
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(9701, '08:00', '08:05'),
  pg_temp.ctr(9702, '08:10', '08:20', conn => false),
  pg_temp.ctr(9703, '09:00', '09:02', q => NULL)]);
SELECT pg_temp.way();
SELECT pg_temp.flags(9701), pg_temp.flags(9702), pg_temp.flags(9703);
SELECT pg_temp.check();
-- one contact by ingest(), as a stream lands it: directly too
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9704, '09:30', '09:40'));
SELECT pg_temp.way();
SELECT pg_temp.check();

-- ---------- a late leg (a CALLBACK naming 9702, abandoned so far): the
-- statement's (its PreviousContactId names a contact of contact_metric), and
-- 9702 becomes callback requested instead of abandoned
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9705, '10:00', '10:05', method => 'CALLBACK', prev => 9702));
SELECT pg_temp.way();
SELECT pg_temp.flags(9702), pg_temp.flags(9705);
SELECT pg_temp.check();

-- ---------- a re-delivered newer version of 9701 (later disconnect): the
-- statement's (contact_metric holds it), moved to its new interval
SELECT updated FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(9701, '08:00', '08:35', updated => '2034-05-04 00:00')]);
SELECT pg_temp.way();
SELECT pg_temp.flags(9701);
SELECT pg_temp.check();
-- the same version delivered again: nothing lands, nothing to keep
SELECT duplicates FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(9701, '08:00', '08:35', updated => '2034-05-04 00:00')]);

-- ---------- one batch of every kind: 9706 linked to nothing (direct); 9707
-- whose NextContactId names 9708 of the same batch, 9708 named by it, 9709
-- naming 9710 that is in no table (all three the statement's)
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(9706, '11:00', '11:03'),
  pg_temp.ctr(9707, '11:10', '11:12', conn => false, nxt => 9708),
  pg_temp.ctr(9708, '11:12', '11:20', method => 'QUEUE_TRANSFER', prev => 9707),
  pg_temp.ctr(9709, '11:30', '11:31', nxt => 9710)]);
SELECT pg_temp.way();
SELECT pg_temp.flags(9707), pg_temp.flags(9708);
SELECT pg_temp.check();
-- 9710 lands alone, linked to nothing itself, but 9709's row names it: the statement's
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9710, '11:31', '11:40', method => 'TRANSFER'));
SELECT pg_temp.way();
SELECT pg_temp.flags(9709), pg_temp.flags(9710);
SELECT pg_temp.check();

-- ---------- a new contact delivered under two InitiationTimestamps in one
-- batch: one row, from the version updated last (directly)
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[
  pg_temp.ctr(9711, '12:00', '12:30', updated => '2034-05-04 00:00'),
  pg_temp.ctr(9711, '12:01', '12:10', updated => '2034-05-03 00:00')]);
SELECT pg_temp.way();
SELECT pg_temp.flags(9711), (SELECT initiationtimestamp FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(9711));
SELECT pg_temp.check();

-- ---------- where the rows must go through the statement: a trigger on
-- contact_metric (it must see them), REPEATABLE READ, a restrictive INSERT
-- policy with a real check (a loader role); the same rows either way
CREATE FUNCTION pg_temp.seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'trigger saw %', right(NEW.contactid::text, 4); RETURN NEW; END $$;
CREATE TRIGGER regress_seen BEFORE INSERT ON connect_lake.contact_metric FOR EACH ROW EXECUTE FUNCTION pg_temp.seen();
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9712, '13:00', '13:05'));
SELECT pg_temp.way();
DROP TRIGGER regress_seen ON connect_lake.contact_metric;
SELECT pg_temp.check();
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9713, '13:10', '13:15'));
COMMIT;
SELECT pg_temp.way();
SELECT pg_temp.check();
-- (contact_metric has the lake's queue access: queue_access_all lets any row
-- in, for every role; a loader role is not the owner, so RLS is in force)
CREATE ROLE regress_cl_cm_loader IN ROLE connect_lake_loader;
CREATE POLICY regress_cm_restrict ON connect_lake.contact_metric AS RESTRICTIVE FOR INSERT
  WITH CHECK (queue_kind <> 'BOGUS');
SET ROLE regress_cl_cm_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9714, '13:20', '13:25'));
SELECT pg_temp.way();
RESET ROLE;
-- a restrictive policy that lets any row in (true) is no obstacle
ALTER POLICY regress_cm_restrict ON connect_lake.contact_metric WITH CHECK (true);
SET ROLE regress_cl_cm_loader;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9715, '13:30', '13:35'));
SELECT pg_temp.way();
RESET ROLE;
DROP POLICY regress_cm_restrict ON connect_lake.contact_metric;
DROP ROLE regress_cl_cm_loader;
SELECT pg_temp.check();

-- ---------- a DBA's change of a column of contact_metric: its type
-- (lastupdatetimestamp as timestamp without time zone), or its typmod only
-- (timestamptz(0), whole seconds, which INSERT rounds to): the query's row
-- is no longer the table's, so the rows go through the statement, the same
-- rows as metrics_refresh() makes (before session 10 the typmod was not
-- compared, and the row was written directly, unrounded)
ALTER TABLE connect_lake.contact_metric ALTER COLUMN lastupdatetimestamp TYPE timestamp;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9719, '16:00', '16:05'));
SELECT pg_temp.way();
SELECT pg_temp.check();
ALTER TABLE connect_lake.contact_metric ALTER COLUMN lastupdatetimestamp TYPE timestamptz(0);
SELECT connect_lake.ingest('ctr', jsonb_set(pg_temp.ctr(9720, '16:10', '16:15'), '{LastUpdateTimestamp}',
                                            '"2034-05-03T00:00:00.700Z"'));
SELECT pg_temp.way();
SELECT lastupdatetimestamp FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(9720);
SELECT pg_temp.check();
-- as created again (9720's row made again, to the microsecond): directly
ALTER TABLE connect_lake.contact_metric ALTER COLUMN lastupdatetimestamp TYPE timestamptz;
SELECT connect_lake.metrics_refresh_contacts(ARRAY[pg_temp.c(9720)]);
SELECT lastupdatetimestamp FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(9720);
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9721, '16:20', '16:25'));
SELECT pg_temp.way();
SELECT pg_temp.check();

-- ---------- a transaction rolled back leaves nothing; the same contacts
-- then land directly again
BEGIN;
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(9716, '14:00', '14:05')]);
ROLLBACK;
SELECT count(*) FROM connect_lake.contact_metric WHERE contactid = pg_temp.c(9716);
SELECT inserted FROM connect_lake.ingest_batch('ctr', ARRAY[pg_temp.ctr(9716, '14:00', '14:05')]);
SELECT pg_temp.way();
SELECT pg_temp.check();

-- ---------- metric_apply_new() itself: rows written and contacts left, in
-- their order; a contact given twice is left twice (for the statement)
BEGIN;
SELECT connect_lake.ingest('ctr', pg_temp.ctr(9717, '15:00', '15:05'));
SELECT cardinality(n.after) AS written, n.rest_ids = ARRAY[pg_temp.c(9701), pg_temp.c(9701)] AS rest_in_order,
       cardinality(n.rest_ts) AS rest_ts
  FROM connect_lake.metric_apply_new(ARRAY[pg_temp.c(9701), pg_temp.c(9717), pg_temp.c(9701)],
                                     ARRAY['2034-05-02 08:00+00', '2034-05-02 15:00+00', '2034-05-02 08:00+00']::timestamptz[]) n;
-- a contact not in ctr_events: left (the statement removes its row, if any)
SELECT cardinality(n.after) AS written, cardinality(n.rest_ids) AS left
  FROM connect_lake.metric_apply_new(ARRAY[pg_temp.c(9718)], ARRAY['2034-05-02 15:00+00']::timestamptz[]) n;
SELECT connect_lake.metric_apply_new(ARRAY[pg_temp.c(9701)], ARRAY[]::timestamptz[]);
ROLLBACK;

-- ---------- leave the lake as before
DELETE FROM connect_lake.ctr_events WHERE contactid IN (SELECT pg_temp.c(g) FROM generate_series(9700, 9799) g);
SELECT length(pg_temp.check()) > 0 AS refreshed;
SELECT count(*) AS left_over FROM connect_lake.contact_metric
 WHERE contactid IN (SELECT pg_temp.c(g) FROM generate_series(9700, 9799) g);
DROP TABLE connect_lake.ctr_events_p203405;
