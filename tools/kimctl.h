/*
 * kimctl.h - the commands of kimctl; each area lives in tools/kimctl_<area>.c.
 *
 * A command gets the global options and its own argv (argv[0] is the
 * command name) and returns the process exit status. Exit codes are
 * documented in kimctl(8); KIMCTL_EX_USAGE for bad arguments,
 * KIMCTL_EX_UNAVAILABLE when the daemon (or a service) cannot be reached.
 */
#ifndef KIMCTL_H
#define KIMCTL_H

#include "conf.h"

#define KIMCTL_EX_OK 0
#define KIMCTL_EX_FAIL 1
#define KIMCTL_EX_USAGE 64
#define KIMCTL_EX_UNAVAILABLE 69
#define KIMCTL_EX_CONFIG 78

struct kimctl {
	const char *conf_path;	/* -c FILE */
	struct conf *conf;	/* loaded lazily by kimctl_conf() */
	int json;		/* --json */
};

/* kimctl_conf - the loaded configuration; prints errors and returns NULL */
struct conf *kimctl_conf(struct kimctl *k);

/* one entry per command; keep the table in kimctl.c sorted by area */
typedef int (*kimctl_cmd_fn)(struct kimctl *k, int argc, char **argv);

int kimctl_status(struct kimctl *k, int argc, char **argv);
int kimctl_reload(struct kimctl *k, int argc, char **argv);
int kimctl_drain(struct kimctl *k, int argc, char **argv);
/* policy files (tools/kimctl_policy.c) */
int kimctl_policy(struct kimctl *k, int argc, char **argv);

/* directory and cache (tools/kimctl_dir.c) */
#define KIMCTL_EX_NOTFOUND 2	/* lookup: no entry for the address */
int kimctl_lookup(struct kimctl *k, int argc, char **argv);
int kimctl_cache(struct kimctl *k, int argc, char **argv);
int kimctl_audit(struct kimctl *k, int argc, char **argv);
/* the codec: tools/kimctl_codec.c */
int kimctl_encode(struct kimctl *k, int argc, char **argv);
int kimctl_decode(struct kimctl *k, int argc, char **argv);

/* cards (tools/kimctl_card.c) */
int kimctl_card(struct kimctl *k, int argc, char **argv);

/* the Postfix side of the KIM route (tools/kimctl_mta.c, kimctl_checkmta.c) */
int kimctl_mta_config(struct kimctl *k, int argc, char **argv);
int kimctl_check_mta(struct kimctl *k, int argc, char **argv);
/* revocation of a certificate (tools/kimctl_rev.c, issue 8) */
int kimctl_revocation(struct kimctl *k, int argc, char **argv);

#endif
