/*
 * pii.h: a customer's personal values (phone numbers, the contact attributes
 * the DBA names) stored as connect_lake.pii_config says: as they come, or as
 * a keyed hash (HMAC-SHA256 with the lake's secret, connect_lake.pii_secret),
 * optionally keeping an E.164 number's country code.  See
 * sql/install/25_pii.sql and README "Personal data".
 *
 * The writer is the one place values are protected (writer.c): for each kind
 * a writer meets, cl_pii_setup() says what of its rows is personal under the
 * setting in force (NULL: nothing to do, the setting is `raw` or the kind
 * carries no personal value), cl_pii_protect() replaces those values in a
 * mapped row before it is buffered, and cl_pii_finish() writes the raw
 * values kept (pii_config.keep_raw) to connect_lake.pii_value.
 */
#ifndef CL_PII_H
#define CL_PII_H

#include "postgres.h"

#include "access/tupdesc.h"

#include "recmap.h"

typedef struct CLPii CLPii;

/*
 * Refuse (ERROR with a hint) to land records of kind when the setting hashes
 * and the lake has no secret (none, or empty).  load(), ingest() and
 * ingest_batch() call it before anything lands; cl_pii_setup() too.
 */
extern void cl_pii_check(CLRecordKind *kind);

/* What of kind's rows (of row type tupdesc) to protect; NULL: nothing. */
extern CLPii *cl_pii_setup(CLRecordKind *kind, TupleDesc tupdesc);

/* Replace the personal values of one mapped row (values allocated in CurrentMemoryContext). */
extern void cl_pii_protect(CLPii *p, Datum *values, bool *nulls);

/* Write the raw values kept since the last call (SPI; pii_config.keep_raw). */
extern void cl_pii_finish(CLPii *p);

#endif							/* CL_PII_H */
