/*
 * agent_event.c: the Kinesis agent event stream (connect-formats.md
 * section 5): LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT.
 *
 * The snapshots are kept whole as jsonb (current_snapshot,
 * previous_snapshot) and their most-used parts as columns: status name,
 * routing profile, the agent's current contacts.
 *
 * Agent activity upkeep (upkeep.h): the writers collect, for every event
 * they wrote, its agent and time (first and last per agent); just before
 * the transaction commits, one call of connect_lake.agent_activity_upkeep()
 * (91_agent_activity.sql) rebuilds the activity intervals those events
 * touched.  An event already in the lake (a duplicate) only rebuilds an
 * interval from what the table holds, which changes nothing.  Off when the
 * setting connect_lake.metrics_upkeep is off; not on a lake distributed on
 * Citus (its queries, each agent's events before and after those landed,
 * cannot be planned there: agent_activity_refresh() rebuilds it).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(agent_event_parse_jsonb);
PG_FUNCTION_INFO_V1(agent_event_parse_text);

#define CUR "CurrentAgentSnapshot."

static const CLField agent_event_fields[] = {
	CL_REQ("EventId", "eventid", CLF_TEXT),
	CL_REQ("EventTimestamp", "eventtimestamp", CLF_TIMESTAMPTZ),
	CL_REQ("AgentARN", "agentarn", CLF_TEXT),
	CL_F("AgentARN", "agent_id", CLF_ARN_ID),
	CL_F("EventType", "eventtype", CLF_UPPER),
	CL_F("AWSAccountId", "awsaccountid", CLF_TEXT),
	CL_F("InstanceARN", "instancearn", CLF_TEXT),
	CL_F("Version", "version", CLF_TEXT),
	CL_F("CurrentAgentSnapshot", "current_snapshot", CLF_JSONB),
	CL_F(CUR "AgentStatus.Name", "agentstatus_name", CLF_TEXT),
	CL_F(CUR "AgentStatus.ARN", "agentstatus_arn", CLF_TEXT),
	CL_F(CUR "AgentStatus.StartTimestamp", "agentstatus_starttimestamp", CLF_TIMESTAMPTZ),
	CL_F(CUR "NextAgentStatus.Name", "nextagentstatus_name", CLF_TEXT),
	CL_F(CUR "Configuration.Username", "username", CLF_TEXT),
	CL_F(CUR "Configuration.FirstName", "firstname", CLF_TEXT),
	CL_F(CUR "Configuration.LastName", "lastname", CLF_TEXT),
	CL_F(CUR "Configuration.RoutingProfile.ARN", "routingprofile_arn", CLF_TEXT),
	CL_F(CUR "Configuration.RoutingProfile.Name", "routingprofile_name", CLF_TEXT),
	CL_F(CUR "Configuration.AgentHierarchyGroups", "hierarchygroups", CLF_JSONB),
	CL_F(CUR "Contacts", "contacts", CLF_JSONB),
	CL_F("PreviousAgentSnapshot", "previous_snapshot", CLF_JSONB),
	CL_F("PreviousAgentSnapshot.AgentStatus.Name", "previous_agentstatus_name", CLF_TEXT),
};

static const CLUpkeepAction agent_event_actions[] = {
	{"agent_activity_upkeep", CL_UPKEEP_KEY_SPANS, CL_UPKEEP_METRICS},
};

static const CLUpkeep agent_event_upkeep = {
	.key_column = "agentarn",
	.spans = true,
	.actions = agent_event_actions,
	.nactions = lengthof(agent_event_actions),
};

CLRecordKind cl_kind_agent_event = {
	.name = "agent_event",
	.rowtype = "agent_event",
	.table = "agent_events",
	.partition_column = "eventtimestamp",
	.fields = agent_event_fields,
	.nfields = lengthof(agent_event_fields),
	.ci_keys = true,
	.extra_column = "extra",
	.id_column = "eventid",
	.label = "agent event record",
	.typical_bytes = 1500,
	.landed_column = "landed_at",
	.upkeep = &agent_event_upkeep,
};

/* agent_event_parse(doc jsonb) RETURNS connect_lake.agent_event: IMMUTABLE */
Datum
agent_event_parse_jsonb(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_agent_event, CL_MAP_PARSE, NULL);
}

/* agent_event_parse(doc text): raw JSON as it lies in a file (the loader's json-c path) */
Datum
agent_event_parse_text(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_agent_event, CL_MAP_PARSE, NULL);
}
