## tests/integration: the Postfix harness (lib.sh, reused by every later
## issue) and the integration tests of issue 2. Each t_*.sh prints TAP
## itself, starts its own Postfix instances, sinks and kim-milter on fresh
## ports under a fresh mktemp -d, and skips without postfix or root.
INTEGRATION_TESTS = \
	tests/integration/t_postfix_config.sh \
	tests/integration/t_fail_closed.sh \
	tests/integration/t_byte_identity.sh \
	tests/integration/t_nothing_lost.sh \
	tests/integration/t_reload.sh \
	tests/integration/t_rcpt.sh \
	tests/integration/t_gate_send.sh \
	tests/integration/t_gate_card.sh \
	tests/integration/t_gate_leaks.sh \
	tests/integration/t_gate_provider.sh \
	tests/integration/t_gate_failures.sh \
	tests/integration/t_relay_roundtrip.sh \
	tests/integration/t_daemon.sh

# the README's demo (contrib/demo/kim-demo.sh) as a smoke test (issue 7)
INTEGRATION_TESTS += tests/integration/t_demo.sh

TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/lib.sh

# the Postfix side of the KIM route (issue 7): kimctl mta-config, check-mta
INTEGRATION_TESTS += tests/integration/t_mta.sh

# reload under load (issue 7 step 7): SIGUSR1 and kimctl reload while KIM
# and normal mail flow; nothing lost, nothing duplicated
INTEGRATION_TESTS += tests/integration/t_gate_reload.sh
