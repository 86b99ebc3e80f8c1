/*
 * dir_cert.c - encryption certificate checks with reason codes.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dir_cert.h"

static const struct {
	const char *code;
	const char *text;
} reasons[DIR_CERT_NREASONS] = {
	[DIR_CERT_OK] = {"ok", "usable for encryption"},
	[DIR_CERT_UNPARSABLE] = {"unparsable",
	    "the directory value is not a DER certificate"},
	[DIR_CERT_NOT_ENC] = {"not-enc-policy",
	    "not an encryption certificate (no C.HCI.ENC or C.HP.ENC policy)"},
	[DIR_CERT_KEY_USAGE] = {"key-usage",
	    "key usage does not allow encryption (keyEncipherment for RSA, "
	    "keyAgreement for ECC)"},
	[DIR_CERT_KEY_TYPE] = {"key-type",
	    "key is neither RSA of at least 2048 bits nor brainpoolP256r1"},
	[DIR_CERT_NO_TELEMATIK_ID] = {"no-telematik-id",
	    "no Telematik-ID in the admission extension"},
	[DIR_CERT_UNTRUSTED] = {"untrusted",
	    "no chain to the configured TrustAnchors"},
	[DIR_CERT_BAD_SIGNATURE] = {"bad-signature",
	    "the certificate's signature does not verify"},
	[DIR_CERT_KEY_REUSED] = {"key-reused",
	    "the same public key is published under another Telematik-ID"},
	[DIR_CERT_NOT_YET_VALID] = {"not-yet-valid",
	    "the certificate is not valid yet"},
	[DIR_CERT_EXPIRED] = {"expired", "the certificate has expired"},
	[DIR_CERT_MIXED_TELEMATIK_ID] = {"mixed-telematik-id",
	    "the address's certificates carry different Telematik-IDs (A_2178)"},
	[DIR_CERT_CA_EXPIRED] = {"ca-expired",
	    "a CA certificate of the chain has expired or is not valid yet"},
};

/* dir_cert_reason_code - short code */
const char *
dir_cert_reason_code(enum dir_cert_reason r)
{
	if ((unsigned)r >= DIR_CERT_NREASONS)
		return "unknown";
	return reasons[r].code;
}

/* dir_cert_reason_text - long text */
const char *
dir_cert_reason_text(enum dir_cert_reason r)
{
	if ((unsigned)r >= DIR_CERT_NREASONS)
		return "unknown reason";
	return reasons[r].text;
}

/* dir_cert_reason_parse - code to enum */
int
dir_cert_reason_parse(const char *code)
{
	int i;

	for (i = 0; i < DIR_CERT_NREASONS; i++)
		if (strcmp(code, reasons[i].code) == 0)
			return i;
	return -1;
}

/* hexify - lower-case hex of n bytes into out (2n+1) */
static void
hexify(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* ascii_name - a name as one ASCII line (RFC 2253, non-ASCII escaped) */
static void
ascii_name(const X509_NAME *name, char *out, size_t outsz)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	size_t i, j = 0;

	out[0] = 0;
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &p);
		for (i = 0; i < (size_t)n && j + 1 < outsz; i++) {
			unsigned char ch = (unsigned char)p[i];

			out[j++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
		}
		out[j] = 0;
	}
	BIO_free(b);
}

/* asn1_time_t - ASN1_TIME to time_t; 0 on failure */
static time_t
asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* dir_cert_telematik_id - first registrationNumber of the admissions */
int
dir_cert_telematik_id(X509 *x, char *out, size_t outsz)
{
	ADMISSION_SYNTAX *as;
	const STACK_OF(ADMISSIONS) *ads;
	int i, j, rc = -1;

	out[0] = 0;
	as = X509_get_ext_d2i(x, NID_x509ExtAdmission, NULL, NULL);
	if (as == NULL)
		return -1;
	ads = ADMISSION_SYNTAX_get0_contentsOfAdmissions(as);
	for (i = 0; rc < 0 && i < sk_ADMISSIONS_num(ads); i++) {
		const PROFESSION_INFOS *pis = ADMISSIONS_get0_professionInfos(
		    sk_ADMISSIONS_value(ads, i));

		for (j = 0; rc < 0 && j < sk_PROFESSION_INFO_num(pis); j++) {
			const ASN1_PRINTABLESTRING *rn =
			    PROFESSION_INFO_get0_registrationNumber(
			    sk_PROFESSION_INFO_value(pis, j));
			int len, k;

			if (rn == NULL || (len = ASN1_STRING_length(rn)) <= 0 ||
			    (size_t)len >= outsz)
				continue;
			memcpy(out, ASN1_STRING_get0_data(rn), (size_t)len);
			out[len] = 0;
			for (k = 0; k < len; k++)
				if (!isprint((unsigned char)out[k]) ||
				    out[k] == ' ')
					out[k] = '?';
			rc = 0;
		}
	}
	ADMISSION_SYNTAX_free(as);
	return rc;
}

/* fill_key - key type, size and SPKI fingerprint */
static void
fill_key(struct dir_cert *c)
{
	EVP_PKEY *pk = X509_get0_pubkey(c->x509);
	unsigned char *spki = NULL, md[32];
	unsigned mdlen = 0;
	char group[32];
	int n;

	if (pk == NULL) {
		snprintf(c->key_type, sizeof(c->key_type), "unknown");
		return;
	}
	c->key_bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		snprintf(c->key_type, sizeof(c->key_type), "RSA");
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		c->is_ec = 1;
		if (EVP_PKEY_get_group_name(pk, group, sizeof(group), NULL) != 1)
			snprintf(group, sizeof(group), "unknown-curve");
		snprintf(c->key_type, sizeof(c->key_type), "EC %s", group);
	} else {
		snprintf(c->key_type, sizeof(c->key_type), "%s",
		    EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) :
		    "unknown");
	}
	n = i2d_PUBKEY(pk, &spki);
	if (n > 0 && EVP_Digest(spki, (size_t)n, md, &mdlen, EVP_sha256(),
	    NULL) == 1)
		hexify(md, mdlen, c->key_fingerprint);
	OPENSSL_free(spki);
}

/* dir_cert_from_der - copy and parse */
int
dir_cert_from_der(const unsigned char *der, size_t len, struct dir_cert *c)
{
	const unsigned char *p = der;
	unsigned char md[32];
	unsigned mdlen = 0;
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char *hex = NULL;

	memset(c, 0, sizeof(*c));
	if ((c->der = malloc(len ? len : 1)) == NULL)
		return -1;
	memcpy(c->der, der, len);
	c->der_len = len;
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) == 1)
		hexify(md, mdlen, c->fingerprint);
	c->x509 = d2i_X509(NULL, &p, (long)len);
	if (c->x509 == NULL || p != der + len) {
		X509_free(c->x509);
		c->x509 = NULL;
		ERR_clear_error();
		c->static_reason = c->reason = DIR_CERT_UNPARSABLE;
		return 0;
	}
	ascii_name(X509_get_subject_name(c->x509), c->subject,
	    sizeof(c->subject));
	ascii_name(X509_get_issuer_name(c->x509), c->issuer,
	    sizeof(c->issuer));
	sn = X509_get0_serialNumber(c->x509);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL)
		snprintf(c->serial, sizeof(c->serial), "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	c->not_before = asn1_time_t(X509_get0_notBefore(c->x509));
	c->not_after = asn1_time_t(X509_get0_notAfter(c->x509));
	(void)dir_cert_telematik_id(c->x509, c->telematik_id,
	    sizeof(c->telematik_id));
	fill_key(c);
	ERR_clear_error();
	return 0;
}

/* dir_cert_copy - deep copy */
int
dir_cert_copy(struct dir_cert *dst, const struct dir_cert *src)
{
	*dst = *src;
	dst->der = malloc(src->der_len ? src->der_len : 1);
	if (dst->der == NULL) {
		dst->x509 = NULL;
		return -1;
	}
	memcpy(dst->der, src->der, src->der_len);
	if (dst->x509)
		X509_up_ref(dst->x509);
	return 0;
}

/* dir_cert_clear - release */
void
dir_cert_clear(struct dir_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	free(c->der);
	c->x509 = NULL;
	c->der = NULL;
	c->der_len = 0;
}

/* dir_cert_anchors_load - a store from a PEM bundle */
X509_STORE *
dir_cert_anchors_load(const char *path, struct buf *why)
{
	X509_STORE *st = NULL;
	X509 *x;
	BIO *b;
	int n = 0;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		(void)buf_printf(why, "TrustAnchors %s: cannot open", path);
		goto out;
	}
	if ((st = X509_STORE_new()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(st, x) != 1)
			ERR_clear_error();	/* a duplicate */
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	if (n == 0) {
		(void)buf_printf(why,
		    "TrustAnchors %s: no PEM certificate in the file", path);
		X509_STORE_free(st);
		st = NULL;
		goto out;
	}
	/*
	 * TSL anchors are often sub-CAs. The dates of the chain's CAs (the
	 * anchor included) are checked; the leaf's are left to every read
	 * (chain_verify_cb).
	 */
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
out:
	BIO_free(b);
	return st;
}

/* has_enc_policy - C.HCI.ENC or C.HP.ENC among the certificate policies */
static int
has_enc_policy(X509 *x)
{
	CERTIFICATEPOLICIES *pols;
	char oid[80];
	int i, found = 0;

	pols = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
	if (pols == NULL)
		return 0;
	for (i = 0; !found && i < sk_POLICYINFO_num(pols); i++) {
		POLICYINFO *pi = sk_POLICYINFO_value(pols, i);

		if (OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1) <= 0)
			continue;
		if (strcmp(oid, DIR_OID_HCI_ENC) == 0 ||
		    strcmp(oid, DIR_OID_HP_ENC) == 0)
			found = 1;
	}
	CERTIFICATEPOLICIES_free(pols);
	return found;
}

/* is_time_error - a verify error about a certificate's dates */
static int
is_time_error(int err)
{
	return err == X509_V_ERR_CERT_HAS_EXPIRED ||
	    err == X509_V_ERR_CERT_NOT_YET_VALID ||
	    err == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD ||
	    err == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
}

/*
 * chain_verify_cb - let the leaf's own dates pass: they are checked on
 * every read against the (test-settable) clock, so that an entry written
 * yesterday still expires on time. Every other error stands.
 */
static int
chain_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error_depth(ctx) == 0 &&
	    is_time_error(X509_STORE_CTX_get_error(ctx)))
		return 1;
	return ok;
}

/* chain_check - verify against the anchors; a reason */
static enum dir_cert_reason
chain_check(X509 *x, X509_STORE *anchors)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	enum dir_cert_reason r = DIR_CERT_UNTRUSTED;
	int err;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, anchors, x, NULL) != 1)
		goto out;
	X509_STORE_CTX_set_verify_cb(ctx, chain_verify_cb);
	if (X509_verify_cert(ctx) == 1) {
		r = DIR_CERT_OK;
		goto out;
	}
	err = X509_STORE_CTX_get_error(ctx);
	if (err == X509_V_ERR_CERT_SIGNATURE_FAILURE ||
	    err == X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE)
		r = DIR_CERT_BAD_SIGNATURE;
	else if (is_time_error(err))	/* depth > 0: see chain_verify_cb */
		r = DIR_CERT_CA_EXPIRED;
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return r;
}

/* dir_cert_check_static - write-time checks */
void
dir_cert_check_static(struct dir_cert *c, X509_STORE *anchors)
{
	uint32_t ku;
	enum dir_cert_reason r = DIR_CERT_OK;

	if (c->x509 == NULL) {
		r = DIR_CERT_UNPARSABLE;
		goto out;
	}
	if (!has_enc_policy(c->x509)) {
		r = DIR_CERT_NOT_ENC;
		goto out;
	}
	if (c->is_ec ? strcmp(c->key_type, "EC brainpoolP256r1") != 0 :
	    (strcmp(c->key_type, "RSA") != 0 ||
	    c->key_bits < DIR_CERT_RSA_MIN_BITS)) {
		r = DIR_CERT_KEY_TYPE;
		goto out;
	}
	ku = X509_get_key_usage(c->x509);
	if (ku == UINT32_MAX ||
	    !(ku & (c->is_ec ? KU_KEY_AGREEMENT : KU_KEY_ENCIPHERMENT))) {
		r = DIR_CERT_KEY_USAGE;
		goto out;
	}
	if (c->telematik_id[0] == 0) {
		r = DIR_CERT_NO_TELEMATIK_ID;
		goto out;
	}
	if (anchors)
		r = chain_check(c->x509, anchors);
out:
	ERR_clear_error();
	c->static_reason = c->reason = r;
}

/* dir_cert_check_time - dates */
void
dir_cert_check_time(struct dir_cert *c, time_t now)
{
	if (c->static_reason != DIR_CERT_OK)
		c->reason = c->static_reason;
	else if (now < c->not_before)
		c->reason = DIR_CERT_NOT_YET_VALID;
	else if (now > c->not_after)
		c->reason = DIR_CERT_EXPIRED;
	else
		c->reason = DIR_CERT_OK;
}

/* dir_cert_check_entry - one Telematik-ID per address */
int
dir_cert_check_entry(struct dir_cert *certs, size_t n)
{
	const char *first = NULL;
	int distinct = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (certs[i].telematik_id[0] == 0)
			continue;
		if (first == NULL) {
			first = certs[i].telematik_id;
			distinct = 1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(certs[j].telematik_id,
			    certs[i].telematik_id) == 0)
				break;
		if (j == i)
			distinct++;
	}
	if (distinct > 1)
		for (i = 0; i < n; i++)
			if (certs[i].reason == DIR_CERT_OK)
				certs[i].reason = DIR_CERT_MIXED_TELEMATIK_ID;
	return distinct;
}
