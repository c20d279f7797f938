//===- api.cpp - the sparsec runtime's C API --------------------*- C++ -*-===//
//
// Wraps Model, Tokenizer and Sampler behind include/sparsec/runtime.h. Every
// entry point catches whatever the C++ underneath might throw (allocation
// failure, in practice) and turns it into a status.
//
// The decode step is the compiler's generated object. Its two symbols are
// declared weak here, so that the runtime library (and its tests) link
// without one: an executable that lacks them gets a clear status from
// sparsec_session_create instead of a link error. The generated object must
// be linked as an object file (not from an archive: a weak reference does not
// pull an archive member in).
//
//===----------------------------------------------------------------------===//

#include "sparsec/runtime.h"

#include "api_testing.h"
#include "cuda/device_buffers.h"
#include "model/model.h"
#include "sampler/sampler.h"
#include "sparsec/formats/chat_template.h"
#include "sparsec/formats/limits.h"
#include "sparsec/formats/status.h"
#include "sparsec/formats/step_info.h"
#include "sparsec/formats/weights_hash.h"
#include "sparsec/kernel_abi.h"
#include "threading/thread_pool.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern "C" {
__attribute__((weak)) void _mlir_ciface_sparsec_decode_step(
    sparsec_memref1d *weights, sparsec_memref1d *kv_cache,
    sparsec_memref1d *logits, sparsec_memref1d *stats,
    sparsec_memref1d *scratch, int32_t token, int64_t pos);
__attribute__((weak)) void _mlir_ciface_sparsec_run_range(
    sparsec_memref1d *weights, sparsec_memref1d *kv_cache,
    sparsec_memref1d *logits, sparsec_memref1d *stats,
    sparsec_memref1d *scratch, int32_t token, int64_t pos, int32_t kernel,
    int64_t begin, int64_t end);
__attribute__((weak)) int32_t sparsec_kernel_abi_version(void);
// The prompt-processing step, when the model was compiled with one.
__attribute__((weak)) void _mlir_ciface_sparsec_prefill_step(
    sparsec_memref1d *weights, sparsec_memref1d *kv_cache,
    sparsec_memref1d *logits, sparsec_memref1d *stats,
    sparsec_memref1d *scratch, int32_t token_count, int64_t pos);
// What the linked step was compiled for (kernel_abi.h).
__attribute__((weak)) extern const int64_t sparsec_step_info[];
}

using sparsec::Status;
using sparsec::StatusCode;
using sparsec::StatusOr;

//===----------------------------------------------------------------------===//
// Status
//===----------------------------------------------------------------------===//

static_assert(int(StatusCode::kOk) == SPARSEC_STATUS_OK &&
                  int(StatusCode::kInvalidArgument) ==
                      SPARSEC_STATUS_INVALID_ARGUMENT &&
                  int(StatusCode::kNotFound) == SPARSEC_STATUS_NOT_FOUND &&
                  int(StatusCode::kDataLoss) == SPARSEC_STATUS_DATA_LOSS &&
                  int(StatusCode::kUnimplemented) ==
                      SPARSEC_STATUS_UNIMPLEMENTED &&
                  int(StatusCode::kIoError) == SPARSEC_STATUS_IO_ERROR &&
                  int(StatusCode::kOutOfRange) == SPARSEC_STATUS_OUT_OF_RANGE &&
                  int(StatusCode::kFailedPrecondition) ==
                      SPARSEC_STATUS_FAILED_PRECONDITION &&
                  int(StatusCode::kResourceExhausted) ==
                      SPARSEC_STATUS_RESOURCE_EXHAUSTED &&
                  int(StatusCode::kInternal) == SPARSEC_STATUS_INTERNAL,
              "sparsec_status_code_t mirrors sparsec::StatusCode");

struct sparsec_status_s {
  sparsec_status_code_t code;
  std::string message;
};

namespace {

/// Returned when even a status cannot be allocated; never freed.
sparsec_status_s kOutOfMemoryStatus{SPARSEC_STATUS_RESOURCE_EXHAUSTED,
                                    "sparsec: out of memory"};

sparsec_status_t toC(const Status &status) {
  if (status.isOk())
    return nullptr;
  try {
    // A last net: whatever a message quotes, it stays one line without
    // control characters (escaping is idempotent).
    return new sparsec_status_s{
        static_cast<sparsec_status_code_t>(status.code()),
        sparsec::escapeForMessage(status.message())};
  } catch (...) {
    return &kOutOfMemoryStatus;
  }
}

sparsec_status_t makeStatus(StatusCode code, const std::string &message) {
  return toC(Status(code, message));
}

/// Runs `body` (returning Status), turning any exception into a status.
template <typename Body> sparsec_status_t guarded(Body &&body) noexcept {
  try {
    return toC(body());
  } catch (const std::bad_alloc &) {
    return &kOutOfMemoryStatus;
  } catch (const std::exception &e) {
    return makeStatus(StatusCode::kInternal,
                      std::string("sparsec: internal error: ") + e.what());
  } catch (...) {
    return makeStatus(StatusCode::kInternal,
                      "sparsec: internal error: unknown exception");
  }
}

Status nullArgument(const char *function, const char *argument) {
  return Status(StatusCode::kInvalidArgument,
                std::string(function) + ": '" + argument + "' is NULL");
}

/// Copies `count` values to `out` under the size-query convention.
template <typename T>
Status copyOut(const char *function, const T *values, size_t count, T *out,
               size_t capacity, size_t *outCount) {
  if (!outCount)
    return nullArgument(function, "out_count");
  *outCount = count;
  if (!out)
    return Status::ok();
  if (capacity < count)
    return Status(StatusCode::kOutOfRange,
                  std::string(function) + ": the buffer holds " +
                      std::to_string(capacity) + " values, " +
                      std::to_string(count) + " are needed");
  if (count)
    std::memcpy(out, values, count * sizeof(T));
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// The decode step
//===----------------------------------------------------------------------===//

std::atomic<sparsec_decode_step_fn> testStep{nullptr};
std::atomic<int32_t> testAbiVersion{0};
std::atomic<const int64_t *> testStepInfo{nullptr};

/// Checks the manifest against what the step to be run was compiled for
/// (a linked step must declare it; a test step may).
Status checkStepAgainstManifest(const sparsec::Manifest &manifest,
                                const std::string &path) {
  const int64_t *info =
      testStep.load() ? testStepInfo.load() : sparsec_step_info;
  if (!info) {
    if (testStep.load())
      return Status::ok();
    return Status(StatusCode::kFailedPrecondition,
                  "sparsec: the linked decode step does not declare what it "
                  "was compiled for (" SPARSEC_STEP_INFO_SYMBOL
                  "); rebuild the model with a matching sparsec");
  }
  return sparsec::checkStepInfo(manifest, info, path);
}

/// The step sessions call: the test override, else the linked symbols.
StatusOr<sparsec_decode_step_fn> resolveStep() {
  if (sparsec_decode_step_fn step = testStep.load()) {
    int32_t version = testAbiVersion.load();
    if (version != SPARSEC_KERNEL_ABI_VERSION)
      return Status(StatusCode::kFailedPrecondition,
                    "sparsec: the registered decode step was compiled for "
                    "kernel ABI version " +
                        std::to_string(version) +
                        ", this runtime implements version " +
                        std::to_string(SPARSEC_KERNEL_ABI_VERSION));
    return step;
  }
  sparsec_decode_step_fn linked = &_mlir_ciface_sparsec_decode_step;
  int32_t (*linkedVersion)(void) = &sparsec_kernel_abi_version;
  if (!linked || !linkedVersion)
    return Status(StatusCode::kFailedPrecondition,
                  "sparsec: no decode step is linked into this executable "
                  "(expected the compiler's object exporting " +
                      std::string(SPARSEC_DECODE_STEP_SYMBOL) + " and " +
                      SPARSEC_ABI_VERSION_SYMBOL + ")");
  int32_t version = linkedVersion();
  if (version != SPARSEC_KERNEL_ABI_VERSION)
    return Status(StatusCode::kFailedPrecondition,
                  "sparsec: the linked decode step was compiled for kernel "
                  "ABI version " +
                      std::to_string(version) +
                      ", this runtime implements version " +
                      std::to_string(SPARSEC_KERNEL_ABI_VERSION) +
                      "; rebuild the model with a matching sparsec");
  return linked;
}

sparsec_memref1d memref(const void *data, int64_t size) {
  void *pointer = const_cast<void *>(data);
  return sparsec_memref1d{pointer, pointer, /*offset=*/0, size, /*stride=*/1};
}

} // namespace

extern "C" void
sparsec_runtime_set_step_function_for_testing(sparsec_decode_step_fn step,
                                              int32_t abi_version) {
  testAbiVersion.store(abi_version);
  testStep.store(step);
}

extern "C" void sparsec_runtime_set_step_info_for_testing(const int64_t *info) {
  testStepInfo.store(info);
}

//===----------------------------------------------------------------------===//
// Handles
//===----------------------------------------------------------------------===//

struct sparsec_model_t {
  std::atomic<int64_t> references{1};
  std::unique_ptr<sparsec::Model> model;
  std::unique_ptr<sparsec::Tokenizer> tokenizer;
  /// The manifest's eos_ids, then the tokenizer's, without repeats.
  std::vector<int32_t> eosIds;
};

struct sparsec_detokenizer_t {
  explicit sparsec_detokenizer_t(const sparsec::Tokenizer &tokenizer)
      : stream(tokenizer) {}
  sparsec_model_t *model = nullptr; ///< Retained.
  sparsec::TokenStream stream;
  std::string text; ///< What the last call returned.
};

struct sparsec_session_t {
  sparsec_model_t *model = nullptr; ///< Retained.
  sparsec_decode_step_fn step = nullptr;
  sparsec_run_range_fn runRange = nullptr;
  /// The linked prefill step and its block (tokens per call), when the
  /// model has one and the session uses it.
  sparsec_decode_step_fn prefill = nullptr;
  int64_t prefillBlock = 0;
  std::unique_ptr<sparsec::ThreadPool> pool;
  sparsec::AlignedBuffer kvCache;
  std::optional<sparsec::AlignedBuffer> scratch; ///< Set at creation.
  /// For a step that runs on a GPU: its buffers there (kvCache and scratch
  /// above are then unused).
  std::unique_ptr<sparsec::DeviceBuffers> device;
  sparsec::Sampler sampler;
  std::vector<float> logits;
  std::vector<int32_t> stats;
  int64_t position = 0;
  bool hasLogits = false;
  /// options.profile: time spent in steps and in each kernel.
  struct KernelProfile {
    std::string name;
    int64_t calls = 0;
    double seconds = 0.0;
  };
  bool profile = false;
  int64_t profiledSteps = 0;
  double stepSeconds = 0.0;
  std::vector<KernelProfile> kernels;

  sparsec_session_t(sparsec::AlignedBuffer kvCache, sparsec::Sampler sampler)
      : kvCache(std::move(kvCache)), sampler(std::move(sampler)) {}
};

namespace {

/// Kernel numbers beyond this are not profiled (a step has a few hundred).
constexpr int32_t kMaxProfiledKernels = 1 << 16;

/// What sparsec_parallel_for needs while a step runs on this thread.
struct ActiveStep {
  sparsec_session_t *session;
  sparsec_memref1d *args[5];
  int32_t token;
  int64_t pos;
};
thread_local ActiveStep *activeStep = nullptr;

Status runStepUntimed(sparsec_session_t &session, int32_t token);
/// Calls the generated `function` (the decode or the prefill step) with the
/// session's host buffers at its position, the stats zeroed; `token` is
/// the step's token argument.
void runOnHost(sparsec_session_t &session, sparsec_decode_step_fn function,
               int32_t token);

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Runs the step for `token` at the session's position, timed when the
/// session profiles.
Status runStep(sparsec_session_t &session, int32_t token) {
  if (!session.profile)
    return runStepUntimed(session, token);
  auto start = std::chrono::steady_clock::now();
  Status status = runStepUntimed(session, token);
  session.stepSeconds += secondsSince(start);
  ++session.profiledSteps;
  return status;
}

Status runStepUntimed(sparsec_session_t &session, int32_t token) {
  const sparsec::Model &model = *session.model->model;
  const sparsec::Manifest &manifest = model.manifest();
  if (token < 0 || token >= manifest.vocabSize)
    return Status(StatusCode::kOutOfRange,
                  "sparsec_session_step: token " + std::to_string(token) +
                      " is outside the vocabulary [0, " +
                      std::to_string(manifest.vocabSize) + ")");
  if (session.position >= manifest.maxLen)
    return Status(StatusCode::kOutOfRange,
                  "sparsec_session_step: position " +
                      std::to_string(session.position) +
                      " is beyond the context: max_len is " +
                      std::to_string(manifest.maxLen) +
                      " (reset the session to start over)");
  session.hasLogits = false;
  if (session.device) {
    sparsec::DeviceBuffers &device = *session.device;
    if (Status status = device.beforeStep(); !status.isOk())
      return status;
    sparsec_memref1d weights = device.weights(), kvCache = device.kvCache(),
                     logits = device.logits(), stats = device.stats(),
                     scratch = device.scratch();
    session.step(&weights, &kvCache, &logits, &stats, &scratch, token,
                 session.position);
    if (Status status =
            device.afterStep(session.logits.data(), session.stats.data());
        !status.isOk())
      return status;
    ++session.position;
    session.hasLogits = true;
    return Status::ok();
  }
  runOnHost(session, session.step, token);
  ++session.position;
  session.hasLogits = true;
  return Status::ok();
}

void runOnHost(sparsec_session_t &session, sparsec_decode_step_fn function,
               int32_t token) {
  const sparsec::Model &model = *session.model->model;
  const sparsec::Manifest &manifest = model.manifest();
  sparsec_memref1d weights =
      memref(model.weightsData(), static_cast<int64_t>(model.weightsSize()));
  sparsec_memref1d kvCache = memref(
      session.kvCache.data(), static_cast<int64_t>(session.kvCache.size()));
  sparsec_memref1d logits =
      memref(session.logits.data(), static_cast<int64_t>(manifest.vocabSize));
  std::fill(session.stats.begin(), session.stats.end(), 0);
  sparsec_memref1d stats =
      memref(session.stats.data(), static_cast<int64_t>(manifest.ffns.size()));
  sparsec_memref1d scratch = memref(
      session.scratch->data(), static_cast<int64_t>(session.scratch->size()));
  ActiveStep active{&session,
                    {&weights, &kvCache, &logits, &stats, &scratch},
                    token,
                    session.position};
  activeStep = &active;
  function(&weights, &kvCache, &logits, &stats, &scratch, token,
           session.position);
  activeStep = nullptr;
}

/// Runs the prefill step over `count` (1..prefillBlock) checked tokens at
/// the session's position: they go to the start of scratch, where the step
/// reads them; the logits are the last token's.
Status runPrefillBlock(sparsec_session_t &session, const int32_t *tokens,
                       size_t count) {
  std::memcpy(session.scratch->data(), tokens, count * sizeof(int32_t));
  session.hasLogits = false;
  // A profile counts a block as one step.
  auto start = std::chrono::steady_clock::now();
  runOnHost(session, session.prefill, static_cast<int32_t>(count));
  if (session.profile) {
    session.stepSeconds += secondsSince(start);
    ++session.profiledSteps;
  }
  session.position += static_cast<int64_t>(count);
  session.hasLogits = true;
  return Status::ok();
}

} // namespace

/// Called by the generated step for each data-parallel loop: runs
/// sparsec_run_range over [0, n) on the session's threads.
extern "C" void sparsec_parallel_for(int32_t kernel, int64_t n) {
  ActiveStep *active = activeStep;
  if (!active || !active->session->runRange) {
    std::fprintf(stderr, "sparsec: sparsec_parallel_for called outside a "
                         "decode step\n");
    std::abort();
  }
  sparsec_session_t &session = *active->session;
  sparsec_run_range_fn run = session.runRange;
  auto body = [&](int64_t begin, int64_t end) {
    run(active->args[0], active->args[1], active->args[2], active->args[3],
        active->args[4], active->token, active->pos, kernel, begin, end);
  };
  if (!session.profile || kernel < 0 || kernel >= kMaxProfiledKernels) {
    session.pool->parallelFor(n, body);
    return;
  }
  auto start = std::chrono::steady_clock::now();
  session.pool->parallelFor(n, body);
  double seconds = secondsSince(start);
  auto index = static_cast<size_t>(kernel);
  // A manifest without kernel names (or with fewer than the step has):
  // the kernel goes by its number. Out of memory for the table, the call
  // goes uncounted rather than unwinding through the generated step.
  try {
    while (session.kernels.size() <= index)
      session.kernels.push_back(
          {"kernel " + std::to_string(session.kernels.size()), 0, 0.0});
  } catch (...) {
    return;
  }
  session.kernels[index].calls += 1;
  session.kernels[index].seconds += seconds;
}

//===----------------------------------------------------------------------===//
// Status API
//===----------------------------------------------------------------------===//

extern "C" sparsec_status_code_t sparsec_status_code(sparsec_status_t status) {
  return status ? status->code : SPARSEC_STATUS_OK;
}

extern "C" const char *sparsec_status_message(sparsec_status_t status) {
  return status ? status->message.c_str() : "OK";
}

extern "C" void sparsec_status_free(sparsec_status_t status) {
  if (status && status != &kOutOfMemoryStatus)
    delete status;
}

//===----------------------------------------------------------------------===//
// Model API
//===----------------------------------------------------------------------===//

extern "C" sparsec_status_t sparsec_model_load(const char *dir,
                                               sparsec_model_t **out_model) {
  return guarded([&]() -> Status {
    if (!out_model)
      return nullArgument("sparsec_model_load", "out_model");
    *out_model = nullptr;
    if (!dir)
      return nullArgument("sparsec_model_load", "dir");
    StatusOr<std::unique_ptr<sparsec::Model>> model = sparsec::Model::load(dir);
    if (!model.isOk())
      return model.status();
    StatusOr<std::unique_ptr<sparsec::Tokenizer>> tokenizer =
        sparsec::createTokenizer((*model)->manifest(),
                                 (*model)->manifestPath());
    if (!tokenizer.isOk())
      return tokenizer.status();
    auto handle = std::make_unique<sparsec_model_t>();
    handle->model = std::move(model).value();
    handle->tokenizer = std::move(tokenizer).value();
    std::vector<int32_t> eos = handle->model->manifest().tokenizer.eosIds;
    for (int32_t id : handle->tokenizer->eosIds())
      eos.push_back(id);
    for (int32_t id : eos)
      if (std::find(handle->eosIds.begin(), handle->eosIds.end(), id) ==
          handle->eosIds.end())
        handle->eosIds.push_back(id);
    *out_model = handle.release();
    return Status::ok();
  });
}

extern "C" void sparsec_model_retain(sparsec_model_t *model) {
  if (model)
    model->references.fetch_add(1, std::memory_order_relaxed);
}

extern "C" void sparsec_model_release(sparsec_model_t *model) {
  if (model && model->references.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete model;
}

extern "C" sparsec_status_t
sparsec_model_verify_weights(const sparsec_model_t *model) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_verify_weights", "model");
    return sparsec::verifyDataHash(model->model->weights());
  });
}

extern "C" sparsec_status_t
sparsec_model_query_info(const sparsec_model_t *model,
                         sparsec_model_info_t *out_info) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_query_info", "model");
    if (!out_info)
      return nullArgument("sparsec_model_query_info", "out_info");
    const sparsec::Manifest &m = model->model->manifest();
    sparsec_model_info_t info{};
    info.model_name = m.modelName.c_str();
    info.architecture = m.architecture.c_str();
    info.target = m.target.c_str();
    info.source_hash = m.sourceHash.c_str();
    info.vocab_size = static_cast<int32_t>(m.vocabSize);
    info.hidden_size = static_cast<int32_t>(m.hiddenSize);
    info.num_layers = static_cast<int32_t>(m.numLayers);
    info.max_len = static_cast<int32_t>(m.maxLen);
    info.bos_id = model->tokenizer->bosId().value_or(-1);
    info.num_ffns = m.ffns.size();
    info.kv_cache_bytes = m.kvCacheBytes;
    info.weights_bytes = model->model->weightsSize();
    info.other_bytes_per_token = m.otherBytesPerToken;
    info.num_records = m.records.size();
    info.prefill_block =
        static_cast<int32_t>(std::min<int64_t>(m.prefillBlock, m.kvCacheSlots));
    *out_info = info;
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_query_ffn(const sparsec_model_t *model, size_t index,
                        sparsec_ffn_info_t *out_info) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_query_ffn", "model");
    if (!out_info)
      return nullArgument("sparsec_model_query_ffn", "out_info");
    const sparsec::Manifest &m = model->model->manifest();
    if (index >= m.ffns.size())
      return Status(StatusCode::kOutOfRange,
                    "sparsec_model_query_ffn: index " + std::to_string(index) +
                        " is beyond the model's " +
                        std::to_string(m.ffns.size()) + " FFNs");
    const sparsec::ManifestFfn &ffn = m.ffns[index];
    out_info->layer = static_cast<int32_t>(ffn.layer);
    out_info->expert = static_cast<int32_t>(ffn.expert);
    out_info->neurons = static_cast<int32_t>(ffn.neurons);
    out_info->mode = static_cast<sparsec_ffn_mode_t>(ffn.mode);
    out_info->fixed_bytes = ffn.fixedBytes;
    out_info->row_bytes = ffn.rowBytes;
    return Status::ok();
  });
}
static_assert(int(sparsec::FfnMode::kDense) == SPARSEC_FFN_MODE_DENSE &&
                  int(sparsec::FfnMode::kExact) == SPARSEC_FFN_MODE_EXACT &&
                  int(sparsec::FfnMode::kPredicted) ==
                      SPARSEC_FFN_MODE_PREDICTED &&
                  int(sparsec::FfnMode::kThreshold) ==
                      SPARSEC_FFN_MODE_THRESHOLD,
              "sparsec_ffn_mode_t mirrors sparsec::FfnMode");

extern "C" sparsec_status_t
sparsec_model_bytes_read(const sparsec_model_t *model, const int32_t *counts,
                         size_t count, uint64_t *out_bytes) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_bytes_read", "model");
    if (!out_bytes)
      return nullArgument("sparsec_model_bytes_read", "out_bytes");
    const sparsec::Manifest &m = model->model->manifest();
    if (count != m.ffns.size())
      return Status(StatusCode::kInvalidArgument,
                    "sparsec_model_bytes_read: expected " +
                        std::to_string(m.ffns.size()) +
                        " per-FFN counts, got " + std::to_string(count));
    if (count && !counts)
      return nullArgument("sparsec_model_bytes_read", "counts");
    *out_bytes = m.bytesReadPerStep(counts);
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_kv_cache_bytes_read(const sparsec_model_t *model,
                                  int64_t position, uint64_t *out_bytes) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_kv_cache_bytes_read", "model");
    if (!out_bytes)
      return nullArgument("sparsec_model_kv_cache_bytes_read", "out_bytes");
    const sparsec::Manifest &m = model->model->manifest();
    if (position < 0 || position >= m.maxLen)
      return Status(StatusCode::kOutOfRange,
                    "sparsec_model_kv_cache_bytes_read: position " +
                        std::to_string(position) + " is outside [0, " +
                        std::to_string(m.maxLen) + ")");
    *out_bytes = m.kvCacheBytesRead(position);
    return Status::ok();
  });
}

namespace {

Status tokenize(const char *function, const sparsec_model_t *model,
                const char *text, size_t length, uint32_t flags,
                int32_t *out_ids, size_t capacity, size_t *out_count) {
  if (!model)
    return nullArgument(function, "model");
  if (!text && length)
    return nullArgument(function, "text");
  if (uint32_t unknown = flags & ~uint32_t(SPARSEC_TOKENIZE_PARSE_SPECIAL))
    return Status(StatusCode::kInvalidArgument,
                  std::string(function) + ": unknown flags " +
                      std::to_string(unknown) +
                      " (known: SPARSEC_TOKENIZE_PARSE_SPECIAL)");
  std::vector<int32_t> ids =
      model->tokenizer->encode(std::string(text ? text : "", length),
                               (flags & SPARSEC_TOKENIZE_PARSE_SPECIAL) != 0);
  return copyOut(function, ids.data(), ids.size(), out_ids, capacity,
                 out_count);
}

/// Copies `text` out under the sparsec_model_detokenize convention.
Status copyText(const char *function, const std::string &text, char *out_text,
                size_t capacity, size_t *out_length) {
  if (!out_length)
    return nullArgument(function, "out_length");
  *out_length = text.size();
  if (!out_text)
    return Status::ok();
  if (capacity < text.size() + 1)
    return Status(StatusCode::kOutOfRange,
                  std::string(function) + ": the buffer holds " +
                      std::to_string(capacity) + " bytes, " +
                      std::to_string(text.size() + 1) +
                      " are needed (with the terminating NUL)");
  std::memcpy(out_text, text.data(), text.size());
  out_text[text.size()] = '\0';
  return Status::ok();
}

} // namespace

extern "C" sparsec_status_t
sparsec_model_tokenize(const sparsec_model_t *model, const char *text,
                       size_t length, int32_t *out_ids, size_t capacity,
                       size_t *out_count) {
  return guarded([&]() -> Status {
    return tokenize("sparsec_model_tokenize", model, text, length,
                    SPARSEC_TOKENIZE_DEFAULT, out_ids, capacity, out_count);
  });
}

extern "C" sparsec_status_t
sparsec_model_tokenize_ex(const sparsec_model_t *model, const char *text,
                          size_t length, uint32_t flags, int32_t *out_ids,
                          size_t capacity, size_t *out_count) {
  return guarded([&]() -> Status {
    return tokenize("sparsec_model_tokenize_ex", model, text, length, flags,
                    out_ids, capacity, out_count);
  });
}

extern "C" sparsec_status_t sparsec_model_eos_ids(const sparsec_model_t *model,
                                                  int32_t *out_ids,
                                                  size_t capacity,
                                                  size_t *out_count) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_eos_ids", "model");
    return copyOut("sparsec_model_eos_ids", model->eosIds.data(),
                   model->eosIds.size(), out_ids, capacity, out_count);
  });
}

extern "C" sparsec_status_t sparsec_model_is_eos(const sparsec_model_t *model,
                                                 int32_t token,
                                                 int *out_is_eos) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_is_eos", "model");
    if (!out_is_eos)
      return nullArgument("sparsec_model_is_eos", "out_is_eos");
    *out_is_eos = std::find(model->eosIds.begin(), model->eosIds.end(),
                            token) != model->eosIds.end();
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_query_chat_template(const sparsec_model_t *model,
                                  const char **out_name) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_query_chat_template", "model");
    if (!out_name)
      return nullArgument("sparsec_model_query_chat_template", "out_name");
    const std::string &name = model->model->manifest().tokenizer.chatTemplate;
    *out_name = name.empty() ? nullptr : name.c_str();
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_query_chat_default_system(const sparsec_model_t *model,
                                        const char **out_text) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_query_chat_default_system", "model");
    if (!out_text)
      return nullArgument("sparsec_model_query_chat_default_system",
                          "out_text");
    const std::string &text =
        model->model->manifest().tokenizer.chatDefaultSystem;
    *out_text = text.empty() ? nullptr : text.c_str();
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_detokenize(const sparsec_model_t *model, int32_t token,
                         char *out_text, size_t capacity, size_t *out_length) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_detokenize", "model");
    if (!out_length)
      return nullArgument("sparsec_model_detokenize", "out_length");
    std::string piece = model->tokenizer->decode(token);
    *out_length = piece.size();
    if (!out_text)
      return Status::ok();
    if (capacity < piece.size() + 1)
      return Status(StatusCode::kOutOfRange,
                    "sparsec_model_detokenize: the buffer holds " +
                        std::to_string(capacity) + " bytes, token " +
                        std::to_string(token) + " needs " +
                        std::to_string(piece.size() + 1) +
                        " (with the terminating NUL)");
    std::memcpy(out_text, piece.data(), piece.size());
    out_text[piece.size()] = '\0';
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// Detokenizer API
//===----------------------------------------------------------------------===//

extern "C" sparsec_status_t
sparsec_detokenizer_create(sparsec_model_t *model,
                           sparsec_detokenizer_t **out) {
  return guarded([&]() -> Status {
    if (!out)
      return nullArgument("sparsec_detokenizer_create", "out");
    *out = nullptr;
    if (!model)
      return nullArgument("sparsec_detokenizer_create", "model");
    auto detokenizer =
        std::make_unique<sparsec_detokenizer_t>(*model->tokenizer);
    sparsec_model_retain(model);
    detokenizer->model = model;
    *out = detokenizer.release();
    return Status::ok();
  });
}

extern "C" void
sparsec_detokenizer_release(sparsec_detokenizer_t *detokenizer) {
  if (!detokenizer)
    return;
  sparsec_model_t *model = detokenizer->model;
  delete detokenizer;
  sparsec_model_release(model);
}

namespace {

Status returnText(const char *function, sparsec_detokenizer_t *detokenizer,
                  std::string text, const char **out_text, size_t *out_length) {
  if (!out_text)
    return nullArgument(function, "out_text");
  if (!out_length)
    return nullArgument(function, "out_length");
  detokenizer->text = std::move(text);
  *out_text = detokenizer->text.c_str();
  *out_length = detokenizer->text.size();
  return Status::ok();
}

} // namespace

extern "C" sparsec_status_t
sparsec_detokenizer_push(sparsec_detokenizer_t *detokenizer, int32_t token,
                         const char **out_text, size_t *out_length) {
  return guarded([&]() -> Status {
    if (!detokenizer)
      return nullArgument("sparsec_detokenizer_push", "detokenizer");
    if (!out_text || !out_length)
      return returnText("sparsec_detokenizer_push", detokenizer, "", out_text,
                        out_length);
    return returnText("sparsec_detokenizer_push", detokenizer,
                      detokenizer->stream.push(token), out_text, out_length);
  });
}

extern "C" sparsec_status_t
sparsec_detokenizer_flush(sparsec_detokenizer_t *detokenizer,
                          const char **out_text, size_t *out_length) {
  return guarded([&]() -> Status {
    if (!detokenizer)
      return nullArgument("sparsec_detokenizer_flush", "detokenizer");
    if (!out_text || !out_length)
      return returnText("sparsec_detokenizer_flush", detokenizer, "", out_text,
                        out_length);
    return returnText("sparsec_detokenizer_flush", detokenizer,
                      detokenizer->stream.flush(), out_text, out_length);
  });
}

extern "C" sparsec_status_t
sparsec_detokenizer_reset(sparsec_detokenizer_t *detokenizer) {
  return guarded([&]() -> Status {
    if (!detokenizer)
      return nullArgument("sparsec_detokenizer_reset", "detokenizer");
    detokenizer->stream.reset();
    detokenizer->text.clear();
    return Status::ok();
  });
}

//===----------------------------------------------------------------------===//
// Chat API
//===----------------------------------------------------------------------===//

extern "C" const char *sparsec_chat_format_names(void) {
  return "chatml, llama2, llama3, mistral, zephyr";
}

extern "C" sparsec_status_t
sparsec_chat_render(const char *format, const sparsec_chat_message_t *messages,
                    size_t count, int add_generation_prompt, char *out_text,
                    size_t capacity, size_t *out_length) {
  return guarded([&]() -> Status {
    if (!format)
      return nullArgument("sparsec_chat_render", "format");
    if (count && !messages)
      return nullArgument("sparsec_chat_render", "messages");
    std::vector<sparsec::ChatMessage> conversation;
    for (size_t i = 0; i < count; ++i) {
      if (!messages[i].role || !messages[i].content)
        return Status(StatusCode::kInvalidArgument,
                      "sparsec_chat_render: message " + std::to_string(i) +
                          " has a NULL " +
                          (messages[i].role ? "content" : "role"));
      conversation.push_back({messages[i].role, messages[i].content});
    }
    StatusOr<std::string> text =
        sparsec::renderChat(format, conversation, add_generation_prompt != 0);
    if (!text.isOk())
      return text.status();
    return copyText("sparsec_chat_render", *text, out_text, capacity,
                    out_length);
  });
}

extern "C" sparsec_status_t
sparsec_chat_render_continuation(const char *format, const char *user_content,
                                 int add_generation_prompt, char *out_text,
                                 size_t capacity, size_t *out_length) {
  return guarded([&]() -> Status {
    if (!format)
      return nullArgument("sparsec_chat_render_continuation", "format");
    if (!user_content)
      return nullArgument("sparsec_chat_render_continuation", "user_content");
    StatusOr<std::string> text = sparsec::renderChatContinuation(
        format, user_content, add_generation_prompt != 0);
    if (!text.isOk())
      return text.status();
    return copyText("sparsec_chat_render_continuation", *text, out_text,
                    capacity, out_length);
  });
}

//===----------------------------------------------------------------------===//
// Session API
//===----------------------------------------------------------------------===//

extern "C" void
sparsec_session_options_initialize(sparsec_session_options_t *out_options) {
  if (!out_options)
    return;
  out_options->seed = 0;
  out_options->temperature = 0.0f;
  out_options->top_k = 0;
  out_options->top_p = 1.0f;
  out_options->num_threads = 0;
  out_options->profile = 0;
  out_options->token_by_token = 0;
}

extern "C" sparsec_status_t
sparsec_session_create(sparsec_model_t *model,
                       const sparsec_session_options_t *options,
                       sparsec_session_t **out_session) {
  return guarded([&]() -> Status {
    if (!out_session)
      return nullArgument("sparsec_session_create", "out_session");
    *out_session = nullptr;
    if (!model)
      return nullArgument("sparsec_session_create", "model");
    // The weights must still be the file mapped at load (mapped_file.h).
    if (Status status = model->model->checkWeightsUnchanged(); !status.isOk())
      return status;
    sparsec_session_options_t defaults;
    sparsec_session_options_initialize(&defaults);
    if (!options)
      options = &defaults;

    StatusOr<sparsec_decode_step_fn> step = resolveStep();
    if (!step.isOk())
      return step.status();
    // Before any buffer is sized from the manifest: it must describe the
    // model the step was compiled for.
    if (Status status = checkStepAgainstManifest(model->model->manifest(),
                                                 model->model->manifestPath());
        !status.isOk())
      return status;
    sparsec::SamplerOptions samplerOptions;
    samplerOptions.seed = options->seed;
    samplerOptions.temperature = options->temperature;
    samplerOptions.topK = options->top_k;
    samplerOptions.topP = options->top_p;
    StatusOr<sparsec::Sampler> sampler =
        sparsec::Sampler::create(samplerOptions);
    if (!sampler.isOk())
      return Status(sampler.status().code(),
                    "sparsec_session_create: " + sampler.status().message());
    StatusOr<sparsec::AlignedBuffer> kvCache = model->model->allocateKvCache();
    if (!kvCache.isOk())
      return kvCache.status();

    const sparsec::Manifest &m = model->model->manifest();
    auto session = std::make_unique<sparsec_session_t>(
        std::move(kvCache).value(), std::move(sampler).value());
    session->step = *step;
    session->runRange = &_mlir_ciface_sparsec_run_range; // null in tests
    // The prefill step runs on the CPU, beside the linked decode step.
    if (m.prefillBlock > 0 && &_mlir_ciface_sparsec_prefill_step &&
        !testStep.load() && !sparsec::stepRunsOnGPU() &&
        !options->token_by_token) {
      session->prefill = &_mlir_ciface_sparsec_prefill_step;
      session->prefillBlock = m.prefillBlock;
    }
    StatusOr<sparsec::AlignedBuffer> scratch = model->model->allocateScratch();
    if (!scratch.isOk())
      return scratch.status();
    session->scratch.emplace(std::move(scratch).value());
    if (sparsec::stepRunsOnGPU() && !testStep.load()) {
      const sparsec::Model &loaded = *model->model;
      StatusOr<std::unique_ptr<sparsec::DeviceBuffers>> device =
          sparsec::DeviceBuffers::create(
              loaded.weightsData(), loaded.weightsSize(),
              session->kvCache.size(), static_cast<size_t>(m.vocabSize),
              m.ffns.size(), session->scratch->size());
      if (!device.isOk())
        return device.status();
      session->device = std::move(device).value();
    }
    int threads = options->num_threads > 0
                      ? options->num_threads
                      : static_cast<int>(std::min<unsigned>(
                            std::max(1u, std::thread::hardware_concurrency()),
                            sparsec::limits::kMaxThreads));
    StatusOr<std::unique_ptr<sparsec::ThreadPool>> pool =
        sparsec::ThreadPool::create(threads);
    if (!pool.isOk())
      return Status(pool.status().code(),
                    "sparsec_session_create: " + pool.status().message());
    session->pool = std::move(pool).value();
    session->profile = options->profile != 0;
    if (session->profile)
      for (const std::string &name : m.kernels)
        session->kernels.push_back({name, 0, 0.0});
    session->logits.assign(static_cast<size_t>(m.vocabSize), 0.0f);
    // At least one element, so that the memref never points at nothing.
    session->stats.reserve(m.ffns.size() + 1);
    session->stats.assign(m.ffns.size(), 0);
    sparsec_model_retain(model);
    session->model = model;
    *out_session = session.release();
    return Status::ok();
  });
}

extern "C" void sparsec_session_release(sparsec_session_t *session) {
  if (!session)
    return;
  sparsec_model_t *model = session->model;
  delete session;
  sparsec_model_release(model);
}

extern "C" sparsec_status_t sparsec_session_reset(sparsec_session_t *session) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_reset", "session");
    session->kvCache.clear();
    if (session->device)
      if (Status status = session->device->clearKvCache(); !status.isOk())
        return status;
    session->position = 0;
    session->hasLogits = false;
    std::fill(session->stats.begin(), session->stats.end(), 0);
    session->sampler.reset();
    return Status::ok();
  });
}

extern "C" sparsec_status_t sparsec_session_step(sparsec_session_t *session,
                                                 int32_t token,
                                                 float *out_logits) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_step", "session");
    if (Status status = runStep(*session, token); !status.isOk())
      return status;
    if (out_logits)
      std::memcpy(out_logits, session->logits.data(),
                  session->logits.size() * sizeof(float));
    return Status::ok();
  });
}

extern "C" sparsec_status_t sparsec_session_prefill(sparsec_session_t *session,
                                                    const int32_t *tokens,
                                                    size_t count,
                                                    float *out_logits) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_prefill", "session");
    if (count && !tokens)
      return nullArgument("sparsec_session_prefill", "tokens");
    const sparsec::Manifest &m = session->model->model->manifest();
    uint64_t room = static_cast<uint64_t>(m.maxLen - session->position);
    if (count > room)
      return Status(
          StatusCode::kOutOfRange,
          "sparsec_session_prefill: the prompt is " + std::to_string(count) +
              " tokens, longer than the context: max_len is " +
              std::to_string(m.maxLen) + " and " +
              std::to_string(session->position) + " positions are taken");
    for (size_t i = 0; i < count; ++i)
      if (tokens[i] < 0 || tokens[i] >= m.vocabSize)
        return Status(StatusCode::kOutOfRange,
                      "sparsec_session_prefill: prompt token " +
                          std::to_string(i) + " is " +
                          std::to_string(tokens[i]) +
                          ", outside the vocabulary [0, " +
                          std::to_string(m.vocabSize) + ")");
    // Blocks of at most the cache's slots: in a sliding window's ring the
    // step keeps the rows a block overwrites for the block's earlier
    // tokens, which works while no two of its tokens share a slot.
    size_t done = 0;
    size_t block = static_cast<size_t>(
        std::min<int64_t>(session->prefillBlock, m.kvCacheSlots));
    while (session->prefill && count - done > 1) {
      size_t n = std::min(count - done, block);
      if (n < 2)
        break;
      if (Status status = runPrefillBlock(*session, tokens + done, n);
          !status.isOk())
        return status;
      done += n;
    }
    for (; done < count; ++done)
      if (Status status = runStep(*session, tokens[done]); !status.isOk())
        return status;
    if (out_logits && count)
      std::memcpy(out_logits, session->logits.data(),
                  session->logits.size() * sizeof(float));
    return Status::ok();
  });
}

extern "C" sparsec_status_t sparsec_session_sample(sparsec_session_t *session,
                                                   int32_t *out_token) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_sample", "session");
    if (!out_token)
      return nullArgument("sparsec_session_sample", "out_token");
    if (!session->hasLogits)
      return Status(StatusCode::kFailedPrecondition,
                    "sparsec_session_sample: no logits to sample from; step "
                    "a token first");
    StatusOr<int32_t> token =
        session->sampler.sample(session->logits.data(), session->logits.size());
    if (!token.isOk())
      return Status(token.status().code(),
                    "sparsec_session_sample: " + token.status().message());
    *out_token = *token;
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_session_stats(const sparsec_session_t *session, int32_t *out_counts,
                      size_t capacity, size_t *out_count) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_stats", "session");
    return copyOut("sparsec_session_stats", session->stats.data(),
                   session->stats.size(), out_counts, capacity, out_count);
  });
}

extern "C" sparsec_status_t
sparsec_session_query_profile(const sparsec_session_t *session,
                              sparsec_profile_t *out_profile) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_query_profile", "session");
    if (!out_profile)
      return nullArgument("sparsec_session_query_profile", "out_profile");
    out_profile->steps = session->profiledSteps;
    out_profile->step_seconds = session->stepSeconds;
    out_profile->num_kernels = static_cast<int64_t>(session->kernels.size());
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_session_query_kernel_profile(const sparsec_session_t *session,
                                     int64_t kernel,
                                     sparsec_kernel_profile_t *out_kernel) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_query_kernel_profile", "session");
    if (!out_kernel)
      return nullArgument("sparsec_session_query_kernel_profile", "out_kernel");
    if (kernel < 0 || kernel >= static_cast<int64_t>(session->kernels.size()))
      return Status(StatusCode::kOutOfRange,
                    "sparsec_session_query_kernel_profile: kernel " +
                        std::to_string(kernel) + " is outside [0, " +
                        std::to_string(session->kernels.size()) + ")");
    const auto &entry = session->kernels[static_cast<size_t>(kernel)];
    out_kernel->name = entry.name.c_str();
    out_kernel->calls = entry.calls;
    out_kernel->seconds = entry.seconds;
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_model_query_record(const sparsec_model_t *model, size_t index,
                           sparsec_record_info_t *out_info) {
  return guarded([&]() -> Status {
    if (!model)
      return nullArgument("sparsec_model_query_record", "model");
    if (!out_info)
      return nullArgument("sparsec_model_query_record", "out_info");
    const sparsec::Manifest &m = model->model->manifest();
    if (index >= m.records.size())
      return Status(StatusCode::kOutOfRange,
                    "sparsec_model_query_record: index " +
                        std::to_string(index) + " is beyond the model's " +
                        std::to_string(m.records.size()) + " records");
    const sparsec::ManifestRecord &record = m.records[index];
    out_info->ffn = static_cast<size_t>(record.ffn);
    out_info->kind = record.kind.c_str();
    out_info->count = static_cast<size_t>(record.count);
    return Status::ok();
  });
}

extern "C" sparsec_status_t
sparsec_session_record(const sparsec_session_t *session, size_t index,
                       const float **out_values) {
  return guarded([&]() -> Status {
    if (!session)
      return nullArgument("sparsec_session_record", "session");
    if (!out_values)
      return nullArgument("sparsec_session_record", "out_values");
    const sparsec::Manifest &m = session->model->model->manifest();
    if (index >= m.records.size())
      return Status(StatusCode::kOutOfRange,
                    "sparsec_session_record: index " + std::to_string(index) +
                        " is beyond the model's " +
                        std::to_string(m.records.size()) + " records");
    if (session->device)
      return Status(StatusCode::kUnimplemented,
                    "sparsec_session_record: the step runs on a GPU; records "
                    "are read from CPU steps only");
    // The manifest checked that the record lies inside the scratch.
    *out_values = reinterpret_cast<const float *>(session->scratch->data() +
                                                  m.records[index].offset);
    return Status::ok();
  });
}

extern "C" int64_t sparsec_session_position(const sparsec_session_t *session) {
  return session ? session->position : 0;
}
