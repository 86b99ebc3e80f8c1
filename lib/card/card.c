/*
 * card.c - the card interface: backend choice, dispatch, error classes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "card.h"
#include "card_int.h"
#include "conf.h"

/* the backends a Card line may name */
static const struct {
	const char *name;
	struct card *(*open)(const struct conf_card *, struct buf *);
} card_backends[] = {
	{"soft", card_soft_open},
	{"pcsc", card_pcsc_open},
};

/* card_open - pick the backend by the backend= field */
struct card *
card_open(const struct conf_card *cc, struct buf *why)
{
	const char *backend;
	size_t i;

	backend = cc->backend ? cc->backend : conf_card_field(cc, "backend");
	if (backend == NULL) {
		if (why)
			(void)buf_printf(why, "card \"%s\": backend= is missing",
			    cc->name);
		return NULL;
	}
	for (i = 0; i < sizeof(card_backends) / sizeof(card_backends[0]); i++)
		if (strcmp(card_backends[i].name, backend) == 0)
			return card_backends[i].open(cc, why);
	if (why)
		(void)buf_printf(why,
		    "card \"%s\": backend \"%s\" is not available", cc->name,
		    backend);
	return NULL;
}

/* card_alloc - the common part of every backend's card */
struct card *
card_alloc(const struct card_ops *ops, const char *name, void *impl)
{
	struct card *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->name = strdup(name ? name : "")) == NULL) {
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->impl = impl;
	return c;
}

/* card_sign - dispatch */
int
card_sign(struct card *card, enum card_sigalg alg,
    const unsigned char hash32[32], struct buf *sig,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	if (card == NULL || card->ops->sign == NULL)
		return CARD_E_NOKEY;
	return card->ops->sign(card, alg, hash32, sig, deadline, progress, arg,
	    why);
}

/* card_decipher - dispatch */
int
card_decipher(struct card *card, enum card_decalg alg,
    const unsigned char *cryptogram, size_t len, struct buf *key,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	if (card == NULL || card->ops->decipher == NULL)
		return CARD_E_NOKEY;
	return card->ops->decipher(card, alg, cryptogram, len, key, deadline,
	    progress, arg, why);
}

/* card_certificate - dispatch */
X509 *
card_certificate(struct card *card, enum card_keyuse use,
    enum card_keytype type)
{
	if (card == NULL || card->ops->certificate == NULL)
		return NULL;
	return card->ops->certificate(card, use, type);
}

/* card_enable - dispatch; a backend without a service state is always in */
int
card_enable(struct card *card, struct buf *why)
{
	if (card == NULL)
		return CARD_E_NOKEY;
	if (card->ops->enable == NULL)
		return CARD_OK;
	return card->ops->enable(card, why);
}

/* card_status - dispatch */
int
card_status(struct card *card, struct buf *out)
{
	if (card == NULL)
		return CARD_E_NOKEY;
	if (card->ops->status == NULL)
		return buf_printf(out, "in service (%s keys)",
		    card->ops->name) < 0 ? CARD_E_INTERNAL : CARD_OK;
	return card->ops->status(card, out);
}

/* card_ecdsa_der - the card's r||s as a DER ECDSA-Sig-Value */
int
card_ecdsa_der(const unsigned char *rs, size_t len, struct buf *out)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	int n, rc = CARD_E_INTERNAL;

	if (len != 64)
		return CARD_E_IO;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(rs, 32, NULL)) == NULL ||
	    (s = BN_bin2bn(rs + 32, 32, NULL)) == NULL ||
	    !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	rc = buf_append(out, der, (size_t)n) < 0 ? CARD_E_INTERNAL : CARD_OK;
out:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* card_free - the backend frees impl, this frees the rest */
void
card_free(struct card *card)
{
	if (card == NULL)
		return;
	if (card->ops->free)
		card->ops->free(card);
	free(card->name);
	free(card);
}

/* card_err_transient - busy, removed, timeout and I/O can clear up */
int
card_err_transient(int err)
{
	switch (err) {
	case CARD_E_BUSY:
	case CARD_E_REMOVED:
	case CARD_E_TIMEOUT:
	case CARD_E_IO:
		return 1;
	default:
		return 0;
	}
}

/* card_err_str - a short name of the error */
const char *
card_err_str(int err)
{
	switch (err) {
	case CARD_OK:
		return "ok";
	case CARD_E_BUSY:
		return "card busy";
	case CARD_E_REMOVED:
		return "card removed";
	case CARD_E_TIMEOUT:
		return "card timeout";
	case CARD_E_IO:
		return "card I/O error";
	case CARD_E_PIN:
		return "PIN refused or blocked";
	case CARD_E_NOKEY:
		return "key not on card";
	case CARD_E_ALG:
		return "algorithm not supported";
	case CARD_E_CRYPTO:
		return "cryptogram rejected";
	case CARD_E_CONFIG:
		return "card misconfigured";
	case CARD_E_INTERNAL:
		return "internal error";
	case CARD_E_DISABLED:
		return "card out of service";
	default:
		return "unknown card error";
	}
}

/* card_deadline - now + ms on CLOCK_REALTIME (pthread_cond_timedwait's) */
void
card_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* card_deadline_passed - 1 when now is at or after the deadline */
int
card_deadline_passed(const struct timespec *deadline)
{
	struct timespec now;

	if (deadline == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec > deadline->tv_sec ||
	    (now.tv_sec == deadline->tv_sec &&
	    now.tv_nsec >= deadline->tv_nsec);
}

/* card_ssl_why - OpenSSL's error queue as one line of text */
void
card_ssl_why(struct buf *why, const char *what)
{
	unsigned long e;
	char text[256];

	e = ERR_peek_last_error();
	if (why) {
		if (e) {
			ERR_error_string_n(e, text, sizeof(text));
			(void)buf_printf(why, "%s: %s", what, text);
		} else {
			(void)buf_printf(why, "%s", what);
		}
	}
	ERR_clear_error();
}
