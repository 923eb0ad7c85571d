/*
 * lambda_events.c - the Lambda event adapters (lambda/events.c) on hostile
 * and ordinary payloads: base64 decoding (RFC 4648 vectors and malformed
 * text), classification of the three event shapes, the reply shapes, and
 * the paths of lam_event_invoke that answer without running a trace
 * (OPTIONS, other methods, undecodable bodies). Traces through the handler
 * are covered end to end by tests/e2e/test_bootstrap.py.
 */
#include "check.h"
#include "lambda/events.h"

#include <cjson/cJSON.h>

/* Decode s; returns the result code and copies the bytes to out. */
static enum lam_err b64(const char *s, char *out, size_t cap, size_t *n)
{
    char *d = NULL;
    enum lam_err rc = lam_base64_decode(s, strlen(s), &d, n);
    if (rc == LAM_OK) {
        if (*n < cap)
            memcpy(out, d, *n + 1);
        free(d);
    }
    return rc;
}

static void base64_rfc4648_vectors(void)
{
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                      "Zm9vYmFy"};
    static const char *const dec[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    char out[16];
    size_t n;
    for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
        CHECK_INT(b64(enc[i], out, sizeof out, &n), LAM_OK);
        CHECK_INT(n, strlen(dec[i]));
        CHECK_STR(out, dec[i]);
    }
}

static void base64_padding_optional_whitespace_skipped(void)
{
    char out[16];
    size_t n;
    CHECK_INT(b64("Zm8", out, sizeof out, &n), LAM_OK);
    CHECK_STR(out, "fo");
    CHECK_INT(b64("Zg", out, sizeof out, &n), LAM_OK);
    CHECK_STR(out, "f");
    CHECK_INT(b64("Zm9v\r\nYmFy\n", out, sizeof out, &n), LAM_OK);
    CHECK_STR(out, "foobar");
    /* Binary output keeps its NUL bytes and its length. */
    CHECK_INT(b64("AAEA", out, sizeof out, &n), LAM_OK);
    CHECK_INT(n, 3);
    CHECK(out[0] == 0 && out[1] == 1 && out[2] == 0);
}

static void base64_malformed_is_bad_input(void)
{
    static const char *const bad[] = {
        "Z",        /* one symbol carries no byte */
        "Zm9vY",    /* ditto after a full group */
        "Zm8*",     /* not in the alphabet */
        "Zg=a",     /* a symbol after padding */
        "Zg===",    /* too much padding */
        "Zh==",     /* non-canonical trailing bits */
        "Zm9=",     /* ditto for two bytes */
        "=",        /* padding alone */
        "Zm9v-_",   /* the URL-safe alphabet is not this one */
    };
    char out[16];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum lam_err rc = b64(bad[i], out, sizeof out, &n);
        if (rc != LAM_ERR_BAD_INPUT)
            fprintf(stderr, "  accepted \"%s\"\n", bad[i]);
        CHECK_INT(rc, LAM_ERR_BAD_INPUT);
    }
}

static void parse(const char *payload, struct lam_event *ev)
{
    memset(ev, 0, sizeof *ev);
    CHECK_INT(lam_event_parse(payload, strlen(payload), ev), LAM_OK);
}

static void classify_http_v2_and_function_urls(void)
{
    struct lam_event ev;
    parse("{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"post\"}},"
          "\"body\":\"{\\\"code\\\":\\\"x\\\"}\",\"isBase64Encoded\":false}",
          &ev);
    CHECK_INT(ev.kind, LAM_EVENT_HTTP_V2);
    CHECK_STR(ev.method, "POST");
    CHECK_STR(ev.body, "{\"code\":\"x\"}");
    CHECK(ev.body_problem == NULL);
    lam_event_free(&ev);

    /* version 2.0 without requestContext.http.method is not a v2 event. */
    parse("{\"version\":\"2.0\",\"requestContext\":{},\"code\":\"int main(){}\"}", &ev);
    CHECK_INT(ev.kind, LAM_EVENT_DIRECT);
    lam_event_free(&ev);
    parse("{\"version\":\"1.0\",\"requestContext\":{\"http\":{\"method\":\"POST\"}}}", &ev);
    CHECK_INT(ev.kind, LAM_EVENT_DIRECT);
    lam_event_free(&ev);
}

static void classify_rest_v1(void)
{
    struct lam_event ev;
    parse("{\"httpMethod\":\"OPTIONS\",\"body\":null}", &ev);
    CHECK_INT(ev.kind, LAM_EVENT_HTTP_V1);
    CHECK_STR(ev.method, "OPTIONS");
    CHECK(ev.body == NULL);
    lam_event_free(&ev);

    parse("{\"httpMethod\":\"POST\",\"body\":\"eyJjb2RlIjoiaW50In0=\",\"isBase64Encoded\":true}",
          &ev);
    CHECK_STR(ev.body, "{\"code\":\"int\"}");
    lam_event_free(&ev);

    /* isBase64Encoded must be the JSON true, not a string. */
    parse("{\"httpMethod\":\"POST\",\"body\":\"eyJ9\",\"isBase64Encoded\":\"true\"}", &ev);
    CHECK_STR(ev.body, "eyJ9");
    lam_event_free(&ev);

    parse("{\"httpMethod\":\"POST\",\"body\":\"%%%\",\"isBase64Encoded\":true}", &ev);
    CHECK(ev.body == NULL);
    CHECK(ev.body_problem != NULL && strstr(ev.body_problem, "base64"));
    lam_event_free(&ev);

    /* A method longer than the buffer is cut, never overflows. */
    parse("{\"httpMethod\":\"AVERYVERYLONGMETHODNAME\"}", &ev);
    CHECK_INT(strlen(ev.method), sizeof ev.method - 1);
    lam_event_free(&ev);
}

static void classify_direct_invoke_keeps_the_payload(void)
{
    static const char *const payloads[] = {
        "{\"code\":\"int main(){}\",\"httpMethod\":42}", /* httpMethod not a string */
        "not json at all", "[1,2]", "\"a string\"", "{\"body\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
        struct lam_event ev;
        parse(payloads[i], &ev);
        CHECK_INT(ev.kind, LAM_EVENT_DIRECT);
        CHECK_STR(ev.method, "");
        CHECK_INT(ev.body_len, strlen(payloads[i]));
        CHECK(ev.body && memcmp(ev.body, payloads[i], ev.body_len) == 0);
        lam_event_free(&ev);
    }
    struct lam_event ev;
    memset(&ev, 0, sizeof ev);
    CHECK_INT(lam_event_parse(NULL, 0, &ev), LAM_OK);
    CHECK_INT(ev.kind, LAM_EVENT_DIRECT);
    CHECK(ev.body == NULL);
    lam_event_free(&ev);
}

static const char *header(const cJSON *o, const char *name)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "headers");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void proxy_reply_shape(void)
{
    struct lam_event ev = {.kind = LAM_EVENT_HTTP_V1};
    struct lam_invoke_reply r;
    const char *body = "{\"success\":true,\"s\":\"\\u00e9\\n\"}";
    REQUIRE(lam_event_reply(&ev, 200, body, strlen(body), "https://seepp.example", &r) ==
            LAM_OK);
    CHECK_INT(r.function_error, 0);
    cJSON *o = cJSON_ParseWithLength(r.body, r.len);
    REQUIRE(o != NULL);
    CHECK_INT(cJSON_GetObjectItem(o, "statusCode")->valueint, 200);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(o, "isBase64Encoded")));
    CHECK_STR(cJSON_GetObjectItem(o, "body")->valuestring, body);
    CHECK_STR(header(o, "Content-Type"), "application/json");
    CHECK_STR(header(o, "Access-Control-Allow-Origin"), "https://seepp.example");
    CHECK_STR(header(o, "Access-Control-Allow-Methods"), "POST, OPTIONS");
    CHECK_STR(header(o, "Access-Control-Allow-Headers"), "Content-Type");
    CHECK_INT(cJSON_GetArraySize(o), 4);
    cJSON_Delete(o);
    lam_invoke_reply_free(&r);

    /* No origin configured: "*". */
    ev.kind = LAM_EVENT_HTTP_V2;
    REQUIRE(lam_event_reply(&ev, 500, "{}", 2, NULL, &r) == LAM_OK);
    o = cJSON_ParseWithLength(r.body, r.len);
    CHECK_STR(header(o, "Access-Control-Allow-Origin"), "*");
    CHECK_INT(r.function_error, 0); /* a proxy 500 is still a response */
    cJSON_Delete(o);
    lam_invoke_reply_free(&r);
}

static void direct_reply_shapes(void)
{
    struct lam_event ev = {.kind = LAM_EVENT_DIRECT};
    struct lam_invoke_reply r;
    const char *ok = "{\"cached\":false,\"success\":true}";
    REQUIRE(lam_event_reply(&ev, 200, ok, strlen(ok), "*", &r) == LAM_OK);
    CHECK_INT(r.function_error, 0);
    CHECK_STR(r.body, ok); /* byte for byte */
    lam_invoke_reply_free(&r);

    const char *bad = "{\"success\":false,\"error\":\"\\\"code\\\" is missing\"}";
    REQUIRE(lam_event_reply(&ev, 400, bad, strlen(bad), "*", &r) == LAM_OK);
    CHECK_INT(r.function_error, 0);
    CHECK_STR(r.body, bad);
    lam_invoke_reply_free(&r);

    const char *fail = "{\"success\":false,\"error\":\"the tracer failed\"}";
    static const int status[] = {500, 504};
    static const char *const type[] = {"Function.TraceFailed", "Function.TraceTimeout"};
    for (int i = 0; i < 2; i++) {
        REQUIRE(lam_event_reply(&ev, status[i], fail, strlen(fail), "*", &r) == LAM_OK);
        CHECK_INT(r.function_error, 1);
        CHECK_STR(r.error_type, type[i]);
        cJSON *o = cJSON_ParseWithLength(r.body, r.len);
        REQUIRE(o != NULL);
        CHECK_STR(cJSON_GetObjectItem(o, "errorMessage")->valuestring, "the tracer failed");
        CHECK_STR(cJSON_GetObjectItem(o, "errorType")->valuestring, type[i]);
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "stackTrace")));
        CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "stackTrace")), 0);
        cJSON_Delete(o);
        lam_invoke_reply_free(&r);
    }
}

/* Paths that answer without the handler: it may be NULL there. */
static void invoke_without_a_trace(void)
{
    struct lam_invoke_reply r;
    const char *opt = "{\"httpMethod\":\"OPTIONS\"}";
    REQUIRE(lam_event_invoke(NULL, opt, strlen(opt), 0, "*", &r) == LAM_OK);
    CHECK_INT(r.status, 204);
    cJSON *o = cJSON_ParseWithLength(r.body, r.len);
    CHECK_STR(cJSON_GetObjectItem(o, "body")->valuestring, "");
    CHECK_STR(header(o, "Access-Control-Allow-Methods"), "POST, OPTIONS");
    cJSON_Delete(o);
    lam_invoke_reply_free(&r);

    const char *get = "{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}}}";
    REQUIRE(lam_event_invoke(NULL, get, strlen(get), 0, "*", &r) == LAM_OK);
    CHECK_INT(r.status, 405);
    o = cJSON_ParseWithLength(r.body, r.len);
    cJSON *inner = cJSON_Parse(cJSON_GetObjectItem(o, "body")->valuestring);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(inner, "success")));
    CHECK(strstr(cJSON_GetObjectItem(inner, "error")->valuestring, "GET") != NULL);
    cJSON_Delete(inner);
    cJSON_Delete(o);
    lam_invoke_reply_free(&r);

    const char *b = "{\"httpMethod\":\"POST\",\"body\":\"!\",\"isBase64Encoded\":true}";
    REQUIRE(lam_event_invoke(NULL, b, strlen(b), 0, "*", &r) == LAM_OK);
    CHECK_INT(r.status, 400);
    lam_invoke_reply_free(&r);
}

/* A direct invoke may say it can follow a reference to a large response;
   the field is checked here, before any trace, and the payload still goes
   to the handler as sent. */
static void direct_invoke_response_mode(void)
{
    struct lam_event ev;
    parse("{\"code\":\"int main(){}\",\"responseMode\":\"auto\"}", &ev);
    CHECK_INT(ev.kind, LAM_EVENT_DIRECT);
    CHECK_INT(ev.response_auto, 1);
    CHECK(ev.body_problem == NULL);
    CHECK_STR(ev.body, "{\"code\":\"int main(){}\",\"responseMode\":\"auto\"}");
    lam_event_free(&ev);
    parse("{\"code\":\"int main(){}\",\"responseMode\":\"inline\"}", &ev);
    CHECK_INT(ev.response_auto, 0);
    CHECK(ev.body_problem == NULL);
    lam_event_free(&ev);
    parse("{\"code\":\"int main(){}\"}", &ev);
    CHECK_INT(ev.response_auto, 0);
    CHECK(ev.body_problem == NULL);
    lam_event_free(&ev);
    const char *bad[] = {"\"url\"", "true", "1", "null", "\"AUTO\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char p[128];
        snprintf(p, sizeof p, "{\"code\":\"x\",\"responseMode\":%s}", bad[i]);
        parse(p, &ev);
        CHECK_INT(ev.response_auto, 0);
        CHECK(ev.body_problem && strstr(ev.body_problem, "\"responseMode\" must be"));
        lam_event_free(&ev);
    }
    /* a proxy event's body is not a direct request: no such field there */
    parse("{\"httpMethod\":\"POST\",\"body\":\"{}\",\"responseMode\":5}", &ev);
    CHECK_INT(ev.kind, LAM_EVENT_HTTP_V1);
    CHECK(ev.body_problem == NULL);
    lam_event_free(&ev);
}

TEST_MAIN(TEST(base64_rfc4648_vectors), TEST(base64_padding_optional_whitespace_skipped),
          TEST(base64_malformed_is_bad_input), TEST(classify_http_v2_and_function_urls),
          TEST(classify_rest_v1), TEST(classify_direct_invoke_keeps_the_payload),
          TEST(proxy_reply_shape), TEST(direct_reply_shapes), TEST(invoke_without_a_trace),
          TEST(direct_invoke_response_mode))
