/*
 * result.h - what one run produced, as every encoder and front door reads
 * it: the trace, the program's index, the compiler's output, which engine
 * ran, memcheck's outcome and the isolation the run had. run/ fills it in;
 * tracer/ only reads it, so the response encoder needs nothing above it.
 */
#ifndef SPP_TRACER_RESULT_H
#define SPP_TRACER_RESULT_H

#include <stddef.h>

#include "tracer/enc.h"
#include "tracer/model.h"
#include "tracer/request.h"

struct dw_index;

/* A response's trace and traceContent encoded ahead of the response
   (tr_enc_response_prepare), for the trace `of` in one style and budget. */
struct tr_enc_pair {
    const struct tr_trace *of;
    enum tr_enc_style style;
    size_t cap, budget;
    char *trace, *content; /* malloc'd; NULL once a response took them */
    size_t n, cn;
    struct tr_enc_cut tc, vc;
};

struct tr_result {
    struct tr_trace *trace;  /* the steps; a compile error is one step */
    struct dw_index *index;  /* the program's index: the trace borrows its
                                names (functions, variables, members), so it
                                lives as long as the trace */
    int compiled;            /* the program was built */
    char *cc_output;         /* compiler diagnostics (capped), malloc'd */
    size_t cc_len;
    int cc_truncated;
    const char *engine;      /* "ptrace", "valgrind", or NULL if nothing ran */
    int memcheck_ran;
    const char *memcheck_note;
    int memcheck_partial;    /* the requested memcheck run failed, timed out or
                                stopped early: what it gave depends on the
                                moment, so the response is not cached */
    double ms_compile, ms_trace, ms_memcheck, ms_total;
    int used_pch;
    char error[2 * TR_ERRBUF_LEN]; /* when no trace could be produced */
    int ok;                  /* a trace was produced (response "success") */
    size_t response_cap;     /* the response JSON's budget (opts.max_response) */
    struct {                 /* the isolation this run had (response "sandbox") */
        int seccomp, netns, mountns, pidns;
        int landlock;        /* file access confined by Landlock */
        int watch;           /* names created outside the run directory were
                                watched for and removed (sandbox_watch.h) */
        long uid;            /* the program's uid; -1: the service's own */
        unsigned nproc;      /* RLIMIT_NPROC it was given */
        int leftover;        /* processes still alive when the run ended (then
                                killed); -1: some could not be killed */
    } sandbox;
    struct tr_enc_pair *pre_enc; /* NULL, or what the response will reuse */
    int early_enc;           /* memcheck mode encoded the response's trace while
                                Valgrind ran: 1 kept, -1 dropped (findings
                                changed the trace), 0 not done */
    double ms_early_enc;     /* what that took */
};

void tr_result_free(struct tr_result *res); /* accepts NULL */

/* Did the run end normally within limits (so its response may be cached)? */
int tr_result_cacheable(const struct tr_result *res);

/* The response object of service-contract.md as JSON text (malloc'd). Its
   first key is always "cached":false, so a cache can serve it with that
   prefix rewritten. cache_key may be NULL. When the response cap cut the
   trace or traceContent, its outcome is output_limit, its message and the
   last step say where, and *cut (if cut is not NULL) is set to 1. */
char *tr_enc_response(const struct tr_result *res, const struct tr_request *r,
                      const char *cache_key, size_t *len, int *cut);

/* Encodes now the trace and traceContent that tr_enc_response would make
   for r, so that a response made later takes them instead of encoding
   (memcheck mode does this while it waits for Valgrind). Call
   tr_enc_response_unprepare when the trace changes afterwards; a response
   of another trace, style or budget encodes its own. 0, or -1 when out of
   memory (then nothing is prepared). */
int tr_enc_response_prepare(struct tr_result *res, const struct tr_request *r);
void tr_enc_response_unprepare(struct tr_result *res);

/* {"success":false,"error":msg} for a request that could not be run. */
char *tr_enc_error_response(const char *msg, size_t *len);
/* The text of one top-level member of a response, malloc'd; NULL when the
   JSON is unreadable or has no such member. */
char *tr_response_member(const char *json, size_t len, const char *key, size_t *outlen);

#endif
