#include "analysis/output_file.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace apq {

namespace fs = std::filesystem;

namespace {

// The temporary files being written, for the signal handlers, which may only unlink what is already there. A
// process-wide table by necessity (a handler has no other way in); slots hold strdup'ed paths.
std::array<std::atomic<char*>, 64> g_temporaries{};

int remember_temporary(const fs::path& path) {
  char* copy = ::strdup(path.c_str());
  for (std::size_t i = 0; copy != nullptr && i < g_temporaries.size(); ++i) {
    char* expected = nullptr;
    if (g_temporaries[i].compare_exchange_strong(expected, copy))
      return static_cast<int>(i);
  }
  std::free(copy); // more than 64 files at once: still removed by the destructor, not by a signal
  return -1;
}

void forget_temporary(int slot) {
  if (slot >= 0)
    std::free(g_temporaries[static_cast<std::size_t>(slot)].exchange(nullptr));
}

std::string location_of(const fs::path& target, const std::string& flag) {
  return flag.empty() ? target.string() : flag + " " + target.string();
}

/** Where the data of `target` goes: symlinks followed, and whether that is a device, FIFO or socket. */
struct Destination {
  fs::path path;
  bool special = false;
};

Destination resolve(const fs::path& target, const std::string& location) {
  struct stat info {};
  if (::stat(target.c_str(), &info) == 0) { // exists, symlinks followed
    if (S_ISDIR(info.st_mode))
      throw IoError(location, "cannot write " + target.string() + ": it is a directory; name a file in it");
    if (!S_ISREG(info.st_mode)) // through the path as given: /dev/stdout is a link the kernel resolves itself
      return Destination{target, true};
    std::error_code ec;
    const fs::path real = fs::canonical(target, ec); // the file a symlink points to is the one replaced
    return Destination{ec ? target : real, false};
  }
  if (errno != ENOENT)
    throw IoError(location, "cannot write " + target.string() + ": " + std::strerror(errno));
  // A new file, possibly behind a dangling symlink: it goes where the link points.
  fs::path path = target;
  for (int hops = 0; ::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode); ++hops) {
    if (hops == 40)
      throw IoError(location, "cannot write " + target.string() + ": too many levels of symbolic links");
    std::error_code ec;
    const fs::path link = fs::read_symlink(path, ec);
    if (ec)
      throw IoError(location, "cannot follow the symbolic link " + path.string() + ": " + ec.message());
    path = link.is_absolute() ? link : path.parent_path() / link;
  }
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw IoError(location, "cannot write " + path.string() + ": directory " + dir.string() + " does not exist");
  return Destination{path, false};
}

/** A new temporary file next to `final`, open for writing; its name goes into `temporary`. */
int create_temporary(const fs::path& final, fs::path& temporary) {
  const fs::path dir = final.parent_path().empty() ? fs::path(".") : final.parent_path();
  std::string name = (dir / ("." + final.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0)
    temporary = name;
  return fd;
}

} // namespace

IoError::IoError(const std::string& location, const std::string& message)
    : std::runtime_error(location.empty() ? "error: " + message : location + ": error: " + message) {}

OutputFile::OutputFile(fs::path target, std::string flag) : target_(std::move(target)), flag_(std::move(flag)) {
  const Destination destination = resolve(target_, location_of(target_, flag_));
  final_ = destination.path;
  if (destination.special) {
    fd_ = ::open(final_.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0)
      fail("cannot open " + final_.string(), errno);
    return;
  }
  fd_ = create_temporary(final_, temporary_);
  if (fd_ < 0)
    fail("cannot create a file in " + (final_.parent_path().empty() ? std::string(".") : final_.parent_path().string()),
         errno);
  slot_ = remember_temporary(temporary_);
  // mkstemp gives 0600; a result file gets what a plain open would (0666 less the umask), or keeps the mode of the
  // file it replaces.
  struct stat existing {};
  mode_t mode = 0;
  if (::stat(final_.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  ::fchmod(fd_, mode);
}

OutputFile::~OutputFile() {
  if (!committed_)
    discard();
}

void OutputFile::discard() noexcept {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  if (!temporary_.empty())
    ::unlink(temporary_.c_str());
  forget_temporary(slot_);
  slot_ = -1;
}

void OutputFile::fail(const std::string& what, int error) {
  discard();
  throw IoError(location_of(target_, flag_), what + ": " + std::strerror(error));
}

void OutputFile::write(std::string_view data) {
  buffer_.append(data);
  if (buffer_.size() >= (1u << 20))
    flush();
}

void OutputFile::flush() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("cannot write " + final_.string(), errno);
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

void OutputFile::commit() {
  flush();
  if (temporary_.empty()) { // written through: a device or pipe has nothing to sync or rename
    const int fd = fd_;
    fd_ = -1;
    committed_ = true;
    if (::close(fd) != 0 && errno != EINTR)
      throw IoError(location_of(target_, flag_), "cannot write " + final_.string() + ": " + std::strerror(errno));
    return;
  }
  if (::fsync(fd_) != 0)
    fail("cannot write " + final_.string(), errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && errno != EINTR)
    fail("cannot write " + final_.string(), errno);
  // The target may have become something else meanwhile (a directory, a device): rename only onto a regular file
  // or a new path.
  struct stat now {};
  if (::lstat(final_.c_str(), &now) == 0 && !S_ISREG(now.st_mode))
    fail("cannot replace " + final_.string() + ": it is no longer a regular file", EEXIST);
  if (::rename(temporary_.c_str(), final_.c_str()) != 0)
    fail("cannot rename the finished file onto " + final_.string(), errno);
  committed_ = true;
  forget_temporary(slot_);
  slot_ = -1;
  // The rename is durable once the directory is: best effort (some file systems refuse to sync a directory).
  const fs::path dir = final_.parent_path().empty() ? fs::path(".") : final_.parent_path();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_output_file(const fs::path& path, std::string_view content, const std::string& flag) {
  OutputFile file(path, flag);
  file.write(content);
  file.commit();
}

void check_output_path(const fs::path& target, const std::string& flag) {
  if (target.empty())
    return;
  const std::string location = location_of(target, flag);
  const Destination destination = resolve(target, location);
  if (destination.special) {
    if (::access(destination.path.c_str(), W_OK) != 0)
      throw IoError(location, "cannot write " + destination.path.string() + ": " + std::strerror(errno));
    return;
  }
  // Try what the writer will do: create a temporary file there (then remove it).
  fs::path probe;
  const int fd = create_temporary(destination.path, probe);
  if (fd < 0)
    throw IoError(location, "cannot create a file in " +
                                (destination.path.parent_path().empty() ? std::string(".")
                                                                        : destination.path.parent_path().string()) +
                                ": " + std::strerror(errno));
  ::close(fd);
  ::unlink(probe.c_str());
}

void prepare_output_directory(const fs::path& dir, const std::string& flag) {
  const std::string location = location_of(dir, flag);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw IoError(location, dir.string() + " exists and is not a directory");
  fs::create_directories(dir, ec);
  if (ec)
    throw IoError(location, "cannot create directory " + dir.string() + ": " + ec.message());
  check_output_path(dir / "results.json", flag);
}

void remove_temporary_files() noexcept {
  for (auto& slot : g_temporaries)
    if (const char* path = slot.load())
      ::unlink(path);
}

void forget_temporary_files() noexcept {
  for (auto& slot : g_temporaries)
    slot.store(nullptr); // the child leaks its copies of the strings: it is about to run and _exit
}

} // namespace apq
