// Fuzz entry point for the ONNX importer: the input is a serialized
// onnx.ModelProto.
#include "absl/strings/string_view.h"
#include "core/io/onnx_importer.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fixpoint::fuzz {

absl::Status RunOnnxImporter(const uint8_t* data, size_t size) {
  io::OnnxImportOptions options;
  options.max_bytes = kFuzzMaxBytes;
  auto graph =
      io::ImportOnnx(absl::string_view(reinterpret_cast<const char*>(data), size), options);
  CheckErrorContract(graph.status(),
                     {absl::StatusCode::kInvalidArgument, absl::StatusCode::kUnimplemented});
  return graph.status();
}

}  // namespace fixpoint::fuzz
