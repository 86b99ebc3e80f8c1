#!/bin/bash
# t_inbound_sample.sh - the inbound listener of a real Postfix with
# kim-milter (role inbound): gematik's sample (kim-format.md section 6) to
# musterempfaenger@komle.de (LocalKimAddresses; its ENC key in a soft card
# line) is decrypted (00) and, its signed layer being damaged, becomes the
# integrity-failure mail (04) naming the damage, with the decrypted layer
# attached; plain mail on the same listener passes byte for byte; forged
# result headers of a plain mail are removed by the contrib header_checks;
# a KIM message for an address that is not ours passes unchanged.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/integration/lib.sh"
kim_init 13

S=$top_srcdir/tests/codec/gematik
R=musterempfaenger@komle.de
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
cp "$S/hci-enc-3-kim-bsp.p12" "$KIM_T/b.p12"
cp "$S/password.txt" "$KIM_T/pass"
chmod 600 "$KIM_T/b.p12" "$KIM_T/pass"
mconf=$(kim_milter_conf "LocalKimAddresses $R" \
    "Card sample pool=inbound backend=soft p12=$KIM_T/b.p12 pass-file=$KIM_T/pass" \
    "RevocationCheck off")
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

# one message through the inbound listener to the internet sink
deliver() {	# FROM TO FILE
	sink_clear inet
	send "$PF_INBOUND_PORT" "$1" "$2" "$3" &&
	    wait_for_sink inet 1 30 &&
	    sink_message "$(sink_files inet | head -1)" | tr -d '\r' \
	    >"$KIM_T/got"
}

ok "the sample reaches musterempfaenger@komle.de through the inbound listener" \
    deliver mustersender@komle.de $R "$S/inputEmail.txt.05.encryptedwrap"
ok "X-KIM-DecryptionResult: 00 (decrypted with the card of the RecipientInfo)" \
    grep -q '^X-KIM-DecryptionResult: 00$' "$KIM_T/got"
ok "X-KIM-IntegrityCheckResult: 04 (the signed layer was canonicalized)" \
    grep -q '^X-KIM-IntegrityCheckResult: 04$' "$KIM_T/got"
ok "the integrity-failure mail: security-warning subject, reason names the damage" \
    eval 'grep -q "^Subject: =?UTF-8?Q?Sicherheitswarnung" "$KIM_T/got" &&
    grep -q "^Grund: .*line-ending conversion" "$KIM_T/got"'
ok "From, To and Message-ID of the outer message are copied" \
    eval 'grep -q "^From: Karl Mustersender <mustersender@komle.de>$" "$KIM_T/got" &&
    grep -q "^To: Steffi Musterempfaenger <$R>$" "$KIM_T/got" &&
    grep -q "^Message-ID: <Mime4j.0.81c65006d0c27d68.1641cd879c4>$" "$KIM_T/got"'
# the attachment is exactly the decrypted layer .03
perl -ne 'if (/^--=_kim-milter_/) { $on = 0 } print if $on == 2 && !/^$/;
    if ($on == 1 && /^$/) { $on = 2 } if (/filename=decrypted.p7m/) { $on = 1 }' \
    "$KIM_T/got" | base64 -d >"$KIM_T/att" 2>/dev/null
ok "the decrypted signed layer is attached, byte for byte (.03)" \
    cmp -s "$KIM_T/att" "$S/inputEmail.txt.03.signedwrap"
ok "no outer KIM header is left (the message was replaced)" \
    eval '! grep -q "^X-KOM-LE-Version" "$KIM_T/got"'
ok "the milter logged the result without the body" \
    eval 'grep -q "security-violation-mail .*decryption=00 integrity=04" "$KIM_T/milter/log" &&
    ! grep -qi "Mustermann\|Testnachricht" "$KIM_T/milter/log"'

# an address that is not ours: the KIM message passes unchanged
ok "a KIM message to an address that is not ours is delivered" \
    deliver mustersender@komle.de mustersender@komle.de "$S/inputEmail.txt.05.encryptedwrap"
ok "... unchanged (still encrypted, no result headers)" \
    eval 'grep -q "^X-KOM-LE-Version: 1.0$" "$KIM_T/got" &&
    ! grep -q "^X-KIM-DecryptionResult" "$KIM_T/got"'

# plain mail to our address passes byte for byte
plain=$KIM_T/plain.eml
printf '%s\r\n' "From: <a@example.org>" "To: <$R>" 'Subject: plain' \
    'Date: Sat, 28 Nov 2026 12:00:00 +0100' 'Message-ID: <plain-1@example.org>' \
    'X-Folded: one' '	two' '' 'Hallo,' '' 'nur Text.' >"$plain"
deliver a@example.org $R "$plain"
sink_body_below_received "$(sink_files inet | head -1)" | tr -d '\r' >"$KIM_T/plain.got"
ok "a plain mail to our KIM address passes byte for byte" \
    eval 'tr -d "\r" <"$plain" | diff - "$KIM_T/plain.got" >&2'

# forged result headers on a plain mail: the IGNORE rule removes them
forged=$KIM_T/forged.eml
printf '%s\r\n' "From: <a@example.org>" "To: <$R>" 'Subject: forged' \
    'X-KIM-DecryptionResult: 00' 'X-KIM-IntegrityCheckResult: 01' \
    'Message-ID: <forged-1@example.org>' '' 'body' >"$forged"
ok "a plain mail with forged result headers is delivered" \
    deliver a@example.org $R "$forged"
ok "... without them" \
    eval '! grep -qi "^X-KIM-\(DecryptionResult\|IntegrityCheckResult\)" "$KIM_T/got"'
