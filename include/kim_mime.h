/*
 * kim_mime - the little MIME the codec needs: header blocks (RFC 5322
 * fields with folding), base64 in 76-character CRLF lines, line endings,
 * dates. Byte-oriented: 8-bit header bytes pass through, nothing is
 * decoded (RFC 2047 words are compared as they are).
 *
 * Ownership: pointers returned in struct kim_mime_field point into the
 * caller's message; buffers are caller-owned.
 */
#ifndef KIM_KIM_MIME_H
#define KIM_KIM_MIME_H

#include <stddef.h>
#include <time.h>

#include "buf.h"

/* one header field: name and the whole field including folds and line end */
struct kim_mime_field {
	const unsigned char *name;
	size_t namelen;
	const unsigned char *value;	/* after the colon, folds included */
	size_t valuelen;		/* without the final line end */
	const unsigned char *field;	/* start of the field */
	size_t fieldlen;		/* including the final line end */
};

/*
 * kim_mime_split - length of the header block (up to and including the
 * line end of the last field) and offset of the body (after the blank
 * line); without a blank line everything is header and the body is empty.
 */
void kim_mime_split(const unsigned char *msg, size_t len, size_t *hdrlen,
    size_t *bodyoff);

/* kim_mime_next - the next field at *pos of a header block; 0 at the end */
int kim_mime_next(const unsigned char *hdr, size_t hlen, size_t *pos,
    struct kim_mime_field *f);

/* kim_mime_is - does the field have this name (case-insensitive)? */
int kim_mime_is(const struct kim_mime_field *f, const char *name);

/*
 * kim_mime_get - the first field of this name, unfolded, runs of white
 * space collapsed to one blank, trimmed, into value (reset first).
 * Returns the number of such fields (0: absent).
 */
int kim_mime_get(const unsigned char *hdr, size_t hlen, const char *name,
    struct buf *value);

/* kim_mime_normalize - unfold and collapse white space of a value */
int kim_mime_normalize(const unsigned char *v, size_t len, struct buf *out);

/*
 * kim_mime_param - parameter of a structured value such as Content-Type
 * ("smime-type"), unquoted, into out; the bare type goes into out when
 * param is NULL. Lower-cased. Returns 1 when found.
 */
int kim_mime_param(const char *value, const char *param, struct buf *out);

/* kim_mime_addr - the address of a From-like value (inside <> or bare) */
int kim_mime_addr(const char *value, struct buf *out);

/* kim_mime_b64_encode - base64 in lines of 76 characters ending CRLF */
int kim_mime_b64_encode(const unsigned char *in, size_t len, struct buf *out)
    __attribute__((warn_unused_result));

/*
 * kim_mime_b64_decode - decode base64, ignoring line ends and blanks;
 * other characters, bad padding and truncation are errors with a reason.
 */
int kim_mime_b64_decode(const unsigned char *in, size_t len, struct buf *out,
    struct buf *why) __attribute__((warn_unused_result));

/* kim_mime_crlf - append in with every bare LF turned into CRLF */
int kim_mime_crlf(const unsigned char *in, size_t len, struct buf *out)
    __attribute__((warn_unused_result));

/* kim_mime_date - RFC 5322 date-time of t in UTC */
int kim_mime_date(time_t t, struct buf *out);

#endif
