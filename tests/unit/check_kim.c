/*
 * check_kim.c - the KIM codec with soft cards: every result code a
 * receiver can see (decryption 01/02, integrity 01..09 with revocation
 * answers), bad input of every kind, 8-bit mail. Keys come from
 * tests/codec/mkkeys.sh in a temporary directory (kim_test.c).
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
#include "kim_test.h"

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
	X509_ATTRIBUTE *attr;

	sk_X509_ATTRIBUTE_pop_free(ae->unauth_attrs, X509_ATTRIBUTE_free);
	ae->unauth_attrs = NULL;
	attr = kim_remails_attr(evil);
	ck_assert_ptr_nonnull(X509at_add1_attr(&ae->unauth_attrs, attr));
	X509_ATTRIBUTE_free(attr);
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



/* base64: chunked encoding equals OpenSSL's, 76-character CRLF lines */
START_TEST(test_b64_stream)
{
	unsigned char in[1000], ref[1400];
	struct buf a = BUF_INIT, b = BUF_INIT, why = BUF_INIT;
	struct kim_b64 st = KIM_B64_INIT;
	size_t len, off, n, i, j;
	int rl;

	RAND_bytes(in, sizeof(in));
	for (len = 0; len < sizeof(in); len += 1 + len / 3) {
		buf_reset(&a);
		buf_reset(&b);
		for (off = 0; off < len; off += n) {
			RAND_bytes((unsigned char *)&n, sizeof(n));
			n = n % 7 + (off % 2 ? 0 : 100);
			if (n > len - off)
				n = len - off;
			ck_assert_int_eq(kim_mime_b64_update(&st, in + off, n,
			    &a), 0);
		}
		ck_assert_int_eq(kim_mime_b64_final(&st, &a), 0);
		ck_assert_uint_eq(a.len, kim_mime_b64_size(len));
		rl = EVP_EncodeBlock(ref, in, (int)len);
		for (i = j = 0; i < a.len; i++) {
			if (a.data[i] == '\r') {
				ck_assert_int_eq(a.data[i + 1], '\n');
				ck_assert(j % 76 == 0 || j == (size_t)rl);
				i++;
				continue;
			}
			ck_assert_int_eq(a.data[i], ref[j++]);
		}
		ck_assert_uint_eq(j, (size_t)rl);
		ck_assert_int_eq(kim_mime_b64_decode(a.data, a.len, &b, &why),
		    0);
		ck_assert_uint_eq(b.len, len);
		ck_assert(len == 0 || memcmp(b.data, in, len) == 0);
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&why);
}
END_TEST


/* resign - re-encode the SignedData of an entity after fn changed it */
static void
resign(struct buf *ent, void (*fn)(KIM_SIGNER_INFO *))
{
	KIM_CI_SIGNED *ci;
	KIM_SIGNER_INFO *si;
	const unsigned char *p;
	unsigned char *der = NULL;
	size_t hl, bo;
	int len;

	kim_mime_split(ent->data, ent->len, &hl, &bo);
	p = ent->data + bo;
	ci = d2i_KIM_CI_SIGNED(NULL, &p, (long)(ent->len - bo));
	ck_assert_ptr_nonnull(ci);
	si = sk_KIM_SIGNER_INFO_value(ci->d->signers, 0);
	fn(si);
	si->enc.modified = 1;	/* or i2d writes the cached bytes */
	len = i2d_KIM_CI_SIGNED(ci, &der);
	ck_assert_int_gt(len, 0);
	ent->len = bo;
	ck_assert_int_eq(buf_append(ent, der, (size_t)len), 0);
	OPENSSL_free(der);
	KIM_CI_SIGNED_free(ci);
}

static void
no_signed_attrs(KIM_SIGNER_INFO *si)
{
	sk_X509_ATTRIBUTE_pop_free(si->signed_attrs, X509_ATTRIBUTE_free);
	si->signed_attrs = NULL;
}

static void
no_digest(KIM_SIGNER_INFO *si)
{
	int i = X509at_get_attr_by_NID(si->signed_attrs,
	    NID_pkcs9_messageDigest, -1);

	ck_assert_int_ge(i, 0);
	X509_ATTRIBUTE_free(X509at_delete_attr(si->signed_attrs, i));
}

/* missing signed attributes: 04 with a reason; no SignerInfo: 03 */
START_TEST(test_missing_attrs)
{
	void (*fns[])(KIM_SIGNER_INFO *) = {no_signed_attrs, no_digest};
	static const char *const why[] = {"without signed attributes",
	    "messageDigest"};
	struct kim_decode_result r;
	struct buf ent = BUF_INIT, m = BUF_INIT;
	KIM_CI_SIGNED *ci;
	const unsigned char *p;
	unsigned char *der = NULL;
	size_t hl, bo;
	int i, len;

	for (i = 0; i < 2; i++) {
		buf_reset(&ent);
		decrypted(&ent);
		resign(&ent, fns[i]);
		wrap_entity(ent.data, ent.len, &m);
		decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
		ck_assert_int_eq(r.decryption, KIM_DEC_OK);
		ck_assert_msg(r.integrity == KIM_INT_FORMAT, "%d %s",
		    r.integrity, buf_str(&r.reason));
		ck_assert_ptr_nonnull(strstr(buf_str(&r.reason), why[i]));
		kim_decode_result_free(&r);
	}
	/* a SignedData without any SignerInfo */
	buf_reset(&ent);
	decrypted(&ent);
	kim_mime_split(ent.data, ent.len, &hl, &bo);
	p = ent.data + bo;
	ci = d2i_KIM_CI_SIGNED(NULL, &p, (long)(ent.len - bo));
	ck_assert_ptr_nonnull(ci);
	sk_KIM_SIGNER_INFO_pop_free(ci->d->signers, KIM_SIGNER_INFO_free);
	ci->d->signers = sk_KIM_SIGNER_INFO_new_null();
	len = i2d_KIM_CI_SIGNED(ci, &der);
	ck_assert_int_gt(len, 0);
	ent.len = bo;
	ck_assert_int_eq(buf_append(&ent, der, (size_t)len), 0);
	wrap_entity(ent.data, ent.len, &m);
	decode(&m, R1, "r1-enc-rsa.key", "r1-enc-rsa.crt", NULL, &r);
	ck_assert_int_eq(r.integrity, KIM_INT_NOSIG);
	kim_decode_result_free(&r);
	OPENSSL_free(der);
	KIM_CI_SIGNED_free(ci);
	buf_free(&ent);
	buf_free(&m);
}
END_TEST

static Suite *
kim_suite(void)
{
	Suite *s = suite_create("kim");
	TCase *tc = tcase_create("codec");

	tcase_add_unchecked_fixture(tc, kim_test_setup, kim_test_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ok_and_revocation);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_remails_mismatch);
	tcase_add_test(tc, test_header_mismatch);
	tcase_add_test(tc, test_no_signature);
	tcase_add_test(tc, test_altered_signed);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_missing_remails);
	tcase_add_test(tc, test_8bit_roundtrip);
	tcase_add_test(tc, test_b64_stream);
	tcase_add_test(tc, test_missing_attrs);
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
