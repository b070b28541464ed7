#!/bin/bash
# vm run PATH (workspace mode) with real guests (QEMU TCG), in
# t/with-sandbox's private state root and network namespace.
if [ "${BANGER_SANDBOX:-0}" != 1 ]; then
	TOP=$(cd "$(dirname "$0")/.." && pwd)
	if [ "$(id -u)" != 0 ] || [ ! -f "$TOP/build/images/test/rootfs.ext4" ] ||
	    ! command -v qemu-system-x86_64 >/dev/null || ! test -x /usr/bin/git; then
		. "$TOP/t/lib.sh"
		test_skip 'workspace mode with real guests' 'needs root, QEMU, git and make images'
		test_done
	fi
	exec "$TOP/t/with-sandbox" "$0" "$@"
fi
. "${0%/*}/lib.sh"

STATE=$BANGER_ROOT/var/lib/banger
no_vms() { ! test -d "$STATE/vms" || test -z "$(ls -A "$STATE/vms")"; }

test_expect_success 'a repository with tracked, modified, staged, untracked and ignored files' '
	mkdir repo && cd repo && git init -q && git config user.email t@example.com &&
	git config user.name t && git config commit.gpgsign false &&
	echo old >a.txt && mkdir -p sub/deep && echo deep >sub/deep/b.txt &&
	printf "#!/bin/sh\necho ran\n" >run.sh && chmod 0755 run.sh &&
	echo ro >ro.txt && chmod 0444 ro.txt && ln -s sub/deep/b.txt link &&
	echo secret.txt >.gitignore && echo "[tools]" >.mise.toml &&
	git add -A && git commit -qm one &&
	echo new >a.txt && git commit -qam two &&
	echo modified >a.txt && echo staged >staged.txt && git add staged.txt &&
	echo X=1 >.env && echo pw >secret.txt
'
test_expect_success '--dry-run lists exactly the tracked and staged files and creates no VM' '
	banger vm run --dry-run repo >out 2>err &&
	printf "%s\n" .gitignore .mise.toml a.txt link ro.txt run.sh staged.txt sub/deep/b.txt >want &&
	test_cmp want out && grep -q "^8 files" err && no_vms &&
	banger vm run --dry-run --include-untracked repo/sub >out 2>/dev/null &&
	grep -qx .env out && ! grep -q secret out && no_vms
'
test_expect_success 'not a repository, a missing path and a bad --from: exit 100, no VM' '
	mkdir plain &&
	must_fail 100 banger vm run --rm plain -- true 2>err && grep -q "not inside a git work tree" err &&
	must_fail 100 banger vm run --rm nosuchdir -- true 2>/dev/null &&
	must_fail 100 banger vm run --rm --from nosuchref repo -- true 2>err && grep -q "no such commit" err &&
	must_fail 100 banger vm run --rm --branch "bad..name" repo -- true 2>err &&
	grep -q "not a valid branch name" err &&
	must_fail 100 banger vm run --rm --branch -x repo -- true 2>/dev/null &&
	mkdir fresh && git -C fresh init -q && echo f >fresh/f && git -C fresh add f &&
	must_fail 100 banger vm run --rm --branch b fresh -- true 2>err &&
	grep -q "has none yet" err &&
	no_vms && test -z "$(ls /tmp | grep banger-workspace)"
'
test_expect_success 'files arrive in /root/repo with content, modes, symlinks, root owner; command exits 5' '
	must_fail 5 banger vm run --rm --name ws1 repo -- sh -c "
		pwd; cat a.txt staged.txt; ./run.sh;
		stat -c \"%n %a %u:%g\" run.sh ro.txt a.txt sub/deep/b.txt;
		test -L link && echo link-is-symlink \$(readlink link);
		test -e .env && echo env-present; test -e secret.txt && echo secret-present;
		find . ! -user 0 | grep -q . && echo not-root-owned;
		i=0; while [ ! -s /root/.cache/banger/vm-run-tooling-repo.log ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done;
		cat /root/.cache/banger/vm-run-tooling-repo.log;
		exit 5" >out 2>err &&
	grep -qx /root/repo out && grep -qx modified out && grep -qx staged out && grep -qx ran out &&
	grep -qx "run.sh 755 0:0" out && grep -qx "ro.txt 444 0:0" out &&
	grep -qx "a.txt 644 0:0" out && grep -qx "sub/deep/b.txt 644 0:0" out &&
	grep -qx "link-is-symlink sub/deep/b.txt" out &&
	! grep -q "env-present\|secret-present\|not-root-owned" out &&
	grep -qx "mise is not installed in this image" out &&
	! test -d "$STATE/vms/ws1"
'
test_expect_success '--include-untracked ships .env, never the ignored secret.txt' '
	banger vm run --rm --include-untracked repo -- sh -c "ls -a; cat .env" >out 2>err &&
	grep -qx .env out && grep -qx X=1 out && ! grep -q secret out && no_vms
'
test_expect_success '--from HEAD~1 ships the old tree' '
	banger vm run --rm --from HEAD~1 repo -- sh -c "cat a.txt; ls -a; stat -c %a run.sh" >out 2>err &&
	grep -qx old out && ! grep -q "staged\|modified" out && grep -qx 755 out &&
	test -z "$(grep -x "new" out)" && no_vms
'
test_expect_success '--branch: a git repository on that branch, with the changes as changes' '
	banger vm run --name wsb --branch feature repo -- sh -c "
		git rev-parse --abbrev-ref HEAD; git log --format=LOG-%s;
		git status --porcelain; git config user.name;
		echo guest >g.txt && git add g.txt a.txt && git commit -qm from-guest &&
		echo committed" >out 2>err &&
	grep -qx feature out && grep -qx LOG-two out && grep -qx LOG-one out &&
	grep -qx " M a.txt" out && grep -qx "?? staged.txt" out && grep -qx t out &&
	grep -qx committed out && test -z "$(ls /tmp | grep banger-workspace)"
'
test_expect_success '--branch: the commit made in the guest is fetched back over ssh' '
	banger ssh-config --install >/dev/null 2>&1 &&
	# (ssh reads the passwd entry'"'"'s home, not the sandbox'"'"'s $HOME: -F)
	GIT_SSH_COMMAND="ssh -F $HOME/.ssh/config -o BatchMode=yes" \
		git -C repo fetch -q wsb.vm:/root/repo feature:from-guest &&
	test "$(git -C repo log -1 --format=%s from-guest)" = from-guest &&
	test "$(git -C repo show from-guest:g.txt)" = guest &&
	test "$(git -C repo show from-guest:a.txt)" = modified &&
	test "$(git -C repo rev-parse from-guest~1)" = "$(git -C repo rev-parse HEAD)" &&
	banger ssh-config --uninstall >/dev/null 2>&1 &&
	banger vm delete wsb >/dev/null 2>&1 && no_vms
'
test_expect_success '--branch: no hook runs (not even a global core.hooksPath); a shallow clone works' '
	mkdir hooks &&
	for h in pre-receive update post-receive post-update reference-transaction pre-push; do
		printf "#!/bin/sh\ntouch \"%s/hook-ran-%s\"\n" "$PWD" "$h" >hooks/$h || exit 1
	done &&
	chmod +x hooks/* &&
	git clone -q --depth 1 "file://$PWD/repo" shallow &&
	git config --global core.hooksPath "$PWD/hooks" &&
	{ banger vm run --rm --branch s shallow -- sh -c "
		git rev-parse --abbrev-ref HEAD; git log --oneline | wc -l;
		git config core.hooksPath || echo no-hooks-path" >out 2>err
	  st=$?; git config --global --unset core.hooksPath; } &&
	test $st = 0 && grep -qx s out && grep -qx 1 out && grep -qx no-hooks-path out &&
	test -z "$(ls | grep hook-ran)" && no_vms
'
test_expect_success 'SHA-256 repositories: --from takes their 64-digit ids' '
	git init -q --object-format=sha256 s256 && echo x >s256/x && git -C s256 add x &&
	git -C s256 -c user.name=t -c user.email=t@t commit -qm one &&
	banger vm run --dry-run --from HEAD s256 >out 2>err && grep -qx x out &&
	banger vm run --dry-run --branch b --from HEAD s256 >out 2>err && grep -qx x out
'
test_expect_success '--from with --branch starts the branch at REF' '
	banger vm run --rm --from HEAD~1 --branch old repo -- sh -c "
		git rev-parse HEAD; git status --porcelain | wc -l; cat a.txt" >out 2>err &&
	grep -qx "$(git -C repo rev-parse HEAD~1)" out && grep -qx 0 out &&
	grep -qx old out && no_vms
'
test_expect_success '--branch interrupted (SIGINT at 0.3, 1.5, 4 s) with --rm: no VM, no temporary .git' '
	# One SIGINT, as a terminal sends it (timeout(1) would signal its
	# whole process group as well, and a second signal means "kill").
	for t in 0.3 1.5 4; do
		banger vm run --rm --branch b repo -- sleep 60 >/dev/null 2>&1 &
		pid=$!; sleep $t; kill -INT $pid; wait $pid
		no_vms && test -z "$(ls /tmp | grep banger-workspace)" || { echo "left after $t s"; exit 1; }
	done && test -z "$(ls /tmp | grep banger-workspace)"
'
test_expect_success 'a workspace larger than the work disk: refused by name, no VM, no leftovers' '
	mkdir huge && git -C huge init -q && truncate -s 1100M huge/huge.bin &&
	must_fail 100 banger vm run --rm --include-untracked --disk 1G huge -- true 2>err &&
	grep -q "larger work disk" err && no_vms &&
	test -z "$(ls /tmp | grep banger-workspace)"
'
test_expect_success 'bare vm run PATH gives a login shell in /root/repo' '
	printf "echo WHERE-\$(pwd)\nexit\n" |
		script -qec "banger vm run --rm repo" /dev/null >out 2>&1 &&
	grep -q "WHERE-/root/repo" out && no_vms
'
test_done
