/*
 * vm-create — make a VM: allocate its slot, clone the image's rootfs,
 * build its work disk with the owner's public key and a fresh ssh host
 * key, pin that host key, and write vm.json.  It does not start it.
 *
 * Request: {"v":1,"name","image","kernel","vcpu","memory_mib",
 *           "disk_bytes","ssh_pubkey","vmm","vmm_bin","accel",
 *           "file_sync","workspace"}; "vmm_bin" (optional) is the VMM
 *           binary the CLI resolved from firecracker_bin, kept in
 *           vm.json for vmm-exec;
 *           without "kernel", the one the image's manifest names
 *           (`image register --kernel`), else the last kernel in
 *           STATE/kernels/ by name.
 *           "file_sync" (optional, at most 64): [{"host":ABSOLUTE,
 *           "guest":RELATIVE_TO_/root,"mode":N}], already resolved by
 *           the CLI (cli/filesync.c); copied onto the work disk, see
 *           docs/file-sync.md.  Symlinks inside a synced directory are
 *           skipped with a "log" event each.
 *           "workspace" (optional, true): the request line is followed
 *           by a payload, a tar stream (one archive or several
 *           concatenated) that ends when the client shuts down its
 *           side; once mkfs has made the work disk, it is written
 *           straight into the disk's /repo (lib/ext4-untar.c, libext2fs:
 *           files, directories, symlinks and hard links only, nothing
 *           outside, no setuid bits, every inode root's), so it is
 *           /root/repo in the guest.
 *           The client must read nothing before it has sent it all:
 *           this helper writes only progress lines until then.
 * Result:  the VM (vm.json) with "state":"stopped".
 *
 * Crash safety (docs/vm-lifecycle.md): vm.json is written first with
 * "status":"creating" while create.lock is held, so an interrupted
 * create is visible and `vm prune` can undo it; on any failure here,
 * everything made so far is removed before answering.
 */
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"

#define PUBKEY_MAX 8191
#define WS_MAX_ENTRIES 1000000
#define WS_IDLE_MS 60000 /* the longest pause inside the payload */

static struct bg_vmh h = BG_VMH_INIT;
static int vmsd = -1; /* STATE/vms */

/* An OpenSSH public key line: known type, printable ASCII, one line. */
static bool
pubkey_valid(const char *k)
{
	static const char *const types[] = { "ssh-ed25519 ", "ssh-rsa ",
		"ecdsa-sha2-nistp256 ", "ecdsa-sha2-nistp384 ",
		"ecdsa-sha2-nistp521 ", "sk-ssh-ed25519@openssh.com ", NULL };
	size_t i;
	bool known = false;

	for (i = 0; types[i] != NULL; i++)
		known |= strncmp(k, types[i], strlen(types[i])) == 0;
	for (i = 0; k[i] != '\0'; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			return false;
	return known;
}

static bool
vmm_known(const char *s)
{
	return bg_vmm_find(s) != NULL;
}

static bool
accel_known(const char *s)
{
	return strcmp(s, "tcg") == 0 || strcmp(s, "kvm") == 0;
}

/* A relative path: no leading "/", no empty, "." or ".." component. */
static bool
rel_ok(const char *g)
{
	const char *c = g;
	size_t n;

	if (g[0] == '\0' || g[0] == '/' || strlen(g) >= PATH_MAX)
		return false;
	while (*c != '\0') {
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (*c == '\0' && c[-1] == '/')
			return false;
	}
	return true;
}

/* The shape of "file_sync" (what is in the files is the CLI's to check). */
static int
sync_check(const cJSON *a, struct bg_err *err)
{
	const cJSON *e, *hp, *g, *m;
	int i = 0;

	cJSON_ArrayForEach(e, a) {
		i++;
		hp = cJSON_GetObjectItemCaseSensitive(e, "host");
		g = cJSON_GetObjectItemCaseSensitive(e, "guest");
		m = cJSON_GetObjectItemCaseSensitive(e, "mode");
		if (!cJSON_IsObject(e) || !cJSON_IsString(hp) ||
		    !cJSON_IsString(g) || strlen(hp->valuestring) >= PATH_MAX ||
		    !bg_abs_path_valid(hp->valuestring) ||
		    !rel_ok(g->valuestring) ||
		    (m != NULL &&
			(!cJSON_IsNumber(m) || m->valuedouble < 0 ||
			    m->valuedouble > 07777 ||
			    m->valuedouble != (double)(int)m->valuedouble)) ||
		    cJSON_GetArraySize(e) != 2 + (m != NULL)) {
			bg_err_set(err, "bad_request",
			    "file_sync entry %d: needs \"host\" (absolute, no ..), "
			    "\"guest\" (relative to /root, no ..) and an optional "
			    "\"mode\" from 0 to 07777",
			    i);
			return -EINVAL;
		}
	}
	return 0;
}

/* No kernel named: the last of STATE/kernels/ in name order. */
static int
default_kernel(char *out, size_t n, struct bg_err *err)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;

	out[0] = '\0';
	if (bg_path_build(dir, sizeof(dir), BG_DIR_STATE, "kernels", NULL,
		NULL) == 0 &&
	    (d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (bg_artifact_name_valid(e->d_name) &&
			    strlen(e->d_name) < n && strcmp(e->d_name, out) > 0)
				strcpy(out, e->d_name);
		closedir(d);
	}
	if (out[0] == '\0') {
		bg_err_set(err, "not_found",
		    "no kernel is installed: run banger kernel pull");
		return -ENOENT;
	}
	return 0;
}

/* The kernel the image's manifest names (`image register --kernel`). */
static int
image_kernel(const char *image, char *out, size_t n)
{
	char rel[PATH_MAX];
	const char *k;
	_cleanup_json_ cJSON *m = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	if (dfd < 0)
		return dfd;
	snprintf(rel, sizeof(rel), "%s/manifest.json", image);
	r = bg_json_read_file(dfd, rel, 65536, &m);
	k = r == 0 ? cJSON_GetStringValue(
			 cJSON_GetObjectItemCaseSensitive(m, "kernel")) :
		     NULL;
	if (k == NULL || !bg_artifact_name_valid(k) || strlen(k) >= n)
		return -ENOENT;
	strcpy(out, k);
	return 0;
}

/* A growing string: ~/.profile's text. */
struct text {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
add(struct text *t, const char *s, size_t k)
{
	if (t->oom)
		return;
	if (t->n + k + 1 > t->cap) {
		size_t cap = (t->n + k + 1) * 2;
		char *np = realloc(t->p, cap);

		if (np == NULL) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, k);
	t->n += k;
	t->p[t->n] = '\0';
}

/* s as one single-quoted shell word ('\'' for each '). */
static void
add_quoted(struct text *t, const char *s)
{
	add(t, "'", 1);
	for (const char *q; (q = strchr(s, '\'')) != NULL; s = q + 1) {
		add(t, s, (size_t)(q - s));
		add(t, "'\\''", 4);
	}
	add(t, s, strlen(s));
	add(t, "'", 1);
}

/* A shell variable name. */
static bool
env_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 255 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/*
 * An image imported from an OCI registry keeps its config's Env and
 * WorkingDir in its manifest ("oci"): ~/.profile on the work disk gives
 * them to login shells (vm ssh, vm run without a command), each value
 * single-quoted; Env names that are not shell names are left out, and
 * so is the cd when the VM has a workspace.  NULL: nothing to write.
 */
static char *
oci_profile(const char *image, bool workspace)
{
	_cleanup_json_ cJSON *m = NULL;
	_cleanup_close_ int dfd = -1;
	const cJSON *oci, *e, *wd;
	struct text t = { 0 };
	char rel[PATH_MAX];
	static const char head[] = "# Written by banger from the image's "
				   "config (docs/oci-import.md).\n";

	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	snprintf(rel, sizeof(rel), "%s/manifest.json", image);
	if (dfd < 0 || bg_json_read_file(dfd, rel, 1u << 20, &m) < 0)
		return NULL;
	oci = cJSON_GetObjectItemCaseSensitive(m, "oci");
	if (!cJSON_IsObject(oci))
		return NULL;
	add(&t, head, sizeof(head) - 1);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(oci, "env")) {
		const char *kv = cJSON_GetStringValue(e), *eq;

		if (kv == NULL || (eq = strchr(kv, '=')) == NULL ||
		    !env_name_ok(kv, (size_t)(eq - kv)))
			continue;
		add(&t, "export ", 7);
		add(&t, kv, (size_t)(eq - kv) + 1);
		add_quoted(&t, eq + 1);
		add(&t, "\n", 1);
	}
	wd = cJSON_GetObjectItemCaseSensitive(oci, "working_dir");
	if (!workspace && cJSON_IsString(wd) && wd->valuestring[0] == '/') {
		add(&t, "cd ", 3);
		add_quoted(&t, wd->valuestring);
		add(&t, " 2>/dev/null || :\n", 18);
	}
	if (t.oom) {
		free(t.p);
		return NULL;
	}
	return t.p;
}

/*
 * Everything a create needs, checked before anything is made: the
 * request's own rules beyond the schema, and that the image and kernel
 * are there.
 */
static int
validate(struct bg_req *rq, struct bg_err *err)
{
	struct bg_vm *vm = &h.vm;
	const char *kernel = bg_req_str(rq, "kernel");
	char path[PATH_MAX];
	int r;

	if (!bg_req_bool(rq, "workspace") && bg_req_payload_pending(rq)) {
		bg_err_set(err, "bad_request",
		    "extra data after the request "
		    "line: send one JSON object per connection");
		return -EPROTO;
	}
	if (bg_req_has(rq, "file_sync") &&
	    (r = sync_check(bg_req_array(rq, "file_sync"), err)) < 0)
		return r;
	memset(vm, 0, sizeof(*vm));
	snprintf(vm->name, sizeof(vm->name), "%s", bg_req_str(rq, "name"));
	snprintf(vm->image, sizeof(vm->image), "%s", bg_req_str(rq, "image"));
	if (kernel != NULL)
		snprintf(vm->kernel, sizeof(vm->kernel), "%s", kernel);
	else if (image_kernel(vm->image, vm->kernel, sizeof(vm->kernel)) < 0 &&
	    (r = default_kernel(vm->kernel, sizeof(vm->kernel), err)) < 0)
		return r;
	vm->vmm = bg_vmm_find(bg_req_str(rq, "vmm"));
	if (bg_req_has(rq, "vmm_bin"))
		snprintf(vm->vmm_bin, sizeof(vm->vmm_bin), "%s",
		    bg_req_str(rq, "vmm_bin"));
	snprintf(vm->accel, sizeof(vm->accel), "%s", bg_req_str(rq, "accel"));
	vm->vcpu = (int)bg_req_int(rq, "vcpu");
	vm->memory_mib = (long)bg_req_int(rq, "memory_mib");
	vm->disk_bytes = (uint64_t)bg_req_int(rq, "disk_bytes");
	vm->slot = BG_NET_INDEX_MIN;
	strcpy(vm->status, "creating");
	strftime(vm->created_at, sizeof(vm->created_at), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&(time_t){ time(NULL) }));
	if (bg_vm_derive(vm) < 0) {
		bg_err_set(err, "internal", "invalid VM settings");
		return -EINVAL;
	}
	if (bg_path_build(path, sizeof(path), BG_DIR_STATE, "images", vm->image,
		"rootfs.ext4") < 0 ||
	    access(path, R_OK) < 0) {
		bg_err_set(err, "not_found",
		    "no image named \"%s\": run banger image pull %s, or banger "
		    "image list",
		    vm->image, vm->image);
		return -ENOENT;
	}
	if (bg_path_build(path, sizeof(path), BG_DIR_STATE, "kernels",
		vm->kernel, "vmlinux") < 0 ||
	    access(path, R_OK) < 0 ||
	    bg_path_build(path, sizeof(path), BG_DIR_STATE, "kernels",
		vm->kernel, "initrd.img") < 0 ||
	    access(path, R_OK) < 0) {
		bg_err_set(err, "not_found",
		    "no kernel named \"%s\": run banger kernel pull, or banger "
		    "kernel list",
		    vm->kernel);
		return -ENOENT;
	}
	return 0;
}

/*
 * Lowest slot not used by any VM directory, nor by a tap of that number
 * that is not the owner's.  Caller holds the global lock.
 */
static int
alloc_slot(struct bg_err *err)
{
	bool used[BG_NET_INDEX_MAX + 1] = { false };
	struct bg_err ignore;
	struct dirent *e;
	char tap[16];
	uid_t owner;
	DIR *d;
	int i, fd = dup(vmsd);

	d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		bg_err_set(err, "temporary", "cannot read the VM directory");
		return -EIO;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		struct bg_vmh other;

		if (bg_name_valid(e->d_name) &&
		    strcmp(e->d_name, h.vm.name) != 0 &&
		    bg_vm_open(e->d_name, 0, &other, &ignore) == 0) {
			used[other.vm.slot] = true;
			bg_vm_close(&other);
		}
	}
	closedir(d);
	/* A bgtapN of someone else's: root would refuse it; skip the slot. */
	if (bg_owner_uid(&owner, false, &ignore) < 0)
		owner = getuid();
	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX; i++)
		if (!used[i] &&
		    (bg_net_tap_name(i, tap, sizeof(tap)) < 0 ||
			!bg_net_link_exists(tap) ||
			bg_net_tap_mine(tap, owner) == 0))
			return i;
	bg_err_set(err, "busy",
	    "all %d VM addresses are in use: delete a VM first",
	    BG_NET_INDEX_MAX - BG_NET_INDEX_MIN + 1);
	return -ENOSPC;
}

/* Undo: nothing of this VM may outlive a failed create. */
static void
unmake(void *arg)
{
	int g = bg_lock_global(0);

	(void)arg;
	bg_known_hosts_update(h.vm.name, h.vm.ip, NULL);
	bg_vm_close(&h);
	bg_rm_rf_at(vmsd, h.vm.name);
	if (g >= 0)
		close(g);
}

/* Reserve the name and a slot under the global lock; vm.json "creating". */
static int
reserve(struct bg_req *rq, int *clock, struct bg_err *err)
{
	_cleanup_close_ int g = bg_lock_global(0);
	int r;

	vmsd = bg_state_dir(BG_DIR_STATE, "vms", 0755);
	if (g < 0 || vmsd < 0) {
		r = g < 0 ? g : vmsd;
		bg_err_set(err, "temporary", "cannot lock the VM state: %s",
		    strerror(-r));
		return r;
	}
	if (mkdirat(vmsd, h.vm.name, 0755) < 0) {
		r = -errno;
		if (r == -EEXIST)
			bg_err_set(err, "exists",
			    "a VM named \"%s\" already "
			    "exists: pick another --name, or banger vm delete %s",
			    h.vm.name, h.vm.name);
		else
			bg_err_set(err, "temporary",
			    "cannot make the VM directory: %s", strerror(-r));
		return r;
	}
	bg_req_on_fail(rq, unmake, NULL);
	h.sfd = bg_vm_dir(BG_DIR_STATE, h.vm.name);
	*clock =
	    h.sfd < 0 ? h.sfd : bg_lock_at(h.sfd, "create.lock", BG_LOCK_NB);
	r = *clock < 0 ? *clock : alloc_slot(err);
	if (r < 0) {
		if (err->code[0] == '\0')
			bg_err_set(err, "temporary",
			    "cannot reserve the VM: %s", strerror(-r));
		return r;
	}
	h.vm.slot = r;
	bg_vm_derive(&h.vm);
	h.loaded = true;
	r = bg_vm_save(&h);
	if (r < 0)
		bg_err_set(err, "temporary", "cannot write vm.json: %s",
		    strerror(-r));
	return r;
}

/* The image's rootfs, cloned (FICLONE) or copied sparse. */
static int
clone_rootfs(struct bg_err *err)
{
	char path[PATH_MAX];
	_cleanup_close_ int src = -1, dst = -1;
	int r;

	if (bg_path_build(path, sizeof(path), BG_DIR_STATE, "images",
		h.vm.image, "rootfs.ext4") < 0)
		return -EINVAL;
	src = open(path, O_RDONLY | O_CLOEXEC);
	dst = bg_openat_beneath(h.sfd, "rootfs.ext4", O_RDWR | O_CREAT | O_EXCL,
	    0644);
	r = src < 0 ? -errno : dst < 0 ? dst : bg_clone_file(src, dst);
	if (r >= 0 && fsync(dst) < 0)
		r = -errno;
	if (r < 0)
		bg_err_set(err, "temporary",
		    "cannot copy the image's rootfs: %s", strerror(-r));
	return r < 0 ? r : 0;
}

static ssize_t
payload_read(void *arg, void *buf, size_t n)
{
	return bg_req_payload_read(arg, buf, n, bg_now_ms() + WS_IDLE_MS);
}

static void
warn(const char *msg)
{
	bg_proto_log(1, "%s", msg);
}

/* The work disk: keys, file_sync, workspace (lib/workdisk.c). */
static int
work_disk(struct bg_req *rq, char *hostpub, size_t hn, struct bg_err *err)
{
	struct bg_workdisk w = { 0 };
	char path[PATH_MAX], comment[BG_NAME_MAX + 8];
	char *priv = NULL, *pub = NULL, *profile;
	int r;

	snprintf(comment, sizeof(comment), "%s.vm", h.vm.name);
	r = bg_sshkey_ed25519(comment, &priv, &pub);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot make the host key: %s",
		    strerror(-r));
		return r;
	}
	snprintf(hostpub, hn, "%s", pub);
	w.bytes = h.vm.disk_bytes;
	w.authorized_key = bg_req_str(rq, "ssh_pubkey");
	w.host_key = priv;
	w.host_pub = pub;
	w.file_sync = bg_req_array(rq, "file_sync");
	if (bg_req_bool(rq, "workspace")) {
		w.ws_read = payload_read;
		w.ws_arg = rq;
		w.ws_lim.max_bytes = h.vm.disk_bytes;
		w.ws_lim.max_entries = WS_MAX_ENTRIES;
	}
	w.warn = warn;
	profile = oci_profile(h.vm.image, bg_req_bool(rq, "workspace"));
	w.profile = profile;
	r = bg_vm_path(&h, BG_VMF_WORK, path, sizeof(path));
	if (r == 0)
		r = bg_workdisk_build(h.sfd, "work.ext4", path, &w, err);
	bg_sshkey_free(priv);
	free(pub);
	free(profile);
	return r;
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	_cleanup_close_ int clock = -1, g = -1;
	char hostpub[512];
	int r;

	r = reserve(rq, &clock, err);
	if (r < 0)
		return r;
	bg_proto_progress(1, "clone rootfs", 0, 2);
	r = clone_rootfs(err);
	if (r < 0)
		return r;
	bg_proto_progress(1, "clone rootfs", 1, 2);
	r = work_disk(rq, hostpub, sizeof(hostpub), err);
	if (r < 0)
		return r;
	bg_proto_progress(1, "clone rootfs", 2, 2);
	/* Pin the host key, then mark the VM complete. */
	g = bg_lock_global(0);
	r = g < 0 ? g : bg_known_hosts_update(h.vm.name, h.vm.ip, hostpub);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot pin the host key: %s",
		    strerror(-r));
		return r;
	}
	strcpy(h.vm.status, "created");
	r = bg_vm_save(&h);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot write vm.json: %s",
		    strerror(-r));
		return r;
	}
	*result = bg_vm_to_json(&h.vm);
	cJSON_AddStringToObject(*result, "state", "stopped");
	return 0;
}

/* The request: one field a block, packed; kept as written. */
/* clang-format off */
static const struct bg_field fields[] = {
	BG_F_NAME,
	BG_F_ARTIFACT("image", true),
	BG_F_ARTIFACT("kernel", false),
	{ .key = "vcpu", .type = BG_T_INT, .required = true,
	    .min = BG_VCPU_MIN, .max = BG_VCPU_MAX },
	{ .key = "memory_mib", .type = BG_T_INT, .required = true,
	    .min = BG_MEMORY_MIN_MIB, .max = BG_MEMORY_MAX_MIB },
	{ .key = "disk_bytes", .type = BG_T_INT, .required = true,
	    .min = (int64_t)BG_DISK_MIN, .max = (int64_t)BG_DISK_MAX },
	{ .key = "ssh_pubkey", .type = BG_T_STR, .required = true,
	    .max = PUBKEY_MAX, .valid = pubkey_valid,
	    .what = "one OpenSSH public key line (ssh-ed25519 ...)" },
	{ .key = "vmm", .type = BG_T_STR, .required = true, .max = 31,
	    .valid = vmm_known, .what = "a VMM: qemu or firecracker" },
	{ .key = "vmm_bin", .type = BG_T_STR, .max = BG_VMM_BIN_MAX,
	    .valid = bg_abs_path_valid,
	    .what = "the VMM binary, an absolute path without . or .." },
	{ .key = "accel", .type = BG_T_STR, .required = true, .max = 7,
	    .valid = accel_known, .what = "\"tcg\" or \"kvm\"" },
	{ .key = "file_sync", .type = BG_T_ARRAY, .max = 64 },
	BG_F_BOOL("workspace"),
	{ NULL },
};
/* clang-format on */

BG_VERB(.name = "vm-create", .flags = BG_VERB_PAYLOAD, .fields = fields,
    .validate = validate, .act = act);
