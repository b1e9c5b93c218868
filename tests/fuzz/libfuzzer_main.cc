// libFuzzer's entry point for one target: compiled once per fuzz binary with
// FP_FUZZ_ENTRY naming the fixpoint::fuzz Run function to call.
#include <google/protobuf/stubs/logging.h>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Protobuf logs every invalid UTF-8 string it parses; at a thousand inputs a
  // second that is most of the fuzzer's time. The status says what failed.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fixpoint::fuzz::FP_FUZZ_ENTRY(data, size);  // errors are expected; crashes are not
  return 0;
}
