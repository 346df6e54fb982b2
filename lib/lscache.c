/*
 * tk-ls's cache (lscache.h). The file: a magic line; the record
 * directory's stamp (u64 valid, u64 ino, i64 mtime s/ns, ctime s/ns) and
 * the IDs that had a record then (u32 count, 64 bytes each, sorted); then
 * entries, each its own length first. All numbers in the host's byte
 * order (the cache never leaves the machine; another layout is just a bad
 * magic). An entry:
 *
 *   u32 length (of the whole entry), char id[64], u8 flags (EXIT, OOM),
 *   i32 exit_code, i64 created, u64 ino, i64 size, mtime s/ns, ctime s/ns,
 *   u32 argc, then name, image, image_id and argc strings, each a u32
 *   length (NONE for a missing one) and its bytes.
 *
 * Everything read is bounds-checked; an entry that does not parse is a
 * miss, a file that does not is an empty cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lscache.h"
#include "util.h"
#include "banned.h"

#define LS_CACHE "ls-cache"
#define LS_MAGIC "tk ls-cache 2\n"
#define LS_MAX_FILE (64u << 20)
#define LS_MAX_ARGC 65536u
#define F_EXIT 1u
#define F_OOM 2u
#define NONE UINT32_MAX
/* length, id, flags, exit_code, created, the stamp (6 x 8), argc */
#define FIXED (4 + 64 + 1 + 4 + 8 + 48 + 4)

struct ls_entry {
	const char *id;              /* 64 digits, in buf */
	const unsigned char *raw;    /* the whole entry, in buf */
	uint32_t len;
};

/* An entry of the next cache: old entry i, or bytes of fresh. */
struct ls_item {
	int old;                     /* -1: fresh */
	size_t off, len;
};

/* The record directory /run/tk/UID, as a scan found it. */
struct recstamp {
	uint64_t valid, ino;
	int64_t ms, mns, cs, cns;
};

struct ls_cache {
	char *buf;
	size_t len;
	struct recstamp rec;         /* as the file has it */
	const char *recids;          /* in buf: nrec sorted IDs that had a record */
	uint32_t nrec;
	bool rec_same;               /* the directory still has that stamp */
	struct recstamp next_rec;    /* for the next file */
	char *next_ids;              /* IDs seen with a record in this scan */
	size_t nnext, nextcap;
	struct ls_entry *old;        /* sorted by id */
	size_t nold, kept;
	bool dirty;
	struct ls_item *items;       /* the next cache, written only if dirty */
	size_t nitems, itemcap;
	unsigned char *out;          /* the fresh entries */
	size_t outlen, outcap;
};

struct stamp {
	uint64_t ino;
	int64_t size, ms, mns, cs, cns;
};

static void
stamp_of(const struct stat *sb, struct stamp *s)
{
	s->ino = sb->st_ino;
	s->size = sb->st_size;
	s->ms = sb->st_mtim.tv_sec;
	s->mns = sb->st_mtim.tv_nsec;
	s->cs = sb->st_ctim.tv_sec;
	s->cns = sb->st_ctim.tv_nsec;
}

static int
cmp_entry(const void *a, const void *b)
{
	return memcmp(((const struct ls_entry *)a)->id, ((const struct ls_entry *)b)->id, 64);
}

/* The file, if it is a regular file of ours of a sane size. */
static char *
read_cache(struct tk_store *st, size_t *len)
{
	cleanup_close int fd = openat(st->fd, LS_CACHE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	size_t n = 0;
	char *buf;

	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != getuid() ||
	    sb.st_size < (off_t)strlen(LS_MAGIC) || sb.st_size > (off_t)LS_MAX_FILE)
		return NULL;
	buf = xmalloc((size_t)sb.st_size + 1);
	while (n < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n != (size_t)sb.st_size || memcmp(buf, LS_MAGIC, strlen(LS_MAGIC))) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

struct ls_cache *
ls_cache_open(struct tk_store *st)
{
	struct ls_cache *lc = xcalloc(1, sizeof(*lc));
	size_t off, cap = 0;

	if (!(lc->buf = read_cache(st, &lc->len)))
		return lc;
	off = strlen(LS_MAGIC);
	if (lc->len - off < sizeof(lc->rec) + 4)
		goto bad;
	memcpy(&lc->rec, lc->buf + off, sizeof(lc->rec));
	memcpy(&lc->nrec, lc->buf + off + sizeof(lc->rec), 4);
	off += sizeof(lc->rec) + 4;
	if (lc->nrec > (lc->len - off) / 64)
		goto bad;
	lc->recids = lc->buf + off;
	/* Sorted, or bsearch could miss an ID that had a record. */
	for (uint32_t i = 1; i < lc->nrec; i++)
		if (memcmp(lc->recids + (size_t)(i - 1) * 64, lc->recids + (size_t)i * 64, 64) >= 0)
			goto bad;
	off += (size_t)lc->nrec * 64;
	for (; off < lc->len;) {
		uint32_t n;

		if (lc->len - off < FIXED)
			goto bad;
		memcpy(&n, lc->buf + off, 4);
		/* The id is only ever compared with a directory's name. */
		if (n < FIXED || n > lc->len - off)
			goto bad;
		if (lc->nold == cap) {
			cap = cap ? cap * 2 : 256;
			lc->old = xrealloc(lc->old, cap * sizeof(*lc->old));
		}
		lc->old[lc->nold++] = (struct ls_entry){ lc->buf + off + 4,
							 (const unsigned char *)lc->buf + off, n };
		off += n;
	}
	if (lc->nold > 1)   /* qsort and bsearch take no NULL, even for 0 entries */
		qsort(lc->old, lc->nold, sizeof(*lc->old), cmp_entry);
	return lc;
bad:
	free(lc->old);
	free(lc->buf);
	lc->old = NULL;
	lc->buf = NULL;
	lc->nold = 0;
	lc->nrec = 0;
	lc->recids = NULL;
	memset(&lc->rec, 0, sizeof(lc->rec));
	return lc;
}

static void
recstamp_of(const struct stat *sb, struct recstamp *r)
{
	memset(r, 0, sizeof(*r));
	r->valid = 1;
	r->ino = sb->st_ino;
	r->ms = sb->st_mtim.tv_sec;
	r->mns = sb->st_mtim.tv_nsec;
	r->cs = sb->st_ctim.tv_sec;
	r->cns = sb->st_ctim.tv_nsec;
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 64);
}

/*
 * Adding a record to the directory (the helper writes ".ID" and renames
 * it to "ID") changes its mtime and ctime. So while the directory has the
 * stamp it had at the last scan, an ID that had no record then has none
 * now, and its record need not be opened. The clock that stamps the
 * directory is coarse (a tick): a record added in the same tick as the
 * stamp seen could leave it as it was. So a stamp is kept only when it is
 * older than the scan by a second: anything added after the scan began
 * is stamped at least at its beginning less a tick, never the same.
 */
void
ls_cache_records(struct ls_cache *lc, const struct stat *dir, const struct timespec *before)
{
	struct recstamp now;
	int64_t newest;

	memset(&lc->next_rec, 0, sizeof(lc->next_rec));
	lc->rec_same = false;
	if (!dir)
		return;
	recstamp_of(dir, &now);
	lc->rec_same = lc->rec.valid == 1 && !memcmp(&lc->rec, &now, sizeof(now));
	newest = now.ms > now.cs ? now.ms : now.cs;
	if (newest < (int64_t)before->tv_sec - 1)
		lc->next_rec = now;
}

bool
ls_cache_no_record(struct ls_cache *lc, const char *id)
{
	struct ls_entry key = { .id = id };

	/* Only for a container the last scan looked at. */
	return lc->rec_same && lc->nold &&
	       bsearch(&key, lc->old, lc->nold, sizeof(*lc->old), cmp_entry) &&
	       !(lc->nrec && bsearch(id, lc->recids, lc->nrec, 64, cmp_id));
}

void
ls_cache_record_seen(struct ls_cache *lc, const char *id)
{
	if (lc->nnext == lc->nextcap) {
		lc->nextcap = lc->nextcap ? lc->nextcap * 2 : 16;
		lc->next_ids = xrealloc(lc->next_ids, lc->nextcap * 64);
	}
	memcpy(lc->next_ids + lc->nnext++ * 64, id, 64);
}

/* A cursor over one entry. */
struct rd {
	const unsigned char *p, *end;
	bool bad;
};

static void
rd_get(struct rd *r, void *v, size_t n)
{
	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, r->p, n);
	r->p += n;
}

static char *
rd_str(struct rd *r)
{
	uint32_t n;
	char *s;

	rd_get(r, &n, 4);
	if (r->bad || n == NONE)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	s = xmalloc((size_t)n + 1);
	memcpy(s, r->p, n);
	s[n] = 0;
	r->p += n;
	return s;
}

bool
ls_cache_has_exit(struct ls_cache *lc, const char *id)
{
	struct ls_entry key = { .id = id }, *e;
	uint8_t flags;

	if (!lc->nold ||
	    !(e = bsearch(&key, lc->old, lc->nold, sizeof(*lc->old), cmp_entry)))
		return false;
	memcpy(&flags, e->raw + 4 + 64, 1);   /* FIXED covers it */
	return flags & F_EXIT;
}

int
ls_cache_get(struct ls_cache *lc, const char *id, const struct stat *exit_st,
	     struct tk_container *c, bool *state)
{
	struct ls_entry key = { .id = id }, *e;
	struct rd r;
	struct stamp have, want;
	uint32_t len, argc;
	uint8_t flags;
	int32_t code;
	int64_t created;
	char *name, *image, *image_id, **argv;

	*state = false;
	if (!lc->nold ||
	    !(e = bsearch(&key, lc->old, lc->nold, sizeof(*lc->old), cmp_entry)))
		return -1;
	r = (struct rd){ e->raw, e->raw + e->len, false };
	rd_get(&r, &len, 4);
	r.p += 64;
	rd_get(&r, &flags, 1);
	rd_get(&r, &code, 4);
	rd_get(&r, &created, 8);
	rd_get(&r, &have, sizeof(have));
	rd_get(&r, &argc, 4);
	if (r.bad || argc > LS_MAX_ARGC)
		return -1;
	name = rd_str(&r);
	image = rd_str(&r);
	image_id = rd_str(&r);
	argv = xcalloc((size_t)argc + 1, sizeof(*argv));
	for (uint32_t i = 0; i < argc && !r.bad; i++)
		if (!(argv[i] = rd_str(&r)))
			r.bad = true;
	if (r.bad || r.p != r.end) {
		free(name);
		free(image);
		free(image_id);
		strv_free(argv);
		return -1;
	}
	c->name = name;
	c->image = image;
	snprintf(c->image_id, sizeof(c->image_id), "%s", image_id ? image_id : "");
	free(image_id);
	c->argv = argv;
	c->created = created;
	if (exit_st && (flags & F_EXIT)) {
		stamp_of(exit_st, &want);
		if (!memcmp(&have, &want, sizeof(want))) {
			*state = true;
			c->state = TK_EXITED;
			c->exit_code = code;
			c->oom_killed = flags & F_OOM;
			c->finished = have.ms;
		}
	}
	return (int)(e - lc->old);
}

static void
out_add(struct ls_cache *lc, const void *p, size_t n)
{
	if (!n)   /* a missing string: p is NULL */
		return;
	if (lc->outcap - lc->outlen < n) {
		while (lc->outcap - lc->outlen < n)
			lc->outcap = lc->outcap ? lc->outcap * 2 : 64 << 10;
		lc->out = xrealloc(lc->out, lc->outcap);
	}
	memcpy(lc->out + lc->outlen, p, n);
	lc->outlen += n;
}

static void
out_str(struct ls_cache *lc, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	uint32_t l = s ? (uint32_t)n : NONE;

	out_add(lc, &l, 4);
	out_add(lc, s, n);
}

static void
item_add(struct ls_cache *lc, int old, size_t off, size_t len)
{
	if (lc->nitems == lc->itemcap) {
		lc->itemcap = lc->itemcap ? lc->itemcap * 2 : 256;
		lc->items = xrealloc(lc->items, lc->itemcap * sizeof(*lc->items));
	}
	lc->items[lc->nitems++] = (struct ls_item){ old, off, len };
}

void
ls_cache_keep(struct ls_cache *lc, int i)
{
	if (i < 0 || (size_t)i >= lc->nold)
		return;
	item_add(lc, i, 0, 0);
	lc->kept++;
}

void
ls_cache_put(struct ls_cache *lc, const struct tk_container *c, const struct stat *exit_st)
{
	size_t start = lc->outlen, argc = strv_len(c->argv);
	uint8_t flags = (exit_st ? F_EXIT : 0) | (exit_st && c->oom_killed ? F_OOM : 0);
	int32_t code = exit_st ? c->exit_code : -1;
	int64_t created = c->created;
	struct stamp s = { 0 };
	uint32_t len, n;

	if (argc > LS_MAX_ARGC)
		return;
	if (exit_st)
		stamp_of(exit_st, &s);
	len = 0;
	out_add(lc, &len, 4);   /* filled in below */
	out_add(lc, c->id, 64);
	out_add(lc, &flags, 1);
	out_add(lc, &code, 4);
	out_add(lc, &created, 8);
	out_add(lc, &s, sizeof(s));
	n = (uint32_t)argc;
	out_add(lc, &n, 4);
	out_str(lc, c->name);
	out_str(lc, c->image);
	out_str(lc, c->image_id);
	for (size_t i = 0; i < argc; i++)
		out_str(lc, c->argv[i]);
	if (lc->outlen - start > UINT32_MAX) {
		lc->outlen = start;
		return;
	}
	len = (uint32_t)(lc->outlen - start);
	memcpy(lc->out + start, &len, 4);
	/* The same as before (a running container, one never started): no
	 * reason to write the file again. */
	struct ls_entry key = { .id = c->id }, *e = NULL;
	if (lc->nold)
		e = bsearch(&key, lc->old, lc->nold, sizeof(*lc->old), cmp_entry);
	if (e && e->len == len && !memcmp(e->raw, lc->out + start, len)) {
		lc->outlen = start;
		ls_cache_keep(lc, (int)(e - lc->old));
	} else {
		item_add(lc, -1, start, len);
		lc->dirty = true;
	}
}

/* Through tmp/ and a rename, so a reader sees the old file or the new. */
static void
write_cache(struct ls_cache *lc, struct tk_store *st)
{
	char tmp[64];
	cleanup_close int fd = -1;
	cleanup_free unsigned char *all = NULL;
	size_t off = 0, n = strlen(LS_MAGIC) + sizeof(lc->next_rec) + 4 + lc->nnext * 64;
	uint32_t nrec = (uint32_t)lc->nnext;

	for (size_t i = 0; i < lc->nitems; i++)
		n += lc->items[i].old >= 0 ? lc->old[lc->items[i].old].len : lc->items[i].len;
	all = xmalloc(n);
	memcpy(all, LS_MAGIC, strlen(LS_MAGIC));
	off = strlen(LS_MAGIC);
	memcpy(all + off, &lc->next_rec, sizeof(lc->next_rec));
	off += sizeof(lc->next_rec);
	memcpy(all + off, &nrec, 4);
	off += 4;
	if (lc->nnext)
		memcpy(all + off, lc->next_ids, lc->nnext * 64);
	off += lc->nnext * 64;
	for (size_t i = 0; i < lc->nitems; i++) {
		const struct ls_item *it = &lc->items[i];
		const void *p = it->old >= 0 ? (const void *)lc->old[it->old].raw : lc->out + it->off;
		size_t len = it->old >= 0 ? lc->old[it->old].len : it->len;

		memcpy(all + off, p, len);
		off += len;
	}
	snprintf(tmp, sizeof(tmp), "tmp/" LS_CACHE ".%d", (int)getpid());
	fd = openat(st->fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	for (off = 0; off < n;) {
		ssize_t r = write(fd, all + off, n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (off != n || renameat(st->fd, tmp, st->fd, LS_CACHE) < 0)
		unlinkat(st->fd, tmp, 0);
}

void
ls_cache_close(struct ls_cache *lc, struct tk_store *st)
{
	bool same_recs = false;

	if (lc->nnext > 1)
		qsort(lc->next_ids, lc->nnext, 64, cmp_id);
	same_recs = !memcmp(&lc->rec, &lc->next_rec, sizeof(lc->rec)) && lc->nrec == lc->nnext &&
		    (!lc->nnext || !memcmp(lc->recids, lc->next_ids, lc->nnext * 64));
	if (st && (lc->dirty || lc->kept != lc->nold || !same_recs))
		write_cache(lc, st);
	free(lc->next_ids);
	free(lc->items);
	free(lc->out);
	free(lc->old);
	free(lc->buf);
	free(lc);
}
