/*
 * elc.c - gematik ELC (ECIES) key transport, as the SMC-B computes it.
 *
 * The same code serves the soft backend's decipher, the codec's encryption
 * to ECC certificates and the virtual card, so all three agree by
 * construction; the known-answer test (tests/unit/t_elc_kat.sh) checks the
 * construction itself against the openssl command line.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "card.h"
#include "elc.h"

#define ELC_POINT_LEN 65	/* 04 || X || Y */
#define ELC_Z_LEN 32
#define ELC_MAC_LEN 8
#define ELC_BLOCK 16
#define ELC_C_MAX (ELC_KEY_MAX + ELC_BLOCK)

/* the primitives, fetched once per process */
static struct {
	EVP_MD *sha256;
	EVP_CIPHER *ecb;
	EVP_CIPHER *cbc;
	EVP_MAC *cmac;
	int ok;
} elc_algs;
static pthread_once_t elc_once = PTHREAD_ONCE_INIT;

/* elc_fetch - fetch the algorithms (pthread_once) */
static void
elc_fetch(void)
{
	elc_algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	elc_algs.ecb = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	elc_algs.cbc = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	elc_algs.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	elc_algs.ok = elc_algs.sha256 && elc_algs.ecb && elc_algs.cbc &&
	    elc_algs.cmac;
}

/* elc_ready - 1 when the algorithms are there */
static int
elc_ready(void)
{
	if (pthread_once(&elc_once, elc_fetch) != 0)
		return 0;
	return elc_algs.ok;
}

/* elc_is_curve - 1 for an EC key on brainpoolP256r1 */
int
elc_is_curve(const EVP_PKEY *pkey)
{
	char group[64];
	size_t glen = 0;

	if (pkey == NULL || !EVP_PKEY_is_a(pkey, "EC"))
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen))
		return 0;
	return strcmp(group, ELC_CURVE_NAME) == 0;
}

/* elc_derive - Z = x([priv]peer), 32 bytes; CARD_E_CRYPTO for a bad peer */
static int
elc_derive(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char z[ELC_Z_LEN])
{
	EVP_PKEY_CTX *ctx;
	size_t zlen = ELC_Z_LEN;
	int rc = CARD_E_INTERNAL;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* validates the peer point (on the curve, not infinity) */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) <= 0) {
		rc = CARD_E_CRYPTO;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, z, &zlen) <= 0 || zlen != ELC_Z_LEN)
		goto out;
	rc = CARD_OK;
out:
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* elc_kdf - Kenc and Kmac from Z (X9.63 KDF, SHA-256, no shared info) */
static int
elc_kdf(const unsigned char z[ELC_Z_LEN], unsigned char kenc[32],
    unsigned char kmac[32])
{
	unsigned char in[ELC_Z_LEN + 4];
	int rc = CARD_E_INTERNAL;

	memcpy(in, z, ELC_Z_LEN);
	memcpy(in + ELC_Z_LEN, "\0\0\0\1", 4);
	if (!EVP_Digest(in, sizeof(in), kenc, NULL, elc_algs.sha256, NULL))
		goto out;
	in[ELC_Z_LEN + 3] = 2;
	if (!EVP_Digest(in, sizeof(in), kmac, NULL, elc_algs.sha256, NULL))
		goto out;
	rc = CARD_OK;
out:
	OPENSSL_cleanse(in, sizeof(in));
	return rc;
}

/* elc_aes - one unpadded AES pass (ECB or CBC), len a multiple of 16 */
static int
elc_aes(const EVP_CIPHER *cipher, int enc, const unsigned char key[32],
    const unsigned char *iv, const unsigned char *in, size_t len,
    unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	int n = 0, m = 0, rc = CARD_E_INTERNAL;

	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    !EVP_CipherInit_ex2(ctx, cipher, key, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &n, in, (int)len) ||
	    !EVP_CipherFinal_ex(ctx, out + n, &m) || (size_t)(n + m) != len)
		goto out;
	rc = CARD_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* elc_pad - ISO 7816-4 padding: 80 00.. to the next full block */
static size_t
elc_pad(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t plen = (len / ELC_BLOCK + 1) * ELC_BLOCK;

	memcpy(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, plen - len - 1);
	return plen;
}

/* elc_mac - T = first 8 bytes of AES-CMAC(Kmac, C || 80 00..) */
static int
elc_mac(const unsigned char kmac[32], const unsigned char *c, size_t clen,
    unsigned char t[ELC_MAC_LEN])
{
	unsigned char padded[ELC_C_MAX + ELC_BLOCK], full[ELC_BLOCK];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t plen, flen = 0;
	int rc = CARD_E_INTERNAL;

	plen = elc_pad(c, clen, padded);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
	    (char *)"AES-256-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_MAC_CTX_new(elc_algs.cmac);
	if (ctx == NULL || !EVP_MAC_init(ctx, kmac, 32, params) ||
	    !EVP_MAC_update(ctx, padded, plen) ||
	    !EVP_MAC_final(ctx, full, &flen, sizeof(full)) ||
	    flen != ELC_BLOCK)
		goto out;
	memcpy(t, full, ELC_MAC_LEN);
	rc = CARD_OK;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/* elc_put_len - append a DER length */
static int
elc_put_len(struct buf *b, size_t len)
{
	unsigned char l[3];

	if (len < 0x80) {
		l[0] = (unsigned char)len;
		return buf_append(b, l, 1);
	}
	l[0] = 0x81;
	l[1] = (unsigned char)len;
	return buf_append(b, l, 2);
}

/* elc_len_size - bytes a DER length takes (lengths here stay below 256) */
static size_t
elc_len_size(size_t len)
{
	return len < 0x80 ? 1 : 2;
}

/* elc_build - append A6 { OID, 7F49 { 86 E }, 86 02||C, 8E T } */
static int
elc_build(struct buf *out, const unsigned char *e, const unsigned char *c,
    size_t clen, const unsigned char *t)
{
	size_t inner, dolen = 1 + clen;
	static const unsigned char ind = 0x02;

	inner = (sizeof(ELC_CURVE_OID_DER) - 1) +
	    (2 + 1 + (2 + ELC_POINT_LEN)) +
	    (1 + elc_len_size(dolen) + dolen) + (2 + ELC_MAC_LEN);
	if (buf_append(out, "\xa6", 1) < 0 || elc_put_len(out, inner) < 0 ||
	    buf_append(out, ELC_CURVE_OID_DER,
	    sizeof(ELC_CURVE_OID_DER) - 1) < 0 ||
	    buf_append(out, "\x7f\x49\x43\x86\x41", 5) < 0 ||
	    buf_append(out, e, ELC_POINT_LEN) < 0 ||
	    buf_append(out, "\x86", 1) < 0 || elc_put_len(out, dolen) < 0 ||
	    buf_append(out, &ind, 1) < 0 || buf_append(out, c, clen) < 0 ||
	    buf_append(out, "\x8e\x08", 2) < 0 ||
	    buf_append(out, t, ELC_MAC_LEN) < 0)
		return CARD_E_INTERNAL;
	return CARD_OK;
}

/* elc_encrypt_ephemeral - the construction with a given ephemeral key */
int
elc_encrypt_ephemeral(EVP_PKEY *recipient_pub, EVP_PKEY *ephemeral,
    const unsigned char *key, size_t keylen, struct buf *template_out)
{
	unsigned char z[ELC_Z_LEN], kenc[32], kmac[32], iv[ELC_BLOCK];
	unsigned char m[ELC_C_MAX], c[ELC_C_MAX], t[ELC_MAC_LEN];
	unsigned char *e = NULL;
	size_t elen, mlen;
	int rc;

	if (!elc_ready())
		return CARD_E_INTERNAL;
	if (keylen == 0 || keylen > ELC_KEY_MAX)
		return CARD_E_ALG;
	if (!elc_is_curve(recipient_pub) || !elc_is_curve(ephemeral))
		return CARD_E_ALG;
	rc = CARD_E_INTERNAL;
	elen = EVP_PKEY_get1_encoded_public_key(ephemeral, &e);
	if (elen != ELC_POINT_LEN || e[0] != 0x04)
		goto out;
	if ((rc = elc_derive(ephemeral, recipient_pub, z)) < 0 ||
	    (rc = elc_kdf(z, kenc, kmac)) < 0)
		goto out;
	memset(iv, 0, sizeof(iv));
	if ((rc = elc_aes(elc_algs.ecb, 1, kenc, NULL, iv, ELC_BLOCK,
	    iv)) < 0)
		goto out;
	mlen = elc_pad(key, keylen, m);
	if ((rc = elc_aes(elc_algs.cbc, 1, kenc, iv, m, mlen, c)) < 0 ||
	    (rc = elc_mac(kmac, c, mlen, t)) < 0)
		goto out;
	rc = elc_build(template_out, e, c, mlen, t);
out:
	OPENSSL_free(e);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kenc, sizeof(kenc));
	OPENSSL_cleanse(kmac, sizeof(kmac));
	OPENSSL_cleanse(m, sizeof(m));
	return rc;
}

/* elc_encrypt - the construction with a fresh ephemeral key */
int
elc_encrypt(EVP_PKEY *recipient_pub, const unsigned char *key, size_t keylen,
    struct buf *template_out)
{
	EVP_PKEY *eph = NULL;
	int rc;

	if (!elc_is_curve(recipient_pub))
		return CARD_E_ALG;
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", ELC_CURVE_NAME);
	if (eph == NULL)
		return CARD_E_INTERNAL;
	rc = elc_encrypt_ephemeral(recipient_pub, eph, key, keylen,
	    template_out);
	EVP_PKEY_free(eph);
	return rc;
}

/* elc_tlv - read one TLV at *p (before end): its tag (1 or 2 bytes) and value */
static int
elc_tlv(const unsigned char **p, const unsigned char *end, unsigned tag,
    const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t l;

	if (tag > 0xff) {
		if (end - q < 2 || q[0] != (tag >> 8) || q[1] != (tag & 0xff))
			return -1;
		q += 2;
	} else {
		if (end - q < 1 || q[0] != tag)
			return -1;
		q++;
	}
	if (end - q < 1)
		return -1;
	if (q[0] < 0x80) {
		l = q[0];
		q++;
	} else if (q[0] == 0x81 && end - q >= 2 && q[1] >= 0x80) {
		l = q[1];
		q += 2;
	} else {
		return -1;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*val = q;
	*len = l;
	*p = q + l;
	return 0;
}

/* elc_peer - an EVP_PKEY for the point 04||X||Y; NULL when not on the curve */
static EVP_PKEY *
elc_peer(const unsigned char *point)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pk = NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)ELC_CURVE_NAME, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)point, ELC_POINT_LEN);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return pk;
}

/* elc_decrypt - check the template and recover the key */
int
elc_decrypt(EVP_PKEY *priv, const unsigned char *tmpl, size_t len,
    struct buf *key_out)
{
	unsigned char z[ELC_Z_LEN], kenc[32], kmac[32], iv[ELC_BLOCK];
	unsigned char m[ELC_C_MAX], t[ELC_MAC_LEN];
	const unsigned char *p, *q, *end, *in, *oid, *dopk, *pt, *dc, *tag;
	size_t inlen, oidlen, dopklen, ptlen, dclen, taglen, clen, i;
	EVP_PKEY *peer = NULL;
	int rc;

	if (!elc_ready())
		return CARD_E_INTERNAL;
	if (!elc_is_curve(priv))
		return CARD_E_ALG;
	rc = CARD_E_CRYPTO;
	p = tmpl;
	end = tmpl + len;
	if (elc_tlv(&p, end, 0xa6, &in, &inlen) < 0 || p != end)
		goto out;
	p = in;
	end = in + inlen;
	if (elc_tlv(&p, end, 0x06, &oid, &oidlen) < 0 ||
	    oidlen != sizeof(ELC_CURVE_OID_DER) - 3 ||
	    memcmp(oid, &ELC_CURVE_OID_DER[2], oidlen) != 0)
		goto out;
	if (elc_tlv(&p, end, 0x7f49, &dopk, &dopklen) < 0 ||
	    elc_tlv(&p, end, 0x86, &dc, &dclen) < 0 ||
	    elc_tlv(&p, end, 0x8e, &tag, &taglen) < 0 || p != end)
		goto out;
	q = dopk;
	if (elc_tlv(&q, dopk + dopklen, 0x86, &pt, &ptlen) < 0 ||
	    q != dopk + dopklen || ptlen != ELC_POINT_LEN || pt[0] != 0x04)
		goto out;
	clen = dclen - 1;
	if (dclen < 1 + ELC_BLOCK || dc[0] != 0x02 || clen % ELC_BLOCK ||
	    clen > ELC_C_MAX || taglen != ELC_MAC_LEN)
		goto out;
	if ((peer = elc_peer(pt)) == NULL)
		goto out;
	if ((rc = elc_derive(priv, peer, z)) < 0 ||
	    (rc = elc_kdf(z, kenc, kmac)) < 0 ||
	    (rc = elc_mac(kmac, dc + 1, clen, t)) < 0)
		goto out;
	if (CRYPTO_memcmp(t, tag, ELC_MAC_LEN) != 0) {
		rc = CARD_E_CRYPTO;
		goto out;
	}
	memset(iv, 0, sizeof(iv));
	if ((rc = elc_aes(elc_algs.ecb, 1, kenc, NULL, iv, ELC_BLOCK,
	    iv)) < 0 ||
	    (rc = elc_aes(elc_algs.cbc, 0, kenc, iv, dc + 1, clen, m)) < 0)
		goto out;
	/* the MAC held, so the padding needs no constant-time care */
	for (i = clen; i > 0 && m[i - 1] == 0; i--)
		;
	if (i == 0 || m[i - 1] != 0x80 || i - 1 == 0 ||
	    clen - (i - 1) > ELC_BLOCK) {
		rc = CARD_E_CRYPTO;
		goto out;
	}
	rc = buf_append(key_out, m, i - 1) < 0 ? CARD_E_INTERNAL : CARD_OK;
out:
	EVP_PKEY_free(peer);
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(kenc, sizeof(kenc));
	OPENSSL_cleanse(kmac, sizeof(kmac));
	OPENSSL_cleanse(m, sizeof(m));
	return rc;
}
