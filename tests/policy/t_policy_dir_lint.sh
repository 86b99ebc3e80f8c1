#!/bin/sh
# t_policy_dir_lint.sh - kimctl policy lint and policy test with the real
# directory (private slapd with the VZD-like schema, private redis-server):
# the lint reports KIM addresses of policies the directory does not know or
# holds without a usable certificate, with file:line; policy test shows the
# directory's answer for each KIM recipient under the policy's
# On-NoCertificate / On-DirectoryError; a directory down says so.
. "$top_srcdir/tests/dir/harness.sh"

start_slapd || skip_all "slapd does not start"
start_redis || skip_all "redis-server does not start"
K=klinikum-nord.kim.telematik-test

# policy NAME KIMADDRESS - a policy file that sends as KIMADDRESS
policy()
{
	mkdir -p "$2"
	cat >"$2/$1.conf" <<EOT
# $1
Sender *@$1.klinikum-nord.example
KimSending yes
KimAddress $3
CardPool klinikum
EOT
}

policy kardiologie "$T/good" "kardiologie@$K"
policy radiologie "$T/good" "radiologie@$K"
policy kardiologie "$T/bad" "kardiologie@$K"
policy praxis "$T/bad" "expired@aerzte.kim.telematik-test"
policy unbekannt "$T/bad" "unbekannt@$K"
policy neu "$T/down" "neu@$K"
policy geduldig "$T/patient" "kardiologie@$K"
echo "On-NoCertificate tempfail" >>"$T/patient/geduldig.conf"
A=aerzte.kim.telematik-test

# the hospital's card (soft keys from the test PKI): its Telematik-ID is the
# one the directory lists for the klinikum addresses
KCARD="Card smcb1 pool=klinikum backend=soft osig-rsa-key=$PKI/klinikum/osig-rsa.key osig-rsa-cert=$PKI/klinikum/osig-rsa.pem osig-ecc-key=$PKI/klinikum/osig-ecc.key osig-ecc-cert=$PKI/klinikum/osig-ecc.pem"
write_conf "$KCARD" "PolicyDirectory $T/good"
plan 14

run_kimctl policy lint
check "known KIM addresses: no problems, exit 0" \
    sh -c "[ $RC -eq 0 ] && grep -qF '$T/good: 2 policies, no problems' '$T/out'"
check "the directory check ran (no skip note)" \
    sh -c "! grep -q 'directory check skipped' '$T/out'"

check "the card check ran and found the card's identity right" \
    sh -c "! grep -q 'card check' '$T/out'"

# a card of another identity (the practice's) in the hospital's pool
write_conf "Card smcb1 pool=klinikum backend=soft osig-ecc-key=$PKI/praxis/osig-ecc.key osig-ecc-cert=$PKI/praxis/osig-ecc.pem" \
    "PolicyDirectory $T/good"
run_kimctl policy lint
check "a card whose Telematik-ID is not the directory's: file:line, exit 1" \
    out_has "$T/good/kardiologie.conf:5: card smcb1 of pool klinikum is Telematik-ID 1-2-ARZT-PRAXIS-01, but the KIM directory lists 5-2-KH-KLINIKUM-01"
write_conf "$KCARD" "PolicyDirectory $T/good"

run_kimctl policy lint --dir "$T/bad"
check "unknown KIM address: file:line, exit 1" \
    sh -c "[ $RC -eq 1 ] && grep -qF '$T/bad/unbekannt.conf:4: KimAddress unbekannt@$K is not in the KIM directory' '$T/out'"
check "KIM address without a usable certificate: file:line and reason" \
    out_has "$T/bad/praxis.conf:4: KimAddress expired@aerzte.kim.telematik-test: in the KIM directory, but not usable: KIM address has no usable encryption certificate (expired)"
check "the known one is not reported; 2 problems" \
    sh -c "! grep -q 'kardiologie.conf' '$T/out' && grep -qF '$T/bad: 2 problems' '$T/out'"

# policy test: the directory's answer per KIM recipient
run_kimctl policy test --from arzt@kardiologie.klinikum-nord.example \
    --rcpt "praxis-rsa@$A" "expired@$A" "niemand@$A"
check "usable recipient: accepted at front and gate" \
    sh -c "grep -A3 '^recipient praxis-rsa@$A (KIM)' '$T/out' | grep -qF 'dir:   found' &&
	grep -A3 '^recipient praxis-rsa@$A (KIM)' '$T/out' | grep -qF 'gate:  accept: sign with card pool klinikum, send as kardiologie@$K'"
check "expired certificate: 550 5.1.1 with the reason at front and gate" \
    sh -c "[ \$(grep -cF '550 5.1.1 KIM address has no usable encryption certificate (expired)' '$T/out') = 2 ]"
check "no entry: 550 5.1.1 no entry in the directory" \
    out_has "front: 550 5.1.1 no entry for this address in the KIM directory"
run_kimctl policy test --dir "$T/patient" --from a@geduldig.klinikum-nord.example \
    --rcpt "expired@$A"
check "On-NoCertificate tempfail: 450 4.1.1" \
    out_has "front: 450 4.1.1 KIM address has no usable"
run_kimctl --json policy test --from a@kardiologie.klinikum-nord.example \
    --rcpt "niemand@$A"
check "--json: directory status and the answer" \
    out_has '"directory":"not-found","front":{"verdict":"reject","code":"550","enhanced":"5.1.1"'

stop_slapd
run_kimctl policy test --from a@kardiologie.klinikum-nord.example \
    --rcpt "noch-nie-gefragt@$A"
check "directory down: 451 4.4.3 (On-DirectoryError tempfail)" \
    out_has "front: 451 4.4.3 KIM directory temporarily unavailable"
run_kimctl policy lint --dir "$T/down"
check "directory down: could not be asked, exit 1" \
    sh -c "[ $RC -eq 1 ] && grep -qF '$T/down/neu.conf:4: KimAddress neu@$K: the KIM directory could not be asked' '$T/out'"

[ "$FAILED" = 0 ]
