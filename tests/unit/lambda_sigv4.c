/*
 * lambda_sigv4.c - SigV4 checked stage by stage against AWS's vectors.
 *
 * The vector files are read at run time from $SPP_VECTORS (default
 * ../shared/vectors, relative to the repository root where tests run):
 *  - sigv4/: AWS's generic suite. Each case's request.txt is parsed here and
 *    signed in every mode whose path rules apply to it (README there): the
 *    *-normalized, get-space and get-utf8 cases only in GENERIC mode, the
 *    *-unnormalized cases only in S3 mode (S3 never normalises), all others
 *    in both. Each stage is fed the vector's own input, so a failure names
 *    the stage: canonical request (from request.txt), string to sign (from
 *    the vector's canonical request), signature (from the vector's string to
 *    sign), and the Authorization header of the full signer.
 *  - sigv4-s3-examples/: the four worked examples of the S3 API reference;
 *    their requests are written out below as the reference describes them.
 * Skips (77) when the vectors are absent. Ends with a timing printout
 * (no assertion): signing one S3 GET, against one SHA-256 of its canonical
 * request measured in the same run.
 */
#include "check.h"
#include "lambda/sigv4.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_HDR LAM_SIGV4_HEADERS_MAX

static char vec_root[1024];

/* ---- reading vector files ---- */

/* The file's bytes, NUL-terminated, malloc'd (free()); NULL when absent. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[2048];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
        if (cap - used - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[used] = '\0';
        if (len)
            *len = used;
    }
    return buf;
}

/* Expected text: the file without one trailing newline (some vector files
   end with one, the canonical ones do not). */
static char *expected(const char *dir, const char *name)
{
    size_t n = 0;
    char *s = slurp(dir, name, &n);
    if (s && n > 0 && s[n - 1] == '\n')
        s[n - 1] = '\0';
    return s;
}

/* A request.txt: request line, header lines (a line starting with a blank
   continues the previous value: obs-fold, replaced by one space as RFC 7230
   says), a blank line, the body. */
struct vreq {
    char method[16];
    char *path, *query;
    struct lam_sigv4_header h[MAX_HDR];
    char *names[MAX_HDR], *values[MAX_HDR];
    size_t nh;
    char *body;
    size_t body_len;
};

static void vreq_free(struct vreq *v)
{
    free(v->path);
    free(v->query);
    for (size_t i = 0; i < v->nh; i++) {
        free(v->names[i]);
        free(v->values[i]);
    }
    free(v->body);
    memset(v, 0, sizeof *v);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int parse_request(const char *text, size_t len, struct vreq *v)
{
    memset(v, 0, sizeof *v);
    const char *end = text + len, *p = text;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    const char *sp2 = eol;
    while (sp2 > p && sp2[-1] != ' ')
        sp2--;
    if (!sp1 || sp2 <= sp1 + 1 || (size_t)(sp1 - p) >= sizeof v->method)
        return 0;
    memcpy(v->method, p, (size_t)(sp1 - p));
    const char *target = sp1 + 1, *tend = sp2 - 1;
    const char *q = memchr(target, '?', (size_t)(tend - target));
    v->path = dup_n(target, (size_t)((q ? q : tend) - target));
    v->query = q ? dup_n(q + 1, (size_t)(tend - q - 1)) : NULL;
    p = eol < end ? eol + 1 : end;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol == p) { /* blank line: the body follows */
            p++;
            break;
        }
        if ((*p == ' ' || *p == '\t') && v->nh > 0) {
            char *prev = v->values[v->nh - 1];
            size_t pl = strlen(prev), ll = (size_t)(eol - p);
            char *nv = realloc(prev, pl + 1 + ll + 1);
            if (!nv)
                return 0;
            nv[pl] = ' ';
            memcpy(nv + pl + 1, p, ll);
            nv[pl + 1 + ll] = '\0';
            v->values[v->nh - 1] = nv;
        } else {
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            if (!colon || v->nh == MAX_HDR)
                return 0;
            v->names[v->nh] = dup_n(p, (size_t)(colon - p));
            v->values[v->nh] = dup_n(colon + 1, (size_t)(eol - colon - 1));
            v->nh++;
        }
        p = eol < end ? eol + 1 : end;
    }
    v->body_len = (size_t)(end - p);
    v->body = dup_n(p, v->body_len);
    for (size_t i = 0; i < v->nh; i++) {
        v->h[i].name = v->names[i];
        v->h[i].value = v->values[i];
    }
    return v->path != NULL && v->body != NULL;
}

struct vctx {
    char akid[64], secret[128], token[2048], region[32], service[32];
    int sign_body, omit_token;
    time_t when;
};

static time_t parse_time(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!e || *e)
        return (time_t)-1;
    return timegm(&tm);
}

static int copy_json_str(const cJSON *o, const char *k, char *dst, size_t cap, int required)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(it))
        return !required;
    int n = snprintf(dst, cap, "%s", it->valuestring);
    return n >= 0 && (size_t)n < cap;
}

static int parse_context(const char *text, struct vctx *c)
{
    memset(c, 0, sizeof *c);
    cJSON *o = cJSON_Parse(text);
    if (!o)
        return 0;
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(o, "credentials");
    char ts[64] = "";
    int ok = cr && copy_json_str(cr, "access_key_id", c->akid, sizeof c->akid, 1) &&
             copy_json_str(cr, "secret_access_key", c->secret, sizeof c->secret, 1) &&
             copy_json_str(cr, "token", c->token, sizeof c->token, 0) &&
             copy_json_str(o, "region", c->region, sizeof c->region, 1) &&
             copy_json_str(o, "service", c->service, sizeof c->service, 1) &&
             copy_json_str(o, "timestamp", ts, sizeof ts, 1);
    c->sign_body = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "sign_body"));
    c->omit_token = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "omit_session_token"));
    cJSON_Delete(o);
    c->when = parse_time(ts);
    return ok && c->when != (time_t)-1;
}

/* The value of "Name:" in a signed-request file, copied into out. */
static int header_line(const char *text, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            size_t vl = ll - nl - 1;
            if (vl >= cap)
                return 0;
            memcpy(out, p + nl + 1, vl);
            out[vl] = '\0';
            return 1;
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

/* ---- the generic suite ---- */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Which modes a case's path rules allow (sigv4/README and the top of this file). */
static int case_in_mode(const char *name, enum lam_sigv4_mode m)
{
    int generic_only = ends_with(name, "-normalized") || strncmp(name, "get-space", 9) == 0 ||
                       strcmp(name, "get-utf8") == 0;
    int s3_only = ends_with(name, "-unnormalized") && strncmp(name, "get-space", 9) != 0;
    return m == LAM_SIGV4_S3 ? !generic_only : !s3_only;
}

static void make_signer(const struct vctx *c, enum lam_sigv4_mode m, struct lam_sigv4_signer *s)
{
    memset(s, 0, sizeof *s);
    s->mode = m;
    s->body = c->sign_body ? LAM_SIGV4_BODY_HEADER : LAM_SIGV4_BODY_NO_HEADER;
    s->access_key_id = c->akid;
    s->secret_access_key = c->secret;
    /* omit_session_token: the token is sent but not signed, so the signer
       is given none and the caller adds the header afterwards. */
    s->session_token = c->omit_token ? NULL : c->token;
    s->region = c->region;
    s->service = c->service;
}

static void make_request(const struct vreq *v, struct lam_sigv4_request *r)
{
    memset(r, 0, sizeof *r);
    r->method = v->method;
    r->path = v->path;
    r->query = v->query;
    r->headers = v->h;
    r->n_headers = v->nh;
    r->body = (const uint8_t *)v->body;
    r->body_len = v->body_len;
}

struct case_files {
    char *request, *context, *creq, *sts, *sig, *signed_req;
    size_t request_len;
};

static void case_files_free(struct case_files *f)
{
    free(f->request);
    free(f->context);
    free(f->creq);
    free(f->sts);
    free(f->sig);
    free(f->signed_req);
}

static int load_case(const char *dir, struct case_files *f)
{
    memset(f, 0, sizeof *f);
    f->request = slurp(dir, "request.txt", &f->request_len);
    f->context = slurp(dir, "context.json", NULL);
    f->creq = expected(dir, "header-canonical-request.txt");
    f->sts = expected(dir, "header-string-to-sign.txt");
    f->sig = expected(dir, "header-signature.txt");
    f->signed_req = slurp(dir, "header-signed-request.txt", NULL);
    return f->request && f->context && f->creq && f->sts && f->sig && f->signed_req;
}

/* Runs every stage of one case in one mode; 1 when all match. */
static int check_case(const char *name, const struct case_files *f, enum lam_sigv4_mode m)
{
    const char *mode = m == LAM_SIGV4_S3 ? "s3" : "generic";
    struct vctx c;
    struct vreq v;
    struct lam_sigv4_signer s;
    struct lam_sigv4_request r;
    struct lam_sigv4_creq cr;
    struct lam_sigv4_out out;
    char err[LAM_ERRBUF_LEN] = "", sts[LAM_SIGV4_STS_MAX], sig[LAM_SIGV4_HEX_LEN + 1];
    char want_auth[LAM_SIGV4_AUTH_MAX], want_date[32];
    uint8_t key[LAM_SIGV4_KEY_LEN];
    int ok = 1;
    if (!parse_context(f->context, &c) || !parse_request(f->request, f->request_len, &v)) {
        fprintf(stderr, "  %s: vector files unreadable\n", name);
        return 0;
    }
    make_signer(&c, m, &s);
    make_request(&v, &r);

    enum lam_err rc = lam_sigv4_canonical_request(&s, &r, c.when, &cr, err);
    if (rc != LAM_OK) {
        fprintf(stderr, "  %s [%s]: canonical request: %s: %s\n", name, mode, lam_strerror(rc),
                err);
        ok = 0;
    } else {
        if (strcmp(cr.text, f->creq) != 0) {
            fprintf(stderr, "  %s [%s]: canonical request differs:\n--- got\n%s\n--- want\n%s\n",
                    name, mode, cr.text, f->creq);
            ok = 0;
        }
        lam_sigv4_creq_clear(&cr);
    }
    rc = lam_sigv4_string_to_sign(&s, c.when, f->creq, strlen(f->creq), sts, err);
    if (rc != LAM_OK || strcmp(sts, f->sts) != 0) {
        fprintf(stderr, "  %s [%s]: string to sign differs (%s)\n", name, mode, err);
        ok = 0;
    }
    rc = lam_sigv4_signing_key(&s, c.when, key, err);
    if (rc == LAM_OK)
        rc = lam_sigv4_signature(key, f->sts, sig, err);
    if (rc != LAM_OK || strcmp(sig, f->sig) != 0) {
        fprintf(stderr, "  %s [%s]: signature differs (%s)\n", name, mode, err);
        ok = 0;
    }
    if (!header_line(f->signed_req, "Authorization", want_auth, sizeof want_auth) ||
        !header_line(f->signed_req, "X-Amz-Date", want_date, sizeof want_date)) {
        fprintf(stderr, "  %s: signed request has no Authorization/X-Amz-Date\n", name);
        ok = 0;
    } else if ((rc = lam_sigv4_sign(&s, &r, c.when, &out, err)) != LAM_OK) {
        fprintf(stderr, "  %s [%s]: sign: %s: %s\n", name, mode, lam_strerror(rc), err);
        ok = 0;
    } else if (strcmp(out.authorization, want_auth) != 0 || strcmp(out.amz_date, want_date)) {
        fprintf(stderr, "  %s [%s]: Authorization differs:\n  got  %s\n  want %s\n", name, mode,
                out.authorization, want_auth);
        ok = 0;
    }
    vreq_free(&v);
    return ok;
}

static int list_cases(char ***names)
{
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/sigv4", vec_root);
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    int k = 0;
    *names = calloc(n > 0 ? (size_t)n : 1, sizeof **names);
    for (int i = 0; i < n; i++) {
        struct stat st;
        char p[2400];
        snprintf(p, sizeof p, "%s/%s/request.txt", dir, ents[i]->d_name);
        if (ents[i]->d_name[0] != '.' && stat(p, &st) == 0 && *names)
            (*names)[k++] = strdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    return k;
}

static void run_suite(enum lam_sigv4_mode m)
{
    char **names = NULL;
    int n = list_cases(&names), ran = 0, bad = 0;
    REQUIRE(n > 0);
    for (int i = 0; i < n; i++) {
        if (case_in_mode(names[i], m)) {
            char dir[2400];
            struct case_files f;
            snprintf(dir, sizeof dir, "%s/sigv4/%s", vec_root, names[i]);
            if (!load_case(dir, &f) || !check_case(names[i], &f, m))
                bad++;
            case_files_free(&f);
            ran++;
        }
        free(names[i]);
    }
    free(names);
    printf("  %s mode: %d of the suite's cases checked, %d differ\n",
           m == LAM_SIGV4_S3 ? "s3" : "generic", ran, bad);
    CHECK(ran > 0);
    CHECK_INT(bad, 0);
}

static void suite_generic(void)
{
    run_suite(LAM_SIGV4_GENERIC);
}

static void suite_s3(void)
{
    run_suite(LAM_SIGV4_S3);
}

/* One case's canonical request in a mode, or NULL (err says why). */
static char *canonical_of(const char *name, enum lam_sigv4_mode m, enum lam_err *rc)
{
    char dir[2400], err[LAM_ERRBUF_LEN];
    struct case_files f;
    struct vctx c;
    struct vreq v;
    struct lam_sigv4_signer s;
    struct lam_sigv4_request r;
    struct lam_sigv4_creq cr;
    char *text = NULL;
    snprintf(dir, sizeof dir, "%s/sigv4/%s", vec_root, name);
    *rc = LAM_ERR_IO;
    if (load_case(dir, &f) && parse_context(f.context, &c) &&
        parse_request(f.request, f.request_len, &v)) {
        make_signer(&c, m, &s);
        make_request(&v, &r);
        *rc = lam_sigv4_canonical_request(&s, &r, c.when, &cr, err);
        if (*rc == LAM_OK)
            text = cr.text;
        free(*rc == LAM_OK ? cr.signed_headers : NULL);
        vreq_free(&v);
    }
    case_files_free(&f);
    return text;
}

/* S3 signs the path as sent: the request of each "-normalized" case,
   signed with S3 rules, must give its "-unnormalized" sibling's canonical
   request; and a path with raw bytes (space, UTF-8) is refused. */
static void s3_path_rules(void)
{
    static const char *pairs[] = {"get-relative", "get-relative-relative", "get-slash",
                                  "get-slash-dot-slash", "get-slash-pointless-dot",
                                  "get-slashes"};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        char norm[128], unnorm[128], dir[2400];
        snprintf(norm, sizeof norm, "%s-normalized", pairs[i]);
        snprintf(unnorm, sizeof unnorm, "%s-unnormalized", pairs[i]);
        snprintf(dir, sizeof dir, "%s/sigv4/%s", vec_root, unnorm);
        char *want = expected(dir, "header-canonical-request.txt");
        enum lam_err rc;
        char *got = canonical_of(norm, LAM_SIGV4_S3, &rc);
        CHECK(want != NULL);
        CHECK_INT(rc, LAM_OK);
        if (want && got && strcmp(got, want) != 0) {
            fprintf(stderr, "  %s in s3 mode:\n%s\n--- want (%s)\n%s\n", norm, got, unnorm, want);
            CHECK(0);
        }
        free(want);
        free(got);
    }
    static const char *raw[] = {"get-space-normalized", "get-space-unnormalized", "get-utf8"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        enum lam_err rc;
        char *got = canonical_of(raw[i], LAM_SIGV4_S3, &rc);
        CHECK(got == NULL);
        CHECK_INT(rc, LAM_ERR_INVALID_ARG);
        free(got);
    }
}

/* ---- the S3 API reference's examples ---- */

struct s3_example {
    const char *dir, *method, *key, *query, *body;
    const char *hdr[3][2];
};

/* The requests as the S3 API reference describes them (object keys
   unencoded; the path is encoded here). */
static const struct s3_example s3_examples[] = {
    {"s3-get-object", "GET", "/test.txt", NULL, "",
     {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}}},
    {"s3-put-object", "PUT", "/test$file.text", NULL, "Welcome to Amazon S3.",
     {{"Host", "examplebucket.s3.amazonaws.com"},
      {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
      {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}},
    {"s3-get-bucket-lifecycle", "GET", "/", "lifecycle", "",
     {{"Host", "examplebucket.s3.amazonaws.com"}}},
    {"s3-list-objects", "GET", "/", "max-keys=2&prefix=J", "",
     {{"Host", "examplebucket.s3.amazonaws.com"}}},
};

static void s3_reference_examples(void)
{
    const struct lam_sigv4_signer s = {
        .mode = LAM_SIGV4_S3,
        .body = LAM_SIGV4_BODY_HEADER,
        .access_key_id = "AKIAIOSFODNN7EXAMPLE",
        .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        .region = "us-east-1",
        .service = "s3",
    };
    time_t when = parse_time("2013-05-24T00:00:00Z");
    for (size_t i = 0; i < sizeof s3_examples / sizeof s3_examples[0]; i++) {
        const struct s3_example *x = &s3_examples[i];
        char dir[1200], path[256], err[LAM_ERRBUF_LEN] = "";
        char sts[LAM_SIGV4_STS_MAX], sig[LAM_SIGV4_HEX_LEN + 1];
        uint8_t key[LAM_SIGV4_KEY_LEN];
        size_t plen = 0, nh = 0;
        struct lam_sigv4_header h[3];
        snprintf(dir, sizeof dir, "%s/sigv4-s3-examples/%s", vec_root, x->dir);
        char *want_creq = expected(dir, "canonical-request.txt");
        char *want_sts = expected(dir, "string-to-sign.txt");
        char *want_sig = expected(dir, "signature.txt");
        char *want_auth = expected(dir, "authorization.txt");
        if (!want_creq || !want_sts || !want_sig || !want_auth) {
            fprintf(stderr, "  %s: files missing\n", x->dir);
            CHECK(0);
            goto next;
        }
        CHECK_INT(lam_sigv4_uri_encode((const uint8_t *)x->key, strlen(x->key), 1, path,
                                       sizeof path, &plen),
                  LAM_OK);
        for (; nh < 3 && x->hdr[nh][0]; nh++) {
            h[nh].name = x->hdr[nh][0];
            h[nh].value = x->hdr[nh][1];
        }
        struct lam_sigv4_request r = {.method = x->method,
                                      .path = path,
                                      .query = x->query,
                                      .headers = h,
                                      .n_headers = nh,
                                      .body = (const uint8_t *)x->body,
                                      .body_len = strlen(x->body)};
        struct lam_sigv4_creq cr;
        enum lam_err rc = lam_sigv4_canonical_request(&s, &r, when, &cr, err);
        CHECK_INT(rc, LAM_OK);
        if (rc == LAM_OK) {
            CHECK_STR(cr.text, want_creq);
            lam_sigv4_creq_clear(&cr);
        }
        CHECK_INT(lam_sigv4_string_to_sign(&s, when, want_creq, strlen(want_creq), sts, err),
                  LAM_OK);
        CHECK_STR(sts, want_sts);
        CHECK_INT(lam_sigv4_signing_key(&s, when, key, err), LAM_OK);
        CHECK_INT(lam_sigv4_signature(key, want_sts, sig, err), LAM_OK);
        CHECK_STR(sig, want_sig);
        struct lam_sigv4_out out;
        rc = lam_sigv4_sign(&s, &r, when, &out, err);
        CHECK_INT(rc, LAM_OK);
        if (rc == LAM_OK) {
            CHECK_STR(out.authorization, want_auth);
            CHECK_STR(out.amz_date, "20130524T000000Z");
        }
    next:
        free(want_creq);
        free(want_sts);
        free(want_sig);
        free(want_auth);
    }
}

/* ---- rules the vectors do not pin down ---- */

static const struct lam_sigv4_signer s3_signer = {
    .mode = LAM_SIGV4_S3,
    .body = LAM_SIGV4_BODY_HEADER,
    .access_key_id = "AKIDEXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .session_token = "FQoGZXIvYXdzEXAMPLETOKEN//+=",
    .region = "eu-west-1",
    .service = "s3",
};

/* With a session token, S3 mode signs x-amz-security-token next to
   x-amz-content-sha256 and x-amz-date, and the signature depends on it. */
static void s3_session_token_signed(void)
{
    struct lam_sigv4_header h[] = {{"Host", "127.0.0.1:9000"}};
    struct lam_sigv4_request r = {.method = "GET", .path = "/b/cache/k.json",
                                  .headers = h, .n_headers = 1};
    struct lam_sigv4_creq cr;
    struct lam_sigv4_out with, without;
    char err[LAM_ERRBUF_LEN];
    time_t t = 1700000000;
    REQUIRE(lam_sigv4_canonical_request(&s3_signer, &r, t, &cr, err) == LAM_OK);
    CHECK_STR(cr.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    CHECK(strstr(cr.text, "\nhost:127.0.0.1:9000\n") != NULL);
    CHECK(strstr(cr.text, "\nx-amz-security-token:FQoGZXIvYXdzEXAMPLETOKEN//+=\n") != NULL);
    CHECK(strstr(cr.text, "\nx-amz-content-sha256:" LAM_SIGV4_EMPTY_SHA256 "\n") != NULL);
    lam_sigv4_creq_clear(&cr);
    struct lam_sigv4_signer no_token = s3_signer;
    no_token.session_token = NULL;
    REQUIRE(lam_sigv4_sign(&s3_signer, &r, t, &with, err) == LAM_OK);
    REQUIRE(lam_sigv4_sign(&no_token, &r, t, &without, err) == LAM_OK);
    CHECK(strstr(with.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                                     "x-amz-security-token, Signature=") != NULL);
    CHECK(strcmp(with.authorization, without.authorization) != 0);
    CHECK_STR(with.content_sha256, LAM_SIGV4_EMPTY_SHA256);
    CHECK_STR(with.amz_date, "20231114T221320Z");
}

/* Header canonicalisation beyond the suite: tabs count as blanks, names
   are sorted after lower-casing, and the signer refuses what would make the
   signed request differ from the sent one. */
static void header_rules(void)
{
    struct lam_sigv4_header h[] = {{"Zed", "\t a \t\tb  "}, {"host", "h"}, {"ALPHA", "x"},
                                   {"zed", "c"}};
    struct lam_sigv4_request r = {.method = "PUT", .path = "/k", .headers = h, .n_headers = 4};
    struct lam_sigv4_creq cr;
    char err[LAM_ERRBUF_LEN];
    REQUIRE(lam_sigv4_canonical_request(&s3_signer, &r, 0, &cr, err) == LAM_OK);
    CHECK(strncmp(cr.text, "PUT\n/k\n\nalpha:x\nhost:h\n", 22) == 0);
    CHECK(strstr(cr.text, "\nzed:a b,c\n\n") != NULL);
    CHECK_STR(cr.signed_headers,
              "alpha;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;zed");
    lam_sigv4_creq_clear(&cr);

    struct lam_sigv4_header bad[][2] = {
        {{"host", "h"}, {"X-Amz-Date", "20150830T123600Z"}},
        {{"host", "h"}, {"Authorization", "x"}},
        {{"host", "h"}, {"x-inject", "a\r\nb: c"}},
        {{"host", "h"}, {"bad name", "v"}},
        {{"not-host", "h"}, {"a", "b"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r.headers = bad[i];
        r.n_headers = 2;
        err[0] = '\0';
        CHECK_INT(lam_sigv4_canonical_request(&s3_signer, &r, 0, &cr, err),
                  LAM_ERR_INVALID_ARG);
        CHECK(err[0] != '\0');
        CHECK(strstr(err, s3_signer.secret_access_key) == NULL);
    }
}

/* Query canonicalisation: decoded and re-encoded strictly, sorted by name
   then value (so "a" sorts before "a-b" although '=' > '-'), a bare name
   gets "=", empty parameters vanish. */
static void query_rules(void)
{
    struct lam_sigv4_header h[] = {{"host", "h"}};
    struct lam_sigv4_request r = {.method = "GET", .path = "/", .headers = h, .n_headers = 1,
                                  .query = "b=2&a-b=1&a=z&a=y&&flag&sp=a%20b+c&sl=x/y%2fz"};
    struct lam_sigv4_creq cr;
    char err[LAM_ERRBUF_LEN];
    REQUIRE(lam_sigv4_canonical_request(&s3_signer, &r, 0, &cr, err) == LAM_OK);
    CHECK(strncmp(cr.text, "GET\n/\na=y&a=z&a-b=1&b=2&flag=&sl=x%2Fy%2Fz&sp=a%20b%2Bc\n",
                  56) == 0);
    lam_sigv4_creq_clear(&cr);
}

static void uri_encode_rules(void)
{
    char out[64];
    size_t n = 0;
    const char *in = "/a b/\xc3\xbc$~-._";
    CHECK_INT(lam_sigv4_uri_encode((const uint8_t *)in, strlen(in), 1, out, sizeof out, &n),
              LAM_OK);
    CHECK_STR(out, "/a%20b/%C3%BC%24~-._");
    CHECK_INT(n, strlen("/a%20b/%C3%BC%24~-._"));
    CHECK_INT(lam_sigv4_uri_encode((const uint8_t *)in, strlen(in), 0, out, sizeof out, &n),
              LAM_OK);
    CHECK_STR(out, "%2Fa%20b%2F%C3%BC%24~-._");
    /* exactly fitting, and one byte short */
    CHECK_INT(lam_sigv4_uri_encode((const uint8_t *)"a b", 3, 0, out, 6, &n), LAM_OK);
    CHECK_INT(lam_sigv4_uri_encode((const uint8_t *)"a b", 3, 0, out, 5, &n),
              LAM_ERR_TOO_LARGE);
}

static void bad_signer_inputs(void)
{
    struct lam_sigv4_header h[] = {{"host", "h"}};
    struct lam_sigv4_request r = {.method = "GET", .path = "/", .headers = h, .n_headers = 1};
    struct lam_sigv4_out out;
    char err[LAM_ERRBUF_LEN];
    struct lam_sigv4_signer s = s3_signer;
    s.region = "EU West";
    CHECK_INT(lam_sigv4_sign(&s, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    s = s3_signer;
    s.secret_access_key = "";
    CHECK_INT(lam_sigv4_sign(&s, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    s = s3_signer;
    s.access_key_id = "AKID/1";
    CHECK_INT(lam_sigv4_sign(&s, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    s = s3_signer;
    s.session_token = "two words";
    CHECK_INT(lam_sigv4_sign(&s, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    r.path = "relative";
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    r.path = "/";
    r.method = "get";
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    r.method = "GET";
    r.payload_hash = "E3B0";
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_ERR_INVALID_ARG);
    r.payload_hash = "UNSIGNED-PAYLOAD";
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_OK);
    CHECK_STR(out.content_sha256, "UNSIGNED-PAYLOAD");
    /* over the canonical request cap: refused, not truncated */
    char *huge = malloc(LAM_SIGV4_CREQ_MAX + 2);
    REQUIRE(huge);
    memset(huge, 'a', LAM_SIGV4_CREQ_MAX + 1);
    huge[0] = '/';
    huge[LAM_SIGV4_CREQ_MAX + 1] = '\0';
    r.path = huge;
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_ERR_TOO_LARGE);
    huge[LAM_SIGV4_CREQ_MAX - 100] = '\0'; /* fits alone, not with the rest */
    CHECK_INT(lam_sigv4_sign(&s3_signer, &r, 0, &out, err), LAM_ERR_TOO_LARGE);
    free(huge);
}

/* ---- timing printout (no assertion) ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- presigned URLs (query-string authentication) ---- */

/* The example of S3's "Authenticating Requests: Using Query Parameters"
   page: GET examplebucket/test.txt, 86400 s, 2013-05-24, the reference's
   example credentials; the URL and signature are the page's. */
static const struct lam_sigv4_signer example_signer = {
    .mode = LAM_SIGV4_S3,
    .body = LAM_SIGV4_BODY_HEADER,
    .access_key_id = "AKIAIOSFODNN7EXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "s3",
};

static void presign_reference_example(void)
{
    const struct lam_sigv4_signer s = example_signer;
    char q[1024], err[LAM_ERRBUF_LEN] = "";
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/test.txt", "examplebucket.s3.amazonaws.com", 86400,
                                parse_time("2013-05-24T00:00:00Z"), q, sizeof q, err),
              LAM_OK);
    CHECK_STR(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                 "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

/* A session token (Lambda's role credentials) travels in the query and is
   signed; a path-style URL on a non-default port signs host:port. The
   expected query is botocore 1.x's S3SigV4QueryAuth for the same inputs
   (parameters in another order: the canonical form sorts them). */
static void presign_session_token_and_port(void)
{
    struct lam_sigv4_signer s = example_signer;
    s.session_token = "IQoJb3JpZ2luX2VjEXAMPLE/token+x=";
    s.region = "eu-west-1";
    char q[1024], err[LAM_ERRBUF_LEN] = "";
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/spp-cache/cache/abc.json", "127.0.0.1:5123", 900,
                                parse_time("2026-12-03T14:00:00Z"), q, sizeof q, err),
              LAM_OK);
    CHECK_STR(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256"
                 "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261203%2Feu-west-1%2Fs3%2Faws4_request"
                 "&X-Amz-Date=20261203T140000Z&X-Amz-Expires=900"
                 "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE%2Ftoken%2Bx%3D"
                 "&X-Amz-SignedHeaders=host"
                 "&X-Amz-Signature="
                 "20c613179911f60a2b6cbf1d7a9c614b881cd88b58d934ac9861add3928e27d3");
    /* bounds: S3 takes 1 s to 7 days; a short buffer is an error, not a cut */
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/a", "h", 0, 0, q, sizeof q, err),
              LAM_ERR_INVALID_ARG);
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/a", "h", 604801, 0, q, sizeof q, err),
              LAM_ERR_INVALID_ARG);
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/a", "h", 900, 0, q, 100, err), LAM_ERR_TOO_LARGE);
    CHECK_INT(lam_sigv4_presign(&s, "GET", "/a", "h\r\nx: y", 900, 0, q, sizeof q, err),
              LAM_ERR_INVALID_ARG);
}

static void bench_sign(void)
{
    struct lam_sigv4_header h[] = {{"Host", "spp-cache.s3.eu-west-1.amazonaws.com"}};
    struct lam_sigv4_request r = {
        .method = "GET",
        .path = "/cache/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.json",
        .headers = h,
        .n_headers = 1};
    struct lam_sigv4_out out;
    struct lam_sigv4_creq cr;
    char err[LAM_ERRBUF_LEN], hex[LAM_SIGV4_HEX_LEN + 1];
    const int iters = 20000;
    int ok = 1;
    REQUIRE(lam_sigv4_canonical_request(&s3_signer, &r, 1700000000, &cr, err) == LAM_OK);
    double t0 = now_s();
    for (int i = 0; i < iters; i++)
        ok &= lam_sigv4_sha256_hex(cr.text, cr.len, hex) == LAM_OK;
    double t1 = now_s();
    for (int i = 0; i < iters; i++)
        ok &= lam_sigv4_sign(&s3_signer, &r, 1700000000 + i, &out, err) == LAM_OK;
    double t2 = now_s();
    CHECK(ok);
    printf("  bench: sign an S3 GET (all stages): %.2f us/op; baseline SHA-256 of its "
           "%zu-byte canonical request: %.2f us/op (%d iterations each)\n",
           (t2 - t1) / iters * 1e6, cr.len, (t1 - t0) / iters * 1e6, iters);
    lam_sigv4_creq_clear(&cr);
}

int main(void)
{
    static const struct check_test tests[] = {
        TEST(suite_generic), TEST(suite_s3), TEST(s3_path_rules),
        TEST(s3_reference_examples), TEST(s3_session_token_signed), TEST(header_rules),
        TEST(query_rules), TEST(uri_encode_rules), TEST(bad_signer_inputs),
        TEST(presign_reference_example), TEST(presign_session_token_and_port), TEST(bench_sign),
    };
    const char *root = getenv("SPP_VECTORS");
    int n = snprintf(vec_root, sizeof vec_root, "%s", root && *root ? root : "../shared/vectors");
    struct stat st;
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/sigv4", vec_root);
    if (n < 0 || (size_t)n >= sizeof vec_root || stat(probe, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char why[1400];
        snprintf(why, sizeof why, "no SigV4 vectors at %s (set SPP_VECTORS)", probe);
        SKIP_ALL(why);
    }
    return check_run_(tests, sizeof tests / sizeof tests[0]);
}
