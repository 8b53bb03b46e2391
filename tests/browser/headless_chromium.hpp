#pragma once
// Debian's Chromium, headless, driven through the DevTools protocol over a pipe (--remote-debugging-pipe: commands
// on fd 3, answers and events on fd 4, each a JSON text ended by a NUL byte). Nothing is downloaded: no npm, no
// Playwright, no network; the browser is the one `bash .ci/setup test` installs.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace apq::test {

using Json = nlohmann::json;

class HeadlessChromium {
public:
  /** Starts the browser with a fresh profile in `profile_dir` (created, and removed by the destructor), its own
   *  output to `log_file`, and a page of `width` x `height` CSS pixels. Throws std::runtime_error if it cannot. */
  HeadlessChromium(const std::string& executable, const std::filesystem::path& profile_dir,
                   const std::filesystem::path& log_file, int width = 1280, int height = 900);
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  /** Opens `url` and waits for its load event. */
  void open(const std::string& url);
  /** The value of a JavaScript expression in the page (returned by value: a JSON-able result). Throws if it threw. */
  Json evaluate(const std::string& expression);
  /** Evaluates `expression` until it is true, at most `timeout`; false if it never was. */
  bool wait_until(const std::string& expression, std::chrono::milliseconds timeout);
  /** A PNG of the whole page, resized to its full height (at most `max_height` pixels). */
  std::string screenshot_png(int max_height = 12000);

  /** What the page said on its console at level error, and uncaught exceptions, so far. */
  const std::vector<std::string>& console_errors() const { return errors_; }

private:
  Json call(const std::string& method, const Json& params = Json::object(), bool in_page = true);
  Json receive(std::chrono::steady_clock::time_point deadline);
  void note_event(const Json& message);

  int pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string buffer_;
  long next_id_ = 1;
  std::string session_;
  std::filesystem::path profile_;
  int width_;
  std::vector<std::string> errors_;
  bool loaded_ = false;
};

} // namespace apq::test
