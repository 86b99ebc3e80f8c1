/*
 * policy_load.c - read a policy directory into a new policy set, all or
 * nothing: one problem in one file refuses the whole set, so the daemon
 * never runs with half of it.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy_int.h"

/*
 * wanted_name - `*.conf` with a non-empty stem, not hidden: editor backups
 * (x.conf~, .x.conf.swp), package leftovers (x.conf.dpkg-old) and notes are
 * ignored.
 */
static int
wanted_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* cmp_names - qsort: file names in byte order */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_dir - the wanted names of dir, sorted; -1 with diag on error */
static int
list_dir(const char *dir, char ***names, size_t *nnames, struct buf *diag)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;
	int rc = -1;

	if ((d = opendir(dir)) == NULL) {
		(void)buf_printf(diag, "%s: cannot open policy directory: "
		    "%s\n", dir, strerror(errno));
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (nv == NULL || (nv[n] = strdup(de->d_name)) == NULL) {
			if (nv)
				v = nv;
			(void)buf_printf(diag, "%s: out of memory\n", dir);
			goto out;
		}
		v = nv;
		n++;
	}
	if (errno) {
		(void)buf_printf(diag, "%s: cannot read policy directory: "
		    "%s\n", dir, strerror(errno));
		goto out;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	rc = 0;
out:
	closedir(d);
	if (rc < 0) {
		while (n)
			free(v[--n]);
		free(v);
		v = NULL;
	}
	*names = v;
	*nnames = n;
	return rc;
}

/* load_one - parse dir/name into a new policy appended to set */
static int
load_one(struct policy_set *set, struct policy_parse *pp, const char *dir,
    const char *name, const struct conf *conf)
{
	struct policy *p, **np;
	struct stat st;
	struct buf path = BUF_INIT;
	int problems;

	if (buf_printf(&path, "%s/%s", dir, name) < 0 ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		(void)buf_printf(pp->diag, "%s: out of memory\n", dir);
		buf_free(&path);
		return 1;
	}
	p->file = (char *)path.data;	/* the policy owns the path now */
	p->name = strndup(name, strlen(name) - 5);
	np = realloc(set->policies, (set->npolicies + 1) * sizeof(*np));
	if (p->name == NULL || np == NULL) {
		if (np)
			set->policies = np;
		(void)buf_printf(pp->diag, "%s: out of memory\n", p->file);
		policy_free(p);
		return 1;
	}
	set->policies = np;
	set->policies[set->npolicies++] = p;
	if (stat(p->file, &st) == 0 && !S_ISREG(st.st_mode)) {
		(void)buf_printf(pp->diag, "%s: not a regular file\n", p->file);
		return 1;
	}
	if (stat(p->file, &st) == 0 && (st.st_mode & S_IWOTH)) {
		(void)buf_printf(pp->diag, "%s: writable by others, who could "
		    "choose who sends as which KIM address (chmod o-w %s)\n",
		    p->file, p->file);
		return 1;
	}
	pp->policy = p;
	pp->path = p->file;
	pp->problems = 0;
	problems = policy_parse_file(pp);
	if (problems < 0)
		return 1;
	return problems + policy_parse_finish(pp, conf);
}

/* policy_set_load - all policy files of dir, or nothing */
struct policy_set *
policy_set_load(const char *dir, const struct conf *conf, struct buf *diag)
{
	struct policy_set *set;
	struct policy_parse pp;
	char **names = NULL;
	size_t nnames = 0, i;
	const struct policy *def = NULL;
	struct stat st;
	int problems = 0;

	if ((set = policy_set_builtin()) == NULL) {
		(void)buf_puts(diag, "out of memory\n");
		return NULL;
	}
	if ((set->dir = strdup(dir)) == NULL) {
		(void)buf_puts(diag, "out of memory\n");
		goto fail;
	}
	if (list_dir(dir, &names, &nnames, diag) < 0)
		goto fail;
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
	    !(st.st_mode & S_ISVTX)) {
		(void)buf_printf(diag, "%s: writable by others, who could add "
		    "a policy (chmod o-w %s)\n", dir, dir);
		problems++;
	}
	memset(&pp, 0, sizeof(pp));
	pp.diag = diag;
	for (i = 0; i < nnames; i++)
		problems += load_one(set, &pp, dir, names[i], conf);
	set->patterns = pp.patterns;
	set->npatterns = pp.npatterns;
	/* at most one file may replace the built-in default */
	for (i = 0; i < set->npolicies; i++) {
		struct policy *p = set->policies[i];

		if (!p->is_default)
			continue;
		if (def != NULL) {
			(void)buf_printf(diag, "%s:%d: Default yes is already "
			    "given in %s:%d; only one policy can be the "
			    "default\n", p->file, p->lines[PK_DEFAULT],
			    def->file, def->lines[PK_DEFAULT]);
			problems++;
			continue;
		}
		def = p;
	}
	if (def != NULL)
		set->def = def;
	problems += policy_match_sort(set, diag);
	if (problems)
		goto fail;
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return set;
fail:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	policy_set_unref(set);
	return NULL;
}
