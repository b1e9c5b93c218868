// fp_grpc_load: a bounded closed-loop load generator for fixpointd's KServe
// v2 ModelInfer. For each model version and each concurrency level it runs
// that many clients, each sending one-image requests back to back for a
// fixed time, and reports images/s and p50/p99 latency — and, with --store,
// the in-process engine's throughput on the same model.onnx at batch
// --inproc_batch, so the table shows what gRPC plus batching keeps.
//   fp_grpc_load --server 127.0.0.1:8001 --model seed_cnn --versions 1,2
//       --concurrency 1,8,64 --seconds 5 --store fixpoint-store
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/session.h"
#include "fixpoint/v1/models.grpc.pb.h"
#include "inference/grpc_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:8001", "fixpointd address");
ABSL_FLAG(std::string, model, "seed_cnn", "model name");
ABSL_FLAG(std::string, versions, "1", "comma-separated versions to load-test");
ABSL_FLAG(std::string, concurrency, "1,8,64", "comma-separated client counts");
ABSL_FLAG(double, seconds, 5, "measured seconds per point (after 0.5 s warm-up)");
ABSL_FLAG(std::string, store, "", "fixpointd's store directory: also measure in-process");
ABSL_FLAG(int, inproc_batch, 64, "in-process batch size");
ABSL_FLAG(std::string, images, "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
          "images sent (first 1024; random if unreadable)");
ABSL_FLAG(bool, json, false, "one JSON object per line instead of a table");

namespace {

using Clock = std::chrono::steady_clock;

struct Point {
  double images_per_s = 0, p50_ms = 0, p99_ms = 0;
  int64_t errors = 0;
  std::string first_error;
};

std::vector<float> LoadImages() {
  fixpoint::io::LoadOptions load;
  load.max_items = 1024;
  auto d = fixpoint::io::LoadDataset(absl::GetFlag(FLAGS_images), {}, load);
  if (d.ok()) {
    const float* p = d->images.data<float>();
    return std::vector<float>(p, p + d->images.NumElements());
  }
  std::vector<float> v(1024 * 784);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 2654435761u) % 256) / 255.0f;
  return v;
}

Point RunPoint(const std::shared_ptr<grpc::Channel>& channel, const std::string& model,
               const std::string& version, const std::string& input, int clients,
               const std::vector<float>& images) {
  const int64_t n_images = static_cast<int64_t>(images.size() / 784);
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  std::string first_error;
  std::atomic<bool> have_error{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = inference::GRPCInferenceService::NewStub(channel);
      int64_t i = c;
      while (!stop.load()) {
        inference::ModelInferRequest r;
        r.set_model_name(model);
        r.set_model_version(version);
        auto* in = r.add_inputs();
        in->set_name(input);
        in->set_datatype("FP32");
        for (int64_t d : {1, 1, 28, 28}) in->add_shape(d);
        r.add_raw_input_contents(std::string(
            reinterpret_cast<const char*>(images.data() + (i++ % n_images) * 784), 784 * 4));
        inference::ModelInferResponse out;
        grpc::ClientContext context;
        const auto t0 = Clock::now();
        grpc::Status s = stub->ModelInfer(&context, r, &out);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!measuring.load()) continue;
        if (s.ok()) {
          latencies[c].push_back(ms);
        } else {
          ++errors;
          if (!have_error.exchange(true)) first_error = s.error_message();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  measuring = true;
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
  measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  for (std::thread& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Point p;
  p.errors = errors.load();
  p.first_error = first_error;
  if (!all.empty()) {
    p.images_per_s = double(all.size()) / elapsed;
    p.p50_ms = all[all.size() / 2];
    p.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return p;
}

// Images/s of Session::Run on the version's model.onnx at a fixed batch.
double InProcess(const std::string& path, const std::vector<float>& images) {
  auto graph = fixpoint::io::ImportOnnxFile(path);
  if (!graph.ok()) return 0;
  auto session = fixpoint::runtime::Session::Create(*std::move(graph), {});
  if (!session.ok()) return 0;
  const int64_t batch = absl::GetFlag(FLAGS_inproc_batch);
  std::vector<float> input(images.begin(), images.begin() + batch * 784);
  fixpoint::ir::TensorView view{fixpoint::ir::DType::kF32,
                                fixpoint::ir::Shape({batch, 1, 28, 28}), input.data()};
  for (int i = 0; i < 5; ++i) (void)(*session)->Run({&view, 1});
  int64_t runs = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < absl::GetFlag(FLAGS_seconds)) {
    (void)(*session)->Run({&view, 1});
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return double(runs * batch) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  grpc::ChannelArguments args;
  // Separate connections for the clients would measure the kernel's TCP
  // stack more than the server; one channel multiplexes like a real client.
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                           grpc::InsecureChannelCredentials(), args);
  const std::string model = absl::GetFlag(FLAGS_model);
  const std::vector<float> images = LoadImages();
  auto infer = inference::GRPCInferenceService::NewStub(channel);
  if (!absl::GetFlag(FLAGS_json)) {
    std::cout << absl::StrFormat("%-10s %-4s %-9s %5s %10s %8s %8s %7s %12s %6s\n", "model", "ver",
                                 "precision", "conc", "images/s", "p50 ms", "p99 ms", "errors",
                                 "in-process/s", "ratio");
  }
  for (absl::string_view version : absl::StrSplit(absl::GetFlag(FLAGS_versions), ',')) {
    inference::ModelMetadataRequest mr;
    mr.set_name(model);
    mr.set_version(std::string(version));
    inference::ModelMetadataResponse meta;
    grpc::ClientContext mc;
    grpc::Status ms = infer->ModelMetadata(&mc, mr, &meta);
    if (!ms.ok() || meta.inputs_size() == 0) {
      std::cerr << "fp_grpc_load: " << model << " v" << version << ": " << ms.error_message() << "\n";
      return 1;
    }
    std::string precision = "?";
    double inproc = 0;
    if (!absl::GetFlag(FLAGS_store).empty()) {
      const std::string dir = absl::GetFlag(FLAGS_store) + "/models/" + model + "/" +
                              std::string(version);
      std::ifstream manifest(dir + "/manifest.json");
      nlohmann::json m = nlohmann::json::parse(manifest, nullptr, false);
      precision = (!m.is_discarded() && m.value("scheme", "") != "fp32" &&
                   m.value("method", "") != "") ? "int8" : "fp32";
      inproc = InProcess(dir + "/model.onnx", images);
    }
    for (absl::string_view c : absl::StrSplit(absl::GetFlag(FLAGS_concurrency), ',')) {
      const int clients = std::stoi(std::string(c));
      const Point p = RunPoint(channel, model, std::string(version), meta.inputs(0).name(),
                               clients, images);
      const double ratio = inproc > 0 ? p.images_per_s / inproc : 0;
      if (absl::GetFlag(FLAGS_json)) {
        nlohmann::ordered_json j;
        j["model"] = model;
        j["version"] = std::string(version);
        j["precision"] = precision;
        j["concurrency"] = clients;
        j["images_per_s"] = p.images_per_s;
        j["p50_ms"] = p.p50_ms;
        j["p99_ms"] = p.p99_ms;
        j["errors"] = p.errors;
        j["in_process_images_per_s"] = inproc;
        j["ratio_to_in_process"] = ratio;
        std::cout << j.dump() << std::endl;
      } else {
        std::cout << absl::StrFormat("%-10s %-4s %-9s %5d %10.0f %8.2f %8.2f %7d %12.0f %6.2f\n",
                                     model, std::string(version), precision, clients,
                                     p.images_per_s, p.p50_ms, p.p99_ms, p.errors, inproc, ratio);
      }
      if (p.errors > 0) std::cerr << "  first error: " << p.first_error << "\n";
    }
  }
  return 0;
}
