// Every unit of the core by name: how to build its layer from sizes and options.
//
// A unit registers itself once, in cpp/nalu/units/<unit>/register.cpp (NALU_REGISTER_UNIT); the
// bindings build layers through make_layer() and never name a unit. Python's registry
// (nalu_ext.UNITS) is filled the same way, from python/nalu_ext/units/.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "layer.hpp"
#include "options.hpp"

namespace nalu {

template <class T>
using LayerFactory = std::function<std::shared_ptr<Layer<T>>(std::size_t in, std::size_t out, const Options&)>;

struct UnitEntry {
    std::string name;  // the kind Python passes, e.g. "NALU"
    LayerFactory<float> make_f32;
    LayerFactory<double> make_f64;
};

// Adds a unit (called while the module loads); returns true. A name given twice is a build error
// and throws std::logic_error.
bool register_unit(UnitEntry entry);

std::vector<std::string> unit_names();

// A new layer of the named unit; std::invalid_argument for an unknown name, a bad option or an
// option the unit does not take.
template <class T>
std::shared_ptr<Layer<T>> make_layer(const std::string& name, std::size_t in, std::size_t out,
                                     const Options& options);

}  // namespace nalu

namespace nalu {

// The factory of a layer class template built as LayerTemplate<T>(in, out, options).
template <template <class> class LayerTemplate, class T>
std::shared_ptr<Layer<T>> build_layer(std::size_t in, std::size_t out, const Options& options) {
    return std::make_shared<LayerTemplate<T>>(in, out, options);
}

}  // namespace nalu

#define NALU_UNIT_CONCAT2(a, b) a##b
#define NALU_UNIT_CONCAT(a, b) NALU_UNIT_CONCAT2(a, b)

// Registers a unit whose layer class template Layer<T> is built as Layer<T>(in, out, options).
#define NALU_REGISTER_UNIT(name, LayerTemplate)                                                   \
    namespace {                                                                                   \
    const bool NALU_UNIT_CONCAT(nalu_unit_registered_, __LINE__) = ::nalu::register_unit(         \
        ::nalu::UnitEntry{name, &::nalu::build_layer<LayerTemplate, float>,                       \
                          &::nalu::build_layer<LayerTemplate, double>});                          \
    }
