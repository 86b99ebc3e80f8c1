/*
 * check_conf.c - the config loader: defaults, every value type, every load
 * error with file:line, object lines, and that the manual covers the table.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"

static char tmpl[] = "/tmp/check_conf.XXXXXX";
static char *dir;

/* write_conf - put text into a fresh file, return its path (static) */
static const char *
write_conf(const char *text)
{
	static char path[256];
	static int n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c%d.conf", dir, n++);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
setup(void)
{
	strcpy(tmpl, "/tmp/check_conf.XXXXXX");
	dir = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_defaults)
{
	struct buf diag = BUF_INIT;
	struct conf *c = conf_load(write_conf("# only a comment\n\n"), &diag);

	ck_assert_msg(c != NULL, "diag: %s", buf_str(&diag));
	ck_assert_str_eq(c->socket, "inet:10025@127.0.0.1");
	ck_assert_ptr_null(c->user);
	ck_assert_int_eq(c->umask, 007);
	ck_assert_int_eq(c->syslog, 1);
	ck_assert_int_eq(c->syslog_facility, LOG_MAIL);
	ck_assert_int_eq(c->background, 1);
	ck_assert_uint_eq(c->drain_timeout, 600);
	ck_assert_uint_eq(c->n_kim_domains, 2);
	ck_assert_str_eq(c->kim_domains[0], "kim.telematik");
	ck_assert_str_eq(c->kim_domains[1], "kim.telematik-test");
	ck_assert_int_eq(conf_role_of(c, "kimfront"), CONF_ROLE_FRONT);
	ck_assert_int_eq(conf_role_of(c, "kimgate"), CONF_ROLE_GATE);
	ck_assert_int_eq(conf_role_of(c, "kiminbound"), CONF_ROLE_INBOUND);
	ck_assert_int_eq(conf_role_of(c, "mail.example.org"), CONF_ROLE_NONE);
	ck_assert_int_eq(conf_role_of(c, NULL), CONF_ROLE_NONE);
	conf_unref(c);
	buf_free(&diag);
}
END_TEST

START_TEST(test_values)
{
	struct buf diag = BUF_INIT;
	struct conf *c = conf_load(write_conf(
	    "Socket   inet6:9999@[::1]   # trailing comment\n"
	    "socket_is_not_a_key_but_case_is_free_below yes\n"), &diag);

	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag),
	    ":2: unknown key \"socket_is_not_a_key_but_case_is_free_below\""));
	buf_reset(&diag);
	c = conf_load(write_conf(
	    "SOCKET local:/run/kim/milter.sock\n"
	    "UserID root:root\n"
	    "PidFile /run/kim-milter.pid\n"
	    "UMask 027\n"
	    "Syslog no\n"
	    "SyslogFacility local3\n"
	    "LogLevel debug\n"
	    "Background off\n"
	    "ControlSocket /tmp/x/control\n"
	    "DrainTimeout 2m\n"
	    "KimDomains KIM.Telematik-Test,example.kim\n"
	    "Listener front1 role=front\n"
	    "Listener \"gate-b\" role=GATE\n"
	    "Card smcb1 pool=klinikum backend=soft key=\"/a b/k.pem\"\n"), &diag);
	ck_assert_msg(c != NULL, "diag: %s", buf_str(&diag));
	ck_assert_str_eq(c->socket, "local:/run/kim/milter.sock");
	ck_assert_str_eq(c->user, "root:root");
	ck_assert_int_eq(c->umask, 027);
	ck_assert_int_eq(c->syslog, 0);
	ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
	ck_assert_int_eq(c->log_level, 3);
	ck_assert_int_eq(c->background, 0);
	ck_assert_uint_eq(c->drain_timeout, 120);
	ck_assert_str_eq(c->kim_domains[0], "kim.telematik-test");
	ck_assert_str_eq(c->kim_domains[1], "example.kim");
	/* explicit Listener lines replace the defaults */
	ck_assert_int_eq(conf_role_of(c, "kimgate"), CONF_ROLE_NONE);
	ck_assert_int_eq(conf_role_of(c, "gate-b"), CONF_ROLE_GATE);
	ck_assert_int_eq(conf_role_of(c, "front1"), CONF_ROLE_FRONT);
	ck_assert_uint_eq(c->n_cards, 1);
	ck_assert_str_eq(c->cards[0].pool, "klinikum");
	ck_assert_str_eq(conf_card_field(&c->cards[0], "key"), "/a b/k.pem");
	conf_unref(c);
	buf_free(&diag);
}
END_TEST

/* every load error, with the line it must name */
static const struct {
	const char *text;
	const char *expect;
} bad[] = {
    {"Socket tcp:25\n", ":1: Socket: \"tcp:25\" is not a socket"},
    {"Socket inet:0@127.0.0.1\n", ":1: Socket: \"inet:0@127.0.0.1\" is not a socket"},
    {"Socket inet:70000\n", "is not a socket"},
    {"Socket local:relative\n", "a local socket needs an absolute path"},
    {"UserID no-such-user-here\n", ":1: UserID: unknown user \"no-such-user-here\""},
    {"UserID root:no-such-group-here\n", "unknown group \"no-such-group-here\""},
    {"PidFile run/x.pid\n", "is not an absolute path"},
    {"UMask 9\n", ":1: UMask: \"9\" is not an octal mode"},
    {"Syslog maybe\n", ":1: Syslog: \"maybe\" is not yes or no"},
    {"SyslogFacility kern\n", "unknown syslog facility \"kern\""},
    {"LogLevel loud\n", "unknown log level \"loud\""},
    {"DrainTimeout 5x\n", "is not a duration"},
    {"DrainTimeout 0\n", "out of range"},
    {"\n\nBackground\n", ":3: key \"Background\" has no value"},
    {"Frobnicate 1\n", ":1: unknown key \"Frobnicate\""},
    {"Socket inet:1@a\nSocket inet:2@a\n", ":2: Socket is already set at line 1"},
    {"Listener kimgate\n", "role= is missing"},
    {"Listener kimgate role=relay\n", "unknown role \"relay\""},
    {"Listener kimgate role=gate color=red\n", "unknown field \"color\""},
    {"Listener a role=gate\nListener a role=front\n", ":2: Listener: listener \"a\" is already defined"},
    {"Listener role=gate\n", "missing object name"},
    {"Listener g role=\"gate\n", "unterminated quoted string"},
    {"Listener g role gate\n", "expected field=value"},
    {"Listener g role=gate role=front\n", "field \"role\" given twice"},
    {"Listener g/h role=gate\n", "a daemon name has only letters"},
    {"Card c1 backend=soft\n", "card \"c1\": pool= is missing"},
    {"Card c1 pool=p backend=hsm\n", "backend= must be soft or pcsc"},
    {"Card c1 pool=p backend=soft\nCard c1 pool=p backend=soft\n", ":2: Card: card \"c1\" is already defined at line 1"},
    {"KimDomains ,,\n", "empty list"},
    {"Syslog yes\x01\n", ":1: control character"},
};

START_TEST(test_errors)
{
	struct buf diag = BUF_INIT;
	struct conf *c = conf_load(write_conf(bad[_i].text), &diag);

	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(buf_str(&diag), bad[_i].expect) != NULL,
	    "case %d: expected \"%s\" in \"%s\"", _i, bad[_i].expect,
	    buf_str(&diag));
	buf_free(&diag);
}
END_TEST

START_TEST(test_all_errors_reported)
{
	struct buf diag = BUF_INIT;
	struct conf *c = conf_load(write_conf(
	    "Syslog maybe\nUMask 9\nFoo bar\n"), &diag);

	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), ":1:"));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), ":2:"));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), ":3:"));
	buf_free(&diag);
}
END_TEST

START_TEST(test_missing_file)
{
	struct buf diag = BUF_INIT;

	ck_assert_ptr_null(conf_load("/nonexistent/kim-milter.conf", &diag));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag),
	    "/nonexistent/kim-milter.conf: cannot open"));
	buf_free(&diag);
}
END_TEST

START_TEST(test_refcount)
{
	struct conf *c = conf_defaults();

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(conf_ref(c), c);
	conf_unref(c);
	ck_assert_int_eq(c->refs, 1);
	conf_unref(c);
	conf_unref(NULL);
}
END_TEST

/* manual_has - every key of the table is documented in kim-milter.conf(5) */
static void
manual_has(const char *key, void *arg)
{
	const char *man = arg;
	char needle[128];

	snprintf(needle, sizeof(needle), "\n.B %s\n", key);
	ck_assert_msg(strstr(man, needle) != NULL,
	    "kim-milter.conf(5) does not document %s", key);
}

START_TEST(test_manual_complete)
{
	FILE *fp = fopen(TEST_SRCDIR "/man/kim-milter.conf.5", "r");
	static char man[200000];
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(man, 1, sizeof(man) - 1, fp);
	man[n] = 0;
	fclose(fp);
	conf_keys_each(manual_has, man);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_values);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_manual_complete);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
