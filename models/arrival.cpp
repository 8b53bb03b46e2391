#include "models/arrival.hpp"

#include "models/units.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <vector>

namespace apq {
namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// ---- poisson -------------------------------------------------------------------------------------------------

class Poisson final : public ArrivalProcess {
public:
  explicit Poisson(double rate) : rate_(rate) {}
  std::optional<Arrival> next(double now, RandomSource& rng) override {
    if (rate_ == 0)
      return std::nullopt;
    return Arrival{now + rng.exponential(1 / rate_), std::nullopt};
  }
  double mean_rate() const override { return rate_; }
  std::unique_ptr<ArrivalProcess> clone() const override { return std::make_unique<Poisson>(rate_); }
  std::string describe() const override { return "poisson(" + units::format_rate(rate_) + ")"; }

private:
  double rate_;
};

std::unique_ptr<ArrivalProcess> make_poisson(const ConfigNode& node) {
  return std::make_unique<Poisson>(node.rate("rate"));
}

// ---- mmpp ----------------------------------------------------------------------------------------------------

// Two-state Markov-modulated Poisson process. Simulated exactly: in each state the next arrival and the next state
// switch are competing exponentials, and both are memoryless, so the loser is simply redrawn.
class Mmpp final : public ArrivalProcess {
public:
  Mmpp(double rate_high, double rate_low, double high_time, double low_time)
      : rate_{rate_low, rate_high}, sojourn_{low_time, high_time} {}

  std::optional<Arrival> next(double now, RandomSource& rng) override {
    if (!started_) {
      // Start in the stationary distribution, so that the process has no warm-up transient.
      high_ = rng.uniform01() < sojourn_[1] / (sojourn_[0] + sojourn_[1]);
      clock_ = now;
      switch_at_ = now + rng.exponential(sojourn_[high_]);
      started_ = true;
    }
    clock_ = std::max(clock_, now);
    for (;;) {
      while (switch_at_ <= clock_) // catch up when the caller skipped time
        toggle(switch_at_, rng);
      double rate = rate_[high_];
      if (rate > 0) {
        double candidate = clock_ + rng.exponential(1 / rate);
        if (candidate < switch_at_) {
          clock_ = candidate;
          return Arrival{candidate, std::nullopt};
        }
      }
      clock_ = switch_at_;
      toggle(switch_at_, rng);
    }
  }

  double mean_rate() const override {
    return (rate_[1] * sojourn_[1] + rate_[0] * sojourn_[0]) / (sojourn_[0] + sojourn_[1]);
  }
  std::unique_ptr<ArrivalProcess> clone() const override {
    return std::make_unique<Mmpp>(rate_[1], rate_[0], sojourn_[1], sojourn_[0]);
  }
  std::string describe() const override {
    return "mmpp(high " + units::format_rate(rate_[1]) + " for " + units::format_duration(sojourn_[1]) + ", low " +
           units::format_rate(rate_[0]) + " for " + units::format_duration(sojourn_[0]) + "; mean " +
           units::format_rate(mean_rate()) + ")";
  }

private:
  void toggle(double at, RandomSource& rng) {
    high_ = !high_;
    switch_at_ = at + rng.exponential(sojourn_[high_]);
  }

  std::array<double, 2> rate_;    // [low, high]
  std::array<double, 2> sojourn_; // mean time in [low, high]
  bool started_ = false;
  bool high_ = false;
  double clock_ = 0;
  double switch_at_ = 0;
};

std::unique_ptr<ArrivalProcess> make_mmpp(const ConfigNode& node) {
  double rate_high = node.rate("rate_high");
  double rate_low = node.rate("rate_low");
  double high_time = node.duration("high_time");
  double low_time = node.duration("low_time");
  if (!(rate_high > 0))
    node.fail("rate_high", "must be > 0");
  if (!(high_time > 0))
    node.fail("high_time", "must be > 0 (the mean time spent in the high state)");
  if (!(low_time > 0))
    node.fail("low_time", "must be > 0 (the mean time spent in the low state)");
  return std::make_unique<Mmpp>(rate_high, rate_low, high_time, low_time);
}

// ---- periodic ------------------------------------------------------------------------------------------------

// Arrival k is at phase + k * period, computed rather than accumulated so that times stay exact.
class Periodic final : public ArrivalProcess {
public:
  Periodic(double period, double phase) : period_(period), phase_(phase) {}
  std::optional<Arrival> next(double now, RandomSource&) override {
    double k = std::max(next_k_, std::ceil((now - phase_) / period_));
    if (phase_ + k * period_ < now) // ceil of a rounded quotient may fall one short
      k += 1;
    next_k_ = k + 1;
    return Arrival{phase_ + k * period_, std::nullopt};
  }
  double mean_rate() const override { return 1 / period_; }
  std::unique_ptr<ArrivalProcess> clone() const override { return std::make_unique<Periodic>(period_, phase_); }
  std::string describe() const override {
    return "periodic(every " + units::format_duration(period_) + " from " + units::format_duration(phase_) + ")";
  }

private:
  double period_;
  double phase_;
  double next_k_ = 0;
};

std::unique_ptr<ArrivalProcess> make_periodic(const ConfigNode& node) {
  bool has_rate = node.has("rate");
  bool has_period = node.has("period");
  if (has_rate == has_period)
    node.fail("give exactly one of 'rate' and 'period'");
  double period = 0;
  if (has_rate) {
    double rate = node.rate("rate");
    if (!(rate > 0))
      node.fail("rate", "must be > 0");
    period = 1 / rate;
  } else {
    period = node.duration("period");
    if (!(period > 0))
      node.fail("period", "must be > 0");
  }
  return std::make_unique<Periodic>(period, node.duration_or("phase", 0));
}

// ---- schedule ------------------------------------------------------------------------------------------------

struct Step {
  double at;
  double rate;
};

// Non-homogeneous Poisson process with a piecewise-constant rate. The next arrival is where the integrated rate
// since `now` reaches an Exp(1) draw (inversion), walking segment by segment. The walk keeps (period, segment)
// as counters, so that floating-point rounding at a boundary can never make it stall.
class Schedule final : public ArrivalProcess {
public:
  Schedule(std::vector<Step> steps, std::optional<double> repeat) : steps_(std::move(steps)), repeat_(repeat) {
    if (repeat_)
      for (std::size_t i = 0; i < steps_.size(); ++i)
        period_integral_ += steps_[i].rate * (segment_end(i) - steps_[i].at);
  }

  std::optional<Arrival> next(double now, RandomSource& rng) override {
    if (repeat_ && period_integral_ == 0)
      return std::nullopt;
    double need = rng.exponential(1.0);
    Cursor c = locate(now);
    double t = now;
    for (;;) {
      double rate = c.segment < 0 ? 0 : steps_[c.segment].rate;
      double end = absolute_end(c);
      if (rate > 0) {
        double dt = need / rate;
        if (t + dt < end)
          return Arrival{t + dt, std::nullopt};
        need = std::max(0.0, need - rate * (end - t));
      }
      if (end == kNever)
        return std::nullopt;
      t = end;
      if (advance(c)) {
        t = c.period * *repeat_; // re-anchored at each period so that rounding cannot accumulate
        if (need > period_integral_) {
          // Skip whole periods at once: a long quiet stretch must not cost one loop turn per period.
          double skipped = std::floor(need / period_integral_);
          if (need - skipped * period_integral_ <= 0)
            skipped -= 1;
          need -= skipped * period_integral_;
          c.period += skipped;
          t = c.period * *repeat_;
        }
      }
    }
  }

  double mean_rate() const override { return repeat_ ? period_integral_ / *repeat_ : steps_.back().rate; }
  std::unique_ptr<ArrivalProcess> clone() const override { return std::make_unique<Schedule>(steps_, repeat_); }
  std::string describe() const override {
    std::string text = "schedule(" + std::to_string(steps_.size()) + " steps";
    if (repeat_)
      text += ", repeat every " + units::format_duration(*repeat_);
    return text + "; long-run " + units::format_rate(mean_rate()) + ")";
  }

private:
  // segment -1 is the quiet gap before the first step of a period (when the first step is not at 0).
  struct Cursor {
    double period;
    int segment;
  };

  double segment_end(std::size_t i) const {
    return i + 1 < steps_.size() ? steps_[i + 1].at : (repeat_ ? *repeat_ : kNever);
  }
  double absolute_end(const Cursor& c) const {
    double local = c.segment < 0 ? steps_.front().at : segment_end(static_cast<std::size_t>(c.segment));
    return local == kNever ? kNever : c.period * repeat_.value_or(0) + local;
  }
  Cursor locate(double t) const {
    Cursor c{0, -1};
    double local = t;
    if (repeat_) {
      c.period = std::floor(t / *repeat_);
      local = t - c.period * *repeat_;
      if (local >= *repeat_) { // rounding of the quotient
        c.period += 1;
        local -= *repeat_;
      }
    }
    while (c.segment + 1 < static_cast<int>(steps_.size()) && steps_[c.segment + 1].at <= local)
      ++c.segment;
    return c;
  }
  // Moves to the next segment; true when that starts a new period.
  bool advance(Cursor& c) const {
    if (++c.segment < static_cast<int>(steps_.size()))
      return false;
    c.period += 1;
    c.segment = steps_.front().at > 0 ? -1 : 0;
    return true;
  }

  std::vector<Step> steps_;
  std::optional<double> repeat_;
  double period_integral_ = 0; // expected arrivals per period when repeating
};

std::unique_ptr<ArrivalProcess> make_schedule(const ConfigNode& node) {
  std::vector<Step> steps;
  for (const ConfigNode& step : node.tables("steps")) {
    Step s{step.duration("at"), step.rate("rate")};
    step.reject_unknown_keys();
    if (!steps.empty() && !(s.at > steps.back().at))
      step.fail("at", "must be later than the previous step's (" + units::format_duration(steps.back().at) + ")");
    steps.push_back(s);
  }
  if (steps.empty())
    node.fail("steps", "must hold at least one step, like { at = \"0s\", rate = \"1k/s\" }");
  std::optional<double> repeat;
  if (node.has("repeat")) {
    repeat = node.duration("repeat");
    if (!(*repeat > steps.back().at))
      node.fail("repeat", "must be longer than the last step's 'at' (" + units::format_duration(steps.back().at) + ")");
  }
  return std::make_unique<Schedule>(std::move(steps), repeat);
}

// ---- trace ---------------------------------------------------------------------------------------------------

class Trace final : public ArrivalProcess {
public:
  Trace(std::shared_ptr<const std::vector<Arrival>> rows, std::string source)
      : rows_(std::move(rows)), source_(std::move(source)) {}
  std::optional<Arrival> next(double now, RandomSource&) override {
    while (index_ < rows_->size() && (*rows_)[index_].time < now)
      ++index_;
    if (index_ == rows_->size())
      return std::nullopt;
    return (*rows_)[index_++];
  }
  // Rows over [0, last time]; a trace that is all at time 0 has no finite rate.
  double mean_rate() const override {
    double last = rows_->back().time;
    return last > 0 ? static_cast<double>(rows_->size()) / last : kNever;
  }
  std::unique_ptr<ArrivalProcess> clone() const override { return std::make_unique<Trace>(rows_, source_); }
  std::string describe() const override {
    return "trace(" + std::to_string(rows_->size()) + " arrivals from " + source_ + ")";
  }

private:
  std::shared_ptr<const std::vector<Arrival>> rows_;
  std::string source_;
  std::size_t index_ = 0;
};

struct Field {
  std::string_view text;
  std::size_t column; // 1-based, of the first non-blank character
};

std::vector<Field> split_csv_line(std::string_view line) {
  std::vector<Field> fields;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = line.find(',', start);
    std::string_view raw = line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t lead = std::min(raw.find_first_not_of(" \t"), raw.size());
    std::size_t last = raw.find_last_not_of(" \t\r");
    std::string_view text =
        last == std::string_view::npos || last < lead ? std::string_view{} : raw.substr(lead, last - lead + 1);
    fields.push_back({text, start + lead + 1});
    if (comma == std::string_view::npos)
      return fields;
    start = comma + 1;
  }
}

// CSV "time[,op]" with an optional header line, '#' comment lines and blank lines.
std::vector<Arrival> read_trace(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in)
    throw ConfigError(file.string(), "cannot read the file");
  auto error = [&](std::size_t line, std::size_t column, const std::string& message) {
    return ConfigError(file.string() + ":" + std::to_string(line) + ":" + std::to_string(column), message);
  };
  std::vector<Arrival> rows;
  bool first = true;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    std::vector<Field> fields = split_csv_line(line);
    if ((fields.size() == 1 && fields[0].text.empty()) || fields[0].text.starts_with('#'))
      continue;
    bool header = first && iequals(fields[0].text, "time");
    first = false;
    if (fields.size() > 2)
      throw error(number, fields[2].column, "expected the columns time[,op], got an extra column");
    if (header) {
      if (fields.size() == 2 && !iequals(fields[1].text, "op"))
        throw error(number, fields[1].column, "expected the header time[,op]");
      continue;
    }
    Arrival row{0, std::nullopt};
    try {
      row.time = units::parse_seconds_or_duration(fields[0].text);
    } catch (const UnitError& e) {
      throw error(number, fields[0].column, e.what());
    }
    if (!rows.empty() && row.time < rows.back().time)
      throw error(number, fields[0].column,
                  "time " + units::format_duration(row.time) + " is earlier than the previous row's (" +
                      units::format_duration(rows.back().time) + "): rows must be in time order");
    if (fields.size() == 2 && !fields[1].text.empty()) {
      row.op = find_operation(fields[1].text);
      if (!row.op)
        throw error(number, fields[1].column, unknown_operation_message(fields[1].text));
    }
    rows.push_back(row);
  }
  if (rows.empty())
    throw ConfigError(file.string(), "no arrivals in the trace");
  return rows;
}

std::unique_ptr<ArrivalProcess> make_trace(const ConfigNode& node) {
  std::filesystem::path file = node.path_value("file");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    node.fail("file", "cannot read '" + file.string() + "': no such file");
  return std::make_unique<Trace>(std::make_shared<const std::vector<Arrival>>(read_trace(file)), file.string());
}

// ---- registry ------------------------------------------------------------------------------------------------

using Maker = std::unique_ptr<ArrivalProcess> (*)(const ConfigNode&);

// Every entry owns the whole arrival table: it counts `process` as read and rejects the keys it did not read.
std::function<std::unique_ptr<ArrivalProcess>(const ConfigNode&)> owning(Maker make) {
  return [make](const ConfigNode& node) {
    node.has("process");
    auto process = make(node);
    node.reject_unknown_keys();
    return process;
  };
}

} // namespace

ArrivalProcess::~ArrivalProcess() = default;

const ArrivalRegistry& arrival_registry() {
  static const ArrivalRegistry registry = [] {
    ArrivalRegistry r("arrival process");
    r.add({"poisson",
           "Poisson arrivals (exponential gaps)",
           {{"rate", "rate", "", "mean arrivals per unit time, e.g. \"20k/s\"; 0 = none"}},
           owning(make_poisson)});
    r.add({"mmpp",
           "bursty: two-state Markov-modulated Poisson, exponential sojourns, stationary start",
           {{"rate_high", "rate", "", "arrival rate in the high state"},
            {"rate_low", "rate", "", "arrival rate in the low state (may be 0: on/off)"},
            {"high_time", "duration", "", "mean time in the high state"},
            {"low_time", "duration", "", "mean time in the low state"}},
           owning(make_mmpp)});
    r.add({"periodic",
           "one arrival every period, at phase + k * period",
           {{"rate", "rate", "", "arrivals per unit time (or give period)"},
            {"period", "duration", "", "time between arrivals (or give rate)"},
            {"phase", "duration", "0s", "time of the first arrival"}},
           owning(make_periodic)});
    r.add({"schedule",
           "Poisson with a piecewise-constant rate (non-homogeneous, exact)",
           {{"steps", "table", "", "array of { at = duration, rate = rate }, in time order; rate 0 before the first"},
            {"repeat", "duration", "none", "the schedule repeats with this period"}},
           owning(make_schedule)});
    r.add({"trace",
           "replays a CSV file time[,op]; no arrivals after its last row",
           {{"file", "path", "", "CSV with optional header, time in seconds or with a unit, optional op name"}},
           owning(make_trace)});
    return r;
  }();
  return registry;
}

std::unique_ptr<ArrivalProcess> make_arrival_process(const ConfigNode& arrival_table) {
  return arrival_table.choose(arrival_registry(), "process").make(arrival_table);
}

} // namespace apq
