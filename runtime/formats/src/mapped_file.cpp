//===- mapped_file.cpp - read-only memory-mapped files ----------*- C++ -*-===//

#include "sparsec/formats/mapped_file.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __GLIBC__
extern "C" char *program_invocation_short_name;
#endif

namespace sparsec {

//===----------------------------------------------------------------------===//
// The SIGBUS guard
//===----------------------------------------------------------------------===//

namespace {

/// A live mapping and the line to print when touching it faults. The
/// handler only reads these atomics and writes the preformatted message.
struct GuardSlot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<char *> message{nullptr};
  std::atomic<size_t> length{0};
};

/// Mappings beyond this many stay unguarded (a SIGBUS in one then kills the
/// process as it would without the handler).
constexpr int kGuardSlots = 256;
GuardSlot guardSlots[kGuardSlots];
struct sigaction previousSigbus;
std::once_flag installOnce;

void onSigbus(int signal, siginfo_t *info, void *context) {
  uintptr_t address = reinterpret_cast<uintptr_t>(info ? info->si_addr : 0);
  if (info && info->si_code > 0) { // raised by a fault, not by kill()
    for (GuardSlot &slot : guardSlots) {
      uintptr_t begin = slot.begin.load(std::memory_order_acquire);
      uintptr_t end = slot.end.load(std::memory_order_acquire);
      if (begin <= address && address < end) {
        const char *message = slot.message.load(std::memory_order_acquire);
        size_t length = slot.length.load(std::memory_order_acquire);
        while (message && length > 0) {
          ssize_t written = ::write(STDERR_FILENO, message, length);
          if (written <= 0)
            break;
          message += written;
          length -= static_cast<size_t>(written);
        }
        ::_exit(1);
      }
    }
  }
  // Not one of ours: what was there before.
  if ((previousSigbus.sa_flags & SA_SIGINFO) && previousSigbus.sa_sigaction) {
    previousSigbus.sa_sigaction(signal, info, context);
    return;
  }
  if (previousSigbus.sa_handler != SIG_DFL &&
      previousSigbus.sa_handler != SIG_IGN) {
    previousSigbus.sa_handler(signal);
    return;
  }
  // Default action: returning re-executes the faulting access, which now
  // kills the process with SIGBUS; a SIGBUS sent by kill() is raised again.
  ::signal(SIGBUS, SIG_DFL);
  if (!info || info->si_code <= 0)
    ::raise(SIGBUS);
}

void installSigbusHandler() {
  std::call_once(installOnce, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_sigaction = &onSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previousSigbus);
  });
}

const char *programName() {
#ifdef __GLIBC__
  if (program_invocation_short_name && *program_invocation_short_name)
    return program_invocation_short_name;
#endif
  return "sparsec";
}

/// "PROGRAM: error: PATH: NOTE (SIGBUS)\n", on the heap (the handler reads
/// it while the mapping lives).
char *formatMessage(const std::string &path, const std::string &note,
                    size_t &length) {
  std::string text = escapeForMessage(programName()) +
                     ": error: " + escapeForMessage(path) + ": " +
                     escapeForMessage(note) + " (SIGBUS)\n";
  char *copy = static_cast<char *>(std::malloc(text.size()));
  if (!copy)
    return nullptr;
  std::memcpy(copy, text.data(), text.size());
  length = text.size();
  return copy;
}

void setSlotMessage(int index, const std::string &path,
                    const std::string &note) {
  GuardSlot &slot = guardSlots[index];
  size_t length = 0;
  char *message = formatMessage(path, note, length);
  // Readers see either the old message with its length or nothing, never a
  // mix: clear the length first.
  slot.length.store(0, std::memory_order_release);
  char *old = slot.message.exchange(message, std::memory_order_acq_rel);
  slot.length.store(message ? length : 0, std::memory_order_release);
  std::free(old);
}

/// Registers [data, data + size); the slot index, or -1 when all are taken.
int guardMapping(const uint8_t *data, size_t size, const std::string &path) {
  installSigbusHandler();
  for (int i = 0; i < kGuardSlots; ++i) {
    bool expected = false;
    if (!guardSlots[i].used.compare_exchange_strong(expected, true))
      continue;
    setSlotMessage(i, path,
                   "the file was truncated or changed while it was mapped");
    guardSlots[i].end.store(reinterpret_cast<uintptr_t>(data) + size,
                            std::memory_order_release);
    guardSlots[i].begin.store(reinterpret_cast<uintptr_t>(data),
                              std::memory_order_release);
    return i;
  }
  return -1;
}

void unguardMapping(int index) {
  if (index < 0)
    return;
  GuardSlot &slot = guardSlots[index];
  slot.begin.store(0, std::memory_order_release);
  slot.end.store(0, std::memory_order_release);
  slot.length.store(0, std::memory_order_release);
  std::free(slot.message.exchange(nullptr, std::memory_order_acq_rel));
  slot.used.store(false, std::memory_order_release);
}

FileIdentity identityOf(const struct stat &st) {
  FileIdentity identity;
  identity.device = static_cast<uint64_t>(st.st_dev);
  identity.inode = static_cast<uint64_t>(st.st_ino);
  identity.size = static_cast<uint64_t>(st.st_size);
  identity.mtimeSeconds = static_cast<int64_t>(st.st_mtim.tv_sec);
  identity.mtimeNanoseconds = static_cast<int64_t>(st.st_mtim.tv_nsec);
  return identity;
}

} // namespace

//===----------------------------------------------------------------------===//
// MappedFile
//===----------------------------------------------------------------------===//

StatusOr<MappedFile> MappedFile::open(const std::string &path) {
  const std::string quoted = escapeForMessage(path);
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
  // writer; it changes nothing for a regular file, the only kind accepted.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kIoError,
                  quoted + ": cannot open: " + std::strerror(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status(StatusCode::kIoError,
                  quoted + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(StatusCode::kInvalidArgument,
                  quoted + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  const uint8_t *data = nullptr;
  if (size > 0) {
    void *mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Status(StatusCode::kIoError,
                    quoted + ": cannot mmap: " + std::strerror(err));
    }
    data = static_cast<const uint8_t *>(mapping);
  }
  ::close(fd); // the mapping keeps the file alive
  MappedFile file(path, data, size, identityOf(st));
  if (size > 0)
    file.guard_ = guardMapping(data, size, path);
  return file;
}

Status MappedFile::checkUnchanged() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    int err = errno;
    return Status(StatusCode::kFailedPrecondition,
                  escapeForMessage(path_) +
                      ": the file was removed or "
                      "replaced since it was loaded (" +
                      std::strerror(err) + ")");
  }
  FileIdentity now = identityOf(st);
  if (now == identity_)
    return Status::ok();
  std::string what;
  if (now.device != identity_.device || now.inode != identity_.inode)
    what = "replaced by another file";
  else if (now.size != identity_.size)
    what = "resized from " + std::to_string(identity_.size) + " to " +
           std::to_string(now.size) + " bytes";
  else
    what = "modified";
  return Status(StatusCode::kFailedPrecondition,
                escapeForMessage(path_) + ": the file was " + what +
                    " since it was loaded; load the model again");
}

void MappedFile::setTruncationNote(const std::string &note) {
  if (guard_ >= 0)
    setSlotMessage(guard_, path_, note);
}

MappedFile::MappedFile(MappedFile &&other) noexcept
    : path_(std::move(other.path_)), data_(other.data_), size_(other.size_),
      identity_(other.identity_), guard_(other.guard_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.guard_ = -1;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    data_ = other.data_;
    size_ = other.size_;
    identity_ = other.identity_;
    guard_ = other.guard_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.guard_ = -1;
  }
  return *this;
}

MappedFile::~MappedFile() { reset(); }

void MappedFile::reset() {
  unguardMapping(guard_);
  guard_ = -1;
  if (data_ && size_ > 0)
    ::munmap(const_cast<uint8_t *>(data_), size_);
  data_ = nullptr;
  size_ = 0;
}

} // namespace sparsec
