/*
 * check_dir_cert.c - unit tests of the encryption certificate checks.
 * Certificates are made here with OpenSSL so that every case is exact.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "dir_cert.h"

static EVP_PKEY *ca_key, *other_ca_key, *rsa_key, *ec_key, *p256_key;
static X509 *ca, *other_ca;
static time_t now;

/* add_admission - Telematik-ID as registrationNumber (1.3.36.8.3.3) */
static void
add_admission(X509 *x, const char *tid)
{
	ADMISSION_SYNTAX *as = ADMISSION_SYNTAX_new();
	ADMISSIONS *ad = ADMISSIONS_new();
	PROFESSION_INFO *pi = PROFESSION_INFO_new();
	PROFESSION_INFOS *pis = sk_PROFESSION_INFO_new_null();
	STACK_OF(ADMISSIONS) *ads = sk_ADMISSIONS_new_null();
	STACK_OF(ASN1_STRING) *items = sk_ASN1_STRING_new_null();
	ASN1_STRING *item = ASN1_UTF8STRING_new();
	ASN1_PRINTABLESTRING *rn = ASN1_PRINTABLESTRING_new();

	ck_assert(as && ad && pi && pis && ads && items && item && rn);
	ASN1_STRING_set(item, "Betriebsstaette Arzt", -1);
	sk_ASN1_STRING_push(items, item);
	PROFESSION_INFO_set0_professionItems(pi, items);
	ASN1_STRING_set(rn, tid, -1);
	PROFESSION_INFO_set0_registrationNumber(pi, rn);
	sk_PROFESSION_INFO_push(pis, pi);
	ADMISSIONS_set0_professionInfos(ad, pis);
	sk_ADMISSIONS_push(ads, ad);
	ADMISSION_SYNTAX_set0_contentsOfAdmissions(as, ads);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_x509ExtAdmission, as, 0, 0),
	    1);
	ADMISSION_SYNTAX_free(as);
}

/* add_ext - an extension from its config string */
static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* add_policy - certificatePolicies with one OID (no config database) */
static void
add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
	POLICYINFO *pi = POLICYINFO_new();

	ck_assert(pols && pi);
	ASN1_OBJECT_free(pi->policyid);
	pi->policyid = OBJ_txt2obj(oid, 1);
	sk_POLICYINFO_push(pols, pi);
	ck_assert_int_eq(X509_add1_ext_i2d(x, NID_certificate_policies, pols,
	    0, 0), 1);
	CERTIFICATEPOLICIES_free(pols);
}

struct spec {
	EVP_PKEY *key;
	const char *tid;	/* NULL: no admission */
	const char *policy;
	const char *ku;
	long from, to;		/* seconds relative to now */
	X509 *issuer;
	EVP_PKEY *issuer_key;
	int break_sig;
};

/* make - a certificate after spec, as DER in a malloc'd buffer */
static unsigned char *
make(const struct spec *s, int *len)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	static long serial = 100;
	int l;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Praxis Dr. M\xc3\xbcller", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, X509_get_subject_name(s->issuer));
	X509_time_adj_ex(X509_getm_notBefore(x), 0, s->from, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 0, s->to, &now);
	X509_set_pubkey(x, s->key);
	if (s->policy)
		add_policy(x, s->policy);
	if (s->ku)
		add_ext(x, s->issuer, NID_key_usage, s->ku);
	if (s->tid)
		add_admission(x, s->tid);
	ck_assert_int_gt(X509_sign(x, s->issuer_key, EVP_sha256()), 0);
	l = i2d_X509(x, &der);
	ck_assert_int_gt(l, 0);
	if (s->break_sig)
		der[l - 5] ^= 0x55;	/* inside the signature value */
	X509_NAME_free(n);
	X509_free(x);
	*len = l;
	return der;
}

/* make_ca - a self-signed CA */
static X509 *
make_ca(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_time_adj_ex(X509_getm_notBefore(x), -1000, 0, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), 3000, 0, &now);
	X509_set_pubkey(x, key);
	add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	X509_sign(x, key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static void
setup(void)
{
	now = time(NULL);
	ca_key = EVP_RSA_gen(2048);
	other_ca_key = EVP_EC_gen("brainpoolP256r1");
	rsa_key = EVP_RSA_gen(2048);
	ec_key = EVP_EC_gen("brainpoolP256r1");
	p256_key = EVP_EC_gen("prime256v1");
	ck_assert(ca_key && other_ca_key && rsa_key && ec_key && p256_key);
	ca = make_ca(ca_key, "Test SMCB-CA");
	other_ca = make_ca(other_ca_key, "Other CA");
}

static void
teardown(void)
{
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_ca_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ec_key);
	EVP_PKEY_free(p256_key);
	X509_free(ca);
	X509_free(other_ca);
}

/* make_sub_ca - a CA issued by issuer, valid from..to (days from now) */
static X509 *
make_sub_ca(EVP_PKEY *key, const char *cn, X509 *issuer,
    EVP_PKEY *issuer_key, int from, int to)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 2);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, X509_get_subject_name(issuer));
	X509_time_adj_ex(X509_getm_notBefore(x), from, 0, &now);
	X509_time_adj_ex(X509_getm_notAfter(x), to, 0, &now);
	X509_set_pubkey(x, key);
	add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	add_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	X509_NAME_free(n);
	return x;
}

/* anchors_of - a store holding a and b (b may be NULL), through PEM */
static X509_STORE *
anchors_of(X509 *a, X509 *b)
{
	char path[] = "/tmp/check_dir_cert.XXXXXX";
	struct buf why = BUF_INIT;
	X509_STORE *st;
	FILE *fp;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	PEM_write_X509(fp, a);
	if (b)
		PEM_write_X509(fp, b);
	fclose(fp);
	st = dir_cert_anchors_load(path, &why);
	unlink(path);
	ck_assert_msg(st != NULL, "%s", buf_str(&why));
	buf_free(&why);
	return st;
}

/* anchors - a store holding the test CA, through a PEM file */
static X509_STORE *
anchors(void)
{
	char path[] = "/tmp/check_dir_cert.XXXXXX";
	struct buf why = BUF_INIT;
	X509_STORE *st;
	FILE *fp;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	PEM_write_X509(fp, ca);
	fclose(fp);
	st = dir_cert_anchors_load(path, &why);
	unlink(path);
	ck_assert_msg(st != NULL, "%s", buf_str(&why));
	buf_free(&why);
	return st;
}

#define ENC_POL DIR_OID_HCI_ENC
#define OSIG_POL DIR_OID_HCI_OSIG

/* verdict - the reason for one spec after all single-cert checks */
static enum dir_cert_reason
verdict(const struct spec *s, X509_STORE *st, struct dir_cert *out)
{
	struct dir_cert c;
	unsigned char *der;
	int len;

	der = make(s, &len);
	ck_assert_int_eq(dir_cert_from_der(der, (size_t)len, &c), 0);
	OPENSSL_free(der);
	dir_cert_check_static(&c, st);
	dir_cert_check_time(&c, now);
	if (out) {
		*out = c;
		return c.reason;
	}
	dir_cert_clear(&c);
	return c.reason;
}

START_TEST(test_cases)
{
	X509_STORE *st = anchors();
	const struct {
		const char *name;
		struct spec s;
		enum dir_cert_reason want;
	} cases[] = {
		{"rsa ok", {rsa_key, "1-2345", ENC_POL, "keyEncipherment",
		    -3600, 86400, ca, ca_key, 0}, DIR_CERT_OK},
		{"ec ok", {ec_key, "1-2345", ENC_POL, "keyAgreement",
		    -3600, 86400, ca, ca_key, 0}, DIR_CERT_OK},
		{"hba enc ok", {rsa_key, "1-2345", DIR_OID_HP_ENC,
		    "keyEncipherment,dataEncipherment", -3600, 86400, ca,
		    ca_key, 0}, DIR_CERT_OK},
		{"expired", {rsa_key, "1-2345", ENC_POL, "keyEncipherment",
		    -86400 * 10, -86400, ca, ca_key, 0}, DIR_CERT_EXPIRED},
		{"not yet", {rsa_key, "1-2345", ENC_POL, "keyEncipherment",
		    86400, 86400 * 10, ca, ca_key, 0}, DIR_CERT_NOT_YET_VALID},
		{"osig", {rsa_key, "1-2345", OSIG_POL, "digitalSignature",
		    -3600, 86400, ca, ca_key, 0}, DIR_CERT_NOT_ENC},
		{"no policy", {rsa_key, "1-2345", NULL, "keyEncipherment",
		    -3600, 86400, ca, ca_key, 0}, DIR_CERT_NOT_ENC},
		{"rsa ku", {rsa_key, "1-2345", ENC_POL, "digitalSignature",
		    -3600, 86400, ca, ca_key, 0}, DIR_CERT_KEY_USAGE},
		{"ec with rsa ku", {ec_key, "1-2345", ENC_POL,
		    "keyEncipherment", -3600, 86400, ca, ca_key, 0},
		    DIR_CERT_KEY_USAGE},
		{"no ku", {rsa_key, "1-2345", ENC_POL, NULL, -3600, 86400, ca,
		    ca_key, 0}, DIR_CERT_KEY_USAGE},
		{"p256", {p256_key, "1-2345", ENC_POL, "keyAgreement", -3600,
		    86400, ca, ca_key, 0}, DIR_CERT_KEY_TYPE},
		{"no tid", {rsa_key, NULL, ENC_POL, "keyEncipherment", -3600,
		    86400, ca, ca_key, 0}, DIR_CERT_NO_TELEMATIK_ID},
		{"other ca", {rsa_key, "1-2345", ENC_POL, "keyEncipherment",
		    -3600, 86400, other_ca, other_ca_key, 0},
		    DIR_CERT_UNTRUSTED},
		{"broken sig", {rsa_key, "1-2345", ENC_POL, "keyEncipherment",
		    -3600, 86400, ca, ca_key, 1}, DIR_CERT_BAD_SIGNATURE},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dir_cert_reason r = verdict(&cases[i].s, st, NULL);

		ck_assert_msg(r == cases[i].want, "%s: got %s, want %s",
		    cases[i].name, dir_cert_reason_code(r),
		    dir_cert_reason_code(cases[i].want));
	}
	X509_STORE_free(st);
}
END_TEST

START_TEST(test_fields)
{
	struct spec s = {ec_key, "5-2.58.00000040", ENC_POL, "keyAgreement",
	    -3600, 86400, ca, ca_key, 0};
	struct dir_cert c, d;

	ck_assert_int_eq(verdict(&s, NULL, &c), DIR_CERT_OK);
	ck_assert_str_eq(c.telematik_id, "5-2.58.00000040");
	ck_assert_str_eq(c.key_type, "EC brainpoolP256r1");
	ck_assert_int_eq(c.key_bits, 256);
	ck_assert_int_eq((int)strlen(c.fingerprint), 64);
	ck_assert_int_eq((int)strlen(c.key_fingerprint), 64);
	ck_assert_ptr_nonnull(strstr(c.issuer, "Test SMCB-CA"));
	/* non-ASCII in the subject never reaches an SMTP reply */
	ck_assert_ptr_nonnull(strstr(c.subject, "Praxis Dr. M"));
	ck_assert_ptr_null(strchr(c.subject, '\xc3'));
	ck_assert_int_eq(dir_cert_copy(&d, &c), 0);
	ck_assert_str_eq(d.key_fingerprint, c.key_fingerprint);
	dir_cert_clear(&c);
	ck_assert_ptr_nonnull(d.x509);
	dir_cert_clear(&d);
	dir_cert_clear(NULL);
}
END_TEST

START_TEST(test_time_override)
{
	struct spec s = {rsa_key, "1-1", ENC_POL, "keyEncipherment", -3600,
	    86400, ca, ca_key, 0};
	struct dir_cert c;

	ck_assert_int_eq(verdict(&s, NULL, &c), DIR_CERT_OK);
	dir_cert_check_time(&c, now + 2 * 86400);
	ck_assert_int_eq(c.reason, DIR_CERT_EXPIRED);
	dir_cert_check_time(&c, now - 2 * 3600);
	ck_assert_int_eq(c.reason, DIR_CERT_NOT_YET_VALID);
	dir_cert_check_time(&c, now);
	ck_assert_int_eq(c.reason, DIR_CERT_OK);
	dir_cert_clear(&c);
}
END_TEST

START_TEST(test_unparsable)
{
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x05,
	    0xff};
	struct dir_cert c;

	ck_assert_int_eq(dir_cert_from_der(junk, sizeof(junk), &c), 0);
	dir_cert_check_static(&c, NULL);
	dir_cert_check_time(&c, now);
	ck_assert_int_eq(c.reason, DIR_CERT_UNPARSABLE);
	ck_assert_int_eq((int)strlen(c.fingerprint), 64);
	dir_cert_clear(&c);
	ck_assert_int_eq(dir_cert_from_der(junk, 0, &c), 0);
	ck_assert_int_eq(c.reason, DIR_CERT_UNPARSABLE);
	dir_cert_clear(&c);
}
END_TEST

START_TEST(test_mixed)
{
	struct spec a = {rsa_key, "1-AAA", ENC_POL, "keyEncipherment", -3600,
	    86400, ca, ca_key, 0};
	struct spec b = {ec_key, "1-BBB", ENC_POL, "keyAgreement", -3600,
	    86400, ca, ca_key, 0};
	struct spec e = {rsa_key, "1-AAA", ENC_POL, "keyEncipherment",
	    -86400 * 3, -86400, ca, ca_key, 0};
	struct dir_cert c[3];

	verdict(&a, NULL, &c[0]);
	verdict(&a, NULL, &c[1]);
	ck_assert_int_eq(dir_cert_check_entry(c, 2), 1);
	ck_assert_int_eq(c[0].reason, DIR_CERT_OK);
	ck_assert_int_eq(c[1].reason, DIR_CERT_OK);
	dir_cert_clear(&c[1]);
	verdict(&e, NULL, &c[1]);
	verdict(&b, NULL, &c[2]);
	ck_assert_int_eq(dir_cert_check_entry(c, 3), 2);
	ck_assert_int_eq(c[0].reason, DIR_CERT_MIXED_TELEMATIK_ID);
	ck_assert_int_eq(c[1].reason, DIR_CERT_EXPIRED);
	ck_assert_int_eq(c[2].reason, DIR_CERT_MIXED_TELEMATIK_ID);
	dir_cert_clear(&c[0]);
	dir_cert_clear(&c[1]);
	dir_cert_clear(&c[2]);
}
END_TEST

/*
 * An intermediate CA that has expired (or is not valid yet) makes its
 * certificates unusable, whether it is itself the anchor (partial chain,
 * as the TSL lists sub-CAs) or sits between the leaf and the root; the
 * leaf's own dates stay a read-time verdict.
 */
START_TEST(test_ca_expired)
{
	EVP_PKEY *sub_key = EVP_RSA_gen(2048);
	X509 *old_sub, *new_sub, *good_sub;
	X509_STORE *st;
	struct spec s = {rsa_key, "1-2-ARZT-1", ENC_POL, "keyEncipherment",
	    -3600, 86400, NULL, sub_key, 0};
	struct spec old_leaf;
	struct dir_cert c;

	ck_assert_ptr_nonnull(sub_key);
	old_sub = make_sub_ca(sub_key, "Sub CA", ca, ca_key, -900, -10);
	new_sub = make_sub_ca(sub_key, "Sub CA", ca, ca_key, 10, 900);
	good_sub = make_sub_ca(sub_key, "Sub CA", ca, ca_key, -900, 900);

	/* the expired sub-CA as the anchor */
	s.issuer = old_sub;
	st = anchors_of(old_sub, NULL);
	ck_assert_int_eq(verdict(&s, st, NULL), DIR_CERT_CA_EXPIRED);
	X509_STORE_free(st);
	/* between the leaf and the root anchor */
	st = anchors_of(ca, old_sub);
	ck_assert_int_eq(verdict(&s, st, NULL), DIR_CERT_CA_EXPIRED);
	X509_STORE_free(st);
	/* not valid yet */
	s.issuer = new_sub;
	st = anchors_of(new_sub, NULL);
	ck_assert_int_eq(verdict(&s, st, NULL), DIR_CERT_CA_EXPIRED);
	X509_STORE_free(st);
	/* the control: the same leaf under a valid sub-CA is usable */
	s.issuer = good_sub;
	st = anchors_of(ca, good_sub);
	ck_assert_int_eq(verdict(&s, st, &c), DIR_CERT_OK);
	ck_assert_int_eq(c.static_reason, DIR_CERT_OK);
	dir_cert_clear(&c);
	/* an expired leaf under a valid CA: "expired", judged at read time */
	old_leaf = s;
	old_leaf.from = -86400;
	old_leaf.to = -60;
	ck_assert_int_eq(verdict(&old_leaf, st, &c), DIR_CERT_EXPIRED);
	ck_assert_int_eq(c.static_reason, DIR_CERT_OK);
	dir_cert_clear(&c);
	X509_STORE_free(st);
	ck_assert_str_eq(dir_cert_reason_code(DIR_CERT_CA_EXPIRED),
	    "ca-expired");
	X509_free(old_sub);
	X509_free(new_sub);
	X509_free(good_sub);
	EVP_PKEY_free(sub_key);
}
END_TEST

START_TEST(test_codes)
{
	int i;

	for (i = 0; i < DIR_CERT_NREASONS; i++) {
		const char *code = dir_cert_reason_code(i), *p;

		ck_assert_int_eq(dir_cert_reason_parse(code), i);
		for (p = dir_cert_reason_text(i); *p; p++)
			ck_assert_msg(*p >= 0x20 && *p < 0x7f,
			    "reason text of %s is not ASCII", code);
	}
	ck_assert_int_eq(dir_cert_reason_parse("bogus"), -1);
	ck_assert_str_eq(dir_cert_reason_code(DIR_CERT_NREASONS), "unknown");
}
END_TEST

START_TEST(test_anchors_errors)
{
	struct buf why = BUF_INIT;

	ck_assert_ptr_null(dir_cert_anchors_load("/nonexistent/ta.pem",
	    &why));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "cannot open"));
	buf_reset(&why);
	ck_assert_ptr_null(dir_cert_anchors_load("/dev/null", &why));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "no PEM certificate"));
	buf_free(&why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dir_cert");
	TCase *tc = tcase_create("checks");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cases);
	tcase_add_test(tc, test_fields);
	tcase_add_test(tc, test_time_override);
	tcase_add_test(tc, test_unparsable);
	tcase_add_test(tc, test_mixed);
	tcase_add_test(tc, test_codes);
	tcase_add_test(tc, test_ca_expired);
	tcase_add_test(tc, test_anchors_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
