#!/bin/sh
# t/lint.sh — what `make lint` checks (and `make check` with it):
#   1. C formatting: every .c and .h is as clang-format makes it
#      (.clang-format: style(9)-like, docs/conventions.md);
#   2. shellcheck (warnings and errors) on every shell script and test;
#      SC2034 ("unused variable") is off for t/*.t and the libraries
#      they source: test bodies are strings the shell evaluates later;
#   3. tests read JSON with jq: no `sed` pulling a "key":value out;
#   4. code and docs cite the project's own docs/, nothing outside it.
# The &&-chain of test bodies is checked when they run (t/lib.sh).
set -u
cd "$(dirname "$0")/.." || exit 111
st=0
say() { echo "lint: $*" >&2; st=1; }

command -v clang-format >/dev/null || { echo "lint: clang-format missing: make deps" >&2; exit 111; }
command -v shellcheck >/dev/null || { echo "lint: shellcheck missing: make deps" >&2; exit 111; }

c=$(git ls-files '*.c' '*.h')
# shellcheck disable=SC2086
clang-format --dry-run --Werror $c 2>lint.cf.out || {
	grep -o '^[^:]*:[0-9]*' lint.cf.out | sort -u | head -n 20 >&2
	say "C files differ from clang-format's output (fix: clang-format -i FILE)"
}
rm -f lint.cf.out

sh_files=$(git ls-files t/with-sandbox t/lint.sh 'bench/*' \
    'images/*.sh' 'images/*/build.sh' images/test/rcS images/test/dropbear \
    conf/deps.sh .ci/run | grep -v '\.c$')
tests=$(git ls-files 't/*.t' t/lib.sh t/nspawn.sh 't/*-fixture.sh')
# shellcheck disable=SC2086
shellcheck -S warning $sh_files || say "shellcheck found problems in the scripts"
# shellcheck disable=SC2086
shellcheck -S warning -e SC2034 $tests || say "shellcheck found problems in the tests"

# shellcheck disable=SC2086
if grep -nE "sed -n .*\\\\?\"[a-z_]+\\\\?\":" $tests t/with-sandbox 'bench/'* 2>/dev/null; then
	say "tests read JSON with jq, not sed (the lines above)"
fi

if git grep -nE "(shared/|\.\./shared|DESIGN\.md|STYLE\.md|FACTS\.md)" -- \
    ':!t/lint.sh' ':!.ci' >&2; then
	say "cite docs/ (the lines above name files outside the project)"
fi
exit $st
