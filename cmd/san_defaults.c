/*
 * san_defaults.c - the AddressSanitizer defaults of a sanitized build's
 * programs (make san: build-san/spp-trace and build-san/bootstrap).
 *
 * LeakSanitizer stops the world with ptrace before the program exits;
 * where ptrace is denied (as in AWS Lambda, and in the Lambda-like runs of
 * the e2e tests) it fails every run at exit, so the programs run with leak
 * detection off. Leaks are checked by the unit tests, which link none of
 * this. The Makefile links its object into the two programs only with
 * SAN=1; in a normal build it sits unused in libspp.a, never linked.
 */
const char *__asan_default_options(void);

const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
