/*
 * kimctl_checkmta.c - `kimctl check-mta`: does Postfix's effective
 * configuration keep the KIM route of architecture.md? Every check prints
 * one line `error|warning|ok: <what>: <the line to add or fix>`.
 *
 * The configuration is Postfix's own view (tools/kimctl_postconf.c:
 * postconf -x, -n, -M, -P; postmap -q for tables), and as root with Postfix
 * running, trivial-rewrite answers how a KIM address is routed, exactly as
 * the queue manager will route it. Without that, the transport_maps tables
 * are asked in Postfix's lookup order instead (a warning says so).
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kimctl.h"
#include "kimctl_checkmta.h"
#include "kimctl_postconf.h"
#include "policy.h"

/* cm_say - one result line */
void
cm_say(struct chk *c, const char *level, const char *what, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (strcmp(level, "error") == 0)
		c->errors++;
	else if (strcmp(level, "warning") == 0)
		c->warnings++;
	if (!c->json) {
		printf("%s: %s: %s\n", level, what, text);
		return;
	}
	printf("%s{\"level\":\"%s\",\"what\":\"", c->first ? "" : ",", level);
	c->first = 0;
	for (p = what; *p; p++)
		printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	printf("\",\"fix\":\"");
	for (p = text; *p; p++)
		printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
	printf("\"}");
}

/* milter_postfix - kim-milter's Socket in Postfix's spelling */
static void
milter_postfix(const char *sock, char *out, size_t n)
{
	const char *at;

	if (strncmp(sock, "inet:", 5) == 0 && (at = strchr(sock, '@')) != NULL)
		snprintf(out, n, "inet:%s:%.*s", at + 1, (int)(at - sock - 5),
		    sock + 5);
	else if (strncmp(sock, "local:", 6) == 0)
		snprintf(out, n, "unix:%s", sock + 6);
	else
		snprintf(out, n, "%s", sock);
}

/* same_milter - does a Postfix milter address name kim-milter? */
static int
same_milter(const char *want, const char *have)
{
	const char *w = want, *h = have;

	if (strncmp(w, "inet:localhost:", 15) == 0)
		w += 15;
	else if (strncmp(w, "inet:127.0.0.1:", 15) == 0)
		w += 15;
	if (strncmp(h, "inet:localhost:", 15) == 0)
		h += 15;
	else if (strncmp(h, "inet:127.0.0.1:", 15) == 0)
		h += 15;
	return strcmp(w, h) == 0;
}

/*
 * find_milter - is kim-milter in a smtpd_milters value? *action gets its
 * own default_action ("" when the entry has none).
 */
static int
find_milter(const struct chk *c, const char *value, char *action, size_t n)
{
	char **w = pc_words(value);
	size_t i;
	int found = 0;

	*action = 0;
	for (i = 0; w && w[i] && !found; i++) {
		char *e = w[i], *a, *save = NULL, *tok;
		size_t l;

		if (*e == '{') {
			e++;
			l = strlen(e);
			if (l && e[l - 1] == '}')
				e[l - 1] = 0;
		}
		tok = strtok_r(e, ", \t", &save);
		if (tok == NULL || !same_milter(c->milter, tok))
			continue;
		found = 1;
		while ((tok = strtok_r(NULL, ", \t", &save)) != NULL) {
			/* "default_action=x" or "default_action = x" */
			if (strncmp(tok, "default_action", 14) != 0)
				continue;
			a = strchr(tok, '=');
			if (a && a[1])
				snprintf(action, n, "%s", a + 1);
			else if ((tok = strtok_r(NULL, ", \t=", &save)))
				snprintf(action, n, "%s", tok);
		}
	}
	pc_words_free(w);
	return found;
}

/* cm_is_smtpd - a listener that runs smtpd */
int
cm_is_smtpd(const struct pc_svc *s)
{
	return strcmp(s->command, "smtpd") == 0 &&
	    (strcmp(s->type, "inet") == 0 || strcmp(s->type, "pass") == 0 ||
	    strcmp(s->type, "unix") == 0);
}

/* cm_role_of - the kim-milter role of a listener's daemon name */
enum conf_role
cm_role_of(const struct chk *c, const struct pc_svc *s)
{
	return conf_role_of(c->conf, pc_svc_value(c->pc, s,
	    "milter_macro_daemon_name"));
}

/* transport_of - "kimprovider" of "kimprovider:[x]:465" into out */
static void
transport_of(const char *filter, char *out, size_t n)
{
	size_t l = strcspn(filter, ":");

	snprintf(out, n, "%.*s", (int)l, filter);
}

/* add_provider - remember a provider transport name once */
static void
add_provider(struct chk *c, const char *name)
{
	char **nv;
	size_t i;

	for (i = 0; i < c->nproviders; i++)
		if (strcmp(c->providers[i], name) == 0)
			return;
	nv = realloc(c->providers, (c->nproviders + 1) * sizeof(*nv));
	if (nv == NULL)
		return;
	c->providers = nv;
	if ((nv[c->nproviders] = strdup(name)) != NULL)
		c->nproviders++;
}

/* cm_is_provider - a provider transport name */
int
cm_is_provider(const struct chk *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nproviders; i++)
		if (strcmp(c->providers[i], name) == 0)
			return 1;
	return 0;
}

/* mentions_provider - does a parameter value route to a provider? */
static int
mentions_provider(const struct chk *c, const char *value, char *which,
    size_t n)
{
	size_t i, l;
	const char *p;

	for (i = 0; i < c->nproviders; i++) {
		l = strlen(c->providers[i]);
		for (p = strstr(value, c->providers[i]); p != NULL;
		    p = strstr(p + 1, c->providers[i]))
			if ((p == value || strchr(" \t,={=", p[-1])) &&
			    (p[l] == ':' || p[l] == 0 || p[l] == ' ' ||
			    p[l] == ',')) {
				snprintf(which, n, "%s", c->providers[i]);
				return 1;
			}
	}
	return 0;
}

/* check_main - the main.cf settings of the route */
static void
check_main(struct chk *c)
{
	const char *v;
	char **w;
	size_t i;
	int ignored[2] = {0, 0};
	static const char *const forged[2] = {
		"X-KIM-DecryptionResult: forged",
		"X-KIM-IntegrityCheckResult: forged",
	};

	v = pc_main(c->pc, "milter_default_action");
	if (v == NULL || strcasecmp(v, "tempfail") != 0)
		cm_say(c, "error", "milter_default_action is not tempfail (main.cf)",
		    "milter_default_action = tempfail");
	else
		cm_say(c, "ok", "milter_default_action", "tempfail");
	v = pc_main(c->pc, "milter_header_checks");
	if (v != NULL && *v)
		cm_say(c, "error", "milter_header_checks is set in main.cf (a "
		    "route header hidden in decrypted inbound mail would route "
		    "it to the provider)", "milter_header_checks =  (set it only "
		    "on kimcleanup in master.cf)");
	else
		cm_say(c, "ok", "milter_header_checks in main.cf", "empty");
	v = pc_main(c->pc, "notify_classes");
	if (v == NULL || strstr(v, "2bounce") == NULL)
		cm_say(c, "warning", "notify_classes without 2bounce (an "
		    "undeliverable bounce of KIM mail would vanish silently)",
		    "notify_classes = resource, software, 2bounce");
	else
		cm_say(c, "ok", "notify_classes", "%s", v);
	/* forged result headers: an IGNORE rule in header_checks */
	w = pc_words(pc_main(c->pc, "header_checks") ?
	    pc_main(c->pc, "header_checks") : "");
	for (i = 0; w && w[i]; i++) {
		struct buf out = BUF_INIT;
		int k;

		for (k = 0; k < 2; k++)
			if (!ignored[k] && pc_query(c->pc, w[i], forged[k],
			    &out) == 1 && strncasecmp(buf_str(&out), "IGNORE",
			    6) == 0)
				ignored[k] = 1;
		buf_free(&out);
	}
	pc_words_free(w);
	if (!ignored[0] || !ignored[1])
		cm_say(c, "error", "no header_checks rule removes forged KIM "
		    "result headers", "header_checks = regexp:/etc/postfix/"
		    "kim_header_checks  with  /^X-KIM-(DecryptionResult|"
		    "IntegrityCheckResult):/ IGNORE");
	else
		cm_say(c, "ok", "forged result headers", "header_checks IGNORE "
		    "rule");
	v = pc_main(c->pc, "nested_header_checks");
	if (v != NULL && *v)
		cm_say(c, "error", "nested_header_checks is not empty (the IGNORE "
		    "rule would edit attached messages of normal mail)",
		    "nested_header_checks =");
	else
		cm_say(c, "ok", "nested_header_checks", "empty");
}

/* check_listeners - front, gate and the others; finds the gate */
static void
check_listeners(struct chk *c)
{
	size_t i;
	int fronts = 0, gates = 0;
	char action[64], what[400];

	for (i = 0; i < c->pc->nsvcs; i++) {
		const struct pc_svc *s = &c->pc->svcs[i];
		enum conf_role role;
		const char *cf;
		char t[128];
		int milter;

		if (!cm_is_smtpd(s))
			continue;
		role = cm_role_of(c, s);
		milter = find_milter(c, pc_svc_value(c->pc, s,
		    "smtpd_milters"), action, sizeof(action));
		cf = pc_svc_value(c->pc, s, "content_filter");
		transport_of(cf, t, sizeof(t));
		/* a gate: its name says so, or its content_filter does */
		if (role == CONF_ROLE_GATE || (*t && (strncmp(t, "kimprov",
		    7) == 0))) {
			gates++;
			if (*t) {
				add_provider(c, t);
				if (c->gate_default == NULL)
					c->gate_default = strdup(t);
			}
			continue;	/* check_gate */
		}
		if (role == CONF_ROLE_FRONT && milter) {
			fronts++;
			cm_say(c, "ok", "front listener", "%s/%s runs kim-milter as "
			    "%s", s->name, s->type, pc_svc_value(c->pc, s,
			    "milter_macro_daemon_name"));
		} else if (role == CONF_ROLE_INBOUND && milter) {
			cm_say(c, "ok", "inbound listener", "%s/%s", s->name,
			    s->type);
		} else if (milter) {
			snprintf(what, sizeof(what), "listener %s/%s runs "
			    "kim-milter without a role name (it gets a "
			    "tempfail for every mail)", s->name, s->type);
			cm_say(c, "error", what, "%s %s -o milter_macro_daemon_name="
			    "kimfront (master.cf)", s->name, s->type);
		} else if (strcmp(s->type, "unix") != 0) {
			snprintf(what, sizeof(what), "listener %s/%s does not "
			    "run kim-milter (KIM recipients through it are not "
			    "checked at RCPT TO)", s->name, s->type);
			cm_say(c, "warning", what, "-o milter_macro_daemon_name="
			    "kimfront and smtpd_milters = %s", c->milter);
		}
	}
	if (fronts == 0)
		cm_say(c, "error", "no front listener runs kim-milter",
		    "smtpd_milters = %s (main.cf) and -o milter_macro_daemon_"
		    "name=kimfront on the smtp and submission services "
		    "(master.cf)", c->milter);
	if (gates == 0)
		cm_say(c, "error", "no gate listener (role gate, content_filter to "
		    "the provider)", "see contrib/postfix/master.cf.kim: the "
		    "127.0.0.1:10026 smtpd service");
}

/* check_gate_one - one gate listener */
static void
check_gate_one(struct chk *c, const struct pc_svc *s)
{
	static const char *const restr[] = {
		"smtpd_client_restrictions", "smtpd_helo_restrictions",
		"smtpd_sender_restrictions", "smtpd_relay_restrictions",
		"smtpd_recipient_restrictions", "smtpd_data_restrictions",
		"smtpd_end_of_data_restrictions",
	};
	char what[300], action[64], t[128];
	const char *v, *cf;
	size_t i;
	int bad = c->errors;

	snprintf(what, sizeof(what), "gate %s/%s", s->name, s->type);
	if (cm_role_of(c, s) != CONF_ROLE_GATE)
		cm_say(c, "error", what, "has no gate daemon name (kim-milter "
		    "would not transform there): -o milter_macro_daemon_name="
		    "kimgate");
	if (!find_milter(c, pc_svc_value(c->pc, s, "smtpd_milters"), action,
	    sizeof(action)))
		cm_say(c, "error", what, "does not run kim-milter: -o "
		    "smtpd_milters={%s,default_action=tempfail}", c->milter);
	else if (strcasecmp(*action ? action : pc_svc_value(c->pc, s,
	    "milter_default_action"), "tempfail") != 0)
		cm_say(c, "error", what, "default action %s, not tempfail (a "
		    "milter that is down would pass plaintext): -o "
		    "smtpd_milters={%s,default_action=tempfail}", *action ?
		    action : pc_svc_value(c->pc, s, "milter_default_action"),
		    c->milter);
	else if (!*action)
		cm_say(c, "warning", what, "its tempfail comes from "
		    "milter_default_action, which main.cf can change: -o "
		    "smtpd_milters={%s,default_action=tempfail}", c->milter);
	v = pc_svc_value(c->pc, s, "smtpd_milter_maps");
	if (*v)
		cm_say(c, "error", what, "smtpd_milter_maps could switch the "
		    "milter off: -o smtpd_milter_maps=");
	v = pc_svc_value(c->pc, s, "receive_override_options");
	if (strstr(v, "no_milters"))
		cm_say(c, "error", what, "receive_override_options has no_milters"
		    " (plaintext to the provider): -o receive_override_options="
		    "no_address_mappings,no_header_body_checks");
	if (!strstr(v, "no_header_body_checks"))
		cm_say(c, "error", what, "header_checks run at the gate (a PASS "
		    "rule skips the milter, FILTER/REDIRECT misroute): -o "
		    "receive_override_options=no_address_mappings,"
		    "no_header_body_checks");
	v = pc_svc_value(c->pc, s, "cleanup_service_name");
	if (!*v || strcmp(v, "cleanup") == 0)
		cm_say(c, "error", what, "no cleanup service of its own (for the "
		    "route header checks and the size limit): -o "
		    "cleanup_service_name=kimcleanup");
	else {
		free(c->gate_cleanup);
		c->gate_cleanup = strdup(v);
	}
	cf = pc_svc_value(c->pc, s, "content_filter");
	transport_of(cf, t, sizeof(t));
	if (!*cf || pc_svc_find(c->pc, t, "unix") == NULL)
		cm_say(c, "error", what, "no content_filter to a provider transport"
		    " in master.cf: -o content_filter=kimprovider:"
		    "[provider]:465");
	if (strcasecmp(pc_svc_value(c->pc, s, "smtpd_sasl_auth_enable"),
	    "yes") == 0)
		cm_say(c, "error", what, "SASL inherited from main.cf: -o "
		    "smtpd_sasl_auth_enable=no");
	for (i = 0; i < sizeof(restr) / sizeof(restr[0]); i++)
		if (strstr(pc_svc_value(c->pc, s, restr[i]),
		    "sender_login_mismatch"))
			cm_say(c, "error", what, "%s inherits a sender login "
			    "check that refuses every KIM mail: -o %s=%s",
			    restr[i], restr[i], strstr(restr[i], "relay") ||
			    strstr(restr[i], "recipient") ?
			    "permit_mynetworks,reject" : "");
	if (c->errors == bad)
		cm_say(c, "ok", what, "daemon name, milter with tempfail, no "
		    "milter maps, no_header_body_checks, own cleanup %s, "
		    "content_filter %s", c->gate_cleanup ? c->gate_cleanup :
		    "?", cf);
}

/* max_policy_size - the largest MaxMessageSize of the sending policies */
static size_t
max_policy_size(const struct chk *c)
{
	size_t i, m = 0;

	if (c->set == NULL)
		return POLICY_MAX_SIZE_DEFAULT;
	for (i = 0; i < policy_set_count(c->set); i++) {
		const struct policy *p = policy_set_get(c->set, i);

		if (policy_kim_allowed(p) && policy_max_size(p) > m)
			m = policy_max_size(p);
	}
	return m ? m : POLICY_MAX_SIZE_DEFAULT;
}

/* check_gates - every gate listener, its cleanup and its sizes */
static void
check_gates(struct chk *c)
{
	const struct pc_svc *cl;
	unsigned long need, have;
	size_t i, m = max_policy_size(c);

	for (i = 0; i < c->pc->nsvcs; i++) {
		const struct pc_svc *s = &c->pc->svcs[i];
		char t[128];

		if (!cm_is_smtpd(s))
			continue;
		transport_of(pc_svc_value(c->pc, s, "content_filter"), t,
		    sizeof(t));
		if (cm_role_of(c, s) == CONF_ROLE_GATE ||
		    strncmp(t, "kimprov", 7) == 0) {
			check_gate_one(c, s);
			have = strtoul(pc_svc_value(c->pc, s,
			    "message_size_limit"), NULL, 10);
			if (have != 0 && have < m + 65536)
				cm_say(c, "error", "gate message_size_limit",
				    "%lu is below the largest policy "
				    "MaxMessageSize %zu: -o message_size_limit="
				    "%lu on %s", have, m, (unsigned long)m *
				    GROWTH_NUM / GROWTH_DEN + GROWTH_EXTRA,
				    s->name);
		}
	}
	if (c->gate_cleanup == NULL ||
	    (cl = pc_svc_find(c->pc, c->gate_cleanup, "unix")) == NULL) {
		if (c->gate_cleanup)
			cm_say(c, "error", "the gate's cleanup service", "%s is "
			    "not in master.cf: kimcleanup unix n - y - 0 "
			    "cleanup -o milter_header_checks=regexp:/etc/"
			    "postfix/kim_route_checks", c->gate_cleanup);
		return;
	}
	need = (unsigned long)m * GROWTH_NUM / GROWTH_DEN + GROWTH_EXTRA;
	have = strtoul(pc_svc_value(c->pc, cl, "message_size_limit"), NULL,
	    10);
	if (have != 0 && have < need)
		cm_say(c, "error", "kimcleanup message_size_limit without headroom "
		    "for encrypted mail (about 37% larger)", "%s -o "
		    "message_size_limit=%lu (now %lu; 1.37 x %zu + 1 MiB)",
		    cl->name, need, have, m);
	else
		cm_say(c, "ok", "kimcleanup message_size_limit", "%lu", have);
	have = strtoul(pc_main(c->pc, "message_size_limit") ?
	    pc_main(c->pc, "message_size_limit") : "0", NULL, 10);
	if (have != 0 && have < m + 65536)
		cm_say(c, "error", "message_size_limit (main.cf) without headroom "
		    "for KIM mail", "message_size_limit = %lu (the largest "
		    "policy MaxMessageSize is %zu)", need, m);
}

/* check_routes - the account rules of kimcleanup's milter_header_checks */
static void
check_routes(struct chk *c)
{
	const struct pc_svc *cl = c->gate_cleanup ?
	    pc_svc_find(c->pc, c->gate_cleanup, "unix") : NULL;
	const char *mhc = cl ? pc_svc_value(c->pc, cl, "milter_header_checks") :
	    "";
	char **w = pc_words(mhc);
	struct buf out = BUF_INIT;
	char key[200], t[128];
	size_t i, j;
	int found;

	if (cl != NULL && !*mhc)
		cm_say(c, "warning", "kimcleanup has no milter_header_checks (every "
		    "account uses the gate's content_filter)", "%s -o "
		    "milter_header_checks=regexp:/etc/postfix/kim_route_checks"
		    " (kimctl mta-config --section header-checks)", cl->name);
	for (i = 0; c->set && *mhc && i < policy_set_count(c->set); i++) {
		const struct policy *p = policy_set_get(c->set, i);
		const char *a = policy_kim_account(p);

		if (!policy_kim_allowed(p) || a == NULL)
			continue;
		snprintf(key, sizeof(key), "X-Kimgate-Route: %s", a);
		for (j = 0, found = 0; w && w[j] && !found; j++)
			if (pc_query(c->pc, w[j], key, &out) == 1 &&
			    strncasecmp(buf_str(&out), "FILTER ", 7) == 0)
				found = 1;
		if (!found) {
			/* it still leaves only through kimprovider, without
			 * a certificate and as its own sender: not a leak */
			cm_say(c, "warning", "no route for account", "%s (%s): "
			    "its mail uses the gate's content_filter: add the "
			    "rule of kimctl mta-config --section header-checks "
			    "to %s", a, policy_file(p), mhc);
			continue;
		}
		transport_of(buf_str(&out) + 7, t, sizeof(t));
		add_provider(c, t);
		if (pc_svc_find(c->pc, t, "unix") == NULL)
			cm_say(c, "error", "route of account", "%s goes to "
			    "transport %s, which is not in master.cf: add it "
			    "(kimctl mta-config --section transports)", a, t);
		else
			cm_say(c, "ok", "route of account", "%s -> %s", a,
			    buf_str(&out) + 7);
	}
	/* an unknown account must not borrow another account's transport */
	for (j = 0; w && w[j]; j++)
		if (pc_query(c->pc, w[j], "X-Kimgate-Route: kim-check-unknown",
		    &out) == 1 && strncasecmp(buf_str(&out), "FILTER ", 7) == 0)
			cm_say(c, "error", "an unknown route value is filtered",
			    "to %s by %s: anchor every rule (/^X-Kimgate-Route:"
			    "[[:space:]]*account[[:space:]]*$/)", buf_str(&out) +
			    7, w[j]);
	buf_free(&out);
	pc_words_free(w);
}

/*
 * check_default_cert - the gate's default transport (unknown route values)
 * must hold no account's client certificate: such mail would leave as that
 * account (the fail-closed choice of kimctl(8), "The unknown route").
 */
static void
check_default_cert(struct chk *c, const struct pc_svc *s, const char *what)
{
	const char *cert = pc_svc_value(c->pc, s, "smtp_tls_cert_file");
	size_t i;

	if (!*cert)
		return;
	for (i = 0; c->set && i < policy_set_count(c->set); i++) {
		const struct policy *p = policy_set_get(c->set, i);

		if (policy_provider_client_cert(p) != NULL &&
		    strcmp(policy_provider_client_cert(p), cert) == 0) {
			cm_say(c, "error", what, "the gate's default transport "
			    "presents account %s's client certificate %s: mail "
			    "with an unknown route would leave as that account:"
			    " -o smtp_tls_cert_file= -o smtp_tls_key_file=",
			    policy_kim_account(p), cert);
			return;
		}
	}
	cm_say(c, "warning", what, "the gate's default transport presents the "
	    "client certificate %s (from main.cf?): -o smtp_tls_cert_file= -o "
	    "smtp_tls_key_file=", cert);
}

/* check_providers - every provider transport, and no other way to them */
static void
check_providers(struct chk *c)
{
	size_t i;
	char which[128], what[300];

	for (i = 0; i < c->pc->nsvcs; i++)
		if (strncmp(c->pc->svcs[i].name, "kimprov", 7) == 0 &&
		    strcmp(c->pc->svcs[i].command, "smtp") == 0)
			add_provider(c, c->pc->svcs[i].name);
	for (i = 0; i < c->nproviders; i++) {
		const struct pc_svc *s = pc_svc_find(c->pc, c->providers[i],
		    "unix");
		const char *v;

		if (s == NULL)
			continue;
		snprintf(what, sizeof(what), "provider transport %s", s->name);
		v = pc_svc_value(c->pc, s, "smtp_fallback_relay");
		if (*v)
			cm_say(c, "error", what, "smtp_fallback_relay is %s (KIM "
			    "mail would go to another relay): -o "
			    "smtp_fallback_relay=", v);
		else
			cm_say(c, "ok", what, "no fallback relay");
		if (strcasecmp(pc_svc_value(c->pc, s, "smtp_tls_wrappermode"),
		    "yes") != 0)
			cm_say(c, "warning", what, "no implicit TLS: -o "
			    "smtp_tls_wrappermode=yes -o "
			    "smtp_tls_security_level=encrypt");
		if (c->gate_default && strcmp(s->name, c->gate_default) == 0)
			check_default_cert(c, s, what);
	}
	/* any other way to a provider transport: main.cf and other -o */
	for (i = 0; i < c->pc->nexplicit; i++)
		if (mentions_provider(c, c->pc->explicit_[i].value, which,
		    sizeof(which))) {
			snprintf(what, sizeof(what), "main.cf %s routes to the "
			    "provider transport %s (past the gate)",
			    c->pc->explicit_[i].name, which);
			cm_say(c, "error", what, "remove %s from %s", which,
			    c->pc->explicit_[i].name);
		}
	for (i = 0; i < c->pc->nsvcs; i++) {
		const struct pc_svc *s = &c->pc->svcs[i];
		size_t j;

		for (j = 0; j < s->nparams; j++) {
			if ((strcmp(s->params[j].name, "content_filter") == 0 &&
			    (cm_role_of(c, s) == CONF_ROLE_GATE)) ||
			    strcmp(s->params[j].name, "milter_header_checks") ==
			    0 || strcmp(s->params[j].name, "syslog_name") == 0)
				continue;
			if (mentions_provider(c, s->params[j].value, which,
			    sizeof(which))) {
				snprintf(what, sizeof(what), "%s/%s -o %s routes "
				    "to the provider transport %s (past the "
				    "gate)", s->name, s->type,
				    s->params[j].name, which);
				cm_say(c, "error", what, "remove it");
			}
		}
	}
}

/* kimctl_check_mta - `kimctl check-mta [-C DIR] [--dir POLICYDIR]` */
int
kimctl_check_mta(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"config-directory", required_argument, NULL, 'C'},
		{"dir", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct pc pc;
	struct chk c;
	struct buf err = BUF_INIT;
	struct policy_set *set = NULL;
	const char *confdir = NULL, *dir = NULL;
	size_t i;
	int ch, rc = KIMCTL_EX_USAGE;

	memset(&pc, 0, sizeof(pc));
	memset(&c, 0, sizeof(c));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:d:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			confdir = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			k->json = 1;
			break;
		default:
			fprintf(stderr, "usage: kimctl check-mta [-C DIR] "
			    "[--dir POLICYDIR] [--json]\n");
			return KIMCTL_EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: kimctl check-mta [-C DIR] "
		    "[--dir POLICYDIR] [--json]\n");
		return KIMCTL_EX_USAGE;
	}
	/* 2: the configuration cannot be read (kimctl(8)) */
	rc = 2;
	if ((c.conf = kimctl_conf(k)) == NULL)
		goto out;
	if (pc_load(&pc, confdir, &err) < 0) {
		fprintf(stderr, "kimctl: check-mta: %s\n", buf_str(&err));
		goto out;
	}
	set = policy_set_load(dir ? dir : c.conf->policy_directory, c.conf,
	    &err);
	if (set == NULL)
		fprintf(stderr, "kimctl: check-mta: policy files refused (the "
		    "account routes, sizes and own addresses are not "
		    "checked):\n%s", buf_str(&err));
	c.pc = &pc;
	c.set = set;
	c.json = k->json;
	c.first = 1;
	milter_postfix(c.conf->socket, c.milter, sizeof(c.milter));
	add_provider(&c, "kimprovider");
	if (c.json)
		printf("{\"checks\":[");
	check_main(&c);
	check_listeners(&c);
	check_gates(&c);
	check_routes(&c);
	check_providers(&c);
	cm_check_domains(&c);
	cm_check_own(&c);
	if (c.json)
		printf("],\"errors\":%d,\"warnings\":%d}\n", c.errors,
		    c.warnings);
	else
		printf("%d errors, %d warnings\n", c.errors, c.warnings);
	rc = c.errors ? KIMCTL_EX_FAIL : KIMCTL_EX_OK;
out:
	for (i = 0; i < c.nproviders; i++)
		free(c.providers[i]);
	free(c.providers);
	free(c.gate_cleanup);
	free(c.gate_default);
	policy_set_unref(set);
	pc_free(&pc);
	buf_free(&err);
	return rc;
}
