/*
 * ingest.c: connect_lake.ingest(kind, doc): one record from a streaming
 * pipeline, mapped by its kind's description and landed through the writer
 * with the same semantics as a file load.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "kinds.h"
#include "recmap.h"
#include "writer.h"

PG_FUNCTION_INFO_V1(cl_ingest);

/* ingest(kind text, doc jsonb) RETURNS text: 'inserted', 'updated' or 'duplicate' */
Datum
cl_ingest(PG_FUNCTION_ARGS)
{
	char	   *kindname = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Jsonb	   *doc = PG_GETARG_JSONB_P(1);
	CLRecordKind *kind = cl_kind_by_name(kindname);
	CLMapState	st;
	CLWriter   *w;
	CLWriteCounts counts;

	cl_map_init(&st, kind);
	if (!cl_map_jsonb(&st, doc))
		cl_map_raise(&st);
	w = cl_writer_begin();
	cl_writer_add(w, &st, NULL, -1);
	cl_writer_finish(w, &counts);
	PG_RETURN_TEXT_P(cstring_to_text(counts.inserted ? "inserted" :
									 counts.updated ? "updated" : "duplicate"));
}
