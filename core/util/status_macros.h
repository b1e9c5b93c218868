// Propagation macros for absl::Status / absl::StatusOr (Debian's Abseil has
// none of its own). Usage:
//   FP_RETURN_IF_ERROR(DoThing());
//   FP_ASSIGN_OR_RETURN(auto graph, ImportOnnx(bytes));
#ifndef FIXPOINT_CORE_UTIL_STATUS_MACROS_H_
#define FIXPOINT_CORE_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FP_STATUS_CONCAT_INNER_(a, b) a##b
#define FP_STATUS_CONCAT_(a, b) FP_STATUS_CONCAT_INNER_(a, b)

#define FP_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    ::absl::Status fp_status_ = (expr);              \
    if (!fp_status_.ok()) return fp_status_;         \
  } while (0)

#define FP_ASSIGN_OR_RETURN(lhs, expr) \
  FP_ASSIGN_OR_RETURN_IMPL_(FP_STATUS_CONCAT_(fp_statusor_, __LINE__), lhs, expr)

#define FP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()

namespace fixpoint {

// Returns `status` with `context + ": "` prepended to its message; OK stays OK.
absl::Status WithContext(const absl::Status& status, absl::string_view context);

}  // namespace fixpoint

#endif  // FIXPOINT_CORE_UTIL_STATUS_MACROS_H_
