/*
 * Unit tests of src/decompress.c and the framer, src/framing*.c (no server needed).
 *
 *   test/unit/framing_test            the tests; last line "unit framing: N passed, N failed"
 *   test/unit/framing_test --bench [MB]   throughput on generated CTR-like NDJSON
 *
 * Every framing case runs over a file and over memory, with the default
 * read size and with reads of 1, 7 and 64 bytes: all runs must give the same
 * records, errors and positions (buffer edges must not matter).
 * Real samples come from $CONNECT_LAKE_SAMPLES or ../shared/samples.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include "decompress.h"
#include "framing.h"

static int	passed,
			failed;

/*
 * Memory running out, on demand: while realloc_limit is set, realloc()
 * (the framer's, the tape's and json-c's) refuses any block larger, with
 * errno ENOMEM as glibc's does.
 */
extern void *__libc_realloc(void *p, size_t n);
static size_t realloc_limit;

void	   *realloc(void *p, size_t n);
void *
realloc(void *p, size_t n)
{
	if (realloc_limit && n > realloc_limit)
	{
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}
static char tmpdir[64];
static const char *current_test = "";

#define CHECK(cond, ...) check((cond) != 0, __LINE__, __VA_ARGS__)

static void
check(int ok, int line, const char *fmt,...)
{
	va_list		ap;

	if (ok)
	{
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "FAIL %s (line %d): ", current_test, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---------------------------------------------------------------- buffers */

typedef struct Buf
{
	char	   *d;
	size_t		n;
	size_t		cap;
} Buf;

static void
buf_add(Buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap)
	{
		b->cap = (b->n + n + 1) * 2;
		b->d = realloc(b->d, b->cap);
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
	b->d[b->n] = '\0';
}

static void
buf_str(Buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_printf(Buf *b, const char *fmt,...)
{
	char		tmp[4096];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_add(b, tmp, (size_t) (n < (int) sizeof(tmp) ? n : (int) sizeof(tmp) - 1));
}

static void
buf_free(Buf *b)
{
	free(b->d);
	memset(b, 0, sizeof(*b));
}

/* one gzip member of data */
static Buf
gzip_of(const void *data, size_t n)
{
	Buf			out = {0};
	z_stream	z;
	unsigned char tmp[65536];
	int			ret;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *) data;
	z.avail_in = (uInt) n;
	do
	{
		z.next_out = tmp;
		z.avail_out = sizeof(tmp);
		ret = deflate(&z, Z_FINISH);
		buf_add(&out, tmp, sizeof(tmp) - z.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&z);
	return out;
}

static char *
write_tmp(const char *name, const void *data, size_t n)
{
	static char path[256];
	FILE	   *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(data, 1, n, fp) != n)
	{
		perror(path);
		exit(2);
	}
	fclose(fp);
	return path;
}

static int
read_file(const char *path, Buf *out)
{
	FILE	   *fp = fopen(path, "rb");
	char		tmp[65536];
	size_t		n;

	memset(out, 0, sizeof(*out));
	if (fp == NULL)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		buf_add(out, tmp, n);
	fclose(fp);
	if (out->d == NULL)
		buf_add(out, "", 0);
	return 0;
}

/* ---------------------------------------------------------------- runs */

typedef struct Out
{
	int			r;
	char	   *json;			/* RECORD: plain serialisation */
	uint64_t	off,
				line;
	int			kind;
	char	   *reason;
	uint64_t	eoff,
				eline;
	char	   *raw;
	size_t		raw_len;
	int			has_raw;
	char	   *group,
			   *stream,
			   *snippet;
} Out;

typedef struct Res
{
	Out		   *o;
	int			n;				/* records and record errors */
	int			nrec;
	int			nerr;
	int			final;			/* CL_FRAME_END or CL_FRAME_STREAM_ERROR */
	char	   *final_msg;
	CLFormat	format;
	int			gzip;
	uint64_t	bytes_in,
				bytes_out;
	Buf			trace;
} Res;

static char *
dupn(const char *s, size_t n)
{
	char	   *d;

	if (s == NULL)
		return NULL;
	d = malloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *
dups(const char *s)
{
	return s ? dupn(s, strlen(s)) : NULL;
}

static void
res_free(Res *r)
{
	int			i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
	{
		free(r->o[i].json);
		free(r->o[i].reason);
		free(r->o[i].raw);
		free(r->o[i].group);
		free(r->o[i].stream);
		free(r->o[i].snippet);
	}
	free(r->o);
	free(r->final_msg);
	buf_free(&r->trace);
	free(r);
}

typedef struct RunOpts
{
	CLCompression comp;
	CLFormat	fmt;
	size_t		chunk;
	size_t		max_record;
	int			max_depth;
	int			via_file;
	int			no_trace;		/* big inputs: keep only counts */
	int			tape;			/* the tape option: records checked against json-c */
} RunOpts;

static int	tape_mismatches;

/*
 * Under the tape option: the record's tape must be what json-c's parse of
 * the record's bytes gives, copied (the framer's own object when json-c
 * parsed it); returns that object for the trace (put by the caller).
 */
static json_object *
tape_check(const CLRecord *rec)
{
	json_object *o = rec->obj;
	CLTape		t = {0};

	if (o == NULL)
	{
		json_tokener *tok = json_tokener_new_ex(CL_FRAME_DEFAULT_MAX_DEPTH + 1);

		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		o = cl_json_parse(tok, rec->raw, (int) rec->raw_len);
		json_tokener_free(tok);
	}
	else
		json_object_get(o);
	if (rec->tape == NULL || o == NULL || cl_tape_from_jsonc(&t, o) != CL_TAPE_OK ||
		!cl_tape_equal(&t, rec->tape))
		tape_mismatches++;
	cl_tape_free(&t);
	return o;
}

static Res *
run_once(const void *data, size_t len, const RunOpts *ro)
{
	CLFrameOptions opts;
	CLFrame    *f;
	CLRecord	rec;
	Res		   *res = calloc(1, sizeof(Res));
	int			r,
				cap = 0;

	memset(&opts, 0, sizeof(opts));
	opts.chunk_size = ro->chunk;
	opts.max_record_size = ro->max_record;
	opts.max_depth = ro->max_depth;
	opts.tape = ro->tape;
	if (ro->via_file)
		f = cl_frame_open(write_tmp("input", data, len), ro->comp, ro->fmt, &opts);
	else
		f = cl_frame_open_mem(data, len, ro->comp, ro->fmt, &opts);
	if (f == NULL)
	{
		perror("cl_frame_open");
		exit(2);
	}
	for (;;)
	{
		Out		   *o;

		r = cl_frame_next(f, &rec);
		if (r == CL_FRAME_END || r == CL_FRAME_STREAM_ERROR)
			break;
		if (res->n == cap)
		{
			cap = cap ? cap * 2 : 16;
			res->o = realloc(res->o, sizeof(Out) * cap);
		}
		o = &res->o[res->n++];
		memset(o, 0, sizeof(*o));
		o->r = r;
		o->off = rec.offset;
		o->line = rec.line;
		if (!ro->no_trace)
		{
			o->group = dups(rec.log_group);
			o->stream = dups(rec.log_stream);
			o->has_raw = rec.raw != NULL;
			o->raw = dupn(rec.raw, rec.raw_len);
			o->raw_len = rec.raw_len;
		}
		if (r == CL_FRAME_RECORD)
		{
			json_object *obj = ro->tape ? tape_check(&rec) : json_object_get(rec.obj);

			res->nrec++;
			if (!ro->no_trace)
				o->json = dups(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
			else if (!json_object_is_type(obj, json_type_object))
				res->nerr += 1000000;
			json_object_put(obj);
		}
		else
		{
			res->nerr++;
			o->kind = rec.error_kind;
			o->reason = dups(rec.error);
			o->eoff = rec.error_offset;
			o->eline = rec.error_line;
			o->snippet = dups(rec.snippet);
		}
		if (!ro->no_trace)
		{
			buf_printf(&res->trace, "%s off=%llu line=%llu",
					   r == CL_FRAME_RECORD ? "R" : "E",
					   (unsigned long long) o->off, (unsigned long long) o->line);
			if (r == CL_FRAME_RECORD)
			{
				buf_str(&res->trace, " ");
				buf_str(&res->trace, o->json);
			}
			else
				buf_printf(&res->trace, " kind=%d eoff=%llu eline=%llu %s [%s] rawlen=%zu",
						   o->kind, (unsigned long long) o->eoff, (unsigned long long) o->eline,
						   o->reason, o->snippet, o->raw_len);
			buf_printf(&res->trace, " ctx=%s|%s\n", o->group ? o->group : "-",
					   o->stream ? o->stream : "-");
		}
	}
	res->final = r;
	res->final_msg = dups(r == CL_FRAME_STREAM_ERROR ? rec.error : "");
	buf_printf(&res->trace, "%s %s (format %s)\n", r == CL_FRAME_END ? "END" : "STREAM_ERROR", res->final_msg,
			   cl_format_name(cl_frame_format(f)));
	/* sticky end */
	r = cl_frame_next(f, &rec);
	if (r != res->final)
		buf_str(&res->trace, "NOT STICKY\n");
	res->format = cl_frame_format(f);
	res->gzip = cl_frame_is_gzip(f);
	res->bytes_in = cl_frame_bytes_in(f);
	res->bytes_out = cl_frame_bytes_out(f);
	cl_frame_close(&f);
	cl_frame_close(&f);			/* idempotent */
	return res;
}

static void dump(const Res *r);

/*
 * What every run must say of positions, whatever the input: a record (good
 * or bad) is placed where it starts, so its raw bytes are the input's at its
 * offset and its line is that offset's; a bad one's problem is noticed at or
 * after that start, on the line of the offset given.  Envelope formats hand
 * out messages (raw is the decoded string) placed at their envelope or
 * event, and gzip input is not the stream: offsets only are ordered there.
 */
static void
check_positions(const char *data, size_t len, const Res *r)
{
	int			envelopes = r->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION ||
		r->format == CL_FORMAT_FILTER_LOG_EVENTS;
	int			i;
	int			bad = -1;
	uint32_t   *line_at = NULL; /* line_at[i]: the line of byte offset i */

	if (!r->gzip && len <= 4 * 1024 * 1024)
	{
		size_t		j;

		line_at = malloc((len + 1) * sizeof(uint32_t));
		line_at[0] = 1;
		for (j = 0; j < len; j++)
			line_at[j + 1] = line_at[j] + (data[j] == '\n');
	}
	for (i = 0; i < r->n && bad < 0; i++)
	{
		const Out  *o = &r->o[i];

		if (o->r == CL_FRAME_RECORD_ERROR && (o->eoff < o->off || o->eline < o->line))
			bad = i;
		if (line_at == NULL)
			continue;
		if (o->off > len || o->line != line_at[o->off])
			bad = i;
		if (o->r == CL_FRAME_RECORD_ERROR && (o->eoff > len || o->eline != line_at[o->eoff]))
			bad = i;
		if (!envelopes && o->has_raw &&
			(o->off + o->raw_len > len || memcmp(data + o->off, o->raw, o->raw_len) != 0))
			bad = i;
	}
	free(line_at);
	CHECK(bad < 0, "outcome %d: its line/offset is not where its bytes are, or its problem precedes its start", bad + 1);
	if (bad >= 0)
		dump(r);
}

/*
 * Runs data through the framer with several read sizes, over memory and a
 * file; all must agree.  Returns the default run.
 */
/*
 * Subscription envelopes are walked in place unless this (framing_int.h)
 * sends them to json-c; run_ex compares both ways on every envelope input.
 */
extern int	fr_envelope_jsonc;

static Res *
run_ex(const void *data, size_t len, CLCompression comp, CLFormat fmt, size_t max_record, int max_depth)
{
	static const size_t chunks[] = {1, 7, 64, 4096};
	RunOpts		ro;
	Res		   *base;
	int			i;

	memset(&ro, 0, sizeof(ro));
	ro.comp = comp;
	ro.fmt = fmt;
	ro.max_record = max_record;
	ro.max_depth = max_depth;
	ro.via_file = 1;
	base = run_once(data, len, &ro);
	if (base->trace.d != NULL)
		check_positions(data, len, base);
	for (i = 0; i < (int) (sizeof(chunks) / sizeof(chunks[0])); i++)
	{
		Res		   *other;

		if (len > 200000 && chunks[i] < 4096)
			continue;
		ro.chunk = chunks[i];
		ro.via_file = i % 2;
		other = run_once(data, len, &ro);
		CHECK(strcmp(base->trace.d, other->trace.d) == 0 && base->format == other->format,
			  "read size %zu gives another result:\n--- default\n%s--- %zu\n%s", chunks[i],
			  base->trace.d, chunks[i], other->trace.d);
		res_free(other);
	}
	if (base->trace.d != NULL)
	{
		/* records as tapes: the same outcomes, and each tape json-c's values */
		Res		   *other;
		int			before = tape_mismatches;

		ro.chunk = 0;
		ro.via_file = 0;
		ro.tape = 1;
		other = run_once(data, len, &ro);
		ro.tape = 0;
		CHECK(strcmp(base->trace.d, other->trace.d) == 0 && tape_mismatches == before,
			  "the tape option gives another result (%d tapes unlike json-c's):\n--- json-c\n%s--- tape\n%s",
			  tape_mismatches - before, base->trace.d, other->trace.d);
		res_free(other);
	}
	if (base->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION && base->trace.d != NULL)
	{
		/* the envelopes parsed by json-c: the same records, errors and raw bytes */
		Res		   *other;
		int			same;

		ro.chunk = 0;
		ro.via_file = 0;
		fr_envelope_jsonc = 1;
		other = run_once(data, len, &ro);
		fr_envelope_jsonc = 0;
		same = strcmp(base->trace.d, other->trace.d) == 0 && base->n == other->n;
		for (i = 0; same && i < base->n; i++)
			same = base->o[i].has_raw == other->o[i].has_raw && base->o[i].raw_len == other->o[i].raw_len &&
				memcmp(base->o[i].raw, other->o[i].raw, base->o[i].raw_len) == 0;
		CHECK(same, "envelopes walked and parsed by json-c differ:\n--- walked\n%s--- json-c\n%s",
			  base->trace.d, other->trace.d);
		res_free(other);
	}
	return base;
}

static Res *
run(const char *data, CLCompression comp, CLFormat fmt)
{
	return run_ex(data, strlen(data), comp, fmt, 0, 0);
}

static void
dump(const Res *r)
{
	fprintf(stderr, "%s", r->trace.d);
}

/* The records of r as one string: plain JSON, one per line. */
static char *
records_of(const Res *r)
{
	Buf			b = {0};
	int			i;

	buf_str(&b, "");
	for (i = 0; i < r->n; i++)
		if (r->o[i].r == CL_FRAME_RECORD)
		{
			buf_str(&b, r->o[i].json);
			buf_str(&b, "\n");
		}
	return b.d;
}

/* Expects exactly these outcomes: "R" record, "E<kind>" error, e.g. "R E3 R". */
static void
expect_shape(const Res *r, const char *shape, int line)
{
	Buf			b = {0};
	int			i;
	int			ok;

	buf_str(&b, "");
	for (i = 0; i < r->n; i++)
	{
		if (i > 0)
			buf_str(&b, " ");
		if (r->o[i].r == CL_FRAME_RECORD)
			buf_str(&b, "R");
		else
			buf_printf(&b, "E%d", r->o[i].kind);
	}
	ok = strcmp(b.d, shape) == 0 && r->final == CL_FRAME_END;
	check(ok, line, "shape \"%s\", expected \"%s\" (final %d)", b.d, shape, r->final);
	if (!ok)
		dump(r);
	buf_free(&b);
}

#define EXPECT_SHAPE(r, shape) expect_shape((r), (shape), __LINE__)

static const char *
jstr(const Out *o)
{
	return o->json ? o->json : "(none)";
}

/* ---------------------------------------------------------------- cases */

/* a CLSourceTap collecting the bytes into a Buf */
static void
tap_bytes(void *arg, const void *bytes, size_t len)
{
	buf_add((Buf *) arg, bytes, len);
}

static void
test_decompress(void)
{
	const char *text = "{\"a\":1}\n{\"b\":2}\n";
	Buf			gz = gzip_of(text, strlen(text));
	Buf			two = {0},
				tmp;
	char		out[256];
	long		n;
	size_t		got;
	CLSource   *src;

	current_test = "decompress";

	/* plain passthrough */
	src = cl_source_open_mem(text, strlen(text), CL_COMPRESSION_AUTO);
	n = cl_source_read(src, out, sizeof(out));
	CHECK(n == (long) strlen(text) && memcmp(out, text, n) == 0 && !cl_source_is_gzip(src), "plain passthrough");
	CHECK(cl_source_read(src, out, sizeof(out)) == 0, "plain end");
	cl_source_close(&src);
	CHECK(src == NULL, "close clears the pointer");
	cl_source_close(&src);

	/* gzip auto-detected, read in small pieces */
	src = cl_source_open_mem(gz.d, gz.n, CL_COMPRESSION_AUTO);
	got = 0;
	while ((n = cl_source_read(src, out + got, 3)) > 0)
		got += (size_t) n;
	CHECK(n == 0 && got == strlen(text) && memcmp(out, text, got) == 0 && cl_source_is_gzip(src),
		  "gzip in 3-byte reads");
	CHECK(cl_source_bytes_in(src) == gz.n && cl_source_bytes_out(src) == strlen(text), "byte counts");
	cl_source_close(&src);

	/* mode none hands gzip bytes through */
	src = cl_source_open_mem(gz.d, gz.n, CL_COMPRESSION_NONE);
	n = cl_source_read(src, out, sizeof(out));
	CHECK(n == (long) gz.n && !cl_source_is_gzip(src), "mode none passes gzip through");
	cl_source_close(&src);

	/* mode gzip on plain data */
	src = cl_source_open_mem(text, strlen(text), CL_COMPRESSION_GZIP);
	n = cl_source_read(src, out, sizeof(out));
	CHECK(n == -1 && strstr(cl_source_error(src), "not gzip") != NULL, "mode gzip rejects plain: %s", cl_source_error(src));
	cl_source_close(&src);

	/* two members, then NUL padding */
	buf_add(&two, gz.d, gz.n);
	buf_add(&two, gz.d, gz.n);
	buf_add(&two, "\0\0\0\0", 4);
	{
		int			fd = open(write_tmp("two.bin", two.d, two.n), O_RDONLY);

		Buf			seen = {0};

		src = cl_source_open_fd(fd, 1, CL_COMPRESSION_AUTO, 5);
		cl_source_set_tap(src, tap_bytes, &seen);
		got = 0;
		while ((n = cl_source_read(src, out + got, sizeof(out) - got)) > 0)
			got += (size_t) n;
		CHECK(n == 0 && got == 2 * strlen(text) && cl_source_members(src) == 2,
			  "two members + padding: n=%ld got=%zu members=%d %s", n, got, cl_source_members(src), cl_source_error(src));
		CHECK(seen.n == two.n && memcmp(seen.d, two.d, two.n) == 0,
			  "the tap sees every byte read from the file, in order (%zu of %zu)", seen.n, two.n);
		cl_source_close(&src);
		buf_free(&seen);
	}
	{
		/* plain, read straight into the caller's buffer: the tap sees it too */
		const char *plain = "{\"a\":1}\n{\"b\":2}\n";
		int			fd = open(write_tmp("plain.bin", plain, strlen(plain)), O_RDONLY);
		Buf			seen = {0};

		src = cl_source_open_fd(fd, 1, CL_COMPRESSION_AUTO, 16);
		cl_source_set_tap(src, tap_bytes, &seen);
		got = 0;
		while ((n = cl_source_read(src, out + got, 3)) > 0)
			got += (size_t) n;
		CHECK(seen.n == strlen(plain) && memcmp(seen.d, plain, seen.n) == 0 && got == seen.n,
			  "the tap sees plain bytes once each (%zu of %zu)", seen.n, strlen(plain));
		cl_source_close(&src);
		buf_free(&seen);
	}

	/* garbage after a member */
	tmp = (Buf) {0};
	buf_add(&tmp, gz.d, gz.n);
	buf_str(&tmp, "junk");
	src = cl_source_open_mem(tmp.d, tmp.n, CL_COMPRESSION_AUTO);
	got = 0;
	while ((n = cl_source_read(src, out + got, sizeof(out) - got)) > 0)
		got += (size_t) n;
	CHECK(n == -1 && got == strlen(text) && strstr(cl_source_error(src), "after gzip member 1") != NULL,
		  "trailing garbage: %s", cl_source_error(src));
	CHECK(cl_source_read(src, out, sizeof(out)) == -1, "error is sticky");
	cl_source_close(&src);
	buf_free(&tmp);

	/* truncated: every cut must fail, never end quietly */
	{
		size_t		cut;
		int			all = 1;

		for (cut = 2; cut < gz.n; cut++)
		{
			src = cl_source_open_mem(gz.d, cut, CL_COMPRESSION_AUTO);
			while ((n = cl_source_read(src, out, sizeof(out))) > 0)
				;
			if (n != -1)
			{
				all = 0;
				fprintf(stderr, "cut at %zu ended quietly\n", cut);
			}
			cl_source_close(&src);
		}
		CHECK(all, "every truncation of a gzip member is an error");
	}
	src = cl_source_open_mem(gz.d, gz.n - 4, CL_COMPRESSION_AUTO);
	while ((n = cl_source_read(src, out, sizeof(out))) > 0)
		;
	CHECK(n == -1 && strstr(cl_source_error(src), "truncated") != NULL, "truncated message: %s", cl_source_error(src));
	cl_source_close(&src);

	/* corrupt deflate data */
	tmp = (Buf) {0};
	buf_add(&tmp, gz.d, gz.n);
	memset(tmp.d + 10, 0xff, tmp.n - 18);
	src = cl_source_open_mem(tmp.d, tmp.n, CL_COMPRESSION_AUTO);
	while ((n = cl_source_read(src, out, sizeof(out))) > 0)
		;
	CHECK(n == -1 && strstr(cl_source_error(src), "corrupt at compressed byte offset") != NULL,
		  "corrupt: %s", cl_source_error(src));
	cl_source_close(&src);
	buf_free(&tmp);

	/* corrupt bytes anywhere: an error, or (header fields zlib ignores) the same data */
	{
		unsigned	seed = 777;
		int			k,
					silent = 0;
		Buf			orig = {0};

		for (k = 0; k < 40; k++)
			buf_str(&orig, "{\"ContactId\":\"11111111-2222-3333-4444-555555555555\",\"n\":12345}\n");
		{
			Buf			one = gzip_of(orig.d, orig.n);

			tmp = (Buf) {0};
			buf_add(&tmp, one.d, one.n);
			buf_add(&tmp, one.d, one.n);	/* two members */
			buf_free(&one);
		}
		for (k = 0; k < 3000; k++)
		{
			Buf			bad = {0},
						outb = {0};
			size_t		at = ((seed = seed * 1103515245 + 12345) >> 8) % tmp.n;
			unsigned char x = (unsigned char) (1 + ((seed = seed * 1103515245 + 12345) >> 16) % 255);

			buf_add(&bad, tmp.d, tmp.n);
			bad.d[at] ^= x;
			src = cl_source_open_mem(bad.d, bad.n, CL_COMPRESSION_GZIP);
			while ((n = cl_source_read(src, out, sizeof(out))) > 0)
				buf_add(&outb, out, (size_t) n);
			if (n == 0 && (outb.n != 2 * orig.n || memcmp(outb.d, orig.d, orig.n) != 0 ||
						   memcmp(outb.d + orig.n, orig.d, orig.n) != 0))
				silent++;
			cl_source_close(&src);
			buf_free(&bad);
			buf_free(&outb);
		}
		CHECK(silent == 0, "corrupt gzip never yields other data quietly (%d did)", silent);
		buf_free(&tmp);
		buf_free(&orig);
	}

	/* empty input in gzip mode is empty */
	src = cl_source_open_mem("", 0, CL_COMPRESSION_GZIP);
	CHECK(cl_source_read(src, out, sizeof(out)) == 0, "empty is empty");
	cl_source_close(&src);

	buf_free(&gz);
	buf_free(&two);
}

static void
test_ndjson(void)
{
	Res		   *r;

	current_test = "ndjson";
	r = run("{\"a\":1}\r\n\r\n{\"b\":\"x\"}\r\n   \n{\"c\":[1,2]}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R R R");
	CHECK(r->format == CL_FORMAT_NDJSON, "detected ndjson, got %s", cl_format_name(r->format));
	if (r->n == 3)
	{
		CHECK(strcmp(jstr(&r->o[1]), "{\"b\":\"x\"}") == 0, "record 2 %s", jstr(&r->o[1]));
		CHECK(r->o[0].off == 0 && r->o[0].line == 1, "rec 1 at 0/1");
		CHECK(r->o[1].off == 11 && r->o[1].line == 3, "rec 2 at %llu/%llu", (unsigned long long) r->o[1].off, (unsigned long long) r->o[1].line);
		CHECK(r->o[2].off == 26 && r->o[2].line == 5, "rec 3 at %llu/%llu", (unsigned long long) r->o[2].off, (unsigned long long) r->o[2].line);
		CHECK(r->o[1].raw_len == 9 && memcmp(r->o[1].raw, "{\"b\":\"x\"}", 9) == 0, "raw is the record's bytes");
	}
	res_free(r);

	r = run("{\"a\":1}\n{\"b\":2}\n", CL_COMPRESSION_AUTO, CL_FORMAT_NDJSON);
	EXPECT_SHAPE(r, "R R");
	CHECK(r->format == CL_FORMAT_NDJSON, "explicit ndjson");
	res_free(r);

	/* UTF-8 byte order mark */
	r = run("\xEF\xBB\xBF{\"a\":\"\xC3\xA9\"}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R");
	CHECK(r->n == 1 && r->o[0].off == 3, "BOM skipped");
	res_free(r);
	r = run("\xEF\xBB\xBF{\n  \"a\": 1\n}\n\xEF\xBB\xBF{\n  \"b\": 2\n}\xEF\xBB\xBF{\"c\":3}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R R R");
	res_free(r);
}

static void
test_concatenated(void)
{
	Res		   *r;
	const char *pretty = "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": [\n      {\"d\": null}\n    ]\n  }\n}\n{\n  \"e\": true\n}";

	current_test = "concatenated";
	r = run("{\"a\":1}{\"b\":2}{\"c\":{\"d\":\"}{\"}}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R R R");
	CHECK(r->format == CL_FORMAT_CONCATENATED, "detected concatenated");
	if (r->n == 3)
	{
		CHECK(r->o[1].off == 7 && r->o[2].off == 14, "offsets %llu %llu", (unsigned long long) r->o[1].off, (unsigned long long) r->o[2].off);
		CHECK(strcmp(jstr(&r->o[2]), "{\"c\":{\"d\":\"}{\"}}") == 0, "braces inside strings: %s", jstr(&r->o[2]));
	}
	res_free(r);

	r = run("{\"a\":1} {\"b\":2}\t\n\n{\"c\":3}", CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED);
	EXPECT_SHAPE(r, "R R R");
	res_free(r);

	r = run(pretty, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R R");
	CHECK(r->format == CL_FORMAT_CONCATENATED, "pretty-printed is concatenated, got %s", cl_format_name(r->format));
	if (r->n == 2)
	{
		CHECK(strcmp(jstr(&r->o[0]), "{\"a\":1,\"b\":{\"c\":[{\"d\":null}]}}") == 0, "pretty %s", jstr(&r->o[0]));
		CHECK(r->o[1].line == 9 && r->o[1].off == 62, "pretty rec 2 at %llu/%llu", (unsigned long long) r->o[1].off, (unsigned long long) r->o[1].line);
	}
	res_free(r);

	/* escapes */
	r = run("{\"q\":\"a\\\"b\\\\\",\"u\":\"\\u00e9\\ud83d\\ude00\",\"n\":-1.5e3}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R");
	res_free(r);
}

static void
test_array(void)
{
	Res		   *r;

	current_test = "array";
	r = run(" [\n {\"a\":1},\n {\"b\":[{\"c\":2}]} ,{\"d\":\"]\"}\n]\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R R R");
	CHECK(r->format == CL_FORMAT_ARRAY, "detected array");
	if (r->n == 3)
	{
		CHECK(r->o[1].off == 14 && r->o[1].line == 3, "element 2 at %llu line %llu",
			  (unsigned long long) r->o[1].off, (unsigned long long) r->o[1].line);
		CHECK(strcmp(jstr(&r->o[2]), "{\"d\":\"]\"}") == 0, "element 3 %s", jstr(&r->o[2]));
	}
	res_free(r);

	r = run("[]", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "");
	res_free(r);

	r = run("[{\"a\":1}][{\"b\":2}]\n[{\"c\":3}]", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "R R R");
	res_free(r);

	/* non-object elements and a bad element: errors, the rest loads */
	r = run("[{\"a\":1}, 42, \"s\", [1], {\"b\":tru}, {\"c\":3}]", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E5 E5 E5 E1 R");
	if (r->n == 6)
		CHECK(strcmp(jstr(&r->o[5]), "{\"c\":3}") == 0, "after errors %s", jstr(&r->o[5]));
	res_free(r);

	/* missing comma, trailing comma, unterminated array */
	r = run("[{\"a\":1} {\"b\":2},]", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "R E1 R E1");
	res_free(r);
	r = run("[{\"a\":1},\n{\"b\":2}", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "R R E7");
	res_free(r);

	/* an object where an array was declared */
	r = run("{\"a\":1}\n[{\"b\":2}]", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "E5 R");
	res_free(r);
}

static void
test_export(void)
{
	Res		   *r;
	const char *text =
		"2021-04-13T00:14:31.581Z {\"ContactId\":\"1\",\"x\":1}\n"
		"2021-04-13T00:14:32.000Z {\n"
		"    \"ContactId\": \"2\",\n"
		"    \"Parameters\": {\"a\": \"b\"}\n"
		"}\n"
		"\n"
		"2017-11-09T12:17.898Z {\"ContactId\":\"no seconds\"}\n"
		"2021-04-13T00:14:33Z {\"ContactId\":\"3\"}\r\n"
		"no timestamp here\n"
		"2021-04-13T00:14:34.5Z {\"ContactId\":\"4\"} trailing\n"
		"2021-04-13T00:14:35.000Z plain text message\n"
		"2021-04-13T00:14:36.000Z {\"ContactId\":\"5\"}";

	current_test = "cloudwatch_export";
	r = run(text, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	CHECK(r->format == CL_FORMAT_CLOUDWATCH_EXPORT, "detected export, got %s", cl_format_name(r->format));
	EXPECT_SHAPE(r, "R R E8 R E8 E1 E5 R");
	if (r->n == 8)
	{
		CHECK(r->o[0].off == 25 && r->o[0].line == 1, "record 1 at %llu", (unsigned long long) r->o[0].off);
		CHECK(strcmp(jstr(&r->o[1]), "{\"ContactId\":\"2\",\"Parameters\":{\"a\":\"b\"}}") == 0 && r->o[1].line == 2,
			  "multi-line message %s line %llu", jstr(&r->o[1]), (unsigned long long) r->o[1].line);
		CHECK(r->o[2].line == 7 && strstr(r->o[2].reason, "timestamp") != NULL, "no seconds: line %llu %s",
			  (unsigned long long) r->o[2].line, r->o[2].reason);
		CHECK(r->o[4].line == 9, "timestamp-less line %llu", (unsigned long long) r->o[4].line);
		CHECK(strcmp(jstr(&r->o[7]), "{\"ContactId\":\"5\"}") == 0, "last record");
	}
	res_free(r);
	r = run(text, CL_COMPRESSION_NONE, CL_FORMAT_CLOUDWATCH_EXPORT);
	EXPECT_SHAPE(r, "R R E8 R E8 E1 E5 R");
	res_free(r);
}

static char *
envelope(const char *type, const char *stream, int nev, const char *const *messages, long first_id)
{
	json_object *env = json_object_new_object();
	json_object *events = json_object_new_array();
	json_object *filters = json_object_new_array();
	char	   *out;
	int			i;

	json_object_object_add(env, "messageType", json_object_new_string(type));
	json_object_object_add(env, "owner", json_object_new_string("123456789012"));
	json_object_object_add(env, "logGroup", json_object_new_string("/aws/connect/demo"));
	json_object_object_add(env, "logStream", json_object_new_string(stream));
	json_object_array_add(filters, json_object_new_string("to-firehose"));
	json_object_object_add(env, "subscriptionFilters", filters);
	for (i = 0; i < nev; i++)
	{
		json_object *ev = json_object_new_object();
		char		id[64];

		snprintf(id, sizeof(id), "3619576%ld", first_id + i);
		json_object_object_add(ev, "id", json_object_new_string(id));
		json_object_object_add(ev, "timestamp", json_object_new_int64(1618272871581LL + i));
		json_object_object_add(ev, "message", json_object_new_string(messages[i]));
		json_object_array_add(events, ev);
	}
	json_object_object_add(env, "logEvents", events);
	out = dups(json_object_to_json_string_ext(env, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(env);
	return out;
}

/*
 * Envelopes the walk reads in place and envelopes it leaves to json-c
 * (grammar json-c rejects or tolerates, escapes, duplicate and escaped keys,
 * nesting): run_ex compares each with json-c's reading of it, records,
 * errors, raw bytes and context alike.
 */
static void
test_envelope_walk(void)
{
	static const char *const cases[] = {
		/* escapes in the context and the message, numbers and literals */
		"{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\\u00e9\\ud83d\\ude00\",\"logStream\":\"s\\/x\\t\","
		"\"subscriptionFilters\":[\"a\",\"b\"],\"owner\":\"1\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":-0,"
		"\"message\":\"{\\\"a\\\":\\\"\\\\u00e9\\\\ud83d\\\\ude00\\\",\\\"b\\\":[1,2.5e3,-0.0E-2,true,false,null]}\"}]}",
		/* duplicate keys: the last wins, in the envelope and in an event */
		"{\"logEvents\":[{\"message\":\"{\\\"a\\\":1}\"}],\"messageType\":\"DATA_MESSAGE\",\"logEvents\":"
		"[{\"message\":\"{\\\"b\\\":2}\",\"message\":\"{\\\"c\\\":3}\"},{\"message\":\"{\\\"d\\\":4}\",\"message\":5}],"
		"\"logStream\":1,\"logStream\":\"last\",\"logGroup\":\"g\",\"logGroup\":null}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"logEvents\":{}}",
		"{\"logEvents\":{},\"logEvents\":[{\"message\":\"{}\"}]}",
		/* escaped keys, a control message spelt with an escape */
		"{\"\\u006cogEvents\":[{\"mess\\u0061ge\":\"{\\\"e\\\":5}\"}],\"messageType\":\"CONTROL\\u005fMESSAGE\"}"
		"{\"\\u006cogEvents\":[{\"mess\\u0061ge\":\"{\\\"e\\\":6}\"}],\"messageType\":\"DATA\\u005fMESSAGE\"}",
		"{\"\\u006c\\u006f\\u0067\\u0045\\u0076\\u0065\\u006e\\u0074\\u0073\":[{\"message\":\"{}\"}]}",
		"{\"messageType\":\"CONTROL_MESSAGE\\u0000x\",\"logEvents\":[{\"message\":\"{}\"}]}",
		"{\"message\\u0000Type\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"message\\u0000\":\"{}\"}]}",
		"{\"a_key_much_longer_than_the_walk_s_key_buffer\":{\"x\":[]},\"logEvents\":"
		"[{\"another_key_much_longer_than_the_key_buffer\":1,\"message\":\"{}\"}]}",
		/* \u0000 and a NUL in a message, messages that are not objects */
		"{\"logEvents\":[{\"message\":\"{\\\"a\\\":\\\"\\\\u0000\\\"}\"},{\"message\":\"{\\\"a\\u0000\\\":1}\"},"
		"{\"message\":\"[]\"},{\"message\":\"\"},{\"message\":\" {} x\"},{\"message\":\"{\\\"a\\\":1}\"}]}",
		/* entries without a message string */
		"{\"logEvents\":[1,\"x\",null,[],{\"message\":null},{},{\"message\":{}},{\"message\":\"{}\"}]}",
		/* empty envelopes, blanks everywhere */
		"{}{\"logEvents\":[]}{\"logEvents\":[{}]}",
		"{ \"logEvents\" : [ { \"message\" : \"{}\" } ,\n { \"message\":\"{\\\"a\\\" : 1}\" } ] ,\r\n \"logGroup\" : \"g\" }\n"
		"{\"logEvents\":[{\"message\":\"{\\\"ok\\\":1}\"}]}",
		/* not strict JSON: json-c decides (it rejects or tolerates) */
		"{\"logEvents\":[{\"message\":\"{}\"},]}{\"logEvents\":[{\"message\":\"{\\\"ok\\\":1}\"}]}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":01}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":1.}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":.5}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":-}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":1e}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"n\":[1 2]}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"x\" 1}",
		"{\"logEvents\":[{\"message\":\"{}\"}],,\"y\":2}",
		"{,\"logEvents\":[{\"message\":\"{}\"}]}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"x\":\"\\q\"}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"x\":\"\\u12G4\"}",
		"{\"logEvents\":[{\"message\":\"{}\" \"id\":1}]}",
		"{\"logEvents\":[{\"message\":\"{}\"}],\"x\":tru}",
		"{\"logEvents\":[{\"message\":\"{}\"}]:1}",
	};
	char		deep[2048];
	int			i,
				d;
	Res		   *r;

	current_test = "envelope walk";
	for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		r = run(cases[i], CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_SUBSCRIPTION);
		CHECK(r->final == CL_FRAME_END, "case %d ends", i);
		if (i == 0)
		{
			EXPECT_SHAPE(r, "R");
			if (r->n == 1)
				CHECK(strcmp(r->o[0].group, "g\xc3\xa9\xf0\x9f\x98\x80") == 0 && strcmp(r->o[0].stream, "s/x\t") == 0 &&
					  strcmp(jstr(&r->o[0]), "{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\",\"b\":[1,2.5e3,-0.0E-2,true,false,null]}") == 0,
					  "escapes decoded: %s", jstr(&r->o[0]));
		}
		if (i == 1)
		{
			EXPECT_SHAPE(r, "R E9");
			if (r->n == 2)
				CHECK(strcmp(jstr(&r->o[0]), "{\"c\":3}") == 0 && strcmp(r->o[0].stream, "last") == 0 &&
					  r->o[0].group == NULL, "the last of duplicate keys");
		}
		if (i == 4)
			EXPECT_SHAPE(r, "R");
		res_free(r);
	}

	/* nesting deeper than the walk goes (json-c reads it) */
	d = 0;
	d += snprintf(deep + d, sizeof(deep) - d, "{\"logEvents\":[{\"message\":\"{}\",\"x\":");
	for (i = 0; i < 150; i++)
		deep[d++] = '[';
	for (i = 0; i < 150; i++)
		deep[d++] = ']';
	snprintf(deep + d, sizeof(deep) - d, "}]}");
	r = run_ex(deep, strlen(deep), CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, 0, 200);
	EXPECT_SHAPE(r, "R");
	res_free(r);
}

static void
test_subscription(void)
{
	const char *m1[] = {"{\"ContactId\":\"a\",\"n\":1}", "{\"ContactId\":\"b\"}\n"};
	const char *m2[] = {"{\"ContactId\":\"c\"}", "not json", "{\"x\":\"\\u0000\"}", "{\"ContactId\":\"d\"}"};
	char	   *e1 = envelope("DATA_MESSAGE", "stream-1", 2, m1, 0);
	char	   *ctl = envelope("CONTROL_MESSAGE", "", 0, NULL, 0);
	char	   *e2 = envelope("DATA_MESSAGE", "stream-2", 4, m2, 10);
	Buf			all = {0},
				gz = {0};
	Res		   *r;

	current_test = "cloudwatch_subscription";
	buf_str(&all, e1);
	buf_str(&all, ctl);
	buf_str(&all, e2);
	r = run(all.d, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	CHECK(r->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, "detected subscription, got %s", cl_format_name(r->format));
	EXPECT_SHAPE(r, "R R R E5 E3 R");
	if (r->n == 6)
	{
		CHECK(strcmp(r->o[0].group, "/aws/connect/demo") == 0 && strcmp(r->o[0].stream, "stream-1") == 0,
			  "context of event 1");
		CHECK(r->o[1].off == 0, "event 2 of envelope 1");
		CHECK(strcmp(r->o[2].stream, "stream-2") == 0 && r->o[2].off == strlen(e1) + strlen(ctl),
			  "envelope 2 at %llu", (unsigned long long) r->o[2].off);
		CHECK(strcmp(r->o[3].raw, "not json") == 0, "raw of a bad message is the message");
		CHECK(strcmp(jstr(&r->o[5]), "{\"ContactId\":\"d\"}") == 0, "last event");
	}
	res_free(r);

	/* each envelope its own gzip member, back to back, no .gz name */
	{
		Buf			g1 = gzip_of(e1, strlen(e1)),
					g2 = gzip_of(ctl, strlen(ctl)),
					g3 = gzip_of(e2, strlen(e2));

		buf_add(&gz, g1.d, g1.n);
		buf_add(&gz, g2.d, g2.n);
		buf_add(&gz, g3.d, g3.n);
		buf_free(&g1);
		buf_free(&g2);
		buf_free(&g3);
	}
	r = run_ex(gz.d, gz.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	EXPECT_SHAPE(r, "R R R E5 E3 R");
	CHECK(r->gzip && r->bytes_in == gz.n && r->bytes_out == all.n, "gzip members: in %llu out %llu",
		  (unsigned long long) r->bytes_in, (unsigned long long) r->bytes_out);
	res_free(r);

	/* a broken envelope between good ones: one error, the next envelope loads */
	{
		Buf			mix = {0};

		buf_str(&mix, e1);
		buf_str(&mix, "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"9\",}]}");
		buf_str(&mix, e2);
		r = run(mix.d, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
		EXPECT_SHAPE(r, "R R E1 R E5 E3 R");
		res_free(r);
		buf_free(&mix);
	}

	/* explicit format, and an envelope without logEvents */
	r = run("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\"}{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":5,\"message\":\"{}\"}]}",
			CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_SUBSCRIPTION);
	EXPECT_SHAPE(r, "E9 R");
	res_free(r);

	free(e1);
	free(ctl);
	free(e2);
	buf_free(&all);
	buf_free(&gz);
}

static void
test_filter_log_events(void)
{
	const char *text =
		"{\n"
		"    \"events\": [\n"
		"        {\n"
		"            \"logStreamName\": \"s1\",\n"
		"            \"timestamp\": 1618272871581,\n"
		"            \"message\": \"{\\\"ContactId\\\":\\\"a\\\"}\",\n"
		"            \"ingestionTime\": 1618272871600,\n"
		"            \"eventId\": \"e1\"\n"
		"        },\n"
		"        {\n"
		"            \"logStreamName\": \"s2\",\n"
		"            \"timestamp\": 1618272871582,\n"
		"            \"message\": \"{\\\"ContactId\\\": \\\"b\\\", \\\"P\\\": {}}\\n\",\n"
		"            \"ingestionTime\": 1618272871601,\n"
		"            \"eventId\": \"e2\"\n"
		"        },\n"
		"        {\"logStreamName\": \"s3\", \"timestamp\": 1, \"message\": \"oops\", \"eventId\": \"e3\"},\n"
		"        {\"logStreamName\": \"s3\", \"timestamp\": 1, \"message\": }\n"
		"    ],\n"
		"    \"searchedLogStreams\": [{\"logStreamName\": \"s1\", \"searchedCompletely\": true}],\n"
		"    \"nextToken\": \"abc\"\n"
		"}\n"
		"{\"events\":[{\"logStreamName\":\"s4\",\"timestamp\":2,\"message\":\"{\\\"ContactId\\\":\\\"c\\\"}\",\"eventId\":\"e4\"}],\"searchedLogStreams\":[]}";
	Res		   *r;

	current_test = "filter_log_events";
	r = run(text, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	CHECK(r->format == CL_FORMAT_FILTER_LOG_EVENTS, "detected filter_log_events, got %s", cl_format_name(r->format));
	EXPECT_SHAPE(r, "R R E5 E1 R");
	if (r->n == 5)
	{
		CHECK(strcmp(r->o[0].stream, "s1") == 0 && r->o[0].line == 3, "event 1 context, line %llu", (unsigned long long) r->o[0].line);
		CHECK(strcmp(jstr(&r->o[1]), "{\"ContactId\":\"b\",\"P\":{}}") == 0, "event 2 %s", jstr(&r->o[1]));
		CHECK(strcmp(r->o[4].stream, "s4") == 0, "second page");
	}
	res_free(r);
	r = run(text, CL_COMPRESSION_AUTO, CL_FORMAT_FILTER_LOG_EVENTS);
	EXPECT_SHAPE(r, "R R E5 E1 R");
	res_free(r);
}

static void
test_errors(void)
{
	Res		   *r;
	Buf			b = {0};
	int			i;

	current_test = "record errors";

	/* invalid JSON mid-file, then recovery; NDJSON and concatenated */
	r = run("{\"a\":1}\n{\"b\":,}\n{\"c\":3}\n{\"d\" 4}\n{\"e\":5}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R E1 R");
	if (r->n == 5)
	{
		CHECK(r->o[1].line == 2 && r->o[1].off == 8 && r->o[1].eoff == 13, "error position %llu/%llu/%llu",
			  (unsigned long long) r->o[1].line, (unsigned long long) r->o[1].off, (unsigned long long) r->o[1].eoff);
		CHECK(r->o[1].raw_len == 7 && memcmp(r->o[1].raw, "{\"b\":,}", 7) == 0, "raw of the bad record");
		CHECK(strstr(r->o[1].snippet, "{\"b\":,}") != NULL, "snippet %s", r->o[1].snippet);
		CHECK(r->o[4].line == 5, "line after errors");
	}
	res_free(r);

	/* a record cut short: the next line starts a new one */
	r = run("{\"a\":1}\n{\"b\":[1,\n{\"c\":3}\n{\"d\":\"unterminated\n{\"e\":5}\n{\"f\":{\"g\":1}\n{\"h\":8}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E7 R E1 R E7 R");
	if (r->n == 7)
		CHECK(strcmp(jstr(&r->o[6]), "{\"h\":8}") == 0 && r->o[6].line == 7, "resumed %s", jstr(&r->o[6]));
	res_free(r);

	/* "}{" stream with a bad object in the middle */
	r = run("{\"a\":1}{\"b\":NaN}{\"c\":'x'}{\"d\":4}{\"e\":1 /* c */}{\"f\":6}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 E1 R E1 R");
	res_free(r);

	/* garbage between records: one error, up to the next line starting with '{' */
	r = run("{\"a\":1}\nxyz {\"b\":2}\n]]\n{\"c\":3}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	if (r->n == 3)
		CHECK(strcmp(jstr(&r->o[2]), "{\"c\":3}") == 0 && r->o[1].raw_len == 15, "after garbage %s", jstr(&r->o[2]));
	res_free(r);
	r = run("{\"a\":1}xyz}{\"b\":2}", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	res_free(r);

	/* invalid UTF-8: a lone continuation byte, overlong, surrogate, > U+10FFFF, truncated */
	r = run("{\"a\":\"\x80\"}\n{\"a\":\"\xC0\xAF\"}\n{\"a\":\"\xED\xA0\x80\"}\n{\"a\":\"\xF4\x90\x80\x80\"}\n{\"a\":\"\xE2\x82\"}\n"
			"{\"ok\":\"\xE2\x82\xAC \xF0\x9F\x98\x80 \xED\x9F\xBF\"}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "E2 E2 E2 E2 E2 R");
	if (r->n == 6)
	{
		CHECK(r->o[0].eoff == 6 && r->o[4].line == 5, "UTF-8 error positions");
		CHECK(strstr(r->o[0].snippet, "\\x80") != NULL, "snippet escapes bad bytes: %s", r->o[0].snippet);
	}
	res_free(r);

	/* \u0000 (and a raw NUL); \\u0000 is fine */
	r = run("{\"a\":\"x\\u0000y\"}\n{\"k\\u0000\":1}\n{\"a\":\"\\\\u0000\"}\n{\"a\":\"\\u0001\"}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "E3 E3 R R");
	if (r->n == 4)
		CHECK(strstr(r->o[0].reason, "\\u0000") != NULL && r->o[0].eoff == 7, "\\u0000 reason %s at %llu",
			  r->o[0].reason, (unsigned long long) r->o[0].eoff);
	res_free(r);
	r = run_ex("{\"a\":\"x\0y\"}\n{\"b\":1}\n", 20, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	EXPECT_SHAPE(r, "E3 R");
	res_free(r);

	/* surrogate escapes: pairs decode, lone ones are errors (json-c would write U+FFFD) */
	r = run("{\"a\":\"\\ud83d\\ude00\"}\n{\"a\":\"\\ud83d\"}\n{\"a\":\"\\ud83dx\"}\n{\"a\":\"\\ude00\"}\n"
			"{\"a\":\"\\ud83d\\n\"}\n{\"a\":\"\\ud83d\\ud83d\"}\n{\"a\":\"\\uD7FF\\uE000\"}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E2 E2 E2 E2 E2 R");
	if (r->n == 7)
		CHECK(strcmp(jstr(&r->o[0]), "{\"a\":\"\xF0\x9F\x98\x80\"}") == 0, "surrogate pair %s", jstr(&r->o[0]));
	res_free(r);

	/* raw control characters in strings */
	r = run("{\"a\":\"tab\there\"}\n{\"b\":1}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "E1 R");
	res_free(r);

	/* nesting: 64 levels load, 65 do not (and a 1000-deep one is skipped whole) */
	for (i = 0; i < 64; i++)
		buf_str(&b, "{\"a\":");
	buf_str(&b, "1");
	for (i = 0; i < 64; i++)
		buf_str(&b, "}");
	buf_str(&b, "\n{\"a\":");
	for (i = 0; i < 64; i++)
		buf_str(&b, "[");
	for (i = 0; i < 64; i++)
		buf_str(&b, "]");
	buf_str(&b, "}\n");
	for (i = 0; i < 1000; i++)
		buf_str(&b, "[{\"a\":");
	buf_str(&b, "1");
	for (i = 0; i < 1000; i++)
		buf_str(&b, "}]");
	buf_str(&b, "\n{\"ok\":1}");
	r = run(b.d, CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED);
	EXPECT_SHAPE(r, "R E4 E5 R");
	res_free(r);
	r = run_ex(b.d, b.n, CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED, 0, 10);
	EXPECT_SHAPE(r, "E4 E4 E5 R");
	res_free(r);
	buf_free(&b);

	/* non-object records */
	r = run("42\n\"str\"\n{\"a\":1}\n[1,2]\ntrue\n{\"b\":2}\n", CL_COMPRESSION_AUTO, CL_FORMAT_NDJSON);
	EXPECT_SHAPE(r, "E5 E5 R E5 E5 R");
	res_free(r);

	/* too large for max_record_size: skipped, the next loads */
	r = run_ex("{\"a\":\"0123456789012345678901234567890123456789\"}\n{\"b\":2}\n", 56, CL_COMPRESSION_AUTO,
			   CL_FORMAT_AUTO, 20, 0);
	EXPECT_SHAPE(r, "E6 R");
	if (r->n == 2)
		CHECK(r->o[1].line == 2 && r->o[1].off == 49, "after too large: %llu", (unsigned long long) r->o[1].off);
	res_free(r);

	/* too large in the other framings */
	r = run_ex("[{\"a\":\"0123456789012345678901234567890123456789\"},{\"b\":2}]", 58, CL_COMPRESSION_AUTO,
			   CL_FORMAT_AUTO, 20, 0);
	EXPECT_SHAPE(r, "E6 R");
	res_free(r);
	r = run_ex("2021-04-13T00:14:31.581Z {\"a\":\"0123456789012345678901234567890123456789\"}\n"
			   "2021-04-13T00:14:31.581Z {\"b\":2}\n", 107, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 20, 0);
	EXPECT_SHAPE(r, "E6 R");
	res_free(r);
	r = run_ex("{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"{\\\"x\\\":\\\"0123456789\\\"}\"}]}{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[]}"
			   "{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"message\":\"{\\\"c\\\":3}\"}]}", 194,
			   CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, 70, 0);
	EXPECT_SHAPE(r, "E6 R");
	res_free(r);

	/*
	 * Skipping a bad stretch ten times max_record_size long, read in pieces
	 * (run_ex: 1, 7, 64 and 4096 bytes at a time), to where reading resumes
	 * (fr_read_more_skipping()): hunting a record start after a syntax
	 * error, the rest of a bad array element, a bad export line.  One error
	 * without raw, and the next record loads where it stands.  (That the
	 * stretch is let go of as it is read, bounding memory, these cannot see.)
	 */
	buf_str(&b, "{\"a\":1}}");
	for (i = 0; i < 40; i++)
		buf_str(&b, "xxxxxxxxxx");
	buf_str(&b, "\n{\"b\":2}\n");
	r = run_ex(b.d, b.n, CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED, 40, 0);
	EXPECT_SHAPE(r, "R E1 R");
	if (r->n == 3)
		CHECK(!r->o[1].has_raw && r->o[2].line == 2, "skipped to the next record start without keeping it");
	res_free(r);
	buf_free(&b);
	buf_str(&b, "[{\"a\":1},1");
	for (i = 0; i < 40; i++)
		buf_str(&b, "xxxxxxxxxx");
	buf_str(&b, ",{\"b\":2}]");
	r = run_ex(b.d, b.n, CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY, 40, 0);
	EXPECT_SHAPE(r, "R E5 R");
	if (r->n == 3)
		CHECK(!r->o[1].has_raw, "skipped the bad element without keeping it");
	res_free(r);
	buf_free(&b);
	buf_str(&b, "2021-04-13T00:14:31.581Z {\"a\":1}\nnot a timestamp ");
	for (i = 0; i < 40; i++)
		buf_str(&b, "xxxxxxxxxx");
	buf_str(&b, "\n2021-04-13T00:14:31.581Z {\"b\":2}\n");
	r = run_ex(b.d, b.n, CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_EXPORT, 40, 0);
	EXPECT_SHAPE(r, "R E8 R");
	if (r->n == 3)
		CHECK(!r->o[1].has_raw && r->o[2].line == 3, "skipped the bad line without keeping it");
	res_free(r);
	buf_free(&b);

	/* truncated last record */
	r = run("{\"a\":1}\n{\"b\":[1,2", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E7");
	res_free(r);

	/* explicit ndjson resumes at the next line */
	r = run("{\"a\":1,\n\"b\":2}\n{\"c\":3}\n", CL_COMPRESSION_AUTO, CL_FORMAT_NDJSON);
	EXPECT_SHAPE(r, "R R");
	res_free(r);
}

/*
 * Where a bad record is placed: its start (offset, line; raw begins there),
 * not where the problem was noticed (eoff, eline), however many lines apart.
 */
static void
expect_bad_at(const Res *r, int i, uint64_t off, uint64_t line, uint64_t eoff, uint64_t eline, int cline)
{
	const Out  *o = i < r->n ? &r->o[i] : NULL;
	int			ok = o != NULL && o->r == CL_FRAME_RECORD_ERROR && o->off == off && o->line == line &&
		o->eoff == eoff && o->eline == eline;

	check(ok, cline, "outcome %d: start %llu/line %llu, noticed %llu/line %llu; expected %llu/%llu, %llu/%llu", i + 1,
		  o ? (unsigned long long) o->off : 0, o ? (unsigned long long) o->line : 0,
		  o ? (unsigned long long) o->eoff : 0, o ? (unsigned long long) o->eline : 0,
		  (unsigned long long) off, (unsigned long long) line, (unsigned long long) eoff, (unsigned long long) eline);
	if (!ok)
		dump(r);
}

#define EXPECT_BAD_AT(r, i, off, line, eoff, eline) expect_bad_at((r), (i), (off), (line), (eoff), (eline), __LINE__)

static void
test_error_start(void)
{
	Res		   *r;
	Buf			gz;

	/* the second of three pretty-printed records starts on line 4 (byte 13) */
#define PRETTY(broken) "{\n  \"a\": 1\n}\n{\n  \"b\": 1,\n" broken "}\n{\n  \"e\": 1\n}\n"
	const char *comma = PRETTY("  \"c\": 2\n  \"d\": 3\n");
	const char *nan = PRETTY("  \"c\": NaN,\n  \"d\": 3\n");
	const char *utf8 = PRETTY("  \"c\": \"\x80\",\n  \"d\": 3\n");
	const char *open_string = PRETTY("  \"c\": \"x\n  \"d\": 3\n");
	const char *never_closes = PRETTY("  \"c\": {\n  \"d\": 3\n");

	current_test = "bad record: start vs where noticed";

	/* a missing comma: json-c notices it at "d" on line 7 */
	r = run(comma, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 36, 7);
	if (r->n == 3)
	{
		CHECK(r->o[1].raw_len == 31 && memcmp(r->o[1].raw, "{\n  \"b\": 1,\n", 12) == 0 &&
			  r->o[1].raw[r->o[1].raw_len - 1] == '}', "raw is the whole bad record, from its first line");
		CHECK(r->o[2].line == 9 && r->o[2].off == 45, "the next record at line %llu", (unsigned long long) r->o[2].line);
	}
	res_free(r);
	/* the same, gzip'd: positions are in the decompressed stream */
	gz = gzip_of(comma, strlen(comma));
	r = run_ex(gz.d, gz.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 36, 7);
	res_free(r);
	buf_free(&gz);
	/* declared concatenated */
	r = run(comma, CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 36, 7);
	res_free(r);

	/* the framer's own checks notice on the line of the bad bytes */
	r = run(nan, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 32, 6);
	res_free(r);
	r = run(utf8, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E2 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 33, 6);
	res_free(r);
	r = run(open_string, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 34, 6);
	res_free(r);

	/* a record that never closes is noticed where the next one starts (line 9) */
	r = run(never_closes, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E7 R");
	EXPECT_BAD_AT(r, 1, 13, 4, 45, 9);
	if (r->n == 3)
		CHECK(r->o[2].line == 9 && r->o[2].off == 45, "the next record still at line 9");
	res_free(r);
	/* ... or where the data ends */
	r = run("{\n  \"a\": 1\n}\n{\n  \"b\": 1,\n  \"c\": 2\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E7");
	EXPECT_BAD_AT(r, 1, 13, 4, 34, 7);
	res_free(r);

	/* NDJSON: a record cut short on line 2 is noticed on line 5 */
	r = run("{\"a\":1}\n{\"b\":1, \"c\": [1,\n2,\n3}\n{\"d\":1}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	CHECK(r->n >= 2, "ndjson outcomes");
	EXPECT_BAD_AT(r, 1, 8, 2, 31, 5);
	res_free(r);

	/* array: the second element, pretty-printed from line 3, breaks on line 5 */
	r = run("[\n {\"a\":1},\n {\n  \"b\": 1,\n  \"c\": tru\n },\n {\"d\":1}\n]\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 13, 3, 35, 5);
	if (r->n == 3)
		CHECK(r->o[2].line == 7, "next at line %llu", (unsigned long long) r->o[2].line);
	res_free(r);

	/* CloudWatch export: a message spanning lines 2-5, broken on line 4 */
	r = run("2021-04-13T00:14:31.581Z {\"a\":1}\n2021-04-13T00:14:32.581Z {\n  \"b\": 1,\n  \"c\": x\n}\n"
			"2021-04-13T00:14:33.581Z {\"d\":1}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 58, 2, 77, 4);
	res_free(r);
	/* ... text after a multi-line message, noticed on its last line */
	r = run("2021-04-13T00:14:31.581Z {\"a\":1}\n2021-04-13T00:14:32.581Z {\n  \"b\": 1\n} junk\n"
			"2021-04-13T00:14:33.581Z {\"d\":1}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E1 R");
	EXPECT_BAD_AT(r, 1, 58, 2, 71, 4);
	res_free(r);

	/*
	 * filter-log-events: an event object from line 8 whose message breaks on
	 * line 11; a bad message (not in the file's bytes) is placed at its event
	 */
	r = run("{\n \"events\": [\n  {\n   \"logStreamName\": \"s\",\n   \"message\": \"{\\\"a\\\":x}\",\n   \"eventId\": \"e\"\n  },\n"
			"  {\n   \"logStreamName\": \"s\",\n   \"timestamp\": 1,\n   \"message\": tru\n  },\n"
			"  {\"message\":\"{}\"}\n ]\n}\n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "E1 E1 R");
	EXPECT_BAD_AT(r, 0, 17, 3, 17, 3);
	EXPECT_BAD_AT(r, 1, 96, 8, 159, 11);
	res_free(r);

	/*
	 * subscription: a pretty-printed envelope from line 2 broken on line 7
	 * (its events are lost); a bad message is placed at its envelope
	 */
	r = run("{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logStream\":\"s\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":\"{\\\"a\\\":x}\"}]}\n"
			"{\n  \"messageType\": \"DATA_MESSAGE\",\n  \"logGroup\": \"g\",\n  \"logStream\": \"s\",\n  \"logEvents\": [\n"
			"    {\"id\": \"2\", \"timestamp\": 1, \"message\": \"{}\"} x\n  ]\n}\n"
			"{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logStream\":\"s\",\"logEvents\":[{\"id\":\"3\",\"timestamp\":1,\"message\":\"{}\"}]}\n",
			CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	CHECK(r->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, "subscription detected");
	EXPECT_SHAPE(r, "E1 E1 R");
	EXPECT_BAD_AT(r, 0, 0, 1, 0, 1);
	EXPECT_BAD_AT(r, 1, 123, 2, 263, 7);
	res_free(r);
#undef PRETTY
}

/*
 * Events without a message string, in both envelope formats: one error each,
 * placed at the event's envelope (subscription) or event object
 * (filter_log_events), and reading goes on.
 */
static void
test_event_without_message(void)
{
	Res		   *r;

	current_test = "events without a message string";
	r = run("{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"0\",\"message\":\"{}\"}]}\n"
			"{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logStream\":\"s\","
			"\"logEvents\":[{\"id\":\"1\",\"message\":5},null,{\"id\":\"3\",\"message\":\"{\\\"a\\\":1}\"}]}",
			CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "R E9 E9 R");
	EXPECT_BAD_AT(r, 1, 71, 2, 71, 2);
	EXPECT_BAD_AT(r, 2, 71, 2, 71, 2);
	if (r->n == 4)
	{
		CHECK(strcmp(r->o[1].reason, "event 0: logEvents entry without a message string") == 0 &&
			  strcmp(r->o[2].reason, "event 1: logEvents entry without a message string") == 0,
			  "reasons \"%s\", \"%s\"", r->o[1].reason, r->o[2].reason);
		CHECK(strcmp(r->o[1].stream, "s") == 0, "context of a subscription event error");
		CHECK(strcmp(jstr(&r->o[3]), "{\"a\":1}") == 0, "the event after %s", jstr(&r->o[3]));
	}
	res_free(r);

	r = run("{\"events\":[{\"message\":{\"a\":1}},\n {\"logStreamName\":\"s\"},\n {\"message\":\"{}\"}]}",
			CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "E9 E9 R");
	EXPECT_BAD_AT(r, 0, 11, 1, 11, 1);
	EXPECT_BAD_AT(r, 1, 33, 2, 33, 2);
	if (r->n == 3)
	{
		CHECK(strcmp(r->o[0].reason, "event 0: events entry without a message string") == 0 &&
			  strcmp(r->o[1].reason, "event 1: events entry without a message string") == 0,
			  "reasons \"%s\", \"%s\"", r->o[0].reason, r->o[1].reason);
		CHECK(strcmp(r->o[1].stream, "s") == 0, "context of a filter-log-events event error");
	}
	res_free(r);
}

static void
test_empty(void)
{
	Res		   *r;
	Buf			gz;

	current_test = "empty";
	r = run("", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "");
	res_free(r);
	r = run("  \n\r\n\t \n", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO);
	EXPECT_SHAPE(r, "");
	res_free(r);
	r = run("\n\n", CL_COMPRESSION_AUTO, CL_FORMAT_ARRAY);
	EXPECT_SHAPE(r, "");
	res_free(r);
	r = run("", CL_COMPRESSION_GZIP, CL_FORMAT_CLOUDWATCH_EXPORT);
	EXPECT_SHAPE(r, "");
	res_free(r);
	gz = gzip_of("", 0);
	r = run_ex(gz.d, gz.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	EXPECT_SHAPE(r, "");
	res_free(r);
	buf_free(&gz);
}

static void
test_gzip_framing(void)
{
	const char *text = "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
	Buf			gz = gzip_of(text, strlen(text)),
				multi = {0},
				junk = {0};
	Res		   *r;

	current_test = "gzip framing";
	r = run_ex(gz.d, gz.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	EXPECT_SHAPE(r, "R R R");
	CHECK(r->gzip && r->format == CL_FORMAT_NDJSON, "gzip without .gz name");
	res_free(r);

	buf_add(&multi, gz.d, gz.n);
	buf_add(&multi, gz.d, gz.n);
	r = run_ex(multi.d, multi.n, CL_COMPRESSION_GZIP, CL_FORMAT_NDJSON, 0, 0);
	EXPECT_SHAPE(r, "R R R R R R");
	res_free(r);

	/* truncated: records before the damage, then a stream error */
	r = run_ex(multi.d, multi.n - 5, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	CHECK(r->final == CL_FRAME_STREAM_ERROR && strstr(r->final_msg, "truncated") != NULL && r->nrec >= 3,
		  "truncated gzip: final %d records %d: %s", r->final, r->nrec, r->final_msg);
	res_free(r);

	/* gzip of garbage */
	buf_add(&junk, gz.d, 10);
	buf_str(&junk, "this is not deflate data at all, sorry");
	r = run_ex(junk.d, junk.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
	CHECK(r->final == CL_FRAME_STREAM_ERROR && strstr(r->final_msg, "corrupt") != NULL && r->nrec == 0,
		  "garbage gzip: %s", r->final_msg);
	res_free(r);

	/* plain data declared gzip */
	r = run(text, CL_COMPRESSION_GZIP, CL_FORMAT_AUTO);
	CHECK(r->final == CL_FRAME_STREAM_ERROR && r->nrec == 0, "plain declared gzip: %s", r->final_msg);
	res_free(r);

	buf_free(&gz);
	buf_free(&multi);
	buf_free(&junk);
}

static void
test_large(void)
{
	size_t		n = (size_t) 50 * 1024 * 1024;
	Buf			b = {0};
	char	   *big;
	size_t		i;
	Res		   *r;
	RunOpts		ro;

	current_test = "50 MB record";
	big = malloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char) ('a' + i % 26);
	buf_str(&b, "{\"small\":1}\n{\"big\":\"");
	buf_add(&b, big, n);
	buf_str(&b, "\",\"after\":[1,2,3]}\n{\"small\":2}\n");
	free(big);
	memset(&ro, 0, sizeof(ro));
	ro.via_file = 1;
	ro.no_trace = 1;
	r = run_once(b.d, b.n, &ro);
	CHECK(r->nrec == 3 && r->nerr == 0 && r->final == CL_FRAME_END, "50 MB record loads: %d records %d errors %s",
		  r->nrec, r->nerr, r->final_msg);
	CHECK(r->n == 3 && r->o[2].line == 3 && r->o[2].off == b.n - 12, "record after the big one at %llu",
		  (unsigned long long) (r->n == 3 ? r->o[2].off : 0));
	res_free(r);
	/* and with a small limit it is one error, memory stays bounded */
	ro.max_record = 1024 * 1024;
	ro.chunk = 65536;
	r = run_once(b.d, b.n, &ro);
	CHECK(r->nrec == 2 && r->nerr == 1 && r->n == 3 && r->o[1].kind == CL_ERR_TOO_LARGE && !r->o[1].has_raw,
		  "50 MB record over a 1 MB limit: %d records %d errors", r->nrec, r->nerr);
	res_free(r);
	buf_free(&b);
}

/* ---------------------------------------------------------------- samples */

static const char *
samples_dir(void)
{
	static char path[1024];
	const char *env = getenv("CONNECT_LAKE_SAMPLES");

	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "../shared/samples");
	return path;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
expect_records(const char *what, const void *data, size_t len, CLFormat fmt, const char *expected, int count)
{
	Res		   *r = run_ex(data, len, CL_COMPRESSION_AUTO, fmt, 0, 0);
	char	   *got = records_of(r);

	CHECK(r->nrec == count && r->nerr == 0 && r->final == CL_FRAME_END && strcmp(got, expected) == 0,
		  "samples %s (%s): %d records, %d errors, final %d", what, cl_format_name(r->format), r->nrec, r->nerr, r->final);
	if (r->nerr)
		dump(r);
	free(got);
	res_free(r);
}

static void
test_samples(void)
{
	const char *dir = samples_dir();
	DIR		   *d = opendir(dir);
	struct dirent *de;
	char	   *names[64];
	int			n = 0,
				i;
	Buf			expected = {0},
				concat = {0},
				nd = {0},
				arr = {0},
				subs = {0},
				exp = {0},
				gz = {0},
				fle = {0};
	json_object *fle_events = json_object_new_array();

	current_test = "samples";
	if (d == NULL)
	{
		printf("unit framing: samples skipped (%s not found)\n", dir);
		json_object_put(fle_events);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 64)
	{
		size_t		l = strlen(de->d_name);

		if ((strncmp(de->d_name, "ctr_", 4) == 0 || strncmp(de->d_name, "flowlog_", 8) == 0) &&
			l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
			names[n++] = dups(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmp_names);
	CHECK(n >= 4, "found %d samples in %s", n, dir);
	buf_str(&expected, "");
	buf_str(&arr, "[\n");
	for (i = 0; i < n; i++)
	{
		char		path[2048];
		Buf			raw;
		json_object *obj;
		const char *plain;
		char	   *env;
		Buf			g;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (read_file(path, &raw) < 0)
		{
			CHECK(0, "cannot read %s", path);
			continue;
		}
		obj = json_tokener_parse(raw.d);
		CHECK(obj != NULL, "%s parses", names[i]);
		plain = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		buf_str(&expected, plain);
		buf_str(&expected, "\n");

		/* as given */
		{
			char		exp1[1 << 16];

			snprintf(exp1, sizeof(exp1), "%s\n", plain);
			expect_records(names[i], raw.d, raw.n, CL_FORMAT_AUTO, exp1, 1);
		}
		buf_add(&concat, raw.d, raw.n);
		buf_str(&nd, plain);
		buf_str(&nd, "\r\n");
		if (i > 0)
			buf_str(&arr, ",\n");
		buf_add(&arr, raw.d, raw.n);
		/* one envelope per sample, a control message after the first */
		env = envelope("DATA_MESSAGE", names[i], 1, &plain, i);
		buf_str(&subs, env);
		g = gzip_of(env, strlen(env));
		buf_add(&gz, g.d, g.n);
		buf_free(&g);
		free(env);
		if (i == 0)
		{
			env = envelope("CONTROL_MESSAGE", "", 0, NULL, 0);
			buf_str(&subs, env);
			free(env);
		}
		/* export lines keep the pretty-printing: messages span lines */
		buf_printf(&exp, "2021-04-13T00:14:%02d.581Z ", i);
		buf_add(&exp, raw.d, raw.n);
		if (raw.n == 0 || raw.d[raw.n - 1] != '\n')
			buf_str(&exp, "\n");
		{
			json_object *ev = json_object_new_object();

			json_object_object_add(ev, "logStreamName", json_object_new_string(names[i]));
			json_object_object_add(ev, "timestamp", json_object_new_int64(1618272871581LL + i));
			json_object_object_add(ev, "message", json_object_new_string_len(raw.d, (int) raw.n));
			json_object_object_add(ev, "ingestionTime", json_object_new_int64(1618272871600LL + i));
			json_object_object_add(ev, "eventId", json_object_new_string(names[i]));
			json_object_array_add(fle_events, ev);
		}
		json_object_put(obj);
		buf_free(&raw);
	}
	buf_str(&arr, "\n]\n");
	{
		json_object *top = json_object_new_object();

		json_object_object_add(top, "events", fle_events);
		json_object_object_add(top, "searchedLogStreams", json_object_new_array());
		json_object_object_add(top, "nextToken", json_object_new_string("token"));
		buf_str(&fle, json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	}

	expect_records("concatenated", concat.d, concat.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("concatenated (explicit)", concat.d, concat.n, CL_FORMAT_CONCATENATED, expected.d, n);
	expect_records("ndjson", nd.d, nd.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("array", arr.d, arr.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("subscription", subs.d, subs.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("subscription gzip members", gz.d, gz.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("export", exp.d, exp.n, CL_FORMAT_AUTO, expected.d, n);
	expect_records("filter-log-events", fle.d, fle.n, CL_FORMAT_AUTO, expected.d, n);
	{
		Buf			g = gzip_of(concat.d, concat.n);

		expect_records("concatenated gzip", g.d, g.n, CL_FORMAT_AUTO, expected.d, n);
		buf_free(&g);
		g = gzip_of(arr.d, arr.n);
		expect_records("array gzip", g.d, g.n, CL_FORMAT_AUTO, expected.d, n);
		buf_free(&g);
		g = gzip_of(exp.d, exp.n);
		expect_records("export gzip", g.d, g.n, CL_FORMAT_AUTO, expected.d, n);
		buf_free(&g);
	}

	/* the .jsonc documentation samples are not JSON: one error each, no crash */
	{
		const char *bad[] = {"case_event_1_case_updated_awsdocs_2022.jsonc", "case_event_2_related_item_created_awsdocs_2022.jsonc"};

		for (i = 0; i < 2; i++)
		{
			char		path[2048];
			Buf			raw;
			Res		   *r;

			snprintf(path, sizeof(path), "%s/%s", dir, bad[i]);
			if (read_file(path, &raw) < 0)
				continue;
			r = run_ex(raw.d, raw.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, 0, 0);
			/* the leading // lines, then the object with comments */
			CHECK(r->nrec == 0 && r->nerr == 2 && r->final == CL_FRAME_END && r->o[1].kind == CL_ERR_SYNTAX &&
				  strstr(r->o[1].reason, "comments") != NULL,
				  "%s: syntax errors (%d records %d errors)", bad[i], r->nrec, r->nerr);
			if (r->nerr != 2)
				dump(r);
			res_free(r);
			buf_free(&raw);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	buf_free(&expected);
	buf_free(&concat);
	buf_free(&nd);
	buf_free(&arr);
	buf_free(&subs);
	buf_free(&exp);
	buf_free(&gz);
	buf_free(&fle);
}

static void
test_api(void)
{
	CLFrame    *f;
	CLRecord	rec;
	int			r;

	current_test = "api";
	CHECK(cl_format_from_name("cloudwatch_subscription") == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, "format names");
	CHECK(strcmp(cl_format_name(CL_FORMAT_FILTER_LOG_EVENTS), "filter_log_events") == 0, "format name");
	CHECK(strcmp(cl_record_error_name(CL_ERR_NUL), "nul") == 0 && strcmp(cl_record_error_name(CL_ERR_STREAM), "stream") == 0,
		  "error kind names");
	CHECK(cl_format_from_name("xml") == -1 && cl_compression_from_name("gzip") == CL_COMPRESSION_GZIP, "names");
	errno = 0;
	f = cl_frame_open("/nonexistent/file", CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
	CHECK(f == NULL && errno == ENOENT, "missing file: errno %d", errno);
	/* close mid-file, with a record handed out: nothing leaks (valgrind) */
	f = cl_frame_open_mem("{\"a\":1}{\"b\":2}", 14, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
	r = cl_frame_next(f, &rec);
	CHECK(r == CL_FRAME_RECORD && rec.obj != NULL, "first record");
	json_object_get(rec.obj);
	cl_frame_close(&f);
	CHECK(f == NULL && json_object_get_type(rec.obj) == json_type_object, "a kept record outlives close");
	json_object_put(rec.obj);
	cl_frame_close(NULL);
	CHECK(cl_frame_next(NULL, &rec) == CL_FRAME_END, "NULL frame");
}

static int	on_read_calls;

static void
count_reads(void *arg)
{
	(*(int *) arg)++;
}

/*
 * json-c parses from the C locale (framing.c, cl_json_parse): the thread's
 * locale is the caller's again after every record, good or bad, whether the
 * thread had a locale of its own or the global one; numbers read as in C.
 */
static void
test_json_locale(void)
{
	const char *text = "{\"x\":1.5}\n{\"y\": tru}\n{\"z\":[2.25]}\n";
	locale_t	mine = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t) 0);
	CLFrame    *f;
	CLRecord	rec;
	int			res,
				records = 0,
				errors = 0,
				kept = 1;
	double		x = 0;

	current_test = "json_locale";
	if (mine == (locale_t) 0)
		mine = newlocale(LC_ALL_MASK, "POSIX", (locale_t) 0);
	CHECK(mine != (locale_t) 0, "a locale object of the thread's own");
	for (int own = 0; own < 2; own++)
	{
		locale_t	want = own ? mine : LC_GLOBAL_LOCALE;

		uselocale(want);
		f = cl_frame_open_mem(text, strlen(text), CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
		while ((res = cl_frame_next(f, &rec)) != CL_FRAME_END && res != CL_FRAME_STREAM_ERROR)
		{
			json_object *v;

			kept &= uselocale((locale_t) 0) == want;
			if (res > 0 && rec.obj != NULL)
			{
				records++;
				if (json_object_object_get_ex(rec.obj, "x", &v))
					x = json_object_get_double(v);
			}
			else
				errors++;
		}
		cl_frame_close(&f);
		kept &= uselocale((locale_t) 0) == want;
	}
	uselocale(LC_GLOBAL_LOCALE);
	freelocale(mine);
	CHECK(kept, "the thread's locale is the caller's after each record");
	CHECK(records == 4 && errors == 2 && x == 1.5, "records %d, errors %d, x %g", records, errors, x);
}

static void
test_misc(void)
{
	CLFrameOptions opts;
	CLFrame    *f;
	CLRecord	rec;
	Res		   *r;
	int			n = 0,
				res;
	const char *text = "{\"a\":1}{\"b\":{\"c\":\"}{\"}}{\"d\":[1,2,3]}";
	Buf			halves = {0};
	size_t		cut;
	int			all = 1;

	current_test = "misc";
	/* on_read runs after every read */
	memset(&opts, 0, sizeof(opts));
	opts.chunk_size = 7;
	opts.on_read = count_reads;
	opts.on_read_arg = &on_read_calls;
	f = cl_frame_open_mem(text, strlen(text), CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, &opts);
	while ((res = cl_frame_next(f, &rec)) > 0)
		n++;
	cl_frame_close(&f);
	CHECK(n == 3 && res == CL_FRAME_END && on_read_calls >= 2, "on_read called %d times", on_read_calls);

	/* a read error is a stream error */
	f = cl_frame_open(tmpdir, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
	res = cl_frame_next(f, &rec);
	CHECK(f != NULL && res == CL_FRAME_STREAM_ERROR && rec.error_kind == CL_ERR_STREAM && strstr(rec.error, "could not read") != NULL,
		  "reading a directory: %d %s", res, rec.error ? rec.error : "");
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR, "stream errors are sticky");
	cl_frame_close(&f);

	/* gzip members whose boundary falls inside a record, at every byte */
	for (cut = 1; cut < strlen(text); cut++)
	{
		Buf			g1 = gzip_of(text, cut),
					g2 = gzip_of(text + cut, strlen(text) - cut);

		halves.n = 0;
		buf_add(&halves, g1.d, g1.n);
		buf_add(&halves, g2.d, g2.n);
		f = cl_frame_open_mem(halves.d, halves.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
		n = 0;
		while ((res = cl_frame_next(f, &rec)) == CL_FRAME_RECORD)
			n++;
		if (n != 3 || res != CL_FRAME_END)
			all = 0;
		cl_frame_close(&f);
		buf_free(&g1);
		buf_free(&g2);
	}
	CHECK(all, "gzip member boundaries inside records");
	buf_free(&halves);

	/* a declared format that does not match: errors, never a crash or a loop */
	r = run("{\"a\":1}\n{\"b\":2}\n", CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_EXPORT);
	EXPECT_SHAPE(r, "E8");
	res_free(r);
	r = run("{\"a\":1}\n{\"b\":2}\n", CL_COMPRESSION_AUTO, CL_FORMAT_CLOUDWATCH_SUBSCRIPTION);
	EXPECT_SHAPE(r, "E9 E9");
	res_free(r);
	r = run("{\"a\":1}\n{\"b\":2}\n", CL_COMPRESSION_AUTO, CL_FORMAT_FILTER_LOG_EVENTS);
	EXPECT_SHAPE(r, "E9 E9");
	res_free(r);
	r = run("[{\"a\":1}]", CL_COMPRESSION_AUTO, CL_FORMAT_NDJSON);
	EXPECT_SHAPE(r, "E5");
	res_free(r);
	r = run("2021-04-13T00:14:31.581Z {\"a\":1}\n", CL_COMPRESSION_AUTO, CL_FORMAT_CONCATENATED);
	EXPECT_SHAPE(r, "E5 R");		/* the timestamp is a bad token, then an object */
	res_free(r);
}

/*
 * Mutations of valid inputs in every format: whatever the bytes, the framer
 * ends, hands out only objects, and gives the same result for every read size.
 */
static void
test_mutations(void)
{
	const char *seeds[] = {
		"{\"a\":1,\"b\":[true,false,null,{\"c\":\"d\\\"e\"}],\"f\":-1.5e3}\n{\"g\":\"\xC3\xA9\"}\n",
		"[\n {\"a\": 1},\n {\"b\": {\"c\": [1, 2]}}\n]\n",
		"2021-04-13T00:14:31.581Z {\"a\":1}\n2021-04-13T00:14:32.581Z {\n  \"b\": 2\n}\n",
		"{\"messageType\":\"DATA_MESSAGE\",\"logGroup\":\"g\",\"logStream\":\"s\",\"logEvents\":[{\"id\":\"1\",\"timestamp\":1,\"message\":\"{\\\"a\\\":1}\"}]}"
		"{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[]}",
		"{\"events\":[{\"logStreamName\":\"s\",\"timestamp\":1,\"message\":\"{\\\"a\\\":1}\",\"eventId\":\"e\"}],\"nextToken\":\"t\"}",
	};
	const char	alphabet[] = "{}[]\",:\\\n 0aeu\x80\xC3\xFFtT-";
	unsigned	seed = 12345;
	int			i,
				k,
				bad = 0,
				runs = 0;

	int			iterations = getenv("CL_MUTATIONS") ? atoi(getenv("CL_MUTATIONS")) : 600;

	current_test = "mutations";
	for (i = 0; i < iterations; i++)
	{
		const char *src = seeds[i % 5];
		size_t		n = strlen(src);
		char	   *m = malloc(n + 8);
		int			edits = 1 + (int) ((seed = seed * 1103515245 + 12345) >> 16) % 3;
		Res		   *r;
		int			before = failed;

		memcpy(m, src, n);
		for (k = 0; k < edits; k++)
		{
			size_t		at = ((seed = seed * 1103515245 + 12345) >> 16) % n;
			int			op = (int) ((seed = seed * 1103515245 + 12345) >> 16) % 3;
			char		c = alphabet[((seed = seed * 1103515245 + 12345) >> 16) % (sizeof(alphabet) - 1)];

			if (op == 0)
				m[at] = c;
			else if (op == 1 && n > 1)
			{
				memmove(m + at, m + at + 1, n - at - 1);
				n--;
			}
			else
			{
				memmove(m + at + 1, m + at, n - at);
				m[at] = c;
				n++;
			}
		}
		/* now and then a small max_record_size or max_depth */
		r = run_ex(m, n, CL_COMPRESSION_AUTO, (i / 5) % 2 ? CL_FORMAT_AUTO : (CLFormat) (1 + i % 6),
				   i % 7 == 3 ? 30 : 0, i % 11 == 5 ? 2 : 0);
		runs++;
		for (k = 0; k < r->n; k++)
			if (r->o[k].r == CL_FRAME_RECORD ? r->o[k].json[0] != '{' : (r->o[k].reason == NULL || r->o[k].reason[0] == '\0'))
				bad++;
		if (failed != before)
		{
			fwrite(m, 1, n, stderr);
			fputc('\n', stderr);
		}
		res_free(r);
		free(m);
	}
	CHECK(bad == 0, "%d mutated inputs: %d bad outcomes", runs, bad);
}

/* ---------------------------------------------------------------- tape */

/*
 * The tape parser (jsontape.c) alone: what it takes must equal json-c's
 * tree copied; what it leaves to json-c (CL_TAPE_FALLBACK) is json-c's to
 * read or reject, and the copy of json-c's tree keeps json-c's values.
 */
static void
tape_case(const char *json, int expect_ok, int jsonc_depth)
{
	CLTape		a = {0},
				b = {0};
	json_tokener *tok = json_tokener_new_ex(jsonc_depth);
	json_object *o;
	int			r = cl_tape_parse(&a, json, strlen(json), jsonc_depth);

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = cl_json_parse(tok, json, (int) strlen(json));
	CHECK(r == (expect_ok ? CL_TAPE_OK : CL_TAPE_FALLBACK), "tape of %s: %d", json, r);
	if (r == CL_TAPE_OK)
		CHECK(o != NULL && cl_tape_from_jsonc(&b, o) == CL_TAPE_OK && cl_tape_equal(&a, &b),
			  "tape of %s differs from json-c's", json);
	json_object_put(o);
	json_tokener_free(tok);
	cl_tape_free(&a);
	cl_tape_free(&b);
}

static void
test_tape(void)
{
	static const char *const good[] = {
		"{}", "[]", "{\"a\":{}}", " {\"a\" : [ 1 , 2 ] }\n", "[[[]],{}]",
		"{\"s\":\"plain\",\"e\":\"q\\\"b\\\\s\\/n\\nr\\rt\\tb\\bf\\f\"}",
		"{\"u\":\"\\u00e9\\u20AC\\ud83d\\ude00x\"}", "{\"\\u0041b\":1}",
		"{\"utf8\":\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac\"}",
		"[0,-0,1,-1,123456789,9223372036854775806,-9223372036854775807]",
		"[1.5,-0.0,1e5,1E+05,1.25e-3,0.1,100.000,-2E-2]",
		"[true,false,null,\"\"]",
		"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":{\"a\":1}}",
		"{\"ab\":1,\"ba\":2,\"a\":3,\"b\":4}",
		/* review (session 7): numbers json-c keeps as their token, every escape's range, scalars, blanks */
		"[1E400,-1e-400,1e+0,0e0,-0e-0,0.0e0,123.456e-789,1e999999999999999999,-0.0000]",
		"[\"\\u0001\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\\uFFFD\\ud800\\udc00\\udbff\\udfff\\u002F\"]",
		"{\"\":\"\",\"\\\"\":[{}]}", " \t\r\n[ ]\t", "[[[[]]]]",
	};
	static const char *const fallback[] = {
		/* json-c's to read (the values it keeps) */
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"c\":0}",
		"{\"\\u0061\":1,\"a\":2}",
		"[9223372036854775807]", "[-9223372036854775808]", "[9223372036854775808]",
		"[18446744073709551615]", "[99999999999999999999999]", "[-99999999999999999999]",
		"{\"n\":\"\\u0000\"}", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
		/* json-c's to reject */
		"[01]", "[1.]", "[.5]", "[+1]", "[1,]", "{\"a\":1,}", "{'a':1}", "[NaN]", "[tru]", "[1e]",
		"[\"a\tb\"]", "[\"\\x\"]", "{} x", "{\"a\":1", "{\"a\" 1}", "{1:2}", "[1 2]", "",
		"[\"\\u12G4\"]", "[-]", "[1true]",
		/* review (session 7) */
		"[\"\\udc00\\ud800\"]", "[\"\\ud800\\ud800\"]", "[\"\\ud800\\\\u0041\"]", "[\"\\ud800x\"]",
		"[1\f]", "[\v1]", "[-01]", "[1e+]", "[1.e5]", "[--1]", "[0x10]", "[Infinity]", "[-Infinity]",
		"[True]", "[NULL]", "[\"\\U0041\"]", "[\"a\",]", "{\"a\"}", "{,}", "[,1]", "/*c*/[1]", "[1]//",
		"[1]\n[2]", "\xef\xbb\xbf[1]",
		/* a document that is a scalar: json-c rejects "5" and "true" (the end could be cut) but takes "5 " */
		"5", "-0", "true", "null", "5 ", "\"top\"",
	};
	char		deep[256];
	size_t		i;

	current_test = "tape";
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tape_case(good[i], 1, CL_FRAME_DEFAULT_MAX_DEPTH + 1);
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		tape_case(fallback[i], 0, CL_FRAME_DEFAULT_MAX_DEPTH + 1);

	/* nesting: up to jsonc_depth - 1 levels taken, deeper left to json-c */
	memset(deep, '[', 10);
	memset(deep + 10, ']', 10);
	deep[20] = '\0';
	tape_case(deep, 1, 11);
	tape_case(deep, 0, 10);

	/* what json-c kept, copied: the first key's place with the last value; saturation */
	{
		CLTape		t = {0};
		json_object *o = json_tokener_parse("{\"a\":1,\"b\":true,\"a\":\"x\"}");
		json_object *big = json_tokener_parse("[99999999999999999999999,-99999999999999999999,9223372036854775808,9223372036854775807]");

		CHECK(cl_tape_from_jsonc(&t, o) == CL_TAPE_OK && t.n == 5 && t.nodes[0].len == 2 &&
			  t.nodes[1].len == 1 && t.nodes[1].u.s[0] == 'a' && t.nodes[2].type == CLT_STRING &&
			  t.nodes[3].u.s[0] == 'b' && t.nodes[4].type == CLT_TRUE, "duplicate keys copied as json-c keeps them");
		CHECK(cl_tape_from_jsonc(&t, big) == CL_TAPE_OK && t.n == 5 &&
			  t.nodes[1].flags == CLT_SATURATED && t.nodes[2].flags == CLT_SATURATED &&
			  t.nodes[3].flags == 0 && t.nodes[3].len == 19 && memcmp(t.nodes[3].u.s, "9223372036854775808", 19) == 0 &&
			  t.nodes[4].flags == 0 && memcmp(t.nodes[4].u.s, "9223372036854775807", 19) == 0,
			  "integers at and beyond the int64 range copied with their text and saturation");
		json_object_put(o);
		json_object_put(big);
		cl_tape_free(&t);
	}

	/* the framer hands out the tape's parse without a json-c tree, json-c's with one */
	{
		const char *in = "{\"a\":1}\n{\"a\":1,\"a\":2}\n";
		CLFrameOptions opts = {0};
		CLFrame    *f;
		CLRecord	rec;

		opts.tape = 1;
		f = cl_frame_open_mem(in, strlen(in), CL_COMPRESSION_NONE, CL_FORMAT_AUTO, &opts);
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && rec.obj == NULL && rec.tape != NULL &&
			  rec.tape->n == 3, "a plain record: the tape alone");
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && rec.obj != NULL && rec.tape != NULL &&
			  rec.tape->n == 3 && rec.tape->nodes[2].u.ival == 2, "a record with a key twice: json-c's, copied");
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_END, "then the end");
		cl_frame_close(&f);
	}

	/*
	 * json-c's tokener after a parse that failed inside a surrogate pair
	 * (the scanner lets "\ude@0" through): the next record's pair is the
	 * character alone, not U+FFFD and the character (json_tokener_reset()
	 * keeps the stale half; the framer makes a new tokener), with and
	 * without the tape.
	 */
	for (int tape = 0; tape <= 1; tape++)
	{
		const char *in = "{\"b\":\"\\ud83d\\ude@00\"}\n{\"b\":\"\\ud83d\\ude00\"}\n"
			"[{\"c\":\"\\ud83d\\ude@00\"},{\"c\":\"\\ud83d\\ude00\"}]";
		CLFrameOptions opts = {0};
		CLFrame    *f;
		CLRecord	rec;
		json_object *v = NULL;

		opts.tape = tape;
		f = cl_frame_open_mem(in, 43, CL_COMPRESSION_NONE, CL_FORMAT_NDJSON, &opts);
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD_ERROR, "a broken surrogate pair (tape %d)", tape);
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD, "then a good one");
		if (tape)
			CHECK(rec.tape && rec.tape->n == 3 && rec.tape->nodes[2].len == 4 &&
				  memcmp(rec.tape->nodes[2].u.s, "\xf0\x9f\x98\x80", 4) == 0, "the pair decoded alone (tape)");
		else
			CHECK(json_object_object_get_ex(rec.obj, "b", &v) && json_object_get_string_len(v) == 4 &&
				  memcmp(json_object_get_string(v), "\xf0\x9f\x98\x80", 4) == 0,
				  "the pair decoded alone, not after U+FFFD");
		cl_frame_close(&f);
		/* an array's elements go through json-c's other parse */
		opts.tape = 0;
		f = cl_frame_open_mem(in + 43, strlen(in + 43), CL_COMPRESSION_NONE, CL_FORMAT_ARRAY, &opts);
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD_ERROR, "a broken pair in an array");
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && json_object_object_get_ex(rec.obj, "c", &v) &&
			  json_object_get_string_len(v) == 4, "the next element's pair decoded alone");
		cl_frame_close(&f);
	}
}

/*
 * A tape's strings point into the framer's read buffer; reading on after the
 * record (the rest of an export line, the ndjson check after a first record)
 * can compact or grow that buffer.  Every record handed out must still be
 * its own bytes' values (the reader maps the tape after cl_frame_next
 * returns), whether or not its last byte ended a read.
 */
static int
tape_run_checked(const char *data, size_t len, size_t chunk, int *records)
{
	CLFrameOptions opts = {0};
	CLFrame    *f;
	CLRecord	rec;
	int			before = tape_mismatches;
	int			r;

	opts.tape = 1;
	opts.chunk_size = chunk;
	opts.max_record_size = 4 * 1024 * 1024;
	f = cl_frame_open_mem(data, len, CL_COMPRESSION_NONE, CL_FORMAT_AUTO, &opts);
	*records = 0;
	while ((r = cl_frame_next(f, &rec)) == CL_FRAME_RECORD || r == CL_FRAME_RECORD_ERROR)
		if (r == CL_FRAME_RECORD)
		{
			json_object_put(tape_check(&rec));
			(*records)++;
		}
	cl_frame_close(&f);
	return tape_mismatches - before;
}

static void
test_tape_moved_buffer(void)
{
	static const size_t chunks[] = {64, 512, 1000};
	Buf			b = {0};
	int			nrec = 0;
	int			got;
	int			bad;

	current_test = "tape moved buffer";
	/* export lines of many lengths: some messages end exactly where a read ends */
	for (int i = 0; b.n < 600000; i++, nrec++)
		buf_printf(&b, "2021-04-13T00:14:31.581Z {\"i\":%d,\"k\":\"%0*d\"}\n", i, 1 + (i * 37) % 900, i);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
	{
		bad = tape_run_checked(b.d, b.n, chunks[c], &got);
		CHECK(got == nrec && bad == 0, "export lines read %zu bytes at a time: %d of %d records, %d tapes unlike their bytes",
			  chunks[c], got, nrec, bad);
	}
	buf_free(&b);

	/*
	 * Under auto, a first record of exactly the format sniffing's window
	 * (SNIFF_WINDOW, 1 MiB: the reads fill the buffer to that size) on one
	 * line: check_ndjson reads on past it, growing the buffer.
	 */
	buf_str(&b, "{\"k\":\"");
	while (b.n < ((size_t) 1 << 20) - 2)
		buf_str(&b, "abcdefghijklmnopqrstuvwxyz0123456789"
				"abcdefghijklmnopqrstuvwxyz0123456789");
	b.n = ((size_t) 1 << 20) - 2;
	buf_str(&b, "\"}\n{\"k\":\"next\"}\n");
	bad = tape_run_checked(b.d, b.n, 64, &got);
	CHECK(got == 2 && bad == 0, "a first record of 1 MiB ending where a read ends: %d records, %d tapes unlike their bytes",
		  got, bad);
	buf_free(&b);
}

/*
 * Out of memory under the tape option: the tape's arrays cannot grow for a
 * record (100,000 nodes, 2.4 MB) while json-c's can; the tape parser gives
 * it to json-c, whose tree cannot be copied either: one stream error that
 * says memory ran out (the reader raises it as out of memory, not as a bad
 * file), the tape left empty and usable, never a crash or a record lost
 * silently.  The tape parser and the copy alone say CL_TAPE_NOMEM.
 */
static void
test_tape_nomem(void)
{
	Buf			b = {0};
	CLFrameOptions opts = {0};
	CLFrame    *f;
	CLRecord	rec;
	CLTape		t = {0};
	json_object *o;

	current_test = "tape out of memory";
	buf_str(&b, "{\"a\":[");
	for (int i = 0; i < 100000; i++)
		buf_str(&b, i ? ",1" : "1");
	buf_str(&b, "]}\n{\"b\":2}\n");
	o = json_tokener_parse("[1,2,3]");

	realloc_limit = 2 * 1024 * 1024;
	CHECK(cl_tape_parse(&t, b.d, b.n - 9, CL_FRAME_DEFAULT_MAX_DEPTH + 1) == CL_TAPE_NOMEM && t.n == 0,
		  "the tape parser: CL_TAPE_NOMEM");
	realloc_limit = 0;
	CHECK(cl_tape_parse(&t, "{\"b\":2}", 7, CL_FRAME_DEFAULT_MAX_DEPTH + 1) == CL_TAPE_OK && t.n == 3 &&
		  t.nodes[2].u.ival == 2, "the tape parses the next record after it");
	cl_tape_free(&t);
	realloc_limit = 1;
	CHECK(cl_tape_from_jsonc(&t, o) == CL_TAPE_NOMEM && t.n == 0, "the copy of json-c's tree: CL_TAPE_NOMEM");
	realloc_limit = 0;
	cl_tape_free(&t);

	opts.tape = 1;
	f = cl_frame_open_mem(b.d, b.n, CL_COMPRESSION_NONE, CL_FORMAT_NDJSON, &opts);
	realloc_limit = 2 * 1024 * 1024;
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR && rec.out_of_memory && rec.obj == NULL &&
		  rec.tape == NULL && strstr(rec.error, "out of memory") != NULL,
		  "the framer: a stream error that says memory ran out (%s)", rec.error ? rec.error : "none");
	realloc_limit = 0;
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR && rec.out_of_memory, "and it stays");
	cl_frame_close(&f);

	/* with the memory, the same bytes read whole */
	f = cl_frame_open_mem(b.d, b.n, CL_COMPRESSION_NONE, CL_FORMAT_NDJSON, &opts);
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && rec.tape->n == 100003 && !rec.out_of_memory,
		  "the record as a tape with the memory");
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && rec.tape->n == 3, "then the next");
	cl_frame_close(&f);

	/* a data error is not memory */
	f = cl_frame_open_mem("{\"a\":", 5, CL_COMPRESSION_NONE, CL_FORMAT_NDJSON, &opts);
	while (cl_frame_next(f, &rec) == CL_FRAME_RECORD_ERROR)
		;
	CHECK(!rec.out_of_memory, "a truncated file is not out of memory");
	cl_frame_close(&f);
	json_object_put(o);
	buf_free(&b);
}

/*
 * json-c out of memory.  json-c 0.16 does not say so: a realloc it cannot
 * make (its array's, its string buffer's) ends the parse with
 * json_tokener_success and what it had built, or a string cut short, so
 * the framer took a good record for invalid JSON (a record error, the
 * record rejected) or worse.  cl_json_parse() tells by errno: the framer
 * makes it a stream error with out_of_memory set, in a stream and in an
 * export line alike, and the same record reads whole with the memory.  The
 * records need json-c: a duplicate key sends them from the tape parser.
 */
static void
test_jsonc_nomem(void)
{
	Buf			b = {0},
				rec1 = {0};
	CLFrameOptions opts = {0};
	CLFrame    *f;
	CLRecord	rec;
	int			r;
	json_tokener *tok = json_tokener_new();
	json_object *o;

	current_test = "json-c out of memory";
	buf_str(&rec1, "{\"d\":1,\"d\":2,\"a\":[");
	for (int i = 0; i < 100000; i++)
		buf_str(&rec1, i ? ",1" : "1");
	buf_str(&rec1, "],\"s\":\"");
	for (int i = 0; i < 20000; i++)
		buf_str(&rec1, "\\u00e9xyz");
	buf_str(&rec1, "\"}");

	/* cl_json_parse itself: errno */
	realloc_limit = 256 * 1024;
	o = cl_json_parse(tok, rec1.d, (int) rec1.n);
	CHECK(errno == ENOMEM, "cl_json_parse: errno ENOMEM when json-c's realloc failed (%d, %s)",
		  errno, json_tokener_error_desc(json_tokener_get_error(tok)));
	realloc_limit = 0;
	json_object_put(o);
	json_tokener_free(tok);
	tok = json_tokener_new();
	o = cl_json_parse(tok, rec1.d, (int) rec1.n);
	CHECK(o != NULL && errno == 0 && json_object_array_length(json_object_object_get(o, "a")) == 100000,
		  "and 0 with the memory, the record whole");
	json_object_put(o);
	json_tokener_free(tok);

	for (int form = 0; form < 2; form++)
	{
		const char *name = form == 0 ? "a stream" : "an export line";

		b.n = 0;
		if (form == 1)
			buf_str(&b, "2021-04-13T00:14:31.581Z ");
		buf_add(&b, rec1.d, rec1.n);
		buf_str(&b, form == 0 ? "\n{\"b\":2}\n" : "\n2021-04-13T00:14:31.581Z {\"b\":2}\n");

		for (int tape = 0; tape < 2; tape++)
		{
			memset(&opts, 0, sizeof(opts));
			opts.tape = tape;
			f = cl_frame_open_mem(b.d, b.n, CL_COMPRESSION_NONE, CL_FORMAT_AUTO, &opts);
			realloc_limit = 256 * 1024;
			r = cl_frame_next(f, &rec);
			realloc_limit = 0;
			CHECK(r == CL_FRAME_STREAM_ERROR && rec.out_of_memory && rec.obj == NULL &&
				  strstr(rec.error, "out of memory") != NULL,
				  "%s%s: json-c's memory running out is a stream error that says so (%d, %s)", name,
				  tape ? " (tape)" : "", r, rec.error ? rec.error : "none");
			CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR && rec.out_of_memory, "and it stays");
			cl_frame_close(&f);

			f = cl_frame_open_mem(b.d, b.n, CL_COMPRESSION_NONE, CL_FORMAT_AUTO, &opts);
			r = cl_frame_next(f, &rec);
			CHECK(r == CL_FRAME_RECORD && !rec.out_of_memory, "%s%s: the record with the memory (%d, %s)", name,
				  tape ? " (tape)" : "", r, rec.error ? rec.error : "");
			CHECK(cl_frame_next(f, &rec) == CL_FRAME_RECORD && cl_frame_next(f, &rec) == CL_FRAME_END,
				  "then the next and the end");
			cl_frame_close(&f);
		}
	}
	buf_free(&b);
	buf_free(&rec1);
}

/*
 * zlib's allocator, on demand refusing (cl_source_set_zalloc): blocks of
 * refuse_from bytes or more (0: none refused), counting what it hands out
 * and takes back.
 */
typedef struct ZCount
{
	size_t		refuse_from;
	int			allocs;
	int			frees;
	int			refused;
} ZCount;

static void *
z_alloc(void *opaque, unsigned int items, unsigned int size)
{
	ZCount	   *zc = opaque;
	size_t		n = (size_t) items * size;

	if (zc->refuse_from && n >= zc->refuse_from)
	{
		zc->refused++;
		return NULL;
	}
	zc->allocs++;
	return malloc(n);
}

static void
z_free(void *opaque, void *p)
{
	ZCount	   *zc = opaque;

	zc->frees++;
	free(p);
}

/*
 * zlib out of memory (Z_MEM_ERROR from inflateInit2 for its state, or from
 * inflate for its 32 KB window) is memory, not a corrupt file: the source
 * says so (cl_source_out_of_memory), the framer makes it a stream error
 * with out_of_memory set (the reader raises 53200, and load() marks
 * nothing failed), the bytes decoded before it come first; damaged gzip
 * stays a data error.
 */
static void
test_gzip_nomem(void)
{
	Buf			text = {0},
				gz,
				junk = {0},
				back = {0};
	char		out[4096];
	long		n;
	CLSource   *src;
	ZCount		zc;
	CLFrameOptions opts;
	CLFrame    *f;
	CLRecord	rec;
	int			r;

	/* more than one read: zlib allocates its window when a read fills up */
	for (int i = 0; i < 3000; i++)
		buf_printf(&text, "{\"a\":%d}\n", i);
	gz = gzip_of(text.d, text.n);
	current_test = "gzip out of memory";

	/* no memory at all: inflateInit2's state */
	memset(&zc, 0, sizeof(zc));
	zc.refuse_from = 1;
	src = cl_source_open_mem(gz.d, gz.n, CL_COMPRESSION_AUTO);
	cl_source_set_zalloc(src, z_alloc, z_free, &zc);
	n = cl_source_read(src, out, sizeof(out));
	CHECK(n == -1 && zc.refused == 1 && cl_source_out_of_memory(src) &&
		  strstr(cl_source_error(src), "out of memory") != NULL &&
		  strstr(cl_source_error(src), "corrupt") == NULL,
		  "zlib's state refused: out of memory, not corrupt (%ld, %s)", n, cl_source_error(src));
	CHECK(cl_source_read(src, out, sizeof(out)) == -1 && cl_source_out_of_memory(src), "and it stays");
	cl_source_close(&src);

	/* the state but not the window (32 KB): inflate's Z_MEM_ERROR */
	memset(&zc, 0, sizeof(zc));
	zc.refuse_from = 16 * 1024;
	src = cl_source_open_mem(gz.d, gz.n, CL_COMPRESSION_AUTO);
	cl_source_set_zalloc(src, z_alloc, z_free, &zc);
	while ((n = cl_source_read(src, out, sizeof(out))) > 0)
		buf_add(&back, out, (size_t) n);
	CHECK(n == -1 && zc.allocs == 1 && zc.refused >= 1 && cl_source_out_of_memory(src) &&
		  strstr(cl_source_error(src), "out of memory decompressing gzip data at compressed byte offset") != NULL,
		  "zlib's window refused: out of memory with the offset (%ld, %d allocs, %d refused, %s)",
		  n, zc.allocs, zc.refused, cl_source_error(src));
	CHECK(back.n < text.n && memcmp(back.d, text.d, back.n) == 0, "what came before it is the data (%zu bytes)", back.n);
	back.n = 0;
	cl_source_close(&src);
	CHECK(zc.frees == zc.allocs, "the state freed through zfree (%d of %d)", zc.frees, zc.allocs);

	/* the same allocator with the memory: the whole data, everything freed */
	memset(&zc, 0, sizeof(zc));
	src = cl_source_open_mem(gz.d, gz.n, CL_COMPRESSION_AUTO);
	cl_source_set_zalloc(src, z_alloc, z_free, &zc);
	while ((n = cl_source_read(src, out, sizeof(out))) > 0)
		buf_add(&back, out, (size_t) n);
	CHECK(n == 0 && back.n == text.n && memcmp(back.d, text.d, text.n) == 0 && !cl_source_out_of_memory(src) &&
		  zc.allocs == 2, "with the memory, the data (%zu bytes, %d allocs)", back.n, zc.allocs);
	cl_source_close(&src);
	CHECK(zc.frees == 2, "both freed through zfree (%d)", zc.frees);

	/* damaged gzip is not memory */
	buf_add(&junk, gz.d, 10);
	buf_str(&junk, "this is not deflate data at all, sorry");
	src = cl_source_open_mem(junk.d, junk.n, CL_COMPRESSION_AUTO);
	CHECK(cl_source_read(src, out, sizeof(out)) == -1 && !cl_source_out_of_memory(src) &&
		  strstr(cl_source_error(src), "corrupt") != NULL, "garbage gzip is corrupt, not memory: %s",
		  cl_source_error(src));
	cl_source_close(&src);
	src = cl_source_open_mem(gz.d, gz.n - 5, CL_COMPRESSION_AUTO);
	while ((n = cl_source_read(src, out, sizeof(out))) > 0)
		;
	CHECK(n == -1 && !cl_source_out_of_memory(src), "truncated gzip is not memory: %s", cl_source_error(src));
	cl_source_close(&src);

	/* the framer: a stream error that says memory ran out, for either refusal */
	for (int i = 0; i < 2; i++)
	{
		memset(&zc, 0, sizeof(zc));
		zc.refuse_from = i == 0 ? 1 : 16 * 1024;
		memset(&opts, 0, sizeof(opts));
		opts.tape = 1;
		opts.chunk_size = 1024;	/* reads smaller than the data */
		opts.zalloc = z_alloc;
		opts.zfree = z_free;
		opts.zalloc_arg = &zc;
		f = cl_frame_open_mem(gz.d, gz.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, &opts);
		while ((r = cl_frame_next(f, &rec)) == CL_FRAME_RECORD)
			;
		CHECK(r == CL_FRAME_STREAM_ERROR && rec.out_of_memory && rec.error_kind == CL_ERR_STREAM &&
			  strstr(rec.error, "out of memory") != NULL,
			  "the framer, %s refused: a stream error that says memory ran out (%d, %s)",
			  i == 0 ? "the state" : "the window", r, rec.error ? rec.error : "none");
		CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR && rec.out_of_memory, "and it stays");
		cl_frame_close(&f);
		CHECK(zc.frees == zc.allocs, "everything zlib took given back (%d of %d)", zc.frees, zc.allocs);
	}
	f = cl_frame_open_mem(junk.d, junk.n, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
	CHECK(cl_frame_next(f, &rec) == CL_FRAME_STREAM_ERROR && !rec.out_of_memory,
		  "the framer: garbage gzip is not memory (%s)", rec.error ? rec.error : "none");
	cl_frame_close(&f);
	buf_free(&text);
	buf_free(&back);
	buf_free(&gz);
	buf_free(&junk);
}

/*
 * Every real sample (all kinds, the .jsonc ones too) against json-c: the
 * tape parser takes each as json-c reads it, pretty-printed as delivered,
 * compacted and inside a stream (run_ex compares every record's tape with
 * json-c's parse); a .jsonc file as published (// comments, a trailing
 * comma) is left to json-c, which rejects it, and taken once stripped.
 */
static void
test_samples_tape(void)
{
	const char *dir = samples_dir();
	DIR		   *d = opendir(dir);
	struct dirent *de;
	Buf			nd = {0};
	int			n = 0;

	current_test = "samples tape";
	if (d == NULL)
	{
		printf("unit framing: samples (tape) skipped (%s not found)\n", dir);
		return;
	}
	while ((de = readdir(d)) != NULL)
	{
		size_t		l = strlen(de->d_name);
		int			jsonc = l > 6 && strcmp(de->d_name + l - 6, ".jsonc") == 0;
		char		path[2048];
		Buf			raw,
					clean = {0};
		CLTape		t = {0},
					j = {0};
		json_tokener *tok;
		json_object *o;
		int			r;

		if (!jsonc && !(l > 5 && strcmp(de->d_name + l - 5, ".json") == 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file(path, &raw) < 0)
		{
			CHECK(0, "cannot read %s", path);
			continue;
		}
		n++;
		if (jsonc)
		{
			CHECK(cl_tape_parse(&t, raw.d, raw.n, CL_FRAME_DEFAULT_MAX_DEPTH + 1) == CL_TAPE_FALLBACK,
				  "%s as published: left to json-c", de->d_name);
			/* drop // comments (outside strings) and commas before a closing bracket */
			{
				int			in_str = 0;

				for (size_t i = 0; i < raw.n; i++)
				{
					if (in_str)
					{
						if (raw.d[i] == '\\' && i + 1 < raw.n)
							buf_add(&clean, raw.d + i++, 1);
						else if (raw.d[i] == '"')
							in_str = 0;
					}
					else if (raw.d[i] == '"')
						in_str = 1;
					else if (raw.d[i] == '/' && i + 1 < raw.n && raw.d[i + 1] == '/')
					{
						while (i < raw.n && raw.d[i] != '\n')
							i++;
						if (i == raw.n)
							break;
					}
					buf_add(&clean, raw.d + i, 1);
				}
			}
			for (size_t i = 0; i < clean.n; i++)
				if (clean.d[i] == ',')
				{
					size_t		k = i + 1;

					while (k < clean.n && (clean.d[k] == ' ' || clean.d[k] == '\n' || clean.d[k] == '\r' || clean.d[k] == '\t'))
						k++;
					if (k < clean.n && (clean.d[k] == '}' || clean.d[k] == ']'))
						clean.d[i] = ' ';
				}
		}
		else
			buf_add(&clean, raw.d, raw.n);
		buf_add(&clean, "", 0);

		tok = json_tokener_new_ex(CL_FRAME_DEFAULT_MAX_DEPTH + 1);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		o = cl_json_parse(tok, clean.d, (int) clean.n);
		json_tokener_free(tok);
		r = cl_tape_parse(&t, clean.d, clean.n, CL_FRAME_DEFAULT_MAX_DEPTH + 1);
		CHECK(o != NULL && r == CL_TAPE_OK && cl_tape_from_jsonc(&j, o) == CL_TAPE_OK && cl_tape_equal(&t, &j),
			  "%s: the tape is json-c's parse (tape %d, %u nodes)", de->d_name, r, t.n);
		if (o != NULL)
		{
			const char *plain = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

			r = cl_tape_parse(&t, plain, strlen(plain), CL_FRAME_DEFAULT_MAX_DEPTH + 1);
			CHECK(r == CL_TAPE_OK && cl_tape_equal(&t, &j), "%s compacted: the tape is json-c's parse", de->d_name);
			buf_str(&nd, plain);
			buf_str(&nd, "\n");
			json_object_put(o);
		}
		cl_tape_free(&t);
		cl_tape_free(&j);
		buf_free(&raw);
		buf_free(&clean);
	}
	closedir(d);
	CHECK(n >= 13, "found %d samples in %s", n, dir);
	{
		Res		   *res = run_ex(nd.d, nd.n, CL_COMPRESSION_NONE, CL_FORMAT_NDJSON, 0, 0);

		CHECK(res->nrec == n && res->nerr == 0, "every sample as one NDJSON stream: %d records, %d errors", res->nrec, res->nerr);
		res_free(res);
	}
	buf_free(&nd);
}

/*
 * Keys chosen to collide in the tape's duplicate-key set (its FNV-1a hash
 * has no seed: these are found by trying): the object is left to json-c
 * (whose hash is seeded) rather than probed quadratically; keys as records
 * name them (400,000 in sequence) are not.
 */
static uint32_t
tape_key_hash(const char *s, uint32_t len)
{
	uint32_t	h = 2166136261u;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h ^ len;
}

static void
test_tape_key_flood(void)
{
	static const char *const fmts[] = {"k%d", "attr_%d", "%08d", "Key%dValue"};
	const int	members = 4000;	/* the set: 8,192 slots */
	Buf			b = {0};
	CLTape		t = {0};
	int			found = 0;

	current_test = "tape key flood";
	buf_str(&b, "{");
	for (unsigned long i = 0; found < members; i++)
	{
		char		key[32];
		int			l = snprintf(key, sizeof(key), "k%lu", i);

		if ((tape_key_hash(key, (uint32_t) l) & 8191) == 0)
		{
			buf_printf(&b, "%s\"%s\":%d", found ? "," : "", key, found);
			found++;
		}
	}
	buf_str(&b, "}");
	CHECK(cl_tape_parse(&t, b.d, b.n, CL_FRAME_DEFAULT_MAX_DEPTH + 1) == CL_TAPE_FALLBACK,
		  "4,000 keys colliding in the tape's set: left to json-c");
	buf_free(&b);
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++)
	{
		memset(&b, 0, sizeof(b));
		buf_str(&b, "{");
		for (int i = 0; i < 400000; i++)
		{
			char		key[32];

			snprintf(key, sizeof(key), fmts[f], i);
			buf_printf(&b, "%s\"%s\":1", i ? "," : "", key);
		}
		buf_str(&b, "}");
		CHECK(cl_tape_parse(&t, b.d, b.n, CL_FRAME_DEFAULT_MAX_DEPTH + 1) == CL_TAPE_OK && t.nodes[0].len == 400000,
			  "400,000 keys like %s: taken", fmts[f]);
		buf_free(&b);
	}
	cl_tape_free(&t);
}

/* ---------------------------------------------------------------- bench */

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void
make_ctr(Buf *b, long i)
{
	buf_printf(b,
			   "{\"AWSAccountId\":\"123456789012\",\"AWSContactTraceRecordFormatVersion\":\"2017-03-10\","
			   "\"Agent\":{\"ARN\":\"arn:aws:connect:us-east-1:123456789012:instance/258252ea-967d-46f9-a510-b7f0bae69eea/agent/e7c9afb6-b1e1-4afa-b5b5-d1c9bc752b%02ld\","
			   "\"AfterContactWorkDuration\":%ld,\"AfterContactWorkEndTimestamp\":\"2022-01-05T17:28:17Z\",\"AfterContactWorkStartTimestamp\":\"2022-01-05T17:28:12Z\","
			   "\"AgentInteractionDuration\":%ld,\"ConnectedToAgentTimestamp\":\"2022-01-05T17:27:58Z\",\"CustomerHoldDuration\":0,"
			   "\"HierarchyGroups\":{\"Level1\":{\"ARN\":\"arn:aws:connect:us-east-1:123456789012:instance/258252ea/agent-group/a1\",\"GroupName\":\"Sales\"},\"Level2\":null,\"Level3\":null,\"Level4\":null,\"Level5\":null},"
			   "\"LongestHoldDuration\":0,\"NumberOfHolds\":0,\"RoutingProfile\":{\"ARN\":\"arn:aws:connect:us-east-1:123456789012:instance/258252ea/routing-profile/f1\",\"Name\":\"Basic Routing Profile\"},"
			   "\"Username\":\"agent%ld\"},\"AgentConnectionAttempts\":1,"
			   "\"Attributes\":{\"greetingPlayed\":\"true\",\"customerTier\":\"gold\",\"note\":\"Caller said \\\"hello\\\"\\nand waited\",\"lang\":\"fr-FR \xC3\xA9t\xC3\xA9\"},"
			   "\"Channel\":\"VOICE\",\"ConnectedToSystemTimestamp\":\"2022-01-05T17:27:40Z\",\"ContactId\":\"%08lx-2c12-4d6e-9f5a-2b0f8c3e%04lx\","
			   "\"CustomerEndpoint\":{\"Address\":\"+8210%08ld\",\"Type\":\"TELEPHONE_NUMBER\"},\"DisconnectReason\":\"CUSTOMER_DISCONNECT\","
			   "\"DisconnectTimestamp\":\"2022-01-05T17:28:12Z\",\"InitialContactId\":null,\"InitiationMethod\":\"INBOUND\","
			   "\"InitiationTimestamp\":\"2022-01-05T17:27:40Z\",\"InstanceARN\":\"arn:aws:connect:us-east-1:123456789012:instance/258252ea-967d-46f9-a510-b7f0bae69eea\","
			   "\"LastUpdateTimestamp\":\"2022-01-05T17:29:35Z\",\"MediaStreams\":[{\"Type\":\"AUDIO\"}],\"NextContactId\":null,\"PreviousContactId\":null,"
			   "\"Queue\":{\"ARN\":\"arn:aws:connect:us-east-1:123456789012:instance/258252ea/queue/3b7f2d7e-7b32-4d4c-a2ec-1c8e1e0b%04ld\",\"DequeueTimestamp\":\"2022-01-05T17:27:58Z\",\"Duration\":%ld,\"EnqueueTimestamp\":\"2022-01-05T17:27:46Z\",\"Name\":\"BasicQueue\"},"
			   "\"Recording\":{\"DeletionReason\":null,\"Location\":\"bucket/connect/instance/CallRecordings/2022/01/05/%08lx_20220105T17:27_UTC.wav\",\"Status\":\"AVAILABLE\",\"Type\":\"AUDIO\"},"
			   "\"Recordings\":[{\"DeletionReason\":null,\"FragmentStartNumber\":\"91343852333181432392682062607743920146264440123\",\"FragmentStopNumber\":\"91343852333181432397133821869712330108258230012\","
			   "\"Location\":\"bucket/connect/instance/CallRecordings/2022/01/05/%08lx_20220105T17:27_UTC.wav\",\"MediaStreamType\":\"AUDIO\",\"ParticipantType\":\"AGENT\",\"StartTimestamp\":\"2022-01-05T17:27:58Z\",\"Status\":\"AVAILABLE\",\"StopTimestamp\":\"2022-01-05T17:28:12Z\",\"StorageType\":\"S3\"}],"
			   "\"References\":[],\"SystemEndpoint\":{\"Address\":\"+82800000000\",\"Type\":\"TELEPHONE_NUMBER\"},\"Tags\":{\"aws:connect:instanceId\":\"258252ea\"},"
			   "\"TransferCompletedTimestamp\":null,\"TransferredToEndpoint\":null,\"Campaign\":{\"CampaignId\":null},\"ContactDetails\":{}}",
			   i % 100, i % 60, 20 + i % 300, i % 50, i, i % 65536, i % 100000000, i % 10000, i % 120, i, i);
}

/* best of three runs */
/* one pass of the framer over a file: seconds; records and errors counted */
static double
time_frame(const char *path, long *nrec, long *nerr, int *final)
{
	double		t0 = now_s();
	CLRecord	rec;
	CLFrame    *f = cl_frame_open(path, CL_COMPRESSION_AUTO, CL_FORMAT_AUTO, NULL);
	int			r;

	*nrec = *nerr = 0;
	while ((r = cl_frame_next(f, &rec)) > 0)
	{
		if (r == CL_FRAME_RECORD)
			(*nrec)++;
		else
			(*nerr)++;
	}
	*final = r;
	cl_frame_close(&f);
	return now_s() - t0;
}

/* json-c alone over the NDJSON in memory, line by line: the ceiling */
static double
time_jsonc(const Buf *all, long *nrec)
{
	json_tokener *tok = json_tokener_new_ex(65);
	double		t0 = now_s();
	char	   *p = all->d,
			   *e = all->d + all->n;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	*nrec = 0;
	while (p < e)
	{
		char	   *nl = memchr(p, '\n', e - p);
		json_object *o;

		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, p, (int) (nl - p));
		*nrec += o != NULL;
		json_object_put(o);
		p = nl + 1;
	}
	json_tokener_free(tok);
	return now_s() - t0;
}

/*
 * Generates CTR-like records as NDJSON, gzip'd NDJSON and "}{" files, then
 * times json-c alone and the framer over each, interleaved, best of five
 * (so that machine noise hits all alike).
 */
static int
bench(double target_mb)
{
	static const char *const labels[] = {"json-c alone (in memory)", "ndjson (plain file)", "ndjson (gzip file)", "concatenated }{ (plain)"};
	Buf			rec = {0},
				all;
	FILE	   *nd,
			   *cc;
	gzFile		gz;
	char		pnd[128],
				pcc[128],
				pgz[128];
	const char *paths[4];
	size_t		total = 0;
	long		i = 0,
				nrec[4] = {0},
				nerr[4] = {0};
	int			final[4] = {0},
				round,
				k;
	double		mb[4],
				best[4] = {1e9, 1e9, 1e9, 1e9};

	snprintf(pnd, sizeof(pnd), "%s/bench.ndjson", tmpdir);
	snprintf(pcc, sizeof(pcc), "%s/bench.concat", tmpdir);
	snprintf(pgz, sizeof(pgz), "%s/bench.ndjson.gz", tmpdir);
	nd = fopen(pnd, "wb");
	cc = fopen(pcc, "wb");
	gz = gzopen(pgz, "wb6");
	while (total < target_mb * 1024 * 1024)
	{
		rec.n = 0;
		make_ctr(&rec, i++);
		fwrite(rec.d, 1, rec.n, cc);
		buf_str(&rec, "\n");
		fwrite(rec.d, 1, rec.n, nd);
		gzwrite(gz, rec.d, (unsigned) rec.n);
		total += rec.n;
	}
	fclose(nd);
	fclose(cc);
	gzclose(gz);
	read_file(pnd, &all);
	paths[1] = pnd;
	paths[2] = pgz;
	paths[3] = pcc;
	mb[0] = mb[1] = mb[2] = total / (1024.0 * 1024.0);
	mb[3] = (total - i) / (1024.0 * 1024.0);
	printf("framing bench: %ld CTR-like records of ~%zu bytes, %.1f MB decompressed; best of 5\n", i, rec.n, mb[0]);
	for (round = 0; round < 5; round++)
		for (k = 0; k < 4; k++)
		{
			double		t = k == 0 ? time_jsonc(&all, &nrec[0]) : time_frame(paths[k], &nrec[k], &nerr[k], &final[k]);

			if (t < best[k])
				best[k] = t;
		}
	for (k = 0; k < 4; k++)
	{
		printf("  %-26s %7.1f MB/s", labels[k], mb[k] / best[k]);
		if (k > 0)
			printf("  %.2f of json-c alone", (mb[k] / best[k]) / (mb[0] / best[0]));
		printf("  (%ld records, %.2f s)\n", nrec[k], best[k]);
		if (nrec[k] != i || nerr[k] != 0 || final[k] != CL_FRAME_END)
			printf("  !! expected %ld records and END\n", i);
	}
	unlink(pnd);
	unlink(pcc);
	unlink(pgz);
	buf_free(&rec);
	buf_free(&all);
	return 0;
}

/* ---------------------------------------------------------------- main */

static void
cleanup(void)
{
	char		cmd[128];

	if (tmpdir[0])
	{
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

int
main(int argc, char **argv)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cl_framing_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	atexit(cleanup);
	if (argc > 1 && strcmp(argv[1], "--bench") == 0)
		return bench(argc > 2 ? atof(argv[2]) : 100.0);

	test_decompress();
	test_api();
	test_ndjson();
	test_concatenated();
	test_array();
	test_export();
	test_subscription();
	test_envelope_walk();
	test_filter_log_events();
	test_event_without_message();
	test_errors();
	test_error_start();
	test_empty();
	test_gzip_framing();
	test_misc();
	test_json_locale();
	test_tape();
	test_tape_moved_buffer();
	test_tape_nomem();
	test_gzip_nomem();
	test_jsonc_nomem();
	test_tape_key_flood();
	test_mutations();
	test_samples();
	test_samples_tape();
	test_large();

	printf("unit framing: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
