/*
 * jsonc.h: include json-c next to PostgreSQL's headers.
 *
 * PostgreSQL's fmgrprotos.h declares the SQL function json_object(), which
 * clashes with json-c's `json_object` type.  Files that use json-c include
 * this header instead of <json-c/json.h> (and before anything that pulls in
 * utils/builtins.h or utils/fmgrprotos.h): PostgreSQL's declaration is
 * renamed out of the way, json-c's keeps its name.
 */
#ifndef CL_JSONC_H
#define CL_JSONC_H

#include "postgres.h"

#define json_object pg_sqlfn_json_object
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#undef json_object

#include <json-c/json.h>

#endif							/* CL_JSONC_H */
