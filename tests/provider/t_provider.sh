#!/bin/bash
# t_provider.sh - the KIM provider stand-in enforces what the real provider
# enforces (issue 7): implicit TLS with a client certificate of the
# provider's CA, AUTH, AUTH user = MAIL FROM = From header; it stores what
# it accepts byte for byte with its envelope; -r and -x inject refusals;
# several sessions at once; no plaintext SMTP at all. Clients: swaks
# --tls-on-connect and openssl s_client. Runs without root.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

N=0
FAILED=0
# ok DESC CMD... - one TAP line
ok()
{
	local desc=$1
	shift
	N=$((N + 1))
	if "$@"; then
		echo "ok $N - $desc"
	else
		echo "not ok $N - $desc"
		FAILED=$((FAILED + 1))
	fi
}

for tool in swaks openssl; do
	command -v $tool >/dev/null 2>&1 ||
	    { echo "1..0 # SKIP $tool not installed"; exit 0; }
done
swaks --support 2>&1 | grep -q '=== TLS supported' ||
    { echo "1..0 # SKIP swaks without TLS (libnet-ssleay-perl)"; exit 0; }
echo "1..44"

PROV_T=$(mktemp -d "${TMPDIR:-/tmp}/kimprov.XXXXXX") || exit 99
. "$top_srcdir/tests/provider/lib.sh"
teardown()
{
	local rc=$? pid
	for pid in $PROV_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for f in "$PROV_T"/*/log "$PROV_T"/swaks.log; do
			[ -f "$f" ] && { echo "==== $f"; tail -n 40 "$f"; } >&2
		done
	fi
	rm -rf "$PROV_T"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 98' INT TERM HUP

prov_pki || { echo "Bail out! openssl could not make the test PKI"; exit 1; }
prov_start main || { echo "Bail out! kim-provider did not start"; exit 1; }
MAIN_PID=$PROV_PID MAIN_PORT=$PROV_PORT
P=$PROV_T/pki
U=$PROV_USER
R1=praxis@aerzte.kim.telematik-test
R2=labor@aerzte.kim.telematik-test

# msg FILE FROM-LINE BODY - a CRLF message without its last line end
# (swaks adds CRLF . CRLF)
msg()
{
	printf '%s\r\nTo: <%s>\r\nSubject: test\r\nMessage-ID: <%s@t>\r\n\r\n%s' \
	    "$2" "$R1" "$RANDOM$RANDOM" "$3" >"$1"
}

# smtp PORT CERT OUT ARG... - one swaks session as the account with the
# client certificate CERT (pki name or "none"); transcript to OUT
smtp()
{
	local port=$1 cert=$2 out=$3 certopt=()
	shift 3
	[ "$cert" != none ] &&
	    certopt=(--tls-cert "$P/$cert.pem" --tls-key "$P/$cert.key")
	swaks --server 127.0.0.1 --port "$port" --tls-on-connect \
	    "${certopt[@]}" --helo t.example --timeout 20 "$@" >"$out" 2>&1
	local rc=$?
	cat "$out" >>"$PROV_T/swaks.log"
	return $rc
}
AUTHOK=(--auth PLAIN --auth-user "$U" --auth-password "$PROV_PASS")

# sclient PORT - openssl s_client with the account's certificate, the
# commands from stdin (CRLF already), the server's lines on stdout
sclient()
{
	timeout 20 openssl s_client -quiet -nocommands -connect \
	    "127.0.0.1:$1" -cert "$P/client.pem" -key "$P/client.key" \
	    -CAfile "$P/ca.pem" "${@:2}" 2>/dev/null
}
PLAIN64=$(printf '\0%s\0%s' "$U" "$PROV_PASS" | base64 -w0)
# session_head - EHLO, AUTH, MAIL, RCPT, DATA as one pipelined block
session_head()
{
	printf 'EHLO big\r\nAUTH PLAIN %s\r\nMAIL FROM:<%s> SIZE=1\r\nRCPT TO:<%s>\r\nDATA\r\n' \
	    "$PLAIN64" "$U" "$R1"
}

logged() { grep -qE -e "$2" "$PROV_T/$1/log"; }
spool() { echo "$PROV_T/$1/spool"; }

# ---- the good path --------------------------------------------------------
m=$PROV_T/good.eml
msg "$m" "From: Station Klinik <$U>" \
    $'Hallo,\r\n.a line that starts with a dot\r\n..two dots\r\nEnde'
smtp "$MAIN_PORT" client "$PROV_T/o1" "${AUTHOK[@]}" --from "$U" \
    --to "$R1,$R2" --data "@$m"
# swaks' transcript of the greeting in a TLS session (tests below look for
# its absence)
GREETING='^<~  220 '
ok "good path: client certificate, AUTH PLAIN, MAIL FROM = From = user: accepted" \
    eval 'grep -q "$GREETING" "$PROV_T/o1" &&
    grep -q "^<~  250 2\.0\.0 Ok: queued as 000001" "$PROV_T/o1"'
S=$(spool main)
ok "good path: stored as 000001.eml and 000001.env" \
    test -f "$S/000001.eml" -a -f "$S/000001.env"
printf '\r\n' >>"$m"
ok "good path: the stored message is the DATA bytes, dot-unstuffed, CRLF" \
    cmp -s "$m" "$S/000001.eml"
expect_env=$PROV_T/env.want
printf 'auth %s\nfrom %s\nrcpt %s\nrcpt %s\n' "$U" "$U" "$R1" "$R2" \
    >"$expect_env"
ok "good path: .env names auth user, sender and both recipients" \
    eval 'head -n 4 "$S/000001.env" | cmp -s - "$expect_env"'
ok "good path: .env names the client certificate's subject" \
    grep -qx "cert CN=$U,O=Klinik" "$S/000001.env"
ok "good path: the log says tls ok, auth ok, accepted 000001" \
    eval 'logged main "tls ok TLSv1\.[23] .*cert=CN=" &&
    logged main "auth ok user=$U mech=PLAIN" && logged main "accepted 000001 "'
ok "no half files in the spool (temporary names are gone)" \
    test -z "$(ls -A "$S" | grep -v '^[0-9]\{6\}\.e[mn][lv]$')"

# AUTH LOGIN, and a folded From header with a quoted display name
m=$PROV_T/login.eml
msg "$m" "From: \"Klinik, Station <3>\"$(printf '\r\n')  <${U^^}> (Station)" "Login"
ok "AUTH LOGIN, folded From header with quoted name, other case: accepted" \
    smtp "$MAIN_PORT" client "$PROV_T/o2" --auth LOGIN --auth-user "$U" \
    --auth-password "$PROV_PASS" --from "$U" --to "$R1" --data "@$m"

# ---- refused before SMTP: TLS ---------------------------------------------
n0=$(prov_count main)
m=$PROV_T/plain.eml
msg "$m" "From: <$U>" "x"
smtp "$MAIN_PORT" none "$PROV_T/o3" "${AUTHOK[@]}" --from "$U" --to "$R1" \
    --data "@$m"
ok "no client certificate: the handshake fails, no SMTP greeting" \
    eval '! grep -q "$GREETING" "$PROV_T/o3"'
ok "... logged as a TLS failure" logged main "tls fail from 127\.0\.0\.1: .*certificate"
smtp "$MAIN_PORT" stranger "$PROV_T/o4" "${AUTHOK[@]}" --from "$U" --to "$R1" \
    --data "@$m"
ok "client certificate of another CA: the handshake fails" \
    eval '! grep -q "$GREETING" "$PROV_T/o4"'
ok "... logged with the verify reason" \
    logged main "tls fail from .*client certificate: unable to get local issuer"
# a plaintext client: sends EHLO without TLS and reads what comes back
plain_reply()
{
	exec 3<>"/dev/tcp/127.0.0.1/$MAIN_PORT" || return 1
	printf 'EHLO plain.example\r\n' >&3
	timeout 5 cat <&3 | tr -c '[:print:]\n' '?'
	exec 3<&-
}
r=$(plain_reply)
ok "plaintext SMTP: no SMTP reply at all, only the TLS failure" \
    eval '! echo "$r" | grep -qE "^[245][0-9][0-9][ -]"'
ok "... and the log says why" logged main "tls fail from .*(wrong version|http|packet length|record)"
ok "none of the refused connections stored anything" \
    test "$(prov_count main)" -eq "$n0"

# TLS versions: 1.2 and 1.3 in, 1.1 out; brainpool where OpenSSL has it
greet() { printf 'QUIT\r\n' | sclient "$MAIN_PORT" "$@" | grep -c '^220 '; }
ok "TLS 1.3 handshake" test "$(greet -tls1_3)" = 1
ok "TLS 1.2 handshake" test "$(greet -tls1_2)" = 1
ok "TLS 1.1 refused" test "$(greet -tls1_1)" = 0
if openssl ecparam -list_curves 2>/dev/null | grep -q brainpoolP256r1; then
	# the client prefers brainpool; the ECDSA certificate is P-256
	bp=$(printf 'QUIT\r\n' | timeout 20 openssl s_client -brief -ign_eof \
	    -nocommands -connect "127.0.0.1:$MAIN_PORT" -cert "$P/client.pem" \
	    -key "$P/client.key" -tls1_2 -groups brainpoolP256r1:P-256 2>&1)
	ok "TLS 1.2 key exchange on brainpoolP256r1" eval 'echo "$bp" |
	    grep -q "Temp Key: ECDH, brainpoolP256r1" &&
	    echo "$bp" | grep -q "^220 "'
else
	N=$((N + 1)); echo "ok $N - brainpool # SKIP OpenSSL without brainpool"
fi

# ---- refused in SMTP ------------------------------------------------------
n0=$(prov_count main)
smtp "$MAIN_PORT" client "$PROV_T/o5" --auth PLAIN --auth-user "$U" \
    --auth-password wrong --from "$U" --to "$R1" --data "@$m"
ok "wrong password: 535 5.7.8, logged as auth fail" \
    eval 'grep -q "^<[~*]\* 535 5\.7\.8" "$PROV_T/o5" &&
    logged main "auth fail user=$U"'
smtp "$MAIN_PORT" client "$PROV_T/o6" --from "$U" --to "$R1" --data "@$m"
ok "MAIL without AUTH: 530 5.7.0 Authentication required" \
    grep -q "^<[~*]\* 530 5\.7\.0 Authentication required" "$PROV_T/o6"
smtp "$MAIN_PORT" client "$PROV_T/o7" "${AUTHOK[@]}" \
    --from other@klinik.kim.telematik-test --to "$R1" --data "@$m"
ok "MAIL FROM not the AUTH user: 553 5.7.1 sender not owned" \
    grep -q "^<[~*]\* 553 5\.7\.1 sender <other@klinik.kim.telematik-test> not owned by user $U" \
    "$PROV_T/o7"
msg "$m" "From: Chef <chef@klinik.kim.telematik-test>" "x"
smtp "$MAIN_PORT" client "$PROV_T/o8" "${AUTHOK[@]}" --from "$U" \
    --to "$R1" --data "@$m"
ok "From header not the AUTH user: 550 5.7.1 From header does not match" \
    grep -q "^<[~*]\* 550 5\.7\.1 From header <chef@klinik.kim.telematik-test> does not match the authenticated account $U" \
    "$PROV_T/o8"
msg "$m" "From: <$U>$(printf '\r\nFrom: <%s>' "$U")" "x"
smtp "$MAIN_PORT" client "$PROV_T/o9" "${AUTHOK[@]}" --from "$U" \
    --to "$R1" --data "@$m"
ok "two From headers: 550 5.7.1" grep -q "^<[~*]\* 550 5\.7\.1" "$PROV_T/o9"
ok "none of the refused messages stored anything" \
    test "$(prov_count main)" -eq "$n0"

# from_reply HEADER - the reply to the end of DATA of a message whose
# From header line(s) is HEADER
from_reply()
{
	{ session_head; printf '%s\r\nSubject: f\r\n\r\nx\r\n.\r\nQUIT\r\n' "$1"; } |
	    sclient "$MAIN_PORT" | tr -d '\r' | grep -E '^(250 2\.0\.0|55[0-9]) '
}
ok "From header with a bare address (and a comment): accepted" \
    eval 'from_reply "From: $U (Station)" | grep -q "^250 2\.0\.0 Ok: queued"'
ok "From header with two addresses: 550 5.7.1" \
    eval 'from_reply "From: <$U>, <chef@klinik.kim.telematik-test>" |
    grep -q "^550 5\.7\.1 message needs exactly one From header"'
ok "no From header: 550 5.7.1" \
    eval 'from_reply "Sender: <$U>" | grep -q "^550 5\.7\.1 "'
ok "the user's address as quoted display name only: 550 5.7.1 From header" \
    eval 'from_reply "From: \"$U\" <chef@klinik.kim.telematik-test>" |
    grep -q "^550 5\.7\.1 From header <chef@klinik\.kim\.telematik-test> does not match"'

# garbage: a 5000-byte line, bad base64 in AUTH; the session goes on
long=$(head -c 5000 /dev/zero | tr '\0' a)
r=$(printf 'EHLO t\r\n%s\r\nAUTH PLAIN !!!!\r\nAUTH PLAIN\r\n#not-base64#\r\nNOOP\r\nQUIT\r\n' \
    "$long" | sclient "$MAIN_PORT")
ok "a line too long: 500 5.5.2, the session goes on" \
    eval 'echo "$r" | grep -q "^500 5\.5\.2 Line too long"'
ok "bad base64 in AUTH (initial and continuation): 501 twice" \
    test "$(echo "$r" | grep -c '^501 ')" = 2
ok "... and the next command is answered (NOOP 250, QUIT 221)" \
    eval 'echo "$r" | grep -q "^221 "'

# ---- two sessions at once -------------------------------------------------
# A opens, authenticates and waits 3 s; B completes meanwhile
(
	printf 'EHLO a\r\nAUTH PLAIN %s\r\n' "$PLAIN64"
	sleep 3
	printf 'MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n' "$U" "$R1"
	sleep 0.5
	printf 'From: <%s>\r\n\r\nsession A\r\n.\r\nQUIT\r\n' "$U"
) | sclient "$MAIN_PORT" >"$PROV_T/oA" &
apid=$!
sleep 0.5
msg "$m" "From: <$U>" "session B"
smtp "$MAIN_PORT" client "$PROV_T/oB" "${AUTHOK[@]}" --from "$U" \
    --to "$R1" --data "@$m"
a_open=$(grep -c 'queued as' "$PROV_T/oA")
wait $apid
ok "two sessions at once: B is stored while A is still open" \
    eval 'grep -q "queued as" "$PROV_T/oB" && test "$a_open" = 0'
ok "... and A is stored after it" grep -q "^250 2.0.0 Ok: queued as" "$PROV_T/oA"

# ---- big messages and garbage ----------------------------------------------
# 10 MB: lines longer than the reader's 64 KiB pieces, a dot right after
# such a piece boundary (not at a line start: kept), dot-stuffed lines
big=$PROV_T/big.eml
U=$U perl -e 'binmode STDOUT;
	print "From: <$ENV{U}>\r\nTo: <r\@x>\r\nSubject: big\r\n\r\n";
	for (1..100) {
		print "a" x 65536, ".b", "x" x 34000, "\r\n";
		print ".leading dot\r\n", "z" x 998, "\r\n";
	}' >"$big"
r=$( { session_head; perl -pe 's/^\./../' "$big"; printf '.\r\nQUIT\r\n'; } |
    sclient "$MAIN_PORT" | tr -d '\r')
id=$(echo "$r" | sed -n 's/^250 2\.0\.0 Ok: queued as //p')
ok "10 MB with 100 KB lines: accepted and stored byte for byte" \
    eval 'test -n "$id" && cmp -s "$big" "$(spool main)/$id.eml"'
n0=$(prov_count main)
r=$( { session_head; U=$U perl -e 'binmode STDOUT;
	print "From: <$ENV{U}>\r\n\r\n"; print "y" x 998, "\r\n" for 1..70000;';
	printf '.\r\nQUIT\r\n'; } | sclient "$MAIN_PORT")
ok "70 MB: 552 5.3.4 after the whole DATA, nothing stored, session goes on" \
    eval 'echo "$r" | grep -q "^552 5\.3\.4" && echo "$r" | grep -q "^221 " &&
    test "$(prov_count main)" -eq "$n0"'
r=$(head -c 300000 /dev/urandom | sclient "$MAIN_PORT" | tr -d '\r')
ok "random bytes after the handshake: 5xx replies, then 421 Too many errors" \
    eval 'echo "$r" | grep -q "^421 4\.7\.0 Too many errors"'
r=$(printf 'EHLO again\r\nQUIT\r\n' | sclient "$MAIN_PORT" | grep -c "^221 ")
ok "... the stand-in still serves, no session crashed" \
    eval 'test "$r" = 1 && ! logged main "killed by signal|exited with status"'

# ---- failure injection ----------------------------------------------------
prov_start inject -r "$R2" || { echo "Bail out! second instance"; exit 1; }
msg "$m" "From: <$U>" "x"
smtp "$PROV_PORT" client "$PROV_T/o10" "${AUTHOK[@]}" --from "$U" \
    --to "$R1,$R2" --data "@$m"
ok "-r: that recipient gets 550 5.1.1 recipient refused by provider stand-in" \
    grep -q "^<[~*]\* 550 5\.1\.1 <$R2>: recipient refused by provider stand-in" \
    "$PROV_T/o10"
ok "-r: the other recipient is accepted and alone in the .env" \
    eval 'test "$(grep "^rcpt" "$PROV_T/inject/spool/000001.env")" = "rcpt $R1"'
prov_stop "$PROV_PID"

prov_start inject554 -x 554 || { echo "Bail out! third instance"; exit 1; }
smtp "$PROV_PORT" client "$PROV_T/o11" "${AUTHOK[@]}" --from "$U" \
    --to "$R1" --data "@$m"
ok "-x 554: the end of DATA gets 554 and nothing is stored" \
    eval 'grep -q "^<[~*]\* 554 5\.3\.0" "$PROV_T/o11" &&
    test "$(prov_count inject554)" -eq 0'

# ---- SIGTERM ----------------------------------------------------------------
kill -TERM "$MAIN_PID"
stopped()
{
	local i
	for i in $(seq 1 50); do
		kill -0 "$MAIN_PID" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}
ok "SIGTERM: the stand-in stops and says so" \
    eval 'stopped && logged main "stopped$"'

# ---- daemon mode --------------------------------------------------------------
mkdir -p "$PROV_T/daemon/spool"
"$PROV_BIN" -l 127.0.0.1:0 -P "$PROV_T/daemon/port" -p "$PROV_T/daemon/pid" \
    -c "$P/server.pem" -k "$P/server.key" -C "$P/ca.pem" \
    -u "$PROV_T/main/users" -d "$PROV_T/daemon/spool" -L "$PROV_T/daemon/log"
dpid=$(cat "$PROV_T/daemon/pid" 2>/dev/null)
[ -n "$dpid" ] && PROV_PIDS="$PROV_PIDS $dpid"
g=$(printf 'QUIT\r\n' | sclient "$(cat "$PROV_T/daemon/port")" | grep -c '^220 ')
ok "without -f: a daemon (PID file), serving" \
    eval 'test -n "$dpid" && test "$g" = 1 &&
    test "$(ps -o ppid= -p "$dpid" | tr -d " ")" != $$'
kill -TERM "$dpid" 2>/dev/null
ok "... and SIGTERM stops it" eval 'MAIN_PID=$dpid stopped'
exit 0
