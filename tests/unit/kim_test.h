/*
 * kim_test.h - helpers of the codec's unit tests (check_kim*.c). Keys and
 * certificates live in a directory made by kim_test_setup (an unchecked
 * fixture); the parties: SENDER (ENC RSA+ECC, OSIG RSA+ECC), R1 (RSA), R2
 * (ECC), R3 (RSA+ECC), "other" keys that nobody encrypts to.
 */
#ifndef KIM_TEST_H
#define KIM_TEST_H

#include <openssl/x509.h>

#include "buf.h"
#include "card.h"
#include "kim.h"
#include "kim_asn1.h"

#define SENDER "sender@praxis.kim.telematik"
#define R1 "r1@klinik.kim.telematik"
#define R2 "r2@kasse.kim.telematik"
#define R3 "r3@apotheke.kim.telematik"

extern char dir[64];
extern const char mail[];
extern X509 *c_senc_rsa, *c_senc_ecc, *c_r1, *c_r2, *c_r3r, *c_r3e, *c_ca;
extern X509_STORE *anchors;

/* path - a file of the key directory (one of 4 rotating static buffers) */
const char *path(const char *name);
/* cert - load a PEM certificate (owned by the caller) */
X509 *cert(const char *file);
/* soft - a soft card of comma-separated key and certificate file names */
struct card *soft(const char *keys, const char *certs);
void kim_test_setup(void);
void kim_test_teardown(void);
/* encode - the mail from SENDER to R1, R2, R3 (appended to out) */
void encode(const char *msg, enum kim_encrypt_to mode, int rsa_sig,
    struct buf *out);
/* decode - as the holder of key/cert for address; rev may be NULL */
void decode(const struct buf *in, const char *address, const char *key,
    const char *crt, kim_revocation_fn rev, struct kim_decode_result *r);
/* split_outer / join_outer - outer headers and the envelope's DER */
void split_outer(const struct buf *m, struct buf *hdr, struct buf *der);
void join_outer(const struct buf *hdr, const unsigned char *der,
    size_t len, struct buf *m);
/* reenvelope - parse the envelope, let fn change it, put it back */
void reenvelope(struct buf *m, void (*fn)(KIM_AUTH_ENVELOPED *));
/* wrap_entity - an outer message around an entity, encrypted to R1 */
void wrap_entity(const unsigned char *ent, size_t len, struct buf *m);
/* decrypted - the signed entity of an encoded mail (RSA signature), as R1 */
void decrypted(struct buf *ent);

#endif
