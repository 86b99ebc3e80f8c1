/*
 * kim_inspect.c - what an outer KIM message says about its recipients,
 * read without a key: the RecipientInfos of the AuthEnvelopedData and the
 * addresses its unprotected recipient-emails attribute gives them.
 *
 * The gate uses it for the rule of architecture.md: a message that already
 * is a KIM message passes unchanged only when every RecipientInfo names a
 * certificate the directory holds for an address the message may go to.
 * The rule itself (directory, envelope) lives in the milter; this file
 * only reads.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "kim.h"
#include "kim_asn1.h"
#include "kim_cms.h"
#include "kim_mime.h"

/* claims_kim - does the header block say "KIM message"? */
static int
claims_kim(const unsigned char *msg, size_t hl, struct buf *v)
{
	if (kim_mime_get(msg, hl, "X-KOM-LE-Version", v) > 0)
		return 1;
	if (kim_mime_get(msg, hl, "Content-Type", v) > 0 &&
	    strstr(buf_str(v), "pkcs7-mime") != NULL)
		return 1;
	return 0;
}

/* outer_der - the base64 body of an authenticated-enveloped-data message */
static int
outer_der(const unsigned char *msg, size_t len, struct buf *der,
    struct buf *why)
{
	struct buf v = BUF_INIT, t = BUF_INIT;
	size_t hl, bo;
	int rc = KIM_E_INPUT;

	kim_mime_split(msg, len, &hl, &bo);
	if (!claims_kim(msg, hl, &v)) {
		rc = KIM_E_NOTKIM;
		goto out;
	}
	if (kim_mime_get(msg, hl, "Content-Type", &v) <= 0 ||
	    !kim_mime_param(buf_str(&v), "smime-type", &t) ||
	    strcmp(buf_str(&t), "authenticated-enveloped-data") != 0) {
		(void)buf_puts(why, "KIM headers, but the body is not "
		    "authenticated-enveloped-data");
		goto out;
	}
	if (kim_mime_get(msg, hl, "Content-Transfer-Encoding", &v) <= 0 ||
	    !kim_mime_param(buf_str(&v), NULL, &t) ||
	    strcmp(buf_str(&t), "base64") != 0) {
		(void)buf_puts(why, "KIM headers, but the body is not base64");
		goto out;
	}
	if (kim_mime_b64_decode(msg + bo, len - bo, der, why) < 0)
		goto out;
	rc = KIM_OK;
out:
	buf_free(&v);
	buf_free(&t);
	return rc;
}

/* lower_dup - the address in lower case */
static char *
lower_dup(const ASN1_IA5STRING *s)
{
	char *p = malloc((size_t)s->length + 1);
	int i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < s->length; i++)
		p[i] = (char)tolower(s->data[i]);
	p[s->length] = 0;
	return p;
}

/* fill - one entry per RecipientInfo, with its recipient-emails address */
static int
fill(KIM_AUTH_ENVELOPED *ae, STACK_OF(KIM_RECIPIENT_EMAIL) *re,
    struct kim_envelope *env)
{
	int i, j, n = sk_KIM_RECIPIENT_INFO_num(ae->ris);

	env->ri = calloc((size_t)(n > 0 ? n : 1), sizeof(*env->ri));
	if (env->ri == NULL)
		return KIM_E_NOMEM;
	env->nremails = (size_t)sk_KIM_RECIPIENT_EMAIL_num(re);
	for (i = 0; i < n; i++) {
		KIM_RECIPIENT_INFO *ri = sk_KIM_RECIPIENT_INFO_value(ae->ris, i);
		struct kim_envelope_ri *e = &env->ri[env->nri++];

		if (ri->type != KIM_RI_KTRI ||
		    ri->d.ktri->rid->type != KIM_RID_ISSUER_SERIAL)
			continue;
		e->ktri = 1;
		e->issuer = X509_NAME_dup(ri->d.ktri->rid->d.ias->issuer);
		e->serial = ASN1_INTEGER_dup(ri->d.ktri->rid->d.ias->serial);
		if (e->issuer == NULL || e->serial == NULL)
			return KIM_E_NOMEM;
		for (j = 0; j < sk_KIM_RECIPIENT_EMAIL_num(re); j++) {
			KIM_RECIPIENT_EMAIL *x = sk_KIM_RECIPIENT_EMAIL_value(re,
			    j);

			if (kim_asn1_rid_cmp(x->rid, ri->d.ktri->rid) != 0)
				continue;
			if ((e->address = lower_dup(x->email)) == NULL)
				return KIM_E_NOMEM;
			break;
		}
	}
	/* entries of recipient-emails that name no RecipientInfo */
	for (j = 0; j < sk_KIM_RECIPIENT_EMAIL_num(re); j++) {
		KIM_RECIPIENT_EMAIL *x = sk_KIM_RECIPIENT_EMAIL_value(re, j);
		int found = 0;

		for (i = 0; i < n && !found; i++) {
			KIM_RECIPIENT_INFO *ri = sk_KIM_RECIPIENT_INFO_value(
			    ae->ris, i);

			found = ri->type == KIM_RI_KTRI &&
			    kim_asn1_rid_cmp(x->rid, ri->d.ktri->rid) == 0;
		}
		if (!found)
			env->stray++;
	}
	return KIM_OK;
}

/* kim_inspect - the recipients a KIM message is encrypted for */
int
kim_inspect(const unsigned char *msg, size_t len, struct kim_envelope *env,
    struct buf *why)
{
	STACK_OF(KIM_RECIPIENT_EMAIL) *re = NULL;
	KIM_CI_AUTHENV *ci = NULL;
	struct buf der = BUF_INIT;
	const unsigned char *p;
	int rc;

	memset(env, 0, sizeof(*env));
	if ((rc = outer_der(msg, len, &der, why)) != KIM_OK)
		goto out;
	rc = KIM_E_INPUT;
	p = der.data;
	if (der.len == 0 || der.len > LONG_MAX ||
	    (ci = d2i_KIM_CI_AUTHENV(NULL, &p, (long)der.len)) == NULL ||
	    OBJ_obj2nid(ci->type) != NID_id_smime_ct_authEnvelopedData) {
		(void)buf_puts(why, "the body is not a valid AuthEnvelopedData");
		goto out;
	}
	if (kim_remails_find(ci->d->unauth_attrs, &re, why) <= 0) {
		if (why->len == 0)
			(void)buf_puts(why, "no recipient-emails attribute");
		goto out;
	}
	rc = fill(ci->d, re, env);
out:
	if (rc != KIM_OK)
		kim_envelope_free(env);
	kim_remails_free(re);
	KIM_CI_AUTHENV_free(ci);
	buf_free(&der);
	ERR_clear_error();
	return rc;
}

/* kim_envelope_free - release what kim_inspect filled */
void
kim_envelope_free(struct kim_envelope *env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nri; i++) {
		free(env->ri[i].address);
		X509_NAME_free(env->ri[i].issuer);
		ASN1_INTEGER_free(env->ri[i].serial);
	}
	free(env->ri);
	memset(env, 0, sizeof(*env));
}

/* kim_envelope_names - does the RecipientInfo name this certificate? */
int
kim_envelope_names(const struct kim_envelope_ri *ri, X509 *cert)
{
	if (!ri->ktri || cert == NULL)
		return 0;
	return X509_NAME_cmp(ri->issuer, X509_get_issuer_name(cert)) == 0 &&
	    ASN1_INTEGER_cmp(ri->serial, X509_get0_serialNumber(cert)) == 0;
}
