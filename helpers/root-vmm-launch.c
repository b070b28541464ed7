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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"

#define LAUNCH_TIMEOUT_MS 15000

static const char *const codes[] = { "busy", "not_found", "bad_request",
	"internal", "temporary", NULL };

/*
 * vmm-exec's status line from fd: "ok", "ok FACTS" (--check: into
 * facts), or "CODE: message".  It is the owner's program speaking:
 * bounded, printable, a known code or "temporary".
 */
static int
await_status(int fd, char *facts, size_t nfacts, struct bg_err *err)
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
	if (strcmp(buf, "ok") == 0 ||
	    (facts != NULL && strncmp(buf, "ok ", 3) == 0)) {
		if (facts != NULL)
			snprintf(facts, nfacts, "%s", buf[2] ? buf + 3 : "");
		return 0;
	}
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
 * back on a pipe.  With facts (vmm-exec --check, which exits after its
 * status; the VMM does not), the "ok" line's facts land there and the
 * child is reaped.
 */
static int
as_owner(char **argv, uid_t uid, gid_t gid, char *facts, size_t nfacts,
    struct bg_err *err)
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
		sigset_t none;
		int sig, nul;

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
		/*
		 * What the VMM starts with, as systemd would give it: no fd
		 * but 0-2 (/dev/null) and the status pipe (checked, and before the
		 * switch, while nothing of the owner's runs here), default
		 * signal dispositions (this helper ignores SIGPIPE) and
		 * nothing blocked, / as its directory, umask 077, and no way
		 * to gain privileges.
		 */
		if (close_range(4, ~0U, 0) < 0) {
			dprintf(3, "temporary: close_range: %s\n",
			    strerror(errno));
			_exit(111);
		}
		/*
		 * 0-2 are root's: the connection to the owner's client and
		 * root's journal stream.  What runs as the owner speaks only
		 * through the status pipe (vmm-exec points 0-2 at /dev/null
		 * and the VM's logs itself).
		 */
		if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
		    dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
		    (nul > 2 && close(nul) < 0)) {
			dprintf(3, "temporary: /dev/null: %s\n",
			    strerror(errno));
			_exit(111);
		}
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&none);
		umask(077);
		if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 ||
		    chdir("/") < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			dprintf(3, "temporary: cannot set up the process: %s\n",
			    strerror(errno));
			_exit(111);
		}
		if (initgroups(user, gid) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0 || geteuid() != uid ||
		    getegid() != gid) {
			dprintf(3, "temporary: cannot drop privileges\n");
			_exit(111);
		}
		execve(argv[0], argv, envp);
		dprintf(3, "internal: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = await_status(p[0], facts, nfacts, err);
	close(p[0]);
	if (facts != NULL)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	return r;
}

/* vmm-exec --check's facts about the VM, as root takes them. */
struct facts {
	const struct bg_vmm *vmm;
	long memory_mib;
	int vcpu;
	bool emulated;
	char kernel[BG_NAME_MAX + 1];
};

/*
 * "vmm=V memory_mib=M vcpu=N emulated=0|1 kernel=K", every value
 * checked: a known driver, the documented ranges, a kernel name.  The
 * owner's program said it; all it can choose is its own VM's limits,
 * within what vm create allows anyway.
 */
static int
parse_facts(const char *s, struct facts *f, struct bg_err *err)
{
	char vmm[32], kernel[BG_NAME_MAX + 1];
	int em, n = 0;

	_Static_assert(BG_NAME_MAX == 63, "the kernel=%63s below");
	if (sscanf(s,
		"vmm=%31[a-z] memory_mib=%ld vcpu=%d emulated=%d kernel=%63s%n",
		vmm, &f->memory_mib, &f->vcpu, &em, kernel, &n) != 5 ||
	    s[n] != '\0' || (f->vmm = bg_vmm_find(vmm)) == NULL ||
	    f->memory_mib < BG_MEMORY_MIN_MIB ||
	    f->memory_mib > BG_MEMORY_MAX_MIB || f->vcpu < BG_VCPU_MIN ||
	    f->vcpu > BG_VCPU_MAX || (em != 0 && em != 1) ||
	    !bg_artifact_name_valid(kernel)) {
		bg_err_set(err, "internal",
		    "vmm-exec --check said something unexpected: %.200s", s);
		return -EPROTO;
	}
	f->emulated = em == 1;
	memcpy(f->kernel, kernel, sizeof(f->kernel));
	return 0;
}

/* sargv[*n] = a malloc'd "--property=..." (freed by the caller). */
__attribute__((format(printf, 3, 4))) static int
prop(char **sargv, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	sargv[(*n)++] = p;
	return 0;
}

/* Characters a path may have in a property's space-separated list. */
static bool
listable(const char *s)
{
	for (; *s != '\0'; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
			('0' <= *s && *s <= '9') || strchr("/._@+-", *s)))
			return false;
	return true;
}

/*
 * Add " -DIR/SUB/ENTRY" to f for each entry of DIR/SUB but keep[]: what
 * the VM's unit must not see of banger's state (InaccessiblePaths).
 * Only names are read (the owner's directory, not followed).  A name
 * unfit for the list is one banger never makes: it is left out, and so
 * is a symlink.
 */
static int
hide(FILE *f, enum bg_dir d, const char *sub, const char *const *keep)
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dp;
	size_t i;
	int fd, r = bg_path_dir(d, dir, sizeof(dir));

	if (r == 0 && sub != NULL &&
	    (size_t)snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir),
		"/%s", sub) >= sizeof(dir) - strlen(dir))
		r = -ENAMETOOLONG;
	if (r < 0)
		return r;
	if (!listable(dir))
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if ((dp = fdopendir(fd)) == NULL) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 || !listable(e->d_name))
			continue;
		/*
		 * Not a symlink: systemd would hide its target instead (the
		 * VM's own directory, say).  What it points to is hidden by
		 * its own name, or outside banger's state.
		 */
		if (fstatat(dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    S_ISLNK(st.st_mode))
			continue;
		for (i = 0; keep[i] != NULL && strcmp(keep[i], e->d_name); i++)
			;
		if (keep[i] == NULL)
			fprintf(f, " -%s/%s", dir, e->d_name);
	}
	closedir(dp);
	return 0;
}

/*
 * What the unit must not see: the other VMs, kernels and images, the
 * sockets (owner's and root's), the cache.  Hidden by name, not by
 * binding the VM's own paths into an empty tree: a bind's source is
 * resolved by systemd, as root, through the owner's directories, and a
 * symlink swapped in there would expose any file of the host past its
 * directories' modes.  ReadWritePaths= and InaccessiblePaths= only
 * change what is already reachable.  An entry made after the start
 * (another VM created later) is visible, read-only: the owner's own.
 */
static char *
hidden(const char *name, const char *kernel)
{
	const char *const top[] = { "vms", "kernels", NULL };
	const char *const vm[] = { name, NULL };
	const char *const kern[] = { kernel, NULL };
	char *buf = NULL, dir[PATH_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (f == NULL)
		return NULL;
	fputs("--property=InaccessiblePaths=", f);
	r = hide(f, BG_DIR_STATE, NULL, top);
	if (r == 0)
		r = hide(f, BG_DIR_STATE, "vms", vm);
	if (r == 0)
		r = hide(f, BG_DIR_STATE, "kernels", kern);
	if (r == 0)
		r = hide(f, BG_DIR_RUN, NULL, top);
	if (r == 0)
		r = hide(f, BG_DIR_RUN, "vms", vm);
	if (r == 0 && (r = bg_path_dir(BG_DIR_ROOTRUN, dir, sizeof(dir))) == 0)
		fprintf(f, " -%s", dir);
	if (r == 0 && (r = bg_path_dir(BG_DIR_CACHE, dir, sizeof(dir))) == 0)
		fprintf(f, " -%s", dir);
	if (fclose(f) != 0 || r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The VM's unit: a jail (docs/privileges.md, "The VM's unit").  The
 * VMM runs as the owner with no capabilities and no way to gain any;
 * it sees the system read-only, no home, a private /tmp, of banger's
 * state only its own VM's directories (writable) and its kernel;
 * devices: the pseudo devices, /dev/kvm and /dev/net/tun (its tap is
 * the owner's); a syscall filter; MemoryMax its guest's RAM plus the
 * driver's measured overhead, TasksMax its vCPUs plus the driver's
 * threads; in banger.slice, whose limits the admin sets.
 */
static int
jail(char **sargv, size_t *n, const char *name, const struct facts *f,
    uid_t uid, gid_t gid)
{
	static const char *const fixed[] = {
		"NoNewPrivileges=yes",
		"CapabilityBoundingSet=",
		"AmbientCapabilities=",
		"PrivateTmp=yes",
		"PrivateMounts=yes",
		"ProtectSystem=strict",
		"ProtectHome=yes",
		"PrivateDevices=yes",
		"BindPaths=/dev/net/tun -/dev/kvm",
		"DeviceAllow=/dev/net/tun rw",
		"DeviceAllow=/dev/kvm rw",
		"ProtectKernelTunables=yes",
		"ProtectKernelModules=yes",
		"ProtectKernelLogs=yes",
		"ProtectControlGroups=yes",
		"ProtectClock=yes",
		"ProtectHostname=yes",
		/*
		 * /proc/cpuinfo, meminfo and the rest are hidden: the one
		 * fact vmm-exec needs from them, the TSC rate, root reads
		 * and passes in (BANGER_TSC_KHZ, below).
		 */
		"ProtectProc=invisible",
		"ProcSubset=pid",
		"RestrictNamespaces=yes",
		"RestrictRealtime=yes",
		"RestrictSUIDSGID=yes",
		"LockPersonality=yes",
		"RestrictAddressFamilies=AF_UNIX",
		"IPAddressDeny=any",
		"SystemCallArchitectures=native",
		/* seccomp: QEMU's own -sandbox (a filter can only narrow). */
		"SystemCallFilter=@system-service seccomp",
		"SystemCallFilter=~@privileged @resources",
		"SystemCallErrorNumber=EPERM",
		"UMask=0077",
		NULL,
	};
	char sdir[PATH_MAX], rdir[PATH_MAX];
	size_t i;
	long tsc;
	int r = 0;

	if (bg_path_build(sdir, sizeof(sdir), BG_DIR_STATE, "vms", name, NULL) <
		0 ||
	    bg_path_build(rdir, sizeof(rdir), BG_DIR_RUN, "vms", name, NULL) <
		0 ||
	    !listable(sdir) || !listable(rdir) ||
	    !bg_artifact_name_valid(f->kernel))
		return -EINVAL;
	for (i = 0; fixed[i] != NULL && r == 0; i++)
		r = prop(sargv, n, "--property=%s", fixed[i]);
	if (r == 0)
		r = prop(sargv, n, "--uid=%u", (unsigned)uid);
	if (r == 0)
		r = prop(sargv, n, "--gid=%u", (unsigned)gid);
	if (r == 0)
		r = prop(sargv, n, "--property=ReadWritePaths=%s %s", sdir,
		    rdir);
	if (r == 0 && (sargv[*n] = hidden(name, f->kernel)) == NULL)
		r = -ENOMEM;
	else if (r == 0)
		(*n)++;
	/* A JIT (TCG) needs writable executable memory; nothing else does. */
	if (r == 0 && !f->emulated)
		r = prop(sargv, n, "--property=MemoryDenyWriteExecute=yes");
	if (r == 0)
		r = prop(sargv, n, "--property=MemoryMax=%ldM",
		    f->memory_mib +
			(long)(f->emulated ? f->vmm->overhead_emulated_mib :
					     f->vmm->overhead_mib));
	if (r == 0)
		r = prop(sargv, n, "--property=MemorySwapMax=0");
	if (r == 0)
		r = prop(sargv, n, "--property=TasksMax=%d",
		    f->vcpu + (int)f->vmm->tasks_extra);
	if (r == 0)
		r = prop(sargv, n, "--property=Description=banger VM %s (%s)",
		    name, f->vmm->name);
	/*
	 * An emulated guest calibrates against the host's TSC rate
	 * (tsc_early_khz; without it a guest may hang): read here, by root,
	 * from /proc/cpuinfo, which the unit does not show.
	 */
	if (r == 0 && f->emulated && (tsc = bg_host_tsc_khz()) > 0)
		r = prop(sargv, n, "--setenv=BANGER_TSC_KHZ=%ld", tsc);
	return r;
}

/*
 * systemd-run a transient unit; then wait for the lock to be held.  The
 * unit's refusal would only reach the journal: vmm-exec --check, as the
 * owner, says first what vmm-exec would refuse, and the facts the
 * unit's limits follow from.
 */
static int
launch_systemd(char **argv, const char *name, uid_t uid, gid_t gid, int rfd,
    struct bg_err *err)
{
	char *cargv[] = { argv[0], "--check", argv[1], NULL };
	char run[PATH_MAX], said[1100], cg[PATH_MAX];
	const char *br = getenv("BANGER_ROOT");
	bool cgroups = access("/sys/fs/cgroup/banger.slice", F_OK) == 0 ||
	    access("/sys/fs/cgroup/system.slice", F_OK) == 0;
	char *sargv[96];
	size_t n = 0, first, i;
	struct facts f;
	int64_t deadline;
	int r;

	r = as_owner(cargv, uid, gid, said, sizeof(said), err);
	if (r == 0)
		r = parse_facts(said, &f, err);
	if (r < 0)
		return r;
	if (bg_host_tool("systemd-run", NULL, run, sizeof(run)) < 0) {
		bg_err_set(err, "temporary", "systemd-run not found");
		return -ENOENT;
	}
	sargv[n++] = run;
	sargv[n++] = "--collect";
	/* exec: a unit that cannot even start fails the job, and systemd-run. */
	sargv[n++] = "--service-type=exec";
	sargv[n++] = "--quiet";
	sargv[n++] = "--slice=banger.slice";
	first = n;
	r = prop(sargv, &n, "--unit=banger-vm-%s", name);
	if (r == 0)
		r = jail(sargv, &n, name, &f, uid, gid);
	if (r == 0 && br != NULL && strlen(br) < PATH_MAX)
		r = prop(sargv, &n, "--setenv=BANGER_ROOT=%s", br);
	if (r == 0) {
		sargv[n++] = "--";
		sargv[n++] = argv[0];
		sargv[n++] = argv[1];
		sargv[n] = NULL;
		r = bg_run(sargv, 30000, err);
	} else
		bg_err_set(err, "internal", "cannot build the VM's unit: %s",
		    strerror(-r));
	for (i = first; i < n && sargv[i] != NULL && strcmp(sargv[i], "--");
	     i++)
		free(sargv[i]);
	if (r < 0)
		return r;
	/*
	 * systemd-run returned once vmm-exec was exec'd (type exec): the
	 * lock follows within milliseconds, unless vmm-exec refused, and
	 * then the unit's cgroup is gone.  Its words are in the journal.
	 */
	snprintf(cg, sizeof(cg),
	    "/sys/fs/cgroup/banger.slice/banger-vm-%s.service", name);
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
	    as_owner(argv, rq->owner_uid, rq->owner_gid, NULL, 0, err);
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
