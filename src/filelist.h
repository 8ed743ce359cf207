/*
 * filelist.h: the files a `path` option names, for the FDW and load().
 *
 * A path is absolute and names
 *   - a file (a symbolic link given by name is followed),
 *   - a directory, read recursively, or
 *   - a glob pattern (* ? [...]): every match, directories recursively.
 * Inside a directory walk, names starting with '.' are skipped (partial
 * uploads, editor files), symbolic links to directories are not followed,
 * and a symbolic link to a file whose real path lies outside the directory
 * the user named (for a glob: the directory before the first wildcard) is
 * refused with a WARNING: naming a directory grants reading what is in it,
 * not what its links point at.  Files come back sorted by path.
 */
#ifndef CL_FILELIST_H
#define CL_FILELIST_H

#include "postgres.h"

#include <sys/types.h>

#include "datatype/timestamp.h"

typedef struct CLFile
{
	char	   *path;			/* as found (canonical, absolute) */
	int64		size;			/* bytes on disk */
	TimestampTz mtime;			/* modification time */
	bool		gzip_name;		/* ends in .gz (planner's size estimate only) */
	/* what the listing saw, which cl_file_open() checks it opens */
	char	   *open_path;		/* path, or a link's target (real path) when found through one */
	dev_t		dev;
	ino_t		ino;
} CLFile;

typedef struct CLFileList
{
	char	   *pattern;		/* the canonicalised path option */
	CLFile	   *files;
	int			nfiles;
	int64		total_bytes;
} CLFileList;

/*
 * The files `path` names, one at a time, in path order (strcmp): each
 * directory is read when the walk reaches it and sorted alone, so memory is
 * bounded by the widest directory (or the glob's matches), not by the number
 * of files under the root.  Errors as cl_file_list's, raised when met.
 */
typedef struct CLFileIter CLFileIter;

extern CLFileIter *cl_file_iter_begin(const char *path);
extern const CLFile *cl_file_iter_next(CLFileIter *it);	/* NULL after the last */
extern void cl_file_iter_end(CLFileIter *it);

/*
 * All the files `path` names, at once (the foreign table plans with them).  A path that does not exist is an error (a glob
 * that matches nothing is an empty list); so is a relative path.
 */
extern CLFileList *cl_file_list(const char *path);

/*
 * Open a listed file for reading as a transient file (closed at abort), and
 * only if it is still what the listing saw: the last component is opened
 * without following a symbolic link (O_NOFOLLOW; a link found by the walk is
 * opened at its real path, resolved and checked when listed), and fstat()
 * must show the same device and inode, and with `unchanged` the same size
 * and mtime (load(), whose manifest records what was listed; a foreign
 * table reads a file that grows as it is).  A file swapped (for a link to a
 * file outside the directory, or another file) or changed since it was
 * listed is refused with an ERROR (ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE)
 * that load() turns into a WARNING and a 'failed' manifest row, so the next
 * run reads the file as it then is.
 */
extern int	cl_file_open(const CLFile *f, bool unchanged);
extern void cl_file_copy(CLFile *dst, const CLFile *src);

/* ERROR unless the current user may read server files (superuser or pg_read_server_files). */
extern void cl_check_read_server_files(const char *what);

#endif							/* CL_FILELIST_H */
