/*
 * card_pool.c - leases on the cards of one identity (see card_pool.h).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "card.h"
#include "card_int.h"
#include "card_pool.h"
#include "conf.h"

/* how long a card that failed is used only as a last resort */
#define POOL_AVOID_TRANSIENT_MS 5000
#define POOL_AVOID_DISABLED_MS 60000

struct member {
	struct card *card;
	int leased;
	struct timespec avoid_until;	/* {0, 0}: a good card */
};

struct card_pool {
	char *name;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct member *m;
	size_t n;
	size_t next;		/* round robin start */
};

struct card_pools {
	struct card_pool **p;
	size_t n;
};

/* card_pool_new - an empty pool */
struct card_pool *
card_pool_new(const char *name)
{
	struct card_pool *pool;

	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return NULL;
	if ((pool->name = strdup(name)) == NULL) {
		free(pool);
		return NULL;
	}
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv, NULL);
	return pool;
}

/* card_pool_add - take a card */
int
card_pool_add(struct card_pool *pool, struct card *card)
{
	struct member *m;

	pthread_mutex_lock(&pool->mu);
	m = realloc(pool->m, (pool->n + 1) * sizeof(*m));
	if (m == NULL) {
		pthread_mutex_unlock(&pool->mu);
		card_free(card);
		return CARD_E_INTERNAL;
	}
	pool->m = m;
	memset(&pool->m[pool->n], 0, sizeof(*m));
	pool->m[pool->n++].card = card;
	pthread_mutex_unlock(&pool->mu);
	return CARD_OK;
}

/* card_pool_name - the name */
const char *
card_pool_name(const struct card_pool *pool)
{
	return pool->name;
}

/* card_pool_size - the number of cards (fixed after set-up) */
size_t
card_pool_size(const struct card_pool *pool)
{
	return pool->n;
}

/* pool_avoided - 1 while a card is to be used only as a last resort */
static int
pool_avoided(const struct member *m)
{
	return m->avoid_until.tv_sec != 0 &&
	    !card_deadline_passed(&m->avoid_until);
}

/*
 * pool_pick - a free matching card; -1 to wait. While any matching card is
 * good (busy or not), a card that failed lately is not handed out: a
 * caller that retries would otherwise spin on a card that is gone. When
 * all have failed, the failed ones are tried (one may be back).
 */
static long
pool_pick(struct card_pool *pool, const unsigned char *ok)
{
	size_t i, k;
	long last_resort = -1;
	int any_good = 0;

	for (k = 0; k < pool->n; k++) {
		i = (pool->next + k) % pool->n;
		if (!ok[i])
			continue;
		if (!pool_avoided(&pool->m[i])) {
			any_good = 1;
			if (!pool->m[i].leased)
				return (long)i;
		} else if (!pool->m[i].leased && last_resort < 0) {
			last_resort = (long)i;
		}
	}
	return any_good ? -1 : last_resort;
}

/* card_pool_acquire - lease a card */
int
card_pool_acquire(struct card_pool *pool, card_match_fn match,
    void *match_arg, const struct timespec *deadline,
    card_progress_fn progress, void *arg, struct card **card,
    struct buf *why)
{
	unsigned char *ok;
	struct timespec slice, *until;
	size_t i, nok = 0;
	long pick;
	int rc;

	*card = NULL;
	if (pool->n == 0 || (ok = calloc(pool->n, 1)) == NULL)
		return pool->n == 0 ? CARD_E_NOKEY : CARD_E_INTERNAL;
	/* outside the lock: a match may read certificates from a card */
	for (i = 0; i < pool->n; i++)
		if ((ok[i] = match == NULL || match(pool->m[i].card, match_arg)))
			nok++;
	if (nok == 0) {
		if (why)
			(void)buf_printf(why, "no card of pool %s has the key",
			    pool->name);
		free(ok);
		return CARD_E_NOKEY;
	}
	pthread_mutex_lock(&pool->mu);
	while ((pick = pool_pick(pool, ok)) < 0) {
		card_deadline(&slice, CARD_PROGRESS_INTERVAL_MS / 2);
		until = deadline != NULL && (deadline->tv_sec < slice.tv_sec ||
		    (deadline->tv_sec == slice.tv_sec &&
		    deadline->tv_nsec < slice.tv_nsec)) ?
		    (struct timespec *)deadline : &slice;
		rc = pthread_cond_timedwait(&pool->cv, &pool->mu, until);
		if (card_deadline_passed(deadline) &&
		    (pick = pool_pick(pool, ok)) < 0) {
			pthread_mutex_unlock(&pool->mu);
			if (why)
				(void)buf_printf(why, "all cards of pool %s "
				    "stayed busy until the deadline", pool->name);
			free(ok);
			return CARD_E_BUSY;
		}
		if (pick >= 0)
			break;
		if (rc == ETIMEDOUT && until == &slice && progress != NULL) {
			pthread_mutex_unlock(&pool->mu);
			progress(arg);
			pthread_mutex_lock(&pool->mu);
		}
	}
	pool->m[pick].leased = 1;
	pool->next = ((size_t)pick + 1) % pool->n;
	*card = pool->m[pick].card;
	pthread_mutex_unlock(&pool->mu);
	free(ok);
	return CARD_OK;
}

/* card_pool_release - end a lease, remember how the card did */
void
card_pool_release(struct card_pool *pool, struct card *card, int last_rc)
{
	size_t i;

	if (card == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < pool->n; i++) {
		if (pool->m[i].card != card)
			continue;
		pool->m[i].leased = 0;
		if (last_rc == CARD_OK)
			memset(&pool->m[i].avoid_until, 0,
			    sizeof(pool->m[i].avoid_until));
		else if (last_rc == CARD_E_DISABLED || last_rc == CARD_E_PIN)
			card_deadline(&pool->m[i].avoid_until,
			    POOL_AVOID_DISABLED_MS);
		else if (card_err_transient(last_rc))
			card_deadline(&pool->m[i].avoid_until,
			    POOL_AVOID_TRANSIENT_MS);
	}
	pthread_cond_broadcast(&pool->cv);
	pthread_mutex_unlock(&pool->mu);
}

/* card_pool_free - the pool and its cards */
void
card_pool_free(struct card_pool *pool)
{
	size_t i;

	if (pool == NULL)
		return;
	for (i = 0; i < pool->n; i++)
		card_free(pool->m[i].card);
	free(pool->m);
	free(pool->name);
	pthread_cond_destroy(&pool->cv);
	pthread_mutex_destroy(&pool->mu);
	free(pool);
}

/* card_match_cert - the card holds this certificate (any use or type) */
int
card_match_cert(struct card *card, void *x509)
{
	X509 *x;
	int u, t;

	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			if ((x = card_certificate(card, u, t)) != NULL &&
			    X509_cmp(x, x509) == 0)
				return 1;
	return 0;
}

/* card_match_osig - the card can sign */
int
card_match_osig(struct card *card, void *unused)
{
	return card_certificate(card, CARD_USE_OSIG, CARD_KEY_ECC) != NULL ||
	    card_certificate(card, CARD_USE_OSIG, CARD_KEY_RSA) != NULL;
}

/* pools_open - every Card line, grouped by pool; some: skip bad lines */
static struct card_pools *
pools_open(const struct conf *c, int some, struct buf *why)
{
	struct card_pools *ps;
	struct card_pool *pool, **np;
	struct card *card;
	size_t i;
	int bad = 0;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	for (i = 0; i < c->n_cards; i++) {
		const struct conf_card *cc = &c->cards[i];

		if ((card = card_open(cc, why)) == NULL) {
			if (why)
				(void)buf_puts(why, "\n");
			bad = 1;
			continue;
		}
		if ((pool = card_pools_find(ps, cc->pool)) == NULL) {
			np = realloc(ps->p, (ps->n + 1) * sizeof(*np));
			if (np == NULL ||
			    (pool = card_pool_new(cc->pool)) == NULL) {
				if (np != NULL)
					ps->p = np;
				card_free(card);
				bad = 1;
				break;
			}
			ps->p = np;
			ps->p[ps->n++] = pool;
		}
		if (card_pool_add(pool, card) != CARD_OK)
			bad = 1;
	}
	if (bad && (!some || i < c->n_cards)) {
		card_pools_free(ps);
		return NULL;
	}
	return ps;
}

/* card_pools_open - every Card line, or NULL */
struct card_pools *
card_pools_open(const struct conf *c, struct buf *why)
{
	return pools_open(c, 0, why);
}

/* card_pools_open_some - the Card lines that open */
struct card_pools *
card_pools_open_some(const struct conf *c, struct buf *why)
{
	return pools_open(c, 1, why);
}

/* card_pools_find - a pool by name */
struct card_pool *
card_pools_find(struct card_pools *ps, const char *name)
{
	size_t i;

	for (i = 0; ps != NULL && name != NULL && i < ps->n; i++)
		if (strcmp(ps->p[i]->name, name) == 0)
			return ps->p[i];
	return NULL;
}

/* card_pools_count - how many pools (inbound searches them all) */
size_t
card_pools_count(const struct card_pools *ps)
{
	return ps ? ps->n : 0;
}

/* card_pools_get - the i-th pool, or NULL */
struct card_pool *
card_pools_get(struct card_pools *ps, size_t i)
{
	return ps != NULL && i < ps->n ? ps->p[i] : NULL;
}

/* card_pools_free - every pool */
void
card_pools_free(struct card_pools *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		card_pool_free(ps->p[i]);
	free(ps->p);
	free(ps);
}

/* pools_card - the pool and index of the card called name, or NULL */
static struct card_pool *
pools_card(struct card_pools *ps, const char *name, size_t *idx)
{
	size_t i, k;

	for (i = 0; ps != NULL && i < ps->n; i++)
		for (k = 0; k < ps->p[i]->n; k++)
			if (strcmp(ps->p[i]->m[k].card->name, name) == 0) {
				*idx = k;
				return ps->p[i];
			}
	return NULL;
}

/* card_pools_status - pool state and card status of each card */
int
card_pools_status(struct card_pools *ps, const char *name, struct buf *out)
{
	struct buf st = BUF_INIT;
	struct card *card;
	size_t i, k;
	int leased, avoided, found = 0;

	for (i = 0; ps != NULL && i < ps->n; i++) {
		for (k = 0; k < ps->p[i]->n; k++) {
			card = ps->p[i]->m[k].card;
			if (name != NULL && strcmp(card->name, name) != 0)
				continue;
			found = 1;
			/* the member array is fixed after set-up; the flags
			 * are read under the lock, the card outside it (its
			 * status may wait behind a leased job) */
			pthread_mutex_lock(&ps->p[i]->mu);
			leased = ps->p[i]->m[k].leased;
			avoided = pool_avoided(&ps->p[i]->m[k]);
			pthread_mutex_unlock(&ps->p[i]->mu);
			buf_reset(&st);
			(void)card_status(card, &st);
			(void)buf_printf(out, "card %s (pool %s, backend %s): "
			    "%s%s\n  %s\n", card->name, ps->p[i]->name,
			    card->ops->name, leased ? "leased" : "idle",
			    avoided ? ", avoided after a failure" : "",
			    buf_str(&st));
		}
	}
	buf_free(&st);
	return found || name == NULL ? CARD_OK : CARD_E_NOKEY;
}

/* card_pools_enable - card_enable on one card of the pools */
int
card_pools_enable(struct card_pools *ps, const char *name, struct buf *why)
{
	struct card_pool *pool;
	size_t k;
	int rc;

	if ((pool = pools_card(ps, name, &k)) == NULL) {
		if (why)
			(void)buf_printf(why, "no card %s", name);
		return CARD_E_NOKEY;
	}
	if ((rc = card_enable(pool->m[k].card, why)) == CARD_OK) {
		/* the pool may use it at once again */
		pthread_mutex_lock(&pool->mu);
		memset(&pool->m[k].avoid_until, 0,
		    sizeof(pool->m[k].avoid_until));
		pthread_cond_broadcast(&pool->cv);
		pthread_mutex_unlock(&pool->mu);
	}
	return rc;
}
