/*
 * writer.c: land mapped records in the lake, in batches (see writer.h).
 *
 * Rows are buffered per month partition as formed tuples (one palloc each)
 * and sent CL_WRITER_BATCH at a time as an array of the kind's row type to
 * one prepared statement: INSERT ... SELECT ... FROM unnest($1) ON CONFLICT.
 * Several versions of one contact in a batch are resolved here first (ON
 * CONFLICT DO UPDATE may not touch a row twice in one statement).  The CTR
 * upsert updates every conflicting row (versions_seen counts each version;
 * the other columns change only when the version is newer) and returns
 * landed_at, which equals the value sent only where the batch's version won:
 * those winners feed the dimensions and account links.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "convert.h"
#include "partition.h"
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

/* Per kind: where its special columns are. */
typedef struct KindInfo
{
	CLRecordKind *kind;
	Oid			rowtype;
	Oid			parent;
	TupleDesc	tupdesc;
	bool		is_ctr;
	int			part_att;
	int			file_att;
	int			offset_att;
	int			landed_att;
	int			count_att;
	/* kinds with an after_write hook: the key column and the keys written */
	int			awk_att;
	List	   *awk_keys;
	/* ctr only */
	int			id_att;
	int			lut_att;
	int			versions_att;
} KindInfo;

typedef struct CtrKey
{
	pg_uuid_t	id;
	TimestampTz ts;
} CtrKey;

typedef struct CtrEntry
{
	CtrKey		key;
	int			row;
} CtrEntry;

/* Per buffered ctr row: the versions folded into it. */
typedef struct CtrInfo
{
	CtrKey		key;
	TimestampTz lut;
	bool		lut_null;
	int			replaced;		/* later versions in the batch that replaced an earlier one */
	int			older;			/* versions in the batch that lost to it */
	TimestampTz landed;			/* landed_at sent with it */
	int8		outcome;		/* after the upsert: 'i', 'u' or 0 (not replaced) */
	/* several versions in the batch: their LastUpdateTimestamps in arrival order */
	int			nhist;
	TimestampTz *hist;
	bool	   *hist_null;
	TimestampTz hist_first;		/* the first version's */
	bool		hist_first_null;
	/* ... and the row's before the batch (pre-read for exact counts) */
	bool		had_row;
	TimestampTz db_lut;
	bool		db_lut_null;
} CtrInfo;

typedef struct WriteBuf
{
	Oid			partition;
	KindInfo   *ki;
	MemoryContext cxt;			/* rows of this batch; reset at each flush */
	int			n;
	HeapTuple  *rows;
	CtrInfo    *info;
	HTAB	   *keys;
	struct WriteBuf *next;
} WriteBuf;

struct CLWriter
{
	MemoryContext cxt;
	KindInfo   *kinds;
	int			nkinds;
	WriteBuf   *bufs;
	WriteBuf   *last;
	const char *file_cstr;		/* last source_file seen, and its text datum */
	Datum		file_text;
	CLWriteCounts counts;
};

CLWriter *
cl_writer_begin(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake writer",
											  ALLOCSET_DEFAULT_SIZES);
	CLWriter   *w = MemoryContextAllocZero(cxt, sizeof(CLWriter));

	w->cxt = cxt;
	w->kinds = MemoryContextAllocZero(cxt, sizeof(KindInfo) * 8);
	return w;
}

static KindInfo *
kind_info(CLWriter *w, CLMapState *st)
{
	KindInfo   *ki;
	MemoryContext old;

	for (int i = 0; i < w->nkinds; i++)
		if (w->kinds[i].kind == st->kind && w->kinds[i].rowtype == st->tupdesc->tdtypeid)
			return &w->kinds[i];
	if (w->nkinds == 8)
		elog(ERROR, "connect_lake writer: too many record kinds in one writer");

	old = MemoryContextSwitchTo(w->cxt);
	ki = &w->kinds[w->nkinds++];
	ki->kind = st->kind;
	ki->tupdesc = CreateTupleDescCopy(st->tupdesc);
	ki->rowtype = st->tupdesc->tdtypeid;
	ki->parent = cl_relation_oid(st->kind->table);
	ki->is_ctr = strcmp(st->kind->name, "ctr") == 0;
	ki->part_att = cl_tupdesc_column(ki->tupdesc, st->kind->partition_column);
	if (ki->part_att < 0)
		elog(ERROR, "connect_lake writer: kind %s has no partition column %s",
			 st->kind->name, st->kind->partition_column);
	ki->file_att = cl_tupdesc_column(ki->tupdesc, "source_file");
	ki->offset_att = cl_tupdesc_column(ki->tupdesc, "source_offset");
	ki->landed_att = st->kind->landed_column ? cl_tupdesc_column(ki->tupdesc, st->kind->landed_column) : -1;
	ki->count_att = st->kind->count_column ? cl_tupdesc_column(ki->tupdesc, st->kind->count_column) : -1;
	ki->awk_att = -1;
	if (st->kind->after_write)
	{
		ki->awk_att = cl_tupdesc_column(ki->tupdesc, st->kind->after_write_key);
		if (ki->awk_att < 0)
			elog(ERROR, "connect_lake writer: kind %s has no column %s",
				 st->kind->name, st->kind->after_write_key);
	}
	if (ki->is_ctr)
	{
		ki->id_att = cl_tupdesc_column(ki->tupdesc, "contactid");
		ki->lut_att = cl_tupdesc_column(ki->tupdesc, "lastupdatetimestamp");
		ki->versions_att = ki->count_att;
		if (ki->id_att < 0 || ki->lut_att < 0 || ki->versions_att < 0 || ki->landed_att < 0)
			elog(ERROR, "connect_lake writer: row type %s lacks the CTR columns", st->kind->rowtype);
	}
	MemoryContextSwitchTo(old);
	return ki;
}

static WriteBuf *
buffer_for(CLWriter *w, KindInfo *ki, Oid partition)
{
	WriteBuf   *b;

	if (w->last && w->last->partition == partition && w->last->ki == ki)
		return w->last;
	for (b = w->bufs; b; b = b->next)
		if (b->partition == partition && b->ki == ki)
			return w->last = b;

	b = MemoryContextAllocZero(w->cxt, sizeof(WriteBuf));
	b->partition = partition;
	b->ki = ki;
	b->cxt = AllocSetContextCreate(w->cxt, "connect_lake writer batch", ALLOCSET_DEFAULT_SIZES);
	b->rows = MemoryContextAlloc(w->cxt, sizeof(HeapTuple) * CL_WRITER_BATCH);
	if (ki->is_ctr)
		b->info = MemoryContextAlloc(w->cxt, sizeof(CtrInfo) * CL_WRITER_BATCH);
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
		elog(ERROR, "connect_lake writer: reading column defaults failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		int			att = cl_tupdesc_column(td, name);

		if (att >= 0)
			defs[att] = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
	}
	return defs;
}

static char *
rows_sql(KindInfo *ki, Oid partition)
{
	TupleDesc	td = ki->tupdesc;
	StringInfoData sql;
	char	  **defs = column_defaults(ki->parent, td);
	char	   *partname = get_rel_name(partition);
	bool		first = true;

	if (partname == NULL)
		elog(ERROR, "connect_lake writer: partition %u vanished", partition);
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
	appendStringInfo(&sql, " FROM pg_catalog.unnest($1::%s.%s[]) AS u",
					 schema_q(), quote_identifier(ki->kind->rowtype));

	if (!ki->is_ctr)
	{
		appendStringInfoString(&sql, " ON CONFLICT DO NOTHING RETURNING 1");
		return sql.data;
	}

	/*
	 * Every conflicting row is updated: versions_seen counts each version, and
	 * the other columns take the new version only when it is newer.  A
	 * replaced row returns the landed_at this batch sent, which tells the
	 * writer inserted / updated / not replaced apart.
	 */
	appendStringInfoString(&sql, " ON CONFLICT (contactid, initiationtimestamp) DO UPDATE SET ");
	first = true;
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		const char *col = quote_identifier(NameStr(att->attname));

		if (att->attisdropped || i == ki->id_att || i == ki->part_att)
			continue;
		if (i == ki->versions_att)
			appendStringInfo(&sql, "%s%s = t.%s OPERATOR(pg_catalog.+) excluded.%s",
							 first ? "" : ", ", col, col, col);
		else
			appendStringInfo(&sql, "%s%s = CASE WHEN %s THEN excluded.%s ELSE t.%s END",
							 first ? "" : ", ", col,
							 "excluded.lastupdatetimestamp OPERATOR(pg_catalog.>) t.lastupdatetimestamp"
							 " OR (t.lastupdatetimestamp IS NULL AND excluded.lastupdatetimestamp IS NOT NULL)",
							 col, col);
		first = false;
	}
	/* xmax is 0 only on a row this statement inserted (an upsert's new version keeps the updater's lock) */
	appendStringInfoString(&sql, " RETURNING t.contactid, t.initiationtimestamp, t.versions_seen, t.landed_at,"
						   " t.xmax::text OPERATOR(pg_catalog.=) '0'");
	return sql.data;
}

/* LastUpdateTimestamp of contacts sent in several versions: arg is the partition */
static char *
preread_sql(void *arg, int *nargs, Oid *argtypes)
{
	Oid			partition = (Oid) (uintptr_t) arg;
	StringInfoData sql;

	initStringInfo(&sql);
	*nargs = 2;
	argtypes[0] = UUIDARRAYOID;
	argtypes[1] = TIMESTAMPTZARRAYOID;
	appendStringInfo(&sql,
					 "SELECT t.contactid, t.initiationtimestamp, t.lastupdatetimestamp"
					 "  FROM %s.%s AS t"
					 " WHERE (t.contactid, t.initiationtimestamp) IN"
					 "       (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)))",
					 schema_q(), quote_identifier(get_rel_name(partition)));
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
			elog(ERROR, "connect_lake writer: preparing \"%s\" failed: %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "connect_lake writer: SPI_keepplan failed");
		e->plan = plan;
	}
	return e->plan;
}

/* The batch statement of a partition: the kind's rows, unnested from $1. */
typedef struct RowsArg
{
	KindInfo   *ki;
	Oid			partition;
} RowsArg;

static char *
rows_plan_sql(void *arg, int *nargs, Oid *argtypes)
{
	RowsArg    *ra = arg;

	*nargs = 1;
	argtypes[0] = get_array_type(ra->ki->rowtype);
	return rows_sql(ra->ki, ra->partition);
}

static SPIPlanPtr
rows_plan(KindInfo *ki, Oid partition)
{
	RowsArg		ra = {ki, partition};

	return cl_writer_plan(partition, ki->rowtype, "rows", rows_plan_sql, &ra);
}

void
cl_writer_run(SPIPlanPtr plan, Datum *args, int nargs, int expect)
{
	char		nulls[CL_WRITER_MAX_ARGS];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	if (rc != expect)
		elog(ERROR, "connect_lake writer: statement failed: %s", SPI_result_code_string(rc));
}

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

static inline bool
lut_newer(TimestampTz a, bool a_null, TimestampTz b, bool b_null)
{
	if (a_null)
		return false;
	return b_null || a > b;
}

static void flush_buf(CLWriter *w, WriteBuf *b);

static TimestampTz last_landed = 0;

void
cl_writer_add(CLWriter *w, CLMapState *st, const char *source_file, int64 source_offset)
{
	KindInfo   *ki = kind_info(w, st);
	WriteBuf   *b;
	Oid			partition;
	MemoryContext old;
	HeapTuple	tuple;
	TimestampTz landed;

	w->counts.values_nulled += st->values_nulled;
	if (st->nulls[ki->part_att])
	{
		cl_map_fail(st, ERRCODE_NOT_NULL_VIOLATION, "%s record has no %s, the column its table is partitioned on",
					st->kind->name, st->kind->partition_column);
		cl_map_raise(st);
	}
	partition = cl_partition_for(ki->parent, DatumGetTimestampTz(st->values[ki->part_att]));
	b = buffer_for(w, ki, partition);

	if (ki->awk_att >= 0 && !st->nulls[ki->awk_att])
	{
		old = MemoryContextSwitchTo(w->cxt);
		ki->awk_keys = lappend(ki->awk_keys, DatumGetPointer(datumCopy(st->values[ki->awk_att], false, -1)));
		MemoryContextSwitchTo(old);
	}

	/* the provenance columns: set here only (the mapper leaves them NULL for the writer) */
	if (ki->file_att >= 0)
	{
		if (source_file == NULL)
			st->nulls[ki->file_att] = true;
		else
		{
			if (w->file_cstr == NULL || strcmp(w->file_cstr, source_file) != 0)
			{
				old = MemoryContextSwitchTo(w->cxt);
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
	/* strictly increasing per backend: the upsert tells its own rows by it */
	landed = GetCurrentTimestamp();
	if (landed <= last_landed)
		landed = last_landed + 1;
	last_landed = landed;
	if (ki->landed_att >= 0)
	{
		st->values[ki->landed_att] = TimestampTzGetDatum(st->kind->landed_xact_start
														 ? GetCurrentTransactionStartTimestamp() : landed);
		st->nulls[ki->landed_att] = false;
	}
	/* one version so far: versions folded into the row add to it at flush */
	if (ki->count_att >= 0)
	{
		st->values[ki->count_att] = Int32GetDatum(1);
		st->nulls[ki->count_att] = false;
	}

	if (ki->is_ctr)
	{
		CtrKey		key;
		CtrEntry   *e;
		bool		found;
		TimestampTz lut = st->nulls[ki->lut_att] ? 0 : DatumGetTimestampTz(st->values[ki->lut_att]);
		bool		lut_null = st->nulls[ki->lut_att];

		if (b->keys == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(CtrKey);
			ctl.entrysize = sizeof(CtrEntry);
			ctl.hcxt = b->cxt;
			b->keys = hash_create("connect_lake writer contacts", CL_WRITER_BATCH, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		memset(&key, 0, sizeof(key));
		memcpy(&key.id, DatumGetUUIDP(st->values[ki->id_att]), sizeof(pg_uuid_t));
		key.ts = DatumGetTimestampTz(st->values[ki->part_att]);
		e = hash_search(b->keys, &key, HASH_ENTER, &found);
		if (found)
		{
			CtrInfo    *info = &b->info[e->row];

			/* remember every version's timestamp, to count as if sent one by one */
			if (info->hist == NULL)
			{
				info->hist = MemoryContextAlloc(b->cxt, sizeof(TimestampTz) * 8);
				info->hist_null = MemoryContextAlloc(b->cxt, sizeof(bool) * 8);
				info->hist[0] = info->hist_first;
				info->hist_null[0] = info->hist_first_null;
				info->nhist = 1;
			}
			else if ((info->nhist & 7) == 0)
			{
				info->hist = repalloc(info->hist, sizeof(TimestampTz) * (info->nhist + 8));
				info->hist_null = repalloc(info->hist_null, sizeof(bool) * (info->nhist + 8));
			}
			info->hist[info->nhist] = lut;
			info->hist_null[info->nhist] = lut_null;
			info->nhist++;

			if (lut_newer(lut, lut_null, info->lut, info->lut_null))
			{
				old = MemoryContextSwitchTo(b->cxt);
				tuple = heap_form_tuple(ki->tupdesc, st->values, st->nulls);
				MemoryContextSwitchTo(old);
				heap_freetuple(b->rows[e->row]);
				b->rows[e->row] = tuple;
				info->lut = lut;
				info->lut_null = lut_null;
				info->landed = landed;
				info->replaced++;
			}
			else
				info->older++;
			return;
		}
		e->row = b->n;
		b->info[b->n].key = key;
		b->info[b->n].lut = lut;
		b->info[b->n].lut_null = lut_null;
		b->info[b->n].replaced = 0;
		b->info[b->n].older = 0;
		b->info[b->n].landed = landed;
		b->info[b->n].outcome = 0;
		b->info[b->n].nhist = 0;
		b->info[b->n].hist = NULL;
		b->info[b->n].hist_null = NULL;
		b->info[b->n].hist_first = lut;
		b->info[b->n].hist_first_null = lut_null;
		b->info[b->n].had_row = false;
	}

	old = MemoryContextSwitchTo(b->cxt);
	b->rows[b->n++] = heap_form_tuple(ki->tupdesc, st->values, st->nulls);
	MemoryContextSwitchTo(old);

	if (b->n >= CL_WRITER_BATCH)
		flush_buf(w, b);
}


/* ---------- flushing ---------- */

static void
flush_ctr(CLWriter *w, WriteBuf *b, Datum rows)
{
	KindInfo   *ki = b->ki;
	Datum		args[3];
	CLLanded	landed;

	/*
	 * Contacts with several versions in this batch: read their rows first, so
	 * that each version is counted as if it had been sent alone (inserted,
	 * updated or duplicate).  Rare, and only those keys are read.
	 */
	{
		Datum	   *ids = palloc(sizeof(Datum) * b->n);
		Datum	   *tss = palloc(sizeof(Datum) * b->n);
		int			nmulti = 0;

		for (int i = 0; i < b->n; i++)
			if (b->info[i].nhist > 0)
			{
				ids[nmulti] = UUIDPGetDatum(&b->info[i].key.id);
				tss[nmulti] = TimestampTzGetDatum(b->info[i].key.ts);
				nmulti++;
			}
		if (nmulti > 0)
		{
			args[0] = cl_writer_array(ids, NULL, nmulti, UUIDOID);
			args[1] = cl_writer_array(tss, NULL, nmulti, TIMESTAMPTZOID);
			cl_writer_run(cl_writer_plan(b->partition, ki->rowtype, "preread", preread_sql, (void *) (uintptr_t) b->partition),
						  args, 2, SPI_OK_SELECT);
			for (uint64 r = 0; r < SPI_processed; r++)
			{
				HeapTuple	tup = SPI_tuptable->vals[r];
				TupleDesc	td = SPI_tuptable->tupdesc;
				bool		isnull;
				CtrKey		key;
				CtrEntry   *e;
				Datum		lut;

				memset(&key, 0, sizeof(key));
				memcpy(&key.id, DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull)), sizeof(pg_uuid_t));
				key.ts = DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull));
				lut = SPI_getbinval(tup, td, 3, &isnull);
				e = hash_search(b->keys, &key, HASH_FIND, NULL);
				if (e == NULL)
					continue;
				b->info[e->row].had_row = true;
				b->info[e->row].db_lut = isnull ? 0 : DatumGetTimestampTz(lut);
				b->info[e->row].db_lut_null = isnull;
			}
		}
	}

	args[0] = rows;
	cl_writer_run(rows_plan(ki, b->partition), args, 1, SPI_OK_INSERT_RETURNING);

	/* which rows won: inserted or replaced */
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		CtrKey		key;
		CtrEntry   *e;
		TimestampTz landed;
		bool		inserted;
		CtrInfo    *info;

		memset(&key, 0, sizeof(key));
		memcpy(&key.id, DatumGetUUIDP(SPI_getbinval(tup, td, 1, &isnull)), sizeof(pg_uuid_t));
		key.ts = DatumGetTimestampTz(SPI_getbinval(tup, td, 2, &isnull));
		landed = DatumGetTimestampTz(SPI_getbinval(tup, td, 4, &isnull));
		inserted = DatumGetBool(SPI_getbinval(tup, td, 5, &isnull));
		e = hash_search(b->keys, &key, HASH_FIND, NULL);
		if (e == NULL)
			elog(ERROR, "connect_lake writer: upsert returned a contact it was not given");
		info = &b->info[e->row];
		if (inserted)
			info->outcome = 'i';
		else if (landed == info->landed)
			info->outcome = 'u';
		else
			info->outcome = 0;	/* an older or identical version: only counted */
	}

	MemoryContextSwitchTo(b->cxt);
	landed.kind = ki->kind;
	landed.tupdesc = ki->tupdesc;
	landed.n = 0;
	landed.rows = palloc(sizeof(CLLandedRow) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		CtrInfo    *info = &b->info[i];
		int			extra = info->replaced + info->older;

		CHECK_FOR_INTERRUPTS();
		if (info->nhist > 0 && info->outcome == 'u' && info->had_row)
		{
			/*
			 * Several versions, and one replaced the row read before the
			 * batch: replay them in order against that row.  (A new contact
			 * is exact without this, and so is one whose row beat every
			 * version: all duplicates.  Should another session have inserted
			 * the contact meanwhile, the counts below are the approximation.)
			 */
			TimestampTz cur = info->db_lut;
			bool		cur_null = info->db_lut_null;

			for (int k = 0; k < info->nhist; k++)
			{
				if (lut_newer(info->hist[k], info->hist_null[k], cur, cur_null))
					w->counts.updated++;
				else
				{
					w->counts.duplicates++;
					continue;
				}
				cur = info->hist[k];
				cur_null = info->hist_null[k];
			}
		}
		else if (info->outcome == 'i')
		{
			w->counts.inserted++;
			w->counts.updated += info->replaced;
			w->counts.duplicates += info->older;
		}
		else if (info->outcome == 'u')
		{
			w->counts.updated += 1 + info->replaced;
			w->counts.duplicates += info->older;
		}
		else
			w->counts.duplicates += 1 + extra;
		if (info->outcome && ki->kind->after_flush)
		{
			CLLandedRow *lr = &landed.rows[landed.n++];

			lr->values = palloc(sizeof(Datum) * ki->tupdesc->natts);
			lr->nulls = palloc(sizeof(bool) * ki->tupdesc->natts);
			heap_deform_tuple(b->rows[i], ki->tupdesc, lr->values, lr->nulls);
			lr->replaced = info->outcome == 'u';
		}
	}

	if (landed.n > 0)
		ki->kind->after_flush(&landed);
}

/* Batch order of CTRs: by key, so concurrent writers lock rows in one order. */
static int
ctr_order_cmp(const void *pa, const void *pb, void *arg)
{
	const CtrInfo *info = arg;
	const CtrKey *a = &info[*(const int *) pa].key;
	const CtrKey *b = &info[*(const int *) pb].key;
	int			c = memcmp(a->id.data, b->id.data, UUID_LEN);

	if (c)
		return c;
	return (a->ts > b->ts) - (a->ts < b->ts);
}

static void
flush_buf(CLWriter *w, WriteBuf *b)
{
	KindInfo   *ki = b->ki;
	MemoryContext old;
	MemoryContext spicxt;
	Datum	   *elems;
	int		   *order;
	Datum		rows;

	if (b->n == 0)
		return;

	old = MemoryContextSwitchTo(b->cxt);
	elems = palloc(sizeof(Datum) * b->n);
	order = palloc(sizeof(int) * b->n);
	for (int i = 0; i < b->n; i++)
		order[i] = i;
	if (ki->is_ctr)
		qsort_arg(order, b->n, sizeof(int), ctr_order_cmp, b->info);
	for (int k = 0; k < b->n; k++)
	{
		int			i = order[k];
		HeapTuple	tup = b->rows[i];

		CHECK_FOR_INTERRUPTS();
		if (ki->is_ctr && (b->info[i].replaced + b->info[i].older) > 0)
		{
			Datum	   *v = palloc(sizeof(Datum) * ki->tupdesc->natts);
			bool	   *n = palloc(sizeof(bool) * ki->tupdesc->natts);

			heap_deform_tuple(tup, ki->tupdesc, v, n);
			v[ki->versions_att] = Int32GetDatum(1 + b->info[i].replaced + b->info[i].older);
			tup = b->rows[i] = heap_form_tuple(ki->tupdesc, v, n);
		}
		elems[k] = PointerGetDatum(tup->t_data);
	}
	rows = cl_writer_array(elems, NULL, b->n, ki->rowtype);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake writer: SPI_connect failed");
	spicxt = CurrentMemoryContext;
	if (ki->is_ctr)
		flush_ctr(w, b, rows);
	else
	{
		Datum		args[1] = {rows};

		cl_writer_run(rows_plan(ki, b->partition), args, 1, SPI_OK_INSERT_RETURNING);
		w->counts.inserted += SPI_processed;
		w->counts.duplicates += b->n - (int64) SPI_processed;
	}
	MemoryContextSwitchTo(spicxt);
	SPI_finish();
	MemoryContextSwitchTo(old);

	MemoryContextReset(b->cxt);
	b->keys = NULL;
	b->n = 0;
}

static int
buf_order_cmp(const void *pa, const void *pb)
{
	Oid			a = (*(WriteBuf *const *) pa)->partition;
	Oid			b = (*(WriteBuf *const *) pb)->partition;

	return (a > b) - (a < b);
}

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
