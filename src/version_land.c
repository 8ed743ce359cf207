/*
 * version_land.c: landing a kind whose records are versions of one row per
 * key (CTRs): the newest version wins, every version is counted.  The
 * writer's land hooks (writer.h, CLLand) for a kind that declares
 *
 *   .version_column  timestamptz: the greatest wins; a NULL one loses to any
 *   .count_column    int4: how many versions of the row were delivered
 *   .landed_column   timestamptz: the writer's clock, strictly increasing
 *   .land = &cl_version_land
 *
 * with its key the unique key of its table, connect_lake.fact_table's
 * key_columns (its one definition; fixed-length types only: uuid,
 * timestamptz ...).  Nothing here names a kind or a column.
 *
 * Within a batch the versions of one key are folded in C first (ON CONFLICT
 * DO UPDATE may not touch a row twice in one statement): the batch keeps the
 * newest, and remembers how many were folded and, for exact counts, every
 * version's timestamp.  The batch is sent in key order (concurrent writers
 * lock rows in one order) as one upsert that updates every conflicting row:
 * the count column adds the versions sent, the other columns change only
 * when the version sent is newer.  It returns the landed time of every row
 * it touched, which equals the one sent exactly where the batch's version
 * won (the writer's clock never repeats in a backend), and whether the row
 * is new (xmax 0).  Counts are those of sending the records one at a time:
 * a key folded from several versions is read before the upsert (rare, and
 * only those keys) and its versions replayed against what was there.
 *
 * In a load() that is the kind's only writer, the writer first inserts the
 * batch's rows whose key the partition does not hold (writer_direct.c) and
 * marks them in b->direct: they landed as inserted, and only the rest go
 * to the upsert.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "connect_lake.h"
#include "writer.h"

#define KEY_MAX_COLUMNS	8
#define KEY_MAX_BYTES	64

/* Per kind (what setup() returns): the declared columns, resolved. */
typedef struct VersionKind
{
	CLRecordKind *kind;
	TupleDesc	tupdesc;
	int			nkeys;
	int			key_att[KEY_MAX_COLUMNS];
	int16		key_len[KEY_MAX_COLUMNS];
	bool		key_byval[KEY_MAX_COLUMNS];
	int			keylen;			/* bytes of an encoded key */
	int			version_att;
	int			count_att;
	int			landed_att;
} VersionKind;

/* A key in the batch's hash table: the row it is buffered as. */
typedef struct KeyEntry
{
	char		key[KEY_MAX_BYTES];	/* the first keylen bytes are the hash key */
	int			row;
} KeyEntry;

/* Per buffered row: the versions folded into it. */
typedef struct RowInfo
{
	char	   *key;			/* encoded, keylen bytes */
	TimestampTz version;
	bool		version_null;
	int			replaced;		/* later versions in the batch that replaced an earlier one */
	int			older;			/* versions in the batch that lost to it */
	TimestampTz landed;			/* the landed time sent with it */
	int8		outcome;		/* after the upsert: 'i', 'u' or 0 (not replaced) */
	/* several versions in the batch: their version timestamps in arrival order */
	int			nhist;
	TimestampTz *hist;
	bool	   *hist_null;
	TimestampTz hist_first;		/* the first version's */
	bool		hist_first_null;
	/* ... and the row's before the batch (pre-read for exact counts) */
	bool		had_row;
	TimestampTz db_version;
	bool		db_version_null;
} RowInfo;

/* Per batch (CLBatch.land), in the batch's context. */
typedef struct VersionBatch
{
	HTAB	   *keys;
	RowInfo    *info;			/* CL_WRITER_BATCH of them */
	char	   *keybuf;			/* their encoded keys */
} VersionBatch;

static inline bool
version_newer(TimestampTz a, bool a_null, TimestampTz b, bool b_null)
{
	if (a_null)
		return false;
	return b_null || a > b;
}

/* ---------- keys ---------- */

/*
 * A key (its column values kv/kn, in key order) as bytes that hash and
 * compare as the key does, and sort as it sorts: per column a null flag,
 * then a fixed-length value as stored, or an integer (timestamptz ...)
 * big-endian with its sign bit flipped.  So the batch's key order is the
 * order of (uuid bytes, time) the table's index has.
 */
static void
encode_key(const VersionKind *vk, const Datum *kv, const bool *kn, char *out)
{
	char	   *p = out;

	for (int k = 0; k < vk->nkeys; k++)
	{
		int			len = vk->key_len[k];

		*p++ = kn[k] ? 0 : 1;
		if (kn[k])
			memset(p, 0, len);
		else if (vk->key_byval[k])
		{
			int64		v = len == 8 ? DatumGetInt64(kv[k])
				: len == 4 ? DatumGetInt32(kv[k])
				: len == 2 ? DatumGetInt16(kv[k]) : DatumGetChar(kv[k]);
			uint64		u = (uint64) v ^ (UINT64CONST(1) << (len * 8 - 1));

			for (int i = len - 1; i >= 0; i--, u >>= 8)
				p[i] = (char) (u & 0xff);
		}
		else
			memcpy(p, DatumGetPointer(kv[k]), len);
		p += len;
	}
}

/* ---------- setup ---------- */

/* The unique key of the kind's table, as connect_lake.fact_table defines it. */
static char *
key_sql(void *arg, int *nargs, Oid *argtypes)
{
	*nargs = 1;
	argtypes[0] = NAMEOID;
	return psprintf("SELECT f.key_columns::pg_catalog.text[] FROM %s.fact_table AS f WHERE f.relname OPERATOR(pg_catalog.=) $1",
					quote_identifier(CONNECT_LAKE_SCHEMA));
}

/* A column the kind declares for version landing, of the type folding reads it as. */
static int
version_column(CLRecordKind *kind, TupleDesc td, const char *what, const char *column, Oid type)
{
	int			att = column ? cl_tupdesc_column(td, column) : -1;

	if (att < 0 || TupleDescAttr(td, att)->atttypid != type)
		elog(ERROR, "connect_lake: kind %s lands by versions but its %s column %s is not a %s column of %s",
			 kind->name, what, column ? column : "(none)", format_type_be(type), kind->rowtype);
	return att;
}

/*
 * Once per writer and kind: resolve the declared columns and read the key
 * from fact_table (SPI), checking what folding needs of them.
 */
static void *
version_setup(CLRecordKind *kind, TupleDesc td)
{
	MemoryContext cxt = CurrentMemoryContext;
	VersionKind *vk = palloc0(sizeof(VersionKind));
	Datum		args[1];
	ArrayType  *keys = NULL;
	Datum	   *names;
	bool	   *nulls;
	int			n;

	vk->kind = kind;
	vk->tupdesc = td;
	vk->version_att = version_column(kind, td, "version", kind->version_column, TIMESTAMPTZOID);
	vk->count_att = version_column(kind, td, "count", kind->count_column, INT4OID);
	vk->landed_att = version_column(kind, td, "landed", kind->landed_column, TIMESTAMPTZOID);
	if (kind->landed_xact_start)
		elog(ERROR, "connect_lake: kind %s lands by versions, which tells its rows by the writer's clock, not the transaction's start",
			 kind->name);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(kind->table));
	cl_writer_run(cl_writer_plan(cl_schema_oid(), InvalidOid, "fact_table key", key_sql, NULL),
				  args, 1, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			keys = DatumGetArrayTypePCopy(d);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	if (keys == NULL)
		elog(ERROR, "connect_lake: connect_lake.fact_table has no key for %s", kind->table);

	deconstruct_array(keys, TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
	if (n < 1 || n > KEY_MAX_COLUMNS)
		elog(ERROR, "connect_lake: the key of %s has %d columns", kind->table, n);
	for (int k = 0; k < n; k++)
	{
		char	   *name = TextDatumGetCString(names[k]);
		int			att = cl_tupdesc_column(td, name);
		Form_pg_attribute a;

		if (att < 0)
			elog(ERROR, "connect_lake: key column %s of %s is not a column of %s", name, kind->table, kind->rowtype);
		a = TupleDescAttr(td, att);
		if (a->attlen <= 0 || (a->attbyval && a->attlen != 1 && a->attlen != 2 && a->attlen != 4 && a->attlen != 8))
			elog(ERROR, "connect_lake: key column %s of %s is not of a fixed-length type", name, kind->table);
		vk->key_att[k] = att;
		vk->key_len[k] = a->attlen;
		vk->key_byval[k] = a->attbyval;
		vk->keylen += 1 + a->attlen;
	}
	vk->nkeys = n;
	if (vk->keylen > KEY_MAX_BYTES)
		elog(ERROR, "connect_lake: the key of %s is longer than %d bytes", kind->table, KEY_MAX_BYTES);
	return vk;
}

/*
 * The upsert: every conflicting row is updated, so that the count column
 * counts each version; the other columns take the version sent only when it
 * is newer.  RETURNING tells the batch's outcome (see the file header).
 */
static void
version_conflict_sql(void *ks, StringInfo sql)
{
	VersionKind *vk = ks;
	TupleDesc	td = vk->tupdesc;
	const char *v = quote_identifier(NameStr(TupleDescAttr(td, vk->version_att)->attname));
	bool		first = true;

	appendStringInfoString(sql, " ON CONFLICT (");
	for (int k = 0; k < vk->nkeys; k++)
		appendStringInfo(sql, "%s%s", k ? ", " : "",
						 quote_identifier(NameStr(TupleDescAttr(td, vk->key_att[k])->attname)));
	appendStringInfoString(sql, ") DO UPDATE SET ");
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		const char *col = quote_identifier(NameStr(att->attname));
		bool		is_key = false;

		for (int k = 0; k < vk->nkeys; k++)
			is_key |= vk->key_att[k] == i;
		if (att->attisdropped || is_key)
			continue;
		if (i == vk->count_att)
			appendStringInfo(sql, "%s%s = t.%s OPERATOR(pg_catalog.+) excluded.%s",
							 first ? "" : ", ", col, col, col);
		else
			appendStringInfo(sql, "%s%s = CASE WHEN excluded.%s OPERATOR(pg_catalog.>) t.%s"
							 " OR (t.%s IS NULL AND excluded.%s IS NOT NULL) THEN excluded.%s ELSE t.%s END",
							 first ? "" : ", ", col, v, v, v, v, col, col);
		first = false;
	}
	/* xmax is 0 only on a row this statement inserted (an upsert's new version keeps the updater's lock) */
	appendStringInfoString(sql, " RETURNING ");
	for (int k = 0; k < vk->nkeys; k++)
		appendStringInfo(sql, "t.%s, ", quote_identifier(NameStr(TupleDescAttr(td, vk->key_att[k])->attname)));
	appendStringInfo(sql, "t.%s, t.xmax::text OPERATOR(pg_catalog.=) '0'",
					 quote_identifier(NameStr(TupleDescAttr(td, vk->landed_att)->attname)));
}

/* ---------- folding ---------- */

/* The batch's folding state, made at its first record (in the batch's context). */
static VersionBatch *
batch_state(const VersionKind *vk, CLBatch *b)
{
	VersionBatch *vb = b->land;

	if (vb == NULL)
	{
		HASHCTL		ctl;

		vb = MemoryContextAlloc(b->cxt, sizeof(VersionBatch));
		ctl.keysize = vk->keylen;
		ctl.entrysize = sizeof(KeyEntry);
		ctl.hcxt = b->cxt;
		vb->keys = hash_create("connect_lake batch keys", CL_WRITER_BATCH, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		vb->info = MemoryContextAlloc(b->cxt, sizeof(RowInfo) * CL_WRITER_BATCH);
		vb->keybuf = MemoryContextAlloc(b->cxt, (Size) vk->keylen * CL_WRITER_BATCH);
		b->land = vb;
	}
	return vb;
}

/*
 * Per record: a key new to the batch becomes row b->n; a version of a key
 * already there is folded into its row (remembering every version's
 * timestamp for the counts) and replaces the row's values when newer.
 */
static int
version_fold(void *ks, CLBatch *b, Datum *values, bool *nulls, bool *newer)
{
	VersionKind *vk = ks;
	VersionBatch *vb = batch_state(vk, b);
	char		key[KEY_MAX_BYTES];
	Datum		kv[KEY_MAX_COLUMNS];
	bool		kn[KEY_MAX_COLUMNS];
	KeyEntry   *e;
	bool		found;
	TimestampTz version = nulls[vk->version_att] ? 0 : DatumGetTimestampTz(values[vk->version_att]);
	bool		version_null = nulls[vk->version_att];
	TimestampTz landed = DatumGetTimestampTz(values[vk->landed_att]);
	RowInfo    *info;

	for (int k = 0; k < vk->nkeys; k++)
	{
		kv[k] = values[vk->key_att[k]];
		kn[k] = nulls[vk->key_att[k]];
	}
	encode_key(vk, kv, kn, key);
	e = hash_search(vb->keys, key, HASH_ENTER, &found);
	if (found)
	{
		info = &vb->info[e->row];
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
		info->hist[info->nhist] = version;
		info->hist_null[info->nhist] = version_null;
		info->nhist++;

		*newer = version_newer(version, version_null, info->version, info->version_null);
		if (*newer)
		{
			info->version = version;
			info->version_null = version_null;
			info->landed = landed;
			info->replaced++;
		}
		else
			info->older++;
		return e->row;
	}

	e->row = b->n;
	info = &vb->info[b->n];
	info->key = vb->keybuf + (Size) vk->keylen * b->n;
	memcpy(info->key, key, vk->keylen);
	info->version = version;
	info->version_null = version_null;
	info->replaced = 0;
	info->older = 0;
	info->landed = landed;
	info->outcome = 0;
	info->nhist = 0;
	info->hist = NULL;
	info->hist_null = NULL;
	info->hist_first = version;
	info->hist_first_null = version_null;
	info->had_row = false;
	return -1;
}

/* ---------- flushing ---------- */

typedef struct OrderArg
{
	const RowInfo *info;
	int			keylen;
} OrderArg;

static int
key_order_cmp(const void *pa, const void *pb, void *arg)
{
	const OrderArg *oa = arg;

	return memcmp(oa->info[*(const int *) pa].key, oa->info[*(const int *) pb].key, oa->keylen);
}

/* The batch in key order, so that concurrent writers lock rows in one order. */
static void
version_order(void *ks, CLBatch *b, int *order)
{
	VersionKind *vk = ks;
	OrderArg	oa = {batch_state(vk, b)->info, vk->keylen};

	qsort_arg(order, b->n, sizeof(int), key_order_cmp, &oa);
}

/* The batch's entry for a row a statement returned, its key the first nkeys columns. */
static KeyEntry *
returned_key(VersionKind *vk, VersionBatch *vb, HeapTuple tup, TupleDesc td)
{
	Datum		kv[KEY_MAX_COLUMNS];
	bool		kn[KEY_MAX_COLUMNS];
	char		key[KEY_MAX_BYTES];

	for (int k = 0; k < vk->nkeys; k++)
		kv[k] = SPI_getbinval(tup, td, k + 1, &kn[k]);
	encode_key(vk, kv, kn, key);
	return hash_search(vb->keys, key, HASH_FIND, NULL);
}

/* The pre-read of a partition: its rows of the keys given as one array per key column. */
typedef struct PrereadArg
{
	VersionKind *vk;
	Oid			partition;
} PrereadArg;

static char *
preread_sql(void *arg, int *nargs, Oid *argtypes)
{
	PrereadArg *pa = arg;
	VersionKind *vk = pa->vk;
	TupleDesc	td = vk->tupdesc;
	StringInfoData sql;
	StringInfoData cols;

	initStringInfo(&cols);
	for (int k = 0; k < vk->nkeys; k++)
	{
		Form_pg_attribute a = TupleDescAttr(td, vk->key_att[k]);

		appendStringInfo(&cols, "%st.%s", k ? ", " : "", quote_identifier(NameStr(a->attname)));
		argtypes[k] = get_array_type(a->atttypid);
	}
	*nargs = vk->nkeys;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s, t.%s FROM %s.%s AS t WHERE (%s) IN (SELECT * FROM ROWS FROM (",
					 cols.data, quote_identifier(NameStr(TupleDescAttr(td, vk->version_att)->attname)),
					 quote_identifier(CONNECT_LAKE_SCHEMA), quote_identifier(get_rel_name(pa->partition)),
					 cols.data);
	for (int k = 0; k < vk->nkeys; k++)
		appendStringInfo(&sql, "%spg_catalog.unnest($%d)", k ? ", " : "", k + 1);
	appendStringInfoString(&sql, "))");
	return sql.data;
}

/*
 * Keys with several versions in this batch: read their rows first, so that
 * each version is counted as if it had been sent alone (inserted, updated
 * or duplicate).  Rare, and only those keys are read.
 */
static void
preread(VersionKind *vk, VersionBatch *vb, CLBatch *b)
{
	Datum	   *keycols[KEY_MAX_COLUMNS];
	Datum		args[KEY_MAX_COLUMNS];
	int			nmulti = 0;
	PrereadArg	pa = {vk, b->partition};

	for (int k = 0; k < vk->nkeys; k++)
		keycols[k] = palloc(sizeof(Datum) * b->n);
	for (int i = 0; i < b->n; i++)
	{
		/* a row the writer inserted (its key was new) was read for nothing */
		if (vb->info[i].nhist == 0 || (b->direct && b->direct[i]))
			continue;
		for (int k = 0; k < vk->nkeys; k++)
		{
			bool		isnull;

			keycols[k][nmulti] = heap_getattr(b->rows[i], vk->key_att[k] + 1, vk->tupdesc, &isnull);
		}
		nmulti++;
	}
	if (nmulti == 0)
		return;
	for (int k = 0; k < vk->nkeys; k++)
		args[k] = cl_writer_array(keycols[k], NULL, nmulti, TupleDescAttr(vk->tupdesc, vk->key_att[k])->atttypid);
	cl_writer_run(cl_writer_plan(b->partition, vk->tupdesc->tdtypeid, "version preread", preread_sql, &pa),
				  args, vk->nkeys, SPI_OK_SELECT);
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		KeyEntry   *e = returned_key(vk, vb, tup, td);
		bool		isnull;
		Datum		version;

		if (e == NULL)
			continue;
		version = SPI_getbinval(tup, td, vk->nkeys + 1, &isnull);
		vb->info[e->row].had_row = true;
		vb->info[e->row].db_version = isnull ? 0 : DatumGetTimestampTz(version);
		vb->info[e->row].db_version_null = isnull;
	}
}

/* One row's versions into the counts, as if each had been sent alone. */
static void
count_row(RowInfo *info, CLWriteCounts *counts)
{
	if (info->nhist > 0 && info->outcome == 'u' && info->had_row)
	{
		/*
		 * Several versions, and one replaced the row read before the batch:
		 * replay them in order against that row.  (A new key is exact without
		 * this, and so is one whose row beat every version: all duplicates.
		 * Should another session have inserted the key meanwhile, the counts
		 * below are the approximation.)
		 */
		TimestampTz cur = info->db_version;
		bool		cur_null = info->db_version_null;

		for (int k = 0; k < info->nhist; k++)
		{
			if (!version_newer(info->hist[k], info->hist_null[k], cur, cur_null))
			{
				counts->duplicates++;
				continue;
			}
			counts->updated++;
			cur = info->hist[k];
			cur_null = info->hist_null[k];
		}
	}
	else if (info->outcome == 'i')
	{
		counts->inserted++;
		counts->updated += info->replaced;
		counts->duplicates += info->older;
	}
	else if (info->outcome == 'u')
	{
		counts->updated += 1 + info->replaced;
		counts->duplicates += info->older;
	}
	else
		counts->duplicates += 1 + info->replaced + info->older;
}

/*
 * Per batch: pre-read the keys folded from several versions, send the
 * upsert, tell each row's outcome from what it returned, count every record
 * folded into the batch, and hand the winners (inserted or replaced rows) to
 * the writer for the kind's after_flush hook.
 */
static void
version_flush(void *ks, CLBatch *b, SPIPlanPtr plan, Datum rows, CLWriteCounts *counts, CLLanded *landed)
{
	VersionKind *vk = ks;
	VersionBatch *vb = batch_state(vk, b);
	uint64		nreturned = 0;

	/* rows of new keys the writer inserted itself: inserted */
	if (b->direct)
		for (int i = 0; i < b->n; i++)
			if (b->direct[i])
				vb->info[i].outcome = 'i';
	if (plan)
	{
		preread(vk, vb, b);
		cl_writer_run_rows(plan, rows, SPI_OK_INSERT_RETURNING);
		nreturned = SPI_processed;
	}

	for (uint64 r = 0; r < nreturned; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	td = SPI_tuptable->tupdesc;
		KeyEntry   *e = returned_key(vk, vb, tup, td);
		bool		isnull;
		TimestampTz landed_at;
		bool		inserted;
		RowInfo    *info;

		if (e == NULL)
			elog(ERROR, "connect_lake: upsert returned a key it was not given");
		landed_at = DatumGetTimestampTz(SPI_getbinval(tup, td, vk->nkeys + 1, &isnull));
		inserted = DatumGetBool(SPI_getbinval(tup, td, vk->nkeys + 2, &isnull));
		info = &vb->info[e->row];
		if (inserted)
			info->outcome = 'i';
		else if (landed_at == info->landed)
			info->outcome = 'u';
		else
			info->outcome = 0;	/* an older or identical version: only counted */
	}

	for (int i = 0; i < b->n; i++)
	{
		RowInfo    *info = &vb->info[i];

		CHECK_FOR_INTERRUPTS();
		count_row(info, counts);
		if (info->outcome && landed->rows)
		{
			CLLandedRow *lr = &landed->rows[landed->n++];

			lr->values = palloc(sizeof(Datum) * vk->tupdesc->natts);
			lr->nulls = palloc(sizeof(bool) * vk->tupdesc->natts);
			heap_deform_tuple(b->rows[i], vk->tupdesc, lr->values, lr->nulls);
			lr->replaced = info->outcome == 'u';
		}
	}
}

const CLLand cl_version_land = {
	.setup = version_setup,
	.conflict_sql = version_conflict_sql,
	.fold = version_fold,
	.order = version_order,
	.flush = version_flush,
};
