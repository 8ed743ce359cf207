-- ==== Contact-centre metrics, as Amazon Connect defines them (issue 12)
--
-- The figures of Amazon Connect's historical metrics reports and of
-- GetMetricDataV2, computed from ctr_events (specification:
-- connect-metrics.md; README "Contact-centre metrics").  Three layers:
--
--   1. contact_metric: one row per contact with its flags (queued, handled,
--      abandoned, callback requested, transferred out ..., queue time, handle
--      time parts) and the 15-minute UTC interval of its disconnect, or the
--      reason it is excluded.  A maintained table, not a view: a contact's
--      flags depend on later legs (a CALLBACK or QUEUE_TRANSFER contact whose
--      previouscontactid points back), and finding those on read needs an
--      index on previouscontactid that the partitions of ctr_events do not
--      have; here the links are indexed, so recomputing the contacts a load
--      touched (and their predecessors) costs a few index probes each.
--      Every flag is one rule function below (metric_abandoned(), ...), used
--      by the table's upkeep and nowhere restated.
--   2. rollups per 15-minute UTC interval: metric_queue_interval (per queue
--      and channel), metric_agent_interval (per handling agent, queue and
--      channel) and metric_queue_threshold (per threshold: "within X"
--      counts).  Only sums, counts and maxima, never averages, so that they
--      re-aggregate exactly to 30 minutes, hours, local days, weeks and
--      totals (queue_metrics(), agent_metrics()).  Each rollup is the
--      aggregate of contact_metric that its _live view defines; the table
--      keeps that view's rows for every interval.
--   3. analysts' views: queue_metrics_15min, queue_metrics_daily,
--      agent_metrics_15min, agent_metrics_daily; every average and rate is a
--      formula function of sums (metric_aht(), metric_service_level(), ...).
--
-- Upkeep: metrics_refresh_contacts(contact_ids, initiation_ts) for the
-- contacts a writer landed (their predecessors follow), and
-- metrics_refresh(from, to) to rebuild a range of disconnect times.  Both
-- recompute the touched intervals' rollups from contact_metric, holding
-- transaction-level advisory locks of the intervals (in lock order).  The
-- writers (load(), ingest(), ingest_batch()) call metrics_refresh_contacts()
-- once per transaction, just before it commits, with every contact it landed
-- (inserted or replaced by a newer version): the ctr kind's commit upkeep
-- (src/upkeep.c), switched by the setting connect_lake.metrics_upkeep.

-- ---- Configuration (the DBA's; defaults live in functions, so the tables start empty)
CREATE TABLE connect_lake.metric_config (
  singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  time_zone                text CHECK (time_zone IS NULL
                                       OR (timestamptz '2000-01-01 00:00+00' AT TIME ZONE time_zone) IS NOT NULL),
  service_level_threshold  integer CHECK (service_level_threshold BETWEEN 1 AND 604800),
  service_level_comparison text CHECK (service_level_comparison IN ('LT', 'LTE'))
);
COMMENT ON TABLE connect_lake.metric_config IS
  'Metric settings (at most one row; a NULL or missing value takes the default): the time zone of local days and the default service-level threshold of the metric views.';
COMMENT ON COLUMN connect_lake.metric_config.singleton IS 'Always true: the table holds one row at most.';
COMMENT ON COLUMN connect_lake.metric_config.time_zone IS 'Time zone whose midnights bound the metric views'' days and weeks; NULL: lake_time_zone().';
COMMENT ON COLUMN connect_lake.metric_config.service_level_threshold IS 'Seconds X of the views'' service level (1 to 604800); NULL: 20. Always one of the thresholds kept (metric_thresholds()).';
COMMENT ON COLUMN connect_lake.metric_config.service_level_comparison IS 'LT (queue time < X, Amazon''s default) or LTE (<= X) for the views'' service level; NULL: LT.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_config', '');

CREATE TABLE connect_lake.metric_threshold (
  threshold_s integer PRIMARY KEY CHECK (threshold_s BETWEEN 1 AND 604800)
);
COMMENT ON TABLE connect_lake.metric_threshold IS
  'Thresholds (seconds) whose "within X" counts are kept per interval, besides the built-in ones (metric_threshold_default) and the service-level default: adding one computes its counts for all history, removing one drops them.';
COMMENT ON COLUMN connect_lake.metric_threshold.threshold_s IS 'A threshold X in seconds, 1 to 604800 (7 days), as GetMetricDataV2 accepts.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_threshold', '');

CREATE VIEW connect_lake.metric_threshold_default (threshold_s) AS
  VALUES (15), (20), (25), (30), (45), (60), (90), (120), (180), (240), (300), (600);
COMMENT ON VIEW connect_lake.metric_threshold_default IS
  'Built-in thresholds kept per interval: the presets of GetMetricData v1 and of the admin website.';
COMMENT ON COLUMN connect_lake.metric_threshold_default.threshold_s IS 'A threshold X in seconds.';

CREATE FUNCTION connect_lake.metric_time_zone() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.time_zone FROM connect_lake.metric_config c), connect_lake.lake_time_zone()) $fn$;
COMMENT ON FUNCTION connect_lake.metric_time_zone() IS
  'The time zone of the metric views'' local days: metric_config.time_zone, else lake_time_zone().';

CREATE FUNCTION connect_lake.metric_service_level_threshold() RETURNS integer
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.service_level_threshold FROM connect_lake.metric_config c), 20) $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level_threshold() IS
  'Seconds X of the metric views'' service level: metric_config.service_level_threshold, else 20.';

CREATE FUNCTION connect_lake.metric_service_level_comparison() RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce((SELECT c.service_level_comparison FROM connect_lake.metric_config c), 'LT') $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level_comparison() IS
  'LT or LTE: how the metric views'' service level compares queue time with its threshold (metric_config, else LT).';

CREATE FUNCTION connect_lake.metric_thresholds() RETURNS integer[]
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT array_agg(DISTINCT t.x ORDER BY t.x)
      FROM (SELECT d.threshold_s FROM connect_lake.metric_threshold_default d
            UNION ALL SELECT m.threshold_s FROM connect_lake.metric_threshold m
            UNION ALL SELECT connect_lake.metric_service_level_threshold()) t(x)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_thresholds() IS
  'Every threshold whose "within X" counts are kept per interval (metric_queue_threshold): the built-in ones, metric_threshold''s and the service-level default, ascending.';

-- ---- Rules: each flag and figure of one contact, defined once
--
-- Plain SQL functions, inlined into the queries that use them.
CREATE FUNCTION connect_lake.metric_interval(ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT date_bin('15 minutes', ts, timestamptz '2000-01-01 00:00+00') $fn$;
COMMENT ON FUNCTION connect_lake.metric_interval(timestamptz) IS
  'The 15-minute UTC interval [start, start + 15 min) holding ts, by its start: a time exactly on a boundary belongs to the interval that starts there. A contact counts in the interval of its DisconnectTimestamp.';

CREATE FUNCTION connect_lake.metric_queue_kind(queue_arn text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN queue_arn IS NULL THEN 'NONE'
                WHEN queue_arn LIKE '%/queue/agent/%' THEN 'AGENT'
                ELSE 'STANDARD' END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_kind(text) IS
  'STANDARD (a queue of the reports), AGENT (an agent''s personal queue: agent-to-agent transfers, outside every queue report) or NONE (no queue on the contact).';

CREATE FUNCTION connect_lake.metric_queued(enqueue timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT enqueue IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_queued(timestamptz) IS
  'Queued: the contact has a Queue.EnqueueTimestamp (a queue name alone, e.g. a working queue or an outbound queue, is not queued).';

CREATE FUNCTION connect_lake.metric_handled(connected_to_agent timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connected_to_agent IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_handled(timestamptz) IS
  'Handled: connected to an agent (Agent.ConnectedToAgentTimestamp), whatever the route; an Agent object without it (a missed offer) is not handled.';

CREATE FUNCTION connect_lake.metric_queue_time(duration integer, enqueue timestamptz, dequeue timestamptz,
                                               disconnect timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN enqueue IS NOT NULL
                THEN coalesce(duration, floor(extract(epoch FROM dequeue - enqueue))::integer,
                              floor(extract(epoch FROM disconnect - enqueue))::integer) END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_time(integer, timestamptz, timestamptz, timestamptz) IS
  'Seconds in queue of a queued contact: Queue.Duration; if absent, Dequeue - Enqueue; if that is absent, Disconnect - Enqueue (whole seconds, rounded down). NULL when not queued. A callback''s Duration includes its initial delay.';

CREATE FUNCTION connect_lake.metric_handle_time(handled boolean, interaction integer, hold integer, acw integer)
  RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN handled THEN coalesce(interaction, 0) + coalesce(hold, 0) + coalesce(acw, 0) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_handle_time(boolean, integer, integer, integer) IS
  'Handle time of a handled contact: AgentInteractionDuration + CustomerHoldDuration + AfterContactWorkDuration (missing as 0); NULL when not handled.';

CREATE FUNCTION connect_lake.metric_held(handled boolean, number_of_holds integer, hold integer) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND (coalesce(number_of_holds, 0) > 0 OR coalesce(hold, 0) > 0) $fn$;
COMMENT ON FUNCTION connect_lake.metric_held(boolean, integer, integer) IS
  'Put on hold: handled and held once or more (NumberOfHolds > 0 or CustomerHoldDuration > 0).';

CREATE FUNCTION connect_lake.metric_seconds(from_ts timestamptz, to_ts timestamptz) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT floor(extract(epoch FROM to_ts - from_ts))::integer $fn$;
COMMENT ON FUNCTION connect_lake.metric_seconds(timestamptz, timestamptz) IS
  'Whole seconds from from_ts to to_ts, rounded down (contact duration, resolution time).';

CREATE FUNCTION connect_lake.metric_exclusion(initiation timestamptz, disconnect timestamptz, queue_time integer,
                                              interaction integer, hold integer, acw integer) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN disconnect IS NULL THEN 'no disconnect timestamp'
                WHEN disconnect < initiation THEN 'disconnect before initiation'
                WHEN least(queue_time, interaction, hold, acw) < 0 THEN 'negative duration'
                WHEN greatest(queue_time, interaction, hold, acw) > 604800 THEN 'duration over 7 days'
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_exclusion(timestamptz, timestamptz, integer, integer, integer, integer) IS
  'Why a contact is left out of every metric, or NULL: no DisconnectTimestamp (no interval to count it in), a disconnect before its initiation, a negative queue, talk, hold or ACW duration, or one over 7 days (longer than any contact lives).';

CREATE FUNCTION connect_lake.metric_incoming(initiation_method text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT coalesce(initiation_method IN ('INBOUND', 'TRANSFER', 'QUEUE_TRANSFER'), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_incoming(text) IS
  'Whether a contact counts as incoming (Contacts handled incoming): InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER. API (chats), CALLBACK, OUTBOUND and unknown methods are not.';

-- Rules that depend on the contact's later legs: follower_methods is the
-- InitiationMethods of the contacts that continue it (contact_metric_follower).
CREATE FUNCTION connect_lake.metric_callback_requested(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND NOT handled AND coalesce('CALLBACK' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_callback_requested(boolean, boolean, text[]) IS
  'Callback requested: queued, not handled, and continued by a CALLBACK contact (its PreviousContactId, or this contact''s NextContactId). Not an abandon.';

CREATE FUNCTION connect_lake.metric_xfer_out_queue(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND NOT handled AND coalesce('QUEUE_TRANSFER' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_queue(boolean, boolean, text[]) IS
  'Transferred out from queue: queued, not handled, and continued by a QUEUE_TRANSFER contact (a Transfer to queue block). Not an abandon, never "removed" for the service level.';

CREATE FUNCTION connect_lake.metric_abandoned(queued boolean, handled boolean, follower_methods text[])
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT queued AND NOT handled
       AND NOT connect_lake.metric_callback_requested(queued, handled, follower_methods)
       AND NOT connect_lake.metric_xfer_out_queue(queued, handled, follower_methods)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_abandoned(boolean, boolean, text[]) IS
  'Abandoned: queued, never connected to an agent, neither a callback request nor a queue-to-queue transfer (the structural rule; whoever disconnected).';

CREATE FUNCTION connect_lake.metric_xfer_out_internal(handled boolean, follower_methods text[]) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND coalesce('TRANSFER' = ANY (follower_methods), false) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_internal(boolean, text[]) IS
  'Transferred out internal: handled and continued by a TRANSFER contact (an agent''s transfer to a quick connect; consult and conference legs too).';

CREATE FUNCTION connect_lake.metric_xfer_out_external(transfer_completed timestamptz) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT transfer_completed IS NOT NULL $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_external(timestamptz) IS
  'Transferred out external: TransferCompletedTimestamp present (transferred out of Amazon Connect), by an agent or by a flow.';

CREATE FUNCTION connect_lake.metric_xfer_out_agent(handled boolean, internal boolean, external boolean)
  RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT handled AND (internal OR external) $fn$;
COMMENT ON FUNCTION connect_lake.metric_xfer_out_agent(boolean, boolean, boolean) IS
  'Transferred out by agent: handled and transferred out internal or external.';

CREATE FUNCTION connect_lake.metric_answered(queued boolean, handled boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND handled $fn$;
COMMENT ON FUNCTION connect_lake.metric_answered(boolean, boolean) IS
  'Answered from the queue: queued and handled (what queue answer time and "answered in X" count).';

CREATE FUNCTION connect_lake.metric_removed(queued boolean, handled boolean, abandoned boolean,
                                            callback_requested boolean) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT queued AND (handled OR abandoned OR callback_requested) $fn$;
COMMENT ON FUNCTION connect_lake.metric_removed(boolean, boolean, boolean, boolean) IS
  'Removed from queue (the service level''s numerator when within X): queued and answered, abandoned or queued for callback. A queue-to-queue transfer is not removed.';

-- ---- Formulas of the averages and rates, from sums (NULL when the denominator is 0)
CREATE FUNCTION connect_lake.metric_ratio(num numeric, den numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN den <> 0 THEN round(num / den, 6) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_ratio(numeric, numeric) IS
  'num / den to 6 decimals; NULL when den is 0 or NULL (GetMetricDataV2 gives no value then).';

CREATE FUNCTION connect_lake.metric_percent(num numeric, den numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN den <> 0 THEN round(100 * num / den, 6) END $fn$;
COMMENT ON FUNCTION connect_lake.metric_percent(numeric, numeric) IS
  '100 * num / den to 6 decimals; NULL when den is 0 or NULL.';

CREATE FUNCTION connect_lake.metric_service_level(removed_in_x numeric, queued numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_percent(removed_in_x, queued) $fn$;
COMMENT ON FUNCTION connect_lake.metric_service_level(numeric, numeric) IS
  'Service level X (SERVICE_LEVEL): 100 * contacts removed from queue within X / contacts queued.';

CREATE FUNCTION connect_lake.metric_abandonment_rate(abandoned numeric, queued numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_percent(abandoned, queued) $fn$;
COMMENT ON FUNCTION connect_lake.metric_abandonment_rate(numeric, numeric) IS
  'Abandonment rate (ABANDONMENT_RATE): 100 * contacts abandoned / contacts queued.';

CREATE FUNCTION connect_lake.metric_aht(handle_time_sum numeric, handled numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_ratio(handle_time_sum, handled) $fn$;
COMMENT ON FUNCTION connect_lake.metric_aht(numeric, numeric) IS
  'Average handle time (AVG_HANDLE_TIME): handle time (talk + hold + ACW) of the handled contacts / contacts handled, seconds.';

CREATE FUNCTION connect_lake.metric_asa(queue_answer_time_sum numeric, answered numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT connect_lake.metric_ratio(queue_answer_time_sum, answered) $fn$;
COMMENT ON FUNCTION connect_lake.metric_asa(numeric, numeric) IS
  'Average queue answer time (AVG_QUEUE_ANSWER_TIME): queue time of the contacts answered from the queue / contacts answered, seconds.';

-- ---- Per-contact flags
CREATE TABLE connect_lake.contact_metric (
  contactid            uuid PRIMARY KEY,
  initiationtimestamp  timestamptz NOT NULL,
  disconnecttimestamp  timestamptz,
  lastupdatetimestamp  timestamptz,
  interval_start       timestamptz,
  excluded_reason      text,
  queue_kind           text NOT NULL,
  queue_id             uuid,
  channel              text,
  agent_id             uuid,
  initiationmethod     text,
  disconnectreason     text,
  previouscontactid    uuid,
  nextcontactid        uuid,
  queued               boolean NOT NULL,
  handled              boolean NOT NULL,
  answered             boolean NOT NULL,
  abandoned            boolean NOT NULL DEFAULT false,
  callback_requested   boolean NOT NULL DEFAULT false,
  xfer_out_queue       boolean NOT NULL DEFAULT false,
  xfer_out_internal    boolean NOT NULL DEFAULT false,
  xfer_out_external    boolean NOT NULL,
  xfer_out_agent       boolean NOT NULL DEFAULT false,
  held                 boolean NOT NULL,
  queue_time           integer,
  handle_time          integer,
  interaction_time     integer,
  hold_time            integer,
  acw_time             integer,
  contact_duration     integer,
  resolution_time      integer
);
CREATE INDEX contact_metric_interval_idx ON connect_lake.contact_metric (interval_start) WHERE interval_start IS NOT NULL;
CREATE INDEX contact_metric_previous_idx ON connect_lake.contact_metric (previouscontactid) WHERE previouscontactid IS NOT NULL;
CREATE INDEX contact_metric_next_idx ON connect_lake.contact_metric (nextcontactid) WHERE nextcontactid IS NOT NULL;
CREATE INDEX contact_metric_excluded_idx ON connect_lake.contact_metric (initiationtimestamp) WHERE excluded_reason IS NOT NULL;
CREATE INDEX contact_metric_anchor_idx ON connect_lake.contact_metric ((coalesce(disconnecttimestamp, initiationtimestamp))) WHERE interval_start IS NULL;
COMMENT ON TABLE connect_lake.contact_metric IS
  'One row per contact of ctr_events (its latest version): the flags and times every contact metric is a sum of, the 15-minute interval of its disconnect it counts in, or why it is excluded. Kept by the writers as CTRs land (load(), ingest(), ingest_batch(): metrics_refresh_contacts() at commit, unless connect_lake.metrics_upkeep is off) and by metrics_refresh(); a late leg (CALLBACK, QUEUE_TRANSFER, TRANSFER) corrects its predecessor''s flags.';
COMMENT ON COLUMN connect_lake.contact_metric.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.contact_metric.initiationtimestamp IS 'InitiationTimestamp (the partition key of ctr_events).';
COMMENT ON COLUMN connect_lake.contact_metric.disconnecttimestamp IS 'DisconnectTimestamp: what decides the interval.';
COMMENT ON COLUMN connect_lake.contact_metric.lastupdatetimestamp IS 'LastUpdateTimestamp of the version the flags come from.';
COMMENT ON COLUMN connect_lake.contact_metric.interval_start IS 'Start of the 15-minute UTC interval of the disconnect (metric_interval()); NULL: excluded from metrics.';
COMMENT ON COLUMN connect_lake.contact_metric.excluded_reason IS 'Why the contact counts in no metric (metric_exclusion()); NULL: it counts.';
COMMENT ON COLUMN connect_lake.contact_metric.queue_kind IS 'STANDARD, AGENT (personal queue) or NONE (metric_queue_kind()).';
COMMENT ON COLUMN connect_lake.contact_metric.queue_id IS 'Queue id of the CTR (NULL: no queue).';
COMMENT ON COLUMN connect_lake.contact_metric.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.contact_metric.agent_id IS 'Agent id of the CTR (the agent who handled it, or was offered it).';
COMMENT ON COLUMN connect_lake.contact_metric.initiationmethod IS 'InitiationMethod.';
COMMENT ON COLUMN connect_lake.contact_metric.disconnectreason IS 'DisconnectReason.';
COMMENT ON COLUMN connect_lake.contact_metric.previouscontactid IS 'PreviousContactId: the leg this one continues.';
COMMENT ON COLUMN connect_lake.contact_metric.nextcontactid IS 'NextContactId: the leg that continues this one.';
COMMENT ON COLUMN connect_lake.contact_metric.queued IS 'Queued (metric_queued()): has an EnqueueTimestamp.';
COMMENT ON COLUMN connect_lake.contact_metric.handled IS 'Handled (metric_handled()): connected to an agent.';
COMMENT ON COLUMN connect_lake.contact_metric.answered IS 'Answered from the queue (metric_answered()): queued and handled.';
COMMENT ON COLUMN connect_lake.contact_metric.abandoned IS 'Abandoned (metric_abandoned()): queued, not handled, no callback requested, not transferred to another queue.';
COMMENT ON COLUMN connect_lake.contact_metric.callback_requested IS 'Callback requested (metric_callback_requested()): queued, not handled, continued by a CALLBACK contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_queue IS 'Transferred out from queue (metric_xfer_out_queue()): queued, not handled, continued by a QUEUE_TRANSFER contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_internal IS 'Transferred out internal (metric_xfer_out_internal()): handled, continued by a TRANSFER contact.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_external IS 'Transferred out external (metric_xfer_out_external()): TransferCompletedTimestamp present.';
COMMENT ON COLUMN connect_lake.contact_metric.xfer_out_agent IS 'Transferred out by agent (metric_xfer_out_agent()): handled and transferred out internal or external.';
COMMENT ON COLUMN connect_lake.contact_metric.held IS 'Put on hold (metric_held()).';
COMMENT ON COLUMN connect_lake.contact_metric.queue_time IS 'Seconds in queue (metric_queue_time()); NULL when not queued.';
COMMENT ON COLUMN connect_lake.contact_metric.handle_time IS 'Handle time, seconds (metric_handle_time()); NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.interaction_time IS 'Agent interaction (talk) seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.hold_time IS 'Customer hold seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.acw_time IS 'After-contact work seconds of a handled contact, missing as 0; NULL when not handled.';
COMMENT ON COLUMN connect_lake.contact_metric.contact_duration IS 'Seconds from initiation to disconnect.';
COMMENT ON COLUMN connect_lake.contact_metric.resolution_time IS 'Seconds from initiation to the later of disconnect and AfterContactWorkEndTimestamp.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_metric', '');

-- The flags that need no later leg, computed from ctr_events on read: what
-- the upkeep writes into contact_metric (the follower flags stay false there
-- until contact_metric_follower has been consulted).
CREATE VIEW connect_lake.contact_metric_base AS
  SELECT e.contactid, e.initiationtimestamp, e.disconnecttimestamp, e.lastupdatetimestamp,
         CASE WHEN x.reason IS NULL THEN connect_lake.metric_interval(e.disconnecttimestamp) END AS interval_start,
         x.reason AS excluded_reason,
         connect_lake.metric_queue_kind(e.queue_arn) AS queue_kind, e.queue_id, e.channel, e.agent_id,
         e.initiationmethod, e.disconnectreason, e.previouscontactid, e.nextcontactid,
         f.queued, f.handled, connect_lake.metric_answered(f.queued, f.handled) AS answered,
         connect_lake.metric_xfer_out_external(e.transfercompletedtimestamp) AS xfer_out_external,
         connect_lake.metric_held(f.handled, e.agent_numberofholds, e.agent_customerholdduration) AS held,
         f.queue_time,
         connect_lake.metric_handle_time(f.handled, e.agent_agentinteractionduration, e.agent_customerholdduration,
                                         e.agent_aftercontactworkduration) AS handle_time,
         CASE WHEN f.handled THEN coalesce(e.agent_agentinteractionduration, 0) END AS interaction_time,
         CASE WHEN f.handled THEN coalesce(e.agent_customerholdduration, 0) END AS hold_time,
         CASE WHEN f.handled THEN coalesce(e.agent_aftercontactworkduration, 0) END AS acw_time,
         connect_lake.metric_seconds(e.initiationtimestamp, e.disconnecttimestamp) AS contact_duration,
         connect_lake.metric_seconds(e.initiationtimestamp,
                                     greatest(e.disconnecttimestamp, e.agent_aftercontactworkendtimestamp)) AS resolution_time
    FROM connect_lake.ctr_events e
   CROSS JOIN LATERAL (SELECT connect_lake.metric_queued(e.queue_enqueuetimestamp) AS queued,
                              connect_lake.metric_handled(e.agent_connectedtoagentts) AS handled,
                              connect_lake.metric_queue_time(e.queue_duration, e.queue_enqueuetimestamp,
                                                             e.queue_dequeuetimestamp, e.disconnecttimestamp) AS queue_time) f
   CROSS JOIN LATERAL (SELECT connect_lake.metric_exclusion(e.initiationtimestamp, e.disconnecttimestamp, f.queue_time,
                                                            e.agent_agentinteractionduration, e.agent_customerholdduration,
                                                            e.agent_aftercontactworkduration) AS reason) x;
COMMENT ON VIEW connect_lake.contact_metric_base IS
  'The per-contact flags that need no later leg, computed from ctr_events on read (every version row of ctr_events; the upkeep keeps the latest per contact): what metrics_refresh() writes into contact_metric before the follower flags.';

-- Which later legs continue a contact: the one definition of "follower".
CREATE VIEW connect_lake.contact_metric_follower AS
  SELECT f.previouscontactid AS contactid, f.contactid AS follower_id, f.initiationmethod
    FROM connect_lake.contact_metric f
   WHERE f.previouscontactid IS NOT NULL AND f.previouscontactid <> f.contactid
  UNION
  SELECT m.contactid, f.contactid, f.initiationmethod
    FROM connect_lake.contact_metric m
    JOIN connect_lake.contact_metric f ON f.contactid = m.nextcontactid
   WHERE f.contactid <> m.contactid;
COMMENT ON VIEW connect_lake.contact_metric_follower IS
  'The legs that continue each contact: contacts whose PreviousContactId is it, and the contact its NextContactId names (whichever arrived first). Their InitiationMethods decide callback requested, transferred out from queue and internal.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.contactid IS 'The contact continued.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.follower_id IS 'The leg that continues it.';
COMMENT ON COLUMN connect_lake.contact_metric_follower.initiationmethod IS 'The leg''s InitiationMethod (CALLBACK, QUEUE_TRANSFER, TRANSFER, ...).';

CREATE VIEW connect_lake.metric_excluded_contacts AS
  SELECT m.contactid, m.initiationtimestamp, m.disconnecttimestamp, m.excluded_reason AS reason,
         m.queue_id, m.channel, m.initiationmethod
    FROM connect_lake.contact_metric m
   WHERE m.excluded_reason IS NOT NULL;
COMMENT ON VIEW connect_lake.metric_excluded_contacts IS
  'Contacts left out of every metric, with the reason (metric_exclusion()): no disconnect timestamp, disconnect before initiation, a negative or over-7-day duration.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.contactid IS 'ContactId.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.initiationtimestamp IS 'InitiationTimestamp.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.disconnecttimestamp IS 'DisconnectTimestamp (NULL when missing).';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.reason IS 'Why it is excluded.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.queue_id IS 'Queue id of the CTR.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_excluded_contacts.initiationmethod IS 'InitiationMethod.';

-- ---- Rollups per 15-minute interval: what each holds is its _live view
CREATE VIEW connect_lake.metric_queue_interval_live AS
  SELECT m.interval_start, m.queue_kind, m.queue_id, m.channel,
         count(*)::integer                                                    AS contacts,
         count(*) FILTER (WHERE m.queued)::integer                            AS contacts_queued,
         count(*) FILTER (WHERE m.handled)::integer                           AS contacts_handled,
         count(*) FILTER (WHERE m.handled AND connect_lake.metric_incoming(m.initiationmethod))::integer AS contacts_handled_incoming,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'OUTBOUND')::integer AS contacts_handled_outbound,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'CALLBACK')::integer AS contacts_handled_callback,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'API')::integer      AS contacts_handled_api,
         count(*) FILTER (WHERE m.handled AND m.disconnectreason = 'AGENT_DISCONNECT')::integer AS contacts_agent_hung_up_first,
         count(*) FILTER (WHERE m.initiationmethod = 'TRANSFER')::integer     AS contacts_transferred_in,
         count(*) FILTER (WHERE m.initiationmethod = 'QUEUE_TRANSFER')::integer AS contacts_transferred_in_from_queue,
         count(*) FILTER (WHERE m.answered)::integer                          AS contacts_answered,
         count(*) FILTER (WHERE m.abandoned)::integer                         AS contacts_abandoned,
         count(*) FILTER (WHERE m.abandoned AND m.disconnectreason = 'CUSTOMER_DISCONNECT')::integer AS contacts_abandoned_customer_disconnect,
         count(*) FILTER (WHERE m.callback_requested)::integer                AS callbacks_requested,
         count(*) FILTER (WHERE m.xfer_out_queue)::integer                    AS transferred_out_from_queue,
         count(*) FILTER (WHERE m.xfer_out_internal)::integer                 AS transferred_out_internal,
         count(*) FILTER (WHERE m.xfer_out_external)::integer                 AS transferred_out_external,
         count(*) FILTER (WHERE m.xfer_out_agent)::integer                    AS transferred_out_by_agent,
         count(*) FILTER (WHERE m.held)::integer                              AS contacts_put_on_hold,
         coalesce(sum(m.queue_time) FILTER (WHERE m.answered), 0)::bigint     AS queue_answer_time_sum,
         coalesce(sum(m.queue_time) FILTER (WHERE m.abandoned), 0)::bigint    AS abandon_time_sum,
         max(m.queue_time) FILTER (WHERE m.queued)                            AS queued_time_max,
         coalesce(sum(m.handle_time), 0)::bigint                              AS handle_time_sum,
         coalesce(sum(m.interaction_time), 0)::bigint                         AS interaction_time_sum,
         coalesce(sum(m.hold_time), 0)::bigint                                AS hold_time_sum,
         coalesce(sum(m.acw_time), 0)::bigint                                 AS acw_time_sum,
         coalesce(sum(m.contact_duration), 0)::bigint                         AS contact_duration_sum,
         coalesce(sum(m.resolution_time), 0)::bigint                          AS resolution_time_sum
    FROM connect_lake.contact_metric m
   WHERE m.interval_start IS NOT NULL
   GROUP BY m.interval_start, m.queue_kind, m.queue_id, m.channel;
COMMENT ON VIEW connect_lake.metric_queue_interval_live IS
  'The per-queue, per-channel, per-15-minute sums of contact_metric computed on read: the definition of metric_queue_interval''s rows.';

CREATE TABLE connect_lake.metric_queue_interval AS
  SELECT * FROM connect_lake.metric_queue_interval_live WITH NO DATA;
ALTER TABLE connect_lake.metric_queue_interval
  ALTER interval_start SET NOT NULL, ALTER queue_kind SET NOT NULL,
  ADD CONSTRAINT metric_queue_interval_key UNIQUE NULLS NOT DISTINCT (interval_start, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_interval IS
  'Contact metrics per 15-minute UTC interval (of the disconnect), queue and channel: counts, sums of seconds and the longest queue time, never averages, so that any range re-aggregates exactly (queue_metrics()). The rows of metric_queue_interval_live, kept by metrics_refresh_contacts() and metrics_refresh().';
COMMENT ON COLUMN connect_lake.metric_queue_interval.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_kind IS 'STANDARD, AGENT (agent''s personal queue, outside Amazon''s queue reports) or NONE (no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_id IS 'Queue id (NULL: no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts IS 'Contacts carrying the queue, queued or not (CONTACTS_CREATED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_queued IS 'Contacts queued (CONTACTS_QUEUED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled IS 'Contacts handled: connected to an agent (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_callback IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_handled_api IS 'Handled, InitiationMethod API, chats included (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_transferred_in IS 'Contacts with InitiationMethod TRANSFER: transferred in by an agent (CONTACTS_TRANSFERRED_IN).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_transferred_in_from_queue IS 'Contacts with InitiationMethod QUEUE_TRANSFER (CONTACTS_TRANSFERRED_IN_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_answered IS 'Queued and handled: the denominator of the average queue answer time.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_abandoned IS 'Contacts abandoned (CONTACTS_ABANDONED): queued, not handled, neither callback nor queue transfer.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_abandoned_customer_disconnect IS 'Abandoned with DisconnectReason CUSTOMER_DISCONNECT (LAKE_CONTACTS_ABANDONED_CUSTOMER_DISCONNECT, a diagnostic).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.callbacks_requested IS 'Queued contacts that left the queue for a queued callback (LAKE_CALLBACKS_REQUESTED); not abandons.';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_from_queue IS 'Contacts transferred out from queue by a flow (CONTACTS_TRANSFERRED_OUT_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_internal IS 'Contacts an agent transferred to a quick connect (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_external IS 'Contacts transferred out of Amazon Connect (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.transferred_out_by_agent IS 'Contacts an agent transferred out, internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contacts_put_on_hold IS 'Handled contacts put on hold once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queue_answer_time_sum IS 'Seconds in queue of the contacts answered (numerator of AVG_QUEUE_ANSWER_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.abandon_time_sum IS 'Seconds in queue of the contacts abandoned (numerator of AVG_ABANDON_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.queued_time_max IS 'Longest queue time of a queued contact, abandoned ones included (MAX_QUEUED_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.handle_time_sum IS 'Handle time (talk + hold + ACW) of the handled contacts, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.interaction_time_sum IS 'Agent interaction seconds of the handled contacts (SUM_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.hold_time_sum IS 'Customer hold seconds of the handled contacts (SUM_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.acw_time_sum IS 'After-contact work seconds of the handled contacts (SUM_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.contact_duration_sum IS 'Seconds from initiation to disconnect of every contact (numerator of AVG_CONTACT_DURATION).';
COMMENT ON COLUMN connect_lake.metric_queue_interval.resolution_time_sum IS 'Seconds from initiation to the later of disconnect and ACW end of every contact (numerator of AVG_RESOLUTION_TIME).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_interval', '');

CREATE VIEW connect_lake.metric_agent_interval_live AS
  SELECT m.interval_start, m.agent_id, m.channel,
         count(*)::integer                                                    AS contacts,
         count(*) FILTER (WHERE m.handled)::integer                           AS contacts_handled,
         count(*) FILTER (WHERE m.handled AND connect_lake.metric_incoming(m.initiationmethod))::integer AS contacts_handled_incoming,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'OUTBOUND')::integer AS contacts_handled_outbound,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'CALLBACK')::integer AS contacts_handled_callback,
         count(*) FILTER (WHERE m.handled AND m.initiationmethod = 'API')::integer      AS contacts_handled_api,
         count(*) FILTER (WHERE m.handled AND m.disconnectreason = 'AGENT_DISCONNECT')::integer AS contacts_agent_hung_up_first,
         count(*) FILTER (WHERE m.answered)::integer                          AS contacts_answered,
         count(*) FILTER (WHERE m.xfer_out_internal)::integer                 AS transferred_out_internal,
         count(*) FILTER (WHERE m.xfer_out_external)::integer                 AS transferred_out_external,
         count(*) FILTER (WHERE m.xfer_out_agent)::integer                    AS transferred_out_by_agent,
         count(*) FILTER (WHERE m.held)::integer                              AS contacts_put_on_hold,
         coalesce(sum(m.queue_time) FILTER (WHERE m.answered), 0)::bigint     AS queue_answer_time_sum,
         coalesce(sum(m.handle_time), 0)::bigint                              AS handle_time_sum,
         coalesce(sum(m.interaction_time), 0)::bigint                         AS interaction_time_sum,
         coalesce(sum(m.hold_time), 0)::bigint                                AS hold_time_sum,
         coalesce(sum(m.acw_time), 0)::bigint                                 AS acw_time_sum
    FROM connect_lake.contact_metric m
   WHERE m.interval_start IS NOT NULL AND m.agent_id IS NOT NULL
   GROUP BY m.interval_start, m.agent_id, m.channel;
COMMENT ON VIEW connect_lake.metric_agent_interval_live IS
  'The per-agent (the CTR''s agent), per-channel, per-15-minute sums of contact_metric computed on read: the definition of metric_agent_interval''s rows.';

CREATE TABLE connect_lake.metric_agent_interval AS
  SELECT * FROM connect_lake.metric_agent_interval_live WITH NO DATA;
ALTER TABLE connect_lake.metric_agent_interval
  ALTER interval_start SET NOT NULL, ALTER agent_id SET NOT NULL,
  ADD CONSTRAINT metric_agent_interval_key UNIQUE NULLS NOT DISTINCT (interval_start, agent_id, channel);
COMMENT ON TABLE connect_lake.metric_agent_interval IS
  'Contact metrics of the agent on the CTR per 15-minute UTC interval (of the disconnect) and channel, all queues together: counts and sums, never averages (agent_metrics()). The rows of metric_agent_interval_live, kept with metric_queue_interval.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.interval_start IS 'Start of the 15-minute UTC interval of the disconnect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.agent_id IS 'Agent id of the CTR.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts IS 'Contacts with this agent on the CTR, handled or only offered.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled IS 'Contacts the agent handled (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_callback IS 'Handled, InitiationMethod CALLBACK.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_handled_api IS 'Handled, InitiationMethod API.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_answered IS 'Handled contacts that had been queued.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_internal IS 'Transferred by the agent to a quick connect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_external IS 'Transferred out of Amazon Connect.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.transferred_out_by_agent IS 'Transferred out by the agent, internal or external.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.contacts_put_on_hold IS 'Handled contacts put on hold.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.queue_answer_time_sum IS 'Seconds in queue of the queued contacts the agent answered.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.handle_time_sum IS 'Handle time (talk + hold + ACW), seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.interaction_time_sum IS 'Agent interaction seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.hold_time_sum IS 'Customer hold seconds.';
COMMENT ON COLUMN connect_lake.metric_agent_interval.acw_time_sum IS 'After-contact work seconds.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_agent_interval', '');

-- "Within X": per threshold X of metric_thresholds(), the contacts whose
-- queue time is below X and exactly X.  CTR queue times are whole seconds, so
-- LT X = lt and LTE X = lt + eq, exactly; eq is also the boundary count that
-- explains a one-contact difference from Amazon's millisecond figures.  A
-- histogram of every second up to 7 days would be 604,800 buckets: instead a
-- threshold added later is computed for all history when it is added.
CREATE VIEW connect_lake.metric_queue_threshold_live AS
  -- Each queued contact falls in a bucket: how many thresholds are at or
  -- below its queue time (width_bucket), and which threshold it equals, if
  -- any.  Counted per bucket first, then per threshold: below X are the
  -- buckets before X's.
  SELECT g.interval_start, g.queue_kind, g.queue_id, g.channel, g.ths[i.i] AS threshold_s,
         coalesce(sum(g.answered) FILTER (WHERE g.bucket < i.i), 0)::integer  AS answered_lt,
         coalesce(sum(g.answered) FILTER (WHERE g.equal = i.i), 0)::integer   AS answered_eq,
         coalesce(sum(g.abandoned) FILTER (WHERE g.bucket < i.i), 0)::integer AS abandoned_lt,
         coalesce(sum(g.abandoned) FILTER (WHERE g.equal = i.i), 0)::integer  AS abandoned_eq,
         coalesce(sum(g.removed) FILTER (WHERE g.bucket < i.i), 0)::integer   AS removed_lt,
         coalesce(sum(g.removed) FILTER (WHERE g.equal = i.i), 0)::integer    AS removed_eq
    FROM (SELECT m.interval_start, m.queue_kind, m.queue_id, m.channel, t.ths,
                 width_bucket(m.queue_time, t.ths) AS bucket, array_position(t.ths, m.queue_time) AS equal,
                 count(*) FILTER (WHERE m.answered) AS answered,
                 count(*) FILTER (WHERE m.abandoned) AS abandoned,
                 count(*) FILTER (WHERE connect_lake.metric_removed(m.queued, m.handled, m.abandoned,
                                                                    m.callback_requested)) AS removed
            FROM (SELECT connect_lake.metric_thresholds() AS ths OFFSET 0) t,
                 connect_lake.contact_metric m
           WHERE m.interval_start IS NOT NULL AND m.queued
           GROUP BY m.interval_start, m.queue_kind, m.queue_id, m.channel, t.ths, 6, 7) g
   CROSS JOIN LATERAL generate_subscripts(g.ths, 1) i(i)
   GROUP BY g.interval_start, g.queue_kind, g.queue_id, g.channel, g.ths[i.i];
COMMENT ON VIEW connect_lake.metric_queue_threshold_live IS
  'Per 15-minute interval, queue, channel and threshold of metric_thresholds(): the queued contacts answered, abandoned and removed from queue with a queue time below and exactly at the threshold, computed on read from contact_metric: the definition of metric_queue_threshold''s rows.';

CREATE TABLE connect_lake.metric_queue_threshold AS
  SELECT * FROM connect_lake.metric_queue_threshold_live WITH NO DATA;
ALTER TABLE connect_lake.metric_queue_threshold
  ALTER interval_start SET NOT NULL, ALTER queue_kind SET NOT NULL, ALTER threshold_s SET NOT NULL,
  ADD CONSTRAINT metric_queue_threshold_key
      UNIQUE NULLS NOT DISTINCT (threshold_s, interval_start, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_threshold IS
  '"Within X" counts per 15-minute UTC interval (of the disconnect), queue, channel and threshold X (metric_thresholds()): LT X is the _lt count, LTE X the _lt plus the _eq count (queue times are whole seconds). The rows of metric_queue_threshold_live; a row exists where the interval has queued contacts.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.interval_start IS 'Start of the 15-minute UTC interval of the disconnect.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.queue_kind IS 'STANDARD, AGENT or NONE.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.queue_id IS 'Queue id (NULL: no queue).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.channel IS 'Channel.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.threshold_s IS 'The threshold X, seconds.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.answered_lt IS 'Contacts answered with queue time < X (SUM_CONTACTS_ANSWERED_IN_X, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.answered_eq IS 'Contacts answered with queue time = X (LTE adds them).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.abandoned_lt IS 'Contacts abandoned with queue time < X (SUM_CONTACTS_ABANDONED_IN_X, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.abandoned_eq IS 'Contacts abandoned with queue time = X.';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.removed_lt IS 'Contacts removed from queue (answered, abandoned, callback requested) with queue time < X (CONTACTS_REMOVED_FROM_QUEUE_IN_X; the numerator of SERVICE_LEVEL, LT).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold.removed_eq IS 'Contacts removed from queue with queue time = X: the boundary count.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_threshold', '');

-- ---- Rollups per local day (metric_time_zone()): the 15-minute rows summed
-- per day, so that a dashboard of years reads one row per queue and day.
-- Kept with the interval rows; made again whole when the time zone changes.
CREATE TABLE connect_lake.metric_queue_day (LIKE connect_lake.metric_queue_interval);
ALTER TABLE connect_lake.metric_queue_day RENAME interval_start TO day;
ALTER TABLE connect_lake.metric_queue_day ALTER day TYPE date,
  ADD CONSTRAINT metric_queue_day_key UNIQUE NULLS NOT DISTINCT (day, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_day IS
  'metric_queue_interval summed per local day of metric_time_zone() (metric_queue_day_rows()): what queue_metrics_daily reads. Made again whole when metric_config.time_zone changes.';
COMMENT ON COLUMN connect_lake.metric_queue_day.day IS 'The local day (metric_time_zone()) of the 15-minute intervals summed.';

CREATE TABLE connect_lake.metric_queue_threshold_day (LIKE connect_lake.metric_queue_threshold);
ALTER TABLE connect_lake.metric_queue_threshold_day RENAME interval_start TO day;
ALTER TABLE connect_lake.metric_queue_threshold_day ALTER day TYPE date,
  ADD CONSTRAINT metric_queue_threshold_day_key UNIQUE NULLS NOT DISTINCT (threshold_s, day, queue_kind, queue_id, channel);
COMMENT ON TABLE connect_lake.metric_queue_threshold_day IS
  'metric_queue_threshold summed per local day of metric_time_zone() (metric_queue_threshold_day_rows()).';
COMMENT ON COLUMN connect_lake.metric_queue_threshold_day.day IS 'The local day (metric_time_zone()) of the 15-minute intervals summed.';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_day', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.metric_queue_threshold_day', '');

CREATE FUNCTION connect_lake.metric_queue_day_rows(from_day date, to_day date)
RETURNS SETOF connect_lake.metric_queue_day
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (r.interval_start AT TIME ZONE z.tz)::date, r.queue_kind, r.queue_id, r.channel,
         sum(r.contacts)::integer, sum(r.contacts_queued)::integer, sum(r.contacts_handled)::integer,
         sum(r.contacts_handled_incoming)::integer, sum(r.contacts_handled_outbound)::integer,
         sum(r.contacts_handled_callback)::integer, sum(r.contacts_handled_api)::integer,
         sum(r.contacts_agent_hung_up_first)::integer, sum(r.contacts_transferred_in)::integer,
         sum(r.contacts_transferred_in_from_queue)::integer, sum(r.contacts_answered)::integer,
         sum(r.contacts_abandoned)::integer, sum(r.contacts_abandoned_customer_disconnect)::integer,
         sum(r.callbacks_requested)::integer, sum(r.transferred_out_from_queue)::integer,
         sum(r.transferred_out_internal)::integer, sum(r.transferred_out_external)::integer,
         sum(r.transferred_out_by_agent)::integer, sum(r.contacts_put_on_hold)::integer,
         sum(r.queue_answer_time_sum)::bigint, sum(r.abandon_time_sum)::bigint, max(r.queued_time_max),
         sum(r.handle_time_sum)::bigint, sum(r.interaction_time_sum)::bigint, sum(r.hold_time_sum)::bigint,
         sum(r.acw_time_sum)::bigint, sum(r.contact_duration_sum)::bigint, sum(r.resolution_time_sum)::bigint
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.metric_queue_interval r
      ON r.interval_start >= (from_day::timestamp AT TIME ZONE z.tz)
     AND r.interval_start < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   GROUP BY 1, 2, 3, 4
$fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_day_rows(date, date) IS
  'The rows of metric_queue_day for the local days from from_day to to_day: metric_queue_interval summed per local day of metric_time_zone().';

CREATE FUNCTION connect_lake.metric_queue_threshold_day_rows(from_day date, to_day date, threshold integer DEFAULT NULL)
RETURNS SETOF connect_lake.metric_queue_threshold_day
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT (r.interval_start AT TIME ZONE z.tz)::date, r.queue_kind, r.queue_id, r.channel, r.threshold_s,
         sum(r.answered_lt)::integer, sum(r.answered_eq)::integer, sum(r.abandoned_lt)::integer,
         sum(r.abandoned_eq)::integer, sum(r.removed_lt)::integer, sum(r.removed_eq)::integer
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z
    JOIN connect_lake.metric_queue_threshold r
      ON r.interval_start >= (from_day::timestamp AT TIME ZONE z.tz)
     AND r.interval_start < ((to_day + 1)::timestamp AT TIME ZONE z.tz)
   WHERE threshold IS NULL OR r.threshold_s = threshold
   GROUP BY 1, 2, 3, 4, 5
$fn$;
COMMENT ON FUNCTION connect_lake.metric_queue_threshold_day_rows(date, date, integer) IS
  'The rows of metric_queue_threshold_day for the local days from from_day to to_day (of one threshold, or all): metric_queue_threshold summed per local day of metric_time_zone().';


-- ---- Upkeep
--
-- metric_rollup(intervals): the rollup rows of those 15-minute intervals
-- made again from contact_metric, under the intervals' locks
-- (metric_lock_intervals()), so that two sessions never write one interval
-- from different snapshots.
-- metric_lock_intervals(intervals): the advisory locks of those 15-minute
-- intervals, in lock order, to the end of the transaction, so that two
-- sessions never write one interval from different snapshots.  Every taker
-- first shares the rollups' lock (writers from before their first
-- contact_metric row: metric_apply()); metrics_refresh() and a change of
-- the thresholds take it alone for the whole transaction instead.
CREATE FUNCTION connect_lake.metric_lock_intervals(intervals timestamptz[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF current_setting('connect_lake_metrics.all_locked', true) = 'on' THEN
    RETURN;                     -- this transaction holds every interval (metrics_refresh)
  END IF;
  -- The rollups' shared lock (metric_apply() holds it exclusively already,
  -- from before its rows), then the intervals' locks: 256, each interval under the one of
  -- its number modulo 256 (intervals 2 days 16 hours apart share one), taken
  -- in that order.  A backfill of months takes at most 256 locks, never
  -- every interval's exclusive one: that would be an upgrade from the shared
  -- lock, which two such upkeeps, or one and a writer waiting for its rows,
  -- would deadlock on.
  PERFORM pg_advisory_xact_lock_shared(1668048237, 0);
  PERFORM pg_advisory_xact_lock(1668048236, s.b)
     FROM (SELECT DISTINCT (floor(extract(epoch FROM u.i) / 900)::bigint & 255)::integer AS b
             FROM unnest(intervals) u(i) WHERE u.i IS NOT NULL) s
    ORDER BY s.b;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) IS
  'Locks the rollups of those 15-minute intervals for the upkeep that rewrites them, to the end of the transaction: the rollups'' shared lock, then one of 256 advisory locks per interval (its number modulo 256), in lock order; nothing when the transaction already holds every interval (metrics_refresh()).';

-- Statistics that make a table look empty, or nearly, while it holds rows:
-- an ANALYZE (autovacuum's) that ran while a load's rows were not yet
-- committed (it counts them as not there: relpages of the rows, reltuples 0),
-- typically just after a TRUNCATE or on a new month's partition.  Planned
-- with them, the upkeep joins the contacts landed by scanning a table once
-- per contact (a commit of minutes: 118 s for a day of 20,000 contacts).
-- The upkeep functions ask this first and, when it holds, analyze such
-- tables again (upkeep_stats_analyze(), those the caller owns); if one
-- remains, they plan their statements without nested loops and sequential
-- scans (hash joins over index scans: the cost of the rows, whatever the
-- estimates).  They plan every call (plan_cache_mode), so that a plan made
-- while a table was empty is not kept once it fills.
CREATE FUNCTION connect_lake.upkeep_stats_stale(tables regclass[]) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                   WHERE c.oid IN (SELECT t.r FROM pg_catalog.unnest(tables) t(r)
                                   UNION ALL
                                   SELECT p.relid FROM pg_catalog.unnest(tables) t(r),
                                                       pg_catalog.pg_partition_tree(t.r) p)
                     AND c.relkind = 'r' AND c.relpages > 0 AND c.reltuples >= 0 AND c.reltuples * 4 < c.relpages)
  $fn$;
COMMENT ON FUNCTION connect_lake.upkeep_stats_stale(regclass[]) IS
  'Internal, the writers'' upkeep: whether a table given (or a partition of one) has statistics of fewer than one row in four pages (pg_class: an ANALYZE that ran while a load''s rows were uncommitted, e.g. after a TRUNCATE), with which the planner would join the rows landed by scanning it once per row; the upkeep then plans without nested loops and sequential scans.';

-- upkeep_stats_analyze(tables): the tables (or partitions) that
-- upkeep_stats_stale() finds analyzed again, within the transaction (its own
-- uncommitted rows count), those the caller owns and that no other session
-- is analyzing (SKIP_LOCKED): the planner then sees their rows.
CREATE FUNCTION connect_lake.upkeep_stats_analyze(tables regclass[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r regclass;
  n integer := 0;
BEGIN
  FOR r IN SELECT c.oid::regclass
             FROM pg_catalog.pg_class c
            WHERE c.oid IN (SELECT t.r FROM pg_catalog.unnest(tables) t(r)
                            UNION ALL
                            SELECT p.relid FROM pg_catalog.unnest(tables) t(r), pg_catalog.pg_partition_tree(t.r) p)
              AND c.relkind = 'r' AND c.relpages > 0 AND c.reltuples >= 0 AND c.reltuples * 4 < c.relpages
              AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
            ORDER BY c.oid LOOP
    EXECUTE format('ANALYZE (SKIP_LOCKED) %s', r);
    n := n + 1;
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_stats_analyze(regclass[]) IS
  'Internal, the writers'' upkeep: analyzes again, within the transaction, the tables given (or their partitions) whose statistics make them look empty (upkeep_stats_stale()), those the caller owns and no other session is analyzing (SKIP_LOCKED); returns how many. The upkeep calls it before planning, then plans without nested loops and sequential scans if any such table remains.';

-- upkeep_plan_guard(tables): what each upkeep function asks before it plans.
-- Tables given (or their partitions) whose statistics make them look empty
-- (upkeep_stats_stale()) are analyzed again where the caller may
-- (upkeep_stats_analyze()); if one still looks empty, nested loops and
-- sequential scans are turned off to the end of the transaction and the
-- values they had are returned, for upkeep_plan_restore() at the calling
-- function's end (NULL: nothing was changed).  set_config(..., true) outlives
-- this function: its SET clause names search_path only.
CREATE FUNCTION connect_lake.upkeep_plan_guard(tables regclass[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  saved text[];
BEGIN
  IF NOT connect_lake.upkeep_stats_stale(tables)
     OR (connect_lake.upkeep_stats_analyze(tables) > 0 AND NOT connect_lake.upkeep_stats_stale(tables)) THEN
    RETURN NULL;
  END IF;
  saved := ARRAY[current_setting('enable_nestloop'), current_setting('enable_seqscan')];
  PERFORM set_config('enable_nestloop', 'off', true), set_config('enable_seqscan', 'off', true);
  RETURN saved;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_plan_guard(regclass[]) IS
  'Internal, the writers'' upkeep: before an upkeep function plans, analyzes again the tables given that look empty (upkeep_stats_stale(), upkeep_stats_analyze()) and, if one still does, turns nested loops and sequential scans off to the end of the transaction; returns the settings they had (NULL: nothing changed) for upkeep_plan_restore().';

-- upkeep_plan_restore(saved): the settings upkeep_plan_guard() changed, back.
CREATE FUNCTION connect_lake.upkeep_plan_restore(saved text[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF saved IS NOT NULL THEN
    PERFORM set_config('enable_nestloop', saved[1], true), set_config('enable_seqscan', saved[2], true);
  END IF;
END
$fn$;
COMMENT ON FUNCTION connect_lake.upkeep_plan_restore(text[]) IS
  'Internal, the writers'' upkeep: puts back the planner settings upkeep_plan_guard() changed (its result; NULL: nothing).';

CREATE FUNCTION connect_lake.metric_rollup(intervals timestamptz[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $fn$
DECLARE
  ivs timestamptz[];
  tz  text;
  d   date;
BEGIN
  SELECT coalesce(array_agg(DISTINCT i ORDER BY i), '{}') INTO ivs
    FROM unnest(intervals) i WHERE i IS NOT NULL;
  IF cardinality(ivs) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM connect_lake.metric_lock_intervals(ivs);
  DELETE FROM connect_lake.metric_queue_interval WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_queue_interval
    SELECT * FROM connect_lake.metric_queue_interval_live WHERE interval_start = ANY (ivs);
  DELETE FROM connect_lake.metric_agent_interval WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_agent_interval
    SELECT * FROM connect_lake.metric_agent_interval_live WHERE interval_start = ANY (ivs);
  DELETE FROM connect_lake.metric_queue_threshold WHERE interval_start = ANY (ivs);
  INSERT INTO connect_lake.metric_queue_threshold
    SELECT * FROM connect_lake.metric_queue_threshold_live WHERE interval_start = ANY (ivs);
  -- The local days of those intervals, from their interval rows.
  tz := connect_lake.metric_time_zone();
  FOR d IN SELECT DISTINCT (i AT TIME ZONE tz)::date FROM unnest(ivs) i ORDER BY 1 LOOP
    DELETE FROM connect_lake.metric_queue_day WHERE day = d;
    INSERT INTO connect_lake.metric_queue_day SELECT * FROM connect_lake.metric_queue_day_rows(d, d);
    DELETE FROM connect_lake.metric_queue_threshold_day WHERE day = d;
    INSERT INTO connect_lake.metric_queue_threshold_day SELECT * FROM connect_lake.metric_queue_threshold_day_rows(d, d);
  END LOOP;
  RETURN cardinality(ivs);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_rollup(timestamptz[]) IS
  'Makes the rollup rows (metric_queue_interval, metric_agent_interval, metric_queue_threshold) of the given 15-minute intervals again from contact_metric, then the day rows (metric_queue_day, metric_queue_threshold_day) of their local days; returns how many intervals. Locks the intervals (metric_lock_intervals()).';

-- metric_rollup_delta_rows(before, after, thresholds, time_zone): what
-- metric_rollup_delta() adds to each rollup, in one pass over the rows
-- (src/metric_rollup.c): the contact_metric rows before a change weighed -1,
-- after it +1, summed as the _live views sum them (the flags of the rows;
-- metric_incoming() and metric_removed() asked of the SQL functions), per
-- 15-minute interval and per local day of time_zone.  Kind queue, queue_day
-- (metric_queue_interval, metric_queue_day: v the measures in the tables'
-- column order, queued_time_max apart: the longest queue time of the rows
-- added), agent (metric_agent_interval), threshold and threshold_day
-- (metric_queue_threshold, metric_queue_threshold_day: per threshold of
-- thresholds, ascending, and group with queued contacts in the rows, a row
-- for each threshold); each kind in its table's key order.
CREATE FUNCTION connect_lake.metric_rollup_delta_rows(before connect_lake.contact_metric[],
                                                      after connect_lake.contact_metric[],
                                                      thresholds integer[], time_zone text)
RETURNS TABLE (kind text, interval_start timestamptz, day date, queue_kind text, queue_id uuid, channel text,
               agent_id uuid, threshold_s integer, queued_time_max integer, v bigint[])
AS 'MODULE_PATHNAME', 'metric_rollup_delta_rows'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta_rows(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) IS
  'Internal, the writers'' upkeep: the signed sums metric_rollup_delta() adds to the rollups for contact_metric rows taken out (before, -1) and added (after, +1), summed as the _live views sum them, in one pass (C): kind queue and queue_day (per 15-minute interval, or local day of time_zone, queue kind, queue and channel; v the measures of metric_queue_interval in column order, queued_time_max the longest queue time added), agent (per interval, agent and channel; v the measures of metric_agent_interval), threshold and threshold_day (per threshold of thresholds, ascending, interval or day, queue kind, queue and channel with queued contacts in the rows; v answered, abandoned and removed below and at the threshold). Each kind comes in its table''s key order.';

-- metric_rollup_delta_write(before, after, thresholds, time_zone): the rows
-- of metric_rollup_delta_rows(), but the interval rows the tables do not have
-- yet written into them directly from C, as COPY writes (READ COMMITTED,
-- the intervals locked by the caller; else returned like the others).
CREATE FUNCTION connect_lake.metric_rollup_delta_write(before connect_lake.contact_metric[],
                                                       after connect_lake.contact_metric[],
                                                       thresholds integer[], time_zone text)
RETURNS TABLE (kind text, interval_start timestamptz, day date, queue_kind text, queue_id uuid, channel text,
               agent_id uuid, threshold_s integer, queued_time_max integer, v bigint[])
AS 'MODULE_PATHNAME', 'metric_rollup_delta_write'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) IS
  'Internal, the writers'' upkeep (metric_rollup_delta()): the rows of metric_rollup_delta_rows(), except that the interval rows metric_queue_interval, metric_agent_interval and metric_queue_threshold do not have yet (queue_new, agent_new, threshold_new) are inserted into those tables directly, as COPY writes, instead of returned: in READ COMMITTED and not read-only, with the intervals locked by the caller, and where the table has no triggers, rules or CHECK constraints, no row-level security but policies that let any row in, its columns as the statement writes them (key types, no domain, generated or identity-always column), the caller may insert into it and the lake is not on Citus; otherwise they are returned like the others.';

-- metric_rollup_delta(before, after): the rollups corrected by what changed
-- in contact_metric, for the writers' upkeep: each changed contact's row
-- before the change (before; none for a new contact) is taken out of its
-- interval's sums and its row after (after; none for a contact removed) is
-- added, per 15-minute interval (metric_queue_interval,
-- metric_agent_interval, metric_queue_threshold) and per local day
-- (metric_queue_day, metric_queue_threshold_day), by upserts that add, in
-- one statement.  The sums are those of the _live views, each contact
-- weighed +1 or -1, made in one pass (metric_rollup_delta_rows(), C); a
-- longest queue time that may have shrunk (a contact taken out had it) is
-- read again from contact_metric (intervals) or from the intervals (days),
-- and a row left with no contact goes, so that every table keeps exactly
-- the rows metric_rollup() would make.  It costs what changed, not what the
-- intervals hold.  Locks the intervals as metric_rollup() does.
CREATE FUNCTION connect_lake.metric_rollup_delta(before connect_lake.contact_metric[],
                                                 after connect_lake.contact_metric[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  ivs  timestamptz[];
  dys  date[];
  nestloop text;
  tz   text;
  ths  integer[];
  rc   boolean;
  grp  record;
  planner text[];
BEGIN
  before := coalesce(before, '{}');
  after := coalesce(after, '{}');
  SELECT coalesce(array_agg(DISTINCT c.i ORDER BY c.i), '{}') INTO ivs
    FROM (SELECT b.interval_start FROM unnest(before) b UNION ALL SELECT a.interval_start FROM unnest(after) a) c(i)
   WHERE c.i IS NOT NULL;
  IF cardinality(ivs) = 0 THEN
    RETURN 0;
  END IF;
  PERFORM connect_lake.metric_lock_intervals(ivs);
  tz := connect_lake.metric_time_zone();
  ths := connect_lake.metric_thresholds();
  -- the interval rows a later snapshot may hold (another writer's, committed
  -- while this transaction's snapshot was older: REPEATABLE READ or
  -- SERIALIZABLE) all go through the upserts, which then fail as a
  -- serialization failure (40001, retried), not as a duplicate key
  rc := current_setting('transaction_isolation') = 'read committed';
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.contact_metric', 'connect_lake.metric_queue_interval',
                                            'connect_lake.metric_agent_interval', 'connect_lake.metric_queue_threshold',
                                            'connect_lake.metric_queue_day', 'connect_lake.metric_queue_threshold_day']::regclass[]);

  -- The signed sums of every rollup, made in one pass over the rows
  -- (metric_rollup_delta_rows(), C: what the _live views sum, per interval
  -- and per local day), written in one statement, each table's rows in its
  -- key's order (so that concurrent upkeeps lock them in one order).  The
  -- intervals are locked: an interval row the table does not have yet
  -- (kind ..._new: the function reads which it has) is inserted plainly (in
  -- READ COMMITTED: its snapshot is newer than the lock; by the function
  -- itself, directly, where it can: metric_rollup_delta_write()), one
  -- it has is added to by an upsert; the day rows, which other sessions'
  -- intervals share, all by upserts.  "Within X": a group (interval, queue,
  -- channel) has a row for every threshold or none: a new group's rows come
  -- for every threshold (threshold_new, zeros too), a kept group's only
  -- where they change.
  WITH r AS MATERIALIZED (
    SELECT * FROM connect_lake.metric_rollup_delta_write(before, after, ths, tz)
  ), q AS (
  SELECT r.kind, ROW(r.interval_start, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer,
         r.v[9]::integer, r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer,
         r.v[15]::integer, r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21],
         r.queued_time_max, r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27])::connect_lake.metric_queue_interval AS x
    FROM r WHERE r.kind IN ('queue', 'queue_new')
  ), ivn AS (
  INSERT INTO connect_lake.metric_queue_interval SELECT (q.x).* FROM q WHERE q.kind = 'queue_new' AND rc
  ), iv AS (
  INSERT INTO connect_lake.metric_queue_interval AS t SELECT (q.x).* FROM q WHERE q.kind = 'queue' OR (q.kind = 'queue_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_queue_interval_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_queued = t.contacts_queued + excluded.contacts_queued,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_transferred_in = t.contacts_transferred_in + excluded.contacts_transferred_in,
    contacts_transferred_in_from_queue = t.contacts_transferred_in_from_queue + excluded.contacts_transferred_in_from_queue,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    contacts_abandoned = t.contacts_abandoned + excluded.contacts_abandoned,
    contacts_abandoned_customer_disconnect = t.contacts_abandoned_customer_disconnect + excluded.contacts_abandoned_customer_disconnect,
    callbacks_requested = t.callbacks_requested + excluded.callbacks_requested,
    transferred_out_from_queue = t.transferred_out_from_queue + excluded.transferred_out_from_queue,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    abandon_time_sum = t.abandon_time_sum + excluded.abandon_time_sum,
    queued_time_max = greatest(t.queued_time_max, excluded.queued_time_max),
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum,
    contact_duration_sum = t.contact_duration_sum + excluded.contact_duration_sum,
    resolution_time_sum = t.resolution_time_sum + excluded.resolution_time_sum
  ), qd AS (
  INSERT INTO connect_lake.metric_queue_day AS t
  SELECT r.day, r.queue_kind, r.queue_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
         r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
         r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13]::integer, r.v[14]::integer, r.v[15]::integer,
         r.v[16]::integer, r.v[17]::integer, r.v[18]::integer, r.v[19]::integer, r.v[20], r.v[21], r.queued_time_max,
         r.v[22], r.v[23], r.v[24], r.v[25], r.v[26], r.v[27]
    FROM r WHERE r.kind = 'queue_day'
  ON CONFLICT ON CONSTRAINT metric_queue_day_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_queued = t.contacts_queued + excluded.contacts_queued,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_transferred_in = t.contacts_transferred_in + excluded.contacts_transferred_in,
    contacts_transferred_in_from_queue = t.contacts_transferred_in_from_queue + excluded.contacts_transferred_in_from_queue,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    contacts_abandoned = t.contacts_abandoned + excluded.contacts_abandoned,
    contacts_abandoned_customer_disconnect = t.contacts_abandoned_customer_disconnect + excluded.contacts_abandoned_customer_disconnect,
    callbacks_requested = t.callbacks_requested + excluded.callbacks_requested,
    transferred_out_from_queue = t.transferred_out_from_queue + excluded.transferred_out_from_queue,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    abandon_time_sum = t.abandon_time_sum + excluded.abandon_time_sum,
    queued_time_max = greatest(t.queued_time_max, excluded.queued_time_max),
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum,
    contact_duration_sum = t.contact_duration_sum + excluded.contact_duration_sum,
    resolution_time_sum = t.resolution_time_sum + excluded.resolution_time_sum
  ), a AS (
  SELECT r.kind, ROW(r.interval_start, r.agent_id, r.channel, r.v[1]::integer, r.v[2]::integer, r.v[3]::integer,
         r.v[4]::integer, r.v[5]::integer, r.v[6]::integer, r.v[7]::integer, r.v[8]::integer, r.v[9]::integer,
         r.v[10]::integer, r.v[11]::integer, r.v[12]::integer, r.v[13], r.v[14], r.v[15], r.v[16],
         r.v[17])::connect_lake.metric_agent_interval AS x
    FROM r WHERE r.kind IN ('agent', 'agent_new')
  ), agn AS (
  INSERT INTO connect_lake.metric_agent_interval SELECT (a.x).* FROM a WHERE a.kind = 'agent_new' AND rc
  ), ag AS (
  INSERT INTO connect_lake.metric_agent_interval AS t SELECT (a.x).* FROM a WHERE a.kind = 'agent' OR (a.kind = 'agent_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_agent_interval_key DO UPDATE SET
    contacts = t.contacts + excluded.contacts,
    contacts_handled = t.contacts_handled + excluded.contacts_handled,
    contacts_handled_incoming = t.contacts_handled_incoming + excluded.contacts_handled_incoming,
    contacts_handled_outbound = t.contacts_handled_outbound + excluded.contacts_handled_outbound,
    contacts_handled_callback = t.contacts_handled_callback + excluded.contacts_handled_callback,
    contacts_handled_api = t.contacts_handled_api + excluded.contacts_handled_api,
    contacts_agent_hung_up_first = t.contacts_agent_hung_up_first + excluded.contacts_agent_hung_up_first,
    contacts_answered = t.contacts_answered + excluded.contacts_answered,
    transferred_out_internal = t.transferred_out_internal + excluded.transferred_out_internal,
    transferred_out_external = t.transferred_out_external + excluded.transferred_out_external,
    transferred_out_by_agent = t.transferred_out_by_agent + excluded.transferred_out_by_agent,
    contacts_put_on_hold = t.contacts_put_on_hold + excluded.contacts_put_on_hold,
    queue_answer_time_sum = t.queue_answer_time_sum + excluded.queue_answer_time_sum,
    handle_time_sum = t.handle_time_sum + excluded.handle_time_sum,
    interaction_time_sum = t.interaction_time_sum + excluded.interaction_time_sum,
    hold_time_sum = t.hold_time_sum + excluded.hold_time_sum,
    acw_time_sum = t.acw_time_sum + excluded.acw_time_sum
  ), thn AS (
  INSERT INTO connect_lake.metric_queue_threshold (interval_start, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.interval_start, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold_new' AND rc
  ), th AS (
  INSERT INTO connect_lake.metric_queue_threshold AS t (interval_start, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.interval_start, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold' OR (r.kind = 'threshold_new' AND NOT rc)
  ON CONFLICT ON CONSTRAINT metric_queue_threshold_key DO UPDATE SET
    answered_lt = t.answered_lt + excluded.answered_lt, answered_eq = t.answered_eq + excluded.answered_eq,
    abandoned_lt = t.abandoned_lt + excluded.abandoned_lt, abandoned_eq = t.abandoned_eq + excluded.abandoned_eq,
    removed_lt = t.removed_lt + excluded.removed_lt, removed_eq = t.removed_eq + excluded.removed_eq)
  INSERT INTO connect_lake.metric_queue_threshold_day AS t (day, queue_kind, queue_id, channel, threshold_s,
         answered_lt, answered_eq, abandoned_lt, abandoned_eq, removed_lt, removed_eq)
  SELECT r.day, r.queue_kind, r.queue_id, r.channel, r.threshold_s, r.v[1]::integer, r.v[2]::integer,
         r.v[3]::integer, r.v[4]::integer, r.v[5]::integer, r.v[6]::integer
    FROM r WHERE r.kind = 'threshold_day'
  ON CONFLICT ON CONSTRAINT metric_queue_threshold_day_key DO UPDATE SET
    answered_lt = t.answered_lt + excluded.answered_lt, answered_eq = t.answered_eq + excluded.answered_eq,
    abandoned_lt = t.abandoned_lt + excluded.abandoned_lt, abandoned_eq = t.abandoned_eq + excluded.abandoned_eq,
    removed_lt = t.removed_lt + excluded.removed_lt, removed_eq = t.removed_eq + excluded.removed_eq
    WHERE (excluded.answered_lt, excluded.answered_eq, excluded.abandoned_lt, excluded.abandoned_eq,
           excluded.removed_lt, excluded.removed_eq) <> (0, 0, 0, 0, 0, 0);

  -- What taking contacts out may have left: only where a contact was taken
  -- out (before), so a load of new contacts skips all of it.  Each statement
  -- reads the rollups of the intervals (days) touched only (= ANY (ivs)):
  -- joined to the whole table, they were read whole at every commit, a cost
  -- growing with the history kept.  Joined by hashing, never by a nested
  -- loop: the intervals a load touches are mostly the newest, past the
  -- statistics' histogram, so estimated at a row or none, and a nested loop
  -- read the changed groups again for every row of those intervals.
  IF cardinality(before) > 0 THEN
    dys := ARRAY(SELECT DISTINCT (i AT TIME ZONE tz)::date FROM unnest(ivs) i ORDER BY 1);
    nestloop := current_setting('enable_nestloop');
    PERFORM set_config('enable_nestloop', 'off', true);
    -- a longest queue time a contact taken out had, read again
    UPDATE connect_lake.metric_queue_interval r
       SET queued_time_max = (SELECT max(m.queue_time) FROM connect_lake.contact_metric m
                               WHERE m.interval_start = r.interval_start AND m.queue_kind = r.queue_kind
                                 AND m.queue_id IS NOT DISTINCT FROM r.queue_id
                                 AND m.channel IS NOT DISTINCT FROM r.channel AND m.queued)
      FROM (SELECT b.interval_start, b.queue_kind, b.queue_id, b.channel, max(b.queue_time) AS out_max
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.queued
             GROUP BY 1, 2, 3, 4) g
     WHERE r.interval_start = g.interval_start AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND g.out_max >= r.queued_time_max AND r.interval_start = ANY (ivs);
    UPDATE connect_lake.metric_queue_day r
       SET queued_time_max = (SELECT max(q.queued_time_max) FROM connect_lake.metric_queue_interval q
                               WHERE q.interval_start >= (r.day::timestamp AT TIME ZONE tz)
                                 AND q.interval_start < ((r.day + 1)::timestamp AT TIME ZONE tz)
                                 AND q.queue_kind = r.queue_kind AND q.queue_id IS NOT DISTINCT FROM r.queue_id
                                 AND q.channel IS NOT DISTINCT FROM r.channel)
      FROM (SELECT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel,
                   max(b.queue_time) AS out_max
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.queued
             GROUP BY 1, 2, 3, 4) g
     WHERE r.day = g.day AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND g.out_max >= r.queued_time_max AND r.day = ANY (dys);
    -- rows left without contacts (without queued contacts: the "within X" rows)
    DELETE FROM connect_lake.metric_queue_interval r
     USING (SELECT DISTINCT b.interval_start, b.queue_kind, b.queue_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL) g
     WHERE r.interval_start = g.interval_start AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND r.contacts = 0 AND r.interval_start = ANY (ivs);
    DELETE FROM connect_lake.metric_agent_interval r
     USING (SELECT DISTINCT b.interval_start, b.agent_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL AND b.agent_id IS NOT NULL) g
     WHERE r.interval_start = g.interval_start AND r.agent_id = g.agent_id
       AND r.channel IS NOT DISTINCT FROM g.channel AND r.contacts = 0 AND r.interval_start = ANY (ivs);
    DELETE FROM connect_lake.metric_queue_day r
     USING (SELECT DISTINCT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel
              FROM unnest(before) b WHERE b.interval_start IS NOT NULL) g
     WHERE r.day = g.day AND r.queue_kind = g.queue_kind
       AND r.queue_id IS NOT DISTINCT FROM g.queue_id AND r.channel IS NOT DISTINCT FROM g.channel
       AND r.contacts = 0 AND r.day = ANY (dys);
    -- "within X" rows of groups left without queued contacts: few, each
    -- deleted by the table's key (which leads with the threshold)
    FOR grp IN SELECT DISTINCT b.interval_start, b.queue_kind, b.queue_id, b.channel
               FROM unnest(before) b
              WHERE b.interval_start IS NOT NULL AND b.queued
                AND NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_interval q
                                 WHERE q.interval_start = b.interval_start AND q.queue_kind = b.queue_kind
                                   AND q.queue_id IS NOT DISTINCT FROM b.queue_id
                                   AND q.channel IS NOT DISTINCT FROM b.channel AND q.contacts_queued > 0
                                   AND q.interval_start = ANY (ivs)) LOOP
      DELETE FROM connect_lake.metric_queue_threshold r
       WHERE r.threshold_s = ANY (ths) AND r.interval_start = grp.interval_start AND r.queue_kind = grp.queue_kind
         AND r.queue_id IS NOT DISTINCT FROM grp.queue_id AND r.channel IS NOT DISTINCT FROM grp.channel;
    END LOOP;
    FOR grp IN SELECT DISTINCT (b.interval_start AT TIME ZONE tz)::date AS day, b.queue_kind, b.queue_id, b.channel
               FROM unnest(before) b
              WHERE b.interval_start IS NOT NULL AND b.queued
                AND NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_day q
                                 WHERE q.day = (b.interval_start AT TIME ZONE tz)::date
                                   AND q.queue_kind = b.queue_kind AND q.queue_id IS NOT DISTINCT FROM b.queue_id
                                   AND q.channel IS NOT DISTINCT FROM b.channel AND q.contacts_queued > 0
                                   AND q.day = ANY (dys)) LOOP
      DELETE FROM connect_lake.metric_queue_threshold_day r
       WHERE r.threshold_s = ANY (ths) AND r.day = grp.day AND r.queue_kind = grp.queue_kind
         AND r.queue_id IS NOT DISTINCT FROM grp.queue_id AND r.channel IS NOT DISTINCT FROM grp.channel;
    END LOOP;
    PERFORM set_config('enable_nestloop', nestloop, true);
  END IF;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN cardinality(ivs);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) IS
  'Internal, the writers'' upkeep: corrects the rollups (metric_queue_interval, metric_agent_interval, metric_queue_threshold, metric_queue_day, metric_queue_threshold_day) by what changed in contact_metric: the rows before (taken out of their intervals'' and days'' sums) and after (added) of the contacts changed. The tables end as metric_rollup() would make them, at the cost of the contacts changed. Returns how many intervals it touched.';

-- metric_apply: the core of both entry points.  It reads the contacts
-- where source_where holds (a condition on contact_metric_base b, with $1
-- the contact ids given, $2 and $3 a range, $4 initiation times) and writes
-- their contact_metric rows, follower flags included (the legs that
-- continue each, contact_metric_follower's rule, read with the versions
-- being written in place of the rows they replace); removes the rows of the
-- contacts given (ids) that are no longer in ctr_events; recomputes the
-- follower flags of the contacts they continue (now or before); then
-- brings the rollups up to date.  A range (from_ts, metrics_refresh()) makes
-- every interval any of them counted in, before or after, again from
-- contact_metric (metric_rollup(): it also repairs rollups); contacts given
-- by id (metrics_refresh_contacts(), the writers' upkeep) correct the
-- rollups by the rows that changed, before and after (metric_rollup_delta()),
-- so that a load pays for what it changed, not for what its intervals hold.
-- Every step looks rows up by key, from the contacts' side (LATERAL, with
-- OFFSET 0 where the planner would otherwise flatten the lookup into a join
-- that reads all of contact_metric, a cost growing with the lake): a load
-- touches a few thousand contacts of tables of millions, and large arrays
-- are joined as sets, never searched element by element.
-- metric_apply_rows() does the contact_metric part; metric_apply() calls it
-- (a second time for the contacts held under another InitiationTimestamp,
-- which it reads every version of), then corrects the rollups once for
-- both: every row is written before the first interval's lock is asked for.
CREATE FUNCTION connect_lake.metric_apply_rows(ids uuid[], source_where text, from_ts timestamptz,
                                               to_ts timestamptz, initiation_ts timestamptz[],
                                               OUT total bigint, OUT ivs timestamptz[],
                                               OUT before connect_lake.contact_metric[],
                                               OUT after connect_lake.contact_metric[], OUT others uuid[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
  found    uuid[];
  touched  uuid[];
  preds    uuid[];
  settle   uuid[];
  b2       connect_lake.contact_metric[];
  a2       connect_lake.contact_metric[];
  gone     boolean;
  notup    uuid[];
  notup_x  xid[];
  stale    uuid[];
BEGIN
  ids := coalesce(ids, '{}');
  -- The contacts' rows from their latest version in ctr_events, with their
  -- follower flags; what they were before (the statement's snapshot), and
  -- the rows that changed, before and after.
  -- A contact's versions are rows of ctr_events under each InitiationTimestamp
  -- it was delivered with (the partition key is part of the key); its latest
  -- is the first by LastUpdateTimestamp (NULL last), then InitiationTimestamp,
  -- across all of them.  The rows found (src0) are read alone, except for
  -- the contacts contact_metric holds under another InitiationTimestamp (or
  -- holds, and src0 lacks): only those can have a later version elsewhere.
  -- They are left out here (other) and done by a second call that reads
  -- every version of them (rare: a probe per partition each; in a separate
  -- statement, so that the usual one plans no scan of every partition).
  -- $5: look for them (not when source_where reads every version already).
  EXECUTE format($q$
    WITH src0 AS MATERIALIZED (
      SELECT DISTINCT ON (b.contactid) b.*
        FROM connect_lake.contact_metric_base b
       WHERE %s
       ORDER BY b.contactid, b.lastupdatetimestamp DESC NULLS LAST, b.initiationtimestamp DESC
    ), old AS MATERIALIZED (
      -- (x: the row version read, for the guard of the upsert below)
      SELECT o.r, o.x
        FROM (SELECT src0.contactid FROM src0 UNION SELECT unnest($1)) k
       CROSS JOIN LATERAL (SELECT m AS r, m.xmin AS x FROM connect_lake.contact_metric m
                            WHERE m.contactid = k.contactid OFFSET 0) o
    ), other AS MATERIALIZED (
      -- (an anti join: estimated at most the rows of old; as an outer join
      -- filtered it was estimated at millions, and the hash tables built
      -- on it were sized and zeroed for them at every call)
      SELECT (old.r).contactid
        FROM old
       WHERE $5 AND NOT EXISTS (SELECT 1 FROM src0 WHERE src0.contactid = (old.r).contactid
                                   AND src0.initiationtimestamp = (old.r).initiationtimestamp)
    ), src AS MATERIALIZED (
      SELECT src0.* FROM src0 WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = src0.contactid)
    ), fol AS MATERIALIZED (
      -- contact_metric_follower's legs of each contact of src, src's
      -- versions in place of the rows they replace: by PreviousContactId,
      -- then the contact its NextContactId names
      SELECT x.contactid, array_agg(DISTINCT x.initiationmethod) AS methods
        FROM (SELECT f.previouscontactid, f.initiationmethod
                FROM src f
               WHERE f.previouscontactid IS NOT NULL AND f.previouscontactid <> f.contactid
              UNION ALL
              SELECT s.contactid, f.initiationmethod
                FROM src s
               CROSS JOIN LATERAL (SELECT f.contactid, f.initiationmethod FROM connect_lake.contact_metric f
                                    WHERE f.previouscontactid = s.contactid AND f.contactid <> s.contactid
                                    OFFSET 0) f
               WHERE NOT EXISTS (SELECT 1 FROM src z WHERE z.contactid = f.contactid)
              UNION ALL
              SELECT s.contactid, n.initiationmethod
                FROM src s JOIN src n ON n.contactid = s.nextcontactid AND n.contactid <> s.contactid
              UNION ALL
              SELECT s.contactid, n.initiationmethod
                FROM src s
               CROSS JOIN LATERAL (SELECT n.contactid, n.initiationmethod FROM connect_lake.contact_metric n
                                    WHERE n.contactid = s.nextcontactid AND n.contactid <> s.contactid
                                    OFFSET 0) n
               WHERE NOT EXISTS (SELECT 1 FROM src z WHERE z.contactid = n.contactid)) x(contactid, initiationmethod)
       GROUP BY x.contactid
    ), up AS (
      INSERT INTO connect_lake.contact_metric AS m (contactid, initiationtimestamp, disconnecttimestamp,
       lastupdatetimestamp, interval_start, excluded_reason, queue_kind, queue_id, channel, agent_id,
       initiationmethod, disconnectreason, previouscontactid, nextcontactid, queued, handled, answered, abandoned,
       callback_requested, xfer_out_queue, xfer_out_internal, xfer_out_external, xfer_out_agent, held, queue_time,
       handle_time, interaction_time, hold_time, acw_time, contact_duration, resolution_time)
      SELECT s.contactid, s.initiationtimestamp, s.disconnecttimestamp, s.lastupdatetimestamp, s.interval_start,
             s.excluded_reason, s.queue_kind, s.queue_id, s.channel, s.agent_id, s.initiationmethod,
             s.disconnectreason, s.previouscontactid, s.nextcontactid, s.queued, s.handled, s.answered,
             connect_lake.metric_abandoned(s.queued, s.handled, s.methods),
             connect_lake.metric_callback_requested(s.queued, s.handled, s.methods),
             connect_lake.metric_xfer_out_queue(s.queued, s.handled, s.methods),
             connect_lake.metric_xfer_out_internal(s.handled, s.methods),
             s.xfer_out_external,
             connect_lake.metric_xfer_out_agent(s.handled, connect_lake.metric_xfer_out_internal(s.handled, s.methods),
                                                s.xfer_out_external),
             s.held, s.queue_time, s.handle_time, s.interaction_time, s.hold_time, s.acw_time, s.contact_duration,
             s.resolution_time
        FROM (SELECT src.*, coalesce(fol.methods, '{}') AS methods
                FROM src LEFT JOIN fol ON fol.contactid = src.contactid) s
      ON CONFLICT (contactid) DO UPDATE
         SET (initiationtimestamp, disconnecttimestamp, lastupdatetimestamp, interval_start, excluded_reason,
              queue_kind, queue_id, channel, agent_id, initiationmethod, disconnectreason, previouscontactid,
              nextcontactid, queued, handled, answered, abandoned, callback_requested, xfer_out_queue,
              xfer_out_internal, xfer_out_external, xfer_out_agent, held, queue_time, handle_time,
              interaction_time, hold_time, acw_time, contact_duration, resolution_time)
           = (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.abandoned, excluded.callback_requested, excluded.xfer_out_queue,
              excluded.xfer_out_internal, excluded.xfer_out_external, excluded.xfer_out_agent, excluded.held,
              excluded.queue_time, excluded.handle_time, excluded.interaction_time, excluded.hold_time,
              excluded.acw_time, excluded.contact_duration, excluded.resolution_time)
       -- only the row version this statement read: one another writer
       -- changed or inserted since (READ COMMITTED: it waited for that
       -- writer's commit) is left as it is and redone below from a new
       -- snapshot, which sees that writer's versions too (a hashed IN, not
       -- a search of old per row: xid has no btree order, its text has)
       WHERE (m.contactid, m.xmin::text) IN (SELECT (old.r).contactid, old.x::text FROM old)
         AND (m.initiationtimestamp, m.disconnecttimestamp, m.lastupdatetimestamp, m.interval_start,
              m.excluded_reason, m.queue_kind, m.queue_id, m.channel, m.agent_id, m.initiationmethod,
              m.disconnectreason, m.previouscontactid, m.nextcontactid, m.queued, m.handled, m.answered,
              m.abandoned, m.callback_requested, m.xfer_out_queue, m.xfer_out_internal, m.xfer_out_external,
              m.xfer_out_agent, m.held, m.queue_time, m.handle_time, m.interaction_time, m.hold_time,
              m.acw_time, m.contact_duration, m.resolution_time)
             IS DISTINCT FROM
             (excluded.initiationtimestamp, excluded.disconnecttimestamp, excluded.lastupdatetimestamp,
              excluded.interval_start, excluded.excluded_reason, excluded.queue_kind, excluded.queue_id,
              excluded.channel, excluded.agent_id, excluded.initiationmethod, excluded.disconnectreason,
              excluded.previouscontactid, excluded.nextcontactid, excluded.queued, excluded.handled,
              excluded.answered, excluded.abandoned, excluded.callback_requested, excluded.xfer_out_queue,
              excluded.xfer_out_internal, excluded.xfer_out_external, excluded.xfer_out_agent, excluded.held,
              excluded.queue_time, excluded.handle_time, excluded.interaction_time, excluded.hold_time,
              excluded.acw_time, excluded.contact_duration, excluded.resolution_time)
      RETURNING m.*
    )
    SELECT (SELECT coalesce(array_agg(src.contactid), '{}') FROM src),
           (SELECT coalesce(array_agg(other.contactid), '{}') FROM other),
           (SELECT coalesce(array_agg((old.r).interval_start) FILTER (WHERE (old.r).interval_start IS NOT NULL), '{}')
              FROM old WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = (old.r).contactid))
           || (SELECT coalesce(array_agg(src.interval_start) FILTER (WHERE src.interval_start IS NOT NULL), '{}') FROM src),
           (SELECT coalesce(array_agg((old.r).previouscontactid) FILTER (WHERE (old.r).previouscontactid IS NOT NULL), '{}')
              FROM old WHERE NOT EXISTS (SELECT 1 FROM other WHERE other.contactid = (old.r).contactid))
           || (SELECT coalesce(array_agg(src.previouscontactid) FILTER (WHERE src.previouscontactid IS NOT NULL), '{}') FROM src),
           (SELECT coalesce(array_agg(old.r), '{}') FROM old WHERE (old.r).contactid IN (SELECT up.contactid FROM up)),
           (SELECT coalesce(array_agg(up::connect_lake.contact_metric), '{}') FROM up),
           (SELECT coalesce(array_agg(src.contactid ORDER BY src.contactid), '{}') FROM src
             WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.contactid = src.contactid)),
           (SELECT coalesce(array_agg(o.x ORDER BY src.contactid), '{}') FROM src
              LEFT JOIN old o ON (o.r).contactid = src.contactid
             WHERE NOT EXISTS (SELECT 1 FROM up WHERE up.contactid = src.contactid))
  $q$, source_where) INTO found, others, ivs, preds, before, after, notup, notup_x
  USING ids, from_ts, to_ts, initiation_ts, source_where <> 'b.contactid = ANY ($1)';
  -- (the contacts left out are the second call's, gone or not, with what
  -- they counted in and continued before)
  IF cardinality(others) > 0 THEN
    ids := ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest(others));
  END IF;
  -- The contacts whose row the upsert left because another writer had
  -- changed or inserted it since this statement's snapshot (its row now is
  -- not the version read): that writer's versions of them were not seen, so
  -- they are done again, with the others, by a call that reads every
  -- version anew.  (Read by key, a new statement: it sees what committed.)
  IF cardinality(notup) > 0 THEN
    SELECT coalesce(array_agg(k.c), '{}') INTO stale
      FROM unnest(notup, notup_x) k(c, x)
      LEFT JOIN LATERAL (SELECT m.xmin FROM connect_lake.contact_metric m WHERE m.contactid = k.c OFFSET 0) m ON true
     WHERE m.xmin IS DISTINCT FROM k.x;
    others := others || stale;
  END IF;

  -- Contacts given that are no longer in ctr_events count nowhere.
  WITH d AS (DELETE FROM connect_lake.contact_metric m
              WHERE m.contactid = ANY (ARRAY(SELECT unnest(ids) EXCEPT SELECT unnest(found)))
             RETURNING m)
  SELECT coalesce(array_agg(d.m), '{}') INTO b2 FROM d;
  gone := cardinality(b2) > 0;
  before := before || b2;
  SELECT coalesce(array_agg(DISTINCT t.c), '{}') INTO touched FROM (SELECT unnest(found || ids)) t(c);

  -- The other contacts whose follower flags may have changed: those they
  -- continue now or continued before, and those naming one as
  -- NextContactId (with a contact gone, the contacts given too: it may
  -- have been a leg of one of them).
  -- (Made distinct by a sort, and the contacts given taken away by an anti
  -- join hashing them: a UNION or EXCEPT hashes the lookup's side, whose
  -- estimate, the contacts given times a guess per contact, sized a hash
  -- table of millions of entries, zeroed at every commit.)
  IF gone THEN
    SELECT coalesce(array_agg(DISTINCT s.c), '{}') INTO settle
      FROM (SELECT unnest(preds)
            UNION ALL
            SELECT m.contactid FROM unnest(touched) t(c)
             CROSS JOIN LATERAL (SELECT m.contactid FROM connect_lake.contact_metric m WHERE m.nextcontactid = t.c
                                  OFFSET 0) m
            UNION ALL
            SELECT unnest(touched)) s(c);
  ELSE
    SELECT coalesce(array_agg(DISTINCT s.c), '{}') INTO settle
      FROM (SELECT unnest(preds)
            UNION ALL
            SELECT m.contactid FROM unnest(touched) t(c)
             CROSS JOIN LATERAL (SELECT m.contactid FROM connect_lake.contact_metric m WHERE m.nextcontactid = t.c
                                  OFFSET 0) m) s(c)
     WHERE NOT EXISTS (SELECT 1 FROM unnest(touched) x(c) WHERE x.c = s.c);
  END IF;

  IF cardinality(settle) > 0 THEN
    -- their rows before (o: the statement's snapshot) and after
    WITH u AS (
      UPDATE connect_lake.contact_metric m
         SET callback_requested = connect_lake.metric_callback_requested(m.queued, m.handled, f.methods),
             xfer_out_queue     = connect_lake.metric_xfer_out_queue(m.queued, m.handled, f.methods),
             abandoned          = connect_lake.metric_abandoned(m.queued, m.handled, f.methods),
             xfer_out_internal  = connect_lake.metric_xfer_out_internal(m.handled, f.methods),
             xfer_out_agent     = connect_lake.metric_xfer_out_agent(m.handled,
                                    connect_lake.metric_xfer_out_internal(m.handled, f.methods), m.xfer_out_external)
        FROM (SELECT s.c AS contactid, coalesce(fo.methods, '{}') AS methods
                FROM unnest(settle) s(c)
               CROSS JOIN LATERAL (SELECT array_agg(DISTINCT x.initiationmethod) AS methods
                                     FROM connect_lake.contact_metric_follower x
                                    WHERE x.contactid = s.c) fo) f,
             connect_lake.contact_metric o
       WHERE m.contactid = f.contactid AND o.contactid = m.contactid
         AND (m.callback_requested, m.xfer_out_queue, m.abandoned, m.xfer_out_internal, m.xfer_out_agent)
             IS DISTINCT FROM
             (connect_lake.metric_callback_requested(m.queued, m.handled, f.methods),
              connect_lake.metric_xfer_out_queue(m.queued, m.handled, f.methods),
              connect_lake.metric_abandoned(m.queued, m.handled, f.methods),
              connect_lake.metric_xfer_out_internal(m.handled, f.methods),
              connect_lake.metric_xfer_out_agent(m.handled, connect_lake.metric_xfer_out_internal(m.handled, f.methods),
                                                 m.xfer_out_external))
      RETURNING o AS old_row, m AS new_row)
    SELECT coalesce(array_agg(u.old_row), '{}'), coalesce(array_agg(u.new_row), '{}') INTO b2, a2 FROM u;
    IF cardinality(a2) > 0 THEN
      -- a contact already changed above is taken out again as written there
      -- (b2) and added as it is now (a2): its row in between cancels in the
      -- signed sums (only follower flags change here, never its interval,
      -- queue, channel, agent or queue time), with no search of the arrays
      before := before || b2;
      after := after || a2;
      ivs := ivs || ARRAY(SELECT b.interval_start FROM unnest(b2) b WHERE b.interval_start IS NOT NULL)
                 || ARRAY(SELECT a.interval_start FROM unnest(a2) a WHERE a.interval_start IS NOT NULL);
    END IF;
  END IF;

  total := cardinality(settle) + CASE WHEN gone THEN 0 ELSE cardinality(touched) END;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) IS
  'Internal: metric_apply()''s contact_metric part: the rows (follower flags included) of the contacts of contact_metric_base where source_where holds ($1 ids, $2 from, $3 to, $4 initiation times) and of the contacts ids (removed when gone from ctr_events), and the follower flags of the contacts they continue; the rollups untouched. Returns the contacts whose flags were recomputed (total), the intervals counted in before or after (ivs), the rows changed before and after, and the contacts left out because contact_metric holds them under another InitiationTimestamp (others, for a call that reads every version of them).';

-- metric_apply_new(ids, initiation_ts): the contact_metric rows of the new
-- contacts given that need nothing but their own row (contact_metric holds
-- no row of them, they have no PreviousContactId or NextContactId, and no
-- row of contact_metric or other contact given names them), read from
-- contact_metric_base as metric_apply_rows() reads them, with the follower
-- flags of no leg, and written directly from C as COPY writes; the rows
-- written (after) and the contacts left for metric_apply_rows() (rest_ids,
-- rest_ts, in their order).  after NULL, every contact left: the statement
-- must write them (see src/metric_contact.c).
CREATE FUNCTION connect_lake.metric_apply_new(ids uuid[], initiation_ts timestamptz[],
                                              OUT after connect_lake.contact_metric[], OUT rest_ids uuid[],
                                              OUT rest_ts timestamptz[])
AS 'MODULE_PATHNAME', 'metric_apply_new'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) IS
  'Internal, the writers'' upkeep (metric_apply()): of the contacts given with their InitiationTimestamps, those contact_metric does not hold yet that have no PreviousContactId or NextContactId and that no row of contact_metric nor other contact given names get their rows (contact_metric_base''s, follower flags of no leg) written into contact_metric directly, as COPY writes, in a subtransaction (a duplicate key or a deadlock: none written). Returns the rows written (after) and the contacts left for metric_apply_rows() (rest_ids, rest_ts); after is NULL and every contact left where the statement must write them: not READ COMMITTED, or contact_metric with triggers, rules, CHECK constraints, row-level security that does not let any row in, other columns (or a column of another type or typmod), no INSERT privilege, a read-only transaction, Citus.';

CREATE FUNCTION connect_lake.metric_apply(ids uuid[], source_where text, from_ts timestamptz DEFAULT NULL,
                                          to_ts timestamptz DEFAULT NULL, initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
SET jit = off
AS $fn$
DECLARE
  planner text[];
  r1      record;
  r2      record;
  nw      record;
  direct  connect_lake.contact_metric[] := '{}';
BEGIN
  -- statistics that make a table look empty (upkeep_stats_stale()): planned
  -- without nested loops and sequential scans, not a scan per contact
  planner := connect_lake.upkeep_plan_guard(ARRAY['connect_lake.ctr_events', 'connect_lake.contact_metric']::regclass[]);
  -- The rollups' lock, exclusively, before any contact_metric row is read
  -- or written, to the end of the transaction: one upkeep at a time.  Two
  -- writers' upkeeps side by side could not see each other's rows: one
  -- landing a queued contact and the other its callback (a later leg naming
  -- it as PreviousContactId) each found no row of the other, and the
  -- contact stayed abandoned (test/specs/metric_upkeep_linked_legs.spec).
  -- Waiting here, an upkeep holds no contact_metric row, so it never
  -- deadlocks with the one it waits for (or with metrics_refresh(), which
  -- holds the same lock while it writes rows); it then reads, statement by
  -- statement, what that one committed.  (load() in a session holds its
  -- kind's writer lock exclusively and workers drain their upkeep one at a
  -- time already: this orders the rest, ingest() and ingest_batch().)
  IF current_setting('connect_lake_metrics.all_locked', true) IS DISTINCT FROM 'on' THEN
    PERFORM pg_advisory_xact_lock(1668048237, 0);
  END IF;
  -- The writers' contacts (with their InitiationTimestamps) that need
  -- nothing but their own row, new and linked to no other: written directly
  -- (metric_apply_new(), C); the others as before.
  IF from_ts IS NULL AND initiation_ts IS NOT NULL THEN
    SELECT * INTO nw FROM connect_lake.metric_apply_new(ids, initiation_ts);
    IF nw.after IS NOT NULL THEN
      direct := nw.after;
      ids := nw.rest_ids;
      initiation_ts := nw.rest_ts;
    END IF;
  END IF;
  -- (which way the contacts went, for the tests: written directly, by the statement)
  PERFORM set_config('connect_lake_metrics.last_upkeep',
                     format('direct %s, statement %s', cardinality(direct), cardinality(ids)), false);
  IF cardinality(direct) > 0 AND cardinality(ids) = 0 THEN
    PERFORM connect_lake.metric_rollup_delta('{}', direct);
    PERFORM connect_lake.upkeep_plan_restore(planner);
    RETURN cardinality(direct);
  END IF;
  SELECT * INTO r1 FROM connect_lake.metric_apply_rows(ids, source_where, from_ts, to_ts, initiation_ts);
  -- The contacts contact_metric holds under another InitiationTimestamp,
  -- and those another writer changed meanwhile: every version of them read
  -- by a second call (rare).  Both calls' rows (and those written directly)
  -- are written before any interval is locked, and the rollups corrected
  -- once for all, locking the intervals in lock order: no row lock is
  -- ever asked for while an interval's lock is held, as in every writer's
  -- upkeep, so that two upkeeps never wait for each other crosswise.
  -- (Again while another writer changed some of them meanwhile: each round
  -- waited for that writer's commit.)
  WHILE cardinality(r1.others) > 0 LOOP
    SELECT * INTO r2 FROM connect_lake.metric_apply_rows(r1.others, 'b.contactid = ANY ($1)', from_ts, to_ts, NULL);
    r1.total := r1.total + r2.total;
    r1.ivs := r1.ivs || r2.ivs;
    r1.before := r1.before || r2.before;
    r1.after := r1.after || r2.after;
    r1.others := r2.others;
  END LOOP;
  IF from_ts IS NULL THEN
    PERFORM connect_lake.metric_rollup_delta(r1.before, r1.after || direct);
  ELSE
    PERFORM connect_lake.metric_rollup(r1.ivs);
  END IF;
  PERFORM connect_lake.upkeep_plan_restore(planner);
  RETURN r1.total + cardinality(direct);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) IS
  'Internal: the upkeep shared by metrics_refresh_contacts() and metrics_refresh(): the contact_metric rows (follower flags included) of the contacts of contact_metric_base where source_where holds ($1 ids, $2 from, $3 to, $4 initiation times) and of the contacts ids (removed when gone from ctr_events), the follower flags of the contacts they continue (metric_apply_rows(), a second time for the contacts held under another InitiationTimestamp), then the rollups once: over a range (from_ts given) every interval they counted in before or after made again (metric_rollup()), else corrected by the rows that changed (metric_rollup_delta()). Returns the contacts whose flags were recomputed.';

CREATE FUNCTION connect_lake.metrics_refresh_contacts(contact_ids uuid[], initiation_ts timestamptz[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF initiation_ts IS NOT NULL AND cardinality(initiation_ts) <> cardinality(contact_ids) THEN
    RAISE EXCEPTION 'contact_ids and initiation_ts differ in length (% and %)',
                    cardinality(contact_ids), cardinality(initiation_ts)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give each contact''s InitiationTimestamp at the same position, or leave initiation_ts NULL.';
  END IF;
  IF initiation_ts IS NULL THEN
    RETURN connect_lake.metric_apply(contact_ids, 'b.contactid = ANY ($1)');
  END IF;
  -- Each contact looked up in the partition of its initiation time.
  RETURN connect_lake.metric_apply(contact_ids,
    '(b.contactid, b.initiationtimestamp) IN (SELECT u.c, u.t FROM unnest($1, $4) u(c, t))',
    NULL, NULL, initiation_ts);
END
$fn$;
COMMENT ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) IS
  'Brings contact_metric and the interval rollups up to date for the contacts given (and the contacts they continue: a late CALLBACK, QUEUE_TRANSFER or TRANSFER leg corrects its predecessor), from their rows in ctr_events; with initiation_ts (each contact''s InitiationTimestamp, same order) each is read from its own partition. The writers call it once per transaction, at commit, with the contacts it inserted or updated (setting connect_lake.metrics_upkeep). Returns the contacts recomputed.';

CREATE FUNCTION connect_lake.metrics_refresh(from_ts timestamptz DEFAULT '-infinity', to_ts timestamptz DEFAULT 'infinity')
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lo     timestamptz;
  hi     timestamptz;
  day_lo timestamptz;
  ids    uuid[];
  n      bigint := 0;
BEGIN
  IF from_ts IS NULL OR to_ts IS NULL OR from_ts > to_ts THEN
    RAISE EXCEPTION 'metrics_refresh needs from_ts <= to_ts, got % and %', from_ts, to_ts
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the range of disconnect times to rebuild, e.g. metrics_refresh(''2026-09-01'', ''2026-10-01''); no arguments rebuild all.';
  END IF;
  -- The contacts anchored in the range (disconnect, else initiation), in
  -- ctr_events or in contact_metric: where they begin and end (by indexes).
  -- (No contact at all: nothing to do; greatest() and least() would skip
  -- the NULLs and step through all time from -infinity.)
  SELECT least((SELECT min(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
               (SELECT min(e.initiationtimestamp) FROM connect_lake.ctr_events e
                 WHERE e.disconnecttimestamp IS NULL),
               (SELECT min(m.interval_start) FROM connect_lake.contact_metric m WHERE m.interval_start IS NOT NULL),
               (SELECT min(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                  FROM connect_lake.contact_metric m WHERE m.interval_start IS NULL)),
         greatest((SELECT max(e.disconnecttimestamp) FROM connect_lake.ctr_events e),
                  (SELECT max(e.initiationtimestamp) FROM connect_lake.ctr_events e
                    WHERE e.disconnecttimestamp IS NULL),
                  (SELECT max(m.interval_start) + interval '15 minutes' FROM connect_lake.contact_metric m
                    WHERE m.interval_start IS NOT NULL),
                  (SELECT max(coalesce(m.disconnecttimestamp, m.initiationtimestamp))
                     FROM connect_lake.contact_metric m WHERE m.interval_start IS NULL)) + interval '1 microsecond'
    INTO lo, hi;
  IF lo IS NULL OR hi IS NULL THEN
    RETURN 0;
  END IF;
  lo := greatest(from_ts, lo);
  hi := least(to_ts, hi);
  -- every interval's lock at once, for the rest of the transaction (one
  -- lock per interval would fill the shared lock table over months)
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM set_config('connect_lake_metrics.all_locked', 'on', true);
  -- A day at a time, so that each step holds a day of contacts.
  day_lo := lo;
  WHILE day_lo < hi LOOP
    -- (a contact that counts is anchored at its disconnect, in the 15-minute
    -- interval it counts in: read by that index; an excluded one by the
    -- anchor's, which holds only them)
    SELECT coalesce(array_agg(x.contactid), '{}') INTO ids
      FROM (SELECT m.contactid FROM connect_lake.contact_metric m
             WHERE m.interval_start >= connect_lake.metric_interval(day_lo)
               AND m.interval_start < least(day_lo + interval '1 day', hi)
               AND m.disconnecttimestamp >= day_lo AND m.disconnecttimestamp < least(day_lo + interval '1 day', hi)
            UNION ALL
            SELECT m.contactid FROM connect_lake.contact_metric m
             WHERE m.interval_start IS NULL
               AND coalesce(m.disconnecttimestamp, m.initiationtimestamp) >= day_lo
               AND coalesce(m.disconnecttimestamp, m.initiationtimestamp) < least(day_lo + interval '1 day', hi)) x;
    n := n + connect_lake.metric_apply(ids,
      '(b.disconnecttimestamp >= $2 AND b.disconnecttimestamp < $3)
       OR (b.disconnecttimestamp IS NULL AND b.initiationtimestamp >= $2 AND b.initiationtimestamp < $3)',
      day_lo, least(day_lo + interval '1 day', hi));
    day_lo := day_lo + interval '1 day';
  END LOOP;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) IS
  'Rebuilds contact_metric and the interval rollups for the contacts whose disconnect (initiation, when there is none) lies in [from_ts, to_ts), a day at a time; no arguments: all history. For history loaded before the writers kept the metrics, or after hand-written changes of ctr_events. Returns the contacts recomputed.';

-- A threshold added (to metric_threshold, or as the service-level default) is
-- computed for all history at once; one no longer in use is dropped.
CREATE FUNCTION connect_lake.metric_threshold_sync() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET work_mem = '64MB'
AS $fn$
DECLARE
  x integer;
BEGIN
  -- Every interval's lock, as metrics_refresh() takes it, to the end of the
  -- transaction: a writer's upkeep committing meanwhile would otherwise add
  -- its contacts with the thresholds and time zone it read before this
  -- change commits (a new threshold's rows without them; day rows of the
  -- old time zone in tables made again in the new one).  It waits, then
  -- reads what is in force.
  PERFORM pg_advisory_xact_lock(1668048237, 0);
  PERFORM set_config('connect_lake_metrics.all_locked', 'on', true);
  DELETE FROM connect_lake.metric_queue_threshold
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  DELETE FROM connect_lake.metric_queue_threshold_day
   WHERE threshold_s <> ALL (connect_lake.metric_thresholds());
  FOREACH x IN ARRAY connect_lake.metric_thresholds() LOOP
    IF NOT EXISTS (SELECT 1 FROM connect_lake.metric_queue_threshold t WHERE t.threshold_s = x) THEN
      -- the intervals metric_queue_interval holds (all, but while pg_restore
      -- fills the tables one by one: those it restores later bring theirs)
      INSERT INTO connect_lake.metric_queue_threshold
        SELECT l.* FROM connect_lake.metric_queue_threshold_live l
         WHERE l.threshold_s = x
           AND EXISTS (SELECT 1 FROM connect_lake.metric_queue_interval q
                        WHERE q.interval_start = l.interval_start AND q.queue_kind = l.queue_kind
                          AND q.queue_id IS NOT DISTINCT FROM l.queue_id AND q.channel IS NOT DISTINCT FROM l.channel);
      INSERT INTO connect_lake.metric_queue_threshold_day
        SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity', x);
    END IF;
  END LOOP;
  -- Days are those of the time zone in force.
  IF TG_TABLE_NAME = 'metric_config' THEN
    TRUNCATE connect_lake.metric_queue_day, connect_lake.metric_queue_threshold_day;
    INSERT INTO connect_lake.metric_queue_day
      SELECT * FROM connect_lake.metric_queue_day_rows('-infinity', 'infinity');
    INSERT INTO connect_lake.metric_queue_threshold_day
      SELECT * FROM connect_lake.metric_queue_threshold_day_rows('-infinity', 'infinity');
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_threshold_sync() IS
  'Trigger of metric_threshold and metric_config: computes the "within X" counts of a threshold newly in use for all history and drops those of a threshold no longer in use; after a change of metric_config, makes the day rollups again in the time zone now in force. Holds every interval''s lock to the end of the transaction, as metrics_refresh() does (the writers'' upkeep waits).';
CREATE TRIGGER metric_threshold_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.metric_threshold
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.metric_threshold_sync();
CREATE TRIGGER metric_config_sync
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.metric_config
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.metric_threshold_sync();

-- ---- Re-aggregation: any period from the 15-minute rows
--
-- A 15-minute UTC interval lies within one local half hour, hour, day and
-- week of any time zone (every zone's offset is a multiple of 15 minutes), so
-- summing interval rows gives the period's figures exactly.  Half hours and
-- hours are those of the local clock (a +05:30 zone's hours start at :30
-- UTC); at a DST change the repeated local hour stays two periods.
-- STABLE, as the timestamptz arithmetic it does (an IMMUTABLE SQL function
-- with a STABLE body is not inlined: called per row, issue #15).
CREATE FUNCTION connect_lake.metric_period_start(period text, interval_start timestamptz, time_zone text,
                                                 total_start timestamptz DEFAULT NULL) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE period
             WHEN 'FIFTEEN_MIN' THEN interval_start
             WHEN 'THIRTY_MIN' THEN interval_start - ((interval_start AT TIME ZONE time_zone)
                                     - date_bin('30 minutes', interval_start AT TIME ZONE time_zone, timestamp '2000-01-01'))
             WHEN 'HOUR' THEN interval_start - ((interval_start AT TIME ZONE time_zone)
                                     - date_trunc('hour', interval_start AT TIME ZONE time_zone))
             WHEN 'DAY' THEN date_trunc('day', interval_start AT TIME ZONE time_zone) AT TIME ZONE time_zone
             WHEN 'WEEK' THEN date_trunc('week', interval_start AT TIME ZONE time_zone) AT TIME ZONE time_zone
             WHEN 'TOTAL' THEN total_start
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_period_start(text, timestamptz, text, timestamptz) IS
  'The start of the period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK from Monday, TOTAL = total_start) in time_zone that holds the 15-minute interval starting at interval_start; NULL for another period name.';

CREATE FUNCTION connect_lake.metric_check_period(period text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $fn$
BEGIN
  IF period IS NULL OR period NOT IN ('FIFTEEN_MIN', 'THIRTY_MIN', 'HOUR', 'DAY', 'WEEK', 'TOTAL') THEN
    RAISE EXCEPTION 'unknown metric period %', coalesce(quote_literal(period), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A period is one of FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL.';
  END IF;
  RETURN period;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_check_period(text) IS
  'The period name if it is one of FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL; an error naming them otherwise.';

CREATE FUNCTION connect_lake.metric_check_threshold(threshold integer, comparison text DEFAULT 'LT')
  RETURNS integer
  LANGUAGE plpgsql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
BEGIN
  IF comparison IS NULL OR comparison NOT IN ('LT', 'LTE') THEN
    RAISE EXCEPTION 'unknown threshold comparison %', coalesce(quote_literal(comparison), 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'A comparison is LT (less than) or LTE (less than or equal).';
  END IF;
  IF threshold IS NULL OR threshold NOT BETWEEN 1 AND 604800 THEN
    RAISE EXCEPTION 'threshold % is outside 1..604800 seconds', coalesce(threshold::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value', HINT = 'A threshold is a whole number of seconds from 1 to 604800 (7 days).';
  END IF;
  IF threshold <> ALL (connect_lake.metric_thresholds()) THEN
    RAISE EXCEPTION 'threshold % seconds is not kept per interval', threshold
      USING ERRCODE = 'invalid_parameter_value',
            HINT = format('Kept: %s. Add it with INSERT INTO connect_lake.metric_threshold VALUES (%s); its counts are computed for all history.',
                          array_to_string(connect_lake.metric_thresholds(), ', '), threshold);
  END IF;
  RETURN threshold;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_check_threshold(integer, text) IS
  'The threshold if it is kept per interval (metric_thresholds()) and the comparison is LT or LTE; an error naming the thresholds kept otherwise.';

CREATE FUNCTION connect_lake.metric_use_days(period text, from_ts timestamptz, to_ts timestamptz, time_zone text)
  RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT period = 'DAY' AND time_zone = connect_lake.metric_time_zone()
       AND (from_ts = '-infinity' OR from_ts = (from_ts AT TIME ZONE time_zone)::date::timestamp AT TIME ZONE time_zone)
       AND (to_ts = 'infinity' OR to_ts = (to_ts AT TIME ZONE time_zone)::date::timestamp AT TIME ZONE time_zone)
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_use_days(text, timestamptz, timestamptz, text) IS
  'Whether queue_metrics() may read the day rollups: days of the metrics time zone, from local midnight to local midnight.';

CREATE FUNCTION connect_lake.queue_metrics(period text, from_ts timestamptz, to_ts timestamptz,
                                           time_zone text DEFAULT connect_lake.metric_time_zone(),
                                           threshold integer DEFAULT connect_lake.metric_service_level_threshold(),
                                           comparison text DEFAULT connect_lake.metric_service_level_comparison())
RETURNS TABLE (period_start timestamptz, queue_id uuid, queue_name text, queue_kind text, channel text,
               contacts_created bigint, contacts_queued bigint, contacts_handled bigint,
               contacts_handled_incoming bigint, contacts_handled_outbound bigint,
               callback_contacts_handled bigint, api_contacts_handled bigint,
               contacts_agent_hung_up_first bigint, contacts_transferred_in bigint,
               contacts_transferred_in_from_queue bigint, contacts_abandoned bigint,
               callbacks_requested bigint, contacts_transferred_out bigint,
               contacts_transferred_out_by_agent bigint, contacts_transferred_out_from_queue bigint,
               contacts_transferred_out_internal bigint, contacts_transferred_out_external bigint,
               contacts_put_on_hold bigint,
               service_level_threshold integer, service_level_comparison text,
               contacts_answered_in_x bigint, contacts_abandoned_in_x bigint, contacts_removed_in_x bigint,
               contacts_removed_at_x bigint,
               service_level numeric, abandonment_rate numeric,
               avg_queue_answer_time numeric, avg_abandon_time numeric, max_queued_time integer,
               avg_handle_time numeric, sum_handle_time bigint, avg_interaction_time numeric,
               avg_hold_time numeric, avg_after_contact_work_time numeric, avg_contact_duration numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT q.p, q.queue_id, d.queue_name, q.queue_kind, q.channel,
         q.contacts, q.contacts_queued, q.contacts_handled, q.contacts_handled_incoming,
         q.contacts_handled_outbound, q.contacts_handled_callback, q.contacts_handled_api,
         q.contacts_agent_hung_up_first, q.contacts_transferred_in, q.contacts_transferred_in_from_queue,
         q.contacts_abandoned, q.callbacks_requested,
         q.transferred_out_by_agent + q.transferred_out_from_queue, q.transferred_out_by_agent,
         q.transferred_out_from_queue, q.transferred_out_internal, q.transferred_out_external,
         q.contacts_put_on_hold,
         threshold, comparison,
         coalesce(t.answered_lt + CASE WHEN comparison = 'LTE' THEN t.answered_eq ELSE 0 END, 0),
         coalesce(t.abandoned_lt + CASE WHEN comparison = 'LTE' THEN t.abandoned_eq ELSE 0 END, 0),
         coalesce(t.removed_lt + CASE WHEN comparison = 'LTE' THEN t.removed_eq ELSE 0 END, 0),
         coalesce(t.removed_eq, 0),
         connect_lake.metric_service_level(
           coalesce(t.removed_lt + CASE WHEN comparison = 'LTE' THEN t.removed_eq ELSE 0 END, 0), q.contacts_queued),
         connect_lake.metric_abandonment_rate(q.contacts_abandoned, q.contacts_queued),
         connect_lake.metric_asa(q.queue_answer_time_sum, q.contacts_answered),
         connect_lake.metric_ratio(q.abandon_time_sum, q.contacts_abandoned),
         q.queued_time_max,
         connect_lake.metric_aht(q.handle_time_sum, q.contacts_handled), q.handle_time_sum,
         connect_lake.metric_ratio(q.interaction_time_sum, q.contacts_handled),
         connect_lake.metric_ratio(q.hold_time_sum, q.contacts_put_on_hold),
         connect_lake.metric_ratio(q.acw_time_sum, q.contacts_handled),
         connect_lake.metric_ratio(q.contact_duration_sum, q.contacts)
    FROM (-- Whole days of the metrics time zone: the day rollups ...
          SELECT r.day::timestamp AT TIME ZONE time_zone AS p, r.queue_kind, r.queue_id, r.channel,
                 r.contacts, r.contacts_queued, r.contacts_handled, r.contacts_handled_incoming,
                 r.contacts_handled_outbound, r.contacts_handled_callback, r.contacts_handled_api,
                 r.contacts_agent_hung_up_first, r.contacts_transferred_in, r.contacts_transferred_in_from_queue,
                 r.contacts_answered, r.contacts_abandoned, r.callbacks_requested, r.transferred_out_from_queue,
                 r.transferred_out_internal, r.transferred_out_external, r.transferred_out_by_agent,
                 r.contacts_put_on_hold, r.queue_answer_time_sum, r.abandon_time_sum, r.queued_time_max,
                 r.handle_time_sum, r.interaction_time_sum, r.hold_time_sum, r.acw_time_sum, r.contact_duration_sum
            FROM connect_lake.metric_queue_day r
           WHERE connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
             AND r.day >= (from_ts AT TIME ZONE time_zone)::date AND r.day < (to_ts AT TIME ZONE time_zone)::date
          UNION ALL
          -- ... any other period: the 15-minute rows.
          SELECT connect_lake.metric_period_start(connect_lake.metric_check_period(period),
                                                  r.interval_start, time_zone, from_ts) AS p,
                 r.queue_kind, r.queue_id, r.channel,
                 sum(r.contacts)::bigint AS contacts, sum(r.contacts_queued)::bigint AS contacts_queued,
                 sum(r.contacts_handled)::bigint AS contacts_handled,
                 sum(r.contacts_handled_incoming)::bigint AS contacts_handled_incoming,
                 sum(r.contacts_handled_outbound)::bigint AS contacts_handled_outbound,
                 sum(r.contacts_handled_callback)::bigint AS contacts_handled_callback,
                 sum(r.contacts_handled_api)::bigint AS contacts_handled_api,
                 sum(r.contacts_agent_hung_up_first)::bigint AS contacts_agent_hung_up_first,
                 sum(r.contacts_transferred_in)::bigint AS contacts_transferred_in,
                 sum(r.contacts_transferred_in_from_queue)::bigint AS contacts_transferred_in_from_queue,
                 sum(r.contacts_answered)::bigint AS contacts_answered,
                 sum(r.contacts_abandoned)::bigint AS contacts_abandoned,
                 sum(r.callbacks_requested)::bigint AS callbacks_requested,
                 sum(r.transferred_out_from_queue)::bigint AS transferred_out_from_queue,
                 sum(r.transferred_out_internal)::bigint AS transferred_out_internal,
                 sum(r.transferred_out_external)::bigint AS transferred_out_external,
                 sum(r.transferred_out_by_agent)::bigint AS transferred_out_by_agent,
                 sum(r.contacts_put_on_hold)::bigint AS contacts_put_on_hold,
                 sum(r.queue_answer_time_sum)::bigint AS queue_answer_time_sum,
                 sum(r.abandon_time_sum)::bigint AS abandon_time_sum,
                 max(r.queued_time_max) AS queued_time_max,
                 sum(r.handle_time_sum)::bigint AS handle_time_sum,
                 sum(r.interaction_time_sum)::bigint AS interaction_time_sum,
                 sum(r.hold_time_sum)::bigint AS hold_time_sum,
                 sum(r.acw_time_sum)::bigint AS acw_time_sum,
                 sum(r.contact_duration_sum)::bigint AS contact_duration_sum
            FROM connect_lake.metric_queue_interval r
           WHERE NOT connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
             AND r.interval_start >= from_ts AND r.interval_start < to_ts
           GROUP BY 1, 2, 3, 4) q
    LEFT JOIN (SELECT r.day::timestamp AT TIME ZONE time_zone AS p, r.queue_kind, r.queue_id, r.channel,
                      r.answered_lt::bigint, r.answered_eq::bigint, r.abandoned_lt::bigint, r.abandoned_eq::bigint,
                      r.removed_lt::bigint, r.removed_eq::bigint
                 FROM connect_lake.metric_queue_threshold_day r
                WHERE connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
                  AND r.threshold_s = (SELECT connect_lake.metric_check_threshold(threshold, comparison))
                  AND r.day >= (from_ts AT TIME ZONE time_zone)::date AND r.day < (to_ts AT TIME ZONE time_zone)::date
               UNION ALL
               SELECT connect_lake.metric_period_start(period, r.interval_start, time_zone, from_ts) AS p,
                      r.queue_kind, r.queue_id, r.channel,
                      sum(r.answered_lt)::bigint AS answered_lt, sum(r.answered_eq)::bigint AS answered_eq,
                      sum(r.abandoned_lt)::bigint AS abandoned_lt, sum(r.abandoned_eq)::bigint AS abandoned_eq,
                      sum(r.removed_lt)::bigint AS removed_lt, sum(r.removed_eq)::bigint AS removed_eq
                 FROM connect_lake.metric_queue_threshold r
                WHERE NOT connect_lake.metric_use_days(period, from_ts, to_ts, time_zone)
                  AND r.threshold_s = (SELECT connect_lake.metric_check_threshold(threshold, comparison))
                  AND r.interval_start >= from_ts AND r.interval_start < to_ts
                GROUP BY 1, 2, 3, 4) t
      -- NULL keys (no queue, no channel) match each other; the join stays hashable.
      ON t.p = q.p AND t.queue_kind = q.queue_kind
     AND coalesce(t.queue_id, '00000000-0000-0000-0000-000000000000') = coalesce(q.queue_id, '00000000-0000-0000-0000-000000000000')
     AND coalesce(t.channel, '') = coalesce(q.channel, '')
    LEFT JOIN connect_lake.queue_dim d ON d.queue_id = q.queue_id AND q.queue_kind = 'STANDARD'
$fn$;
COMMENT ON FUNCTION connect_lake.queue_metrics(text, timestamptz, timestamptz, text, integer, text) IS
  'Queue metrics per period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL) in time_zone, queue and channel, for the 15-minute intervals starting in [from_ts, to_ts), re-aggregated exactly from metric_queue_interval and metric_queue_threshold (whole days of metric_time_zone(): from their day rollups) (threshold must be one of metric_thresholds(): others count no contact within X). Columns as the view queue_metrics_15min.';

CREATE FUNCTION connect_lake.agent_metrics(period text, from_ts timestamptz, to_ts timestamptz,
                                           time_zone text DEFAULT connect_lake.metric_time_zone())
RETURNS TABLE (period_start timestamptz, agent_id uuid, agent_username text, channel text,
               contacts_handled bigint, contacts_handled_incoming bigint, contacts_handled_outbound bigint,
               callback_contacts_handled bigint, api_contacts_handled bigint, contacts_agent_hung_up_first bigint,
               contacts_transferred_out_by_agent bigint, contacts_transferred_out_internal bigint,
               contacts_transferred_out_external bigint, contacts_put_on_hold bigint,
               avg_handle_time numeric, sum_handle_time bigint, avg_interaction_time numeric,
               sum_interaction_time bigint, avg_hold_time numeric, sum_hold_time bigint,
               avg_after_contact_work_time numeric, sum_after_contact_work_time bigint,
               avg_queue_answer_time numeric)
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT a.p, a.agent_id, d.username, a.channel,
         a.contacts_handled, a.contacts_handled_incoming, a.contacts_handled_outbound, a.contacts_handled_callback,
         a.contacts_handled_api, a.contacts_agent_hung_up_first, a.transferred_out_by_agent,
         a.transferred_out_internal, a.transferred_out_external, a.contacts_put_on_hold,
         connect_lake.metric_aht(a.handle_time_sum, a.contacts_handled), a.handle_time_sum,
         connect_lake.metric_ratio(a.interaction_time_sum, a.contacts_handled), a.interaction_time_sum,
         connect_lake.metric_ratio(a.hold_time_sum, a.contacts_put_on_hold), a.hold_time_sum,
         connect_lake.metric_ratio(a.acw_time_sum, a.contacts_handled), a.acw_time_sum,
         connect_lake.metric_asa(a.queue_answer_time_sum, a.contacts_answered)
    FROM (SELECT connect_lake.metric_period_start(connect_lake.metric_check_period(period),
                                                  r.interval_start, time_zone, from_ts) AS p,
                 r.agent_id, r.channel,
                 sum(r.contacts_handled)::bigint AS contacts_handled,
                 sum(r.contacts_handled_incoming)::bigint AS contacts_handled_incoming,
                 sum(r.contacts_handled_outbound)::bigint AS contacts_handled_outbound,
                 sum(r.contacts_handled_callback)::bigint AS contacts_handled_callback,
                 sum(r.contacts_handled_api)::bigint AS contacts_handled_api,
                 sum(r.contacts_agent_hung_up_first)::bigint AS contacts_agent_hung_up_first,
                 sum(r.contacts_answered)::bigint AS contacts_answered,
                 sum(r.transferred_out_internal)::bigint AS transferred_out_internal,
                 sum(r.transferred_out_external)::bigint AS transferred_out_external,
                 sum(r.transferred_out_by_agent)::bigint AS transferred_out_by_agent,
                 sum(r.contacts_put_on_hold)::bigint AS contacts_put_on_hold,
                 sum(r.queue_answer_time_sum)::bigint AS queue_answer_time_sum,
                 sum(r.handle_time_sum)::bigint AS handle_time_sum,
                 sum(r.interaction_time_sum)::bigint AS interaction_time_sum,
                 sum(r.hold_time_sum)::bigint AS hold_time_sum,
                 sum(r.acw_time_sum)::bigint AS acw_time_sum
            FROM connect_lake.metric_agent_interval r
           WHERE r.interval_start >= from_ts AND r.interval_start < to_ts
           GROUP BY 1, 2, 3) a
    LEFT JOIN connect_lake.agent_dim d ON d.agent_id = a.agent_id
$fn$;
COMMENT ON FUNCTION connect_lake.agent_metrics(text, timestamptz, timestamptz, text) IS
  'Contact metrics of the agents (the agent on each CTR) per period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL) in time_zone and channel, all queues together, for the 15-minute intervals starting in [from_ts, to_ts), re-aggregated exactly from metric_agent_interval. Columns as the view agent_metrics_15min.';

-- ---- The analysts' views
-- The 15-minute views call queue_metrics() / agent_metrics() for each
-- interval the rollups hold: a filter on interval_start narrows the list of
-- intervals (read from the rollup's key) before any is computed.
CREATE VIEW connect_lake.queue_metrics_15min AS
  SELECT s.interval_start AS interval_start, m.queue_id, m.queue_name, m.queue_kind, m.channel,
         m.contacts_created, m.contacts_queued, m.contacts_handled, m.contacts_handled_incoming,
         m.contacts_handled_outbound, m.callback_contacts_handled, m.api_contacts_handled,
         m.contacts_agent_hung_up_first, m.contacts_transferred_in, m.contacts_transferred_in_from_queue,
         m.contacts_abandoned, m.callbacks_requested, m.contacts_transferred_out,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_from_queue,
         m.contacts_transferred_out_internal, m.contacts_transferred_out_external, m.contacts_put_on_hold,
         m.service_level_threshold, m.service_level_comparison, m.contacts_answered_in_x,
         m.contacts_abandoned_in_x, m.contacts_removed_in_x, m.contacts_removed_at_x, m.service_level,
         m.abandonment_rate, m.avg_queue_answer_time, m.avg_abandon_time, m.max_queued_time,
         m.avg_handle_time, m.sum_handle_time, m.avg_interaction_time, m.avg_hold_time,
         m.avg_after_contact_work_time, m.avg_contact_duration
    FROM (SELECT connect_lake.metric_time_zone() AS tz, connect_lake.metric_service_level_threshold() AS threshold,
                 connect_lake.metric_service_level_comparison() AS comparison OFFSET 0) z,
         (SELECT DISTINCT r.interval_start FROM connect_lake.metric_queue_interval r) s,
         LATERAL connect_lake.queue_metrics('FIFTEEN_MIN', s.interval_start, s.interval_start + interval '15 minutes',
                                            z.tz, z.threshold, z.comparison) m;
COMMENT ON VIEW connect_lake.queue_metrics_15min IS
  'Queue metrics per 15-minute UTC interval (of the disconnect), queue and channel, as Amazon Connect''s historical metrics define them; service level at the configured default threshold (metric_config). Rows of the AGENT and NONE queue kinds are kept; Amazon''s queue reports leave them out.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_id IS 'Queue id (the QUEUE dimension of GetMetricDataV2); NULL: contacts without a queue.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_name IS 'The queue''s latest name (queue_dim); NULL for agent queues and no queue.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.queue_kind IS 'STANDARD, AGENT (agent''s personal queue, outside Amazon''s queue reports) or NONE (no queue).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_created IS 'Contacts carrying the queue, queued or not (CONTACTS_CREATED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_queued IS 'Contacts queued: with an EnqueueTimestamp (CONTACTS_QUEUED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled IS 'Contacts connected to an agent, any route (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.callback_contacts_handled IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.api_contacts_handled IS 'Handled, InitiationMethod API: chats and API-started calls (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_in IS 'Contacts transferred in by an agent: InitiationMethod TRANSFER (CONTACTS_TRANSFERRED_IN).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_in_from_queue IS 'Contacts transferred in from another queue: InitiationMethod QUEUE_TRANSFER (CONTACTS_TRANSFERRED_IN_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_abandoned IS 'Queued, never connected to an agent, neither a callback request nor a queue transfer (CONTACTS_ABANDONED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.callbacks_requested IS 'Queued contacts that left the queue for a queued callback; not abandons (LAKE_CALLBACKS_REQUESTED).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out IS 'Transferred out by agent plus from queue (CONTACTS_TRANSFERRED_OUT).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_by_agent IS 'Handled and transferred out internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_from_queue IS 'Transferred to another queue by the queue''s flow (CONTACTS_TRANSFERRED_OUT_FROM_QUEUE).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_internal IS 'Handled and continued by a TRANSFER leg (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_transferred_out_external IS 'Transferred out of Amazon Connect: TransferCompletedTimestamp (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_put_on_hold IS 'Handled contacts held once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level_threshold IS 'The threshold X of the service-level columns, seconds (metric_service_level_threshold()).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level_comparison IS 'LT (queue time < X) or LTE (<= X) (metric_service_level_comparison()).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_answered_in_x IS 'Contacts answered within X (SUM_CONTACTS_ANSWERED_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_abandoned_in_x IS 'Contacts abandoned within X (SUM_CONTACTS_ABANDONED_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_removed_in_x IS 'Contacts removed from queue (answered, abandoned, callback requested) within X (CONTACTS_REMOVED_FROM_QUEUE_IN_X).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.contacts_removed_at_x IS 'Contacts removed from queue with a queue time of exactly X seconds: where a whole-second CTR and Amazon''s milliseconds may disagree.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.service_level IS 'Service level X, percent: 100 * removed within X / queued (SERVICE_LEVEL); NULL without queued contacts.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.abandonment_rate IS 'Abandonment rate, percent: 100 * abandoned / queued (ABANDONMENT_RATE); NULL without queued contacts.';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_queue_answer_time IS 'Average queue answer time (ASA), seconds, of the contacts answered from the queue (AVG_QUEUE_ANSWER_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_abandon_time IS 'Average queue time of the abandoned contacts, seconds (AVG_ABANDON_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.max_queued_time IS 'Longest queue time of a queued contact, abandoned ones included, seconds (MAX_QUEUED_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_handle_time IS 'Average handle time (AHT): (talk + hold + ACW) / contacts handled, seconds (AVG_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.sum_handle_time IS 'Handle time of the handled contacts, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_interaction_time IS 'Average agent interaction (talk) time per handled contact, seconds (AVG_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_hold_time IS 'Average customer hold time of the contacts put on hold, seconds (AVG_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_after_contact_work_time IS 'Average after-contact work time per handled contact, seconds (AVG_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.queue_metrics_15min.avg_contact_duration IS 'Average seconds from initiation to disconnect, every contact of the row (AVG_CONTACT_DURATION).';

CREATE FUNCTION connect_lake.queue_metrics_daily(from_day date, to_day date)
RETURNS SETOF connect_lake.queue_metrics_15min
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  -- The day rollups read directly (what queue_metrics('DAY', ...) computes
  -- for whole local days, without its per-period machinery): each day row
  -- once, its "within X" row of the configured threshold from a hash of
  -- that threshold's day rows, the settings read once (initplans), the
  -- period start converted once per row.  The threshold's rows are joined on
  -- the plain key (hashable, no expression per row); a row whose queue or
  -- channel is NULL (no queue, a CTR without a channel) finds its threshold
  -- row by a lookup made for it alone.
  SELECT r.day::timestamp AT TIME ZONE (SELECT connect_lake.metric_time_zone()), r.queue_id,
         (SELECT d.queue_name FROM connect_lake.queue_dim d WHERE d.queue_id = r.queue_id AND r.queue_kind = 'STANDARD'),
         r.queue_kind, r.channel,
         r.contacts::bigint, r.contacts_queued::bigint, r.contacts_handled::bigint, r.contacts_handled_incoming::bigint,
         r.contacts_handled_outbound::bigint, r.contacts_handled_callback::bigint, r.contacts_handled_api::bigint,
         r.contacts_agent_hung_up_first::bigint, r.contacts_transferred_in::bigint,
         r.contacts_transferred_in_from_queue::bigint, r.contacts_abandoned::bigint, r.callbacks_requested::bigint,
         r.transferred_out_by_agent::bigint + r.transferred_out_from_queue::bigint, r.transferred_out_by_agent::bigint,
         r.transferred_out_from_queue::bigint, r.transferred_out_internal::bigint, r.transferred_out_external::bigint,
         r.contacts_put_on_hold::bigint,
         (SELECT connect_lake.metric_service_level_threshold()), (SELECT connect_lake.metric_service_level_comparison()),
         coalesce(t.answered_in_x, (r.n).answered_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                             THEN (r.n).answered_eq ELSE 0 END, 0),
         coalesce(t.abandoned_in_x, (r.n).abandoned_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                               THEN (r.n).abandoned_eq ELSE 0 END, 0),
         coalesce(t.removed_in_x, (r.n).removed_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                           THEN (r.n).removed_eq ELSE 0 END, 0),
         coalesce(t.removed_at_x, (r.n).removed_eq, 0),
         connect_lake.metric_service_level(
           coalesce(t.removed_in_x, (r.n).removed_lt + CASE WHEN (SELECT connect_lake.metric_service_level_comparison()) = 'LTE'
                                                             THEN (r.n).removed_eq ELSE 0 END, 0), r.contacts_queued),
         connect_lake.metric_abandonment_rate(r.contacts_abandoned, r.contacts_queued),
         connect_lake.metric_asa(r.queue_answer_time_sum, r.contacts_answered),
         connect_lake.metric_ratio(r.abandon_time_sum, r.contacts_abandoned),
         r.queued_time_max,
         connect_lake.metric_aht(r.handle_time_sum, r.contacts_handled), r.handle_time_sum,
         connect_lake.metric_ratio(r.interaction_time_sum, r.contacts_handled),
         connect_lake.metric_ratio(r.hold_time_sum, r.contacts_put_on_hold),
         connect_lake.metric_ratio(r.acw_time_sum, r.contacts_handled),
         connect_lake.metric_ratio(r.contact_duration_sum, r.contacts)
    FROM (SELECT r.*,
                 CASE WHEN r.queue_id IS NULL OR r.channel IS NULL
                      THEN (SELECT n FROM connect_lake.metric_queue_threshold_day n
                             WHERE n.threshold_s = connect_lake.metric_check_threshold(
                                                     connect_lake.metric_service_level_threshold(),
                                                     connect_lake.metric_service_level_comparison())
                               AND n.day = r.day AND n.queue_kind = r.queue_kind
                               AND n.queue_id IS NOT DISTINCT FROM r.queue_id AND n.channel IS NOT DISTINCT FROM r.channel)
                 END AS n
            FROM connect_lake.metric_queue_day r
           WHERE r.day >= from_day AND r.day <= to_day) r
    LEFT JOIN (-- (a subquery, so that the planner hashes the threshold's rows
               -- rather than probing its index once per day row)
               SELECT t.day, t.queue_kind, t.queue_id, t.channel,
                      t.answered_lt::bigint + CASE WHEN x.lte THEN t.answered_eq ELSE 0 END AS answered_in_x,
                      t.abandoned_lt::bigint + CASE WHEN x.lte THEN t.abandoned_eq ELSE 0 END AS abandoned_in_x,
                      t.removed_lt::bigint + CASE WHEN x.lte THEN t.removed_eq ELSE 0 END AS removed_in_x,
                      t.removed_eq::bigint AS removed_at_x
                 FROM (SELECT connect_lake.metric_check_threshold(connect_lake.metric_service_level_threshold(),
                                                                  connect_lake.metric_service_level_comparison()) AS threshold_s,
                              connect_lake.metric_service_level_comparison() = 'LTE' AS lte OFFSET 0) x
                 JOIN connect_lake.metric_queue_threshold_day t
                   ON t.threshold_s = x.threshold_s AND t.day >= from_day AND t.day <= to_day
               OFFSET 0) t
      ON t.day = r.day AND t.queue_kind = r.queue_kind AND t.queue_id = r.queue_id AND t.channel = r.channel
   ORDER BY r.day, r.queue_kind, r.queue_id, r.channel
$fn$;
COMMENT ON FUNCTION connect_lake.queue_metrics_daily(date, date) IS
  'Queue metrics per local day (metric_time_zone()) from from_day to to_day, both included, per queue and channel; columns as queue_metrics_15min, interval_start being the local midnight that starts the day.';

-- The time zone read once, then queue_metrics_daily() of each day from the
-- first to the last of the rollups: a filter on day applies to the list of
-- days before any is computed, so a month of two years costs a month.  (Pushed
-- into one queue_metrics() call over every day instead, such a filter made
-- the planner expect a row or two and join the counts to the threshold
-- counts by nested loop, which grew with the square of the days asked for.)
CREATE VIEW connect_lake.queue_metrics_daily AS
  SELECT s.day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL (SELECT generate_series((min(r.interval_start) AT TIME ZONE z.tz)::date,
                                         (max(r.interval_start) AT TIME ZONE z.tz)::date, interval '1 day')::date AS day
                    FROM connect_lake.metric_queue_interval r) s,
         LATERAL connect_lake.queue_metrics_daily(s.day, s.day) d;
COMMENT ON VIEW connect_lake.queue_metrics_daily IS
  'Queue metrics per local day (metric_time_zone(): metric_config.time_zone, else lake_time_zone()), queue and channel, every day: the 15-minute rows re-aggregated exactly (queue_metrics_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.queue_metrics_daily.day IS 'The local day.';

CREATE VIEW connect_lake.agent_metrics_15min AS
  SELECT s.interval_start AS interval_start, m.agent_id, m.agent_username, m.channel,
         m.contacts_handled, m.contacts_handled_incoming, m.contacts_handled_outbound,
         m.callback_contacts_handled, m.api_contacts_handled, m.contacts_agent_hung_up_first,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_internal,
         m.contacts_transferred_out_external, m.contacts_put_on_hold, m.avg_handle_time, m.sum_handle_time,
         m.avg_interaction_time, m.sum_interaction_time, m.avg_hold_time, m.sum_hold_time,
         m.avg_after_contact_work_time, m.sum_after_contact_work_time, m.avg_queue_answer_time
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         (SELECT DISTINCT r.interval_start FROM connect_lake.metric_agent_interval r) s,
         LATERAL connect_lake.agent_metrics('FIFTEEN_MIN', s.interval_start, s.interval_start + interval '15 minutes', z.tz) m;
COMMENT ON VIEW connect_lake.agent_metrics_15min IS
  'Contact metrics of each agent (the agent on the CTR) per 15-minute UTC interval (of the disconnect) and channel, all queues together. Agent activity (online, idle, occupancy) comes from agent events and is not here yet.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.interval_start IS 'Start of the 15-minute UTC interval; a contact counts in the interval of its disconnect.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.agent_id IS 'Agent id (the AGENT dimension of GetMetricDataV2).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.agent_username IS 'The agent''s latest username (agent_dim).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL.';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled IS 'Contacts the agent was connected to (CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled_incoming IS 'Handled, InitiationMethod INBOUND, TRANSFER or QUEUE_TRANSFER (CONTACTS_HANDLED_INCOMING).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_handled_outbound IS 'Handled, InitiationMethod OUTBOUND (CONTACTS_HANDLED_OUTBOUND).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.callback_contacts_handled IS 'Handled, InitiationMethod CALLBACK (CALLBACK_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.api_contacts_handled IS 'Handled, InitiationMethod API (API_CONTACTS_HANDLED).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_agent_hung_up_first IS 'Handled, DisconnectReason AGENT_DISCONNECT (CONTACTS_AGENT_HUNG_UP_FIRST).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_by_agent IS 'Transferred out by the agent, internal or external (CONTACTS_TRANSFERRED_OUT_BY_AGENT).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_internal IS 'Transferred by the agent to a quick connect (CONTACTS_TRANSFERRED_OUT_INTERNAL).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_transferred_out_external IS 'Transferred out of Amazon Connect (CONTACTS_TRANSFERRED_OUT_EXTERNAL).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.contacts_put_on_hold IS 'Handled contacts held once or more (CONTACTS_PUT_ON_HOLD).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_handle_time IS 'Average handle time (talk + hold + ACW) per handled contact, seconds (AVG_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_handle_time IS 'Handle time, seconds (SUM_HANDLE_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_interaction_time IS 'Average talk time per handled contact, seconds (AVG_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_interaction_time IS 'Talk time, seconds (SUM_INTERACTION_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_hold_time IS 'Average customer hold time of the contacts put on hold, seconds (AVG_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_hold_time IS 'Customer hold time, seconds (SUM_HOLD_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_after_contact_work_time IS 'Average ACW per handled contact, seconds (AVG_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.sum_after_contact_work_time IS 'After-contact work, seconds (SUM_AFTER_CONTACT_WORK_TIME).';
COMMENT ON COLUMN connect_lake.agent_metrics_15min.avg_queue_answer_time IS 'Average queue time of the queued contacts the agent answered, seconds (AVG_QUEUE_ANSWER_TIME).';

CREATE FUNCTION connect_lake.agent_metrics_daily(from_day date, to_day date)
RETURNS SETOF connect_lake.agent_metrics_15min
LANGUAGE sql STABLE PARALLEL SAFE
AS $fn$
  SELECT m.period_start, m.agent_id, m.agent_username, m.channel,
         m.contacts_handled, m.contacts_handled_incoming, m.contacts_handled_outbound,
         m.callback_contacts_handled, m.api_contacts_handled, m.contacts_agent_hung_up_first,
         m.contacts_transferred_out_by_agent, m.contacts_transferred_out_internal,
         m.contacts_transferred_out_external, m.contacts_put_on_hold, m.avg_handle_time, m.sum_handle_time,
         m.avg_interaction_time, m.sum_interaction_time, m.avg_hold_time, m.sum_hold_time,
         m.avg_after_contact_work_time, m.sum_after_contact_work_time, m.avg_queue_answer_time
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL connect_lake.agent_metrics('DAY', from_day::timestamp AT TIME ZONE z.tz,
                                            (to_day + 1)::timestamp AT TIME ZONE z.tz, z.tz) m
   ORDER BY 1, 3, 2, 4
$fn$;
COMMENT ON FUNCTION connect_lake.agent_metrics_daily(date, date) IS
  'Agent contact metrics per local day (metric_time_zone()) from from_day to to_day, both included, per agent and channel; columns as agent_metrics_15min, interval_start being the local midnight that starts the day.';

CREATE VIEW connect_lake.agent_metrics_daily AS
  SELECT s.day, d.*
    FROM (SELECT connect_lake.metric_time_zone() AS tz OFFSET 0) z,
         LATERAL (SELECT generate_series((min(r.interval_start) AT TIME ZONE z.tz)::date,
                                         (max(r.interval_start) AT TIME ZONE z.tz)::date, interval '1 day')::date AS day
                    FROM connect_lake.metric_agent_interval r) s,
         LATERAL connect_lake.agent_metrics_daily(s.day, s.day) d;
COMMENT ON VIEW connect_lake.agent_metrics_daily IS
  'Agent contact metrics per local day (metric_time_zone()), agent and channel, every day (agent_metrics_daily(from_day, to_day) for a range).';
COMMENT ON COLUMN connect_lake.agent_metrics_daily.day IS 'The local day.';

-- Columns of the same name mean the same: the daily views' what the
-- 15-minute views' do (per day), the _live views' and contact_metric_base's
-- what their tables' do.
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT v.dst, a.attname, v.prefix, col_description(a.attrelid, a.attnum) AS d
             FROM (VALUES ('connect_lake.queue_metrics_15min'::regclass, 'queue_metrics_daily', 'Of the local day: '),
                          ('connect_lake.agent_metrics_15min'::regclass, 'agent_metrics_daily', 'Of the local day: '),
                          ('connect_lake.contact_metric'::regclass, 'contact_metric_base', ''),
                          ('connect_lake.metric_queue_interval'::regclass, 'metric_queue_day', 'Of the local day: '),
                          ('connect_lake.metric_queue_threshold'::regclass, 'metric_queue_threshold_day', 'Of the local day: '),
                          ('connect_lake.metric_queue_interval'::regclass, 'metric_queue_interval_live', ''),
                          ('connect_lake.metric_agent_interval'::regclass, 'metric_agent_interval_live', ''),
                          ('connect_lake.metric_queue_threshold'::regclass, 'metric_queue_threshold_live', ''))
                  v(src, dst, prefix)
             JOIN pg_attribute a ON a.attrelid = v.src AND a.attnum > 0 AND NOT a.attisdropped
             JOIN pg_attribute b ON b.attrelid = ('connect_lake.' || v.dst)::regclass AND b.attname = a.attname
            ORDER BY 1, 2 LOOP
    EXECUTE format('COMMENT ON COLUMN connect_lake.%I.%I IS %L', r.dst, r.attname,
                   CASE WHEN r.dst LIKE '%daily' AND r.attname = 'interval_start'
                        THEN 'The local midnight that starts the day.' ELSE r.prefix || r.d END);
  END LOOP;
END
$comments$;

-- ---- Privileges: the loader keeps the metrics as it lands CTRs.
GRANT INSERT, UPDATE, DELETE ON connect_lake.contact_metric, connect_lake.metric_queue_interval,
  connect_lake.metric_agent_interval, connect_lake.metric_queue_threshold, connect_lake.metric_queue_day,
  connect_lake.metric_queue_threshold_day TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.metric_rollup(timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup(timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_rollup_delta_write(connect_lake.contact_metric[], connect_lake.contact_metric[], integer[], text) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply_rows(uuid[], text, timestamptz, timestamptz, timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metric_apply_new(uuid[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.metrics_refresh(timestamptz, timestamptz) TO connect_lake_loader;
