/*
 * sigv4.c - AWS Signature Version 4, stage by stage (see sigv4.h).
 *
 * The canonical request is built in one capped buffer; every input is
 * checked before it is used, because a header value with a newline or a
 * path that is not what goes on the wire would yield a signature for a
 * different request than the one sent. OpenSSL does the hashing (EVP) and
 * the HMACs; key material on the stack is wiped with OPENSSL_cleanse.
 *
 * One file (a little past 800 lines): the stages share the capped buffer
 * and the checks above, and each is small; they read best in signing order.
 * The S3 client that uses the signer is apart (s3.c).
 */
#include "lambda/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TOKEN_MAX 8192 /* session tokens are 1-2 KiB in practice */
#define ACCESS_KEY_MAX 128

static const char hex_lower[] = "0123456789abcdef";
static const char hex_upper[] = "0123456789ABCDEF";

/* A growable string with a hard cap. The first failure (cap reached or
   allocation failed) is kept in err and later appends do nothing, so a
   builder checks once at the end. */
struct sbuf {
    char *p;
    size_t len, cap;
    enum lam_err err;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->err != LAM_OK)
        return;
    if (n > LAM_SIGV4_CREQ_MAX - b->len) {
        b->err = LAM_ERR_TOO_LARGE;
        return;
    }
    size_t need = b->len + n + 1; /* <= LAM_SIGV4_CREQ_MAX + 1 */
    if (need > b->cap) {
        size_t ncap = b->cap ? b->cap : 512;
        while (ncap < need)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->err = LAM_ERR_NOMEM;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_ch(struct sbuf *b, char c)
{
    sb_add(b, &c, 1);
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 7230 tchar: what a header name may be made of. */
static int is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void sb_encode_byte(struct sbuf *b, unsigned char c)
{
    if (is_unreserved(c)) {
        sb_ch(b, (char)c);
    } else {
        char e[3] = {'%', hex_upper[c >> 4], hex_upper[c & 15]};
        sb_add(b, e, 3);
    }
}

static void to_hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_lower[in[i] >> 4];
        out[2 * i + 1] = hex_lower[in[i] & 15];
    }
    out[2 * n] = '\0';
}

enum lam_err lam_sigv4_sha256_hex(const void *data, size_t len, char out[LAM_SIGV4_HEX_LEN + 1])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(data ? data : "", len, md, &n, EVP_sha256(), NULL) || n != 32)
        return LAM_ERR_CRYPTO;
    to_hex(md, 32, out);
    return LAM_OK;
}

static int hmac256(const uint8_t *key, size_t klen, const void *msg, size_t mlen,
                   uint8_t out[32])
{
    unsigned int n = 0;
    return HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n) && n == 32;
}

enum lam_err lam_sigv4_uri_encode(const uint8_t *in, size_t len, int keep_slash, char *out,
                                  size_t cap, size_t *out_len)
{
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = in[i];
        size_t w = (is_unreserved(c) || (keep_slash && c == '/')) ? 1 : 3;
        if (cap - j <= w) /* keep room for the NUL */
            return LAM_ERR_TOO_LARGE;
        if (w == 1) {
            out[j++] = (char)c;
        } else {
            out[j++] = '%';
            out[j++] = hex_upper[c >> 4];
            out[j++] = hex_upper[c & 15];
        }
    }
    if (cap - j < 1)
        return LAM_ERR_TOO_LARGE;
    out[j] = '\0';
    *out_len = j;
    return LAM_OK;
}

/* ---- inputs ---- */

static int name_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

static enum lam_err check_scope(const struct lam_sigv4_signer *s, char *errbuf)
{
    if (!name_ok(s->region, LAM_SIGV4_NAME_MAX))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: region must be 1-%d of [a-z0-9-]",
                           LAM_SIGV4_NAME_MAX);
    if (!name_ok(s->service, LAM_SIGV4_NAME_MAX))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: service must be 1-%d of [a-z0-9-]", LAM_SIGV4_NAME_MAX);
    return LAM_OK;
}

static enum lam_err check_access_key(const char *id, char *errbuf)
{
    size_t n = id ? strlen(id) : 0;
    int ok = n > 0 && n <= ACCESS_KEY_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
    if (!ok)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: access key id must be 1-%d of [A-Za-z0-9]", ACCESS_KEY_MAX);
    return LAM_OK;
}

/* Printable ASCII without spaces: what a secret key or token consists of. */
static int visible_ascii(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

static int has_token(const struct lam_sigv4_signer *s)
{
    return s->session_token && s->session_token[0];
}

/* "20150830T123600Z" and "20150830" for a time. */
static enum lam_err format_date(time_t now, char amz[LAM_SIGV4_DATE_LEN + 1], char day[9],
                                char *errbuf)
{
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
        strftime(amz, LAM_SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm) != LAM_SIGV4_DATE_LEN)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: time %lld out of range",
                           (long long)now);
    memcpy(day, amz, 8);
    day[8] = '\0';
    return LAM_OK;
}

/* ---- stage 1: canonical request ---- */

/* S3: the path goes in as sent, so it must already be in encoded form. */
static enum lam_err path_s3(struct sbuf *b, const char *path, char *errbuf)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (is_unreserved(c) || c == '/')
            continue;
        if (c == '%' && i + 2 < n && hex_value((unsigned char)path[i + 1]) >= 0 &&
            hex_value((unsigned char)path[i + 2]) >= 0) {
            i += 2;
            continue;
        }
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: path byte 0x%02x at offset %zu is not URI-encoded (S3 "
                           "signs the path as sent)",
                           c, i);
    }
    sb_add(b, path, n);
    return LAM_OK;
}

/* Generic services: remove empty and dot segments (as the AWS SDKs do:
   ".." above the root is dropped, a trailing '/' is kept when anything
   remains), then encode each segment. */
static enum lam_err path_generic(struct sbuf *b, const char *path)
{
    size_t n = strlen(path), nseg = 1;
    for (size_t i = 0; i < n; i++)
        nseg += path[i] == '/';
    size_t *start = malloc(nseg * sizeof *start), *len = malloc(nseg * sizeof *len);
    if (!start || !len) {
        free(start);
        free(len);
        return LAM_ERR_NOMEM;
    }
    size_t top = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t sl = j - i;
        if (sl == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (top > 0)
                top--;
        } else if (sl > 0 && !(sl == 1 && path[i] == '.')) {
            start[top] = i;
            len[top] = sl;
            top++;
        }
        i = j + 1;
    }
    sb_ch(b, '/');
    for (size_t k = 0; k < top; k++) {
        if (k)
            sb_ch(b, '/');
        for (size_t i = 0; i < len[k]; i++)
            sb_encode_byte(b, (unsigned char)path[start[k] + i]);
    }
    if (top > 0 && n > 0 && path[n - 1] == '/')
        sb_ch(b, '/');
    free(start);
    free(len);
    return LAM_OK;
}

struct qparam {
    char *key, *value; /* strictly encoded, NUL-terminated */
};

/* Decodes %XX (a '%' without two hex digits stays itself) and re-encodes
   strictly, so "a%2Fb", "a/b" and "a%2fb" all become "a%2Fb". */
static char *query_component(const char *s, size_t n)
{
    struct sbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && i + 2 < n && hex_value((unsigned char)s[i + 1]) >= 0 &&
            hex_value((unsigned char)s[i + 2]) >= 0) {
            c = (unsigned char)(hex_value((unsigned char)s[i + 1]) * 16 +
                                hex_value((unsigned char)s[i + 2]));
            i += 2;
        }
        sb_encode_byte(&b, c);
    }
    sb_add(&b, "", 0);
    if (b.err != LAM_OK) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static enum lam_err query_canonical(struct sbuf *b, const char *query)
{
    size_t n = query ? strlen(query) : 0;
    if (n == 0)
        return LAM_OK;
    if (n > LAM_SIGV4_CREQ_MAX)
        return LAM_ERR_TOO_LARGE;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += query[i] == '&';
    struct qparam *p = calloc(cap, sizeof *p);
    if (!p)
        return LAM_ERR_NOMEM;
    enum lam_err rc = LAM_OK;
    size_t np = 0;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && query[j] != '&')
            j++;
        if (j > i) { /* "a=1&&b=2": the empty parameter is not one */
            const char *eq = memchr(query + i, '=', j - i);
            size_t kl = eq ? (size_t)(eq - (query + i)) : j - i;
            p[np].key = query_component(query + i, kl);
            p[np].value = eq ? query_component(eq + 1, (size_t)(query + j - eq - 1))
                             : query_component("", 0);
            if (!p[np].key || !p[np].value) {
                free(p[np].key);
                free(p[np].value);
                rc = LAM_ERR_NOMEM;
                goto out;
            }
            np++;
        }
        i = j + 1;
    }
    qsort(p, np, sizeof *p, qparam_cmp);
    for (size_t k = 0; k < np; k++) {
        if (k)
            sb_ch(b, '&');
        sb_str(b, p[k].key);
        sb_ch(b, '=');
        sb_str(b, p[k].value);
    }
out:
    for (size_t k = 0; k < np; k++) {
        free(p[k].key);
        free(p[k].value);
    }
    free(p);
    return rc;
}

struct hentry {
    char *name;  /* lower case */
    char *value; /* trimmed, runs of blanks collapsed */
    size_t order;
};

static int hentry_cmp(const void *a, const void *b)
{
    const struct hentry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return d;
}

static char *value_canonical(const char *v)
{
    size_t n = strlen(v), j = 0;
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    int blank = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            blank = 1;
            continue;
        }
        if (blank && j > 0)
            d[j++] = ' ';
        blank = 0;
        d[j++] = v[i];
    }
    d[j] = '\0';
    return d;
}

static int is_signer_header(const char *lname)
{
    return !strcmp(lname, "x-amz-date") || !strcmp(lname, "x-amz-content-sha256") ||
           !strcmp(lname, "x-amz-security-token") || !strcmp(lname, "authorization");
}

static enum lam_err check_header(const struct lam_sigv4_header *h, size_t i, char *errbuf)
{
    if (!h->name || !h->name[0] || !h->value)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: header %zu is empty", i);
    for (const char *p = h->name; *p; p++)
        if (!is_tchar((unsigned char)*p))
            return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                               "sigv4: header %zu has a name that is not an HTTP token", i);
    if (strpbrk(h->value, "\r\n"))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: header %zu has a line break in its value", i);
    return LAM_OK;
}

/* Adds "name:v1,v2\n" lines to b and "name;name" to sh. */
static enum lam_err headers_canonical(const struct lam_sigv4_signer *s,
                                      const struct lam_sigv4_request *r, const char *amz_date,
                                      const char *payload_hash, int presign, struct sbuf *b,
                                      struct sbuf *sh, char *errbuf)
{
    if (r->n_headers > LAM_SIGV4_HEADERS_MAX || (r->n_headers && !r->headers))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: %zu headers (at most %d)",
                           r->n_headers, LAM_SIGV4_HEADERS_MAX);
    size_t cap = r->n_headers + 3, n = 0;
    struct hentry *e = calloc(cap, sizeof *e);
    if (!e)
        return LAM_ERR_NOMEM;
    enum lam_err rc = LAM_OK;
    int have_host = 0;
    for (size_t i = 0; i < r->n_headers; i++) {
        if ((rc = check_header(&r->headers[i], i, errbuf)) != LAM_OK)
            goto out;
        e[n].name = lower_dup(r->headers[i].name);
        e[n].value = value_canonical(r->headers[i].value);
        e[n].order = n;
        n++;
        if (!e[n - 1].name || !e[n - 1].value) {
            rc = LAM_ERR_NOMEM;
            goto out;
        }
        if (is_signer_header(e[n - 1].name)) {
            rc = lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                             "sigv4: header %s is added by the signer", e[n - 1].name);
            goto out;
        }
        have_host |= !strcmp(e[n - 1].name, "host");
    }
    if (!have_host) {
        rc = lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: no host header");
        goto out;
    }
    const char *added[3][2] = {
        {"x-amz-date", amz_date},
        {"x-amz-content-sha256", s->body == LAM_SIGV4_BODY_HEADER ? payload_hash : NULL},
        {"x-amz-security-token", has_token(s) ? s->session_token : NULL},
    };
    for (size_t k = 0; k < 3; k++) {
        if (!added[k][1] || presign) /* presigned: they are query parameters */
            continue;
        e[n].name = strdup(added[k][0]);
        e[n].value = strdup(added[k][1]);
        e[n].order = n;
        n++;
        if (!e[n - 1].name || !e[n - 1].value) {
            rc = LAM_ERR_NOMEM;
            goto out;
        }
    }
    qsort(e, n, sizeof *e, hentry_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !strcmp(e[i].name, e[i - 1].name)) {
            sb_ch(b, ',');
        } else {
            if (i > 0) {
                sb_ch(b, '\n');
                sb_ch(sh, ';');
            }
            sb_str(b, e[i].name);
            sb_ch(b, ':');
            sb_str(sh, e[i].name);
        }
        sb_str(b, e[i].value);
    }
    sb_ch(b, '\n');
out:
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].value);
    }
    free(e);
    return rc;
}

static enum lam_err payload_hash(const struct lam_sigv4_request *r,
                                 char out[LAM_SIGV4_HEX_LEN + 1], char *errbuf)
{
    if (!r->payload_hash) {
        if (r->body_len && !r->body)
            return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: body is NULL");
        return lam_sigv4_sha256_hex(r->body, r->body_len, out);
    }
    size_t n = strlen(r->payload_hash);
    int ok = n == LAM_SIGV4_HEX_LEN;
    for (size_t i = 0; ok && i < n; i++)
        ok = strchr(hex_lower, r->payload_hash[i]) != NULL && r->payload_hash[i];
    if (!ok && strcmp(r->payload_hash, "UNSIGNED-PAYLOAD") != 0)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: payload hash must be 64 lower-case hex digits");
    memcpy(out, r->payload_hash, n + 1);
    return LAM_OK;
}

static enum lam_err check_signer(const struct lam_sigv4_signer *s, char *errbuf)
{
    if (s->mode != LAM_SIGV4_S3 && s->mode != LAM_SIGV4_GENERIC)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: unknown mode");
    if (s->body != LAM_SIGV4_BODY_HEADER && s->body != LAM_SIGV4_BODY_NO_HEADER)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: unknown body rule");
    if (has_token(s) && !visible_ascii(s->session_token, TOKEN_MAX))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: session token must be 1-%d visible ASCII characters",
                           TOKEN_MAX);
    return check_scope(s, errbuf);
}

/* Stage 1 for both kinds of signing: presign 1 signs only the caller's
   headers (date and token travel in the query). */
static enum lam_err canonical_request(const struct lam_sigv4_signer *s,
                                      const struct lam_sigv4_request *r, time_t now,
                                      int presign, struct lam_sigv4_creq *out, char *errbuf)
{
    struct lam_sigv4_creq c;
    struct sbuf b = {0}, sh = {0};
    char day[9];
    enum lam_err rc = check_signer(s, errbuf);
    if (rc != LAM_OK)
        return rc;
    memset(&c, 0, sizeof c);
    size_t ml = r->method ? strlen(r->method) : 0;
    if (ml == 0 || ml > 16 || strspn(r->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != ml)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: method must be 1-16 of [A-Z]");
    if (!r->path || r->path[0] != '/')
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: path must start with '/'");
    if (strlen(r->path) > LAM_SIGV4_CREQ_MAX) /* also bounds path_generic's arrays */
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "sigv4: path over %u bytes",
                           LAM_SIGV4_CREQ_MAX);
    if ((rc = format_date(now, c.amz_date, day, errbuf)) != LAM_OK ||
        (rc = payload_hash(r, c.payload_hash, errbuf)) != LAM_OK)
        return rc;

    sb_str(&b, r->method);
    sb_ch(&b, '\n');
    rc = s->mode == LAM_SIGV4_S3 ? path_s3(&b, r->path, errbuf) : path_generic(&b, r->path);
    if (rc != LAM_OK)
        goto out;
    sb_ch(&b, '\n');
    if ((rc = query_canonical(&b, r->query)) != LAM_OK)
        goto out;
    sb_ch(&b, '\n');
    rc = headers_canonical(s, r, c.amz_date, c.payload_hash, presign, &b, &sh, errbuf);
    if (rc != LAM_OK)
        goto out;
    sb_ch(&b, '\n');
    sb_add(&b, sh.p, sh.len);
    sb_ch(&b, '\n');
    sb_str(&b, c.payload_hash);
    rc = b.err != LAM_OK ? b.err : sh.err;
    if (rc != LAM_OK)
        goto out;
    c.text = b.p;
    c.len = b.len;
    c.signed_headers = sh.p;
    *out = c;
    return LAM_OK;
out:
    if (rc == LAM_ERR_TOO_LARGE)
        lam_err_set(errbuf, rc, "sigv4: canonical request over %u bytes", LAM_SIGV4_CREQ_MAX);
    free(b.p);
    free(sh.p);
    return rc;
}

enum lam_err lam_sigv4_canonical_request(const struct lam_sigv4_signer *s,
                                         const struct lam_sigv4_request *r, time_t now,
                                         struct lam_sigv4_creq *out, char *errbuf)
{
    return canonical_request(s, r, now, 0, out, errbuf);
}

void lam_sigv4_creq_clear(struct lam_sigv4_creq *c)
{
    if (!c)
        return;
    free(c->text);
    free(c->signed_headers);
    c->text = c->signed_headers = NULL;
    c->len = 0;
}

/* ---- stages 2-5 ---- */

enum lam_err lam_sigv4_string_to_sign(const struct lam_sigv4_signer *s, time_t now,
                                      const char *creq, size_t creq_len,
                                      char out[LAM_SIGV4_STS_MAX], char *errbuf)
{
    char amz[LAM_SIGV4_DATE_LEN + 1], day[9], hash[LAM_SIGV4_HEX_LEN + 1];
    enum lam_err rc = check_scope(s, errbuf);
    if (rc != LAM_OK || (rc = format_date(now, amz, day, errbuf)) != LAM_OK)
        return rc;
    if ((rc = lam_sigv4_sha256_hex(creq, creq_len, hash)) != LAM_OK)
        return lam_err_set(errbuf, rc, "sigv4: SHA-256 failed");
    int n = snprintf(out, LAM_SIGV4_STS_MAX, ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s", amz,
                     day, s->region, s->service, hash);
    if (n < 0 || n >= LAM_SIGV4_STS_MAX)
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "sigv4: string to sign too long");
    return LAM_OK;
}

enum lam_err lam_sigv4_signing_key(const struct lam_sigv4_signer *s, time_t now,
                                   uint8_t key[LAM_SIGV4_KEY_LEN], char *errbuf)
{
    char amz[LAM_SIGV4_DATE_LEN + 1], day[9];
    uint8_t secret[4 + LAM_SIGV4_SECRET_MAX], k1[32], k2[32], k3[32];
    enum lam_err rc = check_scope(s, errbuf);
    if (rc != LAM_OK || (rc = format_date(now, amz, day, errbuf)) != LAM_OK)
        return rc;
    if (!s->secret_access_key || !visible_ascii(s->secret_access_key, LAM_SIGV4_SECRET_MAX))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: secret key must be 1-%d visible ASCII characters",
                           LAM_SIGV4_SECRET_MAX);
    size_t sl = strlen(s->secret_access_key);
    memcpy(secret, "AWS4", 4);
    memcpy(secret + 4, s->secret_access_key, sl);
    int ok = hmac256(secret, 4 + sl, day, 8, k1) &&
             hmac256(k1, 32, s->region, strlen(s->region), k2) &&
             hmac256(k2, 32, s->service, strlen(s->service), k3) &&
             hmac256(k3, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(k1, sizeof k1);
    OPENSSL_cleanse(k2, sizeof k2);
    OPENSSL_cleanse(k3, sizeof k3);
    if (!ok)
        return lam_err_set(errbuf, LAM_ERR_CRYPTO, "sigv4: HMAC-SHA256 failed");
    return LAM_OK;
}

enum lam_err lam_sigv4_signature(const uint8_t key[LAM_SIGV4_KEY_LEN], const char *sts,
                                 char sig[LAM_SIGV4_HEX_LEN + 1], char *errbuf)
{
    uint8_t mac[32];
    if (!hmac256(key, LAM_SIGV4_KEY_LEN, sts, strlen(sts), mac))
        return lam_err_set(errbuf, LAM_ERR_CRYPTO, "sigv4: HMAC-SHA256 failed");
    to_hex(mac, 32, sig);
    return LAM_OK;
}

enum lam_err lam_sigv4_authorization(const struct lam_sigv4_signer *s, time_t now,
                                     const char *signed_headers, const char *sig, char *out,
                                     size_t cap, char *errbuf)
{
    char amz[LAM_SIGV4_DATE_LEN + 1], day[9];
    enum lam_err rc = check_scope(s, errbuf);
    if (rc != LAM_OK || (rc = check_access_key(s->access_key_id, errbuf)) != LAM_OK ||
        (rc = format_date(now, amz, day, errbuf)) != LAM_OK)
        return rc;
    if (!signed_headers || !signed_headers[0] || strpbrk(signed_headers, " ,\r\n") ||
        !sig || strlen(sig) != LAM_SIGV4_HEX_LEN || strspn(sig, hex_lower) != LAM_SIGV4_HEX_LEN)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: malformed signed-headers list or signature");
    int n = snprintf(out, cap,
                     ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
                               "Signature=%s",
                     s->access_key_id, day, s->region, s->service, signed_headers, sig);
    if (n < 0 || (size_t)n >= cap)
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE,
                           "sigv4: Authorization value over %zu bytes", cap);
    return LAM_OK;
}

/* Stages 2-4: the signature of a canonical request. */
static enum lam_err sign_creq(const struct lam_sigv4_signer *s, const struct lam_sigv4_creq *c,
                              time_t now, char sig[LAM_SIGV4_HEX_LEN + 1], char *errbuf)
{
    char sts[LAM_SIGV4_STS_MAX];
    uint8_t key[LAM_SIGV4_KEY_LEN];
    enum lam_err rc;
    if ((rc = lam_sigv4_string_to_sign(s, now, c->text, c->len, sts, errbuf)) != LAM_OK ||
        (rc = lam_sigv4_signing_key(s, now, key, errbuf)) != LAM_OK)
        return rc;
    rc = lam_sigv4_signature(key, sts, sig, errbuf);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

enum lam_err lam_sigv4_sign(const struct lam_sigv4_signer *s, const struct lam_sigv4_request *r,
                            time_t now, struct lam_sigv4_out *out, char *errbuf)
{
    struct lam_sigv4_creq c;
    struct lam_sigv4_out o;
    char sig[LAM_SIGV4_HEX_LEN + 1];
    enum lam_err rc = check_access_key(s->access_key_id, errbuf);
    if (rc != LAM_OK || (rc = lam_sigv4_canonical_request(s, r, now, &c, errbuf)) != LAM_OK)
        return rc;
    if ((rc = sign_creq(s, &c, now, sig, errbuf)) != LAM_OK)
        goto out;
    rc = lam_sigv4_authorization(s, now, c.signed_headers, sig, o.authorization,
                                 sizeof o.authorization, errbuf);
    if (rc != LAM_OK)
        goto out;
    memcpy(o.amz_date, c.amz_date, sizeof o.amz_date);
    if (s->body == LAM_SIGV4_BODY_HEADER)
        memcpy(o.content_sha256, c.payload_hash, sizeof o.content_sha256);
    else
        o.content_sha256[0] = '\0';
    *out = o;
out:
    lam_sigv4_creq_clear(&c);
    return rc;
}

/* ---- query-string authentication (presigned URLs) ---- */

enum lam_err lam_sigv4_presign(const struct lam_sigv4_signer *s, const char *method,
                               const char *path, const char *host, long expires_s, time_t now,
                               char *out, size_t cap, char *errbuf)
{
    char amz[LAM_SIGV4_DATE_LEN + 1], day[9], sig[LAM_SIGV4_HEX_LEN + 1];
    struct sbuf q = {0};
    struct lam_sigv4_creq c;
    enum lam_err rc;
    if (expires_s < 1 || expires_s > LAM_SIGV4_PRESIGN_MAX_S)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG,
                           "sigv4: a presigned URL expires after 1 to %d seconds",
                           LAM_SIGV4_PRESIGN_MAX_S);
    if ((rc = check_signer(s, errbuf)) != LAM_OK ||
        (rc = check_access_key(s->access_key_id, errbuf)) != LAM_OK ||
        (rc = format_date(now, amz, day, errbuf)) != LAM_OK)
        return rc;
    if (!host || !host[0] || strpbrk(host, "\r\n"))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "sigv4: no host header");

    /* The parameters in the order of S3's documented example (the
       canonical form sorts them anyway); values encoded as they go out. */
    char cred[ACCESS_KEY_MAX + 2 * LAM_SIGV4_NAME_MAX + 64], num[24];
    snprintf(cred, sizeof cred, "%s/%s/%s/%s/aws4_request", s->access_key_id, day, s->region,
             s->service);
    snprintf(num, sizeof num, "%ld", expires_s);
    const char *params[][2] = {
        {"X-Amz-Algorithm", ALGORITHM},
        {"X-Amz-Credential", cred},
        {"X-Amz-Date", amz},
        {"X-Amz-Expires", num},
        {"X-Amz-Security-Token", has_token(s) ? s->session_token : NULL},
        {"X-Amz-SignedHeaders", "host"},
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        if (!params[i][1])
            continue;
        if (q.len)
            sb_ch(&q, '&');
        sb_str(&q, params[i][0]);
        sb_ch(&q, '=');
        for (const char *p = params[i][1]; *p; p++)
            sb_encode_byte(&q, (unsigned char)*p);
    }
    if (q.err != LAM_OK) {
        rc = q.err;
        goto out;
    }
    const struct lam_sigv4_header hh = {"host", host};
    const struct lam_sigv4_request r = {.method = method,
                                        .path = path,
                                        .query = q.p,
                                        .headers = &hh,
                                        .n_headers = 1,
                                        .payload_hash = "UNSIGNED-PAYLOAD"};
    if ((rc = canonical_request(s, &r, now, 1, &c, errbuf)) != LAM_OK)
        goto out;
    rc = sign_creq(s, &c, now, sig, errbuf);
    lam_sigv4_creq_clear(&c);
    if (rc != LAM_OK)
        goto out;
    int n = snprintf(out, cap, "%s&X-Amz-Signature=%s", q.p, sig);
    if (n < 0 || (size_t)n >= cap)
        rc = lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "sigv4: presigned query over %zu bytes",
                         cap);
out:
    if (q.p)
        OPENSSL_cleanse(q.p, q.len); /* it may hold the session token */
    free(q.p);
    return rc;
}
