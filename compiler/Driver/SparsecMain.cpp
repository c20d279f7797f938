//===- SparsecMain.cpp - the sparsec command-line driver --------*- C++ -*-===//
//
// `sparsec import MODEL_DIR [-o model.mlir]`: Hugging Face checkpoint to llm
// IR. Errors are one line on stderr ("sparsec: error: ..."), the exit code is
// non-zero, and the output file is only created once the import succeeded.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/SparsecMain.h"

#include "compiler/Driver/CalibrateModel.h"
#include "compiler/Driver/CompileModel.h"
#include "compiler/Driver/EvalModel.h"
#include "compiler/Importer/Importer.h"
#include "compiler/InitAll.h"
#include "compiler/Packer/WeightPacker.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <cstdio>

using namespace mlir;
using namespace llvm;

namespace {

cl::OptionCategory sparsecCategory("sparsec options");

cl::SubCommand importCommand(
    "import", "Import a Hugging Face checkpoint directory, a GGUF file or an "
              "ONNX model "
              "as llm IR (one decode step; see docs/decode-step.md)");

cl::opt<std::string>
    importModelDir(cl::Positional, cl::Required,
                   cl::desc("<model dir | model.gguf | model.onnx>"),
                   cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<std::string> importOutput("o", cl::init("-"),
                                  cl::desc("Output file (default: stdout)"),
                                  cl::value_desc("file"),
                                  cl::sub(importCommand),
                                  cl::cat(sparsecCategory));
cl::opt<std::string> importPredictorDir(
    "predictor-dir", cl::init(""),
    cl::desc("Directory with predictor tensors (model.layers.N.mlp.predictor."
             "fc1/fc2.weight ...) when they are not in the checkpoint"),
    cl::value_desc("dir"), cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> importMaxSeqLen(
    "max-seq-len", cl::init(0),
    cl::desc("Context length (default: the model's max_position_embeddings "
             "/ context_length)"),
    cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<bool> importONNXGraph(
    "onnx-graph", cl::init(false),
    cl::desc("For an ONNX model: print the graph as `onnx` dialect IR, "
             "before sparsec-convert-onnx-to-llm (the input of its lit "
             "tests)"),
    cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<bool> importLocations(
    "print-locations", cl::init(false),
    cl::desc("Print each op's location (its Hugging Face module path)"),
    cl::sub(importCommand), cl::cat(sparsecCategory));

cl::SubCommand packCommand(
    "pack", "Write the packed weights file a (sparsified) module reads, from "
            "the checkpoint it was imported from");
cl::opt<std::string>
    packModelDir(cl::Positional, cl::Required,
                 cl::desc("<model dir | model.gguf | model.onnx>"),
                 cl::sub(packCommand));
cl::opt<std::string> packInput(cl::Positional, cl::Required,
                               cl::desc("<module.mlir>"), cl::sub(packCommand));
cl::opt<std::string> packOutput("o", cl::Required,
                                cl::desc("Packed weights file to write"),
                                cl::value_desc("weights.safetensors"),
                                cl::sub(packCommand), cl::cat(sparsecCategory));
cl::opt<std::string> packPredictorDir(
    "predictor-dir", cl::init(""),
    cl::desc("Directory with predictor tensors, as for import"),
    cl::value_desc("dir"), cl::sub(packCommand), cl::cat(sparsecCategory));

cl::SubCommand
    compileCommand("compile",
                   "Compile a Hugging Face checkpoint, a GGUF file or an ONNX "
                   "model into a "
                   "decode executable: OUT/<name>, OUT/weights.safetensors, "
                   "OUT/manifest.json (and OUT/tokenizer.json for real "
                   "tokenizers)");
cl::opt<std::string>
    compileModelDir(cl::Positional, cl::Required,
                    cl::desc("<model dir | model.gguf | model.onnx>"),
                    cl::sub(compileCommand));
cl::opt<std::string> compileOut("o", cl::Required, cl::desc("Output folder"),
                                cl::value_desc("OUT"), cl::sub(compileCommand),
                                cl::cat(sparsecCategory));
cl::opt<std::string>
    compileTarget("target", cl::init("host"),
                  cl::desc("host, x86-64, x86-64-avx2, x86-64-avx512, "
                           "x86-64-avx512-vnni, aarch64, aarch64-dotprod or "
                           "cuda"),
                  cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string>
    compileCpu("cpu", cl::init(""),
               cl::desc("LLVM CPU name (default: the target's)"),
               cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string>
    compileGpu("gpu", cl::init(""),
               cl::desc("With --target cuda: the GPU architecture, sm_80 "
                        "(default), sm_86, sm_89, sm_90 or sm_100"),
               cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileMode(
    "mode", cl::init("auto"),
    cl::desc("Sparse mode of every FFN: auto, dense, exact, predicted, "
             "threshold"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string>
    compileLayers("layers", cl::init(""),
                  cl::desc("Per-layer modes, e.g. 0-3:dense,4-31:predicted"),
                  cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileActivationThreshold(
    "activation-threshold", cl::init(""),
    cl::desc("Threshold mode's t: one value or per layer (0-3:0.05)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string>
    compileExpertMode("expert-mode", cl::init(""),
                      cl::desc("MoE experts: auto, dense, exact, predicted "
                               "(default: --mode when it is one of these, "
                               "else auto)"),
                      cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileQuant(
    "quant", cl::init(""),
    cl::desc("Block-quantize the weights: q8_0, q4_0, q4_1, q4_k or q6_k "
             "(default: keep the checkpoint's f32/f16/bf16)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileQuantKeep(
    "quant-keep", cl::init("predictor"),
    cl::desc("With --quant, the weights left unquantized: a comma-separated "
             "list of embed, lm_head, predictor, or none"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compilePassesBefore(
    "passes-before-sparsify", cl::init(""),
    cl::desc("Extra passes on the imported module before the sparse "
             "pipeline, e.g. 'my-pass{opt=1},canonicalize'"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compilePassesAfter(
    "passes-after-sparsify", cl::init(""),
    cl::desc("Extra passes after the sparse pipeline, before buffer "
             "planning and codegen"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileStats(
    "stats", cl::init(""),
    cl::desc("Calibration statistics for the sparsity decision (default: "
             "MODEL_DIR/synth_report.json when present)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string>
    compilePredictorDir("predictor-dir", cl::init(""),
                        cl::desc("Predictor tensors' directory"),
                        cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> compileMaxSeqLen(
    "max-seq-len", cl::init(0),
    cl::desc("Context length (default: max_position_embeddings)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> compilePrefillBlock(
    "prefill-block", cl::init(64),
    cl::desc("Prompt tokens per call of the generated prefill step, which "
             "multiplies matrices over the block (0: none, the prompt runs "
             "token by token; CPU targets; with a sliding window, blocks "
             "that end within the window)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<mlir::sparsec::EmitKind> compileEmit(
    "emit", cl::init(mlir::sparsec::EmitKind::Executable),
    cl::desc("Stop early for inspection"),
    cl::values(clEnumValN(mlir::sparsec::EmitKind::Mlir, "mlir",
                          "the sparsified sfn IR (OUT/<name>.mlir)"),
               clEnumValN(mlir::sparsec::EmitKind::LLVMIR, "llvm",
                          "LLVM IR (OUT/<name>.ll)"),
               clEnumValN(mlir::sparsec::EmitKind::Object, "obj",
                          "the object file (OUT/<name>.o)"),
               clEnumValN(mlir::sparsec::EmitKind::Executable, "exe",
                          "the executable, weights and manifest (default)")),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<std::string> compileCalibration(
    "calibration", cl::init(""),
    cl::desc("sparsec calibrate's folder (default MODEL/calibration when it "
             "exists): threshold mode's thresholds, --mode auto's "
             "statistics"),
    cl::value_desc("DIR"), cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<double> compileTargetSparsity(
    "target-sparsity", cl::init(-1.0),
    cl::desc("With --mode threshold: which calibrated thresholds (default: "
             "the calibration's only target)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<bool> compileRecordActivations(
    "record-activations", cl::init(false),
    cl::desc("Run every FFN dense and keep each step's FFN inputs and "
             "activations for OUT/model --eval --record (what sparsec "
             "calibrate compiles)"),
    cl::sub(compileCommand), cl::cat(sparsecCategory));
cl::opt<bool> compileQuiet("quiet", cl::init(false),
                           cl::desc("No progress lines"),
                           cl::sub(compileCommand), cl::cat(sparsecCategory));

cl::SubCommand calibrateCommand(
    "calibrate",
    "Run the dense model over a text and record its FFN activations: "
    "density and hot neurons per layer, threshold mode's thresholds for "
    "target sparsities, and (--fit-predictors) low-rank predictors. Writes "
    "DIR/calibration.json (DIR: MODEL/calibration)");
cl::opt<std::string>
    calibrateModelDir(cl::Positional, cl::Required,
                      cl::desc("<model dir | model.gguf | model.onnx>"),
                      cl::sub(calibrateCommand));
cl::opt<std::string> calibrateData("data", cl::Required,
                                   cl::desc("The text to run (UTF-8)"),
                                   cl::value_desc("FILE.txt"),
                                   cl::sub(calibrateCommand),
                                   cl::cat(sparsecCategory));
cl::opt<std::string> calibrateOut(
    "o", cl::init(""), cl::desc("Output folder (default MODEL/calibration)"),
    cl::value_desc("DIR"), cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> calibrateTokens("tokens", cl::init(1024),
                                 cl::desc("Tokens to record (default 1024)"),
                                 cl::sub(calibrateCommand),
                                 cl::cat(sparsecCategory));
cl::opt<int64_t> calibrateContext(
    "context", cl::init(0),
    cl::desc("Positions per chunk (default: min(max_len, 512))"),
    cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> calibrateThreads("threads", cl::init(0),
                                  cl::desc("Threads (default: all)"),
                                  cl::sub(calibrateCommand),
                                  cl::cat(sparsecCategory));
cl::list<double> calibrateSparsity(
    "target-sparsity", cl::CommaSeparated,
    cl::desc("Target FFN sparsities of threshold mode (default 0.4,0.5)"),
    cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<bool>
    calibrateFit("fit-predictors", cl::init(false),
                 cl::desc("Fit low-rank predictors to the recorded activations "
                          "(ReLU/dReLU models); writes DIR/predictors/"),
                 cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> calibrateRank(
    "predictor-rank", cl::init(0),
    cl::desc("Rank of fitted predictors (default: the fitting tool's)"),
    cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<double> calibrateHeldOut(
    "held-out", cl::init(0.2),
    cl::desc("Fraction of the tokens kept out of the fit, for recall"),
    cl::sub(calibrateCommand), cl::cat(sparsecCategory));
cl::opt<bool> calibrateKeep("keep-records", cl::init(false),
                            cl::desc("Keep DIR/records and DIR/recorder"),
                            cl::sub(calibrateCommand),
                            cl::cat(sparsecCategory));
cl::opt<bool> calibrateQuiet("quiet", cl::init(false),
                             cl::desc("No progress lines"),
                             cl::sub(calibrateCommand),
                             cl::cat(sparsecCategory));

cl::SubCommand evalCommand(
    "eval", "Measure a compiled model's accuracy on a text: perplexity, and "
            "against a baseline (the dense model) KL divergence and top-1 "
            "agreement; FFN density per layer. Writes OUT/report.json and "
            "OUT/report.html");
cl::opt<std::string> evalOut(cl::Positional, cl::Required,
                             cl::desc("<OUT folder of sparsec compile>"),
                             cl::sub(evalCommand));
cl::opt<std::string> evalData("data", cl::Required,
                              cl::desc("The text to score (UTF-8)"),
                              cl::value_desc("FILE.txt"), cl::sub(evalCommand),
                              cl::cat(sparsecCategory));
cl::opt<std::string>
    evalBaseline("baseline", cl::init(""),
                 cl::desc("OUT folder of the model to compare with (usually "
                          "the same model compiled --mode dense)"),
                 cl::value_desc("OUT_DENSE"), cl::sub(evalCommand),
                 cl::cat(sparsecCategory));
cl::opt<int64_t> evalTokens("tokens", cl::init(1024),
                            cl::desc("Predictions to score (default 1024)"),
                            cl::sub(evalCommand), cl::cat(sparsecCategory));
cl::opt<int64_t>
    evalContext("context", cl::init(0),
                cl::desc("Positions per chunk (default: min(max_len, 512))"),
                cl::sub(evalCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> evalThreads("threads", cl::init(0),
                             cl::desc("Threads (default: all)"),
                             cl::sub(evalCommand), cl::cat(sparsecCategory));
cl::opt<std::string> evalReportDir(
    "o", cl::init(""), cl::desc("Folder for report.json/.html (default OUT)"),
    cl::value_desc("DIR"), cl::sub(evalCommand), cl::cat(sparsecCategory));
cl::opt<bool> evalQuiet("quiet", cl::init(false), cl::desc("No progress lines"),
                        cl::sub(evalCommand), cl::cat(sparsecCategory));

/// Prints one error line. Messages quote names and values from the files
/// they are about; control characters in them are escaped here, so that no
/// input can forge a second line or reach the terminal as an escape
/// sequence.
int fail(const Twine &message) {
  std::string text = message.str(), line;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      line += escaped;
    } else {
      line += static_cast<char>(c);
    }
  }
  WithColor::error(errs(), "sparsec") << line << "\n";
  return 1;
}

int runImport() {
  DialectRegistry registry;
  mlir::sparsec::registerAllDialects(registry);
  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);

  mlir::sparsec::ImportOptions options;
  options.predictorDir = importPredictorDir;
  options.maxSeqLen = importMaxSeqLen;
  if (importMaxSeqLen < 0)
    return fail("--max-seq-len must be positive, got " +
                Twine(importMaxSeqLen.getValue()));
  auto opened = mlir::sparsec::openModel(importModelDir, options);
  if (!opened)
    return fail(toString(opened.takeError()));
  if (importONNXGraph && !opened->onnx)
    return fail(importModelDir + ": --onnx-graph is for ONNX models");
  auto module = importONNXGraph
                    ? opened->onnx->toModule(context)
                    : mlir::sparsec::importModel(context, *opened, options);
  if (!module)
    return fail(toString(module.takeError()));

  std::error_code ec;
  auto output =
      std::make_unique<ToolOutputFile>(importOutput, ec, sys::fs::OF_None);
  if (ec)
    return fail(importOutput + ": cannot write: " + ec.message());
  OpPrintingFlags flags;
  if (importLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
  (*module)->print(output->os(), flags);
  output->os() << "\n";
  output->os().flush();
  if (output->os().has_error())
    return fail(importOutput + ": write failed");
  output->keep();
  return 0;
}

int runPack() {
  DialectRegistry registry;
  mlir::sparsec::registerAllDialects(registry);
  MLIRContext context(registry);
  std::string error;
  auto file = openInputFile(packInput, &error);
  if (!file)
    return fail(packInput + ": " + error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), SMLoc());
  std::string firstError;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (firstError.empty()) {
      llvm::raw_string_ostream os(firstError);
      os << diag.getLocation() << ": " << diag;
    }
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail(packInput + ": cannot parse: " + firstError);
  mlir::sparsec::ImportOptions options;
  options.predictorDir = packPredictorDir;
  auto opened = mlir::sparsec::openModel(packModelDir, options);
  if (!opened)
    return fail(toString(opened.takeError()));
  auto result =
      mlir::sparsec::packWeights(*module, *opened->weights, packOutput);
  if (!result)
    return fail(toString(result.takeError()));
  outs() << "sparsec pack: wrote " << packOutput << ": " << result->numTensors
         << " tensors, " << format("%.1f", result->numBytes / 1048576.0)
         << " MiB, source " << result->sourceHash << "\n";
  return 0;
}

int runCompile() {
  mlir::sparsec::CompileOptions options;
  options.modelDir = compileModelDir;
  options.outDir = compileOut;
  options.target = compileTarget;
  options.cpu = compileCpu;
  options.gpu = compileGpu;
  options.mode = compileMode;
  options.layers = compileLayers;
  options.activationThreshold = compileActivationThreshold;
  options.expertMode = compileExpertMode;
  options.quant = compileQuant;
  options.quantKeep = compileQuantKeep;
  options.stats = compileStats;
  options.passesBeforeSparsify = compilePassesBefore;
  options.passesAfterSparsify = compilePassesAfter;
  options.predictorDir = compilePredictorDir;
  options.maxSeqLen = compileMaxSeqLen;
  options.prefillBlock = compilePrefillBlock;
  options.emit = compileEmit;
  options.quiet = compileQuiet;
  options.recordActivations = compileRecordActivations;
  // The calibration (sparsec calibrate): thresholds for threshold mode,
  // statistics for auto, and calibration.json kept beside the executable.
  std::string calibration = compileCalibration;
  if (calibration.empty()) {
    std::string candidate =
        mlir::sparsec::defaultCalibrationDir(compileModelDir);
    if (sys::fs::exists(candidate + "/calibration.json"))
      calibration = candidate;
  } else if (!sys::fs::exists(calibration + "/calibration.json")) {
    return fail("--calibration " + calibration +
                ": no calibration.json (run sparsec calibrate)");
  }
  if (compileTargetSparsity.getNumOccurrences() && compileMode != "threshold")
    return fail("--target-sparsity chooses threshold mode's calibrated "
                "thresholds; it needs --mode threshold");
  if (!calibration.empty() && !compileRecordActivations) {
    options.calibrationFile = calibration + "/calibration.json";
    if (compileMode == "threshold" && compileActivationThreshold.empty()) {
      auto thresholds = mlir::sparsec::readCalibratedThresholds(
          calibration, compileTargetSparsity);
      if (!thresholds)
        return fail(toString(thresholds.takeError()));
      options.activationThreshold = *thresholds;
    }
    if (compileMode == "auto" && compileStats.empty())
      options.stats = options.calibrationFile;
  }
  if (compileMaxSeqLen < 0)
    return fail("--max-seq-len must be positive");
  if (!compileQuant.empty() &&
      !llvm::is_contained({"q8_0", "q4_0", "q4_1", "q4_k", "q6_k"},
                          compileQuant.getValue()))
    return fail("--quant '" + compileQuant +
                "': expected q8_0, q4_0, q4_1, q4_k or q6_k");
  auto result = mlir::sparsec::compileModel(options);
  if (!result)
    return fail(toString(result.takeError()));
  if (!compileQuiet)
    errs() << "sparsec compile: wrote " << *result << "\n";
  return 0;
}

int runCalibrate() {
  mlir::sparsec::CalibrateOptions options;
  options.modelDir = calibrateModelDir;
  options.outDir = calibrateOut;
  options.data = calibrateData;
  options.tokens = calibrateTokens;
  options.context = calibrateContext;
  options.threads = calibrateThreads;
  if (!calibrateSparsity.empty())
    options.targetSparsities.assign(calibrateSparsity.begin(),
                                    calibrateSparsity.end());
  options.fitPredictors = calibrateFit;
  options.predictorRank = calibrateRank;
  options.heldOut = calibrateHeldOut;
  options.keepRecords = calibrateKeep;
  options.quiet = calibrateQuiet;
  if (calibrateContext < 0 || calibrateThreads < 0 || calibrateRank < 0)
    return fail("--context, --threads and --predictor-rank must not be "
                "negative");
  auto result = mlir::sparsec::calibrateModel(options);
  if (!result)
    return fail(toString(result.takeError()));
  if (!calibrateQuiet)
    errs() << "sparsec calibrate: wrote " << *result << "\n";
  return 0;
}

int runEval() {
  mlir::sparsec::EvalOptions options;
  options.outDir = evalOut;
  options.baselineDir = evalBaseline;
  options.data = evalData;
  options.tokens = evalTokens;
  options.context = evalContext;
  options.threads = evalThreads;
  options.reportDir = evalReportDir;
  options.quiet = evalQuiet;
  if (evalContext < 0 || evalThreads < 0)
    return fail("--context and --threads must not be negative");
  auto result = mlir::sparsec::evalModel(options);
  if (!result)
    return fail(toString(result.takeError()));
  if (!evalQuiet)
    errs() << "sparsec eval: wrote " << *result << "\n";
  return 0;
}

} // namespace

int mlir::sparsec::sparsecMain(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(sparsecCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "sparsec: compiler for activation-sparse LLMs\n\n"
          "  sparsec import MODEL_DIR [-o model.mlir]\n"
          "  sparsec pack MODEL_DIR module.mlir -o weights.safetensors\n"
          "  sparsec compile MODEL_DIR [--target T] [--mode M] [--quant Q] "
          "-o OUT/\n"
          "  sparsec calibrate MODEL_DIR --data FILE.txt [-o DIR]\n"
          "  sparsec eval OUT/ --data FILE.txt [--baseline OUT_DENSE/]\n",
          &errs()))
    return 1;
  if (importCommand)
    return runImport();
  if (packCommand)
    return runPack();
  if (compileCommand)
    return runCompile();
  if (evalCommand)
    return runEval();
  if (calibrateCommand)
    return runCalibrate();
  cl::PrintHelpMessage();
  return 1;
}
