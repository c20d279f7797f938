//===- FusedFFN.cpp - sfn.fused_sparse_ffn in every mode -----------------===//
//
// Sparse modes: neurons are split into a fixed number of chunks (the
// target's, whatever the thread count), processed in parallel: each chunk
// builds its compact list of active neurons (from the predictor's scores,
// computed before as a matvec over all neurons, or from the dense gate in
// exact/threshold mode), reads only those
// neurons' rows, and accumulates the down projection into its own partial
// sum in index order. The step adds the partials in chunk order and
// stores the number of computed neurons in the FFN's stats slot, so the
// result is the same at any thread count and on every run.
//
// Dense mode computes every neuron's value, then the down projection (in
// its own layout) as a matvec: a scattered sum of 14336 rows would decode
// each quantized weight to f32, while a dot product per output runs on
// 8-bit integers.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferPlan.h"
#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// Elements of a weight row memref in one 64-byte cache line.
int64_t lineElements(Value rows) {
  Type element = cast<MemRefType>(rows.getType()).getElementType();
  return std::max<int64_t>(1, 64 / (element.getIntOrFloatBitWidth() / 8));
}

/// Tags the temporary `buffer` (a memref.alloc, which sparsec-plan-scratch
/// places) as holding record `kind` of the FFN in stats slot `slot`.
void tagRecord(ConversionPatternRewriter &rewriter, Value buffer, int64_t slot,
               StringRef kind) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return;
  SmallVector<Attribute> tags;
  if (auto existing = alloc->getAttrOfType<ArrayAttr>(kRecordTagsAttrName))
    llvm::append_range(tags, existing);
  tags.push_back(rewriter.getDictionaryAttr(
      {rewriter.getNamedAttr("slot", rewriter.getI64IntegerAttr(slot)),
       rewriter.getNamedAttr("kind", rewriter.getStringAttr(kind))}));
  rewriter.modifyOpInPlace(alloc, [&] {
    alloc->setAttr(kRecordTagsAttrName, rewriter.getArrayAttr(tags));
  });
}

struct FusedFFNLowering : public StepOpLowering<sfn::FusedSparseFFNOp> {
  using StepOpLowering::StepOpLowering;

  /// Lines of a row's start to prefetch: the target's stream prefetch
  /// distance, within the row (`all`: the whole row, its last line too).
  int64_t leadLines(Value rows, bool all = false) const {
    auto type = cast<MemRefType>(rows.getType());
    int64_t rowBytes = type.getDimSize(1) *
                       (type.getElementType().getIntOrFloatBitWidth() / 8);
    if (all)
      return (rowBytes + 63) / 64;
    int64_t bytes =
        std::min<int64_t>(step.target.getStreamPrefetchBytes(), rowBytes);
    return std::max<int64_t>(1, bytes / 64);
  }

  /// At step `index` of a loop of `steps`, asks for the lines of `rows`
  /// (each of `next`) that fall to it when a row's lines are spread evenly
  /// over the steps: with fewer lines than steps, line floor(index * lines /
  /// steps) at the first step that reaches it; else lines / steps of them
  /// (rounded up, the last step's cut at the row's end). Into L2: many
  /// requests into L1 in flight hold its few miss buffers and stall the
  /// loop's own loads.
  void prefetchSpread(OpBuilder &b, Location loc, KernelBuilder &kb, Value rows,
                      ValueRange next, Value index, int64_t steps) const {
    int64_t lines = leadLines(rows, /*all=*/true);
    auto prefetchLine = [&](Value line) {
      Value at = kb.muli(line, kb.idx(lineElements(rows)));
      for (Value row : next)
        step.target.emitPrefetch(b, loc, rows, ValueRange{row, at},
                                 TargetInfoBase::PrefetchLevel::L2);
    };
    if (lines > steps) {
      int64_t perStep = (lines + steps - 1) / steps;
      for (int64_t l = 0; l < perStep; ++l) {
        Value line = kb.addi(kb.muli(index, kb.idx(perStep)), kb.idx(l));
        if (lines % steps == 0) {
          prefetchLine(line);
          continue;
        }
        auto ifOp = scf::IfOp::create(
            b, loc,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, line,
                                  kb.idx(lines)));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        prefetchLine(line);
      }
      return;
    }
    Value scaled = kb.muli(index, kb.idx(lines));
    Value line = arith::DivUIOp::create(b, loc, scaled, kb.idx(steps));
    Value firstStep = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult,
        arith::RemUIOp::create(b, loc, scaled, kb.idx(steps)), kb.idx(lines));
    auto ifOp = scf::IfOp::create(b, loc, firstStep);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    prefetchLine(line);
  }

  LogicalResult
  matchAndRewrite(sfn::FusedSparseFFNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto statsSlot = op->getAttrOfType<IntegerAttr>(kStatsSlotAttrName);
    if (!statsSlot)
      return rewriter.notifyMatchFailure(op, "no planned stats slot");
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    auto gateType = cast<RankedTensorType>(op.getGate().getType());
    int64_t neurons = gateType.getDimSize(0), hidden = gateType.getDimSize(1);
    llm::Activation act = op.getActivation();
    sfn::SparseMode mode = op.getMode();
    Type f32 = rewriter.getF32Type(), index = rewriter.getIndexType();
    Value x = adaptor.getInput();
    WeightRows gate(adaptor.getGate(), op.getGate()),
        up(adaptor.getUp(), op.getUp()), down(adaptor.getDown(), op.getDown());
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    auto storeComputedCount = [&](Value total) {
      kb.store(arith::IndexCastOp::create(rewriter, loc, rewriter.getI32Type(),
                                          total),
               step.abi.getStatsView(rewriter, loc),
               kb.idx(statsSlot.getInt()));
    };

    if (step.prefillBlock) {
      // A block of prompt tokens computes every neuron's gate and up (the
      // block's tokens together activate most neurons) as matrix-matrix
      // products, then keeps the neurons the mode keeps for each token
      // (its predictor's scores, as matrix-matrix products too, or its
      // gate's threshold), so that prefill computes what decode would.
      // The down projection is a matrix-matrix product in its layout:
      // [hidden, neurons] in dense mode, transposed (a neuron's row in its
      // bundle) otherwise.
      // A dispatched expert runs over the block's tokens routed to it.
      int64_t block = step.prefillBlock;
      Value count = step.tokenCount(op);
      Value predictorInput = adaptor.getPredictorInput();
      if (const ExpertTokens *routed = step.expertTokensOf(op))
        if (Value rows = routed->gathered.lookup(op.getPredictorInput()))
          predictorInput = rows;
      Value gates = createTemporary(rewriter, loc, block * neurons, f32);
      Value ups = createTemporary(rewriter, loc, block * neurons, f32);
      Value scores;
      if (mode == sfn::SparseMode::Predicted) {
        WeightRows fc1(adaptor.getPredictorFc1(), op.getPredictorFc1());
        WeightRows fc2(adaptor.getPredictorFc2(), op.getPredictorFc2());
        int64_t rank = cast<RankedTensorType>(op.getPredictorFc1().getType())
                           .getDimSize(0);
        Value low = createTemporary(rewriter, loc, block * rank, f32);
        kb.matmul(low, fc1, predictorInput, count, hidden, "predictor fc1");
        kb.loop(kb.idx(0), kb.muli(count, kb.idx(rank)), 1,
                [&](Value i) { kb.store(kb.max0(kb.load(low, i)), low, i); });
        scores = createTemporary(rewriter, loc, block * neurons, f32);
        kb.matmul(scores, fc2, low, count, rank, "predictor fc2");
      }
      float cutoff = 0.0f;
      if (mode == sfn::SparseMode::Predicted && op.getPredictorThreshold())
        cutoff = op.getPredictorThreshold()->convertToFloat();
      if (mode == sfn::SparseMode::Threshold)
        cutoff = op.getActivationThreshold()->convertToFloat();
      Value threshold = kb.f32(cutoff);
      // Whether token t keeps neuron i (null: every neuron, dense mode): its
      // predictor score, else its gate, passes the cutoff.
      auto keeps = [&](Value at) -> Value {
        if (scores)
          return arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OGT,
                                       kb.load(scores, at), threshold);
        if (mode == sfn::SparseMode::Dense)
          return Value();
        return arith::CmpFOp::create(
            rewriter, loc, arith::CmpFPredicate::OGT,
            math::AbsFOp::create(rewriter, loc,
                                 kb.gateActivation(act, kb.load(gates, at))),
            threshold);
      };
      auto needed = [&](Value i, Value t) {
        return keeps(kb.addi(kb.muli(t, kb.idx(neurons)), i));
      };
      bool sparse = mode != sfn::SparseMode::Dense;
      // The predictor decides before the gate is read; the gate decides
      // before the up projection.
      kb.matmul(gates, gate, x, count, hidden, "gate",
                scores ? function_ref<Value(Value, Value)>(needed) : nullptr);
      kb.matmul(ups, up, x, count, hidden, "up",
                sparse ? function_ref<Value(Value, Value)>(needed) : nullptr);
      kb.loop(kb.idx(0), kb.muli(count, kb.idx(neurons)), 1, [&](Value i) {
        // A skipped tile left its gate and up values undefined: the select
        // drops them.
        Value h = kb.activation(act, kb.load(gates, i), kb.load(ups, i));
        if (Value keep = keeps(i))
          h = arith::SelectOp::create(rewriter, loc, keep, h, kb.f32(0.0));
        kb.store(h, gates, i);
      });
      if (mode == sfn::SparseMode::Dense)
        kb.matmul(out, down, gates, count, neurons, "down");
      else
        kb.combineRows(out, down, gates, count, block, hidden, "down");
      rewriter.replaceOp(op, out);
      return success();
    }

    if (mode == sfn::SparseMode::Dense) {
      // Every neuron's value h_i = act(gate_i x, up_i x), then the down
      // projection in its own layout: out = down h, one dot product per
      // output (on integers for quantized rows, like any matvec).
      Value h = createTemporary(rewriter, loc, neurons, f32);
      // --record-activations: act(gate_i x) kept too, and the buffers
      // tagged for the manifest's records (scratch is never reused).
      Value gates;
      if (op->getParentOfType<ModuleOp>()->hasAttr(
              kRecordActivationsAttrName)) {
        gates = createTemporary(rewriter, loc, neurons, f32);
        tagRecord(rewriter, x, statsSlot.getInt(), "input");
        tagRecord(rewriter, gates, statsSlot.getInt(), "gate");
        tagRecord(rewriter, h, statsSlot.getInt(), "activation");
      }
      DotInput xIn = kb.prepareDotInput(up, x, hidden);
      kb.parallel(
          neurons,
          [&](Value i) {
            Value g = kb.dot(gate, i, xIn, hidden);
            kb.store(kb.activation(act, g, kb.dot(up, i, xIn, hidden)), h, i);
            if (gates) // act(g) * 1
              kb.store(kb.activation(act, g, kb.f32(1.0f)), gates, i);
          },
          "gate/up");
      kb.matvec(out, down, h, /*relu=*/false, "down");
      storeComputedCount(kb.idx(neurons));
      rewriter.replaceOp(op, out);
      return success();
    }

    int64_t chunks =
        std::min<int64_t>(step.target.getNumNeuronChunks(), neurons);
    int64_t chunkSize = (neurons + chunks - 1) / chunks;
    Value partials = createTemporary(rewriter, loc, chunks * hidden, f32);
    Value counts = createTemporary(rewriter, loc, chunks, index);
    Value list, gateValues, scoreInput;
    std::optional<WeightRows> fc2;
    float cutoff = 0.0f;
    if (mode == sfn::SparseMode::Predicted) {
      fc2.emplace(adaptor.getPredictorFc2(), op.getPredictorFc2());
      int64_t rank =
          cast<RankedTensorType>(op.getPredictorFc1().getType()).getDimSize(0);
      scoreInput = createTemporary(rewriter, loc, rank, f32);
      kb.matvec(scoreInput,
                WeightRows(adaptor.getPredictorFc1(), op.getPredictorFc1()),
                adaptor.getPredictorInput(), /*relu=*/true, "predictor fc1");
      if (op.getPredictorThreshold())
        cutoff = op.getPredictorThreshold()->convertToFloat();
    } else {
      gateValues = createTemporary(rewriter, loc, neurons, f32);
      if (mode == sfn::SparseMode::Threshold)
        cutoff = op.getActivationThreshold()->convertToFloat();
    }
    list = createTemporary(rewriter, loc, neurons, index);
    // A neuron's down row is read only when its value is not zero (a
    // predicted neuron whose gate or up is not positive has none, nor has
    // a selected one whose up is not, with dReLU): the values of a chunk's
    // neurons come first, the nonzero ones kept here in order, then their
    // down rows.
    Value kept = createTemporary(rewriter, loc, neurons, index);
    Value keptValues = createTemporary(rewriter, loc, neurons, f32);
    // The predictor's scores, all of them: a matvec of its own, whose rows
    // are spread evenly over the threads (a chunk's active neurons are
    // not), and then a chunk only compares.
    Value scores;
    if (fc2) {
      scores = createTemporary(rewriter, loc, neurons, f32);
      kb.matvec(scores, *fc2, scoreInput, /*relu=*/false, "predictor fc2");
    }
    // The inputs of the per-neuron dot products, quantized once here when
    // they run on integers.
    DotInput xIn = kb.prepareDotInput(up, x, hidden);
    // Rows of floats, or of one block format with a block or super-block
    // per step (q8_0, q4_1, q4_k, q6_k, q4_0 rows of an odd block count), in
    // predicted mode: each of a pass's dot products asks for the same row
    // of the next pass, its lines spread over the steps, and the down loop
    // for the next pass's down rows (one thread, the FFN kernel per token:
    // predicted q8_0 17.0 -> 9.0 ms, q4_k 15.4 -> 10.2 ms, against asking
    // for the first lines of the next pass's rows before each pass). q4_0
    // pairs do the same in their own loops (below).
    bool spreadsRows =
        !gateValues && (xIn.q8 ? !xIn.paired : !up.getQuantType());
    // q4_0 down rows on 16-bit integers where the target has the pair dot
    // product: each chunk's workspace (the factors of a pass).
    Value downFloats, downInts;
    int64_t floatsPerChunk = 0, intsPerChunk = 0;
    if (kb.accumulatesOnInt16(down, hidden)) {
      std::tie(floatsPerChunk, intsPerChunk) =
          KernelBuilder::int16Workspace(hidden);
      downFloats = createTemporary(rewriter, loc, chunks * floatsPerChunk, f32);
      downInts = createTemporary(rewriter, loc, chunks * intsPerChunk,
                                 rewriter.getI32Type());
    }

    kb.parallel(
        chunks,
        [&](Value c) {
          Value lo = kb.muli(c, kb.idx(chunkSize));
          Value hi = arith::MinUIOp::create(
              rewriter, loc, kb.addi(lo, kb.idx(chunkSize)), kb.idx(neurons));
          // This chunk's partial sum: a [hidden] row of `partials`.
          Value pBase = kb.muli(c, kb.idx(hidden));
          kb.fill(partials, pBase, kb.addi(pBase, kb.idx(hidden)), 0.0);
          constexpr int64_t kRowsPerPass = 4;
          // The passes whose rows a pass asks for are the ones two on, not
          // the next: a request has a whole pass more to arrive. The experts'
          // FFN kernels of the MoE benchmark model (Zen 5, --profile): f16
          // 6.4-6.9 -> 4.1-4.2 ms per token on one thread, 3.5-4.0 ->
          // 2.6-3.0 on two; q4_0 1.36-1.38 -> 0.86 on two. Three or four
          // passes on were no better than one (f16, one thread: 6.9-7.9 ms).
          constexpr int64_t kPassesAhead = 2;
          constexpr int64_t kRowsAhead = kRowsPerPass * kPassesAhead;
          // The values of the chunk's neurons (positions [0, count) of its
          // list, `neuronAt`), four at a time, the nonzero ones kept in order
          // with their values; then the kept neurons' down rows, partials[c,
          // :] += h_i * downT[i, :], four neurons per pass over the partial
          // sum (one read and write of it instead of four); the last m % 4
          // take a pass each. The same additions in the same order as adding
          // every row (a zero value adds nothing). The down loop asks for the
          // down rows kPassesAhead passes on, spread over its steps; the
          // values' loop for those gate and up rows the same way in predicted
          // mode, and for their first lines before each pass in the modes
          // whose gates come from the selection (`beforePass`).
          auto valuesThenDown = [&](Value count,
                                    function_ref<Value(Value)> neuronAt,
                                    function_ref<Value(Value)> valueOf,
                                    function_ref<void(Value)> beforePass,
                                    function_ref<Value(Value)> neuronAhead) {
            bool paired = !gateValues && xIn.paired;
            auto keep = [&](Value m, Value row, Value value) -> Value {
              // Unordered: a NaN value is kept (and reaches the output).
              Value nonzero = arith::CmpFOp::create(rewriter, loc,
                                                    arith::CmpFPredicate::UNE,
                                                    value, kb.f32(0.0f));
              auto ifOp = scf::IfOp::create(rewriter, loc, index, nonzero,
                                            /*withElseRegion=*/true);
              OpBuilder::InsertionGuard guard(rewriter);
              rewriter.setInsertionPointToStart(ifOp.thenBlock());
              kb.store(row, kept, kb.addi(lo, m));
              kb.store(value, keptValues, kb.addi(lo, m));
              scf::YieldOp::create(rewriter, loc, kb.addi(m, kb.idx(1)));
              rewriter.setInsertionPointToStart(ifOp.elseBlock());
              scf::YieldOp::create(rewriter, loc, m);
              return ifOp.getResult(0);
            };
            Value passes = arith::DivUIOp::create(rewriter, loc, count,
                                                  kb.idx(kRowsPerPass));
            Value m = kb.loopCarry(
                kb.idx(0), passes, 1, kb.idx(0), [&](Value p, Value m) {
                  Value first = kb.muli(p, kb.idx(kRowsPerPass));
                  SmallVector<Value> rows, ahead, values;
                  for (int64_t r = 0; r < kRowsPerPass; ++r) {
                    rows.push_back(neuronAt(kb.addi(first, kb.idx(r))));
                    ahead.push_back(
                        neuronAhead(kb.addi(first, kb.idx(kRowsAhead + r))));
                  }
                  if (paired) {
                    // The pass's gate and up rows in one loop, their eight
                    // streams read side by side.
                    SmallVector<KernelBuilder::RowRef> refs;
                    for (Value row : rows) {
                      refs.push_back({&gate, row});
                      refs.push_back({&up, row});
                    }
                    SmallVector<Value> dots =
                        kb.dotRows(refs, xIn, hidden, [&](Value pairIndex) {
                          for (WeightRows *part : {&gate, &up})
                            prefetchSpread(rewriter, loc, kb, part->rows, ahead,
                                           pairIndex, hidden / 64);
                        });
                    for (int64_t r = 0; r < kRowsPerPass; ++r)
                      values.push_back(
                          kb.activation(act, dots[2 * r], dots[2 * r + 1]));
                  } else if (spreadsRows) {
                    for (int64_t r = 0; r < kRowsPerPass; ++r) {
                      auto rowDot = [&](WeightRows &part) {
                        return kb.dot(
                            part, rows[r], xIn, hidden, [&](Value blk) {
                              prefetchSpread(rewriter, loc, kb, part.rows,
                                             ValueRange{ahead[r]}, blk,
                                             kb.dotSteps(part, xIn, hidden));
                            });
                      };
                      Value g = rowDot(gate);
                      values.push_back(kb.activation(act, g, rowDot(up)));
                    }
                  } else {
                    beforePass(first);
                    for (Value row : rows)
                      values.push_back(valueOf(row));
                  }
                  for (int64_t r = 0; r < kRowsPerPass; ++r)
                    m = keep(m, rows[r], values[r]);
                  return m;
                });
            m = kb.loopCarry(kb.muli(passes, kb.idx(kRowsPerPass)), count, 1, m,
                             [&](Value j, Value m) {
                               Value row = neuronAt(j);
                               return keep(m, row, valueOf(row));
                             });
            // The kept neurons' down rows; a pass asks for those kPassesAhead
            // passes on (positions clamped to the last kept one).
            auto keptAt = [&](Value j) {
              return kb.load(kept, kb.addi(lo, j));
            };
            Value last = arith::SubIOp::create(
                rewriter, loc,
                arith::MaxUIOp::create(rewriter, loc, m, kb.idx(1)), kb.idx(1));
            Value downPasses =
                arith::DivUIOp::create(rewriter, loc, m, kb.idx(kRowsPerPass));
            kb.loop(kb.idx(0), downPasses, 1, [&](Value p) {
              Value first = kb.muli(p, kb.idx(kRowsPerPass));
              SmallVector<Value> rows, values, ahead;
              for (int64_t r = 0; r < kRowsPerPass; ++r) {
                Value j = kb.addi(first, kb.idx(r));
                rows.push_back(keptAt(j));
                values.push_back(kb.load(keptValues, kb.addi(lo, j)));
                ahead.push_back(keptAt(arith::MinUIOp::create(
                    rewriter, loc, kb.addi(j, kb.idx(kRowsAhead)), last)));
              }
              auto downSpread = [&](Value step) {
                prefetchSpread(rewriter, loc, kb, down.rows, ahead, step,
                               kb.accumulateSteps(down, hidden));
              };
              if (downFloats)
                kb.accumulateRowsOnInt16(
                    down, rows, values, partials, pBase, hidden, downFloats,
                    kb.muli(c, kb.idx(floatsPerChunk)), downInts,
                    kb.muli(c, kb.idx(intsPerChunk)), downSpread);
              else
                kb.accumulateRows(down, rows, values, partials, pBase, hidden,
                                  downSpread);
            });
            kb.loop(kb.muli(downPasses, kb.idx(kRowsPerPass)), m, 1,
                    [&](Value j) {
                      kb.accumulateRows(down, {keptAt(j)},
                                        {kb.load(keptValues, kb.addi(lo, j))},
                                        partials, pBase, hidden);
                    });
          };
          // The chunk's compact list of active neurons, in its own segment of
          // the list buffer; then only those neurons are read.
          Value threshold = kb.f32(cutoff);
          Value count =
              kb.loopCarry(lo, hi, 1, kb.idx(0), [&](Value i, Value n) {
                Value keep;
                if (fc2) {
                  Value score = kb.load(scores, i);
                  keep = arith::CmpFOp::create(rewriter, loc,
                                               arith::CmpFPredicate::OGT, score,
                                               threshold);
                } else {
                  Value g = kb.dot(gate, i, xIn, hidden);
                  kb.store(g, gateValues, i);
                  Value a = math::AbsFOp::create(rewriter, loc,
                                                 kb.gateActivation(act, g));
                  keep = arith::CmpFOp::create(
                      rewriter, loc, arith::CmpFPredicate::OGT, a, threshold);
                }
                auto ifOp = scf::IfOp::create(rewriter, loc, index, keep,
                                              /*withElseRegion=*/true);
                {
                  OpBuilder::InsertionGuard guard(rewriter);
                  rewriter.setInsertionPointToStart(ifOp.thenBlock());
                  kb.store(i, list, kb.addi(lo, n));
                  if (!gateValues && (xIn.paired || spreadsRows)) {
                    // Rows whose passes ask for those of later passes
                    // (above): the chunk's first kPassesAhead passes have
                    // no pass before them to ask for their rows; they are
                    // asked for here, as each of their neurons is found,
                    // while the selection goes on (MoE experts, a few passes
                    // per chunk: their kernel 4% faster on one thread).
                    Value inFirstPass = arith::CmpIOp::create(
                        rewriter, loc, arith::CmpIPredicate::ult, n,
                        kb.idx(kRowsAhead));
                    auto firstPass =
                        scf::IfOp::create(rewriter, loc, inFirstPass);
                    OpBuilder::InsertionGuard guard(rewriter);
                    rewriter.setInsertionPointToStart(firstPass.thenBlock());
                    for (WeightRows *part : {&gate, &up, &down}) {
                      int64_t lines = leadLines(part->rows, /*all=*/true);
                      kb.loop(kb.idx(0), kb.idx(lines), 1, [&](Value line) {
                        step.target.emitPrefetch(
                            rewriter, loc, part->rows,
                            ValueRange{i, kb.muli(line, kb.idx(lineElements(
                                                            part->rows)))},
                            TargetInfoBase::PrefetchLevel::L2);
                      });
                    }
                  }
                  scf::YieldOp::create(rewriter, loc, kb.addi(n, kb.idx(1)));
                  rewriter.setInsertionPointToStart(ifOp.elseBlock());
                  scf::YieldOp::create(rewriter, loc, n);
                }
                return ifOp.getResult(0);
              });
          // The neuron at position j of the chunk's list, for a prefetch: the
          // list always holds valid indices, so reading past the chunk's
          // count is harmless; it is clamped to the buffer.
          auto neuronAhead = [&](Value j) {
            Value slot = arith::MinUIOp::create(rewriter, loc, kb.addi(lo, j),
                                                kb.idx(neurons - 1));
            return kb.load(list, slot);
          };
          valuesThenDown(
              count, [&](Value j) { return kb.load(list, kb.addi(lo, j)); },
              [&](Value i) {
                Value g = gateValues ? kb.load(gateValues, i)
                                     : kb.dot(gate, i, xIn, hidden);
                return kb.activation(act, g, kb.dot(up, i, xIn, hidden));
              },
              [&](Value first) {
                // Ask for the start of the next pass's gate and up rows (the
                // ones the values' loop reads): within a row the hardware
                // prefetcher follows the stream, but the jump to the next
                // (sparse) neuron is a miss it cannot predict.
                for (int64_t ahead = kRowsPerPass; ahead < 2 * kRowsPerPass;
                     ++ahead) {
                  Value next = neuronAhead(kb.addi(first, kb.idx(ahead)));
                  Value first = gateValues ? up.rows : gate.rows;
                  for (Value rows : {first, gateValues ? Value() : up.rows}) {
                    if (!rows)
                      continue;
                    // The first row read gets its first lines asked for (as
                    // far as the dot product's own stream prefetch reaches);
                    // the others only their first: by then the stream is on.
                    int64_t lines = rows == first ? leadLines(rows) : 1;
                    for (int64_t line = 0; line < lines; ++line)
                      step.target.emitPrefetch(
                          rewriter, loc, rows,
                          ValueRange{next, kb.idx(line * lineElements(rows))},
                          step.target.getStreamPrefetchLevel());
                  }
                }
              },
              neuronAhead);
          kb.store(count, counts, c);
        },
        fc2 ? "select, gate/up, down" : "gate, select, up, down");

    // Sum the partials in chunk order (each output on its own: in parallel);
    // the stats slot gets the total count.
    kb.parallel(
        hidden,
        [&](Value k) {
          Value s = kb.loopCarry(
              kb.idx(0), kb.idx(chunks), 1, kb.f32(0.0), [&](Value c, Value a) {
                return kb.add(
                    a,
                    kb.load(partials, kb.addi(kb.muli(c, kb.idx(hidden)), k)));
              });
          kb.store(s, out, k);
        },
        "sum of chunks");
    Value total = kb.loopCarry(
        kb.idx(0), kb.idx(chunks), 1, kb.idx(0),
        [&](Value c, Value a) { return kb.addi(a, kb.load(counts, c)); });
    storeComputedCount(total);
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void sparsec::populateFusedFFNPatterns(RewritePatternSet &patterns,
                                       const LLMToLoopsContext &step) {
  patterns.add<FusedFFNLowering>(patterns.getContext(), step);
}
