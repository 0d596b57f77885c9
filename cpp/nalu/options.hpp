// A unit's construction options by name (eps, omega, flags of a variant), as the registry passes
// them from Python to a unit's factory. Each read is remembered, so that the registry can reject
// an option that the unit does not take instead of ignoring it.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>

namespace nalu {

class Options {
public:
    using Value = std::variant<bool, double>;

    Options() = default;
    Options(std::map<std::string, Value> values) : values_(std::move(values)) {}  // NOLINT: implicit on purpose

    // The number called `name`; std::invalid_argument when it is missing or is a flag.
    double number(const std::string& name) const { return get<double>(name, "a number"); }
    // The number called `name`, `fallback` when it is missing.
    double number_or(const std::string& name, double fallback) const {
        return values_.count(name) ? number(name) : fallback;
    }
    // The flag called `name`, false when it is missing; std::invalid_argument when it is a number.
    bool flag(const std::string& name) const {
        return values_.count(name) ? get<bool>(name, "True or False") : false;
    }

    const std::map<std::string, Value>& values() const { return values_; }

    // The options given but never read; the registry reports them.
    std::set<std::string> unread() const {
        std::set<std::string> names;
        for (const auto& entry : values_)
            if (!read_.count(entry.first)) names.insert(entry.first);
        return names;
    }

private:
    template <class V>
    V get(const std::string& name, const char* expected) const {
        read_.insert(name);
        const auto found = values_.find(name);
        if (found == values_.end()) throw std::invalid_argument("option '" + name + "' is required");
        if (const V* v = std::get_if<V>(&found->second)) return *v;
        throw std::invalid_argument("option '" + name + "' must be " + expected);
    }

    std::map<std::string, Value> values_;
    mutable std::set<std::string> read_;
};

}  // namespace nalu
