/*
 * vmm-drivers.c — the table of VMM drivers (docs/vmm.md): QEMU and
 * Firecracker, each a struct bg_vmm in its own file.  This is the only
 * place that turns a VMM's name (from vm.json or the config) into a
 * driver; nothing outside lib/vmm-*.c compares VMM names.
 *
 * Also the two socket primitives both drivers use to talk to a VMM's
 * control socket with a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"

static const struct bg_vmm *const drivers[] = { &bg_vmm_qemu,
	&bg_vmm_firecracker, NULL };

const struct bg_vmm *
bg_vmm_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && drivers[i] != NULL; i++)
		if (strcmp(name, drivers[i]->name) == 0)
			return drivers[i];
	return NULL;
}

const struct bg_vmm *const *
bg_vmm_all(void)
{
	return drivers;
}

const char *
bg_vmm_config_bin(const struct bg_vmm *d, const struct bg_config *c)
{
	/* firecracker_bin is Firecracker's; QEMU is always looked up. */
	return d == &bg_vmm_firecracker && c != NULL ? c->firecracker_bin :
						       NULL;
}

const char *
bg_vmm_names(void)
{
	static char names[128];
	size_t i, len = 0;

	if (names[0] == '\0')
		for (i = 0; drivers[i] != NULL; i++)
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s",
			    i == 0		       ? "" :
				drivers[i + 1] == NULL ? " or " :
							 ", ",
			    drivers[i]->name);
	return names;
}

const struct bg_vmm *
bg_vmm_choose(const char *choice, const char *fc_bin)
{
	char bin[PATH_MAX];
	struct bg_err ignore;

	if (choice != NULL && choice[0] != '\0' && strcmp(choice, "auto") != 0)
		return bg_vmm_find(choice);
	/* auto: Firecracker where it can run, QEMU (which always can) else. */
	if (bg_host_tool(bg_vmm_firecracker.tool, fc_bin, bin, sizeof(bin)) ==
		0 &&
	    bg_host_kvm(&ignore) == 0)
		return &bg_vmm_firecracker;
	return &bg_vmm_qemu;
}

int
bg_vmm_bin(const struct bg_vm *vm, char *buf, size_t n)
{
	if (vm->vmm == NULL)
		return -EINVAL;
	return bg_host_tool(vm->vmm->tool,
	    vm->vmm_bin[0] != '\0' ? vm->vmm_bin : NULL, buf, n);
}

void
bg_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

int
bg_vmm_connect(const char *path, int64_t deadline_ms, unsigned flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1;

	if (path == NULL || path[0] == '\0')
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	for (;;) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		int e;

		if (fd < 0) {
			fd = socket(AF_UNIX,
			    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0)
				return -errno;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		e = errno;
		if (e == EINTR)
			continue;
		/*
		 * Bound but not yet listening (ECONNREFUSED: the instant
		 * between a VMM's bind and listen), a full backlog
		 * (EAGAIN), or, for a VMM that is starting, not there yet
		 * (ENOENT): try again until the deadline.  A refused socket
		 * must be made anew.  A missing socket of a VMM that should
		 * be running fails at once: it is not listening.
		 */
		if ((e != ECONNREFUSED && e != EAGAIN &&
			(e != ENOENT || !(flags & BG_CONNECT_WAIT))) ||
		    bg_now_ms() >= deadline_ms) {
			close(fd);
			return e == EAGAIN ? -ETIMEDOUT : -e;
		}
		if (e == ECONNREFUSED) {
			close(fd);
			fd = -1;
		}
		nanosleep(&ts, NULL);
	}
}

int
bg_vmm_send(int fd, const void *buf, size_t n, int64_t deadline_ms)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			int64_t left = deadline_ms - bg_now_ms();

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if (left <= 0)
				return -ETIMEDOUT;
			if (poll(&pf, 1, left > 60000 ? 60000 : (int)left) <
				0 &&
			    errno != EINTR)
				return -errno;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}
