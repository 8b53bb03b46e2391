// Service-time (or any duration) distributions, chosen by name from a registry.
#pragma once

#include "models/config_node.hpp"
#include "models/random.hpp"
#include "models/registry.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace apq {

/** A distribution of non-negative durations, in seconds. Immutable, so shared freely. */
class Distribution {
public:
  virtual ~Distribution();
  virtual double sample(RandomSource& rng) const = 0;
  virtual double mean() const = 0;
  /** Coefficient of variation (standard deviation / mean); 0 for a constant. */
  virtual double cv() const = 0;
  /** The same shape with another mean: a typed card gives the shape, its rating gives the mean per operation.
   *  Throws std::invalid_argument when this mean is 0 (there is no shape to scale). */
  virtual std::shared_ptr<const Distribution> scaled_to_mean(double mean) const = 0;
  /** E.g. "lognormal(mean 216us, cv 0.3)". */
  virtual std::string describe() const = 0;
};

using DistributionPtr = std::shared_ptr<const Distribution>;
using DistributionRegistry = Registry<DistributionPtr(const ConfigNode&)>;

/** deterministic, exponential, lognormal, uniform, empirical. An entry reads its parameters from the table and
 *  rejects unknown keys; make_distribution() is the usual way in. */
const DistributionRegistry& distribution_registry();

/** Reads `dist` (a registry name) and its parameters from `node`, then rejects unknown keys. With `default_mean` the
 *  keys that give the mean may be omitted, so that the table is a pure shape: `{ dist = "lognormal", cv = 0.3 }`. */
DistributionPtr make_distribution(const ConfigNode& node, std::optional<double> default_mean = {});

// Direct constructors (for code and tests); they throw std::invalid_argument on impossible parameters.
DistributionPtr deterministic_distribution(double value);
DistributionPtr exponential_distribution(double mean);
DistributionPtr lognormal_distribution(double mean, double cv);
DistributionPtr uniform_distribution(double min, double max);
/** Resamples `values` uniformly; `source` names them in describe(). */
DistributionPtr empirical_distribution(std::vector<double> values, std::string source);

/** One value per line, with a unit ("250us") or a plain number of seconds; '#' starts a comment. Throws ConfigError
 *  located FILE:LINE:1 for a bad line, and ConfigError naming the file when it cannot be read or has no value. */
std::vector<double> read_duration_file(const std::filesystem::path& file);

} // namespace apq
