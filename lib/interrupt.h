/*
 * SIGINT, SIGTERM and SIGHUP as a request to stop cleanly: the handler
 * only records the signal; long loops (the layer downloads, curl's
 * transfers) look at tk_interrupted, stop, clean up, and the tool then
 * dies of the same signal (tk_interrupt_reraise), so its caller sees
 * what happened. Signals ignored when the tool started stay ignored.
 */
#ifndef TK_INTERRUPT_H
#define TK_INTERRUPT_H
#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t tk_interrupted;   /* the signal, or 0 */

void tk_catch_interrupts(void);
/* Whether tk_catch_interrupts() installed its handlers (lib/helper.c). */
bool tk_interrupts_caught(void);
/* When a signal was caught: die of it. */
void tk_interrupt_reraise(void);

#endif
