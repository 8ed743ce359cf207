-- Contact events (EventBridge, detail-type "Amazon Connect Contact Event").

CREATE TYPE connect_lake.contact_event AS (
  id                                          text,
  "time"                                      timestamptz,
  detail_contactid                            uuid,
  version                                     text,
  detail_type                                 text,
  source                                      text,
  aws_account                                 text,
  region                                      text,
  resources                                   jsonb,
  detail_eventtype                            text,
  detail_channel                              text,
  detail_initiationmethod                     text,
  detail_initialcontactid                     uuid,
  detail_previouscontactid                    uuid,
  detail_relatedcontactid                     uuid,
  detail_instancearn                          text,
  detail_initiationtimestamp                  timestamptz,
  detail_connectedtosystemtimestamp           timestamptz,
  detail_disconnecttimestamp                  timestamptz,
  detail_queueinfo_queuearn                   text,
  detail_queueinfo_queuetype                  text,
  detail_queueinfo_enqueuetimestamp           timestamptz,
  detail_agentinfo_agentarn                   text,
  detail_agentinfo_connectedtoagenttimestamp  timestamptz,
  detail_agentinfo_hierarchygroups            jsonb,
  detail_updatedproperties                    jsonb,
  detail_tags                                 jsonb,
  detail_routingcriteria                      jsonb,
  detail_contactlens                          jsonb,
  detail_segmentattributes                    jsonb,
  extra                                       jsonb,
  source_file                                 text,
  source_offset                               bigint,
  landed_at                                   timestamptz
);
COMMENT ON TYPE connect_lake.contact_event IS
  'One contact event as typed columns: the row type of contact_events and the result of contact_event_parse().';

CREATE TABLE connect_lake.contact_events OF connect_lake.contact_event (
  id                WITH OPTIONS NOT NULL,
  "time"            WITH OPTIONS NOT NULL,
  detail_contactid  WITH OPTIONS NOT NULL,
  landed_at         WITH OPTIONS NOT NULL DEFAULT now()
) PARTITION BY RANGE ("time");


INSERT INTO connect_lake.fact_table VALUES
  ('contact_events', '{detail_contactid,time,id}', 'PRIMARY KEY', ARRAY['(id)']::text[]);

COMMENT ON TABLE connect_lake.contact_events IS
  'Amazon Connect contact events from EventBridge, one row per event, de-duplicated by event id. Monthly partitions on time (UTC).';
COMMENT ON COLUMN connect_lake.contact_events.id IS 'EventBridge event id.';
COMMENT ON COLUMN connect_lake.contact_events."time" IS 'EventBridge event time (partition key).';
COMMENT ON COLUMN connect_lake.contact_events.detail_contactid IS 'detail.contactId.';
COMMENT ON COLUMN connect_lake.contact_events.version IS 'EventBridge envelope version.';
COMMENT ON COLUMN connect_lake.contact_events.detail_type IS 'EventBridge detail-type.';
COMMENT ON COLUMN connect_lake.contact_events.source IS 'EventBridge source (aws.connect).';
COMMENT ON COLUMN connect_lake.contact_events.aws_account IS 'EventBridge account: the AWS account id.';
COMMENT ON COLUMN connect_lake.contact_events.region IS 'EventBridge region.';
COMMENT ON COLUMN connect_lake.contact_events.resources IS 'EventBridge resources array as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_eventtype IS 'detail.eventType: INITIATED, QUEUED, CONNECTED_TO_AGENT, DISCONNECTED, ... (upper case).';
COMMENT ON COLUMN connect_lake.contact_events.detail_channel IS 'detail.channel, upper case (Voice -> VOICE).';
COMMENT ON COLUMN connect_lake.contact_events.detail_initiationmethod IS 'detail.initiationMethod, upper case.';
COMMENT ON COLUMN connect_lake.contact_events.detail_initialcontactid IS 'detail.initialContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_previouscontactid IS 'detail.previousContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_relatedcontactid IS 'detail.relatedContactId.';
COMMENT ON COLUMN connect_lake.contact_events.detail_instancearn IS 'detail.instanceArn (also instanceARN).';
COMMENT ON COLUMN connect_lake.contact_events.detail_initiationtimestamp IS 'detail.initiationTimestamp (the 1970-01-01T00:00:00.001Z placeholder reads as NULL).';
COMMENT ON COLUMN connect_lake.contact_events.detail_connectedtosystemtimestamp IS 'detail.connectedToSystemTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_disconnecttimestamp IS 'detail.disconnectTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_queuearn IS 'detail.queueInfo.queueArn.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_queuetype IS 'detail.queueInfo.queueType: STANDARD, AGENT, OUTBOUND.';
COMMENT ON COLUMN connect_lake.contact_events.detail_queueinfo_enqueuetimestamp IS 'detail.queueInfo.enqueueTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_agentarn IS 'detail.agentInfo.agentArn (also AgentInfo.AgentArn).';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_connectedtoagenttimestamp IS 'detail.agentInfo.connectedToAgentTimestamp.';
COMMENT ON COLUMN connect_lake.contact_events.detail_agentinfo_hierarchygroups IS 'detail.agentInfo.hierarchyGroups as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_updatedproperties IS 'detail.updatedProperties array as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_tags IS 'detail.tags map as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_routingcriteria IS 'detail.routingCriteria as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_contactlens IS 'detail.contactLens as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.detail_segmentattributes IS 'detail.segmentAttributes as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.extra IS 'Every key of the event the mapping does not know, as JSON.';
COMMENT ON COLUMN connect_lake.contact_events.source_file IS 'File the event was loaded from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.contact_events.source_offset IS 'Byte offset of the event in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.contact_events.landed_at IS 'When the row landed in the lake.';

CREATE FUNCTION connect_lake.contact_event_parse(doc jsonb) RETURNS connect_lake.contact_event
  AS 'MODULE_PATHNAME', 'contact_event_parse_jsonb'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_event_parse(jsonb) IS
  'One contact event (EventBridge, jsonb) as a typed connect_lake.contact_event row: keys matched case-insensitively (instanceARN, AgentInfo), enumerations upper-cased (Voice -> VOICE), the 1970-01-01T00:00:00.001Z placeholder read as NULL; landed_at left NULL (the writer fills it).';

CREATE FUNCTION connect_lake.contact_event_parse(doc text) RETURNS connect_lake.contact_event
  AS 'MODULE_PATHNAME', 'contact_event_parse_text'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.contact_event_parse(text) IS
  'One contact event as raw JSON text (as it lies in a file, read the way load() reads it) as a typed connect_lake.contact_event row.';
