/*
 * err.c - text for tr_err codes. A switch without default so -Wswitch names
 * any code that has no text.
 */
#include "tracer/err.h"

const char *tr_strerror(enum tr_err e)
{
    switch (e) {
    case TR_OK: return "ok";
    case TR_ERR_NOMEM: return "out of memory";
    case TR_ERR_SYS: return "system call failed";
    case TR_ERR_MEM: return "target memory not accessible";
    case TR_ERR_PROTOCOL: return "unexpected reply from target";
    case TR_ERR_GONE: return "target process is gone";
    case TR_ERR_TIMEOUT: return "time limit reached";
    case TR_ERR_DWARF: return "debug information unusable";
    case TR_ERR_COMPILE: return "compiler could not be run";
    case TR_ERR_BADREQ: return "bad request";
    case TR_ERR_UNSUPPORTED: return "not supported by this target";
    case TR_ERR_LIMIT: return "resource limit reached";
    }
    return "unknown error";
}
