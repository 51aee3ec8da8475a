#include "shapes.hpp"
namespace {
struct Square : Shape {
  double s;
  explicit Square(double side) : s(side) {}
  double area() const override { return s * s; }
  std::string name() const override { return "square"; }
};
struct Rect : Shape {
  double w, h;
  Rect(double a, double b) : w(a), h(b) {}
  double area() const override { return w * h; }
  std::string name() const override { return "rect"; }
};
}  // namespace
std::vector<std::unique_ptr<Shape>> make_shapes() {
  std::vector<std::unique_ptr<Shape>> v;
  v.push_back(std::make_unique<Square>(3));
  v.push_back(std::make_unique<Rect>(2, 5));
  return v;
}
