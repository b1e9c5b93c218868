#include "core/io/dataset.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/io/dataset_readers.h"
#include "core/util/status_macros.h"

namespace fixpoint::io {
namespace {

constexpr absl::string_view kMaxBytesHint = "(LoadOptions.max_bytes)";

// Closes a file descriptor on scope exit.
struct FdCloser {
  int fd;
  ~FdCloser() { close(fd); }
};

// Reads up to `limit` bytes of `path`; with `must_fit`, a larger file is
// RESOURCE_EXHAUSTED instead of being cut.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path, int64_t limit, bool must_fit) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open '", path, "'"));
  FdCloser closer{fd};
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot stat '", path, "'"));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a regular file"));
  }
  if (must_fit && st.st_size > limit) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "'", path, "' is ", st.st_size, " bytes, over the ", limit, "-byte limit ", kMaxBytesHint));
  }
  std::string out(static_cast<size_t>(std::min<int64_t>(st.st_size, limit)), '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read '", path, "'"));
    if (n == 0) break;  // the file shrank meanwhile
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// Inflates gzip data. With `prefix_only`, returns at most `max_out` bytes of
// the start and ignores truncation (used to sniff formats).
absl::StatusOr<std::string> Inflate(absl::string_view in, int64_t max_out, bool prefix_only) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return absl::InternalError("inflateInit2 failed");
  struct Ender {
    z_stream* zs;
    ~Ender() { inflateEnd(zs); }
  } ender{&zs};
  constexpr size_t kChunk = size_t{1} << 30;            // z_stream counts are 32-bit
  const size_t cap = static_cast<size_t>(max_out) + 1;  // one past: detects overflow
  std::string out;
  size_t fed = 0, produced = 0;
  while (true) {
    if (zs.avail_in == 0 && fed < in.size()) {
      const size_t n = std::min(kChunk, in.size() - fed);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + fed));
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    if (produced == out.size()) {
      out.resize(std::min(cap, std::max<size_t>(out.size() * 2, 1 << 16)));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(std::min(kChunk, out.size() - produced));
    const uInt before = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    const size_t consumed = fed - zs.avail_in;
    if (produced > static_cast<size_t>(max_out)) {
      if (prefix_only) break;
      return absl::ResourceExhaustedError(
          absl::StrCat("gzip data inflates to more than ", max_out, " bytes ", kMaxBytesHint));
    }
    if (ret == Z_STREAM_END) {
      const absl::string_view rest = in.substr(consumed);
      if (internal::IsGzip(rest)) {  // another gzip member follows
        inflateReset(&zs);
        continue;
      }
      if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; })) break;
      return absl::InvalidArgumentError(absl::StrCat(
          rest.size(), " bytes of trailing garbage after the gzip stream at compressed byte ",
          consumed));
    }
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_MEM_ERROR || ret == Z_STREAM_ERROR) {
      return absl::InvalidArgumentError(
          absl::StrCat("corrupt gzip data near compressed byte ", consumed, ": ",
                       zs.msg != nullptr ? zs.msg : "inflate failed"));
    }
    if (ret == Z_BUF_ERROR && zs.avail_in == 0 && fed == in.size()) {
      if (prefix_only) break;
      return absl::InvalidArgumentError(
          absl::StrCat("gzip data is truncated: the stream ends after ", in.size(),
                       " compressed bytes (", produced, " inflated)"));
    }
  }
  out.resize(std::min(produced, static_cast<size_t>(max_out)));
  return out;
}

// Replaces gzip-compressed `*bytes` by their inflated form (kept in
// `*storage`) and marks `*name` so that byte offsets read as inflated ones.
absl::Status MaybeGunzip(absl::string_view* bytes, std::string* storage, int64_t max_bytes,
                         std::string* name) {
  if (!internal::IsGzip(*bytes)) return absl::OkStatus();
  absl::StatusOr<std::string> inflated = internal::Gunzip(*bytes, max_bytes);
  if (!inflated.ok()) return WithContext(inflated.status(), *name);
  *storage = *std::move(inflated);
  *bytes = *storage;
  absl::StrAppend(name, " (gunzipped)");
  return absl::OkStatus();
}

absl::StatusOr<Dataset> LoadImpl(absl::string_view bytes, absl::string_view labels,
                                 DatasetFormat format, const PreprocessSpec& spec,
                                 const LoadOptions& opts, const std::string& source,
                                 std::string labels_name) {
  FP_RETURN_IF_ERROR(spec.Validate());
  if (opts.max_items < 0 || opts.max_bytes <= 0) {
    return absl::InvalidArgumentError("LoadOptions: max_items must be >= 0 and max_bytes > 0");
  }
  std::string name = source, storage, labels_storage;
  FP_RETURN_IF_ERROR(MaybeGunzip(&bytes, &storage, opts.max_bytes, &name));
  FP_RETURN_IF_ERROR(MaybeGunzip(&labels, &labels_storage, opts.max_bytes, &labels_name));
  const internal::ReaderContext ctx{spec, opts, name, labels_name};
  absl::StatusOr<Dataset> ds;
  switch (format) {
    case DatasetFormat::kIdx:
      ds = internal::ReadIdx(bytes, labels, ctx);
      break;
    case DatasetFormat::kNpy:
      ds = internal::ReadNpy(bytes, labels, ctx);
      break;
    case DatasetFormat::kCsv:
      if (!labels.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": CSV rows carry their own labels; a separate labels input is not supported"));
      }
      ds = internal::ReadCsv(bytes, ctx);
      break;
  }
  if (ds.ok()) ds->source_path = source;
  return ds;
}

bool LooksLikeCsv(absl::string_view head) {
  head = head.substr(0, head.find('\n'));
  if (head.find(',') == absl::string_view::npos) return false;
  return std::all_of(head.begin(), head.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x80 || absl::ascii_isprint(u) || absl::ascii_isspace(u);  // UTF-8 allowed
  });
}

}  // namespace

namespace internal {

bool IsGzip(absl::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> Gunzip(absl::string_view bytes, int64_t max_out) {
  return Inflate(bytes, max_out, /*prefix_only=*/false);
}

std::string DimsToString(absl::Span<const int64_t> dims) { return absl::StrJoin(dims, "×"); }

absl::StatusOr<int64_t> CheckedByteSize(absl::Span<const int64_t> dims, int64_t elem_size,
                                        int64_t max_bytes) {
  int64_t total = elem_size;
  bool overflow = false;
  for (int64_t d : dims) {
    if (d < 0) {
      return absl::InvalidArgumentError(absl::StrCat("negative dimension in ", DimsToString(dims)));
    }
    overflow = overflow || __builtin_mul_overflow(total, d, &total);
  }
  if (overflow) {
    return absl::InvalidArgumentError(absl::StrCat(DimsToString(dims), " elements of ", elem_size,
                                                   " bytes overflow a 64-bit size"));
  }
  if (total > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(DimsToString(dims), " elements of ", elem_size,
                                                     " bytes = ", total, " bytes exceed the ",
                                                     max_bytes, "-byte limit ", kMaxBytesHint));
  }
  return total;
}

absl::StatusOr<PreprocessSpec::Layout> ResolveItemLayout(absl::Span<const int64_t> dims,
                                                         const PreprocessSpec& spec) {
  using Layout = PreprocessSpec::Layout;
  const int64_t c = spec.channels, h = spec.height, w = spec.width;
  const auto rest = dims.subspan(std::min<size_t>(1, dims.size()));
  auto is = [&](std::initializer_list<int64_t> want) {
    return std::equal(rest.begin(), rest.end(), want.begin(), want.end());
  };
  if (is({c, h, w})) return Layout::kNCHW;
  if (is({h, w, c})) return Layout::kNHWC;
  if (c == 1 && is({h, w})) return Layout::kNCHW;
  if (is({c * h * w})) return Layout::kNCHW;
  return absl::InvalidArgumentError(absl::StrCat(
      "array of shape [", absl::StrJoin(dims, ","), "] does not hold items of the preprocessing ",
      "spec's shape=", c, "x", h, "x", w, " (expected [N,", c, ",", h, ",", w, "], [N,", h, ",", w,
      ",", c, "]", c == 1 ? absl::StrCat(", [N,", h, ",", w, "]") : "", " or [N,", c * h * w,
      "])"));
}

absl::Status CheckLabelCount(int64_t label_count, int64_t image_count) {
  if (label_count == image_count) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(label_count, " labels for ", image_count, " images (counts must be equal)"));
}

absl::StatusOr<std::vector<int32_t>> DecodeLabels(absl::string_view data, SampleType type,
                                                  bool big_endian, int64_t count, int64_t offset) {
  if (IsFloatSampleType(type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("labels must be integers, not ", SampleTypeName(type)));
  }
  const size_t size = SampleTypeSize(type);
  const bool is_signed = type != SampleType::kU8;
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    uint64_t u = 0;
    for (size_t b = 0; b < size; ++b) {
      const size_t at = static_cast<size_t>(i) * size + (big_endian ? b : size - 1 - b);
      u = (u << 8) | static_cast<unsigned char>(data[at]);
    }
    if (is_signed && size < 8 && ((u >> (size * 8 - 1)) & 1)) u |= ~uint64_t{0} << (size * 8);
    const int64_t v = static_cast<int64_t>(u);
    if (v < 0 || v > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("label ", i, " at byte ", offset + i * static_cast<int64_t>(size), " is ", v,
                       v < 0 ? "; labels must be >= 0" : "; labels must fit int32"));
    }
    labels[i] = static_cast<int32_t>(v);
  }
  return labels;
}

absl::StatusOr<Dataset> BuildArrayDataset(const ArrayImages& images, absl::string_view labels,
                                          LabelReader read_labels, DatasetFormat format,
                                          const ReaderContext& ctx) {
  absl::StatusOr<PreprocessSpec::Layout> layout = ResolveItemLayout(images.dims, ctx.spec);
  FP_RETURN_IF_ERROR(WithContext(layout.status(), ctx.name));
  RawImages raw;
  raw.bytes = images.data;
  raw.type = images.type;
  raw.big_endian = images.big_endian;
  raw.count = images.dims[0];
  raw.item_layout = *layout;
  std::vector<int32_t> label_values;
  if (!labels.empty()) {
    absl::StatusOr<std::vector<int32_t>> decoded =
        read_labels(labels, raw.count, ctx.opts.max_bytes);
    FP_RETURN_IF_ERROR(WithContext(decoded.status(), ctx.labels_name));
    label_values = *std::move(decoded);
  }
  return BuildDataset(raw, std::move(label_values), format, ctx);
}

absl::StatusOr<Dataset> BuildDataset(RawImages raw, std::vector<int32_t> labels,
                                     DatasetFormat format, const ReaderContext& ctx) {
  if (raw.count == 0) return absl::InvalidArgumentError(absl::StrCat(ctx.name, ": no items"));
  if (ctx.opts.max_items > 0 && raw.count > ctx.opts.max_items) {
    raw.count = ctx.opts.max_items;
    if (!labels.empty()) labels.resize(raw.count);
  }
  const int64_t out_dims[] = {raw.count, ctx.spec.ItemElements()};
  absl::Status fits = CheckedByteSize(out_dims, sizeof(float), ctx.opts.max_bytes).status();
  FP_RETURN_IF_ERROR(WithContext(fits, absl::StrCat(ctx.name, ": preprocessed f32 tensor")));
  absl::StatusOr<ir::Tensor> images = Preprocess(raw, ctx.spec);
  FP_RETURN_IF_ERROR(WithContext(images.status(), ctx.name));
  Dataset ds;
  ds.images = *std::move(images);
  ds.labels = std::move(labels);
  ds.spec = ctx.spec;
  ds.format = format;
  return ds;
}

}  // namespace internal

absl::string_view DatasetFormatName(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kIdx:
      return "idx";
    case DatasetFormat::kCsv:
      return "csv";
    case DatasetFormat::kNpy:
      return "npy";
  }
  return "?";
}

absl::StatusOr<DatasetFormat> SniffDatasetFormat(absl::string_view bytes) {
  std::string inflated;
  if (internal::IsGzip(bytes)) {
    FP_ASSIGN_OR_RETURN(inflated, Inflate(bytes, 4096, /*prefix_only=*/true));
    bytes = inflated;
  }
  auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (absl::StartsWith(bytes, "\x93NUMPY")) return DatasetFormat::kNpy;
  if (bytes.size() >= 4 && byte(0) == 0 && byte(1) == 0 && byte(2) >= 0x08 && byte(2) <= 0x0e &&
      byte(3) >= 1 && byte(3) <= 4) {
    return DatasetFormat::kIdx;
  }
  if (LooksLikeCsv(bytes)) return DatasetFormat::kCsv;
  return absl::InvalidArgumentError(
      "not a recognized dataset format (expected IDX, CSV or .npy, optionally gzipped)");
}

absl::StatusOr<DatasetFormat> DetectDatasetFormat(const std::string& path) {
  std::string lower = absl::AsciiStrToLower(path);
  absl::string_view name = lower;
  absl::ConsumeSuffix(&name, ".gz");
  if (absl::EndsWith(name, ".csv")) return DatasetFormat::kCsv;
  if (absl::EndsWith(name, ".npy")) return DatasetFormat::kNpy;
  if (absl::EndsWith(name, "ubyte") || absl::EndsWith(name, ".idx")) return DatasetFormat::kIdx;
  FP_ASSIGN_OR_RETURN(std::string head, ReadFileBytes(path, 4096, /*must_fit=*/false));
  absl::StatusOr<DatasetFormat> format = SniffDatasetFormat(head);
  if (!format.ok()) return WithContext(format.status(), path);
  return format;
}

absl::StatusOr<Dataset> LoadDataset(const std::string& path, const PreprocessSpec& spec,
                                    const LoadOptions& opts) {
  FP_ASSIGN_OR_RETURN(DatasetFormat format, DetectDatasetFormat(path));
  FP_ASSIGN_OR_RETURN(std::string bytes, ReadFileBytes(path, opts.max_bytes, /*must_fit=*/true));
  std::string labels;
  if (!opts.labels_path.empty()) {
    FP_ASSIGN_OR_RETURN(labels, ReadFileBytes(opts.labels_path, opts.max_bytes, true));
    if (labels.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(opts.labels_path, ": file is empty"));
    }
  }
  return LoadImpl(bytes, labels, format, spec, opts, path, opts.labels_path);
}

absl::StatusOr<Dataset> LoadDatasetFromBytes(absl::string_view bytes, DatasetFormat format,
                                             const PreprocessSpec& spec, const LoadOptions& opts,
                                             absl::string_view labels_bytes) {
  return LoadImpl(bytes, labels_bytes, format, spec, opts, opts.source_name,
                  absl::StrCat(opts.source_name, " labels"));
}

absl::StatusOr<DatasetBatch> Dataset::Items(int64_t first, int64_t count) const {
  if (first < 0 || count <= 0 || first > size() - count) {
    return absl::InvalidArgumentError(absl::StrCat("items [", first, ", ", first, "+", count,
                                                   ") are not within the dataset's ", size()));
  }
  DatasetBatch batch;
  batch.first = first;
  batch.images = images.view();
  batch.images.shape[0] = count;
  const int64_t item_elements = images.NumElements() / size();
  batch.images.data = const_cast<float*>(images.data<float>()) + first * item_elements;
  if (has_labels()) batch.labels = std::span<const int32_t>(labels).subspan(first, count);
  return batch;
}

int64_t Dataset::NumBatches(int64_t batch_size) const {
  return batch_size <= 0 ? 0 : (size() + batch_size - 1) / batch_size;
}

absl::StatusOr<DatasetBatch> Dataset::Batch(int64_t index, int64_t batch_size) const {
  if (batch_size <= 0 || index < 0 || index >= NumBatches(batch_size)) {
    return absl::InvalidArgumentError(absl::StrCat("batch ", index, " of size ", batch_size,
                                                   " is not within the dataset's ", size(),
                                                   " items"));
  }
  const int64_t first = index * batch_size;
  return Items(first, std::min(batch_size, size() - first));
}

}  // namespace fixpoint::io
