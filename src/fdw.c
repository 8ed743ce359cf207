/*
 * fdw.c: connect_lake_fdw, Amazon Connect export files as foreign tables.
 *
 * Modelled on contrib/file_fdw.  A foreign table names a record kind and a
 * path (a file, a directory read recursively, or a glob); each scan lists the
 * files, and reads them one after another through the shared reader
 * (reader.h: decompression, framing, the kind's record mapping).  Columns
 * are matched to the kind's row type by name, so a table may carry any
 * subset of the kind's columns, plus source_file, source_offset and
 * source_line (where each record came from).
 *
 * Security as in file_fdw: only superusers and members of
 * pg_read_server_files may set `path`, and only on a foreign table.
 */
#include "postgres.h"

#include "jsonc.h"

#include <math.h>
#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/reloptions.h"
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "commands/vacuum.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "filelist.h"
#include "kinds.h"
#include "reader.h"

PG_FUNCTION_INFO_V1(connect_lake_fdw_handler);
PG_FUNCTION_INFO_V1(connect_lake_fdw_validator);

/* Bad records reported one by one (NOTICE) before only counting them. */
#define MAX_SKIP_NOTICES 10

typedef struct CLFdwOption
{
	const char *name;
	Oid			context;
} CLFdwOption;

/* path only on a foreign table (as file_fdw's filename); defaults on the server */
static const CLFdwOption valid_options[] = {
	{"kind", ForeignTableRelationId},
	{"path", ForeignTableRelationId},
	{"format", ForeignTableRelationId},
	{"compression", ForeignTableRelationId},
	{"on_error", ForeignTableRelationId},
	{"format", ForeignServerRelationId},
	{"compression", ForeignServerRelationId},
	{"on_error", ForeignServerRelationId},
	{NULL, InvalidOid}
};

typedef struct CLFdwOptions
{
	char	   *kind;
	char	   *path;
	char	   *format;
	char	   *compression;
	char	   *on_error;
} CLFdwOptions;

/* Where a foreign table column's value comes from. */
#define PROJ_NULL		(-1)
#define PROJ_LINE		(-2)	/* source_line */

typedef struct CLProjection
{
	const void *kc;				/* the kind cache (row type) it was built for */
	int		   *src;			/* per foreign column: row type attno or PROJ_* */
} CLProjection;

typedef struct CLFdwScan
{
	CLFdwOptions opts;
	CLRecordKind *kind;
	bool		skip;
	CLFileList *files;
	int			next_file;
	bool		open;
	CLReader	reader;
	TupleDesc	tupdesc;		/* the foreign table's */
	CLProjection proj[4];		/* the kind and the kinds it routes to */
	int			nproj;
	uint64		skipped;
	uint64		rows;
} CLFdwScan;

static void
option_conflict(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("conflicting or redundant options"),
			 errdetail("Option \"%s\" is given more than once.", name)));
}

/*
 * Store one option in o, refusing it twice in one list (table options may
 * still override the server's defaults: check_dup is false there).
 */
static void
set_option(CLFdwOptions *o, DefElem *def, bool check_dup)
{
	char	  **slot = NULL;

	if (strcmp(def->defname, "kind") == 0)
		slot = &o->kind;
	else if (strcmp(def->defname, "path") == 0)
		slot = &o->path;
	else if (strcmp(def->defname, "format") == 0)
		slot = &o->format;
	else if (strcmp(def->defname, "compression") == 0)
		slot = &o->compression;
	else if (strcmp(def->defname, "on_error") == 0)
		slot = &o->on_error;
	if (slot == NULL)
		return;
	if (check_dup && *slot)
		option_conflict(def->defname);
	*slot = defGetString(def);
}

/*
 * Check the options where they are given, as file_fdw does: only known
 * options in their allowed place, path only by a role that may read server
 * files, kind and path required on a foreign table, values checked now
 * rather than at the first scan.
 */
Datum
connect_lake_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	CLFdwOptions o;
	ListCell   *lc;

	memset(&o, 0, sizeof(o));
	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);
		bool		ok = false;

		for (const CLFdwOption *opt = valid_options; opt->name; opt++)
			if (opt->context == catalog && strcmp(opt->name, def->defname) == 0)
				ok = true;
		if (!ok)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			for (const CLFdwOption *opt = valid_options; opt->name; opt++)
				if (opt->context == catalog)
					appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", opt->name);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 buf.len ? errhint("Valid options in this context are: %s.", buf.data)
					 : errhint("There are no valid options in this context.")));
		}
		set_option(&o, def, true);
	}

	/*
	 * As file_fdw: which files a table reads is for those who may read
	 * server files.  Checked in the validator because nothing else sees the
	 * option being set.
	 */
	if (o.path && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser or a role with privileges of the pg_read_server_files role may specify the path option of a connect_lake_fdw foreign table")));

	if (o.kind)
		(void) cl_kind_by_name(o.kind);
	if (o.format)
		(void) cl_reader_format(o.format);
	if (o.compression)
		(void) cl_reader_compression(o.compression);
	if (o.on_error)
		(void) cl_reader_on_error_skip(o.on_error);

	if (catalog == ForeignTableRelationId)
	{
		if (o.kind == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
					 errmsg("option \"kind\" is required for connect_lake_fdw foreign tables"),
					 errhint("connect_lake.create_foreign_table() creates a table with the kind's columns.")));
		if (o.path == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_DYNAMIC_PARAMETER_VALUE_NEEDED),
					 errmsg("option \"path\" is required for connect_lake_fdw foreign tables")));
	}
	PG_RETURN_VOID();
}

/* Server defaults, then the table's own options. */
static void
get_options(Oid foreigntableid, CLFdwOptions *o)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	ListCell   *lc;

	memset(o, 0, sizeof(*o));
	foreach(lc, server->options)
		set_option(o, lfirst(lc), false);
	foreach(lc, table->options)
		set_option(o, lfirst(lc), false);
	if (o->kind == NULL || o->path == NULL)
		elog(ERROR, "connect_lake: connect_lake_fdw foreign table without kind or path");
	if (o->format == NULL)
		o->format = "auto";
	if (o->compression == NULL)
		o->compression = "auto";
	if (o->on_error == NULL)
		o->on_error = "stop";
}

/* ---------- planning ---------- */

typedef struct CLFdwPlan
{
	CLFdwOptions opts;
	double		bytes;			/* estimated decompressed bytes */
	BlockNumber pages;
	double		ntuples;
} CLFdwPlan;

/*
 * The bytes a scan will read, for the planner: stat of the path or the sum
 * of the files a glob or directory names; a missing path costs the default
 * and is reported by the scan, not at plan time.
 */
static void
estimate_bytes(CLFdwPlan *p, double *disk_bytes)
{
	struct stat st;
	CLFileList *files;

	*disk_bytes = 10 * BLCKSZ;
	p->bytes = *disk_bytes;
	/* a missing path is reported by the scan, not by the planner */
	if (strpbrk(p->opts.path, "*?[") == NULL && stat(p->opts.path, &st) != 0)
		return;
	files = cl_file_list(p->opts.path);
	*disk_bytes = 0;
	p->bytes = 0;
	for (int i = 0; i < files->nfiles; i++)
	{
		*disk_bytes += files->files[i].size;
		/* gzip'd JSON: about 8 times smaller */
		p->bytes += files->files[i].size * (files->files[i].gzip_name ? 8.0 : 1.0);
	}
}

/*
 * Rows to expect: from ANALYZE's density when there is one, else the files'
 * decompressed bytes over the kind's typical record size (typical_bytes).
 */
static void
clGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CLFdwPlan  *p = palloc0(sizeof(CLFdwPlan));
	double		disk_bytes;

	get_options(foreigntableid, &p->opts);
	estimate_bytes(p, &disk_bytes);
	p->pages = (BlockNumber) Max(1.0, ceil(disk_bytes / BLCKSZ));

	if (baserel->tuples >= 0 && baserel->pages > 0)
		p->ntuples = clamp_row_est(baserel->tuples / baserel->pages * p->pages);
	else
		p->ntuples = clamp_row_est(p->bytes / cl_kind_by_name(p->opts.kind)->typical_bytes);

	baserel->fdw_private = p;
	baserel->rows = clamp_row_est(p->ntuples *
								  clauselist_selectivity(root, baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

/*
 * One path, a full scan of the files, costed by their bytes: parsing and
 * mapping JSON costs far more per row than reading a heap tuple, and the
 * planner should know it when choosing joins around the foreign table.
 */
static void
clGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CLFdwPlan  *p = baserel->fdw_private;
	Cost		startup = baserel->baserestrictcost.startup;
	Cost		per_tuple;
	Cost		total;

	/* parsing and mapping JSON costs far more than a heap tuple */
	per_tuple = cpu_tuple_cost * 10 + cpu_operator_cost * (p->bytes / Max(p->ntuples, 1.0)) / 4
		+ baserel->baserestrictcost.per_tuple;
	total = startup + seq_page_cost * p->pages + per_tuple * p->ntuples;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel,
									 NULL,	/* default pathtarget */
									 baserel->rows,
#if PG_VERSION_NUM >= 180000
									 0,		/* no disabled nodes */
#endif
									 startup, total,
									 NIL,	/* no pathkeys */
									 baserel->lateral_relids,
									 NULL,	/* no extra plan */
#if PG_VERSION_NUM >= 170000
									 NIL,	/* no fdw_restrictinfo list */
#endif
									 NIL));
}

static ForeignScan *
clGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				 ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL, NIL, NIL, NIL, outer_plan);
}

static bool
clIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	/*
	 * A parallel worker can run the whole scan (it is not parallel-aware, so
	 * exactly one process reads the files): it reads files as the same user
	 * and keeps no state another process needs.
	 */
	return true;
}

/*
 * EXPLAIN shows the kind and path, the format and compression when set or
 * VERBOSE, and sizes only with costs on (file_fdw's rule: no sizes in
 * regression output with COSTS OFF).
 */
static void
clExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	CLFdwOptions o;

	get_options(RelationGetRelid(node->ss.ss_currentRelation), &o);
	ExplainPropertyText("Connect Lake Kind", o.kind, es);
	ExplainPropertyText("Connect Lake Path", o.path, es);
	if (strcmp(o.format, "auto") != 0 || es->verbose)
		ExplainPropertyText("Connect Lake Format", o.format, es);
	if (es->costs)
	{
		CLFdwScan  *s = node->fdw_state;
		CLFileList *files = s ? s->files : NULL;

		if (files == NULL)
		{
			struct stat st;

			if (strpbrk(o.path, "*?[") != NULL || stat(o.path, &st) == 0)
				files = cl_file_list(o.path);
		}
		if (files)
		{
			ExplainPropertyInteger("Connect Lake Files", NULL, files->nfiles, es);
			ExplainPropertyInteger("Connect Lake Size", "b", files->total_bytes, es);
		}
	}
	if (es->analyze && node->fdw_state)
	{
		CLFdwScan  *s = node->fdw_state;

		if (s->skip)
			ExplainPropertyInteger("Connect Lake Bad Records Skipped", NULL, s->skipped, es);
	}
}

/* ---------- scanning ---------- */

/*
 * Which row-type column (or source_line) fills each column of the foreign
 * table, matched by name, so that a foreign table may hold any subset of
 * the kind's columns in any order.  strict (the kind's own type) raises on a
 * mismatch; for a routed kind a missing column simply stays NULL.
 */
static int *
build_projection(CLFdwScan *s, Relation rel, bool strict)
{
	TupleDesc	td = s->tupdesc;
	CLMapState *st = &s->reader.st;
	int		   *src = palloc(sizeof(int) * td->natts);

	for (int i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);
		const char *name = NameStr(att->attname);
		int			a;

		src[i] = PROJ_NULL;
		if (att->attisdropped)
			continue;
		if (strcmp(name, "source_line") == 0)
		{
			if (att->atttypid != INT8OID && strict)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"source_line\" of foreign table \"%s\" must be of type bigint",
								RelationGetRelationName(rel))));
			src[i] = PROJ_LINE;
			continue;
		}
		a = cl_map_column(st, name);
		if (a < 0)
		{
			if (strict)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of foreign table \"%s\" is not a column of record kind %s",
								name, RelationGetRelationName(rel), st->kind->name),
						 errhint("Columns are matched by name to type connect_lake.%s, plus source_line; connect_lake.create_foreign_table() creates them all.",
								 st->kind->rowtype)));
			continue;
		}
		if (TupleDescAttr(st->tupdesc, a)->atttypid != att->atttypid)
		{
			if (strict)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of foreign table \"%s\" has type %s, but record kind %s gives %s",
								name, RelationGetRelationName(rel), format_type_be(att->atttypid),
								st->kind->name, format_type_be(TupleDescAttr(st->tupdesc, a)->atttypid))));
			continue;
		}
		src[i] = a;
	}
	return src;
}

/*
 * A scan's state for the table's options: the reader for its kind and
 * format, files listed at the start, read one by one as rows are asked for.
 */
static CLFdwScan *
scan_begin(Relation rel, TupleDesc tupdesc)
{
	CLFdwScan  *s = palloc0(sizeof(CLFdwScan));

	get_options(RelationGetRelid(rel), &s->opts);
	s->kind = cl_kind_by_name(s->opts.kind);
	s->skip = cl_reader_on_error_skip(s->opts.on_error);
	s->tupdesc = tupdesc;
	cl_reader_init(&s->reader, s->kind, CL_MAP_READ, cl_reader_format(s->opts.format),
				   cl_reader_compression(s->opts.compression));
	s->proj[0].kc = s->reader.st.kc;
	s->proj[0].src = build_projection(s, rel, true);
	s->nproj = 1;
	s->files = cl_file_list(s->opts.path);
	return s;
}

/*
 * The projection for the kind the current row was mapped as (routing may
 * change it per record), built once per kind and kept in a small cache.
 */
static int *
projection_for(CLFdwScan *s)
{
	const void *kc = s->reader.st.kc;

	for (int i = 0; i < s->nproj; i++)
		if (s->proj[i].kc == kc)
			return s->proj[i].src;
	if (s->nproj == lengthof(s->proj))
		s->nproj = 1;			/* keep the kind's own */
	s->proj[s->nproj].kc = kc;
	s->proj[s->nproj].src = build_projection(s, NULL, false);
	return s->proj[s->nproj++].src;
}

/* The next row into values/nulls; false at the end of the last file. */
static bool
scan_next(CLFdwScan *s, Datum *values, bool *nulls)
{
	for (;;)
	{
		int			rc;
		int		   *src;

		if (!s->open)
		{
			if (s->next_file >= s->files->nfiles)
				return false;
			cl_reader_open(&s->reader, &s->files->files[s->next_file++]);
			s->open = true;
		}
		rc = cl_reader_next(&s->reader);
		if (rc == CL_READ_END)
		{
			cl_reader_close(&s->reader);
			s->open = false;
			continue;
		}
		if (rc == CL_READ_BAD)
		{
			if (!s->skip)
				cl_reader_raise(&s->reader);
			s->skipped++;
			if (s->skipped <= MAX_SKIP_NOTICES)
			{
				cl_reader_push_context(&s->reader);
				ereport(NOTICE,
						(errcode(s->reader.errcode),
						 errmsg("skipping bad record at line %llu, byte offset %llu of \"%s\": %s",
								(unsigned long long) s->reader.err_line,
								(unsigned long long) s->reader.err_offset,
								s->reader.path, s->reader.errmsg),
						 s->reader.errdetail ? errdetail("%s", s->reader.errdetail) : 0,
						 s->reader.errvalue ? errhint("%s", s->reader.errvalue) : 0));
				cl_reader_pop_context(&s->reader);
			}
			continue;
		}

		s->rows++;
		src = projection_for(s);
		for (int i = 0; i < s->tupdesc->natts; i++)
		{
			int			a = src[i];

			if (a >= 0)
			{
				values[i] = s->reader.st.values[a];
				nulls[i] = s->reader.st.nulls[a];
			}
			else if (a == PROJ_LINE && s->reader.rec.line > 0)
			{
				values[i] = Int64GetDatum((int64) s->reader.rec.line);
				nulls[i] = false;
			}
			else
			{
				values[i] = (Datum) 0;
				nulls[i] = true;
			}
		}
		return true;
	}
}

/*
 * Close the scan; skipped bad records are summed in one WARNING, after the
 * first ones were reported one by one.
 */
static void
scan_end(CLFdwScan *s)
{
	if (s->open)
		cl_reader_close(&s->reader);
	s->open = false;
	if (s->skipped > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("connect_lake_fdw skipped %llu bad record%s of kind %s under \"%s\"",
						(unsigned long long) s->skipped, s->skipped == 1 ? "" : "s",
						s->kind->name, s->opts.path),
				 s->skipped > MAX_SKIP_NOTICES
				 ? errdetail("The first %d were reported one by one.", MAX_SKIP_NOTICES) : 0,
				 errhint("connect_lake.load() with on_error 'skip' keeps bad records in connect_lake.load_rejects.")));
	s->skipped = 0;
}

static void
clBeginForeignScan(ForeignScanState *node, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	node->fdw_state = scan_begin(node->ss.ss_currentRelation,
								 RelationGetDescr(node->ss.ss_currentRelation));
}

/*
 * The next row, mapped by the reader and projected onto the foreign table's
 * columns (scan_next), or an empty slot at the end of the last file.
 */
static TupleTableSlot *
clIterateForeignScan(ForeignScanState *node)
{
	CLFdwScan  *s = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (scan_next(s, slot->tts_values, slot->tts_isnull))
		ExecStoreVirtualTuple(slot);
	return slot;
}

static void
clReScanForeignScan(ForeignScanState *node)
{
	CLFdwScan  *s = node->fdw_state;

	if (s->open)
		cl_reader_close(&s->reader);
	s->open = false;
	s->next_file = 0;
}

static void
clEndForeignScan(ForeignScanState *node)
{
	CLFdwScan  *s = node->fdw_state;

	if (s == NULL)
		return;
	scan_end(s);
}

/* ---------- ANALYZE ---------- */

/*
 * ANALYZE's sample: every row is read (a JSON file has no pages to sample)
 * and a reservoir of targrows kept, in a context reset at the end.
 */
static int
acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows, int targrows,
					double *totalrows, double *totaldeadrows)
{
	TupleDesc	td = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * td->natts);
	bool	   *nulls = palloc(sizeof(bool) * td->natts);
	MemoryContext scancxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake analyze",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(scancxt);
	CLFdwScan  *s = scan_begin(rel, td);
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	int			numrows = 0;

	MemoryContextSwitchTo(old);
	*totalrows = 0;
	*totaldeadrows = 0;
	reservoir_init_selection_state(&rstate, targrows);

	for (;;)
	{
		bool		got;

#if PG_VERSION_NUM >= 180000
		vacuum_delay_point(true);
#else
		vacuum_delay_point();
#endif
		old = MemoryContextSwitchTo(scancxt);
		got = scan_next(s, values, nulls);
		MemoryContextSwitchTo(old);
		if (!got)
			break;
		if (numrows < targrows)
			rows[numrows++] = heap_form_tuple(td, values, nulls);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, *totalrows, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				heap_freetuple(rows[k]);
				rows[k] = heap_form_tuple(td, values, nulls);
			}
			rowstoskip -= 1;
		}
		*totalrows += 1;
	}
	old = MemoryContextSwitchTo(scancxt);
	scan_end(s);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(scancxt);

	ereport(elevel,
			(errmsg("\"%s\": connect_lake files contain %.0f rows; %d rows in sample",
					RelationGetRelationName(rel), *totalrows, numrows)));
	return numrows;
}

/* ANALYZE is supported: its page count is the files' size in blocks. */
static bool
clAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages)
{
	CLFdwOptions o;
	CLFileList *files;

	get_options(RelationGetRelid(relation), &o);
	files = cl_file_list(o.path);
	*totalpages = (BlockNumber) Max(1, (files->total_bytes + BLCKSZ - 1) / BLCKSZ);
	*func = acquire_sample_rows;
	return true;
}

/*
 * The FDW's callbacks: a scan of files through the same reader and mapper
 * as load(), parallel safe, with EXPLAIN and ANALYZE.
 */
Datum
connect_lake_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *r = makeNode(FdwRoutine);

	r->GetForeignRelSize = clGetForeignRelSize;
	r->GetForeignPaths = clGetForeignPaths;
	r->GetForeignPlan = clGetForeignPlan;
	r->ExplainForeignScan = clExplainForeignScan;
	r->BeginForeignScan = clBeginForeignScan;
	r->IterateForeignScan = clIterateForeignScan;
	r->ReScanForeignScan = clReScanForeignScan;
	r->EndForeignScan = clEndForeignScan;
	r->AnalyzeForeignTable = clAnalyzeForeignTable;
	r->IsForeignScanParallelSafe = clIsForeignScanParallelSafe;
	PG_RETURN_POINTER(r);
}
