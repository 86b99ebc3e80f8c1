/*
 * pool_tool.c - put a pool of cards under load from several threads:
 *
 *	pool_tool THREADS OPS 'LINE' ['LINE'...]
 *
 * The cards of the Card lines form one pool. Each of OPS signatures takes
 * a lease (card_pool_acquire), signs a hash with the card's RSA OSIG key,
 * checks the signature with that card's certificate and gives the card
 * back; an operation that fails transiently is tried again (another card).
 * Prints "ok=N bad=N retried=N ms=N" and "NAME=N" per card.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "card_pool.h"
#include "conf.h"
#include "msg.h"

static struct card_pool *pool;
static int ops_left, ok, bad, retried;
static struct {
	struct card *card;
	int n;
} used[8];
static int nused;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* verify - the PSS signature over hash with the certificate's key */
static int
verify(X509 *x, const unsigned char *hash, const struct buf *sig)
{
	EVP_PKEY_CTX *ctx;
	int r;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL);
	r = ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) > 0 &&
	    EVP_PKEY_verify(ctx, sig->data, sig->len, hash, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

/* worker - take operations until none is left */
static void *
worker(void *arg)
{
	unsigned char hash[32];
	struct buf sig = BUF_INIT, why = BUF_INIT;
	struct timespec dl;
	struct card *card;
	int rc, i, mine;

	EVP_Digest("pool", 4, hash, NULL, EVP_sha256(), NULL);
	for (;;) {
		pthread_mutex_lock(&mu);
		mine = ops_left > 0 ? ops_left-- : 0;
		pthread_mutex_unlock(&mu);
		if (!mine)
			break;
		do {
			buf_reset(&sig);
			buf_reset(&why);
			card_deadline(&dl, 20000);
			rc = card_pool_acquire(pool, card_match_osig, NULL, &dl,
			    NULL, NULL, &card, &why);
			if (rc != CARD_OK)
				break;
			rc = card_sign(card, CARD_SIG_RSA_PSS, hash, &sig, &dl,
			    NULL, NULL, &why);
			if (rc == CARD_OK && !verify(card_certificate(card,
			    CARD_USE_OSIG, CARD_KEY_RSA), hash, &sig))
				rc = CARD_E_CRYPTO;
			card_pool_release(pool, card, rc);
			pthread_mutex_lock(&mu);
			if (rc == CARD_OK) {
				for (i = 0; i < nused && used[i].card != card; i++)
					;
				used[i].card = card;
				used[i].n++;
				if (i == nused)
					nused++;
			} else if (card_err_transient(rc)) {
				retried++;
			}
			pthread_mutex_unlock(&mu);
		} while (rc != CARD_OK && card_err_transient(rc) &&
		    !card_deadline_passed(&dl));
		pthread_mutex_lock(&mu);
		if (rc == CARD_OK)
			ok++;
		else {
			bad++;
			fprintf(stderr, "pool_tool: %s: %s\n", card_err_str(rc),
			    buf_str(&why));
		}
		pthread_mutex_unlock(&mu);
	}
	buf_free(&sig);
	buf_free(&why);
	return arg;
}

int
main(int argc, char **argv)
{
	struct buf err = BUF_INIT, why = BUF_INIT;
	struct timespec t0, t1;
	pthread_t th[32];
	int threads, i;

	msg_open("pool_tool", 0, 0);
	if (argc < 4 || (threads = atoi(argv[1])) < 1 || threads > 32) {
		fprintf(stderr, "usage: pool_tool THREADS OPS LINE...\n");
		return 2;
	}
	ops_left = atoi(argv[2]);
	pool = card_pool_new("load");
	for (i = 3; i < argc && i < 3 + 8; i++) {
		struct conf_card cc;
		struct card *card;

		memset(&cc, 0, sizeof(cc));
		if (conf_split_fields(argv[i], &cc.name, &cc.fields,
		    &cc.nfields, &err) < 0)
			return 2;
		cc.backend = (char *)conf_card_field(&cc, "backend");
		if ((card = card_open(&cc, &why)) == NULL) {
			fprintf(stderr, "pool_tool: %s\n", buf_str(&why));
			return 2;
		}
		if (card_pool_add(pool, card) != CARD_OK)
			return 2;
		free(cc.name);
		conf_fields_free(cc.fields, cc.nfields);
	}
	clock_gettime(CLOCK_REALTIME, &t0);
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_REALTIME, &t1);
	printf("ok=%d bad=%d retried=%d ms=%ld\n", ok, bad, retried,
	    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	for (i = 0; i < nused; i++)
		printf("%s=%d\n", used[i].card->name, used[i].n);
	card_pool_free(pool);
	buf_free(&err);
	buf_free(&why);
	return bad == 0 ? 0 : 1;
}
