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
 *   tape             the loader's tape parser (src/jsontape.c, the framer's
 *                    tape option): recursive descent into one reused array
 *                    of nodes, strings pointing into the record unless they
 *                    hold escapes; grammar checked, UTF-8 taken as the
 *                    framer validated it (every record is first checked to
 *                    give the same tape as json-c's tree copied)
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

static void
run_tape(Recs *r, int walk)
{
	CLTape		t = {0};

	for (long i = 0; i < r->n; i++)
	{
		if (cl_tape_parse(&t, r->arena + r->off[i], r->len[i], 65) != CL_TAPE_OK)
		{
			fprintf(stderr, "%s record %ld: the tape parser fell back\n", r->kind, i);
			exit(1);
		}
		if (walk)
			for (uint32_t k = 0; k < t.n; k++)
				sink += t.nodes[k].type == CLT_STRING ? t.nodes[k].len : t.nodes[k].type;
	}
	cl_tape_free(&t);
}

/* every record: the tape parser's tape equals json-c's tree copied */
static void
check_tape(Recs *r)
{
	CLTape		a = {0},
				b = {0};
	json_tokener *tok = json_tokener_new_ex(65);

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	for (long i = 0; i < r->n; i++)
	{
		json_object *o;

		json_tokener_reset(tok);
		o = cl_json_parse(tok, r->arena + r->off[i], r->len[i]);
		if (cl_tape_parse(&a, r->arena + r->off[i], r->len[i], 65) != CL_TAPE_OK ||
			cl_tape_from_jsonc(&b, o) != CL_TAPE_OK || !cl_tape_equal(&a, &b))
		{
			fprintf(stderr, "%s record %ld: the tape differs from json-c's\n", r->kind, i);
			exit(1);
		}
		json_object_put(o);
	}
	json_tokener_free(tok);
	cl_tape_free(&a);
	cl_tape_free(&b);
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
		check_tape(&recs[k]);
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
