/*
 * agent_event.c: the Kinesis agent event stream (connect-formats.md
 * section 5): LOGIN, LOGOUT, STATE_CHANGE, HEART_BEAT.
 *
 * The snapshots are kept whole as jsonb (current_snapshot,
 * previous_snapshot) and their most-used parts as columns: status name,
 * routing profile, the agent's current contacts.
 *
 * Agent activity upkeep: the kind's finish hook notes, for every event
 * mapped for the writer, its agent and time (first and last per agent);
 * just before the transaction commits, one call of
 * connect_lake.agent_activity_upkeep() (91_agent_activity.sql) rebuilds the
 * activity intervals those events touched.  Once per transaction, whatever
 * the number of files, batches or ingest() calls in it; noting an event
 * that did not land (a rejected record, a rolled-back file) only rebuilds
 * an interval from what the table holds, which changes nothing.  Off when
 * the setting connect_lake.metrics_upkeep is off.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "kinds.h"
#include "recmap.h"
#include "writer.h"

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

static void agent_event_finish(CLMapState *st);

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
	.finish = agent_event_finish,
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

/* ---------- agent activity upkeep ---------- */

/* An agent whose events this transaction landed: their first and last times. */
typedef struct Touched
{
	char	   *arn;			/* hash key: the AgentARN (palloc'd in touched_cxt) */
	TimestampTz first;
	TimestampTz last;
} Touched;

static HTAB *touched = NULL;
static MemoryContext touched_cxt = NULL;
static bool touched_callback = false;

static uint32
touched_hash(const void *key, Size keysize)
{
	const char *s = *(char *const *) key;

	return hash_bytes((const unsigned char *) s, (int) strlen(s));
}

static int
touched_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void touched_xact_callback(XactEvent event, void *arg);

/* The transaction is over (or its upkeep done): forget the agents noted. */
static void
touched_reset(void)
{
	touched = NULL;
	if (touched_cxt)
		MemoryContextReset(touched_cxt);
}

/*
 * The kind's finish hook: note the agent and time of an event mapped for the
 * writer (a parse function's or a foreign table's record lands nowhere).
 */
static void
agent_event_finish(CLMapState *st)
{
	int			arn_att,
				ts_att;
	char	   *arn;
	Touched    *t;
	bool		found;
	TimestampTz ts;

	if (st->purpose != CL_MAP_WRITE)
		return;
	arn_att = cl_map_column(st, "agentarn");
	ts_att = cl_map_column(st, "eventtimestamp");
	if (arn_att < 0 || ts_att < 0 || st->nulls[arn_att] || st->nulls[ts_att])
		return;					/* a bad record: the required-field check says why */
	ts = DatumGetTimestampTz(st->values[ts_att]);

	if (!touched_callback)
	{
		RegisterXactCallback(touched_xact_callback, NULL);
		touched_callback = true;
	}
	if (touched_cxt == NULL)
		touched_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake agent activity upkeep",
											ALLOCSET_DEFAULT_SIZES);
	if (touched == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(Touched);
		ctl.hash = touched_hash;
		ctl.match = touched_match;
		ctl.hcxt = touched_cxt;
		touched = hash_create("connect_lake agents touched", 64, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}
	arn = TextDatumGetCString(st->values[arn_att]);
	t = hash_search(touched, &arn, HASH_ENTER, &found);
	if (!found)
	{
		t->arn = MemoryContextStrdup(touched_cxt, arn);
		t->first = t->last = ts;
	}
	else
	{
		if (ts < t->first)
			t->first = ts;
		if (ts > t->last)
			t->last = ts;
	}
	pfree(arn);
}

/* connect_lake.metrics_upkeep, when some part of the lake defines or sets it; on by default. */
static bool
upkeep_enabled(void)
{
	const char *v = GetConfigOption("connect_lake.metrics_upkeep", true, false);
	bool		on = true;

	if (v != NULL && !parse_bool(v, &on))
		on = true;
	return on;
}

/*
 * At pre-commit: one call of agent_activity_upkeep() with every agent noted,
 * unless upkeep is off or the lake has no such function (a lake created at
 * 0.1.0 and not yet updated, or the extension dropped since).
 */
static void
touched_upkeep(void)
{
	Oid			argtypes[3] = {TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	Datum		args[3];
	Datum	   *arns,
			   *firsts,
			   *lasts;
	HASH_SEQ_STATUS seq;
	Touched    *t;
	long		n;
	int			i = 0;

	if (touched == NULL || (n = hash_get_num_entries(touched)) == 0 || !upkeep_enabled())
		return;
	/*
	 * On a lake distributed on Citus the upkeep's queries (each agent's
	 * events before and after those landed) cannot be planned: the activity
	 * is rebuilt there by agent_activity_refresh() (README, Scaling out).
	 */
	if (cl_lake_distributed())
		return;
	if (!OidIsValid(get_namespace_oid(CONNECT_LAKE_SCHEMA, true)) ||
		!OidIsValid(LookupFuncName(list_make2(makeString(CONNECT_LAKE_SCHEMA), makeString("agent_activity_upkeep")),
								   3, argtypes, true)))
		return;

	arns = palloc(sizeof(Datum) * n);
	firsts = palloc(sizeof(Datum) * n);
	lasts = palloc(sizeof(Datum) * n);
	hash_seq_init(&seq, touched);
	while ((t = hash_seq_search(&seq)) != NULL)
	{
		arns[i] = CStringGetTextDatum(t->arn);
		firsts[i] = TimestampTzGetDatum(t->first);
		lasts[i] = TimestampTzGetDatum(t->last);
		i++;
	}
	args[0] = cl_writer_array(arns, NULL, i, TEXTOID);
	args[1] = cl_writer_array(firsts, NULL, i, TIMESTAMPTZOID);
	args[2] = cl_writer_array(lasts, NULL, i, TIMESTAMPTZOID);

	/* at pre-commit no statement is running: give the query a snapshot */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	if (SPI_execute_with_args("SELECT connect_lake.agent_activity_upkeep($1, $2, $3)", 3, argtypes, args, NULL,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: could not keep connect_lake.agent_activity_interval");
	SPI_finish();
	PopActiveSnapshot();
}

/* Keep the agent activity just before commit (or prepare); forget the agents at the end either way. */
static void
touched_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			touched_upkeep();
			touched_reset();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			touched_reset();
			break;
		default:
			break;
	}
}
