/*
 * Unit tests: the VM model (lib/vm.c) and the VMM drivers' pure parts
 * and clients (lib/vmm-qemu.c, lib/vmm-firecracker.c): vm.json
 * validation and round trip, derived addresses, paths under
 * BANGER_ROOT, load/save, the kernel command line, QEMU's argv, QMP
 * against a fake QMP server and the Firecracker HTTP client against a
 * fake API server (both forked children on a unix socket).
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

static void
test_json(void)
{
	static const struct {
		const char *key, *val;
	} bad[] = {
		{ "name", "\"../x\"" }, { "name", "\"..\"" }, { "name", "\"A\"" },
		{ "name", "\"\"" }, { "name", "\"-a\"" }, { "name", "\"a/b\"" },
		{ "name", "\"a.b\"" }, { "name", "5" }, { "name", "null" },
		{ "name", "{\"x\":1}" }, { "name", "[\"a\"]" },
		{ "name", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"" },
		{ "name", NULL },
		{ "image", "\"../etc\"" }, { "image", "\"\"" }, { "image", "1" },
		{ "image", NULL }, { "image", "\"a..b\"" }, { "image", "\".a\"" },
		{ "kernel", "\"a/b\"" }, { "kernel", "true" }, { "kernel", "\"a.\"" },
		{ "kernel", "\"6.1..0\"" }, { "kernel", "\"Debian\"" },
		{ "kernel", NULL },
		{ "status", "\"running\"" }, { "status", "\"Created\"" },
		{ "status", "1" }, { "status", NULL },
		{ "vcpu", "0" }, { "vcpu", "33" }, { "vcpu", "65" }, { "vcpu", "1.5" }, { "vcpu", "\"2\"" },
		{ "vcpu", "1e300" }, { "vcpu", "-1" }, { "vcpu", "true" },
		{ "vcpu", "null" }, { "vcpu", NULL },
		{ "memory_mib", "127" }, { "memory_mib", "1048577" },
		{ "memory_mib", "1e20" }, { "memory_mib", "512.5" },
		{ "memory_mib", NULL },
		{ "disk_bytes", "1073741823" }, { "disk_bytes", "17592186044417" },
		{ "disk_bytes", "1.5e30" }, { "disk_bytes", "-1" },
		{ "disk_bytes", "1073741824.5" }, { "disk_bytes", "\"8G\"" },
		{ "disk_bytes", NULL },
		{ "slot", "1" }, { "slot", "255" }, { "slot", "0" }, { "slot", "2.5" },
		{ "slot", "\"2\"" }, { "slot", "-2" }, { "slot", "4294967298" },
		{ "slot", "1e400" }, { "slot", NULL },
		{ "ip", "\"172.16.0.3\"" }, { "ip", "\"172.16.0.02\"" },
		{ "ip", "\"172.16.0.2 \"" }, { "ip", "5" }, { "ip", "null" },
		{ "mac", "\"06:00:AC:10:00:02\"" }, { "mac", "\"06:00:ac:10:00:03\"" },
		{ "tap", "\"bgtap3\"" }, { "tap", "\"bgtap2x\"" },
		{ "vmm", "\"kvm\"" }, { "vmm", "\"Qemu\"" }, { "vmm", "\"\"" },
		{ "vmm", NULL }, { "accel", "\"hvf\"" }, { "accel", "\"KVM\"" },
		{ "accel", NULL },
		{ "created_at", "\"2026-11-28T12:00:00.0000000000000Z\"" },
		{ "created_at", "\"2026\\n\"" }, { "created_at", "\"\"" },
		{ "created_at", "\"\\u00e9t\\u00e9\"" }, { "created_at", "0" },
		{ "created_at", NULL },
		{ "extra", "1" }, { "Name", "\"a\"" }, { "v", "1" },
	};
	struct bg_vm vm, vm2;
	struct bg_err err;
	cJSON *j;
	char *s;
	size_t i;
	int r;

	memset(&err, 0, sizeof(err));
	is_int(from_text(base_json, &vm, &err), 0, "vm.json: the example of vm-lifecycle.md is valid");
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
	is_str(vm.vmm, "qemu", "vmm");
	is_str(vm.accel, "tcg", "accel");
	is_str(vm.created_at, "2026-11-28T12:00:00Z", "created_at");

	j = bg_vm_to_json(&vm);
	s = cJSON_PrintUnformatted(j);
	is_str(s, base_json, "to_json gives back the same document, key order included");
	is_int(bg_vm_from_json(j, &vm2, NULL), 0, "and it reads back");
	ok(memcmp(&vm, &vm2, sizeof(vm)) == 0, "round trip: identical struct");
	free(s);
	cJSON_Delete(j);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&vm2, 0x5a, sizeof(vm2));
		memset(&err, 0, sizeof(err));
		r = from_mutated(bad[i].key, bad[i].val, &vm2, &err);
		if (!ok(r == -EINVAL && strcmp(err.code, "bad_request") == 0 &&
		    err.msg[0] != '\0', "refused: %s = %s", bad[i].key,
		    bad[i].val ? bad[i].val : "(missing)"))
			printf("#   r=%d code=%s msg=%s\n", r, err.code, err.msg);
		else if (i < 3)
			printf("#   %s\n", err.msg);
		ok(((unsigned char *)&vm2)[0] == 0x5a && ((unsigned char *)&vm2)[sizeof(vm2) - 1] == 0x5a,
		    "  and the output is untouched");
	}

	is_int(from_text("[1,2]", &vm2, &err), -EINVAL, "refused: not an object");
	is_int(from_text("{\"name\":\"a\",\"name\":\"b\",\"status\":\"created\","
	    "\"image\":\"test\",\"kernel\":\"k\",\"vcpu\":1,\"memory_mib\":1024,"
	    "\"disk_bytes\":8589934592,\"slot\":2,\"vmm\":\"qemu\",\"accel\":\"tcg\","
	    "\"created_at\":\"x\"}", &vm2, &err), -EINVAL, "refused: a key twice");
	ok(strstr(err.msg, "twice") != NULL, "  says so: %s", err.msg);
	is_int(bg_vm_from_json(NULL, &vm2, &err), -EINVAL, "refused: NULL");

	/* Stored network identity is optional: derived from the slot. */
	r = from_mutated("ip", NULL, &vm2, &err);
	is_int(r, 0, "ip may be left out");
	is_str(vm2.ip, "172.16.0.2", "  and is derived");
	j = cJSON_Parse(base_json);
	cJSON_DeleteItemFromObject(j, "ip");
	cJSON_DeleteItemFromObject(j, "mac");
	cJSON_DeleteItemFromObject(j, "tap");
	cJSON_ReplaceItemInObject(j, "slot", cJSON_CreateNumber(254));
	is_int(bg_vm_from_json(j, &vm2, &err), 0, "slot 254 without ip/mac/tap");
	is_str(vm2.ip, "172.16.0.254", "  ip derived");
	is_str(vm2.mac, "06:00:ac:10:00:fe", "  mac derived, lower-case hex");
	is_str(vm2.tap, "bgtap254", "  tap derived");
	cJSON_Delete(j);
	is_int(from_mutated("vmm", "\"firecracker\"", &vm2, &err), 0, "vmm firecracker");
	is_int(from_mutated("accel", "\"kvm\"", &vm2, &err), 0, "accel kvm");
	is_int(from_mutated("status", "\"creating\"", &vm2, &err), 0, "status creating");
	is_int(from_mutated("vcpu", "32", &vm2, &err), 0, "vcpu 32 (BG_VCPU_MAX)");
	is_int(from_mutated("memory_mib", "1048576", &vm2, &err), 0, "memory_mib 1048576");
	is_int(from_mutated("memory_mib", "128", &vm2, &err), 0, "memory_mib 128");
	is_int(from_mutated("disk_bytes", "17592186044416", &vm2, &err), 0, "disk_bytes 16 TiB");
	ok(vm2.disk_bytes == 17592186044416ULL, "  exactly");
	is_int(from_mutated("disk_bytes", "1073741824", &vm2, &err), 0, "disk_bytes 1 GiB");
	is_int(from_mutated("created_at", "\"1234567890123456789012345678901\"", &vm2, &err),
	    0, "created_at of 31 characters");
	is_int(from_mutated("name", "\"a.b\"", &vm2, &err), -EINVAL,
	    "a VM name has no dots (it is a DNS label)");
	is_int(from_mutated("image", "\"debian-12.1\"", &vm2, &err), 0,
	    "an image name may have inner dots");
	is_int(from_mutated("name", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	    &vm2, &err), 0, "a name of 63 characters");

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

static void
test_paths(const struct bg_vm *vm)
{
	struct bg_vm_paths p;
	struct bg_vm bad = *vm;
	char want[PATH_MAX];

#define P(field, rel) do { \
	snprintf(want, sizeof(want), "%s%s", root, rel); \
	is_str(p.field, want, "path " #field); \
} while (0)
	is_int(bg_vm_paths(vm, &p), 0, "bg_vm_paths");
	P(dir, "/var/lib/banger/vms/a");
	P(vmjson, "/var/lib/banger/vms/a/vm.json");
	P(rootfs, "/var/lib/banger/vms/a/rootfs.ext4");
	P(work, "/var/lib/banger/vms/a/work.ext4");
	P(serial, "/var/lib/banger/vms/a/serial.log");
	P(create_lock, "/var/lib/banger/vms/a/create.lock");
	P(rundir, "/run/banger/vms/a");
	P(lock, "/run/banger/vms/a/lock");
	P(sock, "/run/banger/vms/a/vmm.sock");
	P(kernel, "/var/lib/banger/kernels/debian-6.1.0-27/vmlinux");
	P(initrd, "/var/lib/banger/kernels/debian-6.1.0-27/initrd.img");
	P(image_rootfs, "/var/lib/banger/images/test/rootfs.ext4");
#undef P
	strcpy(bad.name, "../x");
	is_int(bg_vm_paths(&bad, &p), -EINVAL, "paths: ../x as name refused");
	is_str(p.dir, "", "  and nothing half-filled");
	bad = *vm;
	strcpy(bad.kernel, "..");
	is_int(bg_vm_paths(&bad, &p), -EINVAL, "paths: .. as kernel refused");
	bad = *vm;
	strcpy(bad.image, "a/b");
	is_int(bg_vm_paths(&bad, &p), -EINVAL, "paths: a/b as image refused");
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

static void
test_load_save(const struct bg_vm *vm)
{
	char d[PATH_MAX], f[PATH_MAX + 16], t[PATH_MAX];
	struct bg_vm got, bad;
	struct bg_err err;
	struct stat st;
	char *big;
	int r;

	memset(&err, 0, sizeof(err));
	snprintf(d, sizeof(d), "%s/var/lib/banger/vms/a", root);
	bg_mkdir_p(d, 0755);
	is_int(bg_vm_save(vm), 0, "save");
	snprintf(f, sizeof(f), "%s/vm.json", d);
	ok(stat(f, &st) == 0 && (st.st_mode & 07777) == 0644, "vm.json is 0644");
	is_int(bg_vm_load("a", &got, &err), 0, "load");
	ok(memcmp(&got, vm, sizeof(got)) == 0, "load gives back what was saved");

	is_int(bg_vm_load("nope", &got, &err), -ENOENT, "load of a missing VM");
	is_str(err.code, "not_found", "  is not_found");
	is_int(bg_vm_load("../a", &got, &err), -EINVAL, "load of ../a refused");
	is_int(bg_vm_load(NULL, &got, &err), -EINVAL, "load of NULL refused");

	bad = *vm;
	bad.slot = 1;
	is_int(bg_vm_save(&bad), -EINVAL, "save refuses what load would refuse");
	is_int(bg_vm_load("a", &got, &err), 0, "  and the file is unchanged");
	is_int(got.slot, 2, "  slot still 2");
	bad = *vm;
	strcpy(bad.name, "b");
	is_int(bg_vm_save(&bad), -ENOENT, "save without the VM's directory fails");

	/* A vm.json that names another VM. */
	snprintf(d, sizeof(d), "%s/var/lib/banger/vms/b", root);
	bg_mkdir_p(d, 0755);
	snprintf(f, sizeof(f), "%s/vm.json", d);
	write_file(f, base_json, strlen(base_json));
	is_int(bg_vm_load("b", &got, &err), -EINVAL, "vm.json of b naming a: refused");
	printf("#   %s\n", err.msg);

	/* Hostile files: the owner writes them, root may read them. */
	unlink(f);
	snprintf(t, sizeof(t), "%s/var/lib/banger/vms/a/vm.json", root);
	if (symlink(t, f) < 0)
		printf("# symlink: %s\n", strerror(errno));
	is_int(bg_vm_load("b", &got, &err), -EINVAL, "vm.json a symlink: refused");
	unlink(f);
	if (mkfifo(f, 0644) < 0)
		printf("# mkfifo: %s\n", strerror(errno));
	alarm(10);
	is_int(bg_vm_load("b", &got, &err), -EINVAL, "vm.json a FIFO: refused, without blocking");
	alarm(0);
	unlink(f);
	big = malloc(70000);
	memset(big, ' ', 70000);
	memcpy(big, base_json, strlen(base_json));
	write_file(f, big, 70000);
	free(big);
	is_int(bg_vm_load("b", &got, &err), -EFBIG, "vm.json over 64 KiB: refused");
	write_file(f, "{\"name\":", 8);
	is_int(bg_vm_load("b", &got, &err), -EBADMSG, "vm.json not JSON: refused");
	write_file(f, "{}\0{}", 5);
	is_int(bg_vm_load("b", &got, &err), -EBADMSG, "vm.json with a NUL: refused");
	unlink(f);
	is_int(bg_vm_load("b", &got, &err), -ENOENT, "a directory without vm.json");
	is_int(rmdir(d), 0, "(the directory of b removed)");
	snprintf(t, sizeof(t), "%s/var/lib/banger/vms/a", root);
	if (symlink(t, d) < 0)
		printf("# symlink: %s\n", strerror(errno));
	r = bg_vm_load("b", &got, &err);
	ok((r == -ENOTDIR || r == -ELOOP) && strcmp(err.code, "bad_request") == 0,
	    "a VM directory that is a symlink: refused");
	printf("#   %s\n", err.msg);
	unlink(d);
}

static void
test_cmdline(const struct bg_vm *vm)
{
	static const char fixed[] = "console=ttyS0 reboot=k panic=1 quiet "
	    "mitigations=off pci=off cryptomgr.notests no_timer_check audit=0 ";
	static const char *const bad_dns[] = { "", "1.2.3", "a", "1.1.1.1,",
		",1.1.1.1", "1.1.1.1,,2.2.2.2", "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4",
		"01.1.1.1", "1.1.1.1 2.2.2.2", "256.1.1.1", "::1", "1.1.1.1;x",
		"0x7f.0.0.1", "1.1.1.1/24", NULL };
	struct bg_vm v = *vm;
	char buf[1024], want[1024];
	size_t len, i;

	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 2596096, buf, sizeof(buf)), 0,
	    "cmdline: QEMU TCG, 1 vCPU");
	snprintf(want, sizeof(want), "%si8042.nopnp i8042.noaux i8042.nokbd "
	    "nowatchdog tsc_early_khz=2596096 banger.ip=172.16.0.2/24 "
	    "banger.gw=172.16.0.1 banger.dns=172.16.0.1 banger.hostname=a", fixed);
	is_str(buf, want, "  exactly");
	v.vcpu = 2;
	is_int(bg_vm_cmdline(&v, "1.1.1.1,9.9.9.9", true, 2596096, buf, sizeof(buf)),
	    0, "cmdline: TCG, 2 vCPUs");
	ok(strstr(buf, " tsc_early_khz=2596096 tsc=reliable ") != NULL,
	    "  tsc_early_khz and tsc=reliable");
	ok(strstr(buf, " banger.dns=1.1.1.1,9.9.9.9 ") != NULL, "  two resolvers");
	is_int(bg_vm_cmdline(&v, "1.1.1.1,9.9.9.9,8.8.8.8", false, 2596096, buf,
	    sizeof(buf)), 0, "cmdline: KVM, 2 vCPUs, three resolvers");
	ok(strstr(buf, "tsc") == NULL, "  no TSC flags under KVM: %s", buf);
	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, -ENOENT, buf, sizeof(buf)), 0,
	    "cmdline: TCG, TSC unknown");
	ok(strstr(buf, "tsc_early_khz") == NULL, "  tsc_early_khz left out");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 100000001, buf, sizeof(buf)),
	    -EINVAL, "cmdline: a 100 GHz TSC is refused");

	v = *vm;
	strcpy(v.vmm, "firecracker");
	is_int(bg_vm_cmdline(&v, "172.16.0.1", false, 0, buf, sizeof(buf)), 0,
	    "cmdline: Firecracker");
	snprintf(want, sizeof(want), "%si8042.noaux i8042.nomux i8042.nopnp "
	    "i8042.dumbkbd nowatchdog banger.ip=172.16.0.2/24 banger.gw=172.16.0.1 "
	    "banger.dns=172.16.0.1 banger.hostname=a", fixed);
	is_str(buf, want, "  keeps the i8042 keyboard (SendCtrlAltDel)");

	v = *vm;
	v.slot = 9;
	strcpy(v.ip, "172.16.0.77");
	is_int(bg_vm_cmdline(&v, "172.16.0.1", false, 0, buf, sizeof(buf)), 0,
	    "cmdline: the address comes from the slot");
	ok(strstr(buf, "banger.ip=172.16.0.9/24 ") != NULL, "  not from vm->ip");
	v.slot = 1;
	is_int(bg_vm_cmdline(&v, "172.16.0.1", false, 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: slot 1 refused");
	v = *vm;
	strcpy(v.name, "A B");
	is_int(bg_vm_cmdline(&v, "172.16.0.1", false, 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: a bad hostname refused");

	for (i = 0; bad_dns[i] != NULL; i++)
		is_int(bg_vm_cmdline(vm, bad_dns[i], false, 0, buf, sizeof(buf)), -EINVAL,
		    "cmdline: dns '%s' refused", bad_dns[i]);
	is_int(bg_vm_cmdline(vm, NULL, false, 0, buf, sizeof(buf)), -EINVAL,
	    "cmdline: dns NULL refused");

	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 2596096, buf, sizeof(buf)), 0,
	    "cmdline: once more, to measure it");
	len = strlen(buf);
	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 2596096, buf, len + 1), 0,
	    "cmdline: a buffer of exactly the right size");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 2596096, buf, len),
	    -ENAMETOOLONG, "cmdline: one byte short: -ENAMETOOLONG");
	is_str(buf, "", "  and an empty string, not a cut one");
	is_int(bg_vm_cmdline(vm, "172.16.0.1", true, 2596096, buf, 10),
	    -ENAMETOOLONG, "cmdline: a short buffer");

	{
		long khz = bg_host_tsc_khz();

		ok(khz > 100000 && khz < 100000000, "bg_host_tsc_khz: %ld kHz", khz);
	}
}

static void
test_qemu_argv(const struct bg_vm *vm)
{
	struct bg_vm_paths p, q;
	struct bg_vm v;
	char **argv = NULL, want_s[64][PATH_MAX + 64];
	const char *want[64];
	size_t n = 0, i;
	int r;

	bg_vm_paths(vm, &p);
#define W(...) do { snprintf(want_s[n], sizeof(want_s[n]), __VA_ARGS__); want[n] = want_s[n]; n++; } while (0)
	W("/usr/bin/qemu-system-x86_64");
	W("-name"); W("banger-vm-a");
	W("-M"); W("microvm");
	W("-nodefaults"); W("-no-user-config"); W("-display"); W("none");
	W("-no-reboot");
	W("-sandbox"); W("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
	W("-accel"); W("tcg"); W("-cpu"); W("max");
	W("-smp"); W("1"); W("-m"); W("1024M");
	W("-kernel"); W("%s", p.kernel);
	W("-initrd"); W("%s", p.initrd);
	W("-append"); W("console=ttyS0 x=1");
	W("-chardev"); W("file,id=ser,path=%s,append=on", p.serial);
	W("-serial"); W("chardev:ser");
	W("-device"); W("virtio-blk-device,drive=root");
	W("-drive"); W("id=root,if=none,format=raw,discard=unmap,file=%s", p.rootfs);
	W("-device"); W("virtio-blk-device,drive=work");
	W("-drive"); W("id=work,if=none,format=raw,discard=unmap,file=%s", p.work);
	W("-netdev"); W("tap,id=net0,ifname=bgtap2,script=no,downscript=no,vnet_hdr=on");
	W("-device"); W("virtio-net-device,netdev=net0,mac=06:00:ac:10:00:02");
	W("-qmp"); W("unix:%s,server=on,wait=off", p.sock);
#undef W
	r = bg_qemu_argv(vm, &p, "/usr/bin/qemu-system-x86_64", "console=ttyS0 x=1", &argv);
	is_int(r, 0, "qemu argv");
	for (i = 0; r == 0 && i < n; i++)
		if (argv[i] == NULL || strcmp(argv[i], want[i]) != 0)
			break;
	if (!ok(r == 0 && i == n && argv[n] == NULL, "  every argument, in order, NULL-terminated"))
		printf("#   at %zu: got '%s', want '%s'\n", i,
		    argv && argv[i] ? argv[i] : "(null)", i < n ? want[i] : "(end)");
	bg_argv_free(argv);

	v = *vm;
	strcpy(v.accel, "kvm");
	v.vcpu = 4;
	v.memory_mib = 4096;
	r = bg_qemu_argv(&v, &p, "/usr/bin/qemu-system-x86_64", "c", &argv);
	is_int(r, 0, "qemu argv under KVM");
	if (r == 0) {
		is_str(argv[13], "kvm", "  -accel kvm");
		is_str(argv[15], "host", "  -cpu host");
		is_str(argv[17], "4", "  -smp 4");
		is_str(argv[19], "4096M", "  -m 4096M");
		bg_argv_free(argv);
	}

	/* ',' would start another QEMU option: refused. */
	q = p;
	strcat(q.serial, ",x");
	is_int(bg_qemu_argv(vm, &q, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a ',' in serial.log's path is refused");
	ok(argv == NULL, "  no argv");
	q = p;
	strcpy(q.rootfs, "/tmp/a,file=/etc/shadow");
	is_int(bg_qemu_argv(vm, &q, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a ',' in the rootfs path is refused");
	q = p;
	strcpy(q.kernel, "/k,1");
	is_int(bg_qemu_argv(vm, &q, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a ',' in the kernel path is refused");
	q = p;
	strcpy(q.sock, "/s,server=off");
	is_int(bg_qemu_argv(vm, &q, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a ',' in the socket path is refused");
	q = p;
	memset(q.sock, 'x', 200);
	q.sock[0] = '/';
	q.sock[200] = '\0';
	is_int(bg_qemu_argv(vm, &q, "/usr/bin/qemu", "c", &argv), -ENAMETOOLONG,
	    "a socket path too long for sun_path is refused");
	is_int(bg_qemu_argv(vm, &p, "qemu-system-x86_64", "c", &argv), -EINVAL,
	    "a qemu binary that is not an absolute path is refused");
	v = *vm;
	strcpy(v.tap, "eth0");
	is_int(bg_qemu_argv(&v, &p, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "a tap that is not the slot's is refused");
	v = *vm;
	strcpy(v.accel, "hvf");
	is_int(bg_qemu_argv(&v, &p, "/usr/bin/qemu", "c", &argv), -EINVAL,
	    "an unknown accel is refused");
	{
		char *longc = malloc(3000);

		memset(longc, 'a', 2999);
		longc[2999] = '\0';
		is_int(bg_qemu_argv(vm, &p, "/usr/bin/qemu", longc, &argv), -EINVAL,
		    "a command line over 2047 bytes is refused");
		free(longc);
	}
}

/* ---- fake servers ---------------------------------------------------- */

static int
listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0) {
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

/* The child's half: fails loudly (exit 2) when the client says something else. */
static void
expect(int fd, const char *want)
{
	char *got = get_line(fd);

	if (got == NULL || strcmp(got, want) != 0) {
		fprintf(stderr, "# fake: got '%s', want '%s'\n", got ? got : "(EOF)", want);
		_exit(2);
	}
}

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, " \
	"\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"
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
	put(c, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n");
	put(c, "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}\r\n");
	close(c);
	/* 2: an error answer. */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"system_powerdown\"}");
	put(c, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no \\u001b power\"}}\r\n");
	close(c);
	/* 3: quit, and the connection closes without an answer. */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"quit\"}");
	close(c);
	/* 4: quit, answered then closed (QEMU's usual way). */
	c = accept(lfd, NULL, NULL);
	put(c, GREETING);
	expect(c, CAPS);
	put(c, "{\"return\": {}}\r\n");
	expect(c, "{\"execute\":\"quit\"}");
	put(c, "{\"return\": {}}\r\n{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
	    "\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n");
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
	_exit(0);
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

static void
test_qmp(void)
{
	char sock[PATH_MAX];
	struct bg_err err;
	cJSON *reply = NULL;
	int64_t t0;
	pid_t pid;
	int r;

	snprintf(sock, sizeof(sock), "%s/qmp.sock", root);
	pid = fork_server(sock, qmp_server);
	memset(&err, 0, sizeof(err));
	r = bg_qmp(sock, "query-status", &reply, 5000, &err);
	is_int(r, 0, "qmp query-status");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "status")), "running",
	    "  its return value, the event skipped");
	cJSON_Delete(reply);
	r = bg_qmp(sock, "system_powerdown", &reply, 5000, &err);
	is_int(r, -EREMOTEIO, "qmp: an error answer");
	ok(strstr(err.msg, "no ? power") != NULL, "  its desc, control characters made safe: %s", err.msg);
	ok(reply == NULL, "  no reply");
	is_int(bg_qmp(sock, "quit", NULL, 5000, &err), 0, "qmp quit: closed before answering is success");
	is_int(bg_qmp(sock, "quit", NULL, 5000, &err), 0, "qmp quit: answered then closed");
	t0 = bg_now_ms();
	is_int(bg_qmp(sock, "query-status", NULL, 300, &err), -ETIMEDOUT, "qmp: no greeting: timeout");
	ok(bg_now_ms() - t0 < 2000, "  at the deadline");
	is_str(err.code, "temporary", "  temporary");
	is_int(bg_qmp(sock, "query-status", NULL, 5000, &err), -EPROTO, "qmp: not QMP");
	is_int(bg_qmp(sock, "query-status", NULL, 5000, &err), -ECONNRESET,
	    "qmp: closed mid-command (not quit): an error");
	is_int(reap(pid), 0, "the fake QMP server saw what it expected");
	is_int(bg_qmp(sock, "query-status", NULL, 500, &err), -ECONNREFUSED,
	    "qmp: nobody listening");
	unlink(sock);
	is_int(bg_qmp(sock, "query-status", NULL, 500, &err), -ENOENT, "qmp: no socket");
	is_int(bg_qmp(sock, "a b", NULL, 500, &err), -EINVAL, "qmp: a bad command name");
	is_int(bg_qmp(sock, "x\",\"arguments\":{}", NULL, 500, &err), -EINVAL,
	    "qmp: a command name cannot inject JSON");
	is_int(bg_qmp(sock, "", NULL, 500, &err), -EINVAL, "qmp: an empty command");
}

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
		fprintf(stderr, "# fake: got request\n%s\n# want\n%s\n", got ? got : "(EOF)", want);
		_exit(2);
	}
}

#define NC "HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n"

static char *
fc_put(const char *path, const char *body)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "PUT %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Accept: application/json\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n%s", path, strlen(body), body);
	return buf;
}

static char fc_kernel[1024], fc_initrd[1024], fc_rootfs[1024], fc_work[1024];

static void
fc_server(int lfd)
{
	char body[8192];
	int c;

	/* 1: 204, the exact request bytes checked. */
	c = accept(lfd, NULL, NULL);
	expect_req(c, fc_put("/actions", "{\"action_type\":\"SendCtrlAltDel\"}"));
	put(c, NC);
	close(c);
	/* 2: GET, a 200 JSON answer written in pieces. */
	c = accept(lfd, NULL, NULL);
	expect_req(c, "GET / HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n");
	put(c, "HTTP/1.1 200 \r\nServer: Firecracker API\r\nConn");
	usleep(50000);
	put(c, "ection: keep-alive\r\nContent-Type: application/json\r\ncontent-length: 32\r\n\r\n{\"id\":\"x\",");
	usleep(50000);
	put(c, "\"state\":\"Not started\"}");
	usleep(300000);
	close(c);
	/* 3: 400 with fault_message. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
	    "Content-Type: application/json\r\nContent-Length: 88\r\n\r\n"
	    "{\"fault_message\":\"The requested operation is not supported after starting the microVM.\"}");
	close(c);
	/* 4: micro_http's own error: not even valid JSON. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	snprintf(body, sizeof(body), "{ \"error\": \"Request payload with size 60000 is "
	    "larger than the limit of 51200 allowed by server.\nAll previous "
	    "unanswered requests will be dropped.\" }");
	dprintf(c, "HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
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
	put(c, "HTTP/1.1 200 \r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
	close(c);

	/* 13: bg_fc_boot, every request as Firecracker's API wants it. */
	c = accept(lfd, NULL, NULL);
	expect_req(c, fc_put("/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":1024}"));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body), "{\"kernel_image_path\":\"%s\",\"initrd_path\":\"%s\","
	    "\"boot_args\":\"console=ttyS0 reboot=k panic=1 banger.hostname=a\"}",
	    fc_kernel, fc_initrd);
	expect_req(c, fc_put("/boot-source", body));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body), "{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\","
	    "\"is_root_device\":true,\"is_read_only\":false,\"cache_type\":\"Writeback\"}",
	    fc_rootfs);
	expect_req(c, fc_put("/drives/rootfs", body));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	snprintf(body, sizeof(body), "{\"drive_id\":\"work\",\"path_on_host\":\"%s\","
	    "\"is_root_device\":false,\"is_read_only\":false,\"cache_type\":\"Writeback\"}",
	    fc_work);
	expect_req(c, fc_put("/drives/work", body));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	expect_req(c, fc_put("/network-interfaces/eth0", "{\"iface_id\":\"eth0\","
	    "\"guest_mac\":\"06:00:ac:10:00:02\",\"host_dev_name\":\"bgtap2\"}"));
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	expect_req(c, fc_put("/actions", "{\"action_type\":\"InstanceStart\"}"));
	put(c, NC);
	close(c);

	/* 14: bg_fc_boot stops at the first refusal. */
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, NC);
	close(c);
	c = accept(lfd, NULL, NULL);
	get_request(c);
	put(c, "HTTP/1.1 400 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n"
	    "Content-Type: application/json\r\nContent-Length: 111\r\n\r\n"
	    "{\"fault_message\":\"Boot source error: The kernel file cannot be opened: No such file or directory (os error 2)\"}");
	close(c);
	/* Nothing else may come: the next connection is the end marker. */
	c = accept(lfd, NULL, NULL);
	expect_req(c, "GET /end HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n");
	put(c, NC);
	close(c);
	_exit(0);
}

static void
test_fc(const struct bg_vm *vm)
{
	char sock[PATH_MAX], big[60000];
	struct bg_vm_paths p;
	struct bg_vm v;
	struct bg_err err;
	cJSON *reply = NULL;
	char **argv;
	int64_t t0;
	pid_t pid;
	int st, r;

	bg_vm_paths(vm, &p);
	cpy(fc_kernel, sizeof(fc_kernel), p.kernel);
	cpy(fc_initrd, sizeof(fc_initrd), p.initrd);
	cpy(fc_rootfs, sizeof(fc_rootfs), p.rootfs);
	cpy(fc_work, sizeof(fc_work), p.work);

	is_int(bg_fc_argv(&p, "/usr/bin/firecracker", &argv), 0, "fc argv");
	if (argv != NULL) {
		is_str(argv[0], "/usr/bin/firecracker", "  the binary");
		is_str(argv[1], "--api-sock", "  --api-sock");
		is_str(argv[2], p.sock, "  vmm.sock");
		ok(argv[3] == NULL, "  and nothing else");
		bg_argv_free(argv);
	}
	is_int(bg_fc_argv(&p, "firecracker", &argv), -EINVAL, "fc argv: a relative binary is refused");

	snprintf(sock, sizeof(sock), "%s/fc.sock", root);
	pid = fork_server(sock, fc_server);
	memset(&err, 0, sizeof(err));

	is_int(bg_fc_ctrl_alt_del(sock, &err), 0, "fc: SendCtrlAltDel, 204");
	r = bg_fc_request(sock, "GET", "/", NULL, &st, &reply, 5000, &err);
	is_int(r, 0, "fc: GET /");
	is_int(st, 200, "  200");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(reply, "state")), "Not started",
	    "  the body, read in pieces, header names in any case");
	cJSON_Delete(reply);
	r = bg_fc_request(sock, "PUT", "/boot-source", "{}", &st, &reply, 5000, &err);
	is_int(r, -EREMOTEIO, "fc: 400");
	is_int(st, 400, "  status 400");
	is_str(err.msg, "firecracker: The requested operation is not supported after "
	    "starting the microVM.", "  err is \"firecracker: <fault_message>\"");
	is_str(err.code, "bad_request", "  bad_request");
	ok(reply != NULL, "  the fault body is in reply");
	cJSON_Delete(reply);
	r = bg_fc_request(sock, "PUT", "/actions", "{}", &st, NULL, 5000, &err);
	is_int(r, -EREMOTEIO, "fc: micro_http's own 400 (not JSON)");
	ok(strstr(err.msg, "firecracker: Request payload with size 60000 is larger") == err.msg,
	    "  its \"error\", made printable: %s", err.msg);
	is_int(bg_fc_request(sock, "PUT", "/actions", "{}", &st, NULL, 5000, &err), 0,
	    "fc: 100 Continue, then 204");
	is_int(st, 204, "  204");
	r = bg_fc_request(sock, "GET", "/version", NULL, &st, &reply, 5000, &err);
	is_int(r, 0, "fc: no Content-Length: body until the close");
	ok(cJSON_GetObjectItem(reply, "a") != NULL, "  parsed");
	cJSON_Delete(reply);
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: not HTTP");
	is_int(st, 0, "  no status");
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 5000, &err), -EMSGSIZE,
	    "fc: a body over the cap");
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 5000, &err), -ECONNRESET,
	    "fc: closed mid-body");
	t0 = bg_now_ms();
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 300, &err), -ETIMEDOUT,
	    "fc: no answer: the deadline");
	ok(bg_now_ms() - t0 < 900, "  kept");
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: a 200 whose body is not JSON");
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 5000, &err), -EPROTO,
	    "fc: chunked is refused");

	v = *vm;
	v.vcpu = 2;
	is_int(bg_fc_boot(sock, &v, &p, "console=ttyS0 reboot=k panic=1 banger.hostname=a",
	    &err), 0, "fc boot: machine-config, boot-source, drives, eth0, InstanceStart");
	is_int(bg_fc_boot(sock, &v, &p, "reboot=k panic=1", &err), -EREMOTEIO,
	    "fc boot: a refusal stops it");
	ok(strstr(err.msg, "firecracker: Boot source error: The kernel file cannot be opened") == err.msg,
	    "  with Firecracker's words: %s", err.msg);
	is_int(bg_fc_request(sock, "GET", "/end", NULL, &st, NULL, 5000, &err), 0,
	    "  and nothing after it");
	is_int(reap(pid), 0, "the fake Firecracker saw exactly the expected requests");

	/* Refused before anything is sent (no server is listening now). */
	is_int(bg_fc_boot(sock, &v, &p, "console=ttyS0 panic=1", &err), -EINVAL,
	    "fc boot: boot_args without reboot=k refused");
	is_int(bg_fc_boot(sock, &v, &p, "xreboot=k panic=1", &err), -EINVAL,
	    "fc boot: reboot=k must be a whole word");
	is_int(bg_fc_boot(sock, &v, &p, "reboot=k panic=10", &err), -EINVAL,
	    "fc boot: panic=1 must be a whole word");
	v.vcpu = 33;
	is_int(bg_fc_boot(sock, &v, &p, "reboot=k panic=1", &err), -EINVAL,
	    "fc boot: 33 vCPUs refused (Firecracker's maximum is 32)");
	is_int(bg_fc_request(sock, "DELETE", "/", NULL, &st, NULL, 500, &err), -EINVAL,
	    "fc: an unknown method is refused");
	is_int(bg_fc_request(sock, "GET", "/a b", NULL, &st, NULL, 500, &err), -EINVAL,
	    "fc: a path with a space is refused");
	is_int(bg_fc_request(sock, "GET", "/\r\nX: y", NULL, &st, NULL, 500, &err), -EINVAL,
	    "fc: a path with CRLF is refused");
	is_int(bg_fc_request(sock, "GET", "x", NULL, &st, NULL, 500, &err), -EINVAL,
	    "fc: a relative path is refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(bg_fc_request(sock, "PUT", "/x", big, &st, NULL, 500, &err), -EINVAL,
	    "fc: a body over Firecracker's 51200 bytes is refused");
	is_int(bg_fc_request(sock, "GET", "/", "{}", &st, NULL, 500, &err), -EINVAL,
	    "fc: GET with a body is refused");
	is_int(bg_fc_request(sock, "GET", "/", NULL, &st, NULL, 500, &err), -ECONNREFUSED,
	    "fc: nobody listening");
}

int
main(void)
{
	char tmpl[] = "/tmp/banger-vm.XXXXXX";
	struct bg_vm vm;
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
	test_paths(&vm);
	test_load_save(&vm);
	test_cmdline(&vm);
	test_qemu_argv(&vm);
	test_qmp();
	test_fc(&vm);

	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		if (system(cmd) != 0)
			printf("# cannot remove %s\n", root);
	}
	return done_testing();
}
