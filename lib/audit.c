/*
 * audit.c — the audit trail (docs/privileges.md, "Auditing"): one entry
 * per root request, accepted or refused, and one per failed owner
 * request, with structured fields:
 *
 *   VERB, PEER_UID, PEER_PID, VM or INDEX (when the request names one),
 *   RESULT ("ok" or the error code), ERRNO (on failure), CAP_EFFECTIVE
 *   (root helpers: the set the process held, from the kernel)
 *
 * Under systemd (stderr is the journal: $JOURNAL_STREAM matches fd 2)
 * the entry goes to journald over its native protocol, one datagram to
 * /run/systemd/journal/socket; elsewhere (s6, a shell pipeline, tests)
 * it is one line on stderr.  The native protocol is a few lines of
 * "KEY=value\n" (a value with a newline in it: "KEY\n", a 64-bit
 * little-endian length, the bytes, "\n"), so no libsystemd is linked
 * for it: the root programs stay lean and the static dispatchers can
 * log too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "banger.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define FIELDS_MAX 16

/* Is fd 2 the journal stream systemd gave us ($JOURNAL_STREAM=dev:ino)? */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

int
bg_journal_send(const char *const *fields, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov[FIELDS_MAX * 4];
	uint64_t lens[FIELDS_MAX];
	struct msghdr mh;
	size_t i, k = 0;
	int fd, r = 0;

	if (n > FIELDS_MAX)
		return -E2BIG;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(fields[i], '=');

		if (eq == NULL)
			return -EINVAL;
		if (strchr(eq + 1, '\n') == NULL) {
			iov[k++] = (struct iovec){ (void *)fields[i],
				strlen(fields[i]) };
		} else {
			size_t vl = strlen(eq + 1);
			unsigned char *le = (unsigned char *)&lens[i];
			int b;

			for (b = 0; b < 8; b++)
				le[b] =
				    (unsigned char)((uint64_t)vl >> (8 * b));
			iov[k++] = (struct iovec){ (void *)fields[i],
				(size_t)(eq - fields[i]) };
			iov[k++] = (struct iovec){ "\n", 1 };
			iov[k++] = (struct iovec){ le, 8 };
			iov[k++] = (struct iovec){ (void *)(eq + 1), vl };
		}
		iov[k++] = (struct iovec){ "\n", 1 };
	}
	strcpy(sa.sun_path, JOURNAL_SOCKET);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &sa;
	mh.msg_namelen = sizeof(sa);
	mh.msg_iov = iov;
	mh.msg_iovlen = k;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* A message without control characters or invalid UTF-8 (it is one line). */
static void
clean(char *s)
{
	size_t i;

	bg_utf8_scrub(s, strlen(s));
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
}

void
bg_audit(const struct bg_audit *a)
{
	char f[FIELDS_MAX][320], line[1400], who[64] = "", what[1100];
	const char *fields[FIELDS_MAX];
	bool ok = strcmp(a->result, "ok") == 0;
	size_t n = 0, i;
	uint64_t eff;
	int prio;

	if (a->peer_known)
		snprintf(who, sizeof(who), "uid %u pid %ld: ", (unsigned)a->uid,
		    (long)a->pid);
	if (ok)
		snprintf(what, sizeof(what), "ok");
	else
		snprintf(what, sizeof(what), "%s: %s", a->result,
		    a->msg != NULL ? a->msg : "");
	clean(what);
	snprintf(line, sizeof(line), "%s: %s%s", a->prog, who, what);
	if (!stderr_is_journal()) {
		size_t l = strlen(line);

		line[l] = '\n';
		bg_write_all(2, line, l + 1);
		return;
	}
	/* Refusals are notices; failures of the host's doing, errors. */
	prio = ok ? 6 :
	    strcmp(a->result, "internal") == 0 ||
		strcmp(a->result, "temporary") == 0 ||
		strcmp(a->result, "io") == 0 ?
		    3 :
		    5;
	snprintf(f[n++], sizeof(f[0]), "MESSAGE=%.300s", line);
	snprintf(f[n++], sizeof(f[0]), "PRIORITY=%d", prio);
	snprintf(f[n++], sizeof(f[0]), "SYSLOG_IDENTIFIER=%s", a->ident);
	snprintf(f[n++], sizeof(f[0]), "BANGER_PROGRAM=%s", a->prog);
	if (a->verb != NULL)
		snprintf(f[n++], sizeof(f[0]), "VERB=%s", a->verb);
	if (a->peer_known) {
		snprintf(f[n++], sizeof(f[0]), "PEER_UID=%u", (unsigned)a->uid);
		snprintf(f[n++], sizeof(f[0]), "PEER_PID=%ld", (long)a->pid);
	}
	if (a->vm != NULL)
		snprintf(f[n++], sizeof(f[0]), "VM=%s", a->vm);
	if (a->index >= 0)
		snprintf(f[n++], sizeof(f[0]), "INDEX=%d", a->index);
	snprintf(f[n++], sizeof(f[0]), "RESULT=%s", a->result);
	if (!ok && a->err > 0)
		snprintf(f[n++], sizeof(f[0]), "ERRNO=%d", a->err);
	if (a->caps && bg_caps_read(&eff, NULL, NULL) == 0)
		snprintf(f[n++], sizeof(f[0]), "CAP_EFFECTIVE=%llx",
		    (unsigned long long)eff);
	for (i = 0; i < n; i++)
		fields[i] = f[i];
	if (bg_journal_send(fields, n) < 0) {
		/* journald is gone: stderr still reaches the journal, or someone. */
		size_t l = strlen(line);

		line[l] = '\n';
		bg_write_all(2, line, l + 1);
	}
}
