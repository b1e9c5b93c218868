#include "core/runtime/cpu/onednn/onednn_window.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace fixpoint::runtime::onednn {
namespace {

absl::Status CheckSize(const ir::Node& node, const char* attr, size_t got, size_t want) {
  if (got == want) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(node.Describe(), ": attribute '", attr,
                                                 "' has ", got, " values, expected ", want));
}

// SAME_UPPER / SAME_LOWER / VALID → explicit pads.
absl::Status ResolveAutoPad(const ir::Node& node, const std::string& auto_pad,
                            const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                            Window& w) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (auto_pad == "VALID") {
      w.pad_begin[i] = w.pad_end[i] = 0;
      continue;
    }
    const int64_t total = std::max<int64_t>(0, (out[i] - 1) * w.strides[i] + w.Extent(i) - in[i]);
    if (auto_pad == "SAME_UPPER") {
      w.pad_begin[i] = total / 2;
    } else if (auto_pad == "SAME_LOWER") {
      w.pad_begin[i] = total - total / 2;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": unknown auto_pad '", auto_pad, "'"));
    }
    w.pad_end[i] = total - w.pad_begin[i];
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<int64_t> Window::DnnlDilations() const {
  std::vector<int64_t> d(dilations.size());
  for (size_t i = 0; i < d.size(); ++i) d[i] = dilations[i] - 1;
  return d;
}

absl::StatusOr<Window> ParseWindow(const ir::Node& node, const std::vector<int64_t>& in_spatial,
                                   const std::vector<int64_t>& out_spatial,
                                   const std::vector<int64_t>& weight_kernel) {
  const size_t n = in_spatial.size();
  Window w;
  FP_ASSIGN_OR_RETURN(w.kernel, node.GetInts("kernel_shape", weight_kernel));
  FP_RETURN_IF_ERROR(CheckSize(node, "kernel_shape", w.kernel.size(), n));
  if (!weight_kernel.empty() && w.kernel != weight_kernel) {
    return absl::InvalidArgumentError(
        absl::StrCat(node.Describe(), ": kernel_shape disagrees with the weights"));
  }
  FP_ASSIGN_OR_RETURN(w.strides, node.GetInts("strides", std::vector<int64_t>(n, 1)));
  FP_RETURN_IF_ERROR(CheckSize(node, "strides", w.strides.size(), n));
  FP_ASSIGN_OR_RETURN(w.dilations, node.GetInts("dilations", std::vector<int64_t>(n, 1)));
  FP_RETURN_IF_ERROR(CheckSize(node, "dilations", w.dilations.size(), n));
  FP_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                      node.GetInts("pads", std::vector<int64_t>(2 * n, 0)));
  FP_RETURN_IF_ERROR(CheckSize(node, "pads", pads.size(), 2 * n));
  for (size_t i = 0; i < n; ++i) {
    if (w.kernel[i] < 1 || w.strides[i] < 1 || w.dilations[i] < 1 || pads[i] < 0 ||
        pads[n + i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(node.Describe(), ": non-positive kernel/stride/dilation or negative pad"));
    }
  }
  w.pad_begin.assign(pads.begin(), pads.begin() + n);
  w.pad_end.assign(pads.begin() + n, pads.end());
  FP_ASSIGN_OR_RETURN(std::string auto_pad, node.GetString("auto_pad", "NOTSET"));
  if (auto_pad != "NOTSET" && !auto_pad.empty()) {
    FP_RETURN_IF_ERROR(ResolveAutoPad(node, auto_pad, in_spatial, out_spatial, w));
  }
  return w;
}

std::vector<int64_t> EndPadForOutput(const Window& w, const std::vector<int64_t>& in_spatial,
                                     const std::vector<int64_t>& out_spatial) {
  std::vector<int64_t> end(in_spatial.size());
  for (size_t i = 0; i < end.size(); ++i) {
    end[i] = (out_spatial[i] - 1) * w.strides[i] + w.Extent(i) - in_spatial[i] - w.pad_begin[i];
  }
  return end;
}

}  // namespace fixpoint::runtime::onednn
