/*
 * milter.h - the milter program's own modules (private to milter/).
 *
 *   milter_main.c    options, start-up, privileges, smfi_main
 *   milter_cb.c      libmilter callbacks: the only code that sees SMFICTX
 *   milter_io.c      the thin smfi_* wrapper (struct mio) used by pipelines
 *   milter_runtime.c conf + policies + directory of one configuration
 *   milter_state.c   current runtime, reload, drain, counters
 *   milter_ctl.c     control socket commands (status, reload, drain,
 *                    card-status, card-enable)
 *   pipe_front.c     the front role (RCPT checks, fast path)
 *   pipe_gate.c      the gate role (transform to KIM)
 *   pipe_inbound.c   the inbound role (decrypt, verify)
 *
 * Threads: libmilter runs the callbacks of one session on different pool
 * threads, one at a time. A session is touched by one thread at a time;
 * everything global lives in milter_state.c behind its lock or atomics.
 */
#ifndef KIM_MILTER_H
#define KIM_MILTER_H

#include <time.h>

#include "conf.h"
#include "mail.h"
#include "policy.h"

struct card_pools;
struct dir;
struct dir_result;
struct policy_set;
struct policy;

/* what a pipeline step decides; milter_cb maps it to sfsistat */
enum verdict {
	V_CONTINUE = 0,
	V_ACCEPT,	/* stop filtering this message: pass it unchanged */
	V_TEMPFAIL,	/* 4xx: the mail stays queued */
	V_REJECT,	/* 5xx */
};

/* the smfi_* wrapper: pipelines call these, tests may supply their own */
struct mio_ops {
	const char *(*getsymval)(void *h, const char *name);
	int (*setreply)(void *h, const char *rcode, const char *xcode,
	    const char *text);
	int (*progress)(void *h);
	/* message edits, end of message only (smfi_chgfrom ...) */
	int (*chgfrom)(void *h, const char *from);
	int (*addheader)(void *h, const char *name, const char *value);
	/* value NULL deletes the index-th (1-based) header of that name */
	int (*chgheader)(void *h, const char *name, int index,
	    const char *value);
	int (*replacebody)(void *h, const unsigned char *p, size_t len);
};

struct mio {
	const struct mio_ops *ops;
	void *h;
};

/* mio_getsymval - a macro value or NULL */
const char *mio_getsymval(struct mio *io, const char *name);
/* mio_setreply - the SMTP reply for a following tempfail or reject */
int mio_setreply(struct mio *io, const char *rcode, const char *xcode,
    const char *text);
/* mio_progress - keep the MTA waiting (end of message, before any edit) */
int mio_progress(struct mio *io);
/* mio_progress_cb - the card's progress callback (arg: the struct mio) */
void mio_progress_cb(void *arg);
/* mio_chgfrom - new envelope sender, e.g. "<a@b>" */
int mio_chgfrom(struct mio *io, const char *from);
/* mio_addheader - append a header; value as sent (leading space kept) */
int mio_addheader(struct mio *io, const char *name, const char *value);
/* mio_delheader - delete the index-th (1-based) header called name */
int mio_delheader(struct mio *io, const char *name, int index);
/* mio_replacebody - the new body, all of it in one call */
int mio_replacebody(struct mio *io, const unsigned char *p, size_t len);
/* mio_smfi - the wrapper over a real SMFICTX (milter_io.c) */
void mio_smfi(struct mio *io, void *smfictx);

/* --- milter_runtime.c: what one configuration brings --- */
struct runtime {
	int refs;			/* atomic */
	struct conf *conf;
	struct policy_set *policies;
	struct dir *dir;
	/*
	 * The cards of the Card lines, opened with the runtime and freed with
	 * its last reference. A reload opens a new set while transactions of
	 * the old runtime may still use theirs: then two handles (one per
	 * set) reach one PC/SC card. That is safe: each card operation is one
	 * short PC/SC transaction on a shared connection, so the handles take
	 * turns at pcscd and never wait on each other across operations.
	 */
	struct card_pools *cards;
	/* inbound (issue 8): revocation settings and the anchors of
	 * received signatures (include/rev.h) */
	struct rev *rev;
};

/* runtime_load - conf, policies and directory; NULL with diag lines */
struct runtime *runtime_load(const char *path, struct buf *diag);
struct runtime *runtime_ref(struct runtime *rt);
/* runtime_unref - accepts NULL */
void runtime_unref(struct runtime *rt);

#define SESSION_ADDR_MAX 320
#define SESSION_DK_MAX 128

/* a recipient of the transaction the gate accepted, with its entry */
struct txn_rcpt {
	char *addr;			/* normalised */
	struct dir_result *res;		/* the directory's answer at RCPT */
};

/* per SMTP session (SMFICTX private data) */
struct session {
	struct runtime *rt;	/* the transaction's runtime (ref) */
	struct conf *conf;	/* rt->conf, borrowed */
	char sender[SESSION_ADDR_MAX];	/* envelope sender as given */
	size_t msg_size;	/* header and body bytes of the client mail */
	char dienstkennung[SESSION_DK_MAX]; /* X-KIM-Dienstkennung or "" */
	int dk_seen;		/* the header was present (maybe twice) */
	enum conf_role role;
	char daemon_name[64];
	char client[64];	/* client address, for the log */
	char queue_id[32];
	int in_txn;		/* between MAIL FROM and its end */
	int nr_conn;		/* negotiated: no reply at connect */
	struct timespec t0;	/* start of the transaction */
	unsigned long nrcpt;
	/* gate and inbound: the message and the accepted recipients */
	struct mail mail;
	struct txn_rcpt *rcpts;
	size_t nrcpts, rcpts_cap;
	char out_id[96];	/* Message-ID of the result, for the log */
	/* inbound (issue 8): s->rcpts holds the local KIM recipients */
	size_t in_foreign;	/* recipients that are not ours */
	int in_checked;		/* the KIM question was asked (first body) */
};

/* session_message_id - the message's Message-ID into out_id (for the log) */
void session_message_id(struct session *s);
/* session_add_rcpt - keep an accepted recipient (takes res); -1 ENOMEM */
int session_add_rcpt(struct session *s, const char *addr,
    struct dir_result *res);

/* session_begin - start a transaction: take the current conf, count it */
void session_begin(struct session *s);
/*
 * session_end - log the one line per message and count the decision;
 * ends the transaction (drops the conf). reason may be NULL.
 */
void session_end(struct session *s, const char *decision, const char *reason);

/* session_envfrom - drain check and the role's MAIL FROM step */
enum verdict session_envfrom(struct session *s, struct mio *io,
    const char *from, char **esmtp_args);
/* session_reply - set the reply of a policy decision, give the verdict */
struct policy_decision;
enum verdict session_reply(struct session *s, struct mio *io,
    const struct policy_decision *d);
/*
 * End-of-message answers that also end the transaction (one log line):
 * session_finish - a decision already made (d), logged with why;
 * session_refuse - the policy's action for a failure class;
 * session_tempfail - 451 xcode whatever the policy says (MTA trouble,
 *   memory, a passing card problem), text "kim-milter: WHY; the mail
 *   stays queued".
 */
enum verdict session_finish(struct session *s, struct mio *io,
    const struct policy_decision *d, const char *why);
enum verdict session_refuse(struct session *s, struct mio *io,
    const struct policy *p, enum policy_failure f, const char *why);
enum verdict session_tempfail(struct session *s, struct mio *io,
    const char *xcode, const char *why);

/* --- milter_state.c --- */
enum stat_event {
	ST_TRANSACTIONS = 0,
	ST_ACCEPT,
	ST_TEMPFAIL,
	ST_REJECT,
	ST_HEADERS,
	ST_BODY_CHUNKS,
	ST_NEVENTS
};
#define ST_NROLES 4	/* none, front, gate, inbound (enum conf_role) */

/* state_init - install the first runtime (takes the reference) */
void state_init(struct runtime *rt, const char *path);
/* state_conf - a reference to the current configuration */
struct conf *state_conf(void);
/* state_runtime - a reference to the current runtime */
struct runtime *state_runtime(void);
/* state_reload - load path again; on error keep the old one; 0 or -1+why */
int state_reload(struct buf *why);
/* state_count - bump a counter */
void state_count(enum conf_role role, enum stat_event ev);
/* state_active - transactions in flight, adjusted by delta */
long state_active(long delta);
/* state_draining - 1 while draining */
int state_draining(void);
/* state_drain - start draining: tempfail new work, stop when idle */
int state_drain(struct buf *why);
/* state_status - the text of kimctl status */
void state_status(struct buf *out);
/* state_shutdown - release everything at exit */
void state_shutdown(void);

/* --- pipelines --- */
enum verdict front_envfrom(struct session *s, struct mio *io, const char *from);
enum verdict front_envrcpt(struct session *s, struct mio *io, const char *rcpt);
enum verdict front_data(struct session *s, struct mio *io);

enum verdict gate_envfrom(struct session *s, struct mio *io, const char *from,
    char **esmtp_args);
enum verdict gate_envrcpt(struct session *s, struct mio *io, const char *rcpt);
enum verdict gate_header(struct session *s, struct mio *io, const char *name,
    const char *value);
enum verdict gate_body(struct session *s, struct mio *io,
    const unsigned char *p, size_t len);
enum verdict gate_eom(struct session *s, struct mio *io);
/*
 * gate_send (gate_send.c) - the message passed the policy: look up the
 * sender's own KIM address, sign with the policy's card pool, encrypt,
 * and make the MTA's message the KIM message (envelope sender, headers,
 * body, route header). Ends the transaction (logs its line).
 */
enum verdict gate_send(struct session *s, struct mio *io,
    const struct policy *p, const char *dienstkennung);
/*
 * gate_already_kim (gate_kim.c) - a message that already is a KIM
 * message: passed with the route header when it meets the rule of
 * architecture.md, else refused. *handled is 0 when the message is
 * plaintext (forged KIM headers included) and gate_send must transform
 * it; otherwise the transaction has ended with the verdict returned.
 */
enum verdict gate_already_kim(struct session *s, struct mio *io,
    const struct policy *p, const char *kim, const char *account,
    int *handled);

/* --- pipe_rcpt.c: the recipient check shared by front and gate --- */
/*
 * rcpt_check - look a KIM recipient up and answer with the policy's
 * action; CONTINUE when usable. Own KIM addresses are not looked up
 * unless flags has RCPT_OWN_TOO. With keep, a usable recipient's entry is
 * handed to the caller (*keep, to free), else freed.
 */
#define RCPT_OWN_TOO 0x01
enum verdict rcpt_check(struct session *s, struct mio *io, const char *rcpt,
    const struct policy *p, int flags, struct dir_result **keep);

/* --- inbound (issue 8): pipe_inbound.c, inbound_open.c, inbound_mail.c --- */
enum verdict inbound_envfrom(struct session *s, struct mio *io,
    const char *from);
enum verdict inbound_envrcpt(struct session *s, struct mio *io,
    const char *rcpt);
enum verdict inbound_header(struct session *s, struct mio *io,
    const char *name, const char *value);
enum verdict inbound_body(struct session *s, struct mio *io,
    const unsigned char *p, size_t len);
enum verdict inbound_eom(struct session *s, struct mio *io);
/*
 * inbound_open (inbound_open.c) - a KIM message for local recipients:
 * pick the card, decrypt once, verify (signature, path, revocation,
 * headers, recipient-emails, sender binding), then make the MTA's message
 * the inner message or the error mail. Tempfail for transient causes,
 * never 5xx. Ends the transaction.
 */
enum verdict inbound_open(struct session *s, struct mio *io);
/*
 * inbound_strip (inbound_mail.c) - msg (a whole message) without the
 * headers called one of names (NULL-terminated), appended to out. -1 when
 * memory runs out.
 */
int inbound_strip(const unsigned char *msg, size_t len,
    const char *const *names, struct buf *out);
/*
 * inbound_error_mail - the mail a recipient gets instead of a message that
 * cannot be decrypted (integrity == 0: kim-format.md 3, A_2046/A_2047-02,
 * part = the original as message/rfc822) or that failed the integrity
 * check (A_23165: a fixed security-violation text, part = the decrypted
 * message; as message/rfc822 when is_msg, else the decrypted entity that
 * holds no readable message, base64, as decrypted.p7m).
 * Date, From, Sender, Reply-To, To, Cc and Message-ID are copied from the
 * outer message. The result headers are not in it (they go in as milter
 * headers). Appended to out; -1 when memory runs out.
 */
int inbound_error_mail(const struct mail *outer, int decryption,
    int integrity, const char *reason, const unsigned char *part,
    size_t plen, int is_msg, struct buf *out);

#endif
