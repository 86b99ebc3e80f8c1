/*
 * kimctl_codec.c - kimctl encode and decode: the KIM codec from the shell
 * (kimctl(8), ENCODE AND DECODE).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "card.h"
#include "conf.h"
#include "kim.h"
#include "kim_mime.h"
#include "dir.h"
#include "kimctl.h"

/* the key options shared by encode and decode */
struct keyopts {
	const char *card;
	struct buf keys, certs, p12s;	/* comma-separated lists */
	const char *pass_file;
};

/* list_add - append to a comma-separated list */
static void
list_add(struct buf *b, const char *v)
{
	if (b->len)
		buf_puts(b, ",");
	buf_puts(b, v);
}

/* open_card - the named card of kim-milter.conf, or soft keys */
static struct card *
open_card(struct kimctl *k, struct keyopts *o)
{
	struct conf_field f[6];
	struct conf_card cc;
	struct buf why = BUF_INIT;
	struct card *card = NULL;
	struct conf *conf;
	size_t i, n = 0;

	if (o->card != NULL) {
		if ((conf = kimctl_conf(k)) == NULL)
			return NULL;
		for (i = 0; i < conf->n_cards; i++)
			if (strcmp(conf->cards[i].name, o->card) == 0)
				break;
		if (i == conf->n_cards) {
			fprintf(stderr, "kimctl: no Card %s in %s\n", o->card,
			    k->conf_path);
			return NULL;
		}
		card = card_open(&conf->cards[i], &why);
		goto out;
	}
	memset(&cc, 0, sizeof(cc));
	cc.name = (char *)"kimctl";
	cc.backend = (char *)"soft";
	f[n].key = (char *)"backend";
	f[n++].value = (char *)"soft";
	if (o->keys.len) {
		f[n].key = (char *)"key";
		f[n++].value = (char *)buf_str(&o->keys);
	}
	if (o->certs.len) {
		f[n].key = (char *)"cert";
		f[n++].value = (char *)buf_str(&o->certs);
	}
	if (o->p12s.len) {
		f[n].key = (char *)"p12";
		f[n++].value = (char *)buf_str(&o->p12s);
	}
	if (o->pass_file) {
		f[n].key = (char *)"pass-file";
		f[n++].value = (char *)o->pass_file;
	}
	if (n == 1) {
		fprintf(stderr, "kimctl: give --card NAME, or --key FILE "
		    "--cert FILE, or --p12 FILE\n");
		return NULL;
	}
	cc.fields = f;
	cc.nfields = n;
	card = card_open(&cc, &why);
out:
	if (card == NULL)
		fprintf(stderr, "kimctl: %s\n", buf_str(&why));
	buf_free(&why);
	return card;
}

/* load_certs - every certificate of a PEM or DER file, pushed on sk */
static int
load_certs(const char *path, STACK_OF(X509) *sk)
{
	BIO *bio;
	X509 *x;
	int n = 0;

	bio = BIO_new_file(path, "rb");
	if (bio == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	if (n == 0) {
		(void)BIO_reset(bio);
		x = d2i_X509_bio(bio, NULL);
		if (x != NULL && sk_X509_push(sk, x))
			n++;
		else
			X509_free(x);
	}
	BIO_free(bio);
out:
	ERR_clear_error();
	if (n == 0)
		fprintf(stderr, "kimctl: %s: no certificate\n", path);
	return n ? 0 : -1;
}

/* read_all - stdin into b */
static int
read_all(FILE *fp, struct buf *b)
{
	unsigned char tmp[65536];
	struct stat st;
	size_t n;

	/* a file on stdin: one allocation of its size, no doubling copies */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0 && buf_reserve(b, (size_t)st.st_size) < 0)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		if (buf_append(b, tmp, n) < 0)
			return -1;
	return ferror(fp) ? -1 : 0;
}

/* parse_time - seconds since 1970, or YYYY-MM-DD[THH:MM:SS][Z] in UTC */
static int
parse_time(const char *s, time_t *t)
{
	struct tm tm;
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (*s && *end == 0) {
		*t = (time_t)v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || (*end && strcmp(end, "Z") != 0))
		return -1;
	*t = timegm(&tm);
	return 0;
}

/* keyopt - handle a key option; 1 when it was one */
static int
keyopt(int ch, struct keyopts *o)
{
	switch (ch) {
	case 'C':
		o->card = optarg;
		return 1;
	case 'k':
		list_add(&o->keys, optarg);
		return 1;
	case 'c':
		list_add(&o->certs, optarg);
		return 1;
	case 'p':
		list_add(&o->p12s, optarg);
		return 1;
	case 'P':
		o->pass_file = optarg;
		return 1;
	}
	return 0;
}

/* keyopts_free - release the lists */
static void
keyopts_free(struct keyopts *o)
{
	buf_free(&o->keys);
	buf_free(&o->certs);
	buf_free(&o->p12s);
}

#define KEY_OPTIONS \
	{"card", required_argument, NULL, 'C'}, \
	{"key", required_argument, NULL, 'k'}, \
	{"cert", required_argument, NULL, 'c'}, \
	{"p12", required_argument, NULL, 'p'}, \
	{"pass-file", required_argument, NULL, 'P'}

/* rcpt_find - the party of an address, added when new */
static struct kim_party *
rcpt_find(struct kim_party **v, size_t *n, const char *addr)
{
	struct kim_party *nv;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i].address, addr) == 0)
			return &(*v)[i];
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return NULL;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	nv[*n].address = addr;
	return &nv[(*n)++];
}

/* party_add - one more certificate of a party (certs are kept in pool) */
static int
party_add(struct kim_party *p, const char *file, STACK_OF(X509) *pool)
{
	X509 **nv;
	int before = sk_X509_num(pool), i;

	if (load_certs(file, pool) < 0)
		return -1;
	nv = realloc((void *)p->certs, (p->ncerts + (size_t)(sk_X509_num(pool) -
	    before)) * sizeof(X509 *));
	if (nv == NULL)
		return -1;
	for (i = before; i < sk_X509_num(pool); i++)
		nv[p->ncerts++] = sk_X509_value(pool, i);
	p->certs = nv;
	return 0;
}

/*
 * party_add_dir - the usable encryption certificates the KIM directory
 * lists for an address (through the cache, as the gate would). A missing,
 * unusable or unavailable entry is refused with the directory's reason:
 * never encrypt to less than the directory says.
 */
static int
party_add_dir(struct kim_party *p, struct dir *d, const char *address,
    STACK_OF(X509) *pool)
{
	struct dir_result *res = NULL;
	X509 **nv;
	size_t i;
	int st, rc = -1;

	st = dir_lookup(d, address, 0, &res);
	if (st != DIR_FOUND) {
		fprintf(stderr, "kimctl: %s: %s (%s)\n", address,
		    res ? res->reason : "no answer from the directory",
		    st >= 0 ? dir_status_name((enum dir_status)st) : "error");
		goto out;
	}
	nv = realloc((void *)p->certs, (p->ncerts + res->ncerts) *
	    sizeof(X509 *));
	if (nv == NULL)
		goto out;
	p->certs = nv;
	for (i = 0; i < res->ncerts; i++) {
		X509 *x = res->certs[i].x509;

		if (x == NULL || res->certs[i].reason != DIR_CERT_OK)
			continue;
		if (!X509_up_ref(x))
			goto out;
		if (sk_X509_push(pool, x) <= 0) {
			X509_free(x);
			goto out;
		}
		nv[p->ncerts++] = x;
	}
	rc = 0;
out:
	dir_result_free(res);
	return rc;
}

/* encode_dir - the directory of kim-milter.conf, opened once */
static struct dir *
encode_dir(struct kimctl *k, struct dir **d)
{
	struct buf why = BUF_INIT;
	struct conf *c;

	if (*d)
		return *d;
	if ((c = kimctl_conf(k)) == NULL)
		return NULL;
	if (c->dir_uri == NULL) {
		fprintf(stderr, "kimctl: --recipient needs DirectoryURI in %s "
		    "(or give --recipient-cert ADDRESS=FILE)\n", k->conf_path);
		return NULL;
	}
	if ((*d = dir_open(c, &why)) == NULL)
		fprintf(stderr, "kimctl: directory: %s\n", buf_str(&why));
	buf_free(&why);
	return *d;
}

/* kimctl_encode - sign and encrypt a mail from stdin to stdout */
int
kimctl_encode(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		KEY_OPTIONS,
		{"sender-cert", required_argument, NULL, 's'},
		{"recipient-cert", required_argument, NULL, 'r'},
		{"recipient", required_argument, NULL, 'L'},
		{"dienstkennung", required_argument, NULL, 'd'},
		{"encrypt-to", required_argument, NULL, 'e'},
		{"at", required_argument, NULL, 't'},
		{"rsa-signature", no_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	struct keyopts ko;
	struct kim_encode_args a;
	struct kim_party sender, *rcpts = NULL, *p;
	struct buf in = BUF_INIT, out = BUF_INIT, why = BUF_INIT;
	struct buf v = BUF_INIT, from = BUF_INIT;
	STACK_OF(X509) *pool = sk_X509_new_null();
	struct card *card = NULL;
	struct dir *dir = NULL;
	size_t nrcpts = 0, i, hl, bo;
	char *eq;
	int ch, rc = KIMCTL_EX_USAGE, cerr;

	memset(&ko, 0, sizeof(ko));
	memset(&a, 0, sizeof(a));
	memset(&sender, 0, sizeof(sender));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (keyopt(ch, &ko))
			continue;
		switch (ch) {
		case 's':
			if (party_add(&sender, optarg, pool) < 0)
				goto out;
			break;
		case 'r':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr, "kimctl: --recipient-cert "
				    "ADDRESS=FILE\n");
				goto out;
			}
			*eq = 0;
			if ((p = rcpt_find(&rcpts, &nrcpts, optarg)) == NULL ||
			    party_add(p, eq + 1, pool) < 0)
				goto out;
			break;
		case 'L':
			/* looked up in the directory */
			if (encode_dir(k, &dir) == NULL) {
				rc = KIMCTL_EX_FAIL;
				goto out;
			}
			if ((p = rcpt_find(&rcpts, &nrcpts, optarg)) == NULL ||
			    party_add_dir(p, dir, optarg, pool) < 0) {
				rc = KIMCTL_EX_FAIL;
				goto out;
			}
			break;
		case 'd':
			a.dienstkennung = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "all") == 0)
				a.encrypt_to = KIM_ENCRYPT_ALL;
			else if (strcmp(optarg, "ecc-preferred") == 0)
				a.encrypt_to = KIM_ENCRYPT_ECC_PREFERRED;
			else
				goto out;
			break;
		case 't':
			if (parse_time(optarg, &a.now) < 0)
				goto out;
			break;
		case 'R':
			a.prefer_rsa_signature = 1;
			break;
		default:
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "kimctl encode: unexpected argument %s\n",
		    argv[optind]);
		goto out;
	}
	rc = KIMCTL_EX_FAIL;
	if ((card = open_card(k, &ko)) == NULL)
		goto out;
	if (read_all(stdin, &in) < 0) {
		fprintf(stderr, "kimctl: cannot read the mail\n");
		goto out;
	}
	kim_mime_split(in.data, in.len, &hl, &bo);
	if (kim_mime_get(in.data, hl, "From", &v) <= 0 ||
	    kim_mime_addr(buf_str(&v), &from) < 0 || from.len == 0) {
		fprintf(stderr, "kimctl: the mail has no From address\n");
		goto out;
	}
	if (nrcpts == 0)
		fprintf(stderr, "kimctl: warning: no --recipient-cert: "
		    "encrypted to the sender only\n");
	/* the sender's own copy (A_2111-01): from the directory when it is
	 * in use and no --sender-cert was given; none there: refused */
	if (sender.ncerts == 0 && dir != NULL &&
	    party_add_dir(&sender, dir, buf_str(&from), pool) < 0) {
		fprintf(stderr, "kimctl: the sender %s has no usable encryption "
		    "certificate in the KIM directory; KIM mail needs one (or "
		    "give --sender-cert)\n", buf_str(&from));
		goto out;
	}
	sender.address = buf_str(&from);
	a.msg = in.data;
	a.msglen = in.len;
	a.card = card;
	a.sender = &sender;
	a.rcpts = rcpts;
	a.nrcpts = nrcpts;
	if (kim_encode(&a, &out, &cerr, &why) < 0) {
		fprintf(stderr, "kimctl: encode: %s\n", buf_str(&why));
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "kimctl: write error\n");
		goto out;
	}
	rc = KIMCTL_EX_OK;
out:
	if (rc == KIMCTL_EX_USAGE)
		fprintf(stderr, "usage: kimctl encode [--card NAME | --key FILE "
		    "--cert FILE | --p12 FILE [--pass-file FILE]]\n"
		    "    [--sender-cert FILE]... [--recipient-cert "
		    "ADDRESS=FILE]... [--recipient ADDRESS]...\n    [--dienstkennung VALUE] "
		    "[--encrypt-to ecc-preferred|all] [--at TIME] < mail\n");
	for (i = 0; i < nrcpts; i++)
		free((void *)rcpts[i].certs);
	free(rcpts);
	free((void *)sender.certs);
	sk_X509_pop_free(pool, X509_free);
	card_free(card);
	dir_close(dir);
	keyopts_free(&ko);
	buf_free(&in);
	buf_free(&out);
	buf_free(&why);
	buf_free(&v);
	buf_free(&from);
	return rc;
}

/* json_str - a JSON string */
static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", *s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* kimctl_decode - decrypt and check a KIM mail from stdin */
int
kimctl_decode(struct kimctl *k, int argc, char **argv)
{
	static const struct option opts[] = {
		KEY_OPTIONS,
		{"address", required_argument, NULL, 'a'},
		{"trust", required_argument, NULL, 'T'},
		{"at", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"signed", no_argument, NULL, 'S'},
		{"require-osig", no_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	struct keyopts ko;
	struct kim_decode_args a;
	struct kim_decode_result r;
	struct buf in = BUF_INIT;
	STACK_OF(X509) *anchors = sk_X509_new_null();
	const unsigned char *od;
	const char *output = "message";
	struct card *card = NULL;
	int ch, i, rc = KIMCTL_EX_USAGE, signed_only = 0, krc;
	size_t ol;

	memset(&ko, 0, sizeof(ko));
	memset(&a, 0, sizeof(a));
	kim_decode_result_init(&r);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (keyopt(ch, &ko))
			continue;
		switch (ch) {
		case 'a':
			a.address = optarg;
			break;
		case 'T':
			if (load_certs(optarg, anchors) < 0)
				goto out;
			break;
		case 't':
			if (parse_time(optarg, &a.at) < 0)
				goto out;
			break;
		case 'o':
			output = optarg;
			if (strcmp(output, "message") != 0 &&
			    strcmp(output, "content") != 0 &&
			    strcmp(output, "decrypted") != 0)
				goto out;
			break;
		case 'S':
			signed_only = 1;
			break;
		case 'O':
			a.require_osig_policy = 1;
			break;
		default:
			goto out;
		}
	}
	if (optind != argc || (!signed_only && a.address == NULL)) {
		if (a.address == NULL)
			fprintf(stderr, "kimctl decode: --address is "
			    "needed\n");
		goto out;
	}
	rc = KIMCTL_EX_FAIL;
	if (!signed_only && (card = open_card(k, &ko)) == NULL)
		goto out;
	if (sk_X509_num(anchors) > 0) {
		a.anchors = X509_STORE_new();
		for (i = 0; a.anchors && i < sk_X509_num(anchors); i++)
			X509_STORE_add_cert(a.anchors, sk_X509_value(anchors,
			    i));
	}
	if (read_all(stdin, &in) < 0) {
		fprintf(stderr, "kimctl: cannot read the mail\n");
		goto out;
	}
	a.msg = in.data;
	a.msglen = in.len;
	a.card = card;
	if (signed_only)
		krc = kim_verify_signed(&a, in.data, in.len, &r);
	else
		krc = kim_decode(&a, &r);
	if (krc < 0 && krc != KIM_E_NOTKIM) {
		fprintf(stderr, "kimctl: decode: %s: %s\n", kim_err_str(krc),
		    buf_str(&r.reason));
		goto out;
	}
	if (k->json) {
		fprintf(stderr, "{\"kim\": %s, \"decryption\": \"%02d\", "
		    "\"integrity\": \"%02d\", \"reason\": ",
		    krc == KIM_E_NOTKIM ? "false" : "true", r.decryption,
		    r.integrity);
		json_str(stderr, buf_str(&r.reason));
		fprintf(stderr, ", \"from\": ");
		json_str(stderr, r.inner_from ? r.inner_from : "");
		fprintf(stderr, "}\n");
	} else if (krc == KIM_E_NOTKIM) {
		fprintf(stderr, "not a KIM message: %s\n",
		    buf_str(&r.reason));
	} else {
		fprintf(stderr, "X-KIM-DecryptionResult: %02d\n",
		    r.decryption);
		if (r.integrity != KIM_INT_NONE)
			fprintf(stderr, "X-KIM-IntegrityCheckResult: %02d\n",
			    r.integrity);
		fprintf(stderr, "reason: %s\n", buf_str(&r.reason));
	}
	if (strcmp(output, "decrypted") == 0) {
		od = r.decrypted.data;
		ol = r.decrypted.len;
	} else if (strcmp(output, "content") == 0) {
		od = r.content.data;
		ol = r.content.len;
	} else {
		od = r.content.data + r.msg_off;
		ol = r.msg_len;
	}
	if (ol && (fwrite(od, 1, ol, stdout) != ol || fflush(stdout) != 0)) {
		fprintf(stderr, "kimctl: write error\n");
		goto out;
	}
	if (krc == 0 && r.decryption == KIM_DEC_OK &&
	    (r.integrity == KIM_INT_OK || r.integrity == KIM_INT_UNCHECKED))
		rc = KIMCTL_EX_OK;
out:
	if (rc == KIMCTL_EX_USAGE)
		fprintf(stderr, "usage: kimctl decode [--card NAME | --key FILE "
		    "--cert FILE | --p12 FILE [--pass-file FILE]]\n"
		    "    --address ADDRESS [--trust FILE]... [--at TIME] "
		    "[--require-osig]\n"
		    "    [--output message|content|decrypted] < kim-mail\n"
		    "       kimctl decode --signed [--trust FILE]... [--at TIME] "
		    "< signed-data\n");
	kim_decode_result_free(&r);
	X509_STORE_free(a.anchors);
	sk_X509_pop_free(anchors, X509_free);
	card_free(card);
	keyopts_free(&ko);
	buf_free(&in);
	return rc;
}
