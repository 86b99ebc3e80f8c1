/*
 * policy_decide.c - the answers the milter gives: per KIM recipient at the
 * front, per message at the gate, and for every failure class under a
 * policy's On-<Class> action. Plain structs; the milter turns them into
 * smfi_setreply.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "policy_int.h"

/* the SMTP codes of each class: reject, then tempfail (RFC 3463) */
static const struct {
	const char *rcode[2];
	const char *xcode[2];
	const char *text;	/* when the caller gives no detail */
} codes[POLICY_FAIL_COUNT] = {
	[POLICY_FAIL_NO_CERTIFICATE] = {{"550", "450"}, {"5.1.1", "4.1.1"},
	    "no valid KIM encryption certificate for the recipient"},
	[POLICY_FAIL_DIRECTORY] = {{"550", "451"}, {"5.4.3", "4.4.3"},
	    "KIM directory not available"},
	[POLICY_FAIL_CARD] = {{"554", "451"}, {"5.3.0", "4.3.0"},
	    "signing card not available"},
	[POLICY_FAIL_OVERSIZE] = {{"552", "452"}, {"5.3.4", "4.3.4"},
	    "message too big for KIM"},
	[POLICY_FAIL_DENIED] = {{"550", "450"}, {"5.7.1", "4.7.1"},
	    "KIM mail not allowed by policy"},
	[POLICY_FAIL_INTERNAL] = {{"554", "451"}, {"5.3.0", "4.3.0"},
	    "internal error in kim-milter"},
};

/* set_reason - format, then keep one line of printable ASCII without '%' */
static void
set_reason(struct policy_decision *d, const char *fmt, ...)
{
	va_list ap;
	char *c;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	for (c = d->reason; *c; c++)
		if ((unsigned char)*c < ' ' || (unsigned char)*c > '~' ||
		    *c == '%')
			*c = '?';
}

/* pass - a PASS decision */
static void
pass(struct policy_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = POLICY_PASS;
}

/* fail - a decision of class f under p's action; the reason is set later */
static void
fail(const struct policy *p, enum policy_failure f,
    struct policy_decision *d)
{
	enum policy_action a;
	int t;

	memset(d, 0, sizeof(*d));
	if ((unsigned)f >= POLICY_FAIL_COUNT)
		f = POLICY_FAIL_INTERNAL;
	a = policy_action(p, f);
	t = a == POLICY_ACTION_TEMPFAIL;
	d->verdict = t ? POLICY_TEMPFAIL : POLICY_REJECT;
	d->failure = f;
	snprintf(d->rcode, sizeof(d->rcode), "%s", codes[f].rcode[t]);
	snprintf(d->xcode, sizeof(d->xcode), "%s", codes[f].xcode[t]);
}

/* policy_decide_failure - the answer for a failure class */
void
policy_decide_failure(const struct policy *p, enum policy_failure f,
    const char *detail, struct policy_decision *d)
{
	fail(p, f, d);
	set_reason(d, "%s", detail && *detail ? detail : codes[d->failure].text);
}

/* sender_text - how a sender is named in a reply */
static const char *
sender_text(const char *sender)
{
	return sender == NULL || *sender == 0 || strcmp(sender, "<>") == 0 ?
	    "<> (null sender)" : sender;
}

/* policy_front_rcpt - only an explicit KimSending no is refused here */
void
policy_front_rcpt(const struct policy *p, const char *sender,
    const char *rcpt, struct policy_decision *d)
{
	if (policy_kim_allowed(p) || policy_is_default(p)) {
		pass(d);
		return;
	}
	fail(p, POLICY_FAIL_DENIED, d);
	set_reason(d, "sender %s may not send to KIM addresses (policy %s); "
	    "recipient %s refused", sender_text(sender), p->name,
	    rcpt ? rcpt : "?");
}

/* policy_gate_eom - KIM allowed, size, Dienstkennung */
void
policy_gate_eom(const struct policy *p, const char *sender, size_t size,
    const char *dienstkennung, struct policy_decision *d)
{
	const char *dk;
	char allowed[200];
	size_t i, n;

	if (!policy_kim_allowed(p)) {
		fail(p, POLICY_FAIL_DENIED, d);
		if (p->builtin && (sender == NULL || *sender == 0 ||
		    strcmp(sender, "<>") == 0))
			set_reason(d, "mail with the null sender (a bounce) "
			    "may not be sent to KIM addresses");
		else if (p->builtin)
			set_reason(d, "sender %s is not covered by any KIM "
			    "policy and may not send to KIM addresses",
			    sender_text(sender));
		else
			set_reason(d, "sender %s may not send to KIM "
			    "addresses (policy %s)", sender_text(sender),
			    p->name);
		return;
	}
	if (size > p->max_size) {
		fail(p, POLICY_FAIL_OVERSIZE, d);
		set_reason(d, "message of %zu bytes is larger than the %zu "
		    "bytes KIM allows for policy %s (KIM 1.0: at most 15 MiB "
		    "before encryption)", size, p->max_size, p->name);
		return;
	}
	if (dienstkennung == NULL) {
		dk = p->dk[0];
	} else if ((dk = policy_dienstkennung_allowed(p, dienstkennung)) ==
	    NULL) {
		/* as many allowed values as fit in one reply line */
		allowed[0] = 0;
		for (i = 0, n = 0; i < p->ndk && n < sizeof(allowed); i++)
			n += (size_t)snprintf(allowed + n, sizeof(allowed) - n,
			    "%s%s", i ? ", " : "", p->dk[i]);
		fail(p, POLICY_FAIL_DENIED, d);
		set_reason(d, "X-KIM-Dienstkennung \"%.60s\" is not allowed "
		    "for policy %s (allowed: %s)", dienstkennung, p->name,
		    allowed);
		return;
	}
	pass(d);
	d->dienstkennung = dk;
}

/*
 * policy_rcpt_kind - not KIM, one of our own KIM addresses (a policy's
 * KimAddress or LocalKimAddresses: inbound), or outbound
 */
enum policy_rcpt_kind
policy_rcpt_kind(const struct policy_set *set, const struct conf *conf,
    const char *rcpt)
{
	char addr[256];
	size_t i;

	if (rcpt == NULL || addr_normalize(rcpt, addr, sizeof(addr)) < 0 ||
	    addr[0] == 0 ||
	    !addr_in_domains(addr, conf->kim_domains, conf->n_kim_domains))
		return POLICY_RCPT_NOT_KIM;
	for (i = 0; i < set->npolicies; i++)
		if (set->policies[i]->kim_address != NULL &&
		    strcmp(set->policies[i]->kim_address, addr) == 0)
			return POLICY_RCPT_OWN;
	if (set->def->kim_address != NULL &&
	    strcmp(set->def->kim_address, addr) == 0)
		return POLICY_RCPT_OWN;
	/* the inbound extras of kim-milter.conf */
	for (i = 0; i < conf->n_local_kim_addresses; i++)
		if (strcasecmp(conf->local_kim_addresses[i], addr) == 0)
			return POLICY_RCPT_OWN;
	return POLICY_RCPT_KIM;
}

/* policy_rcpt_kind_name - for output */
const char *
policy_rcpt_kind_name(enum policy_rcpt_kind k)
{
	switch (k) {
	case POLICY_RCPT_NOT_KIM: return "not-kim";
	case POLICY_RCPT_OWN: return "own";
	case POLICY_RCPT_KIM: return "kim";
	}
	return "?";
}
