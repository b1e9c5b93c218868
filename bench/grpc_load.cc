// fp_grpc_load: a bounded closed-loop load generator for fixpointd's KServe
// v2 ModelInfer. For each model version, each request size (images per
// request) and each concurrency level it keeps that many requests in flight
// for a fixed time and reports images/s and p50/p99 latency per request —
// and, with --store, the in-process engine's throughput on the same
// model.onnx at batch --inproc_batch (measured again before each point, as
// the machine's load drifts), so the table shows what gRPC plus batching
// keeps. It first measures the floor of gRPC itself on this
// machine: ServerLive (no body, no model) at the same concurrencies.
//
// The default client is gRPC's callback API: N requests in flight cost no
// thread each, so the client takes less of the CPU it shares with the server
// (--client_api sync runs one blocking thread per request, for comparison).
// Every response is checked (shape [images, ...] and byte count); a wrong one
// counts as an error.
//   fp_grpc_load --server 127.0.0.1:8001 --model seed_cnn --versions 1,2
//       --concurrency 1,8,64 --images_per_request 1,16 --seconds 5 --store S
#include <grpcpp/grpcpp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <iterator>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/runtime/cpu/threading.h"
#include "core/runtime/session.h"
#include "inference/grpc_service.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:8001", "fixpointd address");
ABSL_FLAG(std::string, model, "seed_cnn", "model name");
ABSL_FLAG(std::string, versions, "1", "comma-separated versions to load-test");
ABSL_FLAG(std::string, concurrency, "1,8,64", "comma-separated requests in flight");
ABSL_FLAG(std::string, images_per_request, "1",
          "comma-separated images per ModelInfer (the request's dimension 0)");
ABSL_FLAG(double, seconds, 5, "measured seconds per point (after 0.5 s warm-up)");
ABSL_FLAG(std::string, store, "", "fixpointd's store directory: also measure in-process");
ABSL_FLAG(int, inproc_batch, 64, "in-process batch size");
ABSL_FLAG(int, inproc_threads, 0,
          "in-process intra-op threads; 0 = all hardware threads (the aim's reference). On a "
          "busy host OpenMP's barriers make 0 collapse; 1 is steadier there");
ABSL_FLAG(std::string, images, "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
          "images sent (first 1024; random if unreadable)");
ABSL_FLAG(std::string, client_api, "callback",
          "callback (requests in flight on gRPC's own threads) or sync (a thread per request)");
ABSL_FLAG(bool, floor, true, "also measure ServerLive at each concurrency (gRPC's own cost)");
ABSL_FLAG(int, server_pid, 0,
          "fixpointd's process id (same host): also report its CPU time per image");
ABSL_FLAG(bool, json, false, "one JSON object per line instead of a table");

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kImageFloats = 28 * 28;

// CPU seconds (user + system) used so far by this process, and by
// --server_pid when given (0 otherwise). CPU time, unlike throughput, hardly
// depends on what else the machine runs, so it compares configurations
// fairly on a busy host.
double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double ServerCpuSeconds() {
  const int pid = absl::GetFlag(FLAGS_server_pid);
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the line.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Point {
  int64_t requests = 0;
  double seconds = 0, p50_ms = 0, p99_ms = 0;
  double client_cpu_s = 0, server_cpu_s = 0;  // during the measured window
  int64_t errors = 0;
  std::string first_error;
};

// One request slot of the closed loop: `call` starts one RPC and reports
// its status to the callback; `check` (after an OK status) says what is
// wrong with the response, or "".
struct Workload {
  std::function<void(int slot, grpc::ClientContext*, std::function<void(grpc::Status)>)> call_async;
  std::function<grpc::Status(int slot, grpc::ClientContext*)> call_sync;
  std::function<std::string(int slot)> check;
  std::function<void(int slot)> next;  // prepares the slot's next request
};

// Shared state of one measured point.
class Recorder {
 public:
  explicit Recorder(int slots) : latencies_(slots) {}
  void Record(int slot, double ms, const grpc::Status& s, const std::string& wrong) {
    if (!measuring_.load(std::memory_order_relaxed)) return;
    if (s.ok() && wrong.empty()) {
      latencies_[slot].push_back(ms);
      return;
    }
    ++errors_;
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.empty()) first_error_ = s.ok() ? wrong : s.error_message();
  }
  // Warm-up, measured window, then `stop` and the summary.
  Point Measure(const std::function<void()>& stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const double client0 = SelfCpuSeconds(), server0 = ServerCpuSeconds();
    measuring_ = true;
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(absl::GetFlag(FLAGS_seconds)));
    measuring_ = false;
    Point p;
    p.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    p.client_cpu_s = SelfCpuSeconds() - client0;
    p.server_cpu_s = ServerCpuSeconds() - server0;
    stop();
    std::vector<double> all;
    for (auto& l : latencies_) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    p.requests = static_cast<int64_t>(all.size());
    p.errors = errors_.load();
    p.first_error = first_error_;
    if (!all.empty()) {
      p.p50_ms = all[all.size() / 2];
      p.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    }
    return p;
  }

 private:
  std::atomic<bool> measuring_{false};
  std::atomic<int64_t> errors_{0};
  std::vector<std::vector<double>> latencies_;  // per slot: no sharing
  std::mutex mu_;
  std::string first_error_;
};

// `slots` requests in flight through the callback API: each completion
// records and starts the slot's next request until stopped.
Point RunCallback(Workload& w, int slots) {
  Recorder rec(slots);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable idle;
  int running = slots;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(slots);
  std::vector<Clock::time_point> started(slots);
  std::function<void(int)> issue = [&](int slot) {
    w.next(slot);
    contexts[slot] = std::make_unique<grpc::ClientContext>();
    started[slot] = Clock::now();
    w.call_async(slot, contexts[slot].get(), [&, slot](grpc::Status s) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started[slot]).count();
      rec.Record(slot, ms, s, s.ok() ? w.check(slot) : "");
      if (!stop.load()) return issue(slot);
      std::lock_guard<std::mutex> lock(mu);
      if (--running == 0) idle.notify_all();
    });
  };
  for (int s = 0; s < slots; ++s) issue(s);
  return rec.Measure([&] {
    stop = true;
    std::unique_lock<std::mutex> lock(mu);
    idle.wait(lock, [&] { return running == 0; });
  });
}

// `slots` threads, each sending blocking requests back to back.
Point RunSync(Workload& w, int slots) {
  Recorder rec(slots);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int s = 0; s < slots; ++s) {
    threads.emplace_back([&, s] {
      while (!stop.load()) {
        w.next(s);
        grpc::ClientContext context;
        const auto t0 = Clock::now();
        grpc::Status status = w.call_sync(s, &context);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        rec.Record(s, ms, status, status.ok() ? w.check(s) : "");
      }
    });
  }
  return rec.Measure([&] {
    stop = true;
    for (std::thread& t : threads) t.join();
  });
}

Point Run(Workload& w, int slots) {
  return absl::GetFlag(FLAGS_client_api) == "sync" ? RunSync(w, slots) : RunCallback(w, slots);
}

Point RunFloor(inference::GRPCInferenceService::Stub& stub, int slots) {
  std::vector<inference::ServerLiveRequest> req(slots);
  std::vector<inference::ServerLiveResponse> resp(slots);
  Workload w;
  w.next = [&](int s) { resp[s].Clear(); };
  w.call_async = [&](int s, grpc::ClientContext* c, std::function<void(grpc::Status)> done) {
    stub.async()->ServerLive(c, &req[s], &resp[s], std::move(done));
  };
  w.call_sync = [&](int s, grpc::ClientContext* c) { return stub.ServerLive(c, req[s], &resp[s]); };
  w.check = [&](int s) { return resp[s].live() ? std::string() : std::string("not live"); };
  return Run(w, slots);
}

Point RunInfer(inference::GRPCInferenceService::Stub& stub, const std::string& model,
               const std::string& version, const std::string& input, int slots, int images_per,
               const std::vector<float>& images) {
  const int64_t n_images = static_cast<int64_t>(images.size()) / kImageFloats;
  const size_t bytes = static_cast<size_t>(images_per * kImageFloats) * sizeof(float);
  std::vector<inference::ModelInferRequest> req(slots);
  std::vector<inference::ModelInferResponse> resp(slots);
  std::vector<int64_t> cursor(slots);
  for (int s = 0; s < slots; ++s) {
    inference::ModelInferRequest& r = req[s];
    r.set_model_name(model);
    r.set_model_version(version);
    auto* in = r.add_inputs();
    in->set_name(input);
    in->set_datatype("FP32");
    for (int64_t d : {int64_t{images_per}, int64_t{1}, int64_t{28}, int64_t{28}}) in->add_shape(d);
    r.add_raw_input_contents()->resize(bytes);
    cursor[s] = s * images_per;
  }
  Workload w;
  w.next = [&](int s) {
    // The next images_per images of the set (wrapping), so requests differ.
    char* dst = req[s].mutable_raw_input_contents(0)->data();
    for (int i = 0; i < images_per; ++i) {
      const float* src = images.data() + (cursor[s]++ % n_images) * kImageFloats;
      std::memcpy(dst + i * kImageFloats * sizeof(float), src, kImageFloats * sizeof(float));
    }
    resp[s].Clear();
  };
  w.call_async = [&](int s, grpc::ClientContext* c, std::function<void(grpc::Status)> done) {
    stub.async()->ModelInfer(c, &req[s], &resp[s], std::move(done));
  };
  w.call_sync = [&](int s, grpc::ClientContext* c) { return stub.ModelInfer(c, req[s], &resp[s]); };
  w.check = [&](int s) -> std::string {
    const inference::ModelInferResponse& r = resp[s];
    if (r.outputs_size() < 1 || r.raw_output_contents_size() != r.outputs_size()) {
      return "response without raw outputs";
    }
    const auto& shape = r.outputs(0).shape();
    int64_t elements = 1;
    for (int64_t d : shape) elements *= d;
    if (shape.empty() || shape[0] != images_per ||
        r.raw_output_contents(0).size() != static_cast<size_t>(elements) * sizeof(float)) {
      return absl::StrFormat("output of %d images has the wrong shape or size", images_per);
    }
    return "";
  };
  return Run(w, slots);
}

std::vector<float> LoadImages() {
  fixpoint::io::LoadOptions load;
  load.max_items = 1024;
  auto d = fixpoint::io::LoadDataset(absl::GetFlag(FLAGS_images), {}, load);
  if (d.ok()) {
    const float* p = d->images.data<float>();
    return std::vector<float>(p, p + d->images.NumElements());
  }
  std::vector<float> v(1024 * kImageFloats);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 2654435761u) % 256) / 255.0f;
  return v;
}

// Images/s of Session::Run (--inproc_threads) on `session` at batch
// --inproc_batch, for `seconds`.
struct InProcessPoint {
  double images_per_s = 0, cpu_us_per_image = 0;
};

InProcessPoint InProcess(const fixpoint::runtime::Session& session,
                         const std::vector<float>& images, double seconds) {
  const int64_t batch = absl::GetFlag(FLAGS_inproc_batch);
  std::vector<float> input(images.begin(), images.begin() + batch * kImageFloats);
  fixpoint::ir::TensorView view{fixpoint::ir::DType::kF32,
                                fixpoint::ir::Shape({batch, 1, 28, 28}), input.data()};
  for (int i = 0; i < 5; ++i) (void)session.Run({&view, 1});
  int64_t runs = 0;
  const double cpu0 = SelfCpuSeconds();
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    (void)session.Run({&view, 1});
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  const double done = static_cast<double>(runs * batch);
  return {done / elapsed, 1e6 * (SelfCpuSeconds() - cpu0) / done};
}

struct Row {
  std::string model, version, precision, rpc;
  int images_per_request = 0, concurrency = 0;
  double in_process = 0;         // images/s
  double in_process_cpu_us = 0;  // CPU µs per image in-process
};

void Print(const Row& r, const Point& p) {
  const double rps = p.seconds > 0 ? p.requests / p.seconds : 0;
  const double ips = rps * r.images_per_request;
  const double ratio = r.in_process > 0 ? ips / r.in_process : 0;
  const double images = static_cast<double>(p.requests) * std::max(1, r.images_per_request);
  const double client_us = images > 0 ? 1e6 * p.client_cpu_s / images : 0;
  const double server_us = images > 0 ? 1e6 * p.server_cpu_s / images : 0;
  if (absl::GetFlag(FLAGS_json)) {
    nlohmann::ordered_json j;
    j["rpc"] = r.rpc;
    j["model"] = r.model;
    j["version"] = r.version;
    j["precision"] = r.precision;
    j["client_api"] = absl::GetFlag(FLAGS_client_api);
    j["images_per_request"] = r.images_per_request;
    j["concurrency"] = r.concurrency;
    j["requests_per_s"] = rps;
    j["images_per_s"] = ips;
    j["p50_ms"] = p.p50_ms;
    j["p99_ms"] = p.p99_ms;
    j["errors"] = p.errors;
    j["in_process_images_per_s"] = r.in_process;
    j["ratio_to_in_process"] = ratio;
    j["client_cpu_us_per_image"] = client_us;
    j["server_cpu_us_per_image"] = server_us;
    j["in_process_cpu_us_per_image"] = r.in_process_cpu_us;
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << absl::StrFormat("%-10s %-10s %-4s %-9s %7d %5d %9.0f %10.0f %8.2f %8.2f %7d "
                                 "%12.0f %6.2f %8.1f %8.1f %8.1f\n",
                                 r.rpc, r.model, r.version, r.precision, r.images_per_request,
                                 r.concurrency, rps, ips, p.p50_ms, p.p99_ms, p.errors,
                                 r.in_process, ratio, client_us, server_us, r.in_process_cpu_us);
  }
  if (p.errors > 0) std::cerr << "  first error: " << p.first_error << "\n";
}

std::vector<int> IntList(const std::string& csv) {
  std::vector<int> v;
  for (absl::string_view s : absl::StrSplit(csv, ',')) v.push_back(std::stoi(std::string(s)));
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  fixpoint::runtime::cpu::ReexecWithBoundedOpenMpSpin(argv);
  absl::ParseCommandLine(argc, argv);
  const std::string api = absl::GetFlag(FLAGS_client_api);
  if (api != "callback" && api != "sync") {
    std::cerr << "fp_grpc_load: --client_api must be callback or sync\n";
    return 2;
  }
  grpc::ChannelArguments args;
  // One channel (one HTTP/2 connection) multiplexes every request, as a
  // real client does; separate connections would measure the TCP stack.
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = inference::GRPCInferenceService::NewStub(channel);
  const std::string model = absl::GetFlag(FLAGS_model);
  const std::vector<int> concurrency = IntList(absl::GetFlag(FLAGS_concurrency));
  const std::vector<int> sizes = IntList(absl::GetFlag(FLAGS_images_per_request));
  const std::vector<float> images = LoadImages();
  if (!absl::GetFlag(FLAGS_json)) {
    // cpu columns: CPU µs per image (per request for ServerLive) of this
    // client, of the server (--server_pid) and of the in-process engine.
    std::cout << absl::StrFormat(
        "%-10s %-10s %-4s %-9s %7s %5s %9s %10s %8s %8s %7s %12s %6s %8s %8s %8s\n", "rpc",
        "model", "ver", "precision", "img/req", "conc", "rpc/s", "images/s", "p50 ms", "p99 ms",
        "errors", "in-process/s", "ratio", "cli us", "srv us", "inp us");
  }
  if (absl::GetFlag(FLAGS_floor)) {
    for (int c : concurrency) {
      Print({.model = "-", .version = "-", .precision = "-", .rpc = "ServerLive",
             .images_per_request = 0, .concurrency = c, .in_process = 0},
            RunFloor(*stub, c));
    }
  }
  for (absl::string_view version : absl::StrSplit(absl::GetFlag(FLAGS_versions), ',')) {
    inference::ModelMetadataRequest mr;
    mr.set_name(model);
    mr.set_version(std::string(version));
    inference::ModelMetadataResponse meta;
    grpc::ClientContext mc;
    grpc::Status ms = stub->ModelMetadata(&mc, mr, &meta);
    if (!ms.ok() || meta.inputs_size() == 0) {
      std::cerr << "fp_grpc_load: " << model << " v" << version << ": " << ms.error_message() << "\n";
      return 1;
    }
    Row row{.model = model, .version = std::string(version), .precision = "?",
            .rpc = "ModelInfer", .images_per_request = 1, .concurrency = 1, .in_process = 0};
    std::unique_ptr<fixpoint::runtime::Session> session;
    if (!absl::GetFlag(FLAGS_store).empty()) {
      const std::string dir =
          absl::GetFlag(FLAGS_store) + "/models/" + model + "/" + std::string(version);
      std::ifstream manifest(dir + "/manifest.json");
      nlohmann::json m = nlohmann::json::parse(manifest, nullptr, false);
      row.precision = (!m.is_discarded() && m.value("scheme", "") != "fp32" &&
                       m.value("method", "") != "")
                          ? "int8"
                          : "fp32";
      auto graph = fixpoint::io::ImportOnnxFile(dir + "/model.onnx");
      fixpoint::runtime::SessionOptions options;
      options.intra_op_threads = absl::GetFlag(FLAGS_inproc_threads);
      auto created = graph.ok() ? fixpoint::runtime::Session::Create(*std::move(graph), options)
                                : absl::StatusOr<std::unique_ptr<fixpoint::runtime::Session>>(
                                      graph.status());
      if (!created.ok()) {
        std::cerr << "fp_grpc_load: in-process " << dir << ": " << created.status() << "\n";
        return 1;
      }
      session = *std::move(created);
    }
    for (int n : sizes) {
      for (int c : concurrency) {
        row.images_per_request = n;
        row.concurrency = c;
        // Measured right before each point: the machine's load drifts, and
        // the ratio should compare like with like.
        if (session != nullptr) {
          const InProcessPoint ip =
              InProcess(*session, images, std::min(2.0, absl::GetFlag(FLAGS_seconds)));
          row.in_process = ip.images_per_s;
          row.in_process_cpu_us = ip.cpu_us_per_image;
        }
        Print(row, RunInfer(*stub, model, row.version, meta.inputs(0).name(), c, n, images));
      }
    }
  }
  return 0;
}
