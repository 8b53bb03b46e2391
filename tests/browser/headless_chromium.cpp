#include "headless_chromium.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace apq::test {

namespace {

constexpr auto kCallTimeout = std::chrono::seconds(60);

std::string base64_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : text) {
    const std::size_t v = alphabet.find(c);
    if (v == std::string::npos)
      continue; // padding, line breaks
    value = (value << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((value >> bits) & 0xff));
    }
  }
  return out;
}

} // namespace

HeadlessChromium::HeadlessChromium(const std::string& executable, const std::filesystem::path& profile_dir,
                                   const std::filesystem::path& log_file, int width, int height)
    : profile_(profile_dir), width_(width) {
  std::filesystem::remove_all(profile_);
  std::filesystem::create_directories(profile_);
  int commands[2], answers[2];
  if (::pipe(commands) != 0 || ::pipe(answers) != 0)
    throw std::runtime_error("pipe failed");
  const std::vector<std::string> args{executable,
                                      "--headless",
                                      "--no-sandbox", // as root, as CI runs
                                      "--disable-gpu",
                                      "--disable-quic",
                                      "--no-first-run",
                                      "--disable-background-networking",
                                      "--disable-component-update",
                                      "--disable-sync",
                                      "--hide-scrollbars",
                                      "--remote-debugging-pipe",
                                      "--user-data-dir=" + profile_.string(),
                                      "--window-size=" + std::to_string(width) + "," + std::to_string(height),
                                      "about:blank"};
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0); // its renderers and helpers with it: the destructor can end them all by this one id
    ::dup2(commands[0], 3);
    ::dup2(answers[1], 4);
    const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    for (int fd = 5; fd < 1024; ++fd)
      ::close(fd);
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(executable.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(commands[0]);
  ::close(answers[1]);
  to_browser_ = commands[1];
  from_browser_ = answers[0];
  const Json target = call("Target.createTarget", {{"url", "about:blank"}}, false);
  const Json attached = call("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, false);
  session_ = attached.at("sessionId").get<std::string>();
  for (const char* domain : {"Runtime.enable", "Log.enable", "Page.enable"})
    call(domain);
  call("Emulation.setDeviceMetricsOverride",
       {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

HeadlessChromium::~HeadlessChromium() {
  if (pid_ > 0) {
    try {
      call("Browser.close", Json::object(), false);
    } catch (const std::exception&) {
      // it may be gone already
    }
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL); // helpers that outlived the browser, if any
  }
  if (to_browser_ >= 0)
    ::close(to_browser_);
  if (from_browser_ >= 0)
    ::close(from_browser_);
  std::error_code ignored;
  std::filesystem::remove_all(profile_, ignored);
}

Json HeadlessChromium::receive(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const std::size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      Json message = Json::parse(buffer_.substr(0, end));
      buffer_.erase(0, end + 1);
      return message;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      throw std::runtime_error("no answer from Chromium in time");
    pollfd p{from_browser_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    char chunk[65536];
    const ssize_t n = ::read(from_browser_, chunk, sizeof chunk);
    if (n <= 0)
      throw std::runtime_error("Chromium closed its DevTools pipe (see its log)");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

void HeadlessChromium::note_event(const Json& message) {
  const std::string method = message.value("method", "");
  const Json& params = message.contains("params") ? message["params"] : Json::object();
  if (method == "Runtime.consoleAPICalled" &&
      (params.value("type", "") == "error" || params.value("type", "") == "assert")) {
    std::string text;
    for (const Json& arg : params.value("args", Json::array()))
      text += (text.empty() ? "" : " ") + (arg.contains("value") ? arg["value"].dump() : arg.value("description", "?"));
    errors_.push_back("console." + params.value("type", "") + ": " + text);
  } else if (method == "Runtime.exceptionThrown") {
    const Json& details = params.value("exceptionDetails", Json::object());
    errors_.push_back("uncaught: " + details.value("text", "") + " " +
                      details.value("exception", Json::object()).value("description", ""));
  } else if (method == "Log.entryAdded" && params["entry"].value("level", "") == "error") {
    errors_.push_back("log: " + params["entry"].value("text", "") + " " + params["entry"].value("url", ""));
  } else if (method == "Page.loadEventFired") {
    loaded_ = true;
  }
}

Json HeadlessChromium::call(const std::string& method, const Json& params, bool in_page) {
  const long id = next_id_++;
  Json message{{"id", id}, {"method", method}, {"params", params}};
  if (in_page)
    message["sessionId"] = session_;
  const std::string text = message.dump() + std::string(1, '\0');
  for (std::size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::write(to_browser_, text.data() + sent, text.size() - sent);
    if (n <= 0)
      throw std::runtime_error("cannot write to Chromium's DevTools pipe");
    sent += static_cast<std::size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + kCallTimeout;
  while (true) {
    const Json answer = receive(deadline);
    if (answer.value("id", -1L) == id) {
      if (answer.contains("error"))
        throw std::runtime_error(method + ": " + answer["error"].dump());
      return answer.value("result", Json::object());
    }
    note_event(answer);
  }
}

void HeadlessChromium::open(const std::string& url) {
  loaded_ = false;
  call("Page.navigate", {{"url", url}});
  const auto deadline = std::chrono::steady_clock::now() + kCallTimeout;
  while (!loaded_)
    note_event(receive(deadline));
}

Json HeadlessChromium::evaluate(const std::string& expression) {
  const Json result =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails"))
    throw std::runtime_error("evaluating " + expression + ": " + result["exceptionDetails"].dump());
  return result.at("result").value("value", Json());
}

bool HeadlessChromium::wait_until(const std::string& expression, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (evaluate("!!(" + expression + ")") == Json(true))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string HeadlessChromium::screenshot_png(int max_height) {
  const Json metrics = call("Page.getLayoutMetrics");
  const double height = metrics.at("cssContentSize").at("height").get<double>();
  const int page_height = std::clamp(static_cast<int>(height) + 1, 1, max_height);
  call("Emulation.setDeviceMetricsOverride",
       {{"width", width_}, {"height", page_height}, {"deviceScaleFactor", 1}, {"mobile", false}});
  // Two animation frames: the page lays out at its new height before the picture is taken.
  evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");
  const Json shot = call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
  return base64_decode(shot.at("data").get<std::string>());
}

} // namespace apq::test
