package main

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Inputs of command:remote:Command that Diff compares (outputs stdout/stderr
// are never compared).
var diffKeys = []string{
	"addPreviousOutputInEnv", "connection", "create", "delete", "environment",
	"logging", "stdin", "triggers", "update",
}

// runKeys: a change in any of these makes Update run the `update` command (or
// `create` when `update` is not set). A change only in the other diffKeys
// (connection, delete, logging, addPreviousOutputInEnv) is an in-place update
// that runs nothing and just stores the new inputs.
var runKeys = map[string]bool{
	"create": true, "update": true, "stdin": true, "environment": true, "triggers": true,
}

// diffResult is the provider-level diff of two input maps.
type diffResult struct {
	// Changed property names, sorted.
	Changed []string
	// Kind of change per property name.
	Detailed map[string]pulumirpc.PropertyDiff_Kind
	// Property names that force replacement (only ever "triggers").
	Replaces []string
	// Run is true when the update must run a command.
	Run bool
}

func (d diffResult) HasChanges() bool { return len(d.Changed) > 0 }

// computeDiff compares old inputs with new inputs. Secrets compare by value;
// a value that is unknown (preview) on either side counts as changed.
func computeDiff(olds, news resource.PropertyMap, ignore []string) diffResult {
	ignored := map[string]bool{}
	for _, k := range ignore {
		ignored[k] = true
	}
	res := diffResult{Detailed: map[string]pulumirpc.PropertyDiff_Kind{}}
	for _, key := range diffKeys {
		if ignored[key] {
			continue
		}
		kind, changed := diffProperty(olds, news, key)
		if !changed {
			continue
		}
		res.Changed = append(res.Changed, key)
		res.Detailed[key] = kind
		if runKeys[key] {
			res.Run = true
		}
	}
	// triggers: replace unless an `update` command is (or will be) set.
	if _, ok := res.Detailed["triggers"]; ok && !present(news, "update") {
		res.Detailed["triggers"] = toReplace(res.Detailed["triggers"])
		res.Replaces = append(res.Replaces, "triggers")
	}
	sort.Strings(res.Changed)
	return res
}

func diffProperty(olds, news resource.PropertyMap, key string) (pulumirpc.PropertyDiff_Kind, bool) {
	o, n := olds[resource.PropertyKey(key)], news[resource.PropertyKey(key)]
	oSet, nSet := present(olds, key), present(news, key)
	switch {
	case !oSet && !nSet:
		return 0, false
	case !oSet:
		return pulumirpc.PropertyDiff_ADD, true
	case !nSet:
		return pulumirpc.PropertyDiff_DELETE, true
	case isUnknown(o) || isUnknown(n):
		return pulumirpc.PropertyDiff_UPDATE, true
	case !unwrap(o).DeepEquals(unwrap(n)):
		return pulumirpc.PropertyDiff_UPDATE, true
	}
	return 0, false
}

func toReplace(k pulumirpc.PropertyDiff_Kind) pulumirpc.PropertyDiff_Kind {
	switch k {
	case pulumirpc.PropertyDiff_ADD:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case pulumirpc.PropertyDiff_DELETE:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case pulumirpc.PropertyDiff_UPDATE:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	}
	return k
}

// toResponse renders the diff for the engine. Detailed diff keys are top-level
// property names: the SDK registers the resource with
// replaceOnChanges: ["triggers[*]"], which the engine matches against
// element paths (triggers[0], ...) only, so reporting "triggers" lets this
// provider decide update vs replace itself.
func (d diffResult) toResponse() *pulumirpc.DiffResponse {
	resp := &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_NONE,
		HasDetailedDiff: true,
		DetailedDiff:    map[string]*pulumirpc.PropertyDiff{},
	}
	if !d.HasChanges() {
		return resp
	}
	resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	resp.Diffs = append([]string(nil), d.Changed...)
	resp.Replaces = append([]string(nil), d.Replaces...)
	for k, kind := range d.Detailed {
		resp.DetailedDiff[k] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	return resp
}
