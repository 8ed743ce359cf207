/*
 * key_order.h: the rows of a batch in the order of their table's unique key.
 *
 * Two transactions that insert the same keys in different orders can each
 * hold a key the other one waits for.  Sent in one global order (the key of
 * connect_lake.fact_table, compared as the types compare, text in the C
 * collation), the rows of concurrent batches are locked in that order and
 * the batches cannot deadlock on each other.  For the kinds that land by
 * plain insert; a land orders its own batch (version_land.c).
 */
#ifndef CL_KEY_ORDER_H
#define CL_KEY_ORDER_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#include "recmap.h"

typedef struct CLKeyOrder CLKeyOrder;

/* Once per writer and kind (uses SPI): the key columns of the kind's table in td. */
extern CLKeyOrder *cl_key_order_setup(CLRecordKind *kind, TupleDesc td);

/* order[0..n-1] := the rows' indexes in key order (rows formed with the setup's td). */
extern void cl_key_order_sort(const CLKeyOrder *ko, HeapTuple *rows, int n, int *order);

/*
 * The same, and same[k] := whether the row order[k] has the key of the row
 * before it in that order (keys holding a null equal none unless
 * nulls_equal: an index's NULLS NOT DISTINCT).  Text compares in the C
 * collation, so equal keys are equal bytes.
 */
extern void cl_key_order_sort_same(const CLKeyOrder *ko, HeapTuple *rows, int n, int *order,
								   bool *same, bool nulls_equal);

/* Whether an index (its IndexInfo) is on exactly the key's columns, plain, without predicate. */
struct IndexInfo;
extern bool cl_key_order_is_index(const CLKeyOrder *ko, const struct IndexInfo *ii);

#endif							/* CL_KEY_ORDER_H */
