#pragma once
// A small, dependency-free SVG line chart for the reports that read better
// as a picture (rates over time, backlogs, size distributions). Pure
// function; thread-safe.

#include <string>
#include <utility>
#include <vector>

namespace trove {

struct PlotSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x ascending
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool x_is_epoch_seconds = false;  // label x ticks as UTC times
  bool log_x = false;
  bool log_y = false;
  int width = 900;
  int height = 420;
};

std::string RenderSvgLineChart(const std::vector<PlotSeries>& series, const PlotOptions& opts);

}  // namespace trove
