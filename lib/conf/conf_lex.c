/*
 * conf_lex.c - the lexical layer shared by kim-milter.conf and policy files:
 * `Key value` lines and `name field=value ...` object values.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

#define CONF_LINE_MAX 4096

/* conf_lex_file - call fn for every `Key value` line of a file */
int
conf_lex_file(const char *path,
    int (*fn)(const char *key, const char *value, int line, void *arg),
    void *arg, struct buf *diag)
{
	FILE *fp;
	char line[CONF_LINE_MAX + 2];
	int lineno = 0, problems = 0;

	fp = fopen(path, "r");
	if (fp == NULL) {
		(void)buf_printf(diag, "%s: cannot open: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *key, *val, *end;
		size_t len = strlen(line);

		lineno++;
		if (len > CONF_LINE_MAX && line[len - 1] != '\n') {
			int ch;

			(void)buf_printf(diag, "%s:%d: line longer than %d bytes\n",
			    path, lineno, CONF_LINE_MAX);
			problems++;
			while ((ch = fgetc(fp)) != EOF && ch != '\n')
				;
			continue;
		}
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		/* a '#' starts a comment unless inside double quotes */
		{
			int q = 0;
			char *p;

			for (p = line; *p; p++) {
				if (*p == '"')
					q = !q;
				else if (*p == '#' && !q) {
					*p = 0;
					break;
				}
			}
		}
		key = line;
		while (isspace((unsigned char)*key))
			key++;
		if (*key == 0)
			continue;
		val = key;
		while (*val && !isspace((unsigned char)*val))
			val++;
		if (*val)
			*val++ = 0;
		while (isspace((unsigned char)*val))
			val++;
		end = val + strlen(val);
		while (end > val && isspace((unsigned char)end[-1]))
			*--end = 0;
		{
			const unsigned char *p;

			for (p = (const unsigned char *)line; p < (const unsigned char *)end; p++)
				if (*p && (*p < 0x20 && *p != '\t')) {
					(void)buf_printf(diag,
					    "%s:%d: control character in line\n",
					    path, lineno);
					problems++;
					goto next;
				}
		}
		if (*val == 0) {
			(void)buf_printf(diag, "%s:%d: key \"%s\" has no value\n",
			    path, lineno, key);
			problems++;
			continue;
		}
		problems += fn(key, val, lineno, arg);
next:;
	}
	if (ferror(fp)) {
		(void)buf_printf(diag, "%s: read error: %s\n", path,
		    strerror(errno));
		problems++;
	}
	fclose(fp);
	return problems;
}

/* conf_fields_free - free what conf_split_fields made */
void
conf_fields_free(struct conf_field *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(fields[i].key);
		free(fields[i].value);
	}
	free(fields);
}

/* lex_word - take one word (quoted or bare) from *pp into a new string */
static char *
lex_word(const char **pp, int stop_at_eq, struct buf *err)
{
	const char *p = *pp;
	struct buf w = BUF_INIT;

	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (buf_append(&w, p, 1) < 0)
				goto oom;
			p++;
		}
		if (*p != '"') {
			(void)buf_puts(err, "unterminated quoted string");
			buf_free(&w);
			return NULL;
		}
		p++;
	} else {
		while (*p && !isspace((unsigned char)*p) &&
		    !(stop_at_eq && *p == '=')) {
			if (*p == '"') {
				(void)buf_puts(err, "quote inside a word");
				buf_free(&w);
				return NULL;
			}
			if (buf_append(&w, p, 1) < 0)
				goto oom;
			p++;
		}
	}
	if (buf_append(&w, "", 0) < 0)
		goto oom;
	*pp = p;
	return (char *)w.data;
oom:
	(void)buf_puts(err, "out of memory");
	buf_free(&w);
	return NULL;
}

/* conf_split_fields - `name f=v f="v w"` into name and fields */
int
conf_split_fields(const char *text, char **name, struct conf_field **fields,
    size_t *nfields, struct buf *err)
{
	const char *p = text;
	struct conf_field *f = NULL;
	size_t n = 0, i;
	char *nm = NULL;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == 0 || *p == '=') {
		(void)buf_puts(err, "missing object name");
		goto fail;
	}
	if ((nm = lex_word(&p, 1, err)) == NULL)
		goto fail;
	if (*p == '=') {
		(void)buf_printf(err, "missing object name before \"%s=\"", nm);
		goto fail;
	}
	for (;;) {
		struct conf_field *nf;
		char *k, *v;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == 0)
			break;
		if ((k = lex_word(&p, 1, err)) == NULL)
			goto fail;
		if (*p != '=' || *k == 0) {
			(void)buf_printf(err,
			    "expected field=value, found \"%s\"", k);
			free(k);
			goto fail;
		}
		p++;
		if ((v = lex_word(&p, 0, err)) == NULL) {
			free(k);
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (strcasecmp(f[i].key, k) == 0) {
				(void)buf_printf(err, "field \"%s\" given twice",
				    k);
				free(k);
				free(v);
				goto fail;
			}
		nf = realloc(f, (n + 1) * sizeof(*f));
		if (nf == NULL) {
			free(k);
			free(v);
			(void)buf_puts(err, "out of memory");
			goto fail;
		}
		f = nf;
		for (i = 0; k[i]; i++)
			k[i] = (char)tolower((unsigned char)k[i]);
		f[n].key = k;
		f[n].value = v;
		n++;
	}
	*name = nm;
	*fields = f;
	*nfields = n;
	return 0;
fail:
	free(nm);
	conf_fields_free(f, n);
	return -1;
}
