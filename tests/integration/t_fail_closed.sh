#!/bin/bash
# t_fail_closed.sh - KIM mail never leaves unencrypted (issue 2).
#
# The milter here has no directory (no DirectoryURI), so the gate cannot
# encrypt and tempfails every KIM recipient: mail to a KIM address must stay
# in Postfix's queue with the gate's reason, and the provider sink must
# receive nothing. Checked for every form of KIM
# domain that transport_maps must catch, for a mixed message (the non-KIM
# recipient gets the message unchanged), for a gate listener that lost its
# milter_macro_daemon_name (unknown role: tempfail), and with an admin's
# header_checks PASS rule in main.cf (the gate's no_header_body_checks keeps
# the milter in charge).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 18
kim_start_all || exit 1
start_milter "$(kim_milter_conf)" || exit 1

# held ADDR REASON - ADDR sits in the front queue, deferred with REASON
held()
{
	queue_list pf | grep -F "\"address\": \"$1\"" |
	    grep -q -F -e "$2"
}

# wait_held ADDR REASON - the gate has answered for ADDR (up to 20 s)
wait_held()
{
	kim_wait 20 held "$1" "$2"
}

prov_empty()
{
	[ "$(ls "$KIM_T/sink-prov" | wc -l)" -eq 0 ]
}

GATE_REASON="451 4.4.3"

# 1-4: every form of KIM domain goes to the gate and is held there
for rcpt in praxis@aerzte.kim.telematik-test praxis@kim.telematik-test \
    arzt@klinik.kim.telematik arzt@kim.telematik; do
	send "$PF_FRONT_PORT" sender@klinik.example "$rcpt"
	ok "$rcpt is held in the queue with the gate's reason" \
	    wait_held "$rcpt" "$GATE_REASON"
done
ok "the provider sink received nothing" prov_empty
ok "the internet sink received nothing" test "$(sink_count inet)" -eq 0

# 7: a retry (flush) goes through the gate again and is held again
still_held()
{
	[ "$(queue_count pf)" -eq "$1" ] && prov_empty
}
flush_wait pf 4
ok "after a flush: still 4 messages queued, provider still empty" \
    still_held 4

# 8-9: a mixed message: the non-KIM part leaves unchanged, the KIM part waits
mixed=$KIM_T/mixed.eml
printf '%s\n' 'From: Sender <sender@klinik.example>' \
    'To: b@example.net, praxis@aerzte.kim.telematik-test' \
    'Subject: Befund' 'Message-ID: <mixed-1@klinik.example>' \
    'MIME-Version: 1.0' 'Content-Type: text/plain; charset=utf-8' \
    'Content-Transfer-Encoding: 8bit' '' 'Grüße aus der Klinik' >"$mixed"
send "$PF_FRONT_PORT" sender@klinik.example \
    b@example.net,praxis2@aerzte.kim.telematik-test "$mixed"
wait_for_sink inet 1 20
cp "$(sink_files inet | head -1)" "$KIM_T/mixed.front"
sink_clear inet
send "$PF_PLAIN_PORT" sender@klinik.example b@example.net "$mixed"
wait_for_sink inet 1 20
cmp_mixed()
{
	sink_body_below_received "$KIM_T/mixed.front" >"$KIM_T/mixed.a" &&
	    sink_body_below_received "$(sink_files inet | head -1)" \
	    >"$KIM_T/mixed.b" &&
	    grep -q 'Grüße' "$KIM_T/mixed.a" &&
	    grep -q '^X-Rcpt-Args: <b@example.net>' "$KIM_T/mixed.front" &&
	    ! grep '^X-Rcpt-Args:' "$KIM_T/mixed.front" | grep -q kim &&
	    cmp -s "$KIM_T/mixed.a" "$KIM_T/mixed.b"
}
ok "mixed message: the internet copy is byte-identical to one sent without the milter" \
    cmp_mixed
ok "mixed message: the KIM recipient is held with the gate's reason" \
    wait_held praxis2@aerzte.kim.telematik-test "$GATE_REASON"

# 10-12: the gate listener lost its name: the milter sees $myhostname,
# which is no role, and must tempfail (never act as front)
gate=127.0.0.1:$PF_GATE_PORT/inet
pf_postconf pf -X -P "$gate/milter_macro_daemon_name"
ok "the gate listener no longer sets milter_macro_daemon_name" \
    test -z "$(pf_postconf pf -P "$gate/milter_macro_daemon_name" 2>/dev/null)"
pf_reload pf
sleep 1
send "$PF_FRONT_PORT" sender@klinik.example noname@aerzte.kim.telematik-test
ok "unknown role: held with 4.3.5 naming the Listener setting" \
    wait_held noname@aerzte.kim.telematik-test "451 4.3.5"
ok "unknown role: the reason names the Listener setting" \
    held noname@aerzte.kim.telematik-test "Listener"
ok "unknown role: the provider sink received nothing" prov_empty

# 13-16: an admin's header_checks PASS rule in main.cf; the gate is named
# again. PASS switches off header, body and milter inspection for the rest
# of a message wherever header_checks run: the gate must not run them.
pf_postconf pf -P "$gate/milter_macro_daemon_name=kimgate"
echo '/^Subject:/ PASS admin rule' >>"$(pf_dir pf)/etc/kim_header_checks"
pf_age pf
pf_reload pf
sleep 1
send "$PF_FRONT_PORT" sender@klinik.example pass@aerzte.kim.telematik-test
ok "PASS rule: held with the gate's reason" \
    wait_held pass@aerzte.kim.telematik-test "$GATE_REASON"
ok "PASS rule: the rule is in force (Postfix logged pass: at the front)" \
    kim_wait 10 sh -c "grep -q 'pass: header Subject' '$(pf_dir pf)/log/maillog'"
ok "PASS rule: the provider sink received nothing" prov_empty
flush_wait pf 7
ok "after all retries: 7 messages held, provider still empty" still_held 7
gate_only_tempfails()
{
	local st
	st=$(kimctl status | grep '^role gate:')
	case $st in
	*" accept=0 "*" tempfail=0 "*) return 1 ;;
	*" accept=0 "*) return 0 ;;
	esac
	return 1
}
ok "kimctl status: the gate accepted nothing and tempfailed" \
    gate_only_tempfails
