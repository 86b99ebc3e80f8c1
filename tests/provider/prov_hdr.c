/*
 * prov_hdr.c - the From header check of the provider stand-in: find the
 * message's From header (possibly folded) and the one address in it
 * (`Name <addr>`, `<addr>` or a bare `addr`, comments and quoted display
 * names skipped). The provider compares it with the AUTH user.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "prov.h"

#define VALUE_MAX	8192

/* skip_quoted - past the quoted string that starts at P ("..."), or NULL */
static const char *
skip_quoted(const char *p)
{
	for (p++; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* skip_comment - past the comment that starts at P ((...), nested) */
static const char *
skip_comment(const char *p)
{
	int depth = 0;

	for (; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return NULL;
}

/* one_address - the one address of a From value into OUT; 0 or -3 */
static int
one_address(const char *v, char *out, size_t outlen)
{
	char bare[VALUE_MAX];
	const char *p, *lt = NULL, *gt = NULL;
	size_t n = 0;

	/* an angle address outside quotes and comments wins */
	for (p = v; p && *p; ) {
		if (*p == '"')
			p = skip_quoted(p);
		else if (*p == '(')
			p = skip_comment(p);
		else if (*p == '<' && lt == NULL) {
			lt = p;
			if ((gt = strchr(p, '>')) == NULL)
				return -3;
			p = gt + 1;
		} else if (*p == ',' || *p == '<')
			return -3;	/* a second mailbox */
		else
			p++;
	}
	if (p == NULL)
		return -3;		/* unterminated quote or comment */
	if (lt != NULL) {
		if ((size_t)(gt - lt - 1) >= outlen || gt == lt + 1)
			return -3;
		memcpy(out, lt + 1, gt - lt - 1);
		out[gt - lt - 1] = 0;
		return 0;
	}
	/* a bare address: drop comments and the whitespace around it */
	for (p = v; *p; ) {
		if (*p == '(') {
			p = skip_comment(p);
		} else if (*p == ' ' || *p == '\t') {
			if (n > 0 && p[strspn(p, " \t")] != 0 &&
			    p[strspn(p, " \t")] != '(')
				return -3;	/* words, no address */
			p++;
		} else
			bare[n++] = *p++;
	}
	bare[n] = 0;
	if (n == 0 || n >= outlen || strchr(bare, '@') == NULL)
		return -3;
	memcpy(out, bare, n + 1);
	return 0;
}

/*
 * prov_from_address - the address of the message's one From header into
 * OUT; 0, -1 without From header, -2 with more than one, -3 when it holds
 * not exactly one address
 */
int
prov_from_address(const char *data, size_t len, char *out, size_t outlen)
{
	char value[VALUE_MAX];
	const char *line, *end, *p, *eol;
	size_t vlen = 0, n;
	int count = 0, in_from = 0, toolong = 0;

	for (line = data, end = data + len; line < end; line = eol) {
		if ((eol = memchr(line, '\n', end - line)) == NULL)
			eol = end;
		else
			eol++;
		n = eol - line;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			break;			/* end of the header section */
		if (line[0] == ' ' || line[0] == '\t') {
			if (!in_from)
				continue;	/* folded other header */
			p = line;
		} else {
			in_from = 0;
			if (n < 5 || strncasecmp(line, "From", 4) != 0)
				continue;
			for (p = line + 4; p < line + n &&
			    (*p == ' ' || *p == '\t'); p++)
				;
			if (p == line + n || *p != ':')
				continue;
			p++;
			in_from = 1;
			count++;
		}
		if (count == 1) {
			if (vlen + (size_t)(line + n - p) + 1 > sizeof(value))
				toolong = 1;
			else {
				/* unfolding: drop the line end, keep WSP */
				memcpy(value + vlen, p, line + n - p);
				vlen += line + n - p;
			}
		}
	}
	if (count == 0)
		return -1;
	if (count > 1)
		return -2;
	if (toolong || memchr(value, 0, vlen) != NULL)
		return -3;
	value[vlen] = 0;
	return one_address(value, out, outlen);
}
