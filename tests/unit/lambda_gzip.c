/*
 * lambda_gzip.c - Accept-Encoding negotiation, and gzip bodies that zlib's
 * own inflate turns back into the same bytes.
 */
#include "check.h"
#include "lambda/gzip.h"

#include <zlib.h>

static void test_accept_encoding(void)
{
    CHECK_INT(lam_accepts_gzip(NULL), 0);
    CHECK_INT(lam_accepts_gzip(""), 0);
    CHECK_INT(lam_accepts_gzip("gzip"), 1);
    CHECK_INT(lam_accepts_gzip("GZIP"), 1);
    CHECK_INT(lam_accepts_gzip("x-gzip"), 1);
    CHECK_INT(lam_accepts_gzip("gzip, deflate, br"), 1); /* what browsers send */
    CHECK_INT(lam_accepts_gzip("deflate,gzip;q=0.5"), 1);
    CHECK_INT(lam_accepts_gzip("br;q=1.0, gzip ; q=0.8"), 1);
    CHECK_INT(lam_accepts_gzip("*"), 1);
    CHECK_INT(lam_accepts_gzip("identity"), 0);
    CHECK_INT(lam_accepts_gzip("deflate, br"), 0);
    CHECK_INT(lam_accepts_gzip("gzipped"), 0);   /* a name, not a prefix */
    CHECK_INT(lam_accepts_gzip("gzip;q=0"), 0);
    CHECK_INT(lam_accepts_gzip("gzip;q=0.000"), 0);
    CHECK_INT(lam_accepts_gzip("gzip;q=0.001"), 1);
    CHECK_INT(lam_accepts_gzip("*, gzip;q=0"), 0); /* refused by name beside * */
    CHECK_INT(lam_accepts_gzip("*;q=0"), 0);
}

static void test_gzip_round_trip(void)
{
    /* a trace-like body: the same state repeated with small changes */
    size_t n = 1u << 20, zn = 0;
    char *in = malloc(n);
    REQUIRE(in);
    for (size_t i = 0; i < n; i++)
        in[i] = "{\"line\":12,\"x\":"[i % 15] + (char)(i / 4096 % 3);
    unsigned char *z = lam_gzip(in, n, &zn);
    REQUIRE(z);
    CHECK(zn < n / 20);
    CHECK(z[0] == 0x1f && z[1] == 0x8b); /* a gzip member, not raw deflate */
    char *back = malloc(n + 1);
    z_stream s;
    memset(&s, 0, sizeof s);
    REQUIRE(back && inflateInit2(&s, 15 + 16) == Z_OK);
    s.next_in = z;
    s.avail_in = (uInt)zn;
    s.next_out = (unsigned char *)back;
    s.avail_out = (uInt)(n + 1);
    CHECK_INT(inflate(&s, Z_FINISH), Z_STREAM_END);
    CHECK_INT(s.total_out, n);
    CHECK(memcmp(back, in, n) == 0);
    inflateEnd(&s);
    /* an empty body is a valid (20-byte) member too */
    free(z);
    z = lam_gzip("", 0, &zn);
    CHECK(z && zn == 20);
    free(z);
    free(back);
    free(in);
}

/* zlib's own inflate of a gzip member: 1 when it is exactly want[0..n). */
static int inflates_to(const unsigned char *z, size_t zn, const char *want, size_t n)
{
    char *back = malloc(n + 2);
    z_stream s;
    memset(&s, 0, sizeof s);
    if (!back || inflateInit2(&s, 15 + 16) != Z_OK) {
        free(back);
        return 0;
    }
    s.next_in = (unsigned char *)z;
    s.avail_in = (uInt)zn;
    s.next_out = (unsigned char *)back;
    s.avail_out = (uInt)(n + 2);
    int ok = inflate(&s, Z_FINISH) == Z_STREAM_END && s.total_out == n && s.avail_in == 0 &&
             memcmp(back, want, n) == 0;
    inflateEnd(&s);
    free(back);
    return ok;
}

static void test_marked_member(void)
{
    /* what the result cache stores: {"cached":false... served as
       {"cached":true... without recompressing */
    const char *f = "{\"cached\":false", *t = "{\"cached\":true";
    size_t n = 300000, zn = 0, fl = strlen(f), tl = strlen(t);
    char *in = malloc(n), *want = malloc(n);
    REQUIRE(in && want);
    memcpy(in, f, fl);
    for (size_t i = fl; i < n; i++)
        in[i] = ",\"line\":7,\"x\":[1,2,3]}"[i % 23] + (char)(i / 5000 % 2);
    unsigned char *z = lam_gzip_marked(in, n, fl, &zn);
    REQUIRE(z);
    CHECK(zn < n / 10);
    CHECK(inflates_to(z, zn, in, n));
    CHECK_INT(lam_gzip_is_marked(z, zn, f), 1);
    CHECK_INT(lam_gzip_is_marked(z, zn, t), 0);
    CHECK_INT(lam_gzip_size(z, zn), n);
    /* swapped: a valid member of the new text, CRC and size included */
    size_t zn2 = zn;
    CHECK_INT(lam_gzip_remark(z, &zn2, f, t), 0);
    CHECK_INT(zn2, zn - 1);
    memcpy(want, t, tl);
    memcpy(want + tl, in + fl, n - fl);
    CHECK(inflates_to(z, zn2, want, n - 1));
    CHECK_INT(lam_gzip_size(z, zn2), n - 1);
    /* and ours inflates it the same way */
    size_t back_n = 0;
    char *back = lam_gunzip(z, zn2, n, &back_n);
    CHECK(back && back_n == n - 1 && memcmp(back, want, n - 1) == 0);
    free(back);
    /* a mark that is not there, or a longer one, leaves it untouched */
    CHECK_INT(lam_gzip_remark(z, &zn2, f, t), -1);
    CHECK_INT(lam_gzip_remark(z, &zn2, t, "{\"cached\":maybe"), -1);
    CHECK_INT(zn2, zn - 1);
    /* an ordinary member is not a marked one */
    size_t pn = 0;
    unsigned char *plain = lam_gzip(in, n, &pn);
    REQUIRE(plain);
    CHECK_INT(lam_gzip_is_marked(plain, pn, f), 0);
    free(plain);
    free(z);
    free(in);
    free(want);
}

static void test_gunzip_refuses(void)
{
    const char *text = "{\"success\":true,\"trace\":[1,2,3,4,5,6,7,8,9]}";
    size_t n = strlen(text), zn = 0, got = 0;
    unsigned char *z = lam_gzip(text, n, &zn);
    REQUIRE(z);
    char *back = lam_gunzip(z, zn, n, &got);
    CHECK(back && got == n && strcmp(back, text) == 0);
    free(back);
    CHECK(lam_gunzip(z, zn, n - 1, &got) == NULL); /* over max */
    CHECK(lam_gunzip(z, zn - 1, n, &got) == NULL); /* truncated */
    unsigned char *more = malloc(zn + 1);
    REQUIRE(more);
    memcpy(more, z, zn);
    more[zn] = 'x'; /* trailing bytes: not one whole member */
    CHECK(lam_gunzip(more, zn + 1, n, &got) == NULL);
    z[zn - 6] ^= 1; /* a wrong CRC */
    CHECK(lam_gunzip(z, zn, n, &got) == NULL);
    free(more);
    free(z);
}

TEST_MAIN(TEST(test_accept_encoding), TEST(test_gzip_round_trip), TEST(test_marked_member),
          TEST(test_gunzip_refuses))
