#ifndef TK_ETCFILES_H
#define TK_ETCFILES_H
#include "container.h"
#include "protocol.h"

/* Write hostname, hosts and (for --net host) resolv.conf into the
 * container's directory, for the helper to bind over /etc. */
int container_write_etc(struct tk_store *st, const struct tk_container *c, struct tk_err *err);

#endif
