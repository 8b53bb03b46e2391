// Output files are whole or absent, and nothing is left behind: the one way apqsim writes a result, a trace or a
// sweep's point (configs/README.md, "Output files").
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace apq {

/** A file could not be written (or read back): what() is "LOCATION: error: MESSAGE", the location being the flag
 *  and path ("--json out/r.json") or the path, the message the OS error ("No space left on device"). */
class IoError : public std::runtime_error {
public:
  IoError(const std::string& location, const std::string& message);
};

/** One output file, written so that a reader never sees half of it:
 *  - a new path or a regular file: written to a temporary file in the target's directory (".NAME.tmp.XXXXXX"),
 *    flushed, fsynced, then renamed onto the target, which keeps its permissions. A symlink is followed: the file
 *    it points to is replaced and the link stays;
 *  - a device, FIFO or socket (/dev/stdout, /dev/null, a named pipe): written through in place, never replaced;
 *  - a directory, a missing directory or one we cannot write: IoError at construction, before any work.
 *  Every write is checked: a full disk is an IoError, never a truncated file and exit 0. The temporary file is
 *  removed when the OutputFile dies uncommitted (an exception), and by remove_temporary_files() on a signal. */
class OutputFile {
public:
  /** Opens the temporary (or special) file now; `flag` names the option in messages ("--json"). */
  explicit OutputFile(std::filesystem::path target, std::string flag = {});
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /** Buffered; throws IoError when the OS refuses the data. */
  void write(std::string_view data);
  /** Flush, fsync, rename: the file is there, whole. Throws IoError (and removes the temporary file) otherwise. */
  void commit();

private:
  [[noreturn]] void fail(const std::string& what, int error);
  void flush();
  void discard() noexcept;

  std::filesystem::path target_;    ///< as the user wrote it
  std::filesystem::path final_;     ///< where the data ends up (a symlink resolved)
  std::filesystem::path temporary_; ///< empty when written through
  std::string flag_;
  std::string buffer_;
  int fd_ = -1;
  int slot_ = -1; ///< in the registry of temporary files that signal handlers remove
  bool committed_ = false;
};

/** Writes `content` to `path` through an OutputFile. */
void write_output_file(const std::filesystem::path& path, std::string_view content, const std::string& flag = {});

/** Checks before a long run that `target` could be written (by OutputFile): throws IoError naming `flag`. */
void check_output_path(const std::filesystem::path& target, const std::string& flag);

/** Creates the directory `dir` (and its parents) for results; throws IoError naming `flag` when `dir` is a file, or
 *  cannot be created or written. */
void prepare_output_directory(const std::filesystem::path& dir, const std::string& flag);

/** Removes the temporary file of every OutputFile in progress. Async-signal-safe: the signal handlers call it. */
void remove_temporary_files() noexcept;
/** Forgets them without removing them: a forked child must not touch its parent's files. */
void forget_temporary_files() noexcept;

} // namespace apq
