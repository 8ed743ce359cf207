/*
 * connect_gen: deterministic sample data generator for connect_lake.
 *
 * Writes Amazon Connect export files in their real layouts (see
 * /work/shared/connect-formats.md and README "Sample data"): Firehose CTR
 * objects, contact flow logs (CloudWatch subscription envelopes and
 * CloudWatch export files), EventBridge contact and Cases events, the agent
 * event stream, the Cases ListFields response (fields.json) and SUMMARY.json
 * with the totals the generator knows.
 *
 * One PRNG stream (xoshiro256**) drives everything in a fixed order, so a
 * seed gives identical bytes.  Generation walks the period hour by hour;
 * records that land in a later hour wait in a small ring of per-hour buffers,
 * and cases live as compact structs in a heap keyed by their next event, so
 * memory stays bounded whatever the number of days.
 *
 * C99 + zlib, no PostgreSQL headers.  Build: make gen.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <zlib.h>

/* ------------------------------------------------------------------ utils */

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("connect_gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* ------------------------------------------------------------------- PRNG */

static uint64_t rs[4];

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t x)
{
	return splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9;
	uint64_t t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static void rnd_seed(uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix64(&x);
}

/* uniform in [0, n) */
static inline uint32_t rbelow(uint32_t n)
{
	return n ? (uint32_t) (((rnd() >> 32) * (uint64_t) n) >> 32) : 0;
}

static inline int rrange(int lo, int hi)	/* inclusive */
{
	return lo + (int) rbelow((uint32_t) (hi - lo + 1));
}

static inline double runit(void)
{
	return (double) (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static inline int rchance(double p)
{
	return runit() < p;
}

/* approximately normal(0,1): Irwin-Hall with 4 terms, scaled */
static double rnorm(void)
{
	double s = runit() + runit() + runit() + runit() - 2.0;
	return s * 1.7320508075688772;
}

/* log-normal with the given median (exp of normal) */
static double rlognorm(double median, double sigma)
{
	double z = rnorm() * sigma;
	/* exp without libm: exp(z) = 2^(z/ln2), by repeated squaring is overkill;
	 * use a short series on a reduced argument */
	double k = z / 0.6931471805599453;
	int ki = (int) (k < 0 ? k - 1 : k);
	double r = (k - ki) * 0.6931471805599453;
	double e = 1 + r * (1 + r / 2 * (1 + r / 3 * (1 + r / 4 * (1 + r / 5 * (1 + r / 6)))));
	while (ki > 0) { e *= 2; ki--; }
	while (ki < 0) { e /= 2; ki++; }
	return median * e;
}

static int rpick(const int *w, int n)
{
	int tot = 0;
	for (int i = 0; i < n; i++)
		tot += w[i];
	int x = (int) rbelow((uint32_t) tot);
	for (int i = 0; i < n; i++)
	{
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

/* UUID v4 text from the PRNG */
static void ruuid(char out[37])
{
	static const char hx[] = "0123456789abcdef";
	uint64_t a = rnd(), b = rnd();
	unsigned char u[16];
	for (int i = 0; i < 8; i++)
	{
		u[i] = (unsigned char) (a >> (i * 8));
		u[8 + i] = (unsigned char) (b >> (i * 8));
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	int o = 0;
	for (int i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[u[i] >> 4];
		out[o++] = hx[u[i] & 15];
	}
	out[o] = 0;
}

/* UUID derived from a key (independent of the PRNG stream) */
static void kuuid(char out[37], uint64_t key)
{
	uint64_t save[4];
	memcpy(save, rs, sizeof save);
	rnd_seed(key ^ 0x5eed5eed12345678ULL);
	ruuid(out);
	memcpy(rs, save, sizeof save);
}

/* ----------------------------------------------------------------- buffer */

typedef struct
{
	char	   *p;
	size_t		n, cap;
} Buf;

static void bgrow(Buf *b, size_t k)
{
	size_t c = b->cap ? b->cap : 4096;
	while (c < b->n + k)
		c *= 2;
	b->p = xrealloc(b->p, c);
	b->cap = c;
}

#define BRES(b, k) do { if ((b)->n + (k) > (b)->cap) bgrow((b), (k)); } while (0)

static inline void bmem(Buf *b, const void *s, size_t k)
{
	BRES(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
}

/* string literals only: "" lit "" fails to compile for anything else */
#define BL(b, lit) bmem((b), "" lit "", sizeof(lit) - 1)

static inline void bs(Buf *b, const char *s)
{
	bmem(b, s, strlen(s));
}

static inline void bc(Buf *b, char c)
{
	BRES(b, 1);
	b->p[b->n++] = c;
}

/* JSON string with quotes */
static void bq(Buf *b, const char *s)
{
	size_t k = strlen(s);
	BRES(b, k * 6 + 2);
	char *o = b->p + b->n;
	*o++ = '"';
	for (size_t i = 0; i < k; i++)
	{
		unsigned char c = (unsigned char) s[i];
		if (c == '"' || c == '\\')
		{
			*o++ = '\\';
			*o++ = (char) c;
		}
		else if (c == '\n')
		{
			*o++ = '\\';
			*o++ = 'n';
		}
		else if (c == '\t')
		{
			*o++ = '\\';
			*o++ = 't';
		}
		else if (c == '\b')
		{
			*o++ = '\\';
			*o++ = 'b';
		}
		else if (c < 0x20)
		{
			o += sprintf(o, "\\u%04x", c);
		}
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	b->n = (size_t) (o - b->p);
}

/* the bytes of a JSON text as the contents of a JSON string (with quotes) */
static void bqmem(Buf *b, const char *s, size_t k)
{
	BRES(b, k * 6 + 2);
	char *o = b->p + b->n;
	*o++ = '"';
	for (size_t i = 0; i < k; i++)
	{
		unsigned char c = (unsigned char) s[i];
		if (c == '"' || c == '\\')
		{
			*o++ = '\\';
			*o++ = (char) c;
		}
		else if (c == '\n')
		{
			*o++ = '\\';
			*o++ = 'n';
		}
		else if (c < 0x20)
			o += sprintf(o, "\\u%04x", c);
		else
			*o++ = (char) c;
	}
	*o++ = '"';
	b->n = (size_t) (o - b->p);
}

static void bint(Buf *b, int64_t v)
{
	char t[24];
	int i = 0;
	uint64_t u;
	BRES(b, 24);
	if (v < 0)
	{
		b->p[b->n++] = '-';
		u = (uint64_t) (-(v + 1)) + 1;
	}
	else
		u = (uint64_t) v;
	do
	{
		t[i++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	while (i)
		b->p[b->n++] = t[--i];
}

/* -------------------------------------------------------------------- time */

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned) (y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t) doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned) (z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t) yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yy + (*m <= 2));
}

#define MS_H  3600000LL
#define MS_D  86400000LL

static int64_t floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* ISO weekday 1 = Monday .. 7 = Sunday of a day number */
static int iso_wday(int64_t day)
{
	int w = (int) ((day + 3) % 7);	/* 1970-01-01 was a Thursday */
	if (w < 0)
		w += 7;
	return w + 1;
}

/* last Sunday of month as day number */
static int64_t last_sunday(int y, int m)
{
	int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	int64_t d = days_from_civil(ny, nm, 1) - 1;
	while (iso_wday(d) != 7)
		d--;
	return d;
}

/* Europe/London offset from UTC in ms at UTC instant t (BST: last Sunday of
 * March 01:00 UTC to last Sunday of October 01:00 UTC) */
static int64_t london_offset(int64_t t)
{
	int y, m, d;
	civil_from_days(floordiv(t, MS_D), &y, &m, &d);
	int64_t a = last_sunday(y, 3) * MS_D + MS_H, b = last_sunday(y, 10) * MS_D + MS_H;
	return (t >= a && t < b) ? MS_H : 0;
}

static int64_t london(int64_t t)
{
	return t + london_offset(t);
}

/* cached formatting of the date part */
static int64_t fmt_day = INT64_MIN;
static char fmt_date[11];

static inline void put2(char *o, int v)
{
	o[0] = (char) ('0' + v / 10);
	o[1] = (char) ('0' + v % 10);
}

static void fmt_ts(char *o, int64_t t, int ms)	/* o: 25 bytes */
{
	int64_t day = floordiv(t, MS_D);
	if (day != fmt_day)
	{
		int y, m, d;
		civil_from_days(day, &y, &m, &d);
		snprintf(fmt_date, sizeof fmt_date, "%04d-%02d-%02d", y, m, d);
		fmt_day = day;
	}
	int64_t r = t - day * MS_D;
	int s = (int) (r / 1000), f = (int) (r % 1000);
	memcpy(o, fmt_date, 10);
	o[10] = 'T';
	put2(o + 11, s / 3600);
	o[13] = ':';
	put2(o + 14, s / 60 % 60);
	o[16] = ':';
	put2(o + 17, s % 60);
	if (ms)
	{
		o[19] = '.';
		o[20] = (char) ('0' + f / 100);
		o[21] = (char) ('0' + f / 10 % 10);
		o[22] = (char) ('0' + f % 10);
		o[23] = 'Z';
		o[24] = 0;
	}
	else
	{
		o[19] = 'Z';
		o[20] = 0;
	}
}

/* quoted timestamp, seconds */
static void bts(Buf *b, int64_t t)
{
	char o[26];
	fmt_ts(o, t, 0);
	BRES(b, 24);
	b->p[b->n++] = '"';
	memcpy(b->p + b->n, o, 20);
	b->n += 20;
	b->p[b->n++] = '"';
}

/* quoted timestamp, milliseconds */
static void btsm(Buf *b, int64_t t)
{
	char o[26];
	fmt_ts(o, t, 1);
	BRES(b, 28);
	b->p[b->n++] = '"';
	memcpy(b->p + b->n, o, 24);
	b->n += 24;
	b->p[b->n++] = '"';
}

static void day_str(char *o, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(o, 11, "%04d-%02d-%02d", y, m, d);
}

static int parse_date(const char *s, int64_t *day)
{
	int y, m, d;
	if (sscanf(s, "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	*day = days_from_civil(y, m, d);
	return 1;
}

/* ------------------------------------------------------------ gzip files */

static char out_dir[1024];
static int gz_level = 1;
static uint64_t total_raw, total_file, total_files;

static void mkdirs(const char *path)	/* creates the parent directories of path */
{
	char tmp[1400];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/')
		{
			*p = 0;
			if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
				die("mkdir %s: %s", tmp, strerror(errno));
			*p = '/';
		}
}

#define GZ_IN  (1 << 20)
#define GZ_OUT (1 << 20)

typedef struct
{
	FILE	   *f;
	z_stream	z;
	int			open, zinit, member_open;
	int			discard;		/* --ctr-only: generated, not written */
	unsigned char *in, *out;
	size_t		inlen;
	uint64_t	raw, file;
	char		path[1400];
} Gz;

static void gz_drain(Gz *g, int flush)
{
	g->z.next_in = g->in;
	g->z.avail_in = (uInt) g->inlen;
	do
	{
		g->z.next_out = g->out;
		g->z.avail_out = GZ_OUT;
		int rc = deflate(&g->z, flush);
		if (rc == Z_STREAM_ERROR)
			die("deflate failed");
		size_t have = GZ_OUT - g->z.avail_out;
		if (have && fwrite(g->out, 1, have, g->f) != have)
			die("write %s: %s", g->path, strerror(errno));
		g->file += have;
		if (flush == Z_FINISH && rc == Z_STREAM_END)
			break;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH));
	g->inlen = 0;
}

static int ctr_only;			/* --ctr-only: the other kinds are generated (the PRNG stream stays the same) but not written */

static void gz_open(Gz *g, const char *path, int discard)
{
	g->discard = discard;
	if (discard)
	{
		g->open = 1;
		g->member_open = 0;
		g->raw = g->file = 0;
		return;
	}
	snprintf(g->path, sizeof g->path, "%s", path);
	mkdirs(g->path);
	g->f = fopen(g->path, "wb");
	if (!g->f)
		die("open %s: %s", g->path, strerror(errno));
	if (!g->in)
	{
		g->in = xmalloc(GZ_IN);
		g->out = xmalloc(GZ_OUT);
	}
	if (!g->zinit)
	{
		memset(&g->z, 0, sizeof g->z);
		if (deflateInit2(&g->z, gz_level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			die("deflateInit2 failed");
		g->zinit = 1;
	}
	else
		deflateReset(&g->z);
	g->open = 1;
	g->member_open = 0;
	g->inlen = 0;
	g->raw = g->file = 0;
	total_files++;
}

static void gz_write(Gz *g, const void *p, size_t n)
{
	const unsigned char *s = p;
	g->member_open = 1;
	g->raw += n;
	if (g->discard)
		return;
	total_raw += n;
	while (n)
	{
		size_t k = GZ_IN - g->inlen;
		if (k > n)
			k = n;
		memcpy(g->in + g->inlen, s, k);
		g->inlen += k;
		s += k;
		n -= k;
		if (g->inlen == GZ_IN)
			gz_drain(g, Z_NO_FLUSH);
	}
}

/* ends the current gzip member; the next write starts a new one */
static void gz_end_member(Gz *g)
{
	if (!g->member_open)
		return;
	if (g->discard)
	{
		g->member_open = 0;
		return;
	}
	gz_drain(g, Z_FINISH);
	deflateReset(&g->z);
	g->member_open = 0;
}

static void gz_close(Gz *g)
{
	if (!g->open)
		return;
	if (g->discard)
	{
		g->open = 0;
		return;
	}
	gz_end_member(g);
	total_file += g->file;
	if (fclose(g->f) != 0)
		die("close %s: %s", g->path, strerror(errno));
	g->open = 0;
}

/* ---------------------------------------------------------- output streams */

enum
{
	K_CTR, K_FSUB, K_FEXP, K_CEV, K_CASE, K_AGENT, NK
};

static const char *const kind_dir[NK] = {
	"ctr", "flowlogs/subscription", "flowlogs/export", "contact_events", "cases", "agent_events"
};
static const char *const kind_stream[NK] = {
	"connect-ctr-firehose", "connect-flowlogs-firehose", "", "connect-contact-events-firehose",
	"connect-cases-events-firehose", "connect-agent-events-firehose"
};

typedef struct
{
	int64_t		hour;			/* hour of the open object */
	int			objidx;
	Gz			g;
	int			member_target, in_member;
	uint64_t	files;
} Stream;

static Stream streams[NK];
static int64_t cur_hour;		/* hour being generated, ms / MS_H */
static uint64_t object_limit = 64ULL << 20;

static void stream_open(int k)
{
	Stream *s = &streams[k];
	char path[1400], ts[26], id[37];
	int64_t t = cur_hour * MS_H + (int64_t) s->objidx * 300000 + rrange(0, 299) * 1000LL;
	if (t >= (cur_hour + 1) * MS_H)
		t = (cur_hour + 1) * MS_H - 1000;
	fmt_ts(ts, t, 0);
	ruuid(id);
	/* <dir>/YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid> */
	snprintf(path, sizeof path, "%s/%s/%.4s/%.2s/%.2s/%.2s/%s-1-%.4s-%.2s-%.2s-%.2s-%.2s-%.2s-%s",
			 out_dir, kind_dir[k], ts, ts + 5, ts + 8, ts + 11, kind_stream[k],
			 ts, ts + 5, ts + 8, ts + 11, ts + 14, ts + 17, id);
	gz_open(&s->g, path, ctr_only && k != K_CTR);
	s->hour = cur_hour;
	s->objidx++;
	s->files += !s->g.discard;
	s->in_member = 0;
	s->member_target = k == K_CTR ? rrange(3, 300) : 0;
}

static void stream_close(int k)
{
	Stream *s = &streams[k];
	gz_close(&s->g);
}

/* one record into the current object of kind k (not the flow log kinds) */
static void stream_put(int k, const char *rec, size_t len)
{
	Stream *s = &streams[k];
	if (s->g.open && s->hour != cur_hour)
		stream_close(k);
	if (!s->g.open)
	{
		if (s->hour != cur_hour)
			s->objidx = 0;
		stream_open(k);
	}
	gz_write(&s->g, rec, len);
	if (k == K_CEV || k == K_CASE)
		gz_write(&s->g, "\n", 1);	/* NDJSON */
	if (s->member_target && ++s->in_member >= s->member_target)
	{
		/* CTR objects: several gzip members back to back */
		gz_end_member(&s->g);
		s->in_member = 0;
		s->member_target = rrange(3, 300);
	}
	if (s->g.raw >= object_limit)
		stream_close(k);
}

/* flow logs, subscription layout: logEvents batched per log stream into
 * envelopes, one gzip member per envelope */
#define NLOGSTREAMS 4
static Buf fbatch[NLOGSTREAMS];
static int fbatch_n[NLOGSTREAMS];
static int fbatch_max = 40;
static char aws_account[13], region[] = "eu-west-2", instance_id[37], instance_arn[128];
static const char *alias = "energyco-contact";
static char log_stream[NLOGSTREAMS][64];
static Buf envbuf;

static void fsub_member(const char *p, size_t n)
{
	Stream *s = &streams[K_FSUB];
	if (s->g.open && s->hour != cur_hour)
		stream_close(K_FSUB);
	if (!s->g.open)
	{
		if (s->hour != cur_hour)
			s->objidx = 0;
		stream_open(K_FSUB);
	}
	gz_write(&s->g, p, n);
	gz_end_member(&s->g);
	if (s->g.raw >= object_limit)
		stream_close(K_FSUB);
}

static void fsub_flush(int ls)
{
	if (!fbatch_n[ls])
		return;
	Buf *b = &envbuf;
	b->n = 0;
	BL(b, "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"");
	bs(b, aws_account);
	BL(b, "\",\"logGroup\":\"/aws/connect/");
	bs(b, alias);
	BL(b, "\",\"logStream\":\"");
	bs(b, log_stream[ls]);
	BL(b, "\",\"subscriptionFilters\":[\"connect-flowlogs-to-firehose\"],\"logEvents\":[");
	bmem(b, fbatch[ls].p, fbatch[ls].n);
	BL(b, "]}");
	fsub_member(b->p, b->n);
	fbatch[ls].n = 0;
	fbatch_n[ls] = 0;
}

static void fsub_add(int ls, const char *ev, size_t n)
{
	if (fbatch_n[ls])
		bc(&fbatch[ls], ',');
	bmem(&fbatch[ls], ev, n);
	if (++fbatch_n[ls] >= fbatch_max)
		fsub_flush(ls);
}

static uint64_t control_messages;

static void fsub_control(int64_t t)
{
	Buf *b = &envbuf;
	b->n = 0;
	BL(b, "{\"messageType\":\"CONTROL_MESSAGE\",\"owner\":\"CloudwatchLogs\",\"logGroup\":\"\",\"logStream\":\"\","
	   "\"subscriptionFilters\":[],\"logEvents\":[{\"id\":\"\",\"timestamp\":");
	bint(b, t);
	BL(b, ",\"message\":\"CWL CONTROL MESSAGE: Checking health of destination Firehose.\"}]}");
	fsub_member(b->p, b->n);
	control_messages++;
}

/* flow logs, CloudWatch export layout: <taskId>/<logStream>/000000.gz per day */
static Gz fexp[NLOGSTREAMS];
static int fexp_part[NLOGSTREAMS];
static int64_t fexp_day = INT64_MIN;
static char fexp_task[37];

static void fexp_close_all(void)
{
	for (int i = 0; i < NLOGSTREAMS; i++)
		gz_close(&fexp[i]);
}

static void fexp_put(int ls, const char *line, size_t n)
{
	int64_t day = floordiv(cur_hour * MS_H, MS_D);
	if (day != fexp_day)
	{
		fexp_close_all();
		fexp_day = day;
		ruuid(fexp_task);
		memset(fexp_part, 0, sizeof fexp_part);
	}
	Gz *g = &fexp[ls];
	if (g->open && g->raw >= object_limit)
	{
		gz_close(g);
		fexp_part[ls]++;
	}
	if (!g->open)
	{
		char path[1400];
		snprintf(path, sizeof path, "%s/%s/%s/%s/%06d.gz", out_dir, kind_dir[K_FEXP], fexp_task,
				 log_stream[ls], fexp_part[ls]);
		gz_open(g, path, ctr_only);
		streams[K_FEXP].files += !ctr_only;
	}
	gz_write(g, line, n);
}

static void deliver(int k, int sub, const char *rec, size_t n)
{
	switch (k)
	{
		case K_FSUB:
			fsub_add(sub, rec, n);
			break;
		case K_FEXP:
			fexp_put(sub, rec, n);
			break;
		default:
			stream_put(k, rec, n);
	}
}

/* -------------------------------------------------- records of later hours */

#define RING 512				/* hours a record may wait (~21 days) */
static Buf pend[NK][RING];
static uint64_t pending_n;

static void emit(int k, int sub, int64_t t, const char *rec, size_t n)
{
	int64_t h = floordiv(t, MS_H);
	if (h <= cur_hour)
	{
		deliver(k, sub, rec, n);
		return;
	}
	if (h - cur_hour >= RING)
		h = cur_hour + RING - 1;
	Buf *b = &pend[k][h % RING];
	uint32_t len = (uint32_t) n;
	unsigned char sb = (unsigned char) sub;
	bmem(b, &len, 4);
	bmem(b, &sb, 1);
	bmem(b, rec, n);
	pending_n++;
}

static void flush_pending(void)
{
	for (int k = 0; k < NK; k++)
	{
		Buf *b = &pend[k][cur_hour % RING];
		size_t o = 0;
		while (o < b->n)
		{
			uint32_t len;
			memcpy(&len, b->p + o, 4);
			int sub = (unsigned char) b->p[o + 4];
			deliver(k, sub, b->p + o + 5, len);
			o += 5 + len;
			pending_n--;
		}
		/* keep memory to what is actually waiting */
		free(b->p);
		b->p = NULL;
		b->n = b->cap = 0;
	}
}

static void end_hour(void)
{
	for (int i = 0; i < NLOGSTREAMS; i++)
		fsub_flush(i);
	for (int k = 0; k < NK; k++)
		if (k != K_FEXP)
			stream_close(k);
}

/* ------------------------------------------------------------------- world */

enum
{
	CH_VOICE, CH_CHAT, CH_TASK, CH_EMAIL, NCH
};
static const char *const ch_name[NCH] = {"VOICE", "CHAT", "TASK", "EMAIL"};

/* intents: what the customer called about; each routes to one queue and
 * carries its own Level 1-3 case categories */
#define NINTENT 10
typedef struct
{
	const char *key, *queue, *renamed, *l1, *l2[2], *l3[2][3], *csubj;
	int			weight;
} Intent;

static const Intent intents[NINTENT] = {
	{"billing", "Billing", NULL, "Billing", {"Bill Query", "Refunds"},
	 {{"High bill", "Estimated bill", "Bill not received"}, {"Credit balance refund", "Overpayment", "Refund delay"}}, "Billing", 22},
	{"payments", "Payments", NULL, "Payments", {"Direct Debit", "Debt"},
	 {{"Change amount", "New Direct Debit", "Missed payment"}, {"Payment plan", "Arrears", "Debt collection"}}, "Payments", 15},
	{"moving_home", "Moving Home", NULL, "Account Management", {"Move In", "Move Out"},
	 {{"New occupier", "Opening reading", "Tariff setup"}, {"Closing reading", "Final bill", "Forwarding address"}}, "Customer Service", 10},
	{"meter_reading", "Meter Readings", NULL, "Metering", {"Meter Reading", "Meter Exchange"},
	 {{"Submit reading", "Reading dispute", "Estimated reading"}, {"Faulty meter", "Meter upgrade", "Access issue"}}, "Metering", 10},
	{"smart_meter", "Smart Meters", "Smart Metering", "Metering", {"Smart Install", "Smart Fault"},
	 {{"Book installation", "Installation failed", "Reschedule"}, {"No readings", "In-home display", "Prepay smart top-up"}}, "Smart Meter", 10},
	{"tariff", "Tariffs", "Tariffs and Renewals", "Sales", {"Tariff", "Switching"},
	 {{"Renewal", "Switch tariff", "Fixed term ending"}, {"Switch away", "Switch in", "Objection"}}, "Switching", 8},
	{"complaint", "Complaints", NULL, "Complaint", {"Service", "Billing Complaint"},
	 {{"Call handling", "Delay", "Staff conduct"}, {"Incorrect bill", "Back billing", "Charges dispute"}}, "Customer Service", 5},
	{"priority_services", "Priority Services", NULL, "Account Management", {"Priority Services Register", "Vulnerability"},
	 {{"Add to PSR", "Update needs", "Remove from PSR"}, {"Financial hardship", "Medical equipment", "Accessibility"}}, "Customer Service", 4},
	{"emergency", "Emergencies", NULL, "Supply", {"Loss of Supply", "Safety"},
	 {{"No electricity", "No gas", "Prepay emergency credit"}, {"Gas leak referral", "Meter damage", "Power cut"}}, "Supply", 3},
	{"general", "General Enquiries", NULL, "General", {"Account Details", "Information"},
	 {{"Change of name", "Contact details", "Password reset"}, {"Opening hours", "Website help", "Other"}}, "Customer Service", 13},
};

/* queues: the ten intent queues, then Outbound and Back Office */
#define Q_OUTBOUND 10
#define Q_BACKOFFICE 11
#define NQUEUE 12
typedef struct
{
	char		id[37], arn[160];
	const char *name, *renamed;
} Queue;
static Queue queues[NQUEUE];
static int64_t rename_at;		/* renamed queues carry their new name from here */
/* the voice flow's second version: a new welcome prompt block from here, and
 * the lookup Lambda failing for one voice contact in ten after it */
static int64_t flow_v2_at, flow_v2_first = INT64_MAX;

static const char *queue_name(int q, int64_t t)
{
	return (queues[q].renamed && t >= rename_at) ? queues[q].renamed : queues[q].name;
}

#define NPROFILE 6
typedef struct
{
	char		id[37], arn[160];
	const char *name;
	int			nq, q[6], chat, email, task;
} Profile;
static Profile profiles[NPROFILE];
static const struct
{
	const char *name;
	int			q[6], nq, chat, email, task;
}			profile_def[NPROFILE] = {
	{"Billing and Payments", {0, 1, 9, Q_OUTBOUND}, 4, 1, 0, 0},
	{"Metering", {3, 4, 9, Q_OUTBOUND}, 4, 1, 0, 0},
	{"Home Moves and Sales", {2, 5, 9, Q_OUTBOUND}, 4, 1, 0, 0},
	{"Complaints and Priority", {6, 7, 8, Q_OUTBOUND}, 4, 0, 1, 1},
	{"Digital", {0, 1, 2, 3, 9, Q_BACKOFFICE}, 6, 3, 1, 1},
	{"Generalist", {0, 1, 2, 3, 8, 9}, 6, 1, 0, 1},
};

/* hierarchy: Level1 site, Level2 department, Level3 team */
#define NSITE 3
#define NDEPT 2
#define NTEAM 24
static const char *const site_name[NSITE] = {"Leeds", "Glasgow", "Remote"};
static const char *const dept_name[NDEPT] = {"Customer Service", "Specialist Teams"};
static char site_arn[NSITE][160], dept_arn[NSITE][NDEPT][160], team_arn[NTEAM][160];
static char team_name[NTEAM][48];

static const char *const first_names[] = {
	"Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Mia", "Arthur", "Ivy", "Muhammad", "Freya", "Leo",
	"Lily", "Harry", "Florence", "Oscar", "Sophia", "Archie", "Grace", "Jack", "Ella", "Charlie", "Evie", "Thomas",
	"Aisha", "Finn", "Poppy", "Rory", "Zara", "Callum", "Niamh", "Ewan", "Priya", "Kofi", "Siobhan", "Dylan",
	"Chloe", "Ravi", "Megan", "Owen"
};
static const char *const last_names[] = {
	"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
	"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Khan",
	"MacDonald", "Campbell", "Stewart", "Murray", "O'Neill", "Hughes", "Edwards", "Lewis", "Ahmed", "Kaur",
	"Morgan", "Price", "Reid", "Fraser", "Okafor", "Nowak", "Byrne", "Ali"
};
#define NFIRST ((int) (sizeof first_names / sizeof first_names[0]))
#define NLAST ((int) (sizeof last_names / sizeof last_names[0]))

typedef struct
{
	char		id[37], arn[160], username[80];
	const char *first, *last;
	int			profile, site, dept, team;
	int			shift_start;	/* local hour */
	int			rota;			/* 0: Monday-Friday, else rota offset 1..7 */
	int			device;
	int64_t		busy_until;
} Agent;
static Agent *agents;
static int nagents = 300;

/* agent statuses */
enum
{
	ST_AVAILABLE, ST_BREAK, ST_LUNCH, ST_TRAINING, ST_OFFLINE, NST
};
static const char *const st_name[NST] = {"Available", "Break", "Lunch", "Training", "Offline"};
static char st_arn[NST][160];

/* flows */
enum
{
	FL_VOICE, FL_CHAT, FL_TASK, FL_EMAIL, FL_XFER, FL_LOOKUP, NFLOW
};
static const char *const flow_name[NFLOW] = {
	"EnergyCo Inbound Voice", "EnergyCo Inbound Chat", "EnergyCo Task Routing", "EnergyCo Inbound Email",
	"EnergyCo Queue Transfer", "Customer Lookup (module)"
};
static char flow_arn[NFLOW][200];
static char lambda_lookup[200], lambda_case[200];

static char cases_domain[37], cases_template[37], cases_domain_arn[200];
static int64_t customers = 1000;
static char ctr_bucket[64];

/* Cases fields: system fields by name, custom fields by UUID */
enum
{
	F_LEVEL1, F_LEVEL2, F_LEVEL3, F_IS_COMPLAINT, F_C_STATUS, F_C_TYPE, F_C_SUBJECT, F_C_SUBJECT2,
	F_C_REASON, F_C_GOODWILL, F_C_RESOLVED, F_OMBUDSMAN, F_AGENT_NAME, F_QUEUE, F_ACCOUNT,
	F_REOPENED, F_ASSIGNED_USER, F_DESCRIPTION, F_ORIG_CREATED, NCUSTOM
};
static const struct
{
	const char *name, *type, *desc;
}			custom_def[NCUSTOM] = {
	{"Level 1", "SingleSelect", "Top-level category of the case"},
	{"Level 2", "SingleSelect", "Second-level category"},
	{"Level 3", "SingleSelect", "Third-level category"},
	{"Is Complaint", "Boolean", "The case is a complaint"},
	{"Complaint Status", "SingleSelect", "Where the complaint stands"},
	{"Complaint Type", "SingleSelect", "Kind of complaint"},
	{"Complaint Subject", "SingleSelect", "What the complaint is about"},
	{"Complaint Subject 2", "SingleSelect", "Secondary subject of the complaint"},
	{"Complaint Reason", "SingleSelect", "Why the customer complained"},
	{"Complaint Goodwill Amount", "Number", "Goodwill paid, GBP"},
	{"Complaint Resolved", "Boolean", "The complaint is resolved"},
	{"Ombudsman Case", "Boolean", "Referred to the Energy Ombudsman"},
	{"Assigned Agent Name", "Text", "Agent working the case"},
	{"Assigned Queue", "SingleSelect", "Queue working the case"},
	{"Account Number", "Text", "Customer account number"},
	{"Last Reopened Datetime", "DateTime", "When the case was last reopened"},
	{"Assigned User", "User", "Agent working the case (user)"},
	{"Description", "Text", "What the customer asked for"},
	{"Original Creation Date", "DateTime", "Creation date in the system the case was migrated from"},
};
static char custom_id[NCUSTOM][37];

static const char *const c_subjects[] = {
	"Billing", "Customer Service", "Metering", "Payments", "Smart Meter", "Switching", "Supply", "Debt"
};
#define NCSUBJ 8
static const char *const c_types[] = {"Expression of dissatisfaction", "Formal complaint"};
static const char *const c_reasons[] = {
	"Incorrect information", "Delay in resolution", "Poor communication", "Charges disputed",
	"Appointment missed", "Staff attitude"
};
#define NCREASON 6
static const char *const c_statuses[] = {"Received", "Investigating", "Resolved", "Deadlock"};

static void arn_of(char *out, size_t n, const char *what, const char *id)
{
	size_t a = strlen(instance_arn), b = strlen(what), c = strlen(id);
	if (a + b + c + 3 > n)
		die("ARN too long");
	memcpy(out, instance_arn, a);
	out[a] = '/';
	memcpy(out + a + 1, what, b);
	out[a + 1 + b] = '/';
	memcpy(out + a + b + 2, id, c + 1);
}

static void setup_world(int64_t start_ms, int days)
{
	snprintf(aws_account, sizeof aws_account, "%012llu", (unsigned long long) (rnd() % 900000000000ULL + 100000000000ULL));
	ruuid(instance_id);
	snprintf(instance_arn, sizeof instance_arn, "arn:aws:connect:%s:%s:instance/%s", region, aws_account, instance_id);
	snprintf(ctr_bucket, sizeof ctr_bucket, "amazon-connect-%012llx", (unsigned long long) (rnd() & 0xffffffffffffULL));
	for (int i = 0; i < NLOGSTREAMS; i++)
		snprintf(log_stream[i], sizeof log_stream[i], "%s_%d", instance_id, i);
	for (int q = 0; q < NQUEUE; q++)
	{
		ruuid(queues[q].id);
		arn_of(queues[q].arn, sizeof queues[q].arn, "queue", queues[q].id);
		if (q < NINTENT)
		{
			queues[q].name = intents[q].queue;
			queues[q].renamed = intents[q].renamed;
		}
		else
			queues[q].name = q == Q_OUTBOUND ? "Outbound" : "Back Office";
	}
	rename_at = start_ms + (int64_t) (days / 2) * MS_D + 9 * MS_H;
	flow_v2_at = start_ms + (int64_t) (days / 2) * MS_D + 14 * MS_H;
	for (int p = 0; p < NPROFILE; p++)
	{
		ruuid(profiles[p].id);
		arn_of(profiles[p].arn, sizeof profiles[p].arn, "routing-profile", profiles[p].id);
		profiles[p].name = profile_def[p].name;
		profiles[p].nq = profile_def[p].nq;
		memcpy(profiles[p].q, profile_def[p].q, sizeof profiles[p].q);
		profiles[p].chat = profile_def[p].chat;
		profiles[p].email = profile_def[p].email;
		profiles[p].task = profile_def[p].task;
	}
	char id[37];
	for (int s = 0; s < NSITE; s++)
	{
		ruuid(id);
		arn_of(site_arn[s], sizeof site_arn[s], "agent-group", id);
		for (int d = 0; d < NDEPT; d++)
		{
			ruuid(id);
			arn_of(dept_arn[s][d], sizeof dept_arn[s][d], "agent-group", id);
		}
	}
	for (int t = 0; t < NTEAM; t++)
	{
		ruuid(id);
		arn_of(team_arn[t], sizeof team_arn[t], "agent-group", id);
		snprintf(team_name[t], sizeof team_name[t], "%s Team %d", site_name[t % NSITE], t / NSITE + 1);
	}
	for (int s = 0; s < NST; s++)
	{
		ruuid(id);
		arn_of(st_arn[s], sizeof st_arn[s], "agent-state", id);
	}
	for (int f = 0; f < NFLOW; f++)
	{
		ruuid(id);
		arn_of(flow_arn[f], sizeof flow_arn[f], f == FL_LOOKUP ? "flow-module" : "contact-flow", id);
	}
	snprintf(lambda_lookup, sizeof lambda_lookup, "arn:aws:lambda:%s:%s:function:energyco-customer-lookup", region, aws_account);
	snprintf(lambda_case, sizeof lambda_case, "arn:aws:lambda:%s:%s:function:energyco-case-manager", region, aws_account);
	ruuid(cases_domain);
	ruuid(cases_template);
	snprintf(cases_domain_arn, sizeof cases_domain_arn, "arn:aws:cases:%s:%s:domain/%s", region, aws_account, cases_domain);
	/* custom field ids do not depend on the seed: one field map fits every data set */
	for (int f = 0; f < NCUSTOM; f++)
		kuuid(custom_id[f], 0xf1e1d000ULL + (uint64_t) f);

	agents = xmalloc(sizeof(Agent) * (size_t) nagents);
	static const int shift_w[] = {3, 10, 14, 12, 8, 6, 6, 2};	/* 7..14 local, 22 night */
	static const int shift_h[] = {7, 8, 9, 10, 11, 12, 14, 22};
	for (int a = 0; a < nagents; a++)
	{
		Agent *ag = &agents[a];
		memset(ag, 0, sizeof *ag);
		ruuid(ag->id);
		arn_of(ag->arn, sizeof ag->arn, "agent", ag->id);
		ag->first = first_names[rbelow(NFIRST)];
		ag->last = last_names[rbelow(NLAST)];
		char ln[32];
		int j = 0;
		for (const char *c = ag->last; *c && j < 30; c++)
			if (*c != '\'')
				ln[j++] = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		ln[j] = 0;
		{
			char fn[32];
			j = 0;
			for (const char *c = ag->first; *c && j < 30; c++)
				fn[j++] = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			fn[j] = 0;
			snprintf(ag->username, sizeof ag->username, "%s.%s%d", fn, ln, a % 97);
		}
		static const int prof_w[NPROFILE] = {26, 18, 16, 10, 18, 12};
		ag->profile = rpick(prof_w, NPROFILE);
		ag->site = (int) rbelow(NSITE);
		ag->dept = ag->profile == 3 ? 1 : (rchance(0.15) ? 1 : 0);
		ag->team = (int) (rbelow(NTEAM / NSITE) * NSITE + (uint32_t) ag->site);
		int si = rpick(shift_w, 8);
		ag->shift_start = shift_h[si];
		ag->rota = rchance(0.35) ? rrange(1, 7) : 0;
		if (si == 7)
			ag->rota = rrange(1, 7);
		ag->device = (int) rbelow(3);
	}
}

/* is agent a working a shift that starts on local day `day` */
static int works_day(const Agent *ag, int64_t day)
{
	int w = iso_wday(day);
	if (!ag->rota)
		return w <= 5;
	/* rota: two consecutive days off, offset per agent */
	int k = (int) ((day + ag->rota) % 7);
	if (k < 0)
		k += 7;
	return k >= 2;
}

/* UTC start of agent a's shift on local day `day` */
static int64_t shift_start_utc(const Agent *ag, int64_t day)
{
	int64_t local = day * MS_D + ag->shift_start * MS_H;
	return local - london_offset(local - MS_H);
}

static int on_shift(const Agent *ag, int64_t t)
{
	int64_t lday = floordiv(london(t), MS_D);
	for (int64_t d = lday - 1; d <= lday; d++)
	{
		if (!works_day(ag, d))
			continue;
		int64_t s = shift_start_utc(ag, d);
		if (t >= s && t < s + 8 * MS_H + 30 * 60000)
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- counters */

static int64_t start_ms, end_ms;
static uint64_t gen_seed;
static int heartbeat_secs = 3600;
static int export_pct = 20;

static uint64_t n_contacts, n_transfers, n_redeliveries, n_duplicates, n_ctr_written;
static uint64_t ch_contacts[NCH], ch_handled[NCH], ch_abandoned[NCH], ch_handle_secs[NCH];
static uint64_t n_queued, n_abandoned, n_ivr_only;
/* flow traps: IVR contacts hanging up at the menu, voice Lambda errors and
 * voice contacts that ran the lookup, before and after the voice flow's second version */
static uint64_t n_ivr_hangup, n_voice_lookup[2], n_voice_lambda_err[2];

enum
{
	CE_INITIATED, CE_CONNECTED_TO_SYSTEM, CE_CONTACT_DATA_UPDATED, CE_QUEUED, CE_CONNECTED_TO_AGENT,
	CE_DISCONNECTED, CE_COMPLETED, CE_PAUSED, CE_RESUMED, NCE
};
static const char *const ce_name[NCE] = {
	"INITIATED", "CONNECTED_TO_SYSTEM", "CONTACT_DATA_UPDATED", "QUEUED", "CONNECTED_TO_AGENT",
	"DISCONNECTED", "COMPLETED", "PAUSED", "RESUMED"
};
static uint64_t n_ce[NCE], n_ce_legacy;

static uint64_t n_flow_sub, n_flow_exp, n_flow_contacts_sub, n_flow_contacts_exp, n_lambda_err;

enum
{
	AE_LOGIN, AE_LOGOUT, AE_STATE_CHANGE, AE_HEART_BEAT, NAE
};
static const char *const ae_name[NAE] = {"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"};
static uint64_t n_ae[NAE];

enum
{
	KE_CREATED, KE_UPDATED, KE_DELETED, KE_RELATED, NKE
};
static const char *const ke_name[NKE] = {"CASE.CREATED", "CASE.UPDATED", "CASE.DELETED", "RELATED_ITEM.CREATED"};
static uint64_t n_ke[NKE], n_cases, n_cases_deleted, n_cases_closed_events, n_reopened;
static int64_t n_open;
static uint64_t n_complaints, n_complaints_subj[NCSUBJ];
static uint64_t *cases_per_day;	/* by Europe/London day, from the day of start_ms */
static int64_t cases_day0;
static int ncases_days;
static int64_t l1_window_start;
static const char *l1_names[NINTENT];
static int nl1;
static uint64_t l1_counts[NINTENT];

/* malformed */
enum
{
	M_CTR_NUMBER, M_CTR_JSON, M_FLOW_TS, M_CEV_JSON, M_CASE_JSON, M_AGENT_JSON, NM
};
static const char *const m_kind[NM] = {"ctr", "ctr", "contact_flow_log", "contact_event", "case_event", "agent_event"};
static const char *const m_defect[NM] = {
	"ctr_string_for_number", "ctr_invalid_json", "flowlog_timestamp_without_seconds",
	"contact_event_invalid_json", "case_event_invalid_json", "agent_event_invalid_json"
};
static uint64_t n_mal[NM], n_malformed_req;

/* first and last event time written per kind */
static int64_t tfirst[NK], tlast[NK];

static inline void seen(int k, int64_t t)
{
	if (!tfirst[k] || t < tfirst[k])
		tfirst[k] = t;
	if (t > tlast[k])
		tlast[k] = t;
}

/* ---------------------------------------------------------------- contacts */

enum
{
	M_INBOUND, M_OUTBOUND, M_TRANSFER, M_CALLBACK, M_API, M_QUEUE_TRANSFER
};
static const char *const method_name[] = {"INBOUND", "OUTBOUND", "TRANSFER", "CALLBACK", "API", "QUEUE_TRANSFER"};

/* O_CALLBACK: left the queue asking for a queued callback (a CALLBACK leg
 * follows); O_QUEUE_XFER: moved to another queue by the queue's flow (a
 * QUEUE_TRANSFER leg follows) */
enum
{
	O_HANDLED, O_ABANDONED, O_IVR, O_EXPIRED, O_CALLBACK, O_QUEUE_XFER
};

typedef struct
{
	char		id[37], prev[37], next[37], initial[37], related[37];
	int			ch, method, outcome, intent, queue, agent, welsh;
	int64_t		t0, tenq, tdeq, tconn, tdisc, tacw1, tlast;
	int			ivr, qwait, talk, hold, nholds, longest, acw;
	int			qdelay;			/* a callback leg's initial delay: in Queue.Duration, before EnqueueTimestamp */
	int			xfer_ext;		/* the agent transferred the call out of Connect (TransferCompletedTimestamp) */
	const char *disc;
	int64_t		cust;
	int			identified, two_acct, authenticated, business, vulnerable;
	int			csat_a, csat_r, csat_late;
	int			case_idx;		/* -1 none */
	char		case_id[37];
	int			lstream, fexport, lambda_err, old_style, notes_nl, greeting_dup, has_junifer;
	int			xfer_depth, transferred;
	int			ivr_hangup;		/* an IVR-only contact that hung up at the menu */
	uint64_t	hh;			/* per-contact hash for decisions made in several places */
} Contact;

static Buf rec, rec2, msg, line;

static void acct_str(char *o, int64_t cust, int second)
{
	sprintf(o, "%08lld", (long long) (40000000 + cust + (second ? customers : 0)));
}

static void profile_hex(char *o, int64_t cust)
{
	sprintf(o, "%016llx%016llx", (unsigned long long) mix64((uint64_t) cust ^ 0xabcdef),
			(unsigned long long) mix64((uint64_t) cust + 0x1234567));
}

static void contact_arn(char *o, size_t n, const char *id)
{
	snprintf(o, n, "%s/contact/%s", instance_arn, id);
}

/* the agent's hierarchy as CTR HierarchyGroups */
static void b_ctr_hier(Buf *b, const Agent *ag)
{
	BL(b, "{\"Level1\":{\"ARN\":\"");
	bs(b, site_arn[ag->site]);
	BL(b, "\",\"GroupName\":\"");
	bs(b, site_name[ag->site]);
	BL(b, "\"},\"Level2\":{\"ARN\":\"");
	bs(b, dept_arn[ag->site][ag->dept]);
	BL(b, "\",\"GroupName\":\"");
	bs(b, dept_name[ag->dept]);
	BL(b, "\"},\"Level3\":{\"ARN\":\"");
	bs(b, team_arn[ag->team]);
	BL(b, "\",\"GroupName\":\"");
	bs(b, team_name[ag->team]);
	BL(b, "\"},\"Level4\":null,\"Level5\":null}");
}

static void b_kv(Buf *b, int *first, const char *k, const char *v)
{
	if (!*first)
		bc(b, ',');
	*first = 0;
	bq(b, k);
	bc(b, ':');
	bq(b, v);
}

/* Attributes, keys in byte order as Connect writes them */
static void b_attributes(Buf *b, const Contact *c, int version)
{
	char t[64];
	int f = 1;
	bc(b, '{');
	if (c->greeting_dup)
		b_kv(b, &f, "GreetingPlayed", "True");
	if (c->identified)
	{
		char a1[24], a2[24];
		acct_str(a1, c->cust, 0);
		if (c->two_acct)
		{
			acct_str(a2, c->cust, 1);
			snprintf(t, sizeof t, "%s,%s", a1, a2);
			b_kv(b, &f, "accountNumbers", t);
		}
		else
			b_kv(b, &f, "accountNumbers", a1);
	}
	if (c->ch != CH_TASK)
		b_kv(b, &f, "authenticated", c->authenticated ? "true" : "false");
	if (c->case_idx >= 0)
		b_kv(b, &f, "caseId", c->case_id);
	if (c->csat_a && (!c->csat_late || version > 1))
	{
		t[0] = (char) ('0' + c->csat_a);
		t[1] = 0;
		b_kv(b, &f, "csatResults.agentRating", t);
		t[0] = (char) ('0' + c->csat_r);
		b_kv(b, &f, "csatResults.resolutionRating", t);
	}
	b_kv(b, &f, "customerType", c->business ? "Business" : "Domestic");
	if (c->ch == CH_VOICE && c->method != M_OUTBOUND)
		b_kv(b, &f, "greetingPlayed", "true");
	b_kv(b, &f, "intent", intents[c->intent].key);
	if (c->ch == CH_VOICE && c->method == M_INBOUND)
	{
		snprintf(t, sizeof t, "%d>%d", 1 + c->intent % 4, 1 + c->intent / 4);
		b_kv(b, &f, "ivrPath", t);
	}
	if (c->identified && c->has_junifer)
	{
		snprintf(t, sizeof t, "%lld", (long long) (2000000 + c->cust));
		b_kv(b, &f, "juniferId", t);
	}
	b_kv(b, &f, "language", c->welsh ? "cy-GB" : "en-GB");
	if (c->notes_nl)
		b_kv(b, &f, "notes", "Customer asked for a call back\nPrefers mornings");
	if (version > 1)
		b_kv(b, &f, "postCallUpdate", c->csat_late ? "surveyCompleted" : "wrapUpAmended");
	b_kv(b, &f, "vulnerable", c->vulnerable ? "Yes" : "None");
	bc(b, '}');
}

static const char *const dev_os[] = {"Windows 10", "Windows 11", "macOS"};
static const char *const dev_pv[] = {"129.0.6668.90", "130.0.6723.70", "131.0.6778.86"};

/* one CTR version into b */
static void b_ctr(Buf *b, const Contact *c, int version, int64_t last_update)
{
	const Agent *ag = c->agent >= 0 ? &agents[c->agent] : NULL;
	char t[256];
	b->n = 0;
	BL(b, "{\"AWSAccountId\":\"");
	bs(b, aws_account);
	BL(b, "\",\"AWSContactTraceRecordFormatVersion\":\"2017-03-10\",");
	if (c->ch == CH_EMAIL && !c->old_style)
		BL(b, "\"AdditionalEmailRecipients\":null,");
	BL(b, "\"Agent\":");
	if (!ag)
		BL(b, "null");
	else
	{
		BL(b, "{\"ARN\":\"");
		bs(b, ag->arn);
		BL(b, "\",\"AcceptedByAgentTimestamp\":");
		if (c->ch == CH_CHAT || c->ch == CH_TASK)
			bts(b, c->tconn);
		else
			BL(b, "null");
		BL(b, ",\"AfterContactWorkDuration\":");
		bint(b, c->acw);
		BL(b, ",\"AfterContactWorkEndTimestamp\":");
		bts(b, c->tacw1);
		BL(b, ",\"AfterContactWorkStartTimestamp\":");
		bts(b, c->tdisc);
		BL(b, ",\"AgentInitiatedHoldDuration\":");
		bint(b, c->hold);
		BL(b, ",\"AgentInteractionDuration\":");
		bint(b, c->talk);
		BL(b, ",\"AgentPauseDuration\":0,\"ConnectedToAgentTimestamp\":");
		bts(b, c->tconn);
		BL(b, ",\"CustomerHoldDuration\":");
		bint(b, c->hold);
		BL(b, ",\"DeviceInfo\":{\"OperatingSystem\":\"");
		bs(b, dev_os[ag->device]);
		BL(b, "\",\"PlatformName\":\"Chrome\",\"PlatformVersion\":\"");
		bs(b, dev_pv[ag->device]);
		BL(b, "\"},\"HierarchyGroups\":");
		b_ctr_hier(b, ag);
		BL(b, ",\"LongestHoldDuration\":");
		bint(b, c->longest);
		BL(b, ",\"NumberOfHolds\":");
		bint(b, c->nholds);
		BL(b, ",\"PreviewEndTimestamp\":null,\"RoutingProfile\":{\"ARN\":\"");
		bs(b, profiles[ag->profile].arn);
		BL(b, "\",\"Name\":\"");
		bs(b, profiles[ag->profile].name);
		BL(b, "\"},\"Username\":\"");
		bs(b, ag->username);
		BL(b, "\"}");
	}
	BL(b, ",\"AgentConnectionAttempts\":");
	bint(b, ag ? 1 : (c->outcome == O_ABANDONED && (c->hh >> 16) % 10 == 0));
	BL(b, ",\"AnsweringMachineDetectionStatus\":null,\"Attributes\":");
	b_attributes(b, c, version);
	if (!c->old_style)
		BL(b, ",\"Campaign\":{\"CampaignId\":null}");
	BL(b, ",\"Channel\":\"");
	bs(b, ch_name[c->ch]);
	BL(b, "\"");
	if (c->ch == CH_CHAT && ag)
	{
		int msgs = 6 + (int) (c->talk / 45);
		BL(b, ",\"ChatMetrics\":{\"AgentMetrics\":{\"ConversationAbandon\":false,\"MessageLengthInChars\":");
		bint(b, msgs * 55);
		BL(b, ",\"MessagesSent\":");
		bint(b, msgs / 2);
		BL(b, ",\"NumResponses\":");
		bint(b, msgs / 2);
		BL(b, ",\"ParticipantType\":\"AGENT\",\"TotalResponseTimeInMillis\":");
		bint(b, (int64_t) msgs * 21000);
		BL(b, "},\"ChatContactMetrics\":{\"AgentFirstResponseTimeInMillis\":");
		bint(b, 4000 + c->talk * 10);
		BL(b, ",\"ConversationCloseTimeInMillis\":");
		bint(b, (int64_t) c->talk * 1000);
		BL(b, ",\"ConversationTurnCount\":");
		bint(b, msgs / 2);
		BL(b, ",\"MultiParty\":false,\"TotalBotMessageLengthInChars\":180,\"TotalBotMessages\":3,\"TotalMessages\":");
		bint(b, msgs + 3);
		BL(b, "},\"CustomerMetrics\":{\"ConversationAbandon\":false,\"MessageLengthInChars\":");
		bint(b, msgs * 40);
		BL(b, ",\"MessagesSent\":");
		bint(b, msgs - msgs / 2);
		BL(b, ",\"ParticipantType\":\"CUSTOMER\"}}");
	}
	BL(b, ",\"ConnectedToSystemTimestamp\":");
	if (c->method == M_OUTBOUND)
		bts(b, c->tconn);
	else
		bts(b, c->t0);
	if (!c->old_style)
	{
		BL(b, ",\"ContactDetails\":{}");
	}
	BL(b, ",\"ContactId\":\"");
	bs(b, c->id);
	BL(b, "\",\"CustomerEndpoint\":");
	if (c->ch == CH_VOICE)
	{
		BL(b, "{\"Address\":\"+4477009");
		snprintf(t, sizeof t, "%05lld", (long long) ((c->cust * 7919) % 100000));
		bs(b, t);
		BL(b, "\",\"Type\":\"TELEPHONE_NUMBER\"}");
	}
	else if (c->ch == CH_EMAIL)
	{
		snprintf(t, sizeof t, "{\"Address\":\"customer%lld@example.com\",\"Type\":\"EMAIL_ADDRESS\"}", (long long) c->cust);
		bs(b, t);
	}
	else
		BL(b, "null");
	if (c->ch == CH_VOICE && ag && c->method != M_OUTBOUND)
	{
		BL(b, ",\"CustomerVoiceActivity\":{\"GreetingEndTimestamp\":");
		btsm(b, c->tconn + 2600 + (c->t0 % 900));
		BL(b, ",\"GreetingStartTimestamp\":");
		btsm(b, c->tconn + 400 + (c->t0 % 300));
		BL(b, "}");
	}
	if (c->ch == CH_TASK)
	{
		BL(b, ",\"Description\":\"Follow up: ");
		bs(b, intents[c->intent].l1);
		BL(b, " request raised online\"");
	}
	if (!c->old_style)
	{
		BL(b, ",\"DisconnectReason\":");
		bq(b, c->disc);
	}
	BL(b, ",\"DisconnectTimestamp\":");
	bts(b, c->tdisc);
	BL(b, ",\"InitialContactId\":");
	if (c->initial[0])
		bq(b, c->initial);
	else
		BL(b, "null");
	BL(b, ",\"InitiationMethod\":\"");
	bs(b, method_name[c->method]);
	BL(b, "\",\"InitiationTimestamp\":");
	bts(b, c->t0);
	BL(b, ",\"InstanceARN\":\"");
	bs(b, instance_arn);
	BL(b, "\",\"LastUpdateTimestamp\":");
	bts(b, last_update);
	BL(b, ",\"MediaStreams\":[{\"Type\":\"");
	bs(b, c->ch == CH_VOICE ? "AUDIO" : c->ch == CH_CHAT ? "CHAT" : c->ch == CH_TASK ? "TASK" : "EMAIL");
	BL(b, "\"}]");
	if (c->ch == CH_TASK)
	{
		BL(b, ",\"Name\":\"");
		bs(b, intents[c->intent].l2[0]);
		BL(b, " follow-up\"");
	}
	BL(b, ",\"NextContactId\":");
	if (c->next[0])
		bq(b, c->next);
	else
		BL(b, "null");
	BL(b, ",\"PreviousContactId\":");
	if (c->prev[0])
		bq(b, c->prev);
	else
		BL(b, "null");
	if (c->ch == CH_VOICE && ag && !c->old_style)
	{
		int qa = 380 + (int) ((c->hh >> 3) % 120), qc = 300 + (int) ((c->hh >> 13) % 190);
		snprintf(t, sizeof t, ",\"QualityMetrics\":{\"Agent\":{\"Audio\":{\"PotentialQualityIssues\":[],\"QualityScore\":%d.%02d}},"
				 "\"Customer\":{\"Audio\":{\"PotentialQualityIssues\":[%s],\"QualityScore\":%d.%02d}}}",
				 qa / 100, qa % 100, qc < 330 ? "\"HighPacketLoss\"" : "", qc / 100, qc % 100);
		bs(b, t);
	}
	BL(b, ",\"Queue\":");
	if (c->queue < 0)
		BL(b, "null");
	else
	{
		BL(b, "{\"ARN\":\"");
		bs(b, queues[c->queue].arn);
		BL(b, "\",\"DequeueTimestamp\":");
		if (c->method == M_OUTBOUND)
			BL(b, "null");
		else
			bts(b, c->tdeq);
		BL(b, ",\"Duration\":");
		bint(b, c->qwait + c->qdelay);
		BL(b, ",\"EnqueueTimestamp\":");
		if (c->method == M_OUTBOUND)
			BL(b, "null");
		else
			bts(b, c->tenq);
		BL(b, ",\"Name\":");
		bq(b, queue_name(c->queue, c->t0));
		BL(b, "}");
	}
	if (c->ch == CH_VOICE && ag)
	{
		char day[26];
		fmt_ts(day, c->tconn, 0);
		int kvs = (c->hh >> 8) % 97 == 0;	/* ~1%: Kinesis Video Streams recording */
		BL(b, ",\"Recording\":{\"DeletionReason\":null,\"Location\":\"");
		snprintf(t, sizeof t, "%s/connect/%s/CallRecordings/%.4s/%.2s/%.2s/%s_%.4s%.2s%.2sT%.2s:%.2s_UTC.wav",
				 ctr_bucket, alias, day, day + 5, day + 8, c->id, day, day + 5, day + 8, day + 11, day + 14);
		bs(b, t);
		BL(b, "\",\"Status\":\"AVAILABLE\",\"Type\":\"AUDIO\"},\"Recordings\":[{\"DeletionReason\":null,");
		if (kvs)
		{
			BL(b, "\"FragmentStartNumber\":\"91343852333181432392682062625742287357516484326\","
			   "\"FragmentStopNumber\":\"91343852333181432397633822764885441725874549018\",");
		}
		else
			BL(b, "\"FragmentStartNumber\":null,\"FragmentStopNumber\":null,");
		BL(b, "\"Location\":\"");
		bs(b, t);
		BL(b, "\",\"MediaStreamType\":\"AUDIO\",\"ParticipantType\":null,\"StartTimestamp\":");
		bts(b, c->tconn);
		BL(b, ",\"Status\":\"AVAILABLE\",\"StopTimestamp\":");
		bts(b, c->tdisc);
		BL(b, ",\"StorageType\":\"");
		bs(b, kvs ? "KINESIS_VIDEO_STREAM" : "S3");
		BL(b, "\"}]");
	}
	else
		BL(b, ",\"Recording\":null,\"Recordings\":null");
	if (!c->old_style)
	{
		if (c->ch == CH_TASK)
		{
			char a1[24];
			acct_str(a1, c->cust, 0);
			BL(b, ",\"References\":[{\"Name\":\"Account\",\"Status\":null,\"Type\":\"STRING\",\"Value\":\"");
			bs(b, a1);
			BL(b, "\"}");
			if (c->case_idx >= 0)
			{
				BL(b, ",{\"Name\":\"Case\",\"Status\":null,\"Type\":\"URL\",\"Value\":\"https://");
				bs(b, alias);
				BL(b, ".my.connect.aws/cases/");
				bs(b, c->case_id);
				BL(b, "\"}");
			}
			BL(b, "]");
		}
		else
			BL(b, ",\"References\":[]");
	}
	if (c->related[0])
	{
		BL(b, ",\"RelatedContactId\":");
		bq(b, c->related);
	}
	BL(b, ",\"ScheduledTimestamp\":null");
	if (!c->old_style)
	{
		BL(b, ",\"SegmentAttributes\":{\"connect:Subtype\":{\"ValueString\":\"connect:");
		bs(b, c->ch == CH_VOICE ? "Telephony" : c->ch == CH_CHAT ? "Chat" : c->ch == CH_TASK ? "Task" : "Email");
		BL(b, "\"}}");
	}
	BL(b, ",\"SystemEndpoint\":");
	if (c->ch == CH_VOICE)
		BL(b, "{\"Address\":\"+443300001234\",\"Type\":\"TELEPHONE_NUMBER\"}");
	else if (c->ch == CH_EMAIL)
		BL(b, "{\"Address\":\"help@energyco.example\",\"Type\":\"EMAIL_ADDRESS\"}");
	else
		BL(b, "null");
	BL(b, ",\"Tags\":{\"aws:connect:instanceId\":\"");
	bs(b, instance_id);
	BL(b, "\"}");
	if (c->ch == CH_TASK)
		BL(b, ",\"TotalPauseCount\":0,\"TotalPauseDurationInSeconds\":0");
	/* only a transfer out of Amazon Connect completes one (an agent's
	 * transfer to a quick connect is a TRANSFER leg instead) */
	BL(b, ",\"TransferCompletedTimestamp\":");
	if (c->xfer_ext)
	{
		bts(b, c->tdisc);
		snprintf(t, sizeof t, ",\"TransferredToEndpoint\":{\"Address\":\"+44161496%04d\",\"Type\":\"TELEPHONE_NUMBER\"}",
				 (int) ((c->hh >> 5) % 10000));
		bs(b, t);
	}
	else
		BL(b, "null,\"TransferredToEndpoint\":null");
	BL(b, ",\"VoiceIdResult\":null}");
}

/* ---------------------------------------------------------- contact events */

static void b_ce(Buf *b, const Contact *c, int type, int64_t t)
{
	const Agent *ag = c->agent >= 0 ? &agents[c->agent] : NULL;
	char id[37], carn[240];
	int legacy = (c->hh % 211) == 0;	/* ~0.5%: the older documentation shape */
	ruuid(id);
	contact_arn(carn, sizeof carn, c->id);
	b->n = 0;
	BL(b, "{\"version\":\"0\",\"id\":\"");
	bs(b, id);
	BL(b, "\",\"detail-type\":\"Amazon Connect Contact Event\",\"source\":\"aws.connect\",\"account\":\"");
	bs(b, aws_account);
	BL(b, "\",\"time\":");
	bts(b, t + 400);
	BL(b, ",\"region\":\"");
	bs(b, region);
	BL(b, "\",\"resources\":[\"");
	bs(b, instance_arn);
	BL(b, "\",\"");
	bs(b, carn);
	BL(b, "\"],\"detail\":{\"eventType\":\"");
	bs(b, ce_name[type]);
	BL(b, "\",\"contactId\":\"");
	bs(b, c->id);
	BL(b, "\"");
	if (c->initial[0])
	{
		BL(b, ",\"initialContactId\":\"");
		bs(b, c->initial);
		BL(b, "\"");
	}
	if (c->prev[0])
	{
		BL(b, ",\"previousContactId\":\"");
		bs(b, c->prev);
		BL(b, "\"");
	}
	if (c->related[0])
	{
		BL(b, ",\"relatedContactId\":\"");
		bs(b, c->related);
		BL(b, "\"");
	}
	BL(b, ",\"channel\":\"");
	if (legacy)
		bs(b, c->ch == CH_VOICE ? "Voice" : c->ch == CH_CHAT ? "Chat" : c->ch == CH_TASK ? "Task" : "Email");
	else
		bs(b, ch_name[c->ch]);
	bs(b, legacy ? "\",\"instanceARN\":\"" : "\",\"instanceArn\":\"");
	bs(b, instance_arn);
	BL(b, "\",\"initiationMethod\":\"");
	bs(b, method_name[c->method]);
	BL(b, "\",\"initiationTimestamp\":");
	btsm(b, c->t0);
	BL(b, ",\"connectedToSystemTimestamp\":");
	if (type == CE_INITIATED && c->ch != CH_VOICE)
		BL(b, "\"1970-01-01T00:00:00.001Z\"");
	else
		btsm(b, c->method == M_OUTBOUND ? c->tconn : c->t0 + 180);
	if (c->queue >= 0 && c->method != M_OUTBOUND && type != CE_INITIATED && type != CE_CONNECTED_TO_SYSTEM
		&& (type != CE_CONTACT_DATA_UPDATED || t >= c->tenq))
	{
		BL(b, ",\"queueInfo\":{\"queueArn\":\"");
		bs(b, queues[c->queue].arn);
		BL(b, "\",\"queueType\":\"STANDARD\",\"enqueueTimestamp\":");
		btsm(b, c->tenq);
		BL(b, "}");
	}
	if (ag && t >= c->tconn)
	{
		if (legacy)
		{
			BL(b, ",\"AgentInfo\":{\"AgentArn\":\"");
			bs(b, ag->arn);
			BL(b, "\",\"RoutingProfileArn\":\"");
			bs(b, profiles[ag->profile].arn);
			BL(b, "\"}");
		}
		else
		{
			BL(b, ",\"agentInfo\":{\"agentArn\":\"");
			bs(b, ag->arn);
			BL(b, "\",\"connectedToAgentTimestamp\":");
			btsm(b, c->tconn);
			BL(b, ",\"hierarchyGroups\":{\"level1\":{\"arn\":\"");
			bs(b, site_arn[ag->site]);
			BL(b, "\"},\"level2\":{\"arn\":\"");
			bs(b, dept_arn[ag->site][ag->dept]);
			BL(b, "\"},\"level3\":{\"arn\":\"");
			bs(b, team_arn[ag->team]);
			BL(b, "\"}}}");
		}
	}
	if (type == CE_DISCONNECTED || type == CE_COMPLETED)
	{
		BL(b, ",\"disconnectTimestamp\":");
		btsm(b, c->tdisc);
	}
	if (type == CE_CONTACT_DATA_UPDATED)
	{
		if (t < c->tenq - 1000 || c->queue < 0)
		{
			BL(b, ",\"updatedProperties\":[\"ContactLens.ConversationalAnalytics.Configuration\"],"
			   "\"contactLens\":{\"conversationalAnalytics\":{\"configuration\":{\"enabled\":true,"
			   "\"channelConfiguration\":{\"analyticsModes\":[\"PostContact\"]},\"languageLocale\":\"en-GB\","
			   "\"redactionConfiguration\":{\"behavior\":\"Enable\",\"policy\":\"RedactedAndOriginal\","
			   "\"entities\":[\"ADDRESS\",\"BANK_ACCOUNT_NUMBER\",\"CREDIT_DEBIT_NUMBER\"],\"maskMode\":\"EntityType\"}}}}");
		}
		else
			BL(b, ",\"updatedProperties\":[\"Tags\"]");
	}
	BL(b, ",\"tags\":{\"aws:connect:instanceId\":\"");
	bs(b, instance_id);
	BL(b, "\"");
	if (type == CE_CONTACT_DATA_UPDATED && !(t < c->tenq - 1000 || c->queue < 0))
	{
		BL(b, ",\"intent\":\"");
		bs(b, intents[c->intent].key);
		BL(b, "\"");
	}
	BL(b, "},\"segmentAttributes\":{\"connect:Subtype\":{\"ValueString\":\"connect:");
	bs(b, c->ch == CH_VOICE ? "Telephony" : c->ch == CH_CHAT ? "Chat" : c->ch == CH_TASK ? "Task" : "Email");
	BL(b, "\"}}}}");
	if (legacy)
		n_ce_legacy++;
}

static void ce(const Contact *c, int type, int64_t t)
{
	b_ce(&rec, c, type, t);
	emit(K_CEV, 0, t + 400, rec.p, rec.n);
	seen(K_CEV, t + 400);
	n_ce[type]++;
}

static void contact_events(const Contact *c)
{
	int flows = c->method != M_OUTBOUND;
	ce(c, CE_INITIATED, c->t0 + 35);
	ce(c, CE_CONNECTED_TO_SYSTEM, c->t0 + 180);
	if (flows && (c->ch == CH_VOICE || c->ch == CH_CHAT) && !c->prev[0])
		ce(c, CE_CONTACT_DATA_UPDATED, c->t0 + (c->ivr * 1000LL) / 3);
	if (c->queue >= 0 && c->method != M_OUTBOUND)
	{
		if (flows && (c->ch == CH_VOICE || c->ch == CH_CHAT) && !c->prev[0])
			ce(c, CE_CONTACT_DATA_UPDATED, c->tenq - 300);
		ce(c, CE_QUEUED, c->tenq + 120);
	}
	if (c->agent >= 0)
	{
		ce(c, CE_CONNECTED_TO_AGENT, c->tconn + 250);
		if ((c->ch == CH_VOICE || c->ch == CH_CHAT) && (c->hh >> 52) % 10 < 7)
			ce(c, CE_CONTACT_DATA_UPDATED, c->tconn + (c->talk * 1000LL) / 2);
		if (c->ch == CH_TASK && (c->hh >> 16) % 10 == 3)
		{
			ce(c, CE_PAUSED, c->tconn + (c->talk * 1000LL) / 3);
			ce(c, CE_RESUMED, c->tconn + (c->talk * 1000LL) / 2);
		}
	}
	ce(c, CE_DISCONNECTED, c->tdisc + 300);
	if (c->agent >= 0)
		ce(c, CE_COMPLETED, c->tacw1 + 200);
}

/* --------------------------------------------------------------- flow logs */

static char block_id[NFLOW][16][37];
static char welcome_v2_id[37];	/* the voice flow's welcome prompt from flow_v2_at */
#define WELCOME_BI 2			/* its position in the voice flow: logging, recording, welcome */

static void flow_event(const Contact *c, int flow, int bi, const char *type, int64_t t, const char *params,
					   const char *results, const char *ext, int in_module)
{
	Buf *m = &msg;
	char ts[26];
	m->n = 0;
	BL(m, "{\n    \"ContactId\": \"");
	bs(m, c->id);
	BL(m, "\",\n    \"ContactFlowId\": \"");
	bs(m, flow_arn[flow]);
	BL(m, "\",\n    \"ContactFlowName\": ");
	bq(m, c->welsh && flow == FL_VOICE ? "EnergyCo Llinell Gymraeg \xe2\x98\x8e\xef\xb8\x8f" : flow_name[flow]);
	BL(m, ",\n    \"ContactFlowModuleType\": \"");
	bs(m, type);
	BL(m, "\",\n    \"Identifier\": \"");
	bs(m, flow == FL_VOICE && bi == WELCOME_BI && c->t0 >= flow_v2_at ? welcome_v2_id : block_id[flow][bi]);
	BL(m, "\",\n    \"Timestamp\": ");
	btsm(m, t);
	if (params)
	{
		BL(m, ",\n    \"Parameters\": ");
		bs(m, params);
	}
	if (results)
	{
		BL(m, ",\n    \"Results\": ");
		bq(m, results);
	}
	if (ext)
	{
		BL(m, ",\n    \"ExternalResults\": ");
		bs(m, ext);
	}
	if (in_module)
	{
		BL(m, ",\n    \"ModuleExecutionStack\": [\"");
		bs(m, flow_arn[FL_LOOKUP]);
		BL(m, "\"]");
	}
	BL(m, "\n}");
	if (c->fexport)
	{
		Buf *l = &line;
		l->n = 0;
		fmt_ts(ts, t, 1);
		bmem(l, ts, 24);
		bc(l, ' ');
		bmem(l, m->p, m->n);
		bc(l, '\n');
		emit(K_FEXP, c->lstream, t, l->p, l->n);
		n_flow_exp++;
		seen(K_FEXP, t);
	}
	else
	{
		Buf *l = &line;
		char idd[64];
		l->n = 0;
		/* CloudWatch event ids: 56 digits */
		snprintf(idd, sizeof idd, "%013lld%019llu%019llu%05u", (long long) t, (unsigned long long) (rnd() % 10000000000000000000ULL),
				 (unsigned long long) (rnd() % 10000000000000000000ULL), (unsigned) rbelow(100000));
		BL(l, "{\"id\":\"");
		bmem(l, idd, 56);
		BL(l, "\",\"timestamp\":");
		bint(l, t);
		BL(l, ",\"message\":");
		bqmem(l, m->p, m->n);
		bc(l, '}');
		emit(K_FSUB, c->lstream, t, l->p, l->n);
		n_flow_sub++;
		seen(K_FSUB, t);
	}
}

static void flow_logs(const Contact *c)
{
	if (c->method == M_OUTBOUND)
		return;
	char p[1024], x[512], a1[24];
	int64_t end = c->queue >= 0 ? c->tenq : c->tdisc;
	int flow = c->prev[0] ? FL_XFER : c->ch == CH_VOICE ? FL_VOICE : c->ch == CH_CHAT ? FL_CHAT
		: c->ch == CH_TASK ? FL_TASK : FL_EMAIL;
	int nb = flow == FL_VOICE ? (c->outcome == O_IVR ? 10 : 12) : flow == FL_CHAT ? 7 : flow == FL_XFER ? 3 : 4;
	int64_t step = (end - c->t0) / (nb + 1);
	int64_t t = c->t0 + 120;
	int bi = 0;
	if (c->identified)
		acct_str(a1, c->cust, 0);
	else
		strcpy(a1, "");
#define NEXT_T() (t += step > 0 ? step - 7 + (int64_t) ((c->t0 >> bi) % 13) : 1)
	if (c->fexport)
		n_flow_contacts_exp++;
	else
		n_flow_contacts_sub++;

	flow_event(c, flow, bi++, "SetLoggingBehavior", t, "{\"LoggingBehavior\": \"Enable\"}", NULL, NULL, 0);
	NEXT_T();
	if (flow == FL_XFER)
	{
		snprintf(p, sizeof p, "{\"Queue\": \"%s\"}", queues[c->queue].arn);
		flow_event(c, flow, bi++, "SetQueue", t, p, NULL, NULL, 0);
		NEXT_T();
		flow_event(c, flow, bi++, "TransferToQueue", t, NULL, NULL, NULL, 0);
		return;
	}
	if (flow == FL_VOICE)
	{
		flow_event(c, flow, bi++, "SetRecordingBehavior", t,
				   "{\"RecordingBehaviorOption\": \"Enable\", \"RecordingParticipant\": \"AgentAndCustomer\"}", NULL, NULL, 0);
		NEXT_T();
		if (c->t0 >= flow_v2_at && t < flow_v2_first)
			flow_v2_first = t;
		flow_event(c, flow, bi++, "PlayPrompt", t, c->welsh
				   ? "{\"Text\": \"Croeso i EnergyCo \xf0\x9f\x91\x8b\", \"TextToSpeechType\": \"text\"}"
				   : "{\"Text\": \"Welcome to EnergyCo. Calls are recorded for training and quality purposes.\", \"TextToSpeechType\": \"text\"}",
				   NULL, NULL, 0);
		NEXT_T();
	}
	if (flow != FL_TASK)
	{
		snprintf(p, sizeof p, "{\"FunctionArn\": \"%s\", \"ResponseValidation\": \"ResponseType=STRING_MAP\", \"TimeLimit\": \"8000\"}",
				 lambda_lookup);
		if (flow == FL_VOICE)
		{
			n_voice_lookup[c->t0 >= flow_v2_at]++;
			n_voice_lambda_err[c->t0 >= flow_v2_at] += c->lambda_err != 0;
		}
		if (c->lambda_err)
		{
			flow_event(c, flow, bi++, "InvokeExternalResource", t, p, "The Lambda Function Returned An Error.", NULL, 1);
			n_lambda_err++;
		}
		else
		{
			if (c->identified)
				snprintf(x, sizeof x, "{\"accountNumber\": \"%s\", \"juniferId\": \"%lld\", \"customerType\": \"%s\", \"vulnerable\": \"%s\", \"found\": \"true\"}",
						 a1, (long long) (2000000 + c->cust), c->business ? "Business" : "Domestic", c->vulnerable ? "Yes" : "None");
			else
				snprintf(x, sizeof x, "{\"found\": \"false\"}");
			flow_event(c, flow, bi++, "InvokeExternalResource", t, p, NULL, x, 1);
		}
		NEXT_T();
		flow_event(c, flow, bi++, "ReturnFromFlowModule", t, NULL, NULL, NULL, 1);
		NEXT_T();
	}
	if (c->identified && flow != FL_TASK)
	{
		snprintf(p, sizeof p, "{\"Key\": \"accountNumbers\", \"Value\": \"%s\", \"Namespace\": \"User Defined\"}", a1);
		flow_event(c, flow, bi++, "SetAttributes", t, p, NULL, NULL, 0);
		NEXT_T();
	}
	if (flow == FL_VOICE || flow == FL_CHAT)
	{
		if (flow == FL_VOICE)
			flow_event(c, flow, bi++, "GetUserInput", t,
					   "{\"Text\": \"For billing press 1, payments 2, moving home 3, meter readings 4, or tell us why you are calling.\", \"TimeLimit\": \"5\"}",
					   (const char *[]) {"1", "2", "3", "4", "Timeout"}[c->intent % 5], NULL, 0);
		if (c->ivr_hangup)
			return;			/* the caller hangs up at the menu */
		else
		{
			snprintf(p, sizeof p, "{\"BotAliasArn\": \"arn:aws:lex:%s:%s:bot-alias/ECBOT01/TSTALIAS\", \"Text\": \"Hi! What can we help you with today?\"}",
					 region, aws_account);
			flow_event(c, flow, bi++, "GetUserInput", t, p, intents[c->intent].key, NULL, 0);
		}
		NEXT_T();
	}
	snprintf(p, sizeof p, "{\"Key\": \"intent\", \"Value\": \"%s\", \"Namespace\": \"User Defined\"}", intents[c->intent].key);
	flow_event(c, flow, bi++, "SetAttributes", t, p, NULL, NULL, 0);
	NEXT_T();
	if (flow == FL_VOICE)
	{
		snprintf(p, sizeof p, "{\"Tags\": {\"intent\": \"%s\", \"channel\": \"voice\"}}", intents[c->intent].key);
		flow_event(c, flow, bi++, "TagContact", t, p, NULL, NULL, 0);
		NEXT_T();
		flow_event(c, flow, bi++, "CheckAttribute", t,
				   "{\"Namespace\": \"User Defined\", \"Attribute\": \"vulnerable\", \"ComparisonMethod\": \"Equals\", \"ComparisonValue\": \"Yes\"}",
				   c->vulnerable ? "true" : "false", NULL, 0);
		NEXT_T();
		if (c->outcome == O_IVR)
		{
			flow_event(c, flow, bi++, "PlayPrompt", t,
					   "{\"Text\": \"You can also manage your account online at energyco.example.\", \"TextToSpeechType\": \"text\"}",
					   NULL, NULL, 0);
			NEXT_T();
			flow_event(c, flow, bi++, "Disconnect", t, "{}", NULL, NULL, 0);
			return;
		}
	}
	if (c->queue >= 0)
	{
		snprintf(p, sizeof p, "{\"Queue\": \"%s\"}", queues[c->queue].arn);
		flow_event(c, flow, bi++, "SetQueue", t, p, NULL, NULL, 0);
		NEXT_T();
		flow_event(c, flow, bi++, "TransferToQueue", t, NULL, NULL, NULL, 0);
	}
#undef NEXT_T
}

/* ------------------------------------------------------------ agent events */

static void b_agent_config(Buf *b, const Agent *ag, int64_t t)
{
	const Profile *p = &profiles[ag->profile];
	BL(b, "\"Configuration\":{\"AgentHierarchyGroups\":{\"Level1\":{\"ARN\":\"");
	bs(b, site_arn[ag->site]);
	BL(b, "\",\"Name\":\"");
	bs(b, site_name[ag->site]);
	BL(b, "\"},\"Level2\":{\"ARN\":\"");
	bs(b, dept_arn[ag->site][ag->dept]);
	BL(b, "\",\"Name\":\"");
	bs(b, dept_name[ag->dept]);
	BL(b, "\"},\"Level3\":{\"ARN\":\"");
	bs(b, team_arn[ag->team]);
	BL(b, "\",\"Name\":\"");
	bs(b, team_name[ag->team]);
	BL(b, "\"},\"Level4\":null,\"Level5\":null},\"FirstName\":\"");
	bs(b, ag->first);
	BL(b, "\",\"LastName\":");
	bq(b, ag->last);
	BL(b, ",\"RoutingProfile\":{\"ARN\":\"");
	bs(b, p->arn);
	BL(b, "\",\"Concurrency\":[{\"AvailableSlots\":1,\"Channel\":\"VOICE\",\"MaximumSlots\":1},{\"AvailableSlots\":");
	bint(b, p->chat);
	BL(b, ",\"Channel\":\"CHAT\",\"MaximumSlots\":");
	bint(b, p->chat);
	BL(b, "},{\"AvailableSlots\":");
	bint(b, p->task);
	BL(b, ",\"Channel\":\"TASK\",\"MaximumSlots\":");
	bint(b, p->task);
	BL(b, "}],\"DefaultOutboundQueue\":{\"ARN\":\"");
	bs(b, queues[Q_OUTBOUND].arn);
	BL(b, "\",\"Name\":\"Outbound\"},\"InboundQueues\":[");
	for (int i = 0; i < p->nq; i++)
	{
		if (i)
			bc(b, ',');
		BL(b, "{\"ARN\":\"");
		bs(b, queues[p->q[i]].arn);
		BL(b, "\",\"Name\":");
		bq(b, queue_name(p->q[i], t));
		BL(b, "}");
	}
	BL(b, "],\"Name\":\"");
	bs(b, p->name);
	BL(b, "\"},\"Username\":\"");
	bs(b, ag->username);
	BL(b, "\"}");
}

/* state: -1 no contact, else contact state name */
static void b_snapshot(Buf *b, const Agent *ag, int status, int64_t status_start, int64_t t, const Contact *c,
					   const char *cstate, int64_t cstate_start)
{
	BL(b, "{\"AgentStatus\":{\"ARN\":\"");
	bs(b, st_arn[status]);
	BL(b, "\",\"Name\":\"");
	bs(b, st_name[status]);
	BL(b, "\",\"StartTimestamp\":");
	btsm(b, status_start);
	BL(b, "},");
	b_agent_config(b, ag, t);
	BL(b, ",\"Contacts\":[");
	if (c)
	{
		BL(b, "{\"Channel\":\"");
		bs(b, ch_name[c->ch]);
		BL(b, "\",\"ConnectedToAgentTimestamp\":");
		if (strcmp(cstate, "CONNECTING") == 0)
			BL(b, "null");
		else
			btsm(b, c->tconn);
		BL(b, ",\"ContactId\":\"");
		bs(b, c->id);
		BL(b, "\",\"InitialContactId\":");
		if (c->initial[0])
			bq(b, c->initial);
		else
			BL(b, "null");
		BL(b, ",\"InitiationMethod\":\"");
		bs(b, method_name[c->method]);
		BL(b, "\",\"Queue\":{\"ARN\":\"");
		bs(b, queues[c->queue].arn);
		BL(b, "\",\"Name\":");
		bq(b, queue_name(c->queue, c->t0));
		BL(b, "},\"QueueTimestamp\":");
		if (c->method == M_OUTBOUND)
			BL(b, "null");
		else
			btsm(b, c->tenq);
		BL(b, ",\"State\":\"");
		bs(b, cstate);
		BL(b, "\",\"StateStartTimestamp\":");
		btsm(b, cstate_start);
		BL(b, "}");
	}
	BL(b, "]}");
}

static void b_ae_head(Buf *b, const Agent *ag)
{
	b->n = 0;
	BL(b, "{\"AWSAccountId\":\"");
	bs(b, aws_account);
	BL(b, "\",\"AgentARN\":\"");
	bs(b, ag->arn);
	BL(b, "\",\"CurrentAgentSnapshot\":");
}

static void b_ae_tail(Buf *b, int type, int64_t t)
{
	char id[37];
	ruuid(id);
	BL(b, ",\"EventId\":\"");
	bs(b, id);
	BL(b, "\",\"EventTimestamp\":");
	btsm(b, t);
	BL(b, ",\"EventType\":\"");
	bs(b, ae_name[type]);
	BL(b, "\",\"InstanceARN\":\"");
	bs(b, instance_arn);
	BL(b, "\",\"PreviousAgentSnapshot\":");
}

static void ae_emit(int type, int64_t t)
{
	BL(&rec, ",\"Version\":\"2017-10-01\"}");
	emit(K_AGENT, 0, t, rec.p, rec.n);
	seen(K_AGENT, t);
	n_ae[type]++;
}

/* agent events of one handled contact: connected, and after-contact work done */
static void agent_contact_events(const Contact *c)
{
	const Agent *ag = &agents[c->agent];
	int64_t st0 = c->tconn - 600000;	/* Available since */
	Buf *b = &rec;

	b_ae_head(b, ag);
	b_snapshot(b, ag, ST_AVAILABLE, st0, c->tconn, c, "CONNECTED", c->tconn);
	b_ae_tail(b, AE_STATE_CHANGE, c->tconn + 40);
	b_snapshot(b, ag, ST_AVAILABLE, st0, c->tconn, c, "CONNECTING", c->tconn - 2000);
	ae_emit(AE_STATE_CHANGE, c->tconn + 40);

	b_ae_head(b, ag);
	b_snapshot(b, ag, ST_AVAILABLE, st0, c->tacw1, NULL, NULL, 0);
	b_ae_tail(b, AE_STATE_CHANGE, c->tacw1 + 60);
	b_snapshot(b, ag, ST_AVAILABLE, st0, c->tacw1, c, "ENDED", c->tdisc);
	ae_emit(AE_STATE_CHANGE, c->tacw1 + 60);
}

/* one agent's shift on local day `day`: the status timeline */
typedef struct
{
	int64_t		t;
	int			type, from, to;
} ShiftEv;

static int shift_events(int a, int64_t day, ShiftEv *ev)
{
	const Agent *ag = &agents[a];
	if (!works_day(ag, day))
		return 0;
	uint64_t h = mix64(gen_seed ^ ((uint64_t) a * 1000003ULL) ^ ((uint64_t) day * 7919ULL));
	int64_t s = shift_start_utc(ag, day);
	int64_t login = s - (int64_t) (60 + h % 300) * 1000 - (int64_t) (h >> 40) % 1000;
	int n = 0;
	int64_t b1 = s + 2 * MS_H + (int64_t) ((h >> 8) % 1200) * 1000;
	int64_t l1 = s + 4 * MS_H + (int64_t) ((h >> 16) % 1800) * 1000;
	int64_t b2 = s + 6 * MS_H + (int64_t) ((h >> 24) % 1200) * 1000;
	int64_t off = s + 8 * MS_H + (int64_t) ((h >> 32) % 900) * 1000;
	ev[n++] = (ShiftEv) {login, AE_LOGIN, ST_OFFLINE, ST_OFFLINE};
	ev[n++] = (ShiftEv) {login + 20000 + (int64_t) (h % 50) * 1000, AE_STATE_CHANGE, ST_OFFLINE, ST_AVAILABLE};
	ev[n++] = (ShiftEv) {b1, AE_STATE_CHANGE, ST_AVAILABLE, ST_BREAK};
	ev[n++] = (ShiftEv) {b1 + 15 * 60000 + 3217, AE_STATE_CHANGE, ST_BREAK, ST_AVAILABLE};
	ev[n++] = (ShiftEv) {l1, AE_STATE_CHANGE, ST_AVAILABLE, ST_LUNCH};
	ev[n++] = (ShiftEv) {l1 + 30 * 60000 + 5113, AE_STATE_CHANGE, ST_LUNCH, ST_AVAILABLE};
	if ((h >> 50) % 10 == 0)
	{
		int64_t tr = s + 7 * MS_H;
		ev[n++] = (ShiftEv) {tr, AE_STATE_CHANGE, ST_AVAILABLE, ST_TRAINING};
		ev[n++] = (ShiftEv) {tr + 30 * 60000, AE_STATE_CHANGE, ST_TRAINING, ST_AVAILABLE};
		/* keep the timeline ordered: training sits after the second break */
	}
	ev[n++] = (ShiftEv) {b2, AE_STATE_CHANGE, ST_AVAILABLE, ST_BREAK};
	ev[n++] = (ShiftEv) {b2 + 15 * 60000 + 1789, AE_STATE_CHANGE, ST_BREAK, ST_AVAILABLE};
	ev[n++] = (ShiftEv) {off, AE_STATE_CHANGE, ST_AVAILABLE, ST_OFFLINE};
	ev[n++] = (ShiftEv) {off + 31000, AE_LOGOUT, ST_OFFLINE, ST_OFFLINE};
	/* order by time (the training slot may land between others) */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ev[j].t < ev[j - 1].t; j--)
		{
			ShiftEv x = ev[j];
			ev[j] = ev[j - 1];
			ev[j - 1] = x;
		}
	return n;
}

static void agent_shift_hour(void)
{
	int64_t h0 = cur_hour * MS_H, h1 = h0 + MS_H;
	if (h0 >= end_ms)
		return;
	int64_t lday = floordiv(london(h0), MS_D);
	ShiftEv ev[16];
	for (int a = 0; a < nagents; a++)
	{
		const Agent *ag = &agents[a];
		for (int64_t d = lday - 1; d <= lday; d++)
		{
			int n = shift_events(a, d, ev);
			if (!n || ev[0].t >= h1 || ev[n - 1].t < h0)
				continue;
			for (int i = 0; i < n; i++)
			{
				int64_t t = ev[i].t;
				if (t < h0 || t >= h1 || t < start_ms || t >= end_ms)
					continue;
				Buf *b = &rec;
				b_ae_head(b, ag);
				if (ev[i].type == AE_STATE_CHANGE)
				{
					int64_t prev_start = i > 0 ? ev[i - 1].t : t - 60000;
					b_snapshot(b, ag, ev[i].to, t, t, NULL, NULL, 0);
					b_ae_tail(b, ev[i].type, t);
					b_snapshot(b, ag, ev[i].from, prev_start, t, NULL, NULL, 0);
				}
				else
				{
					BL(b, "null");
					b_ae_tail(b, ev[i].type, t);
					BL(b, "null");
				}
				ae_emit(ev[i].type, t);
			}
			/* heartbeats, sparse by default */
			if (heartbeat_secs > 0)
			{
				int64_t login = ev[0].t, logout = ev[n - 1].t;
				int64_t step = (int64_t) heartbeat_secs * 1000;
				int64_t k0 = (h0 > login ? (h0 - login + step - 1) / step : 1);
				if (k0 < 1)
					k0 = 1;
				for (int64_t t = login + k0 * step; t < h1 && t < logout; t += step)
				{
					if (t < h0 || t < start_ms || t >= end_ms)
						continue;
					int st = ST_OFFLINE;
					int64_t sst = login;
					for (int i = 0; i < n && ev[i].t <= t; i++)
						if (ev[i].type == AE_STATE_CHANGE)
						{
							st = ev[i].to;
							sst = ev[i].t;
						}
					Buf *b = &rec;
					b_ae_head(b, ag);
					b_snapshot(b, ag, st, sst, t, NULL, NULL, 0);
					b_ae_tail(b, AE_HEART_BEAT, t);
					BL(b, "null");
					ae_emit(AE_HEART_BEAT, t);
				}
			}
		}
	}
}

/* ------------------------------------------------------------------- cases */

enum
{
	CS_CREATE, CS_LINK, CS_COMMENT, CS_UPDATE, CS_CLOSE, CS_REOPEN, CS_DELETE, CS_DONE
};

typedef struct
{
	char		id[37], contact[37];
	int64_t		created, next, closed_at, reopened_at, updated, close_plan, cust;
	int32_t		ref, open_pos;
	int16_t		agent, ownr;
	uint8_t		intent, l2, l3, queue, stage, status, updates_left, deleted, early_delete;
	uint8_t		complaint, csubj, csubj2, ctype, creason, cstatus, ombudsman, resolved, goodwill, two_acct, summary_v, ch;
	int32_t		migrated_days;	/* > 0: migrated, originally created this many days earlier */
} Case;

static Case *cases;
static int32_t ncase_slots, case_cap, *case_free;
static int32_t nfree, free_cap;
static int32_t *open_list;
static int32_t nopen_list, open_cap;

typedef struct
{
	int64_t		t;
	int32_t		idx;
} HeapE;
static HeapE *heap;
static int32_t nheap, heap_cap;

static void heap_push(int64_t t, int32_t idx)
{
	if (nheap == heap_cap)
	{
		heap_cap = heap_cap ? heap_cap * 2 : 4096;
		heap = xrealloc(heap, sizeof(HeapE) * (size_t) heap_cap);
	}
	int32_t i = nheap++;
	while (i > 0)
	{
		int32_t p = (i - 1) / 2;
		if (heap[p].t < t || (heap[p].t == t && heap[p].idx < idx))
			break;
		heap[i] = heap[p];
		i = p;
	}
	heap[i] = (HeapE) {t, idx};
}

static HeapE heap_pop(void)
{
	HeapE top = heap[0], last = heap[--nheap];
	int32_t i = 0;
	for (;;)
	{
		int32_t l = 2 * i + 1, r = l + 1, m = i;
		HeapE *mv = &last;
		if (l < nheap && (heap[l].t < mv->t || (heap[l].t == mv->t && heap[l].idx < mv->idx)))
		{
			m = l;
			mv = &heap[l];
		}
		if (r < nheap && (heap[r].t < mv->t || (heap[r].t == mv->t && heap[r].idx < mv->idx)))
			m = r;
		if (m == i)
			break;
		heap[i] = heap[m];
		i = m;
	}
	if (nheap)
		heap[i] = last;
	return top;
}

static int32_t case_alloc(void)
{
	if (nfree)
		return case_free[--nfree];
	if (ncase_slots == case_cap)
	{
		case_cap = case_cap ? case_cap * 2 : 4096;
		cases = xrealloc(cases, sizeof(Case) * (size_t) case_cap);
	}
	return ncase_slots++;
}

static void case_release(int32_t i)
{
	if (nfree == free_cap)
	{
		free_cap = free_cap ? free_cap * 2 : 4096;
		case_free = xrealloc(case_free, sizeof(int32_t) * (size_t) free_cap);
	}
	case_free[nfree++] = i;
}

static void open_add(int32_t i)
{
	if (nopen_list == open_cap)
	{
		open_cap = open_cap ? open_cap * 2 : 4096;
		open_list = xrealloc(open_list, sizeof(int32_t) * (size_t) open_cap);
	}
	cases[i].open_pos = nopen_list;
	open_list[nopen_list++] = i;
	n_open++;
}

static void open_remove(int32_t i)
{
	int32_t p = cases[i].open_pos;
	if (p < 0)
		return;
	int32_t last = open_list[--nopen_list];
	open_list[p] = last;
	cases[last].open_pos = p;
	cases[i].open_pos = -1;
	n_open--;
}

/* moves t into working hours (Europe/London, Mon-Sat 08:00-19:00) */
static int64_t business(int64_t t)
{
	for (int guard = 0; guard < 10; guard++)
	{
		int64_t l = london(t);
		int64_t day = floordiv(l, MS_D);
		int lh = (int) ((l - day * MS_D) / MS_H);
		int wd = iso_wday(day);
		int close_h = wd == 6 ? 13 : 19;
		if (wd == 7 || lh >= close_h)
		{
			int64_t nl = (day + 1) * MS_D + 8 * MS_H + rrange(0, 5400) * 1000LL;
			t = nl - london_offset(nl - MS_H);
			continue;
		}
		if (lh < 8)
		{
			int64_t nl = day * MS_D + 8 * MS_H + rrange(0, 5400) * 1000LL;
			t = nl - london_offset(nl - MS_H);
			continue;
		}
		return t;
	}
	return t;
}

static const char *const status_open[] = {"open", "in_progress", "awaiting_customer"};

static void b_field_s(Buf *b, int *first, const char *id, const char *v)
{
	if (!*first)
		bc(b, ',');
	*first = 0;
	bq(b, id);
	BL(b, ":{\"value\":{\"stringValue\":");
	bq(b, v);
	BL(b, "}}");
}

static void b_field_t(Buf *b, int *first, const char *id, int64_t t)
{
	if (!*first)
		bc(b, ',');
	*first = 0;
	bq(b, id);
	BL(b, ":{\"value\":{\"stringValue\":");
	btsm(b, t);
	BL(b, "}}");
}

static void b_field_b(Buf *b, int *first, const char *id, int v)
{
	if (!*first)
		bc(b, ',');
	*first = 0;
	bq(b, id);
	bs(b, v ? ":{\"value\":{\"booleanValue\":true}}" : ":{\"value\":{\"booleanValue\":false}}");
}

static void b_head_cases(Buf *b, int64_t t, const char *res2)
{
	char id[37];
	ruuid(id);
	b->n = 0;
	BL(b, "{\"version\":\"0\",\"id\":\"");
	bs(b, id);
	BL(b, "\",\"detail-type\":\"Amazon Connect Cases Change\",\"source\":\"aws.cases\",\"account\":\"");
	bs(b, aws_account);
	BL(b, "\",\"time\":");
	bts(b, t + 1500);
	BL(b, ",\"region\":\"");
	bs(b, region);
	BL(b, "\",\"resources\":[\"");
	bs(b, cases_domain_arn);
	BL(b, "\",\"");
	bs(b, res2);
	BL(b, "\"],\"detail\":{\"version\":\"0\",\"eventType\":\"");
}

static void b_performer(Buf *b, int agent)
{
	BL(b, "\"performedBy\":{");
	if (agent >= 0)
	{
		BL(b, "\"user\":{\"userArn\":\"");
		bs(b, agents[agent].arn);
		BL(b, "\"},\"iamPrincipalArn\":\"arn:aws:sts::");
		bs(b, aws_account);
		BL(b, ":assumed-role/AmazonConnectAgentWorkspace/");
		bs(b, agents[agent].username);
		BL(b, "\"}");
	}
	else
	{
		BL(b, "\"customEntity\":\"energyco-case-manager\",\"iamPrincipalArn\":\"arn:aws:sts::");
		bs(b, aws_account);
		BL(b, ":assumed-role/energyco-case-manager-role/energyco-case-manager\"}");
	}
}

static void case_event(Case *k, int type, int64_t t, const char *changed, int performer)
{
	Buf *b = &rec;
	char res[320], v[256], a1[24];
	snprintf(res, sizeof res, "%s/case/%s", cases_domain_arn, k->id);
	b_head_cases(b, t, res);
	bs(b, ke_name[type]);
	BL(b, "\",\"approximateChangeTime\":");
	btsm(b, t);
	BL(b, ",\"changedFieldIds\":[");
	bs(b, changed);
	BL(b, "],");
	b_performer(b, performer);
	BL(b, ",\"case\":{\"caseId\":\"");
	bs(b, k->id);
	BL(b, "\",\"templateId\":\"");
	bs(b, cases_template);
	BL(b, "\",\"createdDateTime\":");
	btsm(b, k->created);
	BL(b, ",\"fields\":{");
	int f = 1;
	const Intent *in = &intents[k->intent];
	b_field_s(b, &f, "status", k->status ? "closed" : status_open[k->summary_v % 3]);
	snprintf(v, sizeof v, "%s - %s", in->l2[k->l2], in->l3[k->l2][k->l3]);
	b_field_s(b, &f, "title", v);
	acct_str(a1, k->cust, 0);
	static const char *const sum[] = {
		"Customer called about %s. Account %s.",
		"Customer called again about %s; chased progress. Account %s.",
		"Update: %s under review with the back office. Account %s.",
		"Customer confirmed %s is resolved. Account %s."
	};
	snprintf(v, sizeof v, sum[k->summary_v % 4], in->l3[k->l2][k->l3], a1);
	b_field_s(b, &f, "summary", v);
	b_field_s(b, &f, "case_reason", in->l2[k->l2]);
	{
		char hx[40], arn[200];
		profile_hex(hx, k->cust);
		snprintf(arn, sizeof arn, "arn:aws:profile:%s:%s:domains/energyco-customers/profiles/%s", region, aws_account, hx);
		b_field_s(b, &f, "customer_id", arn);
	}
	snprintf(v, sizeof v, "%d", k->ref);
	b_field_s(b, &f, "reference_number", v);
	b_field_t(b, &f, "created_datetime", k->created);
	b_field_t(b, &f, "last_updated_datetime", k->updated);
	if (k->closed_at)
		b_field_t(b, &f, "last_closed_datetime", k->closed_at);
	b_field_s(b, &f, custom_id[F_LEVEL1], in->l1);
	b_field_s(b, &f, custom_id[F_LEVEL2], in->l2[k->l2]);
	b_field_s(b, &f, custom_id[F_LEVEL3], in->l3[k->l2][k->l3]);
	b_field_s(b, &f, custom_id[F_ACCOUNT], a1);
	b_field_s(b, &f, custom_id[F_AGENT_NAME], agents[k->ownr].username);
	b_field_s(b, &f, custom_id[F_QUEUE], queue_name(k->queue, t));
	bc(b, ',');
	bq(b, custom_id[F_ASSIGNED_USER]);
	BL(b, ":{\"value\":{\"userArnValue\":\"");
	bs(b, agents[k->ownr].arn);
	BL(b, "\"}}");
	b_field_b(b, &f, custom_id[F_IS_COMPLAINT], k->complaint);
	if (k->complaint)
	{
		b_field_s(b, &f, custom_id[F_C_STATUS], c_statuses[k->cstatus]);
		b_field_s(b, &f, custom_id[F_C_TYPE], c_types[k->ctype]);
		b_field_s(b, &f, custom_id[F_C_SUBJECT], c_subjects[k->csubj]);
		if (k->csubj2 < NCSUBJ)
			b_field_s(b, &f, custom_id[F_C_SUBJECT2], c_subjects[k->csubj2]);
		else
		{
			bc(b, ',');
			bq(b, custom_id[F_C_SUBJECT2]);
			BL(b, ":{\"value\":{\"emptyValue\":{}}}");
		}
		b_field_s(b, &f, custom_id[F_C_REASON], c_reasons[k->creason]);
		if (k->goodwill)
		{
			bc(b, ',');
			bq(b, custom_id[F_C_GOODWILL]);
			BL(b, ":{\"value\":{\"doubleValue\":");
			bint(b, k->goodwill * 5);
			BL(b, ".0}}");
		}
		b_field_b(b, &f, custom_id[F_C_RESOLVED], k->resolved);
		b_field_b(b, &f, custom_id[F_OMBUDSMAN], k->ombudsman);
	}
	if (k->reopened_at)
		b_field_t(b, &f, custom_id[F_REOPENED], k->reopened_at);
	snprintf(v, sizeof v, "Raised from a %s contact: %s.", ch_name[k->ch], in->l3[k->l2][k->l3]);
	b_field_s(b, &f, custom_id[F_DESCRIPTION], v);
	if (k->migrated_days)
		b_field_t(b, &f, custom_id[F_ORIG_CREATED], k->created - k->migrated_days * MS_D - 3600000);
	BL(b, "}}}}");
	emit(K_CASE, 0, t, b->p, b->n);
	seen(K_CASE, t);
	n_ke[type]++;
}

static void related_event(Case *k, int64_t t, const char *contact_id, const char *comment, int performer)
{
	Buf *b = &rec;
	char res[400], rid[37];
	ruuid(rid);
	snprintf(res, sizeof res, "%s/case/%s/related-item/%s", cases_domain_arn, k->id, rid);
	b_head_cases(b, t, res);
	BL(b, "RELATED_ITEM.CREATED\",\"approximateChangeTime\":");
	btsm(b, t);
	bs(b, contact_id ? ",\"changedAttributes\":[\"contact.contactArn\"]," : ",\"changedAttributes\":[\"comment.body\"],");
	b_performer(b, performer);
	BL(b, ",\"relatedItem\":{\"relatedItemType\":\"");
	bs(b, contact_id ? "Contact" : "Comment");
	BL(b, "\",\"relatedItemId\":\"");
	bs(b, rid);
	BL(b, "\",\"caseId\":\"");
	bs(b, k->id);
	BL(b, "\",\"createdDateTime\":");
	btsm(b, t);
	if (contact_id)
	{
		char carn[240];
		contact_arn(carn, sizeof carn, contact_id);
		BL(b, ",\"contact\":{\"contactArn\":\"");
		bs(b, carn);
		BL(b, "\"}}}}");
	}
	else
	{
		BL(b, ",\"comment\":{\"body\":");
		bq(b, comment);
		BL(b, "}}}}");
	}
	emit(K_CASE, 0, t, b->p, b->n);
	seen(K_CASE, t);
	n_ke[KE_RELATED]++;
}

static void case_plan_next(int32_t i, int64_t t)
{
	Case *k = &cases[i];
	if (k->updates_left > 0)
	{
		int64_t span = k->close_plan - t;
		int64_t nt = t + (span > 0 ? (int64_t) (span * (0.2 + 0.5 * runit())) : 60000);
		if (span > 4 * MS_H)
			nt = business(nt);
		if (nt <= t)
			nt = t + 30000;
		k->stage = CS_UPDATE;
		k->next = nt;
	}
	else
	{
		k->stage = CS_CLOSE;
		k->next = k->close_plan > t + 60000 ? k->close_plan : t + 60000 + rrange(0, 600000);
	}
	heap_push(k->next, i);
}

static int64_t resolution_plan(int64_t t, int complaint)
{
	double r = complaint ? 0.45 + 0.55 * runit() : runit();
	if (r < 0.40)
		return t + rrange(120, 1200) * 1000LL;
	if (r < 0.62)
		return business(t + rrange(3600, 6 * 3600) * 1000LL);
	if (r < 0.82)
		return business(t + rrange(18 * 3600, 48 * 3600) * 1000LL);
	if (r < 0.96)
		return business(t + rrange(3 * 86400, 10 * 86400) * 1000LL);
	return business(t + rrange(10 * 86400, 40 * 86400) * 1000LL);
}

static const char *const comments[] = {
	"Called customer back, left voicemail.",
	"Refund approved by team leader.",
	"Meter reading photo received by email.",
	"Customer prefers contact by email after 5pm.",
	"Escalated to the back office for review.",
	"Goodwill gesture discussed with the customer \xe2\x80\x94 accepted."
};

static void case_step(int32_t i)
{
	Case *k = &cases[i];
	int64_t t = k->next;
	int perf = rchance(0.9) ? k->ownr : -1;
	switch (k->stage)
	{
		case CS_CREATE:
			k->updated = t;
			k->created = t;
			case_event(k, KE_CREATED, t,
					   "\"status\",\"title\",\"summary\",\"case_reason\",\"customer_id\",\"reference_number\"", k->agent);
			open_add(i);
			n_cases++;
			{
				int64_t d = floordiv(london(t), MS_D) - cases_day0;
				if (d >= 0 && d < ncases_days)
					cases_per_day[d]++;
			}
			if (t >= l1_window_start)
			{
				for (int j = 0; j < nl1; j++)
					if (strcmp(l1_names[j], intents[k->intent].l1) == 0)
						l1_counts[j]++;
			}
			if (k->complaint)
			{
				n_complaints++;
				n_complaints_subj[k->csubj]++;
			}
			k->stage = CS_LINK;
			k->next = t + rrange(2, 30) * 1000LL;
			heap_push(k->next, i);
			break;
		case CS_LINK:
			related_event(k, t, k->contact, NULL, k->agent);
			if (k->early_delete)
			{
				k->stage = CS_DELETE;
				k->next = t + rrange(600, 7200) * 1000LL;
				heap_push(k->next, i);
			}
			else if (rchance(0.35))
			{
				k->stage = CS_COMMENT;
				k->next = t + rrange(60, 1200) * 1000LL;
				heap_push(k->next, i);
			}
			else
				case_plan_next(i, t);
			break;
		case CS_COMMENT:
			related_event(k, t, NULL, comments[rbelow(6)], k->ownr);
			case_plan_next(i, t);
			break;
		case CS_UPDATE:
			{
				const char *changed;
				k->updated = t;
				int what = (int) rbelow(4);
				if (k->complaint && k->cstatus == 0)
				{
					k->cstatus = 1;
					changed = NULL;
					char ch[128];
					snprintf(ch, sizeof ch, "\"%s\",\"last_updated_datetime\"", custom_id[F_C_STATUS]);
					case_event(k, KE_UPDATED, t, ch, perf);
				}
				else if (what == 0)
				{
					k->l3 = (uint8_t) ((k->l3 + 1) % 3);
					char ch[128];
					snprintf(ch, sizeof ch, "\"%s\",\"title\",\"last_updated_datetime\"", custom_id[F_LEVEL3]);
					case_event(k, KE_UPDATED, t, ch, perf);
				}
				else if (what == 1)
				{
					k->ownr = (int16_t) rbelow((uint32_t) nagents);
					char ch[200];
					snprintf(ch, sizeof ch, "\"%s\",\"%s\",\"last_updated_datetime\"", custom_id[F_AGENT_NAME],
							 custom_id[F_ASSIGNED_USER]);
					case_event(k, KE_UPDATED, t, ch, perf);
				}
				else
				{
					k->summary_v = (uint8_t) (what == 2 ? 2 : 1);
					changed = "\"status\",\"summary\",\"last_updated_datetime\"";
					case_event(k, KE_UPDATED, t, changed, perf);
				}
				k->updates_left--;
				if (rchance(0.4))
					related_event(k, t + rrange(5, 60) * 1000LL, NULL, comments[rbelow(6)], k->ownr);
				case_plan_next(i, t);
			}
			break;
		case CS_CLOSE:
			k->status = 1;
			k->updated = t;
			k->closed_at = t;
			k->summary_v = 3;
			if (k->complaint)
			{
				k->cstatus = rchance(0.9) ? 2 : 3;
				k->resolved = k->cstatus == 2;
				if (rchance(0.5))
					k->goodwill = (uint8_t) rrange(2, 20);
				if (k->cstatus == 3 && rchance(0.3))
					k->ombudsman = 1;
			}
			case_event(k, KE_UPDATED, t, "\"status\",\"last_closed_datetime\",\"last_updated_datetime\"", perf);
			n_cases_closed_events++;
			open_remove(i);
			if (rchance(0.08))
			{
				k->stage = CS_REOPEN;
				k->next = business(t + rrange(86400, 10 * 86400) * 1000LL);
				heap_push(k->next, i);
			}
			else if (rchance(0.01))
			{
				k->stage = CS_DELETE;
				k->next = business(t + rrange(86400, 20 * 86400) * 1000LL);
				heap_push(k->next, i);
			}
			else
			{
				k->stage = CS_DONE;
				case_release(i);
			}
			break;
		case CS_REOPEN:
			k->status = 0;
			k->updated = t;
			k->reopened_at = t;
			k->summary_v = 1;
			if (k->complaint)
			{
				k->cstatus = 1;
				k->resolved = 0;
			}
			{
				char ch[128];
				snprintf(ch, sizeof ch, "\"status\",\"%s\",\"last_updated_datetime\"", custom_id[F_REOPENED]);
				case_event(k, KE_UPDATED, t, ch, perf);
			}
			n_reopened++;
			open_add(i);
			k->updates_left = (uint8_t) rrange(0, 2);
			k->close_plan = business(t + rrange(3600, 5 * 86400) * 1000LL);
			case_plan_next(i, t);
			break;
		case CS_DELETE:
			k->updated = t;
			case_event(k, KE_DELETED, t, "", perf);
			open_remove(i);
			k->deleted = 1;
			n_cases_deleted++;
			k->stage = CS_DONE;
			case_release(i);
			break;
	}
}

static void touch_run(int32_t s, int64_t t);

/* runs the case events due before t (and before the end of the period) */
static void cases_until(int64_t t)
{
	if (t > end_ms)
		t = end_ms;
	while (nheap && heap[0].t < t)
	{
		HeapE e = heap_pop();
		if (e.idx < 0)
			touch_run(-e.idx - 1, e.t);
		else
			case_step(e.idx);
	}
}

/* a new case, created while the contact talks to the agent */
static int32_t case_new(Contact *c)
{
	int64_t t = c->tconn + (int64_t) (c->talk * 1000LL * (0.3 + 0.6 * runit()));
	if (t >= end_ms)
		return -1;
	int32_t i = case_alloc();
	Case *k = &cases[i];
	memset(k, 0, sizeof *k);
	ruuid(k->id);
	memcpy(k->contact, c->id, 37);
	k->open_pos = -1;
	k->cust = c->cust;
	static int32_t ref_seq;
	k->ref = 10000000 + ref_seq++;
	k->agent = k->ownr = (int16_t) c->agent;
	k->intent = (uint8_t) c->intent;
	k->l2 = (uint8_t) rbelow(2);
	k->l3 = (uint8_t) rbelow(3);
	k->queue = (uint8_t) c->queue;
	k->complaint = c->intent == 6 || rchance(0.05);
	if (k->complaint)
	{
		int s = 0;
		for (; s < NCSUBJ; s++)
			if (strcmp(c_subjects[s], intents[c->intent].csubj) == 0)
				break;
		k->csubj = (uint8_t) (rchance(0.7) && s < NCSUBJ ? s : (int) rbelow(NCSUBJ));
		k->csubj2 = (uint8_t) (rchance(0.4) ? rbelow(NCSUBJ) : NCSUBJ);
		k->ctype = (uint8_t) (rchance(0.35) ? 1 : 0);
		k->creason = (uint8_t) rbelow(NCREASON);
	}
	k->early_delete = rchance(0.01);
	k->ch = (uint8_t) c->ch;
	if (rchance(0.02))
		k->migrated_days = rrange(30, 700);
	k->close_plan = resolution_plan(t, k->complaint);
	k->updates_left = (uint8_t) (k->close_plan - t < 3600000 ? rrange(1, 2) : k->complaint ? rrange(4, 7) : rrange(2, 5));
	k->stage = CS_CREATE;
	k->next = t;
	heap_push(t, i);
	memcpy(c->case_id, k->id, 37);
	return i;
}

/* a contact about an existing open case: when the agent talks to the customer
 * the case is touched and the contact linked.  Runs from the heap like every
 * other case event, so a case's events come out in time order. */
typedef struct
{
	char		contact[37], case_id[37];
	int32_t		case_idx;
	int16_t		agent;
} Touch;
static Touch *touches;
static int32_t ntouch_slots, touch_cap, *touch_free, ntouch_free, touch_free_cap;

static void case_touch(Contact *c, int32_t i)
{
	int64_t t = c->tconn + (int64_t) (c->talk * 1000LL * (0.5 + 0.4 * runit()));
	if (t >= end_ms)
		return;
	int32_t s;
	if (ntouch_free)
		s = touch_free[--ntouch_free];
	else
	{
		if (ntouch_slots == touch_cap)
		{
			touch_cap = touch_cap ? touch_cap * 2 : 1024;
			touches = xrealloc(touches, sizeof(Touch) * (size_t) touch_cap);
		}
		s = ntouch_slots++;
	}
	memcpy(touches[s].contact, c->id, 37);
	memcpy(touches[s].case_id, cases[i].id, 37);
	touches[s].case_idx = i;
	touches[s].agent = (int16_t) c->agent;
	heap_push(t, -(s + 1));
}

static void touch_run(int32_t s, int64_t t)
{
	Touch *x = &touches[s];
	Case *k = &cases[x->case_idx];
	/* the case may have been closed, deleted or its slot reused meanwhile: then
	 * the contact only carries the case id */
	if (k->stage != CS_DONE && k->open_pos >= 0 && strcmp(k->id, x->case_id) == 0)
	{
		k->updated = t;
		k->summary_v = 1;
		case_event(k, KE_UPDATED, t, "\"summary\",\"last_updated_datetime\"", x->agent);
		related_event(k, t + rrange(2, 20) * 1000LL, x->contact, NULL, x->agent);
	}
	if (ntouch_free == touch_free_cap)
	{
		touch_free_cap = touch_free_cap ? touch_free_cap * 2 : 1024;
		touch_free = xrealloc(touch_free, sizeof(int32_t) * (size_t) touch_free_cap);
	}
	touch_free[ntouch_free++] = s;
}

/* ------------------------------------------------------ contact generation */

static int contacts_per_day = 2000;
static int *elig[NQUEUE], nelig[NQUEUE], *onshift, nonshift;

static const double hour_w[24] = {
	0.06, 0.04, 0.03, 0.03, 0.03, 0.05, 0.12, 0.45, 1.50, 2.00, 1.90, 1.70,
	1.45, 1.40, 1.50, 1.40, 1.30, 1.05, 0.70, 0.45, 0.30, 0.20, 0.12, 0.08
};
static const double day_w[8] = {0, 1.30, 1.15, 1.05, 1.00, 0.95, 0.45, 0.20};	/* ISO weekday */

static double hour_weight(int lh, int wd)
{
	double w = hour_w[lh];
	if (wd <= 2 && lh >= 8 && lh <= 11)
		w *= 1.15;				/* Monday and Tuesday mornings */
	if (wd == 7 && (lh < 10 || lh >= 16))
		w *= 0.3;
	return w;
}

static double day_hours_total(int wd)
{
	double s = 0;
	for (int h = 0; h < 24; h++)
		s += hour_weight(h, wd);
	return s;
}

/* agents on shift during the hour, and per queue the ones whose routing profile serves it */
static void build_eligibility(void)
{
	int64_t mid = cur_hour * MS_H + MS_H / 2;
	nonshift = 0;
	for (int q = 0; q < NQUEUE; q++)
		nelig[q] = 0;
	for (int a = 0; a < nagents; a++)
	{
		if (!on_shift(&agents[a], mid))
			continue;
		onshift[nonshift++] = a;
		const Profile *p = &profiles[agents[a].profile];
		for (int i = 0; i < p->nq; i++)
			elig[p->q[i]][nelig[p->q[i]]++] = a;
	}
}

static int pick_agent(int q, int64_t t)
{
	int *list = nelig[q] ? elig[q] : onshift;
	int n = nelig[q] ? nelig[q] : nonshift;
	if (!n)
		return (int) rbelow((uint32_t) nagents);
	int best = list[rbelow((uint32_t) n)];
	for (int k = 0; k < 3 && agents[best].busy_until > t; k++)
	{
		int a = list[rbelow((uint32_t) n)];
		if (agents[a].busy_until < agents[best].busy_until)
			best = a;
	}
	return best;
}

static int clampi(double v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : (int) v;
}

static void ctr_out(const Contact *c)
{
	int v2 = c->csat_late || (c->hh >> 24) % 100 < 3;
	int dup = (c->hh >> 32) % 100 == 50;
	b_ctr(&rec, c, 1, c->tlast);
	emit(K_CTR, 0, c->tlast, rec.p, rec.n);
	seen(K_CTR, c->tlast);
	n_ctr_written++;
	if (dup)
	{
		int64_t td = c->tlast + rrange(1, 5400) * 1000LL;
		emit(K_CTR, 0, td, rec.p, rec.n);
		n_ctr_written++;
		n_duplicates++;
	}
	if (v2)
	{
		int64_t t2 = c->tlast + rrange(3600, 36 * 3600) * 1000LL;	/* a later hour's object */
		t2 -= t2 % 1000;
		b_ctr(&rec2, c, 2, t2);
		emit(K_CTR, 0, t2, rec2.p, rec2.n);
		seen(K_CTR, t2);
		n_ctr_written++;
		n_redeliveries++;
	}
}

/* ------------------------------------------------------- contact metrics */

/* The totals a test needs to check the lake's contact metrics (connect-metrics.md,
 * README "Contact-centre metrics") exactly: kept here from what the generator
 * decided for each contact, not re-derived from the records it wrote.  One
 * accumulator per local day (Europe/London) of the disconnect, queue (index
 * 0: no queue) and channel; one per local day and agent. */
#define SL_X 20					/* the lake's default service-level threshold, seconds, LT */

typedef struct
{
	uint64_t	created, queued, handled, answered, abandoned, callbacks, xfer_queue, xfer_internal, xfer_external,
				xfer_agent, held, answered_lt, abandoned_lt, removed_lt, removed_eq, qa_sum, ab_sum, handle_sum,
				talk_sum, hold_sum, acw_sum;
	int64_t		qmax;			/* longest queue time of a queued contact, -1: none */
} MAcc;

typedef struct
{
	uint64_t	handled, handle_sum;
} AAcc;

static MAcc *macc;				/* [day][queue + 1][channel] */
static AAcc *aacc;				/* [day][agent] */
static int64_t mday0;
static int mdays;
static uint64_t n_callback_legs, n_queue_transfer_legs, n_external_transfers, n_at_threshold, n_cross_day,
			n_cross_interval, n_after_end;

static void metrics_init(int days)
{
	mday0 = floordiv(london(start_ms), MS_D);
	mdays = days + 2 + RING / 24;	/* legs and expired tasks end after the period */
	macc = calloc((size_t) mdays * (NQUEUE + 1) * NCH, sizeof(MAcc));
	aacc = calloc((size_t) mdays * (size_t) nagents, sizeof(AAcc));
	if (!macc || !aacc)
		die("out of memory");
	for (size_t i = 0; i < (size_t) mdays * (NQUEUE + 1) * NCH; i++)
		macc[i].qmax = -1;
}

static inline MAcc *macc_at(int d, int q, int ch)
{
	return &macc[((size_t) d * (NQUEUE + 1) + (size_t) (q + 1)) * NCH + (size_t) ch];
}

/* some contacts leave the queue exactly at the threshold second (LT and LTE differ there) */
static int at_threshold(const Contact *c, int qwait)
{
	return mix64(c->hh ^ 0x5157) % 40 == 0 && c->qdelay <= SL_X ? SL_X - c->qdelay : qwait;
}

/* one contact's flags, as the specification defines them, into its day's totals */
static void metrics_add(const Contact *c)
{
	int64_t tdisc = c->tdisc - c->tdisc % 1000, t0 = c->t0 - c->t0 % 1000;	/* CTRs carry whole seconds */
	int64_t day = floordiv(london(tdisc), MS_D);
	int d = (int) (day - mday0);
	if (d < 0 || d >= mdays)
		die("metrics: a contact disconnects outside the days kept (%d)", d);
	MAcc *m = macc_at(d, c->queue, c->ch);
	int queued = c->queue >= 0 && c->method != M_OUTBOUND;	/* has EnqueueTimestamp */
	int handled = c->agent >= 0;	/* has ConnectedToAgentTimestamp */
	int qt = c->qwait + c->qdelay;	/* Queue.Duration */
	int callback = c->outcome == O_CALLBACK, xq = c->outcome == O_QUEUE_XFER;
	int abandoned = queued && !handled && !callback && !xq;
	int removed = queued && (handled || abandoned || callback);
	int internal = handled && c->transferred, external = c->xfer_ext;
	m->created++;
	if (queued)
	{
		m->queued++;
		if (qt > m->qmax)
			m->qmax = qt;
	}
	m->handled += handled;
	m->callbacks += callback;
	m->xfer_queue += xq;
	m->abandoned += abandoned;
	m->xfer_internal += internal;
	m->xfer_external += external;
	m->xfer_agent += handled && (internal || external);
	if (queued && handled)
	{
		m->answered++;
		m->qa_sum += (uint64_t) qt;
		m->answered_lt += qt < SL_X;
	}
	if (abandoned)
	{
		m->ab_sum += (uint64_t) qt;
		m->abandoned_lt += qt < SL_X;
	}
	if (removed)
	{
		m->removed_lt += qt < SL_X;
		m->removed_eq += qt == SL_X;
		n_at_threshold += qt == SL_X;
	}
	if (handled)
	{
		m->held += c->nholds > 0 || c->hold > 0;
		m->handle_sum += (uint64_t) (c->talk + c->hold + c->acw);
		m->talk_sum += (uint64_t) c->talk;
		m->hold_sum += (uint64_t) c->hold;
		m->acw_sum += (uint64_t) c->acw;
		AAcc *a = &aacc[(size_t) d * (size_t) nagents + (size_t) c->agent];
		a->handled++;
		a->handle_sum += (uint64_t) (c->talk + c->hold + c->acw);
	}
	n_cross_day += floordiv(london(t0), MS_D) != day;
	n_cross_interval += t0 / (15 * 60000) != tdisc / (15 * 60000);
	n_after_end += tdisc >= end_ms;
}

static void gen_contact(Contact *c, double lf);

/* the leg that continues contact a (its NextContactId, PreviousContactId
 * pointing back): an agent's transfer to another queue (TRANSFER), the queue
 * flow's transfer to another queue (QUEUE_TRANSFER), or the queued callback
 * the customer asked for, in the same queue (CALLBACK) */
static void gen_leg(const Contact *a, int method, double lf)
{
	Contact c;
	memset(&c, 0, sizeof c);
	memcpy(c.id, a->next, 37);
	strcpy(c.prev, a->id);
	strcpy(c.initial, a->initial[0] ? a->initial : a->id);
	c.ch = a->ch;
	c.method = method;
	c.t0 = a->tdisc;
	c.cust = a->cust;
	c.identified = a->identified;
	c.two_acct = a->two_acct;
	c.authenticated = a->authenticated;
	c.business = a->business;
	c.vulnerable = a->vulnerable;
	c.has_junifer = a->has_junifer;
	c.welsh = a->welsh;
	c.xfer_depth = a->xfer_depth + 1;
	if (method == M_CALLBACK)
	{
		/* Connect waits the flow's initial delay before queuing the
		 * callback: in Queue.Duration, before EnqueueTimestamp */
		c.intent = a->intent;
		c.qdelay = rrange(30, 180);
		c.case_idx = -1;
		n_callback_legs++;
	}
	else
	{
		c.intent = rchance(0.35) ? 6 : (int) rbelow(NINTENT);
		if (c.intent == a->intent)
			c.intent = (c.intent + 1) % NINTENT;
		c.case_idx = a->case_idx;
		if (a->case_idx >= 0)
			memcpy(c.case_id, a->case_id, 37);
		if (method == M_QUEUE_TRANSFER)
			n_queue_transfer_legs++;
	}
	gen_contact(&c, lf);
}

/* fills in a contact whose id, channel, method, t0 and customer are set, and writes its records */
static void gen_contact(Contact *c, double lf)
{
	int ch = c->ch;
	n_contacts++;
	ch_contacts[ch]++;
	c->agent = -1;
	c->hh = rnd();
	c->lstream = (int) ((c->hh >> 40) % NLOGSTREAMS);
	{
		/* which layout a contact's flow logs go to can be told from its id:
		 * export when (first byte of the ContactId) * 100 / 256 < export_pct */
		int hi = c->id[0] <= '9' ? c->id[0] - '0' : c->id[0] - 'a' + 10;
		int lo = c->id[1] <= '9' ? c->id[1] - '0' : c->id[1] - 'a' + 10;
		c->fexport = (hi * 16 + lo) * 100 / 256 < export_pct;
	}
	c->old_style = rchance(0.02);
	c->notes_nl = rchance(0.01);
	c->greeting_dup = ch == CH_VOICE && rchance(0.01);
	c->lambda_err = ch != CH_TASK && rchance(0.02);
	if (ch == CH_VOICE && c->t0 >= flow_v2_at && !c->lambda_err)
		c->lambda_err = (c->hh >> 8) % 100 < 10;
	if (c->method != M_TRANSFER)
		c->case_idx = -1;

	/* queue and outcome */
	if (c->method == M_OUTBOUND)
		c->queue = Q_OUTBOUND;
	else if ((ch == CH_TASK || ch == CH_EMAIL) && rchance(0.6))
		c->queue = Q_BACKOFFICE;
	else
		c->queue = c->intent;
	c->outcome = O_HANDLED;
	if (ch == CH_VOICE && c->method == M_INBOUND)
	{
		double r = runit();
		c->outcome = r < 0.06 ? O_IVR : r < 0.13 ? O_ABANDONED : r < 0.15 ? O_CALLBACK : r < 0.165 ? O_QUEUE_XFER : O_HANDLED;
	}
	else if (ch == CH_CHAT && rchance(0.09))
		c->outcome = O_ABANDONED;
	else if (ch == CH_TASK && rchance(0.02))
		c->outcome = O_EXPIRED;
	else if ((c->method == M_TRANSFER || c->method == M_QUEUE_TRANSFER) && rchance(0.05))
		c->outcome = O_ABANDONED;
	if (c->outcome == O_IVR)
		c->queue = -1;

	/* timing */
	static const double ivr_med[NCH] = {70, 12, 2, 3}, wait_med[NCH] = {6, 8, 300, 1800};	/* voice and chat: most answered within 20 s */
	static const double talk_med[NCH] = {330, 540, 240, 420}, acw_med[NCH] = {45, 30, 20, 60};
	c->ivr = c->method == M_OUTBOUND ? 0 : c->prev[0] ? rrange(3, 9)
		: clampi(rlognorm(ivr_med[ch], 0.4), 2, 600);
	c->tenq = c->t0 + (c->ivr + c->qdelay) * 1000LL + rrange(0, 999);
	c->tenq -= c->tenq % 1000;
	if (c->outcome == O_IVR)
	{
		c->tdisc = c->tenq + rrange(5, 60) * 1000LL;
		c->disc = rchance(0.7) ? "CUSTOMER_DISCONNECT" : "CONTACT_FLOW_DISCONNECT";
		c->tlast = c->tdisc + rrange(20, 120) * 1000LL;
		n_ivr_only++;
		if (ch == CH_VOICE && !c->prev[0] && (c->hh >> 16) % 100 < 35)
		{
			c->ivr_hangup = 1;
			c->disc = "CUSTOMER_DISCONNECT";
			n_ivr_hangup++;
		}
	}
	else if (c->outcome == O_CALLBACK || c->outcome == O_QUEUE_XFER)
	{
		/* leaves the queue without an agent, and is not an abandon: the
		 * next leg (CALLBACK / QUEUE_TRANSFER) says why */
		c->qwait = at_threshold(c, clampi(rlognorm(c->outcome == O_CALLBACK ? 120 : 60, 0.8), 3, 1800));
		c->tdeq = c->tenq + c->qwait * 1000LL;
		c->tdisc = c->tdeq + (c->outcome == O_CALLBACK ? rrange(15, 45) * 1000LL : 0);
		c->disc = "CONTACT_FLOW_DISCONNECT";
		c->tlast = c->tdisc + rrange(20, 120) * 1000LL;
		ruuid(c->next);
		n_queued++;
	}
	else if (c->outcome == O_ABANDONED || c->outcome == O_EXPIRED)
	{
		c->qwait = c->outcome == O_EXPIRED ? rrange(86400, 3 * 86400) : at_threshold(c, clampi(rlognorm(90, 0.9), 3, 1800));
		c->tdeq = c->tenq + c->qwait * 1000LL;
		c->tdisc = c->tdeq;
		c->disc = c->outcome == O_EXPIRED ? "EXPIRED" : "CUSTOMER_DISCONNECT";
		c->tlast = c->tdisc + rrange(20, 120) * 1000LL;
		n_queued++;
		n_abandoned += c->outcome == O_ABANDONED;
		ch_abandoned[ch]++;
	}
	else
	{
		if (c->method == M_OUTBOUND)
		{
			c->qwait = 0;
			c->tconn = c->t0 + rrange(5, 25) * 1000LL;
		}
		else
		{
			double cap = ch == CH_VOICE || ch == CH_CHAT ? 3600 : 8 * 3600;
			c->qwait = at_threshold(c, clampi(rlognorm(wait_med[ch] * lf, 1.0), 0, (int) cap));
			c->tdeq = c->tenq + c->qwait * 1000LL;
			c->tconn = c->tdeq;
			n_queued++;
		}
		c->agent = pick_agent(c->queue, c->tconn);
		double tm = talk_med[ch] * (c->intent == 6 ? 1.5 : 1.0);
		c->talk = clampi(rlognorm(tm, 0.6), 15, 3 * 3600);
		if (ch == CH_VOICE && rchance(0.28))
		{
			c->nholds = rrange(1, 3);
			for (int h = 0; h < c->nholds; h++)
			{
				int hd = clampi(rlognorm(60, 0.8), 5, 1200);
				c->hold += hd;
				if (hd > c->longest)
					c->longest = hd;
			}
		}
		c->acw = clampi(rlognorm(acw_med[ch], 0.8), 0, 1800);
		c->tdisc = c->tconn + (c->talk + c->hold) * 1000LL;
		c->tacw1 = c->tdisc + c->acw * 1000LL;
		c->tlast = c->tacw1 + rrange(5, 90) * 1000LL;
		agents[c->agent].busy_until = c->tacw1;
		double r = runit();
		if (ch == CH_VOICE)
			c->disc = r < 0.52 ? "CUSTOMER_DISCONNECT" : r < 0.97 ? "AGENT_DISCONNECT" : "TELECOM_PROBLEM";
		else if (ch == CH_CHAT)
			c->disc = r < 0.40 ? "CUSTOMER_DISCONNECT" : r < 0.95 ? "AGENT_DISCONNECT" : "EXPIRED";
		else if (ch == CH_TASK)
			c->disc = r < 0.95 ? "AGENT_COMPLETED" : "API";
		else
			c->disc = "AGENT_DISCONNECT";
		ch_handled[ch]++;
		ch_handle_secs[ch] += (uint64_t) (c->talk + c->hold + c->acw);
		if ((ch == CH_VOICE || ch == CH_CHAT) && rchance(0.22))
		{
			static const int wa[5] = {5, 5, 10, 30, 50}, wr[5] = {10, 8, 12, 30, 40};
			c->csat_a = 1 + rpick(wa, 5);
			c->csat_r = 1 + rpick(wr, 5);
			c->csat_late = rchance(0.3);
		}
		/* cases */
		if (c->method != M_TRANSFER && c->identified)
		{
			double rc = runit();
			if (rc < 0.22 && nopen_list)
			{
				int32_t i = open_list[rbelow((uint32_t) nopen_list)];
				{
					/* the customer calls again about their open case */
					c->cust = cases[i].cust;
					c->business = (mix64((uint64_t) c->cust) % 10) == 0;
					c->vulnerable = (mix64((uint64_t) c->cust + 99) % 20) == 0;
					c->case_idx = i;
					memcpy(c->case_id, cases[i].id, 37);
					case_touch(c, i);
				}
			}
			else if (rc < 0.22 + 0.58)
				c->case_idx = case_new(c);
		}
		/* transfers */
		if (c->method != M_OUTBOUND && (ch == CH_VOICE || ch == CH_CHAT) && c->xfer_depth < 2
			&& rchance(c->xfer_depth ? 0.03 : ch == CH_VOICE ? 0.07 : 0.03))
		{
			ruuid(c->next);
			c->disc = "AGENT_DISCONNECT";
			c->transferred = 1;
		}
		else if (ch == CH_VOICE && mix64(c->hh ^ 0xe7) % 80 == 0)
		{
			/* the agent transfers the caller to an outside number */
			c->xfer_ext = 1;
			c->disc = "AGENT_DISCONNECT";
			n_external_transfers++;
		}
	}

	ctr_out(c);
	metrics_add(c);
	contact_events(c);
	flow_logs(c);
	if (c->agent >= 0)
		agent_contact_events(c);
	if (c->transferred)
	{
		n_transfers++;
		gen_leg(c, M_TRANSFER, lf);
	}
	else if (c->outcome == O_CALLBACK)
		gen_leg(c, M_CALLBACK, lf);
	else if (c->outcome == O_QUEUE_XFER)
		gen_leg(c, M_QUEUE_TRANSFER, lf);
}

/* ------------------------------------------------------ customer profiles */

/*
 * The Customer Profiles event stream (connect-formats.md section 6), one
 * NDJSON gzip object per day under customer_profiles/.  Every decision is a
 * hash of the customer or of the contact, never a draw from the PRNG
 * stream, so the stream changes no byte of the other kinds.  Of the
 * identified contacts (first legs):
 *   - a customer's _profile is CREATED 30 s before their first one in the
 *     period (PhoneNumber = the CTR's CustomerEndpoint of a voice call,
 *     AccountNumber = their account; 1 customer in 30, a business, has
 *     "B-<account>", not an integer);
 *   - 1 customer in 20 also has a duplicate profile, made at that first
 *     contact, MERGED into the main one at their next identified contact
 *     (DuplicateProfiles names it); for half of them the duplicate's CREATED
 *     event is delivered after the merge (a merge naming a profile the lake
 *     has not seen yet);
 *   - 1 customer in 50 has a custom object (ObjectTypeName SmartMeter, a type
 *     the lake does not know) at creation;
 *   - 1 later contact in 8 UPDATEs the profile (a new mobile number);
 *   - 3 contacts in 4 get a CTR object (ObjectTypeName CTR) associated with
 *     the customer's profile (the duplicate's, before the merge), the
 *     contact id in Object.ContactId;
 *   - every 40th event is delivered twice (the same EventId).
 */
static unsigned char *pf_state;		/* per customer: PF_* */
static uint32_t *pf_links_main, *pf_links_dup;
static uint64_t pf_seq, pf_events, pf_redeliveries, pf_profiles, pf_merged, pf_late_dups, pf_ctr_links,
			pf_updates, pf_custom, pf_nonint, pf_profile_events;
static uint64_t pf_files;
static Gz pf_gz;
static int64_t pf_day = INT64_MIN;
static Buf pf_buf;

#define PF_SEEN		1
#define PF_DUP		2
#define PF_MERGED	4
#define PF_LATE		8

static const char *const pf_first[] = {"Amelia", "Oliver", "Isla", "George", "Ava", "Harry", "Mia", "Noah",
	"Sophie", "Jack", "Grace", "Leo", "Freya", "Arthur", "Ella", "Rhys"};
static const char *const pf_last[] = {"Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Brown", "Wilson",
	"Thomas", "Roberts", "Johnson", "Lewis", "Walker", "Hughes", "Wright", "Morgan"};
static const char *const pf_city[] = {"Leeds", "Cardiff", "Bristol", "Manchester", "Swansea", "York"};

/* one event into the object of the day being generated (a new object, never an old one reopened) */
static void pf_put(void)
{
	int64_t day = floordiv(cur_hour * MS_H, 86400000LL);
	if (day != pf_day || !pf_gz.open)
	{
		char path[1400], ts[26], id[37];
		static uint64_t part;
		if (pf_gz.open)
			gz_close(&pf_gz);
		fmt_ts(ts, day * 86400000LL, 0);
		kuuid(id, 0x9f0f11e5ULL ^ ++part);
		snprintf(path, sizeof path, "%s/customer_profiles/%.4s/%.2s/%.2s/connect-profiles-firehose-1-%.4s-%.2s-%.2s-00-00-00-%s",
				 out_dir, ts, ts + 5, ts + 8, ts, ts + 5, ts + 8, id);
		gz_open(&pf_gz, path, ctr_only);
		pf_files += !ctr_only;
		pf_day = day;
	}
	gz_write(&pf_gz, pf_buf.p, pf_buf.n);
	gz_write(&pf_gz, "\n", 1);
	pf_events++;
	if (pf_seq % 40 == 39)
	{
		gz_write(&pf_gz, pf_buf.p, pf_buf.n);
		gz_write(&pf_gz, "\n", 1);
		pf_redeliveries++;
	}
}

/* the event's head, up to and including "Object": */
static void pf_head(int64_t t, const char *type, const char *otype, const char *profile, const char *key)
{
	char id[37];
	kuuid(id, 0x9f0e0000000ULL + ++pf_seq);
	pf_buf.n = 0;
	BL(&pf_buf, "{\"SchemaVersion\":0,\"EventId\":\"");
	bs(&pf_buf, id);
	BL(&pf_buf, "\",\"EventTimestamp\":");
	bts(&pf_buf, t);
	BL(&pf_buf, ",\"EventType\":\"");
	bs(&pf_buf, type);
	BL(&pf_buf, "\",\"DomainName\":\"energyco-customers\",\"ObjectTypeName\":\"");
	bs(&pf_buf, otype);
	BL(&pf_buf, "\",\"AssociatedProfileId\":\"");
	bs(&pf_buf, profile);
	BL(&pf_buf, "\",\"ProfileObjectUniqueKey\":\"");
	bs(&pf_buf, key);
	BL(&pf_buf, "\",\"Object\":");
}

/* a _profile object; dup: the duplicate profile (no account number) */
static void pf_profile(int64_t t, const char *type, int64_t cust, int dup, int update, const char *merged)
{
	char hx[40], v[64];
	uint64_t h = mix64((uint64_t) cust ^ 0x50f11eULL);
	profile_hex(hx, dup ? cust + 4000000000LL : cust);
	pf_head(t, type, "_profile", hx, hx);
	BL(&pf_buf, "{\"ProfileId\":\"");
	bs(&pf_buf, hx);
	bc(&pf_buf, '"');
	if (!dup)
	{
		acct_str(v, cust, 0);
		BL(&pf_buf, ",\"AccountNumber\":\"");
		if ((mix64((uint64_t) cust) % 30) == 0)
		{
			BL(&pf_buf, "B-");
			pf_nonint++;
			if (pf_seq % 40 == 39)
				pf_nonint++;	/* delivered twice: counted twice */
		}
		bs(&pf_buf, v);
		bc(&pf_buf, '"');
	}
	BL(&pf_buf, ",\"PartyType\":\"INDIVIDUAL\",\"FirstName\":");
	bq(&pf_buf, pf_first[h % 16]);
	BL(&pf_buf, ",\"LastName\":");
	bq(&pf_buf, pf_last[(h >> 8) % 16]);
	snprintf(v, sizeof v, "+4477009%05lld", (long long) ((cust * 7919) % 100000));
	BL(&pf_buf, ",\"PhoneNumber\":");
	bq(&pf_buf, v);
	if (update)
	{
		snprintf(v, sizeof v, "+4477008%05lld", (long long) ((cust * 104729 + (int64_t) pf_seq) % 100000));
		BL(&pf_buf, ",\"MobilePhoneNumber\":");
		bq(&pf_buf, v);
	}
	snprintf(v, sizeof v, "customer%lld@example.com", (long long) cust);
	BL(&pf_buf, ",\"EmailAddress\":");
	bq(&pf_buf, v);
	snprintf(v, sizeof v, "%d %s Road", (int) (h >> 16) % 200 + 1, pf_last[(h >> 24) % 16]);
	BL(&pf_buf, ",\"Address\":{\"Address1\":");
	bq(&pf_buf, v);
	BL(&pf_buf, ",\"City\":");
	bq(&pf_buf, pf_city[(h >> 32) % 6]);
	BL(&pf_buf, ",\"Country\":\"GB\"},\"Attributes\":{\"customerType\":\"");
	bs(&pf_buf, (mix64((uint64_t) cust) % 10) == 0 ? "Business" : "Domestic");
	BL(&pf_buf, "\"}}");
	if (merged)
	{
		BL(&pf_buf, ",\"MergeId\":\"");
		bs(&pf_buf, merged);
		BL(&pf_buf, "\",\"DuplicateProfiles\":[\"");
		profile_hex(hx, cust + 4000000000LL);
		bs(&pf_buf, hx);
		BL(&pf_buf, "\"]");
	}
	BL(&pf_buf, ",\"IsMessageRealTime\":true}");
	pf_profile_events++;
	pf_put();
}

/* a first leg was generated: its customer's profile events */
static void profile_contact(const Contact *c)
{
	int64_t cust = c->cust;
	uint64_t h = mix64((uint64_t) cust ^ 0x50f11eULL);
	uint64_t ch = mix64(c->hh ^ 0xc7b0b1ecULL);
	char hx[40], key[40];
	int first = 0;

	if (!c->identified)
		return;
	if (!pf_state)
	{
		pf_state = calloc((size_t) customers, 1);
		pf_links_main = calloc((size_t) customers, sizeof(uint32_t));
		pf_links_dup = calloc((size_t) customers, sizeof(uint32_t));
		if (!pf_state || !pf_links_main || !pf_links_dup)
			die("out of memory");
	}
	if (!(pf_state[cust] & PF_SEEN))
	{
		first = 1;
		pf_state[cust] |= PF_SEEN;
		pf_profiles++;
		pf_profile(c->t0 - 30000, "CREATED", cust, 0, 0, NULL);
		if ((h >> 40) % 20 == 0)
		{
			pf_state[cust] |= PF_DUP;
			pf_profiles++;
			if ((h >> 48) % 2 == 0)
				pf_profile(c->t0 - 20000, "CREATED", cust, 1, 0, NULL);
			else
				pf_state[cust] |= PF_LATE;
		}
		if ((h >> 52) % 50 == 1)
		{
			profile_hex(hx, cust);
			snprintf(key, sizeof key, "MPAN-%lld", (long long) (1200000000000LL + cust));
			pf_head(c->t0 - 10000, "CREATED", "SmartMeter", hx, key);
			BL(&pf_buf, "{\"MPAN\":\"");
			bs(&pf_buf, key + 5);
			BL(&pf_buf, "\",\"MeterType\":\"SMETS2\",\"LastReading\":");
			bint(&pf_buf, (int64_t) ((h >> 8) % 90000));
			BL(&pf_buf, "},\"IsMessageRealTime\":false}");
			pf_custom++;
			pf_put();
		}
	}
	else if (ch % 8 == 0)
	{
		pf_updates++;
		pf_profile(c->t0 + 90000, "UPDATED", cust, 0, 1, NULL);
	}
	{
		int to_dup = (pf_state[cust] & PF_DUP) && !(pf_state[cust] & PF_MERGED);
		if ((ch >> 8) % 4 != 0)
		{
			profile_hex(hx, to_dup ? cust + 4000000000LL : cust);
			pf_head(c->t0 + 120000, "CREATED", "CTR", hx, c->id);
			BL(&pf_buf, "{\"ContactId\":\"");
			bs(&pf_buf, c->id);
			BL(&pf_buf, "\",\"Channel\":\"");
			bs(&pf_buf, ch_name[c->ch]);
			BL(&pf_buf, "\",\"InitiationTimestamp\":");
			bts(&pf_buf, c->t0);
			BL(&pf_buf, "},\"IsMessageRealTime\":true}");
			pf_ctr_links++;
			if (to_dup)
				pf_links_dup[cust]++;
			else
				pf_links_main[cust]++;
			pf_put();
		}
	}
	if (!first && (pf_state[cust] & PF_DUP) && !(pf_state[cust] & PF_MERGED))
	{
		char mid[37];
		kuuid(mid, 0x3e6e0000ULL + (uint64_t) cust);
		pf_state[cust] |= PF_MERGED;
		pf_merged++;
		pf_profile(c->t0 + 150000, "MERGED", cust, 0, 0, mid);
		if (pf_state[cust] & PF_LATE)
		{
			/* made long before, delivered only now */
			pf_late_dups++;
			pf_profile(c->t0 - 3600000, "CREATED", cust, 1, 0, NULL);
		}
	}
}

/* The period is over: a duplicate whose merge never came still gets its late CREATED. */
static void profile_end(void)
{
	if (!pf_state)
		return;
	for (int64_t cust = 0; cust < customers; cust++)
		if ((pf_state[cust] & PF_LATE) && !(pf_state[cust] & PF_MERGED))
			pf_profile(end_ms - 60000, "CREATED", cust, 1, 0, NULL);
	if (pf_gz.open)
		gz_close(&pf_gz);
}

/* customers (surviving profiles) with two or more contacts linked by CTR objects */
static uint64_t profile_repeat_customers(void)
{
	uint64_t n = 0;
	if (!pf_state)
		return 0;
	for (int64_t cust = 0; cust < customers; cust++)
	{
		if (pf_state[cust] & PF_MERGED)
			n += pf_links_main[cust] + pf_links_dup[cust] >= 2;
		else
			n += (pf_links_main[cust] >= 2) + (pf_links_dup[cust] >= 2);
	}
	return n;
}

/* a contact initiated at t */
static void new_contact(int64_t t, double lf)
{
	Contact c;
	memset(&c, 0, sizeof c);
	ruuid(c.id);
	c.t0 = t;
	static const int chw[NCH] = {70, 18, 7, 5};
	c.ch = rpick(chw, NCH);
	c.method = c.ch == CH_VOICE ? (rchance(0.05) ? M_OUTBOUND : rchance(0.02) ? M_CALLBACK : M_INBOUND)
		: c.ch == CH_EMAIL ? M_INBOUND : M_API;
	int iw[NINTENT];
	for (int i = 0; i < NINTENT; i++)
		iw[i] = intents[i].weight;
	c.intent = rpick(iw, NINTENT);
	c.cust = (int64_t) (rnd() % (uint64_t) customers);
	c.identified = c.ch == CH_TASK || c.method == M_OUTBOUND || rchance(0.85);
	c.two_acct = rchance(0.05);
	c.authenticated = c.identified && rchance(0.8);
	c.business = (mix64((uint64_t) c.cust) % 10) == 0;
	c.vulnerable = (mix64((uint64_t) c.cust + 99) % 20) == 0;
	c.has_junifer = rchance(0.9);
	c.welsh = rchance(0.02);
	static char last_voice[37];
	if (c.ch == CH_TASK && last_voice[0] && rchance(0.3))
		memcpy(c.related, last_voice, 37);	/* a task raised from an earlier call */
	if (c.ch == CH_VOICE)
		memcpy(last_voice, c.id, 37);
	gen_contact(&c, lf);
	profile_contact(&c);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
	return x < y ? -1 : x > y;
}

static int64_t *hour_ts;
static size_t hour_ts_cap;

static void contacts_hour(void)
{
	int64_t h0 = cur_hour * MS_H;
	if (h0 >= end_ms)
		return;
	int64_t l = london(h0);
	int64_t lday = floordiv(l, MS_D);
	int lh = (int) ((l - lday * MS_D) / MS_H), wd = iso_wday(lday);
	double w = hour_weight(lh, wd);
	double expect = contacts_per_day * day_w[wd] * (7.0 / 6.1) * w / day_hours_total(wd);
	expect *= 1.0 + 0.06 * rnorm();
	if (expect < 0)
		expect = 0;
	size_t n = (size_t) (expect + runit());
	if (n > hour_ts_cap)
	{
		hour_ts_cap = n * 2;
		hour_ts = xrealloc(hour_ts, sizeof(int64_t) * hour_ts_cap);
	}
	for (size_t i = 0; i < n; i++)
		hour_ts[i] = h0 + (int64_t) rbelow(3600) * 1000 + rbelow(1000);
	qsort(hour_ts, n, sizeof(int64_t), cmp_i64);
	double lf = 0.5 + w;
	for (size_t i = 0; i < n; i++)
	{
		cases_until(hour_ts[i]);
		new_contact(hour_ts[i], lf);
	}
}

/* --------------------------------------------------------------- malformed */

static void malformed(int type, int64_t t)
{
	Buf *b = &rec;
	char id[37];
	ruuid(id);
	b->n = 0;
	switch (type)
	{
		case M_CTR_NUMBER:
			BL(b, "{\"AWSAccountId\":\"");
			bs(b, aws_account);
			BL(b, "\",\"AWSContactTraceRecordFormatVersion\":\"2017-03-10\",\"Agent\":null,\"AgentConnectionAttempts\":\"one\","
			   "\"Attributes\":{},\"Channel\":\"VOICE\",\"ConnectedToSystemTimestamp\":");
			bts(b, t);
			BL(b, ",\"ContactId\":\"");
			bs(b, id);
			BL(b, "\",\"DisconnectReason\":\"CUSTOMER_DISCONNECT\",\"DisconnectTimestamp\":");
			bts(b, t + 60000);
			BL(b, ",\"InitiationMethod\":\"INBOUND\",\"InitiationTimestamp\":");
			bts(b, t);
			BL(b, ",\"InstanceARN\":\"");
			bs(b, instance_arn);
			BL(b, "\",\"LastUpdateTimestamp\":");
			bts(b, t + 90000);
			BL(b, ",\"Queue\":{\"ARN\":\"");
			bs(b, queues[0].arn);
			BL(b, "\",\"DequeueTimestamp\":");
			bts(b, t + 60000);
			BL(b, ",\"Duration\":\"346s\",\"EnqueueTimestamp\":");
			bts(b, t + 20000);
			BL(b, ",\"Name\":\"Billing\"}}");
			emit(K_CTR, 0, t, b->p, b->n);
			break;
		case M_CTR_JSON:
			/* braces balance, so framing finds the record; the bare word makes it invalid */
			BL(b, "{\"AWSAccountId\":\"");
			bs(b, aws_account);
			BL(b, "\",\"ContactId\":\"");
			bs(b, id);
			BL(b, "\",\"Channel\":VOICE,\"InitiationTimestamp\":");
			bts(b, t);
			BL(b, ",\"Agent\":null}");
			emit(K_CTR, 0, t, b->p, b->n);
			break;
		case M_FLOW_TS:
			{
				Buf *m = &msg;
				char ts[26];
				fmt_ts(ts, t, 1);
				m->n = 0;
				BL(m, "{\n    \"ContactId\": \"");
				bs(m, id);
				BL(m, "\",\n    \"ContactFlowId\": \"");
				bs(m, flow_arn[FL_VOICE]);
				BL(m, "\",\n    \"ContactFlowModuleType\": \"SetQueue\",\n    \"Timestamp\": \"");
				bmem(m, ts, 14);	/* YYYY-MM-DDTHH:MM */
				bmem(m, ts + 19, 5);	/* .mmmZ: no seconds */
				BL(m, "\",\n    \"Parameters\": {\"Queue\": \"");
				bs(m, queues[0].arn);
				BL(m, "\"}\n}");
				b->n = 0;
				BL(b, "{\"id\":\"");
				char idd[64];
				snprintf(idd, sizeof idd, "%013lld%043d", (long long) t, 0);
				bmem(b, idd, 56);
				BL(b, "\",\"timestamp\":");
				bint(b, t);
				BL(b, ",\"message\":");
				bqmem(b, m->p, m->n);
				bc(b, '}');
				emit(K_FSUB, 0, t, b->p, b->n);
			}
			break;
		case M_CEV_JSON:
			BL(b, "{\"version\":\"0\",\"id\":\"");
			bs(b, id);
			BL(b, "\",\"detail-type\":\"Amazon Connect Contact Event\",\"source\":\"aws.connect\",\"detail\":{\"eventType\":\"QUEUED\",\"contactId\":\"");
			emit(K_CEV, 0, t, b->p, b->n);
			break;
		case M_CASE_JSON:
			BL(b, "{\"version\":\"0\",\"id\":\"");
			bs(b, id);
			BL(b, "\",\"detail-type\":\"Amazon Connect Cases Change\",\"source\":\"aws.cases\",\"detail\":{\"eventType\":\"CASE.UPDATED\",\"case\":{\"caseId\":");
			emit(K_CASE, 0, t, b->p, b->n);
			break;
		case M_AGENT_JSON:
			BL(b, "{\"AWSAccountId\":\"");
			bs(b, aws_account);
			BL(b, "\",\"AgentARN\":\"");
			bs(b, agents[0].arn);
			BL(b, "\",\"EventId\":\"");
			bs(b, id);
			BL(b, "\",\"EventTimestamp\":");
			btsm(b, t);
			BL(b, ",\"EventType\":STATE_CHANGE,\"Version\":\"2017-10-01\"}");
			emit(K_AGENT, 0, t, b->p, b->n);
			break;
	}
	n_mal[type]++;
}

/* ------------------------------------------------------------------ output */

static FILE *xfopen(const char *path)
{
	mkdirs(path);
	FILE *f = fopen(path, "w");
	if (!f)
		die("open %s: %s", path, strerror(errno));
	return f;
}

static void write_fields(void)
{
	char path[1400];
	snprintf(path, sizeof path, "%s/fields.json", out_dir);
	FILE *f = xfopen(path);
	static const struct
	{
		const char *id, *name, *type;
	}			sys[] = {
		{"case_id", "Case ID", "Text"}, {"status", "Status", "SingleSelect"}, {"title", "Title", "Text"},
		{"summary", "Summary", "Text"}, {"case_reason", "Case reason", "SingleSelect"},
		{"customer_id", "Customer", "Text"}, {"reference_number", "Reference number", "Text"},
		{"created_datetime", "Created date/time", "DateTime"},
		{"last_updated_datetime", "Last updated date/time", "DateTime"},
		{"last_closed_datetime", "Last closed date/time", "DateTime"},
	};
	fputs("{\"fields\":[\n", f);
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		fprintf(f, "  {\"fieldId\":\"%s\",\"fieldArn\":\"%s/field/%s\",\"name\":\"%s\",\"type\":\"%s\",\"namespace\":\"System\"},\n",
				sys[i].id, cases_domain_arn, sys[i].id, sys[i].name, sys[i].type);
	for (int i = 0; i < NCUSTOM; i++)
		fprintf(f, "  {\"fieldId\":\"%s\",\"fieldArn\":\"%s/field/%s\",\"name\":\"%s\",\"type\":\"%s\",\"namespace\":\"Custom\",\"description\":\"%s\"}%s\n",
				custom_id[i], cases_domain_arn, custom_id[i], custom_def[i].name, custom_def[i].type, custom_def[i].desc,
				i + 1 < NCUSTOM ? "," : "");
	fputs("]}\n", f);
	fclose(f);
}

static void jts(FILE *f, int64_t t)
{
	char o[26];
	if (!t)
	{
		fputs("null", f);
		return;
	}
	fmt_ts(o, t, 1);
	fprintf(f, "\"%s\"", o);
}

/* num * scale / den rounded half up to 6 decimals (as numeric round() does), exactly; null when den is 0 */
static void jratio(FILE *f, uint64_t num, uint64_t den, uint64_t scale)
{
	if (!den)
	{
		fputs("null", f);
		return;
	}
	uint64_t v = (num * scale * 2000000 + den) / (2 * den);
	fprintf(f, "%llu.%06llu", (unsigned long long) (v / 1000000), (unsigned long long) (v % 1000000));
}

static void madd(MAcc *s, const MAcc *m)
{
	s->created += m->created;
	s->queued += m->queued;
	s->handled += m->handled;
	s->answered += m->answered;
	s->abandoned += m->abandoned;
	s->callbacks += m->callbacks;
	s->xfer_queue += m->xfer_queue;
	s->xfer_internal += m->xfer_internal;
	s->xfer_external += m->xfer_external;
	s->xfer_agent += m->xfer_agent;
	s->held += m->held;
	s->answered_lt += m->answered_lt;
	s->abandoned_lt += m->abandoned_lt;
	s->removed_lt += m->removed_lt;
	s->removed_eq += m->removed_eq;
	s->qa_sum += m->qa_sum;
	s->ab_sum += m->ab_sum;
	s->handle_sum += m->handle_sum;
	s->talk_sum += m->talk_sum;
	s->hold_sum += m->hold_sum;
	s->acw_sum += m->acw_sum;
	if (m->qmax > s->qmax)
		s->qmax = m->qmax;
}

/* one row's figures, named as the lake's views name them */
static void jmetrics(FILE *f, const MAcc *m)
{
#define U(x) ((unsigned long long) (x))
	fprintf(f, "\"contacts_created\": %llu, \"contacts_queued\": %llu, \"contacts_handled\": %llu, \"contacts_answered\": %llu, "
			"\"contacts_abandoned\": %llu, \"callbacks_requested\": %llu, \"contacts_transferred_out\": %llu, "
			"\"contacts_transferred_out_from_queue\": %llu, \"contacts_transferred_out_internal\": %llu, "
			"\"contacts_transferred_out_external\": %llu, \"contacts_transferred_out_by_agent\": %llu, \"contacts_put_on_hold\": %llu, "
			"\"contacts_answered_in_x\": %llu, \"contacts_abandoned_in_x\": %llu, \"contacts_removed_in_x\": %llu, "
			"\"contacts_removed_at_x\": %llu, \"contacts_removed_in_x_lte\": %llu, \"queue_answer_time_sum\": %llu, "
			"\"abandon_time_sum\": %llu, \"max_queued_time\": ",
			U(m->created), U(m->queued), U(m->handled), U(m->answered), U(m->abandoned), U(m->callbacks),
			U(m->xfer_agent + m->xfer_queue), U(m->xfer_queue), U(m->xfer_internal), U(m->xfer_external), U(m->xfer_agent),
			U(m->held), U(m->answered_lt), U(m->abandoned_lt), U(m->removed_lt), U(m->removed_eq),
			U(m->removed_lt + m->removed_eq), U(m->qa_sum), U(m->ab_sum));
	if (m->qmax < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long) m->qmax);
	fprintf(f, ", \"handle_time_sum\": %llu, \"interaction_time_sum\": %llu, \"hold_time_sum\": %llu, \"acw_time_sum\": %llu, "
			"\"service_level\": ", U(m->handle_sum), U(m->talk_sum), U(m->hold_sum), U(m->acw_sum));
	jratio(f, m->removed_lt, m->queued, 100);
	fputs(", \"service_level_lte\": ", f);
	jratio(f, m->removed_lt + m->removed_eq, m->queued, 100);
	fputs(", \"abandonment_rate\": ", f);
	jratio(f, m->abandoned, m->queued, 100);
	fputs(", \"avg_handle_time\": ", f);
	jratio(f, m->handle_sum, m->handled, 1);
	fputs(", \"avg_queue_answer_time\": ", f);
	jratio(f, m->qa_sum, m->answered, 1);
	fputs(", \"avg_abandon_time\": ", f);
	jratio(f, m->ab_sum, m->abandoned, 1);
#undef U
}

static void jqueue(FILE *f, int q)
{
	if (q < 0)
		fputs("\"queue_id\": null, \"queue_name\": null", f);
	else
		fprintf(f, "\"queue_id\": \"%s\", \"queue_name\": \"%s\"", queues[q].id, queue_name(q, end_ms));
}

/* SUMMARY.json's "metrics": rows at the lake's grains (queue, channel and
 * local day; queue and day; queue over the period; agent and day) */
static void write_metrics(FILE *f)
{
	char ds[11];
	int last = 0;				/* days after the last one with contacts are left out */
	for (int d = 0; d < mdays; d++)
		for (int q = -1; q < NQUEUE; q++)
			for (int c = 0; c < NCH; c++)
				if (macc_at(d, q, c)->created)
					last = d;
	fprintf(f, "  \"metrics\": {\n    \"time_zone\": \"Europe/London\",\n"
			"    \"service_level\": {\"threshold_s\": %d, \"comparison\": \"LT\"},\n", SL_X);
	fprintf(f, "    \"traps\": {\"transfer_legs\": %llu, \"callback_legs\": %llu, \"queue_transfer_legs\": %llu, "
			"\"external_transfers\": %llu, \"removed_at_threshold\": %llu, \"crossing_local_day\": %llu, "
			"\"crossing_interval\": %llu, \"disconnected_after_period\": %llu, \"redelivered_versions\": %llu, "
			"\"exact_duplicates\": %llu},\n",
			(unsigned long long) n_transfers, (unsigned long long) n_callback_legs, (unsigned long long) n_queue_transfer_legs,
			(unsigned long long) n_external_transfers, (unsigned long long) n_at_threshold, (unsigned long long) n_cross_day,
			(unsigned long long) n_cross_interval, (unsigned long long) n_after_end, (unsigned long long) n_redeliveries,
			(unsigned long long) n_duplicates);
	MAcc all = {.qmax = -1};
	for (int d = 0; d <= last; d++)
		for (int q = 0; q < NQUEUE; q++)
			for (int c = 0; c < NCH; c++)
				madd(&all, macc_at(d, q, c));
	fputs("    \"totals\": {", f);
	jmetrics(f, &all);
	fputs("},\n    \"queue_totals\": [", f);
	int first = 1;
	for (int q = -1; q < NQUEUE; q++)
	{
		MAcc t = {.qmax = -1};
		for (int d = 0; d <= last; d++)
			for (int c = 0; c < NCH; c++)
				madd(&t, macc_at(d, q, c));
		if (!t.created)
			continue;
		fprintf(f, "%s\n      {", first ? "" : ",");
		jqueue(f, q);
		fputs(", ", f);
		jmetrics(f, &t);
		fputs("}", f);
		first = 0;
	}
	fputs("\n    ],\n    \"queue_days\": [", f);
	first = 1;
	for (int d = 0; d <= last; d++)
		for (int q = -1; q < NQUEUE; q++)
		{
			MAcc t = {.qmax = -1};
			for (int c = 0; c < NCH; c++)
				madd(&t, macc_at(d, q, c));
			if (!t.created)
				continue;
			day_str(ds, mday0 + d);
			fprintf(f, "%s\n      {\"day\": \"%s\", ", first ? "" : ",", ds);
			jqueue(f, q);
			fputs(", ", f);
			jmetrics(f, &t);
			fputs("}", f);
			first = 0;
		}
	fputs("\n    ],\n    \"queue_channel_days\": [", f);
	first = 1;
	for (int d = 0; d <= last; d++)
		for (int q = -1; q < NQUEUE; q++)
			for (int c = 0; c < NCH; c++)
			{
				const MAcc *m = macc_at(d, q, c);
				if (!m->created)
					continue;
				day_str(ds, mday0 + d);
				fprintf(f, "%s\n      {\"day\": \"%s\", ", first ? "" : ",", ds);
				jqueue(f, q);
				fprintf(f, ", \"channel\": \"%s\", ", ch_name[c]);
				jmetrics(f, m);
				fputs("}", f);
				first = 0;
			}
	fputs("\n    ],\n    \"agent_days\": [", f);
	first = 1;
	for (int d = 0; d <= last; d++)
		for (int a = 0; a < nagents; a++)
		{
			const AAcc *m = &aacc[(size_t) d * (size_t) nagents + (size_t) a];
			if (!m->handled)
				continue;
			day_str(ds, mday0 + d);
			fprintf(f, "%s\n      {\"day\": \"%s\", \"agent_id\": \"%s\", \"contacts_handled\": %llu, \"handle_time_sum\": %llu}",
					first ? "" : ",", ds, agents[a].id, (unsigned long long) m->handled, (unsigned long long) m->handle_sum);
			first = 0;
		}
	fputs("\n    ],\n    \"agent_totals\": [", f);
	first = 1;
	for (int a = 0; a < nagents; a++)
	{
		AAcc t = {0};
		for (int d = 0; d <= last; d++)
		{
			t.handled += aacc[(size_t) d * (size_t) nagents + (size_t) a].handled;
			t.handle_sum += aacc[(size_t) d * (size_t) nagents + (size_t) a].handle_sum;
		}
		if (!t.handled)
			continue;
		fprintf(f, "%s\n      {\"agent_id\": \"%s\", \"username\": \"%s\", \"contacts_handled\": %llu, \"handle_time_sum\": %llu}",
				first ? "" : ",", agents[a].id, agents[a].username, (unsigned long long) t.handled,
				(unsigned long long) t.handle_sum);
		first = 0;
	}
	fputs("\n    ]\n  },\n", f);
}

static void write_summary(const char *path, int days)
{
	FILE *f = xfopen(path);
	char d0[26], d1[26], ds[11];
	fmt_ts(d0, start_ms, 0);
	fmt_ts(d1, end_ms, 0);
	fprintf(f, "{\n  \"generator\": \"connect_gen\",\n  \"format_version\": 1,\n  \"seed\": %llu,\n",
			(unsigned long long) gen_seed);
	fprintf(f, "  \"parameters\": {\"days\": %d, \"contacts_per_day\": %d, \"agents\": %d, \"customers\": %lld, "
			"\"malformed\": %llu, \"heartbeat_secs\": %d, \"flowlog_export_pct\": %d},\n",
			days, contacts_per_day, nagents, (long long) customers, (unsigned long long) n_malformed_req,
			heartbeat_secs, export_pct);
	fprintf(f, "  \"period\": {\"start\": \"%s\", \"end\": \"%s\", \"end_exclusive\": true, \"days\": %d, "
			"\"contacts_initiated_in\": \"[start, end) UTC; transfer legs may start after end\"},\n", d0, d1, days);
	fprintf(f, "  \"day_time_zone\": \"Europe/London\",\n");
	fputs("  \"record_time_range\": {", f);
	static const char *const kn[NK] = {"ctr_last_update", "flowlog_subscription", "flowlog_export", "contact_events",
	"case_events", "agent_events"};
	for (int k = 0; k < NK; k++)
	{
		fprintf(f, "%s\"%s\": {\"first\": ", k ? ", " : "", kn[k]);
		jts(f, tfirst[k]);
		fputs(", \"last\": ", f);
		jts(f, tlast[k]);
		fputs("}", f);
	}
	fputs("},\n", f);

	fprintf(f, "  \"contacts\": {\n    \"distinct\": %llu,\n    \"transfers\": %llu,\n    \"queued\": %llu,\n"
			"    \"abandoned\": %llu,\n    \"ivr_only\": %llu,\n    \"by_channel\": {",
			(unsigned long long) n_contacts, (unsigned long long) n_transfers, (unsigned long long) n_queued,
			(unsigned long long) n_abandoned, (unsigned long long) n_ivr_only);
	for (int c = 0; c < NCH; c++)
		fprintf(f, "%s\n      \"%s\": {\"contacts\": %llu, \"handled\": %llu, \"not_handled\": %llu, \"handle_time_seconds\": %llu, "
				"\"avg_handle_time_seconds\": %.3f}", c ? "," : "", ch_name[c],
				(unsigned long long) ch_contacts[c], (unsigned long long) ch_handled[c],
				(unsigned long long) (ch_contacts[c] - ch_handled[c]), (unsigned long long) ch_handle_secs[c],
				ch_handled[c] ? (double) ch_handle_secs[c] / (double) ch_handled[c] : 0.0);
	fputs("\n    }\n  },\n", f);
	fprintf(f, "  \"ctr_records\": {\"written\": %llu, \"first_deliveries\": %llu, \"redeliveries\": %llu, \"exact_duplicates\": %llu},\n",
			(unsigned long long) n_ctr_written, (unsigned long long) n_contacts, (unsigned long long) n_redeliveries,
			(unsigned long long) n_duplicates);
	uint64_t tce = 0;
	for (int i = 0; i < NCE; i++)
		tce += n_ce[i];
	fprintf(f, "  \"contact_events\": {\"total\": %llu, \"legacy_shape\": %llu, \"by_event_type\": {",
			(unsigned long long) tce, (unsigned long long) n_ce_legacy);
	for (int i = 0; i < NCE; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", ce_name[i], (unsigned long long) n_ce[i]);
	fputs("}},\n", f);
	fprintf(f, "  \"flow_log_events\": {\"total\": %llu, \"subscription\": %llu, \"export\": %llu, "
			"\"contacts_subscription\": %llu, \"contacts_export\": %llu, \"control_messages\": %llu, \"lambda_errors\": %llu},\n",
			(unsigned long long) (n_flow_sub + n_flow_exp), (unsigned long long) n_flow_sub, (unsigned long long) n_flow_exp,
			(unsigned long long) n_flow_contacts_sub, (unsigned long long) n_flow_contacts_exp,
			(unsigned long long) control_messages, (unsigned long long) n_lambda_err);
	fprintf(f, "  \"flows\": {\"voice_flow\": \"%s\", \"lookup_module\": \"%s\", \"welcome_v1\": \"%s\", "
			"\"welcome_v2\": \"%s\", \"voice_lambda_block\": \"%s\", \"version_2_first_run\": ",
			flow_arn[FL_VOICE], flow_arn[FL_LOOKUP], block_id[FL_VOICE][WELCOME_BI], welcome_v2_id,
			block_id[FL_VOICE][WELCOME_BI + 1]);
	if (flow_v2_first == INT64_MAX)
		fputs("null", f);
	else
		jts(f, flow_v2_first);
	fprintf(f, ", \"voice_lookups\": [%llu, %llu], \"voice_lambda_errors\": [%llu, %llu], "
			"\"ivr_only\": %llu, \"ivr_hang_ups\": %llu, \"ivr_contained\": %llu},\n",
			(unsigned long long) n_voice_lookup[0], (unsigned long long) n_voice_lookup[1],
			(unsigned long long) n_voice_lambda_err[0], (unsigned long long) n_voice_lambda_err[1],
			(unsigned long long) n_ivr_only, (unsigned long long) n_ivr_hangup,
			(unsigned long long) (n_ivr_only - n_ivr_hangup));
	uint64_t tke = 0;
	for (int i = 0; i < NKE; i++)
		tke += n_ke[i];
	fprintf(f, "  \"customer_profiles\": {\"events\": %llu, \"records_written\": %llu, \"redeliveries\": %llu, "
			"\"profile_events\": %llu, \"profiles\": %llu, \"merged\": %llu, \"merges_before_duplicate_seen\": %llu, "
			"\"customers\": %llu, \"ctr_object_links\": %llu, \"customers_with_2_or_more_linked_contacts\": %llu, "
			"\"updates\": %llu, \"custom_objects\": %llu, \"account_numbers_not_integer\": %llu},\n",
			(unsigned long long) pf_events, (unsigned long long) (pf_events + pf_redeliveries),
			(unsigned long long) pf_redeliveries, (unsigned long long) pf_profile_events,
			(unsigned long long) pf_profiles, (unsigned long long) pf_merged, (unsigned long long) pf_late_dups,
			(unsigned long long) (pf_profiles - pf_merged), (unsigned long long) pf_ctr_links,
			(unsigned long long) profile_repeat_customers(), (unsigned long long) pf_updates,
			(unsigned long long) pf_custom, (unsigned long long) pf_nonint);
	fprintf(f, "  \"case_events\": {\"total\": %llu, \"by_event_type\": {", (unsigned long long) tke);
	for (int i = 0; i < NKE; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", ke_name[i], (unsigned long long) n_ke[i]);
	fputs("}},\n", f);
	fprintf(f, "  \"cases\": {\n    \"distinct\": %llu,\n    \"deleted\": %llu,\n    \"reopened\": %llu,\n    \"open_at_end\": %lld,\n"
			"    \"created_per_day\": {",
			(unsigned long long) n_cases, (unsigned long long) n_cases_deleted, (unsigned long long) n_reopened,
			(long long) n_open);
	int first = 1;
	for (int d = 0; d < ncases_days; d++)
	{
		if (!cases_per_day[d])
			continue;
		day_str(ds, cases_day0 + d);
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", ds, (unsigned long long) cases_per_day[d]);
		first = 0;
	}
	fputs("},\n    \"open_at_end_by_created_day\": {", f);
	{
		uint64_t *od = calloc((size_t) ncases_days, sizeof(uint64_t));
		for (int32_t j = 0; j < nopen_list; j++)
		{
			int64_t d = floordiv(london(cases[open_list[j]].created), MS_D) - cases_day0;
			if (d >= 0 && d < ncases_days)
				od[d]++;
		}
		first = 1;
		for (int d = 0; d < ncases_days; d++)
		{
			if (!od[d])
				continue;
			day_str(ds, cases_day0 + d);
			fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", ds, (unsigned long long) od[d]);
			first = 0;
		}
		free(od);
	}
	fprintf(f, "},\n    \"complaints\": {\"total\": %llu, \"by_subject\": {", (unsigned long long) n_complaints);
	first = 1;
	for (int s = 0; s < NCSUBJ; s++)
	{
		if (!n_complaints_subj[s])
			continue;
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", c_subjects[s], (unsigned long long) n_complaints_subj[s]);
		first = 0;
	}
	fmt_ts(d0, l1_window_start, 0);
	fprintf(f, "}},\n    \"by_level_1_last_30_days\": {\"from\": \"%s\", \"to\": \"%s\", \"counts\": {", d0, d1);
	first = 1;
	for (int j = 0; j < nl1; j++)
	{
		if (!l1_counts[j])
			continue;
		fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", l1_names[j], (unsigned long long) l1_counts[j]);
		first = 0;
	}
	fputs("}}\n  },\n", f);
	uint64_t tae = 0;
	for (int i = 0; i < NAE; i++)
		tae += n_ae[i];
	fprintf(f, "  \"agent_events\": {\"total\": %llu, \"agents\": %d, \"by_event_type\": {", (unsigned long long) tae, nagents);
	for (int i = 0; i < NAE; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", ae_name[i], (unsigned long long) n_ae[i]);
	fputs("}},\n", f);
	uint64_t tm = 0;
	for (int i = 0; i < NM; i++)
		tm += n_mal[i];
	fprintf(f, "  \"malformed\": {\"total\": %llu, \"by_kind\": {", (unsigned long long) tm);
	static const char *const mk[] = {"ctr", "contact_flow_log", "contact_event", "case_event", "agent_event"};
	for (int j = 0; j < 5; j++)
	{
		uint64_t s = 0;
		for (int i = 0; i < NM; i++)
			if (strcmp(m_kind[i], mk[j]) == 0)
				s += n_mal[i];
		fprintf(f, "%s\"%s\": %llu", j ? ", " : "", mk[j], (unsigned long long) s);
	}
	fputs("}, \"by_defect\": {", f);
	for (int i = 0; i < NM; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", m_defect[i], (unsigned long long) n_mal[i]);
	fputs("}},\n", f);
	fprintf(f, "  \"files\": {\"ctr\": %llu, \"flowlog_subscription\": %llu, \"flowlog_export\": %llu, \"contact_events\": %llu, "
			"\"case_events\": %llu, \"agent_events\": %llu, \"customer_profiles\": %llu},\n",
			(unsigned long long) streams[K_CTR].files, (unsigned long long) streams[K_FSUB].files,
			(unsigned long long) streams[K_FEXP].files, (unsigned long long) streams[K_CEV].files,
			(unsigned long long) streams[K_CASE].files, (unsigned long long) streams[K_AGENT].files,
			(unsigned long long) pf_files);
	fprintf(f, "  \"expected_rows\": {\"ctr_events\": %llu, \"contact_flow_log\": %llu, \"contact_events\": %llu, "
			"\"case_events\": %llu, \"case_related_items\": %llu, \"agent_events\": %llu, \"load_rejects\": %llu},\n",
			(unsigned long long) n_contacts, (unsigned long long) (n_flow_sub + n_flow_exp), (unsigned long long) tce,
			(unsigned long long) (n_ke[KE_CREATED] + n_ke[KE_UPDATED] + n_ke[KE_DELETED]), (unsigned long long) n_ke[KE_RELATED],
			(unsigned long long) tae, (unsigned long long) tm);
	write_metrics(f);
	fputs("  \"definitions\": {\n"
		  "    \"contacts.distinct\": \"CTR rows after de-duplication on ContactId (greatest LastUpdateTimestamp wins), transfer legs included, malformed records excluded\",\n"
		  "    \"contacts.queued\": \"contacts with Queue.EnqueueTimestamp set (outbound calls carry the Outbound queue without it)\",\n"
		  "    \"contacts.abandoned\": \"queued, Agent null, DisconnectReason CUSTOMER_DISCONNECT (expired tasks are not abandons)\",\n"
		  "    \"contacts.by_channel.handled\": \"Agent not null\",\n"
		  "    \"contacts.by_channel.handle_time_seconds\": \"sum over handled contacts of Agent.AgentInteractionDuration + Agent.CustomerHoldDuration + Agent.AfterContactWorkDuration\",\n"
		  "    \"ctr_records.written\": \"valid CTR records in ctr/ objects: first deliveries + re-deliveries (later LastUpdateTimestamp, attributes changed) + exact duplicates\",\n"
		  "    \"flow_log_events\": \"each contact's flow log events are in exactly one layout: export when (first byte of the ContactId, 0-255) * 100 / 256 < parameters.flowlog_export_pct, else subscription; outbound calls have none; control messages are not events\",\n"
		  "    \"cases.created_per_day\": \"CASE.CREATED events by Europe/London calendar day of createdDateTime\",\n"
		  "    \"cases.open_at_end\": \"cases whose last event before period.end is not CASE.DELETED and has status other than closed\",\n"
		  "    \"cases.by_level_1_last_30_days\": \"cases created in [from, to) by their Level 1 field (never changes), deleted cases included\",\n"
		  "    \"cases.complaints\": \"cases created with Is Complaint true, by Complaint Subject (never changes)\",\n"
		  "    \"malformed\": \"records written besides the valid ones; their ids are used by no valid record\",\n"
		  "    \"expected_rows\": \"rows each lake table should hold after loading every file once (load_rejects: one per malformed record)\",\n"
		  "    \"metrics\": \"contact metrics as connect-metrics.md defines them, from what the generator decided for each contact (latest CTR version; every leg a contact of its own): a contact counts on the local day (time_zone) of its DisconnectTimestamp, in its queue (queue_id null: no queue) and channel\",\n"
		  "    \"metrics.rows\": \"queue_channel_days: per day, queue and channel (the grain of queue_metrics_daily); queue_days: all channels; queue_totals: every day; totals: every day and queue (queue_id null excluded); agent_days / agent_totals: per agent on the CTR, handled contacts\",\n"
		  "    \"metrics.flags\": \"queued: EnqueueTimestamp; handled: ConnectedToAgentTimestamp; answered: both; callbacks_requested / contacts_transferred_out_from_queue: queued, not handled, continued by a CALLBACK / QUEUE_TRANSFER leg; abandoned: queued, not handled, neither (expired tasks included); transferred out internal: handled, continued by a TRANSFER leg; external: TransferCompletedTimestamp; by agent: handled and either; contacts_transferred_out: by agent + from queue\",\n"
		  "    \"metrics.times\": \"queue time: Queue.Duration (a callback leg's includes its initial delay); handle time: AgentInteractionDuration + CustomerHoldDuration + AfterContactWorkDuration; *_sum over answered (queue_answer_time_sum), abandoned (abandon_time_sum) or handled contacts\",\n"
		  "    \"metrics.threshold\": \"x = service_level.threshold_s: answered / abandoned / removed (answered, abandoned or callback requested) with queue time < x; contacts_removed_at_x: = x; contacts_removed_in_x_lte: <= x\",\n"
		  "    \"metrics.rates\": \"service_level = 100 * removed_in_x / queued (LT; service_level_lte: LTE), abandonment_rate = 100 * abandoned / queued, avg_handle_time = handle_time_sum / handled, avg_queue_answer_time = queue_answer_time_sum / answered, avg_abandon_time = abandon_time_sum / abandoned: rounded half up to 6 decimals, null when the denominator is 0\",\n"
		  "    \"metrics.traps\": \"legs by method (transfer_legs = contacts.transfers), external transfers, contacts removed from queue at exactly x seconds, contacts whose initiation and disconnect fall on different local days / 15-minute UTC intervals or whose disconnect is after period.end, CTR versions delivered again\"\n"
		  "  },\n", f);
	fprintf(f, "  \"bytes\": {\"uncompressed\": %llu, \"compressed\": %llu}\n}\n",
			(unsigned long long) total_raw, (unsigned long long) total_file);
	fclose(f);
}

/* -------------------------------------------------------------------- main */

static void usage(void)
{
	fputs("usage: connect_gen --out DIR [--start YYYY-MM-DD] [--days N] [--contacts-per-day N] [--seed N]\n"
		  "                   [--agents N (default max(300, contacts-per-day / 25))] [--customers N] [--malformed N] [--summary FILE]\n"
		  "                   [--heartbeat-secs N (0: none; default 3600)] [--flowlog-export-pct P (default 20)]\n"
		  "                   [--gzip-level 0-9 (default 1)] [--object-mb N (default 64)] [--quiet]\n"
		  "                   [--ctr-only (write only ctr/: the other kinds are generated, so the CTRs and SUMMARY.json are\n"
		  "                    a full run's, but not written; files and bytes count what was written)]\n", stderr);
	exit(2);
}

static long long argnum(const char *s, const char *opt)
{
	char *e;
	errno = 0;
	long long v = strtoll(s, &e, 10);
	if (errno || *e || v < 0)
		die("%s: not a non-negative integer: %s", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *summary = NULL, *start = "2026-10-01";
	int days = 30, quiet = 0;
	long long malformed_n = 0, cust_arg = 0, agents_arg = 0;
	gen_seed = 42;
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && (v || (usage(), 0)) && ++i)
		if (OPT("--out"))
			out = v;
		else if (OPT("--start"))
			start = v;
		else if (OPT("--days"))
			days = (int) argnum(v, a);
		else if (OPT("--contacts-per-day"))
			contacts_per_day = (int) argnum(v, a);
		else if (OPT("--seed"))
			gen_seed = (uint64_t) argnum(v, a);
		else if (OPT("--agents"))
			nagents = (int) (agents_arg = argnum(v, a));
		else if (OPT("--customers"))
			cust_arg = argnum(v, a);
		else if (OPT("--malformed"))
			malformed_n = argnum(v, a);
		else if (OPT("--summary"))
			summary = v;
		else if (OPT("--heartbeat-secs"))
			heartbeat_secs = (int) argnum(v, a);
		else if (OPT("--flowlog-export-pct"))
			export_pct = (int) argnum(v, a);
		else if (OPT("--gzip-level"))
			gz_level = (int) argnum(v, a);
		else if (OPT("--object-mb"))
			object_limit = (uint64_t) argnum(v, a) << 20;
		else if (strcmp(a, "--quiet") == 0)
			quiet = 1;
		else if (strcmp(a, "--ctr-only") == 0)
			ctr_only = 1;
		else
			usage();
#undef OPT
	}
	int64_t day0;
	if (!out || !parse_date(start, &day0) || days < 1 || nagents < 1 || gz_level > 9 || export_pct > 100 || !object_limit)
		usage();
	if (heartbeat_secs > 0 && heartbeat_secs < 30)
		die("--heartbeat-secs: at least 30 (or 0 for none)");
	snprintf(out_dir, sizeof out_dir, "%s", out);
	{
		/* files of an earlier run would mix with this one's: insist on a fresh directory */
		DIR *d = opendir(out_dir);
		if (d)
		{
			struct dirent *de;
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
					die("--out %s is not empty", out_dir);
			closedir(d);
		}
	}
	start_ms = day0 * MS_D;
	end_ms = start_ms + (int64_t) days * MS_D;
	if (!agents_arg)
		nagents = contacts_per_day / 25 > 300 ? contacts_per_day / 25 : 300;
	customers = cust_arg ? cust_arg : (int64_t) contacts_per_day * 10 > 1000 ? (int64_t) contacts_per_day * 10 : 1000;
	n_malformed_req = (uint64_t) malformed_n;

	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);

	rnd_seed(gen_seed);
	setup_world(start_ms, days);
	metrics_init(days);
	for (int f = 0; f < NFLOW; f++)
		for (int b = 0; b < 16; b++)
			kuuid(block_id[f][b], 0xb10c0000ULL + (uint64_t) f * 64 + (uint64_t) b);
	kuuid(welcome_v2_id, 0xb10c2000ULL);
	for (int q = 0; q < NQUEUE; q++)
		elig[q] = xmalloc(sizeof(int) * (size_t) nagents);
	onshift = xmalloc(sizeof(int) * (size_t) nagents);
	for (int i = 0; i < NINTENT; i++)
	{
		int j = 0;
		for (; j < nl1; j++)
			if (strcmp(l1_names[j], intents[i].l1) == 0)
				break;
		if (j == nl1)
			l1_names[nl1++] = intents[i].l1;
	}
	cases_day0 = floordiv(london(start_ms), MS_D);
	ncases_days = days + 2;
	cases_per_day = calloc((size_t) ncases_days, sizeof(uint64_t));
	l1_window_start = end_ms - 30 * MS_D > start_ms ? end_ms - 30 * MS_D : start_ms;

	int64_t h_start = start_ms / MS_H, h_end = end_ms / MS_H, total_h = h_end - h_start;
	uint64_t next_mal = 0;
	for (cur_hour = h_start; cur_hour < h_end || pending_n; cur_hour++)
	{
		flush_pending();
		if (cur_hour < h_end)
		{
			build_eligibility();
			agent_shift_hour();
			/* a CloudWatch health check now and then */
			if ((cur_hour - h_start) % 24 == 5)
				fsub_control(cur_hour * MS_H + 5 * 60000 + 17);
			while (next_mal < n_malformed_req
				   && h_start + (int64_t) ((next_mal * (uint64_t) total_h) / n_malformed_req) == cur_hour)
			{
				malformed((int) (next_mal % NM), cur_hour * MS_H + 1000 + (int64_t) next_mal * 7000 % (MS_H - 60000));
				next_mal++;
			}
			contacts_hour();
			cases_until((cur_hour + 1) * MS_H);
		}
		end_hour();
		if (!quiet && (cur_hour - h_start) % 24 == 23)
		{
			clock_gettime(CLOCK_MONOTONIC, &w1);
			double el = (double) (w1.tv_sec - w0.tv_sec) + (double) (w1.tv_nsec - w0.tv_nsec) / 1e9;
			fprintf(stderr, "\rconnect_gen: day %lld/%d, %llu contacts, %.0f MB, %.1f s",
					(long long) ((cur_hour - h_start) / 24 + 1), days, (unsigned long long) n_contacts,
					(double) total_raw / 1e6, el);
		}
	}
	fexp_close_all();
	profile_end();
	write_fields();
	char sp[1400];
	if (!summary)
	{
		snprintf(sp, sizeof sp, "%s/SUMMARY.json", out_dir);
		summary = sp;
	}
	write_summary(summary, days);

	clock_gettime(CLOCK_MONOTONIC, &w1);
	double el = (double) (w1.tv_sec - w0.tv_sec) + (double) (w1.tv_nsec - w0.tv_nsec) / 1e9;
	uint64_t recs = n_ctr_written + n_flow_sub + n_flow_exp + n_ae[0] + n_ae[1] + n_ae[2] + n_ae[3];
	for (int i = 0; i < NCE; i++)
		recs += n_ce[i];
	for (int i = 0; i < NKE; i++)
		recs += n_ke[i];
	if (!quiet)
		fprintf(stderr, "\nconnect_gen: %llu contacts, %llu records, %llu files, %.1f MB uncompressed (%.1f MB gzip) in %.2f s: "
				"%.1f MB/s uncompressed, %.1f MB/s written, %.0f records/s\n",
				(unsigned long long) n_contacts, (unsigned long long) recs, (unsigned long long) total_files,
				(double) total_raw / 1e6, (double) total_file / 1e6, el, (double) total_raw / 1e6 / el,
				(double) total_file / 1e6 / el, (double) recs / el);
	return 0;
}
