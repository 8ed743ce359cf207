/*
 * recmap.h: one description of each record kind's fields, used by both the
 * jsonb parsers (ctr_parse(jsonb) ...) and the file loader (json-c records).
 *
 * A kind is a table of CLField {JSON path, column, type}.  The mapper walks a
 * record once, depth first, looking each key up in a trie compiled from the
 * paths; a known key is converted into its column(s), an object under a known
 * prefix is walked, and every unknown key is copied, with its path, into the
 * kind's `extra` jsonb column, so nothing in a record is lost.
 *
 * Conversion errors do not throw: the first one is remembered with its path,
 * the walk completes (so the record's id is known), and the caller either
 * raises it (cl_map_raise) or, in a loader with on_error 'skip', records it.
 */
#ifndef CL_RECMAP_H
#define CL_RECMAP_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/jsonb.h"

struct CLTape;
struct CLTapeNode;

typedef enum CLFieldType
{
	CLF_TEXT,					/* string (numbers and booleans as their text) */
	CLF_UPPER,					/* string, upper-cased (enums written in any case) */
	CLF_UUID,					/* canonical UUID string */
	CLF_ARN_ID,					/* UUID after the last '/' of an ARN; NULL if none */
	CLF_TIMESTAMPTZ,			/* ISO-8601 string */
	CLF_INT4,					/* integral JSON number */
	CLF_INT8,					/* integral JSON number */
	CLF_NUMERIC,				/* JSON number (column typmod applied) */
	CLF_BOOL,					/* JSON boolean */
	CLF_JSONB,					/* any value, kept whole as jsonb */
	CLF_CUSTOM					/* handled by CLField.custom */
} CLFieldType;

/* CLField.flags */
#define CLF_REQUIRED		0x01	/* record is bad without it */
#define CLF_PLACEHOLDER		0x02	/* 1970-01-01T00:00:00.001Z means NULL */

typedef enum CLValueKind
{
	CLV_NULL,
	CLV_STRING,
	CLV_NUMBER,
	CLV_BOOL,
	CLV_OBJECT,
	CLV_ARRAY
} CLValueKind;

/* A JSON value from either source, as the mapper sees it. */
typedef struct CLValue
{
	CLValueKind kind;
	const char *str;			/* CLV_STRING: text (not NUL-terminated) */
	int			len;
	bool		boolean;		/* CLV_BOOL */
	JsonbValue	jbv;			/* jsonb source: the value (jbvBinary for containers) */
	const struct CLTapeNode *tn;	/* a file's record (jsontape.h); NULL: jsonb */
} CLValue;

/*
 * Why a record is mapped, which decides what the mapper fills besides the
 * record's own fields.  The kind's finish hook may derive columns "as of
 * now" (case events: due date and overdue flag) except for CL_MAP_PARSE.
 */
typedef enum CLMapPurpose
{
	CL_MAP_WRITE,				/* for the writer: ingest(), ingest_batch(), load() */
	CL_MAP_READ,				/* a row as it would land now, not landed: a foreign
								 * table scan, case_event_parse(doc) (STABLE) */
	CL_MAP_PARSE				/* a parse function returning the record's own
								 * fields: ctr_parse(), contact_event_parse() ... */
} CLMapPurpose;

typedef struct CLMapState CLMapState;
typedef struct CLField CLField;
typedef struct CLKindCache CLKindCache;

typedef void (*CLCustomFn) (CLMapState *st, const CLValue *value, const CLField *field);

struct CLField
{
	const char *path;			/* dotted JSON path, e.g. "Agent.RoutingProfile.Name" */
	const char *column;			/* column of the kind's row type (NULL for CLF_CUSTOM without one) */
	CLFieldType type;
	int			flags;
	CLCustomFn	custom;			/* CLF_CUSTOM only */
};

/*
 * A kind's field table, one entry per JSON path -> column:
 *   CL_F(path, column, type)    a field a record may lack
 *   CL_REQ(path, column, type)  a record without it is bad (CLF_REQUIRED)
 *   CL_TS(path, column)         a timestamp where Connect's "not yet"
 *                               placeholder 1970-01-01T00:00:00.001Z reads as NULL
 *   CL_CUSTOM(path, fn)         a value fn converts itself (CLF_CUSTOM)
 */
#define CL_F(path, column, type)	{path, column, type, 0, NULL}
#define CL_REQ(path, column, type)	{path, column, type, CLF_REQUIRED, NULL}
#define CL_TS(path, column)			{path, column, CLF_TIMESTAMPTZ, CLF_PLACEHOLDER, NULL}
#define CL_CUSTOM(path, fn)			{path, NULL, CLF_CUSTOM, 0, fn}

typedef struct CLRecordKind CLRecordKind;
typedef struct CLLanded CLLanded;	/* writer.h */
typedef struct CLLand CLLand;	/* writer.h */
typedef struct CLUpkeep CLUpkeep;	/* upkeep.h */

/*
 * A record kind: everything the lake knows about one kind of record, as
 * declarations and hooks, so that the mapper, the reader, the FDW and the
 * writer name no kind (kinds.h lists the kinds).
 */
struct CLRecordKind
{
	/* ---- mapping a record onto the kind's row type (this file) ---- */
	const char *name;			/* "ctr", as load() and ingest() name it */
	const char *rowtype;		/* composite type in schema connect_lake */
	const CLField *fields;
	int			nfields;
	bool		ci_keys;		/* keys match case-insensitively */
	const char *extra_column;	/* unknown keys go here (jsonb) */
	const char *id_column;		/* names the record in errors, e.g. "contactid" */
	const char *label;			/* one record in messages and error contexts,
								 * e.g. "ctr record", "agent event record" */
	void		(*finish) (CLMapState *st); /* per-kind work after the walk */

	/*
	 * Optional: the kind a given record really is (e.g. a Cases event of type
	 * RELATED_ITEM.* lands in case_related_items, not case_events).  Called
	 * before the walk; the state is re-initialised for the returned kind, so
	 * after mapping st->kind names the table the row belongs to.
	 */
	CLRecordKind *(*route) (CLMapState *st, const CLValue *root);

	/* ---- landing the kind's rows (writer.h) ---- */
	const char *table;			/* the lake table rows land in, e.g. "ctr_events" */
	const char *partition_column;	/* its (timestamptz) partition key */

	/*
	 * Provenance: columns only the writer sets for the rows it lands (with
	 * source_file and source_offset, where the row type has them); a record
	 * mapped for the writer (CL_MAP_WRITE) leaves them NULL.  A row that does
	 * not land gets from the mapper what it would have if it landed now:
	 * the count column 1 (CL_MAP_READ and CL_MAP_PARSE: a record is one
	 * version) and the landed column the transaction's start (CL_MAP_READ).
	 */
	const char *landed_column;	/* when the row landed, e.g. "landed_at" */
	bool		landed_xact_start;	/* the landed time is the transaction's start,
									 * the instant the finish hook derived the
									 * landing-time columns as of (else the
									 * writer's clock, strictly increasing) */
	const char *count_column;	/* versions of the row delivered (int4), or NULL */

	/*
	 * How the writer lands the kind's rows.  NULL: insert a row when its key
	 * is absent, else count a duplicate.  &cl_version_land (version_land.c):
	 * one row per key of connect_lake.fact_table, the version with the
	 * greatest version_column wins, count_column counts every version (ctr).
	 * Another upserting kind declares these; the writer does not change.
	 */
	const CLLand *land;
	const char *version_column;	/* with cl_version_land: timestamptz */

	/*
	 * Optional, with a land: side tables kept from the rows of each batch
	 * that landed (e.g. CTRs' dimensions and account links, ctr_dims.c).
	 * Called by the writer once per flushed batch, SPI connected.
	 */
	void		(*after_flush) (const CLLanded *landed);

	/*
	 * Optional: upkeep after the writer has landed rows of this kind (e.g.
	 * case_state for case events).  The writer collects the values of
	 * column after_write_key of every row it wrote and, in
	 * cl_writer_finish(), passes them as one text[] Datum.
	 */
	const char *after_write_key;
	void		(*after_write) (Datum keys);

	/*
	 * Optional: what the writers keep up to date, once per transaction just
	 * before it commits, from the rows of this kind it wrote (upkeep.h; e.g.
	 * the CTRs' contact metrics, the flow tables from flow logs).
	 */
	const CLUpkeep *upkeep;

	/*
	 * ---- personal values (pii.c) ----
	 * What of the kind's rows is a customer's personal value, stored as
	 * connect_lake.pii_config says (as it comes, or as a keyed hash) by the
	 * writer, for every way rows land.  pii_columns: text columns holding an
	 * endpoint address; pii_paths: "column.key.key" naming a string inside
	 * a jsonb column (keys matched case-insensitively, e.g. the contact
	 * event's detail.customerEndpoint.address kept in extra); both NULL
	 * terminated.  pii_attributes: a jsonb map of contact attributes, whose
	 * keys named in pii_config.attribute_keys are personal (spelt exactly or
	 * any way flattening to the same name, attrkey.h); and
	 * attribute_column_key, for a column filled from an attribute key (an
	 * attributes_* column), the key in force (NULL: none).
	 */
	const char *const *pii_columns;
	const char *const *pii_paths;
	const char *pii_attributes;
	const char *(*attribute_column_key) (const char *column, int *keylen);

	/* ---- reading files in place (fdw.c) ---- */
	double		typical_bytes;	/* a record's usual size in a file: the row estimate before ANALYZE */

	CLKindCache *cache;			/* compiled per backend on first use */
};

struct CLMapState
{
	CLRecordKind *kind;
	CLKindCache *kc;
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;

	/* where the walk is: key path from the record's root */
	const char *path[32];
	int			pathlen[32];
	int			depth;

	/* unknown keys, built lazily into a jsonb object mirroring their paths */
	JsonbParseState *extra;
	int			extra_open;		/* path levels opened in `extra`; -1 = not started */
	int			kept_whole;		/* > 0 inside a value some column keeps as jsonb */
	/* the outermost such value as converted (json-c records), and its depth */
	struct JsonbValue *whole_jbv;
	int			whole_depth;

	/*
	 * first conversion error: errmsg and errpath never quote the record
	 * (errmsg is load_rejects.reason, which analysts read); errvalue, when
	 * set, is an excerpt of the offending value for the caller's own error
	 */
	bool		failed;
	int			errcode;
	char	   *errpath;
	char	   *errmsg;
	char	   *errvalue;

	/*
	 * Values of the record that did not fit their column and were kept raw
	 * elsewhere instead (e.g. a case account that is not an integer): the
	 * writer sums them into CLWriteCounts.values_nulled.
	 */
	int			values_nulled;

	bool		is_tape;		/* which source the record came from (a file's: tape) */
	CLMapPurpose purpose;		/* why: set by cl_map_init(), kept when a record routes */

	/*
	 * The kind's argument given by a parse function, for its hooks: the
	 * attribute map of ctr_parse(doc, map) (ctr.c), the field map of
	 * case_event_parse(doc, map) (case_event.c).  NULL: the kind reads its
	 * configuration tables.  Set after cl_map_init(); a record routed to
	 * another kind is mapped without it (it belongs to the kind given).
	 */
	void	   *kind_arg;
};

/* Prepare st to map records of kind for purpose (resolves columns on first use). */
extern void cl_map_init(CLMapState *st, CLRecordKind *kind, CLMapPurpose purpose);

/* Map one record; false when it is bad (see st->errmsg, cl_map_raise). */
extern bool cl_map_jsonb(CLMapState *st, Jsonb *doc);
extern bool cl_map_tape(CLMapState *st, const struct CLTape *doc);

/* The mapped row as a composite Datum of the kind's row type. */
extern Datum cl_map_datum(CLMapState *st);

/* Raise the remembered error: errcode, path, the record's id. */
extern void cl_map_raise(CLMapState *st) pg_attribute_noreturn();

/*
 * The record in an error context, named by its kind's label and id as far
 * as mapped ("agent event record 0e3c...", "contact flow log event 6fe4...";
 * the label alone before the id is known).
 */
extern char *cl_map_record_name(CLMapState *st);

/*
 * For hooks and converters: remember an error (the first one wins).  The
 * message must not quote the record (it becomes load_rejects.reason, which
 * analysts read): cl_map_fail_value() keeps the offending value apart, for
 * the DETAIL of a parse function's error and the HINT of the loader's.
 */
extern void cl_map_fail(CLMapState *st, int errcode, const char *fmt,...) pg_attribute_printf(3, 4);
extern void cl_map_fail_value(CLMapState *st, const char *value, int len, int errcode,
							  const char *fmt,...) pg_attribute_printf(5, 6);

/* For hooks: the attribute number (0-based) of a column, -1 if none. */
extern int	cl_map_column(CLMapState *st, const char *column);
extern int	cl_tupdesc_column(TupleDesc tupdesc, const char *column);

/* For hooks: members of an object value, and a value as jsonb. */
typedef void (*CLMemberFn) (CLMapState *st, const char *key, int keylen, const CLValue *value, void *arg);
extern void cl_value_members(CLMapState *st, const CLValue *obj, CLMemberFn fn, void *arg);
extern Datum cl_value_jsonb(CLMapState *st, const CLValue *value);

/*
 * For hooks converting a number themselves: false (and the record failed)
 * when its value was lost in parsing (a json-c integer beyond 64 bits).
 */
extern bool cl_value_number_ok(CLMapState *st, const CLValue *v);

/* A number value's text (palloc'd): a file's as json-c gives it, jsonb's as numeric_out. */
extern char *cl_value_number_text(const CLValue *v);

/* For hooks: convert a value as a field of the given type into column attno. */
extern void cl_map_store(CLMapState *st, int attno, CLFieldType type, int flags, const CLValue *value);

/*
 * One JSON text parsed strictly, as the loader parses a file's records (what
 * names it in errors, e.g. "ctr record"), into a tape (json-c's errors and
 * values, see jsontape.h) that the reader keeps and reuses: valid until its
 * next call, its strings may point into s.  A reader lives in a memory
 * context (a parse function's call site: fn_mcxt), which releases its
 * malloc'd arrays when reset or deleted, however the calls ended.
 */
typedef struct CLTextReader CLTextReader;
extern CLTextReader *cl_text_reader_new(MemoryContext cxt);
extern const struct CLTape *cl_parse_json_text(CLTextReader *reader, const char *s, int len, const char *what);

/*
 * The body of a kind's SQL parse function, connect_lake.<kind>_parse(doc
 * [, ...]): argument 0 is the record, as jsonb or as JSON text parsed as the
 * loader parses a file's records (errors name kind->label); returns the row
 * of kind as a composite Datum, or raises the record's error.  The mapper is
 * kept per call site (fn_extra), so a query parsing a million rows sets it
 * up once.  kind_arg: see CLMapState.kind_arg.
 */
extern Datum cl_kind_parse(FunctionCallInfo fcinfo, CLRecordKind *kind, CLMapPurpose purpose, void *kind_arg);

/*
 * cl_kind_parse() without forming the row, for a parse function that checks
 * the mapped record first (a record of a kind that routes may turn out to be
 * of another kind: st->kind says which).
 */
extern CLMapState *cl_parse_record(FunctionCallInfo fcinfo, CLRecordKind *kind, CLMapPurpose purpose, void *kind_arg);

/*
 * A slot per call site of a parse function, in fcinfo->flinfo->fn_mcxt, for
 * the kind's own cache of its argument (e.g. ctr's attribute map parsed from
 * jsonb, kept while the map's bytes stay the same).
 */
extern void **cl_parse_arg_cache(FunctionCallInfo fcinfo);

#endif							/* CL_RECMAP_H */
