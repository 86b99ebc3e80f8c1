/*
 * conf_int.h - the key table shared by conf.c and conf_table.c (private).
 */
#ifndef KIM_CONF_INT_H
#define KIM_CONF_INT_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"

enum conf_type {
	CT_STRING,	/* any text */
	CT_PATH,	/* absolute path */
	CT_BOOL,	/* yes/no/true/false/on/off/1/0 */
	CT_UINT,	/* unsigned, bounded */
	CT_DURATION,	/* number with s/m/h/d, stored as seconds */
	CT_MODE,	/* octal, e.g. 007 */
	CT_FACILITY,	/* syslog facility name */
	CT_LOGLEVEL,	/* error, warning, info, debug */
	CT_SOCKET,	/* inet:port@host, inet6:port@[addr], local:/path */
	CT_USER,	/* user[:group] */
	CT_LIST,	/* comma- or blank-separated list */
	CT_OBJECT,	/* repeating `Key name f=v ...` lines */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;		/* into struct conf */
	const char *def;	/* default as written in the file, NULL = unset */
	unsigned long min, max;	/* CT_UINT / CT_DURATION bounds */
	/* CT_OBJECT: parse one line; 0 or -1 with a reason in err */
	int (*object)(struct conf *, const char *value, int line,
	    struct buf *err);
	const char *help;
};

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;

/* conf_parse_value - parse value for key into c; -1 with reason in err */
int conf_parse_value(struct conf *c, const struct conf_key *k,
    const char *value, int line, struct buf *err);
/* conf_free_value - free what conf_parse_value stored for key */
void conf_free_value(struct conf *c, const struct conf_key *k);
/* conf_apply_object_defaults - default Listener lines when none were given */
int conf_apply_object_defaults(struct conf *c);

#endif
