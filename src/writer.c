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

typedef enum PlanWhich
{
	PLAN_ROWS,					/* the batch insert / upsert of a partition */
	PLAN_CTR_PREREAD,			/* LastUpdateTimestamp of contacts sent in several versions */
	PLAN_AGENT_DIM,
	PLAN_QUEUE_DIM,
	PLAN_QUEUE_HISTORY,
	PLAN_ACCOUNT_DELETE,
	PLAN_ACCOUNT_INSERT
} PlanWhich;

typedef struct PlanKey
{
	Oid			relid;			/* partition, or the schema for shared tables */
	Oid			rowtype;
	int			which;
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

static int
att_of(TupleDesc td, const char *name)
{
	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i;
	}
	return -1;
}

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
	ki->part_att = att_of(ki->tupdesc, st->kind->partition_column);
	if (ki->part_att < 0)
		elog(ERROR, "connect_lake writer: kind %s has no partition column %s",
			 st->kind->name, st->kind->partition_column);
	ki->file_att = att_of(ki->tupdesc, "source_file");
	ki->offset_att = att_of(ki->tupdesc, "source_offset");
	ki->landed_att = st->kind->landed_column ? att_of(ki->tupdesc, st->kind->landed_column) : -1;
	ki->count_att = st->kind->count_column ? att_of(ki->tupdesc, st->kind->count_column) : -1;
	ki->awk_att = -1;
	if (st->kind->after_write)
	{
		ki->awk_att = att_of(ki->tupdesc, st->kind->after_write_key);
		if (ki->awk_att < 0)
			elog(ERROR, "connect_lake writer: kind %s has no column %s",
				 st->kind->name, st->kind->after_write_key);
	}
	if (ki->is_ctr)
	{
		ki->id_att = att_of(ki->tupdesc, "contactid");
		ki->lut_att = att_of(ki->tupdesc, "lastupdatetimestamp");
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
		int			att = att_of(td, name);

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

static char *
shared_sql(PlanWhich which, Oid partition, int *nargs, Oid *argtypes)
{
	const char *s = schema_q();
	const char *newer = "excluded.last_seen OPERATOR(pg_catalog.>=) d.last_seen";
	StringInfoData sql;

	initStringInfo(&sql);
	switch (which)
	{
		case PLAN_CTR_PREREAD:
			*nargs = 2;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "SELECT t.contactid, t.initiationtimestamp, t.lastupdatetimestamp"
							 "  FROM %s.%s AS t"
							 " WHERE (t.contactid, t.initiationtimestamp) IN"
							 "       (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)))",
							 s, quote_identifier(get_rel_name(partition)));
			break;
		case PLAN_AGENT_DIM:
			*nargs = 8;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = argtypes[3] = argtypes[4] = TEXTARRAYOID;
			argtypes[5] = JSONBARRAYOID;
			argtypes[6] = argtypes[7] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.agent_dim AS d (agent_id, agent_arn, username, routingprofile_arn,"
							 "   routingprofile_name, hierarchygroups, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8))"
							 " ON CONFLICT (agent_id) DO UPDATE SET"
							 "  agent_arn = CASE WHEN %s THEN excluded.agent_arn ELSE d.agent_arn END,"
							 "  username = CASE WHEN %s THEN COALESCE(excluded.username, d.username) ELSE COALESCE(d.username, excluded.username) END,"
							 "  routingprofile_arn = CASE WHEN %s THEN COALESCE(excluded.routingprofile_arn, d.routingprofile_arn) ELSE COALESCE(d.routingprofile_arn, excluded.routingprofile_arn) END,"
							 "  routingprofile_name = CASE WHEN %s THEN COALESCE(excluded.routingprofile_name, d.routingprofile_name) ELSE COALESCE(d.routingprofile_name, excluded.routingprofile_name) END,"
							 "  hierarchygroups = CASE WHEN %s THEN COALESCE(excluded.hierarchygroups, d.hierarchygroups) ELSE COALESCE(d.hierarchygroups, excluded.hierarchygroups) END,"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s, newer, newer, newer, newer, newer);
			break;
		case PLAN_QUEUE_DIM:
			*nargs = 5;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = TEXTARRAYOID;
			argtypes[3] = argtypes[4] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.queue_dim AS d (queue_id, queue_arn, queue_name, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5))"
							 " ON CONFLICT (queue_id) DO UPDATE SET"
							 "  queue_arn = CASE WHEN %s THEN excluded.queue_arn ELSE d.queue_arn END,"
							 "  queue_name = CASE WHEN %s THEN COALESCE(excluded.queue_name, d.queue_name) ELSE COALESCE(d.queue_name, excluded.queue_name) END,"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s, newer, newer);
			break;
		case PLAN_QUEUE_HISTORY:
			*nargs = 4;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = TEXTARRAYOID;
			argtypes[2] = argtypes[3] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.queue_name_history AS d (queue_id, queue_name, first_seen, last_seen)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))"
							 " ON CONFLICT (queue_id, queue_name) DO UPDATE SET"
							 "  first_seen = LEAST(d.first_seen, excluded.first_seen),"
							 "  last_seen = GREATEST(d.last_seen, excluded.last_seen)",
							 s);
			break;
		case PLAN_ACCOUNT_DELETE:
			*nargs = 3;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = UUIDARRAYOID;
			argtypes[2] = TEXTARRAYOID;
			appendStringInfo(&sql,
							 "DELETE FROM %s.contact_account AS c"
							 " WHERE c.contactid OPERATOR(pg_catalog.=) ANY ($1)"
							 "   AND NOT EXISTS (SELECT FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3::pg_catalog.int8[])) AS k(id, account)"
							 "                    WHERE k.id OPERATOR(pg_catalog.=) c.contactid"
							 "                      AND k.account OPERATOR(pg_catalog.=) c.account)",
							 s);
			break;
		case PLAN_ACCOUNT_INSERT:
			*nargs = 4;
			argtypes[0] = UUIDARRAYOID;
			argtypes[1] = argtypes[2] = TEXTARRAYOID;
			argtypes[3] = TIMESTAMPTZARRAYOID;
			appendStringInfo(&sql,
							 "INSERT INTO %s.contact_account (contactid, account, source, initiationtimestamp)"
							 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2::pg_catalog.int8[]), pg_catalog.unnest($3), pg_catalog.unnest($4))"
							 " ON CONFLICT (contactid, account) DO NOTHING",
							 s);
			break;
		case PLAN_ROWS:
			elog(ERROR, "rows plans are built by rows_sql");
	}
	return sql.data;
}

/* The prepared statement (SPI connected). */
static SPIPlanPtr
get_plan(PlanWhich which, KindInfo *ki, Oid partition)
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
	key.which = which;
	if (which == PLAN_ROWS || which == PLAN_CTR_PREREAD)
	{
		key.relid = partition;
		key.rowtype = ki->rowtype;
	}
	else
		key.relid = cl_schema_oid();

	e = hash_search(plans, &key, HASH_ENTER, &found);
	if (!found)
		e->plan = NULL;
	if (e->plan == NULL)
	{
		SPIPlanPtr	plan;
		char	   *sql;
		int			nargs = 1;
		Oid			argtypes[8];

		if (which == PLAN_ROWS)
		{
			sql = rows_sql(ki, partition);
			argtypes[0] = get_array_type(ki->rowtype);
		}
		else
			sql = shared_sql(which, partition, &nargs, argtypes);
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

static void
run_plan(SPIPlanPtr plan, Datum *args, int nargs, int expect)
{
	char		nulls[8];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	rc = SPI_execute_plan(plan, args, nulls, false, 0);
	if (rc != expect)
		elog(ERROR, "connect_lake writer: statement failed: %s", SPI_result_code_string(rc));
}

static Datum
make_array(Datum *d, bool *n, int count, Oid elemtype)
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

/* ---------- CTR side tables ---------- */

/* The columns side tables need, from a winning row. */
typedef struct Winner
{
	pg_uuid_t  *contactid;
	TimestampTz initts;
	bool		updated;		/* replaced an existing row (else new) */
	Datum	   *v;
	bool	   *n;
	int			seq;
} Winner;

typedef struct SideAtts
{
	int			agent_id,
				agent_arn,
				username,
				rp_arn,
				rp_name,
				level[10],
				queue_id,
				queue_arn,
				queue_name,
				accounts,
				junifer;
} SideAtts;

static void
side_atts(TupleDesc td, SideAtts *a)
{
	static const char *const levels[10] = {
		"agent_hierarchygroups_level1_arn", "agent_hierarchygroups_level1_groupname",
		"agent_hierarchygroups_level2_arn", "agent_hierarchygroups_level2_groupname",
		"agent_hierarchygroups_level3_arn", "agent_hierarchygroups_level3_groupname",
		"agent_hierarchygroups_level4_arn", "agent_hierarchygroups_level4_groupname",
		"agent_hierarchygroups_level5_arn", "agent_hierarchygroups_level5_groupname",
	};

	a->agent_id = att_of(td, "agent_id");
	a->agent_arn = att_of(td, "agent_arn");
	a->username = att_of(td, "agent_username");
	a->rp_arn = att_of(td, "agent_routingprofile_arn");
	a->rp_name = att_of(td, "agent_routingprofile_name");
	for (int i = 0; i < 10; i++)
		a->level[i] = att_of(td, levels[i]);
	a->queue_id = att_of(td, "queue_id");
	a->queue_arn = att_of(td, "queue_arn");
	a->queue_name = att_of(td, "queue_name");
	a->accounts = att_of(td, "attributes_accountnumbers");
	a->junifer = att_of(td, "attributes_juniferid");
	if (a->agent_id < 0 || a->agent_arn < 0 || a->queue_id < 0 || a->queue_arn < 0 ||
		a->queue_name < 0 || a->accounts < 0 || a->junifer < 0 || a->username < 0 ||
		a->rp_arn < 0 || a->rp_name < 0)
		elog(ERROR, "connect_lake writer: ctr row type lacks a dimension column");
	for (int i = 0; i < 10; i++)
		if (a->level[i] < 0)
			elog(ERROR, "connect_lake writer: ctr row type lacks a hierarchy column");
}

static int
cl_uuid_cmp(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN);
}

static int
text_cmp(Datum a, Datum b)
{
	text	   *ta = DatumGetTextPP(a);
	text	   *tb = DatumGetTextPP(b);
	int			la = VARSIZE_ANY_EXHDR(ta),
				lb = VARSIZE_ANY_EXHDR(tb);
	int			c = memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), Min(la, lb));

	return c ? c : (la > lb) - (la < lb);
}

/* Items sorted by (uuid, [text], ts, seq): the unit of every side table. */
typedef struct SideItem
{
	pg_uuid_t  *id;
	Datum		name;			/* queue name / account (text), 0 when unused */
	TimestampTz ts;
	Winner	   *w;
	Datum		source;			/* account links: source column name */
	int			seq;
} SideItem;

static int
side_item_cmp(const void *pa, const void *pb)
{
	const SideItem *a = pa;
	const SideItem *b = pb;
	int			c = cl_uuid_cmp(a->id, b->id);

	if (c)
		return c;
	if (a->name && b->name && (c = text_cmp(a->name, b->name)) != 0)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq - b->seq;
}

static Datum
hierarchy_jsonb(Winner *wn, SideAtts *a, bool *isnull)
{
	JsonbParseState *ps = NULL;
	JsonbValue	k;
	JsonbValue	v;
	JsonbValue *res;
	bool		any = false;

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	for (int l = 0; l < 5; l++)
	{
		int			arn = a->level[2 * l],
					name = a->level[2 * l + 1];
		char		key[8];

		if (wn->n[arn] && wn->n[name])
			continue;
		any = true;
		snprintf(key, sizeof(key), "Level%d", l + 1);
		k.type = jbvString;
		k.val.string.val = pstrdup(key);
		k.val.string.len = strlen(key);
		pushJsonbValue(&ps, WJB_KEY, &k);
		pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
		for (int f = 0; f < 2; f++)
		{
			int			att = f ? name : arn;

			if (wn->n[att])
				continue;
			k.type = jbvString;
			k.val.string.val = f ? "GroupName" : "ARN";
			k.val.string.len = strlen(k.val.string.val);
			pushJsonbValue(&ps, WJB_KEY, &k);
			v.type = jbvString;
			v.val.string.val = VARDATA_ANY(DatumGetPointer(wn->v[att]));
			v.val.string.len = VARSIZE_ANY_EXHDR(DatumGetPointer(wn->v[att]));
			pushJsonbValue(&ps, WJB_VALUE, &v);
		}
		pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	*isnull = !any;
	return any ? JsonbPGetDatum(JsonbValueToJsonb(res)) : (Datum) 0;
}

/*
 * Dimensions (agent_dim, queue_dim, queue_name_history) are shared by every
 * writer: agents and queues appear in every file.  Upserting them batch by
 * batch would hold their row locks from the first batch to the end of a
 * load and deadlock two concurrent multi-file loads.  So each batch's
 * winners are only aggregated here, per transaction, and the dimensions are
 * written once, at commit (XACT_EVENT_PRE_COMMIT): one statement per table,
 * rows in key order, tables in a fixed order, so concurrent committers never
 * deadlock on them.  Rows remember the subtransaction that added them, so a
 * rolled-back subtransaction (a failed file) adds nothing.
 */
#define DIM_AGENT	0
#define DIM_QUEUE	1
#define DIM_HISTORY 2
#define DIM_NVALS	5			/* agent: arn, username, rp arn, rp name, hierarchy; queue: arn, name */

typedef struct DimRow
{
	pg_uuid_t	id;
	Datum		name;			/* history: the queue name (text); else 0 */
	TimestampTz first;
	TimestampTz last;
	Datum		val[DIM_NVALS];
	TimestampTz val_ts[DIM_NVALS];	/* initiation time of the contact the value came from */
	bool		has[DIM_NVALS];
	int			level;			/* transaction nest level that added it */
	int			seq;
} DimRow;

typedef struct DimSet
{
	DimRow	   *rows;
	int			n;
	int			cap;
} DimSet;

static DimSet pending[3];
static MemoryContext pending_cxt = NULL;
static bool dim_callbacks = false;
static int	dim_seq = 0;

static int
dim_row_cmp(const void *pa, const void *pb)
{
	const DimRow *a = pa;
	const DimRow *b = pb;
	int			c;

	if (a->level != b->level)
		return a->level - b->level;
	if ((c = cl_uuid_cmp(&a->id, &b->id)) != 0)
		return c;
	if (a->name && b->name && (c = text_cmp(a->name, b->name)) != 0)
		return c;
	return a->seq - b->seq;
}

/* Merge rows of one key (and level): sorted in place, merged to the front. */
static int
dim_compact(DimRow *rows, int n)
{
	int			out = 0;

	if (n <= 1)
		return n;
	qsort(rows, n, sizeof(DimRow), dim_row_cmp);
	for (int i = 0; i < n;)
	{
		DimRow		r = rows[i];
		int			j = i + 1;

		for (; j < n && rows[j].level == r.level && cl_uuid_cmp(&rows[j].id, &r.id) == 0 &&
			 (!r.name || text_cmp(rows[j].name, r.name) == 0); j++)
		{
			DimRow	   *x = &rows[j];

			r.first = Min(r.first, x->first);
			r.last = Max(r.last, x->last);
			for (int f = 0; f < DIM_NVALS; f++)
				if (x->has[f] && (!r.has[f] || x->val_ts[f] >= r.val_ts[f]))
				{
					r.val[f] = x->val[f];
					r.val_ts[f] = x->val_ts[f];
					r.has[f] = true;
				}
			r.seq = Max(r.seq, x->seq);
		}
		rows[out++] = r;
		i = j;
	}
	return out;
}

static void
dim_xact_callback(XactEvent event, void *arg);
static void
dim_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg);

/* Append a batch's (compacted) rows, copying their values for the transaction. */
static void
dim_append(int set, DimRow *rows, int n)
{
	DimSet	   *ds = &pending[set];
	MemoryContext old;

	if (n == 0)
		return;
	if (!dim_callbacks)
	{
		RegisterXactCallback(dim_xact_callback, NULL);
		RegisterSubXactCallback(dim_subxact_callback, NULL);
		dim_callbacks = true;
	}
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake dimensions",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(pending_cxt);
	if (ds->n + n > ds->cap)
	{
		int			cap = Max(64, Max(ds->cap * 2, ds->n + n));

		ds->rows = ds->rows ? repalloc(ds->rows, sizeof(DimRow) * cap) : palloc(sizeof(DimRow) * cap);
		ds->cap = cap;
	}
	for (int i = 0; i < n; i++)
	{
		DimRow	   *r = &ds->rows[ds->n++];

		*r = rows[i];
		if (r->name)
			r->name = datumCopy(r->name, false, -1);
		for (int f = 0; f < DIM_NVALS; f++)
			if (r->has[f])
				r->val[f] = datumCopy(r->val[f], false, -1);
	}
	MemoryContextSwitchTo(old);
	/* many batches: keep the set small (values of merged rows stay until commit) */
	if (ds->n > 20000)
		ds->n = dim_compact(ds->rows, ds->n);
}

static void
dim_reset(void)
{
	for (int i = 0; i < 3; i++)
	{
		pending[i].rows = NULL;
		pending[i].n = pending[i].cap = 0;
	}
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
}

static void
dim_write(void)
{
	static const int cols[3] = {8, 5, 4};
	static const PlanWhich plan[3] = {PLAN_AGENT_DIM, PLAN_QUEUE_DIM, PLAN_QUEUE_HISTORY};
	bool		any = false;
	Oid			nsp;

	for (int set = 0; set < 3; set++)
		any |= pending[set].n > 0;
	/* nothing to do, or the extension was dropped since the rows landed */
	if (!any)
		return;
	nsp = get_namespace_oid(CONNECT_LAKE_SCHEMA, true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("agent_dim", nsp)))
		return;

	/* at pre-commit no statement is running: give the queries a snapshot */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake writer: SPI_connect failed");
	for (int set = 0; set < 3; set++)
	{
		DimSet	   *ds = &pending[set];
		int			n;
		Datum	   *v[8] = {0};
		bool	   *nl[8] = {0};
		Datum		args[8];

		if (ds->n == 0)
			continue;
		/* at commit every row belongs to the top transaction: one row per key */
		for (int i = 0; i < ds->n; i++)
			ds->rows[i].level = 1;
		n = dim_compact(ds->rows, ds->n);
		for (int c = 0; c < cols[set]; c++)
		{
			v[c] = palloc(sizeof(Datum) * n);
			nl[c] = palloc0(sizeof(bool) * n);
		}
		for (int i = 0; i < n; i++)
		{
			DimRow	   *r = &ds->rows[i];
			int			c = 0;

			v[c++][i] = UUIDPGetDatum(&r->id);
			if (set == DIM_HISTORY)
				v[c++][i] = r->name;
			else
				for (int f = 0; f < (set == DIM_AGENT ? 5 : 2); f++, c++)
				{
					v[c][i] = r->val[f];
					nl[c][i] = !r->has[f];
				}
			v[c++][i] = TimestampTzGetDatum(r->first);
			v[c++][i] = TimestampTzGetDatum(r->last);
		}
		args[0] = make_array(v[0], nl[0], n, UUIDOID);
		for (int c = 1; c < cols[set] - 2; c++)
			args[c] = make_array(v[c], nl[c], n, (set == DIM_AGENT && c == 5) ? JSONBOID : TEXTOID);
		args[cols[set] - 2] = make_array(v[cols[set] - 2], nl[cols[set] - 2], n, TIMESTAMPTZOID);
		args[cols[set] - 1] = make_array(v[cols[set] - 1], nl[cols[set] - 1], n, TIMESTAMPTZOID);
		run_plan(get_plan(plan[set], NULL, InvalidOid), args, cols[set], SPI_OK_INSERT);
	}
	SPI_finish();
	PopActiveSnapshot();
}

static void
dim_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			dim_write();
			dim_reset();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			dim_reset();
			break;
		default:
			break;
	}
}

static void
dim_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	for (int set = 0; set < 3; set++)
	{
		DimSet	   *ds = &pending[set];
		int			out = 0;

		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			for (int i = 0; i < ds->n; i++)
				if (ds->rows[i].level < level)
					ds->rows[out++] = ds->rows[i];
			ds->n = out;
		}
		else if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			for (int i = 0; i < ds->n; i++)
				if (ds->rows[i].level >= level)
					ds->rows[i].level = level - 1;
		}
	}
}

/* A batch's winners into the transaction's pending dimension rows. */
/* A dimension row for the winner's entity id, seen at its initiation time. */
static DimRow *
dim_row(DimRow *rows, int *n, Winner *wn, int id_att, int level)
{
	DimRow	   *r = &rows[(*n)++];

	memset(r, 0, sizeof(*r));
	memcpy(&r->id, DatumGetUUIDP(wn->v[id_att]), sizeof(pg_uuid_t));
	r->first = r->last = wn->initts;
	r->level = level;
	r->seq = dim_seq++;
	return r;
}

/* Value column f of a dimension row, as of the winner's initiation time. */
static void
dim_val(DimRow *r, int f, Datum value, Winner *wn)
{
	r->val[f] = value;
	r->val_ts[f] = wn->initts;
	r->has[f] = true;
}

static void
collect_dims(Winner *wins, int nwins, SideAtts *a)
{
	DimRow	   *rows = palloc(sizeof(DimRow) * nwins);
	int			level = GetCurrentTransactionNestLevel();
	int			n;

	/* agents: ARN, username, routing profile ARN and name, hierarchy */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];
		DimRow	   *r;
		int			atts[4] = {a->agent_arn, a->username, a->rp_arn, a->rp_name};
		bool		hnull;
		Datum		h;

		if (wn->n[a->agent_id] || wn->n[a->agent_arn])
			continue;
		r = dim_row(rows, &n, wn, a->agent_id, level);
		for (int f = 0; f < 4; f++)
			if (!wn->n[atts[f]])
				dim_val(r, f, wn->v[atts[f]], wn);
		h = hierarchy_jsonb(wn, a, &hnull);
		if (!hnull)
			dim_val(r, 4, h, wn);
	}
	dim_append(DIM_AGENT, rows, dim_compact(rows, n));

	/* queues: ARN and name */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];
		DimRow	   *r;

		if (wn->n[a->queue_id] || wn->n[a->queue_arn])
			continue;
		r = dim_row(rows, &n, wn, a->queue_id, level);
		dim_val(r, 0, wn->v[a->queue_arn], wn);
		if (!wn->n[a->queue_name])
			dim_val(r, 1, wn->v[a->queue_name], wn);
	}
	dim_append(DIM_QUEUE, rows, dim_compact(rows, n));

	/* every name a queue carried */
	n = 0;
	for (int i = 0; i < nwins; i++)
	{
		Winner	   *wn = &wins[i];

		if (wn->n[a->queue_id] || wn->n[a->queue_name])
			continue;
		dim_row(rows, &n, wn, a->queue_id, level)->name = wn->v[a->queue_name];
	}
	dim_append(DIM_HISTORY, rows, dim_compact(rows, n));
}

/* Account numbers in a list: comma or white space separated, trimmed, empties dropped. */
static int
split_accounts(Datum list, Winner *wn, Datum source, SideItem *items, int n, int max)
{
	text	   *t = DatumGetTextPP(list);
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i = 0;
	int64		account;

	while (i < len)
	{
		int			start;

		while (i < len && (s[i] == ',' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
						   s[i] == '\r' || s[i] == ';'))
			i++;
		start = i;
		while (i < len && !(s[i] == ',' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
							s[i] == '\r' || s[i] == ';'))
			i++;
		/* contact_account.account is an integer: other numbers stay in the attribute only */
		if (i > start && n < max && cl_parse_int64(s + start, i - start, PG_INT64_MIN, PG_INT64_MAX, &account))
		{
			items[n].id = wn->contactid;
			items[n].name = PointerGetDatum(cstring_to_text(psprintf(INT64_FORMAT, account)));
			items[n].ts = 0;	/* sorted by (contact, account, seq) */
			items[n].w = wn;
			items[n].source = source;
			items[n].seq = n;
			n++;
		}
	}
	return n;
}

static void
write_accounts(Winner *wins, int nwins, SideAtts *a)
{
	int			max = 0;
	SideItem   *items;
	int			n = 0;
	Datum		src_accounts = PointerGetDatum(cstring_to_text("attributes_accountnumbers"));
	Datum		src_junifer = PointerGetDatum(cstring_to_text("attributes_juniferid"));
	Datum	   *ids,
			   *accts,
			   *srcs,
			   *tss,
			   *upd;
	int			out = 0,
				nupd = 0;
	Datum		args[4];

	for (int i = 0; i < nwins; i++)
	{
		if (!wins[i].n[a->accounts])
			max += VARSIZE_ANY_EXHDR(DatumGetPointer(wins[i].v[a->accounts])) / 2 + 1;
		if (!wins[i].n[a->junifer])
			max += VARSIZE_ANY_EXHDR(DatumGetPointer(wins[i].v[a->junifer])) / 2 + 1;
	}
	items = palloc(sizeof(SideItem) * (max + 1));
	upd = palloc(sizeof(Datum) * nwins);
	for (int i = 0; i < nwins; i++)
	{
		if (!wins[i].n[a->accounts])
			n = split_accounts(wins[i].v[a->accounts], &wins[i], src_accounts, items, n, max);
		if (!wins[i].n[a->junifer])
			n = split_accounts(wins[i].v[a->junifer], &wins[i], src_junifer, items, n, max);
		if (wins[i].updated)
			upd[nupd++] = UUIDPGetDatum(wins[i].contactid);
	}
	qsort(items, n, sizeof(SideItem), side_item_cmp);
	ids = palloc(sizeof(Datum) * (n + 1));
	accts = palloc(sizeof(Datum) * (n + 1));
	srcs = palloc(sizeof(Datum) * (n + 1));
	tss = palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		if (out > 0 && cl_uuid_cmp(items[i].id, DatumGetUUIDP(ids[out - 1])) == 0 &&
			text_cmp(items[i].name, accts[out - 1]) == 0)
			continue;
		ids[out] = UUIDPGetDatum(items[i].id);
		accts[out] = items[i].name;
		srcs[out] = items[i].source;
		tss[out] = TimestampTzGetDatum(items[i].w->initts);
		out++;
	}

	/* a replaced version's stale links go */
	if (nupd > 0)
	{
		args[0] = make_array(upd, NULL, nupd, UUIDOID);
		args[1] = make_array(ids, NULL, out, UUIDOID);
		args[2] = make_array(accts, NULL, out, TEXTOID);
		run_plan(get_plan(PLAN_ACCOUNT_DELETE, NULL, InvalidOid), args, 3, SPI_OK_DELETE);
	}
	if (out > 0)
	{
		args[0] = make_array(ids, NULL, out, UUIDOID);
		args[1] = make_array(accts, NULL, out, TEXTOID);
		args[2] = make_array(srcs, NULL, out, TEXTOID);
		args[3] = make_array(tss, NULL, out, TIMESTAMPTZOID);
		run_plan(get_plan(PLAN_ACCOUNT_INSERT, NULL, InvalidOid), args, 4, SPI_OK_INSERT);
	}
}

/* ---------- flushing ---------- */

static void
flush_ctr(CLWriter *w, WriteBuf *b, Datum rows)
{
	KindInfo   *ki = b->ki;
	Datum		args[3];
	int			nwins = 0;
	Winner	   *wins;
	SideAtts	sa;

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
			args[0] = make_array(ids, NULL, nmulti, UUIDOID);
			args[1] = make_array(tss, NULL, nmulti, TIMESTAMPTZOID);
			run_plan(get_plan(PLAN_CTR_PREREAD, ki, b->partition), args, 2, SPI_OK_SELECT);
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
	run_plan(get_plan(PLAN_ROWS, ki, b->partition), args, 1, SPI_OK_INSERT_RETURNING);

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
	wins = palloc(sizeof(Winner) * b->n);
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
		if (info->outcome)
		{
			Winner	   *wn = &wins[nwins++];

			wn->v = palloc(sizeof(Datum) * ki->tupdesc->natts);
			wn->n = palloc(sizeof(bool) * ki->tupdesc->natts);
			heap_deform_tuple(b->rows[i], ki->tupdesc, wn->v, wn->n);
			wn->contactid = DatumGetUUIDP(wn->v[ki->id_att]);
			wn->initts = DatumGetTimestampTz(wn->v[ki->part_att]);
			wn->updated = info->outcome == 'u';
			wn->seq = i;
		}
	}

	if (nwins > 0)
	{
		side_atts(ki->tupdesc, &sa);
		collect_dims(wins, nwins, &sa);
		write_accounts(wins, nwins, &sa);
	}
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
	rows = make_array(elems, NULL, b->n, ki->rowtype);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake writer: SPI_connect failed");
	spicxt = CurrentMemoryContext;
	if (ki->is_ctr)
		flush_ctr(w, b, rows);
	else
	{
		Datum		args[1] = {rows};

		run_plan(get_plan(PLAN_ROWS, ki, b->partition), args, 1, SPI_OK_INSERT_RETURNING);
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
