#!/bin/sh
# t_dir_tls.sh - the directory over TLS: a real slapd serving ldaps:// and
# ldap:// with StartTLS, the PKI's RSA TLS server certificate, and a client
# certificate required (TLSVerifyClient demand). kimctl lookup must find
# the entry with a PEM or PKCS#12 client certificate over both transports,
# and say "unavailable" (69), never "not found" (2), when TLS fails.
PORT_RANGE=31000-31999
. "$top_srcdir/tests/dir/harness.sh"

# Debian's slapd and libldap use GnuTLS: the TLS certificates must be RSA
# (no brainpool), and the CA file only holds the RSA chain of them.
openssl x509 -in "$PKI/tls-server/tls-server.pem" -noout -text |
    grep -q 'rsaEncryption' || skip_all "PKI TLS certificate is not RSA"
# the password file must not be readable by others (kim-milter checks)
cp "$PKI/p12.pass" "$T/p12.pass" && chmod 600 "$T/p12.pass"
cat "$PKI/ca/komp-ca-rsa.pem" "$PKI/ca/root-rsa.pem" >"$T/tls-ca.pem"
# a CA that signed none of them, for the wrong-CA case
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
    -keyout "$T/other-ca.key" -out "$T/other-ca.pem" >/dev/null 2>&1 ||
    skip_all "openssl req failed"

start_slapd || skip_all "slapd does not start"
stop_slapd
cat >>"$T/slapd/slapd.conf" <<EOT
TLSCACertificateFile $T/tls-ca.pem
TLSCertificateFile $PKI/tls-server/tls-server.pem
TLSCertificateKeyFile $PKI/tls-server/tls-server.key
TLSVerifyClient demand
EOT

# start_tls_slapd - our slapd on ldaps://$LDAPS_PORT and ldap://$LDAP_PORT
start_tls_slapd()
{
	for _try in 1 2 3 4 5; do
		LDAP_PORT=$(free_port)
		LDAPS_PORT=$(free_port)
		[ "$LDAP_PORT" != "$LDAPS_PORT" ] || continue
		slapd -f "$T/slapd/slapd.conf" \
		    -h "ldaps://127.0.0.1:$LDAPS_PORT/ ldap://127.0.0.1:$LDAP_PORT/" \
		    -d 0 >"$T/slapd/log" 2>&1 3>&- &
		SLAPD_PID=$!
		PIDS="$PIDS $SLAPD_PID"
		_i=0
		while [ $_i -lt 50 ]; do
			if ldapsearch -x -H "ldap://127.0.0.1:$LDAP_PORT" \
			    -b dc=data,dc=vzd -s base >/dev/null 2>&1 &&
			    ss -tlnH "sport = :$LDAPS_PORT" | grep -q .; then
				return 0
			fi
			kill -0 "$SLAPD_PID" 2>/dev/null || break
			sleep 0.1
			_i=$((_i + 1))
		done
		kill "$SLAPD_PID" 2>/dev/null
		wait "$SLAPD_PID" 2>/dev/null
		sed 's/^/# slapd: /' "$T/slapd/log"
	done
	return 1
}
start_tls_slapd || skip_all "slapd with TLS does not start"
start_redis || skip_all "redis-server does not start"
plan 9

D=aerzte.kim.telematik-test
A=praxis@$D
LDAPS="DirectoryURI ldaps://127.0.0.1:$LDAPS_PORT/"
LDAP="DirectoryURI ldap://127.0.0.1:$LDAP_PORT/"
CA="DirectoryTLSCAFile $T/tls-ca.pem"
CERT="DirectoryTLSCertFile $PKI/tls-client/tls-client.pem"
KEY="DirectoryTLSKeyFile $PKI/tls-client/tls-client.key"
P12="DirectoryTLSPKCS12File $PKI/tls-client/tls-client.p12"
P12PW="DirectoryTLSPKCS12PasswordFile $T/p12.pass"

# lookup EXIT TEXT... - kimctl lookup of $A (directory, not the cache)
lookup()
{
	_x=$1
	shift
	run_kimctl lookup --no-cache "$A"
	_r=0
	[ "$RC" -eq "$_x" ] || {
		echo "# $A: exit $RC, expected $_x"
		sed 's/^/#   /' "$T/out" "$T/err"
		_r=1
	}
	for _s in "$@"; do
		grep -qiE -- "$_s" "$T/out" "$T/err" || {
			echo "# expected /$_s/ in:"
			sed 's/^/#   /' "$T/out" "$T/err"
			_r=1
		}
	done
	return $_r
}

write_conf "$LDAPS" "$CA" "$CERT" "$KEY"
check "ldaps:// with CA and PEM client certificate finds the entry" \
    lookup 0 "status: +found" "source: +directory"

write_conf "$LDAP" "DirectoryStartTLS yes" "$CA" "$CERT" "$KEY"
check "ldap:// with StartTLS and PEM client certificate finds the entry" \
    lookup 0 "status: +found"

write_conf "$LDAPS" "$CA" "$P12" "$P12PW"
check "ldaps:// with a PKCS#12 client certificate finds the entry" \
    lookup 0 "status: +found"

write_conf "$LDAP" "DirectoryStartTLS yes" "$CA" "$P12" "$P12PW"
check "StartTLS with a PKCS#12 client certificate finds the entry" \
    lookup 0 "status: +found"

write_conf "$LDAPS" "$CA"
check "ldaps:// without a client certificate: unavailable (69)" lookup 69

write_conf "$LDAP" "DirectoryStartTLS yes" "$CA"
check "StartTLS without a client certificate: unavailable (69)" lookup 69

write_conf "$LDAPS" "DirectoryTLSCAFile $T/other-ca.pem" "$CERT" "$KEY"
check "ldaps:// with a wrong CA: unavailable (69), reason names TLS/cert" \
    lookup 69 "tls|certificate"

write_conf "$LDAP" "DirectoryStartTLS yes" \
    "DirectoryTLSCAFile $T/other-ca.pem" "$CERT" "$KEY"
check "StartTLS with a wrong CA: unavailable (69), reason names TLS/cert" \
    lookup 69 "tls|certificate"

# the server is still fine afterwards: no failure was cached as an answer
write_conf "$LDAPS" "$CA" "$CERT" "$KEY"
check "after the failures the TLS lookup works again" lookup 0 "status: +found"

exit $FAILED
