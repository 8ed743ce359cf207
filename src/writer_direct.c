/*
 * writer_direct.c: a batch of a plain-insert kind written into its partition
 * without SQL, as COPY writes rows (writer.h, cl_writer_direct()).
 *
 * The writer's batch statement (INSERT ... SELECT ... FROM unnest($1) ON
 * CONFLICT DO NOTHING) builds an array of the batch, unnests it into a
 * tuplestore, projects every column (COALESCE with its default) and inserts
 * each row speculatively: a conflict probe, a heap insert with a speculative
 * token, the index entries, and a second WAL record to confirm the insert.
 * Here, per row of the batch in key order: the same conflict probe
 * (ExecCheckIndexConstraints(), a dirty snapshot over every unique index,
 * waiting for a transaction that holds a conflicting row in progress), then
 * a plain heap insert through a BulkInsertState (the relation extended in
 * runs of pages, as COPY does) and its index entries.  A row of the batch
 * sees the rows inserted before it (the dirty snapshot sees this
 * transaction's own), so duplicates within a batch count as they did.
 *
 * On the lake's tables (one unique index, on the key the batch is sorted
 * by) the probe before each row is left out: a row equal to its neighbour
 * is a duplicate without one, and the others go in as COPY puts them, the
 * key index's entry made with a partial check (UNIQUE_CHECK_PARTIAL, as a
 * deferred unique constraint's): the index flags a row when an entry of its
 * key points to a row live or in progress for a dirty snapshot, which it
 * looks at anyway to enforce uniqueness.  Only a flagged row is looked up
 * again (direct_resolve): when another row holds its key (waited for while
 * its transaction is in progress) it is a duplicate, deleted again, its
 * entries left to a dead row as a speculative insert that lost leaves them.
 * The probe before each row cost about a tenth of a flow log load; a
 * duplicate now costs an insert and a delete, so a partition fed mostly
 * duplicates (a file delivered again) goes back to the probe before each
 * row (dup_partition), its key entries still checked partially: a key
 * another session's plain INSERT lands between a row's probe and its run's
 * insert makes the row a duplicate too, not a unique violation that would
 * fail the file (test/specs/load_direct_probe_race.spec).
 *
 * Only when no other session can insert the kind's keys meanwhile, i.e.
 * when this backend holds the kind's writer lock exclusively (a load() in
 * the session; not ingest() nor load()'s workers, which share it): a
 * speculative insert exists for the race a probe loses, which the lock
 * rules out.  And only where the statement would do nothing more than this:
 * the partition has no triggers, no rules, no CHECK constraints, no
 * row-level security in force for the user, the user may insert into it,
 * its columns are the row type's (none GENERATED, nor an identity GENERATED
 * ALWAYS), the transaction is not read-only, and the lake is not
 * distributed on Citus.  Otherwise the
 * writer sends its statement (cl_writer_direct() returns -1).
 *
 * Columns the record left NULL take their default, as the statement's
 * COALESCE does; a NULL in a NOT NULL column fails as INSERT fails.  The
 * command counter is advanced after the batch, so that later statements of
 * the load (side tables, upkeep) see its rows.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/catalog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rowsecurity.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "connect_lake.h"
#include "key_order.h"
#include "kinds.h"
#include "writer.h"

/*
 * Whether row-level security, in force for the user, lets any row through
 * for the command cmd (ACL_INSERT_CHR: the INSERT and ALL policies' checks;
 * ACL_SELECT_CHR: the SELECT and ALL policies' USING, which a statement
 * reading what it inserts, by RETURNING or ON CONFLICT, applies to its new
 * rows): an applicable permissive policy whose expression is the constant
 * true, and no applicable restrictive one with another, nor a policy hook.
 * The lake's own queue access is such for every role but the members of
 * connect_lake_restricted (queue_access_all, true for everyone; a
 * restrictive one for SELECT, theirs only): without this every role but the
 * owner would see its rows go through the statement.
 */
static bool
rls_lets_any(Relation rel, char cmd)
{
	Oid			user = GetUserId();
	bool		permitted = false;
	ListCell   *lc;

	if (rel->rd_rsdesc == NULL || row_security_policy_hook_permissive != NULL ||
		row_security_policy_hook_restrictive != NULL)
		return false;
	foreach(lc, rel->rd_rsdesc->policies)
	{
		RowSecurityPolicy *p = (RowSecurityPolicy *) lfirst(lc);
		Expr	   *check;
		Oid		   *roles = (Oid *) ARR_DATA_PTR(p->roles);
		int			nroles = ARR_DIMS(p->roles)[0];
		bool		applies = false;
		bool		always;

		if (p->polcmd != '*' && p->polcmd != cmd)
			continue;
		if (cmd == ACL_INSERT_CHR)
			check = p->with_check_qual ? p->with_check_qual : p->qual;
		else
			check = p->qual;
		for (int i = 0; i < nroles && !applies; i++)
			applies = (roles[i] == ACL_ID_PUBLIC || has_privs_of_role(user, roles[i]));
		if (!applies)
			continue;
		always = (check != NULL && IsA(check, Const) && ((Const *) check)->consttype == BOOLOID &&
				  !((Const *) check)->constisnull && DatumGetBool(((Const *) check)->constvalue));
		if (p->permissive)
			permitted = permitted || always;
		else if (check != NULL && !always)
			return false;
	}
	return permitted;
}

/* Whether the partition takes the batch directly (see the file header). */
static bool
direct_ok(CLRecordKind *kind, Relation rel, TupleDesc td)
{
	TupleDesc	rd = RelationGetDescr(rel);

	/* kind NULL: a plain table the caller alone adds those keys to (cl_direct_table_begin()) */
	if ((kind != NULL && !cl_kind_writers_exclusive(kind)) || cl_lake_distributed())
		return false;
	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->trigdesc != NULL)
		return false;
	/*
	 * Rules (ON INSERT DO ALSO / INSTEAD, which the statement's rewrite
	 * applies), and a read-only transaction (a hot standby's too), where
	 * the statement fails as INSERT fails: both the statement's to handle.
	 */
	if (rel->rd_rules != NULL || XactReadOnly)
		return false;
	if (rd->constr && rd->constr->num_check > 0)
		return false;
	/*
	 * Row-level security whose policies let any row in is no obstacle
	 * (rls_lets_any()): for the rollups' plain INSERTs (kind NULL) the INSERT
	 * policies; for a kind's batch, whose statement reads its new rows back
	 * (RETURNING), the SELECT policies too, so that a role the statement
	 * would refuse a row (a member of connect_lake_restricted, for another
	 * queue's) still gets the statement's error.
	 */
	if (check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED &&
		!(rls_lets_any(rel, ACL_INSERT_CHR) && (kind == NULL || rls_lets_any(rel, ACL_SELECT_CHR))))
		return false;
	if (pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		return false;
	if (rd->natts != td->natts)
		return false;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rd, i);
		Form_pg_attribute b = TupleDescAttr(td, i);

		if (a->attisdropped != b->attisdropped)
			return false;
		/* an identity column GENERATED ALWAYS refuses the statement's values */
		if (!a->attisdropped && (a->atttypid != b->atttypid || a->attgenerated ||
								 a->attidentity == ATTRIBUTE_IDENTITY_ALWAYS))
			return false;
	}
	return true;
}

/*
 * Rows handed to table_multi_insert() at once, and their bytes: the heap
 * insert copies each row, so that the copies held beside the batch stay
 * small (a large record is held about once, as by the statement's path).
 */
#define DIRECT_MULTI 1000
#define DIRECT_MULTI_BYTES ((Size) 4 * 1024 * 1024)

/*
 * The partition whose last batch here was mostly duplicates (a file
 * delivered again): its next batch probes each row before inserting it,
 * rather than inserting it and taking it out again.
 */
static Oid	dup_partition = InvalidOid;

/* What a batch is written with. */
typedef struct Direct
{
	Relation	rel;
	TupleDesc	td;				/* the batch's rows' (the kind's row type) */
	TupleDesc	slot_td;		/* the partition's, unpinned: its rows' slots */
	EState	   *estate;
	ResultRelInfo *rri;
	ExprState **defaults;		/* per column with a default, else NULL */
	bool		any_default;
	Datum	   *values;
	bool	   *nulls;
	BulkInsertState bistate;
	CommandId	cid;
	/* the one unique index is on the batch's sort key: equal neighbours conflict */
	bool		by_key;
	bool		nulls_equal;	/* that index is NULLS NOT DISTINCT */
	const IndexInfo *key_index;
	/* the probe of that index, made once per batch (see direct_probe) */
	Relation	key_rel;
	IndexScanDesc key_scan;
	SnapshotData dirty;
	ScanKeyData key_keys[INDEX_MAX_KEYS];
	FmgrInfo	key_procs[INDEX_MAX_KEYS];
	TupleTableSlot *existing;
	TupleTableSlot *slots[DIRECT_MULTI];
	/*
	 * resolve (cl_writer_direct(), by_key): the key index's entries made
	 * with a partial check, the rows it flags resolved after the run
	 * (direct_resolve), whichever way a row went in: partial, without a
	 * probe, or else each row probed before it goes in (see
	 * cl_writer_direct()), where the check still flags a row whose key
	 * another session's INSERT landed between its probe and its run
	 */
	bool		resolve;
	bool		partial;
	int64		undone;			/* rows flagged and taken out again (duplicates) */
	int			nslots;			/* made */
	int			nbuf;			/* buffered for the next table_multi_insert() */
	Size		nbytes;			/* their bytes */
} Direct;

/*
 * The row as the partition stores it, in slot: the batch's formed tuple as
 * it is, or, when a column it leaves NULL has a default, a tuple formed
 * again with the defaults in.  With own, the slot takes the batch's tuple
 * (*tupp set to NULL: the slot frees it), which the heap insert then need
 * not copy.
 */
static void
direct_store(Direct *d, HeapTuple *tupp, TupleTableSlot *slot, bool own)
{
	ExprContext *econtext = GetPerTupleExprContext(d->estate);
	TupleDesc	rd = RelationGetDescr(d->rel);
	HeapTuple	tup = *tupp;
	bool		fill = false;

	for (int i = 0; i < rd->natts && !fill; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rd, i);

		if (!a->attisdropped && (d->defaults[i] || a->attnotnull) && heap_attisnull(tup, i + 1, d->td))
			fill = true;
	}
	if (!fill)
	{
		ExecStoreHeapTuple(tup, slot, own);
		if (own)
			*tupp = NULL;
		return;
	}
	heap_deform_tuple(tup, d->td, d->values, d->nulls);
	for (int i = 0; i < rd->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rd, i);

		if (!d->nulls[i] || a->attisdropped)
			continue;
		if (d->defaults[i])
			d->values[i] = ExecEvalExprSwitchContext(d->defaults[i], econtext, &d->nulls[i]);
		if (d->nulls[i] && a->attnotnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(a->attname), RelationGetRelationName(d->rel))));
	}
	ExecStoreHeapTuple(heap_form_tuple(rd, d->values, d->nulls), slot, true);
}

/*
 * The conflict probe of ON CONFLICT DO NOTHING over every unique index:
 * true when none.  When the one unique index is the batch's key (by_key),
 * the probe is that of ExecCheckIndexConstraints() without its per-row
 * setup (a slot, an index scan and the equality functions made for each
 * row): one scan of the key index under a dirty snapshot, made per batch and
 * rescanned per row.  A row it finds whose inserting or deleting
 * transaction is still in progress is probed again by
 * ExecCheckIndexConstraints(), which waits for that transaction as INSERT
 * would.
 */
static bool
direct_probe(Direct *d, TupleTableSlot *slot)
{
	ItemPointerData conflict;
	const IndexInfo *ii = d->key_index;
	int			nkeys;

	if (d->rri->ri_NumIndices == 0)
		return true;
	if (d->key_scan == NULL)
		return ExecCheckIndexConstraints(d->rri, slot, d->estate, &conflict, NIL);
	nkeys = ii->ii_NumIndexKeyAttrs;
	for (int c = 0; c < nkeys; c++)
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, ii->ii_IndexAttrNumbers[c], &isnull);

		/* a null is distinct from every key unless the index says otherwise */
		if (isnull && !d->nulls_equal)
			return true;
		ScanKeyEntryInitializeWithInfo(&d->key_keys[c], isnull ? SK_ISNULL | SK_SEARCHNULL : 0,
									   c + 1, ii->ii_UniqueStrats[c], InvalidOid,
									   d->key_rel->rd_indcollation[c], &d->key_procs[c], value);
	}
	index_rescan(d->key_scan, d->key_keys, nkeys, NULL, 0);
	while (index_getnext_slot(d->key_scan, ForwardScanDirection, d->existing))
	{
		bool		in_progress = TransactionIdIsValid(d->dirty.xmin) ||
			TransactionIdIsValid(d->dirty.xmax);

		ExecClearTuple(d->existing);
		if (in_progress)
			return ExecCheckIndexConstraints(d->rri, slot, d->estate, &conflict, NIL);
		return false;
	}
	return true;
}

/* The reusable probe of the key index (by_key only). */
static void
direct_probe_begin(Direct *d)
{
	const IndexInfo *ii = d->key_index;

	for (int i = 0; i < d->rri->ri_NumIndices; i++)
		if (d->rri->ri_IndexRelationInfo[i] == ii)
			d->key_rel = d->rri->ri_IndexRelationDescs[i];
	if (d->key_rel == NULL || ii->ii_UniqueProcs == NULL)
		return;
	for (int c = 0; c < ii->ii_NumIndexKeyAttrs; c++)
		fmgr_info(ii->ii_UniqueProcs[c], &d->key_procs[c]);
	InitDirtySnapshot(d->dirty);
	d->existing = table_slot_create(d->rel, NULL);
	d->key_scan = index_beginscan(d->rel, d->key_rel, &d->dirty, ii->ii_NumIndexKeyAttrs, 0);
}

static void
direct_probe_end(Direct *d)
{
	if (d->key_scan)
		index_endscan(d->key_scan);
	if (d->existing)
		ExecDropSingleTupleTableSlot(d->existing);
	d->key_scan = NULL;
	d->existing = NULL;
}

/*
 * A row the key index flagged (a partial check: an entry of its key whose
 * row is live or in progress for a dirty snapshot) looked up again, its own
 * entry aside: true when another row holds its key, which is then the
 * duplicate's to keep.  A row whose inserting or deleting transaction is in
 * progress is waited for, as INSERT waits, and the key looked up again.
 */
static bool
direct_taken(Direct *d, TupleTableSlot *slot)
{
	const IndexInfo *ii = d->key_index;
	int			nkeys = ii->ii_NumIndexKeyAttrs;

	for (int c = 0; c < nkeys; c++)
	{
		bool		isnull;
		Datum		value = slot_getattr(slot, ii->ii_IndexAttrNumbers[c], &isnull);

		if (isnull && !d->nulls_equal)
			return false;		/* the index flags no such row */
		ScanKeyEntryInitializeWithInfo(&d->key_keys[c], isnull ? SK_ISNULL | SK_SEARCHNULL : 0,
									   c + 1, ii->ii_UniqueStrats[c], InvalidOid,
									   d->key_rel->rd_indcollation[c], &d->key_procs[c], value);
	}
	for (;;)
	{
		TransactionId xwait = InvalidTransactionId;
		uint32		token = 0;
		bool		taken = false;
		ItemPointerData tid;

		index_rescan(d->key_scan, d->key_keys, nkeys, NULL, 0);
		while (index_getnext_slot(d->key_scan, ForwardScanDirection, d->existing))
		{
			if (ItemPointerEquals(&d->existing->tts_tid, &slot->tts_tid))
				continue;		/* its own entry */
			xwait = TransactionIdIsValid(d->dirty.xmin) ? d->dirty.xmin : d->dirty.xmax;
			token = d->dirty.speculativeToken;
			if (!TransactionIdIsValid(xwait))
				taken = true;
			break;
		}
		tid = d->existing->tts_tid;
		ExecClearTuple(d->existing);
		if (!TransactionIdIsValid(xwait))
			return taken;
		/*
		 * As _bt_doinsert() waits: for a speculative insertion (another
		 * session's INSERT ... ON CONFLICT) only until it is confirmed or
		 * taken back, not for the end of its transaction.
		 */
		if (token)
			SpeculativeInsertionWait(d->dirty.xmin, token);
		else
			XactLockTableWait(xwait, d->rel, &tid, XLTW_InsertIndex);
	}
}

/*
 * The rows of a run the key index flagged: each one whose key another row
 * holds is a duplicate, taken out again (deleted: its entries point to a
 * dead row, as those of a speculative insert that lost).  The deletes are
 * a command after the run's inserts.
 */
static void
direct_resolve(Direct *d, int *flagged, int nflagged)
{
	CommandCounterIncrement();
	d->cid = GetCurrentCommandId(true);
	for (int j = 0; j < nflagged; j++)
	{
		TupleTableSlot *slot = d->slots[flagged[j]];

		CHECK_FOR_INTERRUPTS();
		if (direct_taken(d, slot))
		{
			simple_heap_delete(d->rel, &slot->tts_tid);
			d->undone++;
		}
		ExecClearTuple(slot);
	}
}

/*
 * The rows buffered into the heap in one go, then their index entries: with
 * a partial check of the key index (resolve), the rows it flags resolved
 * after the run.
 */
static void
direct_flush(Direct *d)
{
	int			flagged[DIRECT_MULTI];
	int			nflagged = 0;

	if (d->nbuf == 0)
		return;
	table_multi_insert(d->rel, d->slots, d->nbuf, d->cid, 0, d->bistate);
	for (int i = 0; i < d->nbuf; i++)
	{
		ResetPerTupleExprContext(d->estate);
		if (d->resolve)
		{
			/* the indexes whose partial check flags the row: the key's only */
			if (ExecInsertIndexTuples(d->rri, d->slots[i], d->estate, false, true, NULL, NIL) != NIL)
			{
				flagged[nflagged++] = i;
				continue;
			}
		}
		else if (d->rri->ri_NumIndices > 0)
			(void) ExecInsertIndexTuples(d->rri, d->slots[i], d->estate, false, false, NULL, NIL);
		ExecClearTuple(d->slots[i]);
	}
	if (nflagged > 0)
		direct_resolve(d, flagged, nflagged);
	d->nbuf = 0;
	d->nbytes = 0;
}

/* A row buffered: the buffer written when full. */
static void
direct_buffered(Direct *d, uint32 len)
{
	d->nbuf++;
	d->nbytes += len;
	if (d->nbuf == DIRECT_MULTI || d->nbytes >= DIRECT_MULTI_BYTES)
		direct_flush(d);
}

/*
 * Whether the only unique index is on the key the batch is sorted by (ko
 * NULL: a side table's rows, whose keys in that index are distinct).
 */
static void
direct_key_index(Direct *d, const CLKeyOrder *ko)
{
	ResultRelInfo *rri = d->rri;
	int			unique = 0;

	d->by_key = false;
	for (int i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (ii->ii_ExclusionOps != NULL)
			return;
		if (!ii->ii_Unique)
			continue;
		unique++;
		d->key_index = ii;
	}
	/*
	 * ko NULL: the index's key must be plain columns without a predicate
	 * too, as the probe and direct_taken() read the key from the row's
	 * columns and look it up whatever the predicate.
	 */
	if (unique == 1 &&
		(ko == NULL ? d->key_index->ii_Expressions == NIL && d->key_index->ii_Predicate == NIL
		 : cl_key_order_is_index(ko, d->key_index)))
	{
		d->by_key = true;
		d->nulls_equal = d->key_index->ii_NullsNotDistinct;
	}
}

/* Whether a row's key, in the sort key's index, holds a null. */
static bool
key_has_null(Direct *d, HeapTuple tup)
{
	for (int c = 0; c < d->key_index->ii_NumIndexKeyAttrs; c++)
		if (heap_attisnull(tup, d->key_index->ii_IndexAttrNumbers[c], d->td))
			return true;
	return false;
}

/*
 * Open the partition for direct writing: false (nothing held) when the
 * batch statement must write it.
 */
static bool
direct_begin(Direct *d, CLRecordKind *kind, const CLKeyOrder *ko, Oid partition, TupleDesc td)
{
	TupleDesc	rd;
	RangeTblEntry *rte;

	memset(d, 0, sizeof(*d));
	d->rel = table_open(partition, RowExclusiveLock);
	if (td == NULL)
		td = RelationGetDescr(d->rel);
	if (!direct_ok(kind, d->rel, td))
	{
		table_close(d->rel, NoLock);
		return false;
	}
	rd = RelationGetDescr(d->rel);
	d->td = td;

	d->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = partition;
	rte->relkind = d->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(d->estate, list_make1(rte));
	d->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(d->rri, d->rel, 1, NULL, 0);
	/* speculative: the unique indexes' information the conflict probe needs */
	ExecOpenIndices(d->rri, true);
	direct_key_index(d, ko);
	if (d->by_key)
		direct_probe_begin(d);

	/* the defaults of the columns a NULL takes them for */
	d->defaults = palloc0(sizeof(ExprState *) * rd->natts);
	for (int i = 0; i < rd->natts; i++)
	{
		Node	   *def;

		if (TupleDescAttr(rd, i)->attisdropped)
			continue;
		def = build_column_default(d->rel, i + 1);
		if (def)
			d->defaults[i] = ExecPrepareExpr((Expr *) def, d->estate);
	}
	/*
	 * The rows' slots (up to DIRECT_MULTI a batch) share a copy of the
	 * partition's descriptor that is not reference-counted: a slot of the
	 * relation's own would pin it in the resource owner, and unpin it when
	 * dropped, once per slot.  A slot only forms and deforms its row with it.
	 */
	d->slot_td = CreateTupleDescCopy(rd);
	d->values = palloc(sizeof(Datum) * rd->natts);
	d->nulls = palloc(sizeof(bool) * rd->natts);
	d->bistate = GetBulkInsertState();
	d->cid = GetCurrentCommandId(true);
	return true;
}

/* The next free slot for a row. */
static TupleTableSlot *
direct_slot(Direct *d)
{
	if (d->nbuf == d->nslots)
		d->slots[d->nslots++] = MakeSingleTupleTableSlot(d->slot_td, &TTSOpsHeapTuple);
	return d->slots[d->nbuf];
}

/* Everything buffered written, everything let go. */
static void
direct_end(Direct *d)
{
	direct_flush(d);
	direct_probe_end(d);
	FreeBulkInsertState(d->bistate);
	for (int i = 0; i < d->nslots; i++)
		ExecDropSingleTupleTableSlot(d->slots[i]);
	ExecCloseIndices(d->rri);
	FreeExecutorState(d->estate);
	table_close(d->rel, NoLock);
	/* the rows visible to the load's next statements */
	CommandCounterIncrement();
}

/*
 * Write rows[order[0..n)] (formed with td, the kind's row type, sorted by
 * ko with same[] telling equal neighbours, cl_key_order_sort_same() with
 * nulls equal) into the partition; returns the rows inserted (the others
 * are duplicates), or -1 when the partition must be written by the batch
 * statement.
 *
 * When the partition's one unique index is the sort key's (the lake's
 * tables), a row equal to its neighbour before is a duplicate without a
 * probe, and the rows are inserted in runs of DIRECT_MULTI with
 * table_multi_insert() (a WAL record per page, as COPY), then their index
 * entries with the key's checked partially, the rows it flags resolved
 * (direct_resolve; probed first instead while the partition is fed mostly
 * duplicates).  Otherwise row by row, each probed after the rows before it
 * are in.  The rows stored in a slot (all but equal neighbours) are the
 * slot's: freed as written or found duplicates, and set to NULL in rows[].
 * ko NULL: rows of a side table the kind's writer keeps (e.g. the CTRs'
 * contact_account, ctr_dims.c), formed with the table's descriptor, their
 * keys in its one unique index distinct.
 */
int64
cl_writer_direct(CLRecordKind *kind, const CLKeyOrder *ko, Oid partition, TupleDesc td,
				 HeapTuple *rows, const int *order, const bool *same, int n)
{
	Direct		d;
	int64		inserted = 0;
	int			considered = 0;	/* rows not equal to their neighbour */
	int			probed_out = 0; /* of them, duplicates the probe found */

	if (!direct_begin(&d, kind, ko, partition, td))
		return -1;
	/*
	 * A duplicate taken out again is an insert and a delete in the WAL: with
	 * wal_level logical, changes a logical decoder sends on (a subscriber
	 * with the key would stop on the insert; a CDC consumer would see a row
	 * come and go), where the statement's lost speculative insert is left
	 * out.  There each row is probed first, none taken out
	 * (test/t/057_direct_logical.pl).
	 */
	d.resolve = d.by_key && d.key_scan != NULL && !RelationIsLogicallyLogged(d.rel);
	d.partial = d.resolve && partition != dup_partition;
	for (int k = 0; k < n; k++)
	{
		HeapTuple	tup = rows[order[k]];
		TupleTableSlot *slot;
		uint32		len = tup->t_len;

		CHECK_FOR_INTERRUPTS();
		/* the key of the row before: a duplicate of it (inserted or not) */
		if (d.by_key && same[k] && (d.nulls_equal || !key_has_null(&d, tup)))
			continue;
		slot = direct_slot(&d);
		ResetPerTupleExprContext(d.estate);
		/* the slot takes the row, now the batch's (the caller frees what is left) */
		direct_store(&d, &rows[order[k]], slot, true);
		considered++;
		if (!d.partial && !direct_probe(&d, slot))
		{
			ExecClearTuple(slot);
			probed_out++;
			continue;			/* a duplicate */
		}
		inserted++;
		direct_buffered(&d, len);
		/* row by row, a row's probe must see the rows before it */
		if (!d.by_key)
			direct_flush(&d);
		/* a run mostly of duplicates: the rest probed first, not inserted and taken out */
		if (d.partial && d.nbuf == 0 && d.undone * 4 > considered)
			d.partial = false;
	}
	direct_flush(&d);
	inserted -= d.undone;
	/* a partition fed duplicates of its rows (a file delivered again): its next batch probed first */
	if ((d.undone + probed_out) * 4 > considered)
		dup_partition = partition;
	else if (dup_partition == partition)
		dup_partition = InvalidOid;
	direct_end(&d);
	return inserted;
}

/*
 * For a land (versions of one row per key, version_land.c): of
 * rows[order[0..n)], whose keys are distinct, insert those whose key the
 * partition does not hold, setting inserted[row]; the others are left to
 * the land's statement.  Returns how many were inserted, or -1 (nothing
 * done) when the partition must be written by the statement alone.
 */
int
cl_writer_direct_new_keys(CLRecordKind *kind, const CLKeyOrder *ko, Oid partition, TupleDesc td,
						  HeapTuple *rows, const int *order, int n, bool *inserted)
{
	Direct		d;
	int			count = 0;

	if (!direct_begin(&d, kind, ko, partition, td))
		return -1;
	if (!d.by_key)
	{
		/* a second unique index could conflict with the statement's rows: not here */
		direct_end(&d);
		return -1;
	}
	for (int k = 0; k < n; k++)
	{
		TupleTableSlot *slot;

		CHECK_FOR_INTERRUPTS();
		inserted[order[k]] = false;
		slot = direct_slot(&d);
		ResetPerTupleExprContext(d.estate);
		direct_store(&d, &rows[order[k]], slot, false);
		if (!direct_probe(&d, slot))
		{
			ExecClearTuple(slot);
			continue;			/* the land's statement lands it */
		}
		inserted[order[k]] = true;
		count++;
		direct_buffered(&d, rows[order[k]]->t_len);
	}
	direct_end(&d);
	return count;
}

/*
 * A plain table written as COPY writes (writer.h, cl_direct_table_begin()):
 * rows formed with the table's own descriptor, inserted in runs with
 * table_multi_insert() and their index entries, every unique index checked
 * as INSERT checks it (a duplicate key fails the statement, as a plain
 * INSERT would).
 */
struct CLDirectTable
{
	Direct		d;
	int64		rows;
};

CLDirectTable *
cl_direct_table_begin(Oid relid)
{
	CLDirectTable *t = palloc0(sizeof(CLDirectTable));

	if (!direct_begin(&t->d, NULL, NULL, relid, NULL))
	{
		pfree(t);
		return NULL;
	}
	/* no probe, no partial check: every row goes in, every unique index checked */
	direct_probe_end(&t->d);
	t->d.by_key = false;
	t->d.resolve = false;
	t->d.partial = false;
	return t;
}

TupleDesc
cl_direct_table_desc(CLDirectTable *t)
{
	return RelationGetDescr(t->d.rel);
}

void
cl_direct_table_put(CLDirectTable *t, Datum *values, bool *nulls)
{
	TupleDesc	rd = RelationGetDescr(t->d.rel);
	TupleTableSlot *slot;
	HeapTuple	tup;

	for (int i = 0; i < rd->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rd, i);

		if (nulls[i] && a->attnotnull && !a->attisdropped)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(a->attname), RelationGetRelationName(t->d.rel))));
	}
	slot = direct_slot(&t->d);
	tup = heap_form_tuple(t->d.slot_td, values, nulls);
	ExecStoreHeapTuple(tup, slot, true);
	t->rows++;
	direct_buffered(&t->d, tup->t_len);
}

/* A row already formed with the table's descriptor: the table's once put. */
void
cl_direct_table_put_tuple(CLDirectTable *t, HeapTuple tup)
{
	TupleDesc	rd = RelationGetDescr(t->d.rel);
	TupleTableSlot *slot;

	for (int i = 0; i < rd->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(rd, i);

		if (a->attnotnull && !a->attisdropped && heap_attisnull(tup, i + 1, rd))
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of relation \"%s\" violates not-null constraint",
							NameStr(a->attname), RelationGetRelationName(t->d.rel))));
	}
	slot = direct_slot(&t->d);
	ExecStoreHeapTuple(tup, slot, true);
	t->rows++;
	direct_buffered(&t->d, tup->t_len);
}

int64
cl_direct_table_end(CLDirectTable *t)
{
	int64		rows = t->rows;

	direct_end(&t->d);
	pfree(t);
	return rows;
}

CLDirectTable *
cl_direct_table_open(const char *relname, int natts, const Oid *types, const char *const *names)
{
	Oid			relid = get_relname_relid(relname, cl_schema_oid());
	CLDirectTable *t;
	TupleDesc	d;
	bool		ok;

	if (!OidIsValid(relid) || (t = cl_direct_table_begin(relid)) == NULL)
		return NULL;
	d = cl_direct_table_desc(t);
	ok = (d->natts == natts);
	for (int i = 0; ok && i < natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(d, i);

		ok = !a->attisdropped &&
			(OidIsValid(types[i]) ? a->atttypid == types[i]
			 : (a->atttypid == INT4OID || a->atttypid == INT8OID)) &&
			(names == NULL || names[i] == NULL || strcmp(NameStr(a->attname), names[i]) == 0);
	}
	if (!ok)
	{
		(void) cl_direct_table_end(t);
		return NULL;
	}
	return t;
}
