/*
 * kimctl_checkmta.h - the parts of `kimctl check-mta` (private to tools/):
 * kimctl_checkmta.c (main.cf, listeners, gate, routes, providers) and
 * kimctl_checkroute.c (how KIM addresses resolve, own addresses).
 */
#ifndef KIMCTL_CHECKMTA_H
#define KIMCTL_CHECKMTA_H

#include "conf.h"
#include "kimctl_postconf.h"
#include "policy.h"

/* the growth of an encrypted message (base64 and CMS), and some room */
#define GROWTH_NUM 137
#define GROWTH_DEN 100
#define GROWTH_EXTRA (1024UL * 1024)

struct chk {
	const struct pc *pc;
	const struct conf *conf;
	const struct policy_set *set;	/* NULL when the policies are refused */
	char milter[300];		/* kim-milter's Socket, Postfix form */
	int errors, warnings, resolver;	/* resolver: trivial-rewrite asked */
	int json, first;
	char *gate_cleanup;		/* cleanup_service_name of the gate */
	char *gate_default;		/* the transport of its content_filter */
	char **providers;		/* provider transport names */
	size_t nproviders;
};

/* cm_say - one result line: level error, warning or ok */
void cm_say(struct chk *c, const char *level, const char *what,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* cm_role_of - the kim-milter role of a listener's daemon name */
enum conf_role cm_role_of(const struct chk *c, const struct pc_svc *s);
/* cm_is_smtpd - a listener that runs smtpd */
int cm_is_smtpd(const struct pc_svc *s);
/* cm_is_provider - a provider transport name */
int cm_is_provider(const struct chk *c, const char *name);

/* cm_check_domains - every KIM suffix, bare and below, goes to the gate */
void cm_check_domains(struct chk *c);
/* cm_check_own - every own KIM address has its virtual_alias_maps entry */
void cm_check_own(struct chk *c);

#endif
