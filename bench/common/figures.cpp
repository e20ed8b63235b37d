#include "figures.h"

namespace trine_bench {

void AddFigure(PhaseFigures& phases, std::string_view phase, std::string_view metric,
               double value) {
  // Figures arrive phase by phase: the latest phase is the likely one.
  for (auto it = phases.rbegin(); it != phases.rend(); ++it) {
    if (it->first == phase) {
      it->second.emplace_back(std::string(metric), value);
      return;
    }
  }
  phases.emplace_back(std::string(phase), Figures{{std::string(metric), value}});
}

const double* FindFigure(const PhaseFigures& phases, std::string_view phase,
                         std::string_view metric) {
  for (const auto& [p, figures] : phases) {
    if (p != phase)
      continue;
    for (const auto& [m, v] : figures) {
      if (m == metric)
        return &v;
    }
  }
  return nullptr;
}

}  // namespace trine_bench
