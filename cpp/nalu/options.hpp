// A unit's construction options by name (eps, omega, flags of a variant), as the registry passes
// them from Python to a unit's factory. Each read is remembered, so that the registry can reject
// an option that the unit does not take instead of ignoring it.
#pragma once

#include <initializer_list>
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
    // The number called `name` as the index of one of `names` (a unit's choice among named
    // variants; Python passes the index), `fallback` when it is missing; std::invalid_argument
    // naming the choices when it is not an index.
    int choice(const std::string& name, std::initializer_list<const char*> names, int fallback) const {
        if (!values_.count(name)) return fallback;
        const double code = number(name);
        std::string listed;
        int k = 0;
        for (const char* n : names) {
            if (code == k) return k;
            listed += (k ? ", " : "") + std::to_string(k) + " (" + n + ")";
            ++k;
        }
        throw std::invalid_argument("option '" + name + "' must be one of " + listed + ", got " + std::to_string(code));
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
