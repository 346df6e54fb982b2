/* Users and groups of an image, as docker run -u names them. */
#ifndef TK_USER_H
#define TK_USER_H
#include <stdint.h>

#include "err.h"
#include "store.h"

/* USER[:GROUP] (names or ids) looked up in the image's etc/passwd and
 * etc/group (the top-most layer that has the file decides); home (256
 * bytes) gets the user's home directory, "/" when unknown. */
int user_resolve(struct tk_store *st, char **layers, const char *spec, uint32_t *uid,
		 uint32_t *gid, char *home, struct tk_err *err);

#endif
