/*
 * inbound_mail.c - the mails the inbound role writes instead of a KIM
 * message it cannot hand over (kim-format.md section 3), and the removal
 * of forged headers from a decrypted inner message.
 *
 * The texts are fixed and carry no content of the message: the reason is
 * the decoder's one-line technical reason (codes, certificate names,
 * addresses), never a part of the body.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "kim_mime.h"
#include "milter.h"

/* headers of the outer message copied into an error mail (A_2047-02) */
static const char *const copied[] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "Message-ID", NULL
};

/* line_end - offset just past the line starting at i (its LF) */
static size_t
line_end(const unsigned char *m, size_t len, size_t i)
{
	const unsigned char *lf = memchr(m + i, '\n', len - i);

	return lf ? (size_t)(lf - m) + 1 : len;
}

/* named - does the header line at m[i..e) carry one of names? */
static int
named(const unsigned char *m, size_t i, size_t e, const char *const *names)
{
	const unsigned char *c = memchr(m + i, ':', e - i);
	size_t n;

	if (c == NULL)
		return 0;
	n = (size_t)(c - (m + i));
	while (n > 0 && (m[i + n - 1] == ' ' || m[i + n - 1] == '\t'))
		n--;
	for (; *names; names++)
		if (strlen(*names) == n &&
		    strncasecmp((const char *)m + i, *names, n) == 0)
			return 1;
	return 0;
}

/* inbound_strip - the message without the named headers */
int
inbound_strip(const unsigned char *m, size_t len, const char *const *names,
    struct buf *out)
{
	size_t i = 0, e;
	int drop = 0;

	while (i < len) {
		e = line_end(m, len, i);
		if (m[i] == '\n' || (m[i] == '\r' && i + 1 < len &&
		    m[i + 1] == '\n'))
			break;			/* the empty line: body follows */
		if (m[i] != ' ' && m[i] != '\t')
			drop = named(m, i, e, names);
		if (!drop && buf_append(out, m + i, e - i) < 0)
			return -1;
		i = e;
	}
	return buf_append(out, m + i, len - i) < 0 ? -1 : 0;
}

/* put_header - name ":" value with its LF folds as CRLF, then CRLF */
static int
put_header(struct buf *out, const char *name, const char *value)
{
	const char *p;

	if (buf_printf(out, "%s:", name) < 0)
		return -1;
	for (p = value; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' ? buf_puts(out, "\r\n") < 0 :
		    buf_append(out, p, 1) < 0)
			return -1;
	}
	return buf_puts(out, "\r\n");
}

/* ends_crlf - does the buffer end with a line break? */
static int
ends_crlf(const struct buf *b)
{
	return b->len > 0 && b->data[b->len - 1] == '\n';
}

/* inbound_error_mail - the decryption- or integrity-failure mail */
int
inbound_error_mail(const struct mail *outer, int decryption, int integrity,
    const char *reason, const unsigned char *part, size_t plen, int is_msg,
    struct buf *out)
{
	unsigned char rnd[12];
	char bnd[64];
	const char *v;
	size_t i, n;
	int j;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	n = (size_t)snprintf(bnd, sizeof(bnd), "=_kim-milter_");
	for (j = 0; j < (int)sizeof(rnd); j++)
		n += (size_t)snprintf(bnd + n, sizeof(bnd) - n, "%02x", rnd[j]);
	for (i = 0; copied[i]; i++)
		for (n = 0; (v = mail_find(outer, copied[i], n)) != NULL; n++)
			if (put_header(out, copied[i], v) < 0)
				return -1;
	if (integrity == 0) {
		/* "Die Nachricht konnte nicht entschlüsselt werden" */
		buf_puts(out, "Subject: =?UTF-8?Q?Die_Nachricht_konnte_nicht_"
		    "entschl=C3=BCsselt_werden?=\r\n");
	} else {
		buf_puts(out, "Subject: =?UTF-8?Q?Sicherheitswarnung:_Die_"
		    "Integrit=C3=A4t_der_Nachricht_ist_verletzt?=\r\n");
	}
	buf_printf(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "This is a multi-part message in MIME format.\r\n\r\n"
	    "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", bnd, bnd);
	if (integrity == 0) {
		buf_printf(out,
		    "Die Nachricht konnte nicht entschl\xc3\xbcsselt werden "
		    "(X-KIM-DecryptionResult: %02d).\r\n\r\n"
		    "Grund: %s\r\n\r\n"
		    "Die verschl\xc3\xbcsselte Originalnachricht ist "
		    "angeh\xc3\xa4ngt.\r\n"
		    "The message could not be decrypted; the encrypted "
		    "original is attached.\r\n", decryption, reason);
	} else {
		buf_printf(out,
		    "SICHERHEITSWARNUNG: Die Pr\xc3\xbc" "fung der Integrit"
		    "\xc3\xa4t dieser KIM-Nachricht ist fehlgeschlagen "
		    "(X-KIM-IntegrityCheckResult: %02d).\r\n\r\n"
		    "Grund: %s\r\n\r\n"
		    "Der Inhalt kann ver\xc3\xa4ndert oder der Absender "
		    "gef\xc3\xa4lscht sein. Die entschl\xc3\xbcsselte "
		    "Nachricht ist angeh\xc3\xa4ngt; vertrauen Sie ihr nur, "
		    "wenn Sie sie mit dem Absender auf anderem Weg "
		    "gepr\xc3\xbc" "ft haben.\r\n"
		    "SECURITY WARNING: the integrity check of this KIM message "
		    "failed; its content or sender may be forged.\r\n",
		    integrity, reason);
	}
	buf_printf(out, "\r\n--%s\r\n", bnd);
	if (is_msg) {
		buf_puts(out, "Content-Type: message/rfc822\r\n"
		    "Content-Disposition: attachment\r\n\r\n");
		if (buf_append(out, part, plen) < 0)
			return -1;
	} else {
		/* the decrypted entity may be binary (NUL bytes): base64 */
		buf_puts(out, "Content-Type: application/octet-stream; "
		    "name=decrypted.p7m\r\nContent-Transfer-Encoding: base64"
		    "\r\nContent-Disposition: attachment; "
		    "filename=decrypted.p7m\r\n\r\n");
		if (kim_mime_b64_encode(part, plen, out) < 0)
			return -1;
	}
	if (!ends_crlf(out))
		buf_puts(out, "\r\n");
	if (buf_printf(out, "--%s--\r\n", bnd) < 0)
		return -1;
	(void)decryption;
	return 0;
}
