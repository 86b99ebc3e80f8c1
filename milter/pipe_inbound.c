/*
 * pipe_inbound.c - the inbound role: mail fetched from the KIM provider
 * (fetchmail or a client module delivers it to this listener).
 *
 * RCPT TO: every recipient is accepted; the local KIM addresses (those of
 * the policies and LocalKimAddresses) are remembered, the others counted.
 * Headers: kept. At the first body chunk (or the end, for a message
 * without a body) the message is judged: anything that is not a KIM
 * message (outer X-KOM-LE-Version and an authenticated-enveloped-data
 * body) or has no local recipient passes unchanged, byte for byte, and
 * nothing more of it is kept. A KIM message is kept whole and opened at
 * the end of message (inbound_open.c).
 *
 * Never 5xx on this listener: fetchmail would bounce the still-encrypted
 * mail to postmaster and delete it from the provider. Trouble is a
 * tempfail (451) at worst; a message that cannot be opened becomes the
 * error mail of kim-format.md section 3, never a silent drop.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "dir.h"
#include "kim_mime.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* inbound_local - one of our KIM addresses (policies, LocalKimAddresses)? */
static int
inbound_local(struct session *s, const char *addr)
{
	const struct policy_set *set = s->rt->policies;
	const char *k;
	size_t i;

	if (dir_is_local(s->rt->dir, addr))
		return 1;
	for (i = 0; i < policy_set_count(set); i++) {
		k = policy_kim_address(policy_set_get(set, i));
		if (k != NULL && strcasecmp(k, addr) == 0)
			return 1;
	}
	return 0;
}

/* any_local - is any KIM address ours at all? */
static int
any_local(struct session *s)
{
	const struct policy_set *set = s->rt->policies;
	size_t i;

	if (s->conf->n_local_kim_addresses > 0)
		return 1;
	for (i = 0; i < policy_set_count(set); i++)
		if (policy_kim_address(policy_set_get(set, i)) != NULL)
			return 1;
	return 0;
}

/* inbound_envfrom - a new transaction; nothing to open without addresses */
enum verdict
inbound_envfrom(struct session *s, struct mio *io, const char *from)
{
	(void)io;
	(void)from;
	s->in_foreign = 0;
	s->in_checked = 0;
	if (!any_local(s)) {
		session_end(s, "accept", "no local KIM address configured "
		    "(policies, LocalKimAddresses); passed unchanged");
		return V_ACCEPT;
	}
	return V_CONTINUE;
}

/* inbound_envrcpt - remember our own KIM addresses; accept every one */
enum verdict
inbound_envrcpt(struct session *s, struct mio *io, const char *rcpt)
{
	char addr[SESSION_ADDR_MAX];

	if (addr_normalize(rcpt, addr, sizeof(addr)) < 0 || addr[0] == 0 ||
	    !inbound_local(s, addr)) {
		s->in_foreign++;
		return V_CONTINUE;
	}
	if (session_add_rcpt(s, addr, NULL) < 0) {
		mio_setreply(io, "451", "4.3.0",
		    "kim-milter: out of memory; try again later");
		return V_TEMPFAIL;
	}
	return V_CONTINUE;
}

/* inbound_header - keep it */
enum verdict
inbound_header(struct session *s, struct mio *io, const char *name,
    const char *value)
{
	(void)io;
	mail_add_header(&s->mail, name, value);
	return V_CONTINUE;
}

/*
 * is_kim - an outer X-KOM-LE-Version and an application/pkcs7-mime body
 * of smime-type authenticated-enveloped-data (a missing smime-type is
 * judged by the decoder: format error 02)
 */
static int
is_kim(const struct mail *m)
{
	struct buf t = BUF_INIT;
	const char *ct;
	int kim = 0;

	if (mail_find(m, "X-KOM-LE-Version", 0) == NULL ||
	    (ct = mail_find(m, "Content-Type", 0)) == NULL)
		goto out;
	kim_mime_param(ct, NULL, &t);
	if (strcmp(buf_str(&t), "application/pkcs7-mime") != 0 &&
	    strcmp(buf_str(&t), "application/x-pkcs7-mime") != 0)
		goto out;
	buf_reset(&t);
	if (kim_mime_param(ct, "smime-type", &t) &&
	    strcmp(buf_str(&t), "authenticated-enveloped-data") != 0)
		goto out;
	kim = 1;
out:
	buf_free(&t);
	return kim;
}

/* judge - pass what is not ours to open; CONTINUE keeps the message */
static enum verdict
judge(struct session *s)
{
	s->in_checked = 1;
	if (!is_kim(&s->mail)) {
		session_end(s, "accept", "not a KIM message; passed unchanged");
		return V_ACCEPT;
	}
	if (s->nrcpts == 0) {
		session_end(s, "accept", "KIM message without a local KIM "
		    "recipient; passed unchanged");
		return V_ACCEPT;
	}
	return V_CONTINUE;
}

/* inbound_body - judge at the first chunk, then keep the KIM message */
enum verdict
inbound_body(struct session *s, struct mio *io, const unsigned char *p,
    size_t len)
{
	enum verdict v;

	(void)io;
	if (!s->in_checked && (v = judge(s)) != V_CONTINUE)
		return v;
	mail_add_body(&s->mail, p, len);
	return V_CONTINUE;
}

/* inbound_eom - open the KIM message */
enum verdict
inbound_eom(struct session *s, struct mio *io)
{
	enum verdict v;

	s->msg_size = s->mail.size;
	if (!s->in_checked && (v = judge(s)) != V_CONTINUE)
		return v;
	if (s->mail.nomem) {
		mio_setreply(io, "451", "4.3.0", "kim-milter: out of memory "
		    "while receiving the message; the mail stays queued");
		session_end(s, "tempfail", "out of memory while receiving");
		return V_TEMPFAIL;
	}
	return inbound_open(s, io);
}
