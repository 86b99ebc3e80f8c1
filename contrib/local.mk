EXTRA_DIST += contrib/kim-milter.conf contrib/install-deps.sh
EXTRA_DIST += contrib/demo/run.sh
