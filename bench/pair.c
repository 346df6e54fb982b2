/*
 * pair: time two commands in alternation, run by run, and compare them.
 *
 *	pair RUNS -- COMMAND_A [ARG...] -- COMMAND_B [ARG...]
 *
 * Runs A and B RUNS times each, alternating AB, BA, AB, ... (after RUNS / 10
 * untimed pairs to warm up), and prints one JSON object on stdout: the runs,
 * the mean and median of each in seconds, the mean of the per-pair
 * differences A - B with the half-width of its 95% interval, and the ratio
 * of the means A / B with its 95% interval.
 *
 * Why: on a noisy machine, the load drifts on the scale of seconds. hyperfine
 * runs one command many times, then the next, so drift lands on one command
 * more than the other; timing them pair by pair makes each difference see
 * the same load, and the interval says whether a difference is real. The
 * commands are run without a shell, stdin and stdout on /dev/null; a command
 * that fails stops the comparison (exit 1) with its status.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static posix_spawn_file_actions_t fa;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double run(char **argv)
{
	double t = now();
	pid_t pid;
	int st, e;

	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (e) {
		fprintf(stderr, "pair: cannot run %s: %s\n", argv[0], strerror(e));
		exit(1);
	}
	if (waitpid(pid, &st, 0) < 0) {
		perror("pair: waitpid");
		exit(1);
	}
	t = now() - t;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "pair: %s failed (wait status %#x)\n", argv[0], st);
		exit(1);
	}
	return t;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	char **a = NULL, **b = NULL;
	double *ta, *tb, sa = 0, sb = 0, sd = 0, ss = 0, md, half, ma, mb;
	int n, i;

	for (i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			if (!a)
				a = argv + i + 1;
			else if (!b)
				b = argv + i + 1;
		}
	n = argc > 1 ? atoi(argv[1]) : 0;
	if (n < 2 || !a || !b || !a[0] || !b[0] || argv[2] != NULL) {
		fprintf(stderr, "usage: pair RUNS -- COMMAND_A [ARG...] -- COMMAND_B [ARG...]\n"
			"(RUNS at least 2)\n");
		return 2;
	}
	ta = calloc(n, sizeof *ta);
	tb = calloc(n, sizeof *tb);
	if (!ta || !tb || posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) {
		perror("pair");
		return 1;
	}
	for (i = 0; i < n / 10; i++) {
		run(a);
		run(b);
	}
	for (i = 0; i < n; i++) {
		if (i % 2) {
			tb[i] = run(b);
			ta[i] = run(a);
		} else {
			ta[i] = run(a);
			tb[i] = run(b);
		}
		sa += ta[i];
		sb += tb[i];
		sd += ta[i] - tb[i];
	}
	md = sd / n;
	for (i = 0; i < n; i++)
		ss += (ta[i] - tb[i] - md) * (ta[i] - tb[i] - md);
	half = 1.96 * sqrt(ss / (n - 1) / n);
	ma = sa / n;
	mb = sb / n;
	printf("{\"runs\": %d, \"a_mean\": %.9f, \"a_median\": %.9f, "
	       "\"b_mean\": %.9f, \"b_median\": %.9f, \"diff_mean\": %.9f, "
	       "\"diff_ci95\": %.9f, \"ratio\": %.6f, \"ratio_lo\": %.6f, "
	       "\"ratio_hi\": %.6f}\n",
	       n, ma, median(ta, n), mb, median(tb, n), md, half, ma / mb,
	       (mb + md - half) / mb, (mb + md + half) / mb);
	return 0;
}
