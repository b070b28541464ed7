/*
 * oci-apply.h — OCI image layers applied into an ext4 image through
 * libext2fs (lib/oci-apply.c, docs/oci-import.md): no root, no mount,
 * no staging copy.  The image comes from mkfs.ext4; each layer blob is
 * read through a callback (compressed as its media type says), its tar
 * entries written with their owners, modes (setuid, setgid and sticky
 * included), times, device numbers and extended attributes, and the
 * OCI whiteouts applied.  Then a few files of the converter's own.
 */
#ifndef BANGER_OCI_APPLY_H
#define BANGER_OCI_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "banger.h" /* struct bg_err, bg_untar_read_fn */
#include "oci-manifest.h" /* enum bg_oci_compression */

/* Symlinks followed by bg_oci_apply_resolve before it gives up. */
#define BG_OCI_APPLY_HOPS_MAX 40

/* An ext4 image open for writing (it wraps the libext2fs handle). */
struct bg_oci_apply;

/*
 * Bounds on one layer (one bg_oci_apply_layer call): its regular
 * files' sizes as their tar headers declare them, and its tar entries
 * (whiteouts included).  An entry over a bound is refused (-E2BIG,
 * bad_request) before anything of it is written.  A bound across
 * layers is the caller's: pass what is left of it, the stats say what
 * each layer used.
 */
struct bg_oci_apply_limits {
	uint64_t max_bytes;
	uint64_t max_entries;
};
/* One layer's counts. */
struct bg_oci_apply_stats {
	uint64_t bytes; /* regular files' declared sizes */
	uint64_t entries; /* tar entries, whiteouts included */
	uint64_t whiteouts; /* ".wh.NAME" and ".wh..wh..opq" entries */
};

/*
 * Open the ext4 image at image_path (read and write, bitmaps read
 * once; they and the superblock go out at close; checksums are written
 * but not verified on reads: the image is the caller's own, fresh from
 * mkfs.ext4).  An image with the ea_inode feature or that needs journal
 * recovery is refused.
 */
int bg_oci_apply_open(const char *image_path, struct bg_oci_apply **out,
    struct bg_err *err);

/*
 * Apply one layer: rd yields the layer blob's bytes, compressed as c
 * says (a stream that is not is refused: bad_request).  rd is read to
 * its end even after the tar's end-of-archive blocks, so a caller that
 * hashes what it hands out sees every byte; a negative rd result ends
 * the layer with that -errno.  lim NULL: no bounds; st may be NULL.
 *
 * The OCI image-spec's layer rules: entries in order; a directory over
 * a directory keeps the children and takes the new attributes, any
 * other entry over an existing name replaces it (a directory's whole
 * tree freed); ".wh.NAME" deletes NAME of the lower layers (a no-op
 * when there is none; a name this layer wrote stays), ".wh..wh..opq"
 * in DIR deletes DIR's children of the lower layers and keeps this
 * layer's, whatever their order in the tar; other ".wh..wh." names are
 * refused.  Regular files (sparse: all-zero blocks are not written),
 * directories, symlinks, hard links (to an existing non-directory),
 * character and block devices and FIFOs are written with their uid,
 * gid, mode, mtime and xattrs (user., trusted., security. and the two
 * system.posix_acl_ ones; others refused); sockets are skipped.  A "./"
 * entry sets the root's own attributes.  mkfs's /lost+found stays (no
 * whiteout or opaque marker deletes it, only a directory may replace
 * it): e2fsck wants it.
 *
 * Nothing escapes and no symlink is followed: an absolute path or a
 * ".." component, or a path through a symlink (or any non-directory)
 * the image has, refuses the layer (bad_request naming the entry).
 * Missing parents are made 0755 root:root.  A full image is -EFBIG
 * (bad_request, "the image is full").  On failure the image is
 * half-written: the caller deletes it.
 */
int bg_oci_apply_layer(struct bg_oci_apply *a, enum bg_oci_compression c,
    bg_untar_read_fn *rd, void *arg, const struct bg_oci_apply_limits *lim,
    struct bg_oci_apply_stats *st, struct bg_err *err);

/*
 * path resolved inside the image as if chrooted there: symlinks
 * followed (absolute targets from the image's root, ".." clamped at
 * the root, at most BG_OCI_APPLY_HOPS_MAX of them), the result in out
 * as a relative path without "." or ".." ("" is the root): "sbin" ->
 * "usr/sbin" on a merged-/usr image.  -ENOENT (not_found) when a
 * component is missing, -ENOTDIR, -ELOOP, -ENAMETOOLONG.
 */
int bg_oci_apply_resolve(struct bg_oci_apply *a, const char *path, char *out,
    size_t cap, struct bg_err *err);

/*
 * The converter's additions after the layers.  Paths are relative to
 * the image's root (a leading "/" is allowed, ".." is not) and walked
 * as the layers' are: no symlink followed, missing parents made 0755
 * root:root.  Times are now.
 *
 * bg_oci_apply_file: a new regular file (mode: its 07777 bits are
 * kept); bg_oci_apply_symlink: a new symlink, root:root; an existing
 * name is -EEXIST for both.  bg_oci_apply_mkdir: a directory,
 * root:root; one that exists is left as it is (0), something else
 * there is -EEXIST.  bg_oci_apply_exists: whether path names something,
 * lstat-like (the last name is not followed; a symlink on the way
 * means no).
 */
int bg_oci_apply_file(struct bg_oci_apply *a, const char *path, unsigned mode,
    uid_t uid, gid_t gid, const void *data, size_t len, struct bg_err *err);
int bg_oci_apply_symlink(struct bg_oci_apply *a, const char *path,
    const char *target, struct bg_err *err);
int bg_oci_apply_mkdir(struct bg_oci_apply *a, const char *path, unsigned mode,
    struct bg_err *err);
bool bg_oci_apply_exists(struct bg_oci_apply *a, const char *path);

/* Write everything out and free a (NULL is fine). */
int bg_oci_apply_close(struct bg_oci_apply *a, struct bg_err *err);

#endif
