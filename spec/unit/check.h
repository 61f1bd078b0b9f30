/* check.h: the few assertions the C unit tests need. A failed check prints where and
 * what, and the test program exits non-zero at the end (CTest reads the exit code). */
#ifndef SPEC_CHECK_H
#define SPEC_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    check_count++;                                                       \
    if (!(cond)) {                                                       \
      check_failures++;                                                  \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                          \
  do {                                                                              \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                 \
    check_count++;                                                                  \
    if (check_a_ != check_b_) {                                                     \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
              #a, check_a_, #b, check_b_);                                          \
    }                                                                               \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                              \
  do {                                                                                  \
    const char *check_a_ = (a), *check_b_ = (b);                                        \
    check_count++;                                                                      \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                    \
      check_failures++;                                                                 \
      fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
              check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");          \
    }                                                                                   \
  } while (0)

/* Ends main(): prints the tally in the plain form CI reads and returns the exit code. */
#define CHECK_DONE()                                                          \
  (printf("%d passed, %d failed\n", check_count - check_failures, check_failures), \
   check_failures ? 1 : 0)

#endif
