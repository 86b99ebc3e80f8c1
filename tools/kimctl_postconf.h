/*
 * kimctl_postconf.h - Postfix's effective configuration as Postfix itself
 * reports it (postconf -n, -x, -M, -P), table queries through postmap -q,
 * and address resolution through trivial-rewrite (for kimctl check-mta).
 *
 * Lifetime: pc_load fills a struct pc; pc_free releases it. Strings returned
 * are borrowed from the struct pc.
 */
#ifndef KIMCTL_POSTCONF_H
#define KIMCTL_POSTCONF_H

#include <stddef.h>

#include "buf.h"

struct pc_kv {
	char *name;
	char *value;
};

/* one master.cf service (postconf -M) with its -o parameters (postconf -P) */
struct pc_svc {
	char *name;		/* "smtp", "127.0.0.1:10026", "kimcleanup" */
	char *type;		/* inet, unix, pass, ... */
	char *command;		/* smtpd, smtp, cleanup, ... */
	struct pc_kv *params;
	size_t nparams;
};

struct pc {
	const char *confdir;	/* -c DIR, or NULL for the default */
	struct pc_kv *main;	/* postconf -x: every effective value */
	size_t nmain;
	struct pc_kv *explicit_;	/* postconf -n: what main.cf sets */
	size_t nexplicit;
	struct pc_svc *svcs;
	size_t nsvcs;
};

/* trivial-rewrite's answer to a resolve request */
struct pc_resolved {
	char transport[256];
	char nexthop[512];
	char recipient[512];
	int flags;
};
/* Postfix's resolve_clnt.h flag values (a wire protocol fact) */
#define PC_RESOLVE_FLAG_FAIL	(1 << 3)
#define PC_RESOLVE_CLASS_LOCAL	(1 << 8)
#define PC_RESOLVE_CLASS_ALIAS	(1 << 9)
#define PC_RESOLVE_CLASS_VIRTUAL (1 << 10)

/* pc_load - run postconf; 0, or -1 with the reason in err */
int pc_load(struct pc *pc, const char *confdir, struct buf *err);
void pc_free(struct pc *pc);

/* pc_main - the effective main.cf value (defaults included), or NULL */
const char *pc_main(const struct pc *pc, const char *name);
/* pc_explicit - set in main.cf? */
int pc_explicit(const struct pc *pc, const char *name);
/* pc_svc_param - a service's -o value, or NULL */
const char *pc_svc_param(const struct pc_svc *s, const char *name);
/* pc_svc_value - the -o value, else the main.cf value, or "" */
const char *pc_svc_value(const struct pc *pc, const struct pc_svc *s,
    const char *name);
/* pc_svc_find - a service by name (and type, NULL: any) */
const struct pc_svc *pc_svc_find(const struct pc *pc, const char *name,
    const char *type);

/*
 * pc_query - `postmap -q key table`: 1 found (value in out), 0 not found,
 * -1 the table could not be asked.
 */
int pc_query(const struct pc *pc, const char *table, const char *key,
    struct buf *out);

/*
 * pc_resolve - ask trivial-rewrite (queue_directory/private/rewrite) how
 * addr is routed: 0, or -1 with the reason in err (not root, no socket,
 * Postfix not running).
 */
int pc_resolve(const struct pc *pc, const char *addr, struct pc_resolved *r,
    struct buf *err);

/*
 * pc_words - split a Postfix list value (blanks and commas; `{...}` kept
 * together) into a NULL-terminated vector the caller frees with pc_words_free.
 */
char **pc_words(const char *value);
void pc_words_free(char **w);

#endif
