/*
 * kim_asn1.c - ASN.1 templates of the KIM CMS profile (see kim_asn1.h).
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kim_asn1.h"

ASN1_SEQUENCE(KIM_ISSUER_SERIAL) = {
	ASN1_SIMPLE(KIM_ISSUER_SERIAL, issuer, X509_NAME),
	ASN1_SIMPLE(KIM_ISSUER_SERIAL, serial, ASN1_INTEGER),
} ASN1_SEQUENCE_END(KIM_ISSUER_SERIAL)
IMPLEMENT_ASN1_FUNCTIONS(KIM_ISSUER_SERIAL)

ASN1_CHOICE(KIM_RID) = {
	ASN1_SIMPLE(KIM_RID, d.ias, KIM_ISSUER_SERIAL),
	ASN1_IMP(KIM_RID, d.ski, ASN1_OCTET_STRING, 0),
} ASN1_CHOICE_END(KIM_RID)
IMPLEMENT_ASN1_FUNCTIONS(KIM_RID)

/* the encoding is kept: the signature covers the signed attributes as sent */
ASN1_SEQUENCE_enc(KIM_SIGNER_INFO, enc, 0) = {
	ASN1_SIMPLE(KIM_SIGNER_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(KIM_SIGNER_INFO, sid, KIM_RID),
	ASN1_SIMPLE(KIM_SIGNER_INFO, digest_alg, X509_ALGOR),
	ASN1_IMP_SET_OF_OPT(KIM_SIGNER_INFO, signed_attrs, X509_ATTRIBUTE, 0),
	ASN1_SIMPLE(KIM_SIGNER_INFO, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(KIM_SIGNER_INFO, signature, ASN1_OCTET_STRING),
	ASN1_IMP_SET_OF_OPT(KIM_SIGNER_INFO, unsigned_attrs, X509_ATTRIBUTE, 1),
} ASN1_SEQUENCE_END_enc(KIM_SIGNER_INFO, KIM_SIGNER_INFO)
IMPLEMENT_ASN1_FUNCTIONS(KIM_SIGNER_INFO)

ASN1_SEQUENCE(KIM_ENCAP) = {
	ASN1_SIMPLE(KIM_ENCAP, type, ASN1_OBJECT),
	ASN1_EXP_OPT(KIM_ENCAP, content, ASN1_OCTET_STRING, 0),
} ASN1_SEQUENCE_END(KIM_ENCAP)
IMPLEMENT_ASN1_FUNCTIONS(KIM_ENCAP)

ASN1_SEQUENCE(KIM_SIGNED_DATA) = {
	ASN1_SIMPLE(KIM_SIGNED_DATA, version, ASN1_INTEGER),
	ASN1_SET_OF(KIM_SIGNED_DATA, digest_algs, X509_ALGOR),
	ASN1_SIMPLE(KIM_SIGNED_DATA, encap, KIM_ENCAP),
	ASN1_IMP_SET_OF_OPT(KIM_SIGNED_DATA, certs, X509, 0),
	ASN1_IMP_SET_OF_OPT(KIM_SIGNED_DATA, crls, ASN1_ANY, 1),
	ASN1_SET_OF(KIM_SIGNED_DATA, signers, KIM_SIGNER_INFO),
} ASN1_SEQUENCE_END(KIM_SIGNED_DATA)
IMPLEMENT_ASN1_FUNCTIONS(KIM_SIGNED_DATA)

ASN1_SEQUENCE(KIM_KTRI) = {
	ASN1_SIMPLE(KIM_KTRI, version, ASN1_INTEGER),
	ASN1_SIMPLE(KIM_KTRI, rid, KIM_RID),
	ASN1_SIMPLE(KIM_KTRI, key_alg, X509_ALGOR),
	ASN1_SIMPLE(KIM_KTRI, enc_key, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(KIM_KTRI)
IMPLEMENT_ASN1_FUNCTIONS(KIM_KTRI)

ASN1_CHOICE(KIM_RECIPIENT_INFO) = {
	ASN1_SIMPLE(KIM_RECIPIENT_INFO, d.ktri, KIM_KTRI),
	ASN1_IMP_SEQUENCE_OF(KIM_RECIPIENT_INFO, d.other, ASN1_ANY, 1),
	ASN1_IMP_SEQUENCE_OF(KIM_RECIPIENT_INFO, d.other, ASN1_ANY, 2),
	ASN1_IMP_SEQUENCE_OF(KIM_RECIPIENT_INFO, d.other, ASN1_ANY, 3),
	ASN1_IMP_SEQUENCE_OF(KIM_RECIPIENT_INFO, d.other, ASN1_ANY, 4),
} ASN1_CHOICE_END(KIM_RECIPIENT_INFO)
IMPLEMENT_ASN1_FUNCTIONS(KIM_RECIPIENT_INFO)

ASN1_SEQUENCE(KIM_AUTH_ECI) = {
	ASN1_SIMPLE(KIM_AUTH_ECI, type, ASN1_OBJECT),
	ASN1_SIMPLE(KIM_AUTH_ECI, alg, X509_ALGOR),
	ASN1_IMP_OPT(KIM_AUTH_ECI, content, ASN1_OCTET_STRING, 0),
} ASN1_SEQUENCE_END(KIM_AUTH_ECI)
IMPLEMENT_ASN1_FUNCTIONS(KIM_AUTH_ECI)

ASN1_SEQUENCE(KIM_AUTH_ENVELOPED) = {
	ASN1_SIMPLE(KIM_AUTH_ENVELOPED, version, ASN1_INTEGER),
	ASN1_IMP_SEQUENCE_OF_OPT(KIM_AUTH_ENVELOPED, originator, ASN1_ANY, 0),
	ASN1_SET_OF(KIM_AUTH_ENVELOPED, ris, KIM_RECIPIENT_INFO),
	ASN1_SIMPLE(KIM_AUTH_ENVELOPED, eci, KIM_AUTH_ECI),
	ASN1_IMP_SET_OF_OPT(KIM_AUTH_ENVELOPED, auth_attrs, X509_ATTRIBUTE, 1),
	ASN1_SIMPLE(KIM_AUTH_ENVELOPED, mac, ASN1_OCTET_STRING),
	ASN1_IMP_SET_OF_OPT(KIM_AUTH_ENVELOPED, unauth_attrs, X509_ATTRIBUTE, 2),
} ASN1_SEQUENCE_END(KIM_AUTH_ENVELOPED)
IMPLEMENT_ASN1_FUNCTIONS(KIM_AUTH_ENVELOPED)

ASN1_SEQUENCE(KIM_CI_SIGNED) = {
	ASN1_SIMPLE(KIM_CI_SIGNED, type, ASN1_OBJECT),
	ASN1_EXP(KIM_CI_SIGNED, d, KIM_SIGNED_DATA, 0),
} ASN1_SEQUENCE_END(KIM_CI_SIGNED)
IMPLEMENT_ASN1_FUNCTIONS(KIM_CI_SIGNED)

ASN1_SEQUENCE(KIM_CI_AUTHENV) = {
	ASN1_SIMPLE(KIM_CI_AUTHENV, type, ASN1_OBJECT),
	ASN1_EXP(KIM_CI_AUTHENV, d, KIM_AUTH_ENVELOPED, 0),
} ASN1_SEQUENCE_END(KIM_CI_AUTHENV)
IMPLEMENT_ASN1_FUNCTIONS(KIM_CI_AUTHENV)

ASN1_SEQUENCE(KIM_GCM_PARAMS) = {
	ASN1_SIMPLE(KIM_GCM_PARAMS, nonce, ASN1_OCTET_STRING),
	ASN1_OPT(KIM_GCM_PARAMS, icvlen, ASN1_INTEGER),
} ASN1_SEQUENCE_END(KIM_GCM_PARAMS)
IMPLEMENT_ASN1_FUNCTIONS(KIM_GCM_PARAMS)

ASN1_SEQUENCE(KIM_ALG_PROTECTION) = {
	ASN1_SIMPLE(KIM_ALG_PROTECTION, digest_alg, X509_ALGOR),
	ASN1_IMP_OPT(KIM_ALG_PROTECTION, sig_alg, X509_ALGOR, 1),
	ASN1_IMP_OPT(KIM_ALG_PROTECTION, mac_alg, X509_ALGOR, 2),
} ASN1_SEQUENCE_END(KIM_ALG_PROTECTION)
IMPLEMENT_ASN1_FUNCTIONS(KIM_ALG_PROTECTION)

ASN1_SEQUENCE(KIM_RECIPIENT_EMAIL) = {
	ASN1_SIMPLE(KIM_RECIPIENT_EMAIL, email, ASN1_IA5STRING),
	ASN1_SIMPLE(KIM_RECIPIENT_EMAIL, rid, KIM_RID),
} ASN1_SEQUENCE_END(KIM_RECIPIENT_EMAIL)
IMPLEMENT_ASN1_FUNCTIONS(KIM_RECIPIENT_EMAIL)

ASN1_ITEM_TEMPLATE(KIM_ATTRIBUTES) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, KIM_ATTRIBUTES, X509_ATTRIBUTE)
ASN1_ITEM_TEMPLATE_END(KIM_ATTRIBUTES)

ASN1_ITEM_TEMPLATE(KIM_RECIPIENT_INFOS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, KIM_RECIPIENT_INFOS,
	    KIM_RECIPIENT_INFO)
ASN1_ITEM_TEMPLATE_END(KIM_RECIPIENT_INFOS)

ASN1_ITEM_TEMPLATE(KIM_RECIPIENT_EMAILS) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SET_OF, 0, KIM_RECIPIENT_EMAILS,
	    KIM_RECIPIENT_EMAIL)
ASN1_ITEM_TEMPLATE_END(KIM_RECIPIENT_EMAILS)

/* kim_asn1_rid_from_cert - issuerAndSerialNumber naming cert */
KIM_RID *
kim_asn1_rid_from_cert(X509 *cert)
{
	KIM_RID *rid;

	rid = KIM_RID_new();
	if (rid == NULL)
		return NULL;
	rid->type = KIM_RID_ISSUER_SERIAL;
	rid->d.ias = KIM_ISSUER_SERIAL_new();
	if (rid->d.ias == NULL)
		goto fail;
	X509_NAME_free(rid->d.ias->issuer);
	ASN1_INTEGER_free(rid->d.ias->serial);
	rid->d.ias->issuer = X509_NAME_dup(X509_get_issuer_name(cert));
	rid->d.ias->serial = ASN1_INTEGER_dup(X509_get0_serialNumber(cert));
	if (rid->d.ias->issuer == NULL || rid->d.ias->serial == NULL)
		goto fail;
	return rid;
fail:
	KIM_RID_free(rid);
	return NULL;
}

/* kim_asn1_rid_matches - does rid name cert? */
int
kim_asn1_rid_matches(const KIM_RID *rid, X509 *cert)
{
	const ASN1_OCTET_STRING *ski;

	if (rid == NULL || cert == NULL)
		return 0;
	if (rid->type == KIM_RID_ISSUER_SERIAL)
		return X509_NAME_cmp(rid->d.ias->issuer,
		    X509_get_issuer_name(cert)) == 0 &&
		    ASN1_INTEGER_cmp(rid->d.ias->serial,
		    X509_get0_serialNumber(cert)) == 0;
	ski = X509_get0_subject_key_id(cert);
	return ski != NULL && ASN1_OCTET_STRING_cmp(ski, rid->d.ski) == 0;
}

/* kim_asn1_rid_cmp - compare two identifiers, 0 when equal */
int
kim_asn1_rid_cmp(const KIM_RID *a, const KIM_RID *b)
{
	if (a == NULL || b == NULL || a->type != b->type)
		return 1;
	if (a->type == KIM_RID_SKI)
		return ASN1_OCTET_STRING_cmp(a->d.ski, b->d.ski) != 0;
	return X509_NAME_cmp(a->d.ias->issuer, b->d.ias->issuer) != 0 ||
	    ASN1_INTEGER_cmp(a->d.ias->serial, b->d.ias->serial) != 0;
}

/* skip_tlv - step over one element; -1 when malformed or indefinite */
static int
skip_tlv(const unsigned char **p, long *left)
{
	const unsigned char *q = *p;
	long len;
	int tag, xclass, r;

	r = ASN1_get_object(&q, &len, &tag, &xclass, *left);
	if ((r & 0x80) || r == 0x21)
		return -1;
	len += q - *p;
	if (len > *left)
		return -1;
	*p += len;
	*left -= len;
	return 0;
}

/* kim_asn1_signed_attrs_der - the signed attributes as received */
long
kim_asn1_signed_attrs_der(KIM_SIGNER_INFO *si, unsigned char **der)
{
	const unsigned char *p, *start;
	long left, len;
	int tag, xclass, r, i;

	*der = NULL;
	if (si->signed_attrs == NULL)
		return -1;
	p = si->enc.enc;
	left = si->enc.len;
	if (p == NULL || si->enc.modified)
		goto reencode;
	r = ASN1_get_object(&p, &len, &tag, &xclass, left);
	if ((r & 0x80) || r == 0x21)
		goto reencode;
	left = len;
	for (i = 0; i < 3; i++)	/* version, sid, digestAlgorithm */
		if (skip_tlv(&p, &left) < 0)
			goto reencode;
	start = p;
	r = ASN1_get_object(&p, &len, &tag, &xclass, left);
	if ((r & 0x80) || r == 0x21 || xclass != V_ASN1_CONTEXT_SPECIFIC ||
	    tag != 0)
		goto reencode;
	len += p - start;
	*der = OPENSSL_malloc(len);
	if (*der == NULL)
		return -1;
	memcpy(*der, start, len);
	/* [0] IMPLICIT becomes the SET tag (RFC 5652 5.4) */
	(*der)[0] = V_ASN1_SET | V_ASN1_CONSTRUCTED;
	return len;
reencode:
	/* BER with indefinite lengths: the signature is over the DER */
	len = ASN1_item_i2d((ASN1_VALUE *)si->signed_attrs, der,
	    ASN1_ITEM_rptr(KIM_ATTRIBUTES));
	return len > 0 ? len : -1;
}

/* libc_alloc - does OpenSSL allocate with malloc/realloc/free? */
static int
libc_alloc(void)
{
	CRYPTO_malloc_fn m;
	CRYPTO_realloc_fn r;
	CRYPTO_free_fn f;

	CRYPTO_get_mem_functions(&m, &r, &f);
	return m == CRYPTO_malloc && r == CRYPTO_realloc && f == CRYPTO_free;
}

/* kim_asn1_give - the buffer's bytes become the string's */
int
kim_asn1_give(struct buf *b, ASN1_STRING *s)
{
	if (b->len > INT_MAX)
		return -1;
	if (!libc_alloc() || b->data == NULL) {
		if (!ASN1_STRING_set(s, b->data, (int)b->len))
			return -1;
		buf_free(b);
		return 0;
	}
	ASN1_STRING_set0(s, b->data, (int)b->len);
	b->data = NULL;
	b->len = b->cap = 0;
	return 0;
}

/* kim_asn1_take - the string's bytes become the buffer's */
int
kim_asn1_take(ASN1_STRING *s, struct buf *b)
{
	int len = ASN1_STRING_length(s);

	buf_free(b);
	if (!libc_alloc() || s->data == NULL)
		return buf_append(b, ASN1_STRING_get0_data(s), (size_t)len);
	/* OpenSSL keeps a NUL after the data of every string it decodes */
	b->data = s->data;
	b->len = (size_t)len;
	b->cap = (size_t)len + 1;
	b->data[len] = 0;
	s->data = NULL;
	s->length = 0;
	return 0;
}

/* kim_asn1_hdr_size - tag byte plus the DER length octets */
size_t
kim_asn1_hdr_size(size_t len)
{
	size_t n = 2;

	if (len >= 0x80)
		for (; len; len >>= 8)
			n++;
	return n;
}

/* kim_asn1_hdr - a DER header for a value of len bytes */
int
kim_asn1_hdr(struct buf *b, unsigned char tag, size_t len)
{
	unsigned char h[16];
	size_t n = 0, i, l;

	h[n++] = tag;
	if (len < 0x80) {
		h[n++] = (unsigned char)len;
	} else {
		for (i = 0, l = len; l; l >>= 8)
			i++;
		h[n++] = (unsigned char)(0x80 | i);
		while (i--)
			h[n++] = (unsigned char)(len >> (8 * i));
	}
	return buf_append(b, h, n);
}

/* kim_asn1_append_i2d - append the DER of a value of an item */
int
kim_asn1_append_i2d(struct buf *b, const void *v, const ASN1_ITEM *it)
{
	unsigned char *der = NULL;
	int len, rc;

	len = ASN1_item_i2d((const ASN1_VALUE *)v, &der, it);
	if (len <= 0)
		return -1;
	rc = buf_append(b, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}
