/*
 * s6.c — banger's services under s6 instead of systemd
 * (docs/install.md, "Hosts without systemd"): three service directories,
 * ETC/s6/banger, ETC/s6/banger-root and ETC/s6/banger-dns, linked into
 * the scan directory an s6-svscan watches.  banger-dns runs dns-answer
 * as the owner on 172.16.0.1:53, binding with CAP_NET_BIND_SERVICE
 * alone (setpriv), which it drops once bound.  The other two `run`
 * scripts bind their socket as root (s6-ipcserver-socketbinder), gives the socket file its owner and mode,
 * and execs s6-ipcserverd, which runs the dispatcher once per
 * connection: as the owner for banger (s6-applyuidgid), as root for
 * banger-root.  The peer rules are the dispatchers' own (SO_PEERCRED),
 * the same as under systemd; what s6 does not give is systemd's
 * sandbox around the owner side.
 *
 * Why this is safe: the scripts run as root, so nothing in them comes
 * from a request.  The owner and group names are install's, checked
 * against [a-z_][a-z0-9_.-]* (no quote, space or newline can end a
 * word or a line); uid and gid are numbers; every path is compiled in.
 * The socket is chowned in a directory only root can write, so no link
 * can stand at its path.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

const char *const bg_s6_services[] = { "banger", "banger-root", "banger-dns",
	NULL };

static int
tool(const char *name, char *buf, size_t n, struct bg_err *err)
{
	if (bg_host_tool(name, NULL, buf, n) < 0) {
		bg_err_set(err, "temporary",
		    "%s not found (is Debian's s6 package installed?)", name);
		return -ENOENT;
	}
	return 0;
}

bool
bg_s6_scandir_ok(const char *dir)
{
	size_t k = strspn(dir,
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-");

	return dir[0] == '/' && dir[k] == '\0' && strstr(dir, "/..") == NULL &&
	    strlen(dir) < 200;
}

char *
bg_s6_run_script(const char *svc, const char *owner, const char *group,
    uid_t uid, gid_t gid)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	char sock[PATH_MAX], run[PATH_MAX], vms[PATH_MAX + 8];

	if (f == NULL)
		return NULL;
	if (bg_path_dir(BG_DIR_RUN, run, sizeof(run)) < 0) {
		fclose(f);
		free(out);
		return NULL;
	}
	snprintf(vms, sizeof(vms), "%s/vms", run);
	fprintf(f,
	    "#!/bin/sh\n"
	    "# %s under s6: written by `banger system install --init s6`\n"
	    "# (docs/install.md); run install again rather than editing.\n"
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
	    "export PATH\nexec 2>&1\n",
	    svc);
	if (strcmp(svc, "banger-dns") == 0) {
		/* The owner, its group only, the one capability port 53 takes. */
		fprintf(f,
		    "exec setpriv --reuid=%u --regid=%u --clear-groups \\\n"
		    "  --inh-caps=+net_bind_service "
		    "--ambient-caps=+net_bind_service \\\n"
		    "  %s/dns-answer -l %s:53 -i 0\n",
		    (unsigned)uid, (unsigned)gid,
		    bg_install_dir(BG_INST_LIBEXEC), BG_BRIDGE_ADDR);
	} else if (strcmp(svc, "banger") == 0) {
		if (bg_path_socket(sock, sizeof(sock)) < 0) {
			fclose(f);
			free(out);
			return NULL;
		}
		/*
		 * The sockets' directory is root's (no link can be planted
		 * there); the VMs' run directory is the owner's.  umask 077:
		 * the socket is born 0600, root's, then given to the owner.
		 */
		fprintf(f,
		    "install -d -m 0755 -o root -g root %s || exit 111\n"
		    "install -d -m 0700 -o %s -g %s %s || exit 111\n"
		    "rm -f %s\numask 077\n"
		    "exec s6-ipcserver-socketbinder -a 0600 %s \\\n"
		    "  sh -c 'chown %s %s && exec s6-applyuidgid -u %u -g %u "
		    "-G \"\" s6-ipcserverd -c 64 %s/dispatch'\n",
		    run, owner, group, vms, sock, sock, owner, sock,
		    (unsigned)uid, (unsigned)gid,
		    bg_install_dir(BG_INST_LIBEXEC));
	} else {
		char rrun[PATH_MAX];

		if (bg_path_root_socket(sock, sizeof(sock)) < 0 ||
		    bg_path_dir(BG_DIR_ROOTRUN, rrun, sizeof(rrun)) < 0) {
			fclose(f);
			free(out);
			return NULL;
		}
		/* root:GROUP 0660, as banger-root.socket; root-dispatch checks the uid. */
		fprintf(f,
		    "install -d -m 0755 -o root -g root %s || exit 111\n"
		    "rm -f %s\numask 007\n"
		    "exec s6-ipcserver-socketbinder -a 0660 %s \\\n"
		    "  sh -c 'chgrp %s %s && exec s6-ipcserverd -c 32 "
		    "%s/root-dispatch'\n",
		    rrun, sock, sock, group, sock,
		    bg_install_dir(BG_INST_LIBEXEC));
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int
bg_s6_restart(const char *scandir, struct bg_err *err)
{
	char svc[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX], d3[PATH_MAX];
	char *argv[] = { svc, "-r", d1, d2, d3, NULL };
	int r = tool("s6-svc", svc, sizeof(svc), err);

	if (r < 0)
		return r;
	snprintf(d1, sizeof(d1), "%s/%s", scandir, bg_s6_services[0]);
	snprintf(d2, sizeof(d2), "%s/%s", scandir, bg_s6_services[1]);
	snprintf(d3, sizeof(d3), "%s/%s", scandir, bg_s6_services[2]);
	return bg_run(argv, 30000, err);
}

int
bg_s6_rescan(const char *scandir, bool prune, struct bg_err *err)
{
	char ctl[PATH_MAX], dir[PATH_MAX];
	char *argv[] = { ctl, prune ? "-an" : "-a", dir, NULL };
	int r = tool("s6-svscanctl", ctl, sizeof(ctl), err);

	if (r < 0)
		return r;
	snprintf(dir, sizeof(dir), "%s", scandir);
	return bg_run(argv, 30000, err);
}
