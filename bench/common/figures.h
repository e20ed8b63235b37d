// The figures one engine reported, as the parent of trine_bench and
// trine_entity_bench collects them for its table, CSV and JSON: per phase, in
// the order measured (a phase's figures stay together).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trine_bench {

using Figures = std::vector<std::pair<std::string, double>>;        // (metric, value)
using PhaseFigures = std::vector<std::pair<std::string, Figures>>;  // (phase, its figures)

void AddFigure(PhaseFigures& phases, std::string_view phase, std::string_view metric, double value);
// nullptr if the figure was not reported.
const double* FindFigure(const PhaseFigures& phases, std::string_view phase,
                         std::string_view metric);

}  // namespace trine_bench
