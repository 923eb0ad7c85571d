/*
 * lambda_s3.c - the S3 client and the S3 cache against a real S3 peer.
 *
 * Needs S3_ENDPOINT_URL, CACHE_BUCKET, AWS_REGION, AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (a key allowed to read and write the bucket) and
 * skips (77) without them; tests/sh/test_s3_cache.sh starts moto_server with
 * signature checking and sets them, plus S3_TEST_NOPERM_* (a key with no
 * permissions) and S3_TEST_SESSION_* (STS credentials with a token). The
 * peer verifies every signature, so each round trip below also checks
 * SigV4 as S3 computes it.
 */
#include "check.h"
#include "lambda/cache.h"
#include "lambda/s3.h"
#include "tracer/request.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

static char prefix[64]; /* per run, so reruns against one server do not collide */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static struct lam_s3_params params_from_env(void)
{
    struct lam_s3_params p = {
        .bucket = env("CACHE_BUCKET"),
        .region = env("AWS_REGION"),
        .access_key_id = env("AWS_ACCESS_KEY_ID"),
        .secret_access_key = env("AWS_SECRET_ACCESS_KEY"),
        .endpoint_url = env("S3_ENDPOINT_URL"),
    };
    return p;
}

static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *b = malloc(n);
    for (size_t i = 0; b && i < n; i++)
        b[i] = (uint8_t)((i * 131u + seed) ^ (i >> 8));
    return b;
}

/* A JSON object of exactly n (>= 64) bytes, like a trace response. */
static char *json_body(size_t n, unsigned seed)
{
    char *b = malloc(n + 1);
    if (!b)
        return NULL;
    int k = snprintf(b, n + 1, "{\"success\":true,\"seed\":%u,\"trace\":\"", seed);
    for (size_t i = (size_t)k; i < n - 2; i++)
        b[i] = (char)('a' + (i * 7 + seed) % 26);
    memcpy(b + n - 2, "\"}", 3);
    return b;
}

/* Config + client from params; NULL (with a failed check) on error. */
static struct lam_s3 *client(const struct lam_s3_params *p, struct lam_s3_config **cfg)
{
    char err[LAM_ERRBUF_LEN] = "";
    struct lam_s3 *s = NULL;
    enum lam_err rc = lam_s3_config_new(p, cfg, err);
    if (rc != LAM_OK) {
        fprintf(stderr, "  config: %s: %s\n", lam_strerror(rc), err);
        CHECK(0);
        return NULL;
    }
    rc = lam_s3_open(*cfg, &s, err);
    if (rc != LAM_OK) {
        fprintf(stderr, "  open: %s: %s\n", lam_strerror(rc), err);
        CHECK(0);
        lam_s3_config_free(*cfg);
        return NULL;
    }
    return s;
}

/* The config copies what it reads: after the environment is wiped in
   place (as the Lambda bootstrap does before running untrusted code), the
   client still signs requests S3 accepts. */
static void config_from_env(void)
{
    static const char *const vars[] = {"CACHE_BUCKET", "AWS_REGION", "AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY", "S3_ENDPOINT_URL"};
    enum { NV = sizeof vars / sizeof vars[0] };
    char *saved[NV];
    struct lam_s3_config *cfg = NULL;
    char err[LAM_ERRBUF_LEN] = "", url[512], want[512], want_host[256];
    const char *ep = env("S3_ENDPOINT_URL");
    REQUIRE(strncmp(ep, "http://", 7) == 0);
    snprintf(want, sizeof want, "%s/%s/cache/x.json", ep, env("CACHE_BUCKET"));
    snprintf(want_host, sizeof want_host, "%s", ep + 7); /* ep is wiped below */
    REQUIRE(lam_s3_config_from_env(&cfg, err) == LAM_OK);
    REQUIRE(cfg != NULL);
    for (size_t i = 0; i < NV; i++) {
        char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        if (v)
            memset(v, 'X', strlen(v));
        unsetenv(vars[i]);
    }
    /* the endpoint's port is not 80, so it is part of the signed host */
    CHECK_STR(lam_s3_config_host(cfg), want_host);
    CHECK_INT(lam_s3_object_url(cfg, "cache/x.json", url, sizeof url), LAM_OK);
    CHECK_STR(url, want);
    struct lam_s3 *s = NULL;
    REQUIRE(lam_s3_open(cfg, &s, err) == LAM_OK);
    char key[128];
    snprintf(key, sizeof key, "%s/env.json", prefix);
    uint8_t *got = NULL;
    size_t len = 0;
    enum lam_err rc = lam_s3_put(s, key, (const uint8_t *)"{\"env\":1}", 9, "application/json",
                                 err);
    if (rc != LAM_OK)
        fprintf(stderr, "  put after wipe: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    CHECK_INT(lam_s3_get(s, key, &got, &len, err), LAM_OK);
    CHECK(got && len == 9 && memcmp(got, "{\"env\":1}", 9) == 0);
    free(got);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
    for (size_t i = 0; i < NV; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        free(saved[i]);
    }
}

/* miss -> put -> hit with the same bytes, on one reused handle */
static void raw_round_trip(void)
{
    struct lam_s3_params p = params_from_env();
    struct lam_s3_config *cfg;
    struct lam_s3 *s = client(&p, &cfg);
    REQUIRE(s);
    char key[128], err[LAM_ERRBUF_LEN] = "";
    snprintf(key, sizeof key, "%s/raw.bin", prefix);
    uint8_t *got = (uint8_t *)"unchanged";
    size_t len = 7;
    CHECK_INT(lam_s3_get(s, key, &got, &len, err), LAM_OK);
    CHECK(got == NULL);
    CHECK_INT(len, 0);
    const size_t n = 256 << 10;
    uint8_t *b = pattern(n, 1);
    REQUIRE(b);
    enum lam_err rc = lam_s3_put(s, key, b, n, "application/octet-stream", err);
    if (rc != LAM_OK)
        fprintf(stderr, "  put: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    rc = lam_s3_get(s, key, &got, &len, err);
    CHECK_INT(rc, LAM_OK);
    CHECK(got != NULL);
    if (got) {
        CHECK_INT(len, n);
        CHECK(len == n && memcmp(got, b, n) == 0);
        CHECK(got[len] == 0);
        free(got);
    }
    free(b);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
}

/* Keys are URI-encoded once and dot segments are sent as they are; the
   peer recomputes the signature from the path it receives, so a double,
   missing or normalised encoding fails here. (moto 5.2.1 re-quotes the
   path before verifying and so rejects even boto3's signatures for keys
   with sub-delimiters, '%' or non-ASCII; those are covered by the SigV4
   vectors instead.) */
static void key_needing_encoding(void)
{
    struct lam_s3_params p = params_from_env();
    struct lam_s3_config *cfg;
    struct lam_s3 *s = client(&p, &cfg);
    REQUIRE(s);
    char key[160], err[LAM_ERRBUF_LEN] = "";
    snprintf(key, sizeof key, "%s/a b~/x/../y.json", prefix);
    const uint8_t body[] = "{\"k\":1}";
    uint8_t *got = NULL;
    size_t len = 0;
    enum lam_err rc = lam_s3_put(s, key, body, sizeof body - 1, "application/json", err);
    if (rc != LAM_OK)
        fprintf(stderr, "  put: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    rc = lam_s3_get(s, key, &got, &len, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  get: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    CHECK(got && len == sizeof body - 1 && memcmp(got, body, len) == 0);
    free(got);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
}

static int request_key(const char *code, char key[LAM_CACHE_KEY_LEN + 1])
{
    struct tr_request r;
    tr_request_init(&r);
    r.code = (char *)code;
    r.code_len = strlen(code);
    return lam_cache_key(&r, key) == LAM_OK;
}

static struct lam_cache *s3_cache(const struct lam_s3_config *cfg)
{
    struct lam_cache_config cc = {.s3 = cfg};
    struct lam_cache *c = NULL;
    char err[LAM_ERRBUF_LEN] = "";
    enum lam_err rc = lam_cache_open(&cc, &c, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  cache open: %s: %s\n", lam_strerror(rc), err);
    return c;
}

static char shared_key[LAM_CACHE_KEY_LEN + 1];
static char *shared_body;
static size_t shared_len;

/* The cache over S3: miss, put, hit with identical bytes, also from a
   second cache (a new client, as in the next Lambda instance). */
static void cache_round_trip(void)
{
    struct lam_s3_params p = params_from_env();
    struct lam_s3_config *cfg = NULL;
    char err[LAM_ERRBUF_LEN] = "", code[128];
    snprintf(code, sizeof code, "int main() { return 0; } // %s", prefix);
    REQUIRE(request_key(code, shared_key));
    REQUIRE(lam_s3_config_new(&p, &cfg, err) == LAM_OK);
    struct lam_cache *c1 = s3_cache(cfg), *c2 = s3_cache(cfg);
    REQUIRE(c1 && c2);
    char *got = NULL;
    size_t len = 0;
    CHECK_INT(lam_cache_get(c1, shared_key, &got, &len, err), LAM_OK);
    CHECK(got == NULL);
    shared_len = 500 << 10;
    shared_body = json_body(shared_len, 7);
    REQUIRE(shared_body);
    enum lam_err rc = lam_cache_put(c1, shared_key, shared_body, shared_len, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  put: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    struct lam_cache *both[] = {c1, c2};
    for (int i = 0; i < 2; i++) {
        got = NULL;
        rc = lam_cache_get(both[i], shared_key, &got, &len, err);
        if (rc != LAM_OK)
            fprintf(stderr, "  get: %s: %s\n", lam_strerror(rc), err);
        CHECK_INT(rc, LAM_OK);
        CHECK(got && len == shared_len && memcmp(got, shared_body, len) == 0);
        free(got);
    }
    lam_cache_close(c1);
    lam_cache_close(c2);
    lam_s3_config_free(cfg);
}

/* A cache get with these params: the code, and whether a body came back. */
static enum lam_err cache_get_with(const struct lam_s3_params *p, const char *key, char *err,
                                   int *got_body)
{
    struct lam_s3_config *cfg = NULL;
    enum lam_err rc = lam_s3_config_new(p, &cfg, err);
    if (rc != LAM_OK)
        return rc;
    struct lam_cache *c = s3_cache(cfg);
    char *body = NULL;
    size_t len = 0;
    rc = c ? lam_cache_get(c, key, &body, &len, err) : LAM_ERR_HTTP;
    *got_body = body != NULL;
    free(body);
    lam_cache_close(c);
    lam_s3_config_free(cfg);
    return rc;
}

/* A cache get with these params must be a miss with code want, and the
   message must name the S3 error code (when given) but no secret. */
static void expect_miss(const struct lam_s3_params *p, enum lam_err want, const char *s3_code)
{
    char err[LAM_ERRBUF_LEN] = "";
    int got_body = 1;
    enum lam_err rc = cache_get_with(p, shared_key, err, &got_body);
    if (rc != want)
        fprintf(stderr, "  got %s (%s), want %s\n", lam_strerror(rc), err, lam_strerror(want));
    CHECK_INT(rc, want);
    CHECK(!got_body);
    CHECK(!s3_code || strstr(err, s3_code) != NULL);
    CHECK(strstr(err, p->secret_access_key) == NULL);
    CHECK(strstr(err, env("AWS_SECRET_ACCESS_KEY")) == NULL);
}

/* A wrong secret: S3 answers 403 SignatureDoesNotMatch, which is a miss
   (an error code and no body) and a failed put; the message names the S3
   code but neither secret. */
static void wrong_secret_is_a_miss(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    char bad[256], err[LAM_ERRBUF_LEN] = "";
    snprintf(bad, sizeof bad, "%sx", p.secret_access_key);
    bad[0] = bad[0] == 'A' ? 'B' : 'A';
    p.secret_access_key = bad;
    expect_miss(&p, LAM_ERR_S3_AUTH, "HTTP 403 SignatureDoesNotMatch");

    struct lam_s3_config *cfg;
    struct lam_s3 *s = client(&p, &cfg);
    REQUIRE(s);
    char key[128];
    snprintf(key, sizeof key, "%s/never.json", prefix);
    CHECK_INT(lam_s3_put(s, key, (const uint8_t *)"{}", 2, "application/json", err),
              LAM_ERR_S3_AUTH);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
    /* and nothing was stored */
    struct lam_s3_params good = params_from_env();
    s = client(&good, &cfg);
    REQUIRE(s);
    uint8_t *b = (uint8_t *)"x";
    size_t len = 1;
    CHECK_INT(lam_s3_get(s, key, &b, &len, err), LAM_OK);
    CHECK(b == NULL);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
}

static void unknown_access_key(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    p.access_key_id = "AKIAUNKNOWNKEY000000";
    expect_miss(&p, LAM_ERR_S3_AUTH, "InvalidAccessKeyId");
}

/* A valid key without permission: 403 AccessDenied, LAM_ERR_S3_DENIED. */
static void no_permission_is_denied(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    p.access_key_id = env("S3_TEST_NOPERM_ACCESS_KEY_ID");
    p.secret_access_key = env("S3_TEST_NOPERM_SECRET_ACCESS_KEY");
    REQUIRE(p.access_key_id && p.secret_access_key);
    expect_miss(&p, LAM_ERR_S3_DENIED, "HTTP 403 AccessDenied");
}

/* STS credentials: the token is sent and signed, and the peer accepts the
   round trip; a different token, or none, is refused. */
static void session_token(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    p.access_key_id = env("S3_TEST_SESSION_ACCESS_KEY_ID");
    p.secret_access_key = env("S3_TEST_SESSION_SECRET_ACCESS_KEY");
    p.session_token = env("S3_TEST_SESSION_TOKEN");
    REQUIRE(p.access_key_id && p.secret_access_key && p.session_token);
    struct lam_s3_config *cfg = NULL;
    char err[LAM_ERRBUF_LEN] = "";
    REQUIRE(lam_s3_config_new(&p, &cfg, err) == LAM_OK);
    struct lam_cache *c = s3_cache(cfg);
    REQUIRE(c);
    char *got = NULL;
    size_t len = 0;
    enum lam_err rc = lam_cache_get(c, shared_key, &got, &len, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  get with token: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    CHECK(got && len == shared_len && memcmp(got, shared_body, len) == 0);
    free(got);
    char key2[LAM_CACHE_KEY_LEN + 1], code[128];
    snprintf(code, sizeof code, "int main() { return 1; } // %s", prefix);
    REQUIRE(request_key(code, key2));
    rc = lam_cache_put(c, key2, "{\"via\":\"sts\"}", 13, err);
    if (rc != LAM_OK)
        fprintf(stderr, "  put with token: %s: %s\n", lam_strerror(rc), err);
    CHECK_INT(rc, LAM_OK);
    got = NULL;
    CHECK_INT(lam_cache_get(c, key2, &got, &len, err), LAM_OK);
    CHECK(got && len == 13 && memcmp(got, "{\"via\":\"sts\"}", 13) == 0);
    free(got);
    lam_cache_close(c);
    lam_s3_config_free(cfg);

    char other[4096];
    snprintf(other, sizeof other, "%sAA", p.session_token);
    p.session_token = other;
    expect_miss(&p, LAM_ERR_S3_AUTH, NULL);
    p.session_token = NULL;
    expect_miss(&p, LAM_ERR_S3_AUTH, NULL);
}

static void missing_bucket(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    p.bucket = "spp-no-such-bucket";
    expect_miss(&p, LAM_ERR_S3_NOT_FOUND, "HTTP 404 NoSuchBucket");
}

/* GET bodies are capped; over the cap is an error, not a truncated hit. */
static void body_cap(void)
{
    REQUIRE(shared_body);
    struct lam_s3_params p = params_from_env();
    p.body_max = 4096;
    expect_miss(&p, LAM_ERR_TOO_LARGE, NULL);
}

/* A stored object that is not a JSON object is a corrupt miss. */
static void corrupt_object_is_a_miss(void)
{
    struct lam_s3_params p = params_from_env();
    struct lam_s3_config *cfg;
    struct lam_s3 *s = client(&p, &cfg);
    REQUIRE(s);
    char key[LAM_CACHE_KEY_LEN + 1], objkey[128], code[128], err[LAM_ERRBUF_LEN] = "";
    snprintf(code, sizeof code, "int main() { return 2; } // %s", prefix);
    REQUIRE(request_key(code, key));
    snprintf(objkey, sizeof objkey, "cache/%s.json", key);
    CHECK_INT(lam_s3_put(s, objkey, (const uint8_t *)"{\"trunc", 7, "application/json", err),
              LAM_OK);
    struct lam_cache *c = s3_cache(cfg);
    REQUIRE(c);
    char *got = NULL;
    size_t len = 0;
    CHECK_INT(lam_cache_get(c, key, &got, &len, err), LAM_ERR_CORRUPT);
    CHECK(got == NULL);
    lam_cache_close(c);
    lam_s3_close(s);
    lam_s3_config_free(cfg);
}

int main(void)
{
    static const struct check_test tests[] = {
        TEST(config_from_env),     TEST(raw_round_trip),         TEST(key_needing_encoding),
        TEST(cache_round_trip),    TEST(wrong_secret_is_a_miss), TEST(unknown_access_key),
        TEST(no_permission_is_denied), TEST(session_token),      TEST(missing_bucket),
        TEST(body_cap),            TEST(corrupt_object_is_a_miss),
    };
    static const char *need[] = {"S3_ENDPOINT_URL", "CACHE_BUCKET", "AWS_ACCESS_KEY_ID",
                                 "AWS_SECRET_ACCESS_KEY"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (!env(need[i])) {
            char why[160];
            snprintf(why, sizeof why, "%s is not set (tests/sh/test_s3_cache.sh sets it)",
                     need[i]);
            SKIP_ALL(why);
        }
    }
    snprintf(prefix, sizeof prefix, "spp-test-%ld-%ld", (long)getpid(), (long)time(NULL));
    int rc = check_run_(tests, sizeof tests / sizeof tests[0]);
    free(shared_body);
    return rc;
}
