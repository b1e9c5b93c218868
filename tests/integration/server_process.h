// ServerProcess: runs the real fixpointd binary as a child process on
// 127.0.0.1 with free ports (it writes them to a port file), for
// integration tests that talk to it through the real gRPC stubs.
// Thread-compatible.
#ifndef FIXPOINT_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define FIXPOINT_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fixpoint::testing {

class ServerProcess {
 public:
  // Starts FP_FIXPOINTD with --store `store_dir`, --listen 127.0.0.1:0,
  // --metrics_listen 127.0.0.1:0, --port_file and `extra_flags`, and waits
  // (up to `timeout`) until the port file appears. Its stderr goes to
  // `<store_dir>.log`.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& store_dir, const std::vector<std::string>& extra_flags = {},
      absl::Duration timeout = absl::Seconds(60));
  // Kills the process (SIGKILL) if it is still running.
  ~ServerProcess();

  std::string grpc_address() const;  // "127.0.0.1:<port>"
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // SIGKILL and reap: a crash.
  void Kill();
  // SIGTERM, then waits for the exit; returns the exit status (or
  // DEADLINE_EXCEEDED after `timeout`, having sent SIGKILL).
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(60));

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  std::string log_path_;
};

// GET http://127.0.0.1:<port>/metrics over a plain socket: the body.
absl::StatusOr<std::string> ScrapeMetrics(int port);

}  // namespace fixpoint::testing

#endif  // FIXPOINT_TESTS_INTEGRATION_SERVER_PROCESS_H_
