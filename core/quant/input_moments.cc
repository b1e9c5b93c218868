#include "core/quant/input_moments.h"

#include <algorithm>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant {
namespace {

absl::Status Unsupported(const ir::Node& node, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(node.Describe(), ": input moments unsupported: ", why));
}

// Attribute `key`'s first value per spatial axis (H, W), or the default; a
// 1-D conv's one axis is W. Pads list the begin pads first.
absl::StatusOr<std::pair<int64_t, int64_t>> PerAxis(const ir::Node& node, const char* key,
                                                    int spatial, int64_t dflt) {
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> v, node.GetInts(key, {}));
  if (v.empty()) return std::pair<int64_t, int64_t>{dflt, dflt};
  if (static_cast<int>(v.size()) < spatial) return Unsupported(node, key);
  if (spatial == 1) return std::pair<int64_t, int64_t>{dflt, v[0]};
  return std::pair<int64_t, int64_t>{v[0], v[1]};
}

}  // namespace

absl::StatusOr<InputMoments> InputMoments::For(const ir::Graph& graph, const ir::Node& node) {
  InputMoments m;
  if (node.op_type == "Gemm") {
    FP_ASSIGN_OR_RETURN(int64_t ta, node.GetInt("transA", 0));
    FP_ASSIGN_OR_RETURN(int64_t tb, node.GetInt("transB", 0));
    m.trans_a_ = ta != 0;
    m.trans_b_ = tb != 0;
    const ir::ValueInfo* x = graph.FindValueInfo(node.inputs[0]);
    if (x == nullptr || x->shape.rank() != 2) return Unsupported(node, "input is not 2-D");
    m.channels_ = x->shape[m.trans_a_ ? 0 : 1];
    if (m.channels_ <= 0) return Unsupported(node, "K is not static");
    m.sums_.assign(m.channels_, 0.0);
    return m;
  }
  if (node.op_type != "Conv") return Unsupported(node, "not a Conv or Gemm");
  m.conv_ = true;
  const ir::ValueInfo* x = graph.FindValueInfo(node.inputs[0]);
  const ir::ValueInfo* y = graph.FindValueInfo(node.outputs[0]);
  const ir::Tensor* w = graph.FindInitializer(node.inputs[1]);
  const ir::ValueInfo* wi = graph.FindValueInfo(node.inputs[1]);
  const ir::Shape* ws = w != nullptr ? &w->shape() : wi != nullptr ? &wi->shape : nullptr;
  if (x == nullptr || y == nullptr || ws == nullptr) return Unsupported(node, "shapes unknown");
  const int spatial = x->shape.rank() - 2;
  if ((spatial != 1 && spatial != 2) || y->shape.rank() != x->shape.rank() ||
      ws->rank() != x->shape.rank()) {
    return Unsupported(node, "only 1-D and 2-D convolutions");
  }
  for (int i = 1; i < x->shape.rank(); ++i) {
    if (x->shape[i] <= 0 || (i >= 2 && y->shape[i] <= 0) || (*ws)[i] <= 0) {
      return Unsupported(node, "input channels and spatial sizes must be static");
    }
  }
  m.channels_ = x->shape[1];
  m.h_ = spatial == 2 ? x->shape[2] : 1;
  m.w_ = x->shape[x->shape.rank() - 1];
  m.oh_ = spatial == 2 ? y->shape[2] : 1;
  m.ow_ = y->shape[y->shape.rank() - 1];
  m.kh_ = spatial == 2 ? (*ws)[2] : 1;
  m.kw_ = (*ws)[ws->rank() - 1];
  FP_ASSIGN_OR_RETURN(auto strides, PerAxis(node, "strides", spatial, 1));
  FP_ASSIGN_OR_RETURN(auto dilations, PerAxis(node, "dilations", spatial, 1));
  FP_ASSIGN_OR_RETURN(auto pads, PerAxis(node, "pads", spatial, 0));
  FP_ASSIGN_OR_RETURN(std::string auto_pad, node.GetString("auto_pad", "NOTSET"));
  if (auto_pad != "NOTSET" && auto_pad != "VALID") {
    return Unsupported(node, "auto_pad must be resolved (run shape inference)");
  }
  std::tie(m.sh_, m.sw_) = strides;
  std::tie(m.dh_, m.dw_) = dilations;
  std::tie(m.ph_, m.pw_) = pads;  // begin pads: the first of each axis
  if (spatial == 1) m.ph_ = 0;
  FP_ASSIGN_OR_RETURN(m.group_, node.GetInt("group", 1));
  if (m.group_ <= 0 || m.channels_ % m.group_ != 0) return Unsupported(node, "bad group");
  m.sums_.assign(m.channels_ * m.h_ * m.w_, 0.0);
  return m;
}

namespace {

// Adds element (n, i) of the [rows, size] values at `v` to sum[i] (or, with
// `transposed`, element (i, n) of [size, rows]). The plain case runs over
// contiguous pieces of rows, which the compiler vectorises.
template <typename T>
void SumRows(const void* v, int64_t rows, int64_t size, bool transposed, std::vector<float>& sum) {
  const T* p = static_cast<const T*>(v);
  float* s = sum.data();
  if (transposed) {
    for (int64_t i = 0; i < size; ++i) {
      for (int64_t n = 0; n < rows; ++n) s[i] += static_cast<float>(p[i * rows + n]);
    }
    return;
  }
  // Columns in blocks whose accumulators stay in L1 across all the rows
  // (a whole row of sums, 50 KB for a 16 x 28 x 28 input, does not);
  // integers accumulate exactly in int32 (255 * rows < 2^31).
  using Acc = std::conditional_t<std::is_integral_v<T>, int32_t, float>;
  constexpr int64_t kBlock = 2048;
  Acc acc[kBlock];
  for (int64_t begin = 0; begin < size; begin += kBlock) {
    const int64_t width = std::min(kBlock, size - begin);
    std::fill_n(acc, width, Acc{0});
    for (int64_t n = 0; n < rows; ++n) {
      const T* row = p + n * size + begin;
      // Fixed-length pieces: GCC's -O2 cost model vectorises only loops of
      // a known trip count.
      int64_t i = 0;
      for (; i + 32 <= width; i += 32) {
        for (int64_t j = 0; j < 32; ++j) acc[i + j] += static_cast<Acc>(row[i + j]);
      }
      for (; i < width; ++i) acc[i] += static_cast<Acc>(row[i]);
    }
    for (int64_t i = 0; i < width; ++i) s[begin + i] += static_cast<float>(acc[i]);
  }
}

// SumRows for the u8, i8 or f32 values of `x`.
void SumRowsOf(const ir::TensorView& x, int64_t rows, int64_t size, bool transposed,
               std::vector<float>& sum) {
  switch (x.dtype) {
    case ir::DType::kU8:
      SumRows<uint8_t>(x.data, rows, size, transposed, sum);
      break;
    case ir::DType::kI8:
      SumRows<int8_t>(x.data, rows, size, transposed, sum);
      break;
    default:
      SumRows<float>(x.data, rows, size, transposed, sum);
      break;
  }
}

}  // namespace

absl::Status InputMoments::Add(const ir::TensorView& x) { return AddQuantized(x, 1.0f, 0); }

absl::Status InputMoments::AddQuantized(const ir::TensorView& x, float scale, int32_t zero_point) {
  if ((x.dtype != ir::DType::kF32 && x.dtype != ir::DType::kU8 && x.dtype != ir::DType::kI8) ||
      x.shape.rank() < 2 || (x.dtype == ir::DType::kF32 && (scale != 1.0f || zero_point != 0))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input moments: input of type ", ir::DTypeName(x.dtype), " and rank ", x.shape.rank()));
  }
  int64_t rows = 0, size = 0;
  if (conv_) {
    size = channels_ * h_ * w_;
    rows = x.shape[0];
    if (x.shape[1] != channels_ || x.NumElements() != rows * size) {
      return absl::InvalidArgumentError(
          absl::StrCat("input moments: Conv input of shape ", x.shape.ToString()));
    }
  } else {
    size = channels_;
    rows = x.shape[trans_a_ ? 1 : 0];
    if (x.shape.rank() != 2 || x.shape[trans_a_ ? 0 : 1] != channels_) {
      return absl::InvalidArgumentError(absl::StrCat("input moments: Gemm input of shape ",
                                                     x.shape.ToString(), " for K = ", channels_));
    }
  }
  // Float sums per batch (exact for int8 values), folded into doubles.
  std::vector<float> batch(size, 0.0f);
  const bool transposed = !conv_ && trans_a_;
  SumRowsOf(x, rows, size, transposed, batch);
  Fold(batch, rows, scale, zero_point);
  return absl::OkStatus();
}

void InputMoments::Fold(const std::vector<float>& batch, int64_t rows, float scale,
                        int32_t zero_point) {
  const double offset = static_cast<double>(rows) * zero_point;
  for (size_t i = 0; i < batch.size(); ++i) sums_[i] += scale * (batch[i] - offset);
  rows_ += rows;
}

absl::Status InputMoments::AddObserved(const runtime::ObservedValue& value, float scale,
                                       int32_t zero_point) {
  const ir::TensorView& x = value.view;
  if (value.channel_block == 0 && !value.channels_last) return AddQuantized(x, scale, zero_point);
  const bool quantized = x.dtype == ir::DType::kU8 || x.dtype == ir::DType::kI8;
  const bool f32 = x.dtype == ir::DType::kF32 && scale == 1.0f && zero_point == 0;
  if (!conv_ || !(f32 || (quantized && value.channel_block == 0)) || x.shape.rank() != 4 ||
      x.shape[1] != channels_ || x.shape[2] != h_ || x.shape[3] != w_) {
    return absl::InvalidArgumentError(absl::StrCat("input moments: observed ",
                                                   ir::DTypeName(x.dtype), " value of shape ",
                                                   x.shape.ToString()));
  }
  const int64_t rows = x.shape[0], plane = h_ * w_;
  const int64_t block = value.channels_last ? channels_ : value.channel_block;
  const int64_t blocks = value.channels_last ? 1 : (channels_ + block - 1) / block;
  // Sum the images in their own layout (contiguous), then reorder once.
  const int64_t per_image = blocks * plane * block;
  std::vector<float> image_sum(per_image, 0.0f);
  SumRowsOf(x, rows, per_image, /*transposed=*/false, image_sum);
  std::vector<float> batch(channels_ * plane, 0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t lanes = std::min(block, channels_ - b * block);
    const float* src = image_sum.data() + b * plane * block;
    for (int64_t i = 0; i < plane; ++i) {
      for (int64_t l = 0; l < lanes; ++l) batch[(b * block + l) * plane + i] = src[i * block + l];
    }
  }
  Fold(batch, rows, scale, zero_point);
  return absl::OkStatus();
}

absl::Status InputMoments::Merge(const InputMoments& other) {
  const auto geometry = [](const InputMoments& m) {
    return std::tie(m.conv_, m.trans_a_, m.trans_b_, m.channels_, m.h_, m.w_, m.oh_, m.ow_, m.kh_,
                    m.kw_, m.sh_, m.sw_, m.dh_, m.dw_, m.ph_, m.pw_, m.group_);
  };
  if (geometry(other) != geometry(*this) || other.sums_.size() != sums_.size()) {
    return absl::InvalidArgumentError("input moments: merging the moments of another geometry");
  }
  for (size_t i = 0; i < sums_.size(); ++i) sums_[i] += other.sums_[i];
  rows_ += other.rows_;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<double>> InputMoments::Means(const ir::Tensor& weight) const {
  if (rows_ == 0) return absl::FailedPreconditionError("input moments: nothing added");
  if (weight.dtype() != ir::DType::kF32) {
    return absl::InvalidArgumentError("input moments: weight is not f32");
  }
  const float* wv = weight.data<float>();
  if (!conv_) {
    if (weight.shape().rank() != 2 || weight.shape()[trans_b_ ? 1 : 0] != channels_) {
      return absl::InvalidArgumentError(absl::StrCat("input moments: Gemm weight of shape ",
                                                     weight.shape().ToString()));
    }
    const int64_t outputs = weight.shape()[trans_b_ ? 0 : 1];
    std::vector<double> means(outputs, 0.0);
    // Four outputs at a time, each summed over k in order as one output
    // alone would be: four independent chains of additions instead of one
    // (seed_cnn's 1600 x 512 layer: 1 ms per call as one chain). Row o of
    // the weight as [outputs, K] with a stride between its elements.
    const int64_t row_stride = trans_b_ ? channels_ : 1;
    const int64_t k_stride = trans_b_ ? 1 : outputs;
    const double* sums = sums_.data();
    int64_t o = 0;
    for (; o + 4 <= outputs; o += 4) {
      const float* w0 = wv + o * row_stride;
      const float* w1 = w0 + row_stride;
      const float* w2 = w1 + row_stride;
      const float* w3 = w2 + row_stride;
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (int64_t k = 0; k < channels_; ++k) {
        const int64_t at = k * k_stride;
        s0 += static_cast<double>(w0[at]) * sums[k];
        s1 += static_cast<double>(w1[at]) * sums[k];
        s2 += static_cast<double>(w2[at]) * sums[k];
        s3 += static_cast<double>(w3[at]) * sums[k];
      }
      means[o] = s0 / static_cast<double>(rows_);
      means[o + 1] = s1 / static_cast<double>(rows_);
      means[o + 2] = s2 / static_cast<double>(rows_);
      means[o + 3] = s3 / static_cast<double>(rows_);
    }
    for (; o < outputs; ++o) {
      const float* w0 = wv + o * row_stride;
      double s0 = 0;
      for (int64_t k = 0; k < channels_; ++k) s0 += static_cast<double>(w0[k * k_stride]) * sums[k];
      means[o] = s0 / static_cast<double>(rows_);
    }
    return means;
  }
  const ir::Shape& ws = weight.shape();
  const int64_t per_group = channels_ / group_;
  if (ws.rank() < 3 || ws[1] != per_group || ws[0] % group_ != 0 ||
      weight.NumElements() != ws[0] * per_group * kh_ * kw_) {
    return absl::InvalidArgumentError(
        absl::StrCat("input moments: Conv weight of shape ", ws.ToString()));
  }
  // taps[c][i][j]: the sum of the input over every position tap (i, j) reads.
  std::vector<double> taps(channels_ * kh_ * kw_, 0.0);
  std::vector<double> rows(w_);
  for (int64_t c = 0; c < channels_; ++c) {
    const double* s = sums_.data() + c * h_ * w_;
    for (int64_t i = 0; i < kh_; ++i) {
      // Sum over the output rows of the input rows tap row i reads.
      std::fill(rows.begin(), rows.end(), 0.0);
      for (int64_t oy = 0; oy < oh_; ++oy) {
        const int64_t y = oy * sh_ + i * dh_ - ph_;
        if (y < 0 || y >= h_) continue;
        for (int64_t x = 0; x < w_; ++x) rows[x] += s[y * w_ + x];
      }
      for (int64_t j = 0; j < kw_; ++j) {
        double t = 0;
        for (int64_t ox = 0; ox < ow_; ++ox) {
          const int64_t x = ox * sw_ + j * dw_ - pw_;
          if (x >= 0 && x < w_) t += rows[x];
        }
        taps[(c * kh_ + i) * kw_ + j] = t;
      }
    }
  }
  const int64_t outputs = ws[0];
  const int64_t out_per_group = outputs / group_;
  const double count = static_cast<double>(rows_) * oh_ * ow_;
  std::vector<double> means(outputs, 0.0);
  for (int64_t o = 0; o < outputs; ++o) {
    const int64_t first_channel = (o / out_per_group) * per_group;
    double s = 0;
    for (int64_t ci = 0; ci < per_group; ++ci) {
      const float* w = wv + (o * per_group + ci) * kh_ * kw_;
      const double* t = taps.data() + (first_channel + ci) * kh_ * kw_;
      for (int64_t k = 0; k < kh_ * kw_; ++k) s += static_cast<double>(w[k]) * t[k];
    }
    means[o] = s / count;
  }
  return means;
}

}  // namespace fixpoint::quant
