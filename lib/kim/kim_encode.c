/*
 * kim_encode.c - client mail in, outer KIM message out (kim-format.md 2).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kim.h"
#include "kim_cms.h"
#include "kim_mime.h"

#define RFC822_WRAP "Content-Type: message/rfc822\r\n\r\n"

/* headers copied from the inner to the outer message (A_2098-03, A_2101-01) */
static const char *const copied[] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID",
	NULL,
};

/* is_copied - does this inner header go outside too? */
static int
is_copied(const struct kim_mime_field *f)
{
	int i;

	if (f->namelen > 6 && strncasecmp((const char *)f->name, "X-KIM-",
	    6) == 0)
		return 1;
	for (i = 0; copied[i]; i++)
		if (kim_mime_is(f, copied[i]))
			return 1;
	return 0;
}

/* is_ecc - is the certificate's key an EC key? */
static int
is_ecc(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);

	return pk != NULL && EVP_PKEY_is_a(pk, "EC");
}

/* add_party - the certificates of one party that get a RecipientInfo */
static int
add_party(const struct kim_party *p, enum kim_encrypt_to mode,
    struct kim_rcpt **v, size_t *n, size_t *cap)
{
	struct kim_rcpt *nv;
	size_t i, j;
	int ecc = 0;

	for (i = 0; i < p->ncerts; i++)
		ecc |= is_ecc(p->certs[i]);
	for (i = 0; i < p->ncerts; i++) {
		if (mode == KIM_ENCRYPT_ECC_PREFERRED && ecc &&
		    !is_ecc(p->certs[i]))
			continue;
		for (j = 0; j < *n; j++)	/* sending to oneself */
			if (strcasecmp((*v)[j].address, p->address) == 0 &&
			    X509_cmp((*v)[j].cert, p->certs[i]) == 0)
				break;
		if (j < *n)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 8;
			nv = realloc(*v, *cap * sizeof(**v));
			if (nv == NULL)
				return -1;
			*v = nv;
		}
		(*v)[*n].address = p->address;
		(*v)[(*n)++].cert = p->certs[i];
	}
	return 0;
}

/*
 * build_inner - the rfc822 wrap around the client mail with CRLF lines and
 * the codec's own headers; the outer copies of the headers go to outer.
 */
static int
build_inner(const struct kim_encode_args *a, struct buf *content,
    struct buf *outer)
{
	struct kim_mime_field f;
	size_t hl, bo, pos = 0, hstart, hend;
	int has_dk = 0;

	/* one pass into the final buffer: the mail is copied exactly once */
	kim_mime_split(a->msg, a->msglen, &hl, &bo);
	if (buf_reserve(content, a->msglen + 512) < 0 ||
	    buf_puts(content, RFC822_WRAP) < 0)
		return -1;
	hstart = content->len;
	if (kim_mime_crlf(a->msg, hl, content) < 0)
		return -1;
	if (content->len > hstart && content->data[content->len - 1] != '\n' &&
	    buf_puts(content, "\r\n") < 0)
		return -1;
	while (kim_mime_next(content->data + hstart, content->len - hstart,
	    &pos, &f))
		if (kim_mime_is(&f, "X-KIM-Dienstkennung"))
			has_dk = 1;
	if (!has_dk)
		buf_printf(content, "X-KIM-Dienstkennung: %s\r\n",
		    a->dienstkennung ? a->dienstkennung :
		    KIM_DIENSTKENNUNG_DEFAULT);
	if (a->middleware)
		buf_printf(content, "X-KIM-Middleware: %s\r\n", a->middleware);
	else
		buf_printf(content, "X-KIM-Middleware: kim-milter;%s\r\n",
		    PACKAGE_VERSION);
	hend = content->len;
	/* the outer copies, from the inner headers as they are signed */
	pos = 0;
	while (kim_mime_next(content->data + hstart, hend - hstart, &pos, &f))
		if (is_copied(&f) && buf_append(outer, f.field,
		    f.fieldlen) < 0)
			return -1;
	if (outer->len && outer->data[outer->len - 1] != '\n' &&
	    buf_puts(outer, "\r\n") < 0)
		return -1;
	/* a mail of headers only stays one: no blank line is invented */
	if ((bo > hl && buf_puts(content, "\r\n") < 0) ||
	    kim_mime_crlf(a->msg + bo, a->msglen - bo, content) < 0)
		return -1;
	return 0;
}

/* kim_encode - sign, encrypt, wrap */
int
kim_encode(const struct kim_encode_args *a, struct buf *out, int *card_err,
    struct buf *why)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *remails = NULL;
	struct buf content = BUF_INIT, prefix = BUF_INIT, suffix = BUF_INIT;
	struct buf outer = BUF_INIT;
	struct kim_part parts[3];
	size_t start = out->len;
	struct kim_cardctx cc;
	struct kim_rcpt *rc_v = NULL;
	struct timespec dl;
	size_t n = 0, cap = 0, i;
	time_t now;
	int rc = KIM_E_NOMEM;

	if (card_err)
		*card_err = CARD_OK;
	if (a == NULL || a->msg == NULL || a->card == NULL ||
	    a->sender == NULL || a->sender->address == NULL) {
		buf_printf(why, "encode: message, card and sender are needed");
		return KIM_E_INPUT;
	}
	if (a->sender->ncerts == 0) {
		buf_printf(why, "no encryption certificate for the sender %s",
		    a->sender->address);
		return KIM_E_CERT;
	}
	now = a->now ? a->now : time(NULL);
	if (add_party(a->sender, a->encrypt_to, &rc_v, &n, &cap) < 0)
		goto out;
	for (i = 0; i < a->nrcpts; i++) {
		if (a->rcpts[i].ncerts == 0) {
			buf_printf(why, "no encryption certificate for %s",
			    a->rcpts[i].address);
			rc = KIM_E_CERT;
			goto out;
		}
		if (add_party(&a->rcpts[i], a->encrypt_to, &rc_v, &n,
		    &cap) < 0)
			goto out;
	}
	remails = kim_remails_new(rc_v, n);
	if (remails == NULL)
		goto out;
	if (build_inner(a, &content, &outer) < 0)
		goto out;

	memset(&cc, 0, sizeof(cc));
	cc.card = a->card;
	if (a->deadline == NULL)
		card_deadline(&dl, 30000);
	cc.deadline = a->deadline ? a->deadline : &dl;
	cc.progress = a->progress;
	cc.arg = a->progress_arg;
	rc = kim_signed_build(&content, &cc, a->prefer_rsa_signature, remails,
	    now, &prefix, &suffix, why);
	if (card_err)
		*card_err = cc.card_err;
	if (rc < 0)
		goto out;
	if (a->card_done != NULL)
		a->card_done(a->card_done_arg);

	rc = KIM_E_NOMEM;
	if (buf_append(out, outer.data, outer.len) < 0 ||
	    buf_puts(out, "Subject: KOM-LE-Nachricht\r\n"
	    "MIME-Version: 1.0\r\n"
	    "X-KOM-LE-Version: 1.0\r\n"
	    "Expires: ") < 0 ||
	    kim_mime_date(now + (time_t)(a->lifetime_days > 0 ?
	    a->lifetime_days : KIM_LIFETIME_DEFAULT_DAYS) * 86400, out) < 0 ||
	    buf_puts(out, "\r\n"
	    "Content-Type: application/pkcs7-mime;\r\n"
	    "\tsmime-type=authenticated-enveloped-data; name=smime.p7m\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=smime.p7m\r\n"
	    "\r\n") < 0)
		goto out;
	/* the signed entity is prefix || content || suffix, never joined */
	parts[0].data = prefix.data;
	parts[0].len = prefix.len;
	parts[1].data = content.data;
	parts[1].len = content.len;
	parts[2].data = suffix.data;
	parts[2].len = suffix.len;
	rc = kim_env_build(parts, 3, rc_v, n, remails, a->ecies_oid, out, why);
	if (rc < 0)
		goto out;
	rc = KIM_OK;
out:
	if (rc == KIM_E_NOMEM && why && why->len == 0)
		buf_printf(why, "out of memory");
	kim_remails_free(remails);
	free(rc_v);
	if (rc < 0 && out->len > start) {	/* nothing half-written */
		out->len = start;
		out->data[start] = 0;
	}
	buf_free(&content);
	buf_free(&prefix);
	buf_free(&suffix);
	buf_free(&outer);
	return rc;
}
