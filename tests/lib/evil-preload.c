/* An LD_PRELOAD library that leaves a mark when it is loaded: the helper
 * must never load it. The mark's path comes from TK_EVIL_MARK, or else a
 * fixed name in /tmp. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void
evil(void)
{
	const char *p = getenv("TK_EVIL_MARK");
	int fd = open(p ? p : "/tmp/tk-evil-preload-loaded", O_WRONLY | O_CREAT, 0666);

	if (fd >= 0)
		close(fd);
}
