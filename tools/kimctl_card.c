/*
 * kimctl_card.c - `kimctl card status [NAME]` and `kimctl card enable NAME`.
 *
 * While kim-milter runs it holds the PC/SC cards (a PC/SC transaction
 * blocks every other handle of the card), so both go through its control
 * socket first (card-status, card-enable): the daemon answers from its own
 * card pools, with each card's pool state (leased or idle). When the
 * daemon cannot be reached, they work on the cards of kim-milter.conf
 * directly and status says so: status reads what a card shows without spending a PIN try (certificates,
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
#include <openssl/x509v3.h>

#include "card.h"
#include "conf.h"
#include "ctl.h"
#include "kimctl.h"

/* a status waits for every card (each up to 5 s behind a busy job) */
#define KIMCTL_CARD_TIMEOUT_MS 60000

/* telematik_id - the registrationNumber of the admission extension */
static void
telematik_id(X509 *x, char *out, size_t len)
{
	ADMISSION_SYNTAX *adm;
	const ASN1_PRINTABLESTRING *reg = NULL;
	int i, j, k;

	snprintf(out, len, "-");
	adm = X509_get_ext_d2i(x, NID_x509ExtAdmission, NULL, NULL);
	if (adm == NULL)
		return;
	for (i = 0; reg == NULL && i < sk_ADMISSIONS_num(
	    ADMISSION_SYNTAX_get0_contentsOfAdmissions(adm)); i++) {
		ADMISSIONS *a = sk_ADMISSIONS_value(
		    ADMISSION_SYNTAX_get0_contentsOfAdmissions(adm), i);
		const PROFESSION_INFOS *pis = ADMISSIONS_get0_professionInfos(a);

		for (j = 0; reg == NULL && j < sk_PROFESSION_INFO_num(pis); j++)
			reg = PROFESSION_INFO_get0_registrationNumber(
			    sk_PROFESSION_INFO_value(pis, j));
	}
	if (reg != NULL) {
		k = ASN1_STRING_length(reg);
		snprintf(out, len, "%.*s", k, ASN1_STRING_get0_data(reg));
	}
	ADMISSION_SYNTAX_free(adm);
}

/* print_cert - one certificate line: use, type, subject CN, validity */
static void
print_cert(struct card *card, int use, int type)
{
	static const char *uses[] = {"OSIG", "ENC"}, *types[] = {"RSA", "ECC"};
	X509 *x = card_certificate(card, use, type);
	char cn[256] = "?", until[64] = "?", tid[128];
	BIO *b;
	int n;

	if (x == NULL) {
		printf("  %-4s %s: none\n", uses[use], types[type]);
		return;
	}
	telematik_id(x, tid, sizeof(tid));
	(void)X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	    cn, sizeof(cn));
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		ASN1_TIME_print(b, X509_get0_notAfter(x));
		n = BIO_read(b, until, sizeof(until) - 1);
		until[n > 0 ? n : 0] = 0;
		BIO_free(b);
	}
	printf("  %-4s %s: %s, Telematik-ID %s, valid until %s%s\n", uses[use],
	    types[type], cn, tid, until,
	    X509_cmp_current_time(X509_get0_notAfter(x)) < 0 ?
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

/*
 * card_daemon - ask the running daemon; KIMCTL_EX_UNAVAILABLE (nothing
 * printed) when it cannot be reached, else the command's exit status
 */
static int
card_daemon(const struct conf *c, const char *cmd, const char *name)
{
	struct buf line = BUF_INIT, body = BUF_INIT, why = BUF_INIT;
	int rc;

	(void)buf_printf(&line, "%s%s%s", cmd, name ? " " : "",
	    name ? name : "");
	rc = ctl_request(c->control_socket, buf_str(&line), &body,
	    KIMCTL_CARD_TIMEOUT_MS, &why);
	if (rc < 0) {
		rc = KIMCTL_EX_UNAVAILABLE;
		goto out;
	}
	fputs(buf_str(&body), stdout);
	if (rc > 0)
		fprintf(stderr, "kimctl: %s: %s\n", buf_str(&line),
		    buf_str(&why));
	rc = rc > 0 ? KIMCTL_EX_FAIL : KIMCTL_EX_OK;
out:
	buf_free(&line);
	buf_free(&body);
	buf_free(&why);
	return rc;
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
	if ((r = card_daemon(c, strcmp(argv[1], "status") == 0 ?
	    "card-status" : "card-enable", argc == 3 ? argv[2] : NULL)) !=
	    KIMCTL_EX_UNAVAILABLE) {
		if (r == KIMCTL_EX_OK && strcmp(argv[1], "enable") == 0)
			printf("with its next operation the daemon sends the "
			    "PIN once if the card's retry counter is 2 or 3.\n"
			    "At 1 try left it does not: the last try belongs "
			    "to a person at a card terminal.\n");
		return r;
	}
	if (strcmp(argv[1], "status") == 0) {
		struct buf rd = BUF_INIT;

		printf("daemon not running: read directly\n");

		/* what pcscd sees, configured or not */
		(void)card_readers(&rd);
		fputs(buf_str(&rd), stdout);
		buf_free(&rd);
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
