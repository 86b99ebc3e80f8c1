/*
 * policy_lint.c - checks of a loaded set beyond what refuses a load: what
 * needs the whole set or an outside service (the directory; the cards once
 * the PC/SC backend lands).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_int.h"

static int lint_accounts(const struct policy_set *set, struct buf *diag);
static int lint_provider(const struct policy_set *set,
    const struct conf *conf, struct buf *diag, struct buf *notes);
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
	problems += lint_accounts(set, diag);
	problems += lint_provider(set, conf, diag, notes);
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

/* account_line - where the account came from: KimAccount, else KimSending */
static int
account_line(const struct policy *p)
{
	return p->lines[PK_KIM_ACCOUNT] ? p->lines[PK_KIM_ACCOUNT] :
	    p->lines[PK_KIM_SENDING];
}

/*
 * lint_accounts - one provider account is one KIM address: the provider
 * checks AUTH user = MAIL FROM = From, so two addresses on one route, or one
 * address on two routes (two SASL logins, two certificates), fail there.
 */
static int
lint_accounts(const struct policy_set *set, struct buf *diag)
{
	size_t i, j;
	int problems = 0;

	for (i = 0; i < set->npolicies; i++) {
		const struct policy *a = set->policies[i];

		if (a->kim_sending != 1 || a->kim_address == NULL ||
		    a->kim_account == NULL)
			continue;
		for (j = 0; j < i; j++) {
			const struct policy *b = set->policies[j];
			int same_addr, same_acct;

			if (b->kim_sending != 1 || b->kim_address == NULL ||
			    b->kim_account == NULL)
				continue;
			same_addr = strcmp(a->kim_address, b->kim_address) == 0;
			same_acct = strcmp(a->kim_account, b->kim_account) == 0;
			if (same_acct && !same_addr) {
				(void)buf_printf(diag, "%s:%d: KimAccount %s is "
				    "also the account of %s (%s), here of %s: "
				    "one provider account sends as one KIM "
				    "address; set KimAccount\n", a->file,
				    account_line(a), a->kim_account, b->file,
				    b->kim_address, a->kim_address);
				problems++;
				break;
			}
			if (same_addr && !same_acct) {
				(void)buf_printf(diag, "%s:%d: KimAddress %s has "
				    "KimAccount %s in %s, here %s: one KIM "
				    "address has one provider account; set the "
				    "same KimAccount in both\n", a->file,
				    a->lines[PK_KIM_ADDRESS], a->kim_address,
				    b->kim_account, b->file, a->kim_account);
				problems++;
				break;
			}
		}
	}
	return problems;
}

/* lint_readable - a file the MTA reads; 0 or 1 problem */
static int
lint_readable(const struct policy *p, int k, const char *path,
    int secret, struct buf *diag)
{
	struct stat st;

	if (stat(path, &st) < 0 || access(path, R_OK) < 0) {
		(void)buf_printf(diag, "%s:%d: %s %s: %s\n", p->file,
		    p->lines[k], policy_key_names[k], path, strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)buf_printf(diag, "%s:%d: %s %s: not a regular file\n",
		    p->file, p->lines[k], policy_key_names[k], path);
		return 1;
	}
	if (secret && (st.st_mode & S_IROTH)) {
		(void)buf_printf(diag, "%s:%d: %s %s is readable by everyone "
		    "(chmod o-r %s)\n", p->file, p->lines[k],
		    policy_key_names[k], path, path);
		return 1;
	}
	return 0;
}

/* lint_provider - the route settings Postfix will use (kimctl mta-config) */
static int
lint_provider(const struct policy_set *set, const struct conf *conf,
    struct buf *diag, struct buf *notes)
{
	const char *global = conf ? conf->provider_relay : NULL;
	struct buf norelay = BUF_INIT;
	size_t i;
	int problems = 0;

	if (global != NULL && !policy_relay_valid(global)) {
		(void)buf_printf(diag, "%s: ProviderRelay \"%s\": write "
		    "[host]:port, e.g. [mail.provider.example]:465\n",
		    conf->path ? conf->path : "kim-milter.conf", global);
		problems++;
	}
	for (i = 0; i < set->npolicies; i++) {
		const struct policy *p = set->policies[i];

		if (p->kim_sending != 1)
			continue;
		if (p->provider_relay == NULL && global == NULL)
			(void)buf_printf(&norelay, "%s%s", norelay.len ? ", " :
			    "", p->kim_account ? p->kim_account : p->name);
		if ((p->provider_cert == NULL) != (p->provider_key == NULL)) {
			int k = p->provider_cert ? PK_PROVIDER_CLIENT_CERT :
			    PK_PROVIDER_CLIENT_KEY;

			(void)buf_printf(diag, "%s:%d: %s without %s: give the "
			    "account's client certificate and its key, or "
			    "neither\n", p->file, p->lines[k],
			    policy_key_names[k], policy_key_names[
			    k == PK_PROVIDER_CLIENT_CERT ?
			    PK_PROVIDER_CLIENT_KEY : PK_PROVIDER_CLIENT_CERT]);
			problems++;
		}
		if (p->provider_cert != NULL)
			problems += lint_readable(p, PK_PROVIDER_CLIENT_CERT,
			    p->provider_cert, 0, diag);
		if (p->provider_key != NULL)
			problems += lint_readable(p, PK_PROVIDER_CLIENT_KEY,
			    p->provider_key, 1, diag);
		if (p->provider_password_file != NULL)
			problems += lint_readable(p, PK_PROVIDER_PASSWORD_FILE,
			    p->provider_password_file, 1, diag);
	}
	/* one note for all: the route is not needed to lint the rest */
	if (norelay.len)
		(void)buf_printf(notes, "no ProviderRelay in kim-milter.conf "
		    "nor in the policies of the accounts %s: kimctl "
		    "mta-config cannot print their routes\n",
		    buf_str(&norelay));
	buf_free(&norelay);
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
