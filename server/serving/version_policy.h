// VersionPolicy: which stored versions of a model the server serves —
// the latest N, all, or a specific list (as in Triton, OVMS and TF Serving).
// One policy per server. Value type; thread-compatible.
#ifndef FIXPOINT_SERVER_SERVING_VERSION_POLICY_H_
#define FIXPOINT_SERVER_SERVING_VERSION_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fixpoint::server {

struct VersionPolicy {
  enum class Kind { kLatest, kAll, kSpecific };
  Kind kind = Kind::kLatest;
  int num_versions = 1;           // kLatest: how many of the highest versions
  std::vector<int64_t> versions;  // kSpecific: the version numbers

  // Parses "latest" (= latest:1), "latest:N", "all" or "specific:1,3" (the
  // form of a flag). INVALID_ARGUMENT saying what is wrong.
  static absl::StatusOr<VersionPolicy> Parse(absl::string_view text);
  // OK, or INVALID_ARGUMENT for num_versions < 1 or an empty / non-positive
  // specific list.
  absl::Status Validate() const;
  // The versions among `available` (any order, no duplicates) this policy
  // serves, ascending. Specific versions that are not available are skipped.
  std::vector<int64_t> Select(std::vector<int64_t> available) const;
  // "latest:2", "all", "specific:1,3" (Parse's input form).
  std::string ToString() const;
};

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_SERVING_VERSION_POLICY_H_
