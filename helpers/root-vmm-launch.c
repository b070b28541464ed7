/*
 * root-vmm-launch — start a VM's VMM as the owner, with the VM lock held
 * for exactly as long as the VMM runs.
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name","vmm","how":"systemd"|"daemon"}.
 *
 * Where systemd is PID 1 the VMM runs in a transient unit
 * banger-vm-NAME (systemd-run, User=OWNER, sandboxing properties);
 * elsewhere (tests, minimal hosts) this helper double-forks, drops to
 * the owner's uid and gid, and execs vmm-exec, which takes the lock and
 * execs the VMM.  Either way vmm-exec reports on a pipe whether it got
 * the lock; this helper answers only once that is known.
 *
 * Why this is safe: the request carries a name, validated; vm.json is
 * read beneath the state root without following symlinks and every
 * field is validated (bg_vm_from_json); every path is rebuilt from the
 * validated names; the VMM binary is found in fixed directories (or
 * BANGER_QEMU_BIN / BANGER_FIRECRACKER_BIN, set by whoever started the
 * root service, never by the client); the argv is built without a
 * shell; privileges are dropped to the installed owner (initgroups,
 * setresgid, setresuid, checked) before exec, with an environment of
 * PATH and BANGER_ROOT alone — so the VMM can do nothing the owner could not do by
 * running it directly.  Root only adds what the owner cannot: a system
 * unit, and starting it on the owner's behalf.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <skalibs/strerr.h>
#include <systemd/sd-daemon.h>

#include "banger.h"

static const char *const allowed[] = { "name", NULL };

static const char *
vmm_bin(const char *vmm, char *buf, size_t n)
{
	const char *env = getenv(strcmp(vmm, "qemu") == 0 ?
	    "BANGER_QEMU_BIN" : "BANGER_FIRECRACKER_BIN");

	if (env != NULL && env[0] == '/' && strlen(env) < n)
		return strcpy(buf, env);
	return bg_find_tool(strcmp(vmm, "qemu") == 0 ? "qemu-system-x86_64" :
	    "firecracker", buf, n);
}

/* Read vmm-exec's status line from fd within the deadline. */
static int
await_status(int fd, struct bg_err *err)
{
	char buf[64];
	size_t have = 0;
	int64_t deadline = bg_now_ms() + 15000;

	for (;;) {
		ssize_t n = bg_read_deadline(fd, buf + have,
		    sizeof(buf) - 1 - have, deadline);

		if (n <= 0)
			break;
		have += (size_t)n;
		if (memchr(buf, '\n', have) || have == sizeof(buf) - 1)
			break;
	}
	buf[have] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0)
		return 0;
	if (strcmp(buf, "busy") == 0) {
		bg_err_set(err, "busy", "the VM is already running");
		return -EBUSY;
	}
	bg_err_set(err, "temporary", "the VMM launcher failed: %s",
	    have ? buf : "it could not be started (see the VM's vmm.log)");
	return -EIO;
}

/* Double fork, drop to the owner, exec argv; status comes back on a pipe. */
static int
launch_daemon(char **argv, uid_t uid, gid_t gid, struct bg_err *err)
{
	char root[PATH_MAX + 16], *envp[3] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		NULL, NULL };
	const char *br = getenv("BANGER_ROOT");
	int p[2], st, r;
	char user[256] = "";
	struct passwd *pw = getpwuid(uid);

	/* The owner's supplementary groups too (kvm, for /dev/kvm), as User= gives. */
	if (pw != NULL && strlen(pw->pw_name) < sizeof(user))
		strcpy(user, pw->pw_name);

	/* The state root is the one this helper works in (tests: BANGER_ROOT). */
	if (br != NULL && strlen(br) < PATH_MAX) {
		snprintf(root, sizeof(root), "BANGER_ROOT=%s", br);
		envp[1] = root;
	}
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		bg_err_set(err, "temporary", "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		bg_err_set(err, "temporary", "fork: %s", strerror(-r));
		return r;
	}
	if (pid == 0) {
		close(p[0]);
		if (setsid() < 0)
			_exit(111);
		pid = fork();
		if (pid != 0)
			_exit(pid < 0 ? 111 : 0);
		/* The status pipe becomes fd 3, kept across exec. */
		if (dup2(p[1], 3) < 0 || (p[1] != 3 && close(p[1]) < 0))
			_exit(111);
		if ((user[0] ? initgroups(user, gid) : setgroups(1, &gid)) < 0 ||
		    setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || geteuid() != uid ||
		    getegid() != gid) {
			dprintf(3, "cannot drop privileges\n");
			_exit(111);
		}
		/* Nothing but 0-2 and the status pipe reaches the VMM. */
		close_range(4, ~0U, 0);
		execve(argv[0], argv, envp);
		dprintf(3, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	r = await_status(p[0], err);
	close(p[0]);
	return r;
}

/* systemd-run a transient unit; then wait for the lock to be held. */
static int
launch_systemd(char **argv, const struct bg_vm *vm, uid_t uid, gid_t gid,
    const struct bg_vm_paths *p, struct bg_err *err)
{
	char run[PATH_MAX], unit[96], u[32], g[32], rw[2 * PATH_MAX + 32];
	char env[PATH_MAX + 32];
	char *sargv[160];
	size_t n = 0, i;
	int r;

	if (bg_find_tool("systemd-run", run, sizeof(run)) == NULL) {
		bg_err_set(err, "temporary", "systemd-run not found");
		return -ENOENT;
	}
	/*
	 * ReadWritePaths= fails the unit (226/NAMESPACE) when a path is
	 * missing.  RUN/vms/NAME is the owner's to make (vm-start does).
	 */
	{
		struct stat st;
		int d = open(p->rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);

		r = d < 0 ? -errno : fstat(d, &st) < 0 ? -errno :
		    st.st_uid != uid ? -EPERM : 0;
		if (d >= 0)
			close(d);
		if (r < 0) {
			bg_err_set(err, "not_found",
			    "%s: %s (banger vm start makes it, as the owner)",
			    p->rundir, r == -EPERM ? "not the owner's" :
			    strerror(-r));
			return r;
		}
	}
	snprintf(unit, sizeof(unit), "--unit=banger-vm-%s", vm->name);
	snprintf(u, sizeof(u), "--uid=%u", (unsigned)uid);
	snprintf(g, sizeof(g), "--gid=%u", (unsigned)gid);
	snprintf(rw, sizeof(rw), "--property=ReadWritePaths=%s %s", p->dir,
	    p->rundir);
	sargv[n++] = run;
	sargv[n++] = unit;
	sargv[n++] = u;
	sargv[n++] = g;
	sargv[n++] = "--collect";
	/* exec: a unit that cannot even start fails the job, and systemd-run. */
	sargv[n++] = "--service-type=exec";
	sargv[n++] = "--quiet";
	sargv[n++] = "--property=NoNewPrivileges=yes";
	sargv[n++] = "--property=PrivateTmp=yes";
	sargv[n++] = "--property=ProtectSystem=strict";
	sargv[n++] = "--property=ProtectHome=yes";
	sargv[n++] = rw;
	if (getenv("BANGER_ROOT") != NULL && strlen(getenv("BANGER_ROOT")) < PATH_MAX) {
		snprintf(env, sizeof(env), "--setenv=BANGER_ROOT=%s",
		    getenv("BANGER_ROOT"));
		sargv[n++] = env;
	}
	sargv[n++] = "--";
	/* Never run a truncated command line. */
	for (i = 0; argv[i] != NULL; i++) {
		if (n + 1 >= sizeof(sargv) / sizeof(sargv[0])) {
			bg_err_set(err, "internal", "the VMM command line is too long");
			return -E2BIG;
		}
		sargv[n++] = argv[i];
	}
	sargv[n] = NULL;
	r = bg_run(sargv, 30000, err);
	if (r < 0)
		return r;
	for (i = 0; i < 300; i++) {
		if (bg_lock_held(p->lock) == 1)
			return 0;
		usleep(50000);
	}
	bg_err_set(err, "temporary",
	    "the VMM did not start: see journalctl -u banger-vm-%s", vm->name);
	return -EIO;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	struct bg_vm_paths p;
	char libexec[PATH_MAX], exec[PATH_MAX], bin[PATH_MAX], cmdline[4096];
	char dns[128], **vargv = NULL, *argv[128];
	const char *name;
	bool use_systemd;
	uid_t uid;
	gid_t gid;
	cJSON *res;
	size_t n = 0, i;
	int r;

	PROG = "banger-root-vmm-launch";
	r = bg_helper_begin(&h, "vmm-launch", true);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);
	name = bg_req_name(h.req, &err);
	if (name == NULL)
		return bg_helper_fail(&h, &err);
	if (bg_owner(&uid, &gid, true, &err) < 0)
		return bg_helper_fail(&h, &err);
	if (bg_vm_load(name, &vm, &err) < 0)
		return bg_helper_fail(&h, &err);
	if (strcmp(vm.status, "created") != 0) {
		bg_err_set(&err, "busy", "VM \"%s\" is not fully created", name);
		return bg_helper_fail(&h, &err);
	}
	bg_vm_paths(&vm, &p);
	if (bg_lock_held(p.lock) != 0) {
		bg_err_set(&err, "busy", "VM \"%s\" is already running", name);
		return bg_helper_fail(&h, &err);
	}
	if (!bg_net_link_exists(vm.tap)) {
		bg_err_set(&err, "not_found", "tap %s does not exist: tap-add first",
		    vm.tap);
		return bg_helper_fail(&h, &err);
	}
	if (vmm_bin(vm.vmm, bin, sizeof(bin)) == NULL) {
		bg_err_set(&err, "not_found", "%s is not installed on this host",
		    strcmp(vm.vmm, "qemu") == 0 ? "qemu-system-x86_64 (package qemu-system-x86)" :
		    "firecracker");
		return bg_helper_fail(&h, &err);
	}
	bg_host_dns(dns, sizeof(dns));
	r = bg_vm_cmdline(&vm, dns, strcmp(vm.vmm, "qemu") == 0 &&
	    strcmp(vm.accel, "tcg") == 0, bg_host_tsc_khz(), cmdline,
	    sizeof(cmdline));
	if (r == 0)
		r = strcmp(vm.vmm, "qemu") == 0 ?
		    bg_qemu_argv(&vm, &p, bin, cmdline, &vargv) :
		    bg_fc_argv(&p, bin, &vargv);
	if (r < 0 || bg_path_libexec(libexec, sizeof(libexec)) < 0 ||
	    (size_t)snprintf(exec, sizeof(exec), "%s/vmm-exec", libexec) >=
	    sizeof(exec)) {
		bg_argv_free(vargv);
		bg_err_set(&err, "internal", "cannot build the VMM command line");
		return bg_helper_fail(&h, &err);
	}
	argv[n++] = exec;
	argv[n++] = vm.name;
	argv[n++] = strcmp(vm.vmm, "qemu") == 0 ? "log" : "console";
	argv[n++] = "--";
	for (i = 0; vargv[i] != NULL && n < 127; i++)
		argv[n++] = vargv[i];
	argv[n] = NULL;
	if (vargv[i] != NULL) {
		bg_argv_free(vargv);
		bg_err_set(&err, "internal", "the VMM command line is too long");
		return bg_helper_fail(&h, &err);
	}
	use_systemd = sd_booted() > 0 && getenv("BANGER_NO_SYSTEMD") == NULL;
	r = use_systemd ? launch_systemd(argv, &vm, uid, gid, &p, &err) :
	    launch_daemon(argv, uid, gid, &err);
	bg_argv_free(vargv);
	if (r < 0)
		return bg_helper_fail(&h, &err);
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "name", vm.name);
	cJSON_AddStringToObject(res, "vmm", vm.vmm);
	cJSON_AddStringToObject(res, "how", use_systemd ? "systemd" : "daemon");
	return bg_helper_ok(&h, res);
}
