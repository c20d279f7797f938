// RUN: sparsec-opt %s --split-input-file --verify-diagnostics --sparsec-convert-onnx-to-llm="max-seq-len=32"

// A node no pattern covers: the graph is refused, naming the first node
// left where the patterns stopped, and nothing is converted half-way.

func.func @unmatched(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %gate = onnx.weight "gate" : tensor<16x8xf16>
  %up = onnx.weight "up" : tensor<16x8xf16>
  %down = onnx.weight "down" : tensor<8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  // expected-error @+1 {{node 'strange_tanh' (Tanh) is not part of any pattern sparsec-convert-onnx-to-llm recognises; the graph is refused}}
  %v49 = onnx.node "Tanh"(%v48) {node_name = "strange_tanh"} : (tensor<*xf32>) -> tensor<*xf32>
  %v50 = onnx.node "Cast"(%wo) {node_name = "cast50", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v51 = onnx.node "Gemm"(%v49, %v50) {node_name = "gemm51", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Add"(%v8, %v51) {node_name = "add52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "Mul"(%v52, %v52) {node_name = "mul53"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "ReduceMean"(%v53) {node_name = "reducemean54", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v55 = onnx.node "Add"(%v54, %eps) {node_name = "add55"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v56 = onnx.node "Sqrt"(%v55) {node_name = "sqrt56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Reciprocal"(%v56) {node_name = "reciprocal57"} : (tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Mul"(%v52, %v57) {node_name = "mul58"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v59 = onnx.node "Cast"(%norm1) {node_name = "cast59", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v60 = onnx.node "Mul"(%v58, %v59) {node_name = "mul60"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v61 = onnx.node "Cast"(%gate) {node_name = "cast61", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v62 = onnx.node "Gemm"(%v60, %v61) {node_name = "gemm62", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v63 = onnx.node "Cast"(%up) {node_name = "cast63", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v64 = onnx.node "Gemm"(%v60, %v63) {node_name = "gemm64", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v65 = onnx.node "Relu"(%v62) {node_name = "relu65"} : (tensor<*xf32>) -> tensor<*xf32>
  %v66 = onnx.node "Relu"(%v64) {node_name = "relu66"} : (tensor<*xf32>) -> tensor<*xf32>
  %v67 = onnx.node "Mul"(%v65, %v66) {node_name = "mul67"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v68 = onnx.node "Cast"(%down) {node_name = "cast68", node_attributes = {to = 1 : i64}} : (tensor<8x16xf16>) -> tensor<*xf32>
  %v69 = onnx.node "Gemm"(%v67, %v68) {node_name = "gemm69", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Add"(%v52, %v69) {node_name = "add70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "Mul"(%v70, %v70) {node_name = "mul71"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "ReduceMean"(%v71) {node_name = "reducemean72", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v73 = onnx.node "Add"(%v72, %eps) {node_name = "add73"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v74 = onnx.node "Sqrt"(%v73) {node_name = "sqrt74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Reciprocal"(%v74) {node_name = "reciprocal75"} : (tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Mul"(%v70, %v75) {node_name = "mul76"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v77 = onnx.node "Cast"(%normf) {node_name = "cast77", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v78 = onnx.node "Mul"(%v76, %v77) {node_name = "mul78"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v79 = onnx.node "Cast"(%head) {node_name = "cast79", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v80 = onnx.node "Gemm"(%v78, %v79) {node_name = "gemm80", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v80, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}


// -----

// The token input is missing.

// expected-error @+1 {{the graph has no 'input_ids' input}}
func.func @noids(%pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %gate = onnx.weight "gate" : tensor<16x8xf16>
  %up = onnx.weight "up" : tensor<16x8xf16>
  %down = onnx.weight "down" : tensor<8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%pos, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%gate) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "gemm61", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v62 = onnx.node "Cast"(%up) {node_name = "cast62", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v63 = onnx.node "Gemm"(%v59, %v62) {node_name = "gemm63", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v64 = onnx.node "Relu"(%v61) {node_name = "relu64"} : (tensor<*xf32>) -> tensor<*xf32>
  %v65 = onnx.node "Relu"(%v63) {node_name = "relu65"} : (tensor<*xf32>) -> tensor<*xf32>
  %v66 = onnx.node "Mul"(%v64, %v65) {node_name = "mul66"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v67 = onnx.node "Cast"(%down) {node_name = "cast67", node_attributes = {to = 1 : i64}} : (tensor<8x16xf16>) -> tensor<*xf32>
  %v68 = onnx.node "Gemm"(%v66, %v67) {node_name = "gemm68", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}


// -----

// A present output that is not the past concatenated with the new keys.

// expected-error @+1 {{graph output 'present.0.key' is not its layer's past concatenated with the new keys/values}}
func.func @badpresent(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %gate = onnx.weight "gate" : tensor<16x8xf16>
  %up = onnx.weight "up" : tensor<16x8xf16>
  %down = onnx.weight "down" : tensor<8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%gate) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "gemm61", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v62 = onnx.node "Cast"(%up) {node_name = "cast62", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v63 = onnx.node "Gemm"(%v59, %v62) {node_name = "gemm63", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v64 = onnx.node "Relu"(%v61) {node_name = "relu64"} : (tensor<*xf32>) -> tensor<*xf32>
  %v65 = onnx.node "Relu"(%v63) {node_name = "relu65"} : (tensor<*xf32>) -> tensor<*xf32>
  %v66 = onnx.node "Mul"(%v64, %v65) {node_name = "mul66"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v67 = onnx.node "Cast"(%down) {node_name = "cast67", node_attributes = {to = 1 : i64}} : (tensor<8x16xf16>) -> tensor<*xf32>
  %v68 = onnx.node "Gemm"(%v66, %v67) {node_name = "gemm68", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v36, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}


// -----

// No KV cache inputs at all.

// expected-error @+1 {{the graph has no 'past_key_values.N.key/value' inputs}}
func.func @nocache(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}) -> (tensor<*xf32> {onnx.name = "logits"})
    attributes {onnx.graph} {
  %table = onnx.weight "embed" : tensor<16x8xf32>
  %v = onnx.node "Gather"(%table, %ids) {node_name = "embed"} : (tensor<16x8xf32>, tensor<1x1xi64>) -> tensor<*xf32>
  return %v : tensor<*xf32>
}

// -----

// Layer 1's cache is an input, but nothing on the way to the logits reads
// it (an exporter that cut the model short).

// expected-error @+1 {{the logits do not depend on layer 1 (past_key_values.1.key/value are never read on the way to them): the graph is not a whole decoder}}
func.func @deadlayer(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"}, %pk1: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.1.key"}, %pv1: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.1.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %gate = onnx.weight "gate" : tensor<16x8xf16>
  %up = onnx.weight "up" : tensor<16x8xf16>
  %down = onnx.weight "down" : tensor<8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%gate) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "gemm61", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v62 = onnx.node "Cast"(%up) {node_name = "cast62", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v63 = onnx.node "Gemm"(%v59, %v62) {node_name = "gemm63", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v64 = onnx.node "Relu"(%v61) {node_name = "relu64"} : (tensor<*xf32>) -> tensor<*xf32>
  %v65 = onnx.node "Relu"(%v63) {node_name = "relu65"} : (tensor<*xf32>) -> tensor<*xf32>
  %v66 = onnx.node "Mul"(%v64, %v65) {node_name = "mul66"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v67 = onnx.node "Cast"(%down) {node_name = "cast67", node_attributes = {to = 1 : i64}} : (tensor<8x16xf16>) -> tensor<*xf32>
  %v68 = onnx.node "Gemm"(%v66, %v67) {node_name = "gemm68", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// MoE nodes sparsec cannot import are refused saying why: routing weights
// not renormalised over the top k.

func.func @moe_not_normalised(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %router = onnx.weight "router" : tensor<2x8xf16>
  %fc1 = onnx.weight "fc1" : tensor<2x32x8xf16>
  %fc2 = onnx.weight "fc2" : tensor<2x8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%router) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<2x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "router_gemm", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %none = onnx.none
  // expected-error @+1 {{node 'moe' (com.microsoft.MoE) cannot be imported: the top-k routing weights are not renormalised (normalize_routing_weights = 0); llm.moe renormalises them, as Mixtral does; the graph is refused}}
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "swiglu", k = 1 : i64, normalize_routing_weights = 0 : i64, swiglu_fusion = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x32x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// An ungated expert FFN (no fc3, not SwiGLU).

func.func @moe_ungated(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %router = onnx.weight "router" : tensor<2x8xf16>
  %fc1 = onnx.weight "fc1" : tensor<2x16x8xf16>
  %fc2 = onnx.weight "fc2" : tensor<2x8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%router) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<2x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "router_gemm", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %none = onnx.none
  // expected-error @+1 {{node 'moe' (com.microsoft.MoE) cannot be imported: activation_type 'relu' without fc3 is an ungated FFN; sparsec's FFNs are gated; the graph is refused}}
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "relu", k = 1 : i64, normalize_routing_weights = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x16x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// A clamped SwiGLU.

func.func @moe_clamped(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %router = onnx.weight "router" : tensor<2x8xf16>
  %fc1 = onnx.weight "fc1" : tensor<2x32x8xf16>
  %fc2 = onnx.weight "fc2" : tensor<2x8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%router) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<2x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "router_gemm", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %none = onnx.none
  // expected-error @+1 {{node 'moe' (com.microsoft.MoE) cannot be imported: a clamped SwiGLU (swiglu_limit) is not supported; the graph is refused}}
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "swiglu", k = 1 : i64, normalize_routing_weights = 1 : i64, swiglu_fusion = 1 : i64, swiglu_limit = 7.0 : f32}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x32x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// Experts quantized inside the node.

func.func @qmoe(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
    -> (tensor<*xf32> {onnx.name = "logits"}, tensor<*xf32> {onnx.name = "present.0.key"}, tensor<*xf32> {onnx.name = "present.0.value"})
    attributes {onnx.graph} {
  %embed = onnx.weight "embed" : tensor<16x8xf16>
  %norm0 = onnx.weight "norm0" : tensor<8xf16>
  %wq = onnx.weight "wq" : tensor<8x8xf16>
  %wk = onnx.weight "wk" : tensor<4x8xf16>
  %wv = onnx.weight "wv" : tensor<4x8xf16>
  %wo = onnx.weight "wo" : tensor<8x8xf16>
  %norm1 = onnx.weight "norm1" : tensor<8xf16>
  %router = onnx.weight "router" : tensor<2x8xf16>
  %fc1 = onnx.weight "fc1" : tensor<2x32x8xf16>
  %fc2 = onnx.weight "fc2" : tensor<2x8x16xf16>
  %normf = onnx.weight "normf" : tensor<8xf16>
  %head = onnx.weight "head" : tensor<16x8xf16>
  %eps = arith.constant dense<1.0e-05> : tensor<f32>
  %inv = arith.constant dense<[1.0, 1.000000e-02]> : tensor<2xf32>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %two = arith.constant dense<2> : tensor<1xi64>
  %four = arith.constant dense<4> : tensor<1xi64>
  %ax3 = arith.constant dense<3> : tensor<1xi64>
  %scale = arith.constant dense<0.5> : tensor<f32>
  %shape_q = arith.constant dense<[1, 2, 1, 4]> : tensor<4xi64>
  %shape_kv = arith.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %shape_qg = arith.constant dense<[1, 1, 2, 4]> : tensor<4xi64>
  %shape_flat = arith.constant dense<[1, 8]> : tensor<2xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %exp2 = arith.constant dense<2.0> : tensor<f32>
  %v1 = onnx.node "Cast"(%pos) {node_name = "cast1", node_attributes = {to = 1 : i64}} : (tensor<1x1xi64>) -> tensor<*xf32>
  %v2 = onnx.node "Mul"(%v1, %inv) {node_name = "mul2"} : (tensor<*xf32>, tensor<2xf32>) -> tensor<*xf32>
  %v3 = onnx.node "Concat"(%v2, %v2) {node_name = "concat3", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v4 = onnx.node "Cos"(%v3) {node_name = "cos4"} : (tensor<*xf32>) -> tensor<*xf32>
  %v5 = onnx.node "Sin"(%v3) {node_name = "sin5"} : (tensor<*xf32>) -> tensor<*xf32>
  %v6 = onnx.node "Reshape"(%ids, %one) {node_name = "reshape6"} : (tensor<1x1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %v7 = onnx.node "Cast"(%embed) {node_name = "cast7", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v8 = onnx.node "Gather"(%v7, %v6) {node_name = "gather8", node_attributes = {axis = 0 : i64}} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %v9 = onnx.node "Mul"(%v8, %v8) {node_name = "mul9"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Reciprocal"(%v12) {node_name = "reciprocal13"} : (tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Mul"(%v8, %v13) {node_name = "mul14"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v15 = onnx.node "Cast"(%norm0) {node_name = "cast15", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v16 = onnx.node "Mul"(%v14, %v15) {node_name = "mul16"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v17 = onnx.node "Cast"(%wq) {node_name = "cast17", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v18 = onnx.node "Gemm"(%v16, %v17) {node_name = "gemm18", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Gemm"(%v16, %v27) {node_name = "gemm28", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "Reshape"(%v28, %shape_kv) {node_name = "reshape29"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v30 = onnx.node "Slice"(%v29, %zero, %two, %ax3) {node_name = "slice30"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v29, %two, %four, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Neg"(%v31) {node_name = "neg32"} : (tensor<*xf32>) -> tensor<*xf32>
  %v33 = onnx.node "Concat"(%v32, %v30) {node_name = "concat33", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Mul"(%v29, %v4) {node_name = "mul34"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v33, %v5) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Add"(%v34, %v35) {node_name = "add36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Cast"(%wv) {node_name = "cast37", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v38 = onnx.node "Gemm"(%v16, %v37) {node_name = "gemm38", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v39 = onnx.node "Reshape"(%v38, %shape_kv) {node_name = "reshape39"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v40 = onnx.node "Concat"(%pk, %v36) {node_name = "concat40", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Concat"(%pv, %v39) {node_name = "concat41", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v42 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape42"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v43 = onnx.node "Transpose"(%v40) {node_name = "transpose43", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "MatMul"(%v42, %v43) {node_name = "matmul44"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v45 = onnx.node "Mul"(%v44, %scale) {node_name = "mul45"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v46 = onnx.node "Softmax"(%v45) {node_name = "softmax46", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "MatMul"(%v46, %v41) {node_name = "matmul47"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v48 = onnx.node "Reshape"(%v47, %shape_flat) {node_name = "reshape48"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v49 = onnx.node "Cast"(%wo) {node_name = "cast49", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v50 = onnx.node "Gemm"(%v48, %v49) {node_name = "gemm50", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v51 = onnx.node "Add"(%v8, %v50) {node_name = "add51"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v52 = onnx.node "Mul"(%v51, %v51) {node_name = "mul52"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "ReduceMean"(%v52) {node_name = "reducemean53", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v53, %eps) {node_name = "add54"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v55 = onnx.node "Sqrt"(%v54) {node_name = "sqrt55"} : (tensor<*xf32>) -> tensor<*xf32>
  %v56 = onnx.node "Reciprocal"(%v55) {node_name = "reciprocal56"} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Mul"(%v51, %v56) {node_name = "mul57"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v58 = onnx.node "Cast"(%norm1) {node_name = "cast58", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v59 = onnx.node "Mul"(%v57, %v58) {node_name = "mul59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%router) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<2x8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Gemm"(%v59, %v60) {node_name = "router_gemm", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %none = onnx.none
  // expected-error @+1 {{node 'moe' (com.microsoft.QMoE) cannot be imported: experts quantized inside the MoE node (QMoE) are not read; export them unquantized (MoE) and let sparsec quantize (--quant); the graph is refused}}
  %v68 = onnx.node "QMoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "swiglu", k = 1 : i64, normalize_routing_weights = 1 : i64, swiglu_fusion = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x32x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
  %v69 = onnx.node "Add"(%v51, %v68) {node_name = "add69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v69) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "ReduceMean"(%v70) {node_name = "reducemean71", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v72 = onnx.node "Add"(%v71, %eps) {node_name = "add72"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v73 = onnx.node "Sqrt"(%v72) {node_name = "sqrt73"} : (tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Reciprocal"(%v73) {node_name = "reciprocal74"} : (tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Mul"(%v69, %v74) {node_name = "mul75"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v76 = onnx.node "Cast"(%normf) {node_name = "cast76", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v77 = onnx.node "Mul"(%v75, %v76) {node_name = "mul77"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v78 = onnx.node "Cast"(%head) {node_name = "cast78", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v79 = onnx.node "Gemm"(%v77, %v78) {node_name = "gemm79", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v79, %v40, %v41 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}
