/*
 * pipe_front.c - the front role: the relay's public listeners.
 *
 * The front only answers recipients. Postfix routes KIM domains to the gate,
 * where the transformation happens; the front returns ACCEPT at DATA so that
 * neither headers nor body are ever streamed to it (normal mail is not
 * delayed by the milter). Never ACCEPT at RCPT: that would accept the whole
 * transaction before the other recipients are checked.
 *
 * The front sees the envelope sender before Postfix's canonical maps: only
 * an explicit `KimSending no` of the matching policy is refused here; the
 * default policy (uncovered senders, bounces) is enforced at the gate.
 */
#include "config.h"

#include "milter.h"
#include "policy.h"

/* front_envfrom - nothing to decide on the sender alone */
enum verdict
front_envfrom(struct session *s, struct mio *io, const char *from)
{
	return V_CONTINUE;
}

/* front_envrcpt - KIM recipients: sender policy, then the directory */
enum verdict
front_envrcpt(struct session *s, struct mio *io, const char *rcpt)
{
	const struct policy *p;
	struct policy_decision d;

	if (policy_rcpt_kind(s->rt->policies, s->conf, rcpt) !=
	    POLICY_RCPT_KIM)
		return V_CONTINUE;	/* normal mail and our own addresses */
	p = policy_match(s->rt->policies, s->sender);
	policy_front_rcpt(p, s->sender, rcpt, &d);
	if (d.verdict != POLICY_PASS)
		return session_reply(s, io, &d);
	return rcpt_check(s, io, rcpt, p, 0, NULL);
}

/* front_data - step out: the rest of the message is not ours */
enum verdict
front_data(struct session *s, struct mio *io)
{
	return V_ACCEPT;
}
