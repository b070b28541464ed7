/*
 * doctor — check that this host can run banger, and say how to fix
 * what is missing.
 *
 * Request: {"v":1} (no other keys).  Result:
 *   {"checks":[{"name":..,"status":"pass"|"warn"|"fail","detail":..,
 *     "fix":..}, ...], "failed":N}
 * with "fix" present on warn and fail lines only.  Checks, in order:
 * arch, kvm, firecracker, qemu, one per host tool (ip, nft, ssh,
 * ssh-keygen, mkfs.ext4, git), config (plus one warn line named
 * "config" per config warning), vm_defaults.  docs/doctor.md explains
 * each one.  The final line is written in every case; the exit code is
 * then 1 when any check failed, 0 otherwise.
 *
 * Programs are looked up on $PATH (absolute entries only, never the
 * current directory) and, for tools that live there, /usr/local/sbin,
 * /usr/sbin and /sbin.  `--version` runs without a shell, with stdin
 * and stderr on /dev/null, a 3 s deadline and at most 4 KiB read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "banger.h"

extern char **environ;

#define RUN_TIMEOUT_MS 3000
#define RUN_OUT_MAX 4096
#define LINE_MAX_SHOWN 200

enum status { PASS, WARN, FAIL };

struct doctor {
	cJSON *checks;
	int failed;
	bool oom;
	struct bg_config cfg;
	struct bg_err cfg_err;
	bool cfg_ok;
	const char *vmm;   /* "auto" when the config did not load */
	const char *accel;
	bool fc_usable;
};

static const char *const allowed[] = { NULL };
static const char *const sbin_dirs[] = { "/usr/local/sbin", "/usr/sbin",
	"/sbin", NULL };
static const struct {
	const char *name, *pkg;
} tools[] = {
	{ "ip", "iproute2" },
	{ "nft", "nftables" },
	{ "ssh", "openssh-client" },
	{ "ssh-keygen", "openssh-client" },
	{ "mkfs.ext4", "e2fsprogs" },
	{ "git", "git" },
};

/* Append one check.  fix is kept only on warn and fail lines. */
__attribute__((format(printf, 5, 6))) static void
add(struct doctor *d, const char *name, enum status st, const char *fix,
    const char *fmt, ...)
{
	static const char *const names[] = { "pass", "warn", "fail" };
	char detail[1024];
	cJSON *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (st == FAIL)
		d->failed++;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(d->checks, o)) {
		cJSON_Delete(o);
		d->oom = true;
		return;
	}
	if (cJSON_AddStringToObject(o, "name", name) == NULL ||
	    cJSON_AddStringToObject(o, "status", names[st]) == NULL ||
	    cJSON_AddStringToObject(o, "detail", detail) == NULL ||
	    (st != PASS && fix != NULL &&
	    cJSON_AddStringToObject(o, "fix", fix) == NULL))
		d->oom = true;
}

static bool
is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

static int
try_dir(const char *dir, size_t dlen, const char *name, char *out, size_t n)
{
	int k;

	if (dlen == 0 || dir[0] != '/')
		return -ENOENT; /* never relative to the current directory */
	k = snprintf(out, n, "%.*s/%s", (int)dlen, dir, name);
	if (k < 0 || (size_t)k >= n)
		return -ENAMETOOLONG;
	return is_exec_file(out) ? 0 : -ENOENT;
}

/* Find name on $PATH, then (with sbin) in the sbin directories. */
static int
find_exec(const char *name, bool sbin, char *out, size_t n)
{
	const char *path = getenv("PATH"), *p, *e;
	size_t i;

	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = e + 1) {
		e = strchrnul(p, ':');
		if (try_dir(p, (size_t)(e - p), name, out, n) == 0)
			return 0;
		if (*e == '\0')
			break;
	}
	for (i = 0; sbin && sbin_dirs[i] != NULL; i++)
		if (try_dir(sbin_dirs[i], strlen(sbin_dirs[i]), name, out, n) == 0)
			return 0;
	return -ENOENT;
}

/* Wait for pid until deadline, then kill its process group. */
static int
reap(pid_t pid, int64_t deadline, bool *killed)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st = 0;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &st, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			return st;
		if (bg_now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	*killed = true;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/*
 * Run "path --version" and put its first stdout line in line.  On
 * failure returns -1 with why filled.
 */
static int
run_version(const char *path, char *line, size_t n, char *why, size_t whyn)
{
	char buf[RUN_OUT_MAX], *argv[] = { (char *)path, "--version", NULL };
	int64_t deadline = bg_now_ms() + RUN_TIMEOUT_MS;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	size_t len = 0, i;
	bool killed = false;
	int p[2], r, st;
	ssize_t k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, whyn, "pipe: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	r = posix_spawn(&pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		snprintf(why, whyn, "cannot run it: %s", strerror(r));
		return -1;
	}
	/* The first line is all we want; stop at it, at EOF or the cap. */
	while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL) {
		k = bg_read_deadline(p[0], buf + len, sizeof(buf) - 1 - len,
		    deadline);
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(p[0]);
	st = reap(pid, deadline, &killed);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	if (killed)
		snprintf(why, whyn, "--version did not finish within %d s",
		    RUN_TIMEOUT_MS / 1000);
	else if (WIFSIGNALED(st) && WTERMSIG(st) != SIGPIPE)
		snprintf(why, whyn, "--version was killed by signal %d",
		    WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		snprintf(why, whyn, "--version exited %d", WEXITSTATUS(st));
	else if (buf[0] == '\0')
		snprintf(why, whyn, "--version printed nothing");
	else {
		snprintf(line, n, "%.*s", LINE_MAX_SHOWN, buf);
		return 0;
	}
	return -1;
}

static void
check_arch(struct doctor *d)
{
	struct utsname u;

	if (uname(&u) < 0)
		add(d, "arch", FAIL, "banger supports x86_64 Linux only",
		    "uname: %s", strerror(errno));
	else if (strcmp(u.machine, "x86_64") != 0)
		add(d, "arch", FAIL, "banger supports x86_64 (amd64) Linux only",
		    "%s", u.machine);
	else
		add(d, "arch", PASS, NULL, "%s", u.machine);
}

/*
 * The VMM runs as the owner and opens its tap through /dev/net/tun, so
 * the owner must be able to open that device (Debian's udev makes it
 * 0666; some hosts ship it 0600).
 */
static void
check_tun(struct doctor *d)
{
	struct stat st;
	int fd;

	if (stat("/dev/net/tun", &st) < 0 || !S_ISCHR(st.st_mode)) {
		add(d, "tun", FAIL, "load the tun module: sudo modprobe tun",
		    "/dev/net/tun is missing");
		return;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if ((st.st_mode & 0006) != 0006)
		add(d, "tun", FAIL,
		    "sudo chmod 0666 /dev/net/tun (Debian's default; opening it grants nothing by itself)",
		    "/dev/net/tun is %04o: the VMM, running as you, cannot open its tap",
		    (unsigned)(st.st_mode & 07777));
	else
		add(d, "tun", fd >= 0 || errno != EACCES ? PASS : FAIL,
		    "sudo chmod 0666 /dev/net/tun", "/dev/net/tun %04o",
		    (unsigned)(st.st_mode & 07777));
}

static const char *
kvm_fix(int e)
{
	if (e == EACCES || e == EPERM)
		return "add yourself to the kvm group (sudo usermod -aG kvm "
		    "$USER) and log in again";
	if (e == ENOENT || e == ENXIO || e == ENODEV)
		return "enable virtualization (VT-x/AMD-V) in the firmware and "
		    "load the module: sudo modprobe kvm_intel (or kvm_amd)";
	return "check dmesg for KVM errors; another hypervisor may hold "
	    "the CPU's virtualization extensions";
}

/*
 * KVM is required for Firecracker and for qemu_accel = "kvm"; QEMU's
 * TCG works without it, so otherwise a broken /dev/kvm is a warning.
 */
static void
check_kvm(struct doctor *d)
{
	bool need = strcmp(d->vmm, "firecracker") == 0 ||
	    strcmp(d->accel, "kvm") == 0;
	enum status bad = need ? FAIL : WARN;
	const char *tcg = need ? "" : "; QEMU will use TCG (slow)";
	int fd, vm, v, e;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		add(d, "kvm", bad, kvm_fix(e), "/dev/kvm: %s%s", strerror(e), tcg);
		return;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		add(d, "kvm", bad, "upgrade the host kernel",
		    "/dev/kvm: API version %d, want %d%s", v, KVM_API_VERSION,
		    tcg);
		close(fd);
		return;
	}
	vm = ioctl(fd, KVM_CREATE_VM, 0UL);
	e = errno;
	close(fd);
	if (vm < 0) {
		add(d, "kvm", bad, kvm_fix(e), "/dev/kvm: cannot create a VM: %s%s",
		    strerror(e), tcg);
		return;
	}
	close(vm);
	/* Paravirtual nested KVM: stock kernels abort or crawl under it. */
	if (access("/sys/module/kvm_pvm", F_OK) == 0 &&
	    strcmp(d->accel, "tcg") != 0)
		add(d, "kvm", strcmp(d->accel, "kvm") == 0 ? FAIL : WARN,
		    "set qemu_accel = \"tcg\" in config",
		    "/dev/kvm is kvm_pvm (paravirtual nested KVM): stock guest "
		    "kernels fail under it");
	else
		add(d, "kvm", PASS, NULL, "/dev/kvm: API %d, VM creation ok", v);
}

static void
check_firecracker(struct doctor *d)
{
	const char *bin = d->cfg_ok ? d->cfg.firecracker_bin : NULL;
	bool need = strcmp(d->vmm, "firecracker") == 0;
	char path[PATH_MAX], line[LINE_MAX_SHOWN + 1], why[256];
	const char *fix, *after;

	after = need ? "" : strcmp(d->vmm, "qemu") == 0 ?
	    " (not needed: vmm = \"qemu\")" : "; banger will use QEMU";
	fix = bin != NULL ? "set firecracker_bin in config to the firecracker "
	    "executable, or remove it to search PATH" :
	    "install Firecracker (github.com/firecracker-microvm/firecracker "
	    "releases) on PATH or set firecracker_bin in config";
	if (bin != NULL && strchr(bin, '/') != NULL) {
		snprintf(path, sizeof(path), "%s", bin);
		if (!is_exec_file(path)) {
			add(d, "firecracker", need ? FAIL : WARN, fix,
			    "firecracker_bin %s is not an executable file%s",
			    bin, after);
			return;
		}
	} else if (find_exec(bin != NULL ? bin : "firecracker", false, path,
	    sizeof(path)) < 0) {
		add(d, "firecracker", need ? FAIL : WARN, fix,
		    "%s not found on PATH%s", bin != NULL ? bin : "firecracker",
		    after);
		return;
	}
	if (run_version(path, line, sizeof(line), why, sizeof(why)) < 0) {
		add(d, "firecracker", need ? FAIL : WARN, fix, "%s: %s%s", path,
		    why, after);
		return;
	}
	d->fc_usable = true;
	add(d, "firecracker", PASS, NULL, "%s (%s)", line, path);
}

/* QEMU is required for vmm = "qemu", and for "auto" without Firecracker. */
static void
check_qemu(struct doctor *d)
{
	bool need = strcmp(d->vmm, "qemu") == 0 ||
	    (strcmp(d->vmm, "auto") == 0 && !d->fc_usable);
	const char *fix = "sudo apt-get install qemu-system-x86";
	char path[PATH_MAX], line[LINE_MAX_SHOWN + 1], why[256];

	if (find_exec("qemu-system-x86_64", false, path, sizeof(path)) < 0) {
		add(d, "qemu", need ? FAIL : WARN, fix,
		    "qemu-system-x86_64 not found on PATH%s",
		    need ? "" : " (not needed: Firecracker is used)");
		return;
	}
	if (run_version(path, line, sizeof(line), why, sizeof(why)) < 0) {
		add(d, "qemu", need ? FAIL : WARN, fix, "%s: %s", path, why);
		return;
	}
	add(d, "qemu", PASS, NULL, "%s (%s)", line, path);
}

static void
check_tools(struct doctor *d)
{
	char path[PATH_MAX], fix[128];
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (find_exec(tools[i].name, true, path, sizeof(path)) == 0) {
			add(d, tools[i].name, PASS, NULL, "%s", path);
			continue;
		}
		snprintf(fix, sizeof(fix), "sudo apt-get install %s",
		    tools[i].pkg);
		add(d, tools[i].name, FAIL, fix,
		    "%s not found on PATH or in /usr/sbin, /sbin", tools[i].name);
	}
}

static void
check_config(struct doctor *d)
{
	size_t i;

	if (!d->cfg_ok) {
		add(d, "config", FAIL, "fix the file at the place named, or "
		    "move it away to use the defaults", "%s", d->cfg_err.msg);
		return;
	}
	if (d->cfg.present)
		add(d, "config", PASS, NULL, "%s", d->cfg.path);
	else
		add(d, "config", PASS, NULL, "no config file (%s), using defaults",
		    d->cfg.path != NULL ? d->cfg.path : "?");
	for (i = 0; i < d->cfg.n_warnings; i++)
		add(d, "config", WARN, "remove or correct the key "
		    "(docs/config.md lists them)", "%s", d->cfg.warnings[i]);
}

static void
fmt_size(uint64_t b, char *out, size_t n)
{
	if (b != 0 && b % (1ULL << 30) == 0)
		snprintf(out, n, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b != 0 && b % (1ULL << 20) == 0)
		snprintf(out, n, "%llu MiB", (unsigned long long)(b >> 20));
	else
		snprintf(out, n, "%llu bytes", (unsigned long long)b);
}

static void
check_vm_defaults(struct doctor *d)
{
	const struct bg_config *c = &d->cfg;
	char disk[48];

	if (!d->cfg_ok) {
		add(d, "vm_defaults", WARN, "fix the config file first",
		    "not computed: the config file did not load");
		return;
	}
	fmt_size(c->disk_bytes, disk, sizeof(disk));
	add(d, "vm_defaults", PASS, NULL,
	    "vcpu %ld (%s), memory %ld MiB (%s), disk %s (%s)", c->vcpu,
	    bg_prov_name(c->vcpu_prov), c->memory_mib,
	    bg_prov_name(c->memory_prov), disk, bg_prov_name(c->disk_prov));
}

static cJSON *
result(struct doctor *d)
{
	cJSON *r = cJSON_CreateObject();

	if (r == NULL || !cJSON_AddItemToObject(r, "checks", d->checks)) {
		cJSON_Delete(r);
		return NULL;
	}
	d->checks = NULL;
	if (cJSON_AddNumberToObject(r, "failed", d->failed) == NULL) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

/* doctor: run every check, answer with all of them, exit 1 if one failed. */
int
main(void)
{
	struct bg_helper h;
	struct bg_err err;
	struct doctor d;
	cJSON *res;
	int r;

	signal(SIGPIPE, SIG_IGN);
	r = bg_helper_begin(&h, "doctor", false);
	if (r)
		return r;
	if (bg_helper_check_keys(h.req, allowed, &err) < 0)
		return bg_helper_fail(&h, &err);

	memset(&d, 0, sizeof(d));
	d.checks = cJSON_CreateArray();
	d.cfg_ok = bg_config_load(&d.cfg, NULL, &d.cfg_err) >= 0;
	d.vmm = d.cfg_ok && d.cfg.vmm[0] != '\0' ? d.cfg.vmm : "auto";
	d.accel = d.cfg_ok && d.cfg.qemu_accel[0] != '\0' ?
	    d.cfg.qemu_accel : "auto";
	if (d.checks != NULL) {
		check_arch(&d);
		check_kvm(&d);
		check_firecracker(&d);
		check_qemu(&d);
		check_tools(&d);
		check_tun(&d);
		check_config(&d);
		check_vm_defaults(&d);
	}
	res = d.oom || d.checks == NULL ? NULL : result(&d);
	cJSON_Delete(d.checks);
	if (d.cfg_ok)
		bg_config_free(&d.cfg);
	if (res == NULL) {
		bg_err_set(&err, "temporary", "doctor: out of memory");
		return bg_helper_fail(&h, &err);
	}
	r = bg_helper_ok(&h, res);
	return r != 0 ? r : d.failed > 0 ? BG_EXIT_NO : BG_EXIT_OK;
}
