/*
 * cli.c - `spp-trace [options] FILE|-` and `spp-trace --request FILE|-`.
 *
 * stdout carries the trace (or the response) and nothing else; every
 * diagnostic is one line on stderr: "spp-trace: level: message".
 */
#include "cmd/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracer/clock.h"
#include "tracer/compile.h"
#include "tracer/enc.h"
#include "tracer/sandbox.h"

static const char usage[] =
    "usage: spp-trace [options] FILE|-      trace a C/C++ program, print the trace\n"
    "       spp-trace --request FILE|-      run a service request (JSON), print the response\n"
    "       spp-trace serve [--host H] [--port P] [--workers N]\n"
    "\n"
    "options:\n"
    "  --format F      seepp (See++ ProgramTrace, default), opt (Python Tutor),\n"
    "                  vgtrace (See++'s raw SPP-Valgrind text, the response's\n"
    "                  traceContent), response (the full service response),\n"
    "                  text (readable, for a terminal: what each step changed;\n"
    "                  coloured on a terminal unless NO_COLOR is set; not cached)\n"
    "  --lang L        c or c++ (default: from the file name; .c is C)\n"
    "  --max-steps N   stop after N steps (1..10000, default 1000)\n"
    "  --stdin FILE    the program's standard input (default: none, EOF at once)\n"
    "  --timeout S     wall-clock limit in seconds (may only lower the default 10 s)\n"
    "  --engine E      auto, ptrace, agent or valgrind (default auto: ptrace where\n"
    "                  it is allowed, else the in-process agent, else valgrind)\n"
    "  --memcheck      run the Valgrind memcheck pass too (default: off in the CLI;\n"
    "                  on by default in service requests)\n"
    "  --no-memcheck   do not run it\n"
    "  --no-cache      do not use the local result cache\n"
    "  --cache-key K   echo K as the response's cacheKey (used by serve/bootstrap)\n"
    "  --work-dir DIR  where run directories are created (default $TMPDIR or /tmp;\n"
    "                  /tmp when runs have a uid of their own that cannot reach DIR)\n"
    "  --warm-pch      build the precompiled headers for common includes and exit\n"
    "  --probe         print what this machine allows (engine, sandbox) as JSON and exit\n"
    "  -v, --verbose   log progress to stderr\n"
    "  -h, --help      this text\n"
    "  --version       print the version\n"
    "\n"
    "exit status: 0 a trace was produced; 1 no trace could be produced; 2 bad usage\n"
    "or bad request; 3 (--request only) a response was printed but the run did not\n"
    "end normally (not cacheable).\n"
    "\n"
    "environment: SPP_PROBE (set by serve/bootstrap: the start-up probe, so each run\n"
    "skips it), SPP_COMPILE_TIMEOUT_MS (lowers the 20 s compile limit),\n"
    "SPP_MAX_RESPONSE_BYTES (caps the response; set by the Lambda bootstrap),\n"
    "SPP_DEFAULT_ENGINE (the engine when --engine is not given: what serve and the\n"
    "bootstrap run).\n";

static int parse_engine(const char *name, enum tr_engine *out)
{
    static const struct {
        const char *name;
        enum tr_engine e;
    } engines[] = {{"auto", TR_ENGINE_AUTO},
                   {"ptrace", TR_ENGINE_PTRACE},
                   {"agent", TR_ENGINE_AGENT},
                   {"valgrind", TR_ENGINE_VALGRIND}};
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        if (strcmp(name, engines[i].name) == 0) {
            *out = engines[i].e;
            return 0;
        }
    }
    return -1;
}

static void say(const char *level, const char *msg)
{
    fprintf(stderr, "spp-trace: %s: %s\n", level, msg);
}

/* Read a whole file (or stdin for "-") up to cap bytes. */
static char *slurp(const char *path, size_t cap, size_t *len, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(cap + 2);
    size_t n = 0;
    if (buf) {
        size_t k;
        while (n <= cap && (k = fread(buf + n, 1, cap + 1 - n, f)) > 0)
            n += k;
    }
    if (f != stdin)
        fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (n > cap) {
        snprintf(err, errlen, "%s is larger than %zu bytes", path, cap);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int write_out(const char *text, size_t len)
{
    if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        say("error", "cannot write to stdout");
        return -1;
    }
    return 0;
}

void tr_cli_free(struct tr_cli *cli)
{
    tr_request_free(&cli->req);
}

int tr_cli_parse(int argc, char **argv, struct tr_cli *cli)
{
    const char *file = NULL, *stdin_file = NULL, *lang = NULL, *request = NULL;
    int memcheck = -1, engine_given = 0;
    char err[TR_ERRBUF_LEN];
    long v;

    memset(cli, 0, sizeof *cli);
    tr_request_init(&cli->req);
    cli->out_format = TR_FMT_SEEPP;
    cli->use_cache = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                       \
    do {                                                                                   \
        if (!val) {                                                                        \
            snprintf(err, sizeof err, "%s needs a value (see --help)", a);                  \
            say("error", err);                                                             \
            return TR_EXIT_USAGE;                                                          \
        }                                                                                  \
        i++;                                                                               \
    } while (0)
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return TR_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("spp-trace %s\n", SPP_VERSION);
            return TR_EXIT_OK;
        } else if (strcmp(a, "--format") == 0) {
            NEED_VALUE();
            if (strcmp(val, "seepp") == 0)
                cli->out_format = TR_FMT_SEEPP;
            else if (strcmp(val, "opt") == 0)
                cli->out_format = TR_FMT_OPT;
            else if (strcmp(val, "vgtrace") == 0)
                cli->out_format = TR_FMT_VGTRACE;
            else if (strcmp(val, "response") == 0)
                cli->out_format = TR_FMT_RESPONSE;
            else if (strcmp(val, "text") == 0)
                cli->out_format = TR_FMT_TEXT;
            else {
                say("error", "--format must be seepp, opt, vgtrace, response or text");
                return TR_EXIT_USAGE;
            }
        } else if (strcmp(a, "--lang") == 0) {
            NEED_VALUE();
            lang = val;
        } else if (strcmp(a, "--max-steps") == 0) {
            NEED_VALUE();
            if (parse_int(val, TR_MAX_STEPS_MIN, TR_MAX_STEPS_MAX, &v)) {
                say("error", "--max-steps must be an integer from 1 to 10000");
                return TR_EXIT_USAGE;
            }
            cli->req.max_steps = (int)v;
        } else if (strcmp(a, "--stdin") == 0) {
            NEED_VALUE();
            stdin_file = val;
        } else if (strcmp(a, "--timeout") == 0) {
            NEED_VALUE();
            if (parse_int(val, 1, TR_LIMIT_WALL_MEMCHECK_MS / 1000, &v)) {
                say("error", "--timeout must be a whole number of seconds from 1 to 30");
                return TR_EXIT_USAGE;
            }
            cli->req.timeout_ms = (int)v * 1000;
        } else if (strcmp(a, "--engine") == 0) {
            NEED_VALUE();
            if (parse_engine(val, &cli->opts.engine) != 0) {
                say("error", "--engine must be auto, ptrace, agent or valgrind");
                return TR_EXIT_USAGE;
            }
            engine_given = 1;
        } else if (strcmp(a, "--memcheck") == 0) {
            memcheck = 1;
        } else if (strcmp(a, "--no-memcheck") == 0) {
            memcheck = 0;
        } else if (strcmp(a, "--no-cache") == 0) {
            cli->use_cache = 0;
        } else if (strcmp(a, "--cache-key") == 0) {
            NEED_VALUE();
            snprintf(cli->cache_key_buf, sizeof cli->cache_key_buf, "%s", val);
            cli->opts.cache_key = cli->cache_key_buf;
        } else if (strcmp(a, "--work-dir") == 0) {
            NEED_VALUE();
            cli->opts.work_root = val;
        } else if (strcmp(a, "--request") == 0) {
            NEED_VALUE();
            request = val;
        } else if (strcmp(a, "--warm-pch") == 0) {
            cli->warm_pch = 1;
        } else if (strcmp(a, "--probe") == 0) {
            char json[TR_PROBE_JSON_LEN];
            tr_probe_run(&cli->probe);
            /* spp-trace, the program that takes these options, links the
               Valgrind engine (the hooks are set after parsing) */
            tr_probe_json(&cli->probe, 1, json, sizeof json);
            printf("%s\n", json);
            return TR_EXIT_OK;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            cli->opts.verbose = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            snprintf(err, sizeof err, "unknown option %s (see --help)", a);
            say("error", err);
            return TR_EXIT_USAGE;
        } else if (!file) {
            file = a;
        } else {
            say("error", "only one source file can be traced at a time");
            return TR_EXIT_USAGE;
        }
#undef NEED_VALUE
    }
    if (cli->warm_pch)
        return -1;

    /* The operator's engine and limits (never from a request). */
    const char *de = getenv("SPP_DEFAULT_ENGINE");
    if (de && *de && !engine_given && parse_engine(de, &cli->opts.engine) != 0) {
        say("error", "SPP_DEFAULT_ENGINE must be auto, ptrace, agent or valgrind");
        return TR_EXIT_USAGE;
    }
    const char *ct = getenv("SPP_COMPILE_TIMEOUT_MS");
    if (ct && *ct) {
        if (parse_int(ct, 1, TR_LIMIT_COMPILE_WALL_MS, &v)) {
            say("error", "SPP_COMPILE_TIMEOUT_MS must be a number of milliseconds from 1 to 20000");
            return TR_EXIT_USAGE;
        }
        cli->opts.compile_wall_ms = (int)v;
    }
    const char *mr = getenv("SPP_MAX_RESPONSE_BYTES");
    if (mr && *mr) {
        if (parse_int(mr, 1 << 20, TR_LIMIT_TRACE_JSON, &v)) {
            say("error", "SPP_MAX_RESPONSE_BYTES must be a number of bytes from 1 MiB to 32 MiB");
            return TR_EXIT_USAGE;
        }
        cli->opts.max_response = (size_t)v;
    }

    if (request) {
        size_t len;
        char *json = slurp(request, TR_CODE_MAX + TR_STDIN_MAX + 4096, &len, err, sizeof err);
        enum tr_err rc = json ? tr_request_parse(json, len, &cli->req, err) : TR_ERR_BADREQ;
        free(json);
        if (rc != TR_OK) {
            say("error", err);
            /* a bad request still gets a JSON answer on stdout */
            size_t n;
            char *resp = tr_enc_error_response(err, &n);
            if (resp)
                write_out(resp, n);
            free(resp);
            return TR_EXIT_USAGE;
        }
        cli->request_mode = 1;
        cli->out_format = TR_FMT_RESPONSE;
        return -1;
    }

    if (!file) {
        fputs(usage, stderr);
        return TR_EXIT_USAGE;
    }
    cli->req.code = slurp(file, TR_CODE_MAX, &cli->req.code_len, err, sizeof err);
    if (!cli->req.code) {
        say("error", err);
        return TR_EXIT_USAGE;
    }
    if (lang) {
        if (strcmp(lang, "c") == 0)
            cli->req.lang = TR_LANG_C;
        else if (strcmp(lang, "c++") == 0 || strcmp(lang, "cpp") == 0)
            cli->req.lang = TR_LANG_CXX;
        else {
            say("error", "--lang must be c or c++");
            return TR_EXIT_USAGE;
        }
    } else {
        size_t n = strlen(file);
        cli->req.lang = n > 2 && strcmp(file + n - 2, ".c") == 0 ? TR_LANG_C : TR_LANG_CXX;
    }
    if (stdin_file) {
        cli->req.stdin_data = slurp(stdin_file, TR_STDIN_MAX, &cli->req.stdin_len, err,
                                    sizeof err);
        if (!cli->req.stdin_data) {
            say("error", err);
            return TR_EXIT_USAGE;
        }
    }
    cli->req.memcheck = memcheck == 1;
    /* the cache holds responses; the text form is drawn from the trace model */
    if (cli->out_format == TR_FMT_TEXT)
        cli->use_cache = 0;
    cli->req.format = cli->out_format == TR_FMT_OPT ? TR_FMT_OPT : TR_FMT_SEEPP;
    return -1;
}

int tr_cli_emit(const struct tr_cli *cli, const struct tr_result *res, char **response,
                size_t *response_len)
{
    int status = res->ok ? TR_EXIT_OK : TR_EXIT_FAIL;
    if (cli->request_mode && res->ok && !tr_result_cacheable(res))
        status = TR_EXIT_UNCACHEABLE;
    char *resp = NULL;
    size_t rlen = 0;
    int64_t t0 = tr_now_ms(); /* what encoding costs is outside timingsMs */
    if (cli->opts.verbose && res->early_enc) {
        char line[160];
        snprintf(line, sizeof line,
                 "memcheck mode: the response's trace was encoded while Valgrind ran "
                 "(%.0f ms), %s",
                 res->ms_early_enc,
                 res->early_enc > 0 ? "and is used" : "and dropped: findings changed it");
        say("info", line);
    }
    if (cli->out_format == TR_FMT_RESPONSE || response) {
        int cut = 0;
        resp = tr_enc_response(res, &cli->req, cli->opts.cache_key, &rlen, &cut);
        if (!resp) {
            say("error", "out of memory while encoding the response");
            return TR_EXIT_FAIL;
        }
        if (cut && status == TR_EXIT_OK && cli->request_mode)
            status = TR_EXIT_UNCACHEABLE; /* a cut trace did not end normally */
    }
    if (!res->ok)
        say("error", res->error[0] ? res->error : "no trace was produced");
    if (cli->out_format == TR_FMT_RESPONSE) {
        int64_t t1 = tr_now_ms();
        if (write_out(resp, rlen))
            status = TR_EXIT_FAIL;
        if (cli->opts.verbose) {
            char line[128];
            snprintf(line, sizeof line, "response: %zu bytes, encoded in %lld ms, written in %lld ms",
                     rlen, (long long)(t1 - t0), (long long)(tr_now_ms() - t1));
            say("info", line);
        }
    } else if (res->ok) {
        size_t n;
        const char *no_colour = getenv("NO_COLOR");
        int colour = isatty(STDOUT_FILENO) && !(no_colour && *no_colour);
        char *text = cli->out_format == TR_FMT_TEXT
                         ? tr_enc_text(res->trace, colour, TR_LIMIT_TRACE_JSON, &n)
                     : cli->out_format == TR_FMT_VGTRACE
                         ? tr_enc_vgtrace(res->trace, TR_LIMIT_TRACE_JSON, &n, NULL)
                         : tr_enc_trace(res->trace,
                                        cli->out_format == TR_FMT_OPT ? TR_ENC_OPT : TR_ENC_SEEPP,
                                        TR_LIMIT_TRACE_JSON, &n, NULL);
        if (!text || write_out(text, n))
            status = TR_EXIT_FAIL;
        free(text);
    }
    if (response) {
        *response = resp;
        *response_len = rlen;
    } else {
        free(resp);
    }
    return status;
}

void tr_cli_probe(struct tr_cli *cli)
{
    int probed;
    tr_probe_get(&cli->probe, &probed);
    cli->opts.probe = &cli->probe;
    if (probed && cli->opts.verbose) {
        char json[TR_PROBE_JSON_LEN], line[TR_PROBE_JSON_LEN + 16];
        tr_probe_json(&cli->probe, 1, json, sizeof json);
        snprintf(line, sizeof line, "probe: %s", json);
        say("info", line);
    }
}

int tr_cli_emit_cached(const struct tr_cli *cli, const char *response, size_t len)
{
    if (cli->out_format == TR_FMT_RESPONSE)
        return write_out(response, len) ? TR_EXIT_FAIL : TR_EXIT_OK;
    size_t n;
    char *trace = tr_response_member(
        response, len, cli->out_format == TR_FMT_VGTRACE ? "traceContent" : "trace", &n);
    if (!trace)
        return TR_EXIT_FAIL;
    int rc = write_out(trace, n) ? TR_EXIT_FAIL : TR_EXIT_OK;
    free(trace);
    return rc;
}
