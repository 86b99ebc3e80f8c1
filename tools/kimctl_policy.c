/*
 * kimctl_policy.c - `kimctl policy test` and `kimctl policy lint`: what the
 * policies would do with a sender and its recipients, and every problem of
 * the policy files, without sending anything and without the daemon.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dir.h"
#include "lint.h"
#include "kimctl.h"
#include "policy.h"

struct policy_opts {
	const char *dir;		/* --dir, else PolicyDirectory */
	const char *from;		/* --from */
	const char **rcpts;		/* --rcpt ... */
	size_t nrcpts;
	size_t size;			/* --size, 0: not checked */
	const char *dk;			/* --dienstkennung */
	int no_dir;			/* --no-directory */
};

/* json_str - a JSON string literal (or null) */
static void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* json_lines - the lines of a buffer as a JSON array of strings */
static void
json_lines(FILE *fp, const struct buf *b)
{
	const char *s = buf_str(b), *nl;
	int first = 1;

	fputc('[', fp);
	while (*s) {
		char *line;

		nl = strchr(s, '\n');
		line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
		if (line != NULL) {
			fputs(first ? "" : ",", fp);
			json_str(fp, line);
			first = 0;
			free(line);
		}
		s = nl ? nl + 1 : s + strlen(s);
	}
	fputc(']', fp);
}

/* prefix_lines - print each line of a buffer with a prefix */
static void
prefix_lines(FILE *fp, const char *prefix, const struct buf *b)
{
	const char *s = buf_str(b), *nl;

	while (*s) {
		nl = strchr(s, '\n');
		fprintf(fp, "%s%.*s\n", prefix,
		    (int)(nl ? (size_t)(nl - s) : strlen(s)), s);
		s = nl ? nl + 1 : s + strlen(s);
	}
}

/*
 * dir_check - the directory check of the lint: the directory of
 * kim-milter.conf (DirectoryURI), or a note why there is none. The caller
 * closes *dp.
 */
static void
dir_check(const struct conf *c, struct policy_dir_check *dc, struct dir **dp,
    struct buf *skipped)
{
	struct buf why = BUF_INIT;

	memset(dc, 0, sizeof(*dc));
	*dp = NULL;
	if (c->dir_uri == NULL) {
		dc->skipped = "no directory configured (DirectoryURI is not set)";
		return;
	}
	if ((*dp = dir_open(c, &why)) == NULL) {
		(void)buf_printf(skipped, "the directory cannot be opened: %s",
		    buf_str(&why));
		dc->skipped = buf_str(skipped);
	} else {
		static struct lint_cards lc;

		dc->known = dir_known;
		dc->arg = *dp;
		lc.conf = c;
		lc.dir = *dp;
		dc->cards = lint_card_telematik;
		dc->card_arg = &lc;
	}
	buf_free(&why);
}

/* parse_opts - the options of `policy test` and `policy lint` */
static int
parse_opts(struct kimctl *k, int argc, char **argv, struct policy_opts *o)
{
	static const struct option opts[] = {
		{"dir", required_argument, NULL, 'd'},
		{"from", required_argument, NULL, 'f'},
		{"rcpt", required_argument, NULL, 'r'},
		{"size", required_argument, NULL, 's'},
		{"dienstkennung", required_argument, NULL, 'k'},
		{"json", no_argument, NULL, 'j'},
		{"no-directory", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->rcpts = calloc((size_t)argc + 1, sizeof(*o->rcpts));
	if (o->rcpts == NULL)
		return -1;
	optind = 0;	/* glibc: start over for the sub-command */
	while ((ch = getopt_long(argc, argv, "d:f:r:s:k:jn", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'r':
			o->rcpts[o->nrcpts++] = optarg;
			break;
		case 's':
			o->size = (size_t)strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end) {
				fprintf(stderr, "kimctl: policy: --size wants "
				    "bytes, not \"%s\"\n", optarg);
				return -1;
			}
			break;
		case 'k':
			o->dk = optarg;
			break;
		case 'j':
			k->json = 1;
			break;
		case 'n':
			o->no_dir = 1;
			break;
		default:
			return -1;
		}
	}
	/* `--rcpt a b c`: the words after the options are recipients too */
	for (; optind < argc; optind++)
		o->rcpts[o->nrcpts++] = argv[optind];
	return 0;
}

/* load_set - conf and policy set; prints problems; NULL on failure */
static struct policy_set *
load_set(struct kimctl *k, const struct policy_opts *o, struct buf *diag)
{
	struct conf *conf = kimctl_conf(k);

	if (conf == NULL)
		return NULL;
	return policy_set_load(o->dir ? o->dir : conf->policy_directory,
	    conf, diag);
}

/* verdict_name - pass/reject/tempfail */
static const char *
verdict_name(enum policy_verdict v)
{
	return v == POLICY_PASS ? "pass" : v == POLICY_REJECT ? "reject" :
	    "tempfail";
}

/* print_decision_text - one line for the front or the gate */
static void
print_decision_text(const char *where, const struct policy_decision *d,
    const char *pass_text)
{
	if (d->verdict == POLICY_PASS)
		printf("  %-6s %s\n", where, pass_text);
	else
		printf("  %-6s %s %s %s\n", where, d->rcode, d->xcode,
		    d->reason);
}

/* print_decision_json - {"verdict":...} */
static void
print_decision_json(const struct policy_decision *d, const char *note)
{
	printf("{\"verdict\":");
	json_str(stdout, verdict_name(d->verdict));
	if (d->verdict != POLICY_PASS) {
		printf(",\"code\":");
		json_str(stdout, d->rcode);
		printf(",\"enhanced\":");
		json_str(stdout, d->xcode);
		printf(",\"reason\":");
		json_str(stdout, d->reason);
		printf(",\"failure\":");
		json_str(stdout, policy_failure_key(d->failure));
	}
	if (d->dienstkennung) {
		printf(",\"dienstkennung\":");
		json_str(stdout, d->dienstkennung);
	}
	if (note && *note) {
		printf(",\"note\":");
		json_str(stdout, note);
	}
	printf("}");
}

/*
 * dir_decide - the directory's answer for a KIM recipient under the
 * policy's On-NoCertificate / On-DirectoryError (as front and gate give it
 * at RCPT TO); PASS when the recipient has a usable certificate.
 */
static void
dir_decide(struct dir *d, const struct policy *p, const char *rcpt,
    struct policy_decision *dd, char *status, size_t statussz)
{
	struct dir_result *r = NULL;
	int st;

	/* the same classes and texts as the milter's rcpt_check */
	memset(dd, 0, sizeof(*dd));
	st = dir_lookup(d, rcpt, 0, &r);
	snprintf(status, statussz, "%s", st < 0 ? "error" :
	    dir_status_name((enum dir_status)st));
	if (st == DIR_FOUND)
		dd->verdict = POLICY_PASS;
	else if (st == DIR_NOT_FOUND || st == DIR_UNUSABLE)
		policy_decide_failure(p, POLICY_FAIL_NO_CERTIFICATE,
		    r ? r->reason : "no usable certificate", dd);
	else if (st == DIR_UNAVAILABLE)
		policy_decide_failure(p, POLICY_FAIL_DIRECTORY,
		    r ? r->reason : "KIM directory unavailable", dd);
	else
		policy_decide_failure(p, POLICY_FAIL_INTERNAL,
		    "internal error (out of memory) during the directory "
		    "lookup", dd);
	dir_result_free(r);
}

/* test_rcpt - what one recipient gets at the front and at the gate */
static void
test_rcpt(const struct policy_set *set, const struct conf *conf,
    const struct policy *p, const struct policy_opts *o, struct dir *d,
    const char *rcpt, int json, int first)
{
	enum policy_rcpt_kind kind = policy_rcpt_kind(set, conf, rcpt);
	struct policy_decision front, gate, dd;
	const char *fnote, *gnote;
	char gpass[400], fpass[200], status[32] = "";

	memset(&front, 0, sizeof(front));
	memset(&gate, 0, sizeof(gate));
	memset(&dd, 0, sizeof(dd));
	if (kind == POLICY_RCPT_NOT_KIM) {
		fnote = "untouched: not a KIM address";
		gnote = "untouched: not routed to the gate";
	} else if (kind == POLICY_RCPT_OWN) {
		fnote = "untouched: our own KIM address (inbound mail)";
		gnote = "untouched: inbound mail, not routed to the gate";
	} else {
		/* front and gate: the policy, then the directory at RCPT */
		if (d != NULL)
			dir_decide(d, p, rcpt, &dd, status, sizeof(status));
		policy_front_rcpt(p, o->from, rcpt, &front);
		if (front.verdict == POLICY_PASS && dd.verdict != POLICY_PASS)
			front = dd;
		if (dd.verdict != POLICY_PASS)
			gate = dd;
		else
			policy_gate_eom(p, o->from, o->size, o->dk, &gate);
		snprintf(fpass, sizeof(fpass), "accept%s%s",
		    policy_is_default(p) ? " (the default policy is applied "
		    "at the gate)" : "",
		    d ? "" : "; the directory was not asked");
		fnote = fpass;
		snprintf(gpass, sizeof(gpass), "accept: sign with card pool "
		    "%s, send as %s, X-KIM-Dienstkennung %s%s",
		    policy_card_pool(p), policy_kim_address(p),
		    gate.dienstkennung ? gate.dienstkennung : "?",
		    o->size ? "" : " (size not checked: give --size)");
		gnote = gate.verdict == POLICY_PASS ? gpass : "";
	}
	if (json) {
		printf("%s{\"address\":", first ? "" : ",");
		json_str(stdout, rcpt);
		printf(",\"kind\":");
		json_str(stdout, policy_rcpt_kind_name(kind));
		printf(",\"directory\":");
		json_str(stdout, status[0] ? status : NULL);
		printf(",\"front\":");
		print_decision_json(&front, fnote);
		printf(",\"gate\":");
		print_decision_json(&gate, gnote);
		printf("}");
		return;
	}
	printf("recipient %s (%s)\n", rcpt,
	    kind == POLICY_RCPT_NOT_KIM ? "not a KIM address" :
	    kind == POLICY_RCPT_OWN ? "our own KIM address" : "KIM");
	if (status[0])
		printf("  %-6s %s\n", "dir:", status);
	print_decision_text("front:", &front, fnote);
	print_decision_text("gate:", &gate, gnote);
}

/* cmd_test - `kimctl policy test --from ADDR --rcpt ADDR...` */
static int
cmd_test(struct kimctl *k, int argc, char **argv)
{
	struct policy_opts o;
	struct policy_set *set = NULL;
	struct buf diag = BUF_INIT;
	const struct policy *p;
	struct policy_why why;
	struct dir *d = NULL;
	size_t i;
	int rc = KIMCTL_EX_USAGE;

	if (parse_opts(k, argc, argv, &o) < 0)
		goto out;
	if (o.from == NULL || o.nrcpts == 0) {
		fprintf(stderr, "usage: kimctl policy test [--dir DIR] "
		    "[--size BYTES] [--dienstkennung DK] [--no-directory] "
		    "--from ADDR --rcpt ADDR...\n");
		goto out;
	}
	if ((set = load_set(k, &o, &diag)) == NULL) {
		fprintf(stderr, "kimctl: policy files refused:\n%s",
		    buf_str(&diag));
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	/* the directory's answers too, when there is one */
	if (!o.no_dir && k->conf->dir_uri != NULL) {
		struct buf why_open = BUF_INIT;

		if ((d = dir_open(k->conf, &why_open)) == NULL)
			fprintf(stderr, "kimctl: directory: %s (recipients "
			    "not looked up)\n", buf_str(&why_open));
		buf_free(&why_open);
	}
	p = policy_match_why(set, o.from, &why);
	if (k->json) {
		printf("{\"sender\":");
		json_str(stdout, o.from);
		printf(",\"policy\":");
		json_str(stdout, policy_name(p));
		printf(",\"file\":");
		json_str(stdout, policy_file(p));
		printf(",\"default\":%s", policy_is_default(p) ? "true" :
		    "false");
		printf(",\"match\":{\"kind\":");
		json_str(stdout, policy_why_text(why.kind));
		printf(",\"pattern\":");
		json_str(stdout, why.pattern);
		printf(",\"file\":");
		json_str(stdout, why.file);
		printf(",\"line\":%d}", why.line);
		printf(",\"kim_sending\":%s", policy_kim_allowed(p) ? "true" :
		    "false");
		printf(",\"kim_address\":");
		json_str(stdout, policy_kim_address(p));
		printf(",\"card_pool\":");
		json_str(stdout, policy_card_pool(p));
		printf(",\"kim_account\":");
		json_str(stdout, policy_kim_account(p));
		printf(",\"max_size\":%zu,\"recipients\":[",
		    policy_max_size(p));
	} else {
		printf("sender    %s\n", o.from);
		if (policy_file(p))
			printf("policy    %s (%s)\n", policy_name(p),
			    policy_file(p));
		else
			printf("policy    %s\n", policy_name(p));
		if (why.file)
			printf("matched   %s (%s) at %s:%d\n", why.pattern,
			    policy_why_text(why.kind), why.file, why.line);
		else
			printf("matched   %s: the default policy applies\n",
			    policy_why_text(why.kind));
		if (policy_kim_allowed(p))
			printf("KIM       allowed as %s, card pool %s, "
			    "Dienstkennung %s, at most %zu bytes\n",
			    policy_kim_address(p), policy_card_pool(p),
			    policy_dienstkennung(p), policy_max_size(p));
		else
			printf("KIM       not allowed\n");
		if (policy_kim_allowed(p))
			printf("route     X-Kimgate-Route: %s (transport "
			    "kimprov-%s to %s)\n", policy_kim_account(p),
			    policy_kim_account(p), policy_provider_relay(p) ?
			    policy_provider_relay(p) : k->conf->provider_relay ?
			    k->conf->provider_relay : "no ProviderRelay set");
	}
	for (i = 0; i < o.nrcpts; i++)
		test_rcpt(set, k->conf, p, &o, d, o.rcpts[i], k->json, i == 0);
	if (k->json)
		printf("]}\n");
	else
		printf("(nothing was sent)\n");
	rc = KIMCTL_EX_OK;
out:
	dir_close(d);
	policy_set_unref(set);
	buf_free(&diag);
	free(o.rcpts);
	return rc;
}

/* cmd_lint - `kimctl policy lint`: every problem with file:line */
static int
cmd_lint(struct kimctl *k, int argc, char **argv)
{
	struct policy_opts o;
	struct policy_set *set = NULL;
	struct buf diag = BUF_INIT, notes = BUF_INIT, skipped = BUF_INIT;
	struct policy_dir_check dc;
	struct dir *d = NULL;
	const char *dir;
	size_t i;
	int rc = KIMCTL_EX_USAGE, problems;

	if (parse_opts(k, argc, argv, &o) < 0)
		goto out;
	if (o.from || o.nrcpts) {
		fprintf(stderr, "usage: kimctl policy lint [--dir DIR]\n");
		goto out;
	}
	if (kimctl_conf(k) == NULL) {
		rc = KIMCTL_EX_CONFIG;
		goto out;
	}
	dir = o.dir ? o.dir : k->conf->policy_directory;
	dir_check(k->conf, &dc, &d, &skipped);
	problems = policy_check(dir, k->conf, &dc, &diag, &notes, &set);
	if (set == NULL && problems == 0)
		problems = 1;	/* refused: never report "no problems" */
	if (k->json) {
		printf("{\"directory\":");
		json_str(stdout, dir);
		printf(",\"loaded\":%s,\"policies\":[", set ? "true" :
		    "false");
		for (i = 0; set && i < policy_set_count(set); i++) {
			printf("%s", i ? "," : "");
			json_str(stdout, policy_name(policy_set_get(set, i)));
		}
		printf("],\"problems\":");
		json_lines(stdout, &diag);
		printf(",\"notes\":");
		json_lines(stdout, &notes);
		printf("}\n");
	} else {
		prefix_lines(stdout, "", &diag);
		prefix_lines(stdout, "note: ", &notes);
		if (problems)
			printf("%s: %d problem%s\n", dir, problems,
			    problems == 1 ? "" : "s");
		else
			printf("%s: %zu polic%s, no problems\n", dir,
			    policy_set_count(set),
			    policy_set_count(set) == 1 ? "y" : "ies");
	}
	rc = problems ? KIMCTL_EX_FAIL : KIMCTL_EX_OK;
out:
	dir_close(d);
	policy_set_unref(set);
	buf_free(&diag);
	buf_free(&notes);
	buf_free(&skipped);
	free(o.rcpts);
	return rc;
}

/* kimctl_policy - `kimctl policy test|lint ...` */
int
kimctl_policy(struct kimctl *k, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "test") == 0)
		return cmd_test(k, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "lint") == 0)
		return cmd_lint(k, argc - 1, argv + 1);
	fprintf(stderr, "usage: kimctl policy test [--dir DIR] [--size BYTES] "
	    "[--dienstkennung DK] [--no-directory] --from ADDR "
	    "--rcpt ADDR...\n"
	    "       kimctl policy lint [--dir DIR]\n");
	return KIMCTL_EX_USAGE;
}
