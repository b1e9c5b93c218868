// Runs a fuzz entry point over every file of a corpus folder, so that CI,
// which builds with g++ and without libFuzzer, exercises the same entry points
// on the committed seeds and on every crash the fuzzers found.
//   fp_fuzz_regression <target> <corpus dir>
// Exits 0 after running every file (a broken contract or a memory error
// aborts first), 2 on bad arguments or an empty corpus.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <target> <corpus dir>\n", argv[0]);
    return 2;
  }
  const fixpoint::fuzz::FuzzTarget* target = nullptr;
  for (const auto& t : fixpoint::fuzz::kFuzzTargets) {
    if (std::strcmp(t.name, argv[1]) == 0) target = &t;
  }
  if (target == nullptr) {
    std::fprintf(stderr, "unknown fuzz target '%s'\n", argv[1]);
    return 2;
  }
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(argv[2], ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec || files.empty()) {
    std::fprintf(stderr, "no corpus files in '%s'\n", argv[2]);
    return 2;
  }
  std::sort(files.begin(), files.end());
  int imported = 0;
  for (const auto& path : files) {
    // Named before the run so that a crash's log says which file it was.
    std::printf("%s: ", path.filename().c_str());
    std::fflush(stdout);
    const std::string bytes = ReadAll(path);
    const absl::Status status =
        target->run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    imported += status.ok() ? 1 : 0;
    std::printf("%s\n", status.ok() ? "OK" : status.ToString().c_str());
  }
  std::printf("%s: ran %zu corpus files, %d read without error\n", target->name, files.size(),
              imported);
  return 0;
}
