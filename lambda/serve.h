/*
 * serve.h - `spp-trace serve`: the request handler over local HTTP
 * (libmicrohttpd), for development and for self-hosting without Lambda.
 *
 *   spp-trace serve [--host 127.0.0.1] [--port 3000] [--workers N] [--no-cache]
 *
 * POST /run takes a request (service-contract.md) and answers like the
 * Lambda function; GET /health answers JSON; OPTIONS answers 204 with CORS
 * headers; other paths 404. At most N traces run at once (default: the
 * number of cores); a request beyond that is answered 503 at once rather
 * than queued. --port 0 binds a free port; the bound address is printed on
 * stderr as one line "spp-trace: info: serve: listening on http://HOST:PORT".
 * SIGTERM or SIGINT stops accepting, cancels running traces (503) and exits
 * 0. The environment is read once, then wiped, as in the Lambda bootstrap.
 */
#ifndef SPP_LAMBDA_SERVE_H
#define SPP_LAMBDA_SERVE_H

#define LAM_SERVE_IDLE_S    30          /* an idle or stalled connection is closed */
#define LAM_SERVE_DRAIN_MAX (16u << 20) /* an oversized body up to this is read and
                                           dropped before the 413; beyond, cut off */

/* argv may start at the program name or at "serve"; options follow
   "serve". Returns the process exit status (2 for a usage error). */
int lam_serve_main(int argc, char **argv);

#endif
