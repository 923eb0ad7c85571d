/*
 * check.h - the unit-test harness: a test is a function, a check records a
 * failure with file:line and goes on. main() is TEST_MAIN(list of tests).
 * Output: one line per test ("ok name" / "FAIL name"), then
 * "N passed, M failed" - the line tests/run_all.sh adds up. Exit 0 when all
 * passed, 1 when any failed, 77 when the whole file is skipped (with reason).
 */
#ifndef SPP_TESTS_CHECK_H
#define SPP_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                      \
            check_failed_ = 1;                                                   \
        }                                                                        \
    } while (0)

#define CHECK_INT(a, b)                                                          \
    do {                                                                         \
        long long a_ = (long long)(a), b_ = (long long)(b);                      \
        if (a_ != b_) {                                                          \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__,    \
                    __LINE__, #a, a_, b_);                                       \
            check_failed_ = 1;                                                   \
        }                                                                        \
    } while (0)

#define CHECK_STR(a, b)                                                          \
    do {                                                                         \
        const char *a_ = (a), *b_ = (b);                                         \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                 \
            fprintf(stderr, "  %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
                    __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
            check_failed_ = 1;                                                   \
        }                                                                        \
    } while (0)

/* Stop the current test (after a failed precondition). */
#define REQUIRE(cond)                                                            \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "  %s:%d: required: %s\n", __FILE__, __LINE__,       \
                    #cond);                                                      \
            check_failed_ = 1;                                                   \
            return;                                                              \
        }                                                                        \
    } while (0)

struct check_test {
    const char *name;
    void (*fn)(void);
};

#define TEST(fn) { #fn, fn }

static inline int check_run_(const struct check_test *t, size_t n)
{
    int passed = 0, failed = 0;
    const char *only = getenv("CHECK_ONLY");
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, t[i].name) != 0)
            continue;
        check_failed_ = 0;
        t[i].fn();
        printf("%s %s\n", check_failed_ ? "FAIL" : "ok", t[i].name);
        fflush(stdout);
        if (check_failed_)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* Skip the whole file: prints the reason and exits 77. */
#define SKIP_ALL(reason)                                                         \
    do {                                                                         \
        printf("skip: %s\n0 passed, 0 failed\n", reason);                        \
        exit(77);                                                                \
    } while (0)

#define TEST_MAIN(...)                                                           \
    int main(void)                                                               \
    {                                                                            \
        static const struct check_test tests_[] = {__VA_ARGS__};                 \
        return check_run_(tests_, sizeof tests_ / sizeof tests_[0]);             \
    }

#endif
