/*
 * rev.c - revocation status of a signer certificate: CRL files, then OCSP
 * (include/rev.h). OpenSSL errors are turned into text here only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "rev.h"

/* an OCSP answer is at most this big (a few certificates) */
#define REV_OCSP_MAX_RESP (100 * 1024)
/* clock skew allowed on thisUpdate / nextUpdate */
#define REV_OCSP_SKEW 300

struct rev {
	enum rev_mode mode;
	char *responder;		/* URL or NULL: the AIA's */
	STACK_OF(X509) *responder_certs;	/* trusted directly, or NULL */
	STACK_OF(X509_CRL) *crls;
	X509_STORE *anchors;		/* TrustAnchors, or NULL */
	long max_age;			/* seconds, answers without nextUpdate */
	int timeout;			/* seconds, one OCSP request */
};

/* ssl_reason - the first OpenSSL error as text (or what) into why */
static void
ssl_reason(struct buf *why, const char *what)
{
	unsigned long e = ERR_peek_error();
	char t[200];

	if (e != 0) {
		ERR_error_string_n(e, t, sizeof(t));
		buf_printf(why, "%s (%s)", what, t);
	} else {
		buf_puts(why, what);
	}
	ERR_clear_error();
}

/* rev_mode_name - for logs and kimctl */
const char *
rev_mode_name(enum rev_mode m)
{
	switch (m) {
	case REV_OFF: return "off";
	case REV_SOFT: return "soft";
	case REV_HARD: return "hard";
	}
	return "?";
}

/* load_certs - every PEM certificate of a file */
static STACK_OF(X509) *
load_certs(const char *path, struct buf *why)
{
	STACK_OF(X509) *sk = NULL;
	BIO *b = BIO_new_file(path, "r");
	X509 *x;

	if (b == NULL) {
		buf_printf(why, "OCSPResponderCerts %s: cannot be read", path);
		goto out;
	}
	if ((sk = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x))
			X509_free(x);
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		buf_printf(why, "OCSPResponderCerts %s: no PEM certificate",
		    path);
		sk_X509_free(sk);
		sk = NULL;
	}
out:
	BIO_free(b);
	return sk;
}

/* load_crl - one CRL file, PEM or DER; 0 or -1 + why */
static int
load_crl(STACK_OF(X509_CRL) *crls, const char *path, struct buf *why)
{
	BIO *b = BIO_new_file(path, "rb");
	X509_CRL *crl = NULL;
	int rc = -1;

	if (b == NULL) {
		buf_printf(why, "CRLFiles %s: cannot be read", path);
		goto out;
	}
	crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	if (crl == NULL) {
		ERR_clear_error();
		(void)BIO_reset(b);
		crl = d2i_X509_CRL_bio(b, NULL);
	}
	if (crl == NULL) {
		buf_printf(why, "CRLFiles %s: not a CRL (PEM or DER)", path);
		goto out;
	}
	if (!sk_X509_CRL_push(crls, crl))
		goto out;
	crl = NULL;
	rc = 0;
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	BIO_free(b);
	return rc;
}

/* load_crls - every file of a blank- or comma-separated list */
static int
load_crls(STACK_OF(X509_CRL) *crls, const char *list, struct buf *why)
{
	char *copy = strdup(list), *p, *save = NULL;
	int rc = 0;

	if (copy == NULL) {
		buf_puts(why, "out of memory");
		return -1;
	}
	for (p = strtok_r(copy, " \t,", &save); p && rc == 0;
	    p = strtok_r(NULL, " \t,", &save))
		rc = load_crl(crls, p, why);
	free(copy);
	return rc;
}

/* load_anchors - TrustAnchors as a store with dates checked */
static X509_STORE *
load_anchors(const char *path, struct buf *why)
{
	X509_STORE *st = NULL;
	BIO *b = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (b == NULL) {
		buf_printf(why, "TrustAnchors %s: cannot be read", path);
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
		buf_printf(why, "TrustAnchors %s: no PEM certificate", path);
		X509_STORE_free(st);
		st = NULL;
		goto out;
	}
	/* TSL anchors are often sub-CAs */
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
out:
	BIO_free(b);
	return st;
}

/* rev_new - the settings of c */
struct rev *
rev_new(const struct conf *c, struct buf *why)
{
	struct rev *rv = calloc(1, sizeof(*rv));
	const char *m = c->revocation_check ? c->revocation_check : "soft";

	if (rv == NULL) {
		buf_puts(why, "out of memory");
		return NULL;
	}
	if (strcasecmp(m, "off") == 0)
		rv->mode = REV_OFF;
	else if (strcasecmp(m, "soft") == 0)
		rv->mode = REV_SOFT;
	else if (strcasecmp(m, "hard") == 0)
		rv->mode = REV_HARD;
	else {
		buf_printf(why, "RevocationCheck %s: use off, soft or hard", m);
		goto fail;
	}
	rv->max_age = c->ocsp_max_age ? (long)c->ocsp_max_age : 86400;
	rv->timeout = c->ocsp_timeout ? (int)c->ocsp_timeout : 10;
	if (c->ocsp_responder) {
		if (strncasecmp(c->ocsp_responder, "http://", 7) != 0) {
			buf_printf(why, "OCSPResponder %s: only http:// URLs "
			    "(OCSP answers are signed)", c->ocsp_responder);
			goto fail;
		}
		if ((rv->responder = strdup(c->ocsp_responder)) == NULL)
			goto nomem;
	}
	if (c->ocsp_responder_certs && (rv->responder_certs =
	    load_certs(c->ocsp_responder_certs, why)) == NULL)
		goto fail;
	if ((rv->crls = sk_X509_CRL_new_null()) == NULL)
		goto nomem;
	if (c->crl_files && load_crls(rv->crls, c->crl_files, why) < 0)
		goto fail;
	if (c->trust_anchors &&
	    (rv->anchors = load_anchors(c->trust_anchors, why)) == NULL)
		goto fail;
	return rv;
nomem:
	buf_puts(why, "out of memory");
fail:
	rev_free(rv);
	return NULL;
}

/* rev_free - accepts NULL */
void
rev_free(struct rev *rv)
{
	if (rv == NULL)
		return;
	free(rv->responder);
	sk_X509_pop_free(rv->responder_certs, X509_free);
	sk_X509_CRL_pop_free(rv->crls, X509_CRL_free);
	X509_STORE_free(rv->anchors);
	free(rv);
}

/* rev_mode - the configured mode */
enum rev_mode
rev_mode(const struct rev *rv)
{
	return rv ? rv->mode : REV_OFF;
}

/* rev_anchors - the store of received signatures */
X509_STORE *
rev_anchors(const struct rev *rv)
{
	return rv ? rv->anchors : NULL;
}

/*
 * crl_check - 1 revoked, 0 good by a current CRL, -1 no CRL speaks for
 * this certificate (none of its issuer, not current, or not signed by it)
 */
static int
crl_check(const struct rev *rv, X509 *cert, X509 *issuer, struct buf *why)
{
	const ASN1_TIME *next;
	X509_REVOKED *r;
	X509_CRL *crl;
	int i, rc = -1;

	for (i = 0; i < sk_X509_CRL_num(rv->crls); i++) {
		crl = sk_X509_CRL_value(rv->crls, i);
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl),
		    X509_get_issuer_name(cert)) != 0)
			continue;
		if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
			ERR_clear_error();
			continue;
		}
		if (X509_CRL_get0_by_cert(crl, &r, cert) == 1) {
			buf_puts(why, "listed in a CRL of the issuer");
			return 1;
		}
		next = X509_CRL_get0_nextUpdate(crl);
		if (X509_cmp_current_time(X509_CRL_get0_lastUpdate(crl)) <= 0 &&
		    next != NULL && X509_cmp_current_time(next) > 0)
			rc = 0;
	}
	return rc;
}

/* responder_url - the configured URL or the certificate's AIA (owned) */
static char *
responder_url(const struct rev *rv, X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *aia;
	char *url = NULL;

	if (rv->responder)
		return strdup(rv->responder);
	aia = X509_get1_ocsp(cert);
	if (aia && sk_OPENSSL_STRING_num(aia) > 0)
		url = strdup(sk_OPENSSL_STRING_value(aia, 0));
	X509_email_free(aia);
	return url;
}

/*
 * ocsp_ask - send req to url (bounded by rv->timeout: OpenSSL's HTTP
 * client connects non-blocking and waits at most that long for the whole
 * exchange); the answer or NULL + why
 */
static OCSP_RESPONSE *
ocsp_ask(const struct rev *rv, const char *url, OCSP_REQUEST *req,
    struct buf *why)
{
	char *host = NULL, *port = NULL, *path = NULL;
	BIO *rb = NULL, *ab = NULL;
	OCSP_RESPONSE *resp = NULL;
	int ssl = 0;

	if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path,
	    NULL, NULL) || ssl) {
		buf_printf(why, "OCSP responder URL %s is not usable", url);
		goto out;
	}
	if ((rb = ASN1_item_i2d_mem_bio(ASN1_ITEM_rptr(OCSP_REQUEST),
	    (const ASN1_VALUE *)req)) == NULL) {
		ssl_reason(why, "OCSP request cannot be encoded");
		goto out;
	}
	/* proxy "": never a proxy from the environment */
	ab = OSSL_HTTP_transfer(NULL, host, port, path, 0, "", NULL, NULL,
	    NULL, NULL, NULL, 0, NULL, "application/ocsp-request", rb,
	    "application/ocsp-response", 1, REV_OCSP_MAX_RESP, rv->timeout,
	    0);
	if (ab == NULL) {
		buf_printf(why, "OCSP responder %s:%s not reachable within "
		    "%d s", host, port, rv->timeout);
		ERR_clear_error();
		goto out;
	}
	resp = ASN1_item_d2i_bio(ASN1_ITEM_rptr(OCSP_RESPONSE), ab, NULL);
	if (resp == NULL)
		ssl_reason(why, "OCSP answer unreadable");
out:
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	BIO_free(rb);
	BIO_free(ab);
	return resp;
}

/* ocsp_check - ask the responder about cert */
static enum kim_rev
ocsp_check(const struct rev *rv, X509 *cert, X509 *issuer, int *transient,
    struct buf *why)
{
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	ASN1_GENERALIZEDTIME *thisupd, *nextupd, *revtime;
	enum kim_rev st = KIM_REV_UNKNOWN;
	char *url = responder_url(rv, cert);
	unsigned long flags = 0;
	int status, reason, rc;

	if (url == NULL) {
		buf_puts(why, "no OCSP responder: the certificate names none "
		    "and OCSPResponder is unset");
		goto out;
	}
	if ((req = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL ||
	    !OCSP_request_add0_id(req, OCSP_CERTID_dup(id)) ||
	    !OCSP_request_add1_nonce(req, NULL, -1)) {
		ssl_reason(why, "OCSP request cannot be made");
		goto out;
	}
	*transient = 1;
	if ((resp = ocsp_ask(rv, url, req, why)) == NULL)
		goto out;
	rc = OCSP_response_status(resp);
	if (rc != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		buf_printf(why, "OCSP responder answered %s",
		    OCSP_response_status_str(rc));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		ssl_reason(why, "OCSP answer without a basic response");
		goto out;
	}
	/* 1: our nonce echoed; -1: none in the answer (caching responders) */
	if (OCSP_check_nonce(req, bs) == 0) {
		buf_puts(why, "OCSP answer with another request's nonce");
		goto out;
	}
	if (rv->responder_certs)
		flags |= OCSP_TRUSTOTHER;
	if (rv->anchors == NULL && rv->responder_certs == NULL) {
		buf_puts(why, "OCSP answer cannot be verified: neither "
		    "TrustAnchors nor OCSPResponderCerts");
		goto out;
	}
	if (OCSP_basic_verify(bs, rv->responder_certs, rv->anchors,
	    flags) <= 0) {
		ssl_reason(why, "OCSP answer signature does not verify");
		goto out;
	}
	if (!OCSP_resp_find_status(bs, id, &status, &reason, &revtime,
	    &thisupd, &nextupd)) {
		buf_puts(why, "OCSP answer does not speak of the certificate");
		goto out;
	}
	if (!OCSP_check_validity(thisupd, nextupd, REV_OCSP_SKEW,
	    nextupd ? -1 : rv->max_age)) {
		ssl_reason(why, "OCSP answer is not current");
		goto out;
	}
	*transient = 0;
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		buf_puts(why, "OCSP: good");
		st = KIM_REV_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		buf_printf(why, "OCSP: revoked (%s)", reason >= 0 ?
		    OCSP_crl_reason_str(reason) : "no reason given");
		st = KIM_REV_REVOKED;
		break;
	default:
		buf_puts(why, "OCSP: the responder does not know the "
		    "certificate");
		break;
	}
out:
	free(url);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return st;
}

/* rev_check - CRL files first, then OCSP */
enum kim_rev
rev_check(const struct rev *rv, X509 *cert, STACK_OF(X509) *chain,
    int *transient, struct buf *why)
{
	int dummy, c;
	X509 *issuer;

	if (transient == NULL)
		transient = &dummy;
	*transient = 0;
	if (rv == NULL || rv->mode == REV_OFF) {
		buf_puts(why, "revocation checking is off");
		return KIM_REV_UNKNOWN;
	}
	if (chain == NULL || sk_X509_num(chain) < 2) {
		buf_puts(why, "the signer's issuer is not known (the signer "
		    "itself is a trust anchor)");
		return KIM_REV_UNKNOWN;
	}
	issuer = sk_X509_value(chain, 1);
	c = crl_check(rv, cert, issuer, why);
	if (c == 1)
		return KIM_REV_REVOKED;
	if (c == 0) {
		buf_puts(why, "CRL: not listed");
		return KIM_REV_GOOD;
	}
	return ocsp_check(rv, cert, issuer, transient, why);
}
