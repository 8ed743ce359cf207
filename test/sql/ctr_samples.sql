-- Published contact trace records (../shared/samples, see SOURCES.md there)
-- parse and land.  Skipped when $CONNECT_LAKE_SAMPLES is not set or holds no
-- samples (expected/ctr_samples_1.out is the skipped run's output).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\getenv samples CONNECT_LAKE_SAMPLES
\if :{?samples}
\else
\set samples /nonexistent
\endif
SELECT (pg_stat_file(:'samples' || '/ctr_workshop_b64_abandoned_agent_null_2018.json', true)).size IS NOT NULL AS have_samples \gset
\if :have_samples
CREATE TEMP TABLE sample AS
SELECT f AS file, pg_read_file(:'samples' || '/' || f) AS raw
  FROM unnest('{ctr_kyopark_pretty_1.json,ctr_kyopark_case1_first_delivery.json,ctr_kyopark_case2_update.json,ctr_workshop_b64_abandoned_agent_null_2018.json}'::text[]) AS f;
-- Each parses, from jsonb and from raw text alike.
SELECT s.file, c.contactid, c.channel, c.initiationmethod, c.agent_username, c.agent_id, c.queue_name,
       c.lastupdatetimestamp, c.extra
  FROM sample s, connect_lake.ctr_parse(s.raw::jsonb) c ORDER BY s.file;
SELECT s.file, to_jsonb(connect_lake.ctr_parse(s.raw)) = to_jsonb(connect_lake.ctr_parse(s.raw::jsonb)) AS text_equals_jsonb
  FROM sample s ORDER BY s.file;
-- Nothing is lost: every key of each sample is a column or in extra.
SELECT s.file, k.key AS unmapped_key
  FROM sample s, jsonb_object_keys(s.raw::jsonb) AS k(key)
 WHERE k.key NOT IN ('AWSAccountId', 'AWSContactTraceRecordFormatVersion', 'Agent', 'AgentConnectionAttempts',
                     'AnsweringMachineDetectionStatus', 'Attributes', 'Campaign', 'Channel', 'ConnectedToSystemTimestamp',
                     'ContactDetails', 'ContactId', 'CustomerEndpoint', 'DisconnectReason', 'DisconnectTimestamp',
                     'InitialContactId', 'InitiationMethod', 'InitiationTimestamp', 'InstanceARN', 'LastUpdateTimestamp',
                     'MediaStreams', 'NextContactId', 'PreviousContactId', 'Queue', 'Recording', 'Recordings', 'References',
                     'ScheduledTimestamp', 'SystemEndpoint', 'TransferCompletedTimestamp', 'TransferredToEndpoint',
                     'VoiceIdResult')
 ORDER BY 1, 2;
SELECT c.agent_hierarchygroups_level2_groupname, c.agent_hierarchygroups_level3_arn, c.recordings->0->>'StorageType' AS storage,
       c.transferredtoendpoint_address, c.attributes->>'PathCode' AS pathcode
  FROM sample s, connect_lake.ctr_parse(s.raw::jsonb) c WHERE s.file = 'ctr_kyopark_pretty_1.json';
-- The update delivered first, then the first delivery twice (pretty-printed
-- and on one line, same LastUpdateTimestamp): the update stays.
SELECT s.file, connect_lake.ingest('ctr', s.raw::jsonb) AS outcome
  FROM sample s, unnest('{ctr_kyopark_case2_update.json,ctr_kyopark_case1_first_delivery.json,ctr_kyopark_pretty_1.json,ctr_workshop_b64_abandoned_agent_null_2018.json}'::text[]) WITH ORDINALITY AS o(f, n)
 WHERE s.file = o.f ORDER BY o.n;
SELECT contactid, lastupdatetimestamp, attributes->>'greetingPlayed' AS greeting_played, versions_seen, agent_id IS NULL AS no_agent
  FROM connect_lake.ctr_events
 WHERE contactid IN (SELECT (raw::jsonb->>'ContactId')::uuid FROM sample)
 ORDER BY initiationtimestamp;
SELECT username, routingprofile_name, jsonb_pretty(hierarchygroups) AS hierarchygroups, first_seen, last_seen
  FROM connect_lake.agent_dim
 WHERE agent_arn IN (SELECT raw::jsonb#>>'{Agent,ARN}' FROM sample);
SELECT queue_name, first_seen, last_seen FROM connect_lake.queue_dim
 WHERE queue_arn IN (SELECT raw::jsonb#>>'{Queue,ARN}' FROM sample)
 ORDER BY first_seen;
-- Leave the lake empty for the tests that follow.
TRUNCATE connect_lake.ctr_events, connect_lake.agent_dim, connect_lake.queue_dim,
         connect_lake.queue_name_history, connect_lake.contact_account;
\else
\echo 'samples not found: skipped'
\endif
