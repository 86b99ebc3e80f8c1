/*
 * inbound_open.c - the inbound role's end of message for a KIM message to
 * local recipients (kim-format.md section 3, issue 8).
 *
 *  1. kim_inspect reads the RecipientInfos and recipient-emails without a
 *     key. A_2045: every local recipient of the transaction must be named
 *     there, and no other recipient may be in the transaction; otherwise
 *     nobody gets plaintext: all get the decryption-failure mail (01)
 *     carrying the original.
 *  2. The card: the first pool with a card whose ENC certificate (RSA or
 *     ECC) a RecipientInfo of a local recipient names; busy or
 *     removed is a tempfail. The content is decrypted once (kim_decode)
 *     and serves every local recipient.
 *  3. Verification by kim_decode (signature, OSIG path to TrustAnchors,
 *     revocation through rev.h, outer versus inner headers, both
 *     recipient-emails copies), then the sender binding: the signer's
 *     Telematik-ID must be the one the directory holds for the inner From
 *     address (beyond the specification: the forged-sender hole).
 *  4. Success (01, or 07 when the status is unchecked): the inner message
 *     replaces the outer one without any X-KIM-DecryptionResult,
 *     X-KIM-IntegrityCheckResult or X-Kimgate-Route of its own; Received
 *     and Return-Path of the outer mail are kept; our result headers are
 *     added. Failure: the error mail with the result headers.
 * Transient causes (card busy or gone, directory down, OCSP unanswered
 * under RevocationCheck hard) are a tempfail (451): the mail stays queued
 * and is retried. As at the gate, every slow step comes before the first
 * edit, and the edits go in one run (mail_replace).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "card_pool.h"
#include "dir.h"
#include "dir_cert.h"
#include "kim.h"
#include "milter.h"
#include "msg.h"
#include "rev.h"

/* headers a decrypted message may not bring along (issue 8) */
static const char *const forged[] = {
	"X-KIM-DecryptionResult", "X-KIM-IntegrityCheckResult",
	"X-Kimgate-Route", NULL
};

/* what the card must hold: an ENC certificate a RecipientInfo names */
struct want {
	const struct kim_envelope *env;
	const char *addr;
};

/* card_names - match function: the card holds a named ENC certificate */
static int
card_names(struct card *card, void *arg)
{
	const struct want *w = arg;
	X509 *c[2];
	size_t i;
	int k;

	c[0] = card_certificate(card, CARD_USE_ENC, CARD_KEY_RSA);
	c[1] = card_certificate(card, CARD_USE_ENC, CARD_KEY_ECC);
	for (i = 0; i < w->env->nri; i++) {
		if (w->env->ri[i].address == NULL ||
		    strcasecmp(w->env->ri[i].address, w->addr) != 0)
			continue;
		for (k = 0; k < 2; k++)
			if (c[k] && kim_envelope_names(&w->env->ri[i], c[k]))
				return 1;
	}
	return 0;
}

/* named_in - is addr one of the recipient-emails addresses? */
static int
named_in(const struct kim_envelope *env, const char *addr)
{
	size_t i;

	for (i = 0; i < env->nri; i++)
		if (env->ri[i].address &&
		    strcasecmp(env->ri[i].address, addr) == 0)
			return 1;
	return 0;
}

/* the revocation question of one message */
struct revq {
	const struct rev *rv;
	int transient;		/* unanswered for a passing reason */
};

/* rev_cb - kim_decode's revocation callback over rev.h */
static enum kim_rev
rev_cb(X509 *signer, STACK_OF(X509) *chain, void *arg, struct buf *why)
{
	struct revq *q = arg;
	int t = 0;
	enum kim_rev r = rev_check(q->rv, signer, chain, &t, why);

	q->transient |= t;
	return r;
}

/* keep_trace - the outer headers that stay: Received and Return-Path */
static int
keep_trace(const char *name)
{
	return strcasecmp(name, "Received") == 0 ||
	    strcasecmp(name, "Return-Path") == 0;
}

/* apply - replace the message by msg, add the result headers */
static int
apply(struct session *s, struct mio *io, int dec, int integ,
    const struct buf *msg)
{
	struct mail_header h[2];
	char dv[8], iv[8];
	size_t n = 0;

	snprintf(dv, sizeof(dv), " %02d", dec);
	h[n].name = (char *)"X-KIM-DecryptionResult";
	h[n++].value = dv;
	if (integ) {
		snprintf(iv, sizeof(iv), " %02d", integ);
		h[n].name = (char *)"X-KIM-IntegrityCheckResult";
		h[n++].value = iv;
	}
	return mail_replace(io, &s->mail, keep_trace, h, n, msg->data,
	    msg->len);
}

/* finish - make the edits, log the one line, accept */
static enum verdict
finish(struct session *s, struct mio *io, int dec, int integ,
    const struct buf *msg, const char *what, const char *reason)
{
	char line[700];

	if (apply(s, io, dec, integ, msg) < 0)
		return session_tempfail(s, io, "4.3.0", "the MTA refused "
		    "a message edit");
	snprintf(line, sizeof(line), "%s message-id=%s local-rcpts=%zu "
	    "decryption=%02d integrity=%02d: %s", what,
	    s->out_id[0] ? s->out_id : "-", s->nrcpts, dec, integ, reason);
	session_end(s, "accept", line);
	return V_ACCEPT;
}

/* undecryptable - everyone gets the decryption-failure mail (A_2046) */
static enum verdict
undecryptable(struct session *s, struct mio *io, int dec, const char *why)
{
	struct buf orig = BUF_INIT, out = BUF_INIT;
	enum verdict v;

	if (mail_render(&s->mail, NULL, &orig) < 0 ||
	    inbound_error_mail(&s->mail, dec, 0, why, orig.data, orig.len, 1,
	    &out) < 0) {
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	msg_warn("%s: inbound message-id=%s: not decrypted (%02d): %s",
	    s->queue_id[0] ? s->queue_id : "NOQUEUE",
	    s->out_id[0] ? s->out_id : "-", dec, why);
	v = finish(s, io, dec, 0, &out, "decryption-failure-mail", why);
out:
	buf_free(&orig);
	buf_free(&out);
	return v;
}

/*
 * sender_binding - the signer's Telematik-ID against the directory's for
 * the inner From: 0 bound (or not checkable: *integ becomes 07), 1 a
 * mismatch (*integ 06, why), -1 the directory cannot answer now
 */
static int
sender_binding(struct session *s, const struct kim_decode_result *r,
    int *integ, struct buf *why)
{
	struct dir_result *res = NULL;
	char tid[129];
	int st, rc = 1;

	if (r->inner_from == NULL) {
		buf_puts(why, "sender binding: the inner message has no From "
		    "address");
		*integ = KIM_INT_OTHER;
		return 1;
	}
	if (s->conf->dir_uri == NULL) {
		buf_printf(why, "%s; sender binding not checked (no "
		    "DirectoryURI)", buf_str(&r->reason));
		*integ = KIM_INT_UNCHECKED;
		return 0;
	}
	if (dir_cert_telematik_id(r->signer, tid, sizeof(tid)) < 0 ||
	    tid[0] == 0) {
		buf_puts(why, "sender binding: the signer certificate carries "
		    "no Telematik-ID");
		*integ = KIM_INT_OTHER;
		return 1;
	}
	st = dir_lookup(s->rt->dir, r->inner_from, 0, &res);
	if (st == DIR_UNAVAILABLE || st < 0) {
		buf_printf(why, "the KIM directory cannot be asked for the "
		    "sender %s: %s", r->inner_from, res ? res->reason :
		    "out of memory");
		rc = -1;
	} else if (st == DIR_NOT_FOUND) {
		buf_printf(why, "sender binding: the inner From address %s "
		    "has no entry in the KIM directory (signer Telematik-ID "
		    "%s)", r->inner_from, tid);
		*integ = KIM_INT_OTHER;
	} else if (res->telematik_id == NULL ||
	    strcmp(res->telematik_id, tid) != 0) {
		buf_printf(why, "sender binding: signer Telematik-ID %s is "
		    "not %s, the directory's for the inner From address %s "
		    "(forged sender)", tid, res->telematik_id ?
		    res->telematik_id : "(none)", r->inner_from);
		*integ = KIM_INT_OTHER;
	} else {
		buf_printf(why, "%s; sender %s bound to Telematik-ID %s",
		    buf_str(&r->reason), r->inner_from, tid);
		rc = 0;
	}
	dir_result_free(res);
	return rc;
}

/* acquire - a card of any pool that can open this message for addr */
static int
acquire(struct session *s, struct mio *io, struct want *w,
    const struct timespec *deadline, struct card_pool **pool,
    struct card **card, struct buf *why)
{
	struct card_pools *ps = s->rt->cards;
	size_t i;
	int rc = CARD_E_NOKEY;

	for (i = 0; i < card_pools_count(ps); i++) {
		*pool = card_pools_get(ps, i);
		buf_reset(why);
		rc = card_pool_acquire(*pool, card_names, w, deadline,
		    mio_progress_cb, io, card, why);
		if (rc != CARD_E_NOKEY)
			return rc;
	}
	buf_reset(why);
	buf_printf(why, "no card holds an encryption key the message is "
	    "encrypted to for %s", w->addr);
	return rc;
}

/* inbound_open - decrypt once, verify, hand over or write the error mail */
enum verdict
inbound_open(struct session *s, struct mio *io)
{
	struct kim_envelope env;
	struct kim_decode_args a;
	struct kim_decode_result r;
	struct buf why = BUF_INIT, msg = BUF_INIT, text = BUF_INIT;
	struct card_pool *pool = NULL;
	struct card *card = NULL;
	struct timespec deadline;
	struct revq q;
	struct want w;
	enum verdict v;
	size_t i;
	int rc, integ, bind;

	memset(&env, 0, sizeof(env));
	kim_decode_result_init(&r);
	session_message_id(s);
	card_deadline(&deadline, (long)s->conf->inbound_timeout * 1000);
	if (mail_render(&s->mail, NULL, &msg) < 0) {
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	rc = kim_inspect((const unsigned char *)msg.data, msg.len, &env,
	    &why);
	if (rc == KIM_E_NOMEM) {
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	if (rc != KIM_OK) {
		buf_printf(&text, "the KIM message cannot be read: %s",
		    buf_str(&why));
		v = undecryptable(s, io, KIM_DEC_FORMAT, buf_str(&text));
		goto out;
	}
	/* A_2045: plaintext only if the sender encrypted for all of them */
	for (i = 0; i < s->nrcpts; i++)
		if (!named_in(&env, s->rcpts[i].addr))
			break;
	if (i < s->nrcpts || s->in_foreign > 0) {
		if (i < s->nrcpts)
			buf_printf(&text, "the message is not encrypted for "
			    "%s, a recipient of this delivery (A_2045)",
			    s->rcpts[i].addr);
		else
			buf_printf(&text, "the delivery also goes to %zu "
			    "recipient(s) that are not local KIM addresses "
			    "(A_2045)", s->in_foreign);
		v = undecryptable(s, io, KIM_DEC_NOKEY, buf_str(&text));
		goto out;
	}
	/* the card of any local recipient opens it for all of them */
	w.env = &env;
	rc = CARD_E_NOKEY;
	for (i = 0; i < s->nrcpts && rc == CARD_E_NOKEY; i++) {
		w.addr = s->rcpts[i].addr;
		rc = acquire(s, io, &w, &deadline, &pool, &card, &why);
	}
	if (rc == CARD_E_NOKEY) {
		v = undecryptable(s, io, KIM_DEC_NOKEY, buf_str(&why));
		goto out;
	}
	if (rc != CARD_OK) {
		buf_printf(&text, "card pool %s: %s (%s)",
		    card_pool_name(pool), rc == CARD_E_BUSY ? "no card free "
		    "before InboundTimeout" : buf_str(&why), card_err_str(rc));
		if (card_err_transient(rc) || rc == CARD_E_DISABLED)
			v = session_tempfail(s, io, "4.3.0", buf_str(&text));
		else
			v = undecryptable(s, io, KIM_DEC_KONNEKTOR,
			    buf_str(&text));
		goto out;
	}
	memset(&a, 0, sizeof(a));
	memset(&q, 0, sizeof(q));
	q.rv = s->rt->rev;
	a.msg = (const unsigned char *)msg.data;
	a.msglen = msg.len;
	a.address = w.addr;
	a.card = card;
	a.anchors = rev_anchors(s->rt->rev);
	a.revocation = rev_mode(s->rt->rev) == REV_OFF ? NULL : rev_cb;
	a.revocation_arg = &q;
	a.require_osig_policy = 1;
	a.ecies_oid = s->conf->ecies_oid;
	a.deadline = &deadline;
	a.progress = mio_progress_cb;
	a.progress_arg = io;
	rc = kim_decode(&a, &r);
	card_pool_release(pool, card, r.card_err);
	if (rc < 0) {
		buf_reset(&text);
		buf_printf(&text, "decoding failed: %s", kim_err_str(rc));
		v = session_tempfail(s, io, "4.3.0", buf_str(&text));
		goto out;
	}
	if (r.decryption != KIM_DEC_OK) {
		if (card_err_transient(r.card_err)) {
			buf_printf(&text, "card pool %s: %s",
			    card_pool_name(pool), buf_str(&r.reason));
			v = session_tempfail(s, io, "4.3.0", buf_str(&text));
		} else {
			v = undecryptable(s, io, r.decryption,
			    buf_str(&r.reason));
		}
		goto out;
	}
	if (q.transient && rev_mode(s->rt->rev) == REV_HARD &&
	    r.integrity == KIM_INT_UNCHECKED) {
		buf_printf(&text, "revocation status of the signer unknown "
		    "under RevocationCheck hard: %s", buf_str(&r.reason));
		v = session_tempfail(s, io, "4.7.0", buf_str(&text));
		goto out;
	}
	integ = r.integrity;
	buf_reset(&text);
	if (integ == KIM_INT_OK || integ == KIM_INT_UNCHECKED) {
		bind = sender_binding(s, &r, &integ, &text);
		if (bind < 0) {
			v = session_tempfail(s, io, "4.4.3", buf_str(&text));
			goto out;
		}
		if (bind > 0)
			msg_warn("%s: inbound message-id=%s: %s",
			    s->queue_id[0] ? s->queue_id : "NOQUEUE",
			    s->out_id[0] ? s->out_id : "-", buf_str(&text));
	} else {
		buf_puts(&text, buf_str(&r.reason));
	}
	buf_reset(&msg);
	if (integ == KIM_INT_OK || integ == KIM_INT_UNCHECKED) {
		if (inbound_strip((const unsigned char *)r.content.data +
		    r.msg_off, r.msg_len, forged, &msg) < 0) {
			v = session_tempfail(s, io, "4.3.0", "out of memory");
			goto out;
		}
		v = finish(s, io, KIM_DEC_OK, integ, &msg, "decrypted",
		    buf_str(&text));
		goto out;
	}
	/* A_23165: the security-violation mail with the decrypted message */
	{
		struct buf inner = BUF_INIT;
		int is_msg = r.content.len > 0;

		rc = is_msg ? inbound_strip((const unsigned char *)
		    r.content.data + r.msg_off, r.msg_len, forged, &inner) :
		    buf_append(&inner, r.decrypted.data, r.decrypted.len);
		if (rc < 0 || inbound_error_mail(&s->mail, KIM_DEC_OK, integ,
		    buf_str(&text), (const unsigned char *)inner.data,
		    inner.len, is_msg, &msg) < 0) {
			buf_free(&inner);
			v = session_tempfail(s, io, "4.3.0", "out of memory");
			goto out;
		}
		buf_free(&inner);
	}
	msg_warn("%s: inbound message-id=%s: integrity check failed (%02d): "
	    "%s", s->queue_id[0] ? s->queue_id : "NOQUEUE",
	    s->out_id[0] ? s->out_id : "-", integ, buf_str(&text));
	v = finish(s, io, KIM_DEC_OK, integ, &msg, "security-violation-mail",
	    buf_str(&text));
out:
	kim_envelope_free(&env);
	kim_decode_result_free(&r);
	buf_free(&why);
	buf_free(&msg);
	buf_free(&text);
	return v;
}
