//===- SparseFFNOpsTest.cpp - building sfn ops programmatically -*- C++ -*-===//

#include "OpBuilderFixture.h"

using namespace mlir;
using namespace mlir::sparsec;
using namespace sparsec_test;

namespace {

using SparseFFNOpsTest = OpBuilderTest;

RankedTensorType compact(OpBuilder &b) {
  return RankedTensorType::get({ShapedType::kDynamic}, b.getF32Type());
}

/// predict -> gather gate/up -> activate -> scatter down, the unfused form
/// of a predicted sparse FFN.
TEST_F(SparseFFNOpsTest, UnfusedPredictedChainVerifies) {
  Value x = activation(32), residual = activation(32);
  auto setType = sfn::ActiveSetType::get(&context, 128);
  auto set = sfn::PredictOp::create(
      builder, loc, setType, residual, param("fc1", mat(8, 32)),
      param("fc2", mat(128, 8)), builder.getF32FloatAttr(0.0f));
  EXPECT_TRUE(verifies(set)) << lastError;
  auto gate = sfn::GatherMatvecOp::create(builder, loc, compact(builder),
                                          param("g", mat(128, 32)), set, x);
  auto up = sfn::GatherMatvecOp::create(builder, loc, compact(builder),
                                        param("u", mat(128, 32)), set, x);
  auto h = sfn::ActivateOp::create(
      builder, loc, gate, up,
      llm::ActivationAttr::get(&context, llm::Activation::DReLU));
  auto y = sfn::ScatterMatvecOp::create(builder, loc, vec(32),
                                        param("dt", mat(128, 32)), set, h,
                                        builder.getI64IntegerAttr(0));
  for (Operation *op : {gate.getOperation(), up.getOperation(),
                        h.getOperation(), y.getOperation()})
    EXPECT_TRUE(verifies(op)) << lastError;
}

TEST_F(SparseFFNOpsTest, GatherRejectsRowsOutsideTheSet) {
  auto setType = sfn::ActiveSetType::get(&context, 64);
  Value set = sfn::PredictOp::create(
      builder, loc, setType, activation(32), param("fc1", mat(8, 32)),
      param("fc2", mat(64, 8)), builder.getF32FloatAttr(0.0f));
  auto bad = sfn::GatherMatvecOp::create(builder, loc, compact(builder),
                                         param("g", mat(128, 32)), set,
                                         activation(32));
  EXPECT_FALSE(verifies(bad));
  EXPECT_NE(lastError.find("expects weight of shape [64x32], got [128x32]"),
            std::string::npos)
      << lastError;
}

TEST_F(SparseFFNOpsTest, FusedModesAreChecked) {
  Value x = activation(32);
  auto build = [&](sfn::SparseMode mode, llm::Activation activation,
                   bool withPredictor, FloatAttr activationThreshold) {
    Value pin, fc1, fc2;
    if (withPredictor) {
      pin = this->activation(32);
      fc1 = param("fc1", mat(8, 32));
      fc2 = param("fc2", mat(128, 8));
    }
    return sfn::FusedSparseFFNOp::create(
        builder, loc, vec(32), x, param("g", mat(128, 32)),
        param("u", mat(128, 32)), param("dt", mat(128, 32)), pin, fc1, fc2,
        sfn::SparseModeAttr::get(&context, mode),
        llm::ActivationAttr::get(&context, activation), FloatAttr(),
        activationThreshold, builder.getI64IntegerAttr(0),
        /*expert=*/IntegerAttr());
  };
  EXPECT_TRUE(verifies(
      build(sfn::SparseMode::Predicted, llm::Activation::DReLU, true, {})))
      << lastError;
  EXPECT_TRUE(verifies(
      build(sfn::SparseMode::Exact, llm::Activation::ReLU, false, {})));
  EXPECT_TRUE(
      verifies(build(sfn::SparseMode::Threshold, llm::Activation::SwiGLU, false,
                     builder.getF32FloatAttr(0.05f))));

  EXPECT_FALSE(verifies(
      build(sfn::SparseMode::Predicted, llm::Activation::DReLU, false, {})));
  EXPECT_NE(lastError.find("mode 'predicted' requires a predictor"),
            std::string::npos)
      << lastError;
  EXPECT_FALSE(verifies(
      build(sfn::SparseMode::Exact, llm::Activation::SwiGLU, false, {})));
  EXPECT_NE(lastError.find("requires a ReLU-family activation"),
            std::string::npos)
      << lastError;
  EXPECT_FALSE(verifies(
      build(sfn::SparseMode::Threshold, llm::Activation::SwiGLU, false, {})));
  EXPECT_NE(lastError.find("requires an activation_threshold"),
            std::string::npos)
      << lastError;
}

TEST_F(SparseFFNOpsTest, RouteExpertsChecksTopK) {
  auto i32s = RankedTensorType::get({2}, builder.getI32Type());
  auto ok = sfn::RouteExpertsOp::create(
      builder, loc, i32s, vec(2), activation(32), param("router", mat(8, 32)),
      builder.getI64IntegerAttr(2));
  EXPECT_TRUE(verifies(ok)) << lastError;
  auto i32s9 = RankedTensorType::get({9}, builder.getI32Type());
  auto bad = sfn::RouteExpertsOp::create(
      builder, loc, i32s9, vec(9), activation(32), param("router", mat(8, 32)),
      builder.getI64IntegerAttr(9));
  EXPECT_FALSE(verifies(bad));
  EXPECT_NE(lastError.find("top_k <= num_experts, got top_k = 9 and "
                           "num_experts = 8"),
            std::string::npos)
      << lastError;
}

TEST_F(SparseFFNOpsTest, ActiveSetNeedsPositiveUniverse) {
  auto type = sfn::ActiveSetType::getChecked([&] { return emitError(loc); },
                                             &context, int64_t{0});
  EXPECT_FALSE(type);
  EXPECT_NE(lastError.find("positive universe"), std::string::npos)
      << lastError;
}

} // namespace
