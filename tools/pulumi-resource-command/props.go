package main

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Helpers to read plain values out of a resource.PropertyMap. Secrets are
// unwrapped (the provider needs their plaintext to run commands); unknowns
// read as "not set".

// unwrap strips secret (and known output) wrappers from v, recursively.
func unwrap(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unwrap(v.SecretValue().Element)
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return v
		}
		return unwrap(o.Element)
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]resource.PropertyValue, len(arr))
		for i, e := range arr {
			out[i] = unwrap(e)
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		obj := v.ObjectValue()
		out := make(resource.PropertyMap, len(obj))
		for k, e := range obj {
			out[k] = unwrap(e)
		}
		return resource.NewObjectProperty(out)
	}
	return v
}

// isSecret reports whether v is a secret (or a secret output).
func isSecret(v resource.PropertyValue) bool {
	if v.IsSecret() {
		return true
	}
	if v.IsOutput() {
		return v.OutputValue().Secret
	}
	return false
}

// isUnknown reports whether v is (or contains) a value not known yet (preview).
func isUnknown(v resource.PropertyValue) bool {
	return v.ContainsUnknowns()
}

// present reports whether key is set to something other than null.
func present(pm resource.PropertyMap, key string) bool {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return false
	}
	return !unwrap(v).IsNull()
}

func getString(pm resource.PropertyMap, key string) (string, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return "", false
	}
	v = unwrap(v)
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

func getNumber(pm resource.PropertyMap, key string) (float64, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return 0, false
	}
	v = unwrap(v)
	if !v.IsNumber() {
		return 0, false
	}
	return v.NumberValue(), true
}

func getBool(pm resource.PropertyMap, key string) (bool, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return false, false
	}
	v = unwrap(v)
	if !v.IsBool() {
		return false, false
	}
	return v.BoolValue(), true
}

func getObject(pm resource.PropertyMap, key string) (resource.PropertyMap, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return nil, false
	}
	v = unwrap(v)
	if !v.IsObject() {
		return nil, false
	}
	return v.ObjectValue(), true
}

// getStringMap returns the string entries of an object property, sorted keys
// alongside for deterministic iteration.
func getStringMap(pm resource.PropertyMap, key string) ([]string, map[string]string) {
	obj, ok := getObject(pm, key)
	if !ok {
		return nil, nil
	}
	m := map[string]string{}
	var keys []string
	for k, v := range obj {
		if v.IsString() {
			m[string(k)] = v.StringValue()
			keys = append(keys, string(k))
		}
	}
	sort.Strings(keys)
	return keys, m
}

// copyMap is a shallow copy (values are immutable for our purposes).
func copyMap(pm resource.PropertyMap) resource.PropertyMap {
	out := make(resource.PropertyMap, len(pm)+2)
	for k, v := range pm {
		out[k] = v
	}
	return out
}
