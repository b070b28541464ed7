/*
 * Unit tests: the VM model (lib/vm.c), the VM handle (lib/vm-handle.c)
 * and the VMM drivers' pure parts and clients (lib/vmm-drivers.c,
 * lib/vmm-qemu.c, lib/vmm-firecracker.c): vm.json validation and round
 * trip, derived addresses, the driver table, the paths of a VM's files
 * under BANGER_ROOT, open/save (hostile files included), the kernel
 * command line, the drivers' argv, the control socket's connect
 * (retried while the VMM is not there or not yet listening), QMP
 * against a fake QMP server and the Firecracker HTTP client against a
 * fake API server (both forked children on RUN/vms/a/vmm.sock).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

static char root[256];

/* strcpy that cuts at n - 1 bytes. */
static void
cpy(char *d, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (l >= n)
		l = n - 1;
	memcpy(d, s, l);
	d[l] = '\0';
}

static const char base_json[] =
    "{\"name\":\"a\",\"status\":\"created\",\"image\":\"test\","
    "\"kernel\":\"debian-6.1.0-27\",\"vcpu\":1,\"memory_mib\":1024,"
    "\"disk_bytes\":8589934592,\"slot\":2,\"ip\":\"172.16.0.2\","
    "\"mac\":\"06:00:ac:10:00:02\",\"tap\":\"bgtap2\",\"vmm\":\"qemu\","
    "\"accel\":\"tcg\",\"created_at\":\"2026-11-28T12:00:00Z\"}";

/* base_json with key set to the JSON text val (NULL: removed). */
static int
from_mutated(const char *key, const char *val, struct bg_vm *vm,
    struct bg_err *err)
{
	cJSON *j = cJSON_Parse(base_json);
	int r;

	cJSON_DeleteItemFromObjectCaseSensitive(j, key);
	if (val != NULL) {
		cJSON *v = cJSON_Parse(val);

		if (v == NULL) {
			printf("# test bug: cannot parse %s\n", val);
			cJSON_Delete(j);
			return -9999;
		}
		cJSON_AddItemToObject(j, key, v);
	}
	r = bg_vm_from_json(j, vm, err);
	cJSON_Delete(j);
	return r;
}

static int
from_text(const char *text, struct bg_vm *vm, struct bg_err *err)
{
	cJSON *j = cJSON_Parse(text);
	int r;

	r = bg_vm_from_json(j, vm, err);
	cJSON_Delete(j);
	return r;
}

/* "\"/" + len - 1 bytes of 'a' + "\"": a vmm_bin of len bytes, as JSON. */
static char *
long_bin(size_t len)
{
	char *s = malloc(len + 3);

	s[0] = '"';
	s[1] = '/';
	memset(s + 2, 'a', len - 1);
	s[len + 1] = '"';
	s[len + 2] = '\0';
	return s;
}

static void
test_json(void)
{
	static const struct {
		const char *key, *val;
	} bad[] = {
		{ "name", "\"../x\"" },
		{ "name", "\"..\"" },
		{ "name", "\"A\"" },
		{ "name", "\"\"" },
		{ "name", "\"-a\"" },
		{ "name", "\"a/b\"" },
		{ "name", "\"a.b\"" },
		{ "name", "5" },
		{ "name", "null" },
		{ "name", "{\"x\":1}" },
		{ "name", "[\"a\"]" },
		{ "name",
		    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" },
		{ "name", NULL },
		{ "image", "\"../etc\"" },
		{ "image", "\"\"" },
		{ "image", "1" },
		{ "image", NULL },
		{ "image", "\"a..b\"" },
		{ "image", "\".a\"" },
		{ "kernel", "\"a/b\"" },
		{ "kernel", "true" },
		{ "kernel", "\"a.\"" },
		{ "kernel", "\"6.1..0\"" },
		{ "kernel", "\"Debian\"" },
		{ "kernel", NULL },
		{ "status", "\"running\"" },
		{ "status", "\"Created\"" },
		{ "status", "1" },
		{ "status", NULL },
		{ "vcpu", "0" },
		{ "vcpu", "33" },
		{ "vcpu", "65" },
		{ "vcpu", "1.5" },
		{ "vcpu", "\"2\"" },
		{ "vcpu", "1e300" },
		{ "vcpu", "-1" },
		{ "vcpu", "true" },
		{ "vcpu", "null" },
		{ "vcpu", NULL },
		{ "memory_mib", "127" },
		{ "memory_mib", "1048577" },
		{ "memory_mib", "1e20" },
		{ "memory_mib", "512.5" },
		{ "memory_mib", NULL },
		{ "disk_bytes", "1073741823" },
		{ "disk_bytes", "17592186044417" },
		{ "disk_bytes", "1.5e30" },
		{ "disk_bytes", "-1" },
		{ "disk_bytes", "1073741824.5" },
		{ "disk_bytes", "\"8G\"" },
		{ "disk_bytes", NULL },
		{ "slot", "1" },
		{ "slot", "255" },
		{ "slot", "0" },
		{ "slot", "2.5" },
		{ "slot", "\"2\"" },
		{ "slot", "-2" },
		{ "slot", "4294967298" },
		{ "slot", "1e400" },
		{ "slot", NULL },
		{ "ip", "\"172.16.0.3\"" },
		{ "ip", "\"172.16.0.02\"" },
		{ "ip", "\"172.16.0.2 \"" },
		{ "ip", "5" },
		{ "ip", "null" },
		{ "mac", "\"06:00:AC:10:00:02\"" },
		{ "mac", "\"06:00:ac:10:00:03\"" },
		{ "tap", "\"bgtap3\"" },
		{ "tap", "\"bgtap2x\"" },
		{ "vmm", "\"kvm\"" },
		{ "vmm", "\"Qemu\"" },
		{ "vmm", "\"\"" },
		{ "vmm", "\"qemu \"" },
		{ "vmm", "\"auto\"" },
		{ "vmm", "5" },
		{ "vmm", "null" },
		{ "vmm", NULL },
		{ "vmm_bin", "\"firecracker\"" },
		{ "vmm_bin", "\"\"" },
		{ "vmm_bin", "\"./firecracker\"" },
		{ "vmm_bin", "\"/usr/../bin/firecracker\"" },
		{ "vmm_bin", "\"/usr/bin/..\"" },
		{ "vmm_bin", "\"/usr/./fc\"" },
		{ "vmm_bin", "\"/usr//fc\"" },
		{ "vmm_bin", "\"//fc\"" },
		{ "vmm_bin", "\"/usr/bin/fc\\n\"" },
		{ "vmm_bin", "\"/usr/bin/\\u00e9\"" },
		{ "vmm_bin", "5" },
		{ "vmm_bin", "null" },
		{ "vmm_bin", "true" },
		{ "vmm_bin", "[\"/usr/bin/fc\"]" },
		{ "accel", "\"hvf\"" },
		{ "accel", "\"KVM\"" },
		{ "accel", NULL },
		{ "created_at", "\"2026-11-28T12:00:00.0000000000000Z\"" },
		{ "created_at", "\"2026\\n\"" },
		{ "created_at", "\"\"" },
		{ "created_at", "\"\\u00e9t\\u00e9\"" },
		{ "created_at", "0" },
		{ "created_at", NULL },
		{ "extra", "1" },
		{ "Name", "\"a\"" },
		{ "v", "1" },
	};
	struct bg_vm vm, vm2;
	struct bg_err err;
	cJSON *j;
	char *s;
	size_t i;
	int r;

	memset(&err, 0, sizeof(err));
	is_int(from_text(base_json, &vm, &err), 0,
	    "vm.json: the example of vm-lifecycle.md is valid");
	is_str(vm.name, "a", "name");
	is_str(vm.status, "created", "status");
	is_str(vm.image, "test", "image");
	is_str(vm.kernel, "debian-6.1.0-27", "kernel");
	is_int(vm.vcpu, 1, "vcpu");
	is_int(vm.memory_mib, 1024, "memory_mib");
	ok(vm.disk_bytes == 8589934592ULL, "disk_bytes");
	is_int(vm.slot, 2, "slot");
	is_str(vm.ip, "172.16.0.2", "ip");
	is_str(vm.mac, "06:00:ac:10:00:02", "mac");
	is_str(vm.tap, "bgtap2", "tap");
	ok(vm.vmm == &bg_vmm_qemu, "vmm: \"qemu\" is the QEMU driver");
	is_str(vm.vmm_bin, "", "vmm_bin: none");
	is_str(vm.accel, "tcg", "accel");
	is_str(vm.created_at, "2026-11-28T12:00:00Z", "created_at");

	j = bg_vm_to_json(&vm);
	s = cJSON_PrintUnformatted(j);
	is_str(s, base_json,
	    "to_json gives back the same document, key order included");
	is_int(bg_vm_from_json(j, &vm2, NULL), 0, "and it reads back");
	ok(memcmp(&vm, &vm2, sizeof(vm)) == 0, "round trip: identical struct");
	free(s);
	cJSON_Delete(j);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&vm2, 0x5a, sizeof(vm2));
		memset(&err, 0, sizeof(err));
		r = from_mutated(bad[i].key, bad[i].val, &vm2, &err);
		if (!ok(r == -EINVAL && strcmp(err.code, "bad_request") == 0 &&
			    err.msg[0] != '\0',
			"refused: %s = %s", bad[i].key,
			bad[i].val ? bad[i].val : "(missing)"))
			printf("#   r=%d code=%s msg=%s\n", r, err.code,
			    err.msg);
		else if (i < 3)
			printf("#   %s\n", err.msg);
		ok(((unsigned char *)&vm2)[0] == 0x5a &&
			((unsigned char *)&vm2)[sizeof(vm2) - 1] == 0x5a,
		    "  and the output is untouched");
	}

	is_int(from_text("[1,2]", &vm2, &err), -EINVAL,
	    "refused: not an object");
	is_int(from_text("{\"name\":\"a\",\"name\":\"b\",\"status\":\"created\","
			 "\"image\":\"test\",\"kernel\":\"k\",\"vcpu\":1,\"memory_mib\":1024,"
			 "\"disk_bytes\":8589934592,\"slot\":2,\"vmm\":\"qemu\","
			 "\"accel\":\"tcg\",\"created_at\":\"x\"}",
		   &vm2, &err),
	    -EINVAL, "refused: a key twice");
	ok(strstr(err.msg, "twice") != NULL, "  says so: %s", err.msg);
	is_int(bg_vm_from_json(NULL, &vm2, &err), -EINVAL, "refused: NULL");

	/* An unknown VMM: the message names the drivers there are. */
	is_int(from_mutated("vmm", "\"kvm\"", &vm2, &err), -EINVAL,
	    "vmm \"kvm\" refused");
	is_str(err.msg, "vm.json: 'vmm' must be qemu or firecracker",
	    "  the message names qemu or firecracker");

	/* Stored network identity is optional: derived from the slot. */
	r = from_mutated("ip", NULL, &vm2, &err);
	is_int(r, 0, "ip may be left out");
	is_str(vm2.ip, "172.16.0.2", "  and is derived");
	j = cJSON_Parse(base_json);
	cJSON_DeleteItemFromObject(j, "ip");
	cJSON_DeleteItemFromObject(j, "mac");
	cJSON_DeleteItemFromObject(j, "tap");
	cJSON_ReplaceItemInObject(j, "slot", cJSON_CreateNumber(254));
	is_int(bg_vm_from_json(j, &vm2, &err), 0,
	    "slot 254 without ip/mac/tap");
	is_str(vm2.ip, "172.16.0.254", "  ip derived");
	is_str(vm2.mac, "06:00:ac:10:00:fe", "  mac derived, lower-case hex");
	is_str(vm2.tap, "bgtap254", "  tap derived");
	cJSON_Delete(j);
	is_int(from_mutated("vmm", "\"firecracker\"", &vm2, &err), 0,
	    "vmm firecracker");
	ok(vm2.vmm == &bg_vmm_firecracker, "  is the Firecracker driver");
	is_int(from_mutated("accel", "\"kvm\"", &vm2, &err), 0, "accel kvm");
	is_int(from_mutated("status", "\"creating\"", &vm2, &err), 0,
	    "status creating");
	is_int(from_mutated("vcpu", "32", &vm2, &err), 0,
	    "vcpu 32 (BG_VCPU_MAX)");
	is_int(from_mutated("memory_mib", "1048576", &vm2, &err), 0,
	    "memory_mib 1048576");
	is_int(from_mutated("memory_mib", "128", &vm2, &err), 0,
	    "memory_mib 128");
	is_int(from_mutated("disk_bytes", "17592186044416", &vm2, &err), 0,
	    "disk_bytes 16 TiB");
	ok(vm2.disk_bytes == 17592186044416ULL, "  exactly");
	is_int(from_mutated("disk_bytes", "1073741824", &vm2, &err), 0,
	    "disk_bytes 1 GiB");
	is_int(from_mutated("created_at", "\"1234567890123456789012345678901\"",
		   &vm2, &err),
	    0, "created_at of 31 characters");
	is_int(from_mutated("name", "\"a.b\"", &vm2, &err), -EINVAL,
	    "a VM name has no dots (it is a DNS label)");
	is_int(from_mutated("image", "\"debian-12.1\"", &vm2, &err), 0,
	    "an image name may have inner dots");
	is_int(from_mutated("name",
		   "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
		   &vm2, &err),
	    0, "a name of 63 characters");

	/* vmm_bin: optional, an absolute path without . or .. */
	is_int(from_mutated("vmm_bin", "\"/usr/local/bin/firecracker\"", &vm2,
		   &err),
	    0, "vmm_bin /usr/local/bin/firecracker");
	is_str(vm2.vmm_bin, "/usr/local/bin/firecracker", "  kept");
	is_int(from_mutated("vmm_bin", "\"/opt/fc 1.16/fire-cracker.v1\"", &vm2,
		   &err),
	    0, "vmm_bin with a space, dots and dashes in names");
	j = bg_vm_to_json(&vm2);
	s = cJSON_PrintUnformatted(j);
	ok(s != NULL &&
		strstr(s,
		    "\"vmm\":\"qemu\",\"vmm_bin\":"
		    "\"/opt/fc 1.16/fire-cracker.v1\",\"accel\"") != NULL,
	    "  to_json writes it after vmm: %s", s ? s : "(null)");
	is_int(bg_vm_from_json(j, &vm, NULL), 0, "  and it reads back");
	ok(memcmp(&vm, &vm2, sizeof(vm)) == 0, "  identical struct");
	free(s);
	cJSON_Delete(j);
	s = long_bin(BG_VMM_BIN_MAX);
	is_int(from_mutated("vmm_bin", s, &vm2, &err), 0, "vmm_bin of %d bytes",
	    BG_VMM_BIN_MAX);
	is_int(strlen(vm2.vmm_bin), BG_VMM_BIN_MAX, "  all of it");
	free(s);
	s = long_bin(BG_VMM_BIN_MAX + 1);
	is_int(from_mutated("vmm_bin", s, &vm2, &err), -EINVAL,
	    "vmm_bin of %d bytes refused", BG_VMM_BIN_MAX + 1);
	ok(strstr(err.msg, "vmm_bin") != NULL, "  says which: %s", err.msg);
	free(s);
	ok(bg_abs_path_valid("/usr/bin/qemu-system-x86_64"),
	    "bg_abs_path_valid: /usr/bin/qemu-system-x86_64");
	ok(!bg_abs_path_valid(NULL) && !bg_abs_path_valid("") &&
		!bg_abs_path_valid("usr/bin/x") &&
		!bg_abs_path_valid("/a/../b") && !bg_abs_path_valid("/a/./b") &&
		!bg_abs_path_valid("/a//b") && !bg_abs_path_valid("/..") &&
		!bg_abs_path_valid("/a\x7f"),
	    "bg_abs_path_valid: relative, ., .., empty, DEL refused");

	/* to_json never writes a VM without a driver. */
	vm2 = vm;
	vm2.vmm = NULL;
	j = bg_vm_to_json(&vm2);
	ok(j == NULL, "to_json of a VM without a driver: NULL");
	cJSON_Delete(j);

	/* derive */
	memset(&vm2, 0, sizeof(vm2));
	vm2.slot = 10;
	is_int(bg_vm_derive(&vm2), 0, "derive slot 10");
	is_str(vm2.mac, "06:00:ac:10:00:0a", "  mac 0a");
	is_str(vm2.tap, "bgtap10", "  tap");
	is_str(vm2.ip, "172.16.0.10", "  ip");
	vm2.slot = 1;
	is_int(bg_vm_derive(&vm2), -EINVAL, "derive slot 1 refused");
	vm2.slot = 255;
	is_int(bg_vm_derive(&vm2), -EINVAL, "derive slot 255 refused");
}

/* The driver table and what each driver says about itself. */
static void
test_drivers(const struct bg_vm *vm)
{
	const struct bg_vmm *const *all = bg_vmm_all();
	struct bg_vm v = *vm;
	char bin[PATH_MAX], p[PATH_MAX];
	int fd;

	ok(bg_vmm_find("qemu") == &bg_vmm_qemu, "bg_vmm_find qemu");
	ok(bg_vmm_find("firecracker") == &bg_vmm_firecracker,
	    "bg_vmm_find firecracker");
	ok(bg_vmm_find("Qemu") == NULL && bg_vmm_find("") == NULL &&
		bg_vmm_find("auto") == NULL && bg_vmm_find(NULL) == NULL,
	    "bg_vmm_find: Qemu, \"\", auto, NULL are no driver");
	ok(all[0] == &bg_vmm_qemu && all[1] == &bg_vmm_firecracker &&
		all[2] == NULL,
	    "bg_vmm_all: qemu, firecracker, NULL");
	is_str(bg_vmm_names(), "qemu or firecracker", "bg_vmm_names");
	is_str(bg_vmm_names(), "qemu or firecracker", "  twice the same");
	is_str(bg_vmm_qemu.name, "qemu", "qemu: its name");
	is_str(bg_vmm_qemu.tool, "qemu-system-x86_64", "  its tool");
	ok(!bg_vmm_qemu.needs_kvm && !bg_vmm_qemu.console_on_stdout &&
		bg_vmm_qemu.log_name == NULL,
	    "  no KVM needed, serial to a file, no log of its own");
	ok(bg_vmm_qemu.boot == NULL && bg_vmm_qemu.quit != NULL &&
		bg_vmm_qemu.shutdown != NULL,
	    "  no boot step, shutdown and quit");
	is_str(bg_vmm_firecracker.name, "firecracker", "firecracker: its name");
	is_str(bg_vmm_firecracker.tool, "firecracker", "  its tool");
	ok(bg_vmm_firecracker.needs_kvm && bg_vmm_firecracker.console_on_stdout,
	    "  needs KVM, console on stdout");
	is_str(bg_vmm_firecracker.log_name, "firecracker.log", "  its log");
	ok(bg_vmm_firecracker.boot != NULL && bg_vmm_firecracker.quit == NULL &&
		bg_vmm_firecracker.shutdown != NULL,
	    "  a boot step, shutdown, no quit");

	ok(bg_vmm_qemu.emulated(&v), "QEMU with accel tcg is emulated");
	strcpy(v.accel, "kvm");
	ok(!bg_vmm_qemu.emulated(&v), "QEMU with accel kvm is not");
	v.vmm = &bg_vmm_firecracker;
	strcpy(v.accel, "tcg");
	ok(!bg_vmm_firecracker.emulated(&v), "Firecracker never is");

	ok(bg_vmm_choose("qemu", NULL) == &bg_vmm_qemu, "bg_vmm_choose qemu");
	ok(bg_vmm_choose("firecracker", NULL) == &bg_vmm_firecracker,
	    "bg_vmm_choose firecracker (no check of the host)");
	ok(bg_vmm_choose("bogus", NULL) == NULL, "bg_vmm_choose bogus: NULL");
	snprintf(p, sizeof(p), "%s/no/firecracker", root);
	ok(bg_vmm_choose("auto", p) == &bg_vmm_qemu,
	    "bg_vmm_choose auto without a Firecracker binary: qemu");
	ok(bg_vmm_choose(NULL, p) == &bg_vmm_qemu &&
		bg_vmm_choose("", p) == &bg_vmm_qemu,
	    "  NULL and \"\" are auto");

	/* bg_vmm_bin: the VM's own binary, checked on the host. */
	snprintf(p, sizeof(p), "%s/fc-bin", root);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd >= 0)
		close(fd);
	chmod(p, 0755);
	v = *vm;
	cpy(v.vmm_bin, sizeof(v.vmm_bin), p);
	is_int(bg_vmm_bin(&v, bin, sizeof(bin)), 0, "bg_vmm_bin: vm.json's");
	is_str(bin, p, "  that very path");
	chmod(p, 0644);
	is_int(bg_vmm_bin(&v, bin, sizeof(bin)), -EACCES,
	    "bg_vmm_bin: not executable: -EACCES");
	unlink(p);
	is_int(bg_vmm_bin(&v, bin, sizeof(bin)), -ENOENT,
	    "bg_vmm_bin: gone: -ENOENT");
	cpy(v.vmm_bin, sizeof(v.vmm_bin), root);
	is_int(bg_vmm_bin(&v, bin, sizeof(bin)), -EISDIR,
	    "bg_vmm_bin: a directory: -EISDIR");
	v.vmm = NULL;
	is_int(bg_vmm_bin(&v, bin, sizeof(bin)), -EINVAL,
	    "bg_vmm_bin: no driver: -EINVAL");
}

/* bg_vm_path: the paths other programs open, under BANGER_ROOT. */
static void
test_paths(const struct bg_vm *vm)
{
	static const struct {
		enum bg_vm_file f;
		const char *what, *rel;
	} t[] = {
		{ BG_VMF_ROOTFS, "rootfs",
		    "/var/lib/banger/vms/a/rootfs.ext4" },
		{ BG_VMF_WORK, "work", "/var/lib/banger/vms/a/work.ext4" },
		{ BG_VMF_SERIAL, "serial", "/var/lib/banger/vms/a/serial.log" },
		{ BG_VMF_VMMLOG, "vmmlog", "/var/lib/banger/vms/a/vmm.log" },
		{ BG_VMF_SOCK, "sock", "/run/banger/vms/a/vmm.sock" },
		{ BG_VMF_KERNEL, "kernel",
		    "/var/lib/banger/kernels/debian-6.1.0-27/vmlinux" },
		{ BG_VMF_INITRD, "initrd",
		    "/var/lib/banger/kernels/debian-6.1.0-27/initrd.img" },
		{ BG_VMF_IMAGE, "image",
		    "/var/lib/banger/images/test/rootfs.ext4" },
		{ BG_VMF_MODULES, "modules",
		    "/var/lib/banger/kernels/debian-6.1.0-27/modules.ext4" },
	};
	struct bg_vmh h = BG_VMH_INIT;
	char got[PATH_MAX], want[PATH_MAX];
	size_t i;

	h.vm = *vm;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), "%s%s", root, t[i].rel);
		got[0] = '\0';
		is_int(bg_vm_path(&h, t[i].f, got, sizeof(got)), 0, "path %s",
		    t[i].what);
		is_str(got, want, "  %s", t[i].rel);
	}
	strcpy(h.vm.name, "../x");
	got[0] = '\0';
	is_int(bg_vm_path(&h, BG_VMF_ROOTFS, got, sizeof(got)), -EINVAL,
	    "path: ../x as name refused");
	is_str(got, "", "  and nothing half-filled");
	is_int(bg_vm_path(&h, BG_VMF_SOCK, got, sizeof(got)), -EINVAL,
	    "  for the socket too");
	h.vm = *vm;
	strcpy(h.vm.kernel, "..");
	is_int(bg_vm_path(&h, BG_VMF_KERNEL, got, sizeof(got)), -EINVAL,
	    "path: .. as kernel refused");
	is_int(bg_vm_path(&h, BG_VMF_INITRD, got, sizeof(got)), -EINVAL,
	    "  for the initrd too");
	is_int(bg_vm_path(&h, BG_VMF_MODULES, got, sizeof(got)), -EINVAL,
	    "  for the modules disk too");
	is_int(bg_vm_modules(&h, got, sizeof(got)), -EINVAL,
	    "  and bg_vm_modules");
	h.vm = *vm;
	strcpy(h.vm.image, "a/b");
	is_int(bg_vm_path(&h, BG_VMF_IMAGE, got, sizeof(got)), -EINVAL,
	    "path: a/b as image refused");
	h.vm = *vm;
	is_int(bg_vm_path(&h, (enum bg_vm_file)99, got, sizeof(got)), -EINVAL,
	    "path: an unknown file refused");
	is_int(bg_vm_path(&h, BG_VMF_SOCK, got, 10), -ENAMETOOLONG,
	    "path: a short buffer");
}

static void
write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		printf("# cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* fd is the directory root + rel. */
static bool
fd_is(int fd, const char *rel)
{
	char l[64], got[PATH_MAX], want[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return false;
	snprintf(l, sizeof(l), "/proc/self/fd/%d", fd);
	n = readlink(l, got, sizeof(got) - 1);
	if (n < 0)
		return false;
	got[n] = '\0';
	snprintf(want, sizeof(want), "%s%s", root, rel);
	if (strcmp(got, want) != 0) {
		printf("#   fd %d is %s, want %s\n", fd, got, want);
		return false;
	}
	return true;
}

/* Open VM name, expecting failure r; err says it. */
static void
open_fails(const char *name, unsigned flags, int want, const char *words,
    const char *what)
{
	struct bg_vmh h;
	struct bg_err err;
	int r;

	memset(&err, 0, sizeof(err));
	r = bg_vm_open(name, flags, &h, &err);
	if (!ok(r == want && err.msg[0] != '\0' &&
		    (words == NULL || strstr(err.msg, words) != NULL),
		"%s", what))
		printf("#   r=%d (want %d) code=%s msg=%s\n", r, want, err.code,
		    err.msg);
	else
		printf("#   %s: %s\n", err.code, err.msg);
	/* (After a failure sfd may hold -errno rather than -1.) */
	ok(h.sfd < 0 && h.rfd < 0, "  and nothing is left open");
	if (r == 0)
		bg_vm_close(&h);
}

static void
test_load_save(const struct bg_vm *vm)
{
	char d[PATH_MAX], f[PATH_MAX + 16], t[PATH_MAX];
	struct bg_vmh h = BG_VMH_INIT, g = BG_VMH_INIT;
	struct bg_err err;
	struct stat st;
	char *big;
	int r;

	memset(&err, 0, sizeof(err));
	snprintf(d, sizeof(d), "%s/var/lib/banger/vms/a", root);
	bg_mkdir_p(d, 0755);

	/* A VM directory without vm.json: only BG_VMH_ANY opens it. */
	open_fails("a", 0, -ENOENT, "half-made",
	    "open of a VM without vm.json");
	r = bg_vm_open("a", BG_VMH_ANY, &h, &err);
	is_int(r, 0, "open with BG_VMH_ANY: the VM's directory alone");
	ok(!h.loaded, "  vm.json not loaded");
	is_str(h.vm.name, "a", "  the name is there");
	is_str(err.code, "not_found", "  err says why: %s", err.msg);
	ok(fd_is(h.sfd, "/var/lib/banger/vms/a"), "  sfd is STATE/vms/a");
	is_int(h.rfd, -1, "  rfd -1: no run directory, none asked for");
	is_int(bg_vm_state(&h), BG_VM_BROKEN, "  its state: broken");

	h.vm = *vm;
	is_int(bg_vm_save(&h), 0, "save");
	snprintf(f, sizeof(f), "%s/vm.json", d);
	ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "vm.json is 0644");
	bg_vm_close(&h);
	ok(h.sfd == -1 && h.rfd == -1, "close: both fds -1");
	bg_vm_close(&h);
	ok(h.sfd == -1, "close twice: harmless");
	is_int(bg_vm_save(&h), -EBADF, "save on a closed handle fails");

	r = bg_vm_open("a", 0, &h, &err);
	is_int(r, 0, "open");
	ok(h.loaded, "  loaded");
	ok(memcmp(&h.vm, vm, sizeof(h.vm)) == 0, "  gives back what was saved");
	is_int(h.rfd, -1, "  no run directory yet");
	is_int(bg_vm_state(&h), BG_VM_STOPPED, "  its state: stopped");
	is_int(bg_vm_connect(&h, bg_now_ms() + 1000, BG_CONNECT_WAIT), -ENOENT,
	    "  no control socket without a run directory");

	/* save never writes what open would refuse. */
	h.vm.slot = 1;
	is_int(bg_vm_save(&h), -EINVAL, "save refuses what open would refuse");
	h.vm = *vm;
	h.vm.vmm = NULL;
	ok(bg_vm_save(&h) < 0, "save refuses a VM without a driver");
	bg_vm_close(&h);
	is_int(bg_vm_open("a", 0, &h, &err), 0, "  and the file is unchanged");
	is_int(h.vm.slot, 2, "  slot still 2");
	ok(h.vm.vmm == &bg_vmm_qemu, "  driver still qemu");
	bg_vm_close(&h);

	/* BG_VMH_RUNDIR makes RUN/vms/<name>; later opens find it. */
	r = bg_vm_open("a", BG_VMH_RUNDIR, &g, &err);
	is_int(r, 0, "open with BG_VMH_RUNDIR");
	ok(fd_is(g.rfd, "/run/banger/vms/a"), "  rfd is RUN/vms/a");
	snprintf(t, sizeof(t), "%s/run/banger/vms/a", root);
	ok(stat(t, &st) == 0 && S_ISDIR(st.st_mode), "  which now exists");
	bg_vm_close(&g);
	is_int(bg_vm_open("a", 0, &h, &err), 0, "open without the flag");
	ok(fd_is(h.rfd, "/run/banger/vms/a"), "  opens the run directory too");
	bg_vm_close(&h);

	open_fails("nope", 0, -ENOENT, "no VM named \"nope\"",
	    "open of a missing VM");
	r = bg_vm_open("nope", 0, &h, &err);
	is_str(err.code, "not_found", "  is not_found");
	ok(strstr(err.msg, "banger vm list") != NULL,
	    "  and says where to look");
	open_fails("nope", BG_VMH_ANY | BG_VMH_RUNDIR, -ENOENT, NULL,
	    "open of a missing VM, whatever the flags");
	open_fails("../a", 0, -EINVAL, "is not a VM name",
	    "open of ../a refused");
	open_fails("A", 0, -EINVAL, NULL, "open of A refused");
	open_fails("", 0, -EINVAL, NULL, "open of \"\" refused");
	open_fails(NULL, 0, -EINVAL, NULL, "open of NULL refused");

	/* A vm.json that names another VM. */
	snprintf(d, sizeof(d), "%s/var/lib/banger/vms/b", root);
	bg_mkdir_p(d, 0755);
	snprintf(f, sizeof(f), "%s/vm.json", d);
	write_file(f, base_json, strlen(base_json));
	open_fails("b", 0, -EINVAL, "names another VM",
	    "vm.json of b naming a: refused");
	r = bg_vm_open("b", BG_VMH_ANY, &h, &err);
	ok(r == 0 && !h.loaded, "  BG_VMH_ANY opens it, not loaded");
	is_str(h.vm.name, "b", "  its name is the directory's");
	is_int(bg_vm_state(&h), BG_VM_BROKEN, "  its state: broken");
	bg_vm_close(&h);
	{
		char other[sizeof(base_json) + 8];
		char *c;

		/* b's own name, but a slot out of range. */
		cpy(other, sizeof(other), base_json);
		c = strstr(other, "\"name\":\"a\"");
		c[8] = 'b';
		c = strstr(other, "\"slot\":2");
		c[7] = '1';
		write_file(f, other, strlen(other));
		open_fails("b", 0, -EINVAL, "'slot'",
		    "vm.json with a bad field: refused, the field named");
	}

	/* Hostile files: the owner writes them, root may read them. */
	unlink(f);
	snprintf(t, sizeof(t), "%s/var/lib/banger/vms/a/vm.json", root);
	if (symlink(t, f) < 0)
		printf("# symlink: %s\n", strerror(errno));
	open_fails("b", 0, -EINVAL, "not a regular file",
	    "vm.json a symlink: refused");
	unlink(f);
	if (mkfifo(f, 0644) < 0)
		printf("# mkfifo: %s\n", strerror(errno));
	alarm(10);
	open_fails("b", 0, -EINVAL, "not a regular file",
	    "vm.json a FIFO: refused, without blocking");
	alarm(0);
	unlink(f);
	if (mkdir(f, 0755) < 0)
		printf("# mkdir: %s\n", strerror(errno));
	open_fails("b", 0, -EISDIR, NULL, "vm.json a directory: refused");
	rmdir(f);
	big = malloc(70000);
	memset(big, ' ', 70000);
	memcpy(big, base_json, strlen(base_json));
	write_file(f, big, 70000);
	free(big);
	open_fails("b", 0, -EFBIG, "larger than 64 KiB",
	    "vm.json over 64 KiB: refused");
	write_file(f, "{\"name\":", 8);
	open_fails("b", 0, -EBADMSG, "not a JSON object",
	    "vm.json not JSON: refused");
	write_file(f, "{}\0{}", 5);
	open_fails("b", 0, -EBADMSG, NULL, "vm.json with a NUL: refused");
	write_file(f, "[]", 2);
	open_fails("b", 0, -EBADMSG, NULL, "vm.json an array: refused");
	unlink(f);
	open_fails("b", 0, -ENOENT, "banger vm prune",
	    "a directory without vm.json");
	is_int(rmdir(d), 0, "(the directory of b removed)");
	snprintf(t, sizeof(t), "%s/var/lib/banger/vms/a", root);
	if (symlink(t, d) < 0)
		printf("# symlink: %s\n", strerror(errno));
	memset(&err, 0, sizeof(err));
	r = bg_vm_open("b", BG_VMH_ANY, &h, &err);
	ok((r == -ENOTDIR || r == -ELOOP) &&
		strcmp(err.code, "bad_request") == 0,
	    "a VM directory that is a symlink: refused, even with BG_VMH_ANY");
	printf("#   %s\n", err.msg);
	ok(h.sfd < 0 && h.rfd < 0, "  and nothing is left open");
	unlink(d);

	/* A run directory that is a symlink (to a's). */
	snprintf(d, sizeof(d), "%s/var/lib/banger/vms/c", root);
	bg_mkdir_p(d, 0755);
	h.vm = *vm;
	strcpy(h.vm.name, "c");
	h.sfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(bg_vm_save(&h), 0, "(VM c saved)");
	bg_vm_close(&h);
	snprintf(d, sizeof(d), "%s/run/banger/vms/c", root);
	snprintf(t, sizeof(t), "%s/run/banger/vms/a", root);
	if (symlink(t, d) < 0)
		printf("# symlink: %s\n", strerror(errno));
	open_fails("c", 0, -ELOOP, "symlink",
	    "a run directory that is a symlink: refused");
	memset(&err, 0, sizeof(err));
	r = bg_vm_open("c", BG_VMH_RUNDIR, &h, &err);
	ok(r < 0 && h.sfd == -1 && h.rfd == -1,
	    "  also by BG_VMH_RUNDIR, nothing left open");
	printf("#   %s: %s\n", err.code, err.msg);
	unlink(d);
	is_int(bg_vm_open("c", 0, &h, &err), 0, "  without it, c opens");
	bg_vm_close(&h);
}

static void
test_cmdline(const struct bg_vm *vm)
{
	static const char fixed[] =
	    "console=ttyS0 reboot=k panic=1 quiet "
	    "mitigations=off pci=off cryptomgr.notests no_timer_check audit=0 ";
	static const char *const bad_dns[] = { "", "1.2.3", "a", "1.1.1.1,",
		",1.1.1.1", "1.1.1.1,,2.2.2.2",
		"1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", "01.1.1.1",
		"1.1.1.1 2.2.2.2", "256.1.1.1", "::1", "1.1.1.1;x",
		"0x7f.0.0.1", "1.1.1.1/24", NULL };
	static const char *const fc_words[] = { "i8042.noaux", "i8042.nomux",
		"i8042.dumbkbd", "swiotlb=noforce", NULL };
	static const char *const qemu_words[] = { "i8042.nopnp", "i8042.noaux",
		"i8042.nokbd", NULL };
	struct bg_vm v = *vm;
	char buf[1024], want[1024], word[1026];
	size_t len, i;

	is_int(bg_vm_cmdline(vm, "172.16.0.1", 2596096, buf, sizeof(buf)), 0,
	    "cmdline: QEMU TCG, 1 vCPU");
	snprintf(want, sizeof(want),
	    "%si8042.nopnp i8042.noaux i8042.nokbd "
	    "nowatchdog tsc_early_khz=2596096 banger.ip=172.16.0.2/24 "
	    "banger.gw=172.16.0.1 banger.dns=172.16.0.1 banger.hostname=a",
	    fixed);
	is_str(buf, want, "  exactly");
	for (i = 0; qemu_words[i] != NULL; i++) {
		snprintf(word, sizeof(word), " %s ", qemu_words[i]);
		ok(strstr(buf, word) != NULL, "  QEMU's word %s",
		    qemu_words[i]);
	}
	v.vcpu = 2;
	is_int(bg_vm_cmdline(&v, "1.1.1.1,9.9.9.9", 2596096, buf, sizeof(buf)),
	    0, "cmdline: TCG, 2 vCPUs");
	ok(strstr(buf, " tsc_early_khz=2596096 tsc=reliable ") != NULL,
	    "  tsc_early_khz and tsc=reliable");
	ok(strstr(buf, " banger.dns=1.1.1.1,9.9.9.9 ") != NULL,
	    "  two resolvers");
	strcpy(v.accel, "kvm");
	is_int(bg_vm_cmdline(&v, "1.1.1.1,9.9.9.9,8.8.8.8", 2596096, buf,
		   sizeof(buf)),
	    0, "cmdline: QEMU KVM, 2 vCPUs, three resolvers");
	ok(strstr(buf, "tsc") == NULL, "  no TSC flags under KVM: %s", buf);
	is_int(bg_vm_cmdline(vm, "172.16.0.1", -ENOENT, buf, sizeof(buf)), 0,
	    "cmdline: TCG, TSC unknown");
	ok(strstr(buf, "tsc_early_khz") == NULL, "  tsc_early_khz left out");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", 0, buf, sizeof(buf)), 0,
	    "cmdline: TCG, TSC 0");
	ok(strstr(buf, "tsc_early_khz") == NULL, "  tsc_early_khz left out");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", 100000001, buf, sizeof(buf)),
	    -EINVAL, "cmdline: a 100 GHz TSC is refused");

	v = *vm;
	v.vmm = &bg_vmm_firecracker;
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 0, buf, sizeof(buf)), 0,
	    "cmdline: Firecracker");
	snprintf(want, sizeof(want),
	    "%si8042.noaux i8042.nomux i8042.dumbkbd "
	    "swiotlb=noforce nowatchdog banger.ip=172.16.0.2/24 "
	    "banger.gw=172.16.0.1 banger.dns=172.16.0.1 banger.hostname=a",
	    fixed);
	is_str(buf, want, "  Firecracker's own words (its i8042 keyboard)");
	for (i = 0; fc_words[i] != NULL; i++) {
		snprintf(word, sizeof(word), " %s ", fc_words[i]);
		ok(strstr(buf, word) != NULL, "  has %s", fc_words[i]);
	}
	snprintf(word, sizeof(word), " %s ", buf);
	ok(strstr(word, " i8042.nopnp ") == NULL,
	    "  no i8042.nopnp: SendCtrlAltDel must reach the guest");
	v.vcpu = 2;
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 2596096, buf, sizeof(buf)), 0,
	    "cmdline: Firecracker, 2 vCPUs, a TSC given");
	ok(strstr(buf, "tsc") == NULL,
	    "  no TSC words (the guest is not emulated, whatever accel says)");
	v.vmm = NULL;
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: a VM without a driver refused");

	v = *vm;
	v.slot = 9;
	strcpy(v.ip, "172.16.0.77");
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 0, buf, sizeof(buf)), 0,
	    "cmdline: the address comes from the slot");
	ok(strstr(buf, "banger.ip=172.16.0.9/24 ") != NULL,
	    "  not from vm->ip");
	v.slot = 1;
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: slot 1 refused");
	v = *vm;
	strcpy(v.name, "A B");
	is_int(bg_vm_cmdline(&v, "172.16.0.1", 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: a bad hostname refused");

	for (i = 0; bad_dns[i] != NULL; i++)
		is_int(bg_vm_cmdline(vm, bad_dns[i], 0, buf, sizeof(buf)),
		    -EINVAL, "cmdline: dns '%s' refused", bad_dns[i]);
	is_int(bg_vm_cmdline(vm, NULL, 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: dns NULL refused");
	is_int(bg_vm_cmdline(NULL, "172.16.0.1", 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: vm NULL refused");

	is_int(bg_vm_cmdline(vm, "172.16.0.1", 2596096, buf, sizeof(buf)), 0,
	    "cmdline: once more, to measure it");
	len = strlen(buf);
	is_int(bg_vm_cmdline(vm, "172.16.0.1", 2596096, buf, len + 1), 0,
	    "cmdline: a buffer of exactly the right size");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", 2596096, buf, len),
	    -ENAMETOOLONG, "cmdline: one byte short: -ENAMETOOLONG");
	is_str(buf, "", "  and an empty string, not a cut one");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", 2596096, buf, 10), -ENAMETOOLONG,
	    "cmdline: a short buffer");

	{
		long khz = bg_host_tsc_khz();

		ok(khz > 100000 && khz < 100000000, "bg_host_tsc_khz: %ld kHz",
		    khz);
	}
}

/*
 * The kernel's modules.ext4 of h's VM: 0 none, 1 a regular file, 2 a
 * directory (a broken bundle).
 */
static void
set_modules(const struct bg_vmh *h, int kind)
{
	char p[PATH_MAX], d[PATH_MAX];
	char *slash;

	bg_vm_path(h, BG_VMF_MODULES, p, sizeof(p));
	cpy(d, sizeof(d), p);
	if ((slash = strrchr(d, '/')) != NULL)
		*slash = '\0';
	bg_mkdir_p(d, 0755);
	unlink(p);
	rmdir(p);
	if (kind == 1)
		write_file(p, "ext4", 4);
	else if (kind == 2 && mkdir(p, 0755) < 0)
		printf("# mkdir %s: %s\n", p, strerror(errno));
}

/* d's argv with BANGER_ROOT set to root + suffix, then back to root. */
static int
with_root(const char *suffix, const struct bg_vmm *d, const struct bg_vmh *h,
    const char *bin, char ***argv)
{
	char other[PATH_MAX];
	int r;

	snprintf(other, sizeof(other), "%s%s", root, suffix);
	setenv("BANGER_ROOT", other, 1);
	r = d->argv(h, bin, "c", argv);
	setenv("BANGER_ROOT", root, 1);
	return r;
}

static void
test_qemu_argv(const struct bg_vm *vm)
{
	enum { KERNEL, INITRD, SERIAL, ROOTFS, WORK, SOCK, NP };
	static const enum bg_vm_file files[NP] = { BG_VMF_KERNEL, BG_VMF_INITRD,
		BG_VMF_SERIAL, BG_VMF_ROOTFS, BG_VMF_WORK, BG_VMF_SOCK };
	struct bg_vmh h = BG_VMH_INIT;
	char **argv = NULL, want_s[64][PATH_MAX + 64], p[NP][PATH_MAX];
	char longroot[160];
	const char *want[64];
	size_t n = 0, i;
	int r;

	h.vm = *vm;
	for (i = 0; i < NP; i++)
		bg_vm_path(&h, files[i], p[i], sizeof(p[i]));
#define W(...) \
	do { \
		snprintf(want_s[n], sizeof(want_s[n]), __VA_ARGS__); \
		want[n] = want_s[n]; \
		n++; \
	} while (0)
	W("/usr/bin/qemu-system-x86_64");
	W("-name");
	W("banger-vm-a");
	W("-M");
	W("microvm");
	W("-nodefaults");
	W("-no-user-config");
	W("-display");
	W("none");
	W("-no-reboot");
	W("-sandbox");
	W("on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	  "resourcecontrol=deny");
	W("-accel");
	W("tcg,tb-size=128");
	W("-cpu");
	W("max");
	W("-smp");
	W("1");
	W("-m");
	W("1024M");
	W("-kernel");
	W("%s", p[KERNEL]);
	W("-initrd");
	W("%s", p[INITRD]);
	W("-append");
	W("console=ttyS0 x=1");
	W("-chardev");
	W("file,id=ser,path=%s,append=on", p[SERIAL]);
	W("-serial");
	W("chardev:ser");
	W("-device");
	W("virtio-blk-device,drive=root");
	W("-drive");
	W("id=root,if=none,format=raw,discard=unmap,file=%s", p[ROOTFS]);
	W("-device");
	W("virtio-blk-device,drive=work");
	W("-drive");
	W("id=work,if=none,format=raw,discard=unmap,file=%s", p[WORK]);
	W("-netdev");
	W("tap,id=net0,ifname=bgtap2,script=no,downscript=no,vnet_hdr=on");
	W("-device");
	W("virtio-net-device,netdev=net0,mac=06:00:ac:10:00:02");
	W("-qmp");
	W("unix:%s,server=on,wait=off", p[SOCK]);
#undef W
	ok(strstr(p[SOCK], "/run/banger/vms/a/vmm.sock") != NULL,
	    "qemu argv: the socket under the run root (%s)", p[SOCK]);
	r = bg_vmm_qemu.argv(&h, "/usr/bin/qemu-system-x86_64",
	    "console=ttyS0 x=1", &argv);
	is_int(r, 0, "qemu argv");
	for (i = 0; r == 0 && i < n; i++)
		if (argv[i] == NULL || strcmp(argv[i], want[i]) != 0)
			break;
	if (!ok(r == 0 && i == n && argv[n] == NULL,
		"  every argument, in order, NULL-terminated"))
		printf("#   at %zu: got '%s', want '%s'\n", i,
		    argv && argv[i] ? argv[i] : "(null)",
		    i < n ? want[i] : "(end)");
	bg_argv_free(argv);

	h.vm = *vm;
	strcpy(h.vm.accel, "kvm");
	h.vm.vcpu = 4;
	h.vm.memory_mib = 4096;
	r = bg_vmm_qemu.argv(&h, "/usr/bin/qemu-system-x86_64", "c", &argv);
	is_int(r, 0, "qemu argv under KVM");
	if (r == 0) {
		is_str(argv[13], "kvm", "  -accel kvm");
		is_str(argv[15], "host", "  -cpu host");
		is_str(argv[17], "4", "  -smp 4");
		is_str(argv[19], "4096M", "  -m 4096M");
		bg_argv_free(argv);
	}

	/*
	 * A kernel with a modules.ext4: a third disk, read-only, after the
	 * work disk (so /dev/vdc), and banger.modules=/dev/vdc appended.
	 */
	h.vm = *vm;
	ok(bg_vm_modules(&h, p[0], sizeof(p[0])) == 0,
	    "bg_vm_modules: the kernel has no modules.ext4: 0");
	set_modules(&h, 1);
	is_int(bg_vm_modules(&h, p[0], sizeof(p[0])), 1,
	    "bg_vm_modules: it has one: 1");
	ok(strstr(p[0], "/kernels/debian-6.1.0-27/modules.ext4") != NULL,
	    "  and its path (%s)", p[0]);
	r = bg_vmm_qemu.argv(&h, "/usr/bin/qemu-system-x86_64",
	    "console=ttyS0 x=1", &argv);
	is_int(r, 0, "qemu argv with the kernel's modules.ext4");
	for (i = 0; r == 0 && i < n && argv[i] != NULL; i++)
		if (strcmp(argv[i], "-netdev") == 0)
			break;
	if (r == 0 && i >= 4 && argv[i] != NULL) {
		is_str(argv[i - 4], "-device", "  -device before -netdev");
		is_str(argv[i - 3], "virtio-blk-device,drive=modules",
		    "  a third virtio-blk device, after the work disk");
		is_str(argv[i - 2], "-drive", "  -drive");
		snprintf(want_s[0], sizeof(want_s[0]),
		    "id=modules,if=none,format=raw,readonly=on,file=%s", p[0]);
		is_str(argv[i - 1], want_s[0], "  read-only, raw");
		is_str(argv[25], "console=ttyS0 x=1 banger.modules=/dev/vdc",
		    "  -append: banger.modules=/dev/vdc at the end");
		is_str(argv[i - 5], want[i - 5], "  the work disk just before");
	} else
		ok(0, "  no -netdev in the argv");
	bg_argv_free(argv);
	set_modules(&h, 2);
	is_int(bg_vm_modules(&h, p[0], sizeof(p[0])), -EINVAL,
	    "bg_vm_modules: a modules.ext4 that is a directory: -EINVAL");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu-system-x86_64", "c", &argv),
	    -EINVAL, "  and qemu argv refuses it");
	set_modules(&h, 0);
	for (i = 0; i < NP; i++)
		bg_vm_path(&h, files[i], p[i], sizeof(p[i]));

	/* ',' would start another QEMU option: refused, wherever it is. */
	h.vm = *vm;
	argv = (char **)1;
	is_int(with_root("/x,file=y", &bg_vmm_qemu, &h, "/usr/bin/qemu", &argv),
	    -EINVAL, "a ',' in the paths (BANGER_ROOT) is refused");
	ok(argv == NULL, "  no argv");
	strcpy(h.vm.kernel, "k,1");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a ',' in the kernel name is refused");
	h.vm = *vm;
	memset(longroot, 'l', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	is_int(with_root(longroot, &bg_vmm_qemu, &h, "/usr/bin/qemu", &argv),
	    -ENAMETOOLONG, "a socket path too long for sun_path is refused");
	is_int(bg_vmm_qemu.argv(&h, "qemu-system-x86_64", "c", &argv), -EINVAL,
	    "a qemu binary that is not an absolute path is refused");
	is_int(bg_vmm_qemu.argv(&h, NULL, "c", &argv), -EINVAL, "  nor NULL");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", NULL, &argv), -EINVAL,
	    "a NULL command line is refused");
	strcpy(h.vm.tap, "eth0");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a tap that is not the slot's is refused");
	h.vm = *vm;
	strcpy(h.vm.mac, "06:00:ac:10:00:03");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a mac that is not the slot's is refused");
	h.vm = *vm;
	strcpy(h.vm.accel, "hvf");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "an unknown accel is refused");
	h.vm = *vm;
	h.vm.vcpu = 33;
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "33 vCPUs are refused");
	h.vm = *vm;
	h.vm.memory_mib = 64;
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "64 MiB are refused");
	h.vm = *vm;
	strcpy(h.vm.name, "../x");
	is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a bad VM name is refused");
	h.vm = *vm;
	{
		char *longc = malloc(3000);

		memset(longc, 'a', 2999);
		longc[2999] = '\0';
		is_int(bg_vmm_qemu.argv(&h, "/usr/bin/qemu", longc, &argv),
		    -EINVAL, "a command line over 2047 bytes is refused");
		free(longc);
	}
}

static void
test_fc_argv(const struct bg_vm *vm)
{
	struct bg_vmh h = BG_VMH_INIT;
	char sock[PATH_MAX], log[PATH_MAX], longroot[160];
	char **argv = NULL;

	h.vm = *vm;
	h.vm.vmm = &bg_vmm_firecracker;
	bg_vm_path(&h, BG_VMF_SOCK, sock, sizeof(sock));
	snprintf(log, sizeof(log), "%s/var/lib/banger/vms/a/firecracker.log",
	    root);
	is_int(bg_vmm_firecracker.argv(&h, "/usr/bin/firecracker", "c", &argv),
	    0, "fc argv");
	if (argv != NULL) {
		is_str(argv[0], "/usr/bin/firecracker", "  the binary");
		is_str(argv[1], "--api-sock", "  --api-sock");
		is_str(argv[2], sock, "  RUN/vms/a/vmm.sock");
		is_str(argv[3], "--log-path", "  --log-path");
		is_str(argv[4], log, "  STATE/vms/a/firecracker.log");
		ok(argv[5] == NULL, "  and nothing else");
		bg_argv_free(argv);
	}
	argv = (char **)1;
	is_int(bg_vmm_firecracker.argv(&h, "firecracker", "c", &argv), -EINVAL,
	    "fc argv: a relative binary is refused");
	ok(argv == NULL, "  no argv");
	is_int(bg_vmm_firecracker.argv(&h, NULL, "c", &argv), -EINVAL,
	    "fc argv: nor NULL");
	strcpy(h.vm.name, "../x");
	is_int(bg_vmm_firecracker.argv(&h, "/usr/bin/firecracker", "c", &argv),
	    -EINVAL, "fc argv: a bad VM name is refused");
	h.vm = *vm;
	memset(longroot, 'l', sizeof(longroot) - 1);
	longroot[0] = '/';
	longroot[sizeof(longroot) - 1] = '\0';
	is_int(with_root(longroot, &bg_vmm_firecracker, &h,
		   "/usr/bin/firecracker", &argv),
	    -ENAMETOOLONG,
	    "fc argv: a socket path too long for sun_path is refused");
}

/* ---- fake servers ---------------------------------------------------- */

static int
bound_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("# bind %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int
listen_at(const char *path)
{
	int fd = bound_at(path);

	if (listen(fd, 8) < 0) {
		printf("# listen %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* One line (without '\n') from fd, for the fake servers; NULL at EOF. */
static char *
get_line(int fd)
{
	static char buf[8192];
	size_t n = 0;

	while (n + 1 < sizeof(buf)) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return NULL;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return buf;
}

static void
put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) < 0)
		_exit(3);
}

/* The child's half: fails loudly (exit 2) when the client says else. */
static void
expect(int fd, const char *want)
{
	char *got = get_line(fd);

	if (got == NULL || strcmp(got, want) != 0) {
		fprintf(stderr, "# fake: got '%s', want '%s'\n",
		    got ? got : "(EOF)", want);
		_exit(2);
	}
}

static pid_t
fork_server(const char *path, void (*fn)(int))
{
	int lfd = listen_at(path);
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(60);
		fn(lfd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static int
reap(pid_t pid)
{
	int st = -1;

	waitpid(pid, &st, 0);
	return st;
}

/* ---- the control socket's connect ------------------------------------ */

static void
test_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[PATH_MAX], buf[8], longp[200];
	int64_t t0;
	pid_t pid;
	int p[2], fd, lfd, c, r, n, i, queued[64];

	snprintf(path, sizeof(path), "%s/late.sock", root);

	/* Bound, not yet listening for 200 ms: the connect waits for it. */
	if (pipe(p) < 0)
		printf("# pipe: %s\n", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(10);
		close(p[0]);
		lfd = bound_at(path);
		if (write(p[1], "b", 1) != 1)
			_exit(3);
		usleep(200000);
		if (listen(lfd, 8) < 0)
			_exit(4);
		c = accept(lfd, NULL, NULL);
		put(c, "hi");
		close(c);
		_exit(0);
	}
	close(p[1]);
	ok(read(p[0], buf, 1) == 1, "(the server has bound its socket)");
	close(p[0]);
	t0 = bg_now_ms();
	fd = bg_vmm_connect(path, t0 + 5000, BG_CONNECT_WAIT);
	ok(fd >= 0, "bg_vmm_connect: bound, listening 200 ms later: connected");
	ok(bg_now_ms() - t0 >= 150, "  once it listened (%lld ms)",
	    (long long)(bg_now_ms() - t0));
	r = fd >= 0 ?
	    (int)bg_read_deadline(fd, buf, sizeof(buf), bg_now_ms() + 5000) :
	    -1;
	ok(r == 2 && memcmp(buf, "hi", 2) == 0, "  and it talks");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
		(fcntl(fd, F_GETFL) & O_NONBLOCK),
	    "  O_CLOEXEC, non-blocking");
	if (fd >= 0)
		close(fd);
	is_int(reap(pid), 0, "  (the late server exited 0)");

	/* Not there at all yet: it appears 200 ms later. */
	unlink(path);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(10);
		usleep(200000);
		lfd = listen_at(path);
		c = accept(lfd, NULL, NULL);
		put(c, "hi");
		close(c);
		_exit(0);
	}
	t0 = bg_now_ms();
	fd = bg_vmm_connect(path, t0 + 5000, BG_CONNECT_WAIT);
	ok(fd >= 0, "bg_vmm_connect: a socket made 200 ms later: connected");
	ok(bg_now_ms() - t0 >= 150, "  once it was there (%lld ms)",
	    (long long)(bg_now_ms() - t0));
	r = fd >= 0 ?
	    (int)bg_read_deadline(fd, buf, sizeof(buf), bg_now_ms() + 5000) :
	    -1;
	ok(r == 2 && memcmp(buf, "hi", 2) == 0, "  and it talks");
	if (fd >= 0)
		close(fd);
	is_int(reap(pid), 0, "  (the server exited 0)");

	/* A deadline already passed: one try, no wait. */
	unlink(path);
	t0 = bg_now_ms();
	is_int(bg_vmm_connect(path, t0 - 1, BG_CONNECT_WAIT), -ENOENT,
	    "bg_vmm_connect: no socket, deadline passed: -ENOENT");
	ok(bg_now_ms() - t0 < 100, "  at once");
	t0 = bg_now_ms();
	is_int(bg_vmm_connect(path, t0 + 300, BG_CONNECT_WAIT), -ENOENT,
	    "bg_vmm_connect: no socket for 300 ms: -ENOENT");
	r = (int)(bg_now_ms() - t0);
	ok(r >= 250 && r < 2000, "  at the deadline (%d ms)", r);
	/* Without BG_CONNECT_WAIT a missing socket is not listening: at once. */
	t0 = bg_now_ms();
	is_int(bg_vmm_connect(path, t0 + 2000, 0), -ENOENT,
	    "bg_vmm_connect without WAIT: no socket: -ENOENT");
	ok(bg_now_ms() - t0 < 100, "  at once, deadline or not");
	lfd = bound_at(path);
	t0 = bg_now_ms();
	is_int(bg_vmm_connect(path, t0 + 300, BG_CONNECT_WAIT), -ECONNREFUSED,
	    "bg_vmm_connect: bound, never listening: -ECONNREFUSED");
	r = (int)(bg_now_ms() - t0);
	ok(r >= 250 && r < 2000, "  at the deadline (%d ms)", r);

	/* A full backlog: waits for room, or times out. */
	if (listen(lfd, 0) < 0)
		printf("# listen: %s\n", strerror(errno));
	cpy(sa.sun_path, sizeof(sa.sun_path), path);
	for (n = 0; n < 64; n++) {
		queued[n] = socket(AF_UNIX,
		    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (connect(queued[n], (struct sockaddr *)&sa, sizeof(sa)) <
		    0) {
			close(queued[n]);
			break;
		}
	}
	ok(n > 0 && n < 64 && errno == EAGAIN,
	    "(the backlog is full after %d connects)", n);
	t0 = bg_now_ms();
	is_int(bg_vmm_connect(path, t0 + 300, BG_CONNECT_WAIT), -ETIMEDOUT,
	    "bg_vmm_connect: a full backlog for 300 ms: -ETIMEDOUT");
	r = (int)(bg_now_ms() - t0);
	ok(r >= 250 && r < 2000, "  at the deadline (%d ms)", r);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(10);
		usleep(200000);
		for (;;)
			if ((c = accept(lfd, NULL, NULL)) < 0)
				_exit(0);
	}
	t0 = bg_now_ms();
	fd = bg_vmm_connect(path, t0 + 5000, BG_CONNECT_WAIT);
	ok(fd >= 0,
	    "bg_vmm_connect: a backlog emptied 200 ms later: connected");
	ok(bg_now_ms() - t0 >= 150, "  once there was room (%lld ms)",
	    (long long)(bg_now_ms() - t0));
	kill(pid, SIGKILL);
	reap(pid);
	close(lfd);
	/* bg_vmm_send: a closed peer is -EPIPE, never SIGPIPE. */
	if (fd >= 0) {
		signal(SIGPIPE, SIG_DFL);
		r = bg_vmm_send(fd, "x", 1, bg_now_ms() + 1000);
		if (r == 0)
			r = bg_vmm_send(fd, "x", 1, bg_now_ms() + 1000);
		signal(SIGPIPE, SIG_IGN);
		ok(r == -EPIPE || r == -ECONNRESET,
		    "bg_vmm_send to a closed peer: %s, no SIGPIPE",
		    strerror(-r));
		close(fd);
	}
	for (i = 0; i < n; i++)
		close(queued[i]);
	unlink(path);

	is_int(bg_vmm_connect(NULL, bg_now_ms(), BG_CONNECT_WAIT), -EINVAL,
	    "bg_vmm_connect NULL: -EINVAL");
	is_int(bg_vmm_connect("", bg_now_ms(), BG_CONNECT_WAIT), -EINVAL,
	    "bg_vmm_connect \"\": -EINVAL");
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	is_int(bg_vmm_connect(longp, bg_now_ms(), BG_CONNECT_WAIT),
	    -ENAMETOOLONG,
	    "bg_vmm_connect: too long for sun_path: -ENAMETOOLONG");
}

/* ---- QMP ------------------------------------------------------------- */

#define GREETING \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
	"\"minor\": 2, \"major\": 7}, \"package\": \"\"}, " \
	"\"capabilities\": [\"oob\"]}}\r\n"
#define CAPS "{\"execute\":\"qmp_capabilities\"}"

static void
qmp_server(int lfd)
{
	int c;

	/* 1: query-status, with an event before the answer. */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"query-status\"}");
	put(c,
	    "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
	    "\"event\": \"RESUME\"}\r\n");
	put(c,
	    "{\"return\": {\"status\": \"running\", \"singlestep\": false, "
	    "\"running\": true}}\r\n");
	close(c);
	/* 2: an error answer (the driver's shutdown). */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"system_powerdown\"}");
	put(c,
	    "{\"error\": {\"class\": \"GenericError\", "
	    "\"desc\": \"no \\u001b power\"}}\r\n");
	close(c);
	/* 3: quit, and the connection closes without an answer. */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"quit\"}");
	close(c);
	/* 4: quit, answered then closed (QEMU's way; the driver's quit). */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"quit\"}");
	put(c,
	    "{\"return\": {}}\r\n{\"timestamp\": {\"seconds\": 1, "
	    "\"microseconds\": 2}, \"event\": \"SHUTDOWN\", \"data\": "
	    "{\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n");
	close(c);
	/* 5: no greeting at all: the client must give up at its deadline. */
	c = accept(lfd, NULL, NULL);
	get_line(c);
	close(c);
	/* 6: not QMP. */
	c = accept(lfd, NULL, NULL);
	put(c, "SSH-2.0-dropbear\r\n");
	close(c);
	/* 7: a close in the middle of the command. */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"query-status\"}");
	close(c);
	/* 8: system_powerdown accepted (the driver's shutdown). */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"system_powerdown\"}");
	put(c, "{\"return\": {}}\r\n");
	close(c);
	_exit(0);
}

static void
test_qmp(const struct bg_vmh *h)
{
	char sock[PATH_MAX];
	struct bg_vmh n;
	struct bg_err err;
	cJSON *reply = NULL;
	int64_t t0;
	pid_t pid;
	int r;

	/* The socket beneath the handle's run directory. */
	bg_vm_path(h, BG_VMF_SOCK, sock, sizeof(sock));
	pid = fork_server(sock, qmp_server);
	memset(&err, 0, sizeof(err));
	r = bg_qmp(h, "query-status", &reply, 5000, &err);
	is_int(r, 0, "qmp query-status on RUN/vms/a/vmm.sock");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "status")),
	    "running", "  its return value, the event skipped");
	cJSON_Delete(reply);
	r = bg_vmm_qemu.shutdown(h, &err);
	is_int(r, -EREMOTEIO,
	    "qemu shutdown (system_powerdown): an error answer");
	ok(strstr(err.msg, "no ? power") != NULL,
	    "  its desc, control characters made safe: %s", err.msg);
	is_int(bg_qmp(h, "quit", NULL, 5000, &err), 0,
	    "qmp quit: closed before answering is success");
	is_int(bg_vmm_qemu.quit(h, &err), 0, "qemu quit: answered then closed");
	t0 = bg_now_ms();
	is_int(bg_qmp(h, "query-status", NULL, 300, &err), -ETIMEDOUT,
	    "qmp: no greeting: timeout");
	ok(bg_now_ms() - t0 < 2000, "  at the deadline");
	is_str(err.code, "temporary", "  temporary");
	is_int(bg_qmp(h, "query-status", NULL, 5000, &err), -EPROTO,
	    "qmp: not QMP");
	reply = (cJSON *)1;
	is_int(bg_qmp(h, "query-status", &reply, 5000, &err), -ECONNRESET,
	    "qmp: closed mid-command (not quit): an error");
	ok(reply == NULL, "  no reply");
	is_int(bg_vmm_qemu.shutdown(h, &err), 0,
	    "qemu shutdown: system_powerdown accepted");
	is_int(reap(pid), 0, "the fake QMP server saw what it expected");
	t0 = bg_now_ms();
	is_int(bg_qmp(h, "query-status", NULL, 500, &err), -ECONNREFUSED,
	    "qmp: nobody listening (retried until the deadline)");
	ok(bg_now_ms() - t0 >= 400, "  at the deadline");
	ok(strstr(err.msg, "cannot reach the QMP socket") != NULL,
	    "  says so: %s", err.msg);
	unlink(sock);
	is_int(bg_qmp(h, "query-status", NULL, 500, &err), -ENOENT,
	    "qmp: no socket");
	n = *h;
	n.rfd = -1;
	t0 = bg_now_ms();
	is_int(bg_qmp(&n, "query-status", NULL, 5000, &err), -ENOENT,
	    "qmp: a handle without a run directory: -ENOENT");
	ok(bg_now_ms() - t0 < 1000, "  at once");
	is_int(bg_qmp(h, "a b", NULL, 500, &err), -EINVAL,
	    "qmp: a bad command name");
	is_int(bg_qmp(h, "x\",\"arguments\":{}", NULL, 500, &err), -EINVAL,
	    "qmp: a command name cannot inject JSON");
	is_int(bg_qmp(h, "", NULL, 500, &err), -EINVAL,
	    "qmp: an empty command");
	is_int(bg_qmp(h, NULL, NULL, 500, &err), -EINVAL,
	    "qmp: a NULL command");
}

/* ---- Firecracker ----------------------------------------------------- */

/* Read one HTTP request (head + Content-Length body) as text. */
static char *
get_request(int fd)
{
	static char buf[65536];
	size_t n = 0;
	char *eoh, *cl;
	size_t want = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r <= 0)
			return NULL;
		n += (size_t)r;
		buf[n] = '\0';
		eoh = strstr(buf, "\r\n\r\n");
		if (eoh == NULL)
			continue;
		cl = strstr(buf, "Content-Length: ");
		want = cl != NULL && cl < eoh ? strtoul(cl + 16, NULL, 10) : 0;
		if (n >= (size_t)(eoh + 4 - buf) + want)
			return buf;
	}
}

static void
expect_req(int fd, const char *want)
{
	char *got = get_request(fd);

	if (got == NULL || strcmp(got, want) != 0) {
		fprintf(stderr, "# fake: got request\n%s\n# want\n%s\n",
		    got ? got : "(EOF)", want);
		_exit(2);
	}
}

#define NC \
	"HTTP/1.1 204 \r\nServer: Firecracker API\r\n" \
	"Connection: keep-alive\r\n\r\n"

static char *
fc_put(const char *path, const char *body)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
	    "PUT %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    path, strlen(body), body);
	return buf;
}

static char fc_kernel[1024], fc_initrd[1024], fc_rootfs[1024], fc_work[1024],
    fc_modules[1024];

/* The boot's requests, in order (with the kernel's modules disk or not). */
static void
fc_expect_boot(int lfd, bool mods)
{
	char body[8192];
	int c;

	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    fc_put("/machine-config",
		"{\"vcpu_count\":2,\"mem_size_mib\":1024}"));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body),
	    "{\"kernel_image_path\":\"%s\","
	    "\"initrd_path\":\"%s\",\"boot_args\":\"console=ttyS0 reboot=k "
	    "panic=1 banger.hostname=a%s\"}",
	    fc_kernel, fc_initrd, mods ? " banger.modules=/dev/vdc" : "");
	expect_req(c, fc_put("/boot-source", body));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body),
	    "{\"drive_id\":\"rootfs\","
	    "\"path_on_host\":\"%s\",\"is_root_device\":true,"
	    "\"is_read_only\":false,\"cache_type\":\"Writeback\"}",
	    fc_rootfs);
	expect_req(c, fc_put("/drives/rootfs", body));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body),
	    "{\"drive_id\":\"work\","
	    "\"path_on_host\":\"%s\",\"is_root_device\":false,"
	    "\"is_read_only\":false,\"cache_type\":\"Writeback\"}",
	    fc_work);
	expect_req(c, fc_put("/drives/work", body));
	put(c, NC);
	close(c);
	if (mods) {
		c = accept(lfd, NULL, NULL);
		snprintf(body, sizeof(body),
		    "{\"drive_id\":\"modules\",\"path_on_host\":\"%s\","
		    "\"is_root_device\":false,\"is_read_only\":true}",
		    fc_modules);
		expect_req(c, fc_put("/drives/modules", body));
		put(c, NC);
		close(c);
	}
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    fc_put("/network-interfaces/eth0",
		"{\"iface_id\":\"eth0\",\"guest_mac\":\"06:00:ac:10:00:02\","
		"\"host_dev_name\":\"bgtap2\"}"));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    fc_put("/actions", "{\"action_type\":\"InstanceStart\"}"));
	put(c, NC);
	close(c);
}

static void
fc_server(int lfd)
{
	char body[8192];
	int c;

	/* 1: 204, the exact request bytes checked (the driver's shutdown). */
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    fc_put("/actions", "{\"action_type\":\"SendCtrlAltDel\"}"));
	put(c, NC);
	close(c);
	/* 2: GET, a 200 JSON answer written in pieces. */
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    "GET / HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\n\r\n");
	put(c, "HTTP/1.1 200 \r\nServer: Firecracker API\r\nConn");
	usleep(50000);
	put(c,
	    "ection: keep-alive\r\nContent-Type: application/json\r\n"
	    "content-length: 32\r\n\r\n{\"id\":\"x\",");
	usleep(50000);
	put(c, "\"state\":\"Not started\"}");
	usleep(300000);
	close(c);
	/* 3: 400 with fault_message. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c,
	    "HTTP/1.1 400 \r\nServer: Firecracker API\r\n"
	    "Connection: keep-alive\r\nContent-Type: application/json\r\n"
	    "Content-Length: 88\r\n\r\n"
	    "{\"fault_message\":\"The requested operation is not supported "
	    "after starting the microVM.\"}");
	close(c);
	/* 4: micro_http's own error: not even valid JSON. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	snprintf(body, sizeof(body),
	    "{ \"error\": \"Request payload with size "
	    "60000 is larger than the limit of 51200 allowed by server.\nAll "
	    "previous unanswered requests will be dropped.\" }");
	dprintf(c,
	    "HTTP/1.1 400 \r\nServer: Firecracker API\r\n"
	    "Connection: keep-alive\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	close(c);
	/* 5: an interim 100 Continue, then 204. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 100 \r\nServer: Firecracker API\r\n\r\n" NC);
	close(c);
	/* 6: no Content-Length on a 200: the body runs until the close. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.0 200 OK\r\n\r\n{\"a\":1}");
	close(c);
	/* 7: garbage. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "SSH-2.0-dropbear\r\n\r\n");
	close(c);
	/* 8: a body larger than the client's cap. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 200 \r\nContent-Length: 99999999\r\n\r\n{}");
	close(c);
	/* 9: closed in the middle of the body. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 200 \r\nContent-Length: 100\r\n\r\n{\"a\":");
	close(c);
	/* 10: no answer: the client's deadline. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	sleep(1);
	close(c);
	/* 11: a 2xx whose body is not JSON. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 200 \r\nContent-Length: 5\r\n\r\nhello");
	close(c);
	/* 12: chunked: refused. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c,
	    "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\n{}\r\n0\r\n\r\n");
	close(c);
	/* 13: two requests on one connection (the fd stays the caller's). */
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    "GET /a HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\n\r\n");
	put(c, NC);
	expect_req(c,
	    "GET /b HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\n\r\n");
	put(c, "HTTP/1.1 200 \r\nContent-Length: 7\r\n\r\n{\"b\":2}");
	close(c);

	/* 14: boot, every request as Firecracker's API wants it. */
	fc_expect_boot(lfd, false);
	/* 14b: the same with the kernel's modules.ext4: /dev/vdc, read-only. */
	fc_expect_boot(lfd, true);

	/* 15: boot stops at the first refusal. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c,
	    "HTTP/1.1 400 \r\nServer: Firecracker API\r\n"
	    "Connection: keep-alive\r\nContent-Type: application/json\r\n"
	    "Content-Length: 111\r\n\r\n"
	    "{\"fault_message\":\"Boot source error: The kernel file cannot be "
	    "opened: No such file or directory (os error 2)\"}");
	close(c);
	/* Nothing else may come: the next connection is the end marker. */
	c = accept(lfd, NULL, NULL);
	expect_req(c,
	    "GET /end HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\n\r\n");
	put(c, NC);
	close(c);
	_exit(0);
}

/*
 * One request on a connection of its own (bg_vm_connect), as the
 * driver makes them; the fd must still be open afterwards.
 */
static int
fcreq(const struct bg_vmh *h, const char *method, const char *path,
    const char *body, int *st, cJSON **reply, int timeout_ms,
    struct bg_err *err)
{
	int64_t deadline = bg_now_ms() + timeout_ms;
	int fd, r;

	if (st != NULL)
		*st = -1;
	fd = bg_vm_connect(h, deadline, BG_CONNECT_WAIT);
	if (fd < 0)
		return fd;
	r = bg_fc_request(fd, method, path, body, st, reply, deadline, err);
	if (fcntl(fd, F_GETFD) < 0) {
		printf("# bg_fc_request closed its fd\n");
		r = -9999;
	}
	close(fd);
	return r;
}

static void
test_fc(struct bg_vmh *h)
{
	static const char boot_args[] =
	    "console=ttyS0 reboot=k panic=1 banger.hostname=a";
	char sock[PATH_MAX], big[60000], p[PATH_MAX], one[8];
	struct bg_vmh n;
	struct bg_vm saved = h->vm;
	struct bg_err err;
	cJSON *reply = NULL;
	int64_t t0;
	pid_t pid;
	int st, r, fd, sp[2];

	h->vm.vmm = &bg_vmm_firecracker;
	strcpy(h->vm.accel, "kvm");
	bg_vm_path(h, BG_VMF_KERNEL, p, sizeof(p));
	cpy(fc_kernel, sizeof(fc_kernel), p);
	bg_vm_path(h, BG_VMF_INITRD, p, sizeof(p));
	cpy(fc_initrd, sizeof(fc_initrd), p);
	bg_vm_path(h, BG_VMF_ROOTFS, p, sizeof(p));
	cpy(fc_rootfs, sizeof(fc_rootfs), p);
	bg_vm_path(h, BG_VMF_WORK, p, sizeof(p));
	cpy(fc_work, sizeof(fc_work), p);
	bg_vm_path(h, BG_VMF_MODULES, p, sizeof(p));
	cpy(fc_modules, sizeof(fc_modules), p);

	/* The socket beneath the handle's run directory. */
	bg_vm_path(h, BG_VMF_SOCK, sock, sizeof(sock));
	pid = fork_server(sock, fc_server);
	memset(&err, 0, sizeof(err));

	is_int(bg_vmm_firecracker.shutdown(h, &err), 0,
	    "fc shutdown: SendCtrlAltDel, 204");
	/* This one by path, as vmm-client does. */
	fd = bg_vmm_connect(sock, bg_now_ms() + 5000, BG_CONNECT_WAIT);
	ok(fd >= 0, "fc: bg_vmm_connect to RUN/vms/a/vmm.sock");
	r = bg_fc_request(fd, "GET", "/", NULL, &st, &reply, bg_now_ms() + 5000,
	    &err);
	is_int(r, 0, "fc: GET /");
	is_int(st, 200, "  200");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "state")),
	    "Not started",
	    "  the body, read in pieces, header names in any case");
	ok(fcntl(fd, F_GETFD) >= 0, "  the fd is left open");
	cJSON_Delete(reply);
	close(fd);
	r = fcreq(h, "PUT", "/boot-source", "{}", &st, &reply, 5000, &err);
	is_int(r, -EREMOTEIO, "fc: 400");
	is_int(st, 400, "  status 400");
	is_str(err.msg,
	    "firecracker: The requested operation is not supported "
	    "after starting the microVM.",
	    "  err is \"firecracker: <fault_message>\"");
	is_str(err.code, "bad_request", "  bad_request");
	ok(reply != NULL, "  the fault body is in reply");
	cJSON_Delete(reply);
	r = fcreq(h, "PUT", "/actions", "{}", &st, NULL, 5000, &err);
	is_int(r, -EREMOTEIO, "fc: micro_http's own 400 (not JSON)");
	ok(strstr(err.msg,
	       "firecracker: Request payload with size 60000 is "
	       "larger") == err.msg,
	    "  its \"error\", made printable: %s", err.msg);
	is_int(fcreq(h, "PUT", "/actions", "{}", &st, NULL, 5000, &err), 0,
	    "fc: 100 Continue, then 204");
	is_int(st, 204, "  204");
	r = fcreq(h, "GET", "/version", NULL, &st, &reply, 5000, &err);
	is_int(r, 0, "fc: no Content-Length: body until the close");
	ok(cJSON_GetObjectItem(reply, "a") != NULL, "  parsed");
	cJSON_Delete(reply);
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: not HTTP");
	is_int(st, 0, "  no status");
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 5000, &err), -EMSGSIZE,
	    "fc: a body over the cap");
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 5000, &err), -ECONNRESET,
	    "fc: closed mid-body");
	t0 = bg_now_ms();
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 300, &err), -ETIMEDOUT,
	    "fc: no answer: the deadline");
	ok(bg_now_ms() - t0 < 900, "  kept");
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: a 200 whose body is not JSON");
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: chunked is refused");
	fd = bg_vm_connect(h, bg_now_ms() + 5000, BG_CONNECT_WAIT);
	is_int(bg_fc_request(fd, "GET", "/a", NULL, &st, NULL,
		   bg_now_ms() + 5000, &err),
	    0, "fc: two requests on one fd: 204");
	r = bg_fc_request(fd, "GET", "/b", NULL, &st, &reply,
	    bg_now_ms() + 5000, &err);
	ok(r == 0 && st == 200 && cJSON_GetObjectItem(reply, "b") != NULL,
	    "  then 200 with its body");
	cJSON_Delete(reply);
	if (fd >= 0)
		close(fd);

	h->vm.vcpu = 2;
	is_int(bg_vmm_firecracker.boot(h, boot_args, &err), 0,
	    "fc boot: machine-config, boot-source, drives, eth0, "
	    "InstanceStart, each on its own connection");
	set_modules(h, 1);
	is_int(bg_vmm_firecracker.boot(h, boot_args, &err), 0,
	    "fc boot with the kernel's modules.ext4: /drives/modules "
	    "read-only after work, banger.modules=/dev/vdc in boot_args");
	set_modules(h, 0);
	is_int(bg_vmm_firecracker.boot(h, "reboot=k panic=1", &err), -EREMOTEIO,
	    "fc boot: a refusal stops it");
	ok(strstr(err.msg,
	       "firecracker: Boot source error: The kernel file "
	       "cannot be opened") == err.msg,
	    "  with Firecracker's words: %s", err.msg);
	is_int(fcreq(h, "GET", "/end", NULL, &st, NULL, 5000, &err), 0,
	    "  and nothing after it");
	is_int(reap(pid), 0,
	    "the fake Firecracker saw exactly the expected requests");

	/* Refused before anything is sent (no server is listening now). */
	t0 = bg_now_ms();
	is_int(bg_vmm_firecracker.boot(h, "console=ttyS0 panic=1", &err),
	    -EINVAL, "fc boot: boot_args without reboot=k refused");
	is_int(bg_vmm_firecracker.boot(h, "xreboot=k panic=1", &err), -EINVAL,
	    "fc boot: reboot=k must be a whole word");
	is_int(bg_vmm_firecracker.boot(h, "reboot=k panic=10", &err), -EINVAL,
	    "fc boot: panic=1 must be a whole word");
	is_int(bg_vmm_firecracker.boot(h, NULL, &err), -EINVAL,
	    "fc boot: no command line refused");
	h->vm.vcpu = 33;
	is_int(bg_vmm_firecracker.boot(h, "reboot=k panic=1", &err), -EINVAL,
	    "fc boot: 33 vCPUs refused (Firecracker's maximum is 32)");
	h->vm.vcpu = 2;
	strcpy(h->vm.kernel, "..");
	is_int(bg_vmm_firecracker.boot(h, "reboot=k panic=1", &err), -EINVAL,
	    "fc boot: a kernel that makes no path refused");
	ok(bg_now_ms() - t0 < 1000, "  all at once, without a connect");
	h->vm = saved;
	h->vm.vmm = &bg_vmm_firecracker;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		printf("# socketpair: %s\n", strerror(errno));
#define REFUSED(m, path, body, what) \
	is_int(bg_fc_request(sp[0], m, path, body, &st, NULL, \
		   bg_now_ms() + 500, &err), \
	    -EINVAL, what)
	REFUSED("DELETE", "/", NULL, "fc: an unknown method is refused");
	REFUSED(NULL, "/", NULL, "fc: a NULL method is refused");
	REFUSED("GET", "/a b", NULL, "fc: a path with a space is refused");
	REFUSED("GET", "/\r\nX: y", NULL, "fc: a path with CRLF is refused");
	REFUSED("GET", "x", NULL, "fc: a relative path is refused");
	REFUSED("GET", NULL, NULL, "fc: a NULL path is refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	REFUSED("PUT", "/x", big,
	    "fc: a body over Firecracker's 51200 bytes is refused");
	REFUSED("GET", "/", "{}", "fc: GET with a body is refused");
#undef REFUSED
	ok(recv(sp[1], one, sizeof(one), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	    "  and not a byte was sent");
	ok(fcntl(sp[0], F_GETFD) >= 0, "  nor the fd closed");
	close(sp[0]);
	close(sp[1]);

	t0 = bg_now_ms();
	is_int(fcreq(h, "GET", "/", NULL, &st, NULL, 500, &err), -ECONNREFUSED,
	    "fc: nobody listening (retried until the deadline)");
	ok(bg_now_ms() - t0 >= 400, "  at the deadline");
	unlink(sock);
	n = *h;
	n.rfd = -1;
	is_int(bg_vmm_firecracker.shutdown(&n, &err), -ENOENT,
	    "fc shutdown: a handle without a run directory: -ENOENT");
	ok(strstr(err.msg, "cannot reach the Firecracker API socket") != NULL,
	    "  says so: %s", err.msg);
	h->vm = saved;
}

int
main(void)
{
	char tmpl[] = "/tmp/banger-vm.XXXXXX";
	struct bg_vm vm;
	struct bg_vmh h = BG_VMH_INIT;
	struct bg_err err;
	cJSON *j;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(root, sizeof(root), "%s", tmpl);
	setenv("BANGER_ROOT", root, 1);
	signal(SIGPIPE, SIG_IGN);

	test_json();
	j = cJSON_Parse(base_json);
	bg_vm_from_json(j, &vm, &err);
	cJSON_Delete(j);
	test_drivers(&vm);
	test_paths(&vm);
	test_load_save(&vm);
	test_cmdline(&vm);
	test_qemu_argv(&vm);
	test_fc_argv(&vm);
	test_connect();

	/* The fake servers listen where the VM's run directory is. */
	memset(&err, 0, sizeof(err));
	is_int(bg_vm_open("a", BG_VMH_RUNDIR, &h, &err), 0,
	    "open a with its run directory, for the clients");
	if (h.sfd >= 0) {
		test_qmp(&h);
		test_fc(&h);
	}
	bg_vm_close(&h);

	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", root);
	}
	return done_testing();
}
