/*
 * fuzz_decode.c - libFuzzer target for the KIM decoder. The first input
 * byte picks the entry point: even: kim_decode of an outer message (the
 * receiving card holds an RSA key made at start-up); odd: kim_verify_signed
 * of a signed layer (DER or signed-data entity). Every input must end in a
 * result with a reason and without a crash or leak (ASan).
 *
 * Build and run: make fuzz-run (clang -fsanitize=fuzzer,address); seeds
 * from tests/codec/gematik.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "kim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct card *card;
static X509_STORE *store;

/* make_card - a soft card with a fresh RSA key and self-signed cert */
static void
make_card(void)
{
	char dir[] = "/tmp/fuzz_decode.XXXXXX", kp[64], cp[64];
	struct conf_field f[3];
	struct conf_card cc;
	struct buf why = BUF_INIT;
	EVP_PKEY *pk;
	X509 *x;
	FILE *fp;

	umask(077);
	if (mkdtemp(dir) == NULL)
		abort();
	pk = EVP_RSA_gen(2048);
	x = X509_new();
	if (pk == NULL || x == NULL)
		abort();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	if (!X509_sign(x, pk, EVP_sha256()))
		abort();
	snprintf(kp, sizeof(kp), "%s/k.pem", dir);
	snprintf(cp, sizeof(cp), "%s/c.pem", dir);
	fp = fopen(kp, "w");
	PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	fp = fopen(cp, "w");
	PEM_write_X509(fp, x);
	fclose(fp);
	memset(&cc, 0, sizeof(cc));
	cc.name = (char *)"fuzz";
	cc.backend = (char *)"soft";
	f[0].key = (char *)"backend";
	f[0].value = (char *)"soft";
	f[1].key = (char *)"key";
	f[1].value = kp;
	f[2].key = (char *)"cert";
	f[2].value = cp;
	cc.fields = f;
	cc.nfields = 3;
	card = card_open(&cc, &why);
	if (card == NULL) {
		fprintf(stderr, "fuzz: %s\n", buf_str(&why));
		abort();
	}
	store = X509_STORE_new();
	X509_STORE_add_cert(store, x);
	unlink(kp);
	unlink(cp);
	rmdir(dir);
	buf_free(&why);
	X509_free(x);
	EVP_PKEY_free(pk);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_card();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kim_decode_args a;
	struct kim_decode_result r;
	int rc;

	if (size < 1)
		return 0;
	memset(&a, 0, sizeof(a));
	a.address = "mustersender@komle.de";
	a.card = card;
	a.anchors = store;
	a.at = 1600000000;
	a.msg = data + 1;
	a.msglen = size - 1;
	kim_decode_result_init(&r);
	if (data[0] & 1)
		rc = kim_verify_signed(&a, data + 1, size - 1, &r);
	else
		rc = kim_decode(&a, &r);
	/* every answer carries a reason */
	if (rc != KIM_E_NOMEM && r.reason.len == 0)
		abort();
	kim_decode_result_free(&r);
	return 0;
}
