/*
 * reader.c: files -> typed rows of a record kind (see reader.h).
 */
#include "postgres.h"

#include "jsonc.h"

#include <fcntl.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "reader.h"
#include "record_limits.h"

static void
frame_release(void *arg)
{
	CLReader   *r = arg;

	cl_frame_close(&r->frame);
}

static void
on_read(void *arg)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * CONTEXT of any error raised while the reader reads a record (its own, the
 * mapper's, a type input function's, the writer's): the file, the line and
 * byte offset where the bad record starts, and the record by kind and id once
 * mapped, so that a person can find the record (file_fdw's CopyFromErrorCallback).
 */
static void
reader_error_context(void *arg)
{
	CLReader   *r = arg;
	uint64		line = r->rec.line;
	uint64		offset = r->rec.offset;
	char	   *name = NULL;

	if (r->path == NULL)
		return;
	if (r->errmsg && r->err_line)
	{
		line = r->err_line;
		offset = r->err_offset;
	}
	/* the record by its kind and id, once the id is mapped */
	if (r->have_row && r->st.kind && r->st.kind->id_column)
	{
		int			att = cl_map_column(&r->st, r->st.kind->id_column);

		if (att >= 0 && !r->st.nulls[att])
			name = cl_map_record_name(&r->st);
	}
	if (line == 0)
		errcontext("connect_lake file \"%s\"", r->path);
	else
		errcontext("connect_lake file \"%s\", line %llu, byte offset %llu%s%s",
				   r->path, (unsigned long long) line, (unsigned long long) offset,
				   name ? ", " : "", name ? name : "");
}

void
cl_reader_push_context(CLReader *r)
{
	Assert(!r->errcb_pushed);
	r->errcb.callback = reader_error_context;
	r->errcb.arg = r;
	r->errcb.previous = error_context_stack;
	error_context_stack = &r->errcb;
	r->errcb_pushed = true;
}

void
cl_reader_pop_context(CLReader *r)
{
	if (r->errcb_pushed)
	{
		error_context_stack = r->errcb.previous;
		r->errcb_pushed = false;
	}
}

/*
 * The reader's contexts, and its mapper for the purpose its caller reads
 * for (see reader.h); files are opened one by one later.
 */
void
cl_reader_init(CLReader *r, CLRecordKind *kind, CLMapPurpose purpose,
			   CLFormat format, CLCompression compression)
{
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->format = format;
	r->compression = compression;
	r->fd = -1;
	r->cxt = CurrentMemoryContext;
	r->reccxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake record",
									  ALLOCSET_DEFAULT_SIZES);
	cl_map_init(&r->st, kind, purpose);
}

/*
 * Open a listed file for reading records: a per-file memory context owns the
 * framer (a reset callback closes it, so an error mid-file leaks no zlib or
 * json-c state), and the framer reads through a transient file, closed at
 * abort, opened only if it is still the file listed (cl_file_open).
 */
void
cl_reader_open(CLReader *r, const CLFile *f)
{
	const char *path = f->path;
	MemoryContext old;
	MemoryContextCallback *cb;
	CLFrameOptions opts;

	Assert(r->frame == NULL);
	r->filecxt = AllocSetContextCreate(r->cxt, "connect_lake file",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(r->filecxt);
	r->path = pstrdup(path);
	r->source_file = PointerGetDatum(cstring_to_text(path));
	r->have_row = false;
	r->errmsg = NULL;
	memset(&r->rec, 0, sizeof(r->rec));

	r->fd = cl_file_open(f, r->st.purpose == CL_MAP_WRITE);	/* what was listed, or an ERROR */

	memset(&opts, 0, sizeof(opts));
	opts.on_read = on_read;
	cl_record_limits_frame(&opts.max_record_size, &opts.max_depth);
	opts.on_bytes = r->on_bytes;
	opts.on_bytes_arg = r->on_bytes_arg;
	opts.tape = 1;				/* records as tapes: no json-c tree for most */
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = frame_release;
	cb->arg = r;
	MemoryContextRegisterResetCallback(r->filecxt, cb);
	r->frame = cl_frame_open_fd(r->fd, 0, r->compression, r->format, &opts);
	if (r->frame == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not set up reading file \"%s\".", path)));
	MemoryContextSwitchTo(old);
}

/*
 * The SQLSTATE of a framer's record error: the class a client can act on
 * (bad encoding, a program limit, a bad timestamp), not one code for all.
 */
static int
frame_errcode(CLRecordError e)
{
	switch (e)
	{
		case CL_ERR_UTF8:
			return ERRCODE_CHARACTER_NOT_IN_REPERTOIRE;
		case CL_ERR_NUL:
			return ERRCODE_UNTRANSLATABLE_CHARACTER;
		case CL_ERR_DEPTH:
		case CL_ERR_TOO_LARGE:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case CL_ERR_TIMESTAMP:
			return ERRCODE_INVALID_DATETIME_FORMAT;
		case CL_ERR_ENVELOPE:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		default:
			return ERRCODE_INVALID_JSON_TEXT;
	}
}

/*
 * The DETAIL of a record the framer rejected: where the problem was noticed,
 * when that is not where the record starts (the CONTEXT names the start).
 * NULL when there is nothing to add.  The bytes around it are content, kept
 * apart in r->errvalue (see reader.h).
 */
static char *
frame_error_detail(CLReader *r)
{
	if (r->noticed_line != r->err_line || r->noticed_offset != r->err_offset)
		return psprintf("The problem was noticed at line %llu, byte offset %llu.",
						(unsigned long long) r->noticed_line,
						(unsigned long long) r->noticed_offset);
	return NULL;
}

/* Column numbers of the loader's own columns in the current row type. */
static void
reader_columns(CLReader *r)
{
	if (r->cols_for == (const void *) r->st.kc)
		return;
	r->att_source_file = cl_map_column(&r->st, "source_file");
	r->att_source_offset = cl_map_column(&r->st, "source_offset");
	r->att_log_group = cl_map_column(&r->st, "log_group");
	r->att_log_stream = cl_map_column(&r->st, "log_stream");
	r->cols_for = r->st.kc;
}

static void
set_text(CLReader *r, int att, const char *s)
{
	if (att >= 0 && s != NULL && r->st.nulls[att])
	{
		r->st.values[att] = PointerGetDatum(cstring_to_text(s));
		r->st.nulls[att] = false;
	}
}

/*
 * The next record of the open file, framed and mapped in the per-record
 * context: a row (with the reader's own columns), a bad record (its error
 * and where it starts), or the end.  A routed record left a mapper made
 * for another kind, which is made again for the reader's kind first.
 */
int
cl_reader_next(CLReader *r)
{
	int			rc;
	int			result = CL_READ_END;
	MemoryContext old;

	if (r->frame == NULL)
		return CL_READ_END;
	CHECK_FOR_INTERRUPTS();
	MemoryContextReset(r->reccxt);
	r->have_row = false;
	r->errmsg = r->errdetail = r->errvalue = NULL;
	r->err_line = r->err_offset = 0;
	r->noticed_line = r->noticed_offset = 0;

	/* routing re-initialised the state inside the record context: start over */
	if (r->st_volatile || r->st.kind != r->kind)
	{
		old = MemoryContextSwitchTo(r->cxt);
		if (r->st.values && GetMemoryChunkContext(r->st.values) == r->cxt)
		{
			pfree(r->st.values);
			pfree(r->st.nulls);
		}
		cl_map_init(&r->st, r->kind, r->st.purpose);
		MemoryContextSwitchTo(old);
		r->st_volatile = false;
	}

	cl_reader_push_context(r);
	old = MemoryContextSwitchTo(r->reccxt);
	rc = cl_frame_next(r->frame, &r->rec);
	switch (rc)
	{
		case CL_FRAME_END:
			result = CL_READ_END;
			break;

		case CL_FRAME_STREAM_ERROR:
			r->errmsg = (char *) (r->rec.error ? r->rec.error : "unknown error");
			r->err_line = r->rec.error_line;
			r->err_offset = r->rec.error_offset;
			/* memory, not the file: load() must not mark the file failed */
			if (r->rec.out_of_memory)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("could not read file \"%s\": %s", r->path, r->rec.error)));
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("could not read file \"%s\": %s", r->path,
							r->rec.error ? r->rec.error : "unknown error")));
			break;

		case CL_FRAME_RECORD_ERROR:
			r->errcode = frame_errcode(r->rec.error_kind);
			r->errmsg = pstrdup(r->rec.error ? r->rec.error : "invalid record");
			/* reported where the record starts; where it was noticed goes in the DETAIL */
			r->err_line = r->rec.line;
			r->err_offset = r->rec.offset;
			r->noticed_line = r->rec.error_line ? r->rec.error_line : r->rec.line;
			r->noticed_offset = r->rec.error_line ? r->rec.error_offset : r->rec.offset;
			r->errdetail = frame_error_detail(r);
			if (r->rec.snippet && *r->rec.snippet)
				r->errvalue = psprintf("Near: %s", r->rec.snippet);
			result = CL_READ_BAD;
			break;

		case CL_FRAME_RECORD:
			if (!cl_map_tape(&r->st, r->rec.tape))
			{
				r->have_row = true;
				r->errcode = r->st.errcode;
				r->errmsg = r->st.errmsg;
				if (r->st.errpath && *r->st.errpath)
					r->errdetail = psprintf("Field: %s.", r->st.errpath);
				if (r->st.errvalue)
					r->errvalue = psprintf("Value: %s.", r->st.errvalue);
				/* valid JSON: the whole record is the problem, from its start */
				r->err_line = r->noticed_line = r->rec.line;
				r->err_offset = r->noticed_offset = r->rec.offset;
				result = CL_READ_BAD;
			}
			else
			{
				reader_columns(r);
				/* where the record lies: the writer's to set for a row it lands */
				if (r->st.purpose == CL_MAP_READ && r->att_source_file >= 0)
				{
					r->st.values[r->att_source_file] = r->source_file;
					r->st.nulls[r->att_source_file] = false;
				}
				if (r->st.purpose == CL_MAP_READ && r->att_source_offset >= 0)
				{
					r->st.values[r->att_source_offset] = Int64GetDatum((int64) r->rec.offset);
					r->st.nulls[r->att_source_offset] = false;
				}
				set_text(r, r->att_log_group, r->rec.log_group);
				set_text(r, r->att_log_stream, r->rec.log_stream);
				r->have_row = true;
				result = CL_READ_ROW;
			}
			if (r->st.kind != r->kind)
				r->st_volatile = true;
			break;
	}
	MemoryContextSwitchTo(old);
	cl_reader_pop_context(r);
	return result;
}

void
cl_reader_reject_row(CLReader *r)
{
	MemoryContext old = MemoryContextSwitchTo(r->reccxt);

	r->errcode = r->st.errcode;
	r->errmsg = r->st.errmsg;
	r->errdetail = (r->st.errpath && *r->st.errpath) ? psprintf("Field: %s.", r->st.errpath) : NULL;
	r->err_line = r->noticed_line = r->rec.line;
	r->err_offset = r->noticed_offset = r->rec.offset;
	MemoryContextSwitchTo(old);
}

/*
 * Raise the bad record cl_reader_next returned (on_error 'stop', the FDW
 * after its NOTICEs), with the reader's context.  The message and DETAIL say
 * what and where without quoting the file (load() keeps them in
 * load_manifest.error, which analysts read); the HINT, which only the session
 * reading the file sees, shows the bytes near the problem, or for a field
 * error the value and the start of the record, to tell which one without
 * opening the file.
 */
void
cl_reader_raise(CLReader *r)
{
	char	   *hint = NULL;

	if (r->rec.raw && r->rec.raw_len > 0 && r->errdetail && strncmp(r->errdetail, "Field:", 6) == 0)
		hint = psprintf("%s%sRecord: %s", r->errvalue ? r->errvalue : "", r->errvalue ? " " : "",
						cl_reader_raw_text(r, 80));
	else
		hint = r->errvalue;
	cl_reader_push_context(r);
	ereport(ERROR,
			(errcode(r->errcode),
			 errmsg("%s", r->errmsg),
			 r->errdetail ? errdetail("%s", r->errdetail) : 0,
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * The start of the current record's raw bytes as printable text (at most cap
 * bytes, invalid UTF-8 and control bytes escaped), for hints and load_rejects.
 */
char *
cl_reader_raw_text(CLReader *r, size_t cap)
{
	StringInfoData buf;
	const unsigned char *p = (const unsigned char *) r->rec.raw;
	size_t		len = r->rec.raw_len;
	size_t		i = 0;

	if (p == NULL)
		return NULL;
	initStringInfo(&buf);
	while (i < len && (size_t) buf.len < cap)
	{
		int			l;

		if (p[i] >= 0x20 && p[i] < 0x7f)
		{
			appendStringInfoChar(&buf, p[i]);
			i++;
			continue;
		}
		if (p[i] == '\n' || p[i] == '\t' || p[i] == '\r')
		{
			appendStringInfoChar(&buf, p[i]);
			i++;
			continue;
		}
		l = (p[i] >= 0x80) ? pg_utf_mblen(p + i) : 1;
		if (p[i] >= 0x80 && i + l <= len && pg_utf8_islegal(p + i, l))
		{
			appendBinaryStringInfo(&buf, (const char *) p + i, l);
			i += l;
		}
		else
		{
			appendStringInfo(&buf, "\\x%02x", p[i]);
			i++;
		}
	}
	if (i < len)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/*
 * Close the current file after reading it to the end (or after skipping it):
 * the framer with its memory, the file, the error context.
 */
void
cl_reader_close(CLReader *r)
{
	cl_reader_pop_context(r);
	if (r->filecxt)
		MemoryContextDelete(r->filecxt);	/* closes the framer */
	r->filecxt = NULL;
	r->frame = NULL;
	if (r->fd >= 0)
		CloseTransientFile(r->fd);
	r->fd = -1;
	r->path = NULL;
	r->have_row = false;
	MemoryContextReset(r->reccxt);
}

/*
 * Forget the current file after an error the caller caught: the
 * subtransaction's abort already closed the transient file and popped the
 * context, so only the memory goes (closing the fd again would be wrong).
 */
void
cl_reader_abandon(CLReader *r)
{
	/* the catching PG_TRY already restored error_context_stack */
	r->errcb_pushed = false;
	if (r->filecxt)
		MemoryContextDelete(r->filecxt);
	r->filecxt = NULL;
	r->frame = NULL;
	r->fd = -1;
	r->path = NULL;
	r->have_row = false;
	MemoryContextReset(r->reccxt);
}

static void
bad_value(const char *option, const char *value, const char *valid)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", option, value),
			 errhint("Valid values are: %s.", valid)));
}

/* The format option's value, or an error listing the valid names. */
CLFormat
cl_reader_format(const char *name)
{
	int			f = cl_format_from_name(name);

	if (f < 0)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int i = CL_FORMAT_AUTO; i <= CL_FORMAT_FILTER_LOG_EVENTS; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", cl_format_name((CLFormat) i));
		bad_value("format", name, buf.data);
	}
	return (CLFormat) f;
}

/* The compression option's value, or an error listing the valid names. */
CLCompression
cl_reader_compression(const char *name)
{
	int			c = cl_compression_from_name(name);

	if (c < 0)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		for (int i = CL_COMPRESSION_AUTO; i <= CL_COMPRESSION_NONE; i++)
			appendStringInfo(&buf, "%s%s", i ? ", " : "", cl_compression_name((CLCompression) i));
		bad_value("compression", name, buf.data);
	}
	return (CLCompression) c;
}

bool
cl_reader_on_error_skip(const char *name)
{
	if (strcmp(name, "stop") == 0)
		return false;
	if (strcmp(name, "skip") == 0)
		return true;
	bad_value("on_error", name, "stop, skip");
	return false;
}
