/*
 * framing_cloudwatch.c: the CloudWatch Logs formats.
 *
 *   cloudwatch_export        "2021-04-13T00:14:31.581Z <message>" lines
 *                            (fr_next_export, state ST_EXPORT)
 *   cloudwatch_subscription  envelopes {messageType, logGroup, logStream,
 *                            logEvents[{id, timestamp, message}]}: the
 *                            top-level reader hands each to fr_read_envelope
 *                            (framing_envelope.c: scanned, walked in place,
 *                            json-c only when the walk meets something
 *                            unusual, then fr_open_envelope here), its events
 *                            come from fr_next_envelope_event (ST_ENV_EVENTS)
 *   filter_log_events        `aws logs filter-log-events` pages {events[...],
 *                            searchedLogStreams, nextToken}: the page object
 *                            member by member (fr_next_fle_member, ST_FLE_*),
 *                            its events array element by element by the
 *                            array reader, each event to fr_fle_event
 *
 * In the two envelope formats the record is not in the stream's bytes: it is
 * the JSON text inside an event's "message" string, which parse_message()
 * scans (fr_scan, the same checks as for stream records) and parses on its
 * own.  Errors inside a message are placed at its envelope or event object
 * and show a snippet of the message itself.  Everything else (the buffer,
 * reading a value, resync) is framing_read.c's.
 */
#include "framing_int.h"

#include <errno.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ----------------------------------------------------------------------
 * Event messages: the record is the JSON text of a "message" string
 * ---------------------------------------------------------------------- */

static void message_error(CLFrame *f, CLRecordError kind, const char *msg, size_t len, size_t at,
						  const char *fmt,...) FR_PRINTF(6, 7);

/*
 * A record error inside an event's message.  The message is not in the
 * window (json-c decoded it from the envelope), so the error is placed at its
 * envelope or event object (env_offset) and the snippet is taken from the
 * decoded message, where the problem is.
 */
static void
message_error(CLFrame *f, CLRecordError kind, const char *msg, size_t len, size_t at,
			  const char *fmt,...)
{
	va_list		ap;

	f->e_kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->reason, sizeof(f->reason), fmt, ap);
	va_end(ap);
	f->e_off = f->env_offset;
	f->e_line = f->env_line;
	fr_make_snippet(f->snippet, sizeof(f->snippet), (const unsigned char *) msg, len, at, 0);
}

/*
 * Parses an event's message string as a record: the same checks as a record
 * in the stream (fr_scan, then one json_tokener_parse_ex call over exactly
 * the object), and nothing but blanks around the one object.  idx, the
 * event's index in its envelope, names it in errors.  0 ok (*out), -1 a
 * record error, -2 memory ran out (a stream error).  Under the tape option a message the tape parser takes
 * leaves *out NULL (tape_ready).
 */
static int
parse_message(CLFrame *f, const char *msg, size_t len, json_object **out, long idx)
{
	Scan		s;
	size_t		i = 0,
				j;
	int			r;
	json_object *obj;

	*out = NULL;
	while (i < len && fr_is_ws((unsigned char) msg[i]))
		i++;
	if (i == len)
	{
		message_error(f, CL_ERR_NOT_OBJECT, msg, len, 0, "event %ld: the message is empty", idx);
		return -1;
	}
	if (msg[i] != '{')
	{
		message_error(f, CL_ERR_NOT_OBJECT, msg, len, i, "event %ld: the message is not a JSON object", idx);
		return -1;
	}
	fr_scan_init(&s, f->max_depth, 0);
	r = fr_scan(&s, (const unsigned char *) msg + i, len - i);
	if (r == SCAN_ERROR || r == SCAN_BROKEN)
	{
		message_error(f, s.err, msg, len, i + s.err_off, "event %ld: %s", idx, s.why);
		return -1;
	}
	if (r == SCAN_MORE)
	{
		message_error(f, CL_ERR_TRUNCATED, msg, len, len, "event %ld: the message ends inside its JSON object", idx);
		return -1;
	}
	for (j = i + s.off; j < len; j++)
		if (!fr_is_ws((unsigned char) msg[j]))
		{
			message_error(f, CL_ERR_SYNTAX, msg, len, j, "event %ld: text after the JSON object in the message", idx);
			return -1;
		}
	/* under the tape option, the tape parser first (framing_read.c's fr_read_value does the same) */
	if (f->tape_mode && cl_tape_parse(&f->tape, msg + i, s.off, f->max_depth + 1) == CL_TAPE_OK)
	{
		f->tape_ready = 1;
		f->tape_in_buf = 0;		/* the message's own text, which stays put */
		return 0;
	}
	json_tokener_reset(f->tok);
	obj = cl_json_parse(f->tok, msg + i, (int) s.off);
	if (errno == ENOMEM)
	{
		/* json-c ran out of memory: what it returned is not the message */
		json_object_put(obj);
		fr_renew_tokener(f);
		fr_oom_error(f, "out of memory parsing a message");
		return -2;
	}
	if (obj == NULL || json_tokener_get_error(f->tok) != json_tokener_success ||
		json_tokener_get_parse_end(f->tok) != s.off)
	{
		enum json_tokener_error jerr = json_tokener_get_error(f->tok);

		json_object_put(obj);
		message_error(f, jerr == json_tokener_error_depth ? CL_ERR_DEPTH : CL_ERR_SYNTAX, msg, len,
					  i + json_tokener_get_parse_end(f->tok), "event %ld: invalid JSON: %s", idx,
					  jerr == json_tokener_success || jerr == json_tokener_continue ?
					  "incomplete value" : json_tokener_error_desc(jerr));
		fr_renew_tokener(f);	/* json-c may keep half a surrogate pair */
		return -1;
	}
	*out = obj;
	return 0;
}

/* The string member key of o, or NULL (missing, not a string, o NULL). */
static const char *
get_string(json_object *o, const char *key)
{
	json_object *v;

	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/*
 * Hands out the message of event idx of an envelope (subscription logEvents
 * or filter-log-events events, named by array) as the record: rec->raw is
 * the decoded message string, the record its JSON.  An event without a
 * message string, or whose message is not one JSON object, is one record
 * error located at the event's envelope (env_offset).
 */
static int
hand_out_message(CLFrame *f, CLRecord *rec, json_object *ev, long idx, const char *array)
{
	json_object *m;
	int			r;

	if (!json_object_is_type(ev, json_type_object) ||
		!json_object_object_get_ex(ev, "message", &m) || !json_object_is_type(m, json_type_string))
	{
		message_error(f, CL_ERR_ENVELOPE, "", 0, 0, "event %ld: %s entry without a message string", idx, array);
		return CL_FRAME_RECORD_ERROR;
	}
	rec->raw = json_object_get_string(m);
	rec->raw_len = (size_t) json_object_get_string_len(m);
	r = parse_message(f, rec->raw, rec->raw_len, &f->obj, idx);
	if (r < 0)
		return r == -2 ? CL_FRAME_STREAM_ERROR : CL_FRAME_RECORD_ERROR;
	return CL_FRAME_RECORD;
}

/* ----------------------------------------------------------------------
 * Export lines: "2021-04-13T00:14:31.581Z <message>"
 * ---------------------------------------------------------------------- */

/*
 * YYYY-MM-DDT at p (11 bytes readable): what starts an export line, for
 * format detection and for resync to the next line.
 */
int
fr_looks_like_date(const char *p)
{
	return fr_is_digit(p[0]) && fr_is_digit(p[1]) && fr_is_digit(p[2]) && fr_is_digit(p[3]) && p[4] == '-' &&
		fr_is_digit(p[5]) && fr_is_digit(p[6]) && p[7] == '-' && fr_is_digit(p[8]) && fr_is_digit(p[9]) && p[10] == 'T';
}

/*
 * Checks YYYY-MM-DDTHH:MM:SS[.fff...]Z followed by a space (a real date and
 * time of day, at least one fraction digit after a '.'); returns the length
 * of the timestamp (without the space), or 0.  The value itself is not
 * needed: the record is the message after it.
 */
static size_t
export_ts_len(const char *p, size_t n)
{
	int			y,
				mo,
				d,
				h,
				mi,
				sec;
	size_t		i;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (n < 21 || !fr_looks_like_date(p))
		return 0;
	if (!(fr_is_digit(p[11]) && fr_is_digit(p[12]) && p[13] == ':' && fr_is_digit(p[14]) && fr_is_digit(p[15]) &&
		  p[16] == ':' && fr_is_digit(p[17]) && fr_is_digit(p[18])))
		return 0;
	y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	mo = (p[5] - '0') * 10 + (p[6] - '0');
	d = (p[8] - '0') * 10 + (p[9] - '0');
	h = (p[11] - '0') * 10 + (p[12] - '0');
	mi = (p[14] - '0') * 10 + (p[15] - '0');
	sec = (p[17] - '0') * 10 + (p[18] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59)
		return 0;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	i = 19;
	if (i < n && p[i] == '.')
	{
		i++;
		while (i < n && fr_is_digit(p[i]))
			i++;
		if (i == 20)
			return 0;
	}
	if (i + 1 >= n || p[i] != 'Z' || p[i + 1] != ' ')
		return 0;
	return i + 1;
}

/*
 * Resync for export lines: the next line that starts with YYYY-MM-DDT.  A
 * message that spans lines has no prefix on its continuation lines, so any
 * line that looks like a timestamp is the next record's start.  Bytes passed
 * over are dropped once they exceed max_record_size.  0, or -1 on a stream
 * error.
 */
int
fr_hunt_export_line(CLFrame *f)
{
	int			r;

	for (;;)
	{
		char	   *nl = memchr(f->buf + f->pos, '\n', f->end - f->pos);

		if (nl != NULL)
		{
			f->pos = (size_t) (nl - f->buf) + 1;
			r = fr_ensure_bytes(f, 11);
			if (r < 0)
				return -1;
			if (r == 0 && f->end - f->pos < 11)
			{
				/* a short last line: it is no record start */
				continue;
			}
			if (fr_looks_like_date(f->buf + f->pos))
				return 0;
			continue;
		}
		f->pos = f->end;
		r = fr_read_more_skipping(f);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
	}
}

/*
 * An export line that is not a record: one error at buf[at], then reading
 * resumes at the next line that starts with a timestamp.
 */
static int
export_line_error(CLFrame *f, CLRecordError kind, size_t at, const char *why)
{
	fr_record_error(f, kind, at, "%s", why);
	if (fr_hunt_export_line(f) < 0)
		return CL_FRAME_STREAM_ERROR;
	return CL_FRAME_RECORD_ERROR;
}

/*
 * After an export line's JSON message: is the rest of the line blank?
 * 1 yes, 0 no (pos at the first other byte), -1 a stream error.
 */
static int
rest_of_line_blank(CLFrame *f)
{
	for (;;)
	{
		while (f->pos < f->end && f->buf[f->pos] != '\n' && fr_is_ws((unsigned char) f->buf[f->pos]))
			f->pos++;
		if (f->pos < f->end || f->eof)
			break;
		if (fr_read_more(f) < 0)
			return -1;
	}
	return !(f->pos < f->end && f->buf[f->pos] != '\n');
}

/*
 * ST_EXPORT: the next "<timestamp> <message>" line.  The prefix must be a
 * valid UTC timestamp and a space, the message one JSON object (it may span
 * lines), and nothing but blanks may follow it on its last line.  The record
 * is the message; its position is the message's first byte.
 */
int
fr_next_export(CLFrame *f, CLRecord *rec)
{
	int			r;
	size_t		avail,
				tslen,
				vlen;
	json_object *obj;

	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
	{
		f->state = ST_END;
		return CL_FRAME_END;
	}
	/* the prefix and a little more in the window */
	if (fr_ensure_bytes(f, 64) < 0)
		return CL_FRAME_STREAM_ERROR;
	avail = f->end - f->pos;
	if (avail < 11 || !fr_looks_like_date(f->buf + f->pos))
		return export_line_error(f, CL_ERR_TIMESTAMP, f->pos, "export line without a timestamp prefix");
	/* at most 64 bytes, whatever is buffered: the same answer every time */
	tslen = export_ts_len(f->buf + f->pos, avail < 64 ? avail : 64);
	if (tslen == 0)
		return export_line_error(f, CL_ERR_TIMESTAMP, f->pos,
								 "invalid timestamp prefix (expected YYYY-MM-DDTHH:MM:SS[.fff]Z and a space)");
	f->pos += tslen + 1;
	for (;;)
	{
		while (f->pos < f->end && (f->buf[f->pos] == ' ' || f->buf[f->pos] == '\t'))
			f->pos++;
		if (f->pos < f->end || f->eof)
			break;
		if (fr_read_more(f) < 0)
			return CL_FRAME_STREAM_ERROR;
	}
	f->rec = f->pos;
	fr_set_record_position(f, rec);
	if (f->pos >= f->end || f->buf[f->pos] != '{')
		return export_line_error(f, CL_ERR_NOT_OBJECT, f->pos, "the message is not a JSON object");
	r = fr_read_value(f, FR_PARSE_RECORD, 0, &obj, 1);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
		return CL_FRAME_RECORD_ERROR;
	vlen = f->pos - f->rec;
	r = rest_of_line_blank(f);
	if (r <= 0)
	{
		json_object_put(obj);
		if (r < 0)
			return CL_FRAME_STREAM_ERROR;
		return export_line_error(f, CL_ERR_SYNTAX, f->pos, "text after the JSON message");
	}
	return fr_hand_out(f, rec, obj, vlen);
}

/* ----------------------------------------------------------------------
 * Subscription envelopes
 * ---------------------------------------------------------------------- */

/*
 * Lets go of the envelope or event object behind the current record, and of
 * the event cursor and envelope strings that point into it.
 */
void
fr_drop_holder(CLFrame *f)
{
	json_object_put(f->holder);
	f->holder = NULL;
	f->events = NULL;
	free(f->env_text);
	f->env_text = NULL;
	free(f->ev_msgs);
	f->ev_msgs = NULL;
	f->log_group = f->log_stream = NULL;
	f->ev_i = f->ev_n = 0;
}

/*
 * A parsed subscription envelope at buf[rec .. pos): keeps it (f->holder)
 * and sets up its logEvents for fr_next_envelope_event, each event's
 * record placed at the envelope.  CONTROL_MESSAGE envelopes (CloudWatch's
 * reachability checks) are skipped; an envelope without a logEvents array is
 * one error.  0, or -1 after recording that error.
 */
int
fr_open_envelope(CLFrame *f, json_object *env, CLRecord *rec)
{
	const char *type = get_string(env, "messageType");
	json_object *events;

	f->holder = env;
	if (type != NULL && strcmp(type, "CONTROL_MESSAGE") == 0)
	{
		fr_drop_holder(f);
		return 0;
	}
	if (!json_object_object_get_ex(env, "logEvents", &events) ||
		!json_object_is_type(events, json_type_array))
	{
		fr_record_error(f, CL_ERR_ENVELOPE, f->rec, "subscription envelope without a logEvents array");
		fr_drop_holder(f);
		return -1;
	}
	f->events = events;
	f->ev_i = 0;
	f->ev_n = json_object_array_length(events);
	f->log_group = get_string(env, "logGroup");
	f->log_stream = get_string(env, "logStream");
	f->env_offset = f->base + f->rec;
	f->env_line = fr_line_at(f, f->rec);
	f->state = ST_ENV_EVENTS;
	return 0;
}

/*
 * The next event of the current subscription envelope: its message is the
 * record, with the envelope's position and logGroup / logStream.  A walked
 * envelope (f->ev_msgs) has its messages decoded already; a parsed one
 * (f->events) has them in its json-c event objects.
 */
static int
next_sub_event(CLFrame *f, CLRecord *rec)
{
	long		idx = (long) f->ev_i++;

	rec->offset = f->env_offset;
	rec->line = f->env_line;
	rec->log_group = f->log_group;
	rec->log_stream = f->log_stream;
	if (f->events == NULL)
	{
		FrEventMsg *m = &f->ev_msgs[idx];
		int			r;

		if (m->off == NO_POS)
		{
			message_error(f, CL_ERR_ENVELOPE, "", 0, 0, "event %ld: %s entry without a message string", idx,
						  "logEvents");
			return CL_FRAME_RECORD_ERROR;
		}
		rec->raw = f->env_text + m->off;
		rec->raw_len = m->len;
		r = parse_message(f, rec->raw, rec->raw_len, &f->obj, idx);
		if (r < 0)
			return r == -2 ? CL_FRAME_STREAM_ERROR : CL_FRAME_RECORD_ERROR;
		return CL_FRAME_RECORD;
	}
	return hand_out_message(f, rec, json_object_array_get_idx(f->events, (size_t) idx), idx, "logEvents");
}

/*
 * ST_ENV_EVENTS: the events of the subscription envelope read last, one per
 * call; when they are used up the envelope is let go and top-level reading
 * resumes.
 */
int
fr_next_envelope_event(CLFrame *f, CLRecord *rec)
{
	if (f->ev_i < f->ev_n)
		return next_sub_event(f, rec);
	fr_drop_holder(f);
	f->state = ST_TOP;
	return FR_CONTINUE;
}

/* ----------------------------------------------------------------------
 * filter-log-events output
 * ---------------------------------------------------------------------- */

/*
 * ST_TOP under format filter_log_events: each top-level value must be the
 * '{' of one page of `aws logs filter-log-events` output; its members are
 * read by fr_next_fle_member().  Anything else is one error up to the next
 * '{' that may start a page.
 */
int
fr_open_fle_output(CLFrame *f, CLRecord *rec, unsigned char c)
{
	if (c == '{')
	{
		f->env_offset = rec->offset;
		f->env_line = rec->line;
		f->fle_saw_events = 0;
		f->pos++;
		f->state = ST_FLE_OPEN;
		return FR_CONTINUE;
	}
	fr_record_error(f, CL_ERR_ENVELOPE, f->pos, "expected '{' of filter-log-events output");
	f->pos++;
	if (fr_hunt_brace(f) < 0)
		return CL_FRAME_STREAM_ERROR;
	return CL_FRAME_RECORD_ERROR;
}

/*
 * A parsed filter-log-events event object (an element of the events array,
 * read by next_array_element): its message is the record, placed at the
 * event object, with its logStreamName.
 */
int
fr_fle_event(CLFrame *f, json_object *ev, CLRecord *rec, long idx)
{
	f->holder = ev;
	f->env_offset = rec->offset;
	f->env_line = rec->line;
	rec->log_stream = get_string(ev, "logStreamName");
	return hand_out_message(f, rec, ev, idx, "events");
}

/*
 * Filter-log-events output that is not shaped as documented: one error,
 * then reading resumes at the next '{' that may start a page.
 */
static int
fle_malformed(CLFrame *f, CLRecord *rec)
{
	fr_set_record_position(f, rec);
	fr_record_error(f, CL_ERR_ENVELOPE, f->pos, "filter-log-events output not as expected");
	if (f->pos < f->end && f->buf[f->pos] != '{')
		f->pos++;
	if (fr_hunt_brace(f) < 0)
		return CL_FRAME_STREAM_ERROR;
	f->state = ST_TOP;
	return CL_FRAME_RECORD_ERROR;
}

/*
 * A member of the filter-log-events object, its key at pos.  "events" with
 * an array opens the array of events (ST_ARR_FIRST, elements read by
 * next_array_element); any other member (searchedLogStreams, nextToken ...)
 * is skipped without being parsed.
 */
static int
fle_member(CLFrame *f, CLRecord *rec)
{
	int			r,
				is_events;
	unsigned char c;
	json_object *obj;

	r = fr_read_value(f, 0, 1, &obj, 0);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
	{
		f->state = ST_TOP;
		return CL_FRAME_RECORD_ERROR;
	}
	is_events = f->pos - f->rec == 8 && memcmp(f->buf + f->rec, "\"events\"", 8) == 0;
	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0 || f->buf[f->pos] != ':')
		return fle_malformed(f, rec);
	f->pos++;
	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
		return fle_malformed(f, rec);
	c = (unsigned char) f->buf[f->pos];
	if (is_events && c == '[')
	{
		f->fle_saw_events = 1;
		f->pos++;
		f->state = ST_ARR_FIRST;
		f->arr_kind = ARR_FLE_EVENTS;
		f->arr_index = 0;
		return FR_CONTINUE;
	}
	f->state = ST_FLE_AFTER;
	if (c == '{' || c == '[' || c == '"')
	{
		fr_set_record_position(f, rec);
		r = fr_read_value(f, 0, 1, &obj, 0);
		if (r == V_STREAM)
			return CL_FRAME_STREAM_ERROR;
		if (r == V_ERROR)
		{
			f->state = ST_TOP;
			return CL_FRAME_RECORD_ERROR;
		}
	}
	else if (fr_skip_scalar(f, 1) < 0)
		return CL_FRAME_STREAM_ERROR;
	return FR_CONTINUE;
}

/*
 * ST_FLE_OPEN (after the '{' of a filter-log-events page), ST_FLE_KEY
 * (after a ',' between its members) and ST_FLE_AFTER (after a member's
 * value, or after the events array): the page's object read member by
 * member, so that its events stream one at a time whatever the page size.
 * A page without an events array is one error.
 */
int
fr_next_fle_member(CLFrame *f, CLRecord *rec)
{
	int			r;
	unsigned char c;

	r = fr_skip_ws(f);
	if (r < 0)
		return CL_FRAME_STREAM_ERROR;
	if (r == 0)
		return fr_ends_inside(f, "the filter-log-events output");
	c = (unsigned char) f->buf[f->pos];
	if (c == '}' && f->state != ST_FLE_KEY)
	{
		f->pos++;
		f->state = ST_TOP;
		if (f->fle_saw_events)
			return FR_CONTINUE;
		fr_record_error(f, CL_ERR_ENVELOPE, f->pos - 1, "filter-log-events output without an events array");
		rec->offset = f->env_offset;
		rec->line = f->env_line;
		return CL_FRAME_RECORD_ERROR;
	}
	if (f->state == ST_FLE_AFTER)
	{
		if (c == ',')
		{
			f->pos++;
			f->state = ST_FLE_KEY;
			return FR_CONTINUE;
		}
	}
	else if (c == '"')
		return fle_member(f, rec);
	return fle_malformed(f, rec);
}
