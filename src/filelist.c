/*
 * filelist.c: enumerate the files a path option names (see filelist.h).
 */
#include "postgres.h"

#include <dirent.h>
#include <glob.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "filelist.h"

/*
 * One directory of a walk (or the matches of a glob): its entries, read at
 * once and sorted as their paths sort among all the files found (see
 * entry_cmp), handed out one by one.  A walk holds one level per directory
 * it is inside, so its memory is bounded by the widest directory on the
 * current path, not by the number of files under the root.
 */
typedef struct WalkEntry
{
	char	   *path;
	size_t		len;			/* strlen(path) */
	bool		dir;			/* a directory (not a link to one) when read */
} WalkEntry;

typedef struct WalkLevel
{
	struct WalkLevel *up;
	MemoryContext cxt;			/* the entries; deleted when the level is done */
	WalkEntry  *entries;
	int			n;
	int			next;
	int			depth;
} WalkLevel;

struct CLFileIter
{
	MemoryContext cxt;			/* the iterator's own */
	char	   *pattern;		/* the canonicalised path */
	const char *root;			/* real path of the directory named */
	WalkLevel  *top;
	bool		single;			/* the path names one file: `file` is pending */
	CLFile		file;			/* the file last handed out (path in pathcxt) */
	MemoryContext pathcxt;		/* the path of the file last handed out */
};

/*
 * Reading server files takes what COPY FROM a file and file_fdw take:
 * superuser or pg_read_server_files; the loader role alone is not enough.
 */
void
cl_check_read_server_files(const char *what)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superuser or a role with privileges of the pg_read_server_files role may %s", what),
				 errhint("A DBA can run GRANT pg_read_server_files TO %s; the connect_lake_loader role alone does not read server files.",
						 GetUserNameFromId(GetUserId(), false))));
}

/*
 * A regular file as found (path, size and mtime, which the manifest compares
 * to tell an unchanged file; device and inode, which cl_file_open() checks);
 * open_path is where to open it (a link's target as resolved), NULL: path.
 */
static void
set_file(CLFile *f, char *path, char *open_path, const struct stat *st)
{
	size_t		len = strlen(path);

	f->path = path;
	f->open_path = open_path ? open_path : path;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = (int64) st->st_size;
	f->mtime = time_t_to_timestamptz(st->st_mtime) +
		(TimestampTz) (st->st_mtim.tv_nsec / 1000);
	f->gzip_name = len > 3 && strcmp(path + len - 3, ".gz") == 0;
}

/* Is real path p inside directory root (or root itself)? */
static bool
inside(const char *root, const char *p)
{
	size_t		n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(root, p, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

typedef enum Visit
{
	VISIT_SKIP,
	VISIT_FILE,
	VISIT_DIR
} Visit;

/*
 * One entry found in a walk (or a glob match): a regular file (st filled; a
 * link's target as resolved in *target, in the iterator's path context), a
 * directory to walk, or something skipped (a link pointing outside the root
 * or to a directory, a socket ...).
 */
static Visit
visit(CLFileIter *it, const char *path, struct stat *st, char **target)
{
	*target = NULL;
	if (lstat(path, st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISLNK(st->st_mode))
	{
		char	   *real = realpath(path, NULL);

		if (real == NULL)
		{
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("skipping symbolic link \"%s\": %m", path)));
			return VISIT_SKIP;
		}
		if (!inside(it->root, real))
		{
			ereport(WARNING,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("skipping symbolic link \"%s\": it points to \"%s\", outside \"%s\"",
							path, real, it->root)));
			free(real);
			return VISIT_SKIP;
		}
		*target = MemoryContextStrdup(it->pathcxt, real);
		free(real);
		/* the target as resolved, not the link again: it could be re-pointed since */
		if (lstat(*target, st) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", *target)));
		if (S_ISDIR(st->st_mode))
		{
			ereport(NOTICE,
					(errmsg("skipping symbolic link \"%s\": links to directories are not followed", path)));
			return VISIT_SKIP;
		}
		return S_ISREG(st->st_mode) ? VISIT_FILE : VISIT_SKIP;
	}
	if (S_ISDIR(st->st_mode))
		return VISIT_DIR;
	if (S_ISREG(st->st_mode))
		return VISIT_FILE;
	return VISIT_SKIP;
}

/*
 * Byte i of an entry's sort key.  Entries sort in the order their paths sort
 * (strcmp) among all the files found:
 * a directory sorts as its name followed by '/', the first byte of the paths
 * under it, so that "b-x" (0x2d) comes before "b/c" (0x2f) as it did when
 * the whole listing was sorted at once.  Walking each level in this order
 * hands out the files sorted by path.
 */
static inline int
key_byte(const WalkEntry *e, size_t i)
{
	if (i < e->len)
		return (unsigned char) e->path[i];
	return i == e->len && e->dir ? '/' : 0;
}

/* qsort comparator of WalkEntry by that key (path, plus '/' for a directory) */
static int
entry_cmp(const void *a, const void *b)
{
	const WalkEntry *x = a;
	const WalkEntry *y = b;

	for (size_t i = 0;; i++)
	{
		int			cx = key_byte(x, i);
		int			cy = key_byte(y, i);

		if (cx != cy || cx == 0)
			return cx - cy;
	}
}

/* A new level (of entries the caller fills) on top of the walk. */
static WalkLevel *
push_level(CLFileIter *it, int depth, int cap)
{
	MemoryContext cxt = AllocSetContextCreate(it->cxt, "connect_lake walk level",
											  ALLOCSET_DEFAULT_SIZES);
	WalkLevel  *lv = MemoryContextAllocZero(cxt, sizeof(WalkLevel));

	lv->cxt = cxt;
	lv->depth = depth;
	lv->entries = MemoryContextAlloc(cxt, sizeof(WalkEntry) * Max(cap, 1));
	lv->up = it->top;
	it->top = lv;
	return lv;
}

/*
 * A directory as a level of the walk: every entry read now (the directory is
 * closed again before any file is handed out), hidden ones (a leading '.')
 * skipped, since editors' and copy tools' temporary files are not records.
 */
static void
push_dir(CLFileIter *it, const char *dir, int depth)
{
	WalkLevel  *lv = push_level(it, depth, 64);
	int			cap = 64;
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	MemoryContext old = MemoryContextSwitchTo(lv->cxt);

	while ((de = ReadDir(d, dir)) != NULL)
	{
		WalkEntry  *e;

		CHECK_FOR_INTERRUPTS();
		if (de->d_name[0] == '.')
			continue;
		if (lv->n == cap)
		{
			cap *= 2;
			lv->entries = repalloc_huge(lv->entries, sizeof(WalkEntry) * cap);
		}
		e = &lv->entries[lv->n++];
		e->path = psprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, de->d_name);
		e->len = strlen(e->path);
		if (de->d_type == DT_UNKNOWN)
		{
			struct stat st;

			e->dir = lstat(e->path, &st) == 0 && S_ISDIR(st.st_mode);
		}
		else
			e->dir = de->d_type == DT_DIR;
	}
	FreeDir(d);
	MemoryContextSwitchTo(old);
	if (lv->n > 1)
		qsort(lv->entries, lv->n, sizeof(WalkEntry), entry_cmp);
}

/* The matches of a glob as the walk's first level. */
static void
push_glob(CLFileIter *it, const char *pattern)
{
	glob_t		g;
	int			rc = glob(pattern, GLOB_ERR, NULL, &g);

	if (rc != 0 && rc != GLOB_NOMATCH)
	{
		globfree(&g);
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not expand \"%s\": %s", pattern,
						rc == GLOB_ABORTED ? "a directory could not be read" : "out of memory")));
	}
	PG_TRY();
	{
		WalkLevel  *lv = push_level(it, 0, rc == 0 ? (int) g.gl_pathc : 0);

		for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		{
			WalkEntry  *e = &lv->entries[lv->n++];
			struct stat st;

			e->path = MemoryContextStrdup(lv->cxt, g.gl_pathv[i]);
			canonicalize_path(e->path);
			e->len = strlen(e->path);
			e->dir = lstat(e->path, &st) == 0 && S_ISDIR(st.st_mode);
		}
		if (lv->n > 1)
			qsort(lv->entries, lv->n, sizeof(WalkEntry), entry_cmp);
	}
	PG_FINALLY();
	{
		globfree(&g);
	}
	PG_END_TRY();
}

/*
 * A directory with symbolic links resolved, so that "inside the named root"
 * is checked on the real path, not on a name a link could redirect.
 */
static char *
real_dir(const char *dir)
{
	char	   *real = realpath(dir, NULL);
	char	   *res;

	if (real == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not resolve directory \"%s\": %m", dir)));
	res = pstrdup(real);
	free(real);
	return res;
}

/*
 * Start listing the files `path` names (see filelist.h): a file, a directory
 * walked recursively, or a glob; the path must be absolute, as file_fdw
 * requires, and nothing found outside the named root is read.  The iterator
 * lives in a context of its own under CurrentMemoryContext.
 */
CLFileIter *
cl_file_iter_begin(const char *path)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "connect_lake file listing",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CLFileIter *it = palloc0(sizeof(CLFileIter));
	char	   *p = pstrdup(path);

	it->cxt = cxt;
	it->pathcxt = AllocSetContextCreate(cxt, "connect_lake listed file", ALLOCSET_SMALL_SIZES);
	canonicalize_path(p);
	it->pattern = p;
	if (!is_absolute_path(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("path \"%s\" is not absolute", path),
				 errhint("Name files by their absolute path on the database server.")));

	if (strpbrk(p, "*?[") == NULL)
	{
		struct stat st;

		if (stat(p, &st) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", p)));
		if (S_ISDIR(st.st_mode))
		{
			it->root = real_dir(p);
			push_dir(it, p, 0);
		}
		else if (S_ISREG(st.st_mode))
		{
			/* a file named by the user: a link is followed, to the file it names now */
			char	   *real = realpath(p, NULL);

			if (real == NULL)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not resolve file \"%s\": %m", p)));
			set_file(&it->file, MemoryContextStrdup(it->pathcxt, p), MemoryContextStrdup(it->pathcxt, real), &st);
			free(real);
			it->single = true;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a regular file or directory", p)));
	}
	else
	{
		/* the directory before the first wildcard bounds where links may point */
		char	   *prefix = pnstrdup(p, strpbrk(p, "*?[") - p);
		char	   *slash = strrchr(prefix, '/');
		char	   *real;

		*(slash == prefix ? slash + 1 : slash) = '\0';
		/* a glob under a directory that does not exist matches nothing */
		real = realpath(prefix, NULL);
		if (real != NULL || errno != ENOENT)
		{
			free(real);
			it->root = real_dir(prefix);
			push_glob(it, p);
		}
	}
	MemoryContextSwitchTo(old);
	return it;
}

/*
 * The next file, in path order, or NULL after the last.  The CLFile and its
 * path are the iterator's, valid until the next call.
 */
const CLFile *
cl_file_iter_next(CLFileIter *it)
{
	if (it->single)
	{
		it->single = false;
		return &it->file;
	}
	MemoryContextReset(it->pathcxt);
	while (it->top != NULL)
	{
		WalkLevel  *lv = it->top;
		WalkEntry  *e;
		struct stat st;
		char	   *target;

		CHECK_FOR_INTERRUPTS();
		if (lv->next == lv->n)
		{
			it->top = lv->up;
			MemoryContextDelete(lv->cxt);
			continue;
		}
		e = &lv->entries[lv->next++];
		switch (visit(it, e->path, &st, &target))
		{
			case VISIT_FILE:
				set_file(&it->file, MemoryContextStrdup(it->pathcxt, e->path), target, &st);
				return &it->file;
			case VISIT_DIR:
				if (lv->depth > 64)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("directory \"%s\" is nested more than 64 levels deep", e->path)));
				push_dir(it, e->path, lv->depth + 1);
				break;
			case VISIT_SKIP:
				break;
		}
	}
	return NULL;
}

/* Release the iterator (its context) at any point. */
void
cl_file_iter_end(CLFileIter *it)
{
	if (it)
		MemoryContextDelete(it->cxt);
}

/*
 * All the files of path at once, for the foreign table, which plans with
 * their number and sizes; load() streams them with cl_file_iter_*.
 */
CLFileList *
cl_file_list(const char *path)
{
	CLFileList *list = palloc0(sizeof(CLFileList));
	CLFileIter *it = cl_file_iter_begin(path);
	const CLFile *f;
	int			cap = 0;

	list->pattern = pstrdup(it->pattern);
	while ((f = cl_file_iter_next(it)) != NULL)
	{
		if (list->nfiles == cap)
		{
			cap = cap ? cap * 2 : 16;
			list->files = list->files ? repalloc_huge(list->files, sizeof(CLFile) * cap)
				: palloc(sizeof(CLFile) * cap);
		}
		cl_file_copy(&list->files[list->nfiles], f);
		list->total_bytes += f->size;
		list->nfiles++;
	}
	cl_file_iter_end(it);
	return list;
}

/*
 * Open a listed file, refusing one that is no longer what was listed (see
 * filelist.h): the directory walk's checks hold for what is read, not only
 * for what was seen when the directory was listed.
 */
int
cl_file_open(const CLFile *f, bool unchanged)
{
	/* O_NONBLOCK: a FIFO swapped in must not block the open (it is refused below) */
	int			fd = OpenTransientFile(f->open_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | PG_BINARY);
	struct stat st;
	const char *changed = NULL;

	if (fd < 0)
	{
		if (errno == ELOOP)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("file \"%s\" was replaced by a symbolic link after it was listed: not read", f->path),
					 errhint("The next load() reads it again if it is a regular file then.")));
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", f->path)));
	}
	if (fstat(fd, &st) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", f->path)));
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != f->dev || st.st_ino != f->ino)
		changed = "was replaced by another file";
	else if (unchanged &&
			 ((int64) st.st_size != f->size ||
			  time_t_to_timestamptz(st.st_mtime) + (TimestampTz) (st.st_mtim.tv_nsec / 1000) != f->mtime))
		changed = "changed (size or modification time)";
	if (changed)
	{
		CloseTransientFile(fd);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("file \"%s\" %s after it was listed: not read", f->path, changed),
				 errhint("The next load() reads it again as it is then.")));
	}
	/* a regular file ignores O_NONBLOCK; cleared all the same for the readers */
	(void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/*
 * A listed file kept beyond the iterator's next step: its paths copied into
 * CurrentMemoryContext (the iterator's are valid until its next call).
 */
void
cl_file_copy(CLFile *dst, const CLFile *src)
{
	*dst = *src;
	dst->path = pstrdup(src->path);
	dst->open_path = src->open_path == src->path ? dst->path : pstrdup(src->open_path);
}
