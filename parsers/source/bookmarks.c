/* The follower's bookmark file: one text line per blob, replaced atomically
 * (temp file, fsync, rename) so a crash leaves the old or the new, never half. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "follow_int.h"

/* The first line; a later format gets a new number. */
#define MAGIC "# azflow bookmarks 1"
#define COLUMNS "# offset size dev inode mtime_ns fnv1a64(start) skip path"
/* A storage blob's line: dev = creation time (s), inode = 0, mtime_ns = a
 * hash of its ETag, path = its URL without a query (never a secret). */
/* A line is seven numbers and a path; anything far longer is not ours. */
#define LINE_MAX_LEN 16384

uint64_t azf_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

struct azf_bookmark *azf_bookmarks_add(struct azf_bookmarks *bs, const char *key)
{
    if (bs->n == bs->cap) {
        size_t cap = bs->cap ? bs->cap * 2 : 16;
        struct azf_bookmark *v = realloc(bs->v, cap * sizeof(*v));
        if (v == NULL)
            return NULL;
        bs->v = v;
        bs->cap = cap;
    }
    struct azf_bookmark *b = &bs->v[bs->n];
    memset(b, 0, sizeof(*b));
    b->hash = AZF_FNV_INIT;
    if ((b->key = strdup(key)) == NULL)
        return NULL;
    bs->n++;
    return b;
}

void azf_bookmarks_clear(struct azf_bookmarks *bs)
{
    for (size_t i = 0; i < bs->n; i++)
        free(bs->v[i].key);
    free(bs->v);
    memset(bs, 0, sizeof(*bs));
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct azf_bookmark *)a)->key, ((const struct azf_bookmark *)b)->key);
}

static int under(const char *key, const char *prefix)
{
    return prefix == NULL || strncmp(key, prefix, strlen(prefix)) == 0;
}

/* Unsigned decimal (or 16 hex digits when hex) followed by one space. */
static int take_u64(char **p, int hex, uint64_t *out)
{
    char *s = *p, *end;
    if (hex ? !isxdigit((unsigned char)*s) : !(*s >= '0' && *s <= '9'))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (errno != 0 || *end != ' ' || (hex && end - s != 16))
        return -1;
    *out = v;
    *p = end + 1;
    return 0;
}

/* Paths are written with \\ and \n escaped, so one line is one blob. */
static int unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        if (*r == '\\')
            *w++ = '\\';
        else if (*r == 'n')
            *w++ = '\n';
        else
            return -1;
    }
    *w = '\0';
    return 0;
}

static int parse_line(char *line, struct azf_bookmark *b, char **path, const char **why)
{
    uint64_t mtime;
    char *p = line;
    *why = "expected: offset size dev inode mtime_ns hash skip path";
    if (take_u64(&p, 0, &b->offset) < 0 || take_u64(&p, 0, &b->size) < 0 ||
        take_u64(&p, 0, &b->dev) < 0 || take_u64(&p, 0, &b->ino) < 0 ||
        take_u64(&p, 0, &mtime) < 0 || take_u64(&p, 1, &b->hash) < 0 ||
        take_u64(&p, 0, &b->skip) < 0)
        return -1;
    b->mtime_ns = (int64_t)mtime;
    if (unescape(p) < 0) {
        *why = "bad escape in path";
        return -1;
    }
    /* A file's absolute path, or a storage blob's URL without its query. */
    if (p[0] != '/' && strncmp(p, "https://", 8) != 0 && strncmp(p, "http://", 7) != 0) {
        *why = "path is not absolute";
        return -1;
    }
    if (b->offset > b->size || (b->skip != 0 && b->skip < b->offset)) {
        *why = "offset past size, or skip before offset";
        return -1;
    }
    *path = p;
    return 0;
}

/* keep_under: keep the entries under prefix (1) or the others (0). */
static int load(const char *file, const char *prefix, int keep_under, struct azf_bookmarks *bs,
                char *errbuf)
{
    FILE *fp = fopen(file, "r");
    if (fp == NULL) {
        if (errno == ENOENT)
            return 0; /* first run */
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        const char *why = NULL;
        if ((size_t)len != strlen(line))
            why = "NUL byte in line";
        else if (len > LINE_MAX_LEN)
            why = "line too long";
        else if (lineno == 1 && strcmp(line, MAGIC) != 0)
            why = "not an azflow bookmark file (first line is not '" MAGIC "')";
        if (why == NULL && (line[0] == '#' || line[0] == '\0'))
            continue;
        struct azf_bookmark b = { 0 };
        char *path = NULL;
        if (why == NULL && parse_line(line, &b, &path, &why) == 0) {
            if (under(path, prefix) != keep_under)
                continue;
            struct azf_bookmark *nb = azf_bookmarks_add(bs, path);
            if (nb == NULL) {
                snprintf(errbuf, AZF_ERRBUF_SIZE, "%s:%lu: out of memory", file, lineno);
                rc = -1;
                break;
            }
            b.key = nb->key;
            *nb = b;
            continue;
        }
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s:%lu: corrupt bookmark: %s", file, lineno, why);
        rc = -1;
        break;
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: read: %s", file, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(fp);
    if (rc == 0 && bs->n > 1) {
        qsort(bs->v, bs->n, sizeof(*bs->v), cmp_key);
        for (size_t i = 1; i < bs->n; i++) {
            if (strcmp(bs->v[i - 1].key, bs->v[i].key) == 0) {
                snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: corrupt bookmark: %.180s listed twice", file,
                         bs->v[i].key);
                rc = -1;
                break;
            }
        }
    }
    return rc;
}

int azf_bookmarks_load(const char *file, const char *prefix, struct azf_bookmarks *bs,
                       char errbuf[AZF_ERRBUF_SIZE])
{
    int rc = load(file, prefix, 1, bs, errbuf);
    if (rc < 0)
        azf_bookmarks_clear(bs);
    return rc;
}

static void put_entry(FILE *fp, const struct azf_bookmark *b)
{
    fprintf(fp, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64 " %" PRIu64 " ",
            b->offset, b->size, b->dev, b->ino, (uint64_t)b->mtime_ns, b->hash, b->skip);
    for (const char *s = b->key; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", fp);
        else if (*s == '\n')
            fputs("\\n", fp);
        else
            fputc(*s, fp);
    }
    fputc('\n', fp);
}

/* The rename is only durable once the folder holding it is synced. */
static void sync_dir_of(const char *file)
{
    char *dir = strdup(file);
    if (dir == NULL)
        return;
    char *slash = strrchr(dir, '/');
    const char *d = slash == NULL ? "." : (slash == dir ? "/" : (*slash = '\0', dir));
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int azf_bookmarks_save(const char *file, const char *prefix, const struct azf_bookmarks *bs,
                       char errbuf[AZF_ERRBUF_SIZE])
{
    /* Entries of other followers sharing the file are taken from the file as
     * it is now, so followers polled in turn do not undo each other. */
    struct azf_bookmarks others = { 0 };
    if (load(file, prefix, 0, &others, errbuf) < 0) {
        azf_bookmarks_clear(&others);
        return -1;
    }
    char *tmp;
    if (asprintf(&tmp, "%s.XXXXXX", file) < 0) {
        azf_bookmarks_clear(&others);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", file);
        return -1;
    }
    int rc = -1;
    int fd = mkstemp(tmp);
    FILE *fp = fd < 0 ? NULL : fdopen(fd, "w");
    if (fp == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: cannot create %s: %s", file, tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto out;
    }
    fprintf(fp, "%s\n%s\n", MAGIC, COLUMNS);
    for (size_t i = 0; i < bs->n; i++)
        put_entry(fp, &bs->v[i]);
    for (size_t i = 0; i < others.n; i++)
        put_entry(fp, &others.v[i]);
    int werr = fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0 ? (errno ? errno : EIO) : 0;
    if (fclose(fp) != 0 && werr == 0)
        werr = errno ? errno : EIO;
    if (werr != 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: write %s: %s", file, tmp, strerror(werr));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, file) != 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: rename from %s: %s", file, tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    sync_dir_of(file);
    rc = 0;
out:
    free(tmp);
    azf_bookmarks_clear(&others);
    return rc;
}
