/*
 * tracer_request.c - request parsing: defaults, every field, and an error
 * that names the field for each kind of bad input.
 */
#include <string.h>

#include "check.h"
#include "tracer/request.h"

static enum tr_err parse(const char *json, struct tr_request *r, char *err)
{
    return tr_request_parse(json, strlen(json), r, err);
}

static void test_defaults(void)
{
    struct tr_request r;
    char err[TR_ERRBUF_LEN];
    REQUIRE(parse("{\"code\":\"int main(){}\"}", &r, err) == TR_OK);
    CHECK_STR(r.code, "int main(){}");
    CHECK_INT(r.lang, TR_LANG_CXX);
    CHECK_INT(r.memcheck, 1);
    CHECK_INT(r.max_steps, 1000);
    CHECK_INT(r.format, TR_FMT_SEEPP);
    CHECK(r.stdin_data == NULL);
    tr_request_free(&r);
}

static void test_all_fields(void)
{
    struct tr_request r;
    char err[TR_ERRBUF_LEN];
    REQUIRE(parse("{\"code\":\"x\",\"language\":\"c\",\"stdin\":\"3 4\\n\",\"memcheck\":false,"
                  "\"maxSteps\":50,\"format\":\"opt\",\"preprocessed\":true,\"extra\":[1]}",
                  &r, err) == TR_OK);
    CHECK_INT(r.lang, TR_LANG_C);
    CHECK_STR(r.stdin_data, "3 4\n");
    CHECK_INT(r.memcheck, 0);
    CHECK_INT(r.max_steps, 50);
    CHECK_INT(r.format, TR_FMT_OPT);
    CHECK_INT(r.preprocessed, 1);
    tr_request_free(&r);
}

static void expect_bad(const char *json, const char *needle)
{
    struct tr_request r;
    char err[TR_ERRBUF_LEN] = "";
    CHECK_INT(parse(json, &r, err), TR_ERR_BADREQ);
    if (!strstr(err, needle)) {
        fprintf(stderr, "  error for %s was \"%s\", expected it to mention %s\n", json, err,
                needle);
        check_failed_ = 1;
    }
}

static void test_bad_requests_name_the_problem(void)
{
    expect_bad("not json", "not valid JSON");
    expect_bad("[1,2]", "JSON object");
    expect_bad("{}", "\"code\" is missing");
    expect_bad("{\"code\":\"\"}", "\"code\" is empty");
    expect_bad("{\"code\":\"  \\n\"}", "\"code\" is empty");
    expect_bad("{\"code\":42}", "\"code\" must be a string");
    expect_bad("{\"code\":\"x\",\"language\":\"rust\"}", "\"language\" must be one of");
    expect_bad("{\"code\":\"x\",\"maxSteps\":0}", "\"maxSteps\" must be an integer from 1");
    expect_bad("{\"code\":\"x\",\"maxSteps\":10001}", "maxSteps");
    expect_bad("{\"code\":\"x\",\"maxSteps\":2.5}", "maxSteps");
    expect_bad("{\"code\":\"x\",\"memcheck\":\"yes\"}", "\"memcheck\" must be true or false");
    expect_bad("{\"code\":\"x\",\"format\":\"xml\"}", "\"format\" must be one of");
    expect_bad("{\"code\":\"x\",\"stdin\":7}", "\"stdin\" must be a string");
}

static void test_code_size_cap(void)
{
    size_t n = TR_CODE_MAX + 1;
    char *json = malloc(n + 32);
    REQUIRE(json);
    memcpy(json, "{\"code\":\"", 9);
    memset(json + 9, 'a', n);
    memcpy(json + 9 + n, "\"}", 3);
    struct tr_request r;
    char err[TR_ERRBUF_LEN] = "";
    CHECK_INT(tr_request_parse(json, strlen(json), &r, err), TR_ERR_BADREQ);
    CHECK(strstr(err, "limit") != NULL);
    free(json);
}

static void test_canonical_differs_by_every_field(void)
{
    struct tr_request a, b;
    char err[TR_ERRBUF_LEN];
    REQUIRE(parse("{\"code\":\"x\"}", &a, err) == TR_OK);
    REQUIRE(parse("{\"code\":\"x\",\"stdin\":\"\"}", &b, err) == TR_OK);
    char *ca = tr_request_canonical(&a), *cb = tr_request_canonical(&b);
    REQUIRE(ca && cb);
    CHECK(strcmp(ca, cb) != 0); /* no input vs empty input */
    free(cb);
    b.max_steps = 999;
    free(b.stdin_data); /* the request owns it: dropping it must free it */
    b.stdin_data = NULL;
    cb = tr_request_canonical(&b);
    CHECK(strcmp(ca, cb) != 0);
    free(ca);
    free(cb);
    tr_request_free(&a);
    free(b.code);
}

/* Found by fuzzing (tests/fuzz/regressions/request): numbers beyond
   every integer type, NaN-like and fractional values are refused by name,
   never converted. */
static void test_numbers_out_of_range(void)
{
    static const char *const bodies[] = {
        "{\"code\":\"x\",\"maxSteps\":1e400}", "{\"code\":\"x\",\"maxSteps\":-1e400}",
        "{\"code\":\"x\",\"timeoutMs\":1e999}", "{\"code\":\"x\",\"maxSteps\":10.5}",
        "{\"code\":\"x\",\"maxSteps\":1e19}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct tr_request r;
        char err[TR_ERRBUF_LEN] = "";
        CHECK_INT(parse(bodies[i], &r, err), TR_ERR_BADREQ);
        CHECK(strstr(err, "must be an integer") != NULL);
    }
}

TEST_MAIN(TEST(test_numbers_out_of_range), TEST(test_defaults), TEST(test_all_fields),
          TEST(test_bad_requests_name_the_problem), TEST(test_code_size_cap),
          TEST(test_canonical_differs_by_every_field))
