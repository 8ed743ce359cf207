/*
 * Unit tests of attribute key flattening and matching (src/attrkey.c), no
 * server.
 *
 * Known flattenings (the spellings of issue 10, punctuation at the ends and
 * in runs, non-ASCII letters), the collision rule on fixed records in every
 * key order, then random keys checked against a naive reference written the
 * way the SQL expression reads: lower-case, replace, collapse, trim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrkey.h"

static int	passed,
			failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) passed++; \
		else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
	} while (0)

static void
check_flatten(const char *key, const char *want)
{
	char		out[256];
	int			n = cl_attr_flatten(key, strlen(key), out, sizeof out);

	CHECK(n == (int) strlen(want) && memcmp(out, want, n) == 0,
		  "flatten \"%s\": got \"%.*s\" (%d), want \"%s\"", key, n < 0 ? 0 : n, out, n, want);
}

/* ---- naive reference ---- */

static int
naive_flatten(const char *key, int len, char *out)
{
	char		tmp[256];
	int			n = 0,
				m = 0,
				a,
				b;

	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		tmp[i] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? (char) c : '_';
	}
	for (int i = 0; i < len; i++)	/* collapse runs of '_' */
		if (tmp[i] != '_' || m == 0 || out[m - 1] != '_')
			out[m++] = tmp[i];
	for (a = 0; a < m && out[a] == '_'; a++);
	for (b = m; b > a && out[b - 1] == '_'; b--);
	for (int i = a; i < b; i++)
		out[n++] = out[i];
	return n;
}

typedef struct Key
{
	char		s[16];
	int			len;
} Key;

/* The column's key among keys[0..n): exact configured key, else least candidate. */
static int
naive_pick(const Key *target, bool has_target, const Key *keys, int n)
{
	char		tn[256],
				kn[256];
	int			tl,
				best = -1;

	if (!has_target)
		return -1;
	tl = naive_flatten(target->s, target->len, tn);
	for (int i = 0; i < n; i++)
		if (keys[i].len == target->len && memcmp(keys[i].s, target->s, target->len) == 0)
			return i;
	for (int i = 0; i < n; i++)
	{
		int			kl = naive_flatten(keys[i].s, keys[i].len, kn);

		if (tl == 0 || kl != tl || memcmp(kn, tn, tl) != 0)
			continue;
		if (best < 0 || cl_attr_keycmp(keys[i].s, keys[i].len, keys[best].s, keys[best].len) < 0)
			best = i;
	}
	return best;
}

static void
random_key(Key *k, const char *const *alphabet, int nalpha)
{
	int			parts = rand() % 5;

	k->len = 0;
	for (int j = 0; j < parts; j++)
	{
		const char *s = alphabet[rand() % nalpha];

		memcpy(k->s + k->len, s, strlen(s));
		k->len += strlen(s);
	}
}

/* ---- running the matcher over a record ---- */

#define NT 4

typedef struct Targets
{
	ClAttrMatcher m;
	char		norm[NT][256];
} Targets;

static void
targets_init(Targets *tg, const char *const *keys, const int *lens)
{
	cl_attr_matcher_init(&tg->m, NT);
	for (int i = 0; i < NT; i++)
		if (keys[i] != NULL)
			cl_attr_matcher_set(&tg->m, i, keys[i], lens ? lens[i] : (int) strlen(keys[i]), tg->norm[i]);
}

static void
run(Targets *tg, const char *const *keys, const int *lens, int n, ClAttrPick *picks)
{
	memset(picks, 0, sizeof(ClAttrPick) * NT);
	for (int i = 0; i < n; i++)
		cl_attr_offer(&tg->m, picks, keys[i], lens[i]);
}

/* Every order of the record's keys (n <= 5) picks want[] for each column. */
static void
check_record(Targets *tg, const char *const *keys, int n, const char *const *want, const char *what)
{
	int			perm[5],
				c[5] = {0},
				lens[5],
				orders = 0,
				i = 0;
	const char *k[5];

	for (int j = 0; j < n; j++)
		perm[j] = j;
	/* Heap's algorithm: every permutation of perm[0..n) */
	for (;;)
	{
		ClAttrPick picks[NT];
		bool		ok = true;

		for (int j = 0; j < n; j++)
		{
			k[j] = keys[perm[j]];
			lens[j] = strlen(k[j]);
		}
		run(tg, k, lens, n, picks);
		for (int col = 0; col < NT; col++)
		{
			const char *w = want[col];

			if (w == NULL ? picks[col].key != NULL
				: (picks[col].key == NULL || picks[col].keylen != (int) strlen(w) ||
				   memcmp(picks[col].key, w, picks[col].keylen) != 0))
			{
				ok = false;
				printf("  %s, order %d, column %d: got \"%.*s\", want \"%s\"\n", what, orders, col,
					   picks[col].key ? picks[col].keylen : 4, picks[col].key ? picks[col].key : "NULL",
					   w ? w : "NULL");
			}
		}
		CHECK(ok, "%s", what);
		orders++;
		while (i < n && c[i] >= i)
			c[i++] = 0;
		if (i >= n)
			break;
		{
			int			a = (i % 2 == 0) ? 0 : c[i],
						t = perm[a];

			perm[a] = perm[i];
			perm[i] = t;
		}
		c[i]++;
		i = 0;
	}
}

int
main(void)
{
	/* the three spellings of issue 10, and the rest of the rule */
	check_flatten("csatResults.agentRating", "csatresults_agentrating");
	check_flatten("csatResults_agentRating", "csatresults_agentrating");
	check_flatten("CSATResults.AgentRating", "csatresults_agentrating");
	check_flatten("csatresults_agentrating", "csatresults_agentrating");
	check_flatten("..csat--Results__.agent Rating!", "csat_results_agent_rating");
	check_flatten("_intent_", "intent");
	check_flatten(" a  b ", "a_b");
	check_flatten("A1-2B", "a1_2b");
	check_flatten("...", "");
	check_flatten("", "");
	check_flatten("_", "");
	check_flatten("Int\xc3\xa9nt", "int_nt");	/* Intént: é is two separator bytes, one run */
	check_flatten("\xc3\xafntent", "ntent");	/* ïntent */
	check_flatten("\xe2\x84\xaa", "");	/* KELVIN SIGN: not ASCII, not a k */
	check_flatten("caf\xc3\xa9", "caf");
	check_flatten("\xc3\x89tat.Civil", "tat_civil");	/* État.Civil */

	/* the cap: -1 as soon as the flattened form would not fit */
	{
		char		out[8];

		CHECK(cl_attr_flatten("abc", 3, out, 3) == 3, "fits exactly");
		CHECK(cl_attr_flatten("abcd", 4, out, 3) == -1, "one letter too many");
		CHECK(cl_attr_flatten("ab.c", 4, out, 3) == -1, "separator too many");
		CHECK(cl_attr_flatten("abc...", 6, out, 3) == 3, "trailing run costs nothing");
		CHECK(cl_attr_flatten("xyz", 3, out, 0) == -1, "no room");
		CHECK(cl_attr_flatten("..", 2, out, 0) == 0, "empty fits in nothing");
	}

	/* byte order */
	CHECK(cl_attr_keycmp("A", 1, "a", 1) < 0, "upper case first");
	CHECK(cl_attr_keycmp("ab", 2, "abc", 3) < 0, "prefix first");
	CHECK(cl_attr_keycmp("abc", 3, "ab", 2) > 0, "prefix first (reversed)");
	CHECK(cl_attr_keycmp("ab", 2, "ab", 2) == 0, "equal");
	CHECK(cl_attr_keycmp("\xc3\xa9", 2, "z", 1) > 0, "bytes unsigned");

	/* collisions, in every key order */
	{
		static const char *const tkeys[NT] = {"intent", "csatResults.agentRating", "--", NULL};
		Targets		tg;

		targets_init(&tg, tkeys, NULL);
		{
			const char *const keys[] = {"CSATResults.AgentRating", "csatresults_agentrating", "csatResults_agentRating"};
			const char *const want[NT] = {NULL, "CSATResults.AgentRating", NULL, NULL};

			check_record(&tg, keys, 3, want, "no exact key: the first in byte order");
		}
		{
			const char *const keys[] = {"csatresults_agentrating", "csatResults.agentRating", "CSATResults.AgentRating", "intent"};
			const char *const want[NT] = {"intent", "csatResults.agentRating", NULL, NULL};

			check_record(&tg, keys, 4, want, "the configured key spelt exactly wins");
		}
		{
			const char *const keys[] = {"Intent", "INTENT", "intent_", "_intent", "in.tent"};
			const char *const want[NT] = {"INTENT", NULL, NULL, NULL};

			check_record(&tg, keys, 5, want, "upper case sorts first; in.tent is another column");
		}
		{
			const char *const keys[] = {"intent__", "intent_"};
			const char *const want[NT] = {"intent_", NULL, NULL, NULL};

			check_record(&tg, keys, 2, want, "a prefix sorts first");
		}
		{
			const char *const keys[] = {"__", "-", "--", ""};
			const char *const want[NT] = {NULL, NULL, "--", NULL};

			check_record(&tg, keys, 4, want, "a key flattening to nothing matches only itself");
		}
		{
			const char *const keys[] = {"__", "-", ""};
			const char *const want[NT] = {NULL, NULL, NULL, NULL};

			check_record(&tg, keys, 3, want, "nothing matches an empty flattening");
		}
		{
			const char *const keys[] = {"Int\xc3\xa9nt", "int_nt", "intent"};
			const char *const want[NT] = {"intent", NULL, NULL, NULL};

			check_record(&tg, keys, 3, want, "non-ASCII letters are separators");
		}
	}

	/* random keys against the naive reference */
	{
		static const char *const alphabet[] = {"a", "A", "b", "B", "1", "_", ".", "-", " ", "\xc3\xa9"};
		int			nalpha = sizeof alphabet / sizeof alphabet[0];
		int			mismatches = 0,
					trials = 20000;

		srand(20240310);
		for (int trial = 0; trial < trials; trial++)
		{
			Key			keys[8],
						tk[NT];
			const char *tkeys[NT],
					   *kp[8];
			int			tlens[NT],
						klens[8],
						nk = 1 + rand() % 8;
			bool		has[NT];
			Targets		tg;
			ClAttrPick	picks[NT];

			for (int i = 0; i < NT; i++)
				random_key(&tk[i], alphabet, nalpha);
			for (int i = 0; i < nk; i++)
			{
				random_key(&keys[i], alphabet, nalpha);
				/* record keys are distinct, as in a jsonb object: drop a repeat */
				for (int j = 0; j < i; j++)
					if (keys[j].len == keys[i].len && memcmp(keys[j].s, keys[i].s, keys[i].len) == 0)
					{
						nk--;
						i--;
						break;
					}
			}
			for (int i = 0; i < NT; i++)
			{
				has[i] = rand() % 8 != 0;
				tkeys[i] = has[i] ? tk[i].s : NULL;
				tlens[i] = tk[i].len;
			}
			for (int i = 0; i < nk; i++)
			{
				kp[i] = keys[i].s;
				klens[i] = keys[i].len;
			}
			targets_init(&tg, tkeys, tlens);
			run(&tg, kp, klens, nk, picks);
			for (int col = 0; col < NT; col++)
			{
				int			want = naive_pick(&tk[col], has[col], keys, nk);
				bool		ok = want < 0 ? picks[col].key == NULL
					: picks[col].key == keys[want].s;

				if (!ok && mismatches++ < 5)
					printf("  trial %d column %d: got \"%.*s\", want \"%.*s\"\n", trial, col,
						   picks[col].key ? picks[col].keylen : 0, picks[col].key ? picks[col].key : "",
						   want < 0 ? 0 : keys[want].len, want < 0 ? "" : keys[want].s);
			}
		}
		CHECK(mismatches == 0, "%d of %d random records differ from the reference", mismatches, trials);
	}

	printf("unit attrkey: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
