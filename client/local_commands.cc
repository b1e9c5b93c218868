#include "client/local_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "core/eval/classifier_eval.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/io/tf_importer.h"
#include "absl/strings/str_split.h"
#include "core/ir/dump.h"
#include "core/runtime/session.h"

ABSL_FLAG(std::string, model, "",
          "model file: ONNX (.onnx) or TensorFlow frozen GraphDef (.pb, with --input_nodes, "
          "--input_shapes and --output_nodes as in vai_q_tensorflow)");
ABSL_FLAG(std::string, input_nodes, "",
          "comma-separated input node names (TF: the graph's inputs; quantize: the start of "
          "the quantized region)");
ABSL_FLAG(std::string, input_shapes, "",
          "TF: one shape per input node, separated by ':', e.g. ?,28,28,1 ('?' = dynamic batch)");
ABSL_FLAG(std::string, output_nodes, "",
          "comma-separated output node names (TF: the graph's outputs; quantize: the end of "
          "the quantized region)");
ABSL_FLAG(std::string, dataset, "", "dataset file (IDX, CSV or .npy)");
ABSL_FLAG(std::string, labels, "", "labels file for IDX/.npy images");
ABSL_FLAG(std::string, preprocess, "",
          "preprocessing spec, e.g. layout=nchw,scale=0.0039215686,mean=0,std=1,shape=1x28x28 "
          "(default: pixels/255, 1x28x28, NCHW)");
ABSL_FLAG(int, batch, 64, "batch size");
ABSL_FLAG(int, threads, 0, "threads to compute with: kernels, calibration workers (0 = all cores)");
ABSL_FLAG(int64_t, limit, 0,
          "eval: evaluate at most this many items (0 = all); jobs list: at most this many jobs "
          "(0 = the server's default, 100)");
ABSL_FLAG(bool, reference, false, "use the reference kernels only (no oneDNN)");
ABSL_FLAG(bool, json, false, "print JSON instead of text");
ABSL_FLAG(std::string, save_top1, "",
          "eval: write each image's predicted class, one per line, to this file");

namespace fixpoint::client {
namespace {

int Fail(const absl::Status& status, const char* what) {
  std::cerr << "fixpoint: " << what << ": " << status << "\n";
  return 1;
}

}  // namespace

bool IsTfGraphDef(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".pb") == 0;
}

absl::StatusOr<ir::Graph> LoadModelGraph(const std::string& path) {
  if (!IsTfGraphDef(path)) return io::ImportOnnxFile(path);
  io::TfImportOptions options;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_input_nodes), ',', absl::SkipEmpty())) {
    options.input_nodes.emplace_back(s);
  }
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_input_shapes), ':', absl::SkipEmpty())) {
    options.input_shapes.emplace_back(s);
  }
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_output_nodes), ',', absl::SkipEmpty())) {
    options.output_nodes.emplace_back(s);
  }
  if (options.output_nodes.empty()) {
    return absl::InvalidArgumentError("a TensorFlow GraphDef needs --output_nodes");
  }
  return io::ImportTfGraphDefFile(path, options);
}

namespace {

absl::StatusOr<std::unique_ptr<runtime::Session>> LoadModel() {
  auto graph = LoadModelGraph(absl::GetFlag(FLAGS_model));
  if (!graph.ok()) return graph.status();
  runtime::SessionOptions options;
  options.intra_op_threads = absl::GetFlag(FLAGS_threads);
  options.use_onednn = !absl::GetFlag(FLAGS_reference);
  return runtime::Session::Create(std::move(*graph), options);
}

}  // namespace

int RunEvalCommand(const std::vector<std::string>&) {
  if (absl::GetFlag(FLAGS_model).empty() || absl::GetFlag(FLAGS_dataset).empty()) {
    std::cerr << "usage: fixpoint eval --model M.onnx --dataset D [--labels L] [--batch N]\n";
    return 2;
  }
  io::PreprocessSpec spec;
  if (!absl::GetFlag(FLAGS_preprocess).empty()) {
    auto parsed = io::PreprocessSpec::Parse(absl::GetFlag(FLAGS_preprocess));
    if (!parsed.ok()) return Fail(parsed.status(), "--preprocess");
    spec = *parsed;
  }
  auto session = LoadModel();
  if (!session.ok()) return Fail(session.status(), "loading model");
  io::LoadOptions load;
  load.labels_path = absl::GetFlag(FLAGS_labels);
  load.max_items = absl::GetFlag(FLAGS_limit);
  auto dataset = io::LoadDataset(absl::GetFlag(FLAGS_dataset), spec, load);
  if (!dataset.ok()) return Fail(dataset.status(), "loading dataset");
  eval::EvalOptions options;
  options.batch = absl::GetFlag(FLAGS_batch);
  options.keep_outputs = !absl::GetFlag(FLAGS_save_top1).empty();
  const bool tty = isatty(STDERR_FILENO) && !absl::GetFlag(FLAGS_json);
  if (tty) {
    options.progress = [](int64_t done, int64_t total) {
      std::fprintf(stderr, "\r  evaluating %lld/%lld", static_cast<long long>(done),
                   static_cast<long long>(total));
    };
  }
  auto result = eval::EvaluateClassifier(**session, *dataset, options);
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!result.ok()) return Fail(result.status(), "evaluating");
  if (options.keep_outputs) {
    std::ofstream out(absl::GetFlag(FLAGS_save_top1));
    for (int64_t i = 0; i < result->images; ++i) {
      const float* row = result->outputs.data() + i * result->classes;
      out << std::max_element(row, row + result->classes) - row << "\n";
    }
    if (!out) return Fail(absl::InternalError("write failed"), "--save_top1");
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << absl::StrFormat(
        "{\"model\":\"%s\",\"dataset\":\"%s\",\"images\":%d,\"top1\":%.6f,\"top5\":%.6f,"
        "\"batch\":%d,\"images_per_s\":%.1f}\n",
        absl::GetFlag(FLAGS_model), dataset->source_path, result->images, result->top1(),
        result->top5(), options.batch, result->images_per_second());
  } else {
    std::cout << absl::StrFormat(
        "model    %s (fp32, %s kernels)\ndataset  %s (%d images)\ntop-1    %.2f %%\n"
        "top-5    %.2f %%\nspeed    %.0f images/s at batch %d\n",
        absl::GetFlag(FLAGS_model), absl::GetFlag(FLAGS_reference) ? "reference" : "oneDNN",
        dataset->source_path, result->images, 100 * result->top1(), 100 * result->top5(),
        result->images_per_second(), options.batch);
  }
  return 0;
}

int RunDumpCommand(const std::vector<std::string>&) {
  if (absl::GetFlag(FLAGS_model).empty()) {
    std::cerr << "usage: fixpoint dump --model M.onnx [--batch N]\n";
    return 2;
  }
  auto session = LoadModel();
  if (!session.ok()) return Fail(session.status(), "loading model");
  const ir::Graph& graph = (*session)->graph();
  std::cout << ir::DumpGraph(graph);
  std::vector<ir::Shape> shapes;
  for (const ir::ValueInfo& in : graph.inputs) {
    ir::Shape s = in.shape;
    for (int d = 0; d < s.rank(); ++d) {
      if (s[d] == ir::kDynamicDim) s[d] = absl::GetFlag(FLAGS_batch);
    }
    shapes.push_back(s);
  }
  auto binding = (*session)->DescribeBinding(shapes);
  if (!binding.ok()) return Fail(binding.status(), "binding kernels");
  std::cout << "\nkernels at batch " << absl::GetFlag(FLAGS_batch) << ":\n";
  for (const auto& b : *binding) {
    std::cout << absl::StrFormat("  %-12s %-24s %s\n", b.op_type, b.node, b.impl);
  }
  return 0;
}

}  // namespace fixpoint::client
