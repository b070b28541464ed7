/*
 * image-register — install a local ext4 root file system as an image.
 *
 * Request: {"v":1,"name":NAME,"rootfs":ABSOLUTE_PATH,"kernel":KNAME?}
 *          (the CLI resolves ROOTFS to an absolute path; the file is
 *          the owner's, read as the owner).  Result: {"name","version",
 *          "bytes","kernel"?}.
 *
 * The file must be a regular file holding an ext2/3/4 file system (its
 * superblock magic).  It is copied (FICLONE where the file system can,
 * else a sparse copy) into a hidden directory under STATE/images/, its
 * sha256 is taken, manifest.json is written (the format the image
 * recipes write, plus "kernel" when --kernel named one: `vm create`
 * then boots this image with that kernel unless told otherwise), and
 * the directory is renamed to NAME with RENAME_NOREPLACE, so an image
 * appears whole or not at all and never replaces another.  Nothing is
 * left behind on failure.  The image must still follow the guest
 * contract (docs/guest.md: /sbin/banger-init, an ssh server).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

/* The images directory and what this request made in it (for the undo). */
static int dfd = -1;
static char made[BG_NAME_MAX + 40];

static void
unmake(void *arg)
{
	bg_rm_rf_at(dfd, arg);
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	const char *name = bg_req_str(rq, "name");
	const char *rootfs = bg_req_str(rq, "rootfs");
	const char *kernel = bg_req_str(rq, "kernel");
	char tmp[BG_NAME_MAX + 40], hex[65], version[17];
	unsigned char magic[2];
	struct stat st;
	_cleanup_json_ cJSON *man = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int src = -1, dst = -1, tfd = -1;
	cJSON *files, *f;
	int r;

	if (kernel != NULL) {
		char k[PATH_MAX];

		if (bg_path_build(k, sizeof(k), BG_DIR_STATE, "kernels", kernel,
			"vmlinux") < 0 ||
		    access(k, R_OK) < 0) {
			bg_err_set(err, "not_found",
			    "no kernel named \"%s\": "
			    "banger kernel list shows the kernels",
			    kernel);
			return -ENOENT;
		}
	}
	/* The file: ours to read, regular, an ext2/3/4 superblock. */
	src = open(rootfs, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0) {
		bg_err_set(err, errno == ENOENT ? "not_found" : "bad_request",
		    "cannot open %s: %s", rootfs, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 2048 ||
	    (uint64_t)st.st_size > BG_DISK_MAX ||
	    pread(src, magic, 2, 1024 + 56) != 2 || magic[0] != 0x53 ||
	    magic[1] != 0xef) {
		bg_err_set(err, "bad_request",
		    "%s is not an ext2/3/4 file "
		    "system image (make one with mkfs.ext4 -d DIR FILE SIZE)",
		    rootfs);
		return -EINVAL;
	}
	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	if (dfd < 0) {
		bg_err_set(err, "temporary",
		    "cannot open the images directory: %s", strerror(-dfd));
		return dfd;
	}
	/* Early: no copy of gigabytes for a name that is taken. */
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		bg_err_set(err, "exists",
		    "an image named \"%s\" exists: pick "
		    "another name, or banger image delete %s first",
		    name, name);
		return -EEXIST;
	}
	snprintf(tmp, sizeof(tmp), ".register-%s-%ld", name, (long)getpid());
	if (mkdirat(dfd, tmp, 0755) < 0 || fchmodat(dfd, tmp, 0755, 0) < 0) {
		bg_err_set(err, "temporary",
		    "cannot make a directory in the images directory: %s",
		    strerror(errno));
		return -errno;
	}
	snprintf(made, sizeof(made), "%s", tmp);
	bg_req_on_fail(rq, unmake, made);
	tfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dst = tfd < 0 ?
	    -1 :
	    openat(tfd, "rootfs.ext4",
		O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	r = dst < 0 || fchmod(dst, 0644) < 0 ? -errno : bg_clone_file(src, dst);
	if (r == 0 && fsync(dst) < 0)
		r = -errno;
	if (r == 0)
		r = bg_sha256_fd(dst, st.st_size, hex);
	if (r < 0) {
		bg_err_set(err, r == -ENOSPC ? "bad_request" : "temporary",
		    "cannot copy %s: %s", rootfs, strerror(-r));
		return r;
	}
	memcpy(version, hex, 16);
	version[16] = '\0';
	man = cJSON_CreateObject();
	cJSON_AddStringToObject(man, "name", name);
	cJSON_AddStringToObject(man, "kind", "image");
	cJSON_AddStringToObject(man, "version", version);
	files = cJSON_AddObjectToObject(man, "files");
	f = cJSON_AddObjectToObject(files, "rootfs.ext4");
	cJSON_AddNumberToObject(f, "size", (double)st.st_size);
	cJSON_AddStringToObject(f, "sha256", hex);
	if (kernel != NULL)
		cJSON_AddStringToObject(man, "kernel", kernel);
	cJSON_AddStringToObject(man, "source", "banger image register");
	text = cJSON_PrintUnformatted(man);
	r = text == NULL ?
	    -ENOMEM :
	    bg_atomic_write(tfd, "manifest.json", text, strlen(text), 0644);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot write manifest.json: %s",
		    strerror(-r));
		return r;
	}
	/* Whole or not at all, and never over another image. */
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		r = -errno;
		if (r == -EEXIST)
			bg_err_set(err, "exists",
			    "an image named \"%s\" "
			    "appeared meanwhile: pick another name",
			    name);
		else
			bg_err_set(err, "temporary",
			    "cannot install the image: %s", strerror(-r));
		return r;
	}
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", name);
	cJSON_AddStringToObject(*result, "version", version);
	cJSON_AddNumberToObject(*result, "bytes", (double)st.st_size);
	if (kernel != NULL)
		cJSON_AddStringToObject(*result, "kernel", kernel);
	return 0;
}

static const struct bg_field fields[] = {
	BG_F_ARTIFACT("name", true),
	{ .key = "rootfs",
	    .type = BG_T_STR,
	    .required = true,
	    .max = PATH_MAX - 1,
	    .valid = bg_abs_path_valid,
	    .what = "an absolute path (no . or .. components)" },
	BG_F_ARTIFACT("kernel", false),
	{ NULL },
};

BG_VERB(.name = "image-register", .fields = fields, .act = act);
