// Helpers shared by the models tests: TOML documents with a known source path, temporary files, sample moments.
#pragma once

#include <toml++/toml.h>

#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace apq::test {

/** Parses `text` as if it came from the file `path`, so that errors carry "path:line:col". */
inline toml::table parse_toml(std::string_view text, std::string_view path = "test.toml") {
  return toml::parse(text, path);
}

/** The what() of the exception `f` throws, or "" when it throws nothing. */
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/** A file under the system temporary directory, removed with the object. */
class TempFile {
public:
  TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::temp_directory_path() / ("apq_models_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

/** Sample mean and variance with their standard errors (the latter from the sample fourth moment). */
struct Moments {
  double mean = 0;
  double variance = 0;
  double se_mean = 0;
  double se_variance = 0;
};

inline Moments moments_of(const std::vector<double>& xs) {
  Moments m;
  double n = static_cast<double>(xs.size());
  for (double x : xs)
    m.mean += x;
  m.mean /= n;
  double m4 = 0;
  for (double x : xs) {
    double d = (x - m.mean) * (x - m.mean);
    m.variance += d;
    m4 += d * d;
  }
  m.variance /= n;
  m4 /= n;
  m.se_mean = std::sqrt(m.variance / n);
  m.se_variance = std::sqrt((m4 - m.variance * m.variance) / n);
  return m;
}

} // namespace apq::test
