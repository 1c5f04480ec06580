package main

import (
	"reflect"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func str(s string) resource.PropertyValue                     { return resource.NewStringProperty(s) }
func secret(v resource.PropertyValue) resource.PropertyValue  { return resource.MakeSecret(v) }
func unknown() resource.PropertyValue                         { return resource.MakeComputed(str("")) }
func arr(vs ...resource.PropertyValue) resource.PropertyValue { return resource.NewArrayProperty(vs) }
func obj(kv ...any) resource.PropertyValue {
	m := resource.PropertyMap{}
	for i := 0; i < len(kv); i += 2 {
		m[resource.PropertyKey(kv[i].(string))] = kv[i+1].(resource.PropertyValue)
	}
	return resource.NewObjectProperty(m)
}

func base() resource.PropertyMap {
	return resource.PropertyMap{
		"connection": secret(obj("host", str("10.0.0.1"), "user", str("root"), "privateKey", secret(str("KEY")))),
		"create":     str("echo create"),
		"delete":     str("echo delete"),
		"stdin":      secret(str("s3cr3t")),
		"triggers":   arr(str("t1")),
	}
}

func with(pm resource.PropertyMap, kv ...any) resource.PropertyMap {
	out := copyMap(pm)
	for i := 0; i < len(kv); i += 2 {
		k := resource.PropertyKey(kv[i].(string))
		if kv[i+1] == nil {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1].(resource.PropertyValue)
	}
	return out
}

const (
	ADD     = pulumirpc.PropertyDiff_ADD
	DEL     = pulumirpc.PropertyDiff_DELETE
	UPD     = pulumirpc.PropertyDiff_UPDATE
	ADDR    = pulumirpc.PropertyDiff_ADD_REPLACE
	DELR    = pulumirpc.PropertyDiff_DELETE_REPLACE
	UPDR    = pulumirpc.PropertyDiff_UPDATE_REPLACE
	noRun   = false
	runs    = true
	replace = true
)

type kinds = map[string]pulumirpc.PropertyDiff_Kind

func TestComputeDiff(t *testing.T) {
	withUpdate := with(base(), "update", str("echo update"))
	tests := []struct {
		name     string
		olds     resource.PropertyMap
		news     resource.PropertyMap
		ignore   []string
		want     kinds
		run      bool
		replaces bool
	}{
		{"identical", base(), base(), nil, kinds{}, noRun, false},
		{"secret vs plain same value is no change",
			base(), with(base(), "stdin", str("s3cr3t"), "connection", obj("host", str("10.0.0.1"), "user", str("root"), "privateKey", str("KEY"))),
			nil, kinds{}, noRun, false},
		{"secret stdin value changes", base(), with(base(), "stdin", secret(str("other"))), nil, kinds{"stdin": UPD}, runs, false},
		{"create changes -> update only create", base(), with(base(), "create", str("echo v2")), nil, kinds{"create": UPD}, runs, false},
		{"update added", base(), withUpdate, nil, kinds{"update": ADD}, runs, false},
		{"update removed", withUpdate, base(), nil, kinds{"update": DEL}, runs, false},
		{"environment added", base(), with(base(), "environment", obj("A", str("1"))), nil, kinds{"environment": ADD}, runs, false},
		{"environment secret value changed", with(base(), "environment", obj("A", secret(str("1")))),
			with(base(), "environment", obj("A", secret(str("2")))), nil, kinds{"environment": UPD}, runs, false},
		{"triggers change without update -> replace", base(), with(base(), "triggers", arr(str("t2"))), nil, kinds{"triggers": UPDR}, runs, replace},
		{"triggers added without update -> replace", with(base(), "triggers", nil), base(), nil, kinds{"triggers": ADDR}, runs, replace},
		{"triggers removed without update -> replace", base(), with(base(), "triggers", nil), nil, kinds{"triggers": DELR}, runs, replace},
		{"triggers change with update -> update", withUpdate, with(withUpdate, "triggers", arr(str("t2"))), nil, kinds{"triggers": UPD}, runs, false},
		{"triggers change with unknown update -> update", withUpdate, with(withUpdate, "triggers", arr(str("t2")), "update", unknown()),
			nil, kinds{"triggers": UPD, "update": UPD}, runs, false},
		{"triggers element count change", withUpdate, with(withUpdate, "triggers", arr(str("t1"), str("t2"))), nil, kinds{"triggers": UPD}, runs, false},
		{"delete only -> no run", base(), with(base(), "delete", str("echo bye")), nil, kinds{"delete": UPD}, noRun, false},
		{"connection only -> no run", base(), with(base(), "connection", secret(obj("host", str("10.0.0.2")))), nil, kinds{"connection": UPD}, noRun, false},
		{"logging only -> no run", base(), with(base(), "logging", str("none")), nil, kinds{"logging": ADD}, noRun, false},
		{"addPreviousOutputInEnv only -> no run", base(), with(base(), "addPreviousOutputInEnv", resource.NewBoolProperty(false)), nil,
			kinds{"addPreviousOutputInEnv": ADD}, noRun, false},
		{"null equals absent", base(), with(base(), "update", resource.NewNullProperty()), nil, kinds{}, noRun, false},
		{"unknown create (preview) counts as change", base(), with(base(), "create", unknown()), nil, kinds{"create": UPD}, runs, false},
		{"unknown nested in connection counts as change", base(),
			with(base(), "connection", secret(obj("host", unknown()))), nil, kinds{"connection": UPD}, noRun, false},
		{"ignoreChanges drops a key", base(), with(base(), "create", str("x")), []string{"create"}, kinds{}, noRun, false},
		{"outputs are not compared", with(base(), "stdout", str("a")), with(base(), "stdout", str("b")), nil, kinds{}, noRun, false},
		{"several keys", base(), with(base(), "create", str("x"), "delete", str("y")), nil, kinds{"create": UPD, "delete": UPD}, runs, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := computeDiff(tt.olds, tt.news, tt.ignore)
			if !reflect.DeepEqual(d.Detailed, tt.want) {
				t.Errorf("detailed = %v, want %v", d.Detailed, tt.want)
			}
			if d.Run != tt.run {
				t.Errorf("run = %v, want %v", d.Run, tt.run)
			}
			if got := len(d.Replaces) > 0; got != tt.replaces {
				t.Errorf("replaces = %v, want replace=%v", d.Replaces, tt.replaces)
			}
			resp := d.toResponse()
			wantChanges := pulumirpc.DiffResponse_DIFF_NONE
			if len(tt.want) > 0 {
				wantChanges = pulumirpc.DiffResponse_DIFF_SOME
			}
			if resp.Changes != wantChanges {
				t.Errorf("changes = %v, want %v", resp.Changes, wantChanges)
			}
			if !resp.HasDetailedDiff || len(resp.DetailedDiff) != len(tt.want) || len(resp.Diffs) != len(tt.want) {
				t.Errorf("response diffs=%v detailed=%v", resp.Diffs, resp.DetailedDiff)
			}
			for k, pd := range resp.DetailedDiff {
				if pd.Kind != tt.want[k] || !pd.InputDiff {
					t.Errorf("detailedDiff[%s] = %v, want %v (inputDiff)", k, pd, tt.want[k])
				}
			}
		})
	}
}

func TestCheckInputs(t *testing.T) {
	tests := []struct {
		name string
		news resource.PropertyMap
		want []string
	}{
		{"ok", base(), nil},
		{"no connection", with(base(), "connection", nil), []string{"connection"}},
		{"no host", with(base(), "connection", secret(obj("user", str("root")))), []string{"connection.host"}},
		{"empty host", with(base(), "connection", obj("host", str(""))), []string{"connection.host"}},
		{"unknown host ok", with(base(), "connection", obj("host", unknown())), nil},
		{"unknown connection ok", with(base(), "connection", unknown()), nil},
		{"create not a string", with(base(), "create", resource.NewNumberProperty(1)), []string{"create"}},
		{"bad logging", with(base(), "logging", str("loud")), []string{"logging"}},
		{"good logging", with(base(), "logging", str("none")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range checkInputs(tt.news) {
				got = append(got, f.Property)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("failures = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCommandErrorFormat(t *testing.T) {
	long := "echo " + string(make([]byte, 0)) + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
	err := commandError(errString("Process exited with status 3"), runSpec{Command: long, Stdin: ptr("STDIN-SECRET")},
		runResult{Stdout: "out", Stderr: "err"})
	want := "Process exited with status 3: running \"" + long[:80] + "...\":\nout\nerr"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
	err = commandError(errString("Process exited with status 1"), runSpec{Command: "echo TOPSECRET", CommandSecret: true}, runResult{Stderr: "e"})
	if want := "Process exited with status 1: running \"[secret]\":\ne"; err.Error() != want {
		t.Errorf("got %q, want %q", err.Error(), want)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func ptr(s string) *string { return &s }
