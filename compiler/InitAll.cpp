//===- InitAll.cpp - register sparsec's dialects and passes -----*- C++ -*-===//

#include "compiler/InitAll.h"

#include "dialects/LLM/IR/LLMDialect.h"
#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/SparseFFN/IR/SparseFFNDialect.h"
#include "passes/Passes.h"
#include "targets/Target.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void mlir::sparsec::registerAllDialects(DialectRegistry &registry) {
  registry.insert<llm::LLMDialect, onnx::ONNXDialect, sfn::SparseFFNDialect>();
  registry
      .insert<affine::AffineDialect, arith::ArithDialect,
              cf::ControlFlowDialect, func::FuncDialect, index::IndexDialect,
              LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
              scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>();
  registerTargetDialects(registry);
}

void mlir::sparsec::registerAllPasses() {
  registerSparsecPassesAndPipelines();
  registerAllTargets();       // codegen passes, target infos, backend pipelines
  registerTransformsPasses(); // canonicalize, cse, inline, ...
  registerConversionPasses(); // convert-*-to-llvm, ...
  arith::registerArithPasses();
  memref::registerMemRefPasses();
}
