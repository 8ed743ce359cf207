/*
 * gen_check: reads a directory written by connect_gen, parses every record
 * with json-c and recounts what SUMMARY.json claims.  Used by gen_test.sh.
 *
 *   gen_check DIR [SUMMARY.json]
 *
 * Prints one line per check ("ok ..." / "FAIL ...") and exits non-zero on any
 * failure.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

static int failures, passes;

static void check(int ok, const char *what, long long got, long long want)
{
	if (ok)
		passes++;
	else
		failures++;
	printf("%s %s: %lld (expected %lld)\n", ok ? "ok" : "FAIL", what, got, want);
}

/* ---------------------------------------------------------- file reading */

static char *slurp_gz(const char *path, size_t *len)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
	{
		fprintf(stderr, "gen_check: cannot open %s\n", path);
		exit(2);
	}
	size_t cap = 1 << 20, n = 0;
	char *p = malloc(cap + 1);
	for (;;)
	{
		if (n == cap)
		{
			cap *= 2;
			p = realloc(p, cap + 1);
		}
		int r = gzread(g, p + n, (unsigned) (cap - n));
		if (r < 0)
		{
			int e;
			fprintf(stderr, "gen_check: %s: %s\n", path, gzerror(g, &e));
			exit(2);
		}
		if (r == 0)
			break;
		n += (size_t) r;
	}
	int e;
	gzerror(g, &e);
	if (e != Z_OK && e != Z_BUF_ERROR)
	{
		fprintf(stderr, "gen_check: %s: truncated gzip\n", path);
		exit(2);
	}
	gzclose(g);
	p[n] = 0;
	*len = n;
	return p;
}

/* ------------------------------------------------------------- hash map */

typedef struct
{
	char	   *key;
	char		last[32];
	int			ch, handled;
	long long	secs;
	char	   *caseid, *accounts, *next, *prev, *related;
	int			open;			/* cases: state after the latest event */
	/* contact metrics: the latest version's fields, and what its later legs say */
	char		queue[40], method[16];
	int			queued, connected, duration, xfer_ext, follow_cb, follow_qx, follow_tr;
	long long	handle;
} Ent;

static Ent *tab;
static size_t tabcap = 1 << 16, tabn;

static uint64_t hstr(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char) *s++) * 1099511628211ULL;
	return h;
}

static Ent *lookup(Ent **t, size_t *cap, size_t *n, const char *k, int create)
{
	if (!*t)
		*t = calloc(*cap, sizeof(Ent));
	if (create && *n * 2 >= *cap)
	{
		size_t oc = *cap;
		Ent *old = *t;
		*cap *= 2;
		*t = calloc(*cap, sizeof(Ent));
		for (size_t i = 0; i < oc; i++)
			if (old[i].key)
			{
				size_t j = hstr(old[i].key) & (*cap - 1);
				while ((*t)[j].key)
					j = (j + 1) & (*cap - 1);
				(*t)[j] = old[i];
			}
		free(old);
	}
	size_t j = hstr(k) & (*cap - 1);
	while ((*t)[j].key)
	{
		if (strcmp((*t)[j].key, k) == 0)
			return &(*t)[j];
		j = (j + 1) & (*cap - 1);
	}
	if (!create)
		return NULL;
	(*t)[j].key = strdup(k);
	(*n)++;
	return &(*t)[j];
}

static Ent *cases_tab;
static size_t cases_cap = 1 << 14, cases_n;

/* -------------------------------------------------------------- counters */

static const char *const chn[] = {"VOICE", "CHAT", "TASK", "EMAIL"};
static long long ctr_frames, ctr_invalid, ctr_badnum, ctr_newline;
static long long ce_total, ce_invalid, ke_invalid, ae_invalid, ae_total, fl_sub, fl_exp, fl_badts, control;
static long long flows_invalid;
static struct
{
	const char *name;
	long long	n;
}			ce_types[16], ke_types[8], ae_types[8];

static void bump(void *arr, int max, const char *name)
{
	struct
	{
		const char *name;
		long long	n;
	}		   *a = arr;
	for (int i = 0; i < max; i++)
	{
		if (!a[i].name)
		{
			a[i].name = strdup(name);
			a[i].n = 1;
			return;
		}
		if (strcmp(a[i].name, name) == 0)
		{
			a[i].n++;
			return;
		}
	}
}

static long long count_of(void *arr, int max, const char *name)
{
	struct
	{
		const char *name;
		long long	n;
	}		   *a = arr;
	for (int i = 0; i < max && a[i].name; i++)
		if (strcmp(a[i].name, name) == 0)
			return a[i].n;
	return 0;
}

static json_object *parse(const char *p, size_t n)
{
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, p, (int) n);
	if (o && tok->char_offset != (int) n)
	{
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, k, &v))
		return NULL;
	return v;
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v && json_object_get_type(v) == json_type_string ? json_object_get_string(v) : NULL;
}

static int is_int(json_object *o)
{
	return o && json_object_get_type(o) == json_type_int;
}

/* frames concatenated JSON objects by brace depth, honouring strings */
static void frames(char *p, size_t n, void (*fn)(char *, size_t))
{
	size_t i = 0;
	while (i < n)
	{
		while (i < n && p[i] != '{')
			i++;
		if (i >= n)
			break;
		size_t s = i;
		int depth = 0, str = 0;
		for (; i < n; i++)
		{
			char c = p[i];
			if (str)
			{
				if (c == '\\')
					i++;
				else if (c == '"')
					str = 0;
			}
			else if (c == '"')
				str = 1;
			else if (c == '{')
				depth++;
			else if (c == '}' && --depth == 0)
			{
				i++;
				break;
			}
		}
		fn(p + s, i - s);
	}
}

static void on_ctr(char *p, size_t n)
{
	ctr_frames++;
	if (memchr(p, '\n', n))
		ctr_newline++;
	json_object *o = parse(p, n);
	if (!o)
	{
		ctr_invalid++;
		return;
	}
	json_object *q = get(o, "Queue");
	if (!is_int(get(o, "AgentConnectionAttempts"))
		|| (q && json_object_get_type(q) == json_type_object && !is_int(get(q, "Duration"))))
	{
		ctr_badnum++;
		json_object_put(o);
		return;
	}
	const char *id = jstr(o, "ContactId"), *lu = jstr(o, "LastUpdateTimestamp"), *ch = jstr(o, "Channel");
	Ent *e = lookup(&tab, &tabcap, &tabn, id, 1);
	if (strcmp(lu, e->last) >= 0)
	{
		snprintf(e->last, sizeof e->last, "%s", lu);
		e->ch = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(ch, chn[i]) == 0)
				e->ch = i;
		json_object *ag = get(o, "Agent");
		e->handled = ag && json_object_get_type(ag) == json_type_object;
		e->secs = e->handled ? json_object_get_int64(get(ag, "AgentInteractionDuration"))
			+ json_object_get_int64(get(ag, "CustomerHoldDuration")) + json_object_get_int64(get(ag, "AfterContactWorkDuration")) : 0;
		json_object *at = get(o, "Attributes");
		const char *cid = jstr(at, "caseId"), *acc = jstr(at, "accountNumbers");
		const char *nx = jstr(o, "NextContactId"), *pv = jstr(o, "PreviousContactId"), *rl = jstr(o, "RelatedContactId");
		free(e->next);
		free(e->prev);
		free(e->related);
		e->next = nx ? strdup(nx) : NULL;
		e->prev = pv ? strdup(pv) : NULL;
		e->related = rl ? strdup(rl) : NULL;
		{
			const char *qarn = q && json_object_get_type(q) == json_type_object ? jstr(q, "ARN") : NULL;
			const char *qs = qarn ? strstr(qarn, "/queue/") : NULL;
			snprintf(e->queue, sizeof e->queue, "%s", qs ? qs + 7 : "");
			e->queued = qs && jstr(q, "EnqueueTimestamp") != NULL;
			e->duration = qs ? json_object_get_int(get(q, "Duration")) : 0;
			e->connected = ag && json_object_get_type(ag) == json_type_object && jstr(ag, "ConnectedToAgentTimestamp") != NULL;
			e->handle = e->connected ? e->secs : 0;
			e->xfer_ext = jstr(o, "TransferCompletedTimestamp") != NULL;
			snprintf(e->method, sizeof e->method, "%s", jstr(o, "InitiationMethod") ? jstr(o, "InitiationMethod") : "");
		}
		free(e->caseid);
		free(e->accounts);
		e->caseid = cid ? strdup(cid) : NULL;
		e->accounts = acc ? strdup(acc) : NULL;
	}
	json_object_put(o);
}

static void on_agent(char *p, size_t n)
{
	json_object *o = parse(p, n);
	if (!o)
	{
		ae_invalid++;
		return;
	}
	ae_total++;
	bump(ae_types, 8, jstr(o, "EventType"));
	json_object_put(o);
}

static int ts_ok(const char *t)
{
	/* YYYY-MM-DDTHH:MM:SS.mmmZ */
	return t && strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == '.' && t[23] == 'Z';
}

static long long export_pct = -1, layout_wrong;

static void flow_message(const char *m, size_t n, int exported)
{
	json_object *o = parse(m, n);
	if (!o)
	{
		flows_invalid++;
		return;
	}
	const char *cid = jstr(o, "ContactId");
	if (cid && strlen(cid) == 36 && export_pct >= 0 && ts_ok(jstr(o, "Timestamp")))	/* malformed ones aside */
	{
		unsigned b;
		if (sscanf(cid, "%2x", &b) == 1 && ((long long) b * 100 / 256 < export_pct) != exported)
			layout_wrong++;
	}
	if (!ts_ok(jstr(o, "Timestamp")))
		fl_badts++;
	else if (exported)
		fl_exp++;
	else
		fl_sub++;
	json_object_put(o);
}

static void on_envelope(char *p, size_t n)
{
	json_object *o = parse(p, n);
	if (!o)
	{
		flows_invalid++;
		return;
	}
	const char *mt = jstr(o, "messageType");
	if (mt && strcmp(mt, "CONTROL_MESSAGE") == 0)
		control++;
	else
	{
		json_object *evs = get(o, "logEvents");
		for (size_t i = 0; i < json_object_array_length(evs); i++)
		{
			json_object *m = get(json_object_array_get_idx(evs, i), "message");
			flow_message(json_object_get_string(m), (size_t) json_object_get_string_len(m), 0);
		}
	}
	json_object_put(o);
}

static json_object *fieldmap;
static long long unknown_fields;
static const char *f_complaint, *f_subject, *f_level1;
static long long l1_from;		/* epoch seconds */
static struct
{
	const char *name;
	long long	n;
}			per_day[64], subj[16], l1[16];
static long long complaints;

static long long epoch_of(const char *t)
{
	int y, m, d, H, M, S;
	if (!t || sscanf(t, "%d-%d-%dT%d:%d:%d", &y, &m, &d, &H, &M, &S) != 6)
		return 0;
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = H;
	tm.tm_min = M;
	tm.tm_sec = S;
	return (long long) timegm(&tm);
}

/* Europe/London calendar day, from the system time zone database */
static void london_day(const char *t, char out[16])
{
	time_t e = (time_t) epoch_of(t);
	struct tm tm;
	localtime_r(&e, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static const char *fval(json_object *fields, const char *id, const char *type)
{
	json_object *v = get(get(get(fields, id), "value"), type);
	return v ? json_object_get_string(v) : NULL;
}

static void on_line(int kind, char *p, size_t n)
{
	if (!n)
		return;
	json_object *o = parse(p, n);
	if (!o)
	{
		if (kind == 0)
			ce_invalid++;
		else
			ke_invalid++;
		return;
	}
	json_object *d = get(o, "detail");
	if (kind == 0)
	{
		ce_total++;
		bump(ce_types, 16, jstr(d, "eventType"));
	}
	else
	{
		bump(ke_types, 8, jstr(d, "eventType"));
		json_object *c = get(d, "case");
		if (c)
		{
			json_object *f = get(c, "fields");
			json_object_object_foreach(f, k, v)
			{
				(void) v;
				if (!get(fieldmap, k))
					unknown_fields++;
			}
			Ent *e = lookup(&cases_tab, &cases_cap, &cases_n, jstr(c, "caseId"), 1);
			const char *et = jstr(d, "eventType"), *at = jstr(d, "approximateChangeTime");
			if (strcmp(at, e->last) >= 0)
			{
				const char *st = fval(f, "status", "stringValue");
				snprintf(e->last, sizeof e->last, "%s", at);
				e->open = strcmp(et, "CASE.DELETED") != 0 && st && strcmp(st, "closed") != 0;
			}
			if (strcmp(et, "CASE.CREATED") == 0)
			{
				char day[16];
				london_day(jstr(c, "createdDateTime"), day);
				bump(per_day, 64, day);
				const char *isc = fval(f, f_complaint, "booleanValue");
				if (isc && strcmp(isc, "true") == 0)
				{
					complaints++;
					bump(subj, 16, fval(f, f_subject, "stringValue"));
				}
				if (epoch_of(jstr(c, "createdDateTime")) >= l1_from)
					bump(l1, 16, fval(f, f_level1, "stringValue"));
			}
			/* the account number custom field */
			json_object_object_foreach(fieldmap, fid, fname)
			{
				if (strcmp(json_object_get_string(fname), "Account Number") == 0)
				{
					const char *a = jstr(get(get(f, fid), "value"), "stringValue");
					if (a && !e->accounts)
						e->accounts = strdup(a);
				}
			}
		}
	}
	json_object_put(o);
}

static void lines(int kind, char *p, size_t n)
{
	size_t s = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || p[i] == '\n')
		{
			on_line(kind, p + s, i - s);
			s = i + 1;
		}
}

/* export: "<ts> <message>" lines; continuation lines carry no timestamp */
static void export_lines(char *p, size_t n)
{
	size_t i = 0, ms = 0;
	int have = 0;
	while (i < n)
	{
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		int head = e - i > 25 && p[i + 4] == '-' && p[i + 10] == 'T' && p[i + 23] == 'Z' && p[i + 24] == ' ';
		if (head)
		{
			if (have)
				flow_message(p + ms, i - 1 - ms, 1);
			ms = i + 25;
			have = 1;
		}
		i = e + 1;
	}
	if (have)
		flow_message(p + ms, (n && p[n - 1] == '\n' ? n - 1 : n) - ms, 1);
}

static char root[1024];
static long long nfiles, pf_files, pf_lines;

static void walk(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	char path[4096];
	while ((de = readdir(d)))
	{
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
		{
			walk(path);
			continue;
		}
		const char *rel = path + strlen(root) + 1;
		size_t n;
		char *p;
		if (strncmp(rel, "ctr/", 4) == 0)
		{
			p = slurp_gz(path, &n);
			frames(p, n, on_ctr);
		}
		else if (strncmp(rel, "agent_events/", 13) == 0)
		{
			p = slurp_gz(path, &n);
			frames(p, n, on_agent);
		}
		else if (strncmp(rel, "flowlogs/subscription/", 22) == 0)
		{
			p = slurp_gz(path, &n);
			frames(p, n, on_envelope);
		}
		else if (strncmp(rel, "flowlogs/export/", 16) == 0)
		{
			p = slurp_gz(path, &n);
			export_lines(p, n);
		}
		else if (strncmp(rel, "contact_events/", 15) == 0)
		{
			p = slurp_gz(path, &n);
			lines(0, p, n);
		}
		else if (strncmp(rel, "cases/", 6) == 0)
		{
			p = slurp_gz(path, &n);
			lines(1, p, n);
		}
		else if (strncmp(rel, "customer_profiles/", 18) == 0)
		{
			/* the Customer Profiles stream: NDJSON, one event a line */
			p = slurp_gz(path, &n);
			for (size_t i = 0; i < n; i++)
				pf_lines += p[i] == '\n';
			pf_files++;
			free(p);
			continue;
		}
		else
			continue;
		nfiles++;
		free(p);
	}
	closedir(d);
}

static long long sj(json_object *s, const char *path)
{
	char buf[256], *save, *tok;
	snprintf(buf, sizeof buf, "%s", path);
	json_object *o = s;
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		o = get(o, tok);
	return o ? json_object_get_int64(o) : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
	{
		fprintf(stderr, "usage: gen_check DIR [SUMMARY.json]\n");
		return 2;
	}
	snprintf(root, sizeof root, "%s", argv[1]);
	char sp[1200], fp[1200];
	snprintf(sp, sizeof sp, "%s/SUMMARY.json", root);
	snprintf(fp, sizeof fp, "%s/fields.json", root);
	json_object *s = json_object_from_file(argc > 2 ? argv[2] : sp);
	json_object *fields = json_object_from_file(fp);
	check(s != NULL, "SUMMARY.json parses", s != NULL, 1);
	check(fields != NULL, "fields.json parses", fields != NULL, 1);
	if (!s || !fields)
		return 1;
	fieldmap = json_object_new_object();
	json_object *fa = get(fields, "fields");
	for (size_t i = 0; i < json_object_array_length(fa); i++)
	{
		json_object *f = json_object_array_get_idx(fa, i);
		json_object_object_add(fieldmap, jstr(f, "fieldId"), json_object_new_string(jstr(f, "name")));
	}

	json_object_object_foreach(fieldmap, fid, fname)
	{
		const char *nm = json_object_get_string(fname);
		if (strcmp(nm, "Is Complaint") == 0)
			f_complaint = fid;
		else if (strcmp(nm, "Complaint Subject") == 0)
			f_subject = fid;
		else if (strcmp(nm, "Level 1") == 0)
			f_level1 = fid;
	}
	check(f_complaint && f_subject && f_level1, "fields.json names Is Complaint, Complaint Subject, Level 1", 1, 1);
	{
		json_object *w = get(get(get(s, "cases"), "by_level_1_last_30_days"), "from");
		l1_from = epoch_of(w ? json_object_get_string(w) : NULL);
	}
	export_pct = sj(s, "parameters/flowlog_export_pct");
	setenv("TZ", "Europe/London", 1);
	tzset();

	walk(root);

	long long mal_ctr = sj(s, "malformed/by_defect/ctr_invalid_json"), mal_num = sj(s, "malformed/by_defect/ctr_string_for_number");
	check(ctr_frames == sj(s, "ctr_records/written") + mal_ctr + mal_num, "CTR records framed", ctr_frames,
		  sj(s, "ctr_records/written") + mal_ctr + mal_num);
	check(ctr_newline == 0, "CTR records without newlines", ctr_newline, 0);
	check(ctr_invalid == mal_ctr, "CTR invalid JSON", ctr_invalid, mal_ctr);
	check(ctr_badnum == mal_num, "CTR string for number", ctr_badnum, mal_num);
	check((long long) tabn == sj(s, "contacts/distinct"), "distinct contacts", (long long) tabn, sj(s, "contacts/distinct"));
	long long handled[4] = {0}, secs[4] = {0}, per[4] = {0}, linked = 0, linked_ok = 0;
	for (size_t i = 0; i < tabcap; i++)
		if (tab[i].key)
		{
			Ent *e = &tab[i];
			if (e->ch < 0)
				continue;
			per[e->ch]++;
			handled[e->ch] += e->handled;
			secs[e->ch] += e->secs;
			if (e->caseid)
			{
				linked++;
				Ent *c = lookup(&cases_tab, &cases_cap, &cases_n, e->caseid, 0);
				if (c && c->accounts && e->accounts && strstr(e->accounts, c->accounts))
					linked_ok++;
			}
		}
	for (int c = 0; c < 4; c++)
	{
		char k[128], w[160];
		snprintf(k, sizeof k, "contacts/by_channel/%s/contacts", chn[c]);
		snprintf(w, sizeof w, "%s contacts", chn[c]);
		check(per[c] == sj(s, k), w, per[c], sj(s, k));
		snprintf(k, sizeof k, "contacts/by_channel/%s/handled", chn[c]);
		snprintf(w, sizeof w, "%s handled", chn[c]);
		check(handled[c] == sj(s, k), w, handled[c], sj(s, k));
		snprintf(k, sizeof k, "contacts/by_channel/%s/handle_time_seconds", chn[c]);
		snprintf(w, sizeof w, "%s handle time seconds", chn[c]);
		check(secs[c] == sj(s, k), w, secs[c], sj(s, k));
	}
	{
		long long chains = 0, chains_ok = 0, rel = 0, rel_ok = 0;
		for (size_t i = 0; i < tabcap; i++)
			if (tab[i].key)
			{
				if (tab[i].next)
				{
					chains++;
					Ent *n = lookup(&tab, &tabcap, &tabn, tab[i].next, 0);
					chains_ok += n && n->prev && strcmp(n->prev, tab[i].key) == 0;
				}
				if (tab[i].related)
				{
					rel++;
					rel_ok += lookup(&tab, &tabcap, &tabn, tab[i].related, 0) != NULL;
				}
			}
		check(chains > 0 && chains == chains_ok, "transfers: NextContactId names a CTR whose PreviousContactId points back", chains_ok, chains);
		check(rel == rel_ok, "RelatedContactId names a CTR", rel_ok, rel);
	}
	check(linked > 0 && linked == linked_ok, "CTRs with caseId whose case carries their account number", linked_ok, linked);

	/* The metric totals per queue, recounted from the records (latest
	 * version of each contact; the follower legs by PreviousContactId and
	 * NextContactId) by the specification's rules, against SUMMARY.json's
	 * metrics.queue_totals. */
	{
		for (size_t i = 0; i < tabcap; i++)
			if (tab[i].key)
			{
				Ent *e = &tab[i], *f;
				if (e->prev && (f = lookup(&tab, &tabcap, &tabn, e->prev, 0)) && f != e)
				{
					f->follow_cb |= strcmp(e->method, "CALLBACK") == 0;
					f->follow_qx |= strcmp(e->method, "QUEUE_TRANSFER") == 0;
					f->follow_tr |= strcmp(e->method, "TRANSFER") == 0;
				}
				if (e->next && (f = lookup(&tab, &tabcap, &tabn, e->next, 0)) && f != e)
				{
					e->follow_cb |= strcmp(f->method, "CALLBACK") == 0;
					e->follow_qx |= strcmp(f->method, "QUEUE_TRANSFER") == 0;
					e->follow_tr |= strcmp(f->method, "TRANSFER") == 0;
				}
			}
		enum {MQ, MH, MA, MCB, MXQ, MXI, MXE, MRL, MRE, MHS, NMF};
		static const char *const mname[NMF] = {
			"contacts_queued", "contacts_handled", "contacts_abandoned", "callbacks_requested",
			"contacts_transferred_out_from_queue", "contacts_transferred_out_internal",
			"contacts_transferred_out_external", "contacts_removed_in_x", "contacts_removed_at_x", "handle_time_sum"
		};
		long long x = sj(s, "metrics/service_level/threshold_s");
		json_object *qt = get(get(s, "metrics"), "queue_totals");
		long long bad = 0, nq = 0, sum_queued = 0;
		check(x > 0 && qt && json_object_array_length(qt) > 0, "SUMMARY.json has metrics.queue_totals", x > 0, 1);
		for (size_t j = 0; qt && j < json_object_array_length(qt); j++)
		{
			json_object *row = json_object_array_get_idx(qt, j);
			const char *qid = jstr(row, "queue_id");
			long long v[NMF] = {0};
			for (size_t i = 0; i < tabcap; i++)
			{
				Ent *e = &tab[i];
				if (!e->key || e->ch < 0 || strcmp(e->queue, qid ? qid : "") != 0)
					continue;
				int cb = e->queued && !e->connected && e->follow_cb, xq = e->queued && !e->connected && e->follow_qx;
				int ab = e->queued && !e->connected && !cb && !xq;
				int removed = e->queued && (e->connected || ab || cb);
				v[MQ] += e->queued;
				v[MH] += e->connected;
				v[MA] += ab;
				v[MCB] += cb;
				v[MXQ] += xq;
				v[MXI] += e->connected && e->follow_tr;
				v[MXE] += e->xfer_ext;
				v[MRL] += removed && e->duration < x;
				v[MRE] += removed && e->duration == x;
				v[MHS] += e->handle;
			}
			nq++;
			sum_queued += v[MQ];
			for (int k = 0; k < NMF; k++)
				if (v[k] != json_object_get_int64(get(row, mname[k])))
				{
					bad++;
					printf("  queue %s %s: counted %lld, summary %lld\n", qid ? qid : "(none)", mname[k], v[k],
						   (long long) json_object_get_int64(get(row, mname[k])));
				}
		}
		check(bad == 0 && sum_queued > 0, "metrics per queue recounted from the CTRs (queued, handled, abandoned, callbacks, "
			  "transfers out, removed within / at x, handle time)", nq * NMF - bad, nq * NMF);
	}

	check(ce_total == sj(s, "contact_events/total"), "contact events", ce_total, sj(s, "contact_events/total"));
	check(ce_invalid == sj(s, "malformed/by_kind/contact_event"), "contact events invalid", ce_invalid,
		  sj(s, "malformed/by_kind/contact_event"));
	static const char *const cet[] = {"INITIATED", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED", "COMPLETED", "CONTACT_DATA_UPDATED"};
	for (int i = 0; i < 6; i++)
	{
		char k[128];
		snprintf(k, sizeof k, "contact_events/by_event_type/%s", cet[i]);
		check(count_of(ce_types, 16, cet[i]) == sj(s, k), k, count_of(ce_types, 16, cet[i]), sj(s, k));
	}
	static const char *const ket[] = {"CASE.CREATED", "CASE.UPDATED", "CASE.DELETED", "RELATED_ITEM.CREATED"};
	for (int i = 0; i < 4; i++)
	{
		char k[128];
		snprintf(k, sizeof k, "case_events/by_event_type/%s", ket[i]);
		check(count_of(ke_types, 8, ket[i]) == sj(s, k), k, count_of(ke_types, 8, ket[i]), sj(s, k));
	}
	check(ke_invalid == sj(s, "malformed/by_kind/case_event"), "case events invalid", ke_invalid, sj(s, "malformed/by_kind/case_event"));
	check(count_of(ke_types, 8, "CASE.CREATED") == sj(s, "cases/distinct"), "distinct cases", count_of(ke_types, 8, "CASE.CREATED"),
		  sj(s, "cases/distinct"));
	check(unknown_fields == 0, "case field ids missing from fields.json", unknown_fields, 0);
	{
		long long open = 0;
		for (size_t i = 0; i < cases_cap; i++)
			if (cases_tab && cases_tab[i].key && cases_tab[i].last[0])
				open += cases_tab[i].open;
		check(open == sj(s, "cases/open_at_end"), "cases open at the end (latest event per case)", open, sj(s, "cases/open_at_end"));
		check(complaints == sj(s, "cases/complaints/total"), "complaints", complaints, sj(s, "cases/complaints/total"));
		struct
		{
			const char *key;
			void	   *arr;
			int			max;
		}			maps[] = {
			{"cases/created_per_day", per_day, 64}, {"cases/complaints/by_subject", subj, 16},
			{"cases/by_level_1_last_30_days/counts", l1, 16}
		};
		for (int m = 0; m < 3; m++)
		{
			char buf[128], *save;
			snprintf(buf, sizeof buf, "%s", maps[m].key);
			json_object *o = s;
			for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
				o = get(o, tok);
			long long bad = 0, n = 0;
			json_object_object_foreach(o, k, v)
			{
				n++;
				if (count_of(maps[m].arr, maps[m].max, k) != json_object_get_int64(v))
				{
					bad++;
					printf("  %s %s: counted %lld, summary %lld\n", maps[m].key, k, count_of(maps[m].arr, maps[m].max, k),
						   (long long) json_object_get_int64(v));
				}
			}
			struct
			{
				const char *name;
				long long	n;
			}		   *a = maps[m].arr;
			long long keys = 0;
			for (int i = 0; i < maps[m].max && a[i].name; i++)
				keys++;
			snprintf(buf, sizeof buf, "%s (keys and counts)", maps[m].key);
			check(bad == 0 && keys == n, buf, keys - bad, n);
		}
	}
	check(fl_sub == sj(s, "flow_log_events/subscription"), "flow log events (subscription)", fl_sub, sj(s, "flow_log_events/subscription"));
	check(fl_exp == sj(s, "flow_log_events/export"), "flow log events (export)", fl_exp, sj(s, "flow_log_events/export"));
	check(fl_badts == sj(s, "malformed/by_kind/contact_flow_log"), "flow log timestamps without seconds", fl_badts,
		  sj(s, "malformed/by_kind/contact_flow_log"));
	check(layout_wrong == 0, "flow log events in the layout their ContactId names", layout_wrong, 0);
	check(flows_invalid == 0, "flow log envelopes/messages invalid", flows_invalid, 0);
	check(control == sj(s, "flow_log_events/control_messages"), "CONTROL_MESSAGE envelopes", control, sj(s, "flow_log_events/control_messages"));
	check(ae_total == sj(s, "agent_events/total"), "agent events", ae_total, sj(s, "agent_events/total"));
	check(ae_invalid == sj(s, "malformed/by_kind/agent_event"), "agent events invalid", ae_invalid, sj(s, "malformed/by_kind/agent_event"));
	static const char *const aet[] = {"LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT"};
	for (int i = 0; i < 4; i++)
	{
		char k[128];
		snprintf(k, sizeof k, "agent_events/by_event_type/%s", aet[i]);
		check(count_of(ae_types, 8, aet[i]) == sj(s, k), k, count_of(ae_types, 8, aet[i]), sj(s, k));
	}
	long long sf = sj(s, "files/ctr") + sj(s, "files/flowlog_subscription") + sj(s, "files/flowlog_export")
		+ sj(s, "files/contact_events") + sj(s, "files/case_events") + sj(s, "files/agent_events");
	check(nfiles == sf, "files", nfiles, sf);
	check(pf_files == sj(s, "files/customer_profiles"), "customer profile files", pf_files, sj(s, "files/customer_profiles"));
	check(pf_lines == sj(s, "customer_profiles/records_written"), "customer profile events written", pf_lines,
		  sj(s, "customer_profiles/records_written"));
	printf("gen_check: %d passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}
