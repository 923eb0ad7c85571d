/*
 * cache.h - the result cache: trace responses stored under a request's key.
 *
 * The key is the lower-case hex SHA-256 of tr_request_canonical() (every
 * request field that changes the result), a newline, and "spp-trace
 * <version>", so a new release never serves an old trace. Two backends:
 *  - a local directory (default $XDG_CACHE_HOME/spp-trace, else
 *    $HOME/.cache/spp-trace), created 0700; entries <key>.json, 0600,
 *    written to a temporary file in the same directory and renamed into
 *    place, so a reader sees a whole entry or none;
 *  - S3, object cache/<key>.json (see s3.h), when an S3 config is given.
 * A cache is a cache: every failure is a miss. lam_cache_get returns LAM_OK
 * with no body for a plain miss and an error code (with errbuf) when
 * something is wrong, which the caller logs and then treats as a miss too.
 * Entries are checked on the way out: anything that is not one JSON object
 * is LAM_ERR_CORRUPT, never served. Nothing here exits, aborts or logs.
 *
 * Threads: with the directory backend one cache may be used by several
 * threads at once (no state is written after open); with S3 a cache holds
 * one HTTP client and is used by one thread at a time.
 */
#ifndef SPP_LAMBDA_CACHE_H
#define SPP_LAMBDA_CACHE_H

#include <stddef.h>

#include "lambda/err.h"

#define LAM_CACHE_KEY_LEN  64          /* hex SHA-256 */
#define LAM_CACHE_BODY_MAX (40u << 20) /* largest entry stored or served */

struct lam_cache;
struct lam_s3_config;
struct tr_request;

#define LAM_CACHE_SEAL_KEY_LEN 32

struct lam_cache_config {
    const char *dir;                /* directory backend; NULL or "": the default */
    /* Directory backend only: when set, every entry is sealed - encrypted
       and authenticated with AES-256-GCM under this key, bound to the
       entry's cache key - and an entry that does not authenticate is a
       miss. For where traced programs run with our uid and could read or
       write the directory (AWS Lambda): reading an entry shows them
       nothing, a planted or rewritten one is never served. Borrowed,
       LAM_CACHE_SEAL_KEY_LEN bytes; keep it only in memory. */
    const unsigned char *seal_key;
    const struct lam_s3_config *s3; /* non-NULL: S3 backend instead (dir unused);
                                       borrowed, must outlive the cache */
};

/* The cache key of a request into key (NUL-terminated). Fails only when
   memory runs out. */
enum lam_err lam_cache_key(const struct tr_request *r, char key[LAM_CACHE_KEY_LEN + 1]) LAM_WUR;

/* Opens a backend: creates the directory (and missing parents) 0700 and
   refuses one that another user owns or may write to; or starts an S3
   client. On failure errbuf (LAM_ERRBUF_LEN) says why and *out is
   untouched. Free with lam_cache_close. */
enum lam_err lam_cache_open(const struct lam_cache_config *cfg, struct lam_cache **out,
                            char *errbuf) LAM_WUR;
void lam_cache_close(struct lam_cache *c); /* NULL ok */

/* Looks key up. LAM_OK with *body set: a hit; the entry's bytes,
   NUL-terminated (not counted in *len), malloc'd, free with free().
   LAM_OK with *body = NULL: no entry. Any other code: a miss whose cause
   errbuf describes (unreadable or corrupt entry, S3 denied or unreachable,
   malformed key). */
enum lam_err lam_cache_get(struct lam_cache *c, const char *key, char **body, size_t *len,
                           char *errbuf) LAM_WUR;

/* Stores len bytes of body under key, replacing any entry atomically. On
   failure nothing is stored and the previous entry, if any, is intact. */
enum lam_err lam_cache_put(struct lam_cache *c, const char *key, const char *body, size_t len,
                           char *errbuf) LAM_WUR;

/* Entries of either encoding; the key says which a caller stores under it
   (lam_cache_key_variant). A gzip entry is checked to be a gzip member (its
   content is the caller's to check) and goes to S3 with Content-Encoding:
   gzip. lam_cache_get/put are the JSON ones. */
enum lam_cache_enc { LAM_CACHE_JSON, LAM_CACHE_GZIP };
enum lam_err lam_cache_get_enc(struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                               char **body, size_t *len, char *errbuf) LAM_WUR;
enum lam_err lam_cache_put_enc(struct lam_cache *c, const char *key, enum lam_cache_enc enc,
                               const char *body, size_t len, char *errbuf) LAM_WUR;

/* The S3 object name of an entry, "cache/<key>.json" (key: 64 hex digits). */
#define LAM_CACHE_S3_KEY_LEN (6 + LAM_CACHE_KEY_LEN + 5)
void lam_cache_s3_key(const char *key, char out[LAM_CACHE_S3_KEY_LEN + 1]);

/* The key of one way of answering a request: its key (lam_cache_key), the
   response cap the tracer ran with (0: its default) and the encoding, as
   one SHA-256, so a trace cut at a small cap never answers a request that
   could take the whole trace. With cap 0 and JSON it is the key itself. */
enum lam_err lam_cache_key_variant(const char key[LAM_CACHE_KEY_LEN + 1], size_t cap,
                                   enum lam_cache_enc enc,
                                   char out[LAM_CACHE_KEY_LEN + 1]) LAM_WUR;

#endif
