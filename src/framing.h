/*
 * framing.h: decompressed bytes -> JSON records, one json-c object at a time.
 *
 * Second stage of the file loader (bytes -> decompress -> frame -> records).
 * Server-independent C99 (standard headers, json-c, zlib; no PostgreSQL), so
 * `make unit` tests it without a server.
 *
 * Formats (CLFormat):
 *   ndjson              one object per line (CRLF and blank lines fine)
 *   concatenated        objects back to back: "}{", or separated by any
 *                       whitespace, or pretty-printed over many lines
 *   array               a top-level array of objects, streamed element by
 *                       element (several arrays back to back are fine)
 *   cloudwatch_export   "2021-04-13T00:14:31.581Z <message>" lines; a message
 *                       spanning lines continues without the prefix
 *   cloudwatch_subscription  {messageType, owner, logGroup, logStream,
 *                       subscriptionFilters, logEvents[{id, timestamp,
 *                       message}]} envelopes back to back; each event's
 *                       message is a record; CONTROL_MESSAGE envelopes skipped
 *   filter_log_events   `aws logs filter-log-events` output {events[
 *                       {logStreamName, timestamp, message, ingestionTime,
 *                       eventId}], searchedLogStreams, nextToken}, streamed
 *                       event by event (several pages back to back are fine)
 *   auto                decided from the start of the stream: an object with
 *                       top-level keys messageType and logEvents is a
 *                       subscription envelope; one with an "events" array is
 *                       filter-log-events output; '[' is an array; a line that
 *                       starts with YYYY-MM-DDT is an export; anything else is
 *                       ndjson/concatenated (one tokenizer reads both).
 *
 * A record is valid RFC 8259 JSON and an object; the framer also rejects what
 * PostgreSQL text/jsonb cannot hold and json-c would let through: invalid or
 * overlong UTF-8 and UTF-8-encoded surrogates, lone surrogate escapes
 * (\ud800 alone; json-c would write U+FFFD), \u0000 escapes (json-c decodes
 * them to a real NUL), raw control characters in strings, single quotes,
 * NaN/Infinity, comments, nesting deeper than max_depth, and records over
 * max_record_size.  Still json-c's: duplicate keys (the last one wins) and
 * integers beyond 64 bits (saturated), which the record mapper must treat.
 * UTF-8 byte order marks (at the start, or between records) are skipped.
 *
 * Errors.  cl_frame_next returns CL_FRAME_RECORD_ERROR for a bad record (the
 * caller may go on: on_error 'skip') and CL_FRAME_STREAM_ERROR when the bytes
 * themselves fail (I/O, corrupt or truncated gzip, out of memory: stop).
 * After a record error the framer has already resynchronised:
 *   - the bad value's extent is found structurally (brackets and strings,
 *     escape-aware) and reading resumes right after it; that covers invalid
 *     UTF-8, \u0000, depth, grammar errors such as a missing comma, a
 *     non-object record (an array, a string, a number, a literal);
 *   - when the structure itself is lost (a string running into a raw line
 *     break, a record that never closes, garbage between records), reading
 *     resumes at the next '{' that starts a line or directly follows a '}'
 *     (so NDJSON resumes at the next line, "}{" streams at the next object,
 *     pretty-printed files at the next top-level object);
 *   - ndjson (declared, or detected: the first record was one line) resumes
 *     at the next line after the bad record's start;
 *   - garbage between records (not a value) is one error up to the next '{'
 *     that starts a line or follows a '}'; a stray number or literal is one
 *     error for that token;
 *   - cloudwatch_export resumes at the next line starting with YYYY-MM-DDT;
 *   - a subscription envelope that is not valid JSON is one error (its events
 *     are lost); an event whose message is bad is one error for that event.
 * CL_FRAME_END follows the last record; STREAM_ERROR and END are sticky.
 *
 * Ownership and lifetime.  rec->obj and rec->tape (whose strings may point
 * into the framer's buffer) are owned by the framer and released at the
 * next cl_frame_next or at close: take json_object_get() to keep the object
 * (then json_object_put() is yours, and the server-side caller must make
 * sure it is put on error too).  rec->raw, the context strings and the
 * error strings are valid until the next call.  Everything (buffers, json-c
 * tokener and objects, zlib state, the fd when owned) is malloc'd and freed by
 * cl_frame_close, which is idempotent and safe at any point, including from a
 * PostgreSQL memory-context reset callback after an ERROR mid-record.
 *
 * Memory is bounded by about max_record_size plus two read chunks (plus
 * json-c's objects for one record or envelope), whatever the file size; an
 * array or a filter-log-events document is read element by element, a
 * subscription envelope must fit max_record_size.  A value larger than that
 * is one CL_ERR_TOO_LARGE error, skipped without being held.
 *
 * Speed: each record is scanned once by the framer (8 bytes at a time inside
 * strings) and parsed by one json_tokener_parse_ex call (under the tape
 * option, by cl_tape_parse where it can: jsontape.h); reads are
 * chunk_size bytes, plain input is read and gzip inflated straight into the
 * framer's buffer.  `make bench-framing` prints MB/s against json-c alone
 * (about 85% of it on CTR-like NDJSON, gzip included).
 */
#ifndef CL_FRAMING_H
#define CL_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "decompress.h"
#include "jsontape.h"

typedef enum CLFormat
{
	CL_FORMAT_AUTO = 0,
	CL_FORMAT_NDJSON,
	CL_FORMAT_CONCATENATED,
	CL_FORMAT_ARRAY,
	CL_FORMAT_CLOUDWATCH_EXPORT,
	CL_FORMAT_CLOUDWATCH_SUBSCRIPTION,
	CL_FORMAT_FILTER_LOG_EVENTS
} CLFormat;

/* cl_frame_next results */
#define CL_FRAME_STREAM_ERROR	(-1)	/* stop: the bytes cannot be read further */
#define CL_FRAME_END			0		/* no more records */
#define CL_FRAME_RECORD			1		/* rec->obj is a record */
#define CL_FRAME_RECORD_ERROR	2		/* rec->error says why; reading may go on */

/* What kind of record error (rec->error_kind), for SQLSTATEs and counters. */
typedef enum CLRecordError
{
	CL_ERR_NONE = 0,
	CL_ERR_SYNTAX,				/* not valid JSON (incl. comments, NaN, quotes) */
	CL_ERR_UTF8,				/* invalid UTF-8 */
	CL_ERR_NUL,					/* \u0000 or a NUL byte: PostgreSQL cannot store it */
	CL_ERR_DEPTH,				/* nesting deeper than max_depth */
	CL_ERR_NOT_OBJECT,			/* valid JSON but not an object */
	CL_ERR_TOO_LARGE,			/* longer than max_record_size */
	CL_ERR_TRUNCATED,			/* the data ends (or the next record starts) inside it */
	CL_ERR_TIMESTAMP,			/* export line without a valid timestamp prefix */
	CL_ERR_ENVELOPE,			/* CloudWatch envelope or event not as documented */
	CL_ERR_STREAM				/* set with CL_FRAME_STREAM_ERROR */
} CLRecordError;

typedef struct CLFrameOptions
{
	size_t		max_record_size;	/* bytes; 0: CL_FRAME_DEFAULT_MAX_RECORD */
	int			max_depth;		/* nesting levels; 0: CL_FRAME_DEFAULT_MAX_DEPTH */
	size_t		chunk_size;		/* bytes per read; 0: CL_SOURCE_DEFAULT_CHUNK */
	/*
	 * Called after every chunk read, e.g. to CHECK_FOR_INTERRUPTS().  It may
	 * longjmp (ereport): afterwards only cl_frame_close is allowed.
	 */
	void		(*on_read) (void *arg);
	void	   *on_read_arg;
	/* Sees every byte read from the file, as read (cl_source_set_tap). */
	CLSourceTap on_bytes;
	void	   *on_bytes_arg;
	/* zlib's allocator (cl_source_set_zalloc); NULL: malloc/free */
	CLSourceAlloc zalloc;
	CLSourceFree zfree;
	void	   *zalloc_arg;

	/*
	 * Hand out every record as a tape too (rec->tape, jsontape.h): parsed
	 * by cl_tape_parse() where it can, so that no json-c tree is built for
	 * it (rec->obj is then NULL), else by json-c as always and copied.
	 */
	int			tape;
} CLFrameOptions;

#define CL_FRAME_DEFAULT_MAX_RECORD ((size_t) 64 * 1024 * 1024)
#define CL_FRAME_DEFAULT_MAX_DEPTH	64

typedef struct CLRecord
{
	json_object *obj;			/* RECORD: the record, owned by the framer;
								 * NULL under the tape option when the tape
								 * parsed it */
	const CLTape *tape;			/* RECORD under the tape option: the record
								 * (owned by the framer, until the next call) */

	/*
	 * Where: byte offset (0-based, in the decompressed stream) and line
	 * (1-based) of the record's first byte.  For envelope formats this is
	 * the envelope (subscription) or the event object (filter_log_events);
	 * for exports, the message's first byte after the timestamp prefix.
	 * On RECORD_ERROR too: where the bad record (or the bad bytes between
	 * records) starts, where raw starts, even when the problem is only
	 * noticed lines further on (error_offset / error_line say where).
	 */
	uint64_t	offset;
	uint64_t	line;

	/*
	 * The record's bytes as in the stream (RECORD: exactly the JSON value;
	 * envelope formats: the decoded message string).  On RECORD_ERROR the
	 * bytes from its start up to where reading resumed, or NULL when that
	 * was longer than max_record_size (always NULL for CL_ERR_TOO_LARGE).
	 * May hold invalid UTF-8 and NULs.
	 */
	const char *raw;
	size_t		raw_len;

	/* RECORD_ERROR and STREAM_ERROR */
	CLRecordError error_kind;
	const char *error;			/* reason, e.g. "invalid UTF-8"; NULL when fine */
	uint64_t	error_offset;	/* where the problem was noticed (decompressed
								 * byte offset), at or after offset; for a
								 * bad CloudWatch message, its envelope's or
								 * event's offset (the snippet is from the
								 * message itself) */
	uint64_t	error_line;		/* the line of error_offset */
	int			out_of_memory;	/* STREAM_ERROR: memory ran out (the
								 * framer's or the tape's), not the data */
	const char *snippet;		/* up to 100 input bytes around error_offset
								 * (40 before), as valid UTF-8: line breaks
								 * as \n, other control and bad bytes as
								 * \xNN; at most 408 chars */

	/*
	 * Envelope context (NULL when the format has none), the loader's
	 * log_group / log_stream columns.
	 */
	const char *log_group;		/* subscription */
	const char *log_stream;		/* subscription logStream, filter logStreamName */
} CLRecord;

typedef struct CLFrame CLFrame;

/*
 * Opens path (O_RDONLY) and frames it.  opts may be NULL.  Returns NULL with
 * errno set when the file cannot be opened or memory runs out.
 */
extern CLFrame *cl_frame_open(const char *path, CLCompression compression,
							  CLFormat format, const CLFrameOptions *opts);

/* Frames an open fd from its position; close_fd: close it in cl_frame_close. */
extern CLFrame *cl_frame_open_fd(int fd, int close_fd, CLCompression compression,
								 CLFormat format, const CLFrameOptions *opts);

/* Frames len bytes at data (not copied; must outlive the framer). */
extern CLFrame *cl_frame_open_mem(const void *data, size_t len, CLCompression compression,
								  CLFormat format, const CLFrameOptions *opts);

/*
 * The next record: CL_FRAME_RECORD, CL_FRAME_RECORD_ERROR, CL_FRAME_END or
 * CL_FRAME_STREAM_ERROR (rec->error holds the message).  rec is overwritten.
 */
extern int	cl_frame_next(CLFrame *frame, CLRecord *rec);

/* The format being read: the detected one under auto (AUTO until known). */
extern CLFormat cl_frame_format(const CLFrame *frame);

extern int	cl_frame_is_gzip(const CLFrame *frame);
extern uint64_t cl_frame_bytes_in(const CLFrame *frame);	/* compressed, read so far */
extern uint64_t cl_frame_bytes_out(const CLFrame *frame);	/* decompressed, read so far */

/* Releases everything and sets *frame to NULL; NULL / *frame NULL: no-op. */
extern void cl_frame_close(CLFrame **frame);

/* Names: "auto", "ndjson", ... and back (-1 when unknown). */
extern const char *cl_format_name(CLFormat format);

/*
 * json_tokener_parse_ex() from the C locale, without json-c's copy of the
 * thread's locale per call (framing.c): every parse of a record, the
 * framer's and the mapper's (recmap.c, a record given as text).
 *
 * errno is ENOMEM after it when json-c ran out of memory, else 0: json-c
 * 0.16 does not say so itself (it returns NULL, or the value it had built
 * so far, with json_tokener_success, and a string it could not grow comes
 * out short), so whatever it returned is then neither the record nor a
 * syntax error.
 */
extern json_object *cl_json_parse(json_tokener *tok, const char *s, int len);
extern int	cl_format_from_name(const char *name);
extern const char *cl_compression_name(CLCompression compression);
/* "syntax", "utf8", "nul", "depth", "not_object", "too_large", "truncated",
 * "timestamp", "envelope", "stream" ("" for CL_ERR_NONE) */
extern const char *cl_record_error_name(CLRecordError kind);
extern int	cl_compression_from_name(const char *name);

#endif							/* CL_FRAMING_H */
