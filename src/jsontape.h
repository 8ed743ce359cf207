/*
 * jsontape.h: one JSON record as a flat array of nodes (a "tape").
 *
 * Part of the framing stage (bytes -> decompress -> frame -> JSON -> map):
 * what the framer hands the mapper for each record when asked to
 * (CLFrameOptions.tape).  Server-independent C99 (standard headers and
 * json-c), so `make unit` tests it without a server.
 *
 * Why: json-c builds a malloc'd object per value, with a 16-entry hash table
 * per JSON object and a copy of every key, and frees them all after the
 * record; for the lake's records that was about a quarter of a CTR load()
 * and a fifth of a case-event load() (test/bench/json_parse.sh: json-c
 * 15.7 us a CTR, this tape 2.4 us, same bytes).  A tape is one array reused
 * from record to record: strings point into the record's bytes unless they
 * hold escapes (then they are decoded into the tape's own buffer).
 *
 * Layout: depth first, in document order.  An object node is followed by its
 * members, each a key node (CLT_STRING) then the value's nodes; an array node
 * by its elements; a container's `skip` is the number of nodes after it that
 * belong to it, so the next sibling of node n is n + 1 + n->skip.
 *
 * Exactly json-c's values, or not at all.  cl_tape_parse() takes only what
 * it reads exactly as the loader's json-c parse would; everything else
 * returns CL_TAPE_FALLBACK and the framer parses the record with json-c as
 * before, then copies json-c's tree into the tape (cl_tape_from_jsonc), so
 * that errors, their messages and every value are json-c's.  Falls back:
 * anything not RFC 8259 JSON (json-c then says what), an object with a key
 * twice (json-c keeps the key's first place and last value), an integer
 * json-c would saturate or keep as uint64 (beyond int64, and the two ends of
 * int64 themselves), a \u escape that is not a valid character or surrogate
 * pair, nesting deeper than CL_TAPE_MAX_DEPTH, an object whose keys collide
 * in the duplicate check's (unseeded) hash set, a document that is not an
 * object or an array.  The framer has already
 * checked UTF-8, control characters and max_depth (framing.h).
 *
 * Numbers, as json-c reads them: an integer in range is its value (ival;
 * its text is the value printed, as json_object_get_string() prints it, so
 * "-0" reads "0"); any other number (a fraction or exponent, or an integer
 * json-c kept at the edge of its range) is its text as json-c gives it
 * (the token for doubles), with CLT_SATURATED where json-c lost the value.
 */
#ifndef CL_JSONTAPE_H
#define CL_JSONTAPE_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

typedef enum CLTapeType
{
	CLT_NULL = 0,
	CLT_FALSE,
	CLT_TRUE,
	CLT_NUMBER,
	CLT_STRING,
	CLT_OBJECT,
	CLT_ARRAY
} CLTapeType;

/* CLTapeNode.flags */
#define CLT_INT			0x01	/* CLT_NUMBER: ival holds the value */
#define CLT_SATURATED	0x02	/* CLT_NUMBER: json-c could not keep the value */

typedef struct CLTapeNode
{
	uint8_t		type;			/* CLTapeType */
	uint8_t		flags;
	uint32_t	len;			/* string / number text bytes; container: members */
	uint32_t	skip;			/* container: nodes after this one that are its own */
	union
	{
		const char *s;			/* string (decoded, not NUL-terminated), number text */
		int64_t		ival;		/* CLT_NUMBER with CLT_INT */
	}			u;
} CLTapeNode;

typedef struct CLTape
{
	CLTapeNode *nodes;			/* nodes[0] is the record's root */
	uint32_t	n;
	uint32_t	cap;
	char	   *text;			/* decoded strings, number texts from json-c */
	size_t		text_used;
	size_t		text_cap;
	uint32_t   *seen;			/* scratch: a hash set of an object's keys */
	uint32_t	seen_cap;
} CLTape;

#define CL_TAPE_OK			0
#define CL_TAPE_FALLBACK	(-1)	/* parse with json-c instead */
#define CL_TAPE_NOMEM		(-2)

/* deeper than this (the framer's max_depth may be larger) goes to json-c */
#define CL_TAPE_MAX_DEPTH	256

/*
 * Parses the JSON value in s[0 .. len) (whitespace around it allowed) into
 * tape, replacing what it held: CL_TAPE_OK, CL_TAPE_FALLBACK or CL_TAPE_NOMEM.
 * Strings without escapes point into s, which must outlive the tape's use.
 * jsonc_depth is the depth the json-c tokener that would parse it was made
 * with: containers nested deeper than jsonc_depth - 1 levels (or than
 * CL_TAPE_MAX_DEPTH) are left to json-c, which decides.
 */
extern int	cl_tape_parse(CLTape *tape, const char *s, size_t len, int jsonc_depth);

/* json-c's tree as a tape (self-contained: every string copied): OK or NOMEM. */
extern int	cl_tape_from_jsonc(CLTape *tape, struct json_object *obj);

/* Whether two tapes hold the same values (the unit tests' and fuzzer's check). */
extern int	cl_tape_equal(const CLTape *a, const CLTape *b);

/* Releases the arrays (the struct itself is the caller's); idempotent. */
extern void cl_tape_free(CLTape *tape);

/* The node after n and everything that belongs to it. */
static inline const CLTapeNode *
cl_tape_next(const CLTapeNode *n)
{
	return n + 1 + ((n->type == CLT_OBJECT || n->type == CLT_ARRAY) ? n->skip : 0);
}

#endif							/* CL_JSONTAPE_H */
