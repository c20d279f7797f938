//===- FoldONNXShapes.cpp - shapes and shape arithmetic of a decode graph -===//
//
// sparsec-fold-onnx-shapes: exporters that trace a model (torch.onnx,
// Optimum) write the shapes a reshape or a slice needs as arithmetic on
// Shape() of the tensors, for any batch and sequence length. A decode step
// has one sequence of one token, so most of that arithmetic has a value:
// this pass propagates shapes (and the values of small integer tensors)
// through the graph, with batch and sequence length 1 and the past length
// unknown, replaces every node whose value is then known with a constant,
// and gives the others the shape found. What depends on the past length
// (the causal mask) stays as it is.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <numeric>

namespace mlir::sparsec {
#define GEN_PASS_DEF_FOLDONNXSHAPESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;
using onnx::NodeOp;

namespace {

/// Tensors of up to this many elements have their values tracked.
constexpr int64_t kMaxTrackedElements = 64;
constexpr int64_t kUnknown = -1;

/// What is known of one tensor: its dimensions (kUnknown where not) and,
/// for small tensors, its elements (nullopt where not known).
struct Known {
  std::optional<SmallVector<int64_t>> shape;
  std::optional<SmallVector<std::optional<double>>> values;

  bool hasStaticShape() const {
    return shape && llvm::none_of(*shape, [](int64_t d) { return d < 0; });
  }
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : *shape)
      n *= d;
    return n;
  }
  bool allValuesKnown() const {
    return values &&
           llvm::all_of(*values, [](auto v) { return v.has_value(); });
  }
};

/// The elements of an ElementsAttr as doubles.
std::optional<SmallVector<std::optional<double>>> valuesOf(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > kMaxTrackedElements)
    return std::nullopt;
  SmallVector<std::optional<double>> values;
  Type element = dense.getElementType();
  if (isa<FloatType>(element)) {
    for (APFloat v : dense.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else if (element.isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      values.push_back(v ? 1.0 : 0.0);
  } else if (element.isInteger()) {
    for (APInt v : dense.getValues<APInt>()) {
      if (element.isUnsignedInteger())
        values.push_back(static_cast<double>(v.getZExtValue()));
      else
        values.push_back(static_cast<double>(v.getSExtValue()));
    }
  } else {
    return std::nullopt;
  }
  return values;
}

/// Numpy broadcasting of two shapes.
std::optional<SmallVector<int64_t>> broadcast(ArrayRef<int64_t> a,
                                              ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else if (x == y)
      out[i] = x;
    else if (x < 0 || y < 0)
      out[i] = std::max(x, y) > 1 ? std::max(x, y) : kUnknown;
    else
      return std::nullopt; // not broadcastable
  }
  return out;
}

/// The flat index into a tensor of `shape` that the output index `index`
/// (of `outShape`) reads under broadcasting.
int64_t broadcastIndex(ArrayRef<int64_t> shape, ArrayRef<int64_t> outShape,
                       int64_t index) {
  int64_t flat = 0, stride = 1;
  for (int64_t i = static_cast<int64_t>(outShape.size()) - 1; i >= 0; --i) {
    int64_t coordinate = index % outShape[i];
    index /= outShape[i];
    int64_t j = i - (static_cast<int64_t>(outShape.size()) -
                     static_cast<int64_t>(shape.size()));
    if (j >= 0) {
      if (shape[j] != 1)
        flat += coordinate * stride;
      stride *= shape[j];
    }
  }
  return flat;
}

class FoldONNXShapes
    : public sparsec::impl::FoldONNXShapesPassBase<FoldONNXShapes> {
public:
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      if (func->hasAttr("onnx.graph"))
        fold(func);
    });
  }

private:
  llvm::DenseMap<Value, Known> known;

  Known get(Value v) {
    auto it = known.find(v);
    if (it != known.end())
      return it->second;
    Known k;
    if (auto ranked = dyn_cast<RankedTensorType>(v.getType()))
      k.shape = SmallVector<int64_t>(
          llvm::map_range(ranked.getShape(), [](int64_t d) {
            return ShapedType::isDynamic(d) ? kUnknown : d;
          }));
    return k;
  }

  /// The values of `v` as integers, when all known.
  std::optional<SmallVector<int64_t>> ints(Value v) {
    Known k = get(v);
    if (!k.allValuesKnown())
      return std::nullopt;
    SmallVector<int64_t> out;
    for (auto value : *k.values)
      out.push_back(std::abs(*value) > 9.0e18
                        ? (*value > 0 ? INT64_MAX : INT64_MIN)
                        : static_cast<int64_t>(*value));
    return out;
  }

  /// A node's axes: its second input (opset 13+) or its `axes` attribute.
  std::optional<SmallVector<int64_t>> axesOf(NodeOp op) {
    if (op->getNumOperands() > 1)
      return ints(op->getOperand(1));
    return op.getInts("axes");
  }

  Known compute(NodeOp op);
  void fold(func::FuncOp func);
};

Known FoldONNXShapes::compute(NodeOp op) {
  Known out;
  if (!op.getDomain().empty() || op->getNumResults() == 0)
    return out;
  StringRef type = op.getOpType();
  auto operand = [&](unsigned i) {
    return i < op->getNumOperands() ? get(op->getOperand(i)) : Known();
  };
  bool isInt = false;
  if (auto shaped = dyn_cast<ShapedType>(op->getResult(0).getType()))
    isInt = shaped.getElementType().isInteger();

  // Elementwise: broadcast shapes, compute small known values.
  static const StringRef kBinary[] = {
      "Add",  "Sub", "Mul", "Div", "Pow", "Equal",          "Greater",
      "Less", "Max", "Min", "And", "Or",  "GreaterOrEqual", "LessOrEqual",
      "Where"};
  static const StringRef kUnary[] = {
      "Neg",  "Sqrt",    "Reciprocal", "Relu", "Sigmoid", "Cos",  "Sin",
      "Cast", "Softmax", "Identity",   "Not",  "Abs",     "Exp",  "Log",
      "Tanh", "Erf",     "Floor",      "Ceil", "Trilu",   "IsNaN"};
  if (llvm::is_contained(kUnary, type)) {
    Known in = operand(0);
    out.shape = in.shape;
    if (in.values && (type == "Cast" || type == "Identity" || type == "Neg" ||
                      type == "Not" || type == "Abs")) {
      out.values = in.values;
      for (auto &v : *out.values)
        if (v) {
          if (type == "Neg")
            *v = -*v;
          else if (type == "Not")
            *v = *v == 0 ? 1 : 0;
          else if (type == "Abs")
            *v = std::abs(*v);
          else if (type == "Cast" && isInt)
            *v = std::trunc(*v);
        }
    }
    return out;
  }
  if (llvm::is_contained(kBinary, type)) {
    std::optional<SmallVector<int64_t>> shape = SmallVector<int64_t>();
    for (Value v : op->getOperands()) {
      Known k = get(v);
      if (!k.shape || !shape)
        return out;
      shape = broadcast(*shape, *k.shape);
    }
    out.shape = shape;
    if (!shape || llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
      return out;
    Known result = out;
    int64_t n = result.numElements();
    if (n > kMaxTrackedElements)
      return out;
    SmallVector<Known> in;
    for (Value v : op->getOperands()) {
      in.push_back(get(v));
      if (!in.back().values || !in.back().hasStaticShape())
        return out;
    }
    SmallVector<std::optional<double>> values;
    for (int64_t i = 0; i < n; ++i) {
      SmallVector<std::optional<double>> args;
      for (Known &k : in)
        args.push_back((*k.values)[broadcastIndex(*k.shape, *shape, i)]);
      if (llvm::any_of(args, [](auto a) { return !a; })) {
        values.push_back(std::nullopt);
        continue;
      }
      double a = *args[0], b = args.size() > 1 ? *args[1] : 0;
      double r = 0;
      if (type == "Add")
        r = a + b;
      else if (type == "Sub")
        r = a - b;
      else if (type == "Mul")
        r = a * b;
      else if (type == "Div")
        r = b == 0 ? NAN : (isInt ? std::trunc(a / b) : a / b);
      else if (type == "Pow")
        r = std::pow(a, b);
      else if (type == "Equal")
        r = a == b;
      else if (type == "Greater")
        r = a > b;
      else if (type == "Less")
        r = a < b;
      else if (type == "GreaterOrEqual")
        r = a >= b;
      else if (type == "LessOrEqual")
        r = a <= b;
      else if (type == "Max")
        r = std::max(a, b);
      else if (type == "Min")
        r = std::min(a, b);
      else if (type == "And")
        r = a != 0 && b != 0;
      else if (type == "Or")
        r = a != 0 || b != 0;
      else if (type == "Where")
        r = a != 0 ? b : *args[2];
      if (std::isnan(r))
        values.push_back(std::nullopt);
      else
        values.push_back(r);
    }
    out.values = values;
    return out;
  }

  if (type == "Shape") {
    Known in = operand(0);
    if (!in.shape)
      return out;
    int64_t rank = in.shape->size();
    int64_t start = op.getInt("start", 0), end = op.getInt("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    out.shape = SmallVector<int64_t>{std::max<int64_t>(0, end - start)};
    out.values.emplace();
    for (int64_t i = start; i < end; ++i)
      out.values->push_back((*in.shape)[i] < 0
                                ? std::nullopt
                                : std::optional<double>((*in.shape)[i]));
    return out;
  }
  if (type == "Gather") {
    Known data = operand(0), indices = operand(1);
    if (!data.shape || !indices.shape)
      return out;
    int64_t rank = data.shape->size();
    int64_t axis = op.getInt("axis", 0);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return out;
    SmallVector<int64_t> shape(data.shape->begin(), data.shape->begin() + axis);
    shape.append(indices.shape->begin(), indices.shape->end());
    shape.append(data.shape->begin() + axis + 1, data.shape->end());
    out.shape = shape;
    std::optional<SmallVector<int64_t>> at = ints(op->getOperand(1));
    if (rank == 1 && data.values && at) {
      out.values.emplace();
      for (int64_t i : *at) {
        int64_t n = data.values->size();
        i = i < 0 ? i + n : i;
        out.values->push_back(i >= 0 && i < n ? (*data.values)[i]
                                              : std::nullopt);
      }
    }
    return out;
  }
  if (type == "Unsqueeze" || type == "Squeeze") {
    Known in = operand(0);
    if (!in.shape)
      return out;
    std::optional<SmallVector<int64_t>> axes = axesOf(op);
    if (!axes)
      return out;
    SmallVector<int64_t> shape = *in.shape;
    if (type == "Unsqueeze") {
      int64_t rank = shape.size() + axes->size();
      SmallVector<int64_t> sorted;
      for (int64_t a : *axes)
        sorted.push_back(a < 0 ? a + rank : a);
      llvm::sort(sorted);
      for (int64_t a : sorted) {
        if (a < 0 || a > static_cast<int64_t>(shape.size()))
          return out;
        shape.insert(shape.begin() + a, 1);
      }
    } else {
      int64_t rank = shape.size();
      SmallVector<int64_t> sorted;
      if (axes->empty())
        for (int64_t i = 0; i < rank; ++i) {
          if (shape[i] == 1)
            sorted.push_back(i);
          else if (shape[i] < 0)
            return out; // which dims go is unknown
        }
      for (int64_t a : *axes)
        sorted.push_back(a < 0 ? a + rank : a);
      llvm::sort(sorted);
      for (int64_t a : llvm::reverse(sorted)) {
        if (a < 0 || a >= static_cast<int64_t>(shape.size()))
          return out;
        shape.erase(shape.begin() + a);
      }
    }
    out.shape = shape;
    out.values = in.values;
    return out;
  }
  if (type == "Concat") {
    SmallVector<Known> in;
    for (Value v : op->getOperands())
      in.push_back(get(v));
    if (in.empty() || !in.front().shape)
      return out;
    int64_t rank = in.front().shape->size();
    int64_t axis = op.getInt("axis", 0);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= rank)
      return out;
    SmallVector<int64_t> shape = *in.front().shape;
    shape[axis] = 0;
    bool values = rank == 1;
    SmallVector<std::optional<double>> all;
    for (Known &k : in) {
      if (!k.shape || static_cast<int64_t>(k.shape->size()) != rank)
        return out;
      for (int64_t i = 0; i < rank; ++i)
        if (i != axis && shape[i] < 0)
          shape[i] = (*k.shape)[i];
      shape[axis] = shape[axis] < 0 || (*k.shape)[axis] < 0
                        ? kUnknown
                        : shape[axis] + (*k.shape)[axis];
      if (values && k.values)
        llvm::append_range(all, *k.values);
      else
        values = false;
    }
    out.shape = shape;
    if (values)
      out.values = all;
    return out;
  }
  if (type == "Reshape") {
    Known in = operand(0);
    std::optional<SmallVector<int64_t>> target = ints(op->getOperand(1));
    if (!target) {
      Known t = operand(1);
      if (t.values) { // some entries known
        SmallVector<int64_t> shape;
        for (auto v : *t.values)
          shape.push_back(v && *v > 0 ? static_cast<int64_t>(*v) : kUnknown);
        out.shape = shape;
      }
      return out;
    }
    SmallVector<int64_t> shape = *target;
    bool allowZero = op.getInt("allowzero", 0) != 0;
    int64_t inferred = -1, product = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allowZero)
        shape[i] = in.shape && i < in.shape->size() ? (*in.shape)[i] : kUnknown;
      if (shape[i] == -1 && (*target)[i] == -1) {
        inferred = i;
        continue;
      }
      if (shape[i] < 0)
        product = -1;
      else if (product >= 0)
        product *= shape[i];
    }
    if (inferred >= 0) {
      shape[inferred] = in.hasStaticShape() && product > 0
                            ? in.numElements() / product
                            : kUnknown;
    }
    out.shape = shape;
    out.values = in.values;
    return out;
  }
  if (type == "Expand") {
    Known in = operand(0);
    std::optional<SmallVector<int64_t>> target = ints(op->getOperand(1));
    Known t = operand(1);
    if (!in.shape || !t.values)
      return out;
    SmallVector<int64_t> shape;
    for (auto v : *t.values)
      shape.push_back(v ? static_cast<int64_t>(*v) : kUnknown);
    out.shape = broadcast(*in.shape, shape);
    (void)target;
    return out;
  }
  if (type == "ConstantOfShape") {
    std::optional<SmallVector<int64_t>> shape = ints(op->getOperand(0));
    if (!shape)
      return out;
    out.shape = *shape;
    std::optional<SmallVector<std::optional<double>>> fill =
        valuesOf(op.getNodeAttributes().get("value"));
    double value = fill && !fill->empty() && fill->front() ? *fill->front() : 0;
    int64_t n = 1;
    for (int64_t d : *shape)
      n *= d;
    if (n <= kMaxTrackedElements)
      out.values = SmallVector<std::optional<double>>(n, value);
    return out;
  }
  if (type == "Range") {
    Known s = operand(0), l = operand(1), d = operand(2);
    // Range(p, p + k, 1) has k elements whatever p is (the cache position
    // p..p+1 of a token, with the past length p unknown).
    auto stripCasts = [](Value v) {
      while (auto cast = v.getDefiningOp<NodeOp>()) {
        if (cast.getOpType() != "Cast" || !cast.getDomain().empty())
          break;
        v = cast->getOperand(0);
      }
      return v;
    };
    if (auto add = stripCasts(op->getOperand(1)).getDefiningOp<NodeOp>();
        add && add.getOpType() == "Add" && add->getNumOperands() == 2 &&
        d.allValuesKnown() && d.values->size() == 1 &&
        *d.values->front() == 1) {
      Value start = stripCasts(op->getOperand(0));
      for (int i = 0; i < 2; ++i) {
        Known k = get(add->getOperand(1 - i));
        if (stripCasts(add->getOperand(i)) == start && k.allValuesKnown() &&
            k.values->size() == 1 && *k.values->front() >= 0) {
          out.shape =
              SmallVector<int64_t>{static_cast<int64_t>(*k.values->front())};
          return out;
        }
      }
    }
    if (!s.allValuesKnown() || !l.allValuesKnown() || !d.allValuesKnown() ||
        s.values->size() != 1 || l.values->size() != 1 ||
        d.values->size() != 1 || *d.values->front() == 0)
      return out;
    double start = *s.values->front(), limit = *l.values->front(),
           delta = *d.values->front();
    int64_t n = std::max<int64_t>(
        0, static_cast<int64_t>(std::ceil((limit - start) / delta)));
    out.shape = SmallVector<int64_t>{n};
    if (n <= kMaxTrackedElements) {
      out.values.emplace();
      for (int64_t i = 0; i < n; ++i)
        out.values->push_back(start + i * delta);
    }
    return out;
  }
  if (type == "Slice") {
    Known data = operand(0);
    std::optional<SmallVector<int64_t>> starts = ints(op->getOperand(1)),
                                        ends = ints(op->getOperand(2));
    if (!data.shape || !starts || !ends || starts->size() != ends->size())
      return out;
    int64_t rank = data.shape->size();
    SmallVector<int64_t> axes, steps;
    if (op->getNumOperands() > 3 &&
        !isa<NoneType>(op->getOperand(3).getType())) {
      std::optional<SmallVector<int64_t>> a = ints(op->getOperand(3));
      if (!a)
        return out;
      axes = *a;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    if (op->getNumOperands() > 4 &&
        !isa<NoneType>(op->getOperand(4).getType())) {
      std::optional<SmallVector<int64_t>> s = ints(op->getOperand(4));
      if (!s)
        return out;
      steps = *s;
    } else {
      steps.assign(starts->size(), 1);
    }
    if (axes.size() != starts->size() || steps.size() != starts->size())
      return out;
    SmallVector<int64_t> shape = *data.shape;
    SmallVector<int64_t> first(rank, 0), step(rank, 1);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (axis < 0 || axis >= rank || steps[i] != 1)
        return out; // only unit steps
      int64_t dim = shape[axis];
      if (dim < 0) {
        shape[axis] = kUnknown;
        continue;
      }
      int64_t b = (*starts)[i], e = (*ends)[i];
      b = b < 0 ? b + dim : b;
      e = e < 0 ? e + dim : e;
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      shape[axis] = std::max<int64_t>(0, e - b);
      first[axis] = b;
    }
    out.shape = shape;
    if (rank == 1 && data.values && shape[0] >= 0) {
      out.values.emplace();
      for (int64_t i = 0; i < shape[0]; ++i)
        out.values->push_back((*data.values)[first[0] + i]);
    }
    return out;
  }
  if (type == "Transpose") {
    Known in = operand(0);
    if (!in.shape)
      return out;
    SmallVector<int64_t> perm = op.getInts("perm");
    int64_t rank = in.shape->size();
    if (perm.empty())
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    if (static_cast<int64_t>(perm.size()) != rank)
      return out;
    SmallVector<int64_t> shape;
    for (int64_t p : perm) {
      if (p < 0 || p >= rank)
        return out;
      shape.push_back((*in.shape)[p]);
    }
    out.shape = shape;
    return out;
  }
  if (type == "MatMul") {
    Known a = operand(0), b = operand(1);
    if (!a.shape || !b.shape || a.shape->size() < 2 || b.shape->size() < 1)
      return out;
    if (b.shape->size() == 1) {
      out.shape = SmallVector<int64_t>(a.shape->begin(), a.shape->end() - 1);
      return out;
    }
    ArrayRef<int64_t> batchA(a.shape->begin(), a.shape->end() - 2);
    ArrayRef<int64_t> batchB(b.shape->begin(), b.shape->end() - 2);
    std::optional<SmallVector<int64_t>> batch = broadcast(batchA, batchB);
    if (!batch)
      return out;
    batch->push_back((*a.shape)[a.shape->size() - 2]);
    batch->push_back(b.shape->back());
    out.shape = batch;
    return out;
  }
  if (type == "Gemm") {
    Known a = operand(0), b = operand(1);
    if (!a.shape || !b.shape || a.shape->size() != 2 || b.shape->size() != 2)
      return out;
    int64_t m = (*a.shape)[op.getInt("transA", 0) ? 1 : 0];
    int64_t n = (*b.shape)[op.getInt("transB", 0) ? 0 : 1];
    out.shape = SmallVector<int64_t>{m, n};
    return out;
  }
  if (type == "ReduceMean" || type == "ReduceSum") {
    Known in = operand(0);
    if (!in.shape)
      return out;
    std::optional<SmallVector<int64_t>> axes = axesOf(op);
    if (!axes)
      return out;
    int64_t rank = in.shape->size();
    bool keep = op.getInt("keepdims", 1) != 0;
    SmallVector<int64_t> shape;
    for (int64_t i = 0; i < rank; ++i) {
      bool reduced = axes->empty() || llvm::any_of(*axes, [&](int64_t a) {
                       return (a < 0 ? a + rank : a) == i;
                     });
      if (!reduced)
        shape.push_back((*in.shape)[i]);
      else if (keep)
        shape.push_back(1);
    }
    out.shape = shape;
    return out;
  }
  if (type == "ScatterND" || type == "ScatterElements") {
    out.shape = operand(0).shape;
    return out;
  }
  return out;
}

void FoldONNXShapes::fold(func::FuncOp func) {
  known.clear();
  // A decode step: batch 1, one new token; the past length stays unknown.
  for (BlockArgument arg : func.getArguments()) {
    auto name =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!name || !type)
      continue;
    Known k = get(arg);
    StringRef n = name.getValue();
    if (n == "input_ids" || n == "position_ids") {
      for (int64_t &d : *k.shape)
        d = 1;
    } else if (!k.shape->empty()) {
      (*k.shape)[0] = 1; // batch
    }
    known[arg] = k;
  }
  OpBuilder b(func.getContext());
  SmallVector<std::pair<Value, Known>> results;
  func.walk([&](Operation *op) {
    if (auto weight = dyn_cast<onnx::WeightOp>(op)) {
      Known k = get(weight);
      if (weight.getValue())
        k.values = valuesOf(*weight.getValue());
      known[weight] = k;
    } else if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Known k = get(constant);
      k.values = valuesOf(constant.getValue());
      known[constant] = k;
    } else if (auto node = dyn_cast<NodeOp>(op)) {
      Known k = compute(node);
      if (k.shape || k.values)
        known[node->getResult(0)] = k;
    }
  });
  // Nodes with known values become constants; the others get their shapes.
  func.walk([&](NodeOp node) {
    if (node->getNumResults() != 1)
      return;
    Value result = node->getResult(0);
    auto it = known.find(result);
    if (it == known.end() || !it->second.shape)
      return;
    const Known &k = it->second;
    auto shaped = dyn_cast<ShapedType>(result.getType());
    if (!shaped)
      return;
    Type element = shaped.getElementType();
    SmallVector<int64_t> shape(llvm::map_range(
        *k.shape, [](int64_t d) { return d < 0 ? ShapedType::kDynamic : d; }));
    auto type = RankedTensorType::get(shape, element);
    if (k.hasStaticShape() && k.allValuesKnown() &&
        static_cast<int64_t>(k.values->size()) == k.numElements() &&
        // Shape arithmetic is on integers; float values stay where they
        // are (a cast weight must stay a weight for the patterns).
        (element.isInteger(64) || element.isInteger(32) ||
         element.isInteger(1))) {
      DenseElementsAttr value;
      if (element.isInteger(1)) {
        SmallVector<bool> bools;
        for (auto v : *k.values)
          bools.push_back(*v != 0);
        value = DenseElementsAttr::get(type, ArrayRef<bool>(bools));
      } else {
        SmallVector<APInt> integers;
        for (auto v : *k.values)
          integers.push_back(APInt(element.getIntOrFloatBitWidth(),
                                   std::abs(*v) > 9.0e18
                                       ? (*v > 0 ? INT64_MAX : INT64_MIN)
                                       : static_cast<int64_t>(*v),
                                   /*isSigned=*/true));
        value = DenseElementsAttr::get(type, integers);
      }
      b.setInsertionPoint(node);
      auto constant = arith::ConstantOp::create(b, node.getLoc(), value);
      result.replaceAllUsesWith(constant);
      return;
    }
    // The graph's outputs keep their declared types (the function's).
    if (llvm::none_of(result.getUsers(), [](Operation *user) {
          return user->hasTrait<OpTrait::IsTerminator>();
        }))
      result.setType(type);
  });
}

} // namespace
