/*
 * config.c - read the environment once, keep private copies, then wipe it.
 *
 * Values are validated here so a bad deployment fails at init (the Lambda
 * bootstrap reports it to /runtime/init/error) instead of on the first
 * request. Nothing here prints a credential: messages name variables only.
 */
#include "lambda/config.h"
#include "lambda/handler.h"
#include "tracer/probe.h"
#include "tracer/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

/* A copy of a variable's value; NULL when unset or empty. *oom is set when
   a copy could not be made. */
static char *env_dup(const char *name, int *oom)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return NULL;
    char *d = strdup(v);
    if (!d)
        *oom = 1;
    return d;
}

static void free_secret(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void lam_config_free(struct lam_config *c)
{
    if (!c)
        return;
    free(c->runtime_api);
    free(c->environment);
    free(c->cors_origin);
    free(c->cache_bucket);
    free(c->region);
    free(c->s3_endpoint);
    free_secret(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    free(c->cache_dir);
    free(c->tracer_path);
    for (size_t i = 0; c->tracer_env && c->tracer_env[i]; i++)
        free(c->tracer_env[i]);
    free(c->tracer_env);
    memset(c, 0, sizeof *c);
}

/* Header values go into HTTP responses: no control characters. */
static int header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* The cache's directory, decided now because the environment will be gone
   when the cache opens: $XDG_CACHE_HOME/spp-trace, in Lambda
   /tmp/spp-trace-cache (the only writable place), else
   $HOME/.cache/spp-trace. NULL: none found (the cache then says why). */
static char *default_cache_dir(int in_lambda, int *oom)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *base, *leaf;
    if (xdg && xdg[0] == '/')
        base = xdg, leaf = "/spp-trace";
    else if (in_lambda)
        base = "/tmp", leaf = "/spp-trace-cache";
    else if (home && home[0] == '/')
        base = home, leaf = "/.cache/spp-trace";
    else
        return NULL;
    size_t n = strlen(base) + strlen(leaf) + 1;
    char *d = malloc(n);
    if (!d || snprintf(d, n, "%s%s", base, leaf) < 0) {
        free(d);
        *oom = 1;
        return NULL;
    }
    return d;
}

static int tracer_env_wanted(const char *entry)
{
    static const char *const keep[] = {"PATH=", "HOME=", "TMPDIR=", "LANG=", "SPP_"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (strncmp(entry, keep[i], strlen(keep[i])) == 0)
            return 1;
    return 0;
}

/* The tracer's environment: the allow-list above (never AWS_*), plus a
   default PATH and LANG when the process has none. */
static char **build_tracer_env(int *oom)
{
    size_t n = 0, k = 0;
    int have_path = 0, have_lang = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    char **v = calloc(n + 3, sizeof *v);
    if (!v) {
        *oom = 1;
        return NULL;
    }
    for (char **e = environ; e && *e; e++) {
        if (!tracer_env_wanted(*e))
            continue;
        have_path |= strncmp(*e, "PATH=", 5) == 0;
        have_lang |= strncmp(*e, "LANG=", 5) == 0;
        if (!(v[k++] = strdup(*e)))
            *oom = 1;
    }
    if (!have_path && !(v[k++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin")))
        *oom = 1;
    if (!have_lang && !(v[k++] = strdup("LANG=C.UTF-8")))
        *oom = 1;
    return v;
}

enum lam_err lam_config_load(struct lam_config *c, const char *default_tracer, char *errbuf)
{
    int oom = 0;
    enum lam_err rc = LAM_OK;
    const char *s;

    memset(c, 0, sizeof *c);
    c->runtime_api = env_dup("AWS_LAMBDA_RUNTIME_API", &oom);
    c->environment = env_dup("ENVIRONMENT", &oom);
    c->cors_origin = env_dup("CORS_ALLOW_ORIGIN", &oom);
    c->cache_bucket = env_dup("CACHE_BUCKET", &oom);
    c->region = env_dup("AWS_REGION", &oom);
    if (!c->region)
        c->region = env_dup("AWS_DEFAULT_REGION", &oom);
    c->s3_endpoint = env_dup("S3_ENDPOINT_URL", &oom);
    c->access_key_id = env_dup("AWS_ACCESS_KEY_ID", &oom);
    c->secret_access_key = env_dup("AWS_SECRET_ACCESS_KEY", &oom);
    c->session_token = env_dup("AWS_SESSION_TOKEN", &oom);
    c->cache_dir = env_dup("SPP_CACHE_DIR", &oom);
    if (!c->cache_dir && !oom)
        c->cache_dir = default_cache_dir(c->runtime_api != NULL, &oom);
    c->tracer_path = env_dup("SPP_TRACER", &oom);
    if (!c->tracer_path && default_tracer && !(c->tracer_path = strdup(default_tracer)))
        oom = 1;
    if (!c->environment && !(c->environment = strdup("dev")))
        oom = 1;
    if (!c->cors_origin && !(c->cors_origin = strdup("*")))
        oom = 1;
    c->tracer_env = build_tracer_env(&oom);
    if (oom) {
        rc = lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory reading the configuration");
        goto fail;
    }

    if ((s = getenv("SPP_NO_CACHE")) && *s && strcmp(s, "0") != 0)
        c->no_cache = 1;
    if ((s = getenv("SPP_TRACER_WALL_MS")) && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < 1000 || v > 15LL * 60 * 1000) {
            rc = lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                             "SPP_TRACER_WALL_MS must be a number of milliseconds from 1000 "
                             "to 900000");
            goto fail;
        }
        c->tracer_wall_ms = v;
    }
    if (!header_safe(c->cors_origin)) {
        rc = lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                         "CORS_ALLOW_ORIGIN must not contain control characters");
        goto fail;
    }
    if (c->cache_bucket && !c->region && !c->s3_endpoint) {
        rc = lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                         "CACHE_BUCKET is set but neither AWS_REGION nor S3_ENDPOINT_URL is");
        goto fail;
    }
    if (c->cache_bucket && (!c->access_key_id != !c->secret_access_key)) {
        rc = lam_err_set(errbuf, LAM_ERR_BAD_CONFIG,
                         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        goto fail;
    }
    return LAM_OK;
fail:
    lam_config_free(c);
    return rc;
}

void lam_config_handler(const struct lam_config *c, struct lam_handler_config *hc)
{
    memset(hc, 0, sizeof *hc);
    hc->tracer_path = c->tracer_path;
    hc->tracer_env = (const char *const *)c->tracer_env;
    hc->wall_ms = c->tracer_wall_ms;
    hc->no_cache = c->no_cache;
    hc->cache_dir = c->cache_dir;
    hc->seal_cache = c->seal_cache;
    hc->s3_bucket = c->cache_bucket;
    hc->s3_region = c->region;
    hc->s3_endpoint = c->s3_endpoint;
    hc->aws_access_key_id = c->access_key_id;
    hc->aws_secret_access_key = c->secret_access_key;
    hc->aws_session_token = c->session_token;
    hc->log = lam_log_handler;
    hc->log_ctx = (void *)"handler";
}

enum lam_err lam_config_tracer_env(struct lam_config *c, const char *name, const char *value,
                                   char *errbuf)
{
    size_t n = 0, nlen = strlen(name), len = nlen + 1 + strlen(value) + 1;
    char *entry = malloc(len);
    if (!entry)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    snprintf(entry, len, "%s=%s", name, value);
    while (c->tracer_env && c->tracer_env[n])
        n++;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(c->tracer_env[i], name, nlen) == 0 && c->tracer_env[i][nlen] == '=') {
            free(c->tracer_env[i]);
            c->tracer_env[i] = entry;
            return LAM_OK;
        }
    }
    char **v = realloc(c->tracer_env, (n + 2) * sizeof *v);
    if (!v) {
        free(entry);
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "out of memory");
    }
    v[n] = entry;
    v[n + 1] = NULL;
    c->tracer_env = v;
    return LAM_OK;
}

enum lam_err lam_config_probe(struct lam_config *c, char *json, size_t len, char *errbuf)
{
    struct tr_probe p;
    char text[TR_PROBE_TEXT_LEN];
    tr_probe_run(&p);
    tr_probe_json(&p, 1, json, len); /* the tracer it runs has the Valgrind engine */
    /* Without a uid of their own and a read-only view of the file system,
       traced programs could write the local cache (AWS Lambda). */
    c->seal_cache = !(p.setuid && p.mountns);
    if (tr_probe_encode(&p, text, sizeof text) != TR_OK)
        return lam_err_set(errbuf, LAM_ERR_NOMEM, "probe result too long");
    return lam_config_tracer_env(c, TR_PROBE_ENV, text, errbuf);
}

enum lam_err lam_config_seal(char *errbuf)
{
    /* The strings of the initial environment sit in one block at the top of
       the stack, which is what /proc/<pid>/environ shows; entries added
       later by setenv live on the heap. Zero both. */
    for (char **e = environ; e && *e; e++)
        explicit_bzero(*e, strlen(*e));
    if (clearenv() != 0)
        return lam_err_set(errbuf, LAM_ERR_SYS, "clearenv failed");
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        return lam_err_set(errbuf, LAM_ERR_SYS, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
    return LAM_OK;
}

char *lam_config_sibling(const char *name)
{
    char exe[PATH_MAX];
    if (tr_proc_self_exe(exe, sizeof exe) < 0)
        return NULL;
    if (!name)
        return strdup(exe);
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    size_t len = strlen(exe) + 1 + strlen(name) + 1;
    char *out = malloc(len);
    if (out && snprintf(out, len, "%s/%s", exe, name) < 0) {
        free(out);
        out = NULL;
    }
    return out;
}

void lam_log(const char *level, const char *module, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    /* One write per line so concurrent threads do not interleave. */
    char line[1200];
    n = snprintf(line, sizeof line, "spp-trace: %s: %s: %s\n", level, module, msg);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line) {
        n = (int)sizeof line - 1;
        line[n - 1] = '\n';
    }
    ssize_t w = write(2, line, (size_t)n);
    (void)w;
}

void lam_log_handler(void *ctx, const char *level, const char *msg)
{
    lam_log(level, ctx ? (const char *)ctx : "handler", "%s", msg);
}
