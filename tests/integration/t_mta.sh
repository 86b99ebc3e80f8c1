#!/bin/bash
# t_mta.sh - `kimctl mta-config` and `kimctl check-mta` against a real
# private Postfix made from the shipped blocks (contrib/postfix) by lib.sh.
#
# - mta-config prints the per-account pieces; Postfix accepts them (the
#   transport in master.cf, the anchored FILTER rule, the strip rule), an
#   unknown route value gets no FILTER, passwords only with --secrets.
# - check-mta passes the shipped blocks plus mta-config's output, and
#   reports each broken variant with its fix, exit 1; exit 2 when the
#   configuration cannot be read. Routing is Postfix's own answer
#   (trivial-rewrite's private/rewrite socket, as root).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

kim_init 40
kim_start_all || exit 1
pf=$(pf_dir pf)
etc=$pf/etc
CONF=$(kim_milter_conf "ProviderRelay [127.0.0.1]:$SINK_PORT_prov")
MILTER_CONF=$CONF
pol=$KIM_T/milter/policy.d

# the account's password, and a second department with its own account,
# relay and client certificate
echo "s3cret-klinik" >"$KIM_T/klinik.pw"
chmod 600 "$KIM_T/klinik.pw"
echo "ProviderPasswordFile $KIM_T/klinik.pw" >>"$pol/klinik.conf"
cat >"$pol/Herz_Zentrum.conf" <<EOF
Sender *@herz.klinik.example
KimSending yes
KimAddress herz@klinik.kim.telematik-test
CardPool klinik
KimAccount herz
ProviderRelay [127.0.0.1]:$SINK_PORT_prov
ProviderClientCert $KIM_T/herz.crt
ProviderClientKey $KIM_T/herz.key
ProviderLogin herz-login
EOF

# ---- mta-config ----------------------------------------------------------

kimctl mta-config >"$KIM_T/mta.out" 2>"$KIM_T/mta.err"
rc=$?
ok "mta-config: exit 0, one transport per account" \
    sh -c "[ $rc -eq 0 ] && grep -qx 'kimprov-klinik unix .*smtp' '$KIM_T/mta.out' &&
	grep -qx 'kimprov-herz unix .*smtp' '$KIM_T/mta.out'"
ok "mta-config: the certificate only where the account has one" \
    sh -c "grep -qx '  -o smtp_tls_cert_file=$KIM_T/herz.crt' '$KIM_T/mta.out' &&
	[ \$(grep -c 'smtp_tls_cert_file=' '$KIM_T/mta.out') = 1 ]"
ok "mta-config: the password stays a placeholder without --secrets" \
    sh -c "grep -qx 'station@klinik.kim.telematik-test station@klinik.kim.telematik-test:PASSWORD-FROM-$KIM_T/klinik.pw' '$KIM_T/mta.out' &&
	! grep -q s3cret '$KIM_T/mta.out' &&
	grep -qx 'herz@klinik.kim.telematik-test herz-login:PASSWORD-NOT-SET' '$KIM_T/mta.out'"
kimctl mta-config --section sasl --secrets >"$KIM_T/sasl.out" 2>&1
rc=$?
ok "mta-config --secrets: the password, exit 1 for the account without one" \
    sh -c "[ $rc -eq 1 ] && grep -qx 'station@klinik.kim.telematik-test station@klinik.kim.telematik-test:s3cret-klinik' '$KIM_T/sasl.out' &&
	! grep -q kimprov '$KIM_T/sasl.out'"
kimctl mta-config --json >"$KIM_T/mta.json" 2>/dev/null
ok "mta-config --json: accounts and sections" \
    python3 -c "
import json,sys
d=json.load(open('$KIM_T/mta.json'))
a={x['account']:x for x in d['accounts']}
assert a['herz']['login']=='herz-login' and a['klinik']['relay']=='[127.0.0.1]:$SINK_PORT_prov'
assert 'FILTER kimprov-herz:' in d['sections']['header-checks']"
kimctl mta-config --section bogus >/dev/null 2>&1
ok "mta-config: an unknown section is a usage error (64)" test $? -eq 64

# install the pieces into the private Postfix (its paths, no chroot)
kimctl mta-config --section transports | pf_subst | pf_nochroot >>"$etc/master.cf"
kimctl mta-config --section header-checks | pf_subst >"$etc/kim_route_checks"
kimctl mta-config --section strip | pf_subst >"$etc/kim_route_strip"
echo "station@klinik.kim.telematik-test station@localhost" >>"$etc/kim_virtual"
echo "herz@klinik.kim.telematik-test herz@localhost" >>"$etc/kim_virtual"
pf_age pf
q()
{
	postmap -c "$etc" -q "$1" "regexp:$etc/$2"
}
ok "Postfix: each account's route header selects its own transport" \
    sh -c "[ \"\$(postmap -c '$etc' -q 'X-Kimgate-Route: klinik' 'regexp:$etc/kim_route_checks')\" = 'FILTER kimprov-klinik:[127.0.0.1]:$SINK_PORT_prov' ] &&
	[ \"\$(postmap -c '$etc' -q 'X-Kimgate-Route:  herz ' 'regexp:$etc/kim_route_checks')\" = 'FILTER kimprov-herz:[127.0.0.1]:$SINK_PORT_prov' ]"
ok "Postfix: an unknown or longer value gets no FILTER (the gate's content_filter)" \
    sh -c "[ \"\$(postmap -c '$etc' -q 'X-Kimgate-Route: klinik-x' 'regexp:$etc/kim_route_checks')\" = DUNNO ] &&
	[ \"\$(postmap -c '$etc' -q 'X-Kimgate-Route: herzklinik' 'regexp:$etc/kim_route_checks')\" = DUNNO ]"
ok "Postfix: the provider transports strip the route header" \
    test "$(q 'X-Kimgate-Route: klinik' kim_route_strip)" = IGNORE
ok "Postfix: master.cf has the account transports with their options" \
    sh -c "postconf -c '$etc' -P kimprov-herz/unix/smtp_tls_key_file | grep -qF '$KIM_T/herz.key' &&
	postconf -c '$etc' -P kimprov-klinik/unix/smtp_fallback_relay | grep -q '= *\$'"
postfix -c "$etc" check >"$KIM_T/check.out" 2>&1
ok "postfix check accepts the shipped blocks with mta-config's output" \
    test $? -eq 0
pf_reload pf
sleep 1

# ---- check-mta -------------------------------------------------------------

# check_mta - run check-mta on the instance; RC and $KIM_T/cm.out
check_mta()
{
	kimctl check-mta -C "$etc" >"$KIM_T/cm.out" 2>&1
	RC=$?
}
# reported TEXT - check-mta exited 1 and printed an error line with TEXT
reported()
{
	[ "$RC" -eq 1 ] && grep '^error: ' "$KIM_T/cm.out" | grep -qF -- "$1" ||
	    { diag "exit $RC" "$(cat "$KIM_T/cm.out")"; return 1; }
}

check_mta
ok "check-mta: the shipped blocks with mta-config's output pass (exit 0)" \
    sh -c "[ $RC -eq 0 ] && ! grep -q '^error' '$KIM_T/cm.out' && grep -q '^0 errors' '$KIM_T/cm.out'"
[ "$RC" -eq 0 ] || diag "$(cat "$KIM_T/cm.out")"
ok "check-mta: routing is Postfix's own answer (trivial-rewrite)" \
    sh -c "grep -qx 'ok: KIM domain kim.telematik-test: kim-check@kim-check.kim.telematik-test: kimgate:\[127.0.0.1\]:$PF_GATE_PORT' '$KIM_T/cm.out' &&
	! grep -q 'trivial-rewrite was not asked' '$KIM_T/cm.out'"
ok "check-mta: the account routes are checked" \
    sh -c "grep -qx 'ok: route of account: herz -> kimprov-herz:\[127.0.0.1\]:$SINK_PORT_prov' '$KIM_T/cm.out'"

kimctl check-mta -C "$etc" --json >"$KIM_T/cm.json" 2>/dev/null
ok "check-mta --json: one object per item, no errors" \
    python3 -c "
import json
d=json.load(open('$KIM_T/cm.json'))
assert d['errors']==0 and len(d['checks'])>20
assert all(x['level'] in ('ok','warning','error') for x in d['checks'])"

# without root: transport_maps in Postfix's lookup order instead
as_nobody()
{
	runuser -u nobody -- "$KIM_KIMCTL" -c "$CONF" check-mta -C "$etc" \
	    >"$KIM_T/cm.out" 2>&1
	RC=$?
}
as_nobody
ok "check-mta without root: passes, with the tables asked in Postfix's order" \
    sh -c "[ $RC -eq 0 ] && grep -q '^warning: trivial-rewrite was not asked: not root' '$KIM_T/cm.out' &&
	grep -qx 'ok: KIM domain kim.telematik-test: kim-check@kim-check.kim.telematik-test: kimgate:\[127.0.0.1\]:$PF_GATE_PORT' '$KIM_T/cm.out'"
[ "$RC" -eq 0 ] || diag "$(cat "$KIM_T/cm.out")"
cp "$etc/main.cf" "$KIM_T/main.cf.keep"
postconf -c "$etc" -e "transport_maps=inline:{kim.telematik=kimgate:[127.0.0.1]:$PF_GATE_PORT, kim.telematik-test=kimgate:[127.0.0.1]:$PF_GATE_PORT}"
as_nobody
ok "check-mta without root: the bare-entry-only trap" \
    reported "kim-check@kim-check.kim.telematik-test: resolves to (default)"
cp "$KIM_T/main.cf.keep" "$etc/main.cf"
printf '/@/\trelay:[127.0.0.1]:%s\n' "$SINK_PORT_inet" >"$etc/wild"
chmod 644 "$etc/wild"
postconf -c "$etc" -e "transport_maps=regexp:$etc/wild, $(postconf -c "$etc" -h transport_maps)"
as_nobody
ok "check-mta without root: an earlier wildcard table" \
    reported "kim-check@kim.telematik-test: resolves to relay:[127.0.0.1]:$SINK_PORT_inet"
cp "$KIM_T/main.cf.keep" "$etc/main.cf"
pf_age pf

cp "$etc/main.cf" "$KIM_T/main.cf.good"
cp "$etc/master.cf" "$KIM_T/master.cf.good"
cp "$etc/kim_virtual" "$KIM_T/kim_virtual.good"
cp "$etc/kim_route_checks" "$KIM_T/kim_route_checks.good"
# variant DESC TEXT CMD... - break the configuration with CMD, expect an
# error line with TEXT, restore; routing changes need trivial-rewrite to
# read them (reload)
variant()
{
	local desc=$1 text=$2
	shift 2
	"$@"
	pf_age pf
	case $desc in
	*route*|*domain*|*wildcard*|*virtual_alias_domains*)
		pf_reload pf
		sleep 1 ;;
	esac
	check_mta
	ok "check-mta reports: $desc" reported "$text"
	cp "$KIM_T/main.cf.good" "$etc/main.cf"
	cp "$KIM_T/master.cf.good" "$etc/master.cf"
	cp "$KIM_T/kim_virtual.good" "$etc/kim_virtual"
	cp "$KIM_T/kim_route_checks.good" "$etc/kim_route_checks"
	pf_age pf
	case $desc in
	*route*|*domain*|*wildcard*|*virtual_alias_domains*)
		pf_reload pf
		sleep 1 ;;
	esac
}
G=127.0.0.1:$PF_GATE_PORT
pc()
{
	postconf -c "$etc" "$@"
}

variant "front milter missing" "no front listener runs kim-milter" \
    pc -e "smtpd_milters="
variant "milter_default_action = accept" "milter_default_action is not tempfail" \
    pc -e "milter_default_action=accept"
variant "bare domain entries only (subdomain route)" \
    "kim-check@kim-check.kim.telematik-test: resolves to smtp:" \
    pc -e "transport_maps=inline:{kim.telematik=kimgate:[127.0.0.1]:$PF_GATE_PORT, kim.telematik-test=kimgate:[127.0.0.1]:$PF_GATE_PORT}"
printf '/@/\trelay:[127.0.0.1]:%s\n' "$SINK_PORT_inet" >"$etc/wild"
variant "an earlier wildcard table hides the KIM entries" \
    "kim-check@kim.telematik-test: resolves to relay:[127.0.0.1]:$SINK_PORT_inet, not to the gate" \
    pc -e "transport_maps=regexp:$etc/wild, $(pc -h transport_maps)"
variant "gate without its daemon name" "has no gate daemon name" \
    pc -PX "$G/inet/milter_macro_daemon_name"
variant "gate with no_milters" "receive_override_options has no_milters" \
    pc -P "$G/inet/receive_override_options=no_address_mappings,no_header_body_checks,no_milters"
variant "gate without no_header_body_checks" "header_checks run at the gate" \
    pc -P "$G/inet/receive_override_options=no_address_mappings"
variant "gate with smtpd_milter_maps" "smtpd_milter_maps could switch the milter off" \
    pc -P "$G/inet/smtpd_milter_maps=cidr:$etc/milter_maps"
variant "gate inherits reject_sender_login_mismatch" \
    "smtpd_sender_restrictions inherits a sender login check" \
    sh -c "postconf -c '$etc' -e smtpd_sender_restrictions=reject_sender_login_mismatch &&
	postconf -c '$etc' -PX '$G/inet/smtpd_sender_restrictions'"
variant "gate without its own cleanup service" "no cleanup service of its own" \
    pc -PX "$G/inet/cleanup_service_name"
variant "gate without the provider content_filter" "no content_filter to a provider transport" \
    pc -PX "$G/inet/content_filter"
variant "gate inherits SASL from main.cf" "SASL inherited from main.cf" \
    sh -c "postconf -c '$etc' -e smtpd_sasl_auth_enable=yes &&
	postconf -c '$etc' -PX '$G/inet/smtpd_sasl_auth_enable'"
variant "the gate's default transport holds an account's certificate" \
    "presents account herz's client certificate $KIM_T/herz.crt" \
    pc -P "kimprovider/unix/smtp_tls_cert_file=$KIM_T/herz.crt"
variant "milter_header_checks set in main.cf" "milter_header_checks is set in main.cf" \
    pc -e "milter_header_checks=regexp:$etc/kim_route_checks"
variant "provider transport with smtp_fallback_relay" \
    "provider transport kimprov-herz: smtp_fallback_relay is [127.0.0.1]:1" \
    pc -P "kimprov-herz/unix/smtp_fallback_relay=[127.0.0.1]:1"
variant "kimcleanup message_size_limit without headroom" \
    "kimcleanup message_size_limit without headroom" \
    pc -P "kimcleanup/unix/message_size_limit=16000000"
variant "missing result-header rule" "no header_checks rule removes forged KIM result headers" \
    pc -e "header_checks="
variant "KIM domain in virtual_alias_domains" \
    "kim-check@kim.telematik-test: is in virtual_alias_domains" \
    pc -e "virtual_alias_domains=kim.telematik-test"
variant "own KIM address without virtual_alias_maps entry" \
    "virtual_alias_maps: herz@klinik.kim.telematik-test <department mailbox>" \
    sed -i '/^herz@/d' "$etc/kim_virtual"
variant "an unanchored route rule sends unknown values to an account" \
    "an unknown route value is filtered" \
    sh -c "printf '/^X-Kimgate-Route:/\tFILTER kimprov-herz:[127.0.0.1]:1\n' >'$etc/kim_route_checks'"
variant "another route to a provider transport" \
    "main.cf relay_transport routes to the provider transport kimprov-klinik" \
    pc -e "relay_transport=kimprov-klinik"

kimctl check-mta -C "$KIM_T/nonexistent" >"$KIM_T/cm.out" 2>&1
ok "check-mta: exit 2 when the configuration cannot be read" test $? -eq 2
