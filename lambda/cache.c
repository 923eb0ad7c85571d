/*
 * cache.c - the result cache over a local directory or S3 (see cache.h).
 *
 * Directory writes: mkstemp in the cache directory itself (same file
 * system, so rename is atomic), write everything, fdatasync, rename over the
 * entry; any failure unlinks the temporary file. Reads open with O_NOFOLLOW
 * and O_NONBLOCK and accept only a regular file, so a planted symlink or
 * FIFO is a miss rather than a redirect or a hang. Every entry served, from
 * either backend, is checked to be JSON first: a cache that can hand out a
 * truncated or foreign body is worse than no cache. The check is a syntax
 * scan that builds nothing (a cJSON tree of a 500 KB trace costs ~16 ms).
 * Sealed entries are encrypted and authenticated (AES-256-GCM, see
 * SEAL_MAGIC).
 */
#include "lambda/cache.h"
#include "lambda/s3.h"
#include "lambda/sigv4.h"
#include "tracer/request.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SPP_VERSION
#error "SPP_VERSION must be defined (the Makefile passes -DSPP_VERSION from VERSION)"
#endif
#define KEY_VERSION "spp-trace " SPP_VERSION

#define S3_PREFIX "cache/"

struct lam_cache {
    char *dir;         /* directory backend; NULL with S3 */
    struct lam_s3 *s3; /* S3 backend */
    int sealed;        /* directory entries are encrypted and authenticated */
    unsigned char seal_key[LAM_CACHE_SEAL_KEY_LEN];
};

/* A sealed entry (where traced programs share our uid and could read or
   write the directory) is SEAL_MAGIC, a random 12-byte nonce, the body
   encrypted with AES-256-GCM under the process's key, and the 16-byte tag;
   the cache key and version are the associated data, so an entry copied
   under another request's name does not authenticate. Reading one gains a
   program nothing; rewriting one makes it a miss. */
#define SEAL_MAGIC "spp-aes-256-gcm-1\n"
#define SEAL_MAGIC_LEN (sizeof SEAL_MAGIC - 1)
#define SEAL_IV 12
#define SEAL_TAG 16
#define SEAL_LEN (SEAL_MAGIC_LEN + SEAL_IV + SEAL_TAG)

enum lam_err lam_cache_key(const struct tr_request *r, char key[LAM_CACHE_KEY_LEN + 1])
{
    char *canon = tr_request_canonical(r);
    if (!canon)
        return LAM_ERR_NOMEM;
    size_t cl = strlen(canon), vl = strlen(KEY_VERSION);
    char *text = malloc(cl + 1 + vl);
    if (!text) {
        free(canon);
        return LAM_ERR_NOMEM;
    }
    memcpy(text, canon, cl);
    text[cl] = '\n';
    memcpy(text + cl + 1, KEY_VERSION, vl);
    enum lam_err rc = lam_sigv4_sha256_hex(text, cl + 1 + vl, key);
    free(text);
    free(canon);
    return rc;
}

enum lam_err lam_cache_key_variant(const char key[LAM_CACHE_KEY_LEN + 1], size_t cap,
                                   enum lam_cache_enc enc, char out[LAM_CACHE_KEY_LEN + 1])
{
    char text[LAM_CACHE_KEY_LEN + 64];
    if (cap == 0 && enc == LAM_CACHE_JSON) {
        memmove(out, key, LAM_CACHE_KEY_LEN + 1);
        return LAM_OK;
    }
    int n = snprintf(text, sizeof text, "%.64s\nresponse cap %zu, %s", key, cap,
                     enc == LAM_CACHE_GZIP ? "gzip" : "json");
    return lam_sigv4_sha256_hex(text, (size_t)n, out);
}

/* Keys are file names and S3 key parts: only exactly what lam_cache_key
   makes gets through, so no key can name another path. */
static int key_ok(const char *key)
{
    if (!key || strlen(key) != LAM_CACHE_KEY_LEN)
        return 0;
    return strspn(key, "0123456789abcdef") == LAM_CACHE_KEY_LEN;
}

/* ---- entry check: one JSON object (RFC 8259), without building it ---- */

#define JSON_DEPTH_MAX 1000 /* as cJSON's nesting limit */

static size_t json_ws(const unsigned char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Each scanner gets i at the token's first byte and returns the index just
   past it, or 0 when the token is malformed (0 is never a valid end: the
   document starts with '{'). Bytes >= 0x80 are not checked as UTF-8. */
/* Bytes that stand for themselves inside a string: the hot loop. */
static const unsigned char str_plain[256] = {
    [0x20 ... 0x21] = 1, /* '"' is 0x22 */
    [0x23 ... 0x5b] = 1, /* '\\' is 0x5c */
    [0x5d ... 0xff] = 1,
};

static size_t json_string(const unsigned char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        while (i < n && str_plain[s[i]])
            i++;
        if (i >= n)
            return 0;
        if (s[i] == '"')
            return i + 1;
        if (s[i] < 0x20)
            return 0;
        if (s[i] != '\\')
            continue;
        if (++i >= n)
            return 0;
        if (s[i] == 'u') {
            if (n - i < 5 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]) || !is_hex(s[i + 3]) ||
                !is_hex(s[i + 4]))
                return 0;
            i += 4;
        } else if (!memchr("\"\\/bfnrt", s[i], 8)) {
            return 0;
        }
    }
    return 0;
}

static size_t json_digits(const unsigned char *s, size_t i, size_t n)
{
    size_t start = i;
    while (i < n && is_digit(s[i]))
        i++;
    return i > start ? i : 0;
}

static size_t json_number(const unsigned char *s, size_t i, size_t n)
{
    if (s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i >= n || !(i = json_digits(s, i, n)))
        return 0;
    if (i < n && s[i] == '.' && !(i = json_digits(s, i + 1, n)))
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!(i = json_digits(s, i, n)))
            return 0;
    }
    return i;
}

static size_t json_scalar(const unsigned char *s, size_t i, size_t n)
{
    static const char *const lit[] = {"true", "false", "null"};
    if (s[i] == '"')
        return json_string(s, i, n);
    if (s[i] == '-' || is_digit(s[i]))
        return json_number(s, i, n);
    for (size_t k = 0; k < 3; k++) {
        size_t l = strlen(lit[k]);
        if (n - i >= l && memcmp(s + i, lit[k], l) == 0)
            return i + l;
    }
    return 0;
}

/* 1 when text is one JSON object with nothing but blanks around it. A
   state machine over an explicit stack, so hostile nesting costs memory
   we bound, not C stack. */
static int json_object_ok(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    unsigned char open[JSON_DEPTH_MAX]; /* '{' or '[' per level */
    size_t depth = 0, i = json_ws(s, 0, n);
    enum { VALUE, KEY, AFTER } st = VALUE;
    if (i >= n || s[i] != '{')
        return 0;
    for (;;) {
        i = json_ws(s, i, n);
        if (st == AFTER && depth == 0)
            return i == n;
        if (i >= n)
            return 0;
        unsigned char c = s[i];
        switch (st) {
        case VALUE:
            if (c == '{' || c == '[') {
                if (depth == JSON_DEPTH_MAX)
                    return 0;
                open[depth++] = c;
                i = json_ws(s, i + 1, n);
                if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                    depth--;
                    i++;
                    st = AFTER;
                } else {
                    st = c == '{' ? KEY : VALUE;
                }
            } else {
                if (!(i = json_scalar(s, i, n)))
                    return 0;
                st = AFTER;
            }
            break;
        case KEY:
            if (c != '"' || !(i = json_string(s, i, n)))
                return 0;
            i = json_ws(s, i, n);
            if (i >= n || s[i] != ':')
                return 0;
            i++;
            st = VALUE;
            break;
        case AFTER:
            if (c == ',') {
                i++;
                st = open[depth - 1] == '{' ? KEY : VALUE;
            } else if (c == (open[depth - 1] == '{' ? '}' : ']')) {
                i++;
                depth--;
            } else {
                return 0;
            }
            break;
        }
    }
}

static enum lam_err check_entry(const char *body, size_t len, enum lam_cache_enc enc,
                               char *errbuf)
{
    if (enc == LAM_CACHE_GZIP) {
        /* a gzip member (RFC 1952: magic, deflate) and a trailer's room;
           its body is checked by the CRC every decoder verifies, and what
           it holds by the handler (lam_gzip_is_marked) */
        const unsigned char *u = (const unsigned char *)body;
        if (len < 18 || u[0] != 0x1f || u[1] != 0x8b || u[2] != 8)
            return lam_err_set(errbuf, LAM_ERR_CORRUPT,
                               "cache: entry of %zu bytes is not a gzip member", len);
        return LAM_OK;
    }
    if (!json_object_ok(body, len))
        return lam_err_set(errbuf, LAM_ERR_CORRUPT,
                           "cache: entry of %zu bytes is not a JSON object", len);
    return LAM_OK;
}

/* ---- directory backend ---- */

/* The default directory, into out. */
static enum lam_err default_dir(char *out, size_t cap, char *errbuf)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/') /* relative values are invalid (XDG spec) */
        n = snprintf(out, cap, "%s/spp-trace", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, cap, "%s/.cache/spp-trace", home);
    else
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                           "cache dir: neither XDG_CACHE_HOME nor HOME is an absolute path");
    if (n < 0 || (size_t)n >= cap)
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "cache dir: path too long");
    return LAM_OK;
}

/* mkdir -p with mode 0700 for what it creates; existing parts are left as
   they are. Then the directory itself must be ours and closed to others. */
static enum lam_err make_dir(char *path, char *errbuf)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        path[--n] = '\0';
    for (size_t i = 1; i <= n; i++) {
        if (i < n && path[i] != '/')
            continue;
        char saved = path[i];
        path[i] = '\0';
        int r = mkdir(path, 0700);
        int e = errno;
        path[i] = saved;
        if (r != 0 && e != EEXIST)
            return lam_err_set(errbuf, LAM_ERR_IO, "cache dir: mkdir %.*s: %s", (int)i, path,
                               strerror(e));
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return lam_err_set(errbuf, LAM_ERR_IO, "cache dir: %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "cache dir: %s is not a directory", path);
    if (st.st_uid != geteuid() || (st.st_mode & 022))
        return lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                           "cache dir: %s is not owned by us or is writable by others", path);
    return LAM_OK;
}

/* AES-256-GCM over body (encrypt 1) or a sealed entry's ciphertext
   (encrypt 0) into out; the tag is written (encrypt) or checked. 0 or -1. */
static int gcm(const struct lam_cache *c, int encrypt, const char *key,
               const unsigned char iv[SEAL_IV], const unsigned char *in, size_t len,
               unsigned char *out, unsigned char tag[SEAL_TAG])
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx && len <= INT_MAX;
    char aad[LAM_CACHE_KEY_LEN + sizeof KEY_VERSION + 1];
    int alen = snprintf(aad, sizeof aad, "%s\n%s", key, KEY_VERSION);
    ok = ok && alen > 0 && (size_t)alen < sizeof aad &&
         EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_IV, NULL) == 1 &&
         EVP_CipherInit_ex(ctx, NULL, NULL, c->seal_key, iv, encrypt) == 1 &&
         EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, alen) == 1 &&
         (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + (len ? n : 0), &n) == 1;
    if (ok && encrypt)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

/* Decrypt and authenticate a sealed entry read from the directory, in
   place of buf (*len becomes the body's length, NUL-terminated). */
static enum lam_err unseal(const struct lam_cache *c, const char *key, char *buf, size_t *len,
                           char *errbuf)
{
    size_t n = *len;
    if (n < SEAL_LEN || memcmp(buf, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0)
        return lam_err_set(errbuf, LAM_ERR_CORRUPT, "cache dir: %s.json is not sealed", key);
    const unsigned char *iv = (const unsigned char *)buf + SEAL_MAGIC_LEN;
    const unsigned char *ct = iv + SEAL_IV;
    size_t clen = n - SEAL_LEN;
    unsigned char tag[SEAL_TAG];
    memcpy(tag, ct + clen, SEAL_TAG);
    unsigned char *plain = malloc(clen + 1);
    if (!plain)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    if (gcm(c, 0, key, iv, ct, clen, plain, tag) != 0) {
        OPENSSL_cleanse(plain, clen);
        free(plain);
        return lam_err_set(errbuf, LAM_ERR_CORRUPT,
                           "cache dir: %s.json has a wrong seal (not ours, altered or moved)",
                           key);
    }
    memcpy(buf, plain, clen);
    OPENSSL_cleanse(plain, clen);
    free(plain);
    buf[clen] = '\0';
    *len = clen;
    return LAM_OK;
}

static enum lam_err entry_path(const struct lam_cache *c, const char *key, char *out,
                               size_t cap)
{
    int n = snprintf(out, cap, "%s/%s.json", c->dir, key);
    return n < 0 || (size_t)n >= cap ? LAM_ERR_TOO_LARGE : LAM_OK;
}

static enum lam_err dir_get(const struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                            char **body,
                            size_t *len, char *errbuf)
{
    char path[PATH_MAX];
    struct stat st;
    enum lam_err rc = entry_path(c, key, path, sizeof path);
    if (rc != LAM_OK)
        return lam_err_set(errbuf, rc, "cache dir: path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            *body = NULL;
            *len = 0;
            return LAM_OK;
        }
        return lam_err_set(errbuf, LAM_ERR_IO, "cache dir: open %s.json: %s", key,
                           errno == ELOOP ? "is a symbolic link" : strerror(errno));
    }
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        rc = lam_err_set(errbuf, LAM_ERR_IO, "cache dir: fstat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = lam_err_set(errbuf, LAM_ERR_CORRUPT, "cache dir: %s.json is not a regular file",
                         key);
        goto out;
    }
    if (st.st_size < 0 ||
        (unsigned long long)st.st_size > LAM_CACHE_BODY_MAX + (c->sealed ? SEAL_LEN : 0)) {
        rc = lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "cache dir: %s.json is over %u bytes", key,
                         LAM_CACHE_BODY_MAX);
        goto out;
    }
    size_t size = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(size + 1))) {
        rc = LAM_ERR_NOMEM;
        goto out;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = lam_err_set(errbuf, LAM_ERR_IO, "cache dir: read %s.json: %s", key,
                             r < 0 ? strerror(errno) : "file shrank while reading");
            goto out;
        }
        got += (size_t)r;
    }
    buf[size] = '\0';
    if (c->sealed && (rc = unseal(c, key, buf, &size, errbuf)) != LAM_OK)
        goto out;
    if ((rc = check_entry(buf, size, enc, errbuf)) != LAM_OK)
        goto out;
    *body = buf;
    *len = size;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
}

static enum lam_err write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return LAM_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return LAM_OK;
}

static enum lam_err dir_put(const struct lam_cache *c, const char *key, const char *body,
                            size_t len, char *errbuf)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.json.XXXXXX", c->dir, key);
    if (n < 0 || (size_t)n >= sizeof tmp || entry_path(c, key, path, sizeof path) != LAM_OK)
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "cache dir: path too long");
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return lam_err_set(errbuf, LAM_ERR_IO, "cache dir: mkstemp: %s", strerror(errno));
    const char *step = "fchmod";
    int ok = fchmod(fd, 0600) == 0;
    if (ok && c->sealed) {
        step = "seal";
        unsigned char *sealed = malloc(len + SEAL_LEN);
        ok = sealed != NULL;
        if (ok) {
            unsigned char *iv = sealed + SEAL_MAGIC_LEN, *ct = iv + SEAL_IV;
            memcpy(sealed, SEAL_MAGIC, SEAL_MAGIC_LEN);
            ok = RAND_bytes(iv, SEAL_IV) == 1 &&
                 gcm(c, 1, key, iv, (const unsigned char *)body, len, ct, ct + len) == 0;
            step = ok ? "write" : "seal";
            ok = ok && write_all(fd, (const char *)sealed, len + SEAL_LEN) == LAM_OK;
            free(sealed);
        }
    } else if (ok) {
        step = "write";
        ok = write_all(fd, body, len) == LAM_OK;
    }
    if (ok) {
        step = "fdatasync";
        ok = fdatasync(fd) == 0;
    }
    int e = errno;
    if (close(fd) != 0 && ok) {
        e = errno;
        step = "close";
        ok = 0;
    }
    if (ok) {
        step = "rename";
        ok = rename(tmp, path) == 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        return lam_err_set(errbuf, LAM_ERR_IO, "cache dir: %s %s.json: %s", step, key,
                           strerror(e));
    }
    return LAM_OK;
}

/* ---- S3 backend ---- */

static void s3_key(const char *key, char out[sizeof S3_PREFIX + LAM_CACHE_KEY_LEN + 5])
{
    memcpy(out, S3_PREFIX, sizeof S3_PREFIX - 1);
    memcpy(out + sizeof S3_PREFIX - 1, key, LAM_CACHE_KEY_LEN);
    memcpy(out + sizeof S3_PREFIX - 1 + LAM_CACHE_KEY_LEN, ".json", 6);
}

void lam_cache_s3_key(const char *key, char out[LAM_CACHE_S3_KEY_LEN + 1])
{
    s3_key(key, out);
}

static enum lam_err s3_get(const struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                           char **body, size_t *len, char *errbuf)
{
    char k[sizeof S3_PREFIX + LAM_CACHE_KEY_LEN + 5];
    uint8_t *b = NULL;
    size_t n = 0;
    s3_key(key, k);
    enum lam_err rc = lam_s3_get(c->s3, k, &b, &n, errbuf);
    if (rc != LAM_OK)
        return rc;
    if (b && (rc = check_entry((const char *)b, n, enc, errbuf)) != LAM_OK) {
        free(b);
        return rc;
    }
    *body = (char *)b;
    *len = n;
    return LAM_OK;
}

/* ---- the API ---- */

enum lam_err lam_cache_open(const struct lam_cache_config *cfg, struct lam_cache **out,
                            char *errbuf)
{
    struct lam_cache *c = calloc(1, sizeof *c);
    if (!c)
        return LAM_ERR_NOMEM;
    enum lam_err rc;
    if (cfg->s3) {
        rc = lam_s3_open(cfg->s3, &c->s3, errbuf);
    } else {
        char dir[PATH_MAX];
        int n = cfg->dir && cfg->dir[0] ? snprintf(dir, sizeof dir, "%s", cfg->dir) : 0;
        if (n < 0 || (size_t)n >= sizeof dir - LAM_CACHE_KEY_LEN - 32)
            rc = lam_err_set(errbuf, LAM_ERR_BAD_CONFIG, "cache dir: path too long");
        else if (n == 0)
            rc = default_dir(dir, sizeof dir - LAM_CACHE_KEY_LEN - 32, errbuf);
        else
            rc = LAM_OK;
        if (rc == LAM_OK && (rc = make_dir(dir, errbuf)) == LAM_OK && !(c->dir = strdup(dir)))
            rc = LAM_ERR_NOMEM;
        if (rc == LAM_OK && cfg->seal_key) {
            memcpy(c->seal_key, cfg->seal_key, sizeof c->seal_key);
            c->sealed = 1;
        }
    }
    if (rc != LAM_OK) {
        free(c);
        return rc;
    }
    *out = c;
    return LAM_OK;
}

void lam_cache_close(struct lam_cache *c)
{
    if (!c)
        return;
    OPENSSL_cleanse(c->seal_key, sizeof c->seal_key);
    lam_s3_close(c->s3);
    free(c->dir);
    free(c);
}

enum lam_err lam_cache_get(struct lam_cache *c, const char *key, char **body, size_t *len,
                           char *errbuf)
{
    return lam_cache_get_enc(c, key, LAM_CACHE_JSON, body, len, errbuf);
}

enum lam_err lam_cache_put(struct lam_cache *c, const char *key, const char *body, size_t len,
                           char *errbuf)
{
    return lam_cache_put_enc(c, key, LAM_CACHE_JSON, body, len, errbuf);
}

enum lam_err lam_cache_get_enc(struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                               char **body, size_t *len, char *errbuf)
{
    if (!key_ok(key))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "cache: key must be %d lower-case hex "
                                                        "digits", LAM_CACHE_KEY_LEN);
    return c->s3 ? s3_get(c, key, enc, body, len, errbuf)
                 : dir_get(c, key, enc, body, len, errbuf);
}

enum lam_err lam_cache_put_enc(struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                               const char *body, size_t len, char *errbuf)
{
    if (!key_ok(key))
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "cache: key must be %d lower-case hex "
                                                        "digits", LAM_CACHE_KEY_LEN);
    if (len && !body)
        return lam_err_set(errbuf, LAM_ERR_INVALID_ARG, "cache: NULL body");
    if (len > LAM_CACHE_BODY_MAX)
        return lam_err_set(errbuf, LAM_ERR_TOO_LARGE, "cache: entry of %zu bytes (at most %u)",
                           len, LAM_CACHE_BODY_MAX);
    if (c->s3) {
        char k[sizeof S3_PREFIX + LAM_CACHE_KEY_LEN + 5];
        s3_key(key, k);
        return lam_s3_put_encoded(c->s3, k, (const uint8_t *)body, len, "application/json",
                                  enc == LAM_CACHE_GZIP ? "gzip" : NULL, errbuf);
    }
    return dir_put(c, key, body, len, errbuf);
}
