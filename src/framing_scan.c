/*
 * framing_scan.c: the framer's lexer, fr_scan().
 *
 * fr_scan() finds where one JSON value ends, string- and escape-aware, and on
 * the way checks what json-c lets through but PostgreSQL cannot take: invalid
 * or overlong UTF-8 and surrogates, lone surrogate escapes, \u0000, raw
 * control characters, single quotes, NaN/Infinity, comments, nesting deeper
 * than max_depth.  In "skip" mode (validate = 0) the same loop only follows
 * the structure, to find where reading resumes after a bad value.
 *
 * It works on bytes only: no buffer, no stream, no CLFrame.  Its callers
 * (fr_read_value() and the resync code for values in the stream,
 * parse_message() for CloudWatch event messages) hand it the bytes they have
 * and call again with more; every offset in Scan is relative to the value's
 * first byte, so the caller's buffer may move in between.
 */
#include "framing_int.h"

#include <string.h>

/* ----------------------------------------------------------------------
 * UTF-8 (RFC 3629, as PostgreSQL: no overlongs, surrogates, > U+10FFFF)
 * ---------------------------------------------------------------------- */

/*
 * Length of the valid UTF-8 sequence at s (n bytes available), 0 if
 * invalid.  The snippet writer's check; fr_scan validates strings inline,
 * byte by byte, because a sequence may straddle two reads.
 */
int
fr_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80,
				hi = 0xBF;
	int			len,
				i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	}
	else
		return 0;
	if (n < (size_t) len)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

/* ----------------------------------------------------------------------
 * The scanner
 * ---------------------------------------------------------------------- */

/* bytes that need no attention inside a string */
static unsigned char str_plain[256];
/* classes outside strings */
enum
{
	O_OTHER = 0, O_WS, O_NL, O_OPEN, O_CLOSE, O_QUOTE, O_SEP, O_NUM, O_T, O_F, O_N,
	O_SQUOTE, O_SLASH
};
static unsigned char out_cls[256];
static int	tables_ready;

/*
 * Fills the character tables once per process (frame_new calls it): a table
 * lookup per byte is what keeps the loop outside strings to one branch per
 * byte.
 */
void
fr_scan_tables_init(void)
{
	int			c;

	if (tables_ready)
		return;
	for (c = 0x20; c < 0x80; c++)
		str_plain[c] = (c != '"' && c != '\\');
	out_cls[' '] = out_cls['\t'] = out_cls['\r'] = O_WS;
	out_cls['\n'] = O_NL;
	out_cls['{'] = out_cls['['] = O_OPEN;
	out_cls['}'] = out_cls[']'] = O_CLOSE;
	out_cls['"'] = O_QUOTE;
	out_cls[','] = out_cls[':'] = O_SEP;
	for (c = '0'; c <= '9'; c++)
		out_cls[c] = O_NUM;
	out_cls['-'] = out_cls['+'] = out_cls['.'] = out_cls['e'] = out_cls['E'] = O_NUM;
	out_cls['t'] = O_T;
	out_cls['f'] = O_F;
	out_cls['n'] = O_N;
	out_cls['\''] = O_SQUOTE;
	out_cls['/'] = O_SLASH;
	tables_ready = 1;
}

/*
 * A scanner for a new value: validating, nothing seen yet.  allow_nul lets
 * \u0000 pass where the value is not stored (envelopes, skipped values).
 */
void
fr_scan_init(Scan *s, int max_depth, int allow_nul)
{
	memset(s, 0, sizeof(*s));
	s->validate = 1;
	s->allow_nul = allow_nul;
	s->max_depth = max_depth;
	s->nl_off = NO_POS;
	s->cand = NO_POS;
}

#define SCAN_FAIL(kind, text, at) \
	do { s->err = (kind); s->why = (text); s->err_off = (at); } while (0)

/*
 * Scans b[s->off .. len) of a value starting at b[0] ('{', '[' or '"').
 * Resumable: call again with more bytes (b may move; offsets are relative).
 * On SCAN_ERROR s->off is where scanning resumes (in skip mode after
 * s->validate = 0).  On SCAN_BROKEN s->off is the resume position: the '{'
 * of a new record (broken_brace) or the line break a string ran into.
 *
 * This is the framer's hot loop, every byte of every record goes through it
 * once, so it is one function with its state in locals and Scan, as COPY's
 * CopyReadLineText is: strings are skipped 8 bytes at a time while no byte
 * needs attention, and the UTF-8, escape, literal and structure checks are
 * inline rather than calls.  It also notes, for resync, where lines start
 * inside the value (nl_off) and whether a '{' at a line start looks like the
 * next record (cand, broken_brace), so that a record that never closes
 * costs one error, not the rest of the file.
 */
int
fr_scan(Scan *s, const unsigned char *b, size_t len)
{
	const unsigned char *p = b + s->off;
	const unsigned char *e = b + len;
	unsigned char c;

	while (p < e)
	{
		c = *p;
		if (s->in_str)
		{
			if (s->u8need)
			{
				if (c < s->u8lo || c > s->u8hi)
				{
					s->u8need = 0;
					if (s->validate)
					{
						SCAN_FAIL(CL_ERR_UTF8, "invalid UTF-8", (size_t) (p - b));
						s->off = (size_t) (p - b);
						return SCAN_ERROR;
					}
					continue;	/* look at c again */
				}
				s->u8need--;
				s->u8lo = 0x80;
				s->u8hi = 0xBF;
				p++;
				continue;
			}
			if (s->uhex)
			{
				unsigned	v;
				int			had_high;

				if (c >= '0' && c <= '9')
					v = c - '0';
				else if (c >= 'a' && c <= 'f')
					v = c - 'a' + 10;
				else if (c >= 'A' && c <= 'F')
					v = c - 'A' + 10;
				else
				{
					s->uhex = 0;	/* json-c reports the bad escape */
					s->want_low = 0;
					continue;
				}
				s->uval = s->uval * 16 + v;
				p++;
				if (--s->uhex > 0)
					continue;
				had_high = s->want_low;
				s->want_low = 0;
				if (!s->validate)
					continue;
				if (s->uval == 0 && !s->allow_nul)
				{
					SCAN_FAIL(CL_ERR_NUL, "contains \\u0000, which PostgreSQL cannot store", (size_t) (p - b) - 6);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				if (s->uval >= 0xDC00 && s->uval <= 0xDFFF ? !had_high : had_high)
				{
					SCAN_FAIL(CL_ERR_UTF8, "invalid Unicode escape: a lone surrogate", (size_t) (p - b) - 6);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				if (s->uval >= 0xD800 && s->uval <= 0xDBFF)
					s->want_low = 1;
				continue;
			}
			if (s->esc)
			{
				s->esc = 0;
				if (c == 'u')
				{
					s->uhex = 4;
					s->uval = 0;
				}
				else if (s->want_low && s->validate)
				{
					s->want_low = 0;
					SCAN_FAIL(CL_ERR_UTF8, "invalid Unicode escape: a lone surrogate", (size_t) (p - b) - 1);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				p++;
				continue;
			}
			if (s->want_low && c != '\\')
			{
				s->want_low = 0;
				if (s->validate)
				{
					SCAN_FAIL(CL_ERR_UTF8, "invalid Unicode escape: a lone surrogate", (size_t) (p - b));
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
			}
			/* 8 bytes at a time while none is '"', '\\', < 0x20 or >= 0x80 */
			while (e - p >= 8)
			{
				uint64_t	w;

				memcpy(&w, p, 8);
				if (fr_str_stop8(w, 1))
					break;
				p += 8;
			}
			while (p < e && str_plain[*p])
				p++;
			if (p == e)
				break;
			c = *p;
			if (c == '"')
			{
				s->in_str = 0;
				s->last_sig = '"';
				p++;
				if (s->depth == 0)
				{
					s->off = (size_t) (p - b);
					return SCAN_END;
				}
				continue;
			}
			if (c == '\\')
			{
				s->esc = 1;
				p++;
				continue;
			}
			if (c < 0x20)
			{
				if (c == '\n')
				{
					/* an unterminated string, most likely: structure lost */
					SCAN_FAIL(CL_ERR_SYNTAX, "a string runs into a line break (unterminated string?)", (size_t) (p - b));
					s->broken_brace = 0;
					s->off = (size_t) (p - b);
					return SCAN_BROKEN;
				}
				p++;
				if (s->validate)
				{
					if (c == 0)
						SCAN_FAIL(CL_ERR_NUL, "contains a NUL byte, which PostgreSQL cannot store", (size_t) (p - b) - 1);
					else
						SCAN_FAIL(CL_ERR_SYNTAX, "unescaped control character in a string", (size_t) (p - b) - 1);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				continue;
			}
			/* c >= 0x80: a UTF-8 lead byte */
			if (c >= 0xC2 && c <= 0xDF)
			{
				s->u8need = 1;
				s->u8lo = 0x80;
				s->u8hi = 0xBF;
			}
			else if (c >= 0xE0 && c <= 0xEF)
			{
				s->u8need = 2;
				s->u8lo = c == 0xE0 ? 0xA0 : 0x80;
				s->u8hi = c == 0xED ? 0x9F : 0xBF;
			}
			else if (c >= 0xF0 && c <= 0xF4)
			{
				s->u8need = 3;
				s->u8lo = c == 0xF0 ? 0x90 : 0x80;
				s->u8hi = c == 0xF4 ? 0x8F : 0xBF;
			}
			else if (s->validate)
			{
				p++;
				SCAN_FAIL(CL_ERR_UTF8, "invalid UTF-8", (size_t) (p - b) - 1);
				s->off = (size_t) (p - b);
				return SCAN_ERROR;
			}
			p++;
			continue;
		}

		/* outside strings */
		if (s->lit)
		{
			if (c == (unsigned char) *s->lit)
			{
				s->lit++;
				if (*s->lit == '\0')
					s->lit = NULL;
				p++;
				continue;
			}
			s->lit = NULL;
			if (s->validate)
			{
				SCAN_FAIL(CL_ERR_SYNTAX, "invalid literal (not true, false or null)", (size_t) (p - b));
				s->off = (size_t) (p - b);
				return SCAN_ERROR;
			}
		}
		switch (out_cls[c])
		{
			case O_WS:
				p++;
				break;
			case O_NL:
				p++;
				s->nl_off = (size_t) (p - b);
				if (s->stop_nl)
				{
					s->broken_brace = 0;
					s->off = (size_t) (p - b);
					return SCAN_BROKEN;
				}
				break;
			case O_OPEN:
				if (s->depth > 0 && c == '{')
				{
					int			bol = (size_t) (p - b) == s->nl_off;
					int			fits = s->last_sig == '[' || s->last_sig == ',' || s->last_sig == ':';

					if ((bol && (!fits || !s->validate)) || s->last_sig == '}')
					{
						/* a new record starts: this one never closed */
						SCAN_FAIL(CL_ERR_TRUNCATED, "the record does not end before the next one starts", (size_t) (p - b));
						s->broken_brace = 1;
						s->off = (size_t) (p - b);
						return SCAN_BROKEN;
					}
					if (bol && s->cand == NO_POS)
						s->cand = (size_t) (p - b);
				}
				s->depth++;
				s->last_sig = c;
				p++;
				if (s->depth > s->max_depth && s->validate)
				{
					SCAN_FAIL(CL_ERR_DEPTH, "nesting too deep", (size_t) (p - b) - 1);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				break;
			case O_CLOSE:
				s->depth--;
				s->last_sig = '}';
				p++;
				if (s->depth <= 0)
				{
					s->depth = 0;
					s->off = (size_t) (p - b);
					return SCAN_END;
				}
				break;
			case O_QUOTE:
				s->in_str = 1;
				p++;
				break;
			case O_SEP:
				s->last_sig = c;
				p++;
				break;
			case O_NUM:
				s->last_sig = '0';
				p++;
				break;
			case O_T:
			case O_F:
			case O_N:
				s->lit = c == 't' ? "rue" : c == 'f' ? "alse" : "ull";
				s->last_sig = '0';
				p++;
				break;
			default:
				p++;
				if (s->validate)
				{
					const char *why;

					if (c == '\'')
						why = "single-quoted strings are not JSON";
					else if (c == '/')
						why = "comments are not JSON";
					else if (c == 'N' || c == 'I')
						why = "NaN and Infinity are not JSON";
					else
						why = "unexpected character";
					SCAN_FAIL(CL_ERR_SYNTAX, why, (size_t) (p - b) - 1);
					s->off = (size_t) (p - b);
					return SCAN_ERROR;
				}
				break;
		}
	}
	s->off = (size_t) (p - b);
	return SCAN_MORE;
}

/* Rebases a scanner after its value start moved forward by shift bytes. */
void
fr_scan_rebase(Scan *s, size_t shift)
{
	s->off -= shift;
	s->nl_off = (s->nl_off != NO_POS && s->nl_off >= shift) ? s->nl_off - shift : NO_POS;
	s->cand = (s->cand != NO_POS && s->cand >= shift) ? s->cand - shift : NO_POS;
}
