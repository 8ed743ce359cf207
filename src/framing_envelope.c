/*
 * framing_envelope.c: CloudWatch Logs subscription envelopes walked in place
 * (fr_read_envelope, called by the top-level reader for the
 * cloudwatch_subscription format; framing_cloudwatch.c hands out the events).
 *
 * A Firehose delivery of flow logs is mostly envelopes, and an envelope is
 * mostly its messages: JSON text escaped into strings.  Parsed by json-c the
 * envelope became a tree (an object per event, a copy of every string), only
 * for four members and each event's message to be read once.  The envelope's
 * shape is known, and fr_scan has already passed over it (UTF-8, surrogates,
 * control characters, literals, depth); so fr_read_envelope walks its bytes
 * in place: the strict JSON grammar (RFC 8259) is checked as it goes,
 * messageType, logGroup and logStream and each event's message are decoded
 * into one buffer, and every other value is stepped over, never built.  It
 * is no general parser: it makes no values and knows only this shape.
 * Whatever the walk does not expect (grammar json-c tolerates or rejects, an
 * invalid escape, nesting past WALK_MAX_DEPTH, no memory) sends the envelope
 * to json-c as before, so errors and what is accepted stay json-c's: the
 * walk accepts only strict JSON, all of which json-c accepts, and reads the
 * members as json-c's object would (the last of duplicate keys wins).
 * fr_envelope_jsonc = 1 sends every envelope to json-c (the unit tests and
 * the fuzzer compare both ways).
 */
#include "framing_int.h"

#include <stdlib.h>
#include <string.h>

#define WALK_MAX_DEPTH 128

int			fr_envelope_jsonc = 0;

typedef const unsigned char *WPos;

static inline WPos
w_ws(WPos p, WPos e)
{
	while (p < e && fr_is_ws(*p))
		p++;
	return p;
}

static inline int
w_hex4(WPos p)
{
	int			v = 0,
				i;

	for (i = 0; i < 4; i++)
	{
		int			c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * The string at p (its '"'): the byte after its closing quote, or NULL if
 * it is no strict JSON string.  With out, its decoded bytes go there (at
 * most as many as the string's escaped text, without the quotes) and their
 * count to *outlen; not NUL-terminated.
 */
static WPos
w_string(WPos p, WPos e, char *out, size_t *outlen)
{
	char	   *o = out;

	p++;
	for (;;)
	{
		WPos		run = p;
		int			cp;
		char		c;

		/* 8 bytes at a time while none is '"', '\\' or < 0x20 */
		while (e - p >= 8)
		{
			uint64_t	w;

			memcpy(&w, p, 8);
			if (fr_str_stop8(w, 0))
				break;
			p += 8;
		}
		while (p < e && *p != '"' && *p != '\\' && *p >= 0x20)
			p++;
		if (o && p > run)
		{
			memcpy(o, run, (size_t) (p - run));
			o += p - run;
		}
		if (p >= e || *p < 0x20)
			return NULL;
		if (*p == '"')
		{
			if (out)
				*outlen = (size_t) (o - out);
			return p + 1;
		}
		/* an escape */
		if (e - p < 2)
			return NULL;
		switch (p[1])
		{
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case '/':
				c = '/';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u':
				if (e - p < 6 || (cp = w_hex4(p + 2)) < 0)
					return NULL;
				p += 6;
				if (cp >= 0xDC00 && cp <= 0xDFFF)
					return NULL;	/* a lone low surrogate */
				if (cp >= 0xD800 && cp <= 0xDBFF)
				{
					int			lo;

					if (e - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = w_hex4(p + 2)) < 0 ||
						lo < 0xDC00 || lo > 0xDFFF)
						return NULL;	/* a lone high surrogate */
					p += 6;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				if (o)
				{
					if (cp < 0x80)
						*o++ = (char) cp;
					else if (cp < 0x800)
					{
						*o++ = (char) (0xC0 | (cp >> 6));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
					else if (cp < 0x10000)
					{
						*o++ = (char) (0xE0 | (cp >> 12));
						*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
					else
					{
						*o++ = (char) (0xF0 | (cp >> 18));
						*o++ = (char) (0x80 | ((cp >> 12) & 0x3F));
						*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
						*o++ = (char) (0x80 | (cp & 0x3F));
					}
				}
				continue;
			default:
				return NULL;
		}
		if (o)
			*o++ = c;
		p += 2;
	}
}

/* A strict JSON number at p: the byte after it, or NULL. */
static WPos
w_number(WPos p, WPos e)
{
	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < e && fr_is_digit((char) *p))
			p++;
	else
		return NULL;
	if (p < e && *p == '.')
	{
		p++;
		if (p >= e || !fr_is_digit((char) *p))
			return NULL;
		while (p < e && fr_is_digit((char) *p))
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || !fr_is_digit((char) *p))
			return NULL;
		while (p < e && fr_is_digit((char) *p))
			p++;
	}
	return p;
}

/*
 * Steps over the value at p (strict JSON, nested at most WALK_MAX_DEPTH
 * levels below depth): the byte after it, or NULL.
 */
static WPos
w_value(WPos p, WPos e, int depth)
{
	if (p >= e)
		return NULL;
	switch (*p)
	{
		case '"':
			return w_string(p, e, NULL, NULL);
		case '{':
		case '[':
			{
				int			obj = *p == '{';
				unsigned char close = obj ? '}' : ']';

				if (depth >= WALK_MAX_DEPTH)
					return NULL;
				p = w_ws(p + 1, e);
				if (p < e && *p == close)
					return p + 1;
				for (;;)
				{
					if (obj)
					{
						if (p >= e || *p != '"' || (p = w_string(p, e, NULL, NULL)) == NULL)
							return NULL;
						p = w_ws(p, e);
						if (p >= e || *p != ':')
							return NULL;
						p = w_ws(p + 1, e);
					}
					if ((p = w_value(p, e, depth + 1)) == NULL)
						return NULL;
					p = w_ws(p, e);
					if (p < e && *p == ',')
					{
						p = w_ws(p + 1, e);
						continue;
					}
					if (p < e && *p == close)
						return p + 1;
					return NULL;
				}
			}
		case 't':
			return e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
		case 'f':
			return e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
		case 'n':
			return e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
		default:
			return w_number(p, e);
	}
}

/*
 * The key at p (its '"'), decoded into key[] (WALK_KEY bytes,
 * NUL-terminated): the byte after it, or NULL.  A key too long for key[]
 * and without escapes is longer than any key asked for: key[] is left
 * empty; one with escapes is declined (NULL).
 */
#define WALK_KEY 32

static WPos
w_key(WPos p, WPos e, char *key)
{
	WPos		q;
	size_t		n;

	if (p >= e || *p != '"' || (q = w_string(p, e, NULL, NULL)) == NULL)
		return NULL;
	if ((size_t) (q - p) > WALK_KEY)
	{
		if (memchr(p, '\\', (size_t) (q - p)) != NULL)
			return NULL;
		key[0] = '\0';
		return q;
	}
	w_string(p, e, key, &n);	/* at most q - p - 2 bytes */
	key[n] = '\0';
	return q;
}

/* the member after a key: ':' and the blanks around it */
static inline WPos
w_colon(WPos p, WPos e)
{
	p = w_ws(p, e);
	if (p >= e || *p != ':')
		return NULL;
	return w_ws(p + 1, e);
}

/* after a member or element: ',' (1), the closing byte (0), or NULL */
static inline WPos
w_next(WPos p, WPos e, unsigned char close, int *more)
{
	p = w_ws(p, e);
	if (p < e && *p == ',')
	{
		*more = 1;
		return w_ws(p + 1, e);
	}
	if (p < e && *p == close)
	{
		*more = 0;
		return p + 1;
	}
	return NULL;
}

/*
 * The string value at p decoded at env_text + *t, NUL-terminated: its
 * offset to *off (NO_POS if the value is no string: stepped over), its
 * length to *len; *t moves past it.  The byte after the value, or NULL.
 */
static WPos
w_take_string(CLFrame *f, WPos p, WPos e, size_t *t, size_t *off, size_t *len)
{
	size_t		n;

	if (p < e && *p == '"')
	{
		if ((p = w_string(p, e, f->env_text + *t, &n)) == NULL)
			return NULL;
		*off = *t;
		if (len)
			*len = n;
		f->env_text[*t + n] = '\0';
		*t += n + 1;
		return p;
	}
	*off = NO_POS;
	return w_value(p, e, 1);
}

/*
 * The logEvents array at p ('['): each element's message decoded into
 * env_text and listed in f->ev_msgs (f->ev_n of them; an element that is no
 * object, or whose last "message" is no string, listed with NO_POS).  The
 * byte after the array, or NULL (also when out of memory).
 */
static WPos
w_events(CLFrame *f, WPos p, WPos e, size_t *t)
{
	size_t		cap = 0;
	int			more;

	f->ev_n = 0;
	p = w_ws(p + 1, e);
	if (p < e && *p == ']')
		return p + 1;
	do
	{
		FrEventMsg *m;

		if (f->ev_n == cap)
		{
			FrEventMsg *n;

			cap = cap ? cap * 2 : 64;
			n = realloc(f->ev_msgs, cap * sizeof(FrEventMsg));
			if (n == NULL)
				return NULL;
			f->ev_msgs = n;
		}
		m = &f->ev_msgs[f->ev_n++];
		m->off = NO_POS;
		m->len = 0;
		if (p >= e || *p != '{')
		{
			if ((p = w_value(p, e, 1)) == NULL)
				return NULL;
		}
		else
		{
			int			mm;

			p = w_ws(p + 1, e);
			if (p < e && *p == '}')
				p++;
			else
				do
				{
					char		key[WALK_KEY];

					if ((p = w_key(p, e, key)) == NULL || (p = w_colon(p, e)) == NULL)
						return NULL;
					if (strcmp(key, "message") == 0)
						p = w_take_string(f, p, e, t, &m->off, &m->len);
					else
						p = w_value(p, e, 2);
					if (p == NULL || (p = w_next(p, e, '}', &mm)) == NULL)
						return NULL;
				} while (mm);
		}
	} while ((p = w_next(p, e, ']', &more)) != NULL && more);
	return p;
}

/*
 * Walks the envelope at buf[rec .. pos) (scanned: one JSON value): 1 done
 * (messageType, logGroup, logStream into *type, f->log_group, f->log_stream;
 * *has_events whether the last logEvents is an array, its events listed),
 * 0 not walked (json-c's turn).
 */
static int
walk_envelope(CLFrame *f, const char **type, int *has_events)
{
	WPos		p = (WPos) f->buf + f->rec;
	WPos		e = (WPos) f->buf + f->pos;
	size_t		t = 0,
				type_off = NO_POS,
				group_off = NO_POS,
				stream_off = NO_POS;
	int			more;

	*has_events = 0;
	if (fr_envelope_jsonc || p >= e || *p != '{')
		return 0;
	f->env_text = malloc(f->pos - f->rec + 1);
	if (f->env_text == NULL)
		return 0;
	p = w_ws(p + 1, e);
	if (p < e && *p == '}')
		p++;
	else
		do
		{
			char		key[WALK_KEY];

			if ((p = w_key(p, e, key)) == NULL || (p = w_colon(p, e)) == NULL)
				return 0;
			if (strcmp(key, "messageType") == 0)
				p = w_take_string(f, p, e, &t, &type_off, NULL);
			else if (strcmp(key, "logGroup") == 0)
				p = w_take_string(f, p, e, &t, &group_off, NULL);
			else if (strcmp(key, "logStream") == 0)
				p = w_take_string(f, p, e, &t, &stream_off, NULL);
			else if (strcmp(key, "logEvents") == 0 && p < e && *p == '[')
			{
				p = w_events(f, p, e, &t);
				*has_events = 1;
			}
			else
			{
				if (strcmp(key, "logEvents") == 0)
					*has_events = 0;
				p = w_value(p, e, 1);
			}
			if (p == NULL || (p = w_next(p, e, '}', &more)) == NULL)
				return 0;
		} while (more);
	if (p != e)
		return 0;
	*type = type_off == NO_POS ? NULL : f->env_text + type_off;
	f->log_group = group_off == NO_POS ? NULL : f->env_text + group_off;
	f->log_stream = stream_off == NO_POS ? NULL : f->env_text + stream_off;
	return 1;
}

/*
 * ST_TOP under cloudwatch_subscription, a '{' at pos: reads one envelope
 * (fr_read_value, scan only), walks it in place and sets up its events for
 * fr_next_envelope_event; when the walk declines, lets json-c parse it
 * (fr_read_value again, then fr_open_envelope), as every envelope was read
 * before.  CONTROL_MESSAGE envelopes are skipped; one without a logEvents
 * array is one error.
 */
int
fr_read_envelope(CLFrame *f, CLRecord *rec)
{
	json_object *obj;
	const char *type = NULL;
	int			has_events,
				r;

	r = fr_read_value(f, 0, 1, &obj, 0);
	if (r == V_STREAM)
		return CL_FRAME_STREAM_ERROR;
	if (r == V_ERROR)
		return CL_FRAME_RECORD_ERROR;
	if (!walk_envelope(f, &type, &has_events))
	{
		fr_drop_holder(f);
		f->pos = f->rec;
		r = fr_read_value(f, 1, 1, &obj, 0);
		if (r == V_STREAM)
			return CL_FRAME_STREAM_ERROR;
		if (r == V_ERROR)
			return CL_FRAME_RECORD_ERROR;
		if (fr_open_envelope(f, obj, rec) < 0)
			return CL_FRAME_RECORD_ERROR;
		return FR_CONTINUE;
	}
	if (type != NULL && strcmp(type, "CONTROL_MESSAGE") == 0)
	{
		fr_drop_holder(f);
		return FR_CONTINUE;
	}
	if (!has_events)
	{
		fr_record_error(f, CL_ERR_ENVELOPE, f->rec, "subscription envelope without a logEvents array");
		fr_drop_holder(f);
		return CL_FRAME_RECORD_ERROR;
	}
	f->ev_i = 0;
	f->env_offset = f->base + f->rec;
	f->env_line = fr_line_at(f, f->rec);
	f->state = ST_ENV_EVENTS;
	return FR_CONTINUE;
}

