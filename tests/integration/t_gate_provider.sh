#!/bin/bash
# t_gate_provider.sh - the KIM route to a provider that enforces what the
# real one enforces (tests/provider/kim-provider: implicit TLS, the
# account's client certificate, AUTH, AUTH user = MAIL FROM = From), with
# the shipped per-account transport (kimprov-kardiologie, chosen by the
# gate's route header through kimcleanup's milter_header_checks), the
# shipped SASL map (per sender), and the shipped virtual_alias_maps line of
# the department's KIM address:
#   - the provider accepts the gate's message: login, envelope sender and
#     From are the department's KIM address; the route header is gone;
#   - a recipient the provider refuses bounces to the department's mailbox
#     (the new envelope sender and its virtual alias), the others arrive;
#   - the provider down: the message waits in the queue and leaves later.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/provider/lib.sh"
dir_cleanup()
{
	for p in $PROV_PIDS; do kill "$p" 2>/dev/null; done
	cleanup
}
kim_init 12
PROV_T=$KIM_T
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
KIMADDR=$KIM_GATE_ADDR
MAILBOX=kardiologie-postfach@klinik.example
PROV_USER=$KIMADDR
kim_dir_up

# the provider stand-in first: its port is the nexthop of the shipped
# kim_route_checks rule (pf_subst puts SINK_PORT_prov there)
prov_pki || { echo "Bail out! provider PKI"; exit 1; }
prov_start prov || { echo "Bail out! provider stand-in did not start"; exit 1; }
SINK_PORT_prov=$PROV_PORT
sink_start inet && pf_create_front || { echo "Bail out! Postfix"; exit 1; }
PFC=$(pf_dir pf)/etc
# what the admin installs: the account's client certificate at the shipped
# path, the SASL map line, the virtual alias of the KIM address
mkdir -p "$PFC/kim"
cp "$PROV_T/pki/client.pem" "$PFC/kim/kardiologie.crt"
cp "$PROV_T/pki/client.key" "$PFC/kim/kardiologie.key"
chmod 644 "$PFC/kim/kardiologie.key"
printf '%s\t%s:%s\n' "$KIMADDR" "$KIMADDR" "$PROV_PASS" >"$PFC/kim_sasl_passwd"
printf '%s\t%s\n' "$KIMADDR" "$MAILBOX" >"$PFC/kim_virtual"
# the shipped transport, as shipped (lib.sh made it plain for smtp-sink)
s=kimprov-kardiologie/unix
pf_postconf pf -P "$s/smtp_tls_wrappermode=yes" \
    "$s/smtp_tls_security_level=encrypt" \
    "$s/smtp_tls_cert_file=$PFC/kim/kardiologie.crt" \
    "$s/smtp_tls_key_file=$PFC/kim/kardiologie.key" \
    "$s/smtp_tls_CAfile=$PROV_T/pki/ca.pem"
chmod -R a+rX "$PROV_T/pki"
pf_start pf || { echo "Bail out! Postfix did not start"; exit 1; }

mconf=$(kim_gate_milter_conf)
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }

A=arzt@klinik.example
SP=$PROV_T/prov/spool
# pmail N RCPTS - message N to comma-separated recipients through the front
pmail()
{
	local f=$KIM_T/p$1.eml
	printf '%s\r\n' "From: Dr. Arzt <$A>" "To: $2" "Subject: Provider $1" \
	    "Message-ID: <prov-$1@klinik.example>" '' "Inhalt $1" >"$f"
	send "$PF_FRONT_PORT" $A "$2" "$f"
}
# stored ID - the .eml of the stand-in's spool with this Message-ID
stored() { grep -l "^Message-ID: <$1>" "$SP"/*.eml 2>/dev/null | head -1; }
until_stored()
{
	local i=0
	while [ -z "$(stored "$1")" ]; do
		i=$((i + 1))
		[ $i -ge 45 ] && return 1
		[ $((i % 5)) = 0 ] && flush pf
		sleep 1
	done
}

pmail 1 "praxis-rsa@$D"
ok "the provider (TLS, client certificate, AUTH) accepts the gate's message" \
    until_stored prov-1@klinik.example
e=$(stored prov-1@klinik.example)
env=${e%.eml}.env
ok "AUTH user and envelope sender are the department's KIM address" \
    eval 'grep -qx "auth $KIMADDR" "$env" && grep -qx "from $KIMADDR" "$env"'
ok "the account's client certificate was presented" \
    grep -q "^cert .*CN *= *$KIMADDR" "$env"
ok "From is the department's KIM address (the provider compared it)" \
    grep -q "^From: Dr. Arzt <$KIMADDR>" "$e"
ok "the route header did not reach the provider" eval '! grep -qi "^X-Kimgate-Route" "$e"'
ok "it left through the account's transport" \
    kim_wait 10 eval 'pf_log pf | grep -q "postfix/kimprov-kardiologie/smtp.*status=sent"'
ok "the recipient's key opens it (openssl)" \
    eval 'tr -d "\r" <"$e" | awk "h {print} /^\$/ {h=1}" | openssl base64 -d | "$top_builddir/tests/codec/cms_strip" >"$KIM_T/p1.der" && openssl cms -decrypt -inform DER -in "$KIM_T/p1.der" -inkey "$PKI/praxis-rsa/enc-rsa.key" -recip "$PKI/praxis-rsa/enc-rsa.pem" -out /dev/null'

# a recipient the provider refuses: bounced to the department's mailbox
prov_stop "$PROV_PID"
PROV_LISTEN=127.0.0.1:$PROV_PORT prov_start prov -r "praxis@$D" ||
    echo "# stand-in did not restart"
pmail 2 "praxis@$D,praxis-rsa@$D"
ok "the other recipient of the message still arrives" until_stored prov-2@klinik.example
bounced() { grep -l "recipient refused by provider stand-in" "$KIM_T"/sink-inet/m.* 2>/dev/null | xargs -r grep -l "^X-Rcpt-Args: <$MAILBOX>" | grep -q .; }
ok "the provider's 5xx bounces to the department's mailbox (virtual alias of its KIM address)" \
    kim_wait 60 bounced

# the provider down: queued, delivered when it is back
prov_stop "$PROV_PID"
pmail 3 "praxis-rsa@$D"
waiting() { pf_log pf | grep -q "kimprov-kardiologie/smtp.*status=deferred"; }
ok "provider down: the encrypted message waits in the queue" kim_wait 60 waiting
PROV_LISTEN=127.0.0.1:$PROV_PORT prov_start prov || echo "# stand-in did not restart"
ok "provider back: the message arrives" until_stored prov-3@klinik.example
ok "no plaintext at the provider, ever" eval '! grep -l "^Inhalt" "$SP"/*.eml >/dev/null 2>&1'
