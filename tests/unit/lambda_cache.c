/*
 * lambda_cache.c - the result cache's key and its local-directory backend.
 *
 * Each test works in its own temporary directory. Atomicity is checked the
 * hard way: writers in other processes replace one entry again and again
 * while this process reads it, and every hit must be one of the complete
 * bodies; a write that fails half-way (RLIMIT_FSIZE in a child) must leave
 * the previous entry and no temporary file. Ends with a timing printout (no
 * assertion): a hit of a 500 KB entry against a plain read of the same file
 * in the same run. The S3 backend is tested against moto in lambda_s3.c.
 */
#include "check.h"
#include "lambda/cache.h"
#include "lambda/gzip.h"
#include "tracer/request.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char root[256]; /* this run's temporary directory */

static void path_in(char *out, size_t cap, const char *rel)
{
    int n = snprintf(out, cap, "%s/%s", root, rel);
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0';
}

static struct lam_cache *open_dir(const char *rel)
{
    char dir[512], err[LAM_ERRBUF_LEN] = "";
    struct lam_cache *c = NULL;
    path_in(dir, sizeof dir, rel);
    struct lam_cache_config cfg = {.dir = dir};
    enum lam_err rc = lam_cache_open(&cfg, &c, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  open %s: %s: %s\n", dir, lam_strerror(rc), err);
    return c;
}

static void key_for(const char *code, char key[LAM_CACHE_KEY_LEN + 1])
{
    struct tr_request r;
    tr_request_init(&r);
    r.code = (char *)code;
    r.code_len = strlen(code);
    if (lam_cache_key(&r, key) != LAM_OK)
        key[0] = '\0';
}

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Names in dir starting with '.' other than . and .. (temporary files). */
static int hidden_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static char *json_of_size(size_t n, char fill)
{
    char *b = malloc(n + 1);
    if (!b)
        return NULL;
    memcpy(b, "{\"t\":\"", 6);
    memset(b + 6, fill, n - 8);
    memcpy(b + n - 2, "\"}", 3);
    return b;
}

/* ---- key ---- */

static void hex_sha256(const char *s, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(s, n, md, &ml, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* The key is SHA-256 over the canonical request, "\n", "spp-trace <v>";
   every field in the canonical text changes it. */
static void key_definition(void)
{
    struct tr_request r;
    tr_request_init(&r);
    r.code = "int main() {}";
    r.code_len = strlen(r.code);
    char key[LAM_CACHE_KEY_LEN + 1], want[65], again[LAM_CACHE_KEY_LEN + 1];
    REQUIRE(lam_cache_key(&r, key) == LAM_OK);
    char *canon = tr_request_canonical(&r);
    REQUIRE(canon);
    size_t cl = strlen(canon);
    const char *ver = "spp-trace " SPP_VERSION;
    char *text = malloc(cl + 1 + strlen(ver) + 1);
    REQUIRE(text);
    snprintf(text, cl + 1 + strlen(ver) + 1, "%s\n%s", canon, ver);
    hex_sha256(text, strlen(text), want);
    CHECK_STR(key, want);
    CHECK_INT(strspn(key, "0123456789abcdef"), LAM_CACHE_KEY_LEN);
    free(text);
    free(canon);
    REQUIRE(lam_cache_key(&r, again) == LAM_OK);
    CHECK_STR(again, key);

    struct tr_request v[6];
    for (int i = 0; i < 6; i++)
        v[i] = r;
    v[0].code = "int main() { }";
    v[0].code_len = strlen(v[0].code);
    v[1].lang = TR_LANG_C;
    v[2].stdin_data = "";
    v[3].memcheck = 0;
    v[4].max_steps = 999;
    v[5].format = TR_FMT_OPT;
    for (int i = 0; i < 6; i++) {
        CHECK_INT(lam_cache_key(&v[i], again), LAM_OK);
        if (strcmp(again, key) == 0)
            fprintf(stderr, "  variant %d has the same key\n", i);
        CHECK(strcmp(again, key) != 0);
    }
}

/* ---- directory backend ---- */

static struct lam_cache *open_sealed(const char *rel, const unsigned char *key)
{
    char dir[512], err[LAM_ERRBUF_LEN] = "";
    struct lam_cache *c = NULL;
    path_in(dir, sizeof dir, rel);
    struct lam_cache_config cfg = {.dir = dir, .seal_key = key};
    if (lam_cache_open(&cfg, &c, err) != LAM_OK)
        fprintf(stderr, "  open sealed %s: %s\n", dir, err);
    return c;
}

/* Where programs could write the cache directory (Lambda), a planted or
   altered entry must never be served. */
static void sealed_entries_resist_planting(void)
{
    unsigned char k1[LAM_CACHE_SEAL_KEY_LEN], k2[LAM_CACHE_SEAL_KEY_LEN];
    memset(k1, 0x11, sizeof k1);
    memset(k2, 0x22, sizeof k2);
    struct lam_cache *c = open_sealed("sealed", k1), *other = open_sealed("sealed", k2);
    struct lam_cache *plain = open_dir("sealed");
    REQUIRE(c && other && plain);
    char dir[512], file[700], file2[700], key[LAM_CACHE_KEY_LEN + 1], key2[LAM_CACHE_KEY_LEN + 1];
    char err[LAM_ERRBUF_LEN] = "", *body = NULL;
    size_t len = 0;
    path_in(dir, sizeof dir, "sealed");
    key_for("sealed one", key);
    key_for("sealed two", key2);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    snprintf(file2, sizeof file2, "%s/%s.json", dir, key2);
    const char v[] = "{\"success\":true,\"n\":1}";

    CHECK_INT(lam_cache_put(c, key, v, sizeof v - 1, err), LAM_OK);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == sizeof v - 1 && memcmp(body, v, len) == 0 && body[len] == 0);
    free(body);
    body = NULL;
    /* a program that reads the file learns nothing of the body */
    {
        FILE *in = fopen(file, "rb");
        char bytes[512];
        size_t got = in ? fread(bytes, 1, sizeof bytes, in) : 0;
        if (in)
            fclose(in);
        CHECK(got > sizeof v);
        CHECK(memmem(bytes, got, "success", 7) == NULL);
        CHECK(memmem(bytes, got, "\"n\":1", 5) == NULL);
    }
    /* another process's key (a restarted runtime) cannot vouch for it */
    CHECK(lam_cache_get(other, key, &body, &len, err) != LAM_OK);
    CHECK(body == NULL);
    /* a plain entry planted by a program is not served */
    CHECK(write_file(file2, v, sizeof v - 1));
    CHECK(lam_cache_get(c, key2, &body, &len, err) != LAM_OK);
    CHECK(body == NULL);
    CHECK(strstr(err, "not sealed") != NULL);
    /* nor a sealed entry copied under another request's name */
    FILE *f = fopen(file, "rb");
    char raw[512];
    size_t n = f ? fread(raw, 1, sizeof raw, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > sizeof v);
    CHECK(write_file(file2, raw, n));
    CHECK(lam_cache_get(c, key2, &body, &len, err) != LAM_OK);
    CHECK(strstr(err, "wrong seal") != NULL);
    /* nor an altered body under a copied seal */
    raw[13] = 'f';
    CHECK(write_file(file, raw, n));
    CHECK(lam_cache_get(c, key, &body, &len, err) != LAM_OK);
    CHECK(body == NULL);
    /* an unsealed cache does not take a sealed entry for JSON either */
    CHECK(lam_cache_put(c, key, v, sizeof v - 1, err) == LAM_OK);
    CHECK(lam_cache_get(plain, key, &body, &len, err) != LAM_OK);
    lam_cache_close(c);
    lam_cache_close(other);
    lam_cache_close(plain);
}

static void dir_round_trip(void)
{
    struct lam_cache *c = open_dir("rt/a/b"); /* parents are created */
    REQUIRE(c);
    char dir[512], file[700], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN] = "";
    struct stat st;
    path_in(dir, sizeof dir, "rt/a/b");
    REQUIRE(stat(dir, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0700);
    key_for("round trip", key);
    char *body = (char *)"untouched";
    size_t len = 3;
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body == NULL);
    CHECK_INT(len, 0);

    const char v1[] = "{\"success\":true,\"bytes\":\"\\u0000\xc3\xa9\"}\n";
    CHECK_INT(lam_cache_put(c, key, v1, sizeof v1 - 1, err), LAM_OK);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    REQUIRE(stat(file, &st) == 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(st.st_size, sizeof v1 - 1);
    CHECK_INT(hidden_files(dir), 0);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == sizeof v1 - 1 && memcmp(body, v1, len) == 0 && body[len] == 0);
    free(body);

    const char v2[] = "{\"second\":2}";
    CHECK_INT(lam_cache_put(c, key, v2, sizeof v2 - 1, err), LAM_OK);
    body = NULL;
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == sizeof v2 - 1 && memcmp(body, v2, len) == 0);
    free(body);
    CHECK_INT(hidden_files(dir), 0);
    lam_cache_close(c);

    /* a second cache on the same directory sees the entry */
    c = open_dir("rt/a/b");
    REQUIRE(c);
    body = NULL;
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == sizeof v2 - 1);
    free(body);
    lam_cache_close(c);
}

static void restore_env(const char *name, const char *saved)
{
    if (saved)
        setenv(name, saved, 1);
    else
        unsetenv(name);
}

/* With no directory configured, an entry lands in want_dir. */
static void default_lands_in(const char *key, const char *want_dir)
{
    struct lam_cache_config dflt = {0};
    struct lam_cache *c = NULL;
    char file[800], err[LAM_ERRBUF_LEN] = "";
    CHECK_INT(lam_cache_open(&dflt, &c, err), LAM_OK);
    if (!c)
        return;
    CHECK_INT(lam_cache_put(c, key, "{}", 2, err), LAM_OK);
    snprintf(file, sizeof file, "%s/%s.json", want_dir, key);
    CHECK(access(file, R_OK) == 0);
    lam_cache_close(c);
}

static void default_directory(void)
{
    char *xdg0 = getenv("XDG_CACHE_HOME") ? strdup(getenv("XDG_CACHE_HOME")) : NULL;
    char *home0 = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char xdg[512], home[512], want[600], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN];
    key_for("default dir", key);
    path_in(xdg, sizeof xdg, "xdg");
    path_in(home, sizeof home, "home");

    setenv("XDG_CACHE_HOME", xdg, 1);
    setenv("HOME", home, 1);
    snprintf(want, sizeof want, "%s/spp-trace", xdg);
    default_lands_in(key, want);
    /* a relative XDG_CACHE_HOME is invalid (XDG spec): $HOME/.cache is used */
    setenv("XDG_CACHE_HOME", "relative/dir", 1);
    snprintf(want, sizeof want, "%s/.cache/spp-trace", home);
    default_lands_in(key, want);

    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    struct lam_cache_config dflt = {0};
    struct lam_cache *c = NULL;
    err[0] = '\0';
    CHECK_INT(lam_cache_open(&dflt, &c, err), LAM_ERR_BAD_CONFIG);
    CHECK(c == NULL);
    CHECK(strstr(err, "HOME") != NULL);
    restore_env("XDG_CACHE_HOME", xdg0);
    restore_env("HOME", home0);
    free(xdg0);
    free(home0);
}

/* A directory others may write to, or a file, is refused at open. */
static void unsafe_directory_refused(void)
{
    char dir[512], err[LAM_ERRBUF_LEN];
    struct lam_cache *c = NULL;
    path_in(dir, sizeof dir, "open-to-all");
    REQUIRE(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0);
    struct lam_cache_config cfg = {.dir = dir};
    CHECK_INT(lam_cache_open(&cfg, &c, err), LAM_ERR_BAD_CONFIG);
    CHECK(c == NULL);
    path_in(dir, sizeof dir, "a-file");
    REQUIRE(write_file(dir, "x", 1));
    CHECK_INT(lam_cache_open(&cfg, &c, err), LAM_ERR_BAD_CONFIG);
    CHECK(c == NULL);
}

/* What is stored is served only if it is one JSON object. */
static void corrupt_entry_is_a_miss(void)
{
    struct lam_cache *c = open_dir("corrupt");
    REQUIRE(c);
    static const char *bad[] = {
        "", "not json", "{\"cut\":\"off", "[1,2,3]", "\"string\"", "{} trailing", "{}{}",
    };
    char dir[512], file[700], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN];
    path_in(dir, sizeof dir, "corrupt");
    key_for("corrupt", key);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        REQUIRE(write_file(file, bad[i], strlen(bad[i])));
        char *body = NULL;
        size_t len = 0;
        err[0] = '\0';
        enum lam_err rc = lam_cache_get(c, key, &body, &len, err);
        if (rc != LAM_ERR_CORRUPT)
            fprintf(stderr, "  entry \"%s\": %s\n", bad[i], lam_strerror(rc));
        CHECK_INT(rc, LAM_ERR_CORRUPT);
        CHECK(body == NULL);
        CHECK(err[0] != '\0');
    }
    /* trailing blanks are fine */
    REQUIRE(write_file(file, "{\"ok\":1}\n \t\r\n", 13));
    char *body = NULL;
    size_t len = 0;
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == 13);
    free(body);
    lam_cache_close(c);
}

/* What lam_cache_get says of an entry holding these bytes. */
static enum lam_err verdict(struct lam_cache *c, const char *key, const char *file,
                            const char *text, size_t len)
{
    char err[LAM_ERRBUF_LEN], *body = NULL;
    size_t got = 0;
    if (!write_file(file, text, len))
        return LAM_ERR_IO;
    enum lam_err rc = lam_cache_get(c, key, &body, &got, err);
    if (rc == LAM_OK && (!body || got != len || memcmp(body, text, len) != 0))
        rc = LAM_ERR_IO; /* a hit must return the bytes as stored */
    free(body);
    return rc;
}

/* The verdict on {"a":[[...]]} with `levels` containers in all. */
static enum lam_err nested(struct lam_cache *c, const char *key, const char *file, int levels)
{
    char doc[2200];
    size_t k = 0;
    memcpy(doc, "{\"a\":", 5);
    k = 5;
    for (int i = 1; i < levels; i++)
        doc[k++] = '[';
    for (int i = 1; i < levels; i++)
        doc[k++] = ']';
    doc[k++] = '}';
    return verdict(c, key, file, doc, k);
}

/* The entry check is a full JSON syntax check (RFC 8259) with an object at
   the top; and no proper prefix of a valid entry passes. */
static void entry_check_rules(void)
{
    struct lam_cache *c = open_dir("rules");
    REQUIRE(c);
    char dir[512], file[700], key[LAM_CACHE_KEY_LEN + 1];
    path_in(dir, sizeof dir, "rules");
    key_for("rules", key);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    static const char *good[] = {
        "{}", " \n{ } \r\n", "{\"a\":1}", "{\"\":\"\"}",
        "{\"a\":[1,-2.5e+3,0,-0,0.25,1E9,2e-7,true,false,null,{},[],[[]],{\"b\":{}}]}",
        "{\"s\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\\uD83D\\uDE00 raw \xc3\xa9\"}",
        "{ \"a\" : [ 1 , 2 ] , \"b\" : \"c\" }",
    };
    static const char *bad[] = {
        "[{}]", "\"s\"", "1", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}",
        "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":True}",
        "{\"a\":nulll}", "{\"a\":NaN}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\" 1}",
        "{a:1}", "{'a':1}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"tab\there\"}", "{\"a\":\"unit\x1fsep\"}", "{\"a\":[1 2]}", "{\"a\":[1,]}", "{\"a\":]", "{\"a\":1]",
        "{\"a\":[}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":\"unterminated}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        enum lam_err rc = verdict(c, key, file, good[i], strlen(good[i]));
        if (rc != LAM_OK)
            fprintf(stderr, "  refused valid %s: %s\n", good[i], lam_strerror(rc));
        CHECK_INT(rc, LAM_OK);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum lam_err rc = verdict(c, key, file, bad[i], strlen(bad[i]));
        if (rc != LAM_ERR_CORRUPT)
            fprintf(stderr, "  accepted invalid %s: %s\n", bad[i], lam_strerror(rc));
        CHECK_INT(rc, LAM_ERR_CORRUPT);
    }
    /* a NUL byte inside a string or between tokens */
    CHECK_INT(verdict(c, key, file, "{\"a\":\"x\0y\"}", 10), LAM_ERR_CORRUPT);
    CHECK_INT(verdict(c, key, file, "{\"a\":1}\0", 9), LAM_ERR_CORRUPT);

    /* nesting: 1000 levels pass, 1001 do not (cJSON's limit) */
    CHECK_INT(nested(c, key, file, 1000), LAM_OK);
    CHECK_INT(nested(c, key, file, 1001), LAM_ERR_CORRUPT);

    /* every proper prefix of a valid entry is corrupt (a cut-off write) */
    const char *full = good[4];
    size_t n = strlen(full), accepted = 0;
    for (size_t cut = 0; cut < n; cut++)
        accepted += verdict(c, key, file, full, cut) != LAM_ERR_CORRUPT;
    CHECK_INT(accepted, 0);
    lam_cache_close(c);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "  lambda_cache: a cache read blocked (FIFO?)\n";
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(2);
    _exit(1);
}

/* Entries that cannot be read as a regular file are misses with a reason:
   a directory, a symlink (not followed), a FIFO (no hang), no permission. */
static void unreadable_entry_is_a_miss(void)
{
    struct lam_cache *c = open_dir("unreadable");
    REQUIRE(c);
    char dir[512], file[700], target[700], err[LAM_ERRBUF_LEN];
    char key[LAM_CACHE_KEY_LEN + 1], *body = NULL;
    size_t len = 0;
    path_in(dir, sizeof dir, "unreadable");
    key_for("unreadable", key);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    snprintf(target, sizeof target, "%s/elsewhere.json", root);
    REQUIRE(write_file(target, "{\"elsewhere\":1}", 15));

    REQUIRE(mkdir(file, 0700) == 0);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_ERR_CORRUPT);
    CHECK(body == NULL);
    REQUIRE(rmdir(file) == 0);

    REQUIRE(symlink(target, file) == 0);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_ERR_IO);
    CHECK(body == NULL);
    CHECK(strstr(err, "symbolic link") != NULL);
    REQUIRE(unlink(file) == 0);

    REQUIRE(mkfifo(file, 0600) == 0);
    signal(SIGALRM, on_alarm);
    alarm(5);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_ERR_CORRUPT);
    alarm(0);
    CHECK(body == NULL);
    REQUIRE(unlink(file) == 0);

    if (geteuid() != 0) {
        REQUIRE(write_file(file, "{}", 2) && chmod(file, 0) == 0);
        CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_ERR_IO);
        CHECK(body == NULL);
    } else {
        printf("  (running as root: the no-permission case cannot be made, skipped)\n");
    }
    lam_cache_close(c);
}

/* Keys other than 64 lower-case hex digits are refused before any path is
   built from them. */
static void malformed_keys_refused(void)
{
    struct lam_cache *c = open_dir("keys");
    REQUIRE(c);
    char err[LAM_ERRBUF_LEN], *body = NULL, upper[LAM_CACHE_KEY_LEN + 1];
    size_t len = 0;
    key_for("keys", upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    const char *bad[] = {
        NULL, "", "../../../../tmp/evil", upper,
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(lam_cache_get(c, bad[i], &body, &len, err), LAM_ERR_INVALID_ARG);
        CHECK_INT(lam_cache_put(c, bad[i], "{}", 2, err), LAM_ERR_INVALID_ARG);
    }
    CHECK(body == NULL);
    lam_cache_close(c);
}

static void size_caps(void)
{
    struct lam_cache *c = open_dir("caps");
    REQUIRE(c);
    char dir[512], file[700], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN], *body = NULL;
    size_t len = 0;
    path_in(dir, sizeof dir, "caps");
    key_for("caps", key);
    /* refused before the body is read: a 3-byte buffer is enough */
    CHECK_INT(lam_cache_put(c, key, "{}", (size_t)LAM_CACHE_BODY_MAX + 1, err),
              LAM_ERR_TOO_LARGE);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    CHECK(access(file, F_OK) != 0);
    /* an oversized entry on disk (sparse) is not read */
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    CHECK(ftruncate(fd, (off_t)LAM_CACHE_BODY_MAX + 1) == 0);
    close(fd);
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_ERR_TOO_LARGE);
    CHECK(body == NULL);
    lam_cache_close(c);
}

/* Writers in two other processes replace one entry with complete bodies
   of different sizes, over and over; every read here must be a miss or
   exactly one of the bodies, never a mix or a prefix. */
static void concurrent_replace_is_atomic(void)
{
    struct lam_cache *c = open_dir("atomic");
    REQUIRE(c);
    char dir[512], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN];
    path_in(dir, sizeof dir, "atomic");
    key_for("atomic", key);
    const size_t na = 300 << 10, nb = 120 << 10;
    char *a = json_of_size(na, 'a'), *b = json_of_size(nb, 'b');
    REQUIRE(a && b);
    pid_t w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = fork();
        REQUIRE(w[i] >= 0);
        if (w[i] == 0) {
            char e[LAM_ERRBUF_LEN];
            int bad = 0;
            for (int k = 0; k < 150; k++)
                bad |= lam_cache_put(c, key, i ? b : a, i ? nb : na, e) != LAM_OK;
            _exit(bad);
        }
    }
    int reads = 0, hits = 0, wrong = 0, running = 2;
    while (running > 0) {
        char *body = NULL;
        size_t len = 0;
        enum lam_err rc = lam_cache_get(c, key, &body, &len, err);
        reads++;
        if (rc != LAM_OK) {
            fprintf(stderr, "  read %d: %s: %s\n", reads, lam_strerror(rc), err);
            wrong++;
        } else if (body) {
            hits++;
            if (!((len == na && memcmp(body, a, na) == 0) ||
                  (len == nb && memcmp(body, b, nb) == 0)))
                wrong++;
        }
        free(body);
        for (int i = 0; i < 2; i++) {
            int st;
            if (w[i] > 0 && waitpid(w[i], &st, WNOHANG) == w[i]) {
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                w[i] = 0;
                running--;
            }
        }
    }
    printf("  %d reads during 300 replacements, %d hits, %d wrong\n", reads, hits, wrong);
    CHECK(hits > 0);
    CHECK_INT(wrong, 0);
    CHECK_INT(hidden_files(dir), 0);
    free(a);
    free(b);
    lam_cache_close(c);
}

/* A write that fails half-way (file size limit in a child) reports an
   error, leaves the previous entry whole and no temporary file behind. */
static void failed_write_keeps_old_entry(void)
{
    struct lam_cache *c = open_dir("partial");
    REQUIRE(c);
    char dir[512], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN];
    path_in(dir, sizeof dir, "partial");
    key_for("partial", key);
    const char old[] = "{\"old\":true}";
    REQUIRE(lam_cache_put(c, key, old, sizeof old - 1, err) == LAM_OK);
    char *big = json_of_size(64 << 10, 'n');
    REQUIRE(big);
    pid_t p = fork();
    REQUIRE(p >= 0);
    if (p == 0) {
        struct rlimit rl = {.rlim_cur = 4096, .rlim_max = 4096};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(3);
        char e[LAM_ERRBUF_LEN] = "";
        enum lam_err rc = lam_cache_put(c, key, big, 64 << 10, e);
        _exit(rc == LAM_ERR_IO && strstr(e, "write") ? 0 : 1);
    }
    int st = 0;
    REQUIRE(waitpid(p, &st, 0) == p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char *body = NULL;
    size_t len = 0;
    CHECK_INT(lam_cache_get(c, key, &body, &len, err), LAM_OK);
    CHECK(body && len == sizeof old - 1 && memcmp(body, old, len) == 0);
    free(body);
    CHECK_INT(hidden_files(dir), 0);
    free(big);
    lam_cache_close(c);
}

/* ---- timing printout (no assertion) ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* About n bytes shaped like a trace: many small objects in an array. */
static char *trace_like(size_t n)
{
    static const char step[] = "{\"line\":12,\"event\":\"step_line\",\"func\":\"main\","
                               "\"locals\":{\"i\":[\"int\",3],\"s\":\"text\"}},";
    char *b = malloc(n + 1);
    if (!b)
        return NULL;
    size_t k = 0, sl = sizeof step - 1;
    memcpy(b, "{\"trace\":[", 10);
    k = 10;
    while (k + sl + 2 < n) {
        memcpy(b + k, step, sl);
        k += sl;
    }
    b[k - 1] = ']'; /* replaces the last comma */
    while (k < n - 1)
        b[k++] = ' ';
    b[k++] = '}';
    b[k] = '\0';
    return b;
}

/* Hits of one 500 KB entry, against a plain open+read+close of the same
   file; the difference is mostly the JSON check. */
static void bench_one(struct lam_cache *c, const char *dir, const char *what, const char *b,
                      size_t n)
{
    char file[700], key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN];
    key_for(what, key);
    snprintf(file, sizeof file, "%s/%s.json", dir, key);
    double t0 = now_s();
    REQUIRE(lam_cache_put(c, key, b, n, err) == LAM_OK);
    double t_put = now_s() - t0;
    const int iters = 300;
    int ok = 1;
    t0 = now_s();
    for (int i = 0; i < iters; i++) {
        char *buf = malloc(n + 128);
        int fd = open(file, O_RDONLY); /* a sealed entry is n + its seal */
        ok &= buf && fd >= 0 && read(fd, buf, n + 128) >= (ssize_t)n;
        if (fd >= 0)
            close(fd);
        free(buf);
    }
    double t1 = now_s();
    for (int i = 0; i < iters; i++) {
        char *body = NULL;
        size_t len = 0;
        ok &= lam_cache_get(c, key, &body, &len, err) == LAM_OK && body && len == n;
        free(body);
    }
    double t2 = now_s();
    CHECK(ok);
    printf("  bench: local-dir hit, 500 KB %s: %.0f us/op; baseline open+read+close of the "
           "same file: %.0f us/op (%d iterations each); its put (with fdatasync): %.0f us\n",
           what, (t2 - t1) / iters * 1e6, (t1 - t0) / iters * 1e6, iters, t_put * 1e6);
}

static void bench_hit_500k(void)
{
    struct lam_cache *c = open_dir("bench");
    REQUIRE(c);
    char dir[512];
    path_in(dir, sizeof dir, "bench");
    const size_t n = 500 << 10;
    char *one = json_of_size(n, 'x'), *many = trace_like(n);
    REQUIRE(one && many);
    bench_one(c, dir, "trace-shaped entry (many small values)", many, n);
    bench_one(c, dir, "entry of one long string", one, n);
    /* sealed (AES-256-GCM), as the bootstrap keeps it where programs share
       its uid: what decrypting adds to a hit, against the plain run above */
    unsigned char k[LAM_CACHE_SEAL_KEY_LEN];
    memset(k, 0x33, sizeof k);
    struct lam_cache *sealed = open_sealed("bench-sealed", k);
    char sdir[512];
    path_in(sdir, sizeof sdir, "bench-sealed");
    if (sealed)
        bench_one(sealed, sdir, "sealed trace-shaped entry", many, n);
    lam_cache_close(sealed);
    free(one);
    free(many);
    lam_cache_close(c);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)f;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Each way of answering a request (response cap, encoding) has its own key:
   a trace cut at 4 MiB must never answer a request that could take it
   whole. Cap 0 with JSON is the request's key itself. */
static void key_variants(void)
{
    char key[LAM_CACHE_KEY_LEN + 1], v[4][LAM_CACHE_KEY_LEN + 1];
    key_for("variants", key);
    CHECK_INT(lam_cache_key_variant(key, 0, LAM_CACHE_JSON, v[0]), LAM_OK);
    CHECK_STR(v[0], key);
    CHECK_INT(lam_cache_key_variant(key, 4u << 20, LAM_CACHE_JSON, v[1]), LAM_OK);
    CHECK_INT(lam_cache_key_variant(key, 32u << 20, LAM_CACHE_GZIP, v[2]), LAM_OK);
    CHECK_INT(lam_cache_key_variant(key, 0, LAM_CACHE_GZIP, v[3]), LAM_OK);
    for (int i = 0; i < 4; i++) {
        CHECK_INT(strspn(v[i], "0123456789abcdef"), LAM_CACHE_KEY_LEN);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(v[i], v[j]) != 0);
    }
    char again[LAM_CACHE_KEY_LEN + 1];
    CHECK_INT(lam_cache_key_variant(key, 32u << 20, LAM_CACHE_GZIP, again), LAM_OK);
    CHECK_STR(again, v[2]);
}

/* A gzip entry is stored and served as its bytes; it is checked to be a
   gzip member, and a JSON lookup never takes one (nor the reverse). */
static void gzip_entries(void)
{
    struct lam_cache *c = open_dir("gzip");
    REQUIRE(c);
    char key[LAM_CACHE_KEY_LEN + 1], err[LAM_ERRBUF_LEN] = "", *body = NULL;
    size_t len = 0, zn = 0;
    key_for("gzip entry", key);
    const char v[] = "{\"cached\":false,\"success\":true}";
    unsigned char *z = lam_gzip_marked(v, sizeof v - 1, 15, &zn);
    REQUIRE(z);
    CHECK_INT(lam_cache_put_enc(c, key, LAM_CACHE_GZIP, (const char *)z, zn, err), LAM_OK);
    CHECK_INT(lam_cache_get_enc(c, key, LAM_CACHE_GZIP, &body, &len, err), LAM_OK);
    CHECK(body && len == zn && memcmp(body, z, zn) == 0);
    free(body);
    body = NULL;
    CHECK_INT(lam_cache_get_enc(c, key, LAM_CACHE_JSON, &body, &len, err), LAM_ERR_CORRUPT);
    CHECK(body == NULL);
    CHECK_INT(lam_cache_put(c, key, v, sizeof v - 1, err), LAM_OK);
    CHECK_INT(lam_cache_get_enc(c, key, LAM_CACHE_GZIP, &body, &len, err), LAM_ERR_CORRUPT);
    CHECK(body == NULL);
    CHECK(strstr(err, "not a gzip member") != NULL);
    free(z);
    lam_cache_close(c);
}

int main(void)
{
    static const struct check_test tests[] = {
        TEST(key_definition),
        TEST(key_variants),
        TEST(gzip_entries),
        TEST(dir_round_trip),
        TEST(sealed_entries_resist_planting),
        TEST(default_directory),
        TEST(unsafe_directory_refused),
        TEST(corrupt_entry_is_a_miss),
        TEST(entry_check_rules),
        TEST(unreadable_entry_is_a_miss),
        TEST(malformed_keys_refused),
        TEST(size_caps),
        TEST(concurrent_replace_is_atomic),
        TEST(failed_write_keeps_old_entry),
        TEST(bench_hit_500k),
    };
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(root, sizeof root, "%s/spp-cache-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof root || !mkdtemp(root)) {
        printf("cannot make a temporary directory\n0 passed, 1 failed\n");
        return 1;
    }
    umask(022);
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    if (nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", root);
    return rc;
}
