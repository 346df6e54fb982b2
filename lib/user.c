#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "user.h"
#include "util.h"
#include "banned.h"

static bool
all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 11;
}

/*
 * Look NAME up in the image's etc/passwd or etc/group (the top-most layer
 * that has the file). Field 3 is the id, field 4 (passwd) the primary
 * group, field 6 the home. Returns 0 when found.
 */
static int
lookup_db(struct tk_store *st, char **layers, const char *file, const char *name,
	  char *const fields[7])
{
	size_t n = strv_len(layers);

	for (size_t i = n; i-- > 0;) {
		cleanup_free char *path = xasprintf("layers/%s/etc/%s", layers[i], file);
		cleanup_free char *buf = read_file_at(st->fd, path, 1 << 22, NULL, NULL);
		char *line, *save = NULL;

		if (!buf)
			continue;
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *f[7] = { 0 }, *p = line;
			for (int k = 0; k < 7 && p; k++) {
				f[k] = p;
				p = strchr(p, ':');
				if (p)
					*p++ = 0;
			}
			if (!f[2] || (strcmp(f[0], name) && strcmp(f[2], name)))
				continue;
			for (int k = 0; k < 7; k++)
				if (fields[k])
					snprintf(fields[k], 256, "%s", f[k] ? f[k] : "");
			return 0;
		}
		return -1;   /* the top-most file decides */
	}
	return -1;
}

int
user_resolve(struct tk_store *st, char **layers, const char *spec, uint32_t *uid,
	     uint32_t *gid, char *home, struct tk_err *err)
{
	char user[256], group[256], uidb[256], gidb[256];
	char *const pw[7] = { NULL, NULL, uidb, gidb, NULL, home, NULL };
	char *const gr[7] = { NULL, NULL, gidb, NULL, NULL, NULL, NULL };
	const char *colon = strchr(spec, ':');

	snprintf(user, sizeof(user), "%.*s", (int)(colon ? colon - spec : (long)strlen(spec)), spec);
	snprintf(group, sizeof(group), "%s", colon ? colon + 1 : "");
	snprintf(home, 256, "/");
	if (lookup_db(st, layers, "passwd", user, pw) == 0) {
		*uid = (uint32_t)strtoul(uidb, NULL, 10);
		*gid = (uint32_t)strtoul(gidb, NULL, 10);
	} else if (all_digits(user)) {
		*uid = (uint32_t)strtoul(user, NULL, 10);
		*gid = *uid == 0 ? 0 : *uid;
		if (*uid == 0)
			snprintf(home, 256, "/root");
	} else {
		return tk_err_set(err, "unknown user '%s': not in the image's /etc/passwd", user);
	}
	if (!*group)
		return 0;
	if (all_digits(group))
		*gid = (uint32_t)strtoul(group, NULL, 10);
	else if (lookup_db(st, layers, "group", group, gr) == 0)
		*gid = (uint32_t)strtoul(gidb, NULL, 10);
	else
		return tk_err_set(err, "unknown group '%s': not in the image's /etc/group", group);
	if (*uid > 4294967293U || *gid > 4294967293U)
		return tk_err_set(err, "user or group id out of range in '%s'", spec);
	return 0;
}
