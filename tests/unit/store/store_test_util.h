// Helpers shared by the store tests: a fresh store root per test and
// directory listings.
#ifndef FIXPOINT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
#define FIXPOINT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fixpoint::store::testutil {

// An empty directory path under testing::TempDir(), unique to the running
// test and process (the store creates it), removed again at scope exit.
// Declare it before the store that uses it.
class TempRoot {
 public:
  TempRoot() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "/fp_store_" + std::to_string(::getpid()) + "_" +
            info->test_suite_name() + "_" + info->name();
    std::filesystem::remove_all(path_);
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sorted entry names of `dir`; empty if it does not exist.
inline std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteAll(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace fixpoint::store::testutil

#endif  // FIXPOINT_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
