/* Storage credentials: a SAS (opaque query string), an account key (Shared
 * Key HMAC-SHA256 signing), or a managed identity's bearer token.  Secrets
 * are read from files or the environment and never printed. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "blob_int.h"
#include "../flowlog/decoder_int.h"

#define IMDS_DEFAULT "http://169.254.169.254/metadata/identity/oauth2/token"

/* The whole (small) file, trailing white space removed; warns when others
 * may read it. */
static char *read_secret(const char *key, const char *file, void (*note)(const char *, void *), void *u,
                         char *errbuf)
{
    FILE *fp = fopen(file, "r");
    if (fp == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: cannot read '%s': %s", key, file, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)) != 0 && note != NULL) {
        char what[AZF_ERRBUF_SIZE];
        snprintf(what, sizeof(what), "%s: '%.120s' is readable by %s; chmod 600 it", key, file,
                 (st.st_mode & S_IROTH) ? "every user" : "its group");
        note(what, u);
    }
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    int bad = ferror(fp) || !feof(fp);
    fclose(fp);
    if (bad) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: '%s' is unreadable or longer than %zu bytes", key, file,
                 sizeof(buf) - 1);
        return NULL;
    }
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    char *s = buf;
    while (isspace((unsigned char)*s))
        s++;
    if (*s == '\0') {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: '%s' is empty", key, file);
        return NULL;
    }
    char *out = strdup(s);
    explicit_bzero(buf, sizeof(buf));
    if (out == NULL)
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", key);
    return out;
}

/* se= of a SAS, URL-decoded, as s since epoch; 0 when absent, -1 unparsable. */
static int64_t sas_expiry(const char *sas)
{
    for (const char *p = sas; p != NULL && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        if (strncmp(p, "se=", 3) != 0)
            continue;
        char v[64];
        size_t n = 0;
        for (const char *r = p + 3; *r && *r != '&' && n + 1 < sizeof(v); r++) {
            if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
                char h[3] = { r[1], r[2], 0 };
                v[n++] = (char)strtol(h, NULL, 16);
                r += 2;
            } else {
                v[n++] = *r;
            }
        }
        v[n] = '\0';
        /* Azure takes YYYY-MM-DD, YYYY-MM-DDThh:mmTZD and
         * YYYY-MM-DDThh:mm:ssTZD; `az storage … generate-sas --expiry
         * 2027-06-30T00:00Z` writes the second.  The first two get their
         * seconds, so one ISO 8601 reader takes all three. */
        if (n == 10)
            snprintf(v + 10, sizeof(v) - 10, "T00:00:00Z");
        else if (n >= 16 && n + 3 < sizeof(v) && v[10] == 'T' && v[13] == ':' && v[16] != ':') {
            memmove(v + 19, v + 16, n - 16 + 1);
            memcpy(v + 16, ":00", 3);
        }
        int64_t us;
        return azf__iso8601_us(v, strlen(v), &us) == 0 ? us / 1000000 : -1;
    }
    return 0;
}

static int load_sas(struct azf_cred *c, const char *key, char *sas, void (*note)(const char *, void *),
                    void *u, char *errbuf)
{
    char *s = sas;
    if (*s == '?')
        memmove(s, s + 1, strlen(s));
    if (strstr(s, "sig=") == NULL) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: not a SAS token (no sig=)", key);
        free(sas);
        return -1;
    }
    int64_t se = sas_expiry(s);
    int64_t now = (int64_t)time(NULL);
    if (se < 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: the SAS expiry (se=) is not a date", key);
        free(sas);
        return -1;
    }
    if (se > 0) {
        struct tm tm;
        char when[32];
        time_t t = (time_t)se;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (se <= now) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: the SAS expired at %s (se=); make a new one", key, when);
            free(sas);
            return -1;
        }
        if (se - now < 86400 && note != NULL) {
            char what[AZF_ERRBUF_SIZE];
            snprintf(what, sizeof(what), "%s: the SAS expires at %s, within 24 hours", key, when);
            note(what, u);
        }
    }
    c->kind = AZF_CRED_SAS;
    c->sas = s;
    return 0;
}

static int load_key(struct azf_cred *c, const char *key, char *b64, char *errbuf)
{
    size_t n = strlen(b64);
    unsigned char out[3 * 48];
    int len = n % 4 == 0 && n <= 4 * 48 ? EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n) : -1;
    /* EVP_DecodeBlock counts the padding as data. */
    for (size_t i = n; len > 0 && i > 0 && b64[i - 1] == '='; i--)
        len--;
    explicit_bzero(b64, n);
    free(b64);
    if (len <= 0 || len > (int)sizeof(c->key)) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: not a base64 storage account key", key);
        explicit_bzero(out, sizeof(out));
        return -1;
    }
    memcpy(c->key, out, (size_t)len);
    explicit_bzero(out, sizeof(out));
    c->keylen = len;
    c->kind = AZF_CRED_KEY;
    return 0;
}

int azf_cred_load(struct azf_cred *c, const struct azf_blob_opts *o,
                  void (*note)(const char *what, void *u), void *u, char errbuf[AZF_ERRBUF_SIZE])
{
    memset(c, 0, sizeof(*c));
    int given = (o->sas_file != NULL) + (o->account_key_file != NULL) + (o->managed_identity != NULL);
    if (given > 1) {
        snprintf(errbuf, AZF_ERRBUF_SIZE,
                 "give one credential: sas-file, account-key-file or managed-identity");
        return -1;
    }
    if (o->sas_file != NULL) {
        char *s = read_secret("sas-file", o->sas_file, note, u, errbuf);
        return s == NULL ? -1 : load_sas(c, "sas-file", s, note, u, errbuf);
    }
    if (o->account_key_file != NULL) {
        char *s = read_secret("account-key-file", o->account_key_file, note, u, errbuf);
        return s == NULL ? -1 : load_key(c, "account-key-file", s, errbuf);
    }
    if (o->managed_identity != NULL) {
        c->kind = AZF_CRED_TOKEN;
        const char *id = o->managed_identity;
        int system = strcmp(id, "yes") == 0 || strcmp(id, "true") == 0 || strcmp(id, "on") == 0;
        const char *imds = getenv("AZFLOW_IMDS_ENDPOINT");
        if ((!system && (c->client_id = strdup(id)) == NULL) ||
            (c->imds = strdup(imds != NULL && *imds ? imds : IMDS_DEFAULT)) == NULL) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "managed-identity: out of memory");
            azf_cred_free(c);
            return -1;
        }
        return 0;
    }
    /* As the Azure CLI reads them. */
    const char *env = getenv("AZURE_STORAGE_SAS_TOKEN");
    if (env != NULL && *env) {
        char *s = strdup(env);
        if (s == NULL) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "AZURE_STORAGE_SAS_TOKEN: out of memory");
            return -1;
        }
        return load_sas(c, "AZURE_STORAGE_SAS_TOKEN", s, note, u, errbuf);
    }
    env = getenv("AZURE_STORAGE_KEY");
    if (env != NULL && *env) {
        char *s = strdup(env);
        if (s == NULL) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "AZURE_STORAGE_KEY: out of memory");
            return -1;
        }
        return load_key(c, "AZURE_STORAGE_KEY", s, errbuf);
    }
    c->kind = AZF_CRED_ANON; /* a container with public read access */
    return 0;
}

void azf_cred_free(struct azf_cred *c)
{
    if (c->sas != NULL) {
        explicit_bzero(c->sas, strlen(c->sas));
        free(c->sas);
    }
    if (c->token != NULL) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    free(c->client_id);
    free(c->imds);
    explicit_bzero(c, sizeof(*c));
}

int azf_cred_sign(const struct azf_cred *c, const char *account, const char *sts, char *out, size_t outlen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;
    if (HMAC(EVP_sha256(), c->key, c->keylen, (const unsigned char *)sts, strlen(sts), mac, &mlen) == NULL)
        return -1;
    char sig[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)sig, mac, (int)mlen);
    int n = snprintf(out, outlen, "SharedKey %s:%s", account, sig);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

void azf_blob_thread_end(void)
{
    OPENSSL_thread_stop();
}
