/*
 * reader.h: files -> typed rows of a record kind, for the FDW and load().
 *
 * One reader walks files one after another: each is opened, decompressed and
 * framed (framing.h), and every record is mapped onto the kind's row type
 * (recmap.h).  Rows also get, when the row type has the column, log_group
 * and log_stream (from a CloudWatch envelope) and, for a foreign table
 * (CL_MAP_READ; for load() the writer sets them), source_file and
 * source_offset (byte offset in the decompressed stream).
 *
 * Memory is bounded whatever the file size: a record's allocations live in a
 * context reset before the next one; the framer's malloc'd state (json-c,
 * zlib, buffers) belongs to a per-file context whose reset callback closes
 * it, so an ERROR anywhere leaks nothing; the descriptor is a transient file
 * closed at (sub)transaction abort.  While a file is open an error context
 * callback adds `connect_lake file "...", line N, byte offset M` (and the
 * contact id when known) to any error: the line and byte offset where the
 * current record starts, also for a bad record whose problem was noticed
 * further on (the DETAIL says where).
 */
#ifndef CL_READER_H
#define CL_READER_H

#include "postgres.h"

#include "jsonc.h"

#include "filelist.h"
#include "framing.h"
#include "recmap.h"

/* cl_reader_next results */
#define CL_READ_END		0
#define CL_READ_ROW		1		/* r->st holds the row (of kind r->st.kind) */
#define CL_READ_BAD		2		/* r->errmsg says why; see cl_reader_raise */

typedef struct CLReader
{
	CLRecordKind *kind;
	CLFormat	format;
	CLCompression compression;
	MemoryContext cxt;			/* the reader's own (CurrentMemoryContext at init) */
	MemoryContext filecxt;		/* per file; deleting it closes the framer */
	MemoryContext reccxt;		/* per record */
	CLMapState	st;
	bool		st_volatile;	/* st was re-initialised inside reccxt (routing) */

	/* the current file */
	const char *path;
	CLFrame    *frame;
	int			fd;
	Datum		source_file;	/* path as text, in filecxt */
	CLRecord	rec;
	bool		have_row;		/* st holds the current record (for the context) */

	/*
	 * The bad record, when cl_reader_next returned CL_READ_BAD.  err_line /
	 * err_offset: where the record starts (its first line when it spans
	 * several), as the CONTEXT, load()'s WARNING and load_rejects report it.
	 * noticed_line / noticed_offset: where the framer noticed the problem (a
	 * pretty-printed record broken on its 3rd line may only be noticed on
	 * its 5th); errdetail names it when it differs from the start.  For a
	 * record that is valid JSON but does not map (a bad field value), and
	 * for a bad message inside a CloudWatch envelope, both are the start.
	 */
	int			errcode;
	char	   *errmsg;
	char	   *errdetail;
	/*
	 * errmsg and errdetail never quote the file (they become
	 * load_rejects.reason and load_manifest.error, which analysts read);
	 * errvalue is the content ("Near: <bytes>" or "Value: <excerpt>."), for
	 * the hint of an error only the reading session sees.
	 */
	char	   *errvalue;
	uint64		err_line;
	uint64		err_offset;
	uint64		noticed_line;
	uint64		noticed_offset;

	ErrorContextCallback errcb;
	bool		errcb_pushed;

	/* set by the caller before cl_reader_open: sees every byte read (framing.h) */
	CLSourceTap on_bytes;
	void	   *on_bytes_arg;

	/* column numbers in the current row type (cached per kind cache) */
	const void *cols_for;
	int			att_source_file,
				att_source_offset,
				att_log_group,
				att_log_stream;
} CLReader;

/*
 * A reader of kind; contexts are children of CurrentMemoryContext.  purpose:
 * CL_MAP_WRITE for load() (rows for the writer), CL_MAP_READ for a foreign
 * table (rows as they would land).
 */
extern void cl_reader_init(CLReader *r, CLRecordKind *kind, CLMapPurpose purpose,
						   CLFormat format, CLCompression compression);

/*
 * Open a listed file (ERROR when it cannot be read or is not what was listed:
 * cl_file_open; reading for the writer, i.e. load(), the size and mtime
 * listed must hold too, while a foreign table reads a growing file as it is).
 */
extern void cl_reader_open(CLReader *r, const CLFile *f);

/* The next row or bad record of the open file; raises on stream errors (truncated gzip, I/O). */
extern int	cl_reader_next(CLReader *r);

/*
 * The row cl_reader_next returned turned into a bad record, for a row its
 * consumer refused (the writer: outside the time window, over the partition
 * cap; the reason in r->st): as if cl_reader_next had returned CL_READ_BAD.
 */
extern void cl_reader_reject_row(CLReader *r);

/* Raise the bad record as an ERROR: reason, snippet, field; CONTEXT names file, line, offset. */
extern void cl_reader_raise(CLReader *r) pg_attribute_noreturn();

/* The current record's raw bytes as text: invalid UTF-8, NUL and control bytes as \xNN; capped. */
extern char *cl_reader_raw_text(CLReader *r, size_t cap);

/*
 * The error context for the caller's own work on the current row (e.g.
 * writing it): push before, pop after.  cl_reader_next and cl_reader_raise
 * push it themselves.
 */
extern void cl_reader_push_context(CLReader *r);
extern void cl_reader_pop_context(CLReader *r);

/* Close the current file normally. */
extern void cl_reader_close(CLReader *r);

/*
 * After an ERROR was caught mid-file: release the framer without touching the
 * descriptor (the aborted subtransaction closes it).
 */
extern void cl_reader_abandon(CLReader *r);


/* Option values by name; an unknown one is an ERROR listing the valid ones. */
extern CLFormat cl_reader_format(const char *name);
extern CLCompression cl_reader_compression(const char *name);
extern bool cl_reader_on_error_skip(const char *name);	/* "stop" / "skip" */

#endif							/* CL_READER_H */
