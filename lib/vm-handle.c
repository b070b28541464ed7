/*
 * vm-handle.c — an open VM: its state directory (STATE/vms/<name>) and
 * run directory (RUN/vms/<name>) opened once, beneath the state and run
 * roots, without following any symlink (the owner controls everything
 * below the roots), and its vm.json read and validated.  Everything
 * after that is (dirfd, fixed name): the locks, vm.json, the pid file,
 * the logs, the VMM's socket.
 *
 * Liveness is the VM lock (RUN/vms/<name>/lock), held by the VMM for as
 * long as it runs.  The pid file is only a way to reach that process,
 * and it is trusted only while the lock is held (bg_vm_signal).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "banger.h"

#define VM_JSON_MAX 65536

/* vm.json beneath sfd into h->vm; err says what is wrong and what to do. */
static int
load(struct bg_vmh *h, const char *name, struct bg_err *err)
{
	struct bg_vm v;
	cJSON *j = NULL;
	int r;

	/* Beneath sfd, no symlink, a regular file (O_NONBLOCK), capped. */
	r = bg_json_read_file(h->sfd, "vm.json", VM_JSON_MAX, &j);
	if (r == -ENOENT) {
		bg_err_set(err, "not_found",
		    "VM \"%s\" has no vm.json (half-made? banger vm prune removes it)",
		    name);
		return r;
	}
	if (r < 0) {
		bg_err_set(err,
		    r == -EIO || r == -ENOMEM ? "temporary" : "bad_request",
		    "VM \"%s\": vm.json unreadable (%s); banger vm delete %s removes it",
		    name,
		    r == -EBADMSG		    ? "not a JSON object" :
			r == -EFBIG		    ? "larger than 64 KiB" :
			r == -EINVAL || r == -ELOOP ? "not a regular file" :
						      strerror(-r),
		    name);
		return r == -ELOOP ? -EINVAL : r;
	}
	r = bg_vm_from_json(j, &v, err);
	cJSON_Delete(j);
	if (r < 0)
		return r;
	if (strcmp(v.name, name) != 0) {
		bg_err_set(err, "bad_request",
		    "VM \"%s\": its vm.json names another VM (\"%s\")", name,
		    v.name);
		return -EINVAL;
	}
	h->vm = v;
	h->loaded = true;
	return 0;
}

int
bg_vm_open(const char *name, unsigned flags, struct bg_vmh *h,
    struct bg_err *err)
{
	char rel[BG_NAME_MAX + 8];
	int r;

	memset(h, 0, sizeof(*h));
	h->sfd = h->rfd = -1;
	if (name == NULL || !bg_name_valid(name)) {
		bg_err_set(err, "bad_request", "\"%s\" is not %s",
		    name != NULL && strlen(name) < 80 ? name : "(invalid)",
		    BG_NAME_WHAT);
		return -EINVAL;
	}
	h->sfd = bg_vm_dir(BG_DIR_STATE, name);
	if (h->sfd < 0) {
		r = h->sfd;
		h->sfd = -1;
		if (r == -ENOENT)
			bg_err_set(err, "not_found",
			    "no VM named \"%s\": banger vm list shows the VMs",
			    name);
		else
			bg_err_set(err,
			    r == -ELOOP || r == -ENOTDIR ? "bad_request" :
							   "temporary",
			    "cannot open the directory of VM \"%s\": %s", name,
			    r == -ELOOP ? "it is a symlink" : strerror(-r));
		return r;
	}
	if (flags & BG_VMH_RUNDIR) {
		snprintf(rel, sizeof(rel), "vms/%s", name);
		h->rfd = bg_state_dir(BG_DIR_RUN, rel, 0755);
		if (h->rfd < 0) {
			r = h->rfd;
			h->rfd = -1;
			bg_err_set(err,
			    r == -ELOOP || r == -ENOTDIR ? "bad_request" :
							   "temporary",
			    "cannot make the run directory of VM \"%s\": %s",
			    name,
			    r == -ELOOP || r == -ENOTDIR ?
				"it is a symlink or not a directory" :
				strerror(-r));
			bg_vm_close(h);
			return r;
		}
	} else {
		h->rfd = bg_vm_dir(BG_DIR_RUN, name);
		if (h->rfd < 0 && h->rfd != -ENOENT) {
			r = h->rfd;
			bg_err_set(err, "bad_request",
			    "cannot open the run directory of VM \"%s\": %s",
			    name,
			    r == -ELOOP ? "it is a symlink" : strerror(-r));
			bg_vm_close(h);
			return r;
		}
		if (h->rfd < 0)
			h->rfd = -1;
	}
	strcpy(h->vm.name, name);
	r = load(h, name, err);
	if (r < 0 && !(flags & BG_VMH_ANY)) {
		bg_vm_close(h);
		return r;
	}
	return 0;
}

void
bg_vm_close(struct bg_vmh *h)
{
	if (h->sfd >= 0)
		close(h->sfd);
	if (h->rfd >= 0)
		close(h->rfd);
	h->sfd = h->rfd = -1;
}

int
bg_vm_save(const struct bg_vmh *h)
{
	struct bg_vm check;
	cJSON *j;
	int r;

	/* Never write what we would refuse to read. */
	if (h->vm.vmm == NULL || h->sfd < 0)
		return h->sfd < 0 ? -EBADF : -EINVAL;
	j = bg_vm_to_json(&h->vm);
	if (j == NULL)
		return -ENOMEM;
	r = bg_vm_from_json(j, &check, NULL);
	if (r == 0)
		r = bg_json_write_file(h->sfd, "vm.json", j, 0644);
	cJSON_Delete(j);
	return r;
}

int
bg_vm_path(const struct bg_vmh *h, enum bg_vm_file f, char *buf, size_t n)
{
	static const struct {
		enum bg_dir dir;
		const char *sub;
		int name; /* 0 the VM, 1 its kernel, 2 its image */
		const char *file;
	} t[] = {
		[BG_VMF_ROOTFS] = { BG_DIR_STATE, "vms", 0, "rootfs.ext4" },
		[BG_VMF_WORK] = { BG_DIR_STATE, "vms", 0, "work.ext4" },
		[BG_VMF_SERIAL] = { BG_DIR_STATE, "vms", 0, "serial.log" },
		[BG_VMF_VMMLOG] = { BG_DIR_STATE, "vms", 0, "vmm.log" },
		[BG_VMF_SOCK] = { BG_DIR_RUN, "vms", 0, "vmm.sock" },
		[BG_VMF_KERNEL] = { BG_DIR_STATE, "kernels", 1, "vmlinux" },
		[BG_VMF_INITRD] = { BG_DIR_STATE, "kernels", 1, "initrd.img" },
		[BG_VMF_IMAGE] = { BG_DIR_STATE, "images", 2, "rootfs.ext4" },
		[BG_VMF_MODULES] = { BG_DIR_STATE, "kernels", 1,
		    "modules.ext4" },
	};
	const char *names[] = { h->vm.name, h->vm.kernel, h->vm.image };

	if ((unsigned)f >= sizeof(t) / sizeof(t[0]))
		return -EINVAL;
	return bg_path_build(buf, n, t[f].dir, t[f].sub, names[t[f].name],
	    t[f].file);
}

int
bg_vm_modules(const struct bg_vmh *h, char *buf, size_t n)
{
	struct stat st;
	int r;

	r = bg_vm_path(h, BG_VMF_MODULES, buf, n);
	if (r < 0)
		return r;
	/*
	 * Whoever runs the VMM (the owner) checks the file it will have
	 * the VMM open by this path, as for vmlinux: a kernel without one
	 * boots as before.  A modules.ext4 that is not a regular file is
	 * an error, not "none": the bundle is broken.
	 */
	/*
	 * EACCES: a kernel directory the owner cannot search (a symlink
	 * into someone's 0700 home, t/0320): the VMM could not open it
	 * either, and the boot goes on as for any kernel without one.
	 */
	if (stat(buf, &st) < 0)
		return errno == ENOENT || errno == EACCES ? 0 : -errno;
	return S_ISREG(st.st_mode) ? 1 : -EINVAL;
}

int
bg_vm_connect(const struct bg_vmh *h, int64_t deadline_ms, unsigned flags)
{
	char path[64];

	if (h->rfd < 0)
		return -ENOENT;
	/* The socket beneath the run directory this handle opened. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/vmm.sock", h->rfd);
	return bg_vmm_connect(path, deadline_ms, flags);
}

int
bg_vm_running(const struct bg_vmh *h)
{
	return bg_lock_held_at(h->rfd, "lock");
}

int
bg_vm_creating(const struct bg_vmh *h)
{
	return bg_lock_held_at(h->sfd, "create.lock");
}

enum bg_vm_state
bg_vm_state(const struct bg_vmh *h)
{
	int held;

	/*
	 * Never guess: a lock that cannot be probed is "unknown", not
	 * "stopped" (prune removes stopped VMs); a create that never
	 * finished is "broken" (or "creating" while it runs).
	 */
	if (bg_vm_creating(h) == 1)
		return BG_VM_CREATING;
	if (!h->loaded || strcmp(h->vm.status, "created") != 0)
		return BG_VM_BROKEN;
	held = bg_vm_running(h);
	return held == 1 ? BG_VM_RUNNING :
	    held == 0	 ? BG_VM_STOPPED :
			   BG_VM_UNKNOWN;
}

const char *
bg_vm_state_name(enum bg_vm_state s)
{
	/* In the order of enum bg_vm_state. */
	static const char *const names[] = { "running", "stopped", "creating",
		"broken", "unknown" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
								"unknown";
}

/*
 * A pidfd for the VMM, or -errno (-ESRCH: not running).  The pid comes
 * from a file the owner's vmm-exec wrote after it took the lock (and
 * vm-start removes a stale one before launching).  It is used only
 * while the lock is held, and pinned: the lock is checked before
 * reading it and again once the pidfd is open.  A pid reused by another
 * process would mean the VMM had exited, and its lock with it.
 */
static int
vmm_pidfd(const struct bg_vmh *h)
{
	char *text, *end;
	size_t len;
	long pid;
	int r, fd, tries;

	for (tries = 0;; tries++) {
		if (bg_vm_running(h) != 1)
			return -ESRCH;
		r = bg_read_file(h->rfd, "pid", 64, &text, &len);
		/* The instant between vmm-exec's lock and its pid file. */
		if (r == -ENOENT && tries < 100) {
			usleep(10000);
			continue;
		}
		if (r < 0)
			return r;
		break;
	}
	pid = strtol(text, &end, 10);
	r = pid <= 1 || (*end != '\n' && *end != '\0') ? -EINVAL : 0;
	free(text);
	if (r < 0)
		return r;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0)
		return -errno;
	/* Pinned: if the lock is still held, the pid is still the VMM's. */
	if (bg_vm_running(h) != 1) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int
bg_vm_signal(const struct bg_vmh *h, int sig)
{
	int fd = vmm_pidfd(h), r;

	if (fd < 0)
		return fd;
	r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}

int
bg_vm_wait_stopped(const struct bg_vmh *h, int timeout_ms)
{
	int64_t deadline = bg_now_ms() + timeout_ms;
	int fd = vmm_pidfd(h), held;

	/* The VMM's exit, as an event: the pidfd becomes readable. */
	if (fd >= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - bg_now_ms();

		while (
		    poll(&p, 1, left > 0 ? (int)left : 0) < 0 && errno == EINTR)
			left = deadline - bg_now_ms();
		close(fd);
	}
	/* Then the lock (also where no pidfd could be had). */
	for (;;) {
		held = bg_vm_running(h);
		if (held <= 0)
			return held;
		if (bg_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(5000);
	}
}

int
bg_vm_stop(const struct bg_vmh *h, int timeout_ms, bool *forced,
    struct bg_err *err)
{
	struct bg_err ignore;

	*forced = false;
	if (bg_vm_running(h) != 1)
		return 0;
	/*
	 * Graceful first, with timeout_ms of grace (none when 0).  A
	 * request that could not be delivered (a VMM not listening) is not
	 * waited on: the next, harder step comes at once.
	 */
	if (timeout_ms > 0 && h->vm.vmm->shutdown(h, &ignore) == 0 &&
	    bg_vm_wait_stopped(h, timeout_ms) == 0)
		return 0;
	*forced = true;
	if (bg_vm_running(h) != 1)
		return 0;
	if (h->vm.vmm->quit != NULL && h->vm.vmm->quit(h, &ignore) == 0 &&
	    bg_vm_wait_stopped(h, 3000) == 0)
		return 0;
	bg_vm_signal(h, SIGKILL);
	if (bg_vm_wait_stopped(h, 5000) == 0)
		return 0;
	bg_err_set(err, "temporary",
	    "VM \"%s\" did not stop, even after SIGKILL", h->vm.name);
	return -ETIMEDOUT;
}
