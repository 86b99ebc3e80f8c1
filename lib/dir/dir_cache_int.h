/*
 * dir_cache_int.h - what the two files of the Redis cache share (private
 * to lib/dir): dir_cache_conn.c owns the connections (pool, AUTH after
 * every connect, backoff while Redis is down), dir_cache.c the commands.
 */
#ifndef KIM_DIR_CACHE_INT_H
#define KIM_DIR_CACHE_INT_H

#include <pthread.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "dir_cache.h"
#include "dir_certcache.h"

#define DIR_CACHE_MAX_IDLE 16
#define DIR_CACHE_BACKOFF_MS 1000

struct dir_cache {
	char *host;		/* or NULL with */
	char *path;		/* a unix socket */
	int port;
	int db;
	char *user;
	struct buf password;
	struct buf key;		/* CacheKeyFile */
	unsigned timeout;	/* seconds */
	struct dir_certcache *certs;	/* parsed certificates of entries */

	pthread_mutex_t lock;	/* idle, down_until, was_down */
	redisContext *idle[DIR_CACHE_MAX_IDLE];
	int nidle;
	struct timespec down_until;
	int was_down;
};

/* dir_cache_why - one place that turns a hiredis failure into text */
void dir_cache_why(redisContext *ctx, redisReply *rep, const char *what,
    struct buf *why);
/*
 * dir_cache_conn_get2 - a pooled or new connection (*pooled says which:
 * a pooled one may have died since, worth one retry); NULL while Redis is
 * down, with the reason in why
 */
redisContext *dir_cache_conn_get2(struct dir_cache *dc, int *pooled,
    struct buf *why);
/* dir_cache_conn_get - dir_cache_conn_get2 when the caller does not retry */
redisContext *dir_cache_conn_get(struct dir_cache *dc, struct buf *why);
/* dir_cache_conn_put - back to the pool, or closed after an I/O error */
void dir_cache_conn_put(struct dir_cache *dc, redisContext *ctx,
    struct buf *why);

#endif
