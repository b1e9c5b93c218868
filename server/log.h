// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-25T19:30:00.123Z","level":"info","msg":"job finished",
//    "job_id":"job-3f2a...","state":"SUCCEEDED"}
// so request and job ids can be grepped and shipped as they are.
// Thread-safe (one write(2) per line).
#ifndef FIXPOINT_SERVER_LOG_H_
#define FIXPOINT_SERVER_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace fixpoint::server {

using LogField = std::pair<absl::string_view, std::string>;

void LogInfo(absl::string_view msg, std::initializer_list<LogField> fields = {});
void LogWarning(absl::string_view msg, std::initializer_list<LogField> fields = {});
void LogError(absl::string_view msg, std::initializer_list<LogField> fields = {});

}  // namespace fixpoint::server

#endif  // FIXPOINT_SERVER_LOG_H_
