#include "core/runtime/cpu/onednn/onednn_weights.h"

#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

namespace fixpoint::runtime::onednn {
namespace {

void Reorder(const dnnl::memory& from, const dnnl::memory& to) {
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(from, to).execute(stream, const_cast<dnnl::memory&>(from),
                                  const_cast<dnnl::memory&>(to));
  stream.wait();
}

// Whether `desc` is 2-D s8 in a plain strided layout starting at its handle.
bool PlainS8Matrix(const Desc& desc) {
  return desc.data.ndims == 2 && desc.data.data_type == dnnl_s8 &&
         desc.data.format_kind == dnnl_blocked && desc.data.offset0 == 0 &&
         desc.data.format_desc.blocking.inner_nblks == 0;
}

// Whether `packed`'s only extra is the s8s8 compensation per column (mask
// bit 1, dimension N) of 2-D weights.
bool OnlyColumnCompensation(const Desc& packed) {
  const dnnl_memory_extra_desc_t& extra = packed.data.extra;
  return packed.data.ndims == 2 &&
         extra.flags == dnnl_memory_extra_flag_compensation_conv_s8s8 &&
         extra.compensation_mask == (1 << 1) && extra.asymm_compensation_mask == 0;
}

// -128 * the sum over K of each column of the [K, N] view `user` of `data`,
// or false if one does not fit in s32 (K above 131,071 can overflow).
bool ColumnCompensations(const Desc& user, const int8_t* data, std::vector<int32_t>& out) {
  const int64_t k = user.data.dims[0], n = user.data.dims[1];
  const int64_t row_stride = user.data.format_desc.blocking.strides[0];
  const int64_t column_stride = user.data.format_desc.blocking.strides[1];
  std::vector<int64_t> sums(static_cast<size_t>(n), 0);
  if (column_stride == 1) {
    for (int64_t i = 0; i < k; ++i) {
      const int8_t* row = data + i * row_stride;
      for (int64_t j = 0; j < n; ++j) sums[j] += row[j];
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const int8_t* column = data + j * column_stride;
      int64_t sum = 0;
      for (int64_t i = 0; i < k; ++i) sum += column[i * row_stride];
      sums[j] = sum;
    }
  }
  out.resize(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) {
    const int64_t c = -128 * sums[j];
    if (c < std::numeric_limits<int32_t>::min() || c > std::numeric_limits<int32_t>::max()) {
      return false;
    }
    out[j] = static_cast<int32_t>(c);
  }
  return true;
}

}  // namespace

dnnl::memory PackS8Weights(const Desc& user, const int8_t* data, const Desc& packed) {
  const dnnl::memory source(user, CpuEngine(), const_cast<int8_t*>(data));
  dnnl::memory result(packed, CpuEngine());
  std::vector<int32_t> compensations;
  Desc layout = packed;
  layout.data.extra = dnnl_memory_extra_desc_t{};
  const size_t layout_bytes = layout.get_size();
  const int64_t n = packed.data.dims[1];
  // The compensations follow the data, which oneDNN rounds up to 4 bytes:
  // only a data size already a multiple of 4 puts them at layout_bytes.
  if (!OnlyColumnCompensation(packed) || !PlainS8Matrix(user) ||
      layout_bytes % sizeof(int32_t) != 0 ||
      packed.get_size() < layout_bytes + static_cast<size_t>(n) * sizeof(int32_t) ||
      !ColumnCompensations(user, data, compensations)) {
    Reorder(source, result);
    return result;
  }
  // The same buffer seen without the extra: the data part is laid out alike.
  const dnnl::memory data_part(layout, CpuEngine(), result.get_data_handle());
  Reorder(source, data_part);
  // The extra part: N compensations, then (padded columns, alignment)
  // zeros, as oneDNN's reorder leaves them.
  std::byte* extra = static_cast<std::byte*>(result.get_data_handle()) + layout_bytes;
  std::memset(extra, 0, packed.get_size() - layout_bytes);
  std::memcpy(extra, compensations.data(), compensations.size() * sizeof(int32_t));
  return result;
}

}  // namespace fixpoint::runtime::onednn
