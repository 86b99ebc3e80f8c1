/*
 * rev - revocation status of a signer certificate (issue 8): CRL files
 * first, then OCSP over HTTP to the responder in the certificate's AIA or
 * the configured OCSPResponder. Used by the inbound role of the milter
 * (through kim_decode's revocation callback) and callable from kimctl.
 *
 * Modes (RevocationCheck): off never asks; soft and hard both ask, the
 * caller decides what an unanswered question means (soft: 07, hard:
 * tempfail); rev_check says whether the question went unanswered for a
 * passing reason (*transient: responder unreachable, timed out, answered
 * with an error or an answer that does not verify).
 *
 * Responder certificates: OCSP answers are verified against the trust
 * anchors (partial chains allowed: the TSL lists sub-CAs); responder
 * certificates given in OCSPResponderCerts are trusted directly
 * (OCSP_TRUSTOTHER), as the TI's responders may be listed in the TSL
 * rather than issued by the CA of the certificate they speak for.
 *
 * Ownership: a struct rev is made by rev_new and freed by rev_free; it is
 * read-only after rev_new and may be used by any number of threads.
 */
#ifndef KIM_REV_H
#define KIM_REV_H

#include <openssl/x509.h>

#include "buf.h"
#include "kim.h"

struct conf;
struct rev;

enum rev_mode {
	REV_OFF = 0,
	REV_SOFT = 1,
	REV_HARD = 2,
};

/*
 * rev_new - read the revocation settings of a configuration (mode,
 * responder URL and certificates, CRL files). NULL with the reason in why
 * when a setting is wrong or a file cannot be read.
 */
struct rev *rev_new(const struct conf *c, struct buf *why);
/* rev_free - accepts NULL */
void rev_free(struct rev *rv);
/* rev_mode - the configured mode */
enum rev_mode rev_mode(const struct rev *rv);
/* rev_mode_name - "off", "soft", "hard" */
const char *rev_mode_name(enum rev_mode m);

/*
 * rev_anchors - the TrustAnchors as a store for received signatures and
 * OCSP answers: partial chains allowed, dates checked (unlike the
 * directory's store, which checks dates itself). Borrowed; NULL when
 * TrustAnchors is unset.
 */
X509_STORE *rev_anchors(const struct rev *rv);

/*
 * rev_check - the status of cert. chain[0] is cert, chain[1] its issuer
 * (kim_decode's verified chain). KIM_REV_GOOD,
 * KIM_REV_REVOKED or KIM_REV_UNKNOWN with a one-line reason in why;
 * *transient (may be NULL) is 1 when UNKNOWN is for a passing reason.
 * Never waits longer than OCSPTimeout.
 */
enum kim_rev rev_check(const struct rev *rv, X509 *cert,
    STACK_OF(X509) *chain, int *transient,
    struct buf *why);

#endif
