/*
 * kim_mime.c - header blocks, base64, line endings (see kim_mime.h).
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "kim_mime.h"

/* line_end - offset just after the line that starts at i */
static size_t
line_end(const unsigned char *s, size_t len, size_t i)
{
	const unsigned char *nl;

	nl = memchr(s + i, '\n', len - i);
	return nl ? (size_t)(nl - s) + 1 : len;
}

/* kim_mime_split - find the blank line that ends the header */
void
kim_mime_split(const unsigned char *msg, size_t len, size_t *hdrlen,
    size_t *bodyoff)
{
	size_t i = 0, e;

	while (i < len) {
		e = line_end(msg, len, i);
		if ((e - i == 1 && msg[i] == '\n') ||
		    (e - i == 2 && msg[i] == '\r' && msg[i + 1] == '\n')) {
			*hdrlen = i;
			*bodyoff = e;
			return;
		}
		i = e;
	}
	*hdrlen = len;
	*bodyoff = len;
}

/* kim_mime_next - one field with its continuation lines */
int
kim_mime_next(const unsigned char *hdr, size_t hlen, size_t *pos,
    struct kim_mime_field *f)
{
	size_t i = *pos, e, colon;
	const unsigned char *c;

	for (;;) {
		if (i >= hlen)
			return 0;
		e = line_end(hdr, hlen, i);
		/* stray continuation or a line without a colon: skip it */
		c = memchr(hdr + i, ':', e - i);
		if (hdr[i] != ' ' && hdr[i] != '\t' && c != NULL)
			break;
		i = e;
	}
	colon = c - hdr;
	f->field = hdr + i;
	f->name = hdr + i;
	f->namelen = colon - i;
	while (f->namelen && (f->name[f->namelen - 1] == ' ' ||
	    f->name[f->namelen - 1] == '\t'))
		f->namelen--;
	while (e < hlen && (hdr[e] == ' ' || hdr[e] == '\t'))
		e = line_end(hdr, hlen, e);
	f->fieldlen = e - i;
	f->value = hdr + colon + 1;
	f->valuelen = e - colon - 1;
	while (f->valuelen && (f->value[f->valuelen - 1] == '\n' ||
	    f->value[f->valuelen - 1] == '\r'))
		f->valuelen--;
	*pos = e;
	return 1;
}

/* kim_mime_is - compare a field name */
int
kim_mime_is(const struct kim_mime_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->namelen == n && strncasecmp((const char *)f->name, name,
	    n) == 0;
}

/* kim_mime_normalize - unfold, collapse blanks, trim */
int
kim_mime_normalize(const unsigned char *v, size_t len, struct buf *out)
{
	size_t i;
	int blank = 0;
	unsigned char c;

	buf_reset(out);
	if (buf_reserve(out, len) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = v[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			blank = 1;
			continue;
		}
		if (blank && out->len)
			out->data[out->len++] = ' ';
		blank = 0;
		out->data[out->len++] = c;
	}
	out->data[out->len] = 0;
	return 0;
}

/* kim_mime_get - first field of a name, normalized */
int
kim_mime_get(const unsigned char *hdr, size_t hlen, const char *name,
    struct buf *value)
{
	struct kim_mime_field f;
	size_t pos = 0;
	int n = 0;

	buf_reset(value);
	while (kim_mime_next(hdr, hlen, &pos, &f)) {
		if (!kim_mime_is(&f, name))
			continue;
		if (n++ == 0 && kim_mime_normalize(f.value, f.valuelen,
		    value) < 0)
			return -1;
	}
	return n;
}

/* kim_mime_param - a parameter (or the type) of a structured value */
int
kim_mime_param(const char *value, const char *param, struct buf *out)
{
	const char *p = value, *s;
	size_t n;

	buf_reset(out);
	while (*p == ' ')
		p++;
	s = p;
	while (*p && *p != ';' && *p != ' ')
		p++;
	if (param == NULL) {
		for (; s < p; s++)
			buf_printf(out, "%c", tolower((unsigned char)*s));
		return 1;
	}
	n = strlen(param);
	while (*p) {
		while (*p == ';' || *p == ' ')
			p++;
		s = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		if (*p != '=')
			continue;
		if ((size_t)(p - s) == n && strncasecmp(s, param, n) == 0) {
			p++;
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++)
					buf_printf(out, "%c",
					    tolower((unsigned char)*p));
			} else {
				for (; *p && *p != ';' && *p != ' '; p++)
					buf_printf(out, "%c",
					    tolower((unsigned char)*p));
			}
			return 1;
		}
		while (*p && *p != ';') {
			if (*p == '"')
				for (p++; *p && *p != '"'; p++)
					;
			if (*p)
				p++;
		}
	}
	return 0;
}

/* kim_mime_addr - the address part of a mailbox */
int
kim_mime_addr(const char *value, struct buf *out)
{
	const char *lt, *gt;

	buf_reset(out);
	lt = strrchr(value, '<');
	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return buf_append(out, lt + 1, gt - lt - 1);
	return buf_puts(out, value);
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* kim_mime_b64_encode - 76-character lines, CRLF */
int
kim_mime_b64_encode(const unsigned char *in, size_t len, struct buf *out)
{
	size_t i, groups, need, col = 0;
	unsigned char *o;
	unsigned long v;

	groups = (len + 2) / 3;
	need = groups * 4 + (groups * 4 / 76 + 1) * 2;
	if (buf_reserve(out, need) < 0)
		return -1;
	o = out->data + out->len;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)in[i] << 16 | in[i + 1] << 8 | in[i + 2];
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = b64chars[v & 63];
		if ((col += 4) == 76) {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
		}
	}
	if (i < len) {
		v = (unsigned long)in[i] << 16;
		if (i + 1 < len)
			v |= in[i + 1] << 8;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		*o++ = '=';
		col += 4;
	}
	if (col) {
		*o++ = '\r';
		*o++ = '\n';
	}
	out->len = o - out->data;
	out->data[out->len] = 0;
	return 0;
}

/* kim_mime_b64_decode - strict alphabet, blanks and line ends skipped */
int
kim_mime_b64_decode(const unsigned char *in, size_t len, struct buf *out,
    struct buf *why)
{
	static signed char map[256];
	static const signed char *m;
	size_t i, n = 0, pad = 0;
	unsigned long v = 0;
	unsigned char *o;
	int c;

	if (m == NULL) {	/* idempotent: racing threads write equal values */
		memset(map, -1, sizeof(map));
		for (i = 0; i < 64; i++)
			map[(unsigned char)b64chars[i]] = (signed char)i;
		m = map;
	}
	if (buf_reserve(out, len / 4 * 3 + 3) < 0)
		return -1;
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || m[c] < 0) {
			buf_printf(why, "base64 body: %s at byte %zu",
			    pad ? "data after padding" : "invalid character",
			    i);
			return -1;
		}
		v = v << 6 | (unsigned long)m[c];
		if (++n == 4) {
			*o++ = v >> 16;
			*o++ = v >> 8;
			*o++ = v;
			n = 0;
			v = 0;
		}
	}
	if (n == 1 || (n == 0 && pad) || (n && n + pad != 4)) {
		buf_printf(why, "base64 body truncated or badly padded");
		return -1;
	}
	if (n == 2) {
		*o++ = v >> 4;
	} else if (n == 3) {
		*o++ = v >> 10;
		*o++ = v >> 2;
	}
	out->len = o - out->data;
	out->data[out->len] = 0;
	return 0;
}

/* kim_mime_crlf - bare LF becomes CRLF; CR and everything else untouched */
int
kim_mime_crlf(const unsigned char *in, size_t len, struct buf *out)
{
	size_t i, extra = 0;
	unsigned char *o;

	for (i = 0; i < len; i++)
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			extra++;
	if (buf_reserve(out, len + extra) < 0)
		return -1;
	o = out->data + out->len;
	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			*o++ = '\r';
		*o++ = in[i];
	}
	out->len = o - out->data;
	out->data[out->len] = 0;
	return 0;
}

/* kim_mime_date - "Sat, 20 Jun 2020 10:58:26 +0000" */
int
kim_mime_date(time_t t, struct buf *out)
{
	static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat"};
	static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	return buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}
