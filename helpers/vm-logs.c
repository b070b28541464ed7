/*
 * vm-logs — a VM's serial console log.
 *
 * Request: {"v":1,"name":NAME,"follow":bool,"tail_bytes":N}.
 * Answer: {"event":"output","data":"..."} lines (at most 16 KiB of log
 * each), then {"ok":true,"result":{"name","bytes":N}}.  With "follow",
 * it keeps sending new output while the VM runs and ends when it stops
 * (or when the client goes away).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banger.h"

#define FOLLOW_PERIOD_US 200000

static struct bg_vmh h = BG_VMH_INIT;

/*
 * How many bytes at the end of buf[0..n) begin a UTF-8 character that
 * the buffer cuts short (0 to 3, never all n).
 */
static ssize_t
cut_short(const char *buf, ssize_t n)
{
	ssize_t k;

	for (k = 1; k <= 3 && k < n; k++) {
		unsigned char c = (unsigned char)buf[n - k];

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		if ((c >= 0xc0 && c < 0xe0 && k < 2) ||
		    (c >= 0xe0 && c < 0xf0 && k < 3) ||
		    (c >= 0xf0 && c < 0xf8 && k < 4))
			return k;
		return 0;
	}
	return 0;
}

/* Send what the log has from *off on; returns -errno if the client is gone. */
static int
drain(int fd, off_t *off, uint64_t *sent)
{
	char buf[16384 + 1];
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf) - 1, *off)) > 0) {
		cJSON *f = cJSON_CreateObject();
		int r;

		/*
		 * An answer is UTF-8 (lib/proto-answer.c makes each byte
		 * that is not a '?'): a character cut in two by a full
		 * buffer is left whole for the next line.
		 */
		if (n == (ssize_t)sizeof(buf) - 1)
			n -= cut_short(buf, n);
		buf[n] = '\0';
		/* JSON strings cannot carry NUL: the console may. */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = '?';
		cJSON_AddStringToObject(f, "data", buf);
		r = bg_proto_event(1, "output", f);
		if (r < 0)
			return r;
		*off += n;
		*sent += (uint64_t)n;
	}
	return n < 0 ? -errno : 0;
}

/* The client hung up? (poll on stdin: POLLHUP / readable EOF) */
static bool
client_gone(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return read(0, &c, 1) <= 0;
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	_cleanup_close_ int fd = -1;
	uint64_t sent = 0, tail = (uint64_t)bg_req_int(rq, "tail_bytes");
	bool follow = bg_req_bool(rq, "follow");
	struct stat st;
	off_t off = 0;
	int r;

	r = bg_vm_open(bg_req_str(rq, "name"), 0, &h, err);
	if (r < 0)
		return r;
	fd = bg_openat_beneath(h.sfd, "serial.log", O_RDONLY, 0);
	if (fd < 0 && fd != -ENOENT) {
		bg_err_set(err, "temporary", "cannot open the serial log: %s",
		    strerror(-fd));
		return fd;
	}
	if (fd >= 0 && bg_req_has(rq, "tail_bytes") && fstat(fd, &st) == 0 &&
	    (uint64_t)st.st_size > tail)
		off = st.st_size - (off_t)tail;
	for (; fd >= 0;) {
		if (drain(fd, &off, &sent) < 0) {
			bg_err_set(err, "temporary", "the client went away");
			return -EPIPE;
		}
		if (!follow || bg_vm_running(&h) != 1 ||
		    (rq->peer_is_socket && client_gone()))
			break;
		usleep(FOLLOW_PERIOD_US);
	}
	if (fd >= 0)
		drain(fd, &off, &sent);
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", h.vm.name);
	cJSON_AddNumberToObject(*result, "bytes", (double)sent);
	return 0;
}

static const struct bg_field fields[] = {
	BG_F_NAME,
	BG_F_BOOL("follow"),
	{ .key = "tail_bytes",
	    .type = BG_T_INT,
	    .min = 0,
	    .max = INT64_C(1) << 50 },
	{ NULL },
};

BG_VERB(.name = "vm-logs", .fields = fields, .act = act);
