-- Contact flow logs: one row per flow block executed (CloudWatch Logs).
--
-- connect_lake.flow_log_event is the row type of contact_flow_log (a typed
-- table), the result of contact_flow_log_parse() and the shape the file
-- loader maps each log event onto (src/flowlog.c describes the fields once).

CREATE TYPE connect_lake.flow_log_event AS (
  contactid              uuid,
  "timestamp"            timestamptz,
  contactflowid          text,
  contactflowname        text,
  contactflowmoduletype  text,
  identifier             text,
  parameters             jsonb,
  results                text,
  externalresults        jsonb,
  moduleexecutionstack   jsonb,
  log_group              text,
  log_stream             text,
  extra                  jsonb,
  source_file            text,
  source_offset          bigint,
  landed_at              timestamptz
);

COMMENT ON TYPE connect_lake.flow_log_event IS
  'One contact flow log event as typed columns: the row type of contact_flow_log and the result of contact_flow_log_parse().';

CREATE TABLE connect_lake.contact_flow_log OF connect_lake.flow_log_event (
  contactid   WITH OPTIONS NOT NULL,
  "timestamp" WITH OPTIONS NOT NULL,
  landed_at   WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE ("timestamp");

INSERT INTO connect_lake.fact_table VALUES
  ('contact_flow_log', '{contactid,timestamp,identifier,contactflowmoduletype}', 'UNIQUE NULLS NOT DISTINCT',
   ARRAY['USING brin ("timestamp")']::text[]);

COMMENT ON TABLE connect_lake.contact_flow_log IS
  'Contact flow log events, one row per flow block executed; de-duplicated on (contactid, timestamp, identifier, contactflowmoduletype). Monthly partitions on timestamp (UTC).';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactid IS 'ContactId of the contact running the flow.';
COMMENT ON COLUMN connect_lake.contact_flow_log."timestamp" IS 'Timestamp: when the block ran (partition key).';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowid IS 'ContactFlowId: ARN of the contact flow or flow module.';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowname IS 'ContactFlowName.';
COMMENT ON COLUMN connect_lake.contact_flow_log.contactflowmoduletype IS 'ContactFlowModuleType: the block type, e.g. SetQueue, InvokeExternalResource (open-ended).';
COMMENT ON COLUMN connect_lake.contact_flow_log.identifier IS 'Identifier: the block''s label or UUID.';
COMMENT ON COLUMN connect_lake.contact_flow_log.parameters IS 'Parameters of the block as JSON (very old logs call it Events).';
COMMENT ON COLUMN connect_lake.contact_flow_log.results IS 'Results text, e.g. "The Lambda Function Returned An Error."';
COMMENT ON COLUMN connect_lake.contact_flow_log.externalresults IS 'ExternalResults: the Lambda response map, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.moduleexecutionstack IS 'ModuleExecutionStack: array of flow module ARNs, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.log_group IS 'CloudWatch log group the event came from, when the envelope says.';
COMMENT ON COLUMN connect_lake.contact_flow_log.log_stream IS 'CloudWatch log stream the event came from, when the envelope says.';
COMMENT ON COLUMN connect_lake.contact_flow_log.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.contact_flow_log.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.contact_flow_log.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.contact_flow_log.landed_at IS 'When the row landed in the lake.';

-- Parsing.
CREATE FUNCTION connect_lake.contact_flow_log_parse(doc jsonb) RETURNS connect_lake.flow_log_event
  AS 'MODULE_PATHNAME', 'contact_flow_log_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_flow_log_parse(jsonb) IS
  'One contact flow log event (the JSON message of a CloudWatch log event) as a typed connect_lake.flow_log_event row; unknown keys kept in extra. Errors name the field and the contact id.';

CREATE FUNCTION connect_lake.contact_flow_log_parse(doc text) RETURNS connect_lake.flow_log_event
  AS 'MODULE_PATHNAME', 'contact_flow_log_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_flow_log_parse(text) IS
  'One contact flow log event as raw JSON text (as it lies in a log message) as a typed connect_lake.flow_log_event row.';
