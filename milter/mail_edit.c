/*
 * mail_edit.c - turn the message the MTA holds into another one through
 * the smfi wrapper: header deletes, header additions, the new body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"
#include "milter.h"

struct hpos {
	const char *name;
	size_t pos;
};

/* by_name - order header positions by name, then position */
static int
by_name(const void *a, const void *b)
{
	const struct hpos *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * name_indices - for every header its 1-based index among the headers of
 * its name (what smfi_chgheader counts), in O(n log n): a message may
 * carry very many headers. NULL when memory runs out.
 */
static int *
name_indices(const struct mail *m)
{
	struct hpos *order;
	size_t i;
	int *idx;

	order = calloc(m->nhdrs + 1, sizeof(*order));
	idx = calloc(m->nhdrs + 1, sizeof(*idx));
	if (order == NULL || idx == NULL) {
		free(order);
		free(idx);
		return NULL;
	}
	for (i = 0; i < m->nhdrs; i++) {
		order[i].name = m->hdrs[i].name;
		order[i].pos = i;
	}
	qsort(order, m->nhdrs, sizeof(*order), by_name);
	for (i = 0; i < m->nhdrs; i++)
		idx[order[i].pos] = i > 0 && strcasecmp(order[i].name,
		    order[i - 1].name) == 0 ? idx[order[i - 1].pos] + 1 : 1;
	free(order);
	return idx;
}

/* body_offset - the end of the header block: offset of the body, or 0 */
static size_t
body_offset(const unsigned char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (msg[i] != '\n')
			continue;
		if (i + 1 < len && msg[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && msg[i + 1] == '\r' && msg[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * add_headers - append the headers of msg's header block [0, end): name up
 * to the colon, value after it with CRLF folds as LF and the final line
 * break taken off.
 */
static int
add_headers(struct mio *io, const unsigned char *msg, size_t end)
{
	struct buf name = BUF_INIT, value = BUF_INIT;
	size_t i = 0, j;
	int rc = -2;

	while (i < end) {
		const unsigned char *colon;
		size_t stop;

		if (msg[i] == '\r' || msg[i] == '\n')
			break;			/* the empty line */
		colon = memchr(msg + i, ':', end - i);
		if (colon == NULL || memchr(msg + i, '\n',
		    (size_t)(colon - (msg + i))) != NULL)
			goto out;		/* a line without a colon */
		/* the header ends at a line break not followed by WSP */
		for (stop = (size_t)(colon - msg); stop < end; stop++)
			if (msg[stop] == '\n' && (stop + 1 >= end ||
			    (msg[stop + 1] != ' ' && msg[stop + 1] != '\t')))
				break;
		buf_reset(&name);
		buf_reset(&value);
		if (buf_append(&name, msg + i, (size_t)(colon - (msg + i))) < 0)
			goto nomem;
		for (j = (size_t)(colon - msg) + 1; j < stop; j++) {
			if (msg[j] == '\r' && j + 1 < end && msg[j + 1] == '\n')
				continue;
			if (buf_append(&value, msg + j, 1) < 0)
				goto nomem;
		}
		if (name.len == 0)
			goto out;
		if (mio_addheader(io, buf_str(&name), buf_str(&value)) < 0) {
			rc = -1;
			goto out;
		}
		i = stop + 1;
	}
	rc = 0;
	goto out;
nomem:
	rc = -1;
out:
	buf_free(&name);
	buf_free(&value);
	return rc;
}

/* mail_replace - make the MTA's message into msg */
int
mail_replace(struct mio *io, const struct mail *m,
    int (*keep)(const char *name), const struct mail_header *extra,
    size_t nextra, const unsigned char *msg, size_t len)
{
	size_t off = body_offset(msg, len), i;
	int *idx, rc;

	if (off == 0)
		return -2;
	if ((idx = name_indices(m)) == NULL)
		return -1;
	/* from the last header up: an index never shifts before its use */
	for (i = m->nhdrs; i-- > 0; ) {
		if (keep && keep(m->hdrs[i].name))
			continue;
		if (mio_delheader(io, m->hdrs[i].name, idx[i]) < 0) {
			free(idx);
			return -1;
		}
	}
	free(idx);
	if ((rc = add_headers(io, msg, off)) < 0)
		return rc;
	for (i = 0; i < nextra; i++)
		if (mio_addheader(io, extra[i].name, extra[i].value) < 0)
			return -1;
	if (mio_replacebody(io, msg + off, len - off) < 0)
		return -1;
	return 0;
}
