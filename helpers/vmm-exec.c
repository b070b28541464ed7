/*
 * vmm-exec — hold a VM's lock for as long as its VMM lives.
 *
 *   vmm-exec NAME console|log -- VMM [ARGS...]
 *
 * Started by root-vmm-launch already running as the owner (dropped
 * privileges, or a systemd transient unit with User=OWNER).  It takes
 * RUN/vms/NAME/lock (exit 1 if held: the VM is already running), writes
 * RUN/vms/NAME/pid, removes a stale vmm.sock, points stdin at
 * /dev/null and stdout/stderr at the VM's serial.log ("console": the
 * VMM prints the guest console, as Firecracker does) or vmm.log
 * ("log"), reports "ok" on fd 3 if fd 3 is a pipe, and execs the VMM
 * with the lock fd inherited (s6-setlock style): the lock is held
 * exactly as long as the VMM runs, and dies with it.
 *
 * This is not a protocol verb: dispatch never routes to it.
 * Exit: 1 busy, 100 usage, 111 system failure, 126/127 exec failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static void
status(const char *msg)
{
	struct stat st;

	if (fstat(3, &st) == 0 && S_ISFIFO(st.st_mode))
		bg_write_all(3, msg, strlen(msg));
}

int
main(int argc, char **argv)
{
	char rel[BG_NAME_MAX + 8], pid[32], out[PATH_MAX];
	const char *name;
	int lock, runfd, statefd, o, nul, r;

	PROG = "banger-vmm-exec";
	if (argc < 5 || strcmp(argv[3], "--") != 0 || !bg_name_valid(argv[1]) ||
	    (strcmp(argv[2], "console") && strcmp(argv[2], "log")) ||
	    argv[4][0] != '/')
		strerr_dieusage(100, "vmm-exec NAME console|log -- /ABS/VMM [ARGS...]");
	name = argv[1];
	lock = bg_lock_vm(name, BG_LOCK_NB);
	if (lock < 0) {
		status(lock == -EWOULDBLOCK ? "busy\n" : "lock failed\n");
		if (lock == -EWOULDBLOCK)
			strerr_dief2x(1, "VM already running: ", name);
		errno = -lock;
		strerr_diefu2sys(111, "lock VM ", name);
	}
	snprintf(rel, sizeof(rel), "vms/%s", name);
	runfd = bg_state_dir(BG_DIR_RUN, rel, 0755);
	statefd = bg_state_dir(BG_DIR_STATE, rel, 0755);
	if (runfd < 0 || statefd < 0) {
		status("no VM directory\n");
		strerr_diefu2x(111, "open the directories of VM ", name);
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	r = bg_atomic_write(runfd, "pid", pid, strlen(pid), 0644);
	if (unlinkat(runfd, "vmm.sock", 0) < 0 && errno != ENOENT)
		r = -errno;
	o = bg_openat_beneath(statefd, strcmp(argv[2], "console") == 0 ?
	    "serial.log" : "vmm.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (r < 0 || o < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(o, 1) < 0 ||
	    dup2(o, 2) < 0 || bg_fd_inherit(lock) < 0) {
		status("setup failed\n");
		strerr_diefu2x(111, "set up the VMM of ", name);
	}
	snprintf(out, sizeof(out), "banger-vmm-exec: starting %s for VM %s\n",
	    argv[4], name);
	bg_write_all(2, out, strlen(out));
	status("ok\n");
	close(3);
	execv(argv[4], argv + 4);
	strerr_dieexec(errno == ENOENT ? 127 : 126, argv[4]);
}
