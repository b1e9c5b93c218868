// Fuzz entry point for the TensorFlow GraphDef importer (see fuzz_targets.h
// for the input format).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "core/io/tf_importer.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fixpoint::fuzz {
namespace {

std::vector<std::string> SplitNonEmpty(absl::string_view text, char sep) {
  return absl::StrSplit(text, sep, absl::SkipEmpty());
}

}  // namespace

absl::Status RunTfImporter(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  io::TfImportOptions options;
  options.max_bytes = kFuzzMaxBytes;
  const size_t newline = std::min(input.find('\n'), input.size());
  const std::vector<absl::string_view> fields =
      absl::StrSplit(input.substr(0, newline), absl::MaxSplits('|', 2));
  options.input_nodes = SplitNonEmpty(fields[0], ',');
  if (fields.size() > 1) options.input_shapes = SplitNonEmpty(fields[1], ';');
  if (fields.size() > 2) options.output_nodes = SplitNonEmpty(fields[2], ',');
  input.remove_prefix(std::min(newline + 1, input.size()));
  auto graph = io::ImportTfGraphDef(input, options);
  CheckErrorContract(graph.status(),
                     {absl::StatusCode::kInvalidArgument, absl::StatusCode::kUnimplemented});
  if (graph.ok()) {
    FP_FUZZ_CHECK(!graph->outputs.empty(), "an imported graph without outputs");
    FP_FUZZ_CHECK(graph->outputs.size() <= options.output_nodes.size(),
                  "more graph outputs than output nodes asked for");
  }
  return graph.status();
}

}  // namespace fixpoint::fuzz
