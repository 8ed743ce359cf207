-- Coming from the warehouse: schema amazon_connect_enriched.
--
-- Analysts bring SQL written for the BigQuery dataset amazon_connect_enriched
-- (tables case_events, ctr_events, contact_events, agent_dim, queue_dim,
-- with the flattened column names the lake uses).  This schema holds views
-- of those names over the lake, so that a warehouse query ports by changing
-- the table prefix (`project.amazon_connect_enriched.x` ->
-- amazon_connect_enriched.x) and BigQuery's date syntax, nothing else.
--
-- The views are plain (no aggregation, no join): PostgreSQL flattens them
-- into the query, so a filter on a lake column prunes the monthly partitions
-- and uses the partitions' indexes as on the lake table itself.  The one
-- computed column is case_events.detail_case_fields_status: the warehouse
-- holds the status's display name ('Closed', 'Resolved'), the lake the value
-- Cases writes ('closed', 'resolved'), so the view shows case_status_label()
-- of it (the raw value is detail_case_fields_status_value).  A filter on the
-- label is evaluated per row, as in the warehouse.
--
-- Each view lists its columns once, when it is created: a column added to a
-- lake table later needs the view created again (the regression test
-- `warehouse` lists lake columns a view lacks).

CREATE SCHEMA amazon_connect_enriched;
COMMENT ON SCHEMA amazon_connect_enriched IS
  'The BigQuery warehouse dataset amazon_connect_enriched as views over the connect_lake lake (case_events, ctr_events, contact_events, agent_dim, queue_dim): a warehouse query ports by changing the table prefix and the date syntax.';

CREATE VIEW amazon_connect_enriched.case_events AS
  SELECT e.event_id, e.detail_case_caseid, e.detail_approximatechangetime, e.detail_event_type,
         e.detail_case_createddatetime, e.detail_case_templateid,
         connect_lake.case_status_label(e.detail_case_fields_status) AS detail_case_fields_status,
         e.detail_case_fields_title, e.detail_case_fields_description, e.detail_case_fields_summary,
         e.detail_case_fields_reference_number, e.detail_case_fields_customer_id,
         e.detail_case_fields_level_1, e.detail_case_fields_level_2, e.detail_case_fields_level_3,
         e.detail_case_fields_case_reason, e.detail_case_fields_assigned_user,
         e.detail_case_fields_assigned_agent_name, e.detail_case_fields_assigned_queue,
         e.detail_case_fields_queue_name, e.detail_case_fields_is_complaint,
         e.detail_case_fields_complaint_status, e.detail_case_fields_complaint_type,
         e.detail_case_fields_complaint_subject, e.detail_case_fields_complaint_subject_2,
         e.detail_case_fields_complaint_reason, e.detail_case_fields_complaint_goodwill_amount,
         e.detail_case_fields_complaint_resolved, e.detail_case_fields_ombudsman_case,
         e.detail_case_fields_original_creation_date, e.detail_case_fields_last_updated_datetime,
         e.detail_case_fields_last_closed_datetime, e.detail_case_fields_last_reopened_datetime,
         e.detail_case_fields_due_date, e.detail_case_fields_is_overdue, e.detail_case_fields_other,
         e.detail_changedfieldids, e.detail_performedby_userarn, e.detail_performedby_iamprincipalarn,
         e.detail_version, e.detail_type, e.source, e.aws_account, e."time", e.region, e.resources,
         e.extra, e.source_file, e.source_offset, e.meta_enriched_landed_date, e.id, e.account,
         e.detail_case_fields_status AS detail_case_fields_status_value
    FROM connect_lake.case_events e;
COMMENT ON VIEW amazon_connect_enriched.case_events IS
  'The warehouse''s case_events over connect_lake.case_events: every Cases event, id the Case ID (COUNT(DISTINCT id) counts cases), detail_case_fields_status the display label (Closed, Resolved, Open ...) as in the warehouse. The lake keeps every event and lands no daily snapshot: meta_enriched_landed_date is when an event landed.';

CREATE VIEW amazon_connect_enriched.ctr_events AS
  SELECT * FROM connect_lake.ctr_events;
COMMENT ON VIEW amazon_connect_enriched.ctr_events IS
  'The warehouse''s ctr_events over connect_lake.ctr_events: contact trace records, the latest version of each contact.';

CREATE VIEW amazon_connect_enriched.contact_events AS
  SELECT * FROM connect_lake.contact_events;
COMMENT ON VIEW amazon_connect_enriched.contact_events IS
  'The warehouse''s contact_events over connect_lake.contact_events: EventBridge contact events.';

CREATE VIEW amazon_connect_enriched.agent_dim AS
  SELECT * FROM connect_lake.agent_dim;
COMMENT ON VIEW amazon_connect_enriched.agent_dim IS
  'The warehouse''s agent_dim over connect_lake.agent_dim: agents seen in CTRs.';

CREATE VIEW amazon_connect_enriched.queue_dim AS
  SELECT * FROM connect_lake.queue_dim;
COMMENT ON VIEW amazon_connect_enriched.queue_dim IS
  'The warehouse''s queue_dim over connect_lake.queue_dim: queues seen in CTRs.';

-- Each view column documented as the lake column it shows.
DO $comments$
DECLARE r record;
BEGIN
  FOR r IN SELECT v.relname AS view, a.attname, col_description(t.oid, ta.attnum) AS d
             FROM pg_class v
             JOIN pg_attribute a ON a.attrelid = v.oid AND a.attnum > 0 AND NOT a.attisdropped
             JOIN pg_class t ON t.relname = v.relname AND t.relnamespace = 'connect_lake'::regnamespace
             JOIN pg_attribute ta ON ta.attrelid = t.oid AND ta.attname = a.attname AND NOT ta.attisdropped
            WHERE v.relnamespace = 'amazon_connect_enriched'::regnamespace AND v.relkind = 'v' LOOP
    EXECUTE format('COMMENT ON COLUMN amazon_connect_enriched.%I.%I IS %L', r.view, r.attname, r.d);
  END LOOP;
END
$comments$;
COMMENT ON COLUMN amazon_connect_enriched.case_events.detail_case_fields_status IS
  'Case status as the warehouse holds it, its display label: case_status_label() of the value Cases writes (Closed, Resolved, Open, In Progress ...), so detail_case_fields_status NOT IN (''Closed'', ''Resolved'') reads as in the warehouse. Whether a status is open is the lake''s case_status_is_open(detail_case_fields_status_value).';
COMMENT ON COLUMN amazon_connect_enriched.case_events.meta_enriched_landed_date IS
  'When the event landed in the lake (connect_lake.case_events.meta_enriched_landed_date). Not the warehouse''s snapshot day: the lake lands no daily snapshot of each case, it keeps every event.';
COMMENT ON COLUMN amazon_connect_enriched.case_events.detail_case_fields_status_value IS
  'Case status as Cases writes it (connect_lake.case_events.detail_case_fields_status: open, closed or a custom status).';

GRANT USAGE ON SCHEMA amazon_connect_enriched TO connect_lake_reader, connect_lake_loader;
GRANT SELECT ON amazon_connect_enriched.case_events, amazon_connect_enriched.ctr_events,
  amazon_connect_enriched.contact_events, amazon_connect_enriched.agent_dim, amazon_connect_enriched.queue_dim
  TO connect_lake_reader, connect_lake_loader;
