#include "client/remote_format.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fixpoint::client {

size_t DisplayWidth(absl::string_view text) {
  // Every byte that is not a UTF-8 continuation byte starts a code point.
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

Table::Table(std::vector<std::string> headers, std::vector<Align> align)
    : headers_(std::move(headers)), align_(std::move(align)) {
  align_.resize(headers_.size(), Align::kLeft);
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) width[c] = DisplayWidth(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      const std::string pad(width[c] - DisplayWidth(row[c]), ' ');
      if (c > 0) line += "  ";
      if (align_[c] == Align::kRight) {
        absl::StrAppend(&line, pad, row[c]);
      } else {
        absl::StrAppend(&line, row[c], pad);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  append_row(headers_);
  for (const auto& row : rows_) append_row(row);
  return out;
}

std::string FormatBytes(int64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, " B");
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat(v < 10 ? "%.2f %s" : "%.1f %s", v, units[u]);
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  if (seconds < 10) return absl::StrFormat("%.1fs", seconds);
  const int64_t s = std::llround(seconds);
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string ProgressLine(absl::string_view phase, double progress, double eta_seconds,
                         int bar_width) {
  if (!std::isfinite(progress)) progress = 0;
  progress = std::clamp(progress, 0.0, 1.0);
  const int filled = static_cast<int>(std::floor(progress * bar_width));
  std::string line = absl::StrFormat("%-12s [%s%s] %3d%%", phase, std::string(filled, '#'),
                                     std::string(bar_width - filled, '.'),
                                     static_cast<int>(std::floor(progress * 100)));
  if (eta_seconds > 0) absl::StrAppend(&line, "  ETA ", FormatDuration(eta_seconds));
  return line;
}

std::vector<std::pair<int, float>> TopK(std::span<const float> scores, int k) {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::clamp(k, 0, static_cast<int>(scores.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  std::vector<std::pair<int, float>> top;
  for (int i = 0; i < k; ++i) top.emplace_back(order[i], scores[order[i]]);
  return top;
}

std::vector<std::string> RenameVersionFlag(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.insert(out.end(), args.begin() + i, args.end());
      break;
    }
    absl::string_view value;
    if (absl::StartsWith(a, "--version=") || absl::StartsWith(a, "-version=")) {
      value = absl::string_view(a).substr(a.find('=') + 1);
      out.push_back(absl::StrCat("--model_version=", value));
    } else if ((a == "--version" || a == "-version") && i + 1 < args.size() &&
               !absl::StartsWith(args[i + 1], "-")) {
      out.push_back(absl::StrCat("--model_version=", args[++i]));
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace fixpoint::client
