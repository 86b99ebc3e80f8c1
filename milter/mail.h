/*
 * mail.h - the message as the milter sees it at the gate and inbound: its
 * headers as libmilter hands them over (with SMFIP_HDR_LEADSPC: the value
 * keeps everything after the colon, leading space included, and folded
 * lines are joined by a bare LF) and its body (CRLF lines, as Postfix
 * sends it).
 *
 * mail_render gives back the message the client sent, byte for byte: each
 * header as name ":" value with every bare LF turned into CRLF, an empty
 * line, the body. Only the changes asked for are made (the From address,
 * headers left out by name).
 *
 * The body is kept up to a limit; beyond it only the size is counted and
 * mail_overflow says so (the message is then refused as too large, and no
 * memory is spent on it).
 *
 * Ownership: a struct mail is embedded (MAIL_INIT) and emptied with
 * mail_clear; header strings are owned by it.
 */
#ifndef KIM_MILTER_MAIL_H
#define KIM_MILTER_MAIL_H

#include <stddef.h>

#include "buf.h"

struct mail_header {
	char *name;
	char *value;	/* as received: leading space, bare LF folds */
};

struct mail {
	struct mail_header *hdrs;
	size_t nhdrs, cap;
	struct buf body;
	size_t size;		/* header and body bytes of the client mail */
	size_t limit;		/* body bytes kept at most; 0: no limit */
	int overflow;		/* the body went past limit */
	int nomem;		/* memory ran out: the message is unusable */
};

#define MAIL_INIT { NULL, 0, 0, BUF_INIT, 0, 0, 0, 0 }

/* mail_add_header - keep one header */
void mail_add_header(struct mail *m, const char *name, const char *value);
/* mail_add_body - keep a body chunk (up to limit) */
void mail_add_body(struct mail *m, const unsigned char *p, size_t len);
/* mail_clear - forget everything (limit kept) */
void mail_clear(struct mail *m);

/* mail_count - how many headers called name */
size_t mail_count(const struct mail *m, const char *name);
/* mail_find - the value of the n-th (0-based) header called name, or NULL */
const char *mail_find(const struct mail *m, const char *name, size_t n);

/* what mail_render changes */
struct mail_render_opts {
	const char *from;	/* new address in the From header, or NULL */
	const char *const *drop; /* header names left out, NULL-terminated */
};

/*
 * mail_render - append the client mail (CRLF lines) to out, with the
 * changes of opts (may be NULL). 0, or -1 when memory runs out.
 */
int mail_render(const struct mail *m, const struct mail_render_opts *opts,
    struct buf *out);

/*
 * mail_from_value - the From header value with its address replaced by
 * addr: the addr-spec inside <...> when there is one (display name kept),
 * else the whole value. Appended to out; -1 when memory runs out.
 */
int mail_from_value(const char *value, const char *addr, struct buf *out);

/*
 * mail_replace - make the message the MTA holds into msg (a whole message,
 * CRLF or LF lines): every header of m whose name keep() does not accept is
 * deleted (repeated names from the highest index down, since the indices
 * of a name shift after each delete), the headers of msg are appended in
 * their order (folds as LF, as libmilter wants them), and the body becomes
 * msg's body, in one run with nothing sent in between. keep may be NULL
 * (delete every header). The nextra headers of extra are added after
 * those of msg (values as sent: leading space included). Returns 0, -1 when the MTA refused an edit, -2
 * when msg has a malformed header block. Call it after all other work of
 * the end of message: Postfix fails a message when anything (progress
 * included) comes between body replacement chunks.
 */
struct mio;
int mail_replace(struct mio *io, const struct mail *m,
    int (*keep)(const char *name), const struct mail_header *extra,
    size_t nextra, const unsigned char *msg, size_t len);

#endif
