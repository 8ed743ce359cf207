-- Contact flows: block funnels, containment and IVR hang-ups per local day.
--
-- Flow logs say which block each contact ran and when; the CTR says how the
-- contact ended.  flows_refresh() turns them into:
--   contact_flow_path  one row per contact (leg) that ran a flow: its entry
--                      flow, its last block, and how it ended (the rules below)
--   flow_block_day     per local day, flow and block: contacts, executions,
--                      results, errors, exits and a histogram of the time to
--                      the next block (medians and percentiles over any range)
--   flow_entry_day     per local day and entry flow: contacts, containment,
--                      IVR hang-ups
-- A contact belongs to the local day (lake_time_zone()) of its first block;
-- its blocks up to a day after the end of that day are its path.

-- ---- The rules, each defined once.

CREATE FUNCTION connect_lake.flow_result_is_error(results text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT results ~* '(error|fail|timeout|timed out|exceeded|invalid)' $fn$;
COMMENT ON FUNCTION connect_lake.flow_result_is_error(text) IS
  'Whether a flow block''s Results text is an error result: it names an error, a failure, a timeout, a limit exceeded or an invalid input (e.g. "The Lambda Function Returned An Error.", "Timeout"). NULL when there is no result.';

CREATE FUNCTION connect_lake.flow_ivr_abandoned(queued boolean, agent boolean, disconnectreason text,
                                                last_module_type text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT NOT queued AND NOT agent AND coalesce(disconnectreason, 'CUSTOMER_DISCONNECT') = 'CUSTOMER_DISCONNECT'
       AND last_module_type IS DISTINCT FROM 'Disconnect'
  $fn$;
COMMENT ON FUNCTION connect_lake.flow_ivr_abandoned(boolean, boolean, text, text) IS
  'Abandoned in the IVR: the contact never reached a queue or an agent, the customer hung up (DisconnectReason CUSTOMER_DISCONNECT, or none: older CTRs lack it), and the flow had not reached a Disconnect block (a customer hanging up during the goodbye is not abandoning).';

CREATE FUNCTION connect_lake.flow_contained(queued boolean, agent boolean, ivr_abandoned boolean,
                                            transferred boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT NOT queued AND NOT agent AND NOT ivr_abandoned AND NOT transferred $fn$;
COMMENT ON FUNCTION connect_lake.flow_contained(boolean, boolean, boolean, boolean) IS
  'Contained (served in self-service): never queued, never with an agent, not abandoned in the IVR, not transferred to another contact or an external number.';

-- Time to the next block: a histogram of 255 buckets, 100 ms wide below
-- 10 s, 1 s below 1 minute, 10 s below 10 minutes, 1 minute below an hour,
-- and one bucket for an hour and more.  Buckets add up across days, so a
-- percentile over any range is read from the summed histogram (flow_funnel()),
-- to within the width of its bucket.
CREATE FUNCTION connect_lake.flow_time_bucket(ms bigint) RETURNS integer
  AS 'MODULE_PATHNAME', 'flow_time_bucket'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_time_bucket(bigint) IS
  'The histogram bucket (0..254) of a time to the next block in milliseconds: 100 ms wide below 10 s, 1 s below 1 min, 10 s below 10 min, 1 min below 1 h, then one bucket. NULL for a negative time.';

CREATE FUNCTION connect_lake.flow_bucket_bounds(bucket integer, OUT lo_ms bigint, OUT hi_ms bigint)
  AS 'MODULE_PATHNAME', 'flow_bucket_bounds'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_bucket_bounds(integer) IS
  'The range [lo_ms, hi_ms) of a flow_time_bucket() bucket; the last bucket (an hour and more) is [3600000, 3600000].';

CREATE FUNCTION connect_lake.flow_histogram_add(a integer[], b integer[]) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'flow_histogram_add'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_add(integer[], integer[]) IS
  'Two time histograms added bucket by bucket (the state function of flow_histogram_sum).';

CREATE AGGREGATE connect_lake.flow_histogram_sum(integer[]) (
  SFUNC = connect_lake.flow_histogram_add, STYPE = integer[], COMBINEFUNC = connect_lake.flow_histogram_add,
  PARALLEL = SAFE);
COMMENT ON AGGREGATE connect_lake.flow_histogram_sum(integer[]) IS
  'Sum of time histograms (flow_block_day.next_ms_histogram), bucket by bucket.';

CREATE FUNCTION connect_lake.flow_histogram_count(state integer[], ms bigint) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'flow_histogram_count'
  LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_count(integer[], bigint) IS
  'A time histogram with one more time (milliseconds) in its bucket; NULL or negative times are not counted (the state function of flow_histogram).';

CREATE AGGREGATE connect_lake.flow_histogram(bigint) (
  SFUNC = connect_lake.flow_histogram_count, STYPE = integer[], PARALLEL = SAFE);
COMMENT ON AGGREGATE connect_lake.flow_histogram(bigint) IS
  'The time histogram (flow_time_bucket()) of a set of times in milliseconds.';

CREATE FUNCTION connect_lake.flow_histogram_percentile(histogram integer[], fraction double precision)
RETURNS numeric
  AS 'MODULE_PATHNAME', 'flow_histogram_percentile'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.flow_histogram_percentile(integer[], double precision) IS
  'The fraction-th percentile (0.5: the median) of a time histogram, in seconds to 1 decimal: the bucket holding percentile_disc(fraction) of the times, interpolated linearly inside it, so within the bucket''s width (100 ms below 10 s) of the exact percentile_disc. NULL for an empty histogram.';

-- ---- What flows_refresh() keeps.

CREATE TABLE connect_lake.contact_flow_path (
  contactid          uuid PRIMARY KEY,
  day                date NOT NULL,
  first_block_at     timestamptz NOT NULL,
  last_block_at      timestamptz NOT NULL,
  entry_flow_id      text,
  last_flow_id       text,
  last_identifier    text,
  last_module_type   text,
  flows              integer NOT NULL,
  blocks             integer NOT NULL,
  errors             integer NOT NULL,
  has_ctr            boolean NOT NULL,
  queued             boolean,
  agent              boolean,
  transferred        boolean,
  ivr_abandoned      boolean,
  contained          boolean
);
CREATE INDEX contact_flow_path_day_idx ON connect_lake.contact_flow_path (day, entry_flow_id);
COMMENT ON TABLE connect_lake.contact_flow_path IS
  'One row per contact (leg) that ran a flow: its flow path summarised (entry flow, last block, blocks, errors) and how it ended by its CTR (queued, agent, transferred, abandoned in the IVR, contained). The outcome columns are NULL while the CTR has not landed. Kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
COMMENT ON COLUMN connect_lake.contact_flow_path.contactid IS 'ContactId of the leg.';
COMMENT ON COLUMN connect_lake.contact_flow_path.day IS 'Local day (lake_time_zone()) of the contact''s first block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.first_block_at IS 'When the first block ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_block_at IS 'When the last block ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.entry_flow_id IS 'The flow of the first block: the contact''s entry point.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_flow_id IS 'The flow of the last block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_identifier IS 'Identifier of the last block the contact ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.last_module_type IS 'Module type of the last block.';
COMMENT ON COLUMN connect_lake.contact_flow_path.flows IS 'Distinct flows (and flow modules) the contact ran.';
COMMENT ON COLUMN connect_lake.contact_flow_path.blocks IS 'Blocks run (flow log events).';
COMMENT ON COLUMN connect_lake.contact_flow_path.errors IS 'Blocks whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.has_ctr IS 'Whether the contact''s CTR is in the lake.';
COMMENT ON COLUMN connect_lake.contact_flow_path.queued IS 'The CTR was put in a queue (metric_queued()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.agent IS 'The CTR reached an agent (metric_handled()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.transferred IS 'The contact went on as another leg (NextContactId) or to an external number (TransferCompletedTimestamp).';
COMMENT ON COLUMN connect_lake.contact_flow_path.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.contact_flow_path.contained IS 'Served in self-service (flow_contained()).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_flow_path', '');

CREATE TABLE connect_lake.flow_block_day (
  day                 date NOT NULL,
  flow_id             text,
  identifier          text,
  module_type         text,
  contacts            integer NOT NULL,
  executions          integer NOT NULL,
  errors              integer NOT NULL,
  results             jsonb NOT NULL,
  exits               integer NOT NULL,
  exits_other_flow    integer NOT NULL,
  exits_queue         integer NOT NULL,
  exits_hang_up       integer NOT NULL,
  exits_ended         integer NOT NULL,
  exits_unknown       integer NOT NULL,
  next_ms_histogram   integer[] NOT NULL,
  first_run_at        timestamptz NOT NULL,
  last_run_at         timestamptz NOT NULL,
  CONSTRAINT flow_block_day_key UNIQUE NULLS NOT DISTINCT (flow_id, day, identifier, module_type)
);
-- by day: every rebuild of a day deletes its rows, and the erasure reads a
-- customer's days (the key leads with the flow: without this, a scan of the
-- whole history at each)
CREATE INDEX flow_block_day_day_idx ON connect_lake.flow_block_day (day);
COMMENT ON TABLE connect_lake.flow_block_day IS
  'Per local day (of the contacts'' first block), flow and block: how many contacts ran the block and how often, its results, errors, where contacts left the flow, and a histogram of the time to the next block. Counts and histograms, so any range of days adds up (flow_funnel()). Kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_block_day.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_block_day.flow_id IS 'ContactFlowId: the flow (or flow module) ARN.';
COMMENT ON COLUMN connect_lake.flow_block_day.identifier IS 'Identifier of the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.module_type IS 'ContactFlowModuleType of the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.contacts IS 'Contacts that ran the block.';
COMMENT ON COLUMN connect_lake.flow_block_day.executions IS 'Times the block ran.';
COMMENT ON COLUMN connect_lake.flow_block_day.errors IS 'Runs whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.flow_block_day.results IS 'Runs per Results text, as {"result": count}; runs without a result are not listed.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits IS 'Contacts whose run of this flow ended at this block (the last block before another flow, the queue, a hang-up or the end).';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_other_flow IS 'Exits to another flow or flow module.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_queue IS 'Exits as the contact''s last block, the contact then queued or with an agent.';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_hang_up IS 'Exits as the contact''s last block, abandoned in the IVR (flow_ivr_abandoned()): "where callers hang up".';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_ended IS 'Exits as the contact''s last block, the flow ending the contact otherwise (a Disconnect block, a transfer out, the system).';
COMMENT ON COLUMN connect_lake.flow_block_day.exits_unknown IS 'Exits as the contact''s last block, its CTR not (yet) in the lake.';
COMMENT ON COLUMN connect_lake.flow_block_day.next_ms_histogram IS 'Histogram (flow_time_bucket()) of the time from a run of this block to the contact''s next block; runs that were the contact''s last are not counted.';
COMMENT ON COLUMN connect_lake.flow_block_day.first_run_at IS 'The day''s first run of the block (flow versions start there).';
COMMENT ON COLUMN connect_lake.flow_block_day.last_run_at IS 'The day''s last run of the block.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_block_day', '');

CREATE TABLE connect_lake.flow_entry_day (
  day                 date NOT NULL,
  entry_flow_id       text,
  contacts            integer NOT NULL,
  with_ctr            integer NOT NULL,
  contained           integer NOT NULL,
  ivr_abandoned       integer NOT NULL,
  queued              integer NOT NULL,
  agent               integer NOT NULL,
  transferred         integer NOT NULL,
  blocks              bigint NOT NULL,
  errors              bigint NOT NULL,
  CONSTRAINT flow_entry_day_key UNIQUE NULLS NOT DISTINCT (entry_flow_id, day)
);
CREATE INDEX flow_entry_day_day_idx ON connect_lake.flow_entry_day (day);
COMMENT ON TABLE connect_lake.flow_entry_day IS
  'Per local day and entry flow (the first flow of the contact): contacts, containment, IVR hang-ups, queued, with an agent. The sums of contact_flow_path; kept as flow logs and CTRs land (connect_lake.flows_upkeep) and by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_entry_day.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_entry_day.entry_flow_id IS 'The contacts'' entry flow.';
COMMENT ON COLUMN connect_lake.flow_entry_day.contacts IS 'Contacts that entered here.';
COMMENT ON COLUMN connect_lake.flow_entry_day.with_ctr IS 'Of them, those whose CTR is in the lake: the base of the rates.';
COMMENT ON COLUMN connect_lake.flow_entry_day.contained IS 'Contained (flow_contained()).';
COMMENT ON COLUMN connect_lake.flow_entry_day.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.flow_entry_day.queued IS 'Queued.';
COMMENT ON COLUMN connect_lake.flow_entry_day.agent IS 'Reached an agent.';
COMMENT ON COLUMN connect_lake.flow_entry_day.transferred IS 'Went on as another leg or to an external number.';
COMMENT ON COLUMN connect_lake.flow_entry_day.blocks IS 'Blocks run.';
COMMENT ON COLUMN connect_lake.flow_entry_day.errors IS 'Blocks run with an error result.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_entry_day', '');

-- The latest name of each flow, kept by flows_refresh().
CREATE TABLE connect_lake.flow_names (
  flow_id    text PRIMARY KEY,
  flow_name  text,
  seen_at    timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.flow_names IS 'Each flow (ContactFlowId) with the latest name its log events carry; kept as flow logs land (connect_lake.flows_upkeep) and by flows_refresh().';
COMMENT ON COLUMN connect_lake.flow_names.flow_id IS 'ContactFlowId.';
COMMENT ON COLUMN connect_lake.flow_names.flow_name IS 'The latest ContactFlowName.';
COMMENT ON COLUMN connect_lake.flow_names.seen_at IS 'When that name was last seen.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_names', '');

-- ---- Refresh.

CREATE FUNCTION connect_lake.flows_refresh_days(days date[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz     text := connect_lake.lake_time_zone();
  lo     timestamptz;
  hi     timestamptz;
  dy     date;
  n      integer;
BEGIN
  days := ARRAY(SELECT DISTINCT d FROM unnest(days) d WHERE d IS NOT NULL ORDER BY 1);
  IF cardinality(days) = 0 THEN
    RETURN 0;
  END IF;
  -- The flows' lock, shared, to the end of the transaction: a CTR writer's
  -- upkeep (flows_ctrs_landed()) takes it alone, so that it reads the paths
  -- this rebuild writes after it commits, never while the rebuild reads
  -- CTRs without its contacts' (test/specs/flows_upkeep_ctr_race.spec).
  PERFORM pg_advisory_xact_lock_shared(1131169349, 0);
  -- one rebuilder of a day at a time (the writers' upkeep at commit, a refresh by hand)
  FOREACH dy IN ARRAY days LOOP
    PERFORM pg_advisory_xact_lock(1131169348, dy - date '2000-01-01');
  END LOOP;
  -- the contacts of these days start inside [lo, hi); their blocks lie within a day after
  lo := (days[1]::timestamp) AT TIME ZONE tz;
  hi := ((days[cardinality(days)] + 1)::timestamp) AT TIME ZONE tz;

  DELETE FROM connect_lake.contact_flow_path p WHERE p.day = ANY (days);
  DELETE FROM connect_lake.flow_block_day b WHERE b.day = ANY (days);
  DELETE FROM connect_lake.flow_entry_day e WHERE e.day = ANY (days);

  IF to_regclass('pg_temp.connect_lake_flow_run') IS NULL THEN
    CREATE TEMP TABLE connect_lake_flow_run (
      contactid uuid, ts timestamptz, flow_id text, flow_name text, identifier text, module_type text, results text,
      next_ts timestamptz, next_flow text, is_last boolean, day date) ON COMMIT DROP;
  END IF;
  TRUNCATE connect_lake_flow_run;

  -- every block of every contact whose first block lies on one of the days
  INSERT INTO connect_lake_flow_run
  SELECT r.contactid, r.ts, r.flow_id, r.flow_name, r.identifier, r.module_type, r.results, r.next_ts,
         r.next_flow, r.next_ts IS NULL, (min(r.ts) OVER (PARTITION BY r.contactid) AT TIME ZONE tz)::date
    FROM (SELECT f.contactid, f."timestamp" AS ts, f.contactflowid AS flow_id, f.contactflowname AS flow_name,
                 f.identifier,
                 f.contactflowmoduletype AS module_type, f.results,
                 lead(f."timestamp") OVER w AS next_ts, lead(f.contactflowid) OVER w AS next_flow
            FROM connect_lake.contact_flow_log f
           WHERE f."timestamp" >= lo AND f."timestamp" < hi + interval '1 day'
             -- the contacts that ran a block in the range and none the day before
             AND f.contactid IN (SELECT c.contactid FROM connect_lake.contact_flow_log c
                                  WHERE c."timestamp" >= lo AND c."timestamp" < hi
                                 EXCEPT
                                 SELECT c.contactid FROM connect_lake.contact_flow_log c
                                  WHERE c."timestamp" >= lo - interval '1 day' AND c."timestamp" < lo)
          WINDOW w AS (PARTITION BY f.contactid ORDER BY f."timestamp", f.identifier, f.contactflowmoduletype)) r;
  DELETE FROM connect_lake_flow_run r WHERE NOT (r.day = ANY (days));
  ANALYZE connect_lake_flow_run;

  INSERT INTO connect_lake.flow_names AS n
  SELECT DISTINCT ON (r.flow_id) r.flow_id, r.flow_name, r.ts
    FROM connect_lake_flow_run r WHERE r.flow_id IS NOT NULL
   ORDER BY r.flow_id, r.ts DESC
  ON CONFLICT (flow_id) DO UPDATE SET flow_name = excluded.flow_name, seen_at = excluded.seen_at
   WHERE excluded.seen_at >= n.seen_at;

  -- (on Citus, the statement below reads a copy of the contacts' CTRs, which
  -- distribute() points it at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_flow_ctrs', 'f.contactid = ANY ($1)',
                                         ARRAY(SELECT DISTINCT r.contactid FROM connect_lake_flow_run r));
  END IF;
  INSERT INTO connect_lake.contact_flow_path
  SELECT s.contactid, s.day, s.first_at, s.last_at, s.entry_flow_id, s.last_flow_id, s.last_identifier,
         s.last_module_type, s.flows, s.blocks, s.errors, c.contactid IS NOT NULL,
         o.queued, o.agent, o.transferred,
         connect_lake.flow_ivr_abandoned(o.queued, o.agent, c.disconnectreason, s.last_module_type),
         connect_lake.flow_contained(o.queued, o.agent,
           connect_lake.flow_ivr_abandoned(o.queued, o.agent, c.disconnectreason, s.last_module_type), o.transferred)
    FROM (SELECT r.contactid, min(r.day) AS day, min(r.ts) AS first_at, max(r.ts) AS last_at,
                 (array_agg(r.flow_id ORDER BY r.ts, r.identifier))[1] AS entry_flow_id,
                 (array_agg(r.flow_id) FILTER (WHERE r.is_last))[1] AS last_flow_id,
                 (array_agg(r.identifier) FILTER (WHERE r.is_last))[1] AS last_identifier,
                 (array_agg(r.module_type) FILTER (WHERE r.is_last))[1] AS last_module_type,
                 count(DISTINCT r.flow_id)::integer AS flows, count(*)::integer AS blocks,
                 count(*) FILTER (WHERE connect_lake.flow_result_is_error(r.results))::integer AS errors
            FROM connect_lake_flow_run r GROUP BY r.contactid) s
    LEFT JOIN LATERAL (SELECT * FROM connect_lake.ctr_events x WHERE x.contactid = s.contactid
                        ORDER BY x.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
    LEFT JOIN LATERAL (SELECT connect_lake.metric_queued(c.queue_enqueuetimestamp) AS queued,
                              connect_lake.metric_handled(c.agent_connectedtoagentts) AS agent,
                              (c.nextcontactid IS NOT NULL OR c.transfercompletedtimestamp IS NOT NULL) AS transferred
                        WHERE c.contactid IS NOT NULL) o ON true
  -- a contact already summarised on a day not rebuilt here (flow logs with a
  -- whole day's gap) stays there, counted once
  ON CONFLICT (contactid) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;

  INSERT INTO connect_lake.flow_block_day
  SELECT r.day, r.flow_id, r.identifier, r.module_type,
         count(DISTINCT r.contactid), count(*),
         count(*) FILTER (WHERE connect_lake.flow_result_is_error(r.results)),
         coalesce((SELECT jsonb_object_agg(x.results, x.n)
                     FROM (SELECT u.results, count(*) AS n FROM unnest(array_agg(r.results)) AS u(results)
                            WHERE u.results <> '' GROUP BY u.results) x), '{}'),
         count(*) FILTER (WHERE r.exit_kind IS NOT NULL),
         count(*) FILTER (WHERE r.exit_kind = 'other_flow'),
         count(*) FILTER (WHERE r.exit_kind = 'queue'),
         count(*) FILTER (WHERE r.exit_kind = 'hang_up'),
         count(*) FILTER (WHERE r.exit_kind = 'ended'),
         count(*) FILTER (WHERE r.exit_kind = 'unknown'),
         connect_lake.flow_histogram((extract(epoch FROM r.next_ts - r.ts) * 1000)::bigint),
         min(r.ts), max(r.ts)
    FROM (SELECT r.*,
                 CASE WHEN r.next_flow IS NOT NULL AND r.next_flow IS DISTINCT FROM r.flow_id THEN 'other_flow'
                      WHEN NOT r.is_last THEN NULL
                      WHEN NOT p.has_ctr THEN 'unknown'
                      WHEN p.queued OR p.agent THEN 'queue'
                      WHEN p.ivr_abandoned THEN 'hang_up'
                      ELSE 'ended' END AS exit_kind
            FROM connect_lake_flow_run r
            JOIN connect_lake.contact_flow_path p ON p.contactid = r.contactid AND p.day = r.day) r
   GROUP BY r.day, r.flow_id, r.identifier, r.module_type;

  INSERT INTO connect_lake.flow_entry_day
  SELECT p.day, p.entry_flow_id, count(*), count(*) FILTER (WHERE p.has_ctr),
         count(*) FILTER (WHERE p.contained), count(*) FILTER (WHERE p.ivr_abandoned),
         count(*) FILTER (WHERE p.queued), count(*) FILTER (WHERE p.agent),
         count(*) FILTER (WHERE p.transferred), sum(p.blocks), sum(p.errors)
    FROM connect_lake.contact_flow_path p
   WHERE p.day = ANY (days)
   GROUP BY p.day, p.entry_flow_id;

  -- the versions of the flows these days ran
  PERFORM connect_lake.flow_versions_detect(x.flow_id)
     FROM (SELECT DISTINCT r.flow_id FROM connect_lake_flow_run r WHERE r.flow_id IS NOT NULL) x;
  -- dropped, not left to ON COMMIT: run by ALTER EXTENSION UPDATE, the
  -- table would be the extension's and could not be dropped at commit
  DROP TABLE connect_lake_flow_run;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh_days(date[]) IS
  'Rebuilds contact_flow_path, flow_block_day and flow_entry_day for these local days from contact_flow_log and ctr_events, and the versions of the flows they ran (flow_versions_detect()); returns the contacts summarised (loader role).';

CREATE FUNCTION connect_lake.flows_refresh(from_day date DEFAULT NULL, to_day date DEFAULT NULL) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz    text := connect_lake.lake_time_zone();
  first date;
  last  date;
  d     date;
  n     integer := 0;
BEGIN
  -- The writers' upkeep locks before the flows' lock (flows_refresh_days()
  -- shares it), in their order: the metrics' (the rollups' lock), the
  -- repeats', alone, to the end of the transaction.  A DBA who then calls
  -- contact_repeat_refresh() or metrics_refresh() in the same transaction
  -- holds them already: holding the flows' lock first, that call waited
  -- for a CTR writer's commit that held them and waited for the flows'
  -- lock, a deadlock (test/specs/refresh_lock_order.spec).  The CTR writers
  -- with connect_lake.flows_upkeep on waited for this refresh anyway (their
  -- upkeep takes the flows' lock alone); they now wait before their metrics.
  -- Alone, not shared: two refreshes that each shared them and then asked
  -- for them alone would deadlock.  Flow log writers take none of them.
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM pg_advisory_xact_lock(1131164272, 0);
  SELECT coalesce(from_day, (min(f."timestamp") AT TIME ZONE tz)::date),
         coalesce(to_day, (max(f."timestamp") AT TIME ZONE tz)::date)
    INTO first, last
    FROM connect_lake.contact_flow_log f;
  IF first IS NULL THEN
    RETURN 0;
  END IF;
  -- a week at a time: bounded memory, one window sort per week
  d := first;
  WHILE d <= last LOOP
    n := n + connect_lake.flows_refresh_days(ARRAY(SELECT g::date FROM generate_series(d, least(d + 6, last), '1 day') g));
    d := d + 7;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh(date, date) IS
  'Rebuilds the flow funnels and containment (contact_flow_path, flow_block_day, flow_entry_day) for the local days from_day to to_day, both included (default: every day the flow logs cover), a week at a time; returns the contacts summarised (loader role). Takes the writers'' upkeep locks in their order, the metrics'' and the repeats'' (alone) before the flows'', to the end of the transaction.';

-- ---- Kept as logs and CTRs land: the writers' upkeep at commit (upkeep.h),
-- on unless connect_lake.flows_upkeep is off.

-- flows_refresh_days() over runs of consecutive days, a week at most each (as
-- flows_refresh()): a list with gaps read as one range would read every log
-- in between (the days of one contact's legs, or of a customer's contacts
-- over years).
CREATE FUNCTION connect_lake.flows_refresh_day_runs(days date[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  run  date[] := '{}';
  n    integer := 0;
  d    date;
BEGIN
  FOR d IN SELECT DISTINCT x FROM unnest(days) x WHERE x IS NOT NULL ORDER BY 1 LOOP
    IF cardinality(run) > 0 AND (d <> run[cardinality(run)] + 1 OR cardinality(run) = 7) THEN
      n := n + connect_lake.flows_refresh_days(run);
      run := '{}';
    END IF;
    run := run || d;
  END LOOP;
  IF cardinality(run) > 0 THEN
    n := n + connect_lake.flows_refresh_days(run);
  END IF;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) IS
  'Internal: flows_refresh_days() over the local days given, a run of consecutive days (a week at most) at a time, so that days far apart never read the logs in between; returns the contacts summarised (the writers'' upkeep, the erasure).';

CREATE FUNCTION connect_lake.flows_logs_landed(contact_ids uuid[], first_ts timestamptz[], last_ts timestamptz[])
RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  tz     text := connect_lake.lake_time_zone();
  days   date[];
BEGIN
  -- The days whose contacts these events can change: the day each contact
  -- was summarised on, and each day around its events it now starts on (a
  -- block that day and none the day before: flows_refresh_days()'s rule).
  WITH t AS (
    SELECT u.id, (u.f AT TIME ZONE tz)::date AS df, (u.l AT TIME ZONE tz)::date AS dl
      FROM unnest(contact_ids, first_ts, last_ts) AS u(id, f, l)
  ), b AS (
    SELECT DISTINCT t.id, t.df, (f."timestamp" AT TIME ZONE tz)::date AS d
      FROM t
      JOIN connect_lake.contact_flow_log f
        ON f.contactid = t.id
       AND f."timestamp" >= ((t.df - 2)::timestamp AT TIME ZONE tz)
       AND f."timestamp" < ((t.dl + 1)::timestamp AT TIME ZONE tz)
  )
  SELECT ARRAY(SELECT x.day FROM (SELECT b.d AS day FROM b
                                   WHERE b.d >= b.df - 1
                                     AND NOT EXISTS (SELECT FROM b p WHERE p.id = b.id AND p.d = b.d - 1)
                                  UNION
                                  SELECT p.day FROM connect_lake.contact_flow_path p
                                   WHERE p.contactid = ANY (contact_ids)) x
                ORDER BY 1)
    INTO days;
  RETURN connect_lake.flows_refresh_day_runs(days);
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) IS
  'The writers'' upkeep at the commit of a transaction that wrote flow log events (load(), ingest(), ingest_batch(); off with connect_lake.flows_upkeep): given each contact with its first and last event written, rebuilds (flows_refresh_days()) exactly the local days whose contacts those events can change: the day each contact was summarised on and the day it now starts on. Returns the contacts summarised (loader role).';

CREATE FUNCTION connect_lake.flows_ctrs_landed(contact_ids uuid[]) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  dy  date;
  n   integer;
BEGIN
  -- The flows' lock, alone, to the end of the transaction, before any path
  -- is read: a flow log writer's rebuild of a day (flows_refresh_days(),
  -- which shares it) may be writing these contacts' paths from CTRs read
  -- before this transaction's committed; its rows, once committed, are
  -- corrected here.  (Side by side, the rebuild read no CTR and this found
  -- no path: has_ctr stayed false; test/specs/flows_upkeep_ctr_race.spec.)
  -- The repeats' lock first (contact_repeat_refresh(), which a CTR writer's
  -- upkeep took already unless connect_lake.repeats_upkeep is off): the
  -- erasure check after this may rebuild repeat chains, and the writers'
  -- locks are always taken in one order, the metrics', the repeats', the
  -- flows'.
  PERFORM pg_advisory_xact_lock(1131164272, 0);
  PERFORM pg_advisory_xact_lock(1131169349, 0);
  FOREACH dy IN ARRAY ARRAY(SELECT DISTINCT p.day FROM connect_lake.contact_flow_path p
                             WHERE p.contactid = ANY (contact_ids) ORDER BY 1) LOOP
    PERFORM pg_advisory_xact_lock(1131169348, dy - date '2000-01-01');
  END LOOP;
  -- each contact's outcome as flows_refresh_days() computes it, against the
  -- one kept (on Citus, over a copy of the CTRs, which distribute() points
  -- the statement at: citus_swap_functions())
  IF connect_lake.is_distributed() THEN
    PERFORM connect_lake.citus_fact_rows('connect_lake.ctr_events', 'connect_lake_flow_ctrs', 'f.contactid = ANY ($1)',
                                         contact_ids);
  END IF;
  WITH o AS (
    SELECT p.contactid, p.day, p.entry_flow_id, p.last_flow_id, p.last_identifier, p.last_module_type,
           p.has_ctr AS old_has_ctr, p.queued AS old_queued, p.agent AS old_agent,
           p.transferred AS old_transferred, p.ivr_abandoned AS old_ivr_abandoned, p.contained AS old_contained,
           c.contactid IS NOT NULL AS has_ctr, x.queued, x.agent, x.transferred,
           connect_lake.flow_ivr_abandoned(x.queued, x.agent, c.disconnectreason, p.last_module_type) AS ivr_abandoned
      FROM connect_lake.contact_flow_path p
      LEFT JOIN LATERAL (SELECT * FROM connect_lake.ctr_events e WHERE e.contactid = p.contactid
                          ORDER BY e.lastupdatetimestamp DESC NULLS LAST LIMIT 1) c ON true
      LEFT JOIN LATERAL (SELECT connect_lake.metric_queued(c.queue_enqueuetimestamp) AS queued,
                                connect_lake.metric_handled(c.agent_connectedtoagentts) AS agent,
                                (c.nextcontactid IS NOT NULL OR c.transfercompletedtimestamp IS NOT NULL) AS transferred
                          WHERE c.contactid IS NOT NULL) x ON true
     WHERE p.contactid = ANY (contact_ids)
  ), ch AS (
    SELECT o.*, connect_lake.flow_contained(o.queued, o.agent, o.ivr_abandoned, o.transferred) AS contained,
           CASE WHEN NOT o.old_has_ctr THEN 'unknown' WHEN o.old_queued OR o.old_agent THEN 'queue'
                WHEN o.old_ivr_abandoned THEN 'hang_up' ELSE 'ended' END AS old_exit,
           CASE WHEN NOT o.has_ctr THEN 'unknown' WHEN o.queued OR o.agent THEN 'queue'
                WHEN o.ivr_abandoned THEN 'hang_up' ELSE 'ended' END AS new_exit
      FROM o
     WHERE (o.old_has_ctr, o.old_queued, o.old_agent, o.old_transferred, o.old_ivr_abandoned, o.old_contained)
           IS DISTINCT FROM
           (o.has_ctr, o.queued, o.agent, o.transferred, o.ivr_abandoned,
            connect_lake.flow_contained(o.queued, o.agent, o.ivr_abandoned, o.transferred))
  ), path AS (
    UPDATE connect_lake.contact_flow_path p
       SET has_ctr = ch.has_ctr, queued = ch.queued, agent = ch.agent, transferred = ch.transferred,
           ivr_abandoned = ch.ivr_abandoned, contained = ch.contained
      FROM ch WHERE p.contactid = ch.contactid
    RETURNING 1
  ), entry AS (
    UPDATE connect_lake.flow_entry_day e
       SET with_ctr = e.with_ctr + s.with_ctr, contained = e.contained + s.contained,
           ivr_abandoned = e.ivr_abandoned + s.ivr_abandoned, queued = e.queued + s.queued,
           agent = e.agent + s.agent, transferred = e.transferred + s.transferred
      FROM (SELECT ch.day, ch.entry_flow_id,
                   sum(ch.has_ctr::integer - ch.old_has_ctr::integer) AS with_ctr,
                   sum((ch.contained IS TRUE)::integer - (ch.old_contained IS TRUE)::integer) AS contained,
                   sum((ch.ivr_abandoned IS TRUE)::integer - (ch.old_ivr_abandoned IS TRUE)::integer) AS ivr_abandoned,
                   sum((ch.queued IS TRUE)::integer - (ch.old_queued IS TRUE)::integer) AS queued,
                   sum((ch.agent IS TRUE)::integer - (ch.old_agent IS TRUE)::integer) AS agent,
                   sum((ch.transferred IS TRUE)::integer - (ch.old_transferred IS TRUE)::integer) AS transferred
              FROM ch GROUP BY ch.day, ch.entry_flow_id) s
     WHERE e.day = s.day AND e.entry_flow_id IS NOT DISTINCT FROM s.entry_flow_id
    RETURNING 1
  ), block AS (
    -- the contact's last block: where it left the flow, by its CTR
    UPDATE connect_lake.flow_block_day b
       SET exits_queue = b.exits_queue + s.exits_queue, exits_hang_up = b.exits_hang_up + s.exits_hang_up,
           exits_ended = b.exits_ended + s.exits_ended, exits_unknown = b.exits_unknown + s.exits_unknown
      FROM (SELECT ch.day, ch.last_flow_id, ch.last_identifier, ch.last_module_type,
                   sum((ch.new_exit = 'queue')::integer - (ch.old_exit = 'queue')::integer) AS exits_queue,
                   sum((ch.new_exit = 'hang_up')::integer - (ch.old_exit = 'hang_up')::integer) AS exits_hang_up,
                   sum((ch.new_exit = 'ended')::integer - (ch.old_exit = 'ended')::integer) AS exits_ended,
                   sum((ch.new_exit = 'unknown')::integer - (ch.old_exit = 'unknown')::integer) AS exits_unknown
              FROM ch GROUP BY ch.day, ch.last_flow_id, ch.last_identifier, ch.last_module_type) s
     WHERE b.day = s.day AND b.flow_id IS NOT DISTINCT FROM s.last_flow_id
       AND b.identifier IS NOT DISTINCT FROM s.last_identifier
       AND b.module_type IS NOT DISTINCT FROM s.last_module_type
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM path) INTO n;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) IS
  'The writers'' upkeep at the commit of a transaction that landed CTRs (off with connect_lake.flows_upkeep): the outcome of those contacts in contact_flow_path (queued, agent, transferred, abandoned in the IVR, contained: they read the CTR) as flows_refresh_days() computes it, and the counts of flow_entry_day and the exits of flow_block_day moved with it, for the contacts whose outcome changed (a CTR landing after its flow logs). Returns the contacts changed (loader role).';

-- ---- Reading.

CREATE FUNCTION connect_lake.flow_funnel(from_day date, to_day date, flow text DEFAULT NULL)
RETURNS TABLE (flow_id text, flow_name text, identifier text, module_type text, contacts bigint,
               executions bigint, errors bigint, error_rate numeric, results jsonb, exits bigint,
               exits_other_flow bigint, exits_queue bigint, exits_hang_up bigint, exits_ended bigint,
               exits_unknown bigint, median_next_s numeric, p90_next_s numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH d AS MATERIALIZED (
    SELECT * FROM connect_lake.flow_block_day d
     WHERE d.day BETWEEN from_day AND to_day AND (flow IS NULL OR d.flow_id = flow)
  ), b AS (
    SELECT d.flow_id, d.identifier, d.module_type, sum(d.contacts)::bigint AS contacts,
           sum(d.executions)::bigint AS executions, sum(d.errors)::bigint AS errors,
           sum(d.exits)::bigint AS exits, sum(d.exits_other_flow)::bigint AS exits_other_flow,
           sum(d.exits_queue)::bigint AS exits_queue, sum(d.exits_hang_up)::bigint AS exits_hang_up,
           sum(d.exits_ended)::bigint AS exits_ended, sum(d.exits_unknown)::bigint AS exits_unknown
      FROM d GROUP BY 1, 2, 3
  ), r AS (
    SELECT x.flow_id, x.identifier, x.module_type, jsonb_object_agg(x.result, x.n) AS results
      FROM (SELECT d.flow_id, d.identifier, d.module_type, e.key AS result, sum(e.value::bigint) AS n
              FROM d, jsonb_each_text(d.results) e GROUP BY 1, 2, 3, 4) x
     GROUP BY 1, 2, 3
  ), h AS (
    SELECT d.flow_id, d.identifier, d.module_type, connect_lake.flow_histogram_sum(d.next_ms_histogram) AS hist
      FROM d GROUP BY 1, 2, 3
  )
  SELECT b.flow_id, n.flow_name, b.identifier, b.module_type, b.contacts, b.executions, b.errors,
         round(100.0 * b.errors / nullif(b.executions, 0), 2), coalesce(r.results, '{}'), b.exits,
         b.exits_other_flow, b.exits_queue, b.exits_hang_up, b.exits_ended, b.exits_unknown,
         connect_lake.flow_histogram_percentile(h.hist, 0.5),
         connect_lake.flow_histogram_percentile(h.hist, 0.9)
    FROM b
    LEFT JOIN r ON (r.flow_id, r.identifier, r.module_type) IS NOT DISTINCT FROM (b.flow_id, b.identifier, b.module_type)
    LEFT JOIN h ON (h.flow_id, h.identifier, h.module_type) IS NOT DISTINCT FROM (b.flow_id, b.identifier, b.module_type)
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = b.flow_id
   ORDER BY b.flow_id, b.contacts DESC, b.identifier
$fn$;
COMMENT ON FUNCTION connect_lake.flow_funnel(date, date, text) IS
  'Block funnel of every flow (or one flow: its ContactFlowId) over the local days from_day to to_day, both included: per block the contacts that ran it, runs, errors and error rate, results, where contacts left the flow (another flow, the queue, a hang-up, the end, CTR unknown) and the median and 90th percentile of the time to the next block (from the summed histograms, within a bucket width). From flow_block_day.';

CREATE VIEW connect_lake.flow_block_daily AS
  SELECT d.day, d.flow_id, n.flow_name, d.identifier, d.module_type, d.contacts, d.executions, d.errors,
         round(100.0 * d.errors / nullif(d.executions, 0), 2) AS error_rate, d.results, d.exits,
         d.exits_other_flow, d.exits_queue, d.exits_hang_up, d.exits_ended, d.exits_unknown,
         connect_lake.flow_histogram_percentile(d.next_ms_histogram, 0.5) AS median_next_s,
         connect_lake.flow_histogram_percentile(d.next_ms_histogram, 0.9) AS p90_next_s
    FROM connect_lake.flow_block_day d
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = d.flow_id;
COMMENT ON VIEW connect_lake.flow_block_daily IS
  'The block funnel per local day: flow_block_day with the flow''s latest name, the error rate and the median and 90th-percentile time to the next block (seconds).';
COMMENT ON COLUMN connect_lake.flow_block_daily.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.flow_id IS 'ContactFlowId: the flow (or flow module) ARN.';
COMMENT ON COLUMN connect_lake.flow_block_daily.flow_name IS 'The flow''s latest name (flow_names).';
COMMENT ON COLUMN connect_lake.flow_block_daily.identifier IS 'Identifier of the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.module_type IS 'ContactFlowModuleType of the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.contacts IS 'Contacts that ran the block.';
COMMENT ON COLUMN connect_lake.flow_block_daily.executions IS 'Times the block ran.';
COMMENT ON COLUMN connect_lake.flow_block_daily.errors IS 'Runs whose result is an error (flow_result_is_error()).';
COMMENT ON COLUMN connect_lake.flow_block_daily.error_rate IS 'Errors per 100 runs.';
COMMENT ON COLUMN connect_lake.flow_block_daily.results IS 'Runs per Results text, as {"result": count}; runs without a result are not listed.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits IS 'Contacts whose run of this flow ended at this block (the last block before another flow, the queue, a hang-up or the end).';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_other_flow IS 'Exits to another flow or flow module.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_queue IS 'Exits as the contact''s last block, the contact then queued or with an agent.';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_hang_up IS 'Exits as the contact''s last block, abandoned in the IVR (flow_ivr_abandoned()): "where callers hang up".';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_ended IS 'Exits as the contact''s last block, the flow ending the contact otherwise (a Disconnect block, a transfer out, the system).';
COMMENT ON COLUMN connect_lake.flow_block_daily.exits_unknown IS 'Exits as the contact''s last block, its CTR not (yet) in the lake.';
COMMENT ON COLUMN connect_lake.flow_block_daily.median_next_s IS 'Median time to the next block, seconds (flow_histogram_percentile()).';
COMMENT ON COLUMN connect_lake.flow_block_daily.p90_next_s IS '90th-percentile time to the next block, seconds.';

CREATE FUNCTION connect_lake.flow_hang_ups(from_day date, to_day date)
RETURNS TABLE (rank bigint, flow_id text, flow_name text, identifier text, module_type text,
               hang_ups bigint, contacts bigint, hang_up_rate numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT rank() OVER (ORDER BY f.exits_hang_up DESC), f.flow_id, f.flow_name, f.identifier, f.module_type,
         f.exits_hang_up, f.contacts, round(100.0 * f.exits_hang_up / nullif(f.contacts, 0), 2)
    FROM connect_lake.flow_funnel(from_day, to_day) f
   WHERE f.exits_hang_up > 0
   ORDER BY 1, f.flow_id, f.identifier
$fn$;
COMMENT ON FUNCTION connect_lake.flow_hang_ups(date, date) IS
  'Where callers hang up: the blocks after which contacts were abandoned in the IVR (flow_ivr_abandoned()) over the local days from_day to to_day, ranked, with the share of the block''s contacts.';

CREATE FUNCTION connect_lake.flow_containment(from_day date, to_day date)
RETURNS TABLE (day date, entry_flow_id text, entry_flow_name text, contacts bigint, with_ctr bigint,
               contained bigint, containment_rate numeric, ivr_abandoned bigint, ivr_abandonment_rate numeric,
               queued bigint, agent bigint, transferred bigint)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT e.day, e.entry_flow_id, n.flow_name, e.contacts, e.with_ctr, e.contained,
         round(100.0 * e.contained / nullif(e.with_ctr, 0), 2), e.ivr_abandoned,
         round(100.0 * e.ivr_abandoned / nullif(e.with_ctr, 0), 2), e.queued, e.agent, e.transferred
    FROM (SELECT d.day, d.entry_flow_id, sum(d.contacts)::bigint AS contacts, sum(d.with_ctr)::bigint AS with_ctr,
                 sum(d.contained)::bigint AS contained, sum(d.ivr_abandoned)::bigint AS ivr_abandoned,
                 sum(d.queued)::bigint AS queued, sum(d.agent)::bigint AS agent,
                 sum(d.transferred)::bigint AS transferred
            FROM connect_lake.flow_entry_day d
           WHERE d.day BETWEEN from_day AND to_day
           GROUP BY GROUPING SETS ((d.day, d.entry_flow_id), (d.entry_flow_id))) e
    LEFT JOIN connect_lake.flow_names n ON n.flow_id = e.entry_flow_id
   ORDER BY e.entry_flow_id, e.day NULLS LAST
$fn$;
COMMENT ON FUNCTION connect_lake.flow_containment(date, date) IS
  'Containment and IVR abandonment per entry flow (the contact''s first flow) and local day from from_day to to_day, plus one row per entry flow with day NULL for the whole range. Rates are of the contacts whose CTR is in the lake (with_ctr).';

CREATE VIEW connect_lake.flow_containment_daily AS
  SELECT * FROM connect_lake.flow_containment('-infinity', 'infinity') c WHERE c.day IS NOT NULL;
COMMENT ON VIEW connect_lake.flow_containment_daily IS
  'Containment and IVR abandonment per entry flow and local day, every day (flow_containment()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.day IS 'Local day of the contacts'' first block.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.entry_flow_id IS 'The contacts'' entry flow.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.entry_flow_name IS 'The entry flow''s latest name.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.contacts IS 'Contacts that entered here.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.with_ctr IS 'Of them, those whose CTR is in the lake: the base of the rates.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.contained IS 'Contained (flow_contained()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.containment_rate IS 'Contained per 100 contacts with a CTR.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.ivr_abandoned IS 'Abandoned in the IVR (flow_ivr_abandoned()).';
COMMENT ON COLUMN connect_lake.flow_containment_daily.ivr_abandonment_rate IS 'Abandoned in the IVR per 100 contacts with a CTR.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.queued IS 'Queued.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.agent IS 'Reached an agent.';
COMMENT ON COLUMN connect_lake.flow_containment_daily.transferred IS 'Went on as another leg or to an external number.';

-- ---- Flow versions.
--
-- Flow logs carry no version number.  A new version of a flow is detected
-- when it runs a block identifier it has never run before (Amazon Connect
-- gives every new block a new identifier); it starts at that block's first
-- run.  The blocks of the previous version that never run again are its
-- removed blocks.  A version that only edits blocks in place keeps every
-- identifier and cannot be seen in the logs: the DBA records its publish
-- time in flow_publish, which starts a version too.

CREATE TABLE connect_lake.flow_publish (
  flow_id       text NOT NULL,
  published_at  timestamptz NOT NULL,
  note          text,
  PRIMARY KEY (flow_id, published_at)
);
COMMENT ON TABLE connect_lake.flow_publish IS
  'Publish times of flow versions recorded by hand (a version that changes no block identifier cannot be detected from the logs); flow_versions_detect() starts a version at each. Edited by the DBA.';
COMMENT ON COLUMN connect_lake.flow_publish.flow_id IS 'ContactFlowId of the flow.';
COMMENT ON COLUMN connect_lake.flow_publish.published_at IS 'When the version was published.';
COMMENT ON COLUMN connect_lake.flow_publish.note IS 'What changed, in the DBA''s words.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_publish', '');

CREATE TABLE connect_lake.flow_version (
  flow_id      text NOT NULL,
  version      integer NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  blocks       text[] NOT NULL,
  added        text[] NOT NULL,
  removed      text[] NOT NULL,
  detected_by  text NOT NULL CHECK (detected_by IN ('first', 'blocks', 'published')),
  PRIMARY KEY (flow_id, version)
);
COMMENT ON TABLE connect_lake.flow_version IS
  'The versions of each flow as the logs show them: a new version when the flow runs a block identifier never run before, or at a publish time of flow_publish. Rebuilt by flow_versions_detect() (flows_refresh() calls it).';
COMMENT ON COLUMN connect_lake.flow_version.flow_id IS 'ContactFlowId.';
COMMENT ON COLUMN connect_lake.flow_version.version IS 'Version number, 1 for the first seen.';
COMMENT ON COLUMN connect_lake.flow_version.first_seen IS 'When the version first ran (its first new block''s first run, or its publish time).';
COMMENT ON COLUMN connect_lake.flow_version.last_seen IS 'When a block of the flow last ran before the next version.';
COMMENT ON COLUMN connect_lake.flow_version.blocks IS 'Block identifiers the version ran.';
COMMENT ON COLUMN connect_lake.flow_version.added IS 'Identifiers new in this version.';
COMMENT ON COLUMN connect_lake.flow_version.removed IS 'Identifiers of the previous version this one never ran.';
COMMENT ON COLUMN connect_lake.flow_version.detected_by IS 'first (the first version seen), blocks (new identifiers) or published (flow_publish).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.flow_version', '');

CREATE FUNCTION connect_lake.flow_versions_detect(flow text DEFAULT NULL) RETURNS integer
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
DECLARE
  f       text;
  starts  timestamptz[];
  kinds   text[];
  seen    text[];
  d       record;
  p       record;
  i       integer;
  n       integer := 0;
BEGIN
  DELETE FROM connect_lake.flow_version v WHERE flow IS NULL OR v.flow_id = flow;
  FOR f IN SELECT DISTINCT b.flow_id FROM connect_lake.flow_block_day b
            WHERE b.flow_id IS NOT NULL AND (flow IS NULL OR b.flow_id = flow) ORDER BY 1 LOOP
    -- where versions start: the first run of each never-seen identifier, day by day
    starts := '{}'; kinds := '{}'; seen := '{}';
    FOR d IN SELECT b.day, array_agg(b.identifier) FILTER (WHERE b.identifier IS NOT NULL) AS ids,
                    min(b.first_run_at) AS day_first
               FROM connect_lake.flow_block_day b WHERE b.flow_id = f
              GROUP BY b.day ORDER BY b.day LOOP
      IF cardinality(seen) = 0 THEN
        starts := starts || d.day_first; kinds := kinds || 'first'::text;
      ELSIF EXISTS (SELECT 1 FROM unnest(d.ids) x WHERE x <> ALL (seen)) THEN
        starts := starts || (SELECT min(b.first_run_at) FROM connect_lake.flow_block_day b
                              WHERE b.flow_id = f AND b.day = d.day AND b.identifier <> ALL (seen));
        kinds := kinds || 'blocks'::text;
      END IF;
      seen := ARRAY(SELECT DISTINCT x FROM unnest(seen || coalesce(d.ids, '{}')) x);
    END LOOP;
    -- publish times start versions too; a detected start within a day after
    -- a publish time is that publish
    FOR p IN SELECT pb.published_at FROM connect_lake.flow_publish pb WHERE pb.flow_id = f ORDER BY 1 LOOP
      SELECT k INTO i FROM generate_subscripts(starts, 1) k
       WHERE kinds[k] = 'blocks' AND starts[k] >= p.published_at AND starts[k] < p.published_at + interval '1 day'
       ORDER BY k LIMIT 1;
      IF i IS NOT NULL THEN
        starts[i] := p.published_at; kinds[i] := 'published';
      ELSIF p.published_at > starts[1] THEN
        starts := starts || p.published_at; kinds := kinds || 'published'::text;
      END IF;
    END LOOP;

    INSERT INTO connect_lake.flow_version
    SELECT f, w.version, w.first_seen,
           coalesce((SELECT max(b.last_run_at) FROM connect_lake.flow_block_day b
                      WHERE b.flow_id = f AND b.last_run_at >= w.first_seen AND b.last_run_at < w.until),
                    w.first_seen),
           w.blocks,
           ARRAY(SELECT x FROM unnest(w.blocks) x WHERE x <> ALL (coalesce(w.prev_blocks, '{}')) ORDER BY 1),
           ARRAY(SELECT x FROM unnest(coalesce(w.prev_blocks, '{}')) x WHERE x <> ALL (w.blocks) ORDER BY 1),
           w.kind
      FROM (SELECT v.*, lag(v.blocks) OVER (ORDER BY v.version) AS prev_blocks
              FROM (SELECT t.version, t.first_seen, t.until, t.kind,
                           ARRAY(SELECT DISTINCT b.identifier FROM connect_lake.flow_block_day b
                                  WHERE b.flow_id = f AND b.identifier IS NOT NULL
                                    AND b.last_run_at >= t.first_seen AND b.first_run_at < t.until
                                  ORDER BY 1) AS blocks
                      FROM (SELECT row_number() OVER (ORDER BY u.start)::integer AS version, u.start AS first_seen,
                                   coalesce(lead(u.start) OVER (ORDER BY u.start), 'infinity') AS until, u.kind
                              FROM unnest(starts, kinds) AS u(start, kind)) t) v) w;
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.flow_versions_detect(text) IS
  'Rebuilds flow_version for one flow (or every flow) from flow_block_day and flow_publish: a version starts at the first run of a block identifier the flow never ran before, or at a recorded publish time (a detected start within a day after a publish time is that publish). Returns the flows done (loader role). A block that runs on a day inside a version belongs to it: days are the unit, so versions published twice a day merge.';

-- ---- Two periods, or two versions, of one flow side by side.

CREATE FUNCTION connect_lake.flow_compare(flow text, before tstzrange, after tstzrange)
RETURNS TABLE (metric text, identifier text, module_type text, before numeric, after numeric, difference numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  WITH periods(period, r) AS (VALUES (1, before), (2, after)),
  -- contacts that entered the flow in each period (exact times)
  entered AS (
    SELECT p.period, c.*
      FROM periods p
      JOIN connect_lake.contact_flow_path c
        ON c.entry_flow_id = flow AND c.first_block_at <@ p.r
       AND c.day BETWEEN (lower(p.r) AT TIME ZONE connect_lake.lake_time_zone())::date - 1
                     AND (upper(p.r) AT TIME ZONE connect_lake.lake_time_zone())::date + 1
  ),
  flow_level AS (
    SELECT e.period,
           count(*)::numeric AS contacts,
           round(100.0 * count(*) FILTER (WHERE e.contained) / nullif(count(*) FILTER (WHERE e.has_ctr), 0), 2) AS containment_rate,
           round(100.0 * count(*) FILTER (WHERE e.ivr_abandoned) / nullif(count(*) FILTER (WHERE e.has_ctr), 0), 2) AS ivr_abandonment_rate,
           round(sum(e.errors)::numeric / nullif(count(*), 0), 4) AS errors_per_contact,
           round(100.0 * count(*) FILTER (WHERE m.abandoned) / nullif(count(*) FILTER (WHERE m.queued), 0), 2) AS queue_abandonment_rate,
           round(avg(m.handle_time) FILTER (WHERE m.handled), 2) AS avg_handle_time
      FROM entered e
      LEFT JOIN connect_lake.contact_metric m ON m.contactid = e.contactid
     GROUP BY e.period
  ),
  -- per block: the block's days whose runs all lie inside each period
  blocks AS (
    SELECT p.period, b.identifier, b.module_type, sum(b.contacts)::numeric AS contacts,
           sum(b.executions)::numeric AS executions, sum(b.errors)::numeric AS errors
      FROM periods p
      JOIN connect_lake.flow_block_day b
        ON b.flow_id = flow AND b.first_run_at <@ p.r AND b.last_run_at <@ p.r
     GROUP BY p.period, b.identifier, b.module_type
  ),
  rows AS (
    SELECT m.metric, NULL::text AS identifier, NULL::text AS module_type, m.o,
           max(m.v) FILTER (WHERE f.period = 1) AS before, max(m.v) FILTER (WHERE f.period = 2) AS after
      FROM flow_level f
      CROSS JOIN LATERAL (VALUES (1, 'contacts', f.contacts), (2, 'containment_rate', f.containment_rate),
                                 (3, 'ivr_abandonment_rate', f.ivr_abandonment_rate),
                                 (4, 'errors_per_contact', f.errors_per_contact),
                                 (5, 'queue_abandonment_rate', f.queue_abandonment_rate),
                                 (6, 'avg_handle_time', f.avg_handle_time)) AS m(o, metric, v)
     GROUP BY m.metric, m.o
    UNION ALL
    SELECT k.metric, b.identifier, b.module_type, 10 + k.o,
           max(k.v) FILTER (WHERE b.period = 1), max(k.v) FILTER (WHERE b.period = 2)
      FROM blocks b
      CROSS JOIN LATERAL (VALUES (1, 'block_contacts', b.contacts),
                                 (2, 'block_error_rate', round(100.0 * b.errors / nullif(b.executions, 0), 2))) AS k(o, metric, v)
     GROUP BY k.metric, k.o, b.identifier, b.module_type
  )
  SELECT r.metric, r.identifier, r.module_type, r.before, r.after, r.after - r.before
    FROM rows r
   ORDER BY r.o, r.identifier NULLS FIRST, r.module_type
$fn$;
COMMENT ON FUNCTION connect_lake.flow_compare(text, tstzrange, tstzrange) IS
  'One flow (its ContactFlowId) in two periods side by side: per period the contacts that entered it, containment and IVR abandonment rates, errors per contact, abandonment of those queued and average handle time of those an agent handled (from contact_metric), and per block its contacts and error rate (over the days whose runs of the block all lie inside the period: a day on which a version changed counts in neither); with the difference after - before.';

CREATE FUNCTION connect_lake.flow_compare(flow text, before_version integer, after_version integer)
RETURNS TABLE (metric text, identifier text, module_type text, before numeric, after numeric, difference numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT c.*
    FROM (SELECT tstzrange(v.first_seen, lead(v.first_seen, 1, 'infinity') OVER (ORDER BY v.version)) AS r, v.version
            FROM connect_lake.flow_version v WHERE v.flow_id = flow) b
    JOIN (SELECT tstzrange(v.first_seen, lead(v.first_seen, 1, 'infinity') OVER (ORDER BY v.version)) AS r, v.version
            FROM connect_lake.flow_version v WHERE v.flow_id = flow) a ON a.version = after_version
    CROSS JOIN LATERAL connect_lake.flow_compare(flow, b.r, a.r) c
   WHERE b.version = before_version
$fn$;
COMMENT ON FUNCTION connect_lake.flow_compare(text, integer, integer) IS
  'One flow in two of its versions (flow_version) side by side: flow_compare() over each version''s lifetime, from its first run to the next version''s.';
