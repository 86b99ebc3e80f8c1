/*
 * gate_kim.c - mail that already is a KIM message, at the gate.
 *
 * The rule (architecture.md): such a message passes the gate unchanged
 * (the route header re-added) only if it parses as an AuthEnvelopedData
 * whose every RecipientInfo names a directory-validated certificate of an
 * address that recipient-emails gives it, and that address is an envelope
 * recipient, a To/Cc address, or the From address itself (the sender's
 * own copy); and its From is the KIM address of the sender's own policy.
 * This also covers our own output coming back: `postsuper -r` drops the
 * FILTER record and sends already-encrypted mail through the gate again.
 *
 * A message with KIM headers but a body that is no AuthEnvelopedData is
 * plaintext (forged headers): it is transformed like any other. One with
 * an AuthEnvelopedData that breaks the rule is refused: wrapping it again
 * would hide from the recipient what it is, and passing it could let a
 * message encrypted to someone else's key leave.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dir.h"
#include "kim.h"
#include "kim_mime.h"
#include "milter.h"
#include "msg.h"
#include "policy.h"

/* claims_kim - KIM headers or an S/MIME body? (cheap: no rendering) */
static int
claims_kim(const struct mail *m)
{
	const char *ct = mail_find(m, "Content-Type", 0);

	return mail_find(m, "X-KOM-LE-Version", 0) != NULL ||
	    (ct != NULL && strcasestr(ct, "pkcs7-mime") != NULL);
}

/*
 * in_header - is addr one of the addresses of the header lines called
 * name? Addresses are taken inside <> or as words with an @.
 */
static int
in_header(const struct mail *m, const char *name, const char *addr)
{
	size_t alen = strlen(addr), n, k;
	const char *v, *p;

	for (n = 0; (v = mail_find(m, name, n)) != NULL; n++) {
		for (p = v; *p; p += k ? k : 1) {
			const char *start = p;

			k = strcspn(p, " \t\r\n,;<>()\"");
			if (k == alen && strncasecmp(start, addr, alen) == 0)
				return 1;
		}
	}
	return 0;
}

/* allowed - may the message go to this address (envelope, To/Cc, From)? */
static int
allowed(const struct session *s, const char *addr, const char *from)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		if (strcasecmp(s->rcpts[i].addr, addr) == 0)
			return 1;
	return strcasecmp(addr, from) == 0 || in_header(&s->mail, "To", addr) ||
	    in_header(&s->mail, "Cc", addr);
}

/* entry_of - the directory entry of an address: the RCPT one, or looked up */
static int
entry_of(struct session *s, const char *addr, struct dir_result **res,
    int *owned)
{
	size_t i;

	for (i = 0; i < s->nrcpts; i++)
		if (strcasecmp(s->rcpts[i].addr, addr) == 0) {
			*res = s->rcpts[i].res;
			*owned = 0;
			return DIR_FOUND;
		}
	*owned = 1;
	return dir_lookup(s->rt->dir, addr, 0, res);
}

/* validated - does the entry hold this RecipientInfo's certificate, usable? */
static int
validated(const struct dir_result *res, const struct kim_envelope_ri *ri)
{
	size_t i;

	for (i = 0; i < res->ncerts; i++)
		if (res->certs[i].reason == DIR_CERT_OK &&
		    kim_envelope_names(ri, res->certs[i].x509))
			return 1;
	return 0;
}

/*
 * check_rule - 1 when the envelope meets the rule, 0 when it does not
 * (why says which part), -1 when the directory cannot tell now.
 */
static int
check_rule(struct session *s, const struct kim_envelope *env,
    const char *from, struct buf *why)
{
	struct dir_result *res;
	size_t i;
	int owned, st, ok;

	if (env->nri == 0 || env->stray > 0) {
		(void)buf_puts(why, env->nri == 0 ? "it has no RecipientInfo" :
		    "recipient-emails names a RecipientInfo it does not have");
		return 0;
	}
	for (i = 0; i < env->nri; i++) {
		const struct kim_envelope_ri *ri = &env->ri[i];

		if (ri->address == NULL || !ri->ktri) {
			(void)buf_printf(why, "RecipientInfo %zu has no "
			    "recipient-emails entry", i + 1);
			return 0;
		}
		if (!allowed(s, ri->address, from)) {
			(void)buf_printf(why, "it is encrypted for %s, which "
			    "is neither a recipient nor the sender",
			    ri->address);
			return 0;
		}
		res = NULL;
		st = entry_of(s, ri->address, &res, &owned);
		if (st == DIR_UNAVAILABLE || st < 0) {
			(void)buf_printf(why, "the KIM directory cannot be "
			    "asked for %s", ri->address);
			if (owned)
				dir_result_free(res);
			return -1;
		}
		ok = st == DIR_FOUND && validated(res, ri);
		if (owned)
			dir_result_free(res);
		if (!ok) {
			(void)buf_printf(why, "its RecipientInfo for %s names "
			    "a certificate the KIM directory does not hold "
			    "as usable", ri->address);
			return 0;
		}
	}
	return 1;
}

/* from_address - the address of the (one) From header, lower case */
static int
from_address(const struct mail *m, struct buf *out)
{
	const char *v = mail_find(m, "From", 0);
	struct buf raw = BUF_INIT;
	size_t i, a, b;
	int rc = 0;

	buf_reset(out);
	if (v == NULL || kim_mime_addr(v, &raw) < 0)
		goto out;
	/* a bare address keeps the space after the colon: trim it */
	for (a = 0; a < raw.len && isspace(raw.data[a]); a++)
		;
	for (b = raw.len; b > a && isspace(raw.data[b - 1]); b--)
		;
	if (b == a || buf_append(out, raw.data + a, b - a) < 0)
		goto out;
	for (i = 0; i < out->len; i++)
		out->data[i] = (unsigned char)tolower(out->data[i]);
	rc = 1;
out:
	buf_free(&raw);
	return rc;
}

/* route_only - keep the message; set the envelope sender and route */
static int
route_only(struct session *s, struct mio *io, const char *kim,
    const char *account)
{
	char from[SESSION_ADDR_MAX + 2], value[80];
	size_t n = mail_count(&s->mail, "X-Kimgate-Route");

	snprintf(from, sizeof(from), "<%s>", kim);
	if (mio_chgfrom(io, from) < 0)
		return -1;
	/* a route header that came with the message is never trusted */
	while (n > 0)
		if (mio_delheader(io, "X-Kimgate-Route", (int)n--) < 0)
			return -1;
	snprintf(value, sizeof(value), " %s", account);
	return mio_addheader(io, "X-Kimgate-Route", value);
}

/* gate_already_kim - apply the rule; *handled says whether it decided */
enum verdict
gate_already_kim(struct session *s, struct mio *io, const struct policy *p,
    const char *kim, const char *account, int *handled)
{
	struct kim_envelope env;
	struct buf msg = BUF_INIT, why = BUF_INIT, from = BUF_INIT;
	enum verdict v = V_CONTINUE;
	char line[400];
	int rc;

	*handled = 0;
	if (!claims_kim(&s->mail))
		return V_CONTINUE;
	memset(&env, 0, sizeof(env));
	if (mail_render(&s->mail, NULL, &msg) < 0) {
		*handled = 1;
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	rc = kim_inspect(msg.data, msg.len, &env, &why);
	if (rc == KIM_E_NOTKIM || rc == KIM_E_INPUT) {
		/* KIM headers on a plaintext body: plaintext, transform it */
		msg_info("%s: role=gate: the message carries KIM headers but "
		    "%s: treated as plaintext", s->queue_id[0] ? s->queue_id :
		    "NOQUEUE", rc == KIM_E_NOTKIM ? "no KIM body" :
		    buf_str(&why));
		goto out;
	}
	*handled = 1;
	if (rc != KIM_OK) {
		v = session_tempfail(s, io, "4.3.0", "out of memory");
		goto out;
	}
	buf_reset(&why);
	if (!from_address(&s->mail, &from) ||
	    strcasecmp(buf_str(&from), kim) != 0) {
		(void)buf_printf(&why, "its From is not %s, the KIM address of "
		    "policy %s", kim, policy_name(p));
		rc = 0;
	} else {
		rc = check_rule(s, &env, buf_str(&from), &why);
	}
	if (rc == 1) {
		if (route_only(s, io, kim, account) < 0) {
			v = session_tempfail(s, io, "4.3.0", "the MTA refused "
			    "a message edit");
			goto out;
		}
		snprintf(line, sizeof(line), "already a KIM message, passed "
		    "unchanged: sender=%s account=%s recipient-infos=%zu", kim,
		    account, env.nri);
		session_end(s, "kim", line);
		v = V_ACCEPT;
		goto out;
	}
	snprintf(line, sizeof(line), "an encrypted message that cannot pass "
	    "the gate: %s", buf_str(&why));
	v = session_refuse(s, io, p, rc < 0 ? POLICY_FAIL_DIRECTORY :
	    POLICY_FAIL_DENIED, line);
out:
	kim_envelope_free(&env);
	buf_free(&msg);
	buf_free(&why);
	buf_free(&from);
	return v;
}
