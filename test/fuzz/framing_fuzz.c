/*
 * framing_fuzz.c: libFuzzer harness for the loader's first two stages, the
 * byte source (decompress.c: gzip detection, members, truncation) and the
 * framer (framing*.c: every format, resynchronisation, limits), built from
 * the same files as the unit tests (see the Makefile's fuzz rule).
 *
 * Input: two option bytes, then the file's bytes.
 *   byte 0   the format: value % 7 (auto, ndjson, concatenated, array,
 *            cloudwatch_export, cloudwatch_subscription, filter_log_events)
 *   byte 1   bits 0-1 compression (auto, gzip, none, auto)
 *            bit  2   read through a file descriptor (memfd) instead of memory
 *            bits 3-4 read chunk: default, 16, 100, 4096 bytes
 *            bits 5-6 max record size: default, 64, 300, 4096 bytes
 *            bit  7   max depth 4 instead of the default
 *
 * Besides the sanitizers' findings (AddressSanitizer, UBSan), the harness
 * aborts when the framer breaks its contract (framing.h): a result outside
 * the four, a record that is not an object, raw bytes or a snippet it did
 * not promise, an error without a reason, positions going backwards, bytes
 * out counted wrong, or a result after the sticky END / STREAM_ERROR; and
 * when subscription envelopes walked in place (framing_cloudwatch.c) give
 * other records, errors, raw bytes or context than parsed by json-c; and when
 * the tape option (jsontape.h) gives other outcomes than json-c's, or a
 * record's tape holds other values than json-c's parse of its bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "framing.h"

#define REQUIRE(cond) \
	do { if (!(cond)) { fprintf(stderr, "framing_fuzz: contract broken: %s (line %d)\n", #cond, __LINE__); abort(); } } while (0)

static const size_t chunks[4] = {0, 16, 100, 4096};
static const size_t max_records[4] = {0, 64, 300, 4096};

/* the tap must see each byte once: count them */
static void
count_bytes(void *arg, const void *bytes, size_t len)
{
	*(uint64_t *) arg += len;
}

static CLFrame *
open_input(const uint8_t *data, size_t size, CLCompression comp, CLFormat format,
		   const CLFrameOptions *opts, int use_fd)
{
	if (use_fd)
	{
		int			fd = memfd_create("framing_fuzz", 0);

		if (fd < 0)
			return NULL;
		if (size > 0 && write(fd, data, size) != (ssize_t) size)
		{
			close(fd);
			return NULL;
		}
		lseek(fd, 0, SEEK_SET);
		return cl_frame_open_fd(fd, 1, comp, format, opts);
	}
	return cl_frame_open_mem(data, size, comp, format, opts);
}

/* framing_int.h: 1 sends subscription envelopes to json-c instead of the walk */
extern int	fr_envelope_jsonc;

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * UINT64_C(0x100000001b3);
	return h;
}

static uint64_t
fnv_str(uint64_t h, const char *s)
{
	return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "-", 1);
}

/*
 * Under the tape option, a record's tape must be json-c's parse of its
 * bytes copied (the framer's own object where json-c parsed it); returns that
 * object (the caller puts it).
 */
static json_object *
tape_object(const CLRecord *rec, int max_depth)
{
	json_object *o = rec->obj;
	CLTape		t = {0};

	REQUIRE(rec->tape != NULL);
	if (o == NULL)
	{
		json_tokener *tok = json_tokener_new_ex(max_depth + 1);

		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		o = cl_json_parse(tok, rec->raw, (int) rec->raw_len);
		json_tokener_free(tok);
		REQUIRE(o != NULL);
	}
	else
		json_object_get(o);
	REQUIRE(cl_tape_from_jsonc(&t, o) == CL_TAPE_OK);
	REQUIRE(cl_tape_equal(&t, rec->tape));
	cl_tape_free(&t);
	return o;
}

/*
 * A digest of everything one reading of the input hands out, with the
 * envelopes walked or (jsonc) parsed by json-c, with or without the tape.
 */
static uint64_t
digest_run(const uint8_t *data, size_t size, CLCompression comp, CLFormat format,
		   const CLFrameOptions *opts_in, int use_fd, int jsonc, int tape)
{
	CLFrame    *f;
	CLRecord	rec;
	uint64_t	h = UINT64_C(0xcbf29ce484222325);
	int			r;
	CLFrameOptions opts_tape = *opts_in;
	const CLFrameOptions *opts = &opts_tape;

	opts_tape.tape = tape;
	fr_envelope_jsonc = jsonc;
	f = open_input(data, size, comp, format, opts, use_fd);
	if (f == NULL)
	{
		fr_envelope_jsonc = 0;
		return 0;
	}
	do
	{
		r = cl_frame_next(f, &rec);
		h = fnv(h, &r, sizeof(r));
		h = fnv(h, &rec.offset, sizeof(rec.offset));
		h = fnv(h, &rec.line, sizeof(rec.line));
		h = fnv(h, &rec.raw_len, sizeof(rec.raw_len));
		if (rec.raw)
			h = fnv(h, rec.raw, rec.raw_len);
		h = fnv_str(h, rec.log_group);
		h = fnv_str(h, rec.log_stream);
		if (r == CL_FRAME_RECORD)
		{
			json_object *o = tape ? tape_object(&rec, opts->max_depth ? opts->max_depth : CL_FRAME_DEFAULT_MAX_DEPTH)
				: json_object_get(rec.obj);

			h = fnv_str(h, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		}
		else
		{
			h = fnv(h, &rec.error_kind, sizeof(rec.error_kind));
			h = fnv(h, &rec.error_offset, sizeof(rec.error_offset));
			h = fnv_str(h, rec.error);
			h = fnv_str(h, rec.snippet);
		}
	} while (r == CL_FRAME_RECORD || r == CL_FRAME_RECORD_ERROR);
	cl_frame_close(&f);
	fr_envelope_jsonc = 0;
	return h;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CLFrameOptions opts;
	CLFrame    *f;
	CLRecord	rec;
	CLFormat	format;
	CLCompression comp;
	int			use_fd;
	uint64_t	tapped = 0;
	uint64_t	last_offset = 0;
	int			r;
	long		n = 0;

	if (size < 2)
		return 0;
	format = (CLFormat) (data[0] % 7);
	comp = (CLCompression) ((data[1] & 3) == 3 ? 0 : (data[1] & 3));
	use_fd = (data[1] >> 2) & 1;
	memset(&opts, 0, sizeof(opts));
	opts.chunk_size = chunks[(data[1] >> 3) & 3];
	opts.max_record_size = max_records[(data[1] >> 5) & 3];
	opts.max_depth = (data[1] & 0x80) ? 4 : 0;
	opts.on_bytes = count_bytes;
	opts.on_bytes_arg = &tapped;
	data += 2;
	size -= 2;

	f = open_input(data, size, comp, format, &opts, use_fd);
	if (f == NULL)
		return 0;
	for (;;)
	{
		memset(&rec, 0, sizeof(rec));
		r = cl_frame_next(f, &rec);
		REQUIRE(r == CL_FRAME_RECORD || r == CL_FRAME_RECORD_ERROR ||
				r == CL_FRAME_END || r == CL_FRAME_STREAM_ERROR);
		if (r == CL_FRAME_END || r == CL_FRAME_STREAM_ERROR)
			break;
		n++;
		REQUIRE(rec.line >= 1);
		/* records come in stream order (envelope events share their envelope's offset) */
		REQUIRE(rec.offset >= last_offset);
		last_offset = rec.offset;
		REQUIRE(rec.offset <= cl_frame_bytes_out(f));
		if (r == CL_FRAME_RECORD)
		{
			const char *js;

			REQUIRE(rec.obj != NULL && json_object_is_type(rec.obj, json_type_object));
			REQUIRE(rec.error == NULL);
			js = json_object_to_json_string_ext(rec.obj, JSON_C_TO_STRING_PLAIN);
			REQUIRE(js != NULL);
			REQUIRE(rec.raw != NULL || rec.raw_len == 0);
		}
		else
		{
			REQUIRE(rec.error != NULL && rec.error[0] != '\0');
			REQUIRE(rec.error_kind != CL_ERR_NONE && rec.error_kind != CL_ERR_STREAM);
			REQUIRE(rec.error_offset >= rec.offset);
			REQUIRE(rec.snippet == NULL || strlen(rec.snippet) <= 408);
			REQUIRE(rec.error_kind != CL_ERR_TOO_LARGE || rec.raw == NULL);
			if (rec.raw)
				REQUIRE(rec.raw_len <= (opts.max_record_size ? opts.max_record_size : CL_FRAME_DEFAULT_MAX_RECORD) + 8);
		}
		/* a record or an error consumes input: fewer results than bytes (+1 per envelope event) */
		REQUIRE((uint64_t) n <= 2 * cl_frame_bytes_out(f) + 2);
	}
	if (r == CL_FRAME_STREAM_ERROR)
		REQUIRE(rec.error != NULL && rec.error[0] != '\0');
	else
	{
		/* the end: every byte read, each once */
		REQUIRE(cl_frame_bytes_in(f) == size);
		REQUIRE(tapped == size);
		if (!cl_frame_is_gzip(f))
			REQUIRE(cl_frame_bytes_out(f) == size);
	}
	/* END and STREAM_ERROR are sticky */
	REQUIRE(cl_frame_next(f, &rec) == r);
	opts.on_bytes = NULL;
	if (cl_frame_format(f) == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION)
		REQUIRE(digest_run(data, size, comp, format, &opts, use_fd, 0, 0) ==
				digest_run(data, size, comp, format, &opts, use_fd, 1, 0));
	REQUIRE(digest_run(data, size, comp, format, &opts, use_fd, 0, 0) ==
			digest_run(data, size, comp, format, &opts, use_fd, 0, 1));
	cl_frame_close(&f);
	REQUIRE(f == NULL);
	return 0;
}
