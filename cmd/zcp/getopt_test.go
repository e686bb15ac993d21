package main

import (
	"reflect"
	"testing"
)

// TestGetopt pins getopt_long's rules that cp's users rely on; the
// messages are checked against GNU cp by the oracle scenarios.
func TestGetopt(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		ids      []string
		argsOf   map[string]string
		operands []string
		err      string
	}{
		{args: []string{"-rpv", "a", "b"}, ids: []string{"r", "p", "v"}, operands: []string{"a", "b"}},
		{args: []string{"a", "-r", "b"}, ids: []string{"r"}, operands: []string{"a", "b"}},
		{args: []string{"-tDIR", "a"}, ids: []string{"t"}, argsOf: map[string]string{"t": "DIR"}, operands: []string{"a"}},
		{args: []string{"-t", "DIR", "a"}, ids: []string{"t"}, argsOf: map[string]string{"t": "DIR"}, operands: []string{"a"}},
		{args: []string{"-rS", ".bak"}, ids: []string{"r", "S"}, argsOf: map[string]string{"S": ".bak"}},
		{args: []string{"--rec", "--", "-a"}, ids: []string{"R"}, operands: []string{"-a"}},
		{args: []string{"--reflink", "a"}, ids: []string{"reflink"}, argsOf: map[string]string{"reflink": ""}, operands: []string{"a"}},
		{args: []string{"--reflink=never"}, ids: []string{"reflink"}, argsOf: map[string]string{"reflink": "never"}},
		{args: []string{"--suffix", "x"}, ids: []string{"S"}, argsOf: map[string]string{"S": "x"}},
		{args: []string{"--pa"}, ids: []string{"parents"}}, // --parents and --path are one option
		{args: []string{"--par"}, ids: []string{"parents"}},
		{args: []string{"--re"}, err: "option '--re' is ambiguous; possibilities: '--recursive' '--remove-destination' '--reflink'"},
		{args: []string{"--archive=1"}, err: "option '--archive' doesn't allow an argument"},
		{args: []string{"--sparse"}, err: "option '--sparse' requires an argument"},
		{args: []string{"-t"}, err: "option requires an argument -- 't'"},
		{args: []string{"-q"}, err: "invalid option -- 'q'"},
		{args: []string{"--nope"}, err: "unrecognized option '--nope'"},
		{args: []string{"-"}, operands: []string{"-"}},
	} {
		opts, operands, err := getopt(tc.args, shortOpts, longOpts)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: err %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		var ids []string
		for _, o := range opts {
			ids = append(ids, o.id)
			if want, ok := tc.argsOf[o.id]; ok && o.arg != want {
				t.Errorf("%q: %s has argument %q, want %q", tc.args, o.id, o.arg, want)
			}
		}
		if !reflect.DeepEqual(ids, tc.ids) || !reflect.DeepEqual(operands, tc.operands) {
			t.Errorf("%q: options %v operands %q, want %v %q", tc.args, ids, operands, tc.ids, tc.operands)
		}
	}
}

func TestArgmatch(t *testing.T) {
	for _, tc := range []struct {
		arg       string
		want      string
		ok, ambig bool
	}{
		{"al", "simple", false, false}, // not a value: "always" is not a backup type
		{"n", "", false, true},         // none, never, nil, numbered
		{"nu", "numbered", true, false},
		{"ne", "simple", true, false},
		{"of", "none", true, false},
	} {
		got, ok, ambig := argmatch(tc.arg, backupValues, backupResults)
		if ok != tc.ok || ambig != tc.ambig || (ok && got != tc.want) {
			t.Errorf("%q: %q %v %v, want %q %v %v", tc.arg, got, ok, ambig, tc.want, tc.ok, tc.ambig)
		}
	}
}
