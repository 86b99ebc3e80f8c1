/*
 * kim_cms - the two CMS layers of a KIM message, built and read with the
 * templates of kim_asn1.h: SignedData (kim_signed.c), AuthEnvelopedData
 * (kim_env.c) and the recipient-emails attribute (kim_remails.c). Internal
 * to the codec; kim.h is the public face.
 *
 * Ownership: input buffers are borrowed unless said otherwise; output
 * buffers are caller-owned and appended to; stacks returned through **out
 * are owned by the caller (sk_KIM_RECIPIENT_EMAIL_pop_free with
 * KIM_RECIPIENT_EMAIL_free).
 */
#ifndef KIM_KIM_CMS_H
#define KIM_KIM_CMS_H

#include <openssl/x509.h>

#include "buf.h"
#include "card.h"
#include "kim.h"
#include "kim_asn1.h"

/* the card-call context handed down from kim_encode / kim_decode */
struct kim_cardctx {
	struct card *card;
	const struct timespec *deadline;
	card_progress_fn progress;
	void *arg;
	int card_err;			/* out: last card error */
};

/* one KeyTransRecipientInfo to make: the address it is for and its cert */
struct kim_rcpt {
	const char *address;
	X509 *cert;
};

/* kim_remails_new - RecipientEmails for the given recipients, in order */
STACK_OF(KIM_RECIPIENT_EMAIL) *kim_remails_new(const struct kim_rcpt *r,
    size_t n);
/* kim_remails_attr - the attribute: one AttributeValue per RecipientEmail */
X509_ATTRIBUTE *kim_remails_attr(STACK_OF(KIM_RECIPIENT_EMAIL) *list);
/*
 * kim_remails_find - parse the recipient-emails attribute of attrs into
 * *out. Returns 1 when found, 0 when absent, -1 when malformed (why).
 */
int kim_remails_find(const STACK_OF(X509_ATTRIBUTE) *attrs,
    STACK_OF(KIM_RECIPIENT_EMAIL) **out, struct buf *why);
/* kim_remails_equal - same set of (address, certificate) pairs? */
int kim_remails_equal(const STACK_OF(KIM_RECIPIENT_EMAIL) *a,
    const STACK_OF(KIM_RECIPIENT_EMAIL) *b);
void kim_remails_free(STACK_OF(KIM_RECIPIENT_EMAIL) *list);

/*
 * kim_signed_build - SignedData over content (the rfc822 wrap) signed by
 * the card, appended to entity as the binary signed-data MIME entity.
 * The content buffer is consumed (freed) as early as possible.
 */
int kim_signed_build(struct buf *content, struct kim_cardctx *cc,
    int prefer_rsa, STACK_OF(KIM_RECIPIENT_EMAIL) *remails, time_t now,
    struct buf *entity, struct buf *why) __attribute__((warn_unused_result));

/*
 * kim_signed_verify - read a SignedData (DER) and set r->integrity (02, 03,
 * 04, 05, 07 or 01), r->reason, r->content/msg_off/msg_len, r->signer,
 * r->chain. The signed recipient-emails go to *remails (NULL if absent).
 * Returns 0, or KIM_E_NOMEM.
 */
int kim_signed_verify(const unsigned char *der, size_t len,
    const struct kim_decode_args *a, struct kim_decode_result *r,
    STACK_OF(KIM_RECIPIENT_EMAIL) **remails);

/*
 * kim_env_build - AuthEnvelopedData (AES-256-GCM) of entity for the
 * recipients, DER appended to der. entity is consumed (wiped, freed).
 */
int kim_env_build(struct buf *entity, const struct kim_rcpt *rcpts,
    size_t n, STACK_OF(KIM_RECIPIENT_EMAIL) *remails, const char *ecies_oid,
    struct buf *der, struct buf *why) __attribute__((warn_unused_result));

/*
 * kim_env_open - decrypt an AuthEnvelopedData (DER) for a->address with
 * the card: sets r->decryption, r->reason, r->decrypted; the unprotected
 * recipient-emails go to *remails. Returns 0, or KIM_E_NOMEM.
 */
int kim_env_open(const unsigned char *der, size_t len,
    const struct kim_decode_args *a, struct kim_decode_result *r,
    STACK_OF(KIM_RECIPIENT_EMAIL) **remails);

/* kim_ossl_why - append OpenSSL's error queue (and clear it) to why */
void kim_ossl_why(struct buf *why, const char *what);

#endif
