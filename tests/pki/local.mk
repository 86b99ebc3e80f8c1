## Test PKI generator (tests/pki/README.md) and its test.
TESTS += tests/pki/t_pki.sh
EXTRA_DIST += tests/pki/mkpki.sh tests/pki/t_pki.sh tests/pki/README.md
