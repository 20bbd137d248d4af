/* The follower's local-file source: a folder (or one file) of PT1H.json
 * blobs, as azcopy, blobfuse2 or a copy job leaves them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "follow_int.h"

struct file_source {
    char *root;   /* as given, trailing slashes removed */
    char *prefix; /* absolute form of root (+ "/" for a folder) */
    int root_is_dir;
};

struct open_file {
    int fd;
};

/* The bookmark key of a listed path: the same blob keeps its key whatever
 * the working folder or spelling of root. */
static char *key_of(const struct file_source *s, const char *path)
{
    if (!s->root_is_dir)
        return strdup(s->prefix);
    const char *rel = path + strlen(s->root);
    while (*rel == '/')
        rel++;
    char *key;
    return asprintf(&key, "%s%s", s->prefix, rel) < 0 ? NULL : key;
}

static void state_of(struct azf_entry *e, const struct stat *st)
{
    e->size = (uint64_t)st->st_size;
    e->dev = (uint64_t)st->st_dev;
    e->ino = (uint64_t)st->st_ino;
    e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int file_list(void *src, struct azf_entry **v, size_t *n, char errbuf[AZF_ERRBUF_SIZE])
{
    struct file_source *s = src;
    char **paths;
    size_t np;
    *v = NULL;
    *n = 0;
    if (azf_blob_list(s->root, &paths, &np, errbuf) < 0)
        return -1;
    struct azf_entry *e = calloc(np ? np : 1, sizeof(*e));
    size_t k = 0;
    int rc = e == NULL ? -1 : 0;
    /* Paths are sorted, and keys are the paths with root spelled as prefix:
     * the same order. */
    for (size_t i = 0; rc == 0 && i < np; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0)
            continue; /* gone since the walk: the next poll forgets it */
        if ((e[k].key = key_of(s, paths[i])) == NULL || (e[k].path = strdup(paths[i])) == NULL) {
            k++;
            rc = -1;
            break;
        }
        state_of(&e[k++], &st);
    }
    azf_blob_list_free(paths, np);
    if (rc < 0) {
        if (e != NULL)
            azf_entries_free(e, k);
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", s->root);
        return -1;
    }
    *v = e;
    *n = k;
    return 0;
}

static int file_open(void *src, struct azf_entry *e, void **h, char *why)
{
    (void)src;
    int fd = open(e->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(why, AZF_ERRBUF_SIZE, "cannot open: %s", strerror(errno));
        return -1;
    }
    /* Judge the file we hold open, not the name, which may be renamed over. */
    struct stat st;
    struct open_file *fh = malloc(sizeof(*fh));
    if (fh == NULL || fstat(fd, &st) != 0) {
        snprintf(why, AZF_ERRBUF_SIZE, "stat: %s", fh == NULL ? "out of memory" : strerror(errno));
        free(fh);
        close(fd);
        return -1;
    }
    state_of(e, &st);
    fh->fd = fd;
    *h = fh;
    return 0;
}

static long file_read(void *h, void *buf, size_t len, uint64_t off, uint64_t upto, char *why)
{
    (void)upto;
    struct open_file *fh = h;
    for (;;) {
        ssize_t r = pread(fh->fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            snprintf(why, AZF_ERRBUF_SIZE, "read: %s", strerror(errno));
        return (long)r;
    }
}

static void file_close(void *h)
{
    struct open_file *fh = h;
    close(fh->fd);
    free(fh);
}

static void file_free(void *src)
{
    struct file_source *s = src;
    if (s == NULL)
        return;
    free(s->root);
    free(s->prefix);
    free(s);
}

const struct azf_source_ops azf_file_source_ops = {
    .list = file_list,
    .open = file_open,
    .read = file_read,
    .close = file_close,
    .covers = NULL, /* a file missing from its folder is gone */
    .free = file_free,
};

void *azf_file_source_new(const char *root, char **prefix, char errbuf[AZF_ERRBUF_SIZE])
{
    struct stat st;
    if (stat(root, &st) != 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", root, strerror(errno));
        return NULL;
    }
    struct file_source *s = calloc(1, sizeof(*s));
    char *abs = realpath(root, NULL);
    if (s == NULL || abs == NULL || (s->root = strdup(root)) == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", root, abs == NULL ? strerror(errno) : "out of memory");
        free(abs);
        file_free(s);
        return NULL;
    }
    /* Same spelling as azf_blob_list uses, so listed paths start with it. */
    for (size_t len = strlen(s->root); len > 1 && s->root[len - 1] == '/'; len--)
        s->root[len - 1] = '\0';
    s->root_is_dir = S_ISDIR(st.st_mode);
    int ok = 1;
    if (s->root_is_dir && strcmp(abs, "/") != 0)
        ok = asprintf(&s->prefix, "%s/", abs) >= 0;
    else
        s->prefix = strdup(abs);
    free(abs);
    if (!ok)
        s->prefix = NULL;
    if (s->prefix == NULL || (*prefix = strdup(s->prefix)) == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
        file_free(s);
        return NULL;
    }
    return s;
}
