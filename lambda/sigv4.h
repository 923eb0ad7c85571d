/*
 * sigv4.h - AWS Signature Version 4 (header signing, and query signing for
 * presigned URLs) with OpenSSL.
 *
 * The stages are exposed so each can be checked against AWS's published
 * vectors: canonical request -> string to sign -> signing key -> signature ->
 * Authorization header; lam_sigv4_sign runs them all. The time is always a
 * parameter (never read from the clock here), so signing is deterministic.
 *
 * Two sets of path rules:
 *  - LAM_SIGV4_S3: the path is used exactly as sent. It must already be
 *    URI-encoded once (lam_sigv4_uri_encode with keep_slash) and is never
 *    normalised: "//a/./b" signs as "//a/./b", as S3 receives it. A path with
 *    bytes that need encoding is refused rather than guessed at.
 *  - LAM_SIGV4_GENERIC: every other AWS service. Dot segments and empty
 *    segments are removed, then the path is URI-encoded (again: a path that
 *    is already encoded gets its '%' encoded), as in AWS's generic test suite.
 * Both modes canonicalise the query (decoded, re-encoded strictly, sorted by
 * name then value) and headers (lower-case names, values trimmed with inner
 * runs of blanks collapsed, repeated names joined with ',' in order, sorted).
 *
 * Secrets: the secret key and derived keys are wiped from the stack after
 * use; nothing here logs, and error messages never quote credentials or
 * header values.
 */
#ifndef SPP_LAMBDA_SIGV4_H
#define SPP_LAMBDA_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lambda/err.h"

#define LAM_SIGV4_HEX_LEN   64          /* hex SHA-256 or signature, without NUL */
#define LAM_SIGV4_KEY_LEN   32          /* signing key bytes */
#define LAM_SIGV4_DATE_LEN  16          /* "20150830T123600Z", without NUL */
#define LAM_SIGV4_STS_MAX   256         /* string to sign, with NUL */
#define LAM_SIGV4_AUTH_MAX  2048        /* Authorization value, with NUL */
#define LAM_SIGV4_CREQ_MAX  (1u << 20)  /* canonical request cap */
#define LAM_SIGV4_HEADERS_MAX 64        /* headers per request */
#define LAM_SIGV4_SECRET_MAX 128        /* secret access key length */
#define LAM_SIGV4_NAME_MAX  63          /* region and service name length */

/* hex SHA-256 of the empty string: the payload hash of a GET. */
#define LAM_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

enum lam_sigv4_mode {
    LAM_SIGV4_S3,     /* path as sent, encoded once by the caller, not normalised */
    LAM_SIGV4_GENERIC /* path normalised, then encoded (again) */
};

enum lam_sigv4_body {
    LAM_SIGV4_BODY_HEADER,   /* send and sign x-amz-content-sha256 (S3 requires it) */
    LAM_SIGV4_BODY_NO_HEADER /* the hash is only the canonical request's last line
                                (generic services; not valid for S3) */
};

/* Who signs, for which region and service. Everything is borrowed. */
struct lam_sigv4_signer {
    enum lam_sigv4_mode mode;
    enum lam_sigv4_body body;
    const char *access_key_id;     /* [A-Za-z0-9], 1..128 chars */
    const char *secret_access_key; /* 1..LAM_SIGV4_SECRET_MAX chars */
    const char *session_token;     /* NULL or "": none; else it is signed as
                                      x-amz-security-token, which the caller sends */
    const char *region;            /* [a-z0-9-], 1..LAM_SIGV4_NAME_MAX */
    const char *service;           /* "s3", ...: same rule */
};

struct lam_sigv4_header {
    const char *name;  /* HTTP token characters; any case */
    const char *value; /* no CR or LF (fold continuation lines first) */
};

/* The request to sign. Everything is borrowed. */
struct lam_sigv4_request {
    const char *method; /* "GET", "PUT", ...: upper-case letters */
    const char *path;   /* as on the request line, without the query; starts with '/' */
    const char *query;  /* as on the request line after '?'; NULL or "": none */
    /* Headers to sign, which must include host (with ":port" when the port is
       not the scheme's default). Not x-amz-date, x-amz-content-sha256,
       x-amz-security-token or authorization: the signer adds those. */
    const struct lam_sigv4_header *headers;
    size_t n_headers; /* at most LAM_SIGV4_HEADERS_MAX */
    const uint8_t *body; /* hashed when payload_hash is NULL; NULL with 0 = empty */
    size_t body_len;
    const char *payload_hash; /* lower-case hex SHA-256 of the body when known,
                                 or "UNSIGNED-PAYLOAD"; NULL: computed */
};

/* Stage 1's result. Free the fields with lam_sigv4_creq_clear. */
struct lam_sigv4_creq {
    char *text;           /* the canonical request, NUL-terminated */
    size_t len;
    char *signed_headers; /* "host;x-amz-date", NUL-terminated */
    char amz_date[LAM_SIGV4_DATE_LEN + 1];       /* the x-amz-date value */
    char payload_hash[LAM_SIGV4_HEX_LEN + 1];    /* the last line; also the
                                                    x-amz-content-sha256 value */
};

/* What the caller adds to the request after lam_sigv4_sign, besides
   x-amz-security-token: signer->session_token when there is one. */
struct lam_sigv4_out {
    char amz_date[LAM_SIGV4_DATE_LEN + 1];        /* x-amz-date */
    char content_sha256[LAM_SIGV4_HEX_LEN + 1];   /* x-amz-content-sha256; "" with
                                                     LAM_SIGV4_BODY_NO_HEADER */
    char authorization[LAM_SIGV4_AUTH_MAX];       /* Authorization */
};

/* Stage 1: the canonical request at time `now` (UTC seconds). On success
   *out owns two allocations (lam_sigv4_creq_clear); on failure *out is
   untouched and errbuf (LAM_ERRBUF_LEN) says which input is wrong. */
enum lam_err lam_sigv4_canonical_request(const struct lam_sigv4_signer *s,
                                         const struct lam_sigv4_request *r, time_t now,
                                         struct lam_sigv4_creq *out, char *errbuf) LAM_WUR;
void lam_sigv4_creq_clear(struct lam_sigv4_creq *c); /* frees the fields; NULL ok */

/* Stage 2: "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(creq)>". */
enum lam_err lam_sigv4_string_to_sign(const struct lam_sigv4_signer *s, time_t now,
                                      const char *creq, size_t creq_len,
                                      char out[LAM_SIGV4_STS_MAX], char *errbuf) LAM_WUR;

/* Stage 3: the signing key for the day of `now`. The caller wipes it
   (OPENSSL_cleanse or explicit_bzero) when done. */
enum lam_err lam_sigv4_signing_key(const struct lam_sigv4_signer *s, time_t now,
                                   uint8_t key[LAM_SIGV4_KEY_LEN], char *errbuf) LAM_WUR;

/* Stage 4: lower-case hex HMAC-SHA256(key, string to sign). */
enum lam_err lam_sigv4_signature(const uint8_t key[LAM_SIGV4_KEY_LEN], const char *sts,
                                 char sig[LAM_SIGV4_HEX_LEN + 1], char *errbuf) LAM_WUR;

/* Stage 5: the Authorization value
   "AWS4-HMAC-SHA256 Credential=<id>/<scope>, SignedHeaders=<list>, Signature=<sig>"
   into out (cap bytes); LAM_ERR_TOO_LARGE when it does not fit. */
enum lam_err lam_sigv4_authorization(const struct lam_sigv4_signer *s, time_t now,
                                     const char *signed_headers, const char *sig, char *out,
                                     size_t cap, char *errbuf) LAM_WUR;

/* All stages. *out is written only on success. */
enum lam_err lam_sigv4_sign(const struct lam_sigv4_signer *s, const struct lam_sigv4_request *r,
                            time_t now, struct lam_sigv4_out *out, char *errbuf) LAM_WUR;

/* Query-string authentication: the query of a presigned URL for `method`
   on `path` (S3 mode: already encoded once) at `host` (the Host header the
   URL's user will send, with ":port" when not the default), valid for
   expires_s seconds (1..LAM_SIGV4_PRESIGN_MAX_S) from `now`. Only host is
   signed and the payload is UNSIGNED-PAYLOAD, as S3 expects of a URL handed
   to someone else; a session token travels as X-Amz-Security-Token. Writes
   "X-Amz-Algorithm=...&...&X-Amz-Signature=<hex>" into out (cap bytes);
   LAM_ERR_TOO_LARGE when it does not fit. */
#define LAM_SIGV4_PRESIGN_MAX_S 604800 /* S3's limit: 7 days */
enum lam_err lam_sigv4_presign(const struct lam_sigv4_signer *s, const char *method,
                               const char *path, const char *host, long expires_s, time_t now,
                               char *out, size_t cap, char *errbuf) LAM_WUR;

/* URI-encodes len bytes of in the SigV4 way: unreserved characters
   (A-Z a-z 0-9 - . _ ~) as they are, '/' too when keep_slash, every other
   byte as %XX (upper-case hex). Writes a NUL-terminated string into out (cap
   bytes) and its length to *out_len; LAM_ERR_TOO_LARGE when it does not fit. */
enum lam_err lam_sigv4_uri_encode(const uint8_t *in, size_t len, int keep_slash, char *out,
                                  size_t cap, size_t *out_len) LAM_WUR;

/* Lower-case hex SHA-256 of len bytes. */
enum lam_err lam_sigv4_sha256_hex(const void *data, size_t len,
                                  char out[LAM_SIGV4_HEX_LEN + 1]) LAM_WUR;

#endif
