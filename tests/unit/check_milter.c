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
#include <unistd.h>

#include "milter.h"

struct fake {
	char rcode[8], xcode[16], text[600];
	int replies;
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

static int
fake_progress(void *h)
{
	return 0;
}

static const struct mio_ops fake_ops = {fake_getsymval, fake_setreply,
    fake_progress};

static char dir[] = "/tmp/check_milter.XXXXXX";
static char path[300];

static void
write_file(const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
setup(void)
{
	struct buf diag = BUF_INIT;
	struct conf *c;

	strcpy(dir, "/tmp/check_milter.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kim-milter.conf", dir);
	write_file("Syslog no\nLogLevel error\n");
	c = conf_load(path, &diag);
	ck_assert_msg(c != NULL, "%s", buf_str(&diag));
	buf_free(&diag);
	state_init(c, path);
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
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@example.org>"),
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

START_TEST(test_gate_holds)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	open_session(&s, "kimgate");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@example.org>"),
	    V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_str_eq(f.xcode, "4.3.0");
	ck_assert_ptr_nonnull(strstr(f.text, "KIM path not configured yet"));
	ck_assert_int_eq(s.in_txn, 0);
	ck_assert_int_eq(state_active(0), 0);
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
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@example.org>"),
	    V_TEMPFAIL);
	ck_assert_str_eq(f.rcode, "451");
	ck_assert_str_eq(f.xcode, "4.3.5");
	ck_assert_ptr_nonnull(strstr(f.text, "Listener"));
	ck_assert_ptr_nonnull(strstr(f.text, "milter_macro_daemon_name"));
}
END_TEST

START_TEST(test_inbound_passes)
{
	struct fake f = {0};
	struct mio io = {&fake_ops, &f};
	struct session s;

	open_session(&s, "kiminbound");
	session_begin(&s);
	ck_assert_int_eq(session_envfrom(&s, &io, "<p@kim.example>"),
	    V_ACCEPT);
	/* the inbound role never answers 5xx */
	ck_assert_int_eq(f.replies, 0);
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
	write_file("Syslog no\nLogLevel error\nListener gate2 role=gate\n"
	    "UMask 9\n");
	ck_assert_int_eq(state_reload(&why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "old configuration kept"));
	{
		struct conf *c = state_conf();

		ck_assert_ptr_eq(c, before);
		conf_unref(c);
	}
	/* a good file is swapped in; the transaction keeps its own */
	write_file("Syslog no\nLogLevel error\nListener gate2 role=gate\n");
	ck_assert_int_eq(state_reload(&why), 0);
	ck_assert_ptr_eq(s.conf, before);
	ck_assert_int_eq(conf_role_of(s.conf, "gate2"), CONF_ROLE_NONE);
	session_end(&s, "abort", NULL);
	/* the next transaction sees the new listener */
	session_begin(&s);
	ck_assert_int_eq(s.role, CONF_ROLE_GATE);
	ck_assert_int_eq(session_envfrom(&s, &io, "<a@example.org>"),
	    V_TEMPFAIL);
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
	tcase_add_test(tc, test_gate_holds);
	tcase_add_loop_test(tc, test_unknown_listener, 0,
	    sizeof(unknown_names) / sizeof(unknown_names[0]));
	tcase_add_test(tc, test_inbound_passes);
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
