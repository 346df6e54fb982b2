#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "util.h"
#include "banned.h"

static bool
parse_ulong(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == 0;
}

int
idmap_find_range(const char *file, uid_t uid, struct idmap_range *r, struct tk_err *err)
{
	FILE *f = fopen(file, "re");
	struct passwd *pw = getpwuid(uid);
	char uidbuf[24], line[512];
	int found = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		return tk_err_errno(err, "cannot open '%s'", file);
	}
	snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)uid);
	while (!found && fgets(line, sizeof(line), f)) {
		char *a, *b, *nl = strchr(line, '\n');
		unsigned long start, count;

		if (nl)
			*nl = 0;
		a = strchr(line, ':');
		if (!a)
			continue;
		*a++ = 0;
		b = strchr(a, ':');
		if (!b)
			continue;
		*b++ = 0;
		if (strcmp(line, uidbuf) != 0 && !(pw && strcmp(line, pw->pw_name) == 0))
			continue;
		if (!parse_ulong(a, &start) || !parse_ulong(b, &count) || count == 0)
			continue;
		r->start = start;
		r->count = count;
		found = 1;
	}
	fclose(f);
	return found;
}

unsigned long
idmap_mapped_count(uid_t uid)
{
	struct idmap_range u, g;

	if (idmap_find_range("/etc/subuid", uid, &u, NULL) != 1 ||
	    idmap_find_range("/etc/subgid", uid, &g, NULL) != 1)
		return 1;
	return 1 + (u.count < g.count ? u.count : g.count);
}
