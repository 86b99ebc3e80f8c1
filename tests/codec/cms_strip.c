/*
 * cms_strip.c - test helper: read a DER AuthEnvelopedData ContentInfo on
 * stdin, write it without unauthAttrs ([2], the last element) on stdout.
 * With --body: write what follows the first blank line (CRLF CRLF) of a
 * MIME entity, i.e. the DER of the binary signed-data entity.
 *
 * Why: OpenSSL 3.0's CMS template tags authAttrs/unauthAttrs [2]/[3]
 * instead of RFC 5083's [1]/[2] (openssl/openssl#26101, fixed in 2026 by
 * #31695), so `openssl cms` cannot read any AuthEnvelopedData with
 * unauthAttrs, gematik's sample included. unauthAttrs are outside the GCM
 * tag, so dropping them leaves decryption and the inner signature intact.
 * A generic DER walk, independent of the codec's templates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

/* hdr - parse one header; returns the header length, -1 on error */
static long
hdr(const unsigned char *p, long max, long *len, int *tag, int *cls)
{
	const unsigned char *q = p;
	int r = ASN1_get_object(&q, len, tag, cls, max);

	if ((r & 0x80) || r == 0x21)
		return -1;
	return q - p;
}

/* put - write a constructed header of class/tag and length */
static void
put(FILE *fp, int tag, int cls, long len)
{
	unsigned char b[16], *p = b;

	ASN1_put_object(&p, 1, len, tag, cls);
	fwrite(b, 1, (size_t)(p - b), fp);
}

int
main(int argc, char **argv)
{
	static unsigned char in[64 << 20];
	size_t n = fread(in, 1, sizeof(in), stdin), i;
	long h0, h1, h2, hoid, len0, len1, len2, lenoid, off, last = -1, drop = 0;
	long l, hh;
	int tag, cls, t0, c0, t1, c1, t2, c2;

	if (argc > 1 && strcmp(argv[1], "--body") == 0) {
		for (i = 0; i + 4 <= n; i++)
			if (memcmp(in + i, "\r\n\r\n", 4) == 0) {
				fwrite(in + i + 4, 1, n - i - 4, stdout);
				return 0;
			}
		return 1;
	}
	h0 = hdr(in, (long)n, &len0, &t0, &c0);
	if (h0 < 0)
		return 1;
	hoid = hdr(in + h0, len0, &lenoid, &tag, &cls);
	if (hoid < 0)
		return 1;
	off = h0 + hoid + lenoid;
	h1 = hdr(in + off, (long)n - off, &len1, &t1, &c1);
	if (h1 < 0)
		return 1;
	h2 = hdr(in + off + h1, len1, &len2, &t2, &c2);
	if (h2 < 0)
		return 1;
	/* walk the AuthEnvelopedData's elements to the last one */
	for (l = off + h1 + h2; l < off + h1 + h2 + len2; l += hh + len0) {
		last = l;
		hh = hdr(in + l, (long)n - l, &len0, &tag, &cls);
		if (hh < 0)
			return 1;
		drop = hh + len0;
	}
	if (last < 0)
		return 1;
	hh = hdr(in + last, (long)n - last, &len0, &tag, &cls);
	if (hh < 0 || cls != V_ASN1_CONTEXT_SPECIFIC || tag != 2) {
		fwrite(in, 1, n, stdout);	/* nothing to strip */
		return 0;
	}
	len2 -= drop;
	len1 = ASN1_object_size(1, len2, V_ASN1_SEQUENCE);
	put(stdout, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL,
	    hoid + lenoid + ASN1_object_size(1, len1, 0));
	fwrite(in + h0, 1, (size_t)(hoid + lenoid), stdout);
	put(stdout, 0, V_ASN1_CONTEXT_SPECIFIC, len1);
	put(stdout, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, len2);
	fwrite(in + off + h1 + h2, 1, (size_t)len2, stdout);
	return 0;
}
