/*
 * policy - per-department policy files: who may send KIM, as which KIM
 * address, with which card pool and Dienstkennung, and what happens on every
 * failure. kim-milter-policy(5) documents the file format.
 *
 * Pure: no libmilter, no I/O besides reading the policy directory. The
 * milter and kimctl call it.
 *
 * Lifetime and ownership:
 * - policy_set_load reads every `*.conf` file of a directory into a new,
 *   immutable struct policy_set (refs = 1). Any problem in any file refuses
 *   the whole set: NULL is returned and every problem is appended to diag as
 *   a "file:line: text" line. A reload loads a new set and swaps it in;
 *   transactions in flight keep theirs (policy_set_ref / policy_set_unref,
 *   atomic, callable from any thread).
 * - A struct policy is owned by its set and valid as long as the caller holds
 *   a reference to that set. All strings returned by accessors are borrowed
 *   from the set.
 * - A loaded set is never modified: any number of threads may match and
 *   decide with it at once without locks.
 *
 * Precedence (decided at load time): an exact address beats `*@domain`,
 * which beats `*@*.domain`; among `*@*.domain` patterns the longer domain
 * wins. Two equal patterns (in one file or in two) are a load error naming
 * both places. The null sender and senders no pattern covers get the default
 * policy: built in (may not send KIM), or the one file that says
 * `Default yes`.
 */
#ifndef KIM_POLICY_H
#define KIM_POLICY_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

struct policy;
struct policy_set;

/* failure classes, each with an On-<Class> action in a policy file */
enum policy_failure {
	POLICY_FAIL_NO_CERTIFICATE = 0,	/* On-NoCertificate */
	POLICY_FAIL_DIRECTORY,		/* On-DirectoryError */
	POLICY_FAIL_CARD,		/* On-CardError */
	POLICY_FAIL_OVERSIZE,		/* On-Oversize */
	POLICY_FAIL_DENIED,		/* On-PolicyDenied */
	POLICY_FAIL_INTERNAL,		/* On-InternalError */
	POLICY_FAIL_COUNT
};

/* what a failure does; accept and quarantine do not exist: fail closed */
enum policy_action {
	POLICY_ACTION_REJECT = 0,
	POLICY_ACTION_TEMPFAIL,
};

/* the default of KIM 1.0 (A_2004-01): larger mail needs the KAS */
#define POLICY_MAX_SIZE_DEFAULT (15UL * 1024 * 1024)
#define POLICY_DIENSTKENNUNG_DEFAULT "KIM-Mail;Default;V1.0"
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define POLICY_DIRECTORY_DEFAULT SYSCONFDIR "/kim-milter/policy.d"

/* ---- loading ---------------------------------------------------------- */

/*
 * policy_set_load - read dir/\*.conf (other names are ignored: editor
 * backups, .dpkg-old ...). conf gives the card pools and KimDomains the
 * policies are checked against; NULL skips those checks (tests only).
 * Returns a new set, or NULL with every problem in diag.
 */
struct policy_set *policy_set_load(const char *dir, const struct conf *conf,
    struct buf *diag) __attribute__((warn_unused_result));
/* policy_set_builtin - a set with only the built-in default policy */
struct policy_set *policy_set_builtin(void);
struct policy_set *policy_set_ref(struct policy_set *set);
/* policy_set_unref - drop a reference, free on the last; accepts NULL */
void policy_set_unref(struct policy_set *set);

const char *policy_set_dir(const struct policy_set *set);
/* the policies of the files, sorted by file name (not the default) */
size_t policy_set_count(const struct policy_set *set);
const struct policy *policy_set_get(const struct policy_set *set, size_t i);
/* the policy for the null sender and uncovered senders; never NULL */
const struct policy *policy_set_default(const struct policy_set *set);

/* ---- matching --------------------------------------------------------- */

enum policy_why_kind {
	POLICY_WHY_EXACT,	/* exact address pattern */
	POLICY_WHY_DOMAIN,	/* *@domain */
	POLICY_WHY_SUBDOMAIN,	/* *@*.domain */
	POLICY_WHY_NULL_SENDER,	/* <>: default policy */
	POLICY_WHY_NO_MATCH,	/* no pattern covers it: default policy */
	POLICY_WHY_BAD_ADDRESS,	/* not an address: default policy */
	POLICY_WHY_KIM_ADDRESS,	/* no pattern, but a policy's KimAddress */
};

/* why policy_match chose a policy; strings borrowed from the set */
struct policy_why {
	enum policy_why_kind kind;
	const char *pattern;	/* the pattern as normalised, or NULL */
	const char *file;	/* file of the pattern, or NULL */
	int line;		/* line of the pattern, or 0 */
};

/*
 * policy_match - the policy of an envelope sender (with or without <>,
 * any case). Never NULL: uncovered, null and unparsable senders get the
 * default policy; a sender no pattern covers that is the KimAddress of a
 * policy allowed to send KIM gets that policy (our own KIM mail coming
 * back through the gate after "postsuper -r"). why may be NULL.
 */
const struct policy *policy_match(const struct policy_set *set,
    const char *sender);
const struct policy *policy_match_why(const struct policy_set *set,
    const char *sender, struct policy_why *why);
/* policy_why_text - "exact address", "*@domain" ... for messages */
const char *policy_why_text(enum policy_why_kind kind);

/* ---- accessors -------------------------------------------------------- */

/* file stem ("kardiologie"), or "default" for the built-in default */
const char *policy_name(const struct policy *p);
/* path of the file, or NULL for the built-in default */
const char *policy_file(const struct policy *p);
const char *policy_description(const struct policy *p);	/* or NULL */
int policy_is_default(const struct policy *p);	/* built in or Default yes */
int policy_is_builtin(const struct policy *p);
int policy_kim_allowed(const struct policy *p);	/* KimSending */
const char *policy_kim_address(const struct policy *p);	/* or NULL */
const char *policy_card_pool(const struct policy *p);	/* or NULL */
/*
 * The provider route of a department (issue 7): the gate adds
 * `X-Kimgate-Route: <account>`, Postfix's milter_header_checks on the gate's
 * cleanup turns it into `FILTER kimprov-<account>:<relay>`.
 */
#define POLICY_ACCOUNT_MAX 48
/* KimAccount, default the lower-cased file stem; never NULL for a policy
 * that may send KIM, NULL for the built-in default */
const char *policy_kim_account(const struct policy *p);
/* ProviderRelay `[host]:port`, or NULL: use kim-milter.conf's ProviderRelay */
const char *policy_provider_relay(const struct policy *p);
const char *policy_provider_client_cert(const struct policy *p); /* or NULL */
const char *policy_provider_client_key(const struct policy *p);	/* or NULL */
/* ProviderLogin (the SASL user), default the KimAddress; NULL without one */
const char *policy_provider_login(const struct policy *p);
/* ProviderPasswordFile (SASL password on the first line), or NULL */
const char *policy_provider_password_file(const struct policy *p);
/* policy_account_valid - [a-z0-9-]+ of 1..POLICY_ACCOUNT_MAX characters */
int policy_account_valid(const char *account);
/* policy_relay_valid - `[host]:port` with a port of 1..65535 */
int policy_relay_valid(const char *relay);
/* the Dienstkennung written when the message has none */
const char *policy_dienstkennung(const struct policy *p);
/* every allowed Dienstkennung, the default first */
size_t policy_dienstkennung_count(const struct policy *p);
const char *policy_dienstkennung_get(const struct policy *p, size_t i);
/* the allowed spelling of dk (compared case-insensitively), or NULL */
const char *policy_dienstkennung_allowed(const struct policy *p,
    const char *dk);
size_t policy_max_size(const struct policy *p);	/* bytes */
enum policy_action policy_action(const struct policy *p,
    enum policy_failure f);
/* line of a key in the policy's file, 0 when not set there */
int policy_line(const struct policy *p, const char *key);

const char *policy_failure_key(enum policy_failure f);	/* "On-CardError" */
const char *policy_action_name(enum policy_action a);	/* "reject" */

/* ---- decisions -------------------------------------------------------- */

enum policy_verdict {
	POLICY_PASS = 0,	/* go on (front: accept this recipient) */
	POLICY_REJECT,		/* 5xx */
	POLICY_TEMPFAIL,	/* 4xx */
};

/*
 * A decision the milter turns into smfi_setreply(rcode, xcode, reason).
 * reason is one line of printable ASCII without '%' (anything else is
 * replaced by '?'), safe for libmilter and Sendmail alike.
 */
struct policy_decision {
	enum policy_verdict verdict;
	enum policy_failure failure;	/* the class, when not PASS */
	char rcode[4];			/* "550", "451"; "" on PASS */
	char xcode[8];			/* "5.7.1"; "" on PASS */
	char reason[240];
	/* gate only: the Dienstkennung to write (borrowed from the policy) */
	const char *dienstkennung;
};

/* which kind of recipient, from the front's and the gate's point of view */
enum policy_rcpt_kind {
	POLICY_RCPT_NOT_KIM = 0,	/* not in KimDomains: never touched */
	POLICY_RCPT_OWN,		/* KimAddress or LocalKimAddresses: inbound */
	POLICY_RCPT_KIM,		/* an outbound KIM recipient */
};

/* policy_rcpt_kind - classify a recipient (with or without <>) */
enum policy_rcpt_kind policy_rcpt_kind(const struct policy_set *set,
    const struct conf *conf, const char *rcpt);
const char *policy_rcpt_kind_name(enum policy_rcpt_kind k);

/*
 * policy_decide_failure - the answer for a failure class under a policy's
 * On-<Class> action; detail is the reason (e.g. from the directory).
 */
void policy_decide_failure(const struct policy *p, enum policy_failure f,
    const char *detail, struct policy_decision *d);

/*
 * policy_front_rcpt - the front's answer for one outbound KIM recipient of
 * a sender whose (pre-canonical) policy is p. Only an explicit
 * `KimSending no` is refused here (On-PolicyDenied, 550 5.7.1 by default);
 * the default policy is enforced at the gate, which sees the sender after
 * the canonical maps. The directory checks come after a PASS.
 */
void policy_front_rcpt(const struct policy *p, const char *sender,
    const char *rcpt, struct policy_decision *d);

/*
 * policy_gate_eom - the gate's end-of-message checks under the policy of
 * the envelope sender: KIM allowed (the default policy included), size in
 * bytes of the client mail before encryption, and the message's
 * X-KIM-Dienstkennung (NULL when it has none: the policy's default is
 * used). On PASS, d->dienstkennung is the value to hand to the pipeline.
 */
void policy_gate_eom(const struct policy *p, const char *sender,
    size_t size, const char *dienstkennung, struct policy_decision *d);

/* ---- lint ------------------------------------------------------------- */

/*
 * A directory check for the lint (kimctl and kim-milter -n pass the
 * directory module's lookup): does the directory know this KIM address?
 * known returns 1 known and usable, 0 not usable (err empty: no entry;
 * else why, e.g. no valid certificate), -1 could not ask (why in err).
 */
typedef int (*policy_dir_known_fn)(const char *kim_address, void *arg,
    struct buf *err);

/*
 * The card check of the lint (supplied by lib/lint): do the cards of a pool
 * carry the Telematik-ID the directory holds for the policy's KIM address?
 * Returns 0 when they do, the number of mismatches (one line each in err),
 * or -1 when it could not tell (reason in err).
 */
typedef int (*policy_card_check_fn)(const char *pool, const char *kim_address,
    void *arg, struct buf *err);

struct policy_dir_check {
	policy_dir_known_fn known;	/* NULL: the check is skipped */
	void *arg;
	const char *skipped;		/* why, when known is NULL */
	policy_card_check_fn cards;	/* NULL: the card check is skipped */
	void *card_arg;
};

/*
 * policy_lint - checks beyond the load: one KIM address used with two
 * card pools, a default policy that lets bounces send KIM, one provider
 * account with two KIM addresses or one address with two accounts, the
 * provider's client certificate, key and password files (both or neither,
 * readable, secrets not readable by everyone), and, with a directory check, KIM addresses the directory does not know (without
 * one, dc NULL or dc->known NULL, a note says the check was skipped and
 * why). Problems go to diag as "file:line: text", remarks to notes.
 * Returns the number of problems.
 */
int policy_lint(const struct policy_set *set, const struct conf *conf,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes);

/*
 * policy_check - load dir (NULL: conf->policy_directory) and lint it: what
 * `kim-milter -n` and `kimctl policy lint` print. Returns the number of
 * problems (each one line of diag); *setp, when not NULL, gets the loaded
 * set (or NULL when it was refused) for the caller to unref.
 */
int policy_check(const char *dir, const struct conf *conf,
    const struct policy_dir_check *dc, struct buf *diag, struct buf *notes,
    struct policy_set **setp);

#endif
