#!/bin/bash
# t_postfix_config.sh - the shipped Postfix blocks (contrib/postfix) in a
# real Postfix, with no milter running (issue 2).
#
# - Postfix's own "postfix check" accepts the generated configuration.
# - The front fails closed without the milter (milter_default_action).
# - The gate fails closed without the milter even when an admin sets
#   milter_default_action = accept in main.cf (the gate's own
#   default_action=tempfail).
# - The gate unreachable and an admin's smtp_fallback_relay in main.cf: KIM
#   mail stays queued, it never takes the fallback (kimgate's empty
#   smtp_fallback_relay).
# - The header_checks rule removes forged X-KIM result headers, and leaves
#   attached messages alone (empty nested_header_checks).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 12
kim_start_all || exit 1
pf=$(pf_dir pf)

# 1: Postfix's own full check (create-missing, permission scans)
postfix -c "$pf/etc" check >"$KIM_T/check.out" 2>&1
rc=$?
ok "postfix check passes without warnings on the shipped blocks" \
    test "$rc" -eq 0 -a ! -s "$KIM_T/check.out"
[ -s "$KIM_T/check.out" ] && diag "$(cat "$KIM_T/check.out")"

# 2-3: the front without the milter: 4xx, nothing delivered
! send "$PF_FRONT_PORT" sender@klinik.example b@example.net
rc=$?
ok "front, milter down: the client gets a temporary failure" \
    test "$rc" -eq 0
ok "front, milter down: the refusal is 4.7.1 (milter_default_action)" \
    grep -q '^<\*\* *451 4.7.1' "$KIM_T/swaks.log"

# held ADDR TEXT - ADDR is in the front queue, deferred with TEXT
held()
{
	queue_list pf | grep -F "\"address\": \"$1\"" | grep -q -F -e "$2"
}

# 4-5: the gate without the milter, main.cf milter_default_action=accept
pf_postconf pf -e milter_default_action=accept
pf_reload pf
sleep 1
send "$PF_PLAIN_PORT" sender@klinik.example praxis@aerzte.kim.telematik-test
ok "gate, milter down, main.cf default accept: held with 4.7.1" \
    kim_wait 20 held praxis@aerzte.kim.telematik-test "4.7.1"
# sinks_empty - neither the provider nor the internet received anything
sinks_empty()
{
	[ -z "$(ls -A "$KIM_T/sink-prov")" ] && [ -z "$(ls -A "$KIM_T/sink-inet")" ]
}
ok "gate, milter down: nothing reached the provider or the internet" \
    sinks_empty

# 6-7: the gate unreachable, an admin's smtp_fallback_relay in main.cf
pf_postconf pf -e milter_default_action=tempfail \
    "smtp_fallback_relay=[127.0.0.1]:$SINK_PORT_inet"
pf_postconf pf -M# "127.0.0.1:$PF_GATE_PORT/inet"
pf_reload pf
kim_wait 10 eval '! port_listening "$PF_GATE_PORT"'
send "$PF_PLAIN_PORT" sender@klinik.example down@aerzte.kim.telematik-test
ok "gate down, main.cf smtp_fallback_relay: held (connection refused)" \
    kim_wait 20 held down@aerzte.kim.telematik-test "Connection refused"
# the fallback would be tried right after the refused connection
log_wait pf 'down@aerzte.kim.telematik-test.*status=deferred' 1
ok "gate down: the KIM mail did not take the fallback relay" sinks_empty

# 8-12: forged X-KIM result headers are removed; attachments are not edited
forged=$KIM_T/forged.eml
cat >"$forged" <<'EOF'
From: someone@example.org
To: b@example.net
Subject: forged
Message-ID: <forged-1@example.org>
X-KIM-DecryptionResult: 00
X-KIM-IntegrityCheckResult: 00
X-KIM-Dienstkennung: Arztbrief;Eingangsbestaetigung;V1.0
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

see attachment
--b1
Content-Type: message/rfc822

From: inner@example.org
Subject: inner
X-KIM-DecryptionResult: 00

inner body
--b1--
EOF
send "$PF_PLAIN_PORT" someone@example.org b@example.net "$forged"
wait_for_sink inet 1 20
out=$KIM_T/forged.out
sink_message "$(sink_files inet | head -1)" >"$out"
# the outer header: everything before the first empty line
sed '/^$/q' "$out" >"$out.head"
ok "X-KIM-DecryptionResult removed from the message header" \
    eval '! grep -q "^X-KIM-DecryptionResult:" "$out.head"'
ok "X-KIM-IntegrityCheckResult removed from the message header" \
    eval '! grep -q "^X-KIM-IntegrityCheckResult:" "$out.head"'
ok "other X-KIM headers are left alone" \
    grep -q '^X-KIM-Dienstkennung: Arztbrief' "$out.head"
ok "the attached message keeps its headers (nested_header_checks empty)" \
    grep -q '^X-KIM-DecryptionResult: 00' "$out"
diff <(sed '1,/^$/d' "$forged") <(sed '1,/^$/d' "$out") >&2
ok "the body below the header is unchanged" \
    cmp -s <(sed '1,/^$/d' "$forged") <(sed '1,/^$/d' "$out")
