/*
 * upkeep.c: the writers' upkeep at commit of the rows a transaction wrote
 * (upkeep.h says what a kind declares and what this file guarantees).
 *
 * Per kind with an upkeep, the transaction's items: a key (uuid or text),
 * a time span (one time, or a key's first and last), the transaction nest
 * level that collected it and the settings that were on.  Items are
 * appended per batch and, when the array fills, sorted and merged (same
 * key, and same time unless the kind keeps spans): a merged item keeps the
 * outermost level and the union of spans and settings.  Keeping too much
 * is harmless, since every action recomputes from what the tables hold;
 * keeping too little is not, so a rolled-back subtransaction drops only
 * items no outer level shares.
 *
 * Once per transaction, not per file or per call: an action's fixed cost
 * (planning, the rollups of the intervals touched) is paid once however
 * many files load() reads, and a pipeline calling ingest() per record in
 * one transaction pays it once too.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "connect_lake.h"
#include "erasure.h"
#include "kinds.h"
#include "upkeep.h"
#include "writer.h"

/* ---------- the settings ---------- */

static bool metrics_upkeep = true;
static bool flows_upkeep = true;
static bool erasure_in_force = false;	/* read when a writer begins */
static bool repeats_upkeep = true;

void
cl_upkeep_init(void)
{
	DefineCustomBoolVariable("connect_lake.metrics_upkeep",
							 "Keep the contact metrics as CTRs land.",
							 "On: load(), ingest() and ingest_batch() bring contact_metric and the metric rollups and the agent activity up to date for the contacts and agents a transaction landed, when it commits. Off: run metrics_refresh() (and agent_activity_refresh()) afterwards. The repeat contacts have their own setting, connect_lake.repeats_upkeep.",
							 &metrics_upkeep,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("connect_lake.flows_upkeep",
							 "Keep the contact flow tables as flow logs and CTRs land.",
							 "On: load(), ingest() and ingest_batch() rebuild contact_flow_path, flow_block_day, flow_entry_day, flow_names and flow_version for the local days the flow logs a transaction landed touched, and the outcome of the contacts whose CTRs it landed, when it commits. Off: run flows_refresh() afterwards.",
							 &flows_upkeep,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("connect_lake.repeats_upkeep",
							 "Keep the repeat contacts as CTRs land.",
							 "On: load(), ingest() and ingest_batch() bring contact_repeat up to date for the customers whose contacts a transaction landed, when it commits. Off: run contact_repeat_refresh() afterwards.",
							 &repeats_upkeep,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

/*
 * The settings' names (upkeep_queue.settings), by CLUpkeepSetting; the
 * erasure's actions are immediate, never queued.
 */
static const char *const setting_names[CL_UPKEEP_NSETTINGS] = {NULL, "metrics_upkeep", "flows_upkeep", NULL, "repeats_upkeep"};

/* The settings on now, as a mask of 1 << CLUpkeepSetting. */
static uint8
settings_on(void)
{
	return (1 << CL_UPKEEP_ALWAYS) | (metrics_upkeep ? 1 << CL_UPKEEP_METRICS : 0) |
		(flows_upkeep ? 1 << CL_UPKEEP_FLOWS : 0) |
		(erasure_in_force ? 1 << CL_UPKEEP_ERASURE : 0) |
		(repeats_upkeep ? 1 << CL_UPKEEP_REPEATS : 0);
}

void
cl_upkeep_writer_begin(void)
{
	erasure_in_force = cl_erasure_in_force();
}

/* The column a kind's upkeep keys its items by: its own, else the kind's id. */
static const char *
upkeep_key_column(const CLRecordKind *kind)
{
	return kind->upkeep->key_column ? kind->upkeep->key_column : kind->id_column;
}

/* ---------- what a transaction collected ---------- */

typedef struct UpkeepItem
{
	union
	{
		pg_uuid_t	uuid;
		char	   *text;		/* in pending_cxt */
	}			key;
	TimestampTz first;
	TimestampTz last;
	int			level;			/* transaction nest level that collected it */
	uint8		on;				/* settings on when it was collected */
} UpkeepItem;

/* One kind's items in this transaction. */
typedef struct UpkeepSet
{
	CLRecordKind *kind;
	bool		text_keys;
	UpkeepItem *items;
	int			n;
	int			cap;
	int			merged;			/* n after the last merge */
	bool		hooks_used;		/* the kind's C hooks collected something */
} UpkeepSet;

#define UPKEEP_MAX_KINDS 8

static UpkeepSet pending[UPKEEP_MAX_KINDS];

/*
 * The rejects written (load_rejects): the outermost transaction nest level
 * that wrote one (0: none), and the settings on then.
 */
static const CLUpkeepAction rejects_actions[] = {
	CL_UPKEEP_ERASURE_REJECTS_ACTION,
};
static int	rejects_level = 0;
static uint8 rejects_on = 0;

static bool deferred = false;	/* cl_upkeep_defer(): queue the items instead */
static int	npending = 0;
static MemoryContext pending_cxt = NULL;
static bool callbacks = false;
static bool sort_text;			/* for item_cmp */
static bool sort_spans;

static int
item_cmp(const void *pa, const void *pb)
{
	const UpkeepItem *a = pa;
	const UpkeepItem *b = pb;
	int			c = sort_text ? strcmp(a->key.text, b->key.text)
		: memcmp(a->key.uuid.data, b->key.uuid.data, UUID_LEN);

	if (c != 0 || sort_spans)
		return c;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return 0;
}

/* Sort and merge items of one key (and time, unless spans are kept). */
static void
merge(UpkeepSet *s)
{
	int			out = 0;
	bool		spans = s->kind->upkeep->spans;

	if (s->n > 1)
	{
		sort_text = s->text_keys;
		sort_spans = spans;
		qsort(s->items, s->n, sizeof(UpkeepItem), item_cmp);
		for (int i = 0; i < s->n; i++)
		{
			UpkeepItem *it = &s->items[i];

			if (out > 0 && item_cmp(&s->items[out - 1], it) == 0)
			{
				UpkeepItem *m = &s->items[out - 1];

				m->first = Min(m->first, it->first);
				m->last = Max(m->last, it->last);
				m->level = Min(m->level, it->level);
				m->on |= it->on;
				continue;
			}
			s->items[out++] = *it;
		}
		s->n = out;
	}
	s->merged = s->n;
}

static void
forget(void)
{
	for (int k = 0; k < npending; k++)
	{
		const CLUpkeepHooks *h = pending[k].kind->upkeep->hooks;

		if (h && pending[k].hooks_used)
			h->forget();
	}
	npending = 0;
	memset(pending, 0, sizeof(pending));
	if (pending_cxt)
		MemoryContextReset(pending_cxt);
	rejects_level = 0;
	rejects_on = 0;
	erasure_in_force = false;
}

/* ---------- at commit ---------- */

/* The arrays of an SQL action: the items collected while its setting was on. */
static int
action_args(UpkeepSet *s, const CLUpkeepAction *a, Datum *args, Oid *argtypes)
{
	bool		kind_first = (a->args == CL_UPKEEP_KIND_KEY_TIMES);
	bool		as_text = s->text_keys || kind_first;
	Oid			keytype = as_text ? TEXTOID : UUIDOID;
	int			first = kind_first ? 1 : 0;
	Datum	   *keys = palloc(sizeof(Datum) * (s->n + 1));
	Datum	   *firsts = palloc(sizeof(Datum) * (s->n + 1));
	Datum	   *lasts = palloc(sizeof(Datum) * (s->n + 1));
	int			n = 0;

	for (int i = 0; i < s->n; i++)
	{
		UpkeepItem *it = &s->items[i];
		Datum		key;

		if (!(it->on & (1 << a->setting)))
			continue;
		if (s->text_keys)
			key = CStringGetTextDatum(it->key.text);
		else if (as_text)
			key = CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&it->key.uuid))));
		else
			key = UUIDPGetDatum(&it->key.uuid);
		/* keys only: each key once (items are sorted by key) */
		if (a->args == CL_UPKEEP_KEYS && n > 0 &&
			(s->text_keys ? strcmp(it->key.text, s->items[i - 1].key.text) == 0
			 : memcmp(it->key.uuid.data, s->items[i - 1].key.uuid.data, UUID_LEN) == 0) &&
			(s->items[i - 1].on & (1 << a->setting)))
			continue;
		keys[n] = key;
		firsts[n] = TimestampTzGetDatum(it->first);
		lasts[n] = TimestampTzGetDatum(it->last);
		n++;
	}
	if (n == 0)
		return 0;
	if (kind_first)
	{
		argtypes[0] = TEXTOID;
		args[0] = CStringGetTextDatum(s->kind->name);
	}
	argtypes[first] = as_text ? TEXTARRAYOID : UUIDARRAYOID;
	args[first] = cl_writer_array(keys, NULL, n, keytype);
	if (a->args == CL_UPKEEP_KEYS)
		return 1;
	argtypes[first + 1] = TIMESTAMPTZARRAYOID;
	args[first + 1] = cl_writer_array(firsts, NULL, n, TIMESTAMPTZOID);
	if (a->args == CL_UPKEEP_KEY_TIMES || a->args == CL_UPKEEP_KIND_KEY_TIMES)
		return first + 2;
	argtypes[2] = TIMESTAMPTZARRAYOID;
	args[2] = cl_writer_array(lasts, NULL, n, TIMESTAMPTZOID);
	return 3;
}

/* An action's SQL function called with nargs arguments (an action of the rejects: none). */
static void
call_action(const CLUpkeepAction *a, int nargs, Oid *argtypes, Datum *args)
{
	StringInfoData sql;
	int			rc;

	/* a lake of a version without the function (not yet updated) keeps nothing */
	if (!OidIsValid(LookupFuncName(list_make2(makeString(CONNECT_LAKE_SCHEMA),
											  makeString(unconstify(char *, a->function))),
								   nargs, argtypes, true)))
		return;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s.%s(", quote_identifier(CONNECT_LAKE_SCHEMA),
					 quote_identifier(a->function));
	for (int i = 1; i <= nargs; i++)
		appendStringInfo(&sql, "%s$%d", i > 1 ? ", " : "", i);
	appendStringInfoChar(&sql, ')');
	rc = SPI_execute_with_args(sql.data, nargs, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: %s failed: %s", sql.data, SPI_result_code_string(rc));
}

static void
run_action(UpkeepSet *s, const CLUpkeepAction *a)
{
	Datum		args[3];
	Oid			argtypes[3];
	int			nargs = action_args(s, a, args, argtypes);

	if (nargs > 0)
		call_action(a, nargs, argtypes, args);
}

/*
 * A kind's actions over what was collected (at commit, or a drain of the
 * queue), in the order declared: the one place that runs them (on a lake
 * distributed on Citus too: where Citus cannot plan an action's statements
 * over the distributed tables, the action reads copies of the rows it
 * needs, citus_fact_rows()).  SPI connected.
 */
static void
run_actions(UpkeepSet *s, bool immediate_only)
{
	const CLUpkeep *u = s->kind->upkeep;

	merge(s);
	for (int i = 0; i < u->nactions; i++)
		if (u->actions[i].immediate || !immediate_only)
			run_action(s, &u->actions[i]);
}

/* The settings of a kind's actions that may be queued (not immediate). */
static uint8
queued_settings(const CLUpkeep *u)
{
	uint8		mask = 0;

	for (int i = 0; i < u->nactions; i++)
		if (!u->actions[i].immediate)
			mask |= 1 << u->actions[i].setting;
	return mask;
}

/*
 * Deferred (load()'s workers): a kind's items queued in upkeep_queue instead,
 * one row per combination of settings that were on, for the actions that
 * are not immediate (an item none of them wants is not queued).  SPI
 * connected.
 */
static void
queue_set(UpkeepSet *s)
{
	bool		done[1 << CL_UPKEEP_NSETTINGS] = {0};
	Datum	   *keys = palloc(sizeof(Datum) * (s->n + 1));
	Datum	   *firsts = palloc(sizeof(Datum) * (s->n + 1));
	Datum	   *lasts = palloc(sizeof(Datum) * (s->n + 1));
	Oid			argtypes[5] = {TEXTOID, TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, TIMESTAMPTZARRAYOID};
	char	   *sql = psprintf("INSERT INTO %s.upkeep_queue (kind, settings, keys, firsts, lasts) VALUES ($1, $2, $3, $4, $5)",
							   quote_identifier(CONNECT_LAKE_SCHEMA));

	uint8		queued = queued_settings(s->kind->upkeep);

	merge(s);
	for (int i = 0; i < s->n; i++)
	{
		uint8		on = s->items[i].on & queued;
		Datum		names[CL_UPKEEP_NSETTINGS];
		int			nnames = 0;
		Datum		args[5];
		int			n = 0;
		int			rc;

		if (on == 0 || done[on])
			continue;
		done[on] = true;
		for (int j = i; j < s->n; j++)
		{
			UpkeepItem *it = &s->items[j];

			if ((it->on & queued) != on)
				continue;
			keys[n] = CStringGetTextDatum(s->text_keys ? it->key.text
										  : DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(&it->key.uuid))));
			firsts[n] = TimestampTzGetDatum(it->first);
			lasts[n] = TimestampTzGetDatum(it->last);
			n++;
		}
		for (int k = 0; k < CL_UPKEEP_NSETTINGS; k++)
			if (setting_names[k] && (on & (1 << k)))
				names[nnames++] = CStringGetTextDatum(setting_names[k]);
		args[0] = CStringGetTextDatum(s->kind->name);
		args[1] = cl_writer_array(names, NULL, nnames, TEXTOID);
		args[2] = cl_writer_array(keys, NULL, n, TEXTOID);
		args[3] = cl_writer_array(firsts, NULL, n, TIMESTAMPTZOID);
		args[4] = cl_writer_array(lasts, NULL, n, TIMESTAMPTZOID);
		rc = SPI_execute_with_args(sql, 5, argtypes, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "connect_lake: queueing the upkeep failed: %s", SPI_result_code_string(rc));
	}
}

/*
 * pending[]'s indexes in the registry's order of their kinds
 * (cl_kind_order()), whatever order the transaction landed them in: the
 * kinds' upkeep locks are then always taken in one order.
 */
static void
pending_in_kind_order(int *order)
{
	for (int k = 0; k < npending; k++)
	{
		int			j = k;

		while (j > 0 && cl_kind_order(pending[order[j - 1]].kind) > cl_kind_order(pending[k].kind))
		{
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
}

/*
 * Just before commit: each kind's actions (or, deferred, its items queued),
 * then its C hooks, the kinds in the registry's order.
 */
static void
run_upkeep(void)
{
	CLWriterIdentity identity;
	int			order[UPKEEP_MAX_KINDS];

	if ((npending == 0 && rejects_level == 0) || !OidIsValid(get_namespace_oid(CONNECT_LAKE_SCHEMA, true)))
		return;

	/* at pre-commit no statement is running: give the queries a snapshot */
	PushActiveSnapshot(GetTransactionSnapshot());
	/* as the writers wrote the rows (on Citus, as the tables' owner) */
	cl_writer_identity_begin(&identity);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	pending_in_kind_order(order);
	for (int o = 0; o < npending; o++)
	{
		UpkeepSet  *s = &pending[order[o]];
		const CLUpkeep *u = s->kind->upkeep;

		/* deferred: the immediate actions now, the others queued */
		run_actions(s, deferred);
		if (deferred && s->n > 0)
			queue_set(s);
		if (u->hooks && s->hooks_used)
			u->hooks->commit();
	}
	/* the rejects' actions (immediate) */
	if (rejects_level > 0)
		for (int i = 0; i < lengthof(rejects_actions); i++)
			if (rejects_on & (1 << rejects_actions[i].setting))
				call_action(&rejects_actions[i], 0, NULL, NULL);
	SPI_finish();
	cl_writer_identity_end(&identity);
	PopActiveSnapshot();
}

static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			run_upkeep();
			forget();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			forget();
			break;
		default:
			break;
	}
}

/* A rolled-back subtransaction drops what it collected; a committed one hands it up. */
static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	for (int k = 0; k < npending; k++)
	{
		UpkeepSet  *s = &pending[k];
		const CLUpkeepHooks *h = s->kind->upkeep->hooks;
		int			out = 0;

		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			for (int i = 0; i < s->n; i++)
				if (s->items[i].level < level)
					s->items[out++] = s->items[i];
			s->n = out;
			s->merged = 0;
		}
		else
		{
			for (int i = 0; i < s->n; i++)
				if (s->items[i].level >= level)
					s->items[i].level = level - 1;
		}
		if (h && s->hooks_used)
			h->subxact(event == SUBXACT_EVENT_COMMIT_SUB, level);
	}
	if (rejects_level >= level)
		rejects_level = (event == SUBXACT_EVENT_ABORT_SUB) ? 0 : level - 1;
}

/* ---------- collecting ---------- */

static void
register_callbacks(void)
{
	if (!callbacks)
	{
		RegisterXactCallback(xact_callback, NULL);
		RegisterSubXactCallback(subxact_callback, NULL);
		callbacks = true;
	}
}

static UpkeepSet *
set_for(CLRecordKind *kind)
{
	UpkeepSet  *s;

	register_callbacks();
	if (pending_cxt == NULL)
		pending_cxt = AllocSetContextCreate(TopMemoryContext, "connect_lake upkeep",
											ALLOCSET_DEFAULT_SIZES);
	for (int k = 0; k < npending; k++)
		if (pending[k].kind == kind)
			return &pending[k];
	if (npending == UPKEEP_MAX_KINDS)
		elog(ERROR, "connect_lake: too many kinds with upkeep");
	s = &pending[npending++];
	s->kind = kind;
	return s;
}

/* Room for n more items: merged first when full, grown when merging freed less than half. */
static void
make_room(UpkeepSet *s, int n)
{
	if (s->n + n <= s->cap)
		return;
	if (s->n > s->merged)
		merge(s);
	if (s->n + n > s->cap || s->n > s->cap / 2)
	{
		int			cap = Max(1024, Max(s->cap * 2, s->n + n));

		s->items = s->items ? repalloc_huge(s->items, sizeof(UpkeepItem) * cap)
			: MemoryContextAllocHuge(pending_cxt, sizeof(UpkeepItem) * cap);
		s->cap = cap;
	}
}

void
cl_upkeep_collect(CLRecordKind *kind, TupleDesc tupdesc, const CLLanded *landed,
				  HeapTuple *tuples, int ntuples)
{
	const CLUpkeep *u = kind->upkeep;
	uint8		on = settings_on();
	uint8		wanted = 0;
	UpkeepSet  *s;
	int			key_att;
	int			ts_att;
	int			level = GetCurrentTransactionNestLevel();
	int			n = landed ? landed->n : ntuples;
	Oid			keytype;

	if (u == NULL || n == 0)
		return;
	for (int i = 0; i < u->nactions; i++)
		wanted |= 1 << u->actions[i].setting;
	if (u->hooks && landed && (on & (1 << u->hooks->setting)))
	{
		s = set_for(kind);
		s->hooks_used = true;
		u->hooks->collect(landed, level);
	}
	if (!(wanted & on))
		return;

	key_att = cl_tupdesc_column(tupdesc, upkeep_key_column(kind));
	ts_att = cl_tupdesc_column(tupdesc, kind->partition_column);
	keytype = key_att >= 0 ? TupleDescAttr(tupdesc, key_att)->atttypid : InvalidOid;
	if ((keytype != UUIDOID && keytype != TEXTOID) || ts_att < 0 ||
		TupleDescAttr(tupdesc, ts_att)->atttypid != TIMESTAMPTZOID)
		elog(ERROR, "connect_lake: kind %s has upkeep but %s is not a uuid or text column or %s not a timestamptz",
			 kind->name, upkeep_key_column(kind), kind->partition_column);

	s = set_for(kind);
	s->text_keys = (keytype == TEXTOID);
	make_room(s, n);
	for (int i = 0; i < n; i++)
	{
		UpkeepItem *it = &s->items[s->n];
		Datum		key,
					ts;
		bool		knull,
					tnull;

		if (landed)
		{
			key = landed->rows[i].values[key_att];
			knull = landed->rows[i].nulls[key_att];
			ts = landed->rows[i].values[ts_att];
			tnull = landed->rows[i].nulls[ts_att];
		}
		else
		{
			key = heap_getattr(tuples[i], key_att + 1, tupdesc, &knull);
			ts = heap_getattr(tuples[i], ts_att + 1, tupdesc, &tnull);
		}
		if (knull || tnull)
			continue;
		if (s->text_keys)
			it->key.text = MemoryContextStrdup(pending_cxt, TextDatumGetCString(key));
		else
			memcpy(it->key.uuid.data, DatumGetUUIDP(key)->data, UUID_LEN);
		it->first = it->last = DatumGetTimestampTz(ts);
		it->level = level;
		it->on = on;
		s->n++;
	}
}

/*
 * A writer's caller kept rejects (load_rejects) in this transaction: the
 * rejects' actions run at its commit, with the settings on now (the erasure
 * check of their raw text, while the erasure list is in force).
 */
void
cl_upkeep_rejected(void)
{
	uint8		on = settings_on();
	uint8		wanted = 0;
	int			level = GetCurrentTransactionNestLevel();

	for (int i = 0; i < lengthof(rejects_actions); i++)
		wanted |= 1 << rejects_actions[i].setting;
	if (!(wanted & on))
		return;
	register_callbacks();
	if (rejects_level == 0 || level < rejects_level)
		rejects_level = level;
	rejects_on |= on;
}

/* ---------- deferred: load()'s workers ---------- */

/*
 * A worker commits every file on its own, and the actions' fixed cost (the
 * rollups of the intervals touched, the repeat rule) paid per file would
 * cost more than the file.  With cl_upkeep_defer(true) what a transaction
 * collected is not given to the actions at commit but queued in
 * connect_lake.upkeep_queue, in the same transaction (a file and its queued
 * upkeep commit together; the C hooks still run at its commit);
 * cl_upkeep_drain() then runs the actions once for many files' items, in a
 * transaction that deletes what it ran.  A worker killed between the two
 * leaves its items queued: the next drain runs them.
 */
void
cl_upkeep_defer(bool on)
{
	deferred = on;
}

/* The items of a kind's queue rows (key, first, last, settings) as a set, in CurrentMemoryContext. */
static void
set_from_queue(UpkeepSet *s, CLRecordKind *kind, SPITupleTable *tt, uint64 nrows)
{
	Oid			relid = cl_relation_oid(kind->table);
	AttrNumber	att = get_attnum(relid, upkeep_key_column(kind));

	memset(s, 0, sizeof(UpkeepSet));
	s->kind = kind;
	s->text_keys = (get_atttype(relid, att) == TEXTOID);
	s->items = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(UpkeepItem) * (nrows + 1));
	s->cap = nrows + 1;
	for (uint64 r = 0; r < nrows; r++)
	{
		UpkeepItem *it = &s->items[s->n];
		HeapTuple	tup = tt->vals[r];
		bool		isnull[4];
		Datum		key = SPI_getbinval(tup, tt->tupdesc, 1, &isnull[0]);
		Datum		first = SPI_getbinval(tup, tt->tupdesc, 2, &isnull[1]);
		Datum		last = SPI_getbinval(tup, tt->tupdesc, 3, &isnull[2]);
		Datum		settings = SPI_getbinval(tup, tt->tupdesc, 4, &isnull[3]);
		Datum	   *names;
		bool	   *nnulls;
		int			nnames;

		CHECK_FOR_INTERRUPTS();
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3])
			continue;
		if (s->text_keys)
			it->key.text = TextDatumGetCString(key);
		else
			memcpy(it->key.uuid.data,
				   DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(TextDatumGetCString(key))))->data,
				   UUID_LEN);
		it->first = DatumGetTimestampTz(first);
		it->last = DatumGetTimestampTz(last);
		it->level = 1;
		it->on = 1 << CL_UPKEEP_ALWAYS;
		deconstruct_array(DatumGetArrayTypeP(settings), TEXTOID, -1, false, TYPALIGN_INT,
						  &names, &nnulls, &nnames);
		for (int i = 0; i < nnames; i++)
			for (int k = 0; k < CL_UPKEEP_NSETTINGS; k++)
				if (!nnulls[i] && setting_names[k] &&
					strcmp(TextDatumGetCString(names[i]), setting_names[k]) == 0)
					it->on |= 1 << k;
		s->n++;
	}
}

/* A kind's place in the registry, for list_sort() */
static int
cmp_kind_order(const ListCell *a, const ListCell *b)
{
	return cl_kind_order(lfirst(a)) - cl_kind_order(lfirst(b));
}

/*
 * Run the queued upkeep (in a transaction, a snapshot pushed, SPI not
 * connected): per kind, the queue's rows not locked by another drain,
 * deleted, their items merged and given to the kind's actions as at
 * commit (run_actions()).  Returns the items run; wait false: -1 at once
 * when another drain of a kind runs (its lock is not free).
 *
 * The kinds in the registry's order, as at commit, and every kind's locks
 * taken before any action runs: an action takes upkeep locks (the CTRs'
 * metrics, repeats and flows locks, the flow logs' flows lock), and a
 * kind's writer lock asked for after them could wait for a load() in a
 * session that, at its commit, waits for one of them.
 */
int64
cl_upkeep_drain(bool wait)
{
	const char *s = quote_identifier(CONNECT_LAKE_SCHEMA);
	List	   *kinds = NIL;
	ListCell   *lc;
	int64		done = 0;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "connect_lake: SPI_connect failed");
	rc = SPI_execute(psprintf("SELECT DISTINCT kind FROM %s.upkeep_queue", s), true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "connect_lake: reading the upkeep queue failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		CLRecordKind *kind = cl_kind_by_name(SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1));

		if (kind->upkeep != NULL)
			kinds = lappend(kinds, kind);
	}
	list_sort(kinds, cmp_kind_order);

	/*
	 * One drain of a kind at a time, and no load() in a session: the
	 * actions read the rows as committed, without the writers' row locks
	 * that order two upkeeps of a contact in a writer's own transaction;
	 * drains in turn each read what committed before them, and a version
	 * committed later has its items queued for a later one.
	 */
	foreach(lc, kinds)
	{
		CLRecordKind *kind = lfirst(lc);
		LOCKTAG		tag;

		cl_kind_lock_writers(kind, false);
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, CL_WRITER_LOCK_SPACE, cl_relation_oid(kind->table), 4);
		if (LockAcquire(&tag, ExclusiveLock, false, !wait) == LOCKACQUIRE_NOT_AVAIL)
		{
			SPI_finish();
			return -1;
		}
	}
	foreach(lc, kinds)
	{
		CLRecordKind *kind = lfirst(lc);
		CLWriterIdentity identity;
		UpkeepSet	set;
		char	   *sql;
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];

		args[0] = CStringGetTextDatum(kind->name);
		sql = psprintf("WITH q AS (DELETE FROM %s.upkeep_queue WHERE ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
					   "SELECT ctid FROM %s.upkeep_queue WHERE kind OPERATOR(pg_catalog.=) $1 FOR UPDATE SKIP LOCKED)) "
					   "RETURNING settings, keys, firsts, lasts) "
					   "SELECT u.key, u.first, u.last, q.settings FROM q, "
					   "ROWS FROM (pg_catalog.unnest(q.keys), pg_catalog.unnest(q.firsts), pg_catalog.unnest(q.lasts)) AS u(key, first, last)",
					   s, s);
		cl_writer_identity_begin(&identity);
		rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "connect_lake: draining the upkeep queue failed: %s", SPI_result_code_string(rc));
		set_from_queue(&set, kind, SPI_tuptable, SPI_processed);
		SPI_freetuptable(SPI_tuptable);
		run_actions(&set, false);
		cl_writer_identity_end(&identity);
		done += set.n;
	}
	SPI_finish();
	return done;
}
