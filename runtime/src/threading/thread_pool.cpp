//===- thread_pool.cpp - the parallel-for generated code calls --*- C++ -*-===//

#include "threading/thread_pool.h"

#include <algorithm>

namespace sparsec {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < std::max(threads, 1); ++i)
    workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread &worker : workers_)
    worker.join();
}

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
