/*
 * host.c — what banger asks of the host, answered in one place so that
 * doctor, the CLI and the VMM launcher always agree: where a program
 * is, whether KVM can run a guest, whether systemd is PID 1, and the
 * TSC frequency a TCG guest is told.
 *
 * Programs are looked up in a fixed list of directories, never on
 * $PATH: the launcher runs under a service whose PATH is not the
 * user's, and `doctor` PASS must mean that `vm start` finds the very
 * same file (docs/vmm.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "banger.h"

#define TSC_KHZ_MAX 100000000L /* 100 GHz */

static const char *const tool_dirs[] = { "/usr/local/sbin", "/usr/local/bin",
	"/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };

const char *const *
bg_host_tool_dirs(void)
{
	return tool_dirs;
}

static int
exec_file(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	return access(path, X_OK) == 0 ? 0 : -EACCES;
}

int
bg_host_tool(const char *name, const char *override, char *buf, size_t n)
{
	const char *want =
	    override != NULL && override[0] != '\0' ? override : name;
	size_t i;
	int r;

	if (want == NULL || want[0] == '\0')
		return -EINVAL;
	if (want[0] == '/') {
		if ((size_t)snprintf(buf, n, "%s", want) >= n)
			return -ENAMETOOLONG;
		return exec_file(buf);
	}
	/* A bare name: never relative to the current directory. */
	if (strchr(want, '/') != NULL)
		return -EINVAL;
	for (i = 0; tool_dirs[i] != NULL; i++) {
		if ((size_t)snprintf(buf, n, "%s/%s", tool_dirs[i], want) >= n)
			return -ENAMETOOLONG;
		r = exec_file(buf);
		if (r == 0)
			return 0;
	}
	buf[0] = '\0';
	return -ENOENT;
}

int
bg_host_kvm(struct bg_err *err)
{
	int fd, vm, v, e;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		bg_err_set(err,
		    e == EACCES || e == EPERM ? "permission_denied" :
						"not_found",
		    "/dev/kvm: %s", strerror(e));
		return -e;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		close(fd);
		bg_err_set(err, "not_found",
		    "/dev/kvm: API version %d, want %d", v, KVM_API_VERSION);
		return -EPROTO;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0UL);
	e = errno;
	close(fd);
	if (vm < 0) {
		bg_err_set(err, "not_found", "/dev/kvm: cannot create a VM: %s",
		    strerror(e));
		return -e;
	}
	close(vm);
	/* Paravirtual nested KVM: stock guest kernels abort or crawl under it. */
	if (access("/sys/module/kvm_pvm", F_OK) == 0) {
		bg_err_set(err, "not_found",
		    "/dev/kvm is kvm_pvm (paravirtual "
		    "nested KVM): stock guest kernels fail under it");
		return -ENOTSUP;
	}
	return 0;
}

bool
bg_host_systemd(void)
{
	struct stat st;

	/* What sd_booted() tests: systemd as PID 1 makes this directory. */
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * "cpu MHz : 2596.096" of the first CPU, in kHz.  Parsed by hand (no
 * strtod, no locale): at most three decimals count.
 */
long
bg_host_tsc_khz(void)
{
	char buf[16384];
	size_t have = 0;
	const char *line;
	long khz = 0;
	int fd, digits = 0;

	fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	/* The first CPU's block is at the start: a bounded read is enough. */
	while (have < sizeof(buf) - 1) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	close(fd);
	buf[have] = '\0';
	for (line = buf; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, "cpu MHz", 7) == 0) {
			const char *c = line + 7;
			int frac = -1;

			while (*c == ' ' || *c == '\t')
				c++;
			if (*c++ != ':')
				return -EINVAL;
			while (*c == ' ' || *c == '\t')
				c++;
			for (; (*c >= '0' && *c <= '9') || *c == '.'; c++) {
				if (*c == '.') {
					if (frac >= 0)
						return -EINVAL;
					frac = 0;
					continue;
				}
				if (frac >= 3)
					continue;
				if (frac >= 0)
					frac++;
				if (++digits > 9)
					return -ERANGE;
				khz = khz * 10 + (*c - '0');
			}
			if (digits == 0 || (*c != '\n' && *c != '\0'))
				return -EINVAL;
			for (frac = frac < 0 ? 0 : frac; frac < 3; frac++)
				khz *= 10;
			return khz > 0 && khz <= TSC_KHZ_MAX ? khz : -EINVAL;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return -ENOENT;
}
