/*
 * modinfo-deps — resolve kernel module dependencies from the modules'
 * own .modinfo ELF sections, for the kernel bundle's initrd (images/kernel).
 *
 *   modinfo-deps MODDIR MODULE...   print MODULE... and everything they
 *                                   need as "NAME PATH" lines (PATH relative
 *                                   to MODDIR, e.g. /lib/modules/<kver>), in
 *                                   an order they can be loaded in
 *   modinfo-deps -F FIELD FILE      print the values of FIELD in FILE's
 *                                   .modinfo, one a line (like modinfo -F)
 *
 * MODDIR is searched for *.ko (and *.ko.xz, *.ko.zst, *.ko.gz, read through
 * xz/zstd/gzip -dc); a module's name is its file name without the
 * extension, '-' read as '_'.  A module's hard dependencies are its
 * "depends=" list: each must exist, and a cycle is an error.  Its
 * "softdep=pre:" names are loaded before it too when they can be found:
 * they may be aliases (ext4 and jbd2 ask for "crypto-crc32c"), resolved
 * by matching every module's "alias=" patterns; of several matches the
 * one without a CPU-feature alias ("cpu:...") is taken, so the initrd
 * works on any CPU (crc32c_generic rather than crc32c_intel); a softdep
 * that cannot be resolved is skipped with a note.  "post:" softdeps are
 * ignored.  A requested module listed in MODDIR/modules.builtin is
 * skipped: it is part of the kernel.  Output is depth-first post-order,
 * so each module comes after everything it needs.
 *
 * Exit: 0 ok, 100 bad input (unknown module, not a module, dependency
 * cycle, usage), 111 I/O error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define EX_BAD 100
#define EX_IO 111
#define MAXMOD (256u << 20) /* largest module, decompressed */

struct mod {
	char *name; /* module name, '_' for '-' */
	char *path; /* relative to MODDIR */
	char *info; /* .modinfo copy, or NULL */
	size_t infolen;
	int state; /* 0 new, 1 being visited, 2 emitted */
};

static const char *prog = "modinfo-deps";
static struct mod *mods;
static size_t nmods, capmods;
static char **builtin;
static size_t nbuiltin;
static const char *moddir;
static size_t moddirlen;

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

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		die(EX_IO, "out of memory");
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d;

	if ((d = strndup(s, n)) == NULL)
		die(EX_IO, "out of memory");
	return d;
}

/* The decompressor for a module file name, or NULL if it is plain. */
static const char *
unpacker(const char *path)
{
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".xz") == 0)
		return "xz";
	if (n > 4 && strcmp(path + n - 4, ".zst") == 0)
		return "zstd";
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		return "gzip";
	return NULL;
}

/* Run "TOOL -dc -- PATH" and return its output (at most MAXMOD bytes). */
static char *
unpack(const char *tool, const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	pid_t pid;
	int p[2], st;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		die(EX_IO, "%s: %s", tool, strerror(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execlp(tool, tool, "-dc", "--", path, (char *)NULL);
		fprintf(stderr, "%s: %s: %s\n", prog, tool, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		if (n == cap) {
			if (cap >= MAXMOD)
				die(EX_BAD,
				    "%s: more than %u bytes decompressed", path,
				    MAXMOD);
			cap = cap ? cap * 2 : 1 << 20;
			buf = xrealloc(buf, cap);
		}
		if ((r = read(p[0], buf + n, cap - n)) == -1 && errno == EINTR)
			continue;
		if (r == -1)
			die(EX_IO, "%s: read: %s", tool, strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			die(EX_IO, "waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die(EX_IO, "%s -dc %s failed", tool, path);
	*len = n;
	return buf;
}

/*
 * Copy the .modinfo section of the ELF relocatable object in BUF (LEN
 * bytes) into *info.  Every offset is checked against LEN.
 */
static void
parse_modinfo(const char *path, const unsigned char *buf, size_t len,
    char **info, size_t *infolen)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strsh;
	size_t i;

	if (len < sizeof(eh) || memcmp(buf, ELFMAG, SELFMAG) != 0)
		die(EX_BAD, "%s: not an ELF file", path);
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_type != ET_REL)
		die(EX_BAD, "%s: not an ELF64 little-endian kernel module",
		    path);
	if (eh.e_shentsize != sizeof(sh) || eh.e_shoff > len ||
	    eh.e_shnum > (len - eh.e_shoff) / sizeof(sh) ||
	    eh.e_shstrndx >= eh.e_shnum)
		die(EX_BAD, "%s: bad section header table", path);
	memcpy(&strsh, buf + eh.e_shoff + eh.e_shstrndx * sizeof(sh),
	    sizeof(sh));
	if (strsh.sh_offset > len || strsh.sh_size > len - strsh.sh_offset)
		die(EX_BAD, "%s: bad section name table", path);
	for (i = 0; i < eh.e_shnum; i++) {
		memcpy(&sh, buf + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_name >= strsh.sh_size ||
		    strsh.sh_size - sh.sh_name < sizeof(".modinfo") ||
		    memcmp(buf + strsh.sh_offset + sh.sh_name, ".modinfo",
			sizeof(".modinfo")) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > len ||
		    sh.sh_size > len - sh.sh_offset)
			die(EX_BAD, "%s: .modinfo outside the file", path);
		*info = xrealloc(NULL, sh.sh_size + 1);
		memcpy(*info, buf + sh.sh_offset, sh.sh_size);
		(*info)[sh.sh_size] = '\0';
		*infolen = sh.sh_size + 1;
		return;
	}
	die(EX_BAD, "%s: no .modinfo section: not a kernel module", path);
}

/* Read FILE's .modinfo (decompressing it first if need be). */
static void
read_modinfo(const char *file, char **info, size_t *infolen)
{
	const char *tool;
	struct stat st;
	void *map;
	size_t len;
	int fd;

	if ((tool = unpacker(file)) != NULL) {
		map = unpack(tool, file, &len);
		parse_modinfo(file, map, len, info, infolen);
		free(map);
		return;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		die(EX_IO, "%s: %s", file, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > MAXMOD)
		die(EX_BAD, "%s: not a plausible module file", file);
	len = (size_t)st.st_size;
	if ((map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED)
		die(EX_IO, "%s: mmap: %s", file, strerror(errno));
	parse_modinfo(file, map, len, info, infolen);
	munmap(map, len);
	close(fd);
}

/* Call FN(value, vlen, arg) for each "KEY=value" entry of the info. */
static void
each(const char *info, size_t len, const char *key,
    void (*fn)(const char *, size_t, void *), void *arg)
{
	size_t klen = strlen(key), i, n;

	for (i = 0; i < len; i += n + 1) {
		n = strnlen(info + i, len - i);
		if (n > klen && strncmp(info + i, key, klen) == 0 &&
		    info[i + klen] == '=')
			fn(info + i + klen + 1, n - klen - 1, arg);
	}
}

/* The name of a module file: basename up to ".ko", with '-' as '_'. */
static char *
modname(const char *path)
{
	const char *b = strrchr(path, '/'), *e;
	char *s, *p;

	b = b ? b + 1 : path;
	if ((e = strstr(b, ".ko")) == NULL)
		e = b + strlen(b);
	s = xstrndup(b, (size_t)(e - b));
	for (p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return s;
}

static int
indexer(const char *path, const struct stat *st, int type, struct FTW *f)
{
	const char *b = strrchr(path, '/'), *e;

	(void)st;
	(void)f;
	if (type != FTW_F || (e = strstr(b ? b : path, ".ko")) == NULL ||
	    (e[3] != '\0' && (e[3] != '.' || unpacker(e) == NULL)))
		return 0;
	if (nmods == capmods) {
		capmods = capmods ? capmods * 2 : 1024;
		mods = xrealloc(mods, capmods * sizeof(*mods));
	}
	mods[nmods].name = modname(path);
	mods[nmods].path =
	    xstrndup(path + moddirlen + 1, strlen(path) - moddirlen - 1);
	mods[nmods].info = NULL;
	mods[nmods].state = 0;
	nmods++;
	return 0;
}

static int
bypath(const void *a, const void *b)
{
	return strcmp(((const struct mod *)a)->path,
	    ((const struct mod *)b)->path);
}

/* Index MODDIR: every module file, and the modules.builtin list. */
static void
load_index(void)
{
	char path[4096], line[4096];
	size_t n;
	FILE *f;

	if (nftw(moddir, indexer, 32, FTW_PHYS) == -1)
		die(EX_IO, "%s: %s", moddir, strerror(errno));
	if (nmods == 0)
		die(EX_BAD, "%s: no kernel modules (*.ko) found", moddir);
	qsort(mods, nmods, sizeof(*mods), bypath); /* deterministic */
	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\n");
		line[n] = '\0';
		builtin = xrealloc(builtin, (nbuiltin + 1) * sizeof(*builtin));
		builtin[nbuiltin++] = modname(line);
	}
	fclose(f);
}

static struct mod *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < nmods; i++)
		if (strcmp(mods[i].name, name) == 0)
			return &mods[i];
	return NULL;
}

static int
is_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < nbuiltin; i++)
		if (strcmp(builtin[i], name) == 0)
			return 1;
	return 0;
}

static void
ensure_info(struct mod *m)
{
	char full[4096];

	if (m->info != NULL)
		return;
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", moddir, m->path) >=
	    sizeof(full))
		die(EX_BAD, "%s/%s: path too long", moddir, m->path);
	read_modinfo(full, &m->info, &m->infolen);
}

/* Alias matching: does module M have an alias pattern matching NAME? */
struct amatch {
	const char *name;
	int hit, cpu;
};

static void
alias_cb(const char *v, size_t n, void *arg)
{
	struct amatch *a = arg;
	char *pat = xstrndup(v, n);

	if (fnmatch(pat, a->name, 0) == 0)
		a->hit = 1;
	if (strncmp(pat, "cpu:", 4) == 0)
		a->cpu = 1;
	free(pat);
}

/* The module a softdep NAME stands for: itself, or one with that alias. */
static struct mod *
resolve_soft(const char *name, const char *by)
{
	struct amatch a;
	struct mod *m, *cpu = NULL;
	size_t i;

	if ((m = lookup(name)) != NULL)
		return m;
	for (i = 0; i < nmods; i++) {
		ensure_info(&mods[i]);
		a.name = name;
		a.hit = a.cpu = 0;
		each(mods[i].info, mods[i].infolen, "alias", alias_cb, &a);
		if (a.hit && !a.cpu)
			return &mods[i];
		if (a.hit && cpu == NULL)
			cpu = &mods[i];
	}
	fprintf(stderr, "%s: note: %s: softdep %s %s\n", prog, by, name,
	    cpu ? "only has CPU-specific modules: skipped" :
		  "not found (built in?): skipped");
	return NULL;
}

static void visit(struct mod *);

struct ctx {
	struct mod *m;
	int soft;
};

/* Visit each name of a comma list (depends=) or a softdep string. */
static void
deps_cb(const char *v, size_t n, void *arg)
{
	struct ctx *c = arg;
	const char *sep = c->soft ? " \t" : ",";
	char *s = xstrndup(v, n), *tok, *save = NULL;
	struct mod *d;
	int pre = 0;

	for (tok = strtok_r(s, sep, &save); tok;
	     tok = strtok_r(NULL, sep, &save)) {
		if (c->soft &&
		    (strcmp(tok, "pre:") == 0 || strcmp(tok, "post:") == 0)) {
			pre = strcmp(tok, "pre:") == 0;
			continue;
		}
		if (c->soft && !pre)
			continue;
		if (!c->soft) {
			if ((d = lookup(tok)) == NULL)
				die(EX_BAD,
				    "%s depends on %s, which is not in %s",
				    c->m->name, tok, moddir);
			if (d->state == 1)
				die(EX_BAD, "dependency cycle: %s -> %s",
				    c->m->name, tok);
			visit(d);
		} else if ((d = resolve_soft(tok, c->m->name)) != NULL &&
		    d->state != 1)
			visit(d);
	}
	free(s);
}

static void
visit(struct mod *m)
{
	struct ctx c = { m, 1 };

	if (m->state == 2)
		return;
	m->state = 1;
	ensure_info(m);
	each(m->info, m->infolen, "softdep", deps_cb, &c);
	c.soft = 0;
	each(m->info, m->infolen, "depends", deps_cb, &c);
	m->state = 2;
	if (printf("%s %s\n", m->name, m->path) < 0)
		die(EX_IO, "stdout: %s", strerror(errno));
}

static void
print_cb(const char *v, size_t n, void *arg)
{
	(void)arg;
	printf("%.*s\n", (int)n, v);
}

int
main(int argc, char **argv)
{
	struct mod *m;
	char *info, *want;
	size_t infolen;
	int i;

	if (argc == 4 && strcmp(argv[1], "-F") == 0) {
		read_modinfo(argv[3], &info, &infolen);
		each(info, infolen, argv[2], print_cb, NULL);
	} else if (argc >= 3 && argv[1][0] != '-') {
		moddirlen = strlen(argv[1]);
		while (moddirlen > 1 && argv[1][moddirlen - 1] == '/')
			moddirlen--;
		moddir = xstrndup(argv[1], moddirlen);
		load_index();
		for (i = 2; i < argc; i++) {
			want = modname(argv[i]);
			if ((m = lookup(want)) != NULL)
				visit(m);
			else if (is_builtin(want))
				fprintf(stderr,
				    "%s: note: %s is built into the kernel\n",
				    prog, want);
			else
				die(EX_BAD, "no module %s in %s", want, moddir);
			free(want);
		}
	} else {
		fprintf(stderr,
		    "usage: %s MODDIR MODULE...\n       %s -F FIELD FILE.ko\n",
		    prog, prog);
		return EX_BAD;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		die(EX_IO, "stdout: %s", strerror(errno));
	return 0;
}
