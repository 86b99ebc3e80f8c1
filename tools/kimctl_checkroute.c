/*
 * kimctl_checkroute.c - the routing items of `kimctl check-mta`: every KIM
 * suffix (the bare domain and an address below it) resolves to the gate
 * listener, no KIM domain is a virtual alias domain, the default route is
 * no provider's, and every own KIM address has its virtual_alias_maps
 * entry. As root with Postfix running, trivial-rewrite answers; otherwise
 * the tables are asked in Postfix's lookup order.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kimctl_checkmta.h"

/* gate_addr - does nexthop ([127.0.0.1]:10026) name a gate listener? */
static int
gate_addr(const struct chk *c, const char *nexthop)
{
	char h[300];
	const char *p;
	size_t i, n = 0;

	for (p = nexthop; *p && n + 1 < sizeof(h); p++)
		if (*p != '[' && *p != ']')
			h[n++] = *p;
	h[n] = 0;
	for (i = 0; i < c->pc->nsvcs; i++) {
		const struct pc_svc *s = &c->pc->svcs[i];

		if (cm_is_smtpd(s) && strcmp(s->name, h) == 0 &&
		    cm_role_of(c, s) == CONF_ROLE_GATE)
			return 1;
	}
	return 0;
}

/*
 * emulate - transport_maps in Postfix's order without trivial-rewrite: the
 * full address in every table, then the domain, its parents as .domain
 * and `*` in the tables with fixed keys (no regexp, pcre). 1 found.
 */
static int
emulate(const struct chk *c, const char *addr, struct pc_resolved *r)
{
	char **w = pc_words(pc_main(c->pc, "transport_maps") ?
	    pc_main(c->pc, "transport_maps") : "");
	struct buf out = BUF_INIT;
	const char *dom = strchr(addr, '@') + 1, *d;
	char key[300];
	size_t i;
	int found = 0, step;

	for (step = 0; !found && step < 64; step++) {
		if (step == 0)
			snprintf(key, sizeof(key), "%s", addr);
		else if (step == 1)
			snprintf(key, sizeof(key), "%s", dom);
		else {
			/* the step-1th parent of dom */
			int k;

			for (d = dom, k = 1; d && k < step; k++) {
				d = strchr(d, '.');
				if (d)
					d++;
			}
			if (d == NULL || *d == 0) {
				snprintf(key, sizeof(key), "*");
				step = 63;
			} else
				snprintf(key, sizeof(key), ".%s", d);
		}
		for (i = 0; w && w[i] && !found; i++) {
			if (step > 0 && (strncmp(w[i], "regexp:", 7) == 0 ||
			    strncmp(w[i], "pcre:", 5) == 0))
				continue;
			if (pc_query(c->pc, w[i], key, &out) == 1)
				found = 1;
		}
	}
	if (found) {
		const char *v = buf_str(&out), *colon = strchr(v, ':');

		snprintf(r->transport, sizeof(r->transport), "%.*s",
		    (int)(colon ? (size_t)(colon - v) : strlen(v)), v);
		snprintf(r->nexthop, sizeof(r->nexthop), "%s", colon ?
		    colon + 1 : "");
	}
	buf_free(&out);
	pc_words_free(w);
	return found;
}

/* alias_domain - without trivial-rewrite: is d in virtual_alias_domains? */
static int
alias_domain(const struct chk *c, const char *d)
{
	char **w = pc_words(pc_main(c->pc, "virtual_alias_domains") ?
	    pc_main(c->pc, "virtual_alias_domains") : "");
	struct buf out = BUF_INIT;
	size_t i;
	int found = 0;

	for (i = 0; w && w[i] && !found; i++)
		if (strchr(w[i], ':') != NULL)
			found = pc_query(c->pc, w[i], d, &out) == 1;
		else
			found = strcasecmp(w[i], d) == 0;
	buf_free(&out);
	pc_words_free(w);
	return found;
}

/* cm_check_domains - every KIM suffix, bare and below, goes to the gate */
void
cm_check_domains(struct chk *c)
{
	struct buf err = BUF_INIT;
	size_t i;
	int k;

	for (i = 0; i < c->conf->n_kim_domains; i++) {
		const char *d = c->conf->kim_domains[i];

		for (k = 0; k < 2; k++) {
			struct pc_resolved r;
			char addr[300], what[400];
			const struct pc_svc *t;

			snprintf(addr, sizeof(addr), k ? "kim-check@kim-check.%s"
			    : "kim-check@%s", d);
			buf_reset(&err);
			if (pc_resolve(c->pc, addr, &r, &err) == 0)
				c->resolver = 1;
			else if (!emulate(c, addr, &r)) {
				snprintf(r.transport, sizeof(r.transport),
				    "%s", "(default)");
				r.nexthop[0] = 0;
			}
			snprintf(what, sizeof(what), "KIM domain %s: %s", d,
			    addr);
			if (c->resolver ? (r.flags & PC_RESOLVE_CLASS_ALIAS) != 0
			    : alias_domain(c, strchr(addr, '@') + 1))
				cm_say(c, "error", what, "is in virtual_alias_domains"
				    " (mail to the provider's other customers is"
				    " refused): remove %s from "
				    "virtual_alias_domains; use virtual_alias_maps "
				    "for your own KIM addresses", k ? "it" : d);
			t = pc_svc_find(c->pc, r.transport, "unix");
			if (t != NULL && gate_addr(c, r.nexthop)) {
				cm_say(c, "ok", what, "%s:%s", r.transport,
				    r.nexthop);
				if (*pc_svc_value(c->pc, t, "smtp_fallback_relay"))
					cm_say(c, "error", what, "transport %s has a "
					    "smtp_fallback_relay: -o "
					    "smtp_fallback_relay=", r.transport);
			} else
				cm_say(c, "error", what, "resolves to %s:%s, not to "
				    "the gate (plaintext by the default route): "
				    "transport_maps = inline:{ %s=kimgate:[127.0.0."
				    "1]:10026, .%s=kimgate:[127.0.0.1]:10026 } "
				    "first, before any wildcard or regexp table",
				    r.transport, r.nexthop, d, d);
		}
	}
	/* the default route (the internet) must not be a provider's */
	{
		struct pc_resolved r;

		buf_reset(&err);
		if (pc_resolve(c->pc, "kim-check@kim-check.invalid", &r,
		    &err) == 0 && cm_is_provider(c, r.transport))
			cm_say(c, "error", "the default route goes to the provider "
			    "transport", "%s:%s: only the gate may lead there "
			    "(default_transport, relay_transport, relayhost)",
			    r.transport, r.nexthop);
	}
	if (!c->resolver)
		cm_say(c, "warning", "trivial-rewrite was not asked", "%s; "
		    "transport_maps were looked up in Postfix's order instead "
		    "(run as root with Postfix running for Postfix's own answer)",
		    buf_str(&err));
	buf_free(&err);
}

/* check_own_one - every own KIM address has its virtual_alias_maps entry */
static void
check_own_one(struct chk *c, const char *a)
{
	char **w = pc_words(pc_main(c->pc, "virtual_alias_maps") ?
	    pc_main(c->pc, "virtual_alias_maps") : "");
	struct buf out = BUF_INIT;
	char key[300];
	size_t i;
	int found = 0;

	snprintf(key, sizeof(key), "@%s", strchr(a, '@') + 1);
	for (i = 0; w && w[i] && !found; i++)
		if (pc_query(c->pc, w[i], a, &out) == 1 ||
		    (strncmp(w[i], "regexp:", 7) && strncmp(w[i], "pcre:", 5) &&
		    pc_query(c->pc, w[i], key, &out) == 1))
			found = 1;
	if (found)
		cm_say(c, "ok", "own KIM address", "%s -> %s", a, buf_str(&out));
	else
		cm_say(c, "error", "own KIM address without a virtual_alias_maps "
		    "entry (its bounces and inbound mail would loop to the "
		    "provider)", "virtual_alias_maps: %s <department mailbox>",
		    a);
	buf_free(&out);
	pc_words_free(w);
}

/* cm_check_own - policies' KimAddress and LocalKimAddresses */
void
cm_check_own(struct chk *c)
{
	size_t i, j;

	for (i = 0; c->set && i < policy_set_count(c->set); i++) {
		const struct policy *p = policy_set_get(c->set, i);
		int dup = 0;

		if (!policy_kim_allowed(p) || policy_kim_address(p) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (policy_kim_address(policy_set_get(c->set, j)) &&
			    strcmp(policy_kim_address(policy_set_get(c->set,
			    j)), policy_kim_address(p)) == 0)
				dup = 1;
		if (!dup)
			check_own_one(c, policy_kim_address(p));
	}
	for (i = 0; i < c->conf->n_local_kim_addresses; i++)
		check_own_one(c, c->conf->local_kim_addresses[i]);
}
