/*
 * dir_cert - validation of a KIM recipient's encryption certificates, each
 * failure with a reason code an admin can read.
 *
 * The checks come in three stages so that the expensive ones run once:
 *  - dir_cert_check_static: policy, key usage, key type, Telematik-ID and
 *    the chain to TrustAnchors (signature included, and the dates of
 *    every CA certificate of the chain at that moment). Made when a
 *    directory answer is written to the cache; the verdict is stored
 *    under the MAC. A CA that expires while an entry is cached is noticed
 *    when the entry is fetched again (CacheTTL, 12 h by default).
 *  - dir_cert_check_time: validity dates, on every read (clock given).
 *  - dir_cert_check_entry: all certificates of one address carry one
 *    Telematik-ID (A_2178), on every read.
 * A certificate that fails keeps its first reason; the others of the entry
 * still count. Thread-safe: no shared state (an X509_STORE is read-only
 * once loaded).
 */
#ifndef KIM_DIR_CERT_H
#define KIM_DIR_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "buf.h"

enum dir_cert_reason {
	DIR_CERT_OK = 0,
	DIR_CERT_UNPARSABLE,		/* "unparsable" */
	DIR_CERT_NOT_ENC,		/* "not-enc-policy" */
	DIR_CERT_KEY_USAGE,		/* "key-usage" */
	DIR_CERT_KEY_TYPE,		/* "key-type" */
	DIR_CERT_NO_TELEMATIK_ID,	/* "no-telematik-id" */
	DIR_CERT_UNTRUSTED,		/* "untrusted" */
	DIR_CERT_BAD_SIGNATURE,		/* "bad-signature" */
	DIR_CERT_KEY_REUSED,		/* "key-reused" */
	DIR_CERT_NOT_YET_VALID,		/* "not-yet-valid" */
	DIR_CERT_EXPIRED,		/* "expired" */
	DIR_CERT_MIXED_TELEMATIK_ID,	/* "mixed-telematik-id" */
	DIR_CERT_CA_EXPIRED,		/* "ca-expired" */
	DIR_CERT_NREASONS
};

/* KIM certificate policy OIDs (kim-format.md section 1) */
#define DIR_OID_HCI_ENC "1.2.276.0.76.4.76"
#define DIR_OID_HP_ENC "1.2.276.0.76.4.74"
#define DIR_OID_HCI_OSIG "1.2.276.0.76.4.78"

/* smallest RSA modulus accepted for encryption */
#define DIR_CERT_RSA_MIN_BITS 2048

/*
 * One certificate of a directory entry. Filled by dir_cert_from_der; the
 * struct is owned by its container and released with dir_cert_clear.
 */
struct dir_cert {
	X509 *x509;			/* NULL when the DER did not parse */
	unsigned char *der;		/* the DER as published */
	size_t der_len;
	char telematik_id[129];		/* from the admission extension, or "" */
	char subject[256];		/* one-line, ASCII-escaped */
	char issuer[256];
	char serial[80];		/* hex */
	char fingerprint[65];		/* SHA-256 of the DER, hex */
	char key_fingerprint[65];	/* SHA-256 of the SubjectPublicKeyInfo */
	char key_type[48];		/* "RSA", "EC brainpoolP256r1", ... */
	int key_bits;
	int is_ec;
	time_t not_before, not_after;
	enum dir_cert_reason static_reason;	/* stored under the MAC */
	enum dir_cert_reason reason;		/* the verdict now */
};

/* dir_cert_reason_code - short code ("expired") */
const char *dir_cert_reason_code(enum dir_cert_reason r);
/* dir_cert_reason_text - an explanation an admin can act on */
const char *dir_cert_reason_text(enum dir_cert_reason r);
/* dir_cert_reason_parse - code to enum; -1 when unknown */
int dir_cert_reason_parse(const char *code);

/*
 * dir_cert_from_der - copy and parse one certificate. A DER that does not
 * parse is not an error: the result has reason DIR_CERT_UNPARSABLE.
 * Returns 0, or -1 when memory runs out.
 */
int dir_cert_from_der(const unsigned char *der, size_t len,
    struct dir_cert *c);
/* dir_cert_copy - deep copy (X509 shared by reference); 0 or -1 */
int dir_cert_copy(struct dir_cert *dst, const struct dir_cert *src);
/* dir_cert_clear - release what dir_cert_from_der allocated */
void dir_cert_clear(struct dir_cert *c);

/*
 * dir_cert_anchors_load - a verification store from a PEM bundle of TI CA
 * certificates. Anchors may be intermediate CAs (partial chains are
 * accepted). NULL with a reason in why. Free with X509_STORE_free.
 */
X509_STORE *dir_cert_anchors_load(const char *path, struct buf *why);

/*
 * dir_cert_check_static - the checks made when an entry is written: ENC
 * policy, key usage (keyEncipherment for RSA, keyAgreement for EC), key
 * type (RSA >= 2048 or brainpoolP256r1), Telematik-ID present, chain and
 * signature against anchors (skipped when anchors is NULL), the dates of
 * the chain's CA certificates now (the certificate's own dates are
 * dir_cert_check_time's). Sets static_reason and reason.
 */
void dir_cert_check_static(struct dir_cert *c, X509_STORE *anchors);

/* dir_cert_check_time - reason = static verdict, else the dates at now */
void dir_cert_check_time(struct dir_cert *c, time_t now);

/*
 * dir_cert_check_entry - A_2178: when the certificates of one address
 * that parse carry more than one Telematik-ID, every one of them becomes
 * DIR_CERT_MIXED_TELEMATIK_ID (unless it already failed). Returns the
 * number of distinct Telematik-IDs seen.
 */
int dir_cert_check_entry(struct dir_cert *certs, size_t n);

/* dir_cert_telematik_id - the Telematik-ID of x into out ("" if none) */
int dir_cert_telematik_id(X509 *x, char *out, size_t outsz);

#endif
