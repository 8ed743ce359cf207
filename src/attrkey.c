/*
 * attrkey.c: contact attribute keys flattened and matched to columns as the
 * warehouse did (see attrkey.h for the rule).  No PostgreSQL header.
 */
#include <stdint.h>
#include <string.h>

#include "attrkey.h"

static inline bool
is_alnum_lower(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static inline unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int
cl_attr_flatten(const char *key, int len, char *out, int cap)
{
	int			n = 0;
	bool		sep = false;	/* a separator run waits for the next [a-z0-9] */

	for (int i = 0; i < len; i++)
	{
		unsigned char c = ascii_lower((unsigned char) key[i]);

		if (is_alnum_lower(c))
		{
			if (sep && n > 0)
			{
				if (n >= cap)
					return -1;
				out[n++] = '_';
			}
			sep = false;
			if (n >= cap)
				return -1;
			out[n++] = (char) c;
		}
		else
			sep = true;			/* leading and trailing runs vanish */
	}
	return n;
}

int
cl_attr_keycmp(const char *a, int alen, const char *b, int blen)
{
	int			r = memcmp(a, b, alen < blen ? alen : blen);

	if (r != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

void
cl_attr_matcher_init(ClAttrMatcher *m, int n)
{
	memset(m, 0, sizeof(*m));
	m->n = n;
}

void
cl_attr_matcher_set(ClAttrMatcher *m, int i, const char *key, int keylen, char *norm)
{
	ClAttrTarget *t = &m->target[i];
	uint32_t	bit = (uint32_t) 1 << i;

	t->key = key;
	t->keylen = keylen;
	t->norm = norm;
	t->normlen = cl_attr_flatten(key, keylen, norm, keylen);	/* never longer than the key */
	if (keylen == 0)
		m->exact_empty |= bit;
	else
		m->exact_first[(unsigned char) key[0]] |= bit;
	if (t->normlen > 0)
		m->flat_first[(unsigned char) norm[0]] |= bit;
}

/* Does key, from its first [a-z0-9] byte at i, flatten to norm? */
static bool
flattens_to(const char *key, int keylen, int i, const char *norm, int normlen)
{
	int			pos = 0;
	bool		sep = false;

	for (; i < keylen; i++)
	{
		unsigned char c = ascii_lower((unsigned char) key[i]);

		if (!is_alnum_lower(c))
		{
			sep = true;			/* a trailing run vanishes */
			continue;
		}
		if (sep && (pos >= normlen || norm[pos++] != '_'))
			return false;
		if (pos >= normlen || norm[pos++] != (char) c)
			return false;
		sep = false;
	}
	return pos == normlen;
}

void
cl_attr_offer(const ClAttrMatcher *m, ClAttrPick *picks, const char *key, int keylen)
{
	uint32_t	exact = keylen == 0 ? m->exact_empty : m->exact_first[(unsigned char) key[0]];
	uint32_t	flat;
	int			i = 0;

	/* the configured key spelt exactly: the column is decided */
	for (int t = 0; exact != 0 && t < m->n; t++)
		if ((exact & ((uint32_t) 1 << t)) && !picks[t].exact &&
			keylen == m->target[t].keylen && memcmp(key, m->target[t].key, keylen) == 0)
		{
			picks[t].key = key;
			picks[t].keylen = keylen;
			picks[t].exact = true;
		}

	/* else the undecided columns whose flattened key this key flattens to */
	while (i < keylen && !is_alnum_lower(ascii_lower((unsigned char) key[i])))
		i++;
	if (i == keylen)
		return;					/* flattens to nothing */
	flat = m->flat_first[ascii_lower((unsigned char) key[i])];
	for (int t = 0; flat != 0 && t < m->n; t++)
	{
		const ClAttrTarget *tg = &m->target[t];
		ClAttrPick *p = &picks[t];

		if (!(flat & ((uint32_t) 1 << t)))
			continue;
		flat &= ~((uint32_t) 1 << t);
		if (p->exact || keylen < tg->normlen ||	/* flattening never lengthens */
			!flattens_to(key, keylen, i, tg->norm, tg->normlen))
			continue;
		if (p->key == NULL || cl_attr_keycmp(key, keylen, p->key, p->keylen) < 0)
		{
			p->key = key;
			p->keylen = keylen;
		}
	}
}
