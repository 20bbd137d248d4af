/* Blob discovery: the flow-log blobs under a folder, sorted, shared by the
 * decoder tool, the follower and the plugin so all three see the same set. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowlog.h"

struct list {
    char **v;
    size_t n, cap;
};

static int push(struct list *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if ((l->v[l->n] = strdup(path)) == NULL)
        return -1;
    l->n++;
    return 0;
}

static int has_suffix(const char *name, const char *suffix)
{
    if (suffix == NULL)
        return 1;
    size_t len = strlen(name), slen = strlen(suffix);
    return len > slen && strcmp(name + len - slen, suffix) == 0;
}

/* Depth-first; symlinked folders are not followed, so a link loop cannot
 * make discovery endless.  Unreadable subfolders are an error: silently
 * skipping them would lose records. */
static int walk(const char *dir, const char *suffix, struct list *l, char *errbuf)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: cannot open folder: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files such as partial downloads */
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", dir);
            rc = -1;
            break;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            /* Vanished between readdir and lstat: not an error. */
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(path, suffix, l, errbuf);
        } else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && has_suffix(e->d_name, suffix)) {
            if (push(l, path) < 0) {
                snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", dir);
                rc = -1;
            }
        }
        free(path);
    }
    closedir(d);
    return rc;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int azf_blob_list(const char *root, char ***paths, size_t *npaths, char errbuf[AZF_ERRBUF_SIZE])
{
    return azf_file_list(root, ".json", paths, npaths, errbuf);
}

int azf_file_list(const char *root, const char *suffix, char ***paths, size_t *npaths,
                  char errbuf[AZF_ERRBUF_SIZE])
{
    struct list l = { 0 };
    struct stat st;
    *paths = NULL;
    *npaths = 0;
    if (stat(root, &st) != 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", root, strerror(errno));
        return -1;
    }
    int rc;
    if (S_ISDIR(st.st_mode)) {
        /* Strip trailing slashes so paths print as users expect. */
        char *r = strdup(root);
        if (r == NULL) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
            return -1;
        }
        for (size_t len = strlen(r); len > 1 && r[len - 1] == '/'; len--)
            r[len - 1] = '\0';
        rc = walk(r, suffix, &l, errbuf);
        free(r);
    } else {
        rc = push(&l, root);
        if (rc < 0)
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", root);
    }
    if (rc < 0) {
        azf_blob_list_free(l.v, l.n);
        return -1;
    }
    if (l.n > 1) /* qsort(NULL, 0, ...) is undefined */
        qsort(l.v, l.n, sizeof(*l.v), cmp_path);
    *paths = l.v;
    *npaths = l.n;
    return 0;
}

void azf_blob_list_free(char **paths, size_t npaths)
{
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
}
