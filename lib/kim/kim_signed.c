/*
 * kim_signed.c - building the SignedData layer: a card signature over our
 * own signed attributes, the DER assembled around the content (reading it
 * is kim_verify.c).
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

static const char signed_entity_hdr[] =
    "MIME-Version: 1.0\r\n"
    "Content-Type: application/pkcs7-mime; smime-type=signed-data; "
    "name=smime.p7m\r\n"
    "Content-Transfer-Encoding: binary\r\n"
    "Content-Disposition: attachment; filename=smime.p7m\r\n"
    "\r\n";

/* sha256_alg - AlgorithmIdentifier sha256 with NULL parameters (as gematik) */
static X509_ALGOR *
sha256_alg(void)
{
	X509_ALGOR *a = X509_ALGOR_new();

	if (a != NULL && !X509_ALGOR_set0(a, OBJ_nid2obj(NID_sha256),
	    V_ASN1_NULL, NULL)) {
		X509_ALGOR_free(a);
		a = NULL;
	}
	return a;
}

/* pss_alg - rsassaPss, SHA-256, MGF1-SHA-256, salt 32 */
static X509_ALGOR *
pss_alg(void)
{
	RSA_PSS_PARAMS *pp = NULL;
	X509_ALGOR *a = NULL, *mgfh = NULL;
	ASN1_STRING *s = NULL;

	pp = RSA_PSS_PARAMS_new();
	if (pp == NULL)
		goto fail;
	pp->hashAlgorithm = sha256_alg();
	pp->maskGenAlgorithm = X509_ALGOR_new();
	pp->saltLength = ASN1_INTEGER_new();
	mgfh = sha256_alg();
	if (pp->hashAlgorithm == NULL || pp->maskGenAlgorithm == NULL ||
	    pp->saltLength == NULL || mgfh == NULL ||
	    !ASN1_INTEGER_set(pp->saltLength, 32))
		goto fail;
	s = ASN1_item_pack(mgfh, ASN1_ITEM_rptr(X509_ALGOR), NULL);
	if (s == NULL || !X509_ALGOR_set0(pp->maskGenAlgorithm,
	    OBJ_nid2obj(NID_mgf1), V_ASN1_SEQUENCE, s))
		goto fail;
	s = ASN1_item_pack(pp, ASN1_ITEM_rptr(RSA_PSS_PARAMS), NULL);
	a = X509_ALGOR_new();
	if (s == NULL || a == NULL ||
	    !X509_ALGOR_set0(a, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE,
	    s))
		goto fail;
	X509_ALGOR_free(mgfh);
	RSA_PSS_PARAMS_free(pp);
	return a;
fail:
	ASN1_STRING_free(s);
	X509_ALGOR_free(mgfh);
	X509_ALGOR_free(a);
	RSA_PSS_PARAMS_free(pp);
	return NULL;
}

/* add_attr - push an attribute of one value; the value is copied */
static int
add_attr(STACK_OF(X509_ATTRIBUTE) **sk, ASN1_OBJECT *obj, int type,
    const void *data, int len)
{
	X509_ATTRIBUTE *a;

	a = X509_ATTRIBUTE_create_by_OBJ(NULL, obj, type, data, len);
	if (a == NULL)
		return -1;
	if (X509at_add1_attr(sk, a) == NULL) {
		X509_ATTRIBUTE_free(a);
		return -1;
	}
	X509_ATTRIBUTE_free(a);
	return 0;
}

/* add_packed - push an attribute whose value is a packed structure */
static int
add_packed(STACK_OF(X509_ATTRIBUTE) **sk, ASN1_OBJECT *obj, void *val,
    const ASN1_ITEM *it)
{
	unsigned char *der = NULL;
	int len, rc;

	len = ASN1_item_i2d(val, &der, it);
	if (len <= 0)
		return -1;
	rc = add_attr(sk, obj, V_ASN1_SEQUENCE, der, len);
	OPENSSL_free(der);
	return rc;
}

/* make_attrs - the six signed attributes of A_2127 */
static STACK_OF(X509_ATTRIBUTE) *
make_attrs(const unsigned char *md, time_t now, X509 *signer,
    const X509_ALGOR *sig_alg, STACK_OF(KIM_RECIPIENT_EMAIL) *remails)
{
	STACK_OF(X509_ATTRIBUTE) *sk = NULL;
	KIM_ALG_PROTECTION *ap = NULL;
	ESS_SIGNING_CERT_V2 *sc = NULL;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_OBJECT *apobj = NULL;
	X509_ATTRIBUTE *re = NULL;
	ASN1_TIME *t = NULL;
	int ok = 0;

	t = ASN1_TIME_set(NULL, now);	/* UTCTime until 2049 */
	os = ASN1_OCTET_STRING_new();
	ap = KIM_ALG_PROTECTION_new();
	apobj = OBJ_txt2obj(OID_ALG_PROTECTION, 1);
	sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), signer, NULL, 1);
	re = kim_remails_attr(remails);
	if (t == NULL || os == NULL || ap == NULL || apobj == NULL ||
	    sc == NULL || re == NULL || !ASN1_OCTET_STRING_set(os, md, 32))
		goto out;
	X509_ALGOR_free(ap->digest_alg);
	ap->digest_alg = sha256_alg();
	ap->sig_alg = X509_ALGOR_dup(sig_alg);
	if (ap->digest_alg == NULL || ap->sig_alg == NULL)
		goto out;
	if (add_attr(&sk, OBJ_nid2obj(NID_pkcs9_contentType), V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_pkcs7_data), -1) < 0 ||
	    add_attr(&sk, OBJ_nid2obj(NID_pkcs9_signingTime), t->type, t,
	    -1) < 0 ||
	    add_attr(&sk, OBJ_nid2obj(NID_pkcs9_messageDigest),
	    V_ASN1_OCTET_STRING, os, -1) < 0 ||
	    add_packed(&sk, apobj, ap, ASN1_ITEM_rptr(KIM_ALG_PROTECTION)) < 0 ||
	    add_packed(&sk, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2),
	    sc, ASN1_ITEM_rptr(ESS_SIGNING_CERT_V2)) < 0 ||
	    X509at_add1_attr(&sk, re) == NULL)
		goto out;
	ok = 1;
out:
	if (!ok) {
		sk_X509_ATTRIBUTE_pop_free(sk, X509_ATTRIBUTE_free);
		sk = NULL;
	}
	X509_ATTRIBUTE_free(re);
	ESS_SIGNING_CERT_V2_free(sc);
	ASN1_OBJECT_free(apobj);
	KIM_ALG_PROTECTION_free(ap);
	ASN1_OCTET_STRING_free(os);
	ASN1_TIME_free(t);
	return sk;
}

/*
 * assemble - the DER around the content: ContentInfo { signedData,
 * SignedData { 1, {sha256}, { id-data, [0] OCTET STRING content },
 * [0] { signer }, { signerInfo } } }. The content itself is never copied:
 * prefix and suffix go before and after it.
 */
static int
assemble(size_t clen, X509 *signer, KIM_SIGNER_INFO *si,
    struct buf *prefix, struct buf *suffix)
{
	struct buf head = BUF_INIT, tail = BUF_INIT, t = BUF_INIT;
	ASN1_INTEGER *one = ASN1_INTEGER_new();
	X509_ALGOR *dalg = sha256_alg();
	size_t oct, exp, encap, body;
	int rc = -1;

	/* version, digestAlgorithms */
	if (one == NULL || dalg == NULL || !ASN1_INTEGER_set(one, 1) ||
	    kim_asn1_append_i2d(&head, one, ASN1_ITEM_rptr(ASN1_INTEGER)) < 0 ||
	    kim_asn1_append_i2d(&t, dalg, ASN1_ITEM_rptr(X509_ALGOR)) < 0 ||
	    kim_asn1_hdr(&head, 0x31, t.len) < 0 ||
	    buf_append(&head, t.data, t.len) < 0)
		goto out;
	/* encapContentInfo up to the content octets */
	buf_reset(&t);
	if (kim_asn1_append_i2d(&t, OBJ_nid2obj(NID_pkcs7_data),
	    ASN1_ITEM_rptr(ASN1_OBJECT)) < 0)
		goto out;
	oct = kim_asn1_hdr_size(clen) + clen;
	exp = kim_asn1_hdr_size(oct) + oct;
	encap = t.len + exp;
	if (kim_asn1_hdr(&head, 0x30, encap) < 0 ||
	    buf_append(&head, t.data, t.len) < 0 ||
	    kim_asn1_hdr(&head, 0xa0, oct) < 0 ||
	    kim_asn1_hdr(&head, 0x04, clen) < 0)
		goto out;
	/* certificates [0] IMPLICIT SET OF, signerInfos SET OF */
	buf_reset(&t);
	if (kim_asn1_append_i2d(&t, signer, ASN1_ITEM_rptr(X509)) < 0 ||
	    kim_asn1_hdr(&tail, 0xa0, t.len) < 0 ||
	    buf_append(&tail, t.data, t.len) < 0)
		goto out;
	buf_reset(&t);
	if (kim_asn1_append_i2d(&t, si, ASN1_ITEM_rptr(KIM_SIGNER_INFO)) < 0 ||
	    kim_asn1_hdr(&tail, 0x31, t.len) < 0 ||
	    buf_append(&tail, t.data, t.len) < 0)
		goto out;
	/* the encap header counts once in head: take the content out */
	body = head.len + clen + tail.len;
	buf_reset(&t);
	if (kim_asn1_append_i2d(&t, OBJ_nid2obj(NID_pkcs7_signed),
	    ASN1_ITEM_rptr(ASN1_OBJECT)) < 0)
		goto out;
	if (buf_append(prefix, signed_entity_hdr,
	    sizeof(signed_entity_hdr) - 1) < 0 ||
	    kim_asn1_hdr(prefix, 0x30, t.len + kim_asn1_hdr_size(
	    kim_asn1_hdr_size(body) + body) + kim_asn1_hdr_size(body) +
	    body) < 0 ||
	    buf_append(prefix, t.data, t.len) < 0 ||
	    kim_asn1_hdr(prefix, 0xa0, kim_asn1_hdr_size(body) + body) < 0 ||
	    kim_asn1_hdr(prefix, 0x30, body) < 0 ||
	    buf_append(prefix, head.data, head.len) < 0 ||
	    buf_append(suffix, tail.data, tail.len) < 0)
		goto out;
	rc = 0;
out:
	ASN1_INTEGER_free(one);
	X509_ALGOR_free(dalg);
	buf_free(&head);
	buf_free(&tail);
	buf_free(&t);
	return rc;
}

/* kim_signed_build - sign content with the card: entity prefix and suffix */
int
kim_signed_build(const struct buf *content, struct kim_cardctx *cc,
    int prefer_rsa, STACK_OF(KIM_RECIPIENT_EMAIL) *remails, time_t now,
    struct buf *prefix, struct buf *suffix, struct buf *why)
{
	KIM_SIGNER_INFO *si = NULL;
	struct buf sig = BUF_INIT;
	unsigned char md[32], amd[32], *ader = NULL;
	enum card_sigalg alg;
	X509 *signer;
	int rc = KIM_E_NOMEM, alen, crc;

	signer = prefer_rsa ? NULL :
	    card_certificate(cc->card, CARD_USE_OSIG, CARD_KEY_ECC);
	alg = CARD_SIG_ECDSA;
	if (signer == NULL) {
		signer = card_certificate(cc->card, CARD_USE_OSIG,
		    CARD_KEY_RSA);
		alg = CARD_SIG_RSA_PSS;
	}
	if (signer == NULL) {
		buf_printf(why, "card %s has no OSIG certificate",
		    cc->card->name ? cc->card->name : "");
		rc = KIM_E_CERT;
		goto out;
	}
	if (EVP_Digest(content->data, content->len, md, NULL, EVP_sha256(),
	    NULL) != 1)
		goto ossl;
	si = KIM_SIGNER_INFO_new();
	if (si == NULL)
		goto ossl;
	/* SignerInfo v1, issuerAndSerialNumber (A_2124) */
	if (!ASN1_INTEGER_set(si->version, 1))
		goto ossl;
	KIM_RID_free(si->sid);
	si->sid = kim_asn1_rid_from_cert(signer);
	X509_ALGOR_free(si->digest_alg);
	si->digest_alg = sha256_alg();
	X509_ALGOR_free(si->sig_alg);
	if (alg == CARD_SIG_RSA_PSS) {
		si->sig_alg = pss_alg();
	} else {
		si->sig_alg = X509_ALGOR_new();
		if (si->sig_alg != NULL && !X509_ALGOR_set0(si->sig_alg,
		    OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL))
			goto ossl;
	}
	if (si->sid == NULL || si->digest_alg == NULL || si->sig_alg == NULL)
		goto ossl;
	si->signed_attrs = make_attrs(md, now, signer, si->sig_alg, remails);
	if (si->signed_attrs == NULL)
		goto ossl;
	/* what is signed is the DER of the SET, sorted as it is encoded */
	alen = ASN1_item_i2d((ASN1_VALUE *)si->signed_attrs, &ader,
	    ASN1_ITEM_rptr(KIM_ATTRIBUTES));
	if (alen <= 0 || EVP_Digest(ader, alen, amd, NULL, EVP_sha256(),
	    NULL) != 1)
		goto ossl;
	crc = card_sign(cc->card, alg, amd, &sig, cc->deadline, cc->progress,
	    cc->arg, why);
	if (crc != CARD_OK) {
		cc->card_err = crc;
		rc = KIM_E_CARD;
		goto out;
	}
	if (!ASN1_OCTET_STRING_set(si->signature, sig.data, (int)sig.len))
		goto ossl;
	if (assemble(content->len, signer, si, prefix, suffix) < 0)
		goto ossl;
	rc = 0;
	goto out;
ossl:
	kim_ossl_why(why, "building SignedData");
	rc = KIM_E_CRYPTO;
out:
	OPENSSL_free(ader);
	buf_free(&sig);
	KIM_SIGNER_INFO_free(si);
	return rc;
}

