// Measures fp32 inference throughput of one ONNX model at one batch size and
// prints one JSON line: {"engine":"fixpoint","model":...,"batch":N,
// "images_per_s":X,"ms_per_batch":Y,"kernels":{...}}. Inputs are
// deterministic pseudo-random values in [0,1).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/cpu/threading.h"
#include "core/runtime/session.h"

ABSL_FLAG(std::string, model, "models/seed_cnn.onnx", "ONNX model");
ABSL_FLAG(int, batch, 64, "batch size");
ABSL_FLAG(double, seconds, 3.0, "measuring time after warm-up");
ABSL_FLAG(int, threads, 2, "intra-op threads");
ABSL_FLAG(bool, reference, false, "reference kernels only");

// CPU time of every thread of this process. With one intra-op thread it
// measures the engine's work even when other processes share the cores.
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int main(int argc, char** argv) {
  fixpoint::runtime::cpu::ReexecWithBoundedOpenMpSpin(argv);
  absl::ParseCommandLine(argc, argv);
  using namespace fixpoint;
  auto graph = io::ImportOnnxFile(absl::GetFlag(FLAGS_model));
  if (!graph.ok()) {
    std::cerr << graph.status() << "\n";
    return 1;
  }
  runtime::SessionOptions options;
  options.intra_op_threads = absl::GetFlag(FLAGS_threads);
  options.use_onednn = !absl::GetFlag(FLAGS_reference);
  auto session = runtime::Session::Create(std::move(*graph), options);
  if (!session.ok()) {
    std::cerr << session.status() << "\n";
    return 1;
  }
  const int batch = absl::GetFlag(FLAGS_batch);
  std::vector<ir::Tensor> inputs;
  std::vector<ir::TensorView> views;
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  for (const ir::ValueInfo& in : (*session)->graph().inputs) {
    ir::Shape shape = in.shape;
    for (int d = 0; d < shape.rank(); ++d) {
      if (shape[d] == ir::kDynamicDim) shape[d] = batch;
    }
    ir::Tensor t(in.dtype, shape);
    for (int64_t i = 0; i < t.NumElements(); ++i) t.data<float>()[i] = dist(rng);
    views.push_back(t.view());
    inputs.push_back(std::move(t));
  }
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < 3; ++i) {  // warm-up: binds kernels, touches memory
    auto r = (*session)->Run(views);
    if (!r.ok()) {
      std::cerr << r.status() << "\n";
      return 1;
    }
  }
  const auto start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  const double budget = absl::GetFlag(FLAGS_seconds);
  int64_t runs = 0;
  double elapsed = 0;
  do {
    auto r = (*session)->Run(views);
    if (!r.ok()) return 1;
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < budget);
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  std::map<std::string, int> impls;
  std::vector<ir::Shape> shapes;
  for (const auto& v : views) shapes.push_back(v.shape);
  if (auto binding = (*session)->DescribeBinding(shapes); binding.ok()) {
    for (const auto& b : *binding) ++impls[b.op_type + ":" + b.impl];
  }
  std::string kernels;
  for (const auto& [k, n] : impls) absl::StrAppend(&kernels, kernels.empty() ? "" : ",", "\"", k, "\":", n);
  std::printf("{\"engine\":\"fixpoint\",\"model\":\"%s\",\"batch\":%d,\"images_per_s\":%.1f,"
              "\"ms_per_batch\":%.3f,\"cpu_ms_per_batch\":%.3f,\"kernels\":{%s}}\n",
              absl::GetFlag(FLAGS_model).c_str(), batch, runs * batch / elapsed,
              1000.0 * elapsed / runs, 1000.0 * cpu_seconds / runs, kernels.c_str());
  return 0;
}
