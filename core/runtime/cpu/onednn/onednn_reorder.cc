// Layout conversion between kernels: a oneDNN reorder from a non-plain layout
// to the plain row-major one (see Layout in core/runtime/kernel.h).
#include "absl/strings/str_cat.h"
#include "core/runtime/cpu/onednn/onednn_kernels.h"
#include "core/runtime/cpu/onednn/onednn_util.h"

namespace fixpoint::runtime::onednn {

KernelOr CreateToPlainReorder(const ir::Node& node, const ir::ValueInfo& info, Layout from) {
  return CatchDnnl(node.Describe(), Stage::kCreate, [&]() -> KernelOr {
    const auto dt = DnnlType(info.dtype);
    if (!dt || info.shape.rank() != 4) {
      return Unsupported(node, absl::StrCat("no ", LayoutName(from), " layout for ",
                                            ir::DTypeName(info.dtype), info.shape.ToString()));
    }
    const Dims dims = ToDims(info.shape);
    const Desc src = LayoutDesc(dims, from, *dt), dst = LayoutDesc(dims, Layout::kPlain, *dt);
    const dnnl::reorder::primitive_desc pd(CpuEngine(), src, CpuEngine(), dst,
                                           UserScratchpadAttr());
    SequenceBuilder builder(node);
    builder.AddStep(dnnl::reorder(pd), pd,
                    {Binding::Input(DNNL_ARG_FROM, 0, src), Binding::Output(DNNL_ARG_TO, 0, dst)});
    return std::move(builder).Build(absl::StrCat("onednn:reorder:", LayoutName(from)));
  });
}

}  // namespace fixpoint::runtime::onednn
