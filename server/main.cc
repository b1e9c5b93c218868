// fixpointd: flags -> validated Config -> Fixpointd (store, scheduler,
// runtime, metrics, services) -> wait for SIGTERM/SIGINT -> drain -> exit.
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "core/runtime/cpu/threading.h"
#include "core/util/allocator_tuning.h"
#include "server/config.h"
#include "server/fixpointd.h"
#include "server/log.h"

ABSL_FLAG(std::string, port_file, "",
          "write '<grpc port> <metrics port>' to this file once listening (for tests and "
          "scripts that start fixpointd on port 0)");

int main(int argc, char** argv) {
  fixpoint::runtime::cpu::ReexecWithBoundedOpenMpSpin(argv);
  fixpoint::util::TuneAllocatorForLargeBuffers();
  // Block the shutdown signals in every thread (threads inherit the mask);
  // the main thread takes them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(
      "fixpointd [--flag=value ...] [--flagfile=fixpointd.flags]\n"
      "The fixpoint quantization and inference server (gRPC: fixpoint.v1 management "
      "services, KServe v2 inference, grpc.health.v1; Prometheus /metrics).");
  absl::ParseCommandLine(argc, argv);
  // Debian's Abseil is built with debug checks: every absl::Mutex lock (gRPC's
  // too) would go through a process-wide deadlock graph and its global lock,
  // measurable under load. Tests keep the detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  auto config = fixpoint::server::ConfigFromFlags();
  if (!config.ok()) {
    fixpoint::server::LogError("bad configuration", {{"error", config.status().ToString()}});
    return 2;
  }
  auto server = fixpoint::server::Fixpointd::Start(*config);
  if (!server.ok()) {
    fixpoint::server::LogError("cannot start", {{"error", server.status().ToString()}});
    return 1;
  }
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp);
      out << (*server)->grpc_port() << " " << (*server)->metrics_port() << "\n";
    }
    std::rename(tmp.c_str(), path.c_str());
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  fixpoint::server::LogInfo("signal received",
                            {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*server)->Shutdown(config->drain_timeout);
  return 0;
}
