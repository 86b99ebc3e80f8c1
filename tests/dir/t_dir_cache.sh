#!/bin/sh
# t_dir_cache.sh - the shared cache: MAC against forged entries, one LDAP
# query per cold address, kimctl cache list|show|purge|refresh|stats and
# kimctl audit, against real slapd and redis-server.
PORT_RANGE=29000-30499
. "$top_srcdir/tests/dir/harness.sh"

PROBE=$top_builddir/tests/dir/dir_probe
[ -x "$PROBE" ] || skip_all "dir_probe not built"
start_slapd || skip_all "slapd does not start"
start_redis || skip_all "redis-server does not start"
write_conf
plan 28

D=aerzte.kim.telematik-test
A=praxis@$D
K=kim:v1:addr:$A

# --- single flight: 32 concurrent cold lookups, one LDAP query --------
out=$("$PROBE" "$CONF" "$A" 32)
echo "# $out"
case $out in
*"status=found same=1 queries=1 "*) r=0 ;;
*) r=1 ;;
esac
ok $r "32 concurrent cold lookups of one address make one LDAP query"
out=$("$PROBE" "$CONF" "$A" 32)
echo "# $out"
case $out in
*"status=found same=1 queries=0 "*) r=0 ;;
*) r=1 ;;
esac
ok $r "warm: 32 lookups, no LDAP query"
rcli DEL "$K" >/dev/null
out=$("$PROBE" "$CONF" "NOBODY@$D" 16)
echo "# $out"
case $out in
*"status=not-found same=1 queries=1 "*) r=0 ;;
*) r=1 ;;
esac
ok $r "16 concurrent lookups of a missing address: one query, not found"

# --- forged entries -------------------------------------------------
run_kimctl lookup "$A"
rcli GET "$K" >"$T/good"
# change the verdict of a certificate but keep the old MAC
sed 's/^cert ok /cert expired /' "$T/good" | head -c -1 >"$T/forged"
rcli -x SET "$K" <"$T/forged" >/dev/null
run_kimctl lookup "$A"
ok $([ "$RC" -eq 0 ] && out_has "source:       directory" &&
    grep -q "entry of $A ignored: MAC does not verify" "$T/err"; echo $?) \
    "a modified entry is ignored, logged, and the directory asked"
ok $(rcli GET "$K" | grep -q '^cert ok '; echo $?) \
    "the forged entry was replaced by a fresh one"

# a forged entry claiming "usable" for an address that is not usable
E=expired@$D
run_kimctl lookup "$E"
rcli GET "kim:v1:addr:$E" | sed 's/^cert expired /cert ok /' | head -c -1 |
    rcli -x SET "kim:v1:addr:$E" >/dev/null
run_kimctl lookup "$E"
ok $([ "$RC" -eq 1 ] && out_has "verdict:     expired"; echo $?) \
    "a forged 'ok' verdict does not make an expired certificate usable"

# an entry copied from another address (valid MAC, wrong key)
rcli GET "kim:v1:addr:$A" | head -c -1 |
    rcli -x SET "kim:v1:addr:badku@$D" >/dev/null
run_kimctl lookup "badku@$D"
ok $([ "$RC" -eq 1 ] && out_has "verdict:     key-usage" &&
    grep -q "entry of another address" "$T/err"; echo $?) \
    "an entry copied to another address's key is ignored"

# an entry written by hand with redis-cli
rcli SET "kim:v1:addr:nobody@$D" "$(printf 'kim-dir-entry 1\naddress nobody@%s\nstatus found\nfetched 1\nmac %064d' "$D" 0)" >/dev/null
run_kimctl lookup "nobody@$D"
ok $([ "$RC" -eq 2 ]; echo $?) "a hand-written entry is ignored: not found"

# --- kimctl cache ---------------------------------------------------
run_kimctl lookup "praxis-rsa@$D"
rcli SET "kim:v1:addr:evil@$D" "garbage" >/dev/null
run_kimctl cache list
ok $([ "$RC" -eq 0 ] && out_has "praxis-rsa@$D" && out_has "found" &&
    out_has "not-found" && grep -q "evil@$D *mac-failed" "$T/out"; echo $?) \
    "cache list shows every entry with its state"
run_kimctl cache list "praxis*"
ok $([ "$RC" -eq 0 ] && out_has "praxis-rsa@$D" &&
    ! grep -q "expired@" "$T/out"; echo $?) "cache list GLOB"
run_kimctl cache show "Praxis-RSA@$D"
ok $([ "$RC" -eq 0 ] && out_has "source:       cache" && out_has "mac:          ok" &&
    out_has "ttl:          "; echo $?) "cache show: entry, MAC ok, TTL"
run_kimctl cache show "evil@$D"
ok $([ "$RC" -eq 1 ] && out_has "mac:          FAILED"; echo $?) \
    "cache show: a failing MAC"
run_kimctl cache show "never@$D"
ok $([ "$RC" -eq 2 ]; echo $?) "cache show: not cached (exit 2)"
run_kimctl --json cache stats
ok $([ "$RC" -eq 0 ] && out_has '"entries":' && out_has '"hitRatio":' &&
    grep -q '"macFailures":[1-9]' "$T/out"; echo $?) \
    "cache stats counts entries, hit ratio, MAC failures"
run_kimctl cache stats
ok $([ "$RC" -eq 0 ] && out_has "hit ratio:" && out_has "oldest entry:" &&
    out_has "directory errors:"; echo $?) "cache stats (text)"
run_kimctl cache purge "praxis-rsa@$D"
ok $([ "$RC" -eq 0 ] && out_has "purged 1 key" &&
    [ "$(rcli EXISTS "kim:v1:addr:praxis-rsa@$D")" = 0 ]; echo $?) \
    "cache purge ADDRESS"
run_kimctl cache refresh "praxis-rsa@$D"
ok $([ "$RC" -eq 0 ] && out_has "praxis-rsa@$D found" &&
    [ "$(rcli EXISTS "kim:v1:addr:praxis-rsa@$D")" = 1 ]; echo $?) \
    "cache refresh ADDRESS writes a fresh entry"
rcli SET "kim:v1:addr:evil@$D" "garbage" >/dev/null
run_kimctl cache refresh --all
ok $([ "$RC" -eq 0 ] && out_has "evil@$D not-found" &&
    out_has "expired@$D unusable"; echo $?) \
    "cache refresh --all asks the directory for every entry"
run_kimctl cache refresh --stale
ok $([ "$RC" -eq 0 ] && [ ! -s "$T/out" ]; echo $?) \
    "cache refresh --stale: nothing is stale right after --all"

# --- kimctl audit ---------------------------------------------------
run_kimctl cache purge --all
run_kimctl lookup "praxis-rsa@$D"
run_kimctl audit
ok $([ "$RC" -eq 0 ] && out_has "no findings"; echo $?) \
    "audit of a clean cache: no findings, exit 0"
for a in kasse-a@kasse.kim.telematik-test kasse-b@kasse.kim.telematik-test \
    mixedtid@$D expired@$D; do
	run_kimctl lookup "$a"
done
rcli SET "kim:v1:addr:evil@$D" "garbage" >/dev/null
run_kimctl audit
cp "$T/out" "$T/audit"
ok $([ "$RC" -eq 1 ]; echo $?) "audit with findings exits 1"
ok $(grep -q "^shared-key .*8-01-KASSE-A kasse-a@.*8-01-KASSE-B kasse-b@\|^shared-key .*8-01-KASSE-B kasse-b@.*8-01-KASSE-A kasse-a@" "$T/audit"; echo $?) \
    "audit: a public key shared across Telematik-IDs"
ok $(grep -q "^mixed-telematik-id *mixedtid@" "$T/audit"; echo $?) \
    "audit: an address with mixed Telematik-IDs"
ok $(grep -q "^no-usable-cert *expired@" "$T/audit"; echo $?) \
    "audit: an entry without a usable certificate"
ok $(grep -q "^mac-failure *evil@" "$T/audit"; echo $?) \
    "audit: an entry whose MAC fails"
run_kimctl audit --days 8000
ok $([ "$RC" -eq 1 ] && grep -q "^expiring *praxis-rsa@$D: certificate .* expires 2044" "$T/out"; echo $?) \
    "audit --days N: certificates expiring within N days"
run_kimctl audit --days 0
ok $(! grep -q "^expiring" "$T/out"; echo $?) "audit --days 0: none expiring"

# --- AUTH: wrong password is an outage, not "not found" ----------------
printf 'wrong\n' >"$T/redis.pw"
run_kimctl cache stats
ok $([ "$RC" -eq 69 ] && grep -q "Redis AUTH" "$T/err"; echo $?) \
    "a wrong Redis password: cache unavailable (exit 69)"
exit $FAILED
