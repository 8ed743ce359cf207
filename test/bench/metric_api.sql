-- test/bench/metric_api.sh's statements (psql variables: runs).  The request:
-- 3 days x 15-minute intervals x 10 queues x 30 metrics, grouped by QUEUE.
SET client_min_messages = warning;
CREATE TEMP TABLE bench_req AS
SELECT jsonb_build_object(
  'ResourceArn', 'arn:aws:connect:eu-west-2:111122223333:instance/11111111-1111-4111-8111-111111111111',
  'StartTime', extract(epoch FROM r.lo)::bigint, 'EndTime', extract(epoch FROM r.lo + interval '3 days')::bigint,
  'Interval', '{"IntervalPeriod": "FIFTEEN_MIN", "TimeZone": "UTC"}'::jsonb,
  'Filters', jsonb_build_array(jsonb_build_object('FilterKey', 'QUEUE', 'FilterValues',
      (SELECT jsonb_agg(q.queue_id ORDER BY q.n DESC, q.queue_id)
         FROM (SELECT queue_id, count(*) AS n FROM connect_lake.metric_queue_interval
                WHERE queue_kind = 'STANDARD' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10) q))),
  'Groupings', '["QUEUE"]'::jsonb,
  'Metrics', '[{"Name": "CONTACTS_CREATED"}, {"Name": "CONTACTS_QUEUED"}, {"Name": "CONTACTS_HANDLED"},
    {"Name": "CONTACTS_ABANDONED"}, {"Name": "LAKE_CALLBACKS_REQUESTED"}, {"Name": "CONTACTS_TRANSFERRED_OUT"},
    {"Name": "CONTACTS_TRANSFERRED_OUT_BY_AGENT"}, {"Name": "CONTACTS_TRANSFERRED_OUT_FROM_QUEUE"},
    {"Name": "CONTACTS_TRANSFERRED_OUT_INTERNAL"}, {"Name": "CONTACTS_TRANSFERRED_OUT_EXTERNAL"},
    {"Name": "CONTACTS_PUT_ON_HOLD"}, {"Name": "AVG_QUEUE_ANSWER_TIME"}, {"Name": "AVG_ABANDON_TIME"},
    {"Name": "MAX_QUEUED_TIME"}, {"Name": "AVG_HANDLE_TIME"}, {"Name": "SUM_HANDLE_TIME"}, {"Name": "AVG_INTERACTION_TIME"},
    {"Name": "AVG_INTERACTION_AND_HOLD_TIME"}, {"Name": "AVG_HOLD_TIME"}, {"Name": "AVG_HOLD_TIME_ALL_CONTACTS"},
    {"Name": "AVG_AFTER_CONTACT_WORK_TIME"}, {"Name": "AVG_CONTACT_DURATION"}, {"Name": "AVG_RESOLUTION_TIME"},
    {"Name": "ABANDONMENT_RATE"},
    {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
    {"Name": "SERVICE_LEVEL", "Threshold": [{"Comparison": "LTE", "ThresholdValue": 60}]},
    {"Name": "SUM_CONTACTS_ANSWERED_IN_X", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
    {"Name": "SUM_CONTACTS_ABANDONED_IN_X", "Threshold": [{"Comparison": "LT", "ThresholdValue": 20}]},
    {"Name": "CONTACTS_HANDLED", "MetricFilters": [{"MetricFilterKey": "INITIATION_METHOD",
                                                     "MetricFilterValues": ["INBOUND", "TRANSFER", "QUEUE_TRANSFER"]}]},
    {"Name": "CONTACTS_HANDLED", "MetricFilters": [{"MetricFilterKey": "INITIATION_METHOD",
                                                     "MetricFilterValues": ["OUTBOUND"]}]}]'::jsonb) AS request
  FROM (SELECT date_trunc('day', min(interval_start)) + interval '1 day' AS lo FROM connect_lake.metric_queue_interval) r;

-- The same figures the plain-SQL way, from ctr_events alone: each contact's
-- flags (its later legs found by a join on PreviousContactId / NextContactId),
-- the exclusions, then one row per queue and 15 minutes of the disconnect,
-- as (interval start, queue id, the 30 values).
CREATE TEMP VIEW plain AS
WITH req AS (SELECT to_timestamp((request->>'StartTime')::float8) AS lo, to_timestamp((request->>'EndTime')::float8) AS hi,
                    ARRAY(SELECT jsonb_array_elements_text(request->'Filters'->0->'FilterValues'))::uuid[] AS queues
               FROM bench_req),
e AS (
  SELECT e.*, date_bin('15 minutes', e.disconnecttimestamp, timestamptz '2000-01-01 00:00+00') AS iv,
         e.queue_enqueuetimestamp IS NOT NULL AS queued, e.agent_connectedtoagentts IS NOT NULL AS handled,
         CASE WHEN e.queue_enqueuetimestamp IS NOT NULL
              THEN coalesce(e.queue_duration, floor(extract(epoch FROM e.queue_dequeuetimestamp - e.queue_enqueuetimestamp))::int,
                            floor(extract(epoch FROM e.disconnecttimestamp - e.queue_enqueuetimestamp))::int) END AS qt
    FROM connect_lake.ctr_events e, req
   WHERE e.disconnecttimestamp >= req.lo AND e.disconnecttimestamp < req.hi + interval '15 minutes'
     AND e.queue_id = ANY (req.queues) AND e.queue_arn NOT LIKE '%/queue/agent/%'
),
fol AS (
  SELECT l.contactid, array_agg(DISTINCT l.initiationmethod) AS methods
    FROM (SELECT e.contactid, f.initiationmethod FROM e JOIN connect_lake.ctr_events f ON f.previouscontactid = e.contactid
           WHERE f.contactid <> e.contactid
          UNION ALL
          SELECT e.contactid, f.initiationmethod FROM e JOIN connect_lake.ctr_events f ON f.contactid = e.nextcontactid
           WHERE f.contactid <> e.contactid) l
   GROUP BY l.contactid
),
c AS (
  SELECT e.*,
         e.queued AND NOT e.handled AND coalesce('CALLBACK' = ANY (fol.methods), false) AS cb,
         e.queued AND NOT e.handled AND coalesce('QUEUE_TRANSFER' = ANY (fol.methods), false) AS xq,
         e.handled AND coalesce('TRANSFER' = ANY (fol.methods), false) AS xi,
         e.transfercompletedtimestamp IS NOT NULL AS xe,
         e.handled AND (coalesce(e.agent_numberofholds, 0) > 0 OR coalesce(e.agent_customerholdduration, 0) > 0) AS held,
         CASE WHEN e.handled THEN coalesce(e.agent_agentinteractionduration, 0) END AS talk,
         CASE WHEN e.handled THEN coalesce(e.agent_customerholdduration, 0) END AS hold,
         CASE WHEN e.handled THEN coalesce(e.agent_aftercontactworkduration, 0) END AS acw,
         floor(extract(epoch FROM e.disconnecttimestamp - e.initiationtimestamp))::int AS dur,
         floor(extract(epoch FROM greatest(e.disconnecttimestamp, e.agent_aftercontactworkendtimestamp) - e.initiationtimestamp))::int AS res
    FROM e LEFT JOIN fol USING (contactid), req
   WHERE e.iv >= req.lo AND e.iv < req.hi
     AND e.disconnecttimestamp >= e.initiationtimestamp
     AND coalesce(least(e.qt, e.agent_agentinteractionduration, e.agent_customerholdduration, e.agent_aftercontactworkduration), 0) >= 0
     AND coalesce(greatest(e.qt, e.agent_agentinteractionduration, e.agent_customerholdduration, e.agent_aftercontactworkduration), 0) <= 604800
),
f AS (
  SELECT c.*, c.queued AND NOT c.handled AND NOT c.cb AND NOT c.xq AS ab, c.handled AND (c.xi OR c.xe) AS xa,
         c.queued AND c.handled AS ans
    FROM c
)
SELECT iv, queue_id::text AS queue, ARRAY[
  count(*), count(*) FILTER (WHERE queued), count(*) FILTER (WHERE handled), count(*) FILTER (WHERE ab),
  count(*) FILTER (WHERE cb), count(*) FILTER (WHERE xa OR xq), count(*) FILTER (WHERE xa), count(*) FILTER (WHERE xq),
  count(*) FILTER (WHERE xi), count(*) FILTER (WHERE xe), count(*) FILTER (WHERE held),
  sum(qt) FILTER (WHERE ans)::float8 / nullif(count(*) FILTER (WHERE ans), 0),
  sum(qt) FILTER (WHERE ab)::float8 / nullif(count(*) FILTER (WHERE ab), 0),
  max(qt) FILTER (WHERE queued),
  sum(talk + hold + acw)::float8 / nullif(count(*) FILTER (WHERE handled), 0), coalesce(sum(talk + hold + acw), 0),
  sum(talk)::float8 / nullif(count(*) FILTER (WHERE handled), 0),
  sum(talk + hold)::float8 / nullif(count(*) FILTER (WHERE handled), 0),
  sum(hold) FILTER (WHERE held)::float8 / nullif(count(*) FILTER (WHERE held), 0),
  sum(hold)::float8 / nullif(count(*) FILTER (WHERE handled), 0),
  sum(acw)::float8 / nullif(count(*) FILTER (WHERE handled), 0),
  sum(dur)::float8 / count(*), sum(res)::float8 / count(*),
  100 * count(*) FILTER (WHERE ab)::float8 / nullif(count(*) FILTER (WHERE queued), 0),
  100 * count(*) FILTER (WHERE queued AND (handled OR ab OR cb) AND qt < 20)::float8 / nullif(count(*) FILTER (WHERE queued), 0),
  100 * count(*) FILTER (WHERE queued AND (handled OR ab OR cb) AND qt <= 60)::float8 / nullif(count(*) FILTER (WHERE queued), 0),
  count(*) FILTER (WHERE ans AND qt < 20), count(*) FILTER (WHERE ab AND qt < 20),
  count(*) FILTER (WHERE handled AND initiationmethod IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER')),
  count(*) FILTER (WHERE handled AND initiationmethod = 'OUTBOUND')]::float8[] AS vals
  FROM f GROUP BY 1, 2;

-- The lake's response as the same rows, to check both give one answer.
CREATE TEMP VIEW lake AS
SELECT to_timestamp((r->'MetricInterval'->>'StartTime')::float8) AS iv, r->'Dimensions'->>'QUEUE' AS queue,
       ARRAY(SELECT (c->>'Value')::float8 FROM jsonb_array_elements(r->'Collections') WITH ORDINALITY x(c, o) ORDER BY o) AS vals
  FROM bench_req, jsonb_array_elements(connect_lake.get_metric_data_v2(request)->'MetricResults') r;

CREATE FUNCTION pg_temp.median_ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $fn$
DECLARE t0 timestamptz; ms float8[] := '{}'; x jsonb;
BEGIN
  EXECUTE q INTO x;                                   -- warm-up
  FOR i IN 1 .. runs LOOP
    t0 := clock_timestamp();
    EXECUTE q INTO x;
    ms := ms || 1000 * extract(epoch FROM clock_timestamp() - t0)::float8;
  END LOOP;
  RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY m) FROM unnest(ms) m);
END
$fn$;

-- CPU time of this backend per call (utime + stime of /proc/self/stat, in
-- 10 ms ticks, over all runs): what a call costs whatever else the machine
-- is running (wall-clock medians grow with the machine's load).
CREATE FUNCTION pg_temp.cpu_ms() RETURNS float8 LANGUAGE sql AS $fn$
  SELECT (split_part(s, ' ', 12)::float8 + split_part(s, ' ', 13)::float8) * 1000 / 100
    FROM (SELECT substr(t, strpos(t, ') ') + 2) AS s FROM pg_read_file('/proc/self/stat') t) x
$fn$;
CREATE FUNCTION pg_temp.cpu_ms_per_call(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $fn$
DECLARE c0 float8; x jsonb;
BEGIN
  EXECUTE q INTO x;                                   -- warm-up
  c0 := pg_temp.cpu_ms();
  FOR i IN 1 .. runs LOOP
    EXECUTE q INTO x;
  END LOOP;
  RETURN (pg_temp.cpu_ms() - c0) / runs;
END
$fn$;
