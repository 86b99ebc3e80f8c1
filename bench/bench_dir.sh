#!/bin/sh
# bench_dir.sh - run bench/bench_dir against a private slapd and
# redis-server (started and stopped by tests/dir/harness.sh, by PID).
#   top_srcdir=. top_builddir=. sh bench/bench_dir.sh [WARM-PER-THREAD [COLD]]
# BENCH_WRAP runs the program under a profiler, e.g.
#   BENCH_WRAP="valgrind --tool=callgrind" sh bench/bench_dir.sh 200 20
PORT_RANGE=31000-31999
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/dir/harness.sh"

[ -x "$top_builddir/bench/bench_dir" ] || {
	echo "bench_dir.sh: build bench/bench_dir first (make)" >&2
	exit 1
}
start_slapd || { echo "bench_dir.sh: slapd does not start" >&2; exit 1; }
start_redis || { echo "bench_dir.sh: redis-server does not start" >&2; exit 1; }
write_conf
D=aerzte.kim.telematik-test
# the same-run baseline: bare Redis round trips (bench_dir.c)
BENCH_REDIS_PORT=$REDIS_PORT
BENCH_REDIS_PASSWORD=$(cat "$T/redis.pw")
export BENCH_REDIS_PORT BENCH_REDIS_PASSWORD
${BENCH_WRAP:-} "$top_builddir/bench/bench_dir" "$CONF" "praxis@$D" "praxis-rsa@$D" "$@"
