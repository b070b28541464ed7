/*
 * vm-create — make a VM: allocate its slot, clone the image's rootfs,
 * build its work disk with the owner's public key and a fresh ssh host
 * key, pin that host key, and write vm.json.  It does not start it.
 *
 * Request: {"v":1,"name","image","kernel","vcpu","memory_mib",
 *           "disk_bytes","ssh_pubkey","vmm","accel","file_sync"};
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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <skalibs/strerr.h>

#include "banger.h"

static const char *const allowed[] = { "name", "image", "kernel", "vcpu",
	"memory_mib", "disk_bytes", "ssh_pubkey", "vmm", "accel", "file_sync",
	"workspace", NULL };

#define FS_MAX_ENTRIES 64
#define FS_MAX_BYTES (1024ULL * 1024 * 1024)
#define WS_MAX_ENTRIES 1000000
#define WS_IDLE_MS 60000        /* the longest pause inside the payload */

static int
get_str(const cJSON *req, const char *key, char *out, size_t n,
    struct bg_err *err)
{
	const char *s = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(req, key));

	if (s == NULL || strlen(s) >= n) {
		bg_err_set(err, "bad_request", "\"%s\" must be a string of at most %zu bytes",
		    key, n - 1);
		return -EINVAL;
	}
	strcpy(out, s);
	return 0;
}

static int
get_num(const cJSON *req, const char *key, double lo, double hi, double *out,
    struct bg_err *err)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(req, key);

	if (!cJSON_IsNumber(j) || j->valuedouble < lo || j->valuedouble > hi ||
	    j->valuedouble != (double)(long long)j->valuedouble) {
		bg_err_set(err, "bad_request", "\"%s\" must be an integer from %.0f to %.0f",
		    key, lo, hi);
		return -EINVAL;
	}
	*out = j->valuedouble;
	return 0;
}

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
	return known && i < 8192;
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
	    NULL) == 0 && (d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (bg_artifact_name_valid(e->d_name) && strlen(e->d_name) < n &&
			    strcmp(e->d_name, out) > 0)
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
	cJSON *m = NULL;
	int dfd, r;

	if (!bg_artifact_name_valid(image))
		return -EINVAL;
	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	if (dfd < 0)
		return dfd;
	snprintf(rel, sizeof(rel), "%s/manifest.json", image);
	r = bg_json_read_file(dfd, rel, 65536, &m);
	close(dfd);
	k = r == 0 ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m,
	    "kernel")) : NULL;
	r = k != NULL && bg_artifact_name_valid(k) && strlen(k) < n ? 0 :
	    -ENOENT;
	if (r == 0)
		strcpy(out, k);
	cJSON_Delete(m);
	return r;
}

static int
parse(const cJSON *req, struct bg_vm *vm, char *pubkey, size_t pn,
    struct bg_err *err)
{
	double v;

	memset(vm, 0, sizeof(*vm));
	if (get_str(req, "name", vm->name, sizeof(vm->name), err) < 0 ||
	    get_str(req, "image", vm->image, sizeof(vm->image), err) < 0 ||
	    (cJSON_GetObjectItemCaseSensitive(req, "kernel") != NULL ?
	    get_str(req, "kernel", vm->kernel, sizeof(vm->kernel), err) :
	    image_kernel(vm->image, vm->kernel, sizeof(vm->kernel)) == 0 ? 0 :
	    default_kernel(vm->kernel, sizeof(vm->kernel), err)) < 0 ||
	    get_str(req, "vmm", vm->vmm, sizeof(vm->vmm), err) < 0 ||
	    get_str(req, "accel", vm->accel, sizeof(vm->accel), err) < 0 ||
	    get_str(req, "ssh_pubkey", pubkey, pn, err) < 0)
		return -EINVAL;
	if (!bg_name_valid(vm->name)) {
		bg_err_set(err, "bad_request",
		    "a VM name is 1-63 of a-z, 0-9 and '-', starting with a letter or digit");
		return -EINVAL;
	}
	if (!bg_artifact_name_valid(vm->image) ||
	    !bg_artifact_name_valid(vm->kernel)) {
		bg_err_set(err, "bad_request",
		    "image and kernel names are 1-63 of a-z, 0-9, '-' and '.', starting with a letter or digit");
		return -EINVAL;
	}
	if (!pubkey_valid(pubkey)) {
		bg_err_set(err, "bad_request",
		    "\"ssh_pubkey\" must be one OpenSSH public key line (ssh-ed25519 ...)");
		return -EINVAL;
	}
	if (get_num(req, "vcpu", BG_VCPU_MIN, BG_VCPU_MAX, &v, err) < 0)
		return -EINVAL;
	vm->vcpu = (int)v;
	if (get_num(req, "memory_mib", BG_MEMORY_MIN_MIB, BG_MEMORY_MAX_MIB,
	    &v, err) < 0)
		return -EINVAL;
	vm->memory_mib = (long)v;
	if (get_num(req, "disk_bytes", (double)BG_DISK_MIN, (double)BG_DISK_MAX,
	    &v, err) < 0)
		return -EINVAL;
	vm->disk_bytes = (uint64_t)v;
	strcpy(vm->status, "creating");
	return 0;
}

/* Lowest slot not used by any VM directory.  Caller holds the global lock. */
static int
alloc_slot(struct bg_err *err)
{
	bool used[BG_NET_INDEX_MAX + 1] = { false };
	char path[PATH_MAX];
	struct bg_vm other;
	struct bg_err ignore;
	DIR *d;
	struct dirent *e;
	int i;

	if (bg_path_build(path, sizeof(path), BG_DIR_STATE, "vms", NULL,
	    NULL) < 0 || (d = opendir(path)) == NULL) {
		bg_err_set(err, "temporary", "cannot read the VM directory");
		return -EIO;
	}
	while ((e = readdir(d)) != NULL)
		if (bg_name_valid(e->d_name) &&
		    bg_vm_load(e->d_name, &other, &ignore) == 0)
			used[other.slot] = true;
	closedir(d);
	for (i = BG_NET_INDEX_MIN; i <= BG_NET_INDEX_MAX; i++)
		if (!used[i])
			return i;
	bg_err_set(err, "busy", "all %d VM addresses are in use: delete a VM first",
	    BG_NET_INDEX_MAX - BG_NET_INDEX_MIN + 1);
	return -ENOSPC;
}

/* ---- file_sync: host files onto the work disk ------------------------ */

struct fsync {
	const char *who;        /* "file_sync entry N" */
	uint64_t total;
	struct bg_err *err;
};

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

static bool
abs_ok(const char *h)
{
	const char *c = h;

	if (h[0] != '/' || strlen(h) >= PATH_MAX)
		return false;
	while ((c = strstr(c, "..")) != NULL) {
		if (c[-1] == '/' && (c[2] == '/' || c[2] == '\0'))
			return false;
		c += 2;
	}
	return true;
}

static int
fs_fail(struct fsync *f, const char *what, const char *path, int e)
{
	bg_err_set(f->err, e == EFBIG ? "bad_request" : "temporary",
	    "%s: %s '%s': %s", f->who, what, path, strerror(e));
	return -e;
}

/* Copy the regular file open at src to dst (relative to work.d at wd). */
static int
copy_file(struct fsync *f, int src, const struct stat *st, int wd,
    const char *dst, mode_t mode, const char *hpath)
{
	char buf[65536];
	ssize_t n;
	int out;

	f->total += (uint64_t)st->st_size;
	if (f->total > FS_MAX_BYTES)
		return fs_fail(f, "more than 1 GiB in total at", hpath, EFBIG);
	out = openat(wd, dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out < 0)
		return fs_fail(f, "cannot create the copy of", hpath, errno);
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (bg_write_all(out, buf, (size_t)n) < 0) {
			n = -1;
			break;
		}
	if (n < 0 || fchmod(out, mode) < 0) {
		int e = errno ? errno : EIO;
		close(out);
		return fs_fail(f, "cannot copy", hpath, e);
	}
	close(out);
	return 0;
}

/* Copy the directory open at dfd (host path hpath) to dst, recursively. */
static int
copy_dir(struct fsync *f, int dfd, const char *hpath, int wd, const char *dst,
    mode_t mode, int depth)
{
	char hp[PATH_MAX], dp[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int r = 0, fd;

	if (depth > 64)
		return fs_fail(f, "too deep at", hpath, ELOOP);
	if (mkdirat(wd, dst, 0700) < 0)
		return fs_fail(f, "cannot create the copy of", hpath, errno);
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return fs_fail(f, "cannot read", hpath, errno);
	}
	while (r == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(hp, sizeof(hp), "%s/%s", hpath, e->d_name) >=
		    sizeof(hp) || (size_t)snprintf(dp, sizeof(dp), "%s/%s", dst,
		    e->d_name) >= sizeof(dp)) {
			r = fs_fail(f, "path too long at", hpath, ENAMETOOLONG);
			break;
		}
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = fs_fail(f, "cannot read", hp, errno);
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			bg_proto_log(1, "warning: %s: skipped the symlink %s "
			    "(symlinks inside a synced directory are not copied)",
			    f->who, hp);
			continue;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			bg_proto_log(1, "warning: %s: skipped %s (not a regular "
			    "file or directory)", f->who, hp);
			continue;
		}
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0) {
			r = fs_fail(f, "cannot open", hp, errno);
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = copy_dir(f, fd, hp, wd, dp, st.st_mode & 0777,
			    depth + 1);
		else {
			r = copy_file(f, fd, &st, wd, dp, st.st_mode & 01777, hp);
			close(fd);
		}
	}
	if (r == 0 && errno != 0)
		r = fs_fail(f, "cannot read", hpath, errno);
	closedir(d);
	if (r == 0 && fchmodat(wd, dst, mode, 0) < 0)
		r = fs_fail(f, "cannot set the mode of the copy of", hpath, errno);
	return r;
}

/* mkdir -p of guest's parent directories beneath wd, 0755. */
static int
make_parents(struct fsync *f, int wd, const char *guest)
{
	char p[PATH_MAX], *s;
	struct stat st;

	snprintf(p, sizeof(p), "%s", guest);
	for (s = strchr(p, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(wd, p, 0755) == 0) {
			/* 0755 whatever the umask (the unit's is 0077). */
			if (fchmodat(wd, p, 0755, 0) < 0)
				return fs_fail(f, "cannot make the guest "
				    "directory", p, errno);
		} else if (errno != EEXIST ||
		    fstatat(wd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			return fs_fail(f, "cannot make the guest directory", p,
			    errno == EEXIST ? ENOTDIR : errno);
		*s = '/';
	}
	return 0;
}

/* Check the request's "file_sync" (before anything is made). */
static int
sync_check(const cJSON *req, struct bg_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "file_sync");
	const cJSON *e, *h, *g, *m;
	int i = 0;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > FS_MAX_ENTRIES) {
		bg_err_set(err, "bad_request",
		    "\"file_sync\" must be an array of at most %d entries",
		    FS_MAX_ENTRIES);
		return -EINVAL;
	}
	cJSON_ArrayForEach(e, a) {
		i++;
		h = cJSON_GetObjectItemCaseSensitive(e, "host");
		g = cJSON_GetObjectItemCaseSensitive(e, "guest");
		m = cJSON_GetObjectItemCaseSensitive(e, "mode");
		if (!cJSON_IsObject(e) || !cJSON_IsString(h) ||
		    !cJSON_IsString(g) || !abs_ok(h->valuestring) ||
		    !rel_ok(g->valuestring) || (m != NULL &&
		    (!cJSON_IsNumber(m) || m->valuedouble < 0 ||
		    m->valuedouble > 07777 ||
		    m->valuedouble != (double)(int)m->valuedouble))) {
			bg_err_set(err, "bad_request",
			    "file_sync entry %d: needs \"host\" (absolute, no ..), "
			    "\"guest\" (relative to /root, no ..) and an optional "
			    "\"mode\" from 0 to 07777", i);
			return -EINVAL;
		}
	}
	return 0;
}

/* Copy the entries of "file_sync" into work.d (the work disk's tree). */
static int
sync_copy(int vmd, const cJSON *req, struct bg_err *err)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(req, "file_sync");
	const cJSON *e, *m;
	struct fsync f = { NULL, 0, err };
	char who[48], real[PATH_MAX];
	struct stat st;
	int i = 0, wd, fd, r = 0;

	if (a == NULL || cJSON_GetArraySize(a) == 0)
		return 0;
	wd = openat(vmd, "work.d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (wd < 0) {
		bg_err_set(err, "temporary", "cannot open work.d: %s",
		    strerror(errno));
		return -errno;
	}
	f.who = who;
	cJSON_ArrayForEach(e, a) {
		const char *host = cJSON_GetObjectItemCaseSensitive(e, "host")->valuestring;
		const char *guest = cJSON_GetObjectItemCaseSensitive(e, "guest")->valuestring;

		snprintf(who, sizeof(who), "file_sync entry %d", ++i);
		m = cJSON_GetObjectItemCaseSensitive(e, "mode");
		/* The rules on host paths (inside the home, top-level
		 * symlinks) are the CLI's, which knows the user's $HOME;
		 * this runs as that same owner, with no more access. */
		if (realpath(host, real) == NULL) {
			bg_err_set(err, "bad_request",
			    "%s: host '%s' does not exist any more", who, host);
			r = -EPERM;
			break;
		}
		fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = fs_fail(&f, "cannot open", host, errno);
			if (fd >= 0)
				close(fd);
			break;
		}
		if ((r = make_parents(&f, wd, guest)) < 0) {
			close(fd);
			break;
		}
		if (S_ISDIR(st.st_mode))
			r = copy_dir(&f, fd, host, wd, guest, st.st_mode & 0777, 0);
		else if (S_ISREG(st.st_mode)) {
			r = copy_file(&f, fd, &st, wd, guest, m != NULL ?
			    (mode_t)m->valuedouble : 0600, host);
			close(fd);
		} else {
			close(fd);
			r = fs_fail(&f, "not a regular file or directory:", host,
			    EINVAL);
		}
		if (r < 0)
			break;
	}
	close(wd);
	return r;
}

/* ---- workspace: the payload onto the work disk ---------------------- */

static ssize_t
payload_read(void *arg, void *buf, size_t n)
{
	return bg_helper_payload_read(arg, buf, n, bg_now_ms() + WS_IDLE_MS);
}

/*
 * The payload straight into the work disk's /repo (lib/ext4-untar.c:
 * libext2fs, every inode root:root, nothing outside /repo).  Runs after
 * mkfs, so a [[file_sync]] entry inside ~/repo makes it fail naming the
 * path that exists twice.
 */
static int
workspace(const struct bg_vm_paths *p, struct bg_helper *h,
    const struct bg_vm *vm, struct bg_err *err)
{
	struct bg_untar_limits lim = { vm->disk_bytes, WS_MAX_ENTRIES };
	struct bg_untar_stats st;
	int r;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h->req,
	    "workspace")))
		return 0;
	r = bg_ext4_untar(p->work, "repo", payload_read, h, &lim, &st, err);
	if (r < 0) {
		char m[sizeof(err->msg)];

		memcpy(m, err->msg, sizeof(m));
		snprintf(err->msg, sizeof(err->msg), "the workspace: %.*s%s",
		    (int)sizeof(m) - 96, m, r == -EFBIG ? ": give the VM a "
		    "larger work disk (--disk SIZE)" : "");
	}
	return r;
}

/* The work disk's files in work.d/, then mkfs.ext4 -d into work.ext4. */
static int
build_work(int vmd, const struct bg_vm *vm, const struct bg_vm_paths *p,
    const char *pubkey, struct bg_helper *h, char *hostpub, size_t hn,
    struct bg_err *err)
{
	const cJSON *req = h->req;
	char dir[PATH_MAX], key[PATH_MAX], mkfs[PATH_MAX], keygen[PATH_MAX];
	char fakeroot[PATH_MAX];
	char size[32], label[] = "work", comment[BG_NAME_MAX + 8], *pub;
	size_t len;
	int fd, r;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/work.d", p->dir) >=
	    sizeof(dir) || (size_t)snprintf(key, sizeof(key),
	    "%s/.banger/ssh_host_ed25519_key", dir) >= sizeof(key)) {
		bg_err_set(err, "temporary", "the state path is too long");
		return -ENAMETOOLONG;
	}
	/* 0700: the guest's /root, and no other user reads the copies. */
	if (mkdirat(vmd, "work.d", 0700) < 0 ||
	    mkdirat(vmd, "work.d/.ssh", 0700) < 0 ||
	    mkdirat(vmd, "work.d/.banger", 0700) < 0) {
		bg_err_set(err, "temporary", "cannot make the work disk tree: %s",
		    strerror(errno));
		return -errno;
	}
	fd = bg_openat_beneath(vmd, "work.d/.ssh/authorized_keys",
	    O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || bg_write_all(fd, pubkey, strlen(pubkey)) < 0 ||
	    bg_write_all(fd, "\n", 1) < 0) {
		if (fd >= 0)
			close(fd);
		bg_err_set(err, "temporary", "cannot write authorized_keys");
		return -EIO;
	}
	close(fd);
	r = sync_copy(vmd, req, err);
	if (r < 0)
		return r;
	if (bg_find_tool("ssh-keygen", keygen, sizeof(keygen)) == NULL ||
	    bg_find_tool("mkfs.ext4", mkfs, sizeof(mkfs)) == NULL ||
	    bg_find_tool("fakeroot", fakeroot, sizeof(fakeroot)) == NULL) {
		bg_err_set(err, "temporary",
		    "ssh-keygen, mkfs.ext4 or fakeroot is missing: install openssh-client, e2fsprogs and fakeroot");
		return -ENOENT;
	}
	snprintf(comment, sizeof(comment), "%s.vm", vm->name);
	{
		char *argv[] = { keygen, "-q", "-t", "ed25519", "-N", "",
			"-C", comment, "-f", key, NULL };
		r = bg_run(argv, 30000, err);
		if (r < 0)
			return r;
	}
	r = bg_read_file(vmd, "work.d/.banger/ssh_host_ed25519_key.pub", 8192,
	    &pub, &len);
	if (r < 0 || len == 0 || len >= hn) {
		bg_err_set(err, "temporary", "cannot read the new host key");
		return r < 0 ? r : -EIO;
	}
	/* "ssh-ed25519 AAAA... comment\n" -> type and key only. */
	{
		char *sp = strchr(pub, ' ');
		sp = sp ? strchr(sp + 1, ' ') : NULL;
		if (sp)
			*sp = '\0';
		pub[strcspn(pub, "\n")] = '\0';
		snprintf(hostpub, hn, "%s", pub);
		free(pub);
	}
	fd = bg_openat_beneath(vmd, "work.ext4", O_WRONLY | O_CREAT | O_EXCL,
	    0644);
	if (fd < 0 || ftruncate(fd, (off_t)vm->disk_bytes) < 0) {
		r = fd < 0 ? fd : -errno;
		if (fd >= 0)
			close(fd);
		bg_err_set(err, "temporary", "cannot make work.ext4: %s",
		    strerror(-r));
		return r;
	}
	close(fd);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)vm->disk_bytes);
	/* Under fakeroot every file reads as root's: root-owned in the guest. */
	{
		char *argv[] = { fakeroot, mkfs, "-q", "-F", "-t", "ext4", "-L", label,
			"-d", dir, "-E", "root_owner=0:0", (char *)p->work, NULL };
		r = bg_run(argv, 120000, err);
	}
	if (r == 0)
		r = workspace(p, h, vm, err);
	return r;
}

int
main(void)
{
	struct bg_helper h;
	struct bg_err err = { { 0 }, { 0 } };
	struct bg_vm vm;
	struct bg_vm_paths p;
	char pubkey[8192], hostpub[8192], rel[BG_NAME_MAX + 8];
	time_t now = time(NULL);
	int glock = -1, clock_fd = -1, vmd = -1, vmsd = -1, src, dst, r;
	bool made = false;
	cJSON *res;

	PROG = "banger-vm-create";
	r = bg_helper_begin_payload(&h, "vm-create");
	if (r)
		return r;
	if (cJSON_GetObjectItemCaseSensitive(h.req, "workspace") != NULL &&
	    !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(h.req,
	    "workspace"))) {
		bg_err_set(&err, "bad_request", "\"workspace\" must be true or false");
		return bg_helper_fail(&h, &err);
	}
	if ((!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h.req,
	    "workspace")) && bg_helper_no_payload(&h, &err) < 0) ||
	    bg_helper_check_keys(h.req, allowed, &err) < 0 ||
	    parse(h.req, &vm, pubkey, sizeof(pubkey), &err) < 0 ||
	    sync_check(h.req, &err) < 0)
		return bg_helper_fail(&h, &err);
	vm.slot = BG_NET_INDEX_MIN;
	strftime(vm.created_at, sizeof(vm.created_at), "%Y-%m-%dT%H:%M:%SZ",
	    gmtime(&now));
	if (bg_vm_derive(&vm) < 0 || bg_vm_paths(&vm, &p) < 0) {
		bg_err_set(&err, "bad_request", "invalid VM settings");
		return bg_helper_fail(&h, &err);
	}
	if (access(p.image_rootfs, R_OK) < 0) {
		bg_err_set(&err, "not_found",
		    "no image named \"%s\" (%s): run banger image pull %s, or banger image list",
		    vm.image, strerror(errno), vm.image);
		return bg_helper_fail(&h, &err);
	}
	if (access(p.kernel, R_OK) < 0 || access(p.initrd, R_OK) < 0) {
		bg_err_set(&err, "not_found",
		    "no kernel named \"%s\": run banger kernel pull, or banger kernel list",
		    vm.kernel);
		return bg_helper_fail(&h, &err);
	}

	/* Reserve the name and a slot under the global lock. */
	glock = bg_lock_global(0);
	vmsd = bg_state_dir(BG_DIR_STATE, "vms", 0755);
	if (glock < 0 || vmsd < 0) {
		bg_err_set(&err, "temporary", "cannot lock the VM state: %s",
		    strerror(-(glock < 0 ? glock : vmsd)));
		goto fail;
	}
	if (mkdirat(vmsd, vm.name, 0755) < 0) {
		if (errno == EEXIST)
			bg_err_set(&err, "exists",
			    "a VM named \"%s\" already exists: pick another --name, or banger vm delete %s",
			    vm.name, vm.name);
		else
			bg_err_set(&err, "temporary", "cannot make the VM directory: %s",
			    strerror(errno));
		goto fail;
	}
	made = true;
	snprintf(rel, sizeof(rel), "vms/%s", vm.name);
	vmd = bg_state_dir(BG_DIR_STATE, rel, 0755);
	clock_fd = vmd < 0 ? vmd : bg_lock_at(vmd, "create.lock", BG_LOCK_NB);
	r = clock_fd < 0 ? clock_fd : alloc_slot(&err);
	if (r < 0) {
		if (!err.code[0])
			bg_err_set(&err, "temporary", "cannot reserve the VM: %s",
			    strerror(-r));
		goto fail;
	}
	vm.slot = r;
	bg_vm_derive(&vm);
	r = bg_vm_save(&vm);
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot write vm.json: %s",
		    strerror(-r));
		goto fail;
	}
	close(glock);
	glock = -1;

	/* The disks. */
	bg_proto_progress(1, "clone rootfs", 0, 2);
	src = open(p.image_rootfs, O_RDONLY | O_CLOEXEC);
	dst = bg_openat_beneath(vmd, "rootfs.ext4", O_RDWR | O_CREAT | O_EXCL,
	    0644);
	r = src < 0 || dst < 0 ? -EIO : bg_clone_file(src, dst);
	if (src >= 0)
		close(src);
	if (dst >= 0 && fsync(dst) < 0 && r >= 0)
		r = -errno;
	if (dst >= 0)
		close(dst);
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot copy the image's rootfs: %s",
		    strerror(-r));
		goto fail;
	}
	bg_proto_progress(1, "clone rootfs", 1, 2);
	r = build_work(vmd, &vm, &p, pubkey, &h, hostpub, sizeof(hostpub),
	    &err);
	bg_rm_rf_at(vmd, "work.d");
	if (r < 0)
		goto fail;
	bg_proto_progress(1, "clone rootfs", 2, 2);

	/* Pin the host key, then mark the VM complete. */
	glock = bg_lock_global(0);
	r = glock < 0 ? glock : bg_known_hosts_update(vm.name, vm.ip, hostpub);
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot pin the host key: %s",
		    strerror(-r));
		goto fail;
	}
	strcpy(vm.status, "created");
	r = bg_vm_save(&vm);
	if (r < 0) {
		bg_err_set(&err, "temporary", "cannot write vm.json: %s",
		    strerror(-r));
		goto fail;
	}
	close(glock);
	close(clock_fd);
	close(vmd);
	close(vmsd);
	res = bg_vm_to_json(&vm);
	cJSON_AddStringToObject(res, "state", "stopped");
	return bg_helper_ok(&h, res);

fail:
	/* Undo: nothing of this VM may outlive a failed create. */
	if (made) {
		if (glock < 0)
			glock = bg_lock_global(0);
		bg_known_hosts_update(vm.name, vm.ip, NULL);
		bg_rm_rf_at(vmsd, vm.name);
	}
	if (glock >= 0)
		close(glock);
	if (clock_fd >= 0)
		close(clock_fd);
	if (vmd >= 0)
		close(vmd);
	if (vmsd >= 0)
		close(vmsd);
	return bg_helper_fail(&h, &err);
}
