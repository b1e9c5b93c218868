// One ONNX backend test case (a folder with model.onnx and test_data_set_*/),
// run through the importer and the runtime and compared with the expected
// outputs. Thread-compatible.
#ifndef FIXPOINT_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_
#define FIXPOINT_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_

#include <string>

namespace fixpoint::conformance {

enum class Outcome { kPassed, kFailed, kSkipped };

struct CaseResult {
  Outcome outcome = Outcome::kFailed;
  std::string detail;  // why it failed or was skipped
};

// Runs every test_data_set_* of the case folder `dir`. Skipped means the model
// was refused as unsupported (UNIMPLEMENTED); any other error or a mismatch
// beyond rtol/atol (the ONNX backend defaults: 1e-3, 1e-7) is a failure.
CaseResult RunCase(const std::string& dir, bool use_onednn);

}  // namespace fixpoint::conformance

#endif  // FIXPOINT_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_
