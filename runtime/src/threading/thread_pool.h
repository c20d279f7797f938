//===- thread_pool.h - the parallel-for generated code calls ----*- C++ -*-===//
//
// A fixed set of worker threads plus the calling thread. parallelFor splits
// [0, n) into one contiguous range per thread and returns when all are
// done. Workers wait on a condition variable between calls; a call costs a
// wake-up and a join, small next to a matvec over a weight matrix.
//
// Creation never throws and never hangs: when a worker cannot be started
// (std::thread throws std::system_error under RLIMIT_NPROC, a memory limit,
// ...), the workers already started are stopped and joined, and create()
// returns the error as a Status.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_THREADING_THREAD_POOL_H
#define SPARSEC_RUNTIME_THREADING_THREAD_POOL_H

#include "sparsec/formats/status.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sparsec {

class ThreadPool {
public:
  /// `threads` in [1, limits::kMaxThreads] counts the caller; 1 runs
  /// everything inline. Starts threads - 1 workers.
  static StatusOr<std::unique_ptr<ThreadPool>> create(int threads);
  ~ThreadPool();

  /// Tests only: the `n`th worker started from now on (1-based, counted
  /// over all pools) fails as std::thread does when the OS refuses a thread;
  /// 0 turns the failure off.
  static void failThreadCreationForTesting(int n);
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  /// Runs body(begin, end) over a partition of [0, n); not reentrant.
  void parallelFor(int64_t n,
                   const std::function<void(int64_t, int64_t)> &body);

private:
  ThreadPool() = default;
  /// Starts `workers` workers; on failure stops and joins those started.
  Status start(int workers);
  void stopAndJoin();
  void workerLoop(int index);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t n_ = 0;
  uint64_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_THREADING_THREAD_POOL_H
