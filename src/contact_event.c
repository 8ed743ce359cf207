/*
 * contact_event.c: Amazon Connect contact events from EventBridge
 * (connect-formats.md section 3).
 *
 * Keys match case-insensitively (older samples write instanceARN and
 * AgentInfo.AgentArn), enumerations are upper-cased (Voice -> VOICE), and
 * the 1970-01-01T00:00:00.001Z placeholder ("not yet") reads as NULL.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "erasure.h"
#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(contact_event_parse_jsonb);
PG_FUNCTION_INFO_V1(contact_event_parse_text);

static const CLField contact_event_fields[] = {
	CL_REQ("id", "id", CLF_TEXT),
	CL_REQ("time", "time", CLF_TIMESTAMPTZ),
	CL_F("version", "version", CLF_TEXT),
	CL_F("detail-type", "detail_type", CLF_TEXT),
	CL_F("source", "source", CLF_TEXT),
	CL_F("account", "aws_account", CLF_TEXT),
	CL_F("region", "region", CLF_TEXT),
	CL_F("resources", "resources", CLF_JSONB),
	CL_REQ("detail.contactId", "detail_contactid", CLF_UUID),
	CL_F("detail.eventType", "detail_eventtype", CLF_UPPER),
	CL_F("detail.channel", "detail_channel", CLF_UPPER),
	CL_F("detail.initiationMethod", "detail_initiationmethod", CLF_UPPER),
	CL_F("detail.initialContactId", "detail_initialcontactid", CLF_UUID),
	CL_F("detail.previousContactId", "detail_previouscontactid", CLF_UUID),
	CL_F("detail.relatedContactId", "detail_relatedcontactid", CLF_UUID),
	CL_F("detail.instanceArn", "detail_instancearn", CLF_TEXT),
	CL_TS("detail.initiationTimestamp", "detail_initiationtimestamp"),
	CL_TS("detail.connectedToSystemTimestamp", "detail_connectedtosystemtimestamp"),
	CL_TS("detail.disconnectTimestamp", "detail_disconnecttimestamp"),
	CL_F("detail.queueInfo.queueArn", "detail_queueinfo_queuearn", CLF_TEXT),
	CL_F("detail.queueInfo.queueType", "detail_queueinfo_queuetype", CLF_UPPER),
	CL_TS("detail.queueInfo.enqueueTimestamp", "detail_queueinfo_enqueuetimestamp"),
	CL_F("detail.agentInfo.agentArn", "detail_agentinfo_agentarn", CLF_TEXT),
	CL_TS("detail.agentInfo.connectedToAgentTimestamp", "detail_agentinfo_connectedtoagenttimestamp"),
	CL_F("detail.agentInfo.hierarchyGroups", "detail_agentinfo_hierarchygroups", CLF_JSONB),
	CL_F("detail.updatedProperties", "detail_updatedproperties", CLF_JSONB),
	CL_F("detail.tags", "detail_tags", CLF_JSONB),
	CL_F("detail.routingCriteria", "detail_routingcriteria", CLF_JSONB),
	CL_F("detail.contactLens", "detail_contactlens", CLF_JSONB),
	CL_F("detail.segmentAttributes", "detail_segmentattributes", CLF_JSONB),
};

/*
 * A customer's endpoint in a contact event (pii.c): not a column of its own,
 * kept in extra as the record wrote it.
 */
static const char *const contact_event_pii_paths[] = {
	"extra.detail.customerEndpoint.address",
	NULL
};

/* At commit: the erasure check of the events written (erasure.h). */
static const CLUpkeepAction contact_event_actions[] = {
	CL_UPKEEP_ERASURE_ACTION,
};

static const CLUpkeep contact_event_upkeep = {
	.spans = false,
	.actions = contact_event_actions,
	.nactions = lengthof(contact_event_actions),
};

CLRecordKind cl_kind_contact_event = {
	.name = "contact_event",
	.rowtype = "contact_event",
	.table = "contact_events",
	.partition_column = "time",
	.fields = contact_event_fields,
	.nfields = lengthof(contact_event_fields),
	.ci_keys = true,
	.extra_column = "extra",
	.id_column = "id",
	.label = "contact event record",
	.typical_bytes = 1500,
	.landed_column = "landed_at",
	.upkeep = &contact_event_upkeep,
	.pii_paths = contact_event_pii_paths,
};

/* contact_event_parse(doc jsonb) RETURNS connect_lake.contact_event: IMMUTABLE */
Datum
contact_event_parse_jsonb(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_contact_event, CL_MAP_PARSE, NULL);
}

/* contact_event_parse(doc text): raw JSON as it lies in a file (the loader's json-c path) */
Datum
contact_event_parse_text(PG_FUNCTION_ARGS)
{
	return cl_kind_parse(fcinfo, &cl_kind_contact_event, CL_MAP_PARSE, NULL);
}
