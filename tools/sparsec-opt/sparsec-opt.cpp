//===- sparsec-opt.cpp - sparsec's optimizer driver -------------*- C++ -*-===//
//
// mlir-opt for sparsec: our dialects, passes and named pipelines, plus the
// upstream dialects we lower through. Pass writers run their pass on a .mlir
// file with it, and lit tests drive it.
//
//===----------------------------------------------------------------------===//

#include "compiler/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::sparsec::registerAllDialects(registry);
  mlir::sparsec::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv,
      "sparsec optimizer driver\n\n"
      "Dialects: llm (model-level graph), sfn (sparse FFN execution), and "
      "the upstream dialects of the lowering path.\n"
      "Pipelines: --sparsec-import-cleanup, --sparsec-finalize-to-llvm.\n",
      registry));
}
