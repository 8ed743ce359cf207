/*
 * key_order.c: the rows of a batch in the order of their table's unique key
 * (see key_order.h).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "connect_lake.h"
#include "key_order.h"
#include "writer.h"

#define KEY_ORDER_MAX_COLUMNS	8

struct CLKeyOrder
{
	int			nkeys;
	int			att[KEY_ORDER_MAX_COLUMNS];
	Oid			collation[KEY_ORDER_MAX_COLUMNS];
	FmgrInfo   *cmp[KEY_ORDER_MAX_COLUMNS];
	TupleDesc	tupdesc;
};

/* The unique key of a table, as connect_lake.fact_table defines it. */
static char *
key_columns_sql(void *arg, int *nargs, Oid *argtypes)
{
	*nargs = 1;
	argtypes[0] = NAMEOID;
	return psprintf("SELECT f.key_columns::pg_catalog.text[] FROM %s.fact_table AS f WHERE f.relname OPERATOR(pg_catalog.=) $1",
					quote_identifier(CONNECT_LAKE_SCHEMA));
}

CLKeyOrder *
cl_key_order_setup(CLRecordKind *kind, TupleDesc td)
{
	CLKeyOrder *ko = palloc0(sizeof(CLKeyOrder));
	MemoryContext cxt = CurrentMemoryContext;
	Datum		args[1];
	Datum	   *names = NULL;
	bool	   *nulls;
	int			n = 0;

	ko->tupdesc = td;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	args[0] = DirectFunctionCall1(namein, CStringGetDatum(kind->table));
	cl_writer_run(cl_writer_plan(cl_schema_oid(), InvalidOid, "key order", key_columns_sql, NULL),
				  args, 1, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			deconstruct_array(DatumGetArrayTypePCopy(d), TEXTOID, -1, false, TYPALIGN_INT, &names, &nulls, &n);
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	if (n < 1 || n > KEY_ORDER_MAX_COLUMNS)
		elog(ERROR, "connect_lake: connect_lake.fact_table has no usable key for %s", kind->table);

	for (int k = 0; k < n; k++)
	{
		char	   *name = TextDatumGetCString(names[k]);
		int			att = cl_tupdesc_column(td, name);
		Oid			typid;
		TypeCacheEntry *tc;

		if (att < 0)
			elog(ERROR, "connect_lake: key column %s of %s is not a column of %s", name, kind->table, kind->rowtype);
		typid = TupleDescAttr(td, att)->atttypid;
		tc = lookup_type_cache(typid, TYPECACHE_CMP_PROC_FINFO);
		if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
			elog(ERROR, "connect_lake: key column %s of %s has no ordering", name, kind->table);
		ko->att[k] = att;
		ko->cmp[k] = &tc->cmp_proc_finfo;
		ko->collation[k] = type_is_collatable(typid) ? C_COLLATION_OID : InvalidOid;
	}
	ko->nkeys = n;
	return ko;
}

typedef struct SortArg
{
	const CLKeyOrder *ko;
	Datum	   *values;			/* n * nkeys */
	bool	   *nulls;
} SortArg;

static int
row_cmp(const void *pa, const void *pb, void *arg)
{
	const SortArg *sa = arg;
	const CLKeyOrder *ko = sa->ko;
	int			a = *(const int *) pa * ko->nkeys;
	int			b = *(const int *) pb * ko->nkeys;

	for (int k = 0; k < ko->nkeys; k++)
	{
		bool		an = sa->nulls[a + k];
		bool		bn = sa->nulls[b + k];
		int32		c;

		if (an || bn)
		{
			if (an != bn)
				return an ? -1 : 1;
			continue;
		}
		c = DatumGetInt32(FunctionCall2Coll(ko->cmp[k], ko->collation[k], sa->values[a + k], sa->values[b + k]));
		if (c != 0)
			return c < 0 ? -1 : 1;
	}
	return 0;
}

void
cl_key_order_sort(const CLKeyOrder *ko, HeapTuple *rows, int n, int *order)
{
	cl_key_order_sort_same(ko, rows, n, order, NULL, false);
}

void
cl_key_order_sort_same(const CLKeyOrder *ko, HeapTuple *rows, int n, int *order,
					   bool *same, bool nulls_equal)
{
	SortArg		sa;
	TupleTableSlot *slot;
	int			last = 0;

	sa.ko = ko;
	sa.values = palloc(sizeof(Datum) * n * ko->nkeys);
	sa.nulls = palloc(sizeof(bool) * n * ko->nkeys);
	/* the key columns of each row, the row deformed once up to the last of them */
	slot = MakeSingleTupleTableSlot(ko->tupdesc, &TTSOpsHeapTuple);
	for (int k = 0; k < ko->nkeys; k++)
		last = Max(last, ko->att[k] + 1);
	for (int i = 0; i < n; i++)
	{
		ExecStoreHeapTuple(rows[i], slot, false);
		slot_getsomeattrs(slot, last);
		for (int k = 0; k < ko->nkeys; k++)
		{
			sa.values[i * ko->nkeys + k] = slot->tts_values[ko->att[k]];
			sa.nulls[i * ko->nkeys + k] = slot->tts_isnull[ko->att[k]];
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	for (int i = 0; i < n; i++)
		order[i] = i;
	qsort_arg(order, n, sizeof(int), row_cmp, &sa);
	if (same)
		for (int k = 0; k < n; k++)
		{
			same[k] = k > 0 && row_cmp(&order[k - 1], &order[k], &sa) == 0;
			/* nulls distinct: a key with a null equals no other */
			if (same[k] && !nulls_equal)
				for (int c = 0; c < ko->nkeys; c++)
					if (sa.nulls[order[k] * ko->nkeys + c])
						same[k] = false;
		}
	pfree(sa.values);
	pfree(sa.nulls);
}

/*
 * Whether an index is on exactly the key's columns, plain columns, without
 * a predicate: then equal keys in a sorted batch are its conflicts.
 */
bool
cl_key_order_is_index(const CLKeyOrder *ko, const IndexInfo *ii)
{
	if (ii->ii_NumIndexKeyAttrs != ko->nkeys || ii->ii_Expressions != NIL || ii->ii_Predicate != NIL)
		return false;
	for (int k = 0; k < ko->nkeys; k++)
	{
		bool		found = false;

		for (int c = 0; c < ko->nkeys; c++)
			found |= ii->ii_IndexAttrNumbers[c] == ko->att[k] + 1;
		if (!found)
			return false;
	}
	return true;
}
