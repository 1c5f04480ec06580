package main

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// TestSchemaBinds validates the schema against Pulumi's metaschema and binder.
func TestSchemaBinds(t *testing.T) {
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(schemaJSON), &spec); err != nil {
		t.Fatal(err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if pkg.Name != providerName || pkg.Version.String() != providerVersion {
		t.Errorf("package %s %v", pkg.Name, pkg.Version)
	}
	res, ok := pkg.GetResource(remoteCommand)
	if !ok {
		t.Fatalf("no %s", remoteCommand)
	}
	var names []string
	for _, p := range res.InputProperties {
		names = append(names, p.Name)
	}
	want := []string{"addPreviousOutputInEnv", "connection", "create", "delete", "environment", "logging", "stdin", "triggers", "update"}
	if len(names) != len(want) {
		t.Errorf("inputs %v, want %v", names, want)
	}
}

// noLoader refuses to load other packages (the schema references none).
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, errors.New("unexpected package reference: " + pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errors.New("unexpected package reference: " + d.Name)
}
