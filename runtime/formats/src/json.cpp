//===- json.cpp - bounded, strict JSON parsing for the runtime --*- C++ -*-===//

#include "sparsec/formats/json.h"

#include "sparsec/formats/limits.h"

#include <unordered_set>
#include <vector>

namespace sparsec {

using nlohmann::json;

namespace {

/// Tracks the open objects and arrays while nlohmann parses, to find the
/// first repeated key and the path to it ("weight_map.a", "tensors[2].name").
class DuplicateFinder {
public:
  bool event(int /*depth*/, json::parse_event_t event, json &parsed) {
    switch (event) {
    case json::parse_event_t::object_start:
    case json::parse_event_t::array_start:
      countElement();
      frames_.push_back(Frame{event == json::parse_event_t::object_start});
      break;
    case json::parse_event_t::object_end:
    case json::parse_event_t::array_end:
      if (!frames_.empty())
        frames_.pop_back();
      break;
    case json::parse_event_t::key:
      if (!frames_.empty() && parsed.is_string()) {
        Frame &top = frames_.back();
        top.key = parsed.get_ref<const std::string &>();
        if (!found_ && !top.keys.insert(top.key).second) {
          found_ = true;
          duplicate_ = top.key;
          depth_ = frames_.size();
          parent_ = pathOfParent();
        }
      }
      break;
    case json::parse_event_t::value:
      countElement();
      break;
    }
    return true;
  }

  bool found() const { return found_; }
  const std::string &duplicate() const { return duplicate_; }
  /// 1 for a key of the top-level object.
  size_t depth() const { return depth_; }
  /// "tensors[2]" for a key of that object; empty at the top level.
  const std::string &parent() const { return parent_; }

private:
  struct Frame {
    bool object;
    std::unordered_set<std::string> keys{};
    std::string key{};
    int64_t index = -1;
  };

  void countElement() {
    if (!frames_.empty() && !frames_.back().object)
      ++frames_.back().index;
  }

  std::string pathOfParent() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame &frame = frames_[i];
      if (frame.object) {
        if (!path.empty())
          path += ".";
        path += frame.key;
      } else {
        path += "[" + std::to_string(frame.index) + "]";
      }
    }
    return path;
  }

  std::vector<Frame> frames_;
  bool found_ = false;
  std::string duplicate_;
  size_t depth_ = 0;
  std::string parent_;
};

} // namespace

Status parseJson(std::string_view text, const std::string &path, json &out,
                 const JsonParseOptions &options) {
  if (Status status = limits::checkJsonLimits(text.data(), text.size(), path);
      !status.isOk())
    return status;
  const char *begin = text.data();
  const char *end = begin + text.size();
  if (!options.rejectDuplicateKeys) {
    out = json::parse(begin, end, /*cb=*/nullptr, /*allow_exceptions=*/false);
    return Status::ok();
  }
  DuplicateFinder finder;
  out = json::parse(
      begin, end,
      [&finder](int depth, json::parse_event_t event, json &parsed) {
        return finder.event(depth, event, parsed);
      },
      /*allow_exceptions=*/false);
  if (out.is_discarded() || !finder.found())
    return Status::ok();
  std::string message = escapeForMessage(path) + ": ";
  if (finder.depth() == 1 && options.topLevelKeyNoun) {
    message += std::string(options.topLevelKeyNoun) + " '" +
               escapeForMessage(finder.duplicate()) + "' appears twice";
    if (options.topLevelWhere)
      message += std::string(" ") + options.topLevelWhere;
  } else {
    std::string key = finder.parent().empty()
                          ? finder.duplicate()
                          : finder.parent() + "." + finder.duplicate();
    message += "key '" + escapeForMessage(key) + "' appears twice";
  }
  message += " (a repeated key would silently replace the first)";
  return Status(StatusCode::kDataLoss, message);
}

} // namespace sparsec
