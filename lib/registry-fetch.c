#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "interrupt.h"
#include "registry.h"
#include "util.h"
#include "banned.h"

#define MAX_ATTEMPTS 5

enum job_state { J_WAIT, J_RUN, J_DONE };

struct job {
	struct fetch_layer *l;
	enum job_state state;
	char part[96];              /* the partial file's name */
	int partdir;                /* the directory that holds it */
	int wfd;                    /* the partial file, for writing (flock'ed) */
	int note;                   /* write end of the unpacker's follow pipe */
	int pidfd;                  /* the unpacker */
	struct layer_job x;
	bool extracting;
	long long have;             /* bytes in the partial file */
	long long have_at_start;    /* ... when this pull took it over */
	bool restarted;             /* started again from zero once */
	/* the current download */
	CURL *h;
	char range[64];
	struct http_headers hh;
	long status;
	long long skip;             /* bytes of a 200 answer to a Range request to drop */
	bool checked;               /* status and Content-Range looked at */
	bool fatal;                 /* a failure that a retry will not cure */
	int attempts;
	double retry_at;
	bool downloading, downloaded;
	struct tk_err derr;         /* why the download failed */
	bool dfailed;
};

struct fetch {
	struct registry *r;
	const struct fetch_opts *o;
	struct fetch_pool *pool;
	CURLM *m;
	struct job *jobs;
	size_t n;
	unsigned lines;             /* progress lines drawn */
	double last_draw;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
notify(struct job *j)
{
	if (j->note >= 0 && write_nosigpipe(j->note, "+", 1) < 0) {
		/* EAGAIN: the pipe is full, so the unpacker will wake anyway.
		 * EPIPE: the unpacker is gone; its end is handled by pidfd. */
	}
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool
range_starts_at(const char *cr, long long at)
{
	long long start;
	char *end;

	if (strncasecmp(cr, "bytes ", 6) != 0)
		return false;
	errno = 0;
	start = strtoll(cr + 6, &end, 10);
	return !errno && end != cr + 6 && *end == '-' && start == at;
}

static size_t
write_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct job *j = arg;
	size_t len = size * nmemb, done = 0;

	if (!j->checked) {
		j->checked = true;
		curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &j->status);
		if (j->status == 200 && j->have > 0)
			j->skip = j->have;  /* no Range support: drop what we have */
		else if (j->status == 206 && !range_starts_at(j->hh.content_range, j->have)) {
			tk_err_set(&j->derr, "blob sha256:%.12s: the registry resumed at the wrong "
				   "offset", j->l->blob);
			j->dfailed = j->fatal = true;
			return 0;
		}
	}
	if (j->status != 200 && j->status != 206)
		return len; /* an error body: not blob bytes */
	if (j->skip > 0) {
		size_t s = (long long)len < j->skip ? len : (size_t)j->skip;
		j->skip -= s;
		done = s;
	}
	if (len - done > 0 && j->have + (long long)(len - done) > j->l->size) {
		tk_err_set(&j->derr, "blob sha256:%.12s: larger than the %lld bytes its "
			   "manifest says", j->l->blob, j->l->size);
		j->dfailed = j->fatal = true;
		return 0;
	}
	while (done < len) {
		ssize_t w = pwrite(j->wfd, buf + done, len - done, j->have);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			tk_err_errno(&j->derr, "cannot write '%s'", j->part);
			j->dfailed = j->fatal = true;
			return 0;
		}
		done += w;
		j->have += w;
	}
	notify(j);
	return len;
}

static int
download_start(struct fetch *f, struct job *j, struct tk_err *err)
{
	j->h = registry_blob_handle(f->r, j->l->blob);
	if (!j->h)
		return tk_err_set(err, "cannot set up HTTP");
	j->checked = false;
	j->status = 0;
	j->skip = 0;
	j->attempts++;
	http_capture_headers(j->h, &j->hh);
	curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	if (j->have > 0) {
		snprintf(j->range, sizeof(j->range), "%lld-", j->have);
		curl_easy_setopt(j->h, CURLOPT_RANGE, j->range);
	}
	if (curl_multi_add_handle(f->m, j->h) != CURLM_OK)
		return tk_err_set(err, "cannot start a download");
	j->downloading = true;
	return 0;
}

/* The download is over for good: the unpacker sees the pipe's EOF. */
static void
download_close(struct job *j)
{
	close_fd(&j->note);
}

/* Take the partial file: ours (flock'ed), or a private one in the work
 * directory when another pull holds it. */
static int
part_open(struct fetch *f, struct job *j, struct tk_err *err)
{
	struct stat st;

	snprintf(j->part, sizeof(j->part), "blob-%s.part", j->l->blob);
	j->partdir = f->o->partfd;
	j->wfd = openat(j->partdir, j->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->wfd >= 0 && flock(j->wfd, LOCK_EX | LOCK_NB) < 0) {
		close_fd(&j->wfd);
		snprintf(j->part, sizeof(j->part), "blob-%.12s.part", j->l->blob);
		j->partdir = f->o->dirfd;
		j->wfd = openat(j->partdir, j->part, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				O_CLOEXEC, 0600);
	}
	if (j->wfd < 0)
		return tk_err_errno(err, "cannot create '%s'", j->part);
	if (fstat(j->wfd, &st) < 0 || !S_ISREG(st.st_mode))
		return tk_err_set(err, "'%s' is not a regular file", j->part);
	j->have = st.st_size;
	if (j->have > j->l->size || j->restarted) {
		if (ftruncate(j->wfd, 0) < 0)
			return tk_err_errno(err, "cannot truncate '%s'", j->part);
		j->have = 0;
	}
	j->have_at_start = j->have;
	return 0;
}

/* Hand the layer to an unpacker started ahead: 1 done, 0 none left. */
static int
job_give(struct fetch *f, struct job *j, struct tk_err *err)
{
	struct fetch_pool *pool = f->pool;
	struct layer_work w = { 0 };

	for (size_t i = 0; pool && i < pool->n; i++) {
		if (pool->w[i].give < 0)
			continue;
		snprintf(w.name, sizeof(w.name), "%s", j->l->name);
		snprintf(w.part, sizeof(w.part), "%s", j->part);
		w.part_in_dirfd = j->partdir == f->o->dirfd;
		snprintf(w.what, sizeof(w.what), "blob sha256:%.12s", j->l->blob);
		memcpy(w.expect_blob, j->l->blob, sizeof(w.expect_blob));
		memcpy(w.expect_diffid, j->l->diffid, sizeof(w.expect_diffid));
		j->x = pool->w[i].x;
		j->note = pool->w[i].note;
		pool->w[i].note = -1;
		pool->w[i].x.pid = 0;
		j->extracting = true;
		if (layer_worker_give(pool->w[i].give, &w, err) < 0) {
			close_fd(&pool->w[i].give);
			return -1;
		}
		close_fd(&pool->w[i].give);
		return 1;
	}
	return 0;
}

static int
job_start(struct fetch *f, struct job *j, struct tk_err *err)
{
	struct layer_source src = { .follow_fd = -1 };
	int note[2] = { -1, -1 };
	char what[64];
	int rfd = -1, ret = -1;

	j->state = J_RUN;
	if (part_open(f, j, err) < 0)
		return -1;
	ret = job_give(f, j, err);
	if (ret < 0)
		return -1;
	if (ret == 1) {
		ret = -1;
		goto started;
	}
	rfd = openat(j->partdir, j->part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (rfd < 0)
		return tk_err_errno(err, "cannot open '%s'", j->part);
	if (pipe2(note, O_CLOEXEC) < 0) {
		tk_err_errno(err, "cannot create a pipe");
		goto out;
	}
	fcntl(note[1], F_SETFL, O_NONBLOCK);
	snprintf(what, sizeof(what), "blob sha256:%.12s", j->l->blob);
	src.fd = rfd;
	src.follow_fd = note[0];
	src.what = what;
	src.expect_blob = j->l->blob;
	src.expect_diffid = j->l->diffid;
	if (layer_extract_start(&j->x, f->o->dirfd, j->l->name, &src, f->o->lim, f->o->quiet,
				err) < 0)
		goto out;
	j->extracting = true;
	j->note = note[1];
	note[1] = -1;
started:
	j->pidfd = syscall(SYS_pidfd_open, j->x.pid, 0);
	if (j->have == j->l->size) {
		j->downloaded = true; /* complete from an earlier pull */
		download_close(j);
	} else if (download_start(f, j, err) < 0) {
		goto out;
	}
	ret = 0;
out:
	close_fd(&rfd);
	close_fd(&note[0]);
	close_fd(&note[1]);
	return ret;
}

static bool
transient(long status)
{
	return status == 408 || status == 429 || status >= 500;
}

/* One HTTP transfer ended. */
static int
download_done(struct fetch *f, struct job *j, CURLcode c, struct tk_err *err)
{
	curl_multi_remove_handle(f->m, j->h);
	curl_easy_cleanup(j->h);
	j->h = NULL;
	j->downloading = false;
	if (j->fatal) {
		download_close(j);
		return 0;
	}
	if (c == CURLE_OK && j->status == 401 && j->attempts < MAX_ATTEMPTS) {
		if (registry_reauth(f->r, &j->derr) < 0) {
			j->dfailed = true;
			download_close(j);
			return 0;
		}
		return download_start(f, j, err);
	}
	if (c == CURLE_OK && j->status == 416) {
		/* Our partial file is not a prefix of this blob: the next
		 * pull starts from zero. */
		tk_err_set(&j->derr, "blob sha256:%.12s: the registry refused to resume it "
			   "(HTTP 416)", j->l->blob);
		j->dfailed = j->fatal = true;
		download_close(j);
		return 0;
	}
	if (c == CURLE_OK && (j->status == 200 || j->status == 206) && j->have == j->l->size) {
		j->downloaded = true;
		download_close(j);
		return 0;
	}
	if (c == CURLE_OK && j->status != 200 && j->status != 206 && !transient(j->status)) {
		tk_err_set(&j->derr, "blob sha256:%.12s: '%s' answered HTTP %ld", j->l->blob,
			   f->r->ref.host, j->status);
		j->dfailed = true;
		download_close(j);
		return 0;
	}
	/* Dropped, short or a server error: try again from where we are. */
	if (c != CURLE_OK)
		tk_err_set(&j->derr, "blob sha256:%.12s: %s", j->l->blob, curl_easy_strerror(c));
	else if (j->status == 200 || j->status == 206)
		tk_err_set(&j->derr, "blob sha256:%.12s: connection ended after %lld of %lld bytes",
			   j->l->blob, j->have, j->l->size);
	else
		tk_err_set(&j->derr, "blob sha256:%.12s: '%s' answered HTTP %ld", j->l->blob,
			   f->r->ref.host, j->status);
	if (j->attempts >= MAX_ATTEMPTS) {
		j->dfailed = true;
		download_close(j);
		return 0;
	}
	j->retry_at = now() + 0.25 * (1 << j->attempts);
	return 0;
}

static void
job_release(struct fetch *f, struct job *j, bool remove_part)
{
	if (j->h) {
		curl_multi_remove_handle(f->m, j->h);
		curl_easy_cleanup(j->h);
		j->h = NULL;
	}
	if (j->extracting) {
		layer_extract_kill(&j->x);
		j->extracting = false;
	}
	close_fd(&j->note);
	close_fd(&j->pidfd);
	if (remove_part && j->wfd >= 0)
		unlinkat(j->partdir, j->part, 0);
	close_fd(&j->wfd);
	j->state = J_DONE;
}

/* The unpacker ended: 0 done, 1 started over, -1 failed. */
static int
extract_done(struct fetch *f, struct job *j, int r, struct tk_err *xerr, struct tk_err *err)
{
	j->extracting = false;
	close_fd(&j->pidfd);
	if (r == 0) {
		job_release(f, j, true);
		return 0;
	}
	if (j->dfailed && !j->downloaded) {
		/* Keep the partial file: the next pull resumes it. */
		*err = j->derr;
		job_release(f, j, j->fatal || j->partdir != f->o->partfd);
		return -1;
	}
	if (j->have_at_start > 0 && !j->restarted) {
		/* A partial file from an earlier pull that does not fit this
		 * blob: once more, from zero. */
		job_release(f, j, true);
		j->state = J_WAIT;
		j->restarted = true;
		j->attempts = 0;
		j->downloaded = j->dfailed = j->fatal = false;
		return 1;
	}
	*err = *xerr;
	job_release(f, j, true);
	return -1;
}

static void
human(long long b, char *buf, size_t n)
{
	if (b >= 1000 * 1000)
		snprintf(buf, n, "%.1f MB", b / 1e6);
	else
		snprintf(buf, n, "%.1f kB", b / 1e3);
}

static void
draw(struct fetch *f, bool final)
{
	long long have = 0, total = 0;
	size_t done = 0;

	if (!f->o->progress || (!final && now() - f->last_draw < 0.2))
		return;
	f->last_draw = now();
	if (f->lines)
		fprintf(stderr, "\033[%uA", f->lines);
	f->lines = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct job *j = &f->jobs[i];
		char a[32], b[32];

		human(j->have, a, sizeof(a));
		human(j->l->size, b, sizeof(b));
		have += j->have;
		total += j->l->size;
		done += j->state == J_DONE;
		fprintf(stderr, "\r\033[K%.12s: %s", j->l->blob,
			j->state == J_WAIT ? "waiting" :
			j->state == J_DONE ? "done" :
			j->downloading ? "downloading" :
			j->extracting ? "unpacking" : "finishing");
		if (j->state == J_RUN && j->downloading)
			fprintf(stderr, " %s / %s", a, b);
		fputc('\n', stderr);
		f->lines++;
	}
	{
		char a[32], b[32];

		human(have, a, sizeof(a));
		human(total, b, sizeof(b));
		fprintf(stderr, "\r\033[K%zu/%zu layers, %s / %s\n", done, f->n, a, b);
		f->lines++;
	}
	fflush(stderr);
}

void
registry_fetch_prepare(struct fetch_pool *pool, size_t n, const struct fetch_opts *o)
{
	size_t want = n < (size_t)(o->jobs > 0 ? o->jobs : 3) ? n : (size_t)(o->jobs > 0 ? o->jobs : 3);

	pool->n = 0;
	while (pool->n < want && pool->n < FETCH_POOL_MAX) {
		int note[2];
		struct tk_err e;
		size_t i = pool->n;

		if (pipe2(note, O_CLOEXEC) < 0)
			return;
		if (layer_worker_start(&pool->w[i].x, o->dirfd, o->partfd, note[0], o->lim,
				       o->quiet, &pool->w[i].give, &e) < 0) {
			close(note[0]);
			close(note[1]);
			return;
		}
		close(note[0]);
		fcntl(note[1], F_SETFL, O_NONBLOCK);
		pool->w[i].note = note[1];
		pool->n++;
	}
}

void
registry_fetch_pool_end(struct fetch_pool *pool)
{
	for (size_t i = 0; i < pool->n; i++) {
		close_fd(&pool->w[i].give);
		close_fd(&pool->w[i].note);
		layer_extract_kill(&pool->w[i].x);
	}
	pool->n = 0;
}

int
registry_fetch_layers(struct registry *r, struct fetch_layer *ls, size_t n,
		      const struct fetch_opts *o, struct fetch_pool *pool, struct tk_err *err)
{
	struct fetch f = { .r = r, .o = o, .n = n, .pool = pool };
	size_t left = n;
	int jobs = o->jobs > 0 ? o->jobs : 3;
	int ret = -1;

	if (n == 0)
		return 0;
	f.m = curl_multi_init();
	if (!f.m)
		return tk_err_set(err, "cannot set up HTTP");
	f.jobs = xcalloc(n, sizeof(*f.jobs));
	for (size_t i = 0; i < n; i++) {
		f.jobs[i].l = &ls[i];
		f.jobs[i].wfd = f.jobs[i].note = f.jobs[i].pidfd = -1;
	}
	while (left > 0) {
		struct curl_waitfd wfds[64];
		unsigned nw = 0;
		int active = 0, running;
		double t = now();
		CURLMsg *msg;
		int q;

		if (tk_interrupted) {
			/* Stop: partial blobs are kept for the next pull. */
			tk_err_set(err, "interrupted");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			active += f.jobs[i].state == J_RUN;
		for (size_t i = 0; i < n && active < jobs; i++) {
			if (f.jobs[i].state != J_WAIT)
				continue;
			if (job_start(&f, &f.jobs[i], err) < 0)
				goto out;
			active++;
		}
		for (size_t i = 0; i < n; i++) {
			struct job *j = &f.jobs[i];
			if (j->state == J_RUN && !j->downloading && !j->downloaded && !j->dfailed &&
			    j->note >= 0 && j->retry_at <= t && download_start(&f, j, err) < 0)
				goto out;
		}
		curl_multi_perform(f.m, &running);
		while ((msg = curl_multi_info_read(f.m, &q))) {
			struct job *j = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			if (download_done(&f, j, msg->data.result, err) < 0)
				goto out;
		}
		for (size_t i = 0; i < n; i++) {
			struct job *j = &f.jobs[i];
			struct tk_err xerr;
			int x;

			if (!j->extracting)
				continue;
			x = layer_extract_wait(&j->x, false, &j->l->res, &xerr);
			if (x == 1)
				continue;
			x = extract_done(&f, j, x, &xerr, err);
			if (x < 0)
				goto out;
			if (x == 0)
				left--;
		}
		draw(&f, false);
		for (size_t i = 0; i < n && nw < 64; i++) {
			if (f.jobs[i].pidfd >= 0) {
				wfds[nw].fd = f.jobs[i].pidfd;
				wfds[nw].events = CURL_WAIT_POLLIN;
				wfds[nw].revents = 0;
				nw++;
			}
		}
		if (left > 0)
			curl_multi_poll(f.m, wfds, nw, 100, NULL);
	}
	draw(&f, true);
	ret = 0;
out:
	/* Stopped by another layer's failure: keep only the partial files
	 * that a next pull can resume. */
	for (size_t i = 0; i < n; i++) {
		struct job *j = &f.jobs[i];

		if (j->state == J_RUN)
			job_release(&f, j, j->partdir != o->partfd || j->fatal ||
					       j->have == j->l->size);
	}
	curl_multi_cleanup(f.m);
	free(f.jobs);
	return ret;
}
