#!/bin/bash
# t_relay_roundtrip.sh - what one hospital's gate sends, another's inbound
# listener reads: a mail leaves through the gate of relay 1 (the klinikum's
# card signs, the directory gives the practice's certificate); the message
# the provider received is then fed into the inbound listener of relay 2
# (the practice: its KIM address is local, its card holds its ENC key) and
# arrives in the practice's mailbox decrypted, with the original inner
# message, DecryptionResult 00 and IntegrityCheckResult 07 (revocation not
# asked here; tests/inbound covers OCSP), the sender binding holding. Relay 2
# is the same Postfix with the milter restarted on relay 2's configuration:
# the gate and the inbound listener never see each other's settings.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 9
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
R=praxis-rsa@$D
MAILBOX=praxis-postfach@klinik.example
kim_dir_up
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
PFC=$(pf_dir pf)/etc

# relay 1: the klinikum's gate
mconf=$(kim_gate_milter_conf)
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }
A=arzt@klinik.example
msg=$KIM_T/orig.eml
printf '%s\r\n' "From: Dr. Arzt <$A>" "To: <$R>" 'Subject: Befund Mustermann' \
    'Message-ID: <relay-1@klinik.example>' 'MIME-Version: 1.0' \
    'Content-Type: text/plain; charset=utf-8' '' 'Der Befund liegt bei.' >"$msg"
send "$PF_FRONT_PORT" $A "$R" "$msg"
ok "relay 1: the KIM message reaches the provider" wait_for_sink prov 1 60
sink_message "$(sink_files prov | head -1)" >"$KIM_T/kim.eml"
ok "relay 1: what left is encrypted" eval '! grep -q "Befund" "$KIM_T/kim.eml"'
stop_milter

# relay 2: the practice; its KIM address is local, its card its ENC key
P=$PKI/praxis-rsa
mapfile -t dirl < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf2=$(kim_milter_conf "${dirl[@]}" "LocalKimAddresses $R" "RevocationCheck off" \
    "Card praxis pool=praxis backend=soft key=$P/enc-rsa.key cert=$P/enc-rsa.pem")
printf '%s\t%s\n' "$R" "$MAILBOX" >>"$PFC/kim_virtual"
pf_reload pf
start_milter "$mconf2" || { echo "Bail out! milter (relay 2) did not start"; exit 1; }
sink_clear inet
send "$PF_INBOUND_PORT" "$KIM_GATE_ADDR" "$R" "$KIM_T/kim.eml"
ok "relay 2: the message arrives in the practice's mailbox" \
    wait_for_sink inet 1 60
f=$(sink_files inet | head -1)
sink_message "$f" | tr -d '\r' >"$KIM_T/got"
ok "relay 2: delivered to the mailbox of the KIM address (virtual alias)" \
    grep -q "^X-Rcpt-Args: <$MAILBOX>" "$f"
ok "relay 2: X-KIM-DecryptionResult: 00" grep -q '^X-KIM-DecryptionResult: 00$' "$KIM_T/got"
ok "relay 2: X-KIM-IntegrityCheckResult: 07 (signature and path valid, revocation not asked)" \
    grep -q '^X-KIM-IntegrityCheckResult: 07$' "$KIM_T/got"
ok "relay 2: the inner message: its Subject and body" \
    eval 'grep -q "^Subject: Befund Mustermann$" "$KIM_T/got" && grep -q "^Der Befund liegt bei.$" "$KIM_T/got"'
ok "relay 2: From is the klinikum's KIM address (the signer's, checked against the directory)" \
    grep -q "^From: Dr. Arzt <$KIM_GATE_ADDR>$" "$KIM_T/got"
ok "relay 2: no KOM-LE wrapper and no route header left" \
    eval '! grep -qE "^(Subject: KOM-LE-Nachricht|X-Kimgate-Route)" "$KIM_T/got"'
