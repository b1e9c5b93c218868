#include "server/config.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8001", "gRPC address (host:port; port 0 = any free)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:8002",
          "Prometheus /metrics address; empty disables it");
ABSL_FLAG(std::string, store, "fixpoint-store",
          "store directory: models/, datasets/ and metadata.sqlite (created if missing)");
ABSL_FLAG(int, job_workers, 1, "calibration jobs run at once");
ABSL_FLAG(int, max_queued_jobs, 64, "queued jobs before Quantize answers RESOURCE_EXHAUSTED");
ABSL_FLAG(int, job_max_attempts, 3, "starts of an interrupted job before it fails");
ABSL_FLAG(int, keep_finished_jobs, 1000,
          "finished jobs kept with their logs; older ones are deleted from the store");
ABSL_FLAG(int, job_threads, 0, "threads per calibration run; 0 = all hardware threads");
ABSL_FLAG(int, management_threads, 2, "threads for uploads, imports and metadata RPCs");
ABSL_FLAG(int64_t, max_message_bytes, 64 << 20, "largest gRPC message accepted or sent");
ABSL_FLAG(int64_t, max_upload_bytes, int64_t{1} << 30, "largest model or dataset upload");
ABSL_FLAG(std::string, auth_token_file, "",
          "file holding a bearer token required on management RPCs (empty: none)");
ABSL_FLAG(bool, auth_inference, false, "require the token on inference RPCs too");
ABSL_FLAG(bool, log_requests, false,
          "log every inference request (JSON line: request id, model, version, code, ms); "
          "failed ones are always logged");
ABSL_FLAG(std::string, tls_cert, "", "server certificate chain (PEM); with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "",
          "CA bundle (PEM) that client certificates must chain to: mutual TLS");
ABSL_FLAG(int, drain_seconds, 30, "on SIGTERM: how long in-flight work may take to finish");
ABSL_FLAG(std::string, version_policy, "latest:2",
          "versions served per model: all | latest:N | specific:V1,V2");
ABSL_FLAG(int, max_batch, 64,
          "dynamic batcher: largest batch (a request with more items is refused)");
ABSL_FLAG(int64_t, batch_delay_us, 500, "dynamic batcher: longest wait for a fuller batch");
ABSL_FLAG(int, max_queue, 1024, "dynamic batcher: queued requests per version before rejecting");
ABSL_FLAG(int, batch_threads, 0,
          "dynamic batcher: batches run at once per version; 0 = one per hardware thread");
ABSL_FLAG(int, intra_op_threads, 1,
          "threads per inference batch; 0 = all hardware threads. The default (whole batches in "
          "parallel, one thread each) keeps OpenMP's barriers from competing with gRPC's threads "
          "for the cores");

namespace fixpoint::server {
namespace {

absl::Status Positive(const char* flag, int64_t v, int64_t min = 1) {
  if (v < min) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be >= ", min, ", got ", v));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " '", path, "'"));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<ServerConfig> ConfigFromFlags() {
  ServerConfig c;
  c.listen = absl::GetFlag(FLAGS_listen);
  c.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  c.store_dir = absl::GetFlag(FLAGS_store);
  c.job_workers = absl::GetFlag(FLAGS_job_workers);
  c.max_queued_jobs = absl::GetFlag(FLAGS_max_queued_jobs);
  c.job_max_attempts = absl::GetFlag(FLAGS_job_max_attempts);
  c.keep_finished_jobs = absl::GetFlag(FLAGS_keep_finished_jobs);
  c.job_threads = absl::GetFlag(FLAGS_job_threads);
  c.management_threads = absl::GetFlag(FLAGS_management_threads);
  c.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  c.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  c.auth_inference = absl::GetFlag(FLAGS_auth_inference);
  c.log_requests = absl::GetFlag(FLAGS_log_requests);
  c.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  c.tls_key = absl::GetFlag(FLAGS_tls_key);
  c.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  c.drain_timeout = absl::Seconds(absl::GetFlag(FLAGS_drain_seconds));
  c.serving.version_policy = absl::GetFlag(FLAGS_version_policy);
  c.serving.max_batch = absl::GetFlag(FLAGS_max_batch);
  c.serving.batch_delay_us = absl::GetFlag(FLAGS_batch_delay_us);
  c.serving.max_queue = absl::GetFlag(FLAGS_max_queue);
  c.serving.batch_threads = absl::GetFlag(FLAGS_batch_threads);
  if (c.serving.batch_threads == 0) {
    c.serving.batch_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  c.serving.intra_op_threads = absl::GetFlag(FLAGS_intra_op_threads);

  if (c.listen.empty()) return absl::InvalidArgumentError("--listen must not be empty");
  if (c.store_dir.empty()) return absl::InvalidArgumentError("--store must not be empty");
  for (absl::Status s : {Positive("job_workers", c.job_workers),
                         Positive("max_queued_jobs", c.max_queued_jobs),
                         Positive("job_max_attempts", c.job_max_attempts),
                         Positive("keep_finished_jobs", c.keep_finished_jobs),
                         Positive("job_threads", c.job_threads, 0),
                         Positive("management_threads", c.management_threads),
                         Positive("max_message_bytes", c.max_message_bytes, 4096),
                         Positive("max_upload_bytes", c.max_upload_bytes),
                         Positive("drain_seconds", absl::GetFlag(FLAGS_drain_seconds), 0),
                         Positive("max_batch", c.serving.max_batch),
                         Positive("batch_delay_us", c.serving.batch_delay_us, 0),
                         Positive("max_queue", c.serving.max_queue),
                         Positive("batch_threads", c.serving.batch_threads, 0),
                         Positive("intra_op_threads", c.serving.intra_op_threads, 0)}) {
    if (!s.ok()) return s;
  }
  if (c.max_message_bytes > (int64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError("--max_message_bytes must be < 2 GiB (a gRPC limit)");
  }
  if (const std::string path = absl::GetFlag(FLAGS_auth_token_file); !path.empty()) {
    auto token = ReadSmallFile(path, "--auth_token_file");
    if (!token.ok()) return token.status();
    c.auth_token = std::string(absl::StripAsciiWhitespace(*token));
    if (c.auth_token.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--auth_token_file '", path, "' is empty"));
    }
  }
  if (c.auth_inference && c.auth_token.empty()) {
    return absl::InvalidArgumentError("--auth_inference needs --auth_token_file");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (!c.tls_client_ca.empty() && c.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls_client_ca (mutual TLS) needs --tls_cert and --tls_key");
  }
  return c;
}

}  // namespace fixpoint::server
