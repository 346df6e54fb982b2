/*
 * Hooks of the SANITIZE=1 test build (lib/sanitize.c) for the helper's
 * processes that leave the host's view. In every other build they are
 * empty macros: the helper's code is the same with or without them.
 *
 * tk_san_report_to_stderr: before entering a container's mount namespace
 * (tk-exec's setns, run's pivot_root). ASan opens its log file,
 * TK_SAN_LOG_DIR/asan.<pid>, only when it writes, and that path does not
 * exist in the container: it would die with "Can't open file" instead of
 * reporting. A report there goes to stderr, and still aborts the process.
 *
 * tk_san_stack_enter/tk_san_stack_leave: tk-exec's child (and run's G) runs on a stack of
 * its own in the parent's memory (clone with CLONE_VM), which ASan takes
 * for the parent's thread; every call of a noreturn function there
 * (exec_payload, die) would warn that the stack is not the thread's, and
 * then no longer clean the stack's shadow ("false positive error reports
 * may follow"). The child tells ASan it switched to that stack, and the
 * parent, once the child has left (CLONE_VFORK), that it switched back.
 */
#ifndef TK_SANITIZE_H
#define TK_SANITIZE_H
#include <stddef.h>

#ifdef TK_SAN_LOG_DIR
void tk_san_report_to_stderr(void);
void tk_san_stack_enter(void *bottom, size_t size);
void tk_san_stack_leave(void);
#else
#define tk_san_report_to_stderr() ((void)0)
#define tk_san_stack_enter(bottom, size) ((void)0)
#define tk_san_stack_leave() ((void)0)
#endif
#endif
