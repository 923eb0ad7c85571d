/*
 * seepp_api.h - See++'s own frontend API on `serve`: POST /api/run takes
 * See++'s request ({"code": ...}) and answers with exactly the ProgramTrace
 * its frontend validates (frontend/src/trace/schema.ts), in its line
 * convention: See++'s backend prepends `#define union struct` to the code,
 * so the frontend subtracts 1 from every step's and frame's `line`; these
 * lines are therefore one higher than the editor's.
 */
#ifndef SPP_LAMBDA_SEEPP_API_H
#define SPP_LAMBDA_SEEPP_API_H

#include <stddef.h>

/* The service request for See++'s request body: its fields as they are
   (code, and our optional stdin, language, memcheck, maxSteps when given)
   with the trace format fixed to seepp. NULL with errbuf (LAM_ERRBUF_LEN)
   saying why when the body is not a JSON object; malloc'd otherwise. */
char *lam_seepp_request(const char *body, size_t len, size_t *outlen, char *errbuf);

/* The ProgramTrace of a service response, lines shifted to See++'s
   convention. NULL when the response has no trace (errbuf says why) or
   memory ran out (errbuf empty); malloc'd otherwise. */
char *lam_seepp_trace(const char *response, size_t len, size_t *outlen, char *errbuf);

#endif
