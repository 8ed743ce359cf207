/*
 * ctr.c: contact trace records.
 *
 * The one description of a CTR's fields (connect-formats.md section 1), used
 * by ctr_parse() here and by the file loader.  Column names are the key path
 * lower-cased and joined by '_' (see sql/install/20_ctr.sql).
 */
#include "postgres.h"

#include "jsonc.h"

#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "kinds.h"
#include "recmap.h"

PG_FUNCTION_INFO_V1(ctr_parse_jsonb);
PG_FUNCTION_INFO_V1(ctr_parse_text);

#define F(path, column, type)	{path, column, type, 0, NULL}
#define REQ(path, column, type) {path, column, type, CLF_REQUIRED, NULL}
#define LEVEL(n) \
	F("Agent.HierarchyGroups.Level" #n ".ARN", "agent_hierarchygroups_level" #n "_arn", CLF_TEXT), \
	F("Agent.HierarchyGroups.Level" #n ".GroupName", "agent_hierarchygroups_level" #n "_groupname", CLF_TEXT)

static const CLField ctr_fields[] = {
	REQ("ContactId", "contactid", CLF_UUID),
	REQ("InitiationTimestamp", "initiationtimestamp", CLF_TIMESTAMPTZ),
	F("AWSAccountId", "awsaccountid", CLF_TEXT),
	F("AWSContactTraceRecordFormatVersion", "awscontacttracerecordformatversion", CLF_TEXT),
	F("InstanceARN", "instancearn", CLF_TEXT),
	F("InstanceARN", "instanceid", CLF_ARN_ID),
	F("InitialContactId", "initialcontactid", CLF_UUID),
	F("PreviousContactId", "previouscontactid", CLF_UUID),
	F("NextContactId", "nextcontactid", CLF_UUID),
	F("RelatedContactId", "relatedcontactid", CLF_UUID),
	F("ContactAssociationId", "contactassociationid", CLF_TEXT),
	F("CustomerId", "customerid", CLF_TEXT),
	F("Channel", "channel", CLF_TEXT),
	F("InitiationMethod", "initiationmethod", CLF_TEXT),
	F("DisconnectReason", "disconnectreason", CLF_TEXT),
	F("AnsweringMachineDetectionStatus", "answeringmachinedetectionstatus", CLF_TEXT),
	F("Name", "name", CLF_TEXT),
	F("Description", "description", CLF_TEXT),
	F("ConnectedToSystemTimestamp", "connectedtosystemtimestamp", CLF_TIMESTAMPTZ),
	F("DisconnectTimestamp", "disconnecttimestamp", CLF_TIMESTAMPTZ),
	F("LastUpdateTimestamp", "lastupdatetimestamp", CLF_TIMESTAMPTZ),
	F("ScheduledTimestamp", "scheduledtimestamp", CLF_TIMESTAMPTZ),
	F("TransferCompletedTimestamp", "transfercompletedtimestamp", CLF_TIMESTAMPTZ),
	F("LastPausedTimestamp", "lastpausedtimestamp", CLF_TIMESTAMPTZ),
	F("LastResumedTimestamp", "lastresumedtimestamp", CLF_TIMESTAMPTZ),
	F("AgentConnectionAttempts", "agentconnectionattempts", CLF_INT4),
	F("TotalPauseCount", "totalpausecount", CLF_INT4),
	F("TotalPauseDurationInSeconds", "totalpausedurationinseconds", CLF_INT4),

	F("Agent.ARN", "agent_arn", CLF_TEXT),
	F("Agent.ARN", "agent_id", CLF_ARN_ID),
	F("Agent.Username", "agent_username", CLF_TEXT),
	F("Agent.ConnectedToAgentTimestamp", "agent_connectedtoagentts", CLF_TIMESTAMPTZ),
	F("Agent.AcceptedByAgentTimestamp", "agent_acceptedbyagenttimestamp", CLF_TIMESTAMPTZ),
	F("Agent.PreviewEndTimestamp", "agent_previewendtimestamp", CLF_TIMESTAMPTZ),
	F("Agent.AgentInteractionDuration", "agent_agentinteractionduration", CLF_INT4),
	F("Agent.CustomerHoldDuration", "agent_customerholdduration", CLF_INT4),
	F("Agent.LongestHoldDuration", "agent_longestholdduration", CLF_INT4),
	F("Agent.AfterContactWorkDuration", "agent_aftercontactworkduration", CLF_INT4),
	F("Agent.AgentPauseDuration", "agent_agentpauseduration", CLF_INT4),
	F("Agent.AgentInitiatedHoldDuration", "agent_agentinitiatedholdduration", CLF_INT4),
	F("Agent.NumberOfHolds", "agent_numberofholds", CLF_INT4),
	F("Agent.AfterContactWorkStartTimestamp", "agent_aftercontactworkstarttimestamp", CLF_TIMESTAMPTZ),
	F("Agent.AfterContactWorkEndTimestamp", "agent_aftercontactworkendtimestamp", CLF_TIMESTAMPTZ),
	F("Agent.RoutingProfile.ARN", "agent_routingprofile_arn", CLF_TEXT),
	F("Agent.RoutingProfile.Name", "agent_routingprofile_name", CLF_TEXT),
	LEVEL(1), LEVEL(2), LEVEL(3), LEVEL(4), LEVEL(5),
	F("Agent.DeviceInfo.PlatformName", "agent_deviceinfo_platformname", CLF_TEXT),
	F("Agent.DeviceInfo.PlatformVersion", "agent_deviceinfo_platformversion", CLF_TEXT),
	F("Agent.DeviceInfo.OperatingSystem", "agent_deviceinfo_operatingsystem", CLF_TEXT),
	F("Agent.Capabilities", "agent_capabilities", CLF_JSONB),
	F("Agent.StateTransitions", "agent_statetransitions", CLF_JSONB),

	F("Queue.ARN", "queue_arn", CLF_TEXT),
	F("Queue.ARN", "queue_id", CLF_ARN_ID),
	F("Queue.Name", "queue_name", CLF_TEXT),
	F("Queue.EnqueueTimestamp", "queue_enqueuetimestamp", CLF_TIMESTAMPTZ),
	F("Queue.DequeueTimestamp", "queue_dequeuetimestamp", CLF_TIMESTAMPTZ),
	F("Queue.Duration", "queue_duration", CLF_INT4),

	F("CustomerEndpoint.Address", "customerendpoint_address", CLF_TEXT),
	F("CustomerEndpoint.Type", "customerendpoint_type", CLF_TEXT),
	F("SystemEndpoint.Address", "systemendpoint_address", CLF_TEXT),
	F("SystemEndpoint.Type", "systemendpoint_type", CLF_TEXT),
	F("TransferredToEndpoint.Address", "transferredtoendpoint_address", CLF_TEXT),
	F("TransferredToEndpoint.Type", "transferredtoendpoint_type", CLF_TEXT),

	F("MediaStreams", "mediastreams", CLF_JSONB),
	F("Recording", "recording", CLF_JSONB),
	F("Recordings", "recordings", CLF_JSONB),
	F("References", "contact_references", CLF_JSONB),
	F("Campaign.CampaignId", "campaign_campaignid", CLF_TEXT),
	F("ContactLens", "contactlens", CLF_JSONB),
	F("QualityMetrics", "qualitymetrics", CLF_JSONB),
	F("QualityMetrics.Agent.Audio.QualityScore", "qualitymetrics_agent_audio_qualityscore", CLF_NUMERIC),
	F("QualityMetrics.Customer.Audio.QualityScore", "qualitymetrics_customer_audio_qualityscore", CLF_NUMERIC),
	F("ChatMetrics", "chatmetrics", CLF_JSONB),
	F("CustomerVoiceActivity.GreetingStartTimestamp", "customervoiceactivity_greetingstarttimestamp", CLF_TIMESTAMPTZ),
	F("CustomerVoiceActivity.GreetingEndTimestamp", "customervoiceactivity_greetingendtimestamp", CLF_TIMESTAMPTZ),
	F("DisconnectDetails.PotentialDisconnectIssue", "disconnectdetails_potentialdisconnectissue", CLF_TEXT),
	F("SegmentAttributes", "segmentattributes", CLF_JSONB),
	F("RoutingCriteria", "routingcriteria", CLF_JSONB),
	F("WisdomInfo.SessionArn", "wisdominfo_sessionarn", CLF_TEXT),
	F("VoiceIdResult", "voiceidresult", CLF_JSONB),
	F("ContactEvaluations", "contactevaluations", CLF_JSONB),
	F("OutboundStrategy", "outboundstrategy", CLF_JSONB),
	F("AdditionalEmailRecipients", "additionalemailrecipients", CLF_JSONB),
	F("ExternalThirdParty", "externalthirdparty", CLF_JSONB),
	F("ContactDetails", "contactdetails", CLF_JSONB),
	F("Tags", "tags", CLF_JSONB),
	F("Attributes", "attributes", CLF_JSONB),
};

CLRecordKind cl_kind_ctr = {
	.name = "ctr",
	.rowtype = "ctr",
	.table = "ctr_events",
	.partition_column = "initiationtimestamp",
	.fields = ctr_fields,
	.nfields = lengthof(ctr_fields),
	.ci_keys = false,
	.extra_column = "extra",
	.id_column = "contactid",
};

/* ctr_parse(doc jsonb) RETURNS connect_lake.ctr */
Datum
ctr_parse_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc = PG_GETARG_JSONB_P(0);
	CLMapState	st;

	cl_map_init(&st, &cl_kind_ctr);
	if (!cl_map_jsonb(&st, doc))
		cl_map_raise(&st);
	PG_RETURN_DATUM(cl_map_datum(&st));
}

/* json-c objects are malloc'd: release them however the call ends. */
static void
release_json(void *arg)
{
	json_object_put((json_object *) arg);
}

/*
 * Parse one JSON text strictly (as it lies in a file) into a json-c object
 * owned by the current memory context.  Errors name the byte offset.
 */
json_object *
cl_parse_json_text(const char *s, int len, const char *what)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;
	enum json_tokener_error err;
	size_t		end;
	MemoryContextCallback *cb;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (obj == NULL || err != json_tokener_success)
	{
		if (obj)
			json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid JSON in %s at byte %zu: %s", what, end,
						err == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(err))));
	}
	while (end < (size_t) len && (s[end] == ' ' || s[end] == '\n' || s[end] == '\r' || s[end] == '\t'))
		end++;
	if (end < (size_t) len)
	{
		json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid JSON in %s at byte %zu: text after the end of the record", what, end)));
	}
	cb = MemoryContextAlloc(CurrentMemoryContext, sizeof(MemoryContextCallback));
	cb->func = release_json;
	cb->arg = obj;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	return obj;
}

/* ctr_parse(doc text) RETURNS connect_lake.ctr: raw JSON as it lies in a file */
Datum
ctr_parse_text(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	json_object *obj = cl_parse_json_text(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), "ctr record");
	CLMapState	st;

	cl_map_init(&st, &cl_kind_ctr);
	if (!cl_map_jsonc(&st, obj))
		cl_map_raise(&st);
	PG_RETURN_DATUM(cl_map_datum(&st));
}
