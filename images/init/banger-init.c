/*
 * banger-init — the first program of a banger guest, run as PID 1.
 *
 * The kernel's initrd has mounted the image's root filesystem on /,
 * moved /dev, /proc and /sys into it and executed us.  We mount what is
 * still missing, apply the VM's settings from the kernel command line
 * (banger.ip= banger.gw= banger.dns= banger.hostname= banger.init=),
 * mount the work disk /dev/vdb on /root, normalise the ownership and
 * modes sshd's StrictModes checks, install the VM's ssh host key that
 * the host delivered on the work disk, and exec the image's own init.
 * Each step logs one "banger-init: ..." line on the console.  No error
 * is fatal: a guest that boots without network can still be debugged
 * from its serial log (`banger vm logs`), one whose PID 1 died cannot.
 *
 * An image made from a container image (`banger image pull`) carries
 * /.banger/ssh, banger's own ssh server, and usually no init of its own.
 * There, without banger.init=, we start that server for systemd (a
 * runtime unit) or, when /sbin/init is not systemd, stay PID 1 as a
 * minimal init: run the ssh server and restart it, reap orphans, and
 * shut down cleanly on a signal or the ACPI power button.
 *
 * Built with -DBANGER_INIT_TEST it is a host program instead: it parses
 * the command line given on stdin and prints the result, or, with an
 * argument, runs one of the other parsers (t/1001).
 * docs/guest.md is the contract this program implements.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define CMDLINE_MAX 4096 /* bytes of /proc/cmdline we read */
#define VALUE_MAX 255 /* longer banger.* values are refused */
#define DNS_MAX 3 /* resolv.conf's MAXNS */

struct conf {
	bool has_ip;
	struct in_addr ip;
	unsigned prefix;
	bool has_gw;
	struct in_addr gw;
	unsigned ndns;
	struct in_addr dns[DNS_MAX];
	char hostname[64];
	char init[VALUE_MAX + 1];
};

static int logfd = 2;

static void say(const char *, ...) __attribute__((format(printf, 1, 2)));

/* say: one "banger-init: ..." line on the console (%m works). */
static void
say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	size_t n;
	int e = errno;

	memcpy(buf, "banger-init: ", 13);
	va_start(ap, fmt);
	vsnprintf(buf + 13, sizeof(buf) - 14, fmt, ap);
	va_end(ap);
	n = strlen(buf);
	buf[n++] = '\n';
	if (write(logfd, buf, n) < 0) {
		/* Nowhere else to report it. */
	}
	errno = e;
}

/*
 * clean: a printable, shortened copy of untrusted text for the log (two
 * buffers in turn: one say() may use two).
 */
static const char *
clean(const char *s)
{
	static char bufs[2][68];
	static int turn;
	char *buf = bufs[turn ^= 1];
	size_t i;

	for (i = 0; s[i] != '\0' && i < 64; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * read_cmdline: at most CMDLINE_MAX - 1 bytes from fd, NUL-terminated.
 * A longer command line loses its last, cut-off word.
 */
static void
read_cmdline(int fd, char *buf)
{
	size_t n = 0;
	ssize_t r;
	char c;

	while (n < CMDLINE_MAX - 1 &&
	    (r = read(fd, buf + n, CMDLINE_MAX - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			say("read the kernel command line: %m");
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (n == CMDLINE_MAX - 1 && read(fd, &c, 1) == 1) {
		say("kernel command line longer than %d bytes: the rest "
		    "is ignored",
		    CMDLINE_MAX - 1);
		while (n > 0 && !isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
	}
}

/*
 * next_arg: split the next parameter off *pp as the kernel does (words
 * separated by white space, double quotes group and are dropped).
 * Returns NULL at the end.
 */
static char *
next_arg(char **pp)
{
	char *p = *pp, *start, *out;
	bool quoted = false, more;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return NULL;
	for (start = out = p; *p != '\0'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && isspace((unsigned char)*p))
			break;
		else
			*out++ = *p;
	}
	more = *p != '\0';
	*out = '\0';
	*pp = more ? p + 1 : p;
	return start;
}

static int
parse_ip4(const char *s, struct in_addr *a)
{
	/* glibc's inet_pton takes a.b.c.d only: no octal, no short forms. */
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

static uint32_t
mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : htonl(~(uint32_t)0 << (32 - prefix));
}

static const char *
set_ip(struct conf *c, const char *v)
{
	char a[16];
	const char *slash = strchr(v, '/'), *p;
	struct in_addr ip;
	unsigned prefix = 0;
	uint32_t host;

	if (slash == NULL)
		return "want ADDRESS/PREFIX";
	if ((size_t)(slash - v) >= sizeof(a))
		return "bad address";
	memcpy(a, v, (size_t)(slash - v));
	a[slash - v] = '\0';
	if (parse_ip4(a, &ip) < 0)
		return "bad address";
	for (p = slash + 1; isdigit((unsigned char)*p) && p - slash <= 2; p++)
		prefix = prefix * 10 + (unsigned)(*p - '0');
	if (p == slash + 1 || *p != '\0' || slash[1] == '0' || prefix < 1 ||
	    prefix > 32)
		return "bad prefix (1-32)";
	host = ip.s_addr & ~mask_of(prefix);
	if (prefix <= 30 && (host == 0 || host == ~mask_of(prefix)))
		return "network or broadcast address";
	c->has_ip = true;
	c->ip = ip;
	c->prefix = prefix;
	return NULL;
}

static const char *
set_gw(struct conf *c, const char *v)
{
	if (parse_ip4(v, &c->gw) < 0)
		return "bad address";
	c->has_gw = true;
	return NULL;
}

static const char *
set_dns(struct conf *c, const char *v)
{
	struct in_addr d[DNS_MAX], extra;
	char a[16];
	unsigned n = 0;
	size_t len;

	for (;;) {
		len = strcspn(v, ",");
		if (len == 0 || len >= sizeof(a))
			return "bad address list";
		memcpy(a, v, len);
		a[len] = '\0';
		if (parse_ip4(a, n < DNS_MAX ? &d[n] : &extra) < 0)
			return "bad address list";
		if (n < DNS_MAX)
			n++;
		else
			say("banger.dns: more than %d servers, %s ignored",
			    DNS_MAX, a);
		if (v[len] == '\0')
			break;
		v += len + 1;
	}
	memcpy(c->dns, d, sizeof(d));
	c->ndns = n;
	return NULL;
}

static const char *
set_hostname(struct conf *c, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > 63 || v[0] == '-' || v[len - 1] == '-' ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
		return "not a DNS label ([a-z0-9-], at most 63)";
	memcpy(c->hostname, v, len + 1);
	return NULL;
}

static const char *
set_init(struct conf *c, const char *v)
{
	size_t i;

	if (v[0] != '/')
		return "not an absolute path";
	for (i = 0; v[i] != '\0'; i++)
		if (!isprint((unsigned char)v[i]))
			return "not printable";
	memcpy(c->init, v, i + 1);
	return NULL;
}

/*
 * parse_cmdline: fill c from the banger.* parameters in s (modified).
 * A bad value is logged and ignored; the last good one of a key wins.
 * banger.root=, banger.rootwait= and banger.modules= are the initrd's
 * (images/kernel).
 * Parameters after "--" belong to init, not to us.
 */
static void
parse_cmdline(char *s, struct conf *c)
{
	static const struct {
		const char *key;
		const char *(*set)(struct conf *, const char *);
	} keys[] = {
		{ "ip", set_ip },
		{ "gw", set_gw },
		{ "dns", set_dns },
		{ "hostname", set_hostname },
		{ "init", set_init },
	};
	const char *why;
	char *arg, *v;
	size_t i;

	memset(c, 0, sizeof(*c));
	while ((arg = next_arg(&s)) != NULL && strcmp(arg, "--") != 0) {
		if (strncmp(arg, "banger.", 7) != 0)
			continue;
		if ((v = strchr(arg, '=')) == NULL) {
			say("ignoring %s: no value", clean(arg));
			continue;
		}
		*v++ = '\0';
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(arg + 7, keys[i].key) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			why = strcmp(arg, "banger.root") == 0 ||
				strcmp(arg, "banger.rootwait") == 0 ||
				strcmp(arg, "banger.modules") == 0 ?
			    NULL :
			    "unknown key"; /* the initrd's, else unknown */
		else if (strlen(v) > VALUE_MAX)
			why = "value too long";
		else
			why = keys[i].set(c, v);
		if (why != NULL)
			say("ignoring %s=%s: %s", clean(arg), clean(v), why);
	}
	if (c->has_gw && !c->has_ip) {
		say("ignoring banger.gw: no banger.ip");
		c->has_gw = false;
	} else if (c->has_gw &&
	    (c->gw.s_addr == c->ip.s_addr ||
		((c->gw.s_addr ^ c->ip.s_addr) & mask_of(c->prefix)) != 0)) {
		say("ignoring banger.gw: not another address of the "
		    "banger.ip subnet");
		c->has_gw = false;
	}
}

/* systemd_path: a resolved path of /sbin/init that is systemd. */
static bool
systemd_path(const char *p)
{
	size_t n = strlen(p);

	return n >= 8 && strcmp(p + n - 8, "/systemd") == 0;
}

/* unescape: undo the octal escapes of a mount table (\040: a space). */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * unmount_plan: from the text of /proc/self/mounts (modified in place),
 * the mount points of block devices (a source under /dev/) other than
 * /, last mounted first: the order to unmount them in.  At most max of
 * them (the first max mounted); returns how many.
 */
static size_t
unmount_plan(char *tab, char **dirs, size_t max)
{
	char *line, *next, *dir, *end, *t;
	size_t n = 0, i;

	for (line = tab; *line != '\0' && n < max; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		if ((dir = strchr(line, ' ')) == NULL)
			continue;
		*dir++ = '\0';
		if ((end = strchr(dir, ' ')) == NULL)
			continue;
		*end = '\0';
		unescape(dir);
		if (strncmp(line, "/dev/", 5) != 0 || dir[0] != '/' ||
		    strcmp(dir, "/") == 0)
			continue;
		dirs[n++] = dir;
	}
	for (i = 0; i < n / 2; i++) {
		t = dirs[i];
		dirs[i] = dirs[n - 1 - i];
		dirs[n - 1 - i] = t;
	}
	return n;
}

#ifdef BANGER_INIT_TEST

/*
 * Test build.  No argument: stdin is a command line; print what it
 * configures.  "mounts": stdin is a mount table; print the unmount
 * plan.  "systemd PATH...": whether each PATH counts as systemd.
 */
int
main(int argc, char **argv)
{
	static char buf[CMDLINE_MAX];
	char a[INET_ADDRSTRLEN], *dirs[64];
	struct conf c;
	unsigned i;
	size_t n;

	if (argc > 1 && strcmp(argv[1], "mounts") == 0) {
		read_cmdline(0, buf);
		n = unmount_plan(buf, dirs, sizeof(dirs) / sizeof(dirs[0]));
		for (i = 0; i < n; i++)
			printf("%s\n", dirs[i]);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "systemd") == 0) {
		for (i = 2; i < (unsigned)argc; i++)
			printf("%s %s\n", argv[i],
			    systemd_path(argv[i]) ? "yes" : "no");
		return 0;
	}
	read_cmdline(0, buf);
	parse_cmdline(buf, &c);
	printf("ip=");
	if (c.has_ip)
		printf("%s/%u", inet_ntop(AF_INET, &c.ip, a, sizeof(a)),
		    c.prefix);
	printf("\ngw=%s\ndns=",
	    c.has_gw ? inet_ntop(AF_INET, &c.gw, a, sizeof(a)) : "");
	for (i = 0; i < c.ndns; i++)
		printf("%s%s", i ? "," : "",
		    inet_ntop(AF_INET, &c.dns[i], a, sizeof(a)));
	printf("\nhostname=%s\ninit=%s\n", c.hostname, c.init);
	return 0;
}

#else

#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <linux/input.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#define HOST_KEY_MAX 16384 /* bytes of a host key file */

/*
 * An image made by `image pull` (docs/oci-import.md): banger's ssh
 * server, Debian's dropbear with its own glibc loader and libraries, so
 * that neither the image's libc nor its absence matters.  The loader
 * runs it: --library-path keeps the image's libraries out (and, unlike
 * LD_LIBRARY_PATH, is not inherited by the shells dropbear starts).
 * --argv0 ends in a '/' so that dropbear cannot open its argv[0]: it
 * would re-exec that file for each connection without the loader, which
 * fails in an image without glibc's loader, or loads the image's
 * libraries in one with it; when it cannot open argv[0], it just forks.
 */
#define GUEST_SSH "/.banger/ssh"
#define SSH_LD GUEST_SSH "/lib/ld-linux-x86-64.so.2"
#define SSH_LIBS GUEST_SSH "/lib"
#define DROPBEAR GUEST_SSH "/bin/dropbear"
#define HOST_KEY "/etc/ssh/ssh_host_ed25519_key"
#define RUN_DIR "/run/banger"
#define DROPBEAR_KEY RUN_DIR "/dropbear_ed25519_host_key"
/* -s -g: no passwords; -R: a key of its own if none was delivered. */
#define DROPBEAR_ARGV \
	SSH_LD, "--library-path", SSH_LIBS, "--argv0", DROPBEAR "/", DROPBEAR, \
	    "-F", "-E", "-s", "-g", "-R", "-p", "22", "-r", DROPBEAR_KEY, \
	    "-P", RUN_DIR "/dropbear.pid"
#define SSHD "/usr/sbin/sshd"
#define UNIT_DIR "/run/systemd/system"
#define UNIT_LINK UNIT_DIR "/multi-user.target.wants/banger-ssh.service"
#define BUTTONS_MAX 4 /* "Power Button" input devices we watch */
#define RESTART_MIN_MS 250 /* the ssh server's restart back-off */
#define RESTART_MAX_MS 8000
#define RAN_OK_MS 10000 /* a server that ran this long was fine */

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* is_mountpoint: path is on another device than its parent. */
static bool
is_mountpoint(const char *path, const char *parent)
{
	struct stat a, b;

	return stat(path, &a) == 0 && stat(parent, &b) == 0 &&
	    a.st_dev != b.st_dev;
}

static void
mount_missing(void)
{
	static const struct {
		const char *dir, *parent, *type, *opts;
		unsigned long flags;
	} m[] = {
		{ "/proc", "/", "proc", NULL,
		    MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/sys", "/", "sysfs", NULL,
		    MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "/dev", "/", "devtmpfs", "mode=0755", MS_NOSUID },
		{ "/dev/pts", "/dev", "devpts", "mode=0620,gid=5,ptmxmode=0666",
		    MS_NOSUID | MS_NOEXEC },
		{ "/run", "/", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV },
	};
	struct statvfs sv;
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (is_mountpoint(m[i].dir, m[i].parent))
			continue;
		if (mkdir(m[i].dir, 0755) < 0 && errno != EEXIST)
			say("mkdir %s: %m", m[i].dir);
		if (mount(m[i].type, m[i].dir, m[i].type, m[i].flags,
			m[i].opts) < 0)
			say("mount %s on %s: %m", m[i].type, m[i].dir);
		else
			say("mounted %s on %s", m[i].type, m[i].dir);
	}
	if (statvfs("/", &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
		if (mount(NULL, "/", NULL, MS_REMOUNT, NULL) < 0)
			say("remount / read-write: %m");
		else
			say("remounted / read-write");
	}
}

/* console: log to /dev/console; give it to fds 0-2 if they are closed. */
static void
console(void)
{
	int fd, i;

	if ((fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return;
	for (i = 0; i < 3; i++)
		if (fcntl(i, F_GETFD) < 0)
			dup2(fd, i);
	logfd = fd;
}

/*
 * write_file: replace path with data (temp file, fsync, rename), owned
 * by root with mode.  The temp file is created O_EXCL|O_NOFOLLOW.
 */
static int
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[256];
	ssize_t r;
	size_t off = 0;
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.banger-init", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return -1;
	while (off < len) {
		if ((r = write(fd, (const char *)data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)r;
	}
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	close(fd);
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
fail:
	e = errno;
	close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

/* read_small: a regular file of at most cap - 1 bytes, NUL-terminated. */
static ssize_t
read_small(int fd, char *buf, size_t cap)
{
	struct stat st;
	size_t n = 0;
	ssize_t r;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size >= (off_t)cap) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return -1;
	}
	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/*
 * hosts: /etc/hosts keeps its lines and gets one of ours, replaced on
 * every boot (marked "# banger-init").
 */
static void
hosts(const struct conf *c)
{
	static char in[65536], out[65536 + 512];
	char a[INET_ADDRSTRLEN];
	char *line, *next;
	size_t n = 0;
	ssize_t len = 0;
	int fd;

	if ((fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC)) >= 0) {
		len = read_small(fd, in, sizeof(in));
		close(fd);
		if (len < 0) {
			say("read /etc/hosts: %m; not changed");
			return;
		}
	}
	in[len] = '\0';
	for (line = in; *line != '\0'; line = next) {
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			next++;
		if (memmem(line, (size_t)(next - line), "# banger-init", 13) !=
		    NULL)
			continue;
		memcpy(out + n, line, (size_t)(next - line));
		n += (size_t)(next - line);
		if (n > 0 && out[n - 1] != '\n')
			out[n++] = '\n';
	}
	n += (size_t)snprintf(out + n, sizeof(out) - n,
	    "%s\t%s\t# banger-init\n",
	    c->has_ip ? inet_ntop(AF_INET, &c->ip, a, sizeof(a)) : "127.0.1.1",
	    c->hostname);
	if (write_file("/etc/hosts", out, n, 0644) < 0)
		say("write /etc/hosts: %m");
}

static void
hostname(const struct conf *c)
{
	char buf[72];
	int n;

	if (c->hostname[0] == '\0') {
		say("no banger.hostname: hostname left to the image");
		return;
	}
	if (sethostname(c->hostname, strlen(c->hostname)) < 0)
		say("sethostname %s: %m", c->hostname);
	else
		say("hostname %s", c->hostname);
	n = snprintf(buf, sizeof(buf), "%s\n", c->hostname);
	if (write_file("/etc/hostname", buf, (size_t)n, 0644) < 0)
		say("write /etc/hostname: %m");
	hosts(c);
}

static int
ifreq_addr(int s, unsigned long req, const char *dev, struct in_addr a)
{
	struct ifreq ifr;
	struct sockaddr_in sin;

	memset(&ifr, 0, sizeof(ifr));
	memset(&sin, 0, sizeof(sin));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	sin.sin_family = AF_INET;
	sin.sin_addr = a;
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr);
}

static int
if_up(int s, const char *dev)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

/*
 * first_ether: the Ethernet interface with the lowest index, waiting up
 * to 3 s for the driver (already loaded by the initrd) to probe.
 */
static bool
first_ether(int s, char dev[IF_NAMESIZE])
{
	struct if_nameindex *ifs, *i;
	struct ifreq ifr;
	unsigned best;
	int tries;

	for (tries = 0; tries < 100; tries++, nap_ms(30)) {
		if ((ifs = if_nameindex()) == NULL)
			continue;
		best = 0;
		for (i = ifs; i->if_index != 0; i++) {
			memset(&ifr, 0, sizeof(ifr));
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
			    i->if_name);
			if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ||
			    ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
				continue;
			if (best == 0 || i->if_index < best) {
				best = i->if_index;
				snprintf(dev, IF_NAMESIZE, "%s", i->if_name);
			}
		}
		if_freenameindex(ifs);
		if (best != 0)
			return true;
	}
	return false;
}

static void
network(const struct conf *c)
{
	char dev[IF_NAMESIZE], a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	struct in_addr mask = { mask_of(c->prefix) }, brd;
	struct sockaddr_in sin;
	struct rtentry rt;
	int s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		say("socket: %m; no network");
		return;
	}
	if (if_up(s, "lo") < 0)
		say("lo up: %m");
	if (!c->has_ip) {
		say("no banger.ip: network left to the image");
		goto out;
	}
	if (!first_ether(s, dev)) {
		say("no Ethernet interface; no network");
		goto out;
	}
	inet_ntop(AF_INET, &c->ip, a, sizeof(a));
	brd.s_addr = c->ip.s_addr | ~mask.s_addr;
	if (ifreq_addr(s, SIOCSIFADDR, dev, c->ip) < 0 ||
	    ifreq_addr(s, SIOCSIFNETMASK, dev, mask) < 0 ||
	    (c->prefix <= 30 && ifreq_addr(s, SIOCSIFBRDADDR, dev, brd) < 0) ||
	    if_up(s, dev) < 0) {
		say("%s %s/%u: %m", dev, a, c->prefix);
		goto out;
	}
	say("%s %s/%u up", dev, a, c->prefix);
	if (!c->has_gw)
		goto out;
	memset(&rt, 0, sizeof(rt));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&rt.rt_dst, &sin, sizeof(sin));
	memcpy(&rt.rt_genmask, &sin, sizeof(sin));
	sin.sin_addr = c->gw;
	memcpy(&rt.rt_gateway, &sin, sizeof(sin));
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = dev;
	inet_ntop(AF_INET, &c->gw, g, sizeof(g));
	if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		say("default route via %s: %m", g);
	else
		say("default route via %s", g);
out:
	close(s);
}

static void
resolv(const struct conf *c)
{
	char buf[256], a[INET_ADDRSTRLEN];
	size_t n;
	unsigned i;

	if (c->ndns == 0) {
		say("no banger.dns: /etc/resolv.conf left to the image");
		return;
	}
	n = (size_t)snprintf(buf, sizeof(buf),
	    "# Written by banger-init from banger.dns= at boot.\n");
	for (i = 0; i < c->ndns; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "nameserver %s\n",
		    inet_ntop(AF_INET, &c->dns[i], a, sizeof(a)));
	if (write_file("/etc/resolv.conf", buf, n, 0644) < 0)
		say("write /etc/resolv.conf: %m");
	else
		say("/etc/resolv.conf: %u nameserver(s)", c->ndns);
}

/* work_disk: mount /dev/vdb (ext4) on /root, waiting up to 3 s for it. */
static void
work_disk(void)
{
	struct stat st;
	int tries;

	if (mkdir("/root", 0700) < 0 && errno != EEXIST)
		say("mkdir /root: %m");
	if (is_mountpoint("/root", "/")) {
		say("/root is already mounted");
		return;
	}
	for (tries = 0; tries < 100; tries++, nap_ms(30))
		if (stat("/dev/vdb", &st) == 0 && S_ISBLK(st.st_mode))
			break;
	if (tries == 100)
		say("no work disk /dev/vdb: /root stays on the root "
		    "filesystem");
	else if (mount("/dev/vdb", "/root", "ext4", MS_NOSUID | MS_NODEV,
		     NULL) < 0)
		say("mount /dev/vdb on /root: %m; /root stays on the root "
		    "filesystem");
	else
		say("mounted /dev/vdb on /root");
}

/* fix: root:root and mode on an open file: no path, so no symlink. */
static void
fix(int fd, const char *name, mode_t mode)
{
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0)
		say("normalise %s: %m", name);
}

/*
 * open_at: openat that never follows a symlink in the last component
 * (the others are the directory fd's own) nor blocks on a FIFO; a
 * refusal is logged.
 */
static int
open_at(int dfd, const char *name, const char *path, int flags)
{
	int fd = openat(dfd, name,
	    flags | O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		say("refusing %s: a symlink or not a %s", path,
		    (flags & O_DIRECTORY) ? "directory" : "file");
	else if (fd < 0 && errno != ENOENT)
		say("open %s: %m", path);
	return fd;
}

/*
 * host_keys: move the VM's ssh host key, generated on the host at
 * create time, from /root/.banger to /etc/ssh, so that the private key
 * does not stay in the user's home.  The private key goes first: the
 * public one alone is useless.
 */
static void
host_keys(int rfd)
{
	static const struct {
		const char *name;
		mode_t mode;
	} k[] = {
		{ "ssh_host_ed25519_key", 0600 },
		{ "ssh_host_ed25519_key.pub", 0644 },
	};
	static char buf[HOST_KEY_MAX];
	char path[128];
	ssize_t n;
	size_t i;
	int bfd, fd, dfd;

	if ((bfd = open_at(rfd, ".banger", "/root/.banger", O_DIRECTORY)) < 0) {
		if (errno == ENOENT)
			say("no host key on the work disk: the image's own is "
			    "used");
		return;
	}
	if (mkdir("/etc/ssh", 0755) < 0 && errno != EEXIST)
		say("mkdir /etc/ssh: %m");
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(path, sizeof(path), "/root/.banger/%s", k[i].name);
		if ((fd = open_at(bfd, k[i].name, path, 0)) < 0) {
			if (errno == ENOENT)
				say("no %s on the work disk", path);
			break;
		}
		n = read_small(fd, buf, sizeof(buf));
		close(fd);
		if (n < 0) {
			say("read %s: %m", path);
			break;
		}
		snprintf(path, sizeof(path), "/etc/ssh/%s", k[i].name);
		if (write_file(path, buf, (size_t)n, k[i].mode) < 0) {
			say("write %s: %m", path);
			break;
		}
		if ((dfd = open("/etc/ssh",
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(dfd);
			close(dfd);
		}
		if (unlinkat(bfd, k[i].name, 0) < 0)
			say("remove /root/.banger/%s: %m", k[i].name);
		say("installed %s", path);
	}
	explicit_bzero(buf, sizeof(buf));
	fsync(bfd);
	close(bfd);
}

/*
 * normalise: /root and /root/.ssh root:root 0700, authorized_keys
 * root:root 0600, as sshd's StrictModes wants.  Everything is opened
 * relative to its parent with O_NOFOLLOW and changed through the fd, so
 * a symlink on the work disk cannot redirect a chown or chmod.
 */
static void
normalise(void)
{
	int rfd, sfd, kfd;

	if ((rfd = open_at(AT_FDCWD, "/root", "/root", O_DIRECTORY)) < 0)
		return;
	fix(rfd, "/root", 0700);
	if ((sfd = open_at(rfd, ".ssh", "/root/.ssh", O_DIRECTORY)) < 0 &&
	    errno == ENOENT && mkdirat(rfd, ".ssh", 0700) == 0)
		sfd = open_at(rfd, ".ssh", "/root/.ssh", O_DIRECTORY);
	if (sfd >= 0) {
		fix(sfd, "/root/.ssh", 0700);
		kfd = open_at(sfd, "authorized_keys",
		    "/root/.ssh/authorized_keys", 0);
		if (kfd < 0 && errno == ENOENT)
			say("no /root/.ssh/authorized_keys: no ssh login");
		if (kfd >= 0) {
			struct stat st;

			if (fstat(kfd, &st) == 0 && !S_ISREG(st.st_mode))
				say("refusing /root/.ssh/authorized_keys: "
				    "not a file");
			else
				fix(kfd, "/root/.ssh/authorized_keys", 0600);
			close(kfd);
		}
		close(sfd);
		say("normalised /root, /root/.ssh, authorized_keys");
	}
	host_keys(rfd);
	close(rfd);
}

/* now_ms: the monotonic clock, in milliseconds. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* mkdir_p: mkdir -p of an absolute path (short), mode for new ones. */
static int
mkdir_p(const char *path, mode_t mode)
{
	char buf[256];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		buf[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/*
 * spawn: argv in a child of its own session, signals unblocked (mask),
 * stdin /dev/null, stdout and stderr to out (or the console), in /,
 * with a plain PATH and nothing else in its environment.
 */
static pid_t
spawn(char *const argv[], const sigset_t *mask, int out)
{
	static char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
		"/bin",
		NULL
	};
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		say("fork for %s: %m", argv[0]);
	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, mask, NULL);
	setsid();
	if (out < 0)
		out = logfd;
	if ((fd = open("/dev/null", O_RDWR)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(out, 1);
	dup2(out, 2);
	if (chdir("/") < 0) {
		/* Wherever we are, then. */
	}
	execve(argv[0], argv, envp);
	say("exec %s: %m", argv[0]);
	_exit(127);
}

/*
 * dropbear_key: convert the VM's OpenSSH host key, which host_keys()
 * installed, to dropbear's format in /run/banger (a tmpfs: nothing is
 * written to the image), with dropbearconvert; at most 10 s.  Its
 * output is logged only when it fails.
 */
static void
dropbear_key(const sigset_t *mask)
{
	static char *const argv[] = { SSH_LD, "--library-path", SSH_LIBS,
		GUEST_SSH "/bin/dropbearconvert", "openssh", "dropbear",
		HOST_KEY, DROPBEAR_KEY, NULL };
	char out[512], how[32];
	size_t n = 0;
	ssize_t r;
	long long end = now_ms() + 10000;
	int p[2], st = 0;
	pid_t pid, w = 0;

	if (access(HOST_KEY, R_OK) < 0) {
		say("no %s: dropbear makes a key of its own, which banger "
		    "refuses",
		    HOST_KEY);
		return;
	}
	if (mkdir_p(RUN_DIR, 0755) < 0 ||
	    (unlink(DROPBEAR_KEY) < 0 && errno != ENOENT) ||
	    pipe2(p, O_CLOEXEC) < 0) {
		say("convert the host key for dropbear: %m");
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pid = spawn(argv, mask, p[1]);
	close(p[1]);
	while (pid > 0 && (w = waitpid(pid, &st, WNOHANG)) == 0) {
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			w = waitpid(pid, &st, 0);
			st = -1;
			break;
		}
		while (n < sizeof(out) - 1 &&
		    (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
			n += (size_t)r;
		nap_ms(10);
	}
	while (n < sizeof(out) - 1 &&
	    (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	close(p[0]);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (pid <= 0)
		return;
	if (w == pid && st == 0) {
		say("converted %s for dropbear: %s", HOST_KEY, DROPBEAR_KEY);
		return;
	}
	if (st < 0)
		snprintf(how, sizeof(how), "timed out");
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(st));
	say("dropbearconvert failed (%s): %s", how, clean(out));
}

/*
 * systemd_unit: banger-ssh.service, dropbear in the foreground, as a
 * runtime unit wanted by multi-user.target, all under /run/systemd/system
 * (our tmpfs /run, which systemd keeps): nothing in the image changes.
 */
static void
systemd_unit(void)
{
	static const char *const argv[] = { DROPBEAR_ARGV };
	static const char wants[] = UNIT_DIR "/multi-user.target.wants";
	char unit[1024];
	size_t n, i;

	n = (size_t)snprintf(unit, sizeof(unit),
	    "# Written by banger-init at boot: this image has no ssh server\n"
	    "# of its own (docs/guest.md).\n"
	    "[Unit]\n"
	    "Description=banger's ssh server (dropbear, " GUEST_SSH ")\n"
	    "\n[Service]\nExecStart=");
	for (i = 0; i < sizeof(argv) / sizeof(argv[0]); i++)
		n += (size_t)snprintf(unit + n, sizeof(unit) - n, "%s%s",
		    i ? " " : "", argv[i]);
	n += (size_t)snprintf(unit + n, sizeof(unit) - n,
	    "\nRestart=always\nRestartSec=1\nKillMode=process\n"
	    "\n[Install]\nWantedBy=multi-user.target\n");
	if (n >= sizeof(unit) || mkdir_p(wants, 0755) < 0 ||
	    write_file(UNIT_DIR "/banger-ssh.service", unit, n, 0644) < 0) {
		say("write " UNIT_DIR "/banger-ssh.service: %m");
		return;
	}
	unlink(UNIT_LINK);
	if (symlink("../banger-ssh.service", UNIT_LINK) < 0)
		say("symlink %s: %m", UNIT_LINK);
	else
		say("wrote " UNIT_DIR "/banger-ssh.service (dropbear from "
		    "/.banger/ssh) for systemd");
}

/* The ssh server banger-init runs as PID 1, and its restarts. */
struct server {
	char *const *argv;
	bool openssh;
	pid_t pid; /* 0: not running, restart at due */
	unsigned quick; /* exits in a row, each within RAN_OK_MS */
	long delay; /* the next restart's back-off */
	long long started, due;
};

static void
server_start(struct server *s, const sigset_t *mask)
{
	if (s->openssh && mkdir("/run/sshd", 0755) < 0 && errno != EEXIST)
		say("mkdir /run/sshd: %m");
	s->started = now_ms();
	if ((s->pid = spawn(s->argv, mask, -1)) < 0) {
		s->pid = 0;
		s->due = s->started + RESTART_MAX_MS;
		return;
	}
	say("started %s (pid %d)", s->openssh ? SSHD : "dropbear", (int)s->pid);
}

/* server_dropbear: from here on, banger's dropbear. */
static void
server_dropbear(struct server *s, const sigset_t *mask)
{
	static char *const argv[] = { DROPBEAR_ARGV, NULL };

	s->argv = argv;
	s->openssh = false;
	s->quick = 0;
	s->delay = RESTART_MIN_MS;
	dropbear_key(mask);
}

/*
 * server_exited: log how, and when it will be restarted: the back-off
 * doubles (RESTART_MIN_MS up to RESTART_MAX_MS) while it keeps dying
 * young.  The image's sshd dying young three times in a row gives way
 * to banger's dropbear, so that a broken sshd_config does not lock
 * banger out.
 */
static void
server_exited(struct server *s, int st, const sigset_t *mask)
{
	long long now = now_ms();

	if (WIFSIGNALED(st))
		say("%s (pid %d) killed by signal %d",
		    s->openssh ? SSHD : "dropbear", (int)s->pid, WTERMSIG(st));
	else
		say("%s (pid %d) exited with status %d",
		    s->openssh ? SSHD : "dropbear", (int)s->pid,
		    WEXITSTATUS(st));
	s->pid = 0;
	if (now - s->started >= RAN_OK_MS) {
		s->quick = 0;
		s->delay = RESTART_MIN_MS;
	} else if (++s->quick >= 3 && s->openssh) {
		say("%s keeps failing: running banger's dropbear instead",
		    SSHD);
		server_dropbear(s, mask);
	}
	s->due = now + s->delay;
	say("restarting it in %ld ms", s->delay);
	if (s->quick > 0 && s->delay < RESTART_MAX_MS)
		s->delay *= 2;
}

/* reap: every exited child; ours is restarted later. */
static void
reap(struct server *s, const sigset_t *mask)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == s->pid)
			server_exited(s, st, mask);
}

/* all_gone: reap until no process is left, or ms have passed. */
static bool
all_gone(long ms)
{
	long long end = now_ms() + ms;
	pid_t pid;

	for (;;) {
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			continue;
		if (pid < 0 && errno == ECHILD)
			return true;
		if (now_ms() >= end)
			return false;
		nap_ms(20);
	}
}

/*
 * unmount_all: every block device's file system but /, last mounted
 * first (one that stays busy is remounted read-only), then / read-only.
 */
static void
unmount_all(void)
{
	static char tab[CMDLINE_MAX * 4];
	char *dirs[64];
	size_t n = 0, i, done = 0;
	ssize_t r;
	int fd;

	if ((fd = open("/proc/self/mounts", O_RDONLY | O_CLOEXEC)) < 0)
		say("open /proc/self/mounts: %m");
	else {
		while (n < sizeof(tab) - 1 &&
		    (r = read(fd, tab + n, sizeof(tab) - 1 - n)) > 0)
			n += (size_t)r;
		close(fd);
	}
	tab[n] = '\0';
	n = unmount_plan(tab, dirs, sizeof(dirs) / sizeof(dirs[0]));
	for (i = 0; i < n; i++)
		if (umount2(dirs[i], 0) == 0)
			done++;
		else if (mount(NULL, dirs[i], NULL, MS_REMOUNT | MS_RDONLY,
			     NULL) < 0)
			say("unmount %s: %m", clean(dirs[i]));
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		say("remount / read-only: %m");
	else
		say("unmounted %zu file system(s), / read-only", done);
}

static void shut_down(const char *, int) __attribute__((noreturn));

/* shut_down: stop every process, unmount, end the VM; never returns. */
static void
shut_down(const char *why, int how)
{
	say("%s: stopping every process", why);
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (!all_gone(5000)) {
		say("processes left after 5 s: SIGKILL");
		kill(-1, SIGKILL);
		all_gone(2000);
	}
	sync();
	unmount_all();
	say("%s", how == RB_POWER_OFF ? "powering off" : "rebooting");
	reboot(how);
	say("reboot: %m");
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/*
 * power_buttons: open the input devices named "Power Button" (the ACPI
 * button driver's, which the kernel bundle's initrd loads with evdev):
 * QEMU's system_powerdown, banger's `vm stop`, presses it.
 */
static int
power_buttons(struct pollfd *p, int max)
{
	char path[300], name[64];
	struct dirent *e;
	ssize_t r;
	DIR *d;
	int n = 0, fd;

	if ((d = opendir("/sys/class/input")) == NULL) {
		say("open /sys/class/input: %m");
		return 0;
	}
	while (n < max && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "event", 5) != 0 ||
		    strlen(e->d_name) > 32)
			continue;
		snprintf(path, sizeof(path), "/sys/class/input/%s/device/name",
		    e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		r = read(fd, name, sizeof(name) - 1);
		close(fd);
		name[r > 0 ? r : 0] = '\0';
		name[strcspn(name, "\n")] = '\0';
		if (strcmp(name, "Power Button") != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
		if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
			say("open %s: %m", path);
			continue;
		}
		p[n].fd = fd;
		p[n++].events = POLLIN;
		say("watching the power button, %s", path);
	}
	closedir(d);
	if (n == 0)
		say("no ACPI power button: only signals shut down");
	return n;
}

/* pressed: the input device fd reported a press of KEY_POWER. */
static bool
pressed(int fd)
{
	struct input_event ev[16];
	bool hit = false;
	ssize_t r;
	size_t i;

	while ((r = read(fd, ev, sizeof(ev))) > 0)
		for (i = 0; i < (size_t)r / sizeof(ev[0]); i++)
			if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER &&
			    ev[i].value == 1)
				hit = true;
	return hit;
}

/* sig_why: what a signal to PID 1 asks for, for the log. */
static const char *
sig_why(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM (reboot)";
	case SIGINT:
		return "SIGINT (Ctrl-Alt-Del)";
	case SIGUSR1:
		return "SIGUSR1 (halt)";
	case SIGUSR2:
		return "SIGUSR2 (poweroff)";
	default:
		return "SIGPWR";
	}
}

/* next_signal: one pending signal of set, or 0. */
static int
next_signal(int sfd, const sigset_t *set)
{
	static const struct timespec zero = { 0, 0 };
	struct signalfd_siginfo si;
	int sig;

	if (sfd >= 0)
		return read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si) ?
		    (int)si.ssi_signo :
		    0;
	sig = sigtimedwait(set, NULL, &zero);
	return sig > 0 ? sig : 0;
}

static void supervise(void) __attribute__((noreturn));

/*
 * supervise: the image has no init we run, so we stay PID 1: run the
 * ssh server (the image's OpenSSH when it has one, set up, else
 * banger's dropbear), restart it when it dies, reap every orphan, and
 * shut down on a signal or the power button.  Ctrl-Alt-Del (Firecracker's
 * SendCtrlAltDel, banger's `vm stop` there) comes as SIGINT
 * (RB_DISABLE_CAD).  busybox's halt, poweroff and reboot send SIGUSR1,
 * SIGUSR2 and SIGTERM.  A reboot ends the VM as a power-off does (the
 * VMM exits on either), so every request ends it; halt too, as a
 * halted VM would only wait for a forced stop.  Never returns.
 */
static void
supervise(void)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGPWR, SIGUSR1,
		SIGUSR2 };
	static char *const sshd[] = { SSHD, "-D", "-e", NULL };
	struct pollfd p[1 + BUTTONS_MAX];
	struct server s;
	struct stat st;
	sigset_t set, mask;
	long long left;
	int sfd, sig, nb, i;
	size_t k;

	sigemptyset(&set);
	for (k = 0; k < sizeof(sigs) / sizeof(sigs[0]); k++)
		sigaddset(&set, sigs[k]);
	sigprocmask(SIG_BLOCK, &set, &mask);
	if ((sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		say("signalfd: %m; signals are checked every 0.5 s");
	if (reboot(RB_DISABLE_CAD) < 0)
		say("reboot(RB_DISABLE_CAD): %m");
	if (mkdir("/dev/shm", 01777) < 0 && errno != EEXIST)
		say("mkdir /dev/shm: %m");
	else if (!is_mountpoint("/dev/shm", "/dev") &&
	    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
		"mode=1777") < 0)
		say("mount tmpfs on /dev/shm: %m");
	nb = power_buttons(p + 1, BUTTONS_MAX);

	memset(&s, 0, sizeof(s));
	s.delay = RESTART_MIN_MS;
	if (access(SSHD, X_OK) == 0 && stat("/etc/ssh/sshd_config", &st) == 0 &&
	    S_ISREG(st.st_mode)) {
		say("the image has OpenSSH: running %s", SSHD);
		s.argv = sshd;
		s.openssh = true;
	} else
		server_dropbear(&s, &mask);
	server_start(&s, &mask);

	for (;;) {
		p[0].fd = sfd;
		p[0].events = POLLIN;
		left = -1;
		if (s.pid == 0)
			left = s.due > now_ms() ? s.due - now_ms() : 0;
		if (sfd < 0 && (left < 0 || left > 500))
			left = 500;
		if (poll(p, (nfds_t)(1 + nb), (int)left) < 0 && errno != EINTR)
			nap_ms(100);
		while ((sig = next_signal(sfd, &set)) != 0) {
			if (sig == SIGCHLD)
				reap(&s, &mask);
			else
				shut_down(sig_why(sig),
				    sig == SIGTERM || sig == SIGINT ?
					RB_AUTOBOOT :
					RB_POWER_OFF);
		}
		for (i = 1; i <= nb; i++) {
			if (p[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				p[i].fd = -1;
			else if ((p[i].revents & POLLIN) && pressed(p[i].fd))
				shut_down("the power button", RB_POWER_OFF);
		}
		if (s.pid == 0 && now_ms() >= s.due)
			server_start(&s, &mask);
	}
}

/*
 * imported: in an image made from a container image (it has
 * /.banger/ssh) and without banger.init=, see that banger's ssh works:
 * returns to exec a systemd /sbin/init (with banger-ssh.service when
 * the image has no ssh server of its own), else stays PID 1.
 */
static void
imported(const struct conf *c)
{
	char init[PATH_MAX];
	struct stat st;
	sigset_t none;

	if (stat(GUEST_SSH, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (c->init[0] != '\0') {
		say("an imported image, and banger.init=%s: run as given",
		    c->init);
		return;
	}
	sigemptyset(&none);
	if (realpath("/sbin/init", init) != NULL && systemd_path(init) &&
	    access(init, X_OK) == 0) {
		if (access(SSHD, X_OK) == 0 ||
		    access("/usr/sbin/dropbear", X_OK) == 0)
			say("an imported image with systemd and an ssh server "
			    "of its own");
		else {
			say("an imported image with systemd and no ssh "
			    "server: adding banger's");
			dropbear_key(&none);
			systemd_unit();
		}
		return;
	}
	if (access("/sbin/init", F_OK) == 0)
		say("an imported image: /sbin/init is not systemd, not run "
		    "(banger.init=/sbin/init would run it); staying PID 1");
	else
		say("an imported image without an init: staying PID 1");
	supervise();
}

/* exec_init: the image's init, then fallbacks; never returns. */
static void
exec_init(const struct conf *c, char **argv)
{
	const char *try[] = { c->init, "/sbin/init", "/etc/init", "/bin/init",
		"/bin/sh" };
	size_t i;

	for (i = 0; i < sizeof(try) / sizeof(try[0]); i++) {
		if (try[i][0] == '\0')
			continue;
		say("exec %s", try[i]);
		argv[0] = (char *)try[i];
		execv(try[i], argv);
		say("exec %s: %m", try[i]);
	}
	say("no init to run: rebooting (the VM stops)");
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	static char buf[CMDLINE_MAX];
	struct conf c;
	int fd;

	(void)argc;
	if (getpid() != 1) {
		fprintf(stderr,
		    "banger-init: not PID 1: refusing to "
		    "reconfigure this machine\n");
		return 100;
	}
	umask(022);
	console();
	mount_missing();
	if (logfd == 2)
		console();
	memset(buf, 0, sizeof(buf));
	if ((fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC)) < 0)
		say("open /proc/cmdline: %m");
	else {
		read_cmdline(fd, buf);
		close(fd);
	}
	parse_cmdline(buf, &c);
	hostname(&c);
	network(&c);
	resolv(&c);
	work_disk();
	normalise();
	sync();
	imported(&c);
	exec_init(&c, argv);
	return 111;
}

#endif
