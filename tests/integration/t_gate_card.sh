#!/bin/bash
# t_gate_card.sh - outbound KIM through the real Postfix gate with the
# virtual SMC-B behind a private pcscd (PC/SC backend), the real directory
# stack, and the card's failure classes as a mail admin would meet them:
#   - ECC first: the card has an ECC OSIG key, so the signature is ECDSA
#     brainpoolP256r1; an ECC-only recipient reads it with our decoder and
#     its key, an RSA recipient with openssl cms (which also verifies the
#     ECDSA signature);
#   - a card slower than the gate's short milter content_timeout: the
#     milter's smfi_progress keeps the transaction alive (without progress
#     Postfix would give up and this test fails);
#   - card removed, pcscd stopped: 4xx, the mail stays queued and leaves
#     encrypted once the card is back; never plaintext at the provider;
#   - a wrong PIN: the card's retry counter is spent once, never again,
#     every message stays queued, and kimctl card status says why.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
. "$top_srcdir/tests/pcsc/pcscd_harness.sh"
VCARD_PID=
dir_cleanup()
{
	[ -n "$VCARD_PID" ] && kill "$VCARD_PID" 2>/dev/null
	pcsc_stop
	cleanup
}
. "$top_srcdir/tests/integration/lib.sh"
if ! why=$(pcsc_usable); then
	echo "1..0 # SKIP $why"
	exit 0
fi
kim_init 20
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=$KIM_GATE_ADDR
STRIP=$top_builddir/tests/codec/cms_strip
kim_dir_up
pcsc_start "$KIM_T/pcsc" || { echo "Bail out! no private pcscd"; exit 1; }
export PCSCLITE_CSOCK_NAME

# the virtual SMC-B of the klinikum (its keys from the test PKI) behind
# the private pcscd (tests/pcsc/pcscd_harness.sh: vcard_start ...)
VCARD_KEYS=$PKI/klinikum
VCARD_STATE=$KIM_T/vcard.state
VCARD_LOG=$KIM_T/vcard.log
VCARD_PIN=$KIM_T/probe.pin
printf '123456\n' >"$KIM_T/probe.pin"
chmod 600 "$KIM_T/probe.pin"
vcard_start
vcard_ready || { echo "Bail out! the virtual card did not show up"; exit 1; }
printf '123456\n' >"$KIM_T/pin"
chmod 600 "$KIM_T/pin"

kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
# the gate's own milter setting: a short content_timeout, so that only
# smfi_progress lets a slow card finish
gsvc="127.0.0.1:$PF_GATE_PORT/inet"
gm=$(pf_postconf pf -Ph "$gsvc/smtpd_milters")
case $gm in
*default_action=tempfail*) ;;
*) echo "Bail out! the gate's smtpd_milters is not as shipped: $gm"; exit 1 ;;
esac
pf_postconf pf -P "$gsvc/smtpd_milters=${gm%\}}, content_timeout=4s}"
pf_reload pf

mconf=$(kim_gate_milter_conf "GateTimeout 60s")
sed -i "s|^Card testcard .*|Card smcb pool=klinik backend=pcsc reader=\"Virtual PCD 00 00\" pin-file=$KIM_T/pin state-file=$KIM_T/card.state|" "$mconf"
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

A=arzt@klinik.example
n_prov() { sink_count prov; }
# delivered N - flush the queue until the provider holds N messages (90 s)
delivered()
{
	local i=0
	while [ $i -lt 9 ]; do
		flush pf
		wait_for_sink prov "$1" 10 && return 0
		i=$((i + 1))
	done
	return 1
}
# mail N RCPT - a small message numbered N
mail()
{
	local f=$KIM_T/m$1.eml
	printf '%s\r\n' "From: <$A>" "To: <$2>" "Subject: Karte $1" \
	    "Message-ID: <card-$1@klinik.example>" '' "Inhalt $1" >"$f"
	send "$PF_FRONT_PORT" $A "$2" "$f"
}
# plaintext_at_provider - any provider message with a plaintext body?
plaintext_at_provider()
{
	grep -l 'Inhalt ' "$KIM_T"/sink-prov/m.* 2>/dev/null | grep -q .
}

# --- ECC: the card signs with its ECC OSIG key -----------------------------
mail 1 "praxis-ecc@$D"
ok "ECC recipient: the message reaches the provider" wait_for_sink prov 1 60
f=$(sink_files prov | head -1)
sink_message "$f" >"$KIM_T/o1"
P=$PKI/praxis-ecc
ok "ECC recipient decodes it with its key: 00, the inner message" \
    eval '"$KIM_KIMCTL" decode --key "$P/enc-ecc.key" --cert "$P/enc-ecc.pem" --address praxis-ecc@$D --trust "$PKI/anchors.pem" --output message <"$KIM_T/o1" >"$KIM_T/i1" 2>"$KIM_T/d1.err" && grep -q "^Inhalt 1" "$KIM_T/i1"'
ok "the signer is the card's ECC OSIG certificate, the signature ECDSA (openssl reads the signed layer)" \
    eval '"$KIM_KIMCTL" decode --key "$P/enc-ecc.key" --cert "$P/enc-ecc.pem" --address praxis-ecc@$D --output decrypted <"$KIM_T/o1" 2>/dev/null | "$STRIP" --body >"$KIM_T/sd1.der" && openssl cms -cmsout -print -inform DER -in "$KIM_T/sd1.der" | grep -q "ecdsa-with-SHA256" && openssl cms -verify -inform DER -in "$KIM_T/sd1.der" -noverify -signer "$KIM_T/signer1.pem" -out /dev/null 2>/dev/null && cmp <(openssl x509 -in "$KIM_T/signer1.pem" -outform DER) <(openssl x509 -in "$PKI/klinikum/osig-ecc.pem" -outform DER)'
mail 2 "praxis-rsa@$D"
ok "RSA recipient: the message reaches the provider" wait_for_sink prov 2 60
f=$(ls -t $(sink_files prov) | head -1)
sink_message "$f" | awk 'h {print} /^\r?$/ {h=1}' | openssl base64 -d |
    "$STRIP" >"$KIM_T/e2.der"
ok "openssl decrypts with the RSA recipient's key and verifies the card's ECDSA signature" \
    eval 'openssl cms -decrypt -inform DER -in "$KIM_T/e2.der" -inkey "$PKI/praxis-rsa/enc-rsa.key" -recip "$PKI/praxis-rsa/enc-rsa.pem" -out "$KIM_T/s2" && "$STRIP" --body <"$KIM_T/s2" >"$KIM_T/sd2.der" && openssl cms -verify -inform DER -in "$KIM_T/sd2.der" -CAfile "$PKI/anchors.pem" -out /dev/null && openssl cms -cmsout -print -inform DER -in "$KIM_T/sd2.der" | grep -q "ecdsa-with-SHA256"'

# --- a slow card: progress keeps Postfix waiting ---------------------------
vcard_stop
vcard_start -d 6000
vcard_ready
before=$(n_prov)
mail 3 "praxis-rsa@$D"
ok "a card slower than the gate's content_timeout (4 s): delivered, kept alive by progress" \
    wait_for_sink prov $((before + 1)) 120
ok "... and the milter sent progress (no milter timeout in Postfix's log)" \
    eval '! pf_log pf | grep -q "milter.*timeout"'
ok "... the card really was slow (the gate's work took over 5 s)" \
    eval 'grep "card-3@" "$KIM_T/milter/log" | grep -qE "time=([5-9]|[1-9][0-9])\."'
vcard_stop
vcard_start
vcard_ready

# --- card removed: 4xx, queued, delivered when it is back -----------------
vcard_stop
before=$(n_prov)
mail 4 "praxis-rsa@$D"
ok "card removed: the message is tempfailed with the card's reason" \
    kim_wait 60 eval 'queue_list pf | grep -q "451 4.3.0 .*card"'
ok "card removed: nothing reached the provider" test "$(n_prov)" -eq "$before"
vcard_start
vcard_ready
ok "card back: the queued message leaves encrypted" delivered $((before + 1))

# --- pcscd stopped: the same, then back -----------------------------------
vcard_stop
pcsc_stop
before=$(n_prov)
mail 5 "praxis-rsa@$D"
ok "pcscd stopped: the message is tempfailed and stays queued" \
    kim_wait 60 eval 'queue_list pf | grep -q "451 4.3.0 .*card"'
ok "pcscd stopped: nothing reached the provider" test "$(n_prov)" -eq "$before"
pcsc_launch || echo "# pcscd did not come back"
vcard_start
vcard_ready
ok "pcscd and card back: the queued message leaves encrypted" \
    delivered $((before + 1))

# --- wrong PIN: spent once, never again -----------------------------------
stop_milter
vcard_stop
rm -f "$KIM_T/vcard.state" "$KIM_T/card.state"
vcard_start
vcard_ready
printf '654321\n' >"$KIM_T/pin"
start_milter "$mconf" || echo "# milter did not start"
before=$(n_prov)
mail 6 "praxis-rsa@$D"
mail 7 "praxis-rsa@$D"
ok "wrong PIN: both messages stay queued with a card reason" \
    kim_wait 60 eval 'test "$(queue_list pf | grep -c "4.3.0 .*card\|5.7.0 .*card\|card pool")" -ge 2'
flush pf
sleep 3
ok "wrong PIN: nothing reached the provider" test "$(n_prov)" -eq "$before"
ok "wrong PIN: the card's retry counter was spent once (3 -> 2), not again" \
    eval 'test "$(cut -d" " -f1 "$KIM_T/vcard.state")" = 2'
ok "kimctl card status says the card is out of service because of the PIN" \
    eval 'kimctl card status 2>&1 | grep -qi "out of service.*pin\|pin.*refused\|not in service"'
ok "never plaintext at the provider" eval '! plaintext_at_provider'
ok "no PIN in any log" eval '! grep -rq "654321\|123456" "$KIM_T/milter/log" "$(pf_dir pf)/log"'
