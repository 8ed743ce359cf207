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
#include <stdint.h>

/*
 * Flatten key[0..len) into out (room for cap bytes, not NUL-terminated).
 * Returns the flattened length, or -1 as soon as it would exceed cap (so a
 * long key costs no more than it takes to tell it cannot match).
 */
extern int	cl_attr_flatten(const char *key, int len, char *out, int cap);

/* Byte order of two keys: <0, 0, >0 (memcmp; a proper prefix first). */
extern int	cl_attr_keycmp(const char *a, int alen, const char *b, int blen);

/* At most this many columns per matcher. */
#define CL_ATTR_MAX_COLUMNS 32

/* A column's configured key and its flattened form (normlen 0: exact only). */
typedef struct ClAttrTarget
{
	const char *key;			/* NULL: the column is not filled */
	int			keylen;
	const char *norm;
	int			normlen;
} ClAttrTarget;

/*
 * The columns' keys, with the columns (bits) whose key, or flattened key,
 * begins with each byte: most keys of a record match no column and are
 * turned away by two table look-ups.
 */
typedef struct ClAttrMatcher
{
	int			n;
	ClAttrTarget target[CL_ATTR_MAX_COLUMNS];
	uint32_t	exact_empty;	/* columns whose key is "" */
	uint32_t	exact_first[256];
	uint32_t	flat_first[256];
} ClAttrMatcher;

/* A column's choice so far within one record. */
typedef struct ClAttrPick
{
	const char *key;			/* NULL: no candidate yet */
	int			keylen;
	bool		exact;			/* key is the configured key itself */
} ClAttrPick;

/* An empty matcher of n columns (n <= CL_ATTR_MAX_COLUMNS), none filled. */
extern void cl_attr_matcher_init(ClAttrMatcher *m, int n);

/*
 * Column i is filled from key[0..keylen), which must outlive the matcher;
 * norm has room for keylen bytes and receives the key flattened.
 */
extern void cl_attr_matcher_set(ClAttrMatcher *m, int i, const char *key, int keylen, char *norm);

/*
 * Offer one key of a record to every column: picks[0..m->n) (zeroed before
 * the record's first key) are updated by the rule above.  No allocation: the
 * key is compared with the configured keys that begin with its first byte,
 * and flattened against the undecided columns whose flattened key begins
 * with its first letter, each only until it differs.  Keys of one record
 * must be distinct (as in a jsonb object).
 */
extern void cl_attr_offer(const ClAttrMatcher *m, ClAttrPick *picks, const char *key, int keylen);

#endif							/* CL_ATTRKEY_H */
