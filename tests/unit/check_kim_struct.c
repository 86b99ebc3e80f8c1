/*
 * check_kim_struct.c - the shape of what the codec writes: the
 * certificates chosen (ecc-preferred, all) and our SignedData and
 * AuthEnvelopedData against gematik's sample layers field by field
 * (content types, algorithms and parameters, attribute OIDs and value
 * shapes).
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

static const char *sample = TEST_SRCDIR "/tests/codec/gematik";

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
	ASN1_OBJECT *ap;
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
	ap = OBJ_txt2obj("1.2.840.113549.1.9.52", 1);
	idx = X509at_get_attr_by_OBJ(si_s->signed_attrs, ap, -1);
	vs = X509_ATTRIBUTE_get0_type(X509at_get_attr(si_s->signed_attrs, idx),
	    0);
	idx = X509at_get_attr_by_OBJ(si_o->signed_attrs, ap, -1);
	ASN1_OBJECT_free(ap);
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
kim_struct_suite(void)
{
	Suite *s = suite_create("kim_struct");
	TCase *tc = tcase_create("codec");

	tcase_add_unchecked_fixture(tc, kim_test_setup, kim_test_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cert_choice);
	tcase_add_test(tc, test_structure_vs_sample);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(kim_struct_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
