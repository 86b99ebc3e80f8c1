/*
 * milter_session.c - a transaction's life: its configuration, the one log
 * line per message, the counters.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* session_begin - take the current configuration for this transaction */
void
session_begin(struct session *s)
{
	if (s->in_txn)
		session_end(s, "abort", NULL);
	s->rt = state_runtime();
	s->conf = s->rt->conf;
	s->sender[0] = 0;
	s->msg_size = 0;
	s->dienstkennung[0] = 0;
	s->dk_seen = 0;
	s->role = conf_role_of(s->conf, s->daemon_name[0] ? s->daemon_name :
	    NULL);
	s->in_txn = 1;
	s->nrcpt = 0;
	s->queue_id[0] = 0;
	s->out_id[0] = 0;
	mail_clear(&s->mail);
	s->mail.limit = 0;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	state_active(1);
	state_count(s->role, ST_TRANSACTIONS);
}

/* session_end - the one log line per message */
void
session_end(struct session *s, const char *decision, const char *reason)
{
	struct timespec t1;
	double secs;

	if (!s->in_txn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - s->t0.tv_sec) +
	    (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
	if (strcmp(decision, "accept") == 0 || strcmp(decision, "kim") == 0)
		state_count(s->role, ST_ACCEPT);
	else if (strcmp(decision, "tempfail") == 0)
		state_count(s->role, ST_TEMPFAIL);
	else if (strcmp(decision, "reject") == 0)
		state_count(s->role, ST_REJECT);
	msg_info("%s: role=%s listener=%s client=%s rcpts=%lu decision=%s%s%s%s "
	    "time=%.3fs", s->queue_id[0] ? s->queue_id : "NOQUEUE",
	    conf_role_name(s->role), s->daemon_name[0] ? s->daemon_name : "-",
	    s->client[0] ? s->client : "-", s->nrcpt, decision,
	    reason ? " reason=\"" : "", reason ? reason : "",
	    reason ? "\"" : "", secs);
	mail_clear(&s->mail);
	while (s->nrcpts > 0) {
		s->nrcpts--;
		free(s->rcpts[s->nrcpts].addr);
		dir_result_free(s->rcpts[s->nrcpts].res);
	}
	free(s->rcpts);
	s->rcpts = NULL;
	s->rcpts_cap = 0;
	runtime_unref(s->rt);
	s->rt = NULL;
	s->conf = NULL;
	s->in_txn = 0;
	state_active(-1);
}

/* session_add_rcpt - keep an accepted recipient (takes res) */
int
session_add_rcpt(struct session *s, const char *addr, struct dir_result *res)
{
	struct txn_rcpt *nv;
	char *a;

	if (s->nrcpts == s->rcpts_cap) {
		size_t cap = s->rcpts_cap ? s->rcpts_cap * 2 : 8;

		nv = realloc(s->rcpts, cap * sizeof(*nv));
		if (nv == NULL)
			goto nomem;
		s->rcpts = nv;
		s->rcpts_cap = cap;
	}
	if ((a = strdup(addr)) == NULL)
		goto nomem;
	s->rcpts[s->nrcpts].addr = a;
	s->rcpts[s->nrcpts].res = res;
	s->nrcpts++;
	return 0;
nomem:
	dir_result_free(res);
	return -1;
}

/* session_envfrom - drain check, then the role's MAIL FROM step */
enum verdict
session_envfrom(struct session *s, struct mio *io, const char *from,
    char **esmtp_args)
{
	enum verdict v;
	char text[400];

	snprintf(s->sender, sizeof(s->sender), "%s", from ? from : "");
	if (state_draining()) {
		mio_setreply(io, "451", "4.3.2",
		    "kim-milter is draining for a restart; try again later");
		session_end(s, "tempfail", "draining");
		return V_TEMPFAIL;
	}
	switch (s->role) {
	case CONF_ROLE_FRONT:
		v = front_envfrom(s, io, from);
		break;
	case CONF_ROLE_GATE:
		v = gate_envfrom(s, io, from, esmtp_args);
		break;
	case CONF_ROLE_INBOUND:
		v = inbound_envfrom(s, io, from);
		break;
	default:
		/* fail closed: a listener that lost its name is never front */
		snprintf(text, sizeof(text),
		    "kim-milter: listener name \"%s\" has no role; add "
		    "\"Listener %s role=front|gate|inbound\" to "
		    "kim-milter.conf and set -o milter_macro_daemon_name= on "
		    "the listener in master.cf",
		    s->daemon_name[0] ? s->daemon_name : "(none)",
		    s->daemon_name[0] ? s->daemon_name : "NAME");
		mio_setreply(io, "451", "4.3.5", text);
		session_end(s, "tempfail", "unknown listener name; see "
		    "Listener in kim-milter.conf(5)");
		return V_TEMPFAIL;
	}
	if (v != V_CONTINUE && s->in_txn)
		session_end(s, v == V_ACCEPT ? "accept" : v == V_REJECT ?
		    "reject" : "tempfail", NULL);
	return v;
}

/* session_reply - a policy decision as the SMTP reply and our verdict */
enum verdict
session_reply(struct session *s, struct mio *io,
    const struct policy_decision *d)
{
	if (d->verdict == POLICY_PASS)
		return V_CONTINUE;
	mio_setreply(io, d->rcode, d->xcode, d->reason);
	return d->verdict == POLICY_REJECT ? V_REJECT : V_TEMPFAIL;
}

/* session_refuse - the policy's answer for a failure; ends the transaction */
enum verdict
session_refuse(struct session *s, struct mio *io, const struct policy *p,
    enum policy_failure f, const char *why)
{
	struct policy_decision d;

	policy_decide_failure(p, f, why, &d);
	return session_finish(s, io, &d, why);
}

/* session_finish - answer a decision and end the transaction with it */
enum verdict
session_finish(struct session *s, struct mio *io,
    const struct policy_decision *d, const char *why)
{
	enum verdict v = session_reply(s, io, d);

	session_end(s, v == V_REJECT ? "reject" : "tempfail", why);
	return v;
}

/* session_tempfail - a 4xx whatever the policy says; ends the transaction */
enum verdict
session_tempfail(struct session *s, struct mio *io, const char *xcode,
    const char *why)
{
	char text[480];

	snprintf(text, sizeof(text), "kim-milter: %.400s; the mail stays "
	    "queued", why);
	mio_setreply(io, "451", xcode, text);
	session_end(s, "tempfail", why);
	return V_TEMPFAIL;
}

/* session_message_id - keep the message's Message-ID for the log line */
void
session_message_id(struct session *s)
{
	const char *v = mail_find(&s->mail, "Message-ID", 0);
	size_t n;

	if (v == NULL)
		return;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	if (n >= sizeof(s->out_id))
		n = sizeof(s->out_id) - 1;
	memcpy(s->out_id, v, n);
	s->out_id[n] = 0;
}
