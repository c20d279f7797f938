//===- LLMOpsTest.cpp - building llm ops programmatically -------*- C++ -*-===//
//
// Each op is built through its generated builder (the way importers build
// them) and verified; a wrong variant must fail with a message naming the
// problem. The last test builds a whole decode step and runs
// sparsec-verify-decode-step on it.
//
//===----------------------------------------------------------------------===//

#include "OpBuilderFixture.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::sparsec;
using namespace sparsec_test;

namespace {

using LLMOpsTest = OpBuilderTest;

llm::ActivationAttr act(MLIRContext *ctx, llm::Activation a) {
  return llm::ActivationAttr::get(ctx, a);
}

TEST_F(LLMOpsTest, ParamRequiresNameAndStaticShape) {
  auto ok = llm::ParamOp::create(builder, loc, mat(8, 4), "w");
  EXPECT_TRUE(verifies(ok));
  auto unnamed = llm::ParamOp::create(builder, loc, mat(8, 4), "");
  EXPECT_FALSE(verifies(unnamed));
  EXPECT_NE(lastError.find("non-empty tensor name"), std::string::npos);
  auto dynamic = llm::ParamOp::create(
      builder, loc,
      RankedTensorType::get({ShapedType::kDynamic, 4}, builder.getF16Type()),
      "w");
  EXPECT_FALSE(verifies(dynamic));
  EXPECT_NE(lastError.find("static shape"), std::string::npos);
}

TEST_F(LLMOpsTest, EmbedChecksHiddenSize) {
  Value table = param("model.embed_tokens.weight", mat(100, 32));
  auto ok = llm::EmbedOp::create(builder, loc, vec(32), table, token);
  EXPECT_TRUE(verifies(ok));
  auto bad = llm::EmbedOp::create(builder, loc, vec(16), table, token);
  EXPECT_FALSE(verifies(bad));
  EXPECT_NE(lastError.find("expects result of shape [32], got [16]"),
            std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, RMSNormChecksWeightAndEpsilon) {
  Value x = activation(32);
  auto ok = llm::RMSNormOp::create(
      builder, loc, x,
      param("n", RankedTensorType::get({32}, builder.getF16Type())),
      builder.getF32FloatAttr(1e-5f));
  EXPECT_TRUE(verifies(ok));
  auto badWeight = llm::RMSNormOp::create(
      builder, loc, x,
      param("n2", RankedTensorType::get({31}, builder.getF16Type())),
      builder.getF32FloatAttr(1e-5f));
  EXPECT_FALSE(verifies(badWeight));
  EXPECT_NE(lastError.find("expects weight of shape [32], got [31]"),
            std::string::npos)
      << lastError;
  auto badEps = llm::RMSNormOp::create(
      builder, loc, x,
      param("n", RankedTensorType::get({32}, builder.getF16Type())),
      builder.getF32FloatAttr(0.0f));
  EXPECT_FALSE(verifies(badEps));
  EXPECT_NE(lastError.find("positive epsilon"), std::string::npos);
}

TEST_F(LLMOpsTest, RopeChecksHeadDim) {
  Value q = activation(64);
  auto ok = llm::RotaryOp::create(
      builder, loc, q, pos, builder.getI64IntegerAttr(16),
      builder.getF64FloatAttr(10000.0), DenseF32ArrayAttr());
  EXPECT_TRUE(verifies(ok));
  auto bad = llm::RotaryOp::create(
      builder, loc, q, pos, builder.getI64IntegerAttr(24),
      builder.getF64FloatAttr(10000.0), DenseF32ArrayAttr());
  EXPECT_FALSE(verifies(bad));
  EXPECT_NE(lastError.find("multiple of head_dim (24)"), std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, RopeChecksStatedFrequencies) {
  Value q = activation(64);
  auto ok =
      llm::RotaryOp::create(builder, loc, q, pos, builder.getI64IntegerAttr(4),
                            builder.getF64FloatAttr(10000.0),
                            builder.getDenseF32ArrayAttr({1.0f, 0.005f}));
  EXPECT_TRUE(verifies(ok));
  auto count = llm::RotaryOp::create(
      builder, loc, q, pos, builder.getI64IntegerAttr(4),
      builder.getF64FloatAttr(10000.0), builder.getDenseF32ArrayAttr({1.0f}));
  EXPECT_FALSE(verifies(count));
  EXPECT_NE(lastError.find("head_dim / 2 = 2 frequencies, got 1"),
            std::string::npos)
      << lastError;
  auto negative =
      llm::RotaryOp::create(builder, loc, q, pos, builder.getI64IntegerAttr(4),
                            builder.getF64FloatAttr(10000.0),
                            builder.getDenseF32ArrayAttr({1.0f, -2.0f}));
  EXPECT_FALSE(verifies(negative));
  EXPECT_NE(lastError.find("positive finite inv_freq"), std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, AttentionChecksHeadsAgainstCache) {
  // Cache: 2 KV heads of 16. 4 query heads share them.
  Value q = activation(64), k = activation(32), v = activation(32);
  auto ok = llm::AttentionOp::create(builder, loc, q, k, v, pos, cache,
                                     builder.getI64IntegerAttr(1),
                                     builder.getI64IntegerAttr(4));
  EXPECT_TRUE(verifies(ok));
  auto badLayer = llm::AttentionOp::create(builder, loc, q, k, v, pos, cache,
                                           builder.getI64IntegerAttr(2),
                                           builder.getI64IntegerAttr(4));
  EXPECT_FALSE(verifies(badLayer));
  EXPECT_NE(lastError.find("expects layer < 2"), std::string::npos)
      << lastError;
  Value q3 = activation(48);
  auto badHeads = llm::AttentionOp::create(builder, loc, q3, k, v, pos, cache,
                                           builder.getI64IntegerAttr(0),
                                           builder.getI64IntegerAttr(3));
  EXPECT_FALSE(verifies(badHeads));
  EXPECT_NE(lastError.find("num_heads (3) to be a multiple of the cache's "
                           "kv_heads (2)"),
            std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, LinearAndLMHeadCheckShapes) {
  Value x = activation(32);
  auto ok =
      llm::LinearOp::create(builder, loc, vec(8), x, param("w", mat(8, 32)));
  EXPECT_TRUE(verifies(ok));
  auto bad =
      llm::LinearOp::create(builder, loc, vec(8), x, param("w2", mat(8, 16)));
  EXPECT_FALSE(verifies(bad));
  EXPECT_NE(lastError.find("expects weight of shape [8x32], got [8x16]"),
            std::string::npos)
      << lastError;
  auto head = llm::LMHeadOp::create(builder, loc, vec(100), x,
                                    param("lm_head.weight", mat(100, 32)));
  EXPECT_TRUE(verifies(head));
}

TEST_F(LLMOpsTest, FFNWithPredictorVerifies) {
  Value x = activation(32), residual = activation(32);
  auto ffn = llm::FFNOp::create(
      builder, loc, vec(32), x, param("g", mat(128, 32)),
      param("u", mat(128, 32)), param("d", mat(32, 128)), residual,
      param("fc1", mat(8, 32)), param("fc2", mat(128, 8)),
      act(&context, llm::Activation::DReLU), builder.getI64IntegerAttr(0),
      builder.getF32FloatAttr(0.5f));
  EXPECT_TRUE(verifies(ffn)) << lastError;
  EXPECT_TRUE(ffn.hasPredictor());
}

TEST_F(LLMOpsTest, FFNRejectsMismatchedDtypesAndShapes) {
  Value x = activation(32);
  auto mixed = llm::FFNOp::create(
      builder, loc, vec(32), x, param("g", mat(128, 32)),
      param("u", mat(128, 32, builder.getF32Type())), param("d", mat(32, 128)),
      Value(), Value(), Value(), act(&context, llm::Activation::SwiGLU),
      builder.getI64IntegerAttr(0), FloatAttr());
  EXPECT_FALSE(verifies(mixed));
  EXPECT_NE(lastError.find("of one element type, got 'f16', 'f32', 'f16'"),
            std::string::npos)
      << lastError;

  auto badDown = llm::FFNOp::create(
      builder, loc, vec(32), x, param("g", mat(128, 32)),
      param("u", mat(128, 32)), param("d", mat(128, 32)), Value(), Value(),
      Value(), act(&context, llm::Activation::SwiGLU),
      builder.getI64IntegerAttr(0), FloatAttr());
  EXPECT_FALSE(verifies(badDown));
  EXPECT_NE(lastError.find("expects down of shape [32x128], got [128x32]"),
            std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, MoEChecksTopKAndExpertCount) {
  Value x = activation(32);
  SmallVector<Value> gates, ups, downs;
  for (int e = 0; e < 4; ++e) {
    gates.push_back(param("g", mat(64, 32)));
    ups.push_back(param("u", mat(64, 32)));
    downs.push_back(param("d", mat(32, 64)));
  }
  auto build = [&](int64_t numExperts, int64_t topK, ValueRange g) {
    return llm::MoEOp::create(
        builder, loc, vec(32), x, param("r", mat(numExperts, 32)), g, ups,
        downs, Value(), ValueRange(), ValueRange(),
        builder.getI64IntegerAttr(numExperts), builder.getI64IntegerAttr(topK),
        act(&context, llm::Activation::DReLU), builder.getI64IntegerAttr(0),
        FloatAttr());
  };
  EXPECT_TRUE(verifies(build(4, 2, gates))) << lastError;
  EXPECT_FALSE(verifies(build(4, 5, gates)));
  EXPECT_NE(lastError.find("top_k <= num_experts, got top_k = 5 and "
                           "num_experts = 4"),
            std::string::npos)
      << lastError;
  EXPECT_FALSE(verifies(build(4, 2, ValueRange(gates).take_front(3))));
  EXPECT_NE(lastError.find("one gate per expert (4), got 3"), std::string::npos)
      << lastError;
}

TEST_F(LLMOpsTest, KVCacheTypeRejectsZeroSizes) {
  auto type =
      llm::KVCacheType::getChecked([&] { return emitError(loc); }, &context, 1u,
                                   0u, 1u, 8u, Type(builder.getF16Type()));
  EXPECT_FALSE(type);
  EXPECT_NE(lastError.find("positive layers, max_len"), std::string::npos)
      << lastError;
}

/// A whole two-layer dense decode step, as an importer would
/// build it; the module verifies and so does sparsec-verify-decode-step.
TEST_F(LLMOpsTest, BuildsAWholeDecodeStep) {
  const int64_t hidden = 64, vocab = 100, inter = 128;
  auto f16Vec = [&](int64_t n) {
    return RankedTensorType::get({n}, builder.getF16Type());
  };
  auto eps = builder.getF32FloatAttr(1e-5f);
  Value h = llm::EmbedOp::create(
      builder, loc, vec(hidden),
      param("model.embed_tokens.weight", mat(vocab, hidden)), token);
  for (int64_t layer = 0; layer < 2; ++layer) {
    std::string p = "model.layers." + std::to_string(layer) + ".";
    Value x = llm::RMSNormOp::create(
        builder, loc, h, param(p + "input_layernorm.weight", f16Vec(hidden)),
        eps);
    auto proj = [&](const std::string &name, int64_t out, Value in) {
      int64_t inSize = cast<ShapedType>(in.getType()).getDimSize(0);
      return llm::LinearOp::create(builder, loc, vec(out), in,
                                   param(p + name, mat(out, inSize)))
          .getResult();
    };
    auto rope = [&](Value v) {
      return llm::RotaryOp::create(
                 builder, loc, v, pos, builder.getI64IntegerAttr(16),
                 builder.getF64FloatAttr(1e4), DenseF32ArrayAttr())
          .getResult();
    };
    Value q = rope(proj("self_attn.q_proj.weight", hidden, x));
    Value k = rope(proj("self_attn.k_proj.weight", 32, x));
    Value v = proj("self_attn.v_proj.weight", 32, x);
    Value attn = llm::AttentionOp::create(builder, loc, q, k, v, pos, cache,
                                          builder.getI64IntegerAttr(layer),
                                          builder.getI64IntegerAttr(4));
    h = llm::AddOp::create(builder, loc, h,
                           proj("self_attn.o_proj.weight", hidden, attn));
    Value x2 = llm::RMSNormOp::create(
        builder, loc, h,
        param(p + "post_attention_layernorm.weight", f16Vec(hidden)), eps);
    Value ffn = llm::FFNOp::create(
        builder, loc, vec(hidden), x2,
        param(p + "mlp.gate_proj.weight", mat(inter, hidden)),
        param(p + "mlp.up_proj.weight", mat(inter, hidden)),
        param(p + "mlp.down_proj.weight", mat(hidden, inter)), Value(), Value(),
        Value(), act(&context, llm::Activation::SwiGLU),
        builder.getI64IntegerAttr(layer), FloatAttr());
    h = llm::AddOp::create(builder, loc, h, ffn);
  }
  Value normed = llm::RMSNormOp::create(
      builder, loc, h, param("model.norm.weight", f16Vec(hidden)), eps);
  Value logits =
      llm::LMHeadOp::create(builder, loc, vec(vocab), normed,
                            param("lm_head.weight", mat(vocab, hidden)));
  func::ReturnOp::create(builder, loc, logits);
  func.setType(builder.getFunctionType(
      {builder.getI32Type(), builder.getIndexType(), cacheType}, {vec(vocab)}));
  func->setAttr(kDecodeStepAttrName, builder.getUnitAttr());

  ASSERT_TRUE(verifies(module)) << lastError;
  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createVerifyDecodeStepPass());
  EXPECT_TRUE(succeeded(pm.run(module))) << lastError;

  // Dropping layer 1's attention must be caught by the pass.
  Operation *secondAttention = nullptr;
  module.walk([&](llm::AttentionOp op) {
    if (op.getLayer() == 1)
      secondAttention = op;
  });
  ASSERT_TRUE(secondAttention);
  secondAttention->getResult(0).replaceAllUsesWith(
      secondAttention->getOperand(0));
  secondAttention->erase();
  EXPECT_FALSE(succeeded(pm.run(module)));
  EXPECT_NE(lastError.find("no llm.attention for layer 1"), std::string::npos)
      << lastError;
}

} // namespace
