/*
 * gate_send.c - the gate's end of message for a message the policy let
 * through: the KIM message is built and replaces the client mail.
 *
 * The order is fixed by libmilter and Postfix (issue 7, architecture.md):
 *  1. every slow step first: the sender's own directory entry, a card of
 *     the policy's pool, the signature and the encryption (the card calls
 *     our progress callback, which sends smfi_progress from this thread);
 *  2. then the envelope sender (smfi_chgfrom) and the header edits;
 *  3. then the whole body in one run: nothing (progress included) may be
 *     sent between body chunks, or Postfix fails the message on every
 *     retry.
 * Any failure before step 2 refuses the message with the policy's action
 * (reject or tempfail); nothing has been changed then. A failure of the
 * MTA during steps 2-3 is a tempfail: Postfix discards the edits with it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card_pool.h"
#include "dir.h"
#include "kim.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* headers never carried into the signed message */
static const char *const inner_drop[] = {
	"X-Kimgate-Route",	/* a route header is ours alone to set */
	NULL
};

/* the parties of one message, with the certificates they borrow */
struct parties {
	struct kim_party sender;
	struct kim_party *rcpts;
	size_t nrcpts;
	X509 **certs;		/* every certificate slot, borrowed */
	size_t ncerts;
	struct dir_result *sender_res;
};

/* usable_certs - point p at the usable certificates of a directory entry */
static int
usable_certs(struct parties *pt, struct kim_party *p,
    const struct dir_result *res)
{
	size_t i, first = pt->ncerts;

	for (i = 0; i < res->ncerts; i++)
		if (res->certs[i].x509 && res->certs[i].reason == DIR_CERT_OK)
			pt->certs[pt->ncerts++] = res->certs[i].x509;
	p->address = res->address;
	p->certs = pt->certs + first;
	p->ncerts = pt->ncerts - first;
	return p->ncerts > 0 ? 0 : -1;
}

/* parties_free - release what parties_build took */
static void
parties_free(struct parties *pt)
{
	free(pt->rcpts);
	free(pt->certs);
	dir_result_free(pt->sender_res);
	memset(pt, 0, sizeof(*pt));
}

/*
 * sender_party - the sender's own KIM address and its encryption
 * certificates (A_2111-01: the sender gets a copy it can read). No usable
 * certificate: 553 5.1.8 under On-NoCertificate reject; unavailable:
 * On-DirectoryError.
 */
static enum verdict
sender_party(struct session *s, struct mio *io, const struct policy *p,
    const char *kim, struct parties *pt)
{
	struct policy_decision d;
	char why[400];
	int st;

	st = dir_lookup(s->rt->dir, kim, 0, &pt->sender_res);
	if (st == DIR_FOUND)
		return V_CONTINUE;
	if (st == DIR_UNAVAILABLE || st < 0) {
		snprintf(why, sizeof(why), "the KIM directory cannot be asked "
		    "for the sender's own address %s: %s", kim,
		    pt->sender_res ? pt->sender_res->reason : "out of memory");
		return session_refuse(s, io, p, POLICY_FAIL_DIRECTORY, why);
	}
	snprintf(why, sizeof(why), "sender's KIM address %s has no usable "
	    "encryption certificate in the KIM directory (%s)", kim,
	    pt->sender_res->reason);
	policy_decide_failure(p, POLICY_FAIL_NO_CERTIFICATE, why, &d);
	if (d.verdict == POLICY_REJECT) {
		/* the sender's own address: a 553-class refusal (spec) */
		snprintf(d.rcode, sizeof(d.rcode), "553");
		snprintf(d.xcode, sizeof(d.xcode), "5.1.8");
	}
	return session_finish(s, io, &d, why);
}

/* parties_build - sender and recipients with their usable certificates */
static enum verdict
parties_build(struct session *s, struct mio *io, const struct policy *p,
    const char *kim, struct parties *pt)
{
	size_t i, total;
	char why[300];
	enum verdict v;

	if ((v = sender_party(s, io, p, kim, pt)) != V_CONTINUE)
		return v;
	total = pt->sender_res->ncerts;
	for (i = 0; i < s->nrcpts; i++)
		total += s->rcpts[i].res->ncerts;
	pt->certs = calloc(total + 1, sizeof(*pt->certs));
	pt->rcpts = calloc(s->nrcpts + 1, sizeof(*pt->rcpts));
	if (pt->certs == NULL || pt->rcpts == NULL)
		return session_tempfail(s, io, "4.3.0", "out of memory");
	if (usable_certs(pt, &pt->sender, pt->sender_res) < 0)
		return session_tempfail(s, io, "4.3.0", "the sender's "
		    "certificates became unusable during the transaction");
	for (i = 0; i < s->nrcpts; i++) {
		if (usable_certs(pt, &pt->rcpts[i], s->rcpts[i].res) < 0) {
			snprintf(why, sizeof(why), "recipient %s has no usable "
			    "certificate", s->rcpts[i].addr);
			return session_refuse(s, io, p,
			    POLICY_FAIL_NO_CERTIFICATE, why);
		}
		pt->nrcpts++;
	}
	return V_CONTINUE;
}

/* card_failure - the answer for a card error: transient ones are 4xx */
static enum verdict
card_failure(struct session *s, struct mio *io, const struct policy *p,
    int cerr, const char *what)
{
	char why[400];

	snprintf(why, sizeof(why), "card pool %s: %s (%s)",
	    policy_card_pool(p), what, card_err_str(cerr));
	if (card_err_transient(cerr))
		return session_tempfail(s, io, "4.3.0", why);
	return session_refuse(s, io, p, POLICY_FAIL_CARD, why);
}

/* a card lease that may end before kim_encode returns */
struct lease {
	struct card_pool *pool;
	struct card *card;
	int held;
};

/* lease_end - the signature is made: the card may serve the next message */
static void
lease_end(void *arg)
{
	struct lease *l = arg;

	if (l->held)
		card_pool_release(l->pool, l->card, CARD_OK);
	l->held = 0;
}

/*
 * apply - make the MTA's message the KIM message: envelope sender, every
 * original header out, the KIM headers and the route header in, the body.
 */
static int
apply(struct session *s, struct mio *io, const char *kim,
    const char *account, const struct buf *out)
{
	struct mail_header route;
	char from[SESSION_ADDR_MAX + 2];
	char value[80];

	snprintf(from, sizeof(from), "<%s>", kim);
	if (mio_chgfrom(io, from) < 0)
		return -1;
	snprintf(value, sizeof(value), " %s", account);
	route.name = (char *)"X-Kimgate-Route";
	route.value = value;
	return mail_replace(io, &s->mail, NULL, &route, 1, out->data,
	    out->len);
}

/* gate_send - sign, encrypt, replace; or refuse */
enum verdict
gate_send(struct session *s, struct mio *io, const struct policy *p,
    const char *dienstkennung)
{
	const char *kim = policy_kim_address(p);
	const char *account = policy_kim_account(p);
	struct mail_render_opts ro = { kim, inner_drop };
	struct parties pt;
	struct kim_encode_args a;
	struct buf in = BUF_INIT, out = BUF_INIT, why = BUF_INIT;
	struct card_pool *pool;
	struct card *card = NULL;
	struct lease lease;
	struct timespec deadline;
	char line[400];
	enum verdict v;
	int rc, cerr = 0;

	memset(&pt, 0, sizeof(pt));
	card_deadline(&deadline, (long)s->conf->gate_timeout * 1000);
	if (kim == NULL || account == NULL) {
		v = session_refuse(s, io, p, POLICY_FAIL_DENIED, "the policy "
		    "names no KimAddress or KimAccount; see "
		    "kim-milter-policy(5)");
		goto out;
	}
	if (s->nrcpts == 0) {
		v = session_tempfail(s, io, "4.3.0",
		    "no KIM recipient was accepted");
		goto out;
	}
	v = gate_already_kim(s, io, p, kim, account, &rc);
	if (rc)
		goto out;
	if ((v = parties_build(s, io, p, kim, &pt)) != V_CONTINUE)
		goto out;
	session_message_id(s);
	if (mail_render(&s->mail, &ro, &in) < 0) {
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	pool = card_pools_find(s->rt->cards, policy_card_pool(p));
	if (pool == NULL || card_pool_size(pool) == 0) {
		snprintf(line, sizeof(line), "card pool %s has no card; add a "
		    "Card line with pool=%s to kim-milter.conf",
		    policy_card_pool(p) ? policy_card_pool(p) : "(none)",
		    policy_card_pool(p) ? policy_card_pool(p) : "NAME");
		v = session_refuse(s, io, p, POLICY_FAIL_CARD, line);
		goto out;
	}
	rc = card_pool_acquire(pool, card_match_osig, NULL, &deadline,
	    mio_progress_cb, io, &card, &why);
	if (rc != CARD_OK) {
		v = card_failure(s, io, p, rc, rc == CARD_E_BUSY ?
		    "no card free before GateTimeout" : buf_str(&why));
		goto out;
	}
	lease.pool = pool;
	lease.card = card;
	lease.held = 1;
	memset(&a, 0, sizeof(a));
	a.card_done = lease_end;
	a.card_done_arg = &lease;
	a.msg = in.data;
	a.msglen = in.len;
	a.card = card;
	a.sender = &pt.sender;
	a.rcpts = pt.rcpts;
	a.nrcpts = pt.nrcpts;
	a.encrypt_to = s->conf->encrypt_to_all ? KIM_ENCRYPT_ALL :
	    KIM_ENCRYPT_ECC_PREFERRED;
	a.dienstkennung = dienstkennung;
	a.ecies_oid = s->conf->ecies_oid;
	a.deadline = &deadline;
	a.progress = mio_progress_cb;
	a.progress_arg = io;
	buf_reset(&why);
	rc = kim_encode(&a, &out, &cerr, &why);
	/* normally released after the signature already (lease_end) */
	if (lease.held)
		card_pool_release(pool, card, rc == KIM_E_CARD ? cerr :
		    CARD_OK);
	if (rc == KIM_E_CARD) {
		v = card_failure(s, io, p, cerr, buf_str(&why));
		goto out;
	}
	if (rc == KIM_E_INPUT) {
		snprintf(line, sizeof(line), "the message cannot be made a KIM "
		    "message: %s", buf_str(&why));
		v = session_refuse(s, io, p, POLICY_FAIL_DENIED, line);
		goto out;
	}
	if (rc < 0) {
		snprintf(line, sizeof(line), "encoding failed: %s: %s",
		    kim_err_str(rc), buf_str(&why));
		v = session_tempfail(s, io, "4.3.0", line);
		goto out;
	}
	/* from here on nothing but the edits goes to the MTA */
	if (apply(s, io, kim, account, &out) < 0) {
		v = session_tempfail(s, io, "4.3.0",
		    "the MTA refused a message edit");
		goto out;
	}
	snprintf(line, sizeof(line), "kim message-id=%s sender=%s account=%s "
	    "recipients=%zu size=%zu->%zu", s->out_id[0] ? s->out_id : "-",
	    kim, account, pt.nrcpts, in.len, out.len);
	session_end(s, "kim", line);
	v = V_ACCEPT;
out:
	parties_free(&pt);
	buf_free(&in);
	buf_free(&out);
	buf_free(&why);
	return v;
}
