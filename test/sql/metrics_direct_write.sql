-- metric_rollup_delta_write() (src/metric_rollup.c) writes the rollups' new
-- interval rows directly from C (cl_direct_table_*, src/writer_direct.c),
-- bypassing the executor.  Wherever a plain INSERT would do more than
-- table_multi_insert() and its index entries (rules, triggers, a domain's or
-- an enum's key column, RLS, a read-only transaction, another isolation
-- level, missing privileges), the rows must come back for the statement's
-- INSERT; where it writes directly, every index, unique check and exclusion
-- constraint must still hold, and the statistics count the rows.  Contacts
-- of 2033-02-07 only (no other test's intervals), every write rolled back.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set VERBOSITY terse
-- three contacts: two in one queue interval (04:45, two agents), one in another (05:45)
CREATE FUNCTION pg_temp.cm() RETURNS connect_lake.contact_metric[] LANGUAGE sql AS $$
  SELECT ARRAY[
  '(abcdef00-0000-4000-8000-000000330001,"2033-02-07 04:00:00+00","2033-02-07 04:50:00+00","2033-02-08 00:00:00+00","2033-02-07 04:45:00+00",,STANDARD,eeeeeeee-0000-4000-8000-000000000331,VOICE,ffffffff-0000-4000-8000-000000000331,INBOUND,CUSTOMER_DISCONNECT,,,t,t,t,f,f,f,f,f,f,f,40,60,60,0,0,3000,3000)',
  '(abcdef00-0000-4000-8000-000000330002,"2033-02-07 04:00:00+00","2033-02-07 04:52:00+00","2033-02-08 00:00:00+00","2033-02-07 04:45:00+00",,STANDARD,eeeeeeee-0000-4000-8000-000000000331,VOICE,ffffffff-0000-4000-8000-000000000332,INBOUND,CUSTOMER_DISCONNECT,,,t,t,t,f,f,f,f,f,f,f,25,70,70,0,0,3120,3120)',
  '(abcdef00-0000-4000-8000-000000330003,"2033-02-07 05:00:00+00","2033-02-07 05:51:00+00","2033-02-08 00:00:00+00","2033-02-07 05:45:00+00",,STANDARD,eeeeeeee-0000-4000-8000-000000000332,VOICE,ffffffff-0000-4000-8000-000000000331,INBOUND,CUSTOMER_DISCONNECT,,,t,t,t,f,f,f,f,f,f,f,40,60,60,0,0,3060,3060)'
  ]::connect_lake.contact_metric[] $$;
-- the kinds metric_rollup_delta_write() returns (the ..._new ones are the rows it did not write)
CREATE FUNCTION pg_temp.w() RETURNS TABLE (kind text, n bigint) LANGUAGE sql AS $$
  SELECT r.kind, count(*) FROM connect_lake.metric_rollup_delta_write('{}', pg_temp.cm(),
         connect_lake.metric_thresholds(), connect_lake.metric_time_zone()) r GROUP BY 1 ORDER BY 1 $$;
-- the interval rows of that day in the three tables
CREATE FUNCTION pg_temp.cnt() RETURNS TABLE (queue bigint, agent bigint, threshold bigint) LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM connect_lake.metric_queue_interval WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08'),
         (SELECT count(*) FROM connect_lake.metric_agent_interval WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08'),
         (SELECT count(*) FROM connect_lake.metric_queue_threshold WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08') $$;
-- the interval rows of that day, summed (what the upkeep kept)
CREATE FUNCTION pg_temp.sums() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(' ',
    (SELECT string_agg(format('%s/%s:%s,%s,%s', to_char(interval_start, 'HH24:MI'), right(queue_id::text, 3), contacts,
                              queue_answer_time_sum, queued_time_max), ' ' ORDER BY interval_start, queue_id)
       FROM connect_lake.metric_queue_interval WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08'),
    (SELECT string_agg(format('%s/%s:%s,%s', to_char(interval_start, 'HH24:MI'), right(agent_id::text, 3), contacts,
                              handle_time_sum), ' ' ORDER BY interval_start, agent_id)
       FROM connect_lake.metric_agent_interval WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08'),
    (SELECT 'threshold:' || sum(threshold_s) || ',' || sum(answered_lt) || ',' || sum(answered_eq)
       FROM connect_lake.metric_queue_threshold WHERE interval_start >= '2033-02-07' AND interval_start < '2033-02-08')) $$;

-- ---------- the plain case: every new interval row written, none returned
BEGIN;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
-- the statistics count the inserts (heap_multi_insert() counts them as INSERT does)
SELECT relname, n_tup_ins FROM pg_stat_xact_user_tables
 WHERE relname IN ('metric_queue_interval', 'metric_agent_interval', 'metric_queue_threshold') ORDER BY relname;
-- the same rows again: the function sees the rows it wrote (kept, none new),
-- none is inserted twice (another session's: test/specs/metric_direct_write_race.spec)
SELECT count(*) FILTER (WHERE r.kind LIKE '%_new') AS new, count(*) FILTER (WHERE r.kind IN ('queue', 'agent', 'threshold')) AS kept
  FROM connect_lake.metric_rollup_delta_write('{}', pg_temp.cm(), connect_lake.metric_thresholds(), 'UTC') r;
SELECT * FROM pg_temp.cnt();
ROLLBACK;

-- ---------- the whole upkeep (metric_rollup_delta()) both ways: the same rows
-- directly, then with a trigger on each table (every new row returned, the
-- statement's INSERT writes it): the same sums
BEGIN;
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm()) > 0 AS wrote;
SELECT pg_temp.sums() AS direct \gset
ROLLBACK;
BEGIN;
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER regress_noop BEFORE INSERT ON connect_lake.metric_queue_interval FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
CREATE TRIGGER regress_noop BEFORE INSERT ON connect_lake.metric_agent_interval FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
CREATE TRIGGER regress_noop BEFORE INSERT ON connect_lake.metric_queue_threshold FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
SELECT * FROM pg_temp.w();
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm()) > 0 AS wrote;
SELECT pg_temp.sums() = :'direct' AS same_rows, :'direct' AS sums;
ROLLBACK;
-- a statement-level trigger, or one disabled, is a trigger too
BEGIN;
CREATE FUNCTION pg_temp.noop_s() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER regress_noop_s AFTER INSERT ON connect_lake.metric_queue_threshold FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.noop_s();
ALTER TABLE connect_lake.metric_queue_threshold DISABLE TRIGGER regress_noop_s;
SELECT * FROM pg_temp.w();
ROLLBACK;

-- ---------- what the statement's rewrite does: a rule (here DO ALSO an audit
-- row).  The upkeep's statement (INSERTs in WITH) refuses such a rule: so
-- must the upkeep as a whole, not write around it
BEGIN;
CREATE TABLE pg_temp.audit (t timestamptz);
CREATE RULE regress_audit AS ON INSERT TO connect_lake.metric_agent_interval DO ALSO INSERT INTO pg_temp.audit VALUES (NEW.interval_start);
SELECT * FROM pg_temp.w();
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm()) > 0 AS wrote;
ROLLBACK;

-- ---------- key columns a DBA altered: a domain with a CHECK, an enum.  The
-- C code forms text datums: written directly they would skip the domain's
-- CHECK or be stored as garbage enum values; they go through the statement
BEGIN;
CREATE DOMAIN pg_temp.short_channel AS text CHECK (length(VALUE) <= 3);
ALTER TABLE connect_lake.metric_agent_interval ALTER COLUMN channel TYPE pg_temp.short_channel;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
SAVEPOINT s;
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm());
ROLLBACK TO s;
ROLLBACK;
BEGIN;
CREATE TYPE pg_temp.channel_enum AS ENUM ('VOICE', 'CHAT', 'TASK');
ALTER TABLE connect_lake.metric_queue_interval ALTER COLUMN channel TYPE pg_temp.channel_enum USING channel::pg_temp.channel_enum;
SELECT * FROM pg_temp.w();
SELECT count(*), min(channel::text) FROM connect_lake.metric_queue_interval WHERE interval_start >= '2033-02-07';
ROLLBACK;
-- a measure as a domain with a CHECK: the statement's check
BEGIN;
CREATE DOMAIN pg_temp.small_count AS integer CHECK (VALUE < 2);
ALTER TABLE connect_lake.metric_agent_interval ALTER COLUMN contacts TYPE pg_temp.small_count;
SELECT * FROM pg_temp.w();
ROLLBACK;
-- a CHECK constraint (a DBA's), NOT VALID too
BEGIN;
ALTER TABLE connect_lake.metric_queue_interval ADD CONSTRAINT regress_few CHECK (contacts < 2) NOT VALID;
SELECT * FROM pg_temp.w();
ROLLBACK;
-- a generated or identity column: a column added (the rows' shape differs), or
-- a measure made an identity GENERATED ALWAYS (the statement's values refused)
BEGIN;
ALTER TABLE connect_lake.metric_agent_interval ADD COLUMN regress_total bigint GENERATED ALWAYS AS (contacts * 2) STORED;
ALTER TABLE connect_lake.metric_queue_threshold ALTER COLUMN removed_eq SET NOT NULL, ALTER COLUMN removed_eq ADD GENERATED ALWAYS AS IDENTITY;
SELECT * FROM pg_temp.w();
ROLLBACK;
-- a dropped column (a dropped attribute in the descriptor)
BEGIN;
ALTER TABLE connect_lake.metric_agent_interval ADD COLUMN regress_note text;
ALTER TABLE connect_lake.metric_agent_interval DROP COLUMN regress_note;
SELECT * FROM pg_temp.w();
ROLLBACK;

-- ---------- indexes a DBA adds: written directly, their entries are made and checked
-- a partial index: its entries there (the rows found through it alone)
BEGIN;
CREATE INDEX regress_partial ON connect_lake.metric_queue_interval (queue_id) WHERE contacts > 1;
CREATE INDEX regress_expr ON connect_lake.metric_agent_interval ((lower(channel)), agent_id);
SELECT * FROM pg_temp.w();
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_indexonlyscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM connect_lake.metric_queue_interval WHERE contacts > 1 AND queue_id IS NOT NULL;
SELECT count(*) FROM connect_lake.metric_queue_interval WHERE contacts > 1 AND queue_id IS NOT NULL;
EXPLAIN (COSTS OFF) SELECT count(*) FROM connect_lake.metric_agent_interval WHERE lower(channel) = 'voice' AND interval_start >= '2033-02-07';
SELECT count(*) FROM connect_lake.metric_agent_interval WHERE lower(channel) = 'voice' AND interval_start >= '2033-02-07';
ROLLBACK;
-- a second unique index (partial, on an expression, NULLS NOT DISTINCT): its duplicate fails
BEGIN;
CREATE UNIQUE INDEX regress_one_queue_row ON connect_lake.metric_queue_interval (queue_kind, (channel || '')) WHERE interval_start >= '2033-02-07';
SELECT * FROM pg_temp.w();
ROLLBACK;
BEGIN;
CREATE UNIQUE INDEX regress_nnd ON connect_lake.metric_agent_interval (channel, contacts) NULLS NOT DISTINCT WHERE interval_start >= '2033-02-07';
SELECT * FROM pg_temp.w();
ROLLBACK;
-- an exclusion constraint: checked as INSERT checks it
BEGIN;
ALTER TABLE connect_lake.metric_agent_interval ADD CONSTRAINT regress_excl EXCLUDE USING btree (agent_id WITH =) WHERE (interval_start >= '2033-02-07');
SELECT * FROM pg_temp.w();
ROLLBACK;
-- a deferrable unique constraint (its recheck is a trigger): the statement's
BEGIN;
ALTER TABLE connect_lake.metric_agent_interval ADD CONSTRAINT regress_def UNIQUE (interval_start, agent_id, channel, contacts) DEFERRABLE INITIALLY DEFERRED;
SELECT * FROM pg_temp.w();
ROLLBACK;
-- a foreign key from the table (its check is a trigger): the statement's
BEGIN;
CREATE TABLE public.regress_agents (agent_id uuid PRIMARY KEY);
ALTER TABLE connect_lake.metric_agent_interval ADD CONSTRAINT regress_fk FOREIGN KEY (agent_id) REFERENCES public.regress_agents NOT VALID;
SELECT * FROM pg_temp.w();
SAVEPOINT s;
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm());
ROLLBACK TO s;
ROLLBACK;

-- ---------- transactions: other isolation levels, read-only, a rolled-back savepoint
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK;
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
-- the statement then refuses, as INSERT refuses in a read-only transaction
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm());
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK TO s;
SELECT * FROM pg_temp.cnt();
-- nothing left behind: the same rows go in again
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK;

-- ---------- privileges and row-level security
CREATE ROLE regress_cl_dw_loader IN ROLE connect_lake_loader;
CREATE ROLE regress_cl_dw_exec IN ROLE connect_lake_reader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) TO regress_cl_dw_exec;
-- the loader writes directly
BEGIN;
SET LOCAL ROLE regress_cl_dw_loader;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK;
-- a role that may call the function but not insert: nothing written, the rows returned
BEGIN;
SET LOCAL ROLE regress_cl_dw_exec;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK;
-- the lake's own row-level security (queue access: queue_access_all lets
-- every row in, the restrictive policy is for SELECT) is in force for the
-- loader on the queue and threshold tables, and is no obstacle (above); a
-- DBA's restrictive INSERT policy with a real check is: the statement's
BEGIN;
CREATE POLICY regress_restrict ON connect_lake.metric_queue_interval AS RESTRICTIVE FOR INSERT WITH CHECK (contacts < 100);
SET LOCAL ROLE regress_cl_dw_loader;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
ROLLBACK;
-- row-level security in force for the loader: the statement's (its WITH CHECK refuses the row)
BEGIN;
ALTER TABLE connect_lake.metric_agent_interval ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_read ON connect_lake.metric_agent_interval FOR SELECT USING (true);
CREATE POLICY regress_ins ON connect_lake.metric_agent_interval FOR INSERT WITH CHECK (channel <> 'VOICE');
SET LOCAL ROLE regress_cl_dw_loader;
SELECT * FROM pg_temp.w();
SELECT * FROM pg_temp.cnt();
SAVEPOINT s;
SELECT connect_lake.metric_rollup_delta(NULL, pg_temp.cm());
ROLLBACK TO s;
ROLLBACK;
DROP ROLE regress_cl_dw_loader;
REVOKE EXECUTE ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) FROM regress_cl_dw_exec;
DROP ROLE regress_cl_dw_exec;
