#include "server/log.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace fixpoint::server {
namespace {

void Write(absl::string_view level, absl::string_view msg, std::initializer_list<LogField> fields) {
  nlohmann::ordered_json j;
  j["ts"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  j["level"] = std::string(level);
  j["msg"] = std::string(msg);
  for (const LogField& f : fields) j[std::string(f.first)] = f.second;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace

void LogInfo(absl::string_view msg, std::initializer_list<LogField> fields) {
  Write("info", msg, fields);
}
void LogWarning(absl::string_view msg, std::initializer_list<LogField> fields) {
  Write("warning", msg, fields);
}
void LogError(absl::string_view msg, std::initializer_list<LogField> fields) {
  Write("error", msg, fields);
}

}  // namespace fixpoint::server
