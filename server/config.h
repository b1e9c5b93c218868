// fixpointd's configuration: Abseil flags (also from a file with
// --flagfile=fixpointd.flags, one --name=value per line) validated into an
// immutable ServerConfig. Defaults are the embedded single-process setup: a
// local store directory with SQLite metadata, gRPC on 127.0.0.1:8001,
// metrics on 127.0.0.1:8002. Thread-compatible.
#ifndef FIXPOINT_SERVER_CONFIG_H_
#define FIXPOINT_SERVER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fixpoint::server {

struct ServingConfig {
  std::string version_policy = "latest:2";  // "all", "latest:N", "specific:1,3"
  int max_batch = 64;
  int64_t batch_delay_us = 500;
  int max_queue = 1024;  // queued requests per version before RESOURCE_EXHAUSTED
  // Batch runners per version (the flag's 0 becomes the hardware threads)
  // and threads per batch: on few cores whole batches in parallel beat
  // splitting each one (bench/README.md, "Serving through gRPC").
  int batch_threads = 2;
  int intra_op_threads = 1;
};

struct ServerConfig {
  std::string listen = "127.0.0.1:8001";
  std::string metrics_listen = "127.0.0.1:8002";  // "" disables /metrics
  std::string store_dir = "fixpoint-store";
  int job_workers = 1;
  int max_queued_jobs = 64;
  int job_max_attempts = 3;
  int keep_finished_jobs = 1000;
  int job_threads = 0;  // per calibration run; 0 = all hardware threads
  int management_threads = 2;
  int64_t max_message_bytes = 64 << 20;
  int64_t max_upload_bytes = int64_t{1} << 30;
  std::string auth_token;  // empty: no token
  bool auth_inference = false;
  bool log_requests = false;  // a log line per ModelInfer, not only failed ones
  std::string tls_cert;  // PEM paths; cert+key enable TLS
  std::string tls_key;
  std::string tls_client_ca;  // set: mutual TLS (clients must present a cert)
  absl::Duration drain_timeout = absl::Seconds(30);
  ServingConfig serving;
};

// Reads the flags (after absl::ParseCommandLine) into a config and checks
// it: INVALID_ARGUMENT naming the flag for out-of-range values, a TLS key
// without a cert, an unreadable token or certificate file.
absl::StatusOr<ServerConfig> ConfigFromFlags();

// Reads a whole (small) file: NOT_FOUND / PERMISSION_DENIED naming it.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const char* what);

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_CONFIG_H_
