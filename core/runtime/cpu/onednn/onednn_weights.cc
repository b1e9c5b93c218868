#include "core/runtime/cpu/onednn/onednn_weights.h"

#include <cstring>
#include <vector>

namespace fixpoint::runtime::onednn {
namespace {

void Reorder(const dnnl::memory& from, const dnnl::memory& to) {
  dnnl::stream stream(CpuEngine());
  dnnl::reorder(from, to).execute(stream, const_cast<dnnl::memory&>(from),
                                  const_cast<dnnl::memory&>(to));
  stream.wait();
}

// Whether `packed`'s only extra is the s8s8 compensation per column (mask
// bit 1, dimension N) of 2-D weights.
bool PlainStrided(const Desc& desc) {
  return desc.data.format_kind == dnnl_blocked && desc.data.format_desc.blocking.inner_nblks == 0;
}

bool OnlyColumnCompensation(const Desc& packed) {
  const dnnl_memory_extra_desc_t& extra = packed.data.extra;
  return packed.data.ndims == 2 &&
         extra.flags == dnnl_memory_extra_flag_compensation_conv_s8s8 &&
         extra.compensation_mask == (1 << 1) && extra.asymm_compensation_mask == 0;
}

}  // namespace

dnnl::memory PackS8Weights(const Desc& user, const int8_t* data, const Desc& packed) {
  const dnnl::memory source(user, CpuEngine(), const_cast<int8_t*>(data));
  dnnl::memory result(packed, CpuEngine());
  if (!OnlyColumnCompensation(packed) || !PlainStrided(user)) {
    Reorder(source, result);
    return result;
  }
  Desc layout = packed;
  layout.data.extra = dnnl_memory_extra_desc_t{};
  const size_t layout_bytes = layout.get_size();
  const int64_t k = packed.data.dims[0], n = packed.data.dims[1];
  if (packed.get_size() < layout_bytes + static_cast<size_t>(n) * sizeof(int32_t)) {
    Reorder(source, result);  // not the layout assumed below
    return result;
  }
  // The same buffer seen without the extra: the data part is laid out alike.
  const dnnl::memory data_part(layout, CpuEngine(), result.get_data_handle());
  Reorder(source, data_part);
  // Column sums from the user's layout, a [K, N] view with strides.
  const int64_t row_stride = user.data.format_desc.blocking.strides[0];
  const int64_t column_stride = user.data.format_desc.blocking.strides[1];
  std::vector<int32_t> sums(static_cast<size_t>(n), 0);
  if (column_stride == 1) {
    for (int64_t i = 0; i < k; ++i) {
      const int8_t* row = data + i * row_stride;
      for (int64_t j = 0; j < n; ++j) sums[j] += row[j];
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      const int8_t* column = data + j * column_stride;
      int32_t sum = 0;
      for (int64_t i = 0; i < k; ++i) sum += column[i * row_stride];
      sums[j] = sum;
    }
  }
  // The extra part: N compensations, then (padded columns, alignment)
  // zeros, as oneDNN's reorder leaves them.
  std::byte* extra = static_cast<std::byte*>(result.get_data_handle()) + layout_bytes;
  std::memset(extra, 0, packed.get_size() - layout_bytes);
  auto* compensation = reinterpret_cast<int32_t*>(extra);
  for (int64_t j = 0; j < n; ++j) compensation[j] = -128 * sums[j];
  return result;
}

}  // namespace fixpoint::runtime::onednn
