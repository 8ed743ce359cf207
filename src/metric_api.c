/*
 * metric_api.c: the JSON of a GetMetricDataV2 response, built in one pass.
 *
 * get_metric_data_v2() (sql/install/92_metric_api.sql) computes its figures
 * in SQL: one row per period and dimension combination, one value per
 * requested metric.  A response of 3 days of 15-minute intervals for 10
 * queues and 30 metrics is some 85,000 Collections; building them with
 * jsonb_build_object()/jsonb_agg() costs most of a second, and so does
 * parsing the same JSON written as text.  Here the response's JsonbValue
 * tree is made directly, with the keys of each object already in jsonb's
 * order and each Metric object built once and shared by every result, and
 * converted to jsonb once.
 *
 * Values are written as jsonb writes a float8 (to_jsonb(float8)): the
 * shortest decimal that reads back as the same double, e.g.
 * 66.66666666666667; whole numbers without a fraction.  A NULL or NaN value
 * leaves the Collection without a Value, as the API does.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(metric_api_response);

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

/*
 * metric_api_response(interval text, metrics jsonb, starts float8[],
 *                     ends float8[], dims jsonb[], vals float8[][])
 *   -> {"MetricResults": [{"Dimensions": dims[i],
 *                          "MetricInterval": {"Interval", "StartTime": starts[i], "EndTime": ends[i]},
 *                          "Collections": [{"Metric": metrics[j], "Value": vals[i][j]}, ...]}, ...]}
 * Rows with NULL arrays (no data): {"MetricResults": []}.
 */
Datum
metric_api_response(PG_FUNCTION_ARGS)
{
	text	   *interval = PG_GETARG_TEXT_PP(0);
	Jsonb	   *metrics = PG_GETARG_JSONB_P(1);
	int			nmetrics;
	JsonbValue **metric_vals;
	JsonbValue *results;
	JsonbValue *interval_val;
	int			nrows = 0;
	Datum	   *starts = NULL,
			   *ends = NULL,
			   *dims = NULL,
			   *vals = NULL;
	bool	   *starts_null = NULL,
			   *ends_null = NULL,
			   *dims_null = NULL,
			   *vals_null = NULL;
	int			nvals = 0;
	const char *top_key[1] = {"MetricResults"};
	JsonbValue *top_val[1];

	if (!JB_ROOT_IS_ARRAY(metrics) || JB_ROOT_IS_SCALAR(metrics))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("connect_lake: metric_api_response: metrics must be a JSON array")));
	nmetrics = JB_ROOT_COUNT(metrics);
	metric_vals = palloc(sizeof(JsonbValue *) * Max(nmetrics, 1));
	for (int j = 0; j < nmetrics; j++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(&metrics->root, j);

		if (e->type == jbvBinary)
		{
			Jsonb	   *sub = JsonbValueToJsonb(e);

			metric_vals[j] = jv_unpack(sub);
		}
		else
			metric_vals[j] = e;
	}
	interval_val = jv_string(VARDATA_ANY(interval), VARSIZE_ANY_EXHDR(interval));

	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && !PG_ARGISNULL(4) && !PG_ARGISNULL(5))
	{
		int			n2,
					n3;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &starts, &starts_null, &nrows);
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &ends, &ends_null, &n2);
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(4), JSONBOID, -1, false, TYPALIGN_INT,
						  &dims, &dims_null, &n3);
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(5), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &vals, &vals_null, &nvals);
		if (n2 != nrows || n3 != nrows || nvals != nrows * nmetrics)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("connect_lake: metric_api_response: %d starts, %d ends, %d dimensions and %d values do not make %d rows of %d metrics",
								   nrows, n2, n3, nvals, nrows, nmetrics)));
	}

	results = palloc(sizeof(JsonbValue));
	results->type = jbvArray;
	results->val.array.rawScalar = false;
	results->val.array.nElems = nrows;
	results->val.array.elems = palloc(sizeof(JsonbValue) * Max(nrows, 1));

	for (int i = 0; i < nrows; i++)
	{
		const char *mi_keys[3] = {"EndTime", "Interval", "StartTime"};
		JsonbValue *mi_vals[3];
		const char *row_keys[3] = {"Dimensions", "Collections", "MetricInterval"};
		JsonbValue *row_vals[3];
		JsonbValue *coll;

		CHECK_FOR_INTERRUPTS();
		if (starts_null[i] || ends_null[i] || dims_null[i])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
							errmsg("connect_lake: metric_api_response: row %d has no start, end or dimensions", i + 1)));
		mi_vals[0] = jv_float8(DatumGetFloat8(ends[i]));
		mi_vals[1] = interval_val;
		mi_vals[2] = jv_float8(DatumGetFloat8(starts[i]));

		coll = palloc(sizeof(JsonbValue));
		coll->type = jbvArray;
		coll->val.array.rawScalar = false;
		coll->val.array.nElems = nmetrics;
		coll->val.array.elems = palloc(sizeof(JsonbValue) * Max(nmetrics, 1));
		for (int j = 0; j < nmetrics; j++)
		{
			int			k = i * nmetrics + j;
			double		d = vals_null[k] ? 0 : DatumGetFloat8(vals[k]);

			if (vals_null[k] || isnan(d) || isinf(d))
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
		row_vals[0] = jv_unpack(DatumGetJsonbP(dims[i]));
		row_vals[1] = coll;
		row_vals[2] = jv_object(3, mi_keys, mi_vals);
		results->val.array.elems[i] = *jv_object(3, row_keys, row_vals);
	}
	top_val[0] = results;
	PG_RETURN_JSONB_P(JsonbValueToJsonb(jv_object(1, top_key, top_val)));
}
