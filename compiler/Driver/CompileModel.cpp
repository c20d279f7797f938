//===- CompileModel.cpp - checkpoint to executable --------------*- C++ -*-===//

#include "compiler/Driver/CompileModel.h"

#include "passes/JsonFile.h"

#include "compiler/Importer/Common/TokenizerExport.h"
#include "compiler/Importer/Importer.h"
#include "compiler/InitAll.h"
#include "compiler/Packer/WeightPacker.h"
#include "dialects/Common/StorageSize.h"
#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"
#include "passes/BufferPlan.h"
#include "passes/DecodeStep.h"
#include "passes/WeightSlots.h"
#include "targets/Common/KernelNames.h"
#include "targets/Target.h"

#include "sparsec/formats/limits.h"
#include "sparsec/kernel_abi.h"
#include "sparsec/manifest_schema.h"
#include "sparsec/weights_layout.h"

#include "sparsec/formats/manifest.h"
#include "sparsec/formats/step_info.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// "14 quantized to q4_k", or with rows that took a fallback format
/// "14 quantized to q4_k, 2 to q4_1".
std::string quantizedSummary(const PackResult &packed) {
  std::string summary;
  for (const auto &[format, count] : packed.quantizedFormats)
    summary += (summary.empty() ? "" : ", ") + std::to_string(count) +
               (summary.empty() ? " quantized to " : " to ") + format;
  return summary;
}

/// "[2/7] sparse pipeline ... 0.12 s" on stderr.
class Progress {
public:
  Progress(bool quiet, int total) : quiet(quiet), total(total) {}
  void begin(const llvm::Twine &what) {
    start = std::chrono::steady_clock::now();
    if (!quiet)
      llvm::errs() << "sparsec compile: [" << ++step << "/" << total << "] "
                   << what << " ... ";
  }
  void end(const llvm::Twine &detail = "") {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (!quiet)
      llvm::errs() << llvm::format("%.2f s", seconds)
                   << (detail.isTriviallyEmpty() ? "" : ", ") << detail << "\n";
  }

private:
  bool quiet;
  int total, step = 0;
  std::chrono::steady_clock::time_point start;
};

/// Runs a pass pipeline, turning diagnostics into one error line.
llvm::Error runPipeline(ModuleOp module,
                        function_ref<void(OpPassManager &)> build,
                        llvm::StringRef what) {
  std::string firstError;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && firstError.empty()) {
      llvm::raw_string_ostream os(firstError);
      os << diag.getLocation() << ": " << diag;
    }
    return success();
  });
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  build(pm);
  if (failed(pm.run(module)))
    return inputError(what + " failed: " + firstError);
  return llvm::Error::success();
}

/// "8 fused FFNs: layers 0-1 dense, 2-7 predicted" (an MoE layer whose
/// experts differ reads "3 (experts predicted/dense)").
std::string describeModes(ModuleOp module) {
  std::map<int64_t, std::vector<std::string>> byLayer;
  int64_t fused = 0;
  module.walk([&](sfn::FusedSparseFFNOp ffn) {
    ++fused;
    int64_t layer = ffn.getLayer() ? static_cast<int64_t>(*ffn.getLayer()) : -1;
    std::vector<std::string> &modes = byLayer[layer];
    std::string mode = stringifySparseMode(ffn.getMode()).str();
    if (!llvm::is_contained(modes, mode))
      modes.push_back(mode);
  });
  std::string text = std::to_string(fused) + " fused FFNs";
  // Runs of consecutive layers with the same modes.
  std::string separator = ": layers ";
  for (auto it = byLayer.begin(); it != byLayer.end();) {
    auto end = std::next(it);
    while (end != byLayer.end() && end->first == std::prev(end)->first + 1 &&
           end->second == it->second)
      ++end;
    int64_t first = it->first, last = std::prev(end)->first;
    text += separator + (first < 0 ? std::string("?") : std::to_string(first));
    if (last != first)
      text += "-" + std::to_string(last);
    text += " " + llvm::join(it->second, "/");
    separator = ", ";
    it = end;
  }
  return text;
}

/// Adds the textual pipeline `passes` (a --passes-* flag) to `pm`.
llvm::Error addExtraPasses(OpPassManager &pm, llvm::StringRef flag,
                           llvm::StringRef passes) {
  if (passes.empty())
    return llvm::Error::success();
  std::string message;
  llvm::raw_string_ostream os(message);
  if (failed(parsePassPipeline(passes, pm, os)))
    return inputError("--" + flag + " '" + passes +
                      "': " + llvm::StringRef(message).trim() +
                      " (see sparsec-opt --help for the passes)");
  return llvm::Error::success();
}

/// The safetensors dtype of a packed weight: quantized rows are bytes.
std::string dtypeName(Type type) {
  if (type.isF32())
    return "F32";
  if (type.isF16())
    return "F16";
  if (isa<llm::QuantType>(type))
    return "U8";
  return "BF16";
}

int64_t bytesOf(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  return getStorageBytes(type);
}

/// The manifest runtime/formats/src/manifest.cpp reads: the keys of
/// sparsec/manifest_schema.h.
llvm::json::Object buildManifest(ModuleOp module, const WeightSlots &slots,
                                 const TargetSpec &target,
                                 const CompileOptions &options,
                                 llvm::StringRef name, llvm::StringRef hash,
                                 llvm::StringRef architecture) {
  func::FuncOp step = DecodeStep::find(module);
  llm::KVCacheType cache = DecodeStep(step).getCacheType();
  int64_t vocab = DecodeStep(step).getVocabSize();
  int64_t hidden = 0;
  step.walk([&](llm::EmbedOp embed) {
    hidden = cast<RankedTensorType>(embed.getType()).getDimSize(0);
  });
  int64_t cacheBytes = int64_t(cache.getNumLayers()) * 2 * cache.getNumSlots() *
                       cache.getNumKvHeads() * cache.getHeadDim() *
                       getElementStorageBytes(cache.getElementType());

  llvm::json::Array tensors;
  for (const WeightSlot &slot : slots.slots) {
    llvm::json::Array shape;
    for (int64_t dim : getStorageShape(slot.type))
      shape.push_back(dim);
    tensors.push_back(llvm::json::Object{
        {SPARSEC_MANIFEST_TENSOR_KEY_NAME, slot.key},
        {SPARSEC_MANIFEST_TENSOR_KEY_DTYPE,
         dtypeName(slot.type.getElementType())},
        {SPARSEC_MANIFEST_TENSOR_KEY_SHAPE, std::move(shape)},
        {SPARSEC_MANIFEST_TENSOR_KEY_OFFSET, slot.offset},
        {SPARSEC_MANIFEST_TENSOR_KEY_NBYTES, slot.nbytes}});
  }

  // FFNs by stats slot (sparsec-plan-buffers), the order the step counts.
  SmallVector<sfn::FusedSparseFFNOp> bySlot;
  module.walk([&](sfn::FusedSparseFFNOp ffn) { bySlot.push_back(ffn); });
  auto slotOf = [](sfn::FusedSparseFFNOp ffn) {
    return ffn->getAttrOfType<IntegerAttr>(kStatsSlotAttrName).getInt();
  };
  llvm::stable_sort(bySlot,
                    [&](sfn::FusedSparseFFNOp a, sfn::FusedSparseFFNOp b) {
                      return slotOf(a) < slotOf(b);
                    });
  llvm::json::Array ffns;
  llvm::DenseSet<Value> ffnWeights;
  for (sfn::FusedSparseFFNOp ffn : bySlot) {
    int64_t layer = ffn.getLayer() ? static_cast<int64_t>(*ffn.getLayer()) : -1;
    int64_t expert = ffn.getExpert() ? static_cast<int64_t>(*ffn.getExpert())
                                     : SPARSEC_MANIFEST_FFN_NO_EXPERT;
    auto gate = cast<RankedTensorType>(ffn.getGate().getType());
    int64_t rowBytes =
        getRowStorageBytes(gate.getElementType(), gate.getDimSize(1));
    int64_t fixed = 0, row = 0;
    switch (ffn.getMode()) {
    case sfn::SparseMode::Dense:
      fixed = 3 * bytesOf(ffn.getGate());
      break;
    case sfn::SparseMode::Predicted:
      fixed = bytesOf(ffn.getPredictorFc1()) + bytesOf(ffn.getPredictorFc2());
      row = 3 * rowBytes;
      break;
    case sfn::SparseMode::Exact:
    case sfn::SparseMode::Threshold:
      fixed = bytesOf(ffn.getGate());
      row = 2 * rowBytes;
      break;
    }
    for (Value v : ffn->getOperands())
      if (Operation *def = v.getDefiningOp())
        for (Value w : def->getOperands())
          ffnWeights.insert(w); // bundle behind a bundle_part
    for (Value v : ffn->getOperands())
      ffnWeights.insert(v);
    // The sfn modes' names are SPARSEC_MANIFEST_FFN_MODE_*.
    ffns.push_back(llvm::json::Object{
        {SPARSEC_MANIFEST_FFN_KEY_LAYER, layer},
        {SPARSEC_MANIFEST_FFN_KEY_EXPERT, expert},
        {SPARSEC_MANIFEST_FFN_KEY_NEURONS, gate.getDimSize(0)},
        {SPARSEC_MANIFEST_FFN_KEY_MODE, stringifySparseMode(ffn.getMode())},
        {SPARSEC_MANIFEST_FFN_KEY_FIXED_BYTES, fixed},
        {SPARSEC_MANIFEST_FFN_KEY_ROW_BYTES, row}});
  }

  // Everything else a token reads: attention, norms, router, LM head, and
  // one row of the embedding table (all of it when the LM head is tied).
  int64_t other = 0;
  llvm::DenseSet<Operation *> counted;
  module.walk([&](Operation *op) {
    if (!isa<llm::ParamOp, sfn::BundleParamOp>(op) ||
        ffnWeights.contains(op->getResult(0)))
      return;
    const WeightSlot *slot = slots.lookup(op);
    if (!slot || !counted.insert(slot->definingOp).second)
      return;
    bool embedOnly =
        llvm::all_of(op->getResult(0).getUsers(),
                     [](Operation *u) { return isa<llm::EmbedOp>(u); });
    other += embedOnly ? slot->nbytes / slot->type.getDimSize(0) : slot->nbytes;
  });

  return llvm::json::Object{
      {SPARSEC_MANIFEST_KEY_FORMAT, SPARSEC_MANIFEST_FORMAT},
      {SPARSEC_MANIFEST_KEY_ABI_VERSION, SPARSEC_KERNEL_ABI_VERSION},
      {SPARSEC_MANIFEST_KEY_LAYOUT_VERSION, SPARSEC_WEIGHTS_LAYOUT_VERSION},
      {SPARSEC_MANIFEST_KEY_MODEL_NAME, name},
      {SPARSEC_MANIFEST_KEY_ARCHITECTURE, architecture},
      {SPARSEC_MANIFEST_KEY_TARGET, target.describe()},
      {SPARSEC_MANIFEST_KEY_SOURCE_HASH, hash},
      {SPARSEC_MANIFEST_KEY_WEIGHTS_FILE, SPARSEC_MANIFEST_WEIGHTS_FILE_NAME},
      {SPARSEC_MANIFEST_KEY_VOCAB_SIZE, vocab},
      {SPARSEC_MANIFEST_KEY_HIDDEN_SIZE, hidden},
      {SPARSEC_MANIFEST_KEY_NUM_LAYERS, int64_t(cache.getNumLayers())},
      {SPARSEC_MANIFEST_KEY_MAX_LEN, int64_t(cache.getMaxLen())},
      {SPARSEC_MANIFEST_KEY_KV_CACHE_BYTES, cacheBytes},
      {SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS, int64_t(cache.getNumSlots())},
      {SPARSEC_MANIFEST_KEY_OTHER_BYTES_PER_TOKEN, other},
      {SPARSEC_MANIFEST_KEY_TENSORS, std::move(tensors)},
      {SPARSEC_MANIFEST_KEY_FFNS, std::move(ffns)},
      {SPARSEC_MANIFEST_KEY_TOKENIZER,
       llvm::json::Object{{SPARSEC_MANIFEST_TOKENIZER_KEY_TYPE,
                           SPARSEC_MANIFEST_TOKENIZER_BYTE}}},
  };
}

/// Exports what the step is compiled for (kernel_abi.h, sparsec_step_info),
/// taken from the manifest as the runtime will read it, so that the
/// executable refuses any other model's files.
llvm::Error embedStepInfo(ModuleOp module, const llvm::json::Object &manifest) {
  std::string text;
  llvm::raw_string_ostream(text)
      << llvm::json::Value(llvm::json::Object(manifest));
  ::sparsec::StatusOr<::sparsec::Manifest> parsed =
      ::sparsec::Manifest::parse(text, "manifest.json");
  if (!parsed.isOk())
    return inputError("internal error: the manifest sparsec wrote does not "
                      "parse: " +
                      parsed.status().message());
  ::sparsec::StepInfo info = ::sparsec::stepInfoOf(*parsed);
  OpBuilder builder(module.getContext());
  builder.setInsertionPointToEnd(module.getBody());
  Type i64 = builder.getI64Type();
  auto values = DenseIntElementsAttr::get(
      RankedTensorType::get({SPARSEC_STEP_INFO_SIZE}, i64),
      llvm::ArrayRef<int64_t>(info.data(), info.size()));
  LLVM::GlobalOp::create(builder, module.getLoc(),
                         LLVM::LLVMArrayType::get(i64, SPARSEC_STEP_INFO_SIZE),
                         /*isConstant=*/true, LLVM::Linkage::External,
                         SPARSEC_STEP_INFO_SYMBOL, values);
  return llvm::Error::success();
}

/// Present in every output folder: a folder holding it may be replaced.
constexpr const char *kOutputMarker = ".sparsec-output";

/// The executable's name: the checkpoint folder's or GGUF file's, unless
/// that is empty or one of the other files of OUT/.
std::string executableName(llvm::StringRef modelPath) {
  std::string name = llvm::sys::path::filename(modelPath.rtrim('/')).str();
  if (llvm::StringRef(name).ends_with_insensitive(".gguf"))
    name = name.substr(0, name.size() - 5);
  // An ONNX file is named after its folder when it is the folder's
  // model.onnx (exporters' name for it), else after itself.
  if (llvm::StringRef(name).ends_with_insensitive(".onnx")) {
    name =
        name == "model.onnx"
            ? llvm::sys::path::filename(llvm::sys::path::parent_path(modelPath))
                  .str()
            : name.substr(0, name.size() - 5);
  }
  static const char *const kTaken[] = {
      "", ".", "..", "weights.safetensors", "manifest.json", "tokenizer.json"};
  for (const char *taken : kTaken)
    if (name == taken)
      return "model";
  return name;
}

/// Compiles into `stageDir`; messages name files as they will be in
/// `shownDir` once the stage is moved there.
llvm::Expected<std::string> compileInto(const CompileOptions &options,
                                        const TargetSpec &targetSpec,
                                        llvm::StringRef stageDir,
                                        llvm::StringRef shownDir) {
  const TargetSpec *target = &targetSpec;
  std::string name = executableName(options.modelDir);
  auto out = [&](llvm::StringRef file) {
    llvm::SmallString<256> path(stageDir);
    llvm::sys::path::append(path, file);
    return std::string(path);
  };
  auto shown = [&](llvm::StringRef file) {
    llvm::SmallString<256> path(shownDir);
    llvm::sys::path::append(path, llvm::sys::path::filename(file));
    return std::string(path);
  };
  int steps = options.emit == EmitKind::Executable ? 7
              : options.emit == EmitKind::Mlir     ? 2
                                                   : 4;
  Progress progress(options.quiet, steps);

  DialectRegistry registry;
  registerAllDialects(registry);
  static const bool passesRegistered = (registerAllPasses(), true);
  (void)passesRegistered;
  MLIRContext context(registry);

  progress.begin("import " + options.modelDir);
  ImportOptions importOptions;
  importOptions.predictorDir = options.predictorDir;
  importOptions.maxSeqLen = options.maxSeqLen;
  auto opened = openModel(options.modelDir, importOptions);
  if (!opened)
    return opened.takeError();
  auto module = importModel(context, *opened, importOptions);
  if (!module)
    return module.takeError();
  std::string architecture = opened->config.architecture;
  // Read now, written with the manifest: a tokenizer sparsec cannot use is
  // refused before any code is generated.
  auto tokenizer = exportTokenizer(*opened);
  if (!tokenizer)
    return tokenizer.takeError();
  progress.end(opened->format == ModelFormat::GGUF   ? "GGUF"
               : opened->format == ModelFormat::ONNX ? "ONNX"
                                                     : "");

  SparsifyPipelineOptions sparse;
  if (options.recordActivations) {
    if (options.mode != "auto" && options.mode != "dense")
      return inputError("--record-activations runs every FFN dense; it "
                        "does not take --mode " +
                        options.mode);
    if (target->isCUDA())
      return inputError("--record-activations is for CPU targets");
    (**module)->setAttr(kRecordActivationsAttrName,
                        UnitAttr::get((**module)->getContext()));
  }
  // Calibration statistics decide the modes only when the user did not:
  // an explicit --mode applies to every layer (--layers still refines it).
  std::string stats = options.stats;
  if (stats.empty() && options.mode == "auto" &&
      llvm::sys::fs::exists(options.modelDir + "/synth_report.json"))
    stats = options.modelDir + "/synth_report.json";
  if (options.mode != "auto" || options.recordActivations)
    stats.clear();
  sparse.stats = stats;
  sparse.defaultMode = options.recordActivations ? "dense" : options.mode;
  sparse.layerModes = options.layers;
  sparse.activationThreshold = options.activationThreshold;
  // --mode governs the experts of an MoE block too, unless --expert-mode
  // says otherwise (threshold mode has no expert form: they stay auto).
  std::string expertMode = options.expertMode;
  if (options.recordActivations)
    expertMode = "dense";
  if (expertMode.empty())
    expertMode = llvm::is_contained({"dense", "exact", "predicted"},
                                    llvm::StringRef(options.mode))
                     ? options.mode
                     : "auto";
  sparse.expertMode = expertMode;
  sparse.quant = options.quant;
  sparse.quantKeep = options.quantKeep;
  progress.begin(
      "sparse pipeline (mode " + options.mode +
      (expertMode != options.mode ? ", experts " + expertMode : std::string()) +
      (options.quant.empty() ? std::string() : ", quant " + options.quant) +
      (stats.empty() ? std::string() : ", stats " + stats) + ")");
  // Extra passes are parsed first so that a typo is one clear error.
  {
    OpPassManager check(ModuleOp::getOperationName());
    if (llvm::Error err = addExtraPasses(check, "passes-before-sparsify",
                                         options.passesBeforeSparsify))
      return std::move(err);
    if (llvm::Error err = addExtraPasses(check, "passes-after-sparsify",
                                         options.passesAfterSparsify))
      return std::move(err);
  }
  if (llvm::Error err = runPipeline(
          **module,
          [&](OpPassManager &pm) {
            llvm::consumeError(addExtraPasses(pm, "passes-before-sparsify",
                                              options.passesBeforeSparsify));
            buildSparsifyPipeline(pm, sparse);
            llvm::consumeError(addExtraPasses(pm, "passes-after-sparsify",
                                              options.passesAfterSparsify));
          },
          "sparse pipeline"))
    return std::move(err);
  progress.end(describeModes(**module));
  if (options.emit == EmitKind::Mlir) {
    std::string path = out(name + ".mlir");
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec)
      return inputError(path + ": cannot write: " + ec.message());
    (*module)->print(os);
    return path;
  }

  // Weight offsets and stats slots, recorded on the IR for the manifest,
  // the packer and the backend alike.
  if (llvm::Error err = runPipeline(
          **module,
          [&](OpPassManager &pm) { pm.addPass(createPlanBuffersPass()); },
          "buffer planning"))
    return std::move(err);
  WeightSlots slots = assignWeightSlots(**module);
  auto hash = opened->weights->hash();
  if (!hash)
    return hash.takeError();
  llvm::json::Object manifest = buildManifest(**module, slots, *target, options,
                                              name, *hash, architecture);
  OwningOpRef<ModuleOp> sparseModule = (*module)->clone();

  const TargetBackend &backend = getTargetBackend(*target);
  progress.begin("lower to LLVM for " + target->describe());
  if (llvm::Error err = runPipeline(
          **module,
          [&](OpPassManager &pm) { backend.buildCodegenPipeline(pm, *target); },
          "lowering"))
    return std::move(err);
  if (auto scratch =
          (**module)->getAttrOfType<IntegerAttr>(kScratchBytesAttrName))
    manifest[SPARSEC_MANIFEST_KEY_SCRATCH_BYTES] = scratch.getInt();
  if (auto block =
          (**module)->getAttrOfType<IntegerAttr>(kPrefillBlockAttrName))
    manifest[SPARSEC_MANIFEST_KEY_PREFILL_BLOCK] = block.getInt();
  if (auto names = (**module)->getAttrOfType<ArrayAttr>(kKernelNamesAttrName)) {
    llvm::json::Array kernels;
    for (StringAttr name : names.getAsRange<StringAttr>())
      kernels.push_back(name.getValue());
    manifest[SPARSEC_MANIFEST_KEY_KERNELS] = std::move(kernels);
  }
  if (auto records = (**module)->getAttrOfType<ArrayAttr>(kRecordsAttrName)) {
    llvm::json::Array entries;
    for (auto record : records.getAsRange<DictionaryAttr>())
      entries.push_back(
          llvm::json::Object{{SPARSEC_MANIFEST_RECORD_KEY_FFN,
                              record.getAs<IntegerAttr>("slot").getInt()},
                             {SPARSEC_MANIFEST_RECORD_KEY_KIND,
                              record.getAs<StringAttr>("kind").getValue()},
                             {SPARSEC_MANIFEST_RECORD_KEY_OFFSET,
                              record.getAs<IntegerAttr>("offset").getInt()},
                             {SPARSEC_MANIFEST_RECORD_KEY_COUNT,
                              record.getAs<IntegerAttr>("count").getInt()}});
    manifest[SPARSEC_MANIFEST_KEY_RECORDS] = std::move(entries);
  }
  if (llvm::Error err = embedStepInfo(**module, manifest))
    return std::move(err);
  progress.end();

  bool emitIR = options.emit == EmitKind::LLVMIR;
  std::string objectPath = out(name + (emitIR ? ".ll" : ".o"));
  progress.begin(emitIR ? "LLVM IR" : "object code");
  if (llvm::Error err =
          backend.emitObject(**module, *target, objectPath, emitIR))
    return std::move(err);
  progress.end(shown(objectPath));
  if (options.emit != EmitKind::Executable)
    return objectPath;

  progress.begin("pack weights");
  auto packed =
      packWeights(*sparseModule, *opened->weights, out("weights.safetensors"));
  if (!packed)
    return packed.takeError();
  progress.end(
      llvm::formatv(
          "{0} tensors, {1:F1} MiB read{2}{3}", packed->numTensors,
          packed->numBytes / 1048576.0,
          packed->converted.empty() ? std::string()
                                    : (opened->format == ModelFormat::ONNX
                                           ? " (converted: "
                                           : " (dequantized to f16: ") +
                                          packed->converted + ")",
          packed->numQuantized == 0
              ? std::string()
              : llvm::formatv(", {0}{1}", quantizedSummary(*packed),
                              packed->numAsStored == 0
                                  ? std::string()
                                  : llvm::formatv(" ({0} with the file's "
                                                  "blocks as stored)",
                                                  packed->numAsStored)
                                        .str())
                    .str())
          .str());

  progress.begin("tokenizer and manifest");
  std::string tokenizerNote = "byte tokenizer";
  if (!tokenizer->tokenizerJson.empty()) {
    std::error_code ec;
    llvm::raw_fd_ostream os(out("tokenizer.json"), ec);
    if (ec)
      return inputError(out("tokenizer.json") +
                        ": cannot write: " + ec.message());
    os << tokenizer->tokenizerJson;
    llvm::json::Object section{
        {SPARSEC_MANIFEST_TOKENIZER_KEY_TYPE, SPARSEC_MANIFEST_TOKENIZER_HF},
        {SPARSEC_MANIFEST_TOKENIZER_KEY_FILE, "tokenizer.json"}};
    if (tokenizer->bosId)
      section[SPARSEC_MANIFEST_TOKENIZER_KEY_BOS_ID] = *tokenizer->bosId;
    llvm::json::Array eos;
    for (int64_t id : tokenizer->eosIds)
      eos.push_back(id);
    section[SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS] = std::move(eos);
    if (!tokenizer->chatTemplate.empty())
      section[SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_TEMPLATE] =
          tokenizer->chatTemplate;
    if (!tokenizer->defaultSystem.empty())
      section[SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_DEFAULT_SYSTEM] =
          tokenizer->defaultSystem;
    manifest[SPARSEC_MANIFEST_KEY_TOKENIZER] = std::move(section);
    tokenizerNote = "tokenizer from " + tokenizer->description +
                    (tokenizer->chatTemplate.empty()
                         ? std::string()
                         : ", chat format " + tokenizer->chatTemplate);
  }
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(out("manifest.json"), ec);
    if (ec)
      return inputError(out("manifest.json") +
                        ": cannot write: " + ec.message());
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest)))
       << "\n";
  }
  // An accuracy report of an earlier compile into OUT is not this model's.
  llvm::sys::fs::remove(out("report.json"));
  llvm::sys::fs::remove(out("report.html"));
  if (!options.calibrationFile.empty())
    if (std::error_code ec = llvm::sys::fs::copy_file(options.calibrationFile,
                                                      out("calibration.json")))
      return inputError(out("calibration.json") +
                        ": cannot write: " + ec.message());
  progress.end(tokenizerNote);
  if (!tokenizer->chatTemplateNote.empty() && !options.quiet)
    llvm::errs() << "sparsec compile: note: " << tokenizer->chatTemplateNote
                 << "\n";

  std::string exe = out(name);
  progress.begin("link " + shown(exe));
  if (llvm::Error err = backend.link(*target, objectPath, exe))
    return std::move(err);
  progress.end();
  return exe;
}

} // namespace

llvm::Expected<std::string>
mlir::sparsec::compileModel(const CompileOptions &options) {
  auto target = resolveTarget(options.target, options.cpu, options.gpu);
  if (!target)
    return target.takeError();
  if (options.prefillBlock < 0 ||
      options.prefillBlock > ::sparsec::limits::kMaxPrefillBlock)
    return llvm::createStringError(
        "--prefill-block must be between 0 and " +
        std::to_string(::sparsec::limits::kMaxPrefillBlock) + ", got " +
        std::to_string(options.prefillBlock));
  if (!target->isCUDA())
    target->prefillBlock = options.prefillBlock;
  // Everything is written to a stage folder beside OUT/ and moved into place
  // only when the whole output exists: a failed compile leaves no new file
  // and never an executable beside another compile's weights.
  llvm::StringRef outDir = llvm::StringRef(options.outDir).rtrim('/');
  if (outDir.empty())
    outDir = "/";
  if (llvm::sys::fs::exists(outDir)) {
    if (!llvm::sys::fs::is_directory(outDir))
      return inputError(outDir + ": exists and is not a directory");
    llvm::SmallString<256> marker(outDir), manifest(outDir);
    llvm::sys::path::append(marker, kOutputMarker);
    llvm::sys::path::append(manifest, "manifest.json");
    std::error_code ec;
    bool empty = llvm::sys::fs::directory_iterator(outDir, ec) ==
                 llvm::sys::fs::directory_iterator();
    if (!empty && !llvm::sys::fs::exists(marker) &&
        !llvm::sys::fs::exists(manifest))
      return inputError(outDir + ": exists and is not a sparsec output folder "
                                 "(no manifest.json); choose another -o");
  }
  llvm::StringRef parent = llvm::sys::path::parent_path(outDir);
  if (!parent.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(parent))
      return inputError(parent + ": cannot create: " + ec.message());
  std::string suffix = "." + std::to_string(llvm::sys::Process::getProcessId());
  std::string stage = (outDir + ".sparsec-partial" + suffix).str();
  llvm::sys::fs::remove_directories(stage);
  if (std::error_code ec = llvm::sys::fs::create_directory(stage))
    return inputError(stage + ": cannot create: " + ec.message());
  {
    // Marks the folder as sparsec's to replace on the next compile.
    llvm::SmallString<256> marker(stage);
    llvm::sys::path::append(marker, kOutputMarker);
    std::error_code ec;
    llvm::raw_fd_ostream(marker, ec)
        << "written by sparsec compile; the folder is replaced whole by the "
           "next compile into it\n";
  }

  llvm::Expected<std::string> produced =
      compileInto(options, *target, stage, outDir);
  if (!produced) {
    llvm::sys::fs::remove_directories(stage);
    return produced.takeError();
  }
  std::string old;
  if (llvm::sys::fs::exists(outDir)) {
    old = (outDir + ".sparsec-old" + suffix).str();
    llvm::sys::fs::remove_directories(old);
    if (std::error_code ec = llvm::sys::fs::rename(outDir, old)) {
      llvm::sys::fs::remove_directories(stage);
      return inputError(outDir + ": cannot replace: " + ec.message());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(stage, outDir)) {
    if (!old.empty())
      llvm::sys::fs::rename(old, outDir);
    llvm::sys::fs::remove_directories(stage);
    return inputError(outDir +
                      ": cannot move the output into place: " + ec.message());
  }
  if (!old.empty())
    llvm::sys::fs::remove_directories(old);
  llvm::SmallString<256> result(outDir);
  llvm::sys::path::append(result, llvm::sys::path::filename(*produced));
  return std::string(result);
}
