//===- SparsecMain.cpp - the sparsec command-line driver --------*- C++ -*-===//
//
// `sparsec import MODEL_DIR [-o model.mlir]`: Hugging Face checkpoint to llm
// IR. Errors are one line on stderr ("sparsec: error: ..."), the exit code is
// non-zero, and the output file is only created once the import succeeded.
//
//===----------------------------------------------------------------------===//

#include "compiler/Driver/SparsecMain.h"

#include "compiler/Importer/HuggingFace/HFImporter.h"
#include "compiler/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace llvm;

namespace {

cl::OptionCategory sparsecCategory("sparsec options");

cl::SubCommand importCommand(
    "import", "Import a Hugging Face checkpoint directory as llm IR (one "
              "decode step; see docs/decode-step.md)");

cl::opt<std::string> importModelDir(cl::Positional, cl::Required,
                                    cl::desc("<model dir>"),
                                    cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<std::string> importOutput("o", cl::init("-"),
                                  cl::desc("Output file (default: stdout)"),
                                  cl::value_desc("file"),
                                  cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<std::string> importPredictorDir(
    "predictor-dir", cl::init(""),
    cl::desc("Directory with predictor tensors (model.layers.N.mlp.predictor."
             "fc1/fc2.weight ...) when they are not in the checkpoint"),
    cl::value_desc("dir"), cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<int64_t> importMaxSeqLen(
    "max-seq-len", cl::init(0),
    cl::desc("KV cache length (default: max_position_embeddings)"),
    cl::sub(importCommand), cl::cat(sparsecCategory));
cl::opt<bool> importLocations(
    "print-locations", cl::init(false),
    cl::desc("Print each op's location (its Hugging Face module path)"),
    cl::sub(importCommand), cl::cat(sparsecCategory));

int fail(const Twine &message) {
  WithColor::error(errs(), "sparsec") << message << "\n";
  return 1;
}

int runImport() {
  DialectRegistry registry;
  sparsec::registerAllDialects(registry);
  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);

  sparsec::hf::ImportOptions options;
  options.predictorDir = importPredictorDir;
  options.maxSeqLen = importMaxSeqLen;
  if (importMaxSeqLen < 0)
    return fail("--max-seq-len must be positive, got " +
                Twine(importMaxSeqLen.getValue()));
  auto module =
      sparsec::hf::importHuggingFaceModel(context, importModelDir, options);
  if (!module)
    return fail(toString(module.takeError()));

  std::error_code ec;
  auto output = std::make_unique<ToolOutputFile>(importOutput, ec,
                                                 sys::fs::OF_None);
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

} // namespace

int sparsec::sparsecMain(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(sparsecCategory);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "sparsec: compiler for activation-sparse LLMs\n\n"
          "  sparsec import MODEL_DIR [-o model.mlir]\n",
          &errs()))
    return 1;
  if (importCommand)
    return runImport();
  cl::PrintHelpMessage();
  return 1;
}
