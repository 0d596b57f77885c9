#include "unit_registry.hpp"

#include <stdexcept>

namespace nalu {

namespace {

std::vector<UnitEntry>& entries() {
    static std::vector<UnitEntry> all;  // filled while the module loads, read-only afterwards
    return all;
}

const UnitEntry& find(const std::string& name) {
    for (const UnitEntry& e : entries())
        if (e.name == name) return e;
    std::string known;
    for (const UnitEntry& e : entries()) known += (known.empty() ? "" : ", ") + e.name;
    throw std::invalid_argument("unknown unit '" + name + "' (the core has: " + known + ")");
}

template <class T>
const LayerFactory<T>& factory_of(const UnitEntry& e);
template <>
const LayerFactory<float>& factory_of<float>(const UnitEntry& e) { return e.make_f32; }
template <>
const LayerFactory<double>& factory_of<double>(const UnitEntry& e) { return e.make_f64; }

}  // namespace

bool register_unit(UnitEntry entry) {
    for (const UnitEntry& e : entries())
        if (e.name == entry.name) throw std::logic_error("unit '" + entry.name + "' is registered twice");
    entries().push_back(std::move(entry));
    return true;
}

std::vector<std::string> unit_names() {
    std::vector<std::string> names;
    for (const UnitEntry& e : entries()) names.push_back(e.name);
    return names;
}

template <class T>
std::shared_ptr<Layer<T>> make_layer(const std::string& name, std::size_t in, std::size_t out,
                                     const Options& options) {
    std::shared_ptr<Layer<T>> layer = factory_of<T>(find(name))(in, out, options);
    const auto unread = options.unread();
    if (!unread.empty()) {
        std::string names;
        for (const auto& n : unread) names += (names.empty() ? "'" : ", '") + n + "'";
        throw std::invalid_argument(name + " does not take the option(s) " + names);
    }
    return layer;
}

template std::shared_ptr<Layer<float>> make_layer<float>(const std::string&, std::size_t, std::size_t, const Options&);
template std::shared_ptr<Layer<double>> make_layer<double>(const std::string&, std::size_t, std::size_t, const Options&);

}  // namespace nalu
