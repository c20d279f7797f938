//===- SparseFFNTypes.td - sfn dialect types ---------------*- tablegen -*-===//

#ifndef SPARSEC_SFN_TYPES_TD
#define SPARSEC_SFN_TYPES_TD

include "dialects/SparseFFN/IR/SparseFFNBase.td"

def SparseFFN_ActiveSetType : SparseFFN_Type<"ActiveSet", "active_set"> {
  let summary = "Compact list of active neuron indices out of `universe`";
  let description = [{
    The neurons of one FFN (or one expert) that a token computes, as sorted
    indices in `[0, universe)`. Its length is known only at run time and is
    at most `universe`.

    ```mlir
    !sfn.active_set<14336>
    ```
  }];
  let parameters = (ins "int64_t":$universe);
  let assemblyFormat = "`<` $universe `>`";
  let genVerifyDecl = 1;
}

#endif // SPARSEC_SFN_TYPES_TD
