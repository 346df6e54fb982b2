/* ref-test: print how lib/ref.c reads each argument, one line each:
 * "host repo tag digest" ("-" for empty), or "error: MSG". */
#include <stdio.h>

#include "ref.h"


int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct image_ref r;
		struct tk_err err = { 0 };
		char name[600];

		if (ref_parse(argv[i], &r, &err) < 0) {
			printf("error: %s\n", err.msg);
			continue;
		}
		ref_format(&r, name, sizeof(name));
		printf("%s %s %s %s %s%s\n", r.host, r.repo, r.tag[0] ? r.tag : "-",
		       r.digest[0] ? r.digest : "-", name,
		       ref_host_is_loopback(r.host) ? " loopback" : "");
	}
	return 0;
}
