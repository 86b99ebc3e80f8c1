/*
 * pipe_gate.c - the gate role: the only way to the KIM provider.
 *
 * MAIL FROM: a SIZE= above the policy's maximum is refused at once.
 * RCPT TO: each KIM recipient is checked against the directory.
 * End of message: the policy of the envelope sender (the gate sees it after
 * the canonical maps) decides: KIM allowed, size of the client mail,
 * X-KIM-Dienstkennung. Signing and encryption are not built yet, so a
 * message that passes every check is tempfailed: it stays in Postfix's
 * queue, nothing reaches the provider, nothing is lost (rule 1).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "milter.h"
#include "msg.h"
#include "policy.h"

#define GATE_NOT_READY \
	"KIM path not configured yet: kim-milter cannot sign and encrypt " \
	"in this release; the mail stays queued"

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

	if (size > policy_max_size(p)) {
		snprintf(why, sizeof(why), "message size %llu exceeds the "
		    "KIM limit of %zu bytes of policy %s", size,
		    policy_max_size(p), policy_name(p));
		policy_decide_failure(p, POLICY_FAIL_OVERSIZE, why, &d);
		return session_reply(s, io, &d);
	}
	return V_CONTINUE;
}

/* gate_envrcpt - every KIM recipient must be usable */
enum verdict
gate_envrcpt(struct session *s, struct mio *io, const char *rcpt)
{
	if (policy_rcpt_kind(s->rt->policies, s->conf, rcpt) !=
	    POLICY_RCPT_KIM)
		return V_CONTINUE;
	return rcpt_check(s, io, rcpt, policy_match(s->rt->policies,
	    s->sender));
}

/* gate_header - size and X-KIM-Dienstkennung of the client mail */
enum verdict
gate_header(struct session *s, struct mio *io, const char *name,
    const char *value)
{
	s->msg_size += strlen(name) + 2 + strlen(value) + 2;
	if (strcasecmp(name, "X-KIM-Dienstkennung") == 0) {
		const char *v = value;
		size_t n;

		if (s->dk_seen++)
			return V_CONTINUE;	/* the first one counts */
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

/* gate_body - count the body */
enum verdict
gate_body(struct session *s, struct mio *io, size_t len)
{
	s->msg_size += len;
	return V_CONTINUE;
}

/* gate_eom - the policy's checks, then hold (no outbound path yet) */
enum verdict
gate_eom(struct session *s, struct mio *io)
{
	const struct policy *p = policy_match(s->rt->policies, s->sender);
	struct policy_decision d;
	enum verdict v;

	if (s->dk_seen > 1) {
		policy_decide_failure(p, POLICY_FAIL_DENIED,
		    "the message has more than one X-KIM-Dienstkennung header",
		    &d);
		v = session_reply(s, io, &d);
		session_end(s, v == V_REJECT ? "reject" : "tempfail",
		    "duplicate X-KIM-Dienstkennung");
		return v;
	}
	policy_gate_eom(p, s->sender, s->msg_size,
	    s->dk_seen ? s->dienstkennung : NULL, &d);
	if (d.verdict != POLICY_PASS) {
		v = session_reply(s, io, &d);
		session_end(s, v == V_REJECT ? "reject" : "tempfail", d.reason);
		return v;
	}
	msg_info("%s: policy=%s size=%zu dienstkennung=%s pool=%s",
	    s->queue_id[0] ? s->queue_id : "NOQUEUE", policy_name(p),
	    s->msg_size, d.dienstkennung ? d.dienstkennung : "-",
	    policy_card_pool(p) ? policy_card_pool(p) : "-");
	mio_setreply(io, "451", "4.3.0", GATE_NOT_READY);
	session_end(s, "tempfail", "KIM path not configured yet");
	return V_TEMPFAIL;
}
