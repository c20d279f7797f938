//===- thread_pool.cpp - the parallel-for generated code calls --*- C++ -*-===//

#include "threading/thread_pool.h"

#include "sparsec/formats/limits.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <new>
#include <system_error>

namespace sparsec {

namespace {
/// failThreadCreationForTesting's countdown: 0 off, else the worker start
/// that throws.
std::atomic<int> failingThread{0};
} // namespace

void ThreadPool::failThreadCreationForTesting(int n) { failingThread.store(n); }

StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::create(int threads) {
  if (threads < 1 || threads > limits::kMaxThreads)
    return Status(StatusCode::kInvalidArgument,
                  "cannot run " + std::to_string(threads) +
                      " threads: expected a count in [1, " +
                      std::to_string(limits::kMaxThreads) + "]");
  std::unique_ptr<ThreadPool> pool(new ThreadPool());
  if (Status status = pool->start(threads - 1); !status.isOk())
    return status;
  return pool;
}

Status ThreadPool::start(int workers) {
  std::string error;
  try {
    workers_.reserve(static_cast<size_t>(workers));
    for (int i = 1; i <= workers; ++i) {
      int countdown = failingThread.load();
      if (countdown > 0 && failingThread.fetch_sub(1) == 1)
        throw std::system_error(EAGAIN, std::generic_category());
      workers_.emplace_back([this, i] { workerLoop(i); });
    }
    return Status::ok();
  } catch (const std::system_error &e) {
    error = e.what();
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  }
  size_t started = workers_.size();
  stopAndJoin();
  workers_.clear();
  return Status(StatusCode::kResourceExhausted,
                "cannot start worker thread " + std::to_string(started + 1) +
                    " of " + std::to_string(workers) + " (" + error +
                    "); ask for fewer threads (--threads, num_threads)");
}

void ThreadPool::stopAndJoin() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    if (worker.joinable())
      worker.join();
}

ThreadPool::~ThreadPool() { stopAndJoin(); }

static void rangeOf(int64_t n, int parts, int index, int64_t &begin,
                    int64_t &end) {
  begin = n * index / parts;
  end = n * (index + 1) / parts;
}

void ThreadPool::parallelFor(
    int64_t n, const std::function<void(int64_t, int64_t)> &body) {
  if (n <= 0)
    return;
  int parts = static_cast<int>(std::min<int64_t>(threads(), n));
  if (parts == 1) {
    body(0, n);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    body_ = &body;
    n_ = n;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  int64_t begin, end;
  rangeOf(n, threads(), 0, begin, end);
  if (begin < end)
    body(begin, end);
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  body_ = nullptr;
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  while (true) {
    const std::function<void(int64_t, int64_t)> *body;
    int64_t n;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_)
        return;
      seen = generation_;
      body = body_;
      n = n_;
    }
    int64_t begin, end;
    rangeOf(n, threads(), index, begin, end);
    if (begin < end)
      (*body)(begin, end);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0)
        done_.notify_one();
    }
  }
}

} // namespace sparsec
