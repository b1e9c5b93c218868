// MeasureLayerErrors on the bundled seed_cnn: every quantized activation is
// measured, ranked worst (lowest SQNR) first, with finite, positive errors
// where quantization changes values and an exact input (pixels/255 on the
// u8 grid of scale 1/255) reported as error-free; and a manifest round trip.
#include "core/quant/layer_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/io/dataset.h"
#include "core/io/onnx_importer.h"
#include "core/quant/artifact.h"
#include "core/quant/quantizer.h"

namespace fixpoint::quant {
namespace {

TEST(LayerReportTest, RanksQuantizedActivationsOfSeedCnn) {
  auto graph = io::ImportOnnxFile(FP_SOURCE_DIR "/models/seed_cnn.onnx");
  ASSERT_TRUE(graph.ok()) << graph.status();
  io::LoadOptions load;
  load.max_items = 64;
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  auto calib = io::LoadDataset(data + "train-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
  auto test = io::LoadDataset(data + "t10k-images-idx3-ubyte.gz", io::PreprocessSpec{}, load);
  ASSERT_TRUE(calib.ok() && test.ok());
  QuantizeOptions options;
  options.method = "minmax";
  options.num_images = 64;
  auto q = Quantize(*graph, *calib, options);
  ASSERT_TRUE(q.ok()) << q.status();
  auto prepared = PrepareForQuantization(*graph);
  ASSERT_TRUE(prepared.ok());
  LayerReportOptions report_options;
  report_options.max_images = 32;
  report_options.batch = 16;
  auto layers = MeasureLayerErrors(*prepared, q->graph, *test, report_options);
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), q->tensors.size());
  for (size_t i = 1; i < layers->size(); ++i) {
    EXPECT_LE((*layers)[i - 1].sqnr_db, (*layers)[i].sqnr_db) << "not ranked worst first";
  }
  int exact = 0;
  for (const LayerError& e : *layers) {
    EXPECT_GT(e.elements, 0) << e.tensor;
    if (std::isinf(e.sqnr_db)) {
      ++exact;
      EXPECT_EQ(e.mse, 0.0) << e.tensor;
      EXPECT_EQ(e.tensor, "input");
    } else {
      EXPECT_GT(e.mse, 0.0) << e.tensor;
      EXPECT_GT(e.sqnr_db, 10.0) << e.tensor;  // int8 keeps well above 10 dB here
    }
  }
  EXPECT_LE(exact, 1);

  Manifest m;
  m.layers = *layers;
  auto back = ParseManifest(ManifestToJson(m));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->layers.size(), layers->size());
  EXPECT_EQ(back->layers[0].tensor, (*layers)[0].tensor);
  EXPECT_EQ(std::isinf(back->layers.back().sqnr_db), std::isinf(layers->back().sqnr_db));
}

}  // namespace
}  // namespace fixpoint::quant
