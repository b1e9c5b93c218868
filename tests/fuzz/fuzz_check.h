// FP_FUZZ_CHECK: the one assertion the fuzz entry points make. Unlike assert()
// it stays on in release builds, and it prints the broken contract before it
// aborts. Thread-safe.
#ifndef FIXPOINT_TESTS_FUZZ_FUZZ_CHECK_H_
#define FIXPOINT_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"

#define FP_FUZZ_CHECK(cond, what)                                                     \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "fuzz contract broken at %s:%d: %s\n", __FILE__, __LINE__, \
                   std::string(what).c_str());                                        \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

namespace fixpoint::fuzz {

// Aborts unless `status` is OK or an error with one of `codes` and a message.
inline void CheckErrorContract(const absl::Status& status,
                               std::initializer_list<absl::StatusCode> codes) {
  if (status.ok()) return;
  bool documented = false;
  for (absl::StatusCode c : codes) documented |= status.code() == c;
  FP_FUZZ_CHECK(documented, "undocumented status code: " + status.ToString());
  FP_FUZZ_CHECK(!status.message().empty(), "error without a message: " + status.ToString());
}

}  // namespace fixpoint::fuzz

#endif  // FIXPOINT_TESTS_FUZZ_FUZZ_CHECK_H_
