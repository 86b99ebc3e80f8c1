/*
 * dir.c - the lookup API: cache first, then the directory, one LDAP query
 * per cold address at a time (single flight), verdicts on every answer.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dir.h"
#include "dir_cache.h"
#include "dir_int.h"
#include "msg.h"

/* one LDAP query in progress; the others asking for it wait here */
struct flight {
	char *address;
	int refs;		/* the leader and every waiter */
	int done;
	struct dir_result *res;
	pthread_cond_t cv;
	struct flight *next;
};

struct dir {
	X509_STORE *anchors;	/* NULL: no chain check */
	struct dir_ldap *ldap;	/* NULL: no DirectoryURI */
	struct dir_cache *cache;	/* NULL: no RedisURI */
	int redis_required;
	unsigned cache_ttl, negative_ttl;
	unsigned timeout_ms;
	char **local;
	size_t nlocal;
	time_t clock;		/* 0: real time */

	pthread_mutex_t lock;	/* flights */
	struct flight *flights;
};

/* dir_open - settings, anchors, secrets */
struct dir *
dir_open(const struct conf *c, struct buf *why)
{
	struct dir *d = calloc(1, sizeof(*d));
	size_t i;

	if (d == NULL) {
		(void)buf_puts(why, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->redis_required = c->redis_required;
	d->cache_ttl = c->cache_ttl;
	d->negative_ttl = c->negative_cache_ttl;
	d->timeout_ms = c->dir_timeout * 1000;
	if (c->trust_anchors) {
		if ((d->anchors = dir_cert_anchors_load(c->trust_anchors,
		    why)) == NULL)
			goto fail;
	} else
		msg_warn("directory: no TrustAnchors: encryption certificates "
		    "are not chain-checked");
	if (c->dir_uri) {
		if ((d->ldap = dir_ldap_open(c, why)) == NULL)
			goto fail;
	} else
		msg_warn("directory: no DirectoryURI: every KIM lookup is "
		    "\"unavailable\"");
	if (c->redis_uri) {
		if ((d->cache = dir_cache_open(c, why)) == NULL)
			goto fail;
	} else
		msg_info("directory: no RedisURI: answers are not cached and "
		    "key reuse is checked within an entry only");
	if (c->n_local_kim_addresses) {
		d->local = calloc(c->n_local_kim_addresses, sizeof(char *));
		if (d->local == NULL)
			goto nomem;
		for (i = 0; i < c->n_local_kim_addresses; i++) {
			if ((d->local[i] = strdup(c->local_kim_addresses[i])) ==
			    NULL)
				goto nomem;
			d->nlocal++;
		}
	}
	return d;
nomem:
	(void)buf_puts(why, "out of memory");
fail:
	dir_close(d);
	return NULL;
}

/* dir_close - release everything */
void
dir_close(struct dir *d)
{
	size_t i;

	if (d == NULL)
		return;
	dir_ldap_close(d->ldap);
	dir_cache_close(d->cache);
	X509_STORE_free(d->anchors);
	for (i = 0; i < d->nlocal; i++)
		free(d->local[i]);
	free(d->local);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* dir_set_clock - fixed time for tests */
void
dir_set_clock(struct dir *d, time_t now)
{
	d->clock = now;
}

/* now_of - the clock for certificate dates */
static time_t
now_of(const struct dir *d)
{
	return d->clock ? d->clock : time(NULL);
}

/* dir_ldap_queries - searches sent */
unsigned long
dir_ldap_queries(const struct dir *d)
{
	return dir_ldap_count(d->ldap);
}

/* dir_is_local - one of LocalKimAddresses? */
int
dir_is_local(const struct dir *d, const char *address)
{
	char norm[320];
	size_t i;

	if (addr_normalize(address, norm, sizeof(norm)) < 0)
		return 0;
	for (i = 0; i < d->nlocal; i++)
		if (strcmp(d->local[i], norm) == 0)
			return 1;
	return 0;
}

/* fetch - ask the directory, judge, write the cache */
static struct dir_result *
fetch(struct dir *d, const char *address, int flags,
    const struct timespec *deadline)
{
	struct dir_result *r = dir_result_new(address);
	struct buf why = BUF_INIT;
	size_t i;
	int st;

	if (r == NULL)
		return NULL;
	if (d->ldap == NULL) {
		dir_result_unavailable(r, "no DirectoryURI configured");
		goto out;
	}
	st = dir_ldap_search(d->ldap, address, deadline, r, &why);
	if (st == DIR_UNAVAILABLE) {
		msg_warn("directory: lookup of %s failed: %s", address,
		    buf_str(&why));
		if (d->cache)
			dir_cache_incr(d->cache, "dir_errors");
		dir_result_unavailable(r, NULL);
		goto out;
	}
	r->status = st;
	r->source = DIR_SOURCE_DIRECTORY;
	r->fetched_at = time(NULL);
	for (i = 0; i < r->ncerts; i++)
		dir_cert_check_static(&r->certs[i], d->anchors);
	if (d->cache && !(flags & DIR_LOOKUP_NOCACHE)) {
		buf_reset(&why);
		if (st == DIR_FOUND &&
		    dir_cache_key_index(d->cache, r, &why) < 0)
			msg_warn("directory: key-reuse index unavailable (%s): "
			    "only the certificates of %s were compared",
			    buf_str(&why), address);
		buf_reset(&why);
		if (dir_cache_put(d->cache, r, st == DIR_FOUND ? d->cache_ttl :
		    d->negative_ttl, &why) < 0)
			msg_warn("directory: answer for %s not cached: %s",
			    address, buf_str(&why));
	}
out:
	buf_free(&why);
	return r;
}

/*
 * recheck - a caller that missed the cache just before another flight
 * wrote it would otherwise start a second query: look once more.
 */
static struct dir_result *
recheck(struct dir *d, const char *address, int flags)
{
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT;

	if (d->cache && !(flags & (DIR_LOOKUP_NOCACHE | DIR_LOOKUP_REFRESH)) &&
	    dir_cache_raw(d->cache, address, NULL, NULL, &r, &why) !=
	    DIR_CACHE_HIT) {
		dir_result_free(r);
		r = NULL;
	}
	buf_free(&why);
	return r;
}

/* fly - single flight: the first caller fetches, the others wait */
static struct dir_result *
fly(struct dir *d, const char *address, int flags,
    const struct timespec *deadline)
{
	struct flight *f;
	struct dir_result *r = NULL;
	pthread_condattr_t ca;
	int leader = 0, rc = 0;

	pthread_mutex_lock(&d->lock);
	for (f = d->flights; f; f = f->next)
		if (strcmp(f->address, address) == 0)
			break;
	if (f == NULL) {
		if ((f = calloc(1, sizeof(*f))) == NULL ||
		    (f->address = strdup(address)) == NULL) {
			free(f);
			pthread_mutex_unlock(&d->lock);
			return NULL;
		}
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&f->cv, &ca);
		pthread_condattr_destroy(&ca);
		f->next = d->flights;
		d->flights = f;
		leader = 1;
	}
	f->refs++;
	if (leader) {
		pthread_mutex_unlock(&d->lock);
		r = recheck(d, address, flags);
		if (r == NULL)
			r = fetch(d, address, flags, deadline);
		pthread_mutex_lock(&d->lock);
		f->res = r;
		f->done = 1;
		pthread_cond_broadcast(&f->cv);
		/* new callers start a new flight from here on */
		{
			struct flight **pp;

			for (pp = &d->flights; *pp; pp = &(*pp)->next)
				if (*pp == f) {
					*pp = f->next;
					break;
				}
		}
		r = r ? dir_result_dup(r) : NULL;
	} else {
		while (!f->done && rc == 0)
			rc = pthread_cond_timedwait(&f->cv, &d->lock, deadline);
		if (f->done && f->res)
			r = dir_result_dup(f->res);
		else if (!f->done && (r = dir_result_new(address)) != NULL)
			dir_result_unavailable(r, "lookup did not finish in "
			    "time");
	}
	if (--f->refs == 0) {
		dir_result_free(f->res);
		pthread_cond_destroy(&f->cv);
		free(f->address);
		free(f);
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

/* dir_lookup_flags - the full lookup */
int
dir_lookup_flags(struct dir *d, const char *address, int flags,
    unsigned timeout_ms, struct dir_result **res)
{
	struct timespec deadline;
	struct dir_result *r = NULL;
	struct buf why = BUF_INIT;
	char norm[320];
	int rc;

	*res = NULL;
	dir_deadline(&deadline, timeout_ms ? timeout_ms : d->timeout_ms);
	if (addr_normalize(address, norm, sizeof(norm)) < 0 || !*norm) {
		if ((r = dir_result_new(address)) == NULL)
			return -1;
		r->status = DIR_NOT_FOUND;
		snprintf(r->reason, sizeof(r->reason),
		    "not a valid mail address");
		*res = r;
		return DIR_NOT_FOUND;
	}
	if (d->cache && !(flags & (DIR_LOOKUP_NOCACHE | DIR_LOOKUP_REFRESH))) {
		rc = dir_cache_get(d->cache, norm, &r, &why);
		if (rc == DIR_CACHE_HIT)
			goto done;
		if (rc == DIR_CACHE_DOWN && d->redis_required) {
			if ((r = dir_result_new(norm)) == NULL)
				goto nomem;
			dir_result_unavailable(r, "cache down");
			goto done;
		}
		dir_result_free(r);
		r = NULL;
	}
	if ((r = fly(d, norm, flags, &deadline)) == NULL)
		goto nomem;
done:
	dir_result_finish(r, now_of(d));
	buf_free(&why);
	*res = r;
	return (int)r->status;
nomem:
	buf_free(&why);
	return -1;
}

/* dir_lookup - the milter's call */
int
dir_lookup(struct dir *d, const char *address, unsigned timeout_ms,
    struct dir_result **res)
{
	return dir_lookup_flags(d, address, 0, timeout_ms, res);
}
