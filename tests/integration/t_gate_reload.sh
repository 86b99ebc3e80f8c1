#!/bin/bash
# t_gate_reload.sh - reload under load (issue 7): SIGUSR1 and "kimctl
# reload" (with a changed policy file) while KIM and normal mail flow
# through the real Postfix gate lose and duplicate nothing.
#
# An upstream Postfix (short backoff, adds Message-IDs) relays a steady
# stream to the front: KIM mail to an RSA recipient of the test directory
# (real slapd + Redis) and normal mail to the internet. The gate signs
# with the soft card (the klinikum's keys) and encrypts. While the stream
# flows the milter is told to reload six times. At the end every KIM
# message is at the provider exactly once, encrypted, and decrypts with the
# recipient's key to the message that was sent; every normal message is at
# the internet sink exactly once; all queues are empty; the milter logged
# each reload.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 14
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=kardiologie@klinikum-nord.kim.telematik-test
A=arzt@klinik.example
NK=40	# KIM messages
NI=40	# normal messages
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
kim_start_all up || { echo "Bail out! Postfix did not start"; exit 1; }

kim_gate_policy "$KIMADDR" kardiologie
K=$PKI/klinikum
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${extra[@]}")
sed -i "s|^Card testcard .*|Card testcard pool=klinik backend=soft key=$K/osig-rsa.key,$K/enc-rsa.key,$K/enc-ecc.key cert=$K/osig-rsa.pem,$K/enc-rsa.pem,$K/enc-ecc.pem|" "$mconf"
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

# source_into_up N FROM TO SUBJECT - N messages into the upstream Postfix
# in 4 sessions, 2 s apart in each session (about N/2 seconds)
source_into_up()
{
	smtp-source -s 4 -m "$1" -w 2 -f "$2" -t "$3" -S "$4" \
	    "127.0.0.1:$UP_PORT" >>"$KIM_T/smtp-source.log" 2>&1
}

# msgids NAME - the Message-IDs of all messages at sink NAME, one a line
msgids()
{
	local f
	for f in $(sink_files "$1"); do
		grep -i -m1 '^Message-ID:' "$f"
	done
}

# reloads - how many reloads the milter completed
reloads()
{
	grep -c 'configuration and policies reloaded' "$KIM_T/milter/log"
}

# all_decrypt - every provider message decrypts with the recipient's key
# to a KIM message from the department with the subject that was sent
all_decrypt()
{
	local f n=0 P=$PKI/praxis-rsa
	for f in $(sink_files prov); do
		sink_message "$f" >"$KIM_T/outer" || return 1
		"$KIM_KIMCTL" decode --key "$P/enc-rsa.key" \
		    --cert "$P/enc-rsa.pem" --address "praxis-rsa@$D" \
		    --trust "$PKI/anchors.pem" --output message \
		    <"$KIM_T/outer" >"$KIM_T/inner" 2>"$KIM_T/dec.err" || {
			diag "$f does not decrypt: $(cat "$KIM_T/dec.err")"
			return 1
		}
		grep -q '^Subject: reload kim' "$KIM_T/inner" &&
		    grep -q "^From: .*$KIMADDR" "$KIM_T/inner" || {
			diag "$f: unexpected inner message"
			return 1
		}
		n=$((n + 1))
	done
	[ "$n" -eq "$NK" ]
}

r0=$(reloads)
source_into_up "$NK" "$A" "praxis-rsa@$D" "reload kim" &
src_k=$!
source_into_up "$NI" sender@example.org rcpt@example.net "reload inet" &
src_i=$!
# reload while the stream flows: five SIGUSR1, one kimctl reload with a
# changed policy file in the middle
kim_wait 30 eval '[ "$(sink_count prov)" -ge 2 ]'
reload_at=""
for i in 1 2 3 4 5 6; do
	if [ "$i" = 3 ]; then
		sed -i 's/^Description .*/Description "test hospital, reloaded"/' \
		    "$KIM_T/milter/policy.d/klinik.conf"
		before=$(kimctl status 2>/dev/null | grep '^config: ')
		sleep 1.1	# a new load time must show
		kimctl reload >"$KIM_T/reload.out" 2>&1
		kctl_rc=$?
		after=$(kimctl status 2>/dev/null | grep '^config: ')
	else
		kill -USR1 "$MILTER_PID"
	fi
	reload_at="$reload_at $(sink_count prov)"
	sleep 1.5
done
if ! kill -0 "$MILTER_PID" 2>/dev/null; then
	echo "Bail out! kim-milter died during the reloads"
	exit 1
fi
wait "$src_k"
wait "$src_i"
diag "reloads at provider counts:$reload_at (of $NK)"
ok "the milter survived six reloads under load" kill -0 "$MILTER_PID"
last=${reload_at##* }
ok "the reloads happened while KIM mail was flowing (the last at $last of $NK)" \
    test "$last" -lt "$NK"
ok "kimctl reload with a changed policy file succeeded (exit $kctl_rc)" \
    test "$kctl_rc" -eq 0
ok "... and the daemon shows a new load time" test "$before" != "$after"
ok "the milter logged six completed reloads" \
    kim_wait 10 eval '[ $(($(reloads) - r0)) -eq 6 ]'
ok "five of them by SIGUSR1, one through the control socket" \
    eval '[ "$(grep -c "SIGUSR1: reloading" "$KIM_T/milter/log")" -eq 5 ] &&
    [ "$(grep -c "reload requested through the control socket" "$KIM_T/milter/log")" -eq 1 ]'

# anything deferred on the way (a reload must not cause it, but if it
# did, the mail must still arrive): retry now
ok "the upstream queue empties" kim_wait 60 eval '[ "$(queue_count up)" -eq 0 ]'
flush pf
ok "all $NK KIM messages reached the provider" wait_for_sink prov "$NK" 90
ok "all $NI normal messages reached the internet sink" \
    wait_for_sink inet "$NI" 60
sleep 1
ok "the provider holds each KIM message once ($(sink_count prov) copies, $(msgids prov | sort -u | wc -l) Message-IDs)" \
    eval '[ "$(sink_count prov)" -eq "$NK" ] && [ "$(msgids prov | sort -u | wc -l)" -eq "$NK" ]'
ok "the internet sink holds each normal message once ($(sink_count inet) copies)" \
    eval '[ "$(sink_count inet)" -eq "$NI" ] && [ "$(msgids inet | sort -u | wc -l)" -eq "$NI" ]'
ok "every KIM message decrypts with the recipient's key (the message sent, From changed)" \
    all_decrypt
ok "no plaintext at the provider" \
    eval '! grep -l "^Subject: reload" "$KIM_T"/sink-prov/m.* 2>/dev/null | grep -q .'
diag "deferrals during the run (retried, not a failure): front $(log_count pf 'status=deferred'), upstream $(log_count up 'status=deferred')"
ok "both queues are empty" \
    eval '[ "$(queue_count pf)" -eq 0 ] && [ "$(queue_count up)" -eq 0 ]'
