#include "util/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace trove {
namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

std::string Num(double v) {
  char b[32];
  double a = std::fabs(v);
  if (a >= 1e9) std::snprintf(b, sizeof b, "%.3gG", v / 1e9);
  else if (a >= 1e6) std::snprintf(b, sizeof b, "%.3gM", v / 1e6);
  else if (a >= 1e3) std::snprintf(b, sizeof b, "%.3gk", v / 1e3);
  else std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

std::string TimeLabel(double secs) {
  time_t t = static_cast<time_t>(secs);
  tm tmv;
  gmtime_r(&t, &tmv);
  char b[32];
  std::strftime(b, sizeof b, "%m-%d %H:%M:%S", &tmv);
  return b;
}

}  // namespace

std::string RenderSvgLineChart(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  auto tx = [&](double v) { return o.log_x ? std::log10(std::max(v, 1e-12)) : v; };
  auto ty = [&](double v) { return o.log_y ? std::log10(std::max(v, 1e-12)) : v; };
  double x0 = INFINITY, x1 = -INFINITY, y0 = o.log_y ? INFINITY : 0, y1 = -INFINITY;
  for (const auto& s : series)
    for (auto [x, y] : s.points) {
      if (o.log_y && y <= 0) continue;
      x0 = std::min(x0, tx(x));
      x1 = std::max(x1, tx(x));
      y0 = std::min(y0, ty(y));
      y1 = std::max(y1, ty(y));
    }
  if (!(x1 > x0)) { x0 = std::isfinite(x0) ? x0 - 1 : 0; x1 = x0 + 2; }
  if (!(y1 > y0)) { y1 = y0 + 1; }
  const int L = 80, R = 20, T = 40, B = 60;
  const int W = o.width, H = o.height, pw = W - L - R, ph = H - T - B;
  auto px = [&](double x) { return L + (tx(x) - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return T + ph - (ty(y) - y0) / (y1 - y0) * ph; };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << Esc(o.title)
    << "</text>\n";
  // Axes and ticks.
  s << "<line x1=\"" << L << "\" y1=\"" << T + ph << "\" x2=\"" << L + pw << "\" y2=\"" << T + ph
    << "\" stroke=\"black\"/>\n<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\""
    << T + ph << "\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    double fy = y0 + (y1 - y0) * i / 5;
    double yv = o.log_y ? std::pow(10, fy) : fy;
    double yy = T + ph - ph * i / 5.0;
    s << "<line x1=\"" << L << "\" y1=\"" << yy << "\" x2=\"" << L + pw << "\" y2=\"" << yy
      << "\" stroke=\"#ddd\"/>\n<text x=\"" << L - 6 << "\" y=\"" << yy + 4
      << "\" text-anchor=\"end\">" << Num(yv) << "</text>\n";
    double fx = x0 + (x1 - x0) * i / 5;
    double xv = o.log_x ? std::pow(10, fx) : fx;
    double xx = L + pw * i / 5.0;
    s << "<text x=\"" << xx << "\" y=\"" << T + ph + 18 << "\" text-anchor=\"middle\">"
      << Esc(o.x_is_epoch_seconds ? TimeLabel(xv) : Num(xv)) << "</text>\n";
  }
  s << "<text x=\"" << L + pw / 2 << "\" y=\"" << H - 12 << "\" text-anchor=\"middle\">"
    << Esc(o.x_label) << "</text>\n<text transform=\"translate(16," << T + ph / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << Esc(o.y_label) << "</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const char* c = kColors[i % 6];
    s << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"1.5\" points=\"";
    for (auto [x, y] : series[i].points) {
      if (o.log_y && y <= 0) continue;
      s << px(x) << "," << py(y) << " ";
    }
    s << "\"/>\n<text x=\"" << L + 10 << "\" y=\"" << T + 14 + 16 * i << "\" fill=\"" << c << "\">"
      << Esc(series[i].name) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace trove
