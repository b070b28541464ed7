/*
 * config.c — the user's ~/.config/banger/config.toml (docs/config.md).
 *
 * bg_config_load() fills a struct bg_config with the built-in and
 * host-derived defaults, then applies the file if there is one.  Every
 * value is checked here, at load, with the file, line and column of its
 * key in the message; only the file_sync rules that need the filesystem
 * (the host path resolves inside the owner's home, symlinks) wait for
 * vm create.  Unknown keys and tables are not errors: each one adds a
 * warning to c->warnings, so a config written for a newer banger still
 * loads.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

#define VCPU_MIN BG_VCPU_MIN
#define VCPU_MAX BG_VCPU_MAX
#define VCPU_HOST_MAX 4 /* heuristic: cpus / 4, at most this */
#define MEMORY_MIN BG_MEMORY_MIN_MIB
#define MEMORY_MAX BG_MEMORY_MAX_MIB
#define MEMORY_FLOOR 1024 /* MiB, the built-in floor of the heuristic */
#define MEMORY_HOST_MAX 8192 /* MiB, heuristic: ram / 8, at most this */
#define DISK_MIN BG_DISK_MIN
#define DISK_MAX BG_DISK_MAX
#define DISK_DEFAULT (8ULL << 30)

struct ctx {
	struct bg_config *c;
	const char *file;
	const char *home; /* $HOME without trailing slashes ("" for "/") */
	int homelen;
	struct bg_err *err;
};

static const char *const type_name[] = { [BG_TOML_TABLE] = "a table",
	[BG_TOML_ARRAY] = "an array",
	[BG_TOML_STRING] = "a string",
	[BG_TOML_INT] = "an integer",
	[BG_TOML_BOOL] = "a boolean" };

/* An error at node n: "FILE:LINE:COL: msg". */
__attribute__((format(printf, 3, 4))) static int
cerr(struct ctx *x, const struct bg_toml *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bg_err_set(x->err, "bad_config", "%s:%d:%d: %s", x->file, n->line,
	    n->col, msg);
	return -EINVAL;
}

static int
nomem(struct ctx *x)
{
	bg_err_set(x->err, "temporary", "%s: out of memory", x->file);
	return -ENOMEM;
}

static int
warn_unknown(struct ctx *x, const struct bg_toml *n)
{
	struct bg_config *c = x->c;
	char k[128], *s, **w;

	if (asprintf(&s, "%s:%d:%d: unknown key '%s' (ignored)", x->file,
		n->line, n->col, bg_toml_printable(n->key, k, sizeof(k))) < 0)
		return nomem(x);
	w = realloc(c->warnings, (c->n_warnings + 1) * sizeof(*w));
	if (w == NULL) {
		free(s);
		return nomem(x);
	}
	c->warnings = w;
	c->warnings[c->n_warnings++] = s;
	return 0;
}

/* n must be of type t; who prefixes the message ("" or "file_sync entry"). */
static int
want(struct ctx *x, const struct bg_toml *n, enum bg_toml_type t,
    const char *who)
{
	if (n->type == t)
		return 0;
	return cerr(x, n, "%s%s must be %s", who, n->key, type_name[t]);
}

static int
set_str(struct ctx *x, char **dst, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		return nomem(x);
	free(*dst);
	*dst = d;
	return 0;
}

/* n's "~/x" (expanded against $HOME) or absolute path, into dst. */
static int
expand(struct ctx *x, const struct bg_toml *n, char **dst)
{
	char *s;

	if (strncmp(n->s, "~/", 2) == 0) {
		if (asprintf(&s, "%.*s%s", x->homelen, x->home, n->s + 1) < 0)
			return nomem(x);
	} else if ((s = strdup(n->s)) == NULL)
		return nomem(x);
	if (strlen(s) >= PATH_MAX) {
		free(s);
		return cerr(x, n, "%s is too long (at most %d bytes)", n->key,
		    PATH_MAX - 1);
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* An absolute or ~/ path (catalog_file, ca_file). */
static int
set_abs_path(struct ctx *x, const struct bg_toml *n, char **dst)
{
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	if (strncmp(n->s, "~/", 2) == 0 || n->s[0] == '/')
		return expand(x, n, dst);
	return cerr(x, n, "%s '%s' must be an absolute path or a ~/ path",
	    n->key, bg_toml_printable(n->s, p, sizeof(p)));
}

static int
set_image(struct ctx *x, const struct bg_toml *n)
{
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	if (!bg_name_valid(n->s))
		return cerr(x, n,
		    "default_image_name '%s' is not a valid image name "
		    "(lower-case letters, digits and '-', starting "
		    "with a letter or digit, at most %d characters)",
		    bg_toml_printable(n->s, p, sizeof(p)), BG_NAME_MAX);
	return set_str(x, &x->c->default_image_name, n->s);
}

static int
set_ssh_key(struct ctx *x, const struct bg_toml *n)
{
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	if (strncmp(n->s, "~/", 2) != 0 && n->s[0] != '/')
		return cerr(x, n,
		    "ssh_key_path '%s' is relative; use an absolute "
		    "path or a ~/ path",
		    bg_toml_printable(n->s, p, sizeof(p)));
	return expand(x, n, &x->c->ssh_key_path);
}

/*
 * An absolute or ~/ path, or a command name looked up later in the
 * standard directories (lib/host.c: never $PATH).
 */
static int
set_firecracker(struct ctx *x, const struct bg_toml *n)
{
	const char *s = n->s;
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	if (strncmp(s, "~/", 2) == 0 || s[0] == '/')
		return expand(x, n, &x->c->firecracker_bin);
	if (s[0] != '\0' && s[0] != '~' && strchr(s, '/') == NULL &&
	    strcmp(s, ".") != 0 && strcmp(s, "..") != 0)
		return set_str(x, &x->c->firecracker_bin, s);
	return cerr(x, n,
	    "firecracker_bin '%s' must be an absolute path, a ~/ path "
	    "or a command name (looked up in /usr/local/bin and the "
	    "system directories)",
	    bg_toml_printable(s, p, sizeof(p)));
}

/* One of a NULL-terminated list of words, into dst. */
static int
set_choice(struct ctx *x, const struct bg_toml *n, const char *const *words,
    const char *say, char *dst, size_t len)
{
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	for (; *words != NULL; words++)
		if (strcmp(n->s, *words) == 0) {
			snprintf(dst, len, "%s", n->s);
			return 0;
		}
	return cerr(x, n, "%s must be %s (got '%s')", n->key, say,
	    bg_toml_printable(n->s, p, sizeof(p)));
}

/* "auto" or the name of a VMM driver (lib/vmm-drivers.c). */
static int
set_vmm(struct ctx *x, const struct bg_toml *n)
{
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, "")) < 0)
		return r;
	if (strcmp(n->s, "auto") != 0 && bg_vmm_find(n->s) == NULL)
		return cerr(x, n, "vmm must be auto, %s (got '%s')",
		    bg_vmm_names(), bg_toml_printable(n->s, p, sizeof(p)));
	snprintf(x->c->vmm, sizeof(x->c->vmm), "%s", n->s);
	return 0;
}

static int
set_range(struct ctx *x, const struct bg_toml *n, long lo, long hi, long *dst,
    enum bg_prov *prov)
{
	int r;

	if ((r = want(x, n, BG_TOML_INT, "")) < 0)
		return r;
	if (n->i < lo || n->i > hi)
		return cerr(x, n, "%s must be between %ld and %ld (got %lld)",
		    n->key, lo, hi, n->i);
	*dst = (long)n->i;
	*prov = BG_PROV_CONFIG;
	return 0;
}

/* disk_size: a size string ("16G"), or an integer number of bytes. */
static int
set_disk(struct ctx *x, const struct bg_toml *n)
{
	uint64_t v = 0;
	char p[128];
	int r = 0;

	if (n->type == BG_TOML_INT && n->i >= 0)
		v = (uint64_t)n->i;
	else if (n->type == BG_TOML_INT)
		r = -EINVAL;
	else if (n->type == BG_TOML_STRING)
		r = bg_size_parse(n->s, &v);
	else
		return cerr(x, n, "disk_size must be a string like \"16G\"");
	if (n->type == BG_TOML_STRING)
		bg_toml_printable(n->s, p, sizeof(p));
	else
		snprintf(p, sizeof(p), "%lld", n->i);
	if (r == -EINVAL)
		return cerr(x, n,
		    "disk_size '%s' is not a size; write bytes or a "
		    "number with a K, M, G or T suffix, like \"16G\"",
		    p);
	if (r < 0 || v < DISK_MIN || v > DISK_MAX)
		return cerr(x, n,
		    "disk_size must be between 1G and 16T (got '%s')", p);
	x->c->disk_bytes = v;
	x->c->disk_prov = BG_PROV_CONFIG;
	return 0;
}

static int
load_vm_defaults(struct ctx *x, const struct bg_toml *t)
{
	const struct bg_toml *n;
	struct bg_config *c = x->c;
	int r;

	if (t->type != BG_TOML_TABLE)
		return cerr(x, t,
		    "vm_defaults must be a table ([vm_defaults])");
	for (n = t->child; n != NULL; n = n->next) {
		if (strcmp(n->key, "vcpu") == 0)
			r = set_range(x, n, VCPU_MIN, VCPU_MAX, &c->vcpu,
			    &c->vcpu_prov);
		else if (strcmp(n->key, "memory_mib") == 0)
			r = set_range(x, n, MEMORY_MIN, MEMORY_MAX,
			    &c->memory_mib, &c->memory_prov);
		else if (strcmp(n->key, "disk_size") == 0)
			r = set_disk(x, n);
		else
			r = warn_unknown(x, n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether s has a ".." component; named: one that is not "." either. */
static bool
has_dotdot(const char *s, bool *named)
{
	bool dotdot = false;
	size_t l;

	*named = false;
	for (s += strspn(s, "/"); *s != '\0'; s += strspn(s, "/")) {
		l = strcspn(s, "/");
		if (l == 2 && s[0] == '.' && s[1] == '.')
			dotdot = true;
		else if (!(l == 1 && s[0] == '.'))
			*named = true;
		s += l;
	}
	return dotdot;
}

static int
sync_path(struct ctx *x, const struct bg_toml *n, const char *who, bool guest,
    char **dst)
{
	const char *s = n->s, *rest;
	bool named;
	char p[128];
	int r;

	if ((r = want(x, n, BG_TOML_STRING, who)) < 0)
		return r;
	bg_toml_printable(s, p, sizeof(p));
	rest = s;
	if (strncmp(s, "~/", 2) == 0)
		rest = s + 2;
	else if (guest && strncmp(s, "/root/", 6) == 0)
		rest = s + 6;
	if (guest && rest == s)
		return cerr(x, n,
		    "%sguest '%s' must start with ~/ or /root/ (the "
		    "guest's home, on the VM's work disk)",
		    who, p);
	if (!guest && rest == s && s[0] != '/')
		return cerr(x, n,
		    "%shost '%s' is relative; use a ~/ path (or an "
		    "absolute path inside your home)",
		    who, p);
	if (has_dotdot(rest, &named))
		return cerr(x, n, "%s%s '%s' must not contain '..'", who,
		    n->key, p);
	if (guest && !named)
		return cerr(x, n,
		    "%sguest '%s' must name a file or directory under "
		    "~/ or /root/",
		    who, p);
	return set_str(x, dst, s);
}

/* "0755": 3 or 4 octal digits. */
static int
sync_mode(struct ctx *x, const struct bg_toml *n, const char *who,
    struct bg_file_sync *fs)
{
	size_t i, len = n->type == BG_TOML_STRING ? strlen(n->s) : 0;
	unsigned m = 0;
	char p[128];

	if (n->type != BG_TOML_STRING)
		return cerr(x, n,
		    "%smode must be a string of octal digits like \"0755\"",
		    who);
	for (i = 0; i < len && n->s[i] >= '0' && n->s[i] <= '7'; i++)
		m = m * 8 + (unsigned)(n->s[i] - '0');
	if (i != len || len < 3 || len > 4)
		return cerr(x, n,
		    "%smode '%s' must be 3 or 4 octal digits like \"0755\"",
		    who, bg_toml_printable(n->s, p, sizeof(p)));
	fs->mode = m;
	fs->has_mode = true;
	return 0;
}

static int
load_sync_entry(struct ctx *x, const struct bg_toml *e, size_t idx,
    struct bg_file_sync *fs)
{
	const struct bg_toml *n;
	char who[64];
	int r;

	snprintf(who, sizeof(who), "file_sync entry %zu (line %d): ", idx,
	    e->line);
	fs->line = e->line;
	for (n = e->child; n != NULL; n = n->next) {
		if (strcmp(n->key, "host") == 0)
			r = sync_path(x, n, who, false, &fs->host);
		else if (strcmp(n->key, "guest") == 0)
			r = sync_path(x, n, who, true, &fs->guest);
		else if (strcmp(n->key, "mode") == 0)
			r = sync_mode(x, n, who, fs);
		else
			r = warn_unknown(x, n);
		if (r < 0)
			return r;
	}
	if (fs->host == NULL)
		return cerr(x, e, "%shost is missing", who);
	if (fs->guest == NULL)
		return cerr(x, e, "%sguest is missing", who);
	return 0;
}

/* a is an array of tables ([[KEY]] sections). */
static int
tables(struct ctx *x, const struct bg_toml *a)
{
	const struct bg_toml *e;

	e = a->type == BG_TOML_ARRAY ? a->child : NULL;
	for (; e != NULL && e->type == BG_TOML_TABLE; e = e->next)
		;
	if (a->type != BG_TOML_ARRAY || e != NULL)
		return cerr(x, e ? e : a,
		    "%s must be an array of tables: write each entry as a "
		    "[[%s]] section",
		    a->key, a->key);
	return 0;
}

static int
load_file_sync(struct ctx *x, const struct bg_toml *a)
{
	const struct bg_toml *e;
	struct bg_config *c = x->c;
	int r;

	if ((r = tables(x, a)) < 0)
		return r;
	if (a->n == 0)
		return 0;
	if ((c->file_sync = calloc(a->n, sizeof(*c->file_sync))) == NULL)
		return nomem(x);
	for (e = a->child; e != NULL; e = e->next) {
		r = load_sync_entry(x, e, c->n_file_sync + 1,
		    &c->file_sync[c->n_file_sync]);
		c->n_file_sync++;
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * [[catalog]]: kind, name, url, sha256 (strings), size (integer),
 * kernel (string, images): types here, meaning in lib/catalog.c, with
 * each entry's place in the file for its messages.
 */
static int
load_catalog(struct ctx *x, const struct bg_toml *a)
{
	static const char *const strs[] = { "kind", "name", "url", "sha256",
		"kernel", NULL };
	const struct bg_toml *e, *f;
	cJSON *arr, *o;
	char where[PATH_MAX + 32];
	size_t i;
	int r;

	if ((r = tables(x, a)) < 0)
		return r;
	if ((arr = x->c->catalog = cJSON_CreateArray()) == NULL)
		return nomem(x);
	for (e = a->child; e != NULL; e = e->next) {
		if ((o = cJSON_CreateObject()) == NULL ||
		    !cJSON_AddItemToArray(arr, o))
			return nomem(x);
		snprintf(where, sizeof(where), "%s:%d:%d", x->file, e->line,
		    e->col);
		cJSON_AddStringToObject(o, "where", where);
		for (f = e->child; f != NULL; f = f->next) {
			for (i = 0; strs[i] != NULL; i++)
				if (strcmp(f->key, strs[i]) == 0)
					break;
			if (strs[i] != NULL) {
				if ((r = want(x, f, BG_TOML_STRING,
					 "catalog entry ")) < 0)
					return r;
				cJSON_AddStringToObject(o, f->key, f->s);
			} else if (strcmp(f->key, "size") == 0) {
				if ((r = want(x, f, BG_TOML_INT,
					 "catalog entry ")) < 0)
					return r;
				if (f->i < 0)
					return cerr(x, f,
					    "catalog entry size must be 0 or "
					    "more");
				cJSON_AddNumberToObject(o, "size",
				    (double)f->i);
			} else if ((r = warn_unknown(x, f)) < 0)
				return r;
		}
	}
	return 0;
}

static int
load_root(struct ctx *x, const struct bg_toml *root)
{
	static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
	const struct bg_toml *n;
	struct bg_config *c = x->c;
	int r;

	for (n = root->child; n != NULL; n = n->next) {
		if (strcmp(n->key, "default_image_name") == 0)
			r = set_image(x, n);
		else if (strcmp(n->key, "ssh_key_path") == 0)
			r = set_ssh_key(x, n);
		else if (strcmp(n->key, "firecracker_bin") == 0)
			r = set_firecracker(x, n);
		else if (strcmp(n->key, "vmm") == 0)
			r = set_vmm(x, n);
		else if (strcmp(n->key, "qemu_accel") == 0)
			r = set_choice(x, n, accels, "auto, kvm or tcg",
			    c->qemu_accel, sizeof(c->qemu_accel));
		else if (strcmp(n->key, "vm_defaults") == 0)
			r = load_vm_defaults(x, n);
		else if (strcmp(n->key, "file_sync") == 0)
			r = load_file_sync(x, n);
		else if (strcmp(n->key, "catalog") == 0)
			r = load_catalog(x, n);
		else if (strcmp(n->key, "catalog_file") == 0 ||
		    strcmp(n->key, "ca_file") == 0)
			r = set_abs_path(x, n,
			    strcmp(n->key, "ca_file") == 0 ? &c->ca_file :
							     &c->catalog_file);
		else
			r = warn_unknown(x, n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* $HOME, absolute, without its trailing slashes. */
static int
home_dir(const char **home, int *len)
{
	const char *h = secure_getenv("HOME");
	size_t l;

	if (h == NULL || h[0] != '/')
		return -EINVAL;
	for (l = strlen(h); l > 0 && h[l - 1] == '/'; l--)
		;
	if (l >= PATH_MAX)
		return -ENAMETOOLONG;
	*home = h;
	*len = (int)l;
	return 0;
}

int
bg_config_default_path(char *buf, size_t n)
{
	const char *home;
	int len, r;

	if ((r = home_dir(&home, &len)) < 0)
		return r;
	r = snprintf(buf, n, "%.*s/.config/banger/config.toml", len, home);
	if (r < 0 || (size_t)r >= n)
		return -ENAMETOOLONG;
	return 0;
}

const char *
bg_prov_name(enum bg_prov p)
{
	switch (p) {
	case BG_PROV_BUILTIN:
		return "built-in";
	case BG_PROV_HOST:
		return "host";
	case BG_PROV_CONFIG:
		return "config";
	case BG_PROV_FLAG:
		return "flag";
	}
	return "unknown";
}

void
bg_config_heuristics(long host_cpus, uint64_t host_ram_mib, long *vcpu,
    enum bg_prov *vcpu_prov, long *memory_mib, enum bg_prov *memory_prov)
{
	long v = host_cpus > 0 ? host_cpus / 4 : 0;
	uint64_t m = host_ram_mib / 8;

	if (v > VCPU_HOST_MAX)
		v = VCPU_HOST_MAX;
	if (m > MEMORY_HOST_MAX)
		m = MEMORY_HOST_MAX;
	*vcpu = v < VCPU_MIN ? VCPU_MIN : v;
	*vcpu_prov = v < VCPU_MIN ? BG_PROV_BUILTIN : BG_PROV_HOST;
	*memory_mib = m < MEMORY_FLOOR ? MEMORY_FLOOR : (long)m;
	*memory_prov = m < MEMORY_FLOOR ? BG_PROV_BUILTIN : BG_PROV_HOST;
}

/* Everything but the file: built-in values and host heuristics. */
static int
defaults(struct ctx *x, const char *path)
{
	struct bg_config *c = x->c;
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t ram = 0;

	if (pages > 0 && psz > 0)
		ram = (uint64_t)pages * (uint64_t)psz >> 20;
	bg_config_heuristics(sysconf(_SC_NPROCESSORS_ONLN), ram, &c->vcpu,
	    &c->vcpu_prov, &c->memory_mib, &c->memory_prov);
	c->disk_bytes = DISK_DEFAULT;
	c->disk_prov = BG_PROV_BUILTIN;
	snprintf(c->vmm, sizeof(c->vmm), "auto");
	snprintf(c->qemu_accel, sizeof(c->qemu_accel), "auto");
	if ((c->path = strdup(path)) == NULL ||
	    (c->default_image_name = strdup("debian-bookworm")) == NULL ||
	    asprintf(&c->ssh_key_path,
		"%.*s/.local/state/banger/ssh/id_ed25519", x->homelen,
		x->home) < 0) {
		c->ssh_key_path = NULL;
		return nomem(x);
	}
	return 0;
}

int
bg_config_load(struct bg_config *c, const char *path, struct bg_err *err)
{
	struct ctx x = { .c = c, .file = path, .err = err };
	struct bg_toml *root = NULL;
	char def[PATH_MAX];
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = home_dir(&x.home, &x.homelen)) < 0) {
		bg_err_set(err, "bad_config",
		    "HOME must be set to an absolute path: banger reads "
		    "~/.config/banger/config.toml and expands ~/ paths "
		    "against it");
		return r;
	}
	if (path == NULL &&
	    (r = bg_config_default_path(def, sizeof(def))) < 0) {
		bg_err_set(err, "bad_config", "HOME is too long");
		return r;
	}
	if (path == NULL)
		x.file = path = def;
	if ((r = defaults(&x, path)) < 0)
		goto fail;
	x.file = c->path;
	r = bg_toml_parse_file(path, &root, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		goto fail;
	c->present = true;
	r = load_root(&x, root);
	bg_toml_free(root);
	if (r == 0)
		return 0;
fail:
	bg_config_free(c);
	return r;
}

void
bg_config_free(struct bg_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->path);
	free(c->default_image_name);
	free(c->ssh_key_path);
	free(c->firecracker_bin);
	free(c->catalog_file);
	free(c->ca_file);
	cJSON_Delete(c->catalog);
	for (i = 0; i < c->n_file_sync; i++) {
		free(c->file_sync[i].host);
		free(c->file_sync[i].guest);
	}
	free(c->file_sync);
	for (i = 0; i < c->n_warnings; i++)
		free(c->warnings[i]);
	free(c->warnings);
	memset(c, 0, sizeof(*c));
}
