//===- stream_triad.cpp - memory bandwidth, STREAM-style --------*- C++ -*-===//
//
// a[i] = b[i] + s * c[i] over arrays far larger than the caches, split over
// N threads; prints the best of several repetitions in GB/s, counting 3
// arrays of traffic per element as STREAM does. The decode benchmark runs
// it in the same session so every result is also a fraction of this
// roofline.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

int main(int argc, char **argv) {
  int threads = 1;
  size_t megabytes = 256; // per array
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--mb") && i + 1 < argc)
      megabytes = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr,
                   "usage: sparsec-stream [--threads N] [--mb MB-per-array]\n");
      return 1;
    }
  }
  if (threads < 1 || megabytes < 16) {
    std::fprintf(stderr, "sparsec-stream: need --threads >= 1, --mb >= 16\n");
    return 1;
  }
  size_t n = megabytes * 1024 * 1024 / sizeof(float);
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  double best = 1e30;
  for (int rep = 0; rep < 8; ++rep) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        size_t lo = n * t / threads, hi = n * (t + 1) / threads;
        float *pa = a.data(), *pb = b.data(), *pc = c.data();
        for (size_t i = lo; i < hi; ++i)
          pa[i] = pb[i] + 3.0f * pc[i];
      });
    for (std::thread &w : workers)
      w.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  if (a[n / 2] != 7.0f) { // keeps the loop alive, checks it ran
    std::fprintf(stderr, "sparsec-stream: wrong result\n");
    return 1;
  }
  std::printf("%.2f\n", 3.0 * n * sizeof(float) / best / 1e9);
  return 0;
}
