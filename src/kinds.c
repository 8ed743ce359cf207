/*
 * kinds.c: the registry of record kinds, by the name load() and ingest() use.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"

#include "connect_lake.h"
#include "kinds.h"

static CLRecordKind *const kinds[] = {
	&cl_kind_ctr,
	&cl_kind_contact_flow_log,
	&cl_kind_contact_event,
	&cl_kind_case_event,
	&cl_kind_case_related_item,
	&cl_kind_agent_event,
	&cl_kind_customer_profile_event,
};

/*
 * A kind's place in the registry above: the order every upkeep runs the
 * kinds of one transaction in (upkeep.c), so that the writers' upkeep locks
 * are always taken in one order (the CTRs' metrics, repeats and flows locks
 * before the flow logs' flows lock: the other way round, two transactions
 * could each hold one while waiting for the other).
 */
int
cl_kind_order(const CLRecordKind *kind)
{
	for (int i = 0; i < lengthof(kinds); i++)
		if (kinds[i] == kind)
			return i;
	return lengthof(kinds);
}

/*
 * The kind load(), ingest() and a foreign table's `kind` option name; an
 * unknown name is an error listing the known ones, so that a typo is told
 * what it could have been.
 */
CLRecordKind *
cl_kind_by_name(const char *name)
{
	StringInfoData known;

	for (int i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];

	initStringInfo(&known);
	for (int i = 0; i < lengthof(kinds); i++)
		appendStringInfo(&known, "%s%s", i ? ", " : "", kinds[i]->name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown record kind \"%s\"", name),
			 errhint("Known kinds: %s.", known.data)));
}

/*
 * The writer lock of a kind: why one load() at a time writes a kind.
 *
 * load() runs every file of a call in one transaction, so the rows it
 * writes stay locked until the call ends.  Two calls whose files share
 * rows (the same contact delivered again on a later day, a directory and
 * one of its days, overlapping globs) each hold rows the other one needs
 * next, in whatever order their files and batches came: a deadlock that no
 * ordering within a batch prevents, and the losing call rolls back whole.
 * So a load() takes its kind's lock exclusively, before its first file, and
 * a second load() of the kind waits for the first to commit, then finds in
 * the manifest the files it loaded and skips them.  ingest() and
 * ingest_batch() take it shared: they run side by side (each call's rows in
 * key order), wait for a load(), and a load() waits for them.  load()'s
 * background workers (load(..., workers => n)) take it shared too, per
 * transaction: each commits a file at a time, its rows in key order, so
 * they run side by side like ingests.  Other kinds and readers are not
 * concerned.
 *
 * Kinds that route records to one another write each other's tables, so
 * they share one lock: the lock of the first kind in the registry with the
 * same route hook.
 */
static void writer_lock_tag(CLRecordKind *kind, LOCKTAG *tag);

void
cl_kind_lock_writers(CLRecordKind *kind, bool exclusive)
{
	LOCKTAG		tag;

	writer_lock_tag(kind, &tag);
	(void) LockAcquire(&tag, exclusive ? ExclusiveLock : ShareLock, false, false);
}

/* The advisory lock tag of a kind's writer lock (the owner kind's, see above). */
static void
writer_lock_tag(CLRecordKind *kind, LOCKTAG *tag)
{
	CLRecordKind *owner = kind;

	if (kind->route != NULL)
		for (int i = 0; i < lengthof(kinds); i++)
			if (kinds[i]->route == kind->route)
			{
				owner = kinds[i];
				break;
			}
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, CL_WRITER_LOCK_SPACE,
						 cl_relation_oid(owner->table), 2);
}

/*
 * Whether this backend holds the kind's writer lock exclusively: then no
 * other session inserts the kind's rows until it commits (writer_direct.c).
 */
bool
cl_kind_writers_exclusive(CLRecordKind *kind)
{
	LOCKTAG		tag;

	writer_lock_tag(kind, &tag);
	return LockHeldByMe(&tag, ExclusiveLock);
}

PG_FUNCTION_INFO_V1(kind_rowtype);

/*
 * kind_rowtype(kind text) RETURNS regtype: the row type records of a kind
 * are mapped onto, as the mapper resolves it (create_foreign_table() shapes a
 * foreign table after it).  Here with the registry, not in the FDW, because
 * it is a question about a kind.
 */
Datum
kind_rowtype(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	CLMapState	st;

	cl_map_init(&st, kind, CL_MAP_PARSE);
	PG_RETURN_OID(st.tupdesc->tdtypeid);
}
