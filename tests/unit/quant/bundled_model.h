// Helpers for quant tests on the bundled models: a model prepared for
// quantization and the first Fashion-MNIST training images.
#ifndef FIXPOINT_TESTS_UNIT_QUANT_BUNDLED_MODEL_H_
#define FIXPOINT_TESTS_UNIT_QUANT_BUNDLED_MODEL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/quant/quantizer.h"
#include "core/util/status_macros.h"

namespace fixpoint::quant::testing {

// models/<name>.onnx, PrepareForQuantization'd.
inline absl::StatusOr<ir::Graph> PreparedBundledModel(const std::string& name) {
  FP_ASSIGN_OR_RETURN(ir::Graph graph,
                      io::ImportOnnxFile(std::string(FP_SOURCE_DIR "/models/") + name + ".onnx"));
  return PrepareForQuantization(graph);
}

// The first `images` Fashion-MNIST training images, preprocessed as the
// bundled models expect.
inline absl::StatusOr<io::Dataset> FashionTrainImages(int64_t images) {
  io::LoadOptions load;
  load.max_items = images;
  return io::LoadDataset("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                         io::PreprocessSpec{}, load);
}

}  // namespace fixpoint::quant::testing

#endif  // FIXPOINT_TESTS_UNIT_QUANT_BUNDLED_MODEL_H_
