// RUN: sparsec-opt %s --split-input-file --sparsec-fold-onnx-shapes | FileCheck %s

// torch.onnx's reshape target for q ([batch, sequence, heads, head_dim] from
// Shape(x)): with one token in a batch of one it is a constant, and the
// reshape, the transpose and the slice after it get their shapes.

// CHECK-LABEL: func.func @reshape_target
// CHECK: %[[TARGET:.*]] = arith.constant dense<[1, 1, 4, 16]> : tensor<4xi64>
// CHECK: onnx.node "Reshape"(%{{.*}}, %[[TARGET]]) {{.*}} -> tensor<1x1x4x16xf32>
// CHECK: onnx.node "Transpose"({{.*}} : (tensor<1x1x4x16xf32>) -> tensor<1x4x1x16xf32>
// CHECK: %[[HALF:.*]] = arith.constant dense<8> : tensor<1xi64>
// CHECK: onnx.node "Slice"(%{{.*}}, %{{.*}}, %[[HALF]], {{.*}} -> tensor<1x4x1x8xf32>
func.func @reshape_target(%ids: tensor<?x?xi64> {onnx.name = "input_ids"})
    -> (tensor<*xf32> {onnx.name = "logits"}) attributes {onnx.graph} {
  %table = onnx.weight "embed" : tensor<256x64xf32>
  %wq = onnx.weight "wq" : tensor<64x64xf32>
  %c0 = arith.constant dense<0> : tensor<i64>
  %c1 = arith.constant dense<1> : tensor<i64>
  %c3 = arith.constant dense<3> : tensor<i64>
  %c2 = arith.constant dense<2> : tensor<i64>
  %a0 = arith.constant dense<0> : tensor<1xi64>
  %heads = arith.constant dense<4> : tensor<1xi64>
  %dim = arith.constant dense<16> : tensor<1xi64>
  %axis = arith.constant dense<-1> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %h = onnx.node "Gather"(%table, %ids) {node_name = "embed"} : (tensor<256x64xf32>, tensor<?x?xi64>) -> tensor<*xf32>
  %q = onnx.node "MatMul"(%h, %wq) {node_name = "q"} : (tensor<*xf32>, tensor<64x64xf32>) -> tensor<*xf32>
  %s = onnx.node "Shape"(%h) {node_name = "shape"} : (tensor<*xf32>) -> tensor<*xi64>
  %b = onnx.node "Gather"(%s, %c0) {node_name = "batch", node_attributes = {axis = 0 : i64}} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %t = onnx.node "Gather"(%s, %c1) {node_name = "tokens", node_attributes = {axis = 0 : i64}} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %ub = onnx.node "Unsqueeze"(%b, %a0) {node_name = "ub"} : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %ut = onnx.node "Unsqueeze"(%t, %a0) {node_name = "ut"} : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %target = onnx.node "Concat"(%ub, %ut, %heads, %dim) {node_name = "target", node_attributes = {axis = 0 : i64}} : (tensor<*xi64>, tensor<*xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xi64>
  %r = onnx.node "Reshape"(%q, %target) {node_name = "split_heads"} : (tensor<*xf32>, tensor<*xi64>) -> tensor<*xf32>
  %tr = onnx.node "Transpose"(%r) {node_name = "heads_first", node_attributes = {perm = [0, 2, 1, 3]}} : (tensor<*xf32>) -> tensor<*xf32>
  %sq = onnx.node "Shape"(%tr) {node_name = "shape_q"} : (tensor<*xf32>) -> tensor<*xi64>
  %d = onnx.node "Gather"(%sq, %c3) {node_name = "head_dim", node_attributes = {axis = 0 : i64}} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %half = onnx.node "Div"(%d, %c2) {node_name = "half"} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %uh = onnx.node "Unsqueeze"(%half, %a0) {node_name = "uh"} : (tensor<*xi64>, tensor<1xi64>) -> tensor<*xi64>
  %x1 = onnx.node "Slice"(%tr, %a0, %uh, %axis, %step) {node_name = "x1"} : (tensor<*xf32>, tensor<1xi64>, tensor<*xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %n = onnx.node "Neg"(%x1) {node_name = "neg"} : (tensor<*xf32>) -> tensor<*xf32>
  return %n : tensor<*xf32>
}

// -----

// What depends on the past length stays: its dimension is unknown.

// CHECK-LABEL: func.func @past_length
// CHECK: %[[P:.*]] = onnx.node "Gather"
// CHECK-SAME: -> tensor<i64>
// CHECK: onnx.node "Add"(%[[P]], %{{.*}}) {{.*}} -> tensor<i64>
func.func @past_length(%past: tensor<?x2x?x16xf32> {onnx.name = "past_key_values.0.key"})
    -> (tensor<*xi64> {onnx.name = "total"}) attributes {onnx.graph} {
  %c2 = arith.constant dense<2> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %s = onnx.node "Shape"(%past) {node_name = "shape"} : (tensor<?x2x?x16xf32>) -> tensor<*xi64>
  %p = onnx.node "Gather"(%s, %c2) {node_name = "past_length", node_attributes = {axis = 0 : i64}} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %total = onnx.node "Add"(%p, %one) {node_name = "total"} : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %n = onnx.node "Neg"(%total) {node_name = "neg"} : (tensor<*xi64>) -> tensor<*xi64>
  return %n : tensor<*xi64>
}
