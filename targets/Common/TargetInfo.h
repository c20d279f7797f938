//===- TargetInfo.h - what the shared lowering asks of a target -*- C++ -*-===//
//
// The conversion patterns of LLMToLoops/ are shared by every target; each
// decision that differs between targets is a question they ask here rather
// than an `if (gpu)`: how wide a vector is, how many independent FMA chains
// hide latency, into how many fixed chunks a sparse FFN's neurons are split,
// whether (and how) to prefetch, and how a data-parallel loop is written.
// A backend (targets/CPU, later targets/CUDA) implements it and registers
// its target names, so `convert-llm-to-loops{target=NAME}` finds it.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_TARGETINFO_H
#define SPARSEC_TARGETS_COMMON_TARGETINFO_H

#include "mlir/IR/Builders.h"
#include "mlir/Support/LLVM.h"

#include <functional>
#include <memory>

namespace mlir::sparsec {

class TargetInfoBase {
public:
  virtual ~TargetInfoBase();

  /// The target's name as --target spells it ("x86-64-avx2").
  virtual StringRef getName() const = 0;

  /// f32 lanes of one vector in dot products and axpys.
  virtual int64_t getVectorWidth() const = 0;

  /// At most this many independent accumulators per dot product.
  virtual int64_t getMaxAccumulatorChains() const = 0;

  /// A sparse FFN's neurons are split into min(this, neurons) chunks whose
  /// partial sums are added in chunk order: the number is part of the
  /// result's rounding, so it is fixed per target, never per thread count.
  virtual int64_t getNumNeuronChunks() const = 0;

  /// Which cache a prefetch fills: the nearest (data needed within a few
  /// hundred cycles), or the second level (data needed later: a prefetch
  /// into L1 holds one of its few miss buffers until the line arrives,
  /// which stalls the loads of the work in between when many are in flight).
  enum class PrefetchLevel { L1, L2 };

  /// How far ahead (bytes) a kernel streaming through block-quantized rows
  /// asks for the data it will read (0: leave it to the hardware). The
  /// address may pass the row's end: in a matvec that is the next row, and
  /// a prefetch never faults.
  virtual int64_t getStreamPrefetchBytes() const { return 0; }
  /// Where that stream prefetch puts the data.
  virtual PrefetchLevel getStreamPrefetchLevel() const {
    return PrefetchLevel::L1;
  }

  /// Emits a hint that `memref[indices]` will be read soon, or nothing.
  virtual void emitPrefetch(OpBuilder &b, Location loc, Value memref,
                            ValueRange indices,
                            PrefetchLevel level = PrefetchLevel::L1) const = 0;

  /// Emits a loop over [0, n) whose iterations may run concurrently and
  /// write disjoint data; `body` builds one iteration. The default is an
  /// `scf.parallel`, which a backend pass maps to threads or GPU blocks.
  virtual void
  emitParallelLoop(OpBuilder &b, Location loc, int64_t n,
                   function_ref<void(OpBuilder &, Location, Value)> body) const;

  /// Whether dot products of block-quantized weights should run on 8-bit
  /// integers (the activation quantized per block of 32, as the weights
  /// are) rather than on weights decoded to f32: true where the target has
  /// an integer dot-product sequence that does more per instruction.
  virtual bool hasInt8DotProduct() const { return false; }

  /// For `lhs`, `rhs` of type vector<32xi8>: the vector<8xi32> whose lane
  /// i is sum_{j<4} lhs[4i+j] * rhs[4i+j]. `rhs` holds values in [-127,
  /// 127]; `lhs` too, or, with `lhsUnsigned`, unsigned values in [0, 127]
  /// (cheaper where the instructions multiply unsigned by signed bytes).
  /// Integer sums are exact, so every implementation gives the same
  /// result. Asked only when hasInt8DotProduct().
  /// With `pairWeights` (vector<16xi16>), the sum of lhs[2p] * rhs[2p] +
  /// lhs[2p+1] * rhs[2p+1] (pair p: lane p / 2 of the result) is multiplied
  /// by pairWeights[p] first: a scale per group of weights applied in
  /// integers (each product sum must fit in 32 bits).
  virtual Value emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs,
                                   Value rhs, bool lhsUnsigned,
                                   Value pairWeights = {}) const;
  /// `accumulator` (vector<8xi32>) plus emitInt8DotProduct(lhs, rhs,
  /// pairWeights): one instruction where the target's dot product
  /// accumulates (VNNI's vpdpbusd, or vpdpwssd after the pairs with
  /// `pairWeights`), an add otherwise. Exact, like emitInt8DotProduct.
  /// Chains of these keep their order through LLVM, which would otherwise
  /// reassociate integer adds into one long chain.
  virtual Value emitInt8DotProductAccumulate(OpBuilder &b, Location loc,
                                             Value accumulator, Value lhs,
                                             Value rhs, bool lhsUnsigned,
                                             Value pairWeights = {}) const;

  /// For `packed` of type vector<16xi8> (32 4-bit levels, byte j holding
  /// level j in its low nibble and level j + 16 in its high one) and a
  /// 16-entry `table`: the vector<32xf32> of table[level], from a lookup
  /// in registers (AVX-512's vpermps: one instruction per 16 levels, in
  /// place of centring, sign extension and conversion). Null where the
  /// target has no such lookup; asked only when getVectorWidth() >= 16.
  virtual Value emitNibbleLookup(OpBuilder &b, Location loc, Value packed,
                                 ArrayRef<float> table) const {
    return {};
  }

  /// Whether emitInt16PairDotAccumulate gives an instruction.
  virtual bool hasInt16PairDot() const { return false; }
  /// For `accumulator` (vector<16xi32>) and `lhs`, `rhs` (vector<32xi16>):
  /// accumulator[i] + lhs[2i] * rhs[2i] + lhs[2i+1] * rhs[2i+1], in one
  /// instruction (AVX-512 VNNI's vpdpwssd). Exact. Null where the target
  /// has no such instruction; asked only when hasInt16PairDot().
  virtual Value emitInt16PairDotAccumulate(OpBuilder &b, Location loc,
                                           Value accumulator, Value lhs,
                                           Value rhs) const {
    return {};
  }

  /// The largest power-of-two lane count <= getVectorWidth() dividing n.
  int64_t lanesFor(int64_t n) const;
};

/// `base` with its vector width replaced by `vectorWidth` (a power of two).
std::unique_ptr<TargetInfoBase>
withVectorWidth(std::unique_ptr<TargetInfoBase> base, int64_t vectorWidth);

/// Backends register a factory per target name (registerCPUTargets, ...).
using TargetInfoFactory = std::function<std::unique_ptr<TargetInfoBase>()>;
void registerTargetInfo(StringRef name, TargetInfoFactory factory);

/// The registered target `name`, or nullptr.
std::unique_ptr<TargetInfoBase> createTargetInfo(StringRef name);

/// Registered names, sorted (for error messages and --help).
SmallVector<std::string> getRegisteredTargetNames();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_TARGETINFO_H
