/*
 * kim_test.c - what the codec's unit tests share: the test mail, soft
 * cards over keys made by tests/codec/mkkeys.sh, encode/decode helpers and
 * ways to take an outer message apart and put it back (kim_test.h).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "kim.h"
#include "kim_asn1.h"
#include "kim_cms.h"
#include "kim_mime.h"
#include "kim_test.h"

char dir[64];


const char mail[] =
    "From: Karl <" SENDER ">\n"
    "To: <" R1 ">, " R2 ",\n " R3 "\n"
    "Subject: Befund\n"
    "Date: Sat, 28 Nov 2026 12:00:00 +0100\n"
    "Message-ID: <m1@praxis>\n"
    "\n"
    "Hello, this is the body.\n";

/* the key material and the parties, made once */
X509 *c_senc_rsa, *c_senc_ecc, *c_r1, *c_r2, *c_r3r, *c_r3e, *c_ca;
X509_STORE *anchors;

/* path - a file of the key directory */
const char *
path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* cert - load a PEM certificate */
X509 *
cert(const char *file)
{
	FILE *fp = fopen(file, "r");
	X509 *x;

	ck_assert_msg(fp != NULL, "%s", file);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* soft - a soft card with the comma-separated key and cert lists */
struct card *
soft(const char *keys, const char *certs)
{
	char k[2048] = "", c[2048] = "", one[64];
	struct conf_field f[3];
	struct conf_card cc;
	struct buf why = BUF_INIT;
	struct card *card;
	const char *p, *e;

	for (p = keys; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
		strcat(k, *k ? "," : "");
		strcat(k, path(one));
	}
	for (p = certs; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
		strcat(c, *c ? "," : "");
		strcat(c, path(one));
	}
	memset(&cc, 0, sizeof(cc));
	cc.name = (char *)"test";
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
	ck_assert_msg(card != NULL, "%s", buf_str(&why));
	buf_free(&why);
	return card;
}

/* kim_test_setup - keys in a fresh directory, certificates loaded */
void
kim_test_setup(void)
{
	char cmd[512];

	strcpy(dir, "/tmp/check_kim.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/codec/mkkeys.sh' '%s'",
	    TEST_SRCDIR, dir);
	ck_assert_int_eq(system(cmd), 0);
	c_senc_rsa = cert(path("sender-enc-rsa.crt"));
	c_senc_ecc = cert(path("sender-enc-ecc.crt"));
	c_r1 = cert(path("r1-enc-rsa.crt"));
	c_r2 = cert(path("r2-enc-ecc.crt"));
	c_r3r = cert(path("r3-enc-rsa.crt"));
	c_r3e = cert(path("r3-enc-ecc.crt"));
	c_ca = cert(path("ca.crt"));
	anchors = X509_STORE_new();
	X509_STORE_add_cert(anchors, c_ca);
}

/* kim_test_teardown - remove the key directory */
void
kim_test_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* encode - the test mail from the sender to R1 (RSA), R2 (ECC), R3 (both) */
void
encode(const char *msg, enum kim_encrypt_to mode, int rsa_sig,
    struct buf *out)
{
	struct card *card;
	X509 *sc[2] = {c_senc_rsa, c_senc_ecc}, *r1[1] = {c_r1},
	    *r2[1] = {c_r2}, *r3[2] = {c_r3r, c_r3e};
	struct kim_party sender = {SENDER, sc, 2};
	struct kim_party rc[3] = {{R1, r1, 1}, {R2, r2, 1}, {R3, r3, 2}};
	struct kim_encode_args a;
	struct buf why = BUF_INIT;
	int cerr;

	card = soft("sender-osig-rsa.key,sender-osig-ecc.key",
	    "sender-osig-rsa.crt,sender-osig-ecc.crt");
	memset(&a, 0, sizeof(a));
	a.msg = (const unsigned char *)msg;
	a.msglen = strlen(msg);
	a.card = card;
	a.sender = &sender;
	a.rcpts = rc;
	a.nrcpts = 3;
	a.encrypt_to = mode;
	a.prefer_rsa_signature = rsa_sig;
	ck_assert_msg(kim_encode(&a, out, &cerr, &why) == 0, "%s",
	    buf_str(&why));
	card_free(card);
	buf_free(&why);
}

/* decode - as the holder of key/cert for address */
void
decode(const struct buf *in, const char *address, const char *key,
    const char *crt, kim_revocation_fn rev, struct kim_decode_result *r)
{
	struct kim_decode_args a;
	struct card *card = soft(key, crt);

	memset(&a, 0, sizeof(a));
	a.msg = in->data;
	a.msglen = in->len;
	a.address = address;
	a.card = card;
	a.anchors = anchors;
	a.revocation = rev;
	a.require_osig_policy = 1;
	ck_assert_int_eq(kim_decode(&a, r), 0);
	card_free(card);
}

/* split_outer - outer headers (with the blank line) and the DER */
void
split_outer(const struct buf *m, struct buf *hdr, struct buf *der)
{
	struct buf why = BUF_INIT;
	size_t hl, bo;

	kim_mime_split(m->data, m->len, &hl, &bo);
	ck_assert_int_eq(buf_append(hdr, m->data, bo), 0);
	ck_assert_int_eq(kim_mime_b64_decode(m->data + bo, m->len - bo, der,
	    &why), 0);
	buf_free(&why);
}

/* join_outer - headers and DER to a message again */
void
join_outer(const struct buf *hdr, const unsigned char *der, size_t len,
    struct buf *m)
{
	buf_reset(m);
	ck_assert_int_eq(buf_append(m, hdr->data, hdr->len), 0);
	ck_assert_int_eq(kim_mime_b64_encode(der, len, m), 0);
}

/* reenvelope - parse the envelope, let fn change it, put it back */
void
reenvelope(struct buf *m, void (*fn)(KIM_AUTH_ENVELOPED *))
{
	struct buf hdr = BUF_INIT, der = BUF_INIT;
	const unsigned char *p;
	unsigned char *out = NULL;
	KIM_CI_AUTHENV *ci;
	int len;

	split_outer(m, &hdr, &der);
	p = der.data;
	ci = d2i_KIM_CI_AUTHENV(NULL, &p, (long)der.len);
	ck_assert_ptr_nonnull(ci);
	fn(ci->d);
	len = i2d_KIM_CI_AUTHENV(ci, &out);
	ck_assert_int_gt(len, 0);
	join_outer(&hdr, out, (size_t)len, m);
	OPENSSL_free(out);
	KIM_CI_AUTHENV_free(ci);
	buf_free(&hdr);
	buf_free(&der);
}


/* wrap_entity - an outer message around an entity, encrypted to R1 */
void
wrap_entity(const unsigned char *ent, size_t len, struct buf *m)
{
	struct kim_rcpt rc[1] = {{R1, NULL}};
	struct kim_part part = {ent, len};
	STACK_OF(KIM_RECIPIENT_EMAIL) *re;
	struct buf why = BUF_INIT;

	rc[0].cert = c_r1;
	re = kim_remails_new(rc, 1);
	buf_reset(m);
	buf_puts(m, "From: Karl <" SENDER ">\r\nTo: <" R1 ">, " R2 ",\r\n "
	    R3 "\r\nX-KOM-LE-Version: 1.0\r\nContent-Type: "
	    "application/pkcs7-mime; smime-type=authenticated-enveloped-data"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	ck_assert_msg(kim_env_build(&part, 1, rc, 1, re, NULL, m, &why) == 0,
	    "%s", buf_str(&why));
	kim_remails_free(re);
	buf_free(&why);
}

/* decrypted - the signed entity of an encoded mail, as R1 */
void
decrypted(struct buf *ent)
{
	struct kim_decode_result r;
	struct buf out = BUF_INIT;

	encode(mail, KIM_ENCRYPT_ALL, 1, &out);
	decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_int_eq(buf_append(ent, r.decrypted.data, r.decrypted.len), 0);
	kim_decode_result_free(&r);
	buf_free(&out);
}

