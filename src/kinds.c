/*
 * kinds.c: the registry of record kinds, by the name load() and ingest() use.
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "kinds.h"

static CLRecordKind *const kinds[] = {
	&cl_kind_ctr,
	&cl_kind_contact_flow_log,
	&cl_kind_contact_event,
	&cl_kind_case_event,
	&cl_kind_case_related_item,
	&cl_kind_agent_event,
};

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
