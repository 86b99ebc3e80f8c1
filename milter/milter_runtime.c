/*
 * milter_runtime.c - everything one configuration brings: the conf, the
 * policy set it names, the directory it describes and its cards (card
 * pools), loaded together and
 * swapped together on reload. Reference-counted: transactions in flight keep
 * the runtime they started with.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "card_pool.h"
#include "dir.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"
#include "rev.h"

/* runtime_policies - the policy set, or the built-in default when the
 * default PolicyDirectory does not exist (said once in the log) */
static struct policy_set *
runtime_policies(const struct conf *c, struct buf *diag)
{
	struct stat st;

	if (strcmp(c->policy_directory, POLICY_DIRECTORY_DEFAULT) == 0 &&
	    stat(c->policy_directory, &st) < 0 && errno == ENOENT) {
		msg_warn("PolicyDirectory %s does not exist: every sender gets "
		    "the built-in default policy, which may not send KIM "
		    "(see kim-milter-policy(5))", c->policy_directory);
		return policy_set_builtin();
	}
	return policy_set_load(c->policy_directory, c, diag);
}

/* runtime_load - configuration, policies and directory, or NULL + diag */
struct runtime *
runtime_load(const char *path, struct buf *diag)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	struct buf why = BUF_INIT;

	if (rt == NULL) {
		buf_puts(diag, "out of memory\n");
		return NULL;
	}
	rt->refs = 1;
	if ((rt->conf = conf_load(path, diag)) == NULL)
		goto fail;
	if ((rt->policies = runtime_policies(rt->conf, diag)) == NULL)
		goto fail;
	if ((rt->dir = dir_open(rt->conf, &why)) == NULL) {
		buf_printf(diag, "%s: directory: %s\n", path, buf_str(&why));
		goto fail;
	}
	/*
	 * card_open's contract: an absent PC/SC card opens, its operations
	 * tempfail until it is back. A line that cannot work (fields, files)
	 * is logged and left out: the daemon still starts and passes all
	 * other mail; what needs that card tempfails (fail closed), and
	 * kimctl card status names it.
	 */
	buf_reset(&why);
	if ((rt->rev = rev_new(rt->conf, &why)) == NULL) {
		buf_printf(diag, "%s: revocation: %s\n", path, buf_str(&why));
		goto fail;
	}
	buf_reset(&why);
	if ((rt->cards = card_pools_open_some(rt->conf, &why)) == NULL) {
		buf_printf(diag, "%s: cards: out of memory\n", path);
		goto fail;
	}
	if (why.len > 0)
		msg_error("%s: cards left out: %s", path, buf_str(&why));
	buf_free(&why);
	return rt;
fail:
	buf_free(&why);
	runtime_unref(rt);
	return NULL;
}

/* runtime_ref - take a reference */
struct runtime *
runtime_ref(struct runtime *rt)
{
	__atomic_add_fetch(&rt->refs, 1, __ATOMIC_SEQ_CST);
	return rt;
}

/* runtime_unref - drop a reference; the last one frees; accepts NULL */
void
runtime_unref(struct runtime *rt)
{
	if (rt == NULL || __atomic_sub_fetch(&rt->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	card_pools_free(rt->cards);
	rev_free(rt->rev);
	dir_close(rt->dir);
	policy_set_unref(rt->policies);
	conf_unref(rt->conf);
	free(rt);
}
