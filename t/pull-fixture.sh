# shellcheck shell=sh
# t/pull-fixture.sh — what the pull tests and `make demo` share: a test
# CA and server certificates (images/serve-bundles.sh --ca), and the with-sandbox
# root hook that serves bundles over HTTPS (t/https-server.py) inside
# the sandbox's network namespace.
#
#   pull_ca DIR NAME...   DIR/ca.pem (+ .key), DIR/other.pem (another CA),
#                         DIR/NAME.pem and NAME.key for each host NAME,
#                         signed by ca.pem with subjectAltName DNS:NAME
#   pull_hook D WWW       a BANGER_SANDBOX_ROOT_SETUP command line: copies
#                         WWW/catalog.json and D/pki/ca.pem to
#                         $BANGER_SANDBOX_DIR/pull/ for the owner, serves
#                         WWW as https://localhost:8443/, logs to
#                         D/requests.log, and waits until it listens

pull_ca() {
	sh "$TOP/images/serve-bundles.sh" --ca "$@"
}

pull_hook() {
	printf '%s' "
		mkdir -p \"\$BANGER_SANDBOX_DIR/pull\" &&
		cp '$2/catalog.json' '$1/pki/ca.pem' \"\$BANGER_SANDBOX_DIR/pull/\" &&
		chmod -R a+rX \"\$BANGER_SANDBOX_DIR/pull\" &&
		rm -f '$1/port' &&
		{ /usr/bin/python3 '$TOP/t/https-server.py' --dir '$2' \
		    --cert '$1/pki/localhost.pem' --key '$1/pki/localhost.key' \
		    --port 8443 --port-file '$1/port' --log '$1/requests.log' \
		    </dev/null >'$1/server.log' 2>&1 & } &&
		n=0 && while [ ! -s '$1/port' ] && [ \$n -lt 200 ]; do sleep 0.05; n=\$((n + 1)); done &&
		test -s '$1/port'"
}
