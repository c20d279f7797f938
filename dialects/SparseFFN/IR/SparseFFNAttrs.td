//===- SparseFFNAttrs.td - sfn dialect attributes ----------*- tablegen -*-===//

#ifndef SPARSEC_SFN_ATTRS_TD
#define SPARSEC_SFN_ATTRS_TD

include "dialects/SparseFFN/IR/SparseFFNBase.td"
include "mlir/IR/EnumAttr.td"

/// How a sparse FFN chooses its neurons (docs/DESIGN.md, "Sparse modes").
def SparseFFN_Mode : I32EnumAttr<"SparseMode", "sparse FFN execution mode", [
    I32EnumAttrCase<"Dense", 0, "dense">,
    I32EnumAttrCase<"Exact", 1, "exact">,
    I32EnumAttrCase<"Predicted", 2, "predicted">,
    I32EnumAttrCase<"Threshold", 3, "threshold">
  ]> {
  let cppNamespace = "::mlir::sparsec::sfn";
  let genSpecializedAttr = 0;
}

def SparseFFN_ModeAttr : EnumAttr<SparseFFN_Dialect, SparseFFN_Mode, "mode"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // SPARSEC_SFN_ATTRS_TD
