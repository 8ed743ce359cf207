/*
 * framing.c: decompressed bytes -> JSON records (see framing.h for the API).
 *
 * The framer is split by stage, as COPY FROM is (copyfrom.c, copyfromparse.c,
 * copyfrom_internal.h); the state the stages share, CLFrame and the lexer's
 * Scan, is in framing_int.h.  A record goes through these stages:
 *
 * [fd or memory] --> f->buf --> one value's bytes --> json_object --> CLRecord
 *                 1.         2.                    3.              4.
 *
 * 1. cl_source_read() (decompress.c) reads the file in chunks and inflates
 *    gzip straight into the window f->buf; fr_read_more() (framing_read.c)
 *    makes room first, keeping buf[rec .. end): the record being read, from
 *    its first byte, and no more than one record needs (max_record_size plus
 *    two chunks), so memory does not grow with the file.
 *
 * 2. fr_scan() (framing_scan.c), the lexer, finds where the value at rec
 *    ends, string- and escape-aware, 8 bytes at a time inside strings, and on
 *    the way checks what json-c lets through but PostgreSQL cannot take
 *    (invalid UTF-8, \u0000, raw control characters, single quotes,
 *    NaN/Infinity, comments, depth).  It is resumable: fr_read_value()
 *    (framing_read.c) calls it again after each fr_read_more() until the
 *    value ends.
 *
 * 3. fr_read_value() has json-c parse exactly those bytes, one
 *    json_tokener_parse_ex call per record (cl_json_parse: from the C locale).  Grammar
 *    errors json-c finds (a missing comma ...) cost nothing extra: the
 *    scanner already knows where the bad value ends.  A bad value is reported
 *    once (fr_record_error: reason, place, snippet) and resync_value() moves
 *    the cursor to where the next record plausibly starts, the scanner in
 *    "skip" mode finding the bad value's end.
 *
 * 4. The format decides which values are records and what surrounds them.
 *    cl_frame_next() (this file) calls next_record(), which runs the state
 *    function of f->state until one returns a record, an error or the end:
 *
 *      ST_START       detect_format()             framing.c
 *      ST_TOP         next_top()                  framing.c
 *      ST_ARR_*       next_array_separator(),     framing.c
 *                     next_array_element()
 *      ST_FLE_*       fr_next_fle_member()        framing_cloudwatch.c
 *      ST_ENV_EVENTS  fr_next_envelope_event()    framing_cloudwatch.c
 *      ST_EXPORT      fr_next_export()            framing_cloudwatch.c
 *
 *    ndjson and concatenated: ST_TOP hands out each top-level object.
 *    array: ST_TOP opens the array (open_top_array), its elements are the
 *    records.  cloudwatch_subscription: ST_TOP reads an envelope
 *    (fr_read_envelope in framing_envelope.c: scanned, then walked in place)
 *    and ST_ENV_EVENTS hands out its events.
 *    filter_log_events: ST_TOP opens a page (fr_open_fle_output), ST_FLE_*
 *    reads its members, its events array goes through ST_ARR_* and each
 *    event to fr_fle_event().  cloudwatch_export: ST_EXPORT, line by line.
 *    In the envelope formats the record is the JSON text of an event's
 *    message string, which parse_message() scans and parses with the same
 *    checks as a record in the stream.
 *
 * This file: names, format detection, the state functions of the JSON
 * formats and the dispatcher, cl_frame_next, open and close.
 */
#include "framing_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * json_tokener_parse_ex() from the C locale.  json-c switches the thread's
 * locale around every parse (LC_NUMERIC to "C", for strtod): from the
 * process's locale that copies it (duplocale) and builds a new one
 * (newlocale, which reads LOCPATH), about a sixth of a flow log message's
 * parse; from the C locale both return glibc's static C locale.  What
 * json-c parses does not depend on the locale but for LC_NUMERIC, which it
 * sets to "C" either way.  The thread's locale is restored before return.
 * errno tells whether memory ran out (framing.h): malloc and realloc set
 * ENOMEM when they fail, and nothing else in a parse does.
 */
json_object *
cl_json_parse(json_tokener *tok, const char *s, int len)
{
	static locale_t c_locale = (locale_t) 0;
	locale_t	old;
	json_object *obj;
	int			oom;

	if (c_locale == (locale_t) 0)
		c_locale = newlocale(LC_ALL_MASK, "C", (locale_t) 0);
	errno = 0;
	if (c_locale == (locale_t) 0)
	{
		obj = json_tokener_parse_ex(tok, s, len);
		oom = errno == ENOMEM;
	}
	else
	{
		old = uselocale(c_locale);
		obj = json_tokener_parse_ex(tok, s, len);
		oom = errno == ENOMEM;
		uselocale(old);
	}
	errno = oom ? ENOMEM : 0;
	return obj;
}

/*
 * After a parse json-c failed: a new tokener.  json_tokener_reset() (json-c
 * 0.16) does not clear the first half of a surrogate pair left by a parse
 * that failed inside a "\ud83d\ude.." escape pair (which the scanner lets
 * through to json-c), so the next record's first pair came out as U+FFFD
 * followed by the character, silently.  Out of memory, the old tokener
 * stays (json-c's own allocations would fail first).
 */
void
fr_renew_tokener(CLFrame *f)
{
	json_tokener *tok = json_tokener_new_ex(f->max_depth + 1);

	if (tok == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	json_tokener_free(f->tok);
	f->tok = tok;
}

/* ----------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

static const char *const format_names[] = {
	"auto", "ndjson", "concatenated", "array", "cloudwatch_export",
	"cloudwatch_subscription", "filter_log_events"
};

/*
 * Names for the SQL options (format => 'ndjson' ...) and error messages;
 * the tables follow the enums' order.
 */
const char *
cl_format_name(CLFormat format)
{
	if ((int) format < 0 || (int) format >= (int) (sizeof(format_names) / sizeof(format_names[0])))
		return "unknown";
	return format_names[format];
}

/* The CLFormat named name, or -1 (the caller lists the valid names). */
int
cl_format_from_name(const char *name)
{
	int			i;

	if (name == NULL)
		return -1;
	for (i = 0; i < (int) (sizeof(format_names) / sizeof(format_names[0])); i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

/* The compression option's name ("auto", "gzip", "none"). */
const char *
cl_compression_name(CLCompression compression)
{
	switch (compression)
	{
		case CL_COMPRESSION_AUTO:
			return "auto";
		case CL_COMPRESSION_GZIP:
			return "gzip";
		case CL_COMPRESSION_NONE:
			return "none";
	}
	return "unknown";
}

/* A short name of a record error kind, for tests and diagnostics. */
const char *
cl_record_error_name(CLRecordError kind)
{
	static const char *const names[] = {
		"", "syntax", "utf8", "nul", "depth", "not_object", "too_large", "truncated",
		"timestamp", "envelope", "stream"
	};

	if ((int) kind < 0 || (int) kind >= (int) (sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[kind];
}

/* The CLCompression named name, or -1. */
int
cl_compression_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	if (strcmp(name, "auto") == 0)
		return CL_COMPRESSION_AUTO;
	if (strcmp(name, "gzip") == 0)
		return CL_COMPRESSION_GZIP;
	if (strcmp(name, "none") == 0)
		return CL_COMPRESSION_NONE;
	return -1;
}

/* ----------------------------------------------------------------------
 * Format detection
 * ---------------------------------------------------------------------- */

/*
 * Format detection under auto, for a stream that starts with '{': walks the
 * top-level keys of the first object (up to SNIFF_WINDOW bytes, strings and
 * nesting aware, no parse) and answers subscription (messageType or logGroup
 * with logEvents), filter_log_events (an "events" key whose value is an
 * array) or concatenated (anything else, ndjson decided later).  Hand-rolled
 * because the first object may be larger than the window and need not be
 * valid: detection must not fail where reading the records would succeed.
 */
static CLFormat
sniff_object(const unsigned char *p, size_t n)
{
	int			depth = 0,
				in_str = 0,
				esc = 0,
				expect_key = 0,
				is_key = 0,
				saw_type = 0,
				saw_events = 0,
				saw_group = 0,
				events_key = 0;
	size_t		i,
				kstart = 0;

	for (i = 0; i < n; i++)
	{
		unsigned char c = p[i];

		if (in_str)
		{
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
			{
				in_str = 0;
				if (is_key)
				{
					size_t		kl = i - kstart;
					const char *k = (const char *) p + kstart;

					if (kl == 11 && memcmp(k, "messageType", 11) == 0)
						saw_type = 1;
					else if (kl == 9 && memcmp(k, "logEvents", 9) == 0)
						saw_events = 1;
					else if (kl == 8 && memcmp(k, "logGroup", 8) == 0)
						saw_group = 1;
					else if (kl == 6 && memcmp(k, "events", 6) == 0)
						events_key = 1;
				}
			}
			continue;
		}
		if (saw_events && (saw_type || saw_group))
			return CL_FORMAT_CLOUDWATCH_SUBSCRIPTION;
		if (events_key == 2)
		{
			if (fr_is_ws(c))
				continue;
			if (c == '[')
				return CL_FORMAT_FILTER_LOG_EVENTS;
			events_key = 0;
		}
		switch (c)
		{
			case '{':
				depth++;
				if (depth == 1)
					expect_key = 1;
				break;
			case '[':
				depth++;
				break;
			case '}':
			case ']':
				depth--;
				if (depth <= 0)
					return CL_FORMAT_CONCATENATED;
				break;
			case ',':
				if (depth == 1)
					expect_key = 1;
				break;
			case ':':
				if (events_key == 1 && depth == 1)
					events_key = 2;
				break;
			case '"':
				in_str = 1;
				is_key = depth == 1 && expect_key;
				if (is_key)
					events_key = 0;
				expect_key = 0;
				kstart = i + 1;
				break;
			default:
				break;
		}
	}
	if (saw_events && (saw_type || saw_group))
		return CL_FORMAT_CLOUDWATCH_SUBSCRIPTION;
	return CL_FORMAT_CONCATENATED;
}

/*
 * ST_START, the first call: skips a byte order mark and, under auto, picks
 * the format from the first significant byte: '[' an array, '{' an object
 * whose keys tell (sniff_object), a YYYY-MM-DDT line an export, anything
 * else concatenated.  ndjson is told apart from concatenated only after the
 * first record (check_ndjson).  0, or -1 on a stream error.
 */
static int
detect_format(CLFrame *f)
{
	int			r;

	r = fr_ensure_bytes(f, 3);
	if (r < 0)
		return -1;
	if (f->end - f->pos >= 3 && memcmp(f->buf + f->pos, "\xEF\xBB\xBF", 3) == 0)
		f->pos += 3;
	f->format = f->requested;
	if (f->requested == CL_FORMAT_AUTO)
	{
		r = fr_skip_ws(f);
		if (r < 0)
			return -1;
		if (r > 0)
		{
			unsigned char c = (unsigned char) f->buf[f->pos];

			if (c == '[')
				f->format = CL_FORMAT_ARRAY;
			else if (c == '{')
			{
				/* a stream error here surfaces when those bytes are needed */
				while (f->end - f->pos < SNIFF_WINDOW && fr_read_more(f) > 0)
					;
				f->format = sniff_object((const unsigned char *) f->buf + f->pos, f->end - f->pos);
			}
			else
			{
				if (fr_ensure_bytes(f, 11) < 0)
					return -1;
				if (f->end - f->pos >= 11 && fr_looks_like_date(f->buf + f->pos))
					f->format = CL_FORMAT_CLOUDWATCH_EXPORT;
				else
					f->format = CL_FORMAT_CONCATENATED;
			}
		}
	}
	f->ndjson_checked = f->requested != CL_FORMAT_AUTO || f->format != CL_FORMAT_CONCATENATED;
	f->state = f->format == CL_FORMAT_CLOUDWATCH_EXPORT ? ST_EXPORT : ST_TOP;
	return 0;
}

/*
 * Under auto, after the first top-level record buf[vstart .. vend): if it
 * was one line ended by a line break (or the end), the stream is ndjson.
 * That matters only for errors: a bad ndjson record is skipped to the next
 * line, while in a concatenated stream it is skipped by structure.
 */
static void
check_ndjson(CLFrame *f, size_t vstart, size_t vend)
{
	size_t		i = vend;

	f->ndjson_checked = 1;
	if (memchr(f->buf + vstart, '\n', vend - vstart) != NULL)
		return;
	for (;;)
	{
		while (i < f->end && (f->buf[i] == ' ' || f->buf[i] == '\t' || f->buf[i] == '\r'))
			i++;
		if (i < f->end || f->eof)
			break;
		/* look further (the window keeps rec, so indices move with it) */
		{
			size_t		irel = i - f->rec;

			if (fr_read_more(f) <= 0)
				break;
			i = f->rec + irel;
		}
	}
	if ((i < f->end && f->buf[i] == '\n') || (i == f->end && f->eof))
		f->format = CL_FORMAT_NDJSON;
}

/* ----------------------------------------------------------------------
 * The states of the JSON formats, and the dispatcher
 * ---------------------------------------------------------------------- */

/*
 * Skips the value at pos ('{', '[' or '"') after an error was recorded for
 * it, keeping that error (not whatever is wrong inside, which the skip may
 * find and record).  0, or -1 on a stream error.
 */
static int
skip_keeping_error(CLFrame *f)
{
	char		saved_reason[sizeof(f->reason)];
	char		saved_snippet[sizeof(f->snippet)];
	CLRecordError k = f->e_kind;
	uint64_t	eo = f->e_off,
				el = f->e_line;
	json_object *dummy;
	int			r;

	memcpy(saved_reason, f->reason, sizeof(saved_reason));
	memcpy(saved_snippet, f->snippet, sizeof(saved_snippet));
	r = fr_read_value(f, 0, 1, &dummy, 0);
	memcpy(f->reason, saved_reason, sizeof(saved_reason));
	memcpy(f->snippet, saved_snippet, sizeof(saved_snippet));
	f->e_kind = k;
	f->e_off = eo;
	f->e_line = el;
	return r == V_STREAM ? -1 : 0;
}

/*
 * A value that is not an object where a record belongs (what_expected:
 * "record", "array element", "event"): one error naming what it is.  An
 * array or a string is skipped whole; a number or a literal is skipped as a
 * token; other bytes (garbage) up to the next likely record (in an array,
 * to the next delimiter).  0, or -1 on a stream error.
 */
static int
not_object(CLFrame *f, int in_array, const char *what_expected)
{
	unsigned char c = (unsigned char) f->buf[f->pos];
	const char *what = c == '[' ? "an array" : c == '"' ? "a string" :
		(fr_is_digit((char) c) || c == '-') ? "a number" : (c == 't' || c == 'f' || c == 'n') ? "a literal" : NULL;

	if (what == NULL)
		fr_record_error(f, CL_ERR_SYNTAX, f->pos, "unexpected character where %s should start", what_expected);
	else
		fr_record_error(f, CL_ERR_NOT_OBJECT, f->pos, "%s is %s, not a JSON object", what_expected, what);
	if (c == '[' || c == '"')
		return skip_keeping_error(f);	/* the first problem: not an object */
	/* a number or literal: skip the token; anything else: to the next record */
	return fr_skip_scalar(f, in_array || what != NULL) < 0 ? -1 : 0;
}

/*
 * ST_TOP under format array: the next top-level value must open an array,
 * whose elements are the records (ST_ARR_FIRST).  Anything else is one
 * error: an object or a string is skipped whole (so that its insides do not
 * produce errors of their own), other bytes up to the next likely record.
 */
static int
open_top_array(CLFrame *f, unsigned char c)
{
	if (c == '[')
	{
		f->pos++;
		f->state = ST_ARR_FIRST;
		f->arr_kind = ARR_RECORDS;
		f->arr_index = 0;
		return FR_CONTINUE;
	}
	if (c == '{' || c == '"')
	{
		fr_record_error(f, CL_ERR_NOT_OBJECT, f->pos, "expected a JSON array (format array)");
		if (skip_keeping_error(f) < 0)
			return CL_FRAME_STREAM_ERROR;
	}
	else
	{
		fr_record_error(f, CL_ERR_SYNTAX, f->pos, "expected '[' (format array)");
		if (fr_hunt_brace(f) < 0)
			return CL_FRAME_STREAM_ERROR;
	}
	return CL_FRAME_RECORD_ERROR;
}

/*
 * ST_TOP: between top-level values.  For ndjson, concatenated and
 * subscription streams the value is an object, read whole and either handed
 * out (a record) or opened as an envelope (its events come next, from
 * ST_ENV_EVENTS); arrays and filter-log-events output open their own states.
 * Under auto, the first record decides between ndjson and concatenated
 * (check_ndjson), which changes how a later bad record is skipped.
 */
static int
next_top(CLFrame *f, CLRecord *rec)
{
	int			r;
	unsigned char c;
	json_object *obj;

	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
	{
		f->state = ST_END;
		return CL_FRAME_END;
	}
	c = (unsigned char) f->buf[f->pos];
	fr_set_record_position(f, rec);
	if (f->format == CL_FORMAT_ARRAY)
		return open_top_array(f, c);
	if (f->format == CL_FORMAT_FILTER_LOG_EVENTS)
		return fr_open_fle_output(f, rec, c);
	if (c != '{')
	{
		if (not_object(f, 0, "record") < 0)
			return CL_FRAME_STREAM_ERROR;
		return CL_FRAME_RECORD_ERROR;
	}
	if (f->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION)
		return fr_read_envelope(f, rec);
	r = fr_read_value(f, FR_PARSE_RECORD, 0, &obj, 0);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
		return CL_FRAME_RECORD_ERROR;
	if (!f->ndjson_checked)
	{
		size_t		vlen = f->pos - f->rec;

		check_ndjson(f, f->rec, f->pos);
		f->pos = f->rec + vlen;
	}
	return fr_hand_out(f, rec, obj, f->pos - f->rec);
}

/*
 * ST_ARR_FIRST (just after '[') and ST_ARR_NEXT (after an element): ']'
 * closes the array, back to the top (or, for the events array of
 * filter-log-events output, to the members of its object); otherwise an
 * element comes, after a ',' unless it is the first.  A missing ',' is one
 * error, and reading goes on with the element (or the next '{').
 */
static int
next_array_separator(CLFrame *f, CLRecord *rec)
{
	int			r;
	unsigned char c;

	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
		return fr_ends_inside(f, "the array");
	c = (unsigned char) f->buf[f->pos];
	if (c == ']')
	{
		f->pos++;
		f->state = f->arr_kind == ARR_FLE_EVENTS ? ST_FLE_AFTER : ST_TOP;
		return FR_CONTINUE;
	}
	if (f->state == ST_ARR_FIRST)
	{
		f->state = ST_ARR_ELEM;
		return FR_CONTINUE;
	}
	if (c == ',')
	{
		f->pos++;
		f->state = ST_ARR_ELEM;
		return FR_CONTINUE;
	}
	fr_set_record_position(f, rec);
	fr_record_error(f, CL_ERR_SYNTAX, f->pos, "expected ',' or ']' after an array element");
	if (c != '{')
	{
		f->pos++;
		if (fr_hunt_brace(f) < 0)
			return CL_FRAME_STREAM_ERROR;
	}
	f->state = ST_ARR_ELEM;
	return CL_FRAME_RECORD_ERROR;
}

/*
 * ST_ARR_ELEM: one array element, read whole.  Under format array it is
 * the record; in filter-log-events output it is an event object whose
 * message is the record (fr_fle_event).  Elements are read one at a time,
 * so an array of any size takes the memory of one element.  After a bad
 * element that ended at a '{' starting a new record, that '{' is the next
 * element (no ',' expected before it).
 */
static int
next_array_element(CLFrame *f, CLRecord *rec)
{
	int			r;
	unsigned char c;
	json_object *obj;
	long		idx;

	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
		return fr_ends_inside(f, "the array");
	c = (unsigned char) f->buf[f->pos];
	fr_set_record_position(f, rec);
	idx = f->arr_index++;
	if (c == ']')
	{
		fr_record_error(f, CL_ERR_SYNTAX, f->pos, "a ',' before ']' in an array");
		f->state = ST_ARR_NEXT;
		return CL_FRAME_RECORD_ERROR;
	}
	if (c != '{')
	{
		if (not_object(f, 1, f->arr_kind == ARR_FLE_EVENTS ? "event" : "array element") < 0)
			return CL_FRAME_STREAM_ERROR;
		f->state = ST_ARR_NEXT;
		return CL_FRAME_RECORD_ERROR;
	}
	r = fr_read_value(f, f->arr_kind == ARR_FLE_EVENTS ? 1 : FR_PARSE_RECORD,
					  f->arr_kind == ARR_FLE_EVENTS, &obj, 0);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
	{
		f->state = f->resumed_at_brace ? ST_ARR_ELEM : ST_ARR_NEXT;
		return CL_FRAME_RECORD_ERROR;
	}
	f->state = ST_ARR_NEXT;
	if (f->arr_kind == ARR_FLE_EVENTS)
		return fr_fle_event(f, obj, rec, idx);
	return fr_hand_out(f, rec, obj, f->pos - f->rec);
}

/*
 * The next record or record error: runs the state functions above (and
 * fr_next_export for export lines) until one of them has something to
 * return; FR_CONTINUE means the state changed and the next one goes on.
 */
static int
next_record(CLFrame *f, CLRecord *rec)
{
	int			r;

	for (;;)
	{
		switch (f->state)
		{
			case ST_START:
				r = detect_format(f) < 0 ? CL_FRAME_STREAM_ERROR : FR_CONTINUE;
				break;
			case ST_TOP:
				r = next_top(f, rec);
				break;
			case ST_ARR_FIRST:
			case ST_ARR_NEXT:
				r = next_array_separator(f, rec);
				break;
			case ST_ARR_ELEM:
				r = next_array_element(f, rec);
				break;
			case ST_FLE_OPEN:
			case ST_FLE_KEY:
			case ST_FLE_AFTER:
				r = fr_next_fle_member(f, rec);
				break;
			case ST_ENV_EVENTS:
				r = fr_next_envelope_event(f, rec);
				break;
			case ST_EXPORT:
				r = fr_next_export(f, rec);
				break;
			case ST_END:
				r = CL_FRAME_END;
				break;
			case ST_FAILED:
			default:
				r = CL_FRAME_STREAM_ERROR;
				break;
		}
		if (r != FR_CONTINUE)
			return r;
	}
}

/*
 * The API's one reading call (see framing.h): lets go of the previous
 * record, runs next_record, and fills rec: the record, or for an error its
 * kind, reason, where it was noticed, snippet and the bad bytes (raw, when
 * they were kept), placed at the bad record's start.  A stream error makes
 * the state ST_FAILED, so it and the end are sticky.
 */
int
cl_frame_next(CLFrame *f, CLRecord *rec)
{
	int			r;

	memset(rec, 0, sizeof(*rec));
	if (f == NULL)
		return CL_FRAME_END;
	json_object_put(f->obj);
	f->obj = NULL;
	f->tape_ready = 0;
	if (f->state != ST_ENV_EVENTS)
		fr_drop_holder(f);
	if (f->state != ST_FAILED)
	{
		f->e_kind = CL_ERR_NONE;
		f->raw_lost = 0;
		f->r_set = 0;
		r = next_record(f, rec);
	}
	else
		r = CL_FRAME_STREAM_ERROR;

	if (r == CL_FRAME_RECORD && f->tape_mode && !f->tape_ready &&
		cl_tape_from_jsonc(&f->tape, f->obj) != CL_TAPE_OK)
	{
		/* the record json-c parsed (the tape parser left it) cannot be copied */
		fr_oom_error(f, "out of memory copying a record");
		r = CL_FRAME_STREAM_ERROR;
	}

	/*
	 * A tape parsed from the read buffer points into it; reading on after
	 * the record (check_ndjson after the first one, an export line's rest)
	 * may have moved the bytes (compacted or reallocated): parse them again
	 * where they are now.  The same bytes take the same parse, and the
	 * tape's arrays are already large enough for them.
	 */
	if (r == CL_FRAME_RECORD && f->tape_mode && f->tape_ready && f->tape_in_buf &&
		f->tape_moves != f->buf_moves &&
		cl_tape_parse(&f->tape, rec->raw, rec->raw_len, f->max_depth + 1) != CL_TAPE_OK)
	{
		fr_oom_error(f, "out of memory parsing a record");
		r = CL_FRAME_STREAM_ERROR;
	}
	if (r == CL_FRAME_RECORD)
	{
		rec->obj = f->obj;
		rec->tape = f->tape_mode ? &f->tape : NULL;
	}
	else if (r == CL_FRAME_RECORD_ERROR || r == CL_FRAME_STREAM_ERROR)
	{
		if (r == CL_FRAME_STREAM_ERROR)
		{
			f->state = ST_FAILED;
			rec->offset = f->e_off;
		}
		rec->obj = NULL;
		rec->error_kind = f->e_kind;
		rec->error = f->reason;
		rec->error_offset = f->e_off;
		rec->error_line = f->e_line;
		rec->snippet = f->snippet;
		rec->out_of_memory = r == CL_FRAME_STREAM_ERROR && f->e_oom;
		if (r == CL_FRAME_RECORD_ERROR && rec->raw == NULL)
		{
			if (f->raw_lost || f->pos < f->rec || f->pos - f->rec > f->max_record)
			{
				rec->raw = NULL;
				rec->raw_len = 0;
			}
			else
			{
				rec->raw = f->buf + f->rec;
				rec->raw_len = f->pos - f->rec;
			}
			if (rec->line == 0 && f->r_set)
			{
				rec->offset = f->r_off;
				rec->line = f->r_line;
			}
		}
		if (r == CL_FRAME_RECORD_ERROR && rec->line == 0)
		{
			rec->offset = f->e_off;
			rec->line = f->e_line;
		}
	}
	return r;
}

/* ----------------------------------------------------------------------
 * Open, close, accessors
 * ---------------------------------------------------------------------- */

/*
 * A framer over src (taken over: closed on failure too), with the options'
 * defaults and limits.  The buffer starts at four chunks.  The scanner
 * enforces max_depth; json-c's own limit is set one above it (json-c counts
 * one more), so that json-c never rejects what the scanner let through.
 * NULL with errno ENOMEM when memory runs out.
 */
static CLFrame *
frame_new(CLSource *src, CLFormat format, const CLFrameOptions *opts)
{
	CLFrame    *f;

	fr_scan_tables_init();
	if (src == NULL)
	{
		errno = ENOMEM;
		return NULL;
	}
	f = calloc(1, sizeof(CLFrame));
	if (f == NULL)
	{
		cl_source_close(&src);
		errno = ENOMEM;
		return NULL;
	}
	f->src = src;
	f->requested = format;
	f->format = CL_FORMAT_AUTO;
	f->max_record = opts && opts->max_record_size ? opts->max_record_size : CL_FRAME_DEFAULT_MAX_RECORD;
	if (f->max_record > (size_t) INT_MAX / 2)
		f->max_record = (size_t) INT_MAX / 2;	/* json-c takes an int length */
	f->max_depth = opts && opts->max_depth > 0 ? opts->max_depth : CL_FRAME_DEFAULT_MAX_DEPTH;
	f->chunk = opts && opts->chunk_size ? opts->chunk_size : CL_SOURCE_DEFAULT_CHUNK;
	if (opts)
	{
		f->on_read = opts->on_read;
		f->on_read_arg = opts->on_read_arg;
		f->tape_mode = opts->tape != 0;
		cl_source_set_tap(src, opts->on_bytes, opts->on_bytes_arg);
		cl_source_set_zalloc(src, opts->zalloc, opts->zfree, opts->zalloc_arg);
	}
	f->cap = f->chunk * 4;
	f->buf = malloc(f->cap);
	/* our scanner enforces max_depth; json-c's own limit counts one more */
	f->tok = json_tokener_new_ex(f->max_depth + 1);
	if (f->buf == NULL || f->tok == NULL)
	{
		cl_frame_close(&f);
		errno = ENOMEM;
		return NULL;
	}
	json_tokener_set_flags(f->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	f->prev_byte = '\n';
	f->line = 1;
	f->state = ST_START;
	return f;
}

/*
 * Frames fd from its position (see framing.h); the fd is closed on failure
 * when close_fd says the framer owns it.
 */
CLFrame *
cl_frame_open_fd(int fd, int close_fd, CLCompression compression, CLFormat format,
				 const CLFrameOptions *opts)
{
	size_t		chunk = opts && opts->chunk_size ? opts->chunk_size : CL_SOURCE_DEFAULT_CHUNK;
	CLSource   *src = cl_source_open_fd(fd, close_fd, compression, chunk);

	if (src == NULL && close_fd)
		close(fd);
	return frame_new(src, format, opts);
}

/*
 * Opens path read-only (close-on-exec: a process the server forks never
 * inherits it) and frames it.
 */
CLFrame *
cl_frame_open(const char *path, CLCompression compression, CLFormat format,
			  const CLFrameOptions *opts)
{
#ifdef O_CLOEXEC
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
#else
	int			fd = open(path, O_RDONLY);
#endif

	if (fd < 0)
		return NULL;
	return cl_frame_open_fd(fd, 1, compression, format, opts);
}

/* Frames len bytes in memory (the unit tests). */
CLFrame *
cl_frame_open_mem(const void *data, size_t len, CLCompression compression, CLFormat format,
				  const CLFrameOptions *opts)
{
	return frame_new(cl_source_open_mem(data, len, compression), format, opts);
}

/* The format being read; under auto, AUTO until the first call detected it. */
CLFormat
cl_frame_format(const CLFrame *f)
{
	return f ? f->format : CL_FORMAT_AUTO;
}

/* Whether the source turned out to be gzip. */
int
cl_frame_is_gzip(const CLFrame *f)
{
	return f ? cl_source_is_gzip(f->src) : 0;
}

/* Compressed bytes read so far (load()'s progress messages). */
uint64_t
cl_frame_bytes_in(const CLFrame *f)
{
	return f ? cl_source_bytes_in(f->src) : 0;
}

/* Decompressed bytes read so far. */
uint64_t
cl_frame_bytes_out(const CLFrame *f)
{
	return f ? cl_source_bytes_out(f->src) : 0;
}

/*
 * Releases everything (json-c objects and tokener, zlib state, the buffer,
 * the fd when owned) and clears *fp.  Idempotent and safe at any point,
 * because a PostgreSQL memory-context reset callback calls it after an
 * ERROR thrown mid-record.
 */
void
cl_frame_close(CLFrame **fp)
{
	CLFrame    *f;

	if (fp == NULL || *fp == NULL)
		return;
	f = *fp;
	*fp = NULL;
	json_object_put(f->obj);
	fr_drop_holder(f);
	cl_tape_free(&f->tape);
	if (f->tok)
		json_tokener_free(f->tok);
	cl_source_close(&f->src);
	free(f->buf);
	free(f);
}
