// fixpoint infer: one KServe v2 ModelInfer call on a local image file (CSV
// row, .npy or PNG), printing the top classes of each image.
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/remote_commands.h"
#include "client/remote_common.h"
#include "client/remote_connection.h"
#include "client/remote_format.h"
#include "client/remote_input.h"

ABSL_FLAG(std::string, input, "",
          "infer: a CSV row file (optional label, then pixels), an .npy array (one image or a "
          "batch) or a PNG (8-bit gray or RGB)");
ABSL_FLAG(int64_t, row, 0, "infer: the CSV data row to send (0 = the first)");
ABSL_FLAG(int, top_k, 5, "infer: classes printed per image");
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, model_version);
ABSL_DECLARE_FLAG(std::string, preprocess);
ABSL_DECLARE_FLAG(bool, json);

namespace fixpoint::client {
namespace {

constexpr char kInferUsage[] =
    "fixpoint infer --model NAME [--version V] --input FILE.csv|.npy|.png [--row N]\n"
    "           [--preprocess layout=nchw,scale=1/255,shape=1x28x28] [--top_k 5] [--json]";

// The shape to send: the model's declared input shape with its batch
// dimension set to the batch (so a model taking [N,784] gets [N,784]), when
// that accounts for every value; otherwise the preprocessed tensor's shape.
std::vector<int64_t> RequestShape(const ir::Tensor& images,
                                  const inference::ModelMetadataResponse& meta) {
  const std::vector<int64_t>& ours = images.shape().dims();
  if (meta.inputs_size() == 0 || meta.inputs(0).shape_size() == 0) return ours;
  std::vector<int64_t> shape(meta.inputs(0).shape().begin(), meta.inputs(0).shape().end());
  shape[0] = ours[0];
  int64_t n = 1;
  for (int64_t d : shape) n = d > 0 ? n * d : -1;
  return n == images.NumElements() ? shape : ours;
}

// FP32 output values: raw_output_contents[index], else the typed contents.
std::vector<float> OutputValues(const inference::ModelInferResponse& reply, int index) {
  std::vector<float> values;
  if (index < reply.raw_output_contents_size()) {
    const std::string& raw = reply.raw_output_contents(index);
    values.resize(raw.size() / sizeof(float));
    std::memcpy(values.data(), raw.data(), values.size() * sizeof(float));
  } else {
    const auto& typed = reply.outputs(index).contents().fp32_contents();
    values.assign(typed.begin(), typed.end());
  }
  return values;
}

// Reads and preprocesses --input; an exit code (after a message) on error, else -1.
int ReadInput(InferInput* input) {
  io::PreprocessSpec spec;
  if (!absl::GetFlag(FLAGS_preprocess).empty()) {
    auto parsed = io::PreprocessSpec::Parse(absl::GetFlag(FLAGS_preprocess));
    if (!parsed.ok()) return UsageError(parsed.status().message(), kInferUsage);
    spec = *parsed;
  }
  auto read = ReadInferInput(absl::GetFlag(FLAGS_input), absl::GetFlag(FLAGS_row), spec);
  if (!read.ok()) {
    std::cerr << "fixpoint: reading --input: " << read.status().message() << "\n";
    return kExitUsage;
  }
  *input = *std::move(read);
  return -1;
}

// ModelMetadata (for the input's name and shape), then ModelInfer with the
// images as raw FP32. An exit code (after a message) on error, else -1.
int Infer(Connection& c, const std::string& model, const std::string& version,
          const InferInput& input, inference::ModelInferResponse* reply) {
  inference::ModelMetadataRequest meta_request;
  meta_request.set_name(model);
  meta_request.set_version(version);
  inference::ModelMetadataResponse meta;
  grpc::ClientContext meta_context;
  c.Prepare(&meta_context);
  grpc::Status status = c.inference().ModelMetadata(&meta_context, meta_request, &meta);
  if (!status.ok()) return c.Fail(status, absl::StrCat("model metadata of ", model));
  if (meta.inputs_size() != 1 || meta.inputs(0).datatype() != "FP32") {
    std::cerr << "fixpoint: infer sends one FP32 input; " << model << " takes "
              << meta.inputs_size() << " input(s)"
              << (meta.inputs_size() > 0 ? " of " + meta.inputs(0).datatype() : "") << "\n";
    return kExitUsage;
  }
  inference::ModelInferRequest request;
  request.set_model_name(model);
  request.set_model_version(version);
  inference::ModelInferRequest::InferInputTensor* tensor = request.add_inputs();
  tensor->set_name(meta.inputs(0).name());
  tensor->set_datatype("FP32");
  for (int64_t d : RequestShape(input.images, meta)) tensor->add_shape(d);
  request.add_raw_input_contents(static_cast<const char*>(input.images.raw()),
                                 input.images.ByteSize());
  grpc::ClientContext context;
  c.Prepare(&context);
  status = c.inference().ModelInfer(&context, request, reply);
  if (!status.ok()) return c.Fail(status, absl::StrCat("inference on ", model));
  if (reply->outputs_size() == 0 || reply->outputs(0).datatype() != "FP32") {
    std::cerr << "fixpoint: expected an FP32 output from " << model << "\n";
    return kExitServerError;
  }
  return -1;
}

// The top classes of each image: a table per image, or one JSON object.
void PrintTopClasses(const InferInput& input, const inference::ModelInferResponse& reply,
                     bool json) {
  const int64_t images = input.images.shape()[0];
  const std::vector<float> values = OutputValues(reply, 0);
  const int64_t classes = images > 0 ? static_cast<int64_t>(values.size()) / images : 0;
  nlohmann::ordered_json out;
  out["model"] = reply.model_name();
  out["version"] = reply.model_version();
  out["output"] = reply.outputs(0).name();
  out["input"] = input.description;
  out["images"] = nlohmann::ordered_json::array();
  if (!json) {
    std::cout << "model   " << reply.model_name()
              << (reply.model_version().empty() ? "" : " v" + reply.model_version()) << "\ninput   "
              << input.description << "\noutput  " << reply.outputs(0).name() << " ["
              << absl::StrJoin(reply.outputs(0).shape(), ",") << "]\n";
  }
  for (int64_t i = 0; i < images; ++i) {
    const auto top = TopK(std::span<const float>(values).subspan(i * classes, classes),
                          absl::GetFlag(FLAGS_top_k));
    nlohmann::ordered_json item;
    item["index"] = i;
    if (!input.labels.empty()) item["label"] = input.labels[i];
    Table table({"RANK", "CLASS", "SCORE"},
                {Table::Align::kRight, Table::Align::kRight, Table::Align::kRight});
    for (size_t r = 0; r < top.size(); ++r) {
      item["top"].push_back({{"class", top[r].first}, {"score", top[r].second}});
      table.AddRow({absl::StrCat(r + 1), absl::StrCat(top[r].first),
                    absl::StrFormat("%.6g", top[r].second)});
    }
    out["images"].push_back(item);
    if (!json) {
      std::cout << "\nimage " << i
                << (input.labels.empty() ? "" : absl::StrCat(" (label ", input.labels[i], ")"))
                << "\n"
                << table.Render();
    }
  }
  if (json) std::cout << out.dump() << "\n";
}

}  // namespace

int RunInferCommand(const std::vector<std::string>&) {
  const std::string model = absl::GetFlag(FLAGS_model);
  if (model.empty() || absl::GetFlag(FLAGS_input).empty()) {
    return UsageError("infer needs --model and --input", kInferUsage);
  }
  InferInput input;
  if (int code = ReadInput(&input); code >= 0) return code;
  auto connection = Connection::FromFlags();
  if (!connection.ok()) return UsageError(connection.status().message(), kInferUsage);
  Connection& c = **connection;
  int64_t version = 0;
  grpc::Status status = ResolveVersion(c, model, absl::GetFlag(FLAGS_model_version), &version);
  if (!status.ok()) return c.Fail(status, "resolving --version");
  inference::ModelInferResponse reply;
  if (int code = Infer(c, model, version > 0 ? absl::StrCat(version) : "", input, &reply);
      code >= 0) {
    return code;
  }
  PrintTopClasses(input, reply, absl::GetFlag(FLAGS_json));
  return kExitOk;
}

}  // namespace fixpoint::client
