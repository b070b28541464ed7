/*
 * dns-answer — the .vm zone's DNS server (docs/dns-answer.md).
 *
 *   dns-answer [-i IDLE_SECONDS] [-u UDP_MAX]              (systemd, inetd)
 *   dns-answer -l ADDR:PORT [-l ...] [-i IDLE] [-u UDP_MAX] (binds itself)
 *
 * Three ways to run, one loop:
 *   - socket-activated (banger-dns.socket, Accept=no): the UDP and TCP
 *     sockets come as fds 3.. (LISTEN_FDS); it serves them and exits
 *     after IDLE_SECONDS (default 30) with no query and no open TCP
 *     connection.  systemd keeps the sockets: the next query starts it
 *     again, and nothing of banger runs in between.
 *   - -l ADDR:PORT: it binds UDP and TCP there itself (IP_FREEBIND, so
 *     the address need not exist yet): tests, bench/dns, hosts without
 *     systemd.  -i 0 never exits.
 *   - neither: stdin and stdout are one TCP stream (inetd, s6-tcpserver,
 *     a pipe): length-prefixed queries in, replies out, exit at EOF.
 *
 * Answers come from lib/dns.c; the zone's data are the VM state files,
 * STATE/vms/NAME/vm.json.  Each name's address is cached with the
 * identity of its vm.json (device, inode, size, mtime, ctime); every
 * query costs one fstatat() of that file to know the cache is still
 * true, and a changed or new file is read again (docs/dns-answer.md).
 *
 * It runs as the owner (or anyone), never as root, reads the owner's
 * state files and writes nothing.  No query is logged.
 *
 * Exit: 0 idle or EOF (a pipe: also no query for IDLE_SECONDS, or 10 s
 * with -i 0), 100 usage or, on a pipe, bytes that are not DNS over TCP,
 * 111 a system call failed or a pipe's reader stopped reading for 10 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cjson/cJSON.h>

#include "banger.h"
#include "dns.h"

#define USAGE \
	"usage: dns-answer [-l ADDR:PORT]... [-i IDLE_SECONDS] [-u UDP_MAX]"
#define SOCKS_MAX 8
#define CONNS_MAX 64
#define PER_PEER_MAX 16 /* connections from one address */
#define QUERY_MS 2000 /* a query is whole this long after its first byte */
#define CONN_IDLE_MS \
	10000 /* a TCP client silent this long is closed (RFC 7766 6.2.3) */
#define BATCH 32 /* datagrams per recvmmsg */
#define CACHE_SLOTS 512 /* twice the most VMs there can be (slots 2..254) */
#define CACHE_PROBE 8 /* slots looked at per name (open addressing) */
#define VM_JSON_MAX 65536

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("dns-answer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* ---- the zone: STATE/vms/NAME/vm.json, cached by file identity ---- */

struct entry {
	char name[BG_NAME_MAX + 1];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
	uint32_t ip;
	bool vm; /* false: the file holds no valid VM (cached too) */
};

static struct entry cache[CACHE_SLOTS];
static int state_fd = -1;

static unsigned
slot_of(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % CACHE_SLOTS;
}

static bool
same_file(const struct entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	    e->size == st->st_size && e->mtim.tv_sec == st->st_mtim.tv_sec &&
	    e->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	    e->ctim.tv_sec == st->st_ctim.tv_sec &&
	    e->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* vm.json's address: 1, 0 (no usable VM there), -errno. */
static int
read_vm(const char *rel, const char *name, uint32_t *ip)
{
	struct bg_vm vm;
	struct in_addr a;
	cJSON *j;
	char *text;
	size_t len;
	int r = bg_read_file(state_fd, rel, VM_JSON_MAX, &text, &len);

	if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -EXDEV ||
	    r == -EINVAL || r == -EFBIG)
		return 0; /* gone, a symlink, not a file: no VM */
	if (r < 0)
		return r;
	j = cJSON_ParseWithLength(text, len);
	free(text);
	/* A vm.json that does not hold a VM (a crash mid-create): no VM. */
	r = j != NULL && bg_vm_from_json(j, &vm, NULL) == 0 &&
	    strcmp(vm.name, name) == 0 && inet_pton(AF_INET, vm.ip, &a) == 1;
	cJSON_Delete(j);
	if (r)
		*ip = a.s_addr;
	return r;
}

/*
 * The name's cache entry: the one holding it, else an empty one of its
 * CACHE_PROBE slots, else the first of them (evicted).
 */
static struct entry *
entry_of(const char *name)
{
	unsigned h = slot_of(name), i;
	struct entry *empty = NULL;

	for (i = 0; i < CACHE_PROBE; i++) {
		struct entry *e = &cache[(h + i) % CACHE_SLOTS];

		if (strcmp(e->name, name) == 0)
			return e;
		if (empty == NULL && e->name[0] == '\0')
			empty = e;
	}
	return empty != NULL ? empty : &cache[h];
}

static int
lookup(void *ctx, const char *name, uint32_t *ip)
{
	char root[PATH_MAX], rel[BG_NAME_MAX + 16];
	struct entry *e = entry_of(name);
	struct stat st;
	int r;

	(void)ctx;
	if (state_fd < 0) {
		r = bg_path_dir(BG_DIR_STATE, root, sizeof(root));
		if (r < 0)
			return r;
		state_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (state_fd < 0)
			return errno == ENOENT ? 0 :
						 -errno; /* no state: no VMs */
	}
	snprintf(rel, sizeof(rel), "vms/%s/vm.json", name);
	if (fstatat(state_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	if (strcmp(e->name, name) == 0 && same_file(e, &st)) {
		*ip = e->ip;
		return e->vm;
	}
	r = read_vm(rel, name, ip);
	if (r >= 0) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		e->size = st.st_size;
		e->mtim = st.st_mtim;
		e->ctim = st.st_ctim;
		e->vm = r == 1;
		e->ip = r == 1 ? *ip : 0;
	}
	return r;
}

/* ---- sockets ---------------------------------------------------------- */

struct conn {
	int fd;
	int64_t last; /* opened, or its last query answered */
	int64_t qstart; /* the first byte of the query not yet whole, or 0 */
	struct sockaddr_storage peer;
	size_t inlen, outlen;
	uint8_t in[2 + BG_DNS_QUERY_MAX];
	uint8_t out[4 * (2 + BG_DNS_REPLY_MAX)];
};

static int udp[SOCKS_MAX], tcp[SOCKS_MAX], nudp, ntcp;
static struct conn conns[CONNS_MAX];
static int nconns;
static size_t udp_max = BG_DNS_UDP_EDNS;

/* A supplementary group 0 is root's files' group: refused too. */
static bool
in_group_root(void)
{
	gid_t g[256];
	int n = getgroups(256, g), i;

	for (i = 0; i < n; i++)
		if (g[i] == 0)
			return true;
	return n < 0; /* more than 256 groups: do not guess */
}

static long
number(const char *s, long lo, long hi)
{
	long v;

	if (!bg_parse_long(s, lo, hi, &v))
		die(100, "%s: not a number from %ld to %ld\n%s", s, lo, hi,
		    USAGE);
	return v;
}

/* "a.b.c.d:port" or "[v6]:port". */
static socklen_t
parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	size_t hl;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || (hl = (size_t)(colon - s)) == 0 ||
	    hl >= sizeof(host))
		die(100, "-l %s: not ADDR:PORT\n%s", s, USAGE);
	memcpy(host, s, hl);
	host[hl] = '\0';
	port = number(colon + 1, 1, 65535);
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			die(100, "-l %s: not an IPv6 address", s);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof(*in6);
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		die(100, "-l %s: not an IPv4 address (IPv6: [ADDR]:PORT)", s);
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	return sizeof(*in);
}

static void
bind_both(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(spec, &ss);
	int one = 1, i;

	if (nudp >= SOCKS_MAX)
		die(100, "at most %d -l", SOCKS_MAX);
	for (i = 0; i < 2; i++) {
		int fd = socket(ss.ss_family,
		    (i ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC |
			SOCK_NONBLOCK,
		    0);

		if (fd < 0)
			die(111, "socket: %s", strerror(errno));
		/* Bind before the bridge has its address (banger-dns.socket does the same). */
		if (ss.ss_family == AF_INET)
			(void)setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one,
			    sizeof(one));
		else
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one,
			    sizeof(one));
		if (i)
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
			die(111, "bind %s (%s): %s", spec, i ? "tcp" : "udp",
			    strerror(errno));
		if (i && listen(fd, 64) < 0)
			die(111, "listen %s: %s", spec, strerror(errno));
		if (i)
			tcp[ntcp++] = fd;
		else
			udp[nudp++] = fd;
	}
}

/* LISTEN_PID is us: fds 3.. are datagram or listening stream sockets. */
static bool
inherited(void)
{
	int n = bg_listen_fds(2 * SOCKS_MAX), i;

	if (n == 0)
		return false;
	if (n < 0)
		die(100, "LISTEN_FDS: not 1 to %d sockets", 2 * SOCKS_MAX);
	for (i = 0; i < n; i++) {
		int fd = 3 + i, type;
		socklen_t l = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
			die(111, "fd %d from systemd: %s", fd, strerror(errno));
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			die(111, "fd %d: %s", fd, strerror(errno));
		if (type == SOCK_DGRAM && nudp < SOCKS_MAX)
			udp[nudp++] = fd;
		else if (type == SOCK_STREAM && ntcp < SOCKS_MAX)
			tcp[ntcp++] = fd;
		else
			die(111, "fd %d from systemd: not a UDP or TCP socket",
			    fd);
	}
	return true;
}

/* Drain one UDP socket, BATCH datagrams at a time; 1 if any came. */
static int
serve_udp(int fd)
{
	static uint8_t qbuf[BATCH][BG_DNS_QUERY_MAX + 1];
	static uint8_t rbuf[BATCH][BG_DNS_REPLY_MAX];
	static struct sockaddr_storage from[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iin[BATCH], iout[BATCH];
	int n, i, k, rounds, any = 0;

	for (rounds = 0; rounds < 8; rounds++) { /* then let TCP have a turn */
		memset(in, 0, sizeof(in));
		for (i = 0; i < BATCH; i++) {
			iin[i].iov_base = qbuf[i];
			iin[i].iov_len = sizeof(qbuf[i]);
			in[i].msg_hdr.msg_iov = &iin[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		any = 1;
		memset(out, 0, sizeof(out));
		for (i = k = 0; i < n; i++) {
			size_t len;

			if (in[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* longer than any query: dropped */
			len = bg_dns_reply(qbuf[i], in[i].msg_len, rbuf[k],
			    udp_max, lookup, NULL);
			if (len == 0)
				continue;
			iout[k].iov_base = rbuf[k];
			iout[k].iov_len = len;
			out[k].msg_hdr.msg_iov = &iout[k];
			out[k].msg_hdr.msg_iovlen = 1;
			out[k].msg_hdr.msg_name = &from[i];
			out[k].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
			k++;
		}
		/* A full send buffer loses replies, as UDP may; clients retry. */
		for (i = 0; i < k;) {
			int s = sendmmsg(fd, out + i, (unsigned)(k - i),
			    MSG_DONTWAIT);

			if (s <= 0) {
				if (s < 0 && errno == EINTR)
					continue;
				i++; /* skip the one that failed */
				continue;
			}
			i += s;
		}
		if (n < BATCH)
			break;
	}
	return any;
}

static void
conn_close(int i)
{
	close(conns[i].fd);
	conns[i] = conns[--nconns];
}

/* Answer every whole query in c->in that fits in c->out. */
static int
conn_answer(struct conn *c)
{
	size_t o = 0;

	while (c->inlen - o >= 2) {
		size_t flen = (size_t)c->in[o] << 8 | c->in[o + 1], len;

		if (flen < 12 || flen > BG_DNS_QUERY_MAX)
			return -1; /* not DNS: close */
		if (c->inlen - o < 2 + flen)
			break;
		if (sizeof(c->out) - c->outlen < 2 + BG_DNS_REPLY_MAX)
			break; /* the client is not reading: wait */
		len = bg_dns_reply(c->in + o + 2, flen, c->out + c->outlen + 2,
		    0, lookup, NULL);
		if (len > 0) {
			c->out[c->outlen] = (uint8_t)(len >> 8);
			c->out[c->outlen + 1] = (uint8_t)len;
			c->outlen += 2 + len;
		}
		o += 2 + flen;
	}
	memmove(c->in, c->in + o, c->inlen - o);
	c->inlen -= o;
	return 0;
}

/* Send what waits, as much as the socket takes; -1: close it. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	if (c->outlen == 0)
		return 0;
	n = send(c->fd, c->out, c->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
	return 0;
}

/* Read and answer; -1: close it. */
static int
conn_io(struct conn *c, short revents)
{
	ssize_t n;

	if (revents & POLLOUT && conn_flush(c) < 0)
		return -1;
	if (revents & (POLLIN | POLLHUP | POLLERR) &&
	    c->inlen < sizeof(c->in)) {
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
		    MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1; /* EOF: what is unsent is lost with it */
		if (n > 0) {
			if (c->inlen == 0)
				c->qstart = bg_now_ms();
			c->inlen += (size_t)n;
		}
	}
	/*
	 * Answer what fits, send it, again while the socket takes it all:
	 * whole queries left in c->in would get no poll event of their own.
	 */
	for (;;) {
		size_t before = c->inlen;

		if (conn_answer(c) < 0)
			return -1;
		/* A whole query answered: the clock starts again. */
		if (c->inlen < before) {
			c->last = bg_now_ms();
			c->qstart = c->inlen > 0 ? c->last : 0;
		}
		if (conn_flush(c) < 0)
			return -1;
		if (c->inlen == before || c->outlen > 0)
			return 0;
	}
}

/*
 * The connection's deadline: a query must be whole QUERY_MS after its
 * first byte (a client trickling bytes holds no slot for long), and a
 * connection with nothing to do closes after CONN_IDLE_MS.
 */
static int64_t
conn_deadline(const struct conn *c)
{
	int64_t idle = c->last + CONN_IDLE_MS;

	if (c->inlen > 0 && c->qstart + QUERY_MS < idle)
		return c->qstart + QUERY_MS;
	return idle;
}

static bool
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			   &((const struct sockaddr_in6 *)b)->sin6_addr,
			   16) == 0;
	return true;
}

/*
 * Full: the connection idle longest (nothing pending either way) makes
 * room (RFC 7766 6.2.3); -1 when every one is busy.
 */
static int
evictable(void)
{
	int i, best = -1;

	for (i = 0; i < nconns; i++)
		if (conns[i].inlen == 0 && conns[i].outlen == 0 &&
		    (best < 0 || conns[i].last < conns[best].last))
			best = i;
	return best;
}

/* One connection from listener fd, within the caps. */
static void
accept_one(int fd, int64_t now, int64_t *pause_until)
{
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int c, i, same = 0;

	c = accept4(fd, (struct sockaddr *)&peer, &pl,
	    SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0) {
		/* Out of descriptors or memory: the listeners rest a moment. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			*pause_until = now + 100;
		return;
	}
	for (i = 0; i < nconns; i++)
		same += same_host(&conns[i].peer, &peer);
	/* Over its address's share, or no room: this one goes, nobody else. */
	if (same >= PER_PEER_MAX ||
	    (nconns >= CONNS_MAX && (i = evictable()) < 0)) {
		close(c);
		return;
	}
	if (nconns >= CONNS_MAX)
		conn_close(i);
	conns[nconns++] = (struct conn){ .fd = c, .last = now, .peer = peer };
}

static void
serve(long idle_s)
{
	struct pollfd p[2 * SOCKS_MAX + CONNS_MAX];
	int64_t last = bg_now_ms(), pause_until = 0;

	for (;;) {
		int64_t now = bg_now_ms(), wake = -1;
		int n = 0, i, r, base;
		bool listen_ok;

		for (i = 0; i < nudp; i++)
			p[n++] =
			    (struct pollfd){ .fd = udp[i], .events = POLLIN };
		listen_ok = now >= pause_until &&
		    (nconns < CONNS_MAX || evictable() >= 0);
		for (i = 0; i < ntcp; i++)
			/* Full of busy ones: new connections wait in the backlog. */
			p[n++] = (struct pollfd){ .fd = tcp[i],
				.events = listen_ok ? POLLIN : 0 };
		if (!listen_ok && ntcp > 0 && now < pause_until)
			wake = pause_until;
		for (i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			p[n++] = (struct pollfd){ .fd = c->fd,
				.events =
				    (short)((c->inlen < sizeof(c->in) ? POLLIN :
									0) |
					(c->outlen ? POLLOUT : 0)) };
			if (wake < 0 || conn_deadline(c) < wake)
				wake = conn_deadline(c);
		}
		if (idle_s > 0 && nconns == 0 &&
		    (wake < 0 || last + idle_s * 1000 < wake))
			wake = last + idle_s * 1000;
		r = poll(p, (nfds_t)n,
		    wake < 0 ? -1 : (int)(wake > now ? wake - now : 0));
		if (r < 0 && errno != EINTR)
			die(111, "poll: %s", strerror(errno));
		now = bg_now_ms();
		if (r == 0 && idle_s > 0 && nconns == 0 &&
		    now >= last + idle_s * 1000)
			return;
		n = 0;
		for (i = 0; i < nudp; i++, n++)
			if (p[n].revents && serve_udp(udp[i]))
				last = now;
		base = n + ntcp;
		/*
		 * The connections polled, newest first: conn_close() moves the
		 * last one into the hole, and that one was already seen.
		 */
		for (i = nconns - 1; i >= 0; i--) {
			struct conn *c = &conns[i];
			short ev = p[base + i].revents;

			if ((ev && conn_io(c, ev) < 0) ||
			    now >= conn_deadline(c))
				conn_close(i);
			else if (ev)
				last = now;
		}
		for (i = 0; i < ntcp; i++, n++) {
			if (!(p[n].revents & POLLIN))
				continue;
			accept_one(tcp[i], now, &pause_until);
			last = now;
		}
	}
}

/* A reader that stopped reading: the write is abandoned, exit 111. */
static void
stalled(int sig)
{
	static const char m[] =
	    "dns-answer: stdout: the reader has not read for 10 s\n";

	(void)sig;
	(void)!write(2, m, sizeof(m) - 1);
	_exit(111);
}

/* inetd: stdin and stdout are one TCP stream. */
static void
serve_stdio(long idle_s)
{
	uint8_t q[BG_DNS_QUERY_MAX], r[2 + BG_DNS_REPLY_MAX], hdr[2];
	int64_t limit = idle_s > 0 ? idle_s * 1000 : CONN_IDLE_MS;

	signal(SIGALRM, stalled);

	for (;;) {
		size_t flen, len;
		ssize_t n = bg_read_deadline(0, hdr, 2, bg_now_ms() + limit);

		if (n == 0 || n == -ETIMEDOUT)
			return;
		if (n == 1)
			n += bg_read_deadline(0, hdr + 1, 1,
			    bg_now_ms() + CONN_IDLE_MS);
		if (n != 2)
			die(100, "stdin: a length cut short");
		flen = (size_t)hdr[0] << 8 | hdr[1];
		if (flen < 12 || flen > sizeof(q))
			die(100, "stdin: a %zu-byte query is not DNS", flen);
		for (len = 0; len < flen; len += (size_t)n) {
			n = bg_read_deadline(0, q + len, flen - len,
			    bg_now_ms() + CONN_IDLE_MS);
			if (n <= 0)
				die(100, "stdin: a query cut short");
		}
		len = bg_dns_reply(q, flen, r + 2, 0, lookup, NULL);
		if (len == 0)
			continue;
		r[0] = (uint8_t)(len >> 8);
		r[1] = (uint8_t)len;
		/* A reader that never reads ends us (SIGALRM), not the reverse. */
		alarm(CONN_IDLE_MS / 1000);
		if (bg_write_all(1, r, 2 + len) < 0)
			die(111, "stdout: %s", strerror(errno));
		alarm(0);
	}
}

int
main(int argc, char **argv)
{
	const char *listen[SOCKS_MAX];
	struct sockaddr_storage ss;
	long idle_s = 30;
	int c, nlisten = 0, i;
	bool listen_given = false;

	while ((c = getopt(argc, argv, "l:i:u:")) != -1) {
		switch (c) {
		case 'l':
			if (nlisten >= SOCKS_MAX)
				die(100, "at most %d -l", SOCKS_MAX);
			(void)parse_addr(optarg, &ss); /* usage first */
			listen[nlisten++] = optarg;
			listen_given = true;
			break;
		case 'i':
			idle_s = number(optarg, 0, 86400);
			break;
		case 'u':
			udp_max = (size_t)number(optarg, 12, BG_DNS_UDP_EDNS);
			break;
		default:
			die(100, "%s", USAGE);
		}
	}
	if (optind != argc)
		die(100, "%s", USAGE);
	/* Nothing here needs root, and a DNS server is on the network. */
	if (geteuid() == 0 || getuid() == 0 || getegid() == 0 ||
	    getgid() == 0 || in_group_root())
		die(100,
		    "dns-answer never runs as root (uid, gid or a group 0): "
		    "run it as the owner; port 53 takes CAP_NET_BIND_SERVICE "
		    "alone: setpriv --reuid=OWNER --regid=GROUP "
		    "--clear-groups --inh-caps=+net_bind_service "
		    "--ambient-caps=+net_bind_service dns-answer -l ADDR:53 "
		    "(banger-dns.socket passes the sockets instead)");
	/* Checked, not root: now the sockets. */
	for (i = 0; i < nlisten; i++)
		bind_both(listen[i]);
	/*
	 * Bound (or given its sockets): no capability is needed again, in
	 * any mode, nor may an exec gain one.
	 */
	{
		struct __user_cap_header_struct h = {
			_LINUX_CAPABILITY_VERSION_3, 0
		};
		struct __user_cap_data_struct d[2];

		memset(d, 0, sizeof(d));
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (syscall(SYS_capset, &h, d) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			die(111, "dropping privileges: %s", strerror(errno));
	}
	if (!listen_given && !inherited()) {
		serve_stdio(idle_s);
		return 0;
	}
	serve(idle_s);
	return 0;
}
