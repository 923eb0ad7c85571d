/*
 * request.h - a trace request (service-contract.md) and running it.
 *
 * Every front door (the CLI, `serve`, the Lambda bootstrap) turns its input
 * into a struct tr_request, and run/ (tr_run) turns that into the response JSON.
 * Parsing validates everything a client controls; errors name the field.
 */
#ifndef SPP_TRACER_REQUEST_H
#define SPP_TRACER_REQUEST_H

#include <stddef.h>

#include "tracer/err.h"

#define TR_CODE_MAX      (128u << 10) /* See++ backend's body cap */
#define TR_STDIN_MAX     (1u << 20)
#define TR_MAX_STEPS_MIN 1
#define TR_MAX_STEPS_MAX 10000
#define TR_MAX_STEPS_DEF 1000

enum tr_lang { TR_LANG_CXX, TR_LANG_C };
enum tr_format { TR_FMT_SEEPP, TR_FMT_OPT, TR_FMT_VGTRACE, TR_FMT_RESPONSE,
                 TR_FMT_TEXT /* CLI only: enc_text.c */ };

struct tr_request {
    char *code;            /* as received (the #define union struct shim is
                              replaced at compile time, not here) */
    size_t code_len;
    enum tr_lang lang;
    char *stdin_data;      /* NULL: no input (EOF at once) */
    size_t stdin_len;
    int memcheck;          /* run the Valgrind pass */
    int max_steps;
    enum tr_format format; /* encoding of `trace` in the response: SEEPP or OPT */
    int preprocessed;      /* accepted for See++ compatibility; no effect */
    int timeout_ms;        /* 0: default; may only lower the limit */
};

/* Defaults of every field (code NULL). */
void tr_request_init(struct tr_request *r);
/* Parse and validate request JSON. On TR_ERR_BADREQ errbuf (TR_ERRBUF_LEN)
   names the problem, e.g. "\"maxSteps\" must be an integer from 1 to 10000".
   *out is filled only on success; free it with tr_request_free. */
enum tr_err tr_request_parse(const char *json, size_t len, struct tr_request *out,
                             char *errbuf) TR_WUR;
void tr_request_free(struct tr_request *r); /* frees the fields, not r */
/* The canonical text of everything that affects the result, for cache keys:
   malloc'd, free with free(). NULL when out of memory. */
char *tr_request_canonical(const struct tr_request *r);

#endif
