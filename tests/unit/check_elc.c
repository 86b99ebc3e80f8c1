/*
 * check_elc.c - ELC key transport: round trips for every key length, the
 * template's exact shape, and that every damaged template is refused the
 * way a card refuses it (CARD_E_CRYPTO), never crashes, never yields a key.
 * The known answer against the openssl command line is t_elc_kat.sh.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "card.h"
#include "elc.h"

static EVP_PKEY *recip, *other;

static void
keys_setup(void)
{
	recip = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "brainpoolP256r1");
	ck_assert_ptr_nonnull(recip);
	ck_assert_ptr_nonnull(other);
}

static void
keys_teardown(void)
{
	EVP_PKEY_free(recip);
	EVP_PKEY_free(other);
}

/* make - a template of a random key of keylen bytes */
static void
make(size_t keylen, unsigned char *key, struct buf *tmpl)
{
	ck_assert_int_eq(RAND_bytes(key, (int)keylen), 1);
	ck_assert_int_eq(elc_encrypt(recip, key, keylen, tmpl), CARD_OK);
}

START_TEST(test_shape)
{
	static const unsigned char head[] = {
		0xa6, 0x81, 0x8e, 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02,
		0x08, 0x01, 0x01, 0x07, 0x7f, 0x49, 0x43, 0x86, 0x41, 0x04,
	};
	unsigned char key[32];
	struct buf t = BUF_INIT;

	make(32, key, &t);
	ck_assert_uint_eq(t.len, 145);
	ck_assert_mem_eq(t.data, head, sizeof(head));
	ck_assert_mem_eq(t.data + 84, "\x86\x31\x02", 3);
	ck_assert_mem_eq(t.data + 135, "\x8e\x08", 2);
	buf_free(&t);
}
END_TEST

START_TEST(test_roundtrip_lengths)
{
	unsigned char key[ELC_KEY_MAX];
	struct buf t = BUF_INIT, out = BUF_INIT;
	size_t len = (size_t)_i;

	make(len, key, &t);
	ck_assert_int_eq(elc_decrypt(recip, t.data, t.len, &out), CARD_OK);
	ck_assert_uint_eq(out.len, len);
	ck_assert_mem_eq(out.data, key, len);
	buf_free(&t);
	buf_wipe(&out);
}
END_TEST

START_TEST(test_every_bit)
{
	/* flipping any bit anywhere is refused (the MAC covers C, the KDF
	 * the point, the parser the rest) */
	unsigned char key[32];
	struct buf t = BUF_INIT, out = BUF_INIT;
	size_t i;
	int b;

	make(32, key, &t);
	for (i = 0; i < t.len; i++)
		for (b = 0; b < 8; b++) {
			t.data[i] ^= (unsigned char)(1 << b);
			ck_assert_msg(elc_decrypt(recip, t.data, t.len, &out) ==
			    CARD_E_CRYPTO, "byte %zu bit %d accepted", i, b);
			ck_assert_uint_eq(out.len, 0);
			t.data[i] ^= (unsigned char)(1 << b);
		}
	buf_free(&t);
}
END_TEST

START_TEST(test_truncated)
{
	unsigned char key[32];
	struct buf t = BUF_INIT, out = BUF_INIT, longer = BUF_INIT;
	size_t i;

	make(32, key, &t);
	for (i = 0; i < t.len; i++)
		ck_assert_int_eq(elc_decrypt(recip, t.data, i, &out),
		    CARD_E_CRYPTO);
	ck_assert_int_eq(buf_append(&longer, t.data, t.len), 0);
	ck_assert_int_eq(buf_append(&longer, "", 1), 0);
	ck_assert_int_eq(elc_decrypt(recip, longer.data, longer.len, &out),
	    CARD_E_CRYPTO);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&t);
	buf_free(&longer);
}
END_TEST

START_TEST(test_wrong_keys)
{
	unsigned char key[32];
	struct buf t = BUF_INIT, out = BUF_INIT;
	EVP_PKEY *p256, *rsa;

	make(32, key, &t);
	ck_assert_int_eq(elc_decrypt(other, t.data, t.len, &out),
	    CARD_E_CRYPTO);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert_int_eq(elc_decrypt(p256, t.data, t.len, &out), CARD_E_ALG);
	ck_assert_int_eq(elc_decrypt(rsa, t.data, t.len, &out), CARD_E_ALG);
	ck_assert_int_eq(elc_encrypt(p256, key, 32, &t), CARD_E_ALG);
	ck_assert_int_eq(elc_encrypt(rsa, key, 32, &t), CARD_E_ALG);
	ck_assert_int_eq(elc_encrypt(recip, key, 0, &t), CARD_E_ALG);
	ck_assert_int_eq(elc_encrypt(recip, key, ELC_KEY_MAX + 1, &t),
	    CARD_E_ALG);
	ck_assert(elc_is_curve(recip));
	ck_assert(!elc_is_curve(p256));
	ck_assert(!elc_is_curve(NULL));
	EVP_PKEY_free(p256);
	EVP_PKEY_free(rsa);
	buf_free(&t);
}
END_TEST

START_TEST(test_fresh_ephemeral)
{
	unsigned char key[32];
	struct buf a = BUF_INIT, b = BUF_INIT;

	memset(key, 7, sizeof(key));
	ck_assert_int_eq(elc_encrypt(recip, key, 32, &a), CARD_OK);
	ck_assert_int_eq(elc_encrypt(recip, key, 32, &b), CARD_OK);
	ck_assert_mem_ne(a.data + 20, b.data + 20, 64);
	buf_free(&a);
	buf_free(&b);
}
END_TEST

static Suite *
elc_suite(void)
{
	Suite *s = suite_create("elc");
	TCase *tc = tcase_create("elc");

	tcase_add_checked_fixture(tc, keys_setup, keys_teardown);
	tcase_add_test(tc, test_shape);
	tcase_add_loop_test(tc, test_roundtrip_lengths, 1, ELC_KEY_MAX + 1);
	tcase_add_test(tc, test_every_bit);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_wrong_keys);
	tcase_add_test(tc, test_fresh_ephemeral);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(elc_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
