/*
 * elc - gematik ELC (ECIES) key transport on brainpoolP256r1, exactly as an
 * SMC-B does it for PSO DECIPHER with algorithm 0B (kim-format.md section 5).
 *
 * The template (also the encryptedKey of an ECC KeyTransRecipientInfo):
 *
 *	A6 81 8E
 *	   06 09 2B2403030208010107	brainpoolP256r1
 *	   7F49 43  86 41 04||X||Y	ephemeral public point E = [d]G
 *	   86 31    02||C		padding indicator 02, C
 *	   8E 08    T			MAC
 *
 * Z = x([d]P); Kenc = SHA-256(Z||00000001); Kmac = SHA-256(Z||00000002);
 * IV = AES-256-ECB(Kenc, 0^16); C = AES-256-CBC(Kenc, IV, M || 80 00..);
 * T = first 8 bytes of AES-CMAC(Kmac, C || 80 00..). The lengths above are
 * those of a 32-byte key M (template 145 bytes); other key lengths (1..64
 * bytes) give the same structure with their own DER lengths.
 *
 * Keys are borrowed. Output buffers are caller-owned; elc_decrypt's output
 * is a content key: the caller wipes it with buf_wipe. Functions return
 * CARD_OK or a negative card_err (card.h): CARD_E_CRYPTO for a template
 * that a card would refuse (structure, curve, point not on the curve, MAC,
 * padding), CARD_E_ALG for a key that is not brainpoolP256r1,
 * CARD_E_INTERNAL for library failures. Safe from any thread.
 */
#ifndef KIM_ELC_H
#define KIM_ELC_H

#include <stddef.h>

#include <openssl/evp.h>

#include "buf.h"

/* the DER of the curve OID 1.3.36.3.3.2.8.1.1.7 as the template holds it */
#define ELC_CURVE_OID_DER "\x06\x09\x2b\x24\x03\x03\x02\x08\x01\x01\x07"
#define ELC_CURVE_NAME "brainpoolP256r1"
#define ELC_KEY_MAX 64

/*
 * elc_encrypt - encrypt key (keylen bytes) to the recipient's brainpoolP256r1
 * public key with a fresh ephemeral key; appends the template.
 */
int elc_encrypt(EVP_PKEY *recipient_pub, const unsigned char *key,
    size_t keylen, struct buf *template_out)
    __attribute__((warn_unused_result));

/*
 * elc_encrypt_ephemeral - the same with a given ephemeral private key
 * (known-answer tests only: reusing an ephemeral key breaks ECIES).
 */
int elc_encrypt_ephemeral(EVP_PKEY *recipient_pub, EVP_PKEY *ephemeral,
    const unsigned char *key, size_t keylen, struct buf *template_out)
    __attribute__((warn_unused_result));

/*
 * elc_decrypt - check a template (curve, point, MAC in constant time,
 * padding) and append the key it carries to key_out.
 */
int elc_decrypt(EVP_PKEY *priv, const unsigned char *tmpl, size_t len,
    struct buf *key_out) __attribute__((warn_unused_result));

/* elc_is_curve - 1 when pkey is an EC key on brainpoolP256r1 */
int elc_is_curve(const EVP_PKEY *pkey);

#endif
