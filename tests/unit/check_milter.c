/*
 * check_milter.c - the pipelines driven through a fake struct mio: roles,
 * the front's fast path, the gate's fail-closed hold, unknown listeners,
 * drain, reload keeping transactions on their configuration, replies.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "milter.h"

struct fake {
	char rcode[8], xcode[16], text[600];
	int replies;
	char ops[4000];		/* the edits, one line each */
	int progress_after_body; /* progress came between body chunks */
	int bodies;
};

static const char *
fake_getsymval(void *h, const char *name)
{
	return NULL;
}

static int
fake_setreply(void *h, const char *rcode, const char *xcode, const char *text)
{
	struct fake *f = h;

	snprintf(f->rcode, sizeof(f->rcode), "%s", rcode);
	snprintf(f->xcode, sizeof(f->xcode), "%s", xcode);
	snprintf(f->text, sizeof(f->text), "%s", text);
	f->replies++;
	return 0;
}

/* fake_log - append one line to the record of edits */
static void
fake_log(struct fake *f, const char *line)
{
	size_t n = strlen(f->ops);

	snprintf(f->ops + n, sizeof(f->ops) - n, "%s\n", line);
}

static int
fake_progress(void *h)
{
	struct fake *f = h;

	if (f->bodies)
		f->progress_after_body = 1;
	return 0;
}

static int
fake_chgfrom(void *h, const char *from)
{
	char l[400];

	snprintf(l, sizeof(l), "from %s", from);
	fake_log(h, l);
	return 0;
}

static int
fake_addheader(void *h, const char *name, const char *value)
{
	char l[400];

	snprintf(l, sizeof(l), "add %s[%s]", name, value);
	fake_log(h, l);
	return 0;
}

static int
fake_chgheader(void *h, const char *name, int index, const char *value)
{
	char l[400];

	snprintf(l, sizeof(l), "del %s %d%s", name, index, value ? "?" : "");
	fake_log(h, l);
	return 0;
}

static int
fake_replacebody(void *h, const unsigned char *p, size_t len)
{
	struct fake *f = h;
	char l[400];

	snprintf(l, sizeof(l), "body %d[%.*s]", (int)len,
	    (int)(len < 150 ? len : 150), (const char *)p);
	f->bodies++;
	fake_log(h, l);
	return 0;
}

static const struct mio_ops fake_ops = {fake_getsymval, fake_setreply,
    fake_progress, fake_chgfrom, fake_addheader, fake_chgheader,
    fake_replacebody};

static char dir[] = "/tmp/check_milter.XXXXXX";
static char path[300];
static char base[1000];	/* the lines every test configuration starts with */

static void
write_at(const char *file, const char *text)
{
	FILE *fp = fopen(file, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

/* write_file - the configuration: base lines plus text */
static void
write_file(const char *text)
{
	char all[2000];

	snprintf(all, sizeof(all), "%s%s", base, text);
	write_at(path, all);
}

static void
setup(void)
{
	struct buf diag = BUF_INIT;
	struct runtime *rt;
	char pdir[400], f[500];

	strcpy(dir, "/tmp/check_milter.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kim-milter.conf", dir);
	snprintf(pdir, sizeof(pdir), "%s/policy.d", dir);
	ck_assert_int_eq(mkdir(pdir, 0755), 0);
	/* one department may send KIM, one may not; others: the default */
	snprintf(f, sizeof(f), "%s/kardio.conf", pdir);
	write_at(f, "Sender *@kardio.example\nKimSending yes\n"
	    "KimAddress kardio@klinik.kim.telematik-test\nCardPool klinik\n"
	    "MaxMessageSize 1K\n");
	snprintf(f, sizeof(f), "%s/verwaltung.conf", pdir);
	write_at(f, "Sender *@verwaltung.example\nKimSending no\n");
	snprintf(base, sizeof(base), "Syslog no\nLogLevel error\n"
	    "PolicyDirectory %s\nCard c1 pool=klinik backend=soft\n", pdir);
	write_file("");
	rt = runtime_load(path, &diag);
	ck_assert_msg(rt != NULL, "%s", buf_str(&diag));
	buf_free(&diag);
	state_init(rt, path);
}

static void
teardown(void)
{
	char cmd[400];

	state_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* open_session - a session as cb_connect would leave it */
static void
open_session(struct session *s, const char *daemon_name)
{
	memset(s, 0, sizeof(*s));
	if (daemon_name)
		snprintf(s->daemon_name, sizeof(s->daemon_name), "%s",
		    daemon_name);
}

START_TEST(test_front_fast_path)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	open_session(&s, "kimfront");
	session_begin(&s);
	ck_assert_int_eq(s.role, CONF_ROLE_FRONT);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>", NULL),
	    V_CONTINUE);
	/* RCPT never accepts the whole transaction early */
	ck_assert_int_eq(front_envrcpt(&s, &io,
	    "<praxis@aerzte.kim.telematik-test>"), V_CONTINUE);
	ck_assert_int_eq(front_envrcpt(&s, &io, "<b@example.net>"),
	    V_CONTINUE);
	/* DATA steps out: Postfix then sends no header and no body */
	ck_assert_int_eq(front_data(&s, &io), V_ACCEPT);
	ck_assert_int_eq(f.replies, 0);
	session_end(&s, "accept", NULL);
	ck_assert_int_eq(state_active(0), 0);
}
END_TEST

START_TEST(test_gate_no_directory)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;
	static const unsigned char body[] = "Befund\r\n";

	/*
	 * No DirectoryURI: the gate cannot encrypt, so every KIM recipient
	 * is tempfailed (On-DirectoryError, 451 4.4.3) and a message without
	 * an accepted recipient is never transformed or passed.
	 */
	open_session(&s, "kimgate");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>", NULL),
	    V_CONTINUE);
	ck_assert_int_eq(gate_envrcpt(&s, &io,
	    "<praxis@aerzte.kim.telematik-test>"), V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_str_eq(f.xcode, "4.4.3");
	/* a recipient outside KimDomains has no business at the gate */
	ck_assert_int_eq(gate_envrcpt(&s, &io, "<b@example.net>"),
	    V_TEMPFAIL);
	ck_assert_str_eq(f.xcode, "4.3.5");
	ck_assert_int_eq(gate_header(&s, &io, "Subject", " Befund"),
	    V_CONTINUE);
	ck_assert_int_eq(gate_body(&s, &io, body, sizeof(body) - 1),
	    V_CONTINUE);
	ck_assert_int_eq(gate_eom(&s, &io), V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_ptr_nonnull(strstr(f.text, "no KIM recipient"));
	ck_assert_str_eq(f.ops, "");	/* nothing was edited */
	ck_assert_int_eq(s.in_txn, 0);
	ck_assert_int_eq(state_active(0), 0);
}
END_TEST

START_TEST(test_mail_render)
{
	struct mail m = MAIL_INIT;
	struct buf out = BUF_INIT;
	static const char *const drop[] = {"X-Kimgate-Route", NULL};
	struct mail_render_opts o = {"kardio@klinik.kim.telematik-test", drop};

	mail_add_header(&m, "From", " \"Dr. A\" <a@kardio.example>");
	mail_add_header(&m, "Subject", " long\n\tfolded");
	mail_add_header(&m, "X-Kimgate-Route", " other");
	mail_add_header(&m, "To", "<p@aerzte.kim.telematik-test>");
	mail_add_body(&m, (const unsigned char *)"hi\r\n", 4);
	ck_assert_int_eq(mail_render(&m, NULL, &out), 0);
	/* the bytes the client sent: folds get their CR back, space kept */
	ck_assert_str_eq(buf_str(&out), "From: \"Dr. A\" <a@kardio.example>\r\n"
	    "Subject: long\r\n\tfolded\r\nX-Kimgate-Route: other\r\n"
	    "To:<p@aerzte.kim.telematik-test>\r\n\r\nhi\r\n");
	buf_reset(&out);
	ck_assert_int_eq(mail_render(&m, &o, &out), 0);
	ck_assert_str_eq(buf_str(&out), "From: \"Dr. A\" "
	    "<kardio@klinik.kim.telematik-test>\r\n"
	    "Subject: long\r\n\tfolded\r\n"
	    "To:<p@aerzte.kim.telematik-test>\r\n\r\nhi\r\n");
	/* over the limit: nothing more is kept, and nothing rendered */
	m.limit = 10;
	mail_add_body(&m, (const unsigned char *)"0123456789", 10);
	ck_assert_int_eq(m.overflow, 1);
	ck_assert_int_eq(mail_render(&m, NULL, &out), -1);
	mail_clear(&m);
	buf_free(&out);
}
END_TEST

START_TEST(test_mail_replace_order)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct mail m = MAIL_INIT;
	struct mail_header route = {(char *)"X-Kimgate-Route", (char *)" kardio"};
	static const char msg[] = "From: <k@x.kim.telematik-test>\r\n"
	    "Subject: KOM-LE-Nachricht\r\nX-Long: a\r\n b\r\n\r\nQUJD\r\n";

	mail_add_header(&m, "Received", " one");
	mail_add_header(&m, "From", " <a@kardio.example>");
	mail_add_header(&m, "received", " two");
	mail_add_header(&m, "Thread-Topic", " secret subject");
	ck_assert_int_eq(mail_replace(&io, &m, NULL, &route, 1,
	    (const unsigned char *)msg, sizeof(msg) - 1), 0);
	/*
	 * Every original header is deleted, the last first: the second
	 * Received (index 2) before the first (index 1). Then the new
	 * headers in order (folds as LF), the route header, the body once.
	 */
	ck_assert_str_eq(f.ops,
	    "del Thread-Topic 1\n"
	    "del received 2\n"
	    "del From 1\n"
	    "del Received 1\n"
	    "add From[ <k@x.kim.telematik-test>]\n"
	    "add Subject[ KOM-LE-Nachricht]\n"
	    "add X-Long[ a\n b]\n"
	    "add X-Kimgate-Route[ kardio]\n"
	    "body 6[QUJD\r\n]\n");
	ck_assert_int_eq(f.progress_after_body, 0);
	/* a header block without its end is refused before any edit */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(mail_replace(&io, &m, NULL, NULL, 0,
	    (const unsigned char *)"From: x\r\n", 9), -2);
	ck_assert_str_eq(f.ops, "");
	mail_clear(&m);
}
END_TEST

/* senders the gate refuses at end of message, with the policy's answer */
static const struct {
	const char *sender;
	const char *rcode;
	const char *text;
} gate_refusals[] = {
	{"<>", "5", "KIM"},				/* bounce: default */
	{"<x@elsewhere.example>", "5", "KIM"},	/* uncovered: default */
	{"<y@verwaltung.example>", "5", "KIM"},	/* KimSending no */
};

START_TEST(test_gate_policy_refusal)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;
	enum verdict v;

	open_session(&s, "kimgate");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, gate_refusals[_i].sender,
	    NULL), V_CONTINUE);
	v = gate_eom(&s, &io);
	ck_assert_int_ne(v, V_CONTINUE);
	ck_assert_int_ne(v, V_ACCEPT);
	ck_assert_msg(f.rcode[0] == gate_refusals[_i].rcode[0],
	    "%s: got %s %s %s", gate_refusals[_i].sender, f.rcode, f.xcode,
	    f.text);
	ck_assert_ptr_nonnull(strstr(f.text, gate_refusals[_i].text));
	ck_assert_int_eq(s.in_txn, 0);
}
END_TEST

START_TEST(test_gate_size)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;
	char *big[] = {"BODY=8BITMIME", "SIZE=5000", NULL};
	char *small[] = {"SIZE=100", NULL};

	/* SIZE= above the policy's 1K: refused at MAIL FROM */
	open_session(&s, "kimgate");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>", big),
	    V_REJECT);
	ck_assert_str_eq(f.rcode, "552");
	ck_assert_int_eq(s.in_txn, 0);
	/* announced small, but the client mail is bigger: refused at EOM */
	memset(&f, 0, sizeof(f));
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>",
	    small), V_CONTINUE);
	{
		static unsigned char big4k[4000];

		ck_assert_int_eq(gate_body(&s, &io, big4k, sizeof(big4k)),
		    V_CONTINUE);
	}
	ck_assert_int_eq(gate_eom(&s, &io), V_REJECT);
	ck_assert_str_eq(f.rcode, "552");
}
END_TEST

START_TEST(test_gate_dienstkennung)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	/* a Dienstkennung the policy does not allow */
	open_session(&s, "kimgate");
	session_begin(&s);
	session_envfrom(&s, &io, "<a@kardio.example>", NULL);
	gate_header(&s, &io, "X-KIM-Dienstkennung", " eAU;Lieferung;v1.0");
	ck_assert_int_eq(gate_eom(&s, &io), V_REJECT);
	ck_assert_str_eq(f.rcode, "550");
	/* two of them: refused, never guessed */
	memset(&f, 0, sizeof(f));
	session_begin(&s);
	session_envfrom(&s, &io, "<a@kardio.example>", NULL);
	gate_header(&s, &io, "X-KIM-Dienstkennung", "KIM-Mail;Default;V1.0");
	gate_header(&s, &io, "x-kim-dienstkennung", "KIM-Mail;Default;V1.0");
	ck_assert_int_eq(gate_eom(&s, &io), V_REJECT);
	ck_assert_ptr_nonnull(strstr(f.text, "more than one"));
	/* the allowed one passes the policy (then: no recipient, 4xx) */
	memset(&f, 0, sizeof(f));
	session_begin(&s);
	session_envfrom(&s, &io, "<a@kardio.example>", NULL);
	gate_header(&s, &io, "X-KIM-Dienstkennung", "KIM-Mail;Default;V1.0");
	ck_assert_int_eq(gate_eom(&s, &io), V_TEMPFAIL);
	ck_assert_str_eq(f.xcode, "4.3.0");
	ck_assert_ptr_nonnull(strstr(f.text, "no KIM recipient"));
}
END_TEST

START_TEST(test_front_policy)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	/* KimSending no: 550 5.7.1 for each KIM recipient at the front */
	open_session(&s, "kimfront");
	session_begin(&s);
	session_envfrom(&s, &io, "<y@verwaltung.example>", NULL);
	ck_assert_int_eq(front_envrcpt(&s, &io,
	    "<praxis@aerzte.kim.telematik-test>"), V_REJECT);
	ck_assert_str_eq(f.rcode, "550");
	ck_assert_str_eq(f.xcode, "5.7.1");
	/* ... and normal recipients of the same sender are untouched */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(front_envrcpt(&s, &io, "<b@example.net>"),
	    V_CONTINUE);
	/* our own KIM address (inbound) is never refused */
	ck_assert_int_eq(front_envrcpt(&s, &io,
	    "<kardio@klinik.kim.telematik-test>"), V_CONTINUE);
	ck_assert_int_eq(f.replies, 0);
	/* uncovered senders are decided at the gate, not at the front */
	session_end(&s, "abort", NULL);
	session_begin(&s);
	session_envfrom(&s, &io, "<x@elsewhere.example>", NULL);
	ck_assert_int_eq(front_envrcpt(&s, &io,
	    "<praxis@aerzte.kim.telematik-test>"), V_CONTINUE);
	session_end(&s, "abort", NULL);
}
END_TEST

START_TEST(test_directory_down)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;
	struct buf why = BUF_INIT;

	/* a directory nobody answers on: 451 4.4.3, never "no such user" */
	write_file("DirectoryURI ldap://127.0.0.1:9/\n"
	    "DirectoryConnectTimeout 1s\nDirectoryTimeout 2s\n");
	ck_assert_msg(state_reload(&why) == 0, "%s", buf_str(&why));
	open_session(&s, "kimfront");
	session_begin(&s);
	session_envfrom(&s, &io, "<a@kardio.example>", NULL);
	ck_assert_int_eq(front_envrcpt(&s, &io,
	    "<praxis@aerzte.kim.telematik-test>"), V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_str_eq(f.xcode, "4.4.3");
	session_end(&s, "abort", NULL);
	buf_free(&why);
}
END_TEST

/* no name, Postfix's default name, a typo: never front, always tempfail */
static const char *unknown_names[] = {NULL, "mail.example.org", "kimgat",
    "KIMGATE", ""};

START_TEST(test_unknown_listener)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	open_session(&s, unknown_names[_i]);
	session_begin(&s);
	ck_assert_int_eq(s.role, CONF_ROLE_NONE);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>", NULL),
	    V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_str_eq(f.xcode, "4.3.5");
	ck_assert_ptr_nonnull(strstr(f.text, "Listener"));
	ck_assert_ptr_nonnull(strstr(f.text, "milter_macro_daemon_name"));
}
END_TEST

START_TEST(test_inbound_passes)
{
	static const unsigned char body[] = "hello\r\n";
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	/* a plain mail to our own KIM address passes unchanged at the body */
	open_session(&s, "kiminbound");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<p@kim.example>", NULL),
	    V_CONTINUE);
	ck_assert_int_eq(inbound_envrcpt(&s, &io,
	    "<kardio@klinik.kim.telematik-test>"), V_CONTINUE);
	ck_assert_int_eq(inbound_envrcpt(&s, &io, "<x@elsewhere.example>"),
	    V_CONTINUE);
	ck_assert_int_eq(s.nrcpts, 1);
	ck_assert_int_eq(inbound_header(&s, &io, "X-KOM-LE-Version", " 1.5"),
	    V_CONTINUE);
	ck_assert_int_eq(inbound_header(&s, &io, "Content-Type",
	    " text/plain"), V_CONTINUE);
	ck_assert_int_eq(inbound_body(&s, &io, body, sizeof(body) - 1),
	    V_ACCEPT);
	ck_assert_int_eq(s.in_txn, 0);
	/* the inbound role never answers 5xx, and changed nothing */
	ck_assert_int_eq(f.replies, 0);
	ck_assert_str_eq(f.ops, "");

	/* a KIM message to nobody of ours passes unchanged too */
	open_session(&s, "kiminbound");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<p@kim.example>", NULL),
	    V_CONTINUE);
	ck_assert_int_eq(inbound_envrcpt(&s, &io, "<x@elsewhere.example>"),
	    V_CONTINUE);
	inbound_header(&s, &io, "X-KOM-LE-Version", " 1.5");
	inbound_header(&s, &io, "Content-Type", " application/pkcs7-mime; "
	    "smime-type=authenticated-enveloped-data");
	ck_assert_int_eq(inbound_eom(&s, &io), V_ACCEPT);
	ck_assert_int_eq(f.replies, 0);
	ck_assert_str_eq(f.ops, "");
}
END_TEST

START_TEST(test_inbound_strip)
{
	static const char in[] = "X-KIM-DecryptionResult: 00\r\n"
	    "From: a@b\r\nx-kimgate-route: acc\r\n\tfolded\r\n"
	    "Subject: s\r\nX-KIM-IntegrityCheckResult : 01\r\n\r\n"
	    "X-KIM-DecryptionResult: 00 in the body stays\r\n";
	static const char *const names[] = {"X-KIM-DecryptionResult",
	    "X-KIM-IntegrityCheckResult", "X-Kimgate-Route", NULL};
	struct buf out = BUF_INIT;

	ck_assert_int_eq(inbound_strip((const unsigned char *)in,
	    sizeof(in) - 1, names, &out), 0);
	ck_assert_str_eq(buf_str(&out), "From: a@b\r\nSubject: s\r\n\r\n"
	    "X-KIM-DecryptionResult: 00 in the body stays\r\n");
	buf_free(&out);
}
END_TEST

START_TEST(test_reload_keeps_transactions)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;
	struct buf why = BUF_INIT;
	struct conf *before;

	open_session(&s, "gate2");
	session_begin(&s);
	before = s.conf;
	ck_assert_int_eq(s.role, CONF_ROLE_NONE);

	/* a broken file keeps the old configuration */
	write_file("Listener gate2 role=gate\nUMask 9\n");
	ck_assert_int_eq(state_reload(&why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "old configuration kept"));
	{
		struct conf *c = state_conf();

		ck_assert_ptr_eq(c, before);
		conf_unref(c);
	}
	/* a good file is swapped in; the transaction keeps its own */
	write_file("Listener gate2 role=gate\n");
	ck_assert_int_eq(state_reload(&why), 0);
	ck_assert_ptr_eq(s.conf, before);
	ck_assert_int_eq(conf_role_of(s.conf, "gate2"), CONF_ROLE_NONE);
	session_end(&s, "abort", NULL);
	/* the next transaction sees the new listener */
	session_begin(&s);
	ck_assert_int_eq(s.role, CONF_ROLE_GATE);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@kardio.example>", NULL),
	    V_CONTINUE);
	ck_assert_int_eq(gate_eom(&s, &io), V_TEMPFAIL);
	ck_assert_str_eq(f.xcode, "4.3.0");
	buf_free(&why);
}
END_TEST

START_TEST(test_reply_is_one_ascii_line)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};

	mio_setreply(&io, "550", "5.1.1", "100% f\xc3\xbcr\r\nX-Forged: 1");
	ck_assert_str_eq(f.text, "100%% f??r??X-Forged: 1");
}
END_TEST

START_TEST(test_drain)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	/* state_drain would stop the real milter; only the flag path here */
	open_session(&s, "kimfront");
	session_begin(&s);
	ck_assert_int_eq(state_draining(), 0);
	session_end(&s, "abort", NULL);
	ck_assert_int_eq(state_active(0), 0);
	(void)io;
}
END_TEST

static Suite *
milter_suite(void)
{
	Suite *s = suite_create("milter");
	TCase *tc = tcase_create("pipelines");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_front_fast_path);
	tcase_add_test(tc, test_gate_no_directory);
	tcase_add_test(tc, test_mail_render);
	tcase_add_test(tc, test_mail_replace_order);
	tcase_add_loop_test(tc, test_gate_policy_refusal, 0,
	    sizeof(gate_refusals) / sizeof(gate_refusals[0]));
	tcase_add_test(tc, test_gate_size);
	tcase_add_test(tc, test_gate_dienstkennung);
	tcase_add_test(tc, test_front_policy);
	tcase_add_test(tc, test_directory_down);
	tcase_add_loop_test(tc, test_unknown_listener, 0,
	    sizeof(unknown_names) / sizeof(unknown_names[0]));
	tcase_add_test(tc, test_inbound_passes);
	tcase_add_test(tc, test_inbound_strip);
	tcase_add_test(tc, test_reload_keeps_transactions);
	tcase_add_test(tc, test_reply_is_one_ascii_line);
	tcase_add_test(tc, test_drain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(milter_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
