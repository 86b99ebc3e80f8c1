/*
 * check_kim.c - the KIM codec with soft cards: every result code a
 * receiver can see, bad input of every kind, the certificate choice
 * (ecc-preferred, all), and our layers against gematik's sample field by
 * field. Keys come from tests/codec/mkkeys.sh in a temporary directory.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "kim.h"
#include "kim_asn1.h"
#include "kim_cms.h"
#include "kim_mime.h"

static char dir[64];
static const char *sample = TEST_SRCDIR "/tests/codec/gematik";

#define SENDER "sender@praxis.kim.telematik"
#define R1 "r1@klinik.kim.telematik"
#define R2 "r2@kasse.kim.telematik"
#define R3 "r3@apotheke.kim.telematik"

static const char mail[] =
    "From: Karl <" SENDER ">\n"
    "To: <" R1 ">, " R2 ",\n " R3 "\n"
    "Subject: Befund\n"
    "Date: Sat, 28 Nov 2026 12:00:00 +0100\n"
    "Message-ID: <m1@praxis>\n"
    "\n"
    "Hello, this is the body.\n";

/* the key material and the parties, made once */
static X509 *c_senc_rsa, *c_senc_ecc, *c_r1, *c_r2, *c_r3r, *c_r3e, *c_ca;
static X509_STORE *anchors;

/* path - a file of the key directory */
static const char *
path(const char *name)
{
	static char p[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* cert - load a PEM certificate */
static X509 *
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
static struct card *
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

static void
suite_setup(void)
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

static void
suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* encode - the test mail from the sender to R1 (RSA), R2 (ECC), R3 (both) */
static void
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
static void
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
static void
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
static void
join_outer(const struct buf *hdr, const unsigned char *der, size_t len,
    struct buf *m)
{
	buf_reset(m);
	ck_assert_int_eq(buf_append(m, hdr->data, hdr->len), 0);
	ck_assert_int_eq(kim_mime_b64_encode(der, len, m), 0);
}

/* reenvelope - parse the envelope, let fn change it, put it back */
static void
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

/* revocation answers for the callback tests */
static enum kim_rev rev_answer;

static enum kim_rev
rev_cb(X509 *signer, STACK_OF(X509) *chain, void *arg, struct buf *why)
{
	(void)arg;
	ck_assert_ptr_nonnull(signer);
	ck_assert_int_ge(sk_X509_num(chain), 2);
	buf_puts(why, "test responder");
	return rev_answer;
}

/* expected inner message: CRLF and the codec's two headers */
static void
expected_inner(struct buf *e)
{
	const char *p;

	for (p = mail; *p; p++) {
		if (*p == '\n' && p[1] == '\n' && p > mail) {
			buf_puts(e, "\r\nX-KIM-Dienstkennung: "
			    KIM_DIENSTKENNUNG_DEFAULT "\r\n");
			buf_printf(e, "X-KIM-Middleware: kim-milter;%s\r\n",
			    PACKAGE_VERSION);
			continue;
		}
		if (*p == '\n')
			buf_puts(e, "\r");
		buf_append(e, p, 1) == 0 ? (void)0 : ck_abort();
	}
}

START_TEST(test_ok_and_revocation)
{
	struct kim_decode_result r;
	struct buf out = BUF_INIT, e = BUF_INIT;
	static const enum kim_rev ans[] = {KIM_REV_GOOD, KIM_REV_REVOKED,
	    KIM_REV_UNKNOWN};
	static const enum kim_integrity want[] = {KIM_INT_OK, KIM_INT_PATH,
	    KIM_INT_UNCHECKED};
	int i;

	encode(mail, KIM_ENCRYPT_ECC_PREFERRED, 0, &out);
	expected_inner(&e);
	decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_msg(r.integrity == KIM_INT_UNCHECKED, "%d %s", r.integrity,
	    buf_str(&r.reason));
	ck_assert_uint_eq(r.msg_len, e.len);
	ck_assert_mem_eq(r.content.data + r.msg_off, e.data, e.len);
	ck_assert_str_eq(r.inner_from, SENDER);
	ck_assert_ptr_nonnull(r.signer);
	kim_decode_result_free(&r);
	for (i = 0; i < 3; i++) {
		rev_answer = ans[i];
		decode(&out, R2, "r2-enc-ecc.key", "r2-enc-ecc.crt", rev_cb,
		    &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_OK);
		ck_assert_msg(r.integrity == want[i], "%d: %s", i,
		    buf_str(&r.reason));
		ck_assert_ptr_nonnull(strstr(buf_str(&r.reason),
		    i ? "test responder" : "valid"));
		kim_decode_result_free(&r);
	}
	buf_free(&out);
	buf_free(&e);
}
END_TEST

/* ecc-preferred leaves out R3's and the sender's RSA certificates */
START_TEST(test_cert_choice)
{
	struct buf out = BUF_INIT, hdr = BUF_INIT, der = BUF_INIT;
	struct kim_decode_result r;
	const unsigned char *p;
	KIM_CI_AUTHENV *ci;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		buf_reset(&out);
		buf_reset(&hdr);
		buf_reset(&der);
		encode(mail, mode ? KIM_ENCRYPT_ALL : KIM_ENCRYPT_ECC_PREFERRED,
		    0, &out);
		split_outer(&out, &hdr, &der);
		p = der.data;
		ci = d2i_KIM_CI_AUTHENV(NULL, &p, (long)der.len);
		ck_assert_ptr_nonnull(ci);
		/* sender ecc (+rsa), r1 rsa, r2 ecc, r3 ecc (+rsa) */
		ck_assert_int_eq(sk_KIM_RECIPIENT_INFO_num(ci->d->ris),
		    mode ? 6 : 4);
		KIM_CI_AUTHENV_free(ci);
		decode(&out, R3, "r3-enc-rsa.key", "r3-enc-rsa.crt", NULL, &r);
		ck_assert_int_eq(r.decryption, mode ? KIM_DEC_OK :
		    KIM_DEC_NOKEY);
		kim_decode_result_free(&r);
		decode(&out, R3, "r3-enc-ecc.key", "r3-enc-ecc.crt", NULL, &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_OK);
		ck_assert_int_eq(r.integrity, KIM_INT_UNCHECKED);
		kim_decode_result_free(&r);
		decode(&out, SENDER, "sender-enc-ecc.key", "sender-enc-ecc.crt",
		    NULL, &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_OK);
		kim_decode_result_free(&r);
	}
	buf_free(&out);
	buf_free(&hdr);
	buf_free(&der);
}
END_TEST

/* wrong key: a card whose certificate the message does not name */
START_TEST(test_wrong_key)
{
	struct kim_decode_result r;
	struct buf out = BUF_INIT;

	encode(mail, KIM_ENCRYPT_ALL, 0, &out);
	decode(&out, R1, "other-enc-rsa.key", "other-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_NOKEY);
	ck_assert_int_eq(r.integrity, KIM_INT_NONE);
	ck_assert_uint_eq(r.content.len, 0);
	kim_decode_result_free(&r);
	decode(&out, R1, "other-enc-ecc.key", "other-enc-ecc.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_NOKEY);
	kim_decode_result_free(&r);
	/* R2's own key, but the address of R1: never another user's entry */
	decode(&out, R1, "r2-enc-ecc.key", "r2-enc-ecc.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_NOKEY);
	kim_decode_result_free(&r);
	decode(&out, "stranger@x.kim.telematik", "r1-enc-rsa.key",
	    "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_NOKEY);
	ck_assert_ptr_nonnull(strstr(buf_str(&r.reason), "no RecipientInfo"));
	kim_decode_result_free(&r);
	buf_free(&out);
}
END_TEST

static void
flip_content(KIM_AUTH_ENVELOPED *ae)
{
	ae->eci->content->data[ae->eci->content->length / 2] ^= 0x01;
}

static void
flip_mac(KIM_AUTH_ENVELOPED *ae)
{
	ae->mac->data[0] ^= 0x80;
}

static void
flip_keys(KIM_AUTH_ENVELOPED *ae)
{
	int i;
	KIM_KTRI *kt;

	for (i = 0; i < sk_KIM_RECIPIENT_INFO_num(ae->ris); i++) {
		kt = sk_KIM_RECIPIENT_INFO_value(ae->ris, i)->d.ktri;
		kt->enc_key->data[kt->enc_key->length - 3] ^= 0x10;
	}
}

/* tampered ciphertext, tag or key cryptogram: 02 */
START_TEST(test_tampered)
{
	void (*fns[])(KIM_AUTH_ENVELOPED *) = {flip_content, flip_mac,
	    flip_keys};
	struct kim_decode_result r;
	struct buf out = BUF_INIT;
	int i;

	for (i = 0; i < 3; i++) {
		buf_reset(&out);
		encode(mail, KIM_ENCRYPT_ALL, 0, &out);
		reenvelope(&out, fns[i]);
		decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
		ck_assert_msg(r.decryption == KIM_DEC_FORMAT, "%d: %d %s", i,
		    r.decryption, buf_str(&r.reason));
		ck_assert_uint_eq(r.decrypted.len, 0);
		kim_decode_result_free(&r);
		decode(&out, R2, "r2-enc-ecc.key", "r2-enc-ecc.crt", NULL, &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_FORMAT);
		kim_decode_result_free(&r);
	}
	buf_free(&out);
}
END_TEST

static STACK_OF(KIM_RECIPIENT_EMAIL) *evil;

static void
swap_remails(KIM_AUTH_ENVELOPED *ae)
{
	sk_X509_ATTRIBUTE_pop_free(ae->unauth_attrs, X509_ATTRIBUTE_free);
	ae->unauth_attrs = NULL;
	X509at_add1_attr(&ae->unauth_attrs, kim_remails_attr(evil));
}

/* unprotected recipient-emails that differ from the signed ones: 09 */
START_TEST(test_remails_mismatch)
{
	struct kim_rcpt rc[2] = {{R1, NULL}, {"mallory@x.kim.telematik", NULL}};
	struct kim_decode_result r;
	struct buf out = BUF_INIT;

	rc[0].cert = c_r1;
	rc[1].cert = c_r3r;
	evil = kim_remails_new(rc, 2);
	encode(mail, KIM_ENCRYPT_ALL, 1, &out);
	reenvelope(&out, swap_remails);
	decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_msg(r.integrity == KIM_INT_RCPTEMAILS, "%d %s", r.integrity,
	    buf_str(&r.reason));
	kim_decode_result_free(&r);
	kim_remails_free(evil);
	buf_free(&out);
}
END_TEST

/* a changed outer From, To or Cc (folding alone is no change): 08 */
START_TEST(test_header_mismatch)
{
	static const char *const from[] = {"From: Karl <" SENDER ">",
	    "To: <" R1 ">, " R2 ",", "Cc: x@y"};
	static const char *const to[] = {"From: Karl <boss@praxis.kim.telematik>",
	    "To: <" R1 ">,", "Cc: x@y"};
	struct kim_decode_result r;
	struct buf out = BUF_INIT, ed = BUF_INIT;
	unsigned char *p;
	size_t i;

	for (i = 0; i < 3; i++) {
		buf_reset(&out);
		buf_reset(&ed);
		encode(mail, KIM_ENCRYPT_ALL, 0, &out);
		if (i == 2) {	/* a header the inner message does not have */
			buf_append(&ed, "Cc: x@y\r\n", 9) == 0 ? (void)0 :
			    ck_abort();
			buf_append(&ed, out.data, out.len) == 0 ? (void)0 :
			    ck_abort();
		} else {
			p = (unsigned char *)strstr((char *)out.data, from[i]);
			ck_assert_ptr_nonnull(p);
			buf_append(&ed, out.data, p - out.data) == 0 ?
			    (void)0 : ck_abort();
			buf_puts(&ed, to[i]);
			buf_append(&ed, p + strlen(from[i]), out.len -
			    (p - out.data) - strlen(from[i])) == 0 ? (void)0 :
			    ck_abort();
		}
		decode(&ed, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_OK);
		ck_assert_msg(r.integrity == KIM_INT_HEADERS, "%zu: %d %s", i,
		    r.integrity, buf_str(&r.reason));
		kim_decode_result_free(&r);
	}
	/* refolding the outer To is allowed */
	buf_reset(&ed);
	p = (unsigned char *)strstr((char *)out.data, ",\r\n " R3);
	ck_assert_ptr_nonnull(p);
	buf_append(&ed, out.data, p - out.data) == 0 ? (void)0 : ck_abort();
	buf_puts(&ed, ",\r\n\t\t" R3);
	buf_append(&ed, p + 4 + strlen(R3), out.len - (p - out.data) - 4 -
	    strlen(R3)) == 0 ? (void)0 : ck_abort();
	decode(&ed, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_msg(r.integrity == KIM_INT_UNCHECKED, "%s",
	    buf_str(&r.reason));
	kim_decode_result_free(&r);
	buf_free(&out);
	buf_free(&ed);
}
END_TEST

/* wrap_entity - an outer message around an entity, encrypted to R1 */
static void
wrap_entity(const unsigned char *ent, size_t len, struct buf *m)
{
	struct kim_rcpt rc[1] = {{R1, NULL}};
	STACK_OF(KIM_RECIPIENT_EMAIL) *re;
	struct buf e = BUF_INIT, der = BUF_INIT, why = BUF_INIT;

	rc[0].cert = c_r1;
	re = kim_remails_new(rc, 1);
	ck_assert_int_eq(buf_append(&e, ent, len), 0);
	ck_assert_msg(kim_env_build(&e, rc, 1, re, NULL, &der, &why) == 0,
	    "%s", buf_str(&why));
	buf_reset(m);
	buf_puts(m, "From: Karl <" SENDER ">\r\nTo: <" R1 ">, " R2 ",\r\n "
	    R3 "\r\nX-KOM-LE-Version: 1.0\r\nContent-Type: "
	    "application/pkcs7-mime; smime-type=authenticated-enveloped-data"
	    "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	ck_assert_int_eq(kim_mime_b64_encode(der.data, der.len, m), 0);
	kim_remails_free(re);
	buf_free(&der);
	buf_free(&why);
}

/* decrypted - the signed entity of an encoded mail, as R1 */
static void
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

/* an encrypted but unsigned mail: 03, the content handed back */
START_TEST(test_no_signature)
{
	static const char plain[] = "Content-Type: message/rfc822\r\n\r\n"
	    "From: Karl <" SENDER ">\r\nTo: <" R1 ">, " R2 ",\r\n " R3
	    "\r\n\r\nunsigned\r\n";
	struct kim_decode_result r;
	struct buf m = BUF_INIT;

	wrap_entity((const unsigned char *)plain, strlen(plain), &m);
	decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_int_eq(r.integrity, KIM_INT_NOSIG);
	ck_assert_ptr_nonnull(strstr((char *)r.content.data + r.msg_off,
	    "unsigned"));
	ck_assert_ptr_null(r.signer);
	kim_decode_result_free(&r);
	buf_free(&m);
}
END_TEST

/* content or signature altered after signing: 02; DER cut short: 04 */
START_TEST(test_altered_signed)
{
	struct kim_decode_result r;
	struct buf ent = BUF_INIT, m = BUF_INIT;
	char *p;

	decrypted(&ent);
	p = memmem(ent.data, ent.len, "Hello", 5);
	ck_assert_ptr_nonnull(p);
	*p = 'J';
	wrap_entity(ent.data, ent.len, &m);
	decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_int_eq(r.integrity, KIM_INT_INTEGRITY);
	ck_assert_ptr_nonnull(strstr(buf_str(&r.reason), "digest"));
	kim_decode_result_free(&r);
	*p = 'H';
	ent.data[ent.len - 1] ^= 0x01;	/* the last byte of the signature */
	wrap_entity(ent.data, ent.len, &m);
	decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.integrity, KIM_INT_INTEGRITY);
	ck_assert_ptr_nonnull(strstr(buf_str(&r.reason), "signature"));
	kim_decode_result_free(&r);
	wrap_entity(ent.data, ent.len - 100, &m);
	decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.integrity, KIM_INT_FORMAT);
	ck_assert_uint_gt(r.reason.len, 0);
	kim_decode_result_free(&r);
	buf_free(&ent);
	buf_free(&m);
}
END_TEST

/* bad input of every kind: a code and a reason, never a crash */
START_TEST(test_bad_input)
{
	struct kim_decode_result r;
	struct buf out = BUF_INIT, m = BUF_INIT, hdr = BUF_INIT;
	struct buf der = BUF_INIT;
	struct kim_decode_args a;
	struct card *card;
	unsigned char junk[600];
	size_t hl, bo, i;
	char *p;

	encode(mail, KIM_ENCRYPT_ALL, 0, &out);
	kim_mime_split(out.data, out.len, &hl, &bo);
	card = soft("r1-enc-rsa.key", "r1-enc-rsa.crt");
	memset(&a, 0, sizeof(a));
	a.address = R1;
	a.card = card;
	a.anchors = anchors;

	/* no X-KOM-LE-Version: not a KIM mail */
	a.msg = (const unsigned char *)mail;
	a.msglen = strlen(mail);
	ck_assert_int_eq(kim_decode(&a, &r), KIM_E_NOTKIM);
	kim_decode_result_free(&r);

	/* truncated base64, a stray character, nothing at all */
	for (i = 0; i < 4; i++) {
		buf_reset(&m);
		ck_assert_int_eq(buf_append(&m, out.data, out.len), 0);
		if (i == 0)
			m.len = bo + (out.len - bo) / 2 + 1;
		else if (i == 1)
			m.data[bo + 100] = '*';
		else if (i == 2)
			m.len = bo;
		else
			m.len = bo + 77 * 10;	/* whole lines: DER cut short */
		a.msg = m.data;
		a.msglen = m.len;
		ck_assert_int_eq(kim_decode(&a, &r), 0);
		ck_assert_int_eq(r.decryption, KIM_DEC_FORMAT);
		ck_assert_uint_gt(r.reason.len, 0);
		kim_decode_result_free(&r);
	}

	/* wrong outer content types */
	for (i = 0; i < 3; i++) {
		buf_reset(&m);
		ck_assert_int_eq(buf_append(&m, out.data, out.len), 0);
		p = strstr((char *)m.data, i == 0 ? "application/pkcs7-mime" :
		    i == 1 ? "authenticated-enveloped-data" : "base64\r\n");
		ck_assert_ptr_nonnull(p);
		memcpy(p, i == 0 ? "text/plain;  foo=bar  " : i == 1 ?
		    "enveloped-data;              " : "binary", i == 2 ? 6 :
		    i == 0 ? 22 : 29);
		a.msg = m.data;
		a.msglen = m.len;
		ck_assert_int_eq(kim_decode(&a, &r), 0);
		ck_assert_msg(r.decryption == KIM_DEC_FORMAT, "%zu %s", i,
		    buf_str(&r.reason));
		kim_decode_result_free(&r);
	}

	/* garbage DER; a SignedData where the envelope belongs */
	split_outer(&out, &hdr, &der);
	for (i = 0; i < 2; i++) {
		if (i == 0) {
			RAND_bytes(junk, sizeof(junk));
			junk[0] = 0x30;
			join_outer(&hdr, junk, sizeof(junk), &m);
		} else {
			FILE *fp = fopen(TEST_SRCDIR
			    "/tests/codec/gematik/inputEmail.txt.02.signedcms",
			    "rb");
			size_t n;

			ck_assert_ptr_nonnull(fp);
			n = fread(junk, 1, sizeof(junk), fp);
			fclose(fp);
			join_outer(&hdr, junk, n, &m);
		}
		a.msg = m.data;
		a.msglen = m.len;
		ck_assert_int_eq(kim_decode(&a, &r), 0);
		ck_assert_int_eq(r.decryption, KIM_DEC_FORMAT);
		kim_decode_result_free(&r);
	}

	/* a huge header, 8-bit header bytes */
	buf_reset(&m);
	buf_puts(&m, "X-Big: ");
	for (i = 0; i < 200000; i++)
		buf_puts(&m, "abcd ");
	buf_puts(&m, "\r\nSubject: \xe4\xf6\xfc\xff\x80\r\n");
	ck_assert_int_eq(buf_append(&m, out.data, out.len), 0);
	a.msg = m.data;
	a.msglen = m.len;
	ck_assert_int_eq(kim_decode(&a, &r), 0);
	ck_assert_int_eq(r.decryption, KIM_DEC_OK);
	ck_assert_int_eq(r.integrity, KIM_INT_UNCHECKED);
	kim_decode_result_free(&r);

	/* no input at all */
	a.msg = (const unsigned char *)"";
	a.msglen = 0;
	ck_assert_int_eq(kim_decode(&a, &r), KIM_E_NOTKIM);
	kim_decode_result_free(&r);
	card_free(card);
	buf_free(&out);
	buf_free(&m);
	buf_free(&hdr);
	buf_free(&der);
}
END_TEST

static void
drop_unauth(KIM_AUTH_ENVELOPED *ae)
{
	sk_X509_ATTRIBUTE_pop_free(ae->unauth_attrs, X509_ATTRIBUTE_free);
	ae->unauth_attrs = NULL;
}

/* no recipient-emails: no RecipientInfo can be chosen (01) */
START_TEST(test_missing_remails)
{
	struct kim_decode_result r;
	struct buf out = BUF_INIT;

	encode(mail, KIM_ENCRYPT_ALL, 0, &out);
	reenvelope(&out, drop_unauth);
	decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.decryption, KIM_DEC_NOKEY);
	ck_assert_ptr_nonnull(strstr(buf_str(&r.reason), "recipient-emails"));
	kim_decode_result_free(&r);
	buf_free(&out);
}
END_TEST

/* 8-bit headers and bare LF go in and come back as CRLF, nothing else */
START_TEST(test_8bit_roundtrip)
{
	static const char m8[] = "From: J\xc3\xbcrgen <" SENDER ">\n"
	    "To: " R1 "\nSubject: \xff\xfe raw\n"
	    "X-KIM-Dienstkennung: eAU;Lieferung;v1.0\n\nbin\x01\x02\r\x80\n";
	struct kim_decode_result r;
	struct buf out = BUF_INIT;

	encode(m8, KIM_ENCRYPT_ECC_PREFERRED, 0, &out);
	decode(&out, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.integrity, KIM_INT_UNCHECKED);
	ck_assert_ptr_nonnull(memmem(r.content.data, r.content.len,
	    "\r\nbin\x01\x02\r\x80\r\n", 11));
	ck_assert_ptr_nonnull(strstr((char *)r.content.data,
	    "X-KIM-Dienstkennung: eAU;Lieferung;v1.0\r\nX-KIM-Middleware"));
	ck_assert_str_eq(r.inner_from, SENDER);
	kim_decode_result_free(&r);
	buf_free(&out);
}
END_TEST

/* slurp - a file of gematik's sample */
static void
slurp(const char *name, struct buf *b)
{
	char p[512];
	unsigned char tmp[4096];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", sample, name);
	fp = fopen(p, "rb");
	ck_assert_msg(fp != NULL, "%s", p);
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		ck_assert_int_eq(buf_append(b, tmp, n), 0);
	fclose(fp);
}

/* der_eq - same DER for two values of an item */
static int
der_eq(const void *a, const void *b, const ASN1_ITEM *it)
{
	unsigned char *da = NULL, *db = NULL;
	int la, lb, eq;

	la = ASN1_item_i2d((const ASN1_VALUE *)a, &da, it);
	lb = ASN1_item_i2d((const ASN1_VALUE *)b, &db, it);
	eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* shape - the tags of a DER value as text, to a depth; "*" below it */
static void
shape(const unsigned char *p, long len, int depth, struct buf *out)
{
	const unsigned char *q, *end = p + len;
	long l;
	int tag, cls, r, first = 1;

	while (p < end) {
		q = p;
		r = ASN1_get_object(&q, &l, &tag, &cls, end - p);
		ck_assert(!(r & 0x80));
		buf_printf(out, "%s%02x", first ? "" : ",", *p);
		first = 0;
		if (r & V_ASN1_CONSTRUCTED) {
			buf_puts(out, "(");
			if (depth > 1)
				shape(q, l, depth - 1, out);
			else
				buf_puts(out, "*");
			buf_puts(out, ")");
		}
		p = q + l;
	}
}

/* same_attr_shapes - both attribute sets: same OIDs, value types, forms */
static void
same_attr_shapes(STACK_OF(X509_ATTRIBUTE) *s, STACK_OF(X509_ATTRIBUTE) *o)
{
	X509_ATTRIBUTE *as, *ao;
	ASN1_TYPE *vs, *vo;
	char name[80];
	int i, j, idx;

	ck_assert_int_eq(sk_X509_ATTRIBUTE_num(s), sk_X509_ATTRIBUTE_num(o));
	for (i = 0; i < sk_X509_ATTRIBUTE_num(s); i++) {
		as = sk_X509_ATTRIBUTE_value(s, i);
		OBJ_obj2txt(name, sizeof(name), X509_ATTRIBUTE_get0_object(as),
		    1);
		idx = X509at_get_attr_by_OBJ(o, X509_ATTRIBUTE_get0_object(as),
		    -1);
		ck_assert_msg(idx >= 0, "attribute %s missing", name);
		ao = X509at_get_attr(o, idx);
		ck_assert_int_ge(X509_ATTRIBUTE_count(ao), 1);
		for (j = 0; j < X509_ATTRIBUTE_count(ao); j++) {
			vs = X509_ATTRIBUTE_get0_type(as, 0);
			vo = X509_ATTRIBUTE_get0_type(ao, j);
			ck_assert_msg(vs->type == vo->type, "%s: value type %d, "
			    "sample %d", name, vo->type, vs->type);
		}
		if (strcmp(name, KIM_OID_RECIPIENT_EMAILS) != 0)
			ck_assert_msg(X509_ATTRIBUTE_count(ao) == 1, "%s", name);
	}
}

/* our layers have the structure of gematik's, field by field */
START_TEST(test_structure_vs_sample)
{
	struct buf s02 = BUF_INIT, s04 = BUF_INIT, ent = BUF_INIT;
	struct buf out = BUF_INIT, hdr = BUF_INIT, der = BUF_INIT;
	KIM_CI_SIGNED *ss, *os;
	KIM_CI_AUTHENV *se, *oe;
	KIM_SIGNER_INFO *si_s, *si_o;
	KIM_KTRI *ks, *ko;
	KIM_GCM_PARAMS *gs, *go;
	struct buf sh_s = BUF_INIT, sh_o = BUF_INIT;
	char oid[64];
	ASN1_TYPE *vs, *vo;
	const unsigned char *p;
	size_t hl, bo;
	int i, idx;

	slurp("inputEmail.txt.02.signedcms", &s02);
	slurp("inputEmail.txt.04.encryptedcms", &s04);
	decrypted(&ent);
	kim_mime_split(ent.data, ent.len, &hl, &bo);
	p = s02.data;
	ss = d2i_KIM_CI_SIGNED(NULL, &p, (long)s02.len);
	p = ent.data + bo;
	os = d2i_KIM_CI_SIGNED(NULL, &p, (long)(ent.len - bo));
	ck_assert_ptr_nonnull(ss);
	ck_assert_ptr_nonnull(os);
	ck_assert_int_eq(OBJ_cmp(ss->type, os->type), 0);
	ck_assert_int_eq(ASN1_INTEGER_cmp(ss->d->version, os->d->version), 0);
	ck_assert(der_eq(ss->d->digest_algs, os->d->digest_algs,
	    ASN1_ITEM_rptr(X509_ALGORS)));
	ck_assert_int_eq(OBJ_cmp(ss->d->encap->type, os->d->encap->type), 0);
	ck_assert_int_eq(sk_X509_num(os->d->certs), 1);
	ck_assert_int_eq(sk_X509_num(ss->d->certs), 1);
	ck_assert_ptr_null(os->d->crls);
	ck_assert_ptr_null(ss->d->crls);
	ck_assert_int_eq(sk_KIM_SIGNER_INFO_num(os->d->signers), 1);
	si_s = sk_KIM_SIGNER_INFO_value(ss->d->signers, 0);
	si_o = sk_KIM_SIGNER_INFO_value(os->d->signers, 0);
	ck_assert_int_eq(ASN1_INTEGER_cmp(si_s->version, si_o->version), 0);
	ck_assert_int_eq(si_o->sid->type, KIM_RID_ISSUER_SERIAL);
	ck_assert_int_eq(si_s->sid->type, si_o->sid->type);
	ck_assert(der_eq(si_s->digest_alg, si_o->digest_alg,
	    ASN1_ITEM_rptr(X509_ALGOR)));
	/* RSASSA-PSS with its parameters, byte for byte */
	ck_assert(der_eq(si_s->sig_alg, si_o->sig_alg,
	    ASN1_ITEM_rptr(X509_ALGOR)));
	ck_assert_int_eq(si_s->signature->length, si_o->signature->length);
	ck_assert_ptr_null(si_o->unsigned_attrs);
	same_attr_shapes(si_s->signed_attrs, si_o->signed_attrs);
	/* CMSAlgorithmProtection: identical; signingCertificateV2: same form */
	idx = X509at_get_attr_by_OBJ(si_s->signed_attrs,
	    OBJ_txt2obj("1.2.840.113549.1.9.52", 1), -1);
	vs = X509_ATTRIBUTE_get0_type(X509at_get_attr(si_s->signed_attrs, idx),
	    0);
	idx = X509at_get_attr_by_OBJ(si_o->signed_attrs,
	    OBJ_txt2obj("1.2.840.113549.1.9.52", 1), -1);
	vo = X509_ATTRIBUTE_get0_type(X509at_get_attr(si_o->signed_attrs, idx),
	    0);
	ck_assert_int_eq(ASN1_TYPE_cmp(vs, vo), 0);
	idx = X509at_get_attr_by_NID(si_s->signed_attrs,
	    NID_id_smime_aa_signingCertificateV2, -1);
	vs = X509_ATTRIBUTE_get0_type(X509at_get_attr(si_s->signed_attrs, idx),
	    0);
	idx = X509at_get_attr_by_NID(si_o->signed_attrs,
	    NID_id_smime_aa_signingCertificateV2, -1);
	vo = X509_ATTRIBUTE_get0_type(X509at_get_attr(si_o->signed_attrs, idx),
	    0);
	/* SEQ { SEQ { SEQ { hash, IssuerSerial { GeneralNames, serial }}}} */
	shape(vs->value.sequence->data, vs->value.sequence->length, 6, &sh_s);
	shape(vo->value.sequence->data, vo->value.sequence->length, 6, &sh_o);
	ck_assert_str_eq(buf_str(&sh_s), buf_str(&sh_o));
	ck_assert_str_eq(buf_str(&sh_o),
	    "30(30(30(04,30(30(a4(*)),02))))");

	/* the envelope */
	encode(mail, KIM_ENCRYPT_ALL, 1, &out);
	split_outer(&out, &hdr, &der);
	p = s04.data;
	se = d2i_KIM_CI_AUTHENV(NULL, &p, (long)s04.len);
	p = der.data;
	oe = d2i_KIM_CI_AUTHENV(NULL, &p, (long)der.len);
	ck_assert_ptr_nonnull(se);
	ck_assert_ptr_nonnull(oe);
	ck_assert_int_eq(OBJ_cmp(se->type, oe->type), 0);
	ck_assert_int_eq(ASN1_INTEGER_cmp(se->d->version, oe->d->version), 0);
	ck_assert_ptr_null(oe->d->originator);
	ks = sk_KIM_RECIPIENT_INFO_value(se->d->ris, 0)->d.ktri;
	for (i = 0; i < sk_KIM_RECIPIENT_INFO_num(oe->d->ris); i++) {
		ck_assert_int_eq(sk_KIM_RECIPIENT_INFO_value(oe->d->ris,
		    i)->type, KIM_RI_KTRI);
		ko = sk_KIM_RECIPIENT_INFO_value(oe->d->ris, i)->d.ktri;
		ck_assert_int_eq(ASN1_INTEGER_cmp(ks->version, ko->version), 0);
		ck_assert_int_eq(ko->rid->type, ks->rid->type);
		if (EVP_PKEY_is_a(X509_get0_pubkey(
		    i == 0 ? c_senc_rsa : c_r1), "RSA") &&
		    OBJ_obj2nid(ko->key_alg->algorithm) == NID_rsaesOaep) {
			/* RSAES-OAEP with its parameters, byte for byte */
			ck_assert(der_eq(ks->key_alg, ko->key_alg,
			    ASN1_ITEM_rptr(X509_ALGOR)));
			ck_assert_int_eq(ks->enc_key->length,
			    ko->enc_key->length);
		} else {
			OBJ_obj2txt(oid, sizeof(oid), ko->key_alg->algorithm,
			    1);
			ck_assert_str_eq(oid, KIM_OID_ECIES_DEFAULT);
			ck_assert_ptr_null(ko->key_alg->parameter);
			ck_assert_int_eq(ko->enc_key->length, 145);
		}
	}
	ck_assert_int_eq(OBJ_cmp(se->d->eci->type, oe->d->eci->type), 0);
	ck_assert_int_eq(OBJ_cmp(se->d->eci->alg->algorithm,
	    oe->d->eci->alg->algorithm), 0);
	gs = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(KIM_GCM_PARAMS),
	    se->d->eci->alg->parameter);
	go = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(KIM_GCM_PARAMS),
	    oe->d->eci->alg->parameter);
	ck_assert_int_eq(gs->nonce->length, go->nonce->length);
	ck_assert_int_eq(ASN1_INTEGER_cmp(gs->icvlen, go->icvlen), 0);
	KIM_GCM_PARAMS_free(gs);
	KIM_GCM_PARAMS_free(go);
	ck_assert_ptr_null(se->d->auth_attrs);
	ck_assert_ptr_null(oe->d->auth_attrs);
	ck_assert_int_eq(se->d->mac->length, oe->d->mac->length);
	same_attr_shapes(se->d->unauth_attrs, oe->d->unauth_attrs);
	KIM_CI_AUTHENV_free(se);
	KIM_CI_AUTHENV_free(oe);
	KIM_CI_SIGNED_free(ss);
	KIM_CI_SIGNED_free(os);
	buf_free(&sh_s);
	buf_free(&sh_o);
	buf_free(&s02);
	buf_free(&s04);
	buf_free(&ent);
	buf_free(&out);
	buf_free(&hdr);
	buf_free(&der);
}
END_TEST

static Suite *
kim_suite(void)
{
	Suite *s = suite_create("kim");
	TCase *tc = tcase_create("codec");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ok_and_revocation);
	tcase_add_test(tc, test_cert_choice);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_remails_mismatch);
	tcase_add_test(tc, test_header_mismatch);
	tcase_add_test(tc, test_no_signature);
	tcase_add_test(tc, test_altered_signed);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_missing_remails);
	tcase_add_test(tc, test_8bit_roundtrip);
	tcase_add_test(tc, test_structure_vs_sample);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
