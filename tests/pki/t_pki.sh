#!/bin/sh
# t_pki.sh - the test PKI is what tests/pki/README.md promises (TAP)

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
OPENSSL=${OPENSSL:-openssl}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$T/pki
N=0
FAILED=0

# ok COND-EXIT-STATUS TEXT - one TAP line
ok()
{
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=1
	fi
}

# txt CERT - the openssl x509 -text of a certificate of the PKI
txt()
{
	"$OPENSSL" x509 -in "$P/$1" -noout -text 2>/dev/null
}

# vfy CERT [ARGS] - output of openssl verify against anchors.pem
vfy()
{
	_c=$1
	shift
	"$OPENSSL" verify -CAfile "$P/anchors.pem" "$@" "$P/$_c" 2>&1
}

sh "$top_srcdir/tests/pki/mkpki.sh" "$P" >"$T/out" 2>&1
ok $? "mkpki.sh runs"
test -f "$P/.complete"
ok $? ".complete written"

cp "$P/klinikum/enc-rsa.key" "$T/before.key"
sh "$top_srcdir/tests/pki/mkpki.sh" "$P" && cmp -s "$T/before.key" "$P/klinikum/enc-rsa.key"
ok $? "second run keeps the existing PKI"

for f in anchors.pem roots.pem p12.pass parties.txt; do
	test -s "$P/$f"
	ok $? "$f exists"
done
test "$(grep -c 'BEGIN CERTIFICATE' "$P/anchors.pem")" -eq 5
ok $? "anchors.pem holds the 5 CA certificates"

# Every row of parties.txt: files exist, key mode 0600, key matches cert,
# DER equals PEM, PKCS#12 opens with p12.pass, validity as its state says.
grep -v '^#' "$P/parties.txt" > "$T/rows"
test "$(wc -l < "$T/rows")" -ge 30
ok $? "parties.txt has a row per certificate"
while read -r party use kt addr tid cert key state; do
	id="$party $use $kt"
	r=0
	test -s "$P/$cert" && test -s "$P/$key" || r=1
	case $(ls -l "$P/$key") in -rw-------*) ;; *) r=1 ;; esac
	a=$("$OPENSSL" x509 -in "$P/$cert" -noout -pubkey 2>/dev/null)
	b=$("$OPENSSL" pkey -in "$P/$key" -pubout 2>/dev/null)
	[ -n "$a" ] && [ "$a" = "$b" ] || r=1
	"$OPENSSL" x509 -in "$P/$cert" -outform DER 2>/dev/null |
	    cmp -s - "$P/${cert%.pem}.der" || r=1
	ok $r "$id: files, key mode 0600, key matches cert, DER = PEM"
	if [ "$party" != ca ]; then
		"$OPENSSL" pkcs12 -in "$P/${cert%.pem}.p12" -nodes \
		    -passin "file:$P/p12.pass" 2>/dev/null | grep -q 'PRIVATE KEY'
		ok $? "$id: PKCS#12 opens with p12.pass"
	fi
	v=$(vfy "$cert")
	case $state in
	ok|badku|mixedtid|sharedkey)
		echo "$v" | grep -q ': OK$'
		ok $? "$id: chain verifies" ;;
	expired)
		echo "$v" | grep -q 'certificate has expired'
		ok $? "$id: verify says expired" ;;
	notyet)
		echo "$v" | grep -q 'certificate is not yet valid'
		ok $? "$id: verify says not yet valid" ;;
	brokensig)
		echo "$v" | grep -q 'certificate signature failure'
		ok $? "$id: verify says bad signature" ;;
	esac
	case $use in osig|enc) ;; *) continue ;; esac

	t=$(txt "$cert")
	echo "$t" | grep -q "registrationNumber: $tid\$"
	ok $? "$id: admission extension carries $tid"
	case $use in
	osig)	pol=1.2.276.0.76.4.78 ku='Non Repudiation' ;;
	enc)	pol=1.2.276.0.76.4.76
		case $kt in rsa) ku='Key Encipherment' ;; ecc) ku='Key Agreement' ;;
		esac ;;
	esac
	echo "$t" | grep -q "Policy: $pol\$"
	ok $? "$id: certificate policy $pol"
	k=$(echo "$t" | grep -A1 'X509v3 Key Usage: critical' | tail -1)
	if [ "$state" = badku ]; then
		echo "$k" | grep -q '^ *Digital Signature$'
		ok $? "$id: key usage is digitalSignature only"
	else
		echo "$k" | grep -q "$ku"
		ok $? "$id: key usage $ku"
	fi
	if [ "$use" = enc ]; then
		echo "$t" | grep -q "email:$addr\$"
		ok $? "$id: subjectAltName rfc822Name $addr"
	fi
	if [ "$kt" = ecc ]; then
		echo "$t" | grep -q 'ASN1 OID: brainpoolP256r1' &&
		    echo "$t" | grep -q 'Signature Algorithm: ecdsa-with-SHA256'
		ok $? "$id: brainpoolP256r1 key, ecdsa-with-SHA256 signature"
	fi
done < "$T/rows"

# With only the issuing SMC-B CA trusted (no root): -partial_chain.
"$OPENSSL" verify -partial_chain -CAfile "$P/ca/smcb-ca-ecc.pem" \
    "$P/klinikum/enc-ecc.pem" >/dev/null 2>&1
ok $? "ECC chain verifies with -partial_chain and the SMC-B CA alone"
"$OPENSSL" verify -CAfile "$P/ca/smcb-ca-ecc.pem" \
    "$P/klinikum/enc-ecc.pem" >/dev/null 2>&1
test $? -ne 0
ok $? "without -partial_chain the SMC-B CA alone is not enough"
"$OPENSSL" verify -CAfile "$P/roots.pem" -untrusted "$P/ca/smcb-ca-rsa.pem" \
    "$P/klinikum/osig-rsa.pem" >/dev/null 2>&1
ok $? "RSA chain verifies to the root with the CA untrusted"
"$OPENSSL" verify -CAfile "$P/ca/smcb-ca-rsa.pem" -partial_chain \
    "$P/klinikum/enc-ecc.pem" >/dev/null 2>&1
test $? -ne 0
ok $? "the ECC certificate does not verify under the RSA CA"

# 37C3: kasse-a and kasse-b share one key under two Telematik-IDs.
for kt in rsa ecc; do
	a=$("$OPENSSL" x509 -in "$P/kasse-a/enc-$kt.pem" -noout -pubkey)
	b=$("$OPENSSL" x509 -in "$P/kasse-b/enc-$kt.pem" -noout -pubkey)
	[ -n "$a" ] && [ "$a" = "$b" ]
	ok $? "kasse-a and kasse-b share the $kt public key"
done
txt kasse-b/enc-rsa.pem | grep -q 'registrationNumber: 8-01-KASSE-B$' &&
    txt kasse-a/enc-rsa.pem | grep -q 'registrationNumber: 8-01-KASSE-A$'
ok $? "... under different Telematik-IDs"
# Apart from them no two certificates (OSIG/ENC) share a key.
n1=$(grep -v ' sharedkey$' "$T/rows" | wc -l)
n2=$(grep -v ' sharedkey$' "$T/rows" | while read -r party use kt x y cert z; do
	"$OPENSSL" x509 -in "$P/$cert" -noout -pubkey | tr -d '\n'
	echo
done | sort -u | wc -l)
test "$n1" -eq "$n2"
ok $? "every other certificate has its own key ($n2 keys)"

# mixedtid: its two ENC certificates carry different Telematik-IDs.
txt mixedtid/enc-rsa.pem | grep -q 'registrationNumber: 1-2-ARZT-MIXED-01$' &&
    txt mixedtid/enc-ecc.pem | grep -q 'registrationNumber: 1-2-ARZT-MIXED-02$'
ok $? "mixedtid's ENC certificates carry different Telematik-IDs"

# The admission extension has the shape of gematik's sample: Admissions,
# ProfessionInfos, items, OIDs, registrationNumber as PrintableString.
off=$("$OPENSSL" asn1parse -in "$P/praxis/enc-rsa.pem" |
    grep -A1 ':Professional Information or basis for Admission' |
    tail -1 | sed 's/^ *\([0-9]*\):.*/\1/')
"$OPENSSL" asn1parse -in "$P/praxis/enc-rsa.pem" -strparse "$off" > "$T/adm.txt" 2>&1
grep -q 'd=6 .*UTF8STRING *:Betriebsst' "$T/adm.txt" &&
    grep -q 'd=6 .*OBJECT *:1.2.276.0.76.4.50' "$T/adm.txt" &&
    grep -q 'd=5 .*PRINTABLESTRING *:1-2-ARZT-PRAXIS-01' "$T/adm.txt"
ok $? "admission extension nests like gematik's SMC-B certificates"
"$OPENSSL" asn1parse -in "$P/praxis/enc-rsa.pem" |
    grep -q 'HEX DUMP\]:.*0C1442657472696562737374C3A4747465'
ok $? "profession item is UTF-8 encoded once (umlaut = C3 A4)"

# Service certificates.
t=$(txt tls-server/tls-server.pem)
echo "$t" | grep -q 'TLS Web Server Authentication' &&
    echo "$t" | grep -q 'DNS:localhost' && echo "$t" | grep -q 'IP Address:127.0.0.1'
ok $? "tls-server: serverAuth, localhost, 127.0.0.1"
txt tls-client/tls-client.pem | grep -q 'TLS Web Client Authentication'
ok $? "tls-client: clientAuth"
for k in rsa ecc; do
	t=$(txt ocsp-$k/ocsp-$k.pem)
	echo "$t" | grep -q 'OCSP Signing' && echo "$t" | grep -q 'OCSP No Check' &&
	    echo "$t" | grep -q "Issuer:.*SMCB-CA"
	ok $? "ocsp-$k: OCSP signing, no-check, issued by the SMC-B CA"
done

echo "1..$N"
exit $FAILED
