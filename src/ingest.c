/*
 * ingest.c: connect_lake.ingest(kind, doc): one record from a streaming
 * pipeline, mapped by its kind's description and landed through the writer
 * with the same semantics as a file load: the same record limits
 * (record_limits.h), the same conversions, the same reasons for a record
 * that cannot land.
 */
#include "postgres.h"

#include "jsonc.h"				/* reader.h's; before utils/builtins.h */

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/jsonb.h"

#include "connect_lake.h"
#include "kinds.h"
#include "partition.h"
#include "pii.h"
#include "reader.h"
#include "recmap.h"
#include "record_limits.h"
#include "writer.h"

/* Raw text kept per reject, as load() keeps it. */
#define REJECT_RAW_CAP	((size_t) 1024 * 1024)

/* Names the element of ingest_batch(kind, docs[]) an error happened in. */
static void
element_context(void *arg)
{
	int		   *i = arg;

	errcontext("element %d of the records given to ingest_batch()", *i + 1);
}

/* ingest_batch()'s rejected records (on_error 'skip'), kept for load_rejects. */
typedef struct Rejects
{
	List	   *elements;		/* element numbers (1-based), as int8 Datums' values */
	List	   *reasons;
	List	   *raws;
} Rejects;

/*
 * Keep a rejected element: its number, the reason (which never quotes the
 * record) and its text (capped), in the caller's context.
 */
static void
reject(Rejects *rj, MemoryContext cxt, int element, const char *reason, Datum doc, bool isnull)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	char	   *raw = NULL;

	if (!isnull && toast_raw_datum_size(doc) - VARHDRSZ <= REJECT_RAW_CAP)
		raw = JsonbToCString(NULL, &DatumGetJsonbP(doc)->root, VARSIZE_ANY_EXHDR(DatumGetPointer(doc)));
	rj->elements = lappend_int(rj->elements, element);
	rj->reasons = lappend(rj->reasons, pstrdup(reason));
	rj->raws = lappend(rj->raws, raw);
	MemoryContextSwitchTo(old);
}

/*
 * ingest_batch()'s rejects into load_rejects, one statement: kind, path
 * 'ingest_batch()', line = the element's number, no byte offset.
 */
static void
write_rejects(CLRecordKind *kind, Rejects *rj)
{
	int			n = list_length(rj->elements);
	Datum	   *el = palloc(sizeof(Datum) * n);
	Datum	   *rs = palloc(sizeof(Datum) * n);
	Datum	   *rw = palloc(sizeof(Datum) * n);
	bool	   *rwnull = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};
	Oid			types[4] = {TEXTOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[4];
	int			i = 0;
	ListCell   *a,
			   *b,
			   *c;

	forthree(a, rj->elements, b, rj->reasons, c, rj->raws)
	{
		el[i] = Int64GetDatum((int64) lfirst_int(a));
		rs[i] = CStringGetTextDatum((char *) lfirst(b));
		rwnull[i] = (lfirst(c) == NULL);
		rw[i] = rwnull[i] ? (Datum) 0 : CStringGetTextDatum((char *) lfirst(c));
		i++;
	}
	args[0] = CStringGetTextDatum(kind->name);
	args[1] = PointerGetDatum(construct_array(el, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	args[2] = PointerGetDatum(construct_array(rs, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[3] = PointerGetDatum(construct_md_array(rw, rwnull, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: ingest_batch(): SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO connect_lake.load_rejects (kind, path, line, reason, raw) "
							  "SELECT $1, 'ingest_batch()', e, r, w FROM unnest($2, $3, $4) AS u(e, r, w)",
							  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "connect_lake: ingest_batch(): could not record the rejected records");
	SPI_finish();
	/* their upkeep at commit: the erasure check of their raw text */
	cl_upkeep_rejected();
}

/*
 * Map one document (in the record's memory context).  A document stored
 * out of line is expanded here, and that copy is freed as soon as the
 * record is mapped, before the writer copies the row: the mapped values are
 * copies (text, numbers, jsonb built anew), so a large record is held at
 * most twice at once on its way to the writer (the expanded document and
 * its mapped values, then the values and the writer's row), not three times.
 */
static bool
map_document(CLMapState *st, Datum elem)
{
	Jsonb	   *doc = DatumGetJsonbP(elem);
	bool		ok = cl_map_jsonb(st, doc);

	if (ok && (Pointer) doc != DatumGetPointer(elem))
		pfree(doc);
	return ok;
}

/*
 * Map and land the records of one kind through one writer: ingest() is a
 * batch of one, ingest_batch() a micro-batch landed in batched statements.
 * `docs` iterates over jsonb Datums; `batch` names an element in errors.  A
 * bad record (NULL, beyond the record limits, a value that cannot land)
 * fails the call, or with `skip` is kept in *rejected and the others land;
 * nothing of a failed call lands.
 */
static void
land_records(CLRecordKind *kind, ArrayIterator docs, Datum one, bool batch, bool skip,
			 CLWriteCounts *counts, int64 *rejected)
{
	CLMapState	st;
	CLWriter   *w;
	Datum		elem = one;
	bool		isnull = false;
	int			i = 0;
	MemoryContext call_cxt = CurrentMemoryContext;
	MemoryContext rec_cxt;
	ErrorContextCallback errcb;
	Rejects		rj = {NIL, NIL, NIL};
	CLWriterIdentity identity;

	cl_pii_check(kind);		/* hashing without a secret: refused, nothing lands */
	cl_kind_lock_writers(kind, false);
	cl_partition_budget_reset();
	cl_writer_identity_begin(&identity);
	cl_map_init(&st, kind, CL_MAP_WRITE);
	w = cl_writer_begin();
	rec_cxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake ingest record",
									ALLOCSET_DEFAULT_SIZES);
	errcb.callback = element_context;
	errcb.arg = &i;
	errcb.previous = error_context_stack;
	if (batch)
		error_context_stack = &errcb;

	for (; docs ? array_iterate(docs, &elem, &isnull) : i == 0; i++)
	{
		MemoryContext old;
		char	   *problem;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
		{
			if (!skip)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("%s record is NULL", kind->name)));
			reject(&rj, call_cxt, i + 1, psprintf("%s record is NULL", kind->name), elem, true);
			continue;
		}
		old = MemoryContextSwitchTo(rec_cxt);
		/* load()'s record limits, checked before the document is expanded */
		problem = cl_record_limits_jsonb_problem(elem, kind->label);
		if (problem && skip)
			reject(&rj, call_cxt, i + 1, problem, elem, false);
		else if (problem)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s", problem),
					 errhint("load() applies the same limit to a file's records; a superuser can raise it.")));
		else if (!map_document(&st, elem) || !cl_writer_add(w, &st, NULL, -1))
		{
			/* a value that cannot land, or a time outside the window or the
			 * partition budget (cl_writer_add) */
			if (!skip)
				cl_map_raise(&st);
			/* the reason as load() gives it: the message and the field, never the value */
			reject(&rj, call_cxt, i + 1,
				   *st.errpath ? psprintf("%s (Field: %s.)", st.errmsg, st.errpath) : st.errmsg,
				   elem, false);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(rec_cxt);
	}
	if (batch)
		error_context_stack = errcb.previous;
	cl_writer_finish(w, counts);
	*rejected = list_length(rj.elements);
	if (rj.elements != NIL)
		write_rejects(kind, &rj);
	cl_writer_identity_end(&identity);
}

PG_FUNCTION_INFO_V1(ingest);

/* ingest(kind text, doc jsonb) RETURNS text: 'inserted', 'updated' or 'duplicate' */
Datum
ingest(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	CLWriteCounts counts;
	int64		rejected;

	land_records(kind, NULL, PG_GETARG_DATUM(1), false, false, &counts, &rejected);
	PG_RETURN_TEXT_P(cstring_to_text(counts.inserted ? "inserted" :
									 counts.updated ? "updated" : "duplicate"));
}

PG_FUNCTION_INFO_V1(ingest_batch);

/*
 * ingest_batch(kind text, docs jsonb[], on_error text) RETURNS TABLE(inserted,
 * updated, duplicates, values_nulled, rejected): a micro-batch (e.g. one
 * Kinesis or Lambda batch) landed in batched statements.  on_error 'stop': a
 * bad record fails the call, nothing of it lands; 'skip': bad records go to
 * load_rejects (path 'ingest_batch()', line = the element's number), the
 * others land, as load() does with a file's.
 */
Datum
ingest_batch(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ArrayIterator it = array_create_iterator(PG_GETARG_ARRAYTYPE_P(1), 0, NULL);
	bool		skip = PG_NARGS() > 2 && cl_reader_on_error_skip(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	CLWriteCounts counts;
	int64		rejected;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	tupdesc = cl_result_row_type(fcinfo, 5, "ingest_batch()");

	land_records(kind, it, (Datum) 0, true, skip, &counts, &rejected);
	array_free_iterator(it);
	values[0] = Int64GetDatum(counts.inserted);
	values[1] = Int64GetDatum(counts.updated);
	values[2] = Int64GetDatum(counts.duplicates);
	values[3] = Int64GetDatum(counts.values_nulled);
	values[4] = Int64GetDatum(rejected);
	/* under 0.1.0's definition (no on_error, 4 columns) the first 4 are returned */
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
