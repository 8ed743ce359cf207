/*
 * pii.c: a customer's personal values stored as the DBA chose (see pii.h,
 * sql/install/25_pii.sql and README "Personal data").
 *
 * The setting (connect_lake.pii_config, at most one row; none: `raw`):
 *
 *   raw                 values land as they come;
 *   hash                a value lands as 'hmac:' and the first 128 bits of
 *                       HMAC-SHA256(secret, value) in hex (RFC 2104
 *                       truncation), so equal values stay equal (they join,
 *                       and pii_stored_value() finds one exactly);
 *   hash_keep_country   the same, after the country code of an E.164 number
 *                       ('+' and 4 to 15 digits) and a space:
 *                       '+44 hmac:5f0c...'; other values as `hash`.
 *
 * The digest is of the value's bytes as they came (Connect writes numbers in
 * E.164), so both hashing settings give one number the same digest.  An
 * empty value stays empty.  With keep_raw, each value hashed is also kept
 * in connect_lake.pii_value (stored form, raw value, masked display), which
 * only connect_lake_pii_reader may read whole.
 *
 * The secret (connect_lake.pii_secret) has no grant to anyone: it is read
 * here as the table's owner (the extension's owner), with the setting, and
 * cached per backend like every configuration table (config_cache.h); the
 * statement triggers of both tables make every session read them again.
 *
 * It is the lake's one secret and hmac_sha256() its one keyed hash: the
 * stored forms here, and the erasure list's digests (86_erasure.sql) through
 * connect_lake.lake_hmac(), the whole HMAC-SHA256 of a text (owner only).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/syscache.h"

#include "attrkey.h"
#include "config_cache.h"
#include "connect_lake.h"
#include "pii.h"

PG_FUNCTION_INFO_V1(pii_stored_value);
PG_FUNCTION_INFO_V1(pii_mask);
PG_FUNCTION_INFO_V1(pii_stored_forms);
PG_FUNCTION_INFO_V1(lake_hmac);

typedef enum PiiStorage
{
	PII_RAW,
	PII_HASH,
	PII_HASH_KEEP_COUNTRY
} PiiStorage;

/* bytes of the digest kept, and of its hex */
#define PII_DIGEST_BYTES 16
#define PII_STORED_MAX 64		/* '+999 hmac:' and 32 hex digits, with room */
#define PII_FLAT_MAX 256		/* longer keys are matched spelt exactly only */

/* The setting in force, read with the secret (in the cache's context). */
typedef struct PiiConfig
{
	PiiStorage	storage;
	bool		keep_raw;
	int			nkeys;			/* attribute keys that are personal */
	char	  **keys;
	int		   *keylens;
	char	  **flat;			/* flattened (attrkey.h); flatlen 0: exact only */
	int		   *flatlens;
	bool		has_secret;		/* a row in pii_secret */
	char	   *secret;
	int			secretlen;
} PiiConfig;

static CLConfigCache pii_cache = {
	.name = "connect_lake pii",
	.tables = {"pii_config", "pii_secret"},
};
static PiiConfig *pii_conf = NULL;

/* ---------- the setting and the secret ---------- */

static PiiStorage
storage_by_name(const char *s)
{
	if (strcmp(s, "hash") == 0)
		return PII_HASH;
	if (strcmp(s, "hash_keep_country") == 0)
		return PII_HASH_KEEP_COUNTRY;
	return PII_RAW;				/* the table's CHECK allows nothing else */
}

/*
 * Read pii_config and pii_secret as their owner (nobody else may read the
 * secret), into cxt.
 */
static PiiConfig *
load_config(MemoryContext cxt)
{
	PiiConfig  *c = MemoryContextAllocZero(cxt, sizeof(PiiConfig));
	HeapTuple	tup;
	Oid			owner;
	Oid			save_user;
	int			save_sec;
	int			rc;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(cl_relation_oid("pii_secret")));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "connect_lake: cache lookup failed for connect_lake.pii_secret");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute("SELECT c.storage, c.keep_raw, c.attribute_keys, s.secret IS NOT NULL, s.secret"
					 "  FROM (VALUES (true)) AS one (id)"
					 "  LEFT JOIN connect_lake.pii_config c ON c.id"
					 "  LEFT JOIN connect_lake.pii_secret s ON s.id", true, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "connect_lake: reading connect_lake.pii_config failed: %s", SPI_result_code_string(rc));
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		char	   *storage = SPI_getvalue(row, td, 1);

		c->storage = storage ? storage_by_name(storage) : PII_RAW;
		d = SPI_getbinval(row, td, 2, &isnull);
		c->keep_raw = !isnull && DatumGetBool(d);
		d = SPI_getbinval(row, td, 3, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *enulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
			c->keys = MemoryContextAlloc(cxt, sizeof(char *) * (n + 1));
			c->keylens = MemoryContextAlloc(cxt, sizeof(int) * (n + 1));
			c->flat = MemoryContextAlloc(cxt, sizeof(char *) * (n + 1));
			c->flatlens = MemoryContextAlloc(cxt, sizeof(int) * (n + 1));
			for (int i = 0; i < n; i++)
			{
				text	   *t;
				int			len;
				int			flen;

				if (enulls[i])
					continue;
				t = DatumGetTextPP(elems[i]);
				len = VARSIZE_ANY_EXHDR(t);
				c->keys[c->nkeys] = MemoryContextAlloc(cxt, len + 1);
				memcpy(c->keys[c->nkeys], VARDATA_ANY(t), len);
				c->keys[c->nkeys][len] = '\0';
				c->keylens[c->nkeys] = len;
				c->flat[c->nkeys] = MemoryContextAlloc(cxt, PII_FLAT_MAX);
				flen = cl_attr_flatten(VARDATA_ANY(t), len, c->flat[c->nkeys], PII_FLAT_MAX);
				c->flatlens[c->nkeys] = flen > 0 ? flen : 0;
				c->nkeys++;
			}
		}
		d = SPI_getbinval(row, td, 4, &isnull);
		c->has_secret = !isnull && DatumGetBool(d);
		d = SPI_getbinval(row, td, 5, &isnull);
		if (!isnull)
		{
			text	   *t = DatumGetTextPP(d);

			c->secretlen = VARSIZE_ANY_EXHDR(t);
			c->secret = MemoryContextAlloc(cxt, c->secretlen + 1);
			memcpy(c->secret, VARDATA_ANY(t), c->secretlen);
			c->secret[c->secretlen] = '\0';
		}
	}
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
	return c;
}

/*
 * The setting in force, read again after a change (config_cache.h).  A lake
 * not updated to 0.2.0 yet has no setting: its values land as they come,
 * as 0.1.0 landed them.
 */
static PiiConfig *
get_config(void)
{
	static PiiConfig not_updated = {.storage = PII_RAW};

	if (!OidIsValid(get_relname_relid("pii_secret", cl_schema_oid())))
		return &not_updated;
	cl_config_cache_check(&pii_cache);
	while (!pii_cache.valid)
	{
		uint64		generation;
		MemoryContext cxt = cl_config_cache_begin(&pii_cache, &generation);

		pii_conf = NULL;
		pii_conf = load_config(cxt);
		cl_config_cache_built(&pii_cache, generation);
	}
	return pii_conf;
}

/* Hashing without a secret: refused, whatever would land or be looked up. */
static void
require_secret(const PiiConfig *c, const char *what)
{
	if (c->storage == PII_RAW || c->secretlen > 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s: connect_lake.pii_config stores personal values hashed but the lake's secret is %s",
					what, c->has_secret ? "empty" : "missing"),
			 errdetail("Nothing was landed: a value stored without the secret could not be matched later."),
			 errhint("A superuser stores the secret once (and keeps it: another secret gives the same number another digest): "
					 "INSERT INTO connect_lake.pii_secret (secret) SELECT encode(sha256((gen_random_uuid()::text || gen_random_uuid()::text)::bytea), 'hex'); "
					 "or sets connect_lake.pii_config.storage to 'raw'.")));
}

/* ---------- stored forms ---------- */

/*
 * The length of an E.164 number's country code with its '+' ("+44": 3), or
 * 0 when s is not '+' followed by 4 to 15 digits.  Country codes are a
 * prefix code (ITU-T E.164): 1 and 7 have one digit, those below two, every
 * other three.
 */
static int
country_code_len(const char *s, int len)
{
	static const char *const two_digit =
		"20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
		"60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 ";
	char		cc[4];

	if (len < 5 || len > 16 || s[0] != '+')
		return 0;
	for (int i = 1; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[1] == '1' || s[1] == '7')
		return 2;
	cc[0] = s[1];
	cc[1] = s[2];
	cc[2] = ' ';
	cc[3] = '\0';
	for (const char *p = two_digit; *p; p += 3)
		if (memcmp(p, cc, 3) == 0)
			return 3;
	return 4;
}

/*
 * The stored form of s (len bytes) under storage, hashing on: into out
 * (PII_STORED_MAX).
 */
/* HMAC-SHA256 of s (len bytes) keyed with the lake's secret (there is one). */
static void
hmac_sha256(const PiiConfig *c, const char *s, int len, uint8 *digest)
{
	pg_hmac_ctx *ctx;

	Assert(c->secretlen > 0);
	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (pg_hmac_init(ctx, (const uint8 *) c->secret, c->secretlen) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) s, len) < 0 ||
		pg_hmac_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *err = pstrdup(pg_hmac_error(ctx));

		pg_hmac_free(ctx);
		elog(ERROR, "connect_lake: HMAC-SHA256 failed: %s", err);
	}
	pg_hmac_free(ctx);
}

static int
stored_form_as(const PiiConfig *c, PiiStorage storage, const char *s, int len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	int			n = 0;

	hmac_sha256(c, s, len, digest);

	if (storage == PII_HASH_KEEP_COUNTRY)
	{
		int			cc = country_code_len(s, len);

		if (cc > 0)
		{
			memcpy(out, s, cc);
			out[cc] = ' ';
			n = cc + 1;
		}
	}
	memcpy(out + n, "hmac:", 5);
	n += 5;
	for (int i = 0; i < PII_DIGEST_BYTES; i++)
	{
		out[n++] = hex[digest[i] >> 4];
		out[n++] = hex[digest[i] & 15];
	}
	out[n] = '\0';
	return n;
}

/* The stored form of s under the setting c, hashing on. */
static int
stored_form(const PiiConfig *c, const char *s, int len, char *out)
{
	return stored_form_as(c, c->storage, s, len, out);
}

/*
 * The masked display of a value: an E.164 number's country code and, of
 * anything longer than 6 characters, the last 3 kept, every other character
 * a '*' ('+447700900123' -> '+44*******123').
 */
static text *
mask_value(const char *s, int len)
{
	int			cc = country_code_len(s, len);
	int			nchars = pg_mbstrlen_with_len(s, len);
	int			tail = nchars > 6 ? 3 : 0;
	int			stars;
	const char *p = s + cc;
	const char *end = s + len;
	StringInfoData buf;

	stars = nchars - cc - tail;
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, s, cc);
	for (int i = 0; i < stars && p < end; i++)
	{
		appendStringInfoChar(&buf, '*');
		p += pg_mblen(p);
	}
	appendBinaryStringInfo(&buf, p, end - p);
	return cstring_to_text_with_len(buf.data, buf.len);
}

/* ---------- what a kind's rows carry ---------- */

#define PII_MAX_DEPTH 8
#define PII_MAX_PATHS 4

/* The personal values inside one jsonb column. */
typedef struct JsonbRule
{
	int			att;
	bool		attributes;		/* a contact attribute map: its personal keys */
	int			npaths;
	int			pathlen[PII_MAX_PATHS];
	const char *path[PII_MAX_PATHS][PII_MAX_DEPTH];
} JsonbRule;

/* A raw value kept (keep_raw), by its stored form. */
typedef struct KeptValue
{
	char		stored[PII_STORED_MAX];
	char	   *raw;
	int			rawlen;
} KeptValue;

struct CLPii
{
	PiiConfig  *conf;			/* a copy of the setting, for the writer's life */
	MemoryContext cxt;
	MemoryContext rowcxt;		/* one row's stored values: reset at the next row */
	int			ntext;
	int		   *text_atts;		/* text columns holding a personal value */
	int			nnull;
	int		   *null_atts;		/* columns filled from a personal attribute that cannot hold its digest */
	int			nrules;
	JsonbRule  *rules;
	HTAB	   *kept;			/* keep_raw: the values hashed, to write to pii_value */
};

/* A copy of the setting in cxt, so that a change mid-writer changes nothing of it. */
static PiiConfig *
config_copy(const PiiConfig *c, MemoryContext cxt)
{
	PiiConfig  *n = MemoryContextAlloc(cxt, sizeof(PiiConfig));

	*n = *c;
	n->keys = MemoryContextAlloc(cxt, sizeof(char *) * (c->nkeys + 1));
	n->keylens = MemoryContextAlloc(cxt, sizeof(int) * (c->nkeys + 1));
	n->flat = MemoryContextAlloc(cxt, sizeof(char *) * (c->nkeys + 1));
	n->flatlens = MemoryContextAlloc(cxt, sizeof(int) * (c->nkeys + 1));
	for (int i = 0; i < c->nkeys; i++)
	{
		n->keys[i] = MemoryContextStrdup(cxt, c->keys[i]);
		n->keylens[i] = c->keylens[i];
		n->flat[i] = MemoryContextAlloc(cxt, PII_FLAT_MAX);
		memcpy(n->flat[i], c->flat[i], c->flatlens[i]);
		n->flatlens[i] = c->flatlens[i];
	}
	n->secret = c->secret ? MemoryContextStrdup(cxt, c->secret) : NULL;
	return n;
}

/*
 * Whether an attribute key is one of the personal keys: spelt exactly, or
 * flattening to the same non-empty name (attrkey.h), as attribute keys fill
 * the attributes_* columns.
 */
static bool
attribute_key_personal(const PiiConfig *c, const char *key, int len)
{
	char		flat[PII_FLAT_MAX];
	int			flen = -2;

	for (int i = 0; i < c->nkeys; i++)
	{
		if (c->keylens[i] == len && memcmp(c->keys[i], key, len) == 0)
			return true;
		if (c->flatlens[i] == 0)
			continue;
		if (flen == -2)
			flen = cl_attr_flatten(key, len, flat, PII_FLAT_MAX);
		if (flen == c->flatlens[i] && memcmp(flat, c->flat[i], flen) == 0)
			return true;
	}
	return false;
}

static JsonbRule *
rule_for(CLPii *p, int att, int maxrules)
{
	for (int i = 0; i < p->nrules; i++)
		if (p->rules[i].att == att)
			return &p->rules[i];
	if (p->nrules == maxrules)
		elog(ERROR, "connect_lake: too many personal jsonb columns");
	memset(&p->rules[p->nrules], 0, sizeof(JsonbRule));
	p->rules[p->nrules].att = att;
	return &p->rules[p->nrules++];
}

void
cl_pii_check(CLRecordKind *kind)
{
	if (kind->pii_columns == NULL && kind->pii_paths == NULL && kind->pii_attributes == NULL)
		return;
	require_secret(get_config(), psprintf("cannot land %s records", kind->name));
}

CLPii *
cl_pii_setup(CLRecordKind *kind, TupleDesc tupdesc)
{
	PiiConfig  *c;
	CLPii	   *p;
	int			maxrules;
	int			npaths = 0;

	if (kind->pii_columns == NULL && kind->pii_paths == NULL && kind->pii_attributes == NULL)
		return NULL;
	c = get_config();
	if (c->storage == PII_RAW)
		return NULL;
	require_secret(c, psprintf("cannot land %s records", kind->name));

	p = palloc0(sizeof(CLPii));
	p->cxt = CurrentMemoryContext;
	p->rowcxt = AllocSetContextCreate(p->cxt, "connect_lake pii row", ALLOCSET_SMALL_SIZES);
	p->conf = config_copy(c, p->cxt);
	p->text_atts = palloc(sizeof(int) * (tupdesc->natts + 1));
	p->null_atts = palloc(sizeof(int) * (tupdesc->natts + 1));
	for (const char *const *pp = kind->pii_paths; pp && *pp; pp++)
		npaths++;
	maxrules = npaths + 1;
	p->rules = palloc0(sizeof(JsonbRule) * maxrules);

	for (const char *const *col = kind->pii_columns; col && *col; col++)
	{
		int			att = cl_tupdesc_column(tupdesc, *col);

		if (att < 0 || TupleDescAttr(tupdesc, att)->atttypid != TEXTOID)
			elog(ERROR, "connect_lake: kind %s has no text column %s", kind->name, *col);
		p->text_atts[p->ntext++] = att;
	}
	for (const char *const *pp = kind->pii_paths; pp && *pp; pp++)
	{
		char	   *path = pstrdup(*pp);
		char	   *dot = strchr(path, '.');
		int			att;
		JsonbRule  *r;

		if (dot == NULL)
			elog(ERROR, "connect_lake: kind %s: personal path %s names no key", kind->name, *pp);
		*dot = '\0';
		att = cl_tupdesc_column(tupdesc, path);
		if (att < 0 || TupleDescAttr(tupdesc, att)->atttypid != JSONBOID)
			elog(ERROR, "connect_lake: kind %s has no jsonb column %s", kind->name, path);
		r = rule_for(p, att, maxrules);
		if (r->npaths == PII_MAX_PATHS)
			elog(ERROR, "connect_lake: kind %s: too many personal paths in %s", kind->name, path);
		for (char *k = dot + 1; k; k = dot)
		{
			dot = strchr(k, '.');
			if (dot)
				*dot++ = '\0';
			if (r->pathlen[r->npaths] == PII_MAX_DEPTH)
				elog(ERROR, "connect_lake: kind %s: personal path %s too deep", kind->name, *pp);
			r->path[r->npaths][r->pathlen[r->npaths]++] = k;
		}
		r->npaths++;
	}
	if (kind->pii_attributes && p->conf->nkeys > 0)
	{
		int			att = cl_tupdesc_column(tupdesc, kind->pii_attributes);

		if (att < 0 || TupleDescAttr(tupdesc, att)->atttypid != JSONBOID)
			elog(ERROR, "connect_lake: kind %s has no jsonb column %s", kind->name, kind->pii_attributes);
		rule_for(p, att, maxrules)->attributes = true;

		/* columns filled from a personal attribute key are personal too */
		for (int i = 0; kind->attribute_column_key && i < tupdesc->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(tupdesc, i);
			int			keylen = 0;
			const char *key;

			if (a->attisdropped)
				continue;
			key = kind->attribute_column_key(NameStr(a->attname), &keylen);
			if (key == NULL || !attribute_key_personal(p->conf, key, keylen))
				continue;
			if (a->atttypid == TEXTOID)
				p->text_atts[p->ntext++] = i;
			else
				p->null_atts[p->nnull++] = i;
		}
	}
	return p;
}

/* Keep a raw value for pii_value (keep_raw), once per stored form. */
static void
keep_raw(CLPii *p, const char *stored, const char *raw, int rawlen)
{
	KeptValue  *e;
	bool		found;

	if (p->kept == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = PII_STORED_MAX;
		ctl.entrysize = sizeof(KeptValue);
		ctl.hcxt = p->cxt;
		p->kept = hash_create("connect_lake pii kept", 1024, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	e = hash_search(p->kept, stored, HASH_ENTER, &found);
	if (!found)
	{
		e->raw = MemoryContextAlloc(p->cxt, rawlen + 1);
		memcpy(e->raw, raw, rawlen);
		e->raw[rawlen] = '\0';
		e->rawlen = rawlen;
	}
}

/* The stored form of one value, as text; the raw value kept if asked. */
static text *
protect_value(CLPii *p, const char *s, int len)
{
	char		stored[PII_STORED_MAX];
	int			n;

	if (len == 0)
		return cstring_to_text_with_len("", 0);
	n = stored_form(p->conf, s, len, stored);
	if (p->conf->keep_raw)
		keep_raw(p, stored, s, len);
	return cstring_to_text_with_len(stored, n);
}

static bool
rule_matches(const CLPii *p, const JsonbRule *r, int level, const char **keys, const int *lens)
{
	if (keys[level - 1] == NULL)
		return false;
	if (r->attributes && level == 1 && attribute_key_personal(p->conf, keys[0], lens[0]))
		return true;
	for (int i = 0; i < r->npaths; i++)
	{
		bool		same = (r->pathlen[i] == level);

		for (int k = 0; same && k < level; k++)
			same = keys[k] != NULL && (int) strlen(r->path[i][k]) == lens[k] &&
				pg_strncasecmp(r->path[i][k], keys[k], lens[k]) == 0;
		if (same)
			return true;
	}
	return false;
}

/*
 * Walk a jsonb value: without ps, whether it holds a personal value; with
 * ps, rebuild it with each personal string (or number) in its stored form.
 */
static bool
walk_jsonb(CLPii *p, const JsonbRule *r, Jsonb *jb, JsonbParseState **ps, JsonbValue **res)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	const char *keys[PII_MAX_DEPTH];
	int			lens[PII_MAX_DEPTH];
	int			level = 0;
	bool		found = false;

	if (JB_ROOT_IS_SCALAR(jb))
		return false;
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (level < PII_MAX_DEPTH)
					keys[level] = NULL;
				level++;
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				level--;
				break;
			case WJB_KEY:
				if (level <= PII_MAX_DEPTH)
				{
					keys[level - 1] = v.val.string.val;
					lens[level - 1] = v.val.string.len;
				}
				break;
			case WJB_VALUE:
				if (level <= PII_MAX_DEPTH && (v.type == jbvString || v.type == jbvNumeric) &&
					rule_matches(p, r, level, keys, lens))
				{
					const char *s;
					int			len;
					text	   *t;

					found = true;
					if (ps == NULL)
						return true;
					if (v.type == jbvString)
					{
						s = v.val.string.val;
						len = v.val.string.len;
					}
					else
					{
						s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
						len = strlen(s);
					}
					t = protect_value(p, s, len);
					v.type = jbvString;
					v.val.string.val = VARDATA_ANY(t);
					v.val.string.len = VARSIZE_ANY_EXHDR(t);
				}
				break;
			default:
				break;
		}
		if (ps)
			*res = pushJsonbValue(ps, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return found;
}

/*
 * The values replaced live in p->rowcxt until the next row: the writer forms
 * its tuple from them at once.
 */
void
cl_pii_protect(CLPii *p, Datum *values, bool *nulls)
{
	MemoryContext old;

	MemoryContextReset(p->rowcxt);
	old = MemoryContextSwitchTo(p->rowcxt);
	for (int i = 0; i < p->ntext; i++)
	{
		int			att = p->text_atts[i];
		text	   *t;

		if (nulls[att])
			continue;
		t = DatumGetTextPP(values[att]);
		values[att] = PointerGetDatum(protect_value(p, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
	}
	for (int i = 0; i < p->nnull; i++)
		nulls[p->null_atts[i]] = true;
	for (int i = 0; i < p->nrules; i++)
	{
		const JsonbRule *r = &p->rules[i];
		Jsonb	   *jb;
		JsonbParseState *ps = NULL;
		JsonbValue *res = NULL;

		if (nulls[r->att])
			continue;
		jb = DatumGetJsonbP(values[r->att]);
		if (!walk_jsonb(p, r, jb, NULL, NULL))
			continue;
		walk_jsonb(p, r, jb, &ps, &res);
		values[r->att] = JsonbPGetDatum(JsonbValueToJsonb(res));
	}
	MemoryContextSwitchTo(old);
}

static int
kept_cmp(const void *a, const void *b)
{
	return strcmp((*(KeptValue *const *) a)->stored, (*(KeptValue *const *) b)->stored);
}

void
cl_pii_finish(CLPii *p)
{
	HASH_SEQ_STATUS seq;
	KeptValue  *e;
	KeptValue **all;
	Datum	   *stored;
	Datum	   *raw;
	Datum	   *masked;
	long		n;
	int			i = 0;
	Oid			argtypes[3] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		args[3];
	int			rc;

	if (p == NULL || p->kept == NULL || (n = hash_get_num_entries(p->kept)) == 0)
		return;
	all = palloc(sizeof(KeptValue *) * n);
	hash_seq_init(&seq, p->kept);
	while ((e = hash_seq_search(&seq)) != NULL)
		all[i++] = e;
	/* in one order, so that concurrent writers of the same numbers never deadlock */
	qsort(all, n, sizeof(KeptValue *), kept_cmp);
	stored = palloc(sizeof(Datum) * n);
	raw = palloc(sizeof(Datum) * n);
	masked = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
	{
		stored[i] = CStringGetTextDatum(all[i]->stored);
		raw[i] = PointerGetDatum(cstring_to_text_with_len(all[i]->raw, all[i]->rawlen));
		masked[i] = PointerGetDatum(mask_value(all[i]->raw, all[i]->rawlen));
	}
	args[0] = PointerGetDatum(construct_array(stored, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(raw, n, TEXTOID, -1, false, TYPALIGN_INT));
	args[2] = PointerGetDatum(construct_array(masked, n, TEXTOID, -1, false, TYPALIGN_INT));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute_with_args("INSERT INTO connect_lake.pii_value (stored, raw, masked)"
							   " SELECT u.s, u.r, u.m FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)) AS u (s, r, m)"
							   " ON CONFLICT DO NOTHING",
							   3, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "connect_lake: writing connect_lake.pii_value failed: %s", SPI_result_code_string(rc));
	SPI_finish();
	hash_destroy(p->kept);
	p->kept = NULL;
}

/* ---------- SQL ---------- */

/*
 * pii_stored_value(value text) RETURNS text: the form in which the lake
 * stores value under the setting in force (STABLE), to look a number up
 * exactly: WHERE customerendpoint_address = connect_lake.pii_stored_value('+447700900123').
 */
Datum
pii_stored_value(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	PiiConfig  *c = get_config();
	char		stored[PII_STORED_MAX];
	int			n;

	if (c->storage == PII_RAW || VARSIZE_ANY_EXHDR(value) == 0)
		PG_RETURN_TEXT_P(value);
	require_secret(c, "pii_stored_value()");
	n = stored_form(c, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), stored);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(stored, n));
}

/* pii_mask(value text) RETURNS text: the masked display (IMMUTABLE). */
Datum
pii_mask(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(mask_value(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
}

/*
 * pii_stored_forms(value text) RETURNS text[]: every form the lake may hold
 * value in, whatever the setting was when a row landed: as it came and, when
 * the lake has a secret, its digest under `hash` and under
 * `hash_keep_country` (one element when they are the same).  For erasure
 * and look-ups across a change of setting:
 * WHERE customerendpoint_address = ANY (connect_lake.pii_stored_forms('+447700900123')).
 */
Datum
pii_stored_forms(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	PiiConfig  *c = get_config();
	Datum		forms[3];
	int			n = 0;
	int			len = VARSIZE_ANY_EXHDR(value);

	forms[n++] = PointerGetDatum(value);
	if (c->secretlen > 0 && len > 0)
	{
		char		stored[PII_STORED_MAX];
		int			slen;

		slen = stored_form_as(c, PII_HASH, VARDATA_ANY(value), len, stored);
		forms[n++] = PointerGetDatum(cstring_to_text_with_len(stored, slen));
		if (country_code_len(VARDATA_ANY(value), len) > 0)
		{
			slen = stored_form_as(c, PII_HASH_KEEP_COUNTRY, VARDATA_ANY(value), len, stored);
			forms[n++] = PointerGetDatum(cstring_to_text_with_len(stored, slen));
		}
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(forms, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * lake_hmac(value text) RETURNS bytea: HMAC-SHA256 of value's bytes keyed
 * with the lake's secret (pii_secret), all 32 bytes; NULL while the lake has
 * no secret (none, or empty).  The erasure list's digests
 * (erasure_digest()); owner only: whoever can compute digests can test
 * guessed values.
 */
Datum
lake_hmac(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	PiiConfig  *c = get_config();
	bytea	   *out;

	if (c->secretlen == 0)
		PG_RETURN_NULL();
	out = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	hmac_sha256(c, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), (uint8 *) VARDATA(out));
	PG_RETURN_BYTEA_P(out);
}
