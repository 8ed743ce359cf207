#!/usr/bin/env bash
# Benchmark: CTRs held in a jsonb column -> the typed table, ctr_parse()
# against the plain-SQL way (doc->>'...' / doc#>>'{Agent,...}' casts for the
# same columns).  Standalone: builds and installs the extension (under the
# shared install lock), starts a throw-away cluster with pg_virtualenv,
# generates N realistic CTRs (default 200000) in SQL, times both ways twice,
# alternating, in one session, and prints the best of each and their ratio.
#
#   test/bench/ctr_parse.sh            N=200000
#   N=50000 test/bench/ctr_parse.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-200000}

exec 9>/tmp/connect_lake.install.lock
flock 9
make -C "$here" -s all >/dev/null
if [ "$(id -u)" = 0 ]; then make -C "$here" -s install >/dev/null; else sudo make -C "$here" -s install >/dev/null; fi

runas=()
[ "$(id -u)" = 0 ] && runas=(runuser -u postgres --)

sql=$(mktemp /tmp/connect_lake_bench.XXXXXX.sql)
trap 'rm -f "$sql"' EXIT
chmod 644 "$sql"
cat >"$sql" <<'EOF'
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION connect_lake;
SET TimeZone = 'UTC';
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- N realistic records, shaped like the published samples: agent and queue
-- (10% abandoned: Agent null), hierarchy with null levels, recordings,
-- endpoints, ten contact attributes, a few newer objects.
CREATE FUNCTION pg_temp.ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
CREATE TABLE docs (doc jsonb NOT NULL);
INSERT INTO docs
SELECT jsonb_build_object(
  'AWSAccountId', '123456789012',
  'AWSContactTraceRecordFormatVersion', '2017-03-10',
  'Agent', CASE WHEN i % 10 = 0 THEN NULL ELSE jsonb_build_object(
      'ARN', inst || '/agent/' || agent,
      'AfterContactWorkDuration', i % 120,
      'AfterContactWorkEndTimestamp', pg_temp.ts(t0 + interval '9 minutes'),
      'AfterContactWorkStartTimestamp', pg_temp.ts(t0 + interval '8 minutes'),
      'AgentInteractionDuration', 100 + i % 900,
      'ConnectedToAgentTimestamp', pg_temp.ts(t0 + interval '2 minutes'),
      'CustomerHoldDuration', i % 200,
      'HierarchyGroups', jsonb_build_object(
          'Level1', jsonb_build_object('ARN', inst || '/agent-group/' || md5('g1' || i % 3)::uuid, 'GroupName', 'Site ' || i % 3),
          'Level2', jsonb_build_object('ARN', inst || '/agent-group/' || md5('g2' || i % 12)::uuid, 'GroupName', 'Team ' || i % 12),
          'Level3', NULL, 'Level4', NULL, 'Level5', NULL),
      'LongestHoldDuration', i % 150,
      'NumberOfHolds', i % 3,
      'RoutingProfile', jsonb_build_object('ARN', inst || '/routing-profile/' || md5('rp' || i % 7)::uuid, 'Name', 'Profile ' || i % 7),
      'Username', 'agent.' || i % 500) END,
  'AgentConnectionAttempts', CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END,
  'AnsweringMachineDetectionStatus', NULL,
  'Attributes', jsonb_build_object(
      'intent', (ARRAY['billing', 'moving', 'complaint', 'meter'])[1 + i % 4],
      'caseId', 'case-' || i % 9000,
      'accountNumbers', 'A' || i % 70000 || ', A' || (i + 1) % 70000,
      'juniferId', 'J' || i % 50000,
      'csatResults.agentRating', (1 + i % 5)::text,
      'csatResults.resolutionRating', CASE WHEN i % 7 = 0 THEN 'None' ELSE (1 + i % 5)::text END,
      'greetingPlayed', 'true', 'PathCode', '8477597_002_' || i % 100, 'SurveyFlag', 'N', 'TodayContact', 'Y'),
  'Campaign', jsonb_build_object('CampaignId', NULL),
  'Channel', 'VOICE',
  'ConnectedToSystemTimestamp', pg_temp.ts(t0),
  'ContactDetails', '{}'::jsonb,
  'ContactId', cid,
  'CustomerEndpoint', jsonb_build_object('Address', '+4477009' || lpad((i % 100000)::text, 5, '0'), 'Type', 'TELEPHONE_NUMBER'),
  'DisconnectReason', 'CUSTOMER_DISCONNECT',
  'DisconnectTimestamp', pg_temp.ts(t0 + interval '8 minutes'),
  'InitialContactId', NULL,
  'InitiationMethod', 'INBOUND',
  'InitiationTimestamp', pg_temp.ts(t0),
  'InstanceARN', inst,
  'LastUpdateTimestamp', pg_temp.ts(t0 + interval '10 minutes'),
  'MediaStreams', '[{"Type": "AUDIO"}]'::jsonb,
  'NextContactId', NULL,
  'PreviousContactId', NULL,
  'Queue', jsonb_build_object('ARN', inst || '/queue/' || md5('q' || i % 40)::uuid,
      'DequeueTimestamp', pg_temp.ts(t0 + interval '2 minutes'), 'Duration', 60 + i % 300,
      'EnqueueTimestamp', pg_temp.ts(t0 + interval '30 seconds'), 'Name', 'Queue ' || i % 40),
  'Recording', jsonb_build_object('DeletionReason', NULL, 'Location', 'bucket/connect/CallRecordings/' || cid || '.wav',
      'Status', 'AVAILABLE', 'Type', 'AUDIO'),
  'Recordings', jsonb_build_array(jsonb_build_object('DeletionReason', NULL, 'FragmentStartNumber', NULL,
      'FragmentStopNumber', NULL, 'Location', 'bucket/connect/CallRecordings/' || cid || '.wav',
      'MediaStreamType', 'AUDIO', 'ParticipantType', NULL, 'StartTimestamp', NULL, 'Status', 'AVAILABLE',
      'StopTimestamp', NULL, 'StorageType', 'S3')),
  'References', '[]'::jsonb,
  'ScheduledTimestamp', NULL,
  'SystemEndpoint', jsonb_build_object('Address', '+443300000000', 'Type', 'TELEPHONE_NUMBER'),
  'TransferCompletedTimestamp', NULL,
  'TransferredToEndpoint', NULL,
  'QualityMetrics', jsonb_build_object('Agent', jsonb_build_object('Audio', jsonb_build_object('QualityScore', 3 + (i % 200) / 100.0))),
  'DisconnectDetails', jsonb_build_object('PotentialDisconnectIssue', NULL),
  'VoiceIdResult', NULL)
FROM generate_series(1, :N) AS i,
     LATERAL (SELECT md5(i::text)::uuid AS cid,
                     md5('agent' || i % 500)::uuid AS agent,
                     'arn:aws:connect:eu-west-2:123456789012:instance/0c1b7a3e-51f6-4d0a-9d7e-3c1f2a4b5c6d' AS inst,
                     '2024-01-01 00:00:00+00'::timestamptz + i * interval '13 seconds' AS t0) AS x;
VACUUM ANALYZE docs;

CREATE UNLOGGED TABLE out_parse OF connect_lake.ctr;
CREATE UNLOGGED TABLE out_sql OF connect_lake.ctr;

CREATE TEMP TABLE timing (way text, run int, ms numeric);
CREATE FUNCTION pg_temp.timed(way text, run int, q text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  EXECUTE format('TRUNCATE %s', CASE way WHEN 'ctr_parse' THEN 'out_parse' ELSE 'out_sql' END);
  t0 := clock_timestamp();
  EXECUTE q;
  INSERT INTO timing VALUES (way, run, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;

\set q_parse 'INSERT INTO out_parse SELECT c.* FROM docs, LATERAL connect_lake.ctr_parse(doc) AS c'
SELECT $q$
INSERT INTO out_sql (contactid, initiationtimestamp, awsaccountid, awscontacttracerecordformatversion, instancearn, instanceid,
  initialcontactid, previouscontactid, nextcontactid, relatedcontactid, contactassociationid, customerid, channel,
  initiationmethod, disconnectreason, answeringmachinedetectionstatus, name, description, connectedtosystemtimestamp,
  disconnecttimestamp, lastupdatetimestamp, scheduledtimestamp, transfercompletedtimestamp, lastpausedtimestamp,
  lastresumedtimestamp, agentconnectionattempts, totalpausecount, totalpausedurationinseconds,
  agent_arn, agent_id, agent_username, agent_connectedtoagentts, agent_acceptedbyagenttimestamp, agent_previewendtimestamp,
  agent_agentinteractionduration, agent_customerholdduration, agent_longestholdduration, agent_aftercontactworkduration,
  agent_agentpauseduration, agent_agentinitiatedholdduration, agent_numberofholds, agent_aftercontactworkstarttimestamp,
  agent_aftercontactworkendtimestamp, agent_routingprofile_arn, agent_routingprofile_name,
  agent_hierarchygroups_level1_arn, agent_hierarchygroups_level1_groupname, agent_hierarchygroups_level2_arn,
  agent_hierarchygroups_level2_groupname, agent_hierarchygroups_level3_arn, agent_hierarchygroups_level3_groupname,
  agent_hierarchygroups_level4_arn, agent_hierarchygroups_level4_groupname, agent_hierarchygroups_level5_arn,
  agent_hierarchygroups_level5_groupname, agent_deviceinfo_platformname, agent_deviceinfo_platformversion,
  agent_deviceinfo_operatingsystem, agent_capabilities, agent_statetransitions,
  queue_arn, queue_id, queue_name, queue_enqueuetimestamp, queue_dequeuetimestamp, queue_duration,
  customerendpoint_address, customerendpoint_type, systemendpoint_address, systemendpoint_type,
  transferredtoendpoint_address, transferredtoendpoint_type, mediastreams, recording, recordings, contact_references,
  campaign_campaignid, contactlens, qualitymetrics_agent_audio_qualityscore, qualitymetrics_customer_audio_qualityscore,
  qualitymetrics, chatmetrics, customervoiceactivity_greetingstarttimestamp, customervoiceactivity_greetingendtimestamp,
  disconnectdetails_potentialdisconnectissue, segmentattributes, routingcriteria, wisdominfo_sessionarn, voiceidresult,
  contactevaluations, outboundstrategy, additionalemailrecipients, externalthirdparty, contactdetails, tags, attributes,
  attributes_intent, attributes_caseid, attributes_accountnumbers, attributes_juniferid,
  attributes_csatresults_agentrating, attributes_csatresults_resolutionrating)
SELECT (doc->>'ContactId')::uuid, (doc->>'InitiationTimestamp')::timestamptz, doc->>'AWSAccountId',
  doc->>'AWSContactTraceRecordFormatVersion', doc->>'InstanceARN',
  substring(doc->>'InstanceARN' FROM '[0-9a-fA-F-]{36}$')::uuid,
  (doc->>'InitialContactId')::uuid, (doc->>'PreviousContactId')::uuid, (doc->>'NextContactId')::uuid,
  (doc->>'RelatedContactId')::uuid, doc->>'ContactAssociationId', doc->>'CustomerId', doc->>'Channel',
  doc->>'InitiationMethod', doc->>'DisconnectReason', doc->>'AnsweringMachineDetectionStatus', doc->>'Name',
  doc->>'Description', (doc->>'ConnectedToSystemTimestamp')::timestamptz, (doc->>'DisconnectTimestamp')::timestamptz,
  (doc->>'LastUpdateTimestamp')::timestamptz, (doc->>'ScheduledTimestamp')::timestamptz,
  (doc->>'TransferCompletedTimestamp')::timestamptz, (doc->>'LastPausedTimestamp')::timestamptz,
  (doc->>'LastResumedTimestamp')::timestamptz, (doc->>'AgentConnectionAttempts')::int, (doc->>'TotalPauseCount')::int,
  (doc->>'TotalPauseDurationInSeconds')::int,
  doc#>>'{Agent,ARN}', substring(doc#>>'{Agent,ARN}' FROM '[0-9a-fA-F-]{36}$')::uuid, doc#>>'{Agent,Username}',
  (doc#>>'{Agent,ConnectedToAgentTimestamp}')::timestamptz, (doc#>>'{Agent,AcceptedByAgentTimestamp}')::timestamptz,
  (doc#>>'{Agent,PreviewEndTimestamp}')::timestamptz, (doc#>>'{Agent,AgentInteractionDuration}')::int,
  (doc#>>'{Agent,CustomerHoldDuration}')::int, (doc#>>'{Agent,LongestHoldDuration}')::int,
  (doc#>>'{Agent,AfterContactWorkDuration}')::int, (doc#>>'{Agent,AgentPauseDuration}')::int,
  (doc#>>'{Agent,AgentInitiatedHoldDuration}')::int, (doc#>>'{Agent,NumberOfHolds}')::int,
  (doc#>>'{Agent,AfterContactWorkStartTimestamp}')::timestamptz, (doc#>>'{Agent,AfterContactWorkEndTimestamp}')::timestamptz,
  doc#>>'{Agent,RoutingProfile,ARN}', doc#>>'{Agent,RoutingProfile,Name}',
  doc#>>'{Agent,HierarchyGroups,Level1,ARN}', doc#>>'{Agent,HierarchyGroups,Level1,GroupName}',
  doc#>>'{Agent,HierarchyGroups,Level2,ARN}', doc#>>'{Agent,HierarchyGroups,Level2,GroupName}',
  doc#>>'{Agent,HierarchyGroups,Level3,ARN}', doc#>>'{Agent,HierarchyGroups,Level3,GroupName}',
  doc#>>'{Agent,HierarchyGroups,Level4,ARN}', doc#>>'{Agent,HierarchyGroups,Level4,GroupName}',
  doc#>>'{Agent,HierarchyGroups,Level5,ARN}', doc#>>'{Agent,HierarchyGroups,Level5,GroupName}',
  doc#>>'{Agent,DeviceInfo,PlatformName}', doc#>>'{Agent,DeviceInfo,PlatformVersion}',
  doc#>>'{Agent,DeviceInfo,OperatingSystem}', NULLIF(doc#>'{Agent,Capabilities}', 'null'),
  NULLIF(doc#>'{Agent,StateTransitions}', 'null'),
  doc#>>'{Queue,ARN}', substring(doc#>>'{Queue,ARN}' FROM '[0-9a-fA-F-]{36}$')::uuid, doc#>>'{Queue,Name}',
  (doc#>>'{Queue,EnqueueTimestamp}')::timestamptz, (doc#>>'{Queue,DequeueTimestamp}')::timestamptz,
  (doc#>>'{Queue,Duration}')::int,
  doc#>>'{CustomerEndpoint,Address}', doc#>>'{CustomerEndpoint,Type}', doc#>>'{SystemEndpoint,Address}',
  doc#>>'{SystemEndpoint,Type}', doc#>>'{TransferredToEndpoint,Address}', doc#>>'{TransferredToEndpoint,Type}',
  NULLIF(doc->'MediaStreams', 'null'), NULLIF(doc->'Recording', 'null'), NULLIF(doc->'Recordings', 'null'),
  NULLIF(doc->'References', 'null'), doc#>>'{Campaign,CampaignId}', NULLIF(doc->'ContactLens', 'null'),
  (doc#>>'{QualityMetrics,Agent,Audio,QualityScore}')::numeric(4,2),
  (doc#>>'{QualityMetrics,Customer,Audio,QualityScore}')::numeric(4,2),
  NULLIF(doc->'QualityMetrics', 'null'), NULLIF(doc->'ChatMetrics', 'null'),
  (doc#>>'{CustomerVoiceActivity,GreetingStartTimestamp}')::timestamptz,
  (doc#>>'{CustomerVoiceActivity,GreetingEndTimestamp}')::timestamptz,
  doc#>>'{DisconnectDetails,PotentialDisconnectIssue}', NULLIF(doc->'SegmentAttributes', 'null'),
  NULLIF(doc->'RoutingCriteria', 'null'), doc#>>'{WisdomInfo,SessionArn}', NULLIF(doc->'VoiceIdResult', 'null'),
  NULLIF(doc->'ContactEvaluations', 'null'), NULLIF(doc->'OutboundStrategy', 'null'),
  NULLIF(doc->'AdditionalEmailRecipients', 'null'), NULLIF(doc->'ExternalThirdParty', 'null'),
  NULLIF(doc->'ContactDetails', 'null'), NULLIF(doc->'Tags', 'null'), NULLIF(doc->'Attributes', 'null'),
  doc#>>'{Attributes,intent}', doc#>>'{Attributes,caseId}', doc#>>'{Attributes,accountNumbers}',
  doc#>>'{Attributes,juniferId}',
  CASE WHEN doc#>>'{Attributes,csatResults.agentRating}' ~ '^\s*-?[0-9]{1,9}\s*$'
       THEN (doc#>>'{Attributes,csatResults.agentRating}')::int END,
  CASE WHEN doc#>>'{Attributes,csatResults.resolutionRating}' ~ '^\s*-?[0-9]{1,9}\s*$'
       THEN (doc#>>'{Attributes,csatResults.resolutionRating}')::int END
  FROM docs
$q$ AS q_sql \gset

SELECT pg_temp.timed('ctr_parse', 1, :'q_parse');
SELECT pg_temp.timed('plain SQL', 1, :'q_sql');
SELECT pg_temp.timed('ctr_parse', 2, :'q_parse');
SELECT pg_temp.timed('plain SQL', 2, :'q_sql');

-- The two ways agree on every column they both fill.
SELECT count(*) AS rows_differing
  FROM out_parse p JOIN out_sql s USING (contactid)
 WHERE to_jsonb(p) - 'extra' - 'versions_seen' IS DISTINCT FROM to_jsonb(s) - 'extra' - 'versions_seen';

SELECT count(*) AS records, pg_size_pretty(pg_total_relation_size('docs')) AS docs_size,
       round(avg(octet_length(doc::text))) AS avg_record_bytes
  FROM docs;
SELECT way, min(ms)::numeric(10,0) AS best_ms, round(count(*)::numeric) AS runs FROM timing GROUP BY way ORDER BY way;
SELECT 'ctr_parse vs plain SQL: ' ||
       round((SELECT min(ms) FROM timing WHERE way = 'plain SQL') / (SELECT min(ms) FROM timing WHERE way = 'ctr_parse'), 2)
       || 'x faster' AS ratio;
EOF

"${runas[@]}" pg_virtualenv -v 15 psql -X -q -v N="$N" -f "$sql" 2>&1 | grep -v "^-*\$\|^ timed \$\|^ *\$\|^(1 row)\$\|^(2 rows)\$" || true
