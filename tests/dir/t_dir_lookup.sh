#!/bin/sh
# t_dir_lookup.sh - kimctl lookup against a real slapd (VZD-like schema,
# entries from the test PKI) and a real redis-server: each directory case
# gives the verdict, reason and exit status an admin would see.
PORT_RANGE=27000-28999
. "$top_srcdir/tests/dir/harness.sh"

start_slapd || skip_all "slapd does not start"
start_redis || skip_all "redis-server does not start"
write_conf
plan 33

D=aerzte.kim.telematik-test

# expect ADDRESS EXIT TEXT... - one lookup, its exit status and output
expect()
{
	_a=$1 _x=$2
	shift 2
	run_kimctl lookup "$_a"
	_r=0
	[ "$RC" -eq "$_x" ] || {
		echo "# $_a: exit $RC, expected $_x"
		sed 's/^/#   /' "$T/out" "$T/err"
		_r=1
	}
	for _s in "$@"; do
		out_has "$_s" || _r=1
	done
	return $_r
}

check "valid RSA address is usable (exit 0) with its certificate" \
    expect "praxis-rsa@$D" 0 "status:       found" "key:         RSA 2048" \
    "verdict:     ok" "telematikID:  1-2-ARZT-PRAXIS-RSA" \
    "source:       directory"
check "kimData gives version and app tags" \
    expect "praxis-rsa@$D" 0 "kimVersion:   1.5+" "appTags:      eAU|eEB"
check "second lookup comes from the cache with its age" \
    expect "praxis-rsa@$D" 0 "source:       cache (age"
check "RSA and ECC certificates both usable" \
    expect "praxis@$D" 0 "usable: 2 of 2" "key:         EC brainpoolP256r1 256" \
    "key:         RSA 2048" "kimVersion:   1.0"
check "certificate details: subject, issuer, serial, validity, sha256" \
    expect "praxis@$D" 0 "subject:     " "issuer:      " "serial:      " \
    "validity:    2025-01-01 00:00:00Z .. 2044-12-31 23:59:59Z" "sha256:      "
check "address stored in mixed case is found in lower case" \
    expect "praxis-ecc@$D" 0 "status:       found"
check "mixed-case query finds it as well" \
    expect "PRAXIS-ECC@Aerzte.Kim.Telematik-Test" 0 "address:      praxis-ecc@$D"
check "expired certificate: unusable (exit 1), reason expired" \
    expect "expired@$D" 1 "status:       unusable" "verdict:     expired"
check "expired: the reason names the code" \
    expect "expired@$D" 1 "no usable encryption certificate (expired)"
check "not yet valid: unusable" \
    expect "notyet@$D" 1 "verdict:     not-yet-valid"
check "wrong key usage: unusable, reason key-usage" \
    expect "badku@$D" 1 "verdict:     key-usage"
check "broken signature: unusable, reason bad-signature" \
    expect "broken@$D" 1 "verdict:     bad-signature"
check "mixed Telematik-IDs: unusable (A_2178)" \
    expect "mixedtid@$D" 1 "verdict:     mixed-telematik-id" \
    "(mixed-telematik-id)"
check "a certificate that does not parse: clear reason, no crash" \
    expect "garbage@$D" 1 "verdict:     unparsable"
check "missing address: not found (exit 2)" \
    expect "nobody@$D" 2 "status:       not-found"
check "missing address again: negative cache, still not found" \
    expect "nobody@$D" 2 "source:       cache"
check "entry with two addresses: kimData matched per address (1)" \
    expect "kardiologie@klinikum-nord.kim.telematik-test" 0 "kimVersion:   1.5+" \
    "appTags:      eAU"
check "entry with two addresses: kimData matched per address (2)" \
    expect "radiologie@klinikum-nord.kim.telematik-test" 0 "kimVersion:   1.0" \
    "appTags:      -"

# key reuse: kasse-a and kasse-b share their keys under two Telematik-IDs
check "first sharer looked up" expect "kasse-a@kasse.kim.telematik-test" 0
check "second sharer: key-reused, unusable" \
    expect "kasse-b@kasse.kim.telematik-test" 1 "verdict:     key-reused"
check "first sharer learns it too" \
    expect "kasse-a@kasse.kim.telematik-test" 1 "verdict:     key-reused"
check "and keeps it from the cache" \
    expect "kasse-a@kasse.kim.telematik-test" 1 "source:       cache" \
    "verdict:     key-reused"

# clock override: in 2046 the ordinary certificates have expired
run_kimctl lookup --at 2046-01-01 "praxis-rsa@$D"
ok $([ "$RC" -eq 1 ] && out_has "verdict:     expired"; echo $?) \
    "--at moves the clock for the date check"
run_kimctl lookup --at 2046-01-01 "notyet@$D"
ok $([ "$RC" -eq 0 ]; echo $?) "--at 2046: the not-yet certificate is valid"

# JSON for scripts
run_kimctl --json lookup "praxis@$D"
ok $([ "$RC" -eq 0 ] && out_has '"status":"found"' &&
    out_has '"verdict":"ok"' && out_has '"keyType":"EC brainpoolP256r1"'; echo $?) \
    "--json output"
run_kimctl --json lookup "badku@$D"
ok $([ "$RC" -eq 1 ] && out_has '"verdict":"key-usage"'; echo $?) \
    "--json unusable"

# --no-cache asks the directory and leaves the cache alone
rcli DEL "kim:v1:addr:praxis-rsa@$D" >/dev/null
run_kimctl lookup --no-cache "praxis-rsa@$D"
ok $([ "$RC" -eq 0 ] && out_has "source:       directory"; echo $?) \
    "--no-cache asks the directory"
ok $([ "$(rcli EXISTS "kim:v1:addr:praxis-rsa@$D")" = 0 ]; echo $?) \
    "--no-cache writes nothing"

# the Redis layout is readable with redis-cli
run_kimctl lookup "praxis-rsa@$D"
rcli GET "kim:v1:addr:praxis-rsa@$D" >"$T/raw"
ok $(grep -q '^kim-dir-entry 1$' "$T/raw" && grep -q '^cert ok ' "$T/raw" &&
    grep -q '^mac [0-9a-f]\{64\}$' "$T/raw"; echo $?) \
    "entry layout: schema line, cert verdicts, MAC"
ttl=$(rcli TTL "kim:v1:addr:praxis-rsa@$D")
ok $([ "$ttl" -gt 43000 ] && [ "$ttl" -le 43200 ]; echo $?) \
    "positive TTL is CacheTTL (12h): $ttl"
ttl=$(rcli TTL "kim:v1:addr:nobody@$D")
ok $([ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ]; echo $?) \
    "negative TTL is NegativeCacheTTL (1h): $ttl"

# without TrustAnchors the broken signature is not seen: say so in the log
write_conf
sed -i '/^TrustAnchors/d' "$CONF"
run_kimctl lookup --no-cache "praxis-rsa@$D"
ok $([ "$RC" -eq 0 ] && grep -q "no TrustAnchors" "$T/err"; echo $?) \
    "no TrustAnchors: a warning"
run_kimctl lookup "bad address"
ok $([ "$RC" -eq 2 ] && out_has "not a valid mail address"; echo $?) \
    "an invalid address is not found"
exit $FAILED
