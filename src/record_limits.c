/*
 * record_limits.c: the limits of one record, shared by load(), the foreign
 * tables and ingest() (see record_limits.h).
 */
#include "postgres.h"

#include "jsonc.h"

#include "access/detoast.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "framing.h"
#include "record_limits.h"

int			cl_max_record_size = (int) CL_FRAME_DEFAULT_MAX_RECORD;
int			cl_max_record_depth = CL_FRAME_DEFAULT_MAX_DEPTH;

void
cl_record_limits_init(void)
{
	DefineCustomIntVariable("connect_lake.max_record_size",
							"Largest record load(), the foreign tables and ingest() accept.",
							"A file's record counts its JSON text, an ingested document its jsonb size; a larger record is rejected.",
							&cl_max_record_size,
							(int) CL_FRAME_DEFAULT_MAX_RECORD, 1024, MaxAllocSize / 4,
							PGC_SUSET, GUC_UNIT_BYTE,
							NULL, NULL, NULL);
	DefineCustomIntVariable("connect_lake.max_record_depth",
							"Deepest nesting of objects and arrays in a record load(), the foreign tables and ingest() accept.",
							NULL,
							&cl_max_record_depth,
							CL_FRAME_DEFAULT_MAX_DEPTH, 2, 1000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

void
cl_record_limits_frame(size_t *max_record_size, int *max_depth)
{
	*max_record_size = (size_t) cl_max_record_size;
	*max_depth = cl_max_record_depth;
}

/*
 * The nesting depth of a jsonb container, walking it without unpacking its
 * scalars, and giving up as soon as it is deeper than limit.
 */
static bool
jsonb_deeper_than(JsonbContainer *root, int limit)
{
	JsonbIterator *it = JsonbIteratorInit(root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;
	uint32		n = 0;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if ((++n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
		{
			if (++depth > limit)
				return true;
		}
		else if (tok == WJB_END_ARRAY || tok == WJB_END_OBJECT)
			depth--;
	}
	return false;
}

/*
 * ingest()'s record limits, as load() applies them to a file's records: the
 * size first, from the datum's header (a toasted document is not expanded
 * to be refused), then the depth (a scalar root counts as an array of one).
 */
char *
cl_record_limits_jsonb_problem(Datum doc, const char *label)
{
	Size		size = toast_raw_datum_size(doc) - VARHDRSZ;
	Jsonb	   *jb;
	char	   *problem = NULL;

	if (size > (Size) cl_max_record_size)
		return psprintf("%s larger than connect_lake.max_record_size (%zu bytes, the limit is %d)",
						label, size, cl_max_record_size);
	jb = DatumGetJsonbP(doc);
	if (jsonb_deeper_than(&jb->root, JB_ROOT_IS_SCALAR(jb) ? cl_max_record_depth + 1 : cl_max_record_depth))
		problem = psprintf("%s nested deeper than connect_lake.max_record_depth (%d levels)",
						   label, cl_max_record_depth);
	if ((Pointer) jb != DatumGetPointer(doc))
		pfree(jb);
	return problem;
}

void
cl_record_limits_check_jsonb(Datum doc, const char *label)
{
	char	   *problem = cl_record_limits_jsonb_problem(doc, label);

	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s", problem),
				 errhint("load() applies the same limit to a file's records; a superuser can raise it.")));
}
