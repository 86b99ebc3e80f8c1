/*
 * policy.c - the policy set's lifetime, the built-in default policy and the
 * accessors.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy_int.h"

const char *const policy_key_names[PK_COUNT] = {
	[PK_SENDER] = "Sender",
	[PK_KIM_SENDING] = "KimSending",
	[PK_KIM_ADDRESS] = "KimAddress",
	[PK_CARD_POOL] = "CardPool",
	[PK_DIENSTKENNUNG] = "Dienstkennung",
	[PK_ALLOW_DIENSTKENNUNG] = "AllowDienstkennung",
	[PK_MAX_SIZE] = "MaxMessageSize",
	[PK_DEFAULT] = "Default",
	[PK_DESCRIPTION] = "Description",
	[PK_KIM_ACCOUNT] = "KimAccount",
	[PK_PROVIDER_RELAY] = "ProviderRelay",
	[PK_PROVIDER_CLIENT_CERT] = "ProviderClientCert",
	[PK_PROVIDER_CLIENT_KEY] = "ProviderClientKey",
	[PK_PROVIDER_LOGIN] = "ProviderLogin",
	[PK_PROVIDER_PASSWORD_FILE] = "ProviderPasswordFile",
	[PK_ON_FIRST + POLICY_FAIL_NO_CERTIFICATE] = "On-NoCertificate",
	[PK_ON_FIRST + POLICY_FAIL_DIRECTORY] = "On-DirectoryError",
	[PK_ON_FIRST + POLICY_FAIL_CARD] = "On-CardError",
	[PK_ON_FIRST + POLICY_FAIL_OVERSIZE] = "On-Oversize",
	[PK_ON_FIRST + POLICY_FAIL_DENIED] = "On-PolicyDenied",
	[PK_ON_FIRST + POLICY_FAIL_INTERNAL] = "On-InternalError",
};

/* policy_builtin_new - may not send KIM; every action reject or tempfail */
struct policy *
policy_builtin_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->builtin = 1;
	p->is_default = 1;
	p->kim_sending = 0;
	p->max_size = POLICY_MAX_SIZE_DEFAULT;
	p->on[POLICY_FAIL_NO_CERTIFICATE] = POLICY_ACTION_REJECT;
	p->on[POLICY_FAIL_DIRECTORY] = POLICY_ACTION_TEMPFAIL;
	p->on[POLICY_FAIL_CARD] = POLICY_ACTION_TEMPFAIL;
	p->on[POLICY_FAIL_OVERSIZE] = POLICY_ACTION_REJECT;
	p->on[POLICY_FAIL_DENIED] = POLICY_ACTION_REJECT;
	p->on[POLICY_FAIL_INTERNAL] = POLICY_ACTION_TEMPFAIL;
	if ((p->name = strdup("built-in default")) == NULL ||
	    (p->dk = calloc(1, sizeof(char *))) == NULL ||
	    (p->dk[0] = strdup(POLICY_DIENSTKENNUNG_DEFAULT)) == NULL) {
		policy_free(p);
		return NULL;
	}
	p->ndk = 1;
	return p;
}

/* policy_free - one policy and its strings */
void
policy_free(struct policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->name);
	free(p->file);
	free(p->description);
	free(p->kim_address);
	free(p->card_pool);
	free(p->kim_account);
	free(p->provider_relay);
	free(p->provider_cert);
	free(p->provider_key);
	free(p->provider_login);
	free(p->provider_password_file);
	for (i = 0; i < p->ndk; i++)
		free(p->dk[i]);
	free(p->dk);
	free(p);
}

/* policy_patterns_free - an array of patterns */
void
policy_patterns_free(struct policy_pattern *pat, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pat[i].text);
		free(pat[i].value);
	}
	free(pat);
}

/* policy_set_builtin - only the default policy */
struct policy_set *
policy_set_builtin(void)
{
	struct policy_set *set = calloc(1, sizeof(*set));

	if (set == NULL)
		return NULL;
	set->refs = 1;
	set->loaded_at = time(NULL);
	if ((set->builtin = policy_builtin_new()) == NULL) {
		free(set);
		return NULL;
	}
	set->def = set->builtin;
	return set;
}

/* policy_set_ref - take a reference */
struct policy_set *
policy_set_ref(struct policy_set *set)
{
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_SEQ_CST);
	return set;
}

/* policy_set_unref - drop a reference; the last one frees */
void
policy_set_unref(struct policy_set *set)
{
	size_t i;

	if (set == NULL ||
	    __atomic_sub_fetch(&set->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	for (i = 0; i < set->npolicies; i++)
		policy_free(set->policies[i]);
	free(set->policies);
	policy_patterns_free(set->patterns, set->npatterns);
	policy_free(set->builtin);
	free(set->dir);
	free(set);
}

/* policy_set_dir - the directory the set was read from, or NULL */
const char *
policy_set_dir(const struct policy_set *set)
{
	return set->dir;
}

/* policy_set_count - number of policy files */
size_t
policy_set_count(const struct policy_set *set)
{
	return set->npolicies;
}

/* policy_set_get - the i-th policy by file name */
const struct policy *
policy_set_get(const struct policy_set *set, size_t i)
{
	return i < set->npolicies ? set->policies[i] : NULL;
}

/* policy_set_default - the policy of uncovered and null senders */
const struct policy *
policy_set_default(const struct policy_set *set)
{
	return set->def;
}

/* policy_name - the file stem, or "built-in default" */
const char *
policy_name(const struct policy *p)
{
	return p->name;
}

/* policy_file - path of the file, NULL when built in */
const char *
policy_file(const struct policy *p)
{
	return p->file;
}

/* policy_description - Description, or NULL */
const char *
policy_description(const struct policy *p)
{
	return p->description;
}

/* policy_is_default - built in or Default yes */
int
policy_is_default(const struct policy *p)
{
	return p->is_default;
}

/* policy_is_builtin - the built-in default policy? */
int
policy_is_builtin(const struct policy *p)
{
	return p->builtin;
}

/* policy_kim_allowed - KimSending yes? */
int
policy_kim_allowed(const struct policy *p)
{
	return p->kim_sending == 1;
}

/* policy_kim_address - KimAddress, or NULL */
const char *
policy_kim_address(const struct policy *p)
{
	return p->kim_address;
}

/* policy_card_pool - CardPool, or NULL */
const char *
policy_card_pool(const struct policy *p)
{
	return p->card_pool;
}

/* policy_kim_account - the provider account; NULL for the built-in */
const char *
policy_kim_account(const struct policy *p)
{
	return p->builtin ? NULL : p->kim_account;
}

/* policy_provider_relay - ProviderRelay, or NULL (callers use the conf's) */
const char *
policy_provider_relay(const struct policy *p)
{
	return p->provider_relay;
}

/* policy_provider_client_cert - ProviderClientCert, or NULL */
const char *
policy_provider_client_cert(const struct policy *p)
{
	return p->provider_cert;
}

/* policy_provider_client_key - ProviderClientKey, or NULL */
const char *
policy_provider_client_key(const struct policy *p)
{
	return p->provider_key;
}

/* policy_provider_login - ProviderLogin, else the KimAddress, or NULL */
const char *
policy_provider_login(const struct policy *p)
{
	return p->provider_login ? p->provider_login : p->kim_address;
}

/* policy_provider_password_file - ProviderPasswordFile, or NULL */
const char *
policy_provider_password_file(const struct policy *p)
{
	return p->provider_password_file;
}

/* policy_account_valid - [a-z0-9-]+, 1 to POLICY_ACCOUNT_MAX characters */
int
policy_account_valid(const char *a)
{
	size_t n = 0;

	if (a == NULL)
		return 0;
	for (; a[n]; n++)
		if (!((a[n] >= 'a' && a[n] <= 'z') ||
		    (a[n] >= '0' && a[n] <= '9') || a[n] == '-'))
			return 0;
	return n >= 1 && n <= POLICY_ACCOUNT_MAX;
}

/*
 * policy_relay_valid - `[host]:port`: the brackets keep Postfix from an MX
 * lookup (the provider's relay is one host); host is a name, an IPv4
 * address or `ipv6:` and an IPv6 address; port 1..65535.
 */
int
policy_relay_valid(const char *r)
{
	const char *close, *h;
	unsigned long port = 0;

	if (r == NULL || r[0] != '[' || (close = strchr(r, ']')) == NULL ||
	    close == r + 1 || close[1] != ':' || close[2] == 0)
		return 0;
	for (h = r + 1; h < close; h++)
		if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9') || *h == '-' || *h == '.' ||
		    *h == ':' || *h == '_'))
			return 0;
	for (h = close + 2; *h; h++) {
		if (*h < '0' || *h > '9' || h - (close + 2) > 5)
			return 0;
		port = port * 10 + (unsigned long)(*h - '0');
	}
	return port >= 1 && port <= 65535;
}

/* policy_dienstkennung - the Dienstkennung for messages without one */
const char *
policy_dienstkennung(const struct policy *p)
{
	return p->dk[0];
}

/* policy_dienstkennung_count - number of allowed Dienstkennungen */
size_t
policy_dienstkennung_count(const struct policy *p)
{
	return p->ndk;
}

/* policy_dienstkennung_get - the i-th allowed one, the default first */
const char *
policy_dienstkennung_get(const struct policy *p, size_t i)
{
	return i < p->ndk ? p->dk[i] : NULL;
}

/* policy_dienstkennung_allowed - case-insensitive, blanks around ignored */
const char *
policy_dienstkennung_allowed(const struct policy *p, const char *dk)
{
	const char *s = dk, *e;
	size_t i, n;

	if (dk == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		e--;
	n = (size_t)(e - s);
	for (i = 0; i < p->ndk; i++)
		if (p->dk[i] != NULL && strlen(p->dk[i]) == n && strncasecmp(p->dk[i], s, n) == 0)
			return p->dk[i];
	return NULL;
}

/* policy_max_size - MaxMessageSize in bytes */
size_t
policy_max_size(const struct policy *p)
{
	return p->max_size;
}

/* policy_action - the On-<Class> action of a failure class */
enum policy_action
policy_action(const struct policy *p, enum policy_failure f)
{
	return (unsigned)f < POLICY_FAIL_COUNT ? p->on[f] :
	    POLICY_ACTION_TEMPFAIL;
}

/* policy_line - where a key was set in the policy's file */
int
policy_line(const struct policy *p, const char *key)
{
	int i;

	for (i = 0; i < PK_COUNT; i++)
		if (strcasecmp(policy_key_names[i], key) == 0)
			return p->lines[i];
	return 0;
}

/* policy_failure_key - the On- key of a class */
const char *
policy_failure_key(enum policy_failure f)
{
	if ((unsigned)f >= POLICY_FAIL_COUNT)
		return "On-InternalError";
	return policy_key_names[PK_ON_FIRST + f];
}

/* policy_action_name - "reject" or "tempfail" */
const char *
policy_action_name(enum policy_action a)
{
	return a == POLICY_ACTION_REJECT ? "reject" : "tempfail";
}
