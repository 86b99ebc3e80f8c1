/*
 * dir_entry.c - the text form of a cache entry and its MAC (layout in
 * include/dir_cache.h). Whatever Redis hands back is untrusted until the
 * MAC over the whole entry verifies; the address inside must be the one
 * asked for, so an entry cannot be copied to another key.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dir_int.h"

#define ENTRY_MAGIC "kim-dir-entry 1\n"

/* mac_hex - HMAC-SHA256 of data as hex (65 bytes) */
static int
mac_hex(const struct buf *key, const unsigned char *data, size_t len,
    char *out)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	if (HMAC(EVP_sha256(), key->data, (int)key->len, data, len, md,
	    &mdlen) == NULL || mdlen != 32)
		return -1;
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = 0;
	return 0;
}

/* put_field - "name value\n" when value is set */
static int
put_field(struct buf *b, const char *name, const char *value)
{
	if (value == NULL)
		return 0;
	return buf_printf(b, "%s %s\n", name, value);
}

/* dir_entry_encode - the entry text with its MAC line */
int
dir_entry_encode(const struct dir_result *r, const struct buf *key,
    struct buf *out)
{
	char mac[65];
	size_t i;
	int rc = 0;

	buf_reset(out);
	rc |= buf_puts(out, ENTRY_MAGIC);
	rc |= put_field(out, "address", r->address);
	rc |= put_field(out, "status",
	    r->status == DIR_NOT_FOUND ? "notfound" : "found");
	rc |= buf_printf(out, "fetched %lld\n", (long long)r->fetched_at);
	rc |= put_field(out, "telematikID", r->telematik_id);
	rc |= put_field(out, "displayName", r->display_name);
	rc |= put_field(out, "organization", r->organization);
	rc |= put_field(out, "kimVersion", r->kim_version);
	rc |= put_field(out, "appTags", r->app_tags);
	for (i = 0; rc == 0 && i < r->ncerts; i++) {
		size_t n = 4 * ((r->certs[i].der_len + 2) / 3);

		rc |= buf_printf(out, "cert %s ",
		    dir_cert_reason_code(r->certs[i].static_reason));
		if (rc || buf_reserve(out, n + 2) < 0)
			return -1;
		EVP_EncodeBlock(out->data + out->len, r->certs[i].der,
		    (int)r->certs[i].der_len);
		out->len += n;
		out->data[out->len] = 0;
		rc |= buf_puts(out, "\n");
	}
	if (rc || mac_hex(key, out->data, out->len, mac) < 0)
		return -1;
	return buf_printf(out, "mac %s\n", mac);
}

/* unb64 - decode base64 (no line breaks) into a malloc'd buffer */
static unsigned char *
unb64(const char *s, size_t len, size_t *outlen)
{
	unsigned char *p;
	int n;

	if (len == 0 || len % 4 != 0 || len > 1 << 20)
		return NULL;
	if ((p = malloc(len / 4 * 3 + 1)) == NULL)
		return NULL;
	n = EVP_DecodeBlock(p, (const unsigned char *)s, (int)len);
	if (n < 0) {
		free(p);
		return NULL;
	}
	if (s[len - 1] == '=')
		n--;
	if (s[len - 2] == '=')
		n--;
	*outlen = (size_t)n;
	return p;
}

/* take_line - one "name value" line into r; -1 bad, -2 ENOMEM */
static int
take_line(struct dir_result *r, const char *name, size_t nlen,
    const char *val, size_t vlen, struct dir_certcache *cc)
{
#define IS(s) (nlen == sizeof(s) - 1 && memcmp(name, s, nlen) == 0)
	if (IS("address") || IS("fetched") || IS("status"))
		return 0;	/* handled by the caller */
	if (IS("telematikID"))
		return dir_result_set(&r->telematik_id, val, vlen) ? -2 : 0;
	if (IS("displayName"))
		return dir_result_set(&r->display_name, val, vlen) ? -2 : 0;
	if (IS("organization"))
		return dir_result_set(&r->organization, val, vlen) ? -2 : 0;
	if (IS("kimVersion"))
		return dir_result_set(&r->kim_version, val, vlen) ? -2 : 0;
	if (IS("appTags"))
		return dir_result_set(&r->app_tags, val, vlen) ? -2 : 0;
	if (IS("cert")) {
		const char *sp = memchr(val, ' ', vlen);
		char code[32];
		unsigned char *der;
		size_t dlen;
		int reason;

		if (sp == NULL || (size_t)(sp - val) >= sizeof(code))
			return -1;
		memcpy(code, val, (size_t)(sp - val));
		code[sp - val] = 0;
		if ((reason = dir_cert_reason_parse(code)) < 0)
			return -1;
		der = unb64(sp + 1, vlen - (size_t)(sp - val) - 1, &dlen);
		if (der == NULL)
			return -1;
		if (dir_result_add_der(r, der, dlen, cc) < 0) {
			free(der);
			return -2;
		}
		free(der);
		/* the write-time verdict; an unparsable DER stays so */
		if (r->certs[r->ncerts - 1].static_reason == DIR_CERT_OK)
			r->certs[r->ncerts - 1].static_reason =
			    (enum dir_cert_reason)reason;
		r->certs[r->ncerts - 1].reason =
		    r->certs[r->ncerts - 1].static_reason;
		return 0;
	}
	return -1;
#undef IS
}

/*
 * dir_entry_decode - verify and parse. 0 with *out set; -1 forged or
 * malformed (reason in why); -2 out of memory.
 */
int
dir_entry_decode(const char *address, const unsigned char *data, size_t len,
    const struct buf *key, struct dir_certcache *cc, struct dir_result **out,
    struct buf *why)
{
	const char *text = (const char *)data, *end, *p, *macline = NULL;
	struct dir_result *r = NULL;
	char mac[65];
	int rc = -1, have_addr = 0, have_status = 0;

	*out = NULL;
	/* the MAC line is the last one */
	if (len < sizeof(ENTRY_MAGIC) || data[len - 1] != '\n' ||
	    memchr(data, 0, len) != NULL) {
		(void)buf_puts(why, "not an entry of this schema");
		return -1;
	}
	for (p = text + len - 1; p > text; p--)
		if (p[-1] == '\n') {
			macline = p;
			break;
		}
	if (macline == NULL || len - (size_t)(macline - text) != 4 + 64 + 1 ||
	    memcmp(macline, "mac ", 4) != 0) {
		(void)buf_puts(why, "no MAC line");
		return -1;
	}
	if (mac_hex(key, data, (size_t)(macline - text), mac) < 0 ||
	    CRYPTO_memcmp(mac, macline + 4, 64) != 0) {
		(void)buf_puts(why, "MAC does not verify (entry forged, "
		    "damaged, or written with another CacheKeyFile)");
		return -1;
	}
	if (memcmp(text, ENTRY_MAGIC, sizeof(ENTRY_MAGIC) - 1) != 0) {
		(void)buf_puts(why, "not an entry of this schema");
		return -1;
	}
	if ((r = dir_result_new(address)) == NULL)
		return -2;
	r->source = DIR_SOURCE_CACHE;
	for (p = text + sizeof(ENTRY_MAGIC) - 1; p < macline; p = end + 1) {
		const char *sp;
		int t;

		end = memchr(p, '\n', (size_t)(macline - p));
		sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL)
			goto bad;
		if ((size_t)(sp - p) == 7 && memcmp(p, "address", 7) == 0) {
			if ((size_t)(end - sp - 1) != strlen(address) ||
			    memcmp(sp + 1, address, strlen(address)) != 0) {
				(void)buf_puts(why, "entry of another address");
				goto out;
			}
			have_addr = 1;
		} else if ((size_t)(sp - p) == 6 &&
		    memcmp(p, "status", 6) == 0) {
			have_status = 1;
			if (end - sp - 1 == 8 && memcmp(sp + 1, "notfound", 8) == 0)
				r->status = DIR_NOT_FOUND;
			else if (end - sp - 1 == 5 &&
			    memcmp(sp + 1, "found", 5) == 0)
				r->status = DIR_FOUND;
			else
				goto bad;
		} else if ((size_t)(sp - p) == 7 &&
		    memcmp(p, "fetched", 7) == 0) {
			r->fetched_at = (time_t)strtoll(sp + 1, NULL, 10);
		}
		t = take_line(r, p, (size_t)(sp - p), sp + 1,
		    (size_t)(end - sp - 1), cc);
		if (t == -2) {
			rc = -2;
			goto out;
		}
		if (t < 0)
			goto bad;
	}
	if (!have_addr || !have_status)
		goto bad;
	*out = r;
	r = NULL;
	rc = 0;
	goto out;
bad:
	if (why->len == 0)
		(void)buf_puts(why, "malformed entry");
out:
	dir_result_free(r);
	return rc;
}
