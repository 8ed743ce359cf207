/*
 * flowlog.c: contact flow log events.
 *
 * The one description of a flow log event's fields (connect-formats.md
 * section 2), used by contact_flow_log_parse() here and by the file loader.
 * An event is the JSON message of one CloudWatch log event; log_group and
 * log_stream come from the envelope it arrived in (filled by the loader from
 * the framing layer's context, never from the message itself).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "erasure.h"
#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(contact_flow_log_parse_jsonb);
PG_FUNCTION_INFO_V1(contact_flow_log_parse_text);

static const CLField flowlog_fields[] = {
	CL_REQ("ContactId", "contactid", CLF_UUID),
	CL_REQ("Timestamp", "timestamp", CLF_TIMESTAMPTZ),
	CL_F("ContactFlowId", "contactflowid", CLF_TEXT),
	CL_F("ContactFlowName", "contactflowname", CLF_TEXT),
	CL_F("ContactFlowModuleType", "contactflowmoduletype", CLF_TEXT),
	CL_F("Identifier", "identifier", CLF_TEXT),
	CL_F("Parameters", "parameters", CLF_JSONB),
	CL_F("Events", "parameters", CLF_JSONB),	/* very old logs */
	CL_F("Results", "results", CLF_TEXT),
	CL_F("ExternalResults", "externalresults", CLF_JSONB),
	CL_F("ModuleExecutionStack", "moduleexecutionstack", CLF_JSONB),
};

/*
 * At the commit of a transaction that wrote flow log events (upkeep.h): the
 * erasure check of their contacts (erasure.h), then the flow tables
 * (94_flows.sql): per contact its first and last event written, and
 * connect_lake.flows_logs_landed() rebuilds exactly the local days whose
 * contacts those events can change (off with connect_lake.flows_upkeep).
 * The check first, as load()'s workers run them (the check at once, the
 * rebuild queued): the rebuild then counts the logs as scrubbed, never a
 * forgotten value among a day's block results, and the check waits for
 * another writer's rows (a forgotten contact's CTR it is replacing) holding
 * no flows' lock, which that writer's commit asks for.
 */
static const CLUpkeepAction flowlog_actions[] = {
	CL_UPKEEP_ERASURE_ACTION,
	{"flows_logs_landed", CL_UPKEEP_KEY_SPANS, CL_UPKEEP_FLOWS},
};

static const CLUpkeep flowlog_upkeep = {
	.spans = true,
	.actions = flowlog_actions,
	.nactions = lengthof(flowlog_actions),
};

CLRecordKind cl_kind_contact_flow_log = {
	.name = "contact_flow_log",
	.rowtype = "flow_log_event",
	.table = "contact_flow_log",
	.partition_column = "timestamp",
	.fields = flowlog_fields,
	.nfields = lengthof(flowlog_fields),
	.ci_keys = false,
	.extra_column = "extra",
	.id_column = "contactid",
	.label = "contact flow log event",
	.typical_bytes = 600,
	.landed_column = "landed_at",
	.upkeep = &flowlog_upkeep,
};

/* contact_flow_log_parse(doc jsonb) RETURNS connect_lake.flow_log_event: IMMUTABLE */
Datum
contact_flow_log_parse_jsonb(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_contact_flow_log, CL_MAP_PARSE, NULL);
}

/* contact_flow_log_parse(doc text): raw JSON as it lies in a file (the loader's json-c path) */
Datum
contact_flow_log_parse_text(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_contact_flow_log, CL_MAP_PARSE, NULL);
}
