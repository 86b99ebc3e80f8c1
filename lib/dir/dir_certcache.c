/*
 * dir_certcache.c - parsed certificates by SHA-256 of their DER (see
 * include/dir_certcache.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "dir_certcache.h"

struct slot {
	unsigned char md[32];	/* SHA-256 of the DER */
	struct dir_cert cert;	/* the template handed out as copies */
};

struct dir_certcache {
	EVP_MD *sha256;		/* fetched once: no provider lookup per read */
	pthread_mutex_t lock;	/* slots, counters */
	struct slot *slots[DIR_CERTCACHE_SLOTS];
	unsigned long hits, misses;
};

/* dir_certcache_new - empty cache */
struct dir_certcache *
dir_certcache_new(void)
{
	struct dir_certcache *cc = calloc(1, sizeof(*cc));

	if (cc == NULL)
		return NULL;
	if ((cc->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		ERR_clear_error();
		free(cc);
		return NULL;
	}
	pthread_mutex_init(&cc->lock, NULL);
	return cc;
}

/* slot_free - one slot and its certificate */
static void
slot_free(struct slot *s)
{
	if (s == NULL)
		return;
	dir_cert_clear(&s->cert);
	free(s);
}

/* dir_certcache_free - release */
void
dir_certcache_free(struct dir_certcache *cc)
{
	size_t i;

	if (cc == NULL)
		return;
	for (i = 0; i < DIR_CERTCACHE_SLOTS; i++)
		slot_free(cc->slots[i]);
	EVP_MD_free(cc->sha256);
	pthread_mutex_destroy(&cc->lock);
	free(cc);
}

/* slot_of - the slot index of a hash (its first bytes are uniform) */
static size_t
slot_of(const unsigned char *md)
{
	return ((size_t)md[0] << 8 | md[1]) % DIR_CERTCACHE_SLOTS;
}

/* dir_certcache_get - a copy of the kept parse, or parse and keep */
int
dir_certcache_get(struct dir_certcache *cc, const unsigned char *der,
    size_t len, struct dir_cert *c)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	struct slot *s, *old = NULL;
	size_t i;
	int rc;

	if (cc == NULL || len == 0 ||
	    EVP_Digest(der, len, md, &mdlen, cc->sha256, NULL) != 1 ||
	    mdlen != sizeof(md)) {
		ERR_clear_error();
		return dir_cert_from_der(der, len, c);
	}
	i = slot_of(md);
	pthread_mutex_lock(&cc->lock);
	s = cc->slots[i];
	/* the DER is compared too: the slot index is only part of the hash */
	if (s && memcmp(s->md, md, sizeof(md)) == 0 &&
	    s->cert.der_len == len && memcmp(s->cert.der, der, len) == 0) {
		cc->hits++;
		rc = dir_cert_copy(c, &s->cert);
		pthread_mutex_unlock(&cc->lock);
		if (rc < 0)
			memset(c, 0, sizeof(*c));
		return rc;
	}
	cc->misses++;
	pthread_mutex_unlock(&cc->lock);

	/* parse outside the lock: it is the slow part */
	if (dir_cert_from_der(der, len, c) < 0)
		return -1;
	if (c->x509 == NULL)
		return 0;	/* an unparsable DER is not kept */
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 0;	/* not kept; the caller has its copy */
	memcpy(s->md, md, sizeof(md));
	if (dir_cert_copy(&s->cert, c) < 0) {
		free(s);
		return 0;
	}
	/* the template carries no verdict beyond the parse */
	s->cert.static_reason = s->cert.reason = DIR_CERT_OK;
	pthread_mutex_lock(&cc->lock);
	old = cc->slots[i];
	cc->slots[i] = s;
	pthread_mutex_unlock(&cc->lock);
	slot_free(old);
	return 0;
}

/* dir_certcache_counts - hits and misses */
void
dir_certcache_counts(struct dir_certcache *cc, unsigned long *hits,
    unsigned long *misses)
{
	*hits = *misses = 0;
	if (cc == NULL)
		return;
	pthread_mutex_lock(&cc->lock);
	*hits = cc->hits;
	*misses = cc->misses;
	pthread_mutex_unlock(&cc->lock);
}
