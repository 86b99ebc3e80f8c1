/*
 * dir_result.c - the answer of a lookup: allocation, copies and the
 * read-time verdict (dates, one Telematik-ID, status, reason line).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dir_int.h"

/* dir_status_name - printable status */
const char *
dir_status_name(enum dir_status s)
{
	switch (s) {
	case DIR_FOUND: return "found";
	case DIR_UNUSABLE: return "unusable";
	case DIR_NOT_FOUND: return "not-found";
	case DIR_UNAVAILABLE: return "unavailable";
	}
	return "unknown";
}

/* dir_result_new - empty result */
struct dir_result *
dir_result_new(const char *address)
{
	struct dir_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if ((r->address = strdup(address)) == NULL) {
		free(r);
		return NULL;
	}
	r->status = DIR_NOT_FOUND;
	return r;
}

/* dir_result_set - sanitised copy: no control characters, bounded */
int
dir_result_set(char **field, const char *value, size_t len)
{
	char *s;
	size_t i;

	if (len > 512)
		len = 512;
	if ((s = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];

		s[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	s[len] = 0;
	free(*field);
	*field = s;
	return 0;
}

/* dir_result_add_der - append a certificate */
int
dir_result_add_der(struct dir_result *r, const unsigned char *der,
    size_t len, struct dir_certcache *cc)
{
	struct dir_cert *nc;

	nc = realloc(r->certs, (r->ncerts + 1) * sizeof(*nc));
	if (nc == NULL)
		return -1;
	r->certs = nc;
	if (dir_certcache_get(cc, der, len, &nc[r->ncerts]) < 0)
		return -1;
	r->ncerts++;
	return 0;
}

/* dir_result_finish - read-time verdict */
void
dir_result_finish(struct dir_result *r, time_t now)
{
	int seen[DIR_CERT_NREASONS];
	size_t i, j = 0;
	int n;

	if (r->status == DIR_NOT_FOUND) {
		snprintf(r->reason, sizeof(r->reason),
		    "no entry for this address in the KIM directory");
		return;
	}
	if (r->status == DIR_UNAVAILABLE)
		return;
	r->nusable = 0;
	for (i = 0; i < r->ncerts; i++)
		dir_cert_check_time(&r->certs[i], now);
	(void)dir_cert_check_entry(r->certs, r->ncerts);
	for (i = 0; i < r->ncerts; i++)
		if (r->certs[i].reason == DIR_CERT_OK)
			r->nusable++;
	if (r->nusable) {
		r->status = DIR_FOUND;
		snprintf(r->reason, sizeof(r->reason),
		    "usable: %zu of %zu encryption certificates", r->nusable,
		    r->ncerts);
		return;
	}
	r->status = DIR_UNUSABLE;
	if (r->ncerts == 0) {
		snprintf(r->reason, sizeof(r->reason),
		    "KIM address has no encryption certificate in the "
		    "directory");
		return;
	}
	memset(seen, 0, sizeof(seen));
	n = snprintf(r->reason, sizeof(r->reason),
	    "KIM address has no usable encryption certificate (");
	for (i = 0; i < r->ncerts; i++) {
		enum dir_cert_reason rr = r->certs[i].reason;

		if ((unsigned)rr >= DIR_CERT_NREASONS || seen[rr]++)
			continue;
		if (n > 0 && (size_t)n < sizeof(r->reason))
			n += snprintf(r->reason + n, sizeof(r->reason) - (size_t)n,
			    "%s%s", j++ ? ", " : "", dir_cert_reason_code(rr));
	}
	if (n > 0 && (size_t)n < sizeof(r->reason))
		snprintf(r->reason + n, sizeof(r->reason) - (size_t)n, ")");
}

/* dir_result_unavailable - an outage */
void
dir_result_unavailable(struct dir_result *r, const char *why)
{
	size_t i;

	r->status = DIR_UNAVAILABLE;
	r->source = DIR_SOURCE_NONE;
	r->nusable = 0;
	for (i = 0; i < r->ncerts; i++)
		dir_cert_clear(&r->certs[i]);
	r->ncerts = 0;
	snprintf(r->reason, sizeof(r->reason),
	    "KIM directory temporarily unavailable%s%s", why ? ": " : "",
	    why ? why : "");
	/* the reason goes into SMTP replies: ASCII only */
	for (i = 0; r->reason[i]; i++)
		if ((unsigned char)r->reason[i] < 0x20 ||
		    (unsigned char)r->reason[i] >= 0x7f)
			r->reason[i] = '?';
}

/* dir_result_free - release */
void
dir_result_free(struct dir_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncerts; i++)
		dir_cert_clear(&r->certs[i]);
	free(r->certs);
	free(r->address);
	free(r->telematik_id);
	free(r->display_name);
	free(r->organization);
	free(r->kim_version);
	free(r->app_tags);
	free(r);
}

/* dupstr - strdup of NULL is NULL */
static int
dupstr(char **dst, const char *src)
{
	*dst = NULL;
	if (src && (*dst = strdup(src)) == NULL)
		return -1;
	return 0;
}

/* dir_result_dup - deep copy */
struct dir_result *
dir_result_dup(const struct dir_result *r)
{
	struct dir_result *d = calloc(1, sizeof(*d));
	size_t i;

	if (d == NULL)
		return NULL;
	*d = *r;
	d->certs = NULL;
	d->ncerts = 0;
	d->address = d->telematik_id = d->display_name = NULL;
	d->organization = d->kim_version = d->app_tags = NULL;
	if (dupstr(&d->address, r->address) < 0 ||
	    dupstr(&d->telematik_id, r->telematik_id) < 0 ||
	    dupstr(&d->display_name, r->display_name) < 0 ||
	    dupstr(&d->organization, r->organization) < 0 ||
	    dupstr(&d->kim_version, r->kim_version) < 0 ||
	    dupstr(&d->app_tags, r->app_tags) < 0)
		goto fail;
	if (r->ncerts) {
		if ((d->certs = calloc(r->ncerts, sizeof(*d->certs))) == NULL)
			goto fail;
		for (i = 0; i < r->ncerts; i++) {
			if (dir_cert_copy(&d->certs[i], &r->certs[i]) < 0)
				goto fail;
			d->ncerts++;
		}
	}
	return d;
fail:
	dir_result_free(d);
	return NULL;
}
