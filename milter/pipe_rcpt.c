/*
 * pipe_rcpt.c - the recipient check the front and the gate share: is this
 * KIM recipient usable? One directory lookup, answered at once with the
 * policy's action for each failure class.
 */
#include "config.h"

#include "addr.h"
#include "dir.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* rcpt_check - look a KIM recipient up; CONTINUE when usable */
enum verdict
rcpt_check(struct session *s, struct mio *io, const char *rcpt,
    const struct policy *p, int flags, struct dir_result **keep)
{
	struct policy_decision d;
	struct dir_result *res = NULL;
	char addr[SESSION_ADDR_MAX];
	enum verdict v = V_CONTINUE;
	int st;

	if (addr_normalize(rcpt, addr, sizeof(addr)) < 0 || addr[0] == 0) {
		policy_decide_failure(p, POLICY_FAIL_NO_CERTIFICATE,
		    "not a valid KIM address", &d);
		return session_reply(s, io, &d);
	}
	if (keep)
		*keep = NULL;
	if (!(flags & RCPT_OWN_TOO) && dir_is_local(s->rt->dir, addr))
		return V_CONTINUE;
	if (s->conf->dir_uri == NULL && s->role != CONF_ROLE_GATE) {
		/*
		 * No directory configured: the front checks nothing at RCPT;
		 * the gate, which cannot encrypt without the directory,
		 * tempfails below (DIR_UNAVAILABLE). kim-milter.conf(5).
		 */
		msg_debug("%s: rcpt=%s: no DirectoryURI, not checked",
		    s->queue_id[0] ? s->queue_id : "NOQUEUE", addr);
		return V_CONTINUE;
	}
	st = dir_lookup(s->rt->dir, addr, 0, &res);
	switch (st) {
	case DIR_FOUND:
		break;
	case DIR_UNUSABLE:
	case DIR_NOT_FOUND:
		policy_decide_failure(p, POLICY_FAIL_NO_CERTIFICATE,
		    res ? res->reason : "no usable certificate", &d);
		v = session_reply(s, io, &d);
		break;
	case DIR_UNAVAILABLE:
		policy_decide_failure(p, POLICY_FAIL_DIRECTORY,
		    res ? res->reason : "KIM directory unavailable", &d);
		v = session_reply(s, io, &d);
		break;
	default:
		policy_decide_failure(p, POLICY_FAIL_INTERNAL,
		    "internal error (out of memory) during the directory lookup",
		    &d);
		v = session_reply(s, io, &d);
		break;
	}
	msg_info("%s: role=%s rcpt=%s directory=%s%s%s answer=%s",
	    s->queue_id[0] ? s->queue_id : "NOQUEUE", conf_role_name(s->role),
	    addr, st >= 0 ? dir_status_name((enum dir_status)st) : "error",
	    res && res->source == DIR_SOURCE_CACHE ? " source=cache" :
	    res && res->source == DIR_SOURCE_DIRECTORY ? " source=ldap" : "",
	    "", v == V_CONTINUE ? "accept" : v == V_REJECT ? "reject" :
	    "tempfail");
	if (keep && v == V_CONTINUE) {
		*keep = res;
		res = NULL;
	}
	dir_result_free(res);
	return v;
}
