/*
 * writer.c: land mapped records in the lake, in batches (see writer.h).
 *
 * The generic batched writer; what differs between kinds is declared on the
 * kind or done by its hooks, each called per batch except a land's fold:
 *
 *   cl_writer_add()     route to the month partition (or refuse the record:
 *                       outside the time window, over the partition cap),
 *                       keep the after_write
 *                       key, set the provenance columns, the personal
 *                       values as stored (pii.h), [land->fold],
 *                       buffer the row as a formed tuple (one palloc)
 *   flush_buf()         [land->order] or the table's key order (key_order.h),
 *                       the count column of folded rows; in a load() holding
 *                       the kind's writer lock exclusively the rows written
 *                       as COPY writes (writer_direct.c: all of them without
 *                       a land, the keys new to the partition with one);
 *                       else, and for a land's other rows, the
 *                       rows as one array of the row type, SPI: [land->flush]
 *                       or INSERT ... ON CONFLICT DO NOTHING, then
 *                       [kind->after_flush] with the rows that landed,
 *                       and [kind->upkeep] collects from them (the rows
 *                       sent, for a kind without a land) for its actions
 *                       at commit (upkeep.c)
 *   cl_writer_finish()  every buffer in partition order, then
 *                       [kind->after_write] with the keys written
 *
 * The batch statement, one per partition and kept per backend, is
 * INSERT INTO <partition> AS t (cols) SELECT cols FROM unnest($1) AS u, a
 * column the record left NULL taking its default (COALESCE), followed by
 * the land's ON CONFLICT clause or, wrapped as WITH w AS (... ON CONFLICT DO
 * NOTHING RETURNING 1) SELECT count(*) FROM w, the rows inserted.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupmacs.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "key_order.h"
#include "partition.h"
#include "upkeep.h"
#include "pii.h"
#include "writer.h"

/* ---------- prepared statements, kept per backend ---------- */

typedef struct PlanKey
{
	Oid			relid;			/* partition, or the schema for shared tables */
	Oid			rowtype;
	char		name[32];		/* which statement of that relation */
} PlanKey;

typedef struct PlanEntry
{
	PlanKey		key;
	SPIPlanPtr	plan;
} PlanEntry;

static HTAB *plans = NULL;

/* ---------- the writer ---------- */

/* Per kind met by a writer: where its columns are, its land's state. */
typedef struct KindInfo
{
	CLRecordKind *kind;
	Oid			rowtype;
	Oid			parent;
	TupleDesc	tupdesc;
	int			part_att;
	int			file_att;
	int			offset_att;
	int			landed_att;
	int			count_att;
	void	   *land;			/* what kind->land->setup() returned */
	CLKeyOrder *key_order;		/* the table's key (without a land: the batch sent in its order) */
	/* kinds with an after_write hook: the key column and the keys written */
	int			awk_att;
	List	   *awk_keys;
	CLPii	   *pii;			/* the kind's personal values to protect (pii.h), or NULL */
} KindInfo;

/* A partition's buffer: the batch a land sees, and what the writer keeps. */
typedef struct WriteBuf
{
	CLBatch		b;				/* partition, rows, n, the batch's context */
	KindInfo   *ki;
	int		   *versions;		/* with a land: records folded into each row */
	struct WriteBuf *next;
} WriteBuf;

struct CLWriter
{
	MemoryContext cxt;
	KindInfo   *kinds;
	int			nkinds;
	WriteBuf   *bufs;
	WriteBuf   *last;
	WriteBuf   *large;			/* the buffer whose last row is large, to send */
	const char *file_cstr;		/* last source_file seen, and its text datum */
	Datum		file_text;
	CLWriteCounts counts;
};

/*
 * A writer in a context of its own, so that everything it buffers goes with
 * it; kinds are resolved at their first record (kind_info()).
 */
CLWriter *
cl_writer_begin(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake writer",
											  ALLOCSET_DEFAULT_SIZES);
	CLWriter   *w = MemoryContextAllocZero(cxt, sizeof(CLWriter));

	w->cxt = cxt;
	w->kinds = MemoryContextAllocZero(cxt, sizeof(KindInfo) * 8);
	/* whether the erasure list is in force, for the upkeep of what it writes */
	cl_upkeep_writer_begin();
	return w;
}

/* A column the kind declares, which its row type must have. */
static int
kind_column(CLRecordKind *kind, TupleDesc td, const char *column)
{
	int			att = column ? cl_tupdesc_column(td, column) : -1;

	if (column && att < 0)
		elog(ERROR, "connect_lake: kind %s has no column %s", kind->name, column);
	return att;
}

/*
 * The writer's view of a kind (per row type: routing may hand it several),
 * resolved at its first record: column numbers, the parent table, and the
 * land's per-kind state.
 */
static KindInfo *
kind_info(CLWriter *w, CLMapState *st)
{
	CLRecordKind *kind = st->kind;
	KindInfo   *ki;
	MemoryContext old;

	for (int i = 0; i < w->nkinds; i++)
		if (w->kinds[i].kind == kind && w->kinds[i].rowtype == st->tupdesc->tdtypeid)
			return &w->kinds[i];
	if (w->nkinds == 8)
		elog(ERROR, "connect_lake: too many record kinds in one writer");

	old = MemoryContextSwitchTo(w->cxt);
	ki = &w->kinds[w->nkinds++];
	ki->kind = kind;
	ki->tupdesc = CreateTupleDescCopy(st->tupdesc);
	ki->rowtype = st->tupdesc->tdtypeid;
	ki->parent = cl_relation_oid(kind->table);
	ki->part_att = kind_column(kind, ki->tupdesc, kind->partition_column);
	ki->file_att = cl_tupdesc_column(ki->tupdesc, "source_file");
	ki->offset_att = cl_tupdesc_column(ki->tupdesc, "source_offset");
	ki->landed_att = kind_column(kind, ki->tupdesc, kind->landed_column);
	ki->count_att = kind_column(kind, ki->tupdesc, kind->count_column);
	ki->awk_att = kind->after_write ? kind_column(kind, ki->tupdesc, kind->after_write_key) : -1;
	if ((kind->after_flush || (kind->upkeep && kind->upkeep->hooks)) && kind->land == NULL)
		elog(ERROR, "connect_lake: kind %s has after_flush or upkeep hooks but no land to tell the rows that landed",
			 kind->name);
	if (kind->land)
	{
		if (ki->count_att < 0)
			elog(ERROR, "connect_lake: kind %s folds versions but declares no count_column", kind->name);
		ki->land = kind->land->setup(kind, ki->tupdesc);
	}
	ki->key_order = cl_key_order_setup(kind, ki->tupdesc);
	ki->pii = cl_pii_setup(kind, ki->tupdesc);
	MemoryContextSwitchTo(old);
	return ki;
}

/* the most a partition's buffer keeps between its batches */
#define BATCH_KEEP_MAX ((Size) 4 * 1024 * 1024)

/* The buffer of a partition (the last one used, most often). */
static WriteBuf *
buffer_for(CLWriter *w, KindInfo *ki, Oid partition)
{
	WriteBuf   *b;

	if (w->last && w->last->b.partition == partition && w->last->ki == ki)
		return w->last;
	for (b = w->bufs; b; b = b->next)
		if (b->b.partition == partition && b->ki == ki)
			return w->last = b;

	b = MemoryContextAllocZero(w->cxt, sizeof(WriteBuf));
	b->b.partition = partition;
	b->b.tupdesc = ki->tupdesc;
	/*
	 * A first block about a batch's rows, which a reset keeps: the batch's
	 * memory is not given back to malloc after every flush, only to be
	 * faulted in again for the next batch (a large share of a load's time).
	 */
	b->b.cxt = AllocSetContextCreate(w->cxt, "connect_lake writer batch",
									 Min((Size) ki->kind->typical_bytes * CL_WRITER_BATCH, BATCH_KEEP_MAX),
									 ALLOCSET_DEFAULT_INITSIZE, ALLOCSET_DEFAULT_MAXSIZE);
	b->b.rows = MemoryContextAlloc(w->cxt, sizeof(HeapTuple) * CL_WRITER_BATCH);
	b->ki = ki;
	if (ki->kind->land)
		b->versions = MemoryContextAlloc(w->cxt, sizeof(int) * CL_WRITER_BATCH);
	b->next = w->bufs;
	w->bufs = b;
	return w->last = b;
}

/* ---------- statements ---------- */

static const char *
schema_q(void)
{
	return quote_identifier(CONNECT_LAKE_SCHEMA);
}

/* Column defaults of a lake table: name -> expression text. */
static char **
column_defaults(Oid relid, TupleDesc td)
{
	char	  **defs = palloc0(sizeof(char *) * td->natts);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(relid)};
	int			rc;

	rc = SPI_execute_with_args("SELECT a.attname::pg_catalog.text, pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
							   "  FROM pg_catalog.pg_attrdef d"
							   "  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
							   " WHERE d.adrelid = $1",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: reading column defaults failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		int			att = cl_tupdesc_column(td, name);

		if (att >= 0)
			defs[att] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
	}
	return defs;
}

/*
 * The batch statement of a partition: every column of the row type from the
 * unnested array, a NULL taking the column's default, then how conflicts
 * land (the kind's land, else DO NOTHING: the rows returned are those
 * inserted).
 */
static char *
rows_sql(KindInfo *ki, Oid partition, bool one)
{
	TupleDesc	td = ki->tupdesc;
	StringInfoData sql;
	char	  **defs = column_defaults(ki->parent, td);
	char	   *partname = get_rel_name(partition);
	bool		first = true;

	if (partname == NULL)
		elog(ERROR, "connect_lake: partition %u vanished", partition);
	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s.%s AS t (", schema_q(), quote_identifier(partname));
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&sql, "%s%s", first ? "" : ", ", quote_identifier(NameStr(att->attname)));
		first = false;
	}
	appendStringInfoString(&sql, ") SELECT ");
	first = true;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		const char *col = quote_identifier(NameStr(att->attname));

		if (att->attisdropped)
			continue;
		if (defs[i])
			appendStringInfo(&sql, "%sCOALESCE(u.%s, %s)", first ? "" : ", ", col, defs[i]);
		else
			appendStringInfo(&sql, "%su.%s", first ? "" : ", ", col);
		first = false;
	}
	if (one)
		appendStringInfo(&sql, " FROM (SELECT ($1::%s.%s).*) AS u",
						 schema_q(), quote_identifier(ki->kind->rowtype));
	else
		appendStringInfo(&sql, " FROM pg_catalog.unnest($1::%s.%s[]) AS u",
						 schema_q(), quote_identifier(ki->kind->rowtype));
	if (ki->kind->land)
		ki->kind->land->conflict_sql(ki->land, &sql);
	else
	{
		/*
		 * The rows inserted counted by the statement itself: on Citus a bare
		 * INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING reports the
		 * rows attempted, not those returned, and SPI then fails its tuple
		 * count check (citusdata/citus#3377).
		 */
		appendStringInfoString(&sql, " ON CONFLICT DO NOTHING RETURNING 1) SELECT pg_catalog.count(*) FROM w");
		return psprintf("WITH w AS (%s", sql.data);
	}
	return sql.data;
}

/*
 * A statement kept per backend (SPI connected), prepared on first use from
 * the SQL build() returns: the writer's batch statements per partition and
 * the side tables' statements of kind hooks, one cache for all.
 */
SPIPlanPtr
cl_writer_plan(Oid relid, Oid rowtype, const char *name, CLPlanSqlFn build, void *arg)
{
	PlanKey		key;
	PlanEntry  *e;
	bool		found;

	if (plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(PlanKey);
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hcxt = TopMemoryContext;
		plans = hash_create("connect_lake writer plans", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	memset(&key, 0, sizeof(key));
	key.relid = relid;
	key.rowtype = rowtype;
	strlcpy(key.name, name, sizeof(key.name));

	e = hash_search(plans, &key, HASH_ENTER, &found);
	if (!found)
		e->plan = NULL;
	if (e->plan == NULL)
	{
		SPIPlanPtr	plan;
		int			nargs = 1;
		Oid			argtypes[CL_WRITER_MAX_ARGS];
		char	   *sql = build(arg, &nargs, argtypes);

		Assert(nargs <= CL_WRITER_MAX_ARGS);
		plan = SPI_prepare(sql, nargs, argtypes);
		if (plan == NULL)
			elog(ERROR, "connect_lake: preparing \"%s\" failed: %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "connect_lake: SPI_keepplan failed");
		e->plan = plan;
	}
	return e->plan;
}

/* The batch statement of a partition, for cl_writer_plan(). */
typedef struct RowsArg
{
	KindInfo   *ki;
	Oid			partition;
	bool		one;			/* the statement of one row (see flush_buf()) */
} RowsArg;

static char *
rows_plan_sql(void *arg, int *nargs, Oid *argtypes)
{
	RowsArg    *ra = arg;

	*nargs = 1;
	argtypes[0] = ra->one ? ra->ki->rowtype : get_array_type(ra->ki->rowtype);
	return rows_sql(ra->ki, ra->partition, ra->one);
}

static SPIPlanPtr
rows_plan(KindInfo *ki, Oid partition, bool one)
{
	RowsArg		ra = {ki, partition, one};

	return cl_writer_plan(partition, ki->rowtype, one ? "row" : "rows", rows_plan_sql, &ra);
}

/* Run a kept statement and check its outcome. */
void
cl_writer_run(SPIPlanPtr plan, Datum *args, int nargs, int expect)
{
	char		nulls[CL_WRITER_MAX_ARGS];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	if (rc != expect)
		elog(ERROR, "connect_lake: statement failed: %s", SPI_result_code_string(rc));
}

/*
 * Run a kept statement whose one parameter is a batch of rows (an array of
 * the row type, or one row), as a run-time parameter: SPI_execute_plan()
 * marks its parameters constant, and the planner then copies the value into
 * the plan (and again per column for a row), which for a large record made
 * several copies of it (issue #16).  The statements that take a batch gain
 * nothing from seeing its value.  Not on a lake distributed on Citus.
 */
void
cl_writer_run_rows(SPIPlanPtr plan, Datum rows, int expect)
{
	ParamListInfo params;
	int			rc;

	/*
	 * Citus resolves only constant parameters when it plans a statement on
	 * distributed tables (its INSERT ... SELECT saw no rows): there, as
	 * before.
	 */
	if (cl_lake_distributed())
	{
		cl_writer_run(plan, &rows, 1, expect);
		return;
	}
	params = makeParamList(1);
	params->params[0].value = rows;
	params->params[0].isnull = false;
	params->params[0].pflags = 0;
	params->params[0].ptype = SPI_getargtypeid(plan, 0);
	rc = SPI_execute_plan_with_paramlist(plan, params, false, 0);
	if (rc != expect)
		elog(ERROR, "connect_lake: statement failed: %s", SPI_result_code_string(rc));
}

/* A one-dimensional array, for statements that take a batch as arrays. */
Datum
cl_writer_array(Datum *d, bool *n, int count, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	dims[0] = count;
	return PointerGetDatum(construct_md_array(d, n, 1, dims, lbs, elemtype, typlen, typbyval, typalign));
}

/* ---------- adding ---------- */

static void flush_buf(CLWriter *w, WriteBuf *b);
static void flush_large(CLWriter *w);
static void flush_rows(CLWriter *w, WriteBuf *b, bool reset);

static TimestampTz last_landed = 0;

/*
 * The provenance columns, set here only (the mapper leaves them NULL for
 * the writer).  The landed time is the writer's clock, strictly increasing
 * per backend, so that a land can tell its own rows by it.
 */
static void
set_provenance(CLWriter *w, KindInfo *ki, CLMapState *st, const char *source_file, int64 source_offset)
{
	TimestampTz landed;

	if (ki->file_att >= 0)
	{
		if (source_file == NULL)
			st->nulls[ki->file_att] = true;
		else
		{
			if (w->file_cstr == NULL || strcmp(w->file_cstr, source_file) != 0)
			{
				MemoryContext old = MemoryContextSwitchTo(w->cxt);

				w->file_cstr = pstrdup(source_file);
				w->file_text = PointerGetDatum(cstring_to_text(source_file));
				MemoryContextSwitchTo(old);
			}
			st->values[ki->file_att] = w->file_text;
			st->nulls[ki->file_att] = false;
		}
	}
	if (ki->offset_att >= 0)
	{
		st->nulls[ki->offset_att] = (source_file == NULL || source_offset < 0);
		st->values[ki->offset_att] = Int64GetDatum(st->nulls[ki->offset_att] ? 0 : source_offset);
	}
	landed = GetCurrentTimestamp();
	if (landed <= last_landed)
		landed = last_landed + 1;
	last_landed = landed;
	if (ki->landed_att >= 0)
	{
		st->values[ki->landed_att] = TimestampTzGetDatum(ki->kind->landed_xact_start
														 ? GetCurrentTransactionStartTimestamp() : landed);
		st->nulls[ki->landed_att] = false;
	}
	/* one version so far: versions folded into the row add to it at flush */
	if (ki->count_att >= 0)
	{
		st->values[ki->count_att] = Int32GetDatum(1);
		st->nulls[ki->count_att] = false;
	}
}

/*
 * One mapped record into its partition's buffer (see the file header); the
 * only per-row work besides forming the tuple is the land's fold, so that a
 * kind's hooks cost per batch.
 */
bool
cl_writer_add(CLWriter *w, CLMapState *st, const char *source_file, int64 source_offset)
{
	KindInfo   *ki;
	WriteBuf   *b;
	Oid			partition;
	CLPartitionVerdict verdict;
	MemoryContext old;

	if (w->large)
		flush_large(w);
	ki = kind_info(w, st);

	if (st->nulls[ki->part_att])
	{
		cl_map_fail(st, ERRCODE_NOT_NULL_VIOLATION, "%s record has no %s, the column its table is partitioned on",
					st->kind->name, st->kind->partition_column);
		cl_map_raise(st);
	}
	verdict = cl_partition_admit(ki->parent, DatumGetTimestampTz(st->values[ki->part_att]), &partition);
	if (verdict != CL_PART_OK)
	{
		/* refused before anything of it is kept: the caller rejects the record */
		cl_map_fail(st, verdict == CL_PART_CAP ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
					"%s", cl_partition_refusal(verdict, st->kind->table, st->kind->partition_column));
		return false;
	}
	w->counts.values_nulled += st->values_nulled;
	b = buffer_for(w, ki, partition);

	if (ki->awk_att >= 0 && !st->nulls[ki->awk_att])
	{
		old = MemoryContextSwitchTo(w->cxt);
		ki->awk_keys = lappend(ki->awk_keys, DatumGetPointer(datumCopy(st->values[ki->awk_att], false, -1)));
		MemoryContextSwitchTo(old);
	}

	set_provenance(w, ki, st, source_file, source_offset);
	/* personal values in the form the setting stores them: before any copy of the row */
	if (ki->pii)
		cl_pii_protect(ki->pii, st->values, st->nulls);

	if (ki->kind->land)
	{
		bool		newer = false;
		int			row = ki->kind->land->fold(ki->land, &b->b, st->values, st->nulls, &newer);

		if (row >= 0)
		{
			/* a version of a row already in the batch: counted, and its values if newer */
			b->versions[row]++;
			if (newer)
			{
				HeapTuple	tuple;

				old = MemoryContextSwitchTo(b->b.cxt);
				tuple = heap_form_tuple(ki->tupdesc, st->values, st->nulls);
				MemoryContextSwitchTo(old);
				heap_freetuple(b->b.rows[row]);
				b->b.rows[row] = tuple;
			}
			return true;
		}
		b->versions[b->b.n] = 1;
	}

	old = MemoryContextSwitchTo(b->b.cxt);
	b->b.rows[b->b.n++] = heap_form_tuple(ki->tupdesc, st->values, st->nulls);
	MemoryContextSwitchTo(old);

	if (b->b.n >= CL_WRITER_BATCH)
		flush_buf(w, b);
	else if (b->b.rows[b->b.n - 1]->t_len >= CL_WRITER_LARGE_ROW)
		w->large = b;			/* sent at the next add or at finish, once the
								 * caller has let go of the record's values */
	return true;
}

/* ---------- flushing ---------- */

/*
 * A large row (CL_WRITER_LARGE_ROW) is sent as soon as the record it was
 * made from is let go (at the next cl_writer_add() or the finish), so that
 * the writer never holds several: without a land, alone (the rows buffered
 * before it first), as the one-row statement, which copies it least; with a
 * land, whose batch state refers to its rows, with the batch.
 */
static void
flush_large(CLWriter *w)
{
	WriteBuf   *b = w->large;
	HeapTuple	large;

	w->large = NULL;
	if (b->b.n == 0)
		return;

	if (b->ki->kind->land || b->b.n == 1)
	{
		flush_buf(w, b);
		return;
	}
	/* the others first, keeping the batch's memory (the large row is in it) */
	large = b->b.rows[--b->b.n];
	flush_rows(w, b, false);
	b->b.rows[b->b.n++] = large;
	flush_buf(w, b);
}

/*
 * A batch's rows (elems, in the order sent; order[k] the row of elems[k])
 * as one array of the row type, as construct_md_array() makes it, each row
 * freed once copied: at no moment are a row and its copy both held, but
 * for the one being copied.  The batch's rows are gone afterwards.
 */
static Datum
batch_array(CLBatch *b, Datum *elems, int *order, Oid rowtype)
{
	int			n = b->n;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Size		nbytes = 0;
	ArrayType  *a;
	char	   *p;

	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	Assert(typlen == -1);
	for (int k = 0; k < n; k++)
	{
		nbytes = att_addlength_datum(nbytes, typlen, elems[k]);
		nbytes = att_align_nominal(nbytes, typalign);
		if (!AllocSizeIsValid(nbytes))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("array size exceeds the maximum allowed (%d)", (int) MaxAllocSize)));
	}
	nbytes += ARR_OVERHEAD_NONULLS(1);
	a = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(a, nbytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = rowtype;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	p = ARR_DATA_PTR(a);
	for (int k = 0; k < n; k++)
	{
		Size		len = VARSIZE_ANY(DatumGetPointer(elems[k]));

		memcpy(p, DatumGetPointer(elems[k]), len);
		p += att_align_nominal(len, typalign);
		heap_freetuple(b->rows[order[k]]);
		b->rows[order[k]] = NULL;
	}
	return PointerGetDatum(a);
}

/*
 * Send one partition's batch as one statement: in the land's order, a
 * folded row counting its versions; then the kind's after_flush hook with
 * the rows that landed.
 */
static void
flush_buf(CLWriter *w, WriteBuf *b)
{
	flush_rows(w, b, true);
}

/* flush_buf(), resetting the batch's memory afterwards or not */
static void
flush_rows(CLWriter *w, WriteBuf *b, bool reset)
{
	KindInfo   *ki = b->ki;
	const CLLand *land = ki->kind->land;
	MemoryContext old;
	MemoryContext spicxt;
	Datum	   *elems;
	int		   *order;
	bool	   *same = NULL;	/* without a land: a row's key that of the row before */
	int			nsend;			/* rows sent to the statement */
	Datum		rows;

	if (b->b.n == 0)
		return;

	old = MemoryContextSwitchTo(b->b.cxt);
	elems = palloc(sizeof(Datum) * b->b.n);
	order = palloc(sizeof(int) * b->b.n);
	/* in key order, so that concurrent writers lock rows in one order */
	if (land)
	{
		for (int i = 0; i < b->b.n; i++)
			order[i] = i;
		land->order(ki->land, &b->b, order);
	}
	else
	{
		same = palloc(sizeof(bool) * b->b.n);
		cl_key_order_sort_same(ki->key_order, b->b.rows, b->b.n, order, same, true);
	}
	for (int k = 0; k < b->b.n; k++)
	{
		int			i = order[k];
		HeapTuple	tup = b->b.rows[i];

		CHECK_FOR_INTERRUPTS();
		if (b->versions && b->versions[i] > 1)
		{
			Datum	   *v = palloc(sizeof(Datum) * ki->tupdesc->natts);
			bool	   *n = palloc(sizeof(bool) * ki->tupdesc->natts);

			heap_deform_tuple(tup, ki->tupdesc, v, n);
			v[ki->count_att] = Int32GetDatum(b->versions[i]);
			tup = b->b.rows[i] = heap_form_tuple(ki->tupdesc, v, n);
		}
		elems[k] = PointerGetDatum(tup->t_data);
	}
	/*
	 * The rows as one array of the row type; a batch of one row (an
	 * ingest(), a large row) as that row, with the one-row statement.
	 * Without a land, a larger batch's rows are freed as they are copied
	 * into the array: a large record is held once by the writer, not twice
	 * (issue #16).
	 */
	/*
	 * What the kind keeps at commit (upkeep.c), for a kind without a land:
	 * every row sent (a duplicate only makes an action recompute what is
	 * right), taken before batch_array() frees the rows.  A statement that
	 * fails rolls its file back, and what the file collected with it.
	 */
	if (!land && ki->kind->upkeep)
		cl_upkeep_collect(ki->kind, ki->tupdesc, NULL, b->b.rows, b->b.n);
	/* without a land, in a load() that is the kind's only writer: as COPY writes */
	if (!land)
	{
		int64		inserted = cl_writer_direct(ki->kind, ki->key_order, b->b.partition, ki->tupdesc,
												b->b.rows, order, same, b->b.n);

		if (inserted >= 0)
		{
			w->counts.inserted += inserted;
			w->counts.duplicates += b->b.n - inserted;
			MemoryContextSwitchTo(old);
			if (reset)
				MemoryContextReset(b->b.cxt);
			else
				for (int i = 0; i < b->b.n; i++)
					if (b->b.rows[i])	/* those the direct write took are freed */
						heap_freetuple(b->b.rows[i]);
			b->b.land = NULL;
			b->b.n = 0;
			return;
		}
	}
	/*
	 * With a land, in a load() that is the kind's only writer: the rows of
	 * keys new to the partition inserted as COPY writes, the others sent to
	 * the land's statement.
	 */
	nsend = b->b.n;
	if (land)
	{
		bool	   *direct = palloc(sizeof(bool) * b->b.n);
		int			ndirect = cl_writer_direct_new_keys(ki->kind, ki->key_order, b->b.partition, ki->tupdesc,
														b->b.rows, order, b->b.n, direct);

		if (ndirect > 0)
		{
			b->b.direct = direct;
			nsend = 0;
			for (int k = 0; k < b->b.n; k++)
				if (!direct[order[k]])
					elems[nsend++] = elems[k];
		}
	}
	if (nsend == 0)
		rows = (Datum) 0;
	else if (nsend == 1)
		rows = elems[0];
	else if (land)
		rows = cl_writer_array(elems, NULL, nsend, ki->rowtype);
	else
		rows = batch_array(&b->b, elems, order, ki->rowtype);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	spicxt = CurrentMemoryContext;
	if (land)
	{
		CLLanded	landed;

		MemoryContextSwitchTo(b->b.cxt);
		landed.kind = ki->kind;
		landed.tupdesc = ki->tupdesc;
		landed.n = 0;
		landed.rows = (ki->kind->after_flush || ki->kind->upkeep)
			? palloc(sizeof(CLLandedRow) * b->b.n) : NULL;
		land->flush(ki->land, &b->b, nsend > 0 ? rows_plan(ki, b->b.partition, nsend == 1) : NULL,
					rows, &w->counts, &landed);
		if (landed.n > 0 && ki->kind->after_flush)
			ki->kind->after_flush(&landed);
		if (landed.n > 0 && ki->kind->upkeep)
			cl_upkeep_collect(ki->kind, ki->tupdesc, &landed, NULL, 0);
	}
	else
	{
		bool		isnull;
		int64		inserted;

		cl_writer_run_rows(rows_plan(ki, b->b.partition, b->b.n == 1), rows, SPI_OK_SELECT);
		inserted = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		w->counts.inserted += inserted;
		w->counts.duplicates += b->b.n - inserted;
	}
	MemoryContextSwitchTo(spicxt);
	SPI_finish();
	MemoryContextSwitchTo(old);

	if (reset)
		MemoryContextReset(b->b.cxt);
	b->b.land = NULL;
	b->b.direct = NULL;
	b->b.n = 0;
}

static int
buf_order_cmp(const void *pa, const void *pb)
{
	Oid			a = (*(WriteBuf *const *) pa)->b.partition;
	Oid			b = (*(WriteBuf *const *) pb)->b.partition;

	return (a > b) - (a < b);
}

/*
 * Flush every buffer, then each kind's after_write hook once with the keys
 * of all the rows added (one case_state refresh per load of a file, not one
 * per batch), and hand back the counts.
 */
void
cl_writer_finish(CLWriter *w, CLWriteCounts *out)
{
	/*
	 * Partitions in Oid order, so that writers finishing at the same time
	 * lock them in one order (a batch flushed early, when its buffer filled,
	 * is the one exception).
	 */
	{
		int			nbufs = 0;
		WriteBuf  **bufs;

		if (w->large)
			flush_large(w);

		for (WriteBuf *b = w->bufs; b; b = b->next)
			nbufs++;
		bufs = palloc(sizeof(WriteBuf *) * (nbufs + 1));
		nbufs = 0;
		for (WriteBuf *b = w->bufs; b; b = b->next)
			bufs[nbufs++] = b;
		qsort(bufs, nbufs, sizeof(WriteBuf *), buf_order_cmp);
		for (int i = 0; i < nbufs; i++)
			flush_buf(w, bufs[i]);
		pfree(bufs);
	}
	/* the raw values kept (pii_config.keep_raw), with the rows that hold their digests */
	for (int i = 0; i < w->nkinds; i++)
		cl_pii_finish(w->kinds[i].pii);
	/* kinds' upkeep, with the keys of the rows just written */
	for (int i = 0; i < w->nkinds; i++)
	{
		KindInfo   *ki = &w->kinds[i];
		Datum	   *keys;
		int			n = list_length(ki->awk_keys);
		int			j = 0;
		ListCell   *lc;

		if (n == 0)
			continue;
		keys = palloc(sizeof(Datum) * n);
		foreach(lc, ki->awk_keys)
			keys[j++] = PointerGetDatum(lfirst(lc));
		ki->kind->after_write(PointerGetDatum(construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT)));
		list_free(ki->awk_keys);
		ki->awk_keys = NIL;
		pfree(keys);
	}

	if (out)
		*out = w->counts;
	memset(&w->counts, 0, sizeof(w->counts));
}
