/*
 * output.c — results for humans (tables, key: value lines, doctor's
 * checks) and for scripts (--json).  Text that came from the service is
 * printed through cli_put_clean(), so a name or message can never carry
 * terminal escape sequences to the user's screen.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Print s with control characters as '?', at most max bytes of it. */
void
cli_put_clean(FILE *f, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
	if (s[i] != '\0')
		fputs("...", f);
}

/* Bytes of s that start a character (UTF-8), for column widths. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
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
	char *s = isatty(STDOUT_FILENO) ? cJSON_Print(j) :
	    cJSON_PrintUnformatted(j);

	if (s == NULL) {
		fputs("banger: out of memory\n", stderr);
		return;
	}
	fputs(s, stdout);
	fputc('\n', stdout);
	cJSON_free(s);
}

static const char *
str_field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ?
	    v->valuestring : "-";
}

#define FIELD_MAX 64  /* widest table cell */

/*
 * vm list: NAME STATE IP IMAGE.  No VMs prints the header alone, so
 * the output always has the same shape.
 */
void
cli_render_vm_list(const cJSON *result)
{
	static const char *const head[] = { "NAME", "STATE", "IP", "IMAGE" };
	static const char *const keys[] = { "name", "state", "ip", "image" };
	const cJSON *vms = cJSON_GetObjectItemCaseSensitive(result, "vms");
	const cJSON *vm;
	size_t w[4], k;

	for (k = 0; k < 4; k++)
		w[k] = strlen(head[k]);
	cJSON_ArrayForEach(vm, vms) {
		for (k = 0; k < 4; k++) {
			size_t l = width(str_field(vm, keys[k]));

			if (l > FIELD_MAX)
				l = FIELD_MAX + 3;
			if (l > w[k])
				w[k] = l;
		}
	}
	for (k = 0; k < 4; k++) {
		fputs(head[k], stdout);
		if (k < 3)
			pad(w[k] - strlen(head[k]) + 2);
	}
	fputc('\n', stdout);
	cJSON_ArrayForEach(vm, vms) {
		for (k = 0; k < 4; k++) {
			const char *s = str_field(vm, keys[k]);
			size_t l = width(s);

			cli_put_clean(stdout, s, FIELD_MAX);
			if (l > FIELD_MAX)
				l = FIELD_MAX + 3;
			if (k < 3)
				pad(w[k] - l + 2);
		}
		fputc('\n', stdout);
	}
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
cli_render_generic(const cJSON *result)
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

/* ---- doctor --------------------------------------------------------- */

/*
 *   PASS  kvm          /dev/kvm: API version 12
 *   WARN  firecracker  not found on PATH
 *         fix: install firecracker or set firecracker_bin in config
 *
 * Names are padded to the longest (at least 10) plus two spaces.
 */
void
cli_render_doctor(const cJSON *result)
{
	const cJSON *checks, *c;
	size_t w = 10;

	checks = cJSON_GetObjectItemCaseSensitive(result, "checks");
	cJSON_ArrayForEach(c, checks) {
		size_t l = width(str_field(c, "name"));

		if (l > w && l <= 32)
			w = l;
	}
	cJSON_ArrayForEach(c, checks) {
		const char *st = str_field(c, "status");
		const char *name = str_field(c, "name");
		const char *fix = str_field(c, "fix");
		size_t k, l = width(name);
		char up[5] = "    ";

		for (k = 0; k < 4 && st[k] != '\0'; k++)
			up[k] = st[k] >= 'a' && st[k] <= 'z' ?
			    (char)(st[k] - 'a' + 'A') :
			    (unsigned char)st[k] < 0x20 ? '?' : st[k];
		fputs(up, stdout);
		fputs("  ", stdout);
		cli_put_clean(stdout, name, 32);
		pad(l < w ? w - l + 2 : 2);
		cli_put_clean(stdout, str_field(c, "detail"), 1024);
		fputc('\n', stdout);
		if (strcmp(st, "pass") != 0 && strcmp(fix, "-") != 0) {
			fputs("      fix: ", stdout);
			cli_put_clean(stdout, fix, 1024);
			fputc('\n', stdout);
		}
	}
}
