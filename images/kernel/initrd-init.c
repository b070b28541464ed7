/*
 * initrd-init — /init of the kernel bundle's initrd (images/kernel).
 *
 * Runs as PID 1 from the initramfs: mounts devtmpfs on /dev first (there
 * is no console before it), then /proc and /sys; loads the modules listed
 * in /modules.order (absolute paths inside the initrd, in load order) with
 * finit_module(2), deleting each file once loaded to give its memory back;
 * waits for the root device; mounts it ext4 read-write on /newroot; moves
 * /dev, /proc and /sys into it; switches root (chdir /newroot, mount
 * --move . /, chroot .); mounts the kernel's modules disk, when there is
 * one, read-only on /lib/modules/<release> of the new root; and execs
 * /sbin/banger-init, or /sbin/init when the image has no banger-init,
 * passing on its arguments and environment.
 *
 * Kernel command line keys it reads (see docs/kernel-bundle.md):
 *   banger.root=DEV        root device (default /dev/vda)
 *   banger.rootwait=SECS   how long to wait for it (default 10, max 300)
 *   banger.modules=DEV     the kernel bundle's modules.ext4 (default: none)
 *
 * On any failure it says what failed on the console, waits a second and
 * reboots: with QEMU -no-reboot, or Firecracker and reboot=k, the VM ends
 * instead of hanging (a power-off does not end QEMU microvm).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define NEWROOT "/newroot"

extern char **environ;

/* "banger-initrd: WHAT: message" on the console, without its newline. */
static void __attribute__((format(printf, 2, 0)))
say(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "banger-initrd: %s: ", what);
	vfprintf(stderr, fmt, ap);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("FATAL", fmt, ap);
	va_end(ap);
	fputs("\nbanger-initrd: rebooting (the VM stops) in 1 s\n", stderr);
	fflush(stderr);
	sync();
	sleep(1);
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

static void
mountfs(const char *src, const char *dir, const char *type, unsigned long flags,
    const char *data)
{
	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s: %s", dir, strerror(errno));
	if (mount(src, dir, type, flags, data) == -1)
		fatal("mount %s (%s) on %s: %s", src, type, dir,
		    strerror(errno));
}

static char cmdline_text[4096];

/* The value of KEY= in the kernel command line, copied into BUF. */
static const char *
cmdline(const char *key, char *buf, size_t len)
{
	char *line = cmdline_text;
	static int loaded;
	size_t klen = strlen(key), n;
	char *p;
	FILE *f;

	if (!loaded) {
		loaded = 1;
		if ((f = fopen("/proc/cmdline", "re")) != NULL) {
			if (fgets(line, sizeof(cmdline_text), f) == NULL)
				line[0] = '\0';
			fclose(f);
		}
	}
	for (p = line; *p; p += n) {
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			if (n - klen - 1 >= len)
				fatal("%s= is too long", key);
			memcpy(buf, p + klen + 1, n - klen - 1);
			buf[n - klen - 1] = '\0';
			return buf;
		}
	}
	return NULL;
}

/*
 * "MODULE.param=value" words of the command line, as "param=value ..."
 * for finit_module: the kernel applies such words only to built-in
 * code; for modules it is the loader's job (modprobe does it from
 * /proc/cmdline).  Firecracker describes its virtio-mmio devices this
 * way (virtio_mmio.device=...).  '-' and '_' are the same in module names.
 */
static void
module_params(const char *path, char *out, size_t len)
{
	char mod[64], dummy[8];
	const char *base = strrchr(path, '/');
	size_t m, n, o = 0;
	char *p;

	base = base ? base + 1 : path;
	m = strcspn(base, ".");
	if (m >= sizeof(mod))
		m = sizeof(mod) - 1;
	memcpy(mod, base, m);
	mod[m] = '\0';
	out[0] = '\0';
	cmdline("\001", dummy, sizeof(dummy)); /* load the line */
	for (p = cmdline_text; *p; p += n) {
		size_t i;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n <= m + 1 || p[m] != '.')
			continue;
		for (i = 0; i < m; i++)
			if (p[i] != mod[i] &&
			    !((p[i] == '-' || p[i] == '_') &&
				(mod[i] == '-' || mod[i] == '_')))
				break;
		if (i < m || o + (n - m - 1) + 2 > len)
			continue;
		memcpy(out + o, p + m + 1, n - m - 1);
		o += n - m - 1;
		out[o++] = ' ';
		out[o] = '\0';
	}
}

static void
load_modules(void)
{
	char line[4096], params[4096];
	size_t n;
	FILE *f;
	int fd;

	if ((f = fopen("/modules.order", "re")) == NULL)
		fatal("/modules.order: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\n");
		line[n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((fd = open(line, O_RDONLY | O_CLOEXEC)) == -1)
			fatal("module %s: %s", line, strerror(errno));
		module_params(line, params, sizeof(params));
		if (syscall(SYS_finit_module, fd, params, 0) == -1 &&
		    errno != EEXIST)
			fatal("loading module %s: %s", line, strerror(errno));
		close(fd);
		unlink(line);
	}
	fclose(f);
}

/* 0 once DEV is a block device, -ENOTBLK if it is something else, -ETIMEDOUT. */
static int
appear(const char *dev, long secs)
{
	struct timespec t = { 0, 10 * 1000 * 1000 };
	struct stat st;
	long i;

	for (i = 0; i < secs * 100; i++) {
		if (stat(dev, &st) == 0)
			return S_ISBLK(st.st_mode) ? 0 : -ENOTBLK;
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

static void
wait_for(const char *dev, long secs)
{
	int r = appear(dev, secs);

	if (r == -ENOTBLK)
		fatal("%s is not a block device", dev);
	if (r < 0)
		fatal("root device %s did not appear within %ld s (is a "
		      "virtio-blk disk attached?)",
		    dev, secs);
}

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* mkdir -p of an absolute path; 0 or -errno. */
static int
mkdirs(const char *path)
{
	char buf[512];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -errno;
		if (i < n)
			buf[i] = '/';
	}
	return 0;
}

/*
 * The kernel bundle's modules disk (banger.modules=DEV: the VMM attached
 * modules.ext4 read-only): mounted read-only on /lib/modules/<release>
 * of the new root, which is the current root by now (so a /lib that is
 * a symlink, as in Debian, resolves inside the image).  The image's own
 * modules of that release, if any, are hidden under it.  Never fatal:
 * without it the guest boots as before, without those modules.
 */
static void
mount_modules(void)
{
	char dev[256], dir[512];
	struct utsname u;
	int r;

	if (cmdline("banger.modules", dev, sizeof(dev)) == NULL)
		return;
	if (strncmp(dev, "/dev/", 5) != 0) {
		warn("banger.modules=%s: not a device path", dev);
		return;
	}
	if ((r = appear(dev, 3)) < 0) {
		warn("modules disk %s: %s", dev,
		    r == -ENOTBLK ? "not a block device" :
				    "did not appear within 3 s");
		return;
	}
	if (uname(&u) == -1 || strchr(u.release, '/') != NULL ||
	    u.release[0] == '.') {
		warn("modules disk %s: no usable kernel release", dev);
		return;
	}
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	if ((r = mkdirs(dir)) < 0) {
		warn("mkdir %s: %s", dir, strerror(-r));
		return;
	}
	if (mount(dev, dir, "ext4", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) ==
	    -1)
		warn("mount %s (ext4, read-only) on %s: %s", dev, dir,
		    strerror(errno));
}

static void
move(const char *dir)
{
	char to[64];

	snprintf(to, sizeof(to), NEWROOT "%s", dir);
	if (mkdir(to, 0755) == -1 && errno != EEXIST)
		fatal("mkdir %s: %s", to, strerror(errno));
	if (mount(dir, to, NULL, MS_MOVE, NULL) == -1)
		fatal("mount --move %s %s: %s", dir, to, strerror(errno));
}

int
main(int argc, char **argv)
{
	static const char *const inits[] = { "/sbin/banger-init",
		"/sbin/init" };
	char root[256], wait[16], *end;
	const char *init = NULL;
	long secs = 10;
	size_t i;
	int fd;

	(void)argc;
	mountfs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	if ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) != -1) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	mountfs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL);
	mountfs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL);

	if (cmdline("banger.root", root, sizeof(root)) == NULL)
		strcpy(root, "/dev/vda");
	if (root[0] != '/')
		fatal("banger.root=%s: not a device path", root);
	if (cmdline("banger.rootwait", wait, sizeof(wait)) != NULL) {
		errno = 0;
		secs = strtol(wait, &end, 10);
		if (errno || *end || secs < 0 || secs > 300)
			fatal("banger.rootwait=%s: not 0-300 seconds", wait);
	}

	load_modules();
	wait_for(root, secs);
	mountfs(root, NEWROOT, "ext4", 0, NULL);
	move("/dev");
	move("/proc");
	move("/sys");
	if (chdir(NEWROOT) == -1 ||
	    mount(".", "/", NULL, MS_MOVE, NULL) == -1 || chroot(".") == -1 ||
	    chdir("/") == -1)
		fatal("switching root to %s: %s", root, strerror(errno));
	mount_modules();
	/* Only now: /sbin/init is often a symlink, absolute in the new root. */
	for (i = 0; i < sizeof(inits) / sizeof(inits[0]) && !init; i++)
		if (access(inits[i], X_OK) == 0)
			init = inits[i];
	if (init == NULL)
		fatal("%s has neither /sbin/banger-init nor /sbin/init", root);
	argv[0] = (char *)init;
	execve(init, argv, environ);
	fatal("exec %s: %s", init, strerror(errno));
}
