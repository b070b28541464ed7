/*
 * Unit tests: config loading (every key, type and range errors with
 * their positions, ~ expansion, unknown-key warnings, file_sync rules),
 * the sizing heuristics and size parsing.  Config files are written to
 * a private temp dir, and HOME points into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"
#include "tap.h"

static char tmp[64], home[128], cfg[160];

static void
write_file(const char *path, const char *text)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	close(fd);
}

static int
load(const char *text, struct bg_config *c, struct bg_err *err)
{
	write_file(cfg, text);
	memset(err, 0, sizeof(*err));
	return bg_config_load(c, cfg, err);
}

/* Loading text must fail with exactly "CFG:" want, and leave c zeroed. */
static void
fails(const char *text, const char *want)
{
	struct bg_config c, zero;
	struct bg_err err;
	char msg[1024];
	int r;

	memset(&zero, 0, sizeof(zero));
	snprintf(msg, sizeof(msg), "%s:%s", cfg, want);
	r = load(text, &c, &err);
	if (!ok(r == -EINVAL && strcmp(err.code, "bad_config") == 0 &&
		    strcmp(err.msg, msg) == 0 &&
		    memcmp(&c, &zero, sizeof(c)) == 0,
		"refused: %s", want))
		printf("#   got %d %s '%s'\n#  want '%s'\n", r, err.code,
		    err.msg, msg);
	if (r == 0)
		bg_config_free(&c);
}

/* Loading text must succeed with exactly one warning, "CFG:" want. */
static void
warns(const char *text, const char *want)
{
	struct bg_config c;
	struct bg_err err;
	char msg[1024];
	int r;

	snprintf(msg, sizeof(msg), "%s:%s", cfg, want);
	r = load(text, &c, &err);
	if (!ok(r == 0 && c.n_warnings == 1 && strcmp(c.warnings[0], msg) == 0,
		"warns: %s", want))
		printf("#   got %d '%s' %zu warnings: '%s'\n#  want '%s'\n", r,
		    err.msg, c.n_warnings, c.n_warnings ? c.warnings[0] : "",
		    msg);
	bg_config_free(&c);
}

static void
test_default_path(void)
{
	char buf[PATH_MAX];

	setenv("HOME", "/home/u", 1);
	is_int(bg_config_default_path(buf, sizeof(buf)), 0, "default path");
	is_str(buf, "/home/u/.config/banger/config.toml", "under $HOME");
	setenv("HOME", "/home/u//", 1);
	bg_config_default_path(buf, sizeof(buf));
	is_str(buf, "/home/u/.config/banger/config.toml", "trailing / dropped");
	setenv("HOME", "/", 1);
	bg_config_default_path(buf, sizeof(buf));
	is_str(buf, "/.config/banger/config.toml", "HOME=/");
	setenv("HOME", "/home/u", 1);
	is_int(bg_config_default_path(buf, 20), -ENAMETOOLONG, "small buffer");
	setenv("HOME", "home/u", 1);
	is_int(bg_config_default_path(buf, sizeof(buf)), -EINVAL,
	    "relative HOME refused");
	setenv("HOME", "", 1);
	is_int(bg_config_default_path(buf, sizeof(buf)), -EINVAL,
	    "empty HOME refused");
	unsetenv("HOME");
	is_int(bg_config_default_path(buf, sizeof(buf)), -EINVAL,
	    "unset HOME refused");
}

static void
test_defaults(void)
{
	struct bg_config c;
	struct bg_err err;
	char want[512], dir[256];
	long v, m, pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	enum bg_prov vp, mp;

	unsetenv("HOME");
	memset(&err, 0, sizeof(err));
	is_int(bg_config_load(&c, NULL, &err), -EINVAL, "no HOME: -EINVAL");
	ok(strstr(err.msg, "HOME must be set to an absolute path") != NULL &&
		strcmp(err.code, "bad_config") == 0,
	    "no HOME: message");
	setenv("HOME", "relative", 1);
	is_int(bg_config_load(&c, cfg, &err), -EINVAL,
	    "relative HOME: -EINVAL");
	setenv("HOME", home, 1);

	is_int(bg_config_load(&c, NULL, &err), 0, "no file: loads");
	ok(!c.present, "no file: not present");
	snprintf(want, sizeof(want), "%s/.config/banger/config.toml", home);
	is_str(c.path, want, "default path");
	is_str(c.default_image_name, "debian-bookworm", "default image");
	snprintf(want, sizeof(want), "%s/.local/state/banger/ssh/id_ed25519",
	    home);
	is_str(c.ssh_key_path, want, "default ssh key");
	ok(c.firecracker_bin == NULL,
	    "firecracker_bin: unset, the standard lookup");
	is_str(c.vmm, "auto", "vmm auto");
	is_str(c.qemu_accel, "auto", "qemu_accel auto");
	is_int(c.disk_bytes, 8ULL << 30, "disk 8 GiB");
	is_int(c.disk_prov, BG_PROV_BUILTIN, "disk built-in");
	bg_config_heuristics(sysconf(_SC_NPROCESSORS_ONLN),
	    (uint64_t)pages * (uint64_t)psz >> 20, &v, &vp, &m, &mp);
	ok(c.vcpu == v && c.vcpu_prov == vp && c.vcpu >= 1 && c.vcpu <= 4,
	    "vcpu from this host: %ld (%s)", c.vcpu, bg_prov_name(c.vcpu_prov));
	ok(c.memory_mib == m && c.memory_prov == mp && c.memory_mib >= 1024 &&
		c.memory_mib <= 8192,
	    "memory from this host: %ld (%s)", c.memory_mib,
	    bg_prov_name(c.memory_prov));
	is_int(c.n_file_sync, 0, "no file_sync");
	is_int(c.n_warnings, 0, "no warnings");
	bg_config_free(&c);

	/* The default path, when the file is there. */
	snprintf(dir, sizeof(dir), "%s/.config", home);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.config/banger", home);
	mkdir(dir, 0700);
	snprintf(want, sizeof(want), "%s/config.toml", dir);
	write_file(want, "vmm = \"qemu\"\n");
	is_int(bg_config_load(&c, NULL, &err), 0, "default file loads");
	ok(c.present, "default file present");
	is_str(c.vmm, "qemu", "default file read");
	bg_config_free(&c);
	unlink(want);

	/* A missing file given by path is not an error either. */
	snprintf(want, sizeof(want), "%s/nope.toml", tmp);
	is_int(bg_config_load(&c, want, &err), 0, "missing file: 0");
	ok(!c.present && strcmp(c.path, want) == 0, "missing file: defaults");
	bg_config_free(&c);

	/* A directory cannot be read. */
	is_int(bg_config_load(&c, tmp, &err), -EISDIR, "directory: -EISDIR");
	is_str(err.code, "io", "directory: code io");
	ok(c.path == NULL, "freed on failure");
	bg_config_free(&c);
	bg_config_free(&c);
}

static void
test_all_keys(void)
{
	struct bg_config c;
	struct bg_err err;
	char want[256];
	int r;

	r = load("# every key\ndefault_image_name = \"my-image-2\"\n"
		 "ssh_key_path = \"~/.ssh/banger\"\n"
		 "firecracker_bin = \"/opt/fc/firecracker\"\n"
		 "vmm = \"firecracker\"\nqemu_accel = \"tcg\"\n"
		 "\n[vm_defaults]\nvcpu = 4\nmemory_mib = 4096\n"
		 "disk_size = \"16G\"\n\n[[file_sync]]\nhost = \"~/.aws\"\n"
		 "guest = \"~/.aws\"\n\n"
		 "[[file_sync]]\nhost = \"~/.config/gh/hosts.yml\"\n"
		 "guest = \"/root/.config/gh/hosts.yml\"\n\n"
		 "[[file_sync]]\nhost = \"~/bin/my-script\"\n"
		 "guest = \"~/bin/my-script\"\nmode = \"0755\"\n",
	    &c, &err);
	is_int(r, 0, "full config loads");
	if (r < 0)
		printf("# %s\n", err.msg);
	ok(c.present, "present");
	is_str(c.path, cfg, "path");
	is_str(c.default_image_name, "my-image-2", "default_image_name");
	snprintf(want, sizeof(want), "%s/.ssh/banger", home);
	is_str(c.ssh_key_path, want, "ssh_key_path expanded");
	is_str(c.firecracker_bin, "/opt/fc/firecracker", "firecracker_bin");
	is_str(c.vmm, "firecracker", "vmm");
	is_str(c.qemu_accel, "tcg", "qemu_accel");
	is_int(c.vcpu, 4, "vcpu");
	is_int(c.vcpu_prov, BG_PROV_CONFIG, "vcpu from config");
	is_int(c.memory_mib, 4096, "memory_mib");
	is_int(c.memory_prov, BG_PROV_CONFIG, "memory from config");
	is_int(c.disk_bytes, 16ULL << 30, "disk_size");
	is_int(c.disk_prov, BG_PROV_CONFIG, "disk from config");
	is_int(c.n_file_sync, 3, "3 file_sync entries");
	if (c.n_file_sync == 3) {
		is_str(c.file_sync[0].host, "~/.aws",
		    "entry 1 host as written");
		is_str(c.file_sync[0].guest, "~/.aws", "entry 1 guest");
		ok(!c.file_sync[0].has_mode, "entry 1 no mode");
		is_int(c.file_sync[0].line, 13, "entry 1 line");
		is_str(c.file_sync[1].guest, "/root/.config/gh/hosts.yml",
		    "entry 2 guest");
		is_int(c.file_sync[1].line, 17, "entry 2 line");
		ok(c.file_sync[2].has_mode, "entry 3 has mode");
		is_int(c.file_sync[2].mode, 0755, "entry 3 mode 0755");
		is_int(c.file_sync[2].line, 21, "entry 3 line");
	}
	is_int(c.n_warnings, 0, "no warnings");
	bg_config_free(&c);
	ok(c.path == NULL && c.file_sync == NULL && c.n_file_sync == 0,
	    "free zeroes");

	/* Only some vm_defaults: the others keep their default provenance. */
	r = load("[vm_defaults]\nmemory_mib = 2048\n", &c, &err);
	is_int(r, 0, "partial vm_defaults");
	is_int(c.memory_prov, BG_PROV_CONFIG, "memory from config");
	ok(c.vcpu_prov != BG_PROV_CONFIG, "vcpu not from config");
	is_int(c.disk_prov, BG_PROV_BUILTIN, "disk built-in");
	bg_config_free(&c);

	/* Dotted keys are the same thing. */
	r = load("vm_defaults.vcpu = 2\nvm_defaults.disk_size = 1073741824\n",
	    &c, &err);
	ok(r == 0 && c.vcpu == 2 && c.vcpu_prov == BG_PROV_CONFIG &&
		c.disk_bytes == 1ULL << 30,
	    "dotted vm_defaults, integer disk_size");
	bg_config_free(&c);

	/* An empty file is present and all defaults. */
	r = load("", &c, &err);
	ok(r == 0 && c.present && c.n_warnings == 0 &&
		strcmp(c.vmm, "auto") == 0,
	    "empty file");
	bg_config_free(&c);
}

/* conf/config.toml.example loads as is, and with every key uncommented. */
static void
test_example(void)
{
	struct bg_config c;
	struct bg_err err;
	char *text, *p, *q;
	size_t len;
	int r;

	r = bg_read_file(AT_FDCWD, "conf/config.toml.example", 1 << 20, &text,
	    &len);
	is_int(r, 0, "read conf/config.toml.example");
	if (r < 0)
		return;
	r = load(text, &c, &err);
	ok(r == 0 && c.n_warnings == 0 && c.n_file_sync == 0 &&
		c.vcpu_prov != BG_PROV_CONFIG,
	    "example loads as is: %s", r ? err.msg : "defaults");
	bg_config_free(&c);
	/* "#key" and "#[" lines are settings; "# text" lines are prose. */
	for (p = q = text; *p != '\0'; p++) {
		if (*p == '#' && (p == text || p[-1] == '\n') && p[1] != ' ' &&
		    p[1] != '\n')
			continue;
		*q++ = *p;
	}
	*q = '\0';
	r = load(text, &c, &err);
	ok(r == 0 && c.n_warnings == 0, "example uncommented loads: %s",
	    r ? err.msg : "ok");
	is_str(c.default_image_name, "debian-bookworm", "example image");
	is_str(c.firecracker_bin, "/usr/local/bin/firecracker",
	    "example firecracker_bin");
	ok(c.vcpu == 2 && c.memory_mib == 2048 && c.disk_bytes == 8ULL << 30 &&
		c.disk_prov == BG_PROV_CONFIG,
	    "example vm_defaults");
	is_int(c.n_file_sync, 3, "example: 3 file_sync entries");
	if (c.n_file_sync == 3)
		ok(c.file_sync[2].has_mode && c.file_sync[2].mode == 0755,
		    "example: mode 0755");
	bg_config_free(&c);
	free(text);
}

static void
test_paths(void)
{
	struct bg_config c;
	struct bg_err err;
	char want[256], h2[160];

	load("ssh_key_path = \"/abs/key\"\n", &c, &err);
	is_str(c.ssh_key_path, "/abs/key", "absolute ssh_key_path kept");
	bg_config_free(&c);
	snprintf(h2, sizeof(h2), "%s/", home);
	setenv("HOME", h2, 1);
	load("ssh_key_path = \"~/k\"\n", &c, &err);
	snprintf(want, sizeof(want), "%s/k", home);
	is_str(c.ssh_key_path, want, "HOME with a trailing / expands cleanly");
	bg_config_free(&c);
	setenv("HOME", home, 1);
	fails("ssh_key_path = \"keys/id\"\n",
	    "1:1: ssh_key_path 'keys/id' is "
	    "relative; use an absolute path or a ~/ path");
	fails("\n  ssh_key_path = 'id_ed25519'\n",
	    "2:3: ssh_key_path "
	    "'id_ed25519' is relative; use an absolute path or a ~/ path");
	fails("ssh_key_path = \"~other/id\"\n",
	    "1:1: ssh_key_path '~other/id' "
	    "is relative; use an absolute path or a ~/ path");
	fails("ssh_key_path = \"~\"\n",
	    "1:1: ssh_key_path '~' is relative; "
	    "use an absolute path or a ~/ path");
	fails("ssh_key_path = \"\"\n",
	    "1:1: ssh_key_path '' is relative; use "
	    "an absolute path or a ~/ path");
	fails("ssh_key_path = \"\\u001b[31m\"\n",
	    "1:1: ssh_key_path '?[31m' "
	    "is relative; use an absolute path or a ~/ path");
	{
		char doc[PATH_MAX + 64], msg[128];

		snprintf(doc, sizeof(doc), "ssh_key_path = \"/%0*d\"\n",
		    PATH_MAX - 1, 0);
		snprintf(msg, sizeof(msg),
		    "1:1: ssh_key_path is too long (at most %d bytes)",
		    PATH_MAX - 1);
		fails(doc, msg);
		snprintf(doc, sizeof(doc), "ssh_key_path = \"/%0*d\"\n",
		    PATH_MAX - 2, 0);
		ok(load(doc, &c, &err) == 0, "PATH_MAX - 1 bytes accepted");
		bg_config_free(&c);
	}

	load("firecracker_bin = \"firecracker\"\n", &c, &err);
	is_str(c.firecracker_bin, "firecracker",
	    "firecracker_bin command name");
	bg_config_free(&c);
	load("firecracker_bin = \"~/bin/fc\"\n", &c, &err);
	snprintf(want, sizeof(want), "%s/bin/fc", home);
	is_str(c.firecracker_bin, want, "firecracker_bin ~/ expanded");
	bg_config_free(&c);
	fails("firecracker_bin = \"bin/fc\"\n",
	    "1:1: firecracker_bin 'bin/fc' "
	    "must be an absolute path, a ~/ path or a command name (looked up "
	    "in /usr/local/bin and the system directories)");
	fails("firecracker_bin = \"./fc\"\n",
	    "1:1: firecracker_bin './fc' "
	    "must be an absolute path, a ~/ path or a command name (looked up "
	    "in /usr/local/bin and the system directories)");
	fails("firecracker_bin = \"\"\n",
	    "1:1: firecracker_bin '' must be an "
	    "absolute path, a ~/ path or a command name (looked up in /usr/local/bin and the system directories)");
	fails("firecracker_bin = \"~\"\n",
	    "1:1: firecracker_bin '~' must be "
	    "an absolute path, a ~/ path or a command name (looked up in /usr/local/bin and the system directories)");
	fails("firecracker_bin = \"..\"\n",
	    "1:1: firecracker_bin '..' must be "
	    "an absolute path, a ~/ path or a command name (looked up in /usr/local/bin and the system directories)");
}

static void
test_values(void)
{
	struct bg_config c;
	struct bg_err err;
	static const char *const vmms[] = { "auto", "firecracker", "qemu" };
	static const char *const accels[] = { "auto", "kvm", "tcg" };
	char doc[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(doc, sizeof(doc), "vmm = '%s'\nqemu_accel = '%s'\n",
		    vmms[i], accels[i]);
		ok(load(doc, &c, &err) == 0 && strcmp(c.vmm, vmms[i]) == 0 &&
			strcmp(c.qemu_accel, accels[i]) == 0,
		    "vmm %s, accel %s", vmms[i], accels[i]);
		bg_config_free(&c);
	}
	fails("vmm = \"kvm\"\n",
	    "1:1: vmm must be auto, qemu or firecracker (got 'kvm')");
	fails("vmm = \"QEMU\"\n",
	    "1:1: vmm must be auto, qemu or firecracker (got 'QEMU')");
	fails("a = 1\nqemu_accel = \"hvf\"\n",
	    "2:1: qemu_accel must be auto, kvm or tcg (got 'hvf')");

	load("default_image_name = \"0-x\"\n", &c, &err);
	is_str(c.default_image_name, "0-x", "image name 0-x");
	bg_config_free(&c);
	fails("default_image_name = \"Debian\"\n",
	    "1:1: default_image_name "
	    "'Debian' is not a valid image name (lower-case letters, digits "
	    "and '-', starting with a letter or digit, at most 63 characters)");
	fails("default_image_name = \"../x\"\n",
	    "1:1: default_image_name "
	    "'../x' is not a valid image name (lower-case letters, digits "
	    "and '-', starting with a letter or digit, at most 63 characters)");
	fails("default_image_name = \"\"\n",
	    "1:1: default_image_name "
	    "'' is not a valid image name (lower-case letters, digits "
	    "and '-', starting with a letter or digit, at most 63 characters)");

	/* Ranges, limits included. */
	ok(load("[vm_defaults]\nvcpu = 1\nmemory_mib = 128\n", &c, &err) == 0 &&
		c.vcpu == 1 && c.memory_mib == 128,
	    "lowest vcpu and memory");
	bg_config_free(&c);
	ok(load("[vm_defaults]\nvcpu = 32\nmemory_mib = 1048576\n", &c, &err) ==
		    0 &&
		c.vcpu == 32 && c.memory_mib == 1048576,
	    "highest vcpu and memory");
	bg_config_free(&c);
	fails("[vm_defaults]\nvcpu = 0\n",
	    "2:1: vcpu must be between 1 and 32 (got 0)");
	fails("[vm_defaults]\nvcpu = 33\n",
	    "2:1: vcpu must be between 1 and 32 (got 33)");
	fails("[vm_defaults]\n  vcpu = -9223372036854775808\n",
	    "2:3: vcpu must be between 1 and 32 (got -9223372036854775808)");
	fails("[vm_defaults]\nvcpu = 2\nmemory_mib = 127\n",
	    "3:1: memory_mib must be between 128 and 1048576 (got 127)");
	fails("[vm_defaults]\nmemory_mib = 1048577\n",
	    "2:1: memory_mib must be between 128 and 1048576 (got 1048577)");

	ok(load("[vm_defaults]\ndisk_size = \"1G\"\n", &c, &err) == 0 &&
		c.disk_bytes == 1ULL << 30,
	    "disk_size 1G (lowest)");
	bg_config_free(&c);
	ok(load("[vm_defaults]\ndisk_size = \"16T\"\n", &c, &err) == 0 &&
		c.disk_bytes == 16ULL << 40,
	    "disk_size 16T (highest)");
	bg_config_free(&c);
	ok(load("[vm_defaults]\ndisk_size = \"2048MiB\"\n", &c, &err) == 0 &&
		c.disk_bytes == 2ULL << 30,
	    "disk_size 2048MiB");
	bg_config_free(&c);
	fails("[vm_defaults]\ndisk_size = \"512M\"\n",
	    "2:1: disk_size must be between 1G and 16T (got '512M')");
	fails("[vm_defaults]\ndisk_size = \"1073741823\"\n",
	    "2:1: disk_size must be between 1G and 16T (got '1073741823')");
	fails("[vm_defaults]\ndisk_size = \"17T\"\n",
	    "2:1: disk_size must be between 1G and 16T (got '17T')");
	fails("[vm_defaults]\ndisk_size = \"99999999999999999999G\"\n",
	    "2:1: disk_size must be between 1G and 16T "
	    "(got '99999999999999999999G')");
	fails("[vm_defaults]\ndisk_size = 512\n",
	    "2:1: disk_size must be between 1G and 16T (got '512')");
	fails("[vm_defaults]\ndisk_size = -1\n",
	    "2:1: disk_size '-1' is not a "
	    "size; write bytes or a number with a K, M, G or T suffix, like "
	    "\"16G\"");
	fails("[vm_defaults]\ndisk_size = \"1.5G\"\n",
	    "2:1: disk_size '1.5G' is "
	    "not a size; write bytes or a number with a K, M, G or T suffix, "
	    "like \"16G\"");
	fails("[vm_defaults]\ndisk_size = \"16GB\"\n",
	    "2:1: disk_size '16GB' is "
	    "not a size; write bytes or a number with a K, M, G or T suffix, "
	    "like \"16G\"");
}

static void
test_types(void)
{
	fails("[vm_defaults]\nvcpu = \"4\"\n", "2:1: vcpu must be an integer");
	fails("[vm_defaults]\nmemory_mib = true\n",
	    "2:1: memory_mib must be an integer");
	fails("vm_defaults.memory_mib = [1]\n",
	    "1:13: memory_mib must be an integer");
	fails("[vm_defaults]\ndisk_size = true\n",
	    "2:1: disk_size must be a string like \"16G\"");
	fails("default_image_name = 1\n",
	    "1:1: default_image_name must be a string");
	fails("ssh_key_path = []\n", "1:1: ssh_key_path must be a string");
	fails("firecracker_bin = false\n",
	    "1:1: firecracker_bin must be a string");
	fails("vmm = 1\n", "1:1: vmm must be a string");
	fails("[qemu_accel]\n", "1:1: qemu_accel must be a string");
	fails("vm_defaults = 1\n",
	    "1:1: vm_defaults must be a table ([vm_defaults])");
	fails("[[vm_defaults]]\nvcpu = 1\n",
	    "1:1: vm_defaults must be a table ([vm_defaults])");
	fails("file_sync = 1\n",
	    "1:1: file_sync must be an array of tables: "
	    "write each entry as a [[file_sync]] section");
	fails("[file_sync]\nhost = \"~/a\"\n",
	    "1:1: file_sync must be an array "
	    "of tables: write each entry as a [[file_sync]] section");
	fails("file_sync = [\n  \"~/a\",\n]\n",
	    "2:3: file_sync must be an "
	    "array of tables: write each entry as a [[file_sync]] section");
	fails("[[file_sync]]\nhost = 1\nguest = \"~/a\"\n",
	    "2:1: file_sync entry 1 (line 1): host must be a string");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = ['~/a']\n",
	    "3:1: file_sync entry 1 (line 1): guest must be a string");
	/* TOML errors come through with the same form. */
	fails("vmm = \"qemu\"\nvmm = \"auto\"\n",
	    "2:1: duplicate key 'vmm' (first defined at line 1)");
	fails("[vm_defaults]\nvcpu = 1.5\n",
	    "2:8: floats are not supported in banger's config; use an integer");
}

static void
test_file_sync(void)
{
	struct bg_config c;
	struct bg_err err;
	int r;

	r = load("file_sync = []\n", &c, &err);
	ok(r == 0 && c.n_file_sync == 0, "file_sync = [] is no entries");
	bg_config_free(&c);
	r = load("[[file_sync]]\nhost = \"/home/u/x\"\nguest = \"/root/x/y\"\n"
		 "mode = \"644\"\n"
		 "[[file_sync]]\nhost = \"~/a..b/...\"\nguest = \"~/./a\"\n"
		 "mode = \"4755\"\n",
	    &c, &err);
	ok(r == 0 && c.n_file_sync == 2, "two entries");
	if (r == 0 && c.n_file_sync == 2) {
		is_str(c.file_sync[0].host, "/home/u/x", "absolute host kept");
		is_int(c.file_sync[0].mode, 0644, "mode 644");
		is_str(c.file_sync[1].host, "~/a..b/...", "'a..b' is a name");
		is_str(c.file_sync[1].guest, "~/./a", "guest as written");
		is_int(c.file_sync[1].mode, 04755, "mode 4755");
		is_int(c.file_sync[1].line, 5, "entry 2 line");
	}
	bg_config_free(&c);

	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"/etc/passwd\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '/etc/passwd' must start "
	    "with ~/ or /root/ (the guest's home, on the VM's work disk)");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"/root\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '/root' must start "
	    "with ~/ or /root/ (the guest's home, on the VM's work disk)");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"a\"\n",
	    "3:1: file_sync entry 1 (line 1): guest 'a' must start "
	    "with ~/ or /root/ (the guest's home, on the VM's work disk)");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/../etc/x\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '~/../etc/x' must not "
	    "contain '..'");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"/root/a/../../etc\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '/root/a/../../etc' must "
	    "not contain '..'");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a/..\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '~/a/..' must not contain "
	    "'..'");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '~/' must name a file or "
	    "directory under ~/ or /root/");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"/root/./\"\n",
	    "3:1: file_sync entry 1 (line 1): guest '/root/./' must name a "
	    "file or directory under ~/ or /root/");
	fails("[[file_sync]]\nhost = \"a/b\"\nguest = \"~/b\"\n",
	    "2:1: file_sync entry 1 (line 1): host 'a/b' is relative; use a ~/ "
	    "path (or an absolute path inside your home)");
	fails("[[file_sync]]\nhost = \"~user/b\"\nguest = \"~/b\"\n",
	    "2:1: file_sync entry 1 (line 1): host '~user/b' is relative; use "
	    "a ~/ path (or an absolute path inside your home)");
	fails("[[file_sync]]\nhost = \"\"\nguest = \"~/b\"\n",
	    "2:1: file_sync entry 1 (line 1): host '' is relative; use a ~/ "
	    "path (or an absolute path inside your home)");
	fails("[[file_sync]]\nhost = \"~/../other/x\"\nguest = \"~/b\"\n",
	    "2:1: file_sync entry 1 (line 1): host '~/../other/x' must not "
	    "contain '..'");
	fails("[[file_sync]]\nhost = \"/home/u/../../etc\"\nguest = \"~/b\"\n",
	    "2:1: file_sync entry 1 (line 1): host '/home/u/../../etc' must "
	    "not contain '..'");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\n\n"
	      "# the second one\n[[file_sync]]\nguest = \"~/b\"\n",
	    "6:1: file_sync entry 2 (line 6): host is missing");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\n"
	      "  [[ file_sync ]]\nhost = \"~/b\"\n",
	    "4:3: file_sync entry 2 (line 4): guest is missing");
	fails("[[file_sync]]\n",
	    "1:1: file_sync entry 1 (line 1): host is missing");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = 755\n",
	    "4:1: file_sync entry 1 (line 1): mode must be a string of octal "
	    "digits like \"0755\"");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = \"0855\"\n",
	    "4:1: file_sync entry 1 (line 1): mode '0855' must be 3 or 4 octal "
	    "digits like \"0755\"");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = \"75\"\n",
	    "4:1: file_sync entry 1 (line 1): mode '75' must be 3 or 4 octal "
	    "digits like \"0755\"");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = "
	      "\"00755\"\n",
	    "4:1: file_sync entry 1 (line 1): mode '00755' must be 3 or 4 "
	    "octal digits like \"0755\"");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = \"\"\n",
	    "4:1: file_sync entry 1 (line 1): mode '' must be 3 or 4 "
	    "octal digits like \"0755\"");
	fails("[[file_sync]]\nhost = \"~/a\"\nguest = \"~/a\"\nmode = \"rwx\"\n",
	    "4:1: file_sync entry 1 (line 1): mode 'rwx' must be 3 or 4 "
	    "octal digits like \"0755\"");
}

static void
test_warnings(void)
{
	struct bg_config c;
	struct bg_err err;
	char want[256];
	int r;

	warns("foo = 1\n", "1:1: unknown key 'foo' (ignored)");
	warns("vmm = \"qemu\"\n\n[extra]\nx = 1\ny.z = 2\n",
	    "3:1: unknown key 'extra' (ignored)");
	warns("[extra.deeper]\n", "1:2: unknown key 'extra' (ignored)");
	warns("[[plugins]]\nname = \"x\"\n",
	    "1:1: unknown key 'plugins' (ignored)");
	warns("[vm_defaults]\nvcpu = 2\n  cpus = 4\n",
	    "3:3: unknown key 'cpus' (ignored)");
	warns("vm_defaults.cpus = 4\n", "1:13: unknown key 'cpus' (ignored)");
	warns("[[file_sync]]\nhost = \"~/a\"\nowner = \"me\"\nguest = \"~/a\"\n",
	    "3:1: unknown key 'owner' (ignored)");
	warns("\"a\\u001bb\" = 1\n", "1:1: unknown key 'a?b' (ignored)");
	/* An unknown key's value is not looked at. */
	warns("unknown = \"../../x\"\n",
	    "1:1: unknown key 'unknown' (ignored)");

	r = load("a = 1\n[vm_defaults]\nb = 2\n[[file_sync]]\nhost = '~/x'\n"
		 "guest = '~/x'\nc = 3\n[d]\n",
	    &c, &err);
	is_int(r, 0, "several unknown keys load");
	is_int(c.n_warnings, 4, "four warnings, in file order");
	if (c.n_warnings == 4) {
		snprintf(want, sizeof(want),
		    "%s:7:1: unknown key 'c' (ignored)", cfg);
		is_str(c.warnings[2], want, "third warning");
		snprintf(want, sizeof(want),
		    "%s:8:1: unknown key 'd' (ignored)", cfg);
		is_str(c.warnings[3], want, "fourth warning");
	}
	bg_config_free(&c);
	/* Warnings do not hide a later error. */
	fails("foo = 1\nvmm = 'x'\n",
	    "2:1: vmm must be auto, qemu or firecracker (got 'x')");
}

/* Inline tables load exactly like the [table] and [[array]] forms. */
static void
test_inline_tables(void)
{
	struct bg_config t, c;
	struct bg_err err;
	int r;

	r = load("[vm_defaults]\nvcpu = 2\nmemory_mib = 1024\n"
		 "[[file_sync]]\nhost = \"~/.gitconfig\"\n"
		 "guest = \"~/.gitconfig\"\n",
	    &t, &err);
	is_int(r, 0, "table forms load");
	r = load("vm_defaults = { vcpu = 2, memory_mib = 1024 }\n"
		 "file_sync = [{ host = \"~/.gitconfig\", "
		 "guest = \"~/.gitconfig\" }]\n",
	    &c, &err);
	is_int(r, 0, "inline forms load");
	if (r < 0)
		printf("# %s\n", err.msg);
	ok(c.vcpu == t.vcpu && c.vcpu == 2 && c.vcpu_prov == t.vcpu_prov &&
		c.vcpu_prov == BG_PROV_CONFIG,
	    "inline vcpu as [vm_defaults]");
	ok(c.memory_mib == t.memory_mib && c.memory_mib == 1024 &&
		c.memory_prov == BG_PROV_CONFIG,
	    "inline memory_mib as [vm_defaults]");
	ok(c.disk_bytes == t.disk_bytes && c.disk_prov == t.disk_prov &&
		c.disk_prov == BG_PROV_BUILTIN,
	    "disk untouched either way");
	is_int(c.n_file_sync, 1, "one inline file_sync entry");
	if (c.n_file_sync == 1 && t.n_file_sync == 1) {
		is_str(c.file_sync[0].host, t.file_sync[0].host,
		    "inline entry host");
		is_str(c.file_sync[0].guest, "~/.gitconfig",
		    "inline entry guest");
		ok(!c.file_sync[0].has_mode &&
			c.file_sync[0].mode == t.file_sync[0].mode,
		    "inline entry mode");
		is_int(c.file_sync[0].line, 2, "inline entry line");
	}
	is_int(c.n_warnings, 0, "inline forms: no warnings");
	bg_config_free(&c);
	bg_config_free(&t);

	/* Two entries, like two [[file_sync]] sections. */
	r = load("file_sync = [\n  { host = \"~/a\", guest = \"~/a\" },\n"
		 "  { host = \"~/b\", guest = \"/root/b\", mode = \"0755\" },\n"
		 "]\n",
	    &c, &err);
	ok(r == 0 && c.n_file_sync == 2, "two inline entries");
	if (r == 0 && c.n_file_sync == 2) {
		is_str(c.file_sync[1].guest, "/root/b", "entry 2 guest");
		ok(c.file_sync[1].has_mode && c.file_sync[1].mode == 0755,
		    "entry 2 mode 0755");
		is_int(c.file_sync[1].line, 3, "entry 2 line");
	}
	bg_config_free(&c);

	/* Errors and warnings point into the braces. */
	fails("vm_defaults = { vcpu = 100 }\n",
	    "1:17: vcpu must be between 1 and 32 (got 100)");
	fails("file_sync = [{ guest = \"~/a\" }]\n",
	    "1:14: file_sync entry 1 (line 1): host is missing");
	fails("file_sync = { host = \"~/a\", guest = \"~/a\" }\n",
	    "1:1: file_sync must be an array of tables: write each entry as "
	    "a [[file_sync]] section");
	fails("vm_defaults = { vcpu = 2 }\n[vm_defaults]\n",
	    "2:2: table 'vm_defaults' was defined inline (line 1) and cannot "
	    "be extended; put all its keys inside its braces");
	warns("vm_defaults = { vcpu = 2, cpus = 4 }\n",
	    "1:27: unknown key 'cpus' (ignored)");
}

static void
test_heuristics(void)
{
	static const struct {
		long cpus;
		long vcpu;
		enum bg_prov prov;
	} cpu[] = {
		{ -1, 1, BG_PROV_BUILTIN },
		{ 0, 1, BG_PROV_BUILTIN },
		{ 1, 1, BG_PROV_BUILTIN },
		{ 2, 1, BG_PROV_BUILTIN },
		{ 3, 1, BG_PROV_BUILTIN },
		{ 4, 1, BG_PROV_HOST },
		{ 8, 2, BG_PROV_HOST },
		{ 15, 3, BG_PROV_HOST },
		{ 16, 4, BG_PROV_HOST },
		{ 64, 4, BG_PROV_HOST },
		{ 1024, 4, BG_PROV_HOST },
	};
	static const struct {
		uint64_t ram;
		long mem;
		enum bg_prov prov;
	} ram[] = {
		{ 0, 1024, BG_PROV_BUILTIN },
		{ 2048, 1024, BG_PROV_BUILTIN },
		{ 4096, 1024, BG_PROV_BUILTIN },
		{ 8191, 1024, BG_PROV_BUILTIN },
		{ 8192, 1024, BG_PROV_HOST },
		{ 24037, 3004, BG_PROV_HOST },
		{ 32768, 4096, BG_PROV_HOST },
		{ 65536, 8192, BG_PROV_HOST },
		{ 131072, 8192, BG_PROV_HOST },
		{ UINT64_MAX, 8192, BG_PROV_HOST },
	};
	enum bg_prov vp, mp;
	long v, m;
	size_t i;

	for (i = 0; i < sizeof(cpu) / sizeof(cpu[0]); i++) {
		bg_config_heuristics(cpu[i].cpus, 32768, &v, &vp, &m, &mp);
		ok(v == cpu[i].vcpu && vp == cpu[i].prov,
		    "cpus %ld: vcpu %ld (%s)", cpu[i].cpus, v,
		    bg_prov_name(vp));
	}
	for (i = 0; i < sizeof(ram) / sizeof(ram[0]); i++) {
		bg_config_heuristics(16, ram[i].ram, &v, &vp, &m, &mp);
		ok(m == ram[i].mem && mp == ram[i].prov,
		    "ram %llu MiB: memory %ld (%s)",
		    (unsigned long long)ram[i].ram, m, bg_prov_name(mp));
	}
	is_str(bg_prov_name(BG_PROV_BUILTIN), "built-in", "prov built-in");
	is_str(bg_prov_name(BG_PROV_HOST), "host", "prov host");
	is_str(bg_prov_name(BG_PROV_CONFIG), "config", "prov config");
	is_str(bg_prov_name(BG_PROV_FLAG), "flag", "prov flag");
}

static void
test_size(void)
{
	static const struct {
		const char *s;
		int r;
		uint64_t v;
	} t[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "1073741824", 0, 1ULL << 30 },
		{ "1K", 0, 1024 },
		{ "1k", 0, 1024 },
		{ "1KiB", 0, 1024 },
		{ "512M", 0, 512ULL << 20 },
		{ "512m", 0, 512ULL << 20 },
		{ "512MiB", 0, 512ULL << 20 },
		{ "16G", 0, 16ULL << 30 },
		{ "16g", 0, 16ULL << 30 },
		{ "16GiB", 0, 16ULL << 30 },
		{ "1T", 0, 1ULL << 40 },
		{ "2t", 0, 2ULL << 40 },
		{ "3TiB", 0, 3ULL << 40 },
		{ "016G", 0, 16ULL << 30 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
		{ "99999999999999999999999K", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "G", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 },
		{ "+1G", -EINVAL, 0 },
		{ " 1G", -EINVAL, 0 },
		{ "1 G", -EINVAL, 0 },
		{ "1G ", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "1GB", -EINVAL, 0 },
		{ "1gib", -EINVAL, 0 },
		{ "1Gi", -EINVAL, 0 },
		{ "1P", -EINVAL, 0 },
		{ "1_000", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1B", -EINVAL, 0 },
		{ "99999999999999999999999X", -EINVAL, 0 },
	};
	uint64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 12345;
		r = bg_size_parse(t[i].s, &v);
		ok(r == t[i].r && (r < 0 ? v == 12345 : v == t[i].v),
		    "size '%s': %d", t[i].s, r);
	}
	is_int(bg_size_parse(NULL, &v), -EINVAL, "size NULL");
}

int
main(void)
{
	snprintf(tmp, sizeof(tmp), "%s/banger-config-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmp) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	snprintf(home, sizeof(home), "%s/home", tmp);
	snprintf(cfg, sizeof(cfg), "%s/c.toml", tmp);
	mkdir(home, 0700);

	test_default_path();
	setenv("HOME", home, 1);
	test_defaults();
	test_all_keys();
	test_example();
	test_paths();
	test_values();
	test_types();
	test_file_sync();
	test_warnings();
	test_inline_tables();
	test_heuristics();
	test_size();

	unlink(cfg);
	rmdir(home);
	{
		char d[256];

		snprintf(d, sizeof(d), "%s/.config/banger", home);
		rmdir(d);
		snprintf(d, sizeof(d), "%s/.config", home);
		rmdir(d);
	}
	rmdir(home);
	rmdir(tmp);
	return done_testing();
}
