/*
 * filelist.c: enumerate the files a path option names (see filelist.h).
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/timestamp.h"

#include "filelist.h"

typedef struct Walk
{
	CLFileList *list;
	int			cap;
	const char *root;			/* real path of the directory named */
} Walk;

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
 * Append a regular file found by the walk, with the size and mtime the
 * manifest compares to tell an unchanged file.
 */
static void
add_file(Walk *w, const char *path, const char *open_path, const struct stat *st)
{
	CLFileList *l = w->list;
	CLFile	   *f;
	size_t		len = strlen(path);

	if (l->nfiles == w->cap)
	{
		w->cap = w->cap ? w->cap * 2 : 16;
		l->files = l->files ? repalloc(l->files, sizeof(CLFile) * w->cap)
			: palloc(sizeof(CLFile) * w->cap);
	}
	f = &l->files[l->nfiles++];
	f->path = pstrdup(path);
	f->size = (int64) st->st_size;
	f->mtime = time_t_to_timestamptz(st->st_mtime) +
		(TimestampTz) (st->st_mtim.tv_nsec / 1000);
	f->gzip_name = len > 3 && strcmp(path + len - 3, ".gz") == 0;
	f->open_path = open_path ? pstrdup(open_path) : f->path;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	l->total_bytes += f->size;
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

static void walk_dir(Walk *w, const char *dir, int depth);

/* One entry found in a walk (or a glob match). */
static void
walk_entry(Walk *w, const char *path, int depth, bool named)
{
	struct stat st;

	CHECK_FOR_INTERRUPTS();
	if (lstat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (S_ISLNK(st.st_mode))
	{
		char	   *real = realpath(path, NULL);
		char	   *target;

		if (real == NULL)
		{
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("skipping symbolic link \"%s\": %m", path)));
			return;
		}
		if (!inside(w->root, real))
		{
			ereport(WARNING,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("skipping symbolic link \"%s\": it points to \"%s\", outside \"%s\"",
							path, real, w->root)));
			free(real);
			return;
		}
		target = pstrdup(real);
		free(real);
		/* the target as resolved, not the link again: it could be re-pointed since */
		if (lstat(target, &st) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", target)));
		if (S_ISDIR(st.st_mode))
		{
			ereport(NOTICE,
					(errmsg("skipping symbolic link \"%s\": links to directories are not followed", path)));
			return;
		}
		if (S_ISREG(st.st_mode))
			add_file(w, path, target, &st);
		else if (named)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("\"%s\" is not a regular file or directory", path)));
		return;
	}
	if (S_ISDIR(st.st_mode))
	{
		if (depth > 64)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("directory \"%s\" is nested more than 64 levels deep", path)));
		walk_dir(w, path, depth + 1);
	}
	else if (S_ISREG(st.st_mode))
		add_file(w, path, NULL, &st);
	else if (named)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a regular file or directory", path)));
}

/*
 * Each entry of a directory, hidden ones (a leading '.') skipped: editors'
 * and copy tools' temporary files are not records.
 */
static void
walk_dir(Walk *w, const char *dir, int depth)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;

	while ((de = ReadDir(d, dir)) != NULL)
	{
		char	   *p;

		if (de->d_name[0] == '.')
			continue;
		p = psprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, de->d_name);
		walk_entry(w, p, depth, false);
		pfree(p);
	}
	FreeDir(d);
}

static int
file_cmp(const void *a, const void *b)
{
	return strcmp(((const CLFile *) a)->path, ((const CLFile *) b)->path);
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
 * The files load() and the foreign table read for path (a file, a directory
 * walked recursively, or a glob), sorted so that loads run in a repeatable
 * order; the path must be absolute, as file_fdw requires, and nothing found
 * outside the named root is read.
 */
CLFileList *
cl_file_list(const char *path)
{
	CLFileList *list = palloc0(sizeof(CLFileList));
	Walk		w = {list, 0, NULL};
	char	   *p = pstrdup(path);

	canonicalize_path(p);
	list->pattern = p;
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
			w.root = real_dir(p);
			walk_dir(&w, p, 0);
		}
		else if (S_ISREG(st.st_mode))
		{
			/* a file named by the user: a link is followed, to the file it names now */
			char	   *real = realpath(p, NULL);

			if (real == NULL)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not resolve file \"%s\": %m", p)));
			add_file(&w, p, real, &st);
			free(real);
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
		glob_t		g;
		int			rc;

		char	   *real;

		*(slash == prefix ? slash + 1 : slash) = '\0';
		/* a glob under a directory that does not exist matches nothing */
		real = realpath(prefix, NULL);
		if (real == NULL && errno == ENOENT)
			return list;
		free(real);
		w.root = real_dir(prefix);
		rc = glob(p, GLOB_ERR, NULL, &g);
		if (rc != 0 && rc != GLOB_NOMATCH)
		{
			globfree(&g);
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not expand \"%s\": %s", p,
							rc == GLOB_ABORTED ? "a directory could not be read" : "out of memory")));
		}
		PG_TRY();
		{
			for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
			{
				char	   *m = pstrdup(g.gl_pathv[i]);

				canonicalize_path(m);
				walk_entry(&w, m, 0, false);
			}
		}
		PG_FINALLY();
		{
			globfree(&g);
		}
		PG_END_TRY();
	}

	if (list->nfiles > 1)
		qsort(list->files, list->nfiles, sizeof(CLFile), file_cmp);
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
