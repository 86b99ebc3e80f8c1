/*
 * bench_codec.c - the KIM codec against the openssl command line and
 * against the raw cost of the crypto it must do (issue 5, "Benchmark").
 *
 * For 10 KB, 1 MB and 20 MB mails, 1 and 5 recipients, RSA and ECC:
 * kim_encode and kim_decode in messages/s; the same RSA work done by
 * `openssl cms` (sign with PSS, then encrypt with -aes-256-gcm and
 * OAEP-SHA256; decrypt, then verify); the raw crypto (one private-key
 * operation, one public-key operation per certificate, SHA-256 and
 * AES-256-GCM over the data, plus base64 at 1 MB and up); peak RSS of a
 * process that does one configuration. Each configuration runs in its own
 * child process so that its peak RSS is its own.
 *
 * usage: bench_codec [-t SECONDS] [-s SIZE] [-n] (-n: no openssl CLI)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "elc.h"
#include "kim.h"
#include "kim_mime.h"

#define NPARTY 6		/* the sender and 5 recipients */

static char dir[] = "/tmp/bench_codec.XXXXXX";
static double min_time = 1.0;
static int use_cli = 1;
static X509 *enc_cert[NPARTY][2];	/* [party][0 rsa, 1 ecc] */
static EVP_PKEY *enc_key[NPARTY][2], *osig_key[2];
static char addr[NPARTY][64];

/* now - monotonic seconds */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* mkpair - a key and a self-signed certificate, written as NAME.{key,crt} */
static void
mkpair(const char *name, int ecc, int ku_sign, EVP_PKEY **pk, X509 **x)
{
	char p[128];
	FILE *fp;

	*pk = ecc ? EVP_EC_gen("brainpoolP256r1") : EVP_RSA_gen(2048);
	*x = X509_new();
	if (*pk == NULL || *x == NULL)
		abort();
	RAND_bytes((unsigned char *)p, 8);
	ASN1_INTEGER_set(X509_get_serialNumber(*x), (long)(p[0] & 0x7f) << 8 |
	    (unsigned char)p[1]);
	X509_gmtime_adj(X509_getm_notBefore(*x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(*x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(*x), "CN",
	    MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(*x, X509_get_subject_name(*x));
	X509_set_pubkey(*x, *pk);
	(void)ku_sign;
	if (!X509_sign(*x, *pk, EVP_sha256()))
		abort();
	snprintf(p, sizeof(p), "%s/%s.key", dir, name);
	fp = fopen(p, "w");
	PEM_write_PrivateKey(fp, *pk, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/%s.crt", dir, name);
	fp = fopen(p, "w");
	PEM_write_X509(fp, *x);
	fclose(fp);
}

/* soft - a soft card of key/cert file pairs (names without suffix) */
static struct card *
soft(const char *a, const char *b)
{
	char k[512], c[512];
	struct conf_field f[3];
	struct conf_card cc;
	struct buf why = BUF_INIT;
	struct card *card;

	snprintf(k, sizeof(k), "%s/%s.key,%s/%s.key", dir, a, dir, b);
	snprintf(c, sizeof(c), "%s/%s.crt,%s/%s.crt", dir, a, dir, b);
	memset(&cc, 0, sizeof(cc));
	cc.name = (char *)"bench";
	cc.backend = (char *)"soft";
	f[0].key = (char *)"backend";
	f[0].value = (char *)"soft";
	f[1].key = (char *)"key";
	f[1].value = k;
	f[2].key = (char *)"cert";
	f[2].value = c;
	cc.fields = f;
	cc.nfields = 3;
	card = card_open(&cc, &why);
	if (card == NULL) {
		fprintf(stderr, "bench: %s\n", buf_str(&why));
		exit(1);
	}
	buf_free(&why);
	return card;
}

/* mkmail - headers and a base64-looking body of about size bytes */
static void
mkmail(size_t size, int nrcpt, struct buf *m)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char r[57];
	size_t i;
	int j;

	buf_printf(m, "From: Sender <%s>\r\nTo: ", addr[0]);
	for (j = 1; j <= nrcpt; j++)
		buf_printf(m, "%s%s", j > 1 ? ", " : "", addr[j]);
	buf_puts(m, "\r\nSubject: bench\r\nDate: Sat, 28 Nov 2026 12:00:00 "
	    "+0100\r\nMessage-ID: <bench@x>\r\n\r\n");
	while (m->len < size) {
		RAND_bytes(r, sizeof(r));
		for (i = 0; i < 76; i++)
			buf_printf(m, "%c", b64[r[i % 57] & 63]);
		buf_puts(m, "\r\n");
	}
}

#define ROUNDS 5

/* min - the smaller */
static double
min(double a, double b)
{
	return a < b ? a : b;
}

/* timed - run fn until min_time/ROUNDS has passed; seconds per call */
static double
timed(void (*fn)(void *), void *arg, int max)
{
	double t0 = now(), t;
	int n = 0;

	do {
		fn(arg);
		n++;
		t = now() - t0;
	} while (t < min_time / ROUNDS && n < max);
	return t / n;
}

struct cfg {
	size_t size;
	int nrcpt, ecc;
	struct buf mail, out;
	struct card *scard, *rcard;
	struct kim_party sender, rc[NPARTY];
	X509 *certs[NPARTY][1];
	struct kim_encode_args ea;
	struct kim_decode_args da;
};

static void
do_encode(void *arg)
{
	struct cfg *c = arg;
	struct buf why = BUF_INIT;
	int cerr;

	buf_reset(&c->out);
	if (kim_encode(&c->ea, &c->out, &cerr, &why) != 0) {
		fprintf(stderr, "encode: %s\n", buf_str(&why));
		exit(1);
	}
	buf_free(&why);
}

static void
do_decode(void *arg)
{
	struct cfg *c = arg;
	struct kim_decode_result r;

	if (kim_decode(&c->da, &r) != 0 || r.decryption != KIM_DEC_OK ||
	    r.integrity != KIM_INT_UNCHECKED) {
		fprintf(stderr, "decode: %s\n", buf_str(&r.reason));
		exit(1);
	}
	kim_decode_result_free(&r);
}

/* raw_encode - the crypto an encode cannot avoid, done directly */
static void
raw_encode(void *arg)
{
	struct cfg *c = arg;
	unsigned char md[32], sig[512], key[32], iv[12], tag[16], *ct;
	size_t siglen = sizeof(sig), ol;
	EVP_PKEY_CTX *pc;
	EVP_CIPHER_CTX *cc;
	struct buf b = BUF_INIT, t = BUF_INIT;
	int i, len;

	EVP_Digest(c->mail.data, c->mail.len, md, NULL, EVP_sha256(), NULL);
	pc = EVP_PKEY_CTX_new(osig_key[c->ecc], NULL);
	EVP_PKEY_sign_init(pc);
	if (!c->ecc) {
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32);
	}
	EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256());
	EVP_PKEY_sign(pc, sig, &siglen, md, 32);
	EVP_PKEY_CTX_free(pc);
	RAND_bytes(key, 32);
	RAND_bytes(iv, 12);
	for (i = 0; i <= c->nrcpt; i++) {
		if (c->ecc) {
			buf_reset(&t);
			if (elc_encrypt(enc_key[i][1], key, 32, &t) != 0)
				abort();
			continue;
		}
		pc = EVP_PKEY_CTX_new(enc_key[i][0], NULL);
		EVP_PKEY_encrypt_init(pc);
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING);
		EVP_PKEY_CTX_set_rsa_oaep_md(pc, EVP_sha256());
		ol = sizeof(sig);
		EVP_PKEY_encrypt(pc, sig, &ol, key, 32);
		EVP_PKEY_CTX_free(pc);
	}
	ct = malloc(c->mail.len + 16);
	cc = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(cc, EVP_aes_256_gcm(), NULL, key, iv);
	EVP_EncryptUpdate(cc, ct, &len, c->mail.data, (int)c->mail.len);
	EVP_EncryptFinal_ex(cc, ct + len, &len);
	EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(cc);
	if (c->size >= 1000000 && kim_mime_b64_encode(ct, c->mail.len, &b) < 0)
		abort();
	free(ct);
	buf_free(&b);
	buf_free(&t);
}

/* cli - the same RSA work by the openssl command line; seconds per mail */
static double
cli(struct cfg *c, int decode)
{
	char cmd[4096], *p = cmd;
	double t0, t;
	int i, n = 0;

	if (!decode) {
		p += snprintf(p, sizeof(cmd), "cd %s && openssl cms -sign -binary "
		    "-in mail -signer osig-rsa.crt -inkey osig-rsa.key -md sha256 "
		    "-keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:32 "
		    "-outform DER -nodetach | openssl cms -encrypt -binary "
		    "-inform DER -outform DER -aes-256-gcm -out cli.der", dir);
		for (i = 0; i <= c->nrcpt; i++)
			p += snprintf(p, sizeof(cmd) - (p - cmd), " -recip "
			    "enc%d-rsa.crt -keyopt rsa_padding_mode:oaep -keyopt "
			    "rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256", i);
	} else {
		snprintf(cmd, sizeof(cmd), "cd %s && openssl cms -decrypt "
		    "-binary -inform DER -in cli.der -inkey enc1-rsa.key -recip "
		    "enc1-rsa.crt | openssl cms -verify -binary -inform DER "
		    "-noverify -out /dev/null 2>/dev/null", dir);
	}
	t0 = now();
	do {
		if (system(cmd) != 0) {
			fprintf(stderr, "bench: openssl cms failed: %s\n", cmd);
			return -1;
		}
		n++;
		t = now() - t0;
	} while (t < min_time && n < 50);
	return t / n;
}

/* run - one configuration, in a child; prints one line */
static void
run(size_t size, int nrcpt, int ecc)
{
	struct cfg c;
	struct buf why = BUF_INIT;
	X509_STORE *st;
	double te, td, tr, tce = 0, tcd = 0;
	char p[128];
	FILE *fp;
	int i, cerr;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.nrcpt = nrcpt;
	c.ecc = ecc;
	mkmail(size, nrcpt, &c.mail);
	c.scard = soft("osig-rsa", "osig-ecc");
	c.rcard = soft("enc1-rsa", "enc1-ecc");
	c.sender.address = addr[0];
	c.certs[0][0] = enc_cert[0][ecc];
	c.sender.certs = c.certs[0];
	c.sender.ncerts = 1;
	for (i = 1; i <= nrcpt; i++) {
		c.certs[i][0] = enc_cert[i][ecc];
		c.rc[i - 1].address = addr[i];
		c.rc[i - 1].certs = c.certs[i];
		c.rc[i - 1].ncerts = 1;
	}
	c.ea.msg = c.mail.data;
	c.ea.msglen = c.mail.len;
	c.ea.card = c.scard;
	c.ea.sender = &c.sender;
	c.ea.rcpts = c.rc;
	c.ea.nrcpts = (size_t)nrcpt;
	c.ea.prefer_rsa_signature = !ecc;
	if (kim_encode(&c.ea, &c.out, &cerr, &why) != 0) {
		fprintf(stderr, "encode: %s\n", buf_str(&why));
		exit(1);
	}
	st = X509_STORE_new();
	snprintf(p, sizeof(p), "%s/osig-%s.crt", dir, ecc ? "ecc" : "rsa");
	fp = fopen(p, "r");
	X509_STORE_add_cert(st, PEM_read_X509(fp, NULL, NULL, NULL));
	fclose(fp);
	c.da.msg = c.out.data;
	c.da.msglen = c.out.len;
	c.da.address = addr[1];
	c.da.card = c.rcard;
	c.da.anchors = st;
	{
		struct buf enc = c.out;	/* decode reads a copy kept aside */

		c.out = (struct buf)BUF_INIT;
		c.da.msg = enc.data;
		c.da.msglen = enc.len;
		/* interleaved rounds, best of each: the machine's speed drifts */
		te = td = tr = 1e9;
		for (i = 0; i < ROUNDS; i++) {
			te = min(te, timed(do_encode, &c, 1000));
			tr = min(tr, timed(raw_encode, &c, 1000));
			td = min(td, timed(do_decode, &c, 1000));
		}
		buf_free(&enc);
	}
	if (use_cli && !ecc) {
		snprintf(p, sizeof(p), "%s/mail", dir);
		fp = fopen(p, "wb");
		fwrite(c.mail.data, 1, c.mail.len, fp);
		fclose(fp);
		tce = cli(&c, 0);
		tcd = cli(&c, 1);
	}
	printf("%7zuK %2d %s | %9.1f %9.1f | %9.1f %5.2fx |", size / 1000,
	    nrcpt, ecc ? "ECC" : "RSA", 1 / te, 1 / td, 1 / tr, te / tr);
	if (tce > 0)
		printf(" %7.1f %6.1fx %7.1f %6.1fx |", 1 / tce, tce / te,
		    1 / tcd, tcd / td);
	else
		printf(" %7s %7s %7s %7s |", "-", "-", "-", "-");
	fflush(stdout);
	card_free(c.scard);
	card_free(c.rcard);
	X509_STORE_free(st);
	buf_free(&c.mail);
	buf_free(&c.out);
	buf_free(&why);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = {10000, 1000000, 20000000};
	char name[32];
	struct rusage ru;
	size_t only = 0, s;
	pid_t pid;
	int i, k, n, e, st, ch;

	while ((ch = getopt(argc, argv, "t:s:n")) != -1) {
		if (ch == 't')
			min_time = atof(optarg);
		else if (ch == 's')
			only = (size_t)atol(optarg);
		else if (ch == 'n')
			use_cli = 0;
		else {
			fprintf(stderr, "usage: bench_codec [-t SECONDS] "
			    "[-s SIZE] [-n]\n");
			return 2;
		}
	}
	umask(077);
	if (mkdtemp(dir) == NULL)
		return 1;
	mkpair("osig-rsa", 0, 1, &osig_key[0], &enc_cert[0][0]);
	X509_free(enc_cert[0][0]);
	mkpair("osig-ecc", 1, 1, &osig_key[1], &enc_cert[0][0]);
	X509_free(enc_cert[0][0]);
	for (i = 0; i < NPARTY; i++) {
		snprintf(addr[i], sizeof(addr[i]), "party%d@bench.kim.telematik",
		    i);
		for (k = 0; k < 2; k++) {
			snprintf(name, sizeof(name), "enc%d-%s", i,
			    k ? "ecc" : "rsa");
			mkpair(name, k, 0, &enc_key[i][k], &enc_cert[i][k]);
		}
	}
	printf("kim codec benchmark: msgs/s, best of %d rounds of %.2f s\n",
	    ROUNDS, min_time / ROUNDS);
	printf("    size  n alg |    encode    decode |  raw-enc  enc/raw |"
	    " cli-enc  codec/ cli-dec  codec/ | peak RSS\n");
	printf("                |                     |                   |"
	    "          cli            cli     |\n");
	for (s = 0; s < 3; s++) {
		if (only && sizes[s] != only)
			continue;
		for (n = 1; n <= 5; n += 4)
			for (e = 0; e < 2; e++) {
				fflush(stdout);
				pid = fork();
				if (pid == 0) {
					run(sizes[s], n, e);
					_exit(0);
				}
				if (wait4(pid, &st, 0, &ru) < 0 ||
				    !WIFEXITED(st) || WEXITSTATUS(st) != 0)
					printf(" (failed)\n");
				else
					printf(" %5.1f MB\n", ru.ru_maxrss /
					    1024.0);
			}
	}
	snprintf(name, sizeof(name), "rm -rf %s", dir);
	return system(name) == 0 ? 0 : 1;
}
