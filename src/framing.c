/*
 * framing.c: decompressed bytes -> JSON records (see framing.h).
 *
 * How it works.  The stream is read in large chunks into one buffer that
 * holds the current record (compacted, grown up to max_record_size plus two
 * chunks).  For each value a resumable byte scanner (fr_scan()) finds where the
 * value ends, string- and escape-aware, and on the way checks what json-c
 * lets through but PostgreSQL cannot take (UTF-8, \u0000, raw control
 * characters, single quotes, NaN/Infinity, comments, depth).  json-c then
 * parses exactly those bytes in one json_tokener_parse_ex call (one locale
 * switch per record), and grammar errors it finds (a missing comma, ...)
 * cost nothing extra: the scanner already knows where the bad record ends.
 * After an error the same scanner, in "skip" mode, finds where to resume.
 */
#include "framing_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ----------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

static const char *const format_names[] = {
	"auto", "ndjson", "concatenated", "array", "cloudwatch_export",
	"cloudwatch_subscription", "filter_log_events"
};

const char *
cl_format_name(CLFormat format)
{
	if ((int) format < 0 || (int) format >= (int) (sizeof(format_names) / sizeof(format_names[0])))
		return "unknown";
	return format_names[format];
}

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
 * Buffer, positions, lines
 * ---------------------------------------------------------------------- */

static void
count_lines_to(CLFrame *f, size_t upto)
{
	const char *p = f->buf + f->line_pos;
	const char *e = f->buf + upto;

	while (p < e && (p = memchr(p, '\n', (size_t) (e - p))) != NULL)
	{
		f->line++;
		p++;
	}
	f->line_pos = upto;
}

/* Line number of buf[i] (i within the window). */
uint64_t
fr_line_at(CLFrame *f, size_t i)
{
	const char *p,
			   *e;
	uint64_t	n = 0;

	if (i >= f->line_pos)
	{
		count_lines_to(f, i);
		return f->line;
	}
	p = f->buf + i;
	e = f->buf + f->line_pos;
	while (p < e && (p = memchr(p, '\n', (size_t) (e - p))) != NULL)
	{
		n++;
		p++;
	}
	return f->line - n;
}

/* Records a stream error; cl_frame_next makes it final when it returns it. */
static void
stream_error(CLFrame *f, const char *msg)
{
	f->e_kind = CL_ERR_STREAM;
	snprintf(f->reason, sizeof(f->reason), "%s", msg);
	f->e_off = f->base + f->end;
	f->e_line = 0;
	f->snippet[0] = '\0';
}

/*
 * Reads more, keeping buf[rec .. end).  Returns 1 when bytes arrived, 0 at
 * the end of the stream, -1 on a stream error (state FAILED).
 */
int
fr_read_more(CLFrame *f)
{
	long		n;

	if (f->eof)
		return 0;
	if (f->cap - f->end < f->chunk)
	{
		size_t		keep = f->rec;

		if (keep > 0)
		{
			if (f->line_pos < keep)
				count_lines_to(f, keep);
			f->prev_byte = (unsigned char) f->buf[keep - 1];
			memmove(f->buf, f->buf + keep, f->end - keep);
			f->base += keep;
			f->end -= keep;
			f->pos -= keep;
			f->line_pos -= keep;
			f->rec = 0;
		}
		if (f->cap - f->end < f->chunk)
		{
			size_t		ncap = f->cap * 2;
			size_t		limit = f->max_record + 2 * f->chunk;
			char	   *nbuf;

			/* double, but not far past what one record may need */
			if (ncap > limit)
				ncap = limit;
			if (ncap < f->end + f->chunk)
				ncap = f->end + f->chunk;
			nbuf = realloc(f->buf, ncap);
			if (nbuf == NULL)
			{
				stream_error(f, "out of memory growing the read buffer");
				return -1;
			}
			f->buf = nbuf;
			f->cap = ncap;
		}
	}
	n = cl_source_read(f->src, f->buf + f->end, f->cap - f->end);
	if (f->on_read)
		f->on_read(f->on_read_arg);
	if (n < 0)
	{
		stream_error(f, cl_source_error(f->src));
		return -1;
	}
	if (n == 0)
	{
		f->eof = 1;
		return 0;
	}
	f->end += (size_t) n;
	return 1;
}

/* At least n bytes from pos: 1, or 0 when the stream ends first, -1 error. */
int
fr_ensure_bytes(CLFrame *f, size_t n)
{
	int			r;

	while (f->end - f->pos < n)
	{
		r = fr_read_more(f);
		if (r <= 0)
			return r;
	}
	return 1;
}

/* Skips whitespace; then rec = pos.  1: a byte at pos, 0: end, -1: error. */
int
fr_skip_ws(CLFrame *f)
{
	int			r;

	for (;;)
	{
		const char *p = f->buf + f->pos;
		const char *e = f->buf + f->end;

		while (p < e && fr_is_ws((unsigned char) *p))
			p++;
		f->pos = (size_t) (p - f->buf);
		f->rec = f->pos;
		if (p < e && (unsigned char) *p != 0xEF)
			return 1;
		if (p < e)
		{
			/* a byte order mark between records ("cat" of files saved on Windows) */
			r = fr_ensure_bytes(f, 3);
			if (r < 0)
				return -1;
			if (f->end - f->pos >= 3 && memcmp(f->buf + f->pos, "\xEF\xBB\xBF", 3) == 0)
			{
				f->pos += 3;
				continue;
			}
			return 1;
		}
		r = fr_read_more(f);
		if (r <= 0)
			return r;
	}
}

/* The byte before buf[i] ('\n' at the stream start). */
static int
byte_before(const CLFrame *f, size_t i)
{
	return i > 0 ? (unsigned char) f->buf[i - 1] : f->prev_byte;
}

/*
 * Drops the kept bytes of a record too long to keep (its raw is lost).
 * Offsets relative to rec (the scanner's) are rebased by the caller.
 */
void
fr_drop_kept(CLFrame *f)
{
	f->rec = f->pos;
	f->raw_lost = 1;
}

/* Fills rec's position from the current value start. */
void
fr_set_record_position(CLFrame *f, CLRecord *rec)
{
	rec->offset = f->base + f->rec;
	rec->line = fr_line_at(f, f->rec);
}

/* ----------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

void
fr_make_snippet(char *out, size_t outsz, const unsigned char *b, size_t len, size_t at, size_t lo)
{
	size_t		start = at > lo + SNIPPET_BEFORE ? at - SNIPPET_BEFORE : lo;
	size_t		stop = at + SNIPPET_AFTER < len ? at + SNIPPET_AFTER : len;
	size_t		o = 0,
				i;

	while (start < at && (b[start] & 0xC0) == 0x80)
		start++;
	for (i = start; i < stop && o + 8 < outsz;)
	{
		unsigned char c = b[i];
		int			k;

		if (c >= 0x20 && c < 0x7f)
		{
			out[o++] = (char) c;
			i++;
		}
		else if (c == '\n' || c == '\r' || c == '\t')
		{
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			i++;
		}
		else if (c >= 0x80 && (k = fr_utf8_seq(b + i, stop - i)) > 0)
		{
			memcpy(out + o, b + i, (size_t) k);
			o += (size_t) k;
			i += (size_t) k;
		}
		else
		{
			o += (size_t) snprintf(out + o, outsz - o, "\\x%02x", c);
			i++;
		}
	}
	out[o] = '\0';
}

/* A record error at buf[at] (within the window). */
void
fr_record_error(CLFrame *f, CLRecordError kind, size_t at, const char *fmt,...)
{
	va_list		ap;

	if (at > f->end)
		at = f->end;
	if (!f->r_set)
	{
		/* where the bad record starts, before resync moves the window */
		f->r_set = 1;
		f->r_off = f->base + f->rec;
		f->r_line = fr_line_at(f, f->rec);
	}
	/* the snippet shows the same bytes whatever the read size */
	{
		size_t		arel = at - f->rec;

		while (f->end - at < SNIPPET_AFTER && fr_read_more(f) > 0)
			at = f->rec + arel;
		at = f->rec + arel;
	}
	f->e_kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	f->e_off = f->base + at;
	f->e_line = fr_line_at(f, at);
	fr_make_snippet(f->snippet, sizeof(f->snippet), (const unsigned char *) f->buf, f->end, at, f->rec);
}

/* The stream ended inside an enclosing structure: one error, then the end. */
int
fr_ends_inside(CLFrame *f, const char *what)
{
	fr_record_error(f, CL_ERR_TRUNCATED, f->end, "the data ends inside %s", what);
	f->state = ST_END;
	return CL_FRAME_RECORD_ERROR;
}

/* Hand out a parsed record whose bytes are f->buf[f->rec, f->rec + len). */
int
fr_hand_out(CLFrame *f, CLRecord *rec, json_object *obj, size_t len)
{
	f->obj = obj;
	rec->raw = f->buf + f->rec;
	rec->raw_len = len;
	return CL_FRAME_RECORD;
}

/* ----------------------------------------------------------------------
 * Resynchronisation
 * ---------------------------------------------------------------------- */

/*
 * From pos, finds the next '{' that starts a line or follows a '}' (blanks
 * between allowed) and stops there (resumed_at_brace), or at the end.
 * 0 or -1 (stream error).
 */
int
fr_hunt_brace(CLFrame *f)
{
	int			prev = byte_before(f, f->pos);
	int			last_sig = prev;
	int			first = 1;		/* never stop where we start */
	int			r;

	/* last significant byte before pos, within the window */
	{
		size_t		i = f->pos;

		while (i > f->rec && fr_is_ws((unsigned char) f->buf[i - 1]))
			i--;
		last_sig = i > 0 ? (unsigned char) f->buf[i - 1] : f->prev_byte;
	}
	for (;;)
	{
		while (f->pos < f->end)
		{
			unsigned char c = (unsigned char) f->buf[f->pos];

			if (c == '{' && (prev == '\n' || last_sig == '}') && !first)
			{
				f->resumed_at_brace = 1;
				return 0;
			}
			if (!fr_is_ws(c))
				last_sig = c;
			prev = c;
			first = 0;
			f->pos++;
		}
		if (f->pos - f->rec > f->max_record)
			fr_drop_kept(f);
		r = fr_read_more(f);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

/*
 * After a validation error: scans on in skip mode to where the bad value
 * ends (or the structure is lost) and leaves pos at the resume point.
 */
static int
skip_value(CLFrame *f, Scan *s, size_t vstart)
{
	int			r;

	s->validate = 0;
	for (;;)
	{
		r = fr_scan(s, (const unsigned char *) f->buf + vstart, f->end - vstart);
		if (r == SCAN_END)
		{
			f->pos = vstart + s->off;
			return 0;
		}
		if (r == SCAN_BROKEN)
		{
			f->pos = vstart + s->off;
			if (s->broken_brace)
			{
				f->resumed_at_brace = 1;
				return 0;
			}
			if (s->stop_nl)
			{
				/* ndjson: the line after (a string may have run into it) */
				if (f->pos < f->end && f->buf[f->pos] == '\n')
					f->pos++;
				return 0;
			}
			return fr_hunt_brace(f);
		}
		if (r == SCAN_ERROR)
			continue;
		/* SCAN_MORE: keep the record while it fits, else let it go */
		f->pos = f->end;
		if (f->end - f->rec > f->max_record)
		{
			size_t		shift = f->end - vstart;

			fr_drop_kept(f);
			fr_scan_rebase(s, shift);
			vstart = f->rec;
		}
		{
			size_t		vrel = vstart - f->rec;

			r = fr_read_more(f);
			vstart = f->rec + vrel;
		}
		if (r < 0)
			return -1;
		if (r == 0)
		{
			f->pos = f->end;
			return 0;
		}
	}
}

/* how read_value's scan stopped on a bad value */
enum
{
	STOP_ERROR,					/* validation error; the scanner can go on */
	STOP_BROKEN,				/* structure lost (see Scan.broken_brace) */
	STOP_LARGE,					/* max_record_size reached mid-value */
	STOP_EOF,					/* the data ended mid-value */
	STOP_END					/* value complete (json-c or size error) */
};

/*
 * After a bad value starting at rec, of which s->off bytes were scanned
 * (all still in the window): leaves pos where reading resumes.
 * 0, or -1 on a stream error.
 */
static int
resync_value(CLFrame *f, Scan *s, int how, int export_line)
{
	if (export_line)
	{
		f->pos = f->rec;
		return fr_hunt_export_line(f);
	}
	if (f->format == CL_FORMAT_NDJSON)
	{
		/* the next line after the record's start, or the value's end if sooner */
		char	   *nl = memchr(f->buf + f->rec, '\n', s->off);

		f->resumed_at_brace = 0;
		if (nl != NULL)
		{
			f->pos = (size_t) (nl - f->buf) + 1;
			return 0;
		}
		switch (how)
		{
			case STOP_END:
				f->pos = f->rec + s->off;
				return 0;
			case STOP_EOF:
				f->pos = f->end;
				return 0;
			case STOP_BROKEN:
				f->pos = f->rec + s->off;
				if (f->pos < f->end && f->buf[f->pos] == '\n')
					f->pos++;
				return 0;
			default:
				s->stop_nl = 1;
				return skip_value(f, s, f->rec);
		}
	}
	switch (how)
	{
		case STOP_END:
		case STOP_EOF:
		case STOP_LARGE:
			if (s->cand != NO_POS)
			{
				f->pos = f->rec + s->cand;
				f->resumed_at_brace = 1;
				return 0;
			}
			if (how == STOP_END)
				f->pos = f->rec + s->off;
			else if (how == STOP_EOF)
				f->pos = f->end;
			else
				return skip_value(f, s, f->rec);
			return 0;
		case STOP_BROKEN:
			f->pos = f->rec + s->off;
			if (s->broken_brace)
			{
				f->resumed_at_brace = 1;
				return 0;
			}
			if (s->cand != NO_POS)
			{
				f->pos = f->rec + s->cand;
				f->resumed_at_brace = 1;
				return 0;
			}
			return fr_hunt_brace(f);
		default:
			return skip_value(f, s, f->rec);
	}
}

/* ----------------------------------------------------------------------
 * Reading one value
 * ---------------------------------------------------------------------- */

/*
 * Reads the value at pos (== rec; '{', '[' or '"').  parse: build the json-c
 * object into *out.  On V_OK the value is buf[rec .. pos).  On V_ERROR the
 * error is recorded and pos is where to resume.
 */
int
fr_read_value(CLFrame *f, int parse, int allow_nul, json_object **out, int export_line)
{
	Scan		s;
	int			r;
	size_t		len;
	size_t		limit = f->max_record + 1;

	*out = NULL;
	f->resumed_at_brace = 0;
	fr_scan_init(&s, f->max_depth, allow_nul);
	for (;;)
	{
		/*
		 * Scan no further than max_record_size + 1 bytes, so that what is
		 * reported does not depend on how much happens to be buffered.
		 */
		size_t		have = f->end - f->rec;

		r = fr_scan(&s, (const unsigned char *) f->buf + f->rec, have < limit ? have : limit);
		if (r == SCAN_END)
			break;
		if (r == SCAN_ERROR || r == SCAN_BROKEN)
		{
			fr_record_error(f, s.err, f->rec + s.err_off, "%s", s.why);
			r = resync_value(f, &s, r == SCAN_ERROR ? STOP_ERROR : STOP_BROKEN, export_line);
			return r < 0 ? V_STREAM : V_ERROR;
		}
		/* SCAN_MORE */
		if (s.off >= limit)
		{
			fr_record_error(f, CL_ERR_TOO_LARGE, f->rec,
						 "record larger than max_record_size (%zu bytes)", f->max_record);
			f->raw_lost = 1;	/* never handed out, however much was read */
			r = resync_value(f, &s, STOP_LARGE, export_line);
			return r < 0 ? V_STREAM : V_ERROR;
		}
		f->pos = f->end;
		r = fr_read_more(f);
		if (r < 0)
			return V_STREAM;
		if (r == 0)
		{
			fr_record_error(f, CL_ERR_TRUNCATED, f->end, "the data ends inside this record");
			r = resync_value(f, &s, STOP_EOF, export_line);
			return r < 0 ? V_STREAM : V_ERROR;
		}
	}
	len = s.off;
	f->pos = f->rec + len;
	if (len > f->max_record)
	{
		fr_record_error(f, CL_ERR_TOO_LARGE, f->rec,
					 "record larger than max_record_size (%zu bytes)", f->max_record);
		f->raw_lost = 1;
		r = resync_value(f, &s, STOP_END, export_line);
		return r < 0 ? V_STREAM : V_ERROR;
	}
	if (parse)
	{
		json_object *obj;
		enum json_tokener_error jerr;

		json_tokener_reset(f->tok);
		obj = json_tokener_parse_ex(f->tok, f->buf + f->rec, (int) len);
		jerr = json_tokener_get_error(f->tok);
		if (obj == NULL || jerr != json_tokener_success || json_tokener_get_parse_end(f->tok) != len)
		{
			size_t		at = json_tokener_get_parse_end(f->tok);

			json_object_put(obj);
			fr_record_error(f, jerr == json_tokener_error_depth ? CL_ERR_DEPTH : CL_ERR_SYNTAX,
						 f->rec + (at < len ? at : len), "invalid JSON: %s",
						 jerr == json_tokener_success || jerr == json_tokener_continue ?
						 "incomplete value" : json_tokener_error_desc(jerr));
			r = resync_value(f, &s, STOP_END, export_line);
			return r < 0 ? V_STREAM : V_ERROR;
		}
		*out = obj;
	}
	return V_OK;
}

/*
 * Skips a scalar that is not a record (number, literal, garbage) up to the
 * next delimiter; for garbage between top-level records, to the next '{'.
 */
int
fr_skip_scalar(CLFrame *f, int in_array)
{
	int			r;

	f->resumed_at_brace = 0;
	if (!in_array)
		return fr_hunt_brace(f);
	for (;;)
	{
		while (f->pos < f->end)
		{
			unsigned char c = (unsigned char) f->buf[f->pos];

			if (c == ',' || c == ']' || c == '}' || c == '{' || c == '[' || c == '"' || fr_is_ws(c))
				return 0;
			f->pos++;
		}
		if (f->pos - f->rec > f->max_record)
			fr_drop_kept(f);
		r = fr_read_more(f);
		if (r <= 0)
			return r;
	}
}

/* ----------------------------------------------------------------------
 * Format detection
 * ---------------------------------------------------------------------- */

/* Top-level keys of the object at p: subscription, filter-log-events or neither. */
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

/* First call: byte order mark, detection.  0, or -1 on a stream error. */
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

/* auto: say ndjson when the first record is one line ended by a line break */
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
 * The driver
 * ---------------------------------------------------------------------- */

/*
 * Skips the value at pos ('{', '[' or '"') after an error was recorded for
 * it, keeping that error (not whatever is wrong inside).  0, or -1.
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

/* A value that is not an object where a record belongs. */
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
	r = fr_read_value(f, 1, f->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION, &obj, 0);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
		return CL_FRAME_RECORD_ERROR;
	if (f->format == CL_FORMAT_CLOUDWATCH_SUBSCRIPTION)
	{
		if (fr_open_envelope(f, obj, rec) < 0)
			return CL_FRAME_RECORD_ERROR;
		return FR_CONTINUE;
	}
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
	r = fr_read_value(f, 1, f->arr_kind == ARR_FLE_EVENTS, &obj, 0);
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

int
cl_frame_next(CLFrame *f, CLRecord *rec)
{
	int			r;

	memset(rec, 0, sizeof(*rec));
	if (f == NULL)
		return CL_FRAME_END;
	json_object_put(f->obj);
	f->obj = NULL;
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

	if (r == CL_FRAME_RECORD)
	{
		rec->obj = f->obj;
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

CLFrame *
cl_frame_open_mem(const void *data, size_t len, CLCompression compression, CLFormat format,
				  const CLFrameOptions *opts)
{
	return frame_new(cl_source_open_mem(data, len, compression), format, opts);
}

CLFormat
cl_frame_format(const CLFrame *f)
{
	return f ? f->format : CL_FORMAT_AUTO;
}

int
cl_frame_is_gzip(const CLFrame *f)
{
	return f ? cl_source_is_gzip(f->src) : 0;
}

uint64_t
cl_frame_bytes_in(const CLFrame *f)
{
	return f ? cl_source_bytes_in(f->src) : 0;
}

uint64_t
cl_frame_bytes_out(const CLFrame *f)
{
	return f ? cl_source_bytes_out(f->src) : 0;
}

void
cl_frame_close(CLFrame **fp)
{
	CLFrame    *f;

	if (fp == NULL || *fp == NULL)
		return;
	f = *fp;
	*fp = NULL;
	json_object_put(f->obj);
	json_object_put(f->holder);
	if (f->tok)
		json_tokener_free(f->tok);
	cl_source_close(&f->src);
	free(f->buf);
	free(f);
}
