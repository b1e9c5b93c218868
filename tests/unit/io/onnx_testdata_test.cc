// Every model of Debian's libonnx-testdata either imports or is refused with a
// status: the importer never crashes on real-world (and deliberately odd)
// models. Prints a summary of the refusal reasons.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/onnx_importer.h"
#include "gtest/gtest.h"

namespace fixpoint::io {
namespace {

namespace fs = std::filesystem;

constexpr char kRoot[] = "/usr/share/libonnx-testdata/data";

// "model 'x': unsupported ops: LSTM (node ...)" -> "unsupported ops: LSTM".
std::string Reason(const absl::Status& s) {
  std::string m(s.message());
  for (const char* prefix : {"'", "model '"}) {  // the file, then the model
    const size_t p = m.find("': ");
    if (m.rfind(prefix, 0) == 0 && p != std::string::npos) m = m.substr(p + 3);
  }
  const size_t cut = m.find_first_of("('");
  if (cut != std::string::npos && cut > 0) m = m.substr(0, cut);
  return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", m);
}

TEST(OnnxTestdataTest, EveryModelImportsOrIsRefused) {
  if (!fs::exists(kRoot)) GTEST_SKIP() << kRoot << " not installed";
  int ok = 0, refused = 0;
  std::map<std::string, int> reasons;
  const bool verbose = std::getenv("FP_TESTDATA_VERBOSE") != nullptr;  // every refusal
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    const fs::path dir = fs::path(kRoot) / suite;
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const fs::path model = entry.path() / "model.onnx";
      if (!fs::exists(model)) continue;
      auto g = ImportOnnxFile(model.string());
      if (g.ok()) {
        ++ok;
        EXPECT_FALSE(g->nodes.empty() && g->outputs.empty()) << model;
      } else {
        ++refused;
        EXPECT_FALSE(g.status().message().empty()) << model;
        ++reasons[Reason(g.status())];
        if (verbose) std::cout << g.status() << "\n";
      }
    }
  }
  std::vector<std::pair<int, std::string>> top;
  for (const auto& [reason, n] : reasons) top.emplace_back(n, reason);
  std::sort(top.rbegin(), top.rend());
  std::cout << "libonnx-testdata: " << ok << " imported, " << refused << " refused\n";
  for (size_t i = 0; i < top.size() && i < 25; ++i) {
    std::cout << "  " << top[i].first << "  " << top[i].second << "\n";
  }
  EXPECT_GT(ok + refused, 0);
}

}  // namespace
}  // namespace fixpoint::io
