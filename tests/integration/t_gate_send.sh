#!/bin/bash
# t_gate_send.sh - outbound KIM through the real Postfix gate, with the real
# directory stack (slapd + Redis, entries of the test PKI) and the soft card
# backend: what the provider receives is judged by the openssl command line
# (RSA) and by our decoder with the recipient's key (ECC); the internet sink
# gets the original bytes of a mixed message; the envelope sender and From
# are the department's KIM address; no original header outside
# kim-format.md section 2 is on the outer message.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 24
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=kardiologie@klinikum-nord.kim.telematik-test
STRIP=$top_builddir/tests/codec/cms_strip
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }

# the department: its KIM address is the klinikum entry of the test VZD;
# its card (soft backend) holds the klinikum's RSA OSIG key only, so the
# signature is RSA-PSS and openssl can judge it
kim_gate_policy "$KIMADDR" kardiologie
K=$PKI/klinikum
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${extra[@]}")
sed -i "s|^Card testcard .*|Card testcard pool=klinik backend=soft key=$K/osig-rsa.key,$K/enc-rsa.key,$K/enc-ecc.key cert=$K/osig-rsa.pem,$K/enc-rsa.pem,$K/enc-ecc.pem|" "$mconf"
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

A=arzt@klinik.example
msg=$KIM_T/befund.eml
printf '%s\r\n' "From: \"Dr. Arzt\" <$A>" "To: <praxis-rsa@$D>, <b@example.net>" \
    'Subject: Befund Mustermann' 'Thread-Topic: Befund Mustermann' \
    'Date: Sat, 28 Nov 2026 12:00:00 +0100' \
    'Message-ID: <gate-1@klinik.example>' 'X-Folded: one' '	two' \
    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8' '' \
    'Der Befund liegt bei.' >"$msg"
send "$PF_FRONT_PORT" $A "praxis-rsa@$D,b@example.net" "$msg"
ok "mixed message: the KIM copy reaches the provider" wait_for_sink prov 1
ok "mixed message: the internet copy reaches the internet sink" \
    wait_for_sink inet 1
f=$(sink_files prov | head -1)
sink_message "$f" | tr -d '\r' >"$KIM_T/outer"
in=$(sink_files inet | head -1)
sink_body_below_received "$in" | tr -d '\r' >"$KIM_T/inet"
ok "the internet copy is the original, byte for byte" \
    eval 'tr -d "\r" <"$msg" | diff - "$KIM_T/inet" >&2'
ok "outer Subject is KOM-LE-Nachricht" grep -q '^Subject: KOM-LE-Nachricht$' "$KIM_T/outer"
ok "outer From is the department's KIM address, display name kept" \
    grep -q "^From: \"Dr. Arzt\" <$KIMADDR>\$" "$KIM_T/outer"
ok "the envelope sender is the department's KIM address" \
    grep -q "^X-Mail-Args: <$KIMADDR>" "$f"
ok "no original header outside the allowed list (Thread-Topic, X-Folded)" \
    eval '! grep -qiE "^(Thread-Topic|X-Folded|Subject: Befund)" "$KIM_T/outer"'
ok "one Received header (the gate's own)" \
    test "$(grep -c '^Received:' "$KIM_T/outer")" -eq 1
ok "outer Date and Message-ID copied" eval 'grep -q "^Message-ID: <gate-1@klinik.example>$" "$KIM_T/outer" && grep -q "^Date: Sat, 28 Nov 2026 12:00:00 +0100$" "$KIM_T/outer"'
ok "X-KOM-LE-Version, Expires, Dienstkennung, authenticated-enveloped-data" \
    eval 'grep -q "^X-KOM-LE-Version: 1.0$" "$KIM_T/outer" && grep -q "^Expires: " "$KIM_T/outer" && grep -q "^X-KIM-Dienstkennung: KIM-Mail;Default;V1.0$" "$KIM_T/outer" && grep -q "smime-type=authenticated-enveloped-data" "$KIM_T/outer"'
ok "the route header chose the account's transport (kimprov-kardiologie)" \
    eval 'pf_log pf | grep -q "postfix/kimprov-kardiologie/smtp.*status=sent"'
ok "the route header does not reach the provider" \
    eval '! grep -qi "^X-Kimgate-Route" "$KIM_T/outer"'

# openssl judges: the recipient's RSA key decrypts, the signature verifies
awk 'h {print} /^$/ {h=1}' "$KIM_T/outer" | openssl base64 -d >"$KIM_T/env.der"
"$STRIP" <"$KIM_T/env.der" >"$KIM_T/env2.der"
ok "openssl cms -decrypt with the recipient's RSA key" \
    openssl cms -decrypt -inform DER -in "$KIM_T/env2.der" \
    -inkey "$PKI/praxis-rsa/enc-rsa.key" -recip "$PKI/praxis-rsa/enc-rsa.pem" \
    -out "$KIM_T/signed"
# the sender's own copy: the klinikum has an ECC encryption certificate, so
# its copy is ECC (ECC preferred, KIM 1.5.2); our decoder with its key
ok "the sender's own copy: its ECC key decrypts the message (00)" \
    eval '"$KIM_KIMCTL" decode --key "$K/enc-ecc.key" --cert "$K/enc-ecc.pem" --address $KIMADDR --trust "$PKI/anchors.pem" --output message <"$f" >/dev/null 2>"$KIM_T/dec-own.err"'
ok "openssl cannot decrypt with the sender's RSA key: no RSA copy next to its ECC one" \
    eval '! openssl cms -decrypt -inform DER -in "$KIM_T/env2.der" -inkey "$K/enc-rsa.key" -recip "$K/enc-rsa.pem" -out /dev/null 2>/dev/null'
"$STRIP" --body <"$KIM_T/signed" >"$KIM_T/sd.der"
ok "openssl cms -verify: the card's RSA-PSS signature and its chain" \
    openssl cms -verify -inform DER -in "$KIM_T/sd.der" \
    -CAfile "$PKI/anchors.pem" -out "$KIM_T/content"
# the inner message: what was sent, From changed, the codec's two headers
{
	printf 'Content-Type: message/rfc822\r\n\r\n'
	sed "s|^From: \"Dr. Arzt\" <$A>|From: \"Dr. Arzt\" <$KIMADDR>|" "$msg" |
	    awk '/^\r$/ && !d {print "X-KIM-Dienstkennung: KIM-Mail;Default;V1.0\r"; print "X-KIM-Middleware: kim-milter;'"$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")"'\r"; d=1} {print}'
} >"$KIM_T/expect"
# the client mail as the gate received it starts with the front's Received
# header; below it, the mail is what the client sent
awk 'NR <= 2 {print; next} !done && /^Received: / {skip = 1; next}
    skip && /^[ \t]/ {next} {skip = 0; done = 1; print}' "$KIM_T/content" \
    >"$KIM_T/content2"
ok "the signed content is the client mail (From changed), folds and all" \
    cmp "$KIM_T/content2" "$KIM_T/expect"
ok "... below the front's Received header, the only header added on the way" \
    grep -q '^Received: from kimtest.localdomain' "$KIM_T/content"
ok "the signer certificate is the card's OSIG certificate" eval \
    'openssl cms -verify -inform DER -in "$KIM_T/sd.der" -noverify -signer "$KIM_T/signer.pem" -out /dev/null 2>/dev/null && cmp <(openssl x509 -in "$KIM_T/signer.pem" -outform DER) <(openssl x509 -in "$K/osig-rsa.pem" -outform DER)'
ok "the milter logged one line with decision=kim" \
    grep -q 'role=gate .*decision=kim reason="kim message-id=<gate-1@klinik.example> sender='"$KIMADDR"' account=kardiologie recipients=1' "$KIM_T/milter/log"
ok "no subject or body in the milter's log" \
    eval '! grep -qiE "Befund|Mustermann" "$KIM_T/milter/log"'

# ECC: a recipient with only an ECC certificate; our decoder and the
# recipient's key (soft card) read it back
sink_clear prov
msg2=$KIM_T/ecc.eml
printf '%s\r\n' "From: <$A>" "To: <Praxis-ECC@$D>" 'Subject: ECC' \
    'Message-ID: <gate-2@klinik.example>' '' 'Hallo ECC' >"$msg2"
send "$PF_FRONT_PORT" $A "Praxis-ECC@$D" "$msg2"
ok "ECC recipient: the message reaches the provider" wait_for_sink prov 1
f=$(sink_files prov | head -1)
sink_message "$f" >"$KIM_T/outer2"
P=$PKI/praxis-ecc
ok "ECC recipient: our decoder with the recipient's ECC key gives 00 and the inner message" \
    eval '"$KIM_KIMCTL" decode --key "$P/enc-ecc.key" --cert "$P/enc-ecc.pem" --address praxis-ecc@$D --trust "$PKI/anchors.pem" --output message <"$KIM_T/outer2" >"$KIM_T/inner2" 2>"$KIM_T/dec2.err" && grep -q "^Hallo ECC" "$KIM_T/inner2" && grep -q "^From: <$KIMADDR>" "$KIM_T/inner2"'

# a KIM recipient that is unusable at the gate is refused there alone
ok "nothing is left in the queue" kim_wait 20 eval 'test "$(queue_count pf)" -eq 0'
