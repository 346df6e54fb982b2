/* execargv MODE PATH [ARG...]: exec PATH with a hostile argv.
 *   empty   argv = {NULL}   (argc 0, pkexec CVE-2021-4034)
 *   blank   argv = {"", NULL}
 *   normal  argv = {PATH, ARG..., NULL} */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	char *none[] = { NULL };
	char *blank[] = { "", NULL };

	if (argc < 3)
		return 2;
	if (strcmp(argv[1], "empty") == 0)
		execve(argv[2], none, environ);
	else if (strcmp(argv[1], "blank") == 0)
		execve(argv[2], blank, environ);
	else
		execve(argv[2], argv + 2, environ);
	perror("execve");
	return 126;
}
