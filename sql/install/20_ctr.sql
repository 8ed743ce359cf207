-- Contact trace records.
--
-- connect_lake.ctr is the row type of ctr_events (a typed table), so a parsed
-- row lines up with the table column for column.  Rows land through the row
-- writer (ingest(), ingest_batch(), load()), which keeps the latest version of
-- each contact and fills versions_seen, source_file, source_offset and
-- landed_at (ctr_parse() returns versions_seen 1 and leaves the others NULL:
-- they describe the landing, not the record).  A hand-written
--   INSERT INTO connect_lake.ctr_events SELECT (c).* FROM docs, LATERAL connect_lake.ctr_parse(doc) c
-- works too once ensure_partitions() has made the months (landed_at stays
-- NULL: not landed by the lake's writers).  Column names follow the warehouse model: mostly the CTR
-- key path lower-cased and joined by '_' (Agent.RoutingProfile.Name -> agent_routingprofile_name),
-- with the warehouse's exceptions (an ARN's id: InstanceARN -> instanceid, Agent.ARN -> agent_id,
-- Queue.ARN -> queue_id; Agent.ConnectedToAgentTimestamp -> agent_connectedtoagentts; References ->
-- contact_references, a reserved word).  The field table in src/ctr.c spells every column.
--
-- The attributes_* columns are named as the warehouse named a contact
-- attribute's column: the key flattened (ASCII letters lower-cased, each run
-- of anything but [a-z0-9] as one '_', trimmed of '_'; ctr_attribute_column()).
-- Each column has a key in ctr_attribute_map_effective; a record fills it
-- from that key spelt exactly, else from the first key in byte order that
-- flattens to the same name (src/attrkey.h).  attributes keeps every key.

CREATE TYPE connect_lake.ctr AS (
  contactid                                   uuid,
  initiationtimestamp                         timestamptz,
  awsaccountid                                text,
  awscontacttracerecordformatversion          text,
  instancearn                                 text,
  instanceid                                  uuid,
  initialcontactid                            uuid,
  previouscontactid                           uuid,
  nextcontactid                               uuid,
  relatedcontactid                            uuid,
  contactassociationid                        text,
  customerid                                  text,
  channel                                     text,
  initiationmethod                            text,
  disconnectreason                            text,
  answeringmachinedetectionstatus             text,
  name                                        text,
  description                                 text,
  connectedtosystemtimestamp                  timestamptz,
  disconnecttimestamp                         timestamptz,
  lastupdatetimestamp                         timestamptz,
  scheduledtimestamp                          timestamptz,
  transfercompletedtimestamp                  timestamptz,
  lastpausedtimestamp                         timestamptz,
  lastresumedtimestamp                        timestamptz,
  agentconnectionattempts                     integer,
  totalpausecount                             integer,
  totalpausedurationinseconds                 integer,
  agent_arn                                   text,
  agent_id                                    uuid,
  agent_username                              text,
  agent_connectedtoagentts                    timestamptz,
  agent_acceptedbyagenttimestamp              timestamptz,
  agent_previewendtimestamp                   timestamptz,
  agent_agentinteractionduration              integer,
  agent_customerholdduration                  integer,
  agent_longestholdduration                   integer,
  agent_aftercontactworkduration              integer,
  agent_agentpauseduration                    integer,
  agent_agentinitiatedholdduration            integer,
  agent_numberofholds                         integer,
  agent_aftercontactworkstarttimestamp        timestamptz,
  agent_aftercontactworkendtimestamp          timestamptz,
  agent_routingprofile_arn                    text,
  agent_routingprofile_name                   text,
  agent_hierarchygroups_level1_arn            text,
  agent_hierarchygroups_level1_groupname      text,
  agent_hierarchygroups_level2_arn            text,
  agent_hierarchygroups_level2_groupname      text,
  agent_hierarchygroups_level3_arn            text,
  agent_hierarchygroups_level3_groupname      text,
  agent_hierarchygroups_level4_arn            text,
  agent_hierarchygroups_level4_groupname      text,
  agent_hierarchygroups_level5_arn            text,
  agent_hierarchygroups_level5_groupname      text,
  agent_deviceinfo_platformname               text,
  agent_deviceinfo_platformversion            text,
  agent_deviceinfo_operatingsystem            text,
  agent_capabilities                          jsonb,
  agent_statetransitions                      jsonb,
  queue_arn                                   text,
  queue_id                                    uuid,
  queue_name                                  text,
  queue_enqueuetimestamp                      timestamptz,
  queue_dequeuetimestamp                      timestamptz,
  queue_duration                              integer,
  customerendpoint_address                    text,
  customerendpoint_type                       text,
  systemendpoint_address                      text,
  systemendpoint_type                         text,
  transferredtoendpoint_address               text,
  transferredtoendpoint_type                  text,
  mediastreams                                jsonb,
  recording                                   jsonb,
  recordings                                  jsonb,
  contact_references                          jsonb,
  campaign_campaignid                         text,
  contactlens                                 jsonb,
  qualitymetrics_agent_audio_qualityscore     numeric(4,2),
  qualitymetrics_customer_audio_qualityscore  numeric(4,2),
  qualitymetrics                              jsonb,
  chatmetrics                                 jsonb,
  customervoiceactivity_greetingstarttimestamp timestamptz,
  customervoiceactivity_greetingendtimestamp  timestamptz,
  disconnectdetails_potentialdisconnectissue  text,
  segmentattributes                           jsonb,
  routingcriteria                             jsonb,
  wisdominfo_sessionarn                       text,
  voiceidresult                               jsonb,
  contactevaluations                          jsonb,
  outboundstrategy                            jsonb,
  additionalemailrecipients                   jsonb,
  externalthirdparty                          jsonb,
  contactdetails                              jsonb,
  tags                                        jsonb,
  attributes                                  jsonb,
  attributes_intent                           text,
  attributes_caseid                           text,
  attributes_accountnumbers                   text,
  attributes_juniferid                        text,
  attributes_csatresults_agentrating          integer,
  attributes_csatresults_resolutionrating     integer,
  extra                                       jsonb,
  versions_seen                               integer,
  source_file                                 text,
  source_offset                               bigint,
  landed_at                                   timestamptz
);

COMMENT ON TYPE connect_lake.ctr IS
  'One contact trace record as typed columns: the row type of ctr_events and the result of ctr_parse().';

CREATE TABLE connect_lake.ctr_events OF connect_lake.ctr (
  contactid           WITH OPTIONS NOT NULL,
  initiationtimestamp WITH OPTIONS NOT NULL,
  versions_seen       WITH OPTIONS NOT NULL DEFAULT 1,
  landed_at           WITH OPTIONS DEFAULT now()
) PARTITION BY RANGE (initiationtimestamp);


INSERT INTO connect_lake.fact_table VALUES
  ('ctr_events', '{contactid,initiationtimestamp}', 'PRIMARY KEY', ARRAY['(disconnecttimestamp)', '(attributes_caseid) WHERE attributes_caseid IS NOT NULL', '(agent_id, initiationtimestamp)', '(queue_id, initiationtimestamp)',
         '(initialcontactid) WHERE initialcontactid IS NOT NULL', '(previouscontactid) WHERE previouscontactid IS NOT NULL']::text[]);

COMMENT ON TABLE connect_lake.ctr_events IS
  'Contact trace records, one row per contact: the latest version by LastUpdateTimestamp wins. Monthly partitions on initiationtimestamp (UTC).';
COMMENT ON COLUMN connect_lake.ctr_events.contactid IS 'ContactId: the contact''s UUID.';
COMMENT ON COLUMN connect_lake.ctr_events.initiationtimestamp IS 'InitiationTimestamp: when the contact was initiated (partition key).';
COMMENT ON COLUMN connect_lake.ctr_events.awsaccountid IS 'AWSAccountId: the AWS account owning the instance.';
COMMENT ON COLUMN connect_lake.ctr_events.awscontacttracerecordformatversion IS 'AWSContactTraceRecordFormatVersion, e.g. 2017-03-10.';
COMMENT ON COLUMN connect_lake.ctr_events.instancearn IS 'InstanceARN: the Amazon Connect instance.';
COMMENT ON COLUMN connect_lake.ctr_events.instanceid IS 'Instance id taken from InstanceARN (NULL when the ARN does not end in a UUID).';
COMMENT ON COLUMN connect_lake.ctr_events.initialcontactid IS 'InitialContactId: the first contact of a transfer chain.';
COMMENT ON COLUMN connect_lake.ctr_events.previouscontactid IS 'PreviousContactId: the contact this one was transferred from.';
COMMENT ON COLUMN connect_lake.ctr_events.nextcontactid IS 'NextContactId: the contact this one was transferred to.';
COMMENT ON COLUMN connect_lake.ctr_events.relatedcontactid IS 'RelatedContactId: a related contact (e.g. the task''s source contact).';
COMMENT ON COLUMN connect_lake.ctr_events.contactassociationid IS 'ContactAssociationId: groups contacts of one conversation.';
COMMENT ON COLUMN connect_lake.ctr_events.customerid IS 'CustomerId: the customer''s identifier (e.g. a Customer Profiles id).';
COMMENT ON COLUMN connect_lake.ctr_events.channel IS 'Channel: VOICE, CHAT, TASK, EMAIL (open-ended).';
COMMENT ON COLUMN connect_lake.ctr_events.initiationmethod IS 'InitiationMethod: INBOUND, OUTBOUND, TRANSFER, CALLBACK, API, ... (open-ended).';
COMMENT ON COLUMN connect_lake.ctr_events.disconnectreason IS 'DisconnectReason, e.g. CUSTOMER_DISCONNECT; NULL when none was recorded.';
COMMENT ON COLUMN connect_lake.ctr_events.answeringmachinedetectionstatus IS 'AnsweringMachineDetectionStatus of outbound campaign calls.';
COMMENT ON COLUMN connect_lake.ctr_events.name IS 'Name: the task''s name (tasks only).';
COMMENT ON COLUMN connect_lake.ctr_events.description IS 'Description: the task''s description (tasks only).';
COMMENT ON COLUMN connect_lake.ctr_events.connectedtosystemtimestamp IS 'ConnectedToSystemTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.disconnecttimestamp IS 'DisconnectTimestamp: when the contact ended.';
COMMENT ON COLUMN connect_lake.ctr_events.lastupdatetimestamp IS 'LastUpdateTimestamp: version of this record; the greatest wins.';
COMMENT ON COLUMN connect_lake.ctr_events.scheduledtimestamp IS 'ScheduledTimestamp: when a scheduled task was due.';
COMMENT ON COLUMN connect_lake.ctr_events.transfercompletedtimestamp IS 'TransferCompletedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.lastpausedtimestamp IS 'LastPausedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.lastresumedtimestamp IS 'LastResumedTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agentconnectionattempts IS 'AgentConnectionAttempts: times Connect tried to connect the contact to an agent.';
COMMENT ON COLUMN connect_lake.ctr_events.totalpausecount IS 'TotalPauseCount.';
COMMENT ON COLUMN connect_lake.ctr_events.totalpausedurationinseconds IS 'TotalPauseDurationInSeconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_arn IS 'Agent.ARN; NULL when no agent took the contact.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_id IS 'Agent id taken from Agent.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_username IS 'Agent.Username.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_connectedtoagentts IS 'Agent.ConnectedToAgentTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_acceptedbyagenttimestamp IS 'Agent.AcceptedByAgentTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_previewendtimestamp IS 'Agent.PreviewEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentinteractionduration IS 'Agent.AgentInteractionDuration, seconds of talk.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_customerholdduration IS 'Agent.CustomerHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_longestholdduration IS 'Agent.LongestHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkduration IS 'Agent.AfterContactWorkDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentpauseduration IS 'Agent.AgentPauseDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_agentinitiatedholdduration IS 'Agent.AgentInitiatedHoldDuration, seconds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_numberofholds IS 'Agent.NumberOfHolds.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkstarttimestamp IS 'Agent.AfterContactWorkStartTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_aftercontactworkendtimestamp IS 'Agent.AfterContactWorkEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_routingprofile_arn IS 'Agent.RoutingProfile.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_routingprofile_name IS 'Agent.RoutingProfile.Name.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level1_arn IS 'Agent.HierarchyGroups.Level1.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level1_groupname IS 'Agent.HierarchyGroups.Level1.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level2_arn IS 'Agent.HierarchyGroups.Level2.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level2_groupname IS 'Agent.HierarchyGroups.Level2.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level3_arn IS 'Agent.HierarchyGroups.Level3.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level3_groupname IS 'Agent.HierarchyGroups.Level3.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level4_arn IS 'Agent.HierarchyGroups.Level4.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level4_groupname IS 'Agent.HierarchyGroups.Level4.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level5_arn IS 'Agent.HierarchyGroups.Level5.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_hierarchygroups_level5_groupname IS 'Agent.HierarchyGroups.Level5.GroupName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_platformname IS 'Agent.DeviceInfo.PlatformName.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_platformversion IS 'Agent.DeviceInfo.PlatformVersion.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_deviceinfo_operatingsystem IS 'Agent.DeviceInfo.OperatingSystem.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_capabilities IS 'Agent.Capabilities as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.agent_statetransitions IS 'Agent.StateTransitions as a JSON array.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_arn IS 'Queue.ARN; NULL when the contact was never queued.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_id IS 'Queue id taken from Queue.ARN.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_name IS 'Queue.Name.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_enqueuetimestamp IS 'Queue.EnqueueTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_dequeuetimestamp IS 'Queue.DequeueTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.queue_duration IS 'Queue.Duration: seconds in queue.';
COMMENT ON COLUMN connect_lake.ctr_events.customerendpoint_address IS 'CustomerEndpoint.Address (personal data: a phone number or address).';
COMMENT ON COLUMN connect_lake.ctr_events.customerendpoint_type IS 'CustomerEndpoint.Type, e.g. TELEPHONE_NUMBER.';
COMMENT ON COLUMN connect_lake.ctr_events.systemendpoint_address IS 'SystemEndpoint.Address: the number the customer called.';
COMMENT ON COLUMN connect_lake.ctr_events.systemendpoint_type IS 'SystemEndpoint.Type.';
COMMENT ON COLUMN connect_lake.ctr_events.transferredtoendpoint_address IS 'TransferredToEndpoint.Address.';
COMMENT ON COLUMN connect_lake.ctr_events.transferredtoendpoint_type IS 'TransferredToEndpoint.Type.';
COMMENT ON COLUMN connect_lake.ctr_events.mediastreams IS 'MediaStreams as a JSON array.';
COMMENT ON COLUMN connect_lake.ctr_events.recording IS 'Recording object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.recordings IS 'Recordings as a JSON array (fragment numbers kept as strings).';
COMMENT ON COLUMN connect_lake.ctr_events.contact_references IS 'References as a JSON array (renamed: REFERENCES is an SQL keyword).';
COMMENT ON COLUMN connect_lake.ctr_events.campaign_campaignid IS 'Campaign.CampaignId.';
COMMENT ON COLUMN connect_lake.ctr_events.contactlens IS 'ContactLens object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics_agent_audio_qualityscore IS 'QualityMetrics.Agent.Audio.QualityScore (1.00-5.00).';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics_customer_audio_qualityscore IS 'QualityMetrics.Customer.Audio.QualityScore (1.00-5.00).';
COMMENT ON COLUMN connect_lake.ctr_events.qualitymetrics IS 'QualityMetrics object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.chatmetrics IS 'ChatMetrics object as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.customervoiceactivity_greetingstarttimestamp IS 'CustomerVoiceActivity.GreetingStartTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.customervoiceactivity_greetingendtimestamp IS 'CustomerVoiceActivity.GreetingEndTimestamp.';
COMMENT ON COLUMN connect_lake.ctr_events.disconnectdetails_potentialdisconnectissue IS 'DisconnectDetails.PotentialDisconnectIssue.';
COMMENT ON COLUMN connect_lake.ctr_events.segmentattributes IS 'SegmentAttributes map of typed values as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.routingcriteria IS 'RoutingCriteria as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.wisdominfo_sessionarn IS 'WisdomInfo.SessionArn.';
COMMENT ON COLUMN connect_lake.ctr_events.voiceidresult IS 'VoiceIdResult as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.contactevaluations IS 'ContactEvaluations as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.outboundstrategy IS 'OutboundStrategy as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.additionalemailrecipients IS 'AdditionalEmailRecipients as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.externalthirdparty IS 'ExternalThirdParty as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.contactdetails IS 'ContactDetails map (tasks) as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.tags IS 'Tags map as JSON.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes IS 'Attributes: every user-defined contact attribute, keys with their case kept (also keys that fill the same attributes_* column).';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_intent IS 'Contact attribute mapped by ctr_attribute_map (default key intent), spelt exactly or any way that flattens to the same name (Intent, INTENT). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_caseid IS 'Contact attribute mapped by ctr_attribute_map (default key caseId), spelt exactly or any way that flattens to the same name (CaseId, caseid): links the contact to a case. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_accountnumbers IS 'Contact attribute mapped by ctr_attribute_map (default key accountNumbers), spelt exactly or any way that flattens to the same name: comma or space separated account numbers. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_juniferid IS 'Contact attribute mapped by ctr_attribute_map (default key juniferId), spelt exactly or any way that flattens to the same name (JuniferID). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_agentrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.agentRating), spelt exactly or any way that flattens to the same name (csatResults_agentRating, CSATResults.AgentRating): post-contact survey rating of the agent; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_resolutionrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.resolutionRating), spelt exactly or any way that flattens to the same name: post-contact survey rating of the resolution; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.extra IS 'Every key of the record the mapping does not know, as JSON (nothing is lost when AWS adds fields).';
COMMENT ON COLUMN connect_lake.ctr_events.versions_seen IS 'How many versions of this contact have landed (re-deliveries and updates).';
COMMENT ON COLUMN connect_lake.ctr_events.source_file IS 'File the winning version came from; NULL when it came through ingest().';
COMMENT ON COLUMN connect_lake.ctr_events.source_offset IS 'Byte offset of the winning version in source_file (in the decompressed stream).';
COMMENT ON COLUMN connect_lake.ctr_events.landed_at IS 'When the winning version landed in the lake; NULL for a row inserted by hand from ctr_parse().';

-- Which contact attribute feeds which attributes_* column: configuration a
-- DBA edits without recompiling.  The defaults live in a view; the table holds
-- only the DBA's overrides, so it starts empty and pg_dump restores it without
-- colliding with rows the install script would otherwise have created.
CREATE TABLE connect_lake.ctr_attribute_map (
  column_name   name PRIMARY KEY,
  attribute_key text
);
COMMENT ON TABLE connect_lake.ctr_attribute_map IS
  'Overrides of which contact attribute key fills each attributes_* column of ctr_events (defaults: ctr_attribute_map_default). A key fills its column spelt exactly or any way that flattens to the same name, as the warehouse named columns (ASCII lower case, each run of other characters as _, trimmed: ctr_attribute_column()). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.attribute_key IS 'The contact attribute key whose value fills the column, spelt exactly (preferred) or any way that flattens to the same name; NULL leaves the column empty.';

CREATE VIEW connect_lake.ctr_attribute_map_default (column_name, attribute_key) AS
  VALUES ('attributes_intent'::name, 'intent'::text),
         ('attributes_caseid', 'caseId'),
         ('attributes_accountnumbers', 'accountNumbers'),
         ('attributes_juniferid', 'juniferId'),
         ('attributes_csatresults_agentrating', 'csatResults.agentRating'),
         ('attributes_csatresults_resolutionrating', 'csatResults.resolutionRating');
COMMENT ON VIEW connect_lake.ctr_attribute_map_default IS 'Built-in attribute keys of the attributes_* columns: each flattens to its column''s name, so the warehouse''s spellings of it fill the column too.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_default.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_default.attribute_key IS 'Default contact attribute key of the column.';

CREATE VIEW connect_lake.ctr_attribute_map_effective AS
  SELECT d.column_name, CASE WHEN m.column_name IS NULL THEN d.attribute_key ELSE m.attribute_key END AS attribute_key
    FROM connect_lake.ctr_attribute_map_default d
    LEFT JOIN connect_lake.ctr_attribute_map m USING (column_name);
COMMENT ON VIEW connect_lake.ctr_attribute_map_effective IS 'The attribute key each attributes_* column is filled from: the override when there is one, else the default.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_effective.column_name IS 'An attributes_* column of ctr_events.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map_effective.attribute_key IS 'The contact attribute key in force (NULL: not filled).';
SELECT pg_catalog.pg_extension_config_dump('connect_lake.ctr_attribute_map', '');

-- Dimensions maintained from CTRs as they land.
CREATE TABLE connect_lake.agent_dim (
  agent_id                    uuid PRIMARY KEY,
  agent_arn                   text NOT NULL,
  username                    text,
  routingprofile_arn          text,
  routingprofile_name         text,
  hierarchygroups             jsonb,
  first_seen                  timestamptz NOT NULL,
  last_seen                   timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.agent_dim IS 'Agents seen in CTRs: latest username, routing profile and hierarchy.';
COMMENT ON COLUMN connect_lake.agent_dim.agent_id IS 'Agent id (from the agent ARN).';
COMMENT ON COLUMN connect_lake.agent_dim.agent_arn IS 'Agent ARN.';
COMMENT ON COLUMN connect_lake.agent_dim.username IS 'Latest Agent.Username seen.';
COMMENT ON COLUMN connect_lake.agent_dim.routingprofile_arn IS 'Latest Agent.RoutingProfile.ARN seen.';
COMMENT ON COLUMN connect_lake.agent_dim.routingprofile_name IS 'Latest Agent.RoutingProfile.Name seen.';
COMMENT ON COLUMN connect_lake.agent_dim.hierarchygroups IS 'Latest Agent.HierarchyGroups seen (levels 1-5, ARN and name).';
COMMENT ON COLUMN connect_lake.agent_dim.first_seen IS 'Earliest contact initiation time of the agent seen in CTRs.';
COMMENT ON COLUMN connect_lake.agent_dim.last_seen IS 'Latest contact initiation time of the agent seen in CTRs.';

CREATE TABLE connect_lake.queue_dim (
  queue_id    uuid PRIMARY KEY,
  queue_arn   text NOT NULL,
  queue_name  text,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL
);
COMMENT ON TABLE connect_lake.queue_dim IS 'Queues seen in CTRs with their latest name (history in queue_name_history).';
COMMENT ON COLUMN connect_lake.queue_dim.queue_id IS 'Queue id (from the queue ARN).';
COMMENT ON COLUMN connect_lake.queue_dim.queue_arn IS 'Queue ARN.';
COMMENT ON COLUMN connect_lake.queue_dim.queue_name IS 'Latest Queue.Name seen.';
COMMENT ON COLUMN connect_lake.queue_dim.first_seen IS 'Earliest contact initiation time seen in this queue.';
COMMENT ON COLUMN connect_lake.queue_dim.last_seen IS 'Latest contact initiation time seen in this queue.';

CREATE TABLE connect_lake.queue_name_history (
  queue_id    uuid NOT NULL,
  queue_name  text NOT NULL,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  PRIMARY KEY (queue_id, queue_name)
);
COMMENT ON TABLE connect_lake.queue_name_history IS 'Every name a queue has carried, with when it was first and last seen.';
COMMENT ON COLUMN connect_lake.queue_name_history.queue_id IS 'Queue id (from the queue ARN).';
COMMENT ON COLUMN connect_lake.queue_name_history.queue_name IS 'A name the queue carried.';
COMMENT ON COLUMN connect_lake.queue_name_history.first_seen IS 'Earliest contact seen under this name.';
COMMENT ON COLUMN connect_lake.queue_name_history.last_seen IS 'Latest contact seen under this name.';

-- Contacts linked to customer account numbers.
CREATE TABLE connect_lake.contact_account (
  contactid        uuid NOT NULL,
  account          bigint NOT NULL,
  source           text NOT NULL,
  initiationtimestamp timestamptz NOT NULL,
  PRIMARY KEY (contactid, account)
);
CREATE INDEX contact_account_account_idx ON connect_lake.contact_account (account);
COMMENT ON TABLE connect_lake.contact_account IS 'One row per (contact, account number) from the account attributes of CTRs; joins contacts to case_events.account.';
COMMENT ON COLUMN connect_lake.contact_account.contactid IS 'ContactId of the CTR.';
COMMENT ON COLUMN connect_lake.contact_account.account IS 'A customer account number (or Junifer id) named by the contact, an integer as case_events.account; numbers that are not integers stay in the CTR''s attribute only.';
COMMENT ON COLUMN connect_lake.contact_account.source IS 'The ctr_events column the number came from (attributes_accountnumbers or attributes_juniferid).';
COMMENT ON COLUMN connect_lake.contact_account.initiationtimestamp IS 'InitiationTimestamp of the contact.';

SELECT pg_catalog.pg_extension_config_dump('connect_lake.agent_dim', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.queue_dim', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.queue_name_history', '');
SELECT pg_catalog.pg_extension_config_dump('connect_lake.contact_account', '');

-- Parsing.
--
-- ctr_parse(doc, attribute_map) depends on its arguments alone: IMMUTABLE,
-- for generated columns, indexes and Citus.  ctr_parse(doc) fills the
-- attributes_* columns from the configured map (ctr_attribute_map_effective),
-- so it reads a table: STABLE.  Both give the same row for the same map:
--   ctr_parse(doc) = ctr_parse(doc, connect_lake.ctr_attribute_map_json())
CREATE FUNCTION connect_lake.ctr_parse(doc jsonb, attribute_map jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_jsonb_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(jsonb, jsonb) IS
  'One contact trace record (jsonb) as a typed connect_lake.ctr row, the attributes_* columns filled by the given map {"attributes_intent": "intent", ...} (columns it does not name stay NULL). Depends only on its arguments.';

CREATE FUNCTION connect_lake.ctr_parse(doc text, attribute_map jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_text_map'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(text, jsonb) IS
  'One contact trace record as raw JSON text (as it lies in a file) as a typed connect_lake.ctr row, the attributes_* columns filled by the given map.';

CREATE FUNCTION connect_lake.ctr_parse(doc jsonb) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_jsonb'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(jsonb) IS
  'One contact trace record (jsonb) as a typed connect_lake.ctr row; unknown keys kept in extra; attributes_* columns by the configured ctr_attribute_map. Errors name the field and the contact id.';

CREATE FUNCTION connect_lake.ctr_parse(doc text) RETURNS connect_lake.ctr
  AS 'MODULE_PATHNAME', 'ctr_parse_text'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_parse(text) IS
  'One contact trace record as raw JSON text (as it lies in a file) as a typed connect_lake.ctr row; attributes_* columns by the configured ctr_attribute_map.';

CREATE FUNCTION connect_lake.ctr_attribute_column(key text) RETURNS text
  AS 'MODULE_PATHNAME', 'ctr_attribute_column'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_attribute_column(text) IS
  'The column the warehouse named after a contact attribute key: attributes_ || the key with ASCII letters lower-cased, each run of other characters (non-ASCII letters too) as _, trimmed of _ (csatResults.agentRating -> attributes_csatresults_agentrating); NULL when nothing is left. Keys that give the same column are spellings of one another for ctr_attribute_map.';

CREATE FUNCTION connect_lake.ctr_attribute_map_json() RETURNS jsonb
  LANGUAGE sql STABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $fn$
    SELECT jsonb_object_agg(column_name, attribute_key ORDER BY column_name)
      FROM connect_lake.ctr_attribute_map_effective
  $fn$;
COMMENT ON FUNCTION connect_lake.ctr_attribute_map_json() IS
  'The attribute map in force (ctr_attribute_map_effective) as the jsonb object ctr_parse(doc, attribute_map) takes.';

-- Parsers cache the configured map per session; editing it tells every
-- session (config_changed(), 00_schema.sql).
CREATE TRIGGER ctr_attribute_map_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connect_lake.ctr_attribute_map
  FOR EACH STATEMENT EXECUTE FUNCTION connect_lake.config_changed();

-- Streaming entry point: one record of any kind, landed like a file record.
CREATE FUNCTION connect_lake.ingest(kind text, doc jsonb) RETURNS text
  AS 'MODULE_PATHNAME', 'ingest'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest(text, jsonb) IS
  'Lands one record of a kind (ctr, ...) from a streaming pipeline: parsed as its kind''s parser does and written like load() (CTRs: the latest version wins). Returns inserted, updated or duplicate (loader role).';

CREATE FUNCTION connect_lake.ingest_batch(kind text, docs jsonb[], on_error text DEFAULT 'stop',
                                    OUT inserted bigint, OUT updated bigint, OUT duplicates bigint,
                                    OUT values_nulled bigint, OUT rejected bigint)
  AS 'MODULE_PATHNAME', 'ingest_batch'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION connect_lake.ingest_batch(text, jsonb[], text) IS
  'Lands a micro-batch of records of one kind (e.g. one Kinesis batch) in batched statements; returns how many were inserted, updated (newer CTR versions) and duplicates, how many values landed NULL because their column cannot hold them, kept raw beside (a case account that is not an integer), and how many records were rejected. on_error stop: a bad record fails the call; skip: bad records go to load_rejects (path ingest_batch(), line = element number) and the others land (loader role).';
