-- connect_lake 0.1.0 -> 0.2.0.  Everything sql/install/*.sql changed since
-- 0.1.0, so that an upgraded lake ends up as a fresh 0.2.0 one
-- (test/t/040_upgrade.pl compares them).
\echo Use "ALTER EXTENSION connect_lake UPDATE TO '0.2.0'" to load this file. \quit

-- ==== Attribute keys flattened as the warehouse flattened them (issue 10):
-- an attributes_* column is filled from its mapped key spelt exactly, else
-- from the first key in byte order that flattens to the same name.
CREATE FUNCTION connect_lake.ctr_attribute_column(key text) RETURNS text
  AS 'MODULE_PATHNAME', 'ctr_attribute_column'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION connect_lake.ctr_attribute_column(text) IS
  'The column the warehouse named after a contact attribute key: attributes_ || the key with ASCII letters lower-cased, each run of other characters (non-ASCII letters too) as _, trimmed of _ (csatResults.agentRating -> attributes_csatresults_agentrating); NULL when nothing is left. Keys that give the same column are spellings of one another for ctr_attribute_map.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes IS 'Attributes: every user-defined contact attribute, keys with their case kept (also keys that fill the same attributes_* column).';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_intent IS 'Contact attribute mapped by ctr_attribute_map (default key intent), spelt exactly or any way that flattens to the same name (Intent, INTENT). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_caseid IS 'Contact attribute mapped by ctr_attribute_map (default key caseId), spelt exactly or any way that flattens to the same name (CaseId, caseid): links the contact to a case. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_accountnumbers IS 'Contact attribute mapped by ctr_attribute_map (default key accountNumbers), spelt exactly or any way that flattens to the same name: comma or space separated account numbers. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_juniferid IS 'Contact attribute mapped by ctr_attribute_map (default key juniferId), spelt exactly or any way that flattens to the same name (JuniferID). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_agentrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.agentRating), spelt exactly or any way that flattens to the same name (csatResults_agentRating, CSATResults.AgentRating): post-contact survey rating of the agent; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON COLUMN connect_lake.ctr_events.attributes_csatresults_resolutionrating IS 'Contact attribute mapped by ctr_attribute_map (default key csatResults.resolutionRating), spelt exactly or any way that flattens to the same name: post-contact survey rating of the resolution; NULL when not an integer. Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order; attributes keeps them all.';
COMMENT ON TABLE connect_lake.ctr_attribute_map IS
  'Overrides of which contact attribute key fills each attributes_* column of ctr_events (defaults: ctr_attribute_map_default). A key fills its column spelt exactly or any way that flattens to the same name, as the warehouse named columns (ASCII lower case, each run of other characters as _, trimmed: ctr_attribute_column()). Of several keys of one record, the mapped key spelt exactly wins, else the first in byte order.';
COMMENT ON COLUMN connect_lake.ctr_attribute_map.attribute_key IS 'The contact attribute key whose value fills the column, spelt exactly (preferred) or any way that flattens to the same name; NULL leaves the column empty.';
COMMENT ON VIEW connect_lake.ctr_attribute_map_default IS 'Built-in attribute keys of the attributes_* columns: each flattens to its column''s name, so the warehouse''s spellings of it fill the column too.';
