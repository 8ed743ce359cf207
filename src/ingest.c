/*
 * ingest.c: connect_lake.ingest(kind, doc): one record from a streaming
 * pipeline, mapped by its kind's description and landed through the writer
 * with the same semantics as a file load.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/jsonb.h"

#include "connect_lake.h"
#include "kinds.h"
#include "recmap.h"
#include "writer.h"

/* Names the element of ingest_batch(kind, docs[]) an error happened in. */
static void
element_context(void *arg)
{
	int		   *i = arg;

	errcontext("element %d of the records given to ingest_batch()", *i + 1);
}

/*
 * Map and land the records of one kind through one writer: ingest() is a
 * batch of one, ingest_batch() a micro-batch landed in batched statements.
 * `docs` iterates over jsonb Datums; `batch` names an element in errors.  A
 * bad record fails the call; nothing of it lands.
 */
static void
land_records(CLRecordKind *kind, ArrayIterator docs, Datum one, bool batch, CLWriteCounts *counts)
{
	CLMapState	st;
	CLWriter   *w;
	Datum		elem = one;
	bool		isnull = false;
	int			i = 0;
	MemoryContext rec_cxt;
	ErrorContextCallback errcb;
	CLWriterIdentity identity;

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

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s record is NULL", kind->name)));
		old = MemoryContextSwitchTo(rec_cxt);
		if (!cl_map_jsonb(&st, DatumGetJsonbP(elem)))
			cl_map_raise(&st);
		cl_writer_add(w, &st, NULL, -1);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rec_cxt);
	}
	if (batch)
		error_context_stack = errcb.previous;
	cl_writer_finish(w, counts);
	cl_writer_identity_end(&identity);
}

PG_FUNCTION_INFO_V1(ingest);

/* ingest(kind text, doc jsonb) RETURNS text: 'inserted', 'updated' or 'duplicate' */
Datum
ingest(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	CLWriteCounts counts;

	land_records(kind, NULL, PG_GETARG_DATUM(1), false, &counts);
	PG_RETURN_TEXT_P(cstring_to_text(counts.inserted ? "inserted" :
									 counts.updated ? "updated" : "duplicate"));
}

PG_FUNCTION_INFO_V1(ingest_batch);

/*
 * ingest_batch(kind text, docs jsonb[]) RETURNS TABLE(inserted, updated, duplicates, values_nulled):
 * a micro-batch (e.g. one Kinesis or Lambda batch) landed in batched
 * statements.  A bad record fails the call; nothing of it lands.
 */
Datum
ingest_batch(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	ArrayIterator it = array_create_iterator(PG_GETARG_ARRAYTYPE_P(1), 0, NULL);
	CLWriteCounts counts;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: ingest_batch(): return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	land_records(kind, it, (Datum) 0, true, &counts);
	array_free_iterator(it);
	values[0] = Int64GetDatum(counts.inserted);
	values[1] = Int64GetDatum(counts.updated);
	values[2] = Int64GetDatum(counts.duplicates);
	values[3] = Int64GetDatum(counts.values_nulled);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
