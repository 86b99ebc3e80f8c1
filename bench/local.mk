EXTRA_DIST += bench/bench_mta.sh
## bench_codec: the codec against openssl cms and the raw crypto (make bench)
noinst_PROGRAMS += bench/bench_codec
bench_bench_codec_SOURCES = bench/bench_codec.c
bench_bench_codec_LDADD = $(KIM_LIBS)
bench: bench/bench_codec
	bench/bench_codec
.PHONY: bench
EXTRA_DIST += bench/valgrind_milter.sh
## bench_dir: the KIM directory (slapd + Redis) latency and query coalescing;
## run bench/bench_dir.sh (it starts the services)
noinst_PROGRAMS += bench/bench_dir
bench_bench_dir_SOURCES = bench/bench_dir.c
bench_bench_dir_LDADD = $(KIM_LIBS)
EXTRA_DIST += bench/bench_dir.sh
EXTRA_DIST += bench/bench_card.sh
## bench_kim.sh: outbound KIM msg/s end to end through Postfix with the
## virtual card(s) at 0 and 300 ms, against the inet and route-only
## baselines (issue 7); run as root: bash bench/bench_kim.sh
EXTRA_DIST += bench/bench_kim.sh
