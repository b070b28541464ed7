#!/bin/sh
# lib/dns.c under libFuzzer: build/fuzz/dns (t/fuzz/dns.c, ASan+UBSan)
# runs for a bounded time from a copy of t/fuzz/seeds (20 s;
# BANGER_FUZZ_SECONDS overrides).  Any crash, sanitizer report, timeout
# or reply that breaks lib/dns.h (too long, not a response, another ID,
# over udp_max without TC) fails the test; the input that did it is
# kept as build/fuzz/dns-crash-* (or -timeout-, -oom-, -leak-), and
# `build/fuzz/dns FILE` replays it.  Skipped only when build/fuzz/dns
# is not built.
. "${0%/*}/lib.sh"

F=$B/fuzz/dns
S=${BANGER_FUZZ_SECONDS:-20}

if ! [ -e "$F" ]; then
	test_skip 'lib/dns.c under libFuzzer' "$F is not built (make all)"
	test_done
fi

test_expect_success "bg_dns_reply fuzzed for ${S} s from t/fuzz/seeds" '
	test "$S" -ge 1 &&
	mkdir corpus &&
	cp "$TOP"/t/fuzz/seeds/* corpus/ &&
	{ "$F" -max_total_time="$S" -rss_limit_mb=512 -timeout=5 \
	    -artifact_prefix="$B/fuzz/dns-" -print_final_stats=1 \
	    corpus >log 2>&1; st=$?; } &&
	{ test "$st" = 0 || {
		echo "build/fuzz/dns exited $st" &&
		    grep -E "ERROR|SUMMARY|Test unit written|^0x" log | head -n 20 &&
		    tail -n 5 log
		false
	}; } &&
	grep -E "^Done [0-9]+ runs" log
'
# How much ran (prove --comments shows it).
sed -n -e 's/^\(Done [0-9]* runs.*\)/# \1/p' \
    -e 's/^stat::number_of_executed_units: \(.*\)/# \1 executions/p' \
    "$TRASH/log" 2>/dev/null

test_done
