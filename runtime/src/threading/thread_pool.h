//===- thread_pool.h - the parallel-for generated code calls ----*- C++ -*-===//
//
// A fixed set of worker threads plus the calling thread. parallelFor hands
// out [0, n) in contiguous blocks of about n / (8 x threads) iterations
// (one at a time for small n, such as a sparse FFN's 16 neuron chunks) from
// a shared counter, so a thread that finishes early takes the next block:
// the active neurons of a sparse layer are not spread evenly over its
// chunks. Which thread runs a block never changes a result (kernels write
// disjoint outputs), and it returns when all blocks are done.
//
// Between calls a worker first spins on the call counter for a short
// while (a millisecond at most), then sleeps on a
// condition variable; the caller waits for the workers the same way. A
// decode step makes a hundred or so calls, each a few hundred
// microseconds apart: a futex wake-up per call (tens of microseconds of
// latency, and a descheduled worker) cost 5-10% of a step at two threads.
// A pool left idle sleeps after the spin, so it costs nothing between
// steps.
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

#include <atomic>
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

  /// Runs body(begin, end) over a partition of [0, n) into blocks, on all
  /// threads; not reentrant.
  void parallelFor(int64_t n,
                   const std::function<void(int64_t, int64_t)> &body);

private:
  ThreadPool() = default;
  /// Starts `workers` workers; on failure stops and joins those started.
  Status start(int workers);
  void stopAndJoin();
  void workerLoop();
  /// Runs blocks of the current call until none is left.
  void runBlocks(const std::function<void(int64_t, int64_t)> &body, int64_t n,
                 int64_t grain);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)> *body_ = nullptr;
  int64_t n_ = 0, grain_ = 1;
  std::atomic<int64_t> next_{0}; ///< first iteration not yet handed out
  /// Incremented (under mutex_) when a call's fields above are set.
  std::atomic<uint64_t> generation_{0};
  /// Workers that have not finished the current call.
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_THREADING_THREAD_POOL_H
