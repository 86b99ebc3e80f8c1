/*
 * buf - growable byte buffer (instead of strcat).
 *
 * A struct buf is owned by whoever declares it; buf_free releases its memory
 * and buf_wipe also overwrites it first (for secrets). The data is always
 * NUL-terminated after a successful call, so text buffers can be used as C
 * strings. Functions return 0, or -1 when memory runs out (the buffer is
 * then unchanged).
 */
#ifndef KIM_BUF_H
#define KIM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

int buf_reserve(struct buf *b, size_t extra) __attribute__((warn_unused_result));
int buf_append(struct buf *b, const void *data, size_t len)
    __attribute__((warn_unused_result));
/* text appenders: a failure leaves the text short; check it where it matters */
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_reset - empty the buffer, keep its memory */
void buf_reset(struct buf *b);
/* buf_free - release the memory; accepts an empty buffer */
void buf_free(struct buf *b);
/* buf_wipe - cleanse, then release */
void buf_wipe(struct buf *b);
/* buf_str - the contents as a C string ("" when empty) */
const char *buf_str(const struct buf *b);

#endif
