/*
 * kim - the KIM message codec (gemSMIME_KOMLE): build the outer KIM message
 * from a client mail, and read it back (docs/kim-format.md sections 2, 3).
 *
 * Encode: rfc822 wrap -> CMS SignedData (RSA-PSS or ECDSA, by the card's
 * OSIG key) -> binary signed-data MIME entity -> CMS AuthEnvelopedData
 * (AES-256-GCM, one KeyTransRecipientInfo per certificate, RSA-OAEP-SHA256
 * or gematik ECIES) -> outer message with base64 body.
 *
 * Decode: outer message -> DecryptionResult (00/01/02) and, when that is
 * 00, IntegrityCheckResult (01..09) with a reason, the inner message, the
 * signer certificate and chain.
 *
 * Ownership: args structures and everything they point to are borrowed for
 * the duration of the call. Output buffers are caller-owned (struct buf).
 * A struct kim_decode_result is initialised with kim_decode_result_init and
 * released with kim_decode_result_free; the certificates in it are owned by
 * the result (up-ref them to keep them longer).
 *
 * Threads: no global state; every call may run on any thread. Card calls
 * go through include/card.h (deadline and progress callback are passed on).
 *
 * Mail data is freed, not wiped (it is no key); content keys are wiped.
 *
 * Memory: a message of N bytes is held in a small constant number of copies
 * (about 5 N at the peak of encode and decode; README, "Performance").
 */
#ifndef KIM_KIM_H
#define KIM_KIM_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "buf.h"
#include "card.h"

/* gematik ECIES key transport (kim-format.md 2): unconfirmed, overridable */
#define KIM_OID_ECIES_DEFAULT "1.2.276.0.76.4.222"
/* recipient-emails attribute (A_2114-01) */
#define KIM_OID_RECIPIENT_EMAILS "1.2.276.0.76.4.173"
/* C.HCI.OSIG certificate policy */
#define KIM_OID_POLICY_OSIG "1.2.276.0.76.4.78"
#define KIM_DIENSTKENNUNG_DEFAULT "KIM-Mail;Default;V1.0"
#define KIM_LIFETIME_DEFAULT_DAYS 90

/* errors of kim_encode / kim_decode (results of a decode are in the result) */
enum kim_err {
	KIM_OK = 0,
	KIM_E_INPUT = -1,	/* the message or an argument is unusable */
	KIM_E_CARD = -2,	/* card error; card_err in kim_*.card_err */
	KIM_E_CERT = -3,	/* a certificate is unusable (key type, no key) */
	KIM_E_NOMEM = -4,	/* out of memory */
	KIM_E_CRYPTO = -5,	/* library failure */
	KIM_E_NOTKIM = -6,	/* decode: no X-KOM-LE-Version: not a KIM mail */
};

/* X-KIM-DecryptionResult */
enum kim_decryption {
	KIM_DEC_OK = 0,		/* 00 */
	KIM_DEC_NOKEY = 1,	/* 01 no RecipientInfo for us, key unavailable */
	KIM_DEC_FORMAT = 2,	/* 02 wrong format, bad DER, tag mismatch */
	KIM_DEC_KONNEKTOR = 3,	/* 03 card (Konnektor) unavailable */
};

/* X-KIM-IntegrityCheckResult (0: not checked, decryption failed) */
enum kim_integrity {
	KIM_INT_NONE = 0,
	KIM_INT_OK = 1,
	KIM_INT_INTEGRITY = 2,	/* signature or digest wrong */
	KIM_INT_NOSIG = 3,	/* no signature */
	KIM_INT_FORMAT = 4,	/* signed layer unreadable */
	KIM_INT_PATH = 5,	/* certificate path, revoked */
	KIM_INT_OTHER = 6,
	KIM_INT_UNCHECKED = 7,	/* math ok, revocation status unchecked */
	KIM_INT_HEADERS = 8,	/* outer and inner headers differ */
	KIM_INT_RCPTEMAILS = 9,	/* signed and unprotected recipient-emails differ */
};

enum kim_encrypt_to {
	KIM_ENCRYPT_ECC_PREFERRED = 0,	/* per party: ECC certs if any, else RSA */
	KIM_ENCRYPT_ALL = 1,		/* every certificate given */
};

/* one party (a recipient or the sender) and its encryption certificates */
struct kim_party {
	const char *address;		/* the KIM address, as it goes on the wire */
	X509 *const *certs;		/* borrowed */
	size_t ncerts;
};

struct kim_encode_args {
	const unsigned char *msg;	/* the client mail, LF or CRLF lines */
	size_t msglen;
	struct card *card;		/* signs with its OSIG key: ECC if present */
	const struct kim_party *sender;	/* From address and its ENC certs */
	const struct kim_party *rcpts;
	size_t nrcpts;
	enum kim_encrypt_to encrypt_to;
	const char *dienstkennung;	/* default for the inner message, NULL: KIM-Mail;Default;V1.0 */
	const char *middleware;		/* X-KIM-Middleware value, NULL: kim-milter;<version> */
	const char *ecies_oid;		/* NULL: KIM_OID_ECIES_DEFAULT */
	time_t now;			/* 0: time(NULL) */
	int lifetime_days;		/* Expires = now + this; 0: 90 */
	int prefer_rsa_signature;	/* sign with RSA even if the card has ECC (tests) */
	const struct timespec *deadline; /* card deadline, NULL: 30 s from now */
	card_progress_fn progress;
	void *progress_arg;
	/*
	 * Called once the card's part is done (after the signature, before
	 * the encryption, which needs no card), so that the caller can end
	 * its lease and let the card serve the next message. May be NULL.
	 */
	void (*card_done)(void *arg);
	void *card_done_arg;
};

/*
 * kim_encode - build the outer KIM message into out (appended). On failure
 * returns a negative kim_err and writes the reason to why; *card_err (may be
 * NULL) gets the card's error for KIM_E_CARD.
 */
int kim_encode(const struct kim_encode_args *args, struct buf *out,
    int *card_err, struct buf *why) __attribute__((warn_unused_result));

/* revocation callback answers */
enum kim_rev {
	KIM_REV_GOOD = 0,
	KIM_REV_REVOKED = 1,
	KIM_REV_UNKNOWN = 2,	/* not checked, responder unreachable */
};

/*
 * kim_revocation_fn - asked once for the verified signer; chain[0] is the
 * signer, the last element the trust anchor. Writes a reason to why.
 */
typedef enum kim_rev (*kim_revocation_fn)(X509 *signer,
    STACK_OF(X509) *chain, void *arg, struct buf *why);

struct kim_decode_args {
	const unsigned char *msg;	/* the outer message */
	size_t msglen;
	const char *address;		/* receiving KIM address */
	struct card *card;		/* its card (ENC key) */
	X509_STORE *anchors;		/* borrowed; NULL: path unchecked (05) */
	time_t at;			/* verification time, 0: now */
	kim_revocation_fn revocation;	/* NULL: result at best 07 */
	void *revocation_arg;
	int require_osig_policy;	/* signer must carry C.HCI.OSIG */
	const char *ecies_oid;		/* NULL: KIM_OID_ECIES_DEFAULT */
	const struct timespec *deadline;
	card_progress_fn progress;
	void *progress_arg;
};

struct kim_decode_result {
	enum kim_decryption decryption;
	enum kim_integrity integrity;
	struct buf reason;		/* human-readable, one line */
	int card_err;			/* card error when decryption is 01/03 */
	struct buf decrypted;		/* the decrypted signed entity (layer .03) */
	struct buf content;		/* the signed content (layer .01) */
	size_t msg_off;			/* the inner message within content */
	size_t msg_len;
	X509 *signer;			/* owned; NULL when unsigned or unreadable */
	STACK_OF(X509) *chain;		/* owned; verified chain or the SignedData's certs */
	char *inner_from;		/* owned; address of the inner From, or NULL */
};

void kim_decode_result_init(struct kim_decode_result *r);
void kim_decode_result_free(struct kim_decode_result *r);

/*
 * kim_decode - decrypt and check an outer KIM message. Returns 0 when the
 * result codes are set (whatever they say), KIM_E_NOTKIM for a mail
 * without X-KOM-LE-Version, KIM_E_NOMEM.
 */
int kim_decode(const struct kim_decode_args *args, struct kim_decode_result *r)
    __attribute__((warn_unused_result));

/*
 * kim_verify_signed - check a SignedData layer alone (DER, or a signed-data
 * MIME entity): integrity code and reason, content, signer. Outer header
 * and recipient-emails comparisons are skipped. args->msg is ignored.
 */
int kim_verify_signed(const struct kim_decode_args *args,
    const unsigned char *der, size_t len, struct kim_decode_result *r)
    __attribute__((warn_unused_result));

/* one RecipientInfo of a KIM message and the address recipient-emails
 * gives it (for the gate's "already a KIM message" rule) */
struct kim_envelope_ri {
	char *address;		/* lower case; NULL when no entry names it */
	int ktri;		/* 1: KeyTransRecipientInfo by issuer+serial */
	X509_NAME *issuer;	/* owned; NULL unless ktri */
	ASN1_INTEGER *serial;	/* owned; NULL unless ktri */
};

struct kim_envelope {
	struct kim_envelope_ri *ri;
	size_t nri;
	size_t nremails;	/* entries of recipient-emails */
	size_t stray;		/* entries that name no RecipientInfo */
};

/*
 * kim_inspect - read what an outer KIM message says about its recipients,
 * without any key: KIM_OK with env filled when it is an
 * authenticated-enveloped-data KIM message whose DER parses,
 * KIM_E_NOTKIM when it does not even claim to be one (no X-KOM-LE-Version
 * and no pkcs7-mime body), KIM_E_INPUT when it claims to be one but is
 * not (why says how), KIM_E_NOMEM. env is freed with kim_envelope_free.
 */
int kim_inspect(const unsigned char *msg, size_t len, struct kim_envelope *env,
    struct buf *why) __attribute__((warn_unused_result));
/* kim_envelope_free - accepts an envelope kim_inspect did not fill */
void kim_envelope_free(struct kim_envelope *env);
/* kim_envelope_names - does the RecipientInfo name this certificate? */
int kim_envelope_names(const struct kim_envelope_ri *ri, X509 *cert);

/* kim_err_str - a short text for a kim_err */
const char *kim_err_str(int err);

#endif
