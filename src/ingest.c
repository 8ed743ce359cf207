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

#include "kinds.h"
#include "recmap.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(ingest);

/* ingest(kind text, doc jsonb) RETURNS text: 'inserted', 'updated' or 'duplicate' */
Datum
ingest(PG_FUNCTION_ARGS)
{
	char	   *kindname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *doc = PG_GETARG_JSONB_P(1);
	CLRecordKind *kind = cl_kind_by_name(kindname);
	CLMapState	st;
	CLWriter   *w;
	CLWriteCounts counts;

	cl_map_init(&st, kind, CL_MAP_WRITE);
	if (!cl_map_jsonb(&st, doc))
		cl_map_raise(&st);
	w = cl_writer_begin();
	cl_writer_add(w, &st, NULL, -1);
	cl_writer_finish(w, &counts);
	PG_RETURN_TEXT_P(cstring_to_text(counts.inserted ? "inserted" :
									 counts.updated ? "updated" : "duplicate"));
}

/* Names the element of ingest(kind, docs[]) an error happened in. */
static void
element_context(void *arg)
{
	int		   *i = arg;

	errcontext("element %d of the records given to ingest_batch()", *i + 1);
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
	char	   *kindname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *docs = PG_GETARG_ARRAYTYPE_P(1);
	CLRecordKind *kind = cl_kind_by_name(kindname);
	CLMapState	st;
	CLWriter   *w;
	CLWriteCounts counts;
	ArrayIterator it;
	Datum		elem;
	bool		isnull;
	int			i = 0;
	MemoryContext rec_cxt;
	MemoryContext old;
	ErrorContextCallback errcb;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "connect_lake: ingest(): return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	cl_map_init(&st, kind, CL_MAP_WRITE);
	w = cl_writer_begin();
	rec_cxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake ingest record",
									ALLOCSET_DEFAULT_SIZES);
	errcb.callback = element_context;
	errcb.arg = &i;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	it = array_create_iterator(docs, 0, NULL);
	for (; array_iterate(it, &elem, &isnull); i++)
	{
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
	array_free_iterator(it);
	error_context_stack = errcb.previous;

	cl_writer_finish(w, &counts);
	values[0] = Int64GetDatum(counts.inserted);
	values[1] = Int64GetDatum(counts.updated);
	values[2] = Int64GetDatum(counts.duplicates);
	values[3] = Int64GetDatum(counts.values_nulled);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
