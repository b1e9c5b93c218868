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

// Round trip through the ONNX exporter (core/io/onnx_exporter.h).
enum class RoundTrip {
  kNone,
  kImported,   // export the imported graph
  kOptimized,  // export the session's optimized graph (BN folded, fused activations)
};

// Runs every test_data_set_* of the case folder `dir`. Skipped means the model
// was refused as unsupported (UNIMPLEMENTED); any other error or a mismatch
// beyond rtol/atol (the ONNX backend defaults: 1e-3, 1e-7) is a failure.
// With a round trip, a case that passes is also exported (the result must
// pass libonnx's checker and strict shape inference), re-imported and run;
// its outputs must equal the direct run's within the same tolerance (an
// export refusal is a failure here, not a skip). A pass whose round trip was
// not bit-identical has detail "inexact: ...".
CaseResult RunCase(const std::string& dir, bool use_onednn, RoundTrip roundtrip = RoundTrip::kNone);

}  // namespace fixpoint::conformance

#endif  // FIXPOINT_TESTS_CONFORMANCE_CONFORMANCE_CASE_H_
