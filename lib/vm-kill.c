/*
 * vm-kill.c — stopping a VM's VMM.  Liveness is the VM lock; the pid
 * written by vmm-exec (RUN/vms/<name>/pid) is only used to deliver a
 * signal while the lock is still held, by the owner, to its own VMM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

int
bg_vm_wait_stopped(const struct bg_vm_paths *p, int timeout_ms)
{
	int64_t deadline = bg_now_ms() + timeout_ms;

	for (;;) {
		int held = bg_lock_held(p->lock);

		if (held <= 0)
			return held;
		if (bg_now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(50000);
	}
}

int
bg_vm_signal(const struct bg_vm *vm, int sig)
{
	char rel[BG_NAME_MAX + 16], *text, *end;
	size_t len;
	long pid;
	int d, r;

	snprintf(rel, sizeof(rel), "vms/%s", vm->name);
	d = bg_state_dir(BG_DIR_RUN, rel, 0755);
	if (d < 0)
		return d;
	r = bg_read_file(d, "pid", 64, &text, &len);
	close(d);
	if (r < 0)
		return r;
	pid = strtol(text, &end, 10);
	r = pid <= 1 || (*end != '\n' && *end != '\0') ? -EINVAL : 0;
	free(text);
	if (r < 0)
		return r;
	return kill((pid_t)pid, sig) < 0 ? -errno : 0;
}
