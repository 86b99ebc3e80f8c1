#!/bin/bash
# t_provider_postfix.sh - Postfix's own smtp client delivers to the KIM
# provider stand-in the way the KIM route does (issue 7): implicit TLS
# (smtp_tls_wrappermode), the account's client certificate, SASL with the
# account's password. A private Postfix instance ("sub", tests/integration/
# lib.sh) relays everything to the stand-in. Shows: a message arrives with
# the right envelope; a From header of another account bounces with the
# stand-in's reason; a busy provider (-x 451) defers and the message arrives
# after the restart; a wrong password and a missing client certificate
# defer, nothing arrives.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/integration/lib.sh"
command -v swaks >/dev/null 2>&1 || kim_skip_all "swaks not installed"
kim_init 12

PROV_T=$KIM_T/prov
mkdir -p "$PROV_T"
. "$top_srcdir/tests/provider/lib.sh"
prov_pki || { echo "Bail out! openssl could not make the test PKI"; exit 1; }
# prov_up [OPT...] - the stand-in on its one port, its PID in KIM_PIDS
prov_up()
{
	prov_start prov "$@" || return 1
	KIM_PIDS="$KIM_PIDS $PROV_PID"
	PROV_LISTEN=127.0.0.1:$PROV_PORT
}
prov_up || { echo "Bail out! kim-provider did not start"; exit 1; }

U=$PROV_USER
R=praxis@aerzte.kim.telematik-test
SUB_PORT=$(kim_port) || exit 99
d=$(pf_dir sub)
mkdir -p "$d/etc" "$d/spool" "$d/data" "$d/log"
{
	pf_base_main sub "kimt-$KIM_ID-sub.localdomain"
	cat <<EOF
# the stand-in is the relay; its transport settings are master.cf's
relayhost = [127.0.0.1]:$PROV_PORT
smtp_tls_loglevel = 1
# retries soon (flush triggers them)
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
} >"$d/etc/main.cf"
{
	pf_base_master
	echo "127.0.0.1:$SUB_PORT inet n - n - - smtpd"
} >"$d/etc/master.cf"
# the smtp service as the KIM route's provider transport (lib.sh)
prov_pf_transport sub smtp && pf_prepare sub && pf_start sub &&
    kim_wait 20 port_listening "$SUB_PORT" ||
    { echo "Bail out! Postfix did not start"; exit 1; }

S=$PROV_T/prov/spool
# mail FILE FROM-HEADER SUBJECT - a small message
mail()
{
	printf 'From: %s\nTo: <%s>\nSubject: %s\nMessage-ID: <%s@klinik>\n\nBefund anbei.\n' \
	    "$2" "$R" "$3" "$RANDOM$RANDOM" >"$1"
}
spooled() { [ "$(prov_count prov)" -ge "$1" ]; }

# ---- delivered ---------------------------------------------------------------
mail "$KIM_T/m1" "Station <$U>" "eins"
send "$SUB_PORT" "$U" "$R" "$KIM_T/m1"
ok "Postfix (wrappermode, client certificate, SASL) delivers into the spool" \
    kim_wait 30 spooled 1
ok "the envelope: auth and from are the account, rcpt the recipient" \
    eval 'printf "auth %s\nfrom %s\nrcpt %s\n" "$U" "$U" "$R" |
    cmp -s - <(head -n 3 "$S/000001.env")'
ok "the stand-in saw Postfix's client certificate" \
    grep -qx "cert CN=$U,O=Klinik" "$S/000001.env"
# below_received FILE - the stored message without Postfix's Received header
below_received()
{
	awk 'done { print; next }
	    /^Received: / && !seen { seen = 1; skip = 1; next }
	    /^[ \t]/ && skip { next }
	    { done = 1; print }' "$1"
}
ok "the stored message is the one sent, CRLF, below Postfix's Received" \
    eval 'sed "s/\$/\r/" "$KIM_T/m1" | cmp -s - <(below_received "$S/000001.eml")'
ok "Postfix logged TLS and status=sent" \
    eval 'log_count sub "TLS connection established to .*127\.0\.0\.1" >/dev/null &&
    log_count sub "status=sent .*queued as 000001" >/dev/null'

# ---- refused: From header of another account ------------------------------------
mail "$KIM_T/m2" "<chef@klinik.kim.telematik-test>" "zwei"
send "$SUB_PORT" "$U" "$R" "$KIM_T/m2"
ok "a From header of another account bounces with the stand-in's reason" \
    log_wait sub "status=bounced .*From header <chef@klinik\.kim\.telematik-test> does not match the authenticated account" 1
ok "... and is not stored" test "$(prov_count prov)" -eq 1

# ---- a busy provider: deferred, delivered after the restart -------------------
prov_stop "$PROV_PID"
prov_up -x 451 || { echo "Bail out! kim-provider did not restart"; exit 1; }
mail "$KIM_T/m3" "<$U>" "drei"
send "$SUB_PORT" "$U" "$R" "$KIM_T/m3"
ok "-x 451: Postfix defers the message (it stays queued)" \
    eval 'log_wait sub "status=deferred .*451 4\.3\.0 provider stand-in defers" 1 &&
    test "$(queue_count sub)" -ge 1'
prov_stop "$PROV_PID"
prov_up || { echo "Bail out! kim-provider did not restart"; exit 1; }
flush sub
ok "after the restart the queued message arrives" \
    eval 'kim_wait 30 spooled 2 && grep -q "^Subject: drei" "$S/000002.eml"'

# ---- refused: wrong password, then no client certificate -----------------------
pf_postconf sub -P "smtp/unix/smtp_sasl_password_maps=static:$U:falsch" &&
    pf_reload sub
mail "$KIM_T/m4" "<$U>" "vier"
send "$SUB_PORT" "$U" "$R" "$KIM_T/m4"
ok "wrong password: Postfix defers with SASL authentication failed" \
    log_wait sub "status=deferred .*SASL authentication failed" 1
ok "... the stand-in logged auth fail, nothing stored" \
    eval 'grep -q "auth fail user=$U" "$PROV_T/prov/log" &&
    test "$(prov_count prov)" -eq 2'
postsuper -c "$d/etc" -d ALL >/dev/null 2>&1
prov_pf_transport sub smtp &&
    pf_postconf sub -PX smtp/unix/smtp_tls_cert_file smtp/unix/smtp_tls_key_file &&
    pf_reload sub
mail "$KIM_T/m5" "<$U>" "fuenf"
n=$(log_count sub "status=deferred")
send "$SUB_PORT" "$U" "$R" "$KIM_T/m5"
ok "no client certificate: the handshake fails, Postfix defers, nothing stored" \
    eval 'log_wait sub "status=deferred" $((n + 1)) &&
    grep -q "tls fail from .*certificate" "$PROV_T/prov/log" &&
    test "$(prov_count prov)" -eq 2'
exit 0
