/*
 * kimctl_mta.c - `kimctl mta-config`: the Postfix pieces of the per-account
 * provider routes, printed from the policies and kim-milter.conf, for the
 * admin to paste (issue 7, "The KIM route"; kimctl(8)).
 *
 * The route: the gate milter adds `X-Kimgate-Route: <account>`; the gate's
 * own cleanup service (kimcleanup) has milter_header_checks with one FILTER
 * rule per account to the transport kimprov-<account>, which carries the
 * account's client certificate and authenticates with SASL per sender
 * address; smtp_header_checks on that transport remove the header again.
 *
 * Unknown or missing route values get no FILTER: the message keeps the
 * gate's content_filter, the transport kimprovider of master.cf.kim, which
 * holds no account's client certificate and authenticates only with the SASL
 * entry of the message's own envelope sender (the department's KIM address
 * the gate set). So a route that is missing here can never send under
 * another account's credentials; the provider refuses it, and the bounce
 * goes to the department (see kimctl(8), "The unknown route").
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kimctl.h"
#include "policy.h"

/* where the shipped block (contrib/postfix) puts the tables */
#define MTA_ETC "/etc/postfix/"
#define MTA_SASL_MAP "texthash:" MTA_ETC "kim_sasl_passwd"
#define MTA_ROUTE_CHECKS "regexp:" MTA_ETC "kim_route_checks"
#define MTA_ROUTE_STRIP "regexp:" MTA_ETC "kim_route_strip"

enum mta_section {
	MTA_TRANSPORTS = 0,
	MTA_HEADER_CHECKS,
	MTA_STRIP,
	MTA_SASL,
	MTA_VIRTUAL,
	MTA_NSECTIONS
};

static const char *const mta_section_names[MTA_NSECTIONS] = {
	"transports", "header-checks", "strip", "sasl", "virtual",
};

/* json_str - a JSON string literal (or null) */
static void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* seen_account - an earlier sending policy with the same account */
static int
seen_account(const struct policy_set *set, size_t i)
{
	const char *a = policy_kim_account(policy_set_get(set, i));
	size_t j;

	for (j = 0; j < i; j++) {
		const struct policy *q = policy_set_get(set, j);

		if (policy_kim_allowed(q) && policy_kim_account(q) != NULL &&
		    strcmp(policy_kim_account(q), a) == 0)
			return 1;
	}
	return 0;
}

/* seen_address - an earlier sending policy with the same KIM address */
static int
seen_address(const struct policy_set *set, size_t i)
{
	const char *a = policy_kim_address(policy_set_get(set, i));
	size_t j;

	for (j = 0; j < i; j++) {
		const struct policy *q = policy_set_get(set, j);

		if (policy_kim_allowed(q) && policy_kim_address(q) != NULL &&
		    strcmp(policy_kim_address(q), a) == 0)
			return 1;
	}
	return 0;
}

/* relay_of - the policy's ProviderRelay, else the conf's, or NULL */
static const char *
relay_of(const struct policy *p, const struct conf *conf)
{
	const char *r = policy_provider_relay(p);

	if (r == NULL)
		r = conf->provider_relay;
	return r != NULL && policy_relay_valid(r) ? r : NULL;
}

/* out_transport - the master.cf service of one account */
static void
out_transport(struct buf *b, const struct policy *p, const char *relay)
{
	const char *a = policy_kim_account(p);

	(void)buf_printf(b, "# account %s: %s (%s), provider %s\n", a,
	    policy_kim_address(p), policy_file(p), relay ? relay :
	    "NOT SET (ProviderRelay)");
	(void)buf_printf(b, "kimprov-%s unix -       -       y       -       "
	    "-       smtp\n", a);
	(void)buf_printf(b, "  -o syslog_name=postfix/kimprov-%s\n", a);
	(void)buf_puts(b,
	    "  # stay queued when the provider is down, never another relay\n"
	    "  -o smtp_fallback_relay=\n"
	    "  # implicit TLS on connect (port 465), never plaintext\n"
	    "  -o smtp_tls_wrappermode=yes\n"
	    "  -o smtp_tls_security_level=encrypt\n");
	if (policy_provider_client_cert(p) != NULL &&
	    policy_provider_client_key(p) != NULL)
		(void)buf_printf(b, "  # the account's client certificate\n"
		    "  -o smtp_tls_cert_file=%s\n"
		    "  -o smtp_tls_key_file=%s\n",
		    policy_provider_client_cert(p),
		    policy_provider_client_key(p));
	else
		(void)buf_puts(b, "  # no client certificate for this account "
		    "(ProviderClientCert/ProviderClientKey)\n");
	(void)buf_printf(b,
	    "  # SASL: AUTH user = MAIL FROM = From, looked up by the sender\n"
	    "  -o smtp_sasl_auth_enable=yes\n"
	    "  -o smtp_sasl_password_maps=%s\n"
	    "  -o smtp_sasl_security_options=noanonymous\n"
	    "  -o smtp_sender_dependent_authentication=yes\n"
	    "  # remove X-Kimgate-Route before the message leaves\n"
	    "  -o smtp_header_checks=%s\n"
	    "  # no address rewriting for the internet on KIM mail\n"
	    "  -o smtp_generic_maps=\n"
	    "  # brainpool curves (TLS 1.2), only where the provider needs "
	    "them:\n"
	    "  #-o tls_eecdh_auto_curves=brainpoolP256r1,brainpoolP384r1,"
	    "prime256v1,secp384r1\n"
	    "  #-o smtp_tls_mandatory_protocols=>=TLSv1.2,<=TLSv1.2\n"
	    "  #-o smtp_tls_mandatory_ciphers=high\n\n",
	    MTA_SASL_MAP, MTA_ROUTE_STRIP);
}

/* out_route_check - the milter_header_checks rule of one account */
static void
out_route_check(struct buf *b, const struct policy *p, const char *relay)
{
	const char *a = policy_kim_account(p);

	if (relay == NULL) {
		(void)buf_printf(b, "# account %s: no ProviderRelay, no rule "
		    "(its mail stays with the gate's content_filter)\n", a);
		return;
	}
	/* the account is [a-z0-9-]+: nothing in it is special to a regexp */
	(void)buf_printf(b, "/^X-Kimgate-Route:[[:space:]]*%s[[:space:]]*$/"
	    "\tFILTER kimprov-%s:%s\n", a, a, relay);
}

/* read_password - the first line of file into out; -1 with why in err */
static int
read_password(const char *file, struct buf *out, struct buf *err)
{
	FILE *fp = fopen(file, "r");
	char line[1024];
	size_t n;
	int rc = -1;

	if (fp == NULL) {
		(void)buf_printf(err, "%s: cannot read: %s", file,
		    strerror(errno));
		return -1;
	}
	if (fgets(line, sizeof(line), fp) == NULL) {
		(void)buf_printf(err, "%s: empty", file);
		goto out;
	}
	n = strcspn(line, "\r\n");
	line[n] = 0;
	if (n == 0) {
		(void)buf_printf(err, "%s: the first line is empty", file);
		goto out;
	}
	rc = buf_puts(out, line) < 0 ? -1 : 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(fp);
	return rc;
}

/* out_sasl - the SASL map line of one KIM address; -1 when not complete */
static int
out_sasl(struct buf *b, const struct policy *p, int secrets)
{
	const char *file = policy_provider_password_file(p);
	struct buf pw = BUF_INIT, err = BUF_INIT;
	int rc = 0;

	if (file == NULL) {
		(void)buf_printf(b, "# %s: no ProviderPasswordFile in %s\n"
		    "%s %s:PASSWORD-NOT-SET\n", policy_kim_address(p),
		    policy_file(p), policy_kim_address(p),
		    policy_provider_login(p));
		return secrets ? -1 : 0;
	}
	if (!secrets) {
		(void)buf_printf(b, "%s %s:PASSWORD-FROM-%s\n",
		    policy_kim_address(p), policy_provider_login(p), file);
		return 0;
	}
	if (read_password(file, &pw, &err) < 0) {
		fprintf(stderr, "kimctl: mta-config: %s\n", buf_str(&err));
		(void)buf_printf(b, "%s %s:PASSWORD-FROM-%s\n",
		    policy_kim_address(p), policy_provider_login(p), file);
		rc = -1;
	} else
		(void)buf_printf(b, "%s %s:%s\n", policy_kim_address(p),
		    policy_provider_login(p), buf_str(&pw));
	buf_wipe(&pw);
	buf_free(&err);
	return rc;
}

/* build - every section from the set; returns the number of problems */
static int
build(const struct policy_set *set, const struct conf *conf, int secrets,
    struct buf sec[MTA_NSECTIONS])
{
	size_t i, n = policy_set_count(set), naccounts = 0;
	int problems = 0;

	(void)buf_printf(&sec[MTA_TRANSPORTS], "# ---- master.cf: one provider "
	    "transport per KIM account (kimctl mta-config) ----\n"
	    "# Reached only through the FILTER rules of kim_route_checks on "
	    "the gate's\n# cleanup service (kimcleanup).\n");
	(void)buf_printf(&sec[MTA_HEADER_CHECKS], "# ---- /etc/postfix/"
	    "kim_route_checks: milter_header_checks of kimcleanup ONLY ----\n"
	    "# (keep milter_header_checks empty in main.cf)\n");
	(void)buf_printf(&sec[MTA_STRIP], "# ---- /etc/postfix/kim_route_strip:"
	    " smtp_header_checks of the provider transports ----\n"
	    "/^X-Kimgate-Route:/\tIGNORE\n");
	(void)buf_printf(&sec[MTA_SASL], "# ---- /etc/postfix/kim_sasl_passwd "
	    "(texthash, chmod 600): <KIM address> <login>:<password> ----\n");
	(void)buf_printf(&sec[MTA_VIRTUAL], "# ---- virtual_alias_maps: each own "
	    "KIM address to its department mailbox ----\n"
	    "# Provider bounces and inbound KIM mail arrive at these "
	    "addresses; without an\n# entry they would loop to the provider. "
	    "Replace the placeholders.\n");
	for (i = 0; i < n; i++) {
		const struct policy *p = policy_set_get(set, i);
		const char *relay;

		if (!policy_kim_allowed(p) || policy_kim_account(p) == NULL ||
		    policy_kim_address(p) == NULL)
			continue;
		relay = relay_of(p, conf);
		if (!seen_account(set, i)) {
			naccounts++;
			if (relay == NULL) {
				fprintf(stderr, "kimctl: mta-config: account "
				    "%s (%s): no valid ProviderRelay in the "
				    "policy or in %s\n",
				    policy_kim_account(p), policy_file(p),
				    conf->path ? conf->path :
				    "kim-milter.conf");
				problems++;
			}
			out_transport(&sec[MTA_TRANSPORTS], p, relay);
			out_route_check(&sec[MTA_HEADER_CHECKS], p, relay);
		}
		if (!seen_address(set, i)) {
			if (out_sasl(&sec[MTA_SASL], p, secrets) < 0)
				problems++;
			(void)buf_printf(&sec[MTA_VIRTUAL], "%s\tMAILBOX-OF-%s\n",
			    policy_kim_address(p), policy_kim_account(p));
		}
	}
	for (i = 0; i < conf->n_local_kim_addresses; i++)
		(void)buf_printf(&sec[MTA_VIRTUAL], "%s\tMAILBOX-OF-%s\n",
		    conf->local_kim_addresses[i], conf->local_kim_addresses[i]);
	(void)buf_puts(&sec[MTA_HEADER_CHECKS], "# Any other value: no FILTER. "
	    "The message keeps the gate's\n# content_filter (kimprovider), "
	    "which has no account's client certificate\n# and authenticates "
	    "only as the envelope sender: never as another account.\n"
	    "/^X-Kimgate-Route:/\tDUNNO\n");
	if (naccounts == 0) {
		fprintf(stderr, "kimctl: mta-config: no policy may send KIM "
		    "(KimSending yes): no provider routes\n");
		(void)buf_puts(&sec[MTA_TRANSPORTS], "# (no policy with "
		    "KimSending yes)\n");
	}
	return problems;
}

/* kimctl_mta_config - `kimctl mta-config [--dir D] [--section S]
 * [--secrets]` */
int
kimctl_mta_config(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"section", required_argument, NULL, 's'},
		{"secrets", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	struct buf sec[MTA_NSECTIONS], diag = BUF_INIT;
	struct policy_set *set = NULL;
	struct conf *conf;
	const char *dir = NULL;
	int only = -1, secrets = 0, ch, i, problems, rc = KIMCTL_EX_USAGE;

	for (i = 0; i < MTA_NSECTIONS; i++)
		memset(&sec[i], 0, sizeof(sec[i]));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:s:Sj", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			for (only = 0; only < MTA_NSECTIONS; only++)
				if (strcmp(optarg, mta_section_names[only]) == 0)
					break;
			if (only == MTA_NSECTIONS) {
				fprintf(stderr, "kimctl: mta-config: unknown "
				    "section \"%s\" (transports, header-checks,"
				    " strip, sasl, virtual)\n", optarg);
				goto out;
			}
			break;
		case 'S':
			secrets = 1;
			break;
		case 'j':
			k->json = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((conf = kimctl_conf(k)) == NULL) {
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	set = policy_set_load(dir ? dir : conf->policy_directory, conf, &diag);
	if (set == NULL) {
		fprintf(stderr, "kimctl: policy files refused:\n%s",
		    buf_str(&diag));
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	problems = build(set, conf, secrets, sec);
	if (k->json) {
		int first = 1;

		printf("{\"accounts\":[");
		for (i = 0; (size_t)i < policy_set_count(set); i++) {
			const struct policy *p = policy_set_get(set, i);

			if (!policy_kim_allowed(p) ||
			    policy_kim_account(p) == NULL ||
			    seen_account(set, (size_t)i))
				continue;
			printf("%s{\"account\":", first ? "" : ",");
			first = 0;
			json_str(stdout, policy_kim_account(p));
			printf(",\"kim_address\":");
			json_str(stdout, policy_kim_address(p));
			printf(",\"policy\":");
			json_str(stdout, policy_file(p));
			printf(",\"transport\":\"kimprov-%s\",\"relay\":",
			    policy_kim_account(p));
			json_str(stdout, relay_of(p, conf));
			printf(",\"client_cert\":");
			json_str(stdout, policy_provider_client_cert(p));
			printf(",\"client_key\":");
			json_str(stdout, policy_provider_client_key(p));
			printf(",\"login\":");
			json_str(stdout, policy_provider_login(p));
			printf(",\"password_file\":");
			json_str(stdout, policy_provider_password_file(p));
			printf("}");
		}
		printf("],\"sections\":{");
		for (i = 0, first = 1; i < MTA_NSECTIONS; i++) {
			if (only >= 0 && i != only)
				continue;
			printf("%s\"%s\":", first ? "" : ",",
			    mta_section_names[i]);
			first = 0;
			json_str(stdout, buf_str(&sec[i]));
		}
		printf("},\"problems\":%d}\n", problems);
	} else {
		for (i = 0; i < MTA_NSECTIONS; i++) {
			if (only >= 0 && i != only)
				continue;
			fputs(buf_str(&sec[i]), stdout);
			if (only < 0 && i + 1 < MTA_NSECTIONS)
				fputc('\n', stdout);
		}
	}
	rc = problems ? KIMCTL_EX_FAIL : KIMCTL_EX_OK;
	goto out;
usage:
	fprintf(stderr, "usage: kimctl mta-config [--dir DIR] [--section "
	    "transports|header-checks|strip|sasl|virtual] [--secrets] "
	    "[--json]\n");
out:
	/* the SASL section may hold passwords */
	for (i = 0; i < MTA_NSECTIONS; i++)
		buf_wipe(&sec[i]);
	buf_free(&diag);
	policy_set_unref(set);
	return rc;
}
