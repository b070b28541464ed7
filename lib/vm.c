/*
 * vm.c — one VM's spec and allocations (vm.json, docs/vm-lifecycle.md)
 * and its kernel command line.
 *
 * vm.json lives in a directory the owner can write, so
 * bg_vm_from_json() treats it as hostile input: every field is
 * checked (type, range, enum; the VM name with bg_name_valid(), image
 * and kernel names with bg_artifact_name_valid()), unknown and
 * duplicate keys are refused, and the network identity (ip, mac, tap)
 * is derived from the slot, never taken from the file: stored values
 * must merely agree.  Nothing unvalidated comes out of it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

#define VM_JSON_MAX 65536
#define STR_(x) #x
#define STR(x) STR_(x) /* a number macro as a string literal */
#define VCPU_MIN BG_VCPU_MIN
#define VCPU_MAX BG_VCPU_MAX
#define MEMORY_MIN ((long)BG_MEMORY_MIN_MIB)
#define MEMORY_MAX ((long)BG_MEMORY_MAX_MIB)
#define DISK_MIN BG_DISK_MIN
#define DISK_MAX BG_DISK_MAX
#define DNS_MAX 3 /* resolv.conf's MAXNS: banger-init keeps three */
#define TSC_KHZ_MAX 100000000L /* 100 GHz */
#define VMM_NAME_MAX 31

enum field {
	F_NAME,
	F_STATUS,
	F_IMAGE,
	F_KERNEL,
	F_VCPU,
	F_MEMORY,
	F_DISK,
	F_SLOT,
	F_IP,
	F_MAC,
	F_TAP,
	F_VMM,
	F_VMM_BIN,
	F_ACCEL,
	F_CREATED,
	F_COUNT
};

static const struct {
	const char *key;
	bool required;
} fields[F_COUNT] = {
	[F_NAME] = { "name", true },
	[F_STATUS] = { "status", true },
	[F_IMAGE] = { "image", true },
	[F_KERNEL] = { "kernel", true },
	[F_VCPU] = { "vcpu", true },
	[F_MEMORY] = { "memory_mib", true },
	[F_DISK] = { "disk_bytes", true },
	[F_SLOT] = { "slot", true },
	[F_IP] = { "ip", false },
	[F_MAC] = { "mac", false },
	[F_TAP] = { "tap", false },
	[F_VMM] = { "vmm", true },
	[F_VMM_BIN] = { "vmm_bin", false },
	[F_ACCEL] = { "accel", true },
	[F_CREATED] = { "created_at", true },
};

/* A key for a message: printable, short. */
static const char *
shown_key(const char *k, char *buf, size_t n)
{
	size_t i;

	for (i = 0; k[i] != '\0' && i + 4 < n; i++)
		buf[i] = (k[i] >= 0x20 && k[i] < 0x7f) ? k[i] : '?';
	if (k[i] != '\0')
		strcpy(buf + (i > n - 4 ? n - 4 : i), "...");
	else
		buf[i] = '\0';
	return buf;
}

/*
 * An integer in [lo, hi]: a JSON number with no fraction.  The range
 * check happens on the double, before any conversion, so huge values,
 * infinities and fractions never reach an integer type.
 */
static bool
json_int(const cJSON *v, double lo, double hi, double *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return false;
	d = v->valuedouble;
	if (!(d >= lo && d <= hi) || floor(d) != d)
		return false;
	*out = d;
	return true;
}

/* A string of at most max bytes copied into buf. */
static bool
json_str(const cJSON *v, char *buf, size_t max)
{
	size_t len;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return false;
	len = strlen(v->valuestring);
	if (len == 0 || len > max)
		return false;
	memcpy(buf, v->valuestring, len + 1);
	return true;
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int
bg_vm_derive(struct bg_vm *vm)
{
	char tap[sizeof(vm->tap)];

	if (vm->slot < BG_NET_INDEX_MIN || vm->slot > BG_NET_INDEX_MAX)
		return -EINVAL;
	if (bg_net_tap_name(vm->slot, tap, sizeof(tap)) < 0)
		return -EINVAL;
	snprintf(vm->ip, sizeof(vm->ip), "172.16.0.%d", vm->slot);
	snprintf(vm->mac, sizeof(vm->mac), "06:00:ac:10:00:%02x", vm->slot);
	memcpy(vm->tap, tap, sizeof(tap));
	return 0;
}

int
bg_vm_from_json(const cJSON *j, struct bg_vm *out, struct bg_err *err)
{
	const cJSON *seen[F_COUNT] = { NULL };
	const cJSON *c;
	struct bg_vm vm;
	char kb[40];
	double d;
	int f;

	memset(&vm, 0, sizeof(vm));
	if (!cJSON_IsObject(j)) {
		bg_err_set(err, "bad_request", "vm.json: not a JSON object");
		return -EINVAL;
	}
	for (c = j->child; c != NULL; c = c->next) {
		if (c->string == NULL) {
			bg_err_set(err, "bad_request",
			    "vm.json: a member without a key");
			return -EINVAL;
		}
		for (f = 0; f < F_COUNT; f++)
			if (strcmp(c->string, fields[f].key) == 0)
				break;
		if (f == F_COUNT) {
			bg_err_set(err, "bad_request",
			    "vm.json: unknown key '%s'",
			    shown_key(c->string, kb, sizeof(kb)));
			return -EINVAL;
		}
		if (seen[f] != NULL) {
			bg_err_set(err, "bad_request",
			    "vm.json: key '%s' appears twice", fields[f].key);
			return -EINVAL;
		}
		seen[f] = c;
	}
	for (f = 0; f < F_COUNT; f++)
		if (fields[f].required && seen[f] == NULL) {
			bg_err_set(err, "bad_request",
			    "vm.json: missing key '%s'", fields[f].key);
			return -EINVAL;
		}

#define BAD(key, what) \
	do { \
		bg_err_set(err, "bad_request", "vm.json: '%s' %s", key, what); \
		return -EINVAL; \
	} while (0)

	if (!json_str(seen[F_NAME], vm.name, BG_NAME_MAX) ||
	    !bg_name_valid(vm.name))
		BAD("name", "is not a valid name ([a-z0-9][a-z0-9-]{0,62})");
	if (!json_str(seen[F_IMAGE], vm.image, BG_NAME_MAX) ||
	    !bg_artifact_name_valid(vm.image))
		BAD("image",
		    "is not a valid image name ([a-z0-9][a-z0-9.-]{0,62})");
	if (!json_str(seen[F_KERNEL], vm.kernel, BG_NAME_MAX) ||
	    !bg_artifact_name_valid(vm.kernel))
		BAD("kernel",
		    "is not a valid kernel name ([a-z0-9][a-z0-9.-]{0,62})");
	if (!json_str(seen[F_STATUS], vm.status, sizeof(vm.status) - 1) ||
	    (strcmp(vm.status, "creating") != 0 &&
		strcmp(vm.status, "created") != 0))
		BAD("status", "must be \"creating\" or \"created\"");
	if (!json_int(seen[F_VCPU], VCPU_MIN, VCPU_MAX, &d))
		BAD("vcpu",
		    "must be an integer from " STR(BG_VCPU_MIN) " to " STR(
			BG_VCPU_MAX));
	vm.vcpu = (int)d;
	if (!json_int(seen[F_MEMORY], MEMORY_MIN, MEMORY_MAX, &d))
		BAD("memory_mib",
		    "must be an integer from " STR(
			BG_MEMORY_MIN_MIB) " to " STR(BG_MEMORY_MAX_MIB));
	vm.memory_mib = (long)d;
	if (!json_int(seen[F_DISK], (double)DISK_MIN, (double)DISK_MAX, &d))
		BAD("disk_bytes", "must be an integer from 1 GiB to 16 TiB");
	vm.disk_bytes = (uint64_t)d;
	if (!json_int(seen[F_SLOT], BG_NET_INDEX_MIN, BG_NET_INDEX_MAX, &d))
		BAD("slot", "must be an integer from 2 to 254");
	vm.slot = (int)d;
	{
		char vmm[VMM_NAME_MAX + 1];

		if (!json_str(seen[F_VMM], vmm, VMM_NAME_MAX) ||
		    (vm.vmm = bg_vmm_find(vmm)) == NULL) {
			bg_err_set(err, "bad_request",
			    "vm.json: 'vmm' must be %s", bg_vmm_names());
			return -EINVAL;
		}
	}
	if (seen[F_VMM_BIN] != NULL &&
	    (!json_str(seen[F_VMM_BIN], vm.vmm_bin, BG_VMM_BIN_MAX) ||
		!bg_abs_path_valid(vm.vmm_bin)))
		BAD("vmm_bin",
		    "must be an absolute path without . or .. of at most 1024 bytes");
	if (!json_str(seen[F_ACCEL], vm.accel, sizeof(vm.accel) - 1) ||
	    (strcmp(vm.accel, "tcg") != 0 && strcmp(vm.accel, "kvm") != 0))
		BAD("accel", "must be \"tcg\" or \"kvm\"");
	if (!json_str(seen[F_CREATED], vm.created_at,
		sizeof(vm.created_at) - 1) ||
	    !printable(vm.created_at))
		BAD("created_at",
		    "must be a timestamp of at most 31 printable characters");
	if (bg_vm_derive(&vm) < 0)
		BAD("slot", "must be an integer from 2 to 254");
	/* Stored network identity: optional, but never different. */
	{
		static const int nf[] = { F_IP, F_MAC, F_TAP };
		const char *want[] = { vm.ip, vm.mac, vm.tap };
		size_t i;

		for (i = 0; i < 3; i++) {
			const cJSON *v = seen[nf[i]];

			if (v == NULL)
				continue;
			if (!cJSON_IsString(v) || v->valuestring == NULL ||
			    strcmp(v->valuestring, want[i]) != 0) {
				bg_err_set(err, "bad_request",
				    "vm.json: '%s' does not match slot %d (want \"%s\")",
				    fields[nf[i]].key, vm.slot, want[i]);
				return -EINVAL;
			}
		}
	}
#undef BAD
	*out = vm;
	return 0;
}

cJSON *
bg_vm_to_json(const struct bg_vm *vm)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "name", vm->name) == NULL ||
	    cJSON_AddStringToObject(o, "status", vm->status) == NULL ||
	    cJSON_AddStringToObject(o, "image", vm->image) == NULL ||
	    cJSON_AddStringToObject(o, "kernel", vm->kernel) == NULL ||
	    cJSON_AddNumberToObject(o, "vcpu", vm->vcpu) == NULL ||
	    cJSON_AddNumberToObject(o, "memory_mib", (double)vm->memory_mib) ==
		NULL ||
	    cJSON_AddNumberToObject(o, "disk_bytes", (double)vm->disk_bytes) ==
		NULL ||
	    cJSON_AddNumberToObject(o, "slot", vm->slot) == NULL ||
	    cJSON_AddStringToObject(o, "ip", vm->ip) == NULL ||
	    cJSON_AddStringToObject(o, "mac", vm->mac) == NULL ||
	    cJSON_AddStringToObject(o, "tap", vm->tap) == NULL ||
	    vm->vmm == NULL ||
	    cJSON_AddStringToObject(o, "vmm", vm->vmm->name) == NULL ||
	    (vm->vmm_bin[0] != '\0' &&
		cJSON_AddStringToObject(o, "vmm_bin", vm->vmm_bin) == NULL) ||
	    cJSON_AddStringToObject(o, "accel", vm->accel) == NULL ||
	    cJSON_AddStringToObject(o, "created_at", vm->created_at) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

bool
bg_abs_path_valid(const char *s)
{
	const char *c;
	size_t len;

	/* Not "/" alone, no trailing "/": a file, not a directory. */
	if (s == NULL || s[0] != '/' || s[strlen(s) - 1] == '/' ||
	    !printable(s))
		return false;
	for (c = s + 1; *c != '\0'; c += len + 1) {
		len = strcspn(c, "/");
		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (c[len] == '\0')
			break;
	}
	return true;
}

/* "a.b.c.d[,a.b.c.d...]": one to DNS_MAX dotted-quad IPv4 addresses. */
static bool
dns_valid(const char *dns)
{
	const char *s = dns;
	int count = 0;

	if (dns == NULL || *dns == '\0')
		return false;
	for (;;) {
		size_t len = strcspn(s, ",");
		char one[16];
		struct in_addr a;

		if (len == 0 || len >= sizeof(one) || ++count > DNS_MAX)
			return false;
		memcpy(one, s, len);
		one[len] = '\0';
		/* inet_pton takes only the dotted quad, no leading zeros. */
		if (strspn(one, "0123456789.") != len ||
		    inet_pton(AF_INET, one, &a) != 1)
			return false;
		if (s[len] == '\0')
			return true;
		s += len + 1;
	}
}

/*
 * The guest's command line.  The fixed part is what docs/guest.md
 * lists (measured under QEMU TCG); the driver adds its own words (the
 * i8042 keyboard Firecracker's Ctrl-Alt-Del needs, or none of it under
 * QEMU).  The TSC words are for an emulated guest only: under KVM the
 * guest calibrates against the real TSC.  tsc_khz <= 0 means unknown:
 * tsc_early_khz is then left out.
 */
int
bg_vm_cmdline(const struct bg_vm *vm, const char *dns, long tsc_khz, char *buf,
    size_t n)
{
	struct bg_vm v;
	char tsc[64] = "";
	bool tcg;
	int r;

	if (vm == NULL || buf == NULL || vm->vmm == NULL ||
	    !bg_name_valid(vm->name) || !dns_valid(dns) ||
	    tsc_khz > TSC_KHZ_MAX)
		return -EINVAL;
	v = *vm;
	if (bg_vm_derive(&v) < 0)
		return -EINVAL;
	tcg = vm->vmm->emulated(vm);
	if (tcg && tsc_khz > 0)
		snprintf(tsc, sizeof(tsc), " tsc_early_khz=%ld", tsc_khz);
	if (tcg && vm->vcpu > 1)
		strcat(tsc, " tsc=reliable");
	r = snprintf(buf, n,
	    "console=ttyS0 reboot=k panic=1 quiet mitigations=off pci=off "
	    "cryptomgr.notests no_timer_check audit=0 %s nowatchdog%s "
	    "banger.ip=%s/%d banger.gw=%s banger.dns=%s banger.hostname=%s",
	    vm->vmm->kernel_words, tsc, v.ip, BG_BRIDGE_PREFIX, BG_BRIDGE_ADDR,
	    dns, v.name);
	if (r < 0)
		return -EINVAL;
	if ((size_t)r >= n) {
		if (n > 0)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
