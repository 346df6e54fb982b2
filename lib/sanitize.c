/*
 * Sanitizer options compiled into the SANITIZE=1 test build (config.mk),
 * linked into every tool, the monitor and the helper of that build only.
 * They are built in rather than taken from ASAN_OPTIONS because the helper
 * clears its environment for what it starts and sudo drops it.
 *
 * abort_on_error: a report ends the process by SIGABRT, which
 * test_must_fail and test_status tell from a clean refusal, so a sanitizer
 * error in an error path cannot pass as the expected failure.
 * detect_leaks=0: the tools exit right after their work and leave freeing
 * to the kernel (STYLE.md); exit-time leak reports would be noise. Leaks
 * that matter (in a loop, in the monitor) are for valgrind (make
 * check-valgrind).
 * log_path: ASan's reports go to files in TK_SAN_LOG_DIR (config.mk:
 * tests/asan-logs), so a report from a process whose exit status no test
 * looks at (a monitor, a cleanup) still fails make check-asan. (GCC 12's
 * combined runtime writes UBSan's to stderr whatever log_path says.)
 */
#ifndef TK_SAN_LOG_DIR
#define TK_SAN_LOG_DIR "/tmp"
#endif
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0:abort_on_error=1:print_summary=1:log_path=" TK_SAN_LOG_DIR "/asan";
}

const char *
__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=" TK_SAN_LOG_DIR "/ubsan";
}
