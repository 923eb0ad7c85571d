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

TEST_MAIN(TEST(test_accept_encoding), TEST(test_gzip_round_trip))
