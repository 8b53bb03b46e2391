// "Did you mean": the known names closest to a mistyped one, for every message that rejects a name (config keys,
// model names, guests, mdevs, errnos, subcommands, flags).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace apq {

/** Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent transpositions), ASCII
 *  case-insensitive: "horizn" -> "horizon" is 1, "nmae" -> "name" is 1, "EBUSYY" -> "ebusy" is 1. */
std::size_t edit_distance(std::string_view a, std::string_view b);

/** The candidates closest to `typed` if they are close enough to be a typo of it, in candidate order, at most
 *  four. Close means at most one edit for names of up to 5 characters, two up to 9, three beyond. */
std::vector<std::string> closest_names(std::string_view typed, const std::vector<std::string>& candidates);

/** "did you mean 'horizon'?" or "did you mean 'CEX8A', 'CEX8C' or 'CEX8P'?"; empty when nothing is close. */
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates);

/** `message` + "; " + did_you_mean(...) when there is a suggestion. */
std::string with_suggestion(std::string message, std::string_view typed, const std::vector<std::string>& candidates);

/** The one shape of every "unknown name" message: "unknown WHAT 'NAME'; did you mean 'X'? valid: A, B, C" (without
 *  the question when nothing is close). */
std::string unknown_name_message(std::string_view what, std::string_view name, const std::vector<std::string>& valid);

} // namespace apq
