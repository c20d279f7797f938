//===- OpBuilderFixture.h - shared setup for op-building tests --*- C++ -*-===//

#ifndef SPARSEC_TEST_UNIT_OPBUILDERFIXTURE_H
#define SPARSEC_TEST_UNIT_OPBUILDERFIXTURE_H

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

#include <string>

namespace sparsec_test {

/// A context with our dialects, a module with one function body to build
/// into, and a diagnostic handler that records the last error.
class OpBuilderTest : public ::testing::Test {
protected:
  OpBuilderTest() : builder(&context) {
    context.loadDialect<mlir::sparsec::llm::LLMDialect,
                        mlir::sparsec::sfn::SparseFFNDialect,
                        mlir::func::FuncDialect>();
    context.getDiagEngine().registerHandler([this](mlir::Diagnostic &diag) {
      lastError = diag.str();
      return mlir::success();
    });
    loc = mlir::NameLoc::get(builder.getStringAttr("model.layers.0.mlp"));
    module = mlir::ModuleOp::create(loc);
    cacheType = mlir::sparsec::llm::KVCacheType::get(
        &context, /*numLayers=*/2, /*maxLen=*/64, /*numKvHeads=*/2,
        /*headDim=*/16, builder.getF16Type());
    func = mlir::func::FuncOp::create(
        builder, loc, "step",
        builder.getFunctionType(
            {builder.getI32Type(), builder.getIndexType(), cacheType}, {}));
    module.push_back(func);
    mlir::Block *entry = func.addEntryBlock();
    token = entry->getArgument(0);
    pos = entry->getArgument(1);
    cache = entry->getArgument(2);
    builder.setInsertionPointToStart(entry);
  }
  ~OpBuilderTest() override { module->erase(); }

  mlir::RankedTensorType vec(int64_t n) {
    return mlir::RankedTensorType::get({n}, builder.getF32Type());
  }
  mlir::RankedTensorType mat(int64_t rows, int64_t cols,
                             mlir::Type element = {}) {
    return mlir::RankedTensorType::get(
        {rows, cols}, element ? element : builder.getF16Type());
  }
  /// An llm.param of the given type.
  mlir::Value param(llvm::StringRef name, mlir::RankedTensorType type) {
    return mlir::sparsec::llm::ParamOp::create(builder, loc, type, name);
  }
  /// A placeholder activation vector (a param of f32; shapes are all the
  /// verifiers look at).
  mlir::Value activation(int64_t n) { return param("act", vec(n)); }

  /// Verifies `op` alone; on failure the message is in `lastError`.
  bool verifies(mlir::Operation *op) {
    lastError.clear();
    return mlir::succeeded(mlir::verify(op));
  }

  mlir::MLIRContext context;
  mlir::OpBuilder builder;
  mlir::Location loc = mlir::UnknownLoc::get(&context);
  mlir::ModuleOp module;
  mlir::func::FuncOp func;
  /// Arguments of `func`: (i32 token, index pos, cache of 2 layers, 2 KV
  /// heads of 16).
  mlir::sparsec::llm::KVCacheType cacheType;
  mlir::Value token, pos, cache;
  std::string lastError;
};

} // namespace sparsec_test

#endif // SPARSEC_TEST_UNIT_OPBUILDERFIXTURE_H
