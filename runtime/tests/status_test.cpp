//===- status_test.cpp - Status and StatusOr --------------------*- C++ -*-===//

#include "sparsec/formats/status.h"

#include <gtest/gtest.h>

namespace sparsec {
namespace {

StatusOr<int> parsePositive(int value) {
  if (value <= 0)
    return Status(StatusCode::kInvalidArgument,
                  "expected a positive value, got " + std::to_string(value));
  return value;
}

TEST(StatusTest, OkByDefault) {
  Status status;
  EXPECT_TRUE(status.isOk());
  EXPECT_STREQ(statusCodeName(status.code()), "ok");
}

TEST(StatusTest, StatusOrCarriesValueOrError) {
  StatusOr<int> good = parsePositive(3);
  ASSERT_TRUE(good.isOk());
  EXPECT_EQ(*good, 3);
  StatusOr<int> bad = parsePositive(-1);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "expected a positive value, got -1");
}

} // namespace
} // namespace sparsec
