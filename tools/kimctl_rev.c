/*
 * kimctl_rev.c - kimctl revocation: the revocation status of a certificate
 * as the inbound role asks it (include/rev.h: CRLFiles, then OCSP with the
 * settings of kim-milter.conf).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "kimctl.h"
#include "rev.h"

/* read_cert - the first PEM certificate of a file, or NULL */
static X509 *
read_cert(const char *path)
{
	FILE *fp = fopen(path, "r");
	X509 *x;

	if (fp == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	ERR_clear_error();
	return x;
}

/*
 * chain_of - cert and its issuer: the verified path to TrustAnchors, or
 * [cert, issuer] when an issuer file is given and no path is found
 */
static STACK_OF(X509) *
chain_of(X509_STORE *anchors, X509 *cert, X509 *issuer)
{
	STACK_OF(X509) *chain = NULL;
	X509_STORE_CTX *ctx;

	if (anchors && (ctx = X509_STORE_CTX_new()) != NULL) {
		if (X509_STORE_CTX_init(ctx, anchors, cert, NULL) &&
		    X509_verify_cert(ctx) == 1)
			chain = X509_STORE_CTX_get1_chain(ctx);
		X509_STORE_CTX_free(ctx);
	}
	ERR_clear_error();
	if (chain == NULL && issuer && (chain = sk_X509_new_null()) != NULL) {
		X509_up_ref(cert);
		X509_up_ref(issuer);
		if (!sk_X509_push(chain, cert))
			X509_free(cert);
		if (!sk_X509_push(chain, issuer))
			X509_free(issuer);
	}
	return chain;
}

/* kimctl_revocation - kimctl revocation CERT [--issuer FILE] */
int
kimctl_revocation(struct kimctl *k, int argc, char **argv)
{
	const char *certf = NULL, *issuerf = NULL;
	struct buf why = BUF_INIT;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL, *issuer = NULL;
	struct rev *rv = NULL;
	struct conf *c;
	enum kim_rev st;
	int i, transient = 0, ex = KIMCTL_EX_USAGE;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--issuer") == 0 && i + 1 < argc)
			issuerf = argv[++i];
		else if (argv[i][0] != '-' && certf == NULL)
			certf = argv[i];
		else
			goto usage;
	}
	if (certf == NULL)
		goto usage;
	if ((c = kimctl_conf(k)) == NULL)
		return KIMCTL_EX_CONFIG;
	if ((rv = rev_new(c, &why)) == NULL) {
		fprintf(stderr, "kimctl revocation: %s\n", buf_str(&why));
		ex = KIMCTL_EX_CONFIG;
		goto out;
	}
	ex = KIMCTL_EX_FAIL;
	if ((cert = read_cert(certf)) == NULL ||
	    (issuerf && (issuer = read_cert(issuerf)) == NULL)) {
		fprintf(stderr, "kimctl revocation: %s: no PEM certificate\n",
		    cert ? issuerf : certf);
		goto out;
	}
	chain = chain_of(rev_anchors(rv), cert, issuer);
	st = rev_check(rv, cert, chain, &transient, &why);
	if (k->json)
		printf("{\"status\":\"%s\",\"mode\":\"%s\",\"transient\":%s,"
		    "\"reason\":\"%s\"}\n", st == KIM_REV_GOOD ? "good" :
		    st == KIM_REV_REVOKED ? "revoked" : "unknown",
		    rev_mode_name(rev_mode(rv)), transient ? "true" : "false",
		    buf_str(&why));
	else
		printf("%s (RevocationCheck %s%s): %s\n", st == KIM_REV_GOOD ?
		    "good" : st == KIM_REV_REVOKED ? "revoked" : "unknown",
		    rev_mode_name(rev_mode(rv)), transient ?
		    ", passing trouble" : "", buf_str(&why));
	ex = st == KIM_REV_GOOD ? KIMCTL_EX_OK : st == KIM_REV_REVOKED ?
	    KIMCTL_EX_FAIL : KIMCTL_EX_UNAVAILABLE;
	goto out;
usage:
	fprintf(stderr, "usage: kimctl revocation CERT.pem [--issuer "
	    "ISSUER.pem]\n");
out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	X509_free(issuer);
	rev_free(rv);
	buf_free(&why);
	return ex;
}
