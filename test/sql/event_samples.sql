-- The published samples of contact, case and agent events
-- ($CONNECT_LAKE_SAMPLES, set by test/run; skipped when absent: the
-- alternative expected output event_samples_1.out).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set samples ''
\getenv samples CONNECT_LAKE_SAMPLES
SELECT :'samples' <> ''
       AND (pg_stat_file(:'samples' || '/case_event_1_case_updated_awsdocs_2022.jsonc', true)).size IS NOT NULL
       AS have_samples \gset
\if :have_samples
-- Documentation samples (.jsonc) carry // comments and trailing commas.
CREATE FUNCTION pg_temp.sample(name text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(pg_read_file(current_setting('cl.samples') || '/' || name),
                                       '//[^\n]*', '', 'g'),
                        ',(\s*[}\]])', '\1', 'g')::jsonb $$;
SELECT set_config('cl.samples', :'samples', false) IS NOT NULL AS ok;
CREATE FUNCTION pg_temp.show(r anyelement) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT jsonb_strip_nulls(to_jsonb(r) - 'meta_enriched_landed_date' - 'landed_at') $$;

-- CASE.UPDATED, older detail-type name: status and case_reason are system
-- fields, the custom field (no map) lands in detail_case_fields_other.
SELECT jsonb_pretty(pg_temp.show(connect_lake.case_event_parse(pg_temp.sample('case_event_1_case_updated_awsdocs_2022.jsonc'))));
-- RELATED_ITEM.CREATED: a comment.
SELECT jsonb_pretty(pg_temp.show(connect_lake.case_related_item_parse(pg_temp.sample('case_event_2_related_item_created_awsdocs_2022.jsonc'))));
-- A 2021 contact event: instanceARN, AgentInfo.AgentArn (PascalCase), channel Voice.
SELECT jsonb_pretty(pg_temp.show(connect_lake.contact_event_parse(pg_temp.sample('contact_event_1_connected_to_agent_awsdocs_2021.json'))));
-- The current documentation sample: its ids are placeholders, not UUIDs ...
SELECT connect_lake.contact_event_parse(pg_temp.sample('contact_event_2_contact_data_updated_contactlens_awsdocs.json'));  -- ERROR
-- ... with a real contact id it parses; the 1970-01-01T00:00:00.001Z placeholders read as NULL.
SELECT jsonb_pretty(pg_temp.show(connect_lake.contact_event_parse(
  jsonb_set(pg_temp.sample('contact_event_2_contact_data_updated_contactlens_awsdocs.json'),
            '{detail,contactId}', '"0f0e0d0c-0b0a-4909-8807-060504030201"'))));
-- A STATE_CHANGE agent event (both snapshots are also kept whole).
SELECT jsonb_pretty(pg_temp.show(e) - 'current_snapshot' - 'previous_snapshot') AS columns,
       e.current_snapshot ? 'Configuration' AS current_kept, e.previous_snapshot -> 'Contacts' -> 0 ->> 'State' AS previous_contact
  FROM connect_lake.agent_event_parse(pg_temp.sample('agent_event_2_state_change_awsdocs.json')) e;
\else
\echo samples absent: skipped
\endif
