/*
 * erasure.c: the writers' check against the erasure list, so that a record
 * of a forgotten customer landing again (a re-load of the same export files,
 * a re-delivered CTR, a late flow log) is scrubbed as forget_customer()
 * scrubbed it (sql/install/86_erasure.sql).
 *
 * The list holds keyed digests only, and the key is the owner's: the check
 * itself is SQL (connect_lake.erasure_landed(), SECURITY DEFINER), run once
 * per transaction just before it commits, per kind, with the id and the
 * partition key of every record the writer was given:
 *
 *   connect_lake.erasure_landed(kind text, ids text[], keys timestamptz[])
 *   connect_lake.erasure_rejects_landed()    -- the rejects of the transaction
 *
 * It runs after the rows, their side tables (contact_account, case_state)
 * and, whatever the order of the callbacks, the repeat contacts are written:
 * erasure_landed() rebuilds the repeat chains of the contacts it scrubs.
 *
 * Cheap when nothing was ever forgotten: cl_erasure_writer_begin() (once per
 * load(), ingest() or ingest_batch() call) looks whether erasure_list has a
 * page at all -- no query, no ACL check -- and when it has none the writer
 * notes nothing.  An erasure committed while a load runs applies to the
 * loads that start after it.
 *
 * Every other kind is noted by its id and partition key, whatever it is:
 * Customer Profiles events (customer_profile_event) by EventId and
 * EventTimestamp; erasure_landed() matches their profile id, contact id and
 * account, and scrubs the profile after the writer rebuilt its state
 * (customer_profile_refresh() runs when the file or call is written, the
 * check only at commit).
 *
 * Agent events hold no customer value and are not noted.  Rows written by
 * a subtransaction that rolled back stay noted: erasure_landed() looks them
 * up and does not find them.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "erasure.h"
#include "writer.h"

/* The records of one kind given to the writers in this transaction. */
typedef struct ErasureNotes
{
	CLRecordKind *kind;
	int			id_att;
	int			ts_att;
	Oid			id_type;
	Datum	   *ids;			/* text */
	Datum	   *tss;			/* timestamptz */
	int			n;
	int			cap;
} ErasureNotes;

#define ERASURE_MAX_KINDS 8

static ErasureNotes notes[ERASURE_MAX_KINDS];
static int	nnotes = 0;
static bool touched = false;	/* a writer ran with the list in force */
static bool callbacks = false;
static MemoryContext notes_cxt = NULL;

static void
reset(void)
{
	nnotes = 0;
	touched = false;
	memset(notes, 0, sizeof(notes));
	if (notes_cxt)
		MemoryContextReset(notes_cxt);
}

/* Calls one of the check functions; false when this lake has none (older version). */
static bool
call_check(const char *fn, int nargs, Oid *argtypes, Datum *args)
{
	char	   *sql;
	int			rc;

	if (!OidIsValid(LookupFuncName(list_make2(makeString(CONNECT_LAKE_SCHEMA), makeString(unconstify(char *, fn))),
								   nargs, argtypes, true)))
		return false;
	sql = psprintf("SELECT %s.%s(%s)", quote_identifier(CONNECT_LAKE_SCHEMA), quote_identifier(fn),
				   nargs == 3 ? "$1, $2, $3" : "");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: %s failed: %s", sql, SPI_result_code_string(rc));
	SPI_finish();
	return true;
}

/* Just before commit: each kind's records, then the rejects, against the list. */
static void
run_check(void)
{
	Oid			argtypes[3] = {TEXTOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID};

	if (!touched || !OidIsValid(get_namespace_oid(CONNECT_LAKE_SCHEMA, true)))
		return;
	/* at pre-commit no statement is running: give the queries a snapshot */
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int k = 0; k < nnotes; k++)
	{
		ErasureNotes *s = &notes[k];
		Datum		args[3];

		if (s->n == 0)
			continue;
		args[0] = CStringGetTextDatum(s->kind->name);
		args[1] = cl_writer_array(s->ids, NULL, s->n, TEXTOID);
		args[2] = cl_writer_array(s->tss, NULL, s->n, TIMESTAMPTZOID);
		if (!call_check("erasure_landed", 3, argtypes, args))
			break;
	}
	call_check("erasure_rejects_landed", 0, NULL, NULL);
	PopActiveSnapshot();
}

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			run_check();
			reset();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			reset();
			break;
		default:
			break;
	}
}

/*
 * Whether the erasure list is in force: it has a page.  A writer calls this
 * when it begins; false means nothing to note for its whole run.
 */
bool
cl_erasure_writer_begin(void)
{
	Oid			nsp = get_namespace_oid(CONNECT_LAKE_SCHEMA, true);
	Oid			relid;
	Relation	rel;
	BlockNumber pages;

	if (!OidIsValid(nsp))
		return false;
	relid = get_relname_relid("erasure_list", nsp);
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	pages = RelationGetNumberOfBlocks(rel);
	table_close(rel, AccessShareLock);
	if (pages == 0)
		return false;

	if (!callbacks)
	{
		RegisterXactCallback(xact_callback, NULL);
		callbacks = true;
	}
	if (notes_cxt == NULL)
		notes_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake erasure",
										  ALLOCSET_DEFAULT_SIZES);
	touched = true;
	return true;
}

/* The notes of a kind, made at its first record. */
static ErasureNotes *
notes_for(CLRecordKind *kind, TupleDesc tupdesc)
{
	ErasureNotes *s;

	for (int k = 0; k < nnotes; k++)
		if (notes[k].kind == kind)
			return &notes[k];
	if (nnotes == ERASURE_MAX_KINDS)
		elog(ERROR, "connect_lake: too many kinds for the erasure check");
	s = &notes[nnotes++];
	s->kind = kind;
	s->id_att = kind->id_column ? cl_tupdesc_column(tupdesc, kind->id_column) : -1;
	s->ts_att = kind->partition_column ? cl_tupdesc_column(tupdesc, kind->partition_column) : -1;
	s->id_type = s->id_att >= 0 ? TupleDescAttr(tupdesc, s->id_att)->atttypid : InvalidOid;
	if (s->ts_att >= 0 && TupleDescAttr(tupdesc, s->ts_att)->atttypid != TIMESTAMPTZOID)
		s->ts_att = -1;
	return s;
}

/*
 * One record given to the writer (a writer for which
 * cl_erasure_writer_begin() said true): its id and partition key, for the
 * check at commit.
 */
void
cl_erasure_note(CLRecordKind *kind, TupleDesc tupdesc, Datum *values, bool *nulls)
{
	ErasureNotes *s;
	MemoryContext old;

	if (!touched || strcmp(kind->name, "agent_event") == 0)
		return;
	s = notes_for(kind, tupdesc);
	if (s->id_att < 0 || s->ts_att < 0 || nulls[s->id_att] || nulls[s->ts_att])
		return;
	old = MemoryContextSwitchTo(notes_cxt);
	if (s->n == s->cap)
	{
		int			cap = Max(1024, s->cap * 2);

		s->ids = s->ids ? repalloc_huge(s->ids, sizeof(Datum) * cap) : MemoryContextAllocHuge(notes_cxt, sizeof(Datum) * cap);
		s->tss = s->tss ? repalloc_huge(s->tss, sizeof(Datum) * cap) : MemoryContextAllocHuge(notes_cxt, sizeof(Datum) * cap);
		s->cap = cap;
	}
	if (s->id_type == UUIDOID)
		s->ids[s->n] = CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(uuid_out, values[s->id_att])));
	else if (s->id_type == TEXTOID)
		s->ids[s->n] = PointerGetDatum(DatumGetTextPCopy(values[s->id_att]));
	else
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(s->id_type, &out, &varlena);
		s->ids[s->n] = CStringGetTextDatum(OidOutputFunctionCall(out, values[s->id_att]));
	}
	s->tss[s->n] = values[s->ts_att];
	s->n++;
	MemoryContextSwitchTo(old);
}
