// Reading local inputs of the remote commands: files streamed in chunks
// (uploads), and the input of `fixpoint infer`: one row of a Sign-Language-MNIST
// CSV file (optional label, then pixels), a NumPy .npy array (one image or a
// batch), or an 8-bit grayscale / RGB PNG, preprocessed by an
// io::PreprocessSpec into the f32 tensor the model takes. Pure functions;
// thread-safe.
#ifndef FIXPOINT_CLIENT_REMOTE_INPUT_H_
#define FIXPOINT_CLIENT_REMOTE_INPUT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/preprocess.h"
#include "core/ir/tensor.h"

namespace fixpoint::client {

struct InferInput {
  // f32 [N, C, H, W], or [N, H, W, C] when spec.layout is NHWC.
  ir::Tensor images;
  // One label per image when the source carries them (a CSV row with a
  // label column), else empty.
  std::vector<int32_t> labels;
  // What was read, for messages: "row 0 of x.csv", "x.png (28x28, gray)".
  std::string description;
};

enum class InferFileKind { kCsv, kNpy, kPng };

// By extension (.csv, .npy, .png; case-insensitive), else by the first
// bytes (NumPy and PNG magic; text that starts with a digit or a letter is
// taken for CSV). INVALID_ARGUMENT if neither tells.
absl::StatusOr<InferFileKind> InferFileKindOf(const std::string& path, absl::string_view bytes);

// Data row `row` (0 = the first; an optional header line and a UTF-8 BOM are
// skipped) of CSV `text`. The row holds either K = C·H·W pixels in C,H,W
// order or a label followed by K pixels. INVALID_ARGUMENT naming the line
// and column for a wrong column count, a non-numeric or non-finite cell, or
// a row past the end.
absl::StatusOr<InferInput> DecodeCsvRow(absl::string_view text, int64_t row,
                                        const io::PreprocessSpec& spec);

// A C-order .npy array of u1, i1, i2, i4, i8, f4 or f8 (either byte order)
// holding one image (K elements, in any shape: (H,W), (C,H,W), (H,W,C),
// (1,C,H,W), (K,), ...) or a batch (N, ...) whose items have K elements. An
// item shaped (H,W,C) is read as channels-last, everything else as C,H,W.
// INVALID_ARGUMENT for a malformed header, an unsupported dtype, Fortran
// order, a size that matches neither form, or short data.
absl::StatusOr<InferInput> DecodeNpy(absl::string_view bytes, const io::PreprocessSpec& spec);

// A PNG of spec's height and width, converted by libpng to 8-bit gray
// (spec.channels == 1) or RGB (3); transparency is composed onto black.
// INVALID_ARGUMENT for a corrupt file, other dimensions or channel counts.
absl::StatusOr<InferInput> DecodePng(absl::string_view bytes, const io::PreprocessSpec& spec);

// Reads `path` (at most 256 MiB) and decodes it as its InferFileKindOf;
// `row` applies to CSV only. NOT_FOUND / PERMISSION_DENIED for unreadable
// files; the decoders' errors prefixed with the path.
absl::StatusOr<InferInput> ReadInferInput(const std::string& path, int64_t row,
                                          const io::PreprocessSpec& spec);

// Calls `write` with consecutive chunks of at most `chunk_bytes` of the
// file at `path` (the last one may be shorter; an empty file gives none)
// until the end, or until `write` returns false (then OK: the caller's
// stream knows why). NOT_FOUND if the file cannot be opened, DATA_LOSS on a
// read error.
absl::Status ForEachFileChunk(const std::string& path, size_t chunk_bytes,
                              const std::function<bool(absl::string_view)>& write);

}  // namespace fixpoint::client

#endif  // FIXPOINT_CLIENT_REMOTE_INPUT_H_
