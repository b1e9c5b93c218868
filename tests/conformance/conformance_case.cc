#include "tests/conformance/conformance_case.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "core/io/onnx_exporter.h"
#include "core/io/onnx_importer.h"
#include "core/io/onnx_tensor.h"
#include "core/runtime/session.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace fixpoint::conformance {
namespace fs = std::filesystem;
namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

std::vector<fs::path> SortedFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) files.push_back(e.path());
  }
  // input_10.pb sorts after input_9.pb.
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) {
      return std::atoi(p.stem().string().substr(prefix.size()).c_str());
    };
    return num(a) < num(b);
  });
  return files;
}

CaseResult Fail(std::string detail) { return {Outcome::kFailed, std::move(detail)}; }

CaseResult FromStatus(const absl::Status& s, const std::string& where) {
  const std::string prefix = where.empty() ? "" : absl::StrCat(where, ": ");
  if (s.code() == absl::StatusCode::kUnimplemented) {
    return {Outcome::kSkipped, absl::StrCat(prefix, s.message())};
  }
  return Fail(absl::StrCat(prefix, s.ToString()));
}

// Empty when equal within tolerance, else a description of the first mismatch.
std::string Compare(const ir::Tensor& want, const ir::Tensor& got, const std::string& name) {
  if (want.dtype() != got.dtype()) {
    return absl::StrCat(name, ": dtype ", ir::DTypeName(got.dtype()), ", expected ",
                        ir::DTypeName(want.dtype()));
  }
  if (want.shape() != got.shape()) {
    return absl::StrCat(name, ": shape ", got.shape().ToString(), ", expected ",
                        want.shape().ToString());
  }
  const bool exact = want.dtype() != ir::DType::kF32 && want.dtype() != ir::DType::kF16;
  for (int64_t i = 0; i < want.NumElements(); ++i) {
    const double w = want.GetAsDouble(i), g = got.GetAsDouble(i);
    if (std::isnan(w) && std::isnan(g)) continue;
    if (w == g) continue;
    if (!exact && std::fabs(g - w) <= kAtol + kRtol * std::fabs(w)) continue;
    return absl::StrCat(name, "[", i, "]: got ", g, ", expected ", w);
  }
  return "";
}

// The name of the graph input a "must be a constant" refusal names, or "".
std::string InputNeededAsConstant(const absl::Status& s) {
  const std::string msg(s.message());
  const size_t end = msg.find("') must be a constant");
  if (s.code() != absl::StatusCode::kUnimplemented || end == std::string::npos) return "";
  const size_t begin = msg.rfind("('", end);
  return begin == std::string::npos ? "" : msg.substr(begin + 2, end - begin - 2);
}

// Imports the model; i64 inputs (shapes, axes, indices) and inputs the
// importer needs as constants (Clip bounds, Resize scales, ...) are frozen
// to their test values, as a caller that knows them would do. Everything
// else stays a runtime input.
absl::StatusOr<ir::Graph> ImportForCase(const fs::path& model,
                                        const std::map<std::string, ir::Tensor>& inputs) {
  io::OnnxImportOptions options;
  for (const auto& [name, t] : inputs) {
    if (t.dtype() == ir::DType::kI64) options.constant_inputs[name] = t;
  }
  for (int attempt = 0;; ++attempt) {
    auto graph = io::ImportOnnxFile(model.string(), options);
    if (graph.ok() || attempt == 8) return graph;
    const std::string name = InputNeededAsConstant(graph.status());
    auto it = inputs.find(name);
    if (it == inputs.end() || options.constant_inputs.count(name)) return graph;
    options.constant_inputs[name] = it->second;
  }
}

// libonnx's checker and strict (type-checking) shape inference; "" if both pass.
std::string OnnxCheck(const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) return "does not parse";
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1, false));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

absl::StatusOr<std::vector<ir::Tensor>> RunGraph(ir::Graph graph,
                                                 const std::map<std::string, ir::Tensor>& inputs,
                                                 bool use_onednn,
                                                 ir::Graph* optimized = nullptr) {
  std::vector<ir::TensorView> views;
  for (const ir::ValueInfo& in : graph.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("no test data for input '", in.name, "'"));
    }
    views.push_back(it->second.view());
  }
  runtime::SessionOptions session_options;
  session_options.use_onednn = use_onednn;
  session_options.intra_op_threads = 1;
  auto session = runtime::Session::Create(std::move(graph), session_options);
  if (!session.ok()) return WithContext(session.status(), "compile");
  if (optimized != nullptr) *optimized = (*session)->graph();
  auto outputs = (*session)->Run(views);
  if (!outputs.ok()) return WithContext(outputs.status(), "run");
  return outputs;
}

// Export -> check -> import -> run, compared with the direct run's outputs.
CaseResult RunRoundTrip(const ir::Graph& graph, const std::map<std::string, ir::Tensor>& inputs,
                        const std::vector<ir::Tensor>& direct, bool use_onednn) {
  // At the model's own opset (13 at least): an opset-14 model may use what
  // opset 13 cannot say (Reshape allowzero, Add on uint8).
  io::OnnxExportOptions options;
  options.opset = std::clamp<int64_t>(graph.opset, 13, 17);
  auto bytes = io::ExportOnnx(graph, options);
  if (!bytes.ok()) return Fail(absl::StrCat("roundtrip export: ", bytes.status().ToString()));
  const std::string check = OnnxCheck(*bytes);
  if (!check.empty()) return Fail(absl::StrCat("roundtrip onnx checker: ", check));
  auto back = io::ImportOnnx(*bytes);
  if (!back.ok()) return Fail(absl::StrCat("roundtrip import: ", back.status().ToString()));
  auto outputs = RunGraph(*std::move(back), inputs, use_onednn);
  if (!outputs.ok()) return Fail(absl::StrCat("roundtrip ", outputs.status().ToString()));
  if (outputs->size() != direct.size()) {
    return Fail(absl::StrCat("roundtrip produced ", outputs->size(), " outputs, expected ",
                             direct.size()));
  }
  std::string inexact;
  for (size_t i = 0; i < direct.size(); ++i) {
    std::string diff = Compare(direct[i], (*outputs)[i], absl::StrCat("output ", i));
    if (!diff.empty()) return Fail(absl::StrCat("roundtrip ", diff));
    const bool same = direct[i].ByteSize() == (*outputs)[i].ByteSize() &&
                      std::memcmp(direct[i].raw(), (*outputs)[i].raw(), direct[i].ByteSize()) == 0;
    if (!same && inexact.empty()) inexact = absl::StrCat("inexact: output ", i, " within tolerance");
  }
  return {Outcome::kPassed, inexact};
}

CaseResult RunDataSet(const fs::path& model, const fs::path& data, bool use_onednn,
                      RoundTrip roundtrip) {
  // A model refused as unsupported is skipped before its data is read (data
  // of sequence/optional models is not TensorProto).
  auto probe = io::ImportOnnxFile(model.string());
  if (!probe.ok() && InputNeededAsConstant(probe.status()).empty()) {
    return FromStatus(probe.status(), "import");
  }
  std::map<std::string, ir::Tensor> inputs;
  std::vector<ir::Tensor> expected;
  int position = 0;
  for (const fs::path& f : SortedFiles(data, "input_")) {
    auto t = io::ReadOnnxTensorFile(f.string());
    if (!t.ok()) return FromStatus(t.status(), f.filename().string());
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto name = io::OnnxTensorName(bytes);
    if (!name.ok()) return FromStatus(name.status(), f.filename().string());
    // Unnamed test tensors bind by position among the model's inputs.
    std::string key = *name;
    if (key.empty() && probe.ok() && position < static_cast<int>(probe->inputs.size())) {
      key = probe->inputs[position].name;
    }
    ++position;
    inputs[key] = std::move(*t);
  }
  for (const fs::path& f : SortedFiles(data, "output_")) {
    auto t = io::ReadOnnxTensorFile(f.string());
    if (!t.ok()) return FromStatus(t.status(), f.filename().string());
    expected.push_back(std::move(*t));
  }
  auto graph = ImportForCase(model, inputs);
  if (!graph.ok()) return FromStatus(graph.status(), "import");
  ir::Graph to_export;
  if (roundtrip == RoundTrip::kImported) to_export = *graph;
  auto outputs = RunGraph(*std::move(graph), inputs, use_onednn,
                          roundtrip == RoundTrip::kOptimized ? &to_export : nullptr);
  if (!outputs.ok()) return FromStatus(outputs.status(), "");
  if (outputs->size() < expected.size()) {
    return Fail(absl::StrCat("produced ", outputs->size(), " outputs, expected ", expected.size()));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string diff = Compare(expected[i], (*outputs)[i], absl::StrCat("output ", i));
    if (!diff.empty()) return Fail(diff);
  }
  if (roundtrip == RoundTrip::kNone) return {Outcome::kPassed, ""};
  return RunRoundTrip(to_export, inputs, *outputs, use_onednn);
}

}  // namespace

CaseResult RunCase(const std::string& dir, bool use_onednn, RoundTrip roundtrip) {
  const fs::path model = fs::path(dir) / "model.onnx";
  if (!fs::exists(model)) return Fail("no model.onnx");
  std::vector<fs::path> data_sets;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      data_sets.push_back(e.path());
    }
  }
  std::sort(data_sets.begin(), data_sets.end());
  if (data_sets.empty()) return Fail("no test_data_set_*");
  std::string inexact;
  for (const fs::path& data : data_sets) {
    CaseResult r = RunDataSet(model, data, use_onednn, roundtrip);
    if (r.outcome != Outcome::kPassed) {
      r.detail = absl::StrCat(data.filename().string(), ": ", r.detail);
      return r;
    }
    if (!r.detail.empty() && inexact.empty()) {
      inexact = absl::StrCat("inexact: ", data.filename().string(), ": ", r.detail.substr(9));
    }
  }
  return {Outcome::kPassed, inexact};
}

}  // namespace fixpoint::conformance
