//===- cuda_executor.cpp - the CUDA driver API, opened at run time --------===//
//
// The driver's entry points are resolved with dlsym from libcuda.so.1 (the
// driver ships it; no CUDA toolkit is needed where the executable runs).
// The declarations below are the driver API's documented C signatures,
// with opaque handles as void *.
//
// Module loading: the step's object registers its kernels' binary from a
// global constructor (mgpuModuleLoad / mgpuModuleLoadJIT), before main()
// and before the runtime knows whether there is a GPU at all. So loading is
// lazy: the constructor records the binary, and the first kernel lookup,
// inside a step the session started after sparsec_cuda_init succeeded,
// loads it. mgpu* functions cannot return errors: the first failure is
// kept for sparsec_cuda_take_error and later launches are skipped.
//
//===----------------------------------------------------------------------===//

#include "cuda/cuda_executor.h"

#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0;

struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*driverGetVersion)(int *);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*primaryCtxRetain)(void **, CUdevice);
  CUresult (*ctxSetCurrent)(void *);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*memsetD8)(CUdeviceptr, unsigned char, size_t);
  CUresult (*moduleLoadData)(void **, const void *);
  CUresult (*moduleUnload)(void *);
  CUresult (*moduleGetFunction)(void **, void *, const char *);
  CUresult (*launchKernel)(void *, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, void *, void **,
                           void **);
  CUresult (*streamCreate)(void **, unsigned);
  CUresult (*streamDestroy)(void *);
  CUresult (*streamSynchronize)(void *);
  CUresult (*streamWaitEvent)(void *, void *, unsigned);
  CUresult (*eventCreate)(void **, unsigned);
  CUresult (*eventDestroy)(void *);
  CUresult (*eventRecord)(void *, void *);
  CUresult (*eventSynchronize)(void *);
  CUresult (*getErrorString)(CUresult, const char **);
};

/// A kernel binary the step's constructors registered; loaded on first use.
struct LazyModule {
  const void *image = nullptr;
  void *module = nullptr;
  std::map<std::string, void *> functions;
};

struct State {
  std::mutex mutex;
  Driver driver{};
  bool ready = false;
  std::string firstError; ///< since the last sparsec_cuda_take_error
};

State &state() {
  static State s;
  return s;
}

int fail(char *error, size_t size, const char *format, ...) {
  if (error && size) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(error, size, format, args);
    va_end(args);
  }
  return -1;
}

std::string describe(CUresult result) {
  const char *text = nullptr;
  Driver &d = state().driver;
  if (d.getErrorString && d.getErrorString(result, &text) == kSuccess && text)
    return text;
  return "CUDA error " + std::to_string(result);
}

/// Notes the first failure of an mgpu* call.
void record(const char *what, CUresult result) {
  if (result == kSuccess)
    return;
  State &s = state();
  if (s.firstError.empty())
    s.firstError = std::string(what) + ": " + describe(result);
}

bool usable() { return state().ready && state().firstError.empty(); }

template <typename T> bool resolve(void *library, const char *name, T &slot) {
  slot = reinterpret_cast<T>(dlsym(library, name));
  return slot != nullptr;
}

} // namespace

extern "C" int sparsec_cuda_init(char *error, size_t size) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.ready)
    return 0;
  const char *kNeeds = "this executable needs an NVIDIA GPU with a CUDA "
                       "12.0 or newer driver";
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return fail(error, size, "%s; none found (%s)", kNeeds, dlerror());
  Driver &d = s.driver;
  bool ok = resolve(library, "cuInit", d.init) &&
            resolve(library, "cuDriverGetVersion", d.driverGetVersion) &&
            resolve(library, "cuDeviceGetCount", d.deviceGetCount) &&
            resolve(library, "cuDeviceGet", d.deviceGet) &&
            resolve(library, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain) &&
            resolve(library, "cuCtxSetCurrent", d.ctxSetCurrent) &&
            resolve(library, "cuMemAlloc_v2", d.memAlloc) &&
            resolve(library, "cuMemFree_v2", d.memFree) &&
            resolve(library, "cuMemcpyHtoD_v2", d.memcpyHtoD) &&
            resolve(library, "cuMemcpyDtoH_v2", d.memcpyDtoH) &&
            resolve(library, "cuMemsetD8_v2", d.memsetD8) &&
            resolve(library, "cuModuleLoadData", d.moduleLoadData) &&
            resolve(library, "cuModuleUnload", d.moduleUnload) &&
            resolve(library, "cuModuleGetFunction", d.moduleGetFunction) &&
            resolve(library, "cuLaunchKernel", d.launchKernel) &&
            resolve(library, "cuStreamCreate", d.streamCreate) &&
            resolve(library, "cuStreamDestroy_v2", d.streamDestroy) &&
            resolve(library, "cuStreamSynchronize", d.streamSynchronize) &&
            resolve(library, "cuStreamWaitEvent", d.streamWaitEvent) &&
            resolve(library, "cuEventCreate", d.eventCreate) &&
            resolve(library, "cuEventDestroy_v2", d.eventDestroy) &&
            resolve(library, "cuEventRecord", d.eventRecord) &&
            resolve(library, "cuEventSynchronize", d.eventSynchronize) &&
            resolve(library, "cuGetErrorString", d.getErrorString);
  if (!ok)
    return fail(error, size, "%s; libcuda.so.1 lacks %s", kNeeds,
                "a driver API entry point (too old a driver)");
  if (CUresult r = d.init(0); r != kSuccess)
    return fail(error, size, "%s; the driver did not start (%s)", kNeeds,
                describe(r).c_str());
  int version = 0;
  d.driverGetVersion(&version);
  if (version < SPARSEC_CUDA_MIN_DRIVER_VERSION)
    return fail(error, size, "%s; this driver supports CUDA %d.%d", kNeeds,
                version / 1000, version % 1000 / 10);
  int count = 0;
  if (d.deviceGetCount(&count) != kSuccess || count == 0)
    return fail(error, size, "%s; the driver sees no GPU", kNeeds);
  CUdevice device = 0;
  void *context = nullptr;
  if (CUresult r = d.deviceGet(&device, 0); r != kSuccess)
    return fail(error, size, "CUDA device 0: %s", describe(r).c_str());
  if (CUresult r = d.primaryCtxRetain(&context, device); r != kSuccess)
    return fail(error, size, "CUDA context: %s", describe(r).c_str());
  if (CUresult r = d.ctxSetCurrent(context); r != kSuccess)
    return fail(error, size, "CUDA context: %s", describe(r).c_str());
  s.ready = true;
  return 0;
}

extern "C" int sparsec_cuda_alloc(void **device, size_t bytes, char *error,
                                  size_t size) {
  CUdeviceptr pointer = 0;
  if (!state().ready)
    return fail(error, size, "CUDA is not initialised");
  if (CUresult r = state().driver.memAlloc(&pointer, bytes ? bytes : 1);
      r != kSuccess)
    return fail(error, size, "cannot allocate %zu bytes of GPU memory: %s",
                bytes, describe(r).c_str());
  *device = reinterpret_cast<void *>(pointer);
  return 0;
}

extern "C" void sparsec_cuda_free(void *device) {
  if (state().ready && device)
    state().driver.memFree(reinterpret_cast<CUdeviceptr>(device));
}

extern "C" int sparsec_cuda_upload(void *device, const void *host, size_t bytes,
                                   char *error, size_t size) {
  if (CUresult r = state().driver.memcpyHtoD(
          reinterpret_cast<CUdeviceptr>(device), host, bytes);
      r != kSuccess)
    return fail(error, size, "copy of %zu bytes to the GPU: %s", bytes,
                describe(r).c_str());
  return 0;
}

extern "C" int sparsec_cuda_download(void *host, const void *device,
                                     size_t bytes, char *error, size_t size) {
  if (CUresult r = state().driver.memcpyDtoH(
          host, reinterpret_cast<CUdeviceptr>(device), bytes);
      r != kSuccess)
    return fail(error, size, "copy of %zu bytes from the GPU: %s", bytes,
                describe(r).c_str());
  return 0;
}

extern "C" int sparsec_cuda_zero(void *device, size_t bytes, char *error,
                                 size_t size) {
  if (CUresult r = state().driver.memsetD8(
          reinterpret_cast<CUdeviceptr>(device), 0, bytes);
      r != kSuccess)
    return fail(error, size, "zeroing %zu bytes of GPU memory: %s", bytes,
                describe(r).c_str());
  return 0;
}

extern "C" int sparsec_cuda_take_error(char *error, size_t size) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.firstError.empty())
    return 0;
  std::string message = std::move(s.firstError);
  s.firstError.clear();
  return fail(error, size, "%s", message.c_str());
}

//===----------------------------------------------------------------------===//
// The mgpu* ABI of MLIR's gpu-to-llvm lowering
//===----------------------------------------------------------------------===//

extern "C" void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  return new LazyModule{data, nullptr, {}};
}

extern "C" void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  // PTX text, NUL-terminated: cuModuleLoadData JIT-compiles it.
  return new LazyModule{data, nullptr, {}};
}

extern "C" void mgpuModuleUnload(void *handle) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (!lazy)
    return;
  // At exit the driver may already be torn down: only unload what a live
  // context loaded.
  if (lazy->module && state().ready)
    state().driver.moduleUnload(lazy->module);
  delete lazy;
}

extern "C" void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *lazy = static_cast<LazyModule *>(handle);
  if (!usable() || !lazy)
    return nullptr;
  if (!lazy->module) {
    CUresult r = state().driver.moduleLoadData(&lazy->module, lazy->image);
    if (r != kSuccess) {
      record("loading the step's GPU kernels", r);
      lazy->module = nullptr;
      return nullptr;
    }
  }
  auto it = lazy->functions.find(name);
  if (it != lazy->functions.end())
    return it->second;
  void *function = nullptr;
  CUresult r = state().driver.moduleGetFunction(&function, lazy->module, name);
  record(name, r);
  lazy->functions[name] = function;
  return function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ, int32_t smem,
                                 void *stream, void **params, void **extra,
                                 size_t /*paramsCount*/) {
  if (!usable() || !function)
    return;
  record("kernel launch", state().driver.launchKernel(
                              function, gridX, gridY, gridZ, blockX, blockY,
                              blockZ, smem, stream, params, extra));
}

extern "C" void *mgpuStreamCreate() {
  void *stream = nullptr;
  if (usable())
    record("stream", state().driver.streamCreate(&stream, /*flags=*/1));
  return stream;
}

extern "C" void mgpuStreamDestroy(void *stream) {
  if (state().ready && stream)
    state().driver.streamDestroy(stream);
}

extern "C" void mgpuStreamSynchronize(void *stream) {
  if (usable())
    record("the step's GPU work", state().driver.streamSynchronize(stream));
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  if (usable() && event)
    record("stream wait", state().driver.streamWaitEvent(stream, event, 0));
}

extern "C" void *mgpuEventCreate() {
  void *event = nullptr;
  // CU_EVENT_DISABLE_TIMING: ordering only.
  if (usable())
    record("event", state().driver.eventCreate(&event, /*flags=*/2));
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  if (state().ready && event)
    state().driver.eventDestroy(event);
}

extern "C" void mgpuEventSynchronize(void *event) {
  if (usable() && event)
    record("event wait", state().driver.eventSynchronize(event));
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  if (usable() && event)
    record("event record", state().driver.eventRecord(event, stream));
}
