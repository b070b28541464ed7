/*
 * doctor — check that this host can run banger, and say how to fix
 * what is missing.
 *
 * Request: {"v":1} (no other keys).  Result:
 *   {"checks":[{"name":..,"status":"pass"|"warn"|"fail","detail":..,
 *     "fix":..}, ...], "failed":N}
 * with "fix" present on warn and fail lines only.  Checks, in order:
 * arch, kvm, one per VMM driver (qemu, firecracker), one per host tool
 * (ip, nft, ssh, ssh-keygen, mkfs.ext4, git), tun, config (plus one
 * warn line named "config" per config warning), vm_defaults, dns.
 * docs/doctor.md explains each one.  The final line is written in
 * every case; the exit code is then 1 when any check failed, 0
 * otherwise.
 *
 * Programs are found the way `vm start` finds them (lib/host.c: the
 * standard directories, never $PATH; firecracker_bin overrides), and
 * KVM is judged by the same test the CLI uses to pick an accelerator,
 * so a PASS here means the same binary runs there.  `--version` runs
 * without a shell, with stdin and stderr on /dev/null, a 3 s deadline
 * and at most 4 KiB read.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "banger.h"
#include "dns.h"

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
	const struct bg_vmm *vmm; /* the one vm create would choose */
	const char *accel;
};
static const struct {
	const char *name, *pkg;
} tools[] = {
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
	posix_spawnattr_setflags(&at,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
		POSIX_SPAWN_SETPGROUP);
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
		add(d, "arch", FAIL,
		    "banger supports x86_64 (amd64) Linux only", "%s",
		    u.machine);
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
 * KVM is required by a VMM that needs it (Firecracker) and by
 * qemu_accel = "kvm"; QEMU's TCG works without it, so otherwise a
 * broken /dev/kvm is a warning.
 */
static void
check_kvm(struct doctor *d)
{
	bool need = d->vmm->needs_kvm || strcmp(d->accel, "kvm") == 0;
	enum status bad = need ? FAIL : WARN;
	struct bg_err err;
	int r = bg_host_kvm(&err);

	if (r == 0)
		add(d, "kvm", PASS, NULL, "/dev/kvm: API %d, VM creation ok",
		    KVM_API_VERSION);
	else if (r == -ENOTSUP && !need && strcmp(d->accel, "tcg") == 0)
		/* kvm_pvm, and this config never asks for KVM: nothing to fix. */
		add(d, "kvm", PASS, NULL, "%s; not used: qemu_accel = \"tcg\"",
		    err.msg);
	else if (r == -ENOTSUP)
		add(d, "kvm", bad,
		    d->vmm->needs_kvm ?
			"this host cannot run "
			"Firecracker: set vmm = \"qemu\" and qemu_accel = \"tcg\" "
			"in config" :
			"set qemu_accel = \"tcg\" in config",
		    "%s%s", err.msg, need ? "" : "; QEMU will use TCG (slow)");
	else
		add(d, "kvm", bad, kvm_fix(-r), "%s%s", err.msg,
		    need ? "" : "; QEMU will use TCG (slow)");
}

/*
 * One line per VMM driver: found where `vm start` will look (the
 * config's override first), and answering --version.  Required when it
 * is the one vm create would choose; a warning otherwise.
 */
static void
check_vmm(struct doctor *d, const struct bg_vmm *v)
{
	const char *bin = d->cfg_ok ? bg_vmm_config_bin(v, &d->cfg) : NULL;
	bool need = v == d->vmm;
	char path[PATH_MAX], line[LINE_MAX_SHOWN + 1], why[256], fix[256];
	const char *after = need ? "" : "; not needed with this config";
	int r;

	snprintf(fix, sizeof(fix), "%s", v->install);
	r = bg_host_tool(v->tool, bin, path, sizeof(path));
	if (r < 0 && bin != NULL) {
		add(d, v->name, need ? FAIL : WARN, fix, "%s %s: %s%s", bin,
		    bin[0] == '/' ?
			"is not an executable file" :
			"is not in /usr/local/sbin, /usr/local/bin, "
			"/usr/sbin, /usr/bin, /sbin or /bin",
		    strerror(-r), after);
		return;
	}
	if (r < 0) {
		add(d, v->name, need ? FAIL : WARN, fix,
		    "%s not found in "
		    "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin "
		    "or /bin%s",
		    v->tool, after);
		return;
	}
	if (run_version(path, line, sizeof(line), why, sizeof(why)) < 0) {
		add(d, v->name, need ? FAIL : WARN, fix, "%s: %s%s", path, why,
		    after);
		return;
	}
	add(d, v->name, PASS, NULL, "%s (%s)%s", line, path,
	    need ? "" : ", not used with this config");
}

static void
check_tools(struct doctor *d)
{
	char path[PATH_MAX], fix[128];
	size_t i;

	for (i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (bg_host_tool(tools[i].name, NULL, path, sizeof(path)) ==
		    0) {
			add(d, tools[i].name, PASS, NULL, "%s", path);
			continue;
		}
		snprintf(fix, sizeof(fix), "sudo apt-get install %s",
		    tools[i].pkg);
		add(d, tools[i].name, FAIL, fix,
		    "%s not found in "
		    "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin "
		    "or /bin",
		    tools[i].name);
	}
}

static void
check_config(struct doctor *d)
{
	size_t i;

	if (!d->cfg_ok) {
		add(d, "config", FAIL,
		    "fix the file at the place named, or "
		    "move it away to use the defaults",
		    "%s", d->cfg_err.msg);
		return;
	}
	if (d->cfg.present)
		add(d, "config", PASS, NULL, "%s", d->cfg.path);
	else
		add(d, "config", PASS, NULL,
		    "no config file (%s), using defaults",
		    d->cfg.path != NULL ? d->cfg.path : "?");
	for (i = 0; i < d->cfg.n_warnings; i++)
		add(d, "config", WARN,
		    "remove or correct the key (docs/config.md lists them)",
		    "%s", d->cfg.warnings[i]);
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

/* A running VM's name, for a real lookup; "" when none runs. */
static void
running_vm(char *name, size_t n)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *dd;

	name[0] = '\0';
	if (bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "vms", NULL, NULL) <
		0 ||
	    (dd = opendir(dir)) == NULL)
		return;
	while (name[0] == '\0' && (e = readdir(dd)) != NULL) {
		struct bg_vmh h = BG_VMH_INIT;
		struct bg_err ignore;

		if (!bg_name_valid(e->d_name) ||
		    bg_vm_open(e->d_name, BG_VMH_ANY, &h, &ignore) < 0)
			continue;
		if (bg_vm_running(&h) == 1)
			snprintf(name, n, "%.*s", BG_NAME_MAX, e->d_name);
		bg_vm_close(&h);
	}
	closedir(dd);
}

/*
 * dns: does NAME.vm resolve on this host (docs/dns-routing.md)?  Never
 * a failure: VMs run without it; a warning says how to get it.
 */
static void
check_dns(struct doctor *d)
{
	char why[512], vm[BG_NAME_MAX + 1], ip[INET_ADDRSTRLEN];
	const char *recipe = "see docs/dns-routing.md: the manual recipe "
			     "(dnsmasq server=/vm/" BG_BRIDGE_ADDR ")";

	switch (bg_dns_wire_state(why, sizeof(why))) {
	case BG_DNS_WIRE_NO_RESOLVED:
		add(d, "dns", WARN, recipe,
		    "NAME.vm does not resolve on this host: %s", why);
		return;
	case BG_DNS_WIRE_NO_BRIDGE:
		add(d, "dns", WARN, "banger vm start wires it",
		    "NAME.vm does not resolve yet: %s", why);
		return;
	case BG_DNS_WIRE_OFF:
		add(d, "dns", WARN,
		    "banger vm start wires it; or sudo banger system restart",
		    "NAME.vm does not resolve: %s", why);
		return;
	case BG_DNS_WIRE_ON:
		break;
	}
	running_vm(vm, sizeof(vm));
	if (vm[0] == '\0')
		add(d, "dns", PASS, NULL,
		    "systemd-resolved sends .vm to %s on %s (names resolve "
		    "while a VM runs)",
		    BG_BRIDGE_ADDR, BG_BRIDGE);
	else if (bg_dns_resolve(vm, ip, sizeof(ip), why, sizeof(why)) == 1)
		add(d, "dns", PASS, NULL, "%s.vm resolves to %s", vm, ip);
	else
		add(d, "dns", WARN,
		    "systemctl status banger-dns.socket banger-dns.service",
		    "routed to %s, but %s", BG_BRIDGE_ADDR, why);
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
static int
act(struct bg_req *rq, cJSON **res, struct bg_err *err)
{
	const struct bg_vmm *const *v;
	struct doctor d;

	(void)rq;
	memset(&d, 0, sizeof(d));
	d.checks = cJSON_CreateArray();
	d.cfg_ok = bg_config_load(&d.cfg, NULL, &d.cfg_err) >= 0;
	d.vmm = bg_vmm_choose(d.cfg_ok ? d.cfg.vmm : "auto",
	    d.cfg_ok ? d.cfg.firecracker_bin : NULL);
	d.accel =
	    d.cfg_ok && d.cfg.qemu_accel[0] != '\0' ? d.cfg.qemu_accel : "auto";
	if (d.checks != NULL) {
		check_arch(&d);
		check_kvm(&d);
		for (v = bg_vmm_all(); *v != NULL; v++)
			check_vmm(&d, *v);
		check_tools(&d);
		check_tun(&d);
		check_config(&d);
		check_vm_defaults(&d);
		check_dns(&d);
	}
	*res = d.oom || d.checks == NULL ? NULL : result(&d);
	cJSON_Delete(d.checks);
	if (d.cfg_ok)
		bg_config_free(&d.cfg);
	if (*res == NULL) {
		bg_err_set(err, "temporary", "doctor: out of memory");
		return -ENOMEM;
	}
	return d.failed > 0 ? BG_EXIT_NO : BG_EXIT_OK;
}

BG_VERB(.name = "doctor", .act = act);
