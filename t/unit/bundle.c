/*
 * bundle.c — SHA-256 against BearSSL; bundles written and read back
 * (sparse, byte for byte); GNU tar's bundles read; every unsafe or
 * inconsistent bundle refused with its reason, leaving only what the
 * caller's staging directory then removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <bearssl.h>
#include <zstd.h>

#include "banger.h"
#include "tap.h"

static char top[] = "/tmp/banger-bundle-XXXXXX";

/* ---- sha256 ---- */

static void
hex_of(const unsigned char *d, char *hex)
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

static void
test_sha256(void)
{
	static unsigned char buf[300000];
	struct bg_sha256 s;
	br_sha256_context b;
	unsigned char d[32];
	char h1[65], h2[65];
	size_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000,
		65536, 299999 };
	size_t i, k, bad = 0;

	printf("# SHA extensions %s\n",
	    bg_sha256_accelerated() ? "used" : "not used");
	bg_sha256_init(&s);
	bg_sha256_update(&s, "abc", 3);
	bg_sha256_hex(&s, h1);
	is_str(h1,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256(abc)");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 9));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		/* Fed in uneven pieces. */
		bg_sha256_init(&s);
		for (k = 0; k < lens[i];) {
			size_t n = (k % 97) + 1;

			if (n > lens[i] - k)
				n = lens[i] - k;
			bg_sha256_update(&s, buf + k, n);
			k += n;
		}
		bg_sha256_hex(&s, h1);
		br_sha256_init(&b);
		br_sha256_update(&b, buf, lens[i]);
		br_sha256_out(&b, d);
		hex_of(d, h2);
		if (strcmp(h1, h2) != 0) {
			printf("# length %zu: %s vs %s\n", lens[i], h1, h2);
			bad++;
		}
	}
	ok(bad == 0, "sha256 equals BearSSL's for 14 lengths, in pieces");
	bg_sha256_init(&s);
	bg_sha256_update(&s, "x", 1);
	bg_sha256_zeros(&s, 200000);
	bg_sha256_hex(&s, h1);
	memset(buf, 0, sizeof(buf));
	buf[0] = 'x';
	br_sha256_init(&b);
	br_sha256_update(&b, buf, 200001);
	br_sha256_out(&b, d);
	hex_of(d, h2);
	is_str(h1, h2, "zeros hash as zeros");
	ok(!bg_sha256_hex_valid("ABC") &&
		bg_sha256_hex_valid(
		    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "hex digests: 64 lowercase digits");
}

/* ---- helpers ---- */

static int
mkdir_in(const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", top, name);
	if (mkdir(p, 0755) < 0)
		return -1;
	return open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
file_sha(int dfd, const char *name, char hex[65], off_t *size)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	struct bg_sha256 s;
	char b[65536];
	ssize_t n;

	bg_sha256_init(&s);
	*size = 0;
	while ((n = read(fd, b, sizeof(b))) > 0) {
		bg_sha256_update(&s, b, (size_t)n);
		*size += n;
	}
	close(fd);
	bg_sha256_hex(&s, hex);
}

/* manifest.json of kind in dfd for the listed files. */
static void
write_manifest(int dfd, const char *kind, const char *const *names)
{
	cJSON *m = cJSON_CreateObject(), *files;
	char hex[65];
	off_t size;
	char *t;

	cJSON_AddStringToObject(m, "name", "t1");
	cJSON_AddStringToObject(m, "kind", kind);
	cJSON_AddStringToObject(m, "version", "1");
	cJSON_AddStringToObject(m, "source", "t/unit/bundle.c");
	cJSON_AddStringToObject(m, "pulled_from", "local, dropped");
	files = cJSON_AddObjectToObject(m, "files");
	for (; *names != NULL; names++) {
		cJSON *f = cJSON_AddObjectToObject(files, *names);

		file_sha(dfd, *names, hex, &size);
		cJSON_AddNumberToObject(f, "size", (double)size);
		cJSON_AddStringToObject(f, "sha256", hex);
	}
	t = cJSON_PrintUnformatted(m);
	bg_atomic_write(dfd, "manifest.json", t, strlen(t), 0644);
	free(t);
	cJSON_Delete(m);
}

struct fsrc {
	int fd;
	size_t cut; /* stop after this many bytes (0: no cut) */
	size_t done;
};

static ssize_t
fsrc_read(void *arg, void *buf, size_t n, struct bg_err *err)
{
	struct fsrc *s = arg;
	ssize_t r;

	(void)err;
	if (s->cut > 0 && s->done + n > s->cut)
		n = s->cut - s->done;
	if (n == 0)
		return 0;
	r = read(s->fd, buf, n);
	if (r > 0)
		s->done += (size_t)r;
	return r < 0 ? -errno : r;
}

/* Extract the file path into a new directory; 0 or -errno, err filled. */
static int
extract(const char *path, const char *kind, const char *into, size_t cut,
    struct bg_err *err, cJSON **man)
{
	struct fsrc s = { .fd = open(path, O_RDONLY | O_CLOEXEC), .cut = cut };
	struct bg_bundle_in in = { .kind = kind,
		.what = "test.tar.zst",
		.read = fsrc_read,
		.arg = &s };
	int dfd = mkdir_in(into), r;
	uint64_t written;
	cJSON *m = NULL;

	r = bg_bundle_extract(dfd, &in, &m, &written, err);
	close(dfd);
	close(s.fd);
	if (man != NULL)
		*man = m;
	else
		cJSON_Delete(m);
	return r;
}

static long long
blocks_of(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, 0) < 0 ? -1 : (long long)st.st_blocks;
}

/* ---- round trip ---- */

static void
test_round_trip(void)
{
	int src = mkdir_in("src"), fd, out, dst;
	char buf[1 << 16], p[256], h1[65], h2[65];
	const char *const names[] = { "rootfs.ext4", NULL };
	struct bg_err err;
	off_t s1, s2;
	cJSON *m = NULL;
	size_t i;
	int r;

	fd = openat(src, "rootfs.ext4", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 13 + 1);
	for (i = 0; i < 16; i++) /* 1 MiB of data at the start */
		pwrite(fd, buf, sizeof(buf), (off_t)(i * sizeof(buf)));
	pwrite(fd, buf, 4096, 10 << 20); /* 4 KiB at 10 MiB */
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < 16; i++) /* 1 MiB of written zeros at 20 MiB */
		pwrite(fd, buf, sizeof(buf),
		    (off_t)((20 << 20) + i * sizeof(buf)));
	pwrite(fd, "end", 3, (off_t)(30 << 20) + 1); /* an unaligned tail */
	ftruncate(fd, 64 << 20); /* and a hole to the end */
	close(fd);
	write_manifest(src, "image", names);

	snprintf(p, sizeof(p), "%s/out.tar.zst", top);
	out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	r = bg_bundle_write(src, out, 3, &err);
	close(out);
	ok(r == 0, "bundle written (%s)", r < 0 ? err.msg : "ok");
	r = extract(p, "image", "dst", 0, &err, &m);
	ok(r == 0, "bundle read back (%s)", r < 0 ? err.msg : "ok");
	dst = openat(AT_FDCWD, top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst = openat(dst, "dst", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	file_sha(src, "rootfs.ext4", h1, &s1);
	file_sha(dst, "rootfs.ext4", h2, &s2);
	ok(s1 == s2 && strcmp(h1, h2) == 0, "same bytes (%lld)", (long long)s2);
	printf("# blocks: source %lld, unpacked %lld\n",
	    blocks_of(src, "rootfs.ext4"), blocks_of(dst, "rootfs.ext4"));
	ok(blocks_of(dst, "rootfs.ext4") * 512 < (1 << 20) + (1 << 19),
	    "unpacked sparse: the written zeros became a hole too");
	ok(m != NULL &&
		cJSON_GetObjectItemCaseSensitive(m, "pulled_from") == NULL &&
		cJSON_GetObjectItemCaseSensitive(m, "arch") != NULL,
	    "the bundle's manifest drops install-side keys, adds arch");
	cJSON_Delete(m);
	close(dst);

	/* The same with GNU tar's sparse pax, compressed by zstd(1). */
	snprintf(p, sizeof(p),
	    "cd %s/src && tar --sparse --format=posix -cf - manifest.json "
	    "rootfs.ext4 | zstd -q -19 > %s/gnu.tar.zst",
	    top, top);
	r = system(p);
	snprintf(p, sizeof(p), "%s/gnu.tar.zst", top);
	r = r == 0 ? extract(p, "image", "dst-gnu", 0, &err, NULL) : -1;
	ok(r == 0, "GNU tar's sparse bundle read (%s)", r < 0 ? err.msg : "ok");
	/* And ours by GNU tar. */
	snprintf(p, sizeof(p),
	    "mkdir %s/gnu-x && cd %s/gnu-x && zstd -qdc %s/out.tar.zst | tar -xf - "
	    "&& cmp rootfs.ext4 ../src/rootfs.ext4 && "
	    "test $(du -k rootfs.ext4 | cut -f1) -lt 3072",
	    top, top, top);
	ok(system(p) == 0, "GNU tar unpacks ours, sparse and equal");
	/* kind checked */
	snprintf(p, sizeof(p), "%s/out.tar.zst", top);
	r = extract(p, "kernel", "dst-k", 0, &err, NULL);
	ok(r < 0 && strstr(err.msg, "not \"kernel\"") != NULL,
	    "an image bundle is not a kernel: %s", err.msg);
	/* truncated, at several places */
	{
		struct stat st;
		size_t cuts[4];
		int k, bad = 0;

		stat(p, &st);
		cuts[0] = 10;
		cuts[1] = (size_t)st.st_size / 3;
		cuts[2] = (size_t)st.st_size - 100;
		cuts[3] = (size_t)st.st_size - 1;
		for (k = 0; k < 4; k++) {
			char d[16];

			snprintf(d, sizeof(d), "cut%d", k);
			r = extract(p, "image", d, cuts[k], &err, NULL);
			if (r == 0 || strstr(err.msg, "truncated") == NULL) {
				printf("# cut at %zu: %d %s\n", cuts[k], r,
				    err.msg);
				bad++;
			}
		}
		ok(bad == 0, "cut at 4 places: each refused as truncated");
	}
	close(src);
}

/* ---- refusals ---- */

/* A tar in memory of (name, type, data) members, zstd-compressed to path. */
struct m {
	const char *name;
	unsigned type; /* AE_IFREG... */
	const char *data; /* REG: contents; LNK: target */
	bool hardlink;
};

static void
make_bundle(const char *path, const struct m *ms, int wlog)
{
	struct archive *a = archive_write_new();
	size_t cap = 1 << 20, used = 0, zcap;
	char *tar = malloc(cap), *z;
	const struct m *x;
	FILE *f;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, tar, cap, &used);
	for (x = ms; x->name != NULL; x++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, x->name);
		archive_entry_set_filetype(e, x->type);
		archive_entry_set_perm(e, 0644);
		if (x->type == AE_IFLNK)
			archive_entry_set_symlink(e, x->data);
		else if (x->hardlink)
			archive_entry_set_hardlink(e, x->data);
		else if (x->type == AE_IFCHR)
			archive_entry_set_rdev(e, 0x0103);
		else if (x->type == AE_IFREG)
			archive_entry_set_size(e, (la_int64_t)strlen(x->data));
		archive_write_header(a, e);
		if (x->type == AE_IFREG && !x->hardlink)
			archive_write_data(a, x->data, strlen(x->data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	zcap = ZSTD_compressBound(used) + 64;
	z = malloc(zcap);
	{
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_inBuffer zi = { tar, used, 0 };
		ZSTD_outBuffer zo = { z, zcap, 0 };

		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
		/* Fed as a stream: the frame declares the whole window. */
		ZSTD_compressStream2(c, &zo, &zi, ZSTD_e_continue);
		while (ZSTD_compressStream2(c, &zo, &zi, ZSTD_e_end) != 0)
			;
		ZSTD_freeCCtx(c);
		f = fopen(path, "w");
		fwrite(z, 1, zo.pos, f);
		fclose(f);
	}
	free(z);
	free(tar);
}

static char man_ok[512];
#define SHA0 "0000000000000000000000000000000000000000000000000000000000000000"

static void
refused(const char *what, const struct m *ms, int wlog, const char *words)
{
	static int k;
	char p[256], d[32];
	struct bg_err err;
	char cmd[300];
	int r;

	snprintf(p, sizeof(p), "%s/bad%d.tar.zst", top, k);
	snprintf(d, sizeof(d), "bad%d", k++);
	make_bundle(p, ms, wlog);
	r = extract(p, "image", d, 0, &err, NULL);
	if (!ok(r < 0 && strstr(err.msg, words) != NULL, "%s refused", what))
		printf("#   r=%d: %s\n#   want words: %s\n", r, err.msg, words);
	/* Nothing outside the staging directory. */
	snprintf(cmd, sizeof(cmd), "test ! -e /etc-x && test ! -e %s/x", top);
	ok(system(cmd) == 0, "%s: nothing written outside", what);
}

static void
test_refusals(void)
{
	char sha[65];
	struct bg_sha256 s;
	char p[256];

	bg_sha256_init(&s);
	bg_sha256_update(&s, "data", 4);
	bg_sha256_hex(&s, sha);
	snprintf(man_ok, sizeof(man_ok),
	    "{\"name\":\"t\",\"kind\":\"image\",\"version\":\"1\","
	    "\"files\":{\"rootfs.ext4\":{\"size\":4,\"sha256\":\"%s\"}}}",
	    sha);
	{
		const struct m good[] = { { "manifest.json", AE_IFREG, man_ok,
					      false },
			{ "rootfs.ext4", AE_IFREG, "data", false }, { NULL } };
		struct bg_err err;
		int r;

		snprintf(p, sizeof(p), "%s/good.tar.zst", top);
		make_bundle(p, good, 20);
		r = extract(p, "image", "good", 0, &err, NULL);
		ok(r == 0, "a minimal bundle is read (%s)",
		    r < 0 ? err.msg : "ok");
	}
#define M man_ok
	refused("an absolute path",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "/etc-x", AE_IFREG, "data", false }, { NULL } },
	    20, "only regular files at its top level");
	refused("a .. path",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "../x", AE_IFREG, "data", false }, { NULL } },
	    20, "refused member \"../x\"");
	refused("a path in a directory",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "a/rootfs.ext4", AE_IFREG, "data", false }, { NULL } },
	    20, "refused member \"a/rootfs.ext4\"");
	refused("a symlink",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFLNK, "/etc/passwd", false }, { NULL } },
	    20, "no directories, links, devices");
	refused("a hard link",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "manifest.json", true }, { NULL } },
	    20, "no directories, links, devices");
	refused("a device",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFCHR, "", false }, { NULL } },
	    20, "no directories, links, devices");
	refused("a directory",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "sub", AE_IFDIR, "", false }, { NULL } },
	    20, "refused member \"sub/\"");
	refused("a member not in the manifest",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "data", false },
		{ "extra", AE_IFREG, "x", false }, { NULL } },
	    20, "manifest.json does not list it");
	refused("a member twice",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "data", false },
		{ "rootfs.ext4", AE_IFREG, "data", false }, { NULL } },
	    20, "it comes twice");
	refused("a manifest that is not first",
	    (const struct m[]){ { "rootfs.ext4", AE_IFREG, "data", false },
		{ "manifest.json", AE_IFREG, M, false }, { NULL } },
	    20, "a bundle starts with manifest.json");
	refused("a wrong sha256",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "dat4", false }, { NULL } },
	    20, "the bundle is corrupt");
	refused("a wrong size",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "data!", false }, { NULL } },
	    20, "its manifest says 4");
	refused("a listed member missing",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ NULL } },
	    20, "ends without rootfs.ext4");
	refused("a manifest without rootfs.ext4",
	    (const struct m[]){ { "manifest.json", AE_IFREG,
				    "{\"name\":\"t\",\"kind\":\"image\","
				    "\"version\":\"1\",\"files\":{}}",
				    false },
		{ NULL } },
	    20, "lists no rootfs.ext4");
	refused("a manifest with a key twice",
	    (const struct m[]){
		{ "manifest.json", AE_IFREG,
		    "{\"name\":\"t\",\"kind\":\"image\",\"kind\":"
		    "\"image\",\"version\":\"1\",\"files\":{}}",
		    false },
		{ NULL } },
	    20, "a key twice");
	refused("files that add up to more than 64 GiB",
	    (const struct m[]){
		{ "manifest.json", AE_IFREG,
		    "{\"name\":\"t\",\"kind\":\"image\",\"version\":"
		    "\"1\",\"files\":{\"rootfs.ext4\":{\"size\":"
		    "68719476737,\"sha256\":\"" SHA0 "\"}}}",
		    false },
		{ NULL } },
	    20, "add up to more than 64 GiB");
	refused("a manifest that is not JSON",
	    (const struct m[]){ { "manifest.json", AE_IFREG, "{nope", false },
		{ NULL } },
	    20, "not a JSON object");
	refused("a zstd window over 8 MiB",
	    (const struct m[]){ { "manifest.json", AE_IFREG, M, false },
		{ "rootfs.ext4", AE_IFREG, "data", false }, { NULL } },
	    27, "window of at most 8 MiB");
	{
		struct bg_err err;
		FILE *f;
		int r;

		snprintf(p, sizeof(p), "%s/plain.txt", top);
		f = fopen(p, "w");
		fputs("this is not zstd at all\n", f);
		fclose(f);
		r = extract(p, "image", "plain", 0, &err, NULL);
		ok(r < 0 && strstr(err.msg, "not a valid zstd stream") != NULL,
		    "not zstd: %s", err.msg);
	}
#undef M
}

int
main(int argc, char **argv)
{
	char cmd[300];

	if (mkdtemp(top) == NULL)
		return 1;
	test_sha256();
	if (argc > 1 && strcmp(argv[1], "sha256") == 0) { /* that alone */
		rmdir(top);
		return done_testing();
	}
	test_round_trip();
	test_refusals();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	(void)system(cmd);
	return done_testing();
}
