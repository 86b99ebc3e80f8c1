/*
 * policy_int.h - the insides of struct policy and struct policy_set,
 * shared by the files of policy/ (private).
 */
#ifndef KIM_POLICY_INT_H
#define KIM_POLICY_INT_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "policy.h"

/* the keys of a policy file; the index into struct policy.lines */
enum policy_key {
	PK_SENDER = 0,
	PK_KIM_SENDING,
	PK_KIM_ADDRESS,
	PK_CARD_POOL,
	PK_DIENSTKENNUNG,
	PK_ALLOW_DIENSTKENNUNG,
	PK_MAX_SIZE,
	PK_DEFAULT,
	PK_DESCRIPTION,
	PK_KIM_ACCOUNT,		/* the provider route (X-Kimgate-Route) */
	PK_PROVIDER_RELAY,
	PK_PROVIDER_CLIENT_CERT,
	PK_PROVIDER_CLIENT_KEY,
	PK_PROVIDER_LOGIN,
	PK_PROVIDER_PASSWORD_FILE,
	PK_ON_FIRST,		/* then one per enum policy_failure */
	PK_COUNT = PK_ON_FIRST + POLICY_FAIL_COUNT
};

enum policy_pattern_kind {
	PP_EXACT = 0,		/* user@domain */
	PP_DOMAIN,		/* *@domain */
	PP_SUBDOMAIN,		/* *@*.domain */
};

struct policy {
	char *name;		/* file stem, "default" when built in */
	char *file;		/* path, NULL when built in */
	char *description;
	int builtin;
	int is_default;
	int kim_sending;	/* -1 while unset during parsing */
	char *kim_address;
	char *card_pool;
	char **dk;		/* dk[0] is the default Dienstkennung */
	size_t ndk;
	size_t max_size;
	enum policy_action on[POLICY_FAIL_COUNT];
	int lines[PK_COUNT];	/* first line each key was seen on */
	int npatterns;		/* Sender patterns of this policy */
	/* the provider route of the department's KIM account */
	char *kim_account;	/* KimAccount, or the valid lower-cased stem */
	char *provider_relay;	/* ProviderRelay [host]:port, or NULL */
	char *provider_cert;	/* ProviderClientCert, or NULL */
	char *provider_key;	/* ProviderClientKey, or NULL */
	char *provider_login;	/* ProviderLogin, or NULL (KimAddress) */
	char *provider_password_file;	/* ProviderPasswordFile, or NULL */
};

struct policy_pattern {
	enum policy_pattern_kind kind;
	char *text;		/* as normalised: "*@*.klinikum.example" */
	char *value;		/* the address or the domain */
	size_t vlen;
	struct policy *policy;
	int line;
};

struct policy_set {
	int refs;		/* atomic */
	char *dir;
	time_t loaded_at;
	struct policy **policies;	/* sorted by file name */
	size_t npolicies;
	struct policy_pattern *patterns;	/* sorted: kind, then longest */
	size_t npatterns;
	const struct policy *def;	/* builtin or a Default yes file */
	struct policy *builtin;
};

/* names of the keys, indexed by enum policy_key */
extern const char *const policy_key_names[PK_COUNT];

/* policy_builtin_new - the built-in default policy; NULL on ENOMEM */
struct policy *policy_builtin_new(void);
/* policy_free - free one policy; accepts NULL */
void policy_free(struct policy *p);

/* per-file parse state handed from policy_load.c to policy_parse.c */
struct policy_parse {
	struct policy *policy;
	const char *path;
	struct buf *diag;
	struct policy_pattern *patterns;	/* appended to */
	size_t npatterns;
	int problems;
};

/*
 * policy_parse_file - read one file into pp->policy (already allocated
 * with name and file), append its Sender patterns. Returns the number of
 * problems (also in diag), -1 when it cannot be read.
 */
int policy_parse_file(struct policy_parse *pp);
/* policy_parse_finish - defaults and per-file consistency; problems */
int policy_parse_finish(struct policy_parse *pp, const struct conf *conf);

/* policy_match_sort - order patterns for matching; report ties to diag */
int policy_match_sort(struct policy_set *set, struct buf *diag);

/* policy_patterns_free - free an array of patterns */
void policy_patterns_free(struct policy_pattern *pat, size_t n);

#endif
