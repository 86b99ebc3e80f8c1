/*
 * kimctl_dir.c - kimctl lookup, kimctl cache ..., kimctl audit: the KIM
 * directory and its shared cache, seen by the admin.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dir.h"
#include "dir_cache.h"
#include "kimctl.h"
#include "msg.h"

/* json_str - a JSON string literal (NULL as null) */
static void
json_str(FILE *fp, const char *s)
{
	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(fp, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(fp, "\\u%04x", ch);
		else
			fputc(ch, fp);
	}
	fputc('"', fp);
}

/* fmt_time - UTC time stamp */
static const char *
fmt_time(time_t t, char *out, size_t outsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "%lld", (long long)t);
	return out;
}

/* parse_at - --at YYYY-MM-DD[THH:MM:SS] or Unix seconds */
static int
parse_at(const char *s, time_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end && *end == 0) {
		*out = timegm(&tm);
		return 0;
	}
	*out = (time_t)strtoll(s, &end, 10);
	return *end || *out <= 0 ? -1 : 0;
}

/* exit_of - the documented exit status of a lookup answer */
static int
exit_of(int status)
{
	switch (status) {
	case DIR_FOUND: return KIMCTL_EX_OK;
	case DIR_UNUSABLE: return KIMCTL_EX_FAIL;
	case DIR_NOT_FOUND: return KIMCTL_EX_NOTFOUND;
	default: return KIMCTL_EX_UNAVAILABLE;
	}
}

/* print_result - the entry and each certificate */
static void
print_result(const struct kimctl *k, const struct dir_result *r, long ttl)
{
	char t1[40], t2[40];
	size_t i;
	long age = r->fetched_at ? (long)(time(NULL) - r->fetched_at) : 0;
	const char *src = r->source == DIR_SOURCE_CACHE ? "cache" :
	    r->source == DIR_SOURCE_DIRECTORY ? "directory" : "none";

	if (k->json) {
		printf("{\"address\":");
		json_str(stdout, r->address);
		printf(",\"status\":\"%s\",\"reason\":",
		    dir_status_name(r->status));
		json_str(stdout, r->reason);
		printf(",\"source\":\"%s\",\"age\":%ld", src, age);
		if (ttl >= 0)
			printf(",\"ttl\":%ld", ttl);
		printf(",\"telematikID\":");
		json_str(stdout, r->telematik_id);
		printf(",\"displayName\":");
		json_str(stdout, r->display_name);
		printf(",\"organization\":");
		json_str(stdout, r->organization);
		printf(",\"kimVersion\":");
		json_str(stdout, r->kim_version ? r->kim_version :
		    (r->status <= DIR_UNUSABLE ? "1.0" : NULL));
		printf(",\"appTags\":");
		json_str(stdout, r->app_tags);
		printf(",\"certificates\":[");
		for (i = 0; i < r->ncerts; i++) {
			const struct dir_cert *c = &r->certs[i];

			printf("%s{\"subject\":", i ? "," : "");
			json_str(stdout, c->subject);
			printf(",\"issuer\":");
			json_str(stdout, c->issuer);
			printf(",\"serial\":\"%s\",\"notBefore\":\"%s\","
			    "\"notAfter\":\"%s\",\"keyType\":\"%s\","
			    "\"keyBits\":%d,\"sha256\":\"%s\","
			    "\"keySha256\":\"%s\",\"telematikID\":",
			    c->serial, fmt_time(c->not_before, t1, sizeof(t1)),
			    fmt_time(c->not_after, t2, sizeof(t2)), c->key_type,
			    c->key_bits, c->fingerprint, c->key_fingerprint);
			json_str(stdout, c->telematik_id);
			printf(",\"verdict\":\"%s\",\"reason\":",
			    dir_cert_reason_code(c->reason));
			json_str(stdout, dir_cert_reason_text(c->reason));
			printf("}");
		}
		printf("]}\n");
		return;
	}
	printf("address:      %s\n", r->address);
	printf("status:       %s (%s)\n", dir_status_name(r->status),
	    r->reason);
	if (r->source == DIR_SOURCE_CACHE)
		printf("source:       cache (age %lds%s)\n", age,
		    ttl >= 0 ? "" : "");
	else
		printf("source:       %s\n", src);
	if (ttl >= 0)
		printf("ttl:          %lds\n", ttl);
	if (r->status == DIR_NOT_FOUND || r->status == DIR_UNAVAILABLE)
		return;
	printf("telematikID:  %s\n", r->telematik_id ? r->telematik_id : "-");
	printf("displayName:  %s\n", r->display_name ? r->display_name : "-");
	printf("organization: %s\n", r->organization ? r->organization : "-");
	printf("kimVersion:   %s\n", r->kim_version ? r->kim_version : "1.0");
	printf("appTags:      %s\n", r->app_tags ? r->app_tags : "-");
	for (i = 0; i < r->ncerts; i++) {
		const struct dir_cert *c = &r->certs[i];

		printf("certificate %zu:\n", i + 1);
		if (c->x509) {
			printf("  subject:     %s\n", c->subject);
			printf("  issuer:      %s\n", c->issuer);
			printf("  serial:      %s\n", c->serial);
			printf("  validity:    %s .. %s\n",
			    fmt_time(c->not_before, t1, sizeof(t1)),
			    fmt_time(c->not_after, t2, sizeof(t2)));
			printf("  key:         %s %d\n", c->key_type,
			    c->key_bits);
			printf("  telematikID: %s\n",
			    c->telematik_id[0] ? c->telematik_id : "-");
			printf("  key sha256:  %s\n", c->key_fingerprint);
		}
		printf("  sha256:      %s\n", c->fingerprint);
		printf("  verdict:     %s (%s)\n",
		    dir_cert_reason_code(c->reason),
		    dir_cert_reason_text(c->reason));
	}
}

/* open_dir - the directory from the configuration */
static struct dir *
open_dir(struct kimctl *k)
{
	struct buf why = BUF_INIT;
	struct conf *c = kimctl_conf(k);
	struct dir *d;

	if (c == NULL)
		return NULL;
	if ((d = dir_open(c, &why)) == NULL)
		fprintf(stderr, "kimctl: directory: %s\n", buf_str(&why));
	buf_free(&why);
	return d;
}

/* open_cache - the cache alone */
static struct dir_cache *
open_cache(struct kimctl *k, int *ex)
{
	struct buf why = BUF_INIT;
	struct conf *c = kimctl_conf(k);
	struct dir_cache *dc = NULL;

	*ex = KIMCTL_EX_CONFIG;
	if (c == NULL)
		return NULL;
	if (c->redis_uri == NULL) {
		fprintf(stderr, "kimctl: no RedisURI in %s: there is no "
		    "cache\n", k->conf_path);
		return NULL;
	}
	if ((dc = dir_cache_open(c, &why)) == NULL)
		fprintf(stderr, "kimctl: cache: %s\n", buf_str(&why));
	buf_free(&why);
	return dc;
}

/* kimctl_lookup - kimctl lookup [--no-cache|--refresh] [--at T] ADDRESS */
int
kimctl_lookup(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-cache", no_argument, NULL, 'n'},
		{"refresh", no_argument, NULL, 'r'},
		{"at", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	struct dir_result *r = NULL;
	struct dir *d;
	time_t at = 0;
	int ch, flags = 0, st, ex;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+nra:", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			flags |= DIR_LOOKUP_NOCACHE;
			break;
		case 'r':
			flags |= DIR_LOOKUP_REFRESH;
			break;
		case 'a':
			if (parse_at(optarg, &at) < 0) {
				fprintf(stderr, "kimctl: --at %s: use "
				    "YYYY-MM-DD[THH:MM:SS] or Unix seconds\n",
				    optarg);
				return KIMCTL_EX_USAGE;
			}
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	if ((d = open_dir(k)) == NULL)
		return KIMCTL_EX_CONFIG;
	dir_set_clock(d, at);
	st = dir_lookup_flags(d, argv[optind], flags, 0, &r);
	if (st < 0) {
		fprintf(stderr, "kimctl: out of memory\n");
		ex = KIMCTL_EX_UNAVAILABLE;
	} else {
		print_result(k, r, -1);
		ex = exit_of(st);
	}
	dir_result_free(r);
	dir_close(d);
	return ex;
usage:
	fprintf(stderr, "usage: kimctl lookup [--no-cache|--refresh] "
	    "[--at TIME] ADDRESS\n");
	return KIMCTL_EX_USAGE;
}

struct list_state {
	struct kimctl *k;
	struct dir_cache *dc;
	int n;
	/* refresh */
	struct dir *d;
	int stale_only;
	unsigned stale_age;
	int failed;
};

/* list_cb - one line per cached address */
static int
list_cb(const char *address, void *arg)
{
	struct list_state *s = arg;
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT;
	long ttl = -2;
	int rc;
	const char *state;

	rc = dir_cache_raw(s->dc, address, NULL, &ttl, &r, &why);
	if (rc == DIR_CACHE_MISS)
		goto out;	/* expired since the scan */
	if (r)
		dir_result_finish(r, time(NULL));
	state = rc == DIR_CACHE_FORGED ? "mac-failed" : rc ==
	    DIR_CACHE_HIT ? dir_status_name(r->status) : "unreadable";
	if (s->k->json) {
		printf("%s{\"address\":", s->n ? "," : "");
		json_str(stdout, address);
		printf(",\"status\":\"%s\",\"ttl\":%ld,\"age\":%ld}", state,
		    ttl, r ? (long)(time(NULL) - r->fetched_at) : -1L);
	} else
		printf("%-48s %-12s ttl %-7ld age %ld\n", address, state, ttl,
		    r ? (long)(time(NULL) - r->fetched_at) : -1L);
	s->n++;
out:
	dir_result_free(r);
	buf_free(&why);
	return 0;
}

/* refresh_one - ask the directory again, write the cache */
static int
refresh_one(struct list_state *s, const char *address)
{
	struct dir_result *r = NULL;
	int st = dir_lookup_flags(s->d, address, DIR_LOOKUP_REFRESH, 0, &r);

	if (st < 0 || st == DIR_UNAVAILABLE)
		s->failed = 1;
	printf("%s %s%s%s\n", address, st < 0 ? "unavailable" :
	    dir_status_name(st), r ? ": " : "", r ? r->reason : "");
	dir_result_free(r);
	s->n++;
	return 0;
}

/* refresh_cb - refresh every (or every stale) entry */
static int
refresh_cb(const char *address, void *arg)
{
	struct list_state *s = arg;
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT;
	int rc, stale = 1;

	if (s->stale_only) {
		rc = dir_cache_raw(s->dc, address, NULL, NULL, &r, &why);
		if (rc == DIR_CACHE_HIT && r &&
		    time(NULL) - r->fetched_at < (time_t)s->stale_age)
			stale = 0;
		dir_result_free(r);
		buf_free(&why);
	}
	return stale ? refresh_one(s, address) : 0;
}

/* cache_stats - counters */
static int
cache_stats(struct kimctl *k, struct dir_cache *dc)
{
	struct dir_cache_stats st;
	struct buf why = BUF_INIT;
	unsigned long long hits;
	double ratio;
	long oldest;

	if (dir_cache_stats(dc, &st, &why) < 0) {
		fprintf(stderr, "kimctl: %s\n", buf_str(&why));
		buf_free(&why);
		return KIMCTL_EX_UNAVAILABLE;
	}
	buf_free(&why);
	hits = st.lookups >= st.misses + st.forged ?
	    st.lookups - st.misses - st.forged : 0;
	ratio = st.lookups ? (double)hits / (double)st.lookups : 0.0;
	oldest = st.oldest ? (long)(time(NULL) - st.oldest) : -1;
	if (k->json)
		printf("{\"entries\":%llu,\"lookups\":%llu,\"hits\":%llu,"
		    "\"misses\":%llu,\"hitRatio\":%.3f,\"macFailures\":%llu,"
		    "\"directoryErrors\":%llu,\"oldestAge\":%ld}\n",
		    st.entries, st.lookups, hits, st.misses, ratio, st.forged,
		    st.dir_errors, oldest);
	else
		printf("entries:          %llu\nlookups:          %llu\n"
		    "hits:             %llu\nmisses:           %llu\n"
		    "hit ratio:        %.1f%%\nMAC failures:     %llu\n"
		    "directory errors: %llu\noldest entry:     %s\n",
		    st.entries, st.lookups, hits, st.misses, ratio * 100.0,
		    st.forged, st.dir_errors, oldest < 0 ? "-" : "");
	if (!k->json && oldest >= 0)
		printf("                  age %lds\n", oldest);
	return KIMCTL_EX_OK;
}

/* cache_show - one entry as stored, with its MAC verdict */
static int
cache_show(struct kimctl *k, struct dir_cache *dc, const char *address)
{
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT, raw = BUF_INIT;
	long ttl = -2;
	char norm[320];
	int rc, ex;

	snprintf(norm, sizeof(norm), "%s", address);
	for (char *p = norm; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	rc = dir_cache_raw(dc, norm, &raw, &ttl, &r, &why);
	switch (rc) {
	case DIR_CACHE_HIT:
		dir_result_finish(r, time(NULL));
		print_result(k, r, ttl);
		if (!k->json)
			printf("mac:          ok\n");
		ex = exit_of(r->status);
		break;
	case DIR_CACHE_MISS:
		fprintf(stderr, "kimctl: %s is not cached\n", norm);
		ex = KIMCTL_EX_NOTFOUND;
		break;
	case DIR_CACHE_FORGED:
		if (k->json) {
			printf("{\"address\":");
			json_str(stdout, norm);
			printf(",\"mac\":\"failed\",\"reason\":");
			json_str(stdout, buf_str(&why));
			printf("}\n");
		} else
			printf("address:      %s\nmac:          FAILED (%s)\n",
			    norm, buf_str(&why));
		ex = KIMCTL_EX_FAIL;
		break;
	default:
		fprintf(stderr, "kimctl: %s\n", buf_str(&why));
		ex = KIMCTL_EX_UNAVAILABLE;
	}
	dir_result_free(r);
	buf_free(&raw);
	buf_free(&why);
	return ex;
}

/* kimctl_cache - kimctl cache list|show|purge|refresh|stats */
int
kimctl_cache(struct kimctl *k, int argc, char **argv)
{
	struct list_state s;
	struct buf why = BUF_INIT;
	struct dir_cache *dc;
	const char *sub;
	int ex = KIMCTL_EX_OK;

	if (argc < 2)
		goto usage;
	sub = argv[1];
	memset(&s, 0, sizeof(s));
	s.k = k;
	if ((dc = open_cache(k, &ex)) == NULL)
		return ex;
	ex = KIMCTL_EX_OK;
	s.dc = dc;
	if (strcmp(sub, "list") == 0 && argc <= 3) {
		if (k->json)
			printf("[");
		if (dir_cache_scan(dc, argc == 3 ? argv[2] : NULL, list_cb, &s,
		    &why) < 0) {
			fprintf(stderr, "kimctl: %s\n", buf_str(&why));
			ex = KIMCTL_EX_UNAVAILABLE;
		}
		if (k->json)
			printf("]\n");
	} else if (strcmp(sub, "show") == 0 && argc == 3) {
		ex = cache_show(k, dc, argv[2]);
	} else if (strcmp(sub, "purge") == 0 && argc == 3) {
		long n;

		if (strcmp(argv[2], "--all") == 0)
			n = dir_cache_purge_all(dc, &why);
		else {
			char norm[320];

			snprintf(norm, sizeof(norm), "%s", argv[2]);
			for (char *p = norm; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			n = dir_cache_del(dc, norm, &why);
		}
		if (n < 0) {
			fprintf(stderr, "kimctl: %s\n", buf_str(&why));
			ex = KIMCTL_EX_UNAVAILABLE;
		} else
			printf("purged %ld key%s\n", n, n == 1 ? "" : "s");
	} else if (strcmp(sub, "refresh") == 0 && argc == 3) {
		if ((s.d = open_dir(k)) == NULL) {
			ex = KIMCTL_EX_CONFIG;
			goto out;
		}
		s.stale_age = kimctl_conf(k)->cache_ttl / 2;
		if (strcmp(argv[2], "--all") == 0 ||
		    strcmp(argv[2], "--stale") == 0) {
			s.stale_only = strcmp(argv[2], "--stale") == 0;
			if (dir_cache_scan(dc, NULL, refresh_cb, &s, &why) <
			    0) {
				fprintf(stderr, "kimctl: %s\n", buf_str(&why));
				ex = KIMCTL_EX_UNAVAILABLE;
			}
		} else
			refresh_one(&s, argv[2]);
		if (s.failed)
			ex = KIMCTL_EX_UNAVAILABLE;
		dir_close(s.d);
	} else if (strcmp(sub, "stats") == 0 && argc == 2) {
		ex = cache_stats(k, dc);
	} else {
		dir_cache_close(dc);
		goto usage;
	}
out:
	dir_cache_close(dc);
	buf_free(&why);
	return ex;
usage:
	fprintf(stderr, "usage: kimctl cache list [GLOB] | show ADDRESS | "
	    "purge ADDRESS|--all | refresh ADDRESS|--all|--stale | stats\n");
	return KIMCTL_EX_USAGE;
}

struct audit_state {
	struct kimctl *k;
	struct dir_cache *dc;
	time_t now;
	long days;
	int findings;
};

/* finding - print one finding */
static void
finding(struct audit_state *a, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
finding(struct audit_state *a, const char *kind, const char *fmt, ...)
{
	va_list ap;

	if (a->k->json)
		printf("%s{\"finding\":\"%s\",\"detail\":\"", a->findings ?
		    "," : "", kind);
	else
		printf("%-20s ", kind);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(a->k->json ? "\"}" : "\n");
	a->findings++;
}

/* audit_entry - MAC, usability, mixed IDs, expiry */
static int
audit_entry(const char *address, void *arg)
{
	struct audit_state *a = arg;
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT;
	char t[40];
	size_t i;
	int rc;

	rc = dir_cache_raw(a->dc, address, NULL, NULL, &r, &why);
	if (rc == DIR_CACHE_FORGED)
		finding(a, "mac-failure", "%s: %s", address, buf_str(&why));
	if (rc != DIR_CACHE_HIT || r == NULL)
		goto out;
	dir_result_finish(r, a->now);
	if (r->status == DIR_UNUSABLE)
		finding(a, "no-usable-cert", "%s: %s", address, r->reason);
	for (i = 0; i < r->ncerts; i++) {
		const struct dir_cert *c = &r->certs[i];

		if (c->reason == DIR_CERT_MIXED_TELEMATIK_ID) {
			finding(a, "mixed-telematik-id", "%s", address);
			break;
		}
	}
	for (i = 0; i < r->ncerts; i++) {
		const struct dir_cert *c = &r->certs[i];

		if (c->reason == DIR_CERT_OK &&
		    c->not_after < a->now + a->days * 86400)
			finding(a, "expiring", "%s: certificate %s expires %s",
			    address, c->serial,
			    fmt_time(c->not_after, t, sizeof(t)));
	}
out:
	dir_result_free(r);
	buf_free(&why);
	return 0;
}

/* audit_key - a public key under more than one Telematik-ID */
static int
audit_key(const char *fp, char **members, size_t n, void *arg)
{
	struct audit_state *a = arg;
	struct buf list = BUF_INIT;
	size_t i, tl;
	int shared = 0;

	if (n == 0)
		return 0;
	tl = strcspn(members[0], " ");
	for (i = 0; i < n; i++) {
		if (strncmp(members[i], members[0], tl) != 0 ||
		    (members[i][tl] != ' ' && members[i][tl] != 0))
			shared = 1;
		(void)buf_printf(&list, "%s%s", i ? ", " : "", members[i]);
	}
	if (shared)
		finding(a, "shared-key", "%s: %s", fp, buf_str(&list));
	buf_free(&list);
	return 0;
}

/* kimctl_audit - kimctl audit [--days N] */
int
kimctl_audit(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"days", required_argument, NULL, 'd'},
		{NULL, 0, NULL, 0},
	};
	struct audit_state a;
	struct buf why = BUF_INIT;
	int ch, ex;
	char *end;

	memset(&a, 0, sizeof(a));
	a.k = k;
	a.days = 30;
	a.now = time(NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+d:", opts, NULL)) != -1) {
		if (ch != 'd')
			goto usage;
		a.days = strtol(optarg, &end, 10);
		if (*end || a.days < 0 || a.days > 36500)
			goto usage;
	}
	if (optind != argc)
		goto usage;
	if ((a.dc = open_cache(k, &ex)) == NULL)
		return ex;
	if (k->json)
		printf("[");
	if (dir_cache_key_scan(a.dc, audit_key, &a, &why) < 0 ||
	    dir_cache_scan(a.dc, NULL, audit_entry, &a, &why) < 0) {
		if (k->json)
			printf("]\n");
		fprintf(stderr, "kimctl: %s\n", buf_str(&why));
		ex = KIMCTL_EX_UNAVAILABLE;
		goto out;
	}
	if (k->json)
		printf("]\n");
	else if (a.findings == 0)
		printf("no findings\n");
	ex = a.findings ? KIMCTL_EX_FAIL : KIMCTL_EX_OK;
out:
	dir_cache_close(a.dc);
	buf_free(&why);
	return ex;
usage:
	fprintf(stderr, "usage: kimctl audit [--days N]\n");
	return KIMCTL_EX_USAGE;
}
