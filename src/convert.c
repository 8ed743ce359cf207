/*
 * convert.c: timestamps, UUIDs and integers as Connect writes them.
 *
 * Hand-written scanners rather than the type input functions: they never
 * read the session TimeZone or DateStyle, they do not throw (the mapper
 * reports the failing field with the record's id, and a loader skipping bad
 * records rejects only that record), and they are fast.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"

#include "convert.h"

/*
 * n ASCII digits as a number; false on anything else (no sign, no spaces).
 */
static inline bool
digits(const char *s, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * ISO 8601 as Connect writes it (see convert.h), without timestamptz_in:
 * that one reads the session's DateStyle and TimeZone and throws, and a
 * record's timestamp must mean the same in every session and fail softly.
 */
bool
cl_parse_timestamptz(const char *s, int len, TimestampTz *result)
{
	int			year,
				mon,
				mday,
				hour,
				min,
				sec;
	int64		usec = 0;
	int			offset = 0;		/* seconds east of UTC */
	int			p;
	int64		days;

	/* YYYY-MM-DD?HH:MM:SS is 19 characters */
	if (len < 19 ||
		!digits(s, 4, &year) || s[4] != '-' ||
		!digits(s + 5, 2, &mon) || s[7] != '-' ||
		!digits(s + 8, 2, &mday) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
		!digits(s + 11, 2, &hour) || s[13] != ':' ||
		!digits(s + 14, 2, &min) || s[16] != ':' ||
		!digits(s + 17, 2, &sec))
		return false;
	p = 19;

	if (p < len && s[p] == '.')
	{
		int			scale = 100000;
		int			ndigits = 0;

		p++;
		while (p < len && s[p] >= '0' && s[p] <= '9')
		{
			if (ndigits < 6)
				usec += (s[p] - '0') * scale;
			else if (ndigits == 6 && s[p] >= '5')
				usec++;			/* round at the seventh digit */
			scale /= 10;
			ndigits++;
			p++;
		}
		if (ndigits == 0)
			return false;
	}

	if (p < len && (s[p] == 'Z' || s[p] == 'z'))
		p++;
	else if (p < len && (s[p] == '+' || s[p] == '-'))
	{
		int			sign = (s[p] == '-') ? -1 : 1;
		int			oh,
					om = 0;

		p++;
		if (p + 2 > len || !digits(s + p, 2, &oh))
			return false;
		p += 2;
		if (p < len && s[p] == ':')
			p++;
		if (p + 2 <= len && digits(s + p, 2, &om))
			p += 2;
		if (oh > 15 || om > 59)
			return false;
		offset = sign * (oh * 3600 + om * 60);
	}
	if (p != len)
		return false;

	if (year < 1 || mon < 1 || mon > 12 || mday < 1 ||
		mday > day_tab[isleap(year)][mon - 1] ||
		hour > 23 || min > 59 || sec > 59)
		return false;

	days = date2j(year, mon, mday) - POSTGRES_EPOCH_JDATE;
	*result = ((days * SECS_PER_DAY + hour * 3600 + min * 60 + sec - offset) * USECS_PER_SEC) + usec;
	return IS_VALID_TIMESTAMP(*result);
}

static inline int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A UUID as Connect writes it, without uuid_in, which throws and accepts
 * forms (braces, no hyphens) that Connect never writes.
 */
bool
cl_parse_uuid(const char *s, int len, pg_uuid_t *result)
{
	int			j = 0;

	if (len != 36)
		return false;
	for (int i = 0; i < 36;)
	{
		int			hi,
					lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (s[i] != '-')
				return false;
			i++;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		result->data[j++] = (unsigned char) (hi << 4 | lo);
		i += 2;
	}
	return true;
}

bool
cl_arn_uuid(const char *arn, int len, pg_uuid_t *result)
{
	int			start = len;

	while (start > 0 && arn[start - 1] != '/')
		start--;
	if (start == 0)
		return false;
	return cl_parse_uuid(arn + start, len - start, result);
}

/*
 * An integral JSON number's text within [min, max] (the column's type), with
 * overflow checked on the digits rather than through a double, which would
 * round ids above 2^53.
 */
bool
cl_parse_int64(const char *s, int len, int64 min, int64 max, int64 *result)
{
	int			p = 0;
	bool		neg = false;
	uint64		v = 0;

	if (p < len && (s[p] == '-' || s[p] == '+'))
		neg = (s[p++] == '-');
	if (p == len)
		return false;
	for (; p < len; p++)
	{
		if (s[p] < '0' || s[p] > '9')
			return false;
		if (v > (PG_UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[p] - '0');
	}
	if (v > (uint64) PG_INT64_MAX + (neg ? 1 : 0))
		return false;
	*result = neg ? (int64) (0 - v) : (int64) v;
	return *result >= min && *result <= max;
}

/*
 * Where a number's text puts its first significant digit (the power of ten:
 * 2 for 123.4, -2 for 0.05) and how many digits it has after the point, as
 * numeric_in counts them (set_var_from_str); false when the text is not a
 * JSON number or its exponent is beyond what numeric_in accepts.
 */
static bool
number_shape(const char *s, int len, bool *zero, int64 *lead, int64 *dscale)
{
	int			p = 0;
	int64		intdigits = 0;	/* before the point, leading zeros skipped */
	int64		fracdigits = 0;
	int64		fraczeros = 0;	/* leading zeros after the point, when the integer part is 0 */
	int64		exp = 0;
	bool		nonzero = false;
	bool		any = false;

	if (p < len && (s[p] == '-' || s[p] == '+'))
		p++;
	for (; p < len && s[p] >= '0' && s[p] <= '9'; p++)
	{
		any = true;
		if (s[p] != '0' || nonzero)
		{
			nonzero = true;
			intdigits++;
		}
	}
	if (p < len && s[p] == '.')
	{
		for (p++; p < len && s[p] >= '0' && s[p] <= '9'; p++)
		{
			any = true;
			fracdigits++;
			if (!nonzero && s[p] == '0')
				fraczeros++;
			else
				nonzero = true;
		}
	}
	if (!any)
		return false;
	if (p < len && (s[p] == 'e' || s[p] == 'E'))
	{
		bool		neg = false;
		int			edigits = 0;

		p++;
		if (p < len && (s[p] == '-' || s[p] == '+'))
			neg = (s[p++] == '-');
		for (; p < len && s[p] >= '0' && s[p] <= '9'; p++)
		{
			edigits++;
			exp = exp * 10 + (s[p] - '0');
			if (exp >= PG_INT32_MAX / 2)
				return false;	/* numeric_in refuses |exponent| >= INT_MAX / 2 */
		}
		if (edigits == 0)
			return false;
		if (neg)
			exp = -exp;
	}
	if (p != len)
		return false;
	*zero = !nonzero;
	*lead = (intdigits > 0 ? intdigits - 1 : -(fraczeros + 1)) + exp;
	*dscale = Max(fracdigits - exp, 0);
	return true;
}

/* numeric's storage limits (numeric.c): weight in base-10000 digits, display scale */
#define CL_NUMERIC_MAX_LEAD		((int64) 0x7FFF * 4 + 3)	/* NUMERIC_WEIGHT_MAX */
#define CL_NUMERIC_MAX_DSCALE	((int64) 0x3FFF)	/* NUMERIC_DSCALE_MAX */

/*
 * A number's text as numeric under typmod (see convert.h): its shape checked
 * against numeric's limits, parsed without a typmod, then rounded to the
 * typmod's scale and compared with 10^(precision - scale) exactly as
 * apply_typmod() would, so numeric(value, typmod) cannot raise.
 */
bool
cl_parse_numeric(const char *s, int len, int32 typmod, Numeric *result)
{
	bool		zero;
	int64		lead,
				dscale;
	char	   *text;
	Datum		n;

	if (!number_shape(s, len, &zero, &lead, &dscale))
		return false;
	if (dscale > CL_NUMERIC_MAX_DSCALE || (!zero && lead > CL_NUMERIC_MAX_LEAD))
		return false;
	text = pnstrdup(s, len);
	n = DirectFunctionCall3(numeric_in, CStringGetDatum(text),
							ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	pfree(text);
	if (typmod >= (int32) VARHDRSZ)
	{
		/* as numeric.c's NUMERIC_TYPMOD_PRECISION / _SCALE (PG15 scales may be negative) */
		int			precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
		int			scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
		int			maxdigits = precision - scale;

		/* rounding at the scale can carry one digit: compare when it might matter */
		if (!zero && lead >= maxdigits - 1)
		{
			Datum		rounded = DirectFunctionCall2(numeric_round, n, Int32GetDatum(scale));
			Datum		limit = DirectFunctionCall3(numeric_in,
													CStringGetDatum(psprintf("1e%d", maxdigits)),
													ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));

			if (DatumGetInt32(DirectFunctionCall2(numeric_cmp,
												  DirectFunctionCall1(numeric_abs, rounded),
												  limit)) >= 0)
				return false;
		}
		n = DirectFunctionCall2(numeric, n, Int32GetDatum(typmod));
	}
	*result = DatumGetNumeric(n);
	return true;
}
