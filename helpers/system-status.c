/*
 * system-status — how banger stands on this host (docs/install.md,
 * "system status").  No root needed: it reads, never changes.
 *
 * Request: {"v":1}.  Result: {"installed", "version" (installed),
 * "this_version" (this tree's), "owner":{name,uid,gid}, "sockets":
 * [{unit,active,sub}], "vms":[{unit,name,active,sub}], "bridge":
 * {name,present,up}, "nftables":{tables:[...]} or {error}, "errors":
 * [{time,program,message}], "journal":note, "healthy":BOOL}.
 * healthy: installed and both sockets active (the CLI exits 1 if not).
 *
 * Run by `banger system status` (BG_VERB_LOCAL: on this host, never
 * over a socket).  systemd's view comes over D-Bus (sd-bus: each
 * socket's ActiveState and SubState, the banger-vm-*.service units);
 * the last warnings and errors banger's units logged from the journal
 * (sd-journal: SYSLOG_IDENTIFIER banger or banger-root, priority
 * warning or worse).  libsystemd is the right tool for both: it is
 * systemd's own client, on every host this runs on, and the only
 * program that links it is this one.  What the caller may not read
 * (nftables without CAP_NET_ADMIN, a journal without group adm) is
 * reported as such, not as an error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nftables/libnftables.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "banger.h"
#include "dns.h"

#define SD "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"

/* The unit's ActiveState and SubState, or "not-loaded". */
static cJSON *
unit_state(sd_bus *bus, const char *unit)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *path;
	char *active = NULL, *sub = NULL;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "unit", unit);
	if (bus == NULL ||
	    sd_bus_call_method(bus, SD, SD_PATH, SD_MANAGER, "GetUnit", &e, &m,
		"s", unit) < 0 ||
	    sd_bus_message_read(m, "o", &path) < 0 ||
	    sd_bus_get_property_string(bus, SD, path, SD_UNIT, "ActiveState",
		&e, &active) < 0 ||
	    sd_bus_get_property_string(bus, SD, path, SD_UNIT, "SubState", &e,
		&sub) < 0)
		cJSON_AddStringToObject(o, "active",
		    bus == NULL ? "unknown" : "not-loaded");
	else {
		cJSON_AddStringToObject(o, "active", active);
		cJSON_AddStringToObject(o, "sub", sub);
	}
	free(active);
	free(sub);
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	return o;
}

/* banger-vm-*.service units systemd knows, with their states. */
static cJSON *
vm_units(sd_bus *bus)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	const char *name, *desc, *load, *active, *sub;
	cJSON *a = cJSON_CreateArray(), *o;
	char vm[BG_NAME_MAX + 1];
	size_t n;
	int r;

	if (bus == NULL)
		return a;
	r = sd_bus_call_method(bus, SD, SD_PATH, SD_MANAGER,
	    "ListUnitsByPatterns", &e, &m, "asas", 0, 1, "banger-vm-*.service");
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "(ssssssouso)");
	while (r >= 0 &&
	    (r = sd_bus_message_read(m, "(ssssssouso)", &name, &desc, &load,
		 &active, &sub, NULL, NULL, NULL, NULL, NULL)) > 0) {
		n = strlen(name) - strlen("banger-vm-") - strlen(".service");
		if (n == 0 || n > BG_NAME_MAX)
			continue;
		memcpy(vm, name + strlen("banger-vm-"), n);
		vm[n] = '\0';
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "unit", name);
		cJSON_AddStringToObject(o, "name", vm);
		cJSON_AddStringToObject(o, "active", active);
		cJSON_AddStringToObject(o, "sub", sub);
		cJSON_AddItemToArray(a, o);
	}
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	return a;
}

/*
 * s6: a service's state is its socket's: it answers a connection
 * (listening), refuses this caller (unknown), or is not there.
 */
static cJSON *
s6_state(const char *svc, int path_ok, const char *path)
{
	cJSON *o = cJSON_CreateObject();
	int fd = path_ok < 0 ? path_ok : bg_unix_connect_timeout(path, 1000);

	cJSON_AddStringToObject(o, "unit", svc);
	cJSON_AddStringToObject(o, "active",
	    fd >= 0	      ? "active" :
		fd == -EACCES ? "unknown" :
				"inactive");
	cJSON_AddStringToObject(o, "sub",
	    fd >= 0 ? "listening" : strerror(-fd));
	if (fd >= 0)
		close(fd);
	return o;
}

/*
 * s6: the DNS service answers a TCP connection on 172.16.0.1:53; before
 * the bridge exists nobody can tell (the socket listens with FreeBind).
 */
static cJSON *
s6_dns_state(void)
{
	cJSON *o = cJSON_CreateObject();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct pollfd p;
	/*
	 * No bridge: nothing to ask (a connect would leave by the default
	 * route, onto the LAN).
	 */
	int fd = if_nametoindex(BG_BRIDGE) == 0 ?
	    -1 :
	    socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r = if_nametoindex(BG_BRIDGE) == 0 ? -ENETUNREACH :
	    fd < 0			       ? -errno :
						 0,
	    e = 0;
	socklen_t l = sizeof(e);

	inet_pton(AF_INET, BG_BRIDGE_ADDR, &a.sin_addr);
	if (r == 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		if (r == -EINPROGRESS) {
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			r = poll(&p, 1, 1000) == 1 &&
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) ==
				    0 ?
			    -e :
			    -ETIMEDOUT;
		}
	}
	if (fd >= 0)
		close(fd);
	cJSON_AddStringToObject(o, "unit", "banger-dns (s6)");
	cJSON_AddStringToObject(o, "active",
	    r == 0 ? "active" :
		r == -ENETUNREACH || r == -EHOSTUNREACH || r == -EADDRNOTAVAIL ?
		     "unknown" :
		     "inactive");
	cJSON_AddStringToObject(o, "sub", r == 0 ? "listening" : strerror(-r));
	return o;
}

static cJSON *
bridge(void)
{
	char path[64], state[32] = "";
	cJSON *o = cJSON_CreateObject();
	FILE *f;

	cJSON_AddStringToObject(o, "name", BG_BRIDGE);
	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", BG_BRIDGE);
	f = fopen(path, "re");
	cJSON_AddBoolToObject(o, "present", f != NULL);
	if (f != NULL) {
		if (fgets(state, sizeof(state), f) != NULL)
			state[strcspn(state, "\n")] = '\0';
		fclose(f);
		/* A bridge without ports says "down" or "unknown"; up is its flag. */
		cJSON_AddStringToObject(o, "operstate", state);
	}
	return o;
}

/* banger's nftables tables, as `nft list tables` names them. */
static cJSON *
tables(void)
{
	struct nft_ctx *nft;
	cJSON *o = cJSON_CreateObject(), *a;
	const char *out, *p, *nl;
	char line[128];
	size_t n;

	/* Not as a user: the netlink dump is refused, and said on stderr. */
	if (geteuid() != 0) {
		cJSON_AddStringToObject(o, "error",
		    "listing nftables needs root (sudo banger system status)");
		return o;
	}
	if ((nft = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		cJSON_AddStringToObject(o, "error", "out of memory");
		return o;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (nft_run_cmd_from_buffer(nft, "list tables") != 0) {
		cJSON_AddStringToObject(o, "error",
		    "nftables refused to list its tables");
		nft_ctx_free(nft);
		return o;
	}
	a = cJSON_AddArrayToObject(o, "tables");
	out = nft_ctx_get_output_buffer(nft);
	for (p = out; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		/* "table inet banger" */
		if (strncmp(line, "table ", 6) == 0 && n > 7 &&
		    strcmp(line + n - 7, " banger") == 0)
			cJSON_AddItemToArray(a, cJSON_CreateString(line + 6));
	}
	nft_ctx_free(nft);
	return o;
}

/* The caller may read the system journal: root, or group adm/systemd-journal. */
static bool
journal_readable(void)
{
	gid_t g[256];
	int n = getgroups(256, g), i;
	struct group *gr;

	if (geteuid() == 0)
		return true;
	for (i = 0; i < n; i++) {
		gr = getgrgid(g[i]);
		if (gr != NULL &&
		    (strcmp(gr->gr_name, "adm") == 0 ||
			strcmp(gr->gr_name, "systemd-journal") == 0))
			return true;
	}
	return false;
}

/*
 * The last (at most 5) warnings and errors of banger's programs: root's
 * as banger-root with _UID=0, the owner's as banger with the owner's
 * _UID (journald sets _UID from the sender; anyone can claim an
 * identifier), from every local journal file (with SplitMode=uid the
 * owner's lines are in its user journal).
 */
static cJSON *
errors(cJSON *res, uid_t owner)
{
	static const char *const pri[] = { "PRIORITY=0", "PRIORITY=1",
		"PRIORITY=2", "PRIORITY=3", "PRIORITY=4" };
	cJSON *a = cJSON_CreateArray(), *o;
	sd_journal *j = NULL;
	const void *d;
	size_t len, i;
	uint64_t usec;
	char when[32], *msg, uid[32];
	time_t t;
	struct tm tm;
	int k = 0;

	if (!journal_readable())
		cJSON_AddStringToObject(res, "journal",
		    "only what your user may read: add yourself to group adm, "
		    "or sudo banger system status");
	if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY) < 0)
		return a;
	snprintf(uid, sizeof(uid), "_UID=%u", (unsigned)owner);
	sd_journal_add_match(j, "SYSLOG_IDENTIFIER=banger-root", 0);
	sd_journal_add_match(j, "_UID=0", 0);
	for (i = 0; i < sizeof(pri) / sizeof(pri[0]); i++)
		sd_journal_add_match(j, pri[i], 0);
	sd_journal_add_disjunction(j);
	sd_journal_add_match(j, "SYSLOG_IDENTIFIER=banger", 0);
	sd_journal_add_match(j, uid, 0);
	for (i = 0; i < sizeof(pri) / sizeof(pri[0]); i++)
		sd_journal_add_match(j, pri[i], 0);
	sd_journal_seek_tail(j);
	while (k < 5 && sd_journal_previous(j) > 0) {
		o = cJSON_CreateObject();
		if (sd_journal_get_realtime_usec(j, &usec) == 0) {
			t = (time_t)(usec / 1000000);
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			cJSON_AddStringToObject(o, "time", when);
		}
		if (sd_journal_get_data(j, "BANGER_PROGRAM", &d, &len) == 0 &&
		    len > 15) {
			msg = strndup((const char *)d + 15,
			    len - 15 > 64 ? 64 : len - 15);
			cJSON_AddStringToObject(o, "program", msg ? msg : "?");
			free(msg);
		}
		if (sd_journal_get_data(j, "MESSAGE", &d, &len) == 0 &&
		    len > 8) {
			msg = strndup((const char *)d + 8,
			    len - 8 > 400 ? 400 : len - 8);
			cJSON_AddStringToObject(o, "message", msg ? msg : "?");
			free(msg);
		}
		cJSON_AddItemToArray(a, o);
		k++;
	}
	sd_journal_close(j);
	return a;
}

/*
 * Does NAME.vm resolve on this host?  The wiring of resolved, and a
 * real lookup of the first running VM's name through it
 * (docs/dns-routing.md).
 */
static cJSON *
dns(const cJSON *vms)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *v;
	char why[512], ip[INET_ADDRSTRLEN];
	enum bg_dns_wire_state s = bg_dns_wire_state(why, sizeof(why));

	cJSON_AddStringToObject(o, "wiring", bg_dns_wire_state_name(s));
	if (s != BG_DNS_WIRE_ON) {
		cJSON_AddStringToObject(o, "why", why);
		return o;
	}
	cJSON_ArrayForEach(v, vms) {
		const char *name = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(v, "name"));
		const char *sub = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(v, "sub"));
		char fq[BG_NAME_MAX + 8];

		if (name == NULL || sub == NULL || strcmp(sub, "running") != 0)
			continue;
		snprintf(fq, sizeof(fq), "%s." BG_DNS_ZONE, name);
		cJSON_AddStringToObject(o, "name", fq);
		if (bg_dns_resolve(name, ip, sizeof(ip), why, sizeof(why)) ==
		    1) {
			cJSON_AddBoolToObject(o, "resolves", true);
			cJSON_AddStringToObject(o, "address", ip);
		} else {
			cJSON_AddBoolToObject(o, "resolves", false);
			cJSON_AddStringToObject(o, "why", why);
		}
		break;
	}
	return o;
}

static int
act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	static const char *const socks[] = { "banger.socket",
		"banger-root.socket", "banger-dns.socket" };
	struct bg_toml *t = NULL;
	const struct bg_toml *v;
	char path[PATH_MAX];
	cJSON *res = cJSON_CreateObject(), *a, *o;
	sd_bus *bus = NULL;
	struct bg_err e;
	uid_t uid = 0;
	size_t i;
	bool healthy, s6;
	const char *act;
	char init[8], scandir[256], sp[PATH_MAX];

	(void)rq;
	(void)err;
	memset(&e, 0, sizeof(e));
	cJSON_AddStringToObject(res, "this_version", bg_version());
	if (bg_install_read(&uid, &t, path, sizeof(path), true, &e) == 0) {
		cJSON_AddBoolToObject(res, "installed", true);
		v = bg_toml_get(t, "version");
		cJSON_AddStringToObject(res, "version",
		    v != NULL && v->type == BG_TOML_STRING ? v->s : "unknown");
		o = cJSON_AddObjectToObject(res, "owner");
		v = bg_toml_get(t, "owner");
		if (v != NULL && v->type == BG_TOML_STRING)
			cJSON_AddStringToObject(o, "name", v->s);
		cJSON_AddNumberToObject(o, "uid", uid);
		v = bg_toml_get(t, "owner_gid");
		if (v != NULL && v->type == BG_TOML_INT)
			cJSON_AddNumberToObject(o, "gid", (double)v->i);
	} else {
		cJSON_AddBoolToObject(res, "installed", false);
		cJSON_AddStringToObject(res, "why", e.msg);
	}
	bg_toml_free(t);
	if (sd_bus_open_system(&bus) < 0) {
		bus = NULL;
		cJSON_AddStringToObject(res, "systemd",
		    "cannot reach systemd over D-Bus");
	}
	a = cJSON_AddArrayToObject(res, "sockets");
	healthy =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "installed"));
	s6 = bg_install_init(init, sizeof(init), scandir, sizeof(scandir)) ==
		0 &&
	    strcmp(init, "s6") == 0;
	cJSON_AddStringToObject(res, "init", s6 ? "s6" : "systemd");
	for (i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		if (s6 && i == 2)
			o = s6_dns_state();
		else if (!s6)
			o = unit_state(bus, socks[i]);
		else if (i == 0)
			o = s6_state("banger (s6)",
			    bg_path_socket(sp, sizeof(sp)), sp);
		else
			o = s6_state("banger-root (s6)",
			    bg_path_root_socket(sp, sizeof(sp)), sp);
		act = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(o, "active"));
		/* s6's DNS cannot be probed before the bridge exists. */
		if (strcmp(act, "active") != 0 &&
		    !(s6 && i == 2 && strcmp(act, "unknown") == 0))
			healthy = false;
		cJSON_AddItemToArray(a, o);
	}
	/* Installed, every socket active: the CLI exits 0. */
	cJSON_AddBoolToObject(res, "healthy", healthy);
	cJSON_AddItemToObject(res, "vms", vm_units(bus));
	sd_bus_unref(bus);
	cJSON_AddItemToObject(res, "dns",
	    dns(cJSON_GetObjectItemCaseSensitive(res, "vms")));
	cJSON_AddItemToObject(res, "bridge", bridge());
	cJSON_AddItemToObject(res, "nftables", tables());
	cJSON_AddItemToObject(res, "errors", errors(res, uid));
	*result = res;
	return 0;
}

BG_VERB(.name = "system-status", .flags = BG_VERB_LOCAL, .act = act);
