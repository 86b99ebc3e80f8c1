/*
 * card_soft.c - the "soft" backend: an SMC-B's four keys (OSIG and ENC, RSA
 * and ECC) held in files instead of on a card. It does what the card does,
 * with the same algorithms and the same ELC template code (elc.c), so tests
 * of the codec go down the same paths as with a card.
 *
 * Fields of the Card line (see kim-milter.conf(5), CARDS):
 *   osig-rsa-key= osig-rsa-cert= osig-ecc-key= osig-ecc-cert=
 *   enc-rsa-key= enc-rsa-cert= enc-ecc-key= enc-ecc-cert=
 *	explicit slots: PEM (or DER) key and certificate;
 *   key= cert=		comma-separated lists of key and certificate files,
 *			paired in order; slot by key type and certificate
 *			(policy OID, else key usage);
 *   p12=		comma-separated PKCS#12 files, slot as for key=;
 *   pass-file=		password of encrypted PEM keys and PKCS#12 files;
 *   require-safe-keys=	yes (default) refuses key and pass files that group
 *			or others may access.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "card.h"
#include "card_int.h"
#include "conf.h"
#include "elc.h"

#define SOFT_MAX_FILES 16

struct soft_slot {
	EVP_PKEY *key;
	X509 *cert;
};

struct soft {
	struct soft_slot slot[2][2];	/* [enum card_keyuse][enum card_keytype] */
};

static const char *const soft_slot_name[2][2] = {
	{"osig-rsa", "osig-ecc"},
	{"enc-rsa", "enc-ecc"},
};

/* what the fields of one Card line say, before any file is read */
struct soft_spec {
	const char *slot_key[2][2];
	const char *slot_cert[2][2];
	const char *keys[SOFT_MAX_FILES], *certs[SOFT_MAX_FILES];
	const char *p12s[SOFT_MAX_FILES];
	size_t nkeys, ncerts, np12s;
	char *lists[3];		/* copies of key=, cert=, p12= split at ',' */
	const char *pass_file;
	int require_safe;
};

/* legacy PKCS#12 encryption (RC2-40, as in gematik's samples) */
static pthread_once_t soft_legacy_once = PTHREAD_ONCE_INIT;
/* loaded for the life of the process (kept, so no leak is reported) */
static OSSL_PROVIDER *soft_providers[2];

/* soft_legacy_unload - at exit: the provider's own library context is
 * freed only by an unload (LeakSanitizer reports it otherwise) */
static void
soft_legacy_unload(void)
{
	OSSL_PROVIDER_unload(soft_providers[1]);
	OSSL_PROVIDER_unload(soft_providers[0]);
	soft_providers[0] = soft_providers[1] = NULL;
}

/* soft_legacy_load - load OpenSSL's legacy provider next to the default */
static void
soft_legacy_load(void)
{
	(void)atexit(soft_legacy_unload);
	/* an explicit load ends the implicit default: keep it there */
	if (!OSSL_PROVIDER_available(NULL, "default"))
		soft_providers[0] = OSSL_PROVIDER_load(NULL, "default");
	soft_providers[1] = OSSL_PROVIDER_load(NULL, "legacy");
	ERR_clear_error();
}

/* soft_pass_cb - the pass file's password for PEM, never a prompt */
static int
soft_pass_cb(char *out, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t n;

	if (pass == NULL)
		return -1;
	n = strlen(pass);
	if (n > (size_t)size)
		return -1;
	memcpy(out, pass, n);
	return (int)n;
}

/* soft_load_key - a private key from PEM or DER bytes */
static EVP_PKEY *
soft_load_key(const struct buf *data, const char *pass)
{
	const unsigned char *p = data->data;
	EVP_PKEY *pk;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(data->data, (int)data->len)) == NULL)
		return NULL;
	pk = PEM_read_bio_PrivateKey(bio, NULL, soft_pass_cb, (void *)pass);
	BIO_free(bio);
	if (pk == NULL) {
		ERR_clear_error();
		pk = d2i_AutoPrivateKey(NULL, &p, (long)data->len);
	}
	return pk;
}

/* soft_load_cert - a certificate from PEM or DER bytes */
static X509 *
soft_load_cert(const struct buf *data)
{
	const unsigned char *p = data->data;
	X509 *x;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(data->data, (int)data->len)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		ERR_clear_error();
		x = d2i_X509(NULL, &p, (long)data->len);
	}
	return x;
}

/* soft_keytype - RSA or brainpoolP256r1; -1 for anything else */
static int
soft_keytype(const EVP_PKEY *pk)
{
	if (EVP_PKEY_is_a(pk, "RSA"))
		return CARD_KEY_RSA;
	if (elc_is_curve(pk))
		return CARD_KEY_ECC;
	return -1;
}

/* soft_has_policy - 1 when the certificate names the policy OID */
static int
soft_has_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pol;
	char text[80];
	int i, found = 0;

	pol = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	for (i = 0; pol && i < sk_POLICYINFO_num(pol); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pol, i);

		if (OBJ_obj2txt(text, sizeof(text), pi->policyid, 1) > 0 &&
		    strcmp(text, oid) == 0)
			found = 1;
	}
	CERTIFICATEPOLICIES_free(pol);
	return found;
}

/*
 * soft_uses - the slots a certificate serves: bit 1<<CARD_USE_OSIG and/or
 * 1<<CARD_USE_ENC. The TI policy OIDs decide when present (C.HCI.OSIG,
 * C.HCI.ENC, C.HP.ENC), else the key usage.
 */
static int
soft_uses(X509 *x)
{
	uint32_t ku;
	int uses = 0;

	if (soft_has_policy(x, "1.2.276.0.76.4.78"))
		uses |= 1 << CARD_USE_OSIG;
	if (soft_has_policy(x, "1.2.276.0.76.4.76") ||
	    soft_has_policy(x, "1.2.276.0.76.4.74"))
		uses |= 1 << CARD_USE_ENC;
	if (uses)
		return uses;
	ku = X509_get_key_usage(x);
	if (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))
		uses |= 1 << CARD_USE_OSIG;
	if (ku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT | KU_DATA_ENCIPHERMENT))
		uses |= 1 << CARD_USE_ENC;
	return uses;
}

/* soft_place - put key and certificate into a slot (takes references) */
static int
soft_place(struct soft *s, const char *card, int use, EVP_PKEY *pk, X509 *x,
    const char *src, struct buf *why)
{
	int type = soft_keytype(pk);
	struct soft_slot *sl;

	if (type < 0) {
		if (why)
			(void)buf_printf(why, "card \"%s\": %s: the key is neither "
			    "RSA nor brainpoolP256r1", card, src);
		return CARD_E_CONFIG;
	}
	sl = &s->slot[use][type];
	if (sl->key != NULL) {
		if (why)
			(void)buf_printf(why, "card \"%s\": %s: a second key for "
			    "%s", card, src, soft_slot_name[use][type]);
		return CARD_E_CONFIG;
	}
	if (!EVP_PKEY_up_ref(pk) || !X509_up_ref(x))
		return CARD_E_INTERNAL;
	sl->key = pk;
	sl->cert = x;
	return CARD_OK;
}

/* soft_check_pair - the certificate must be the key's */
static int
soft_check_pair(const char *card, EVP_PKEY *pk, X509 *x, const char *src,
    struct buf *why)
{
	if (X509_check_private_key(x, pk) == 1)
		return CARD_OK;
	ERR_clear_error();
	if (why)
		(void)buf_printf(why, "card \"%s\": %s: the certificate does "
		    "not belong to the key", card, src);
	return CARD_E_CONFIG;
}

/* soft_read_pair - read a key file and a certificate file */
static int
soft_read_pair(const char *card, const char *kpath, const char *cpath,
    const char *pass, int safe, EVP_PKEY **pk, X509 **x, struct buf *why)
{
	struct buf data = BUF_INIT;
	int rc;

	*pk = NULL;
	*x = NULL;
	if ((rc = card_file_read_secret(kpath, safe, &data, why)) < 0)
		goto out;
	rc = CARD_E_CONFIG;
	if ((*pk = soft_load_key(&data, pass)) == NULL) {
		card_ssl_why(why, kpath);
		if (why)
			(void)buf_puts(why, " (not a PEM or DER private key, "
			    "or pass-file= missing or wrong)");
		goto out;
	}
	buf_wipe(&data);
	if ((rc = card_file_read(cpath, &data, why)) < 0)
		goto out;
	rc = CARD_E_CONFIG;
	if ((*x = soft_load_cert(&data)) == NULL) {
		card_ssl_why(why, cpath);
		goto out;
	}
	rc = soft_check_pair(card, *pk, *x, cpath, why);
out:
	buf_wipe(&data);
	return rc;
}

/* soft_read_p12 - key and certificate from a PKCS#12 file */
static int
soft_read_p12(const char *path, const char *pass, int safe, EVP_PKEY **pk,
    X509 **x, struct buf *why)
{
	struct buf data = BUF_INIT;
	PKCS12 *p12 = NULL;
	BIO *bio = NULL;
	int rc;

	*pk = NULL;
	*x = NULL;
	if ((rc = card_file_read_secret(path, safe, &data, why)) < 0)
		goto out;
	rc = CARD_E_CONFIG;
	if ((bio = BIO_new_mem_buf(data.data, (int)data.len)) == NULL ||
	    (p12 = d2i_PKCS12_bio(bio, NULL)) == NULL) {
		card_ssl_why(why, path);
		goto out;
	}
	if (PKCS12_mac_present(p12) &&
	    !PKCS12_verify_mac(p12, pass ? pass : "", -1) &&
	    !(pass == NULL && PKCS12_verify_mac(p12, NULL, 0))) {
		ERR_clear_error();
		if (why)
			(void)buf_printf(why, "%s: wrong password (pass-file=)",
			    path);
		goto out;
	}
	if (!PKCS12_parse(p12, pass ? pass : "", pk, x, NULL)) {
		ERR_clear_error();
		(void)pthread_once(&soft_legacy_once, soft_legacy_load);
		if (!PKCS12_parse(p12, pass ? pass : "", pk, x, NULL)) {
			card_ssl_why(why, path);
			goto out;
		}
	}
	if (*pk == NULL || *x == NULL) {
		if (why)
			(void)buf_printf(why, "%s: needs one key and its "
			    "certificate", path);
		goto out;
	}
	rc = CARD_OK;
out:
	PKCS12_free(p12);
	BIO_free(bio);
	buf_wipe(&data);
	return rc;
}

/* soft_split - split a copy of a comma-separated list of files */
static int
soft_split(const char *card, const char *field, const char *value,
    char **copy, const char **out, size_t *n, struct buf *why)
{
	char *p, *save = NULL;

	if ((*copy = strdup(value)) == NULL)
		return CARD_E_INTERNAL;
	for (p = strtok_r(*copy, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (*n == SOFT_MAX_FILES) {
			if (why)
				(void)buf_printf(why, "card \"%s\": more than %d "
				    "files in %s=", card, SOFT_MAX_FILES, field);
			return CARD_E_CONFIG;
		}
		out[(*n)++] = p;
	}
	return CARD_OK;
}

/* soft_spec_free - the list copies */
static void
soft_spec_free(struct soft_spec *sp)
{
	size_t i;

	for (i = 0; i < 3; i++)
		free(sp->lists[i]);
}

/* soft_parse_fields - sort the fields of the Card line into a spec */
static int
soft_parse_fields(const struct conf_card *cc, struct soft_spec *sp,
    struct buf *why)
{
	const struct conf_field *f;
	size_t i;
	int u, t, done, rc;

	memset(sp, 0, sizeof(*sp));
	sp->require_safe = 1;
	for (i = 0; i < cc->nfields; i++) {
		f = &cc->fields[i];
		done = 0;
		for (u = 0; u < 2 && !done; u++)
			for (t = 0; t < 2 && !done; t++) {
				size_t n = strlen(soft_slot_name[u][t]);

				if (strncmp(f->key, soft_slot_name[u][t], n) != 0)
					continue;
				if (strcmp(f->key + n, "-key") == 0) {
					sp->slot_key[u][t] = f->value;
					done = 1;
				} else if (strcmp(f->key + n, "-cert") == 0) {
					sp->slot_cert[u][t] = f->value;
					done = 1;
				}
			}
		if (done || strcmp(f->key, "pool") == 0 ||
		    strcmp(f->key, "backend") == 0)
			continue;
		if (strcmp(f->key, "pass-file") == 0) {
			sp->pass_file = f->value;
		} else if (strcmp(f->key, "require-safe-keys") == 0) {
			if (strcasecmp(f->value, "yes") == 0)
				sp->require_safe = 1;
			else if (strcasecmp(f->value, "no") == 0)
				sp->require_safe = 0;
			else
				goto bad_value;
		} else if (strcmp(f->key, "key") == 0) {
			if ((rc = soft_split(cc->name, f->key, f->value,
			    &sp->lists[0], sp->keys, &sp->nkeys, why)) < 0)
				return rc;
		} else if (strcmp(f->key, "cert") == 0) {
			if ((rc = soft_split(cc->name, f->key, f->value,
			    &sp->lists[1], sp->certs, &sp->ncerts, why)) < 0)
				return rc;
		} else if (strcmp(f->key, "p12") == 0) {
			if ((rc = soft_split(cc->name, f->key, f->value,
			    &sp->lists[2], sp->p12s, &sp->np12s, why)) < 0)
				return rc;
		} else {
			if (why)
				(void)buf_printf(why, "card \"%s\": unknown field "
				    "\"%s\" for backend soft (known: "
				    "{osig,enc}-{rsa,ecc}-{key,cert}, key, cert, "
				    "p12, pass-file, require-safe-keys)",
				    cc->name, f->key);
			return CARD_E_CONFIG;
		}
	}
	if (sp->nkeys != sp->ncerts) {
		if (why)
			(void)buf_printf(why, "card \"%s\": %zu files in key= "
			    "but %zu in cert=: they go in pairs", cc->name,
			    sp->nkeys, sp->ncerts);
		return CARD_E_CONFIG;
	}
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			if (!sp->slot_key[u][t] != !sp->slot_cert[u][t]) {
				if (why)
					(void)buf_printf(why, "card \"%s\": "
					    "%s-key= and %s-cert= go together",
					    cc->name, soft_slot_name[u][t],
					    soft_slot_name[u][t]);
				return CARD_E_CONFIG;
			}
	return CARD_OK;
bad_value:
	if (why)
		(void)buf_printf(why, "card \"%s\": %s= must be yes or no",
		    cc->name, f->key);
	return CARD_E_CONFIG;
}

/* soft_place_auto - place a key by its type and its certificate's uses */
static int
soft_place_auto(struct soft *s, const char *card, EVP_PKEY *pk, X509 *x,
    const char *src, struct buf *why)
{
	int uses = soft_uses(x), u, rc = CARD_OK;

	if (uses == 0) {
		if (why)
			(void)buf_printf(why, "card \"%s\": %s: the certificate "
			    "allows neither signing nor encryption", card, src);
		return CARD_E_CONFIG;
	}
	for (u = 0; u < 2 && rc == CARD_OK; u++)
		if (uses & (1 << u))
			rc = soft_place(s, card, u, pk, x, src, why);
	return rc;
}

/* soft_load - read every file the spec names into s */
static int
soft_load(struct soft *s, const struct conf_card *cc,
    const struct soft_spec *sp, const char *pass, struct buf *why)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	size_t i;
	int u, t, rc = CARD_OK;

	for (u = 0; u < 2 && rc == CARD_OK; u++)
		for (t = 0; t < 2 && rc == CARD_OK; t++) {
			if (sp->slot_key[u][t] == NULL)
				continue;
			rc = soft_read_pair(cc->name, sp->slot_key[u][t],
			    sp->slot_cert[u][t], pass, sp->require_safe, &pk,
			    &x, why);
			if (rc == CARD_OK && soft_keytype(pk) != t) {
				if (why)
					(void)buf_printf(why, "card \"%s\": "
					    "%s-key=%s is not %s", cc->name,
					    soft_slot_name[u][t],
					    sp->slot_key[u][t], t == CARD_KEY_RSA ?
					    "an RSA key" : "a brainpoolP256r1 key");
				rc = CARD_E_CONFIG;
			}
			if (rc == CARD_OK)
				rc = soft_place(s, cc->name, u, pk, x,
				    sp->slot_key[u][t], why);
			EVP_PKEY_free(pk);
			X509_free(x);
		}
	for (i = 0; i < sp->nkeys && rc == CARD_OK; i++) {
		rc = soft_read_pair(cc->name, sp->keys[i], sp->certs[i], pass,
		    sp->require_safe, &pk, &x, why);
		if (rc == CARD_OK)
			rc = soft_place_auto(s, cc->name, pk, x, sp->keys[i],
			    why);
		EVP_PKEY_free(pk);
		X509_free(x);
	}
	for (i = 0; i < sp->np12s && rc == CARD_OK; i++) {
		rc = soft_read_p12(sp->p12s[i], pass, sp->require_safe, &pk,
		    &x, why);
		if (rc == CARD_OK)
			rc = soft_check_pair(cc->name, pk, x, sp->p12s[i], why);
		if (rc == CARD_OK)
			rc = soft_place_auto(s, cc->name, pk, x, sp->p12s[i],
			    why);
		EVP_PKEY_free(pk);
		X509_free(x);
	}
	return rc;
}

/* soft_free - release the keys */
static void
soft_free(struct card *card)
{
	struct soft *s = card->impl;
	int u, t;

	if (s == NULL)
		return;
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++) {
			EVP_PKEY_free(s->slot[u][t].key);
			X509_free(s->slot[u][t].cert);
		}
	free(s);
	card->impl = NULL;
}

/* soft_slot_get - the slot for an operation, or CARD_E_NOKEY with a reason */
static struct soft_slot *
soft_slot_get(struct card *card, int use, int type, struct buf *why)
{
	struct soft *s = card->impl;

	if (s->slot[use][type].key != NULL)
		return &s->slot[use][type];
	if (why)
		(void)buf_printf(why, "card \"%s\" has no %s key", card->name,
		    soft_slot_name[use][type]);
	return NULL;
}

/* soft_sign - RSASSA-PSS or ECDSA over the given hash */
static int
soft_sign(struct card *card, enum card_sigalg alg, const unsigned char *hash,
    struct buf *sig, const struct timespec *deadline, card_progress_fn progress,
    void *arg, struct buf *why)
{
	struct soft_slot *sl;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = 0;
	int type, rc;

	if (alg != CARD_SIG_RSA_PSS && alg != CARD_SIG_ECDSA)
		return CARD_E_ALG;
	if (card_deadline_passed(deadline))
		return CARD_E_TIMEOUT;
	type = alg == CARD_SIG_RSA_PSS ? CARD_KEY_RSA : CARD_KEY_ECC;
	if ((sl = soft_slot_get(card, CARD_USE_OSIG, type, why)) == NULL)
		return CARD_E_NOKEY;
	rc = CARD_E_INTERNAL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sl->key, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
		goto fail;
	if (alg == CARD_SIG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) <= 0))
		goto fail;
	if (EVP_PKEY_sign(ctx, NULL, &len, hash, 32) <= 0 ||
	    buf_reserve(sig, len) < 0 ||
	    EVP_PKEY_sign(ctx, sig->data + sig->len, &len, hash, 32) <= 0)
		goto fail;
	sig->len += len;
	sig->data[sig->len] = 0;
	rc = CARD_OK;
	goto out;
fail:
	card_ssl_why(why, "soft sign");
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* soft_oaep - RSAES-OAEP SHA-256, MGF1-SHA-256, empty label */
static int
soft_oaep(struct soft_slot *sl, const unsigned char *in, size_t len,
    struct buf *key, struct buf *why)
{
	unsigned char out[512];
	EVP_PKEY_CTX *ctx = NULL;
	size_t outlen = sizeof(out);
	int rc = CARD_E_INTERNAL;

	if (len != (size_t)EVP_PKEY_get_size(sl->key)) {
		if (why)
			(void)buf_printf(why, "RSA cryptogram of %zu bytes, "
			    "the key needs %d", len, EVP_PKEY_get_size(sl->key));
		return CARD_E_CRYPTO;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sl->key, NULL);
	if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0) {
		card_ssl_why(why, "soft decipher");
		goto out;
	}
	if (EVP_PKEY_decrypt(ctx, out, &outlen, in, len) <= 0) {
		card_ssl_why(why, "RSA-OAEP cryptogram rejected");
		rc = CARD_E_CRYPTO;
		goto out;
	}
	rc = buf_append(key, out, outlen) < 0 ? CARD_E_INTERNAL : CARD_OK;
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* soft_decipher - RSA-OAEP or the ELC template */
static int
soft_decipher(struct card *card, enum card_decalg alg,
    const unsigned char *in, size_t len, struct buf *key,
    const struct timespec *deadline, card_progress_fn progress, void *arg,
    struct buf *why)
{
	struct soft_slot *sl;
	int rc;

	if (alg != CARD_DEC_RSA_OAEP && alg != CARD_DEC_ELC)
		return CARD_E_ALG;
	if (card_deadline_passed(deadline))
		return CARD_E_TIMEOUT;
	sl = soft_slot_get(card, CARD_USE_ENC,
	    alg == CARD_DEC_RSA_OAEP ? CARD_KEY_RSA : CARD_KEY_ECC, why);
	if (sl == NULL)
		return CARD_E_NOKEY;
	if (alg == CARD_DEC_RSA_OAEP)
		return soft_oaep(sl, in, len, key, why);
	rc = elc_decrypt(sl->key, in, len, key);
	if (rc < 0 && why)
		(void)buf_printf(why, "ELC cryptogram rejected: %s",
		    card_err_str(rc));
	return rc;
}

/* soft_certificate - a slot's certificate, borrowed */
static X509 *
soft_certificate(struct card *card, enum card_keyuse use,
    enum card_keytype type)
{
	struct soft *s = card->impl;

	if ((unsigned)use > 1 || (unsigned)type > 1)
		return NULL;
	return s->slot[use][type].cert;
}

static const struct card_ops soft_ops = {
	.name = "soft",
	.sign = soft_sign,
	.decipher = soft_decipher,
	.certificate = soft_certificate,
	.free = soft_free,
};

/* card_soft_open - read and check every file of a soft Card line */
struct card *
card_soft_open(const struct conf_card *cc, struct buf *why)
{
	struct soft_spec sp;
	struct buf pass = BUF_INIT;
	struct soft *s = NULL;
	struct card *card = NULL;
	int u, t, any = 0;

	if (soft_parse_fields(cc, &sp, why) < 0)
		goto out;
	if (sp.pass_file != NULL) {
		if (card_file_read_secret(sp.pass_file, sp.require_safe, &pass,
		    why) < 0)
			goto out;
		/* the first line, without the line end an editor adds */
		if (buf_reserve(&pass, 0) < 0)
			goto out;
		pass.len = strcspn((char *)pass.data, "\r\n");
		OPENSSL_cleanse(pass.data + pass.len, pass.cap - pass.len);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	if ((card = card_alloc(&soft_ops, cc->name, s)) == NULL) {
		free(s);
		goto out;
	}
	if (soft_load(s, cc, &sp, sp.pass_file ? buf_str(&pass) : NULL,
	    why) < 0) {
		card_free(card);
		card = NULL;
		goto out;
	}
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			any |= s->slot[u][t].key != NULL;
	if (!any) {
		if (why)
			(void)buf_printf(why, "card \"%s\": no key: give "
			    "p12=, key= and cert=, or osig-rsa-key= ...",
			    cc->name);
		card_free(card);
		card = NULL;
	}
out:
	soft_spec_free(&sp);
	if (card == NULL && why && why->len == 0)
		(void)buf_printf(why, "card \"%s\": out of memory", cc->name);
	buf_wipe(&pass);
	return card;
}
