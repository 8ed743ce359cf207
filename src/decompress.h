/*
 * decompress.h: a streaming byte source over a file descriptor or a memory
 * buffer that undoes gzip when there is gzip.
 *
 * First stage of the file loader (bytes -> decompress -> frame -> records).
 * Server-independent C99: standard headers and zlib only, no PostgreSQL.
 *
 *  - CL_COMPRESSION_AUTO looks at the first two bytes (1f 8b), whatever the
 *    file is called: Firehose objects are gzip with or without ".gz".
 *  - Several gzip members back to back (Firehose, `cat a.gz b.gz`) are one
 *    stream.  NUL padding after the last member is ignored; any other bytes
 *    after a member are an error.
 *  - A truncated gzip, or gzip of garbage, is an error naming the compressed
 *    byte offset; it never ends silently.  Bytes decoded before the damage are
 *    delivered first, the error comes with the next read.
 *  - Memory is bounded whatever the file size: one input chunk (default
 *    256 KB) plus zlib's 32 KB window.  Decompressed bytes go straight into
 *    the caller's buffer.
 *
 * Everything is malloc'd and released by cl_source_close(), which is
 * idempotent (it takes the address of the pointer and clears it).
 */
#ifndef CL_DECOMPRESS_H
#define CL_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

typedef enum CLCompression
{
	CL_COMPRESSION_AUTO = 0,	/* gzip if the data starts with 1f 8b */
	CL_COMPRESSION_GZIP,		/* must be gzip (an empty input is still empty) */
	CL_COMPRESSION_NONE			/* pass the bytes through */
} CLCompression;

typedef struct CLSource CLSource;

/* Default size of each read(2) from the file. */
#define CL_SOURCE_DEFAULT_CHUNK (256 * 1024)

/*
 * Reads fd from its current position.  close_fd: close(fd) in
 * cl_source_close (pass 0 when the caller's own machinery closes it, e.g.
 * PostgreSQL's OpenTransientFile).  chunk 0 means the default.
 * Returns NULL only when out of memory.
 */
extern CLSource *cl_source_open_fd(int fd, int close_fd, CLCompression mode, size_t chunk);

/* Reads len bytes at data (not copied: must outlive the source). */
extern CLSource *cl_source_open_mem(const void *data, size_t len, CLCompression mode);

/*
 * Up to len decompressed bytes into buf: returns the number of bytes (> 0),
 * 0 at the end of the data, -1 on error (cl_source_error says what; every
 * later call returns -1 too).  Short reads are normal.
 */
extern long cl_source_read(CLSource *src, void *buf, size_t len);

/* What went wrong, with the compressed byte offset; "" when nothing did. */
extern const char *cl_source_error(const CLSource *src);

/*
 * 1 when the error is memory running out (zlib's state or window could not
 * be allocated), not damaged data: the caller must not call the file bad.
 */
extern int	cl_source_out_of_memory(const CLSource *src);

/* 1 when the data is gzip (known after the first read). */
extern int	cl_source_is_gzip(const CLSource *src);

/* Bytes taken from the file / memory so far (compressed). */
extern uint64_t cl_source_bytes_in(const CLSource *src);

/* Bytes delivered to the caller so far (decompressed). */
extern uint64_t cl_source_bytes_out(const CLSource *src);

/* gzip members started so far (0 for plain data). */
extern int	cl_source_members(const CLSource *src);

/*
 * Every byte taken from the file (or memory), compressed or not, in order,
 * is also passed to tap (e.g. to checksum exactly what was read, a file that
 * grows while it is read included).  Set it before the first read.
 */
typedef void (*CLSourceTap) (void *arg, const void *bytes, size_t len);
extern void cl_source_set_tap(CLSource *src, CLSourceTap tap, void *arg);

/*
 * zlib's allocator (zalloc/zfree, zlib's own signatures; both or neither:
 * NULL means malloc/free), e.g. one that refuses, to test running out of
 * memory.  Set it before the first read.
 */
typedef void *(*CLSourceAlloc) (void *opaque, unsigned int items, unsigned int size);
typedef void (*CLSourceFree) (void *opaque, void *ptr);
extern void cl_source_set_zalloc(CLSource *src, CLSourceAlloc alloc, CLSourceFree free_fn, void *opaque);

/* Releases everything and sets *src to NULL; NULL or *src NULL is a no-op. */
extern void cl_source_close(CLSource **src);

#endif							/* CL_DECOMPRESS_H */
