// How CalibrateGraph splits the calibration images into batches: equal
// batches where a split into at most twice the fewest batches exists, so
// that kernels are bound for one batch shape.
#include "core/quant/calibrate_graph.h"

#include <gtest/gtest.h>

namespace fixpoint::quant {
namespace {

TEST(CalibrationBatchSizeTest, SplitsIntoEqualBatchesWhenItCan) {
  EXPECT_EQ(CalibrationBatchSize(100, 32), 25);    // 4 x 25, not 32, 32, 32, 4
  EXPECT_EQ(CalibrationBatchSize(1000, 32), 25);   // 40 x 25
  EXPECT_EQ(CalibrationBatchSize(3200, 32), 32);   // already equal
  EXPECT_EQ(CalibrationBatchSize(60000, 32), 32);  // 1875 x 32
  EXPECT_EQ(CalibrationBatchSize(96, 64), 48);
}

TEST(CalibrationBatchSizeTest, NeverExceedsTheRequestedSize) {
  for (int batch = 1; batch <= 70; ++batch) {
    for (int64_t images = 1; images <= 400; ++images) {
      const int64_t size = CalibrationBatchSize(images, batch);
      ASSERT_GE(size, 1);
      ASSERT_LE(size, batch) << images << " images, batch " << batch;
      // Never more batches than twice the fewest possible.
      const int64_t fewest = (images + batch - 1) / batch;
      ASSERT_LE((images + size - 1) / size, 2 * fewest) << images << " images, batch " << batch;
    }
  }
}

TEST(CalibrationBatchSizeTest, FewerImagesThanABatchIsOneBatch) {
  EXPECT_EQ(CalibrationBatchSize(7, 32), 7);
  EXPECT_EQ(CalibrationBatchSize(1, 32), 1);
}

TEST(CalibrationBatchSizeTest, FallsBackToNearlyEqualBatches) {
  // 101 is prime: no equal split into 4 to 8 batches; 26, 26, 26, 23.
  EXPECT_EQ(CalibrationBatchSize(101, 32), 26);
  // 37 images, batch 32: 2 batches of 19 and 18 rather than 32 and 5.
  EXPECT_EQ(CalibrationBatchSize(37, 32), 19);
  // 33 images, batch 32: 3 x 11 rather than 32 and 1.
  EXPECT_EQ(CalibrationBatchSize(33, 32), 11);
}

}  // namespace
}  // namespace fixpoint::quant
