//===- Passes.h - sparsec passes and pipelines ------------------*- C++ -*-===//

#ifndef SPARSEC_PASSES_PASSES_H
#define SPARSEC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <functional>
#include <optional>
#include <vector>

namespace mlir::sparsec {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// What sparsec-convert-onnx-to-llm reads of an initializer the IR does not
/// hold the value of (large ones: an onnx.weight without `value`): rows
/// [firstRow, firstRow + rows) of the 2-D float initializer `name`, as
/// doubles; nullopt when there is no such initializer.
using ONNXWeightReader = std::function<std::optional<std::vector<double>>(
    llvm::StringRef name, int64_t firstRow, int64_t rows)>;

/// sparsec-convert-onnx-to-llm reading large initializers through `reader`
/// (the importer's); the registered pass reads only inline values.
std::unique_ptr<Pass>
createConvertONNXToLLMPass(const ConvertONNXToLLMPassOptions &options,
                           ONNXWeightReader reader);

/// Name of the unit attribute that marks a function as a model's decode step.
inline constexpr llvm::StringLiteral kDecodeStepAttrName = "llm.decode_step";

/// Checks an imported model and tidies it: sparsec-verify-decode-step,
/// canonicalize, cse. Named `sparsec-import-cleanup` in sparsec-opt.
void buildImportCleanupPipeline(OpPassManager &pm);

/// Options of the sparse pipeline (the driver's --mode/--layers flags map
/// onto these).
struct SparsifyPipelineOptions
    : public PassPipelineOptions<SparsifyPipelineOptions> {
  Option<std::string> stats{*this, "stats",
                            llvm::cl::desc("Calibration statistics (JSON); "
                                           "enables sparsec-decide-sparsity")};
  Option<double> breakEvenDensity{
      *this, "break-even-density", llvm::cl::init(0.25),
      llvm::cl::desc("Densities above this run dense")};
  Option<bool> printDecisions{*this, "print-decisions", llvm::cl::init(false),
                              llvm::cl::desc("Remark each layer's decision")};
  Option<std::string> defaultMode{
      *this, "default-mode", llvm::cl::init("auto"),
      llvm::cl::desc("auto, dense, exact, predicted or threshold")};
  Option<std::string> layerModes{
      *this, "layers",
      llvm::cl::desc("Per-layer modes, e.g. 0-3:dense,4-31:predicted")};
  Option<std::string> activationThreshold{
      *this, "activation-threshold",
      llvm::cl::desc("Threshold-mode t, one value or per layer")};
  Option<std::string> expertMode{
      *this, "expert-mode", llvm::cl::init("auto"),
      llvm::cl::desc("MoE experts: auto, dense, exact or predicted")};
  Option<std::string> quant{
      *this, "quant",
      llvm::cl::desc(
          "Block-quantize weights: q8_0, q4_0, q4_1, q4_k or q6_k (enables "
          "sparsec-quantize-weights)")};
  Option<std::string> quantKeep{
      *this, "quant-keep", llvm::cl::init("predictor"),
      llvm::cl::desc("Roles left unquantized: embed, lm_head, predictor, "
                     "none")};
};

/// decide-sparsity (with stats), sparsify-ffn, fuse-moe-routing,
/// fuse-predictor-gather, pack-neuron-bundles, canonicalize, cse, then
/// quantize-weights (with a quant format). Named
/// `sparsec-sparsify-pipeline` in sparsec-opt; `sparsec compile` runs it.
void buildSparsifyPipeline(OpPassManager &pm,
                           const SparsifyPipelineOptions &options);

/// Lowers upstream scf/vector/memref/arith/math/func IR to the LLVM dialect.
/// Named `sparsec-finalize-to-llvm` in sparsec-opt; codegen appends it after
/// lowering `llm`/`sfn`.
void buildFinalizeToLLVMPipeline(OpPassManager &pm);

/// Registers the passes above and the named pipelines with the global
/// registries (what sparsec-opt's --help lists).
void registerSparsecPassesAndPipelines();

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_PASSES_H
