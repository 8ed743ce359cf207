-- ---- Plans made for each call of the writers' upkeep
-- The writers call these at every commit (each file of a load(), each
-- ingest_batch()) with the keys that landed, as arrays.  PL/pgSQL keeps a
-- generic plan of a statement from its sixth call on, made without the
-- arrays' contents; a join of unnest(keys) with a large table then became a
-- nested loop comparing every row with every key: the sixth day's Customer
-- Profiles file at the seed's volume (90,000 profiles) ran for more than ten
-- minutes instead of 20 s.  Planned for each call's arguments instead, which
-- costs a few milliseconds a commit.  (Not the agent activity's: its C pass
-- reads each agent's events through one prepared plan on purpose, and the
-- setting would make it plan again for every agent.)
ALTER FUNCTION connect_lake.case_state_refresh(timestamptz, text[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.contact_profile_attribute_upkeep(uuid[], timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.customer_profile_refresh(text[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.erasure_landed(text, text[], timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.metrics_refresh_contacts(uuid[], timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.metric_apply(uuid[], text, timestamptz, timestamptz, timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.metric_rollup(timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.metric_rollup_delta(connect_lake.contact_metric[], connect_lake.contact_metric[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.flows_logs_landed(uuid[], timestamptz[], timestamptz[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.flows_ctrs_landed(uuid[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.flows_refresh_days(date[]) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION connect_lake.contact_repeat_refresh(uuid[]) SET plan_cache_mode = force_custom_plan;
