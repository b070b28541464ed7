/*
 * pull.c — install an image or kernel bundle from an https URL
 * (image-pull, kernel-pull; docs/bundles.md).
 *
 * Streaming, in two threads: this one downloads (the part of the file
 * an earlier, interrupted pull left in CACHE/pulls/ first, then the
 * network from where that ends, with Range), hashes every byte with
 * SHA-256, appends what is new to the part file and hands the bytes
 * through a small ring to the other, which decompresses and unpacks
 * them into a staging directory beside the destination
 * (lib/bundle.c).  Both must succeed: the bundle's sha256 and size as
 * the catalog gives them, and every member as its manifest gives it.
 * Only then is the staging directory renamed into place, whole.
 *
 * Nothing is left half-made: a failure removes the staging directory;
 * a kill leaves one whose lock is free, which `vm prune` removes, and a
 * part file, which the next pull of the same bundle resumes from (and
 * `vm prune` removes too).  A part file that turns out wrong (the
 * digest does not match) is deleted, and the pull starts over once.
 * Memory is bounded: the ring (RING_N × CHUNK), the zstd window, TLS.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banger.h"
#include "pull.h"

#define RING_N 8
#define CHUNK (256u << 10)
#define RETRIES 4 /* network failures after progress, per pull */
#define PROGRESS_MS 100

/* ---- the ring between the two threads ---- */

struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[RING_N];
	size_t len[RING_N];
	unsigned long head, tail; /* consumed, produced */
	size_t off; /* into buf[head % RING_N] */
	bool eof; /* the producer is done (err set when it failed) */
	bool failed; /* the producer failed */
	bool cancel; /* the consumer failed: stop */
};

/* A free slot for the producer, or NULL when the consumer gave up. */
static unsigned char *
ring_slot(struct ring *r)
{
	unsigned char *b = NULL;

	pthread_mutex_lock(&r->mu);
	while (!r->cancel && r->tail - r->head == RING_N)
		pthread_cond_wait(&r->cv, &r->mu);
	if (!r->cancel)
		b = r->buf[r->tail % RING_N];
	pthread_mutex_unlock(&r->mu);
	return b;
}

static void
ring_put(struct ring *r, size_t n)
{
	pthread_mutex_lock(&r->mu);
	r->len[r->tail % RING_N] = n;
	r->tail++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void
ring_end(struct ring *r, bool failed)
{
	pthread_mutex_lock(&r->mu);
	r->eof = true;
	r->failed = failed;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The consumer's read (bg_bundle_read_fn). */
static ssize_t
ring_read(void *arg, void *buf, size_t n, struct bg_err *err)
{
	struct ring *r = arg;
	size_t k;

	pthread_mutex_lock(&r->mu);
	while (r->head == r->tail && !r->eof)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->head == r->tail) {
		bool failed = r->failed;

		pthread_mutex_unlock(&r->mu);
		if (failed) {
			/* The producer's error is reported, not this one. */
			bg_err_set(err, "temporary", "download failed");
			return -ECANCELED;
		}
		return 0;
	}
	pthread_mutex_unlock(&r->mu);
	/* The slot at head is the consumer's until head moves. */
	k = r->len[r->head % RING_N] - r->off;
	if (k > n)
		k = n;
	memcpy(buf, r->buf[r->head % RING_N] + r->off, k);
	r->off += k;
	if (r->off == r->len[r->head % RING_N]) {
		pthread_mutex_lock(&r->mu);
		r->off = 0;
		r->head++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return (ssize_t)k;
}

struct unpack {
	struct ring *ring;
	int dirfd;
	const char *kind, *what;
	cJSON *manifest;
	uint64_t written;
	int r;
	struct bg_err err;
};

static void *
unpack_main(void *arg)
{
	struct unpack *u = arg;
	struct bg_bundle_in in = { .kind = u->kind,
		.what = u->what,
		.read = ring_read,
		.arg = u->ring };

	u->r = bg_bundle_extract(u->dirfd, &in, &u->manifest, &u->written,
	    &u->err);
	if (u->r < 0) {
		pthread_mutex_lock(&u->ring->mu);
		u->ring->cancel = true;
		pthread_cond_broadcast(&u->ring->cv);
		pthread_mutex_unlock(&u->ring->mu);
	}
	return NULL;
}

/* ---- the download ---- */

struct dl {
	const struct bg_pull *p;
	struct ring *ring;
	int part; /* CACHE/pulls/<sha256>.part */
	uint64_t have; /* bytes in the part file */
	uint64_t done; /* bytes handed on */
	struct bg_sha256 h;
	int64_t shown_ms;
	bool resumed; /* began from a part file or a Range */
	bool gone; /* the client hung up */
	int64_t win_ms; /* the low-speed rule: this window's start... */
	uint64_t win_bytes; /* ...and what arrived in it */
};

static void
progress(struct dl *d, bool last)
{
	char what[160];
	cJSON *o;
	int64_t now = bg_now_ms();

	if (d->p->events_fd < 0 || (!last && now - d->shown_ms < PROGRESS_MS))
		return;
	d->shown_ms = now;
	snprintf(what, sizeof(what), "pulling %s %s", d->p->kind, d->p->name);
	o = cJSON_CreateObject();
	if (o == NULL)
		return;
	cJSON_AddStringToObject(o, "what", what);
	cJSON_AddNumberToObject(o, "done", (double)d->done);
	cJSON_AddNumberToObject(o, "total", (double)d->p->size);
	cJSON_AddStringToObject(o, "unit", "bytes");
	/* A client that hung up: the pull stops (pass). */
	if (bg_proto_event(d->p->events_fd, "progress", o) == -EPIPE)
		d->gone = true;
}

/* n bytes in slot b: hashed, counted, handed on; appended when new. */
static int
pass(struct dl *d, unsigned char *b, size_t n, bool fresh, struct bg_err *err)
{
	if (d->gone) {
		bg_err_set(err, "temporary",
		    "the client went away: pull stopped");
		return -ECANCELED;
	}
	if (d->p->size == 0 && d->done + n > BG_BUNDLE_LOGICAL_MAX) {
		bg_err_set(err, "bad_request",
		    "%s is longer than %llu GiB: not a bundle", d->p->url,
		    (unsigned long long)(BG_BUNDLE_LOGICAL_MAX >> 30));
		return -EFBIG;
	}
	if (d->p->size > 0 && d->done + n > d->p->size) {
		bg_err_set(err, "bad_request",
		    "%s is longer than the %llu bytes the catalog gives: not "
		    "the bundle the catalog means",
		    d->p->url, (unsigned long long)d->p->size);
		return -EBADMSG;
	}
	if (fresh) {
		size_t k = 0;

		while (k < n) {
			ssize_t w =
			    pwrite(d->part, b + k, n - k, (off_t)(d->have + k));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				int r = w < 0 ? -errno : -EIO;

				bg_err_set(err,
				    r == -ENOSPC ? "io" : "temporary",
				    "cannot keep the download in the cache "
				    "(%s): %s%s",
				    "/var/cache/banger/pulls", strerror(-r),
				    r == -ENOSPC ? ": free some space and pull "
						   "again" :
						   "");
				return r;
			}
			k += (size_t)w;
		}
		d->have += n;
	}
	bg_sha256_update(&d->h, b, n);
	d->done += n;
	ring_put(d->ring, n);
	progress(d, false);
	return 0;
}

/* The part file an earlier pull left, replayed. */
static int
replay(struct dl *d, struct bg_err *err)
{
	unsigned char *b;
	ssize_t n;
	int r;

	while (d->done < d->have) {
		b = ring_slot(d->ring);
		if (b == NULL)
			return -ECANCELED;
		n = pread(d->part, b,
		    d->have - d->done < CHUNK ? (size_t)(d->have - d->done) :
						CHUNK,
		    (off_t)d->done);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			bg_err_set(err, "temporary",
			    "cannot read the partial download: %s",
			    strerror(-r));
			return r;
		}
		r = pass(d, b, (size_t)n, false, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * A server that sends a byte now and then never trips the idle
 * timeout: fewer than LOW_BYTES in LOW_MS ends the connection (retried
 * as any network failure).
 */
#define LOW_MS 60000
#define LOW_BYTES (16u << 10)
static int
low_speed(struct dl *d, size_t n, struct bg_err *err)
{
	int64_t now = bg_now_ms();

	if (d->win_ms == 0)
		d->win_ms = now;
	d->win_bytes += n;
	if (now - d->win_ms < LOW_MS)
		return 0;
	if (d->win_bytes < LOW_BYTES) {
		bg_err_set(err, "temporary",
		    "%s: less than %u KiB in %d s: the server is too slow",
		    d->p->url, LOW_BYTES >> 10, LOW_MS / 1000);
		return -ETIMEDOUT;
	}
	d->win_ms = now;
	d->win_bytes = 0;
	return 0;
}

static int
fetch(struct dl *d, struct bg_err *err)
{
	struct bg_https *h = NULL;
	int tries = 0, r;

	for (;;) {
		uint64_t skip = 0, at = d->done;

		if (d->p->size > 0 && d->done == d->p->size)
			return 0;
		r = bg_https_get(d->p->url, at, &d->p->https, &h, err);
		if (r < 0) {
			/* Only the network is worth another try. */
			if (strcmp(err->code, "temporary") != 0 ||
			    ++tries > RETRIES)
				return r;
			/* 0.25, 0.5, 1, 2 s */
			nanosleep(&(struct timespec){ .tv_sec =
							  (1 << tries) / 8,
				      .tv_nsec = (long)((1 << tries) % 8) *
					  125000000L },
			    NULL);
			continue;
		}
		if (at > 0) {
			d->resumed = true;
			/* A 200 to a Range: the start again, skipped. */
			skip = at - bg_https_start(h);
		}
		for (;;) {
			unsigned char *b = ring_slot(d->ring);
			ssize_t n;

			if (b == NULL) {
				bg_https_close(h);
				return -ECANCELED;
			}
			n = bg_https_read(h, b, CHUNK, err);
			if (n == 0) {
				bg_https_close(h);
				return 0;
			}
			if (n < 0) {
				bg_https_close(h);
				h = NULL;
				if (strcmp(err->code, "temporary") != 0 ||
				    ++tries > RETRIES)
					return (int)n;
				break; /* again, from d->done */
			}
			if (skip > 0) {
				size_t k = (uint64_t)n < skip ? (size_t)n :
								(size_t)skip;

				skip -= k;
				if (k == (size_t)n)
					continue;
				memmove(b, b + k, (size_t)n - k);
				n -= (ssize_t)k;
			}
			r = pass(d, b, (size_t)n, true, err);
			if (r == 0)
				r = low_speed(d, (size_t)n, err);
			if (r < 0) {
				bg_https_close(h);
				return r;
			}
		}
	}
}

/* ---- the pull ---- */

/* A fresh attempt: both threads' state, and the ring empty. */
static void
attempt(struct unpack *u, struct dl *d, struct ring *ring,
    const struct bg_pull *p)
{
	*u = (struct unpack){ .ring = ring, .kind = p->kind, .what = p->url };
	*d = (struct dl){ .p = p, .ring = ring, .part = -1 };
	ring->head = ring->tail = 0;
	ring->off = 0;
	ring->eof = ring->failed = ring->cancel = false;
}

static void
staging_name(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, ".pull-%s-%ld", name, (long)getpid());
}

/* An installed artifact of this bundle: 1; another one: 0 (err set). */
static int
installed(int dfd, const struct bg_pull *p, struct bg_err *err)
{
	char rel[BG_NAME_MAX + 32];
	cJSON *m = NULL;
	const cJSON *s;
	int r;

	if (faccessat(dfd, p->name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s/manifest.json", p->name);
	r = bg_json_read_file(dfd, rel, BG_BUNDLE_MANIFEST_MAX, &m);
	s = r < 0 ? NULL : cJSON_GetObjectItemCaseSensitive(m, "bundle_sha256");
	r = cJSON_IsString(s) && strcmp(s->valuestring, p->sha256) == 0;
	cJSON_Delete(m);
	if (!r)
		bg_err_set(err, "exists",
		    "%s %s is installed already, from another source: banger "
		    "%s delete %s first, or pull it under another name",
		    p->kind, p->name, p->kind, p->name);
	return r;
}

int
bg_pull(const struct bg_pull *p, cJSON **result, struct bg_err *err)
{
	char sub[16], partname[80], lockname[80], tmp[BG_NAME_MAX + 40],
	    when[32], hex[65];
	struct ring ring = { .mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER };
	struct unpack u;
	struct dl d;
	_cleanup_close_ int dfd = -1, cfd = -1, lk = -1, sfd = -1, slk = -1;
	pthread_t th;
	struct stat st;
	cJSON *m = NULL;
	bool made = false, again = true;
	int r, i;

	*result = NULL;
	attempt(&u, &d, &ring, p);
	snprintf(sub, sizeof(sub), "%ss", p->kind);
	dfd = bg_state_dir(BG_DIR_STATE, sub, 0755);
	cfd = bg_state_dir(BG_DIR_CACHE, "pulls", 0755);
	if (dfd < 0 || cfd < 0) {
		r = dfd < 0 ? dfd : cfd;
		bg_err_set(err, "temporary",
		    "cannot open the %s or cache directory: %s", sub,
		    strerror(-r));
		return r;
	}
	/* One pull of a bundle at a time; a second one waits, then finds it. */
	snprintf(lockname, sizeof(lockname), "%s.lock", p->sha256);
	lk = bg_lock_at(cfd, lockname, 0);
	if (lk < 0) {
		bg_err_set(err, "temporary", "cannot lock %s: %s", lockname,
		    strerror(-lk));
		return lk;
	}
	r = installed(dfd, p, err);
	if (r == 1)
		unlinkat(cfd, lockname, 0); /* held: see the end */
	if (r == 1) {
		*result = cJSON_CreateObject();
		cJSON_AddStringToObject(*result, "name", p->name);
		cJSON_AddBoolToObject(*result, "already", true);
		return 0;
	}
	if (r == 0)
		return -EEXIST;
	for (i = 0; i < RING_N; i++)
		if ((ring.buf[i] = malloc(CHUNK)) == NULL) {
			r = -ENOMEM;
			bg_err_set(err, "temporary", "out of memory");
			goto out;
		}
restart:
	staging_name(tmp, sizeof(tmp), p->name);
	if (mkdirat(dfd, tmp, 0755) < 0 ||
	    (sfd = openat(dfd, tmp,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = -errno;
		bg_err_set(err, "temporary",
		    "cannot make %s in the %s directory: %s", tmp, sub,
		    strerror(-r));
		goto out;
	}
	made = true;
	/* Held while we work: `vm prune` removes staging whose lock is free. */
	slk = bg_lock_at(sfd, ".lock", 0);
	snprintf(partname, sizeof(partname), "%s.part", p->sha256);
	d.part = openat(cfd, partname,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	/*
	 * Ours alone: a part that is not a regular file, or is another
	 * name's too (a hard link planted there), is replaced by a new
	 * one, never written through.
	 */
	if (d.part >= 0 && fstat(d.part, &st) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_nlink != 1)) {
		close(d.part);
		d.part = unlinkat(cfd, partname, 0) < 0 ?
		    -1 :
		    openat(cfd, partname,
			O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0600);
	}
	if (slk < 0 || d.part < 0 || fstat(d.part, &st) < 0) {
		r = -errno;
		bg_err_set(err, "temporary", "cannot start the pull: %s",
		    strerror(-r));
		goto out;
	}
	d.have = (uint64_t)st.st_size;
	if (p->size > 0 && d.have > p->size) {
		/* Not a prefix of this bundle. */
		if (ftruncate(d.part, 0) < 0) {
			r = -errno;
			goto out;
		}
		d.have = 0;
	}
	d.resumed = d.have > 0;
	if (d.have > 0 && p->events_fd >= 0)
		bg_proto_log(p->events_fd,
		    "resuming the download of %s %s at %llu of %llu bytes",
		    p->kind, p->name, (unsigned long long)d.have,
		    (unsigned long long)p->size);
	bg_sha256_init(&d.h);
	u.dirfd = sfd;
	if (pthread_create(&th, NULL, unpack_main, &u) != 0) {
		r = -EAGAIN;
		bg_err_set(err, "temporary", "cannot start a thread");
		goto out;
	}
	r = replay(&d, err);
	if (r == 0)
		r = fetch(&d, err);
	ring_end(&ring, r < 0);
	pthread_join(th, NULL);
	progress(&d, true);
	if (r == -ECANCELED || (r == 0 && u.r < 0)) {
		/* The unpacking failed: its words. */
		*err = u.err;
		r = u.r < 0 ? u.r : -EBADMSG;
		/* A full disk: the download is good, kept to resume. */
		if (strcmp(err->code, "io") == 0)
			goto out;
		unlinkat(cfd, partname, 0);
		/* The part may have been another server's: once from 0. */
		if (d.resumed && again)
			goto over;
		goto out;
	}
	if (r < 0) {
		if (d.have > 0 && strcmp(err->code, "temporary") == 0) {
			char m2[sizeof(err->msg)];

			memcpy(m2, err->msg, sizeof(m2));
			bg_err_set(err, "temporary",
			    "%.700s\nthe download stopped at %llu of %llu "
			    "bytes; run the same command again to resume it",
			    m2, (unsigned long long)d.have,
			    (unsigned long long)p->size);
		}
		if (strcmp(err->code, "temporary") != 0 || d.have == 0)
			unlinkat(cfd, partname, 0);
		goto out;
	}
	bg_sha256_hex(&d.h, hex);
	if (strcmp(hex, p->sha256) != 0 || (p->size > 0 && d.done != p->size)) {
		unlinkat(cfd, partname, 0);
		if (d.resumed && again) {
over:
			/* The part was another file's: once more from 0. */
			again = false;
			if (p->events_fd >= 0)
				bg_proto_log(p->events_fd,
				    "the resumed download of %s was not this "
				    "bundle; starting over",
				    p->name);
			close(d.part);
			d.part = -1;
			close(slk);
			slk = -1;
			close(sfd);
			sfd = -1;
			bg_rm_rf_at(dfd, tmp);
			made = false;
			cJSON_Delete(u.manifest);
			attempt(&u, &d, &ring, p);
			goto restart;
		}
		bg_err_set(err, "bad_request",
		    "%s: the download has sha256 %s and %llu bytes; the "
		    "catalog says %s and %llu: not the bundle the catalog "
		    "means (a changed file, or a bad catalog entry)",
		    p->url, hex, (unsigned long long)d.done, p->sha256,
		    (unsigned long long)p->size);
		r = -EBADMSG;
		goto out;
	}
	/* The installed manifest: the bundle's, named and sourced here. */
	m = u.manifest;
	u.manifest = NULL;
	cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
	cJSON_AddStringToObject(m, "name", p->name);
	if (p->kernel != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "kernel");
		cJSON_AddStringToObject(m, "kernel", p->kernel);
	}
	for (i = 0; bg_bundle_local_keys[i] != NULL; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(m,
		    bg_bundle_local_keys[i]);
	bg_now_rfc3339(when, sizeof(when));
	cJSON_AddStringToObject(m, "pulled_from", p->url);
	cJSON_AddStringToObject(m, "bundle_sha256", p->sha256);
	cJSON_AddStringToObject(m, "pulled_at", when);
	if (p->catalog != NULL)
		cJSON_AddStringToObject(m, "catalog", p->catalog);
	r = bg_json_write_file(sfd, "manifest.json", m, 0644);
	if (r == 0 && fsync(sfd) < 0)
		r = -errno;
	if (r == 0 && renameat2(dfd, tmp, dfd, p->name, RENAME_NOREPLACE) < 0)
		r = -errno;
	/*
	 * The lock goes only now, through sfd (the directory, renamed): a
	 * `vm prune` meanwhile saw it held and left the staging alone.
	 */
	if (r == 0)
		unlinkat(sfd, ".lock", 0);
	if (r < 0) {
		bg_err_set(err, r == -EEXIST ? "exists" : "temporary",
		    r == -EEXIST ? "%s %s appeared meanwhile" :
				   "cannot install %s %s: %s",
		    p->kind, p->name, strerror(-r));
		goto out;
	}
	made = false;
	fsync(dfd);
	/*
	 * The part, and the lock we still hold: a pull waiting on it finds
	 * the bundle installed; one that comes later makes a new lock.
	 */
	unlinkat(cfd, partname, 0);
	unlinkat(cfd, lockname, 0);
	*result = cJSON_CreateObject();
	cJSON_AddStringToObject(*result, "name", p->name);
	cJSON_AddStringToObject(*result, "kind", p->kind);
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "version");
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(m, "kernel");

		if (cJSON_IsString(v))
			cJSON_AddStringToObject(*result, "version",
			    v->valuestring);
		if (cJSON_IsString(k))
			cJSON_AddStringToObject(*result, "kernel",
			    k->valuestring);
	}
	cJSON_AddNumberToObject(*result, "bytes", (double)d.done);
	cJSON_AddNumberToObject(*result, "unpacked_bytes", (double)u.written);
	cJSON_AddBoolToObject(*result, "resumed", d.resumed);
out:
	if (made)
		bg_rm_rf_at(dfd, tmp);
	if (d.part >= 0)
		close(d.part);
	cJSON_Delete(u.manifest);
	cJSON_Delete(m);
	for (i = 0; i < RING_N; i++)
		free(ring.buf[i]);
	return r;
}

/* ---- image-pull, kernel-pull ---- */

static bool
https_url_ok(const char *s)
{
	return strncmp(s, "https://", 8) == 0 && s[8] != '\0';
}

const struct bg_field bg_pull_fields[] = {
	BG_F_ARTIFACT("name", true),
	{ .key = "url",
	    .type = BG_T_STR,
	    .required = true,
	    .max = BG_HTTPS_URL_MAX,
	    .valid = https_url_ok,
	    .what = "an https:// URL" },
	{ .key = "sha256",
	    .type = BG_T_STR,
	    .required = true,
	    .max = 64,
	    .valid = bg_sha256_hex_valid,
	    .what = "64 lowercase hex digits" },
	{ .key = "size", .type = BG_T_INT, .min = 0, .max = INT64_MAX },
	BG_F_ARTIFACT("kernel", false),
	BG_F_ARTIFACT("catalog", false),
	BG_F_HTTPS_OPTS,
	{ NULL },
};

int
bg_pull_act(struct bg_req *rq, cJSON **result, struct bg_err *err)
{
	struct bg_pull p = {
		.kind = strcmp(rq->verb->name, "kernel-pull") == 0 ? "kernel" :
								     "image",
		.name = bg_req_str(rq, "name"),
		.url = bg_req_str(rq, "url"),
		.sha256 = bg_req_str(rq, "sha256"),
		.size = bg_req_has(rq, "size") ?
		    (uint64_t)bg_req_int(rq, "size") :
		    0,
		.kernel = bg_req_str(rq, "kernel"),
		.catalog = bg_req_str(rq, "catalog"),
		.https = { .ca_file = bg_req_str(rq, "ca_file"),
		    .proxy = bg_req_str(rq, "proxy"),
		    .no_proxy = bg_req_str(rq, "no_proxy") },
		.events_fd = STDOUT_FILENO,
	};

	/*
	 * What a hostile bundle could make the tar reader allocate before
	 * the digest is known (a pax sparse map of millions of entries)
	 * stops here; a pull needs ~8 MiB (docs/bundles.md).
	 */
	setrlimit(RLIMIT_DATA, &(struct rlimit){ 512u << 20, 512u << 20 });
	if (p.kernel != NULL && strcmp(p.kind, "kernel") == 0) {
		bg_err_set(err, "bad_request",
		    "\"kernel\" is for images: a kernel has none");
		return -EINVAL;
	}
	return bg_pull(&p, result, err);
}
