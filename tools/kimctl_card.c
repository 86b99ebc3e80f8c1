/*
 * kimctl_card.c - `kimctl card status [NAME]` and `kimctl card enable NAME`.
 *
 * These work on the cards of kim-milter.conf directly (no daemon needed):
 * status reads what a card shows without spending a PIN try (certificates,
 * ICCSN, PIN retry counter) and the service state; enable checks the PIN
 * file and records in the card's state file that the card is back in
 * service with exactly one PIN try allowed (at a counter of 2 or more,
 * never at 1). A running daemon picks that up with the card's next
 * operation; kimctl itself never sends a PIN.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "kimctl.h"

/* print_cert - one certificate line: use, type, subject CN, validity */
static void
print_cert(struct card *card, int use, int type)
{
	static const char *uses[] = {"OSIG", "ENC"}, *types[] = {"RSA", "ECC"};
	X509 *x = card_certificate(card, use, type);
	char cn[256] = "?", until[64] = "?";
	BIO *b;
	int n;

	if (x == NULL) {
		printf("  %-4s %s: none\n", uses[use], types[type]);
		return;
	}
	(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		ASN1_TIME_print(b, X509_get0_notAfter(x));
		n = BIO_read(b, until, sizeof(until) - 1);
		until[n > 0 ? n : 0] = 0;
		BIO_free(b);
	}
	printf("  %-4s %s: %s, valid until %s%s\n", uses[use], types[type], cn,
	    until, X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ?
	    " (EXPIRED)" : "");
}

/* card_show - the status of one Card line */
static int
card_show(const struct conf_card *cc)
{
	struct buf why = BUF_INIT, st = BUF_INIT;
	struct card *card;
	int u, t, rc = KIMCTL_EX_OK;

	printf("card %s (pool %s, backend %s)\n", cc->name,
	    cc->pool ? cc->pool : "-", cc->backend ? cc->backend : "-");
	if ((card = card_open(cc, &why)) == NULL) {
		printf("  cannot be used: %s\n", buf_str(&why));
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	if (card_status(card, &st) != CARD_OK)
		rc = KIMCTL_EX_FAIL;
	printf("  %s\n", buf_str(&st));
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			print_cert(card, u, t);
out:
	card_free(card);
	buf_free(&why);
	buf_free(&st);
	return rc;
}

/* card_find - a Card line by name */
static const struct conf_card *
card_find(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_cards; i++)
		if (strcmp(c->cards[i].name, name) == 0)
			return &c->cards[i];
	return NULL;
}

/* kimctl_card - card status [NAME] | card enable NAME */
int
kimctl_card(struct kimctl *k, int argc, char **argv)
{
	const struct conf_card *cc;
	struct buf why = BUF_INIT;
	struct card *card;
	struct conf *c;
	size_t i;
	int rc = KIMCTL_EX_OK, r;

	if (argc < 2 || (strcmp(argv[1], "status") != 0 &&
	    strcmp(argv[1], "enable") != 0) ||
	    (strcmp(argv[1], "enable") == 0 && argc != 3) || argc > 3) {
		fprintf(stderr, "usage: kimctl card status [NAME]\n"
		    "       kimctl card enable NAME\n");
		return KIMCTL_EX_USAGE;
	}
	if ((c = kimctl_conf(k)) == NULL)
		return KIMCTL_EX_CONFIG;
	if (argc == 3 && (cc = card_find(c, argv[2])) == NULL) {
		fprintf(stderr, "kimctl: no card %s in %s\n", argv[2],
		    c->path);
		return KIMCTL_EX_USAGE;
	}
	if (strcmp(argv[1], "status") == 0) {
		if (c->n_cards == 0)
			printf("no Card lines in %s\n", c->path);
		for (i = 0; i < c->n_cards; i++) {
			if (argc == 3 && strcmp(c->cards[i].name, argv[2]) != 0)
				continue;
			if ((r = card_show(&c->cards[i])) != KIMCTL_EX_OK)
				rc = r;
		}
		return rc;
	}
	cc = card_find(c, argv[2]);
	if ((card = card_open(cc, &why)) == NULL) {
		fprintf(stderr, "kimctl: %s\n", buf_str(&why));
		buf_free(&why);
		return KIMCTL_EX_CONFIG;
	}
	if (card_enable(card, &why) != CARD_OK) {
		fprintf(stderr, "kimctl: card %s: %s\n", cc->name,
		    buf_str(&why));
		rc = KIMCTL_EX_FAIL;
	} else {
		printf("card %s is back in service: with its next operation "
		    "the PIN is sent once if the card's retry counter is 2 or "
		    "3.\nAt 1 try left it is not: the last try belongs to a "
		    "person at a card terminal.\n", cc->name);
	}
	card_free(card);
	buf_free(&why);
	return rc;
}
