//===- KernelBuilder.h - loops, dot products, activations ------*- C++ -*-===//
//
// The building blocks every LLMToLoops pattern writes its loops with: index
// and f32 constants, scf loops, vectorised dot products and row matvecs,
// and the FFN activations. Target decisions (vector width, accumulator
// chains, parallel loops) come from the TargetInfoBase it is given.
//
// Numerics: all arithmetic is f32; weights are extended from f16/bf16 as
// they are loaded. A dot product runs up to getMaxAccumulatorChains()
// vector accumulators over the row and adds them, then reduces the lanes:
// the order is fixed by the shapes and the target, never by the data.
// Block-quantized weights (!llm.quant) are decoded block by block into f32
// and used the same way (QuantizedRows.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_LLMTOLOOPS_KERNELBUILDER_H
#define SPARSEC_TARGETS_COMMON_LLMTOLOOPS_KERNELBUILDER_H

#include "dialects/LLM/IR/LLMOps.h"
#include "targets/Common/TargetInfo.h"

#include "mlir/IR/Builders.h"

#include <array>

namespace mlir::sparsec {

/// A weight matrix as kernels read it: its lowered rows (a 2-D memref,
/// perhaps a strided bundle part) and the element type the IR gave it. For
/// f32/f16/bf16 the memref holds those elements; for !llm.quant it holds
/// each row's blocks as bytes (i8).
struct WeightRows {
  WeightRows(Value rows, Type element) : rows(rows), element(element) {}
  /// `lowered` is the converted form of the tensor `original`.
  WeightRows(Value lowered, Value original);

  llm::QuantType getQuantType() const {
    return dyn_cast<llm::QuantType>(element);
  }

  Value rows;
  Type element;
};

/// The vector a dot product reads: f32 `values` and, when the dot products
/// of block-quantized weights run on 8-bit integers (the target's
/// hasInt8DotProduct), the same vector quantized per block of 32: `q8`
/// (i8 [n]) and `q8Scales`. KernelBuilder::prepareDotInput
/// makes one; a plain Value converts to one without the int8 form. For
/// weights stored with a zero point (q4_0: levels 0..15 stand for -8..7),
/// `q8ZeroPointTerms` holds, per block, minus the 8 lanes' sums of 4 input
/// levels times the zero point (i32 [n / 32 * 8]): the value the unsigned
/// levels' products accumulate onto (vpdpbusd's accumulator).
/// `q8Scales` holds each block's scale 8 times (f32 [n / 32 * 8]), the
/// lanes of the partial sums it multiplies.
/// For weights with an offset (q4_1, q4_k), `q8Sums` holds, per block, the
/// 8 lanes' sums of 4 input levels times the block's scale (f32 [n / 32 *
/// 8]): the rounded input's sums, which the offset multiplies.
/// For the k-quants (`superBlocks`) the input is rounded per super-block of
/// 256 (llama.cpp's q8_K): `q8Scales` holds each super-block's scale 8
/// times, `q8Sums` (q4_k) lane j = the scaled sum of its sub-block j.
struct DotInput {
  DotInput(Value values) : values(values) {}
  Value values, q8, q8Scales, q8ZeroPointTerms, q8Sums;
  /// Laid out for q4_0 rows in pairs (KernelBuilder::preparePairedDotInput).
  bool paired = false;
  /// Rounded per super-block of 256 (KernelBuilder::prepareSuperBlockDotInput).
  bool superBlocks = false;
};

/// Row `t` (`n` elements) of the flat [rows x n] buffer `rows`.
Value rowView(OpBuilder &b, Location loc, Value rows, Value t, int64_t n);

/// The rows of a flat [block x n] buffer prepared for dot products with
/// rows of one weight (KernelBuilder::prepareBlockDotInput): each field of
/// `buffers` holds `block` rows of `sizes` elements, row t token t's.
struct BlockDotInput {
  DotInput buffers;
  /// Elements per token of values, q8, q8Scales, q8ZeroPointTerms, q8Sums.
  std::array<int64_t, 5> sizes{};
  /// Token `t`'s DotInput: views of its rows.
  DotInput at(OpBuilder &b, Location loc, Value t) const;
};

class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, const TargetInfoBase &target)
      : b(b), loc(loc), target(target) {}

  OpBuilder &builder() { return b; }
  Location getLoc() const { return loc; }
  const TargetInfoBase &getTarget() const { return target; }

  //===--- scalars ----------------------------------------------------===//
  Value idx(int64_t v);
  Value f32(double v);
  Value add(Value x, Value y);
  Value mul(Value x, Value y);
  Value sub(Value x, Value y);
  Value div(Value x, Value y);
  Value addi(Value x, Value y);
  Value muli(Value x, Value y);
  Value max0(Value x);
  /// `v` (scalar or vector) extended to f32.
  Value toF32(Value v);
  Value load(Value memref, ValueRange indices);
  void store(Value value, Value memref, ValueRange indices);

  //===--- loops ------------------------------------------------------===//
  void loop(Value lo, Value hi, int64_t step, function_ref<void(Value)> body);
  void loop(int64_t lo, int64_t hi, int64_t step,
            function_ref<void(Value)> body);
  /// A loop carrying one value; returns its final value.
  Value loopCarry(Value lo, Value hi, int64_t step, Value init,
                  function_ref<Value(Value, Value)> body);
  /// Iterations of [0, n) that may run concurrently (the target's
  /// parallel loop). `body` gets this builder, positioned in the loop.
  /// `what`, when given, names the loop within its op (kernelLoc): it
  /// becomes the kernel's name in profiles.
  void parallel(int64_t n, function_ref<void(Value)> body, StringRef what = {});

  //===--- kernels ----------------------------------------------------===//
  /// `x` (f32, `n` elements) ready for dot products with rows of `w`:
  /// quantized to 8-bit blocks here, once, when those dot products run on
  /// integers; else just `x`. Call it outside the loops that reuse it.
  DotInput prepareDotInput(const WeightRows &w, Value x, int64_t n);
  /// dot(row `row` of `w` (`n` weights), the vector `x`), in f32.
  /// `prefetch`, where given, is called at each of the loop's
  /// `dotSteps(w, x, n)` steps with the step's index, in place of the row's
  /// own stream prefetch (rows of floats, or of one block per step; k-quants
  /// and q4_0 pairs ignore it).
  Value dot(const WeightRows &w, Value row, const DotInput &x, int64_t n,
            function_ref<void(Value)> prefetch = nullptr);
  int64_t dotSteps(const WeightRows &w, const DotInput &x, int64_t n) const;
  /// dot(row `row` of `w`, xs[j]) for every j, in f32: one pass over the
  /// row, each block loaded once for all of them, one accumulator per x
  /// (independent chains). Rows of f32/f16/bf16 only (the KV cache's).
  SmallVector<Value> dots(const WeightRows &w, Value row, ValueRange xs,
                          int64_t n);
  /// For every target j: acc[bases[j] + k] += sum over r of scales[j][r] *
  /// w[rows[r], k], rows in order: each block of the rows is loaded once
  /// for all targets. Rows of f32/f16/bf16 only.
  void accumulateRowsInto(const WeightRows &w, ValueRange rows,
                          ArrayRef<SmallVector<Value>> scales, Value acc,
                          ValueRange bases, int64_t n);
  /// acc[base + k] += scales[r] * w[rows[r], k] for k in [0, n), rows in
  /// order (the scattered down projection). Several rows share one read
  /// and write of `acc`; the arithmetic is that of one row after another.
  /// `prefetch`, where given, is called at each of the loop's
  /// `accumulateSteps(w, n)` steps with the step's index.
  void accumulateRows(const WeightRows &w, ValueRange rows, ValueRange scales,
                      Value acc, Value base, int64_t n,
                      function_ref<void(Value)> prefetch = nullptr);
  int64_t accumulateSteps(const WeightRows &w, int64_t n) const;
  /// Whether four q4_0 rows of `w` (n weights each) can be added on 16-bit
  /// integers (accumulateRowsOnInt16): paired rows of a multiple of 512
  /// weights, on a target with hasInt16PairDot().
  bool accumulatesOnInt16(const WeightRows &w, int64_t n) const;
  /// Workspace accumulateRowsOnInt16 needs for rows of n weights: f32s and
  /// i32s, in that order.
  static std::pair<int64_t, int64_t> int16Workspace(int64_t n);
  /// accumulateRows of four q4_0 rows (accumulatesOnInt16) on integers:
  /// each block's four factors (the row's scale times the block's) become
  /// int16 multiples of one step (the largest over 32767), so that a block
  /// of the four rows is four vpdpwssd and one conversion and FMA per 16
  /// outputs, in place of 8 table lookups and 8 FMAs. Rounding the factors
  /// changes each product by at most 2^-16 of the block's largest factor.
  /// `floats` and `ints` from `floatsAt`, `intsAt` hold int16Workspace(n).
  void accumulateRowsOnInt16(const WeightRows &w, ValueRange rows,
                             ValueRange scales, Value acc, Value base,
                             int64_t n, Value floats, Value floatsAt,
                             Value ints, Value intsAt,
                             function_ref<void(Value)> prefetch = nullptr);
  /// out[k] = w[row, k] in f32, for k in [0, n).
  void loadRow(const WeightRows &w, Value row, Value out, int64_t n);
  /// out[lo, hi) = value.
  void fill(Value out, Value lo, Value hi, double value);
  /// The sum of each vector's lanes (vector.reduction add, in lane order).
  SmallVector<Value> sumEach(ValueRange vectors);
  void fill(Value out, int64_t n, double value);
  /// out[r] = dot(w[r], x) (relu'd when asked) for every row of `w`, rows
  /// in parallel.
  void matvec(Value out, const WeightRows &w, Value x, bool relu = false,
              StringRef what = {});

  //===--- kernels over a block of tokens (BlockKernels.cpp) -----------===//
  /// dot(w[rows[r]], xs[j]) for every r and j, at [r * xs.size() + j]: one
  /// pass over the rows, each vector of a row loaded once for every x and
  /// each vector of an x once for every row (rows x xs accumulators).
  /// Block-quantized rows run one dot() each (on the xs' 8-bit blocks when
  /// they have them).
  SmallVector<Value> dotTile(const WeightRows &w, ValueRange rows,
                             ArrayRef<DotInput> xs, int64_t n);
  /// Row `row` of weight `weight`.
  struct RowRef {
    const WeightRows *weight;
    Value row;
  };
  /// The dot products of `rows` (of one or several weights of the same
  /// format) with `x`, in order. Rows of q4_0 against a paired input run in
  /// one loop, a chain per row (their streams read side by side); others
  /// one dot() each. In that loop `prefetch`, when given, is called once
  /// per step (the pair's index, of n / 64) in place of the rows' own
  /// stream prefetch, so the caller decides what is asked for meanwhile.
  SmallVector<Value> dotRows(ArrayRef<RowRef> rows, const DotInput &x,
                             int64_t n,
                             function_ref<void(Value)> prefetch = nullptr);
  /// The `count` rows of the flat [block x n] buffer `x`, each prepared as
  /// prepareDotInput prepares one vector (quantized to 8-bit blocks when
  /// the dot products with `w` run on integers), so that a block's dot
  /// products round their inputs as the decode step's do.
  BlockDotInput prepareBlockDotInput(const WeightRows &w, Value x, Value count,
                                     int64_t n);
  /// out[t * R + r] = dot(w[r], x[t]) for the `count` rows x[t] of the flat
  /// [block x n] buffer `x` and the R rows of `w` (a matrix-matrix product):
  /// pairs of rows in parallel, four tokens per pass over a pair.
  /// `needed(row, token)`, when given, says (i1) whether out[token, row] is
  /// used: a tile none of whose outputs is needed is skipped (its outputs
  /// are left as they were).
  void matmul(Value out, const WeightRows &w, Value x, Value count, int64_t n,
              StringRef what = {},
              function_ref<Value(Value, Value)> needed = nullptr);
  /// matmul's sparse float case: groups of kSparseRowGroup rows in
  /// parallel; for each chunk of kSparseColumns columns, in order, each
  /// 4-token tile's chunk of inputs is swept by the group's rows, one row
  /// at a time and only where `needed`; each output sums its chunks.
  void sparseFloatMatmul(Value out, const WeightRows &w,
                         const BlockDotInput &inputs, Value count, int64_t n,
                         StringRef what,
                         function_ref<Value(Value, Value)> needed);
  /// emit(first token, 4) for each whole tile of four of the `count`
  /// tokens, then emit(token, 1) for each one left.
  void forEachTokenTile(Value count, function_ref<void(Value, int64_t)> emit);
  /// Whether needed(row, token) holds (i1) for any of `rows` x `tokens`.
  Value anyNeeded(function_ref<Value(Value, Value)> needed, ValueRange rows,
                  ValueRange tokens);
  /// out[t * n + k] = sum over i of h[t * R + i] * w[i, k] for the `count`
  /// (at most `block`) rows of the flat [block x R] buffer `h` and the R
  /// rows of `w` ([R, n], the transposed down projection): column stripes
  /// in parallel, each cut into blocks of rows that a tile of four tokens
  /// by two vectors of columns sweeps in registers; the sum over i runs in
  /// row order.
  void combineRows(Value out, const WeightRows &w, Value h, Value count,
                   int64_t block, int64_t n, StringRef what = {});

  /// The gate side of an activation (what decides sparsity).
  Value gateActivation(llm::Activation act, Value g);
  /// act(g, u): the value a neuron contributes with.
  Value activation(llm::Activation act, Value g, Value u);

private:
  //===--- block-quantized rows (QuantizedRows.cpp) ---------------------===//
  /// 32 weights of a row: their levels (vector<32xi8>: signed for q8_0 and
  /// q6_k (centred); unsigned for q4_0, whose weights are levels -
  /// zeroPoint (8), q4_1 and q4_k), their scale (f32; for q6_k null, and
  /// `halfScales` those of weights 0-15 and 16-31) and, for q4_1 and q4_k,
  /// their offset (else null).
  struct DecodedBlock {
    Value levels, scale, offset;
    Value scaleF16; ///< `scale` as stored, when it is one f16
    /// The 16 bytes `levels` were unpacked from, for 4-bit formats.
    Value packedNibbles;
    /// q4_k: the two 16-byte halves of the 32 bytes whose low (or, with
    /// `highNibbles`, high) nibbles are the levels.
    std::array<Value, 2> nibbleHalves;
    bool highNibbles = false;
    std::array<Value, 2> halfScales;
    /// Decoded for integer dot products (decodeGroup with GroupScales): a
    /// k-quant's sub-block scales as the i16 multipliers of its 16 pair
    /// sums; `scale`, `offset` and `halfScales` are then null.
    Value pairWeights;
    bool isUnsigned = false;
    int64_t zeroPoint = 0;
  };
  /// Stored block `group` of row `row` as blocks of 32 weights, in order:
  /// one, or blocksPerGroup (8) for a k-quant's super-block.
  /// What a k-quant super-block's integer dot product scales by: d (f32)
  /// and, for q4_k, the 8 sub-blocks' offsets -dmin m_j (vector<8xf32>).
  struct GroupScales {
    Value d, offsets;
  };
  /// With `groupScales`, decodes for integer dot products (pairWeights).
  SmallVector<DecodedBlock> decodeGroup(const WeightRows &w, Value row,
                                        Value group,
                                        GroupScales *groupScales = nullptr);
  int64_t blocksPerGroup(const WeightRows &w) const;
  int64_t floatDotChains(int64_t n) const;
  /// Block `block` of 32 weights of row `row` (not a k-quant).
  DecodedBlock decodeBlock(const WeightRows &w, Value row, Value block);
  /// The 32 4-bit levels of 16 bytes: byte j holds level j (low nibble) and
  /// level j + 16 (high nibble).
  Value unpackNibbles(Value bytes);
  Value loadRowBytes(const WeightRows &w, Value row, Value at, int64_t count);
  /// Prefetches row `row` of `w` getStreamPrefetchBytes() past byte
  /// `offset` (nothing when the target says 0).
  void prefetchAhead(const WeightRows &w, Value row, Value offset);
  Value loadRowHalf(const WeightRows &w, Value row, Value at);
  enum class ByteOp { And, Or, ShiftLeft, ShiftRight, Sub };
  Value byteOp(Value bytes, int64_t c, ByteOp op);
  /// The block's 32 weights in f32: levels * scale (+ offset).
  Value dequantizeBlock(const DecodedBlock &block);
  /// The block's 32 levels in f32 (centred by the zero point).
  Value levelsToF32(const DecodedBlock &block);
  /// combineRows' frame: stripes of `stripe` of the `n` columns in
  /// parallel, each zeroing its columns of the tiles' rows of `out`, then
  /// for each of the `chunks` chunks of rows in order and each tile in
  /// order, body(stripe index, first column, first token, the offset of
  /// the chunk's entries in the row lists, their count), from `bounds`
  /// (index [tiles x (chunks + 1)]: where each chunk starts in the tile's
  /// list, then the list's length). `beforeChunk(stripe index, first
  /// column, chunk)`, when given, runs before each chunk's tiles.
  void
  forEachStripeTile(Value out, Value bounds, int64_t chunks, Value tiles,
                    int64_t tile, int64_t rows, int64_t n, int64_t stripe,
                    StringRef what,
                    function_ref<void(Value, Value, Value, Value, Value)> body,
                    function_ref<void(Value, Value, Value)> beforeChunk = {});
  /// combineRows of block-quantized rows, from the tiles' row lists
  /// (`lists`: i32 [tiles x R], `bounds`, `chunks`: as forEachStripeTile
  /// takes them): stripes of whole blocks in parallel; each listed row's
  /// blocks decoded once per tile and added, times each of the tile's
  /// tokens' values, into their outputs.
  void quantizedCombineRows(Value out, const WeightRows &w, Value h,
                            Value lists, Value bounds, int64_t chunks,
                            Value tiles, int64_t tile, int64_t n,
                            StringRef what);
  /// True when dot products with `w` run on 8-bit integers.
  bool usesInt8Dot(const WeightRows &w) const;
  Value quantizedDot(const WeightRows &w, Value row, Value x, int64_t n);
  Value int8Dot(const WeightRows &w, Value row, const DotInput &x, int64_t n,
                function_ref<void(Value)> prefetch);
  /// One block of `x` rounded to 8 bits: its levels and scale.
  struct BlockLevels {
    Value levels, scale;
  };
  BlockLevels quantizeInputBlock(Value x, Value block);
  DotInput preparePairedDotInput(Value x, int64_t n);
  DotInput prepareSuperBlockDotInput(const WeightRows &w, Value x, int64_t n);
  Value superBlockInt8Dot(const WeightRows &w, Value row, const DotInput &x,
                          int64_t n, function_ref<void(Value)> prefetch);
  /// Two q4_0 blocks of a row (pair `pair`): their levels as bytes (the
  /// low and the high nibbles) and [d_a x 4, d_b x 4].
  struct DecodedPair {
    Value low, high, scale;
  };
  DecodedPair decodePair(const WeightRows &w, Value row, Value pair,
                         bool streamPrefetch = true);
  /// acc + one pair's products with input `x` (pairedInt8Dot's step).
  Value pairedDotStep(const DecodedPair &weights, const DotInput &x, Value pair,
                      Value acc);
  /// Dot products of q4_0 `rows` with inputs `xs` (paired), row-major: each
  /// pair decoded once for all inputs, one chain per output.
  SmallVector<Value>
  pairedInt8DotTile(ArrayRef<RowRef> rows, ArrayRef<DotInput> xs, int64_t n,
                    function_ref<void(Value)> prefetch = nullptr);
  Value pairedInt8Dot(const WeightRows &w, Value row, const DotInput &x,
                      int64_t n);
  Value chainedSum(int64_t steps, function_ref<Value(Value, Value)> body);
  void quantizedAccumulateRows(const WeightRows &w, ValueRange rows,
                               ValueRange scales, Value acc, Value base,
                               int64_t n, function_ref<void(Value)> prefetch);
  void quantizedLoadRow(const WeightRows &w, Value row, Value out, int64_t n);

  OpBuilder &b;
  Location loc;
  const TargetInfoBase &target;
};

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_LLMTOLOOPS_KERNELBUILDER_H
