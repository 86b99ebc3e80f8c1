#!/bin/sh
# t_dir_outage.sh - outages of Redis and slapd, one at a time, both, and
# in the middle of a run; a server that never finishes the TLS handshake.
# An outage must never look like "no such KIM user".
PORT_RANGE=30500-31999
. "$top_srcdir/tests/dir/harness.sh"

PROBE=$top_builddir/tests/dir/dir_probe
[ -x "$PROBE" ] || skip_all "dir_probe not built"
start_slapd || skip_all "slapd does not start"
start_redis || skip_all "redis-server does not start"
write_conf
plan 17

D=aerzte.kim.telematik-test
A=praxis@$D

ms_now() { date +%s%3N; }

# --- Redis down: fall through to LDAP with a warning -------------------
stop_redis
run_kimctl lookup "$A"
ok $([ "$RC" -eq 0 ] && out_has "source:       directory" &&
    grep -q "directory cache: Redis connect" "$T/err"; echo $?) \
    "Redis down: answer from the directory, with a warning"
ok $(grep -q "key-reuse index unavailable" "$T/err"; echo $?) \
    "Redis down: the log says key reuse was checked within the entry only"
write_conf "RedisRequired yes"
run_kimctl lookup "$A"
ok $([ "$RC" -eq 69 ] && out_has "status:       unavailable"; echo $?) \
    "Redis down with RedisRequired yes: unavailable (exit 69)"
write_conf
start_redis || echo "# redis does not restart"

# --- slapd down -------------------------------------------------------
run_kimctl lookup "$A"		# cached now
stop_slapd
run_kimctl lookup "$A"
ok $([ "$RC" -eq 0 ] && out_has "source:       cache"; echo $?) \
    "slapd down: a cached entry still answers"
t0=$(ms_now)
run_kimctl lookup "praxis-rsa@$D"
t1=$(ms_now)
ok $([ "$RC" -eq 69 ] && grep -q "status:       unavailable" "$T/out" &&
    ! grep -q "not-found" "$T/out"; echo $?) \
    "slapd down, address not cached: unavailable (exit 69), never not-found"
ok $([ $((t1 - t0)) -lt 3000 ]; echo $?) \
    "slapd down: answered quickly ($((t1 - t0)) ms)"
ok $([ "$(rcli EXISTS "kim:v1:addr:praxis-rsa@$D")" = 0 ]; echo $?) \
    "unavailable is never cached"

# --- both down ---------------------------------------------------------
stop_redis
t0=$(ms_now)
run_kimctl lookup "$A"
t1=$(ms_now)
ok $([ "$RC" -eq 69 ] && [ $((t1 - t0)) -lt 3000 ]; echo $?) \
    "both down: unavailable, quickly ($((t1 - t0)) ms)"

start_slapd || echo "# slapd does not restart"
start_redis || echo "# redis does not restart"
run_kimctl lookup "praxis-rsa@$D"
ok $([ "$RC" -eq 0 ]; echo $?) "both back: found again"

# --- mid-run: one process, services stop and come back -----------------
# The probe makes one round of 4 concurrent lookups per line it reads.
mkfifo "$T/probe.in"
"$PROBE" "$CONF" "$A" 4 3000 - <"$T/probe.in" >"$T/probe.out" 2>"$T/probe.err" &
PROBE_PID=$!
PIDS="$PIDS $PROBE_PID"
exec 3>"$T/probe.in"
ROUNDS=0
# round - one round, wait for its line; its state in $S
round()
{
	ROUNDS=$((ROUNDS + 1))
	echo go >&3
	_i=0
	while [ "$(wc -l <"$T/probe.out")" -lt $ROUNDS ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	S=$(sed -n "${ROUNDS}s/.*status=\([a-z-]*\) .*source=\([a-z]*\).*/\1\/\2/p" \
	    "$T/probe.out")
}
rcli DEL "kim:v1:addr:$A" >/dev/null
round; s1=$S			# cold: directory
round; s2=$S			# warm: cache
stop_redis
round; s3=$S			# Redis down: directory
start_redis
sleep 1.2			# the cache's backoff after the failed connect
round; s4=$S			# Redis back, empty: directory, written
round; s5=$S			# cache again (AUTH sent on the new connection)
stop_slapd
rcli DEL "kim:v1:addr:$A" >/dev/null
round; s6=$S			# slapd down, not cached: unavailable
stop_redis
round; s7=$S			# both down: unavailable
start_slapd
start_redis
sleep 1.2
round; s8=$S			# both back: directory
round; s9=$S			# and cache
exec 3>&-
wait "$PROBE_PID"
sed 's/^/# /' "$T/probe.out"
states="$s1 $s2 $s3 $s4 $s5 $s6 $s7 $s8 $s9"
echo "# states: $states"
ok $(! grep -q "status=not-found" "$T/probe.out"; echo $?) \
    "mid-run outages: never not-found"
ok $([ "$states" = "found/directory found/cache found/directory found/directory found/cache unavailable/none unavailable/none found/directory found/cache" ]; echo $?) \
    "mid-run: cache, directory while Redis is down, cache again after it returns (AUTH re-sent), unavailable, found"
ok $(grep -q "Redis is back" "$T/probe.err"; echo $?) \
    "the log says when Redis is back"
slow=$(sed -n 's/.* ms=\([0-9]*\) .*/\1/p' "$T/probe.out" | awk '$1 > 3500' | wc -l)
ok $([ "$slow" -eq 0 ]; echo $?) \
    "every round answered within its 3 s deadline, outages included"

# --- a server that accepts TCP but never finishes the TLS handshake ----
"$PROBE" --blackhole "$T/bh.port" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/bh.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
BH=$(cat "$T/bh.port")
write_conf "DirectoryTimeout 2s"
sed -i "s|^DirectoryURI .*|DirectoryURI ldaps://127.0.0.1:$BH/|" "$CONF"
t0=$(ms_now)
run_kimctl lookup --no-cache "$A"
t1=$(ms_now)
ok $([ "$RC" -eq 69 ] && [ $((t1 - t0)) -ge 1500 ] && [ $((t1 - t0)) -lt 4500 ]; echo $?) \
    "ldaps:// handshake that never ends: cut at DirectoryTimeout ($((t1 - t0)) ms)"
ok $(grep -q "deadline" "$T/err"; echo $?) "the log names the deadline"
write_conf "DirectoryTimeout 2s" "DirectoryStartTLS yes"
sed -i "s|^DirectoryURI .*|DirectoryURI ldap://127.0.0.1:$BH/|" "$CONF"
t0=$(ms_now)
run_kimctl lookup --no-cache "$A"
t1=$(ms_now)
echo "# exit $RC"
sed 's/^/# /' "$T/err"
ok $([ "$RC" -eq 69 ] && [ $((t1 - t0)) -lt 4500 ]; echo $?) \
    "StartTLS to a silent server: unavailable within the deadline ($((t1 - t0)) ms)"

# --- no DirectoryURI at all ----------------------------------------------
write_conf
sed -i '/^DirectoryURI/d' "$CONF"
run_kimctl lookup --no-cache "$A"
ok $([ "$RC" -eq 69 ] && grep -q "no DirectoryURI" "$T/err"; echo $?) \
    "no DirectoryURI: unavailable, and the log says why"
exit $FAILED
