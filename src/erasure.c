/*
 * erasure.c: whether the erasure list is in force, for the writers' check
 * that a record of a forgotten customer landing again (a re-load of the
 * same export files, a re-delivered CTR, a late flow log) is scrubbed as
 * forget_customer() scrubbed it (sql/install/86_erasure.sql).
 *
 * The check is an action of the writers' upkeep (upkeep.h), declared by
 * every kind holding a customer's values (CL_UPKEEP_ERASURE_ACTION) and by
 * the rejects: connect_lake.erasure_landed(kind, keys, times) and
 * connect_lake.erasure_rejects_landed(), SQL and SECURITY DEFINER (the list
 * holds keyed digests, and the key is the lake secret, its owner's), run
 * just before the transaction commits, after the kind's other actions, so
 * after the rows, their side tables (contact_account, case_state, the
 * profiles' state) and the repeat contacts are written: erasure_landed()
 * rebuilds the repeat chains of the contacts it scrubs.  In load()'s
 * workers it runs at each file's commit, not from the upkeep queue.
 *
 * Cheap when nothing was ever forgotten: cl_upkeep_writer_begin() (once per
 * load(), ingest() or ingest_batch() call, and per file of load()) asks
 * cl_erasure_in_force() whether erasure_list has a page at all -- no query,
 * no ACL check -- and when it has none the action is off: nothing is
 * collected for it.  An erasure committed while a load runs applies to the
 * loads (the files) that start after it.
 *
 * The keys each kind hands the check are its upkeep's: a CTR's contact id
 * and initiation time, a flow log event's contact id (and its first time),
 * an event's id and partition key (contact events, Customer Profiles
 * events), a case event's or related item's case id and change time (the
 * lead of their key, whose index finds them); erasure_landed() matches a profile
 * event's profile id, contact id and account, and scrubs the profile after
 * the writer rebuilt its state).  Agent events hold no customer value and
 * have no check.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "storage/bufmgr.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "connect_lake.h"
#include "erasure.h"

bool
cl_erasure_in_force(void)
{
	Oid			nsp = get_namespace_oid(CONNECT_LAKE_SCHEMA, true);
	Oid			relid;
	Relation	rel;
	BlockNumber pages;

	if (!OidIsValid(nsp))
		return false;
	relid = get_relname_relid("erasure_list", nsp);
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	pages = RelationGetNumberOfBlocks(rel);
	table_close(rel, AccessShareLock);
	return pages > 0;
}
