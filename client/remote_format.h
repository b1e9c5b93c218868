// Text formatting for the remote commands of `fixpoint`: aligned tables,
// sizes, durations, the job progress line, top-k of a score vector, and the
// argument rewrite that frees `--version` for model versions. Pure
// functions and value types; thread-compatible.
#ifndef FIXPOINT_CLIENT_REMOTE_FORMAT_H_
#define FIXPOINT_CLIENT_REMOTE_FORMAT_H_

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace fixpoint::client {

// A table printed with aligned columns: a header row, then one row per
// AddRow, columns separated by two spaces, no trailing blanks. Widths count
// UTF-8 code points, so "…" or "—" in a cell do not skew the alignment.
class Table {
 public:
  enum class Align { kLeft, kRight };

  // `align` has one entry per header or is empty (all left-aligned).
  explicit Table(std::vector<std::string> headers, std::vector<Align> align = {});

  // Rows shorter than the header are padded with empty cells; extra cells
  // are dropped.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  // The header and all rows, each line ending in '\n'.
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;
};

// Display width of UTF-8 text (code points).
size_t DisplayWidth(absl::string_view text);

// "512 B", "3.2 KiB", "3.21 MiB", "1.50 GiB".
std::string FormatBytes(int64_t bytes);
// "0.4s", "12s", "3m05s", "2h01m"; "-" for a negative or non-finite value.
std::string FormatDuration(double seconds);

// One line of job progress, e.g. "calibrate    [##########..........]  50%  ETA 12s",
// with a bar of `bar_width` cells. progress is clamped to [0, 1]; the ETA is
// left out when eta_seconds <= 0.
std::string ProgressLine(absl::string_view phase, double progress, double eta_seconds,
                         int bar_width = 30);

// Indices and values of the `k` largest scores, best first (ties: lower
// index first). k is clamped to the number of scores.
std::vector<std::pair<int, float>> TopK(std::span<const float> scores, int k);

// Abseil reserves `--version` (print build info and exit) but the remote
// commands take `--version V` for a model version. Returns `args` with
// `--version=V` and `--version V` (V not starting with '-') turned into
// `--model_version=V`; a bare `--version` and everything after "--" are
// left alone.
std::vector<std::string> RenameVersionFlag(const std::vector<std::string>& args);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_FORMAT_H_
