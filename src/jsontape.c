/*
 * jsontape.c: one JSON record as a flat array of nodes (see jsontape.h).
 *
 * A recursive-descent parser over a record the framer has already scanned:
 * it checks the grammar itself and gives up (CL_TAPE_FALLBACK) on anything
 * it would not read exactly as json-c does, so that the framer's json-c
 * parse still decides every error and every unusual value; and the copy of a
 * json-c tree into a tape, for the records that fell back.
 */
#include "jsontape.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

typedef struct Parser
{
	CLTape	   *t;
	const char *p;
	const char *e;
	int			err;			/* CL_TAPE_FALLBACK or CL_TAPE_NOMEM once failed */
	int			max_depth;		/* containers nested deeper fall back */
} Parser;

static int
grow_nodes(CLTape *t, uint32_t need)
{
	uint32_t	cap = t->cap ? t->cap : 256;
	CLTapeNode *n;

	while (cap < need)
		cap *= 2;
	n = realloc(t->nodes, (size_t) cap * sizeof(CLTapeNode));
	if (n == NULL)
		return CL_TAPE_NOMEM;
	t->nodes = n;
	t->cap = cap;
	return CL_TAPE_OK;
}

static inline CLTapeNode *
new_node(Parser *ps, int type)
{
	CLTape	   *t = ps->t;
	CLTapeNode *n;

	if (t->n == t->cap && grow_nodes(t, t->n + 1) != CL_TAPE_OK)
	{
		ps->err = CL_TAPE_NOMEM;
		return NULL;
	}
	n = &t->nodes[t->n++];
	n->type = (uint8_t) type;
	n->flags = 0;
	n->len = 0;
	n->skip = 0;
	return n;
}

static inline void
skip_ws(Parser *ps)
{
	while (ps->p < ps->e && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

static inline int
hex4(const char *p)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			c = (unsigned char) p[i];

		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return -1;
		v = v * 16 + c;
	}
	return v;
}

/*
 * A string at p (the opening quote): its node points into the record unless
 * it holds escapes, which are decoded into the tape's text (sized for the
 * whole record before parsing, so pointers into it stay valid).
 */
static int
parse_string(Parser *ps)
{
	const char *s = ++ps->p;
	const char *e = ps->e;
	CLTapeNode *n = new_node(ps, CLT_STRING);
	char	   *d;
	char	   *d0;

	if (n == NULL)
		return -1;
	for (;; ps->p++)
	{
		unsigned char c;

		if (ps->p >= e)
			goto fallback;
		c = (unsigned char) *ps->p;
		if (c == '"')
		{
			n->u.s = s;
			n->len = (uint32_t) (ps->p - s);
			ps->p++;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20)
			goto fallback;
	}

	/* escapes: decode the whole string into the tape's text */
	d0 = d = ps->t->text + ps->t->text_used;
	memcpy(d, s, ps->p - s);
	d += ps->p - s;
	while (ps->p < e && *ps->p != '"')
	{
		unsigned char c = (unsigned char) *ps->p;
		int			cp;

		if (c < 0x20)
			goto fallback;
		if (c != '\\')
		{
			*d++ = (char) c;
			ps->p++;
			continue;
		}
		if (e - ps->p < 2)
			goto fallback;
		switch (ps->p[1])
		{
			case '"':
				*d++ = '"';
				break;
			case '\\':
				*d++ = '\\';
				break;
			case '/':
				*d++ = '/';
				break;
			case 'b':
				*d++ = '\b';
				break;
			case 'f':
				*d++ = '\f';
				break;
			case 'n':
				*d++ = '\n';
				break;
			case 'r':
				*d++ = '\r';
				break;
			case 't':
				*d++ = '\t';
				break;
			case 'u':
				if (e - ps->p < 6 || (cp = hex4(ps->p + 2)) < 0)
					goto fallback;
				if (cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
					goto fallback;
				if (cp >= 0xD800 && cp <= 0xDBFF)
				{
					int			lo;

					if (e - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
						(lo = hex4(ps->p + 8)) < 0xDC00 || lo > 0xDFFF)
						goto fallback;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					ps->p += 6;
				}
				if (cp < 0x80)
					*d++ = (char) cp;
				else if (cp < 0x800)
				{
					*d++ = (char) (0xC0 | (cp >> 6));
					*d++ = (char) (0x80 | (cp & 0x3F));
				}
				else if (cp < 0x10000)
				{
					*d++ = (char) (0xE0 | (cp >> 12));
					*d++ = (char) (0x80 | ((cp >> 6) & 0x3F));
					*d++ = (char) (0x80 | (cp & 0x3F));
				}
				else
				{
					*d++ = (char) (0xF0 | (cp >> 18));
					*d++ = (char) (0x80 | ((cp >> 12) & 0x3F));
					*d++ = (char) (0x80 | ((cp >> 6) & 0x3F));
					*d++ = (char) (0x80 | (cp & 0x3F));
				}
				ps->p += 4;
				break;
			default:
				goto fallback;
		}
		ps->p += 2;
	}
	if (ps->p >= e)
		goto fallback;
	ps->p++;
	n->u.s = d0;
	n->len = (uint32_t) (d - d0);
	ps->t->text_used += n->len;
	return 0;

fallback:
	ps->err = CL_TAPE_FALLBACK;
	return -1;
}

/*
 * A number: RFC 8259's grammar.  An integer becomes its value when json-c
 * would keep it as an int64 strictly inside the range (the ends are where
 * json-c saturates: those records fall back); anything with a fraction or
 * an exponent keeps its token, which is what json-c gives as a double's text.
 */
static int
parse_number(Parser *ps)
{
	const char *s = ps->p;
	const char *e = ps->e;
	int			neg = 0;
	int			is_int = 1;
	uint64_t	v = 0;
	int			overflow = 0;
	CLTapeNode *n;

	if (ps->p < e && *ps->p == '-')
	{
		neg = 1;
		ps->p++;
	}
	if (ps->p >= e || *ps->p < '0' || *ps->p > '9')
		goto fallback;
	if (*ps->p == '0')
		ps->p++;
	else
		while (ps->p < e && *ps->p >= '0' && *ps->p <= '9')
		{
			unsigned	dgt = (unsigned) (*ps->p - '0');

			if (v > (UINT64_MAX - dgt) / 10)
				overflow = 1;
			else
				v = v * 10 + dgt;
			ps->p++;
		}
	if (ps->p < e && *ps->p == '.')
	{
		is_int = 0;
		ps->p++;
		if (ps->p >= e || *ps->p < '0' || *ps->p > '9')
			goto fallback;
		while (ps->p < e && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < e && (*ps->p == 'e' || *ps->p == 'E'))
	{
		is_int = 0;
		ps->p++;
		if (ps->p < e && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= e || *ps->p < '0' || *ps->p > '9')
			goto fallback;
		while (ps->p < e && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	/* a number runs into the next delimiter, never into a letter */
	if (ps->p < e && *ps->p != ',' && *ps->p != '}' && *ps->p != ']' &&
		*ps->p != ' ' && *ps->p != '\n' && *ps->p != '\r' && *ps->p != '\t')
		goto fallback;
	n = new_node(ps, CLT_NUMBER);
	if (n == NULL)
		return -1;
	if (is_int)
	{
		/* strictly inside int64: the ends are json-c's saturation values */
		if (overflow || v > (uint64_t) INT64_MAX || (!neg && v == (uint64_t) INT64_MAX))
			goto fallback;
		n->flags = CLT_INT;
		n->u.ival = neg ? -(int64_t) v : (int64_t) v;
	}
	else
	{
		n->u.s = s;
		n->len = (uint32_t) (ps->p - s);
	}
	return 0;

fallback:
	ps->err = CL_TAPE_FALLBACK;
	return -1;
}

static inline uint32_t
key_hash(const CLTapeNode *k)
{
	uint32_t	h = 2166136261u;

	for (uint32_t i = 0; i < k->len; i++)
		h = (h ^ (unsigned char) k->u.s[i]) * 16777619u;
	return h ^ k->len;
}

static inline int
same_key(const CLTapeNode *a, const CLTapeNode *b)
{
	return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

/*
 * Whether the object at index o has a key twice (json-c would keep one
 * member, at the first key's place with the last value: the record falls
 * back).  Small objects pairwise, larger ones through a hash set.  The
 * set's hash has no secret seed (json-c's has one), so keys chosen to
 * collide would make it quadratic (30,000 keys took 0.5 s, a 64 MB record
 * hours, with no interrupt check): past 4 probes a key on average the
 * object is given to json-c as if it had a key twice (1: fall back).
 */
static int
has_duplicate_key(Parser *ps, uint32_t o)
{
	const CLTapeNode *obj = &ps->t->nodes[o];
	uint32_t	members = obj->len;

	if (members < 2)
		return 0;
	if (members <= 8)
	{
		const CLTapeNode *keys[8];
		const CLTapeNode *k = obj + 1;

		for (uint32_t i = 0; i < members; i++)
		{
			keys[i] = k;
			for (uint32_t j = 0; j < i; j++)
				if (same_key(keys[j], k))
					return 1;
			k = cl_tape_next(k + 1);
		}
		return 0;
	}
	else
	{
		uint32_t	cap = 32;
		const CLTapeNode *k = obj + 1;
		uint64_t	probes_left = (uint64_t) members * 4 + 64;

		while (cap < members * 2)
			cap *= 2;
		if (cap > ps->t->seen_cap)
		{
			uint32_t   *s = realloc(ps->t->seen, cap * sizeof(uint32_t));

			if (s == NULL)
			{
				ps->err = CL_TAPE_NOMEM;
				return -1;
			}
			ps->t->seen = s;
			ps->t->seen_cap = cap;
		}
		memset(ps->t->seen, 0xff, cap * sizeof(uint32_t));
		for (uint32_t i = 0; i < members; i++)
		{
			uint32_t	h = key_hash(k) & (cap - 1);
			uint32_t	idx = (uint32_t) (k - ps->t->nodes);

			while (ps->t->seen[h] != UINT32_MAX)
			{
				if (same_key(&ps->t->nodes[ps->t->seen[h]], k) || --probes_left == 0)
					return 1;
				h = (h + 1) & (cap - 1);
			}
			ps->t->seen[h] = idx;
			k = cl_tape_next(k + 1);
		}
		return 0;
	}
}

static int
parse_value(Parser *ps, int depth)
{
	const char *e = ps->e;

	skip_ws(ps);
	if (ps->p >= e)
		goto fallback;
	switch (*ps->p)
	{
		case '{':
		case '[':
			{
				int			is_obj = *ps->p == '{';
				char		close = is_obj ? '}' : ']';
				uint32_t	at = ps->t->n;
				uint32_t	members = 0;

				if (depth >= ps->max_depth)
					goto fallback;
				if (new_node(ps, is_obj ? CLT_OBJECT : CLT_ARRAY) == NULL)
					return -1;
				ps->p++;
				skip_ws(ps);
				if (ps->p < e && *ps->p == close)
					ps->p++;
				else
					for (;;)
					{
						if (is_obj)
						{
							skip_ws(ps);
							if (ps->p >= e || *ps->p != '"')
								goto fallback;
							if (parse_string(ps) < 0)
								return -1;
							skip_ws(ps);
							if (ps->p >= e || *ps->p != ':')
								goto fallback;
							ps->p++;
						}
						if (parse_value(ps, depth + 1) < 0)
							return -1;
						members++;
						skip_ws(ps);
						if (ps->p < e && *ps->p == ',')
						{
							ps->p++;
							continue;
						}
						if (ps->p < e && *ps->p == close)
						{
							ps->p++;
							break;
						}
						goto fallback;
					}
				ps->t->nodes[at].len = members;
				ps->t->nodes[at].skip = ps->t->n - at - 1;
				if (is_obj)
				{
					int			dup = has_duplicate_key(ps, at);

					if (dup < 0)
						return -1;
					if (dup)
						goto fallback;
				}
				return 0;
			}
		case '"':
			return parse_string(ps);
		case 't':
			if (e - ps->p < 4 || memcmp(ps->p, "true", 4) != 0)
				goto fallback;
			ps->p += 4;
			return new_node(ps, CLT_TRUE) ? 0 : -1;
		case 'f':
			if (e - ps->p < 5 || memcmp(ps->p, "false", 5) != 0)
				goto fallback;
			ps->p += 5;
			return new_node(ps, CLT_FALSE) ? 0 : -1;
		case 'n':
			if (e - ps->p < 4 || memcmp(ps->p, "null", 4) != 0)
				goto fallback;
			ps->p += 4;
			return new_node(ps, CLT_NULL) ? 0 : -1;
		default:
			return parse_number(ps);
	}

fallback:
	ps->err = CL_TAPE_FALLBACK;
	return -1;
}

int
cl_tape_parse(CLTape *tape, const char *s, size_t len, int jsonc_depth)
{
	Parser		ps;
	int			r;

	tape->n = 0;
	tape->text_used = 0;
	/* decoded strings are never longer than their source */
	if (tape->text_cap < len + 1)
	{
		char	   *t = realloc(tape->text, len + 1);

		if (t == NULL)
			return CL_TAPE_NOMEM;
		tape->text = t;
		tape->text_cap = len + 1;
	}
	memset(&ps, 0, sizeof(ps));
	ps.t = tape;
	ps.p = s;
	ps.e = s + len;
	ps.max_depth = jsonc_depth - 1 < CL_TAPE_MAX_DEPTH ? jsonc_depth - 1 : CL_TAPE_MAX_DEPTH;
	r = parse_value(&ps, 0);
	if (r == 0)
	{
		skip_ws(&ps);
		if (ps.p != ps.e)
			ps.err = CL_TAPE_FALLBACK;

		/*
		 * A scalar document: json-c does not take "5" or "true" ending the
		 * text (the number could go on: "unexpected end of input") but does
		 * "5 "; no record is one, so json-c decides them all.
		 */
		if (tape->nodes[0].type != CLT_OBJECT && tape->nodes[0].type != CLT_ARRAY)
			ps.err = CL_TAPE_FALLBACK;
	}
	if (r < 0 || ps.err != 0)
	{
		tape->n = 0;
		return ps.err ? ps.err : CL_TAPE_FALLBACK;
	}
	return CL_TAPE_OK;
}

/* ---------------------------------------------------------------- from json-c */

/* text offsets are kept in u.s until the end, when the buffer no longer moves */
static int
add_text(CLTape *t, const char *s, size_t len, CLTapeNode *n)
{
	if (t->text_used + len + 1 > t->text_cap)
	{
		size_t		cap = t->text_cap ? t->text_cap * 2 : 4096;
		char	   *p;

		while (cap < t->text_used + len + 1)
			cap *= 2;
		p = realloc(t->text, cap);
		if (p == NULL)
			return CL_TAPE_NOMEM;
		t->text = p;
		t->text_cap = cap;
	}
	memcpy(t->text + t->text_used, s, len);
	n->u.s = (const char *) (uintptr_t) t->text_used;
	n->len = (uint32_t) len;
	t->text_used += len;
	return CL_TAPE_OK;
}

static int
from_jsonc(CLTape *t, json_object *o)
{
	CLTapeNode *n;
	uint32_t	at = t->n;

	if (t->n == t->cap && grow_nodes(t, t->n + 1) != CL_TAPE_OK)
		return CL_TAPE_NOMEM;
	n = &t->nodes[t->n++];
	memset(n, 0, sizeof(*n));
	switch (json_object_get_type(o))
	{
		case json_type_null:
			n->type = CLT_NULL;
			return CL_TAPE_OK;
		case json_type_boolean:
			n->type = json_object_get_boolean(o) ? CLT_TRUE : CLT_FALSE;
			return CL_TAPE_OK;
		case json_type_int:
			{
				int64_t		i = json_object_get_int64(o);

				n->type = CLT_NUMBER;
				if (i != INT64_MIN && i != INT64_MAX)
				{
					n->flags = CLT_INT;
					n->u.ival = i;
					return CL_TAPE_OK;
				}
				if (i == INT64_MIN || json_object_get_uint64(o) == UINT64_MAX)
					n->flags = CLT_SATURATED;
				return add_text(t, json_object_get_string(o), strlen(json_object_get_string(o)), n);
			}
		case json_type_double:
			n->type = CLT_NUMBER;
			return add_text(t, json_object_get_string(o), strlen(json_object_get_string(o)), n);
		case json_type_string:
			n->type = CLT_STRING;
			return add_text(t, json_object_get_string(o), (size_t) json_object_get_string_len(o), n);
		case json_type_object:
			{
				uint32_t	members = 0;

				n->type = CLT_OBJECT;
				{
					json_object_object_foreach(o, key, val)
					{
						CLTapeNode *k;

						if (t->n == t->cap && grow_nodes(t, t->n + 1) != CL_TAPE_OK)
							return CL_TAPE_NOMEM;
						k = &t->nodes[t->n++];
						memset(k, 0, sizeof(*k));
						k->type = CLT_STRING;
						if (add_text(t, key, strlen(key), k) != CL_TAPE_OK ||
							from_jsonc(t, val) != CL_TAPE_OK)
							return CL_TAPE_NOMEM;
						members++;
					}
				}
				t->nodes[at].len = members;
				t->nodes[at].skip = t->n - at - 1;
				return CL_TAPE_OK;
			}
		case json_type_array:
			{
				size_t		len = json_object_array_length(o);

				n->type = CLT_ARRAY;
				for (size_t i = 0; i < len; i++)
					if (from_jsonc(t, json_object_array_get_idx(o, i)) != CL_TAPE_OK)
						return CL_TAPE_NOMEM;
				t->nodes[at].len = (uint32_t) len;
				t->nodes[at].skip = t->n - at - 1;
				return CL_TAPE_OK;
			}
	}
	return CL_TAPE_NOMEM;		/* not reached: json-c has no other type */
}

int
cl_tape_from_jsonc(CLTape *tape, json_object *obj)
{
	tape->n = 0;
	tape->text_used = 0;
	if (from_jsonc(tape, obj) != CL_TAPE_OK)
	{
		tape->n = 0;
		return CL_TAPE_NOMEM;
	}
	for (uint32_t i = 0; i < tape->n; i++)
	{
		CLTapeNode *n = &tape->nodes[i];

		if (n->type == CLT_STRING || (n->type == CLT_NUMBER && !(n->flags & CLT_INT)))
			n->u.s = tape->text + (uintptr_t) n->u.s;
	}
	return CL_TAPE_OK;
}

int
cl_tape_equal(const CLTape *a, const CLTape *b)
{
	if (a->n != b->n)
		return 0;
	for (uint32_t i = 0; i < a->n; i++)
	{
		const CLTapeNode *x = &a->nodes[i];
		const CLTapeNode *y = &b->nodes[i];

		if (x->type != y->type || x->flags != y->flags)
			return 0;
		switch (x->type)
		{
			case CLT_OBJECT:
			case CLT_ARRAY:
				if (x->len != y->len || x->skip != y->skip)
					return 0;
				break;
			case CLT_STRING:
				if (x->len != y->len || memcmp(x->u.s, y->u.s, x->len) != 0)
					return 0;
				break;
			case CLT_NUMBER:
				if (x->flags & CLT_INT)
				{
					if (x->u.ival != y->u.ival)
						return 0;
				}
				else if (x->len != y->len || memcmp(x->u.s, y->u.s, x->len) != 0)
					return 0;
				break;
			default:
				break;
		}
	}
	return 1;
}

void
cl_tape_free(CLTape *tape)
{
	free(tape->nodes);
	free(tape->text);
	free(tape->seen);
	tape->seen = NULL;
	tape->seen_cap = 0;
	tape->nodes = NULL;
	tape->text = NULL;
	tape->n = tape->cap = 0;
	tape->text_used = tape->text_cap = 0;
}
