#!/bin/sh
# t_inbound_conf.sh - kim-milter -n names every wrong revocation setting
# (kim-milter.conf(5), "Inbound") with the file, before the daemon runs.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
M=$top_builddir/milter/kim-milter
T=$(mktemp -d "${TMPDIR:-/tmp}/kim-inconf.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
mkdir "$T/policy.d"
echo "1..6"
n=0
# check DESC EXPECTED-TEXT EXPECTED-RC LINE... - kim-milter -n on a conf
check() {
	desc=$1 want=$2 wantrc=$3
	shift 3
	{
		echo "Syslog no"
		echo "PolicyDirectory $T/policy.d"
		for l in "$@"; do echo "$l"; done
	} >"$T/c.conf"
	"$M" -n -c "$T/c.conf" >"$T/out" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$wantrc" ] && grep -q -- "$want" "$T/out"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$T/out"
	fi
}
printf 'not a certificate\n' >"$T/bad.pem"
check "RevocationCheck must be off, soft or hard" \
    "RevocationCheck maybe: use off, soft or hard" 1 "RevocationCheck maybe"
check "an unreadable CRL file is named" \
    "CRLFiles $T/none.crl: cannot be read" 1 "CRLFiles $T/none.crl"
check "a file that is no CRL is named" \
    "CRLFiles $T/bad.pem: not a CRL" 1 "CRLFiles $T/bad.pem"
check "OCSPResponder takes http:// only" \
    "OCSPResponder https://ocsp.example/: only http://" 1 \
    "OCSPResponder https://ocsp.example/"
check "OCSPResponderCerts without a certificate is named" \
    "OCSPResponderCerts $T/bad.pem: no PEM certificate" 1 \
    "OCSPResponderCerts $T/bad.pem"
check "good revocation settings pass" "" 0 "RevocationCheck hard" \
    "OCSPResponder http://127.0.0.1:9/ocsp" "OCSPMaxAge 2h" "OCSPTimeout 5s" \
    "InboundTimeout 2m"
