//===- CPUTargetInfo.h - x86-64 and AArch64 -------------------*- C++ -*-===//
//
// CPUs differ in their vector width here (AVX2: 8 f32 lanes, AVX-512: 16,
// NEON: 4) and in whether 8-bit integer dot products have an instruction
// sequence (x86 with AVX2: vpsignb/vpmaddubsw/vpmaddwd, 32 products and
// their sums in three instructions; AArch64 with ARMv8.2's dot-product
// extension: sdot, 16 products in four sums per instruction); the rest is what
// the runtime's thread pool and a CPU's caches want: 4 accumulator chains hide
// the FMA latency, 16 neuron chunks keep any thread count busy, and the next
// active neuron's rows are prefetched (a jump the hardware prefetcher cannot
// predict).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_CPU_CPUTARGETINFO_H
#define SPARSEC_TARGETS_CPU_CPUTARGETINFO_H

#include "targets/Common/TargetInfo.h"

#include <string>

namespace mlir::sparsec {

/// How a CPU multiplies bytes: not at all (f32 decode), AVX2's
/// vpsignb/vpmaddubsw/vpmaddwd, AVX-512 VNNI's vpdpbusd (the same unsigned
/// by signed products, 4 summed per 32-bit lane in one instruction), or
/// AArch64's sdot (4 products summed per 32-bit lane, signed by signed).
enum class Int8Dot { None, AVX2, VNNI, SDot };

class CPUTargetInfo : public TargetInfoBase {
public:
  CPUTargetInfo(StringRef name, int64_t vectorWidth, Int8Dot int8Dot)
      : name(name.str()), vectorWidth(vectorWidth), int8Dot(int8Dot) {}

  StringRef getName() const override { return name; }
  int64_t getVectorWidth() const override { return vectorWidth; }
  int64_t getMaxAccumulatorChains() const override { return 4; }
  int64_t getNumNeuronChunks() const override { return 16; }
  /// Rows of q4_0 (q8_0) weights read by one thread ran 27% (24%) faster
  /// with 2 KiB into L1 (Zen 3, a matvec-bound model: 42 -> 54, 25 -> 31
  /// tok/s): the hardware prefetcher alone keeps too few lines in flight.
  /// On x86 16 KiB into L2 does better still (Zen 4, one thread: dense
  /// q4_0 18.3 -> 25.7 tok/s, predicted q8_0 22.2 -> 25.1): L1's few miss
  /// buffers stay free for the loads, and the data is near in time. Into
  /// L2 at 2 KiB is worse than either (the lines are not there yet).
  int64_t getStreamPrefetchBytes() const override {
    return isX86() ? 16384 : 2048;
  }
  PrefetchLevel getStreamPrefetchLevel() const override {
    return isX86() ? PrefetchLevel::L2 : PrefetchLevel::L1;
  }
  /// prefetcht0 (L1) or prefetcht1 (L2) on x86, prfm pldl1keep / pldl2keep
  /// on AArch64.
  void emitPrefetch(OpBuilder &b, Location loc, Value memref,
                    ValueRange indices, PrefetchLevel level) const override;
  bool hasInt8DotProduct() const override { return int8Dot != Int8Dot::None; }
  Value emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           bool lhsUnsigned, Value pairWeights) const override;
  Value emitInt8DotProductAccumulate(OpBuilder &b, Location loc,
                                     Value accumulator, Value lhs, Value rhs,
                                     bool lhsUnsigned,
                                     Value pairWeights) const override;
  /// x86-64 with 16 lanes (AVX-512F): vpermps on the zero-extended bytes,
  /// which reads only the low 4 bits of each index.
  Value emitNibbleLookup(OpBuilder &b, Location loc, Value packed,
                         ArrayRef<float> table) const override;
  /// x86-64 with AVX2 or more: vpdpwssd on 512 bits with AVX-512 VNNI,
  /// else vpmaddwd and an add.
  bool hasInt16PairDot() const override {
    return int8Dot == Int8Dot::VNNI || int8Dot == Int8Dot::AVX2;
  }
  Value emitInt16PairDotAccumulate(OpBuilder &b, Location loc,
                                   Value accumulator, Value lhs,
                                   Value rhs) const override;

private:
  bool isX86() const { return StringRef(name).starts_with("x86-64"); }
  /// emitInt8DotProduct, added to `accumulator` when there is one.
  Value emitX86Dot(OpBuilder &b, Location loc, Value accumulator, Value lhs,
                   Value rhs, bool lhsUnsigned, Value pairWeights) const;
  Value emitSDot(OpBuilder &b, Location loc, Value lhs, Value rhs,
                 Value pairWeights) const;

  std::string name;
  int64_t vectorWidth;
  Int8Dot int8Dot;
};

/// Registers x86-64 (no AVX2 assumed), x86-64-avx2, x86-64-avx512,
/// x86-64-avx512-vnni, aarch64 and aarch64-dotprod. The CPU backend names
/// x86-64-avx2/-avx512/-avx512-vnni for an x86-64 target whose CPU has
/// them, aarch64-dotprod for an aarch64 CPU with the dot-product extension.
void registerCPUTargets();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CPU_CPUTARGETINFO_H
