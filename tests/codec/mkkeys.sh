#!/bin/sh
# mkkeys.sh DIR - a small test PKI for the codec tests: a CA, the sender's
# OSIG and ENC keys (RSA and brainpoolP256r1) and recipients' ENC keys.
# Files: DIR/NAME.key (mode 600), DIR/NAME.crt (PEM), DIR/ca.crt.
set -e
d=$1
cd "$d"
umask 077
cat > ext.cnf <<'CNF'
[osig]
keyUsage = critical, digitalSignature, nonRepudiation
certificatePolicies = 1.2.276.0.76.4.78
[enc_rsa]
keyUsage = critical, keyEncipherment, dataEncipherment
certificatePolicies = 1.2.276.0.76.4.76
[enc_ecc]
keyUsage = critical, keyAgreement
certificatePolicies = 1.2.276.0.76.4.76
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
    -out ca.key 2>/dev/null
openssl req -new -x509 -days 3650 -key ca.key -out ca.crt \
    -subj "/C=DE/O=kim-milter test/CN=TEST-CA" -extensions ca \
    -config ext.cnf -set_serial 1 2>/dev/null
serial=100
mk() {	# name keytype profile
	if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$1.key" 2>/dev/null
	else
		openssl genpkey -algorithm EC \
		    -pkeyopt ec_paramgen_curve:brainpoolP256r1 \
		    -out "$1.key" 2>/dev/null
	fi
	serial=$((serial + 1))
	openssl req -new -key "$1.key" -subj "/C=DE/O=kim-milter test/CN=$1" \
	    -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key \
	    -set_serial $serial -days 3650 -extfile ext.cnf -extensions "$3" \
	    -out "$1.crt" 2>/dev/null
	rm -f "$1.csr"
}
mk sender-osig-rsa rsa osig
mk sender-osig-ecc ecc osig
mk sender-enc-rsa rsa enc_rsa
mk sender-enc-ecc ecc enc_ecc
mk r1-enc-rsa rsa enc_rsa
mk r2-enc-ecc ecc enc_ecc
mk r3-enc-rsa rsa enc_rsa
mk r3-enc-ecc ecc enc_ecc
mk other-enc-rsa rsa enc_rsa
mk other-enc-ecc ecc enc_ecc
