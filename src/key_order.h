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

#endif							/* CL_KEY_ORDER_H */
