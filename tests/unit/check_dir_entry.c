/*
 * check_dir_entry.c - unit tests of the cache entry text and its MAC
 * (lib/dir/dir_entry.c) and of the parsed-certificate cache
 * (lib/dir/dir_certcache.c): what Redis hands back is refused unless it
 * is exactly what a relay with the same CacheKeyFile wrote for the same
 * address, and a certificate kept in memory gives the same answer as a
 * fresh parse.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/x509.h>

#include "dir_int.h"

#define ADDR "praxis@aerzte.kim.telematik-test"

static unsigned char *der;
static int der_len;
static struct buf key = BUF_INIT, other_key = BUF_INIT;

/* setup - one self-signed EC certificate and two MAC keys */
static void
setup(void)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;

	ck_assert(pk && x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Praxis Test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, pk);
	ck_assert(X509_sign(x, pk, EVP_sha256()) > 0);
	der = NULL;
	der_len = i2d_X509(x, &der);
	ck_assert_int_gt(der_len, 0);
	X509_free(x);
	EVP_PKEY_free(pk);
	ck_assert_int_eq(buf_append(&key,
	    "0123456789abcdef0123456789abcdef", 32), 0);
	ck_assert_int_eq(buf_append(&other_key,
	    "0123456789abcdef0123456789abcdeX", 32), 0);
}

/* teardown - release */
static void
teardown(void)
{
	OPENSSL_free(der);
	buf_wipe(&key);
	buf_wipe(&other_key);
}

/* sample - a found entry with the certificate twice, verdicts differing */
static struct dir_result *
sample(void)
{
	struct dir_result *r = dir_result_new(ADDR);

	ck_assert_ptr_nonnull(r);
	r->status = DIR_FOUND;
	r->fetched_at = 1764000000;
	ck_assert_int_eq(dir_result_set(&r->telematik_id, "1-2-ARZT-1", 10),
	    0);
	ck_assert_int_eq(dir_result_set(&r->display_name, "Praxis", 6), 0);
	ck_assert_int_eq(dir_result_set(&r->kim_version, "1.5", 3), 0);
	ck_assert_int_eq(dir_result_add_der(r, der, (size_t)der_len, NULL),
	    0);
	ck_assert_int_eq(dir_result_add_der(r, der, (size_t)der_len, NULL),
	    0);
	r->certs[0].static_reason = DIR_CERT_OK;
	r->certs[1].static_reason = DIR_CERT_KEY_REUSED;
	return r;
}

/* encode - the entry text of sample() under key k */
static void
encode(const struct buf *k, struct buf *text)
{
	struct dir_result *r = sample();

	ck_assert_int_eq(dir_entry_encode(r, k, text), 0);
	dir_result_free(r);
}

/* decode - dir_entry_decode of text, the result freed; its return */
static int
decode(const char *address, const struct buf *text, struct buf *why)
{
	struct dir_result *r = NULL;
	int rc;

	buf_reset(why);
	rc = dir_entry_decode(address, text->data, text->len, &key, NULL, &r,
	    why);
	ck_assert(rc == 0 ? r != NULL : r == NULL);
	dir_result_free(r);
	return rc;
}

START_TEST(test_round_trip)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	struct dir_result *r = NULL;

	encode(&key, &text);
	ck_assert_int_eq(dir_entry_decode(ADDR, text.data, text.len, &key,
	    NULL, &r, &why), 0);
	ck_assert_int_eq(r->status, DIR_FOUND);
	ck_assert_int_eq(r->source, DIR_SOURCE_CACHE);
	ck_assert_int_eq((int)r->fetched_at, 1764000000);
	ck_assert_str_eq(r->telematik_id, "1-2-ARZT-1");
	ck_assert_str_eq(r->display_name, "Praxis");
	ck_assert_str_eq(r->kim_version, "1.5");
	ck_assert_ptr_null(r->organization);
	ck_assert_uint_eq(r->ncerts, 2);
	ck_assert_uint_eq(r->certs[0].der_len, (size_t)der_len);
	ck_assert_mem_eq(r->certs[0].der, der, (size_t)der_len);
	ck_assert_ptr_nonnull(r->certs[0].x509);
	/* the write-time verdicts come back as written */
	ck_assert_int_eq(r->certs[0].static_reason, DIR_CERT_OK);
	ck_assert_int_eq(r->certs[1].static_reason, DIR_CERT_KEY_REUSED);
	dir_result_free(r);

	/* a negative answer round-trips as well */
	r = dir_result_new(ADDR);
	r->fetched_at = 1764000000;
	ck_assert_int_eq(dir_entry_encode(r, &key, &text), 0);
	dir_result_free(r);
	r = NULL;
	ck_assert_int_eq(dir_entry_decode(ADDR, text.data, text.len, &key,
	    NULL, &r, &why), 0);
	ck_assert_int_eq(r->status, DIR_NOT_FOUND);
	ck_assert_uint_eq(r->ncerts, 0);
	dir_result_free(r);
	buf_free(&text);
	buf_free(&why);
}
END_TEST

START_TEST(test_tampered)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	char *p;

	encode(&key, &text);
	/* a verdict changed from key-reused to ok */
	p = strstr((char *)text.data, "cert key-reused ");
	ck_assert_ptr_nonnull(p);
	memcpy(p, "cert ok          ", 16);
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "MAC"));

	/* one bit of a certificate */
	encode(&key, &text);
	p = strstr((char *)text.data, "cert ok ");
	ck_assert_ptr_nonnull(p);
	p[20] ^= 1;
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);

	/* the MAC itself */
	encode(&key, &text);
	text.data[text.len - 2] = text.data[text.len - 2] == '0' ? '1' : '0';
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);

	/* written with another CacheKeyFile */
	encode(&other_key, &text);
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "CacheKeyFile"));

	/* a valid entry copied to another address's key */
	encode(&key, &text);
	ck_assert_int_eq(decode(ADDR, &text, &why), 0);
	ck_assert_int_eq(decode("other@aerzte.kim.telematik-test", &text,
	    &why), -1);
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "another address"));
	buf_free(&text);
	buf_free(&why);
}
END_TEST

START_TEST(test_truncated)
{
	struct buf text = BUF_INIT, why = BUF_INIT;
	size_t full, cut;

	encode(&key, &text);
	full = text.len;
	/* every shorter prefix is refused, none crashes */
	for (cut = 0; cut < full; cut += (cut < 200 ? 1 : 37)) {
		text.len = cut;
		ck_assert_int_eq(decode(ADDR, &text, &why), -1);
	}
	text.len = full - 1;	/* only the final newline missing */
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);
	text.len = full;
	ck_assert_int_eq(decode(ADDR, &text, &why), 0);
	/* a NUL inside */
	text.data[20] = 0;
	ck_assert_int_eq(decode(ADDR, &text, &why), -1);
	buf_free(&text);
	buf_free(&why);
}
END_TEST

START_TEST(test_garbage)
{
	struct buf why = BUF_INIT, body = BUF_INIT;
	char mac_line[80];
	static const char *const bodies[] = {
		"kim-dir-entry 1\naddress " ADDR "\nstatus notfound\n",
		"kim-dir-entry 1\naddress " ADDR "\n",	/* no status */
		"kim-dir-entry 1\nstatus found\n",	/* no address */
		"kim-dir-entry 2\naddress " ADDR "\nstatus found\n",
		"kim-dir-entry 1\naddress " ADDR "\nstatus maybe\n",
		"kim-dir-entry 1\naddress " ADDR "\nstatus found\n"
		    "cert ok !!!!\n",
		"kim-dir-entry 1\naddress " ADDR "\nstatus found\n"
		    "cert no-such-reason AAAA\n",
		"kim-dir-entry 1\naddress " ADDR "\nstatus found\n"
		    "unknownField x\n",
	};
	size_t i;

	/*
	 * correctly MACed but malformed: what a relay with a newer or buggy
	 * writer could produce; refused, not half-read
	 */
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		buf_reset(&body);
		ck_assert_int_eq(buf_puts(&body, bodies[i]), 0);
		{
			unsigned char md[32];
			unsigned mdlen = 0, k;

			ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key.data,
			    (int)key.len, body.data, body.len, md, &mdlen));
			strcpy(mac_line, "mac ");
			for (k = 0; k < mdlen; k++)
				sprintf(mac_line + 4 + 2 * k, "%02x", md[k]);
			strcat(mac_line, "\n");
		}
		ck_assert_int_eq(buf_puts(&body, mac_line), 0);
		/* the first is the control: well-formed, so accepted */
		ck_assert_msg(decode(ADDR, &body, &why) == (i == 0 ? 0 : -1),
		    "body %zu: %s", i, buf_str(&why));
	}
	buf_free(&body);
	buf_free(&why);
}
END_TEST

START_TEST(test_certcache)
{
	struct dir_certcache *cc = dir_certcache_new();
	struct dir_cert fresh, a, b;
	struct dir_result *r1 = NULL, *r2 = NULL;
	struct buf text = BUF_INIT, why = BUF_INIT;
	unsigned long hits, misses;
	unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};

	ck_assert_ptr_nonnull(cc);
	ck_assert_int_eq(dir_cert_from_der(der, (size_t)der_len, &fresh), 0);
	ck_assert_int_eq(dir_certcache_get(cc, der, (size_t)der_len, &a), 0);
	ck_assert_int_eq(dir_certcache_get(cc, der, (size_t)der_len, &b), 0);
	dir_certcache_counts(cc, &hits, &misses);
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(misses, 1);
	/* the second is the kept parse: the same X509, not a new one */
	ck_assert_ptr_eq(a.x509, b.x509);
	/* and it says what a fresh parse says */
	ck_assert_str_eq(b.subject, fresh.subject);
	ck_assert_str_eq(b.serial, fresh.serial);
	ck_assert_str_eq(b.fingerprint, fresh.fingerprint);
	ck_assert_str_eq(b.key_fingerprint, fresh.key_fingerprint);
	ck_assert_str_eq(b.key_type, fresh.key_type);
	ck_assert_int_eq((int)b.not_after, (int)fresh.not_after);
	ck_assert_int_eq(b.static_reason, DIR_CERT_OK);
	/* each copy owns its DER and a reference: freeing one keeps b */
	dir_cert_clear(&a);
	ck_assert_ptr_nonnull(X509_get_subject_name(b.x509));
	dir_cert_clear(&b);
	dir_cert_clear(&fresh);

	/* garbage is never kept and stays unparsable */
	ck_assert_int_eq(dir_certcache_get(cc, junk, sizeof(junk), &a), 0);
	ck_assert_int_eq(a.reason, DIR_CERT_UNPARSABLE);
	dir_cert_clear(&a);
	ck_assert_int_eq(dir_certcache_get(cc, junk, sizeof(junk), &a), 0);
	ck_assert_int_eq(a.reason, DIR_CERT_UNPARSABLE);
	dir_cert_clear(&a);

	/* through the entry: verdicts are the entry's, not the kept ones */
	encode(&key, &text);
	ck_assert_int_eq(dir_entry_decode(ADDR, text.data, text.len, &key, cc,
	    &r1, &why), 0);
	ck_assert_int_eq(dir_entry_decode(ADDR, text.data, text.len, &key, cc,
	    &r2, &why), 0);
	ck_assert_uint_eq(r2->ncerts, 2);
	ck_assert_ptr_eq(r1->certs[0].x509, r2->certs[1].x509);
	ck_assert_int_eq(r2->certs[0].static_reason, DIR_CERT_OK);
	ck_assert_int_eq(r2->certs[1].static_reason, DIR_CERT_KEY_REUSED);
	dir_result_free(r1);
	dir_result_free(r2);
	/* a NULL cache parses every time */
	ck_assert_int_eq(dir_certcache_get(NULL, der, (size_t)der_len, &a), 0);
	ck_assert_ptr_nonnull(a.x509);
	dir_cert_clear(&a);
	dir_certcache_free(cc);
	dir_certcache_free(NULL);
	buf_free(&text);
	buf_free(&why);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dir_entry");
	TCase *tc = tcase_create("entry");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_certcache);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
