/*
 * card_tool.c - drive a card through the card interface from a shell test:
 *
 *	card_tool [-t MS] [-w MS] 'NAME backend=... fields' COMMAND [ARGS]...
 *	    (-t: deadline of each call; -w: with repeat, go on after a
 *	    failure and pause MS between the calls)
 *	    cert osig|enc rsa|ecc	the certificate, PEM
 *	    sign rsa|ecc HASHHEX	the signature, hex (ECDSA: DER)
 *	    decipher rsa|elc FILE	the key, hex
 *	    enable [COMMAND...]		card_enable, then COMMAND if given
 *	    status			card_status
 *	    repeat N sign rsa|ecc HASHHEX	N signatures, prints the last
 *	    soak SECONDS rsa|ecc HASHHEX	sign for SECONDS (-t bounds each
 *		call); prints "ok=N fail=N last=ok|<class> maxms=N"
 *
 * Each run is a fresh process, like a restarted daemon. Errors go to
 * stderr as "card_tool: <class>: <reason>", exit 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "card.h"
#include "conf.h"
#include "msg.h"

/* unhex - hex text to bytes */
static int
unhex(const char *s, struct buf *out)
{
	unsigned char b;
	unsigned v;

	for (; s[0] && s[1]; s += 2) {
		if (sscanf(s, "%2x", &v) != 1)
			return -1;
		b = (unsigned char)v;
		if (buf_append(out, &b, 1) < 0)
			return -1;
	}
	return s[0] ? -1 : 0;
}

/* hex - bytes to stdout as hex */
static void
hex(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		printf("%02x", b->data[i]);
	printf("\n");
}

/* progress - counts calls, to show the callback runs */
static void
progress(void *arg)
{
	(*(int *)arg)++;
}

int
main(int argc, char **argv)
{
	struct conf_card cc;
	struct buf err = BUF_INIT, why = BUF_INIT, in = BUF_INIT,
	    out = BUF_INIT;
	struct timespec dl, t0, t1;
	struct card *card = NULL;
	long ms = 30000, wait_ms = 0;
	int opt, rc = CARD_E_CONFIG, n = 1, calls = 0, i;
	char **a;
	FILE *fp;

	msg_open("card_tool", 0, 0);
	while ((opt = getopt(argc, argv, "t:w:")) != -1)
		if (opt == 't')
			ms = atol(optarg);
		else if (opt == 'w')
			wait_ms = atol(optarg);
	if (argc - optind < 2) {
		fprintf(stderr, "usage: card_tool [-t MS] LINE COMMAND...\n");
		return 2;
	}
	memset(&cc, 0, sizeof(cc));
	if (conf_split_fields(argv[optind], &cc.name, &cc.fields, &cc.nfields,
	    &err) < 0) {
		fprintf(stderr, "card_tool: %s\n", buf_str(&err));
		return 2;
	}
	cc.pool = (char *)conf_card_field(&cc, "pool");
	cc.backend = (char *)conf_card_field(&cc, "backend");
	if ((card = card_open(&cc, &why)) == NULL) {
		fprintf(stderr, "card_tool: open: %s\n", buf_str(&why));
		goto out;
	}
	a = argv + optind + 1;
	if (strcmp(a[0], "repeat") == 0 && a[1] != NULL) {
		n = atoi(a[1]);
		a += 2;
	}
	if (strcmp(a[0], "enable") == 0 && a[1] != NULL) {
		/* enable, then the command after it in the same process */
		if ((rc = card_enable(card, &why)) != CARD_OK) {
			fprintf(stderr, "card_tool: enable: %s\n",
			    buf_str(&why));
			goto out;
		}
		a++;
	}
	card_deadline(&dl, ms);
	if (strcmp(a[0], "cert") == 0 && a[1] && a[2]) {
		X509 *x = card_certificate(card,
		    strcmp(a[1], "osig") == 0 ? CARD_USE_OSIG : CARD_USE_ENC,
		    strcmp(a[2], "rsa") == 0 ? CARD_KEY_RSA : CARD_KEY_ECC);

		rc = x ? CARD_OK : CARD_E_NOKEY;
		if (x)
			PEM_write_X509(stdout, x);
	} else if (strcmp(a[0], "sign") == 0 && a[1] && a[2]) {
		if (unhex(a[2], &in) < 0 || in.len != 32)
			goto out;
		clock_gettime(CLOCK_REALTIME, &t0);
		for (i = 0; i < n; i++) {
			buf_reset(&out);
			if (i > 0 && wait_ms > 0) {
				/* like a daemon that keeps running */
				usleep((useconds_t)wait_ms * 1000);
				card_deadline(&dl, ms);
				buf_reset(&why);
			}
			rc = card_sign(card, strcmp(a[1], "rsa") == 0 ?
			    CARD_SIG_RSA_PSS : CARD_SIG_ECDSA, in.data, &out,
			    &dl, progress, &calls, &why);
			if (wait_ms > 0)
				fprintf(stderr, "card_tool: sign %d: %s %s\n",
				    i + 1, card_err_str(rc), buf_str(&why));
			else if (rc != CARD_OK)
				break;
		}
		clock_gettime(CLOCK_REALTIME, &t1);
		fprintf(stderr, "card_tool: sign took %ld ms\n",
		    (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000));
		if (rc == CARD_OK)
			hex(&out);
	} else if (strcmp(a[0], "decipher") == 0 && a[1] && a[2]) {
		if ((fp = fopen(a[2], "rb")) == NULL)
			goto out;
		if (buf_reserve(&in, 4096) == 0)
			in.len = fread(in.data, 1, 4096, fp);
		fclose(fp);
		rc = card_decipher(card, strcmp(a[1], "rsa") == 0 ?
		    CARD_DEC_RSA_OAEP : CARD_DEC_ELC, in.data, in.len, &out,
		    &dl, progress, &calls, &why);
		if (rc == CARD_OK)
			hex(&out);
	} else if (strcmp(a[0], "soak") == 0 && a[1] && a[2] && a[3]) {
		struct timespec end;
		int ok = 0, fail = 0, last = 0;
		long maxms = 0, took;

		if (unhex(a[3], &in) < 0 || in.len != 32)
			goto out;
		card_deadline(&end, atol(a[1]) * 1000);
		do {
			clock_gettime(CLOCK_REALTIME, &t0);
			card_deadline(&dl, ms);
			buf_reset(&out);
			buf_reset(&why);
			last = card_sign(card, strcmp(a[2], "rsa") == 0 ?
			    CARD_SIG_RSA_PSS : CARD_SIG_ECDSA, in.data, &out,
			    &dl, NULL, NULL, &why);
			clock_gettime(CLOCK_REALTIME, &t1);
			took = (t1.tv_sec - t0.tv_sec) * 1000 +
			    (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (took > maxms)
				maxms = took;
			if (last == CARD_OK)
				ok++;
			else
				fail++;
			usleep(50000);
		} while (t1.tv_sec < end.tv_sec || (t1.tv_sec == end.tv_sec &&
		    t1.tv_nsec < end.tv_nsec));
		printf("ok=%d fail=%d last=%s maxms=%ld\n", ok, fail,
		    last == CARD_OK ? "ok" : card_err_str(last), maxms);
		rc = CARD_OK;
	} else if (strcmp(a[0], "enable") == 0) {
		rc = card_enable(card, &why);
	} else if (strcmp(a[0], "status") == 0) {
		rc = card_status(card, &out);
		printf("%s\n", buf_str(&out));
	} else {
		fprintf(stderr, "card_tool: unknown command %s\n", a[0]);
	}
	if (rc != CARD_OK)
		fprintf(stderr, "card_tool: %s: %s\n", card_err_str(rc),
		    buf_str(&why));
	if (calls > 0)
		fprintf(stderr, "card_tool: progress called %d times\n", calls);
out:
	card_free(card);
	free(cc.name);
	conf_fields_free(cc.fields, cc.nfields);
	buf_free(&err);
	buf_free(&why);
	buf_free(&in);
	buf_wipe(&out);
	return rc == CARD_OK ? 0 : 1;
}
