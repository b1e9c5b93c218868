// Runs the ONNX backend conformance tests shipped by Debian's libonnx-testdata
// and ends with `conformance: N passed, N failed, N skipped`. Each case runs in
// a child process with a deadline, so a crash or hang is reported, not fatal.
// With --expected, any listed case that does not pass fails the run. With
// --roundtrip, a case passes only if its ONNX export round trip does too.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/conformance/conformance_case.h"

ABSL_FLAG(std::string, data_dir, "/usr/share/libonnx-testdata/data",
          "libonnx-testdata root (holds node/, pytorch-converted/, ...)");
ABSL_FLAG(std::string, folders, "node,pytorch-converted,pytorch-operator,simple",
          "comma-separated folders under --data_dir");
ABSL_FLAG(std::string, filter, "", "run only cases whose name contains this");
ABSL_FLAG(std::string, expected, "", "file listing cases (folder/name) that must pass");
ABSL_FLAG(std::string, write_passed, "", "write the passing cases (folder/name) to this file");
ABSL_FLAG(bool, reference, false, "use the reference kernels only (no oneDNN)");
ABSL_FLAG(bool, verbose, false, "print every case, not only failures");
ABSL_FLAG(int, timeout_s, 60, "per-case deadline in seconds");
ABSL_FLAG(bool, roundtrip, false,
          "also export each passing case to ONNX, check it with libonnx, re-import and run it; "
          "outputs must match the direct run");
ABSL_FLAG(bool, roundtrip_optimized, false,
          "with --roundtrip: export the session's optimized graph (folded BN, fused "
          "activations) instead of the imported one");

namespace fs = std::filesystem;
using fixpoint::conformance::CaseResult;
using fixpoint::conformance::Outcome;
using fixpoint::conformance::RoundTrip;

namespace {

enum class Verdict { kPassed, kFailed, kSkipped, kCrashed };

struct Report {
  Verdict verdict;
  std::string detail;
};

// Runs one case in a child; its verdict comes back over a pipe as
// "<P|F|S> detail".
Report RunIsolated(const std::string& dir, bool use_onednn, RoundTrip roundtrip, int timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) return {Verdict::kCrashed, "pipe failed"};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    CaseResult r = fixpoint::conformance::RunCase(dir, use_onednn, roundtrip);
    const char tag = r.outcome == Outcome::kPassed ? 'P' : r.outcome == Outcome::kSkipped ? 'S' : 'F';
    std::string msg = std::string(1, tag) + " " + r.detail.substr(0, 400);
    (void)!write(fds[1], msg.data(), msg.size());
    _exit(0);
  }
  close(fds[1]);
  std::string msg;
  char buf[512];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) { timed_out = true; break; }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    msg.append(buf, n);
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (timed_out) return {Verdict::kCrashed, absl::StrCat("hang: no result in ", timeout_s, " s")};
  if (!WIFEXITED(status) || msg.empty()) {
    return {Verdict::kCrashed, WIFSIGNALED(status) ? absl::StrCat("crash: signal ", WTERMSIG(status))
                                                   : "crash: no result"};
  }
  const std::string detail = msg.size() > 2 ? msg.substr(2) : "";
  switch (msg[0]) {
    case 'P': return {Verdict::kPassed, detail};
    case 'S': return {Verdict::kSkipped, detail};
    default: return {Verdict::kFailed, detail};
  }
}

std::set<std::string> ReadList(const std::string& path) {
  std::set<std::string> names;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') names.insert(line);
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const fs::path root = absl::GetFlag(FLAGS_data_dir);
  const bool use_onednn = !absl::GetFlag(FLAGS_reference);
  const RoundTrip roundtrip = !absl::GetFlag(FLAGS_roundtrip) ? RoundTrip::kNone
                              : absl::GetFlag(FLAGS_roundtrip_optimized) ? RoundTrip::kOptimized
                                                                         : RoundTrip::kImported;
  int passed = 0, failed = 0, skipped = 0, crashed = 0, inexact = 0;
  std::vector<std::string> passing;
  const std::vector<std::string> folders =
      absl::StrSplit(absl::GetFlag(FLAGS_folders), ',', absl::SkipEmpty());
  for (const std::string& folder : folders) {
    if (!fs::is_directory(root / folder)) {
      std::cerr << "conformance: missing folder " << (root / folder) << "\n";
      return 2;
    }
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(root / folder)) {
      if (e.is_directory()) cases.push_back(e.path());
    }
    std::sort(cases.begin(), cases.end());
    int fp = 0, ff = 0, fs_ = 0;
    for (const fs::path& c : cases) {
      const std::string name = folder + "/" + c.filename().string();
      if (name.find(absl::GetFlag(FLAGS_filter)) == std::string::npos) continue;
      Report r = RunIsolated(c.string(), use_onednn, roundtrip, absl::GetFlag(FLAGS_timeout_s));
      const char* word = "PASS";
      switch (r.verdict) {
        case Verdict::kPassed:
          ++passed; ++fp; passing.push_back(name);
          if (r.detail.rfind("inexact", 0) == 0) ++inexact;
          break;
        case Verdict::kSkipped: ++skipped; ++fs_; word = "SKIP"; break;
        case Verdict::kFailed: ++failed; ++ff; word = "FAIL"; break;
        case Verdict::kCrashed: ++failed; ++ff; ++crashed; word = "CRASH"; break;
      }
      if (absl::GetFlag(FLAGS_verbose) || r.verdict == Verdict::kCrashed) {
        std::cout << word << " " << name << (r.detail.empty() ? "" : ": ") << r.detail << "\n";
      }
    }
    std::cout << "conformance " << folder << ": " << fp << " passed, " << ff << " failed, "
              << fs_ << " skipped\n";
  }
  int status = 0;
  if (!absl::GetFlag(FLAGS_write_passed).empty()) {
    std::ofstream out(absl::GetFlag(FLAGS_write_passed));
    out << "# ONNX backend tests (libonnx-testdata) that must keep passing.\n"
        << "# Regenerate: fp_conformance --write_passed=tests/conformance/expected_pass.txt\n";
    for (const std::string& n : passing) out << n << "\n";
  }
  if (!absl::GetFlag(FLAGS_expected).empty()) {
    const std::set<std::string> now(passing.begin(), passing.end());
    int regressions = 0;
    for (const std::string& want : ReadList(absl::GetFlag(FLAGS_expected))) {
      if (!now.count(want)) {
        std::cout << "REGRESSION " << want << " no longer passes\n";
        ++regressions;
      }
    }
    if (regressions) status = 1;
  }
  if (crashed) {
    std::cout << crashed << " cases crashed or hung\n";
    status = 1;
  }
  if (roundtrip != RoundTrip::kNone) {
    std::cout << "roundtrip: " << passed - inexact << " of " << passed
              << " passing cases bit-identical after export/import\n";
  }
  std::cout << "conformance: " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped\n";
  return status;
}
