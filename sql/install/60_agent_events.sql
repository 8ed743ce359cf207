-- Agent events (Kinesis agent event stream).

CREATE TYPE connect_lake.agent_event AS (
  eventid                     text,
  eventtimestamp              timestamptz,
  agentarn                    text,
  agent_id                    uuid,
  eventtype                   text,
  awsaccountid                text,
  instancearn                 text,
  version                     text,
  agentstatus_name            text,
  agentstatus_arn             text,
  agentstatus_starttimestamp  timestamptz,
  nextagentstatus_name        text,
  username                    text,
  firstname                   text,
  lastname                    text,
  routingprofile_arn          text,
  routingprofile_name         text,
  hierarchygroups             jsonb,
  contacts                    jsonb,
  current_snapshot            jsonb,
  previous_agentstatus_name   text,
  previous_snapshot           jsonb,
  extra                       jsonb,
  source_file                 text,
  source_offset               bigint,
  landed_at                   timestamptz,
  agentstatus_type            text
);
COMMENT ON TYPE connect_lake.agent_event IS
  'One agent event as typed columns: the row type of agent_events and the result of agent_event_parse().';

CREATE TABLE connect_lake.agent_events OF connect_lake.agent_event (
  eventid         WITH OPTIONS NOT NULL,
  eventtimestamp  WITH OPTIONS NOT NULL,
  agentarn        WITH OPTIONS NOT NULL,
  landed_at       WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE (eventtimestamp);


INSERT INTO connect_lake.fact_table VALUES
  ('agent_events', '{agentarn,eventtimestamp,eventid}', 'PRIMARY KEY', ARRAY['(eventid)']::text[]);

COMMENT ON TABLE connect_lake.agent_events IS
  'Agent event stream: LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT; de-duplicated by event id. Monthly partitions on eventtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.agent_events.eventid IS 'EventId.';
COMMENT ON COLUMN connect_lake.agent_events.eventtimestamp IS 'EventTimestamp (partition key).';
COMMENT ON COLUMN connect_lake.agent_events.agentarn IS 'AgentARN.';
COMMENT ON COLUMN connect_lake.agent_events.agent_id IS 'Agent id taken from AgentARN (NULL when the ARN does not end in a UUID).';
COMMENT ON COLUMN connect_lake.agent_events.eventtype IS 'EventType: LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT.';
COMMENT ON COLUMN connect_lake.agent_events.awsaccountid IS 'AWSAccountId.';
COMMENT ON COLUMN connect_lake.agent_events.instancearn IS 'InstanceARN.';
COMMENT ON COLUMN connect_lake.agent_events.version IS 'Version of the event format, e.g. 2017-10-01.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_name IS 'CurrentAgentSnapshot.AgentStatus.Name, e.g. Available.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_arn IS 'CurrentAgentSnapshot.AgentStatus.ARN.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_starttimestamp IS 'CurrentAgentSnapshot.AgentStatus.StartTimestamp.';
COMMENT ON COLUMN connect_lake.agent_events.nextagentstatus_name IS 'CurrentAgentSnapshot.NextAgentStatus.Name.';
COMMENT ON COLUMN connect_lake.agent_events.username IS 'CurrentAgentSnapshot.Configuration.Username.';
COMMENT ON COLUMN connect_lake.agent_events.firstname IS 'CurrentAgentSnapshot.Configuration.FirstName.';
COMMENT ON COLUMN connect_lake.agent_events.lastname IS 'CurrentAgentSnapshot.Configuration.LastName.';
COMMENT ON COLUMN connect_lake.agent_events.routingprofile_arn IS 'CurrentAgentSnapshot.Configuration.RoutingProfile.ARN.';
COMMENT ON COLUMN connect_lake.agent_events.routingprofile_name IS 'CurrentAgentSnapshot.Configuration.RoutingProfile.Name.';
COMMENT ON COLUMN connect_lake.agent_events.hierarchygroups IS 'CurrentAgentSnapshot.Configuration.AgentHierarchyGroups as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.contacts IS 'CurrentAgentSnapshot.Contacts: the agent''s current contacts as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.current_snapshot IS 'CurrentAgentSnapshot as JSON, whole.';
COMMENT ON COLUMN connect_lake.agent_events.previous_agentstatus_name IS 'PreviousAgentSnapshot.AgentStatus.Name.';
COMMENT ON COLUMN connect_lake.agent_events.previous_snapshot IS 'PreviousAgentSnapshot as JSON, whole.';
COMMENT ON COLUMN connect_lake.agent_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.agent_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.agent_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.agent_events.landed_at IS 'When the row landed in the lake.';
COMMENT ON COLUMN connect_lake.agent_events.agentstatus_type IS 'CurrentAgentSnapshot.AgentStatus.Type (ROUTABLE, CUSTOM, OFFLINE), as current_snapshot -> ''AgentStatus'' ->> ''Type'' gives it; NULL when the stream does not give it. Last of the columns (added in 0.2.0).';

CREATE FUNCTION connect_lake.agent_event_parse(doc jsonb) RETURNS connect_lake.agent_event
  AS 'MODULE_PATHNAME', 'agent_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.agent_event_parse(jsonb) IS
  'One agent event (Kinesis agent event stream, jsonb) as a typed connect_lake.agent_event row: status, routing profile and current contacts as columns, both snapshots whole as JSON; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.agent_event_parse(doc text) RETURNS connect_lake.agent_event
  AS 'MODULE_PATHNAME', 'agent_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.agent_event_parse(text) IS
  'One agent event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.agent_event row.';
