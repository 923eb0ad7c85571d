/*
 * lambda_s3_config.c - S3 configuration and failure paths that need no S3.
 *
 * Endpoint rules (the signed Host keeps a non-default port), the default
 * AWS addressing, refusal of malformed settings without echoing secrets,
 * reading the environment once, and the client's behaviour when nothing
 * answers: a closed port and a peer that accepts but never replies (a real
 * listening socket here) must each be a prompt LAM_ERR_HTTP and a cache
 * miss. Round trips against a signature-checking S3 are in lambda_s3.c.
 */
#include "check.h"
#include "lambda/cache.h"
#include "lambda/s3.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static struct lam_s3_params params(const char *endpoint)
{
    struct lam_s3_params p = {
        .bucket = "spp-cache",
        .region = "eu-west-1",
        .access_key_id = "AKIDEXAMPLE",
        .secret_access_key = SECRET,
        .endpoint_url = endpoint,
    };
    return p;
}

/* Host and object URL for an endpoint, or "" when the config is refused. */
static void addressing(const struct lam_s3_params *p, char *host, char *url, size_t cap)
{
    struct lam_s3_config *c = NULL;
    char err[LAM_ERRBUF_LEN];
    host[0] = url[0] = '\0';
    if (lam_s3_config_new(p, &c, err) != LAM_OK)
        return;
    snprintf(host, cap, "%s", lam_s3_config_host(c));
    if (lam_s3_object_url(c, "cache/k.json", url, cap) != LAM_OK)
        url[0] = '\0';
    lam_s3_config_free(c);
}

static void endpoint_override(void)
{
    static const struct {
        const char *endpoint, *host, *url;
    } cases[] = {
        {"http://127.0.0.1:9000", "127.0.0.1:9000", "http://127.0.0.1:9000/spp-cache/cache/k.json"},
        {"http://localhost:80/", "localhost", "http://localhost/spp-cache/cache/k.json"},
        {"https://minio.example:443", "minio.example", "https://minio.example/spp-cache/cache/k.json"},
        {"https://minio.example:8443", "minio.example:8443",
         "https://minio.example:8443/spp-cache/cache/k.json"},
        {"http://[::1]:9000", "[::1]:9000", "http://[::1]:9000/spp-cache/cache/k.json"},
    };
    char host[300], url[600];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lam_s3_params p = params(cases[i].endpoint);
        addressing(&p, host, url, sizeof host);
        CHECK_STR(host, cases[i].host);
        addressing(&p, host, url, sizeof url);
        CHECK_STR(url, cases[i].url);
    }
    /* the region defaults to us-east-1 with an endpoint, not without */
    struct lam_s3_params p = params("http://127.0.0.1:9000");
    p.region = NULL;
    addressing(&p, host, url, sizeof url);
    CHECK_STR(host, "127.0.0.1:9000");
}

static void aws_addressing(void)
{
    char host[300], url[600];
    struct lam_s3_params p = params(NULL);
    addressing(&p, host, url, sizeof url);
    CHECK_STR(host, "spp-cache.s3.eu-west-1.amazonaws.com");
    CHECK_STR(url, "https://spp-cache.s3.eu-west-1.amazonaws.com/cache/k.json");
    p.bucket = "spp.cache"; /* dots: a wildcard certificate cannot cover it */
    addressing(&p, host, url, sizeof url);
    CHECK_STR(host, "s3.eu-west-1.amazonaws.com");
    CHECK_STR(url, "https://s3.eu-west-1.amazonaws.com/spp.cache/cache/k.json");
    struct lam_s3_config *c = NULL;
    char err[LAM_ERRBUF_LEN];
    p = params(NULL);
    REQUIRE(lam_s3_config_new(&p, &c, err) == LAM_OK);
    /* keys are encoded once in the URL */
    CHECK_INT(lam_s3_object_url(c, "dir/a b+c.json", url, sizeof url), LAM_OK);
    CHECK_STR(url, "https://spp-cache.s3.eu-west-1.amazonaws.com/dir/a%20b%2Bc.json");
    CHECK_INT(lam_s3_object_url(c, "", url, sizeof url), LAM_ERR_INVALID_ARG);
    CHECK_INT(lam_s3_object_url(c, "k", url, 20), LAM_ERR_TOO_LARGE);
    lam_s3_config_free(c);
}

/* Each bad setting is refused with a message that names it and never
   contains the secret. */
static void bad_settings_refused(void)
{
#define EP "http://127.0.0.1:9000"
#define AK "AKIDEXAMPLE"
#define RG "eu-west-1"
    static const struct {
        const char *bucket, *region, *akid, *secret, *endpoint, *mentions;
    } bad[] = {
        {"Upper", RG, AK, SECRET, EP, "CACHE_BUCKET"},
        {"ab", RG, AK, SECRET, EP, "CACHE_BUCKET"},
        {"-spp", RG, AK, SECRET, EP, "CACHE_BUCKET"},
        {"spp-cache", "", AK, SECRET, NULL, "AWS_REGION"},
        {"spp-cache", RG, NULL, SECRET, EP, "AWS_ACCESS_KEY_ID"},
        {"spp-cache", RG, AK, "", EP, "AWS_SECRET_ACCESS_KEY"},
        {"spp-cache", RG, AK, SECRET, "ftp://127.0.0.1:9000", "S3_ENDPOINT_URL"},
        {"spp-cache", RG, AK, SECRET, "http://user:" SECRET "@127.0.0.1:9000", "S3_ENDPOINT_URL"},
        {"spp-cache", RG, AK, SECRET, EP "/prefix", "S3_ENDPOINT_URL"},
        {"spp-cache", RG, AK, SECRET, "127.0.0.1:9000", "S3_ENDPOINT_URL"},
        {"spp-cache", RG, "AKID/EXAMPLE", SECRET, EP, "access key"},
        {"spp-cache", "EU West", AK, SECRET, EP, "region"},
    };
#undef EP
#undef AK
#undef RG
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const struct lam_s3_params p = {.bucket = bad[i].bucket,
                                        .region = bad[i].region,
                                        .access_key_id = bad[i].akid,
                                        .secret_access_key = bad[i].secret,
                                        .endpoint_url = bad[i].endpoint};
        struct lam_s3_config *c = NULL;
        char err[LAM_ERRBUF_LEN] = "";
        enum lam_err rc = lam_s3_config_new(&p, &c, err);
        if (rc != LAM_ERR_BAD_CONFIG || !strstr(err, bad[i].mentions))
            fprintf(stderr, "  case %zu: %s: \"%s\"\n", i, lam_strerror(rc), err);
        CHECK_INT(rc, LAM_ERR_BAD_CONFIG);
        CHECK(c == NULL);
        CHECK(strstr(err, bad[i].mentions) != NULL);
        CHECK(strstr(err, SECRET) == NULL);
        lam_s3_config_free(c);
    }
}

static const char *const s3_vars[] = {"CACHE_BUCKET",          "AWS_REGION",
                                      "AWS_DEFAULT_REGION",    "AWS_ACCESS_KEY_ID",
                                      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                      "S3_ENDPOINT_URL"};

/* Unset means no S3 cache; set means a copy that survives the environment
   being wiped. */
static void config_from_environment(void)
{
    char *saved[sizeof s3_vars / sizeof s3_vars[0]];
    for (size_t i = 0; i < sizeof s3_vars / sizeof s3_vars[0]; i++) {
        const char *v = getenv(s3_vars[i]);
        saved[i] = v ? strdup(v) : NULL;
        unsetenv(s3_vars[i]);
    }
    struct lam_s3_config *c = (struct lam_s3_config *)&c; /* must be overwritten */
    char err[LAM_ERRBUF_LEN] = "", url[300];
    CHECK_INT(lam_s3_config_from_env(&c, err), LAM_OK);
    CHECK(c == NULL);

    setenv("CACHE_BUCKET", "spp-env", 1);
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1); /* the fallback for AWS_REGION */
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    CHECK_INT(lam_s3_config_from_env(&c, err), LAM_OK);
    REQUIRE(c != NULL);
    for (size_t i = 0; i < sizeof s3_vars / sizeof s3_vars[0]; i++) {
        char *v = getenv(s3_vars[i]);
        if (v)
            memset(v, 'X', strlen(v)); /* as a wipe of the environment does */
        unsetenv(s3_vars[i]);
    }
    CHECK_STR(lam_s3_config_host(c), "spp-env.s3.ap-south-1.amazonaws.com");
    CHECK_INT(lam_s3_object_url(c, "k", url, sizeof url), LAM_OK);
    CHECK_STR(url, "https://spp-env.s3.ap-south-1.amazonaws.com/k");
    lam_s3_config_free(c);

    setenv("CACHE_BUCKET", "spp-env", 1);
    c = NULL;
    CHECK_INT(lam_s3_config_from_env(&c, err), LAM_ERR_BAD_CONFIG);
    CHECK(c == NULL);
    for (size_t i = 0; i < sizeof s3_vars / sizeof s3_vars[0]; i++) {
        if (saved[i])
            setenv(s3_vars[i], saved[i], 1);
        else
            unsetenv(s3_vars[i]);
        free(saved[i]);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TCP socket on 127.0.0.1 with a kernel-chosen port; listening or not. */
static int local_socket(int do_listen, int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0 || (do_listen && listen(fd, 8) != 0)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* A cache get through an endpoint: the code, whether a body came back and
   how long it took. */
static enum lam_err get_via(int port, long timeout_ms, int *got_body, double *secs, char *err)
{
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    struct lam_s3_params p = params(ep);
    p.timeout_ms = timeout_ms;
    struct lam_s3_config *cfg = NULL;
    struct lam_cache *c = NULL;
    enum lam_err rc = lam_s3_config_new(&p, &cfg, err);
    if (rc != LAM_OK)
        return rc;
    struct lam_cache_config cc = {.s3 = cfg};
    if ((rc = lam_cache_open(&cc, &c, err)) != LAM_OK) {
        lam_s3_config_free(cfg);
        return rc;
    }
    char *body = NULL;
    size_t len = 0;
    double t0 = now_s();
    rc = lam_cache_get(c, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                       &body, &len, err);
    *secs = now_s() - t0;
    *got_body = body != NULL;
    free(body);
    lam_cache_close(c);
    lam_s3_config_free(cfg);
    return rc;
}

/* Nothing listening: connection refused at once, a miss. */
static void closed_port_is_a_miss(void)
{
    int port = 0, fd = local_socket(0, &port);
    REQUIRE(fd >= 0);
    close(fd); /* bound then closed: nothing listens there now */
    char err[LAM_ERRBUF_LEN] = "";
    int got = 1;
    double secs = 0;
    CHECK_INT(get_via(port, 0, &got, &secs, err), LAM_ERR_HTTP);
    CHECK(!got);
    CHECK(secs < 1.0);
    CHECK(strstr(err, "GET cache/") != NULL);
}

/* A peer that accepts and never answers: the whole-request limit ends it. */
static void silent_peer_times_out(void)
{
    int port = 0, fd = local_socket(1, &port);
    REQUIRE(fd >= 0);
    char err[LAM_ERRBUF_LEN] = "";
    int got = 1;
    double secs = 0;
    CHECK_INT(get_via(port, 300, &got, &secs, err), LAM_ERR_HTTP);
    CHECK(!got);
    CHECK(secs >= 0.25 && secs < 2.0);
    CHECK(strstr(err, "imeout") != NULL || strstr(err, "timed out") != NULL);
    printf("  silent peer: miss after %.2f s (limit 0.3 s): %s\n", secs, err);
    close(fd);
}

TEST_MAIN(TEST(endpoint_override), TEST(aws_addressing), TEST(bad_settings_refused),
          TEST(config_from_environment), TEST(closed_port_is_a_miss),
          TEST(silent_peer_times_out))
