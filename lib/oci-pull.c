/*
 * oci-pull.c — `banger image pull REGISTRY/REPO:TAG`: a container image
 * from a registry made an installed VM image (image-import-oci;
 * docs/oci-import.md).
 *
 * The manifest is resolved (lib/oci-registry.c), the config read, and
 * each layer streamed from the registry straight into a fresh ext4 file
 * system through libext2fs (lib/oci-apply.c): no layer touches the
 * disk as a file, nothing is mounted, nothing runs as root.  Each
 * layer's digest is checked when its stream ends; a mismatch throws
 * the whole image away.  Then banger's guest files go in (guest.tar
 * from SHAREDIR: banger-init and an ssh server that brings its own
 * loader and libraries, under /.banger), /sbin/banger-init points at
 * them, a root-only /etc/passwd is written when the image has none, and
 * the image config is kept as /.banger/oci.json and in manifest.json.
 *
 * The work happens in a staging directory beside the images, locked
 * while it lives: a failure removes it, a kill leaves one whose lock is
 * free, which `vm prune` removes.  Only a finished image is renamed in.
 * The same digest under the same name is a no-op; another digest of an
 * image this import made replaces it (VMs have their own copies).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "banger.h"
#include "oci-apply.h"
#include "oci-pull.h"
#include "oci-registry.h"

/* make's SHAREDIR (not lib/install.c's accessor: it would link the
 * installer's sd-bus and nftables into this helper). */
#ifndef BG_SHAREDIR
#define BG_SHAREDIR "/usr/local/share/banger"
#endif

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define SIZE_MIN GIB /* the smallest file system made */
#define SIZE_FACTOR 4 /* compressed layers × this, + SIZE_SLACK */
#define SIZE_SLACK (512 * MIB)
#define PROGRESS_MS 100
#define GUEST_TAR_MAX (256 * MIB)
#define DRAIN_MAX (64 * MIB) /* read after a failed layer, for its digest */

struct pull {
	const char *name, *kernel;
	uint64_t size; /* of the file system; 0: from the layers */
	struct bg_oci_ref ref;
	struct bg_oci_client c;
	struct bg_oci_manifest m;
	struct bg_oci_config cfg;
	char digest[72];
	uint64_t done; /* layer bytes read */
	int64_t shown_ms;
	int events_fd;
};

static void
progress(void *arg, uint64_t n)
{
	struct pull *p = arg;
	char what[200];
	int64_t now = bg_now_ms();
	cJSON *o;

	p->done += n;
	if (p->events_fd < 0 ||
	    (now - p->shown_ms < PROGRESS_MS && p->done < p->m.layers_size))
		return;
	p->shown_ms = now;
	o = cJSON_CreateObject();
	if (o == NULL)
		return;
	snprintf(what, sizeof(what), "pulling image %s", p->name);
	cJSON_AddStringToObject(o, "what", what);
	cJSON_AddNumberToObject(o, "done", (double)p->done);
	cJSON_AddNumberToObject(o, "total", (double)p->m.layers_size);
	cJSON_AddStringToObject(o, "unit", "bytes");
	/* A client that hung up (^C): the pull stops, nothing installed. */
	if (bg_proto_event(p->events_fd, "progress", o) == -EPIPE)
		p->c.cancelled = true;
}

/*
 * The image installed as name: 1 the same digest, 0 an earlier import
 * (to be replaced), -ENOENT none; -EEXIST (err set) an image from
 * elsewhere, which an import never replaces.
 */
static int
installed(int dfd, const struct pull *p, struct bg_err *err)
{
	char rel[BG_NAME_MAX + 32];
	cJSON *m = NULL;
	const cJSON *d;
	int r;

	if (faccessat(dfd, p->name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s/manifest.json", p->name);
	r = bg_json_read_file(dfd, rel, BG_BUNDLE_MANIFEST_MAX, &m);
	d = r < 0 ? NULL : cJSON_GetObjectItemCaseSensitive(m, "oci_digest");
	r = !cJSON_IsString(d)			   ? -EEXIST :
	    strcmp(d->valuestring, p->digest) == 0 ? 1 :
						     0;
	cJSON_Delete(m);
	if (r == -EEXIST)
		bg_err_set(err, "exists",
		    "image %s is installed already, and not from an OCI "
		    "registry: banger image delete %s first, or pull under "
		    "another name (--name)",
		    p->name, p->name);
	return r;
}

/* Is the image directory dir an OCI import (its manifest's oci_digest)? */
static bool
oci_import(int dfd, const char *dir)
{
	char rel[BG_NAME_MAX + 64];
	cJSON *m = NULL;
	bool yes;

	snprintf(rel, sizeof(rel), "%s/manifest.json", dir);
	if (bg_json_read_file(dfd, rel, BG_BUNDLE_MANIFEST_MAX, &m) < 0)
		return false;
	yes = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "oci_digest"));
	cJSON_Delete(m);
	return yes;
}

/* SHAREDIR/guest.tar, or the build tree's beside BANGER_LIBEXECDIR. */
static int
guest_tar(char *buf, size_t n)
{
	char lx[PATH_MAX], *s;

	if (secure_getenv("BANGER_LIBEXECDIR") != NULL &&
	    bg_path_libexec(lx, sizeof(lx)) == 0) {
		/* DIR/libexec/banger -> DIR/share/banger/guest.tar */
		for (int i = 0; i < 2; i++)
			if ((s = strrchr(lx, '/')) != NULL && s != lx)
				*s = '\0';
		return (size_t)snprintf(buf, n, "%s/share/banger/guest.tar",
			   lx) < n ?
		    0 :
		    -ENAMETOOLONG;
	}
	return (size_t)snprintf(buf, n, "%s/guest.tar", BG_SHAREDIR) < n ?
	    0 :
	    -ENAMETOOLONG;
}

static ssize_t
fd_read(void *arg, void *buf, size_t n)
{
	ssize_t k;

	do
		k = read(*(int *)arg, buf, n);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -errno : k;
}

/* The config as /.banger/oci.json and manifest.json keep it. */
static cJSON *
config_json(const struct bg_oci_config *c)
{
	cJSON *o = cJSON_CreateObject(), *a;
	size_t i;

	if (o == NULL)
		return NULL;
	a = cJSON_AddArrayToObject(o, "env");
	for (i = 0; a != NULL && i < c->n_env; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->env[i]));
	if (c->working_dir != NULL)
		cJSON_AddStringToObject(o, "working_dir", c->working_dir);
	if (c->user != NULL)
		cJSON_AddStringToObject(o, "user", c->user);
	a = cJSON_AddArrayToObject(o, "entrypoint");
	for (i = 0; a != NULL && i < c->n_entrypoint; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->entrypoint[i]));
	a = cJSON_AddArrayToObject(o, "cmd");
	for (i = 0; a != NULL && i < c->n_cmd; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->cmd[i]));
	return o;
}

/* err's message after "head: ". */
static void
prefix_err(struct bg_err *err, const char *head)
{
	char m[sizeof(err->msg)];

	snprintf(m, sizeof(m), "%s", err->msg);
	bg_err_set(err, err->code, "%.300s: %.700s", head, m);
}

/* A layer of one whiteout (wh: ".wh.NAME"): NAME at the top goes. */
static int
remove_top(struct bg_oci_apply *a, const char *wh, struct bg_err *err)
{
	unsigned char buf[4096];
	struct archive *w = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct bg_oci_apply_limits lim = { 0, 1 };
	struct bg_mem_src m = { buf, 0 };
	size_t used = 0;
	int r = -ENOMEM;

	if (w != NULL && e != NULL &&
	    archive_write_set_format_ustar(w) == ARCHIVE_OK &&
	    archive_write_set_bytes_in_last_block(w, 1) == ARCHIVE_OK &&
	    archive_write_open_memory(w, buf, sizeof(buf), &used) ==
		ARCHIVE_OK) {
		archive_entry_set_pathname(e, wh);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 0);
		if (archive_write_header(w, e) == ARCHIVE_OK &&
		    archive_write_close(w) == ARCHIVE_OK)
			r = 0;
	}
	archive_entry_free(e);
	archive_write_free(w);
	if (r < 0) {
		bg_err_set(err, "internal", "cannot write a whiteout layer");
		return r;
	}
	m.left = used;
	return bg_oci_apply_layer(a, BG_OCI_COMP_NONE, bg_mem_read, &m, &lim,
	    NULL, err);
}

/*
 * banger's part: the guest files, /sbin/banger-init, /etc/passwd when
 * missing, /.banger/oci.json.  *own_ssh: the image has an ssh server of
 * its own.  An image that has /sbin/banger-init already was made for
 * banger: nothing is added.
 */
static int
add_banger(struct bg_oci_apply *a, struct pull *p, bool *supplied,
    struct bg_err *err)
{
	char path[PATH_MAX + 16], sbin[PATH_MAX];
	struct bg_oci_apply_limits lim = { GUEST_TAR_MAX, 100000 };
	struct bg_oci_apply_stats st;
	_cleanup_close_ int fd = -1;
	cJSON *cj;
	char *txt;
	int r;

	*supplied = false;
	r = bg_oci_apply_resolve(a, "sbin", sbin, sizeof(sbin), err);
	if (r == -ENOENT) {
		r = bg_oci_apply_mkdir(a, "sbin", 0755, err);
		snprintf(sbin, sizeof(sbin), "sbin");
	}
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/banger-init", sbin);
	if (bg_oci_apply_exists(a, path))
		return 0;
	/* What the image had at /.banger goes: the directory is banger's. */
	if (bg_oci_apply_exists(a, ".banger") &&
	    (r = remove_top(a, ".wh..banger", err)) < 0)
		return r;
	r = guest_tar(path, sizeof(path));
	if (r == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -errno : 0;
	}
	if (r < 0) {
		bg_err_set(err, "internal",
		    "banger's guest files (%.300s) cannot be read: %s; "
		    "reinstall banger (sudo make install)",
		    path, strerror(-r));
		return r;
	}
	r = bg_oci_apply_layer(a, BG_OCI_COMP_NONE, fd_read, &fd, &lim, &st,
	    err);
	if (r < 0) {
		prefix_err(err, "adding banger's guest files");
		return r;
	}
	*supplied = true;
	snprintf(path, sizeof(path), "%s/banger-init", sbin);
	r = bg_oci_apply_symlink(a, path, "/.banger/banger-init", err);
	if (r == 0 && !bg_oci_apply_exists(a, "etc/passwd")) {
		static const char pw[] = "root:x:0:0:root:/root:/bin/sh\n";
		static const char gr[] = "root:x:0:\n";

		r = bg_oci_apply_mkdir(a, "etc", 0755, err);
		if (r == 0)
			r = bg_oci_apply_file(a, "etc/passwd", 0644, 0, 0, pw,
			    sizeof(pw) - 1, err);
		if (r == 0 && !bg_oci_apply_exists(a, "etc/group"))
			r = bg_oci_apply_file(a, "etc/group", 0644, 0, 0, gr,
			    sizeof(gr) - 1, err);
	}
	if (r < 0)
		return r;
	cj = config_json(&p->cfg);
	txt = cj != NULL ? cJSON_Print(cj) : NULL;
	cJSON_Delete(cj);
	if (txt == NULL) {
		bg_err_set(err, "temporary", "out of memory");
		return -ENOMEM;
	}
	r = bg_oci_apply_file(a, ".banger/oci.json", 0644, 0, 0, txt,
	    strlen(txt), err);
	free(txt);
	return r;
}

/* The file system's size: p->size, or the layers' with headroom. */
static uint64_t
fs_size(const struct pull *p)
{
	uint64_t s;

	if (p->size > 0)
		return p->size;
	s = p->m.layers_size * SIZE_FACTOR + SIZE_SLACK;
	if (s < SIZE_MIN)
		s = SIZE_MIN;
	return (s + 64 * MIB - 1) / (64 * MIB) * (64 * MIB);
}

/*
 * A layer's failure quotes its entries' names, which the image chose:
 * no control character of theirs reaches the user's terminal or the
 * journal (a newline could forge a "banger:" line).
 */
static void
scrub(struct bg_err *err)
{
	for (char *c = err->msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* Every layer, in order, into the image at path. */
static int
convert(struct pull *p, const char *path, bool *supplied, struct bg_err *err)
{
	/* One budget for the whole pull: each layer gets what is left. */
	struct bg_oci_apply_limits lim = { 64 * GIB, 10000000 };
	struct bg_oci_apply_stats st = { 0 };
	struct bg_oci_apply *a = NULL;
	struct bg_oci_blob b;
	size_t i;
	int r;

	r = bg_oci_apply_open(path, &a, err);
	for (i = 0; r == 0 && i < p->m.n_layers; i++) {
		r = bg_oci_blob_open(&b, &p->c, &p->m.layers[i], err);
		if (r < 0)
			break;
		r = bg_oci_apply_layer(a, p->m.layers[i].compression,
		    bg_oci_blob_read, &b, &lim, &st, err);
		if (r < 0)
			scrub(err);
		if (r == 0) {
			lim.max_bytes -=
			    st.bytes < lim.max_bytes ? st.bytes : lim.max_bytes;
			lim.max_entries -= st.entries < lim.max_entries ?
			    st.entries :
			    lim.max_entries;
		}
		/* The stream's own failure says more than the reader's. */
		if (r < 0 && b.failed)
			*err = b.err;
		if (r == 0)
			r = bg_oci_blob_finish(&b, err);
		else if (!b.failed && r != -EFBIG &&
		    p->m.layers[i].size - b.got <= DRAIN_MAX) {
			/*
			 * A layer that does not unpack may be a blob the
			 * registry corrupted: when little is left, its
			 * digest tells, and says it better.
			 */
			struct bg_err e2 = { "", "" };

			if (bg_oci_blob_finish(&b, &e2) < 0 && !b.failed)
				*err = e2;
		}
		bg_oci_blob_close(&b);
		if (r == -EFBIG) {
			char m[sizeof(err->msg)];

			snprintf(m, sizeof(m), "%s", err->msg);
			bg_err_set(err, "bad_request",
			    "%.600s\nthe image's file system (%llu MiB) is "
			    "too small for %s: pull again with a larger "
			    "--size",
			    m, (unsigned long long)(fs_size(p) / MIB),
			    p->c.name);
		} else if (r < 0) {
			char what[700];

			snprintf(what, sizeof(what), "%s: layer %zu of %zu",
			    p->c.name, i + 1, p->m.n_layers);
			if (strstr(err->msg, p->c.name) == NULL)
				prefix_err(err, what);
		}
	}
	if (r == 0)
		r = add_banger(a, p, supplied, err);
	if (a != NULL && bg_oci_apply_close(a, r < 0 ? NULL : err) < 0 &&
	    r == 0)
		r = -EIO;
	return r;
}

static cJSON *
manifest_of(const struct pull *p, uint64_t size, const char *sha, bool supplied)
{
	cJSON *m = cJSON_CreateObject(), *files, *f;
	char version[160], when[32];

	if (m == NULL)
		return NULL;
	if (p->ref.tag[0] == '\0')
		snprintf(version, sizeof(version), "%.19s", p->digest);
	else
		snprintf(version, sizeof(version), "%s", p->ref.tag);
	cJSON_AddStringToObject(m, "name", p->name);
	cJSON_AddStringToObject(m, "kind", "image");
	cJSON_AddStringToObject(m, "version", version);
	cJSON_AddStringToObject(m, "arch", "x86_64");
	if (p->kernel != NULL)
		cJSON_AddStringToObject(m, "kernel", p->kernel);
	files = cJSON_AddObjectToObject(m, "files");
	f = cJSON_AddObjectToObject(files, "rootfs.ext4");
	cJSON_AddNumberToObject(f, "size", (double)size);
	cJSON_AddStringToObject(f, "sha256", sha);
	cJSON_AddStringToObject(m, "ssh",
	    supplied ? "dropbear (banger's, in /.banger)" : "the image's own");
	cJSON_AddStringToObject(m, "source", "OCI image");
	bg_now_rfc3339(when, sizeof(when));
	cJSON_AddStringToObject(m, "pulled_from", p->c.name);
	cJSON_AddStringToObject(m, "oci_digest", p->digest);
	cJSON_AddStringToObject(m, "pulled_at", when);
	{
		/* Env, WorkingDir, User: what vm-create reads (~/.profile);
		 * the rest is in /.banger/oci.json. */
		cJSON *c = config_json(&p->cfg);

		cJSON_DeleteItemFromObjectCaseSensitive(c, "entrypoint");
		cJSON_DeleteItemFromObjectCaseSensitive(c, "cmd");
		cJSON_AddItemToObject(m, "oci", c);
	}
	return m;
}

static int
pull(struct pull *p, cJSON **result, struct bg_err *err)
{
	char tmp[BG_NAME_MAX + 40], lockname[BG_NAME_MAX + 16];
	char path[PATH_MAX], sdir[PATH_MAX], hex[65];
	_cleanup_close_ int dfd = -1, cfd = -1, lk = -1, sfd = -1, slk = -1;
	_cleanup_close_ int rfd = -1;
	bool made = false, supplied = false, replace = false, locked = false;
	struct stat st;
	cJSON *m = NULL;
	int r;

	dfd = bg_state_dir(BG_DIR_STATE, "images", 0755);
	cfd = bg_state_dir(BG_DIR_CACHE, "pulls", 0755);
	if (dfd < 0 || cfd < 0) {
		r = dfd < 0 ? dfd : cfd;
		bg_err_set(err, "temporary",
		    "cannot open the images or cache directory: %s",
		    strerror(-r));
		return r;
	}
	/* One pull under a name at a time; a second waits, then finds it. */
	snprintf(lockname, sizeof(lockname), "oci-%s.lock", p->name);
	lk = bg_lock_at(cfd, lockname, 0);
	if (lk < 0) {
		bg_err_set(err, "temporary", "cannot lock %s: %s", lockname,
		    strerror(-lk));
		return lk;
	}
	locked = true;
	r = bg_oci_resolve(&p->c, &p->m, p->digest, err);
	if (r < 0)
		goto out;
	r = installed(dfd, p, err);
	if (r == 1) {
		*result = cJSON_CreateObject();
		cJSON_AddStringToObject(*result, "name", p->name);
		cJSON_AddStringToObject(*result, "ref", p->c.name);
		cJSON_AddStringToObject(*result, "digest", p->digest);
		cJSON_AddBoolToObject(*result, "already", true);
		r = 0;
		goto out;
	}
	if (r == -EEXIST)
		goto out;
	replace = r == 0;
	r = bg_oci_get_config(&p->c, &p->m, &p->cfg, err);
	if (r < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), ".pull-%s-%ld", p->name, (long)getpid());
	if (mkdirat(dfd, tmp, 0755) < 0) {
		r = -errno;
		bg_err_set(err, "temporary",
		    "cannot make %s in the images directory: %s", tmp,
		    strerror(-r));
		goto out;
	}
	made = true;
	sfd = openat(dfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		r = -errno;
		bg_err_set(err, "temporary", "cannot open %s: %s", tmp,
		    strerror(-r));
		goto out;
	}
	/* Held while we work: `vm prune` removes staging whose lock is free. */
	slk = bg_lock_at(sfd, ".lock", 0);
	if (slk < 0) {
		r = slk;
		bg_err_set(err, "temporary", "cannot lock %s: %s", tmp,
		    strerror(-r));
		goto out;
	}
	/*
	 * mkfs.ext4 and libext2fs open by path: the staging directory's,
	 * which this pull made and holds locked.
	 */
	r = bg_path_dir(BG_DIR_STATE, sdir, sizeof(sdir));
	if (r == 0 &&
	    (size_t)snprintf(path, sizeof(path), "%s/images/%s/rootfs.ext4",
		sdir, tmp) >= sizeof(path))
		r = -ENAMETOOLONG;
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot name the image file: %s",
		    strerror(-r));
		goto out;
	}
	/* One inode per 8 KiB: images of many small files fit. */
	r = bg_ext4_mkfs(sfd, "rootfs.ext4", path, fs_size(p), "rootfs", 8192,
	    "the image's file", err);
	if (r == 0)
		r = convert(p, path, &supplied, err);
	if (r < 0)
		goto out;
	rfd = openat(sfd, "rootfs.ext4", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0 || fstat(rfd, &st) < 0 ||
	    (r = bg_sha256_fd(rfd, st.st_size, hex)) < 0) {
		r = r < 0 ? r : -errno;
		bg_err_set(err, "temporary", "cannot read the image back: %s",
		    strerror(-r));
		goto out;
	}
	m = manifest_of(p, (uint64_t)st.st_size, hex, supplied);
	if (m != NULL) {
		/* Every reader of manifest.json reads at most this much. */
		char *txt = cJSON_Print(m);
		size_t len = txt != NULL ? strlen(txt) : 0;

		free(txt);
		if (len > BG_BUNDLE_MANIFEST_MAX) {
			bg_err_set(err, "bad_request",
			    "%.300s: the image config's Env, WorkingDir and "
			    "User take %zu bytes with the rest of the "
			    "manifest; banger keeps at most %u",
			    p->c.name, len, (unsigned)BG_BUNDLE_MANIFEST_MAX);
			r = -EFBIG;
			goto out;
		}
	}
	if (r == 0 && p->c.cancelled) {
		bg_err_set(err, "temporary",
		    "%.300s: the client went away: the pull stopped",
		    p->c.name);
		r = -ECANCELED;
		goto out;
	}
	r = m == NULL ? -ENOMEM :
			bg_json_write_file(sfd, "manifest.json", m, 0644);
	if (r == 0 && (fsync(rfd) < 0 || fsync(sfd) < 0))
		r = -errno;
	if (r == 0 &&
	    renameat2(dfd, tmp, dfd, p->name,
		replace ? RENAME_EXCHANGE : RENAME_NOREPLACE) < 0) {
		r = -errno;
		/* The earlier import went meanwhile: a plain install. */
		if (r == -ENOENT && replace) {
			replace = false;
			r = renameat2(dfd, tmp, dfd, p->name,
				RENAME_NOREPLACE) < 0 ?
			    -errno :
			    0;
		}
	}
	/*
	 * What was swapped out must still be an OCI import: an image
	 * registered or pulled from a catalog under the name meanwhile
	 * (those do not take our lock) is swapped back, never deleted.
	 */
	if (r == 0 && replace && !oci_import(dfd, tmp)) {
		renameat2(dfd, tmp, dfd, p->name, RENAME_EXCHANGE);
		r = -EEXIST;
	}
	if (r < 0) {
		bg_err_set(err, r == -EEXIST ? "exists" : "temporary",
		    r == -EEXIST ? "image %s appeared meanwhile, not from an "
				   "OCI registry: it is kept" :
				   "cannot install image %s: %s",
		    p->name, strerror(-r));
		goto out;
	}
	/* sfd is the new image now; tmp, the one it replaced (if any). */
	unlinkat(sfd, ".lock", 0);
	made = replace;
	fsync(dfd);
	unlinkat(cfd, lockname, 0);
	locked = false;
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", p->name);
	cJSON_AddStringToObject(*result, "kind", "image");
	cJSON_AddStringToObject(*result, "ref", p->c.name);
	cJSON_AddStringToObject(*result, "digest", p->digest);
	cJSON_AddStringToObject(*result, "version",
	    cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(m, "version")));
	cJSON_AddNumberToObject(*result, "bytes", (double)p->done);
	cJSON_AddNumberToObject(*result, "unpacked_bytes",
	    (double)st.st_blocks * 512);
	cJSON_AddNumberToObject(*result, "layers", (double)p->m.n_layers);
	cJSON_AddBoolToObject(*result, "replaced", replace);
	cJSON_AddStringToObject(*result, "ssh", supplied ? "banger" : "image");
out:
	if (made)
		bg_rm_rf_at(dfd, tmp);
	/* The lock file goes too, whatever the outcome: nothing is left. */
	if (locked)
		unlinkat(cfd, lockname, 0);
	cJSON_Delete(m);
	return r;
}

/* ---- image-import-oci ---------------------------------------------- */

static bool
ref_ok(const char *s)
{
	return bg_oci_ref_check(s) == NULL;
}

/* Base64 (RFC 4648 alphabet, padded), what a docker config's auth is. */
static bool
basic_ok(const char *s)
{
	size_t n = strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

	return s[n] == '\0' && n > 0 && n % 4 == 0;
}

const struct bg_field bg_oci_pull_fields[] = {
	BG_F_ARTIFACT("name", true),
	{ .key = "ref",
	    .type = BG_T_STR,
	    .required = true,
	    .max = 255,
	    .valid = ref_ok,
	    .what = "an OCI reference (docs/oci-import.md)" },
	/* Never logged, never written: held in memory, wiped after use. */
	{ .key = "auth",
	    .type = BG_T_STR,
	    .max = BG_OCI_BASIC_MAX,
	    .valid = basic_ok,
	    .what = "base64 of USER:PASSWORD" },
	{ .key = "size",
	    .type = BG_T_INT,
	    .min = (int64_t)(64 * MIB),
	    .max = (int64_t)(16ULL << 40) },
	BG_F_ARTIFACT("kernel", false),
	BG_F_HTTPS_OPTS,
	{ NULL },
};

int
bg_oci_pull_act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static struct pull p;
	struct bg_https_opts https = { .ca_file = bg_req_str(rq, "ca_file"),
		.proxy = bg_req_str(rq, "proxy"),
		.no_proxy = bg_req_str(rq, "no_proxy") };
	char *auth;
	int r;

	*result = NULL;
	memset(&p, 0, sizeof(p));
	p.name = bg_req_str(rq, "name");
	p.kernel = bg_req_str(rq, "kernel");
	p.size = bg_req_has(rq, "size") ? (uint64_t)bg_req_int(rq, "size") : 0;
	p.events_fd = STDOUT_FILENO;
	/* As lib/pull.c's: what a hostile layer could make us allocate. */
	setrlimit(RLIMIT_DATA, &(struct rlimit){ 1024u << 20, 1024u << 20 });
	r = bg_oci_ref_parse(bg_req_str(rq, "ref"), &p.ref, err);
	if (r < 0)
		return r;
	auth = (char *)bg_req_str(rq, "auth");
	bg_oci_client_init(&p.c, &p.ref, &https, auth);
	/* The credential lives on in the client only, wiped at the end. */
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	p.c.events_fd = STDOUT_FILENO;
	p.c.progress = progress;
	p.c.progress_arg = &p;
	r = pull(&p, result, err);
	bg_oci_client_wipe(&p.c);
	bg_oci_config_free(&p.cfg);
	return r;
}
