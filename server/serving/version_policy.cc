#include "server/serving/version_policy.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/util/status_macros.h"

namespace fixpoint::server {

absl::StatusOr<VersionPolicy> VersionPolicy::Parse(absl::string_view text) {
  VersionPolicy p;
  const size_t colon = text.find(':');
  const absl::string_view kind = text.substr(0, colon);
  const absl::string_view arg = colon == absl::string_view::npos ? "" : text.substr(colon + 1);
  if (kind == "all" && colon == absl::string_view::npos) {
    p.kind = Kind::kAll;
  } else if (kind == "latest") {
    p.kind = Kind::kLatest;
    if (colon != absl::string_view::npos && !absl::SimpleAtoi(arg, &p.num_versions)) {
      return absl::InvalidArgumentError(
          absl::StrCat("version policy '", text, "': '", arg, "' is not a number of versions"));
    }
  } else if (kind == "specific" && !arg.empty()) {
    p.kind = Kind::kSpecific;
    for (absl::string_view v : absl::StrSplit(arg, ',')) {
      int64_t n = 0;
      if (!absl::SimpleAtoi(v, &n)) {
        return absl::InvalidArgumentError(
            absl::StrCat("version policy '", text, "': '", v, "' is not a version number"));
      }
      p.versions.push_back(n);
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "version policy '", text, "': expected latest, latest:N, all or specific:V1,V2,..."));
  }
  FP_RETURN_IF_ERROR(WithContext(p.Validate(), absl::StrCat("version policy '", text, "'")));
  return p;
}

absl::Status VersionPolicy::Validate() const {
  if (kind == Kind::kLatest && num_versions < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("latest needs at least 1 version, got ", num_versions));
  }
  if (kind == Kind::kSpecific) {
    if (versions.empty()) return absl::InvalidArgumentError("specific needs at least one version");
    for (int64_t v : versions) {
      if (v < 1) {
        return absl::InvalidArgumentError(absl::StrCat("version numbers start at 1, got ", v));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<int64_t> VersionPolicy::Select(std::vector<int64_t> available) const {
  std::sort(available.begin(), available.end());
  switch (kind) {
    case Kind::kAll:
      return available;
    case Kind::kLatest: {
      const size_t keep = std::min(available.size(), static_cast<size_t>(num_versions));
      return std::vector<int64_t>(available.end() - keep, available.end());
    }
    case Kind::kSpecific: {
      std::vector<int64_t> selected;
      for (int64_t v : available) {
        if (std::find(versions.begin(), versions.end(), v) != versions.end()) selected.push_back(v);
      }
      return selected;
    }
  }
  return {};
}

std::string VersionPolicy::ToString() const {
  switch (kind) {
    case Kind::kAll:
      return "all";
    case Kind::kLatest:
      return absl::StrCat("latest:", num_versions);
    case Kind::kSpecific:
      return absl::StrCat("specific:", absl::StrJoin(versions, ","));
  }
  return "";
}

}  // namespace fixpoint::server
