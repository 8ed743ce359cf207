-- ==== GetMetricDataV2 answered from the lake, and reconciliation (issue 12)
--
-- get_metric_data_v2(request): a GetMetricDataV2 request body in, the API's
-- response out (MetricResults[{Dimensions, MetricInterval, Collections}]),
-- computed from the metric rollups (specification connect-metrics.md,
-- sections 2, 3, 5 and 6; README "GetMetricDataV2 from the lake").
-- metric_reconcile(response): a saved response in, per dimension, interval
-- and metric Amazon's value next to the lake's, the difference and the
-- contact ids behind the lake's figure.
--
-- How a request is answered: metric_api_plan() checks the request against
-- the API's shape and turns it into one SQL statement.  Each requested
-- metric is read from the cheapest source that can answer it exactly
-- (metric_api_metric names the expression of each):
--   queue    metric_queue_interval (+ metric_queue_threshold for "within X"):
--            dimensions QUEUE and CHANNEL only, thresholds kept per interval,
--            no metric filter other than those the rollup has a column for;
--   agent    metric_agent_interval: dimensions AGENT and CHANNEL only;
--   contact  contact_metric row by row (with the CTR's routing profile and
--            hierarchy from ctr_events when grouped or filtered by them):
--            any metric filter, any threshold, any dimension, and the
--            metrics binned by enqueue or connect time;
--   activity agent_activity_interval / agent_status_interval (agent events).
-- Every source yields rows (period, dimensions, one value per metric it
-- answers); the rows of one period and dimension combination make one
-- MetricResult, with every requested metric in its Collections (no Value
-- where the figure is NULL: a zero denominator, or no source row).

-- ---- The metrics the API answers: names, units, and each source's formula
--
-- Placeholders in the expressions: {CMP} the threshold comparison (< or <=),
-- {X} the threshold in seconds, {IN:col} / {AT:col} the metric_queue_threshold
-- counts below (and, with LTE, at) the threshold / exactly at it.  In the
-- contact expressions c is a contact_metric row (plus c_enqueue and
-- c_connected, the CTR's EnqueueTimestamp and ConnectedToAgentTimestamp);
-- r the queue or agent rollup row, a an agent_activity_interval row, s an
-- agent_status_interval row.  A count or sum is 0 for a row with no
-- contact counted; an average or rate is NULL when its denominator is 0.
CREATE VIEW connect_lake.metric_api_metric
  (metric_name, same_as, implied_filter, source, unit, value_kind, threshold, anchor,
   contact_num, contact_den, rollup_num, rollup_den, agent_num, agent_den, spec) AS
  VALUES
  -- Volumes (spec 2.1)
  ('CONTACTS_CREATED', NULL, NULL::jsonb, 'contact', 'COUNT', 'count', false, 'disconnect',
   '1', NULL, 'sum(r.contacts)', NULL, 'sum(r.contacts)', NULL, '2.1'),
  ('CONTACTS_QUEUED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.queued THEN 1 END', NULL, 'sum(r.contacts_queued)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_QUEUED_BY_ENQUEUE', NULL, NULL, 'contact', 'COUNT', 'count', false, 'enqueue',
   'CASE WHEN c.queued THEN 1 END', NULL, NULL, NULL, NULL, NULL, '1.2, 2.1'),
  ('CONTACTS_HANDLED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.handled THEN 1 END', NULL, 'sum(r.contacts_handled)', NULL, 'sum(r.contacts_handled)', NULL, '2.1'),
  ('CONTACTS_HANDLED_BY_CONNECTED_TO_AGENT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'connected',
   'CASE WHEN c.handled THEN 1 END', NULL, NULL, NULL, NULL, NULL, '1.2, 2.1'),
  ('CONTACTS_ABANDONED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.abandoned THEN 1 END', NULL, 'sum(r.contacts_abandoned)', NULL, NULL, NULL, '2.1'),
  ('LAKE_CONTACTS_ABANDONED_CUSTOMER_DISCONNECT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.abandoned AND c.disconnectreason = ''CUSTOMER_DISCONNECT'' THEN 1 END', NULL,
   'sum(r.contacts_abandoned_customer_disconnect)', NULL, NULL, NULL, '2.1, 8'),
  ('SUM_CONTACTS_ANSWERED_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 END', NULL, '{IN:answered}', NULL, NULL, NULL, '2.1, 3'),
  ('SUM_CONTACTS_ABANDONED_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN c.abandoned AND c.queue_time {CMP} {X} THEN 1 END', NULL, '{IN:abandoned}', NULL, NULL, NULL, '2.1, 3'),
  ('CONTACTS_REMOVED_FROM_QUEUE_IN_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time {CMP} {X} THEN 1 END',
   NULL, '{IN:removed}', NULL, NULL, NULL, '2.1, 3'),
  ('LAKE_CONTACTS_REMOVED_AT_X', NULL, NULL, 'contact', 'COUNT', 'count', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time = {X} THEN 1 END',
   NULL, '{AT:removed}', NULL, NULL, NULL, '3'),
  ('LAKE_CALLBACKS_REQUESTED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.callback_requested THEN 1 END', NULL, 'sum(r.callbacks_requested)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_agent OR c.xfer_out_queue THEN 1 END', NULL,
   'sum(r.transferred_out_by_agent + r.transferred_out_from_queue)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_BY_AGENT', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_agent THEN 1 END', NULL, 'sum(r.transferred_out_by_agent)', NULL,
   'sum(r.transferred_out_by_agent)', NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_FROM_QUEUE', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_queue THEN 1 END', NULL, 'sum(r.transferred_out_from_queue)', NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_INTERNAL', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_internal THEN 1 END', NULL, 'sum(r.transferred_out_internal)', NULL,
   'sum(r.transferred_out_internal)', NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_OUT_EXTERNAL', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.xfer_out_external THEN 1 END', NULL, 'sum(r.transferred_out_external)', NULL,
   'sum(r.transferred_out_external)', NULL, '2.1'),
  ('CONTACTS_PUT_ON_HOLD', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   'CASE WHEN c.held THEN 1 END', NULL, 'sum(r.contacts_put_on_hold)', NULL, 'sum(r.contacts_put_on_hold)', NULL, '2.1'),
  ('SUM_CONTACTS_DISCONNECTED', NULL, NULL, 'contact', 'COUNT', 'count', false, 'disconnect',
   '1', NULL, 'sum(r.contacts)', NULL, 'sum(r.contacts)', NULL, '2.1'),
  -- Times (spec 2.2), seconds
  ('AVG_QUEUE_ANSWER_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.answered THEN c.queue_time END', 'CASE WHEN c.answered THEN 1 END',
   'sum(r.queue_answer_time_sum::float8)', 'sum(r.contacts_answered)', 'sum(r.queue_answer_time_sum::float8)', 'sum(r.contacts_answered)', '2.2'),
  ('AVG_ABANDON_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.abandoned THEN c.queue_time END', 'CASE WHEN c.abandoned THEN 1 END',
   'sum(r.abandon_time_sum::float8)', 'sum(r.contacts_abandoned)', NULL, NULL, '2.2'),
  ('MAX_QUEUED_TIME', NULL, NULL, 'contact', 'SECONDS', 'max', false, 'disconnect',
   'CASE WHEN c.queued THEN c.queue_time END', NULL, 'max(r.queued_time_max)', NULL, NULL, NULL, '2.2'),
  ('AVG_HANDLE_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.handle_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.handle_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.handle_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_HANDLE_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.handle_time', NULL, 'sum(r.handle_time_sum::float8)', NULL, 'sum(r.handle_time_sum::float8)', NULL, '2.2'),
  ('AVG_INTERACTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.interaction_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.interaction_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.interaction_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_INTERACTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.interaction_time', NULL, 'sum(r.interaction_time_sum::float8)', NULL, 'sum(r.interaction_time_sum::float8)', NULL, '2.2'),
  ('AVG_INTERACTION_AND_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.interaction_time + c.hold_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', 'sum(r.contacts_handled)',
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_INTERACTION_AND_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.interaction_time + c.hold_time', NULL, 'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', NULL,
   'sum(r.interaction_time_sum::float8 + r.hold_time_sum::float8)', NULL, '2.2'),
  ('AVG_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'CASE WHEN c.held THEN c.hold_time END', 'CASE WHEN c.held THEN 1 END',
   'sum(r.hold_time_sum::float8)', 'sum(r.contacts_put_on_hold)', 'sum(r.hold_time_sum::float8)', 'sum(r.contacts_put_on_hold)', '2.2'),
  ('AVG_HOLD_TIME_ALL_CONTACTS', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.hold_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.hold_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.hold_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_HOLD_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.hold_time', NULL, 'sum(r.hold_time_sum::float8)', NULL, 'sum(r.hold_time_sum::float8)', NULL, '2.2'),
  ('AVG_AFTER_CONTACT_WORK_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.acw_time', 'CASE WHEN c.handled THEN 1 END',
   'sum(r.acw_time_sum::float8)', 'sum(r.contacts_handled)', 'sum(r.acw_time_sum::float8)', 'sum(r.contacts_handled)', '2.2'),
  ('SUM_AFTER_CONTACT_WORK_TIME', NULL, NULL, 'contact', 'SECONDS', 'sum', false, 'disconnect',
   'c.acw_time', NULL, 'sum(r.acw_time_sum::float8)', NULL, 'sum(r.acw_time_sum::float8)', NULL, '2.2'),
  ('AVG_CONTACT_DURATION', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.contact_duration', '1', 'sum(r.contact_duration_sum::float8)', 'sum(r.contacts)', NULL, NULL, '2.2'),
  ('AVG_RESOLUTION_TIME', NULL, NULL, 'contact', 'SECONDS', 'ratio', false, 'disconnect',
   'c.resolution_time', '1', 'sum(r.resolution_time_sum::float8)', 'sum(r.contacts)', NULL, NULL, '2.2'),
  -- Rates (spec 2.3, 3), percent
  ('ABANDONMENT_RATE', NULL, NULL, 'contact', 'PERCENT', 'percent', false, 'disconnect',
   'CASE WHEN c.abandoned THEN 1 WHEN c.queued THEN 0 END', 'CASE WHEN c.queued THEN 1 END',
   'sum(r.contacts_abandoned)', 'sum(r.contacts_queued)', NULL, NULL, '2.3'),
  ('SERVICE_LEVEL', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN connect_lake.metric_removed(c.queued, c.handled, c.abandoned, c.callback_requested) AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued THEN 1 END', '{IN:removed}', 'sum(r.contacts_queued)', NULL, NULL, '3 (A)'),
  ('LAKE_SERVICE_LEVEL_ANSWERED', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued THEN 1 END', '{IN:answered}', 'sum(r.contacts_queued)', NULL, NULL, '3 (B)'),
  ('LAKE_SERVICE_LEVEL_ANSWERED_EXCL_ABANDONED', NULL, NULL, 'contact', 'PERCENT', 'percent', true, 'disconnect',
   'CASE WHEN c.answered AND c.queue_time {CMP} {X} THEN 1 WHEN c.queued THEN 0 END',
   'CASE WHEN c.queued AND NOT (c.abandoned AND c.queue_time {CMP} {X}) THEN 1 END',
   '{IN:answered}', 'sum(r.contacts_queued) - {IN:abandoned}', NULL, NULL, '3 (C)'),
  -- Agent activity (spec 5), from agent events
  ('SUM_ONLINE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.online_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_NON_PRODUCTIVE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.non_productive_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_CONTACT_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.contact_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_IDLE_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.idle_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('SUM_ERROR_STATUS_TIME_AGENT', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.error_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('AGENT_OCCUPANCY', NULL, NULL, 'activity', 'PERCENT', 'percent', false, NULL,
   NULL, NULL, 'sum(a.contact_ms::float8)', 'sum(a.contact_ms::float8 + a.idle_ms::float8)', NULL, NULL, '5'),
  ('AGENT_NON_RESPONSE', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.offers_not_connected)', NULL, NULL, NULL, '5'),
  ('AGENT_NON_RESPONSE_WITHOUT_CUSTOMER_ABANDONS', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.offers_missed)', NULL, NULL, NULL, '5'),
  ('AGENT_ANSWER_RATE', NULL, NULL, 'activity', 'PERCENT', 'percent', false, NULL,
   NULL, NULL, 'sum(a.offers_connected)', 'sum(a.offers)', NULL, NULL, '5'),
  ('AVG_AGENT_CONNECTING_TIME', NULL, NULL, 'activity', 'SECONDS', 'ratio', false, NULL,
   NULL, NULL, 'sum(a.connecting_ms_sum::float8) / 1000', 'sum(a.connecting_count)', NULL, NULL, '5'),
  ('LAKE_HEARTBEAT_GAP_TIME', NULL, NULL, 'activity', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(a.gap_ms::float8) / 1000', NULL, NULL, NULL, '5'),
  ('LAKE_HEARTBEAT_GAPS', NULL, NULL, 'activity', 'COUNT', 'count', false, NULL,
   NULL, NULL, 'sum(a.gaps)', NULL, NULL, NULL, '5'),
  ('LAKE_STATUS_TIME', NULL, NULL, 'status', 'SECONDS', 'sum', false, NULL,
   NULL, NULL, 'sum(s.ms::float8) FILTER (WHERE {MF}) / 1000', NULL, NULL, NULL, '5'),
  -- Not derivable from CTRs and agent events (spec 9): accepted, never a Value
  ('CONTACTS_HOLD_ABANDONS', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('CONTACTS_ON_HOLD_CUSTOMER_DISCONNECT', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('CONTACTS_ON_HOLD_AGENT_DISCONNECT', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('SUM_RETRY_CALLBACK_ATTEMPTS', NULL, NULL, 'none', 'COUNT', 'count', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  ('SUM_CONTACT_FLOW_TIME', NULL, NULL, 'none', 'SECONDS', 'sum', false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '9'),
  -- Other names of the same metrics: older SDKs and GetMetricData v1 (spec 2.1, 6.3)
  ('SUM_CONTACTS_ABANDONED', 'CONTACTS_ABANDONED', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('QUEUE_ANSWER_TIME', 'AVG_QUEUE_ANSWER_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('ABANDON_TIME', 'AVG_ABANDON_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('QUEUED_TIME', 'MAX_QUEUED_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('HANDLE_TIME', 'AVG_HANDLE_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('HOLD_TIME', 'AVG_HOLD_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('INTERACTION_TIME', 'AVG_INTERACTION_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('INTERACTION_AND_HOLD_TIME', 'AVG_INTERACTION_AND_HOLD_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('AFTER_CONTACT_WORK_TIME', 'AVG_AFTER_CONTACT_WORK_TIME', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('OCCUPANCY', 'AGENT_OCCUPANCY', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('CONTACTS_MISSED', 'AGENT_NON_RESPONSE', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '6.3'),
  ('CONTACTS_HANDLED_INCOMING', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["INBOUND", "QUEUE_TRANSFER", "TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_HANDLED_OUTBOUND', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["OUTBOUND"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CALLBACK_CONTACTS_HANDLED', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["CALLBACK"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('API_CONTACTS_HANDLED', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["API"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_AGENT_HUNG_UP_FIRST', 'CONTACTS_HANDLED',
   '[{"MetricFilterKey": "DISCONNECT_REASON", "MetricFilterValues": ["AGENT_DISCONNECT"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_IN', 'CONTACTS_CREATED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1'),
  ('CONTACTS_TRANSFERRED_IN_FROM_QUEUE', 'CONTACTS_CREATED',
   '[{"MetricFilterKey": "INITIATION_METHOD", "MetricFilterValues": ["QUEUE_TRANSFER"]}]',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2.1');
COMMENT ON VIEW connect_lake.metric_api_metric IS
  'The metric names get_metric_data_v2() and metric_reconcile() accept (Amazon''s GetMetricDataV2 names, their v1 and older-SDK names, the lake''s LAKE_* ones) and the formula each source computes them with. A row with same_as is another name of that metric (with implied_filter: that metric with those MetricFilters).';
COMMENT ON COLUMN connect_lake.metric_api_metric.metric_name IS 'The name as a request gives it (Metrics[].Name).';
COMMENT ON COLUMN connect_lake.metric_api_metric.same_as IS 'For another name of a metric: the metric it is (the other columns are then those of that row).';
COMMENT ON COLUMN connect_lake.metric_api_metric.implied_filter IS 'For a v1 name: the MetricFilters it stands for (GetMetricDataV2 spelling).';
COMMENT ON COLUMN connect_lake.metric_api_metric.source IS 'contact (contact record-driven: rollups or contact_metric), activity (agent_activity_interval), status (agent_status_interval), none (not derivable from the lake''s records: never a Value).';
COMMENT ON COLUMN connect_lake.metric_api_metric.unit IS 'COUNT, SECONDS or PERCENT (0-100).';
COMMENT ON COLUMN connect_lake.metric_api_metric.value_kind IS 'count or sum (0 when nothing counted), ratio (num / den), percent (100 * num / den), max: how the value follows from the expressions.';
COMMENT ON COLUMN connect_lake.metric_api_metric.threshold IS 'Whether the metric takes (and needs) a Threshold: [{Comparison LT|LTE, ThresholdValue 1..604800}].';
COMMENT ON COLUMN connect_lake.metric_api_metric.anchor IS 'The CTR timestamp whose 15-minute interval a contact counts in: disconnect (the rule), enqueue, connected (to agent).';
COMMENT ON COLUMN connect_lake.metric_api_metric.contact_num IS 'Per contact c (contact_metric): the numerator''s term (NULL: the contact is not counted).';
COMMENT ON COLUMN connect_lake.metric_api_metric.contact_den IS 'Per contact c: the denominator''s term of an average or rate.';
COMMENT ON COLUMN connect_lake.metric_api_metric.rollup_num IS 'From the queue rollups (r: metric_queue_interval; {IN:x} / {AT:x}: metric_queue_threshold) or, for activity and status metrics, from a: agent_activity_interval / s: agent_status_interval: the numerator. NULL: not from the rollups.';
COMMENT ON COLUMN connect_lake.metric_api_metric.rollup_den IS 'The denominator matching rollup_num.';
COMMENT ON COLUMN connect_lake.metric_api_metric.agent_num IS 'From metric_agent_interval (r): the numerator; NULL: not from that rollup.';
COMMENT ON COLUMN connect_lake.metric_api_metric.agent_den IS 'The denominator matching agent_num.';
COMMENT ON COLUMN connect_lake.metric_api_metric.spec IS 'Section of the specification (connect-metrics.md) that defines the metric.';

-- ---- Small rules of the API's request
--
-- Labels: the functions with an EXCEPTION block (metric_api_time(), and
-- those calling it) are PARALLEL UNSAFE, as subtransactions require;
-- metric_api_execute() runs a statement through SPI (PARALLEL RESTRICTED).
CREATE FUNCTION connect_lake.metric_api_arn_id(value text) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN s ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s::uuid END
      FROM (SELECT substring(value FROM '[^/]*$') AS s) x
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_api_arn_id(text) IS
  'The id of a resource from its id or its ARN (the last path segment, e.g. a queue, agent, routing profile or agent hierarchy group id); NULL when that is not a UUID.';

CREATE FUNCTION connect_lake.metric_api_error(field text, message text, hint text DEFAULT NULL,
                                              caller text DEFAULT 'get_metric_data_v2') RETURNS void
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $fn$
BEGIN
  RAISE EXCEPTION '%: %: %', caller, field, message
    USING ERRCODE = 'invalid_parameter_value', COLUMN = field, HINT = coalesce(hint, '');
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_error(text, text, text, text) IS
  'Internal: raises the error of a bad request (SQLSTATE 22023 invalid_parameter_value): the message names the field (its JSON path, also in the error''s column field) and the hint lists what is accepted.';

CREATE FUNCTION connect_lake.metric_api_time(value jsonb, field text, caller text DEFAULT 'get_metric_data_v2')
  RETURNS timestamptz
  LANGUAGE plpgsql STABLE PARALLEL UNSAFE
  AS $fn$
BEGIN
  IF value IS NULL OR jsonb_typeof(value) = 'null' THEN
    PERFORM connect_lake.metric_api_error(field, 'missing', 'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
  ELSIF jsonb_typeof(value) = 'number' THEN
    RETURN to_timestamp((value #>> '{}')::float8);
  ELSIF jsonb_typeof(value) = 'string' THEN
    BEGIN
      IF (value #>> '{}') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN
        RETURN to_timestamp((value #>> '{}')::float8);
      END IF;
      IF (value #>> '{}') !~ '[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN
        RAISE invalid_datetime_format;
      END IF;
      RETURN (value #>> '{}')::timestamptz;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR invalid_text_representation THEN
      PERFORM connect_lake.metric_api_error(field, format('%s is not a time', value),
        'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
    END;
  END IF;
  PERFORM connect_lake.metric_api_error(field, format('%s is not a time', value),
    'A time is epoch seconds (1717405200) or an ISO-8601 string (2024-06-03T09:00:00Z).', caller);
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_time(jsonb, text, text) IS
  'Internal: a time of a request or response (epoch seconds as a number or numeric string, or ISO-8601 as the AWS CLI prints it) as timestamptz; otherwise an error of caller naming field.';

-- The start (or, given to_ts, the end) of the period holding a 15-minute
-- interval, as an SQL expression over it: metric_period_start()'s rules
-- written into the statement (a function call per row costs more than the
-- rest of the row's work), the first period clipped to from_ts, the last
-- to to_ts.
CREATE FUNCTION connect_lake.metric_api_period_sql(period text, expr text, time_zone text, from_ts timestamptz,
                                                   to_ts timestamptz DEFAULT NULL) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN to_ts IS NULL THEN
             CASE period
               WHEN 'FIFTEEN_MIN' THEN format('greatest(%L::timestamptz, %s)', from_ts, expr)
               WHEN 'THIRTY_MIN' THEN format('greatest(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_bin(''30 minutes'', %2$s AT TIME ZONE %3$L, timestamp ''2000-01-01'')))', from_ts, expr, time_zone)
               WHEN 'HOUR' THEN format('greatest(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_trunc(''hour'', %2$s AT TIME ZONE %3$L)))', from_ts, expr, time_zone)
               WHEN 'DAY' THEN format('greatest(%1$L::timestamptz, date_trunc(''day'', %2$s AT TIME ZONE %3$L) AT TIME ZONE %3$L)', from_ts, expr, time_zone)
               WHEN 'WEEK' THEN format('greatest(%1$L::timestamptz, date_trunc(''week'', %2$s AT TIME ZONE %3$L) AT TIME ZONE %3$L)', from_ts, expr, time_zone)
               ELSE format('%L::timestamptz', from_ts) END
           ELSE
             CASE period
               WHEN 'FIFTEEN_MIN' THEN format('least(%L::timestamptz, %s + interval ''15 minutes'')', to_ts, expr)
               WHEN 'THIRTY_MIN' THEN format('least(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_bin(''30 minutes'', %2$s AT TIME ZONE %3$L, timestamp ''2000-01-01'')) + interval ''30 minutes'')', to_ts, expr, time_zone)
               WHEN 'HOUR' THEN format('least(%1$L::timestamptz, %2$s - ((%2$s AT TIME ZONE %3$L) - date_trunc(''hour'', %2$s AT TIME ZONE %3$L)) + interval ''1 hour'')', to_ts, expr, time_zone)
               WHEN 'DAY' THEN format('least(%1$L::timestamptz, (date_trunc(''day'', %2$s AT TIME ZONE %3$L) + interval ''1 day'') AT TIME ZONE %3$L)', to_ts, expr, time_zone)
               WHEN 'WEEK' THEN format('least(%1$L::timestamptz, (date_trunc(''week'', %2$s AT TIME ZONE %3$L) + interval ''7 days'') AT TIME ZONE %3$L)', to_ts, expr, time_zone)
               ELSE format('%L::timestamptz', to_ts) END
           END
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_api_period_sql(text, text, text, timestamptz, timestamptz) IS
  'Internal: the SQL expression of the start of the period (FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK from Monday in time_zone, TOTAL) holding the 15-minute interval expr, at least from_ts (metric_period_start()''s rules, written into the statement); given to_ts, of its end, at most to_ts: a MetricInterval''s StartTime and EndTime.';

-- Which column or expression a dimension is in each source (alias r: the
-- queue or agent rollup, c/e: contact_metric and its CTR, a: activity, s:
-- status); no row: the source cannot group or filter by it.
CREATE VIEW connect_lake.metric_api_dimension (source, dimension, expression, value_type) AS
  VALUES ('queue', 'QUEUE', 'r.queue_id', 'uuid'), ('queue', 'CHANNEL', 'r.channel', 'text'),
         ('agent', 'AGENT', 'r.agent_id', 'uuid'), ('agent', 'CHANNEL', 'r.channel', 'text'),
         ('contact', 'QUEUE', 'c.queue_id', 'uuid'), ('contact', 'CHANNEL', 'c.channel', 'text'),
         ('contact', 'AGENT', 'c.agent_id', 'uuid'),
         ('contact', 'ROUTING_PROFILE', 'connect_lake.metric_api_arn_id(e.agent_routingprofile_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_ONE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level1_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_TWO', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level2_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_THREE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level3_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_FOUR', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level4_arn)', 'uuid'),
         ('contact', 'AGENT_HIERARCHY_LEVEL_FIVE', 'connect_lake.metric_api_arn_id(e.agent_hierarchygroups_level5_arn)', 'uuid'),
         ('activity', 'AGENT', 'a.agent_id', 'uuid'), ('activity', 'ROUTING_PROFILE', 'a.routing_profile_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_ONE', 'a.hierarchy_level1_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_TWO', 'a.hierarchy_level2_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_THREE', 'a.hierarchy_level3_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_FOUR', 'a.hierarchy_level4_id', 'uuid'),
         ('activity', 'AGENT_HIERARCHY_LEVEL_FIVE', 'a.hierarchy_level5_id', 'uuid'),
         ('status', 'AGENT', 's.agent_id', 'uuid');
COMMENT ON VIEW connect_lake.metric_api_dimension IS
  'The groupings and filter keys of get_metric_data_v2() per source of its figures (queue and agent rollups, contact_metric, agent activity and status tables): the expression that holds the dimension. QUEUE and AGENT are ids; ROUTING_PROFILE and AGENT_HIERARCHY_LEVEL_* are the ids ending the ARNs on the CTR (Agent.RoutingProfile, Agent.HierarchyGroups) or in the agent event snapshot.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.source IS 'queue (metric_queue_interval), agent (metric_agent_interval), contact (contact_metric with its CTR), activity (agent_activity_interval), status (agent_status_interval).';
COMMENT ON COLUMN connect_lake.metric_api_dimension.dimension IS 'The grouping / filter key: QUEUE, CHANNEL, AGENT, ROUTING_PROFILE, AGENT_HIERARCHY_LEVEL_ONE ... FIVE.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.expression IS 'Its SQL expression in that source.';
COMMENT ON COLUMN connect_lake.metric_api_dimension.value_type IS 'uuid (an id; filters take the id or the ARN) or text (CHANNEL).';

-- The metric filters the rollups have a column for: with one of these a
-- metric is still read from the rollups, with any other from contact_metric.
CREATE VIEW connect_lake.metric_api_rollup_filter (metric_name, metric_filter, rollup_num, agent_num) AS
  VALUES ('CONTACTS_HANDLED', 'INITIATION_METHOD=INBOUND,QUEUE_TRANSFER,TRANSFER',
          'sum(r.contacts_handled_incoming)', 'sum(r.contacts_handled_incoming)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=OUTBOUND', 'sum(r.contacts_handled_outbound)', 'sum(r.contacts_handled_outbound)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=CALLBACK', 'sum(r.contacts_handled_callback)', 'sum(r.contacts_handled_callback)'),
         ('CONTACTS_HANDLED', 'INITIATION_METHOD=API', 'sum(r.contacts_handled_api)', 'sum(r.contacts_handled_api)'),
         ('CONTACTS_HANDLED', 'DISCONNECT_REASON=AGENT_DISCONNECT', 'sum(r.contacts_agent_hung_up_first)',
          'sum(r.contacts_agent_hung_up_first)'),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=TRANSFER', 'sum(r.contacts_transferred_in)', NULL),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=QUEUE_TRANSFER', 'sum(r.contacts_transferred_in_from_queue)', NULL),
         ('CONTACTS_CREATED', 'INITIATION_METHOD=QUEUE_TRANSFER,TRANSFER',
          'sum(r.contacts_transferred_in + r.contacts_transferred_in_from_queue)', NULL),
         ('CONTACTS_ABANDONED', 'DISCONNECT_REASON=CUSTOMER_DISCONNECT', 'sum(r.contacts_abandoned_customer_disconnect)', NULL);
COMMENT ON VIEW connect_lake.metric_api_rollup_filter IS
  'Metric and MetricFilters combinations the rollups keep a column for (metric_queue_interval: rollup_num, metric_agent_interval: agent_num): get_metric_data_v2() reads them from the rollups; other filters are applied contact by contact to contact_metric.';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.metric_name IS 'The metric (metric_api_metric).';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.metric_filter IS 'The one MetricFilter, not negated: KEY=VALUE1,VALUE2 (values sorted).';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.rollup_num IS 'The figure from metric_queue_interval r.';
COMMENT ON COLUMN connect_lake.metric_api_rollup_filter.agent_num IS 'The figure from metric_agent_interval r; NULL: that rollup has no column for it.';

-- ---- The request, checked and turned into one statement
--
-- The statement returns one row per period and dimension combination, in
-- order of period and dimension values:
-- p (period start), pe (period end), dims (the Dimensions object), vals
-- (float8[], one per requested metric, NULL: no Value) and, with
-- with_contacts, ids (jsonb array: per metric the contact ids behind it,
-- every metric then read contact by contact).
CREATE FUNCTION connect_lake.metric_api_plan(request jsonb, with_contacts boolean DEFAULT false,
                                             OUT query text, OUT period text, OUT from_ts timestamptz,
                                             OUT to_ts timestamptz, OUT time_zone text, OUT groupings text[],
                                             OUT metrics jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  dim_keys   constant text[] := ARRAY['QUEUE', 'CHANNEL', 'AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                      'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                      'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  agent_keys constant text[] := ARRAY['AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                      'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                      'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  channels   constant text[] := ARRAY['VOICE', 'CHAT', 'TASK', 'EMAIL'];
  periods    constant text[] := ARRAY['FIFTEEN_MIN', 'THIRTY_MIN', 'HOUR', 'DAY', 'WEEK', 'TOTAL'];
  top_keys   constant text[] := ARRAY['ResourceArn', 'StartTime', 'EndTime', 'Interval', 'Filters', 'Groupings',
                                      'Metrics', 'NextToken', 'MaxResults'];
  kept       integer[] := connect_lake.metric_thresholds();
  k          text;
  v          jsonb;
  f          jsonb;
  fv         text;
  n          integer;
  i          integer;
  filters    jsonb := '{}';
  used       text[] := '{}';
  agent_side boolean;
  m          jsonb;
  fld        text;
  def        record;
  mname      text;
  th         jsonb;
  cmp        text;
  x          integer;
  mfs        jsonb;
  mf_sql     text;
  mf_canon   text;
  mf_keys    text[];
  src        text;
  num        text;
  den        text;
  val        text;
  ids        text;
  rf         record;
  -- per source: its value columns (v1..vn) and id columns, the thresholds it joins, whether it needs the CTR
  src_vals   jsonb := '{}';
  src_ids    jsonb := '{}';
  q_ths      integer[] := '{}';
  need_e     boolean := false;
  outer_vals text[] := '{}';
  outer_ids  text[] := '{}';
  parts      text[] := '{}';
  sel        text;
  whr        text;
  tbl        text;
  iv         text;
  lo         text;
  hi         text;
  dimsel     text;
  dimwhere   text;
  grp        text;
  dm         record;
BEGIN
  -- The request's shape
  IF request IS NULL OR jsonb_typeof(request) <> 'object' THEN
    PERFORM connect_lake.metric_api_error('request', 'not a JSON object',
      'A GetMetricDataV2 request body: {"ResourceArn", "StartTime", "EndTime", "Interval", "Filters", "Groupings", "Metrics"}.');
  END IF;
  FOR k IN SELECT jsonb_object_keys(request) LOOP
    IF k <> ALL (top_keys) THEN
      PERFORM connect_lake.metric_api_error(k, 'unknown field', 'Accepted: ' || array_to_string(top_keys, ', ') || '.');
    END IF;
  END LOOP;
  IF jsonb_typeof(request->'ResourceArn') IS DISTINCT FROM 'string' THEN
    PERFORM connect_lake.metric_api_error('ResourceArn', CASE WHEN request ? 'ResourceArn' THEN 'not a string' ELSE 'missing' END,
      'The instance ARN, arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE_ID (the lake answers for every instance it holds).');
  END IF;
  IF coalesce(jsonb_typeof(request->'NextToken'), 'null') <> 'null' THEN
    PERFORM connect_lake.metric_api_error('NextToken', 'the lake returns every result in one response and gives no NextToken',
      'Leave NextToken out.');
  END IF;
  IF coalesce(jsonb_typeof(request->'MaxResults'), 'number') <> 'number' THEN
    PERFORM connect_lake.metric_api_error('MaxResults', 'not a number', 'A number (ignored: the lake returns every result).');
  END IF;
  from_ts := connect_lake.metric_api_time(request->'StartTime', 'StartTime');
  to_ts := connect_lake.metric_api_time(request->'EndTime', 'EndTime');
  IF from_ts >= to_ts THEN
    PERFORM connect_lake.metric_api_error('StartTime', format('StartTime %s is not before EndTime %s', from_ts, to_ts),
      'StartTime must be before EndTime.');
  END IF;

  -- Interval
  period := 'TOTAL';
  time_zone := 'UTC';
  v := request->'Interval';
  IF v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
    IF jsonb_typeof(v) <> 'object' THEN
      PERFORM connect_lake.metric_api_error('Interval', 'not an object', '{"IntervalPeriod": ..., "TimeZone": ...}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(v) LOOP
      IF k NOT IN ('IntervalPeriod', 'TimeZone') THEN
        PERFORM connect_lake.metric_api_error('Interval.' || k, 'unknown field', 'Accepted: IntervalPeriod, TimeZone.');
      END IF;
    END LOOP;
    IF v ? 'IntervalPeriod' THEN
      period := v->>'IntervalPeriod';
      IF jsonb_typeof(v->'IntervalPeriod') <> 'string' OR period <> ALL (periods) THEN
        PERFORM connect_lake.metric_api_error('Interval.IntervalPeriod', format('%s is not an interval period', v->'IntervalPeriod'),
          'Accepted: ' || array_to_string(periods, ', ') || ' (default TOTAL).');
      END IF;
    END IF;
    IF v ? 'TimeZone' THEN
      time_zone := v->>'TimeZone';
      BEGIN
        IF jsonb_typeof(v->'TimeZone') <> 'string' OR (now() AT TIME ZONE time_zone) IS NULL THEN
          RAISE invalid_parameter_value;
        END IF;
      EXCEPTION WHEN invalid_parameter_value THEN
        PERFORM connect_lake.metric_api_error('Interval.TimeZone', format('%s is not a time zone', v->'TimeZone'),
          'A time zone name of pg_timezone_names, e.g. UTC, Europe/London, Asia/Kolkata (default UTC).');
      END;
    END IF;
  END IF;

  -- Filters: {key: [values]}
  v := request->'Filters';
  IF v IS NULL OR jsonb_typeof(v) <> 'array' THEN
    PERFORM connect_lake.metric_api_error('Filters', CASE WHEN v IS NULL THEN 'missing' ELSE 'not an array' END,
      'An array of {"FilterKey": KEY, "FilterValues": [...]}, KEY one of ' || array_to_string(dim_keys, ', ') || '; may be empty.');
  END IF;
  n := 0;
  FOR f IN SELECT jsonb_array_elements(v) LOOP
    fld := format('Filters[%s]', n);
    IF jsonb_typeof(f) <> 'object' THEN
      PERFORM connect_lake.metric_api_error(fld, 'not an object', '{"FilterKey": KEY, "FilterValues": [...]}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(f) LOOP
      IF k NOT IN ('FilterKey', 'FilterValues') THEN
        PERFORM connect_lake.metric_api_error(fld || '.' || k, 'unknown field', 'Accepted: FilterKey, FilterValues.');
      END IF;
    END LOOP;
    k := f->>'FilterKey';
    IF jsonb_typeof(f->'FilterKey') IS DISTINCT FROM 'string' OR k <> ALL (dim_keys) THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterKey',
        CASE WHEN f ? 'FilterKey' THEN format('%s is not a supported filter key', f->'FilterKey') ELSE 'missing' END,
        'Accepted: ' || array_to_string(dim_keys, ', ') || '.');
    END IF;
    IF filters ? k THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterKey', format('%s given twice', k), 'Give each FilterKey once, with all its values.');
    END IF;
    IF jsonb_typeof(f->'FilterValues') IS DISTINCT FROM 'array' OR jsonb_array_length(f->'FilterValues') = 0 THEN
      PERFORM connect_lake.metric_api_error(fld || '.FilterValues', 'missing or not a non-empty array',
        CASE WHEN k = 'CHANNEL' THEN 'Channels: ' || array_to_string(channels, ', ') || '.'
             ELSE 'Ids or ARNs of the ' || lower(replace(k, '_', ' ')) || ' resources.' END);
    END IF;
    filters := filters || jsonb_build_object(k, '[]'::jsonb);
    i := 0;
    FOR fv IN SELECT jsonb_array_elements(f->'FilterValues') #>> '{}' LOOP
      IF jsonb_typeof(f->'FilterValues'->i) <> 'string'
         OR (k = 'CHANNEL' AND fv <> ALL (channels))
         OR (k <> 'CHANNEL' AND connect_lake.metric_api_arn_id(fv) IS NULL) THEN
        PERFORM connect_lake.metric_api_error(format('%s.FilterValues[%s]', fld, i), format('%s is not a %s', f->'FilterValues'->i,
                                              CASE WHEN k = 'CHANNEL' THEN 'channel' ELSE 'resource id or ARN' END),
          CASE WHEN k = 'CHANNEL' THEN 'Channels: ' || array_to_string(channels, ', ') || '.'
               ELSE 'An id (UUID) or an ARN ending in one.' END);
      END IF;
      filters := jsonb_set(filters, ARRAY[k], (filters->k) || to_jsonb(CASE WHEN k = 'CHANNEL' THEN fv
                                                                             ELSE connect_lake.metric_api_arn_id(fv)::text END));
      i := i + 1;
    END LOOP;
    used := used || k;
    n := n + 1;
  END LOOP;

  -- Groupings
  groupings := '{}';
  v := request->'Groupings';
  IF v IS NOT NULL AND jsonb_typeof(v) <> 'null' THEN
    IF jsonb_typeof(v) <> 'array' THEN
      PERFORM connect_lake.metric_api_error('Groupings', 'not an array', 'An array of ' || array_to_string(dim_keys, ', ') || '.');
    END IF;
    FOR i IN 0 .. jsonb_array_length(v) - 1 LOOP
      k := v->>i;
      IF jsonb_typeof(v->i) <> 'string' OR k <> ALL (dim_keys) THEN
        PERFORM connect_lake.metric_api_error(format('Groupings[%s]', i), format('%s is not a supported grouping', v->i),
          'Accepted: ' || array_to_string(dim_keys, ', ') || '.');
      END IF;
      IF k = ANY (groupings) THEN
        PERFORM connect_lake.metric_api_error(format('Groupings[%s]', i), format('%s given twice', k), 'Give each grouping once.');
      END IF;
      groupings := groupings || k;
    END LOOP;
  END IF;
  used := ARRAY(SELECT DISTINCT u FROM unnest(used || groupings) u ORDER BY 1);
  agent_side := used && agent_keys;

  -- Metrics
  v := request->'Metrics';
  IF v IS NULL OR jsonb_typeof(v) <> 'array' OR jsonb_array_length(v) = 0 THEN
    PERFORM connect_lake.metric_api_error('Metrics', CASE WHEN v IS NULL THEN 'missing' ELSE 'not a non-empty array' END,
      'An array of {"Name": ..., "Threshold": [...], "MetricFilters": [...]}; names: SELECT metric_name FROM connect_lake.metric_api_metric.');
  END IF;
  metrics := '[]';
  FOR i IN 1 .. jsonb_array_length(v) LOOP
    m := v->(i - 1);
    fld := format('Metrics[%s]', i - 1);
    IF jsonb_typeof(m) <> 'object' THEN
      PERFORM connect_lake.metric_api_error(fld, 'not an object', '{"Name": ..., "Threshold": [...], "MetricFilters": [...]}.');
    END IF;
    FOR k IN SELECT jsonb_object_keys(m) LOOP
      IF k NOT IN ('Name', 'Threshold', 'MetricFilters') THEN
        PERFORM connect_lake.metric_api_error(fld || '.' || k, 'unknown field', 'Accepted: Name, Threshold, MetricFilters.');
      END IF;
    END LOOP;
    mname := m->>'Name';
    SELECT a.metric_name AS requested, coalesce(b.metric_name, a.metric_name) AS metric_name, a.implied_filter,
           coalesce(b.source, a.source) AS source, coalesce(b.value_kind, a.value_kind) AS value_kind,
           coalesce(b.threshold, a.threshold) AS threshold, coalesce(b.anchor, a.anchor) AS anchor,
           coalesce(b.contact_num, a.contact_num) AS contact_num, coalesce(b.contact_den, a.contact_den) AS contact_den,
           coalesce(b.rollup_num, a.rollup_num) AS rollup_num, coalesce(b.rollup_den, a.rollup_den) AS rollup_den,
           coalesce(b.agent_num, a.agent_num) AS agent_num, coalesce(b.agent_den, a.agent_den) AS agent_den
      INTO def
      FROM connect_lake.metric_api_metric a
      LEFT JOIN connect_lake.metric_api_metric b ON b.metric_name = a.same_as
     WHERE a.metric_name = mname;
    IF jsonb_typeof(m->'Name') IS DISTINCT FROM 'string' OR def.metric_name IS NULL THEN
      PERFORM connect_lake.metric_api_error(fld || '.Name',
        CASE WHEN m ? 'Name' THEN format('%s is not a metric the lake knows', m->'Name') ELSE 'missing' END,
        'Accepted: ' || (SELECT string_agg(metric_name, ', ' ORDER BY metric_name) FROM connect_lake.metric_api_metric) || '.');
    END IF;
    metrics := metrics || jsonb_build_array(m);

    -- Threshold
    cmp := NULL; x := NULL;
    th := m->'Threshold';
    IF th IS NOT NULL AND jsonb_typeof(th) <> 'null' THEN
      IF NOT def.threshold THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold', format('%s takes no threshold', mname),
          'Thresholds are for ' || (SELECT string_agg(metric_name, ', ' ORDER BY metric_name) FROM connect_lake.metric_api_metric
                                     WHERE threshold) || '.');
      END IF;
      IF jsonb_typeof(th) <> 'array' OR jsonb_array_length(th) <> 1 OR jsonb_typeof(th->0) <> 'object' THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold', 'not an array of one threshold',
          '[{"Comparison": "LT" or "LTE", "ThresholdValue": 1 to 604800}].');
      END IF;
      FOR k IN SELECT jsonb_object_keys(th->0) LOOP
        IF k NOT IN ('Comparison', 'ThresholdValue') THEN
          PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].' || k, 'unknown field', 'Accepted: Comparison, ThresholdValue.');
        END IF;
      END LOOP;
      cmp := th->0->>'Comparison';
      IF jsonb_typeof(th->0->'Comparison') IS DISTINCT FROM 'string' OR cmp NOT IN ('LT', 'LTE') THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].Comparison',
          CASE WHEN th->0 ? 'Comparison' THEN format('%s is not a comparison', th->0->'Comparison') ELSE 'missing' END,
          'Accepted: LT (less than), LTE (less than or equal).');
      END IF;
      IF jsonb_typeof(th->0->'ThresholdValue') IS DISTINCT FROM 'number'
         OR (th->0->>'ThresholdValue')::numeric <> trunc((th->0->>'ThresholdValue')::numeric)
         OR (th->0->>'ThresholdValue')::numeric NOT BETWEEN 1 AND 604800 THEN
        PERFORM connect_lake.metric_api_error(fld || '.Threshold[0].ThresholdValue',
          CASE WHEN th->0 ? 'ThresholdValue' THEN format('%s is outside 1..604800', th->0->'ThresholdValue') ELSE 'missing' END,
          'A whole number of seconds from 1 to 604800 (7 days).');
      END IF;
      x := (th->0->>'ThresholdValue')::numeric::integer;
    ELSIF def.threshold THEN
      PERFORM connect_lake.metric_api_error(fld || '.Threshold', format('missing: %s needs a threshold', mname),
        '[{"Comparison": "LT" or "LTE", "ThresholdValue": 1 to 604800}].');
    END IF;

    -- MetricFilters (a v1 name's implied ones first)
    mfs := coalesce(def.implied_filter, '[]');
    IF m ? 'MetricFilters' AND jsonb_typeof(m->'MetricFilters') <> 'null' THEN
      IF jsonb_typeof(m->'MetricFilters') <> 'array' THEN
        PERFORM connect_lake.metric_api_error(fld || '.MetricFilters', 'not an array',
          '[{"MetricFilterKey": ..., "MetricFilterValues": [...], "Negate": false}].');
      END IF;
      mfs := mfs || (m->'MetricFilters');
    END IF;
    mf_keys := CASE def.source WHEN 'contact' THEN ARRAY['INITIATION_METHOD', 'DISCONNECT_REASON']
                               WHEN 'status' THEN ARRAY['AGENT_STATUS'] ELSE '{}' END;
    mf_sql := 'true';
    mf_canon := NULL;
    FOR n IN 0 .. jsonb_array_length(mfs) - 1 LOOP
      f := mfs->n;
      k := format('%s.MetricFilters[%s]', fld, n - coalesce(jsonb_array_length(def.implied_filter), 0));
      IF jsonb_typeof(f) <> 'object' THEN
        PERFORM connect_lake.metric_api_error(k, 'not an object', '{"MetricFilterKey": ..., "MetricFilterValues": [...], "Negate": false}.');
      END IF;
      IF EXISTS (SELECT 1 FROM jsonb_object_keys(f) o WHERE o NOT IN ('MetricFilterKey', 'MetricFilterValues', 'Negate')) THEN
        PERFORM connect_lake.metric_api_error(k, 'unknown field', 'Accepted: MetricFilterKey, MetricFilterValues, Negate.');
      END IF;
      IF jsonb_typeof(f->'MetricFilterKey') IS DISTINCT FROM 'string' OR (f->>'MetricFilterKey') <> ALL (mf_keys) THEN
        PERFORM connect_lake.metric_api_error(k || '.MetricFilterKey',
          format('%s is not a metric filter of %s', coalesce((f->'MetricFilterKey')::text, 'missing'), mname),
          CASE WHEN cardinality(mf_keys) = 0 THEN mname || ' takes no MetricFilters.'
               ELSE 'Accepted for ' || mname || ': ' || array_to_string(mf_keys, ', ') || '.' END);
      END IF;
      IF jsonb_typeof(f->'MetricFilterValues') IS DISTINCT FROM 'array' OR jsonb_array_length(f->'MetricFilterValues') = 0
         OR EXISTS (SELECT 1 FROM jsonb_array_elements(f->'MetricFilterValues') e WHERE jsonb_typeof(e) <> 'string') THEN
        PERFORM connect_lake.metric_api_error(k || '.MetricFilterValues', 'missing or not a non-empty array of strings',
          'Values as in the CTR, e.g. INBOUND, TRANSFER (INITIATION_METHOD), AGENT_DISCONNECT (DISCONNECT_REASON).');
      END IF;
      IF coalesce(jsonb_typeof(f->'Negate'), 'boolean') <> 'boolean' THEN
        PERFORM connect_lake.metric_api_error(k || '.Negate', 'not a boolean', 'true or false (default false).');
      END IF;
      mf_sql := mf_sql || format(' AND %scoalesce(%s = ANY (%L::text[]), false)',
                                 CASE WHEN (f->>'Negate')::boolean THEN 'NOT ' ELSE '' END,
                                 CASE f->>'MetricFilterKey' WHEN 'INITIATION_METHOD' THEN 'c.initiationmethod'
                                      WHEN 'DISCONNECT_REASON' THEN 'c.disconnectreason' ELSE 's.status_name' END,
                                 ARRAY(SELECT jsonb_array_elements_text(f->'MetricFilterValues')));
      mf_canon := CASE WHEN n = 0 AND NOT coalesce((f->>'Negate')::boolean, false)
                       THEN (f->>'MetricFilterKey') || '=' ||
                            (SELECT string_agg(DISTINCT e, ',' ORDER BY e) FROM jsonb_array_elements_text(f->'MetricFilterValues') e)
                  END;
    END LOOP;

    -- Where the metric comes from
    IF def.source IN ('activity', 'status') THEN
      FOREACH k IN ARRAY used LOOP
        IF NOT EXISTS (SELECT 1 FROM connect_lake.metric_api_dimension d WHERE d.source = def.source AND d.dimension = k) THEN
          PERFORM connect_lake.metric_api_error(CASE WHEN k = ANY (groupings) THEN 'Groupings' ELSE 'Filters' END,
            format('%s, an agent activity metric, cannot be grouped or filtered by %s', mname, k),
            'Accepted for ' || mname || ': ' || (SELECT string_agg(d.dimension, ', ') FROM connect_lake.metric_api_dimension d
                                                 WHERE d.source = def.source) || '.');
        END IF;
      END LOOP;
      src := def.source;
    ELSIF def.source = 'none' THEN
      src := NULL;
    ELSIF with_contacts OR def.anchor <> 'disconnect' THEN
      src := 'contact';
    ELSE
      SELECT r.rollup_num, r.agent_num INTO rf FROM connect_lake.metric_api_rollup_filter r
       WHERE r.metric_name = def.metric_name AND r.metric_filter = mf_canon AND jsonb_array_length(mfs) = 1;
      src := 'contact';
      IF used <@ ARRAY['QUEUE', 'CHANNEL'] AND (x IS NULL OR x = ANY (kept))
         AND (CASE WHEN jsonb_array_length(mfs) = 0 THEN def.rollup_num ELSE rf.rollup_num END) IS NOT NULL THEN
        src := 'queue';
        num := CASE WHEN jsonb_array_length(mfs) = 0 THEN def.rollup_num ELSE rf.rollup_num END;
        den := def.rollup_den;
      ELSIF used <@ ARRAY['AGENT', 'CHANNEL'] AND x IS NULL
            AND (CASE WHEN jsonb_array_length(mfs) = 0 THEN def.agent_num ELSE rf.agent_num END) IS NOT NULL THEN
        src := 'agent';
        num := CASE WHEN jsonb_array_length(mfs) = 0 THEN def.agent_num ELSE rf.agent_num END;
        den := def.agent_den;
      END IF;
    END IF;

    IF src = 'contact' THEN
      num := format('%s(%s) FILTER (WHERE %s)', CASE WHEN def.value_kind = 'max' THEN 'max' ELSE 'sum' END,
                    def.contact_num, mf_sql);
      den := CASE WHEN def.contact_den IS NOT NULL THEN format('sum(%s) FILTER (WHERE %s)', def.contact_den, mf_sql) END;
      ids := format('array_agg(c.contactid ORDER BY c.contactid) FILTER (WHERE %s AND (%s IS NOT NULL%s))',
                    mf_sql, def.contact_num, CASE WHEN def.contact_den IS NOT NULL
                                                  THEN ' OR ' || def.contact_den || ' IS NOT NULL' ELSE '' END);
      src := src || ':' || def.anchor;
      need_e := need_e OR def.anchor <> 'disconnect';
    ELSIF src IN ('activity', 'status') THEN
      num := def.rollup_num;
      den := def.rollup_den;
      num := replace(num, '{MF}', CASE WHEN mf_sql = 'true' THEN 's.status_type IS DISTINCT FROM ''OFFLINE''' ELSE mf_sql END);
      ids := NULL;
    ELSIF src = 'queue' AND x IS NOT NULL THEN
      q_ths := ARRAY(SELECT DISTINCT u FROM unnest(q_ths || x) u ORDER BY 1);
      ids := NULL;
    ELSE
      ids := NULL;
    END IF;
    IF src IS NOT NULL THEN
      -- thresholds: {IN:col} = below (LT) or at most (LTE) X, {AT:col} = exactly X
      num := regexp_replace(num, '\{IN:(\w+)\}',
                            CASE WHEN cmp = 'LTE' THEN format('coalesce(sum((t.\1_lt_%s + t.\1_eq_%s)::float8), 0)', x, x)
                                 ELSE format('coalesce(sum(t.\1_lt_%s::float8), 0)', x) END, 'g');
      num := regexp_replace(num, '\{AT:(\w+)\}', format('coalesce(sum(t.\1_eq_%s::float8), 0)', x), 'g');
      den := regexp_replace(den, '\{IN:(\w+)\}',
                            CASE WHEN cmp = 'LTE' THEN format('coalesce(sum((t.\1_lt_%s + t.\1_eq_%s)::float8), 0)', x, x)
                                 ELSE format('coalesce(sum(t.\1_lt_%s::float8), 0)', x) END, 'g');
      num := replace(replace(num, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      den := replace(replace(den, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      ids := replace(replace(ids, '{CMP}', CASE WHEN cmp = 'LTE' THEN '<=' ELSE '<' END), '{X}', coalesce(x::text, 'NULL'));
      val := CASE def.value_kind
               WHEN 'ratio' THEN format('(%s)::float8 / nullif((%s)::float8, 0)', num, den)
               WHEN 'percent' THEN format('100 * (%s)::float8 / nullif((%s)::float8, 0)', num, den)
               ELSE format('(%s)::float8', num) END;
      src_vals := jsonb_set(src_vals, ARRAY[src], coalesce(src_vals->src, '{}') || jsonb_build_object(i::text, val));
      IF ids IS NOT NULL THEN
        src_ids := jsonb_set(src_ids, ARRAY[src], coalesce(src_ids->src, '{}') || jsonb_build_object(i::text, ids));
      END IF;
    END IF;
    outer_vals := outer_vals || CASE WHEN src IS NULL THEN 'NULL::float8'
                                     WHEN def.value_kind IN ('count', 'sum') THEN format('coalesce(max(u.v%s), 0)', i)
                                     ELSE format('max(u.v%s)', i) END;
    outer_ids := outer_ids || format('coalesce(to_jsonb(max(u.i%s)), ''[]'')', i);
  END LOOP;

  -- One SELECT per source
  n := jsonb_array_length(metrics);
  FOR src IN SELECT jsonb_object_keys(src_vals) ORDER BY 1 LOOP
    tbl := CASE split_part(src, ':', 1)
             WHEN 'queue' THEN 'connect_lake.metric_queue_interval r'
             WHEN 'agent' THEN 'connect_lake.metric_agent_interval r'
             WHEN 'contact' THEN 'connect_lake.contact_metric c'
             WHEN 'activity' THEN 'connect_lake.agent_activity_interval a'
             WHEN 'status' THEN 'connect_lake.agent_status_interval s' END;
    iv := CASE split_part(src, ':', 1) WHEN 'contact' THEN 'c.interval_start' WHEN 'activity' THEN 'a.interval_start'
                                       WHEN 'status' THEN 's.interval_start' ELSE 'r.interval_start' END;
    lo := quote_literal(from_ts);
    hi := quote_literal(to_ts);
    whr := '';
    IF src = 'contact:enqueue' OR src = 'contact:connected' THEN
      -- binned by another timestamp: the contacts that disconnect up to 7 days later
      hi := quote_literal(to_ts + interval '7 days 15 minutes');
      whr := format(' AND connect_lake.metric_interval(e.%s) >= %L AND connect_lake.metric_interval(e.%s) < %L',
                    CASE src WHEN 'contact:enqueue' THEN 'queue_enqueuetimestamp' ELSE 'agent_connectedtoagentts' END, from_ts,
                    CASE src WHEN 'contact:enqueue' THEN 'queue_enqueuetimestamp' ELSE 'agent_connectedtoagentts' END, to_ts);
      iv := CASE src WHEN 'contact:enqueue' THEN 'connect_lake.metric_interval(e.queue_enqueuetimestamp)'
                     ELSE 'connect_lake.metric_interval(e.agent_connectedtoagentts)' END;
    END IF;
    whr := format('%s >= %s AND %s < %s', CASE WHEN src LIKE 'contact%' THEN 'c.interval_start' ELSE iv END, lo,
                  CASE WHEN src LIKE 'contact%' THEN 'c.interval_start' ELSE iv END, hi) || whr;
    IF src = 'queue' OR (src LIKE 'contact%' AND NOT agent_side) THEN
      whr := whr || format(' AND %s.queue_kind = ''STANDARD''', CASE WHEN src = 'queue' THEN 'r' ELSE 'c' END);
    END IF;
    dimsel := '';
    dimwhere := '';
    FOREACH k IN ARRAY used LOOP
      SELECT * INTO dm FROM connect_lake.metric_api_dimension x
       WHERE x.source = split_part(src, ':', 1) AND x.dimension = k;
      IF dm.expression LIKE '%e.%' THEN
        need_e := true;
      END IF;
      IF filters ? k THEN
        dimwhere := dimwhere || format(' AND %s = ANY (%L::%s[])', dm.expression,
                                       ARRAY(SELECT jsonb_array_elements_text(filters->k)), dm.value_type);
      END IF;
    END LOOP;
    i := 0;
    FOREACH k IN ARRAY groupings LOOP
      i := i + 1;
      SELECT * INTO dm FROM connect_lake.metric_api_dimension x
       WHERE x.source = split_part(src, ':', 1) AND x.dimension = k;
      dimsel := dimsel || format(', (%s)::text AS d%s', dm.expression, i);
      dimwhere := dimwhere || format(' AND %s IS NOT NULL', dm.expression);
    END LOOP;
    sel := format('SELECT %s AS p%s', connect_lake.metric_api_period_sql(period, iv, time_zone, from_ts), dimsel);
    FOR i IN 1 .. n LOOP
      sel := sel || format(', %s AS v%s', coalesce(src_vals->src->>i::text, 'NULL::float8'), i);
      IF with_contacts THEN
        sel := sel || format(', %s AS i%s', coalesce(src_ids->src->>i::text, 'NULL::uuid[]'), i);
      END IF;
    END LOOP;
    sel := sel || ' FROM ' || tbl;
    IF src LIKE 'contact%' AND (need_e OR src <> 'contact:disconnect') THEN
      sel := sel || ' CROSS JOIN LATERAL (SELECT e.queue_enqueuetimestamp, e.agent_connectedtoagentts,'
                 || ' e.agent_routingprofile_arn, e.agent_hierarchygroups_level1_arn, e.agent_hierarchygroups_level2_arn,'
                 || ' e.agent_hierarchygroups_level3_arn, e.agent_hierarchygroups_level4_arn, e.agent_hierarchygroups_level5_arn'
                 || ' FROM connect_lake.ctr_events e WHERE e.contactid = c.contactid'
                 || ' AND e.initiationtimestamp = c.initiationtimestamp LIMIT 1) e';
    END IF;
    IF src = 'queue' AND cardinality(q_ths) > 0 THEN
      sel := sel || ' LEFT JOIN (SELECT t.interval_start, t.queue_id, coalesce(t.channel, '''') AS channel';
      FOREACH x IN ARRAY q_ths LOOP
        sel := sel || format(', sum(t.answered_lt) FILTER (WHERE t.threshold_s = %1$s) AS answered_lt_%1$s'
                             ', sum(t.answered_eq) FILTER (WHERE t.threshold_s = %1$s) AS answered_eq_%1$s'
                             ', sum(t.abandoned_lt) FILTER (WHERE t.threshold_s = %1$s) AS abandoned_lt_%1$s'
                             ', sum(t.abandoned_eq) FILTER (WHERE t.threshold_s = %1$s) AS abandoned_eq_%1$s'
                             ', sum(t.removed_lt) FILTER (WHERE t.threshold_s = %1$s) AS removed_lt_%1$s'
                             ', sum(t.removed_eq) FILTER (WHERE t.threshold_s = %1$s) AS removed_eq_%1$s', x);
      END LOOP;
      sel := sel || format(' FROM connect_lake.metric_queue_threshold t WHERE t.threshold_s = ANY (%L::integer[])'
                           ' AND t.interval_start >= %s AND t.interval_start < %s AND t.queue_kind = ''STANDARD''%s'
                           ' GROUP BY 1, 2, 3) t ON t.interval_start = r.interval_start AND t.queue_id = r.queue_id'
                           ' AND t.channel = coalesce(r.channel, '''')',
                           q_ths, lo, hi, replace(replace(dimwhere, 'r.', 't.'), ' AND t.queue_id IS NOT NULL', ''));
    END IF;
    grp := '1';
    FOR i IN 1 .. cardinality(groupings) LOOP
      grp := grp || ', ' || (i + 1);
    END LOOP;
    parts := parts || (sel || ' WHERE ' || whr || dimwhere || ' GROUP BY ' || grp);
  END LOOP;

  IF cardinality(parts) = 0 THEN
    parts := ARRAY['SELECT NULL::timestamptz AS p' ||
                   (SELECT coalesce(string_agg(format(', NULL::text AS d%s', g), ''), '') FROM generate_series(1, cardinality(groupings)) g) ||
                   (SELECT string_agg(format(', NULL::float8 AS v%1$s', g) || CASE WHEN with_contacts THEN format(', NULL::uuid[] AS i%s', g) ELSE '' END, '')
                      FROM generate_series(1, n) g) || ' WHERE false'];
  END IF;
  -- One source: its rows are the results; several: merged per period and dimensions.
  IF cardinality(parts) = 1 THEN
    outer_vals := ARRAY(SELECT regexp_replace(o, 'max\((u\.[vi][0-9]+)\)', '\1') FROM unnest(outer_vals) o);
    outer_ids := ARRAY(SELECT regexp_replace(o, 'max\((u\.[vi][0-9]+)\)', '\1') FROM unnest(outer_ids) o);
  END IF;
  query := format('SELECT u.p, %s AS pe, %s AS dims, ARRAY[%s]::float8[] AS vals%s'
                  ' FROM (%s) u %s ORDER BY u.p%s',
                  connect_lake.metric_api_period_sql(period, 'u.p', time_zone, from_ts, to_ts),
                  CASE WHEN cardinality(groupings) = 0 THEN '''{}''::jsonb'
                       ELSE 'jsonb_build_object(' || (SELECT string_agg(format('%L, u.d%s', g, o), ', ' ORDER BY o)
                                                        FROM unnest(groupings) WITH ORDINALITY x(g, o)) || ')' END,
                  array_to_string(outer_vals, ', '),
                  CASE WHEN with_contacts THEN ', jsonb_build_array(' || array_to_string(outer_ids, ', ') || ') AS ids' ELSE '' END,
                  array_to_string(parts, ' UNION ALL '),
                  CASE WHEN cardinality(parts) > 1 THEN 'GROUP BY u.p' || (SELECT coalesce(string_agg(format(', u.d%s', g), ''), '')
                                                                         FROM generate_series(1, cardinality(groupings)) g) ELSE '' END,
                  (SELECT coalesce(string_agg(format(', u.d%s', g), ''), '') FROM generate_series(1, cardinality(groupings)) g));
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_api_plan(jsonb, boolean) IS
  'Internal: checks a GetMetricDataV2 request (errors name the field and list what is accepted) and returns the statement that computes it (one row per period and dimension combination: p, pe, dims, vals[, ids]), with the request''s period, range, time zone, groupings and Metric objects. with_contacts: every contact metric read contact by contact, with the contact ids behind each figure.';

-- ---- The API
CREATE FUNCTION connect_lake.metric_api_execute(query text, interval_name text, metrics jsonb)
  RETURNS jsonb
  LANGUAGE c STABLE PARALLEL RESTRICTED
  AS 'MODULE_PATHNAME', 'metric_api_execute';
COMMENT ON FUNCTION connect_lake.metric_api_execute(text, text, jsonb) IS
  'Internal: runs metric_api_plan()''s statement (read-only, as the caller; rows p, pe, dims, vals) and writes the GetMetricDataV2 response: {"MetricResults": [{"Dimensions": dims, "MetricInterval": {"Interval": interval_name, "StartTime": p, "EndTime": pe} (epoch seconds), "Collections": [{"Metric": metrics[j], "Value": vals[j]}]}]} in the rows'' order, no Value where vals[j] is NULL. In C: some 100,000 Collections in milliseconds.';

CREATE FUNCTION connect_lake.get_metric_data_v2(request jsonb) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL UNSAFE
AS $fn$
  SELECT connect_lake.metric_api_execute(p.query, p.period, p.metrics) FROM connect_lake.metric_api_plan(request) p
$fn$;
COMMENT ON FUNCTION connect_lake.get_metric_data_v2(jsonb) IS
  'Answers an Amazon Connect GetMetricDataV2 request body from the lake with the API''s response: {"MetricResults": [{"Dimensions", "MetricInterval": {"Interval", "StartTime", "EndTime"} (epoch seconds), "Collections": [{"Metric", "Value"}]}]}, no Value where Amazon''s would be null, no result without data. Groupings and Filters QUEUE, CHANNEL, AGENT, ROUTING_PROFILE, AGENT_HIERARCHY_LEVEL_ONE..FIVE (ids; filters also take ARNs); IntervalPeriod FIFTEEN_MIN, THIRTY_MIN, HOUR, DAY, WEEK, TOTAL in Interval.TimeZone; Threshold LT/LTE 1..604800; MetricFilters INITIATION_METHOD, DISCONNECT_REASON (Negate). Metric names: metric_api_metric. Any range (Amazon''s limits do not apply); every result in one response. A bad request is an error naming the field.';

-- ---- Reconciliation: a saved response against the lake (spec 6.4)
CREATE FUNCTION connect_lake.metric_canonical_key(metric jsonb) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce(a.same_as, a.metric_name, metric->>'Name')
           || coalesce((SELECT string_agg('|' || (t->>'Comparison') || '|' || ((t->>'ThresholdValue')::float8)::text, '')
                          FROM jsonb_array_elements(CASE WHEN jsonb_typeof(metric->'Threshold') = 'array'
                                                         THEN metric->'Threshold' ELSE '[]' END) t), '')
           || coalesce((SELECT string_agg('|' || (f->>'MetricFilterKey') || '='
                                          || (SELECT string_agg(DISTINCT v, ',' ORDER BY v)
                                                FROM jsonb_array_elements_text(f->'MetricFilterValues') v)
                                          || CASE WHEN (f->>'Negate')::boolean THEN '|NOT' ELSE '' END, '' ORDER BY o)
                          FROM jsonb_array_elements(coalesce(a.implied_filter, '[]')
                                                    || CASE WHEN jsonb_typeof(metric->'MetricFilters') = 'array'
                                                            THEN metric->'MetricFilters' ELSE '[]' END)
                               WITH ORDINALITY x(f, o)), '')
      FROM (SELECT 1) one
      LEFT JOIN connect_lake.metric_api_metric a ON a.metric_name = metric->>'Name'
  $fn$;
COMMENT ON FUNCTION connect_lake.metric_canonical_key(jsonb) IS
  'The canonical key of a Metric object (spec section 2): NAME (another name resolved to the metric it is), |CMP|X per threshold, |KEY=V1,V2 per metric filter (values sorted; a v1 name''s implied filter first), |NOT when negated. E.g. CONTACTS_HANDLED|INITIATION_METHOD=INBOUND,QUEUE_TRANSFER,TRANSFER.';

CREATE FUNCTION connect_lake.metric_reconcile(response jsonb, time_zone text DEFAULT 'UTC')
RETURNS TABLE (dimensions jsonb, interval_start timestamptz, interval_end timestamptz, metric text, threshold jsonb,
               amazon_value double precision, lake_value double precision, difference double precision,
               within_tolerance boolean, contact_ids uuid[])
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  dim_keys constant text[] := ARRAY['QUEUE', 'CHANNEL', 'AGENT', 'ROUTING_PROFILE', 'AGENT_HIERARCHY_LEVEL_ONE',
                                    'AGENT_HIERARCHY_LEVEL_TWO', 'AGENT_HIERARCHY_LEVEL_THREE',
                                    'AGENT_HIERARCHY_LEVEL_FOUR', 'AGENT_HIERARCHY_LEVEL_FIVE'];
  r        jsonb;
  i        integer;
  periods  text[];
  lo       timestamptz;
  hi       timestamptz;
  grp      text[];
  filters  jsonb;
  mets     jsonb;
  amazon   jsonb;
  pl       record;
BEGIN
  IF response IS NULL OR jsonb_typeof(response) <> 'object' OR jsonb_typeof(response->'MetricResults') IS DISTINCT FROM 'array' THEN
    PERFORM connect_lake.metric_api_error('MetricResults', 'missing or not an array',
      'A saved GetMetricDataV2 response: {"MetricResults": [{"Dimensions", "MetricInterval", "Collections"}]}.', 'metric_reconcile');
  END IF;
  IF jsonb_array_length(response->'MetricResults') = 0 THEN
    RETURN;
  END IF;
  FOR i IN 0 .. jsonb_array_length(response->'MetricResults') - 1 LOOP
    r := response->'MetricResults'->i;
    IF jsonb_typeof(r) <> 'object' OR jsonb_typeof(r->'MetricInterval') IS DISTINCT FROM 'object'
       OR jsonb_typeof(r->'Collections') IS DISTINCT FROM 'array' THEN
      PERFORM connect_lake.metric_api_error(format('MetricResults[%s]', i), 'not a result with MetricInterval and Collections',
        '{"Dimensions": {...}, "MetricInterval": {"Interval", "StartTime", "EndTime"}, "Collections": [{"Metric", "Value"}]}.', 'metric_reconcile');
    END IF;
  END LOOP;
  -- Amazon's side: one row per result and collection (times as epoch or ISO-8601; ids from ARNs)
  SELECT jsonb_agg(jsonb_build_object(
           'dims', (SELECT coalesce(jsonb_object_agg(d.key, CASE WHEN d.key = 'CHANNEL' THEN d.value #>> '{}'
                                                                ELSE connect_lake.metric_api_arn_id(d.value #>> '{}')::text END), '{}')
                      FROM jsonb_each(CASE WHEN jsonb_typeof(x.r->'Dimensions') = 'object' THEN x.r->'Dimensions' ELSE '{}' END) d
                     WHERE d.key = ANY (dim_keys)),
           'p', connect_lake.metric_api_time(x.r->'MetricInterval'->'StartTime', format('MetricResults[%s].MetricInterval.StartTime', x.i - 1), 'metric_reconcile'),
           'pe', connect_lake.metric_api_time(x.r->'MetricInterval'->'EndTime', format('MetricResults[%s].MetricInterval.EndTime', x.i - 1), 'metric_reconcile'),
           'period', coalesce(x.r->'MetricInterval'->>'Interval', 'TOTAL'),
           'metric', jsonb_strip_nulls(jsonb_build_object('Name', c.c->'Metric'->'Name', 'Threshold', c.c->'Metric'->'Threshold',
                                                          'MetricFilters', c.c->'Metric'->'MetricFilters')),
           'value', c.c->'Value') ORDER BY x.i, c.o)
    INTO amazon
    FROM jsonb_array_elements(response->'MetricResults') WITH ORDINALITY x(r, i)
   CROSS JOIN jsonb_array_elements(x.r->'Collections') WITH ORDINALITY c(c, o);
  IF amazon IS NULL THEN
    RETURN;
  END IF;

  -- The request it answered, as far as the response tells: its range, period, groupings, metrics, and
  -- filters on the dimension values it shows.
  SELECT array_agg(DISTINCT a.period), min(a.p), max(a.pe) INTO periods, lo, hi
    FROM jsonb_to_recordset(amazon) a(period text, p timestamptz, pe timestamptz);
  IF cardinality(periods) <> 1 THEN
    PERFORM connect_lake.metric_api_error('MetricResults[].MetricInterval.Interval',
      format('one interval period expected, found %s', array_to_string(periods, ', ')), 'Reconcile one response (one request) at a time.',
      'metric_reconcile');
  END IF;
  SELECT coalesce(array_agg(k ORDER BY o), '{}') INTO grp
    FROM unnest(dim_keys) WITH ORDINALITY u(k, o)
   WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(amazon) a WHERE a->'dims' ? u.k);
  SELECT coalesce(jsonb_agg(jsonb_build_object('FilterKey', k, 'FilterValues',
                                               (SELECT jsonb_agg(DISTINCT a->'dims'->k) FROM jsonb_array_elements(amazon) a
                                                 WHERE a->'dims'->k IS NOT NULL))), '[]')
    INTO filters FROM unnest(grp) k;
  SELECT jsonb_agg(x.m ORDER BY x.o) INTO mets
    FROM (SELECT a->'metric' AS m, min(o) AS o FROM jsonb_array_elements(amazon) WITH ORDINALITY y(a, o) GROUP BY 1) x;
  pl := connect_lake.metric_api_plan(jsonb_build_object(
          'ResourceArn', 'metric_reconcile', 'StartTime', extract(epoch FROM lo), 'EndTime', extract(epoch FROM hi),
          'Interval', jsonb_build_object('IntervalPeriod', periods[1], 'TimeZone', time_zone),
          'Filters', filters, 'Groupings', to_jsonb(grp), 'Metrics', mets), true);

  RETURN QUERY EXECUTE format($q$
    WITH lake AS (
      SELECT x.dims, x.p, x.pe, m.metric, x.vals[m.o] AS value,
             ARRAY(SELECT jsonb_array_elements_text(x.ids->(m.o::int - 1)))::uuid[] AS ids
        FROM (%s) x
       CROSS JOIN jsonb_array_elements($1) WITH ORDINALITY m(metric, o)
    ), def AS (
      SELECT m.metric, coalesce(b.unit, a.unit) AS unit, coalesce(b.value_kind, a.value_kind) AS value_kind,
             coalesce(b.source, a.source) AS source
        FROM jsonb_array_elements($1) m(metric)
        LEFT JOIN connect_lake.metric_api_metric a ON a.metric_name = m.metric->>'Name'
        LEFT JOIN connect_lake.metric_api_metric b ON b.metric_name = a.same_as
    ), amazon AS (
      SELECT a.dims, a.p, a.pe, a.metric, a.value
        FROM jsonb_to_recordset($2) a(dims jsonb, p timestamptz, pe timestamptz, metric jsonb, value float8)
    ), joined AS (
      SELECT coalesce(z.dims, l.dims) AS dims, coalesce(z.p, l.p) AS p, coalesce(z.pe, l.pe) AS pe,
             coalesce(z.metric, l.metric) AS metric, z.value AS amazon_value,
             coalesce(l.value, CASE WHEN d.value_kind IN ('count', 'sum') AND d.source <> 'none' THEN 0 END) AS lake_value,
             coalesce(l.ids, '{}') AS ids, d.unit
        FROM amazon z
        FULL JOIN lake l ON l.dims = z.dims AND l.p = z.p AND l.metric = z.metric
        LEFT JOIN def d ON d.metric = coalesce(z.metric, l.metric)
    )
    SELECT j.dims, j.p, j.pe, connect_lake.metric_canonical_key(j.metric), j.metric->'Threshold',
           j.amazon_value, j.lake_value, j.lake_value - j.amazon_value,
           CASE WHEN j.amazon_value IS NULL OR j.lake_value IS NULL THEN j.amazon_value IS NULL AND j.lake_value IS NULL
                WHEN j.unit = 'SECONDS' THEN abs(j.lake_value - j.amazon_value) <= 1
                WHEN j.unit = 'PERCENT' THEN round(j.lake_value::numeric, 2) = round(j.amazon_value::numeric, 2)
                ELSE j.lake_value = j.amazon_value END,
           j.ids
      FROM joined j
     ORDER BY j.p, j.dims::text, connect_lake.metric_canonical_key(j.metric)$q$, pl.query)
    USING mets, amazon;
END
$fn$;
COMMENT ON FUNCTION connect_lake.metric_reconcile(jsonb, text) IS
  'Reconciles a saved GetMetricDataV2 response (aws connect get-metric-data-v2 output: epoch or ISO-8601 times) with the lake (spec 6.4): per dimension combination, interval and metric (canonical key), Amazon''s value, the lake''s recomputed the same way (range and period from the MetricIntervals, groupings from the Dimensions keys, filtered to the dimension values shown; days and weeks in time_zone, default UTC), the difference (lake - Amazon), whether it is within tolerance (counts exact, seconds within 1 s, percentages equal to 2 decimals) and the contact ids behind the lake''s figure. A row Amazon has and the lake not (or the reverse) is shown with the other side NULL (0 for the lake''s counts and sums).';
