/*
 * kim_remails.c - the recipient-emails attribute (1.2.276.0.76.4.173) and
 * the translation of OpenSSL's error queue for the codec.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "kim_cms.h"

/* kim_ossl_why - OpenSSL's error queue, read on this thread and cleared */
void
kim_ossl_why(struct buf *why, const char *what)
{
	unsigned long e;
	char tmp[256];
	int first = 1;

	if (why == NULL) {
		ERR_clear_error();
		return;
	}
	buf_printf(why, "%s", what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, tmp, sizeof(tmp));
		buf_printf(why, "%s%s", first ? ": " : "; ", tmp);
		first = 0;
	}
}

/* kim_remails_free - free a list; accepts NULL */
void
kim_remails_free(STACK_OF(KIM_RECIPIENT_EMAIL) *list)
{
	sk_KIM_RECIPIENT_EMAIL_pop_free(list, KIM_RECIPIENT_EMAIL_free);
}

/* kim_remails_new - one RecipientEmail per recipient certificate */
STACK_OF(KIM_RECIPIENT_EMAIL) *
kim_remails_new(const struct kim_rcpt *r, size_t n)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *list;
	KIM_RECIPIENT_EMAIL *re;
	size_t i;

	list = sk_KIM_RECIPIENT_EMAIL_new_null();
	if (list == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		re = KIM_RECIPIENT_EMAIL_new();
		if (re == NULL)
			goto fail;
		KIM_RID_free(re->rid);
		re->rid = kim_asn1_rid_from_cert(r[i].cert);
		if (re->rid == NULL ||
		    !ASN1_STRING_set(re->email, r[i].address, -1) ||
		    !sk_KIM_RECIPIENT_EMAIL_push(list, re)) {
			KIM_RECIPIENT_EMAIL_free(re);
			goto fail;
		}
	}
	return list;
fail:
	kim_remails_free(list);
	return NULL;
}

/* kim_remails_attr - the attribute as in gematik's sample */
X509_ATTRIBUTE *
kim_remails_attr(STACK_OF(KIM_RECIPIENT_EMAIL) *list)
{
	X509_ATTRIBUTE *attr = NULL;
	ASN1_OBJECT *obj;
	unsigned char *der;
	int i, len;

	obj = OBJ_txt2obj(KIM_OID_RECIPIENT_EMAILS, 1);
	if (obj == NULL)
		return NULL;
	attr = X509_ATTRIBUTE_new();
	if (attr == NULL || !X509_ATTRIBUTE_set1_object(attr, obj))
		goto fail;
	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(list); i++) {
		der = NULL;
		len = i2d_KIM_RECIPIENT_EMAIL(sk_KIM_RECIPIENT_EMAIL_value(list,
		    i), &der);
		if (len <= 0)
			goto fail;
		/* a SEQUENCE value is stored as its DER */
		if (!X509_ATTRIBUTE_set1_data(attr, V_ASN1_SEQUENCE, der,
		    len)) {
			OPENSSL_free(der);
			goto fail;
		}
		OPENSSL_free(der);
	}
	ASN1_OBJECT_free(obj);
	return attr;
fail:
	ASN1_OBJECT_free(obj);
	X509_ATTRIBUTE_free(attr);
	return NULL;
}

/* push_value - one AttributeValue: a RecipientEmail or a SET of them */
static int
push_value(STACK_OF(KIM_RECIPIENT_EMAIL) *list, const ASN1_TYPE *t)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *set;
	KIM_RECIPIENT_EMAIL *re;
	const unsigned char *p;
	long len;

	if (t->type == V_ASN1_SEQUENCE) {
		p = t->value.sequence->data;
		len = t->value.sequence->length;
		re = d2i_KIM_RECIPIENT_EMAIL(NULL, &p, len);
		if (re == NULL || p != t->value.sequence->data + len ||
		    !sk_KIM_RECIPIENT_EMAIL_push(list, re)) {
			KIM_RECIPIENT_EMAIL_free(re);
			return -1;
		}
		return 0;
	}
	if (t->type == V_ASN1_SET) {	/* nested: accepted, not written */
		p = t->value.set->data;
		len = t->value.set->length;
		set = (STACK_OF(KIM_RECIPIENT_EMAIL) *)ASN1_item_d2i(NULL, &p,
		    len, ASN1_ITEM_rptr(KIM_RECIPIENT_EMAILS));
		if (set == NULL)
			return -1;
		while ((re = sk_KIM_RECIPIENT_EMAIL_shift(set)) != NULL)
			if (!sk_KIM_RECIPIENT_EMAIL_push(list, re)) {
				KIM_RECIPIENT_EMAIL_free(re);
				kim_remails_free(set);
				return -1;
			}
		kim_remails_free(set);
		return 0;
	}
	return -1;
}

/* kim_remails_find - read the attribute out of an attribute set */
int
kim_remails_find(const STACK_OF(X509_ATTRIBUTE) *attrs,
    STACK_OF(KIM_RECIPIENT_EMAIL) **out, struct buf *why)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *list = NULL;
	X509_ATTRIBUTE *attr;
	ASN1_OBJECT *obj;
	int i, n, idx;

	*out = NULL;
	obj = OBJ_txt2obj(KIM_OID_RECIPIENT_EMAILS, 1);
	if (obj == NULL)
		return -1;
	idx = X509at_get_attr_by_OBJ(attrs, obj, -1);
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return 0;
	attr = X509at_get_attr(attrs, idx);
	n = X509_ATTRIBUTE_count(attr);
	list = sk_KIM_RECIPIENT_EMAIL_new_null();
	if (list == NULL || n <= 0)
		goto bad;
	for (i = 0; i < n; i++)
		if (push_value(list, X509_ATTRIBUTE_get0_type(attr, i)) < 0)
			goto bad;
	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(list); i++)
		if (sk_KIM_RECIPIENT_EMAIL_value(list, i)->rid->type !=
		    KIM_RID_ISSUER_SERIAL)
			goto bad;
	*out = list;
	return 1;
bad:
	ERR_clear_error();
	buf_printf(why, "malformed recipient-emails attribute");
	kim_remails_free(list);
	return -1;
}

/* contains - is e in list (address case-insensitive, same certificate)? */
static int
contains(const STACK_OF(KIM_RECIPIENT_EMAIL) *list,
    const KIM_RECIPIENT_EMAIL *e)
{
	const KIM_RECIPIENT_EMAIL *x;
	int i;

	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(list); i++) {
		x = sk_KIM_RECIPIENT_EMAIL_value(list, i);
		if (x->email->length == e->email->length &&
		    strncasecmp((const char *)x->email->data,
		    (const char *)e->email->data, e->email->length) == 0 &&
		    kim_asn1_rid_cmp(x->rid, e->rid) == 0)
			return 1;
	}
	return 0;
}

/* kim_remails_equal - set equality */
int
kim_remails_equal(const STACK_OF(KIM_RECIPIENT_EMAIL) *a,
    const STACK_OF(KIM_RECIPIENT_EMAIL) *b)
{
	int i;

	if (a == NULL || b == NULL)
		return a == b;
	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(a); i++)
		if (!contains(b, sk_KIM_RECIPIENT_EMAIL_value(a, i)))
			return 0;
	for (i = 0; i < sk_KIM_RECIPIENT_EMAIL_num(b); i++)
		if (!contains(a, sk_KIM_RECIPIENT_EMAIL_value(b, i)))
			return 0;
	return 1;
}
