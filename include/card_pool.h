/*
 * card_pool - cards of one identity that share the work (a policy names a
 * pool; a card alone is a pool of one).
 *
 * Work is done on a lease: card_pool_acquire hands out one free card of
 * the pool (optionally one that passes a match function, e.g. the card
 * whose ENC certificate a RecipientInfo names), which is the caller's alone
 * until card_pool_release. A lease is needed because the card's
 * certificate goes into what is signed (signingCertificateV2) before the
 * card signs: certificate and signature must come from the same card.
 *
 * Callers wait for a free card up to their deadline (progress callback on
 * their thread, as in card.h) and then get CARD_E_BUSY. A card whose last
 * operation failed transiently (removed, timeout) or that is out of
 * service is used only when no other card is free, so the pool carries on
 * with the others; it is used again once it works.
 *
 * Ownership: a pool owns its cards (card_pool_add) and frees them in
 * card_pool_free. Leased cards are borrowed. Thread-safe.
 */
#ifndef KIM_CARD_POOL_H
#define KIM_CARD_POOL_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "card.h"

struct conf;
struct card_pool;
struct card_pools;

/* match function: 1 when the card can do the job */
typedef int (*card_match_fn)(struct card *card, void *arg);

/* card_pool_new - an empty pool; NULL on ENOMEM */
struct card_pool *card_pool_new(const char *name);
/* card_pool_add - add a card; the pool owns it from now on (also on error) */
int card_pool_add(struct card_pool *pool, struct card *card)
    __attribute__((warn_unused_result));
/* card_pool_name - the pool's name */
const char *card_pool_name(const struct card_pool *pool);
/* card_pool_size - how many cards */
size_t card_pool_size(const struct card_pool *pool);

/*
 * card_pool_acquire - lease a free card that passes match (NULL: any).
 * CARD_OK and *card, CARD_E_BUSY (none free before deadline), or
 * CARD_E_NOKEY (no card of the pool passes match).
 */
int card_pool_acquire(struct card_pool *pool, card_match_fn match,
    void *match_arg, const struct timespec *deadline,
    card_progress_fn progress, void *arg, struct card **card,
    struct buf *why) __attribute__((warn_unused_result));

/*
 * card_pool_release - end a lease; last_rc is the result of the card's
 * last operation (a transient failure or an out-of-service card makes the
 * pool prefer the others for a while).
 */
void card_pool_release(struct card_pool *pool, struct card *card,
    int last_rc);

/* card_pool_free - free the pool and its cards; accepts NULL */
void card_pool_free(struct card_pool *pool);

/* card_match_cert - a match function: the card holds this certificate */
int card_match_cert(struct card *card, void *x509);
/* card_match_osig - a match function: the card has an OSIG certificate */
int card_match_osig(struct card *card, void *unused);

/*
 * card_pools_open - open every Card line of a configuration and group the
 * cards by pool=. NULL with the reasons in why (one line per card that
 * cannot be opened). A card that is merely absent opens.
 */
struct card_pools *card_pools_open(const struct conf *c, struct buf *why);
/*
 * card_pools_open_some - the same, but a Card line that cannot be opened
 * is left out (its reason in why, one line each) and the others open:
 * the daemon starts without that card, whose pool then lacks it. NULL
 * only when out of memory.
 */
struct card_pools *card_pools_open_some(const struct conf *c,
    struct buf *why);
/* card_pools_find - the pool of that name, or NULL; borrowed */
struct card_pool *card_pools_find(struct card_pools *pools, const char *name);
/* card_pools_count - how many pools (inbound: every pool is searched) */
size_t card_pools_count(const struct card_pools *pools);
/* card_pools_get - the i-th pool; borrowed */
struct card_pool *card_pools_get(struct card_pools *pools, size_t i);
/*
 * card_pools_status - for every card (or the one called name): a line
 * `card NAME (pool P, backend B): leased|idle` and its card_status line,
 * indented. CARD_E_NOKEY when name is given and no card has it. The pool
 * state is a snapshot; card_status may wait behind a leased card's job.
 */
int card_pools_status(struct card_pools *pools, const char *name,
    struct buf *out);
/* card_pools_enable - card_enable on the card called name (CARD_E_NOKEY) */
int card_pools_enable(struct card_pools *pools, const char *name,
    struct buf *why);
/* card_pools_free - free every pool; accepts NULL */
void card_pools_free(struct card_pools *pools);

#endif
