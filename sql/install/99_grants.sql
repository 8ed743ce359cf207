-- Privileges.  Analysts read through connect_lake_reader; pipelines write
-- through connect_lake_loader.  PUBLIC gets nothing that reads server files
-- or writes the lake: every such function is revoked from PUBLIC here.

-- Pure functions (parsers, working-day arithmetic) are for everyone; tables are not.
GRANT USAGE ON SCHEMA connect_lake TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA connect_lake TO connect_lake_reader, connect_lake_loader;
GRANT INSERT, UPDATE ON
  connect_lake.ctr_events, connect_lake.contact_flow_log, connect_lake.contact_events,
  connect_lake.case_events, connect_lake.case_related_items, connect_lake.agent_events,
  connect_lake.agent_dim, connect_lake.queue_dim, connect_lake.queue_name_history,
  connect_lake.contact_account, connect_lake.load_manifest, connect_lake.load_rejects
  TO connect_lake_loader;
-- A newer CTR version that drops an account number removes its link.
GRANT DELETE ON connect_lake.contact_account TO connect_lake_loader;
-- load()'s workers queue their commit upkeep and run it (deleting the rows).
GRANT INSERT, DELETE, UPDATE ON connect_lake.upkeep_queue TO connect_lake_loader;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA connect_lake TO connect_lake_loader;
-- A reject's raw text is a copy of the file's bytes: the loader's to read.
-- Analysts see where a record was and why it was refused.
REVOKE SELECT ON connect_lake.load_rejects FROM connect_lake_reader;
GRANT SELECT (reject_id, kind, path, byte_offset, line, reason, rejected_at) ON connect_lake.load_rejects
  TO connect_lake_reader;

REVOKE ALL ON FUNCTION connect_lake.create_partition(regclass, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.create_partition(regclass, timestamptz) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.ensure_partitions(regclass, timestamptz, timestamptz) TO connect_lake_loader;

REVOKE ALL ON FUNCTION connect_lake.ingest(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest(text, jsonb) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) TO connect_lake_loader;

-- Reading server files: the loader role runs these, and also needs
-- pg_read_server_files (the functions check it and say so).
REVOKE ALL ON FUNCTION connect_lake.load(text, text, text, text, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.load(text, text, text, text, text, integer) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.create_foreign_table(text, text, text, text, text, text, name) TO connect_lake_loader;
GRANT USAGE ON FOREIGN SERVER connect_lake_files TO connect_lake_loader;

-- The case rules: changing which statuses are open is the DBA's.
REVOKE ALL ON FUNCTION connect_lake.case_status_compile() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_status_changed() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.case_status_load(jsonb, text[]) FROM PUBLIC;

-- ---- Privileges: the loader keeps the flow funnels as it lands flow logs.
GRANT INSERT, UPDATE, DELETE ON connect_lake.contact_flow_path, connect_lake.flow_block_day,
  connect_lake.flow_entry_day, connect_lake.flow_names, connect_lake.flow_version TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh_days(date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flow_versions_detect(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh_days(date[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh(date, date) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_refresh_day_runs(date[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flows_ctrs_landed(uuid[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.flow_versions_detect(text) TO connect_lake_loader;

-- ---- Privileges: the loader keeps the repeat contacts as it lands CTRs.
GRANT INSERT, UPDATE, DELETE, TRUNCATE ON connect_lake.contact_repeat TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.contact_repeat_refresh(uuid[]) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.repeat_config_changed() FROM PUBLIC;

REVOKE ALL ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.metric_lock_intervals(timestamptz[]) TO connect_lake_loader;
-- ---- Privileges: personal data (25_pii.sql).  The secret is nobody's to
-- read but its owner's (the writers read it in C); raw values kept are
-- connect_lake_pii_reader's, analysts read their digests and masked forms.
REVOKE ALL ON connect_lake.pii_secret FROM connect_lake_reader, connect_lake_loader;
REVOKE ALL ON connect_lake.pii_value FROM connect_lake_reader, connect_lake_loader;
GRANT SELECT (stored, masked, first_landed) ON connect_lake.pii_value TO connect_lake_reader, connect_lake_loader;
GRANT INSERT ON connect_lake.pii_value TO connect_lake_loader;
GRANT SELECT ON connect_lake.pii_value, connect_lake.pii_config, connect_lake.pii_settings TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.pii_stored_value(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.pii_stored_value(text) TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.pii_stored_forms(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.pii_stored_forms(text) TO connect_lake_pii_reader;
REVOKE ALL ON FUNCTION connect_lake.lake_hmac(text) FROM PUBLIC;

-- ---- Privileges: forgetting a customer (86_erasure.sql) is the owner's
-- (or a role the owner grants forget_customer() to); the erasure list and
-- the audit are the owner's alone (their key, the lake's secret, too); the
-- loader's check runs as the owner through two functions granted to the loader.
REVOKE ALL ON connect_lake.erasure_list, connect_lake.erasure_audit
  FROM connect_lake_reader, connect_lake_loader;
REVOKE ALL ON SEQUENCE connect_lake.erasure_audit_erasure_id_seq, connect_lake.erasure_pseudonym_seq
  FROM connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.forget_customer(bigint, text, text, uuid, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_digest(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_secret_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_work_begin() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_close() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_pseudonym(text, text, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_collect_values(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_text_holds(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_run_steps() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_customers() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_ctr_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_account() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_flow_log() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_state() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_case_related_items() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_contact_repeat() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_load_rejects() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_flow_block_day() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_rejects_landed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) TO connect_lake_loader;
GRANT EXECUTE ON FUNCTION connect_lake.erasure_rejects_landed() TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.erasure_contacts() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_cases() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profiles() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profile_accounts() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_profile_phones() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile_events() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.erasure_scrub_customer_profile_history() FROM PUBLIC;

-- ---- Privileges: retention is the DBA's (it drops partitions and prunes the manifest).
REVOKE ALL ON FUNCTION connect_lake.apply_retention(boolean, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.retention_check() FROM PUBLIC;

-- ---- Privileges: access by queue.  Restricting is the DBA's; the tables
-- keyed by queue get their policies (88_access.sql), and the views that read
-- one of them (directly or through another view) run as their caller, so
-- that the caller's policies apply.
REVOKE ALL ON FUNCTION connect_lake.restrict_to_queues(name, uuid[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.lift_queue_restriction(name) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_enforce() FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_secure(regclass, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.queue_access_sync() FROM PUBLIC;
SELECT connect_lake.queue_access_enforce();
DO $invoker$
DECLARE
  v regclass;
BEGIN
  FOR v IN
    WITH RECURSIVE reads(oid) AS (
      SELECT c.oid FROM connect_lake.queue_access_tables q
        JOIN pg_class c ON c.relname = q.table_name AND c.relnamespace = 'connect_lake'::regnamespace
      UNION
      SELECT r.ev_class
        FROM reads
        JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = reads.oid
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> reads.oid)
    SELECT c.oid::regclass
      FROM reads JOIN pg_class c ON c.oid = reads.oid
     WHERE c.relkind = 'v'
       AND EXISTS (SELECT 1 FROM pg_depend e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
                      AND e.refobjid = (SELECT x.oid FROM pg_extension x WHERE x.extname = 'connect_lake'))
     ORDER BY 1::text
  LOOP
    EXECUTE format('ALTER VIEW %s SET (security_invoker = true)', v);
  END LOOP;
END
$invoker$;

-- ---- Privileges: scheduled loads (pg_cron).  A job runs as the role that
-- schedules it: loaders schedule loads, the DBA the retention.
REVOKE ALL ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.schedule_load(text, text, text, text, text) TO connect_lake_loader;
REVOKE ALL ON FUNCTION connect_lake.schedule_retention(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION connect_lake.unschedule(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION connect_lake.unschedule(text) TO connect_lake_loader;
