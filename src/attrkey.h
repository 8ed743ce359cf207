/*
 * attrkey.h: contact attribute keys matched to attributes_* columns as the
 * warehouse flattened them; server-independent.
 *
 * Flattening (the warehouse's column naming, and the case field normaliser's
 * in sql/install/50_case_events.sql): ASCII letters are lower-cased, every
 * run of bytes other than [a-z0-9] becomes one '_', and '_' is trimmed from
 * both ends.  Every byte of a non-ASCII character is such a byte, so "Intént"
 * flattens to "int_nt".  In SQL:
 *   trim(BOTH '_' FROM regexp_replace(lower(key COLLATE "C"), '[^a-z0-9]+', '_', 'g'))
 * A key of punctuation alone (or "") flattens to the empty string.
 *
 * Matching: each column has a configured key K (or none: the column is not
 * filled).  A record's key k is a candidate for the column when k = K, or
 * when k and K flatten to the same non-empty string.  Among a record's
 * candidates the column takes
 *   1. K itself, spelt exactly, when the record has it; else
 *   2. the candidate first in byte order (memcmp, a prefix first: COLLATE "C").
 * So the choice depends on the record's set of keys, never on their order.
 *
 * This file and attrkey.c include no PostgreSQL header: test/unit builds
 * them without a server.
 */
#ifndef CL_ATTRKEY_H
#define CL_ATTRKEY_H

#include <stdbool.h>

/*
 * Flatten key[0..len) into out (room for cap bytes, not NUL-terminated).
 * Returns the flattened length, or -1 as soon as it would exceed cap (so a
 * long key costs no more than it takes to tell it cannot match).
 */
extern int	cl_attr_flatten(const char *key, int len, char *out, int cap);

/* Byte order of two keys: <0, 0, >0 (memcmp; a proper prefix first). */
extern int	cl_attr_keycmp(const char *a, int alen, const char *b, int blen);

/* A column's configured key and its flattened form (normlen 0: exact only). */
typedef struct ClAttrTarget
{
	const char *key;			/* NULL: the column is not filled */
	int			keylen;
	const char *norm;
	int			normlen;
} ClAttrTarget;

/* A column's choice so far within one record. */
typedef struct ClAttrPick
{
	const char *key;			/* NULL: no candidate yet */
	int			keylen;
	bool		exact;			/* key is the configured key itself */
} ClAttrPick;

/*
 * Offer one key of a record to every column: picks[0..n) are updated by the
 * rule above.  maxnorm is the greatest targets[].normlen and scratch has room
 * for maxnorm bytes.  The key is flattened at most once, and only while its
 * flattened form could still equal a target's.  Keys of one record must be
 * distinct (as in a jsonb object).
 */
extern void cl_attr_offer(const ClAttrTarget *targets, int n, int maxnorm, char *scratch,
						  ClAttrPick *picks, const char *key, int keylen);

#endif							/* CL_ATTRKEY_H */
