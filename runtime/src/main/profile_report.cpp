//===- profile_report.cpp - the --profile table ---------------------------===//

#include "main/profile_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

namespace sparsec {

std::string kernelKind(const std::string &name) {
  // A number right after "layer ", "expert " or "layers." is a position in
  // the model, not part of the kernel's kind.
  static const char *const kPrefixes[] = {"layer ", "expert ", "layers."};
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    bool replaced = false;
    for (const char *prefix : kPrefixes) {
      std::string p(prefix);
      if (name.compare(i, p.size(), p) != 0)
        continue;
      size_t digits = i + p.size();
      size_t end = digits;
      while (end < name.size() &&
             std::isdigit(static_cast<unsigned char>(name[end])))
        ++end;
      if (end == digits)
        continue;
      out += p + "*";
      i = end;
      replaced = true;
      break;
    }
    if (!replaced)
      out += name[i++];
  }
  return out;
}

std::string formatProfile(int64_t steps, double stepSeconds,
                          const std::vector<KernelTime> &kernels, size_t top) {
  if (steps <= 0)
    return "sparsec profile: no step ran\n";
  double perStep = 1000.0 / static_cast<double>(steps);
  double stepMs = stepSeconds * perStep;
  double kernelSeconds = 0.0;
  for (const KernelTime &k : kernels)
    kernelSeconds += k.seconds;
  double kernelMs = kernelSeconds * perStep;
  // The kernels run inside the step, so their sum is at most its time; a
  // clock's rounding aside.
  double serialMs = std::max(0.0, stepMs - kernelMs);
  auto percent = [&](double ms) {
    return stepMs > 0.0 ? 100.0 * ms / stepMs : 0.0;
  };

  std::string out;
  // Names are as long as the model's module names make them: the first
  // column is as wide as the longest one printed.
  int width = 30;
  for (const KernelTime &k : kernels)
    if (k.calls > 0)
      width = std::min(200, std::max(width, static_cast<int>(k.name.size())));
  char line[1024];
  std::snprintf(line, sizeof line,
                "\nsparsec profile: %lld steps, %.3f ms/step (kernels %.3f ms, "
                "serial code %.3f ms)\n",
                static_cast<long long>(steps), stepMs, kernelMs, serialMs);
  out += line;

  struct Kind {
    int64_t kernels = 0, calls = 0;
    double seconds = 0.0;
  };
  std::map<std::string, Kind> kinds;
  for (const KernelTime &k : kernels) {
    if (k.calls == 0)
      continue;
    Kind &kind = kinds[kernelKind(k.name)];
    kind.kernels += 1;
    kind.calls += k.calls;
    kind.seconds += k.seconds;
  }
  std::vector<std::pair<std::string, Kind>> byTime(kinds.begin(), kinds.end());
  // Slowest first; equal times in name order.
  std::sort(byTime.begin(), byTime.end(), [](const auto &a, const auto &b) {
    return a.second.seconds != b.second.seconds
               ? a.second.seconds > b.second.seconds
               : a.first < b.first;
  });
  std::snprintf(line, sizeof line, "  %-*s %7s %10s %9s %6s\n", width,
                "kernel kind (layers folded)", "kernels", "calls/step",
                "ms/step", "%");
  out += line;
  for (const auto &[name, kind] : byTime) {
    double ms = kind.seconds * perStep;
    std::snprintf(line, sizeof line, "  %-*s %7lld %10.2f %9.3f %6.1f\n", width,
                  name.c_str(), static_cast<long long>(kind.kernels),
                  static_cast<double>(kind.calls) / static_cast<double>(steps),
                  ms, percent(ms));
    out += line;
  }
  std::snprintf(line, sizeof line, "  %-*s %7s %10s %9.3f %6.1f\n", width,
                "serial code (between kernels)", "", "", serialMs,
                percent(serialMs));
  out += line;

  std::vector<const KernelTime *> slowest;
  for (const KernelTime &k : kernels)
    if (k.calls > 0)
      slowest.push_back(&k);
  // Slowest first; equal times in kernel order.
  std::sort(slowest.begin(), slowest.end(),
            [](const KernelTime *a, const KernelTime *b) {
              return a->seconds != b->seconds ? a->seconds > b->seconds : a < b;
            });
  if (slowest.size() > top)
    slowest.resize(top);
  if (!slowest.empty()) {
    std::snprintf(line, sizeof line, "  %-*s %7s %10s %9s %6s\n", width,
                  "slowest kernels", "", "", "ms/step", "%");
    out += line;
  }
  for (const KernelTime *k : slowest) {
    double ms = k->seconds * perStep;
    std::snprintf(line, sizeof line, "  %-*s %7s %10s %9.3f %6.1f\n", width,
                  k->name.c_str(), "", "", ms, percent(ms));
    out += line;
  }
  return out;
}

} // namespace sparsec
