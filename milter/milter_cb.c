/*
 * milter_cb.c - the libmilter callbacks. The only code that sees SMFICTX:
 * it keeps the session, picks the role and hands each step to its pipeline.
 * Never die here: every failure becomes a tempfail (rule 1).
 */
#include "config.h"

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "milter.h"
#include "msg.h"

/* sfsi - our verdict as libmilter's status */
static sfsistat
sfsi(enum verdict v)
{
	switch (v) {
	case V_ACCEPT: return SMFIS_ACCEPT;
	case V_TEMPFAIL: return SMFIS_TEMPFAIL;
	case V_REJECT: return SMFIS_REJECT;
	default: return SMFIS_CONTINUE;
	}
}

/* decision_name - for the log line */
static const char *
decision_name(enum verdict v)
{
	switch (v) {
	case V_ACCEPT: return "accept";
	case V_TEMPFAIL: return "tempfail";
	case V_REJECT: return "reject";
	default: return "continue";
	}
}

/* cb_session - the session of a context */
static struct session *
cb_session(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* cb_end - a per-message verdict ends the transaction */
static sfsistat
cb_end(struct session *s, enum verdict v)
{
	if (v != V_CONTINUE && s->in_txn)
		session_end(s, decision_name(v), NULL);
	return sfsi(v);
}

/*
 * cb_negotiate - ask the MTA for no more than we use: no HELO stage, and no
 * wait for our answer at connect (we always go on there; a session we
 * could not set up is tempfailed at MAIL FROM). Every round trip saved is
 * saved for each normal message at the front.
 */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct session *s;

	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_CHGFROM);
	/*
	 * HDR_LEADSPC: header values keep their leading space, or the inner
	 * message the gate signs would differ from what the client sent.
	 */
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NR_CONN | SMFIP_NOUNKNOWN |
	    SMFIP_HDR_LEADSPC);
	*pf2 = *pf3 = 0;
	/* the session starts here; cb_connect fills it */
	s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->nr_conn = (*pf1 & SMFIP_NR_CONN) != 0;
	smfi_setpriv(ctx, s);
	return SMFIS_CONTINUE;
}

/* cb_connect - remember who and which listener */
static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct session *s = cb_session(ctx);
	const char *dn;

	if (s == NULL && (s = calloc(1, sizeof(*s))) == NULL) {
		/* MAIL FROM finds no session and tempfails */
		msg_error("out of memory at connect; the session will be "
		    "tempfailed");
		return SMFIS_CONTINUE;
	}
	dn = smfi_getsymval(ctx, "{daemon_name}");
	if (dn)
		snprintf(s->daemon_name, sizeof(s->daemon_name), "%s", dn);
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    s->client, sizeof(s->client));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    s->client, sizeof(s->client));
	else
		snprintf(s->client, sizeof(s->client), "%s",
		    host ? host : "local");
	smfi_setpriv(ctx, s);
	/* with SMFIP_NR_CONN the MTA waits for no answer here */
	return s->nr_conn ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* cb_envfrom - a new transaction: config, role, drain */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = cb_session(ctx);
	struct mio io;
	const char *qid;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	mio_smfi(&io, ctx);
	session_begin(s);
	qid = smfi_getsymval(ctx, "i");
	if (qid)
		snprintf(s->queue_id, sizeof(s->queue_id), "%s", qid);
	return sfsi(session_envfrom(s, &io, argv[0], argv + 1));
}

/* cb_envrcpt - per-recipient answers (front) */
static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = cb_session(ctx);
	struct mio io;

	if (s == NULL || !s->in_txn)
		return SMFIS_TEMPFAIL;
	mio_smfi(&io, ctx);
	s->nrcpt++;
	if (s->role == CONF_ROLE_FRONT)
		return sfsi(front_envrcpt(s, &io, argv[0]));
	if (s->role == CONF_ROLE_GATE)
		return sfsi(gate_envrcpt(s, &io, argv[0]));
	if (s->role == CONF_ROLE_INBOUND)
		return sfsi(inbound_envrcpt(s, &io, argv[0]));
	return SMFIS_CONTINUE;
}

/* cb_data - the front steps out here */
static sfsistat
cb_data(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);
	struct mio io;

	if (s == NULL || !s->in_txn)
		return SMFIS_TEMPFAIL;
	mio_smfi(&io, ctx);
	if (s->queue_id[0] == 0) {
		/* Postfix sends {i} with the DATA macros, not at MAIL FROM */
		const char *qid = smfi_getsymval(ctx, "i");

		if (qid)
			snprintf(s->queue_id, sizeof(s->queue_id), "%s", qid);
	}
	if (s->role == CONF_ROLE_FRONT)
		return cb_end(s, front_data(s, &io));
	return SMFIS_CONTINUE;
}

/* cb_header - counted: the front must never see one */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = cb_session(ctx);

	if (s == NULL || !s->in_txn)
		return SMFIS_TEMPFAIL;
	state_count(s->role, ST_HEADERS);
	if (s->role == CONF_ROLE_GATE) {
		struct mio io;

		mio_smfi(&io, ctx);
		return cb_end(s, gate_header(s, &io, name, value));
	}
	if (s->role == CONF_ROLE_INBOUND) {
		struct mio io;

		mio_smfi(&io, ctx);
		return cb_end(s, inbound_header(s, &io, name, value));
	}
	return SMFIS_CONTINUE;
}

/* cb_body - counted: the front must never see one */
static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct session *s = cb_session(ctx);

	if (s == NULL || !s->in_txn)
		return SMFIS_TEMPFAIL;
	state_count(s->role, ST_BODY_CHUNKS);
	if (s->role == CONF_ROLE_GATE) {
		struct mio io;

		mio_smfi(&io, ctx);
		return cb_end(s, gate_body(s, &io, chunk, len));
	}
	if (s->role == CONF_ROLE_INBOUND) {
		struct mio io;

		mio_smfi(&io, ctx);
		return cb_end(s, inbound_body(s, &io, chunk, len));
	}
	return SMFIS_CONTINUE;
}

/* cb_eom - end of message: the gate encrypts, inbound decrypts */
static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);
	struct mio io;

	if (s == NULL || !s->in_txn)
		return SMFIS_TEMPFAIL;
	mio_smfi(&io, ctx);
	if (s->role == CONF_ROLE_GATE)
		return cb_end(s, gate_eom(s, &io));
	if (s->role == CONF_ROLE_INBOUND)
		return cb_end(s, inbound_eom(s, &io));
	if (s->role != CONF_ROLE_FRONT) {
		/* fail closed: an unknown role never passes a message */
		mio_setreply(&io, "451", "4.3.5",
		    "kim-milter: listener without a role; see Listener in "
		    "kim-milter.conf(5)");
		return cb_end(s, V_TEMPFAIL);
	}
	return cb_end(s, V_ACCEPT);
}

/* cb_abort - the transaction ended without EOM */
static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);

	if (s && s->in_txn)
		session_end(s, "abort", NULL);
	return SMFIS_CONTINUE;
}

/* cb_close - the session is over */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct session *s = cb_session(ctx);

	if (s) {
		if (s->in_txn)
			session_end(s, "abort", "connection closed");
		free(s);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "kim-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY |
	    SMFIF_CHGFROM,
	.xxfi_connect = cb_connect,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_data = cb_data,
	.xxfi_header = cb_header,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_negotiate = cb_negotiate,
};
