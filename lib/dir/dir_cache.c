/*
 * dir_cache.c - the shared Redis cache's commands: entries (read, verify,
 * write), the key-reuse index, scans and statistics for kimctl. The
 * connections are dir_cache_conn.c's.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "dir_cache_int.h"
#include "dir_int.h"
#include "msg.h"

static int raw_once(struct dir_cache *, const char *, struct buf *, long *,
    struct dir_result **, int *, struct buf *);

/* addr_key - kim:v1:addr:<address> */
static void
addr_key(const char *address, char *out, size_t outsz)
{
	snprintf(out, outsz, DIR_CACHE_PREFIX "addr:%s", address);
}

/*
 * dir_cache_raw - GET + TTL, then verify. A pooled connection that fails
 * (Redis restarted since) is replaced by a fresh one once.
 */
int
dir_cache_raw(struct dir_cache *dc, const char *address, struct buf *raw,
    long *ttl, struct dir_result **out, struct buf *why)
{
	int rc, pooled = 0;

	rc = raw_once(dc, address, raw, ttl, out, &pooled, why);
	if (rc == DIR_CACHE_DOWN && pooled) {
		buf_reset(why);
		rc = raw_once(dc, address, raw, ttl, out, &pooled, why);
	}
	return rc;
}

/* raw_once - one try of dir_cache_raw */
static int
raw_once(struct dir_cache *dc, const char *address, struct buf *raw,
    long *ttl, struct dir_result **out, int *pooled, struct buf *why)
{
	redisContext *ctx;
	redisReply *rep = NULL, *trep = NULL;
	struct dir_result *r = NULL;
	char key[600];
	int rc = DIR_CACHE_DOWN, d;

	if (out)
		*out = NULL;
	if ((ctx = dir_cache_conn_get2(dc, pooled, why)) == NULL)
		return DIR_CACHE_DOWN;
	addr_key(address, key, sizeof(key));
	/* one round trip on the warm path: GET and the lookup counter */
	if (redisAppendCommand(ctx, "GET %s", key) != REDIS_OK ||
	    (ttl && redisAppendCommand(ctx, "TTL %s", key) != REDIS_OK) ||
	    redisAppendCommand(ctx, "HINCRBY " DIR_CACHE_PREFIX "stats "
	    "lookups 1") != REDIS_OK)
		goto fail;
	if (redisGetReply(ctx, (void **)&rep) != REDIS_OK ||
	    (ttl && redisGetReply(ctx, (void **)&trep) != REDIS_OK))
		goto fail;
	{
		redisReply *c = NULL;

		if (redisGetReply(ctx, (void **)&c) != REDIS_OK)
			goto fail;
		freeReplyObject(c);
	}
	if (ttl)
		*ttl = trep && trep->type == REDIS_REPLY_INTEGER ?
		    (long)trep->integer : -2;
	if (rep->type == REDIS_REPLY_NIL) {
		rc = DIR_CACHE_MISS;
		goto out;
	}
	if (rep->type != REDIS_REPLY_STRING) {
		dir_cache_why(ctx, rep, "GET", why);
		rc = DIR_CACHE_FORGED;
		goto out;
	}
	if (raw && (buf_reset(raw), buf_append(raw, rep->str, rep->len)) < 0) {
		(void)buf_puts(why, "out of memory");
		goto out;
	}
	d = dir_entry_decode(address, (unsigned char *)rep->str, rep->len,
	    &dc->key, dc->certs, &r, why);
	if (d == -2) {
		(void)buf_puts(why, "out of memory");
		goto out;	/* DOWN: treated like an outage of the cache */
	}
	rc = d == 0 ? DIR_CACHE_HIT : DIR_CACHE_FORGED;
	if (out) {
		*out = r;
		r = NULL;
	}
	goto out;
fail:
	dir_cache_why(ctx, NULL, "GET", why);
out:
	if (rep)
		freeReplyObject(rep);
	if (trep)
		freeReplyObject(trep);
	dir_result_free(r);
	dir_cache_conn_put(dc, ctx, NULL);
	return rc;
}

/* dir_cache_get - read and verify */
int
dir_cache_get(struct dir_cache *dc, const char *address,
    struct dir_result **out, struct buf *why)
{
	int rc = dir_cache_raw(dc, address, NULL, NULL, out, why);

	if (rc == DIR_CACHE_FORGED) {
		msg_warn("directory cache: entry of %s ignored: %s", address,
		    buf_str(why));
		dir_cache_incr(dc, "forged");
	}
	if (rc == DIR_CACHE_MISS)
		dir_cache_incr(dc, "misses");
	return rc;
}

/* simple - one command with an integer or status reply; -1 on failure */
static long long
simple(struct dir_cache *dc, struct buf *why, const char *what,
    const char *fmt, ...)
{
	redisContext *ctx;
	redisReply *rep;
	long long n = -1;
	va_list ap;

	if ((ctx = dir_cache_conn_get(dc, why)) == NULL)
		return -1;
	va_start(ap, fmt);
	rep = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	if (rep && rep->type == REDIS_REPLY_INTEGER)
		n = rep->integer;
	else if (rep && rep->type == REDIS_REPLY_STATUS)
		n = 0;
	else
		dir_cache_why(ctx, rep, what, why);
	if (rep)
		freeReplyObject(rep);
	dir_cache_conn_put(dc, ctx, NULL);
	return n;
}

/* dir_cache_put - SET with TTL */
int
dir_cache_put(struct dir_cache *dc, const struct dir_result *r, unsigned ttl,
    struct buf *why)
{
	struct buf text = BUF_INIT;
	char key[600];
	int rc = DIR_CACHE_DOWN;

	if (dir_entry_encode(r, &dc->key, &text) < 0) {
		(void)buf_puts(why, "out of memory");
		goto out;
	}
	addr_key(r->address, key, sizeof(key));
	if (simple(dc, why, "SET", "SET %s %b EX %u", key, text.data,
	    text.len, ttl) == 0)
		rc = 0;
out:
	buf_free(&text);
	return rc;
}

/* dir_cache_del - DEL one entry */
int
dir_cache_del(struct dir_cache *dc, const char *address, struct buf *why)
{
	char key[600];
	long long n;

	addr_key(address, key, sizeof(key));
	n = simple(dc, why, "DEL", "DEL %s", key);
	return n < 0 ? DIR_CACHE_DOWN : n > 0;
}

/* dir_cache_incr - best-effort counter */
void
dir_cache_incr(struct dir_cache *dc, const char *field)
{
	struct buf why = BUF_INIT;

	(void)simple(dc, &why, "HINCRBY", "HINCRBY " DIR_CACHE_PREFIX
	    "stats %s 1", field);
	buf_free(&why);
}

/* index_one - SADD the member, learn the set; 1 reused, 0 not, -1 down */
static int
index_one(struct dir_cache *dc, redisContext *ctx, struct dir_result *r,
    struct dir_cert *c, struct buf *why)
{
	redisReply *add = NULL, *exp = NULL, *mem = NULL;
	char key[128], member[700];
	const char *tid = c->telematik_id;
	size_t i, tlen = strlen(tid);
	int reused = 0, rc = -1;

	snprintf(key, sizeof(key), DIR_CACHE_PREFIX "key:%s",
	    c->key_fingerprint);
	snprintf(member, sizeof(member), "%s %s", tid, r->address);
	if (redisAppendCommand(ctx, "SADD %s %s", key, member) != REDIS_OK ||
	    redisAppendCommand(ctx, "EXPIRE %s %d", key,
	    DIR_CACHE_KEY_INDEX_TTL) != REDIS_OK ||
	    redisAppendCommand(ctx, "SMEMBERS %s", key) != REDIS_OK ||
	    redisGetReply(ctx, (void **)&add) != REDIS_OK ||
	    redisGetReply(ctx, (void **)&exp) != REDIS_OK ||
	    redisGetReply(ctx, (void **)&mem) != REDIS_OK ||
	    mem->type != REDIS_REPLY_ARRAY) {
		dir_cache_why(ctx, mem, "key index", why);
		goto out;
	}
	for (i = 0; i < mem->elements; i++) {
		const redisReply *m = mem->element[i];

		if (m->type != REDIS_REPLY_STRING)
			continue;
		if (m->len > tlen && memcmp(m->str, tid, tlen) == 0 &&
		    m->str[tlen] == ' ')
			continue;	/* same Telematik-ID */
		reused = 1;
		msg_warn("directory: key reuse: public key %.16s... of %s "
		    "(Telematik-ID %s) is also published as \"%.*s\"",
		    c->key_fingerprint, r->address, tid, (int)m->len, m->str);
		/* a new sharer: the other entries must learn it now */
		if (add->type == REDIS_REPLY_INTEGER && add->integer == 1) {
			const char *sp = memchr(m->str, ' ', m->len);
			char other[600];
			redisReply *d;

			if (sp == NULL)
				continue;
			snprintf(other, sizeof(other), DIR_CACHE_PREFIX
			    "addr:%.*s", (int)(m->len - (size_t)(sp + 1 - m->str)),
			    sp + 1);
			d = redisCommand(ctx, "DEL %s", other);
			if (d)
				freeReplyObject(d);
		}
	}
	rc = reused;
out:
	if (add)
		freeReplyObject(add);
	if (exp)
		freeReplyObject(exp);
	if (mem)
		freeReplyObject(mem);
	return rc;
}

/* dir_cache_key_index - record and judge every certificate's key */
int
dir_cache_key_index(struct dir_cache *dc, struct dir_result *r,
    struct buf *why)
{
	redisContext *ctx;
	size_t i;
	int rc = 0, n;

	if ((ctx = dir_cache_conn_get(dc, why)) == NULL)
		return DIR_CACHE_DOWN;
	for (i = 0; i < r->ncerts && rc == 0; i++) {
		struct dir_cert *c = &r->certs[i];

		if (c->x509 == NULL || c->key_fingerprint[0] == 0 ||
		    c->telematik_id[0] == 0)
			continue;
		n = index_one(dc, ctx, r, c, why);
		if (n < 0)
			rc = DIR_CACHE_DOWN;
		else if (n > 0 && (c->static_reason == DIR_CERT_OK ||
		    c->static_reason == DIR_CERT_KEY_REUSED))
			c->static_reason = c->reason = DIR_CERT_KEY_REUSED;
	}
	dir_cache_conn_put(dc, ctx, NULL);
	return rc;
}

/* scan_keys - SCAN MATCH pattern, fn per key */
static int
scan_keys(struct dir_cache *dc, const char *pattern,
    int (*fn)(redisContext *, const char *key, size_t len, void *arg),
    void *arg, struct buf *why)
{
	redisContext *ctx;
	redisReply *rep = NULL;
	char cursor[32] = "0";
	size_t i;
	int rc = DIR_CACHE_DOWN, stop = 0;

	if ((ctx = dir_cache_conn_get(dc, why)) == NULL)
		return DIR_CACHE_DOWN;
	do {
		rep = redisCommand(ctx, "SCAN %s MATCH %s COUNT 1000", cursor,
		    pattern);
		if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
		    rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY) {
			dir_cache_why(ctx, rep, "SCAN", why);
			goto out;
		}
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		for (i = 0; !stop && i < rep->element[1]->elements; i++) {
			const redisReply *k = rep->element[1]->element[i];

			if (k->type == REDIS_REPLY_STRING)
				stop = fn(ctx, k->str, k->len, arg);
		}
		freeReplyObject(rep);
		rep = NULL;
	} while (!stop && strcmp(cursor, "0") != 0);
	rc = 0;
out:
	if (rep)
		freeReplyObject(rep);
	dir_cache_conn_put(dc, ctx, NULL);
	return rc;
}

struct addr_scan {
	int (*fn)(const char *, void *);
	void *arg;
};

/* addr_cb - strip the prefix, call the user's function */
static int
addr_cb(redisContext *ctx, const char *key, size_t len, void *arg)
{
	struct addr_scan *s = arg;
	size_t pl = strlen(DIR_CACHE_PREFIX "addr:");
	char addr[600];

	if (len <= pl || len - pl >= sizeof(addr))
		return 0;
	memcpy(addr, key + pl, len - pl);
	addr[len - pl] = 0;
	return s->fn(addr, s->arg);
}

/* dir_cache_scan - every cached address matching glob */
int
dir_cache_scan(struct dir_cache *dc, const char *glob,
    int (*fn)(const char *address, void *arg), void *arg, struct buf *why)
{
	struct addr_scan s = {fn, arg};
	char pattern[600];

	snprintf(pattern, sizeof(pattern), DIR_CACHE_PREFIX "addr:%s",
	    glob ? glob : "*");
	return scan_keys(dc, pattern, addr_cb, &s, why);
}

struct key_scan {
	int (*fn)(const char *, char **, size_t, void *);
	void *arg;
};

/* key_cb - SMEMBERS of one index set */
static int
key_cb(redisContext *ctx, const char *key, size_t len, void *arg)
{
	struct key_scan *s = arg;
	size_t pl = strlen(DIR_CACHE_PREFIX "key:"), i, n = 0;
	redisReply *rep;
	char fp[128], **members = NULL;
	int stop = 0;

	if (len <= pl || len - pl >= sizeof(fp))
		return 0;
	memcpy(fp, key + pl, len - pl);
	fp[len - pl] = 0;
	rep = redisCommand(ctx, "SMEMBERS %b", key, len);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
		goto out;
	if ((members = calloc(rep->elements + 1, sizeof(*members))) == NULL)
		goto out;
	for (i = 0; i < rep->elements; i++)
		if (rep->element[i]->type == REDIS_REPLY_STRING)
			members[n++] = rep->element[i]->str;
	stop = s->fn(fp, members, n, s->arg);
out:
	free(members);
	if (rep)
		freeReplyObject(rep);
	return stop;
}

/* dir_cache_key_scan - every key-index set */
int
dir_cache_key_scan(struct dir_cache *dc,
    int (*fn)(const char *fingerprint, char **members, size_t n, void *arg),
    void *arg, struct buf *why)
{
	struct key_scan s = {fn, arg};

	return scan_keys(dc, DIR_CACHE_PREFIX "key:*", key_cb, &s, why);
}

/* del_cb - DEL one key, count it */
static int
del_cb(redisContext *ctx, const char *key, size_t len, void *arg)
{
	redisReply *rep = redisCommand(ctx, "DEL %b", key, len);

	if (rep && rep->type == REDIS_REPLY_INTEGER)
		*(long *)arg += (long)rep->integer;
	if (rep)
		freeReplyObject(rep);
	return 0;
}

/* dir_cache_purge_all - every key of this schema */
long
dir_cache_purge_all(struct dir_cache *dc, struct buf *why)
{
	long n = 0;

	if (scan_keys(dc, DIR_CACHE_PREFIX "*", del_cb, &n, why) < 0)
		return DIR_CACHE_DOWN;
	return n;
}

/* oldest_cb - count entries, find the oldest fetch time */
static int
oldest_cb(redisContext *ctx, const char *key, size_t len, void *arg)
{
	struct dir_cache_stats *st = arg;
	redisReply *rep = redisCommand(ctx, "GETRANGE %b 0 300", key, len);
	const char *p;

	st->entries++;
	if (rep && rep->type == REDIS_REPLY_STRING &&
	    (p = strstr(rep->str, "\nfetched ")) != NULL) {
		time_t t = (time_t)strtoll(p + 9, NULL, 10);

		if (t > 0 && (st->oldest == 0 || t < st->oldest))
			st->oldest = t;
	}
	if (rep)
		freeReplyObject(rep);
	return 0;
}

/* dir_cache_stats - counters, entries, oldest */
int
dir_cache_stats(struct dir_cache *dc, struct dir_cache_stats *st,
    struct buf *why)
{
	redisContext *ctx;
	redisReply *rep;
	size_t i;

	memset(st, 0, sizeof(*st));
	if ((ctx = dir_cache_conn_get(dc, why)) == NULL)
		return DIR_CACHE_DOWN;
	rep = redisCommand(ctx, "HGETALL " DIR_CACHE_PREFIX "stats");
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		dir_cache_why(ctx, rep, "HGETALL", why);
		if (rep)
			freeReplyObject(rep);
		dir_cache_conn_put(dc, ctx, NULL);
		return DIR_CACHE_DOWN;
	}
	for (i = 0; i + 1 < rep->elements; i += 2) {
		const char *f = rep->element[i]->str;
		unsigned long long v = strtoull(rep->element[i + 1]->str,
		    NULL, 10);

		if (f == NULL)
			continue;
		if (strcmp(f, "lookups") == 0)
			st->lookups = v;
		else if (strcmp(f, "misses") == 0)
			st->misses = v;
		else if (strcmp(f, "forged") == 0)
			st->forged = v;
		else if (strcmp(f, "dir_errors") == 0)
			st->dir_errors = v;
	}
	freeReplyObject(rep);
	dir_cache_conn_put(dc, ctx, NULL);
	return scan_keys(dc, DIR_CACHE_PREFIX "addr:*", oldest_cb, st, why);
}
