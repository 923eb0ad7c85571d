/*
 * s3.h - a minimal S3 client: GET and PUT one object, signed with SigV4.
 *
 * Enough for the result cache and nothing more. A config holds copies of
 * the bucket, region, endpoint and credentials (read once, because the
 * process wipes its environment later); a client holds one reused libcurl
 * handle (keep-alive, TLS sessions) and borrows its config. Requests have a
 * 2 s connect and 5 s total limit by default and are not retried: a slow or
 * failing S3 costs one cache miss, never a failed trace.
 *
 * Addressing: with S3_ENDPOINT_URL (tests, S3-compatible stores) requests go
 * path-style to that URL, http://host:port/<bucket>/<key>; otherwise
 * virtual-hosted, https://<bucket>.s3.<region>.amazonaws.com/<key> (path
 * style on s3.<region>.amazonaws.com for bucket names with dots, which a
 * wildcard certificate cannot cover).
 *
 * Replies are hostile input: bodies are capped (LAM_S3_BODY_MAX), and only a
 * short, character-checked S3 error code is copied into error messages.
 * Nothing here logs; messages never contain credentials or header values.
 */
#ifndef SPP_LAMBDA_S3_H
#define SPP_LAMBDA_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lambda/err.h"

#define LAM_S3_BODY_MAX           (40u << 20) /* largest object a GET accepts */
#define LAM_S3_KEY_MAX            1024        /* S3's own limit on key length */
#define LAM_S3_CONNECT_TIMEOUT_MS 2000
#define LAM_S3_TIMEOUT_MS         5000

struct lam_s3_config; /* endpoint, bucket, region and credentials (copies) */
struct lam_s3;        /* a client: config (borrowed) and one curl handle */

/* Everything is borrowed and copied by lam_s3_config_new. */
struct lam_s3_params {
    const char *bucket;            /* required: 3-63 of [a-z0-9.-] */
    const char *region;            /* required unless endpoint_url is set (then
                                      default us-east-1) */
    const char *access_key_id;     /* required */
    const char *secret_access_key; /* required */
    const char *session_token;     /* NULL or "": none (Lambda always has one) */
    const char *endpoint_url;      /* NULL or "": AWS; else http(s)://host[:port][/] */
    long connect_timeout_ms;       /* 0: LAM_S3_CONNECT_TIMEOUT_MS */
    long timeout_ms;               /* whole request; 0: LAM_S3_TIMEOUT_MS */
    size_t body_max;               /* 0: LAM_S3_BODY_MAX */
};

/* Validates and copies p. On failure errbuf (LAM_ERRBUF_LEN) names the bad
   field and *out is untouched. Free with lam_s3_config_free. */
enum lam_err lam_s3_config_new(const struct lam_s3_params *p, struct lam_s3_config **out,
                               char *errbuf) LAM_WUR;

/* The same from the environment: CACHE_BUCKET, AWS_REGION (else
   AWS_DEFAULT_REGION), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   AWS_SESSION_TOKEN, S3_ENDPOINT_URL. Returns LAM_OK with *out = NULL when
   CACHE_BUCKET is unset or empty (no S3 cache configured). */
enum lam_err lam_s3_config_from_env(struct lam_s3_config **out, char *errbuf) LAM_WUR;

/* Wipes the credentials and frees. NULL ok. */
void lam_s3_config_free(struct lam_s3_config *c);

/* The Host header requests carry: "host", or "host:port" when the port is
   not the scheme's default. Owned by c. */
const char *lam_s3_config_host(const struct lam_s3_config *c);

/* The URL of an object (key unencoded, e.g. "cache/<hex>.json") into out
   (cap bytes). LAM_ERR_TOO_LARGE when it does not fit. */
enum lam_err lam_s3_object_url(const struct lam_s3_config *c, const char *key, char *out,
                               size_t cap) LAM_WUR;

/* A client. cfg is borrowed and must outlive it. A client is used by one
   thread at a time; clients in different threads are independent. Open and
   close call curl_global_init/curl_global_cleanup, which libcurl counts
   and (7.84 and later, built thread-safe) serialises. Free with
   lam_s3_close. */
enum lam_err lam_s3_open(const struct lam_s3_config *cfg, struct lam_s3 **out,
                         char *errbuf) LAM_WUR;
void lam_s3_close(struct lam_s3 *s); /* NULL ok */

/* GET an object. LAM_OK with *body set: its bytes, NUL-terminated (not
   counted in *len), malloc'd, free with free(). LAM_OK with *body = NULL:
   no such key (404 NoSuchKey). Errors: LAM_ERR_S3_DENIED (403 AccessDenied,
   which is also what a missing key gives without s3:ListBucket),
   LAM_ERR_S3_AUTH (SignatureDoesNotMatch, InvalidAccessKeyId, expired or
   invalid token, clock skew), LAM_ERR_S3_NOT_FOUND (NoSuchBucket),
   LAM_ERR_TOO_LARGE (over body_max), LAM_ERR_HTTP (no answer in time),
   LAM_ERR_HTTP_STATUS (anything else); errbuf has the S3 error code. */
enum lam_err lam_s3_get(struct lam_s3 *s, const char *key, uint8_t **body, size_t *len,
                        char *errbuf) LAM_WUR;

/* PUT an object with the given Content-Type (signed). Errors as for GET;
   a 404 is LAM_ERR_S3_NOT_FOUND. */
enum lam_err lam_s3_put(struct lam_s3 *s, const char *key, const uint8_t *body, size_t len,
                        const char *content_type, char *errbuf) LAM_WUR;

/* The same with a Content-Encoding (e.g. "gzip": S3 stores it and sends it
   back with every GET, so HTTP clients of a presigned URL decode the body);
   NULL: none. */
enum lam_err lam_s3_put_encoded(struct lam_s3 *s, const char *key, const uint8_t *body,
                                size_t len, const char *content_type,
                                const char *content_encoding, char *errbuf) LAM_WUR;

/* A presigned GET URL of an object (key unencoded) that anyone holding it
   may fetch for expires_s seconds after `now` (sigv4.h lam_sigv4_presign),
   into out (cap bytes; LAM_S3_URL_MAX always fits). Signed with the
   config's credentials: in Lambda those are the role's session, so the URL
   also stops working when that session expires. */
#define LAM_S3_PRESIGN_QUERY_MAX 12288 /* with a session token of up to 8 KiB */
#define LAM_S3_URL_MAX (LAM_S3_PRESIGN_QUERY_MAX + 4 * LAM_S3_KEY_MAX)
enum lam_err lam_s3_presign_get(const struct lam_s3_config *c, const char *key, long expires_s,
                                time_t now, char *out, size_t cap, char *errbuf) LAM_WUR;

#endif
