/*
 * convert.h: text forms Connect writes -> PostgreSQL values, independent of
 * any session setting (so parsers built on them can be IMMUTABLE).
 */
#ifndef CL_CONVERT_H
#define CL_CONVERT_H

#include "postgres.h"
#include "datatype/timestamp.h"
#include "utils/numeric.h"
#include "utils/uuid.h"

/*
 * ISO-8601 timestamp: YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH[:MM]|-HH[:MM]].
 * Fractions beyond microseconds are rounded; no zone means UTC (Connect
 * writes UTC).  Returns false for anything else (e.g. a missing seconds
 * field, day 31 of a 30-day month) without raising an error.
 */
extern bool cl_parse_timestamptz(const char *s, int len, TimestampTz *result);

/* Canonical 8-4-4-4-12 hex UUID, either case.  False when malformed. */
extern bool cl_parse_uuid(const char *s, int len, pg_uuid_t *result);

/* The UUID after the last '/' of an ARN; false when there is none. */
extern bool cl_arn_uuid(const char *arn, int len, pg_uuid_t *result);

/* A JSON number's text as an integer in [min, max]; false when not integral or out of range. */
extern bool cl_parse_int64(const char *s, int len, int64 min, int64 max, int64 *result);

/*
 * A JSON number's text (-?digits[.digits][e[+-]digits]) as numeric with a
 * column's typmod (-1: none), or false, without raising, when numeric_in
 * would: a value beyond numeric's range (more than 131072 digits before the
 * point, 16383 after) or one that does not round to the typmod's precision
 * (QualityScore 100 in numeric(4,2)).  PostgreSQL 15 has no soft input
 * errors, so the checks come first and numeric_in only sees what it takes.
 */
extern bool cl_parse_numeric(const char *s, int len, int32 typmod, Numeric *result);

#endif							/* CL_CONVERT_H */
