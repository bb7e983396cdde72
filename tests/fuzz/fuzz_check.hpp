#pragma once

#include <cstdio>
#include <cstdlib>

// A property a fuzz target asserts: on failure, say which and abort (so
// libFuzzer keeps the input and the replay test fails), in every build.
#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)
