/*
 * json_parse.c: what parsing one record costs, per kind, by parser (issue #15).
 *
 * The loader parses every record with json-c (framing_read.c: one
 * json_tokener_parse_ex per record, from the C locale, the tokener reused)
 * and frees the tree after mapping it.  This program takes the records of
 * delivered files exactly as the framer hands them out (rec->raw), then
 * times, on the same bytes, in interleaved rounds (best of ROUNDS, CPU time
 * of this process):
 *
 *   jsonc            the loader's way: STRICT | ALLOW_TRAILING_CHARS, tokener
 *                    reused, C locale (cl_json_parse), json_object_put
 *   jsonc_nonstrict  the same without JSON_TOKENER_STRICT
 *   jsonc_newtok     a new tokener per record
 *   jsonc_walk       jsonc plus a walk of the tree touching every key and
 *                    string (what the mapper reads at least), then the put
 *   pg_nosem         PostgreSQL's pg_parse_json (common/jsonapi.h) with no
 *                    semantic actions: its lexer and grammar only
 *   pg_sem           pg_parse_json with minimal actions: every key and
 *                    scalar de-escaped and handed to a callback that touches
 *                    it (the least a mapper on events would receive)
 *   tape             a flat "tape" parser written here (a sketch, not the
 *                    loader's code): recursive descent into one reused array
 *                    of nodes, strings pointing into the record unless they
 *                    hold escapes; grammar checked, UTF-8 taken as the
 *                    framer validated it
 *   tape_walk        tape plus the same walk as jsonc_walk
 *
 * Printed per kind: records, bytes, objects per KB, and per parser the CPU
 * microseconds per record and ns per byte, and the share of jsonc's time.
 *
 *   json_parse ROUNDS KIND=DIR [KIND=DIR ...]
 *
 * Built and run by test/bench/json_parse.sh (generates the day with
 * connect_gen).  Frontend build against libpgcommon (pg_parse_json), the
 * framer's sources and json-c.
 */
#include "postgres_fe.h"

#include <dirent.h>
#include <locale.h>
#include <sys/stat.h>
#include <time.h>

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "framing.h"

typedef struct Recs
{
	const char *kind;
	char	   *arena;
	size_t		used,
				cap;
	size_t	   *off;
	int		   *len;
	long		n,
				ncap;
	long		objects;		/* json objects over all records */
} Recs;

static void
add_rec(Recs *r, const char *p, size_t len)
{
	if (r->used + len + 1 > r->cap)
	{
		r->cap = (r->cap + len + 1) * 2;
		r->arena = realloc(r->arena, r->cap);
	}
	if (r->n == r->ncap)
	{
		r->ncap = r->ncap ? r->ncap * 2 : 1024;
		r->off = realloc(r->off, r->ncap * sizeof(size_t));
		r->len = realloc(r->len, r->ncap * sizeof(int));
	}
	memcpy(r->arena + r->used, p, len);
	r->arena[r->used + len] = '\0';
	r->off[r->n] = r->used;
	r->len[r->n] = (int) len;
	r->used += len + 1;
	r->n++;
}

static void
collect(Recs *r, const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
	{
		perror(dir);
		exit(1);
	}
	while ((e = readdir(d)) != NULL)
	{
		char		path[4096];
		struct stat sb;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode))
			collect(r, path);
		else if (S_ISREG(sb.st_mode))
		{
			CLFrame    *f = cl_frame_open(path, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
			CLRecord	rec;
			int			rc;

			if (f == NULL)
			{
				perror(path);
				exit(1);
			}
			while ((rc = cl_frame_next(f, &rec)) > 0)
				if (rc == CL_FRAME_RECORD)
					add_rec(r, rec.raw, rec.raw_len);
			cl_frame_close(&f);
		}
	}
	closedir(d);
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile size_t sink;

/* ---------------------------------------------------------------- json-c */

static void
walk_jsonc(json_object *o)
{
	switch (json_object_get_type(o))
	{
		case json_type_object:
			{
				json_object_object_foreach(o, k, v)
				{
					sink += strlen(k);
					walk_jsonc(v);
				}
				break;
			}
		case json_type_array:
			{
				size_t		n = json_object_array_length(o);

				for (size_t i = 0; i < n; i++)
					walk_jsonc(json_object_array_get_idx(o, i));
				break;
			}
		case json_type_string:
			sink += json_object_get_string_len(o);
			break;
		default:
			sink += (size_t) json_object_get_type(o);
			break;
	}
}

static long
count_objects(json_object *o)
{
	long		n = 0;

	if (json_object_is_type(o, json_type_object))
	{
		n = 1;
		json_object_object_foreach(o, k, v)
		{
			(void) k;
			n += count_objects(v);
		}
	}
	else if (json_object_is_type(o, json_type_array))
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += count_objects(json_object_array_get_idx(o, i));
	return n;
}

static void
run_jsonc(Recs *r, int flags, int newtok, int walk)
{
	json_tokener *tok = json_tokener_new_ex(65);

	json_tokener_set_flags(tok, flags);
	for (long i = 0; i < r->n; i++)
	{
		json_object *o;

		if (newtok)
		{
			json_tokener_free(tok);
			tok = json_tokener_new_ex(65);
			json_tokener_set_flags(tok, flags);
		}
		else
			json_tokener_reset(tok);
		o = cl_json_parse(tok, r->arena + r->off[i], r->len[i]);
		if (o == NULL)
		{
			fprintf(stderr, "%s record %ld: json-c failed\n", r->kind, i);
			exit(1);
		}
		if (walk)
			walk_jsonc(o);
		json_object_put(o);
	}
	json_tokener_free(tok);
}

/* ---------------------------------------------------------------- pg_parse_json */

static void
pg_field(void *state, char *fname, bool isnull)
{
	sink += strlen(fname);
	pfree(fname);
}

static void
pg_scalar(void *state, char *token, JsonTokenType tt)
{
	if (token)
	{
		sink += strlen(token);
		pfree(token);
	}
}

static void
run_pg(Recs *r, int sem)
{
	JsonSemAction act = {0};

	act.object_field_start = pg_field;
	act.scalar = pg_scalar;
	for (long i = 0; i < r->n; i++)
	{
		JsonLexContext *lex = makeJsonLexContextCstringLen(r->arena + r->off[i], r->len[i],
														   PG_UTF8, sem != 0);
		JsonParseErrorType e = pg_parse_json(lex, sem ? &act : &nullSemAction);

		if (e != JSON_SUCCESS)
		{
			fprintf(stderr, "%s record %ld: pg_parse_json failed (%d)\n", r->kind, i, (int) e);
			exit(1);
		}
		if (lex->strval)
		{
			pfree(lex->strval->data);
			pfree(lex->strval);
		}
		pfree(lex);
	}
}

/* ---------------------------------------------------------------- tape */

/*
 * Node kinds; an object is followed by its pairs (key node, value nodes), an
 * array by its elements; .next is the index after the container's last node.
 */
enum
{
	T_NULL, T_TRUE, T_FALSE, T_NUM, T_STR, T_OBJ, T_ARR
};

typedef struct TNode
{
	uint8_t		type;
	uint32_t	len;			/* string / number bytes; container members */
	uint32_t	next;			/* containers: index after the last node */
	const char *s;				/* strings (decoded), numbers */
} TNode;

typedef struct Tape
{
	TNode	   *n;
	uint32_t	nn,
				cap;
	char	   *sbuf;			/* decoded strings with escapes */
	size_t		sused,
				scap;
	const char *p,
			   *e;
} Tape;

static inline uint32_t
tnew(Tape *t, int type)
{
	if (t->nn == t->cap)
	{
		t->cap = t->cap ? t->cap * 2 : 256;
		t->n = realloc(t->n, t->cap * sizeof(TNode));
	}
	t->n[t->nn].type = (uint8_t) type;
	return t->nn++;
}

static inline void
tws(Tape *t)
{
	while (t->p < t->e && (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
		t->p++;
}

static int	tvalue(Tape *t);

static int
hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int
tstring(Tape *t)
{
	const char *s = ++t->p;
	uint32_t	i = tnew(t, T_STR);

	for (;;)
	{
		if (t->p >= t->e)
			return -1;
		if (*t->p == '"')
			break;
		if (*t->p == '\\')
			goto escaped;
		t->p++;
	}
	t->n[i].s = s;
	t->n[i].len = (uint32_t) (t->p - s);
	t->p++;
	return 0;

escaped:
	{
		size_t		need = (size_t) (t->e - s);
		char	   *d;

		if (t->sused + need > t->scap)
			return -2;			/* sketch: the buffer is sized per record */
		d = t->sbuf + t->sused;
		memcpy(d, s, t->p - s);
		d += t->p - s;
		while (t->p < t->e && *t->p != '"')
		{
			if (*t->p != '\\')
			{
				*d++ = *t->p++;
				continue;
			}
			if (t->p + 1 >= t->e)
				return -1;
			switch (t->p[1])
			{
				case '"': *d++ = '"'; break;
				case '\\': *d++ = '\\'; break;
				case '/': *d++ = '/'; break;
				case 'b': *d++ = '\b'; break;
				case 'f': *d++ = '\f'; break;
				case 'n': *d++ = '\n'; break;
				case 'r': *d++ = '\r'; break;
				case 't': *d++ = '\t'; break;
				case 'u':
					{
						int			cp = 0;

						if (t->p + 6 > t->e)
							return -1;
						for (int k = 2; k < 6; k++)
						{
							int			h = hexv((unsigned char) t->p[k]);

							if (h < 0)
								return -1;
							cp = cp * 16 + h;
						}
						t->p += 4;
						if (cp >= 0xD800 && cp <= 0xDBFF && t->p + 8 <= t->e && t->p[2] == '\\' && t->p[3] == 'u')
						{
							int			lo = 0;

							for (int k = 4; k < 8; k++)
								lo = lo * 16 + hexv((unsigned char) t->p[k]);
							cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
							t->p += 6;
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
						break;
					}
				default:
					return -1;
			}
			t->p += 2;
		}
		if (t->p >= t->e)
			return -1;
		t->n[i].s = t->sbuf + t->sused;
		t->n[i].len = (uint32_t) (d - (t->sbuf + t->sused));
		t->sused += t->n[i].len;
		t->p++;
		return 0;
	}
}

static int
tvalue(Tape *t)
{
	tws(t);
	if (t->p >= t->e)
		return -1;
	switch (*t->p)
	{
		case '{':
			{
				uint32_t	o = tnew(t, T_OBJ),
							cnt = 0;

				t->p++;
				tws(t);
				if (t->p < t->e && *t->p == '}')
					t->p++;
				else
					for (;;)
					{
						tws(t);
						if (t->p >= t->e || *t->p != '"' || tstring(t) < 0)
							return -1;
						tws(t);
						if (t->p >= t->e || *t->p != ':')
							return -1;
						t->p++;
						if (tvalue(t) < 0)
							return -1;
						cnt++;
						tws(t);
						if (t->p < t->e && *t->p == ',')
						{
							t->p++;
							continue;
						}
						if (t->p < t->e && *t->p == '}')
						{
							t->p++;
							break;
						}
						return -1;
					}
				t->n[o].len = cnt;
				t->n[o].next = t->nn;
				return 0;
			}
		case '[':
			{
				uint32_t	a = tnew(t, T_ARR),
							cnt = 0;

				t->p++;
				tws(t);
				if (t->p < t->e && *t->p == ']')
					t->p++;
				else
					for (;;)
					{
						if (tvalue(t) < 0)
							return -1;
						cnt++;
						tws(t);
						if (t->p < t->e && *t->p == ',')
						{
							t->p++;
							continue;
						}
						if (t->p < t->e && *t->p == ']')
						{
							t->p++;
							break;
						}
						return -1;
					}
				t->n[a].len = cnt;
				t->n[a].next = t->nn;
				return 0;
			}
		case '"':
			return tstring(t);
		case 't':
			if (t->e - t->p < 4 || memcmp(t->p, "true", 4) != 0)
				return -1;
			tnew(t, T_TRUE);
			t->p += 4;
			return 0;
		case 'f':
			if (t->e - t->p < 5 || memcmp(t->p, "false", 5) != 0)
				return -1;
			tnew(t, T_FALSE);
			t->p += 5;
			return 0;
		case 'n':
			if (t->e - t->p < 4 || memcmp(t->p, "null", 4) != 0)
				return -1;
			tnew(t, T_NULL);
			t->p += 4;
			return 0;
		default:
			{
				const char *s = t->p;
				uint32_t	i;

				if (*t->p == '-')
					t->p++;
				if (t->p >= t->e || !(*t->p >= '0' && *t->p <= '9'))
					return -1;
				if (*t->p == '0')
					t->p++;
				else
					while (t->p < t->e && *t->p >= '0' && *t->p <= '9')
						t->p++;
				if (t->p < t->e && *t->p == '.')
				{
					t->p++;
					if (t->p >= t->e || !(*t->p >= '0' && *t->p <= '9'))
						return -1;
					while (t->p < t->e && *t->p >= '0' && *t->p <= '9')
						t->p++;
				}
				if (t->p < t->e && (*t->p == 'e' || *t->p == 'E'))
				{
					t->p++;
					if (t->p < t->e && (*t->p == '+' || *t->p == '-'))
						t->p++;
					if (t->p >= t->e || !(*t->p >= '0' && *t->p <= '9'))
						return -1;
					while (t->p < t->e && *t->p >= '0' && *t->p <= '9')
						t->p++;
				}
				i = tnew(t, T_NUM);
				t->n[i].s = s;
				t->n[i].len = (uint32_t) (t->p - s);
				return 0;
			}
	}
}

static void
run_tape(Recs *r, int walk)
{
	Tape		t = {0};

	for (long i = 0; i < r->n; i++)
	{
		t.p = r->arena + r->off[i];
		t.e = t.p + r->len[i];
		t.nn = 0;
		t.sused = 0;
		if ((size_t) r->len[i] > t.scap)
		{
			t.scap = (size_t) r->len[i] * 2;
			t.sbuf = realloc(t.sbuf, t.scap);
		}
		if (tvalue(&t) < 0 || (tws(&t), t.p != t.e))
		{
			fprintf(stderr, "%s record %ld: tape failed\n", r->kind, i);
			exit(1);
		}
		if (walk)
			for (uint32_t k = 0; k < t.nn; k++)
				sink += t.n[k].type == T_STR ? t.n[k].len : t.n[k].type;
	}
	free(t.n);
	free(t.sbuf);
}

/* ---------------------------------------------------------------- main */

enum
{
	M_JSONC, M_JSONC_NONSTRICT, M_JSONC_NEWTOK, M_JSONC_WALK, M_PG_NOSEM, M_PG_SEM,
	M_TAPE, M_TAPE_WALK, NMETHODS
};
static const char *const mnames[NMETHODS] = {
	"jsonc", "jsonc_nonstrict", "jsonc_newtok", "jsonc_walk", "pg_nosem", "pg_sem", "tape", "tape_walk"
};

static void
run(Recs *r, int m)
{
	const int	strict = JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS;

	switch (m)
	{
		case M_JSONC: run_jsonc(r, strict, 0, 0); break;
		case M_JSONC_NONSTRICT: run_jsonc(r, JSON_TOKENER_ALLOW_TRAILING_CHARS, 0, 0); break;
		case M_JSONC_NEWTOK: run_jsonc(r, strict, 1, 0); break;
		case M_JSONC_WALK: run_jsonc(r, strict, 0, 1); break;
		case M_PG_NOSEM: run_pg(r, 0); break;
		case M_PG_SEM: run_pg(r, 1); break;
		case M_TAPE: run_tape(r, 0); break;
		case M_TAPE_WALK: run_tape(r, 1); break;
	}
}

int
main(int argc, char **argv)
{
	int			rounds = argc > 1 ? atoi(argv[1]) : 5;
	int			nk = argc - 2;
	Recs	   *recs = calloc(nk > 0 ? nk : 1, sizeof(Recs));
	double	  (*best)[NMETHODS];

	if (nk < 1 || rounds < 1)
	{
		fprintf(stderr, "usage: json_parse ROUNDS KIND=DIR [KIND=DIR ...]\n");
		return 2;
	}
	best = calloc(nk, sizeof(*best));
	for (int k = 0; k < nk; k++)
	{
		char	   *eq = strchr(argv[k + 2], '=');
		json_tokener *tok = json_tokener_new_ex(65);

		if (eq == NULL)
			return 2;
		*eq = '\0';
		recs[k].kind = argv[k + 2];
		collect(&recs[k], eq + 1);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
		for (long i = 0; i < recs[k].n; i++)
		{
			json_object *o;

			json_tokener_reset(tok);
			o = cl_json_parse(tok, recs[k].arena + recs[k].off[i], recs[k].len[i]);
			recs[k].objects += count_objects(o);
			json_object_put(o);
		}
		json_tokener_free(tok);
		for (int m = 0; m < NMETHODS; m++)
			best[k][m] = 1e30;
	}

	/* interleaved: each round runs every kind and parser, the order rotating */
	for (int round = 0; round < rounds; round++)
		for (int k = 0; k < nk; k++)
			for (int j = 0; j < NMETHODS; j++)
			{
				int			m = (j + round) % NMETHODS;
				double		t0 = cpu_now(),
							t;

				run(&recs[k], m);
				t = cpu_now() - t0;
				if (t < best[k][m])
					best[k][m] = t;
			}

	for (int k = 0; k < nk; k++)
	{
		Recs	   *r = &recs[k];
		size_t		bytes = r->used - r->n;

		printf("%s: %ld records, %.1f MB, %.0f bytes a record, %.1f objects per KB; best of %d rounds, CPU\n",
			   r->kind, r->n, bytes / 1e6, (double) bytes / r->n, r->objects / (bytes / 1024.0), rounds);
		printf("  %-16s %10s %10s %8s %10s\n", "parser", "total ms", "us/record", "ns/byte", "of jsonc");
		for (int m = 0; m < NMETHODS; m++)
			printf("  %-16s %10.1f %10.2f %8.2f %10.2f\n", mnames[m], best[k][m] * 1e3,
				   best[k][m] * 1e6 / r->n, best[k][m] * 1e9 / bytes, best[k][m] / best[k][M_JSONC]);
	}
	return 0;
}
