/*
 * framing_int.h: what the framer's files share (internal; see framing.h for
 * the API).
 *
 * The framer is split by stage, as COPY FROM is (copyfrom.c, copyfromparse.c
 * and copyfrom_internal.h); framing.c opens with the stage diagram.  This
 * header holds the framer's state (CLFrame), the lexer's state (Scan) and the
 * helpers the files call in each other.  Like framing.h it is
 * PostgreSQL-free: `make unit` links the framing files without a server.
 */
#ifndef CL_FRAMING_INT_H
#define CL_FRAMING_INT_H

#include "framing.h"

/*
 * The fr_ functions are shared between the framing*.c files only.  Hidden
 * from the module's symbol table: they cannot clash with another library
 * loaded into the server, and calls between the files go direct, not
 * through the PLT.
 */
#if defined(__GNUC__)
#define FR_INTERNAL __attribute__((visibility("hidden")))
#else
#define FR_INTERNAL
#endif

#define SNIPPET_BEFORE	40		/* error snippet: bytes before the error ... */
#define SNIPPET_AFTER	60		/* ... and from it on */
#define SNIFF_WINDOW	((size_t) 1024 * 1024)	/* auto: bytes read to detect the format */
#define NO_POS			((size_t) -1)	/* "no such offset" in Scan offsets */

/* ----------------------------------------------------------------------
 * The framer's state
 * ---------------------------------------------------------------------- */

/*
 * cl_frame_next's state: which state function next_record runs (see the
 * table in framing.c's header comment).
 */
enum
{
	ST_START,					/* nothing read yet */
	ST_TOP,						/* between top-level values */
	ST_ARR_FIRST,				/* after '[' */
	ST_ARR_NEXT,				/* after an element: ',' or ']' */
	ST_ARR_ELEM,				/* an element comes */
	ST_FLE_OPEN,				/* filter-log-events: after '{' */
	ST_FLE_KEY,					/* after ',' in the top object: a key */
	ST_FLE_AFTER,				/* after a member's value: ',' or '}' */
	ST_ENV_EVENTS,				/* expanding a subscription envelope */
	ST_EXPORT,					/* CloudWatch export lines */
	ST_END,
	ST_FAILED
};

/* what an array holds */
enum
{
	ARR_RECORDS,
	ARR_FLE_EVENTS
};

/*
 * A state function's result besides the CL_FRAME_* ones: the state changed,
 * the dispatcher (next_record) runs the next one.
 */
#define FR_CONTINUE		(-2)

/* fr_read_value's parse: 0 scan only, 1 json-c, FR_PARSE_RECORD a record (tape first) */
#define FR_PARSE_RECORD	2

/* fr_read_value results */
enum
{
	V_OK,
	V_ERROR,					/* record error reported and resynchronised */
	V_STREAM					/* stream error */
};

/* where a walked envelope's event message lies in env_text (NO_POS: none) */
typedef struct FrEventMsg
{
	size_t		off;
	size_t		len;
} FrEventMsg;

/*
 * One framer: the byte source, the window over the stream, the state
 * machine's position, the envelope whose events are being handed out, and
 * the current error.  All malloc'd, released by cl_frame_close.
 */
struct CLFrame
{
	CLSource   *src;
	CLFormat	requested;		/* the format option */
	CLFormat	format;			/* the format read (detected under auto) */
	size_t		max_record;
	int			max_depth;
	size_t		chunk;
	void		(*on_read) (void *arg);
	void	   *on_read_arg;
	json_tokener *tok;

	/* the window: buf[rec .. end) is kept, pos is the cursor */
	char	   *buf;
	size_t		cap;
	size_t		end;
	size_t		pos;
	size_t		rec;
	uint64_t	base;			/* stream offset of buf[0] */
	int			eof;
	int			prev_byte;		/* byte before buf[0]; '\n' at stream start */
	uint64_t	line;			/* line number of buf[line_pos] */
	size_t		line_pos;

	int			state;			/* ST_* */
	int			arr_kind;		/* ARR_*: what the array being read holds */
	long		arr_index;		/* its next element's index */
	int			ndjson_checked; /* auto: check_ndjson has run (or not needed) */
	int			resumed_at_brace;	/* the last resync stopped at a '{' */
	int			fle_saw_events; /* the filter-log-events object had "events" */

	json_object *obj;			/* the record handed out */
	int			tape_mode;		/* CLFrameOptions.tape */
	int			tape_ready;		/* the record handed out was parsed into tape */
	int			e_oom;			/* the stream error is memory running out */
	int			tape_in_buf;	/* ... from buf[rec ..], where its strings point */
	uint64_t	tape_moves;		/* ... when buf_moves was this */
	uint64_t	buf_moves;		/* times fr_read_more moved buf's bytes */
	CLTape		tape;			/* ... the record as a tape (jsontape.h) */
	json_object *holder;		/* envelope / event object behind it */
	json_object *events;		/* subscription logEvents (json-c path) */
	char	   *env_text;		/* subscription, walked in place: the
								 * strings decoded (framing_envelope.c) */
	FrEventMsg *ev_msgs;		/* ... and where each event's message is */
	size_t		ev_i;			/* its next event ... */
	size_t		ev_n;			/* ... of so many */
	uint64_t	env_offset;		/* where the envelope (subscription) or event */
	uint64_t	env_line;		/* object (filter_log_events) starts */
	const char *log_group;
	const char *log_stream;

	/* the current error */
	CLRecordError e_kind;
	uint64_t	e_off;
	uint64_t	e_line;
	int			raw_lost;		/* its bytes were dropped: no raw */
	int			r_set;			/* r_off / r_line hold the bad record's start */
	uint64_t	r_off;
	uint64_t	r_line;
	char		reason[320];
	char		snippet[SNIPPET_BEFORE * 4 + SNIPPET_AFTER * 4 + 8];
};

/* ----------------------------------------------------------------------
 * The lexer (framing_scan.c)
 * ---------------------------------------------------------------------- */

/* fr_scan results */
enum
{
	SCAN_MORE,					/* consumed everything given, value not ended */
	SCAN_END,					/* value ends at off */
	SCAN_ERROR,					/* validation error at err_off; scanning may go on */
	SCAN_BROKEN					/* structure lost at off (see broken_brace) */
};

typedef struct Scan
{
	size_t		off;			/* next byte to scan, relative to the value start */
	int			depth;
	int			in_str;
	int			esc;
	int			uhex;			/* hex digits of a \u escape still to come */
	unsigned	uval;			/* ... its value so far */
	int			want_low;		/* a \uD800-\uDBFF escape wants a low surrogate next */
	int			u8need;			/* UTF-8 continuation bytes still to come */
	unsigned char u8lo;
	unsigned char u8hi;
	const char *lit;			/* rest of true/false/null being matched */
	int			last_sig;		/* last significant byte outside strings */
	size_t		nl_off;			/* offset just after the last line break */
	size_t		cand;			/* a '{' at line start inside the value, or NO_POS */
	int			validate;		/* 0: skip mode, structure only */
	int			allow_nul;
	int			max_depth;
	int			stop_nl;		/* skip mode: stop at the next line break (ndjson) */
	/* results */
	CLRecordError err;
	const char *why;
	size_t		err_off;
	int			broken_brace;	/* BROKEN at a '{' that starts a new record */
} Scan;

FR_INTERNAL extern void fr_scan_tables_init(void);
FR_INTERNAL extern void fr_scan_init(Scan *s, int max_depth, int allow_nul);
FR_INTERNAL extern int fr_scan(Scan *s, const unsigned char *b, size_t len);
FR_INTERNAL extern void fr_scan_rebase(Scan *s, size_t shift);
FR_INTERNAL extern int fr_utf8_seq(const unsigned char *s, size_t n);

/* ----------------------------------------------------------------------
 * What the files call in each other
 * ---------------------------------------------------------------------- */

/*
 * Whether any of 8 bytes (w, memcpy'd from the input) ends a run of a JSON
 * string's plain bytes: '"', '\\' or a control byte (< 0x20), and with
 * stop_high every byte >= 0x80 too.  Nonzero: one of them is there.  The
 * scanner and the envelope walk step over string runs 8 bytes at a time
 * with it.
 */
static inline uint64_t
fr_str_stop8(uint64_t w, int stop_high)
{
	uint64_t	q = w ^ UINT64_C(0x2222222222222222);
	uint64_t	bs = w ^ UINT64_C(0x5c5c5c5c5c5c5c5c);

	return ((stop_high ? w : 0) |
			((w - UINT64_C(0x2020202020202020)) & ~w) |
			((q - UINT64_C(0x0101010101010101)) & ~q) |
			((bs - UINT64_C(0x0101010101010101)) & ~bs)) & UINT64_C(0x8080808080808080);
}

/* JSON whitespace */
static inline int
fr_is_ws(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int
fr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

#if defined(__GNUC__)
#define FR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FR_PRINTF(fmt, args)
#endif

/* framing_read.c: the window over the stream, errors, reading one value */
FR_INTERNAL extern int fr_read_more(CLFrame *f);
FR_INTERNAL extern int fr_ensure_bytes(CLFrame *f, size_t n);
FR_INTERNAL extern int fr_skip_ws(CLFrame *f);
FR_INTERNAL extern uint64_t fr_line_at(CLFrame *f, size_t i);
FR_INTERNAL extern void fr_set_record_position(CLFrame *f, CLRecord *rec);
FR_INTERNAL extern void fr_drop_kept(CLFrame *f);
FR_INTERNAL extern int fr_read_more_skipping(CLFrame *f);
FR_INTERNAL extern void fr_make_snippet(char *out, size_t outsz, const unsigned char *b, size_t len, size_t at, size_t lo);
FR_INTERNAL extern void fr_record_error(CLFrame *f, CLRecordError kind, size_t at, const char *fmt,...) FR_PRINTF(4, 5);
FR_INTERNAL extern int fr_ends_inside(CLFrame *f, const char *what);
FR_INTERNAL extern void fr_stream_error(CLFrame *f, const char *msg);
FR_INTERNAL extern void fr_oom_error(CLFrame *f, const char *msg);
FR_INTERNAL extern void fr_renew_tokener(CLFrame *f);
FR_INTERNAL extern int fr_hand_out(CLFrame *f, CLRecord *rec, json_object *obj, size_t len);
FR_INTERNAL extern int fr_hunt_brace(CLFrame *f);
FR_INTERNAL extern int fr_read_value(CLFrame *f, int parse, int allow_nul, json_object **out, int export_line);
FR_INTERNAL extern int fr_skip_scalar(CLFrame *f, int in_array);

/* framing_cloudwatch.c: the CloudWatch formats' states */
FR_INTERNAL extern int fr_looks_like_date(const char *p);
FR_INTERNAL extern int fr_hunt_export_line(CLFrame *f);
FR_INTERNAL extern int fr_next_export(CLFrame *f, CLRecord *rec);
FR_INTERNAL extern int fr_open_envelope(CLFrame *f, json_object *env, CLRecord *rec);
FR_INTERNAL extern int fr_next_envelope_event(CLFrame *f, CLRecord *rec);
FR_INTERNAL extern void fr_drop_holder(CLFrame *f);
FR_INTERNAL extern int fr_open_fle_output(CLFrame *f, CLRecord *rec, unsigned char c);
FR_INTERNAL extern int fr_fle_event(CLFrame *f, json_object *ev, CLRecord *rec, long idx);
FR_INTERNAL extern int fr_next_fle_member(CLFrame *f, CLRecord *rec);

/* framing_envelope.c: subscription envelopes walked in place */
FR_INTERNAL extern int fr_read_envelope(CLFrame *f, CLRecord *rec);
FR_INTERNAL extern int fr_envelope_jsonc;

#endif							/* CL_FRAMING_INT_H */
