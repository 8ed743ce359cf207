/*
 * decompress.c: streaming byte source, gzip auto-detected (see decompress.h).
 */
#include "decompress.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

enum
{
	SRC_START,					/* nothing read yet: detection pending */
	SRC_PLAIN,					/* passing bytes through */
	SRC_MEMBER,					/* inside a gzip member */
	SRC_BETWEEN,				/* after a gzip member: another, padding or the end */
	SRC_DONE,					/* end of data */
	SRC_FAILED					/* error (bytes decoded before it are delivered first) */
};

struct CLSource
{
	int			fd;
	int			close_fd;
	const unsigned char *mem;	/* memory source, else NULL */
	size_t		mem_len;
	CLCompression mode;
	int			state;
	int			gzip;

	unsigned char *in;			/* input chunk (fd sources) */
	size_t		in_cap;
	const unsigned char *next;	/* unconsumed input */
	size_t		avail;
	int			eof;			/* no more input after `avail` */

	z_stream	z;
	int			z_ready;
	uint64_t	in_total;		/* bytes taken from the fd / memory */
	uint64_t	out_total;
	int			members;
	CLSourceTap tap;			/* sees every byte taken, NULL: none */
	void	   *tap_arg;
	CLSourceAlloc zalloc;		/* zlib's allocator, NULL: malloc/free */
	CLSourceFree zfree;
	void	   *zopaque;
	int			oom;			/* the error is memory running out */
	char		err[256];
};

#if defined(__GNUC__)
static void set_error(CLSource *src, const char *fmt,...) __attribute__((format(printf, 2, 3)));
#endif

static void
set_error(CLSource *src, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(src->err, sizeof(src->err), fmt, ap);
	va_end(ap);
	src->state = SRC_FAILED;
	src->oom = 0;
}

/* The error is memory running out, not the data (cl_source_out_of_memory). */
#if defined(__GNUC__)
static void set_oom_error(CLSource *src, const char *fmt,...) __attribute__((format(printf, 2, 3)));
#endif

static void
set_oom_error(CLSource *src, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(src->err, sizeof(src->err), fmt, ap);
	va_end(ap);
	src->state = SRC_FAILED;
	src->oom = 1;
}

static CLSource *
new_source(CLCompression mode, size_t in_cap)
{
	CLSource   *src = calloc(1, sizeof(CLSource));

	if (src == NULL)
		return NULL;
	src->fd = -1;
	src->mode = mode;
	src->state = SRC_START;
	if (in_cap > 0)
	{
		src->in = malloc(in_cap);
		if (src->in == NULL)
		{
			free(src);
			return NULL;
		}
		src->in_cap = in_cap;
	}
	return src;
}

CLSource *
cl_source_open_fd(int fd, int close_fd, CLCompression mode, size_t chunk)
{
	CLSource   *src;

	if (chunk == 0)
		chunk = CL_SOURCE_DEFAULT_CHUNK;
	if (chunk < 16)
		chunk = 16;				/* room for the gzip magic, at least */
	src = new_source(mode, chunk);
	if (src == NULL)
		return NULL;
	src->fd = fd;
	src->close_fd = close_fd;
	return src;
}

CLSource *
cl_source_open_mem(const void *data, size_t len, CLCompression mode)
{
	CLSource   *src = new_source(mode, 0);

	if (src == NULL)
		return NULL;
	src->mem = data;
	src->mem_len = len;
	return src;
}

/*
 * read(2) into buf, again when a signal interrupted it: the bytes read (0 at
 * the end of the file), or -1 with the source's error set, naming the byte
 * offset the read failed at.
 */
static ssize_t
read_retrying(CLSource *src, void *buf, size_t len)
{
	for (;;)
	{
		ssize_t		n = read(src->fd, buf, len);

		if (n > 0 && src->tap)
			src->tap(src->tap_arg, buf, (size_t) n);
		if (n >= 0)
			return n;
		if (errno != EINTR)
		{
			set_error(src, "could not read file at byte %llu: %s",
					  (unsigned long long) src->in_total, strerror(errno));
			return -1;
		}
	}
}

/*
 * Makes input available: appends to what is unconsumed (compacting the chunk
 * first).  Returns 1 when more bytes arrived, 0 at end of input, -1 on error.
 */
static int
fill_input(CLSource *src)
{
	ssize_t		n;

	if (src->eof)
		return 0;
	if (src->mem != NULL)
	{
		/* the whole buffer at once (zlib counts in uInt: 1 GB steps) */
		size_t		taken = (size_t) src->in_total;
		size_t		left = src->mem_len - taken;
		size_t		step = left > (1u << 30) ? (1u << 30) : left;

		if (step == 0)
		{
			src->eof = 1;
			return 0;
		}
		if (src->avail == 0)
			src->next = src->mem + taken;
		if (src->tap)
			src->tap(src->tap_arg, src->mem + taken, step);
		src->avail += step;
		src->in_total += step;
		return 1;
	}
	if (src->avail > 0 && src->next != src->in)
		memmove(src->in, src->next, src->avail);
	src->next = src->in;
	if (src->avail == src->in_cap)
		return 1;
	n = read_retrying(src, src->in + src->avail, src->in_cap - src->avail);
	if (n < 0)
		return -1;
	if (n == 0)
	{
		src->eof = 1;
		return 0;
	}
	src->avail += (size_t) n;
	src->in_total += (uint64_t) n;
	return 1;
}

/* Compressed offset of the next unconsumed byte. */
static uint64_t
consumed(const CLSource *src)
{
	return src->in_total - src->avail;
}

static int
start_gzip(CLSource *src)
{
	int			ret;

	memset(&src->z, 0, sizeof(src->z));
	src->z.zalloc = (alloc_func) src->zalloc;
	src->z.zfree = (free_func) src->zfree;
	src->z.opaque = src->zopaque;
	ret = inflateInit2(&src->z, 16 + MAX_WBITS);
	if (ret == Z_MEM_ERROR)
	{
		set_oom_error(src, "out of memory starting gzip decompression (compressed byte offset 0)");
		return -1;
	}
	if (ret != Z_OK)
	{
		set_error(src, "could not start gzip decompression: zlib error %d (compressed byte offset 0)", ret);
		return -1;
	}
	src->z_ready = 1;
	src->gzip = 1;
	src->members = 1;
	src->state = SRC_MEMBER;
	return 0;
}

/* Decides plain or gzip from the first two bytes.  0 ok, -1 error. */
static int
detect(CLSource *src)
{
	int			r;

	while (src->avail < 2)
	{
		r = fill_input(src);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
	}
	if (src->avail == 0)
	{
		src->state = SRC_DONE;	/* empty input is empty in every mode */
		return 0;
	}
	if (src->mode == CL_COMPRESSION_NONE)
	{
		src->state = SRC_PLAIN;
		return 0;
	}
	if (src->avail >= 2 && src->next[0] == 0x1f && src->next[1] == 0x8b)
		return start_gzip(src);
	if (src->mode == CL_COMPRESSION_GZIP)
	{
		set_error(src, "not gzip data: the first bytes are not 1f 8b (compressed byte offset 0)");
		return -1;
	}
	src->state = SRC_PLAIN;
	return 0;
}

static long
read_plain(CLSource *src, unsigned char *buf, size_t len)
{
	ssize_t		n;

	if (src->avail == 0)
	{
		if (src->mem != NULL || src->eof)
		{
			int			r = fill_input(src);

			if (r <= 0)
			{
				if (r == 0)
					src->state = SRC_DONE;
				return r;
			}
		}
		else
		{
			/* straight into the caller's buffer: no copy */
			n = read_retrying(src, buf, len);
			if (n < 0)
				return -1;
			if (n == 0)
			{
				src->eof = 1;
				src->state = SRC_DONE;
				return 0;
			}
			src->in_total += (uint64_t) n;
			src->out_total += (uint64_t) n;
			return (long) n;
		}
	}
	n = (ssize_t) (src->avail < len ? src->avail : len);
	memcpy(buf, src->next, (size_t) n);
	src->next += n;
	src->avail -= (size_t) n;
	src->out_total += (uint64_t) n;
	return (long) n;
}

/*
 * After a member's end: another member (inflateReset), NUL padding up to the
 * end, the end, or garbage (an error).  0 ok, -1 error.
 */
static int
between_members(CLSource *src)
{
	int			r;

	for (;;)
	{
		while (src->avail > 0 && src->next[0] == 0)
		{
			src->next++;
			src->avail--;
		}
		if (src->avail < 2)
		{
			r = fill_input(src);
			if (r < 0)
				return -1;
			if (r == 1)
				continue;
			if (src->avail == 0)
			{
				src->state = SRC_DONE;
				return 0;
			}
		}
		if (src->avail >= 2 && src->next[0] == 0x1f && src->next[1] == 0x8b)
		{
			if (inflateReset(&src->z) != Z_OK)
			{
				set_error(src, "could not restart gzip decompression");
				return -1;
			}
			src->members++;
			src->state = SRC_MEMBER;
			return 0;
		}
		set_error(src, "gzip data corrupt: unexpected bytes after gzip member %d at compressed byte offset %llu",
				  src->members, (unsigned long long) consumed(src));
		return -1;
	}
}

static long
read_gzip(CLSource *src, unsigned char *buf, size_t len)
{
	size_t		want = len > UINT_MAX ? UINT_MAX : len;
	int			ret;

	src->z.next_out = buf;
	src->z.avail_out = (uInt) want;
	while (src->z.avail_out > 0)
	{
		if (src->state == SRC_BETWEEN)
		{
			if (between_members(src) < 0)
				break;
			continue;
		}
		if (src->state != SRC_MEMBER)
			break;
		if (src->avail == 0 && fill_input(src) < 0)
			break;
		src->z.next_in = (unsigned char *) src->next;
		src->z.avail_in = (uInt) (src->avail > UINT_MAX ? UINT_MAX : src->avail);
		{
			size_t		before = src->z.avail_in;

			ret = inflate(&src->z, Z_NO_FLUSH);
			src->next += before - src->z.avail_in;
			src->avail -= before - src->z.avail_in;
		}
		if (ret == Z_STREAM_END)
			src->state = SRC_BETWEEN;
		else if (ret == Z_OK)
			continue;
		else if (ret == Z_BUF_ERROR && !(src->avail == 0 && src->eof))
			continue;
		else if (ret == Z_BUF_ERROR)
		{
			set_error(src, "gzip data truncated: the compressed data ends at byte %llu inside gzip member %d",
					  (unsigned long long) consumed(src), src->members);
			break;
		}
		else if (ret == Z_MEM_ERROR)
		{
			/* zlib could not allocate its window: memory, not the data */
			set_oom_error(src, "out of memory decompressing gzip data at compressed byte offset %llu (gzip member %d)",
						  (unsigned long long) consumed(src), src->members);
			break;
		}
		else
		{
			set_error(src, "gzip data corrupt at compressed byte offset %llu (gzip member %d): %s",
					  (unsigned long long) consumed(src), src->members,
					  src->z.msg ? src->z.msg : "invalid data");
			break;
		}
	}
	{
		size_t		produced = want - src->z.avail_out;

		src->out_total += produced;
		if (produced > 0)
			return (long) produced;
	}
	return src->state == SRC_FAILED ? -1 : 0;
}

long
cl_source_read(CLSource *src, void *buf, size_t len)
{
	if (src == NULL || len == 0)
		return 0;
	if (len > LONG_MAX)
		len = LONG_MAX;
	if (src->state == SRC_START && detect(src) < 0)
		return -1;
	switch (src->state)
	{
		case SRC_PLAIN:
			return read_plain(src, buf, len);
		case SRC_MEMBER:
		case SRC_BETWEEN:
			return read_gzip(src, buf, len);
		case SRC_FAILED:
			return -1;
		default:
			return 0;
	}
}

const char *
cl_source_error(const CLSource *src)
{
	return src && src->state == SRC_FAILED ? src->err : "";
}

int
cl_source_out_of_memory(const CLSource *src)
{
	return src && src->state == SRC_FAILED ? src->oom : 0;
}

void
cl_source_set_zalloc(CLSource *src, CLSourceAlloc alloc, CLSourceFree free_fn, void *opaque)
{
	if (src && !src->z_ready && (alloc == NULL) == (free_fn == NULL))
	{
		src->zalloc = alloc;
		src->zfree = free_fn;
		src->zopaque = opaque;
	}
}

int
cl_source_is_gzip(const CLSource *src)
{
	return src ? src->gzip : 0;
}

uint64_t
cl_source_bytes_in(const CLSource *src)
{
	return src ? consumed(src) : 0;
}

uint64_t
cl_source_bytes_out(const CLSource *src)
{
	return src ? src->out_total : 0;
}

int
cl_source_members(const CLSource *src)
{
	return src ? src->members : 0;
}

void
cl_source_set_tap(CLSource *src, CLSourceTap tap, void *arg)
{
	if (src)
	{
		src->tap = tap;
		src->tap_arg = arg;
	}
}

void
cl_source_close(CLSource **srcp)
{
	CLSource   *src;

	if (srcp == NULL || *srcp == NULL)
		return;
	src = *srcp;
	*srcp = NULL;
	if (src->z_ready)
		inflateEnd(&src->z);
	if (src->close_fd && src->fd >= 0)
		close(src->fd);
	free(src->in);
	free(src);
}
