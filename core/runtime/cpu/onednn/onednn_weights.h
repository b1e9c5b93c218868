// Constant int8 weights packed into a primitive's layout once, at binding.
// Thread-safe (pure; the returned memory is the caller's).
#ifndef FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WEIGHTS_H_
#define FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WEIGHTS_H_

#include <cstdint>

#include "core/runtime/cpu/onednn/onednn_util.h"

namespace fixpoint::runtime::onednn {

// 2-D s8 weights [K, N] described by `user` over `data`, in the layout
// `packed` (a matmul primitive's weights_desc()). Byte for byte what
// dnnl::reorder(user -> packed) writes, compensation included, but faster
// where that matters: for an s8 source oneDNN asks for an s8s8 compensation
// (-128 * sum over K of each column, s32, after the data), and its reorder
// then takes a slow generic path (1.4-1.8 ms warm, 14 ms cold, for seed_cnn's
// 1600 x 512 weight, against 0.1-0.4 ms for the layout alone). So when that
// compensation is the only extra, the layout is reordered alone and the
// compensation written here; anything else (other extras, a user layout
// that is not plain s8, sums that overflow s32, data not a multiple of 4
// bytes) goes through oneDNN's reorder.
// Throws dnnl::error as oneDNN does.
dnnl::memory PackS8Weights(const Desc& user, const int8_t* data, const Desc& packed);

}  // namespace fixpoint::runtime::onednn

#endif  // FIXPOINT_CORE_RUNTIME_CPU_ONEDNN_ONEDNN_WEIGHTS_H_
