/*
 * tk-monitor: the keeper of a detached container (tk-run -d). Not for
 * direct use: tk-run starts it, in a session of its own, as
 *
 *	tk-monitor [--log-size BYTES] -- run RUN-ARGS...
 *
 * with fd 3 the store and fd 4 the notify socket (both handed on to the
 * runner, see helper/protocol.h) and fd 5 the container's directory. Its
 * child runs the container (rt_run(), rt/run.c) with stdout and stderr on
 * two pipes; the monitor writes what comes out of them to the
 * container's log, and when the child ends exits with its status. The
 * runner writes the exit status (the file's mtime is the time); if it
 * was killed, the monitor writes it instead.
 *
 * It holds no privilege: it is an ordinary process of the caller's. It is
 * linked statically against libc and the runtime only and keeps small
 * static buffers, so
 * that a hundred detached containers cost little memory (its RSS is
 * measured in the tests). It holds an flock on containers/<id>/monitor
 * while it lives, which is how tk-logs -f knows the log is complete.
 *
 * The log is in the CRI format ("TIME STREAM F|P TEXT\n", F a full line,
 * P part of one), rotated to log.1 when it reaches the size limit, so at
 * most twice the limit is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define STORE_FD 3
#define NOTIFY_FD 4
#define CTDIR_FD 5
#define LINE_MAX_BYTES 16384
#define DEFAULT_LOG_SIZE (8LL << 20)

struct stream {
	const char *name;
	int fd;                 /* read end, -1 at EOF */
	char buf[LINE_MAX_BYTES];
	size_t len;
};

static int log_fd = -1;
static long long log_size, log_max = DEFAULT_LOG_SIZE;

static int
open_log(void)
{
	struct stat st;

	log_fd = openat(CTDIR_FD, "log", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			0600);
	if (log_fd < 0 || fstat(log_fd, &st) < 0)
		return -1;
	log_size = st.st_size;
	return 0;
}

/* log becomes log.1 and a new log starts, without a moment in which
 * there is no log (a reader would take that for a container that has
 * none): link the old one to log.1, then rename a new one over log. */
static void
rotate(void)
{
	int fd;

	unlinkat(CTDIR_FD, "log.1", 0);
	unlinkat(CTDIR_FD, "log.new", 0);
	if (linkat(CTDIR_FD, "log", CTDIR_FD, "log.1", 0) < 0)
		return;   /* keep appending: better too long than lost */
	fd = openat(CTDIR_FD, "log.new", O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (renameat(CTDIR_FD, "log.new", CTDIR_FD, "log") < 0) {
		close(fd);
		unlinkat(CTDIR_FD, "log.new", 0);
		return;
	}
	close(log_fd);
	log_fd = fd;
	log_size = 0;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;   /* a full disk loses log lines, never the container */
		p += w;
		n -= (size_t)w;
	}
}

/* One record: "2006-01-02T15:04:05.000000000Z stdout F text\n". */
static void
log_record(const char *stream, char flag, const char *text, size_t n)
{
	static char rec[LINE_MAX_BYTES + 64];
	struct timespec ts;
	struct tm tm;
	size_t h;

	if (log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	h = strftime(rec, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	h += (size_t)snprintf(rec + h, sizeof(rec) - h, ".%09ldZ %s %c ", ts.tv_nsec, stream, flag);
	if (n > sizeof(rec) - h - 1)
		n = sizeof(rec) - h - 1;
	memcpy(rec + h, text, n);
	rec[h + n] = '\n';
	if (log_size > 0 && log_size + (long long)(h + n + 1) > log_max)
		rotate();
	if (log_fd < 0)
		return;
	write_all(log_fd, rec, h + n + 1);
	log_size += (long long)(h + n + 1);
}

/* Complete lines become F records; a line longer than the buffer, or
 * what is left at EOF, a P record. */
static void
stream_flush(struct stream *s, bool eof)
{
	size_t start = 0;

	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] == '\n') {
			log_record(s->name, 'F', s->buf + start, i - start);
			start = i + 1;
		}
	if (start == 0 && s->len == sizeof(s->buf)) {
		log_record(s->name, 'P', s->buf, s->len);
		start = s->len;
	}
	if (eof && start < s->len) {
		log_record(s->name, 'P', s->buf + start, s->len - start);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

static void
stream_read(struct stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		stream_flush(s, true);
		return;
	}
	s->len += (size_t)n;
	stream_flush(s, false);
}

static void
note(const char *msg, int err)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "tk-monitor: %s%s%s", msg, err ? ": " : "",
			 err ? strerror(err) : "");

	log_record("stderr", 'F', buf, n > 0 ? (size_t)n : 0);
}

static void
write_exit(int status)
{
	char buf[16];
	int fd, n = snprintf(buf, sizeof(buf), "%d\n", status);

	/* Only for a helper that was killed: one that exited wrote the status
	 * itself (or refused to start, and then the status is not ours to
	 * write). The helper's lock is gone with it; if someone else holds
	 * the lock now (tk-rm, a new run), the directory is theirs. */
	if (flock(CTDIR_FD, LOCK_EX | LOCK_NB) < 0)
		return;
	fd = openat(CTDIR_FD, "exit", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_all(fd, buf, (size_t)n);
		close(fd);
	}
	flock(CTDIR_FD, LOCK_UN);
}

static int
parse_size(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v <= 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end || v < 4096 || v > (1LL << 40))
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct stream out = { .name = "stdout" }, err = { .name = "stderr" };
	int i = 1, lockfd, po[2], pe[2], status = 0;
	struct sigaction ign = { .sa_handler = SIG_IGN };
	char pidbuf[24];
	pid_t child;

	if (argc > 2 && !strcmp(argv[1], "--log-size")) {
		if (parse_size(argv[2], &log_max) < 0)
			return 2;
		i = 3;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc)
		return 2;
	argv += i + 1;

	/* Terminal and pipe signals are not for us: we outlive tk-run, its
	 * terminal and whoever reads the log. */
	sigaction(SIGPIPE, &ign, NULL);
	sigaction(SIGHUP, &ign, NULL);
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	sigaction(SIGTTOU, &ign, NULL);
	sigaction(SIGTTIN, &ign, NULL);
	sigaction(SIGTSTP, &ign, NULL);
	if (fcntl(CTDIR_FD, F_SETFD, FD_CLOEXEC) < 0)
		return 125;
	lockfd = openat(CTDIR_FD, "monitor", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0 || ftruncate(lockfd, 0) < 0)
		return 125;
	write_all(lockfd, pidbuf, (size_t)snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid()));
	if (open_log() < 0)
		return 125;
	/* Should the runner be killed, its child, the container's pid 1,
	 * comes to us (and dies: it has a parent-death signal), and we reap
	 * it, whatever init does with orphans; so does the helper's reaper
	 * of the container's cgroup once the helper has exited. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		note("cannot become a subreaper", errno);
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		note("cannot create pipes", errno);
		return 125;
	}
	child = fork();
	if (child < 0) {
		note("cannot fork", errno);
		return 125;
	}
	if (child == 0) {
		sigset_t none;
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		for (int s = 1; s < 32; s++)
			sigaction(s, &dfl, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Nothing of ours but the store and the notify socket: the
		 * runner is not exec'd, so close-on-exec does not close the
		 * monitor lock (held while the monitor lives) or the pipes. */
		if (dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0 || close_range(NOTIFY_FD + 1, ~0U, 0) < 0)
			_exit(125);
		_exit(rt_run(argc - i - 1, argv));
	}
	/* Only the runner keeps the store and the notify socket: tk-run must
	 * see EOF on the socket when the runner and its container go. */
	close(STORE_FD);
	close(NOTIFY_FD);
	close(po[1]);
	close(pe[1]);
	if (chdir("/") < 0)
		note("cannot change to /", errno);
	out.fd = po[0];
	err.fd = pe[0];
	while (out.fd >= 0 || err.fd >= 0) {
		struct pollfd p[2] = { { out.fd, POLLIN, 0 }, { err.fd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			note("poll failed", errno);
			break;
		}
		if (p[0].revents)
			stream_read(&out);
		if (p[1].revents)
			stream_read(&err);
	}
	/* The runner, the container's pid 1 if the runner was killed, and
	 * the cgroup's reaper (we are their subreaper). */
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w == child)
			status = st;
		else if (w < 0 && errno == ECHILD)
			break;
		else if (w < 0 && errno != EINTR) {
			note("cannot wait for the runner", errno);
			return 125;
		}
	}
	if (WIFSIGNALED(status))
		write_exit(128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status)
	     : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
}
