/*
 * dir_known.c - "does the directory know this KIM address?" for the policy
 * lint (the shape of policy_dir_known_fn; lib/dir does not include policy.h).
 */
#include "config.h"

#include "dir.h"

/* dir_known - 1 usable, 0 unknown or unusable (why in err), -1 could not ask */
int
dir_known(const char *address, void *arg, struct buf *err)
{
	struct dir *d = arg;
	struct dir_result *res = NULL;
	int st, rc;

	st = dir_lookup(d, address, 0, &res);
	switch (st) {
	case DIR_FOUND:
		rc = 1;
		break;
	case DIR_NOT_FOUND:
		rc = 0;
		break;
	case DIR_UNUSABLE:
		buf_printf(err, "in the KIM directory, but not usable: %s",
		    res ? res->reason : "?");
		rc = 0;
		break;
	default:
		buf_printf(err, "directory unavailable: %s",
		    res ? res->reason : "out of memory");
		rc = -1;
		break;
	}
	dir_result_free(res);
	return rc;
}
