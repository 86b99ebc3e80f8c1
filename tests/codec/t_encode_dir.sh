#!/bin/sh
# t_encode_dir.sh - kimctl encode takes recipients (and the sender's own
# copy) from the KIM directory: real slapd and Redis with entries from the
# test PKI; what it encrypts decodes with the recipient's key; unknown or
# unusable addresses are refused with the directory's reason.
PORT_RANGE=32000-32700
. "${top_srcdir:-$(dirname "$0")/../..}/tests/dir/harness.sh"
plan 6
D=aerzte.kim.telematik-test
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
mail=$T/mail.eml
printf '%s\r\n' 'From: Kardiologie <kardiologie@klinikum-nord.kim.telematik-test>' \
    "To: <praxis@$D>" 'Subject: Befund' 'Message-ID: <enc-dir-1@klinikum.example>' \
    '' 'Testbefund' >"$mail"
SIGN="--key $PKI/klinikum/osig-ecc.key --cert $PKI/klinikum/osig-ecc.pem"

"$KIMCTL" -c "$CONF" encode $SIGN --recipient "praxis@$D" <"$mail" \
    >"$T/kim.eml" 2>"$T/err"
ok $? "encode --recipient: certificates from the directory"
"$KIMCTL" -c "$CONF" decode --key "$PKI/praxis/enc-ecc.key" \
    --cert "$PKI/praxis/enc-ecc.pem" --address "praxis@$D" \
    --trust "$PKI/anchors.pem" <"$T/kim.eml" >"$T/inner.eml" 2>"$T/err"
ok $? "the recipient decrypts it with its ECC key and the signature checks"
check "the inner message is the original" grep -q "Testbefund" "$T/inner.eml"
"$KIMCTL" -c "$CONF" decode --key "$PKI/klinikum/enc-ecc.key" \
    --cert "$PKI/klinikum/enc-ecc.pem" \
    --address kardiologie@klinikum-nord.kim.telematik-test \
    --trust "$PKI/anchors.pem" <"$T/kim.eml" >/dev/null 2>"$T/err"
ok $? "the sender's own copy: encrypted to its directory certificate too"
"$KIMCTL" -c "$CONF" encode $SIGN --recipient "nobody@$D" <"$mail" \
    >/dev/null 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && grep -q "no entry" "$T/err"
ok $? "an address the directory does not know is refused with the reason"
"$KIMCTL" -c "$CONF" encode $SIGN --recipient "expired@$D" <"$mail" \
    >/dev/null 2>"$T/err"
rc=$?
[ $rc -ne 0 ] && grep -q "expired" "$T/err"
ok $? "an address with only an expired certificate is refused"
exit $FAILED
