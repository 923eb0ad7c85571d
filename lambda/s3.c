/*
 * s3.c - GET/PUT of one S3 object over libcurl, signed by sigv4.c.
 *
 * One curl easy handle per client, reset before each request (a reset keeps
 * the connection cache, DNS cache and TLS sessions, so a warm Lambda reuses
 * its connection) and configured from scratch, so no option set for a PUT
 * leaks into the next GET. The Host header is set explicitly to the value
 * that was signed: curl would derive the same, but the signature must not
 * depend on that. Header lines are wiped before they are freed because one
 * holds the session token.
 */
#include "lambda/s3.h"
#include "lambda/buf_int.h"
#include "lambda/sigv4.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOST_MAX  300
#define CODE_MAX  64                           /* S3 error codes are short names */
#define PATH_CAP  (3 * LAM_S3_KEY_MAX + 80)    /* "/bucket/" + encoded key */
#define URL_CAP   (PATH_CAP + HOST_MAX + 16)
#define LINE_CAP  (8192 + 64)                  /* one header line (token <= 8 KiB) */

struct lam_s3_config {
    char *bucket, *region, *access_key_id, *secret_access_key;
    char *session_token;          /* NULL: none */
    char base_url[HOST_MAX + 16]; /* scheme://host[:port], no trailing '/' */
    char host[HOST_MAX];          /* Host header value */
    int path_style;               /* bucket in the path, not in the host name */
    long connect_timeout_ms, timeout_ms;
    size_t body_max;
};

struct lam_s3 {
    const struct lam_s3_config *cfg;
    CURL *curl;
    char curl_err[CURL_ERROR_SIZE];
};

/* ---- configuration ---- */

static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void lam_s3_config_free(struct lam_s3_config *c)
{
    if (!c)
        return;
    free(c->bucket);
    free(c->region);
    free(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    free(c);
}

static int is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* S3's bucket naming rules, minus the ones that only matter to AWS. */
static int bucket_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || !is_lower_alnum(b[0]) || !is_lower_alnum(b[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(b[i]) && b[i] != '-' && b[i] != '.')
            return 0;
    return 1;
}

/* base_url and host from S3_ENDPOINT_URL: scheme and authority only. */
static enum lam_err parse_endpoint(struct lam_s3_config *c, const char *url, char *errbuf)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *tmp = NULL;
    enum lam_err rc = LAM_ERR_BAD_CONFIG;
    const char *why = NULL;
    if (!u)
        return LAM_ERR_NOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        why = "is not an absolute URL";
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        why = "must be http:// or https://";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &tmp, 0) != CURLUE_NO_USER) {
        why = "must not contain credentials";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &tmp, 0) != CURLUE_NO_QUERY ||
        curl_url_get(u, CURLUPART_FRAGMENT, &tmp, 0) != CURLUE_NO_FRAGMENT ||
        curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
        (path[0] && strcmp(path, "/") != 0)) {
        why = "must be scheme://host[:port] with no path, query or fragment";
        goto out;
    }
    CURLUcode pc = curl_url_get(u, CURLUPART_PORT, &port, 0);
    const char *dflt = scheme[4] == 's' ? "443" : "80";
    int with_port = pc == CURLUE_OK && strcmp(port, dflt) != 0;
    int n = snprintf(c->host, sizeof c->host, "%s%s%s", host, with_port ? ":" : "",
                     with_port ? port : "");
    int m = snprintf(c->base_url, sizeof c->base_url, "%s://%s", scheme, c->host);
    if (n < 0 || (size_t)n >= sizeof c->host || m < 0 || (size_t)m >= sizeof c->base_url) {
        why = "has a host name that is too long";
        goto out;
    }
    c->path_style = 1;
    rc = LAM_OK;
out:
    if (why)
        lam_err_set(errbuf, rc, "s3 config: S3_ENDPOINT_URL %s", why);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(tmp);
    curl_url_cleanup(u);
    return rc;
}

/* https://<bucket>.s3.<region>.amazonaws.com, or path style on the
   regional host for bucket names with dots. */
static enum lam_err aws_endpoint(struct lam_s3_config *c, char *errbuf)
{
    c->path_style = strchr(c->bucket, '.') != NULL;
    int n = c->path_style
                ? snprintf(c->host, sizeof c->host, "s3.%s.amazonaws.com", c->region)
                : snprintf(c->host, sizeof c->host, "%s.s3.%s.amazonaws.com", c->bucket,
                           c->region);
    int m = snprintf(c->base_url, sizeof c->base_url, "https://%s", c->host);
    if (n < 0 || (size_t)n >= sizeof c->host || m < 0 || (size_t)m >= sizeof c->base_url)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "s3 config: endpoint name too long");
    return LAM_OK;
}

static int has(const char *s)
{
    return s && s[0];
}

/* S3's signing rules with this config's credentials (borrowed). */
static struct lam_sigv4_signer signer_of(const struct lam_s3_config *c)
{
    const struct lam_sigv4_signer s = {
        .mode = LAM_SIGV4_S3,
        .body = LAM_SIGV4_BODY_HEADER,
        .access_key_id = c->access_key_id,
        .secret_access_key = c->secret_access_key,
        .session_token = c->session_token,
        .region = c->region,
        .service = "s3",
    };
    return s;
}

/* Lets sigv4 judge the credentials and region once, at configuration time,
   so a malformed value is a startup error rather than a miss per request. */
static enum lam_err check_signable(const struct lam_s3_config *c, char *errbuf)
{
    const struct lam_sigv4_signer s = signer_of(c);
    struct lam_sigv4_header h = {"host", c->host};
    struct lam_sigv4_request r = {.method = "GET", .path = "/", .headers = &h, .n_headers = 1};
    struct lam_sigv4_out out;
    char why[LAM_ERRBUF_LEN];
    enum lam_err rc = lam_sigv4_sign(&s, &r, 0, &out, why);
    if (rc == LAM_ERR_INVALID_ARG)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "s3 config: %s", why);
    if (rc != LAM_OK)
        return lam_err_set(errbuf, rc, "s3 config: %s", why);
    return LAM_OK;
}

enum lam_err lam_s3_config_new(const struct lam_s3_params *p, struct lam_s3_config **out,
                               char *errbuf)
{
    int custom = has(p->endpoint_url);
    const char *region = has(p->region) ? p->region : custom ? "us-east-1" : NULL;
    if (!has(p->bucket) || !bucket_ok(p->bucket))
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                           "s3 config: bucket (CACHE_BUCKET) must be 3-63 of [a-z0-9.-]");
    if (!region)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "s3 config: AWS_REGION is not set");
    if (!has(p->access_key_id) || !has(p->secret_access_key))
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                           "s3 config: AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not set");
    if (p->connect_timeout_ms < 0 || p->timeout_ms < 0)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "s3 config: negative time limit");
    struct lam_s3_config *c = calloc(1, sizeof *c);
    if (!c)
        return LAM_ERR_NOMEM;
    c->bucket = strdup(p->bucket);
    c->region = strdup(region);
    c->access_key_id = strdup(p->access_key_id);
    c->secret_access_key = strdup(p->secret_access_key);
    c->session_token = has(p->session_token) ? strdup(p->session_token) : NULL;
    c->connect_timeout_ms = p->connect_timeout_ms ? p->connect_timeout_ms
                                                  : LAM_S3_CONNECT_TIMEOUT_MS;
    c->timeout_ms = p->timeout_ms ? p->timeout_ms : LAM_S3_TIMEOUT_MS;
    c->body_max = p->body_max ? p->body_max : LAM_S3_BODY_MAX;
    enum lam_err rc = LAM_ERR_NOMEM;
    if (!c->bucket || !c->region || !c->access_key_id || !c->secret_access_key ||
        (has(p->session_token) && !c->session_token))
        goto fail;
    rc = custom ? parse_endpoint(c, p->endpoint_url, errbuf) : aws_endpoint(c, errbuf);
    if (rc != LAM_OK || (rc = check_signable(c, errbuf)) != LAM_OK)
        goto fail;
    *out = c;
    return LAM_OK;
fail:
    lam_s3_config_free(c);
    return rc;
}

enum lam_err lam_s3_config_from_env(struct lam_s3_config **out, char *errbuf)
{
    const char *bucket = getenv("CACHE_BUCKET");
    if (!has(bucket)) {
        *out = NULL;
        return LAM_OK;
    }
    const char *region = getenv("AWS_REGION");
    const struct lam_s3_params p = {
        .bucket = bucket,
        .region = has(region) ? region : getenv("AWS_DEFAULT_REGION"),
        .access_key_id = getenv("AWS_ACCESS_KEY_ID"),
        .secret_access_key = getenv("AWS_SECRET_ACCESS_KEY"),
        .session_token = getenv("AWS_SESSION_TOKEN"),
        .endpoint_url = getenv("S3_ENDPOINT_URL"),
    };
    return lam_s3_config_new(&p, out, errbuf);
}

const char *lam_s3_config_host(const struct lam_s3_config *c)
{
    return c->host;
}

/* "/<bucket>/<encoded key>" (path style) or "/<encoded key>". */
static enum lam_err object_path(const struct lam_s3_config *c, const char *key, char *out,
                                size_t cap)
{
    size_t kl = key ? strlen(key) : 0, el = 0;
    if (kl == 0 || kl > LAM_S3_KEY_MAX)
        return LAM_ERR_INVALID_ARG;
    int n = c->path_style ? snprintf(out, cap, "/%s/", c->bucket) : snprintf(out, cap, "/");
    if (n < 0 || (size_t)n >= cap)
        return LAM_ERR_TOO_LARGE;
    return lam_sigv4_uri_encode((const uint8_t *)key, kl, 1, out + n, cap - (size_t)n, &el);
}

enum lam_err lam_s3_object_url(const struct lam_s3_config *c, const char *key, char *out,
                               size_t cap)
{
    char path[PATH_CAP];
    enum lam_err rc = object_path(c, key, path, sizeof path);
    if (rc != LAM_OK)
        return rc;
    int n = snprintf(out, cap, "%s%s", c->base_url, path);
    return n < 0 || (size_t)n >= cap ? LAM_ERR_TOO_LARGE : LAM_OK;
}

enum lam_err lam_s3_presign_get(const struct lam_s3_config *c, const char *key, long expires_s,
                                time_t now, char *out, size_t cap, char *errbuf)
{
    char path[PATH_CAP], query[LAM_S3_PRESIGN_QUERY_MAX];
    enum lam_err rc = object_path(c, key, path, sizeof path);
    if (rc != LAM_OK)
        return lam_err_set(errbuf, rc, "s3: object key must be 1-%d bytes", LAM_S3_KEY_MAX);
    const struct lam_sigv4_signer sg = signer_of(c);
    rc = lam_sigv4_presign(&sg, "GET", path, c->host, expires_s, now, query, sizeof query,
                           errbuf);
    if (rc == LAM_OK) {
        int n = snprintf(out, cap, "%s%s?%s", c->base_url, path, query);
        if (n < 0 || (size_t)n >= cap)
            rc = lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "s3: presigned URL over %zu bytes", cap);
    }
    explicit_bzero(query, sizeof query); /* it holds the session token */
    return rc;
}

/* ---- the client ---- */

enum lam_err lam_s3_open(const struct lam_s3_config *cfg, struct lam_s3 **out, char *errbuf)
{
    /* Reference counted by libcurl; balanced in lam_s3_close. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return lam_err_set(errbuf, LAM_ERR_HTTP, "s3: curl_global_init failed");
    struct lam_s3 *s = calloc(1, sizeof *s);
    if (s)
        s->curl = curl_easy_init();
    if (!s || !s->curl) {
        free(s);
        curl_global_cleanup();
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "s3: no memory for a curl handle");
    }
    s->cfg = cfg;
    *out = s;
    return LAM_OK;
}

void lam_s3_close(struct lam_s3 *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    curl_global_cleanup();
    free(s);
}

/* A reply body, capped (lambda/buf_int.h). */
struct resp {
    struct lam_buf b;
    int oom;
};

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
    struct resp *r = ud;
    size_t n = size * nmemb; /* size is 1 (libcurl documents it) */
    if (lam_buf_append(&r->b, data, n) != 0) {
        r->oom = 1;
        return 0;
    }
    return r->b.over ? 0 : n; /* 0 ends the transfer: never a cut-off body */
}

/* curl copies each line; the stack copy is wiped here, the list's copies
   before they are freed (wipe_headers). */
static int add_header(struct curl_slist **l, const char *name, const char *value)
{
    char line[LINE_CAP];
    int n = snprintf(line, sizeof line, "%s: %s", name, value);
    struct curl_slist *nl = n < 0 || (size_t)n >= sizeof line ? NULL : curl_slist_append(*l, line);
    explicit_bzero(line, sizeof line);
    if (!nl)
        return 0;
    *l = nl;
    return 1;
}

static void wipe_headers(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* The S3 error code of an XML error reply, if it has a sane one. */
static void s3_code(const struct resp *r, char code[CODE_MAX])
{
    code[0] = '\0';
    const char *s = r->b.data ? strstr(r->b.data, "<Code>") : NULL;
    if (!s)
        return;
    s += 6;
    size_t i = 0;
    while (i < CODE_MAX - 1 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                                (s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
        i++;
    if (strncmp(s + i, "</Code>", 7) == 0) {
        memcpy(code, s, i);
        code[i] = '\0';
    }
}

static int is_auth_code(const char *code)
{
    static const char *const auth[] = {
        "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken",
        "TokenRefreshRequired", "RequestTimeTooSkewed", "AuthorizationHeaderMalformed",
        "InvalidSecurity", "MissingSecurityHeader",
    };
    for (size_t i = 0; i < sizeof auth / sizeof auth[0]; i++)
        if (strcmp(code, auth[i]) == 0)
            return 1;
    return 0;
}

static enum lam_err status_error(long status, const char *code, const char *method,
                                 const char *key, char *errbuf)
{
    enum lam_err e = status == 404        ? LAM_ERR_S3_NOT_FOUND
                     : is_auth_code(code) ? LAM_ERR_S3_AUTH
                     : status == 403      ? LAM_ERR_S3_DENIED
                                          : LAM_ERR_HTTP_STATUS;
    return lam_err_set(errbuf, e, "s3: %s %s: HTTP %ld %s", method, key, status,
                       code[0] ? code : "(no S3 error code)");
}

#define SET(opt, val)                                                                            \
    do {                                                                                         \
        if (cc == CURLE_OK)                                                                      \
            cc = curl_easy_setopt(s->curl, opt, val);                                            \
    } while (0)

/* One signed request; the reply body goes to resp, its status to *status. */
static enum lam_err perform(struct lam_s3 *s, const char *method, const char *key,
                            const uint8_t *body, size_t len, const char *ctype,
                            const char *cenc, struct resp *resp, long *status, char *errbuf)
{
    const struct lam_s3_config *c = s->cfg;
    char path[PATH_CAP], url[URL_CAP];
    enum lam_err rc = object_path(c, key, path, sizeof path);
    if (rc != LAM_OK)
        return lam_err_set(errbuf, rc, "s3: object key must be 1-%d bytes", LAM_S3_KEY_MAX);
    int n = snprintf(url, sizeof url, "%s%s", c->base_url, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "s3: URL too long");
    const struct lam_sigv4_signer sg = signer_of(c);
    const struct lam_sigv4_header sh[3] = {
        {"host", c->host}, {"content-type", ctype}, {"content-encoding", cenc}};
    const struct lam_sigv4_request req = {.method = method,
                                          .path = path,
                                          .headers = sh,
                                          .n_headers = ctype ? (cenc ? 3 : 2) : 1,
                                          .body = body,
                                          .body_len = len};
    struct lam_sigv4_out so;
    if ((rc = lam_sigv4_sign(&sg, &req, time(NULL), &so, errbuf)) != LAM_OK)
        return rc;

    struct curl_slist *hl = NULL;
    int ok = add_header(&hl, "Host", c->host) && add_header(&hl, "x-amz-date", so.amz_date) &&
             add_header(&hl, "x-amz-content-sha256", so.content_sha256) &&
             (!c->session_token || add_header(&hl, "x-amz-security-token", c->session_token)) &&
             add_header(&hl, "Authorization", so.authorization) &&
             (!ctype || (add_header(&hl, "Content-Type", ctype) &&
                         (!cenc || add_header(&hl, "Content-Encoding", cenc)) &&
                         (hl = curl_slist_append(hl, "Expect:")) != NULL));
    explicit_bzero(&so, sizeof so);
    if (!ok) {
        rc = lam_err_set(errbuf, LAM_ERR_NOMEM, "s3: no memory for headers");
        goto out;
    }

    CURLcode cc = CURLE_OK;
    curl_easy_reset(s->curl);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PATH_AS_IS, 1L); /* the path was signed as is: no dot squashing */
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
    SET(CURLOPT_HTTPHEADER, hl);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, resp);
    SET(CURLOPT_ERRORBUFFER, s->curl_err);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->body_max);
    if (ctype) {
        SET(CURLOPT_CUSTOMREQUEST, method);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        SET(CURLOPT_POSTFIELDS, body ? (const char *)body : "");
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
    if (cc != CURLE_OK) {
        rc = lam_err_set(errbuf, cc == CURLE_OUT_OF_MEMORY ? LAM_ERR_NOMEM : LAM_ERR_HTTP,
                         "s3: curl option: %s", curl_easy_strerror(cc));
        goto out;
    }
    s->curl_err[0] = '\0';
    cc = curl_easy_perform(s->curl);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, status);
        rc = LAM_OK;
    } else if (resp->b.over || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "s3: %s %s: reply over %zu bytes", method,
                         key, c->body_max);
    } else if (resp->oom || cc == CURLE_OUT_OF_MEMORY) {
        rc = lam_err_set(errbuf, LAM_ERR_NOMEM, "s3: %s %s: no memory for the reply", method,
                         key);
    } else {
        rc = lam_err_set(errbuf, LAM_ERR_HTTP, "s3: %s %s: %s%s%s", method, key,
                         curl_easy_strerror(cc), s->curl_err[0] ? ": " : "", s->curl_err);
    }
out:
    /* The handle keeps pointers to the list and the body until the next
       reset; drop them now so nothing dangles between requests. */
    curl_easy_reset(s->curl);
    wipe_headers(hl);
    return rc;
}

enum lam_err lam_s3_get(struct lam_s3 *s, const char *key, uint8_t **body, size_t *len,
                        char *errbuf)
{
    struct resp r = {.b = {.limit = s->cfg->body_max}};
    char code[CODE_MAX];
    long status = 0;
    enum lam_err rc = perform(s, "GET", key, NULL, 0, NULL, NULL, &r, &status, errbuf);
    if (rc != LAM_OK)
        goto out;
    if (status == 200) {
        if (!r.b.data && !(r.b.data = calloc(1, 1))) {
            rc = LAM_ERR_NOMEM;
            goto out;
        }
        *body = (uint8_t *)r.b.data;
        *len = r.b.len;
        return LAM_OK;
    }
    s3_code(&r, code);
    if (status == 404 && strcmp(code, "NoSuchBucket") != 0) {
        *body = NULL; /* no such key: a plain miss */
        *len = 0;
    } else {
        rc = status_error(status, code, "GET", key, errbuf);
    }
out:
    lam_buf_free(&r.b);
    return rc;
}

enum lam_err lam_s3_put(struct lam_s3 *s, const char *key, const uint8_t *body, size_t len,
                        const char *content_type, char *errbuf)
{
    return lam_s3_put_encoded(s, key, body, len, content_type, NULL, errbuf);
}

enum lam_err lam_s3_put_encoded(struct lam_s3 *s, const char *key, const uint8_t *body,
                                size_t len, const char *content_type,
                                const char *content_encoding, char *errbuf)
{
    struct resp r = {.b = {.limit = 1u << 20}}; /* a PUT reply is empty or an error */
    char code[CODE_MAX];
    long status = 0;
    if (!content_type || !content_type[0] || strpbrk(content_type, "\r\n"))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "s3: PUT needs a Content-Type");
    if (content_encoding && (!content_encoding[0] || strpbrk(content_encoding, "\r\n")))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "s3: bad Content-Encoding");
    enum lam_err rc = perform(s, "PUT", key, body, len, content_type, content_encoding, &r,
                              &status, errbuf);
    if (rc == LAM_OK && (status < 200 || status > 299)) {
        s3_code(&r, code);
        rc = status_error(status, code, "PUT", key, errbuf);
    }
    lam_buf_free(&r.b);
    return rc;
}
