/*
 * lint - checks that need several modules at once (the directory and the
 * cards), for `kim-milter -n` and `kimctl policy lint`. Read-only: nothing
 * here verifies a PIN or writes the cache.
 */
#ifndef KIM_LINT_H
#define KIM_LINT_H

#include "buf.h"
#include "conf.h"

struct dir;

/* what lint_card_telematik needs; borrowed, outlives the call */
struct lint_cards {
	const struct conf *conf;	/* the Card lines */
	struct dir *dir;		/* the directory to ask */
};

/*
 * lint_card_telematik - policy_card_check_fn (arg: struct lint_cards): the
 * OSIG certificates of every card in pool must carry the Telematik-ID the
 * directory holds for kim_address (the provider and every receiver check
 * that binding). 0 when they do, the number of mismatches (one line each in
 * err), -1 when it cannot tell (no entry, directory or card unreachable).
 */
int lint_card_telematik(const char *pool, const char *kim_address, void *arg,
    struct buf *err);

#endif
