#!/bin/bash
# t_gate_failures.sh - the failure classes of the gate, end to end through
# the real Postfix with the real directory stack and the soft card; each
# asserts what the sender or the admin sees (queued with the reason, or a
# bounce that says why) and that nothing reached the provider in plaintext:
#   - a recipient the gate finds unusable: bounced alone, the others go on
#     (mail from sendmail(1) reaches the gate without the front's check);
#   - the directory down with a cold cache: queued (451 4.4.3), delivered
#     once it is back;
#   - Redis down: the gate falls through to LDAP and the mail leaves;
#   - a Dienstkennung the policy does not allow: bounced with the reason;
#   - a message larger than the policy's maximum: bounced (552);
#   - the milter killed while KIM mail waits for the gate: queued, then
#     delivered exactly once.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
dir_cleanup() { cleanup; }
. "$top_srcdir/tests/integration/lib.sh"
kim_init 15
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=$KIM_GATE_ADDR
kim_dir_up
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
K=$PKI/klinikum
mconf=$(kim_gate_milter_conf)
# a small maximum, so that "oversize" needs no large message
printf 'MaxMessageSize 20K\n' >>"$KIM_T/milter/policy.d/klinik.conf"
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }
PFC=$(pf_dir pf)/etc
A=arzt@klinik.example

# fmsg N TO [HEADER...] - a message file; prints its name
fmsg()
{
	local n=$1 to=$2 f=$KIM_T/f$1.eml
	shift 2
	printf '%s\r\n' "From: <$A>" "To: $to" "Subject: Fall $n" \
	    "Message-ID: <fail-$n@klinik.example>" "$@" '' "Inhalt $n" >"$f"
	echo "$f"
}
prov_has() { grep -l "^Message-ID: <fail-$1@klinik.example>" "$KIM_T"/sink-prov/m.* >/dev/null 2>&1; }
prov_count_id() { grep -l "^Message-ID: <fail-$1@klinik.example>" "$KIM_T"/sink-prov/m.* 2>/dev/null | wc -l; }
# bounce_says TEXT - the sender got a bounce containing TEXT
bounce_says() { grep -l "$1" "$KIM_T"/sink-inet/m.* 2>/dev/null | xargs -r grep -l "^X-Rcpt-Args: <$A>" | grep -q .; }
until_prov()
{
	local i=0
	while ! prov_has "$1"; do
		i=$((i + 1))
		[ $i -ge 30 ] && return 1
		[ $((i % 3)) = 0 ] && flush pf
		sleep 1
	done
}

# --- a recipient unusable at the gate, next to a usable one ----------------
f=$(fmsg 1 "<expired@$D>, <praxis-rsa@$D>")
sendmail -C "$PFC" -f "$A" "expired@$D" "praxis-rsa@$D" <"$f"
ok "unusable recipient at the gate: the usable one still gets the message" until_prov 1
ok "... the unusable one bounces alone, the reason says expired" \
    kim_wait 60 bounce_says "expired@$D"
ok "... and the provider got it for the usable recipient only" \
    eval '! grep -l "^Message-ID: <fail-1@" "$KIM_T"/sink-prov/m.* | xargs grep -h "^X-Rcpt-Args" | grep -q expired'

# --- the directory down, cold cache ----------------------------------------
stop_slapd
f=$(fmsg 2 "<praxis-ecc@$D>")
sendmail -C "$PFC" -f "$A" "praxis-ecc@$D" <"$f"
ok "LDAP down, cold cache: queued with 451 4.4.3" \
    kim_wait 60 eval 'queue_list pf | grep -q "451 4.4.3"'
ok "... nothing reached the provider" eval '! prov_has 2'
start_slapd || echo "# slapd did not restart"
ok "directory back: delivered" until_prov 2

# --- Redis down: LDAP answers (RedisRequired no, the default) --------------
before=$(wc -l <"$KIM_T/milter/log")
stop_redis
f=$(fmsg 3 "<kasse-a@kasse.kim.telematik-test>")
sendmail -C "$PFC" -f "$A" "kasse-a@kasse.kim.telematik-test" <"$f"
ok "Redis down: the gate falls through to LDAP, the mail leaves encrypted" until_prov 3
ok "... and the milter logged the cache outage" \
    eval 'tail -n +$((before + 1)) "$KIM_T/milter/log" | grep -qi "redis"'
start_redis || echo "# redis did not restart"

# --- a Dienstkennung the policy does not allow -----------------------------
f=$(fmsg 4 "<praxis-rsa@$D>" 'X-KIM-Dienstkennung: eAU;Lieferung;v1.0')
send "$PF_FRONT_PORT" $A "praxis-rsa@$D" "$f"
ok "Dienstkennung not allowed: bounced with the reason" \
    kim_wait 60 bounce_says "eAU;Lieferung;v1.0"
ok "... nothing reached the provider" eval '! prov_has 4'

# --- oversize -------------------------------------------------------------
f=$(fmsg 5 "<praxis-rsa@$D>")
head -c 30000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed 's/$/\r/' >>"$f"
send "$PF_FRONT_PORT" $A "praxis-rsa@$D" "$f"
ok "larger than the policy's maximum: bounced with 552" \
    kim_wait 60 bounce_says "552"
ok "... nothing reached the provider" eval '! prov_has 5'

# --- the milter killed while KIM mail waits ---------------------------------
stop_milter KILL
f=$(fmsg 6 "<praxis-rsa@$D>")
sendmail -C "$PFC" -f "$A" "praxis-rsa@$D" <"$f"
ok "milter killed: the KIM mail waits in the queue (gate default_action tempfail)" \
    kim_wait 60 eval 'queue_list pf | grep -q "praxis-rsa"'
start_milter "$mconf" || echo "# milter did not restart"
ok "milter back: delivered" until_prov 6
sleep 2
ok "... exactly once" test "$(prov_count_id 6)" -eq 1
