/* Storage URLs: which account, container and blob-name prefix a source
 * names, in either spelling (virtual-host for Azure, path-style for
 * Azurite and private endpoints), and percent-encoding for requests. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "blob_int.h"

/* A scheme is case-insensitive (RFC 3986): "HTTPS://…?sig=…" is a URL to
 * refuse without printing its query, not a file name to print. */
int azf_is_blob_url(const char *s)
{
    return s != NULL && (strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0);
}

char *azf_pct_encode(const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *w = out;
    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || (keep_slash && *p == '/')) {
            *w++ = (char)*p;
        } else {
            *w++ = '%';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
        }
    }
    *w = '\0';
    return out;
}

/* In place; a stray '%' stays as it is. */
static void pct_decode(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
            char h[3] = { r[1], r[2], 0 };
            *w++ = (char)strtol(h, NULL, 16);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

void azf_blob_url_free(struct azf_blob_url *u)
{
    free(u->origin);
    free(u->account);
    free(u->container);
    free(u->prefix);
    free(u->path);
    free(u->printed);
    memset(u, 0, sizeof(*u));
}

int azf_blob_url_parse(const char *url, struct azf_blob_url *u, char errbuf[AZF_ERRBUF_SIZE])
{
    memset(u, 0, sizeof(*u));
    if (!azf_is_blob_url(url)) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "'%.120s' is not an http:// or https:// URL", url);
        return -1;
    }
    const char *q = strpbrk(url, "?#");
    if (q != NULL) {
        /* Printing the URL would print the SAS: say so without it. */
        snprintf(errbuf, AZF_ERRBUF_SIZE,
                 "%.*s: a URL with a query is refused; put a SAS in sas-file (or AZURE_STORAGE_SAS_TOKEN)",
                 (int)(q - url > 160 ? 160 : q - url), url);
        return -1;
    }
    const char *host = strstr(url, "://") + 3;
    const char *slash = strchr(host, '/');
    if (memchr(host, '@', slash != NULL ? (size_t)(slash - host) : strlen(host)) != NULL) {
        /* user:password@host: printing the URL would print them. */
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%.*s…: credentials in the URL are refused; use sas-file, "
                 "account-key-file or managed-identity", (int)(host - url), url);
        return -1;
    }
    if (slash == NULL || slash == host) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%.160s: no container in the URL (https://ACCOUNT.blob.core.windows.net/CONTAINER)", url);
        return -1;
    }
    char *origin = strndup(url, (size_t)(slash - url));
    char *rest = strdup(slash + 1);
    char *hostname = strndup(host, (size_t)(slash - host));
    int rc = -1;
    if (origin == NULL || rest == NULL || hostname == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%.160s: out of memory", url);
        goto out;
    }
    /* One spelling of the scheme, so bookmark keys are the same whichever
     * the configuration used. */
    for (char *c = origin; *c != ':'; c++)
        *c = (char)tolower((unsigned char)*c);
    char *colon = strrchr(hostname, ':');
    if (colon != NULL && strchr(colon, ']') == NULL)
        *colon = '\0';
    /* ACCOUNT.blob.<cloud suffix>: the account is the first label; anything
     * else (an address, localhost, a custom name) is path-style. */
    char *dot = strchr(hostname, '.');
    int vhost = dot != NULL && strncmp(dot, ".blob.", 6) == 0 && !isdigit((unsigned char)hostname[0]);
    for (size_t n = strlen(rest); n > 0 && rest[n - 1] == '/'; n--)
        rest[n - 1] = '\0';
    char *seg = rest;
    char *account, *container;
    if (vhost) {
        *dot = '\0';
        account = hostname;
    } else {
        account = seg;
        seg = strchr(seg, '/');
        if (seg == NULL) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%.160s: path-style URL needs /ACCOUNT/CONTAINER", url);
            goto out;
        }
        *seg++ = '\0';
    }
    container = seg;
    char *prefix = strchr(seg, '/');
    if (prefix != NULL)
        *prefix++ = '\0';
    else
        prefix = "";
    if (*account == '\0' || *container == '\0') {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%.160s: no %s in the URL", url, *account ? "container" : "account");
        goto out;
    }
    pct_decode(container);
    u->origin = origin;
    origin = NULL;
    u->account = strdup(account);
    u->container = strdup(container);
    u->prefix = strdup(prefix);
    if (u->prefix != NULL)
        pct_decode(u->prefix);
    char *enc = u->container ? azf_pct_encode(u->container, 0) : NULL;
    if (enc == NULL || u->account == NULL || u->prefix == NULL ||
        asprintf(&u->path, vhost ? "/%s" : "/%s/%s", vhost ? enc : u->account, enc) < 0)
        u->path = NULL;
    free(enc);
    if (u->path == NULL ||
        asprintf(&u->printed, "%s%s%s%s", u->origin, u->path, *u->prefix ? "/" : "", u->prefix) < 0) {
        u->printed = NULL;
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%.160s: out of memory", url);
        azf_blob_url_free(u);
        goto out;
    }
    rc = 0;
out:
    free(origin);
    free(rest);
    free(hostname);
    return rc;
}
