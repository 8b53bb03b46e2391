#include "models/distribution.hpp"

#include "models/units.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace apq {
namespace {

constexpr double kSqrt3 = 1.7320508075688772;

void check_duration(double value, const char* what) {
  if (!(value >= 0) || !std::isfinite(value))
    throw std::invalid_argument(std::string(what) + " must be a finite duration >= 0, got " +
                                units::format_number(value));
}

void check_positive(double value, const char* what) {
  if (!(value > 0) || !std::isfinite(value))
    throw std::invalid_argument(std::string(what) + " must be > 0, got " + units::format_number(value));
}

double scale_factor(double old_mean, double new_mean) {
  check_duration(new_mean, "scaled_to_mean(): the new mean");
  if (old_mean == 0)
    throw std::invalid_argument("scaled_to_mean(): a distribution with mean 0 has no shape to scale");
  return new_mean / old_mean;
}

class Deterministic final : public Distribution {
public:
  explicit Deterministic(double value) : value_(value) { check_duration(value, "deterministic: value"); }
  double sample(RandomSource&) const override { return value_; }
  double mean() const override { return value_; }
  double cv() const override { return 0; }
  // A constant has a shape even at 0, so unlike the others it scales from a zero mean.
  DistributionPtr scaled_to_mean(double mean) const override { return std::make_shared<Deterministic>(mean); }
  std::string describe() const override { return "deterministic(" + units::format_duration(value_) + ")"; }

private:
  double value_;
};

class Exponential final : public Distribution {
public:
  explicit Exponential(double mean) : mean_(mean) { check_positive(mean, "exponential: mean"); }
  double sample(RandomSource& rng) const override { return rng.exponential(mean_); }
  double mean() const override { return mean_; }
  double cv() const override { return 1; }
  DistributionPtr scaled_to_mean(double mean) const override {
    scale_factor(mean_, mean);
    return std::make_shared<Exponential>(mean);
  }
  std::string describe() const override { return "exponential(mean " + units::format_duration(mean_) + ")"; }

private:
  double mean_;
};

class Lognormal final : public Distribution {
public:
  Lognormal(double mean, double cv) : mean_(mean), cv_(cv) {
    check_positive(mean, "lognormal: mean");
    check_duration(cv, "lognormal: cv");
  }
  double sample(RandomSource& rng) const override { return rng.lognormal_mean_cv(mean_, cv_); }
  double mean() const override { return mean_; }
  double cv() const override { return cv_; }
  DistributionPtr scaled_to_mean(double mean) const override {
    scale_factor(mean_, mean);
    return std::make_shared<Lognormal>(mean, cv_);
  }
  std::string describe() const override {
    return "lognormal(mean " + units::format_duration(mean_) + ", cv " + units::format_number(cv_) + ")";
  }

private:
  double mean_;
  double cv_;
};

class Uniform final : public Distribution {
public:
  Uniform(double min, double max) : min_(min), max_(max) {
    check_duration(min, "uniform: min");
    check_duration(max, "uniform: max");
    if (max < min)
      throw std::invalid_argument("uniform: max must be >= min");
  }
  double sample(RandomSource& rng) const override { return rng.uniform(min_, max_); }
  double mean() const override { return (min_ + max_) / 2; }
  double cv() const override { return mean() == 0 ? 0 : (max_ - min_) / (2 * kSqrt3 * mean()); }
  DistributionPtr scaled_to_mean(double mean) const override {
    double factor = scale_factor(this->mean(), mean);
    return std::make_shared<Uniform>(min_ * factor, max_ * factor);
  }
  std::string describe() const override {
    return "uniform(" + units::format_duration(min_) + ".." + units::format_duration(max_) + ")";
  }

private:
  double min_;
  double max_;
};

// The values are shared between scaled copies; a copy only changes the factor.
class Empirical final : public Distribution {
public:
  Empirical(std::shared_ptr<const std::vector<double>> values, double scale, std::string source)
      : values_(std::move(values)), scale_(scale), source_(std::move(source)) {
    if (values_->empty())
      throw std::invalid_argument("empirical: no values");
    for (double v : *values_)
      check_duration(v, "empirical: every value");
    double n = static_cast<double>(values_->size());
    raw_mean_ = std::accumulate(values_->begin(), values_->end(), 0.0) / n;
    double squares = 0;
    for (double v : *values_)
      squares += (v - raw_mean_) * (v - raw_mean_);
    cv_ = raw_mean_ == 0 ? 0 : std::sqrt(squares / n) / raw_mean_;
  }
  double sample(RandomSource& rng) const override { return scale_ * (*values_)[rng.below(values_->size())]; }
  double mean() const override { return scale_ * raw_mean_; }
  double cv() const override { return cv_; }
  DistributionPtr scaled_to_mean(double mean) const override {
    return std::make_shared<Empirical>(values_, scale_ * scale_factor(this->mean(), mean), source_);
  }
  std::string describe() const override {
    return "empirical(" + std::to_string(values_->size()) + " values from " + source_ + ", mean " +
           units::format_duration(mean()) + ", cv " + units::format_number(cv_) + ")";
  }

private:
  std::shared_ptr<const std::vector<double>> values_;
  double scale_;
  std::string source_;
  double raw_mean_ = 0;
  double cv_ = 0;
};

// ---- reading from config -------------------------------------------------------------------------------------

// The mean of a distribution read from `key`, or the caller's default when the table is a pure shape.
double mean_param(const ConfigNode& node, std::string_view key, std::optional<double> default_mean) {
  double mean = (node.has(key) || !default_mean) ? node.duration(key) : *default_mean;
  if (!(mean > 0)) {
    if (node.has(key))
      node.fail(key, "must be > 0");
    node.fail("the default mean must be > 0");
  }
  return mean;
}

double cv_param(const ConfigNode& node, std::optional<double> max_cv = {}) {
  double cv = node.number("cv");
  if (!(cv >= 0) || !std::isfinite(cv))
    node.fail("cv", "must be a finite number >= 0, got " + units::format_number(cv));
  if (max_cv && cv > *max_cv)
    node.fail("cv", "must be at most " + units::format_number(*max_cv) + ", got " + units::format_number(cv));
  return cv;
}

DistributionPtr make_deterministic(const ConfigNode& node, std::optional<double> default_mean) {
  bool has_value = node.has("value");
  bool has_mean = node.has("mean");
  if (has_value && has_mean)
    node.fail("mean", "give either value or mean, not both");
  if (has_value)
    return deterministic_distribution(node.duration("value"));
  if (has_mean)
    return deterministic_distribution(node.duration("mean"));
  if (!default_mean)
    node.fail("missing required key 'value' (or 'mean')");
  return deterministic_distribution(*default_mean);
}

DistributionPtr make_exponential(const ConfigNode& node, std::optional<double> default_mean) {
  return exponential_distribution(mean_param(node, "mean", default_mean));
}

DistributionPtr make_lognormal(const ConfigNode& node, std::optional<double> default_mean) {
  double mean = mean_param(node, "mean", default_mean);
  return lognormal_distribution(mean, cv_param(node));
}

DistributionPtr make_uniform(const ConfigNode& node, std::optional<double> default_mean) {
  if (node.has("min") || node.has("max")) {
    if (node.has("mean") || node.has("cv"))
      node.fail("give either min and max, or mean and cv");
    double min = node.duration("min");
    double max = node.duration("max");
    if (max < min)
      node.fail("max", "must be >= min (" + units::format_duration(min) + ")");
    return uniform_distribution(min, max);
  }
  double mean = mean_param(node, "mean", default_mean);
  // Beyond 1/sqrt(3) the lower end would be negative.
  double half_width = mean * kSqrt3 * cv_param(node, 1 / kSqrt3);
  return uniform_distribution(std::max(0.0, mean - half_width), mean + half_width);
}

DistributionPtr make_empirical(const ConfigNode& node, std::optional<double>) {
  std::filesystem::path file = node.path_value("file");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    node.fail("file", "cannot read '" + file.string() + "': no such file");
  return empirical_distribution(read_duration_file(file), file.string());
}

struct Shape {
  std::string name;
  std::string description;
  std::vector<ParamDoc> params;
  DistributionPtr (*make)(const ConfigNode&, std::optional<double>);
};

constexpr std::string_view kMeanNote =
    " (may be omitted where the caller gives the mean, e.g. a typed card's service shape)";

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all{
      {"deterministic",
       "a constant",
       {{"value", "duration", "", "the constant; 'mean' is a synonym" + std::string(kMeanNote)}},
       make_deterministic},
      {"exponential",
       "exponential (cv 1)",
       {{"mean", "duration", "", "mean" + std::string(kMeanNote)}},
       make_exponential},
      {"lognormal",
       "lognormal given its mean and coefficient of variation",
       {{"mean", "duration", "", "mean" + std::string(kMeanNote)},
        {"cv", "number", "", "standard deviation / mean, >= 0"}},
       make_lognormal},
      {"uniform",
       "uniform between min and max, or around a mean with a cv (<= 0.577)",
       {{"min", "duration", "", "lower end (with max)"},
        {"max", "duration", "", "upper end (with min)"},
        {"mean", "duration", "", "centre, instead of min and max" + std::string(kMeanNote)},
        {"cv", "number", "", "with mean: standard deviation / mean, at most 1/sqrt(3)"}},
       make_uniform},
      {"empirical",
       "resamples the values of a file uniformly",
       {{"file", "path", "", "one value per line, with a unit or in seconds, '#' comments; relative to the TOML file"}},
       make_empirical},
  };
  return all;
}

DistributionPtr build(const Shape& shape, const ConfigNode& node, std::optional<double> default_mean) {
  node.has("dist"); // the caller chose the entry through it
  DistributionPtr result = shape.make(node, default_mean);
  node.reject_unknown_keys();
  return result;
}

} // namespace

Distribution::~Distribution() = default;

const DistributionRegistry& distribution_registry() {
  static const DistributionRegistry registry = [] {
    DistributionRegistry r("distribution");
    for (const Shape& shape : shapes())
      r.add({shape.name, shape.description, shape.params,
             [&shape](const ConfigNode& node) { return build(shape, node, std::nullopt); }});
    return r;
  }();
  return registry;
}

DistributionPtr make_distribution(const ConfigNode& node, std::optional<double> default_mean) {
  const auto& entry = node.choose(distribution_registry(), "dist");
  const auto& all = shapes();
  auto shape = std::find_if(all.begin(), all.end(), [&](const Shape& s) { return s.name == entry.name; });
  return build(*shape, node, default_mean);
}

DistributionPtr deterministic_distribution(double value) {
  return std::make_shared<Deterministic>(value);
}

DistributionPtr exponential_distribution(double mean) {
  return std::make_shared<Exponential>(mean);
}

DistributionPtr lognormal_distribution(double mean, double cv) {
  return std::make_shared<Lognormal>(mean, cv);
}

DistributionPtr uniform_distribution(double min, double max) {
  return std::make_shared<Uniform>(min, max);
}

DistributionPtr empirical_distribution(std::vector<double> values, std::string source) {
  return std::make_shared<Empirical>(std::make_shared<const std::vector<double>>(std::move(values)), 1.0,
                                     std::move(source));
}

std::vector<double> read_duration_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw ConfigError(file.string(), "cannot read the file");
  std::vector<double> values;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    std::string_view text(line);
    text = text.substr(0, text.find('#'));
    auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos)
      continue;
    text = text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
    try {
      values.push_back(units::parse_seconds_or_duration(text));
    } catch (const UnitError& e) {
      throw ConfigError(file.string() + ":" + std::to_string(number) + ":1", e.what());
    }
  }
  if (values.empty())
    throw ConfigError(file.string(), "no values in the file");
  return values;
}

} // namespace apq
