#!/bin/bash
# t_inbound_fetchmail.sh - the whole inbound path as contrib sets it up:
# a local POP3S server (dovecot-pop3d, started by this test with a private
# base_dir, state_dir and log and a static userdb) holds KIM messages of a
# KIM account; fetchmail (contrib/fetchmail/fetchmailrc.example's options:
# POP3S, softbounce, smtphost 127.0.0.1/<inbound listener>, one address per
# account) delivers them through Postfix's inbound listener and kim-milter.
# While the milter is down the listener tempfails and nothing is deleted
# from the server; then every message arrives decrypted and the server is
# empty.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"
set +u
DOVECOT_PID=
dir_cleanup() {
	[ -n "$DOVECOT_PID" ] && kill "$DOVECOT_PID" 2>/dev/null
	cleanup
}
. "$top_srcdir/tests/integration/lib.sh"
for t in dovecot fetchmail; do
	command -v $t >/dev/null 2>&1 || kim_skip_all "$t not installed (dovecot-pop3d, fetchmail)"
done
kim_init 7
trap 'rc=$?; dir_cleanup; (exit $rc); kim_teardown' EXIT

D=aerzte.kim.telematik-test
TO=praxis-rsa@$D
FROM=kardiologie@klinikum-nord.kim.telematik-test
start_slapd || { echo "Bail out! slapd did not start"; exit 1; }
start_redis || { echo "Bail out! redis did not start"; exit 1; }
write_conf
kim_start_all || { echo "Bail out! Postfix did not start"; exit 1; }
printf '%s %s\n' "$TO" praxis-rsa@praxis.example >>"$(pf_dir pf)/etc/kim_virtual"
pf_reload pf

# --- dovecot: POP3S only, the provider's mailbox of one KIM account -----
DV=$KIM_T/dovecot
POP_PORT=$(kim_port)
mkdir -p "$DV/run" "$DV/state" "$DV/home/$TO/Maildir/new" \
    "$DV/home/$TO/Maildir/cur" "$DV/home/$TO/Maildir/tmp"
chown -R nobody:nogroup "$DV/home"
printf '%s:{PLAIN}kim-pop-pw\n' "$TO" >"$DV/passwd"
cat >"$DV/dovecot.conf" <<-EOF2
	base_dir = $DV/run
	state_dir = $DV/state
	log_path = $DV/log
	info_log_path = $DV/log
	protocols = pop3
	listen = 127.0.0.1
	ssl = required
	ssl_cert = <$PKI/tls-server/tls-server.chain.pem
	ssl_key = <$PKI/tls-server/tls-server.key
	auth_mechanisms = plain
	first_valid_uid = 1
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN $DV/passwd
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=$DV/home/%u
	}
	mail_location = maildir:~/Maildir
	pop3_uidl_format = %08Xu%08Xv
	service pop3-login {
	  inet_listener pop3 {
	    port = 0
	  }
	  inet_listener pop3s {
	    port = $POP_PORT
	    ssl = yes
	  }
	}
	service anvil {
	  chroot =
	}
	service imap-login {
	  chroot =
	}
	service pop3-login {
	  chroot =
	}
EOF2
dovecot -F -c "$DV/dovecot.conf" >>"$DV/stderr" 2>&1 &
DOVECOT_PID=$!
ok "dovecot answers POP3S" kim_wait 10 port_listening "$POP_PORT"

# two KIM messages for the account, made by our encoder
for i in 1 2; do
	printf '%s\r\n' "From: Kardiologie <$FROM>" "To: <$TO>" "Subject: Befund $i" \
	    "Message-ID: <fm-$i-$RANDOM@klinikum.example>" \
	    'X-KIM-Dienstkennung: KIM-Mail;Default;V1.0' '' \
	    "Der Befund $i liegt bei." >"$KIM_T/p$i"
	"$KIMCTL" -c "$CONF" encode --key "$PKI/klinikum/osig-rsa.key" \
	    --cert "$PKI/klinikum/osig-rsa.pem" --recipient "$TO" \
	    <"$KIM_T/p$i" >"$DV/home/$TO/Maildir/new/100000000$i.M1P1.kimtest"
done
chown -R nobody:nogroup "$DV/home"
nmail() { find "$DV/home/$TO/Maildir/new" "$DV/home/$TO/Maildir/cur" -type f | wc -l; }

# --- fetchmail with the options of contrib's example --------------------
export FETCHMAILHOME=$KIM_T/fetchmail
mkdir -p "$FETCHMAILHOME"
cat >"$FETCHMAILHOME/fetchmailrc" <<-EOF2
	set softbounce
	set no bouncemail
	defaults
	  protocol pop3
	  service $POP_PORT
	  ssl
	  sslproto TLS1.2+
	  sslcertck
	  sslcertfile $PKI/anchors.pem
	  sslcommonname localhost
	  smtphost 127.0.0.1/$PF_INBOUND_PORT
	  fetchall
	  no keep
	  no rewrite
	poll localhost via 127.0.0.1
	  user "$TO" there with password "kim-pop-pw" is "$TO" here
EOF2
chmod 600 "$FETCHMAILHOME/fetchmailrc"
fetch() {
	fetchmail -f "$FETCHMAILHOME/fetchmailrc" --nosyslog -v \
	    --pidfile "$FETCHMAILHOME/pid" >>"$KIM_T/fetchmail.log" 2>&1
}

# the milter is not running: the inbound listener tempfails (fail closed)
fetch
sleep 1
ok "milter down: nothing is delivered" test "$(sink_count inet)" = 0
ok "... and nothing is deleted from the POP3 server" test "$(nmail)" = 2

mconf=$(kim_milter_conf "$(grep -E '^DirectoryURI' "$CONF")" \
    "$(grep -E '^RedisURI' "$CONF")" "$(grep -E '^RedisPasswordFile' "$CONF")" \
    "$(grep -E '^CacheKeyFile' "$CONF")" "$(grep -E '^TrustAnchors' "$CONF")" \
    "LocalKimAddresses $TO" "RevocationCheck off" \
    "Card praxrsa pool=praxis-rsa backend=soft key=$PKI/praxis-rsa/enc-rsa.key cert=$PKI/praxis-rsa/enc-rsa.pem")
start_milter "$mconf" || { echo "Bail out! milter did not start"; exit 1; }
fetch
ok "milter up: fetchmail delivers both messages through the inbound listener" \
    wait_for_sink inet 2 30
ok "... decrypted, with 00 and 07" \
    eval 'for f in $(sink_files inet); do sink_message "$f" | tr -d "\r" |
    grep -q "^X-KIM-DecryptionResult: 00$" || exit 1; sink_message "$f" |
    tr -d "\r" | grep -q "^X-KIM-IntegrityCheckResult: 07$" || exit 1; done'
ok "... the texts of both arrive" \
    eval 'cat $(sink_files inet) | grep -q "^Der Befund 1 liegt bei" &&
    cat $(sink_files inet) | grep -q "^Der Befund 2 liegt bei"'
ok "the POP3 server is empty once the relay accepted them" test "$(nmail)" = 0
