/*
 * metric_api.c: the JSON of a GetMetricDataV2 response, built in one pass.
 *
 * get_metric_data_v2() (sql/install/92_metric_api.sql) computes its figures
 * in SQL: metric_api_plan() writes one statement returning one row per
 * period and dimension combination, one value per requested metric; this
 * runs it and writes the response.  A response of 3 days of 15-minute intervals for 10
 * queues and 30 metrics is some 85,000 Collections; building them with
 * jsonb_build_object()/jsonb_agg() costs most of a second, and so does
 * parsing the same JSON written as text.  Here the response's JsonbValue
 * tree is made directly, with the keys of each object already in jsonb's
 * order and each Metric object built once and shared by every result, and
 * converted to jsonb once.  Running the statement here (SPI, read-only)
 * rather than from PL/pgSQL saves aggregating its rows into arrays and
 * copying the response on the way out.
 *
 * Values are written as jsonb writes a float8 (to_jsonb(float8)): the
 * shortest decimal that reads back as the same double, e.g.
 * 66.66666666666667; whole numbers without a fraction.  A NULL or NaN value
 * leaves the Collection without a Value, as the API does.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(metric_api_execute);

/* A string scalar (not copied: the caller keeps it alive). */
static JsonbValue *
jv_string(const char *s, int len)
{
	JsonbValue *v = palloc(sizeof(JsonbValue));

	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = len;
	return v;
}

/* A number as to_jsonb(float8) writes it. */
static JsonbValue *
jv_float8(double d)
{
	JsonbValue *v = palloc(sizeof(JsonbValue));

	v->type = jbvNumeric;
	if (d == floor(d) && fabs(d) < 1e15)
		v->val.numeric = int64_to_numeric((int64) d);
	else
	{
		char	   *s = float8out_internal(d);

		v->val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(s),
															 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
		pfree(s);
	}
	return v;
}

/* An object of n pairs whose keys are given in jsonb's order (shorter first, then bytewise). */
static JsonbValue *
jv_object(int n, const char **keys, JsonbValue **vals)
{
	JsonbValue *v = palloc(sizeof(JsonbValue));
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		pairs[i].key.type = jbvString;
		pairs[i].key.val.string.val = (char *) keys[i];
		pairs[i].key.val.string.len = strlen(keys[i]);
		pairs[i].value = *vals[i];
		pairs[i].order = i;
	}
	v->type = jbvObject;
	v->val.object.nPairs = n;
	v->val.object.pairs = pairs;
	return v;
}

/*
 * A jsonb document as a JsonbValue tree (objects and arrays unpacked all
 * the way down), so that it can be a part of another tree.
 */
static JsonbValue *
jv_unpack(Jsonb *jb)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		/* a raw scalar is stored as a one-element array */
		(void) JsonbIteratorNext(&it, &v, false);
		(void) JsonbIteratorNext(&it, &v, false);
		res = palloc(sizeof(JsonbValue));
		*res = v;
		return res;
	}
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_KEY || tok == WJB_VALUE || tok == WJB_ELEM)
			res = pushJsonbValue(&state, tok, &v);
		else
			res = pushJsonbValue(&state, tok, NULL);
	}
	return res;
}

/* Epoch seconds of a timestamptz (PostgreSQL counts microseconds from 2000-01-01). */
static double
epoch_seconds(TimestampTz t)
{
	return (double) t / USECS_PER_SEC + (double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
}

/*
 * metric_api_execute(query text, interval_name text, metrics jsonb) -> jsonb
 *
 * Runs query (read-only, as the caller: metric_api_plan()'s statement, one
 * row per result: p timestamptz, pe timestamptz, dims jsonb, vals float8[]
 * with one value per element of metrics) and returns
 *   {"MetricResults": [{"Dimensions": dims,
 *                       "MetricInterval": {"Interval": interval_name, "StartTime": p, "EndTime": pe},
 *                       "Collections": [{"Metric": metrics[j], "Value": vals[j]}, ...]}, ...]}
 * in the rows' order, times as epoch seconds; {"MetricResults": []} without rows.
 */
Datum
metric_api_execute(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *interval = PG_GETARG_TEXT_PP(1);
	Jsonb	   *metrics = PG_GETARG_JSONB_P(2);
	MemoryContext caller = CurrentMemoryContext;
	int			nmetrics;
	JsonbValue **metric_vals;
	JsonbValue *results;
	JsonbValue *interval_val;
	const char *top_key[1] = {"MetricResults"};
	JsonbValue *top_val[1];
	uint64		nrows;
	Jsonb	   *out;
	int			ret;

	if (!JB_ROOT_IS_ARRAY(metrics) || JB_ROOT_IS_SCALAR(metrics))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("connect_lake: metric_api_execute: metrics must be a JSON array")));
	nmetrics = JB_ROOT_COUNT(metrics);
	metric_vals = palloc(sizeof(JsonbValue *) * Max(nmetrics, 1));
	for (int j = 0; j < nmetrics; j++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(&metrics->root, j);

		metric_vals[j] = e->type == jbvBinary ? jv_unpack(JsonbValueToJsonb(e)) : e;
	}
	interval_val = jv_string(VARDATA_ANY(interval), VARSIZE_ANY_EXHDR(interval));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: metric_api_execute: SPI_connect failed");
	ret = SPI_execute(query, true, 0);
	if (ret != SPI_OK_SELECT)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("connect_lake: metric_api_execute: the query is not a SELECT (SPI result %d)", ret)));
	if (SPI_tuptable->tupdesc->natts < 4
		|| SPI_gettypeid(SPI_tuptable->tupdesc, 1) != TIMESTAMPTZOID
		|| SPI_gettypeid(SPI_tuptable->tupdesc, 2) != TIMESTAMPTZOID
		|| SPI_gettypeid(SPI_tuptable->tupdesc, 3) != JSONBOID
		|| SPI_gettypeid(SPI_tuptable->tupdesc, 4) != FLOAT8ARRAYOID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
						errmsg("connect_lake: metric_api_execute: the query must return p timestamptz, pe timestamptz, dims jsonb, vals float8[]")));
	nrows = SPI_processed;

	/* the tree lives in the caller's context: it outlives SPI_finish() */
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		results = palloc(sizeof(JsonbValue));
		results->type = jbvArray;
		results->val.array.rawScalar = false;
		results->val.array.nElems = (int) nrows;
		results->val.array.elems = palloc(sizeof(JsonbValue) * Max(nrows, 1));

		for (uint64 i = 0; i < nrows; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull[4];
			Datum		p = SPI_getbinval(tup, desc, 1, &isnull[0]);
			Datum		pe = SPI_getbinval(tup, desc, 2, &isnull[1]);
			Datum		dims = SPI_getbinval(tup, desc, 3, &isnull[2]);
			Datum		vals = SPI_getbinval(tup, desc, 4, &isnull[3]);
			Datum	   *v;
			bool	   *vnull;
			int			nv;
			const char *mi_keys[3] = {"EndTime", "Interval", "StartTime"};
			JsonbValue *mi_vals[3];
			const char *row_keys[3] = {"Dimensions", "Collections", "MetricInterval"};
			JsonbValue *row_vals[3];
			JsonbValue *coll;

			CHECK_FOR_INTERRUPTS();
			if (isnull[0] || isnull[1] || isnull[2] || isnull[3])
				ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
								errmsg("connect_lake: metric_api_execute: row %llu has a NULL start, end, dimensions or values",
									   (unsigned long long) i + 1)));
			deconstruct_array(DatumGetArrayTypeP(vals), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &v, &vnull, &nv);
			if (nv != nmetrics)
				ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
								errmsg("connect_lake: metric_api_execute: row %llu has %d values for %d metrics",
									   (unsigned long long) i + 1, nv, nmetrics)));
			mi_vals[0] = jv_float8(epoch_seconds(DatumGetTimestampTz(pe)));
			mi_vals[1] = interval_val;
			mi_vals[2] = jv_float8(epoch_seconds(DatumGetTimestampTz(p)));

			coll = palloc(sizeof(JsonbValue));
			coll->type = jbvArray;
			coll->val.array.rawScalar = false;
			coll->val.array.nElems = nmetrics;
			coll->val.array.elems = palloc(sizeof(JsonbValue) * Max(nmetrics, 1));
			for (int j = 0; j < nmetrics; j++)
			{
				double		d = vnull[j] ? 0 : DatumGetFloat8(v[j]);

				if (vnull[j] || isnan(d) || isinf(d))
				{
					const char *keys[1] = {"Metric"};
					JsonbValue *v1[1] = {metric_vals[j]};

					coll->val.array.elems[j] = *jv_object(1, keys, v1);
				}
				else
				{
					const char *keys[2] = {"Value", "Metric"};
					JsonbValue *v2[2] = {jv_float8(d), metric_vals[j]};

					coll->val.array.elems[j] = *jv_object(2, keys, v2);
				}
			}
			row_vals[0] = jv_unpack(DatumGetJsonbP(dims));
			row_vals[1] = coll;
			row_vals[2] = jv_object(3, mi_keys, mi_vals);
			results->val.array.elems[i] = *jv_object(3, row_keys, row_vals);
		}
		top_val[0] = results;
		out = JsonbValueToJsonb(jv_object(1, top_key, top_val));
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	PG_RETURN_JSONB_P(out);
}
