/*
 * dir_cache_conn.c - the Redis cache's connections (hiredis 0.14): the
 * RedisURI, the secrets, a pool of idle connections (each thread takes
 * its own, so no lock is held across a round trip), AUTH and SELECT after
 * every (re)connect, and a backoff of a second after a failed connect.
 * hiredis errors are turned into text in dir_cache_why only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dir_cache_int.h"
#include "dir_int.h"
#include "msg.h"

/* dir_cache_why - one place that turns a hiredis failure into text */
void
dir_cache_why(redisContext *ctx, redisReply *rep, const char *what,
    struct buf *why)
{
	if (ctx == NULL)
		(void)buf_printf(why, "Redis %s: out of memory", what);
	else if (ctx->err)
		(void)buf_printf(why, "Redis %s: %s", what, ctx->errstr);
	else if (rep && rep->type == REDIS_REPLY_ERROR)
		(void)buf_printf(why, "Redis %s: %.*s", what, (int)rep->len,
		    rep->str);
	else
		(void)buf_printf(why, "Redis %s: unexpected reply", what);
}

/* parse_uri - redis://host[:port][/db] or unix:/path[?db=N] */
static int
parse_uri(struct dir_cache *dc, const char *uri, struct buf *why)
{
	const char *p, *q;
	char *end;

	dc->port = 6379;
	if (strncmp(uri, "unix:", 5) == 0) {
		p = uri + 5;
		if (strncmp(p, "//", 2) == 0)
			p += 2;
		if (*p != '/')
			goto bad;
		q = strstr(p, "?db=");
		if ((dc->path = strndup(p, q ? (size_t)(q - p) : strlen(p))) ==
		    NULL)
			goto nomem;
		if (q) {
			dc->db = (int)strtol(q + 4, &end, 10);
			if (*end || dc->db < 0)
				goto bad;
		}
		return 0;
	}
	if (strncmp(uri, "redis://", 8) != 0)
		goto bad;
	p = uri + 8;
	if (*p == '[') {	/* [v6]:port */
		q = strchr(p, ']');
		if (q == NULL)
			goto bad;
		if ((dc->host = strndup(p + 1, (size_t)(q - p - 1))) == NULL)
			goto nomem;
		p = q + 1;
	} else {
		q = p + strcspn(p, ":/");
		if (q == p)
			goto bad;
		if ((dc->host = strndup(p, (size_t)(q - p))) == NULL)
			goto nomem;
		p = q;
	}
	if (*p == ':') {
		dc->port = (int)strtol(p + 1, &end, 10);
		if (end == p + 1 || dc->port <= 0 || dc->port > 65535)
			goto bad;
		p = end;
	}
	if (*p == '/' && p[1]) {
		dc->db = (int)strtol(p + 1, &end, 10);
		if (*end || dc->db < 0)
			goto bad;
	} else if (*p && strcmp(p, "/") != 0)
		goto bad;
	return 0;
nomem:
	(void)buf_puts(why, "out of memory");
	return -1;
bad:
	(void)buf_printf(why, "RedisURI \"%s\": use redis://host[:port][/db] "
	    "or unix:/path[?db=N]", uri);
	return -1;
}

/* dir_cache_open - settings and secrets */
struct dir_cache *
dir_cache_open(const struct conf *c, struct buf *why)
{
	struct dir_cache *dc = calloc(1, sizeof(*dc));

	if (dc == NULL) {
		(void)buf_puts(why, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&dc->lock, NULL);
	dc->timeout = c->redis_timeout;
	if (parse_uri(dc, c->redis_uri, why) < 0)
		goto fail;
	if ((dc->certs = dir_certcache_new()) == NULL) {
		(void)buf_puts(why, "out of memory");
		goto fail;
	}
	if (c->cache_key_file == NULL) {
		(void)buf_puts(why, "RedisURI needs CacheKeyFile (the MAC key "
		    "shared by every relay)");
		goto fail;
	}
	if (dir_secret_read(c->cache_key_file, 0, &dc->key, why) < 0)
		goto fail;
	if (dc->key.len < 32) {
		(void)buf_printf(why, "CacheKeyFile %s: %zu bytes, at least 32 "
		    "are needed", c->cache_key_file, dc->key.len);
		goto fail;
	}
	if (c->redis_password_file && dir_secret_read(c->redis_password_file,
	    1, &dc->password, why) < 0)
		goto fail;
	if (c->redis_user && (dc->user = strdup(c->redis_user)) == NULL) {
		(void)buf_puts(why, "out of memory");
		goto fail;
	}
	return dc;
fail:
	dir_cache_close(dc);
	return NULL;
}

/* dir_cache_close - close connections, wipe secrets */
void
dir_cache_close(struct dir_cache *dc)
{
	if (dc == NULL)
		return;
	while (dc->nidle > 0)
		redisFree(dc->idle[--dc->nidle]);
	free(dc->host);
	free(dc->path);
	free(dc->user);
	buf_wipe(&dc->password);
	buf_wipe(&dc->key);
	dir_certcache_free(dc->certs);
	pthread_mutex_destroy(&dc->lock);
	free(dc);
}

/*
 * mark_down - a connection failed: drop the pooled ones (they share its
 * fate, e.g. after a Redis restart). A failed connect also starts the
 * backoff period; a failed pooled connection does not, so the next call
 * simply connects anew.
 */
static void
mark_down(struct dir_cache *dc, const char *why, int backoff)
{
	redisContext *old[DIR_CACHE_MAX_IDLE];
	int first, n, i;

	pthread_mutex_lock(&dc->lock);
	if (backoff)
		dir_deadline(&dc->down_until, DIR_CACHE_BACKOFF_MS);
	first = !dc->was_down;
	dc->was_down = 1;
	n = dc->nidle;
	memcpy(old, dc->idle, (size_t)n * sizeof(old[0]));
	dc->nidle = 0;
	pthread_mutex_unlock(&dc->lock);
	for (i = 0; i < n; i++)
		redisFree(old[i]);
	if (first)
		msg_warn("directory cache: %s", why);
}

/* ctx_connect - connect, AUTH, SELECT */
static redisContext *
ctx_connect(struct dir_cache *dc, struct buf *why)
{
	struct timeval tv = {(time_t)dc->timeout, 0};
	redisContext *ctx;
	redisReply *rep = NULL;

	if (dc->path)
		ctx = redisConnectUnixWithTimeout(dc->path, tv);
	else
		ctx = redisConnectWithTimeout(dc->host, dc->port, tv);
	if (ctx == NULL || ctx->err) {
		dir_cache_why(ctx, NULL, "connect", why);
		goto fail;
	}
	if (redisSetTimeout(ctx, tv) != REDIS_OK) {
		dir_cache_why(ctx, NULL, "timeout", why);
		goto fail;
	}
	if (dc->password.len) {
		if (dc->user)
			rep = redisCommand(ctx, "AUTH %s %b", dc->user,
			    dc->password.data, dc->password.len);
		else
			rep = redisCommand(ctx, "AUTH %b", dc->password.data,
			    dc->password.len);
		if (rep == NULL || rep->type != REDIS_REPLY_STATUS) {
			dir_cache_why(ctx, rep, "AUTH", why);
			goto fail;
		}
		freeReplyObject(rep);
		rep = NULL;
	}
	if (dc->db) {
		rep = redisCommand(ctx, "SELECT %d", dc->db);
		if (rep == NULL || rep->type != REDIS_REPLY_STATUS) {
			dir_cache_why(ctx, rep, "SELECT", why);
			goto fail;
		}
		freeReplyObject(rep);
	}
	return ctx;
fail:
	if (rep)
		freeReplyObject(rep);
	if (ctx)
		redisFree(ctx);
	return NULL;
}

/* dir_cache_conn_get2 - a pooled or new connection; NULL while Redis is down */
redisContext *
dir_cache_conn_get2(struct dir_cache *dc, int *pooled, struct buf *why)
{
	redisContext *ctx = NULL;
	int backoff;

	pthread_mutex_lock(&dc->lock);
	backoff = dc->was_down && dir_ms_left(&dc->down_until) > 0;
	if (!backoff && dc->nidle > 0)
		ctx = dc->idle[--dc->nidle];
	pthread_mutex_unlock(&dc->lock);
	*pooled = ctx != NULL;
	if (backoff) {
		(void)buf_puts(why, "Redis is down (retried every second)");
		return NULL;
	}
	if (ctx)
		return ctx;
	if ((ctx = ctx_connect(dc, why)) == NULL) {
		mark_down(dc, buf_str(why), 1);
		return NULL;
	}
	pthread_mutex_lock(&dc->lock);
	if (dc->was_down)
		msg_info("directory cache: Redis is back");
	dc->was_down = 0;
	pthread_mutex_unlock(&dc->lock);
	return ctx;
}

/* dir_cache_conn_get - dir_cache_conn_get2 when the caller does not retry */
redisContext *
dir_cache_conn_get(struct dir_cache *dc, struct buf *why)
{
	int pooled;

	return dir_cache_conn_get2(dc, &pooled, why);
}

/* dir_cache_conn_put - back to the pool, or closed after an I/O error */
void
dir_cache_conn_put(struct dir_cache *dc, redisContext *ctx, struct buf *why)
{
	if (ctx == NULL)
		return;
	if (ctx->err) {
		struct buf w = BUF_INIT;

		dir_cache_why(ctx, NULL, "I/O", why ? why : &w);
		mark_down(dc, buf_str(why ? why : &w), 0);
		buf_free(&w);
		redisFree(ctx);
		return;
	}
	pthread_mutex_lock(&dc->lock);
	if (dc->nidle < DIR_CACHE_MAX_IDLE) {
		dc->idle[dc->nidle++] = ctx;
		ctx = NULL;
	}
	pthread_mutex_unlock(&dc->lock);
	if (ctx)
		redisFree(ctx);
}
