/*
 * erasure.h: the writers' check against the erasure list (erasure.c).
 */
#ifndef CL_ERASURE_H
#define CL_ERASURE_H

#include "access/tupdesc.h"
#include "recmap.h"

/* Whether the erasure list is in force (has a page): the writer notes its records only then. */
extern bool cl_erasure_writer_begin(void);

/* One record given to the writer, for the check before the transaction commits. */
extern void cl_erasure_note(CLRecordKind *kind, TupleDesc tupdesc, Datum *values, bool *nulls);

#endif
