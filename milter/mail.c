/*
 * mail.c - the client mail as the milter received it, and rendered back
 * into the bytes the client sent (see mail.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"

/* mail_add_header - keep one header */
void
mail_add_header(struct mail *m, const char *name, const char *value)
{
	struct mail_header *nh;

	m->size += strlen(name) + 1 + strlen(value) + 2;
	if (m->nomem)
		return;
	if (m->nhdrs == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 32;

		nh = realloc(m->hdrs, cap * sizeof(*nh));
		if (nh == NULL) {
			m->nomem = 1;
			return;
		}
		m->hdrs = nh;
		m->cap = cap;
	}
	nh = &m->hdrs[m->nhdrs];
	nh->name = strdup(name);
	nh->value = strdup(value);
	if (nh->name == NULL || nh->value == NULL) {
		free(nh->name);
		free(nh->value);
		m->nomem = 1;
		return;
	}
	m->nhdrs++;
}

/* mail_add_body - keep a body chunk (up to limit) */
void
mail_add_body(struct mail *m, const unsigned char *p, size_t len)
{
	m->size += len;
	if (m->nomem || m->overflow)
		return;
	if (m->limit && m->body.len + len > m->limit) {
		/* the message is refused as too large: keep no more of it */
		m->overflow = 1;
		buf_free(&m->body);
		return;
	}
	if (buf_append(&m->body, p, len) < 0) {
		m->nomem = 1;
		buf_free(&m->body);
	}
}

/* mail_clear - forget everything (limit kept) */
void
mail_clear(struct mail *m)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++) {
		free(m->hdrs[i].name);
		free(m->hdrs[i].value);
	}
	free(m->hdrs);
	m->hdrs = NULL;
	m->nhdrs = m->cap = 0;
	buf_free(&m->body);
	m->size = 0;
	m->overflow = m->nomem = 0;
}

/* mail_count - how many headers called name */
size_t
mail_count(const struct mail *m, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0)
			n++;
	return n;
}

/* mail_find - the value of the n-th header called name */
const char *
mail_find(const struct mail *m, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < m->nhdrs; i++)
		if (strcasecmp(m->hdrs[i].name, name) == 0 && n-- == 0)
			return m->hdrs[i].value;
	return NULL;
}

/* append_crlf - text with every bare LF turned into CRLF */
static int
append_crlf(struct buf *out, const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			if (buf_append(out, "\r", 1) < 0)
				return -1;
		if (buf_append(out, p, 1) < 0)
			return -1;
	}
	return 0;
}

/* dropped - is this header name in the drop list? */
static int
dropped(const struct mail_render_opts *o, const char *name)
{
	const char *const *d;

	if (o == NULL || o->drop == NULL)
		return 0;
	for (d = o->drop; *d; d++)
		if (strcasecmp(*d, name) == 0)
			return 1;
	return 0;
}

/* mail_from_value - the From value with its address replaced */
int
mail_from_value(const char *value, const char *addr, struct buf *out)
{
	const char *lt = strchr(value, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;

	if (lt == NULL || gt == NULL)
		return buf_printf(out, " %s", addr);
	if (buf_append(out, value, (size_t)(lt - value) + 1) < 0 ||
	    buf_puts(out, addr) < 0 || buf_puts(out, gt) < 0)
		return -1;
	return 0;
}

/* mail_render - the client mail, with the changes of opts */
int
mail_render(const struct mail *m, const struct mail_render_opts *opts,
    struct buf *out)
{
	struct buf v = BUF_INIT;
	size_t i;
	int from_seen = 0, rc = -1;

	if (m->nomem || m->overflow)
		return -1;
	if (buf_reserve(out, m->size + 256) < 0)
		return -1;
	for (i = 0; i < m->nhdrs; i++) {
		const struct mail_header *h = &m->hdrs[i];
		const char *value = h->value;

		if (dropped(opts, h->name))
			continue;
		if (opts && opts->from && strcasecmp(h->name, "From") == 0) {
			buf_reset(&v);
			if (mail_from_value(h->value, opts->from, &v) < 0)
				goto out;
			value = buf_str(&v);
			from_seen = 1;
		}
		if (buf_puts(out, h->name) < 0 || buf_puts(out, ":") < 0 ||
		    append_crlf(out, value) < 0 || buf_puts(out, "\r\n") < 0)
			goto out;
	}
	if (opts && opts->from && !from_seen &&
	    buf_printf(out, "From: %s\r\n", opts->from) < 0)
		goto out;
	if (buf_puts(out, "\r\n") < 0 ||
	    buf_append(out, m->body.data, m->body.len) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&v);
	return rc;
}
