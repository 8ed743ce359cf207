-- The analysts' daily reports over the lake, for days :'from' to :'to'
-- (inclusive, Europe/London days).
--   psql -v from=2026-10-01 -v to=2026-10-31 -f test/sample/reports.sql
\set ON_ERROR_STOP on
\pset footer off

\echo
\echo '==> Case volume by day'
SELECT day, cases_created, complaints, still_open
  FROM connect_lake.case_volume_daily(:'from', :'to') ORDER BY day;

\echo '==> Open case backlog now (warehouse_query: the warehouse''s open-cases query ported, each case''s latest event)'
SELECT open_cases, overdue_cases, open_complaints,
       (SELECT COUNT(DISTINCT id)
          FROM (SELECT DISTINCT ON (id) * FROM amazon_connect_enriched.case_events
                 ORDER BY id, detail_approximatechangetime DESC, event_id DESC) latest
         WHERE detail_case_fields_status NOT IN ('Closed', 'Resolved')
           AND detail_event_type <> 'CASE.DELETED') AS warehouse_query
  FROM connect_lake.open_case_backlog;

\echo '==> Overdue cases (open past created + 2 working days): the oldest ten'
SELECT case_id, level_1, is_complaint, created_at::date AS created, due_date::date AS due, working_days_open
  FROM connect_lake.overdue_cases ORDER BY created_at, case_id LIMIT 10;

\echo '==> Complaints by subject'
SELECT complaint_subject, complaints, open_complaints, goodwill_total
  FROM connect_lake.complaints_by_subject(:'from', :'to') ORDER BY complaints DESC, complaint_subject;

\echo '==> Cases by level-1 category'
SELECT level_1, cases, open_cases, complaints
  FROM connect_lake.cases_by_category(:'from', :'to') ORDER BY cases DESC, level_1;

\echo '==> Contacts per channel with average handle time (talk + hold + after-contact work, handled contacts)'
SELECT channel, count(*) AS contacts,
       count(*) FILTER (WHERE agent_arn IS NOT NULL) AS handled,
       round(avg(agent_agentinteractionduration + agent_customerholdduration + agent_aftercontactworkduration)
             FILTER (WHERE agent_arn IS NOT NULL), 1) AS avg_handle_seconds
  FROM connect_lake.ctr_events
 WHERE initiationtimestamp >= (:'from'::date)::timestamp AT TIME ZONE 'Europe/London'
   AND initiationtimestamp <  (:'to'::date + 1)::timestamp AT TIME ZONE 'Europe/London'
 GROUP BY channel ORDER BY contacts DESC;

\echo '==> Where callers hang up: the five blocks after which most contacts were abandoned in the IVR'
SELECT rank, flow_name, identifier, module_type, hang_ups, contacts, hang_up_rate
  FROM connect_lake.flow_hang_ups(:'from', :'to') ORDER BY rank, flow_name, identifier LIMIT 5;

\echo '==> Containment per entry flow over the month (contained: served in self-service, no queue, no agent, no hang-up)'
SELECT entry_flow_name, contacts, with_ctr, contained, containment_rate, ivr_abandoned, ivr_abandonment_rate
  FROM connect_lake.flow_containment(:'from', :'to') WHERE day IS NULL ORDER BY contacts DESC;

\echo '==> First-contact resolution per intent (a repeat: the same customer again within 7 working days)'
SELECT coalesce(dimension, '(none)') AS intent, sum(contacts) AS contacts, sum(repeats) AS repeats,
       round(100.0 * sum(repeats) / sum(contacts), 1) AS repeat_pct,
       round(100.0 * sum(resolved_first) / nullif(sum(first_contacts), 0), 1) AS fcr_pct
  FROM connect_lake.first_contact_resolution(:'from', :'to', 'intent') GROUP BY 1 ORDER BY 2 DESC;
\echo '==> Queue dashboard: the month per queue (Amazon Connect''s definitions; service level: contacts removed from the queue within the threshold, default 20 s, / queued; all channels)'
SELECT queue_name, sum(contacts_queued) AS queued, sum(contacts_handled) AS handled,
       sum(contacts_abandoned) AS abandoned, sum(callbacks_requested) AS callbacks,
       sum(contacts_transferred_out) AS transferred_out,
       round(connect_lake.metric_service_level(sum(contacts_removed_in_x), sum(contacts_queued)), 1) AS service_level_pct,
       round(connect_lake.metric_abandonment_rate(sum(contacts_abandoned), sum(contacts_queued)), 1) AS abandoned_pct,
       round(connect_lake.metric_aht(sum(sum_handle_time), sum(contacts_handled))) AS aht_seconds
  FROM connect_lake.queue_metrics_daily(:'from', :'to')
 WHERE queue_kind = 'STANDARD'
 GROUP BY queue_name ORDER BY queue_name;

\echo '==> Queue dashboard per day: service level, abandonment rate, average handle time per queue (local days of the disconnect)'
SELECT (interval_start AT TIME ZONE connect_lake.metric_time_zone())::date AS day, queue_name,
       sum(contacts_queued) AS queued,
       round(connect_lake.metric_service_level(sum(contacts_removed_in_x), sum(contacts_queued)), 1) AS service_level_pct,
       round(connect_lake.metric_abandonment_rate(sum(contacts_abandoned), sum(contacts_queued)), 1) AS abandoned_pct,
       round(connect_lake.metric_aht(sum(sum_handle_time), sum(contacts_handled))) AS aht_seconds
  FROM connect_lake.queue_metrics_daily(:'from', :'to')
 WHERE queue_kind = 'STANDARD'
 GROUP BY 1, 2 ORDER BY 1, 2;
