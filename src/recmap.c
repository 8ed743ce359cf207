/*
 * recmap.c: map a JSON record (jsonb, or a file's record as a tape) onto a
 * kind's row type.
 *
 * See recmap.h for the model.  The walk is one pass over the record; the
 * per-kind key trie, column numbers and row type are compiled once per
 * backend and rebuilt when the row type is recreated (e.g. the extension was
 * dropped and created again).
 */
#include "postgres.h"

#include "jsonc.h"
#include "jsontape.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "convert.h"
#include "framing.h"
#include "recmap.h"

/* 1970-01-01T00:00:00.001Z: Connect's "not yet" placeholder */
#define PLACEHOLDER_TS	(-((TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY) + 1000)

typedef struct CLNode
{
	const char *key;
	int			keylen;
	int		   *fields;			/* indexes into kind->fields */
	int			nfields;
	struct CLNode *children;	/* sorted by key */
	int			nchildren;
	int16	   *slots;			/* many children: their indexes by key hash, -1 empty */
	int			slotmask;
} CLNode;

struct CLKindCache
{
	MemoryContext cxt;
	Oid			typid;
	TupleDesc	tupdesc;
	int		   *attno;			/* per field: 0-based attribute, -1 none */
	int			extra_att;
	int			id_att;
	int			landed_att;		/* kind->landed_column, -1 none */
	int			count_att;		/* kind->count_column, -1 none */
	CLNode		root;
};

static char *snippet(const char *s, int len);

/* ---------- compiling a kind ---------- */

/*
 * Compare two keys as the kind matches them: bytes, or with ASCII letters
 * folded for a kind whose keys match case-insensitively (ci_keys: agent and
 * contact events); a prefix sorts first.  The one order of the compiled
 * trie, so that find_child can search it.
 */
static int
key_cmp(const char *a, int alen, const char *b, int blen, bool ci)
{
	int			n = Min(alen, blen);

	if (!ci)
	{
		int			c = memcmp(a, b, n);

		return c != 0 ? c : alen - blen;
	}
	for (int i = 0; i < n; i++)
	{
		unsigned char ca = (unsigned char) a[i];
		unsigned char cb = (unsigned char) b[i];

		/* equal bytes are equal folded: fold only where they differ */
		if (ca == cb)
			continue;
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (int) ca - (int) cb;
	}
	return alen - blen;
}

static bool node_ci;

static int
node_qsort_cmp(const void *a, const void *b)
{
	const CLNode *na = a;
	const CLNode *nb = b;

	return key_cmp(na->key, na->keylen, nb->key, nb->keylen, node_ci);
}

/*
 * The child of node for key, added when create (compiling only): a linear
 * scan is fine here, the children are sorted once the kind is compiled.
 */
static CLNode *
node_child(CLNode *node, const char *key, int keylen, bool ci, bool create)
{
	for (int i = 0; i < node->nchildren; i++)
		if (key_cmp(node->children[i].key, node->children[i].keylen, key, keylen, ci) == 0)
			return &node->children[i];
	if (!create)
		return NULL;
	node->children = node->children
		? repalloc(node->children, sizeof(CLNode) * (node->nchildren + 1))
		: palloc(sizeof(CLNode));
	memset(&node->children[node->nchildren], 0, sizeof(CLNode));
	node->children[node->nchildren].key = pnstrdup(key, keylen);
	node->children[node->nchildren].keylen = keylen;
	return &node->children[node->nchildren++];
}

/*
 * A key's hash as the kind matches keys (FNV-1a over its bytes, ASCII
 * letters folded for ci_keys), so that keys key_cmp finds equal hash alike.
 */
static inline uint32
key_hash(const char *key, int keylen, bool ci)
{
	uint32		h = 2166136261u;

	for (int i = 0; i < keylen; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (ci && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* Children looked up by hash rather than by binary search from this many on. */
#define NODE_HASH_MIN	8

static void
node_sort(CLNode *node, bool ci)
{
	node_ci = ci;
	if (node->nchildren > 1)
		qsort(node->children, node->nchildren, sizeof(CLNode), node_qsort_cmp);
	if (node->nchildren >= NODE_HASH_MIN)
	{
		int			size = 1;

		while (size < node->nchildren * 4)
			size <<= 1;
		node->slots = palloc(sizeof(int16) * size);
		memset(node->slots, -1, sizeof(int16) * size);
		node->slotmask = size - 1;
		for (int i = 0; i < node->nchildren; i++)
		{
			uint32		h = key_hash(node->children[i].key, node->children[i].keylen, ci) & node->slotmask;

			while (node->slots[h] >= 0)
				h = (h + 1) & node->slotmask;
			node->slots[h] = (int16) i;
		}
	}
	for (int i = 0; i < node->nchildren; i++)
		node_sort(&node->children[i], ci);
}

/*
 * The attribute number (0-based) of column name, -1 if none: the one
 * column lookup of the mapper, the writer and the kinds' hooks.
 */
int
cl_tupdesc_column(TupleDesc tupdesc, const char *name)
{
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i;
	}
	return -1;
}

/*
 * The attribute number of a column the kind declares (NULL: -1); a declared
 * column the row type lacks means the SQL objects are older than the module.
 */
static int
declared_column(CLRecordKind *kind, TupleDesc td, const char *column)
{
	int			att;

	if (column == NULL)
		return -1;
	att = cl_tupdesc_column(td, column);
	if (att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("connect_lake: kind %s declares column %s, which type %s lacks",
						kind->name, column, kind->rowtype),
				 errhint("The extension's SQL objects are older than its module: run ALTER EXTENSION connect_lake UPDATE.")));
	return att;
}

/*
 * A kind compiled against its row type, once per backend: the key trie of
 * its field paths and the attribute numbers of its columns, so that mapping
 * a record looks nothing up by name.
 */
static CLKindCache *
compile_kind(CLRecordKind *kind, Oid typid)
{
	MemoryContext cxt = AllocSetContextCreate(CacheMemoryContext, "connect_lake record kind",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CLKindCache *kc = palloc0(sizeof(CLKindCache));
	TupleDesc	td = lookup_rowtype_tupdesc(typid, -1);

	kc->cxt = cxt;
	kc->typid = typid;
	kc->tupdesc = CreateTupleDescCopy(td);
	ReleaseTupleDesc(td);
	kc->attno = palloc(sizeof(int) * kind->nfields);

	for (int f = 0; f < kind->nfields; f++)
	{
		const CLField *field = &kind->fields[f];
		CLNode	   *node = &kc->root;
		const char *p = field->path;

		kc->attno[f] = -1;
		if (field->column)
		{
			kc->attno[f] = cl_tupdesc_column(kc->tupdesc, field->column);
			if (kc->attno[f] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("connect_lake: kind %s maps %s to column %s, which type %s lacks",
								kind->name, field->path, field->column, kind->rowtype),
						 errhint("The extension's SQL objects are older than its module: run ALTER EXTENSION connect_lake UPDATE.")));
		}
		while (*p)
		{
			const char *dot = strchr(p, '.');
			int			len = dot ? (int) (dot - p) : (int) strlen(p);

			node = node_child(node, p, len, kind->ci_keys, true);
			p += len + (dot ? 1 : 0);
		}
		node->fields = node->fields
			? repalloc(node->fields, sizeof(int) * (node->nfields + 1))
			: palloc(sizeof(int));
		node->fields[node->nfields++] = f;
	}
	node_sort(&kc->root, kind->ci_keys);
	kc->extra_att = kind->extra_column ? cl_tupdesc_column(kc->tupdesc, kind->extra_column) : -1;
	kc->id_att = kind->id_column ? cl_tupdesc_column(kc->tupdesc, kind->id_column) : -1;
	kc->landed_att = declared_column(kind, kc->tupdesc, kind->landed_column);
	kc->count_att = declared_column(kind, kc->tupdesc, kind->count_column);
	MemoryContextSwitchTo(old);
	return kc;
}

/*
 * Prepare st for records of kind: the kind is compiled once per backend (and
 * again when its row type was recreated), so this is cheap enough per call
 * of a parse function; the purpose is fixed for the state's life.
 */
void
cl_map_init(CLMapState *st, CLRecordKind *kind, CLMapPurpose purpose)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(kind->rowtype),
										ObjectIdGetDatum(cl_schema_oid()));

	if (!OidIsValid(typid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("type \"%s.%s\" does not exist", CONNECT_LAKE_SCHEMA, kind->rowtype)));
	if (kind->cache == NULL || kind->cache->typid != typid)
	{
		if (kind->cache)
			MemoryContextDelete(kind->cache->cxt);
		kind->cache = NULL;
		kind->cache = compile_kind(kind, typid);
	}
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->purpose = purpose;
	st->kc = kind->cache;
	st->tupdesc = st->kc->tupdesc;
	st->values = palloc(sizeof(Datum) * st->tupdesc->natts);
	st->nulls = palloc(sizeof(bool) * st->tupdesc->natts);
}

int
cl_map_column(CLMapState *st, const char *column)
{
	return cl_tupdesc_column(st->tupdesc, column);
}

/* ---------- errors ---------- */

/* The current path as text ("Agent.RoutingProfile.Name"), for errors. */
static char *
map_path(CLMapState *st)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < st->depth; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, '.');
		appendBinaryStringInfo(&buf, st->path[i], st->pathlen[i]);
	}
	return buf.data;
}

/*
 * Remember the first error of a record, with the path where it happened,
 * without raising: the loader with on_error 'skip' keeps going, the parse
 * functions raise it later (cl_map_raise).  Later errors of the same record
 * are dropped, so the message names the first thing wrong.
 */
void
cl_map_fail(CLMapState *st, int errcode, const char *fmt,...)
{
	va_list		ap;
	StringInfoData buf;

	if (st->failed)
		return;
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	st->failed = true;
	st->errcode = errcode;
	st->errpath = map_path(st);
	st->errmsg = buf.data;
	st->errvalue = NULL;
}

/*
 * cl_map_fail() for a value that does not convert: the message says what is
 * wrong without the value, which is kept apart (st->errvalue, an excerpt)
 * for the caller's own error, because the message becomes
 * load_rejects.reason, which analysts read, and a file's bytes are the
 * loader's only.
 */
void
cl_map_fail_value(CLMapState *st, const char *value, int len, int errcode, const char *fmt,...)
{
	va_list		ap;
	StringInfoData buf;

	if (st->failed)
		return;
	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	cl_map_fail(st, errcode, "%s", buf.data);
	st->errvalue = snippet(value, len);
}

/*
 * One naming of a record for the parse functions' CONTEXT and the reader's
 * (a file's line and offset, then this): the kind's label, so a case event
 * is not called a contact, then the id column's value when it was mapped.
 */
char *
cl_map_record_name(CLMapState *st)
{
	if (st->kc->id_att >= 0 && !st->nulls[st->kc->id_att])
	{
		Form_pg_attribute att = TupleDescAttr(st->tupdesc, st->kc->id_att);
		Oid			out;
		bool		isvarlena;

		getTypeOutputInfo(att->atttypid, &out, &isvarlena);
		return psprintf("%s %s", st->kind->label,
						OidOutputFunctionCall(out, st->values[st->kc->id_att]));
	}
	return pstrdup(st->kind->label);
}

/*
 * Raise the record's remembered error, with its path and the record named by
 * kind and id (the parse functions; the reader has its own context).
 */
void
cl_map_raise(CLMapState *st)
{
	ereport(ERROR,
			(errcode(st->errcode),
			 errmsg("%s", st->errmsg),
			 *st->errpath && st->errvalue ? errdetail("Field: %s. Value: %s.", st->errpath, st->errvalue)
			 : *st->errpath ? errdetail("Field: %s.", st->errpath)
			 : st->errvalue ? errdetail("Value: %s.", st->errvalue) : 0,
			 errcontext("%s", cl_map_record_name(st))));
}

/* A short quoted excerpt of a string value for messages. */
static char *
snippet(const char *s, int len)
{
	int			n = Min(len, 40);

	n = pg_mbcliplen(s, len, n);
	return psprintf("\"%.*s\"%s", n, s, len > n ? "..." : "");
}

/*
 * A JSON value's kind with its article, for messages ("a number where a string belongs").
 */
static const char *
kind_name(CLValueKind k)
{
	switch (k)
	{
		case CLV_NULL:
			return "null";
		case CLV_STRING:
			return "a string";
		case CLV_NUMBER:
			return "a number";
		case CLV_BOOL:
			return "a boolean";
		case CLV_OBJECT:
			return "an object";
		case CLV_ARRAY:
			return "an array";
	}
	return "a value";
}

/* ---------- the two sources ---------- */

/*
 * A jsonb value as the walk sees it: both sources (jsonb and a file's tape)
 * become a CLValue, so the mapping below is written once.
 */
static void
from_jsonb(CLValue *cv, const JsonbValue *v)
{
	memset(cv, 0, sizeof(*cv));
	cv->jbv = *v;
	switch (v->type)
	{
		case jbvNull:
			cv->kind = CLV_NULL;
			break;
		case jbvString:
			cv->kind = CLV_STRING;
			cv->str = v->val.string.val;
			cv->len = v->val.string.len;
			break;
		case jbvNumeric:
			cv->kind = CLV_NUMBER;
			break;
		case jbvBool:
			cv->kind = CLV_BOOL;
			cv->boolean = v->val.boolean;
			break;
		case jbvBinary:
			cv->kind = JsonContainerIsObject(v->val.binary.data) ? CLV_OBJECT : CLV_ARRAY;
			break;
		default:
			elog(ERROR, "connect_lake: unexpected jsonb value type %d", v->type);
	}
}

/*
 * A file's value (a tape node, jsontape.h) as the walk sees it (see
 * from_jsonb); a number is read later through its value or text
 * (value_text, tape_scalar), as jsonb would read it.
 */
static void
from_tape(CLValue *cv, const CLTapeNode *n)
{
	memset(cv, 0, sizeof(*cv));
	cv->tn = n;
	switch ((CLTapeType) n->type)
	{
		case CLT_NULL:
			cv->kind = CLV_NULL;
			break;
		case CLT_FALSE:
		case CLT_TRUE:
			cv->kind = CLV_BOOL;
			cv->boolean = n->type == CLT_TRUE;
			break;
		case CLT_NUMBER:
			cv->kind = CLV_NUMBER;
			break;
		case CLT_STRING:
			cv->kind = CLV_STRING;
			cv->str = n->u.s;
			cv->len = (int) n->len;
			break;
		case CLT_OBJECT:
			cv->kind = CLV_OBJECT;
			break;
		case CLT_ARRAY:
			cv->kind = CLV_ARRAY;
			break;
	}
}

/*
 * Call fn for each member of an object value, from whichever source it came;
 * kind hooks use it to walk sub-objects (case fields) without knowing the source.
 */
void
cl_value_members(CLMapState *st, const CLValue *obj, CLMemberFn fn, void *arg)
{
	CLValue		cv;

	Assert(obj->kind == CLV_OBJECT);
	if (obj->tn)
	{
		const CLTapeNode *k = obj->tn + 1;

		for (uint32 i = 0; i < obj->tn->len; i++)
		{
			from_tape(&cv, k + 1);
			fn(st, k->u.s, (int) k->len, &cv, arg);
			k = cl_tape_next(k + 1);
		}
	}
	else
	{
		JsonbIterator *it = JsonbIteratorInit(obj->jbv.val.binary.data);
		JsonbValue	v;
		JsonbValue	k;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok != WJB_KEY)
				continue;
			k = v;
			tok = JsonbIteratorNext(&it, &v, true);
			Assert(tok == WJB_VALUE);
			from_jsonb(&cv, &v);
			fn(st, k.val.string.val, k.val.string.len, &cv, arg);
		}
	}
}

/*
 * UTF-8 text (a file's, checked by the framer) in a database of another
 * encoding: converted without raising, so that a character the database
 * cannot hold (a euro sign in LATIN1) fails its record, not the statement
 * (pg_any_to_server() would raise, quoting the bytes).  SQL_ASCII, which has
 * no conversion, takes the bytes as they are, as pg_any_to_server() does.
 */
static bool
utf8_to_server(const char *s, int len, char **out, int *outlen)
{
	static int	proc_encoding = -1;
	static Oid	proc = InvalidOid;
	int			encoding = GetDatabaseEncoding();
	unsigned char *dst;
	int			converted;

	if (encoding == PG_SQL_ASCII || len == 0)
	{
		*out = pg_any_to_server(s, len, PG_UTF8);
		*outlen = strlen(*out);
		return true;
	}
	if (proc_encoding != encoding)
	{
		proc = FindDefaultConversionProc(PG_UTF8, encoding);
		proc_encoding = encoding;
	}
	if (!OidIsValid(proc) || (Size) len * MAX_CONVERSION_GROWTH + 1 > MaxAllocSize)
	{
		*out = pg_any_to_server(s, len, PG_UTF8);	/* raises as it always did */
		*outlen = strlen(*out);
		return true;
	}
	dst = palloc((Size) len * MAX_CONVERSION_GROWTH + 1);
	converted = pg_do_encoding_conversion_buf(proc, PG_UTF8, encoding, (unsigned char *) s, len,
											  dst, len * MAX_CONVERSION_GROWTH + 1, true);
	if (converted < len)
	{
		pfree(dst);
		return false;
	}
	*out = (char *) dst;
	*outlen = strlen((char *) dst);
	return true;
}

/* A file's string as server text: no NUL, server encoding. */
static bool
tape_text(CLMapState *st, const char *s, int len, char **out, int *outlen)
{
	if (memchr(s, '\0', len) != NULL)
	{
		cl_map_fail(st, ERRCODE_UNTRANSLATABLE_CHARACTER,
					"string contains \\u0000, which PostgreSQL text cannot store");
		return false;
	}
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		*out = (char *) s;
		*outlen = len;
	}
	else if (!utf8_to_server(s, len, out, outlen))
	{
		cl_map_fail(st, ERRCODE_UNTRANSLATABLE_CHARACTER,
					"string has a character the database encoding %s cannot hold",
					GetDatabaseEncodingName());
		return false;
	}
	return true;
}

/*
 * A file's integer beyond 64 bits: json-c 0.16 saturates it to the int64
 * minimum or the uint64 maximum, keeping no text, so its true value is lost;
 * the record is rejected rather than landing a number it does not hold.  (A
 * record holding one is parsed by json-c, which the tape parser leaves such
 * numbers to, and copied with CLT_SATURATED.)
 */
static inline bool
tape_int_saturated(const CLTapeNode *n)
{
	return n->type == CLT_NUMBER && (n->flags & CLT_SATURATED);
}

/*
 * A file's integer's value without its text.  False for the ends of the
 * int64 range, where json-c saturates (or keeps a uint64): the caller reads
 * the text, as before, for the same result or error.
 */
static inline bool
tape_int64(const CLTapeNode *n, int64 *out)
{
	if (n->type != CLT_NUMBER || !(n->flags & CLT_INT))
		return false;
	*out = n->u.ival;
	return true;
}

/*
 * A number's text as json-c gives it (json_object_get_string()): an
 * integer printed from its value, any other number its token; palloc'd,
 * NUL-terminated.
 */
static char *
tape_number_text(const CLTapeNode *n)
{
	if (n->flags & CLT_INT)
	{
		char		buf[MAXINT8LEN + 1];

		pg_lltoa(n->u.ival, buf);
		return pstrdup(buf);
	}
	return pnstrdup(n->u.s, n->len);
}

/* See recmap.h. */
char *
cl_value_number_text(const CLValue *v)
{
	Assert(v->kind == CLV_NUMBER);
	return v->tn ? tape_number_text(v->tn)
		: DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->jbv.val.numeric)));
}

/*
 * Whether a number value can be read at all (see tape_int_saturated); fails
 * the record when not.  Hooks converting numbers themselves call it first.
 */
bool
cl_value_number_ok(CLMapState *st, const CLValue *v)
{
	if (v->kind == CLV_NUMBER && v->tn && tape_int_saturated(v->tn))
	{
		cl_map_fail(st, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
					"integer beyond the 64-bit range, which the JSON parser cannot keep");
		return false;
	}
	return true;
}

/*
 * A JSON number as numeric with the column's typmod (-1: none): a jsonb
 * numeric is used as it is when no typmod applies, else the number's text is
 * checked and converted by cl_parse_numeric (convert.h), so a value the
 * column cannot hold (QualityScore 100 in numeric(4,2), 1e200000 anywhere)
 * fails the record instead of raising.  The message names the column's type,
 * never the value (load_rejects.reason quotes no record content).
 */
static bool
number_numeric(CLMapState *st, const CLValue *v, int32 typmod, const char *column, Numeric *out)
{
	const char *text;
	int64		i64;

	if (!v->tn && typmod < 0)
	{
		*out = v->jbv.val.numeric;
		return true;
	}
	/* an integer: what numeric_in makes of its digits */
	if (v->tn && typmod < 0 && tape_int64(v->tn, &i64))
	{
		*out = int64_to_numeric(i64);
		return true;
	}
	if (!cl_value_number_ok(st, v))
		return false;
	text = cl_value_number_text(v);
	if (cl_parse_numeric(text, strlen(text), typmod, out))
		return true;
	if (typmod >= 0)
		cl_map_fail_value(st, text, strlen(text), ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						  "number out of range for column %s (%s)", column,
						  format_type_with_typemod(NUMERICOID, typmod));
	else
		cl_map_fail_value(st, text, strlen(text), ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
						  "number beyond the range of numeric");
	return false;
}

/*
 * A file's scalar as a jsonb scalar, for jsonb columns filled from a file;
 * numbers as numeric_in reads them, so that jsonb holds exactly the file's
 * digits.
 */
static void
tape_scalar(CLMapState *st, const CLTapeNode *n, JsonbValue *v)
{
	switch ((CLTapeType) n->type)
	{
		case CLT_FALSE:
		case CLT_TRUE:
			v->type = jbvBool;
			v->val.boolean = n->type == CLT_TRUE;
			break;
		case CLT_NUMBER:
			{
				CLValue		cv;

				memset(&cv, 0, sizeof(cv));
				cv.kind = CLV_NUMBER;
				cv.tn = n;
				v->type = jbvNumeric;
				if (!number_numeric(st, &cv, -1, NULL, &v->val.numeric))
					v->type = jbvNull;	/* the record failed: a placeholder */
			}
			break;
		case CLT_STRING:
			v->type = jbvString;
			if (!tape_text(st, n->u.s, (int) n->len, &v->val.string.val, &v->val.string.len))
			{
				v->val.string.val = "";
				v->val.string.len = 0;
			}
			break;
		default:
			v->type = jbvNull;
			break;
	}
}

/*
 * Push a file's value: after a key (tok = WJB_VALUE) or as an array element
 * (WJB_ELEM).  Returns what the last push returned: the finished tree when
 * the value closes the outermost container.
 */
static JsonbValue *
tape_push(CLMapState *st, JsonbParseState **ps, const CLTapeNode *n, JsonbIteratorToken tok)
{
	JsonbValue	v;

	/* nested as deep as connect_lake.max_record_depth (json-c's records) */
	check_stack_depth();
	switch ((CLTapeType) n->type)
	{
		case CLT_OBJECT:
			{
				const CLTapeNode *k = n + 1;

				pushJsonbValue(ps, WJB_BEGIN_OBJECT, NULL);
				for (uint32 i = 0; i < n->len; i++)
				{
					CHECK_FOR_INTERRUPTS();
					v.type = jbvString;
					if (!tape_text(st, k->u.s, (int) k->len, &v.val.string.val, &v.val.string.len))
						v.val.string.len = 0;
					pushJsonbValue(ps, WJB_KEY, &v);
					tape_push(st, ps, k + 1, WJB_VALUE);
					k = cl_tape_next(k + 1);
				}
				return pushJsonbValue(ps, WJB_END_OBJECT, NULL);
			}
		case CLT_ARRAY:
			{
				const CLTapeNode *e = n + 1;

				pushJsonbValue(ps, WJB_BEGIN_ARRAY, NULL);
				for (uint32 i = 0; i < n->len; i++)
				{
					CHECK_FOR_INTERRUPTS();
					tape_push(st, ps, e, WJB_ELEM);
					e = cl_tape_next(e);
				}
				return pushJsonbValue(ps, WJB_END_ARRAY, NULL);
			}
		default:
			tape_scalar(st, n, &v);
			return pushJsonbValue(ps, tok, &v);
	}
}

/* Push a value after a key (WJB_VALUE) or as an element (WJB_ELEM). */
static void
push_value(CLMapState *st, JsonbParseState **ps, const CLValue *v, JsonbIteratorToken tok)
{
	if (v->tn)
		tape_push(st, ps, v->tn, tok);
	else
		pushJsonbValue(ps, tok, (JsonbValue *) &v->jbv);	/* unpacks jbvBinary */
}

/*
 * Order of an object's pairs as jsonb keeps them (jsonb_util.c's
 * lengthCompareJsonbPair): shorter keys first, then bytes, and of equal
 * keys the later one first, which the dedup below keeps.
 */
static inline int
tape_pair_cmp(const void *a, const void *b)
{
	const JsonbPair *pa = a;
	const JsonbPair *pb = b;
	int			la = pa->key.val.string.len;
	int			lb = pb->key.val.string.len;
	int			c;

	if (la != lb)
		return la > lb ? 1 : -1;
	c = memcmp(pa->key.val.string.val, pb->key.val.string.val, la);
	if (c != 0)
		return c;
	return pa->order > pb->order ? -1 : 1;
}

/*
 * A file's value as an in-memory jsonb value (the tree JsonbValueToJsonb()
 * serializes), built directly: an object's pairs sized once and sorted as
 * jsonb sorts them (equal keys, which a tape does not hold anyway: json-c
 * parsed such a record and kept the last, as jsonb_in does), an array's
 * elements sized once.  What pushJsonbValue() would build from tape_push(),
 * without growing every container an element at a time.
 */
static void
tape_value(CLMapState *st, const CLTapeNode *o, JsonbValue *out)
{
	check_stack_depth();
	switch ((CLTapeType) o->type)
	{
		case CLT_OBJECT:
			{
				int			n = (int) o->len;
				JsonbPair  *pairs = n > 0 ? palloc(sizeof(JsonbPair) * n) : NULL;
				const CLTapeNode *key = o + 1;

				for (int i = 0; i < n; i++)
				{
					JsonbPair  *p = &pairs[i];

					CHECK_FOR_INTERRUPTS();

					p->key.type = jbvString;
					if (!tape_text(st, key->u.s, (int) key->len, &p->key.val.string.val, &p->key.val.string.len))
						p->key.val.string.len = 0;
					p->order = i;
					tape_value(st, key + 1, &p->value);
					key = cl_tape_next(key + 1);
				}
				if (n > 1)
				{
					int			k = 0;

					/* most objects of a record are small: insertion sort, no comparator calls */
					if (n <= 16)
						for (int j = 1; j < n; j++)
						{
							JsonbPair	p = pairs[j];
							int			m = j;

							for (; m > 0 && tape_pair_cmp(&pairs[m - 1], &p) > 0; m--)
								pairs[m] = pairs[m - 1];
							pairs[m] = p;
						}
					else
						qsort(pairs, n, sizeof(JsonbPair), tape_pair_cmp);
					for (int j = 1; j < n; j++)
						if (pairs[j].key.val.string.len != pairs[k].key.val.string.len ||
							memcmp(pairs[j].key.val.string.val, pairs[k].key.val.string.val,
								   pairs[k].key.val.string.len) != 0)
							pairs[++k] = pairs[j];
					n = k + 1;
				}
				out->type = jbvObject;
				out->val.object.nPairs = n;
				out->val.object.pairs = pairs;
			}
			break;
		case CLT_ARRAY:
			{
				uint32		n = o->len;
				const CLTapeNode *e = o + 1;

				out->type = jbvArray;
				out->val.array.rawScalar = false;
				out->val.array.nElems = (int) n;
				out->val.array.elems = n > 0 ? palloc(sizeof(JsonbValue) * n) : NULL;
				for (uint32 i = 0; i < n; i++)
				{
					CHECK_FOR_INTERRUPTS();
					tape_value(st, e, &out->val.array.elems[i]);
					e = cl_tape_next(e);
				}
			}
			break;
		default:
			tape_scalar(st, o, out);
			break;
	}
}

/*
 * Any value as a jsonb Datum: jsonb values are re-used as they are, a
 * file's converted, so a jsonb column is filled alike from both paths.
 */
Datum
cl_value_jsonb(CLMapState *st, const CLValue *value)
{
	JsonbValue	v;

	/* jsonb values */
	if (value->tn == NULL)
		return JsonbPGetDatum(JsonbValueToJsonb((JsonbValue *) &value->jbv));
	tape_value(st, value->tn, &v);
	return JsonbPGetDatum(JsonbValueToJsonb(&v));
}

/*
 * Within the value kept whole (st->whole_jbv, converted at whole_depth), the
 * converted value at the current path: its keys looked up in the sorted
 * pairs; NULL when a key is not there as the record spells it (a key the
 * server encoding converted), and the caller converts the value itself.
 */
static JsonbValue *
whole_find(CLMapState *st)
{
	JsonbValue *cur = st->whole_jbv;

	for (int d = st->whole_depth; d < st->depth && cur; d++)
	{
		const char *key = st->path[d];
		int			len = st->pathlen[d];
		int			lo = 0,
					hi;
		JsonbValue *next = NULL;

		if (cur->type != jbvObject)
			return NULL;
		hi = cur->val.object.nPairs - 1;
		while (lo <= hi)
		{
			int			mid = (lo + hi) / 2;
			JsonbValue *k = &cur->val.object.pairs[mid].key;
			int			c = k->val.string.len != len ? (k->val.string.len > len ? 1 : -1)
				: memcmp(k->val.string.val, key, len);

			if (c == 0)
			{
				next = &cur->val.object.pairs[mid].value;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid - 1;
		}
		cur = next;
	}
	return cur;
}

/*
 * A jsonb column's value from the walk: a file's object or array inside a
 * value another column already keeps whole (agent events keep the snapshot
 * and parts of it) is taken from that value's converted tree instead of
 * being converted again.
 */
static Datum
store_jsonb(CLMapState *st, const CLValue *v)
{
	JsonbValue *jv = NULL;

	if (v->tn == NULL || (v->kind != CLV_OBJECT && v->kind != CLV_ARRAY))
		return cl_value_jsonb(st, v);
	if (st->whole_jbv && st->depth >= st->whole_depth)
		jv = whole_find(st);
	if (jv == NULL)
	{
		jv = palloc(sizeof(JsonbValue));
		tape_value(st, v->tn, jv);
		if (st->whole_jbv == NULL)
		{
			st->whole_jbv = jv;
			st->whole_depth = st->depth;
		}
	}
	return JsonbPGetDatum(JsonbValueToJsonb(jv));
}

/* ---------- a JSON text, parsed as the loader parses a file's records ---------- */

/*
 * A reader of JSON texts, kept per call site of a parse function: one tape
 * (malloc'd arrays) and, once a text went to json-c, one tokener, reused
 * call after call, as the framer keeps them per file.  Released by a
 * callback on the context it lives in (the call site's fn_mcxt).
 */
struct CLTextReader
{
	CLTape		tape;
	json_tokener *tok;			/* NULL until needed, and after a failed parse */
	MemoryContextCallback cb;
};

/* a tape's node array past this is released after its call (a huge record's) */
#define TEXT_READER_KEEP_NODES 65536

static void
text_reader_release(void *arg)
{
	CLTextReader *tr = arg;

	cl_tape_free(&tr->tape);
	if (tr->tok)
		json_tokener_free(tr->tok);
	tr->tok = NULL;
}

CLTextReader *
cl_text_reader_new(MemoryContext cxt)
{
	CLTextReader *tr = MemoryContextAllocZero(cxt, sizeof(CLTextReader));

	tr->cb.func = text_reader_release;
	tr->cb.arg = tr;
	MemoryContextRegisterResetCallback(cxt, &tr->cb);
	return tr;
}

/* after a failed json-c parse: json-c 0.16 may keep half a surrogate pair (framing.c) */
static void
text_reader_drop_tokener(CLTextReader *tr)
{
	if (tr->tok)
		json_tokener_free(tr->tok);
	tr->tok = NULL;
}

/*
 * Parse one JSON text strictly (as it lies in a file) into the reader's
 * tape, valid until the reader's next call; its strings may point into s.
 * The tape parser takes what it reads exactly as json-c does; anything else
 * is parsed by json-c, whose errors are reported and whose tree is copied
 * (jsontape.h).  Every kind's parse(doc text) function uses it, which is why
 * it lives with the mapper rather than with a kind.  Errors name the byte
 * offset.
 */
const CLTape *
cl_parse_json_text(CLTextReader *tr, const char *s, int len, const char *what)
{
	CLTape	   *tape = &tr->tape;
	json_object *obj;
	enum json_tokener_error err;
	size_t		end;
	int			r;
	bool		oom;

	/* a huge record's arrays are not kept for the next call */
	if (tape->cap > TEXT_READER_KEEP_NODES || tape->text_cap > TEXT_READER_KEEP_NODES * sizeof(CLTapeNode))
		cl_tape_free(tape);

	r = cl_tape_parse(tape, s, len, JSON_TOKENER_DEFAULT_DEPTH);
	if (r == CL_TAPE_OK)
		return tape;
	if (r == CL_TAPE_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory parsing %s", what)));

	if (tr->tok == NULL)
	{
		tr->tok = json_tokener_new();
		if (tr->tok == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory parsing %s", what)));
		json_tokener_set_flags(tr->tok, JSON_TOKENER_STRICT);
	}
	else
		json_tokener_reset(tr->tok);
	obj = cl_json_parse(tr->tok, s, len);
	oom = errno == ENOMEM;
	err = json_tokener_get_error(tr->tok);
	end = json_tokener_get_parse_end(tr->tok);
	if (oom)
	{
		/* json-c ran out of memory: what it returned is not the record (framing.h) */
		json_object_put(obj);
		text_reader_drop_tokener(tr);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory parsing %s at byte %zu", what, end)));
	}
	if (obj == NULL || err != json_tokener_success)
	{
		if (obj)
			json_object_put(obj);
		text_reader_drop_tokener(tr);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid JSON in %s at byte %zu: %s", what, end,
						err == json_tokener_continue ? "unexpected end of input" : json_tokener_error_desc(err))));
	}
	while (end < (size_t) len && (s[end] == ' ' || s[end] == '\n' || s[end] == '\r' || s[end] == '\t'))
		end++;
	if (end < (size_t) len)
	{
		json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid JSON in %s at byte %zu: text after the end of the record", what, end)));
	}
	r = cl_tape_from_jsonc(tape, obj);
	json_object_put(obj);
	if (r != CL_TAPE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory parsing %s", what)));
	return tape;
}

/* ---------- converting one value into a column ---------- */

/*
 * The text of a string or number value (a number's own digits): JSON strings
 * with their escapes decoded and checked (no NUL), for text-like columns;
 * false for other kinds, which the caller reports.
 */
static bool
value_text(CLMapState *st, const CLValue *v, char **s, int *len)
{
	switch (v->kind)
	{
		case CLV_STRING:
			if (v->tn)
				return tape_text(st, v->str, v->len, s, len);
			*s = (char *) v->str;
			*len = v->len;
			return true;
		case CLV_NUMBER:
			*s = cl_value_number_text(v);
			*len = strlen(*s);
			return true;
		case CLV_BOOL:
			*s = v->boolean ? "true" : "false";
			*len = strlen(*s);
			return true;
		default:
			return false;
	}
}

/*
 * Convert one value into column attno as the field's type says and store it;
 * a value that does not convert fails the record (cl_map_fail) rather than
 * raising, so that the loader can skip it.  The one conversion for both
 * sources: this is where "the file loader and the jsonb parser agree" is kept.
 */
void
cl_map_store(CLMapState *st, int attno, CLFieldType type, int flags, const CLValue *v)
{
	char	   *s;
	int			len;
	int64		i64;

	if (v->kind == CLV_NULL || attno < 0)
		return;
	if (!cl_value_number_ok(st, v))
		return;

	switch (type)
	{
		case CLF_TEXT:
		case CLF_UPPER:
			if (!value_text(st, v, &s, &len))
			{
				if (!st->failed)
					cl_map_fail(st, ERRCODE_INVALID_TEXT_REPRESENTATION,
								"%s where a string belongs", kind_name(v->kind));
				return;
			}
			st->values[attno] = PointerGetDatum(cstring_to_text_with_len(s, len));
			if (type == CLF_UPPER)
			{
				char	   *d = VARDATA(DatumGetPointer(st->values[attno]));

				for (int i = 0; i < len; i++)
					if (d[i] >= 'a' && d[i] <= 'z')
						d[i] -= 'a' - 'A';
			}
			break;

		case CLF_UUID:
		case CLF_ARN_ID:
			{
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				if (v->kind != CLV_STRING)
				{
					cl_map_fail(st, ERRCODE_INVALID_TEXT_REPRESENTATION,
								"%s where a UUID belongs", kind_name(v->kind));
					return;
				}
				if (type == CLF_ARN_ID)
				{
					if (!cl_arn_uuid(v->str, v->len, u))
						return;	/* the ARN column keeps the value */
				}
				else if (!cl_parse_uuid(v->str, v->len, u))
				{
					cl_map_fail_value(st, v->str, v->len, ERRCODE_INVALID_TEXT_REPRESENTATION, "invalid UUID");
					return;
				}
				st->values[attno] = UUIDPGetDatum(u);
			}
			break;

		case CLF_TIMESTAMPTZ:
			{
				TimestampTz ts;

				if (v->kind != CLV_STRING)
				{
					cl_map_fail(st, ERRCODE_INVALID_DATETIME_FORMAT,
								"%s where a timestamp belongs", kind_name(v->kind));
					return;
				}
				if (!cl_parse_timestamptz(v->str, v->len, &ts))
				{
					cl_map_fail_value(st, v->str, v->len, ERRCODE_INVALID_DATETIME_FORMAT, "invalid timestamp");
					return;
				}
				if ((flags & CLF_PLACEHOLDER) && ts == PLACEHOLDER_TS)
					return;
				st->values[attno] = TimestampTzGetDatum(ts);
			}
			break;

		case CLF_INT4:
		case CLF_INT8:
			if (v->kind != CLV_NUMBER)
			{
				cl_map_fail(st, ERRCODE_INVALID_TEXT_REPRESENTATION,
							"%s where a number belongs", kind_name(v->kind));
				return;
			}
			/* a file's integer in range: its value, not its digits printed and read */
			if (v->tn && tape_int64(v->tn, &i64) &&
				(type == CLF_INT8 || (i64 >= PG_INT32_MIN && i64 <= PG_INT32_MAX)))
			{
				st->values[attno] = (type == CLF_INT4) ? Int32GetDatum((int32) i64) : Int64GetDatum(i64);
				break;
			}
			value_text(st, v, &s, &len);
			if (!cl_parse_int64(s, len,
								type == CLF_INT4 ? PG_INT32_MIN : PG_INT64_MIN,
								type == CLF_INT4 ? PG_INT32_MAX : PG_INT64_MAX, &i64))
			{
				cl_map_fail_value(st, s, len, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
								  "number is not an integer in the range of %s",
								  type == CLF_INT4 ? "integer" : "bigint");
				return;
			}
			st->values[attno] = (type == CLF_INT4) ? Int32GetDatum((int32) i64) : Int64GetDatum(i64);
			break;

		case CLF_NUMERIC:
			if (v->kind != CLV_NUMBER)
			{
				cl_map_fail(st, ERRCODE_INVALID_TEXT_REPRESENTATION,
							"%s where a number belongs", kind_name(v->kind));
				return;
			}
			{
				Numeric		n;

				if (!number_numeric(st, v, TupleDescAttr(st->tupdesc, attno)->atttypmod,
									NameStr(TupleDescAttr(st->tupdesc, attno)->attname), &n))
					return;
				st->values[attno] = NumericGetDatum(n);
			}
			break;

		case CLF_BOOL:
			if (v->kind != CLV_BOOL)
			{
				cl_map_fail(st, ERRCODE_INVALID_TEXT_REPRESENTATION,
							"%s where a boolean belongs", kind_name(v->kind));
				return;
			}
			st->values[attno] = BoolGetDatum(v->boolean);
			break;

		case CLF_JSONB:
			st->values[attno] = store_jsonb(st, v);
			break;

		case CLF_CUSTOM:
			elog(ERROR, "connect_lake: custom fields are stored by their hook");
	}
	st->nulls[attno] = false;
}

/* ---------- the walk ---------- */

/*
 * The child of a compiled node for a record's key: by the hash of the key
 * where the node has many children, else binary search, the children
 * sorted by key_cmp when the kind was compiled.
 */
static const CLNode *
find_child(const CLNode *node, const char *key, int keylen, bool ci)
{
	int			lo = 0,
				hi = node->nchildren - 1;

	/* many children (a record's top level): by hash, then one comparison */
	if (node->slots)
	{
		uint32		h = key_hash(key, keylen, ci) & node->slotmask;

		for (; node->slots[h] >= 0; h = (h + 1) & node->slotmask)
		{
			const CLNode *c = &node->children[node->slots[h]];

			if (c->keylen == keylen && key_cmp(c->key, c->keylen, key, keylen, ci) == 0)
				return c;
		}
		return NULL;
	}

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = key_cmp(node->children[mid].key, node->children[mid].keylen, key, keylen, ci);

		if (c == 0)
			return &node->children[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* Copy an unknown member (the last key of the current path) into `extra`. */
static void
extra_add(CLMapState *st, const CLValue *v)
{
	JsonbValue	k;
	int			d = st->depth - 1;	/* index of the member's own key */

	if (st->kc->extra_att < 0 || st->kept_whole > 0)
		return;
	if (st->extra_open < 0)
	{
		pushJsonbValue(&st->extra, WJB_BEGIN_OBJECT, NULL);
		st->extra_open = 0;
	}
	while (st->extra_open < d)
	{
		k.type = jbvString;
		k.val.string.val = (char *) st->path[st->extra_open];
		k.val.string.len = st->pathlen[st->extra_open];
		pushJsonbValue(&st->extra, WJB_KEY, &k);
		pushJsonbValue(&st->extra, WJB_BEGIN_OBJECT, NULL);
		st->extra_open++;
	}
	k.type = jbvString;
	if (!st->is_tape || tape_text(st, st->path[d], st->pathlen[d], &k.val.string.val, &k.val.string.len))
	{
		k.val.string.val = (char *) st->path[d];
		k.val.string.len = st->pathlen[d];
	}
	pushJsonbValue(&st->extra, WJB_KEY, &k);
	push_value(st, &st->extra, v, WJB_VALUE);
}

static void walk_object(CLMapState *st, const CLValue *obj, const CLNode *node);

/*
 * One member of a record object: follow the kind's field trie, keep unknown
 * keys for the extra column, and track the path for error messages.
 */
static void
walk_member(CLMapState *st, const char *key, int keylen, const CLValue *v, void *arg)
{
	const CLNode *node = arg;
	const CLNode *child = find_child(node, key, keylen, st->kind->ci_keys);

	if (st->depth >= lengthof(st->path))
		elog(ERROR, "connect_lake: record paths deeper than %d levels", (int) lengthof(st->path));
	st->path[st->depth] = key;
	st->pathlen[st->depth] = keylen;
	st->depth++;

	if (child == NULL)
		extra_add(st, v);
	else
	{
		for (int i = 0; i < child->nfields; i++)
		{
			int			f = child->fields[i];
			const CLField *field = &st->kind->fields[f];

			if (field->type == CLF_CUSTOM)
				field->custom(st, v, field);
			else
				cl_map_store(st, st->kc->attno[f], field->type, field->flags, v);
		}
		if (child->nchildren > 0)
		{
			bool		whole = false;

			for (int i = 0; i < child->nfields; i++)
				whole |= (st->kind->fields[child->fields[i]].type == CLF_JSONB);
			st->kept_whole += whole;
			if (v->kind == CLV_OBJECT)
				walk_object(st, v, child);
			else if (v->kind != CLV_NULL && child->nfields == 0)
				cl_map_fail(st, ERRCODE_INVALID_PARAMETER_VALUE,
							"%s where an object belongs", kind_name(v->kind));
			st->kept_whole -= whole;
		}
	}
	/* leaving the value kept whole: its converted tree is of no further use */
	if (st->whole_jbv && st->whole_depth == st->depth)
		st->whole_jbv = NULL;
	st->depth--;
}

/*
 * Walk one object of a record against its trie node; unknown keys go to the
 * extra column, nested as they were, so the level extra opened is closed here.
 */
static void
walk_object(CLMapState *st, const CLValue *obj, const CLNode *node)
{
	cl_value_members(st, obj, walk_member, (void *) node);
	/* close this object's level in `extra` if unknown keys opened it */
	if (st->depth > 0 && st->extra_open == st->depth)
	{
		pushJsonbValue(&st->extra, WJB_END_OBJECT, NULL);
		st->extra_open--;
	}
}

/*
 * A row that will not land (a foreign table's, a parse function's) gets the
 * provenance it would have if it landed now: one version (the count column)
 * and, read as it would land (CL_MAP_READ), the transaction's start as its
 * landed time.  The one place besides the writer that fills them, so that
 * no kind's hook has to (see CLRecordKind.landed_column).
 */
static void
unwritten_provenance(CLMapState *st)
{
	if (st->kc->count_att >= 0)
	{
		st->values[st->kc->count_att] = Int32GetDatum(1);
		st->nulls[st->kc->count_att] = false;
	}
	if (st->purpose == CL_MAP_READ && st->kc->landed_att >= 0)
	{
		st->values[st->kc->landed_att] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		st->nulls[st->kc->landed_att] = false;
	}
}

/*
 * Map one record of either source: route it to its kind, walk it, run the
 * kind's finish hook, then check its required fields (after the hook, which
 * may fill some).
 */
static bool
map_record(CLMapState *st, const CLValue *root)
{
	TupleDesc	td;

	if (st->kind->route && root->kind == CLV_OBJECT)
	{
		CLRecordKind *target = st->kind->route(st, root);

		if (target != st->kind)
		{
			bool		is_tape = st->is_tape;

			/*
			 * Keep the row arrays where the caller's were (a loader resets a
			 * per-record context around this call and reuses st), and free
			 * the old ones so that alternating kinds do not accumulate.
			 */
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->values));

			pfree(st->values);
			pfree(st->nulls);
			cl_map_init(st, target, st->purpose);
			MemoryContextSwitchTo(old);
			st->is_tape = is_tape;
		}
	}
	td = st->tupdesc;

	for (int i = 0; i < td->natts; i++)
	{
		st->values[i] = (Datum) 0;
		st->nulls[i] = true;
	}
	st->depth = 0;
	st->extra = NULL;
	st->extra_open = -1;
	st->kept_whole = 0;
	st->whole_jbv = NULL;
	st->whole_depth = 0;
	st->failed = false;
	st->errmsg = st->errpath = st->errvalue = NULL;
	st->values_nulled = 0;

	if (root->kind != CLV_OBJECT)
	{
		cl_map_fail(st, ERRCODE_INVALID_PARAMETER_VALUE,
					"%s record must be a JSON object, not %s", st->kind->name, kind_name(root->kind));
		return false;
	}
	walk_object(st, root, &st->kc->root);

	if (st->extra_open >= 0)
	{
		JsonbValue *res = pushJsonbValue(&st->extra, WJB_END_OBJECT, NULL);

		st->values[st->kc->extra_att] = JsonbPGetDatum(JsonbValueToJsonb(res));
		st->nulls[st->kc->extra_att] = false;
	}

	if (st->kind->finish)
		st->kind->finish(st);
	if (st->purpose != CL_MAP_WRITE)
		unwritten_provenance(st);

	for (int f = 0; f < st->kind->nfields && !st->failed; f++)
	{
		const CLField *field = &st->kind->fields[f];

		if ((field->flags & CLF_REQUIRED) && st->kc->attno[f] >= 0 && st->nulls[st->kc->attno[f]])
			cl_map_fail(st, ERRCODE_NOT_NULL_VIOLATION, "%s record has no %s",
						st->kind->name, field->path);
	}
	return !st->failed;
}

/*
 * Map a jsonb document (the *_parse(jsonb) functions and ingest()); a
 * non-object root is reported as such by the shared record check.
 */
bool
cl_map_jsonb(CLMapState *st, Jsonb *doc)
{
	CLValue		root;
	JsonbValue	v;

	st->is_tape = false;
	if (JB_ROOT_IS_SCALAR(doc))
	{
		memset(&root, 0, sizeof(root));
		root.kind = CLV_STRING;	/* any non-object: reported by map_record */
		if (JsonbExtractScalar(&doc->root, &v))
			from_jsonb(&root, &v);
	}
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &doc->root;
		v.val.binary.len = VARSIZE(doc) - VARHDRSZ;
		from_jsonb(&root, &v);
	}
	return map_record(st, &root);
}

/*
 * Map a file's record, as a tape (files through the reader, the FDW, the
 * text parse functions): the same walk as cl_map_jsonb, so both paths agree.
 */
bool
cl_map_tape(CLMapState *st, const CLTape *doc)
{
	CLValue		root;

	st->is_tape = true;
	from_tape(&root, &doc->nodes[0]);
	return map_record(st, &root);
}

/* ---------- the parse functions ---------- */

/* Per call site of a parse function (fn_extra). */
typedef struct ParseSite
{
	CLMapState	st;				/* valid when st.kind is set */
	bool		text;			/* argument 0 is text (else jsonb) */
	CLTextReader *reader;		/* text: the site's tape, made on its first call */
	void	   *arg_cache;		/* the kind's (cl_parse_arg_cache) */
} ParseSite;

/*
 * The call site's state, made on its first call: whether the record comes as
 * text is read from the function's declared signature once, rather than
 * giving every kind two C entry points per SQL function.
 */
static ParseSite *
parse_site(FunctionCallInfo fcinfo)
{
	ParseSite  *site = fcinfo->flinfo->fn_extra;

	if (site == NULL)
	{
		Oid		   *argtypes;
		int			nargs;

		get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ParseSite));
		site->text = nargs > 0 && argtypes[0] == TEXTOID;
		fcinfo->flinfo->fn_extra = site;
	}
	return site;
}

/* The kind's slot at the call site (see recmap.h). */
void	  **
cl_parse_arg_cache(FunctionCallInfo fcinfo)
{
	return &parse_site(fcinfo)->arg_cache;
}

/*
 * Map argument 0 with the call site's mapper, made for kind on the first
 * call and again after a record routed it to another kind, so that every
 * call starts from the kind the function parses.
 */
CLMapState *
cl_parse_record(FunctionCallInfo fcinfo, CLRecordKind *kind, CLMapPurpose purpose, void *kind_arg)
{
	ParseSite  *site = parse_site(fcinfo);
	CLMapState *st = &site->st;
	const CLTape *tape = NULL;
	bool		ok;

	/* a text record is parsed first: invalid JSON is reported as such */
	if (site->text)
	{
		text	   *doc = PG_GETARG_TEXT_PP(0);

		if (site->reader == NULL)
			site->reader = cl_text_reader_new(fcinfo->flinfo->fn_mcxt);
		tape = cl_parse_json_text(site->reader, VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc), kind->label);
	}

	/* first call, or the last record routed to another kind: start from kind */
	if (st->kind != kind || st->purpose != purpose)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (st->kind)
		{
			pfree(st->values);
			pfree(st->nulls);
		}
		cl_map_init(st, kind, purpose);
		MemoryContextSwitchTo(old);
	}
	st->kind_arg = kind_arg;

	ok = tape ? cl_map_tape(st, tape) : cl_map_jsonb(st, PG_GETARG_JSONB_P(0));
	if (!ok)
		cl_map_raise(st);
	return st;
}

/* The whole body of a kind's parse function: see recmap.h. */
Datum
cl_kind_parse(FunctionCallInfo fcinfo, CLRecordKind *kind, CLMapPurpose purpose, void *kind_arg)
{
	CLMapState *st = cl_parse_record(fcinfo, kind, purpose, kind_arg);

	/* only a kind with a route hook maps a record as another kind; its parse functions check */
	if (st->kind != kind)
		elog(ERROR, "connect_lake: a %s record mapped as %s", kind->name, st->kind->name);
	return cl_map_datum(st);
}

/*
 * The mapped row as one composite Datum of its row type: what a parse
 * function returns.
 */
Datum
cl_map_datum(CLMapState *st)
{
	HeapTuple	tuple = heap_form_tuple(st->tupdesc, st->values, st->nulls);

	return heap_copy_tuple_as_datum(tuple, st->tupdesc);
}
