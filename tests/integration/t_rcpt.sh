#!/bin/bash
# t_rcpt.sh - recipient answers through the real Postfix front, with the
# real directory stack (slapd with VZD-like entries from the test PKI, Redis
# as the shared cache) and the per-department policies: what an SMTP client
# sees for allowed, forbidden and uncovered senders; a directory outage; a
# broken policy reload that keeps the old set; a mixed message.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
# the directory services (slapd, redis, PKI) first, then the Postfix harness
. "$top_srcdir/tests/dir/harness.sh"
set +u	# the Postfix harness expects unset variables to be empty
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 21
# kim_teardown exits: stop slapd and redis first, keep the exit status
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }

# the test hospital (lib.sh) plus a department that may not send KIM
mkdir -p "$KIM_T/milter/policy.d"
cat >"$KIM_T/milter/policy.d/verwaltung.conf" <<'EOP'
Description "Verwaltung: no KIM"
Sender      *@verwaltung.example
KimSending  no
EOP
# the directory lines of the dir harness (slapd, redis, cache key, anchors)
mapfile -t extra < <(grep -E '^(Directory|Redis|Cache|Trust)' "$CONF")
mconf=$(kim_milter_conf "${extra[@]}")
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

# rcpt_reply FROM TO - the server's reply to RCPT TO, e.g. "550 5.1.1 ..."
rcpt_reply()
{
	swaks --server 127.0.0.1 --port "$PF_FRONT_PORT" --helo t.example \
	    --from "$1" --to "$2" --quit-after RCPT 2>&1 |
	    awk '/RCPT TO/ {getline; sub(/^<[-*]+ /, ""); print; exit}'
}
# expect FROM TO PATTERN DESC - the RCPT reply matches PATTERN
expect()
{
	local r
	r=$(rcpt_reply "$1" "$2")
	ok "$4 ($r)" eval 'echo "$r" | grep -qE "$3"'
}

A=sender@klinik.example
expect $A "praxis@$D" '^250 ' "allowed sender, usable KIM recipient: accepted"
expect $A "PRAXIS@AERZTE.KIM.TELEMATIK-TEST" '^250 ' "addresses compare case-insensitively"
expect $A "nobody@$D" '^550 5\.1\.1 .*not' "unknown KIM address: 550 5.1.1 with the reason"
expect $A "expired@$D" '^550 5\.1\.1 .*expired' "only an expired certificate: 550 5.1.1 says expired"
expect $A "badku@$D" '^550 5\.1\.1 ' "wrong key usage: 550 5.1.1"
expect $A "mixedtid@$D" '^550 5\.1\.1 ' "certificates with two Telematik-IDs: 550 5.1.1"
expect $A "b@example.net" '^250 ' "normal recipient of the same sender: untouched"
expect y@verwaltung.example "praxis@$D" '^550 5\.7\.1 ' "KimSending no: 550 5.7.1 at the front"
expect y@verwaltung.example "b@example.net" '^250 ' "... and its normal mail still flows"
expect x@elsewhere.example "praxis@$D" '^250 ' "uncovered sender: decided at the gate, not the front"
expect $A "station@klinik.kim.telematik-test" '^250 ' "our own KIM address (inbound) is never looked up"

# a mixed message from an allowed sender whose department's KIM address
# (station@klinik.kim.telematik-test) is not in the directory: the normal
# part arrives unchanged; the gate refuses the KIM part (no encryption
# certificate for the sender's own copy: 553) and the sender gets a bounce
# that says so; nothing reaches the provider
msg=$KIM_T/mixed.eml
printf '%s\r\n' 'From: <sender@klinik.example>' "To: <b@example.net>, <praxis@$D>" \
    'Subject: Befund' 'Message-ID: <rcpt-mixed@klinik.example>' '' 'Hallo' >"$msg"
send "$PF_FRONT_PORT" $A "b@example.net,praxis@$D" "$msg"
wait_for_sink inet 1
ok "mixed: the normal recipient's copy arrived at the internet sink" test "$(sink_count inet)" -ge 1
nocert() { grep -l "553 5.1.8" "$KIM_T"/sink-inet/m.* 2>/dev/null | xargs -r grep -q "station@klinik.kim.telematik-test has no usable"; }
ok "mixed: the KIM copy bounces with 553 5.1.8 (sender has no encryption certificate)" \
    kim_wait 30 nocert
ok "mixed: nothing reached the provider" test "$(sink_count prov)" -eq 0

# an uncovered sender: the front let the KIM recipient through, the gate's
# default policy refuses it with a 5xx, and the sender gets a bounce that
# says why (nothing is held, nothing is lost, nothing reaches the provider)
sink_clear inet
send "$PF_FRONT_PORT" x@elsewhere.example "praxis@$D"
bounced() { grep -lq "may not send" "$KIM_T"/sink-inet/m.* 2>/dev/null; }
ok "uncovered sender: a bounce with the gate's reason reaches the sender" \
    kim_wait 30 bounced
ok "uncovered sender: nothing reached the provider" test "$(sink_count prov)" -eq 0

# the lint asks the directory about each KIM sender address
ok "policy lint reports a KIM sender address the directory does not know" \
    eval 'kimctl policy lint 2>&1 | grep "station@klinik.kim.telematik-test" | grep -qi "director"'

# the directory goes away: cached answers still serve, new ones tempfail
stop_slapd
expect $A "praxis@$D" '^250 ' "slapd down: a cached usable address is still accepted"
expect $A "praxis-rsa@$D" '^451 4\.4\.3 ' "slapd down, not cached: 451 4.4.3, never 'unknown'"

# a broken policy file: reload refuses it and the old set keeps serving
echo "KimSending maybe" >"$KIM_T/milter/policy.d/zz-broken.conf"
ok "reload with a broken policy file fails" eval '! kimctl reload'
expect y@verwaltung.example "praxis@$D" '^550 5\.7\.1 ' "after the refused reload the old policy set still serves"
