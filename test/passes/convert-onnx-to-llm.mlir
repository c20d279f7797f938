// RUN: sparsec-opt %s --split-input-file --sparsec-convert-onnx-to-llm="max-seq-len=32" | FileCheck %s

// The graphs sparsec-synth --onnx writes, shrunk to one layer (hidden 8,
// 2 query heads and 1 KV head of 4, vocabulary 16, 16 neurons): every
// subgraph becomes its llm op, the inputs the step's token, position and
// cache, and the present outputs the cache llm.attention writes.

// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: (%[[TOK:.*]]: i32, %[[POS:.*]]: index, %[[CACHE:.*]]: !llm.kv_cache<layers = 1, max_len = 32, kv_heads = 1, head_dim = 4, f16>) -> tensor<16xf32>
// CHECK: %[[TABLE:.*]] = llm.param "embed" : tensor<16x8xf16>
// CHECK: %[[H:.*]] = llm.embed %[[TABLE]][%[[TOK]]]
// CHECK: %[[X:.*]] = llm.rms_norm %[[H]], %{{.*}} {epsilon = 9.99999974E-6 : f32}
// CHECK: %[[Q:.*]] = llm.linear %[[X]], %{{.*}} : tensor<8xf32>, tensor<8x8xf16> -> tensor<8xf32>
// CHECK: %[[QR:.*]] = llm.rope %[[Q]], %[[POS]] {head_dim = 4 : i64, theta = 1.000000e+04 : f64}
// CHECK: %[[K:.*]] = llm.linear %[[X]]
// CHECK: %[[KR:.*]] = llm.rope %[[K]], %[[POS]]
// CHECK: %[[V:.*]] = llm.linear %[[X]]
// CHECK: %[[ATT:.*]] = llm.attention %[[QR]], %[[KR]], %[[V]], %[[POS]], %[[CACHE]] {layer = 0 : i64, num_heads = 2 : i64}
// CHECK: %[[O:.*]] = llm.linear %[[ATT]]
// CHECK: %[[R:.*]] = llm.add %[[H]], %[[O]]
// CHECK: %[[X2:.*]] = llm.rms_norm %[[R]]
// CHECK: %[[FFN:.*]] = llm.ffn %[[X2]], %{{.*}}, %{{.*}}, %{{.*}} {activation = #llm.activation<drelu>, layer = 0 : i64}
// CHECK: %[[R2:.*]] = llm.add %[[R]], %[[FFN]]
// CHECK: %[[XF:.*]] = llm.rms_norm %[[R2]]
// CHECK: %[[LOGITS:.*]] = llm.lm_head %[[XF]], %{{.*}} : tensor<8xf32>, tensor<16x8xf16> -> tensor<16xf32>
// CHECK: return %[[LOGITS]]
// CHECK-NOT: onnx.

func.func @synth(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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

// Other spellings of the same ops: RMSNorm as Pow/Div, linear layers as
// MatMul(x, Transpose(W)), SwiGLU, and the scores divided by sqrt(d).

// CHECK-LABEL: func.func @decode_step
// CHECK: llm.rms_norm
// CHECK: llm.linear {{.*}} : tensor<8xf32>, tensor<8x8xf16> -> tensor<8xf32>
// CHECK: llm.attention {{.*}} {layer = 0 : i64, num_heads = 2 : i64}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 0 : i64}
// CHECK: llm.lm_head
// CHECK-NOT: onnx.

func.func @spellings(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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
  %scale = arith.constant dense<2.0> : tensor<f32>
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
  %v9 = onnx.node "Pow"(%v8, %exp2) {node_name = "pow9"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v10 = onnx.node "ReduceMean"(%v9) {node_name = "reducemean10", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v11 = onnx.node "Add"(%v10, %eps) {node_name = "add11"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v12 = onnx.node "Sqrt"(%v11) {node_name = "sqrt12"} : (tensor<*xf32>) -> tensor<*xf32>
  %v13 = onnx.node "Div"(%v8, %v12) {node_name = "div13"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v14 = onnx.node "Cast"(%norm0) {node_name = "cast14", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v15 = onnx.node "Mul"(%v13, %v14) {node_name = "mul15"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v16 = onnx.node "Cast"(%wq) {node_name = "cast16", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v17 = onnx.node "Transpose"(%v16) {node_name = "transpose17", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v18 = onnx.node "MatMul"(%v15, %v17) {node_name = "matmul18"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v19 = onnx.node "Reshape"(%v18, %shape_q) {node_name = "reshape19"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v20 = onnx.node "Slice"(%v19, %zero, %two, %ax3) {node_name = "slice20"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v21 = onnx.node "Slice"(%v19, %two, %four, %ax3) {node_name = "slice21"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v22 = onnx.node "Neg"(%v21) {node_name = "neg22"} : (tensor<*xf32>) -> tensor<*xf32>
  %v23 = onnx.node "Concat"(%v22, %v20) {node_name = "concat23", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v24 = onnx.node "Mul"(%v19, %v4) {node_name = "mul24"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v25 = onnx.node "Mul"(%v23, %v5) {node_name = "mul25"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v26 = onnx.node "Add"(%v24, %v25) {node_name = "add26"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v27 = onnx.node "Cast"(%wk) {node_name = "cast27", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v28 = onnx.node "Transpose"(%v27) {node_name = "transpose28", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v29 = onnx.node "MatMul"(%v15, %v28) {node_name = "matmul29"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v30 = onnx.node "Reshape"(%v29, %shape_kv) {node_name = "reshape30"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v31 = onnx.node "Slice"(%v30, %zero, %two, %ax3) {node_name = "slice31"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v32 = onnx.node "Slice"(%v30, %two, %four, %ax3) {node_name = "slice32"} : (tensor<*xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %v33 = onnx.node "Neg"(%v32) {node_name = "neg33"} : (tensor<*xf32>) -> tensor<*xf32>
  %v34 = onnx.node "Concat"(%v33, %v31) {node_name = "concat34", node_attributes = {axis = 3 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v35 = onnx.node "Mul"(%v30, %v4) {node_name = "mul35"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v36 = onnx.node "Mul"(%v34, %v5) {node_name = "mul36"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v37 = onnx.node "Add"(%v35, %v36) {node_name = "add37"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v38 = onnx.node "Cast"(%wv) {node_name = "cast38", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %v39 = onnx.node "Transpose"(%v38) {node_name = "transpose39", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v40 = onnx.node "MatMul"(%v15, %v39) {node_name = "matmul40"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v41 = onnx.node "Reshape"(%v40, %shape_kv) {node_name = "reshape41"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v42 = onnx.node "Concat"(%pk, %v37) {node_name = "concat42", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v43 = onnx.node "Concat"(%pv, %v41) {node_name = "concat43", node_attributes = {axis = 2 : i64}} : (tensor<1x1x?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v44 = onnx.node "Reshape"(%v26, %shape_qg) {node_name = "reshape44"} : (tensor<*xf32>, tensor<4xi64>) -> tensor<*xf32>
  %v45 = onnx.node "Transpose"(%v42) {node_name = "transpose45", node_attributes = {perm = [0, 1, 3, 2]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v46 = onnx.node "MatMul"(%v44, %v45) {node_name = "matmul46"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v47 = onnx.node "Div"(%v46, %scale) {node_name = "div47"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v48 = onnx.node "Softmax"(%v47) {node_name = "softmax48", node_attributes = {axis = -1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v49 = onnx.node "MatMul"(%v48, %v43) {node_name = "matmul49"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v50 = onnx.node "Reshape"(%v49, %shape_flat) {node_name = "reshape50"} : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  %v51 = onnx.node "Cast"(%wo) {node_name = "cast51", node_attributes = {to = 1 : i64}} : (tensor<8x8xf16>) -> tensor<*xf32>
  %v52 = onnx.node "Transpose"(%v51) {node_name = "transpose52", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v53 = onnx.node "MatMul"(%v50, %v52) {node_name = "matmul53"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v54 = onnx.node "Add"(%v8, %v53) {node_name = "add54"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v55 = onnx.node "Pow"(%v54, %exp2) {node_name = "pow55"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v56 = onnx.node "ReduceMean"(%v55) {node_name = "reducemean56", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v57 = onnx.node "Add"(%v56, %eps) {node_name = "add57"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v58 = onnx.node "Sqrt"(%v57) {node_name = "sqrt58"} : (tensor<*xf32>) -> tensor<*xf32>
  %v59 = onnx.node "Div"(%v54, %v58) {node_name = "div59"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v60 = onnx.node "Cast"(%norm1) {node_name = "cast60", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v61 = onnx.node "Mul"(%v59, %v60) {node_name = "mul61"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v62 = onnx.node "Cast"(%gate) {node_name = "cast62", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v63 = onnx.node "Transpose"(%v62) {node_name = "transpose63", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v64 = onnx.node "MatMul"(%v61, %v63) {node_name = "matmul64"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v65 = onnx.node "Cast"(%up) {node_name = "cast65", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v66 = onnx.node "Transpose"(%v65) {node_name = "transpose66", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v67 = onnx.node "MatMul"(%v61, %v66) {node_name = "matmul67"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v68 = onnx.node "Sigmoid"(%v64) {node_name = "sigmoid68"} : (tensor<*xf32>) -> tensor<*xf32>
  %v69 = onnx.node "Mul"(%v64, %v68) {node_name = "mul69"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v70 = onnx.node "Mul"(%v69, %v67) {node_name = "mul70"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v71 = onnx.node "Cast"(%down) {node_name = "cast71", node_attributes = {to = 1 : i64}} : (tensor<8x16xf16>) -> tensor<*xf32>
  %v72 = onnx.node "Transpose"(%v71) {node_name = "transpose72", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v73 = onnx.node "MatMul"(%v70, %v72) {node_name = "matmul73"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v74 = onnx.node "Add"(%v54, %v73) {node_name = "add74"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v75 = onnx.node "Pow"(%v74, %exp2) {node_name = "pow75"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v76 = onnx.node "ReduceMean"(%v75) {node_name = "reducemean76", node_attributes = {axes = [-1], keepdims = 1 : i64}} : (tensor<*xf32>) -> tensor<*xf32>
  %v77 = onnx.node "Add"(%v76, %eps) {node_name = "add77"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  %v78 = onnx.node "Sqrt"(%v77) {node_name = "sqrt78"} : (tensor<*xf32>) -> tensor<*xf32>
  %v79 = onnx.node "Div"(%v74, %v78) {node_name = "div79"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v80 = onnx.node "Cast"(%normf) {node_name = "cast80", node_attributes = {to = 1 : i64}} : (tensor<8xf16>) -> tensor<*xf32>
  %v81 = onnx.node "Mul"(%v79, %v80) {node_name = "mul81"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v82 = onnx.node "Cast"(%head) {node_name = "cast82", node_attributes = {to = 1 : i64}} : (tensor<16x8xf16>) -> tensor<*xf32>
  %v83 = onnx.node "Transpose"(%v82) {node_name = "transpose83", node_attributes = {perm = [1, 0]}} : (tensor<*xf32>) -> tensor<*xf32>
  %v84 = onnx.node "MatMul"(%v81, %v83) {node_name = "matmul84"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %v84, %v42, %v43 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// onnxruntime-genai's MoE layer: the router a linear layer of the FFN's
// input, com.microsoft.MoE over experts stacked [experts, rows, columns].
// Gate and up interleaved in fc1 row by row (swiglu_fusion 1): each
// expert's matrices are views of the stacks, which the importer reads.

// CHECK-LABEL: func.func @decode_step
// CHECK: llm.attention
// CHECK: %[[X2:.*]] = llm.rms_norm
// CHECK: %[[ROUTER:.*]] = llm.param "router" : tensor<2x8xf16>
// CHECK: %[[G0:.*]] = llm.param "strided_rows(expert(fc1,0),0,16,2)" : tensor<16x8xf16>
// CHECK: %[[U0:.*]] = llm.param "strided_rows(expert(fc1,0),1,16,2)" : tensor<16x8xf16>
// CHECK: %[[D0:.*]] = llm.param "expert(fc2,0)" : tensor<8x16xf16>
// CHECK: %[[G1:.*]] = llm.param "strided_rows(expert(fc1,1),0,16,2)"
// CHECK: %[[U1:.*]] = llm.param "strided_rows(expert(fc1,1),1,16,2)"
// CHECK: %[[D1:.*]] = llm.param "expert(fc2,1)"
// CHECK: llm.moe %[[X2]] router(%[[ROUTER]]) experts(gate[%[[G0]], %[[G1]]], up[%[[U0]], %[[U1]]], down[%[[D0]], %[[D1]]]) {activation = #llm.activation<swiglu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
// CHECK-NOT: onnx.

func.func @moe_interleaved(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "swiglu", k = 1 : i64, normalize_routing_weights = 1 : i64, swiglu_fusion = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x32x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
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

// Gate rows, then up rows (swiglu_fusion 2), top 2.

// CHECK-LABEL: func.func @decode_step
// CHECK: llm.param "rows(expert(fc1,0),0,16)" : tensor<16x8xf16>
// CHECK: llm.param "rows(expert(fc1,0),16,16)" : tensor<16x8xf16>
// CHECK: llm.param "expert(fc2,0)"
// CHECK: llm.param "rows(expert(fc1,1),0,16)"
// CHECK: llm.param "rows(expert(fc1,1),16,16)"
// CHECK: llm.moe {{.*}} {activation = #llm.activation<swiglu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 2 : i64}

func.func @moe_concatenated(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "swiglu", k = 2 : i64, normalize_routing_weights = 1 : i64, swiglu_fusion = 2 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x32x8xf16>, none, tensor<2x8x16xf16>, none) -> tensor<*xf32>
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

// relu(fc1 x) * (fc3 x): ReLU-gated experts, up from fc3.

// CHECK-LABEL: func.func @decode_step
// CHECK: %[[G0:.*]] = llm.param "expert(fc1,0)" : tensor<16x8xf16>
// CHECK: %[[U0:.*]] = llm.param "expert(fc3,0)" : tensor<16x8xf16>
// CHECK: %[[D0:.*]] = llm.param "expert(fc2,0)" : tensor<8x16xf16>
// CHECK: llm.moe {{.*}} experts(gate[%[[G0]], {{.*}}], up[%[[U0]], {{.*}}], down[%[[D0]], {{.*}}]) {activation = #llm.activation<relu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}

func.func @moe_fc3(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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
  %fc3 = onnx.weight "fc3" : tensor<2x16x8xf16>
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
  %v68 = onnx.node "MoE"(%v59, %v61, %fc1, %none, %fc2, %none, %fc3) {domain = "com.microsoft", node_name = "moe", node_attributes = {activation_type = "relu", k = 1 : i64, normalize_routing_weights = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>, tensor<2x16x8xf16>, none, tensor<2x8x16xf16>, none, tensor<2x16x8xf16>) -> tensor<*xf32>
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

// A predictor in the graph: the activation times
// Cast(Greater(fc2(Relu(fc1 r)), threshold)), r the residual stream before
// the FFN's norm, becomes the FFN's predictor (fc2 here stored [in, out]).

// CHECK-LABEL: func.func @decode_step
// CHECK: %[[R:.*]] = llm.add
// CHECK: %[[X2:.*]] = llm.rms_norm %[[R]]
// CHECK: %[[FC1:.*]] = llm.param "pfc1" : tensor<4x8xf16>
// CHECK: %[[FC2:.*]] = llm.param "transpose(pfc2)" : tensor<16x4xf16>
// CHECK: llm.ffn %[[X2]], %{{.*}}, %{{.*}}, %{{.*}} predictor(%[[R]], %[[FC1]], %[[FC2]]) {activation = #llm.activation<drelu>, layer = 0 : i64, predictor_threshold = 2.500000e-01 : f32}
// CHECK-NOT: onnx.

func.func @predicted(%ids: tensor<1x1xi64> {onnx.name = "input_ids"}, %pos: tensor<1x1xi64> {onnx.name = "position_ids"}, %pk: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.key"}, %pv: tensor<1x1x?x4xf32> {onnx.name = "past_key_values.0.value"})
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
  %pfc1 = onnx.weight "pfc1" : tensor<4x8xf16>
  %pfc2 = onnx.weight "pfc2" : tensor<4x16xf16>
  %thr = arith.constant dense<0.25> : tensor<f32>
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
  %p1 = onnx.node "Cast"(%pfc1) {node_name = "castp1", node_attributes = {to = 1 : i64}} : (tensor<4x8xf16>) -> tensor<*xf32>
  %p2 = onnx.node "Gemm"(%v51, %p1) {node_name = "predictor_fc1", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %p3 = onnx.node "Relu"(%p2) {node_name = "predictor_relu"} : (tensor<*xf32>) -> tensor<*xf32>
  %p4 = onnx.node "Gemm"(%p3, %pfc2) {node_name = "predictor_fc2"} : (tensor<*xf32>, tensor<4x16xf16>) -> tensor<*xf32>
  %p5 = onnx.node "Greater"(%p4, %thr) {node_name = "predictor_greater"} : (tensor<*xf32>, tensor<f32>) -> tensor<*xi1>
  %p6 = onnx.node "Cast"(%p5) {node_name = "predictor_mask", node_attributes = {to = 1 : i64}} : (tensor<*xi1>) -> tensor<*xf32>
  %p7 = onnx.node "Mul"(%v66, %p6) {node_name = "masked"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %v68 = onnx.node "Gemm"(%p7, %v67) {node_name = "gemm68", node_attributes = {transB = 1 : i64}} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
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
