#!/bin/bash
# t_inbound_roundtrip.sh - KIM messages made by our encoder (kimctl encode,
# the gate's codec) with the test PKI's klinikum card keys and the real
# directory stack (slapd + Redis) are fed into the inbound listener of a
# real Postfix: RSA and ECC arrive with the original inner bytes, 00, and
# 01 with a local `openssl ocsp` responder answering good, 07 without it
# (soft), 05 when it answers revoked, a tempfail under hard until it is
# back; a forged sender (valid card, other Telematik-ID) gets the
# security-violation mail with the reason logged; forged result and route
# headers inside the encrypted message are removed; A_2045; directory down
# is a tempfail.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 43
OCSP_PID=
trap 'rc=$?; [ -n "$OCSP_PID" ] && kill $OCSP_PID 2>/dev/null; dir_cleanup; (exit $rc); kim_teardown' EXIT
command -v openssl >/dev/null || kim_skip_all "openssl not installed"

D=aerzte.kim.telematik-test
FROM=kardiologie@klinikum-nord.kim.telematik-test
RSA_TO=praxis-rsa@$D
ECC_TO=praxis-ecc@$D
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
OCSP_PORT=$(kim_port)
# our KIM addresses are delivered to the practice's mailboxes (as
# contrib's kim_virtual says), here on the internet sink; without this
# inbound mail would loop to the provider
printf '%s %s\n' "$RSA_TO" praxis-rsa@praxis.example \
    "$ECC_TO" praxis-ecc@praxis.example >>"$(pf_dir pf)/etc/kim_virtual"
pf_reload pf

# ocsp_start CA [revoked|good [SIGNER]] - openssl's responder for one
# SMC-B CA (rsa|ecc), signing with the CA's delegated responder or SIGNER
# (a PKI service directory); with "revoked" the klinikum's OSIG
# certificates are marked revoked
ocsp_start() {
	local ca=$1 idx=$KIM_T/ocsp-$1.idx rs=${3:-ocsp-$1}
	ocsp_stop
	cp "$PKI/ca/db/smcb-ca-$ca/index.txt" "$idx"
	# two certificates of one subject (RSA and ECC OSIG): unique_subject=no
	cp "$PKI/ca/db/smcb-ca-$ca/index.txt.attr" "$idx.attr"
	[ "$2" = revoked ] &&
	    sed -i '/O=5-2-KH-KLINIKUM-01/s/^V\t\([0-9Z]*\)\t\t/R\t\1\t250601000000Z,keyCompromise\t/' "$idx"
	openssl ocsp -index "$idx" -port "$OCSP_PORT" \
	    -CA "$PKI/ca/smcb-ca-$ca.pem" -rsigner "$PKI/$rs/$rs.pem" \
	    -rkey "$PKI/$rs/$rs.key" -nmin 60 -ignore_err \
	    >>"$KIM_T/ocsp.log" 2>&1 &
	OCSP_PID=$!
	kim_wait 10 port_listening "$OCSP_PORT"
}
ocsp_stop() {
	[ -n "$OCSP_PID" ] || return 0
	kill "$OCSP_PID" 2>/dev/null
	wait "$OCSP_PID" 2>/dev/null
	OCSP_PID=
}

# the receiving practice: its ENC keys on soft cards, our KIM addresses
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
P=$PKI
mconf_with() {	# extra lines
	kim_milter_conf "${extra[@]}" \
	    "LocalKimAddresses $RSA_TO $ECC_TO" \
	    "Card praxrsa pool=praxis-rsa backend=soft key=$P/praxis-rsa/enc-rsa.key cert=$P/praxis-rsa/enc-rsa.pem" \
	    "Card praxecc pool=praxis-ecc backend=soft key=$P/praxis-ecc/enc-ecc.key cert=$P/praxis-ecc/enc-ecc.pem" \
	    "OCSPResponder http://127.0.0.1:$OCSP_PORT/" "OCSPTimeout 3s" "$@"
}
start_milter "$(mconf_with 'RevocationCheck soft')" ||
    { echo "Bail out! milter did not start"; exit 1; }

# mk KEYTYPE SIGNER TO FILE [EXTRA HEADER...] - a KIM message from FROM,
# signed with SIGNER's OSIG key of KEYTYPE, encrypted through the directory
mk() {
	local kt=$1 signer=$2 to=$3 out=$4 plain=$4.plain
	shift 4
	printf '%s\r\n' "From: Kardiologie <$FROM>" "To: <$to>" \
	    'Subject: Befund' 'Date: Sat, 28 Nov 2026 12:00:00 +0100' \
	    "Message-ID: <rt-$RANDOM$RANDOM@klinikum.example>" \
	    'X-KIM-Dienstkennung: KIM-Mail;Default;V1.0' "$@" \
	    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8' '' \
	    'Der Befund liegt bei.' >"$plain"
	"$KIMCTL" -c "$CONF" encode --key "$P/$signer/osig-$kt.key" \
	    --cert "$P/$signer/osig-$kt.pem" --recipient "$to" <"$plain" \
	    >"$out" 2>"$out.err"
}
# deliver TO FILE - through the inbound listener to the internet sink
deliver() {
	sink_clear inet
	send "$PF_INBOUND_PORT" "$FROM" "$1" "$2" && wait_for_sink inet 1 30 &&
	    sink_message "$(sink_files inet | head -1)" | tr -d '\r' >"$KIM_T/got"
}
# inner_is FILE - the delivered message is the original plus our result
# headers and the X-KIM-Middleware header the encoder adds (kim-format.md 2)
inner_is() {
	sink_body_below_received "$(sink_files inet | head -1)" | tr -d '\r' |
	    grep -v '^X-KIM-\(DecryptionResult\|IntegrityCheckResult\|Middleware\): ' \
	    >"$KIM_T/inner"
	tr -d '\r' <"$1.plain" | diff - "$KIM_T/inner" >&2
}
res() { grep -q "^X-KIM-DecryptionResult: $1\$" "$KIM_T/got" &&
    grep -q "^X-KIM-IntegrityCheckResult: $2\$" "$KIM_T/got"; }

# --- RSA: good, no responder, revoked ---------------------------------
ocsp_start rsa
ok "RSA: kimctl encode signs with the klinikum's RSA key" mk rsa klinikum $RSA_TO "$KIM_T/r1"
ok "RSA: delivered through the inbound listener" deliver $RSA_TO "$KIM_T/r1"
ok "RSA: the original inner bytes arrive" inner_is "$KIM_T/r1"
ok "RSA: 00 and 01 with the OCSP responder answering good" res 00 01
ok "the outer Received header is kept" \
    eval 'sink_message "$(sink_files inet | head -1)" | grep -q "^Received: from kimtest.localdomain"'
ok "kimctl revocation asks the same responder: good" \
    eval '"$KIMCTL" -c "$(mconf_with)" revocation "$P/klinikum/osig-rsa.pem" |
    grep -q "^good (RevocationCheck soft): OCSP: good"'
ocsp_stop
ok "kimctl revocation, responder down: unknown, exit 69" \
    eval '"$KIMCTL" -c "$(mconf_with)" revocation "$P/klinikum/osig-rsa.pem" >"$KIM_T/rv";
    [ $? = 69 ] && grep -q "^unknown (RevocationCheck soft, passing trouble): OCSP responder" "$KIM_T/rv"'
mk rsa klinikum $RSA_TO "$KIM_T/r2"
ok "RSA, responder down (soft): delivered" deliver $RSA_TO "$KIM_T/r2"
ok "... with 00 and 07, the original inner bytes" eval 'res 00 07 && inner_is "$KIM_T/r2"'
ocsp_start rsa revoked
mk rsa klinikum $RSA_TO "$KIM_T/r3"
ok "RSA, signer revoked: delivered" deliver $RSA_TO "$KIM_T/r3"
ok "kimctl revocation: revoked, exit 1" \
    eval '"$KIMCTL" -c "$(mconf_with)" revocation "$P/klinikum/osig-rsa.pem" >"$KIM_T/rv";
    [ $? = 1 ] && grep -q "^revoked .*keyCompromise" "$KIM_T/rv"'
ok "... as the security-violation mail with 00 and 05" \
    eval 'res 00 05 && grep -q "^Subject: =?UTF-8?Q?Sicherheitswarnung" "$KIM_T/got" &&
    grep -q "^Grund: signer certificate revoked: OCSP: revoked" "$KIM_T/got"'
ok "... the decrypted message attached as message/rfc822" \
    eval 'grep -q "^Content-Type: message/rfc822" "$KIM_T/got" &&
    grep -q "^Der Befund liegt bei.$" "$KIM_T/got"'

# --- ECC ----------------------------------------------------------------
ocsp_start ecc
ok "ECC: kimctl encode signs with the klinikum's ECC key" mk ecc klinikum $ECC_TO "$KIM_T/e1"
ok "ECC: delivered through the inbound listener" deliver $ECC_TO "$KIM_T/e1"
ok "ECC: the original inner bytes arrive with 00 and 01" \
    eval 'res 00 01 && inner_is "$KIM_T/e1"'
ocsp_start ecc revoked
mk ecc klinikum $ECC_TO "$KIM_T/e2"
deliver $ECC_TO "$KIM_T/e2"
ok "ECC, signer revoked: 05" res 00 05

# --- forged sender ------------------------------------------------------
ocsp_start rsa
ok "forged sender: the practice's valid card signs a mail From the klinikum" \
    mk rsa praxis $RSA_TO "$KIM_T/f1"
ok "forged sender: delivered" deliver $RSA_TO "$KIM_T/f1"
ok "... flagged: 00 and 06, the security-violation mail names the forged sender" \
    eval 'res 00 06 && grep -q "^Grund: sender binding: signer Telematik-ID 1-2-ARZT-PRAXIS-01 is not 5-2-KH-KLINIKUM-01" "$KIM_T/got"'
ok "... and the reason is logged" \
    grep -q "forged sender" "$KIM_T/milter/log"

# --- forged headers inside the encrypted message ------------------------
mk rsa klinikum $RSA_TO "$KIM_T/h1" 'X-KIM-DecryptionResult: 00' \
    'X-KIM-IntegrityCheckResult: 01' 'X-Kimgate-Route: kardiologie'
ok "forged result and route headers inside: delivered" deliver $RSA_TO "$KIM_T/h1"
ok "... once, with our result headers only, no route header" \
    eval '[ "$(grep -c "^X-KIM-DecryptionResult:" "$KIM_T/got")" = 1 ] &&
    [ "$(grep -c "^X-KIM-IntegrityCheckResult:" "$KIM_T/got")" = 1 ] &&
    res 00 01 && ! grep -qi "^X-Kimgate-Route" "$KIM_T/got" &&
    [ "$(sink_count prov)" = 0 ]'

# --- tampered ciphertext, outer/inner header mismatch ------------------
mk rsa klinikum $RSA_TO "$KIM_T/x1"
# one base64 character in the middle of the body changed
awk 'hdr && NR == n { c = substr($0, 10, 1); $0 = substr($0, 1, 9) (c == "A" ? "B" : "A") substr($0, 11) }
    /^\r?$/ && !hdr { hdr = 1; n = NR + 20 } { print }' "$KIM_T/x1" >"$KIM_T/x2"
cp "$KIM_T/x1.plain" "$KIM_T/x2.plain"
ok "tampered ciphertext: delivered" deliver $RSA_TO "$KIM_T/x2"
ok "... as the decryption-failure mail with 02 and the original" \
    eval 'grep -q "^X-KIM-DecryptionResult: 02$" "$KIM_T/got" &&
    grep -q "^X-KOM-LE-Version" "$KIM_T/got" && ! grep -q "Der Befund" "$KIM_T/got"'
sed '0,/^To: /s/^To: .*/To: <praxis-ecc@aerzte.kim.telematik-test>\r/' "$KIM_T/x1" >"$KIM_T/x3"
ok "outer To differs from the signed inner To: delivered" deliver $RSA_TO "$KIM_T/x3"
ok "... as the security-violation mail with 00 and 08" \
    eval 'res 00 08 && grep -q "^Grund: outer To header differs" "$KIM_T/got"'

# --- A_2045: two local recipients, encrypted for one --------------------
mk rsa klinikum $RSA_TO "$KIM_T/a1"
sink_clear inet
send "$PF_INBOUND_PORT" "$FROM" "$RSA_TO,$ECC_TO" "$KIM_T/a1"
wait_for_sink inet 1 30
sink_message "$(sink_files inet | head -1)" | tr -d '\r' >"$KIM_T/got"
ok "A_2045: not encrypted for every local recipient: the decryption-failure mail (01)" \
    eval 'grep -q "^X-KIM-DecryptionResult: 01$" "$KIM_T/got" &&
    ! grep -q "^X-KIM-IntegrityCheckResult" "$KIM_T/got" &&
    grep -q "^Subject: =?UTF-8?Q?Die_Nachricht_konnte_nicht_entschl=C3=BCsselt_werden?=$" "$KIM_T/got"'
ok "... carrying the encrypted original, no plaintext" \
    eval 'grep -q "^X-KOM-LE-Version" "$KIM_T/got" && ! grep -q "Der Befund" "$KIM_T/got"'

# --- two local recipients, both encrypted for: decrypted once for both ---
printf '%s\r\n' "From: Kardiologie <$FROM>" "To: <$RSA_TO>, <$ECC_TO>" \
    'Subject: Befund' "Message-ID: <rt-two-$RANDOM@klinikum.example>" \
    'X-KIM-Dienstkennung: KIM-Mail;Default;V1.0' '' 'Der Befund liegt bei.' \
    >"$KIM_T/b1.plain"
"$KIMCTL" -c "$CONF" encode --key "$P/klinikum/osig-rsa.key" \
    --cert "$P/klinikum/osig-rsa.pem" --recipient "$RSA_TO" \
    --recipient "$ECC_TO" <"$KIM_T/b1.plain" >"$KIM_T/b1" 2>"$KIM_T/b1.err"
sink_clear inet
send "$PF_INBOUND_PORT" "$FROM" "$RSA_TO,$ECC_TO" "$KIM_T/b1"
ok "two local recipients named in recipient-emails: both mailboxes get it" \
    eval 'wait_for_sink inet 1 30 && f=$(sink_files inet | head -1) &&
    grep -q "^X-Rcpt-Args: <praxis-rsa@praxis.example>" "$f" &&
    grep -q "^X-Rcpt-Args: <praxis-ecc@praxis.example>" "$f"'
sink_message "$(sink_files inet | head -1)" | tr -d '\r' >"$KIM_T/got"
ok "... decrypted once (00, 01)" \
    eval 'res 00 01 && inner_is "$KIM_T/b1"'

# --- hard: responder down is a tempfail, then delivered ---------------
stop_milter
start_milter "$(mconf_with 'RevocationCheck hard')" ||
    { echo "Bail out! milter did not restart"; exit 1; }
ocsp_stop
mk rsa klinikum $RSA_TO "$KIM_T/t1"
sink_clear inet
send "$PF_INBOUND_PORT" "$FROM" "$RSA_TO" "$KIM_T/t1"
rc=$?
ok "hard, responder down: 451, nothing delivered" \
    eval '[ $rc != 0 ] && tail -30 "$KIM_T/swaks.log" | grep -q "<\*\* *451 4.7.0" &&
    [ "$(sink_count inet)" = 0 ]'
ocsp_start rsa
ok "hard: the retry after the responder is back is delivered with 01" \
    eval 'deliver $RSA_TO "$KIM_T/t1" && res 00 01 && inner_is "$KIM_T/t1"'

# --- a responder the CA did not delegate: trusted only when configured --
# (the TI's responders may be listed in the TSL instead: OCSP_TRUSTOTHER)
stop_milter
start_milter "$(mconf_with 'RevocationCheck soft')" ||
    { echo "Bail out! milter did not restart"; exit 1; }
ocsp_start rsa good tls-server
mk rsa klinikum $RSA_TO "$KIM_T/o1"
ok "foreign responder certificate, not configured: delivered" deliver $RSA_TO "$KIM_T/o1"
ok "... its answer does not count: 07 (soft)" \
    eval 'res 00 07 && grep -q "OCSP answer signature does not verify" "$KIM_T/milter/log"'
stop_milter
start_milter "$(mconf_with 'RevocationCheck soft' "OCSPResponderCerts $PKI/tls-server/tls-server.pem")" ||
    { echo "Bail out! milter did not restart"; exit 1; }
mk rsa klinikum $RSA_TO "$KIM_T/o2"
ok "the same responder in OCSPResponderCerts: delivered" deliver $RSA_TO "$KIM_T/o2"
ok "... with 01" res 00 01

# --- CRL files answer without OCSP ---------------------------------------
# mkcrl OUT [revoke] - a CRL of the RSA SMC-B CA from a copy of its database
mkcrl() {
	local db=$KIM_T/crldb.$RANDOM
	cp -r "$PKI/ca/db/smcb-ca-rsa" "$db"
	sed "s|^dir = .*|dir = $db|" "$PKI/ca/db/smcb-ca-rsa/ca.cnf" >"$db/ca.cnf"
	if [ "$2" = revoke ]; then
		openssl ca -config "$db/ca.cnf" -keyfile "$PKI/ca/smcb-ca-rsa.key" \
		    -cert "$PKI/ca/smcb-ca-rsa.pem" -revoke "$PKI/klinikum/osig-rsa.pem" \
		    -crl_reason keyCompromise >>"$KIM_T/crl.log" 2>&1 || return 1
	fi
	openssl ca -config "$db/ca.cnf" -keyfile "$PKI/ca/smcb-ca-rsa.key" \
	    -cert "$PKI/ca/smcb-ca-rsa.pem" -gencrl -crldays 1 -out "$1" \
	    >>"$KIM_T/crl.log" 2>&1
}
ocsp_stop
ok "CRLs of the RSA SMC-B CA: one without entries, one listing the klinikum" \
    eval 'mkcrl "$KIM_T/empty.crl" && mkcrl "$KIM_T/revoked.crl" revoke'
stop_milter
start_milter "$(mconf_with 'RevocationCheck hard' "CRLFiles $KIM_T/empty.crl")" ||
    { echo "Bail out! milter did not restart"; exit 1; }
mk rsa klinikum $RSA_TO "$KIM_T/c1"
ok "a current CRL without the signer answers (hard, no OCSP): 01" \
    eval 'deliver $RSA_TO "$KIM_T/c1" && res 00 01'
stop_milter
start_milter "$(mconf_with 'RevocationCheck soft' "CRLFiles $KIM_T/revoked.crl")" ||
    { echo "Bail out! milter did not restart"; exit 1; }
mk rsa klinikum $RSA_TO "$KIM_T/c2"
ok "a CRL listing the signer: delivered" deliver $RSA_TO "$KIM_T/c2"
ok "... as the security-violation mail with 05" \
    eval 'res 00 05 && grep -q "^Grund: signer certificate revoked: listed in a CRL" "$KIM_T/got"'

# --- directory down: the sender binding cannot be checked: tempfail -----
stop_milter
start_milter "$(mconf_with 'RevocationCheck off')" ||
    { echo "Bail out! milter did not restart"; exit 1; }
stop_redis
stop_slapd
mk_pre=$KIM_T/d1
cp "$KIM_T/r1" "$mk_pre"; cp "$KIM_T/r1.plain" "$mk_pre.plain"
sink_clear inet
send "$PF_INBOUND_PORT" "$FROM" "$RSA_TO" "$mk_pre"
rc=$?
ok "directory down: 451 4.4.3, nothing delivered" \
    eval '[ $rc != 0 ] && tail -30 "$KIM_T/swaks.log" | grep -q "<\*\* *451 4.4.3" &&
    [ "$(sink_count inet)" = 0 ]'
ok "no 5xx was ever answered on the inbound listener" \
    eval '! grep -q "<\*\* *5[0-9][0-9]" "$KIM_T/swaks.log"'
