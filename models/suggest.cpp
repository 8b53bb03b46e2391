#include "models/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace apq {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::size_t allowed_edits(std::string_view typed) {
  return typed.size() <= 5 ? 1 : typed.size() <= 9 ? 2 : 3;
}

} // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the one before the previous is needed for transpositions.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  std::iota(previous.begin(), previous.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        current[j] = std::min(current[j], before[j - 2] + 1);
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> closest_names(std::string_view typed, const std::vector<std::string>& candidates) {
  std::vector<std::pair<std::size_t, std::size_t>> scored; // (distance, candidate index)
  const std::size_t allowed = allowed_edits(typed);
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    if (candidates[i] == typed)
      continue;
    const std::size_t distance = edit_distance(typed, candidates[i]);
    if (distance <= allowed)
      scored.emplace_back(distance, i);
  }
  std::stable_sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (const auto& [distance, index] : scored) {
    if (out.size() == 4 || distance > scored.front().first) // only the closest: one clear hint beats a list
      break;
    if (std::find(out.begin(), out.end(), candidates[index]) == out.end())
      out.push_back(candidates[index]);
  }
  return out;
}

std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates) {
  const std::vector<std::string> close = closest_names(typed, candidates);
  if (close.empty())
    return {};
  std::string text = "did you mean ";
  for (std::size_t i = 0; i < close.size(); ++i)
    text += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + ("'" + close[i] + "'");
  return text + "?";
}

std::string with_suggestion(std::string message, std::string_view typed, const std::vector<std::string>& candidates) {
  const std::string hint = did_you_mean(typed, candidates);
  return hint.empty() ? message : message + "; " + hint;
}

std::string unknown_name_message(std::string_view what, std::string_view name, const std::vector<std::string>& valid) {
  std::string message = "unknown " + std::string(what) + " '" + std::string(name) + "'; ";
  const std::string hint = did_you_mean(name, valid);
  if (!hint.empty())
    message += hint + " ";
  message += "valid: ";
  for (std::size_t i = 0; i < valid.size(); ++i)
    message += (i == 0 ? "" : ", ") + valid[i];
  return message;
}

} // namespace apq
