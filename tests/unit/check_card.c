/*
 * check_card.c - the card interface with the soft backend: signatures that
 * verify with the card's certificates, OAEP and ELC round trips, refused
 * cryptograms, error classes, and every way a Card line can be wrong.
 * Keys and certificates are made with the openssl command line in a
 * temporary directory.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "elc.h"

static char dir[64];

/* the key material, made once for the whole run */
static const char mkkeys[] =
    "set -e; cd '%s'; umask 077\n"
    "cert() { openssl req -new -x509 -days 30 -key $1.key -out $1.crt "
    "-subj \"/CN=$1\" -addext \"keyUsage=critical,$2\" $3 2>/dev/null; }\n"
    "rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
    "-out $1.key 2>/dev/null; }\n"
    "ecc() { openssl genpkey -algorithm EC -pkeyopt "
    "ec_paramgen_curve:${2:-brainpoolP256r1} -out $1.key 2>/dev/null; }\n"
    "rsa osig-rsa; cert osig-rsa digitalSignature,nonRepudiation\n"
    "rsa enc-rsa; cert enc-rsa keyEncipherment,dataEncipherment\n"
    "ecc osig-ecc; cert osig-ecc digitalSignature "
    "'-addext certificatePolicies=1.2.276.0.76.4.78'\n"
    "ecc enc-ecc; cert enc-ecc keyAgreement "
    "'-addext certificatePolicies=1.2.276.0.76.4.76'\n"
    "ecc p256 prime256v1; cert p256 digitalSignature\n"
    "printf 'sesam\\n' > pass\n"
    "openssl pkcs12 -export -inkey enc-ecc.key -in enc-ecc.crt "
    "-passout pass:sesam -out enc-ecc.p12\n"
    "openssl pkcs12 -export -legacy -inkey osig-rsa.key -in osig-rsa.crt "
    "-passout pass:sesam -out osig-rsa-legacy.p12\n"
    "printf 'wrong\\n' > wrongpass\n"
    "printf '123456\\n' > pin; printf '123456\\n' > pin644; chmod 644 pin644\n"
    "printf 'disabled\\nthe card refused the PIN\\n' > disabled.state\n"
    "openssl pkey -in enc-rsa.key -passout pass:sesam -aes256 "
    "-out enc-rsa-crypt.key\n";

/* suite_setup - make the keys (an unchecked fixture: once per run) */
static void
suite_setup(void)
{
	char cmd[4096];

	strcpy(dir, "/tmp/check_card.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), mkkeys, dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* suite_teardown - remove the directory */
static void
suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "check_card: cannot remove %s\n", dir);
}

/*
 * line - a Card line's fields, as conf would give them; %D in the text is
 * the key directory. Caller frees with line_free.
 */
static struct conf_card *
line(const char *text)
{
	struct buf t = BUF_INIT, err = BUF_INIT;
	struct conf_card *cc = calloc(1, sizeof(*cc));
	const char *p;

	ck_assert_ptr_nonnull(cc);
	for (p = text; *p; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			buf_puts(&t, dir);
			p++;
		} else {
			ck_assert_int_eq(buf_append(&t, p, 1), 0);
		}
	}
	ck_assert_msg(conf_split_fields(buf_str(&t), &cc->name, &cc->fields,
	    &cc->nfields, &err) == 0, "%s", buf_str(&err));
	cc->pool = (char *)conf_card_field(cc, "pool");
	cc->backend = (char *)conf_card_field(cc, "backend");
	buf_free(&t);
	buf_free(&err);
	return cc;
}

static void
line_free(struct conf_card *cc)
{
	free(cc->name);
	conf_fields_free(cc->fields, cc->nfields);
	free(cc);
}

/* open_ok - open a card that must open */
static struct card *
open_ok(const char *text)
{
	struct conf_card *cc = line(text);
	struct buf why = BUF_INIT;
	struct card *c = card_open(cc, &why);

	ck_assert_msg(c != NULL, "card_open: %s", buf_str(&why));
	line_free(cc);
	buf_free(&why);
	return c;
}

/* open_fails - a card that must not open; the reason must hold want */
static void
open_fails(const char *text, const char *want)
{
	struct conf_card *cc = line(text);
	struct buf why = BUF_INIT, w = BUF_INIT;
	struct card *c = card_open(cc, &why);
	const char *p;

	for (p = want; *p; p++) {
		if (p[0] == '%' && p[1] == 'D') {
			buf_puts(&w, dir);
			p++;
		} else {
			ck_assert_int_eq(buf_append(&w, p, 1), 0);
		}
	}
	ck_assert_msg(c == NULL, "opened: %s", text);
	ck_assert_msg(strstr(buf_str(&why), buf_str(&w)) != NULL,
	    "reason \"%s\" lacks \"%s\"", buf_str(&why), buf_str(&w));
	line_free(cc);
	buf_free(&why);
	buf_free(&w);
}

#define ALL_FOUR "c1 pool=p backend=soft " \
	"osig-rsa-key=%D/osig-rsa.key osig-rsa-cert=%D/osig-rsa.crt " \
	"osig-ecc-key=%D/osig-ecc.key osig-ecc-cert=%D/osig-ecc.crt " \
	"enc-rsa-key=%D/enc-rsa.key enc-rsa-cert=%D/enc-rsa.crt " \
	"enc-ecc-key=%D/enc-ecc.key enc-ecc-cert=%D/enc-ecc.crt"

/* verify - check a signature over hash with the card's OSIG certificate */
static int
verify(X509 *x, int pss, const unsigned char *hash, const struct buf *sig)
{
	EVP_PKEY_CTX *ctx;
	int ok;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_gt(EVP_PKEY_verify_init(ctx), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()), 0);
	if (pss) {
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_PSS_PADDING), 0);
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx,
		    EVP_sha256()), 0);
		/* salt 32 exactly, not "auto": the profile fixes it */
		ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32), 0);
	}
	ok = EVP_PKEY_verify(ctx, sig->data, sig->len, hash, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

START_TEST(test_sign_rsa_pss)
{
	struct card *c = open_ok(ALL_FOUR);
	unsigned char hash[32];
	struct buf sig = BUF_INIT, why = BUF_INIT;

	EVP_Digest("KIM", 3, hash, NULL, EVP_sha256(), NULL);
	ck_assert_int_eq(card_sign(c, CARD_SIG_RSA_PSS, hash, &sig, NULL,
	    NULL, NULL, &why), CARD_OK);
	ck_assert_uint_eq(sig.len, 256);
	ck_assert(verify(card_certificate(c, CARD_USE_OSIG, CARD_KEY_RSA), 1,
	    hash, &sig));
	/* the signature is over the hash itself: another hash fails */
	hash[0] ^= 1;
	ck_assert(!verify(card_certificate(c, CARD_USE_OSIG, CARD_KEY_RSA), 1,
	    hash, &sig));
	/* and not with the ENC key's certificate */
	hash[0] ^= 1;
	ck_assert(!verify(card_certificate(c, CARD_USE_ENC, CARD_KEY_RSA), 1,
	    hash, &sig));
	buf_free(&sig);
	buf_free(&why);
	card_free(c);
}
END_TEST

START_TEST(test_sign_ecdsa)
{
	struct card *c = open_ok(ALL_FOUR);
	unsigned char hash[32];
	const unsigned char *p;
	struct buf sig = BUF_INIT;
	ECDSA_SIG *es;

	EVP_Digest("KIM", 3, hash, NULL, EVP_sha256(), NULL);
	ck_assert_int_eq(card_sign(c, CARD_SIG_ECDSA, hash, &sig, NULL, NULL,
	    NULL, NULL), CARD_OK);
	/* DER ECDSA-Sig-Value: SEQUENCE { r, s }, nothing after it */
	p = sig.data;
	es = d2i_ECDSA_SIG(NULL, &p, (long)sig.len);
	ck_assert_ptr_nonnull(es);
	ck_assert_ptr_eq(p, sig.data + sig.len);
	ECDSA_SIG_free(es);
	ck_assert(verify(card_certificate(c, CARD_USE_OSIG, CARD_KEY_ECC), 0,
	    hash, &sig));
	hash[31] ^= 0x80;
	ck_assert(!verify(card_certificate(c, CARD_USE_OSIG, CARD_KEY_ECC), 0,
	    hash, &sig));
	buf_free(&sig);
	card_free(c);
}
END_TEST

/* oaep_encrypt - what a sender does with the ENC certificate */
static void
oaep_encrypt(X509 *x, const unsigned char *key, size_t keylen,
    struct buf *out)
{
	EVP_PKEY_CTX *ctx;
	size_t len = 0;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, X509_get0_pubkey(x), NULL);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_gt(EVP_PKEY_encrypt_init(ctx), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(ctx,
	    RSA_PKCS1_OAEP_PADDING), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()), 0);
	ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()), 0);
	ck_assert_int_gt(EVP_PKEY_encrypt(ctx, NULL, &len, key, keylen), 0);
	ck_assert_int_eq(buf_reserve(out, len), 0);
	ck_assert_int_gt(EVP_PKEY_encrypt(ctx, out->data, &len, key, keylen),
	    0);
	out->len = len;
	EVP_PKEY_CTX_free(ctx);
}

START_TEST(test_oaep_roundtrip)
{
	struct card *c = open_ok(ALL_FOUR);
	unsigned char key[32];
	struct buf ct = BUF_INIT, pt = BUF_INIT, why = BUF_INIT;

	ck_assert_int_eq(RAND_bytes(key, sizeof(key)), 1);
	oaep_encrypt(card_certificate(c, CARD_USE_ENC, CARD_KEY_RSA), key,
	    sizeof(key), &ct);
	ck_assert_uint_eq(ct.len, 256);
	ck_assert_int_eq(card_decipher(c, CARD_DEC_RSA_OAEP, ct.data, ct.len,
	    &pt, NULL, NULL, NULL, &why), CARD_OK);
	ck_assert_uint_eq(pt.len, 32);
	ck_assert_mem_eq(pt.data, key, 32);
	buf_wipe(&pt);
	/* a damaged cryptogram and a short one are refused */
	ct.data[100] ^= 1;
	ck_assert_int_eq(card_decipher(c, CARD_DEC_RSA_OAEP, ct.data, ct.len,
	    &pt, NULL, NULL, NULL, &why), CARD_E_CRYPTO);
	ck_assert_int_eq(card_decipher(c, CARD_DEC_RSA_OAEP, ct.data, 255,
	    &pt, NULL, NULL, NULL, &why), CARD_E_CRYPTO);
	ck_assert_uint_eq(pt.len, 0);
	buf_free(&ct);
	buf_free(&why);
	card_free(c);
}
END_TEST

START_TEST(test_elc_roundtrip)
{
	struct card *c = open_ok(ALL_FOUR);
	unsigned char key[32];
	struct buf tmpl = BUF_INIT, pt = BUF_INIT, why = BUF_INIT;
	static const size_t tamper[] = {
		5,		/* curve OID */
		40,		/* X of the point */
		100,		/* C */
		140,		/* MAC */
	};
	size_t i;

	ck_assert_int_eq(RAND_bytes(key, sizeof(key)), 1);
	ck_assert_int_eq(elc_encrypt(X509_get0_pubkey(card_certificate(c,
	    CARD_USE_ENC, CARD_KEY_ECC)), key, sizeof(key), &tmpl), CARD_OK);
	ck_assert_uint_eq(tmpl.len, 145);
	ck_assert_int_eq(card_decipher(c, CARD_DEC_ELC, tmpl.data, tmpl.len,
	    &pt, NULL, NULL, NULL, &why), CARD_OK);
	ck_assert_uint_eq(pt.len, 32);
	ck_assert_mem_eq(pt.data, key, 32);
	buf_wipe(&pt);
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		tmpl.data[tamper[i]] ^= 0x01;
		ck_assert_int_eq(card_decipher(c, CARD_DEC_ELC, tmpl.data,
		    tmpl.len, &pt, NULL, NULL, NULL, &why), CARD_E_CRYPTO);
		ck_assert_uint_eq(pt.len, 0);
		tmpl.data[tamper[i]] ^= 0x01;
	}
	/* a template for the OSIG key's point does not open with ENC */
	buf_reset(&tmpl);
	ck_assert_int_eq(elc_encrypt(X509_get0_pubkey(card_certificate(c,
	    CARD_USE_OSIG, CARD_KEY_ECC)), key, sizeof(key), &tmpl), CARD_OK);
	ck_assert_int_eq(card_decipher(c, CARD_DEC_ELC, tmpl.data, tmpl.len,
	    &pt, NULL, NULL, NULL, &why), CARD_E_CRYPTO);
	buf_free(&tmpl);
	buf_free(&why);
	card_free(c);
}
END_TEST

/* the class of every error: transient ones tempfail, the rest do not */
static const struct {
	int err;
	int transient;
} classes[] = {
	{CARD_E_BUSY, 1}, {CARD_E_REMOVED, 1}, {CARD_E_TIMEOUT, 1},
	{CARD_E_IO, 1}, {CARD_E_PIN, 0}, {CARD_E_NOKEY, 0}, {CARD_E_ALG, 0},
	{CARD_E_CRYPTO, 0}, {CARD_E_CONFIG, 0}, {CARD_E_INTERNAL, 0},
	{CARD_E_DISABLED, 0}, {CARD_OK, 0},
};

START_TEST(test_error_classes)
{
	ck_assert_int_eq(card_err_transient(classes[_i].err),
	    classes[_i].transient);
	ck_assert_ptr_nonnull(card_err_str(classes[_i].err));
	ck_assert_str_ne(card_err_str(classes[_i].err), "unknown card error");
}
END_TEST

START_TEST(test_nokey)
{
	struct card *c = open_ok("c2 pool=p backend=soft "
	    "key=%D/osig-rsa.key cert=%D/osig-rsa.crt");
	unsigned char hash[32] = {0};
	struct buf out = BUF_INIT, why = BUF_INIT;

	ck_assert_ptr_nonnull(card_certificate(c, CARD_USE_OSIG,
	    CARD_KEY_RSA));
	ck_assert_ptr_null(card_certificate(c, CARD_USE_OSIG, CARD_KEY_ECC));
	ck_assert_ptr_null(card_certificate(c, CARD_USE_ENC, CARD_KEY_RSA));
	ck_assert_ptr_null(card_certificate(c, CARD_USE_ENC, CARD_KEY_ECC));
	ck_assert_int_eq(card_sign(c, CARD_SIG_ECDSA, hash, &out, NULL, NULL,
	    NULL, &why), CARD_E_NOKEY);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "no osig-ecc key"));
	ck_assert_int_eq(card_decipher(c, CARD_DEC_ELC, hash, 32, &out, NULL,
	    NULL, NULL, &why), CARD_E_NOKEY);
	ck_assert_int_eq(card_decipher(c, CARD_DEC_RSA_OAEP, hash, 32, &out,
	    NULL, NULL, NULL, &why), CARD_E_NOKEY);
	ck_assert(!card_err_transient(CARD_E_NOKEY));
	ck_assert_uint_eq(out.len, 0);
	buf_free(&why);
	card_free(c);
	/* NULL card and free of NULL */
	ck_assert_int_eq(card_sign(NULL, CARD_SIG_ECDSA, hash, &out, NULL,
	    NULL, NULL, NULL), CARD_E_NOKEY);
	card_free(NULL);
}
END_TEST

START_TEST(test_deadline)
{
	struct card *c = open_ok(ALL_FOUR);
	unsigned char hash[32] = {0};
	struct buf out = BUF_INIT;
	struct timespec dl;

	card_deadline(&dl, -1);
	ck_assert_int_eq(card_sign(c, CARD_SIG_RSA_PSS, hash, &out, &dl, NULL,
	    NULL, NULL), CARD_E_TIMEOUT);
	card_deadline(&dl, 5000);
	ck_assert_int_eq(card_sign(c, CARD_SIG_RSA_PSS, hash, &out, &dl, NULL,
	    NULL, NULL), CARD_OK);
	buf_free(&out);
	card_free(c);
}
END_TEST

START_TEST(test_auto_slots)
{
	/* key=/cert= pairs and PKCS#12 find their slots by themselves */
	struct card *c = open_ok("c3 pool=p backend=soft "
	    "key=%D/osig-rsa.key,%D/enc-rsa-crypt.key,%D/osig-ecc.key "
	    "cert=%D/osig-rsa.crt,%D/enc-rsa.crt,%D/osig-ecc.crt "
	    "p12=%D/enc-ecc.p12 pass-file=%D/pass");
	struct card *ref = open_ok(ALL_FOUR);
	int u, t;

	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++) {
			X509 *a = card_certificate(c, u, t);
			X509 *b = card_certificate(ref, u, t);

			ck_assert_ptr_nonnull(a);
			ck_assert_int_eq(X509_cmp(a, b), 0);
		}
	card_free(c);
	card_free(ref);
}
END_TEST

START_TEST(test_p12_legacy)
{
	/* RC2-40 PKCS#12, as in gematik's samples: the legacy provider */
	struct card *c = open_ok("c4 pool=p backend=soft "
	    "p12=%D/osig-rsa-legacy.p12 pass-file=%D/pass");
	unsigned char hash[32] = {1};
	struct buf sig = BUF_INIT;

	ck_assert_int_eq(card_sign(c, CARD_SIG_RSA_PSS, hash, &sig, NULL,
	    NULL, NULL, NULL), CARD_OK);
	ck_assert(verify(card_certificate(c, CARD_USE_OSIG, CARD_KEY_RSA), 1,
	    hash, &sig));
	buf_free(&sig);
	card_free(c);
}
END_TEST

START_TEST(test_permissions)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/osig-ecc.key", dir);
	ck_assert_int_eq(chmod(path, 0640), 0);
	open_fails(ALL_FOUR, "%D/osig-ecc.key: group or others may access "
	    "this secret file (mode 0640); run: chmod 600 %D/osig-ecc.key");
	/* RequireSafeKeys no, as in OpenDKIM: for test material only */
	card_free(open_ok(ALL_FOUR " require-safe-keys=no"));
	ck_assert_int_eq(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/pass", dir);
	ck_assert_int_eq(chmod(path, 0604), 0);
	open_fails("c pool=p backend=soft p12=%D/enc-ecc.p12 "
	    "pass-file=%D/pass", "run: chmod 600 %D/pass");
	ck_assert_int_eq(chmod(path, 0600), 0);
}
END_TEST

/* lines that must not open, and what the reason must say */
static const struct {
	const char *line;
	const char *why;
} bad_lines[] = {
	{"c pool=p backend=soft", "no key"},
	{"c pool=p backend=floppy", "backend \"floppy\" is not available"},
	{"c pool=p", "backend= is missing"},
	{"c pool=p backend=soft pin-file=/x", "unknown field \"pin-file\""},
	{"c pool=p backend=soft osig-rsa-key=%D/osig-rsa.key",
	    "osig-rsa-key= and osig-rsa-cert= go together"},
	{"c pool=p backend=soft key=%D/osig-rsa.key",
	    "1 files in key= but 0 in cert="},
	{"c pool=p backend=soft osig-rsa-key=%D/osig-rsa.key "
	    "osig-rsa-cert=%D/enc-rsa.crt", "does not belong to the key"},
	{"c pool=p backend=soft osig-rsa-key=%D/osig-ecc.key "
	    "osig-rsa-cert=%D/osig-ecc.crt", "is not an RSA key"},
	{"c pool=p backend=soft key=%D/p256.key cert=%D/p256.crt",
	    "neither RSA nor brainpoolP256r1"},
	{"c pool=p backend=soft key=%D/missing.key cert=%D/osig-rsa.crt",
	    "%D/missing.key: No such file"},
	{"c pool=p backend=soft key=%D/enc-rsa-crypt.key cert=%D/enc-rsa.crt",
	    "pass-file= missing or wrong"},
	{"c pool=p backend=soft p12=%D/enc-ecc.p12 pass-file=%D/wrongpass",
	    "wrong password"},
	{"c pool=p backend=soft p12=%D/enc-ecc.p12 key=%D/enc-ecc.key "
	    "cert=%D/enc-ecc.crt pass-file=%D/pass",
	    "a second key for enc-ecc"},
	{"c pool=p backend=soft key=%D/osig-rsa.crt cert=%D/osig-rsa.crt",
	    "not a PEM or DER private key"},
	{"c pool=p backend=soft require-safe-keys=maybe "
	    "key=%D/osig-rsa.key cert=%D/osig-rsa.crt", "must be yes or no"},
	{"c pool=p backend=pcsc", "pin-file= is missing"},
	{"c pool=p backend=pcsc pin-file=%D/pass", "4 to 12 digits"},
	{"c pool=p backend=pcsc pin-file=%D/pin644",
	    "%D/pin644: PIN file mode 0644 lets others read it; run: chmod 640"},
	{"c pool=p backend=pcsc pin-file=%D/pin iccsn=123",
	    "iccsn= has 20 digits"},
	{"c pool=p backend=pcsc pin-file=%D/pin pin=123456",
	    "unknown field \"pin\" for backend pcsc"},
	{"c pool=p backend=pcsc pin-file=%D/nopin", "%D/nopin: No such file"},
};

START_TEST(test_bad_lines)
{
	open_fails(bad_lines[_i].line, bad_lines[_i].why);
}
END_TEST

START_TEST(test_pcsc_absent)
{
	/* no pcscd at all: the card opens, operations fail transiently */
	struct card *c;
	unsigned char hash[32] = {0};
	struct buf sig = BUF_INIT, why = BUF_INIT;
	struct timespec dl;
	char sock[128];

	snprintf(sock, sizeof(sock), "%s/no-pcscd.comm", dir);
	setenv("PCSCLITE_CSOCK_NAME", sock, 1);
	c = open_ok("c pool=p backend=pcsc pin-file=%D/pin "
	    "state-file=%D/absent.state");
	card_deadline(&dl, 5000);
	ck_assert_int_eq(card_sign(c, CARD_SIG_RSA_PSS, hash, &sig, &dl, NULL,
	    NULL, &why), CARD_E_REMOVED);
	ck_assert(card_err_transient(CARD_E_REMOVED));
	ck_assert_msg(strstr(buf_str(&why), "pcscd") != NULL, "%s",
	    buf_str(&why));
	ck_assert_ptr_null(card_certificate(c, CARD_USE_OSIG, CARD_KEY_RSA));
	buf_free(&sig);
	buf_free(&why);
	card_free(c);
}
END_TEST

START_TEST(test_pcsc_out_of_service)
{
	/* a card taken out of service before a restart stays out */
	struct card *c;
	unsigned char hash[32] = {0};
	struct buf out = BUF_INIT, why = BUF_INIT;
	char state[128], text[64];
	FILE *fp;

	c = open_ok("c pool=p backend=pcsc pin-file=%D/pin "
	    "state-file=%D/disabled.state");
	ck_assert_int_eq(card_sign(c, CARD_SIG_ECDSA, hash, &out, NULL, NULL,
	    NULL, &why), CARD_E_DISABLED);
	ck_assert(!card_err_transient(CARD_E_DISABLED));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "refused the PIN"));
	ck_assert_int_eq(card_status(c, &out), CARD_OK);
	ck_assert_ptr_nonnull(strstr(buf_str(&out),
	    "out of service: the card refused the PIN"));
	/* the admin's enable clears it, also on disk: one try is allowed */
	ck_assert_int_eq(card_enable(c, &why), CARD_OK);
	snprintf(state, sizeof(state), "%s/disabled.state", dir);
	fp = fopen(state, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(text, sizeof(text), fp));
	fclose(fp);
	ck_assert_str_eq(text, "enable-once\n");
	buf_reset(&out);
	ck_assert_int_eq(card_status(c, &out), CARD_OK);
	ck_assert_ptr_nonnull(strstr(buf_str(&out), "in service (enabled by "
	    "the admin: one PIN try allowed at a counter of 2 or more)"));
	/* a restart in between keeps that */
	card_free(c);
	c = open_ok("c pool=p backend=pcsc pin-file=%D/pin "
	    "state-file=%D/disabled.state");
	buf_reset(&out);
	ck_assert_int_eq(card_status(c, &out), CARD_OK);
	ck_assert_ptr_nonnull(strstr(buf_str(&out), "enabled by the admin"));
	buf_free(&out);
	buf_free(&why);
	card_free(c);
}
END_TEST

static Suite *
card_suite(void)
{
	Suite *s = suite_create("card");
	TCase *tc = tcase_create("soft");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, test_sign_rsa_pss);
	tcase_add_test(tc, test_sign_ecdsa);
	tcase_add_test(tc, test_oaep_roundtrip);
	tcase_add_test(tc, test_elc_roundtrip);
	tcase_add_loop_test(tc, test_error_classes, 0,
	    sizeof(classes) / sizeof(classes[0]));
	tcase_add_test(tc, test_nokey);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_auto_slots);
	tcase_add_test(tc, test_p12_legacy);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_pcsc_absent);
	tcase_add_test(tc, test_pcsc_out_of_service);
	tcase_add_loop_test(tc, test_bad_lines, 0,
	    sizeof(bad_lines) / sizeof(bad_lines[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(card_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
