//===- ONNXFile.cpp - an ONNX model file, checked, as onnx IR -------------===//

#include "compiler/Importer/ONNX/ONNXFile.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "passes/JsonFile.h"

#include "sparsec/formats/gguf.h"
#include "sparsec/formats/weights_hash.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

// The generated classes of onnx-ml.proto (namespace ::onnx), as Debian's
// libonnx-dev builds them.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/onnx_pb.h>

#include <cstring>
#include <functional>
#include <unordered_map>

using namespace mlir;
using namespace mlir::sparsec;
using llvm::Expected;
using llvm::StringRef;
namespace onnx_ir = mlir::sparsec::onnx;

namespace {

/// Limits on what a file may claim (beyond them: a corrupt or hostile file).
constexpr int kMaxRank = 8;
constexpr int64_t kMaxDim = int64_t(1) << 32;
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 36;
/// Initializers up to this many bytes also carry their value in the IR.
constexpr uint64_t kInlineValueBytes = 64 * 1024;
/// protobuf cannot parse a message of 2 GiB or more.
constexpr uint64_t kMaxProtoBytes = (uint64_t(1) << 31) - 1;

struct ElementInfo {
  ::sparsec::DType dtype;
  const char *name;
};

/// The element types sparsec reads; nullopt for the others.
std::optional<ElementInfo> elementInfo(int onnxType) {
  using ::sparsec::DType;
  switch (onnxType) {
  case ::onnx::TensorProto_DataType_FLOAT:
    return ElementInfo{DType::kF32, "FLOAT"};
  case ::onnx::TensorProto_DataType_FLOAT16:
    return ElementInfo{DType::kF16, "FLOAT16"};
  case ::onnx::TensorProto_DataType_BFLOAT16:
    return ElementInfo{DType::kBF16, "BFLOAT16"};
  case ::onnx::TensorProto_DataType_DOUBLE:
    return ElementInfo{DType::kF64, "DOUBLE"};
  case ::onnx::TensorProto_DataType_INT64:
    return ElementInfo{DType::kI64, "INT64"};
  case ::onnx::TensorProto_DataType_INT32:
    return ElementInfo{DType::kI32, "INT32"};
  case ::onnx::TensorProto_DataType_INT8:
    return ElementInfo{DType::kI8, "INT8"};
  case ::onnx::TensorProto_DataType_UINT8:
    return ElementInfo{DType::kU8, "UINT8"};
  case ::onnx::TensorProto_DataType_BOOL:
    return ElementInfo{DType::kBool, "BOOL"};
  default:
    return std::nullopt;
  }
}

Type mlirElementType(MLIRContext *context, ::sparsec::DType dtype) {
  Builder b(context);
  using ::sparsec::DType;
  switch (dtype) {
  case DType::kF32:
    return b.getF32Type();
  case DType::kF16:
    return b.getF16Type();
  case DType::kBF16:
    return b.getBF16Type();
  case DType::kF64:
    return b.getF64Type();
  case DType::kI64:
    return b.getI64Type();
  case DType::kI32:
    return b.getI32Type();
  case DType::kI8:
    return b.getI8Type();
  case DType::kU8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case DType::kBool:
    return b.getI1Type();
  default:
    return {};
  }
}

/// One initializer (or Constant node value): checked shape and bytes.
struct Tensor {
  std::string name;
  ::sparsec::DType dtype;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr;
  uint64_t bytes = 0;
  std::string file; ///< where the bytes are, for messages
};

} // namespace

struct ONNXFile::Impl {
  std::string path, folder;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  ::onnx::ModelProto model;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
  /// Bytes converted from the typed fields (float_data, int64_data, ...).
  std::vector<std::unique_ptr<std::vector<uint8_t>>> converted;
  std::vector<Tensor> initializers;
  std::unordered_map<std::string, size_t> initializerIndex;
  /// Constant nodes' values, by output name.
  std::unordered_map<std::string, Tensor> constants;
  /// The graph's nodes (a merged decoder's If replaced by its branch's).
  std::vector<const ::onnx::NodeProto *> nodes;
  /// Values that are other values under another name (the If's outputs).
  std::unordered_map<std::string, std::string> aliases;
  /// Indices into `nodes` in an order where inputs come before readers.
  std::vector<int> order;

  const std::string &resolve(const std::string &name) const {
    auto it = aliases.find(name);
    return it == aliases.end() ? name : it->second;
  }

  llvm::Error fail(const llvm::Twine &message) const {
    return inputError(path + ": " + message);
  }
  Expected<Tensor> readTensor(const ::onnx::TensorProto &proto,
                              const std::string &what);
  llvm::Error check();
};

namespace {
std::string describeNode(const ::onnx::NodeProto &node, int index) {
  std::string name = node.name().empty() ? "#" + std::to_string(index)
                                         : "'" + node.name() + "'";
  std::string type = node.domain().empty() || node.domain() == "ai.onnx"
                         ? node.op_type()
                         : node.domain() + "." + node.op_type();
  return "node " + name + " (" + type + ")";
}
} // namespace

Expected<Tensor> ONNXFile::Impl::readTensor(const ::onnx::TensorProto &proto,
                                            const std::string &what) {
  Tensor t;
  t.name = proto.name();
  t.file = path;
  std::optional<ElementInfo> element = elementInfo(proto.data_type());
  if (!element)
    return fail(what + " has element type " +
                std::to_string(proto.data_type()) +
                ", which sparsec does not read (expected FLOAT, FLOAT16, "
                "BFLOAT16, DOUBLE, INT64, INT32, INT8, UINT8 or BOOL)");
  t.dtype = element->dtype;
  if (proto.dims_size() > kMaxRank)
    return fail(what + " has " + std::to_string(proto.dims_size()) +
                " dimensions (at most " + std::to_string(kMaxRank) + ")");
  uint64_t count = 1;
  for (int64_t dim : proto.dims()) {
    if (dim < 0 || dim > kMaxDim)
      return fail(what + " has dimension " + std::to_string(dim) +
                  " (expected 0.." + std::to_string(kMaxDim) + ")");
    t.shape.push_back(dim);
    count *= static_cast<uint64_t>(dim);
    if (count > kMaxTensorBytes)
      return fail(what + " is absurdly large (" +
                  ::sparsec::formatShape(t.shape) + ")");
  }
  uint64_t elementBytes = ::sparsec::dtypeSize(t.dtype);
  t.bytes = count * elementBytes;

  if (proto.data_location() == ::onnx::TensorProto_DataLocation_EXTERNAL) {
    std::string location;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    for (const ::onnx::StringStringEntryProto &entry : proto.external_data()) {
      auto number = [&](uint64_t &out) -> llvm::Error {
        if (StringRef(entry.value()).getAsInteger(10, out))
          return fail(what + ": external data " + entry.key() + " '" +
                      entry.value() + "' is not a number");
        return llvm::Error::success();
      };
      if (entry.key() == "location") {
        location = entry.value();
      } else if (entry.key() == "offset") {
        if (llvm::Error err = number(offset))
          return std::move(err);
      } else if (entry.key() == "length") {
        uint64_t value = 0;
        if (llvm::Error err = number(value))
          return std::move(err);
        length = value;
      }
    }
    if (location.empty())
      return fail(what + " is stored externally but names no location");
    // The location must stay inside the model's folder.
    bool escapes = llvm::sys::path::is_absolute(location);
    for (auto it = llvm::sys::path::begin(location),
              end = llvm::sys::path::end(location);
         it != end; ++it)
      escapes |= *it == "..";
    if (escapes)
      return fail(what + ": external data location '" + location +
                  "' is outside the model's folder (expected a relative "
                  "path without '..')");
    llvm::SmallString<256> dataPath(folder);
    llvm::sys::path::append(dataPath, location);
    llvm::SmallString<256> realFolder, realData;
    if (llvm::sys::fs::real_path(folder, realFolder) ||
        llvm::sys::fs::real_path(dataPath, realData))
      return fail(what + ": external data file '" + location +
                  "' not found in " + folder);
    if (!StringRef(realData).starts_with(std::string(realFolder) + "/"))
      return fail(what + ": external data file '" + location +
                  "' resolves outside the model's folder (" + realData + ")");
    auto &mapped = externalFiles[realData];
    if (!mapped) {
      auto file = llvm::MemoryBuffer::getFile(realData, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
      if (!file)
        return fail(what + ": cannot read external data file '" + location +
                    "': " + file.getError().message());
      mapped = std::move(*file);
    }
    uint64_t size = mapped->getBufferSize();
    if (length && *length != t.bytes)
      return fail(what + ": external data length " + std::to_string(*length) +
                  " does not match its shape " +
                  ::sparsec::formatShape(t.shape) + " of " + element->name +
                  " (" + std::to_string(t.bytes) + " bytes)");
    if (offset > size || t.bytes > size - offset)
      return fail(what + ": external data [" + std::to_string(offset) + ", " +
                  std::to_string(offset + t.bytes) + ") runs past the end of " +
                  location + " (" + std::to_string(size) + " bytes)");
    t.data =
        reinterpret_cast<const uint8_t *>(mapped->getBufferStart()) + offset;
    t.file = std::string(dataPath);
    return t;
  }

  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != t.bytes)
      return fail(what + " holds " + std::to_string(proto.raw_data().size()) +
                  " bytes, but its shape " + ::sparsec::formatShape(t.shape) +
                  " of " + element->name + " needs " + std::to_string(t.bytes));
    t.data = reinterpret_cast<const uint8_t *>(proto.raw_data().data());
    return t;
  }
  // Typed fields: copied into little-endian bytes of the element type.
  auto out = std::make_unique<std::vector<uint8_t>>(t.bytes);
  auto sizeError = [&](int64_t stored) {
    return fail(what + " holds " + std::to_string(stored) +
                " values, but its shape " + ::sparsec::formatShape(t.shape) +
                " has " + std::to_string(count));
  };
  using ::sparsec::DType;
  switch (t.dtype) {
  case DType::kF32:
    if (static_cast<uint64_t>(proto.float_data_size()) != count)
      return sizeError(proto.float_data_size());
    std::memcpy(out->data(), proto.float_data().data(), t.bytes);
    break;
  case DType::kF64:
    if (static_cast<uint64_t>(proto.double_data_size()) != count)
      return sizeError(proto.double_data_size());
    std::memcpy(out->data(), proto.double_data().data(), t.bytes);
    break;
  case DType::kI64:
    if (static_cast<uint64_t>(proto.int64_data_size()) != count)
      return sizeError(proto.int64_data_size());
    std::memcpy(out->data(), proto.int64_data().data(), t.bytes);
    break;
  default: // int32_data holds every narrower type, one value per int32
    if (static_cast<uint64_t>(proto.int32_data_size()) != count)
      return sizeError(proto.int32_data_size());
    for (uint64_t i = 0; i < count; ++i) {
      uint32_t value = static_cast<uint32_t>(proto.int32_data(i));
      std::memcpy(out->data() + i * elementBytes, &value, elementBytes);
    }
  }
  t.data = out->data();
  converted.push_back(std::move(out));
  return t;
}

llvm::Error ONNXFile::Impl::check() {
  if (!model.has_graph())
    return fail("no graph (not an ONNX model?)");
  const ::onnx::GraphProto &graph = model.graph();
  bool defaultOpset = false;
  for (const ::onnx::OperatorSetIdProto &opset : model.opset_import())
    defaultOpset |= opset.domain().empty() || opset.domain() == "ai.onnx";
  if (!defaultOpset)
    return fail("imports no version of the default ONNX operator set");

  // Every name a node may read, as it becomes defined.
  std::unordered_map<std::string, std::string> defined; // name -> by what
  for (const ::onnx::TensorProto &proto : graph.initializer()) {
    std::string what = "initializer '" + proto.name() + "'";
    if (proto.name().empty())
      return fail("an initializer has no name");
    bool repeated = !defined.emplace(proto.name(), what).second;
    Expected<Tensor> tensor = readTensor(proto, what);
    if (!tensor)
      return tensor.takeError();
    if (repeated) {
      // Exporters sometimes write a tied weight twice (onnxruntime-genai's
      // builder does): the same tensor again is harmless; a different one
      // leaves the model ambiguous.
      auto first = initializerIndex.find(proto.name());
      if (first == initializerIndex.end())
        return fail(what + " is defined twice");
      const Tensor &earlier = initializers[first->second];
      if (earlier.dtype != tensor->dtype || earlier.shape != tensor->shape ||
          std::memcmp(earlier.data, tensor->data, tensor->bytes) != 0)
        return fail(what + " is defined twice, with different values");
      continue;
    }
    initializerIndex[proto.name()] = initializers.size();
    initializers.push_back(std::move(*tensor));
  }
  if (graph.sparse_initializer_size() > 0)
    return fail("sparse initializers are not supported ('" +
                graph.sparse_initializer(0).values().name() + "')");
  for (const ::onnx::ValueInfoProto &input : graph.input()) {
    if (initializerIndex.count(input.name()))
      continue; // IR < 4 lists initializers as inputs too
    if (!defined.emplace(input.name(), "graph input").second)
      return fail("graph input '" + input.name() + "' is defined twice");
    if (!input.type().has_tensor_type())
      return fail("graph input '" + input.name() + "' is not a tensor");
  }
  // The nodes: the graph's, with Optimum's merged decoder (an If on the
  // graph input use_cache_branch) replaced by its with-past branch, which a
  // decode step takes; its outputs become aliases of the branch's.
  for (const ::onnx::NodeProto &node : graph.node()) {
    bool mergedDecoder = node.op_type() == "If" && node.domain().empty() &&
                         node.input_size() == 1 &&
                         node.input(0) == "use_cache_branch" &&
                         defined.count("use_cache_branch") &&
                         defined["use_cache_branch"] == "graph input";
    if (!mergedDecoder) {
      nodes.push_back(&node);
      continue;
    }
    const ::onnx::GraphProto *branch = nullptr;
    for (const ::onnx::AttributeProto &attr : node.attribute())
      if (attr.name() == "then_branch" &&
          attr.type() == ::onnx::AttributeProto_AttributeType_GRAPH)
        branch = &attr.g();
    if (!branch || branch->output_size() != node.output_size())
      return fail("node '" + node.name() +
                  "' (If on use_cache_branch) has no then_branch with its " +
                  std::to_string(node.output_size()) + " outputs");
    for (const ::onnx::TensorProto &proto : branch->initializer()) {
      std::string what = "initializer '" + proto.name() + "'";
      if (!defined.emplace(proto.name(), what).second)
        return fail(what + " is defined twice");
      Expected<Tensor> tensor = readTensor(proto, what);
      if (!tensor)
        return tensor.takeError();
      initializerIndex[proto.name()] = initializers.size();
      initializers.push_back(std::move(*tensor));
    }
    for (const ::onnx::NodeProto &inner : branch->node())
      nodes.push_back(&inner);
    for (int o = 0; o < node.output_size(); ++o)
      aliases[node.output(o)] = branch->output(o).name();
  }

  // Each node on its own; then an order in which every input is defined
  // before it is read. The ONNX spec asks for nodes in such an order, but
  // exporters do not always write them so (onnxruntime sorts them itself):
  // sort, and refuse only inputs nothing defines, and cycles.
  std::unordered_map<std::string, int> producer;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    const ::onnx::NodeProto &node = *nodes[i];
    std::string what = describeNode(node, i);
    if (node.op_type().empty())
      return fail("node #" + std::to_string(i) + " has no operator type");
    for (const ::onnx::AttributeProto &attr : node.attribute())
      if (attr.type() == ::onnx::AttributeProto_AttributeType_GRAPH ||
          attr.type() == ::onnx::AttributeProto_AttributeType_GRAPHS)
        return fail(what + " has a subgraph (attribute '" + attr.name() +
                    "'); control flow is not supported yet");
    if (node.op_type() == "Constant" && node.domain().empty()) {
      const ::onnx::AttributeProto *value = nullptr;
      for (const ::onnx::AttributeProto &attr : node.attribute())
        if (attr.name() == "value" &&
            attr.type() == ::onnx::AttributeProto_AttributeType_TENSOR)
          value = &attr;
      if (!value || node.output_size() != 1)
        return fail(what + " is a Constant without a tensor 'value' and one "
                           "output");
      Expected<Tensor> tensor = readTensor(value->t(), what);
      if (!tensor)
        return tensor.takeError();
      constants[node.output(0)] = std::move(*tensor);
    }
    for (const std::string &output : node.output()) {
      if (output.empty())
        continue;
      if (defined.count(output))
        return fail(what + " defines '" + output + "', already defined by " +
                    defined[output]);
      auto [it, fresh] = producer.emplace(output, i);
      if (!fresh)
        return fail(what + " defines '" + output + "', already defined by " +
                    describeNode(*nodes[it->second], it->second));
    }
  }
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
    for (const std::string &name : nodes[i]->input())
      if (const std::string &input = resolve(name);
          !input.empty() && !defined.count(input) && !producer.count(input))
        return fail(describeNode(*nodes[i], i) + " reads '" + input +
                    "', which no graph input, initializer or node defines "
                    "(a missing initializer?)");
  // Kahn's algorithm, keeping the file's order among ready nodes.
  std::vector<int> waiting(static_cast<int>(nodes.size()), 0);
  std::unordered_map<std::string, std::vector<int>> readers;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
    for (const std::string &name : nodes[i]->input())
      if (const std::string &input = resolve(name);
          !input.empty() && !defined.count(input)) {
        ++waiting[i];
        readers[input].push_back(i);
      }
  std::vector<int> ready;
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i)
    if (waiting[i] == 0)
      ready.push_back(i);
  while (!ready.empty()) {
    int i = ready.back();
    ready.pop_back();
    order.push_back(i);
    std::vector<int> released;
    for (const std::string &output : nodes[i]->output())
      for (int reader : readers[output])
        if (--waiting[reader] == 0)
          released.push_back(reader);
    llvm::sort(released, std::greater<int>());
    ready.insert(ready.end(), released.begin(), released.end());
    llvm::sort(ready, std::greater<int>());
  }
  if (static_cast<int>(order.size()) != static_cast<int>(nodes.size()))
    for (int i = 0; i < static_cast<int>(nodes.size()); ++i)
      if (waiting[i] > 0)
        return fail(describeNode(*nodes[i], i) +
                    " is part of a cycle (its inputs depend on its own "
                    "outputs)");
  for (const auto &entry : producer)
    defined.emplace(entry.first, "a node");
  for (const ::onnx::ValueInfoProto &output : graph.output())
    if (!defined.count(resolve(output.name())))
      return fail("graph output '" + output.name() +
                  "' is not defined by any node, input or initializer");
  return llvm::Error::success();
}

ONNXFile::ONNXFile() : impl(std::make_unique<Impl>()) {}
ONNXFile::~ONNXFile() = default;

const std::string &ONNXFile::path() const { return impl->path; }
const std::string &ONNXFile::folder() const { return impl->folder; }

std::optional<std::string> ONNXFile::findModelFile(StringRef path) {
  if (llvm::sys::fs::is_regular_file(path))
    return path.ends_with(".onnx") ? std::optional(path.str()) : std::nullopt;
  if (!llvm::sys::fs::is_directory(path))
    return std::nullopt;
  auto in = [&](StringRef name) {
    llvm::SmallString<256> file(path);
    llvm::sys::path::append(file, name);
    return std::string(file);
  };
  // A checkpoint with an ONNX export beside it is read as the checkpoint.
  if (llvm::sys::fs::exists(in("model.safetensors")) ||
      llvm::sys::fs::exists(in("model.safetensors.index.json")))
    return std::nullopt;
  // model.onnx (Optimum, onnxruntime-genai, sparsec-synth), else Optimum's
  // legacy export: the merged decoder, or the decoder with past.
  for (const char *name : {"model.onnx", "decoder_model_merged.onnx",
                           "decoder_with_past_model.onnx"})
    if (llvm::sys::fs::is_regular_file(in(name)))
      return in(name);
  return std::nullopt;
}

Expected<std::shared_ptr<ONNXFile>> ONNXFile::open(StringRef path) {
  std::shared_ptr<ONNXFile> file(new ONNXFile());
  Impl &impl = *file->impl;
  impl.path = path.str();
  impl.folder = llvm::sys::path::parent_path(path).str();
  if (impl.folder.empty())
    impl.folder = ".";
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return inputError(path + ": cannot read: " + buffer.getError().message());
  impl.buffer = std::move(*buffer);
  if (impl.buffer->getBufferSize() > kMaxProtoBytes)
    return impl.fail("is " + std::to_string(impl.buffer->getBufferSize()) +
                     " bytes; protobuf reads at most 2 GiB (store the "
                     "weights as external data)");
  if (!impl.model.ParseFromArray(
          impl.buffer->getBufferStart(),
          static_cast<int>(impl.buffer->getBufferSize())))
    return impl.fail("not a valid ONNX model (protobuf parse failed)");
  if (llvm::Error err = impl.check())
    return std::move(err);
  return file;
}

namespace {

/// Builds the onnx-dialect function of a checked graph.
class ModuleBuilder {
public:
  ModuleBuilder(MLIRContext &context, const ONNXFile::Impl &impl)
      : context(context), b(&context), impl(impl) {}

  Expected<OwningOpRef<ModuleOp>> build();

private:
  Location loc(StringRef name) {
    return NameLoc::get(b.getStringAttr(name),
                        FileLineColLoc::get(&context, impl.path, 1, 1));
  }
  Type valueType(const ::onnx::TypeProto &type);
  Expected<Attribute> attribute(const ::onnx::AttributeProto &attr,
                                const std::string &what);
  Expected<DenseElementsAttr> elements(const Tensor &tensor);
  Type resultType(const ::onnx::NodeProto &node, int output,
                  ArrayRef<Value> operands);

  MLIRContext &context;
  OpBuilder b;
  const ONNXFile::Impl &impl;
  std::unordered_map<std::string, Type> declaredTypes;
};

Type ModuleBuilder::valueType(const ::onnx::TypeProto &type) {
  const ::onnx::TypeProto_Tensor &tensor = type.tensor_type();
  std::optional<ElementInfo> element = elementInfo(tensor.elem_type());
  if (!element)
    return {};
  Type elementType = mlirElementType(&context, element->dtype);
  if (!tensor.has_shape())
    return UnrankedTensorType::get(elementType);
  SmallVector<int64_t> shape;
  for (const ::onnx::TensorShapeProto_Dimension &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 &&
                            dim.dim_value() <= kMaxDim
                        ? dim.dim_value()
                        : ShapedType::kDynamic);
  return RankedTensorType::get(shape, elementType);
}

Expected<DenseElementsAttr> ModuleBuilder::elements(const Tensor &tensor) {
  Type elementType = mlirElementType(&context, tensor.dtype);
  auto type = RankedTensorType::get(tensor.shape, elementType);
  if (tensor.dtype == ::sparsec::DType::kBool) {
    SmallVector<bool> values;
    for (uint64_t i = 0; i < tensor.bytes; ++i)
      values.push_back(tensor.data[i] != 0);
    return DenseElementsAttr::get(type, values);
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(reinterpret_cast<const char *>(tensor.data),
                           tensor.bytes));
}

Expected<Attribute> ModuleBuilder::attribute(const ::onnx::AttributeProto &attr,
                                             const std::string &what) {
  switch (attr.type()) {
  case ::onnx::AttributeProto_AttributeType_FLOAT:
    return b.getF32FloatAttr(attr.f());
  case ::onnx::AttributeProto_AttributeType_INT:
    return b.getI64IntegerAttr(attr.i());
  case ::onnx::AttributeProto_AttributeType_STRING:
    return b.getStringAttr(attr.s());
  case ::onnx::AttributeProto_AttributeType_FLOATS:
    return b.getF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end()));
  case ::onnx::AttributeProto_AttributeType_INTS:
    return b.getI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end()));
  case ::onnx::AttributeProto_AttributeType_STRINGS: {
    SmallVector<StringRef> strings(attr.strings().begin(),
                                   attr.strings().end());
    return b.getStrArrayAttr(strings);
  }
  case ::onnx::AttributeProto_AttributeType_TENSOR: {
    Expected<Tensor> tensor = const_cast<ONNXFile::Impl &>(impl).readTensor(
        attr.t(), what + " attribute '" + attr.name() + "'");
    if (!tensor)
      return tensor.takeError();
    if (tensor->bytes > kInlineValueBytes * 16)
      return impl.fail(what + " attribute '" + attr.name() +
                       "' is a tensor too large to hold inline");
    Expected<DenseElementsAttr> value = elements(*tensor);
    if (!value)
      return value.takeError();
    return *value;
  }
  default:
    return impl.fail(what + " attribute '" + attr.name() + "' has type " +
                     std::to_string(attr.type()) +
                     ", which sparsec does not read");
  }
}

Type ModuleBuilder::resultType(const ::onnx::NodeProto &node, int output,
                               ArrayRef<Value> operands) {
  auto declared = declaredTypes.find(node.output(output));
  if (declared != declaredTypes.end() && declared->second)
    return declared->second;
  // No declared type: the element type the operator gives, shape unknown.
  Type elementType;
  StringRef op = node.op_type();
  if (op == "Cast") {
    for (const ::onnx::AttributeProto &attr : node.attribute())
      if (attr.name() == "to")
        if (std::optional<ElementInfo> element =
                elementInfo(static_cast<int>(attr.i())))
          elementType = mlirElementType(&context, element->dtype);
  } else if (op == "Shape" || op == "Size" || op == "NonZero" ||
             op == "ArgMax" || op == "ArgMin" ||
             (op == "TopK" && output == 1)) {
    elementType = b.getI64Type();
  } else if (op == "Equal" || op == "Less" || op == "Greater" ||
             op == "LessOrEqual" || op == "GreaterOrEqual" || op == "Not" ||
             op == "And" || op == "Or" || op == "IsNaN" || op == "IsInf") {
    elementType = b.getI1Type();
  } else if (op == "Gather" || op == "GatherElements" || op == "GatherND") {
    if (!operands.empty())
      if (auto shaped = dyn_cast<ShapedType>(operands[0].getType()))
        elementType = shaped.getElementType();
  } else {
    for (Value operand : operands)
      if (auto shaped = dyn_cast<ShapedType>(operand.getType())) {
        elementType = shaped.getElementType();
        break;
      }
  }
  if (!elementType)
    elementType = b.getF32Type();
  return UnrankedTensorType::get(elementType);
}

Expected<OwningOpRef<ModuleOp>> ModuleBuilder::build() {
  const ::onnx::GraphProto &graph = impl.model.graph();
  for (const ::onnx::ValueInfoProto &info : graph.value_info())
    declaredTypes[info.name()] = valueType(info.type());
  for (const ::onnx::ValueInfoProto &info : graph.output())
    declaredTypes[info.name()] = valueType(info.type());

  OwningOpRef<ModuleOp> module = ModuleOp::create(loc("model"));
  b.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> inputTypes;
  SmallVector<const ::onnx::ValueInfoProto *> inputs;
  for (const ::onnx::ValueInfoProto &input : graph.input()) {
    if (impl.initializerIndex.count(input.name()))
      continue;
    Type type = valueType(input.type());
    if (!type)
      return impl.fail("graph input '" + input.name() +
                       "' has an element type sparsec does not read (" +
                       std::to_string(input.type().tensor_type().elem_type()) +
                       ")");
    inputTypes.push_back(type);
    inputs.push_back(&input);
  }
  SmallVector<Type> outputTypes;
  for (const ::onnx::ValueInfoProto &output : graph.output()) {
    Type type = valueType(output.type());
    if (!type)
      return impl.fail("graph output '" + output.name() +
                       "' has an element type sparsec does not read");
    outputTypes.push_back(type);
  }
  std::string name = graph.name().empty() ? "graph" : graph.name();
  auto func = func::FuncOp::create(b, loc(name), name,
                                   b.getFunctionType(inputTypes, outputTypes));
  func->setAttr(kONNXGraphAttrName, b.getUnitAttr());
  Block *entry = func.addEntryBlock();
  std::unordered_map<std::string, Value> values;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    func.setArgAttr(i, kONNXNameAttrName, b.getStringAttr(input->name()));
    values[input->name()] = entry->getArgument(i);
  }
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, kONNXNameAttrName, b.getStringAttr(output.name()));

  b.setInsertionPointToStart(entry);
  for (const Tensor &tensor : impl.initializers) {
    Type elementType = mlirElementType(&context, tensor.dtype);
    auto type = RankedTensorType::get(tensor.shape, elementType);
    auto weight =
        onnx_ir::WeightOp::create(b, loc(tensor.name), type,
                                  b.getStringAttr(tensor.name), ElementsAttr());
    if (tensor.bytes <= kInlineValueBytes) {
      Expected<DenseElementsAttr> value = elements(tensor);
      if (!value)
        return value.takeError();
      weight.setValueAttr(*value);
    }
    values[tensor.name] = weight;
  }
  for (int i : impl.order) {
    const ::onnx::NodeProto &node = *impl.nodes[i];
    std::string what = describeNode(node, i);
    std::string nodeName =
        node.name().empty() ? "#" + std::to_string(i) : node.name();
    SmallVector<Value> operands;
    for (const std::string &input : node.input()) {
      if (input.empty()) {
        // An omitted optional input: a placeholder no pattern reads.
        operands.push_back(
            onnx_ir::NoneOp::create(b, loc(nodeName), b.getNoneType()));
        continue;
      }
      operands.push_back(values.at(impl.resolve(input)));
    }
    if (node.op_type() == "Constant" && node.domain().empty()) {
      Expected<DenseElementsAttr> value =
          elements(impl.constants.at(node.output(0)));
      if (!value)
        return value.takeError();
      values[node.output(0)] =
          arith::ConstantOp::create(b, loc(nodeName), *value);
      continue;
    }
    SmallVector<NamedAttribute> attrs;
    for (const ::onnx::AttributeProto &attr : node.attribute()) {
      Expected<Attribute> value = attribute(attr, what);
      if (!value)
        return value.takeError();
      attrs.push_back(b.getNamedAttr(attr.name(), *value));
    }
    SmallVector<Type> resultTypes;
    for (int o = 0; o < node.output_size(); ++o)
      resultTypes.push_back(resultType(node, o, operands));
    std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto op = onnx_ir::NodeOp::create(
        b, loc(nodeName), resultTypes, operands,
        b.getStringAttr(node.op_type()), b.getStringAttr(domain),
        b.getStringAttr(nodeName), b.getDictionaryAttr(attrs));
    for (int o = 0; o < node.output_size(); ++o)
      if (!node.output(o).empty())
        values[node.output(o)] = op.getResult(o);
  }
  SmallVector<Value> results;
  for (const ::onnx::ValueInfoProto &output : graph.output()) {
    Value value = values.at(impl.resolve(output.name()));
    results.push_back(value);
  }
  // The declared output types win over the inferred ones.
  for (auto [i, value] : llvm::enumerate(results))
    if (value.getType() != outputTypes[i])
      func.setResultAttr(i, "onnx.inferred", b.getUnitAttr());
  func.setFunctionType(b.getFunctionType(
      inputTypes, llvm::to_vector(llvm::map_range(
                      results, [](Value v) { return v.getType(); }))));
  func::ReturnOp::create(b, loc(name), results);
  return module;
}

/// The initializers of float types, read in place; predictor tensors from a
/// safetensors directory after them.
class ONNXSource : public TensorSource {
public:
  ONNXSource(std::shared_ptr<const ONNXFile> file, const ONNXFile::Impl &impl,
             std::unique_ptr<::sparsec::Checkpoint> predictors)
      : file(std::move(file)), impl(impl), predictors(std::move(predictors)) {
    for (const Tensor &t : impl.initializers) {
      using ::sparsec::DType;
      if (t.dtype != DType::kF32 && t.dtype != DType::kF16 &&
          t.dtype != DType::kBF16)
        continue;
      SourceTensor tensor;
      tensor.name = t.name;
      tensor.dtype = t.dtype;
      tensor.shape = t.shape;
      tensor.file = t.file;
      tensor.data = t.data;
      tensors.emplace(t.name, std::move(tensor));
    }
    if (this->predictors)
      for (const auto &f : this->predictors->files())
        for (const ::sparsec::TensorInfo &info : f->tensors())
          tensors.emplace(info.name, sourceTensorOf(info)); // the model's win
  }

  /// A MatMulNBits weight, "dequantize_nbits(B,scales,bits,block_size)":
  /// 4-bit levels B [N, K / block, block / 2] (element 2i in the low nibble
  /// of byte i, 2i + 1 in the high one; zero point 8) and a scale per block.
  struct NBits {
    const Tensor *blocks = nullptr, *scales = nullptr;
    int64_t rows = 0, columns = 0, block = 0;

    /// Level (0..15) of element `k` of row `n`.
    int level(int64_t n, int64_t k) const {
      uint8_t byte = blocks->data[(n * columns + k) / 2];
      return k % 2 == 0 ? byte & 0xF : byte >> 4;
    }
    float scale(int64_t n, int64_t k) const {
      int64_t index = n * (columns / block) + k / block;
      if (scales->dtype == ::sparsec::DType::kF32) {
        float value;
        std::memcpy(&value, scales->data + 4 * index, 4);
        return value;
      }
      uint16_t bits;
      std::memcpy(&bits, scales->data + 2 * index, 2);
      return ::sparsec::halfToFloat(bits);
    }
  };
  std::optional<NBits> parseNBits(StringRef name) const {
    if (!name.consume_front("dequantize_nbits(") || !name.consume_back(")"))
      return std::nullopt;
    SmallVector<StringRef, 4> parts;
    name.split(parts, ',');
    int64_t bits = 0;
    NBits nbits;
    auto find = [&](StringRef n) -> const Tensor * {
      auto it = impl.initializerIndex.find(n.str());
      return it == impl.initializerIndex.end() ? nullptr
                                               : &impl.initializers[it->second];
    };
    if (parts.size() != 4 || parts[2].getAsInteger(10, bits) || bits != 4 ||
        parts[3].getAsInteger(10, nbits.block) || nbits.block < 2 ||
        nbits.block % 2 != 0)
      return std::nullopt;
    nbits.blocks = find(parts[0]);
    nbits.scales = find(parts[1]);
    if (!nbits.blocks || !nbits.scales ||
        nbits.blocks->dtype != ::sparsec::DType::kU8 ||
        nbits.blocks->shape.size() != 3 ||
        nbits.blocks->shape[2] != nbits.block / 2 ||
        (nbits.scales->dtype != ::sparsec::DType::kF32 &&
         nbits.scales->dtype != ::sparsec::DType::kF16))
      return std::nullopt;
    nbits.rows = nbits.blocks->shape[0];
    nbits.columns = nbits.blocks->shape[1] * nbits.block;
    int64_t scaleCount = 1;
    for (int64_t dim : nbits.scales->shape)
      scaleCount *= dim;
    if (scaleCount != nbits.rows * nbits.blocks->shape[1])
      return std::nullopt;
    return nbits;
  }

  /// A tensor by name. The ONNX importer also asks for views of
  /// initializers, which read() makes: "transpose(X)" (X a matrix stored
  /// [in, out], MatMul's layout), "rows(X,first,count)" (a packed q/k/v
  /// matrix's part), "strided_rows(X,first,count,step)" (gate or up rows of
  /// an interleaved gate/up matrix) and "expert(X,e)" (matrix e of a stack
  /// [experts, rows, columns], as MoE nodes take them).
  const SourceTensor *find(StringRef name) const override {
    auto it = tensors.find(name.str());
    if (it != tensors.end())
      return &it->second;
    auto made = views.find(name.str());
    if (made != views.end())
      return &made->second;
    if (std::optional<NBits> nbits = parseNBits(name)) {
      SourceTensor tensor;
      tensor.name = name.str();
      tensor.dtype = nbits->scales->dtype;
      tensor.shape = {nbits->rows, nbits->columns};
      tensor.file = nbits->blocks->file;
      tensor.storedAs =
          "MatMulNBits 4-bit blocks of " + std::to_string(nbits->block) +
          " dequantized to " +
          (tensor.dtype == ::sparsec::DType::kF32 ? "f32" : "f16");
      // Blocks of 32 with f16 scales (or f32 ones f16 holds exactly) are
      // ggml's q4_0 blocks with their nibbles reordered: packed as stored.
      bool exact = nbits->block == 32;
      for (int64_t n = 0; exact && n < nbits->rows; ++n)
        for (int64_t k = 0; exact && k < nbits->columns; k += nbits->block) {
          float scale = nbits->scale(n, k);
          exact =
              ::sparsec::halfToFloat(::sparsec::floatToHalf(scale)) == scale;
        }
      if (exact)
        tensor.blocks = ::sparsec::GgmlType::kQ4_0;
      return &views.emplace(name.str(), std::move(tensor)).first->second;
    }
    std::optional<View> view = parseView(name);
    if (!view)
      return nullptr;
    const SourceTensor *inner = find(view->inner);
    if (inner && view->kind == View::kExpert) {
      // A slab of the stack, in place.
      if (inner->shape.size() != 3 || !inner->data || view->first < 0 ||
          view->first >= inner->shape[0])
        return nullptr;
      SourceTensor tensor = *inner;
      tensor.name = name.str();
      tensor.shape = {inner->shape[1], inner->shape[2]};
      tensor.data = inner->data + view->first * tensor.numBytes();
      return &views.emplace(name.str(), std::move(tensor)).first->second;
    }
    if (!inner || inner->shape.size() != 2)
      return nullptr;
    SourceTensor tensor = *inner;
    tensor.name = name.str();
    tensor.data = nullptr; // read() makes it
    if (view->kind == View::kStridedRows) {
      if (view->first < 0 || view->count <= 0 || view->step <= 0 ||
          view->first + (view->count - 1) * view->step >= tensor.shape[0])
        return nullptr;
      tensor.shape[0] = view->count;
      tensor.storedAs = "rows of an interleaved gate/up matrix";
      tensor.blocks.reset();
    } else if (view->kind == View::kTranspose) {
      std::swap(tensor.shape[0], tensor.shape[1]);
      tensor.storedAs = "transposed from [in][out]";
      tensor.blocks.reset();
    } else {
      if (view->first < 0 || view->count <= 0 ||
          view->first + view->count > tensor.shape[0])
        return nullptr;
      tensor.shape[0] = view->count;
      tensor.storedAs = "rows of a packed matrix";
      // Rows of blocks stay blocks (readBlocks copies the range).
    }
    return &views.emplace(name.str(), std::move(tensor)).first->second;
  }
  const std::string &origin() const override { return impl.path; }

  llvm::Error read(const SourceTensor &tensor, uint8_t *out) const override {
    if (tensor.data)
      return TensorSource::read(tensor, out);
    if (std::optional<NBits> nbits = parseNBits(tensor.name)) {
      for (int64_t n = 0; n < nbits->rows; ++n)
        for (int64_t k = 0; k < nbits->columns; ++k) {
          float value =
              static_cast<float>(nbits->level(n, k) - 8) * nbits->scale(n, k);
          int64_t at = n * nbits->columns + k;
          if (tensor.dtype == ::sparsec::DType::kF32) {
            std::memcpy(out + 4 * at, &value, 4);
          } else {
            uint16_t half = ::sparsec::floatToHalf(value);
            std::memcpy(out + 2 * at, &half, 2);
          }
        }
      return llvm::Error::success();
    }
    std::optional<View> view = parseView(tensor.name);
    const SourceTensor *inner = view ? find(view->inner) : nullptr;
    if (!inner)
      return TensorSource::read(tensor, out);
    std::vector<uint8_t> whole(inner->numBytes());
    if (llvm::Error err = read(*inner, whole.data()))
      return err;
    int64_t rows = inner->shape[0], cols = inner->shape[1];
    size_t element = ::sparsec::dtypeSize(inner->dtype);
    if (view->kind == View::kRows) {
      std::memcpy(out, whole.data() + view->first * cols * element,
                  view->count * cols * element);
      return llvm::Error::success();
    }
    if (view->kind == View::kStridedRows) {
      for (int64_t r = 0; r < view->count; ++r)
        std::memcpy(out + r * cols * element,
                    whole.data() +
                        (view->first + r * view->step) * cols * element,
                    cols * element);
      return llvm::Error::success();
    }
    // [rows, cols] -> [cols, rows], a tile at a time.
    constexpr int64_t kTile = 32;
    for (int64_t r0 = 0; r0 < rows; r0 += kTile)
      for (int64_t c0 = 0; c0 < cols; c0 += kTile)
        for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
          for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c)
            std::memcpy(out + (c * rows + r) * element,
                        whole.data() + (r * cols + c) * element, element);
    return llvm::Error::success();
  }

  /// ggml q4_0 blocks (f16 scale, then element j in the low nibble of byte
  /// j and j + 16 in its high nibble) of a MatMulNBits weight.
  llvm::Error readBlocks(const SourceTensor &tensor,
                         uint8_t *out) const override {
    std::optional<NBits> nbits = parseNBits(tensor.name);
    if (!nbits && tensor.blocks) {
      // A row range of a quantized matrix: its rows of blocks.
      std::optional<View> view = parseView(tensor.name);
      const SourceTensor *inner = view ? find(view->inner) : nullptr;
      if (!inner || view->kind != View::kRows || inner->blocks != tensor.blocks)
        return TensorSource::readBlocks(tensor, out);
      int64_t rowBytes = inner->shape[1] /
                         ::sparsec::ggmlBlockSize(*inner->blocks) *
                         ::sparsec::ggmlBlockBytes(*inner->blocks);
      std::vector<uint8_t> whole(inner->shape[0] * rowBytes);
      if (llvm::Error err = readBlocks(*inner, whole.data()))
        return err;
      std::memcpy(out, whole.data() + view->first * rowBytes,
                  view->count * rowBytes);
      return llvm::Error::success();
    }
    if (!nbits || !tensor.blocks)
      return TensorSource::readBlocks(tensor, out);
    for (int64_t n = 0; n < nbits->rows; ++n)
      for (int64_t k = 0; k < nbits->columns; k += 32) {
        uint16_t scale = ::sparsec::floatToHalf(nbits->scale(n, k));
        std::memcpy(out, &scale, 2);
        for (int j = 0; j < 16; ++j)
          out[2 + j] = static_cast<uint8_t>(nbits->level(n, k + j) |
                                            (nbits->level(n, k + j + 16) << 4));
        out += 18;
      }
    return llvm::Error::success();
  }

  /// XXH3 of the model file, its external data files, config.json and the
  /// predictor files.
  Expected<std::string> hash() const override {
    WeightsFingerprint fingerprint;
    fingerprint.mixData(impl.buffer->getBufferStart(),
                        impl.buffer->getBufferSize());
    SmallVector<StringRef> names;
    for (const auto &entry : impl.externalFiles)
      names.push_back(entry.getKey());
    llvm::sort(names);
    for (StringRef name : names) {
      const llvm::MemoryBuffer &buffer = *impl.externalFiles.find(name)->second;
      fingerprint.mix(llvm::sys::path::filename(name));
      fingerprint.mixData(buffer.getBufferStart(), buffer.getBufferSize());
    }
    for (const char *config : {"config.json", "genai_config.json"}) {
      llvm::SmallString<256> path(impl.folder);
      llvm::sys::path::append(path, config);
      if (auto buffer = llvm::MemoryBuffer::getFile(path))
        fingerprint.mix((*buffer)->getBuffer());
    }
    if (predictors)
      for (const auto &f : predictors->files())
        fingerprint.mixData(f->data(), f->dataSize());
    return fingerprint.hex();
  }

private:
  std::shared_ptr<const ONNXFile> file;
  const ONNXFile::Impl &impl;
  std::unique_ptr<::sparsec::Checkpoint> predictors;
  std::unordered_map<std::string, SourceTensor> tensors;
  struct View {
    enum Kind { kTranspose, kRows, kStridedRows, kExpert } kind = kTranspose;
    std::string inner;
    /// Rows: first, count, step; expert: its index in `first`.
    int64_t first = 0, count = 0, step = 1;
  };
  /// "transpose(X)", "rows(X,first,count)",
  /// "strided_rows(X,first,count,step)" or "expert(X,e)"; X may be a view.
  static std::optional<View> parseView(StringRef name) {
    View view;
    if (!name.consume_back(")"))
      return std::nullopt;
    // The trailing integer arguments, last first.
    auto integers = [&](StringRef args, int n,
                        SmallVectorImpl<int64_t> &values) -> StringRef {
      for (int i = 0; i < n; ++i) {
        auto [rest, text] = args.rsplit(',');
        int64_t value = 0;
        if (rest.size() == args.size() || text.getAsInteger(10, value))
          return {};
        values.insert(values.begin(), value);
        args = rest;
      }
      return args;
    };
    SmallVector<int64_t, 3> values;
    StringRef inner;
    if (name.consume_front("transpose(")) {
      inner = name;
    } else if (name.consume_front("rows(")) {
      view.kind = View::kRows;
      inner = integers(name, 2, values);
    } else if (name.consume_front("strided_rows(")) {
      view.kind = View::kStridedRows;
      inner = integers(name, 3, values);
    } else if (name.consume_front("expert(")) {
      view.kind = View::kExpert;
      inner = integers(name, 1, values);
    }
    if (inner.empty())
      return std::nullopt;
    view.inner = inner.str();
    if (!values.empty())
      view.first = values[0];
    if (values.size() > 1)
      view.count = values[1];
    if (values.size() > 2)
      view.step = values[2];
    return view;
  }

  /// Views made on demand by find() (node-based: references stay valid).
  mutable std::unordered_map<std::string, SourceTensor> views;
};

} // namespace

Expected<OwningOpRef<ModuleOp>> ONNXFile::toModule(MLIRContext &context) const {
  context.loadDialect<onnx_ir::ONNXDialect, arith::ArithDialect,
                      func::FuncDialect>();
  return ModuleBuilder(context, *impl).build();
}

Expected<std::unique_ptr<TensorSource>>
ONNXFile::openWeights(std::shared_ptr<const ONNXFile> file,
                      StringRef predictorDir) {
  auto predictors = openPredictorCheckpoint(predictorDir);
  if (!predictors)
    return predictors.takeError();
  const Impl &impl = *file->impl;
  return std::make_unique<ONNXSource>(std::move(file), impl,
                                      std::move(*predictors));
}
