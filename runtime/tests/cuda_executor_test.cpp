//===- cuda_executor_test.cpp - the CUDA executor without a GPU ----------===//
//
// What a CUDA executable does on a machine without NVIDIA's driver (this
// one): one clear line, no crash, nothing launched. Where libcuda.so.1 is
// present the same calls must succeed or name what is missing.
//
//===----------------------------------------------------------------------===//

#include "cuda/cuda_executor.h"
#include "cuda/device_buffers.h"

#include <dlfcn.h>

#include <gtest/gtest.h>

#include <string>

extern "C" {
void *mgpuModuleLoadJIT(void *data, int optLevel);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuModuleUnload(void *module);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
}

namespace {

bool driverPresent() {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library)
    dlclose(library);
  return library != nullptr;
}

TEST(CudaExecutorTest, SaysInOneLineThatItNeedsAGPU) {
  char error[512] = {0};
  int rc = sparsec_cuda_init(error, sizeof error);
  std::string message = error;
  if (!driverPresent()) {
    ASSERT_EQ(rc, -1);
    EXPECT_EQ(message.rfind("this executable needs an NVIDIA GPU with a CUDA "
                            "12.0 or newer driver; none found (",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("libcuda.so.1"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  } else if (rc != 0) {
    // A driver without a usable GPU: still one line saying what it needs.
    EXPECT_EQ(message.rfind("this executable needs", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(CudaExecutorTest, DeviceBuffersFailWithTheSameLine) {
  if (driverPresent())
    GTEST_SKIP() << "libcuda.so.1 is present: the GPU path is covered by "
                    "scripts/gpu-check.sh";
  const char weights[16] = {0};
  auto buffers =
      sparsec::DeviceBuffers::create(weights, sizeof weights, 64, 8, 1, 64);
  ASSERT_FALSE(buffers.isOk());
  EXPECT_EQ(buffers.status().message().rfind(
                "sparsec: this executable needs an NVIDIA GPU", 0),
            0u)
      << buffers.status().message();
}

TEST(CudaExecutorTest, LaunchesWithoutAGPUDoNothingAndRecordNothing) {
  if (driverPresent())
    GTEST_SKIP() << "libcuda.so.1 is present";
  // What a step's constructors and launches call: the binary is only
  // recorded, and with no context nothing runs or crashes.
  static char ptx[] = "// not loaded";
  void *module = mgpuModuleLoadJIT(ptx, 2);
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "kernel"), nullptr);
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr, 0);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  char error[256] = {0};
  EXPECT_EQ(sparsec_cuda_take_error(error, sizeof error), 0) << error;
}

} // namespace
