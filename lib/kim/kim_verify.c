/*
 * kim_verify.c - reading and checking the SignedData layer: signature over
 * the signed attributes as received, message digest, CMSAlgorithm-
 * Protection, signingCertificateV2, the signer's path and revocation.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "kim_cms.h"
#include "kim_mime.h"

#define OID_ALG_PROTECTION "1.2.840.113549.1.9.52"

/* set_int - an integrity result and its reason (the first reason wins) */
static void
set_int(struct kim_decode_result *r, enum kim_integrity code,
    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_int(struct kim_decode_result *r, enum kim_integrity code,
    const char *fmt, ...)
{
	va_list ap;

	r->integrity = code;
	buf_reset(&r->reason);
	va_start(ap, fmt);
	buf_vprintf(&r->reason, fmt, ap);
	va_end(ap);
	ERR_clear_error();
}

/*
 * der_damage - why a DER blob does not parse, in words: the field defect
 * of gematik's sample is binary run through line-ending conversion.
 */
static void
der_damage(const unsigned char *der, size_t len, struct buf *why)
{
	const unsigned char *p = der;
	long olen;
	int tag, xclass, r;
	size_t crlf = 0, i, want = 0;

	r = ASN1_get_object(&p, &olen, &tag, &xclass, (long)len);
	if (!(r & 0x80) && r != 0x21)
		want = (size_t)(p - der) + (size_t)olen;
	for (i = 0; i + 1 < len; i++)
		if (der[i] == '\r' && der[i + 1] == '\n')
			crlf++;
	buf_printf(why, "SignedData is not valid DER (%zu bytes", len);
	if (want)
		buf_printf(why, ", its outer length says %zu", want);
	buf_printf(why, ")");
	if (crlf && want && len > want && len - want <= crlf)
		buf_printf(why, ": %zu CR LF pairs and %zu surplus bytes: the "
		    "binary was damaged by line-ending conversion (bare CR/LF "
		    "turned into CRLF)", crlf, len - want);
}

/* attr_value - the single value of a signed attribute, or NULL */
static ASN1_TYPE *
attr_value(STACK_OF(X509_ATTRIBUTE) *attrs, int nid, int *count)
{
	X509_ATTRIBUTE *a;
	int idx;

	idx = X509at_get_attr_by_NID(attrs, nid, -1);
	*count = idx < 0 ? 0 : 1;
	if (idx < 0)
		return NULL;
	if (X509at_get_attr_by_NID(attrs, nid, idx) >= 0)
		*count = 2;
	a = X509at_get_attr(attrs, idx);
	if (X509_ATTRIBUTE_count(a) != 1) {
		*count = 2;
		return NULL;
	}
	return X509_ATTRIBUTE_get0_type(a, 0);
}

/* algor_eq - same algorithm and parameters (absent equals NULL) */
static int
algor_eq(const X509_ALGOR *a, const X509_ALGOR *b)
{
	const ASN1_OBJECT *oa, *ob;
	const void *pa, *pb;
	int ta, tb;

	X509_ALGOR_get0(&oa, &ta, &pa, a);
	X509_ALGOR_get0(&ob, &tb, &pb, b);
	if (OBJ_cmp(oa, ob) != 0)
		return 0;
	if ((ta == V_ASN1_UNDEF || ta == V_ASN1_NULL) &&
	    (tb == V_ASN1_UNDEF || tb == V_ASN1_NULL))
		return 1;
	return X509_ALGOR_cmp(a, b) == 0;
}

/* pss_salt - check the PSS parameters: SHA-256 and MGF1-SHA-256; the salt */
static int
pss_salt(const X509_ALGOR *alg)
{
	RSA_PSS_PARAMS *pp;
	X509_ALGOR *mh = NULL;
	const ASN1_OBJECT *o;
	int salt = -1;

	pp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
	    alg->parameter);
	if (pp == NULL || pp->hashAlgorithm == NULL ||
	    pp->maskGenAlgorithm == NULL)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, pp->hashAlgorithm);
	if (OBJ_obj2nid(o) != NID_sha256)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, pp->maskGenAlgorithm);
	if (OBJ_obj2nid(o) != NID_mgf1)
		goto out;
	mh = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
	    pp->maskGenAlgorithm->parameter);
	if (mh == NULL)
		goto out;
	X509_ALGOR_get0(&o, NULL, NULL, mh);
	if (OBJ_obj2nid(o) != NID_sha256)
		goto out;
	salt = pp->saltLength ? (int)ASN1_INTEGER_get(pp->saltLength) : 20;
out:
	X509_ALGOR_free(mh);
	RSA_PSS_PARAMS_free(pp);
	return salt;
}

/* check_sig - verify the signature over the hash of the signed attributes */
static int
check_sig(KIM_SIGNER_INFO *si, X509 *signer, const unsigned char *hash,
    struct buf *why)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	EVP_PKEY_CTX *ctx = NULL;
	const ASN1_OBJECT *o;
	int nid, salt, ok = 0;

	X509_ALGOR_get0(&o, NULL, NULL, si->sig_alg);
	nid = OBJ_obj2nid(o);
	if (pk == NULL || (ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	if (nid == NID_rsassaPss && EVP_PKEY_is_a(pk, "RSA")) {
		salt = pss_salt(si->sig_alg);
		if (salt < 0) {
			buf_printf(why, "unsupported RSASSA-PSS parameters");
			goto out;
		}
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, salt) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0)
			goto out;
	} else if (nid == NID_sha256WithRSAEncryption &&
	    EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0)
			goto out;
	} else if (nid == NID_ecdsa_with_SHA256 && EVP_PKEY_is_a(pk, "EC")) {
		;
	} else {
		buf_printf(why, "signature algorithm %s does not fit the "
		    "signer's %s key", OBJ_nid2sn(nid), EVP_PKEY_get0_type_name(pk));
		goto out;
	}
	if (EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
		goto out;
	ok = EVP_PKEY_verify(ctx, si->signature->data, si->signature->length,
	    hash, 32) == 1;
	if (!ok)
		buf_printf(why, "signature does not verify");
out:
	if (!ok && why->len == 0)
		buf_printf(why, "signature cannot be checked");
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* has_osig_policy - does the certificate carry C.HCI.OSIG? */
static int
has_osig_policy(X509 *cert)
{
	CERTIFICATEPOLICIES *pol;
	ASN1_OBJECT *osig;
	int i, found = 0;

	pol = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL);
	osig = OBJ_txt2obj(KIM_OID_POLICY_OSIG, 1);
	for (i = 0; pol && osig && i < sk_POLICYINFO_num(pol); i++)
		if (OBJ_cmp(sk_POLICYINFO_value(pol, i)->policyid, osig) == 0)
			found = 1;
	ASN1_OBJECT_free(osig);
	CERTIFICATEPOLICIES_free(pol);
	return found;
}

/* check_path - chain to the anchors (partial chains allowed), revocation */
static int
check_path(const struct kim_decode_args *a, struct kim_decode_result *r,
    STACK_OF(X509) *untrusted)
{
	X509_STORE_CTX *ctx = NULL;
	struct buf why = BUF_INIT;
	enum kim_rev rev;
	int rc = 0;

	if (a->require_osig_policy && !has_osig_policy(r->signer)) {
		set_int(r, KIM_INT_PATH, "signer certificate is not a "
		    "C.HCI.OSIG certificate (policy %s missing)",
		    KIM_OID_POLICY_OSIG);
		goto out;
	}
	if (a->anchors == NULL) {
		set_int(r, KIM_INT_PATH, "no trust anchors configured");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || !X509_STORE_CTX_init(ctx, a->anchors, r->signer,
	    untrusted)) {
		rc = KIM_E_NOMEM;
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	if (a->at)
		X509_STORE_CTX_set_time(ctx, 0, a->at);
	if (X509_verify_cert(ctx) != 1) {
		set_int(r, KIM_INT_PATH, "signer certificate path: %s",
		    X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	sk_X509_pop_free(r->chain, X509_free);
	r->chain = X509_STORE_CTX_get1_chain(ctx);
	if (a->revocation == NULL) {
		set_int(r, KIM_INT_UNCHECKED, "signature and path valid, "
		    "revocation status not checked");
		goto out;
	}
	rev = a->revocation(r->signer, r->chain, a->revocation_arg, &why);
	if (rev == KIM_REV_GOOD)
		set_int(r, KIM_INT_OK, "signature valid");
	else if (rev == KIM_REV_REVOKED)
		set_int(r, KIM_INT_PATH, "signer certificate revoked: %s",
		    buf_str(&why));
	else
		set_int(r, KIM_INT_UNCHECKED, "signature and path valid, "
		    "revocation status unknown: %s", buf_str(&why));
out:
	buf_free(&why);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* check_protection - CMSAlgorithmProtection names the algorithms used */
static int
check_protection(KIM_SIGNER_INFO *si, struct kim_decode_result *r)
{
	KIM_ALG_PROTECTION *ap = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_OBJECT *obj;
	ASN1_TYPE *v;
	int idx, rc = -1;

	obj = OBJ_txt2obj(OID_ALG_PROTECTION, 1);
	if (obj == NULL)
		return -1;
	idx = X509at_get_attr_by_OBJ(si->signed_attrs, obj, -1);
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return 0;
	attr = X509at_get_attr(si->signed_attrs, idx);
	v = X509_ATTRIBUTE_count(attr) == 1 ?
	    X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	if (v == NULL || v->type != V_ASN1_SEQUENCE || (ap =
	    ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(KIM_ALG_PROTECTION),
	    v)) == NULL) {
		set_int(r, KIM_INT_FORMAT, "malformed CMSAlgorithmProtection");
		goto out;
	}
	if (!algor_eq(ap->digest_alg, si->digest_alg) || ap->sig_alg == NULL ||
	    !algor_eq(ap->sig_alg, si->sig_alg)) {
		set_int(r, KIM_INT_INTEGRITY, "CMSAlgorithmProtection does not "
		    "match the algorithms of the SignerInfo");
		goto out;
	}
	rc = 0;
out:
	KIM_ALG_PROTECTION_free(ap);
	return rc;
}

/* check_ess - signingCertificateV2 names the signer certificate */
static int
check_ess(KIM_SIGNER_INFO *si, X509 *signer, struct kim_decode_result *r)
{
	ESS_SIGNING_CERT_V2 *sc = NULL;
	STACK_OF(X509) *chain = NULL;
	ASN1_TYPE *v;
	int n, rc = -1;

	v = attr_value(si->signed_attrs, NID_id_smime_aa_signingCertificateV2,
	    &n);
	if (n == 0)
		return 0;
	if (v == NULL || n != 1 || v->type != V_ASN1_SEQUENCE ||
	    (sc = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(ESS_SIGNING_CERT_V2),
	    v)) == NULL) {
		set_int(r, KIM_INT_FORMAT, "malformed signingCertificateV2");
		goto out;
	}
	chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, signer))
		goto out;
	if (OSSL_ESS_check_signing_certs(NULL, sc, chain, 1) != 1) {
		set_int(r, KIM_INT_INTEGRITY, "signingCertificateV2 does not "
		    "name the signer certificate");
		goto out;
	}
	rc = 0;
out:
	sk_X509_free(chain);
	ESS_SIGNING_CERT_V2_free(sc);
	ERR_clear_error();
	return rc;
}

/* kim_signed_verify - read and check the SignedData layer */
int
kim_signed_verify(const unsigned char *der, size_t len,
    const struct kim_decode_args *a, struct kim_decode_result *r,
    STACK_OF(KIM_RECIPIENT_EMAIL) **remails)
{
	KIM_CI_SIGNED *ci = NULL;
	KIM_SIGNED_DATA *sd;
	KIM_SIGNER_INFO *si;
	const unsigned char *p = der;
	unsigned char md[32], *adata = NULL;
	struct buf why = BUF_INIT, ct = BUF_INIT;
	const ASN1_OBJECT *dobj;
	ASN1_TYPE *v;
	X509 *signer = NULL;
	size_t hl, bo;
	long alen;
	int i, n, rc = 0;

	*remails = NULL;
	if (len > LONG_MAX ||
	    (ci = d2i_KIM_CI_SIGNED(NULL, &p, (long)len)) == NULL) {
		der_damage(der, len, &why);
		set_int(r, KIM_INT_FORMAT, "%s", buf_str(&why));
		goto out;
	}
	if ((size_t)(p - der) != len) {
		buf_reset(&why);
		der_damage(der, len, &why);
		set_int(r, KIM_INT_FORMAT, "%zu bytes after the SignedData; %s",
		    len - (size_t)(p - der), buf_str(&why));
		goto out;
	}
	if (OBJ_obj2nid(ci->type) != NID_pkcs7_signed) {
		set_int(r, KIM_INT_FORMAT, "content type %s is not signedData",
		    OBJ_nid2sn(OBJ_obj2nid(ci->type)));
		goto out;
	}
	sd = ci->d;
	n = sk_KIM_SIGNER_INFO_num(sd->signers);
	if (n == 0) {
		set_int(r, KIM_INT_NOSIG, "SignedData without SignerInfo");
		goto out;
	}
	if (n > 1) {
		set_int(r, KIM_INT_FORMAT, "%d SignerInfos, KIM allows one", n);
		goto out;
	}
	if (OBJ_obj2nid(sd->encap->type) != NID_pkcs7_data ||
	    sd->encap->content == NULL) {
		set_int(r, KIM_INT_FORMAT, "signed content missing or not "
		    "id-data");
		goto out;
	}
	if (kim_asn1_take(sd->encap->content, &r->content) < 0) {
		rc = KIM_E_NOMEM;
		goto out;
	}
	/* the inner message: after the "Content-Type: message/rfc822" wrap */
	kim_mime_split(r->content.data, r->content.len, &hl, &bo);
	r->msg_off = 0;
	if (kim_mime_get(r->content.data, hl, "Content-Type", &ct) > 0 &&
	    kim_mime_param(buf_str(&ct), NULL, &why) &&
	    strcmp(buf_str(&why), "message/rfc822") == 0)
		r->msg_off = bo;
	r->msg_len = r->content.len - r->msg_off;
	buf_reset(&why);

	si = sk_KIM_SIGNER_INFO_value(sd->signers, 0);
	for (i = 0; i < sk_X509_num(sd->certs); i++)
		if (kim_asn1_rid_matches(si->sid, sk_X509_value(sd->certs, i)))
			signer = sk_X509_value(sd->certs, i);
	if (signer == NULL) {
		set_int(r, KIM_INT_FORMAT, "signer certificate not in the "
		    "SignedData");
		goto out;
	}
	X509_free(r->signer);
	r->signer = signer;
	X509_up_ref(signer);
	sk_X509_pop_free(r->chain, X509_free);
	r->chain = X509_chain_up_ref(sd->certs);
	X509_ALGOR_get0(&dobj, NULL, NULL, si->digest_alg);
	if (OBJ_obj2nid(dobj) != NID_sha256) {
		set_int(r, KIM_INT_FORMAT, "digest algorithm is not SHA-256");
		goto out;
	}
	if (si->signed_attrs == NULL) {
		set_int(r, KIM_INT_FORMAT, "SignerInfo without signed "
		    "attributes");
		goto out;
	}
	v = attr_value(si->signed_attrs, NID_pkcs9_contentType, &n);
	if (v == NULL || n != 1 || v->type != V_ASN1_OBJECT ||
	    OBJ_obj2nid(v->value.object) != NID_pkcs7_data) {
		set_int(r, KIM_INT_FORMAT, "contentType attribute missing or "
		    "not id-data");
		goto out;
	}
	v = attr_value(si->signed_attrs, NID_pkcs9_messageDigest, &n);
	if (v == NULL || n != 1 || v->type != V_ASN1_OCTET_STRING) {
		set_int(r, KIM_INT_FORMAT, "messageDigest attribute missing");
		goto out;
	}
	if (EVP_Digest(r->content.data, r->content.len, md, NULL, EVP_sha256(),
	    NULL) != 1) {
		rc = KIM_E_CRYPTO;
		goto out;
	}
	if (v->value.octet_string->length != 32 ||
	    CRYPTO_memcmp(md, v->value.octet_string->data, 32) != 0) {
		set_int(r, KIM_INT_INTEGRITY, "message digest mismatch: the "
		    "signed content was altered");
		goto out;
	}
	alen = kim_asn1_signed_attrs_der(si, &adata);
	if (alen <= 0 || EVP_Digest(adata, (size_t)alen, md, NULL,
	    EVP_sha256(), NULL) != 1) {
		rc = KIM_E_NOMEM;
		goto out;
	}
	if (!check_sig(si, signer, md, &why)) {
		set_int(r, KIM_INT_INTEGRITY, "%s", buf_str(&why));
		goto out;
	}
	/* RFC 6211: the algorithms as signed must be the ones used */
	if (check_protection(si, r) < 0 || check_ess(si, signer, r) < 0)
		goto out;
	if (kim_remails_find(si->signed_attrs, remails, &why) < 0) {
		set_int(r, KIM_INT_FORMAT, "signed %s", buf_str(&why));
		goto out;
	}
	rc = check_path(a, r, sd->certs);
out:
	OPENSSL_free(adata);
	buf_free(&why);
	buf_free(&ct);
	KIM_CI_SIGNED_free(ci);
	ERR_clear_error();
	return rc;
}
