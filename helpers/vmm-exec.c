/*
 * vmm-exec — run a VM's VMM as the owner, holding the VM's lock for
 * exactly as long as the VMM lives.
 *
 *   vmm-exec [--check] NAME
 *
 * Started by root-vmm-launch already running as the owner (dropped
 * privileges, or a systemd transient unit with User=OWNER).  Everything
 * VM-specific happens here, as the owner: it opens the VM, checks that
 * it was completely created, takes RUN/vms/NAME/lock (exit 1 if held:
 * the VM is already running), writes RUN/vms/NAME/pid, removes a stale
 * vmm.sock, finds the VMM binary (vm.json's vmm_bin, chosen by the
 * owner at create time from firecracker_bin, or the driver's tool in
 * the standard directories: lib/host.c), builds the kernel command line
 * and the VMM's argv with the VM's driver (lib/vmm-*.c), points stdin
 * at /dev/null, stdout at the VM's serial.log when the VMM prints the
 * guest console there (Firecracker) or at vmm.log, stderr at vmm.log,
 * reports "ok" on fd 3 if fd 3 is a pipe (anything else is the reason
 * it failed, one line), and execs the VMM with the lock fd inherited
 * (s6-setlock style): the lock dies with the VMM.
 *
 * With --check it does every check (the lock too, released at once)
 * and builds the command line, reports, and exits 0 without running
 * anything: root-vmm-launch asks that before a systemd unit, whose
 * refusal it could not read.  Its "ok" line then carries the facts the
 * unit's limits and mounts follow from: "ok vmm=V memory_mib=M vcpu=N
 * emulated=0|1 kernel=K".
 *
 * Root never reads vm.json nor chooses the binary: the owner could run
 * this very program, with the same result, by hand.
 *
 * This is not a protocol verb: dispatch never routes to it.
 * Exit: per the error code of its one status line (1 busy or not
 * found, 100 usage, 111 system failure), 126/127 exec failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

/*
 * Say why, then exit with the error code's exit code: on the launcher's
 * pipe (fd 3) as "CODE: message" when there is one (root-vmm-launch
 * answers and logs it), else on stderr.
 */
__attribute__((format(printf, 2, 3), noreturn)) static void
die(const char *code, const char *fmt, ...)
{
	char msg[1024];
	struct stat st;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (fstat(3, &st) == 0 && S_ISFIFO(st.st_mode)) {
		dprintf(3, "%s: %s\n", code, msg);
		_exit(bg_exit_for_code(code));
	}
	strerr_dief1x(bg_exit_for_code(code), msg);
}

/* What the VM's unit hides (ProtectHome, PrivateTmp, its mounts). */
static const char *const hidden[] = { "/home/", "/root/", "/run/user/", "/tmp/",
	"/var/tmp/", "/var/lib/banger/", "/run/banger/", NULL };

/* BANGER_TSC_KHZ, set by root-vmm-launch for the VM's unit: 0 if absent or odd. */
static long
tsc_from_env(void)
{
	const char *s = getenv("BANGER_TSC_KHZ");
	char *end;
	long v;

	if (s == NULL)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && v > 0 &&
		v <= 100000000L ?
	    v :
	    0;
}

int
main(int argc, char **argv)
{
	struct bg_vmh h;
	struct bg_err err = { { 0 }, { 0 } };
	char bin[PATH_MAX], cmdline[4096], dns[128], banner[PATH_MAX + 128];
	char pid[32], **vargv = NULL;
	const char *name = argv[argc - 1];
	bool check = argc == 3 && strcmp(argv[1], "--check") == 0;
	long tsc = 0;
	int lock, log, out, nul, r;
	struct stat st;

	PROG = "banger-vmm-exec";
	if ((argc != 2 && !check) || !bg_name_valid(name))
		die("bad_request", "usage: vmm-exec [--check] NAME");
	if (bg_vm_open(name, BG_VMH_RUNDIR, &h, &err) < 0)
		die(err.code, "%s", err.msg);
	if (strcmp(h.vm.status, "created") != 0 || bg_vm_creating(&h) != 0)
		die("busy",
		    "VM \"%s\" is not completely created: banger vm prune "
		    "removes it",
		    h.vm.name);
	lock = bg_lock_at(h.rfd, "lock", BG_LOCK_NB);
	if (lock == -EWOULDBLOCK)
		die("busy", "VM \"%s\" is already running", h.vm.name);
	if (lock < 0)
		die("temporary", "cannot lock VM \"%s\": %s", h.vm.name,
		    strerror(-lock));
	if (check)
		close(lock);

	r = bg_vmm_bin(&h.vm, bin, sizeof(bin));
	if (r < 0 && h.vm.vmm_bin[0] != '\0')
		die("not_found",
		    "%s (firecracker_bin when VM \"%s\" was created) "
		    "is not an executable file: %s",
		    h.vm.vmm_bin, h.vm.name, strerror(-r));
	if (r < 0)
		die("not_found",
		    "%s is not installed on this host (looked in "
		    "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin "
		    "and /bin): %s",
		    h.vm.vmm->tool, h.vm.vmm->install);
	bg_guest_dns(dns, sizeof(dns));
	if (h.vm.vmm->emulated(&h.vm)) {
		tsc = bg_host_tsc_khz();
		/* In its unit /proc/cpuinfo is hidden: root read the rate. */
		if (tsc <= 0)
			tsc = tsc_from_env();
	}
	r = bg_vm_cmdline(&h.vm, dns, tsc, cmdline, sizeof(cmdline));
	if (r == 0)
		r = h.vm.vmm->argv(&h, bin, cmdline, &vargv);
	if (r < 0)
		die("internal",
		    "cannot build the %s command line of VM \"%s\": %s",
		    h.vm.vmm->name, h.vm.name, strerror(-r));
	if (check) {
		/*
		 * For the VM's unit (root-vmm-launch): the facts its limits
		 * and mounts follow from; and a binary it could not see.
		 */
		for (r = 0; hidden[r] != NULL; r++)
			if (strncmp(bin, hidden[r], strlen(hidden[r])) == 0)
				die("bad_request",
				    "the VMM binary %s is under %s, which the "
				    "VM's sandbox does not show: install it "
				    "in /usr/local/bin (firecracker_bin)",
				    bin, hidden[r]);
		snprintf(banner, sizeof(banner),
		    "ok vmm=%s memory_mib=%u vcpu=%u emulated=%d kernel=%s\n",
		    h.vm.vmm->name, (unsigned)h.vm.memory_mib,
		    (unsigned)h.vm.vcpu, h.vm.vmm->emulated(&h.vm) ? 1 : 0,
		    h.vm.kernel);
		if (fstat(3, &st) == 0 && S_ISFIFO(st.st_mode))
			bg_write_all(3, banner, strlen(banner));
		return 0;
	}
	/* The VMM's pid, for signals; trusted only while this lock is held. */
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	r = bg_atomic_write(h.rfd, "pid", pid, strlen(pid), 0644);
	if (r == 0 && unlinkat(h.rfd, "vmm.sock", 0) < 0 && errno != ENOENT)
		r = -errno;
	if (r < 0)
		die("temporary",
		    "cannot prepare the run directory of VM \"%s\": %s",
		    h.vm.name, strerror(-r));

	/* The VMM's own log, if it keeps one: empty at each start. */
	if (h.vm.vmm->log_name != NULL) {
		r = bg_openat_beneath(h.sfd, h.vm.vmm->log_name,
		    O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (r < 0)
			die("temporary", "cannot make %s of VM \"%s\": %s",
			    h.vm.vmm->log_name, h.vm.name, strerror(-r));
		close(r);
	}
	log = bg_openat_beneath(h.sfd, "vmm.log", O_WRONLY | O_CREAT | O_APPEND,
	    0644);
	out = h.vm.vmm->console_on_stdout ?
	    bg_openat_beneath(h.sfd, "serial.log",
		O_WRONLY | O_CREAT | O_APPEND, 0644) :
	    log;
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (log < 0 || out < 0 || nul < 0 || fstat(log, &st) < 0 ||
	    !S_ISREG(st.st_mode) || dup2(nul, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(log, 2) < 0 || bg_fd_inherit(lock) < 0)
		die("temporary", "cannot set up the logs of VM \"%s\"",
		    h.vm.name);
	snprintf(banner, sizeof(banner),
	    "banger-vmm-exec: starting %s for VM %s\n", bin, h.vm.name);
	bg_write_all(2, banner, strlen(banner));
	if (fstat(3, &st) == 0 && S_ISFIFO(st.st_mode)) {
		bg_write_all(3, "ok\n", 3);
		close(3);
	}
	execv(vargv[0], vargv);
	r = errno;
	dprintf(2, "banger-vmm-exec: cannot run %s: %s\n", vargv[0],
	    strerror(r));
	return r == ENOENT ? 127 : 126;
}
