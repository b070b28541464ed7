/*
 * output.c — results for humans (tables, key: value lines, doctor's
 * checks) and for scripts (--json).  Text that came from the service is
 * printed through cli_clean() / cli_put_clean(), so a name or message
 * can never carry terminal escape sequences to the user's screen: the
 * text is decoded as UTF-8, and control characters (C0, DEL and C1,
 * U+0080-U+009F, which includes the one-character CSI U+009B) and bytes
 * that are not UTF-8 (a raw 8-bit CSI 0x9b) become '?'.  JSON output is
 * escaped by the same rule, without changing its meaning
 * (cli_print_json).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* One UTF-8 character at s (NUL-terminated): its length, or 0. */
static int
utf8_char(const char *s, uint32_t *cp)
{
	return bg_utf8_decode(s, s + strnlen(s, 4), cp);
}

/*
 * s made safe for a terminal, in a new string (NULL: out of memory):
 * at most max bytes of s, cut at a character boundary and then "...";
 * control characters and each byte that is not UTF-8 as '?', except
 * the controls in keep.
 */
static char *
clean(const char *s, size_t max, const char *keep)
{
	size_t len = strnlen(s, max + 1), cut = len, i, o = 0;
	char *out;
	uint32_t cp;
	int l;

	if (len > max) {
		/* Back to the start of a character (at most 3 bytes). */
		cut = max;
		for (i = 0;
		     i < 3 && cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80;
		     i++)
			cut--;
	}
	/* Never longer than its input: a bad byte is one '?'. */
	out = malloc(cut + 4);
	if (out == NULL)
		return NULL;
	for (i = 0; i < cut; i += (size_t)l) {
		l = utf8_char(s + i, &cp);
		if (l == 0 || i + (size_t)l > cut) {
			l = 1;
			out[o++] = '?';
		} else if (bg_is_control(cp) &&
		    !(cp != 0 && cp < 0x80 && strchr(keep, (int)cp) != NULL)) {
			out[o++] = '?';
		} else {
			memcpy(out + o, s + i, (size_t)l);
			o += (size_t)l;
		}
	}
	memcpy(out + o, len > max ? "..." : "", len > max ? 4 : 1);
	return out;
}

/*
 * s made safe for a terminal (clean()).  With lines, '\n' and '\t' are
 * kept (the only controls that are).
 */
char *
cli_clean(const char *s, size_t max, bool lines)
{
	return clean(s, max, lines ? "\n\t" : "");
}

/*
 * A guest's console text for a terminal: as cli_clean with lines, and
 * '\r' kept too (the console ends its lines with "\r\n").
 */
char *
cli_clean_console(const char *s, size_t max)
{
	return clean(s, max, "\n\r\t");
}

/* Print s made safe (cli_clean, without lines), at most max bytes of it. */
void
cli_put_clean(FILE *f, const char *s, size_t max)
{
	char *c = cli_clean(s, max, false);

	fputs(c != NULL ? c : "?", f);
	free(c);
}

/* Characters of s (valid UTF-8, as cli_clean makes it), for columns. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * JSON text from cJSON made safe for a terminal without changing what
 * it means: cJSON escapes only C0 controls, so DEL and C1 controls
 * (U+0080-U+009F) become \u007f, \u0080 ...; bytes that are not UTF-8
 * (which JSON may not contain) become \ufffd.  Outside strings cJSON
 * prints ASCII only, so every such byte is inside a string.
 */
static char *
json_escape(const char *s)
{
	size_t len = strlen(s), o = 0;
	char *out = malloc(len * 6 + 1);
	uint32_t cp;
	int l;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s += l) {
		l = utf8_char(s, &cp);
		if (l == 0) {
			l = 1;
			memcpy(out + o, "\\ufffd", 6);
			o += 6;
		} else if (cp >= 0x7f && bg_is_control(cp)) {
			snprintf(out + o, 7, "\\u%04x", (unsigned)cp);
			o += 6;
		} else {
			memcpy(out + o, s, (size_t)l);
			o += (size_t)l;
		}
	}
	out[o] = '\0';
	return out;
}

static void
pad(size_t n)
{
	while (n-- > 0)
		fputc(' ', stdout);
}

void
cli_print_json(const cJSON *j)
{
	char *s =
	    isatty(STDOUT_FILENO) ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
	char *e = s != NULL ? json_escape(s) : NULL;

	if (e == NULL) {
		fputs("banger: out of memory\n", stderr);
	} else {
		fputs(e, stdout);
		fputc('\n', stdout);
	}
	free(e);
	cJSON_free(s);
}

const char *
cli_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring :
								"-";
}

#define FIELD_MAX 64 /* widest table cell */

/* A table cell: the string field, or for "bytes" a size like 96M. */
static char *
cell(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	static const char units[] = "BKMGTP";
	char buf[32];
	double x;
	int u = 0;

	if (strcmp(key, "bytes") != 0)
		return cli_clean(cli_str(o, key), FIELD_MAX, false);
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return cli_clean("-", FIELD_MAX, false);
	for (x = v->valuedouble; x >= 1024 && u < 5; u++)
		x /= 1024;
	snprintf(buf, sizeof(buf), u == 0 || x >= 10 ? "%.0f%c" : "%.1f%c", x,
	    units[u]);
	return cli_clean(buf, FIELD_MAX, false);
}

/*
 * A table of result's array arr: a header, then one row per object, n
 * columns.  An empty array prints the header alone, so the output
 * always has the same shape.
 */
static void
table(const cJSON *result, const char *arr, const char *const *head,
    const char *const *keys, size_t n)
{
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(result, arr);
	const cJSON *o;
	size_t w[8], k;

	for (k = 0; k < n && k < 8; k++)
		w[k] = strlen(head[k]);
	cJSON_ArrayForEach(o, rows) {
		for (k = 0; k < n && k < 8; k++) {
			char *c = cell(o, keys[k]);
			size_t l = c != NULL ? width(c) : 1;

			if (l > w[k])
				w[k] = l;
			free(c);
		}
	}
	for (k = 0; k < n && k < 8; k++) {
		fputs(head[k], stdout);
		if (k + 1 < n)
			pad(w[k] - strlen(head[k]) + 2);
	}
	fputc('\n', stdout);
	cJSON_ArrayForEach(o, rows) {
		for (k = 0; k < n && k < 8; k++) {
			char *c = cell(o, keys[k]);

			fputs(c != NULL ? c : "?", stdout);
			if (k + 1 < n)
				pad(w[k] - (c != NULL ? width(c) : 1) + 2);
			free(c);
		}
		fputc('\n', stdout);
	}
}

/* vm list: NAME STATE IP IMAGE. */
void
cli_render_vm_list(const struct cli_inv *inv, const cJSON *result)
{
	static const char *const head[] = { "NAME", "STATE", "IP", "IMAGE" };
	static const char *const keys[] = { "name", "state", "ip", "image" };

	(void)inv;
	table(result, "vms", head, keys, 4);
}

/* image list, kernel list: NAME STATE VERSION SIZE (the sum of its files). */
static void
artifact_table(const cJSON *result, const char *arr)
{
	static const char *const head[] = { "NAME", "STATE", "VERSION", "SIZE",
		"ORIGIN" };
	static const char *const keys[] = { "name", "state", "version", "bytes",
		"origin" };

	table(result, arr, head, keys, 5);
}

void
cli_render_image_list(const struct cli_inv *inv, const cJSON *result)
{
	(void)inv;
	artifact_table(result, "images");
}

void
cli_render_kernel_list(const struct cli_inv *inv, const cJSON *result)
{
	(void)inv;
	artifact_table(result, "kernels");
}

/* ---- key: value ---------------------------------------------------- */

static void
print_scalar(const cJSON *v)
{
	char num[64];

	if (cJSON_IsString(v))
		cli_put_clean(stdout, v->valuestring, 4096);
	else if (cJSON_IsBool(v))
		fputs(cJSON_IsTrue(v) ? "true" : "false", stdout);
	else if (cJSON_IsNumber(v)) {
		if (v->valuedouble == (double)(long long)v->valuedouble)
			snprintf(num, sizeof(num), "%lld",
			    (long long)v->valuedouble);
		else
			snprintf(num, sizeof(num), "%g", v->valuedouble);
		fputs(num, stdout);
	} else if (cJSON_IsNull(v))
		fputs("-", stdout);
}

static bool
is_scalar_array(const cJSON *a)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, a)
		if (cJSON_IsObject(v) || cJSON_IsArray(v))
			return false;
	return true;
}

static size_t
key_width(const cJSON *o, size_t plen)
{
	const cJSON *v;
	size_t w = 0, l;

	cJSON_ArrayForEach(v, o) {
		if (v->string == NULL)
			continue;
		if (cJSON_IsObject(v) ||
		    (cJSON_IsArray(v) && !is_scalar_array(v)))
			l = 0;
		else
			l = plen + strlen(v->string);
		if (l > w)
			w = l;
	}
	return w > 40 ? 40 : w;
}

/* "prefix.key: value" for every leaf; arrays of scalars joined by ", ". */
static void
print_kv(const cJSON *o, const char *prefix, int depth)
{
	const cJSON *v, *e;
	char sub[256];
	size_t w = key_width(o, strlen(prefix)), i;

	if (depth > 8)
		return;
	cJSON_ArrayForEach(v, o) {
		if (v->string == NULL)
			continue;
		snprintf(sub, sizeof(sub), "%s%s", prefix, v->string);
		if (cJSON_IsObject(v)) {
			strncat(sub, ".", sizeof(sub) - strlen(sub) - 1);
			print_kv(v, sub, depth + 1);
			continue;
		}
		if (cJSON_IsArray(v) && !is_scalar_array(v)) {
			i = 0;
			cJSON_ArrayForEach(e, v) {
				char el[300];

				snprintf(el, sizeof(el), "%s[%zu].", sub, i++);
				if (cJSON_IsObject(e))
					print_kv(e, el, depth + 1);
			}
			continue;
		}
		cli_put_clean(stdout, sub, 200);
		fputc(':', stdout);
		pad(w > strlen(sub) ? w - strlen(sub) + 1 : 1);
		if (cJSON_IsArray(v)) {
			i = 0;
			cJSON_ArrayForEach(e, v) {
				if (i++ > 0)
					fputs(", ", stdout);
				print_scalar(e);
			}
		} else
			print_scalar(v);
		fputc('\n', stdout);
	}
}

/*
 * Any result: key: value lines.  A result that is one object under one
 * key ({"vm":{...}}) is shown as that object.
 */
void
cli_render_generic(const struct cli_inv *inv, const cJSON *result)
{
	if (!cJSON_IsObject(result)) {
		if (result != NULL && !cJSON_IsNull(result)) {
			print_scalar(result);
			fputc('\n', stdout);
		}
		return;
	}
	if (result->child != NULL && result->child->next == NULL &&
	    cJSON_IsObject(result->child))
		result = result->child;
	print_kv(result, "", 0);
}

/*
 * vm prune: one line per VM, tap or leftover removed (with
 * --dry-run: that would be), one per VM kept, or "nothing to prune".
 */
void
cli_render_vm_prune(const struct cli_inv *inv, const cJSON *result)
{
	static const struct {
		const char *key, *what;
	} parts[] = {
		{ "removed", "VM" },
		{ "taps_removed", "tap" },
		{ "leftovers_removed", "leftover " },
		{ "kept", "VM" },
	};
	bool dry = cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(inv->opts, "dry-run"));
	const cJSON *v;
	size_t k;
	int n = 0;

	for (k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
		cJSON_ArrayForEach(v,
		    cJSON_GetObjectItemCaseSensitive(result, parts[k].key)) {
			if (!cJSON_IsString(v))
				continue;
			if (k == 3)
				fputs("kept", stdout);
			else
				fputs(dry ? "would remove" : "removed", stdout);
			printf(" %s%s", parts[k].what, k == 2 ? "" : " ");
			cli_put_clean(stdout, v->valuestring, FIELD_MAX);
			fputs(k == 3 ? " (running or being created)\n" : "\n",
			    stdout);
			n++;
		}
	}
	if (n == 0)
		fputs("nothing to prune\n", stdout);
}

/* ---- doctor --------------------------------------------------------- */

/*
 *   PASS  kvm          /dev/kvm: API version 12
 *   WARN  firecracker  not found on PATH
 *         fix: install firecracker or set firecracker_bin in config
 *
 * Names are padded to the longest (at least 10) plus two spaces.
 */
void
cli_render_doctor(const struct cli_inv *inv, const cJSON *result)
{
	const cJSON *checks, *c;
	size_t w = 10;

	checks = cJSON_GetObjectItemCaseSensitive(result, "checks");
	cJSON_ArrayForEach(c, checks) {
		char *name = cli_clean(cli_str(c, "name"), 32, false);
		size_t l = name != NULL ? width(name) : 1;

		if (l > w && l <= 32)
			w = l;
		free(name);
	}
	cJSON_ArrayForEach(c, checks) {
		const char *st = cli_str(c, "status");
		const char *fix = cli_str(c, "fix");
		char *name = cli_clean(cli_str(c, "name"), 32, false);
		size_t k, l = name != NULL ? width(name) : 1;
		char up[5] = "    ";

		/* PASS, WARN, FAIL: printable ASCII only, in capitals. */
		for (k = 0; k < 4 && st[k] != '\0'; k++)
			up[k] = st[k] >= 'a' && st[k] <= 'z' ?
			    (char)(st[k] - 'a' + 'A') :
			    st[k] >= 0x20 && st[k] < 0x7f ? st[k] :
							    '?';
		fputs(up, stdout);
		fputs("  ", stdout);
		fputs(name != NULL ? name : "?", stdout);
		free(name);
		pad(l < w ? w - l + 2 : 2);
		cli_put_clean(stdout, cli_str(c, "detail"), 1024);
		fputc('\n', stdout);
		if (strcmp(st, "pass") != 0 && strcmp(fix, "-") != 0) {
			fputs("      fix: ", stdout);
			cli_put_clean(stdout, fix, 1024);
			fputc('\n', stdout);
		}
	}
}
