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
 * The helper's processes in a container's mount namespace report to
 * stderr instead: the hooks below, lib/sanitize.h.
 */
#ifndef TK_SAN_LOG_DIR
#define TK_SAN_LOG_DIR "/tmp"
#endif
#include <sanitizer/common_interface_defs.h>

#include "sanitize.h"

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

/* The helper's hooks: lib/sanitize.h says why. */
void
tk_san_report_to_stderr(void)
{
	__sanitizer_set_report_path("stderr");
}

/* The stack the thread ran on before tk_san_stack_enter: set by exec's
 * child in the memory it shares with its parent, read by the parent
 * after the child has gone. */
static const void *san_old_bottom;
static size_t san_old_size;

void
tk_san_stack_enter(void *bottom, size_t size)
{
	void *fake;

	__sanitizer_start_switch_fiber(&fake, bottom, size);
	__sanitizer_finish_switch_fiber(fake, &san_old_bottom, &san_old_size);
}

void
tk_san_stack_leave(void)
{
	void *fake;

	__sanitizer_start_switch_fiber(&fake, san_old_bottom, san_old_size);
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
}
