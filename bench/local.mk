EXTRA_DIST += bench/bench_mta.sh
