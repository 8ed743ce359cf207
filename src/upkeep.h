/*
 * upkeep.h: what the writers keep up to date, once per transaction, from the
 * rows it wrote ("collect at write, act at commit").
 *
 * A kind declares its upkeep (CLRecordKind.upkeep): which columns of each
 * row it wrote to collect (a key, uuid or text, and a time), and the actions
 * to run with them just before the transaction commits.  The writer hands
 * every batch it sent to cl_upkeep_collect() (the rows that landed, for a
 * kind with a land; else every row sent: a duplicate only makes an action
 * recompute what is already right), on every path that writes (load(),
 * ingest(), ingest_batch()).  upkeep.c alone:
 *
 *   - registers the transaction callbacks and runs the actions once, at
 *     pre-commit (or pre-prepare), whatever the number of files, batches
 *     and calls; an error in an action fails the commit;
 *   - forgets what a rolled-back subtransaction (a failed file of load())
 *     collected, and hands a committed one's to its parent;
 *   - reads the settings (connect_lake.metrics_upkeep, connect_lake.
 *     flows_upkeep, connect_lake.repeats_upkeep: one per family of actions;
 *     and whether the erasure list is in force, read when a writer begins) as
 *     rows land: rows written while an action's setting is off are not kept
 *     for it, and a kind none of whose actions is on collects nothing;
 *   - runs the actions as the writers wrote (on Citus, the tables' owner),
 *     with a snapshot, and not at all when the extension or the action's
 *     function is gone (dropped, or a lake not yet updated).
 *
 * An action is either an SQL function of the extension's schema, called
 * with arrays of what was collected (sorted, without repeats), or C hooks
 * keeping their own state (ctr_dims.c: the dimensions, merged per key).
 *
 * The erasure check is such an action on every kind holding a customer's
 * values (CL_UPKEEP_ERASURE_ACTION, erasure.h): connect_lake.
 * erasure_landed() with the kind's keys and times, on only while the
 * erasure list has a row, so that a lake where nobody was forgotten
 * collects nothing for it.  The rejects the writers' callers keep
 * (load_rejects, cl_upkeep_rejected()) have one action too, the check of
 * their raw text (erasure_rejects_landed()).  Both are immediate: they run
 * in the transaction that wrote the rows also when load()'s workers queue
 * the rest, so that no forgotten value commits.
 */
#ifndef CL_UPKEEP_H
#define CL_UPKEEP_H

#include "postgres.h"

#include "access/htup.h"

#include "recmap.h"

/* The settings, one per family of actions. */
typedef enum CLUpkeepSetting
{
	CL_UPKEEP_ALWAYS,			/* no setting: the lake's own side tables */
	CL_UPKEEP_METRICS,			/* connect_lake.metrics_upkeep */
	CL_UPKEEP_FLOWS,			/* connect_lake.flows_upkeep */
	CL_UPKEEP_ERASURE,			/* no setting: the erasure list has a row (erasure.c) */
	CL_UPKEEP_REPEATS,			/* connect_lake.repeats_upkeep */
	CL_UPKEEP_NSETTINGS
} CLUpkeepSetting;

/* What an SQL action is called with. */
typedef enum CLUpkeepArgs
{
	CL_UPKEEP_KEYS,				/* f(keys[]) */
	CL_UPKEEP_KEY_TIMES,		/* f(keys[], times[]): every distinct (key, time) */
	CL_UPKEEP_KEY_SPANS,		/* f(keys[], firsts[], lasts[]): per key its first and last time */
	CL_UPKEEP_KIND_KEY_TIMES,	/* f(kind text, keys text[], times[]): the kind's name, every
								 * distinct (key, time), keys as text */
	CL_UPKEEP_NO_ARGS			/* f(): the rejects' actions */
} CLUpkeepArgs;

typedef struct CLUpkeepAction
{
	const char *function;		/* connect_lake.<function>(...) */
	CLUpkeepArgs args;
	CLUpkeepSetting setting;
	bool		immediate;		/* run at the writing transaction's commit even
								 * when load()'s workers queue the others */
} CLUpkeepAction;

/*
 * An action in C, keeping its own state: collect() per batch that landed
 * (a kind with a land; SPI connected), at the transaction nest level given;
 * commit() once at pre-commit when something was collected (SPI connected,
 * a snapshot pushed, as the writers); subxact() when a subtransaction of
 * that level ends (forget or hand up what it collected); forget() when the
 * transaction ends either way.
 */
typedef struct CLUpkeepHooks
{
	void		(*collect) (const CLLanded *landed, int level);
	void		(*commit) (void);
	void		(*subxact) (bool committed, int level);
	void		(*forget) (void);
	CLUpkeepSetting setting;
} CLUpkeepHooks;

struct CLUpkeep
{
	const char *key_column;		/* uuid or text; NULL: the kind's id_column (the
								 * time is always its partition_column) */
	bool		spans;			/* keep per key its first and last time (else each distinct time) */
	const CLUpkeepAction *actions;	/* run in this order, ... */
	int			nactions;
	const CLUpkeepHooks *hooks; /* ... then these (optional) */
};

/* Define the settings (_PG_init). */
extern void cl_upkeep_init(void);

/*
 * A writer begins (cl_writer_begin()): whether the erasure list is in force
 * is read now, for the rows and rejects it writes (until the next writer, or
 * the end of the transaction).
 */
extern void cl_upkeep_writer_begin(void);

/* Rows of load_rejects were written (load(), ingest_batch()): for the rejects' actions. */
extern void cl_upkeep_rejected(void);

/*
 * A batch the writer sent (writer.c): either the rows that landed (landed,
 * a kind with a land) or every row of the batch (tuples of tupdesc).
 */
extern void cl_upkeep_collect(CLRecordKind *kind, TupleDesc tupdesc, const CLLanded *landed,
							  HeapTuple *tuples, int ntuples);

/*
 * load()'s workers: what a transaction collected queued in connect_lake.
 * upkeep_queue at pre-commit instead of given to the actions (on; the C
 * hooks still run), and the queue run (cl_upkeep_drain(), in a transaction
 * with a snapshot; returns the items run, or -1 when wait is false and
 * another drain runs).
 */
extern void cl_upkeep_defer(bool on);
extern int64 cl_upkeep_drain(bool wait);

#endif							/* CL_UPKEEP_H */
