// ReexecWithBoundedOpenMpSpin: a process started without an OpenMP wait policy
// re-executes itself with GOMP_SPINCOUNT bounded; a user's choice is kept.
// The re-executed copy is this test binary running ReexecTest.ProbeChild.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/runtime/cpu/threading.h"

namespace fixpoint::runtime::cpu {
namespace {

constexpr const char* kProbeEnv = "FP_REEXEC_PROBE";
constexpr int kReturned = 42;  // the child's exit code when no exec happened

// Only meaningful in the re-executed copy: records its GOMP_SPINCOUNT.
TEST(ReexecTest, ProbeChild) {
  const char* out = std::getenv(kProbeEnv);
  if (out == nullptr) GTEST_SKIP() << "runs only as the re-executed child";
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  std::ofstream(out) << (spin != nullptr ? spin : "unset");
}

// Forks; the child sets `policy` (or clears both variables when empty) and
// calls ReexecWithBoundedOpenMpSpin with argv running ProbeChild. Returns the
// child's exit code; `probe` receives what a re-executed child wrote.
int RunChild(const std::string& policy, const std::string& probe) {
  const pid_t pid = fork();
  if (pid == 0) {
    unsetenv("OMP_WAIT_POLICY");
    unsetenv("GOMP_SPINCOUNT");
    if (!policy.empty()) setenv("OMP_WAIT_POLICY", policy.c_str(), 1);
    setenv(kProbeEnv, probe.c_str(), 1);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::string filter = "--gtest_filter=ReexecTest.ProbeChild";
    char* argv[] = {self.data(), filter.data(), nullptr};
    ReexecWithBoundedOpenMpSpin(argv);
    _exit(kReturned);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReexecTest, NoPolicyReexecutesWithBoundedSpin) {
  const std::string probe = ::testing::TempDir() + "/reexec_probe_" + std::to_string(getpid());
  std::filesystem::remove(probe);
  EXPECT_EQ(RunChild("", probe), 0);
  EXPECT_EQ(ReadFile(probe), kBoundedSpinCount);
  std::filesystem::remove(probe);
}

TEST(ReexecTest, UsersWaitPolicyIsKept) {
  const std::string probe = ::testing::TempDir() + "/reexec_probe_kept_" + std::to_string(getpid());
  std::filesystem::remove(probe);
  EXPECT_EQ(RunChild("PASSIVE", probe), kReturned);
  EXPECT_FALSE(std::filesystem::exists(probe));
}

}  // namespace
}  // namespace fixpoint::runtime::cpu
