/*
 * bench_dir.c - the KIM directory against real services (slapd, Redis):
 * warm-cache lookup latency from 1 and 8 threads, the cold (LDAP) path, and the
 * number of LDAP queries for 32 concurrent cold lookups of one address.
 *
 *   bench_dir CONF ADDRESS FRESH-ADDRESS [WARM-PER-THREAD [COLD]]
 *
 * ADDRESS is looked up once to fill the cache, then measured warm and
 * cold (DIR_LOOKUP_NOCACHE); FRESH-ADDRESS must not be cached yet: it is
 * looked up by 32 threads at once. bench/bench_dir.sh starts the services.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "dir.h"
#include "msg.h"

#define WARM_THREADS	8
#define BURST_THREADS	32
#define TIMEOUT_MS	5000

struct worker {
	struct dir *dir;
	const char *address;
	int flags;
	size_t n;
	double *ms;		/* n latencies */
	pthread_barrier_t *start;
	int bad;		/* lookups that did not give "found" */
	enum dir_source source;	/* of the last lookup */
};

/* now_ms - monotonic clock in milliseconds */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* run - one thread: n lookups, each timed */
static void *
run(void *arg)
{
	struct worker *w = arg;
	struct dir_result *r;
	double t0;
	size_t i;

	if (w->start)
		pthread_barrier_wait(w->start);
	for (i = 0; i < w->n; i++) {
		r = NULL;
		t0 = now_ms();
		if (dir_lookup_flags(w->dir, w->address, w->flags, TIMEOUT_MS,
		    &r) < 0 || r == NULL || r->status != DIR_FOUND)
			w->bad++;
		w->ms[i] = now_ms() - t0;
		if (r)
			w->source = r->source;
		dir_result_free(r);
	}
	return NULL;
}

/* cmp_double - qsort order */
static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* pct - the p-th percentile of n sorted values */
static double
pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)n);

	return v[i < n ? i : n - 1];
}

/* measure - nthreads x n lookups; sorted latencies in *out; bad count */
static int
measure(struct dir *d, const char *address, int flags, int nthreads,
    size_t n, double **out, enum dir_source *source)
{
	pthread_t th[BURST_THREADS];
	struct worker w[BURST_THREADS];
	pthread_barrier_t start;
	double *all;
	int i, bad = 0;

	all = calloc((size_t)nthreads * n, sizeof(*all));
	if (all == NULL)
		return -1;
	pthread_barrier_init(&start, NULL, (unsigned)nthreads);
	for (i = 0; i < nthreads; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].dir = d;
		w[i].address = address;
		w[i].flags = flags;
		w[i].n = n;
		w[i].ms = all + (size_t)i * n;
		w[i].start = &start;
		pthread_create(&th[i], NULL, run, &w[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad;
	}
	pthread_barrier_destroy(&start);
	*source = w[0].source;
	qsort(all, (size_t)nthreads * n, sizeof(*all), cmp_double);
	*out = all;
	return bad;
}

/* source_name - for the table */
static const char *
source_name(enum dir_source s)
{
	return s == DIR_SOURCE_CACHE ? "cache" :
	    s == DIR_SOURCE_DIRECTORY ? "directory" : "none";
}

int
main(int argc, char **argv)
{
	struct buf diag = BUF_INIT;
	struct conf *conf = NULL;
	struct dir *d = NULL;
	struct dir_result *r = NULL;
	enum dir_source src;
	double *warm1 = NULL, *warm = NULL, *cold = NULL, *burst = NULL;
	size_t nwarm = 2000, ncold = 200, nw;
	unsigned long q0, q1;
	int bad, rc = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: bench_dir CONF ADDRESS FRESH-ADDRESS "
		    "[WARM-PER-THREAD [COLD]]\n");
		return 64;
	}
	if (argc > 4)
		nwarm = (size_t)strtoul(argv[4], NULL, 10);
	if (argc > 5)
		ncold = (size_t)strtoul(argv[5], NULL, 10);
	if (nwarm == 0 || ncold == 0)
		return 64;
	msg_open("bench_dir", 0, 0);
	if ((conf = conf_load(argv[1], &diag)) == NULL ||
	    (d = dir_open(conf, &diag)) == NULL) {
		fprintf(stderr, "%s\n", buf_str(&diag));
		rc = 78;
		goto out;
	}

	/* fill the cache, then 8 threads read it */
	if (dir_lookup(d, argv[2], TIMEOUT_MS, &r) < 0 || r == NULL ||
	    r->status != DIR_FOUND) {
		fprintf(stderr, "bench_dir: %s: %s\n", argv[2],
		    r ? r->reason : "lookup failed");
		goto out;
	}
	/* one thread first: the path itself, without contention */
	bad = measure(d, argv[2], 0, 1, nwarm, &warm1, &src);
	if (bad != 0 || src != DIR_SOURCE_CACHE) {
		fprintf(stderr, "bench_dir: warm: %d failed, source %s\n",
		    bad, source_name(src));
		goto out;
	}
	nw = WARM_THREADS * nwarm;
	bad = measure(d, argv[2], 0, WARM_THREADS, nwarm, &warm, &src);
	if (bad != 0 || src != DIR_SOURCE_CACHE) {
		fprintf(stderr, "bench_dir: warm: %d failed, source %s\n",
		    bad, source_name(src));
		goto out;
	}
	/* the cold path: LDAP and certificate checks, one thread */
	q0 = dir_ldap_queries(d);
	bad = measure(d, argv[2], DIR_LOOKUP_NOCACHE, 1, ncold, &cold, &src);
	q1 = dir_ldap_queries(d);
	if (bad != 0 || src != DIR_SOURCE_DIRECTORY || q1 - q0 != ncold) {
		fprintf(stderr, "bench_dir: cold: %d failed, source %s, "
		    "%lu queries\n", bad, source_name(src), q1 - q0);
		goto out;
	}
	/* 32 threads at once on an address nobody asked for yet */
	q0 = dir_ldap_queries(d);
	bad = measure(d, argv[3], 0, BURST_THREADS, 1, &burst, &src);
	q1 = dir_ldap_queries(d);
	if (bad != 0) {
		fprintf(stderr, "bench_dir: burst: %d failed\n", bad);
		goto out;
	}

	printf("%-34s %7s %9s %9s\n", "directory lookup", "n", "p50 ms",
	    "p99 ms");
	printf("%-34s %7zu %9.3f %9.3f\n", "warm (Redis cache, 1 thread)",
	    nwarm, pct(warm1, nwarm, 50), pct(warm1, nwarm, 99));
	printf("%-34s %7zu %9.3f %9.3f\n", "warm (Redis cache, 8 threads)", nw,
	    pct(warm, nw, 50), pct(warm, nw, 99));
	printf("%-34s %7zu %9.3f %9.3f\n", "cold (LDAP, no cache, 1 thread)",
	    ncold, pct(cold, ncold, 50), pct(cold, ncold, 99));
	printf("%-34s %7d %9.3f %9.3f\n", "32 concurrent cold, one address",
	    BURST_THREADS, pct(burst, BURST_THREADS, 50),
	    pct(burst, BURST_THREADS, 99));
	printf("LDAP queries for %d concurrent cold lookups of one address: "
	    "%lu (expected 1)\n", BURST_THREADS, q1 - q0);
	printf("goal warm p99 < 0.5 ms: %s\n",
	    pct(warm, nw, 99) < 0.5 ? "met" : "MISSED");
	rc = q1 - q0 == 1 ? 0 : 1;
out:
	free(warm1);
	free(warm);
	free(cold);
	free(burst);
	dir_result_free(r);
	dir_close(d);
	conf_unref(conf);
	buf_free(&diag);
	return rc;
}
