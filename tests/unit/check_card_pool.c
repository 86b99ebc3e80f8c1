/*
 * check_card_pool.c - leases on the cards of a pool (with soft cards):
 * each card serves one lessee at a time, callers wait up to their deadline
 * (with progress) and then get CARD_E_BUSY, match functions pick the card
 * that holds a certificate, failed cards are used last, and Card lines of a
 * configuration become pools.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "card_pool.h"
#include "conf.h"

static char dir[64];

static const char mkkeys[] =
    "set -e; cd '%s'; umask 077\n"
    "k() { openssl genpkey -algorithm EC -pkeyopt "
    "ec_paramgen_curve:brainpoolP256r1 -out $1.key 2>/dev/null; "
    "openssl req -new -x509 -days 30 -key $1.key -out $1.crt "
    "-subj \"/CN=$1\" 2>/dev/null; }\n"
    "k a; k b; k c\n"
    "printf 'Card a pool=one backend=soft key=%%s/a.key cert=%%s/a.crt\\n"
    "Card b pool=one backend=soft key=%%s/b.key cert=%%s/b.crt\\n"
    "Card c pool=two backend=soft key=%%s/c.key cert=%%s/c.crt\\n' "
    "$PWD $PWD $PWD $PWD $PWD $PWD > ok.conf\n"
    "printf 'Card a pool=one backend=soft key=%%s/none.key "
    "cert=%%s/a.crt\\n' $PWD $PWD > bad.conf\n";

static void
suite_setup(void)
{
	char cmd[2048];

	strcpy(dir, "/tmp/check_pool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), mkkeys, dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* pools - the pools of ok.conf */
static struct card_pools *
pools(struct conf **c)
{
	struct buf diag = BUF_INIT, why = BUF_INIT;
	struct card_pools *ps;
	char path[128];

	snprintf(path, sizeof(path), "%s/ok.conf", dir);
	*c = conf_load(path, &diag);
	ck_assert_msg(*c != NULL, "%s", buf_str(&diag));
	ps = card_pools_open(*c, &why);
	ck_assert_msg(ps != NULL, "%s", buf_str(&why));
	buf_free(&diag);
	buf_free(&why);
	return ps;
}

/* ms_since - milliseconds since t0 */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_REALTIME, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
count(void *arg)
{
	(*(int *)arg)++;
}

START_TEST(test_pools_open)
{
	struct conf *c;
	struct card_pools *ps = pools(&c);
	struct buf diag = BUF_INIT, why = BUF_INIT;
	char path[128];

	ck_assert_uint_eq(card_pool_size(card_pools_find(ps, "one")), 2);
	ck_assert_uint_eq(card_pool_size(card_pools_find(ps, "two")), 1);
	ck_assert_str_eq(card_pool_name(card_pools_find(ps, "two")), "two");
	ck_assert_ptr_null(card_pools_find(ps, "three"));
	card_pools_free(ps);
	conf_unref(c);
	snprintf(path, sizeof(path), "%s/bad.conf", dir);
	c = conf_load(path, &diag);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(card_pools_open(c, &why));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "none.key"));
	conf_unref(c);
	buf_free(&diag);
	buf_free(&why);
	card_pools_free(NULL);
}
END_TEST

START_TEST(test_one_lessee_per_card)
{
	struct conf *c;
	struct card_pools *ps = pools(&c);
	struct card_pool *p = card_pools_find(ps, "one");
	struct card *x, *y, *z;
	struct timespec dl, t0;
	struct buf why = BUF_INIT;
	int calls = 0;

	card_deadline(&dl, 1000);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &x,
	    NULL), CARD_OK);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &y,
	    NULL), CARD_OK);
	ck_assert_ptr_ne(x, y);
	/* both leased: a third caller waits to its deadline, with progress */
	clock_gettime(CLOCK_REALTIME, &t0);
	card_deadline(&dl, 2300);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, count, &calls,
	    &z, &why), CARD_E_BUSY);
	ck_assert_ptr_null(z);
	ck_assert_int_ge(ms_since(&t0), 2250);
	ck_assert_int_ge(calls, 2);
	ck_assert(card_err_transient(CARD_E_BUSY));
	ck_assert_ptr_nonnull(strstr(buf_str(&why), "stayed busy"));
	card_pool_release(p, x, CARD_OK);
	card_deadline(&dl, 1000);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &z,
	    NULL), CARD_OK);
	ck_assert_ptr_eq(z, x);
	card_pool_release(p, y, CARD_OK);
	card_pool_release(p, z, CARD_OK);
	card_pools_free(ps);
	conf_unref(c);
	buf_free(&why);
}
END_TEST

struct later {
	struct card_pool *p;
	struct card *card;
};

/* release_later - give a card back after 300 ms */
static void *
release_later(void *arg)
{
	struct later *l = arg;

	usleep(300000);
	card_pool_release(l->p, l->card, CARD_OK);
	return NULL;
}

START_TEST(test_waiter_gets_released_card)
{
	struct conf *c;
	struct card_pools *ps = pools(&c);
	struct later l;
	struct card *z;
	struct timespec dl, t0;
	pthread_t th;
	long ms;

	l.p = card_pools_find(ps, "two");
	card_deadline(&dl, 1000);
	ck_assert_int_eq(card_pool_acquire(l.p, NULL, NULL, &dl, NULL, NULL,
	    &l.card, NULL), CARD_OK);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, &l), 0);
	clock_gettime(CLOCK_REALTIME, &t0);
	card_deadline(&dl, 5000);
	ck_assert_int_eq(card_pool_acquire(l.p, NULL, NULL, &dl, NULL, NULL,
	    &z, NULL), CARD_OK);
	ms = ms_since(&t0);
	ck_assert_ptr_eq(z, l.card);
	ck_assert_int_ge(ms, 250);
	ck_assert_int_lt(ms, 2000);
	pthread_join(th, NULL);
	card_pool_release(l.p, z, CARD_OK);
	card_pools_free(ps);
	conf_unref(c);
}
END_TEST

START_TEST(test_match)
{
	struct conf *c;
	struct card_pools *ps = pools(&c);
	struct card_pool *one = card_pools_find(ps, "one");
	struct card_pool *two = card_pools_find(ps, "two");
	struct card *x, *y;
	struct timespec dl;
	X509 *want;
	int i;

	card_deadline(&dl, 1000);
	/* the card of pool two holds c's certificate: none of pool one */
	ck_assert_int_eq(card_pool_acquire(two, NULL, NULL, &dl, NULL, NULL,
	    &y, NULL), CARD_OK);
	want = card_certificate(y, CARD_USE_OSIG, CARD_KEY_ECC);
	ck_assert_int_eq(card_pool_acquire(one, card_match_cert, want, &dl,
	    NULL, NULL, &x, NULL), CARD_E_NOKEY);
	card_pool_release(two, y, CARD_OK);
	/* in pool one, always the card that holds the certificate */
	ck_assert_int_eq(card_pool_acquire(one, NULL, NULL, &dl, NULL, NULL,
	    &y, NULL), CARD_OK);
	want = card_certificate(y, CARD_USE_ENC, CARD_KEY_ECC);
	card_pool_release(one, y, CARD_OK);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(card_pool_acquire(one, card_match_cert, want,
		    &dl, NULL, NULL, &x, NULL), CARD_OK);
		ck_assert_ptr_eq(x, y);
		ck_assert(card_match_osig(x, NULL));
		card_pool_release(one, x, CARD_OK);
	}
	card_pools_free(ps);
	conf_unref(c);
}
END_TEST

START_TEST(test_failed_card_used_last)
{
	struct conf *c;
	struct card_pools *ps = pools(&c);
	struct card_pool *p = card_pools_find(ps, "one");
	struct card *x, *y, *z;
	struct timespec dl;
	int i;

	card_deadline(&dl, 1000);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &x,
	    NULL), CARD_OK);
	card_pool_release(p, x, CARD_E_REMOVED);
	/* round robin would alternate; the failed card is skipped */
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL,
		    NULL, &y, NULL), CARD_OK);
		ck_assert_ptr_ne(y, x);
		card_pool_release(p, y, CARD_OK);
	}
	/* while the good card is busy, callers wait for it (no spinning on
	 * a card that is gone) */
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &y,
	    NULL), CARD_OK);
	ck_assert_ptr_ne(y, x);
	card_deadline(&dl, 300);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &z,
	    NULL), CARD_E_BUSY);
	/* when every card failed, the failed ones are tried: one may be back */
	card_pool_release(p, y, CARD_E_TIMEOUT);
	card_deadline(&dl, 1000);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &y,
	    NULL), CARD_OK);
	ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL, NULL, &z,
	    NULL), CARD_OK);
	ck_assert_ptr_ne(y, z);
	/* and a success makes a card good again */
	card_pool_release(p, y, CARD_OK);
	card_pool_release(p, z, CARD_OK);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(card_pool_acquire(p, NULL, NULL, &dl, NULL,
		    NULL, i ? &z : &y, NULL), CARD_OK);
	}
	ck_assert_ptr_ne(y, z);
	card_pool_release(p, y, CARD_OK);
	card_pool_release(p, z, CARD_OK);
	card_pools_free(ps);
	conf_unref(c);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("card_pool");
	TCase *tc = tcase_create("pool");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_test(tc, test_pools_open);
	tcase_add_test(tc, test_one_lessee_per_card);
	tcase_add_test(tc, test_waiter_gets_released_card);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_failed_card_used_last);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
