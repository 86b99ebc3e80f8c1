EXTRA_DIST += contrib/kim-milter.conf contrib/install-deps.sh
EXTRA_DIST += contrib/demo/run.sh

## contrib/postfix: the main.cf and master.cf blocks we ship (the
## integration tests generate their Postfix configuration from them).
EXTRA_DIST += contrib/postfix/main.cf.kim contrib/postfix/master.cf.kim \
	contrib/postfix/kim_header_checks
# the tables of the per-account provider routes (issue 7)
EXTRA_DIST += contrib/postfix/kim_route_checks contrib/postfix/kim_route_strip \
	contrib/postfix/kim_sasl_passwd contrib/postfix/kim_virtual
EXTRA_DIST += contrib/demo/kim-demo.sh
# fetchmail pulling KIM mail into the inbound listener (issue 8)
EXTRA_DIST += contrib/fetchmail/fetchmailrc.example
