#!/bin/sh
# mkpki.sh OUTDIR - build the test PKI of kim-milter (layout: tests/pki/README.md)
#
# A TI-shaped PKI: RSA and brainpoolP256r1 roots, SMC-B CAs, per party OSIG
# and ENC certificates with the Telematik-ID in the admission extension
# (1.3.36.8.3.3), the broken/expired/shared-key cases the directory tests
# need, OCSP responders and a TLS pair. Keys are random; names, serials,
# dates and paths are fixed. Needs only sh and the openssl command line.
# Does nothing when OUTDIR/.complete exists.

set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1
OPENSSL=${OPENSSL:-openssl}

[ -f "$OUT/.complete" ] && exit 0
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Two runs into one directory (make -j): the second waits for the first.
if ! mkdir "$OUT/.lock" 2>/dev/null; then
	n=0
	while [ ! -f "$OUT/.complete" ]; do
		n=$((n + 1))
		if [ $n -gt 120 ]; then
			echo "$0: $OUT/.lock held too long; remove it" >&2
			exit 1
		fi
		sleep 0.5
	done
	exit 0
fi
trap 'rm -rf "$OUT/.lock"' EXIT
umask 077

# Fixed validity periods (YYYYMMDDHHMMSSZ), so that the layout and the
# expected verify results do not depend on the day the PKI was made.
CA_FROM=20200101000000Z
CA_TO=20491231235959Z
EE_FROM=20250101000000Z
EE_TO=20441231235959Z
OLD_FROM=20200101000000Z
OLD_TO=20221231235959Z
NEW_FROM=20450101000000Z
NEW_TO=20491231235959Z

OCSP_URL=http://ocsp.pki.kim-test.invalid/ocsp
CRL_URL=http://crl.pki.kim-test.invalid/crl/
TMP=$OUT/.tmp
rm -rf "$TMP" "$OUT/ca" "$OUT/parties.txt"
mkdir -p "$TMP" "$OUT/ca/db"
printf '00\n' > "$OUT/p12.pass"
{
	echo "# kim-milter test PKI; paths relative to this directory; '-' = none"
	echo "# party use keytype address telematik-id cert key state"
} > "$OUT/parties.txt"

# rsakey FILE - make a new RSA-2048 key
rsakey()
{
	"$OPENSSL" genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$1.part" 2>/dev/null && mv "$1.part" "$1"
}

# RSA key generation is most of the run time: two background lanes fill a
# pool of keys while the main line signs; genkey takes them in order.
POOL=18
mkdir -p "$TMP/pool"
LANES=
for lane in 0 1; do
	(
		i=$lane
		while [ $i -lt $POOL ]; do
			rsakey "$TMP/pool/$i.key"
			i=$((i + 2))
		done
	) &
	LANES="$LANES $!"
done
trap 'kill $LANES 2>/dev/null || :; rm -rf "$OUT/.lock"' EXIT
NEXT=0

# genkey FILE rsa|ecc - make a new private key (PKCS#8 PEM, mode 0600)
genkey()
{
	case $2 in
	rsa)	if [ $NEXT -lt $POOL ]; then
			while [ ! -f "$TMP/pool/$NEXT.key" ]; do
				sleep 0.02
			done
			mv "$TMP/pool/$NEXT.key" "$1"
			NEXT=$((NEXT + 1))
		else
			rsakey "$1"
		fi ;;
	ecc)	"$OPENSSL" genpkey -algorithm EC \
		    -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
		    -pkeyopt ec_param_enc:named_curve -out "$1" ;;
	esac
	chmod 600 "$1"
}

# cadb NAME - the openssl ca configuration of one issuing CA
cadb()
{
	d=$OUT/ca/db/$1
	mkdir -p "$d/new"
	: > "$d/index.txt"
	echo "unique_subject = no" > "$d/index.txt.attr"
	# serials differ per CA so that issuer+serial pairs look real
	case $1 in
	root-rsa) echo 01 ;; root-ecc) echo 02 ;; smcb-ca-rsa) echo 1000 ;;
	smcb-ca-ecc) echo 2000 ;; komp-ca-rsa) echo 3000 ;;
	esac > "$d/serial"
	cat > "$d/ca.cnf" <<EOF
[ca]
default_ca = ca_sect
[ca_sect]
dir = $d
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/new
default_md = sha256
policy = pol_any
unique_subject = no
copy_extensions = none
email_in_dn = no
utf8 = yes
[pol_any]
commonName = optional
EOF
}

# issue CA SUBJECT CSRKEY OUTPEM FROM TO EXTFILE - sign a request with CA
# (CA "self" makes a self-signed root from CSRKEY)
issue()
{
	_ca=$1 _subj=$2 _key=$3 _pem=$4 _from=$5 _to=$6 _ext=$7
	"$OPENSSL" req -new -utf8 -key "$_key" -subj "$_subj" -out "$TMP/req.csr" \
	    -config /dev/null
	if [ "$_ca" = self ]; then
		_db=$(basename "$_pem" .pem)
		cadb "$_db"
		set -- -selfsign -keyfile "$_key"
	else
		_db=$_ca
		set -- -cert "$OUT/ca/$_ca.pem" -keyfile "$OUT/ca/$_ca.key"
	fi
	"$OPENSSL" ca -batch -notext -preserveDN -utf8 \
	    -config "$OUT/ca/db/$_db/ca.cnf" "$@" \
	    -startdate "$_from" -enddate "$_to" -extfile "$_ext" -extensions ext \
	    -in "$TMP/req.csr" -out "$_pem" 2>"$TMP/ca.err" || {
		cat "$TMP/ca.err" >&2
		exit 1
	}
	# DER straight from the PEM text (-notext): saves an openssl start
	sed '/^-----/d' "$_pem" | base64 -d > "${_pem%.pem}.der"
	chmod 644 "$_pem" "${_pem%.pem}.der"
}

# caext FILE pathlen - extensions of a CA certificate
caext()
{
	cat > "$1" <<EOF
[ext]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
basicConstraints = critical,CA:TRUE$2
keyUsage = critical,keyCertSign,cRLSign
certificatePolicies = 1.2.276.0.76.4.163
authorityInfoAccess = OCSP;URI:$OCSP_URL
EOF
}

# mkca NAME KEYTYPE ISSUER CN OU - make one CA certificate ca/NAME.{pem,der,key}
mkca()
{
	genkey "$OUT/ca/$1.key" "$2"
	if [ "$3" = self ]; then
		caext "$TMP/ext.cnf" ""
	else
		caext "$TMP/ext.cnf" ",pathlen:0"
	fi
	issue "$3" "/C=DE/O=gematik GmbH NOT-VALID/OU=$5/CN=$4" \
	    "$OUT/ca/$1.key" "$OUT/ca/$1.pem" "$CA_FROM" "$CA_TO" "$TMP/ext.cnf"
	[ "$3" = self ] || cadb "$1"
	echo "ca $1 $2 - - ca/$1.pem ca/$1.key ok" >> "$OUT/parties.txt"
}

mkca root-rsa rsa self "KIMTEST.RCA2 TEST-ONLY" \
    "Zentrale Root-CA der Telematikinfrastruktur"
mkca root-ecc ecc self "KIMTEST.RCA3 TEST-ONLY" \
    "Zentrale Root-CA der Telematikinfrastruktur"
mkca smcb-ca-rsa rsa root-rsa "KIMTEST.SMCB-CA24 TEST-ONLY" \
    "Institution des Gesundheitswesens-CA der Telematikinfrastruktur"
mkca smcb-ca-ecc ecc root-ecc "KIMTEST.SMCB-CA33 TEST-ONLY" \
    "Institution des Gesundheitswesens-CA der Telematikinfrastruktur"
mkca komp-ca-rsa rsa root-rsa "KIMTEST.KOMP-CA24 TEST-ONLY" \
    "Komponenten-CA der Telematikinfrastruktur"
cat "$OUT/ca/root-rsa.pem" "$OUT/ca/root-ecc.pem" > "$OUT/roots.pem"
cat "$OUT/roots.pem" "$OUT/ca/smcb-ca-rsa.pem" "$OUT/ca/smcb-ca-ecc.pem" \
    "$OUT/ca/komp-ca-rsa.pem" > "$OUT/anchors.pem"
chmod 644 "$OUT/roots.pem" "$OUT/anchors.pem" "$OUT/p12.pass"

# Party data, set by party(): name, address, Telematik-ID, profession
# OID and text, subject CN, subject serialNumber.
party()
{
	P=$1 ADDR=$2 TID=$3 PROF_OID=$4 PROF_TXT=$5 CN=$6 SN=$7
	mkdir -p "$OUT/$P"
}

# eeext FILE USE KEYTYPE TID [KU] - extensions of an end-entity certificate
# USE osig|enc; the admission extension is the AdmissionSyntax of Common
# PKI as gematik's SMC-B certificates carry it (see README.md).
eeext()
{
	_f=$1 _use=$2 _kt=$3 _tid=$4 _ku=${5:-}
	if [ -z "$_ku" ]; then
		case $_use-$_kt in
		osig-*)	_ku=nonRepudiation ;;
		enc-rsa) _ku=keyEncipherment,dataEncipherment ;;
		enc-ecc) _ku=keyAgreement ;;
		esac
	fi
	case $_use in
	osig)	_pol=1.2.276.0.76.4.78 ;;
	enc)	_pol=1.2.276.0.76.4.76 ;;
	esac
	{
		echo "[ext]"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid:always"
		echo "basicConstraints = critical,CA:FALSE"
		echo "keyUsage = critical,$_ku"
		echo "certificatePolicies = 1.2.276.0.76.4.163,$_pol"
		[ "$_use" = enc ] && echo "subjectAltName = email:$ADDR"
		echo "authorityInfoAccess = OCSP;URI:$OCSP_URL"
		echo "crlDistributionPoints = URI:$CRL_URL"
		echo "1.3.36.8.3.3 = ASN1:SEQUENCE:adm_syntax"
		echo "[adm_syntax]"
		echo "admissions = SEQUENCE:adm_list"
		echo "[adm_list]"
		echo "a1 = SEQUENCE:admission"
		echo "[admission]"
		echo "infos = SEQUENCE:prof_infos"
		echo "[prof_infos]"
		echo "i1 = SEQUENCE:prof_info"
		echo "[prof_info]"
		echo "items = SEQUENCE:prof_items"
		echo "oids = SEQUENCE:prof_oids"
		echo "reg = PRINTABLESTRING:$_tid"
		echo "[prof_items]"
		echo "t1 = FORMAT:UTF8,UTF8String:$PROF_TXT"
		echo "[prof_oids]"
		echo "o1 = OID:$PROF_OID"
	} > "$_f"
}

# bundle BASE CA - chain file and PKCS#12 of BASE.pem/BASE.key
bundle()
{
	cat "$1.pem" "$OUT/ca/$2.pem" > "$1.chain.pem"
	"$OPENSSL" pkcs12 -export -in "$1.pem" -inkey "$1.key" \
	    -certfile "$OUT/ca/$2.pem" -name "$(basename "$1")" \
	    -passout "file:$OUT/p12.pass" -out "$1.p12"
	chmod 644 "$1.chain.pem" "$1.p12"
}

# cert USE KEYTYPE [STATE [KEYFROM [TID]]] - one certificate of the current
# party: P/USE-KEYTYPE.{pem,der,key,chain.pem,p12}. STATE ok (default),
# expired, notyet, badku, brokensig, sharedkey, mixedtid. KEYFROM: reuse
# this key file instead of making a new one. TID: overrides the party's.
cert()
{
	_use=$1 _kt=$2 _state=${3:-ok} _keyfrom=${4:-} _tid=${5:-$TID}
	_base=$OUT/$P/$_use-$_kt
	if [ -n "$_keyfrom" ]; then
		cp "$_keyfrom" "$_base.key"
		chmod 600 "$_base.key"
	else
		genkey "$_base.key" "$_kt"
	fi
	_from=$EE_FROM _to=$EE_TO _ku=
	case $_state in
	expired) _from=$OLD_FROM _to=$OLD_TO ;;
	notyet)	_from=$NEW_FROM _to=$NEW_TO ;;
	badku)	_ku=digitalSignature ;;
	esac
	eeext "$TMP/ext.cnf" "$_use" "$_kt" "$_tid" "$_ku"
	_subj="/C=DE/O=$_tid-NOT-VALID/serialNumber=$SN/CN=$CN TEST-ONLY"
	issue "smcb-ca-$_kt" "$_subj" "$_base.key" "$_base.pem" \
	    "$_from" "$_to" "$TMP/ext.cnf"
	if [ "$_state" = brokensig ]; then
		# flip the last byte of the signature value: still valid DER
		_n=$(wc -c < "$_base.der")
		_n=$((_n - 1))
		_b=$(od -An -tu1 -j "$_n" -N1 "$_base.der" | tr -d ' ')
		_b=$(( (_b + 1) % 256 ))
		head -c "$_n" "$_base.der" > "$TMP/broken.der"
		printf "\\$(printf %03o "$_b")" >> "$TMP/broken.der"
		mv "$TMP/broken.der" "$_base.der"
		"$OPENSSL" x509 -inform DER -in "$_base.der" -out "$_base.pem"
		chmod 644 "$_base.der" "$_base.pem"
	fi
	bundle "$_base" "smcb-ca-$_kt"
	_a=-
	[ "$_use" = enc ] && _a=$ADDR
	echo "$P $_use $_kt $_a $_tid $P/$_use-$_kt.pem $P/$_use-$_kt.key" \
	    "$_state" >> "$OUT/parties.txt"
}

D=kim.telematik-test
OID_KH=1.2.276.0.76.4.53		# Krankenhaus
OID_ARZT=1.2.276.0.76.4.50		# Betriebsstaette Arzt
OID_KASSE=1.2.276.0.76.4.59		# Kostentraeger

party klinikum "kardiologie@klinikum-nord.$D" 5-2-KH-KLINIKUM-01 \
    $OID_KH Krankenhaus "Klinikum Nord Kardiologie" 80276883110000100001
cert osig rsa
cert osig ecc
cert enc rsa
cert enc ecc

party praxis "praxis@aerzte.$D" 1-2-ARZT-PRAXIS-01 \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Dr. Müller" 80276883110000100002
cert osig rsa
cert osig ecc
cert enc rsa
cert enc ecc

party praxis-rsa "praxis-rsa@aerzte.$D" 1-2-ARZT-PRAXIS-RSA \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis RSA" 80276883110000100003
cert enc rsa

party praxis-ecc "praxis-ecc@aerzte.$D" 1-2-ARZT-PRAXIS-ECC \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis ECC" 80276883110000100004
cert osig ecc
cert enc ecc

party expired "expired@aerzte.$D" 1-2-ARZT-EXPIRED \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Abgelaufen" 80276883110000100005
cert enc rsa expired
cert enc ecc expired

party notyet "notyet@aerzte.$D" 1-2-ARZT-NOTYET \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Zukunft" 80276883110000100006
cert enc rsa notyet
cert enc ecc notyet

party badku "badku@aerzte.$D" 1-2-ARZT-BADKU \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Falsche Nutzung" 80276883110000100007
cert enc rsa badku
cert enc ecc badku

party broken "broken@aerzte.$D" 1-2-ARZT-BROKEN \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Kaputt" 80276883110000100008
cert enc rsa brokensig
cert enc ecc brokensig

party mixedtid "mixedtid@aerzte.$D" 1-2-ARZT-MIXED-01 \
    $OID_ARZT "Betriebsstätte Arzt" "Praxis Gemischt" 80276883110000100009
cert enc rsa mixedtid
cert enc ecc mixedtid "" 1-2-ARZT-MIXED-02

# 37C3: one key pair issued to two health insurers
party kasse-a "kasse-a@kasse.$D" 8-01-KASSE-A \
    $OID_KASSE Kostenträger "Krankenkasse A" 80276883110000100010
cert enc rsa sharedkey
cert enc ecc sharedkey
party kasse-b "kasse-b@kasse.$D" 8-01-KASSE-B \
    $OID_KASSE Kostenträger "Krankenkasse B" 80276883110000100011
cert enc rsa sharedkey "$OUT/kasse-a/enc-rsa.key"
cert enc ecc sharedkey "$OUT/kasse-a/enc-ecc.key"

# svc CA NAME KEYTYPE CN EXTLINES USE - a service certificate (OCSP, TLS)
svc()
{
	mkdir -p "$OUT/$2"
	_base=$OUT/$2/$2
	genkey "$_base.key" "$3"
	{
		echo "[ext]"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid:always"
		echo "basicConstraints = critical,CA:FALSE"
		printf '%s\n' "$5"
	} > "$TMP/ext.cnf"
	issue "$1" "/C=DE/O=kim-milter test PKI NOT-VALID/CN=$4" "$_base.key" \
	    "$_base.pem" "$EE_FROM" "$EE_TO" "$TMP/ext.cnf"
	bundle "$_base" "$1"
	echo "$2 $6 $3 - - $2/$2.pem $2/$2.key ok" >> "$OUT/parties.txt"
}

OCSPEXT="keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored"
svc smcb-ca-rsa ocsp-rsa rsa "KIMTEST OCSP Signer SMCB-CA24" "$OCSPEXT" ocsp
svc smcb-ca-ecc ocsp-ecc ecc "KIMTEST OCSP Signer SMCB-CA33" "$OCSPEXT" ocsp
svc komp-ca-rsa tls-server rsa localhost \
    "keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1" tls-server
svc komp-ca-rsa tls-client rsa "kardiologie@klinikum-nord.$D" \
    "keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = email:kardiologie@klinikum-nord.$D" tls-client

rm -rf "$TMP"
chmod 644 "$OUT/parties.txt"
touch "$OUT/.complete"
