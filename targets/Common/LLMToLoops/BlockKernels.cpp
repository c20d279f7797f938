//===- BlockKernels.cpp - kernels over a block of prompt tokens ----------===//
//
// The prefill step multiplies matrices: a block of T tokens' activations by
// a weight matrix that decode reads once per token. Reading each weight once
// per block instead of once per token turns a memory-bound matvec into
// compute-bound tiles, so the tiles keep several independent FMA chains in
// registers:
//
//  * matmul: 2 rows x 4 tokens of dot products per pass over the columns
//    (8 accumulators; each row vector feeds 4 FMAs, each token vector 2),
//    4 x 4 for float rows where the target has AVX-512's 32 registers;
//  * combineRows (out = h W with W stored [R, n], the transposed down
//    projection): a stripe of columns per parallel iteration, cut into
//    blocks of rows small enough to stay in L1 while every 4-token tile
//    sweeps them with 4 x 2 vector accumulators; block-quantized rows are
//    decoded once per tile and block of 32 and added into the tile's four
//    tokens (quantizedCombineRows). Either way a tile reads only the rows
//    one of its tokens needs.
//
// Sums run in a fixed order set by the shapes (never by the thread count),
// but not in the decode kernels' order: prefill and decode agree to f32
// rounding, not bit for bit.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// Tokens per register tile.
constexpr int64_t kTokensPerTile = 4;
/// A sparse FFN's gate/up product (KernelBuilder::sparseFloatMatmul): rows
/// per parallel iteration, and columns per chunk, so that a tile's chunk of
/// inputs (4 tokens x 1024 f32 = 16 KB) stays in L1 while the group's rows
/// (32 x 1024 weights) sweep it. On the f16 benchmark model (predicted,
/// 514-token prompt, 2 threads, Zen 4) the gate product went from 235 to
/// 158 ms per 64-token block, the prompt from 55-56 to 60-65 tok/s (64
/// rows per group: no different).
constexpr int64_t kSparseRowGroup = 32;
constexpr int64_t kSparseColumns = 1024;
/// The transposed down projection (KernelBuilder::combineRows): rows per
/// chunk, whose part of a stripe (256 rows x 256 f16 columns = 128 KB)
/// stays in L2 while every tile of tokens takes its rows from it.
constexpr int64_t kCombineChunkRows = 256;
/// Tiles of tokens from which combineRows decodes a chunk of block-quantized
/// rows once for all tiles, rather than each listed row once per tile.
constexpr int64_t kDecodeOnceTiles = 4;

/// The largest of `candidates` that divides `n` (1 if none does).
int64_t largestDivisor(int64_t n, ArrayRef<int64_t> candidates) {
  for (int64_t c : candidates)
    if (c > 0 && n % c == 0)
      return c;
  return 1;
}
} // namespace

Value sparsec::rowView(OpBuilder &b, Location loc, Value rows, Value t,
                       int64_t n) {
  auto type = cast<MemRefType>(rows.getType());
  Value offset = arith::MulIOp::create(
      b, loc, t, arith::ConstantIndexOp::create(b, loc, n));
  SmallVector<OpFoldResult> offsets = {offset}, sizes = {b.getIndexAttr(n)},
                            strides = {b.getIndexAttr(1)};
  auto viewType = cast<MemRefType>(
      memref::SubViewOp::inferResultType(type, offsets, sizes, strides));
  return memref::SubViewOp::create(b, loc, viewType, rows, offsets, sizes,
                                   strides);
}

namespace {
/// The fields of a DotInput, in BlockDotInput::sizes' order.
std::array<Value *, 5> fieldsOf(DotInput &input) {
  return {&input.values, &input.q8, &input.q8Scales, &input.q8ZeroPointTerms,
          &input.q8Sums};
}
} // namespace

DotInput BlockDotInput::at(OpBuilder &b, Location loc, Value t) const {
  DotInput input = buffers;
  for (auto [field, size] : llvm::zip_equal(fieldsOf(input), sizes))
    if (*field)
      *field = rowView(b, loc, *field, t, size);
  return input;
}

BlockDotInput KernelBuilder::prepareBlockDotInput(const WeightRows &w, Value x,
                                                  Value count, int64_t n) {
  BlockDotInput block{DotInput(x)};
  block.sizes[0] = n;
  if (!usesInt8Dot(w))
    return block;
  int64_t rows = cast<MemRefType>(x.getType()).getDimSize(0) / n;
  // Each token is prepared into one token's temporaries, which are then
  // copied into row t of the block's buffers (allocated before the loop,
  // once the temporaries' sizes are known).
  auto forOp = scf::ForOp::create(b, loc, idx(0), count, idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  Value t = forOp.getInductionVar();
  DotInput one = prepareDotInput(w, rowView(b, loc, x, t, n), n);
  block.buffers.paired = one.paired;
  block.buffers.superBlocks = one.superBlocks;
  for (auto [from, to, size] :
       llvm::zip_equal(fieldsOf(one), fieldsOf(block.buffers), block.sizes)) {
    if (!*from || from == &one.values)
      continue;
    auto type = cast<MemRefType>((*from).getType());
    size = type.getDimSize(0);
    {
      OpBuilder::InsertionGuard before(b);
      b.setInsertionPoint(forOp);
      *to = memref::AllocOp::create(
          b, loc, MemRefType::get({rows * size}, type.getElementType()),
          b.getI64IntegerAttr(64));
    }
    Value dest = rowView(b, loc, *to, t, size);
    int64_t lanes = size % 8 == 0 ? 8 : 1;
    auto vecType = VectorType::get({lanes}, type.getElementType());
    // A named copy: C++17 lambdas cannot capture structured bindings.
    Value source = *from;
    loop(0, size, lanes, [&](Value i) {
      vector::StoreOp::create(
          b, loc,
          vector::LoadOp::create(b, loc, vecType, source, ValueRange{i}), dest,
          ValueRange{i});
    });
  }
  return block;
}

SmallVector<Value> KernelBuilder::dotTile(const WeightRows &w, ValueRange rows,
                                          ArrayRef<DotInput> inputs,
                                          int64_t n) {
  SmallVector<Value> results;
  if (!inputs.empty() && inputs.front().paired) {
    SmallVector<RowRef> refs;
    for (Value row : rows)
      refs.push_back({&w, row});
    return pairedInt8DotTile(refs, inputs, n);
  }
  if (w.getQuantType()) {
    for (Value row : rows)
      for (const DotInput &x : inputs)
        results.push_back(dot(w, row, x, n));
    return results;
  }
  SmallVector<Value> xs;
  for (const DotInput &x : inputs)
    xs.push_back(x.values);
  int64_t lanes = target.lanesFor(n);
  auto accType = VectorType::get({lanes}, b.getF32Type());
  Type wElt = cast<MemRefType>(w.rows.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  SmallVector<Value> init(rows.size() * xs.size(), zero);
  auto forOp = scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value k = forOp.getInductionVar();
    SmallVector<Value> wvs, xvs, next;
    for (Value row : rows)
      wvs.push_back(toF32(vector::LoadOp::create(b, loc, wVecType, w.rows,
                                                 ValueRange{row, k})));
    for (Value x : xs)
      xvs.push_back(vector::LoadOp::create(b, loc, accType, x, ValueRange{k}));
    for (auto [r, wv] : llvm::enumerate(wvs))
      for (auto [j, xv] : llvm::enumerate(xvs))
        next.push_back(vector::FMAOp::create(
            b, loc, wv, xv, forOp.getRegionIterArgs()[r * xs.size() + j]));
    scf::YieldOp::create(b, loc, next);
  }
  return sumEach(forOp.getResults());
}

void KernelBuilder::matmul(Value out, const WeightRows &w, Value x, Value count,
                           int64_t n, StringRef what,
                           function_ref<Value(Value, Value)> needed) {
  int64_t rows = cast<MemRefType>(w.rows.getType()).getDimSize(0);
  // With AVX-512's 32 vector registers, float rows go four at a time (4 x
  // 4 accumulators): the f16 benchmark model's 514-token prompt prefilled
  // at 51-55 tok/s instead of 38 (2 threads, Zen 4). q4_0's integer tiles
  // were slower that way (73-76 against 83-87 tok/s): they keep two.
  // A sparse FFN's tiles (`needed`) take one row: four tokens need a row
  // far more often than one of several rows (90% sparsity: a 1 x 4 tile
  // is skipped 66% of the time, a 4 x 4 one 18%). Measured on the f16
  // benchmark models' 514-token prompt (2 threads, Zen 4): predicted
  // dense-FFN model 58.4 tok/s with one row, 56.5 with two, 55.6-56.2 with
  // four; the Mixtral-shaped one 224-230, 203-214 and 215-217; q4_0
  // (predicted, dense-FFN model) 90-92 with one row, 86-87 with two.
  int64_t tile = 1;
  if (!needed && rows % 4 == 0 && !w.getQuantType() &&
      target.getVectorWidth() >= 16)
    tile = 4;
  else if (!needed && rows % 2 == 0)
    tile = 2;
  BlockDotInput inputs = prepareBlockDotInput(w, x, count, n);
  if (needed && !w.getQuantType() && rows % kSparseRowGroup == 0 &&
      n % kSparseColumns == 0 && n > kSparseColumns)
    return sparseFloatMatmul(out, w, inputs, count, n, what, needed);
  parallel(
      rows / tile,
      [&](Value it) {
        SmallVector<Value> rs;
        for (int64_t r = 0; r < tile; ++r)
          rs.push_back(addi(muli(it, idx(tile)), idx(r)));
        auto emitTile = [&](Value t0, int64_t tokens) {
          SmallVector<Value> ts;
          for (int64_t j = 0; j < tokens; ++j)
            ts.push_back(addi(t0, idx(j)));
          // A sparse FFN needs few of a tile's outputs: a tile it needs
          // none of is not computed.
          OpBuilder::InsertionGuard guard(b);
          if (needed) {
            auto ifOp = scf::IfOp::create(b, loc, anyNeeded(needed, rs, ts));
            b.setInsertionPointToStart(ifOp.thenBlock());
          }
          SmallVector<DotInput> xs;
          for (Value t : ts)
            xs.push_back(inputs.at(b, loc, t));
          SmallVector<Value> dots = dotTile(w, rs, xs, n);
          for (int64_t r = 0; r < tile; ++r)
            for (int64_t j = 0; j < tokens; ++j)
              store(dots[r * tokens + j], out,
                    addi(muli(ts[j], idx(rows)), rs[r]));
        };
        forEachTokenTile(count, emitTile);
      },
      what);
}

void KernelBuilder::sparseFloatMatmul(
    Value out, const WeightRows &w, const BlockDotInput &inputs, Value count,
    int64_t n, StringRef what, function_ref<Value(Value, Value)> needed) {
  int64_t rows = cast<MemRefType>(w.rows.getType()).getDimSize(0);
  auto wType = cast<MemRefType>(w.rows.getType());
  parallel(
      rows / kSparseRowGroup,
      [&](Value it) {
        Value r0 = muli(it, idx(kSparseRowGroup));
        // Column chunks in order: each output is the sum of its chunks' dot
        // products, added in chunk order.
        loop(0, n, kSparseColumns, [&](Value k0) {
          Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                              k0, idx(0));
          SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), k0};
          SmallVector<OpFoldResult> sizes = {b.getIndexAttr(rows),
                                             b.getIndexAttr(kSparseColumns)};
          SmallVector<OpFoldResult> strides = {b.getIndexAttr(1),
                                               b.getIndexAttr(1)};
          auto chunkType = memref::SubViewOp::inferResultType(wType, offsets,
                                                              sizes, strides);
          WeightRows chunk(
              memref::SubViewOp::create(b, loc, cast<MemRefType>(chunkType),
                                        w.rows, offsets, sizes, strides),
              w.element);
          auto emitTile = [&](Value t0, int64_t tokens) {
            SmallVector<Value> ts;
            SmallVector<DotInput> xs;
            for (int64_t j = 0; j < tokens; ++j) {
              ts.push_back(addi(t0, idx(j)));
              Value row = inputs.at(b, loc, ts.back()).values;
              xs.push_back(DotInput(memref::SubViewOp::create(
                  b, loc, row, ArrayRef<OpFoldResult>{k0},
                  ArrayRef<OpFoldResult>{b.getIndexAttr(kSparseColumns)},
                  ArrayRef<OpFoldResult>{b.getIndexAttr(1)})));
            }
            // The group's rows sweep the tile's chunk of inputs, which stays
            // in L1 (the block's inputs are a MB and more: without chunks
            // every row streamed them from L2 and beyond).
            loop(idx(0), idx(kSparseRowGroup), 1, [&](Value i) {
              Value r = addi(r0, i);
              auto ifOp = scf::IfOp::create(b, loc, anyNeeded(needed, {r}, ts));
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(ifOp.thenBlock());
              SmallVector<Value> dots = dotTile(chunk, {r}, xs, kSparseColumns);
              for (auto [t, dot] : llvm::zip_equal(ts, dots)) {
                Value at = addi(muli(t, idx(rows)), r);
                // The first chunk starts the sum (out holds garbage before).
                Value sum = arith::SelectOp::create(b, loc, first, dot,
                                                    add(load(out, at), dot));
                store(sum, out, at);
              }
            });
          };
          forEachTokenTile(count, emitTile);
        });
      },
      what);
}

void KernelBuilder::forEachTokenTile(Value count,
                                     function_ref<void(Value, int64_t)> emit) {
  Value tiles = arith::DivUIOp::create(b, loc, count, idx(kTokensPerTile));
  loop(idx(0), tiles, 1,
       [&](Value g) { emit(muli(g, idx(kTokensPerTile)), kTokensPerTile); });
  loop(muli(tiles, idx(kTokensPerTile)), count, 1,
       [&](Value t) { emit(t, 1); });
}

Value KernelBuilder::anyNeeded(function_ref<Value(Value, Value)> needed,
                               ValueRange rows, ValueRange tokens) {
  Value any;
  for (Value r : rows)
    for (Value t : tokens) {
      Value one = needed(r, t);
      any = any ? arith::OrIOp::create(b, loc, any, one).getResult() : one;
    }
  return any;
}

void KernelBuilder::combineRows(Value out, const WeightRows &w, Value h,
                                Value count, int64_t block, int64_t n,
                                StringRef what) {
  int64_t rows = cast<MemRefType>(w.rows.getType()).getDimSize(0);
  int64_t lanes = target.lanesFor(n);
  int64_t vecs = n % (2 * lanes) == 0 ? 2 : 1;
  int64_t tileCols = vecs * lanes;
  // A stripe: enough columns per parallel iteration to read whole cache
  // lines of every row, few enough that the stripes outnumber the threads.
  int64_t stripe = largestDivisor(n, {256, 128, 64, tileCols});
  if (stripe % tileCols != 0)
    stripe = tileCols;
  // Tiles of four tokens where the block holds whole tiles; the rows of
  // tokens [count, tiles * tile) are zeroed in h, so a tile reads zeros
  // there (and writes zeros to out rows no one reads).
  int64_t tile = block % kTokensPerTile == 0 ? kTokensPerTile : 1;
  Value tiles = arith::CeilDivUIOp::create(b, loc, count, idx(tile));
  Value padded = muli(tiles, idx(tile));
  loop(count, padded, 1, [&](Value t) {
    Value base = muli(t, idx(rows));
    fill(h, base, addi(base, idx(rows)), 0.0);
  });
  // Each tile's rows that are nonzero for any of its tokens, in order (a
  // sparse FFN's activations are mostly zero): the kernel reads only those.
  // `bounds` [tile][chunk]: where each chunk of kCombineChunkRows rows
  // starts in the tile's list (and its end, after the last chunk).
  int64_t chunks = (rows + kCombineChunkRows - 1) / kCombineChunkRows;
  Type i32 = b.getI32Type();
  Value lists = memref::AllocOp::create(
      b, loc, MemRefType::get({block / tile * rows}, i32),
      b.getI64IntegerAttr(64));
  Value bounds = memref::AllocOp::create(
      b, loc, MemRefType::get({block / tile * (chunks + 1)}, b.getIndexType()),
      b.getI64IntegerAttr(64));
  loop(idx(0), tiles, 1, [&](Value g) {
    Value listBase = muli(g, idx(rows));
    Value boundsBase = muli(g, idx(chunks + 1));
    Value length = loopCarry(
        idx(0), idx(chunks), 1, idx(0), [&](Value chunk, Value start) {
          store(start, bounds, addi(boundsBase, chunk));
          Value lo = muli(chunk, idx(kCombineChunkRows));
          Value hi = arith::MinUIOp::create(
              b, loc, addi(lo, idx(kCombineChunkRows)), idx(rows));
          return loopCarry(lo, hi, 1, start, [&](Value i, Value k) {
            Value any;
            for (int64_t j = 0; j < tile; ++j) {
              Value t = addi(muli(g, idx(tile)), idx(j));
              Value nonzero = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::UNE,
                  load(h, addi(muli(t, idx(rows)), i)), f32(0.0));
              any = any ? arith::OrIOp::create(b, loc, any, nonzero).getResult()
                        : nonzero;
            }
            auto ifOp = scf::IfOp::create(b, loc, b.getIndexType(), any,
                                          /*withElseRegion=*/true);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(ifOp.thenBlock());
            store(arith::IndexCastOp::create(b, loc, i32, i), lists,
                  addi(listBase, k));
            scf::YieldOp::create(b, loc, ValueRange{addi(k, idx(1))});
            b.setInsertionPointToStart(ifOp.elseBlock());
            scf::YieldOp::create(b, loc, ValueRange{k});
            return ifOp.getResult(0);
          });
        });
    store(length, bounds, addi(boundsBase, idx(chunks)));
  });
  // Rows per block of a tile's list: a block of the stripe (entries x
  // stripe weights) stays in L1 while every column pair sweeps it.
  constexpr int64_t kRowsPerBlock = 32;
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  // A tile's listed rows added into its outputs; `weights(i, col)`: the
  // f32 vector of row i's weights from column col on.
  auto sweepTile = [&](Value c0, Value t0, Value listBase, Value length,
                       function_ref<Value(Value, Value)> weights) {
    loop(idx(0), length, kRowsPerBlock, [&](Value e0) {
      Value e1 =
          arith::MinUIOp::create(b, loc, addi(e0, idx(kRowsPerBlock)), length);
      loop(0, stripe, tileCols, [&](Value c) {
        Value col = addi(c0, c);
        SmallVector<Value> at, init;
        for (int64_t j = 0; j < tile; ++j)
          for (int64_t v = 0; v < vecs; ++v) {
            at.push_back(addi(muli(addi(t0, idx(j)), idx(n)),
                              addi(col, idx(v * lanes))));
            init.push_back(vector::LoadOp::create(b, loc, vecType, out,
                                                  ValueRange{at.back()}));
          }
        auto forOp = scf::ForOp::create(b, loc, e0, e1, idx(1), init);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(forOp.getBody());
          Value i = arith::IndexCastOp::create(
              b, loc, b.getIndexType(),
              load(lists, addi(listBase, forOp.getInductionVar())));
          ValueRange accs = forOp.getRegionIterArgs();
          SmallVector<Value> wvs, next;
          for (int64_t v = 0; v < vecs; ++v)
            wvs.push_back(weights(i, addi(col, idx(v * lanes))));
          for (int64_t j = 0; j < tile; ++j) {
            Value hj = vector::BroadcastOp::create(
                b, loc, vecType,
                load(h, addi(muli(addi(t0, idx(j)), idx(rows)), i)));
            for (int64_t v = 0; v < vecs; ++v)
              next.push_back(vector::FMAOp::create(b, loc, wvs[v], hj,
                                                   accs[j * vecs + v]));
          }
          scf::YieldOp::create(b, loc, next);
        }
        for (auto [result, a] : llvm::zip_equal(forOp.getResults(), at))
          vector::StoreOp::create(b, loc, result, out, ValueRange{a});
      });
    });
  };

  if (!w.getQuantType()) {
    Type wElt = cast<MemRefType>(w.rows.getType()).getElementType();
    auto wVecType = VectorType::get({lanes}, wElt);
    forEachStripeTile(
        out, bounds, chunks, tiles, tile, rows, n, stripe, what,
        [&](Value s, Value c0, Value t0, Value listBase, Value length) {
          sweepTile(c0, t0, listBase, length, [&](Value i, Value col) {
            return toF32(vector::LoadOp::create(b, loc, wVecType, w.rows,
                                                ValueRange{i, col}));
          });
        });
    return;
  }

  // Block-quantized rows. With enough tiles, each chunk's rows are decoded
  // to f32 once, into the stripe's part of `decoded` (256 rows x 256
  // columns: 256 KB, in L2), and every tile sweeps those: a row is decoded
  // once per chunk instead of once per tile that lists it. Short blocks
  // (few tiles, few listed rows) decode per tile (quantizedCombineRows).
  // A group: a block, or a k-quant's super-block of blocks.
  int64_t groupCols = w.getQuantType().getBlockSize();
  int64_t blockCols = groupCols / blocksPerGroup(w);
  if (stripe % groupCols != 0) {
    quantizedCombineRows(out, w, h, lists, bounds, chunks, tiles, tile, n,
                         what);
    return;
  }
  Value decoded = memref::AllocOp::create(
      b, loc,
      MemRefType::get({n / stripe * std::min(rows, kCombineChunkRows) * stripe},
                      b.getF32Type()),
      b.getI64IntegerAttr(64));
  // Where row i's weights of the stripe's column col are in `decoded`.
  auto decodedAt = [&](Value s, Value i, Value col) {
    Value row = arith::RemUIOp::create(b, loc, i, idx(kCombineChunkRows));
    return addi(muli(addi(muli(s, idx(kCombineChunkRows)), row), idx(stripe)),
                arith::RemUIOp::create(b, loc, col, idx(stripe)));
  };
  Value many = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, tiles,
                                     idx(kDecodeOnceTiles));
  auto ifOp = scf::IfOp::create(b, loc, many, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  forEachStripeTile(
      out, bounds, chunks, tiles, tile, rows, n, stripe, what,
      [&](Value s, Value c0, Value t0, Value listBase, Value length) {
        sweepTile(c0, t0, listBase, length, [&](Value i, Value col) {
          return vector::LoadOp::create(b, loc, vecType, decoded,
                                        decodedAt(s, i, col));
        });
      },
      [&](Value s, Value c0, Value chunk) {
        Value lo = muli(chunk, idx(kCombineChunkRows));
        Value hi = arith::MinUIOp::create(
            b, loc, addi(lo, idx(kCombineChunkRows)), idx(rows));
        Value g0 = arith::DivUIOp::create(b, loc, c0, idx(groupCols));
        loop(lo, hi, 1, [&](Value i) {
          loop(0, stripe / groupCols, 1, [&](Value k) {
            Value group = addi(g0, k);
            for (auto [blk, decodedBlock] :
                 llvm::enumerate(decodeGroup(w, i, group))) {
              Value col =
                  addi(muli(group, idx(groupCols)), idx(blk * blockCols));
              vector::StoreOp::create(b, loc, dequantizeBlock(decodedBlock),
                                      decoded, decodedAt(s, i, col));
            }
          });
        });
      });
  b.setInsertionPointToStart(ifOp.elseBlock());
  quantizedCombineRows(out, w, h, lists, bounds, chunks, tiles, tile, n, what);
}

void KernelBuilder::forEachStripeTile(
    Value out, Value bounds, int64_t chunks, Value tiles, int64_t tile,
    int64_t rows, int64_t n, int64_t stripe, StringRef what,
    function_ref<void(Value, Value, Value, Value, Value)> body,
    function_ref<void(Value, Value, Value)> beforeChunk) {
  Value padded = muli(tiles, idx(tile));
  parallel(
      n / stripe,
      [&](Value s) {
        Value c0 = muli(s, idx(stripe));
        loop(idx(0), padded, 1, [&](Value t) {
          Value base = addi(muli(t, idx(n)), c0);
          fill(out, base, addi(base, idx(stripe)), 0.0);
        });
        // A chunk of rows' part of the stripe stays in L2 while every tile
        // takes its listed rows from it (without chunks each tile read its
        // rows from memory again); each output still sums its rows in
        // order.
        loop(idx(0), idx(chunks), 1, [&](Value chunk) {
          if (beforeChunk)
            beforeChunk(s, c0, chunk);
          loop(idx(0), tiles, 1, [&](Value g) {
            Value at = addi(muli(g, idx(chunks + 1)), chunk);
            Value begin = load(bounds, at);
            Value end = load(bounds, addi(at, idx(1)));
            body(s, c0, muli(g, idx(tile)), addi(muli(g, idx(rows)), begin),
                 arith::SubIOp::create(b, loc, end, begin));
          });
        });
      },
      what);
}
