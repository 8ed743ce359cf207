/*
 * attrkey.c: contact attribute keys flattened and matched to columns as the
 * warehouse did (see attrkey.h for the rule).  No PostgreSQL header.
 */
#include <string.h>

#include "attrkey.h"

int
cl_attr_flatten(const char *key, int len, char *out, int cap)
{
	int			n = 0;
	bool		sep = false;	/* a separator run waits for the next [a-z0-9] */

	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) key[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
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
cl_attr_offer(const ClAttrTarget *targets, int n, int maxnorm, char *scratch,
			  ClAttrPick *picks, const char *key, int keylen)
{
	int			flen = -2;		/* not flattened yet */

	for (int i = 0; i < n; i++)
	{
		const ClAttrTarget *t = &targets[i];
		ClAttrPick *p = &picks[i];

		if (t->key == NULL || p->exact)
			continue;
		if (keylen == t->keylen && memcmp(key, t->key, keylen) == 0)
		{
			p->key = key;
			p->keylen = keylen;
			p->exact = true;
			continue;
		}
		if (t->normlen == 0)
			continue;
		if (flen == -2)
			flen = cl_attr_flatten(key, keylen, scratch, maxnorm);
		if (flen != t->normlen || memcmp(scratch, t->norm, flen) != 0)
			continue;
		if (p->key == NULL || cl_attr_keycmp(key, keylen, p->key, p->keylen) < 0)
		{
			p->key = key;
			p->keylen = keylen;
		}
	}
}
