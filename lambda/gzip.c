/*
 * gzip.c - Accept-Encoding negotiation and gzip bodies (zlib).
 *
 * A marked member (lam_gzip_marked) is an ordinary gzip member laid out so
 * its first bytes can be rewritten without recompressing: the 10-byte
 * header, one stored (uncompressed) deflate block holding only the mark,
 * then a raw deflate stream of the rest, which starts on the byte boundary
 * the stored block ends at, then CRC-32 and size. Swapping the mark moves
 * the rest and fixes the CRC with zlib's crc32_combine (CRC-32 is linear:
 * crc(A|B) = shift(crc(A), |B|) ^ crc(B)).
 */
#include "lambda/gzip.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Level 6 (zlib's default). Measured on list200.c's 1000-step trace
   (27.2 MB): level 1 0.51x the time, 2.3x the bytes; level 6 645 KB, 270 ms;
   level 9 1.8x the time, 0.77x the bytes. 6 keeps a whole trace well under
   Lambda's 6 MiB for a fraction of the run's time. */
#define GZIP_LEVEL 6
#define GZIP_WINDOW (15 + 16) /* 32 KiB window, gzip header and trailer */

/* q of one "coding;q=0.5" element's parameters; 1 when absent. Any q
   whose digits are all zero ("0", "0.0", "0.000") is 0. */
static int q_is_zero(const char *p, const char *end)
{
    while (p < end) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            p += 2;
            int zero = p < end && *p == '0';
            for (; p < end && *p != ';'; p++)
                if (isdigit((unsigned char)*p) && *p != '0')
                    zero = 0;
            return zero;
        }
        while (p < end && *p != ';')
            p++;
    }
    return 0;
}

int lam_accepts_gzip(const char *ae)
{
    int gzip = -1, star = -1; /* -1 not named, 0 refused, 1 accepted */
    for (const char *p = ae; p && *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        const char *end = p + strcspn(p, ",");
        size_t n = strcspn(p, ";, \t");
        int ok = !q_is_zero(p + n, end);
        if ((n == 4 && !strncasecmp(p, "gzip", 4)) || (n == 6 && !strncasecmp(p, "x-gzip", 6)))
            gzip = gzip == 0 ? 0 : ok;
        else if (n == 1 && *p == '*')
            star = ok;
        p = end;
    }
    return gzip >= 0 ? gzip : star == 1;
}

unsigned char *lam_gzip(const void *in, size_t n, size_t *out_n)
{
    /* zlib counts in 32 bits; bodies here are capped far below (40 MiB) */
    if (n > (1u << 30))
        return NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)n); /* one Z_FINISH call always fits */
    unsigned char *out = malloc(cap);
    int rc = Z_MEM_ERROR;
    if (out) {
        z.next_in = (unsigned char *)in;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        rc = deflate(&z, Z_FINISH);
    }
    size_t len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *out_n = len;
    return out;
}

/* The fixed header: deflate, no flags, no time, no extra flags, Unix. */
static const unsigned char GZ_HEADER[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
#define GZ_MARK_AT 15 /* header + stored block header (1 + LEN 2 + NLEN 2) */

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_stored_header(unsigned char *p, size_t len)
{
    p[0] = 0; /* BFINAL 0, BTYPE 00 (stored), then padding to the byte */
    p[1] = (unsigned char)len;
    p[2] = (unsigned char)(len >> 8);
    p[3] = (unsigned char)~len;
    p[4] = (unsigned char)(~len >> 8);
}

unsigned char *lam_gzip_marked(const void *in, size_t n, size_t mark, size_t *out_n)
{
    if (n > (1u << 30) || mark > n || mark > LAM_GZIP_MARK_MAX)
        return NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t rest = n - mark;
    uLong bound = deflateBound(&z, (uLong)rest);
    unsigned char *out = malloc(GZ_MARK_AT + mark + bound + 8);
    int rc = Z_MEM_ERROR;
    if (out) {
        memcpy(out, GZ_HEADER, sizeof GZ_HEADER);
        put_stored_header(out + 10, mark);
        memcpy(out + GZ_MARK_AT, in, mark);
        z.next_in = (unsigned char *)in + mark;
        z.avail_in = (uInt)rest;
        z.next_out = out + GZ_MARK_AT + mark;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH);
    }
    size_t len = GZ_MARK_AT + mark + z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    put_le32(out + len, (uint32_t)crc32(0L, in, (uInt)n));
    put_le32(out + len + 4, (uint32_t)n);
    *out_n = len + 8;
    return out;
}

int lam_gzip_is_marked(const unsigned char *gz, size_t n, const char *mark)
{
    size_t m = strlen(mark);
    if (m > LAM_GZIP_MARK_MAX || n < GZ_MARK_AT + m + 2 + 8 ||
        memcmp(gz, GZ_HEADER, sizeof GZ_HEADER) != 0)
        return 0;
    unsigned char h[5];
    put_stored_header(h, m);
    return memcmp(gz + 10, h, sizeof h) == 0 && memcmp(gz + GZ_MARK_AT, mark, m) == 0 &&
           get_le32(gz + n - 4) >= m;
}

int lam_gzip_remark(unsigned char *gz, size_t *n, const char *from, const char *to)
{
    size_t lf = strlen(from), lt = strlen(to);
    if (lt > lf || !lam_gzip_is_marked(gz, *n, from))
        return -1;
    uint32_t size = get_le32(gz + *n - 4), crc = get_le32(gz + *n - 8);
    z_off_t rest = (z_off_t)(size - (uint32_t)lf);
    /* crc(rest) = crc(all) ^ shift(crc(from), |rest|) */
    uLong crc_rest = crc ^ crc32_combine(crc32(0L, (const Bytef *)from, (uInt)lf), 0, rest);
    uLong crc_new = crc32_combine(crc32(0L, (const Bytef *)to, (uInt)lt), crc_rest, rest);
    memmove(gz + GZ_MARK_AT + lt, gz + GZ_MARK_AT + lf, *n - GZ_MARK_AT - lf);
    *n -= lf - lt;
    put_stored_header(gz + 10, lt);
    memcpy(gz + GZ_MARK_AT, to, lt);
    put_le32(gz + *n - 8, (uint32_t)crc_new);
    put_le32(gz + *n - 4, size - (uint32_t)(lf - lt));
    return 0;
}

size_t lam_gzip_size(const unsigned char *gz, size_t n)
{
    return n >= 18 ? get_le32(gz + n - 4) : 0;
}

char *lam_gunzip(const void *gz, size_t n, size_t max, size_t *out_n)
{
    if (n > (1u << 30) || max > (1u << 30))
        return NULL;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, GZIP_WINDOW) != Z_OK)
        return NULL;
    /* The trailer's size is a hint for one allocation, bounded by max. */
    size_t cap = lam_gzip_size(gz, n);
    cap = (cap < max ? cap : max) + 1;
    char *out = malloc(cap);
    int rc = Z_MEM_ERROR;
    if (out) {
        z.next_in = (unsigned char *)gz;
        z.avail_in = (uInt)n;
        for (;;) {
            z.next_out = (unsigned char *)out + z.total_out;
            z.avail_out = (uInt)(cap - 1 - z.total_out);
            rc = inflate(&z, Z_FINISH);
            if (rc != Z_BUF_ERROR || z.avail_out != 0 || cap - 1 >= max)
                break;
            size_t ncap = (cap - 1) * 2 > max ? max + 1 : (cap - 1) * 2 + 1;
            char *no = realloc(out, ncap);
            if (!no)
                break;
            out = no;
            cap = ncap;
        }
    }
    size_t len = z.total_out;
    /* one member, all of the input, nothing after it */
    int ok = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (!ok) {
        free(out);
        return NULL;
    }
    out[len] = '\0';
    *out_n = len;
    return out;
}
