/*
 * agent_event.c: the Kinesis agent event stream (connect-formats.md
 * section 5): LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT.
 *
 * The snapshots are kept whole as jsonb (current_snapshot,
 * previous_snapshot) and their most-used parts as columns: status name,
 * routing profile, the agent's current contacts; after the walk (finish
 * hook) the status type, agentstatus_type, is taken from the snapshot as
 * mapped, exactly current_snapshot -> 'AgentStatus' ->> 'Type' (a number,
 * boolean or container as its text, JSON null as NULL), so that the
 * activity upkeep (agent_activity.c) reads a short column instead of
 * decompressing each event's TOASTed snapshot.
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
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(agent_event_parse_jsonb);
PG_FUNCTION_INFO_V1(agent_event_parse_text);

static void agent_event_finish(CLMapState *st);

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
	.finish = agent_event_finish,
};

/*
 * A jsonb value as ->> gives it: a string's text, NULL for null, the text
 * of any other scalar or container.
 */
static text *
jsonb_value_text(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvString:
			return cstring_to_text_with_len(v->val.string.val, v->val.string.len);
		case jbvBool:
			return cstring_to_text(v->val.boolean ? "true" : "false");
		case jbvNumeric:
			return cstring_to_text(DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric))));
		case jbvBinary:
			return cstring_to_text(JsonbToCString(NULL, v->val.binary.data, v->val.binary.len));
		default:
			return NULL;		/* jbvNull */
	}
}

/*
 * After the walk: agentstatus_type = current_snapshot -> 'AgentStatus' ->>
 * 'Type' of the snapshot as mapped (NULL without a snapshot, an object
 * AgentStatus or a Type), the expression the 0.1.0 -> 0.2.0 update fills
 * the column of the events already landed with.
 */
static void
agent_event_finish(CLMapState *st)
{
	static Oid	cached_typid = InvalidOid;
	static int	cached_natts = -1,
				snap_att = -1,
				type_att = -1;
	Jsonb	   *snap;
	JsonbValue	as,
				type;
	text	   *t;

	if (cached_typid != st->tupdesc->tdtypeid || cached_natts != st->tupdesc->natts)
	{
		snap_att = cl_map_column(st, "current_snapshot");
		type_att = cl_map_column(st, "agentstatus_type");
		cached_typid = st->tupdesc->tdtypeid;
		cached_natts = st->tupdesc->natts;
	}
	if (type_att < 0 || snap_att < 0 || st->nulls[snap_att])
		return;
	snap = DatumGetJsonbP(st->values[snap_att]);
	if (!JB_ROOT_IS_OBJECT(snap) ||
		getKeyJsonValueFromContainer(&snap->root, "AgentStatus", 11, &as) == NULL ||
		as.type != jbvBinary || !JsonContainerIsObject(as.val.binary.data) ||
		getKeyJsonValueFromContainer(as.val.binary.data, "Type", 4, &type) == NULL)
		return;
	t = jsonb_value_text(&type);
	if (t == NULL)
		return;
	st->values[type_att] = PointerGetDatum(t);
	st->nulls[type_att] = false;
}

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
