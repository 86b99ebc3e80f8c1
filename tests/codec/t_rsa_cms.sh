#!/bin/sh
# t_rsa_cms.sh - kimctl encode judged by the openssl command line: every RSA
# recipient key and the sender's decrypt what we produce (openssl cms
# -decrypt), the inner signature verifies (openssl cms -verify -inform DER
# on the binary signed entity), and the outer format is as gemSMIME_KOMLE
# says. OpenSSL 3.0 mis-tags AuthEnvelopedData's unauthAttrs
# (openssl/openssl#26101): cms_strip removes them first (see cms_strip.c).
K=${top_builddir:-.}/tools/kimctl
STRIP=${top_builddir:-.}/tests/codec/cms_strip
MK=${top_srcdir:-.}/tests/codec/mkkeys.sh
echo "1..14"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh "$MK" "$T" || { echo "Bail out! cannot make keys"; exit 1; }
n=0
t() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
cat >"$T/mail" <<'MAIL'
From: Karl Mustersender <sender@praxis.kim.telematik>
To: Steffi <r1@klinik.kim.telematik>,
 r3@apotheke.kim.telematik
Cc: r2@kasse.kim.telematik
Subject: Befund
Date: Sat, 28 Nov 2026 12:00:00 +0100
Message-ID: <abc@praxis>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hallo,
der Befund liegt bei.
MAIL
enc() {	# extra encode args
	"$K" encode --key "$T/sender-osig-rsa.key" --cert "$T/sender-osig-rsa.crt" \
	    --sender-cert "$T/sender-enc-rsa.crt" \
	    --recipient-cert "r1@klinik.kim.telematik=$T/r1-enc-rsa.crt" \
	    --recipient-cert "r3@apotheke.kim.telematik=$T/r3-enc-rsa.crt" \
	    "$@" <"$T/mail"
}
enc --encrypt-to all >"$T/out" 2>"$T/enc.err"
t $? "kimctl encode with RSA keys"

# the outer message
awk 'BEGIN{h=1} /^\r$/{h=0; next} !h && length($0) > 77 {bad=1} END{exit bad}' "$T/out"
t $? "base64 lines of at most 76 characters"
[ "$(tr -d '\n' <"$T/out" | tr '\r' '\n' | wc -l)" = "$(wc -l <"$T/out")" ]
t $? "every line ends in CRLF"
grep -q '^Subject: KOM-LE-Nachricht' "$T/out" &&
    grep -q '^X-KOM-LE-Version: 1.0' "$T/out" &&
    grep -q '^Expires: ' "$T/out" &&
    grep -q '^From: Karl Mustersender <sender@praxis.kim.telematik>' "$T/out" &&
    grep -q '^Message-ID: <abc@praxis>' "$T/out" &&
    grep -q '^X-KIM-Dienstkennung: KIM-Mail;Default;V1.0' "$T/out" &&
    ! grep -q '^Subject: Befund' "$T/out"
t $? "outer headers: Subject replaced, From/Message-ID/X-KIM-* copied, version, Expires"

# openssl cms decrypts with every RSA key, the sender's included
awk 'BEGIN{h=1} h && /^\r$/{h=0; next} !h' "$T/out" | openssl base64 -d \
    >"$T/env.der"
"$STRIP" <"$T/env.der" >"$T/env2.der"
ok=0
for k in r1-enc-rsa r3-enc-rsa sender-enc-rsa; do
	openssl cms -decrypt -inform DER -in "$T/env2.der" -inkey "$T/$k.key" \
	    -recip "$T/$k.crt" -out "$T/ent.$k" 2>"$T/dec.$k.err"
	t $? "openssl cms -decrypt with $k"
done
openssl cms -decrypt -inform DER -in "$T/env2.der" \
    -inkey "$T/other-enc-rsa.key" -recip "$T/other-enc-rsa.crt" \
    -out "$T/ent.other" 2>/dev/null
[ $? != 0 ]
t $? "openssl cms -decrypt with a key not among the recipients fails"
cmp -s "$T/ent.r1-enc-rsa" "$T/ent.sender-enc-rsa"
t $? "every key gets the same signed entity"
head -c 220 "$T/ent.r1-enc-rsa" | grep -a -q \
    '^Content-Transfer-Encoding: binary' &&
    head -c 220 "$T/ent.r1-enc-rsa" | grep -a -q \
    'smime-type=signed-data; name=smime.p7m'
t $? "the signed entity is application/pkcs7-mime signed-data, binary"

# the inner signature: strip the entity's headers, verify the DER
"$STRIP" --body <"$T/ent.r1-enc-rsa" >"$T/sd.der"
openssl cms -verify -inform DER -in "$T/sd.der" -CAfile "$T/ca.crt" \
    -out "$T/content" 2>"$T/verify.err"
t $? "openssl cms -verify accepts the RSA-PSS signature and the chain"
printf 'Content-Type: message/rfc822\r\n\r\n' >"$T/expect"
sed 's/$/\r/' "$T/mail" | awk '/^\r$/ && !d {print "X-KIM-Dienstkennung: KIM-Mail;Default;V1.0\r"; print "X-KIM-Middleware: kim-milter;'"$(sed -n 's/^PACKAGE_VERSION = //p' ${top_builddir:-.}/Makefile)"'\r"; d=1} {print}' >>"$T/expect"
cmp -s "$T/content" "$T/expect"
t $? "the signed content is the rfc822 wrap of the mail with CRLF plus our two headers"

# ECC signature (card with an ECC OSIG key), mixed envelope (--encrypt-to all)
"$K" encode --key "$T/sender-osig-rsa.key,$T/sender-osig-ecc.key" \
    --cert "$T/sender-osig-rsa.crt,$T/sender-osig-ecc.crt" \
    --sender-cert "$T/sender-enc-rsa.crt" \
    --recipient-cert "r3@apotheke.kim.telematik=$T/r3-enc-rsa.crt" \
    --recipient-cert "r3@apotheke.kim.telematik=$T/r3-enc-ecc.crt" \
    --encrypt-to all <"$T/mail" >"$T/outecc" 2>"$T/encecc.err"
awk 'BEGIN{h=1} h && /^\r$/{h=0; next} !h' "$T/outecc" | openssl base64 -d |
    "$STRIP" >"$T/envecc.der"
openssl cms -decrypt -inform DER -in "$T/envecc.der" \
    -inkey "$T/r3-enc-rsa.key" -recip "$T/r3-enc-rsa.crt" -out "$T/entecc" \
    2>/dev/null &&
    "$STRIP" --body <"$T/entecc" >"$T/sdecc.der" &&
    openssl cms -verify -inform DER -in "$T/sdecc.der" -CAfile "$T/ca.crt" \
    -out /dev/null 2>/dev/null &&
    openssl cms -cmsout -print -inform DER -in "$T/sdecc.der" |
    grep -q 'algorithm: ecdsa-with-SHA256'
t $? "with an ECC OSIG key: ECDSA brainpoolP256r1 signature that openssl verifies; RSA key of a mixed envelope decrypts"

# our own decoder on the RSA message: 07 (no revocation data), the mail back
"$K" decode --key "$T/r1-enc-rsa.key" --cert "$T/r1-enc-rsa.crt" \
    --address r1@klinik.kim.telematik --trust "$T/ca.crt" <"$T/out" \
    >"$T/back" 2>"$T/back.err"
rc=$?
grep -q '^X-KIM-IntegrityCheckResult: 07$' "$T/back.err" && [ $rc = 0 ] &&
    printf 'Content-Type: message/rfc822\r\n\r\n' | cat - "$T/back" |
    cmp -s - "$T/expect"
t $? "kimctl decode: 00/07 and the mail with CRLF plus our headers"
