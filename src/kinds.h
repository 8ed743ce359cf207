/*
 * kinds.h: the record kinds the lake knows, each described once (recmap.h)
 * and used by its jsonb parser, ingest() and the file loader.
 */
#ifndef CL_KINDS_H
#define CL_KINDS_H

#include "recmap.h"
#include "upkeep.h"

extern CLRecordKind cl_kind_ctr;	/* ctr.c */
extern CLRecordKind cl_kind_contact_event;	/* contact_event.c */
extern CLRecordKind cl_kind_case_event;	/* case_event.c: routes RELATED_ITEM.* to ... */
extern CLRecordKind cl_kind_case_related_item;	/* ... case_related_item */
extern CLRecordKind cl_kind_agent_event;	/* agent_event.c */

/* ctr's after_flush hook: contact_account (ctr_dims.c) */
extern void cl_ctr_after_flush(const CLLanded *landed);
/* ctr's upkeep hooks: agent_dim, queue_dim, queue_name_history at commit (ctr_dims.c) */
extern const CLUpkeepHooks cl_ctr_dim_hooks;

/* case_event's after_write hook: refresh case_state for these case ids (text[]). */
extern void cl_case_state_after_write(Datum case_ids);	/* case_event.c */
/* load() in the session: note the cases instead (on), refresh them once (flush) */
extern void cl_case_state_defer(bool on);
extern void cl_case_state_flush(void);
/* case_event.c: defines the setting connect_lake.case_due_working_days */
extern void cl_case_init(void);
extern CLRecordKind cl_kind_contact_flow_log;	/* flowlog.c */
extern CLRecordKind cl_kind_customer_profile_event;	/* customer_profile.c */

/* customer_profile.c: contact -> profile links through a contact attribute,
 * from the winners of a CTR batch (called by cl_ctr_after_flush) */
extern void cl_profile_ctr_links(const CLLanded *landed);
/* customer_profile.c: defines the setting connect_lake.profile_id_attribute */
extern void cl_profile_init(void);

/* The kind load() and ingest() call `name`; errors naming the known ones if none. */
extern CLRecordKind *cl_kind_by_name(const char *name);
extern int	cl_kind_order(const CLRecordKind *kind);

/*
 * The writer lock of a kind, held to the end of the transaction: load()
 * takes it exclusive, ingest(), ingest_batch() and load()'s workers shared
 * (see kinds.c).
 * Kinds that route records to each other (case_event, case_related_item)
 * share it.  pg_locks shows it as an advisory lock, classid
 * CL_WRITER_LOCK_SPACE, objid the Oid of the kind's table.
 */
#define CL_WRITER_LOCK_SPACE	0x436c4b57	/* "ClKW" */
extern void cl_kind_lock_writers(CLRecordKind *kind, bool exclusive);

/* Whether this backend holds the kind's writer lock exclusively (a load() in the session). */
extern bool cl_kind_writers_exclusive(CLRecordKind *kind);

#endif							/* CL_KINDS_H */
