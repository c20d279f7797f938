//===- DecodeStepABI.h - the generated step's arguments ---------*- C++ -*-===//
//
// Every access to the decode step's arguments goes through this class, so
// that the ABI (runtime/include/sparsec/kernel_abi.h) can change in one
// place: the signature of sparsec_decode_step, the order of its arguments,
// and how the buffers the lowering needs are views of them (weights at a
// packed-file offset, the KV cache, the logits, the stats, scratch at a
// planned offset). Functions that share the ABI's leading arguments (the CPU
// backend's sparsec_run_range) bind an instance to themselves too.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_DECODESTEPABI_H
#define SPARSEC_TARGETS_COMMON_DECODESTEPABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::sparsec {

class DecodeStepABI {
public:
  /// The arguments, in kernel_abi.h's order.
  enum Argument : unsigned {
    Weights,  ///< memref<?xi8>: the packed weights file's data section
    KVCache,  ///< memref<?xi8>: the KV cache
    Logits,   ///< memref<?xf32>: `vocab` logits, written by the step
    Stats,    ///< memref<?xi32>: one counter per fused FFN
    Scratch,  ///< memref<?xi8>: activations and temporaries
    Token,    ///< i32
    Position, ///< i64
    NumArguments
  };

  static constexpr llvm::StringLiteral kStepFunctionName =
      "sparsec_decode_step";
  /// The prefill step: the same arguments, `token` the number of tokens in
  /// its block and the tokens at the start of scratch (kernel_abi.h).
  static constexpr llvm::StringLiteral kPrefillFunctionName =
      "sparsec_prefill_step";
  static constexpr llvm::StringLiteral kVersionFunctionName =
      "sparsec_kernel_abi_version";

  /// The argument types, in order.
  static SmallVector<Type> getArgumentTypes(MLIRContext *context);

  /// Creates `sparsec_decode_step` (with an entry block, no terminator) and
  /// `sparsec_kernel_abi_version` before the builder's insertion point.
  static func::FuncOp createStepFunction(OpBuilder &b, Location loc);
  /// Creates `sparsec_prefill_step` (entry block, no terminator).
  static func::FuncOp createPrefillFunction(OpBuilder &b, Location loc);

  /// Binds to `func`, whose leading arguments must be the ABI's.
  explicit DecodeStepABI(func::FuncOp func);

  /// Whether `func`'s leading arguments have the ABI's types.
  static bool hasABIArguments(func::FuncOp func);

  /// `module`'s sparsec_decode_step with the ABI's arguments; else emits
  /// "<pass>: no 'sparsec_decode_step' with the ABI's arguments; run
  /// convert-llm-to-loops first" on `module` and returns null.
  static func::FuncOp lookupStepFunction(ModuleOp module, StringRef pass);
  /// `module`'s sparsec_prefill_step with the ABI's arguments, or null.
  static func::FuncOp lookupPrefillFunction(ModuleOp module);

  func::FuncOp getFunction() const { return func; }
  BlockArgument getArgument(Argument which) const;
  /// Index of `arg` among the ABI's arguments, or -1 if it is not one.
  int getArgumentNumber(BlockArgument arg) const;

  Value getToken() const { return getArgument(Token); }
  /// The position as an index.
  Value getPosition(OpBuilder &b, Location loc) const;

  /// View of the weights buffer at byte `offset` (a slot of the packed file).
  Value getWeightsView(OpBuilder &b, Location loc, int64_t offset,
                       MemRefType type) const;
  /// The KV cache as `type` ([layer][k|v][kv head][slot][head dim]).
  Value getKVCacheView(OpBuilder &b, Location loc, MemRefType type) const;
  /// The logits as memref<vocab x f32>.
  Value getLogitsView(OpBuilder &b, Location loc, int64_t vocab) const;
  /// The stats counters as memref<? x i32>.
  Value getStatsView(OpBuilder &b, Location loc) const;
  /// View of the scratch buffer at byte `offset`.
  Value getScratchView(OpBuilder &b, Location loc, int64_t offset,
                       MemRefType type) const;

private:
  /// A function `name` with the ABI's arguments, C interface and entry
  /// block.
  static func::FuncOp createABIFunction(OpBuilder &b, Location loc,
                                        StringRef name);
  Value viewAt(OpBuilder &b, Location loc, Argument which, int64_t offset,
               MemRefType type) const;
  mutable func::FuncOp func;
};

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_DECODESTEPABI_H
