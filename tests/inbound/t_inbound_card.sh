#!/bin/bash
# t_inbound_card.sh - the inbound listener deciphers with the virtual SMC-B
# of the receiving practice behind a private pcscd (PC/SC backend): a KIM
# message encrypted for its ECC and RSA certificates arrives decrypted
# (00, 07 without revocation checking); with the card removed the message
# is tempfailed (451), nothing is delivered, and the retry after the card
# is back is delivered decrypted; the RecipientInfo of another card's key
# gives the decryption-failure mail.
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
kim_init 9
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
TO=praxis@$D
FROM=kardiologie@klinikum-nord.kim.telematik-test
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
pcsc_start "$KIM_T/pcsc" || { echo "Bail out! no private pcscd"; exit 1; }
export PCSCLITE_CSOCK_NAME

VCARD_KEYS=$PKI/praxis
VCARD_STATE=$KIM_T/vcard.state
VCARD_LOG=$KIM_T/vcard.log
VCARD_PIN=$KIM_T/pin
printf '123456\n' >"$KIM_T/pin"
chmod 600 "$KIM_T/pin"
vcard_start
vcard_ready || { echo "Bail out! the virtual card did not show up"; exit 1; }

kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
printf '%s %s\n' "$TO" praxis@praxis.example >>"$(pf_dir pf)/etc/kim_virtual"
pf_reload pf
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${extra[@]}" "LocalKimAddresses $TO" \
    "Card smcb pool=praxis backend=pcsc reader=\"Virtual PCD 00 00\" pin-file=$KIM_T/pin state-file=$KIM_T/card.state" \
    "RevocationCheck off")
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

mk() {	# ENCRYPT-TO OUT
	printf '%s\r\n' "From: Kardiologie <$FROM>" "To: <$TO>" \
	    'Subject: Befund' "Message-ID: <card-$RANDOM$RANDOM@klinikum.example>" \
	    'X-KIM-Dienstkennung: KIM-Mail;Default;V1.0' '' \
	    'Der Befund liegt bei.' >"$2.plain"
	"$KIMCTL" -c "$CONF" encode --key "$PKI/klinikum/osig-ecc.key" \
	    --cert "$PKI/klinikum/osig-ecc.pem" --recipient "$TO" \
	    --encrypt-to "$1" <"$2.plain" >"$2" 2>"$2.err"
}
deliver() {
	sink_clear inet
	send "$PF_INBOUND_PORT" "$FROM" "$TO" "$1" && wait_for_sink inet 1 30 &&
	    sink_message "$(sink_files inet | head -1)" | tr -d '\r' >"$KIM_T/got"
}
res() { grep -q "^X-KIM-DecryptionResult: $1\$" "$KIM_T/got" &&
    grep -q "^X-KIM-IntegrityCheckResult: $2\$" "$KIM_T/got"; }

mk ecc-preferred "$KIM_T/m1"
ok "ECC RecipientInfo: the card deciphers (ELC), delivered" deliver "$KIM_T/m1"
ok "... 00 and 07 (RevocationCheck off), the text arrives" \
    eval 'res 00 07 && grep -q "^Der Befund liegt bei.$" "$KIM_T/got"'
mk all "$KIM_T/m2"
ok "RSA and ECC RecipientInfos: delivered" deliver "$KIM_T/m2"
ok "... 00 and 07" res 00 07

# --- card removed: 451, nothing delivered; back: delivered --------------
vcard_stop
mk ecc-preferred "$KIM_T/m3"
sink_clear inet
send "$PF_INBOUND_PORT" "$FROM" "$TO" "$KIM_T/m3"
rc=$?
ok "card removed: 451, the mail is not taken" \
    eval '[ $rc != 0 ] && tail -30 "$KIM_T/swaks.log" | grep -q "<\*\* *451 "'
sleep 1
ok "card removed: nothing was delivered" test "$(sink_count inet)" = 0
vcard_start
vcard_ready
ok "card back: the retry is delivered decrypted" \
    eval 'deliver "$KIM_T/m3" && res 00 07 && grep -q "^Der Befund liegt bei.$" "$KIM_T/got"'
ok "the milter logged the card's reason for the tempfail" \
    grep -q 'role=inbound.*decision=tempfail.*card' "$KIM_T/milter/log"
ok "no 5xx was ever answered on the inbound listener" \
    eval '! grep -q "<\*\* *5[0-9][0-9]" "$KIM_T/swaks.log"'
