/*
 * kinds.c: the registry of record kinds, by the name load() and ingest() use.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "kinds.h"

static CLRecordKind *const kinds[] = {
	&cl_kind_ctr,
	&cl_kind_contact_flow_log,
	&cl_kind_contact_event,
	&cl_kind_case_event,
	&cl_kind_case_related_item,
	&cl_kind_agent_event,
};

/*
 * The kind load(), ingest() and a foreign table's `kind` option name; an
 * unknown name is an error listing the known ones, so that a typo is told
 * what it could have been.
 */
CLRecordKind *
cl_kind_by_name(const char *name)
{
	StringInfoData known;

	for (int i = 0; i < lengthof(kinds); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];

	initStringInfo(&known);
	for (int i = 0; i < lengthof(kinds); i++)
		appendStringInfo(&known, "%s%s", i ? ", " : "", kinds[i]->name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown record kind \"%s\"", name),
			 errhint("Known kinds: %s.", known.data)));
}

PG_FUNCTION_INFO_V1(kind_rowtype);

/*
 * kind_rowtype(kind text) RETURNS regtype: the row type records of a kind
 * are mapped onto, as the mapper resolves it (create_foreign_table() shapes a
 * foreign table after it).  Here with the registry, not in the FDW, because
 * it is a question about a kind.
 */
Datum
kind_rowtype(PG_FUNCTION_ARGS)
{
	CLRecordKind *kind = cl_kind_by_name(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	CLMapState	st;

	cl_map_init(&st, kind, CL_MAP_PARSE);
	PG_RETURN_OID(st.tupdesc->tdtypeid);
}
