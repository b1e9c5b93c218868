#include "tests/conformance/conformance_case.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_importer.h"
#include "core/io/onnx_tensor.h"
#include "core/runtime/session.h"

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
  if (s.code() == absl::StatusCode::kUnimplemented) {
    return {Outcome::kSkipped, absl::StrCat(where, ": ", s.message())};
  }
  return Fail(absl::StrCat(where, ": ", s.ToString()));
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

CaseResult RunDataSet(const fs::path& model, const fs::path& data, bool use_onednn) {
  std::vector<ir::Tensor> inputs, expected;
  std::vector<std::string> input_names;
  for (const fs::path& f : SortedFiles(data, "input_")) {
    auto t = io::ReadOnnxTensorFile(f.string());
    if (!t.ok()) return FromStatus(t.status(), f.filename().string());
    inputs.push_back(std::move(*t));
  }
  for (const fs::path& f : SortedFiles(data, "output_")) {
    auto t = io::ReadOnnxTensorFile(f.string());
    if (!t.ok()) return FromStatus(t.status(), f.filename().string());
    expected.push_back(std::move(*t));
  }
  // First import: learn the runtime input names (inputs bind by position).
  auto probe = io::ImportOnnxFile(model.string());
  if (!probe.ok()) return FromStatus(probe.status(), "import");
  if (probe->inputs.size() != inputs.size()) {
    return Fail(absl::StrCat("model has ", probe->inputs.size(), " inputs, data set has ",
                             inputs.size()));
  }
  // i64 inputs (shapes, axes, indices) are frozen to constants, as a caller
  // that knows them would; everything else stays a runtime input.
  io::OnnxImportOptions options;
  std::vector<ir::TensorView> views;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == ir::DType::kI64) {
      options.constant_inputs[probe->inputs[i].name] = inputs[i];
    } else {
      views.push_back(inputs[i].view());
    }
  }
  auto graph = options.constant_inputs.empty() ? std::move(probe)
                                               : io::ImportOnnxFile(model.string(), options);
  if (!graph.ok()) return FromStatus(graph.status(), "import");
  runtime::SessionOptions session_options;
  session_options.use_onednn = use_onednn;
  session_options.intra_op_threads = 1;
  auto session = runtime::Session::Create(std::move(*graph), session_options);
  if (!session.ok()) return FromStatus(session.status(), "compile");
  auto outputs = (*session)->Run(views);
  if (!outputs.ok()) return FromStatus(outputs.status(), "run");
  if (outputs->size() < expected.size()) {
    return Fail(absl::StrCat("produced ", outputs->size(), " outputs, expected ", expected.size()));
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string diff = Compare(expected[i], (*outputs)[i], absl::StrCat("output ", i));
    if (!diff.empty()) return Fail(diff);
  }
  return {Outcome::kPassed, ""};
}

}  // namespace

CaseResult RunCase(const std::string& dir, bool use_onednn) {
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
  for (const fs::path& data : data_sets) {
    CaseResult r = RunDataSet(model, data, use_onednn);
    if (r.outcome != Outcome::kPassed) {
      r.detail = absl::StrCat(data.filename().string(), ": ", r.detail);
      return r;
    }
  }
  return {Outcome::kPassed, ""};
}

}  // namespace fixpoint::conformance
