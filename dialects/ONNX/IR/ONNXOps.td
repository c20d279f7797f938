//===- ONNXOps.td - onnx input dialect ---------------------*- tablegen -*-===//
//
// The `onnx` dialect holds an ONNX graph as the importer read it, one
// generic op per node, so that the conversion to `llm` (passes/
// ConvertONNXToLLM.cpp) is a set of patterns over ops, testable in .mlir
// files like any other pass.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_ONNX_OPS_TD
#define SPARSEC_ONNX_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::mlir::sparsec::onnx";
  let summary = "An ONNX graph as imported: one generic op per node";
  let description = [{
    The input dialect of the ONNX importer. A graph becomes one function:
    its inputs are the function's arguments and its outputs the returned
    values, each named by an `onnx.name` argument or result attribute.
    Every node is an `onnx.node` carrying its operator type, domain, node
    name and attributes unchanged; large initializers are `onnx.weight`
    references (their data stays in the file), small ones and `Constant`
    nodes are `arith.constant`s. Tensors keep the graph's element types and
    shapes, `?` where the graph leaves a dimension symbolic.
  }];
}

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

def ONNX_NodeOp : ONNX_Op<"node", [Pure]> {
  let summary = "One node of the ONNX graph";
  let description = [{
    `op_type` and `domain` name the operator ("" is the default domain),
    `node_name` is the node's name in the file (for messages), and
    `node_attributes` holds the node's attributes: ints as i64, floats as f32,
    strings, and lists of ints or floats as arrays.

    ```mlir
    %y = onnx.node "Gemm"(%x, %w) {node_name = "n_Gemm_3",
                                   node_attributes = {transB = 1 : i64}}
        : (tensor<1x64xf32>, tensor<128x64xf32>) -> tensor<1x128xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$operands, StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       DefaultValuedStrAttr<StrAttr, "">:$node_name,
                       DefaultValuedAttr<DictionaryAttr, "{}">:$node_attributes);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $op_type `(` $operands `)` attr-dict `:` functional-type($operands, results)
  }];
  let extraClassDeclaration = [{
    /// The integer attribute `name`, or `fallback` when the node has none.
    int64_t getInt(::llvm::StringRef name, int64_t fallback) const;
    /// The float attribute `name`, or `fallback` when the node has none.
    double getFloat(::llvm::StringRef name, double fallback) const;
    /// The list of integers `name`, empty when the node has none.
    ::llvm::SmallVector<int64_t> getInts(::llvm::StringRef name) const;
    /// The string attribute `name`, or `fallback` when the node has none.
    ::llvm::StringRef getString(::llvm::StringRef name,
                                ::llvm::StringRef fallback) const;
    /// Whether the node carries the attribute `name`.
    bool hasAttribute(::llvm::StringRef name) const;
    /// "node 'n_Gemm_3' (Gemm)", for messages.
    std::string describe() const;
  }];
}

def ONNX_WeightOp : ONNX_Op<"weight", [Pure]> {
  let summary = "An initializer whose data stays in the model file";
  let description = [{
    Refers to the initializer `name`; the importer's tensor source reads its
    data when the weights are packed. Small initializers (shapes, axes,
    epsilons, rotary frequencies) also carry their `value`, which patterns
    read.

    ```mlir
    %w = onnx.weight "model.layers.0.mlp.up_proj.weight" : tensor<128x64xf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<ElementsAttr>:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def ONNX_NoneOp : ONNX_Op<"none", [Pure]> {
  let summary = "An omitted optional input of a node";
  let description = [{
    ONNX leaves an optional input out with an empty name; the node keeps
    its operand positions with this value in the gap.

    ```mlir
    %none = onnx.none
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // SPARSEC_ONNX_OPS_TD
