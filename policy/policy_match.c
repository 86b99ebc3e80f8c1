/*
 * policy_match.c - which policy covers an envelope sender.
 *
 * The patterns are sorted once at load time in precedence order (exact
 * addresses, then *@domain, then *@*.domain with the longest domain first),
 * so the first pattern that matches is the most specific one. Two patterns
 * of one kind and one value would be equally specific: a load error.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "policy_int.h"

/* the longest address a sender may have (RFC 5321 path limit) */
#define POLICY_ADDR_MAX 256

/* file_order - position of a pattern's policy (policies sorted by file) */
static size_t
file_order(const struct policy_set *set, const struct policy *p)
{
	size_t i;

	for (i = 0; i < set->npolicies; i++)
		if (set->policies[i] == p)
			return i;
	return set->npolicies;
}

static const struct policy_set *sort_set;	/* qsort has no argument */

/* cmp_patterns - precedence order; equal patterns end up adjacent */
static int
cmp_patterns(const void *va, const void *vb)
{
	const struct policy_pattern *a = va, *b = vb;
	size_t fa, fb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->vlen != b->vlen)
		return a->vlen > b->vlen ? -1 : 1;
	if ((c = strcmp(a->value, b->value)) != 0)
		return c;
	fa = file_order(sort_set, a->policy);
	fb = file_order(sort_set, b->policy);
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

/* policy_match_sort - sort, and report equal patterns with both places */
int
policy_match_sort(struct policy_set *set, struct buf *diag)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t i;
	int problems = 0;

	if (set->npatterns < 2)
		return 0;
	/* qsort_r is not portable; serialise the rare loads instead */
	pthread_mutex_lock(&lock);
	sort_set = set;
	qsort(set->patterns, set->npatterns, sizeof(*set->patterns),
	    cmp_patterns);
	sort_set = NULL;
	pthread_mutex_unlock(&lock);
	for (i = 1; i < set->npatterns; i++) {
		const struct policy_pattern *a = &set->patterns[i - 1];
		const struct policy_pattern *b = &set->patterns[i];

		if (a->kind != b->kind || strcmp(a->value, b->value) != 0)
			continue;
		(void)buf_printf(diag, "%s:%d: Sender %s is also listed in "
		    "%s:%d: two equally specific patterns make the match "
		    "ambiguous\n", b->policy->file, b->line, b->text,
		    a->policy->file, a->line);
		problems++;
	}
	return problems;
}

/* pattern_matches - does the normalised address match? */
static int
pattern_matches(const struct policy_pattern *pat, const char *addr,
    const char *domain, size_t dlen)
{
	switch (pat->kind) {
	case PP_EXACT:
		return strcmp(addr, pat->value) == 0;
	case PP_DOMAIN:
		return strcmp(domain, pat->value) == 0;
	case PP_SUBDOMAIN:
		/* a label more than the domain: x.domain, not domain */
		return dlen > pat->vlen + 1 &&
		    domain[dlen - pat->vlen - 1] == '.' &&
		    strcmp(domain + dlen - pat->vlen, pat->value) == 0;
	}
	return 0;
}

/* policy_match_why - the most specific policy, and why */
const struct policy *
policy_match_why(const struct policy_set *set, const char *sender,
    struct policy_why *why)
{
	char addr[POLICY_ADDR_MAX];
	struct policy_why w;
	const char *domain;
	const struct policy *p = set->def;
	size_t i, dlen;

	memset(&w, 0, sizeof(w));
	w.kind = POLICY_WHY_NO_MATCH;
	if (sender == NULL || addr_normalize(sender, addr, sizeof(addr)) < 0) {
		w.kind = POLICY_WHY_BAD_ADDRESS;
		goto out;
	}
	if (addr[0] == 0) {
		w.kind = POLICY_WHY_NULL_SENDER;
		goto out;
	}
	domain = addr_domain(addr);
	dlen = strlen(domain);
	/* a trailing dot names the same domain */
	if (dlen > 1 && domain[dlen - 1] == '.')
		addr[strlen(addr) - 1] = 0, dlen--;
	for (i = 0; i < set->npatterns; i++) {
		const struct policy_pattern *pat = &set->patterns[i];

		if (!pattern_matches(pat, addr, domain, dlen))
			continue;
		p = pat->policy;
		w.kind = pat->kind == PP_EXACT ? POLICY_WHY_EXACT :
		    pat->kind == PP_DOMAIN ? POLICY_WHY_DOMAIN :
		    POLICY_WHY_SUBDOMAIN;
		w.pattern = pat->text;
		w.file = p->file;
		w.line = pat->line;
		goto out;
	}
	/*
	 * No pattern covers the sender, but it is a department's own KIM
	 * address: the gate set it as the envelope sender of that
	 * department's KIM mail, which comes back this way after
	 * "postsuper -r" (and so do the department's bounces). It belongs to
	 * that department.
	 */
	for (i = 0; i < set->npolicies; i++) {
		const struct policy *q = set->policies[i];

		if (q->kim_address == NULL || q->kim_sending != 1 ||
		    strcasecmp(q->kim_address, addr) != 0)
			continue;
		p = q;
		w.kind = POLICY_WHY_KIM_ADDRESS;
		w.pattern = q->kim_address;
		w.file = q->file;
		w.line = policy_line(q, "KimAddress");
		break;
	}
out:
	if (why != NULL)
		*why = w;
	return p;
}

/* policy_match - the policy of an envelope sender */
const struct policy *
policy_match(const struct policy_set *set, const char *sender)
{
	return policy_match_why(set, sender, NULL);
}

/* policy_why_text - for messages */
const char *
policy_why_text(enum policy_why_kind kind)
{
	switch (kind) {
	case POLICY_WHY_EXACT: return "exact address";
	case POLICY_WHY_DOMAIN: return "*@domain";
	case POLICY_WHY_SUBDOMAIN: return "*@*.domain";
	case POLICY_WHY_NULL_SENDER: return "null sender";
	case POLICY_WHY_NO_MATCH: return "no pattern matches";
	case POLICY_WHY_BAD_ADDRESS: return "not an address";
	case POLICY_WHY_KIM_ADDRESS: return "the policy's own KIM address";
	}
	return "?";
}
