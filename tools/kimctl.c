/*
 * kimctl.c - kimctl: the admin's tool. Global options, then one command.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "kimctl.h"
#include "msg.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define KIMCTL_DEFAULT_CONF SYSCONFDIR "/kim-milter/kim-milter.conf"

static const struct {
	const char *name;
	kimctl_cmd_fn fn;
	const char *usage;
} kimctl_cmds[] = {
	/* daemon control (lib/ctl) */
	{"status", kimctl_status, "status            daemon version, uptime, counters"},
	{"reload", kimctl_reload, "reload            reload kim-milter.conf (like SIGUSR1)"},
	{"drain", kimctl_drain, "drain [--wait]    tempfail new work, stop when idle"},
	/* policy files (tools/kimctl_policy.c) */
	{"policy", kimctl_policy, "policy test --from ADDR --rcpt ADDR...  what the policies do with a sender"},
	{"policy", kimctl_policy, "policy lint       every problem of the policy files, with file:line"},
	/* directory and cache (tools/kimctl_dir.c) */
	{"lookup", kimctl_lookup, "lookup ADDRESS    directory entry and certificate verdicts"},
	{"cache", kimctl_cache, "cache list|show|purge|refresh|stats  the shared directory cache"},
	{"audit", kimctl_audit, "audit [--days N]  shared keys, mixed IDs, expiring, MAC failures"},
	/* the codec (lib/kim) */
	{"encode", kimctl_encode, "encode [--card NAME|--key F --cert F] ...  sign and encrypt a mail"},
	{"decode", kimctl_decode, "decode [--card NAME|--key F --cert F] --address A ...  decrypt and check"},
	/* cards (tools/kimctl_card.c) */
	{"card", kimctl_card, "card status [NAME] | card enable NAME  cards, PIN state, back in service"},
	/* the Postfix side of the KIM route (tools/kimctl_mta.c) */
	{"mta-config", kimctl_mta_config, "mta-config [--section S] [--secrets]  Postfix transports, header checks, SASL map"},
	{"check-mta", kimctl_check_mta, "check-mta [-C DIR]  check Postfix's effective configuration for the KIM route"},
	/* revocation (lib/rev, issue 8) */
	{"revocation", kimctl_revocation, "revocation CERT [--issuer F]  revocation status (CRLFiles, OCSP)"},
	/* further areas add their commands here */
};

/* usage - print the synopsis */
static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: kimctl [-c FILE] [--json] COMMAND [ARGS]\n\n"
	    "commands:\n");
	for (i = 0; i < sizeof(kimctl_cmds) / sizeof(kimctl_cmds[0]); i++)
		fprintf(fp, "  %s\n", kimctl_cmds[i].usage);
	fprintf(fp, "\nSee kimctl(8).\n");
}

/* kimctl_conf - load the configuration once */
struct conf *
kimctl_conf(struct kimctl *k)
{
	struct buf diag = BUF_INIT;

	if (k->conf)
		return k->conf;
	k->conf = conf_load(k->conf_path, &diag);
	if (k->conf == NULL)
		fprintf(stderr, "kimctl: configuration errors:\n%s",
		    buf_str(&diag));
	buf_free(&diag);
	return k->conf;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct kimctl k;
	size_t i;
	int ch, rc;

	memset(&k, 0, sizeof(k));
	k.conf_path = KIMCTL_DEFAULT_CONF;
	msg_open("kimctl", 0, 0);
	/*
	 * dir: a TLS server that refuses our client certificate closes the
	 * socket while libldap still writes; the write must fail (-> 69
	 * unavailable), not kill kimctl (the milter ignores SIGPIPE, too)
	 */
	signal(SIGPIPE, SIG_IGN);
	/* '+': stop at the command; its own options follow it */
	while ((ch = getopt_long(argc, argv, "+c:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			k.conf_path = optarg;
			break;
		case 'j':
			k.json = 1;
			break;
		case 'h':
			usage(stdout);
			return KIMCTL_EX_OK;
		case 'V':
			printf("kimctl %s\n", PACKAGE_VERSION);
			return KIMCTL_EX_OK;
		default:
			usage(stderr);
			return KIMCTL_EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return KIMCTL_EX_USAGE;
	}
	for (i = 0; i < sizeof(kimctl_cmds) / sizeof(kimctl_cmds[0]); i++)
		if (strcmp(argv[optind], kimctl_cmds[i].name) == 0)
			break;
	if (i == sizeof(kimctl_cmds) / sizeof(kimctl_cmds[0])) {
		fprintf(stderr, "kimctl: unknown command \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return KIMCTL_EX_USAGE;
	}
	optind++;
	rc = kimctl_cmds[i].fn(&k, argc - optind + 1, argv + optind - 1);
	conf_unref(k.conf);
	return rc;
}
