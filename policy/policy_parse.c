/*
 * policy_parse.c - one policy file: its keys, their values, and the checks
 * that concern one file alone (against kim-milter.conf's card pools and
 * KimDomains). The lexer is conf_lex_file, shared with kim-milter.conf.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "policy_int.h"

#define PROBLEM(pp, line, ...) do {					\
	(void)buf_printf((pp)->diag, "%s:%d: ", (pp)->path, (line));	\
	(void)buf_printf((pp)->diag, __VA_ARGS__);			\
	(void)buf_puts((pp)->diag, "\n");				\
	(pp)->problems++;						\
} while (0)

/* valid_domain - letters, digits, '-', '_' in dot-separated labels */
static int
valid_domain(const char *d)
{
	const char *p;
	int label = 0;

	if (*d == 0 || *d == '.')
		return 0;
	for (p = d; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-' ||
		    *p == '_') {
			label++;
		} else
			return 0;
	}
	return label > 0;
}

/* valid_address - local@domain, no wildcard, printable */
static int
valid_address(const char *a)
{
	const char *at = strrchr(a, '@'), *p;

	if (at == NULL || at == a || !valid_domain(at + 1))
		return 0;
	for (p = a; p < at; p++)
		if (*p <= ' ' || *p > '~' || *p == '*' || *p == '<' ||
		    *p == '>' || *p == ',')
			return 0;
	return 1;
}

/* lower_dup - a lower-cased copy without <> and blanks, or NULL */
static char *
lower_dup(const char *v)
{
	char *s;
	size_t n = strlen(v) + 1;

	if ((s = malloc(n)) == NULL)
		return NULL;
	if (addr_normalize(v, s, n) < 0) {
		/* not an address: keep it lower-cased for the message */
		size_t i;

		for (i = 0; v[i]; i++)
			s[i] = (char)tolower((unsigned char)v[i]);
		s[i] = 0;
	}
	return s;
}

/* add_pattern - validate one Sender pattern and append it */
static void
add_pattern(struct policy_parse *pp, const char *word, int line)
{
	struct policy_pattern pat, *np;
	char *s = lower_dup(word);

	memset(&pat, 0, sizeof(pat));
	if (s == NULL) {
		PROBLEM(pp, line, "out of memory");
		return;
	}
	if (*s == 0) {
		PROBLEM(pp, line, "Sender: the null sender <> cannot be "
		    "listed: it always gets the default policy");
		goto fail;
	}
	if (strncmp(s, "*@*.", 4) == 0) {
		pat.kind = PP_SUBDOMAIN;
		pat.value = strdup(s + 4);
	} else if (strncmp(s, "*@", 2) == 0) {
		pat.kind = PP_DOMAIN;
		pat.value = strdup(s + 2);
	} else {
		pat.kind = PP_EXACT;
		pat.value = strdup(s);
	}
	if (pat.value == NULL) {
		PROBLEM(pp, line, "out of memory");
		goto fail;
	}
	if (pat.kind == PP_EXACT ? !valid_address(pat.value) :
	    !valid_domain(pat.value)) {
		PROBLEM(pp, line, "Sender \"%s\": not a pattern: use "
		    "user@domain, *@domain or *@*.domain", word);
		goto fail;
	}
	np = realloc(pp->patterns, (pp->npatterns + 1) * sizeof(*np));
	if (np == NULL) {
		PROBLEM(pp, line, "out of memory");
		goto fail;
	}
	pp->patterns = np;
	pat.text = s;
	pat.vlen = strlen(pat.value);
	pat.policy = pp->policy;
	pat.line = line;
	pp->patterns[pp->npatterns++] = pat;
	pp->policy->npatterns++;
	return;
fail:
	free(pat.value);
	free(s);
}

/* each_word - call fn for every comma- or blank-separated word */
static void
each_word(struct policy_parse *pp, const char *v, int line,
    void (*fn)(struct policy_parse *, const char *, int))
{
	char *copy = strdup(v), *w, *save = NULL;

	if (copy == NULL) {
		PROBLEM(pp, line, "out of memory");
		return;
	}
	for (w = strtok_r(copy, ", \t", &save); w != NULL;
	    w = strtok_r(NULL, ", \t", &save))
		fn(pp, w, line);
	free(copy);
}

/*
 * parse_size - bytes with an optional binary unit: 512K, 10M, 15MiB.
 * Bounded by 1 KiB and the 15 MiB of KIM 1.0.
 */
static int
parse_size(struct policy_parse *pp, const char *v, int line, size_t *out)
{
	unsigned long long n, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*v))
		goto bad;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		goto bad;
	if (*end == 0 || strcasecmp(end, "b") == 0)
		mul = 1;
	else if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0)
		mul = 1024;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0)
		mul = 1024 * 1024;
	else
		goto bad;
	if (n > POLICY_MAX_SIZE_DEFAULT / mul + 1) {
		n = POLICY_MAX_SIZE_DEFAULT + 1;
		mul = 1;
	}
	n *= mul;
	if (n > POLICY_MAX_SIZE_DEFAULT) {
		PROBLEM(pp, line, "MaxMessageSize %s is above 15M (%lu bytes), "
		    "the KIM 1.0 limit (A_2004-01): larger mail needs the KIM "
		    "Attachment Service, which kim-milter does not offer", v,
		    POLICY_MAX_SIZE_DEFAULT);
		return -1;
	}
	if (n < 1024) {
		PROBLEM(pp, line, "MaxMessageSize %s is below 1K", v);
		return -1;
	}
	*out = (size_t)n;
	return 0;
bad:
	PROBLEM(pp, line, "MaxMessageSize \"%s\" is not a size (bytes, or a "
	    "number with K or M)", v);
	return -1;
}

/*
 * dk_valid - <application>;<type>;<version>: three non-empty parts
 * of visible ASCII.
 */
static int
dk_valid(const char *dk)
{
	const char *p;
	int parts = 1, len = 0;

	for (p = dk; *p; p++) {
		if (*p == ';') {
			if (len == 0)
				return 0;
			parts++;
			len = 0;
		} else if (*p <= ' ' || *p > '~' || *p == ',')
			return 0;
		else
			len++;
	}
	return parts == 3 && len > 0;
}

/* add_dk - append an allowed Dienstkennung unless already there */
static void
add_dk(struct policy_parse *pp, const char *w, int line)
{
	struct policy *p = pp->policy;
	char **nd;

	if (!dk_valid(w)) {
		PROBLEM(pp, line, "Dienstkennung \"%s\" is not of the form "
		    "<application>;<type>;<version> (e.g. %s)", w,
		    POLICY_DIENSTKENNUNG_DEFAULT);
		return;
	}
	if (policy_dienstkennung_allowed(p, w) != NULL)
		return;
	nd = realloc(p->dk, (p->ndk + 1) * sizeof(*nd));
	if (nd == NULL || (nd[p->ndk] = strdup(w)) == NULL) {
		if (nd)
			p->dk = nd;
		PROBLEM(pp, line, "out of memory");
		return;
	}
	p->dk = nd;
	p->ndk++;
}

/* parse_action - reject or tempfail; others are refused with the reason */
static void
parse_action(struct policy_parse *pp, const char *key, const char *v,
    int line, enum policy_action *out)
{
	if (strcasecmp(v, "reject") == 0)
		*out = POLICY_ACTION_REJECT;
	else if (strcasecmp(v, "tempfail") == 0)
		*out = POLICY_ACTION_TEMPFAIL;
	else if (strcasecmp(v, "accept") == 0)
		PROBLEM(pp, line, "%s accept is not allowed: mail to a KIM "
		    "address must never leave unencrypted (fail closed); use "
		    "reject or tempfail", key);
	else if (strcasecmp(v, "quarantine") == 0)
		PROBLEM(pp, line, "%s quarantine is not allowed: held mail "
		    "keeps its route to the provider and would leave in "
		    "plaintext when released (fail closed); use reject or "
		    "tempfail", key);
	else if (strcasecmp(v, "discard") == 0)
		PROBLEM(pp, line, "%s discard is not allowed: mail is never "
		    "dropped silently; use reject or tempfail", key);
	else
		PROBLEM(pp, line, "%s \"%s\": use reject or tempfail", key, v);
}

/* unquote - a value in double quotes loses them */
static char *
unquote(const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		return strndup(v + 1, n - 2);
	return strdup(v);
}

/* set_string - store a copy, report ENOMEM */
static void
set_string(struct policy_parse *pp, char **field, char *copy, int line)
{
	if (copy == NULL) {
		PROBLEM(pp, line, "out of memory");
		return;
	}
	free(*field);
	*field = copy;
}

/* policy_line_cb - one `Key value` line of a policy file */
static int
policy_line_cb(const char *key, const char *value, int line, void *arg)
{
	struct policy_parse *pp = arg;
	struct policy *p = pp->policy;
	int before = pp->problems, k, b;

	for (k = 0; k < PK_COUNT; k++)
		if (strcasecmp(policy_key_names[k], key) == 0)
			break;
	if (k == PK_COUNT) {
		PROBLEM(pp, line, "unknown key \"%s\" (see "
		    "kim-milter-policy(5))", key);
		return 1;
	}
	key = policy_key_names[k];
	if (p->lines[k] && k != PK_SENDER && k != PK_ALLOW_DIENSTKENNUNG) {
		PROBLEM(pp, line, "%s is already set at line %d", key,
		    p->lines[k]);
		return 1;
	}
	if (p->lines[k] == 0)
		p->lines[k] = line;
	switch (k) {
	case PK_SENDER:
		each_word(pp, value, line, add_pattern);
		break;
	case PK_KIM_SENDING:
	case PK_DEFAULT:
		if (conf_parse_bool(value, &b) < 0)
			PROBLEM(pp, line, "%s \"%s\" is not yes or no", key,
			    value);
		else if (k == PK_KIM_SENDING)
			p->kim_sending = b;
		else
			p->is_default = b;
		break;
	case PK_KIM_ADDRESS: {
		char *a = lower_dup(value);

		if (a != NULL && (*a == 0 || !valid_address(a))) {
			PROBLEM(pp, line, "KimAddress \"%s\" is not a mail "
			    "address", value);
			free(a);
			break;
		}
		set_string(pp, &p->kim_address, a, line);
		break;
	}
	case PK_CARD_POOL: {
		const char *c;

		for (c = value; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
				break;
		if (*c) {
			PROBLEM(pp, line, "CardPool \"%s\": a pool name has "
			    "only letters, digits, '-', '_' and '.'", value);
			break;
		}
		set_string(pp, &p->card_pool, strdup(value), line);
		break;
	}
	case PK_DIENSTKENNUNG:
		if (!dk_valid(value)) {
			add_dk(pp, value, line);	/* reports */
			break;
		}
		set_string(pp, &p->dk[0], strdup(value), line);
		break;
	case PK_ALLOW_DIENSTKENNUNG:
		each_word(pp, value, line, add_dk);
		break;
	case PK_MAX_SIZE:
		(void)parse_size(pp, value, line, &p->max_size);
		break;
	case PK_DESCRIPTION:
		if (value[0] == '"' && (strlen(value) < 2 ||
		    value[strlen(value) - 1] != '"')) {
			PROBLEM(pp, line, "Description: unterminated quoted "
			    "string");
			break;
		}
		set_string(pp, &p->description, unquote(value), line);
		break;
	case PK_KIM_ACCOUNT:
		if (!policy_account_valid(value)) {
			PROBLEM(pp, line, "KimAccount \"%s\": an account name "
			    "has 1 to %d of a-z, 0-9 and '-' (it becomes the "
			    "X-Kimgate-Route header and the transport "
			    "kimprov-<account>)", value, POLICY_ACCOUNT_MAX);
			break;
		}
		set_string(pp, &p->kim_account, strdup(value), line);
		break;
	case PK_PROVIDER_RELAY:
		if (!policy_relay_valid(value)) {
			PROBLEM(pp, line, "ProviderRelay \"%s\": write "
			    "[host]:port, e.g. [mail.provider.example]:465",
			    value);
			break;
		}
		set_string(pp, &p->provider_relay, strdup(value), line);
		break;
	case PK_PROVIDER_CLIENT_CERT:
	case PK_PROVIDER_CLIENT_KEY:
	case PK_PROVIDER_PASSWORD_FILE:
		if (value[0] != '/') {
			PROBLEM(pp, line, "%s \"%s\" is not an absolute path",
			    key, value);
			break;
		}
		set_string(pp, k == PK_PROVIDER_CLIENT_CERT ? &p->provider_cert :
		    k == PK_PROVIDER_CLIENT_KEY ? &p->provider_key :
		    &p->provider_password_file, strdup(value), line);
		break;
	case PK_PROVIDER_LOGIN: {
		const char *c;

		/* it goes into a Postfix SASL map as `address login:password` */
		for (c = value; *c; c++)
			if (*c <= ' ' || *c > '~' || *c == ':')
				break;
		if (*c) {
			PROBLEM(pp, line, "ProviderLogin \"%s\": no blanks, "
			    "':' or non-ASCII characters", value);
			break;
		}
		set_string(pp, &p->provider_login, strdup(value), line);
		break;
	}
	default:
		parse_action(pp, key, value, line, &p->on[k - PK_ON_FIRST]);
		break;
	}
	return pp->problems - before;
}

/* policy_parse_file - read one file */
int
policy_parse_file(struct policy_parse *pp)
{
	struct policy *p = pp->policy;
	struct policy *def = policy_builtin_new();

	if (def == NULL || (p->dk = calloc(1, sizeof(char *))) == NULL) {
		policy_free(def);
		(void)buf_printf(pp->diag, "%s: out of memory\n", pp->path);
		return -1;
	}
	/* start from the built-in actions and limits */
	memcpy(p->on, def->on, sizeof(p->on));
	p->max_size = def->max_size;
	policy_free(def);
	/* dk[0], the default Dienstkennung, is filled in by finish */
	p->ndk = 1;
	p->kim_sending = -1;
	/* the count includes the lexer's problems and the callback's */
	return conf_lex_file(pp->path, policy_line_cb, pp, pp->diag);
}

/* in_pools - is pool named by a Card line? */
static int
in_pools(const struct conf *conf, const char *pool)
{
	size_t i;

	for (i = 0; i < conf->n_cards; i++)
		if (conf->cards[i].pool && strcmp(conf->cards[i].pool, pool) == 0)
			return 1;
	return 0;
}

/* dk_dedup - AllowDienstkennung may repeat the default: keep it once */
static void
dk_dedup(struct policy *p)
{
	size_t i, j;

	for (i = 1, j = 1; i < p->ndk; i++) {
		if (strcasecmp(p->dk[i], p->dk[0]) == 0) {
			free(p->dk[i]);
			continue;
		}
		p->dk[j++] = p->dk[i];
	}
	p->ndk = j;
}

/* default_account - the lower-cased file stem, when it is a valid name */
static void
default_account(struct policy *p)
{
	char *a;
	size_t i;

	if (p->name == NULL || (a = strdup(p->name)) == NULL)
		return;
	for (i = 0; a[i]; i++)
		a[i] = (char)tolower((unsigned char)a[i]);
	if (policy_account_valid(a))
		p->kim_account = a;
	else
		free(a);
}

/* policy_parse_finish - required keys and the checks against the conf */
int
policy_parse_finish(struct policy_parse *pp, const struct conf *conf)
{
	struct policy *p = pp->policy;
	int before = pp->problems;

	if (p->dk[0] == NULL &&
	    (p->dk[0] = strdup(POLICY_DIENSTKENNUNG_DEFAULT)) == NULL) {
		(void)buf_printf(pp->diag, "%s: out of memory\n", pp->path);
		pp->problems++;
		return pp->problems - before;
	}
	dk_dedup(p);
	if (p->kim_sending < 0) {
		(void)buf_printf(pp->diag, "%s: KimSending is missing: say "
		    "yes or no\n", pp->path);
		pp->problems++;
		p->kim_sending = 0;
	}
	if (p->is_default && p->lines[PK_SENDER]) {
		PROBLEM(pp, p->lines[PK_SENDER], "Sender lines are not "
		    "allowed in the default policy (line %d says Default "
		    "yes): it covers every sender no other policy covers",
		    p->lines[PK_DEFAULT]);
	} else if (!p->is_default && p->lines[PK_SENDER] == 0) {
		(void)buf_printf(pp->diag, "%s: no Sender line: the policy "
		    "would cover nobody\n", pp->path);
		pp->problems++;
	}
	if (p->kim_sending == 1 && p->kim_address == NULL &&
	    p->lines[PK_KIM_ADDRESS] == 0) {
		PROBLEM(pp, p->lines[PK_KIM_SENDING], "KimSending yes needs "
		    "KimAddress (the KIM address the department sends as)");
	}
	if (p->kim_account == NULL && p->lines[PK_KIM_ACCOUNT] == 0)
		default_account(p);
	if (p->kim_sending == 1 && p->kim_account == NULL &&
	    p->lines[PK_KIM_ACCOUNT] == 0) {
		PROBLEM(pp, p->lines[PK_KIM_SENDING], "KimSending yes needs "
		    "KimAccount (the provider account, 1 to %d of a-z, 0-9 "
		    "and '-'): the file name \"%s\" cannot be the default",
		    POLICY_ACCOUNT_MAX, p->name);
	}
	if (p->kim_sending == 1 && p->card_pool == NULL &&
	    p->lines[PK_CARD_POOL] == 0) {
		PROBLEM(pp, p->lines[PK_KIM_SENDING], "KimSending yes needs "
		    "CardPool (the pool of Card lines that signs)");
	}
	if (conf != NULL && p->card_pool != NULL &&
	    !in_pools(conf, p->card_pool))
		PROBLEM(pp, p->lines[PK_CARD_POOL], "CardPool \"%s\" is not "
		    "the pool of any Card line in %s", p->card_pool,
		    conf->path ? conf->path : "kim-milter.conf");
	if (conf != NULL && p->kim_address != NULL &&
	    !addr_in_domains(p->kim_address, conf->kim_domains,
	    conf->n_kim_domains)) {
		struct buf doms = BUF_INIT;
		size_t i;

		for (i = 0; i < conf->n_kim_domains; i++)
			(void)buf_printf(&doms, "%s%s", i ? ", " : "",
			    conf->kim_domains[i]);
		PROBLEM(pp, p->lines[PK_KIM_ADDRESS], "KimAddress %s is "
		    "outside KimDomains (%s)", p->kim_address,
		    buf_str(&doms));
		buf_free(&doms);
	}
	return pp->problems - before;
}
