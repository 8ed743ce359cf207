/*
 * framing_read.c: reading values out of the decompressed stream.
 *
 * The window.  Bytes come from cl_source_read() in chunks into one buffer,
 * f->buf; buf[rec .. end) is kept (rec is where the current record or bad
 * bytes start), pos is the cursor, base the stream offset of buf[0].
 * fr_read_more() compacts the window (drops what lies before rec) and grows
 * it only as far as one record needs: max_record_size plus two chunks.
 * Line numbers are counted lazily, up to where someone asks (fr_line_at).
 *
 * Reading one value.  fr_read_value() runs the lexer (fr_scan, in
 * framing_scan.c) over the window, reading more until the value ends, and
 * has json-c parse exactly those bytes.  A bad value is reported once
 * (fr_record_error: reason, where, a snippet of the bytes around it) and
 * the stream resynchronised (resync_value and its helpers), so that the next
 * call starts at the next plausible record.
 *
 * The format framing that calls this (which value is a record, arrays,
 * envelopes) is in framing.c and framing_cloudwatch.c.
 */
#include "framing_int.h"

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------------
 * Buffer, positions, lines
 * ---------------------------------------------------------------------- */

/*
 * Advances the line count from line_pos to buf[upto].  Lines are counted
 * lazily, only as far as someone asks for a line number (an error, a record's
 * position), so the happy path pays one memchr pass per record at most.
 */
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

/*
 * Line number of buf[i] (i within the window).  Before line_pos (an error's
 * start, behind the cursor) it counts back from there instead of keeping a
 * line number per record.
 */
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

/*
 * Records a stream error (I/O, gzip, memory): no position in the records,
 * so the offset is where the data stopped and there is no snippet.
 * cl_frame_next makes it final (ST_FAILED) when it returns it.
 */
void
fr_stream_error(CLFrame *f, const char *msg)
{
	f->e_kind = CL_ERR_STREAM;
	snprintf(f->reason, sizeof(f->reason), "%s", msg);
	f->e_off = f->base + f->end;
	f->e_line = 0;
	f->snippet[0] = '\0';
	f->e_oom = 0;
}

/* A stream error that is memory running out (CLRecord.out_of_memory). */
void
fr_oom_error(CLFrame *f, const char *msg)
{
	fr_stream_error(f, msg);
	f->e_oom = 1;
}

/*
 * Reads one more chunk into the window.  First it makes room by dropping
 * what lies before rec (the record being read, or the bad bytes being
 * reported, must stay whole for raw and snippets), and only then grows the
 * buffer: doubling, but never far past max_record_size plus two chunks, so
 * memory is bounded by the largest record, not the file.  Returns 1 when
 * bytes arrived, 0 at the end of the stream, -1 on a stream error.
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
			f->buf_moves++;
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
				fr_oom_error(f, "out of memory growing the read buffer");
				return -1;
			}
			f->buf = nbuf;
			f->cap = ncap;
			f->buf_moves++;
		}
	}
	n = cl_source_read(f->src, f->buf + f->end, f->cap - f->end);
	if (f->on_read)
		f->on_read(f->on_read_arg);
	if (n < 0)
	{
		/* zlib's memory running out is not a damaged file */
		if (cl_source_out_of_memory(f->src))
			fr_oom_error(f, cl_source_error(f->src));
		else
			fr_stream_error(f, cl_source_error(f->src));
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

/*
 * At least n bytes from pos (the lookahead of BOM, date and prefix checks):
 * 1, or 0 when the stream ends first, -1 on a stream error.
 */
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

/*
 * Skips whitespace and byte order marks (found between records when files
 * saved on Windows are concatenated) and marks pos as the next record's
 * start (rec).  1: a byte at pos, 0: the end, -1: a stream error.
 */
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

/*
 * The byte before buf[i], also when it has been dropped from the window
 * ('\n' at the stream start): resync asks whether a '{' starts a line.
 */
static int
byte_before(const CLFrame *f, size_t i)
{
	return i > 0 ? (unsigned char) f->buf[i - 1] : f->prev_byte;
}

/*
 * Gives up the kept bytes of a value already longer than max_record_size,
 * so that skipping it does not hold it in memory; its raw is lost (NULL).
 * Offsets relative to rec (the scanner's) are rebased by the caller.
 */
void
fr_drop_kept(CLFrame *f)
{
	f->rec = f->pos;
	f->raw_lost = 1;
}

/*
 * fr_read_more() for a caller skipping bytes (a value, a line) to a resume
 * point: once what is kept since rec is longer than max_record_size it is
 * given up first (fr_drop_kept()), so that skipping never holds more than
 * one record's worth.  The caller scanned to f->end.
 */
int
fr_read_more_skipping(CLFrame *f)
{
	if (f->pos - f->rec > f->max_record)
		fr_drop_kept(f);
	return fr_read_more(f);
}

/*
 * Sets rec's offset and line to the current value's start (rec): where the
 * caller's error context will say the record is.
 */
void
fr_set_record_position(CLFrame *f, CLRecord *rec)
{
	rec->offset = f->base + f->rec;
	rec->line = fr_line_at(f, f->rec);
}

/* ----------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/*
 * Writes up to SNIPPET_BEFORE bytes before b[at] and SNIPPET_AFTER from it
 * (not before b[lo]) into out as valid UTF-8, line breaks as \n and other
 * control or invalid bytes as \xNN: the snippet goes into a PostgreSQL error
 * message, which must be valid in the server encoding whatever the file
 * holds.
 */
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

/*
 * Records a record error noticed at buf[at]: the reason, where it was
 * noticed, a snippet, and (once per record) where the bad record starts,
 * before resync moves the window.  It reads ahead up to SNIPPET_AFTER bytes
 * first, so that the snippet, and so the error text, is the same whatever
 * the read size.
 */
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

/*
 * The stream ended inside an enclosing array or filter-log-events object:
 * one error, then the end (nothing after it can be a record).
 */
int
fr_ends_inside(CLFrame *f, const char *what)
{
	fr_record_error(f, CL_ERR_TRUNCATED, f->end, "the data ends inside %s", what);
	f->state = ST_END;
	return CL_FRAME_RECORD_ERROR;
}

/*
 * Hands out a parsed record whose bytes are buf[rec .. rec + len).  The
 * framer owns obj until the next call (cl_frame_next puts it).
 */
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
 * Resync when the structure is lost (garbage between records, a string that
 * runs into a line break, a record that never closes): from pos, finds the
 * next '{' that starts a line or follows a '}' (blanks between allowed), the
 * likely start of the next record in NDJSON, "}{" and pretty-printed
 * streams alike, and stops there (resumed_at_brace), or at the end.  Bytes
 * passed over are dropped once they exceed max_record_size.  0, or -1 on a
 * stream error.
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
		r = fr_read_more_skipping(f);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

/*
 * After a validation error in the value at vstart: scans on in skip mode
 * (structure only) to where the bad value ends, so that one bad value is one
 * error whatever is wrong inside it, and leaves pos at the resume point.  If
 * the structure is lost on the way, resumes at a likely record start instead
 * (the next line for ndjson, else fr_hunt_brace).  0, or -1 on a stream
 * error.
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
 * (all still in the window; how says why scanning stopped): leaves pos where
 * reading resumes.  Export lines resume at the next timestamped line; ndjson
 * at the next line after the record's start (a bad line never takes the
 * next one with it); other formats at the end of the bad value, or at a '{'
 * that started a line inside it (cand: a record that never closed, followed
 * by the next one).  0, or -1 on a stream error.
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
 * Reads the value at pos (== rec; '{', '[' or '"'): scans it, reading more
 * until it ends, and with parse builds the json-c object into *out with one
 * json_tokener_parse_ex call over exactly its bytes.  With FR_PARSE_RECORD
 * (a record handed out as it is) under the tape option, the tape parser
 * tries first: when it takes the record, *out stays NULL and tape_ready is
 * set; when not, json-c parses as above.  allow_nul lets \u0000
 * through (envelopes and keys, which are not stored); export_line makes a
 * bad value resync to the next export line.  On V_OK the value is
 * buf[rec .. pos).  On V_ERROR the error is recorded and pos is where to
 * resume; V_STREAM: a stream error.
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
	if (parse == FR_PARSE_RECORD && f->tape_mode)
	{
		int			tr = cl_tape_parse(&f->tape, f->buf + f->rec, len, f->max_depth + 1);

		if (tr == CL_TAPE_OK)
		{
			/* its strings point into buf: cl_frame_next checks they still do */
			f->tape_ready = 1;
			f->tape_in_buf = 1;
			f->tape_moves = f->buf_moves;
			return V_OK;
		}
		/* anything else: json-c's parse below decides, and is copied later */
	}
	if (parse)
	{
		json_object *obj;
		enum json_tokener_error jerr;

		json_tokener_reset(f->tok);
		obj = cl_json_parse(f->tok, f->buf + f->rec, (int) len);
		if (errno == ENOMEM)
		{
			/* json-c ran out of memory: what it returned is not the record */
			json_object_put(obj);
			fr_renew_tokener(f);
			fr_oom_error(f, "out of memory parsing a record");
			return V_STREAM;
		}
		jerr = json_tokener_get_error(f->tok);
		if (obj == NULL || jerr != json_tokener_success || json_tokener_get_parse_end(f->tok) != len)
		{
			size_t		at = json_tokener_get_parse_end(f->tok);

			json_object_put(obj);
			fr_record_error(f, jerr == json_tokener_error_depth ? CL_ERR_DEPTH : CL_ERR_SYNTAX,
							f->rec + (at < len ? at : len), "invalid JSON: %s",
							jerr == json_tokener_success || jerr == json_tokener_continue ?
							"incomplete value" : json_tokener_error_desc(jerr));
			fr_renew_tokener(f);
			r = resync_value(f, &s, STOP_END, export_line);
			return r < 0 ? V_STREAM : V_ERROR;
		}
		*out = obj;
	}
	return V_OK;
}

/*
 * Skips what stands where a record belongs but is no object, array or
 * string.  With in_array, only that token up to the next delimiter, so that a
 * stray number or literal is one error for that token and reading goes on
 * with what follows; without, garbage between top-level records, everything
 * up to the next likely record start (fr_hunt_brace).  0, or -1 on a stream
 * error.
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
		r = fr_read_more_skipping(f);
		if (r <= 0)
			return r;
	}
}
