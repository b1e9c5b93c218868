// libFuzzer's entry point for one target: compiled once per fuzz binary with
// FP_FUZZ_ENTRY naming the fixpoint::fuzz Run function to call.
#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fixpoint::fuzz::FP_FUZZ_ENTRY(data, size);  // errors are expected; crashes are not
  return 0;
}
