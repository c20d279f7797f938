//===- ConvertONNXToLLM.cpp - onnx graph -> llm decode step ---------------===//
//
// sparsec-convert-onnx-to-llm: see Passes.td for what is matched. The graph
// function's body moves into a new decode step whose token, position and
// cache stand in for the graph's inputs (as unrealized casts to the
// inputs' tensor types). Each pattern rewrites one subgraph into an llm op
// and hands the result back to the remaining onnx ops as an unrealized
// cast of the flat llm vector to the ONNX type; later patterns look
// through those casts (and through reshapes) to find their llm operands.
// When no pattern applies any more, the returned logits must be an llm
// value, and every onnx node must be dead.
//
//===----------------------------------------------------------------------===//

#include "passes/DecodeStep.h"
#include "passes/Passes.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

#include <cmath>

namespace mlir::sparsec {
#define GEN_PASS_DEF_CONVERTONNXTOLLMPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;
using onnx::NodeOp;

namespace {

/// What the patterns share: the step's arguments and what each graph input
/// became.
struct GraphInputs {
  Value token, pos, cache;
  /// past_key_values.N.key / .value casts -> (layer N, is the key).
  llvm::DenseMap<Value, std::pair<int64_t, bool>> past;
  Value tokenInput, positionInput;
  int64_t headDim = 0;
  /// Reads initializers the IR holds no value of (may be empty).
  ONNXWeightReader reader;
};

bool isVector(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 1 && tensor.getElementType().isF32() &&
         !tensor.isDynamicDim(0);
}
int64_t vectorSize(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(0);
}
RankedTensorType vectorType(MLIRContext *context, int64_t size) {
  return RankedTensorType::get({size}, Float32Type::get(context));
}

/// `v`'s defining node when it is the default-domain operator `type`.
NodeOp nodeOf(Value v, StringRef type) {
  auto node = v ? v.getDefiningOp<NodeOp>() : NodeOp();
  if (!node || node.getOpType() != type || !node.getDomain().empty())
    return {};
  return node;
}

/// A Cast to the type its input already has (torch exports `.float()` of
/// float tensors so).
bool isNoOpCast(NodeOp node) {
  if (node.getOpType() != "Cast")
    return false;
  auto from = dyn_cast<ShapedType>(node->getOperand(0).getType());
  auto to = dyn_cast<ShapedType>(node->getResult(0).getType());
  return from && to && from.getElementType() == to.getElementType();
}

/// A Transpose that only moves dimensions of size 1 (with batch 1 and one
/// token, [1, 1, heads, d] -> [1, heads, 1, d]): the elements keep their
/// order. Needs the input's shape (sparsec-fold-onnx-shapes finds it).
bool isOrderPreservingTranspose(NodeOp node) {
  if (node.getOpType() != "Transpose")
    return false;
  auto type = dyn_cast<RankedTensorType>(node->getOperand(0).getType());
  SmallVector<int64_t> perm = node.getInts("perm");
  if (!type || static_cast<int64_t>(perm.size()) != type.getRank())
    return false;
  int64_t last = -1;
  for (int64_t axis : perm) {
    if (axis < 0 || axis >= type.getRank() || type.isDynamicDim(axis))
      return false;
    if (type.getDimSize(axis) == 1)
      continue;
    if (axis < last)
      return false;
    last = axis;
  }
  return true;
}

/// Looks through ops that relabel a tensor without changing its values.
Value skipRelabels(Value v) {
  while (v) {
    auto node = v.getDefiningOp<NodeOp>();
    if (!node || !node.getDomain().empty() || node->getNumOperands() == 0)
      return v;
    StringRef type = node.getOpType();
    bool relabel = type == "Reshape" || type == "Squeeze" ||
                   type == "Unsqueeze" || type == "Flatten" ||
                   type == "Identity" || isNoOpCast(node) ||
                   isOrderPreservingTranspose(node);
    if (!relabel)
      return v;
    v = node->getOperand(0);
  }
  return v;
}

/// The llm vector an ONNX tensor holds (an earlier match's result), or null.
Value llmValue(Value v) {
  v = skipRelabels(v);
  auto cast = v ? v.getDefiningOp<UnrealizedConversionCastOp>()
                : UnrealizedConversionCastOp();
  if (!cast || cast->getNumOperands() != 1 ||
      !isVector(cast->getOperand(0).getType()))
    return {};
  return cast->getOperand(0);
}

/// `llmResult` as a value of the ONNX type `type`, for the ops not yet matched.
Value toGraph(PatternRewriter &rewriter, Location loc, Value llmResult,
              Type type) {
  return UnrealizedConversionCastOp::create(rewriter, loc, type, llmResult)
      .getResult(0);
}

/// Replaces `op` (its result 0; any others must be unused) with the llm
/// value `result`, seen by the graph as `type` (default: the result's own).
void replaceWithLLM(PatternRewriter &rewriter, Operation *op, Value result,
                    Type type = {}) {
  Value replacement = toGraph(rewriter, op->getLoc(), result,
                              type ? type : op->getResult(0).getType());
  rewriter.replaceAllUsesWith(op->getResult(0), replacement);
  rewriter.eraseOp(op);
}

/// The initializer `v` reads, through Identity and Cast (weights stored as
/// f16/bf16 are cast to f32 in the graph).
onnx::WeightOp weightOf(Value v) {
  while (v) {
    if (auto weight = v.getDefiningOp<onnx::WeightOp>())
      return weight;
    auto node = v.getDefiningOp<NodeOp>();
    if (!node || !node.getDomain().empty() ||
        (node.getOpType() != "Cast" && node.getOpType() != "Identity"))
      return {};
    v = node->getOperand(0);
  }
  return {};
}

/// An llm.param for the initializer, when it has an element type llm reads.
/// `transposed`: the initializer holds a matrix as [in, out] (MatMul's
/// layout); the param is its transpose, named "transpose(<name>)", which
/// the importer's tensor source produces.
Value paramOf(PatternRewriter &rewriter, onnx::WeightOp weight,
              bool transposed = false) {
  auto type = cast<RankedTensorType>(weight.getType());
  Type element = type.getElementType();
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return {};
  if (!transposed)
    return llm::ParamOp::create(rewriter, weight.getLoc(), type,
                                weight.getName());
  if (type.getRank() != 2)
    return {};
  auto swapped =
      RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)}, element);
  return llm::ParamOp::create(rewriter, weight.getLoc(), swapped,
                              ("transpose(" + weight.getName() + ")").str());
}

/// The values of a constant tensor (arith.constant, or an initializer that
/// carries its value), through Identity and Cast.
DenseElementsAttr constantOf(Value v) {
  while (v) {
    if (auto constant = v.getDefiningOp<arith::ConstantOp>())
      return dyn_cast<DenseElementsAttr>(constant.getValue());
    if (auto weight = v.getDefiningOp<onnx::WeightOp>())
      return weight.getValue() ? dyn_cast<DenseElementsAttr>(*weight.getValue())
                               : DenseElementsAttr();
    auto node = v.getDefiningOp<NodeOp>();
    if (!node || !node.getDomain().empty() ||
        (node.getOpType() != "Cast" && node.getOpType() != "Identity"))
      return {};
    v = node->getOperand(0);
  }
  return {};
}

/// A constant's values as doubles (floats or integers).
std::optional<SmallVector<double>> constantValues(Value v) {
  DenseElementsAttr attr = constantOf(v);
  if (!attr)
    return std::nullopt;
  SmallVector<double> values;
  if (isa<FloatType>(attr.getElementType())) {
    for (APFloat value : attr.getValues<APFloat>())
      values.push_back(value.convertToDouble());
  } else if (attr.getElementType().isInteger()) {
    for (APInt value : attr.getValues<APInt>())
      values.push_back(static_cast<double>(value.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return values;
}

std::optional<double> scalarOf(Value v) {
  std::optional<SmallVector<double>> values = constantValues(v);
  if (!values || values->empty())
    return std::nullopt;
  for (double value : *values)
    if (value != values->front())
      return std::nullopt;
  return values->front();
}

/// Rows [first, first + count) of a 2-D float constant or initializer, from
/// the IR's value or else the importer's reader.
std::optional<SmallVector<double>> rowsOf(Value v, int64_t first, int64_t count,
                                          const GraphInputs &inputs) {
  onnx::WeightOp weight = weightOf(v);
  auto type =
      weight ? cast<RankedTensorType>(weight.getType()) : RankedTensorType();
  if (!weight || type.getRank() != 2 || first < 0 ||
      first + count > type.getDimSize(0))
    return std::nullopt;
  int64_t cols = type.getDimSize(1);
  if (weight.getValue()) {
    std::optional<SmallVector<double>> all = constantValues(weight);
    if (!all)
      return std::nullopt;
    return SmallVector<double>(all->begin() + first * cols,
                               all->begin() + (first + count) * cols);
  }
  if (!inputs.reader)
    return std::nullopt;
  std::optional<std::vector<double>> rows =
      inputs.reader(weight.getName(), first, count);
  if (!rows || static_cast<int64_t>(rows->size()) != count * cols)
    return std::nullopt;
  return SmallVector<double>(rows->begin(), rows->end());
}

/// The rotary frequencies behind cos/sin caches ([positions, d/2] of
/// cos(p f_i), sin(p f_i)). f_i comes from row 1 and is refined on rows 2,
/// 4, 8, ... (the angle measured there, unwrapped next to the prediction,
/// divided by the row): f16 caches hold angles to ~1e-3, so row 1 alone
/// would be off by that much. Every row read must agree with the result.
std::optional<SmallVector<double>>
frequenciesOfCaches(Value cosCache, Value sinCache, const GraphInputs &in) {
  onnx::WeightOp cosWeight = weightOf(cosCache);
  if (!cosWeight)
    return std::nullopt;
  auto type = cast<RankedTensorType>(cosWeight.getType());
  if (type.getRank() != 2 || type.getDimSize(0) < 2)
    return std::nullopt;
  int64_t last = type.getDimSize(0) - 1;
  auto cos1 = rowsOf(cosCache, 1, 1, in), sin1 = rowsOf(sinCache, 1, 1, in);
  if (!cos1 || !sin1 || cos1->size() != sin1->size())
    return std::nullopt;
  SmallVector<double> frequencies;
  for (size_t i = 0; i < cos1->size(); ++i)
    frequencies.push_back(std::atan2((*sin1)[i], (*cos1)[i]));
  for (int64_t row = 2; row <= last; row *= 2) {
    auto cosRow = rowsOf(cosCache, row, 1, in),
         sinRow = rowsOf(sinCache, row, 1, in);
    if (!cosRow || !sinRow)
      return std::nullopt;
    for (size_t i = 0; i < frequencies.size(); ++i) {
      double predicted = frequencies[i] * static_cast<double>(row);
      double measured = std::atan2((*sinRow)[i], (*cosRow)[i]);
      double turns = std::round((predicted - measured) / (2 * M_PI));
      double angle = measured + 2 * M_PI * turns;
      // More than a quarter turn off: not a rotary table.
      if (std::abs(angle - predicted) > M_PI / 2)
        return std::nullopt;
      frequencies[i] = angle / static_cast<double>(row);
    }
  }
  auto cosLast = rowsOf(cosCache, last, 1, in),
       sinLast = rowsOf(sinCache, last, 1, in);
  if (!cosLast || !sinLast)
    return std::nullopt;
  for (size_t i = 0; i < frequencies.size(); ++i) {
    double angle = frequencies[i] * static_cast<double>(last);
    if (std::abs(std::cos(angle) - (*cosLast)[i]) > 2e-2 ||
        std::abs(std::sin(angle) - (*sinLast)[i]) > 2e-2)
      return std::nullopt;
  }
  return frequencies;
}

/// How closely frequencies recovered from a cos/sin cache can match
/// theta^(-2i/d): f32 caches to ~1e-6, f16/bf16 ones to ~1e-3 (their angles
/// hold ~3 digits).
double cacheTolerance(Value cache) {
  onnx::WeightOp weight = weightOf(cache);
  return weight && cast<RankedTensorType>(weight.getType())
                       .getElementType()
                       .isF32()
             ? 1e-5
             : 2e-3;
}

/// theta when frequencies are theta^(-2i/d) (rounded to an integer when
/// that reproduces them); else nullopt (scaled RoPE: keep the table).
std::optional<double> thetaOf(ArrayRef<double> frequencies, int64_t headDim,
                              double tolerance) {
  double estimate = frequencies.size() > 1
                        ? std::pow(frequencies[1], -headDim / 2.0)
                        : 10000.0;
  auto reproduces = [&](double theta) {
    for (size_t i = 0; i < frequencies.size(); ++i) {
      double expected = std::pow(theta, -2.0 * i / headDim);
      if (std::abs(frequencies[i] - expected) > tolerance * expected)
        return false;
    }
    return true;
  };
  if (reproduces(std::round(estimate)))
    return std::round(estimate);
  if (reproduces(estimate))
    return estimate;
  return std::nullopt;
}

/// llm.rope of `input` with these frequencies: theta when they follow it,
/// else the table itself.
Value createRope(PatternRewriter &rewriter, Location loc, Value input,
                 Value pos, ArrayRef<double> frequencies, double tolerance) {
  int64_t headDim = 2 * static_cast<int64_t>(frequencies.size());
  std::optional<double> theta = thetaOf(frequencies, headDim, tolerance);
  DenseF32ArrayAttr table;
  if (!theta)
    table = rewriter.getDenseF32ArrayAttr(llvm::to_vector(llvm::map_range(
        frequencies, [](double f) { return static_cast<float>(f); })));
  return llm::RotaryOp::create(
      rewriter, loc, input, pos, rewriter.getI64IntegerAttr(headDim),
      rewriter.getF64FloatAttr(theta.value_or(10000.0)), table);
}

/// Whether `v` is the graph input `input` (through relabels and casts).
bool readsInput(Value v, Value input) {
  while (v) {
    v = skipRelabels(v);
    if (v == input)
      return true;
    NodeOp cast = nodeOf(v, "Cast");
    if (!cast)
      return false;
    v = cast->getOperand(0);
  }
  return false;
}

/// Both operands of a commutative node, in the order `first` accepts them.
template <typename Fn>
bool commuted(NodeOp node, Fn &&first, Value &a, Value &b) {
  if (node->getNumOperands() != 2)
    return false;
  a = node->getOperand(0);
  b = node->getOperand(1);
  if (first(a))
    return true;
  std::swap(a, b);
  return first(a);
}

/// Whether `v` is the token's position: the position_ids input, or the
/// cache position exporters compute without one, Range(p, p + 1, 1) with p
/// the past length, Shape(past_key_values.N.*)[2] (the decode step's
/// contract: a token's position is the number of tokens before it).
bool readsPosition(Value v, const GraphInputs &inputs) {
  auto strip = [](Value v) {
    while (true) {
      v = skipRelabels(v);
      NodeOp cast = nodeOf(v, "Cast");
      if (!cast)
        return v;
      v = cast->getOperand(0);
    }
  };
  auto isPastLength = [&](Value v) {
    NodeOp gather = nodeOf(strip(v), "Gather");
    NodeOp shape = gather ? nodeOf(gather->getOperand(0), "Shape") : NodeOp();
    std::optional<double> index =
        gather ? scalarOf(gather->getOperand(1)) : std::nullopt;
    return shape && index && *index == 2 && gather.getInt("axis", 0) == 0 &&
           inputs.past.count(shape->getOperand(0));
  };
  v = strip(v);
  if (inputs.positionInput && v == strip(inputs.positionInput))
    return true;
  NodeOp range = nodeOf(v, "Range");
  if (!range || range->getNumOperands() != 3)
    return false;
  std::optional<double> delta = scalarOf(range->getOperand(2));
  NodeOp end = nodeOf(strip(range->getOperand(1)), "Add");
  Value start, one;
  if (!delta || *delta != 1 || !end || !isPastLength(range->getOperand(0)) ||
      !commuted(end, isPastLength, start, one))
    return false;
  std::optional<double> step = scalarOf(one);
  return step && *step == 1;
}

template <typename OpTy> struct GraphPattern : public OpRewritePattern<NodeOp> {
  GraphPattern(MLIRContext *context, const GraphInputs &inputs,
               PatternBenefit benefit = 1)
      : OpRewritePattern<NodeOp>(context, benefit), inputs(inputs) {}
  const GraphInputs &inputs;
};

//===--- embedding --------------------------------------------------------===//

/// Gather(table [vocab, hidden], input_ids) -> llm.embed.
struct EmbeddingPattern : public GraphPattern<llm::EmbedOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "Gather" || !op.getDomain().empty() ||
        op->getNumOperands() != 2 || op.getInt("axis", 0) != 0)
      return failure();
    onnx::WeightOp table = weightOf(op->getOperand(0));
    if (!table || cast<RankedTensorType>(table.getType()).getRank() != 2 ||
        !readsInput(op->getOperand(1), inputs.tokenInput))
      return failure();
    Value param = paramOf(rewriter, table);
    if (!param)
      return failure();
    int64_t hidden = cast<RankedTensorType>(table.getType()).getDimSize(1);
    Value embed = llm::EmbedOp::create(rewriter, op.getLoc(),
                                       vectorType(getContext(), hidden), param,
                                       inputs.token);
    replaceWithLLM(rewriter, op, embed);
    return success();
  }
};

//===--- RMSNorm ----------------------------------------------------------===//

/// x * w / sqrt(mean(x^2) + eps), in the spellings exporters use:
/// Mul(Mul(x, Reciprocal(Sqrt(s))), w), Mul(Div(x, Sqrt(s)), w), with
/// s = Add(ReduceMean(Mul(x, x) | Pow(x, 2)), eps), in any operand order.
struct RMSNormPattern : public GraphPattern<llm::RMSNormOp> {
  using GraphPattern::GraphPattern;

  /// x and eps when `v` is sqrt(mean(x^2) + eps) (Sqrt(s) node).
  static bool matchRootMeanSquare(Value v, Value &x, double &eps) {
    NodeOp sqrt = nodeOf(v, "Sqrt");
    if (!sqrt)
      return false;
    NodeOp add = nodeOf(sqrt->getOperand(0), "Add");
    if (!add)
      return false;
    Value meanValue, epsValue;
    if (!commuted(
            add, [](Value v) { return bool(nodeOf(v, "ReduceMean")); },
            meanValue, epsValue))
      return false;
    std::optional<double> epsilon = scalarOf(epsValue);
    NodeOp mean = nodeOf(meanValue, "ReduceMean");
    if (!epsilon || mean.getInt("keepdims", 1) != 1)
      return false;
    Value square = mean->getOperand(0);
    if (NodeOp mul = nodeOf(square, "Mul")) {
      if (mul->getOperand(0) != mul->getOperand(1))
        return false;
      x = mul->getOperand(0);
    } else if (NodeOp pow = nodeOf(square, "Pow")) {
      std::optional<double> exponent = scalarOf(pow->getOperand(1));
      if (!exponent || *exponent != 2.0)
        return false;
      x = pow->getOperand(0);
    } else {
      return false;
    }
    eps = *epsilon;
    return true;
  }

  /// x and eps when `v` is x / rms(x).
  static bool matchNormalized(Value v, Value &x, double &eps) {
    if (NodeOp div = nodeOf(v, "Div")) {
      Value inner;
      return matchRootMeanSquare(div->getOperand(1), inner, eps) &&
             inner == div->getOperand(0) && (x = inner, true);
    }
    NodeOp mul = nodeOf(v, "Mul");
    if (!mul)
      return false;
    // x * 1/rms: Reciprocal(Sqrt(s)) or Div(1, Sqrt(s)) (torch's rsqrt).
    auto inverse = [](Value v) -> Value {
      if (NodeOp reciprocal = nodeOf(v, "Reciprocal"))
        return reciprocal->getOperand(0);
      NodeOp div = nodeOf(v, "Div");
      std::optional<double> one =
          div ? scalarOf(div->getOperand(0)) : std::nullopt;
      return one && *one == 1.0 ? div->getOperand(1) : Value();
    };
    Value scaled, reciprocal;
    if (!commuted(
            mul, [&](Value v) { return static_cast<bool>(inverse(v)); },
            reciprocal, scaled))
      return false;
    Value inner;
    return matchRootMeanSquare(inverse(reciprocal), inner, eps) &&
           inner == scaled && (x = inner, true);
  }

  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "Mul" || !op.getDomain().empty())
      return failure();
    Value normalized, weightValue;
    if (!commuted(
            op,
            [](Value v) {
              onnx::WeightOp w = weightOf(v);
              return w && cast<RankedTensorType>(w.getType()).getRank() == 1;
            },
            weightValue, normalized))
      return failure();
    Value x;
    double eps = 0;
    if (NodeOp cast = nodeOf(normalized, "Cast"); cast && isNoOpCast(cast))
      normalized = cast->getOperand(0);
    if (!matchNormalized(normalized, x, eps))
      return failure();
    Value input = llmValue(x);
    onnx::WeightOp weight = weightOf(weightValue);
    if (!input || cast<RankedTensorType>(weight.getType()).getDimSize(0) !=
                      vectorSize(input))
      return failure();
    Value param = paramOf(rewriter, weight);
    if (!param)
      return failure();
    Value norm = llm::RMSNormOp::create(rewriter, op.getLoc(), input, param,
                                        rewriter.getF32FloatAttr(eps));
    replaceWithLLM(rewriter, op, norm);
    return success();
  }
};

//===--- linear layers ----------------------------------------------------===//

/// A matched x W^T: its input and where the [out, in] weight comes from.
struct LinearMatch {
  Value input;
  /// A float initializer, stored [out, in] or (`transposed`) [in, out].
  onnx::WeightOp weight;
  bool transposed = false;
  /// Or a MatMulNBits node's 4-bit blocks and scales.
  NodeOp nbits;

  int64_t rows() {
    if (nbits)
      return nbits.getInt("N", 0);
    return cast<RankedTensorType>(weight.getType())
        .getDimSize(transposed ? 1 : 0);
  }
  int64_t columns() {
    if (nbits)
      return nbits.getInt("K", 0);
    return cast<RankedTensorType>(weight.getType())
        .getDimSize(transposed ? 0 : 1);
  }

  /// The llm.param of the [out, in] weight. MatMulNBits weights are named
  /// "dequantize_nbits(B,scales,bits,block_size)": the importer's tensor
  /// source decodes them (and hands ggml q4_0 blocks on where they are
  /// those).
  Value param(PatternRewriter &rewriter) {
    if (!nbits)
      return paramOf(rewriter, weight, transposed);
    onnx::WeightOp blocks = weightOf(nbits->getOperand(1));
    onnx::WeightOp scales = weightOf(nbits->getOperand(2));
    Type element = cast<RankedTensorType>(scales.getType()).getElementType();
    auto type = RankedTensorType::get({rows(), columns()}, element);
    std::string name =
        ("dequantize_nbits(" + blocks.getName() + "," + scales.getName() + "," +
         Twine(nbits.getInt("bits", 4)) + "," +
         Twine(nbits.getInt("block_size", 0)) + ")")
            .str();
    return llm::ParamOp::create(rewriter, nbits.getLoc(), type, name);
  }
};

/// x W^T as Gemm(x, W, transB=1) or MatMul(x, Transpose(W)) with W [out,
/// in]; Gemm(x, W) or MatMul(x, W) with W [in, out] (what torch.onnx and
/// onnxruntime-genai write); or MatMulNBits (4-bit blocks without zero
/// points, f32/f16 scales).
std::optional<LinearMatch> matchLinear(NodeOp op) {
  LinearMatch match;
  if (op.getDomain() == "com.microsoft" && op.getOpType() == "MatMulNBits") {
    // A, B, scales; no zero points, group index or bias.
    for (unsigned i = 3; i < op->getNumOperands(); ++i)
      if (!isa<NoneType>(op->getOperand(i).getType()))
        return std::nullopt;
    int64_t k = op.getInt("K", 0), n = op.getInt("N", 0);
    int64_t block = op.getInt("block_size", 0);
    onnx::WeightOp blocks = weightOf(op->getOperand(1));
    onnx::WeightOp scales = op->getNumOperands() > 2
                                ? weightOf(op->getOperand(2))
                                : onnx::WeightOp();
    if (op.getInt("bits", 4) != 4 || k <= 0 || n <= 0 || block < 16 ||
        k % block != 0 || !blocks || !scales)
      return std::nullopt;
    auto blockType = cast<RankedTensorType>(blocks.getType());
    auto scaleType = cast<RankedTensorType>(scales.getType());
    Type scaleElement = scaleType.getElementType();
    if (blockType.getShape() != ArrayRef<int64_t>{n, k / block, block / 2} ||
        scaleType.getNumElements() != n * (k / block) ||
        !(scaleElement.isF32() || scaleElement.isF16()))
      return std::nullopt;
    match.nbits = op;
    match.input = op->getOperand(0);
    return match;
  }
  if (!op.getDomain().empty())
    return std::nullopt;
  if (op.getOpType() == "Gemm") {
    if (op->getNumOperands() != 2 || op.getInt("transA", 0) != 0 ||
        op.getFloat("alpha", 1.0) != 1.0)
      return std::nullopt;
    match.transposed = op.getInt("transB", 0) == 0;
    match.weight = weightOf(op->getOperand(1));
  } else if (op.getOpType() == "MatMul") {
    match.transposed = true;
    match.weight = weightOf(op->getOperand(1));
    if (NodeOp transpose = nodeOf(op->getOperand(1), "Transpose")) {
      SmallVector<int64_t> perm = transpose.getInts("perm");
      if (!perm.empty() && perm != SmallVector<int64_t>{1, 0})
        return std::nullopt;
      match.transposed = false;
      match.weight = weightOf(transpose->getOperand(0));
    }
  } else {
    return std::nullopt;
  }
  if (!match.weight ||
      cast<RankedTensorType>(match.weight.getType()).getRank() != 2)
    return std::nullopt;
  match.input = op->getOperand(0);
  return match;
}

struct LinearPattern : public GraphPattern<llm::LinearOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<LinearMatch> match = matchLinear(op);
    if (!match)
      return failure();
    Value input = llmValue(match->input);
    if (!input || match->columns() != vectorSize(input))
      return failure();
    Value param = match->param(rewriter);
    if (!param)
      return failure();
    Value linear = llm::LinearOp::create(
        rewriter, op.getLoc(), vectorType(getContext(), match->rows()), input,
        param);
    replaceWithLLM(rewriter, op, linear);
    return success();
  }
};

//===--- rotary embedding -------------------------------------------------===//

/// x*cos + rotate_half(x)*sin with rotate_half(x) = Concat(-x2, x1) over the
/// last axis, cos/sin = Cos/Sin(Concat(f, f)), f = position * inv_freq.
struct RotaryPattern : public GraphPattern<llm::RotaryOp> {
  using GraphPattern::GraphPattern;

  /// inv_freq when `v` is Cos or Sin (`trig`) of the position's angles.
  /// Cos/Sin(Concat(f, f)) with f = position * inv_freq, as a Mul, or as
  /// transformers' MatMul(inv_freq[None, :, None], position[:, None, :])
  /// (through casts, unsqueezes and an Expand of the frequencies).
  std::optional<SmallVector<double>> angles(Value v, StringRef trig) const {
    NodeOp node = nodeOf(skipRelabels(v), trig);
    NodeOp concat =
        node ? nodeOf(skipRelabels(node->getOperand(0)), "Concat") : NodeOp();
    if (!concat || concat->getNumOperands() != 2 ||
        concat->getOperand(0) != concat->getOperand(1))
      return std::nullopt;
    Value f = skipRelabels(concat->getOperand(0));
    NodeOp product = nodeOf(f, "Mul") ? nodeOf(f, "Mul") : nodeOf(f, "MatMul");
    Value positions, frequencies;
    if (!product ||
        !commuted(
            product, [&](Value v) { return readsPosition(v, inputs); },
            positions, frequencies))
      return std::nullopt;
    // The frequencies' constant, through casts and an Expand over batch 1.
    while (true) {
      frequencies = skipRelabels(frequencies);
      NodeOp wrapper = nodeOf(frequencies, "Expand");
      if (!wrapper)
        wrapper = nodeOf(frequencies, "Cast");
      if (!wrapper)
        break;
      frequencies = wrapper->getOperand(0);
    }
    return constantValues(frequencies);
  }

  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "Add" || !op.getDomain().empty() ||
        op->getNumOperands() != 2)
      return failure();
    for (int first = 0; first < 2; ++first) {
      NodeOp straight = nodeOf(op->getOperand(first), "Mul");
      NodeOp rotated = nodeOf(op->getOperand(1 - first), "Mul");
      if (!straight || !rotated)
        continue;
      Value x, cosValue, rot, sinValue;
      if (!commuted(
              straight,
              [&](Value v) { return bool(nodeOf(skipRelabels(v), "Cos")); },
              cosValue, x) ||
          !commuted(
              rotated,
              [&](Value v) { return bool(nodeOf(skipRelabels(v), "Sin")); },
              sinValue, rot))
        continue;
      std::optional<SmallVector<double>> invFreq = angles(cosValue, "Cos");
      std::optional<SmallVector<double>> sinFreq = angles(sinValue, "Sin");
      if (!invFreq || !sinFreq || *invFreq != *sinFreq || invFreq->size() < 1)
        continue;
      int64_t headDim = 2 * static_cast<int64_t>(invFreq->size());
      // rotate_half(x) = Concat(Neg(x[half:]), x[:half]).
      NodeOp concat = nodeOf(rot, "Concat");
      if (!concat || concat->getNumOperands() != 2)
        continue;
      NodeOp neg = nodeOf(concat->getOperand(0), "Neg");
      NodeOp second = neg ? nodeOf(neg->getOperand(0), "Slice") : NodeOp();
      NodeOp firstHalf = nodeOf(concat->getOperand(1), "Slice");
      if (!second || !firstHalf || second->getOperand(0) != x ||
          firstHalf->getOperand(0) != x || second->getNumOperands() < 3 ||
          firstHalf->getNumOperands() < 3)
        continue;
      std::optional<double> secondStart = scalarOf(second->getOperand(1));
      std::optional<double> firstStart = scalarOf(firstHalf->getOperand(1));
      std::optional<double> firstEnd = scalarOf(firstHalf->getOperand(2));
      if (!secondStart || !firstStart || !firstEnd || *firstStart != 0 ||
          *firstEnd != headDim / 2 || *secondStart != headDim / 2)
        continue;
      Value input = llmValue(x);
      if (!input || vectorSize(input) % headDim != 0)
        continue;
      Value rope =
          createRope(rewriter, op.getLoc(), input, inputs.pos, *invFreq, 1e-5);
      replaceWithLLM(rewriter, op, rope);
      return success();
    }
    return failure();
  }
};

//===--- attention --------------------------------------------------------===//

/// Softmax(Q K^T * scale) V with K = Concat(past key N, k), V =
/// Concat(past value N, v) (axis 2), query heads grouped over KV heads.
Value unrepeat(Value v);
bool isMaskOnly(Value bias, const GraphInputs &inputs);

struct AttentionPattern : public GraphPattern<llm::AttentionOp> {
  using GraphPattern::GraphPattern;

  /// The new rows appended to layer `layer`'s past keys/values (axis 2 of
  /// [batch, kv heads, positions, head dim]), perhaps with the KV heads
  /// repeated for every query head afterwards (repeat_kv).
  std::optional<std::pair<int64_t, Value>> appended(Value v, bool key) const {
    if (Value present = unrepeat(v))
      v = present;
    NodeOp concat = nodeOf(v, "Concat");
    int64_t axis = concat ? concat.getInt("axis", 0) : 0;
    if (!concat || concat->getNumOperands() != 2 || (axis != 2 && axis != -2))
      return std::nullopt;
    auto past = inputs.past.find(concat->getOperand(0));
    if (past == inputs.past.end() || past->second.second != key)
      return std::nullopt;
    return std::make_pair(past->second.first, concat->getOperand(1));
  }

  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "MatMul" || !op.getDomain().empty() ||
        op->getNumOperands() != 2)
      return failure();
    NodeOp softmax = nodeOf(skipRelabels(op->getOperand(0)), "Softmax");
    auto values = appended(op->getOperand(1), /*key=*/false);
    int64_t softmaxAxis = softmax ? softmax.getInt("axis", -1) : 0;
    if (!softmax || !values || (softmaxAxis != -1 && softmaxAxis != 3))
      return failure();
    // The scores, scaled after the product (Mul by s, or Div by 1/s), with
    // a mask added before or after (zero for one token that sees the whole
    // cache).
    Value scores = skipRelabels(softmax->getOperand(0));
    auto withoutMask = [&](Value v) {
      NodeOp add = nodeOf(v, "Add");
      if (!add || add->getNumOperands() != 2)
        return v;
      for (int i = 0; i < 2; ++i)
        if (isMaskOnly(add->getOperand(1 - i), inputs))
          return add->getOperand(i);
      return v;
    };
    scores = withoutMask(scores);
    std::optional<double> scale;
    if (NodeOp mul = nodeOf(scores, "Mul")) {
      Value product, factor;
      if (!commuted(
              mul, [](Value v) { return bool(nodeOf(v, "MatMul")); }, product,
              factor))
        return failure();
      scale = scalarOf(factor);
      scores = product;
    } else if (NodeOp div = nodeOf(scores, "Div")) {
      std::optional<double> divisor = scalarOf(div->getOperand(1));
      if (divisor && *divisor != 0)
        scale = 1.0 / *divisor;
      scores = div->getOperand(0);
    }
    NodeOp product = nodeOf(withoutMask(scores), "MatMul");
    if (!scale || !product)
      return failure();
    NodeOp transpose = nodeOf(product->getOperand(1), "Transpose");
    if (!transpose ||
        transpose.getInts("perm") != SmallVector<int64_t>{0, 1, 3, 2})
      return failure();
    auto keys = appended(transpose->getOperand(0), /*key=*/true);
    if (!keys || keys->first != values->first)
      return failure();
    Value q = llmValue(product->getOperand(0));
    Value k = llmValue(keys->second), v = llmValue(values->second);
    int64_t headDim = inputs.headDim;
    if (!q || !k || !v || headDim <= 0 || vectorSize(q) % headDim != 0 ||
        vectorSize(k) != vectorSize(v))
      return failure();
    // llm.attention scales by 1/sqrt(head_dim).
    double expected = 1.0 / std::sqrt(static_cast<double>(headDim));
    if (std::abs(*scale - expected) > 1e-6 * expected)
      return failure();
    int64_t heads = vectorSize(q) / headDim;
    Value attention = llm::AttentionOp::create(
        rewriter, op.getLoc(), q, k, v, inputs.pos, inputs.cache,
        rewriter.getI64IntegerAttr(keys->first),
        rewriter.getI64IntegerAttr(heads));
    // The result is [batch 1, heads, 1 token, head_dim] (the grouped form
    // [1, kv heads, group, head_dim] holds the same elements in the same
    // order): given that shape, the transposes after it are seen to keep
    // the order, whatever the graph left unknown.
    auto resultType = RankedTensorType::get(
        {1, heads, 1, headDim},
        cast<ShapedType>(op->getResult(0).getType()).getElementType());
    replaceWithLLM(rewriter, op, attention, resultType);
    return success();
  }
};

//===--- residual adds ----------------------------------------------------===//

struct AddPattern : public GraphPattern<llm::AddOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "Add" || !op.getDomain().empty() ||
        op->getNumOperands() != 2)
      return failure();
    Value lhs = llmValue(op->getOperand(0)), rhs = llmValue(op->getOperand(1));
    if (!lhs || !rhs || lhs.getType() != rhs.getType())
      return failure();
    Value add = llm::AddOp::create(rewriter, op.getLoc(), lhs, rhs);
    replaceWithLLM(rewriter, op, add);
    return success();
  }
};

//===--- FFN --------------------------------------------------------------===//

/// down(act(gate x, up x)) where gate and up are matched llm.linear ops of
/// the same input: SwiGLU g*sigmoid(g)*u, dReLU relu(g)*relu(u), ReLU-gated
/// relu(g)*u.
struct FFNPattern : public GraphPattern<llm::FFNOp> {
  using GraphPattern::GraphPattern;

  static llm::LinearOp linearOf(Value v) {
    Value value = llmValue(v);
    return value ? value.getDefiningOp<llm::LinearOp>() : llm::LinearOp();
  }

  /// gate, up and the activation of `v` = act(g, u).
  static bool matchActivation(Value v, llm::LinearOp &gate, llm::LinearOp &up,
                              llm::Activation &activation) {
    NodeOp mul = nodeOf(v, "Mul");
    if (!mul || mul->getNumOperands() != 2)
      return false;
    for (int first = 0; first < 2; ++first) {
      Value a = mul->getOperand(first), b = mul->getOperand(1 - first);
      NodeOp relu = nodeOf(a, "Relu");
      if (relu && nodeOf(b, "Relu")) { // dReLU
        gate = linearOf(relu->getOperand(0));
        up = linearOf(nodeOf(b, "Relu")->getOperand(0));
        activation = llm::Activation::DReLU;
        if (gate && up)
          return true;
      }
      if (relu && linearOf(b)) { // ReLU-gated
        gate = linearOf(relu->getOperand(0));
        up = linearOf(b);
        activation = llm::Activation::ReLU;
        if (gate)
          return true;
      }
      // SwiGLU: Mul(Mul(g, Sigmoid(g)), u).
      NodeOp silu = nodeOf(a, "Mul");
      Value g, sigmoid;
      if (silu && linearOf(b) &&
          commuted(
              silu, [](Value v) { return bool(nodeOf(v, "Sigmoid")); }, sigmoid,
              g) &&
          nodeOf(sigmoid, "Sigmoid")->getOperand(0) == g) {
        gate = linearOf(g);
        up = linearOf(b);
        activation = llm::Activation::SwiGLU;
        if (gate)
          return true;
      }
    }
    return false;
  }

  /// A predictor in the graph: `v` = act * mask with mask =
  /// Cast(Greater(fc2(Relu(fc1 r)), threshold)) (neuron i runs iff its
  /// score exceeds the threshold, sparsec's predictor rule). Sets the
  /// activation's value, fc1 (a matched linear layer of r) and fc2's match.
  static bool matchPredictorMask(Value v, Value &act, llm::LinearOp &fc1,
                                 std::optional<LinearMatch> &fc2,
                                 double &threshold) {
    NodeOp mul = nodeOf(v, "Mul");
    if (!mul || mul->getNumOperands() != 2)
      return false;
    for (int first = 0; first < 2; ++first) {
      NodeOp cast = nodeOf(mul->getOperand(1 - first), "Cast");
      NodeOp greater = cast && cast.getInt("to", 0) == 1 // float
                           ? nodeOf(cast->getOperand(0), "Greater")
                           : NodeOp();
      std::optional<double> t =
          greater ? scalarOf(greater->getOperand(1)) : std::nullopt;
      auto scores =
          greater ? greater->getOperand(0).getDefiningOp<NodeOp>() : NodeOp();
      if (!t || !scores)
        continue;
      fc2 = matchLinear(scores);
      NodeOp relu = fc2 ? nodeOf(fc2->input, "Relu") : NodeOp();
      fc1 = relu ? linearOf(relu->getOperand(0)) : llm::LinearOp();
      if (!fc1)
        continue;
      act = mul->getOperand(first);
      threshold = *t;
      return true;
    }
    return false;
  }

  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<LinearMatch> downMatch = matchLinear(op);
    if (!downMatch)
      return failure();
    Value activated = downMatch->input;
    llm::LinearOp fc1;
    std::optional<LinearMatch> fc2;
    double threshold = 0.0;
    bool predicted =
        matchPredictorMask(activated, activated, fc1, fc2, threshold);
    llm::LinearOp gate, up;
    llm::Activation activation;
    if (!matchActivation(activated, gate, up, activation) ||
        gate.getInput() != up.getInput())
      return failure();
    int64_t neurons = vectorSize(gate.getResult());
    if (vectorSize(up.getResult()) != neurons ||
        downMatch->columns() != neurons ||
        (predicted &&
         (fc2->rows() != neurons || fc2->columns() != vectorSize(fc1))))
      return failure();
    Value down = downMatch->param(rewriter);
    if (!down)
      return failure();
    Value predictorInput, fc1Weight, fc2Weight;
    FloatAttr thresholdAttr;
    if (predicted) {
      fc2Weight = fc2->param(rewriter);
      if (!fc2Weight)
        return failure();
      predictorInput = fc1.getInput();
      fc1Weight = fc1.getWeight();
      thresholdAttr = rewriter.getF32FloatAttr(static_cast<float>(threshold));
    }
    // Numbered in graph order once every FFN is matched (the pass).
    Value ffn = llm::FFNOp::create(
        rewriter, op.getLoc(), vectorType(getContext(), downMatch->rows()),
        gate.getInput(), gate.getWeight(), up.getWeight(), down, predictorInput,
        fc1Weight, fc2Weight,
        llm::ActivationAttr::get(getContext(), activation),
        rewriter.getI64IntegerAttr(0), thresholdAttr);
    replaceWithLLM(rewriter, op, ffn);
    return success();
  }
};

/// What a Concat(past N keys/values, new rows) on axis 2 is.
struct AttentionAppend {
  bool valid = false, isKey = false;
  int64_t layer = 0;
  Value rows;
};
AttentionAppend appendedTo(Value v, const GraphInputs &inputs) {
  AttentionAppend result;
  NodeOp concat = v ? nodeOf(v, "Concat") : NodeOp();
  if (!concat || concat->getNumOperands() != 2 || concat.getInt("axis", 0) != 2)
    return result;
  auto past = inputs.past.find(concat->getOperand(0));
  if (past == inputs.past.end())
    return result;
  result.valid = true;
  result.layer = past->second.first;
  result.isKey = past->second.second;
  result.rows = concat->getOperand(1);
  return result;
}

//===--- onnxruntime contrib ops (onnxruntime-genai)
//-----------------------===//

/// A node of the com.microsoft domain (or, for the ops onnxruntime also
/// registers in the default one, that).
bool isContrib(NodeOp op, StringRef type, bool orDefault = false) {
  return op.getOpType() == type && (op.getDomain() == "com.microsoft" ||
                                    (orDefault && op.getDomain().empty()));
}

/// Whether `v` is an omitted optional input.
bool isOmitted(Value v) { return !v || isa<NoneType>(v.getType()); }

/// SimplifiedLayerNormalization(x, w) = RMSNorm over the last axis.
struct SimplifiedLayerNormPattern : public GraphPattern<llm::RMSNormOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "SimplifiedLayerNormalization", /*orDefault=*/true) ||
        op->getNumOperands() != 2 || op.getInt("axis", -1) != -1 ||
        llvm::any_of(op->getResults().drop_front(),
                     [](Value r) { return !r.use_empty(); }))
      return failure();
    Value input = llmValue(op->getOperand(0));
    onnx::WeightOp weight = weightOf(op->getOperand(1));
    if (!input || !weight ||
        cast<RankedTensorType>(weight.getType()).getRank() != 1)
      return failure();
    Value param = paramOf(rewriter, weight);
    if (!param)
      return failure();
    Value norm = llm::RMSNormOp::create(
        rewriter, op.getLoc(), input, param,
        rewriter.getF32FloatAttr(op.getFloat("epsilon", 1e-5)));
    replaceWithLLM(rewriter, op, norm);
    return success();
  }
};

/// SkipSimplifiedLayerNormalization(x, skip, w): result 0 = RMSNorm(x +
/// skip), result 3 = x + skip (the residual stream).
struct SkipSimplifiedLayerNormPattern : public GraphPattern<llm::RMSNormOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "SkipSimplifiedLayerNormalization") ||
        op->getNumOperands() < 3 ||
        (op->getNumOperands() > 3 && !isOmitted(op->getOperand(3))))
      return failure();
    for (unsigned r = 1; r < op->getNumResults() && r < 3; ++r)
      if (!op->getResult(r).use_empty())
        return failure();
    Value x = llmValue(op->getOperand(0)), skip = llmValue(op->getOperand(1));
    onnx::WeightOp weight = weightOf(op->getOperand(2));
    if (!x || !skip || x.getType() != skip.getType() || !weight)
      return failure();
    Value param = paramOf(rewriter, weight);
    if (!param)
      return failure();
    Value sum = llm::AddOp::create(rewriter, op.getLoc(), x, skip);
    Value norm = llm::RMSNormOp::create(
        rewriter, op.getLoc(), sum, param,
        rewriter.getF32FloatAttr(op.getFloat("epsilon", 1e-5)));
    rewriter.replaceAllUsesWith(
        op->getResult(0),
        toGraph(rewriter, op.getLoc(), norm, op->getResult(0).getType()));
    if (op->getNumResults() > 3)
      rewriter.replaceAllUsesWith(
          op->getResult(3),
          toGraph(rewriter, op.getLoc(), sum, op->getResult(3).getType()));
    rewriter.eraseOp(op);
    return success();
  }
};

/// llm.param of rows [first, first + count) of `param`'s tensor, named
/// "rows(<name>,first,count)" (the importer's tensor source slices it).
Value sliceRows(PatternRewriter &rewriter, llm::ParamOp param, int64_t first,
                int64_t count) {
  auto type = cast<RankedTensorType>(param.getType());
  auto rows =
      RankedTensorType::get({count, type.getDimSize(1)}, type.getElementType());
  std::string name = ("rows(" + param.getName() + "," + Twine(first) + "," +
                      Twine(count) + ")")
                         .str();
  return llm::ParamOp::create(rewriter, param.getLoc(), rows, name);
}

/// GroupQueryAttention(q, k, v, past_key, past_value, seqlens_k,
/// total_sequence_length[, cos_cache, sin_cache]): attention over the cache
/// for one token, with the rotary embedding inside when do_rotary. q, k and
/// v may come packed in the query (one linear layer): it is split by rows.
struct GroupQueryAttentionPattern : public GraphPattern<llm::AttentionOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "GroupQueryAttention") || op->getNumOperands() < 7 ||
        op.getInt("rotary_interleaved", 0) != 0 ||
        op.getFloat("softcap", 0.0) != 0.0 ||
        op.getInt("smooth_softmax", 0) != 0 ||
        op.getInt("local_window_size", -1) != -1)
      return failure();
    // The present outputs are the cache llm.attention writes (the pass
    // already took them off the step's results).
    if (llvm::any_of(op->getResults().drop_front(),
                     [](Value r) { return !r.use_empty(); }))
      return failure();
    auto keys = inputs.past.find(op->getOperand(3));
    auto values = inputs.past.find(op->getOperand(4));
    if (keys == inputs.past.end() || values == inputs.past.end() ||
        !keys->second.second || values->second.second ||
        keys->second.first != values->second.first)
      return failure();
    int64_t heads = op.getInt("num_heads", 0),
            kvHeads = op.getInt("kv_num_heads", 0);
    int64_t headDim = inputs.headDim;
    if (heads <= 0 || kvHeads <= 0 || headDim <= 0)
      return failure();
    double scale = op.getFloat("scale", 0.0);
    double expected = 1.0 / std::sqrt(static_cast<double>(headDim));
    if (scale != 0.0 && std::abs(scale - expected) > 1e-6 * expected)
      return failure();
    std::optional<SmallVector<double>> frequencies;
    if (op.getInt("do_rotary", 0) != 0) {
      if (op->getNumOperands() < 9)
        return failure();
      frequencies =
          frequenciesOfCaches(op->getOperand(7), op->getOperand(8), inputs);
      if (!frequencies ||
          2 * static_cast<int64_t>(frequencies->size()) != headDim)
        return failure();
    }
    Value q = llmValue(op->getOperand(0)), k, v;
    if (!q)
      return failure();
    int64_t qRows = heads * headDim, kvRows = kvHeads * headDim;
    bool packed = isOmitted(op->getOperand(1)) && isOmitted(op->getOperand(2));
    llm::LinearOp packedLinear;
    llm::ParamOp packedWeight;
    if (packed) {
      // One linear layer of (heads + 2 kv heads) * head_dim rows.
      packedLinear = q.getDefiningOp<llm::LinearOp>();
      packedWeight =
          packedLinear ? packedLinear.getWeight().getDefiningOp<llm::ParamOp>()
                       : llm::ParamOp();
      if (!packedWeight || vectorSize(q) != qRows + 2 * kvRows)
        return failure();
    } else {
      k = llmValue(op->getOperand(1));
      v = llmValue(op->getOperand(2));
      if (!k || !v || vectorSize(q) != qRows || vectorSize(k) != kvRows ||
          vectorSize(v) != kvRows)
        return failure();
    }
    // Matched: rewrite.
    if (packed) {
      Location loc = packedLinear.getLoc();
      auto linear = [&](int64_t first, int64_t count) -> Value {
        return llm::LinearOp::create(
            rewriter, loc, vectorType(getContext(), count),
            packedLinear.getInput(),
            sliceRows(rewriter, packedWeight, first, count));
      };
      q = linear(0, qRows);
      k = linear(qRows, kvRows);
      v = linear(qRows + kvRows, kvRows);
    }
    if (frequencies) {
      q = createRope(rewriter, op.getLoc(), q, inputs.pos, *frequencies,
                     cacheTolerance(op->getOperand(7)));
      k = createRope(rewriter, op.getLoc(), k, inputs.pos, *frequencies,
                     cacheTolerance(op->getOperand(7)));
    }
    Value attention = llm::AttentionOp::create(
        rewriter, op.getLoc(), q, k, v, inputs.pos, inputs.cache,
        rewriter.getI64IntegerAttr(keys->second.first),
        rewriter.getI64IntegerAttr(heads));
    replaceWithLLM(rewriter, op, attention);
    return success();
  }
};

/// RotaryEmbedding(x, position_ids, cos_cache, sin_cache), not interleaved,
/// over whole heads: llm.rope.
struct RotaryEmbeddingPattern : public GraphPattern<llm::RotaryOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "RotaryEmbedding") || op->getNumOperands() != 4 ||
        op.getInt("interleaved", 0) != 0 ||
        op.getInt("is_packed_batching", 0) != 0 ||
        op.getFloat("scale", 1.0) != 1.0 ||
        !readsPosition(op->getOperand(1), inputs))
      return failure();
    Value input = llmValue(op->getOperand(0));
    std::optional<SmallVector<double>> frequencies =
        frequenciesOfCaches(op->getOperand(2), op->getOperand(3), inputs);
    if (!input || !frequencies)
      return failure();
    int64_t headDim = 2 * static_cast<int64_t>(frequencies->size());
    int64_t rotaryDim = op.getInt("rotary_embedding_dim", 0);
    int64_t heads = op.getInt("num_heads", 0);
    if ((rotaryDim != 0 && rotaryDim != headDim) ||
        vectorSize(input) % headDim != 0 ||
        (heads != 0 && heads * headDim != vectorSize(input)))
      return failure();
    Value rope = createRope(rewriter, op.getLoc(), input, inputs.pos,
                            *frequencies, cacheTolerance(op->getOperand(2)));
    replaceWithLLM(rewriter, op, rope);
    return success();
  }
};

/// The present keys or values with the KV heads repeated for every query
/// head as Hugging Face's repeat_kv does: Reshape(Expand(Unsqueeze(present,
/// axis 2))) to [batch, heads, positions, head_dim] (or further to [batch,
/// positions, heads * head_dim], as onnxruntime-genai writes); null when
/// `v` is not that.
Value unrepeat(Value v) {
  NodeOp merge = nodeOf(v, "Reshape");
  if (!merge)
    return {};
  // onnxruntime-genai then moves the heads next to the sequence and
  // flattens: Reshape(Transpose(Reshape(...), perm [0, 2, 1, 3])).
  if (NodeOp transpose = nodeOf(merge->getOperand(0), "Transpose")) {
    if (transpose.getInts("perm") != SmallVector<int64_t>{0, 2, 1, 3})
      return {};
    merge = nodeOf(transpose->getOperand(0), "Reshape");
    if (!merge)
      return {};
  }
  NodeOp expand = nodeOf(merge->getOperand(0), "Expand");
  NodeOp unsqueeze =
      expand ? nodeOf(expand->getOperand(0), "Unsqueeze") : NodeOp();
  if (!unsqueeze)
    return {};
  std::optional<SmallVector<double>> axes =
      unsqueeze->getNumOperands() > 1
          ? constantValues(unsqueeze->getOperand(1))
          : std::optional<SmallVector<double>>(SmallVector<double>(
                llvm::map_range(unsqueeze.getInts("axes"),
                                [](int64_t a) { return double(a); })));
  if (!axes || *axes != SmallVector<double>{2})
    return {};
  return unsqueeze->getOperand(0);
}

/// The new rows of [batch, kv_heads, new, head_dim] keys/values made from a
/// flat projection: Transpose(Reshape(x, [0, 0, kv_heads, -1]), perm
/// [0, 2, 1, 3]).
Value unsplitHeads(Value v) {
  NodeOp transpose = nodeOf(v, "Transpose");
  if (!transpose ||
      transpose.getInts("perm") != SmallVector<int64_t>{0, 2, 1, 3})
    return {};
  return llmValue(transpose->getOperand(0));
}

/// Whether the attention bias only masks: it derives from the attention
/// mask, the positions and the shapes of tensors, never from weights or the
/// values of activations. For one new token at position p (the number of
/// cached tokens: the decode step's contract) it is zero over positions
/// 0..p, which is what llm.attention attends to.
bool isMaskOnly(Value bias, const GraphInputs &inputs) {
  SmallVector<Value> work{bias};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (auto weight = dyn_cast<onnx::WeightOp>(def)) {
      if (!weight.getValue() ||
          isa<FloatType>(
              cast<RankedTensorType>(weight.getType()).getElementType()))
        return false;
      continue;
    }
    if (isa<UnrealizedConversionCastOp>(def)) {
      // A graph input's stand-in (mask, token, position, past), or a
      // matched activation, whose values a mask must not read.
      if (isVector(def->getOperand(0).getType()))
        return false;
      continue;
    }
    if (isa<arith::ConstantOp, onnx::NoneOp>(def))
      continue;
    auto node = dyn_cast<NodeOp>(def);
    if (!node || !node.getDomain().empty())
      return false;
    // A shape does not depend on the values.
    if (node.getOpType() == "Shape")
      continue;
    llvm::append_range(work, node->getOperands());
  }
  return true;
}

/// MultiHeadAttention(q, keys, values, ..., attention_bias) over the whole
/// sequence: keys and values are the layer's present (past concatenated
/// with the new rows) with the KV heads repeated, as onnxruntime-genai
/// writes for CPUs.
struct MultiHeadAttentionPattern : public GraphPattern<llm::AttentionOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "MultiHeadAttention") || op->getNumOperands() < 3 ||
        op.getInt("unidirectional", 0) != 0 ||
        llvm::any_of(op->getResults().drop_front(),
                     [](Value r) { return !r.use_empty(); }))
      return failure();
    // No bias, padding mask or past of its own.
    for (unsigned i = 3; i < op->getNumOperands(); ++i)
      if (i != 5 && !isOmitted(op->getOperand(i)))
        return failure();
    if (op->getNumOperands() > 5 && !isOmitted(op->getOperand(5)) &&
        !isMaskOnly(op->getOperand(5), inputs))
      return failure();
    AttentionAppend keys = appendedTo(unrepeat(op->getOperand(1)), inputs),
                    values = appendedTo(unrepeat(op->getOperand(2)), inputs);
    if (!keys.valid || !values.valid || !keys.isKey || values.isKey ||
        keys.layer != values.layer)
      return failure();
    Value q = llmValue(op->getOperand(0));
    Value k = unsplitHeads(keys.rows), v = unsplitHeads(values.rows);
    int64_t heads = op.getInt("num_heads", 0), headDim = inputs.headDim;
    if (!q || !k || !v || heads <= 0 || vectorSize(q) != heads * headDim ||
        vectorSize(k) != vectorSize(v) || vectorSize(k) % headDim != 0)
      return failure();
    double scale = op.getFloat("scale", 0.0);
    double expected = 1.0 / std::sqrt(static_cast<double>(headDim));
    if (scale != 0.0 && std::abs(scale - expected) > 1e-6 * expected)
      return failure();
    Value attention = llm::AttentionOp::create(
        rewriter, op.getLoc(), q, k, v, inputs.pos, inputs.cache,
        rewriter.getI64IntegerAttr(keys.layer),
        rewriter.getI64IntegerAttr(heads));
    replaceWithLLM(rewriter, op, attention);
    return success();
  }
};

//===--- mixture of experts -----------------------------------------------===//

/// Replaces `op` with an llm.moe of the experts' matrices, routed by
/// `router` (numbered in graph order later, by the pass).
void replaceWithMoE(PatternRewriter &rewriter, NodeOp op, Value input,
                    llm::LinearOp router, ValueRange gates, ValueRange ups,
                    ValueRange downs, int64_t topK,
                    llm::Activation activation) {
  Value moe = llm::MoEOp::create(
      rewriter, op.getLoc(), input.getType(), input, router.getWeight(), gates,
      ups, downs, Value(), ValueRange(), ValueRange(),
      rewriter.getI64IntegerAttr(static_cast<int64_t>(gates.size())),
      rewriter.getI64IntegerAttr(topK),
      llm::ActivationAttr::get(rewriter.getContext(), activation),
      rewriter.getI64IntegerAttr(0), FloatAttr());
  replaceWithLLM(rewriter, op, moe);
}

/// sum over e of ffn_e(x) * w[e], with w = ScatterElements(zeros, top-k
/// indices, top-k values / their sum) and the top-k of Softmax(router x):
/// Mixtral's routing (softmax over all experts, top-k, renormalised), with
/// every expert's FFN already matched. Anchored at the outermost Add of the
/// sum: an inner one sums fewer experts than the router has.
struct MoEPattern : public GraphPattern<llm::MoEOp> {
  using GraphPattern::GraphPattern;

  /// The terms of a sum of Adds (each inner Add used once).
  static void collectTerms(Value v, SmallVectorImpl<Value> &terms,
                           bool root = true) {
    NodeOp add = nodeOf(v, "Add");
    if (add && add->getNumOperands() == 2 && (root || v.hasOneUse())) {
      collectTerms(add->getOperand(0), terms, /*root=*/false);
      collectTerms(add->getOperand(1), terms, /*root=*/false);
      return;
    }
    terms.push_back(v);
  }

  /// The routing weights' source: ScatterElements(zeros, indices, weights)
  /// of a renormalised top-k of a softmax of the router. Sets the router
  /// linear and k.
  static bool matchRouting(Value v, llm::LinearOp &router, int64_t &topK) {
    NodeOp scatter = nodeOf(v, "ScatterElements");
    if (!scatter || scatter->getNumOperands() != 3 ||
        scatter.getInt("axis", 0) != 1)
      return false;
    std::optional<SmallVector<double>> zeros =
        constantValues(scatter->getOperand(0));
    if (!zeros || llvm::any_of(*zeros, [](double z) { return z != 0; }))
      return false;
    NodeOp div = nodeOf(scatter->getOperand(2), "Div");
    NodeOp topk = div ? div->getOperand(0).getDefiningOp<NodeOp>() : NodeOp();
    if (!topk || topk.getOpType() != "TopK" ||
        scatter->getOperand(1) != topk->getResult(1) ||
        div->getOperand(0) != topk->getResult(0) ||
        topk.getInt("largest", 1) != 1)
      return false;
    NodeOp sum = nodeOf(div->getOperand(1), "ReduceSum");
    if (!sum || sum->getOperand(0) != topk->getResult(0))
      return false;
    std::optional<double> k = scalarOf(topk->getOperand(1));
    NodeOp softmax = nodeOf(topk->getOperand(0), "Softmax");
    if (!k || *k < 1 || !softmax)
      return false;
    Value logits = llmValue(softmax->getOperand(0));
    router = logits ? logits.getDefiningOp<llm::LinearOp>() : llm::LinearOp();
    topK = static_cast<int64_t>(*k);
    return static_cast<bool>(router);
  }

  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getOpType() != "Add" || !op.getDomain().empty())
      return failure();
    SmallVector<Value> terms;
    collectTerms(op->getResult(0), terms);
    if (terms.size() < 2)
      return failure();
    Value routing;
    llm::LinearOp router;
    int64_t topK = 0;
    SmallVector<llm::FFNOp> experts;
    for (Value term : terms) {
      // ffn_e(x) * Slice(w, e, e + 1, axis 1).
      NodeOp mul = nodeOf(term, "Mul");
      Value ffnValue, weightValue;
      if (!mul || !commuted(
                      mul, [](Value v) { return bool(nodeOf(v, "Slice")); },
                      weightValue, ffnValue))
        return failure();
      NodeOp slice = nodeOf(weightValue, "Slice");
      std::optional<double> start = scalarOf(slice->getOperand(1));
      std::optional<double> end = slice->getNumOperands() > 2
                                      ? scalarOf(slice->getOperand(2))
                                      : std::nullopt;
      std::optional<double> axis = slice->getNumOperands() > 3
                                       ? scalarOf(slice->getOperand(3))
                                       : std::nullopt;
      Value expertValue = llmValue(ffnValue);
      auto expert =
          expertValue ? expertValue.getDefiningOp<llm::FFNOp>() : llm::FFNOp();
      if (!start || !end || *end != *start + 1 || (axis && *axis != 1) ||
          !expert || (routing && routing != slice->getOperand(0)))
        return failure();
      routing = slice->getOperand(0);
      size_t index = static_cast<size_t>(*start);
      if (index >= terms.size())
        return failure();
      if (experts.size() <= index)
        experts.resize(index + 1);
      if (experts[index])
        return failure(); // an expert twice
      experts[index] = expert;
    }
    if (!matchRouting(routing, router, topK))
      return failure();
    auto routerType = cast<RankedTensorType>(router.getWeight().getType());
    int64_t numExperts = routerType.getDimSize(0);
    if (static_cast<int64_t>(experts.size()) != numExperts ||
        llvm::any_of(experts, [](llm::FFNOp e) { return !e; }) ||
        topK > numExperts)
      return failure();
    Value input = router.getInput();
    llm::Activation activation = experts.front().getActivation();
    SmallVector<Value> gates, ups, downs;
    for (llm::FFNOp expert : experts) {
      if (expert.getInput() != input || expert.getActivation() != activation ||
          expert.hasPredictor())
        return failure();
      gates.push_back(expert.getGate());
      ups.push_back(expert.getUp());
      downs.push_back(expert.getDown());
    }
    replaceWithMoE(rewriter, op, input, router, gates, ups, downs, topK,
                   activation);
    return success();
  }
};

/// Why sparsec-convert-onnx-to-llm cannot import a com.microsoft MoE or
/// QMoE node, or empty when MoEContribPattern may match it.
std::string whyUnsupported(NodeOp op) {
  if (op.getDomain() != "com.microsoft")
    return {};
  if (op.getOpType() == "QMoE")
    return "experts quantized inside the MoE node (QMoE) are not read; "
           "export them unquantized (MoE) and let sparsec quantize "
           "(--quant)";
  if (op.getOpType() != "MoE")
    return {};
  if (op.getInt("use_sparse_mixer", 0) != 0)
    return "sparse-mixer routing (use_sparse_mixer = 1) is not the softmax "
           "top-k routing llm.moe computes";
  if (op.getInt("normalize_routing_weights", 0) != 1)
    return "the top-k routing weights are not renormalised "
           "(normalize_routing_weights = 0); llm.moe renormalises them, as "
           "Mixtral does";
  for (unsigned bias : {3u, 5u, 7u})
    if (bias < op->getNumOperands() && !isOmitted(op->getOperand(bias)))
      return "experts with biases (fc1/fc2/fc3_experts_bias) are not "
             "supported";
  bool fc3 = op->getNumOperands() > 6 && !isOmitted(op->getOperand(6));
  StringRef activation = op.getString("activation_type", "relu");
  if (activation == "swiglu") {
    if (op.hasAttribute("swiglu_limit"))
      return "a clamped SwiGLU (swiglu_limit) is not supported";
    if (op.getFloat("activation_alpha", 1.0) != 1.0 ||
        op.getFloat("activation_beta", 0.0) != 0.0)
      return "SwiGLU with activation_alpha != 1 or activation_beta != 0 is "
             "not silu(g) * u";
    int64_t fusion = op.getInt("swiglu_fusion", 0);
    if (fusion < 0 || fusion > 2 || (fusion == 0) != fc3)
      return "SwiGLU needs its up projection: fc3 with swiglu_fusion = 0, "
             "or fused into fc1 (swiglu_fusion 1 or 2) without fc3";
    return {};
  }
  if (activation == "silu" || activation == "relu")
    return fc3 ? std::string()
               : ("activation_type '" + activation.str() +
                  "' without fc3 is an ungated FFN; sparsec's FFNs are gated");
  return "activation_type '" + activation.str() +
         "' is not one of swiglu, silu, relu";
}

/// llm.param of matrix `index` of a stacked [experts, rows, columns]
/// initializer, named "expert(<name>,index)" (the importer's tensor source
/// takes the slab in place).
llm::ParamOp expertParam(PatternRewriter &rewriter, onnx::WeightOp stack,
                         int64_t index) {
  auto type = cast<RankedTensorType>(stack.getType());
  auto matrix = RankedTensorType::get({type.getDimSize(1), type.getDimSize(2)},
                                      type.getElementType());
  return llm::ParamOp::create(
      rewriter, stack.getLoc(), matrix,
      ("expert(" + stack.getName() + "," + Twine(index) + ")").str());
}

/// llm.param of rows first, first + step, ... (`count` of them) of `param`,
/// named "strided_rows(<name>,first,count,step)".
Value stridedRows(PatternRewriter &rewriter, llm::ParamOp param, int64_t first,
                  int64_t count, int64_t step) {
  auto type = cast<RankedTensorType>(param.getType());
  auto rows =
      RankedTensorType::get({count, type.getDimSize(1)}, type.getElementType());
  std::string name = ("strided_rows(" + param.getName() + "," + Twine(first) +
                      "," + Twine(count) + "," + Twine(step) + ")")
                         .str();
  return llm::ParamOp::create(rewriter, param.getLoc(), rows, name);
}

/// com.microsoft.MoE(x, router logits, fc1, -, fc2, -[, fc3, -]) as
/// onnxruntime-genai's builder writes for MoE models: the router a linear
/// layer of x, Mixtral's routing (softmax, top k, renormalised) and gated
/// experts stacked [experts, rows, columns]: SwiGLU with gate and up in fc1
/// interleaved row by row (swiglu_fusion 1, the layout onnxruntime's CPU
/// kernel runs) or one after the other (2), or act(fc1 x) * (fc3 x) with
/// act swiglu/silu (SwiGLU) or relu (ReLU-gated). whyUnsupported() says
/// what it refuses.
struct MoEContribPattern : public GraphPattern<llm::MoEOp> {
  using GraphPattern::GraphPattern;
  LogicalResult matchAndRewrite(NodeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isContrib(op, "MoE") || op->getNumOperands() < 5 ||
        !whyUnsupported(op).empty())
      return failure();
    Value input = llmValue(op->getOperand(0));
    Value logits = llmValue(op->getOperand(1));
    auto router =
        logits ? logits.getDefiningOp<llm::LinearOp>() : llm::LinearOp();
    if (!input || !router || router.getInput() != input)
      return failure();
    bool hasFc3 = op->getNumOperands() > 6 && !isOmitted(op->getOperand(6));
    onnx::WeightOp fc1 = weightOf(op->getOperand(2));
    onnx::WeightOp fc2 = weightOf(op->getOperand(4));
    onnx::WeightOp fc3 =
        hasFc3 ? weightOf(op->getOperand(6)) : onnx::WeightOp();
    if (!fc1 || !fc2 || (hasFc3 && !fc3))
      return failure();
    int64_t experts = vectorSize(logits), hidden = vectorSize(input);
    int64_t topK = op.getInt("k", 1);
    int64_t fusion = hasFc3 ? 0 : op.getInt("swiglu_fusion", 0);
    auto shapeOf = [](onnx::WeightOp w) {
      auto type = cast<RankedTensorType>(w.getType());
      return type.hasStaticShape() && type.getRank() == 3
                 ? SmallVector<int64_t>(type.getShape())
                 : SmallVector<int64_t>();
    };
    SmallVector<int64_t> shape1 = shapeOf(fc1), shape2 = shapeOf(fc2);
    if (shape1.empty() || shape2.empty() || topK < 1 || topK > experts)
      return failure();
    int64_t neurons = shape2[2];
    int64_t fc1Rows = fusion ? 2 * neurons : neurons;
    if (shape1 != SmallVector<int64_t>{experts, fc1Rows, hidden} ||
        shape2 != SmallVector<int64_t>{experts, hidden, neurons} ||
        (fc3 && shapeOf(fc3) != SmallVector<int64_t>{experts, neurons, hidden}))
      return failure();
    for (onnx::WeightOp w : {fc1, fc2, fc3}) {
      Type element =
          w ? cast<RankedTensorType>(w.getType()).getElementType() : Type();
      if (w && !element.isF32() && !element.isF16() && !element.isBF16())
        return failure();
    }
    llm::Activation activation =
        op.getString("activation_type", "relu") == "relu"
            ? llm::Activation::ReLU
            : llm::Activation::SwiGLU;
    SmallVector<Value> gates, ups, downs;
    for (int64_t e = 0; e < experts; ++e) {
      llm::ParamOp first = expertParam(rewriter, fc1, e);
      if (fusion == 0) {
        gates.push_back(first);
        ups.push_back(expertParam(rewriter, fc3, e));
      } else {
        gates.push_back(fusion == 1
                            ? stridedRows(rewriter, first, 0, neurons, 2)
                            : sliceRows(rewriter, first, 0, neurons));
        ups.push_back(fusion == 1
                          ? stridedRows(rewriter, first, 1, neurons, 2)
                          : sliceRows(rewriter, first, neurons, neurons));
        rewriter.eraseOp(first);
      }
      downs.push_back(expertParam(rewriter, fc2, e));
    }
    replaceWithMoE(rewriter, op, input, router, gates, ups, downs, topK,
                   activation);
    return success();
  }
};

//===--- the pass ---------------------------------------------------------===//

class ConvertONNXToLLM
    : public sparsec::impl::ConvertONNXToLLMPassBase<ConvertONNXToLLM> {
public:
  using ConvertONNXToLLMPassBase::ConvertONNXToLLMPassBase;

  /// Large initializers' data (the importer's); none in sparsec-opt.
  ONNXWeightReader reader;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp graph;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("onnx.graph"))
        graph = func;
    if (!graph) {
      module.emitError("sparsec-convert-onnx-to-llm: no function marked "
                       "'onnx.graph'");
      return signalPassFailure();
    }
    if (failed(convert(module, graph)))
      return signalPassFailure();
  }

private:
  LogicalResult convert(ModuleOp module, func::FuncOp graph);
};

/// Whether the logits reach the return through relabels of matched values
/// only (no node left on the way).
bool onlyCastsFeed(UnrealizedConversionCastOp logitsCast) {
  return static_cast<bool>(llmValue(logitsCast->getOperand(0)));
}

/// The node to blame when a graph is refused: the first live node (in graph
/// order) that reads a matched value and is not a mere relabel, where the
/// patterns stopped; else the first live node.
NodeOp firstUnmatched(func::FuncOp step) {
  NodeOp first, frontier;
  step.walk([&](NodeOp node) {
    if (!first)
      first = node;
    bool relabel = node->getNumResults() == 0 ||
                   skipRelabels(node->getResult(0)) != node->getResult(0);
    if (!frontier && !relabel && llvm::any_of(node->getOperands(), [](Value v) {
          return static_cast<bool>(llmValue(v));
        }))
      frontier = node;
  });
  return frontier ? frontier : first;
}

/// The error refusing the graph at `unmatched`, with the reason where one
/// is known.
LogicalResult refuse(NodeOp unmatched) {
  InFlightDiagnostic diag = unmatched.emitError();
  diag << unmatched.describe();
  std::string reason = whyUnsupported(unmatched);
  if (!reason.empty())
    return diag << " cannot be imported: " << reason
                << "; the graph is refused";
  return diag << " is not part of any pattern sparsec-convert-onnx-to-llm "
                 "recognises; the graph is refused";
}

StringRef nameOf(func::FuncOp func, unsigned index, bool result) {
  auto name = result ? func.getResultAttrOfType<StringAttr>(index, "onnx.name")
                     : func.getArgAttrOfType<StringAttr>(index, "onnx.name");
  return name ? name.getValue() : StringRef();
}

/// "past_key_values.3.key" -> (3, true).
std::optional<std::pair<int64_t, bool>> parsePastName(StringRef name) {
  if (!name.consume_front("past_key_values."))
    return std::nullopt;
  auto [layerText, kind] = name.split('.');
  int64_t layer = 0;
  if (layerText.getAsInteger(10, layer) || layer < 0 ||
      (kind != "key" && kind != "value"))
    return std::nullopt;
  return std::make_pair(layer, kind == "key");
}

LogicalResult ConvertONNXToLLM::convert(ModuleOp module, func::FuncOp graph) {
  MLIRContext *context = &getContext();
  OpBuilder b(context);
  Location loc = graph.getLoc();
  if (maxSeqLen <= 0)
    return graph.emitError("sparsec-convert-onnx-to-llm: max-seq-len must be "
                           "positive (the KV cache length)");
  Type cacheElement = cacheType == "f32"    ? Type(b.getF32Type())
                      : cacheType == "bf16" ? Type(b.getBF16Type())
                      : cacheType == "f16"  ? Type(b.getF16Type())
                                            : Type();
  if (!cacheElement)
    return graph.emitError("sparsec-convert-onnx-to-llm: kv-cache-type must "
                           "be f16, bf16 or f32, got '")
           << cacheType << "'";

  // The inputs: one token and its position, and each layer's past keys and
  // values ([1, kv_heads, past, head_dim]).
  Block &body = graph.getBody().front();
  GraphInputs inputs;
  int64_t layers = 0, kvHeads = 0, headDim = 0;
  for (unsigned i = 0; i < graph.getNumArguments(); ++i) {
    StringRef name = nameOf(graph, i, /*result=*/false);
    if (auto past = parsePastName(name)) {
      auto type = dyn_cast<RankedTensorType>(graph.getArgument(i).getType());
      if (!type || type.getRank() != 4 || type.isDynamicDim(1) ||
          type.isDynamicDim(3))
        return graph.emitError("graph input '")
               << name << "' must be [batch, kv_heads, past, head_dim] "
               << "with static kv_heads and head_dim, got "
               << graph.getArgument(i).getType();
      if (kvHeads &&
          (kvHeads != type.getDimSize(1) || headDim != type.getDimSize(3)))
        return graph.emitError("graph input '")
               << name << "' has " << type.getDimSize(1) << " KV heads of "
               << type.getDimSize(3) << ", but other layers have " << kvHeads
               << " of " << headDim;
      kvHeads = type.getDimSize(1);
      headDim = type.getDimSize(3);
      layers = std::max(layers, past->first + 1);
    }
  }
  if (layers == 0)
    return graph.emitError("the graph has no 'past_key_values.N.key/value' "
                           "inputs; sparsec imports decoder graphs with a KV "
                           "cache");
  inputs.headDim = headDim;
  inputs.reader = reader;
  auto cacheTypeValue = llm::KVCacheType::get(
      context, static_cast<unsigned>(layers), static_cast<unsigned>(maxSeqLen),
      static_cast<unsigned>(kvHeads), static_cast<unsigned>(headDim),
      cacheElement, static_cast<unsigned>(slidingWindow));

  // The step, with a provisional vocabulary (set once the logits are known).
  b.setInsertionPoint(graph);
  auto step = func::FuncOp::create(
      b, loc, "decode_step", DecodeStep::getFunctionType(cacheTypeValue, 1));
  step->setAttr(kDecodeStepAttrName, b.getUnitAttr());
  Block *entry = step.addEntryBlock();
  inputs.token = entry->getArgument(0);
  inputs.pos = entry->getArgument(1);
  inputs.cache = entry->getArgument(2);
  b.setInsertionPointToStart(entry);
  std::vector<bool> seenPast(2 * layers, false);
  for (unsigned i = 0; i < graph.getNumArguments(); ++i) {
    BlockArgument arg = graph.getArgument(i);
    StringRef name = nameOf(graph, i, /*result=*/false);
    Value source;
    if (name == "input_ids") {
      source = inputs.token;
    } else if (name == "position_ids") {
      source = inputs.pos;
    } else if (auto past = parsePastName(name)) {
      source = inputs.cache;
      seenPast[2 * past->first + (past->second ? 0 : 1)] = true;
    } else if (!arg.use_empty()) {
      // Any other input (attention_mask, ...) must end up unused.
      source = inputs.cache;
    }
    Value stand = arg;
    if (source)
      stand = UnrealizedConversionCastOp::create(b, arg.getLoc(), arg.getType(),
                                                 source)
                  .getResult(0);
    if (name == "input_ids")
      inputs.tokenInput = stand;
    else if (name == "position_ids")
      inputs.positionInput = stand;
    else if (auto past = parsePastName(name))
      inputs.past[stand] = *past;
    arg.replaceAllUsesWith(stand);
  }
  // position_ids may be absent: GroupQueryAttention derives positions
  // from the attention mask (and the step knows its position).
  if (!inputs.tokenInput)
    return graph.emitError("the graph has no 'input_ids' input; sparsec "
                           "imports graphs that take one token's input_ids");
  for (int64_t l = 0; l < 2 * layers; ++l)
    if (!seenPast[l])
      return graph.emitError("the graph has no 'past_key_values.")
             << l / 2 << (l % 2 ? ".value" : ".key") << "' input";

  // The logits output; the present outputs are the cache llm.attention
  // writes (checked to be the past concatenated with the new rows).
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  Value logits;
  for (unsigned i = 0; i < graph.getNumResults(); ++i) {
    StringRef name = nameOf(graph, i, /*result=*/true);
    Value value = returnOp.getOperand(i);
    if (name == "logits") {
      logits = value;
    } else if (name.starts_with("present.")) {
      // Concat(past, new), or an attention node's present output (its
      // result 1 or 2, past at operand 3 or 4 in the contrib ops).
      Value pastOperand;
      if (NodeOp concat = nodeOf(value, "Concat")) {
        pastOperand = concat->getOperand(0);
      } else if (auto node = value.getDefiningOp<NodeOp>()) {
        auto result = cast<OpResult>(value).getResultNumber();
        if (node.getDomain() == "com.microsoft" &&
            (node.getOpType() == "GroupQueryAttention" ||
             node.getOpType() == "MultiHeadAttention") &&
            (result == 1 || result == 2)) {
          unsigned operand =
              (node.getOpType() == "GroupQueryAttention" ? 2 : 5) + result;
          if (operand < node->getNumOperands())
            pastOperand = node->getOperand(operand);
        }
      }
      auto past =
          pastOperand ? inputs.past.find(pastOperand) : inputs.past.end();
      if (past == inputs.past.end() ||
          ("present." + std::to_string(past->second.first) +
           (past->second.second ? ".key" : ".value")) != name)
        return graph.emitError("graph output '")
               << name << "' is not its layer's past concatenated with the "
               << "new keys/values";
    } else {
      return graph.emitError("graph output '")
             << name << "' is neither 'logits' nor 'present.N.key/value'";
    }
  }
  if (!logits)
    return graph.emitError("the graph has no 'logits' output");

  // Move the body into the step; it returns the logits, as a vector.
  entry->getOperations().splice(entry->end(), body.getOperations());
  returnOp->erase();
  b.setInsertionPointToEnd(entry);
  auto logitsCast = UnrealizedConversionCastOp::create(
      b, loc, RankedTensorType::get({ShapedType::kDynamic}, b.getF32Type()),
      logits);
  auto stepReturn = func::ReturnOp::create(b, loc, logitsCast.getResult(0));
  graph.erase();

  RewritePatternSet patterns(context);
  patterns.add<EmbeddingPattern, RMSNormPattern, LinearPattern, RotaryPattern,
               AttentionPattern, AddPattern, MoEPattern, MoEContribPattern,
               SimplifiedLayerNormPattern, SkipSimplifiedLayerNormPattern,
               GroupQueryAttentionPattern, RotaryEmbeddingPattern,
               MultiHeadAttentionPattern>(context, inputs);
  // The FFN takes its down projection before LinearPattern could not.
  patterns.add<FFNPattern>(context, inputs, /*benefit=*/2);
  GreedyRewriteConfig config;
  config.setMaxIterations(32);
  (void)applyPatternsGreedily(step, std::move(patterns), config);

  // What no longer feeds the logits goes.
  {
    RewritePatternSet none(context);
    (void)applyPatternsGreedily(step, std::move(none));
  }
  // The logits: the last linear layer's output becomes llm.lm_head.
  Value logitsVector = llmValue(logitsCast->getOperand(0));
  auto head = logitsVector ? logitsVector.getDefiningOp<llm::LinearOp>()
                           : llm::LinearOp();
  if (!head || !onlyCastsFeed(logitsCast)) {
    if (NodeOp unmatched = firstUnmatched(step))
      return refuse(unmatched);
    return step.emitError("the logits are not a linear layer's output");
  }
  b.setInsertionPoint(head);
  Value lmHead =
      llm::LMHeadOp::create(b, head.getLoc(), head.getResult().getType(),
                            head.getInput(), head.getWeight());
  stepReturn->setOperand(0, lmHead);
  logitsCast->erase();
  if (head->use_empty())
    head->erase();
  int64_t vocab = vectorSize(lmHead);
  step.setFunctionType(DecodeStep::getFunctionType(cacheTypeValue, vocab));
  {
    RewritePatternSet none(context);
    (void)applyPatternsGreedily(step, std::move(none));
  }
  if (NodeOp unmatched = firstUnmatched(step))
    return refuse(unmatched);
  // Casts that stood in for unused inputs.
  SmallVector<Operation *> dead;
  step.walk([&](UnrealizedConversionCastOp cast) {
    if (cast->use_empty())
      dead.push_back(cast);
  });
  for (Operation *op : dead)
    op->erase();

  // Every layer's attention must feed the logits; a graph that computes
  // them without some layer (an exporter's mistake) is not the model.
  llvm::SmallBitVector attended(layers);
  step.walk([&](llm::AttentionOp attention) {
    if (attention.getLayer() < static_cast<uint64_t>(layers))
      attended.set(attention.getLayer());
  });
  if (!attended.all()) {
    int missing = attended.find_first_unset();
    return step.emitError("the logits do not depend on layer ")
           << missing << " (past_key_values." << missing
           << ".key/value are never read on the way to them): the graph is "
              "not a whole decoder";
  }

  // FFN and MoE layers in graph order.
  int64_t layer = 0;
  step.walk([&](Operation *op) {
    if (auto ffn = dyn_cast<llm::FFNOp>(op))
      ffn.setLayerAttr(b.getI64IntegerAttr(layer++));
    else if (auto moe = dyn_cast<llm::MoEOp>(op))
      moe.setLayerAttr(b.getI64IntegerAttr(layer++));
  });
  (void)module;
  return success();
}

} // namespace

std::unique_ptr<Pass> mlir::sparsec::createConvertONNXToLLMPass(
    const ConvertONNXToLLMPassOptions &options, ONNXWeightReader reader) {
  auto pass = std::make_unique<ConvertONNXToLLM>(options);
  pass->reader = std::move(reader);
  return pass;
}
