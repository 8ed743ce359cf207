/*
 * erasure.h: what the writers know of the erasure list (erasure.c).
 */
#ifndef CL_ERASURE_H
#define CL_ERASURE_H

/*
 * The erasure check, an upkeep action (upkeep.h) of every kind holding a
 * customer's values: connect_lake.erasure_landed(kind, keys, times) at
 * commit with the rows of the kind the transaction wrote, while the
 * erasure list has a row; immediate (never queued by load()'s workers).
 * The kind's upkeep key and time name its rows (its id or contact id, and
 * its partition key): erasure_landed() knows each kind's.
 */
#define CL_UPKEEP_ERASURE_ACTION \
	{"erasure_landed", CL_UPKEEP_KIND_KEY_TIMES, CL_UPKEEP_ERASURE, true}

/* The same for the rejects a transaction kept (load_rejects.raw). */
#define CL_UPKEEP_ERASURE_REJECTS_ACTION \
	{"erasure_rejects_landed", CL_UPKEEP_NO_ARGS, CL_UPKEEP_ERASURE, true}

/* Whether the erasure list is in force (has a page): no query, no ACL check. */
extern bool cl_erasure_in_force(void);

#endif
