// Helpers shared by the server tests: a tiny float classifier graph, its
// stored-version description, and the metrics registry as text.
#ifndef FIXPOINT_TESTS_UNIT_SERVER_SERVER_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_SERVER_SERVER_TEST_UTIL_H_

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/ir/graph.h"
#include "core/store/artifact_store.h"
#include "server/metrics/metrics.h"

namespace fixpoint::server::testing {

// x[?,4] -> Gemm(W[4,3], b[3]) -> Relu -> Softmax(axis=1) -> probs[?,3]
inline ir::Graph SmallClassifier() {
  ir::Graph g;
  g.name = "small";
  g.inputs.push_back({"x", ir::DType::kF32, ir::Shape{ir::kDynamicDim, 4}});
  g.outputs.push_back({"probs", ir::DType::kF32, ir::Shape{ir::kDynamicDim, 3}});
  std::vector<float> w = {0.5f, -1.f, 0.25f, 1.f, 0.5f, -0.5f, -0.25f, 0.75f, 1.f, 0.f, 1.f, -1.f};
  g.initializers["W"] = ir::Tensor::FromF32(ir::Shape{4, 3}, w);
  g.initializers["b"] = ir::Tensor::FromF32(ir::Shape{3}, std::vector<float>{0.1f, -0.2f, 0.3f});
  g.nodes.push_back(ir::Node{"gemm", "Gemm", {"x", "W", "b"}, {"h"}, {}});
  g.nodes.push_back(ir::Node{"relu", "Relu", {"h"}, {"r"}, {}});
  g.nodes.push_back(ir::Node{"softmax", "Softmax", {"r"}, {"probs"}, {{"axis", int64_t{1}}}});
  return g;
}

// `batch` rows of 4 deterministic values.
inline ir::Tensor SmallInput(int64_t batch, float seed) {
  std::vector<float> x(static_cast<size_t>(batch) * 4);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(seed + 0.7f * static_cast<float>(i)) * 2;
  return ir::Tensor::FromF32(ir::Shape{batch, 4}, x);
}

inline store::VersionInfo SmallVersionInfo(const std::string& model, int64_t version) {
  store::VersionInfo info;
  info.model = model;
  info.version = version;
  info.size_bytes = 1234;
  return info;
}

// A fresh directory under the test's temp dir; the caller removes it.
inline std::string MakeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "fp_server_XXXXXX").string();
  const char* dir = mkdtemp(pattern.data());
  return dir == nullptr ? "" : std::string(dir);
}

// The registry in the Prometheus text format.
inline std::string MetricsText(const Metrics& metrics) {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(metrics.registry()->Collect());
}

inline std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The value of the series `series` (e.g. `m_count{a="b"}`), or -1.
inline double MetricValue(const Metrics& metrics, const std::string& series) {
  for (const std::string& line : Lines(MetricsText(metrics))) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

}  // namespace fixpoint::server::testing

#endif  // FIXPOINT_TESTS_UNIT_SERVER_SERVER_TEST_UTIL_H_
