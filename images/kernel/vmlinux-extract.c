/*
 * vmlinux-extract — take the compressed kernel out of an x86 bzImage, and
 * check that an ELF vmlinux can be booted through PVH (images/kernel).
 *
 *   vmlinux-extract BZIMAGE [OUT]        write the payload (the compressed
 *                                        vmlinux) to OUT, or to stdout
 *   vmlinux-extract --info BZIMAGE       print "FORMAT LENGTH SIZE": the
 *                                        payload's compression (by magic:
 *                                        xz gzip zstd bzip2 lzma lzo lz4 or
 *                                        unknown), its length, and the
 *                                        decompressed size the kernel build
 *                                        appends to it (its last 4 bytes)
 *   vmlinux-extract --check-pvh VMLINUX  print "pvh_entry=0x..." if VMLINUX
 *                                        is an ELF64 x86-64 executable with
 *                                        a "Xen" note of type 0x12
 *                                        (XEN_ELFNOTE_PHYS32_ENTRY)
 *
 * The bzImage is read through its boot header (Documentation/x86/boot.rst):
 * setup_sects at 0x1f1, boot_flag 0xaa55 at 0x1fe, "HdrS" at 0x202, the
 * protocol version at 0x206 (payload fields exist from 2.08 on),
 * payload_offset and payload_length at 0x248 and 0x24c, the offset counted
 * from the protected-mode code, which starts after (setup_sects + 1) * 512
 * bytes.  Every read is checked against the file's size first.
 *
 * Exit: 0 ok, 100 bad input (not a bzImage, truncated, too old, not an
 * ELF64 x86-64 executable, no PVH note, usage), 111 I/O error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EX_BAD 100
#define EX_IO 111
#define MAXNOTE (1 << 20) /* largest note area read */

static const char *prog = "vmlinux-extract";

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Open PATH and return its fd; its size goes to *size. */
static int
openf(const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die(EX_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1)
		die(EX_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die(EX_BAD, "%s: not a regular file", path);
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Read exactly N bytes at OFF, which the caller has checked are in the file. */
static void
readat(int fd, const char *path, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = pread(fd, (char *)buf + done, n - done,
		    (off_t)(off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EX_IO, "%s: read: %s", path, strerror(errno));
		if (r == 0)
			die(EX_IO, "%s: file shrank while being read", path);
		done += (size_t)r;
	}
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

struct payload {
	uint64_t off, len;
};

/* Validate the boot header of the bzImage at FD and locate its payload. */
static struct payload
bzimage(int fd, const char *path, uint64_t size)
{
	unsigned char h[0x250];
	struct payload p;
	unsigned setup, version;

	if (size < sizeof(h))
		die(EX_BAD,
		    "%s: %" PRIu64 " bytes, too short for a bzImage "
		    "boot header",
		    path, size);
	readat(fd, path, h, sizeof(h), 0);
	if (memcmp(h + 0x202, "HdrS", 4) != 0)
		die(EX_BAD,
		    "%s: no \"HdrS\" magic at 0x202: not an x86 bzImage", path);
	if (h[0x1fe] != 0x55 || h[0x1ff] != 0xaa)
		die(EX_BAD, "%s: boot_flag at 0x1fe is not 0xaa55", path);
	version = h[0x206] | h[0x207] << 8;
	if (version < 0x208)
		die(EX_BAD,
		    "%s: boot protocol %u.%02u, need 2.08 or later "
		    "for the payload fields",
		    path, version >> 8, version & 0xff);
	setup = h[0x1f1] ? h[0x1f1] : 4;
	p.off = (uint64_t)(setup + 1) * 512 + le32(h + 0x248);
	p.len = le32(h + 0x24c);
	if (p.len < 8 || p.off > size || p.len > size - p.off)
		die(EX_BAD,
		    "%s: payload of %" PRIu64 " bytes at %" PRIu64
		    " is not inside the file (%" PRIu64 " bytes): truncated?",
		    path, p.len, p.off, size);
	return p;
}

static const char *
format(const unsigned char *m)
{
	static const struct {
		const char *name;
		size_t n;
		const char *magic;
	} f[] = {
		{ "xz", 6,
		    "\xfd"
		    "7zXZ\0" },
		{ "gzip", 2, "\x1f\x8b" },
		{ "zstd", 4, "\x28\xb5\x2f\xfd" },
		{ "bzip2", 3, "BZh" },
		{ "lzma", 3, "\x5d\0\0" },
		{ "lzo", 4, "\x89LZO" },
		{ "lz4", 4, "\x02\x21\x4c\x18" },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (memcmp(m, f[i].magic, f[i].n) == 0)
			return f[i].name;
	return "unknown";
}

static int
info(const char *path)
{
	unsigned char m[8], tail[4];
	struct payload p;
	uint64_t size;
	int fd;

	fd = openf(path, &size);
	p = bzimage(fd, path, size);
	readat(fd, path, m, sizeof(m), p.off);
	readat(fd, path, tail, sizeof(tail), p.off + p.len - 4);
	printf("%s %" PRIu64 " %" PRIu32 "\n", format(m), p.len, le32(tail));
	return 0;
}

static int
extract(const char *path, const char *out)
{
	static char buf[1 << 16];
	struct payload p;
	uint64_t size, done;
	size_t n, w;
	ssize_t r;
	int fd, ofd = 1;

	fd = openf(path, &size);
	p = bzimage(fd, path, size);
	if (out != NULL &&
	    (ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
		-1)
		die(EX_IO, "%s: %s", out, strerror(errno));
	for (done = 0; done < p.len; done += n) {
		n = p.len - done < sizeof(buf) ? p.len - done : sizeof(buf);
		readat(fd, path, buf, n, p.off + done);
		for (w = 0; w < n; w += (size_t)r) {
			while ((r = write(ofd, buf + w, n - w)) == -1 &&
			    errno == EINTR)
				;
			if (r == -1)
				die(EX_IO, "%s: write: %s",
				    out ? out : "stdout", strerror(errno));
		}
	}
	if (out != NULL && (fsync(ofd) == -1 || close(ofd) == -1))
		die(EX_IO, "%s: %s", out, strerror(errno));
	return 0;
}

/*
 * Walk the notes in BUF (N bytes, 4-byte aligned) for name "Xen", type
 * XEN_ELFNOTE_PHYS32_ENTRY; store its address in *entry.
 */
static int
find_pvh(const unsigned char *buf, uint64_t n, uint64_t *entry)
{
	Elf64_Nhdr nh;
	uint64_t off = 0, name, desc;

	while (n - off >= sizeof(nh)) {
		memcpy(&nh, buf + off, sizeof(nh));
		name = off + sizeof(nh);
		desc = name + ((nh.n_namesz + 3ULL) & ~3ULL);
		if (desc > n || ((nh.n_descsz + 3ULL) & ~3ULL) > n - desc)
			return 0; /* malformed: stop, not found */
		if (nh.n_type == 0x12 && nh.n_namesz == 4 &&
		    memcmp(buf + name, "Xen", 4) == 0 &&
		    (nh.n_descsz == 4 || nh.n_descsz == 8)) {
			*entry = le32(buf + desc);
			if (nh.n_descsz == 8)
				*entry |= (uint64_t)le32(buf + desc + 4) << 32;
			return 1;
		}
		off = desc + ((nh.n_descsz + 3ULL) & ~3ULL);
	}
	return 0;
}

/* Read the note area at OFF/LEN of FD and look for the PVH note in it. */
static int
note_area(int fd, const char *path, uint64_t size, uint64_t off, uint64_t len,
    uint64_t *entry)
{
	unsigned char *buf;
	int found;

	if (len > MAXNOTE || off > size || len > size - off)
		die(EX_BAD,
		    "%s: note area at %" PRIu64 " (%" PRIu64
		    " bytes) is outside the file or too large",
		    path, off, len);
	if ((buf = malloc(len ? len : 1)) == NULL)
		die(EX_IO, "out of memory");
	readat(fd, path, buf, len, off);
	found = find_pvh(buf, len, entry);
	free(buf);
	return found;
}

static int
check_pvh(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh;
	uint64_t size, entry = 0;
	unsigned i;
	int fd, found = 0;

	fd = openf(path, &size);
	if (size < sizeof(eh))
		die(EX_BAD, "%s: too short for an ELF header", path);
	readat(fd, path, &eh, sizeof(eh), 0);
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		die(EX_BAD, "%s: not an ELF file", path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64)
		die(EX_BAD, "%s: not an ELF64 little-endian x86-64 file", path);
	if (eh.e_type != ET_EXEC)
		die(EX_BAD, "%s: ELF type %u, not an executable (ET_EXEC)",
		    path, eh.e_type);
	/* Program headers (PT_NOTE) first: that is what a loader reads. */
	if (eh.e_phnum > 0 && eh.e_phentsize != sizeof(ph))
		die(EX_BAD, "%s: odd program header size %u", path,
		    eh.e_phentsize);
	for (i = 0; i < eh.e_phnum && !found; i++) {
		if (eh.e_phoff > size ||
		    (i + 1ULL) * sizeof(ph) > size - eh.e_phoff)
			die(EX_BAD, "%s: program headers past the end", path);
		readat(fd, path, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph));
		if (ph.p_type == PT_NOTE)
			found = note_area(fd, path, size, ph.p_offset,
			    ph.p_filesz, &entry);
	}
	/* Then section headers (SHT_NOTE), for images without PT_NOTE. */
	if (eh.e_shnum > 0 && eh.e_shentsize != sizeof(sh))
		die(EX_BAD, "%s: odd section header size %u", path,
		    eh.e_shentsize);
	for (i = 0; i < eh.e_shnum && !found; i++) {
		if (eh.e_shoff > size ||
		    (i + 1ULL) * sizeof(sh) > size - eh.e_shoff)
			die(EX_BAD, "%s: section headers past the end", path);
		readat(fd, path, &sh, sizeof(sh), eh.e_shoff + i * sizeof(sh));
		if (sh.sh_type == SHT_NOTE)
			found = note_area(fd, path, size, sh.sh_offset,
			    sh.sh_size, &entry);
	}
	if (!found)
		die(EX_BAD,
		    "%s: no Xen PHYS32_ENTRY (PVH) note: this kernel "
		    "cannot be booted as an ELF by QEMU microvm or Firecracker",
		    path);
	printf("pvh_entry=0x%" PRIx64 "\n", entry);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--info") == 0)
		return info(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--check-pvh") == 0)
		return check_pvh(argv[2]);
	if ((argc == 2 || argc == 3) && argv[1][0] != '-')
		return extract(argv[1], argc == 3 ? argv[2] : NULL);
	fprintf(stderr,
	    "usage: %s BZIMAGE [OUT]\n       %s --info BZIMAGE\n"
	    "       %s --check-pvh VMLINUX\n",
	    prog, prog, prog);
	return EX_BAD;
}
