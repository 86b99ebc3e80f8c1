/*
 * vsmartcard.c - a virtual SMC-B behind pcscd's vpcd driver, for tests.
 *
 * It connects to vpcd's TCP port (35963 + slot by default; our tests give
 * the port), speaks vpcd's framing (2-byte big-endian length, payload; a
 * 1-byte payload is a control: 00 power off, 01 power on, 02 reset, 04 get
 * ATR) and answers the APDUs of kim-format.md section 5 as an SMC-B does:
 * root and DF.ESIGN selection, EF.GDO and certificate reads by SFI, GET PIN
 * STATUS, VERIFY with a retry counter of 3, blocking and a transport-PIN
 * state, MSE:SET with the real key references and algorithms, PSO COMPUTE
 * DIGITAL SIGNATURE (PSS, ECDSA r||s), PSO DECIPHER (OAEP, ELC template).
 * The security state is cleared on power off and reset.
 *
 *	vsmartcard -p PORT -k KEYDIR [-P PIN] [-c COUNTER] [-t] [-d DELAY-MS]
 *	    [-i ICCSN-HEX] [-s STATEFILE] [-v]
 *
 * KEYDIR holds {osig,enc}-{rsa,ecc}.key and .crt or .pem (PEM; a party
 * directory of tests/pki/mkpki.sh works); a missing key is a key the card
 * does not have. -s keeps the PIN counter in a file, so that a
 * card "reinserted" (the program restarted) remembers wrong PINs.
 * Exits on SIGTERM; reconnects when pcscd goes away.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "card.h"
#include "elc.h"

#define SW(b, s) ((b)->sw = (s))

static const unsigned char aid_root[] = {0xd2, 0x76, 0x00, 0x01, 0x46, 0x06};
static const unsigned char aid_esign[] = {
	0xa0, 0x00, 0x00, 0x01, 0x67, 0x45, 0x53, 0x49, 0x47, 0x4e,
};
/* T=1, no interface bytes beyond TD1/TD2, TCK */
static const unsigned char atr[] = {0x3b, 0x80, 0x80, 0x01, 0x01};

enum sel { SEL_NONE, SEL_ROOT, SEL_ESIGN };

/* the four keys: [use][type] as in card.h */
struct slot {
	EVP_PKEY *key;
	unsigned char *der;	/* certificate */
	int derlen;
};

static struct {
	struct slot slot[2][2];
	unsigned char gdo[12];
	char pin[13];
	int counter;		/* retry counter, 3 at most */
	int transport;
	long delay_ms;
	const char *state_file;
	int verbose;
	/* volatile state: cleared on power off and reset */
	int powered;
	enum sel sel;
	const unsigned char *ef;	/* current EF after a read by SFI */
	int eflen;
	int verified;
	int sign_ref, sign_alg, dec_ref, dec_alg;
} vc;

static volatile sig_atomic_t stop;

/* a response being built */
struct rapdu {
	unsigned char data[70000];
	size_t len;
	unsigned sw;
};

/* on_term - leave the main loop */
static void
on_term(int sig)
{
	stop = 1;
}

/* state_save - keep the retry counter for a restarted card */
static void
state_save(void)
{
	FILE *fp;

	if (vc.state_file == NULL || (fp = fopen(vc.state_file, "w")) == NULL)
		return;
	fprintf(fp, "%d %d\n", vc.counter, vc.transport);
	fclose(fp);
}

/* state_load - the counter from a previous run, if any */
static void
state_load(void)
{
	FILE *fp;

	if (vc.state_file == NULL || (fp = fopen(vc.state_file, "r")) == NULL)
		return;
	if (fscanf(fp, "%d %d", &vc.counter, &vc.transport) != 2)
		vc.counter = 3;
	fclose(fp);
}

/* load_slot - DIR/NAME.key and DIR/NAME.crt, when both exist */
static void
load_slot(const char *dir, const char *name, struct slot *s)
{
	char path[4096];
	FILE *fp;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	s->key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		/* tests/pki/mkpki.sh's layout: USE-KT.pem */
		snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
		fp = fopen(path, "r");
	}
	if (fp == NULL) {
		fprintf(stderr, "vsmartcard: %s missing\n", path);
		exit(2);
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (s->key == NULL || x == NULL) {
		fprintf(stderr, "vsmartcard: cannot read %s/%s.*\n", dir, name);
		exit(2);
	}
	s->derlen = i2d_X509(x, &s->der);
	X509_free(x);
}

/* power - power on, off or reset: the security state is gone */
static void
power(int on)
{
	vc.powered = on;
	vc.sel = SEL_NONE;
	vc.ef = NULL;
	vc.verified = 0;
	vc.sign_ref = vc.dec_ref = -1;
}

/* pause_op - the configured time a private-key operation takes */
static void
pause_op(void)
{
	struct timespec ts;

	if (vc.delay_ms <= 0)
		return;
	ts.tv_sec = vc.delay_ms / 1000;
	ts.tv_nsec = (vc.delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
		;
}

/* do_select - SELECT by AID (P1 04) */
static void
do_select(const unsigned char *d, size_t lc, struct rapdu *r)
{
	if (lc == sizeof(aid_root) && memcmp(d, aid_root, lc) == 0)
		vc.sel = SEL_ROOT;
	else if (lc == sizeof(aid_esign) && memcmp(d, aid_esign, lc) == 0)
		vc.sel = SEL_ESIGN;
	else
		return (void)SW(r, 0x6a82);
	/* a new DF: new security environment, no current EF */
	vc.ef = NULL;
	vc.sign_ref = vc.dec_ref = -1;
	SW(r, 0x9000);
}

/* file_by_sfi - the EF an SFI names in the current DF */
static int
file_by_sfi(int sfi, const unsigned char **ef, int *len)
{
	static const struct {
		int sfi, use, type;
	} esign[] = {
		{0x10, CARD_USE_OSIG, CARD_KEY_RSA},
		{0x02, CARD_USE_ENC, CARD_KEY_RSA},
		{0x07, CARD_USE_OSIG, CARD_KEY_ECC},
		{0x05, CARD_USE_ENC, CARD_KEY_ECC},
	};
	size_t i;

	if (vc.sel == SEL_ROOT && sfi == 0x02) {
		*ef = vc.gdo;
		*len = sizeof(vc.gdo);
		return 0;
	}
	if (vc.sel != SEL_ESIGN)
		return -1;
	for (i = 0; i < sizeof(esign) / sizeof(esign[0]); i++)
		if (esign[i].sfi == sfi) {
			struct slot *s = &vc.slot[esign[i].use][esign[i].type];

			if (s->der == NULL)
				return -1;
			*ef = s->der;
			*len = s->derlen;
			return 0;
		}
	return -1;
}

/* do_read - READ BINARY, by SFI (P1 bit 8) or in the current EF */
static void
do_read(unsigned p1, unsigned p2, size_t le, struct rapdu *r)
{
	size_t off, n;

	if (p1 & 0x80) {
		if (file_by_sfi(p1 & 0x1f, &vc.ef, &vc.eflen) < 0) {
			vc.ef = NULL;
			return (void)SW(r, 0x6a82);
		}
		off = p2;
	} else {
		if (vc.ef == NULL)
			return (void)SW(r, 0x6986);
		off = (p1 << 8) | p2;
	}
	if (off >= (size_t)vc.eflen)
		return (void)SW(r, 0x6b00);
	n = (size_t)vc.eflen - off;
	if (n > le)
		n = le;
	memcpy(r->data, vc.ef + off, n);
	r->len = n;
	/* fewer bytes than asked for: end of file reached */
	SW(r, n < le ? 0x6282 : 0x9000);
}

/* pin_status - GET PIN STATUS of PIN.SMC (ref 01) */
static void
pin_status(unsigned p2, struct rapdu *r)
{
	if (p2 != 0x01)
		return (void)SW(r, 0x6a88);
	if (vc.transport)
		return (void)SW(r, 0x62c1);
	if (vc.verified)
		return (void)SW(r, 0x9000);
	SW(r, 0x63c0 | vc.counter);
}

/* pin_verify - VERIFY with an ISO 9564 format-2 block */
static void
pin_verify(unsigned p2, const unsigned char *d, size_t lc, struct rapdu *r)
{
	char pin[16];
	size_t n, i;

	if (p2 != 0x01)
		return (void)SW(r, 0x6a88);
	if (vc.counter == 0)
		return (void)SW(r, 0x6983);
	if (vc.transport)
		return (void)SW(r, 0x6985);
	if (lc != 8 || (d[0] >> 4) != 2 || (n = d[0] & 0x0f) < 4 || n > 12)
		return (void)SW(r, 0x6a80);
	for (i = 0; i < n; i++)
		pin[i] = (char)('0' + ((d[1 + i / 2] >> (i % 2 ? 0 : 4)) & 0x0f));
	pin[n] = 0;
	if (strcmp(pin, vc.pin) == 0) {
		vc.counter = 3;
		vc.verified = 1;
		SW(r, 0x9000);
	} else {
		vc.counter--;
		vc.verified = 0;
		SW(r, 0x63c0 | vc.counter);
		if (vc.verbose)
			fprintf(stderr, "vsmartcard: wrong PIN, %d tries left\n",
			    vc.counter);
	}
	state_save();
}

/* do_mse - MSE:SET for signing (B6) or deciphering (B8) */
static void
do_mse(unsigned p1, unsigned p2, const unsigned char *d, size_t lc,
    struct rapdu *r)
{
	static const struct {
		int ref, use, type, alg;
	} keys[] = {
		{0x84, CARD_USE_OSIG, CARD_KEY_RSA, 0x05},
		{0x87, CARD_USE_OSIG, CARD_KEY_ECC, 0x00},
		{0x83, CARD_USE_ENC, CARD_KEY_RSA, 0x85},
		{0x85, CARD_USE_ENC, CARD_KEY_ECC, 0x0b},
	};
	int want = p2 == 0xb6 ? CARD_USE_OSIG : CARD_USE_ENC;
	size_t i;

	if (p1 != 0x41 || (p2 != 0xb6 && p2 != 0xb8))
		return (void)SW(r, 0x6a86);
	if (lc != 6 || d[0] != 0x84 || d[1] != 1 || d[3] != 0x80 || d[4] != 1)
		return (void)SW(r, 0x6a80);
	/* the key references are local to DF.ESIGN */
	if (vc.sel != SEL_ESIGN)
		return (void)SW(r, 0x6a88);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (keys[i].ref != d[2])
			continue;
		if (vc.slot[keys[i].use][keys[i].type].key == NULL)
			return (void)SW(r, 0x6a88);
		if (keys[i].use != want || keys[i].alg != d[5])
			return (void)SW(r, 0x6a81);
		if (want == CARD_USE_OSIG) {
			vc.sign_ref = (int)i;
			vc.sign_alg = d[5];
		} else {
			vc.dec_ref = (int)i;
			vc.dec_alg = d[5];
		}
		return (void)SW(r, 0x9000);
	}
	SW(r, 0x6a88);
}

/* key_of - the key an MSE index names */
static EVP_PKEY *
key_of(int idx)
{
	static const int map[4][2] = {
		{CARD_USE_OSIG, CARD_KEY_RSA}, {CARD_USE_OSIG, CARD_KEY_ECC},
		{CARD_USE_ENC, CARD_KEY_RSA}, {CARD_USE_ENC, CARD_KEY_ECC},
	};

	return vc.slot[map[idx][0]][map[idx][1]].key;
}

/* do_sign - PSO COMPUTE DIGITAL SIGNATURE over a raw SHA-256 hash */
static void
do_sign(const unsigned char *d, size_t lc, struct rapdu *r)
{
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char der[128];
	const unsigned char *p = der;
	const BIGNUM *br, *bs;
	ECDSA_SIG *es = NULL;
	size_t len;

	if (vc.sign_ref < 0)
		return (void)SW(r, 0x6985);
	if (!vc.verified)
		return (void)SW(r, 0x6982);
	if (lc != 32)
		return (void)SW(r, 0x6700);
	pause_op();
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key_of(vc.sign_ref), NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0)
		goto fail;
	if (vc.sign_alg == 0x05) {
		len = sizeof(r->data);
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) <= 0 ||
		    EVP_PKEY_sign(ctx, r->data, &len, d, 32) <= 0)
			goto fail;
		r->len = len;
	} else {
		/* the card answers r||s, 32 bytes each */
		len = sizeof(der);
		if (EVP_PKEY_sign(ctx, der, &len, d, 32) <= 0 ||
		    (es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
			goto fail;
		ECDSA_SIG_get0(es, &br, &bs);
		if (BN_bn2binpad(br, r->data, 32) != 32 ||
		    BN_bn2binpad(bs, r->data + 32, 32) != 32)
			goto fail;
		r->len = 64;
	}
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(es);
	return (void)SW(r, 0x9000);
fail:
	EVP_PKEY_CTX_free(ctx);
	ECDSA_SIG_free(es);
	r->len = 0;
	SW(r, 0x6f00);
}

/* do_decipher - PSO DECIPHER: OAEP (00 || cryptogram) or the ELC template */
static void
do_decipher(const unsigned char *d, size_t lc, struct rapdu *r)
{
	EVP_PKEY_CTX *ctx = NULL;
	struct buf key = BUF_INIT;
	size_t len = sizeof(r->data);
	EVP_PKEY *pk;

	if (vc.dec_ref < 0)
		return (void)SW(r, 0x6985);
	if (!vc.verified)
		return (void)SW(r, 0x6982);
	pk = key_of(vc.dec_ref);
	pause_op();
	if (vc.dec_alg == 0x85) {
		if (lc != 1 + (size_t)EVP_PKEY_get_size(pk) || d[0] != 0x00)
			return (void)SW(r, 0x6a80);
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_padding(ctx,
		    RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_decrypt(ctx, r->data, &len, d + 1, lc - 1) <= 0) {
			EVP_PKEY_CTX_free(ctx);
			return (void)SW(r, 0x6a80);
		}
		EVP_PKEY_CTX_free(ctx);
		r->len = len;
		return (void)SW(r, 0x9000);
	}
	if (elc_decrypt(pk, d, lc, &key) != CARD_OK) {
		buf_wipe(&key);
		return (void)SW(r, 0x6a80);
	}
	memcpy(r->data, key.data, key.len);
	r->len = key.len;
	buf_wipe(&key);
	SW(r, 0x9000);
}

/* apdu - parse a command (short or extended) and answer it */
static void
apdu(const unsigned char *c, size_t n, struct rapdu *r)
{
	unsigned cla, ins, p1, p2;
	const unsigned char *d = NULL;
	size_t lc = 0, le = 0;

	r->len = 0;
	if (n < 4)
		return (void)SW(r, 0x6700);
	cla = c[0];
	ins = c[1];
	p1 = c[2];
	p2 = c[3];
	if (n == 5) {
		le = c[4] ? c[4] : 256;
	} else if (n > 5 && c[4] != 0) {
		lc = c[4];
		d = c + 5;
		if (n == 5 + lc + 1)
			le = c[5 + lc] ? c[5 + lc] : 256;
		else if (n != 5 + lc)
			return (void)SW(r, 0x6700);
	} else if (n == 7) {
		le = ((size_t)c[5] << 8 | c[6]);
		le = le ? le : 65536;
	} else if (n > 7) {
		lc = ((size_t)c[5] << 8) | c[6];
		d = c + 7;
		if (n == 7 + lc + 2) {
			le = ((size_t)c[7 + lc] << 8) | c[8 + lc];
			le = le ? le : 65536;
		} else if (n != 7 + lc) {
			return (void)SW(r, 0x6700);
		}
	} else if (n != 4) {
		return (void)SW(r, 0x6700);
	}
	if (cla != 0x00 && !(cla == 0x80 && ins == 0x20))
		return (void)SW(r, 0x6e00);
	switch (ins) {
	case 0xa4:
		if (p1 != 0x04 || d == NULL)
			return (void)SW(r, 0x6a86);
		return do_select(d, lc, r);
	case 0xb0:
		if (le > sizeof(r->data) - 2)
			le = sizeof(r->data) - 2;
		return do_read(p1, p2, le, r);
	case 0x20:
		if (cla == 0x80)
			return pin_status(p2, r);
		return pin_verify(p2, d, lc, r);
	case 0x22:
		return do_mse(p1, p2, d, lc, r);
	case 0x2a:
		if (p1 == 0x9e && p2 == 0x9a && d != NULL)
			return do_sign(d, lc, r);
		if (p1 == 0x80 && p2 == 0x86 && d != NULL)
			return do_decipher(d, lc, r);
		return (void)SW(r, 0x6a86);
	default:
		return (void)SW(r, 0x6d00);
	}
}

/* quickack - vpcd writes length and payload separately: no delayed ACKs */
static void
quickack(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* readn - read exactly n bytes; 0 at EOF */
static int
readn(int fd, unsigned char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		quickack(fd);
		k = recv(fd, p, n, 0);
		if (k < 0 && errno == EINTR && !stop)
			continue;
		if (k <= 0)
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

/* send_frame - length and payload in one write */
static int
send_frame(int fd, const unsigned char *p, size_t n)
{
	unsigned char *f = malloc(n + 2);
	int ok;

	if (f == NULL)
		return 0;
	f[0] = (unsigned char)(n >> 8);
	f[1] = (unsigned char)n;
	memcpy(f + 2, p, n);
	ok = send(fd, f, n + 2, MSG_NOSIGNAL) == (ssize_t)(n + 2);
	free(f);
	return ok;
}

/* serve - one connection to vpcd until it closes */
static void
serve(int fd)
{
	static unsigned char cmd[70000];
	static struct rapdu r;
	unsigned char hdr[2];
	size_t n;

	while (!stop && readn(fd, hdr, 2)) {
		n = ((size_t)hdr[0] << 8) | hdr[1];
		if (!readn(fd, cmd, n))
			break;
		if (n == 1) {
			switch (cmd[0]) {
			case 0x00:
				power(0);
				break;
			case 0x01:
			case 0x02:
				power(1);
				break;
			case 0x04:
				if (!send_frame(fd, atr, sizeof(atr)))
					return;
				break;
			}
			continue;
		}
		apdu(cmd, n, &r);
		if (vc.verbose)
			fprintf(stderr, "vsmartcard: %02x %02x %02x %02x -> "
			    "%zu bytes %04x\n", cmd[0], cmd[1], n > 2 ? cmd[2] : 0,
			    n > 3 ? cmd[3] : 0, r.len, r.sw);
		r.data[r.len] = (unsigned char)(r.sw >> 8);
		r.data[r.len + 1] = (unsigned char)r.sw;
		if (!send_frame(fd, r.data, r.len + 2))
			return;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	const char *keydir = NULL, *iccsn = "80276883110000123456";
	struct sigaction act;
	int port = 35963, opt, fd, u, t, i;
	static const char *names[2][2] = {
		{"osig-rsa", "osig-ecc"}, {"enc-rsa", "enc-ecc"},
	};

	vc.counter = 3;
	snprintf(vc.pin, sizeof(vc.pin), "123456");
	while ((opt = getopt(argc, argv, "p:k:P:c:td:i:s:v")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'k': keydir = optarg; break;
		case 'P': snprintf(vc.pin, sizeof(vc.pin), "%s", optarg); break;
		case 'c': vc.counter = atoi(optarg); break;
		case 't': vc.transport = 1; break;
		case 'd': vc.delay_ms = atol(optarg); break;
		case 'i': iccsn = optarg; break;
		case 's': vc.state_file = optarg; break;
		case 'v': vc.verbose = 1; break;
		default:
			fprintf(stderr, "usage: vsmartcard -p PORT -k KEYDIR "
			    "[-P PIN] [-c COUNTER] [-t] [-d MS] [-i ICCSN] "
			    "[-s STATE] [-v]\n");
			return 2;
		}
	}
	if (keydir == NULL || strlen(iccsn) != 20) {
		fprintf(stderr, "vsmartcard: -k KEYDIR and a 20-digit ICCSN\n");
		return 2;
	}
	for (u = 0; u < 2; u++)
		for (t = 0; t < 2; t++)
			load_slot(keydir, names[u][t], &vc.slot[u][t]);
	vc.gdo[0] = 0x5a;
	vc.gdo[1] = 0x0a;
	for (i = 0; i < 10; i++)
		vc.gdo[2 + i] = (unsigned char)(((iccsn[2 * i] - '0') << 4) |
		    (iccsn[2 * i + 1] - '0'));
	state_load();
	state_save();
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_term;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (!stop) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			/* pcscd not (yet or again) there */
			close(fd);
			usleep(100000);
			continue;
		}
		opt = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &opt,
		    sizeof(opt));
		if (vc.verbose)
			fprintf(stderr, "vsmartcard: connected to port %d\n",
			    port);
		power(0);
		serve(fd);
		close(fd);
	}
	return 0;
}
