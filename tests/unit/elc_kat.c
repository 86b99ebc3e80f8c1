/*
 * elc_kat.c - a test helper for the ELC known-answer test (t_elc_kat.sh):
 *
 *	elc_kat encrypt RECIPIENT-PUB.pem EPHEMERAL-KEY.pem KEYHEX
 *		prints the template (hex) made with the given ephemeral key
 *	elc_kat decrypt RECIPIENT-KEY.pem TEMPLATEHEX
 *		prints the key (hex) or fails with the card error
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "card.h"
#include "elc.h"

/* load - a PEM key, public or private */
static EVP_PKEY *
load(const char *path, int priv)
{
	EVP_PKEY *pk;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	pk = priv ? PEM_read_PrivateKey(fp, NULL, NULL, NULL) :
	    PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	return pk;
}

/* unhex - hex text to bytes */
static int
unhex(const char *s, struct buf *out)
{
	unsigned char b;
	unsigned v;

	for (; s[0] && s[1]; s += 2) {
		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		b = (unsigned char)v;
		if (buf_append(out, &b, 1) < 0)
			return -1;
	}
	return s[0] ? -1 : 0;
}

/* hex - print bytes as hex */
static void
hex(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		printf("%02x", b->data[i]);
	printf("\n");
}

int
main(int argc, char **argv)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	EVP_PKEY *a = NULL, *b = NULL;
	int rc = -1;

	if (argc == 5 && strcmp(argv[1], "encrypt") == 0) {
		a = load(argv[2], 0);
		b = load(argv[3], 1);
		if (a && b && unhex(argv[4], &in) == 0)
			rc = elc_encrypt_ephemeral(a, b, in.data, in.len, &out);
	} else if (argc == 4 && strcmp(argv[1], "decrypt") == 0) {
		a = load(argv[2], 1);
		if (a && unhex(argv[3], &in) == 0)
			rc = elc_decrypt(a, in.data, in.len, &out);
	} else {
		fprintf(stderr, "usage: elc_kat encrypt PUB EPH KEYHEX | "
		    "decrypt KEY TEMPLATEHEX\n");
		return 2;
	}
	if (rc == 0)
		hex(&out);
	else
		fprintf(stderr, "elc_kat: %s (%d)\n", card_err_str(rc), rc);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	buf_free(&in);
	buf_wipe(&out);
	return rc == 0 ? 0 : 1;
}
