#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "interrupt.h"
#include "banned.h"

volatile sig_atomic_t tk_interrupted;
static bool caught;

bool
tk_interrupts_caught(void)
{
	return caught;
}

static void
on_signal(int sig)
{
	tk_interrupted = sig;
}

void
tk_catch_interrupts(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	caught = true;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old, sa;

		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

void
tk_interrupt_reraise(void)
{
	int sig = tk_interrupted;
	sigset_t set;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
