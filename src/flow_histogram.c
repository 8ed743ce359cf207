/*
 * flow_histogram.c: histograms of the time from one flow block to the next.
 *
 * flow_block_day keeps, per block and day, how many runs were followed by
 * the contact's next block after how long, in 255 buckets: 100 ms wide below
 * 10 s, 1 s below a minute, 10 s below 10 minutes, a minute below an hour,
 * and one bucket for an hour and more.  The bucket scheme is defined here
 * once (flow_time_bucket(), flow_bucket_bounds()); the refresh files times
 * into buckets with it, and flow_funnel() adds the days' histograms
 * (flow_histogram_sum) and reads percentiles off the sum
 * (flow_histogram_percentile()), to within a bucket's width.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#define FLOW_BUCKETS 255

/* The bucket of a time in milliseconds, -1 for a negative time. */
static int
time_bucket(int64 ms)
{
	if (ms < 0)
		return -1;
	if (ms < 10000)
		return (int) (ms / 100);
	if (ms < 60000)
		return 100 + (int) ((ms - 10000) / 1000);
	if (ms < 600000)
		return 150 + (int) ((ms - 60000) / 10000);
	if (ms < 3600000)
		return 204 + (int) ((ms - 600000) / 60000);
	return FLOW_BUCKETS - 1;
}

/* The range [lo, hi) of a bucket in milliseconds; the last is [1 h, 1 h]. */
static void
bucket_bounds(int bucket, int64 *lo, int64 *hi)
{
	if (bucket < 100)
	{
		*lo = bucket * INT64CONST(100);
		*hi = *lo + 100;
	}
	else if (bucket < 150)
	{
		*lo = 10000 + (bucket - 100) * INT64CONST(1000);
		*hi = *lo + 1000;
	}
	else if (bucket < 204)
	{
		*lo = 60000 + (bucket - 150) * INT64CONST(10000);
		*hi = *lo + 10000;
	}
	else if (bucket < FLOW_BUCKETS - 1)
	{
		*lo = 600000 + (bucket - 204) * INT64CONST(60000);
		*hi = *lo + 60000;
	}
	else
		*lo = *hi = 3600000;
}

/* A histogram argument: one dimension of integers without NULLs. */
static int32 *
histogram_values(ArrayType *a, int *n)
{
	if (ARR_NDIM(a) > 1 || ARR_ELEMTYPE(a) != INT4OID || ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a flow histogram is a one-dimensional integer array without nulls")));
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	return (int32 *) ARR_DATA_PTR(a);
}

PG_FUNCTION_INFO_V1(flow_time_bucket);
Datum
flow_time_bucket(PG_FUNCTION_ARGS)
{
	int			b = time_bucket(PG_GETARG_INT64(0));

	if (b < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(b);
}

PG_FUNCTION_INFO_V1(flow_bucket_bounds);
Datum
flow_bucket_bounds(PG_FUNCTION_ARGS)
{
	int32		bucket = PG_GETARG_INT32(0);
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int64		lo,
				hi;

	if (bucket < 0 || bucket >= FLOW_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("flow histogram bucket %d is out of range", bucket),
				 errhint("Buckets are numbered 0 to %d.", FLOW_BUCKETS - 1)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "flow_bucket_bounds must return a record");
	tupdesc = BlessTupleDesc(tupdesc);
	bucket_bounds(bucket, &lo, &hi);
	values[0] = Int64GetDatum(lo);
	values[1] = Int64GetDatum(hi);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * a + b, bucket by bucket (the state function of flow_histogram_sum).  In an
 * aggregate the state is this function's own copy and is added to in place.
 */
PG_FUNCTION_INFO_V1(flow_histogram_add);
Datum
flow_histogram_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = NULL;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	ArrayType  *a = NULL;
	ArrayType  *b;
	int32	   *da = NULL;
	int32	   *db;
	int			na;
	int			nb;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_ARRAYTYPE_P(1);
	db = histogram_values(b, &nb);

	if (PG_ARGISNULL(0))
		na = -1;
	else
	{
		a = in_agg ? PG_GETARG_ARRAYTYPE_P(0) : PG_GETARG_ARRAYTYPE_P_COPY(0);
		da = histogram_values(a, &na);
	}
	if (na < nb)
	{
		/* a new state as long as b (a copy of b when there is none) */
		MemoryContext old = MemoryContextSwitchTo(in_agg ? aggcxt : CurrentMemoryContext);
		Datum	   *zeros = palloc0(sizeof(Datum) * Max(nb, 1));
		ArrayType  *c = construct_array(zeros, nb, INT4OID, sizeof(int32), true, TYPALIGN_INT);
		int32	   *dc;
		int			nc;

		MemoryContextSwitchTo(old);
		dc = histogram_values(c, &nc);
		for (int i = 0; i < na; i++)
			dc[i] = da[i];
		a = c;
		da = dc;
		na = nc;
	}
	for (int i = 0; i < nb; i++)
	{
		if (pg_add_s32_overflow(da[i], db[i], &da[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("flow histogram bucket %d overflows", i)));
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * The fraction-th percentile of a histogram in seconds to 1 decimal: the
 * bucket holding the percentile_disc value, interpolated linearly inside it.
 * NULL for an empty histogram.
 */
PG_FUNCTION_INFO_V1(flow_histogram_percentile);
Datum
flow_histogram_percentile(PG_FUNCTION_ARGS)
{
	ArrayType  *h = PG_GETARG_ARRAYTYPE_P(0);
	float8		fraction = PG_GETARG_FLOAT8(1);
	int			n;
	int32	   *d = histogram_values(h, &n);
	int64		total = 0;
	int64		before = 0;

	if (isnan(fraction) || fraction < 0 || fraction > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("percentile fraction %g is not between 0 and 1", fraction)));
	if (n > FLOW_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a flow histogram has at most %d buckets, not %d", FLOW_BUCKETS, n)));
	for (int i = 0; i < n; i++)
		total += d[i];
	if (total <= 0)
		PG_RETURN_NULL();
	for (int i = 0; i < n; i++)
	{
		if (d[i] > 0 && before + d[i] >= fraction * total)
		{
			int64		lo,
						hi;
			float8		s;

			bucket_bounds(i, &lo, &hi);
			s = (lo + (hi - lo) * ((fraction * total - before) / d[i])) / 1000.0;
			PG_RETURN_DATUM(DirectFunctionCall2(numeric_round,
												DirectFunctionCall1(float8_numeric, Float8GetDatum(s)),
												Int32GetDatum(1)));
		}
		before += d[i];
	}
	PG_RETURN_NULL();			/* fraction 0 of a histogram of zeros: not reached */
}

/*
 * The state function of flow_histogram(ms): one more time in its bucket.  A
 * NULL or negative time is not counted.  In an aggregate the state is this
 * function's own array and is counted into in place.
 */
PG_FUNCTION_INFO_V1(flow_histogram_count);
Datum
flow_histogram_count(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = NULL;
	bool		in_agg = AggCheckCallContext(fcinfo, &aggcxt) != 0;
	ArrayType  *a;
	int32	   *da;
	int			na;
	int			b;

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(in_agg ? aggcxt : CurrentMemoryContext);
		Datum	   *zeros = palloc0(sizeof(Datum) * FLOW_BUCKETS);

		a = construct_array(zeros, FLOW_BUCKETS, INT4OID, sizeof(int32), true, TYPALIGN_INT);
		MemoryContextSwitchTo(old);
	}
	else
		a = in_agg ? PG_GETARG_ARRAYTYPE_P(0) : PG_GETARG_ARRAYTYPE_P_COPY(0);
	da = histogram_values(a, &na);
	if (na != FLOW_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a flow histogram has %d buckets, not %d", FLOW_BUCKETS, na)));
	if (!PG_ARGISNULL(1) && (b = time_bucket(PG_GETARG_INT64(1))) >= 0)
	{
		if (pg_add_s32_overflow(da[b], 1, &da[b]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("flow histogram bucket %d overflows", b)));
	}
	PG_RETURN_ARRAYTYPE_P(a);
}
