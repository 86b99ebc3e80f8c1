/*
 * pipe_gate.c - the gate role: the only way to the KIM provider.
 *
 * MAIL FROM: a SIZE= above the policy's maximum is refused at once.
 * RCPT TO: each recipient is looked up in the directory and answered with
 * the policy's action; the entries of the accepted ones are kept for the
 * end of message. Only KIM recipients belong here.
 * Headers and body: kept (the client mail is signed as it was sent), the
 * size counted, X-KIM-Dienstkennung read.
 * End of message: the policy's checks, then gate_send (gate_send.c) signs,
 * encrypts and replaces the message, or refuses it. Reject or tempfail
 * only: plaintext never passes (rule 1).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* esmtp_size - the SIZE= argument of MAIL FROM, or 0 */
static unsigned long long
esmtp_size(char **args)
{
	for (; args && *args; args++)
		if (strncasecmp(*args, "SIZE=", 5) == 0)
			return strtoull(*args + 5, NULL, 10);
	return 0;
}

/* gate_envfrom - refuse an announced size above the policy's maximum */
enum verdict
gate_envfrom(struct session *s, struct mio *io, const char *from,
    char **esmtp_args)
{
	const struct policy *p = policy_match(s->rt->policies, s->sender);
	unsigned long long size = esmtp_size(esmtp_args);
	struct policy_decision d;
	char why[200];

	(void)from;
	if (size > policy_max_size(p)) {
		snprintf(why, sizeof(why), "message size %llu exceeds the "
		    "KIM limit of %zu bytes of policy %s", size,
		    policy_max_size(p), policy_name(p));
		policy_decide_failure(p, POLICY_FAIL_OVERSIZE, why, &d);
		return session_reply(s, io, &d);
	}
	/* more than this is refused at the end: keep no more of it */
	s->mail.limit = policy_max_size(p) + 1;
	return V_CONTINUE;
}

/*
 * gate_envrcpt - every recipient must be a usable KIM address. Our own
 * KIM addresses are looked up too: at the gate they are recipients like
 * any other (mail to ourselves over KIM). A recipient outside KimDomains
 * has no business here (transport_maps sent it): tempfail, so it stays
 * queued while the admin fixes the routing.
 */
enum verdict
gate_envrcpt(struct session *s, struct mio *io, const char *rcpt)
{
	struct dir_result *res = NULL;
	enum verdict v;

	if (policy_rcpt_kind(s->rt->policies, s->conf, rcpt) ==
	    POLICY_RCPT_NOT_KIM) {
		mio_setreply(io, "451", "4.3.5", "kim-milter: not a KIM "
		    "address; the gate carries KIM mail only (check "
		    "transport_maps and KimDomains)");
		msg_warn("%s: role=gate rcpt=%s: not in KimDomains; tempfail "
		    "(check transport_maps)", s->queue_id[0] ? s->queue_id :
		    "NOQUEUE", rcpt);
		return V_TEMPFAIL;
	}
	v = rcpt_check(s, io, rcpt, policy_match(s->rt->policies, s->sender),
	    RCPT_OWN_TOO, &res);
	if (v != V_CONTINUE)
		return v;
	if (res == NULL || session_add_rcpt(s, res->address, res) < 0) {
		mio_setreply(io, "451", "4.3.0",
		    "kim-milter: out of memory; try again later");
		return V_TEMPFAIL;
	}
	return V_CONTINUE;
}

/* gate_header - keep it; read X-KIM-Dienstkennung */
enum verdict
gate_header(struct session *s, struct mio *io, const char *name,
    const char *value)
{
	(void)io;
	mail_add_header(&s->mail, name, value);
	if (strcasecmp(name, "X-KIM-Dienstkennung") == 0) {
		const char *v = value;
		size_t n;

		if (s->dk_seen++)
			return V_CONTINUE;	/* refused at the end */
		while (*v == ' ' || *v == '\t')
			v++;
		n = strlen(v);
		while (n && isspace((unsigned char)v[n - 1]))
			n--;
		if (n >= sizeof(s->dienstkennung))
			n = sizeof(s->dienstkennung) - 1;
		memcpy(s->dienstkennung, v, n);
		s->dienstkennung[n] = 0;
	}
	return V_CONTINUE;
}

/* gate_body - keep it (up to the policy's maximum) */
enum verdict
gate_body(struct session *s, struct mio *io, const unsigned char *p,
    size_t len)
{
	(void)io;
	mail_add_body(&s->mail, p, len);
	return V_CONTINUE;
}

/* gate_eom - the policy's checks, then sign, encrypt and replace */
enum verdict
gate_eom(struct session *s, struct mio *io)
{
	const struct policy *p = policy_match(s->rt->policies, s->sender);
	struct policy_decision d;
	char why[200];

	s->msg_size = s->mail.size;
	if (s->mail.nomem)
		return session_refuse(s, io, p, POLICY_FAIL_INTERNAL,
		    "out of memory while receiving the message");
	if (s->dk_seen > 1)
		return session_refuse(s, io, p, POLICY_FAIL_DENIED,
		    "the message has more than one X-KIM-Dienstkennung header");
	if (mail_count(&s->mail, "From") > 1)
		return session_refuse(s, io, p, POLICY_FAIL_DENIED,
		    "the message has more than one From header");
	policy_gate_eom(p, s->sender, s->mail.size,
	    s->dk_seen ? s->dienstkennung : NULL, &d);
	if (d.verdict != POLICY_PASS)
		return session_finish(s, io, &d, d.reason);
	if (s->mail.overflow) {
		/* policy_gate_eom saw the size; this is a second guard */
		snprintf(why, sizeof(why), "message size %zu exceeds the KIM "
		    "limit of %zu bytes of policy %s", s->mail.size,
		    policy_max_size(p), policy_name(p));
		return session_refuse(s, io, p, POLICY_FAIL_OVERSIZE, why);
	}
	return gate_send(s, io, p, d.dienstkennung);
}
