-- Contact trace records: ctr_parse(), the attribute map, ingest() and the
-- row writer (latest version wins), dimensions and account links.
-- Timestamps are shown in UTC; the session zone is set elsewhere on purpose:
-- parsing must not depend on it.
SET TimeZone = 'America/New_York';
SET DateStyle = 'ISO, YMD';
\set SHOW_CONTEXT always

CREATE TEMP TABLE doc (name text PRIMARY KEY, doc jsonb NOT NULL);

-- A record with every mapped field (and a few keys the mapping does not know).
INSERT INTO doc VALUES ('full', $${
  "AWSAccountId": "123456789012",
  "AWSContactTraceRecordFormatVersion": "2017-03-10",
  "InstanceARN": "arn:aws:connect:eu-west-2:123456789012:instance/0c1b7a3e-51f6-4d0a-9d7e-3c1f2a4b5c6d",
  "ContactId": "a1b2c3d4-0001-4000-8000-000000000001",
  "InitialContactId": "a1b2c3d4-0000-4000-8000-000000000000",
  "PreviousContactId": "a1b2c3d4-0000-4000-8000-000000000000",
  "NextContactId": "A1B2C3D4-0002-4000-8000-000000000002",
  "RelatedContactId": null,
  "ContactAssociationId": "assoc-1",
  "CustomerId": "cust-42",
  "Channel": "VOICE",
  "InitiationMethod": "INBOUND",
  "DisconnectReason": "CUSTOMER_DISCONNECT",
  "AnsweringMachineDetectionStatus": null,
  "Name": "Billing call",
  "Description": "About a bill",
  "InitiationTimestamp": "2024-03-01T09:00:00Z",
  "ConnectedToSystemTimestamp": "2024-03-01T09:00:01.5Z",
  "DisconnectTimestamp": "2024-03-01T10:15:00+01:00",
  "LastUpdateTimestamp": "2024-03-01T09:20:00.123456Z",
  "ScheduledTimestamp": null,
  "TransferCompletedTimestamp": "2024-03-01T09:10:00Z",
  "LastPausedTimestamp": "2024-03-01T09:05:00Z",
  "LastResumedTimestamp": "2024-03-01T09:06:00Z",
  "AgentConnectionAttempts": 1,
  "TotalPauseCount": 1,
  "TotalPauseDurationInSeconds": 60,
  "Agent": {
    "ARN": "arn:aws:connect:eu-west-2:123456789012:instance/0c1b7a3e-51f6-4d0a-9d7e-3c1f2a4b5c6d/agent/b0000000-0000-4000-8000-000000000001",
    "Username": "jo.bloggs",
    "ConnectedToAgentTimestamp": "2024-03-01T09:02:00Z",
    "AcceptedByAgentTimestamp": "2024-03-01T09:01:58Z",
    "PreviewEndTimestamp": null,
    "AgentInteractionDuration": 600,
    "CustomerHoldDuration": 30,
    "LongestHoldDuration": 20,
    "AfterContactWorkDuration": 45,
    "AgentPauseDuration": 60,
    "AgentInitiatedHoldDuration": 10,
    "NumberOfHolds": 2,
    "AfterContactWorkStartTimestamp": "2024-03-01T09:12:00Z",
    "AfterContactWorkEndTimestamp": "2024-03-01T09:12:45Z",
    "RoutingProfile": {"ARN": "arn:aws:connect:eu-west-2:123456789012:instance/0c1b7a3e-51f6-4d0a-9d7e-3c1f2a4b5c6d/routing-profile/rp-1", "Name": "Billing"},
    "HierarchyGroups": {
      "Level1": {"ARN": "arn:hg/1", "GroupName": "UK"},
      "Level2": {"ARN": "arn:hg/2", "GroupName": "Leeds"},
      "Level3": {"ARN": "arn:hg/3", "GroupName": "Team A"},
      "Level4": null,
      "Level5": {"ARN": "arn:hg/5", "GroupName": "Pod 5"}
    },
    "DeviceInfo": {"PlatformName": "Chrome", "PlatformVersion": "120", "OperatingSystem": "Windows"},
    "Capabilities": {"Video": "SEND"},
    "StateTransitions": [{"stateStartTimestamp": "2024-03-01T09:05:00Z", "stateEndTimestamp": "2024-03-01T09:06:00Z", "state": "PAUSED"}],
    "NewAgentThing": "kept in extra"
  },
  "Queue": {
    "ARN": "arn:aws:connect:eu-west-2:123456789012:instance/0c1b7a3e-51f6-4d0a-9d7e-3c1f2a4b5c6d/queue/c0000000-0000-4000-8000-000000000001",
    "Name": "Billing",
    "EnqueueTimestamp": "2024-03-01T09:00:30Z",
    "DequeueTimestamp": "2024-03-01T09:02:00Z",
    "Duration": 90
  },
  "CustomerEndpoint": {"Address": "+447700900001", "Type": "TELEPHONE_NUMBER"},
  "SystemEndpoint": {"Address": "+443300000000", "Type": "TELEPHONE_NUMBER"},
  "TransferredToEndpoint": {"Address": "+443300000001", "Type": "TELEPHONE_NUMBER"},
  "MediaStreams": [{"Type": "AUDIO"}],
  "Recording": {"DeletionReason": null, "Location": "bucket/rec.wav", "Status": "AVAILABLE", "Type": "AUDIO"},
  "Recordings": [{"FragmentStartNumber": "91343852333181432392682062607743920146264440", "Location": "bucket/rec.wav", "StorageType": "S3"}],
  "References": [{"Name": "ticket", "Type": "URL", "Value": "https://example.com/t/1"}],
  "Campaign": {"CampaignId": "camp-1"},
  "ContactLens": {"ConversationalAnalytics": {"Configuration": {"Enabled": true}}},
  "QualityMetrics": {"Agent": {"Audio": {"QualityScore": 4.567, "PotentialQualityIssues": []}}, "Customer": {"Audio": {"QualityScore": 3}}},
  "ChatMetrics": null,
  "CustomerVoiceActivity": {"GreetingStartTimestamp": "2024-03-01T09:02:00.250Z", "GreetingEndTimestamp": "2024-03-01T09:02:03.750Z"},
  "DisconnectDetails": {"PotentialDisconnectIssue": "AGENT_CONNECTIVITY_ISSUE"},
  "SegmentAttributes": {"connect:Subtype": {"ValueString": "connect:Telephony"}},
  "RoutingCriteria": {"Steps": []},
  "WisdomInfo": {"SessionArn": "arn:wisdom/1"},
  "VoiceIdResult": null,
  "ContactEvaluations": {},
  "OutboundStrategy": null,
  "AdditionalEmailRecipients": null,
  "ExternalThirdParty": null,
  "ContactDetails": {},
  "Tags": {"aws:connect:instanceId": "0c1b7a3e"},
  "Attributes": {"intent": "billing", "caseId": "case-77", "accountNumbers": "1001, 1002  1003,, ACC-4", "juniferId": "909",
                 "csatResults.agentRating": "5", "csatResults.resolutionRating": " 4 ", "Intent": "other case", "greetingPlayed": "true"},
  "BrandNewTopLevel": {"Nested": [1, 2]},
  "CustomerVoiceActivity2": 7
}$$);

-- Every field group, one column per line.
\x on
SELECT * FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
\x off

-- Timestamps: fractions, Z or an offset, never the session's zone.
SELECT c.initiationtimestamp AT TIME ZONE 'UTC' AS initiation_utc,
       c.connectedtosystemtimestamp AT TIME ZONE 'UTC' AS connected_utc,
       c.disconnecttimestamp AT TIME ZONE 'UTC' AS disconnect_utc,
       c.lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full')) c;
SET TimeZone = 'Asia/Kolkata';
SELECT (connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'))).initiationtimestamp
     = '2024-03-01 09:00:00+00' AS same_instant_in_any_zone;
SET TimeZone = 'America/New_York';

-- The text parser (a tape, as files are read) gives the same row.
SELECT to_jsonb(connect_lake.ctr_parse(doc::text)) = to_jsonb(connect_lake.ctr_parse(doc)) AS text_equals_jsonb
  FROM doc WHERE name = 'full';

-- Agent null, Queue null, missing keys (an old 2018 record): columns NULL, nothing in extra.
INSERT INTO doc VALUES ('minimal', $${
  "ContactId": "a1b2c3d4-0009-4000-8000-000000000009",
  "InitiationTimestamp": "2018-11-02T07:00:12Z",
  "Agent": null, "Queue": null, "Recording": null, "Recordings": null,
  "TransferredToEndpoint": null, "Attributes": {}
}$$);
SELECT contactid, initiationtimestamp AT TIME ZONE 'UTC' AS initiation_utc,
       agent_arn, agent_id, agent_username, agent_hierarchygroups_level1_groupname,
       queue_arn, queue_id, queue_name, recording, attributes, attributes_intent, extra
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'minimal'));
-- Single hierarchy levels null, a whole HierarchyGroups null, Campaign with a null id.
SELECT agent_hierarchygroups_level1_arn, agent_hierarchygroups_level2_arn, campaign_campaignid, extra
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0009-4000-8000-000000000009",
    "InitiationTimestamp": "2018-11-02T07:00:12Z",
    "Agent": {"ARN": "arn:x/agent/not-a-uuid", "HierarchyGroups": null}, "Campaign": {"CampaignId": null}}'::jsonb);
-- An ARN that does not end in a UUID: the ARN column keeps it, the id is NULL.
SELECT agent_arn, agent_id
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0009-4000-8000-000000000009",
    "InitiationTimestamp": "2018-11-02T07:00:12Z", "Agent": {"ARN": "arn:x/agent/not-a-uuid"}}'::jsonb);

-- Unknown keys are kept in extra with their path: top level, inside a known
-- object, and inside an unknown object (kept whole).
SELECT jsonb_pretty(extra) AS extra
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
-- Keys inside objects kept whole as jsonb are not duplicated into extra.
SELECT contactlens, extra IS NULL AS nothing_extra
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0009-4000-8000-000000000009",
    "InitiationTimestamp": "2018-11-02T07:00:12Z", "ContactLens": {"Whatever": {"Deep": 1}}}'::jsonb);

-- Bad input: an error with an errcode, the field's path and the contact id.
SELECT connect_lake.ctr_parse('[1, 2]'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('"a string"'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"InitiationTimestamp": "2024-03-01T09:00:00Z"}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "not-a-uuid", "InitiationTimestamp": "2024-03-01T09:00:00Z"}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01 09:00"}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-02-30T09:00:00Z"}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
                                "Agent": {"AgentInteractionDuration": "600"}}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
                                "Queue": {"Duration": 1.5}}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
                                "Queue": "Billing"}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
                                "Channel": {"x": 1}}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": 1709283600}'::jsonb);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- Raw text: invalid JSON names the byte offset.
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001",'::text);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001"} {}'::text);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- A text that is one scalar: json-c's answer (it takes "5 " but not "5"), as before the tape parser.
SELECT connect_lake.ctr_parse('5'::text);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('true'::text);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT connect_lake.ctr_parse('5 '::text);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- One call site reads every row's text with the same tape and json-c
-- tokener, kept in fn_extra: texts the tape takes and texts it leaves to
-- json-c (an integer at int64's end) in turn, surrogate pairs in both, a
-- large text between small ones; each row as the same record given as jsonb.
SELECT n, c.contactid, CASE WHEN length(c.name) > 100 THEN length(c.name) || ' characters' ELSE c.name END AS name,
       to_jsonb(c) = to_jsonb(connect_lake.ctr_parse(d::jsonb)) AS same_as_jsonb
  FROM (VALUES
    (1, '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "\ud83d\ude00 tape"}'),
    (2, '{"Big": 9223372036854775807, "ContactId": "a1b2c3d4-0001-4000-8000-000000000002", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "\ud83d\ude00 json-c"}'),
    (3, '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000003", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "tape again"}'),
    (4, '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000004", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "' || repeat('x', 100000) || '", "Attributes": {"intent": "large", "List": "' || repeat('1,', 70000) || '1"}, "Recordings": [' || repeat('{"Location": "a"},', 70000) || '{}]}'),
    (5, '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000005", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "small after large", "Attributes": {"intent": "small"}}'),
    (6, '{"Big": 9223372036854775807, "ContactId": "a1b2c3d4-0001-4000-8000-000000000006", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "json-c again"}'),
    (7, '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000007", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Name": "\ud83d\ude00 tape last"}')
  ) AS t(n, d), LATERAL connect_lake.ctr_parse(d) AS c
 ORDER BY n;

-- The attribute map: defaults, a rating that is not an integer, edits.
SELECT * FROM connect_lake.ctr_attribute_map_effective ORDER BY column_name;
SELECT connect_lake.ctr_attribute_map_json();
SELECT attributes_intent, attributes_caseid, attributes_accountnumbers, attributes_juniferid,
       attributes_csatresults_agentrating AS agent_rating, attributes_csatresults_resolutionrating AS resolution_rating
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
-- "None" and "" are not ratings: the column is NULL, attributes keeps the value.
SELECT attributes_csatresults_agentrating AS agent_rating, attributes_csatresults_resolutionrating AS resolution_rating,
       attributes
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
    "Attributes": {"csatResults.agentRating": "None", "csatResults.resolutionRating": ""}}'::jsonb);
SELECT attributes_csatresults_agentrating AS agent_rating, attributes_csatresults_resolutionrating AS resolution_rating
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
    "Attributes": {"csatResults.agentRating": "4.5", "csatResults.resolutionRating": "99999999999"}}'::jsonb);
-- Attributes that are not an object are kept, and fill nothing.
SELECT attributes, attributes_intent
  FROM connect_lake.ctr_parse('{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z",
    "Attributes": "odd"}'::jsonb);
-- A DBA points intent at another key (Intent: spelt exactly, it wins over
-- intent, which flattens to the same name), drops juniferId, and points the
-- agent rating at a key this record does not have.
INSERT INTO connect_lake.ctr_attribute_map VALUES ('attributes_intent', 'Intent'), ('attributes_juniferid', NULL);
SELECT attributes_intent, attributes_juniferid
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
UPDATE connect_lake.ctr_attribute_map SET attribute_key = 'greetingPlayed' WHERE column_name = 'attributes_intent';
INSERT INTO connect_lake.ctr_attribute_map VALUES ('attributes_csatresults_agentrating', 'csat_agent_rating');
SELECT attributes_intent, attributes_juniferid, attributes_csatresults_agentrating AS agent_rating
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
SELECT * FROM connect_lake.ctr_attribute_map_effective ORDER BY column_name;
-- In one transaction: the edit is seen at once, and a rollback restores it.
BEGIN;
DELETE FROM connect_lake.ctr_attribute_map;
SELECT attributes_intent, attributes_juniferid FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
ROLLBACK;
SELECT attributes_intent, attributes_juniferid FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
DELETE FROM connect_lake.ctr_attribute_map;
SELECT attributes_intent, attributes_juniferid FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'));
-- The IMMUTABLE form takes the map as an argument; it is the whole map.
SELECT attributes_intent, attributes_caseid, attributes_csatresults_agentrating AS agent_rating
  FROM connect_lake.ctr_parse((SELECT doc FROM doc WHERE name = 'full'),
                              '{"attributes_intent": "Intent", "attributes_csatresults_agentrating": "csatResults.agentRating"}');
SELECT to_jsonb(connect_lake.ctr_parse(doc, connect_lake.ctr_attribute_map_json()))
     = to_jsonb(connect_lake.ctr_parse(doc)) AS same_as_configured,
       to_jsonb(connect_lake.ctr_parse(doc::text, connect_lake.ctr_attribute_map_json()))
     = to_jsonb(connect_lake.ctr_parse(doc)) AS text_same_as_configured
  FROM doc WHERE name = 'full';
SELECT p.oid::regprocedure AS function, p.provolatile AS volatility, p.proparallel AS parallel
  FROM pg_proc p WHERE p.pronamespace = 'connect_lake'::regnamespace AND p.proname LIKE 'ctr_%'
 ORDER BY 1;
SELECT connect_lake.ctr_parse('{}'::jsonb, '{"attributes_nope": "x"}');
SELECT connect_lake.ctr_parse('{}'::jsonb, '{"attributes_intent": 1}');
SELECT connect_lake.ctr_parse('{}'::jsonb, '["attributes_intent"]');

-- Attribute keys flattened as the warehouse flattened them into column
-- names: ASCII letters lower-cased, each run of other characters as one '_',
-- '_' trimmed from both ends.  Non-ASCII letters are other characters (lower()
-- under COLLATE "C" changes ASCII only; the Kelvin sign U&'\212A' is not a k).
SELECT k AS key, connect_lake.ctr_attribute_column(k) AS column_name,
       connect_lake.ctr_attribute_column(k) IS NOT DISTINCT FROM
         'attributes_' || nullif(trim(BOTH '_' FROM regexp_replace(lower(k COLLATE "C"), '[^a-z0-9]+', '_', 'g')), '')
         AS same_as_sql
  FROM unnest(ARRAY['csatResults.agentRating', 'csatResults_agentRating', 'CSATResults.AgentRating',
                    '..csat--Results__.agent Rating!', '_intent_', 'A1-2B', 'Intént', 'ïntent', 'intent™',
                    U&'\212A', '...', '', 'case_id']) AS k;

-- A column takes its mapped key spelt exactly, else the first key in byte
-- order (COLLATE "C": upper case first, a prefix first) that flattens to the
-- same name; whatever order the record lists its keys in.  The raw text
-- (the loader's tape) and jsonb parsers agree on every row.
CREATE FUNCTION pg_temp.ctr_doc(attrs text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT '{"ContactId": "a1b2c3d4-0001-4000-8000-000000000001", "InitiationTimestamp": "2024-03-01T09:00:00Z", "Attributes": '
               || attrs || '}' $$;
CREATE TEMP TABLE spelt (n int PRIMARY KEY, name text NOT NULL, attrs text NOT NULL);
INSERT INTO spelt VALUES
  (1, 'spelling 1', '{"csatResults.agentRating": "1"}'),
  (2, 'spelling 2', '{"csatResults_agentRating": "2"}'),
  (3, 'spelling 3', '{"CSATResults.AgentRating": "3"}'),
  (4, 'mapped key spelt exactly', '{"csatresults_agentrating": "1", "CSATResults.AgentRating": "2", "csatResults.agentRating": "3", "INTENT": "INTENT", "intent": "intent"}'),
  (5, 'the same, reordered', '{"intent": "intent", "csatResults.agentRating": "3", "INTENT": "INTENT", "CSATResults.AgentRating": "2", "csatresults_agentrating": "1"}'),
  (6, 'first in byte order', '{"intent_": "intent_", "Intent": "Intent", "INTENT": "INTENT", "caseid": "caseid", "CaseID": "CaseID"}'),
  (7, 'the same, reordered', '{"CaseID": "CaseID", "INTENT": "INTENT", "caseid": "caseid", "Intent": "Intent", "intent_": "intent_"}'),
  (8, 'punctuation at the ends, runs', '{"..Intent!!": "..Intent!!", "__CaseID--": "__CaseID--", "--JuniferID ": "--JuniferID ", "csatResults...agentRating": "4"}'),
  (9, 'a separator inside is kept', '{"in_tent": "in_tent", "case_id": "case_id", "Junifer Id": "Junifer Id", "csat.results.agent.rating": "5"}'),
  (10, 'non-ASCII letters separate', '{"intent™": "intent™", "Ïntent": "Ïntent", "caseÍd": "caseÍd", "\u00a0juniferId": "nbsp juniferId"}'),
  (11, 'punctuation alone', '{"...": "...", "": "empty", "™": "™", "_": "_"}'),
  (12, 'a key twice: the last', '{"intent": "first", "intent": "last"}'),
  (13, 'key first, then value', '{"csatResults.agentRating": "None", "csatresults_agentrating": "4"}');
SELECT s.n, s.name, p.attributes_intent AS intent, p.attributes_caseid AS caseid,
       p.attributes_juniferid AS juniferid, p.attributes_csatresults_agentrating AS agent_rating,
       to_jsonb(t) = to_jsonb(p) AS text_agrees
  FROM spelt s,
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(s.attrs)::jsonb) p,
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(s.attrs)) t
 ORDER BY s.n;
-- attributes keeps every key, those that lost included.
SELECT s.n, p.attributes
  FROM spelt s, LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(s.attrs)::jsonb) p
 WHERE s.n IN (4, 6, 11, 13) ORDER BY s.n;

-- An explicit entry wins over the default rule: the column takes the DBA's
-- key (and its spellings) and no longer intent's.  NULL: no key fills it.
INSERT INTO connect_lake.ctr_attribute_map VALUES ('attributes_intent', 'callReason');
SELECT x.name, p.attributes_intent, t.attributes_intent AS from_text
  FROM (VALUES (1, 'intent only', '{"intent": "intent"}'),
               (2, 'spellings of callReason', '{"intent": "intent", "call_reason": "call_reason", "CallReason": "CallReason", "CALLREASON": "CALLREASON"}'),
               (3, 'callReason spelt exactly', '{"intent": "intent", "CallReason": "CallReason", "callReason": "callReason"}')) AS x(n, name, attrs),
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(x.attrs)::jsonb) p,
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(x.attrs)) t
 ORDER BY x.n;
UPDATE connect_lake.ctr_attribute_map SET attribute_key = NULL WHERE column_name = 'attributes_intent';
SELECT attributes_intent FROM connect_lake.ctr_parse(pg_temp.ctr_doc('{"intent": "intent", "Intent": "Intent"}')::jsonb);
DELETE FROM connect_lake.ctr_attribute_map;
-- A mapped key that flattens to nothing matches itself only.
SELECT x.attrs, p.attributes_intent
  FROM (VALUES (1, '{"...": "dots", "--": "dashes", "intent": "intent"}'), (2, '{"--": "dashes"}')) AS x(n, attrs),
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc(x.attrs)::jsonb, '{"attributes_intent": "..."}') p
 ORDER BY x.n;
-- A map that changes from row to row is read again for each change.
SELECT x.map, p.attributes_intent
  FROM (VALUES (1, '{"attributes_intent": "intent"}'), (2, '{"attributes_intent": "CALLREASON"}'),
               (3, '{"attributes_intent": "CALLREASON"}'), (4, '{"attributes_intent": "intent"}'),
               (5, '{"attributes_intent": null}')) AS x(n, map),
       LATERAL connect_lake.ctr_parse(pg_temp.ctr_doc('{"Intent": "Intent", "callReason": "callReason"}')::jsonb, x.map::jsonb) p
 ORDER BY x.n;

-- The rule written in SQL, checked on 2,000 records made of random subsets
-- of spellings of the mapped keys (most records have a collision):
-- ctr_parse() fills every column as the SQL picks, from jsonb and from text.
CREATE FUNCTION pg_temp.flat(k text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT trim(BOTH '_' FROM regexp_replace(lower(k COLLATE "C"), '[^a-z0-9]+', '_', 'g')) $$;
CREATE TEMP TABLE spellings AS
SELECT i, (SELECT jsonb_object_agg(k, ((i + o) % 5 + 1)::text)
             FROM unnest(ARRAY['intent', 'Intent', 'INTENT', 'intent_', '_intent', 'in.tent', 'intent™',
                               'caseId', 'CaseId', 'caseid', 'case_id', 'CASEID.',
                               'csatResults.agentRating', 'csatResults_agentRating', 'CSATResults.AgentRating',
                               'csatresults_agentrating', 'csat.results.agent.rating',
                               'juniferId', 'JUNIFER-ID', '~juniferid~']) WITH ORDINALITY AS u(k, o)
            WHERE get_bit(decode(md5(i::text), 'hex'), o::int) = 1) AS attrs
  FROM generate_series(1, 2000) AS i;
WITH want AS (
  SELECT s.i, m.column_name,
         (SELECT a.value FROM jsonb_each_text(s.attrs) AS a
           WHERE a.key = m.attribute_key
              OR (pg_temp.flat(a.key) = pg_temp.flat(m.attribute_key) AND pg_temp.flat(a.key) <> '')
           ORDER BY a.key = m.attribute_key DESC, a.key COLLATE "C" LIMIT 1) AS value,
         (SELECT count(*) FROM jsonb_each_text(s.attrs) AS a
           WHERE a.key = m.attribute_key OR pg_temp.flat(a.key) = pg_temp.flat(m.attribute_key)) AS candidates
    FROM spellings s, connect_lake.ctr_attribute_map_effective m
   WHERE s.attrs IS NOT NULL
), got AS (
  SELECT s.i, to_jsonb(connect_lake.ctr_parse(pg_temp.ctr_doc(s.attrs::text)::jsonb)) AS p,
              to_jsonb(connect_lake.ctr_parse(pg_temp.ctr_doc(s.attrs::text))) AS t
    FROM spellings s WHERE s.attrs IS NOT NULL
)
SELECT count(DISTINCT w.i) AS records,
       count(DISTINCT w.i) FILTER (WHERE w.candidates > 1) AS with_a_collision,
       count(*) FILTER (WHERE w.value IS NOT NULL) AS columns_filled,
       count(*) FILTER (WHERE g.p ->> w.column_name IS DISTINCT FROM w.value) AS jsonb_differs,
       count(*) FILTER (WHERE g.t ->> w.column_name IS DISTINCT FROM w.value) AS text_differs
  FROM want w JOIN got g USING (i);

-- ingest(): one record at a time, through the row writer.  Three versions
-- of one contact, delivered out of order and twice: the latest wins.
INSERT INTO doc
SELECT 'v' || v, jsonb_build_object(
         'ContactId', 'a1b2c3d4-0100-4000-8000-000000000100',
         'InitiationTimestamp', '2024-04-30T23:59:59Z',
         'LastUpdateTimestamp', lut,
         'DisconnectReason', reason,
         'Attributes', jsonb_build_object('accountNumbers', accounts, 'juniferId', '901'),
         'Agent', jsonb_build_object('ARN', 'arn:x/agent/b0000000-0000-4000-8000-000000000002', 'Username', 'al'),
         'Queue', jsonb_build_object('ARN', 'arn:x/queue/c0000000-0000-4000-8000-000000000002', 'Name', 'Sales'))
  FROM (VALUES (1, '2024-05-01T00:10:00Z', NULL, '101,102'),
               (2, '2024-05-01T00:20:00Z', 'AGENT_DISCONNECT', '101 102 103'),
               (3, '2024-05-02T08:00:00Z', 'AGENT_DISCONNECT', '103')) AS v(v, lut, reason, accounts);
SELECT n, name, connect_lake.ingest('ctr', (SELECT doc FROM doc d WHERE d.name = o.name)) AS outcome
  FROM (VALUES (1, 'v2'), (2, 'v1'), (3, 'v3'), (4, 'v2'), (5, 'v3'), (6, 'v1')) AS o(n, name)
 ORDER BY n;
SELECT contactid, lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc, disconnectreason,
       attributes_accountnumbers, versions_seen, source_file, source_offset,
       landed_at > now() - interval '1 hour' AS landed_recently
  FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0100-4000-8000-000000000100';
-- The row is in the April partition, which ingest() created.
SELECT tableoid::regclass AS partition, count(*) FROM connect_lake.ctr_events GROUP BY 1;
-- An identical (same LastUpdateTimestamp) version does not overwrite either.
SELECT connect_lake.ingest('ctr', (SELECT doc || '{"DisconnectReason": "EXPIRED"}' FROM doc WHERE name = 'v3'));
SELECT disconnectreason, versions_seen FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0100-4000-8000-000000000100';
-- A version without LastUpdateTimestamp never beats one with it.
SELECT connect_lake.ingest('ctr', (SELECT doc - 'LastUpdateTimestamp' FROM doc WHERE name = 'v3'));
SELECT lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc, versions_seen
  FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0100-4000-8000-000000000100';

-- Account links follow the winning version: 101 and 102 were dropped by v3.
SELECT contactid, account, source, initiationtimestamp AT TIME ZONE 'UTC' AS initiation_utc
  FROM connect_lake.contact_account ORDER BY contactid, account;

-- Dimensions: "latest" is the most recent contact, not the last loaded.
-- An agent renamed and a queue renamed, the newer contact loaded first.
SELECT connect_lake.ingest('ctr', jsonb_build_object(
         'ContactId', 'a1b2c3d4-0200-4000-8000-000000000201', 'InitiationTimestamp', '2024-06-10T10:00:00Z',
         'LastUpdateTimestamp', '2024-06-10T10:30:00Z',
         'Agent', jsonb_build_object('ARN', 'arn:x/agent/b0000000-0000-4000-8000-000000000003', 'Username', 'sam.new',
                                     'RoutingProfile', jsonb_build_object('ARN', 'arn:rp/2', 'Name', 'Retention'),
                                     'HierarchyGroups', jsonb_build_object('Level1', jsonb_build_object('ARN', 'arn:hg/1', 'GroupName', 'UK'))),
         'Queue', jsonb_build_object('ARN', 'arn:x/queue/c0000000-0000-4000-8000-000000000003', 'Name', 'Billing & Payments')));
SELECT connect_lake.ingest('ctr', jsonb_build_object(
         'ContactId', 'a1b2c3d4-0200-4000-8000-000000000202', 'InitiationTimestamp', '2024-05-20T10:00:00Z',
         'LastUpdateTimestamp', '2024-05-20T10:30:00Z',
         'Agent', jsonb_build_object('ARN', 'arn:x/agent/b0000000-0000-4000-8000-000000000003', 'Username', 'sam.old',
                                     'RoutingProfile', jsonb_build_object('ARN', 'arn:rp/1', 'Name', 'Billing')),
         'Queue', jsonb_build_object('ARN', 'arn:x/queue/c0000000-0000-4000-8000-000000000003', 'Name', 'Billing')));
SELECT connect_lake.ingest('ctr', jsonb_build_object(
         'ContactId', 'a1b2c3d4-0200-4000-8000-000000000203', 'InitiationTimestamp', '2024-05-25T10:00:00Z',
         'LastUpdateTimestamp', '2024-05-25T10:30:00Z',
         'Agent', NULL,
         'Queue', jsonb_build_object('ARN', 'arn:x/queue/c0000000-0000-4000-8000-000000000003', 'Name', 'Billing')));
SELECT agent_id, username, routingprofile_arn, routingprofile_name, hierarchygroups,
       first_seen AT TIME ZONE 'UTC' AS first_seen_utc, last_seen AT TIME ZONE 'UTC' AS last_seen_utc
  FROM connect_lake.agent_dim ORDER BY agent_id;
SELECT queue_id, queue_name, first_seen AT TIME ZONE 'UTC' AS first_seen_utc, last_seen AT TIME ZONE 'UTC' AS last_seen_utc
  FROM connect_lake.queue_dim ORDER BY queue_id;
SELECT queue_id, queue_name, first_seen AT TIME ZONE 'UTC' AS first_seen_utc, last_seen AT TIME ZONE 'UTC' AS last_seen_utc
  FROM connect_lake.queue_name_history ORDER BY queue_id, first_seen;

-- ingest() errors: an unknown kind, a bad record (nothing lands).
SELECT connect_lake.ingest('ctrs', '{}');
SELECT connect_lake.ingest('ctr', '{"ContactId": "a1b2c3d4-0300-4000-8000-000000000300", "InitiationTimestamp": "2024-05-20T10:00:00Z", "Queue": {"Duration": "long"}}');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT count(*) FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0300-4000-8000-000000000300';

-- The full record through ingest(): every column lands as ctr_parse() gives it.
SELECT connect_lake.ingest('ctr', doc) FROM doc WHERE name = 'full';
SELECT to_jsonb(e) - '{versions_seen,source_file,source_offset,landed_at}'::text[]
     = to_jsonb(connect_lake.ctr_parse(d.doc)) - '{versions_seen,source_file,source_offset,landed_at}'::text[] AS lands_as_parsed
  FROM connect_lake.ctr_events e, doc d
 WHERE d.name = 'full' AND e.contactid = 'a1b2c3d4-0001-4000-8000-000000000001';
-- contact_account.account is an integer: ACC-4 stays in the attribute only.
SELECT contactid, account, source FROM connect_lake.contact_account
 WHERE contactid = 'a1b2c3d4-0001-4000-8000-000000000001' ORDER BY account;

-- Privileges: ingest() is for the loader role, not PUBLIC; a loader lands
-- rows in a month that does not exist yet.
SELECT has_function_privilege('public', 'connect_lake.ingest(text, jsonb)', 'EXECUTE') AS public_may_ingest,
       has_function_privilege('connect_lake_loader', 'connect_lake.ingest(text, jsonb)', 'EXECUTE') AS loader_may_ingest;
SELECT doc || '{"ContactId": "a1b2c3d4-0400-4000-8000-000000000400", "InitiationTimestamp": "2023-12-31T23:00:00-02:00", "LastUpdateTimestamp": "2024-01-01T02:00:00Z"}' AS jan_v1,
       doc || '{"ContactId": "a1b2c3d4-0400-4000-8000-000000000400", "InitiationTimestamp": "2023-12-31T23:00:00-02:00", "LastUpdateTimestamp": "2024-01-01T03:00:00Z", "Attributes": {}}' AS jan_v2
  FROM doc WHERE name = 'v1' \gset
SET ROLE connect_lake_loader;
SELECT connect_lake.ingest('ctr', :'jan_v1');
SELECT connect_lake.ingest('ctr', :'jan_v2');
RESET ROLE;
SELECT tableoid::regclass AS partition, contactid, versions_seen FROM connect_lake.ctr_events
 WHERE initiationtimestamp < '2024-02-01' ORDER BY 1;
SELECT contactid, account FROM connect_lake.contact_account
 WHERE contactid = 'a1b2c3d4-0400-4000-8000-000000000400';

-- ingest_batch(kind, docs[]): a micro-batch.  Several versions of one contact in
-- the batch are resolved before the statement (the latest wins), and new
-- and known contacts mix.
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY(
  SELECT doc || jsonb_build_object('ContactId', 'a1b2c3d4-0500-4000-8000-000000000500')
    FROM doc, unnest('{v1,v3,v2,v3}'::text[]) WITH ORDINALITY AS o(n, i)
   WHERE doc.name = o.n ORDER BY o.i));
SELECT lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc, attributes_accountnumbers, versions_seen
  FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0500-4000-8000-000000000500';
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY(
  SELECT doc || jsonb_build_object('ContactId', 'a1b2c3d4-0500-4000-8000-00000000050' || i)
    FROM doc, generate_series(0, 3) AS i WHERE doc.name = 'v2'));
SELECT contactid, lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc, versions_seen
  FROM connect_lake.ctr_events WHERE contactid::text LIKE 'a1b2c3d4-0500-%' ORDER BY 1;
SELECT contactid, account FROM connect_lake.contact_account
 WHERE contactid::text LIKE 'a1b2c3d4-0500-%' ORDER BY 1, 2;
-- Counted as if sent one by one: with v1 landed, the batch v1, v3, v2 is a
-- duplicate, an update and a duplicate (not two updates).
SELECT connect_lake.ingest('ctr', doc || '{"ContactId": "a1b2c3d4-0700-4000-8000-000000000700"}') FROM doc WHERE name = 'v1';
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY(
  SELECT doc || jsonb_build_object('ContactId', 'a1b2c3d4-0700-4000-8000-000000000700')
    FROM doc, unnest('{v1,v3,v2}'::text[]) WITH ORDINALITY AS o(n, i)
   WHERE doc.name = o.n ORDER BY o.i));
SELECT lastupdatetimestamp AT TIME ZONE 'UTC' AS lastupdate_utc, versions_seen
  FROM connect_lake.ctr_events WHERE contactid = 'a1b2c3d4-0700-4000-8000-000000000700';
-- A bad record names its element; nothing of the batch lands.
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY['{"ContactId": "a1b2c3d4-0600-4000-8000-000000000600", "InitiationTimestamp": "2024-05-20T10:00:00Z"}'::jsonb,
                                               '{"ContactId": "a1b2c3d4-0600-4000-8000-000000000601", "InitiationTimestamp": "yesterday"}']);
SELECT count(*) FROM connect_lake.ctr_events WHERE contactid::text LIKE 'a1b2c3d4-0600-%';
SELECT * FROM connect_lake.ingest_batch('ctr', ARRAY[NULL]::jsonb[]);
SELECT * FROM connect_lake.ingest_batch('ctr', '{}');

-- Leave the lake empty for the tests that follow.
TRUNCATE connect_lake.ctr_events, connect_lake.agent_dim, connect_lake.queue_dim,
         connect_lake.queue_name_history, connect_lake.contact_account;
