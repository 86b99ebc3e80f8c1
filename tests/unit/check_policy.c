/*
 * check_policy.c - policy files: every key, every load error with
 * file:line, precedence (ties included), the default policy, the front's
 * and the gate's answers, the lint, and that the manual covers every key.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "policy.h"
#include "policy_int.h"

static char tmpl[64];
static char *dir;
static char pdir[300];
static struct conf *conf;

/* put - write text into pdir/name */
static void
put(const char *name, const char *text)
{
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
setup(void)
{
	char path[400];
	struct buf diag = BUF_INIT;
	FILE *fp;

	strcpy(tmpl, "/tmp/check_policy.XXXXXX");
	dir = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(dir);
	snprintf(pdir, sizeof(pdir), "%s/policy.d", dir);
	ck_assert_int_eq(mkdir(pdir, 0755), 0);
	snprintf(path, sizeof(path), "%s/kim-milter.conf", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("KimDomains kim.telematik\n"
	    "LocalKimAddresses Posteingang@Klinikum.KIM.telematik\n"
	    "Card smcb1 pool=klinikum backend=soft\n"
	    "Card smcb2 pool=klinikum backend=soft\n"
	    "Card smcb3 pool=radiologie backend=pcsc\n", fp);
	fclose(fp);
	conf = conf_load(path, &diag);
	ck_assert_msg(conf != NULL, "%s", buf_str(&diag));
	buf_free(&diag);
}

static void
teardown(void)
{
	char cmd[300];

	conf_unref(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* put_at - write text into path with mode */
static void
put_at(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* unlink_p - remove pdir/name */
static int
unlink_p(const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	return unlink(path);
}

/* load - the set of pdir, asserting success */
static struct policy_set *
load(void)
{
	struct buf diag = BUF_INIT;
	struct policy_set *set = policy_set_load(pdir, conf, &diag);

	ck_assert_msg(set != NULL, "load failed: %s", buf_str(&diag));
	ck_assert_str_eq(buf_str(&diag), "");
	buf_free(&diag);
	return set;
}

/* load_fails - refuses, and diag holds every expected text */
static void
load_fails(const char *expect1, const char *expect2)
{
	struct buf diag = BUF_INIT;
	struct policy_set *set = policy_set_load(pdir, conf, &diag);

	ck_assert_msg(set == NULL, "loaded, expected \"%s\"", expect1);
	ck_assert_msg(strstr(buf_str(&diag), expect1) != NULL,
	    "expected \"%s\" in \"%s\"", expect1, buf_str(&diag));
	if (expect2)
		ck_assert_msg(strstr(buf_str(&diag), expect2) != NULL,
		    "expected \"%s\" in \"%s\"", expect2, buf_str(&diag));
	buf_free(&diag);
}

START_TEST(test_every_key)
{
	struct policy_set *set;
	const struct policy *p;
	size_t i;

	put("kardiologie.conf",
	    "# Kardiologie\n"
	    "Description \"Kardiologie, Haus B\"\n"
	    "Sender *@kardio.klinikum.example, <Chef@Klinikum.Example>\n"
	    "sender *@*.herz.klinikum.example\n"
	    "KimSending yes\n"
	    "KimAddress Kardiologie@Klinikum.KIM.Telematik\n"
	    "CardPool klinikum\n"
	    "Dienstkennung Arztbrief;VHitG-Versand;V1.2\n"
	    "AllowDienstkennung KIM-Mail;Default;V1.0, eAU;Lieferung;v1.0\n"
	    "AllowDienstkennung arztbrief;vhitg-versand;v1.2\n"
	    "MaxMessageSize 10M\n"
	    "On-NoCertificate tempfail\n"
	    "On-DirectoryError reject\n"
	    "On-CardError reject\n"
	    "On-Oversize tempfail\n"
	    "On-PolicyDenied tempfail\n"
	    "ON-INTERNALERROR reject\n");
	set = load();
	ck_assert_uint_eq(policy_set_count(set), 1);
	p = policy_set_get(set, 0);
	ck_assert_str_eq(policy_name(p), "kardiologie");
	ck_assert_str_eq(policy_description(p), "Kardiologie, Haus B");
	ck_assert_ptr_nonnull(strstr(policy_file(p), "/policy.d/kardiologie.conf"));
	ck_assert_int_eq(policy_kim_allowed(p), 1);
	ck_assert_int_eq(policy_is_default(p), 0);
	ck_assert_str_eq(policy_kim_address(p), "kardiologie@klinikum.kim.telematik");
	ck_assert_str_eq(policy_card_pool(p), "klinikum");
	ck_assert_str_eq(policy_dienstkennung(p), "Arztbrief;VHitG-Versand;V1.2");
	/* the default once, then the allowed ones in file order */
	ck_assert_uint_eq(policy_dienstkennung_count(p), 3);
	ck_assert_str_eq(policy_dienstkennung_get(p, 1), "KIM-Mail;Default;V1.0");
	ck_assert_str_eq(policy_dienstkennung_get(p, 2), "eAU;Lieferung;v1.0");
	ck_assert_str_eq(policy_dienstkennung_allowed(p, " EAU;lieferung;V1.0 "),
	    "eAU;Lieferung;v1.0");
	ck_assert_ptr_null(policy_dienstkennung_allowed(p, "eEB;Anfrage;V1.1"));
	ck_assert_uint_eq(policy_max_size(p), 10UL * 1024 * 1024);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_NO_CERTIFICATE), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_DIRECTORY), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_CARD), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_OVERSIZE), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_DENIED), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_INTERNAL), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_line(p, "Sender"), 3);
	ck_assert_int_eq(policy_line(p, "kimaddress"), 6);
	ck_assert_int_eq(policy_line(p, "On-InternalError"), 17);
	/* the patterns were lower-cased and <> stripped */
	ck_assert_ptr_eq(policy_match(set, "chef@klinikum.example"), p);
	ck_assert_ptr_eq(policy_match(set, "a@x.herz.klinikum.example"), p);
	for (i = 0; i < POLICY_FAIL_COUNT; i++)
		ck_assert_int_ne(policy_line(p, policy_failure_key(i)), 0);
	policy_set_unref(set);
}
END_TEST

START_TEST(test_defaults)
{
	struct policy_set *set;
	const struct policy *p;

	put("verwaltung.conf", "Sender *@klinikum.example\nKimSending no\n");
	set = load();
	p = policy_set_get(set, 0);
	ck_assert_int_eq(policy_kim_allowed(p), 0);
	ck_assert_ptr_null(policy_kim_address(p));
	ck_assert_ptr_null(policy_card_pool(p));
	ck_assert_ptr_null(policy_description(p));
	ck_assert_str_eq(policy_dienstkennung(p), "KIM-Mail;Default;V1.0");
	ck_assert_uint_eq(policy_dienstkennung_count(p), 1);
	ck_assert_uint_eq(policy_max_size(p), 15728640);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_NO_CERTIFICATE), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_DIRECTORY), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_CARD), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_OVERSIZE), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_DENIED), POLICY_ACTION_REJECT);
	ck_assert_int_eq(policy_action(p, POLICY_FAIL_INTERNAL), POLICY_ACTION_TEMPFAIL);
	ck_assert_int_eq(policy_line(p, "CardPool"), 0);
	policy_set_unref(set);
}
END_TEST

#define OK_HEAD "Sender a@klinikum.example\nKimSending yes\n" \
	"KimAddress a@klinikum.kim.telematik\nCardPool klinikum\n"

/* every load error of one file, with the line it must name */
static const struct {
	const char *text;
	const char *expect;
} bad[] = {
    {OK_HEAD "Frobnicate 1\n", "p.conf:5: unknown key \"Frobnicate\""},
    {OK_HEAD "\nKimSending no\n", "p.conf:6: KimSending is already set at line 2"},
    {OK_HEAD "CardPool klinikum\n", "p.conf:5: CardPool is already set at line 4"},
    {OK_HEAD "MaxMessageSize\n", "p.conf:5: key \"MaxMessageSize\" has no value"},
    {OK_HEAD "Description \"x\x01\"\n", "p.conf:5: control character"},
    {"Sender a@klinikum.example\n", "p.conf: KimSending is missing: say yes or no"},
    {"KimSending no\n", "p.conf: no Sender line: the policy would cover nobody"},
    {"Sender a@klinikum.example\nKimSending maybe\n", "p.conf:2: KimSending \"maybe\" is not yes or no"},
    {"Sender a@klinikum.example\nKimSending yes\nCardPool klinikum\n",
	"p.conf:2: KimSending yes needs KimAddress"},
    {"Sender a@klinikum.example\nKimSending yes\nKimAddress a@x.kim.telematik\n",
	"p.conf:2: KimSending yes needs CardPool"},
    {"Sender <>\nKimSending no\n", "p.conf:1: Sender: the null sender <> cannot be listed"},
    {"Sender user@*.klinikum.example\nKimSending no\n",
	"p.conf:1: Sender \"user@*.klinikum.example\": not a pattern: use user@domain, *@domain or *@*.domain"},
    {"Sender *\nKimSending no\n", "p.conf:1: Sender \"*\": not a pattern"},
    {"Sender *@*\nKimSending no\n", "p.conf:1: Sender \"*@*\": not a pattern"},
    {"Sender *@*.*.example\nKimSending no\n", "not a pattern"},
    {"Sender nobody\nKimSending no\n", "p.conf:1: Sender \"nobody\": not a pattern"},
    {"Sender *@klinikum..example\nKimSending no\n", "not a pattern"},
    {"Sender a*b@klinikum.example\nKimSending no\n", "not a pattern"},
    {"Sender a@b.example, a@b.example\nKimSending no\n",
	"p.conf:1: Sender a@b.example is also listed in "},
    {"Sender a@b.example\nKimSending no\nKimAddress kim.telematik\n",
	"p.conf:3: KimAddress \"kim.telematik\" is not a mail address"},
    {"Sender a@b.example\nKimSending yes\nKimAddress a@klinikum.example\nCardPool klinikum\n",
	"p.conf:3: KimAddress a@klinikum.example is outside KimDomains (kim.telematik)"},
    {"Sender a@b.example\nKimSending yes\nKimAddress a@x.kim.telematik\nCardPool kardio\n",
	"p.conf:4: CardPool \"kardio\" is not the pool of any Card line in "},
    {"Sender a@b.example\nKimSending no\nCardPool a/b\n", "p.conf:3: CardPool \"a/b\": a pool name has only letters"},
    {OK_HEAD "Dienstkennung KIM-Mail;Default\n",
	"p.conf:5: Dienstkennung \"KIM-Mail;Default\" is not of the form <application>;<type>;<version>"},
    {OK_HEAD "Dienstkennung a;;c\n", "is not of the form"},
    {OK_HEAD "AllowDienstkennung eAU;Lieferung;v1.0 eEB;Anfrage\n",
	"p.conf:5: Dienstkennung \"eEB;Anfrage\" is not of the form"},
    {OK_HEAD "MaxMessageSize 16M\n",
	"p.conf:5: MaxMessageSize 16M is above 15M (15728640 bytes), the KIM 1.0 limit"},
    {OK_HEAD "MaxMessageSize 15728641\n", "the KIM 1.0 limit"},
    {OK_HEAD "MaxMessageSize 99999999999999999999999M\n", "is not a size"},
    {OK_HEAD "MaxMessageSize 100\n", "p.conf:5: MaxMessageSize 100 is below 1K"},
    {OK_HEAD "MaxMessageSize 10 MB\n", "p.conf:5: MaxMessageSize \"10 MB\" is not a size"},
    {OK_HEAD "MaxMessageSize lots\n", "is not a size"},
    {OK_HEAD "On-CardError accept\n",
	"p.conf:5: On-CardError accept is not allowed: mail to a KIM address must never leave unencrypted (fail closed)"},
    {OK_HEAD "On-InternalError quarantine\n",
	"p.conf:5: On-InternalError quarantine is not allowed: held mail keeps its route to the provider and would leave in plaintext"},
    {OK_HEAD "On-NoCertificate discard\n", "On-NoCertificate discard is not allowed"},
    {OK_HEAD "On-Oversize bounce\n", "p.conf:5: On-Oversize \"bounce\": use reject or tempfail"},
    {OK_HEAD "On-DirectoryError accept\n", "On-DirectoryError accept is not allowed"},
    {OK_HEAD "On-PolicyDenied quarantine\n", "On-PolicyDenied quarantine is not allowed"},
    {OK_HEAD "Default yes\n", "p.conf:1: Sender lines are not allowed in the default policy (line 5 says Default yes)"},
    {OK_HEAD "Default perhaps\n", "p.conf:5: Default \"perhaps\" is not yes or no"},
    {OK_HEAD "Description \"open\n", "p.conf:5: Description: unterminated quoted string"},
    /* the provider route (issue 7) */
    {OK_HEAD "KimAccount Kardio\n", "p.conf:5: KimAccount \"Kardio\": an account name has 1 to 48 of a-z, 0-9 and '-'"},
    {OK_HEAD "KimAccount herz_kreislauf\n", "p.conf:5: KimAccount \"herz_kreislauf\""},
    {OK_HEAD "KimAccount a123456789b123456789c123456789d123456789e12345678\n", "p.conf:5: KimAccount \"a1234"},
    {OK_HEAD "KimAccount a\nKimAccount b\n", "p.conf:6: KimAccount is already set at line 5"},
    {OK_HEAD "ProviderRelay mail.provider.example:465\n", "p.conf:5: ProviderRelay \"mail.provider.example:465\": write [host]:port"},
    {OK_HEAD "ProviderRelay [mail.provider.example]\n", "p.conf:5: ProviderRelay"},
    {OK_HEAD "ProviderRelay [mail.provider.example]:0\n", "p.conf:5: ProviderRelay"},
    {OK_HEAD "ProviderRelay [mail.provider.example]:65536\n", "p.conf:5: ProviderRelay"},
    {OK_HEAD "ProviderRelay [mail provider]:465\n", "p.conf:5: ProviderRelay"},
    {OK_HEAD "ProviderClientCert certs/a.pem\n", "p.conf:5: ProviderClientCert \"certs/a.pem\" is not an absolute path"},
    {OK_HEAD "ProviderClientKey a.key\n", "p.conf:5: ProviderClientKey \"a.key\" is not an absolute path"},
    {OK_HEAD "ProviderPasswordFile pw\n", "p.conf:5: ProviderPasswordFile \"pw\" is not an absolute path"},
    {OK_HEAD "ProviderLogin user:x\n", "p.conf:5: ProviderLogin \"user:x\": no blanks, ':'"},
};

START_TEST(test_route_keys)
{
	struct policy_set *set;
	const struct policy *p;

	put("kardiologie.conf", OK_HEAD
	    "KimAccount kardio-2\n"
	    "ProviderRelay [kim.provider.example]:465\n"
	    "ProviderClientCert /etc/kim-milter/kardio.crt\n"
	    "ProviderClientKey /etc/kim-milter/kardio.key\n"
	    "ProviderLogin kardio-login@provider\n"
	    "ProviderPasswordFile /etc/kim-milter/kardio.pw\n");
	put("radiologie.conf", "Sender r@klinikum.example\nKimSending yes\n"
	    "KimAddress r@klinikum.kim.telematik\nCardPool radiologie\n");
	set = load();
	p = policy_set_get(set, 0);
	ck_assert_str_eq(policy_kim_account(p), "kardio-2");
	ck_assert_str_eq(policy_provider_relay(p), "[kim.provider.example]:465");
	ck_assert_str_eq(policy_provider_client_cert(p), "/etc/kim-milter/kardio.crt");
	ck_assert_str_eq(policy_provider_client_key(p), "/etc/kim-milter/kardio.key");
	ck_assert_str_eq(policy_provider_login(p), "kardio-login@provider");
	ck_assert_str_eq(policy_provider_password_file(p), "/etc/kim-milter/kardio.pw");
	ck_assert_int_eq(policy_line(p, "KimAccount"), 5);
	/* defaults: the file stem, the conf's relay, the KIM address */
	p = policy_set_get(set, 1);
	ck_assert_str_eq(policy_kim_account(p), "radiologie");
	ck_assert_ptr_null(policy_provider_relay(p));
	ck_assert_ptr_null(policy_provider_client_cert(p));
	ck_assert_ptr_null(policy_provider_client_key(p));
	ck_assert_str_eq(policy_provider_login(p), "r@klinikum.kim.telematik");
	ck_assert_ptr_null(policy_provider_password_file(p));
	/* the built-in default sends no KIM and has no account */
	ck_assert_ptr_null(policy_kim_account(policy_set_default(set)));
	policy_set_unref(set);
	ck_assert(policy_relay_valid("[192.0.2.1]:465"));
	ck_assert(policy_relay_valid("[ipv6:2001:db8::1]:465"));
	ck_assert(!policy_relay_valid("[x]:4650000"));
	ck_assert(!policy_relay_valid("[]:465"));
	ck_assert(policy_account_valid("a"));
	ck_assert(!policy_account_valid(""));
	ck_assert(!policy_account_valid(NULL));
}
END_TEST

START_TEST(test_account_default)
{
	struct policy_set *set;

	/* a file name that is no account: lower-cased when it can be */
	put("Kardio-Logie.conf", OK_HEAD);
	set = load();
	ck_assert_str_eq(policy_kim_account(policy_set_get(set, 0)),
	    "kardio-logie");
	policy_set_unref(set);
	/* a sending policy whose stem cannot be an account needs the key */
	ck_assert_int_eq(unlink_p("Kardio-Logie.conf"), 0);
	put("herz_kreislauf.conf", OK_HEAD);
	load_fails("herz_kreislauf.conf:2: KimSending yes needs KimAccount "
	    "(the provider account, 1 to 48 of a-z, 0-9 and '-'): the file "
	    "name \"herz_kreislauf\" cannot be the default", NULL);
	put("herz_kreislauf.conf", OK_HEAD "KimAccount herz\n");
	set = load();
	ck_assert_str_eq(policy_kim_account(policy_set_get(set, 0)), "herz");
	policy_set_unref(set);
	/* one that sends no KIM needs no account */
	put("herz_kreislauf.conf", "Sender a@klinikum.example\nKimSending no\n");
	set = load();
	ck_assert_ptr_null(policy_kim_account(policy_set_get(set, 0)));
	policy_set_unref(set);
}
END_TEST

START_TEST(test_lint_accounts)
{
	struct policy_set *set;
	struct buf diag = BUF_INIT, notes = BUF_INIT;

	/* b shares a's account with another address; c shares a's address
	 * with another account; d is on its own; e sends no KIM */
	put("a.conf", OK_HEAD "KimAccount kardio\n");
	put("b.conf", "Sender b@klinikum.example\nKimSending yes\n"
	    "KimAddress b@klinikum.kim.telematik\nCardPool klinikum\n"
	    "KimAccount kardio\n");
	put("c.conf", "Sender c@klinikum.example\nKimSending yes\n"
	    "KimAddress a@klinikum.kim.telematik\nCardPool klinikum\n");
	put("d.conf", "Sender d@klinikum.example\nKimSending yes\n"
	    "KimAddress d@klinikum.kim.telematik\nCardPool klinikum\n");
	put("e.conf", "Sender e@klinikum.example\nKimSending no\n"
	    "KimAddress a@klinikum.kim.telematik\n");
	set = load();
	ck_assert_int_eq(policy_lint(set, conf, NULL, &diag, &notes), 2);
	ck_assert_msg(strstr(buf_str(&diag), "b.conf:5: KimAccount kardio is "
	    "also the account of ") != NULL, "%s", buf_str(&diag));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "a.conf (a@klinikum.kim."
	    "telematik), here of b@klinikum.kim.telematik"));
	ck_assert_msg(strstr(buf_str(&diag), "c.conf:3: KimAddress "
	    "a@klinikum.kim.telematik has KimAccount kardio in ") != NULL,
	    "%s", buf_str(&diag));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "a.conf, here c"));
	ck_assert_ptr_null(strstr(buf_str(&diag), "d.conf"));
	ck_assert_ptr_null(strstr(buf_str(&diag), "e.conf"));
	/* no relay anywhere: a note, not a problem */
	ck_assert_msg(strstr(buf_str(&notes), "no ProviderRelay in "
	    "kim-milter.conf nor in the policies of the accounts kardio, "
	    "kardio, c, d: ") != NULL, "%s", buf_str(&notes));
	buf_free(&diag);
	buf_free(&notes);
	policy_set_unref(set);
}
END_TEST

START_TEST(test_lint_provider_files)
{
	struct policy_set *set;
	struct buf diag = BUF_INIT, notes = BUF_INIT, text = BUF_INIT;
	char f[600];

	/* pw: mode 0644 (everyone reads it); key: missing; cert alone in b */
	snprintf(f, sizeof(f), "%s/pw", dir);
	put_at(f, "secret\n", 0644);
	snprintf(f, sizeof(f), "%s/crt", dir);
	put_at(f, "-----BEGIN CERTIFICATE-----\n", 0644);
	(void)buf_printf(&text, OK_HEAD "ProviderRelay [p.example]:465\n"
	    "ProviderClientCert %s/crt\nProviderClientKey %s/missing.key\n"
	    "ProviderPasswordFile %s/pw\n", dir, dir, dir);
	put("a.conf", buf_str(&text));
	buf_reset(&text);
	(void)buf_printf(&text, "Sender b@klinikum.example\nKimSending yes\n"
	    "KimAddress b@klinikum.kim.telematik\nCardPool klinikum\n"
	    "ProviderClientCert %s/crt\n", dir);
	put("b.conf", buf_str(&text));
	set = load();
	ck_assert_int_eq(policy_lint(set, conf, NULL, &diag, &notes), 3);
	ck_assert_msg(strstr(buf_str(&diag), "a.conf:7: ProviderClientKey ")
	    != NULL && strstr(buf_str(&diag), "/missing.key: No such file or "
	    "directory") != NULL, "%s", buf_str(&diag));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "a.conf:8: "
	    "ProviderPasswordFile "));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "/pw is readable by "
	    "everyone (chmod o-r "));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "b.conf:5: "
	    "ProviderClientCert without ProviderClientKey: give the account's "
	    "client certificate and its key, or neither"));
	policy_set_unref(set);
	/* fixed: a key, the password file 0640, b without a certificate */
	buf_reset(&diag);
	snprintf(f, sizeof(f), "%s/missing.key", dir);
	put_at(f, "k\n", 0600);
	snprintf(f, sizeof(f), "%s/pw", dir);
	ck_assert_int_eq(chmod(f, 0640), 0);
	put("b.conf", "Sender b@klinikum.example\nKimSending yes\n"
	    "KimAddress b@klinikum.kim.telematik\nCardPool klinikum\n");
	set = load();
	ck_assert_msg(policy_lint(set, conf, NULL, &diag, &notes) == 0, "%s",
	    buf_str(&diag));
	policy_set_unref(set);
	buf_free(&diag);
	buf_free(&notes);
	buf_free(&text);
}
END_TEST

START_TEST(test_conf_relay)
{
	struct policy_set *set;
	struct buf diag = BUF_INIT, notes = BUF_INIT;
	struct conf *saved = conf;
	char path[400];
	FILE *fp;

	/* the default is empty */
	ck_assert_ptr_null(conf->provider_relay);
	snprintf(path, sizeof(path), "%s/relay.conf", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("KimDomains kim.telematik\nCard smcb1 pool=klinikum "
	    "backend=soft\nProviderRelay kim.provider.example\n", fp);
	fclose(fp);
	conf = conf_load(path, &diag);
	ck_assert_msg(conf != NULL, "%s", buf_str(&diag));
	ck_assert_str_eq(conf->provider_relay, "kim.provider.example");
	put("a.conf", OK_HEAD);
	set = load();
	ck_assert_int_eq(policy_lint(set, conf, NULL, &diag, &notes), 1);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "relay.conf: "
	    "ProviderRelay \"kim.provider.example\": write [host]:port"));
	ck_assert_ptr_null(strstr(buf_str(&notes), "no ProviderRelay"));
	policy_set_unref(set);
	conf_unref(conf);
	conf = saved;
	buf_free(&diag);
	buf_free(&notes);
}
END_TEST

START_TEST(test_errors)
{
	put("p.conf", bad[_i].text);
	load_fails(bad[_i].expect, NULL);
}
END_TEST

START_TEST(test_quote_problem_in_description)
{
	struct policy_set *set;

	/* a lone quote in a free text is kept as written */
	put("p.conf", OK_HEAD "Description Herz \"und\" Kreislauf\n");
	set = load();
	ck_assert_str_eq(policy_description(policy_set_get(set, 0)),
	    "Herz \"und\" Kreislauf");
	policy_set_unref(set);
}
END_TEST

START_TEST(test_all_or_nothing)
{
	/* a good file does not make a set with a broken neighbour */
	put("a-good.conf", OK_HEAD);
	put("b-bad.conf", "Sender b@klinikum.example\nKimSending perhaps\n"
	    "On-CardError accept\n");
	put("c-bad.conf", "Sender c@klinikum.example\nFoo bar\n");
	load_fails("b-bad.conf:2: KimSending \"perhaps\"",
	    "b-bad.conf:3: On-CardError accept");
	load_fails("c-bad.conf:2: unknown key \"Foo\"",
	    "c-bad.conf: KimSending is missing");
}
END_TEST

START_TEST(test_file_selection)
{
	struct policy_set *set;

	put("radiologie.conf", "Sender *@radio.example\nKimSending no\n");
	/* broken, but none of these is read */
	put("radiologie.conf~", "garbage\n");
	put(".radiologie.conf.swp", "garbage\n");
	put("radiologie.conf.dpkg-old", "garbage\n");
	put("README", "garbage\n");
	put(".conf", "garbage\n");
	set = load();
	ck_assert_uint_eq(policy_set_count(set), 1);
	ck_assert_str_eq(policy_name(policy_set_get(set, 0)), "radiologie");
	ck_assert_str_eq(policy_set_dir(set), pdir);
	policy_set_unref(set);
}
END_TEST

START_TEST(test_unsafe_modes)
{
	char path[600];

	put("a.conf", "Sender a@b.example\nKimSending no\n");
	snprintf(path, sizeof(path), "%s/a.conf", pdir);
	ck_assert_int_eq(chmod(path, 0646), 0);
	load_fails("/a.conf: writable by others, who could choose who sends "
	    "as which KIM address (chmod o-w ", NULL);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(chmod(pdir, 0757), 0);
	load_fails("/policy.d: writable by others, who could add a policy",
	    NULL);
	ck_assert_int_eq(chmod(pdir, 0755), 0);
}
END_TEST

START_TEST(test_missing_dir)
{
	struct buf diag = BUF_INIT;

	ck_assert_ptr_null(policy_set_load("/nonexistent/policy.d", conf, &diag));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag),
	    "/nonexistent/policy.d: cannot open policy directory"));
	buf_free(&diag);
}
END_TEST

START_TEST(test_empty_dir)
{
	struct policy_set *set = load();
	const struct policy *p = policy_match(set, "a@klinikum.example");

	ck_assert_uint_eq(policy_set_count(set), 0);
	ck_assert_ptr_eq(p, policy_set_default(set));
	ck_assert_int_eq(policy_is_builtin(p), 1);
	ck_assert_int_eq(policy_kim_allowed(p), 0);
	policy_set_unref(set);
}
END_TEST

/* precedence: sender -> policy name, kind, line of the pattern */
static const struct {
	const char *sender;
	const char *policy;
	enum policy_why_kind kind;
	int line;
} prec[] = {
    {"chef@klinikum.example", "a-exact", POLICY_WHY_EXACT, 1},
    {"<CHEF@Klinikum.Example>", "a-exact", POLICY_WHY_EXACT, 1},
    {"chef@klinikum.example.", "a-exact", POLICY_WHY_EXACT, 1},
    {"other@klinikum.example", "c-domain", POLICY_WHY_DOMAIN, 2},
    {"x@kardio.klinikum.example", "b-kardio", POLICY_WHY_DOMAIN, 1},
    {"x@herz.kardio.klinikum.example", "d-sub-long", POLICY_WHY_SUBDOMAIN, 1},
    {"x@a.b.kardio.klinikum.example", "d-sub-long", POLICY_WHY_SUBDOMAIN, 1},
    {"x@radio.klinikum.example", "e-sub-short", POLICY_WHY_SUBDOMAIN, 1},
    {"x@klinikum.example.org", "built-in default", POLICY_WHY_NO_MATCH, 0},
    {"x@notklinikum.example", "built-in default", POLICY_WHY_NO_MATCH, 0},
    {"<>", "built-in default", POLICY_WHY_NULL_SENDER, 0},
    {"", "built-in default", POLICY_WHY_NULL_SENDER, 0},
    {"no-at-sign", "built-in default", POLICY_WHY_BAD_ADDRESS, 0},
    {NULL, "built-in default", POLICY_WHY_BAD_ADDRESS, 0},
};

START_TEST(test_precedence)
{
	struct policy_set *set;
	const struct policy *p;
	struct policy_why why;

	/* file order must not matter: the specific pattern wins */
	put("e-sub-short.conf", "Sender *@*.klinikum.example\nKimSending no\n");
	put("d-sub-long.conf", "Sender *@*.kardio.klinikum.example\nKimSending no\n");
	put("c-domain.conf", "Sender *@other.example\nSender *@klinikum.example\nKimSending no\n");
	put("b-kardio.conf", "Sender *@kardio.klinikum.example\nKimSending no\n");
	put("a-exact.conf", "Sender chef@klinikum.example\nKimSending no\n");
	set = load();
	p = policy_match_why(set, prec[_i].sender, &why);
	ck_assert_str_eq(policy_name(p), prec[_i].policy);
	ck_assert_int_eq(why.kind, prec[_i].kind);
	ck_assert_int_eq(why.line, prec[_i].line);
	if (prec[_i].line) {
		ck_assert_ptr_nonnull(strstr(why.file, prec[_i].policy));
		ck_assert_ptr_nonnull(why.pattern);
	} else {
		ck_assert_ptr_null(why.file);
		ck_assert_ptr_eq(p, policy_set_default(set));
	}
	policy_set_unref(set);
}
END_TEST

START_TEST(test_own_kim_address)
{
	struct policy_set *set;
	const struct policy *p;
	struct policy_why why;

	/*
	 * The gate sets a department's KIM address as the envelope sender;
	 * after "postsuper -r" that mail comes back with it and must find
	 * its department, not the default policy (which refuses KIM).
	 */
	put("kardio.conf", "Sender *@kardio.example\nKimSending yes\n"
	    "KimAddress kardio@klinik.kim.telematik\nCardPool klinikum\n");
	put("verw.conf", "Sender *@verw.example\nKimSending no\n"
	    "KimAddress verw@klinik.kim.telematik\n");
	set = load();
	p = policy_match_why(set, "<Kardio@Klinik.KIM.telematik>", &why);
	ck_assert_str_eq(policy_name(p), "kardio");
	ck_assert_int_eq(why.kind, POLICY_WHY_KIM_ADDRESS);
	ck_assert_int_eq(why.line, 3);
	/* a KIM address of a policy that may not send KIM: default */
	p = policy_match_why(set, "verw@klinik.kim.telematik", &why);
	ck_assert_ptr_eq(p, policy_set_default(set));
	policy_set_unref(set);
}
END_TEST

START_TEST(test_tie)
{
	put("kardiologie.conf", "# c\nSender *@Klinikum.example\nKimSending no\n");
	put("radiologie.conf", "KimSending no\n\n\nSender <*@klinikum.example>\n");
	load_fails("radiologie.conf:4: Sender *@klinikum.example is also listed in",
	    "kardiologie.conf:2: two equally specific patterns");
}
END_TEST

START_TEST(test_no_tie_between_kinds)
{
	struct policy_set *set;

	/* same domain, different kinds: not ambiguous */
	put("a.conf", "Sender *@klinikum.example\nKimSending no\n");
	put("b.conf", "Sender *@*.klinikum.example\nKimSending no\n");
	set = load();
	ck_assert_str_eq(policy_name(policy_match(set, "x@klinikum.example")), "a");
	ck_assert_str_eq(policy_name(policy_match(set, "x@y.klinikum.example")), "b");
	policy_set_unref(set);
}
END_TEST

START_TEST(test_default_file)
{
	struct policy_set *set;
	const struct policy *p;
	struct policy_decision d;

	put("a.conf", "Sender *@klinikum.example\nKimSending no\n");
	put("z-default.conf", "Default yes\nKimSending yes\n"
	    "KimAddress klinik@klinikum.kim.telematik\nCardPool klinikum\n");
	set = load();
	p = policy_match(set, "<>");
	ck_assert_str_eq(policy_name(p), "z-default");
	ck_assert_ptr_eq(p, policy_set_default(set));
	ck_assert_int_eq(policy_is_default(p), 1);
	ck_assert_int_eq(policy_is_builtin(p), 0);
	ck_assert_str_eq(policy_name(policy_match(set, "x@other.example")), "z-default");
	policy_gate_eom(p, "", 1000, NULL, &d);
	ck_assert_int_eq(d.verdict, POLICY_PASS);
	policy_set_unref(set);

	put("y-default.conf", "Default yes\nKimSending no\n");
	load_fails("z-default.conf:1: Default yes is already given in ",
	    "y-default.conf:1; only one policy can be the default");
}
END_TEST

/* front: policy file, sender, recipient -> verdict, codes */
static const struct {
	const char *file;	/* NULL: the built-in default */
	const char *text;
	enum policy_verdict verdict;
	const char *rcode, *xcode, *reason;
} front[] = {
    {"k.conf", OK_HEAD, POLICY_PASS, "", "", ""},
    {"v.conf", "Sender a@klinikum.example\nKimSending no\n", POLICY_REJECT,
	"550", "5.7.1", "sender a@klinikum.example may not send to KIM addresses (policy v); recipient praxis@arzt.kim.telematik refused"},
    {"v.conf", "Sender a@klinikum.example\nKimSending no\nOn-PolicyDenied tempfail\n",
	POLICY_TEMPFAIL, "450", "4.7.1", "may not send to KIM addresses"},
    /* the default policy is the gate's business: the front sees the
     * sender before the canonical maps */
    {NULL, NULL, POLICY_PASS, "", "", ""},
    {"d.conf", "Default yes\nKimSending no\n", POLICY_PASS, "", "", ""},
};

START_TEST(test_front)
{
	struct policy_set *set;
	struct policy_decision d;

	if (front[_i].file)
		put(front[_i].file, front[_i].text);
	set = load();
	policy_front_rcpt(policy_match(set, "a@klinikum.example"),
	    "a@klinikum.example", "praxis@arzt.kim.telematik", &d);
	ck_assert_int_eq(d.verdict, front[_i].verdict);
	ck_assert_str_eq(d.rcode, front[_i].rcode);
	ck_assert_str_eq(d.xcode, front[_i].xcode);
	ck_assert_msg(strstr(d.reason, front[_i].reason) != NULL,
	    "reason \"%s\"", d.reason);
	policy_set_unref(set);
}
END_TEST

/* gate: sender, size, Dienstkennung -> verdict, codes, reason, dk */
static const struct {
	const char *sender;
	size_t size;
	const char *dk;
	enum policy_verdict verdict;
	const char *rcode, *xcode, *reason, *dk_out;
} gate[] = {
    {"a@klinikum.example", 1000, NULL, POLICY_PASS, "", "", "", "KIM-Mail;Default;V1.0"},
    {"a@klinikum.example", 15728640, "eau;lieferung;V1.0", POLICY_PASS, "", "", "", "eAU;Lieferung;v1.0"},
    {"a@klinikum.example", 15728641, NULL, POLICY_REJECT, "552", "5.3.4",
	"message of 15728641 bytes is larger than the 15728640 bytes KIM allows for policy k", NULL},
    {"a@klinikum.example", 10, "Arztbrief;VHitG-Versand;V1.2", POLICY_REJECT, "550", "5.7.1",
	"X-KIM-Dienstkennung \"Arztbrief;VHitG-Versand;V1.2\" is not allowed for policy k", NULL},
    {"a@klinikum.example", 10, "bad\xc3\xa4%\r\nx", POLICY_REJECT, "550", "5.7.1",
	"X-KIM-Dienstkennung \"bad?????x\"", NULL},
    {"v@klinikum.example", 10, NULL, POLICY_REJECT, "550", "5.7.1",
	"sender v@klinikum.example may not send to KIM addresses (policy v)", NULL},
    {"t2@klinikum.example", 10, NULL, POLICY_TEMPFAIL, "450", "4.7.1", "(policy t2)", NULL},
    {"t@klinikum.example", 20000, NULL, POLICY_TEMPFAIL, "452", "4.3.4", "larger than the 10240 bytes", NULL},
    {"<>", 10, NULL, POLICY_REJECT, "550", "5.7.1",
	"mail with the null sender (a bounce) may not be sent to KIM addresses", NULL},
    {"x@elsewhere.example", 10, NULL, POLICY_REJECT, "550", "5.7.1",
	"sender x@elsewhere.example is not covered by any KIM policy and may not send to KIM addresses", NULL},
};

START_TEST(test_gate)
{
	struct policy_set *set;
	struct policy_decision d;

	put("k.conf", OK_HEAD "AllowDienstkennung eAU;Lieferung;v1.0\n");
	put("v.conf", "Sender v@klinikum.example\nKimSending no\n");
	put("t.conf", "Sender t@klinikum.example\nKimSending yes\n"
	    "KimAddress t@klinikum.kim.telematik\nCardPool radiologie\n"
	    "MaxMessageSize 10K\nOn-Oversize tempfail\n");
	put("t2.conf", "Sender t2@klinikum.example\nKimSending no\n"
	    "On-PolicyDenied tempfail\n");
	set = load();
	policy_gate_eom(policy_match(set, gate[_i].sender), gate[_i].sender,
	    gate[_i].size, gate[_i].dk, &d);
	ck_assert_int_eq(d.verdict, gate[_i].verdict);
	ck_assert_str_eq(d.rcode, gate[_i].rcode);
	ck_assert_str_eq(d.xcode, gate[_i].xcode);
	ck_assert_msg(strstr(d.reason, gate[_i].reason) != NULL,
	    "reason \"%s\"", d.reason);
	if (gate[_i].dk_out)
		ck_assert_str_eq(d.dienstkennung, gate[_i].dk_out);
	else
		ck_assert_ptr_null(d.dienstkennung);
	policy_set_unref(set);
}
END_TEST

/* every failure class under reject and under tempfail */
static const struct {
	enum policy_failure f;
	const char *rej[2], *tmp[2];
} classes[] = {
    {POLICY_FAIL_NO_CERTIFICATE, {"550", "5.1.1"}, {"450", "4.1.1"}},
    {POLICY_FAIL_DIRECTORY, {"550", "5.4.3"}, {"451", "4.4.3"}},
    {POLICY_FAIL_CARD, {"554", "5.3.0"}, {"451", "4.3.0"}},
    {POLICY_FAIL_OVERSIZE, {"552", "5.3.4"}, {"452", "4.3.4"}},
    {POLICY_FAIL_DENIED, {"550", "5.7.1"}, {"450", "4.7.1"}},
    {POLICY_FAIL_INTERNAL, {"554", "5.3.0"}, {"451", "4.3.0"}},
};

START_TEST(test_failure_classes)
{
	struct policy_set *set;
	struct policy_decision d;
	char text[200];
	const char *key = policy_failure_key(classes[_i].f);

	snprintf(text, sizeof(text), "Sender r@x.example\nKimSending no\n"
	    "%s reject\n", key);
	put("r.conf", text);
	snprintf(text, sizeof(text), "Sender t@x.example\nKimSending no\n"
	    "%s tempfail\n", key);
	put("t.conf", text);
	set = load();
	policy_decide_failure(policy_match(set, "r@x.example"), classes[_i].f,
	    "directory says: no certificate for praxis@arzt.kim.telematik", &d);
	ck_assert_int_eq(d.verdict, POLICY_REJECT);
	ck_assert_int_eq(d.failure, classes[_i].f);
	ck_assert_str_eq(d.rcode, classes[_i].rej[0]);
	ck_assert_str_eq(d.xcode, classes[_i].rej[1]);
	ck_assert_str_eq(d.reason,
	    "directory says: no certificate for praxis@arzt.kim.telematik");
	policy_decide_failure(policy_match(set, "t@x.example"), classes[_i].f,
	    NULL, &d);
	ck_assert_int_eq(d.verdict, POLICY_TEMPFAIL);
	ck_assert_str_eq(d.rcode, classes[_i].tmp[0]);
	ck_assert_str_eq(d.xcode, classes[_i].tmp[1]);
	ck_assert_int_ne(strlen(d.reason), 0);
	policy_set_unref(set);
}
END_TEST

START_TEST(test_rcpt_kind)
{
	struct policy_set *set;

	put("k.conf", OK_HEAD);
	set = load();
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "bob@example.org"), POLICY_RCPT_NOT_KIM);
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "<>"), POLICY_RCPT_NOT_KIM);
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "x@notkim.telematik"), POLICY_RCPT_NOT_KIM);
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "<Praxis@Arzt.KIM.telematik>"), POLICY_RCPT_KIM);
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "A@klinikum.kim.telematik"), POLICY_RCPT_OWN);
	ck_assert_int_eq(policy_rcpt_kind(set, conf, "posteingang@klinikum.kim.telematik"), POLICY_RCPT_OWN);
	ck_assert_str_eq(policy_rcpt_kind_name(POLICY_RCPT_OWN), "own");
	policy_set_unref(set);
}
END_TEST

/* dir_stub - a@ has no valid certificate, b@ cannot be asked, d@ unknown */
static int
dir_stub(const char *addr, void *arg, struct buf *err)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(addr, "b@klinikum.kim.telematik") == 0) {
		(void)buf_puts(err, "connection refused");
		return -1;
	}
	if (strcmp(addr, "a@klinikum.kim.telematik") == 0) {
		(void)buf_puts(err, "no valid certificate (expired)");
		return 0;
	}
	return strcmp(addr, "d@klinikum.kim.telematik") != 0;
}

START_TEST(test_lint)
{
	struct policy_set *set;
	struct buf diag = BUF_INIT, notes = BUF_INIT;
	struct policy_dir_check dc = {NULL, NULL, "DirectoryURI is not set",
	    NULL, NULL};
	int calls = 0;

	put("a.conf", OK_HEAD);
	put("b.conf", "Sender b@klinikum.example\nKimSending yes\n"
	    "KimAddress b@klinikum.kim.telematik\nCardPool klinikum\n");
	put("c.conf", "Sender c@klinikum.example\nKimSending yes\n\n"
	    "KimAddress a@klinikum.kim.telematik\nCardPool radiologie\n");
	put("d.conf", "Sender d@klinikum.example\nKimSending yes\n"
	    "KimAddress d@klinikum.kim.telematik\nCardPool klinikum\n");
	put("e.conf", "Sender e@klinikum.example\nKimSending no\n");
	set = load();
	/* without a directory: the pools clash, the check is skipped */
	/* ... and a and c give one address two provider accounts */
	ck_assert_int_eq(policy_lint(set, conf, NULL, &diag, &notes), 2);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "c.conf:4: KimAddress "
	    "a@klinikum.kim.telematik is also used in "));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "a.conf:3 with CardPool "
	    "klinikum, here with radiologie"));
	ck_assert_ptr_nonnull(strstr(buf_str(&notes),
	    "directory check skipped: no directory configured"));
	buf_reset(&diag);
	buf_reset(&notes);
	ck_assert_int_eq(policy_lint(set, conf, &dc, &diag, &notes), 2);
	ck_assert_ptr_nonnull(strstr(buf_str(&notes),
	    "directory check skipped: DirectoryURI is not set"));
	buf_reset(&diag);
	buf_reset(&notes);
	/* with one: a@ (a, c) unusable, b not asked, d unknown; e sends no KIM */
	dc.known = dir_stub;
	dc.arg = &calls;
	ck_assert_int_eq(policy_lint(set, conf, &dc, &diag, &notes), 6);
	ck_assert_int_eq(calls, 4);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "a.conf:3: KimAddress "
	    "a@klinikum.kim.telematik: no valid certificate"));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "d.conf:3: KimAddress "
	    "d@klinikum.kim.telematik is not in the KIM directory"));
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "b.conf:3: KimAddress "
	    "b@klinikum.kim.telematik: the KIM directory could not be asked: "
	    "connection refused"));
	ck_assert_ptr_null(strstr(buf_str(&notes), "directory check skipped"));
	buf_free(&diag);
	buf_free(&notes);
	policy_set_unref(set);
}
END_TEST

START_TEST(test_check)
{
	struct buf diag = BUF_INIT, notes = BUF_INIT;
	struct policy_set *set = NULL;

	/* what kim-milter -n prints: load problems, or lint problems */
	put("a.conf", OK_HEAD "On-CardError quarantine\nFoo 1\n");
	ck_assert_int_eq(policy_check(pdir, conf, NULL, &diag, &notes,
	    &set), 2);
	ck_assert_ptr_null(set);
	ck_assert_ptr_nonnull(strstr(buf_str(&notes), "refused"));
	buf_reset(&diag);
	buf_reset(&notes);
	put("a.conf", OK_HEAD);
	put("b.conf", "Sender b@klinikum.example\nKimSending yes\n"
	    "KimAddress a@klinikum.kim.telematik\nCardPool radiologie\n");
	/* the shared address, with two provider accounts (a and b) */
	ck_assert_int_eq(policy_check(pdir, conf, NULL, &diag, &notes,
	    &set), 2);
	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(policy_set_count(set), 2);
	ck_assert_ptr_nonnull(strstr(buf_str(&diag), "b.conf:3: KimAddress"));
	policy_set_unref(set);
	buf_free(&diag);
	buf_free(&notes);
}
END_TEST

START_TEST(test_without_conf)
{
	struct buf diag = BUF_INIT;
	struct policy_set *set;

	/* no conf: pools and KimDomains are not checked (tests, tools) */
	put("p.conf", "Sender a@b.example\nKimSending yes\n"
	    "KimAddress a@example.org\nCardPool none\n");
	set = policy_set_load(pdir, NULL, &diag);
	ck_assert_msg(set != NULL, "%s", buf_str(&diag));
	policy_set_unref(set);
	buf_free(&diag);
}
END_TEST

START_TEST(test_refcount)
{
	struct policy_set *set = policy_set_builtin();
	const struct policy *p;

	ck_assert_ptr_nonnull(set);
	ck_assert_ptr_eq(policy_set_ref(set), set);
	policy_set_unref(set);
	ck_assert_int_eq(set->refs, 1);
	p = policy_match(set, "a@b.example");
	ck_assert_str_eq(policy_name(p), "built-in default");
	ck_assert_ptr_null(policy_file(p));
	ck_assert_str_eq(policy_dienstkennung(p), "KIM-Mail;Default;V1.0");
	policy_set_unref(set);
	policy_set_unref(NULL);
}
END_TEST

START_TEST(test_conf_key)
{
	struct conf *c = conf_defaults();
	const char *d;

	ck_assert_ptr_nonnull(c);
	d = c->policy_directory;
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d[0], '/');
	ck_assert_str_eq(d + strlen(d) - strlen("/kim-milter/policy.d"),
	    "/kim-milter/policy.d");
	ck_assert_ptr_nonnull(strstr(POLICY_DIRECTORY_DEFAULT, "/kim-milter/policy.d"));
	conf_unref(c);
}
END_TEST

START_TEST(test_manual_complete)
{
	FILE *fp = fopen(TEST_SRCDIR "/man/kim-milter-policy.5", "r");
	static char man[200000];
	char needle[128];
	size_t n;
	int k;

	ck_assert_ptr_nonnull(fp);
	n = fread(man, 1, sizeof(man) - 1, fp);
	man[n] = 0;
	fclose(fp);
	for (k = 0; k < PK_COUNT; k++) {
		snprintf(needle, sizeof(needle), "\n.B %s\n",
		    policy_key_names[k]);
		ck_assert_msg(strstr(man, needle) != NULL,
		    "kim-milter-policy(5) does not document %s",
		    policy_key_names[k]);
	}
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_route_keys);
	tcase_add_test(tc, test_account_default);
	tcase_add_test(tc, test_lint_accounts);
	tcase_add_test(tc, test_lint_provider_files);
	tcase_add_test(tc, test_conf_relay);
	tcase_add_loop_test(tc, test_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_quote_problem_in_description);
	tcase_add_test(tc, test_all_or_nothing);
	tcase_add_test(tc, test_file_selection);
	tcase_add_test(tc, test_unsafe_modes);
	tcase_add_test(tc, test_missing_dir);
	tcase_add_test(tc, test_empty_dir);
	tcase_add_loop_test(tc, test_precedence, 0, sizeof(prec) / sizeof(prec[0]));
	tcase_add_test(tc, test_own_kim_address);
	tcase_add_test(tc, test_tie);
	tcase_add_test(tc, test_no_tie_between_kinds);
	tcase_add_test(tc, test_default_file);
	tcase_add_loop_test(tc, test_front, 0, sizeof(front) / sizeof(front[0]));
	tcase_add_loop_test(tc, test_gate, 0, sizeof(gate) / sizeof(gate[0]));
	tcase_add_loop_test(tc, test_failure_classes, 0,
	    sizeof(classes) / sizeof(classes[0]));
	tcase_add_test(tc, test_rcpt_kind);
	tcase_add_test(tc, test_lint);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_without_conf);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_conf_key);
	tcase_add_test(tc, test_manual_complete);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
