/*
 * root-vmm-launch — start a VM's VMM as the owner: run vmm-exec NAME
 * with the owner's uid and gid, where it takes the VM lock and execs the
 * VMM (helpers/vmm-exec.c).
 *
 * Request: {"v":1,"name":NAME}.  Result: {"name","how":"systemd"|"daemon"}.
 *
 * Where systemd is PID 1 the VMM runs in a transient unit
 * banger-vm-NAME (systemd-run, User=OWNER, sandboxing properties);
 * elsewhere (tests, minimal hosts) this helper forks, starts a new
 * session, drops to the owner's uid and gid and execs vmm-exec.  Either
 * way it answers only once vmm-exec holds the lock (or said why not).
 *
 * Why this is safe: the request carries a name, validated, and the
 * program run is banger's own vmm-exec at a path fixed by whoever
 * started the root service, with that name as its only argument.
 * Everything the VM consists of — vm.json, the VMM binary, its argv —
 * is read and chosen by vmm-exec after the switch to the owner
 * (initgroups, setresgid, setresuid, checked; an environment of PATH
 * and BANGER_ROOT alone; no fd but 0-2 and the status pipe), so the VMM
 * can do nothing the owner could not do by running vmm-exec by hand.
 * Root reads nothing the owner wrote: it opens the VM's directories
 * beneath the state and run roots without following a symlink (the run
 * directory must be the owner's: systemd writes there) and probes the
 * lock.  It only adds what the owner cannot: a system unit, started on
 * the owner's behalf.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"

#define LAUNCH_TIMEOUT_MS 15000

static const char *const codes[] = { "busy", "not_found", "bad_request",
	"internal", "temporary", NULL };

/*
 * vmm-exec's status line from fd: "ok", or "CODE: message".  It is the
 * owner's program speaking: bounded, printable, a known code or
 * "temporary".
 */
static int
await_status(int fd, struct bg_err *err)
{
	char buf[1100], code[16];
	size_t have = 0, i;
	int64_t deadline = bg_now_ms() + LAUNCH_TIMEOUT_MS;
	const char *colon;

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
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	if (strcmp(buf, "ok") == 0)
		return 0;
	colon = strstr(buf, ": ");
	snprintf(code, sizeof(code), "temporary");
	for (i = 0; colon != NULL && codes[i] != NULL; i++)
		if ((size_t)(colon - buf) == strlen(codes[i]) &&
		    strncmp(buf, codes[i], strlen(codes[i])) == 0)
			snprintf(code, sizeof(code), "%s", codes[i]);
	bg_err_set(err, code, "%s",
	    have == 0 ?
		"the VMM launcher could not be started (see the VM's vmm.log)" :
		colon != NULL ? colon + 2 :
				buf);
	return -EIO;
}

/*
 * Fork, new session, drop to the owner, exec argv; its status comes
 * back on a pipe.  With wait, the child is reaped too (vmm-exec --check
 * exits after its status; the VMM does not).
 */
static int
as_owner(char **argv, uid_t uid, gid_t gid, bool wait, struct bg_err *err)
{
	char root[PATH_MAX + 16],
	    *envp[3] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL, NULL };
	const char *br = getenv("BANGER_ROOT");
	struct passwd *pw = getpwuid(uid);
	char user[256] = "";
	int p[2], r;
	pid_t pid;

	/*
	 * The owner's supplementary groups too (kvm, for /dev/kvm), as
	 * User= gives; gid is its passwd group (lib/peer.c), never one
	 * made up from the uid.
	 */
	if (pw == NULL || strlen(pw->pw_name) >= sizeof(user)) {
		bg_err_set(err, "internal",
		    "the owner (uid %u) has no usable passwd entry",
		    (unsigned)uid);
		return -ENOENT;
	}
	strcpy(user, pw->pw_name);
	/* The state root is the one this helper works in (tests: BANGER_ROOT). */
	if (br != NULL && strlen(br) < PATH_MAX) {
		snprintf(root, sizeof(root), "BANGER_ROOT=%s", br);
		envp[1] = root;
	}
	pid = bg_fork_pipe(p, err);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		/*
		 * One fork is enough: this helper exits as soon as the
		 * status arrives, and the VMM is then reparented.
		 */
		close(p[0]);
		if (setsid() < 0)
			_exit(111);
		/* The status pipe becomes fd 3, kept across exec. */
		if (dup2(p[1], 3) < 0 || (p[1] != 3 && close(p[1]) < 0))
			_exit(111);
		if (initgroups(user, gid) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || geteuid() != uid ||
		    getegid() != gid) {
			dprintf(3, "temporary: cannot drop privileges\n");
			_exit(111);
		}
		/* Nothing but 0-2 and the status pipe reaches the VMM. */
		close_range(4, ~0U, 0);
		execve(argv[0], argv, envp);
		dprintf(3, "internal: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = await_status(p[0], err);
	close(p[0]);
	if (wait)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return r;
}

/*
 * systemd-run a transient unit; then wait for the lock to be held.  The
 * unit's refusal would only reach the journal: vmm-exec --check, as the
 * owner, says first what vmm-exec would refuse.
 */
static int
launch_systemd(char **argv, const char *name, uid_t uid, gid_t gid, int rfd,
    struct bg_err *err)
{
	char *cargv[] = { argv[0], "--check", argv[1], NULL };
	char run[PATH_MAX], unit[96], u[32], g[32], rw[2 * PATH_MAX + 40];
	char sdir[PATH_MAX], rdir[PATH_MAX], env[PATH_MAX + 32], cg[PATH_MAX];
	const char *br = getenv("BANGER_ROOT");
	bool cgroups = access("/sys/fs/cgroup/system.slice", F_OK) == 0;
	char *sargv[32];
	size_t n = 0;
	int64_t deadline;
	int r;

	r = as_owner(cargv, uid, gid, true, err);
	if (r < 0)
		return r;
	if (bg_host_tool("systemd-run", NULL, run, sizeof(run)) < 0) {
		bg_err_set(err, "temporary", "systemd-run not found");
		return -ENOENT;
	}
	if (bg_path_build(sdir, sizeof(sdir), BG_DIR_STATE, "vms", name, NULL) <
		0 ||
	    bg_path_build(rdir, sizeof(rdir), BG_DIR_RUN, "vms", name, NULL) <
		0) {
		bg_err_set(err, "internal", "the VM's paths are too long");
		return -ENAMETOOLONG;
	}
	snprintf(unit, sizeof(unit), "--unit=banger-vm-%s", name);
	snprintf(u, sizeof(u), "--uid=%u", (unsigned)uid);
	snprintf(g, sizeof(g), "--gid=%u", (unsigned)gid);
	/* ReadWritePaths= fails the unit (226/NAMESPACE) when a path is missing. */
	snprintf(rw, sizeof(rw), "--property=ReadWritePaths=%s %s", sdir, rdir);
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
	if (br != NULL && strlen(br) < PATH_MAX) {
		snprintf(env, sizeof(env), "--setenv=BANGER_ROOT=%s", br);
		sargv[n++] = env;
	}
	sargv[n++] = "--";
	sargv[n++] = argv[0];
	sargv[n++] = argv[1];
	sargv[n] = NULL;
	r = bg_run(sargv, 30000, err);
	if (r < 0)
		return r;
	/*
	 * systemd-run returned once vmm-exec was exec'd (type exec): the
	 * lock follows within milliseconds, unless vmm-exec refused, and
	 * then the unit's cgroup is gone.  Its words are in the journal.
	 */
	snprintf(cg, sizeof(cg),
	    "/sys/fs/cgroup/system.slice/banger-vm-%s.service", name);
	deadline = bg_now_ms() + LAUNCH_TIMEOUT_MS;
	while (bg_now_ms() < deadline) {
		if (bg_lock_held_at(rfd, "lock") == 1)
			return 0;
		if (cgroups && access(cg, F_OK) < 0 && errno == ENOENT &&
		    bg_lock_held_at(rfd, "lock") != 1) {
			bg_err_set(err, "temporary",
			    "the VMM of VM \"%s\" exited "
			    "at once: journalctl -u banger-vm-%s says why",
			    name, name);
			return -EIO;
		}
		usleep(5000);
	}
	bg_err_set(err, "temporary",
	    "the VMM did not start: see journalctl -u banger-vm-%s", name);
	return -EIO;
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const struct {
		int e;
		const char *code, *what;
	} why[] = {
		{ -ENOENT, "not_found",
		    "does not exist (banger vm start makes it, as the owner)" },
		{ -EPERM, "permission_denied", "is not the owner's: refused" },
		{ -ELOOP, "bad_request", "is a symlink: refused" },
		{ -ENOTDIR, "bad_request", "is not a directory: refused" },
	};
	const char *name = bg_req_str(rq, "name");
	char exec[PATH_MAX], *argv[3];
	size_t i;
	_cleanup_close_ int sfd = -1, rfd = -1;
	struct stat st;
	bool systemd = bg_host_systemd() && getenv("BANGER_NO_SYSTEMD") == NULL;
	int r;

	sfd = bg_vm_dir(BG_DIR_STATE, name);
	if (sfd == -ENOENT)
		bg_err_set(err, "not_found",
		    "no VM named \"%s\": banger vm list shows the VMs", name);
	else if (sfd < 0)
		bg_err_set(err, "bad_request",
		    "the directory of VM \"%s\" is a "
		    "symlink or not a directory: refused (%s)",
		    name, strerror(-sfd));
	if (sfd < 0)
		return sfd;
	/* Made by vm-start, as the owner; systemd writes there (ReadWritePaths). */
	rfd = bg_vm_dir(BG_DIR_RUN, name);
	r = rfd < 0		       ? rfd :
	    fstat(rfd, &st) < 0	       ? -errno :
	    st.st_uid != rq->owner_uid ? -EPERM :
					 0;
	for (i = 0; r < 0 && i < sizeof(why) / sizeof(why[0]); i++)
		if (why[i].e == r)
			bg_err_set(err, why[i].code,
			    "the run directory of VM \"%s\" %s", name,
			    why[i].what);
	if (r < 0 && err->code[0] == '\0')
		bg_err_set(err, "temporary",
		    "cannot open the run directory of VM \"%s\": %s", name,
		    strerror(-r));
	if (r < 0)
		return r;
	if (bg_lock_held_at(rfd, "lock") != 0) {
		bg_err_set(err, "busy", "VM \"%s\" is already running", name);
		return -EBUSY;
	}
	r = bg_path_helper(exec, sizeof(exec), "", "vmm-exec");
	if (r < 0) {
		bg_err_set(err, "internal", "bad helper directory: %s",
		    strerror(-r));
		return r;
	}
	argv[0] = exec;
	argv[1] = (char *)name;
	argv[2] = NULL;
	r = systemd ?
	    launch_systemd(argv, name, rq->owner_uid, rq->owner_gid, rfd, err) :
	    as_owner(argv, rq->owner_uid, rq->owner_gid, false, err);
	if (r < 0)
		return r;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddStringToObject(*result, "how", systemd ? "systemd" : "daemon");
	return 0;
}

/* Caps: the switch to the owner; reading the owner's directories. */
BG_VERB(.name = "vmm-launch", .flags = BG_VERB_ROOT,
    .fields = BG_FIELDS(BG_F_NAME), .caps = BG_CAPS_VMM_LAUNCH, .act = act);
