## tests/inbound: the inbound role (issue 8) through real Postfix, slapd,
## redis, openssl ocsp and the card backends; TAP, every service started
## and stopped by the test (tests/integration/lib.sh).
INBOUND_TESTS = \
	tests/inbound/t_inbound_sample.sh \
	tests/inbound/t_inbound_roundtrip.sh \
	tests/inbound/t_inbound_card.sh \
	tests/inbound/t_inbound_conf.sh \
	tests/inbound/t_inbound_fetchmail.sh

TESTS += $(INBOUND_TESTS)
EXTRA_DIST += $(INBOUND_TESTS)
