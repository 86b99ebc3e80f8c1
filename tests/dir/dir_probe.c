/*
 * dir_probe.c - test helper for the directory tests.
 *
 *   dir_probe CONF ADDRESS THREADS [TIMEOUT_MS [ROUNDS INTERVAL_MS]]
 *	THREADS concurrent dir_lookup calls of one address; prints
 *	"status=<s> same=<0|1> queries=<n> ms=<elapsed> source=<src>"
 *	(same=1 when every thread got the same status; source=directory
 *	when any of them asked LDAP). With ROUNDS, one
 *	such line per round, INTERVAL_MS apart, in one process (so that
 *	connections are reused across service restarts). ROUNDS "-": one
 *	round per line read from stdin, until end of file (lockstep with a
 *	test script).
 *   dir_probe --blackhole PORTFILE
 *	listen on 127.0.0.1 (port written to PORTFILE), accept every
 *	connection and never say a word: a TLS handshake that never ends.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dir.h"
#include "msg.h"

static struct dir *dir;
static const char *address;
static unsigned timeout_ms;
static pthread_barrier_t barrier;
static enum dir_source source0;

/* worker - one lookup after all threads are ready */
static void *
worker(void *arg)
{
	struct dir_result *r = NULL;
	enum dir_source none = DIR_SOURCE_NONE;

	pthread_barrier_wait(&barrier);
	*(int *)arg = dir_lookup(dir, address, timeout_ms, &r);
	/* the round's source: "directory" when any thread asked LDAP */
	if (r && r->source == DIR_SOURCE_DIRECTORY)
		__atomic_store_n(&source0, DIR_SOURCE_DIRECTORY,
		    __ATOMIC_SEQ_CST);
	else if (r && r->source == DIR_SOURCE_CACHE)
		__atomic_compare_exchange_n(&source0, &none, DIR_SOURCE_CACHE,
		    0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	dir_result_free(r);
	return NULL;
}

/* blackhole - accept and hold connections until killed */
static int
blackhole(const char *portfile)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;
	FILE *fp;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(s, 16) < 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) < 0) {
		perror("blackhole");
		return 1;
	}
	if ((fp = fopen(portfile, "w")) == NULL)
		return 1;
	fprintf(fp, "%d\n", ntohs(sin.sin_port));
	fclose(fp);
	for (;;)
		if ((c = accept(s, NULL, NULL)) < 0)
			break;	/* held open: never closed, never read */
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf diag = BUF_INIT;
	struct conf *conf;
	struct timespec t0, t1;
	pthread_t *th;
	int *st, n, i, same, round, rounds = 1, interval = 0;

	if (argc == 3 && strcmp(argv[1], "--blackhole") == 0)
		return blackhole(argv[2]);
	if (argc < 4) {
		fprintf(stderr, "usage: dir_probe CONF ADDRESS THREADS "
		    "[TIMEOUT_MS]\n");
		return 64;
	}
	msg_open("dir_probe", 0, 0);
	msg_set_level(MSG_LEVEL_INFO);
	if ((conf = conf_load(argv[1], &diag)) == NULL) {
		fprintf(stderr, "%s", buf_str(&diag));
		return 78;
	}
	if ((dir = dir_open(conf, &diag)) == NULL) {
		fprintf(stderr, "%s\n", buf_str(&diag));
		return 78;
	}
	address = argv[2];
	n = atoi(argv[3]);
	timeout_ms = argc > 4 ? (unsigned)atoi(argv[4]) : 0;
	if (argc > 6) {
		rounds = atoi(argv[5]);
		interval = atoi(argv[6]);
	} else if (argc > 5 && strcmp(argv[5], "-") == 0)
		rounds = -1;
	if (n < 1 || n > 1000)
		return 64;
	th = calloc((size_t)n, sizeof(*th));
	st = calloc((size_t)n, sizeof(*st));
	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (round = 0; rounds < 0 || round < rounds; round++) {
		char line[64];

		if (rounds < 0 && fgets(line, sizeof(line), stdin) == NULL)
			break;
		if (round && interval)
			usleep((useconds_t)interval * 1000);
		source0 = DIR_SOURCE_NONE;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < n; i++)
			pthread_create(&th[i], NULL, worker, &st[i]);
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		for (same = 1, i = 1; i < n; i++)
			if (st[i] != st[0])
				same = 0;
		printf("status=%s same=%d queries=%lu ms=%ld source=%s\n",
		    st[0] < 0 ? "error" : dir_status_name(st[0]), same,
		    dir_ldap_queries(dir),
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000),
		    source0 == DIR_SOURCE_CACHE ? "cache" :
		    source0 == DIR_SOURCE_DIRECTORY ? "directory" : "none");
		fflush(stdout);
	}
	pthread_barrier_destroy(&barrier);
	free(th);
	free(st);
	dir_close(dir);
	conf_unref(conf);
	buf_free(&diag);
	return 0;
}
