/*
 * The files a container's /etc gets from tk, as Docker and Podman give
 * them: hostname, hosts and (with the host's network) resolv.conf. tk-run
 * writes them into containers/<id>/ as the caller; the helper binds each
 * one that exists over /etc/<name> in the container (helper/mount.c), so
 * the image's own files are never changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container.h"
#include "etcfiles.h"
#include "util.h"
#include "banned.h"

#define HOST_FILE_MAX (1 << 20)

/* The host's copy of an /etc file, or NULL when it has none. */
static char *
host_file(const char *path, size_t *len)
{
	struct tk_err ignored = { 0 };

	return read_file_at(AT_FDCWD, path, HOST_FILE_MAX, len, &ignored);
}

int
container_write_etc(struct tk_store *st, const struct tk_container *c, struct tk_err *err)
{
	cleanup_close int ctsfd = store_dir(st, "containers", err), dfd = -1;
	cleanup_free char *hostname = NULL, *hosts = NULL, *resolv = NULL;
	size_t hosts_len = 0, resolv_len = 0;

	if (ctsfd < 0)
		return -1;
	dfd = openat(ctsfd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return tk_err_errno(err, "cannot open container %.12s", c->id);

	hostname = xasprintf("%s\n", c->hostname);
	if (c->net_host) {
		/* The host's network: its names and its resolver, as docker
		 * run --network host does. */
		hosts = host_file("/etc/hosts", &hosts_len);
		resolv = host_file("/etc/resolv.conf", &resolv_len);
	}
	if (!hosts) {
		hosts = xasprintf("127.0.0.1\tlocalhost\n"
				  "::1\tlocalhost ip6-localhost ip6-loopback\n"
				  "127.0.1.1\t%s\n", c->hostname);
		hosts_len = strlen(hosts);
	}
	if (write_file_sync_at(dfd, TK_ETC_HOSTNAME, hostname, strlen(hostname), 0644, false, err) < 0 ||
	    write_file_sync_at(dfd, TK_ETC_HOSTS, hosts, hosts_len, 0644, false, err) < 0)
		return -1;
	if (resolv &&
	    write_file_sync_at(dfd, TK_ETC_RESOLV, resolv, resolv_len, 0644, false, err) < 0)
		return -1;
	return 0;
}
