/*
 * kim_decode.c - outer KIM message in, inner message and result codes out
 * (kim-format.md 3).
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "kim.h"
#include "kim_cms.h"
#include "kim_mime.h"

/* headers that must agree outside and inside (A_2048-01) */
static const char *const compared[] = {
	"From", "Sender", "Reply-To", "To", "Cc", NULL,
};

/* kim_err_str - text of a kim_err */
const char *
kim_err_str(int err)
{
	switch (err) {
	case KIM_OK:
		return "ok";
	case KIM_E_INPUT:
		return "unusable input";
	case KIM_E_CARD:
		return "card error";
	case KIM_E_CERT:
		return "unusable certificate";
	case KIM_E_NOMEM:
		return "out of memory";
	case KIM_E_CRYPTO:
		return "crypto library failure";
	case KIM_E_NOTKIM:
		return "not a KIM message";
	}
	return "unknown error";
}

/* kim_decode_result_init - an empty result */
void
kim_decode_result_init(struct kim_decode_result *r)
{
	memset(r, 0, sizeof(*r));
	r->decryption = KIM_DEC_FORMAT;
	r->integrity = KIM_INT_NONE;
}

/* kim_decode_result_free - release what a result owns; accepts NULL */
void
kim_decode_result_free(struct kim_decode_result *r)
{
	if (r == NULL)
		return;
	buf_free(&r->reason);
	buf_free(&r->decrypted);
	buf_free(&r->content);
	X509_free(r->signer);
	sk_X509_pop_free(r->chain, X509_free);
	free(r->inner_from);
	memset(r, 0, sizeof(*r));
}

/* reason - replace the reason */
static void
reason(struct kim_decode_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct kim_decode_result *r, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&r->reason);
	va_start(ap, fmt);
	buf_vprintf(&r->reason, fmt, ap);
	va_end(ap);
}

/*
 * signed_body - the DER of a signed-data entity: 1 with der and dlen set
 * (decoded into tmp for base64), 0 when the entity is not signed-data,
 * -1 when it is unreadable (why).
 */
static int
signed_body(const unsigned char *ent, size_t len, const unsigned char **der,
    size_t *dlen, struct buf *tmp, struct buf *why)
{
	struct buf v = BUF_INIT, t = BUF_INIT;
	size_t hl, bo;
	int rc = 0;

	kim_mime_split(ent, len, &hl, &bo);
	if (kim_mime_get(ent, hl, "Content-Type", &v) <= 0)
		goto out;
	kim_mime_param(buf_str(&v), NULL, &t);
	if (strcmp(buf_str(&t), "application/pkcs7-mime") != 0 &&
	    strcmp(buf_str(&t), "application/x-pkcs7-mime") != 0)
		goto out;
	if (kim_mime_param(buf_str(&v), "smime-type", &t) &&
	    strcmp(buf_str(&t), "signed-data") != 0) {
		buf_printf(why, "inner entity has smime-type=%s, not "
		    "signed-data", buf_str(&t));
		rc = -1;
		goto out;
	}
	rc = 1;
	if (kim_mime_get(ent, hl, "Content-Transfer-Encoding", &v) > 0) {
		kim_mime_param(buf_str(&v), NULL, &t);
		if (strcmp(buf_str(&t), "base64") == 0) {
			if (kim_mime_b64_decode(ent + bo, len - bo, tmp,
			    why) < 0)
				rc = -1;
			*der = tmp->data;
			*dlen = tmp->len;
			goto out;
		}
	}
	*der = ent + bo;
	*dlen = len - bo;
out:
	buf_free(&v);
	buf_free(&t);
	return rc;
}

/* compare_headers - outer and inner From/Sender/Reply-To/To/Cc agree? */
static int
compare_headers(const unsigned char *oh, size_t ohl,
    const unsigned char *ih, size_t ihl, struct buf *why)
{
	struct buf ov = BUF_INIT, iv = BUF_INIT;
	int i, no, ni, ok = 1;

	for (i = 0; compared[i] && ok; i++) {
		no = kim_mime_get(oh, ohl, compared[i], &ov);
		ni = kim_mime_get(ih, ihl, compared[i], &iv);
		if (no != ni || strcmp(buf_str(&ov), buf_str(&iv)) != 0) {
			buf_printf(why, "outer %s header differs from the "
			    "signed inner one", compared[i]);
			ok = 0;
		}
	}
	buf_free(&ov);
	buf_free(&iv);
	return ok;
}

/* inner_from - remember the address of the inner From */
static void
inner_from(struct kim_decode_result *r)
{
	struct buf v = BUF_INIT, a = BUF_INIT;
	size_t hl, bo;

	kim_mime_split(r->content.data + r->msg_off, r->msg_len, &hl, &bo);
	if (kim_mime_get(r->content.data + r->msg_off, hl, "From", &v) > 0 &&
	    kim_mime_addr(buf_str(&v), &a) == 0 && a.len) {
		free(r->inner_from);
		r->inner_from = strdup(buf_str(&a));
	}
	buf_free(&v);
	buf_free(&a);
}

/* verify_entity - the signed layer of a decrypted or given entity */
static int
verify_entity(const struct kim_decode_args *a, const unsigned char *ent,
    size_t len, struct kim_decode_result *r,
    STACK_OF(KIM_RECIPIENT_EMAIL) **sremails)
{
	struct buf tmp = BUF_INIT, why = BUF_INIT;
	const unsigned char *der = NULL;
	size_t dlen = 0, hl, bo;
	int s, rc = 0;

	*sremails = NULL;
	s = signed_body(ent, len, &der, &dlen, &tmp, &why);
	if (s < 0) {
		r->integrity = KIM_INT_FORMAT;
		reason(r, "%s", buf_str(&why));
	} else if (s == 0) {
		/* no signature: hand the content back for the warning mail */
		r->integrity = KIM_INT_NOSIG;
		reason(r, "the decrypted content is not signed");
		buf_reset(&r->content);
		if (buf_append(&r->content, ent, len) < 0) {
			rc = KIM_E_NOMEM;
			goto out;
		}
		kim_mime_split(ent, len, &hl, &bo);
		r->msg_off = 0;
		if (kim_mime_get(ent, hl, "Content-Type", &why) > 0 &&
		    strncmp(buf_str(&why), "message/rfc822", 14) == 0)
			r->msg_off = bo;
		r->msg_len = len - r->msg_off;
	} else {
		rc = kim_signed_verify(der, dlen, a, r, sremails);
	}
	if (r->content.len)
		inner_from(r);
out:
	buf_free(&tmp);
	buf_free(&why);
	return rc;
}

/* kim_verify_signed - the SignedData layer alone */
int
kim_verify_signed(const struct kim_decode_args *a, const unsigned char *der,
    size_t len, struct kim_decode_result *r)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *sremails = NULL;
	int rc;

	r->decryption = KIM_DEC_OK;
	if (len > 0 && der[0] == 0x30)
		rc = kim_signed_verify(der, len, a, r, &sremails);
	else
		rc = verify_entity(a, der, len, r, &sremails);
	if (rc == 0 && r->content.len && r->inner_from == NULL)
		inner_from(r);
	kim_remails_free(sremails);
	return rc;
}

/* kim_decode - decrypt, verify, compare */
int
kim_decode(const struct kim_decode_args *a, struct kim_decode_result *r)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *uremails = NULL, *sremails = NULL;
	struct buf v = BUF_INIT, t = BUF_INIT, der = BUF_INIT, why = BUF_INIT;
	size_t hl, bo, ihl, ibo;
	int rc = 0;

	kim_decode_result_init(r);
	if (a == NULL || a->msg == NULL || a->address == NULL ||
	    a->card == NULL) {
		reason(r, "decode: message, address and card are needed");
		return KIM_E_INPUT;
	}
	kim_mime_split(a->msg, a->msglen, &hl, &bo);
	if (kim_mime_get(a->msg, hl, "X-KOM-LE-Version", &v) <= 0) {
		reason(r, "no X-KOM-LE-Version header: not a KIM message");
		rc = KIM_E_NOTKIM;
		goto out;
	}
	r->decryption = KIM_DEC_FORMAT;
	if (kim_mime_get(a->msg, hl, "Content-Type", &v) <= 0 ||
	    !kim_mime_param(buf_str(&v), NULL, &t) ||
	    (strcmp(buf_str(&t), "application/pkcs7-mime") != 0 &&
	    strcmp(buf_str(&t), "application/x-pkcs7-mime") != 0)) {
		reason(r, "outer Content-Type is not application/pkcs7-mime");
		goto out;
	}
	if (kim_mime_param(buf_str(&v), "smime-type", &t) &&
	    strcmp(buf_str(&t), "authenticated-enveloped-data") != 0) {
		reason(r, "outer smime-type is %s, not "
		    "authenticated-enveloped-data", buf_str(&t));
		goto out;
	}
	if (kim_mime_get(a->msg, hl, "Content-Transfer-Encoding", &v) <= 0 ||
	    !kim_mime_param(buf_str(&v), NULL, &t) ||
	    strcmp(buf_str(&t), "base64") != 0) {
		reason(r, "outer body is not base64");
		goto out;
	}
	if (kim_mime_b64_decode(a->msg + bo, a->msglen - bo, &der, &why) < 0) {
		reason(r, "%s", buf_str(&why));
		goto out;
	}
	if (der.len == 0) {
		reason(r, "empty body");
		goto out;
	}
	rc = kim_env_open(der.data, der.len, a, r, &uremails);
	buf_free(&der);
	if (rc < 0 || r->decryption != KIM_DEC_OK)
		goto out;

	rc = verify_entity(a, r->decrypted.data, r->decrypted.len, r,
	    &sremails);
	if (rc < 0)
		goto out;
	/* the math holds: then recipient-emails and headers must agree */
	if (r->integrity != KIM_INT_OK && r->integrity != KIM_INT_UNCHECKED &&
	    r->integrity != KIM_INT_PATH)
		goto out;
	if (sremails == NULL) {
		r->integrity = KIM_INT_RCPTEMAILS;
		reason(r, "the signature does not cover a recipient-emails "
		    "attribute");
		goto out;
	}
	if (!kim_remails_equal(sremails, uremails)) {
		r->integrity = KIM_INT_RCPTEMAILS;
		reason(r, "signed and unprotected recipient-emails differ");
		goto out;
	}
	kim_mime_split(r->content.data + r->msg_off, r->msg_len, &ihl, &ibo);
	buf_reset(&why);
	if (!compare_headers(a->msg, hl, r->content.data + r->msg_off, ihl,
	    &why)) {
		r->integrity = KIM_INT_HEADERS;
		reason(r, "%s", buf_str(&why));
	}
out:
	kim_remails_free(uremails);
	kim_remails_free(sremails);
	buf_free(&v);
	buf_free(&t);
	buf_free(&der);
	buf_free(&why);
	ERR_clear_error();
	return rc;
}
