/*
 * policy_lint.c - checks of a loaded set beyond what refuses a load: what
 * needs the whole set or an outside service (the directory; the cards once
 * the PC/SC backend lands).
 */
#include "config.h"

#include <string.h>

#include "policy_int.h"

static int lint_cards(const struct policy_set *set,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes);

/* lint_shared_address - one KIM address with two card pools */
static int
lint_shared_address(const struct policy_set *set, struct buf *diag)
{
	size_t i, j;
	int problems = 0;

	for (i = 0; i < set->npolicies; i++) {
		const struct policy *a = set->policies[i];

		if (a->kim_address == NULL || a->card_pool == NULL)
			continue;
		for (j = 0; j < i; j++) {
			const struct policy *b = set->policies[j];

			if (b->kim_address == NULL || b->card_pool == NULL ||
			    strcmp(a->kim_address, b->kim_address) != 0 ||
			    strcmp(a->card_pool, b->card_pool) == 0)
				continue;
			(void)buf_printf(diag, "%s:%d: KimAddress %s is also "
			    "used in %s:%d with CardPool %s, here with %s: one "
			    "KIM address belongs to one card identity\n",
			    a->file, a->lines[PK_KIM_ADDRESS], a->kim_address,
			    b->file, b->lines[PK_KIM_ADDRESS], b->card_pool,
			    a->card_pool);
			problems++;
			break;
		}
	}
	return problems;
}

/* lint_directory - every KIM address the set sends as must be known */
static int
lint_directory(const struct policy_set *set,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes)
{
	size_t i;
	int problems = 0;

	if (dc == NULL || dc->known == NULL) {
		(void)buf_printf(notes, "directory check skipped: %s (the KIM "
		    "addresses of the policies were not looked up)\n",
		    dc && dc->skipped ? dc->skipped :
		    "no directory configured");
		return 0;
	}
	for (i = 0; i < set->npolicies; i++) {
		const struct policy *p = set->policies[i];
		struct buf err = BUF_INIT;
		int rc;

		if (p->kim_sending != 1 || p->kim_address == NULL)
			continue;
		rc = dc->known(p->kim_address, dc->arg, &err);
		if (rc == 0 && err.len == 0) {
			(void)buf_printf(diag, "%s:%d: KimAddress %s is not "
			    "in the KIM directory\n", p->file,
			    p->lines[PK_KIM_ADDRESS], p->kim_address);
			problems++;
		} else if (rc == 0) {
			(void)buf_printf(diag, "%s:%d: KimAddress %s: %s\n",
			    p->file, p->lines[PK_KIM_ADDRESS], p->kim_address,
			    buf_str(&err));
			problems++;
		} else if (rc < 0) {
			(void)buf_printf(diag, "%s:%d: KimAddress %s: the KIM "
			    "directory could not be asked: %s\n", p->file,
			    p->lines[PK_KIM_ADDRESS], p->kim_address,
			    buf_str(&err));
			problems++;
		}
		buf_free(&err);
	}
	return problems;
}

/* policy_lint - everything beyond the load */
int
policy_lint(const struct policy_set *set, const struct conf *conf,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes)
{
	const struct policy *def = set->def;
	int problems = 0;

	if (set->npolicies == 0)
		(void)buf_printf(notes, "no policy files (*.conf) in %s: "
		    "every sender gets the built-in default policy and may "
		    "not send KIM\n", set->dir ? set->dir : "(none)");
	if (!def->builtin && def->kim_sending == 1)
		(void)buf_printf(notes, "%s:%d: the default policy may send "
		    "KIM: bounces and every sender no other policy covers "
		    "send as %s\n", def->file, def->lines[PK_DEFAULT],
		    def->kim_address);
	problems += lint_shared_address(set, diag);
	problems += lint_directory(set, dc, diag, notes);
	problems += lint_cards(set, dc, diag, notes);
	return problems;
}

/* lint_cards - each pool's cards carry the directory's Telematik-ID of
 * the policy's KIM address */
static int
lint_cards(const struct policy_set *set, const struct policy_dir_check *dc,
    struct buf *diag, struct buf *notes)
{
	size_t i;
	int problems = 0;

	if (dc == NULL || dc->cards == NULL) {
		(void)buf_printf(notes, "card check skipped: %s\n",
		    dc && dc->skipped ? dc->skipped :
		    "no directory to compare the cards' Telematik-IDs with");
		return 0;
	}
	for (i = 0; i < set->npolicies; i++) {
		const struct policy *p = set->policies[i];
		struct buf err = BUF_INIT;
		int r;

		if (p->kim_address == NULL || p->card_pool == NULL ||
		    p->kim_sending != 1)
			continue;
		r = dc->cards(p->card_pool, p->kim_address, dc->card_arg, &err);
		if (r > 0) {
			/* one problem per line of err, each at the CardPool line */
			const char *line = buf_str(&err), *nl;

			while (*line) {
				nl = strchr(line, '\n');
				(void)buf_printf(diag, "%s:%d: %.*s\n", p->file,
				    p->lines[PK_CARD_POOL],
				    (int)(nl ? (size_t)(nl - line) : strlen(line)),
				    line);
				line = nl ? nl + 1 : line + strlen(line);
			}
			problems += r;
		} else if (r < 0) {
			(void)buf_printf(notes, "%s: card check of pool %s "
			    "skipped: %s\n", p->file, p->card_pool,
			    buf_str(&err));
		}
		buf_free(&err);
	}
	return problems;
}

/* count_lines - problems are one line each */
static int
count_lines(const struct buf *b, size_t from)
{
	size_t i;
	int n = 0;

	for (i = from; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* policy_check - load and lint, for kim-milter -n and kimctl policy lint */
int
policy_check(const char *dir, const struct conf *conf,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes,
    struct policy_set **setp)
{
	struct policy_set *set;
	size_t start = diag->len;

	if (dir == NULL)
		dir = conf->policy_directory;
	set = policy_set_load(dir, conf, diag);
	if (set != NULL)
		(void)policy_lint(set, conf, dc, diag, notes);
	else
		(void)buf_puts(notes, "the policy files were refused: the "
		    "checks after loading did not run\n");
	if (setp != NULL)
		*setp = set;
	else
		policy_set_unref(set);
	return count_lines(diag, start);
}
