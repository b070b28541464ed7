/*
 * spec.c — what `vm create` and `vm run` ask the service for, decided
 * here on the user's side: the config, the size of the VM and where
 * each number came from (flag > [vm_defaults] > host heuristic >
 * built-in), the image, the VMM and accelerator this host can use, a
 * name, and the owner's ssh key (created on first use).
 *
 * The accelerator check and the VMM binary lookup are lib/host.c's, the
 * ones doctor and vm start use: /dev/kvm must open, speak the KVM API,
 * create a VM and not be kvm_pvm (paravirtual nested KVM, under which
 * stock guest kernels fail).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define KEYGEN_TIMEOUT_MS 30000
#define PUBKEY_MAX 8192

/* ---- config -------------------------------------------------------- */

/*
 * Load the config (0), printing its warnings; or say why it cannot be
 * loaded and return the exit code.
 */
int
cli_config_load(struct cli_inv *inv, struct bg_config *c)
{
	struct bg_err err;
	size_t k;

	memset(&err, 0, sizeof(err));
	if (bg_config_load(c, NULL, &err) < 0)
		return cli_fail(inv, &err);
	for (k = 0; k < c->n_warnings; k++) {
		fputs("banger: warning: ", stderr);
		cli_put_clean(stderr, c->warnings[k], 1024);
		fputc('\n', stderr);
	}
	return 0;
}

/* ---- the VMM and the accelerator ------------------------------------ */

/*
 * The VMM the config asks for ("auto": Firecracker where its binary is
 * and KVM works, else QEMU; lib/vmm-drivers.c) into the request, and the
 * binary the config names for it (firecracker_bin), resolved here, the
 * way vm start will run it (lib/host.c): vm.json keeps it for vmm-exec.
 */
static int
set_vmm(cJSON *req, const struct bg_config *c, struct bg_err *err)
{
	const struct bg_vmm *v = bg_vmm_choose(c->vmm, c->firecracker_bin);
	const char *over = v != NULL ? bg_vmm_config_bin(v, c) : NULL;
	char bin[PATH_MAX];
	int r;

	if (v == NULL) {
		bg_err_set(err, "bad_config", "vmm must be auto, %s",
		    bg_vmm_names());
		return -EINVAL;
	}
	if (cJSON_AddStringToObject(req, "vmm", v->name) == NULL)
		return -ENOMEM;
	if (over == NULL)
		return 0;
	r = bg_host_tool(v->tool, over, bin, sizeof(bin));
	if (r < 0) {
		bg_err_set(err, "bad_config",
		    "firecracker_bin %s: %s: fix it in "
		    "%s (banger doctor checks it)",
		    over,
		    r == -ENOENT && strchr(over, '/') == NULL ?
			"not found in /usr/local/sbin, "
			"/usr/local/bin, /usr/sbin, /usr/bin, /sbin or /bin" :
			strerror(-r),
		    c->path != NULL ? c->path : "the config");
		return r;
	}
	return cJSON_AddStringToObject(req, "vmm_bin", bin) == NULL ? -ENOMEM :
								      0;
}

/* qemu_accel, or "auto": KVM where it can run a stock guest (lib/host.c). */
static const char *
pick_accel(const struct bg_config *c)
{
	if (strcmp(c->qemu_accel, "auto") != 0 && c->qemu_accel[0] != '\0')
		return c->qemu_accel;
	return bg_host_kvm(NULL) == 0 ? "kvm" : "tcg";
}

/* ---- the ssh key ----------------------------------------------------- */

/* KEY.pub: one OpenSSH public key line, without its newline. */
static int
read_pub(const char *key, char *pub, size_t n, struct bg_err *err)
{
	char path[PATH_MAX], *buf;
	size_t len, k;
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s.pub", key) >=
	    sizeof(path)) {
		bg_err_set(err, "bad_config", "ssh_key_path is too long");
		return -ENAMETOOLONG;
	}
	r = bg_read_file(AT_FDCWD, path, PUBKEY_MAX, &buf, &len);
	if (r < 0) {
		bg_err_set(err, r == -ENOENT ? "not_found" : "temporary",
		    "cannot read the public key %s: %s\nmake it with: "
		    "ssh-keygen -y -f %s > %s",
		    path, strerror(-r), key, path);
		return r;
	}
	while (len > 0 &&
	    (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		buf[len - 1] == ' '))
		buf[--len] = '\0';
	for (k = 0; k < len; k++)
		if (buf[k] < 0x20 || buf[k] > 0x7e)
			break;
	if (len == 0 || k < len || len >= n ||
	    (strncmp(buf, "ssh-", 4) != 0 && strncmp(buf, "ecdsa-", 6) != 0 &&
		strncmp(buf, "sk-", 3) != 0)) {
		free(buf);
		bg_err_set(err, "bad_config",
		    "%s is not one OpenSSH public key line", path);
		return -EINVAL;
	}
	memcpy(pub, buf, len + 1);
	free(buf);
	return 0;
}

/*
 * Make the key: ssh-keygen into KEY.tmp-PID, then link it into place,
 * so that two banger commands making it at once agree on one key.
 */
static int
make_key(const char *key, struct bg_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX], tmppub[PATH_MAX], pub[PATH_MAX];
	char keygen[PATH_MAX], *slash;
	bool made = false;
	int r, i;

	snprintf(dir, sizeof(dir), "%s", key);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir) {
		bg_err_set(err, "bad_config",
		    "ssh_key_path %s is not a path in a directory", key);
		return -EINVAL;
	}
	*slash = '\0';
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", key,
		(long)getpid()) >= sizeof(tmp) ||
	    (size_t)snprintf(tmppub, sizeof(tmppub), "%s.pub", tmp) >=
		sizeof(tmppub) ||
	    (size_t)snprintf(pub, sizeof(pub), "%s.pub", key) >= sizeof(pub)) {
		bg_err_set(err, "bad_config", "ssh_key_path is too long");
		return -ENAMETOOLONG;
	}
	r = bg_mkdir_p(dir, 0700);
	if (r < 0) {
		bg_err_set(err, "temporary", "cannot make %s: %s", dir,
		    strerror(-r));
		return r;
	}
	if (bg_host_tool("ssh-keygen", NULL, keygen, sizeof(keygen)) < 0) {
		bg_err_set(err, "not_found",
		    "ssh-keygen is missing: install openssh-client");
		return -ENOENT;
	}
	unlink(tmp);
	unlink(tmppub);
	{
		char *argv[] = { keygen, "-q", "-t", "ed25519", "-N", "", "-C",
			"banger", "-f", tmp, NULL };

		r = bg_run(argv, KEYGEN_TIMEOUT_MS, err);
	}
	if (r == 0 && link(tmp, key) == 0) {
		made = true;
		if (rename(tmppub, pub) < 0) {
			r = -errno;
			unlink(key);
			bg_err_set(err, "temporary",
			    "cannot put %s in place: %s", pub, strerror(-r));
		}
	} else if (r == 0 && errno != EEXIST) {
		r = -errno;
		bg_err_set(err, "temporary", "cannot put %s in place: %s", key,
		    strerror(-r));
	} else if (r == 0) {
		/* Another banger made it first: wait for its .pub. */
		for (i = 0; i < 20 && access(pub, F_OK) < 0; i++)
			usleep(50000);
	}
	unlink(tmp);
	unlink(tmppub);
	if (r == 0 && made)
		fprintf(stderr, "created the ssh key %s\n", key);
	return r;
}

/*
 * The owner's ssh key: create it if missing, and put its public key
 * line in pub.
 */
static int
ssh_key_ensure(const char *key, char *pub, size_t n, struct bg_err *err)
{
	int r;

	if (access(key, F_OK) < 0) {
		if (errno != ENOENT) {
			bg_err_set(err, "temporary",
			    "cannot use the ssh key %s: %s", key,
			    strerror(errno));
			return -errno;
		}
		r = make_key(key, err);
		if (r < 0)
			return r;
	}
	return read_pub(key, pub, n, err);
}

/* ---- the request ------------------------------------------------------ */

/* 8589934592 -> "8 GiB"; whole MiB -> "1536 MiB"; else bytes. */
static void
fmt_disk(uint64_t b, char *buf, size_t n)
{
	if (b % (1ULL << 30) == 0)
		snprintf(buf, n, "%llu GiB", (unsigned long long)(b >> 30));
	else if (b % (1ULL << 20) == 0)
		snprintf(buf, n, "%llu MiB", (unsigned long long)(b >> 20));
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)b);
}

/* A flag's number, or -1 if the flag was not given. */
static double
flag_num(const struct cli_inv *inv, const char *flag)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(inv->opts, flag);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *
flag_str(const struct cli_inv *inv, const char *flag)
{
	return cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(inv->opts, flag));
}

/* "vm-" and 6 random hex digits. */
static int
random_name(char *buf, size_t n)
{
	unsigned char b[3];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	snprintf(buf, n, "vm-%02x%02x%02x", b[0], b[1], b[2]);
	return 0;
}

static int
set_str(cJSON *o, const char *key, const char *val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddStringToObject(o, key, val) != NULL ? 0 : -ENOMEM;
}

static int
set_num(cJSON *o, const char *key, double val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddNumberToObject(o, key, val) != NULL ? 0 : -ENOMEM;
}

/* A new random name for a VM whose name was not given. */
int
cli_spec_rename(struct cli_spec *s)
{
	char name[16];

	if (s->named || random_name(name, sizeof(name)) < 0)
		return -EINVAL;
	return set_str(s->req, "name", name);
}

/*
 * The request: inv's, with the name (given or made up), the image,
 * the sizes, the key and this host's VMM and accelerator.
 */
static int
build_req(const struct cli_inv *inv, struct cli_spec *s, const char *pub,
    struct bg_err *err)
{
	const struct bg_config *c = &s->cfg;
	const char *image = flag_str(inv, "image");
	int r;

	s->named = flag_str(inv, "name") != NULL;
	s->req = cJSON_Duplicate(inv->req, 1);
	r = s->req == NULL ? -ENOMEM : 0;
	if (r == 0 && !s->named)
		r = cli_spec_rename(s);
	if (r == 0)
		r = set_str(s->req, "image",
		    image != NULL ? image : c->default_image_name);
	if (r == 0)
		r = set_num(s->req, "vcpu", (double)c->vcpu);
	if (r == 0)
		r = set_num(s->req, "memory_mib", (double)c->memory_mib);
	if (r == 0)
		r = set_num(s->req, "disk_bytes", (double)c->disk_bytes);
	if (r == 0)
		r = set_str(s->req, "ssh_pubkey", pub);
	if (r == 0)
		r = set_vmm(s->req, c, err);
	if (r == 0)
		r = set_str(s->req, "accel", pick_accel(c));
	return r;
}

/* Flags win over what the config resolved (config, host, built-in). */
static void
apply_flags(const struct cli_inv *inv, struct bg_config *c)
{
	double v;

	if ((v = flag_num(inv, "vcpu")) >= 0) {
		c->vcpu = (long)v;
		c->vcpu_prov = BG_PROV_FLAG;
	}
	if ((v = flag_num(inv, "memory")) >= 0) {
		c->memory_mib = (long)v;
		c->memory_prov = BG_PROV_FLAG;
	}
	if ((v = flag_num(inv, "disk")) >= 0) {
		c->disk_bytes = (uint64_t)v;
		c->disk_prov = BG_PROV_FLAG;
	}
}

/*
 * Everything the request needs besides the flags given: the sizes with
 * their provenance (printed first, as the spec: line), the ssh key
 * (made if missing), then the request.  0, or the exit code after
 * saying why.
 */
int
cli_spec_init(struct cli_inv *inv, struct cli_spec *s)
{
	struct bg_config *c = &s->cfg;
	struct bg_err err;
	char disk[32], *pub;
	int r;

	memset(s, 0, sizeof(*s));
	memset(&err, 0, sizeof(err));
	r = cli_config_load(inv, c);
	if (r != 0)
		return r;
	s->cfg_loaded = true;
	apply_flags(inv, c);
	fmt_disk(c->disk_bytes, disk, sizeof(disk));
	fprintf(stderr, "spec: %ld vCPU (%s), %ld MiB RAM (%s), %s disk (%s)\n",
	    c->vcpu, bg_prov_name(c->vcpu_prov), c->memory_mib,
	    bg_prov_name(c->memory_prov), disk, bg_prov_name(c->disk_prov));
	fflush(stderr);

	pub = malloc(PUBKEY_MAX);
	if (pub == NULL) {
		bg_err_set(&err, "temporary", "out of memory");
		return cli_fail(inv, &err);
	}
	if (ssh_key_ensure(c->ssh_key_path, pub, PUBKEY_MAX, &err) < 0) {
		free(pub);
		return cli_fail(inv, &err);
	}
	memset(&err, 0, sizeof(err));
	r = build_req(inv, s, pub, &err);
	free(pub);
	if (r < 0) {
		if (err.code[0] == '\0')
			bg_err_set(&err, "temporary",
			    r == -ENOMEM ? "out of memory" :
					   "cannot make a name for the VM");
		return cli_fail(inv, &err);
	}
	if (cli_filesync_add(c, s->req, &err) < 0)
		return cli_fail(inv, &err);
	/* A missing image or kernel that a catalog has: pulled first. */
	return cli_pull_missing(inv, s);
}

void
cli_spec_free(struct cli_spec *s)
{
	if (s->cfg_loaded)
		bg_config_free(&s->cfg);
	s->cfg_loaded = false;
	cJSON_Delete(s->req);
	s->req = NULL;
}
