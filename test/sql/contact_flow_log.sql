-- contact_flow_log_parse(): one contact flow log event (the JSON message of
-- a CloudWatch log event) as a typed row, from jsonb and from raw text (the
-- loader's path); every field, old spellings, unknown keys kept, bad input;
-- and the events landing through ingest(), once.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

SELECT (p).contactid, (p)."timestamp", (p).contactflowmoduletype, (p).identifier, (p).parameters, (p).extra
  FROM (SELECT connect_lake.contact_flow_log_parse('{
    "ContactId": "11111111-2222-3333-4444-555555555555",
    "ContactFlowId": "arn:aws:connect:us-west-2:0123456789012:instance/x/contact-flow/y",
    "ContactFlowModuleType": "SetQueue",
    "Timestamp": "2021-04-13T00:14:31.581Z",
    "Parameters": {"Queue": "arn:aws:connect:us-west-2:0123456789012:instance/x/queue/z"},
    "Surprise": {"new": true}}'::jsonb) AS p) s;
-- very old logs call Parameters "Events"; text input as it lies in a log message
SELECT (p).parameters, (p).results, (p).externalresults, (p).moduleexecutionstack
  FROM (SELECT connect_lake.contact_flow_log_parse(
    '{"ContactId":"11111111-2222-3333-4444-555555555555","Timestamp":"2018-01-01T00:00:00Z","Events":{"Text":"Hi"},'
    '"Results":"The Lambda Function Returned An Error.","ExternalResults":{"a":"1"},"ModuleExecutionStack":["m1"]}'::text) AS p) s;
-- errors name the field and the contact
SELECT connect_lake.contact_flow_log_parse('{"ContactId":"11111111-2222-3333-4444-555555555555","Timestamp":"2017-11-09T12:17.898Z"}'::jsonb);
SELECT connect_lake.contact_flow_log_parse('{"ContactId":"fba006bc-e6ed-4f17-b7a1-xxxxxxxxxxxx","Timestamp":"2024-05-04T22:28:30.474Z"}'::jsonb);
SELECT connect_lake.contact_flow_log_parse('{"Timestamp":"2024-05-04T22:28:30.474Z"}'::jsonb);
SELECT connect_lake.contact_flow_log_parse('[1]'::jsonb);
SELECT connect_lake.contact_flow_log_parse('{"ContactId": "11111111-2222-3333-4444-555555555555",}'::text);
-- both paths give the same row, for every field
SELECT to_jsonb(connect_lake.contact_flow_log_parse(d::jsonb)) = to_jsonb(connect_lake.contact_flow_log_parse(d)) AS same,
       (connect_lake.contact_flow_log_parse(d)).contactflowname,
       (connect_lake.contact_flow_log_parse(d)).extra
  FROM (VALUES ('{"ContactId": "11111111-2222-3333-4444-555555555555", "ContactFlowName": "Main IVR",
                  "ContactFlowId": "arn:x/contact-flow/y", "ContactFlowModuleType": "BrandNewBlockType",
                  "Identifier": "Play greeting", "Timestamp": "2024-05-04T22:28:30.474Z",
                  "Parameters": {"Text": "Hello", "Nested": [1, {"a": null}]},
                  "Results": "Success", "ExternalResults": {"x": "1"}, "ModuleExecutionStack": [],
                  "Unknown": "kept"}')) v(d);
-- a module type or result the lake has never seen is kept as it is
SELECT (p).contactid, (p)."timestamp", (p).contactflowmoduletype, (p).results, (p).extra
  FROM (SELECT connect_lake.contact_flow_log_parse('{"ContactId": "11111111-2222-3333-4444-555555555555",
  "Timestamp": "2024-05-04T22:28:30Z", "ContactFlowModuleType": "FutureBlock", "Results": "SomethingNew"}'::jsonb) AS p) s;
-- labels: IMMUTABLE (depends on its argument only), STRICT, PARALLEL SAFE
SELECT p.oid::regprocedure, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_proc p WHERE p.proname = 'contact_flow_log_parse' ORDER BY 1::regprocedure::text;
SELECT connect_lake.contact_flow_log_parse(NULL::jsonb) IS NULL AS strict;

-- ingest(): the same block of the same contact at the same moment lands once
SELECT connect_lake.ingest('contact_flow_log', d) AS outcome
  FROM (VALUES ('{"ContactId": "22222222-2222-3333-4444-555555555555", "Timestamp": "2024-05-04T22:28:30Z",
                  "Identifier": "b1", "ContactFlowModuleType": "SetQueue"}'::jsonb),
               ('{"ContactId": "22222222-2222-3333-4444-555555555555", "Timestamp": "2024-05-04T22:28:30Z",
                  "Identifier": "b1", "ContactFlowModuleType": "SetQueue", "Results": "again"}'::jsonb),
               ('{"ContactId": "22222222-2222-3333-4444-555555555555", "Timestamp": "2024-05-04T22:28:31Z",
                  "Identifier": "b2", "ContactFlowModuleType": "Disconnect"}'::jsonb)) v(d);
SELECT identifier, contactflowmoduletype, results, landed_at IS NOT NULL AS landed
  FROM connect_lake.contact_flow_log ORDER BY "timestamp";
TRUNCATE connect_lake.contact_flow_log;
-- the flow tables the writers kept from those events follow (no writer sees
-- a TRUNCATE): leave the lake as it was for the tests after this one
SELECT connect_lake.flows_refresh('2024-05-04', '2024-05-04') AS contacts;
