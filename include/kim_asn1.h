/*
 * kim_asn1 - the CMS structures of the KIM profile as OpenSSL ASN.1
 * templates (RFC 5652 SignedData, RFC 5083 AuthEnvelopedData, RFC 5084
 * GCMParameters, RFC 6211 CMSAlgorithmProtection, gematik RecipientEmails).
 *
 * OpenSSL's CMS API cannot express this profile (ECIES key transport in a
 * KeyTransRecipientInfo, card signatures over our own signed attributes),
 * so the codec builds and reads the structures itself and does the crypto
 * with EVP. Public OpenSSL types are reused: X509_ALGOR, X509_ATTRIBUTE,
 * X509_NAME, X509.
 *
 * Ownership: the usual OpenSSL rules (TYPE_new, TYPE_free, d2i, i2d); a field
 * set into a structure is owned by it.
 */
#ifndef KIM_KIM_ASN1_H
#define KIM_KIM_ASN1_H

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "buf.h"

/* IssuerAndSerialNumber */
typedef struct {
	X509_NAME *issuer;
	ASN1_INTEGER *serial;
} KIM_ISSUER_SERIAL;

/* RecipientIdentifier / SignerIdentifier */
#define KIM_RID_ISSUER_SERIAL 0
#define KIM_RID_SKI 1
typedef struct {
	int type;
	union {
		KIM_ISSUER_SERIAL *ias;
		ASN1_OCTET_STRING *ski;
	} d;
} KIM_RID;

/* SignerInfo; enc keeps the received bytes (signed attributes verified over them) */
typedef struct {
	ASN1_INTEGER *version;
	KIM_RID *sid;
	X509_ALGOR *digest_alg;
	STACK_OF(X509_ATTRIBUTE) *signed_attrs;		/* [0] IMPLICIT, optional */
	X509_ALGOR *sig_alg;
	ASN1_OCTET_STRING *signature;
	STACK_OF(X509_ATTRIBUTE) *unsigned_attrs;	/* [1] IMPLICIT, optional */
	ASN1_ENCODING enc;
} KIM_SIGNER_INFO;
DEFINE_STACK_OF(KIM_SIGNER_INFO)

/* EncapsulatedContentInfo */
typedef struct {
	ASN1_OBJECT *type;
	ASN1_OCTET_STRING *content;	/* [0] EXPLICIT, optional */
} KIM_ENCAP;

typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(X509_ALGOR) *digest_algs;
	KIM_ENCAP *encap;
	STACK_OF(X509) *certs;		/* [0] IMPLICIT SET OF, optional */
	STACK_OF(ASN1_TYPE) *crls;	/* [1] IMPLICIT, optional */
	STACK_OF(KIM_SIGNER_INFO) *signers;
} KIM_SIGNED_DATA;

/* KeyTransRecipientInfo */
typedef struct {
	ASN1_INTEGER *version;
	KIM_RID *rid;
	X509_ALGOR *key_alg;
	ASN1_OCTET_STRING *enc_key;
} KIM_KTRI;

/* RecipientInfo: only ktri is used by KIM; the others are read and skipped */
#define KIM_RI_KTRI 0
#define KIM_RI_KARI 1
#define KIM_RI_KEKRI 2
#define KIM_RI_PWRI 3
#define KIM_RI_ORI 4
typedef struct {
	int type;
	union {
		KIM_KTRI *ktri;
		STACK_OF(ASN1_TYPE) *other;
	} d;
} KIM_RECIPIENT_INFO;
DEFINE_STACK_OF(KIM_RECIPIENT_INFO)

typedef struct {
	ASN1_OBJECT *type;
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *content;	/* [0] IMPLICIT, optional */
} KIM_AUTH_ECI;

typedef struct {
	ASN1_INTEGER *version;
	STACK_OF(ASN1_TYPE) *originator;	/* [0] IMPLICIT, optional */
	STACK_OF(KIM_RECIPIENT_INFO) *ris;
	KIM_AUTH_ECI *eci;
	STACK_OF(X509_ATTRIBUTE) *auth_attrs;	/* [1] IMPLICIT, optional */
	ASN1_OCTET_STRING *mac;
	STACK_OF(X509_ATTRIBUTE) *unauth_attrs;	/* [2] IMPLICIT, optional */
} KIM_AUTH_ENVELOPED;

/* ContentInfo, one type per content so that no layer is copied twice */
typedef struct {
	ASN1_OBJECT *type;
	KIM_SIGNED_DATA *d;
} KIM_CI_SIGNED;

typedef struct {
	ASN1_OBJECT *type;
	KIM_AUTH_ENVELOPED *d;
} KIM_CI_AUTHENV;

/* GCMParameters (RFC 5084) */
typedef struct {
	ASN1_OCTET_STRING *nonce;
	ASN1_INTEGER *icvlen;		/* optional, DEFAULT 12 */
} KIM_GCM_PARAMS;

/* CMSAlgorithmProtection (RFC 6211) */
typedef struct {
	X509_ALGOR *digest_alg;
	X509_ALGOR *sig_alg;		/* [1] IMPLICIT, optional */
	X509_ALGOR *mac_alg;		/* [2] IMPLICIT, optional */
} KIM_ALG_PROTECTION;

/* RecipientEmail (gematik) */
typedef struct {
	ASN1_IA5STRING *email;
	KIM_RID *rid;
} KIM_RECIPIENT_EMAIL;
DEFINE_STACK_OF(KIM_RECIPIENT_EMAIL)

DECLARE_ASN1_FUNCTIONS(KIM_ISSUER_SERIAL)
DECLARE_ASN1_FUNCTIONS(KIM_RID)
DECLARE_ASN1_FUNCTIONS(KIM_SIGNER_INFO)
DECLARE_ASN1_FUNCTIONS(KIM_ENCAP)
DECLARE_ASN1_FUNCTIONS(KIM_SIGNED_DATA)
DECLARE_ASN1_FUNCTIONS(KIM_KTRI)
DECLARE_ASN1_FUNCTIONS(KIM_RECIPIENT_INFO)
DECLARE_ASN1_FUNCTIONS(KIM_AUTH_ECI)
DECLARE_ASN1_FUNCTIONS(KIM_AUTH_ENVELOPED)
DECLARE_ASN1_FUNCTIONS(KIM_CI_SIGNED)
DECLARE_ASN1_FUNCTIONS(KIM_CI_AUTHENV)
DECLARE_ASN1_FUNCTIONS(KIM_GCM_PARAMS)
DECLARE_ASN1_FUNCTIONS(KIM_ALG_PROTECTION)
DECLARE_ASN1_FUNCTIONS(KIM_RECIPIENT_EMAIL)
/* SET OF Attribute, for the DER of the signed attributes that is signed */
DECLARE_ASN1_ITEM(KIM_ATTRIBUTES)
/* SET OF RecipientInfo (sorted as DER wants when encoded) */
DECLARE_ASN1_ITEM(KIM_RECIPIENT_INFOS)
/* SET OF RecipientEmail, accepted when a sender nests the values */
DECLARE_ASN1_ITEM(KIM_RECIPIENT_EMAILS)

/* kim_asn1_rid_from_cert - issuerAndSerialNumber of a certificate */
KIM_RID *kim_asn1_rid_from_cert(X509 *cert);
/* kim_asn1_rid_matches - 1 when rid names cert */
int kim_asn1_rid_matches(const KIM_RID *rid, X509 *cert);
/* kim_asn1_rid_cmp - 0 when two identifiers are equal */
int kim_asn1_rid_cmp(const KIM_RID *a, const KIM_RID *b);
/*
 * kim_asn1_signed_attrs_der - the signed attributes of a parsed SignerInfo
 * as received, with the SET tag (what the signature covers); *der is
 * OPENSSL_malloc'ed. Returns the length, or -1 when absent.
 */
long kim_asn1_signed_attrs_der(KIM_SIGNER_INFO *si, unsigned char **der);


/* kim_asn1_hdr - append a DER tag byte and the length len; -1 on ENOMEM */
int kim_asn1_hdr(struct buf *b, unsigned char tag, size_t len);
/* kim_asn1_hdr_size - the size of such a header */
size_t kim_asn1_hdr_size(size_t len);

/*
 * kim_asn1_give - move a buffer's bytes into an ASN1_STRING without a copy
 * (the buffer is left empty); kim_asn1_take - move them out into an empty
 * buffer. A 20 MB mail is not copied once more per layer. Both copy when
 * OpenSSL's allocator is not libc's (CRYPTO_set_mem_functions). 0 or -1.
 */
int kim_asn1_give(struct buf *b, ASN1_STRING *s);
int kim_asn1_take(ASN1_STRING *s, struct buf *b);
/* kim_asn1_append_i2d - append the DER of v (of item it) to b; 0 or -1 */
int kim_asn1_append_i2d(struct buf *b, const void *v, const ASN1_ITEM *it);

#endif
