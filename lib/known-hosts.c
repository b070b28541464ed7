/*
 * known-hosts.c — banger's known_hosts (STATE/ssh/known_hosts): one
 * line per VM, "<ip>,<name>.vm <host public key>", so ssh checks each
 * VM's own key (made at create time) with no trust on first use.  The
 * caller holds the global lock; the file is rewritten atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banger.h"

#define KH_MAX (1 << 20)

/* Does line belong to VM name (host field "<ip>,<name>.vm")? */
static bool
is_for(const char *line, size_t len, const char *name)
{
	char host[BG_NAME_MAX + 8];
	const char *sp = memchr(line, ' ', len), *comma;

	if (sp == NULL)
		return false;
	comma = memchr(line, ',', (size_t)(sp - line));
	if (comma == NULL)
		return false;
	snprintf(host, sizeof(host), "%s.vm", name);
	return (size_t)(sp - comma - 1) == strlen(host) &&
	    memcmp(comma + 1, host, strlen(host)) == 0;
}

int
bg_known_hosts_update(const char *name, const char *ip, const char *pubkey)
{
	char *old = NULL, *out, *line, *next;
	size_t len = 0, o = 0, cap;
	int d, r;

	if (!bg_name_valid(name))
		return -EINVAL;
	if (pubkey != NULL && (strchr(pubkey, '\n') || strlen(pubkey) > 8192))
		return -EINVAL;
	d = bg_state_dir(BG_DIR_STATE, "ssh", 0755);
	if (d < 0)
		return d;
	r = bg_read_file(d, "known_hosts", KH_MAX, &old, &len);
	if (r == -ENOENT) {
		old = NULL;
		len = 0;
	} else if (r < 0) {
		close(d);
		return r;
	}
	cap = len +
	    (pubkey ? strlen(pubkey) + strlen(ip) + BG_NAME_MAX + 16 : 0) + 1;
	out = malloc(cap);
	if (out == NULL) {
		free(old);
		close(d);
		return -ENOMEM;
	}
	for (line = old; line != NULL && line < old + len; line = next) {
		char *nl = memchr(line, '\n', (size_t)(old + len - line));
		size_t l =
		    nl ? (size_t)(nl - line) : (size_t)(old + len - line);

		next = line + l + 1;
		if (l == 0 || is_for(line, l, name))
			continue;
		memcpy(out + o, line, l);
		o += l;
		out[o++] = '\n';
	}
	if (pubkey != NULL)
		o += (size_t)snprintf(out + o, cap - o, "%s,%s.vm %s\n", ip,
		    name, pubkey);
	r = bg_atomic_write(d, "known_hosts", out, o, 0644);
	free(out);
	free(old);
	close(d);
	return r;
}
