#!/bin/sh
# t_sample.sh - kimctl decode against gematik's own sample
# (docs/kim-format.md section 6): every layer, both keys, the result codes.
S=${top_srcdir:-.}/tests/codec/gematik
K=${top_builddir:-.}/tools/kimctl
echo "1..13"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$S/hci-enc-2-kim-bsp.p12" "$T/a.p12"
cp "$S/hci-enc-3-kim-bsp.p12" "$T/b.p12"
cp "$S/password.txt" "$T/pass"
chmod 600 "$T"/*
n=0
t() {	# result description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
in05=$S/inputEmail.txt.05.encryptedwrap

# recipient A's key is the sender's own copy: mustersender@komle.de
"$K" decode --p12 "$T/a.p12" --pass-file "$T/pass" \
    --address mustersender@komle.de --output decrypted <"$in05" \
    >"$T/a.03" 2>"$T/a.err"
grep -q '^X-KIM-DecryptionResult: 00$' "$T/a.err"
t $? "recipient A's key decrypts .05 for mustersender@komle.de (00)"
cmp -s "$T/a.03" "$S/inputEmail.txt.03.signedwrap"
t $? "... to exactly layer .03"
grep -q '^X-KIM-IntegrityCheckResult: 04$' "$T/a.err" &&
    grep -q 'line-ending conversion' "$T/a.err"
t $? ".03's SignedData is reported as format error 04 naming the CRLF damage"

"$K" decode --p12 "$T/b.p12" --pass-file "$T/pass" \
    --address musterempfaenger@komle.de --output decrypted <"$in05" \
    >"$T/b.03" 2>"$T/b.err"
grep -q '^X-KIM-DecryptionResult: 00$' "$T/b.err"
t $? "recipient B's key decrypts .05 for musterempfaenger@komle.de (00)"
cmp -s "$T/b.03" "$S/inputEmail.txt.03.signedwrap"
t $? "... to exactly layer .03"
grep -q '^X-KIM-IntegrityCheckResult: 04$' "$T/b.err"
t $? "... and integrity 04 again"

# never decrypt with another user's key: B's card for A's address
"$K" decode --p12 "$T/b.p12" --pass-file "$T/pass" \
    --address mustersender@komle.de <"$in05" >/dev/null 2>"$T/ba.err"
rc=$?
grep -q '^X-KIM-DecryptionResult: 01$' "$T/ba.err" && [ $rc != 0 ]
t $? "B's key for A's address: 01 (the RecipientInfo is chosen by address)"

"$K" decode --p12 "$T/a.p12" --pass-file "$T/pass" \
    --address nobody@komle.de <"$in05" >/dev/null 2>"$T/n.err"
grep -q '^X-KIM-DecryptionResult: 01$' "$T/n.err" &&
    grep -q 'no RecipientInfo for nobody@komle.de' "$T/n.err"
t $? "an address without a recipient-emails entry: 01"

# the pristine SignedData .02: the signer's CA is not in the sample
"$K" decode --signed --output content \
    --trust "$S/GEM.RCA2-TEST-ONLY.pem" \
    --trust "$S/GEM.KOMP-CA24-TEST-ONLY.pem" --at 2021-01-01 \
    <"$S/inputEmail.txt.02.signedcms" >"$T/01" 2>"$T/02.err"
rc=$?
cmp -s "$T/01" "$S/inputEmail.txt.01.rfc822wrap"
t $? ".02 yields exactly .01"
grep -q '^X-KIM-IntegrityCheckResult: 05$' "$T/02.err" && [ $rc != 0 ]
t $? ".02 with the sample's anchors: 05 (GEM.SMCB-CA24 is not in the sample)"

# the math holds: with the signer itself as a (partial-chain) anchor, 07
"$K" decode --signed --trust "$S/signer-smcb-osig.pem" --at 2021-01-01 \
    --require-osig <"$S/inputEmail.txt.02.signedcms" >"$T/m" 2>"$T/m.err"
rc=$?
grep -q '^X-KIM-IntegrityCheckResult: 07$' "$T/m.err" && [ $rc = 0 ]
t $? ".02 signature verifies over the received attributes: 07 (no revocation data)"
# and the same anchor at today's date: expired certificates
"$K" decode --signed --trust "$S/signer-smcb-osig.pem" \
    <"$S/inputEmail.txt.02.signedcms" >/dev/null 2>"$T/e.err"
grep -q '^X-KIM-IntegrityCheckResult: 05$' "$T/e.err" &&
    grep -q 'expired' "$T/e.err"
t $? "without --at the sample's certificates have expired: 05"

# --json for scripts: one object on stderr
"$K" --json decode --p12 "$T/a.p12" --pass-file "$T/pass" \
    --address mustersender@komle.de <"$in05" >/dev/null 2>"$T/j.err"
grep -q '^{"kim": true, "decryption": "00", "integrity": "04", "reason": "SignedData is not valid DER' "$T/j.err"
t $? "--json prints the codes and the reason as one JSON object"
