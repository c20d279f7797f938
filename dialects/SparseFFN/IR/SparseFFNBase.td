//===- SparseFFNBase.td - sfn dialect definition -----------*- tablegen -*-===//
//
// The `sfn` dialect says how a sparse FFN or MoE layer executes: which
// neurons are computed (active sets), which weight rows are read (gathered
// matvecs) and how the down projection is accumulated (scattered matvecs).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_SFN_BASE_TD
#define SPARSEC_SFN_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "dialects/LLM/IR/LLMBase.td"

def SparseFFN_Dialect : Dialect {
  let name = "sfn";
  let cppNamespace = "::mlir::sparsec::sfn";
  let summary = "Sparse execution of FFN and MoE blocks";
  let description = [{
    Ops that read only the weights a token needs. An active set
    (`!sfn.active_set<N>`) is a compact list of neuron indices out of `N`,
    never a mask to be scanned; "compact" vectors (`tensor<?xf32>`) hold one
    value per active index, in the set's order. `down` weights are stored
    transposed (`[intermediate, hidden]`), so that neuron `i`'s column of
    the down projection is one contiguous row.
  }];
  let dependentDialects = ["::mlir::sparsec::llm::LLMDialect"];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

class SparseFFN_Op<string mnemonic, list<Trait> traits = []>
    : Op<SparseFFN_Dialect, mnemonic, traits>;

class SparseFFN_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<SparseFFN_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

/// A full-width f32 vector.
def SparseFFN_Vector : 1DTensorOf<[F32]>;

/// One f32 value per index of an active set.
def SparseFFN_CompactVector : 1DTensorOf<[F32]>;

def SparseFFN_Weight : RankedTensorOf<[F32, F16, BF16, LLM_QuantElement]>;

#endif // SPARSEC_SFN_BASE_TD
