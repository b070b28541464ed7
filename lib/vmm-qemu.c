/*
 * vmm-qemu.c — the QEMU driver: the microvm command line (an argv, no
 * shell) and a QMP client for stop and status.  QEMU is in Debian; this
 * driver makes banger work on a stock host and is what the tests boot
 * (TCG).  docs/vmm.md says why each flag is there.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"

#define QMP_CMD_MAX 64
#define CMDLINE_MAX 2048 /* x86 COMMAND_LINE_SIZE, NUL included */

/* A growing NULL-terminated argv; the first failure sticks. */
struct argv {
	char **v;
	size_t n, cap;
	int err;
};

static void
add(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->err)
		return;
	if (a->n + 2 > a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 64;
		char **nv = realloc(a->v, ncap * sizeof(*nv));

		if (nv == NULL) {
			a->err = -ENOMEM;
			return;
		}
		a->v = nv;
		a->cap = ncap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->err = -ENOMEM;
		s = NULL;
	}
	va_end(ap);
	if (s == NULL)
		return;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/*
 * A value that goes into a QEMU option string (key=value,key=value):
 * a ',' would end it and start another option, so it is refused (QEMU
 * would need it doubled).  Validated names never contain one; paths
 * built from BANGER_ROOT could.
 */
static bool
opt_safe(const char *s)
{
	return s != NULL && s[0] != '\0' && strchr(s, ',') == NULL;
}

static int
qemu_argv(const struct bg_vmh *h, const char *qemu_bin, const char *cmdline,
    char ***argv)
{
	enum { KERNEL, INITRD, ROOTFS, WORK, SERIAL, SOCK, NPATHS };
	static const enum bg_vm_file files[NPATHS] = { BG_VMF_KERNEL,
		BG_VMF_INITRD, BG_VMF_ROOTFS, BG_VMF_WORK, BG_VMF_SERIAL,
		BG_VMF_SOCK };
	char p[NPATHS][PATH_MAX], mods[PATH_MAX];
	const struct bg_vm *vm = &h->vm;
	struct argv a = { NULL, 0, 0, 0 };
	struct sockaddr_un sa;
	struct bg_vm v;
	bool kvm;
	int i, r, has_mods;

	*argv = NULL;
	if (qemu_bin == NULL || qemu_bin[0] != '/' || cmdline == NULL ||
	    strlen(cmdline) >= CMDLINE_MAX || !bg_name_valid(vm->name) ||
	    vm->vcpu < BG_VCPU_MIN || vm->vcpu > BG_VCPU_MAX ||
	    vm->memory_mib < BG_MEMORY_MIN_MIB ||
	    vm->memory_mib > BG_MEMORY_MAX_MIB)
		return -EINVAL;
	if (strcmp(vm->accel, "kvm") == 0)
		kvm = true;
	else if (strcmp(vm->accel, "tcg") == 0)
		kvm = false;
	else
		return -EINVAL;
	/* The network identity comes from the slot, whatever vm says. */
	v = *vm;
	if (bg_vm_derive(&v) < 0 || strcmp(v.tap, vm->tap) != 0 ||
	    strcmp(v.mac, vm->mac) != 0)
		return -EINVAL;
	for (i = 0; i < NPATHS; i++) {
		r = bg_vm_path(h, files[i], p[i], sizeof(p[i]));
		if (r < 0)
			return r;
		if (!opt_safe(p[i]))
			return -EINVAL;
	}
	if (strlen(p[SOCK]) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	/* The kernel's modules disk, if it has one: /dev/vdc, read-only. */
	has_mods = bg_vm_modules(h, mods, sizeof(mods));
	if (has_mods < 0)
		return has_mods;
	if (has_mods &&
	    (!opt_safe(mods) ||
		strlen(cmdline) + 1 + strlen(BG_MODULES_ARG) >= CMDLINE_MAX))
		return -EINVAL;

	add(&a, "%s", qemu_bin);
	add(&a, "-name");
	add(&a, "banger-vm-%s", v.name);
	add(&a, "-M");
	add(&a, "microvm");
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	/* The guest's reboot (reboot=k, panic=1) is how a VM ends. */
	add(&a, "-no-reboot");
	/* No exec, no setuid, no obsolete syscalls: the VMM needs none. */
	add(&a, "-sandbox");
	add(&a,
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	    "resourcecontrol=deny");
	add(&a, "-accel");
	/*
	 * TCG's translation cache is 1 GiB by default, filled as the guest
	 * runs: capped, so the VMM's memory is the guest's plus a known
	 * overhead (BG_QEMU_TCG_OVERHEAD_MIB, the unit's MemoryMax).
	 */
	add(&a, "%s", kvm ? "kvm" : "tcg,tb-size=" BG_STR(BG_QEMU_TB_MIB));
	add(&a, "-cpu");
	add(&a, "%s", kvm ? "host" : "max");
	add(&a, "-smp");
	add(&a, "%d", v.vcpu);
	add(&a, "-m");
	add(&a, "%ldM", v.memory_mib);
	add(&a, "-kernel");
	add(&a, "%s", p[KERNEL]);
	add(&a, "-initrd");
	add(&a, "%s", p[INITRD]);
	add(&a, "-append");
	if (has_mods)
		add(&a, "%s " BG_MODULES_ARG, cmdline);
	else
		add(&a, "%s", cmdline);
	add(&a, "-chardev");
	add(&a, "file,id=ser,path=%s,append=on", p[SERIAL]);
	add(&a, "-serial");
	add(&a, "chardev:ser");
	/*
	 * vda then vdb, in that order.  Default cache (writeback, flushes
	 * honoured): the guest's fsync reaches the disk, which matters for
	 * /root.  discard=unmap lets fstrim punch holes back into the
	 * sparse (or reflinked) disk files.
	 */
	add(&a, "-device");
	add(&a, "virtio-blk-device,drive=root");
	add(&a, "-drive");
	add(&a, "id=root,if=none,format=raw,discard=unmap,file=%s", p[ROOTFS]);
	add(&a, "-device");
	add(&a, "virtio-blk-device,drive=work");
	add(&a, "-drive");
	add(&a, "id=work,if=none,format=raw,discard=unmap,file=%s", p[WORK]);
	/*
	 * vdc: the kernel bundle's modules.ext4, shared by every VM of that
	 * kernel, so read-only (QEMU opens it O_RDONLY and takes a shared
	 * lock); /init mounts it on /lib/modules/<release>.
	 */
	if (has_mods) {
		add(&a, "-device");
		add(&a, "virtio-blk-device,drive=modules");
		add(&a, "-drive");
		add(&a, "id=modules,if=none,format=raw,readonly=on,file=%s",
		    mods);
	}
	/*
	 * The persistent tap made by root-tap-add.  vnet_hdr is negotiated
	 * per open (TUNSETIFF), not fixed at creation: "on" makes QEMU fail
	 * loudly rather than silently lose the offloads.
	 */
	add(&a, "-netdev");
	add(&a, "tap,id=net0,ifname=%s,script=no,downscript=no,vnet_hdr=on",
	    v.tap);
	add(&a, "-device");
	add(&a, "virtio-net-device,netdev=net0,mac=%s", v.mac);
	add(&a, "-qmp");
	add(&a, "unix:%s,server=on,wait=off", p[SOCK]);
	if (a.err) {
		bg_argv_free(a.v);
		return a.err;
	}
	*argv = a.v;
	return 0;
}

/* One QMP line as a JSON object; anything else is a protocol error. */
static int
qmp_line(struct bg_linereader *lr, int64_t deadline, cJSON **out)
{
	char *line;
	cJSON *j;
	int r;

	r = bg_linereader_next(lr, &line, deadline);
	if (r < 0)
		return r;
	if (r == 0)
		return -ECONNRESET;
	j = cJSON_ParseWithOpts(line, NULL, 1);
	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

/*
 * Read until the answer to the last command: {"return": ...} or
 * {"error": {"class", "desc"}}.  Events ({"event": ...}) are skipped.
 */
static int
qmp_answer(struct bg_linereader *lr, int64_t deadline, cJSON **reply,
    const char *command, struct bg_err *err)
{
	for (;;) {
		cJSON *j, *e, *ret;
		int r = qmp_line(lr, deadline, &j);

		if (r < 0)
			return r;
		ret = cJSON_GetObjectItemCaseSensitive(j, "return");
		if (ret != NULL) {
			if (reply != NULL)
				*reply = cJSON_DetachItemViaPointer(j, ret);
			cJSON_Delete(j);
			return 0;
		}
		e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (e != NULL) {
			const char *d = cJSON_GetStringValue(
			    cJSON_GetObjectItemCaseSensitive(e, "desc"));
			char desc[512];

			bg_toml_printable(d != NULL ? d : "unknown error", desc,
			    sizeof(desc));
			bg_err_set(err, "internal", "qemu refused %s: %s",
			    command, desc);
			cJSON_Delete(j);
			return -EREMOTEIO;
		}
		r = cJSON_GetObjectItemCaseSensitive(j, "event") != NULL;
		cJSON_Delete(j);
		if (!r)
			return -EPROTO;
	}
}

static bool
qmp_command_valid(const char *c)
{
	size_t len = c != NULL ? strlen(c) : 0;

	return len > 0 && len <= QMP_CMD_MAX &&
	    strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

int
bg_qmp(const struct bg_vmh *h, const char *command, cJSON **reply,
    int timeout_ms, struct bg_err *err)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	struct bg_linereader lr;
	int64_t deadline = bg_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	char cmd[QMP_CMD_MAX + 32];
	bool quit;
	cJSON *greeting = NULL, *ret = NULL;
	int fd, r;

	if (reply != NULL)
		*reply = NULL;
	if (!qmp_command_valid(command)) {
		bg_err_set(err, "internal", "not a QMP command name");
		return -EINVAL;
	}
	quit = strcmp(command, "quit") == 0;
	fd = bg_vm_connect(h, deadline, 0);
	if (fd < 0) {
		bg_err_set(err, "temporary",
		    "cannot reach the QMP socket of VM \"%s\": %s", h->vm.name,
		    strerror(-fd));
		return fd;
	}
	bg_linereader_init(&lr, fd);
	/* The greeting: {"QMP": {"version": ..., "capabilities": [...]}}. */
	r = qmp_line(&lr, deadline, &greeting);
	if (r == 0 &&
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(greeting, "QMP")))
		r = -EPROTO;
	cJSON_Delete(greeting);
	/* Leave capabilities negotiation mode, then the command itself. */
	if (r == 0)
		r = bg_vmm_send(fd, caps, sizeof(caps) - 1, deadline);
	if (r == 0)
		r = qmp_answer(&lr, deadline, NULL, "qmp_capabilities", err);
	if (r == 0) {
		snprintf(cmd, sizeof(cmd), "{\"execute\":\"%s\"}\n", command);
		r = bg_vmm_send(fd, cmd, strlen(cmd), deadline);
		/* "quit" may close the connection before or instead of answering. */
		if (quit && (r == -EPIPE || r == -ECONNRESET))
			r = 0;
		else if (r == 0) {
			r = qmp_answer(&lr, deadline, &ret, command, err);
			if (quit && (r == -ECONNRESET || r == -EPROTO))
				r = 0;
		}
	}
	bg_linereader_free(&lr);
	close(fd);
	if (r < 0) {
		cJSON_Delete(ret);
		if (r != -EREMOTEIO)
			bg_err_set(err, "temporary", "QMP %s for VM \"%s\": %s",
			    command, h->vm.name,
			    r == -ECONNRESET ? "QEMU closed the connection" :
				r == -EPROTO ? "not a QMP answer" :
					       strerror(-r));
		return r;
	}
	if (reply != NULL)
		*reply = ret;
	else
		cJSON_Delete(ret);
	return 0;
}

static bool
qemu_emulated(const struct bg_vm *vm)
{
	return strcmp(vm->accel, "tcg") == 0;
}

static int
qemu_shutdown(const struct bg_vmh *h, struct bg_err *err)
{
	/* The ACPI power button: the guest's acpid powers it off. */
	return bg_qmp(h, "system_powerdown", NULL, 2000, err);
}

static int
qemu_quit(const struct bg_vmh *h, struct bg_err *err)
{
	return bg_qmp(h, "quit", NULL, 2000, err);
}

const struct bg_vmm bg_vmm_qemu = {
	.name = "qemu",
	.tool = "qemu-system-x86_64",
	.install = "sudo apt-get install qemu-system-x86",
	/* The measured TCG flags: no i8042 probing, no keyboard. */
	.kernel_words = "i8042.nopnp i8042.noaux i8042.nokbd",
	/* TCG works without KVM; the console is a chardev into serial.log;
	 * the argv says everything: no boot step. */
	.emulated = qemu_emulated,
	.argv = qemu_argv,
	.shutdown = qemu_shutdown,
	.quit = qemu_quit,
	/*
	 * Measured (t/with-sandbox, a 256 MiB guest under load): VmHWM 455
	 * MB, the guest's RAM plus ~200 MB: the translation cache
	 * (BG_QEMU_TB_MIB), the kernel ELF mapped (~60 MB), heap and
	 * libraries.  Under KVM there is no cache.  Threads: the vCPUs, the
	 * main loop, RCU, and up to 64 in its I/O thread pool.
	 */
	.overhead_mib = 192,
	.overhead_emulated_mib = 320,
	.tasks_extra = 96,
};
