/*
 * kim_env.c - the AuthEnvelopedData layer (RFC 5083): AES-256-GCM content
 * encryption, one KeyTransRecipientInfo per certificate (RSA-OAEP-SHA256
 * or gematik ECIES), recipient-emails in unauthAttrs.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "elc.h"
#include "kim_cms.h"
#include "kim_mime.h"

#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16
#define CEK_LEN 32

/* alg_null - an AlgorithmIdentifier with NULL parameters */
static X509_ALGOR *
alg_null(int nid)
{
	X509_ALGOR *a = X509_ALGOR_new();

	if (a != NULL && !X509_ALGOR_set0(a, OBJ_nid2obj(nid), V_ASN1_NULL,
	    NULL)) {
		X509_ALGOR_free(a);
		a = NULL;
	}
	return a;
}

/* oaep_alg - rsaesOaep, SHA-256, MGF1-SHA-256, empty label (as gematik) */
static X509_ALGOR *
oaep_alg(void)
{
	RSA_OAEP_PARAMS *pp;
	X509_ALGOR *a = NULL, *mh = NULL;
	ASN1_STRING *s = NULL;

	pp = RSA_OAEP_PARAMS_new();
	if (pp == NULL)
		return NULL;
	pp->hashFunc = alg_null(NID_sha256);
	pp->maskGenFunc = X509_ALGOR_new();
	mh = alg_null(NID_sha256);
	if (pp->hashFunc == NULL || pp->maskGenFunc == NULL || mh == NULL)
		goto fail;
	s = ASN1_item_pack(mh, ASN1_ITEM_rptr(X509_ALGOR), NULL);
	if (s == NULL || !X509_ALGOR_set0(pp->maskGenFunc,
	    OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, s))
		goto fail;
	s = ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_OAEP_PARAMS), NULL);
	a = X509_ALGOR_new();
	if (s == NULL || a == NULL || !X509_ALGOR_set0(a,
	    OBJ_nid2obj(NID_rsaesOaep), V_ASN1_SEQUENCE, s))
		goto fail;
	X509_ALGOR_free(mh);
	RSA_OAEP_PARAMS_free(pp);
	return a;
fail:
	ASN1_STRING_free(s);
	X509_ALGOR_free(a);
	X509_ALGOR_free(mh);
	RSA_OAEP_PARAMS_free(pp);
	return NULL;
}

/* oaep_ok - are these the OAEP parameters KIM uses? */
static int
oaep_ok(const X509_ALGOR *alg)
{
	RSA_OAEP_PARAMS *pp;
	X509_ALGOR *mh = NULL;
	const ASN1_OBJECT *o;
	int ok = 0;

	pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_OAEP_PARAMS),
	    alg->parameter);
	if (pp == NULL || pp->hashFunc == NULL || pp->maskGenFunc == NULL ||
	    pp->pSourceFunc != NULL)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, pp->hashFunc);
	if (OBJ_obj2nid(o) != NID_sha256)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, pp->maskGenFunc);
	if (OBJ_obj2nid(o) != NID_mgf1)
		goto out;
	mh = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
	    pp->maskGenFunc->parameter);
	if (mh == NULL)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, mh);
	ok = OBJ_obj2nid(o) == NID_sha256;
out:
	X509_ALGOR_free(mh);
	RSA_OAEP_PARAMS_free(pp);
	ERR_clear_error();
	return ok;
}

/* wrap_key - the encryptedKey of one recipient */
static int
wrap_key(X509 *cert, const unsigned char *cek, const char *ecies_oid,
    KIM_KTRI *ri, struct buf *why)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	EVP_PKEY_CTX *ctx = NULL;
	ASN1_OBJECT *obj = NULL;
	struct buf tmpl = BUF_INIT;
	unsigned char *ek = NULL;
	size_t eklen = 0;
	int rc = -1;

	if (pk == NULL)
		goto ossl;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		ri->key_alg = oaep_alg();
		ctx = EVP_PKEY_CTX_new(pk, NULL);
		if (ri->key_alg == NULL || ctx == NULL ||
		    EVP_PKEY_encrypt_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_encrypt(ctx, NULL, &eklen, cek, CEK_LEN) <= 0 ||
		    (ek = OPENSSL_malloc(eklen)) == NULL ||
		    EVP_PKEY_encrypt(ctx, ek, &eklen, cek, CEK_LEN) <= 0 ||
		    !ASN1_OCTET_STRING_set(ri->enc_key, ek, (int)eklen))
			goto ossl;
		rc = 0;
		goto out;
	}
	if (EVP_PKEY_is_a(pk, "EC") && elc_is_curve(pk)) {
		/* gematik ECIES: the card's ELC template, no parameters */
		obj = OBJ_txt2obj(ecies_oid ? ecies_oid :
		    KIM_OID_ECIES_DEFAULT, 1);
		ri->key_alg = X509_ALGOR_new();
		if (obj == NULL || ri->key_alg == NULL ||
		    !X509_ALGOR_set0(ri->key_alg, obj, V_ASN1_UNDEF, NULL))
			goto ossl;
		obj = NULL;
		if (elc_encrypt(pk, cek, CEK_LEN, &tmpl) != CARD_OK ||
		    !ASN1_OCTET_STRING_set(ri->enc_key, tmpl.data,
		    (int)tmpl.len))
			goto ossl;
		rc = 0;
		goto out;
	}
	buf_printf(why, "certificate key type %s is not supported for key "
	    "transport (RSA or brainpoolP256r1)", EVP_PKEY_get0_type_name(pk));
	goto out;
ossl:
	kim_ossl_why(why, "wrapping the content key");
out:
	ASN1_OBJECT_free(obj);
	buf_free(&tmpl);
	OPENSSL_free(ek);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* gcm_alg - aes-256-gcm with GCMParameters {nonce, 16} */
static int
gcm_alg(X509_ALGOR *alg, const unsigned char *nonce)
{
	KIM_GCM_PARAMS *gp;
	ASN1_STRING *s = NULL;
	int ok = 0;

	gp = KIM_GCM_PARAMS_new();
	if (gp == NULL)
		return 0;
	gp->icvlen = ASN1_INTEGER_new();
	if (gp->icvlen == NULL || !ASN1_INTEGER_set(gp->icvlen, GCM_TAG_LEN) ||
	    !ASN1_OCTET_STRING_set(gp->nonce, nonce, GCM_NONCE_LEN))
		goto out;
	s = ASN1_item_pack(gp, ASN1_ITEM_rptr(KIM_GCM_PARAMS), NULL);
	if (s == NULL || !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_aes_256_gcm),
	    V_ASN1_SEQUENCE, s))
		goto out;
	s = NULL;
	ok = 1;
out:
	ASN1_STRING_free(s);
	KIM_GCM_PARAMS_free(gp);
	return ok;
}

#define CHUNK 65536

/*
 * seal - encrypt the parts chunk by chunk and base64 them onto out; the
 * tag goes to tag.
 */
static int
seal(EVP_CIPHER_CTX *cctx, const struct kim_part *parts, size_t nparts,
    struct kim_b64 *st, struct buf *out, unsigned char *tag)
{
	unsigned char *ct;
	size_t i, off, n;
	int outl, rc = -1;

	ct = OPENSSL_malloc(CHUNK + 16);
	if (ct == NULL)
		return -1;
	for (i = 0; i < nparts; i++)
		for (off = 0; off < parts[i].len; off += n) {
			n = parts[i].len - off;
			if (n > CHUNK)
				n = CHUNK;
			if (EVP_EncryptUpdate(cctx, ct, &outl,
			    parts[i].data + off, (int)n) != 1 ||
			    kim_mime_b64_update(st, ct, (size_t)outl, out) < 0)
				goto out;
		}
	if (EVP_EncryptFinal_ex(cctx, ct, &outl) != 1 ||
	    kim_mime_b64_update(st, ct, (size_t)outl, out) < 0 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
	    tag) != 1)
		goto out;
	rc = 0;
out:
	OPENSSL_free(ct);
	return rc;
}

/* kim_env_build - encrypt the parts to the recipients, base64 onto out */
int
kim_env_build(const struct kim_part *parts, size_t nparts,
    const struct kim_rcpt *rcpts, size_t n,
    STACK_OF(KIM_RECIPIENT_EMAIL) *remails, const char *ecies_oid,
    struct buf *out, struct buf *why)
{
	STACK_OF(KIM_RECIPIENT_INFO) *ris = NULL;
	STACK_OF(X509_ATTRIBUTE) *unauth = NULL;
	KIM_RECIPIENT_INFO *ri = NULL;
	X509_ATTRIBUTE *attr = NULL;
	X509_ALGOR *alg = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	struct buf head = BUF_INIT, eci = BUF_INIT, ua = BUF_INIT;
	struct buf pre = BUF_INIT, t = BUF_INIT;
	struct kim_b64 st = KIM_B64_INIT;
	unsigned char cek[CEK_LEN], nonce[GCM_NONCE_LEN], tag[GCM_TAG_LEN];
	size_t clen = 0, i, ecilen, body, total;
	int rc = KIM_E_CRYPTO;

	for (i = 0; i < nparts; i++)
		clen += parts[i].len;
	if (clen > INT_MAX - 64) {
		buf_printf(why, "message too large");
		rc = KIM_E_INPUT;
		goto out;
	}
	if (RAND_bytes(cek, sizeof(cek)) != 1 ||
	    RAND_bytes(nonce, sizeof(nonce)) != 1)
		goto ossl;
	/* one KeyTransRecipientInfo per certificate (A_2108) */
	ris = sk_KIM_RECIPIENT_INFO_new_null();
	if (ris == NULL)
		goto ossl;
	for (i = 0; i < n; i++) {
		ri = KIM_RECIPIENT_INFO_new();
		if (ri == NULL)
			goto ossl;
		ri->type = KIM_RI_KTRI;
		ri->d.ktri = KIM_KTRI_new();
		if (ri->d.ktri == NULL ||
		    !ASN1_INTEGER_set(ri->d.ktri->version, 0))
			goto ossl;
		KIM_RID_free(ri->d.ktri->rid);
		X509_ALGOR_free(ri->d.ktri->key_alg);
		ri->d.ktri->key_alg = NULL;
		ri->d.ktri->rid = kim_asn1_rid_from_cert(rcpts[i].cert);
		if (ri->d.ktri->rid == NULL)
			goto ossl;
		if (wrap_key(rcpts[i].cert, cek, ecies_oid, ri->d.ktri,
		    why) < 0) {
			buf_printf(why, " (recipient %s)", rcpts[i].address);
			rc = KIM_E_CERT;
			goto out;
		}
		if (!sk_KIM_RECIPIENT_INFO_push(ris, ri))
			goto ossl;
		ri = NULL;
	}
	alg = X509_ALGOR_new();
	attr = kim_remails_attr(remails);
	if (alg == NULL || !gcm_alg(alg, nonce) || attr == NULL ||
	    X509at_add1_attr(&unauth, attr) == NULL)
		goto ossl;

	/*
	 * The DER around the ciphertext: ContentInfo { authEnvelopedData,
	 * AuthEnvelopedData { 0, recipientInfos, { id-data, aes256-GCM,
	 * [0] ciphertext }, mac, [2] unauthAttrs } }; lengths are known
	 * before encryption (GCM keeps the length, the tag has 16 bytes).
	 */
	if (buf_append(&head, "\x02\x01\x00", 3) < 0 ||
	    kim_asn1_append_i2d(&head, ris, ASN1_ITEM_rptr(KIM_RECIPIENT_INFOS)) < 0 ||
	    kim_asn1_append_i2d(&eci, OBJ_nid2obj(NID_pkcs7_data),
	    ASN1_ITEM_rptr(ASN1_OBJECT)) < 0 ||
	    kim_asn1_append_i2d(&eci, alg, ASN1_ITEM_rptr(X509_ALGOR)) < 0 ||
	    kim_asn1_append_i2d(&ua, unauth, ASN1_ITEM_rptr(KIM_ATTRIBUTES)) < 0)
		goto ossl;
	ua.data[0] = 0xa2;	/* [2] IMPLICIT SET OF */
	ecilen = eci.len + kim_asn1_hdr_size(clen) + clen;
	if (kim_asn1_hdr(&head, 0x30, ecilen) < 0 ||
	    buf_append(&head, eci.data, eci.len) < 0 ||
	    kim_asn1_hdr(&head, 0x80, clen) < 0)
		goto ossl;
	body = head.len + clen + 2 + GCM_TAG_LEN + ua.len;
	if (kim_asn1_append_i2d(&t, OBJ_nid2obj(NID_id_smime_ct_authEnvelopedData),
	    ASN1_ITEM_rptr(ASN1_OBJECT)) < 0 ||
	    kim_asn1_hdr(&pre, 0x30, t.len + kim_asn1_hdr_size(
	    kim_asn1_hdr_size(body) + body) + kim_asn1_hdr_size(body) +
	    body) < 0 ||
	    buf_append(&pre, t.data, t.len) < 0 ||
	    kim_asn1_hdr(&pre, 0xa0, kim_asn1_hdr_size(body) + body) < 0 ||
	    kim_asn1_hdr(&pre, 0x30, body) < 0 ||
	    buf_append(&pre, head.data, head.len) < 0)
		goto ossl;
	total = pre.len + clen + 2 + GCM_TAG_LEN + ua.len;
	if (buf_reserve(out, kim_mime_b64_size(total)) < 0) {
		rc = KIM_E_NOMEM;
		goto out;
	}
	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
	    EVP_EncryptInit_ex(cctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_IVLEN, GCM_NONCE_LEN,
	    NULL) != 1 ||
	    EVP_EncryptInit_ex(cctx, NULL, NULL, cek, nonce) != 1 ||
	    kim_mime_b64_update(&st, pre.data, pre.len, out) < 0 ||
	    seal(cctx, parts, nparts, &st, out, tag) < 0)
		goto ossl;
	buf_reset(&t);
	if (kim_asn1_hdr(&t, 0x04, GCM_TAG_LEN) < 0 ||
	    buf_append(&t, tag, GCM_TAG_LEN) < 0 ||
	    buf_append(&t, ua.data, ua.len) < 0 ||
	    kim_mime_b64_update(&st, t.data, t.len, out) < 0 ||
	    kim_mime_b64_final(&st, out) < 0)
		goto ossl;
	rc = 0;
	goto out;
ossl:
	kim_ossl_why(why, "building AuthEnvelopedData");
out:
	OPENSSL_cleanse(cek, sizeof(cek));
	EVP_CIPHER_CTX_free(cctx);
	X509_ATTRIBUTE_free(attr);
	X509_ALGOR_free(alg);
	KIM_RECIPIENT_INFO_free(ri);
	sk_KIM_RECIPIENT_INFO_pop_free(ris, KIM_RECIPIENT_INFO_free);
	sk_X509_ATTRIBUTE_pop_free(unauth, X509_ATTRIBUTE_free);
	buf_free(&head);
	buf_free(&eci);
	buf_free(&ua);
	buf_free(&pre);
	buf_free(&t);
	return rc;
}

/* set_dec - a decryption result and its reason */
static void
set_dec(struct kim_decode_result *r, enum kim_decryption code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_dec(struct kim_decode_result *r, enum kim_decryption code,
    const char *fmt, ...)
{
	va_list ap;

	r->decryption = code;
	buf_reset(&r->reason);
	va_start(ap, fmt);
	buf_vprintf(&r->reason, fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

/* find_ktri - the KeyTransRecipientInfo that rid names */
static KIM_KTRI *
find_ktri(KIM_AUTH_ENVELOPED *ae, const KIM_RID *rid)
{
	KIM_RECIPIENT_INFO *ri;
	int i;

	for (i = 0; i < sk_KIM_RECIPIENT_INFO_num(ae->ris); i++) {
		ri = sk_KIM_RECIPIENT_INFO_value(ae->ris, i);
		if (ri->type == KIM_RI_KTRI &&
		    kim_asn1_rid_cmp(ri->d.ktri->rid, rid) == 0)
			return ri->d.ktri;
	}
	return NULL;
}

/* gcm_params - nonce and tag length of the content encryption */
static int
gcm_params(const X509_ALGOR *alg, unsigned char *nonce, int *noncelen,
    int *taglen)
{
	KIM_GCM_PARAMS *gp;
	const ASN1_OBJECT *o;
	int ok = 0;

	X509_ALGOR_get0(&o, NULL, NULL, alg);
	if (OBJ_obj2nid(o) != NID_aes_256_gcm)
		return 0;
	gp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(KIM_GCM_PARAMS),
	    alg->parameter);
	if (gp == NULL || gp->nonce->length < 1 || gp->nonce->length > 64)
		goto out;
	*noncelen = gp->nonce->length;
	memcpy(nonce, gp->nonce->data, (size_t)*noncelen);
	*taglen = gp->icvlen ? (int)ASN1_INTEGER_get(gp->icvlen) : 12;
	ok = *taglen >= 12 && *taglen <= 16;
out:
	KIM_GCM_PARAMS_free(gp);
	ERR_clear_error();
	return ok;
}

/* unwrap - the content key of one KeyTransRecipientInfo, by the card */
static int
unwrap(const struct kim_decode_args *a, KIM_KTRI *kt,
    struct kim_decode_result *r, struct buf *cek)
{
	const ASN1_OBJECT *o;
	ASN1_OBJECT *ecies;
	enum card_decalg alg;
	enum card_keytype kt_type;
	struct buf why = BUF_INIT;
	X509 *mine;
	int crc, rc = -1;

	X509_ALGOR_get0(&o, NULL, NULL, kt->key_alg);
	ecies = OBJ_txt2obj(a->ecies_oid ? a->ecies_oid :
	    KIM_OID_ECIES_DEFAULT, 1);
	if (OBJ_obj2nid(o) == NID_rsaesOaep) {
		if (!oaep_ok(kt->key_alg)) {
			set_dec(r, KIM_DEC_FORMAT, "RSAES-OAEP parameters "
			    "other than SHA-256/MGF1-SHA-256");
			goto out;
		}
		alg = CARD_DEC_RSA_OAEP;
		kt_type = CARD_KEY_RSA;
	} else if (ecies != NULL && OBJ_cmp(o, ecies) == 0) {
		alg = CARD_DEC_ELC;
		kt_type = CARD_KEY_ECC;
	} else {
		set_dec(r, KIM_DEC_FORMAT, "unsupported key transport "
		    "algorithm");
		goto out;
	}
	/* the card must hold the key the RecipientInfo names */
	mine = card_certificate(a->card, CARD_USE_ENC, kt_type);
	if (mine == NULL || !kim_asn1_rid_matches(kt->rid, mine)) {
		set_dec(r, KIM_DEC_NOKEY, "the card's %s encryption "
		    "certificate is not the one the message names for %s",
		    kt_type == CARD_KEY_RSA ? "RSA" : "ECC", a->address);
		goto out;
	}
	crc = card_decipher(a->card, alg, kt->enc_key->data,
	    (size_t)kt->enc_key->length, cek, a->deadline, a->progress,
	    a->progress_arg, &why);
	r->card_err = crc;
	if (crc == CARD_E_CRYPTO) {
		set_dec(r, KIM_DEC_FORMAT, "the card rejected the key "
		    "cryptogram: %s", buf_str(&why));
		goto out;
	}
	if (crc != CARD_OK) {
		set_dec(r, card_err_transient(crc) ? KIM_DEC_KONNEKTOR :
		    KIM_DEC_NOKEY, "card: %s", buf_str(&why));
		goto out;
	}
	if (cek->len != CEK_LEN) {
		set_dec(r, KIM_DEC_FORMAT, "content key of %zu bytes, not 32",
		    cek->len);
		goto out;
	}
	rc = 0;
out:
	ASN1_OBJECT_free(ecies);
	buf_free(&why);
	return rc;
}

/* kim_env_open - decrypt for the receiving address */
int
kim_env_open(const unsigned char *der, size_t len,
    const struct kim_decode_args *a, struct kim_decode_result *r,
    STACK_OF(KIM_RECIPIENT_EMAIL) **remails)
{
	KIM_CI_AUTHENV *ci = NULL;
	KIM_AUTH_ENVELOPED *ae;
	KIM_RECIPIENT_EMAIL *re;
	KIM_KTRI *kt;
	ASN1_OCTET_STRING *ct;
	EVP_CIPHER_CTX *cctx = NULL;
	struct buf cek = BUF_INIT, why = BUF_INIT;
	const unsigned char *p = der;
	unsigned char nonce[64], *aad = NULL;
	int i, noncelen, taglen, outl, fl, aadlen = 0;
	int rc = 0;
	size_t alen;

	*remails = NULL;
	if (len > LONG_MAX ||
	    (ci = d2i_KIM_CI_AUTHENV(NULL, &p, (long)len)) == NULL) {
		set_dec(r, KIM_DEC_FORMAT, "AuthEnvelopedData is not valid "
		    "DER");
		goto out;
	}
	if (OBJ_obj2nid(ci->type) != NID_id_smime_ct_authEnvelopedData) {
		set_dec(r, KIM_DEC_FORMAT, "content type %s is not "
		    "authEnvelopedData", OBJ_nid2sn(OBJ_obj2nid(ci->type)));
		goto out;
	}
	ae = ci->d;
	if (ae->eci->content == NULL ||
	    !gcm_params(ae->eci->alg, nonce, &noncelen, &taglen) ||
	    ae->mac->length != taglen) {
		set_dec(r, KIM_DEC_FORMAT, "content encryption is not "
		    "AES-256-GCM with valid parameters");
		goto out;
	}
	if (kim_remails_find(ae->unauth_attrs, remails, &why) <= 0) {
		set_dec(r, KIM_DEC_NOKEY, "%s", why.len ? buf_str(&why) :
		    "no recipient-emails attribute: no RecipientInfo can be "
		    "chosen");
		goto out;
	}
	/* only the RecipientInfos recipient-emails names for our address */
	alen = strlen(a->address);
	set_dec(r, KIM_DEC_NOKEY, "no RecipientInfo for %s", a->address);
	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(*remails); i++) {
		re = sk_KIM_RECIPIENT_EMAIL_value(*remails, i);
		if ((size_t)re->email->length != alen ||
		    strncasecmp((const char *)re->email->data, a->address,
		    alen) != 0)
			continue;
		kt = find_ktri(ae, re->rid);
		if (kt == NULL)
			continue;
		buf_wipe(&cek);
		if (unwrap(a, kt, r, &cek) == 0)
			break;
	}
	if (cek.len != CEK_LEN)
		goto out;
	if (ae->auth_attrs != NULL) {
		aadlen = ASN1_item_i2d((ASN1_VALUE *)ae->auth_attrs, &aad,
		    ASN1_ITEM_rptr(KIM_ATTRIBUTES));
		if (aadlen <= 0) {
			rc = KIM_E_NOMEM;
			goto out;
		}
	}
	/* decrypt in place: the ciphertext's buffer becomes the plaintext */
	ct = ae->eci->content;
	cctx = EVP_CIPHER_CTX_new();
	if (cctx == NULL ||
	    EVP_DecryptInit_ex(cctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_IVLEN, noncelen,
	    NULL) != 1 ||
	    EVP_DecryptInit_ex(cctx, NULL, NULL, cek.data, nonce) != 1 ||
	    (aadlen > 0 && EVP_DecryptUpdate(cctx, NULL, &outl, aad,
	    aadlen) != 1) ||
	    EVP_DecryptUpdate(cctx, ct->data, &outl, ct->data,
	    ct->length) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_SET_TAG, taglen,
	    ae->mac->data) != 1) {
		rc = KIM_E_CRYPTO;
		goto out;
	}
	if (EVP_DecryptFinal_ex(cctx, ct->data + outl, &fl) != 1 ||
	    outl + fl != ct->length) {
		/* GCM hands out plaintext before the tag is checked: drop it */
		OPENSSL_cleanse(ct->data, (size_t)ct->length);
		set_dec(r, KIM_DEC_FORMAT, "authentication tag mismatch: the "
		    "ciphertext was altered");
		goto out;
	}
	if (kim_asn1_take(ct, &r->decrypted) < 0) {
		rc = KIM_E_NOMEM;
		goto out;
	}
	set_dec(r, KIM_DEC_OK, "decrypted");
out:
	OPENSSL_free(aad);
	EVP_CIPHER_CTX_free(cctx);
	buf_wipe(&cek);
	buf_free(&why);
	KIM_CI_AUTHENV_free(ci);
	ERR_clear_error();
	return rc;
}
