#!/bin/bash
# t_gate_leaks.sh - every way plaintext could reach the KIM provider ends
# encrypted or refused, with the real Postfix, directory stack and soft card:
#   - an alias (virtual_alias_maps) that expands to a KIM address;
#   - mail submitted with sendmail(1) (pickup: no front milter);
#   - a delivery report (null sender, as bounces) to a KIM address;
#   - mail released from the hold queue;
#   - a message with forged KIM headers and a plaintext body;
#   - "postsuper -r ALL" on queued KIM mail before encryption and after it
#     (our own output comes back through the gate: passed once, never
#     wrapped twice);
#   - an encrypted message made for someone else's key.
# The provider is an smtp-sink; every message it holds is checked: none has
# a plaintext body, each decrypts with the recipient's key to the signed
# layer (never to another encrypted layer).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 20
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
R=praxis-rsa@$D
KIMADDR=$KIM_GATE_ADDR
STRIP=$top_builddir/tests/codec/cms_strip
kim_dir_up
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
K=$PKI/klinikum
mconf=$(kim_gate_milter_conf)
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }
PFC=$(pf_dir pf)/etc
A=arzt@klinik.example

# msg N [EXTRA HEADER...] - a small plaintext message with marker "Klartext N"
msg()
{
	local n=$1 f=$KIM_T/leak$1.eml
	shift
	printf '%s\r\n' "From: <$A>" "To: <$R>" "Subject: Leak $n" \
	    "Message-ID: <leak-$n@klinik.example>" "$@" '' "Klartext $n" >"$f"
	echo "$f"
}
# prov_has_id ID - the provider holds a message with this Message-ID
prov_has_id() { grep -l "^Message-ID: <$1>" "$KIM_T"/sink-prov/m.* >/dev/null 2>&1; }
# plaintext_at_provider - any provider message that shows a marker
plaintext_at_provider() { grep -l 'Klartext' "$KIM_T"/sink-prov/m.* >/dev/null 2>&1; }
# inner ID - decrypt the provider's message ID with the recipient's key and
# print the signed content (openssl as the judge); fails on a second layer
inner()
{
	local f
	f=$(grep -l "^Message-ID: <$1>" "$KIM_T"/sink-prov/m.* | head -1)
	[ -n "$f" ] || return 1
	sink_message "$f" | tr -d '\r' | awk 'h {print} /^$/ {h=1}' |
	    openssl base64 -d | "$STRIP" >"$KIM_T/in.der" &&
	    openssl cms -decrypt -inform DER -in "$KIM_T/in.der" \
	    -inkey "$PKI/praxis-rsa/enc-rsa.key" -recip "$PKI/praxis-rsa/enc-rsa.pem" \
	    -out "$KIM_T/in.ent" 2>/dev/null &&
	    grep -aq 'smime-type=signed-data' "$KIM_T/in.ent" &&
	    "$STRIP" --body <"$KIM_T/in.ent" >"$KIM_T/in.sd" &&
	    openssl cms -verify -inform DER -in "$KIM_T/in.sd" \
	    -CAfile "$PKI/anchors.pem" -out - 2>/dev/null
}
# until_prov ID - flush until the provider holds ID (60 s)
until_prov()
{
	local i=0
	while ! prov_has_id "$1"; do
		flush pf
		i=$((i + 1))
		[ $i -ge 30 ] && return 1
		sleep 2
	done
}

# --- an alias that expands to a KIM address --------------------------------
printf 'kollegin@klinik.example\t%s\n' "$R" >>"$PFC/kim_virtual"
pf_reload pf
f=$(msg 1)
sed -i "s|^To: .*|To: <kollegin@klinik.example>|" "$f"
send "$PF_FRONT_PORT" $A kollegin@klinik.example "$f"
ok "alias to a KIM address: the message reaches the provider" until_prov leak-1@klinik.example
ok "alias: encrypted, and the recipient's key opens it" eval 'inner leak-1@klinik.example | grep -q "Klartext 1"'

# --- sendmail(1): no front milter, still the gate --------------------------
f=$(msg 2)
sendmail -C "$PFC" -f "$A" "$R" <"$f"
ok "sendmail(1): the message reaches the provider" until_prov leak-2@klinik.example
ok "sendmail(1): encrypted" eval 'inner leak-2@klinik.example | grep -q "Klartext 2"'


# --- the hold queue ------------------------------------------------------
stop_milter
f=$(msg 4)
sendmail -C "$PFC" -f "$A" "$R" <"$f"
kim_wait 30 eval 'queue_list pf | grep -q "leak-4\|4.7.1\|$R"'
postsuper -c "$PFC" -h ALL >/dev/null 2>&1
ok "held: the message sits in the hold queue" \
    kim_wait 10 eval 'queue_list pf | grep -q "\"queue_name\": \"hold\""'
start_milter "$mconf" || echo "# milter did not restart"
postsuper -c "$PFC" -H ALL >/dev/null 2>&1
ok "released from hold: it reaches the provider" until_prov leak-4@klinik.example
ok "released from hold: encrypted" eval 'inner leak-4@klinik.example | grep -q "Klartext 4"'

# --- forged KIM headers on a plaintext body --------------------------------
f=$(msg 5 'X-KOM-LE-Version: 1.0' 'MIME-Version: 1.0' \
    'Content-Type: application/pkcs7-mime; smime-type=authenticated-enveloped-data; name=smime.p7m' \
    'Content-Transfer-Encoding: base64')
send "$PF_FRONT_PORT" $A "$R" "$f"
ok "forged KIM headers: the message reaches the provider" until_prov leak-5@klinik.example
ok "forged KIM headers, plaintext body: encrypted like any plaintext" \
    eval 'inner leak-5@klinik.example | grep -q "Klartext 5"'

# --- postsuper -r ALL before encryption ------------------------------------
stop_milter
f=$(msg 6)
sendmail -C "$PFC" -f "$A" "$R" <"$f"
kim_wait 30 eval 'queue_list pf | grep -q "$R"'
postsuper -c "$PFC" -r ALL >/dev/null 2>&1
start_milter "$mconf" || echo "# milter did not restart"
ok "postsuper -r before encryption: it reaches the provider" until_prov leak-6@klinik.example
ok "... encrypted once" eval 'inner leak-6@klinik.example | grep -q "Klartext 6"'

# --- postsuper -r ALL after encryption (provider down) ---------------------
kill "$SINK_PID_prov" 2>/dev/null
wait "$SINK_PID_prov" 2>/dev/null
f=$(msg 7)
send "$PF_FRONT_PORT" $A "$R" "$f"
encrypted_waiting() { grep -q 'leak-7@klinik.example.*decision=kim\|decision=kim reason="kim message-id=<leak-7@' "$KIM_T/milter/log" && [ "$(queue_count pf)" -ge 1 ]; }
ok "provider down: the encrypted message waits in the queue" kim_wait 60 encrypted_waiting
postsuper -c "$PFC" -r ALL >/dev/null 2>&1
# the provider comes back on the same port
smtp-sink -u postfix -d "$KIM_T/sink-prov/m." "127.0.0.1:$SINK_PORT_prov" 256 \
    >>"$KIM_T/sink-prov.log" 2>&1 &
SINK_PID_prov=$!
KIM_PIDS="$KIM_PIDS $SINK_PID_prov"
ok "postsuper -r after encryption: it reaches the provider" until_prov leak-7@klinik.example
ok "... through the gate again, which passed it as our own KIM message" \
    grep -q 'already a KIM message, passed unchanged: sender='"$KIMADDR" "$KIM_T/milter/log"
ok "... never wrapped twice: one decryption gives the signed layer" \
    eval 'inner leak-7@klinik.example | grep -q "Klartext 7"'

# --- an encrypted message made for someone else -------------------------
# a KIM message encrypted for the klinikum's own key only, addressed to the
# praxis: the gate must not pass it (it is not for its recipient)
f7=$KIM_T/other.eml
printf '%s\r\n' "From: <$KIMADDR>" "To: <$R>" 'Subject: x' \
    'Message-ID: <leak-8@klinik.example>' '' 'Klartext 8' |
    "$KIM_KIMCTL" encode --key "$K/osig-rsa.key" --cert "$K/osig-rsa.pem" \
    --sender-cert "$K/enc-rsa.pem" \
    --recipient-cert "kasse-a@kasse.kim.telematik-test=$PKI/kasse-a/enc-rsa.pem" \
    >"$f7" 2>"$KIM_T/enc8.err"
send "$PF_FRONT_PORT" $A "$R" "$f7"
other_refused() { grep -q 'an encrypted message that cannot pass the gate: it is encrypted for kasse-a@kasse.kim.telematik-test' "$KIM_T/milter/log"; }
ok "an encrypted message for someone else's key is refused at the gate" \
    kim_wait 30 other_refused
ok "... and did not reach the provider" eval '! prov_has_id leak-8@klinik.example'

# --- a delivery report to a KIM address (null sender) ----------------------
# "sendmail -bv" mails a report from MAILER-DAEMON to the sender: a
# bounce-like message addressed to a KIM address
sendmail -C "$PFC" -f "$R" -bv b@example.net </dev/null
dsn_refused() { grep -q 'role=gate.*decision=reject reason="mail with the null sender' "$KIM_T/milter/log" && pf_log pf | grep -q "to=<$R>.*status=bounced"; }
ok "a delivery report (null sender) to a KIM address is refused at the gate (default policy)" \
    kim_wait 90 eval 'flush pf; dsn_refused'
ok "... and nothing of it reached the provider" eval '! grep -l "^From: MAILER-DAEMON" "$KIM_T"/sink-prov/m.* >/dev/null 2>&1'

ok "never plaintext at the provider" eval '! plaintext_at_provider'
